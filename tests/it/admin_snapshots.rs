//! Snapshots of the admin API's main `GET` answers (settings, recipes, retention, data sources, jobs, Slack and its
//! user mapping, age keys) on a site that has just delivered a request, driven through the real HTTP API. See
//! `panel_snapshots.rs` for how to update them.

use clearance_sandbox::jira::people;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::delivery_flow::Flow;

/// `GET path` as the site admin; the answer must be a success.
async fn get(f: &Flow, path: &str) -> Value {
    let (status, v) = f.site.call(people::ADMIN, "GET", path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {v}");
    v
}

/// Sort a list of objects by some of their fields, for lists whose order among equals is not fixed.
fn sorted_by(mut v: Value, list: &str, keys: &[&str]) -> Value {
    if let Some(items) = v[list].as_array_mut() {
        items.sort_by_key(|i| keys.iter().map(|k| i[*k].to_string()).collect::<Vec<_>>());
    }
    v
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
    let done = sorted_by(
        get(f, "/api/admin/jobs?state=done").await,
        "jobs",
        &["kind"],
    );
    insta::assert_json_snapshot!("admin_jobs_done", done);
    insta::assert_json_snapshot!("admin_slack", get(f, "/api/admin/slack").await);
    insta::assert_json_snapshot!("admin_slack_users", get(f, "/api/admin/slack/users").await);
    insta::assert_json_snapshot!("admin_age_keys", get(f, "/api/admin/age-keys").await);
}
