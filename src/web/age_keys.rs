//! age public keys for bundles encrypted to the people they are for (plan encryption `age_recipients`): each person
//! registers their own key from the panel (`GET`/`PUT`/`DELETE /api/panel/me/age-key`, context token); admins list
//! them and remove one (`GET /api/admin/age-keys`, `DELETE /api/admin/age-keys/{accountId}`). Every change audited.

use std::str::FromStr as _;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    routing::{delete, get},
};
use chrono::Utc;
use serde_json::{Value, json};

use super::{acting_account, admin_api::admin};
use crate::{
    error::{AppError, Result},
    host::UiRequest,
    model::AuditAction,
    store::{AgeKeyRow, NewAuditEvent},
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

async fn mine(State(app): State<AppState>, UiRequest(caller): UiRequest) -> Result<Json<Value>> {
    let me = acting_account(&caller)?;
    let key = app.store.age_key(&caller.tenant.id, me.as_ref()).await?;
    Ok(Json(json!({ "ageKey": key })))
}

async fn set_mine(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    body: Bytes,
) -> Result<Json<Value>> {
    let me = acting_account(&caller)?.as_ref().to_owned();
    let public_key = parse(&body)?;
    let row = AgeKeyRow {
        account_id: me.clone(),
        public_key,
        updated_at: Utc::now(),
        updated_by: me.clone(),
    };
    let mut tx = app.store.begin().await?;
    tx.put_age_key(&caller.tenant.id, &row).await?;
    audit(
        &mut tx,
        &caller.tenant.id,
        &me,
        AuditAction::AgeKeySet,
        &me,
        Some(&row.public_key),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "ageKey": row })))
}

async fn delete_mine(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Json<Value>> {
    let me = acting_account(&caller)?.as_ref().to_owned();
    let deleted = delete_key(&app, &caller.tenant.id, &me, &me).await?;
    Ok(Json(json!({ "deleted": deleted })))
}

async fn list(State(app): State<AppState>, UiRequest(caller): UiRequest) -> Result<Json<Value>> {
    admin(&app, &caller).await?;
    let keys = app.store.age_keys(&caller.tenant.id).await?;
    Ok(Json(json!({ "ageKeys": keys })))
}

async fn remove(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(account_id): Path<String>,
) -> Result<Json<Value>> {
    let actor = admin(&app, &caller).await?;
    if !delete_key(&app, &caller.tenant.id, &actor, &account_id).await? {
        return Err(AppError::NotFound(format!(
            "{account_id} has no age key registered"
        )));
    }
    Ok(Json(json!({ "deleted": true })))
}

async fn delete_key(
    app: &AppState,
    tenant_id: &str,
    actor: &str,
    account_id: &str,
) -> Result<bool> {
    let mut tx = app.store.begin().await?;
    let deleted = tx.delete_age_key(tenant_id, account_id).await?;
    if deleted {
        audit(
            &mut tx,
            tenant_id,
            actor,
            AuditAction::AgeKeyRemoved,
            account_id,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

async fn audit(
    tx: &mut crate::store::Tx,
    tenant_id: &str,
    actor: &str,
    action: AuditAction,
    account_id: &str,
    public_key: Option<&str>,
) -> Result<()> {
    tx.append_audit(
        tenant_id,
        &NewAuditEvent {
            actor: actor.to_owned(),
            action,
            request_id: None,
            detail: json!({"account": account_id, "public_key": public_key}),
        },
    )
    .await?;
    Ok(())
}
