//! Tests of the sandbox (slack): the Web API, incoming webhooks, faults and the inbox pages, over HTTP, with the
//! simulator nested under `/slack` as the demo mounts it.

use axum::{Router, http::StatusCode};
use clearance_sandbox::slack::{self, Bot, Conversation, SlackSim, Team, User, Webhook};
use serde_json::{Value, json};
use tokio::net::TcpListener;

struct Sim {
    sim: SlackSim,
    /// `http://127.0.0.1:PORT/slack`
    base: String,
    http: reqwest::Client,
    team: Team,
    bot: Bot,
    ada: User,
    grace: User,
    general: Conversation,
    hook: Webhook,
}

async fn spawn() -> Sim {
    let sim = SlackSim::new();
    let team = sim.add_team("Acme Corp");
    let bot = sim.add_bot(&team.id, "clearance");
    let ada = sim.add_user(&team.id, "ada", "Ada Lovelace", "ada@acme.test");
    let grace = sim.add_user(&team.id, "grace", "Grace Hopper", "grace@acme.test");
    let general = sim.add_channel(&team.id, "general");
    let hook = sim.add_webhook(&general.id, "Data requests");
    let app = Router::new().nest("/slack", slack::router(sim.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    Sim {
        sim,
        base: format!("http://{addr}/slack"),
        http: reqwest::Client::new(),
        team,
        bot,
        ada,
        grace,
        general,
        hook,
    }
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    ser.finish()
}

impl Sim {
    fn api(&self, method: &str) -> String {
        format!("{}/api/{method}", self.base)
    }

    /// POST a JSON body with `token` as bearer (none when `None`).
    async fn json_call(
        &self,
        method: &str,
        token: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(self.api(method))
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string());
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status();
        (status, resp.json().await.expect("json body"))
    }

    /// POST with the bot token as bearer.
    async fn call(&self, method: &str, body: Value) -> Value {
        let (status, body) = self.json_call(method, Some(&self.bot.token), body).await;
        assert_eq!(status, StatusCode::OK, "{method}: {body}");
        body
    }

    /// POST a form body (the token as a form field if given in `pairs`).
    async fn form_call(&self, method: &str, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(self.api(method))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(pairs))
            .send()
            .await
            .expect("send");
        let status = resp.status();
        (status, resp.json().await.expect("json body"))
    }

    async fn webhook(&self, path: &str, content_type: &str, body: &str) -> (StatusCode, String) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .expect("send");
        let status = resp.status();
        (status, resp.text().await.expect("text"))
    }

    async fn page(&self, path: &str) -> (StatusCode, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("send");
        let status = resp.status();
        (status, resp.text().await.expect("text"))
    }
}

fn error_of(body: &Value) -> &str {
    assert_eq!(body["ok"], false, "expected an error: {body}");
    body["error"].as_str().unwrap_or("")
}

#[tokio::test]
async fn auth_test_identifies_the_bot() {
    let s = spawn().await;
    let body = s.call("auth.test", json!({})).await;
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["url"], "https://acme-corp.slack.com/");
    assert_eq!(body["team"], "Acme Corp");
    assert_eq!(body["user"], "clearance");
    assert_eq!(body["team_id"], s.team.id.as_str());
    assert_eq!(body["user_id"], s.bot.user_id.as_str());
    assert_eq!(body["bot_id"], s.bot.bot_id.as_str());
    assert!(s.team.id.starts_with("T0") && s.bot.token.starts_with("xoxb-"));
    assert!(s.ada.id.starts_with("U0"));
}

#[tokio::test]
async fn tokens_are_checked_like_slack() {
    let s = spawn().await;
    let (status, body) = s.json_call("auth.test", None, json!({})).await;
    assert_eq!((status, error_of(&body)), (StatusCode::OK, "not_authed"));
    // Slack never reads a token from a JSON body.
    let (_, body) = s
        .json_call("auth.test", None, json!({"token": s.bot.token}))
        .await;
    assert_eq!(error_of(&body), "not_authed");
    let (status, body) = s
        .json_call("auth.test", Some("xoxb-1-2-nope"), json!({}))
        .await;
    assert_eq!((status, error_of(&body)), (StatusCode::OK, "invalid_auth"));
    // A token form field works, a wrong one does not.
    let (_, body) = s.form_call("auth.test", &[("token", &s.bot.token)]).await;
    assert_eq!(body["ok"], true, "{body}");
    let (_, body) = s.form_call("auth.test", &[("token", "xoxb-wrong")]).await;
    assert_eq!(error_of(&body), "invalid_auth");
    let (_, body) = s.form_call("auth.test", &[]).await;
    assert_eq!(error_of(&body), "not_authed");

    s.sim.set_invalid_auth(true);
    let (_, body) = s
        .json_call("auth.test", Some(&s.bot.token), json!({}))
        .await;
    assert_eq!(error_of(&body), "invalid_auth");
    s.sim.set_invalid_auth(false);
    s.sim.revoke_token(&s.bot.token);
    let (_, body) = s
        .json_call("auth.test", Some(&s.bot.token), json!({}))
        .await;
    assert_eq!(error_of(&body), "token_revoked");
    s.sim.clear_faults();
    assert_eq!(s.call("auth.test", json!({})).await["ok"], true);
}

