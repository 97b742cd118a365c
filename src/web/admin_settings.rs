//! The admin API for site settings (role groups, separation of duty, trigger, plan defaults) and recipes (saved SQL
//! templates); every change is audited in the same transaction. Context tokens, admin role checked on the server.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    routing::{get, put},
};
use serde_json::{Value, json};

use crate::{
    error::{AppError, Result},
    host::UiRequest,
    model::AuditAction,
    requests::{commands, recipes, roles, settings},
    store::NewAuditEvent,
    web::AppState,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/settings", get(settings_get).put(settings_put))
        .route("/api/admin/recipes", get(recipes_list))
        .route(
            "/api/admin/recipes/{name}",
            put(recipe_put).delete(recipe_delete),
        )
}

async fn current(app: &AppState, tenant_id: &str) -> Result<settings::SiteSettings> {
    settings::load(&app.store, tenant_id)
        .await
        .map_err(AppError::Internal)?
        .ok_or_else(|| AppError::NotFound("this site is not installed".into()))
}

/// `GET /api/admin/settings`.
async fn settings_get(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Json<Value>> {
    super::admin_api::admin(&app, &caller).await?;
    Ok(Json(
        json!({ "settings": current(&app, &caller.tenant.id).await? }),
    ))
}

/// `PUT /api/admin/settings` with any of the settings' fields; a change that would take the admin role from the
/// admin making it is refused (they would lock themselves out). Audited with the values before and after.
async fn settings_put(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    body: Bytes,
) -> Result<Json<Value>> {
    let actor = super::admin_api::admin(&app, &caller).await?;
    let input: settings::SettingsInput = super::json_body(&body)?;
    let before = current(&app, &caller.tenant.id).await?;
    let after = before.apply(input).map_err(AppError::Unprocessable)?;
    let account = super::acting_account(&caller)?;
    let groups = commands::groups_of(&app, &caller.tenant, account).await?;
    if !roles::roles(&after.role_policy(), &groups).admin {
        return Err(AppError::Unprocessable(
            "adminGroups: you are in none of these groups, so you would lose access to this page; keep one of \
             your own groups"
                .into(),
        ));
    }
    let mut tx = app.store.begin().await?;
    after.save(&mut tx, &caller.tenant.id).await?;
    let event = tx
        .append_audit(
            &caller.tenant.id,
            &NewAuditEvent {
                actor,
                action: AuditAction::SettingsUpdated,
                request_id: None,
                detail: json!({"before": before, "after": after}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(Json(json!({ "settings": after, "auditSeq": event.seq })))
}

/// `GET /api/admin/recipes`.
async fn recipes_list(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Json<Value>> {
    super::admin_api::admin(&app, &caller).await?;
    let list = app.store.recipes(&caller.tenant.id).await?;
    Ok(Json(json!({ "recipes": list })))
}

/// `PUT /api/admin/recipes/{name}` with `sql`, optional `description` and `source`; audited.
async fn recipe_put(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>> {
    let actor = super::admin_api::admin(&app, &caller).await?;
    let input: recipes::RecipeInput = super::json_body(&body)?;
    let sources = app.store.data_sources(&caller.tenant.id).await?;
    let recipe =
        recipes::validate(&name, input, &sources, &actor).map_err(AppError::Unprocessable)?;
    let mut tx = app.store.begin().await?;
    let created = tx.put_recipe(&caller.tenant.id, &recipe).await?;
    let event = tx
        .append_audit(
            &caller.tenant.id,
            &NewAuditEvent {
                actor,
                action: AuditAction::RecipeSaved,
                request_id: None,
                detail: json!({"name": recipe.name, "source": recipe.source, "sql": recipe.sql, "created": created}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(Json(
        json!({ "recipe": recipe, "created": created, "auditSeq": event.seq }),
    ))
}

/// `DELETE /api/admin/recipes/{name}`; audited.
async fn recipe_delete(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
    let actor = super::admin_api::admin(&app, &caller).await?;
    let mut tx = app.store.begin().await?;
    if !tx.delete_recipe(&caller.tenant.id, &name).await? {
        return Err(AppError::NotFound(format!(
            "no recipe {name:?} on this site"
        )));
    }
    let event = tx
        .append_audit(
            &caller.tenant.id,
            &NewAuditEvent {
                actor,
                action: AuditAction::RecipeDeleted,
                request_id: None,
                detail: json!({"name": name}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(Json(json!({ "deleted": name, "auditSeq": event.seq })))
}
