//! Users over REST: `myself` (the app's own account), `user`, `user/email` (only for apps Atlassian approved) and
//! `user/groups`.

use axum::{
    Extension, Json, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{JiraSim, auth::AppCaller, rest_issues::jira_error};

pub(super) fn router() -> Router<JiraSim> {
    Router::new()
        .route("/rest/api/3/myself", get(myself))
        .route("/rest/api/3/user", get(user))
        .route("/rest/api/3/user/email", get(email))
        .route("/rest/api/3/user/groups", get(groups))
}

#[derive(Deserialize)]
struct AccountParam {
    #[serde(rename = "accountId", default)]
    account_id: Option<String>,
}

fn unknown_user() -> Response {
    jira_error(
        StatusCode::NOT_FOUND,
        "Specified user does not exist or you do not have required permissions",
    )
}

fn required(p: AccountParam) -> Result<String, Box<Response>> {
    p.account_id.filter(|a| !a.is_empty()).ok_or_else(|| {
        Box::new(
            (
                StatusCode::BAD_REQUEST,
                Json(
                    json!({"errorMessages": [], "errors": {"accountId": "accountId is required."}}),
                ),
            )
                .into_response(),
        )
    })
}

async fn myself(
    State(sim): State<JiraSim>,
    Extension(AppCaller(app)): Extension<AppCaller>,
) -> Response {
    Json(sim.public_user(&app)).into_response()
}

async fn user(State(sim): State<JiraSim>, Query(p): Query<AccountParam>) -> Response {
    let id = match required(p) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    if !sim.state().users.contains_key(&id) {
        return unknown_user();
    }
    Json(sim.public_user(&id)).into_response()
}

async fn email(State(sim): State<JiraSim>, Query(p): Query<AccountParam>) -> Response {
    let id = match required(p) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let s = sim.state();
    if !s.email_api_allowed {
        return jira_error(
            StatusCode::FORBIDDEN,
            "This API is only available to apps that have been approved by Atlassian.",
        );
    }
    match s.users.get(&id) {
        Some(u) => Json(json!({"accountId": u.account_id, "email": u.email})).into_response(),
        None => unknown_user(),
    }
}

async fn groups(State(sim): State<JiraSim>, Query(p): Query<AccountParam>) -> Response {
    let id = match required(p) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let s = sim.state();
    if !s.users.contains_key(&id) {
        return unknown_user();
    }
    let list: Vec<Value> = s
        .groups
        .iter()
        .filter(|(_, members)| members.contains(&id))
        .map(|(name, _)| {
            json!({"name": name, "groupId": uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()).to_string(),
                   "self": format!("{}/rest/api/3/group?groupname={name}", sim.base_url())})
        })
        .collect();
    Json(list).into_response()
}
