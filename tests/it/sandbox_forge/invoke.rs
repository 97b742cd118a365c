//! `invokeRemote`: what the remote receives, what the bridge resolves to, and the errors and limits Forge applies.

use std::time::Duration;

use clearance_sandbox::jira::{
    ForgeRemote, ISSUE_PANEL, InvokeError, InvokeSpec, PANEL_KEY, SimOptions, people,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{EVENTS, fast, http, installed, remote::Reply};

fn panel_call(key: &str, method: &str, path: &str, body: Option<Value>) -> InvokeSpec {
    InvokeSpec {
        module_key: PANEL_KEY.into(),
        module_type: ISSUE_PANEL.into(),
        principal: people::ANALYST.into(),
        issue: Some(key.into()),
        method: method.into(),
        path: path.into(),
        headers: vec![("x-custom".into(), "yes".into())],
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_remote_answers_and_fails_as_forge_does() {
    let options = SimOptions {
        forge_invoke_timeout: Duration::from_millis(700),
        ..fast()
    };
    let (sim, remote) = installed(options, true).await;
    let key = sim.create_issue("DATA", "x", "", &[], people::REQUESTER);
    remote.wait_at(EVENTS, 1).await;

    // 2xx JSON: status, headers and body; the remote got the FIT with context and principal, both tokens.
    remote.reply(Reply::json(201, json!({"saved": true})).with_header("x-answer", "42"));
    let ok = sim
        .forge_invoke_remote(panel_call(
            &key,
            "POST",
            "/forge/ui/plan?x=1",
            Some(json!({"sql": "select 1"})),
        ))
        .await
        .unwrap();
    assert_eq!(ok.status, 201);
    assert_eq!(ok.body, Some(json!({"saved": true})));
    assert_eq!(ok.headers["x-answer"], ["42"]);
    let got = remote.wait_at("/forge/ui/plan", 1).await;
    let g = &got[0];
    assert_eq!(
        (g.method.as_str(), g.path.as_str()),
        ("POST", "/forge/ui/plan?x=1")
    );
    assert_eq!(g.body, json!({"sql": "select 1"}));
    assert_eq!(g.header("x-custom"), Some("yes"));
    assert_eq!(g.header("content-type"), Some("application/json"));
    assert!(g.header("x-b3-traceid").is_some());
    let c = g.claims();
    assert_eq!(c["principal"], people::ANALYST);
    assert_eq!(c["context"]["extension"]["issue"]["key"], key);
    assert_eq!(
        c["app"]["module"],
        json!({"type": ISSUE_PANEL, "key": PANEL_KEY})
    );
    let user_token = g.header("x-forge-oauth-user").unwrap();
    let me: Value = http()
        .get(format!("{}/rest/api/3/myself", sim.api_base_url()))
        .bearer_auth(user_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["accountId"], people::ANALYST);
    assert!(g.header("x-forge-oauth-system").is_some());

    // Non-2xx with a JSON body: resolved with the status.
    remote.reply(Reply::json(409, json!({"error": "conflict"})));
    let r = sim
        .forge_invoke_remote(panel_call(&key, "GET", "/forge/ui/state", None))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.body),
        (409, Some(json!({"error": "conflict"})))
    );

    // Rejections: 401, 3xx, non-JSON error, non-JSON success, a non-2xx without body, a timeout.
    let cases = [
        (
            Reply::json(401, json!({"error": "no"})),
            InvokeError::InvalidToken,
        ),
        (
            Reply::status(302).with_header("location", "/elsewhere"),
            InvokeError::Redirect { status: 302 },
        ),
        (
            Reply::text(500, "text/plain", "boom"),
            InvokeError::NotJson {
                status: 500,
                content_type: Some("text/plain".into()),
            },
        ),
        (
            Reply::text(200, "text/html", "<p>hi</p>"),
            InvokeError::NotJson {
                status: 200,
                content_type: Some("text/html".into()),
            },
        ),
        (
            Reply::status(404),
            InvokeError::NotJson {
                status: 404,
                content_type: None,
            },
        ),
        (
            Reply::json(200, json!({})).after(Duration::from_millis(1500)),
            InvokeError::Timeout,
        ),
    ];
    for (reply, expected) in cases {
        remote.reply(reply);
        let err = sim
            .forge_invoke_remote(panel_call(&key, "GET", "/forge/ui/state", None))
            .await
            .unwrap_err();
        assert_eq!(err, expected);
    }
    assert_eq!(
        InvokeError::InvalidToken.to_string(),
        "Remote could not verify the Forge Invocation Token"
    );

    // Refused before the remote sees anything: over 500 KB, a method Forge does not proxy, another origin.
    remote.clear();
    let big = json!({"ids": "x".repeat(500_001)});
    let err = sim
        .forge_invoke_remote(panel_call(&key, "POST", "/forge/ui/ids", Some(big)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, InvokeError::RequestTooLarge { limit: 500_000, .. }),
        "{err:?}"
    );
    let just_fits = json!({"ids": "x".repeat(499_000)});
    assert!(
        sim.forge_invoke_remote(panel_call(&key, "POST", "/forge/ui/ids", Some(just_fits)))
            .await
            .is_ok()
    );
    assert_eq!(
        sim.forge_invoke_remote(panel_call(&key, "HEAD", "/x", None))
            .await
            .unwrap_err(),
        InvokeError::MethodNotAllowed("HEAD".into())
    );
    assert!(matches!(
        sim.forge_invoke_remote(panel_call(&key, "GET", "//evil.example/x", None))
            .await
            .unwrap_err(),
        InvokeError::BadPath(_)
    ));
    assert_eq!(
        remote.at("/forge/ui/ids").len(),
        1,
        "only the call that fits"
    );

    // The same over HTTP, for a browser stand-in of the bridge.
    remote.reply(Reply::json(200, json!({"hello": "panel"})));
    let r: Value = http()
        .post(format!("{}/_sandbox/forge/invoke", sim.base_url()))
        .json(
            &json!({"moduleKey": PANEL_KEY, "moduleType": ISSUE_PANEL, "as": people::ANALYST,
                      "issueKey": key, "method": "GET", "path": "/forge/ui/hello"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["status"].as_u64(), &r["body"]),
        (Some(200), &json!({"hello": "panel"}))
    );
    remote.reply(Reply::json(401, json!({})));
    let r = http()
        .post(format!("{}/_sandbox/forge/invoke", sim.base_url()))
        .json(
            &json!({"moduleKey": PANEL_KEY, "moduleType": ISSUE_PANEL, "as": people::ANALYST,
                      "method": "GET", "path": "/forge/ui/hello"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "INVALID_FORGE_INVOCATION_TOKEN"
    );

    // A remote that cannot be reached: a network error.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    sim.forge_install(ForgeRemote::at(&dead_url));
    assert!(matches!(
        sim.forge_invoke_remote(panel_call(&key, "GET", "/x", None))
            .await
            .unwrap_err(),
        InvokeError::Network(_)
    ));
}
