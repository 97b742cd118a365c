//! The admin API for Slack (context tokens, admin role): the site's Slack settings (the bot token is never shown,
//! only whether one is set and its workspace), a test notice, and the Jira account → Slack user mapping.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    routing::{get, post, put},
};
use serde_json::{Value, json};

use super::admin_api::admin;
use crate::{
    error::{AppError, Result},
    host::UiRequest,
    slack::{
        self, mapping,
        settings::{self as slack_settings, SettingsInput},
    },
    store::{SlackUserMapping, StoredSlackSettings},
    web::AppState,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/slack", get(show).put(update))
        .route("/api/admin/slack/test", post(test))
        .route("/api/admin/slack/users", get(users))
        .route(
            "/api/admin/slack/users/{account_id}",
            put(map_user).delete(unmap_user),
        )
}

/// The settings as admins see them: whether a token is set (never the token), its workspace, the rest in the clear.
fn view(app: &AppState, s: Option<&StoredSlackSettings>) -> Value {
    let Some(s) = s else {
        return json!({"tokenSet": false, "tokenProblem": null, "team": null, "botUserId": null, "channel": null,
                      "privacyMention": null, "secretInDm": false, "updatedAt": null, "updatedBy": null});
    };
    let problem = match (app.cfg.require_master_keys(), &s.bot) {
        (Ok(keys), Some(_)) => slack_settings::open(keys, s)
            .err()
            .map(|e| format!("the stored token cannot be opened ({e}); paste the bot token again")),
        (Err(e), Some(_)) => Some(e.to_string()),
        (_, None) => None,
    };
    let bot = s.bot.as_ref();
    json!({
        "tokenSet": bot.is_some(), "tokenProblem": problem,
        "team": bot.map(|b| json!({"id": b.team_id, "name": b.team_name})),
        "botUserId": bot.map(|b| &b.bot_user_id), "channel": s.notice_channel,
        "privacyMention": s.privacy_mention, "secretInDm": s.secret_in_dm, "updatedAt": s.updated_at,
        "updatedBy": s.updated_by,
    })
}

fn mapping_view(m: &SlackUserMapping) -> Value {
    json!({"accountId": m.account_id, "slackUserId": m.slack_user_id, "updatedAt": m.updated_at,
           "updatedBy": m.updated_by})
}

/// `GET /api/admin/slack`: the site's Slack settings.
async fn show(State(app): State<AppState>, UiRequest(caller): UiRequest) -> Result<Json<Value>> {
    admin(&app, &caller).await?;
    let stored = app.store.slack_settings(&caller.tenant.id).await?;
    Ok(Json(json!({"slack": view(&app, stored.as_ref())})))
}

/// `PUT /api/admin/slack`: change settings (fields left out keep their values, `null` clears `channel` and
/// `privacyMention`); a new token is checked with Slack first. Audited.
async fn update(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    body: Bytes,
) -> Result<Json<Value>> {
    let actor = admin(&app, &caller).await?;
    let input = SettingsInput::from_json(&body)?;
    let saved = slack_settings::save(&app, &caller.tenant.id, &actor, input).await?;
    wake_deliveries(&app, &caller.tenant.id).await?;
    Ok(Json(json!({
        "slack": view(&app, Some(&saved.settings)),
        "tokenReplaced": saved.token_replaced,
        "teamChanged": saved.team_changed,
        "auditSeq": saved.event.seq,
    })))
}

/// `POST /api/admin/slack/test`: post a test notice in the channel; `{"ok": true, "channel", "ts"}` or
/// `{"ok": false, "problem", "message"}`.
async fn test(State(app): State<AppState>, UiRequest(caller): UiRequest) -> Result<Json<Value>> {
    admin(&app, &caller).await?;
    Ok(Json(match slack::test_notice(&app, &caller.tenant).await {
        Ok(sent) => json!({"ok": true, "channel": sent.channel, "ts": sent.ts}),
        Err(slack::DeliveryError::Internal(e)) => return Err(AppError::Internal(e)),
        Err(e) => json!({"ok": false, "problem": e.code(), "message": e.to_string()}),
    }))
}

/// `GET /api/admin/slack/users`: the Jira account → Slack user mapping.
async fn users(State(app): State<AppState>, UiRequest(caller): UiRequest) -> Result<Json<Value>> {
    admin(&app, &caller).await?;
    let list = app.store.slack_user_mappings(&caller.tenant.id).await?;
    let users: Vec<Value> = list.iter().map(mapping_view).collect();
    Ok(Json(json!({ "users": users })))
}

/// `PUT /api/admin/slack/users/{accountId}` `{"slackUserId": "U…"}`: map (or re-map) a Jira account. Audited.
async fn map_user(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(account_id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>> {
    let actor = admin(&app, &caller).await?;
    let slack_user = mapping::slack_user_of(&body)?;
    let mapped = mapping::map_user(
        &app.store,
        &caller.tenant.id,
        &actor,
        &account_id,
        &slack_user,
    )
    .await?;
    wake_deliveries(&app, &caller.tenant.id).await?;
    Ok(Json(json!({
        "user": mapping_view(&mapped.mapping),
        "created": mapped.previous.is_none(),
        "previousSlackUserId": mapped.previous,
        "auditSeq": mapped.event.seq,
    })))
}

/// `DELETE /api/admin/slack/users/{accountId}`: remove a mapping. Audited.
async fn unmap_user(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(account_id): Path<String>,
) -> Result<Json<Value>> {
    let actor = admin(&app, &caller).await?;
    let event = mapping::unmap_user(&app.store, &caller.tenant.id, &actor, &account_id).await?;
    Ok(Json(json!({"deleted": account_id, "auditSeq": event.seq})))
}

/// Secrets waiting for someone Slack could not reach are tried again now, not at their next scheduled retry.
async fn wake_deliveries(app: &AppState, tenant_id: &str) -> Result<()> {
    let woken = app
        .store
        .wake_jobs(tenant_id, crate::jobs::JobKind::DeliverSecret.name())
        .await?;
    if woken > 0 {
        tracing::info!(woken, "secret deliveries tried again after a Slack change");
    }
    Ok(())
}
