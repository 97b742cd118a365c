//! Slack through the admin API, against the Jira and Slack simulators: settings (a token checked with Slack before it
//! is stored, never shown; fields kept or cleared), the test notice, the user mapping (audited), admins only, and
//! the sealed token (not in the row, re-sealed by rotation). Identity resolution, DMs, notices and Slack's failures:
//! `delivery`.

#[path = "slack_delivery.rs"]
mod delivery;

use axum::Router;
use clearance::{
    crypto::{MasterKeys, slack_token_context},
    rotation::reseal_all,
    slack,
    store::Store,
    tenant::Tenant,
};
use clearance_sandbox::{
    jira::people,
    slack::{self as slack_sim, Bot, Conversation, SlackSim, User},
};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::{data_sources::Api, helpers::Backend, on_each_backend};

on_each_backend!(
    settings_are_checked_stored_and_tested,
    user_mapping_is_audited,
    only_admins_manage_slack,
    token_is_sealed_and_survives_rotation,
);

/// The app and Jira (through [`Api`]) with a Slack workspace: the bot, Riley (the Jira requester's e-mail), Grace
/// (an e-mail Jira does not know) and a channel.
pub(crate) struct Env {
    pub(crate) api: Api,
    pub(crate) slack: SlackSim,
    pub(crate) bot: Bot,
    pub(crate) riley: User,
    pub(crate) grace: User,
    pub(crate) channel: Conversation,
}

impl Env {
    pub(crate) async fn start(backend: Backend) -> Self {
        let slack = SlackSim::new();
        let team = slack.add_team("Acme Corp");
        let bot = slack.add_bot(&team.id, "clearance");
        let riley = slack.add_user(&team.id, "riley", "Riley R.", "Riley@Example.com");
        let grace = slack.add_user(&team.id, "grace", "Grace Hopper", "grace@else.test");
        let channel = slack.add_channel(&team.id, "data-requests");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().nest("/slack", slack_sim::router(slack.clone()));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let url = format!("http://{addr}/slack/api");
        let api = Api::start_with(backend, vec![("slack_api_url", url)]).await;
        Self {
            api,
            slack,
            bot,
            riley,
            grace,
            channel,
        }
    }

