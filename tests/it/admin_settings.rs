//! Site settings and recipes through the admin API: only admins change them; bad input is refused naming the field
//! and changes nothing; a change that would lock the admin out is refused; the trigger, the roles and the plan
//! defaults take effect at once; recipes are checked as read-only SQL and offered to analysts of projects that may
//! use their source. Every change is audited.

use clearance_sandbox::jira::people;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    dry_run::{Site, add_warehouse},
    helpers::Backend,
    on_each_backend,
    sandbox_jira::wait_for_async,
};

on_each_backend!(
    admins_change_roles_trigger_and_defaults,
    recipes_are_checked_and_offered_to_analysts,
);

/// `method path` with `who`'s context token; the status and JSON body.
async fn call(
    s: &Site,
    who: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    s.call(who, method, path, body).await
}

async fn audit_actions(s: &Site) -> Vec<(String, Value)> {
    let tenant = s.app.tenant(&s.sim.client_key()).await.unwrap().tenant.id;
    let events = s
        .app
        .state
        .store
        .audit_page(&tenant, 0, 10_000)
        .await
        .unwrap();
    events
        .into_iter()
        .map(|e| {
            let detail = e.detail_value().unwrap();
            (e.action, detail)
        })
        .collect()
}

async fn admins_change_roles_trigger_and_defaults(backend: Backend) {
    let s = Site::start(backend).await;
    for who in [people::ANALYST, people::PRIVACY_OFFICER, people::REQUESTER] {
        let (status, _) = call(&s, who, "GET", "/api/admin/settings", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        let body = json!({"triggerLabel": "mine"});
        let (status, _) = call(&s, who, "PUT", "/api/admin/settings", Some(body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    let (status, before) = call(&s, people::ADMIN, "GET", "/api/admin/settings", None).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let before = before["settings"].clone();
    assert_eq!(before["triggerLabel"], "data-request");
    assert_eq!(before["triggerProjects"], json!([]));
    assert_eq!(before["separationOfDuty"], true);
    assert_eq!(before["defaultFormat"], "csv");
    assert_eq!(before["defaultEncryption"], "age");
    assert_eq!(before["analystGroups"], json!(["clearance-analysts"]));

    // Refused input names the field and changes nothing.
    let audited = audit_actions(&s).await.len();
    for (body, field) in [
        (json!({"adminGroups": []}), "adminGroups"),
        (
            json!({"adminGroups": ["someone-elses-group"]}),
            "you would lose access",
        ),
        (json!({"triggerLabel": "data request"}), "triggerLabel"),
        (json!({"triggerProjects": ["9X"]}), "triggerProjects"),
        (json!({"defaultFormat": "pdf"}), "defaultFormat"),
        (
            json!({"triggerLabel": "ok", "analystGroup": ["typo"]}),
            "analystGroup",
        ),
        (json!({"privacyGroups": "one-group"}), "privacyGroups"),
    ] {
        let (status, v) = call(
            &s,
            people::ADMIN,
            "PUT",
            "/api/admin/settings",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(v["error"].as_str().unwrap().contains(field), "{body}: {v}");
        let (_, now) = call(&s, people::ADMIN, "GET", "/api/admin/settings", None).await;
        assert_eq!(now["settings"], before, "{body} changed nothing");
    }
    assert_eq!(audit_actions(&s).await.len(), audited, "nothing audited");

    let change = json!({"triggerLabel": "ask-data", "triggerProjects": ["data"], "separationOfDuty": false,
                        "defaultFormat": "xlsx", "defaultEncryption": "zip_aes"});
    let (status, v) = call(
        &s,
        people::ADMIN,
        "PUT",
        "/api/admin/settings",
        Some(change),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let after = v["settings"].clone();
    assert_eq!(after["triggerProjects"], json!(["DATA"]));
    assert_eq!(
        after["analystGroups"], before["analystGroups"],
        "left out: kept"
    );
    let (_, now) = call(&s, people::ADMIN, "GET", "/api/admin/settings", None).await;
    assert_eq!(now["settings"], after);
    let (action, detail) = audit_actions(&s).await.pop().unwrap();
    assert_eq!(action, "settings.updated");
    assert_eq!(detail["before"], before);
    assert_eq!(detail["after"], after);

    // New plans start with the defaults.
    let sources = format!("/api/panel/requests/{}/sources", s.issue_id);
    let (status, v) = call(&s, people::ANALYST, "GET", &sources, None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["defaults"],
        json!({"format": "xlsx", "encryption": "zip_aes"})
    );

    // The new label makes requests, in DATA only; the old one no longer does.
    let old = s.sim.create_issue(
        "DATA",
        "Old label",
        "",
        &["data-request"],
        people::REQUESTER,
    );
    let other = s
        .sim
        .create_issue("OPS", "Other project", "", &["ask-data"], people::REQUESTER);
    let new = s
        .sim
        .create_issue("DATA", "New label", "", &["ask-data"], people::REQUESTER);
    let tenant = s.app.tenant(&s.sim.client_key()).await.unwrap().tenant.id;
    let request_of = |key: &str| {
        let id = s.sim.issue(key).unwrap().id.to_string();
        let store = s.app.state.store.clone();
        let tenant = tenant.clone();
        async move { store.request_by_issue(&tenant, &id).await.unwrap() }
    };
    wait_for_async(|| request_of(&new)).await;
    wait_for_async(|| async {
        let busy = s
            .app
            .state
            .store
            .tenant_jobs(&tenant, "queued", 200)
            .await
            .unwrap()
            .len()
            + s.app
                .state
                .store
                .tenant_jobs(&tenant, "running", 200)
                .await
                .unwrap()
                .len();
        (busy == 0).then_some(())
    })
    .await;
    assert!(request_of(&old).await.is_none(), "old label");
    assert!(request_of(&other).await.is_none(), "other project");

    // Roles follow the groups at once: with analysts mapped elsewhere, the analyst is one no more.
    let body = json!({"analystGroups": ["data-team"]});
    let (status, _) = call(&s, people::ADMIN, "PUT", "/api/admin/settings", Some(body)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&s, people::ANALYST, "GET", &sources, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.app.cleanup().await;
}

async fn recipes_are_checked_and_offered_to_analysts(backend: Backend) {
    let s = Site::start(backend).await;
    let _ops = add_warehouse(&s.sim, &s.app, "ops-only").await;
    let body = json!({"allowedProjects": ["OPS"]});
    let (status, _) = call(
        &s,
        people::ADMIN,
        "PUT",
        "/api/admin/sources/ops-only",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let recipe = json!({"description": "Customers who agreed to marketing", "source": "warehouse",
                        "sql": "SELECT id, email FROM customers WHERE marketing_consent = 1"});
    let (status, _) = call(
        &s,
        people::ANALYST,
        "PUT",
        "/api/admin/recipes/Consent",
        Some(recipe.clone()),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "analysts use recipes; admins keep them"
    );
    let (status, _) = call(&s, people::ANALYST, "GET", "/api/admin/recipes", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    for (body, field) in [
        (json!({"sql": "DELETE FROM customers"}), "sql: "),
        (
            json!({"sql": "SELECT 1; SELECT 2", "source": "warehouse"}),
            "sql: ",
        ),
        (json!({"sql": "SELECT 1", "source": "nowhere"}), "source: "),
        (json!({"sql": "   "}), "sql: "),
        (json!({"description": "no sql"}), "sql"),
    ] {
        let (status, v) = call(
            &s,
            people::ADMIN,
            "PUT",
            "/api/admin/recipes/Bad",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {v}");
        assert!(v["error"].as_str().unwrap().contains(field), "{body}: {v}");
    }

    let (status, v) = call(
        &s,
        people::ADMIN,
        "PUT",
        "/api/admin/recipes/Consent",
        Some(recipe),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["created"], true);
    let any = json!({"sql": "SELECT COUNT(*) AS customers FROM customers"});
    let (status, _) = call(
        &s,
        people::ADMIN,
        "PUT",
        "/api/admin/recipes/Count%20customers",
        Some(any),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let ops = json!({"sql": "SELECT id FROM customers", "source": "ops-only"});
    let (status, _) = call(
        &s,
        people::ADMIN,
        "PUT",
        "/api/admin/recipes/Ops",
        Some(ops),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let changed = json!({"description": "Opted in", "source": "warehouse",
                         "sql": "SELECT id, email FROM customers WHERE marketing_consent = 1 ORDER BY id"});
    let (status, v) = call(
        &s,
        people::ADMIN,
        "PUT",
        "/api/admin/recipes/Consent",
        Some(changed),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["created"], false, "replaced");

    let (_, v) = call(&s, people::ADMIN, "GET", "/api/admin/recipes", None).await;
    let names: Vec<&str> = v["recipes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Consent", "Count customers", "Ops"]);

    // The analyst of a DATA issue is offered the recipes for any source or for DATA's sources.
    let sources = format!("/api/panel/requests/{}/sources", s.issue_id);
    let (_, v) = call(&s, people::ANALYST, "GET", &sources, None).await;
    let offered: Vec<(&str, &str)> = v["recipes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["sql"].as_str().unwrap()))
        .collect();
    assert_eq!(
        offered,
        [
            (
                "Consent",
                "SELECT id, email FROM customers WHERE marketing_consent = 1 ORDER BY id"
            ),
            (
                "Count customers",
                "SELECT COUNT(*) AS customers FROM customers"
            ),
        ]
    );

    let (status, _) = call(&s, people::ADMIN, "DELETE", "/api/admin/recipes/Ops", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = call(&s, people::ADMIN, "DELETE", "/api/admin/recipes/Ops", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let actions: Vec<String> = audit_actions(&s)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    let recipe_events: Vec<&str> = actions
        .iter()
        .map(String::as_str)
        .filter(|a| a.starts_with("recipe."))
        .collect();
    assert_eq!(
        recipe_events,
        [
            "recipe.saved",
            "recipe.saved",
            "recipe.saved",
            "recipe.saved",
            "recipe.deleted"
        ]
    );
    s.app.cleanup().await;
}