#[tokio::test]
async fn lookup_by_email() {
    let s = spawn().await;
    let other = s.sim.add_team("Elsewhere");
    s.sim.add_user(&other.id, "eve", "Eve", "eve@else.test");

    let body = s
        .call("users.lookupByEmail", json!({"email": "ADA@acme.test"}))
        .await;
    assert_eq!(body["ok"], true, "{body}");
    let user = &body["user"];
    assert_eq!(user["id"], s.ada.id.as_str());
    assert_eq!(user["team_id"], s.team.id.as_str());
    assert_eq!(user["name"], "ada");
    assert_eq!(user["real_name"], "Ada Lovelace");
    assert_eq!(user["profile"]["email"], "ada@acme.test");
    assert_eq!(user["profile"]["real_name"], "Ada Lovelace");
    assert_eq!(user["profile"]["display_name"], "ada");

    let (_, body) = s
        .form_call(
            "users.lookupByEmail",
            &[("token", &s.bot.token), ("email", "grace@acme.test")],
        )
        .await;
    assert_eq!(body["user"]["id"], s.grace.id.as_str(), "{body}");

    let body = s
        .call("users.lookupByEmail", json!({"email": "nobody@acme.test"}))
        .await;
    assert_eq!(error_of(&body), "users_not_found");
    let body = s
        .call("users.lookupByEmail", json!({"email": "eve@else.test"}))
        .await;
    assert_eq!(error_of(&body), "users_not_found");
}

