//! The client against the Slack simulator over HTTP: each method, Slack's errors sorted into `SlackError`, 429 with
//! `Retry-After`, an unreachable Slack.

use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use super::*;
use clearance_sandbox::slack::{self as sim, Bot, SlackSim, User};

struct Fixture {
    sim: SlackSim,
    client: SlackClient,
    bot: Bot,
    token: BotToken,
    ada: User,
}

async fn spawn() -> Fixture {
    let s = SlackSim::new();
    let team = s.add_team("Acme Corp");
    let bot = s.add_bot(&team.id, "clearance");
    let ada = s.add_user(&team.id, "ada", "Ada Lovelace", "ada@acme.test");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().nest("/slack", sim::router(s.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let base = Url::parse(&format!("http://{addr}/slack/api/")).unwrap();
    Fixture {
        client: SlackClient::new(reqwest::Client::new(), base),
        token: BotToken::parse(&bot.token).unwrap(),
        sim: s,
        bot,
        ada,
    }
}

#[tokio::test]
async fn methods_work_against_the_simulator() {
    let f = spawn().await;
    let info = f.client.auth_test(&f.token).await.unwrap();
    assert_eq!(info.team, "Acme Corp");
    assert_eq!(info.bot_user_id, f.bot.user_id);
    assert!(info.team_id.starts_with('T'));

    let ada = f.client.lookup_by_email(&f.token, "ADA@acme.test").await;
    let ada = ada.unwrap().unwrap();
    assert_eq!(ada.as_ref(), f.ada.id);
    let nobody = f.client.lookup_by_email(&f.token, "nobody@acme.test").await;
    assert_eq!(nobody.unwrap(), None);

    let dm = f.client.open_dm(&f.token, &ada).await.unwrap();
    assert_eq!(Some(dm.to_string()), f.sim.dm_channel(&f.ada.id));
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*hi* & bye"}}]);
    let ts = f
        .client
        .post_message(&f.token, &dm, "hi", Some(blocks.clone()))
        .await
        .unwrap();
    let inbox = f.sim.inbox(&f.ada.id);
    assert_eq!(inbox.len(), 1);
    assert_eq!(
        (inbox[0].ts.as_str(), inbox[0].text.as_str()),
        (ts.0.as_str(), "hi")
    );
    assert_eq!(inbox[0].blocks, Some(blocks));
    assert_eq!(inbox[0].unfurl_links, Some(false));
}

#[tokio::test]
async fn slack_errors_are_sorted() {
    let f = spawn().await;
    f.sim.rate_limit_next(1, 7);
    let err = f.client.auth_test(&f.token).await.unwrap_err();
    assert!(
        matches!(err, SlackError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(7)),
        "{err:?}"
    );

    f.sim.remove_scope(&f.bot.token, "users:read.email");
    let err = f
        .client
        .lookup_by_email(&f.token, "ada@acme.test")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SlackError::Auth { code, needed: Some(n) } if code == "missing_scope" && n == "users:read.email"),
        "{err:?}"
    );
    f.sim.clear_faults();

    let general = f.sim.add_channel(&f.bot.team_id, "general");
    let channel = ChannelId::parse(&general.id).unwrap();
    f.sim.keep_bot_out_of(&general.id);
    let err = f
        .client
        .post_message(&f.token, &channel, "x", None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_in_channel");
    assert!(matches!(
        err,
        SlackError::Api {
            method: "chat.postMessage",
            ..
        }
    ));

    f.sim.revoke_token(&f.bot.token);
    let err = f.client.auth_test(&f.token).await.unwrap_err();
    assert!(err.is_auth() && err.code() == "token_revoked", "{err:?}");
    assert!(err.to_string().contains("paste a new bot token"));

    let wrong = BotToken::parse("xoxb-1-2-wrong").unwrap();
    let err = f.client.auth_test(&wrong).await.unwrap_err();
    assert_eq!(err.code(), "invalid_auth");
}

#[tokio::test]
async fn unreachable_slack_is_a_transport_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let base = Url::parse(&format!("http://{addr}/api")).unwrap();
    let client = SlackClient::new(reqwest::Client::new(), base);
    let token = BotToken::parse("xoxb-1-2-abc").unwrap();
    let err = client.auth_test(&token).await.unwrap_err();
    assert!(matches!(err, SlackError::Transport(_)), "{err:?}");
    assert!(err.is_transient());
    assert!(!err.to_string().contains("xoxb"), "{err}");
}

/// Slack documents two spellings: `ratelimited` (HTTP 429 on any method) and `rate_limited` (chat.postMessage,
/// chat.update, chat.scheduleMessage, chat.meMessage in the Web API spec: "Application has posted too many
/// messages"). Both are a rate limit, whatever the HTTP status.
#[test]
fn both_rate_limit_codes_are_rate_limits() {
    for code in ["ratelimited", "rate_limited"] {
        let err =
            answer::<Value>("chat.postMessage", json!({"ok": false, "error": code})).unwrap_err();
        assert!(
            matches!(err, SlackError::RateLimited { retry_after: None }),
            "{code}: {err:?}"
        );
        assert!(err.is_transient(), "{code}");
        assert!(
            matches!(
                crate::jobs::JobError::from(err),
                crate::jobs::JobError::Wait {
                    on: crate::jobs::WaitingOn::Slack,
                    after: None
                }
            ),
            "{code}: waited out without using up a try"
        );
    }
}
