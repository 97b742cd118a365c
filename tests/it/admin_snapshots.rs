//! Snapshots of the admin API's main `GET` answers (settings, recipes, retention, data sources, jobs, Slack and its
//! user mapping, age keys) on a site that has just delivered a request, driven through the real HTTP API. See
//! `panel_snapshots.rs` for how to update them.

use clearance_sandbox::jira::people;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::delivery_flow::{Flow, until};

/// `GET path` as the site admin; the answer must be a success.
async fn get(f: &Flow, path: &str) -> Value {
    let (status, v) = f.site.call(people::ADMIN, "GET", path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {v}");
    v
}

/// Kinds of job done by the time a request is delivered, one listed of each.
const DONE_KINDS: [&str; 4] = ["deliver_secret", "extract", "issue_writeback", "sync_issue"];

/// The done jobs' list once it holds every kind of [`DONE_KINDS`], cut to the first job of each, in that order (how
/// many of each there are, and their order, depend on timing).
async fn done_jobs(f: &Flow) -> Value {
    until(|| async {
        let mut v = get(f, "/api/admin/jobs?state=done").await;
        let jobs = v["jobs"].as_array()?;
        let one_each: Vec<Value> = DONE_KINDS
            .iter()
            .map(|kind| jobs.iter().find(|j| j["kind"] == *kind).cloned())
            .collect::<Option<_>>()?;
        v["jobs"] = Value::Array(one_each);
        Some(v)
    })
    .await
}

/// The admin answers, under the caller's snapshot settings.
pub(crate) async fn admin_answers(f: &Flow) {
    let s = &f.site;
    let recipe = json!({"sql": "SELECT country, count(*) FROM customers GROUP BY country",
                        "description": "Customers per country", "source": "warehouse"});
    let (status, v) = s
        .call(
            people::ADMIN,
            "PUT",
            "/api/admin/recipes/per-country",
            Some(recipe),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let key = age::x25519::Identity::generate().to_public().to_string();
    let (status, v) = s
        .call(
            people::REQUESTER,
            "PUT",
            "/api/panel/me/age-key",
            Some(json!({"publicKey": key})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");

    insta::assert_json_snapshot!("admin_settings", get(f, "/api/admin/settings").await);
    insta::assert_json_snapshot!("admin_recipes", get(f, "/api/admin/recipes").await);
    insta::assert_json_snapshot!("admin_retention", get(f, "/api/admin/retention").await);
    insta::assert_json_snapshot!("admin_sources", get(f, "/api/admin/sources").await);
    insta::assert_json_snapshot!("admin_jobs_done", done_jobs(f).await);
    insta::assert_json_snapshot!("admin_slack", get(f, "/api/admin/slack").await);
    insta::assert_json_snapshot!("admin_slack_users", get(f, "/api/admin/slack/users").await);
    insta::assert_json_snapshot!("admin_age_keys", get(f, "/api/admin/age-keys").await);
}