#[tokio::test]
async fn dm_lands_in_the_users_inbox() {
    let s = spawn().await;
    let opened = s
        .call("conversations.open", json!({"users": s.ada.id}))
        .await;
    let dm = opened["channel"]["id"]
        .as_str()
        .expect("channel id")
        .to_owned();
    assert!(dm.starts_with('D'), "{opened}");
    let again = s
        .call("conversations.open", json!({"users": s.ada.id}))
        .await;
    assert_eq!(again["channel"]["id"], dm.as_str());
    assert_eq!(again["already_open"], true);
    assert_eq!(s.sim.dm_channel(&s.ada.id).as_deref(), Some(dm.as_str()));

    let blocks = json!([
        {"type": "header", "text": {"type": "plain_text", "text": "Data request PROJ-7"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Your file is ready: <https://jira.test/browse/PROJ-7|open PROJ-7>"}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Secret expires in *7 days*"}]}
    ]);
    let body = s
        .call(
            "chat.postMessage",
            json!({"channel": dm, "text": "Your file is ready", "blocks": blocks, "unfurl_links": false}),
        )
        .await;
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["channel"], dm.as_str());
    let ts = body["ts"].as_str().expect("ts");
    let (secs, micros) = ts.split_once('.').expect("ts has a dot");
    assert!(secs.len() >= 10 && micros.len() == 6, "{ts}");
    assert_eq!(body["message"]["text"], "Your file is ready");
    assert_eq!(body["message"]["bot_id"], s.bot.bot_id.as_str());

    let inbox = s.sim.inbox(&s.ada.id);
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].channel, dm);
    assert_eq!(inbox[0].ts, ts);
    assert_eq!(inbox[0].user.as_deref(), Some(s.bot.user_id.as_str()));
    assert_eq!(inbox[0].blocks.as_ref(), Some(&blocks));
    assert_eq!(inbox[0].unfurl_links, Some(false));
    assert!(s.sim.inbox(&s.grace.id).is_empty());

    let (status, html) = s.page(&format!("/inbox/{}", s.ada.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Data request PROJ-7"), "{html}");
    assert!(
        html.contains(r#"<a href="https://jira.test/browse/PROJ-7""#),
        "{html}"
    );
    assert!(html.contains(r#"<span class="b">7 days</span>"#), "{html}");
    assert!(html.contains("clearance") && html.contains("Direct message"));
    let (_, other) = s.page(&format!("/inbox/{}", s.grace.id)).await;
    assert!(!other.contains("Data request PROJ-7"));
    let (status, _) = s.page("/inbox/U0NOBODY").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The index links to each inbox, relative to wherever the simulator is mounted.
    let (_, index) = s.page("/inbox").await;
    let href = format!(r#"href="inbox/{}""#, s.ada.id);
    assert!(
        index.contains(&href) && index.contains("Ada Lovelace"),
        "{index}"
    );
    let base = reqwest::Url::parse(&format!("{}/inbox", s.base)).expect("url");
    let link = base.join(&format!("inbox/{}", s.ada.id)).expect("join");
    assert_eq!(link.as_str(), format!("{}/inbox/{}", s.base, s.ada.id));
}

#[tokio::test]
async fn form_bodies_carry_blocks_as_a_json_string() {
    let s = spawn().await;
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "from a form"}}]);
    let blocks_str = blocks.to_string();
    let (status, body) = s
        .form_call(
            "chat.postMessage",
            &[
                ("token", &s.bot.token),
                ("channel", &s.ada.id),
                ("blocks", &blocks_str),
                ("unfurl_media", "false"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], true, "{body}");
    let dm = body["channel"].as_str().expect("channel");
    assert!(
        dm.starts_with('D'),
        "posting to a user id goes to the bot's DM: {body}"
    );
    let msg = &s.sim.messages_in(dm)[0];
    assert_eq!(msg.blocks.as_ref(), Some(&blocks));
    assert_eq!(msg.text, "");
    assert_eq!(msg.unfurl_media, Some(false));
    assert_eq!(s.sim.inbox(&s.ada.id).len(), 1);

    // JSON without a charset works, with Slack's warning.
    let resp = s
        .http
        .post(s.api("chat.postMessage"))
        .bearer_auth(&s.bot.token)
        .header("content-type", "application/json")
        .body(json!({"channel": "#general", "text": "hello"}).to_string())
        .send()
        .await
        .expect("send");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["channel"], s.general.id.as_str());
    assert_eq!(body["warning"], "missing_charset");
}

#[tokio::test]
async fn post_message_errors() {
    let s = spawn().await;
    let post = |body: Value| s.call("chat.postMessage", body);
    let ch = s.general.id.as_str();
    assert_eq!(error_of(&post(json!({"channel": ch})).await), "no_text");
    assert_eq!(
        error_of(&post(json!({"channel": ch, "text": "  ", "blocks": []})).await),
        "no_text"
    );
    let bad = json!({"channel": ch, "text": "x", "blocks": [{"text": "no type"}]});
    assert_eq!(error_of(&post(bad).await), "invalid_blocks");
    let bad = json!({"channel": ch, "text": "x", "blocks": ["divider"]});
    assert_eq!(error_of(&post(bad).await), "invalid_blocks");
    let (_, body) = s
        .form_call(
            "chat.postMessage",
            &[
                ("token", &s.bot.token),
                ("channel", ch),
                ("blocks", "not json"),
            ],
        )
        .await;
    assert_eq!(error_of(&body), "invalid_blocks_format");
    let unknown = post(json!({"channel": "C0NOPE", "text": "x"})).await;
    assert_eq!(error_of(&unknown), "channel_not_found");
    assert_eq!(
        error_of(&post(json!({"text": "x"})).await),
        "channel_not_found"
    );
    let long = "a".repeat(40_001);
    assert_eq!(
        error_of(&post(json!({"channel": ch, "text": long})).await),
        "msg_too_long"
    );
    let open = s
        .call("conversations.open", json!({"users": "U0NOBODY"}))
        .await;
    assert_eq!(error_of(&open), "user_not_found");
    assert!(s.sim.messages().is_empty());

    let resp = s
        .http
        .post(s.api("chat.nope"))
        .bearer_auth(&s.bot.token)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(error_of(&body), "unknown_method");
}

#[tokio::test]
async fn expired_inactive_tokens_missing_scopes_and_closed_channels() {
    let s = spawn().await;
    let (token, ch) = (s.bot.token.as_str(), s.general.id.as_str());
    s.sim.remove_scope(token, "users:read.email");
    let body = s
        .call("users.lookupByEmail", json!({"email": "ada@acme.test"}))
        .await;
    assert_eq!(error_of(&body), "missing_scope");
    assert_eq!(body["needed"], "users:read.email");
    assert_eq!(body["provided"], "chat:write,im:write,users:read");
    assert_eq!(s.call("auth.test", json!({})).await["ok"], true);

    s.sim.keep_bot_out_of(ch);
    let body = s
        .call("chat.postMessage", json!({"channel": ch, "text": "x"}))
        .await;
    assert_eq!(error_of(&body), "not_in_channel");
    assert!(s.sim.messages().is_empty());

    s.sim.expire_token(token);
    assert_eq!(
        error_of(&s.call("auth.test", json!({})).await),
        "token_expired"
    );
    s.sim.clear_faults();
    s.sim.deactivate_token(token);
    let body = s.call("auth.test", json!({})).await;
    assert_eq!(error_of(&body), "account_inactive");
    s.sim.clear_faults();
    let body = s
        .call("chat.postMessage", json!({"channel": ch, "text": "x"}))
        .await;
    assert_eq!(body["ok"], true, "{body}");
}

#[tokio::test]
async fn rate_limits_answer_429_then_recover() {
    let s = spawn().await;
    s.sim.rate_limit_next(1, 7);
    let resp = s
        .http
        .post(s.api("auth.test"))
        .bearer_auth(&s.bot.token)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok());
    assert_eq!(retry, Some("7"));
    let body: Value = resp.json().await.expect("json");
    assert_eq!(error_of(&body), "ratelimited");
    assert_eq!(s.call("auth.test", json!({})).await["ok"], true);

    s.sim.rate_limit_method("chat.postMessage", 30);
    let msg = json!({"channel": s.general.id, "text": "hi"});
    let (status, _) = s
        .json_call("chat.postMessage", Some(&s.bot.token), msg.clone())
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(s.call("auth.test", json!({})).await["ok"], true);
    s.sim.clear_rate_limits();
    assert_eq!(s.call("chat.postMessage", msg).await["ok"], true);
    assert_eq!(s.sim.call_count("chat.postMessage"), 2);
    assert_eq!(s.sim.messages().len(), 1);
}

