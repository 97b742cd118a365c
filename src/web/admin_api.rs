//! The admin API (context tokens, admin role checked on the server): dead jobs with their errors and a re-run, the
//! audit chain's verification, the audit export, and the site's data sources (list, create/update, delete, test);
//! the Slack endpoints (admin_slack) and the site settings and recipes (admin_settings) are merged in here.
//! The admin page (static/app/admin.js) is built on it.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    response::{IntoResponse as _, Response},
    routing::{get, post, put},
};
use serde::Deserialize;

use super::api_types::{
    Deleted,
    admin::{
        JobView, JobsAnswer, Probe, Rerun, Retention, RetentionSaved, SourceSaved, SourceView,
        Sources, Verified,
    },
};
use crate::{
    audit::{export, verify},
    crypto::MasterKeys,
    delivery::retention_rules,
    error::{AppError, Result},
    host::{Caller, UiRequest},
    jobs,
    requests::commands,
    sources::{self, SourceInput},
    web::AppState,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/jobs", get(jobs))
        .route("/api/admin/jobs/{id}/rerun", post(rerun))
        .route("/api/admin/audit/verify", get(audit_verify))
        .route("/api/admin/audit/export", get(audit_export))
        .route("/api/admin/sources", get(sources_list))
        .route("/api/admin/sources/test", post(source_test_unsaved))
        .route(
            "/api/admin/sources/{name}",
            put(source_put).delete(source_delete),
        )
        .route("/api/admin/sources/{name}/test", post(source_test))
        .route(
            "/api/admin/retention",
            get(retention_get).put(retention_put),
        )
        .merge(super::admin_slack::router())
        .merge(super::admin_settings::router())
}

/// The caller's account id, if they are an admin of this site.
pub(super) async fn admin(app: &AppState, caller: &Caller) -> Result<String> {
    let account = super::acting_account(caller)?;
    let (roles, _) = commands::roles_of(app, &caller.tenant, account).await?;
    if roles.admin {
        Ok(account.to_string())
    } else {
        Err(AppError::Forbidden(
            "only Clearance admins can do this; ask a site admin to add you to a group mapped to the admin role".into(),
        ))
    }
}

#[derive(Deserialize)]
struct JobsQuery {
    #[serde(default = "dead")]
    state: String,
}

fn dead() -> String {
    "dead".into()
}

/// `GET /api/admin/jobs?state=dead`: this site's jobs in a state (newest change first, at most 200).
async fn jobs(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Query(q): Query<JobsQuery>,
) -> Result<Response> {
    admin(&app, &caller).await?;
    if !["queued", "running", "done", "dead"].contains(&q.state.as_str()) {
        return Err(AppError::BadRequest(format!(
            "state {:?}: use queued, running, done or dead",
            q.state
        )));
    }
    let rows = app
        .store
        .tenant_jobs(&caller.tenant.id, &q.state, 200)
        .await?;
    let jobs = rows.iter().map(JobView::from).collect();
    Ok(Json(JobsAnswer { jobs }).into_response())
}

/// `POST /api/admin/jobs/{id}/rerun`: queue a dead job of this site again; audited.
async fn rerun(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(id): Path<String>,
) -> Result<Response> {
    let actor = admin(&app, &caller).await?;
    let event = jobs::rerun_dead(&app.store, &caller.tenant.id, &actor, &id).await?;
    Ok(Json(Rerun {
        rerun: &id,
        audit_seq: event.seq,
    })
    .into_response())
}

/// `GET /api/admin/audit/verify`: this site's chain, checked now.
async fn audit_verify(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Response> {
    admin(&app, &caller).await?;
    let report = verify::verify(&app.store, &caller.tenant.id).await?;
    Ok(Json(Verified::from(&report)).into_response())
}

#[derive(Deserialize)]
struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
}

