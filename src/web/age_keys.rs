//! age public keys for bundles encrypted to the people they are for (plan encryption `age_recipients`): each person
//! registers their own key from the panel (`GET`/`PUT`/`DELETE /api/panel/me/age-key`, context token); admins list
//! them and remove one (`GET /api/admin/age-keys`, `DELETE /api/admin/age-keys/{accountId}`). Every change audited.

use std::str::FromStr as _;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse as _, Response},
    routing::{delete, get},
};

use super::{
    acting_account,
    admin_api::admin,
    api_types::age_keys::{AgeKey, AgeKeys, Removed},
};
use crate::{
    delivery::age_keys,
    error::{AppError, Result},
    host::UiRequest,
    web::AppState,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/panel/me/age-key",
            get(mine).put(set_mine).delete(delete_mine),
        )
        .route("/api/admin/age-keys", get(list))
        .route("/api/admin/age-keys/{account_id}", delete(remove))
}

/// An `age1…` X25519 public key, checked.
fn parse(body: &[u8]) -> Result<String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Body {
        public_key: String,
    }
    let b: Body = serde_json::from_slice(body).map_err(|e| {
        AppError::Unprocessable(format!("expected {{\"publicKey\": \"age1…\"}}: {e}"))
    })?;
    let key = b.public_key.trim();
    age::x25519::Recipient::from_str(key).map_err(|e| {
        AppError::Unprocessable(format!(
            "publicKey: not an age public key ({e}); run `age-keygen -o key.txt` and paste the line that starts \
             with age1"
        ))
    })?;
    Ok(key.to_owned())
}

async fn mine(State(app): State<AppState>, UiRequest(caller): UiRequest) -> Result<Response> {
    let me = acting_account(&caller)?;
    let key = app.store.age_key(&caller.tenant.id, me.as_ref()).await?;
    Ok(Json(AgeKey {
        age_key: key.as_ref(),
    })
    .into_response())
}

async fn set_mine(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    body: Bytes,
) -> Result<Response> {
    let me = acting_account(&caller)?;
    let public_key = parse(&body)?;
    let row = age_keys::set_own(&app.store, &caller.tenant.id, me.as_ref(), public_key).await?;
    Ok(Json(AgeKey {
        age_key: Some(&row),
    })
    .into_response())
}

async fn delete_mine(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Json<Removed>> {
    let me = acting_account(&caller)?.as_ref();
    let deleted = age_keys::remove(&app.store, &caller.tenant.id, me, me).await?;
    Ok(Json(Removed { deleted }))
}

async fn list(State(app): State<AppState>, UiRequest(caller): UiRequest) -> Result<Json<AgeKeys>> {
    admin(&app, &caller).await?;
    let age_keys = app.store.age_keys(&caller.tenant.id).await?;
    Ok(Json(AgeKeys { age_keys }))
}

async fn remove(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(account_id): Path<String>,
) -> Result<Json<Removed>> {
    let actor = admin(&app, &caller).await?;
    if !age_keys::remove(&app.store, &caller.tenant.id, &actor, &account_id).await? {
        return Err(AppError::NotFound(format!(
            "{account_id} has no age key registered"
        )));
    }
    Ok(Json(Removed { deleted: true }))
}