    /// An admin's call; the answer never contains the bot token.
    pub(crate) async fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, body) = self.api.admin(method, path, body).await;
        assert!(!body.to_string().contains(&self.bot.token), "{body}");
        (status, body)
    }

    /// `PUT /api/admin/slack` as an admin.
    pub(crate) async fn put_settings(&self, body: Value) -> (StatusCode, Value) {
        self.admin("PUT", "/api/admin/slack", Some(body)).await
    }

    /// No Slack settings, no mapping and no Slack audit event are stored.
    async fn nothing_stored(&self) {
        let tenant = &self.api.tenant;
        assert!(self.store().slack_settings(tenant).await.unwrap().is_none());
        assert!(
            self.store()
                .slack_user_mappings(tenant)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(self.slack_audit().await, []);
    }

    /// The Slack audit events `(action, actor, detail)`, oldest first.
    async fn slack_audit(&self) -> Vec<(String, String, String)> {
        let mut events = self.api.audit_actions().await;
        events.retain(|(action, _, _)| action.starts_with("slack."));
        events
    }

    /// Store the bot token and the channel.
    pub(crate) async fn connect(&self) {
        let body = json!({"botToken": self.bot.token, "channel": self.channel.id});
        let (status, body) = self.put_settings(body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    pub(crate) async fn tenant(&self) -> Tenant {
        let key = self.api.jira().client_key();
        self.api.app.tenant(&key).await.unwrap().tenant
    }

    pub(crate) fn store(&self) -> &Store {
        &self.api.app.state.store
    }
}

async fn settings_are_checked_stored_and_tested(backend: Backend) {
    let env = Env::start(backend).await;
    let (status, body) = env.admin("GET", "/api/admin/slack", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["slack"]["tokenSet"], false, "{body}");

    // Refused input changes nothing: a token Slack refuses (in Slack's words), malformed fields.
    let refused = [
        (json!({"botToken": "xoxb-1-2-wrong"}), "invalid_auth"),
        (
            json!({"botToken": "hunter2"}),
            "botToken: not a Slack bot token",
        ),
        (json!({"botToken": "xoxp-1-2-3"}), "not a bot token"),
        (
            json!({"botToken": null}),
            "botToken: a token cannot be removed",
        ),
        (
            json!({"channel": "#general"}),
            "channel: use the channel's ID",
        ),
        (
            json!({"privacyMention": "privacy-team"}),
            "privacyMention: use the user group's ID",
        ),
        (
            json!({"secretInDm": "yes"}),
            "secretInDm: must be true or false",
        ),
        (json!({"webhook": "https://x"}), "webhook: unknown field"),
        (json!(["botToken"]), "body: must be a JSON object"),
    ];
    for (input, expected) in refused {
        let (status, body) = env.put_settings(input).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(expected), "{error}");
    }
    assert_eq!(
        env.slack.call_count("auth.test"),
        1,
        "only the well-formed token reached Slack"
    );
    env.nothing_stored().await;

    let group = "S0614TZR7";
    let body = json!({"botToken": env.bot.token, "channel": env.channel.id, "privacyMention": group, "secretInDm": true});
    let (status, body) = env.put_settings(body).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let shown = &body["slack"];
    assert_eq!(shown["tokenSet"], true);
    assert_eq!(shown["team"]["name"], "Acme Corp");
    assert_eq!(shown["botUserId"], env.bot.user_id.as_str());
    assert_eq!(
        (shown["channel"].as_str(), shown["privacyMention"].as_str()),
        (Some(env.channel.id.as_str()), Some(group))
    );
    assert_eq!(
        (shown["secretInDm"].as_bool(), shown["updatedBy"].as_str()),
        (Some(true), Some(people::ADMIN))
    );
    assert_eq!(body["tokenReplaced"], true);

    // Fields left out keep their values; null clears the optional ones.
    let (status, body) = env.put_settings(json!({"privacyMention": null})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tokenReplaced"], false);
    let (_, body) = env.admin("GET", "/api/admin/slack", None).await;
    let shown = &body["slack"];
    assert_eq!(
        (shown["tokenSet"].as_bool(), shown["tokenProblem"].clone()),
        (Some(true), Value::Null)
    );
    assert_eq!(shown["channel"], env.channel.id.as_str());
    assert_eq!(
        (
            shown["privacyMention"].clone(),
            shown["secretInDm"].as_bool()
        ),
        (Value::Null, Some(true))
    );

    // The test notice lands in the channel; without a channel, or where the bot may not post, it says why.
    let (status, body) = env.admin("POST", "/api/admin/slack/test", None).await;
    assert_eq!(
        (status, body["ok"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{body}"
    );
    let posted = env.slack.messages_in(&env.channel.id);
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].text, "Clearance can post in this channel");
    env.put_settings(json!({"channel": null})).await;
    let (_, body) = env.admin("POST", "/api/admin/slack/test", None).await;
    assert_eq!(
        (body["ok"].as_bool(), body["problem"].as_str()),
        (Some(false), Some("no_channel")),
        "{body}"
    );
    env.put_settings(json!({"channel": env.channel.id})).await;
    env.slack.keep_bot_out_of(&env.channel.id);
    let (_, body) = env.admin("POST", "/api/admin/slack/test", None).await;
    assert_eq!(body["problem"], "not_in_channel", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("/invite"),
        "{body}"
    );

    let audited = env.slack_audit().await;
    assert_eq!(audited.len(), 4);
    for (action, actor, detail) in &audited {
        assert_eq!(
            (action.as_str(), actor.as_str()),
            ("slack.settings_updated", people::ADMIN)
        );
        assert!(!detail.contains(&env.bot.token), "{detail}");
    }
    assert!(
        audited[0].2.contains(r#""tokenReplaced":true"#),
        "{}",
        audited[0].2
    );
    env.api.app.cleanup().await;
}

async fn user_mapping_is_audited(backend: Backend) {
    let env = Env::start(backend).await;
    let path = format!("/api/admin/slack/users/{}", people::REQUESTER);
    let (status, body) = env
        .admin("PUT", &path, Some(json!({"slackUserId": env.grace.id})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["created"].as_bool(),
            body["user"]["slackUserId"].as_str()
        ),
        (Some(true), Some(env.grace.id.as_str()))
    );
    let (_, body) = env
        .admin("PUT", &path, Some(json!({"slackUserId": env.riley.id})))
        .await;
    assert_eq!(
        (
            body["created"].as_bool(),
            body["previousSlackUserId"].as_str()
        ),
        (Some(false), Some(env.grace.id.as_str()))
    );

    for (input, expected) in [
        (
            json!({"slackUserId": "riley"}),
            "slackUserId: use the person's Slack member ID",
        ),
        (json!({"slackUserId": "C0A1B2C3D4"}), "slackUserId"),
        (json!({"slack": "U0A1B2C3D4"}), "slack: unknown field"),
    ] {
        let (status, body) = env.admin("PUT", &path, Some(input)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"].as_str().unwrap().contains(expected), "{body}");
    }
    let (status, _) = env
        .admin(
            "PUT",
            "/api/admin/slack/users/bad%20id",
            Some(json!({"slackUserId": env.riley.id})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, body) = env.admin("GET", "/api/admin/slack/users", None).await;
    let users = body["users"].as_array().unwrap();
    assert_eq!(users.len(), 1, "{body}");
    assert_eq!(
        (
            users[0]["accountId"].as_str(),
            users[0]["slackUserId"].as_str()
        ),
        (Some(people::REQUESTER), Some(env.riley.id.as_str()))
    );
    assert_eq!(users[0]["updatedBy"], people::ADMIN);

    let (status, _) = env.admin("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = env.admin("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, body) = env.admin("GET", "/api/admin/slack/users", None).await;
    assert_eq!(body["users"], json!([]));

    let audited = env.slack_audit().await;
    let actions: Vec<&str> = audited.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "slack.user_mapped",
            "slack.user_mapped",
            "slack.user_unmapped"
        ]
    );
    assert!(
        audited[1]
            .2
            .contains(&format!(r#""previous":"{}""#, env.grace.id)),
        "{}",
        audited[1].2
    );
    assert!(
        audited
            .iter()
            .all(|(_, actor, d)| actor == people::ADMIN && d.contains(people::REQUESTER))
    );
    env.api.app.cleanup().await;
}

async fn only_admins_manage_slack(backend: Backend) {
    let env = Env::start(backend).await;
    let user_path = format!("/api/admin/slack/users/{}", people::REQUESTER);
    let calls = [
        ("GET", "/api/admin/slack", None),
        (
            "PUT",
            "/api/admin/slack",
            Some(json!({"botToken": env.bot.token})),
        ),
        ("POST", "/api/admin/slack/test", None),
        ("GET", "/api/admin/slack/users", None),
        (
            "PUT",
            user_path.as_str(),
            Some(json!({"slackUserId": env.riley.id})),
        ),
        ("DELETE", user_path.as_str(), None),
    ];
    for who in [people::REQUESTER, people::ANALYST, people::PRIVACY_OFFICER] {
        for (method, path, body) in &calls {
            let (status, text) = env.api.call(who, method, path, body.clone()).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{who} {method} {path}: {text}"
            );
        }
    }
    assert_eq!(env.slack.call_count("auth.test"), 0);
    env.nothing_stored().await;
    env.api.app.cleanup().await;
}

/// Run `sql` with text parameters on the app's own database: the first column of the first row, if any.
async fn raw_sql(store: &Store, sql: &str, params: &[&str]) -> Option<String> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match store {
        Store::Sqlite(pool, _) => {
            let q = params
                .iter()
                .fold(sqlx::query_scalar(sql), |q, p| q.bind(*p));
            q.fetch_optional(pool).await
        }
        Store::Postgres(pool) => {
            let q = params
                .iter()
                .fold(sqlx::query_scalar(sql), |q, p| q.bind(*p));
            q.fetch_optional(pool).await
        }
    }
    .unwrap()
}

/// The whole settings row as text (every column set), read with plain SQL.
async fn raw_row(store: &Store, tenant_id: &str) -> String {
    let sql = "SELECT tenant_id || '|' || bot_token_sealed || '|' || team_id || '|' || team_name || '|' || \
               bot_user_id || '|' || COALESCE(notice_channel, '') || '|' || updated_by FROM slack_settings \
               WHERE tenant_id = $1";
    raw_sql(store, sql, &[tenant_id]).await.unwrap()
}

async fn raw_token(store: &Store, tenant_id: &str) -> String {
    let sql = "SELECT bot_token_sealed FROM slack_settings WHERE tenant_id = $1";
    raw_sql(store, sql, &[tenant_id]).await.unwrap()
}

async fn token_is_sealed_and_survives_rotation(backend: Backend) {
    let env = Env::start(backend).await;
    env.connect().await;
    let (token, tenant_id) = (env.bot.token.as_str(), env.api.tenant.as_str());
    let row = raw_row(env.store(), tenant_id).await;
    for part in token.split('-').skip(1) {
        assert!(!row.contains(part), "{part} of the token in {row}");
    }
    assert!(row.contains("Acme Corp"), "{row}");
    let sealed = raw_token(env.store(), tenant_id).await;
    assert!(sealed.starts_with("v1."));
    let keys = env.api.keys();
    let context = slack_token_context(tenant_id);
    assert_eq!(keys.open(&context, &sealed).unwrap().expose_secret(), token);

    // Sealed for another tenant, the same token does not open here: the API says so, sending fails, pasting repairs.
    let foreign = keys.seal(&slack_token_context("another-tenant"), token);
    let update = "UPDATE slack_settings SET bot_token_sealed = $1 WHERE tenant_id = $2";
    raw_sql(env.store(), update, &[&foreign, tenant_id]).await;
    let (_, body) = env.admin("GET", "/api/admin/slack", None).await;
    let problem = body["slack"]["tokenProblem"].as_str().unwrap_or_default();
    assert!(problem.contains("paste the bot token again"), "{body}");
    let tenant = env.tenant().await;
    let err = slack::send_dm(
        &env.api.app.state,
        &tenant,
        people::REQUESTER,
        &delivery::hello(),
    )
    .await;
    assert_eq!(err.unwrap_err().code(), "not_configured");
    env.connect().await;
    let (_, body) = env.admin("GET", "/api/admin/slack", None).await;
    assert_eq!(body["slack"]["tokenProblem"], Value::Null, "{body}");

    let new_key = MasterKeys::generate();
    let old = std::slice::from_ref(&env.api.app.master_key);
    let both = MasterKeys::parse(new_key.expose_secret(), old).unwrap();
    let report = reseal_all(env.store(), &both).await.unwrap();
    let counts = (report.resealed, report.current, report.raced);
    assert_eq!(counts, (2, 0, 0), "the tenant secret and the Slack token");
    let resealed = raw_token(env.store(), tenant_id).await;
    let only_new = MasterKeys::parse(new_key.expose_secret(), &[]).unwrap();
    assert!(only_new.is_current(&resealed) && resealed != sealed);
    assert_eq!(
        only_new.open(&context, &resealed).unwrap().expose_secret(),
        token
    );
    let again = reseal_all(env.store(), &both).await.unwrap();
    assert_eq!((again.resealed, again.current), (0, 2));
    env.api.app.cleanup().await;
}