/// `GET /api/admin/audit/export?format=csv|jsonl`: this site's audit events as a download.
async fn audit_export(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Query(q): Query<ExportQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response> {
    admin(&app, &caller).await?;
    let (format, mime, ext) = match q.format.as_deref().unwrap_or("csv") {
        "csv" => (export::Format::Csv, "text/csv; charset=utf-8", "csv"),
        "jsonl" => (export::Format::Jsonl, "application/x-ndjson", "jsonl"),
        other => {
            return Err(AppError::BadRequest(format!(
                "format {other:?}: use csv or jsonl"
            )));
        }
    };
    let mut body = Vec::new();
    export::export(&app.store, &caller.tenant.id, format, &mut body)
        .await
        .map_err(AppError::Internal)?;
    super::download::file(&headers, &format!("clearance-audit.{ext}"), mime, body)
}

fn master_keys(app: &AppState) -> Result<&MasterKeys> {
    app.cfg
        .require_master_keys()
        .map_err(|e| AppError::Internal(anyhow::Error::new(e)))
}

/// `GET /api/admin/sources`: this site's data sources, URLs redacted.
async fn sources_list(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Response> {
    admin(&app, &caller).await?;
    let listed = sources::list(&app.store, master_keys(&app)?, &caller.tenant.id).await?;
    let sources = listed
        .iter()
        .map(|(s, url)| SourceView::of(s, url.as_deref().map_err(String::as_str)))
        .collect();
    Ok(Json(Sources { sources }).into_response())
}

/// `PUT /api/admin/sources/{name}`: create or update (fields left out keep their stored values); audited.
async fn source_put(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response> {
    let actor = admin(&app, &caller).await?;
    let input = SourceInput::from_json(&body)?;
    let keys = master_keys(&app)?;
    let saved = sources::put(
        &app.store,
        keys,
        &app.source_policy,
        &caller.tenant.id,
        &actor,
        &name,
        input,
    )
    .await?;
    Ok(Json(SourceSaved {
        source: SourceView::of(&saved.source, Ok(&saved.url)),
        created: saved.created,
        audit_seq: saved.event.seq,
    })
    .into_response())
}

/// `DELETE /api/admin/sources/{name}`: audited.
async fn source_delete(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(name): Path<String>,
) -> Result<Response> {
    let actor = admin(&app, &caller).await?;
    let event = sources::delete(&app.store, &caller.tenant.id, &actor, &name).await?;
    Ok(Json(Deleted {
        deleted: &name,
        audit_seq: event.seq,
    })
    .into_response())
}

/// `POST /api/admin/sources/{name}/test`: test the stored source's connection.
async fn source_test(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(name): Path<String>,
) -> Result<Json<Probe>> {
    admin(&app, &caller).await?;
    let keys = master_keys(&app)?;
    let result = sources::test_stored(
        &app.store,
        keys,
        &app.source_policy,
        &caller.tenant.id,
        &name,
    )
    .await?;
    Ok(Json(Probe::from(result)))
}

/// `POST /api/admin/sources/test`: test settings that are not saved (kind, url and environment required).
async fn source_test_unsaved(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    body: Bytes,
) -> Result<Json<Probe>> {
    admin(&app, &caller).await?;
    let source = SourceInput::from_json(&body)?.into_source("unsaved", None)?;
    Ok(Json(Probe::from(
        sources::test(&app.source_policy, &source).await,
    )))
}

/// `GET /api/admin/retention`: how long deliveries stay on their issues.
async fn retention_get(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Json<Retention>> {
    admin(&app, &caller).await?;
    let policy = app
        .store
        .retention_policy(&caller.tenant.id)
        .await?
        .ok_or_else(|| AppError::NotFound("this site is not installed".into()))?;
    Ok(Json(Retention { retention: policy }))
}

/// `PUT /api/admin/retention` with any of `defaultDays`, `minDays`, `maxDays`, `expireOnClose`; audited.
async fn retention_put(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    body: Bytes,
) -> Result<Json<RetentionSaved>> {
    let actor = admin(&app, &caller).await?;
    let input: retention_rules::PolicyInput = super::json_body(&body)?;
    let (policy, event) =
        retention_rules::update_policy(&app.store, &caller.tenant.id, &actor, &input).await?;
    Ok(Json(RetentionSaved {
        retention: policy,
        audit_seq: event.seq,
    }))
}