#[tokio::test]
async fn incoming_webhooks() {
    let s = spawn().await;
    assert!(
        s.hook
            .path
            .starts_with(&format!("/services/{}/B", s.team.id))
    );
    let json_ct = "application/json";
    let (status, body) = s
        .webhook(&s.hook.path, json_ct, r#"{"text":"Nightly export done"}"#)
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let msgs = s.sim.messages_in(&s.general.id);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].text, "Nightly export done");
    assert_eq!(msgs[0].sender_name, "Data requests");
    assert_eq!(s.sim.inbox(&s.grace.id)[0].text, "Nightly export done");

    let wrong = format!("{}x", s.hook.path);
    let (status, body) = s.webhook(&wrong, json_ct, r#"{"text":"x"}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, "no_service")
    );
    let (status, body) = s.webhook(&s.hook.path, json_ct, "{not json").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_payload")
    );
    let (status, body) = s.webhook(&s.hook.path, json_ct, "").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_payload")
    );
    let (status, body) = s
        .webhook(&s.hook.path, json_ct, r#"{"username":"x"}"#)
        .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::BAD_REQUEST, "no_text")
    );
    let blocks = json!({"blocks": [{"type": "divider"}]}).to_string();
    let form = form_body(&[("payload", &blocks)]);
    let (status, _) = s
        .webhook(&s.hook.path, "application/x-www-form-urlencoded", &form)
        .await;
    assert_eq!(status, StatusCode::OK);

    s.sim.rate_limit_next(1, 2);
    let (status, _) = s.webhook(&s.hook.path, json_ct, r#"{"text":"x"}"#).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    s.sim.revoke_webhook(&s.hook.path);
    let (status, body) = s.webhook(&s.hook.path, json_ct, r#"{"text":"x"}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::FORBIDDEN, "invalid_token")
    );
    assert_eq!(s.sim.messages().len(), 2);
}

#[tokio::test]
async fn inbox_escapes_message_content() {
    let s = spawn().await;
    let blocks = json!([
        {"type": "header", "text": {"type": "plain_text", "text": "<script>alert('h')</script>"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "<javascript:alert(1)|click> &lt;script&gt;alert(2)&lt;/script&gt;"}}
    ]);
    let msg = json!({"channel": s.ada.id, "text": "fallback", "blocks": blocks});
    assert_eq!(s.call("chat.postMessage", msg).await["ok"], true);
    let text =
        json!({"channel": s.ada.id, "text": "&lt;script&gt;alert(3)&lt;/script&gt; \"quoted\""});
    assert_eq!(s.call("chat.postMessage", text).await["ok"], true);

    let (status, html) = s.page(&format!("/inbox/{}", s.ada.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    assert!(
        html.contains("&#60;script&#62;alert(&#39;h&#39;)"),
        "{html}"
    );
    assert!(html.contains("&#60;script&#62;alert(2)"), "{html}");
    assert!(html.contains("&#60;script&#62;alert(3)"), "{html}");
}
