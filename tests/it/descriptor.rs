//! The served descriptor: structure a Connect host would accept, filled from configuration, routes that exist.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    helpers::{Backend, Options, TestApp},
    on_each_backend,
};

on_each_backend!(descriptor_is_valid_and_routes_exist);

fn valid_module_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= 100 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn relative(url: &Value) -> &str {
    let s = url.as_str().expect("url is a string");
    assert!(
        s.starts_with('/'),
        "module/lifecycle URL {s:?} must be relative to baseUrl"
    );
    s
}

/// Check the descriptor as Jira's schema would (shared/reference/connect-protocol.md §1).
fn check(d: &Value, base_url: &str) {
    let key = d["key"].as_str().expect("key");
    assert!(
        key.len() <= 64
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
        "{key}"
    );
    assert_eq!(d["baseUrl"], base_url);
    assert!(d["baseUrl"].as_str().unwrap().starts_with("https://"));
    assert!(!d["baseUrl"].as_str().unwrap().ends_with('/'));
    assert_eq!(d["authentication"]["type"], "jwt");
    assert!(d["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert_eq!(d["apiMigrations"]["signed-install"], true);
    assert_eq!(d["apiMigrations"]["context-qsh"], true);
    // Exactly what the Jira calls need (tests/it/jira_scopes.rs takes each away in turn).
    let declared = clearance_sandbox::jira::scopes::descriptor_scopes(d);
    assert_eq!(d["scopes"].as_array().unwrap().len(), declared.len());
    assert_eq!(declared, clearance::jira::JiraOp::connect_scopes());
    for event in ["installed", "uninstalled", "enabled", "disabled"] {
        relative(&d["lifecycle"][event]);
    }
    let m = &d["modules"];
    let panels = m["webPanels"].as_array().expect("webPanels");
    assert!(
        panels
            .iter()
            .any(|p| p["location"] == "atl.jira.view.issue.right.context")
    );
    for p in panels {
        assert!(valid_module_key(p["key"].as_str().unwrap()));
        assert!(p["name"]["value"].is_string());
        relative(&p["url"]);
    }
    let admin = m["adminPages"].as_array().expect("adminPages");
    let general = m["generalPages"].as_array().expect("generalPages");
    for p in admin.iter().chain(general) {
        assert!(valid_module_key(p["key"].as_str().unwrap()));
        assert!(p["name"]["value"].is_string());
        relative(&p["url"]);
    }
    assert!(
        general
            .iter()
            .any(|p| p["key"] == "clearance-dashboard" && p["url"] == "/dashboard"),
        "the dashboard is a general page"
    );
    let events: Vec<&str> = m["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            relative(&w["url"]);
            w["event"].as_str().unwrap()
        })
        .collect();
    for e in [
        "jira:issue_created",
        "jira:issue_updated",
        "jira:issue_deleted",
        "comment_created",
    ] {
        assert!(events.contains(&e), "webhook {e} missing");
    }
    let props = m["jiraEntityProperties"]
        .as_array()
        .expect("jiraEntityProperties");
    let p = &props[0];
    assert!(valid_module_key(p["key"].as_str().unwrap()));
    assert_eq!(p["entityType"], "issue");
    let ex = &p["keyConfigurations"][0]["extractions"];
    assert!(ex.as_array().unwrap().iter().all(|e| {
        ["number", "text", "string", "user", "date"].contains(&e["type"].as_str().unwrap())
    }));
    assert!(!d.to_string().contains("{{"), "unfilled template token");
}

async fn descriptor_is_valid_and_routes_exist(backend: Backend) {
    let public = "https://clearance.example.com";
    let app = TestApp::spawn_with(
        backend.clone(),
        Options {
            settings: vec![("base_url", public.to_string())],
            ..Default::default()
        },
    )
    .await;
    let resp = app
        .http
        .get(format!("http://{}/atlassian-connect.json", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let d: Value = resp.json().await.unwrap();
    check(&d, public);
    assert_eq!(d["key"], crate::helpers::APP_KEY);

    // Every URL the descriptor names is served (an unauthenticated call gets 401, never 404).
    let local = |path: &str| format!("http://{}{}", app.addr, path);
    for event in ["installed", "uninstalled", "enabled", "disabled"] {
        let s = app
            .http
            .post(local(d["lifecycle"][event].as_str().unwrap()))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap()
            .status();
        assert!(
            s == StatusCode::UNAUTHORIZED || s == StatusCode::BAD_REQUEST,
            "{event}: {s}"
        );
    }
    let m = &d["modules"];
    for p in m["webPanels"]
        .as_array()
        .unwrap()
        .iter()
        .chain(m["adminPages"].as_array().unwrap())
        .chain(m["generalPages"].as_array().unwrap())
    {
        let url = p["url"]
            .as_str()
            .unwrap()
            .replace("{issue.key}", "DATA-1")
            .replace("{issue.id}", "1")
            .replace("{project.key}", "DATA");
        assert_eq!(
            app.http.get(local(&url)).send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{url}"
        );
    }
    for w in m["webhooks"].as_array().unwrap() {
        let s = app
            .http
            .post(local(w["url"].as_str().unwrap()))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{w}");
    }
    app.cleanup().await;

    // The default configuration (loopback http) still produces a well-formed descriptor, with its own base URL.
    let app = TestApp::spawn(backend).await;
    let d: Value = app
        .http
        .get(app.url("/atlassian-connect.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["baseUrl"], app.base_url);
    app.cleanup().await;
}
