//! The admin API for Slack (context tokens, admin role): the site's Slack settings (the bot token is never shown,
//! only whether one is set and its workspace), a test notice, and the Jira account → Slack user mapping.

use super::{
    admin_api::admin,
    api_types::{
        Deleted,
        slack::{MappingView, SlackAnswer, SlackSaved, SlackView, TestNotice, UserMapped, Users},
    },
};
use crate::{
    error::{AppError, Result},
    host::UiRequest,
    slack::{
        self, mapping,
        settings::{self as slack_settings, SettingsInput},
    },
    store::StoredSlackSettings,
    web::AppState,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse as _, Response},
    routing::{get, post, put},
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

/// The settings as admins see them, with why a stored token cannot be opened if it cannot.
fn view<'a>(app: &AppState, s: Option<&'a StoredSlackSettings>) -> SlackView<'a> {
    let Some(s) = s else {
        return SlackView::unset();
    };
    let problem = match (app.cfg.require_master_keys(), &s.bot) {
        (Ok(keys), Some(_)) => slack_settings::open(keys, s)
            .err()
            .map(|e| format!("the stored token cannot be opened ({e}); paste the bot token again")),
        (Err(e), Some(_)) => Some(e.to_string()),
        (_, None) => None,
    };
    SlackView::of(s, problem)
}

/// `GET /api/admin/slack`: the site's Slack settings.
async fn show(State(app): State<AppState>, UiRequest(caller): UiRequest) -> Result<Response> {
    admin(&app, &caller).await?;
    let stored = app.store.slack_settings(&caller.tenant.id).await?;
    Ok(Json(SlackAnswer {
        slack: view(&app, stored.as_ref()),
    })
    .into_response())
}

/// `PUT /api/admin/slack`: change settings (fields left out keep their values, `null` clears `channel` and
/// `privacyMention`); a new token is checked with Slack first. Audited.
async fn update(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    body: Bytes,
) -> Result<Response> {
    let actor = admin(&app, &caller).await?;
    let input = SettingsInput::from_json(&body)?;
    let saved = slack_settings::save(&app, &caller.tenant.id, &actor, input).await?;
    wake_deliveries(&app, &caller.tenant.id).await?;
    Ok(Json(SlackSaved {
        slack: view(&app, Some(&saved.settings)),
        token_replaced: saved.token_replaced,
        team_changed: saved.team_changed,
        audit_seq: saved.event.seq,
    })
    .into_response())
}

/// `POST /api/admin/slack/test`: post a test notice in the channel; `{"ok": true, "channel", "ts"}` or
/// `{"ok": false, "problem", "message"}`.
async fn test(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Json<TestNotice>> {
    admin(&app, &caller).await?;
    Ok(Json(match slack::test_notice(&app, &caller.tenant).await {
        Ok(sent) => TestNotice::Sent {
            ok: true,
            channel: sent.channel,
            ts: sent.ts,
        },
        Err(slack::DeliveryError::Internal(e)) => return Err(AppError::Internal(e)),
        Err(e) => TestNotice::Failed {
            ok: false,
            problem: e.code().to_owned(),
            message: e.to_string(),
        },
    }))
}

/// `GET /api/admin/slack/users`: the Jira account → Slack user mapping.
async fn users(State(app): State<AppState>, UiRequest(caller): UiRequest) -> Result<Response> {
    admin(&app, &caller).await?;
    let list = app.store.slack_user_mappings(&caller.tenant.id).await?;
    let users = list.iter().map(MappingView::from).collect();
    Ok(Json(Users { users }).into_response())
}

/// `PUT /api/admin/slack/users/{accountId}` `{"slackUserId": "U…"}`: map (or re-map) a Jira account. Audited.
async fn map_user(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(account_id): Path<String>,
    body: Bytes,
) -> Result<Response> {
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
    Ok(Json(UserMapped {
        user: MappingView::from(&mapped.mapping),
        created: mapped.previous.is_none(),
        previous_slack_user_id: mapped.previous.as_deref(),
        audit_seq: mapped.event.seq,
    })
    .into_response())
}

/// `DELETE /api/admin/slack/users/{accountId}`: remove a mapping. Audited.
async fn unmap_user(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(account_id): Path<String>,
) -> Result<Response> {
    let actor = admin(&app, &caller).await?;
    let event = mapping::unmap_user(&app.store, &caller.tenant.id, &actor, &account_id).await?;
    Ok(Json(Deleted {
        deleted: &account_id,
        audit_seq: event.seq,
    })
    .into_response())
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
