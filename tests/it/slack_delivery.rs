//! What the delivery job calls, against the simulators: identity resolution (mapping first, then the Jira e-mail in
//! Slack; unresolved with a reason a person can act on), DMs landing in the right inbox, team notices (a no-op
//! without a channel), and Slack's failures surfacing typed: 429 with its `Retry-After`, a revoked token.

use std::time::Duration;

use chrono::Utc;
use clearance::{
    jobs::{JobError, WaitingOn},
    slack::{
        self, DeliveryError, SlackError, identity,
        messages::{IssueRef, Message, reveal_link_dm},
        notices::Notice,
    },
};
use clearance_sandbox::jira::people;
use reqwest::StatusCode;
use serde_json::json;
use url::Url;

use super::Env;
use crate::{helpers::Backend, on_each_backend};

on_each_backend!(
    people_are_resolved_by_mapping_then_email,
    dms_and_notices_land_where_they_should,
    slack_failures_surface_typed,
);

/// A small DM.
pub(crate) fn hello() -> Message {
    let issue = IssueRef::new(
        &Url::parse("https://acme.atlassian.net").unwrap(),
        "DATA-7",
        "Churn",
    );
    slack::notices::notice(&Notice::Approved(issue), None)
}

async fn people_are_resolved_by_mapping_then_email(backend: Backend) {
    let env = Env::start(backend).await;
    let (app, tenant) = (&env.api.app.state, env.tenant().await);
    let err = identity::resolve(app, &tenant, people::REQUESTER)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_configured", "{err}");
    assert!(err.to_string().contains("bot token"), "{err}");
    env.connect().await;

    // By e-mail (Jira's riley@example.com is Slack's Riley@Example.com).
    let riley = identity::resolve(app, &tenant, people::REQUESTER)
        .await
        .unwrap();
    assert_eq!(riley.as_ref(), env.riley.id);
    // The mapping comes first.
    let path = format!("/api/admin/slack/users/{}", people::ANALYST);
    let (status, _) = env
        .admin("PUT", &path, Some(json!({"slackUserId": env.grace.id})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let lookups = env.slack.call_count("users.lookupByEmail");
    let ana = identity::resolve(app, &tenant, people::ANALYST)
        .await
        .unwrap();
    assert_eq!(ana.as_ref(), env.grace.id);
    assert_eq!(
        env.slack.call_count("users.lookupByEmail"),
        lookups,
        "no lookup for a mapped person"
    );

    // Slack has nobody with Pia's e-mail.
    let err = identity::resolve(app, &tenant, people::PRIVACY_OFFICER)
        .await
        .unwrap_err();
    assert!(matches!(err, DeliveryError::Unresolved(_)), "{err:?}");
    let reason = err.to_string();
    assert!(
        reason.contains("Pia Privacy")
            && reason.contains("Acme Corp")
            && reason.contains("admin page"),
        "{reason}"
    );
    assert!(
        !reason.contains("pia@example.com"),
        "no e-mail address in the reason: {reason}"
    );
    assert!(err.needs_admin());

    // Jira hides e-mail addresses: unresolved unless mapped.
    env.api.jira().state().email_api_allowed = false;
    let err = identity::resolve(app, &tenant, people::REQUESTER)
        .await
        .unwrap_err();
    assert!(matches!(err, DeliveryError::Unresolved(_)), "{err:?}");
    let reason = err.to_string();
    assert!(
        reason.starts_with("Jira does not let the app read Riley Requester's e-mail address"),
        "{reason}"
    );
    assert!(
        reason.contains("no Slack user is mapped to them") && reason.contains("admin page"),
        "{reason}"
    );
    let job = JobError::from(err);
    assert!(
        matches!(job, JobError::Retry { after: Some(a), .. } if a == slack::AUTH_RETRY_AFTER),
        "{job:?}"
    );
    let ana = identity::resolve(app, &tenant, people::ANALYST)
        .await
        .unwrap();
    assert_eq!(ana.as_ref(), env.grace.id);
    env.api.app.cleanup().await;
}

async fn dms_and_notices_land_where_they_should(backend: Backend) {
    let env = Env::start(backend).await;
    let (app, tenant) = (&env.api.app.state, env.tenant().await);
    let issue = IssueRef::new(&tenant.display_url, "DATA-7", "Churn <!channel>");
    // Without Slack settings a notice is a logged no-op and a DM says Slack is not set up.
    assert_eq!(
        slack::post_notice(app, &tenant, &Notice::NewRequest(issue.clone()))
            .await
            .unwrap(),
        None
    );
    let err = slack::send_dm(app, &tenant, people::REQUESTER, &hello())
        .await
        .unwrap_err();
    assert!(matches!(err, DeliveryError::NotSetUp(_)), "{err:?}");
    let (status, _) = env.put_settings(json!({"botToken": env.bot.token})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        slack::post_notice(app, &tenant, &Notice::NewRequest(issue.clone()))
            .await
            .unwrap(),
        None,
        "no channel"
    );

    let link = Url::parse("https://clearance.example/reveal/abc").unwrap();
    let dm = reveal_link_dm(&issue, "DATA-7.zip.age", &link, Utc::now());
    let sent = slack::send_dm(app, &tenant, people::REQUESTER, &dm)
        .await
        .unwrap();
    assert_eq!(
        Some(sent.channel.to_string()),
        env.slack.dm_channel(&env.riley.id)
    );
    let inbox = env.slack.inbox(&env.riley.id);
    assert_eq!(inbox.len(), 1);
    assert_eq!(
        (inbox[0].ts.as_str(), inbox[0].text.as_str()),
        (sent.ts.0.as_str(), dm.text.as_str())
    );
    assert_eq!(inbox[0].blocks.as_ref(), Some(&dm.blocks));
    assert!(
        env.slack.inbox(&env.grace.id).is_empty(),
        "nobody else got it"
    );

    let body = json!({"channel": env.channel.id, "privacyMention": "S0614TZR7"});
    let (status, _) = env.put_settings(body).await;
    assert_eq!(status, StatusCode::OK);
    let sent = slack::post_notice(app, &tenant, &Notice::AwaitingPrivacyApproval(issue))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.channel.as_ref(), env.channel.id);
    let posted = env.slack.messages_in(&env.channel.id);
    let blocks = posted[0].blocks.as_ref().unwrap().to_string();
    assert!(
        blocks.contains("<!subteam^S0614TZR7>") && blocks.contains("&lt;!channel&gt;"),
        "{blocks}"
    );
    assert!(
        blocks.contains(&format!(
            "<{}/browse/DATA-7|DATA-7>",
            tenant.display_url.as_str().trim_end_matches('/')
        )),
        "{blocks}"
    );

    // Every Slack call is in the metrics.
    let metrics = app.metrics.render(&app.store).await.unwrap();
    for method in [
        "auth.test",
        "users.lookupByEmail",
        "conversations.open",
        "chat.postMessage",
    ] {
        let line = format!(
            "clearance_slack_request_duration_seconds_count{{method=\"{method}\",status=\"200\"}}"
        );
        assert!(metrics.contains(&line), "{line} missing");
    }
    env.api.app.cleanup().await;
}

async fn slack_failures_surface_typed(backend: Backend) {
    let env = Env::start(backend).await;
    let (app, tenant) = (&env.api.app.state, env.tenant().await);
    env.connect().await;

    env.slack.rate_limit_next(1, 7);
    let err = slack::send_dm(app, &tenant, people::REQUESTER, &hello())
        .await
        .unwrap_err();
    let seven = Some(Duration::from_secs(7));
    assert!(
        matches!(err, DeliveryError::Slack(SlackError::RateLimited { retry_after }) if retry_after == seven),
        "{err:?}"
    );
    assert!(!err.needs_admin());
    assert!(
        matches!(JobError::from(err), JobError::Wait { on: WaitingOn::Slack, after } if after == seven),
        "a rate limit waits as asked without using up a try"
    );
    slack::send_dm(app, &tenant, people::REQUESTER, &hello())
        .await
        .unwrap();

    env.slack.remove_scope(&env.bot.token, "users:read.email");
    let err = slack::send_dm(app, &tenant, people::REQUESTER, &hello())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_scope");
    assert!(err.to_string().contains("users:read.email"), "{err}");
    env.slack.clear_faults();

    env.slack.revoke_token(&env.bot.token);
    let err = slack::send_dm(app, &tenant, people::REQUESTER, &hello())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DeliveryError::Slack(e) if e.is_auth() && e.code() == "token_revoked"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("revoked")
            && message.contains("paste a new bot token on Clearance's admin page"),
        "{message}"
    );
    assert!(err.needs_admin());
    let err = slack::post_notice(app, &tenant, &Notice::Test)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "token_revoked");
    let (_, body) = env.admin("POST", "/api/admin/slack/test", None).await;
    assert_eq!(
        (body["ok"].as_bool(), body["problem"].as_str()),
        (Some(false), Some("token_revoked")),
        "{body}"
    );
    // A revoked token is refused when stored again, and the stored settings stay as they were.
    let before = env.store().slack_settings(&env.api.tenant).await.unwrap();
    let (status, body) = env.put_settings(json!({"botToken": env.bot.token})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("token_revoked"),
        "{body}"
    );
    assert_eq!(
        env.store().slack_settings(&env.api.tenant).await.unwrap(),
        before
    );
    env.api.app.cleanup().await;
}
