//! The admin API for site settings (role groups, separation of duty, trigger, plan defaults) and recipes (saved SQL
//! templates); every change is audited in the same transaction (by `requests::settings` and `requests::recipes`).
//! Context tokens, admin role checked on the server.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse as _, Response},
    routing::{get, put},
};

use super::api_types::{
    Deleted,
    settings::{RecipeSaved, Recipes, Settings, SettingsSaved},
};
use crate::{
    error::{AppError, Result},
    host::UiRequest,
    requests::{recipes, settings},
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
) -> Result<Json<Settings>> {
    super::admin_api::admin(&app, &caller).await?;
    Ok(Json(Settings {
        settings: current(&app, &caller.tenant.id).await?,
    }))
}

/// `PUT /api/admin/settings` with any of the settings' fields; a change that would take the admin role from the
/// admin making it is refused (they would lock themselves out). Audited with the values before and after.
async fn settings_put(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    body: Bytes,
) -> Result<Json<SettingsSaved>> {
    super::admin_api::admin(&app, &caller).await?;
    let input: settings::SettingsInput = super::json_body(&body)?;
    let account = super::acting_account(&caller)?;
    let (after, event) = settings::update(&app, &caller.tenant, account, input).await?;
    Ok(Json(SettingsSaved {
        settings: after,
        audit_seq: event.seq,
    }))
}

/// `GET /api/admin/recipes`.
async fn recipes_list(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Json<Recipes>> {
    super::admin_api::admin(&app, &caller).await?;
    let recipes = app.store.recipes(&caller.tenant.id).await?;
    Ok(Json(Recipes { recipes }))
}

/// `PUT /api/admin/recipes/{name}` with `sql`, optional `description` and `source`; audited.
async fn recipe_put(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<RecipeSaved>> {
    let actor = super::admin_api::admin(&app, &caller).await?;
    let input: recipes::RecipeInput = super::json_body(&body)?;
    let (recipe, created, event) =
        recipes::save(&app.store, &caller.tenant.id, &actor, &name, input).await?;
    Ok(Json(RecipeSaved {
        recipe,
        created,
        audit_seq: event.seq,
    }))
}

/// `DELETE /api/admin/recipes/{name}`; audited.
async fn recipe_delete(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(name): Path<String>,
) -> Result<Response> {
    let actor = super::admin_api::admin(&app, &caller).await?;
    let event = recipes::delete(&app.store, &caller.tenant.id, &actor, &name).await?;
    Ok(Json(Deleted {
        deleted: &name,
        audit_seq: event.seq,
    })
    .into_response())
}
