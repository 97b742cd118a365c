//! `POST /rest/api/3/permissions/check` (`getBulkPermissions`): which of the asked projects and issues a person has
//! each project permission on, and which asked global permissions they hold. As Jira: the body's fields are exactly
//! `accountId`, `globalPermissions`, `projectPermissions[{permissions, projects, issues}]` (anything else is a 400);
//! no `accountId` means the caller; unknown ids and nulls are ignored; an unknown permission, a group without
//! permissions, an unknown account or more than 1000 projects or issues is a 400. Asking about someone else needs
//! *Administer Jira*, except for a Connect app asking from its server (JWT), which may ask about anyone.

use std::collections::{BTreeMap, BTreeSet};

use axum::{
    Extension, Json, Router,
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    JiraSim, auth::AppCaller, forge_events::project_id, forge_gateway::GatewayCall,
    rest_issues::jira_error,
};

/// Project permissions the simulator knows; each is granted exactly where the person may see the issue.
const PROJECT_PERMISSIONS: [&str; 6] = [
    "BROWSE_PROJECTS",
    "CREATE_ISSUES",
    "EDIT_ISSUES",
    "ADD_COMMENTS",
    "CREATE_ATTACHMENTS",
    "TRANSITION_ISSUES",
];
/// Global permissions the simulator knows.
const GLOBAL_PERMISSIONS: [&str; 1] = ["ADMINISTER"];
/// Most projects, and most issues, one call may ask about.
const MAX_IDS: usize = 1000;

pub(super) fn router() -> Router<JiraSim> {
    Router::new().route("/rest/api/3/permissions/check", post(check))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Request {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    global_permissions: Vec<Option<String>>,
    #[serde(default)]
    project_permissions: Vec<Option<ProjectPermissions>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectPermissions {
    permissions: Vec<Option<String>>,
    #[serde(default)]
    projects: Vec<Option<u64>>,
    #[serde(default)]
    issues: Vec<Option<u64>>,
}

fn field_error(field: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"errorMessages": [], "errors": {field: message}})),
    )
        .into_response()
}

async fn check(
    State(sim): State<JiraSim>,
    Extension(AppCaller(caller)): Extension<AppCaller>,
    gateway: Option<Extension<GatewayCall>>,
    body: Bytes,
) -> Response {
    let req: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return jira_error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid request payload: {e}"),
            );
        }
    };
    let s = sim.state();
    let account = req
        .account_id
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| caller.clone());
    if !s.is_account(&account) {
        return field_error("accountId", "Specified user does not exist.");
    }
    // A Connect app's server (JWT) may ask about anyone; through the API gateway (OAuth) only an admin may.
    let from_connect_server = gateway.is_none();
    if account != caller && !from_connect_server && !s.is_jira_admin(&caller) {
        return jira_error(
            StatusCode::FORBIDDEN,
            "Only Jira administrators can perform this operation.",
        );
    }
    let mut global = Vec::new();
    for p in req.global_permissions.into_iter().flatten() {
        if !GLOBAL_PERMISSIONS.contains(&p.as_str()) {
            return field_error(&p, "Unrecognized permission");
        }
        if p == "ADMINISTER" && s.is_jira_admin(&account) {
            global.push(p);
        }
    }
    // permission → (projects, issues) granted.
    let mut grants: BTreeMap<String, (BTreeSet<u64>, BTreeSet<u64>)> = BTreeMap::new();
    let (mut projects_asked, mut issues_asked) = (0, 0);
    for group in req.project_permissions.into_iter().flatten() {
        let permissions: Vec<String> = group
            .permissions
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect();
        if permissions.is_empty() {
            return field_error(
                "projectPermissions",
                "At least one project permission is required.",
            );
        }
        if let Some(bad) = permissions
            .iter()
            .find(|p| !PROJECT_PERMISSIONS.contains(&p.as_str()))
        {
            return field_error(bad, "Unrecognized permission");
        }
        let projects: BTreeSet<u64> = group
            .projects
            .into_iter()
            .flatten()
            .filter(|id| {
                s.issues
                    .values()
                    .any(|i| project_id(&i.project) == id.to_string())
            })
            .collect();
        let issues: BTreeSet<u64> = group
            .issues
            .into_iter()
            .flatten()
            .filter(|id| s.issues.contains_key(id))
            .collect();
        projects_asked += projects.len();
        issues_asked += issues.len();
        if projects_asked > MAX_IDS || issues_asked > MAX_IDS {
            return jira_error(
                StatusCode::BAD_REQUEST,
                "You can check permissions for at most 1000 projects and 1000 issues.",
            );
        }
        let seen: BTreeSet<u64> = issues
            .into_iter()
            .filter(|id| s.issues.get(id).is_some_and(|i| s.can_see(&account, i)))
            .collect();
        for p in permissions {
            let entry = grants.entry(p).or_default();
            entry.0.extend(&projects);
            entry.1.extend(&seen);
        }
    }
    let project_permissions: Vec<Value> = grants
        .into_iter()
        .map(|(permission, (projects, issues))| {
            json!({"permission": permission, "projects": projects, "issues": issues})
        })
        .collect();
    Json(json!({"globalPermissions": global, "projectPermissions": project_permissions}))
        .into_response()
}
