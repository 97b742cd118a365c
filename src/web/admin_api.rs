//! The admin API (context tokens, admin role checked on the server): dead jobs with their errors and a re-run, the
//! audit chain's verification, the audit export, and the site's data sources (list, create/update, delete, test);
//! the Slack endpoints (admin_slack) and the site settings and recipes (admin_settings) are merged in here.
//! The admin page (static/app/admin.js) is built on it.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    response::Response,
    routing::{get, post, put},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    audit::{AuditAction, export, verify},
    crypto::MasterKeys,
    delivery::retention_rules,
    error::{AppError, Result},
    extract::probe::{ProbeError, ProbeReport},
    host::{Caller, UiRequest},
    requests::commands,
    sources::{self, SourceInput},
    store::{NewAuditEvent, StoredDataSource},
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
) -> Result<Json<Value>> {
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
    let jobs: Vec<Value> = rows
        .into_iter()
        .map(|j| {
            json!({"id": j.id, "kind": j.kind, "state": j.state, "attempts": j.tries(), "maxAttempts": j.max_attempts,
                   "waits": j.waits, "waitingOn": j.waiting_on().map(|w| w.service()), "waitingSince": j.waiting_since,
                   "lastError": j.last_error, "runAt": j.run_at, "updatedAt": j.updated_at})
        })
        .collect();
    Ok(Json(json!({ "jobs": jobs })))
}

/// `POST /api/admin/jobs/{id}/rerun`: queue a dead job of this site again; audited.
async fn rerun(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let actor = admin(&app, &caller).await?;
    let mut tx = app.store.begin().await?;
    if !tx.rerun_job(Some(&caller.tenant.id), &id).await? {
        return Err(AppError::NotFound(format!("no dead job {id} on this site")));
    }
    let event = tx
        .append_audit(
            &caller.tenant.id,
            &NewAuditEvent {
                actor,
                action: AuditAction::JobRerun,
                request_id: None,
                detail: json!({"job_id": id}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(Json(json!({"rerun": id, "auditSeq": event.seq})))
}

/// `GET /api/admin/audit/verify`: this site's chain, checked now.
async fn audit_verify(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Json<Value>> {
    admin(&app, &caller).await?;
    let report = verify::verify(&app.store, &caller.tenant.id).await?;
    let broken = report
        .broken
        .as_ref()
        .map(|b| json!({"seq": b.seq, "eventId": b.event_id, "problem": b.problem}));
    Ok(Json(
        json!({"ok": report.ok(), "verified": report.verified, "broken": broken, "summary": report.to_string()}),
    ))
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

/// A source as admins see it: settings in the clear, the URL redacted (or why it cannot be opened).
fn source_view(s: &StoredDataSource, url: std::result::Result<&str, &str>) -> Value {
    json!({
        "name": s.name, "kind": s.kind.kind(), "url": url.ok(), "urlProblem": url.err(),
        "environment": s.environment.as_str(), "allowedProjects": s.allowed_projects,
        "maxRows": s.max_rows, "maxBytes": s.max_bytes, "statementTimeoutSecs": s.statement_timeout_secs,
        "createdAt": s.created_at, "updatedAt": s.updated_at, "updatedBy": s.updated_by,
    })
}

fn probe_view(result: std::result::Result<ProbeReport, ProbeError>) -> Value {
    match result {
        Ok(r) => json!({
            "ok": true, "serverVersion": r.server_version, "connectMs": r.connect_time.as_millis(),
            "latencyMs": r.latency.as_millis(), "readOnlyVerified": r.read_only_verified,
        }),
        Err(e) => json!({"ok": false, "problem": e.code(), "message": e.to_string()}),
    }
}

/// `GET /api/admin/sources`: this site's data sources, URLs redacted.
async fn sources_list(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Json<Value>> {
    admin(&app, &caller).await?;
    let listed = sources::list(&app.store, master_keys(&app)?, &caller.tenant.id).await?;
    let views: Vec<Value> = listed
        .iter()
        .map(|(s, url)| source_view(s, url.as_deref().map_err(String::as_str)))
        .collect();
    Ok(Json(json!({ "sources": views })))
}

/// `PUT /api/admin/sources/{name}`: create or update (fields left out keep their stored values); audited.
async fn source_put(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>> {
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
    Ok(Json(json!({
        "source": source_view(&saved.source, Ok(&saved.url)),
        "created": saved.created,
        "auditSeq": saved.event.seq,
    })))
}

/// `DELETE /api/admin/sources/{name}`: audited.
async fn source_delete(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
    let actor = admin(&app, &caller).await?;
    let event = sources::delete(&app.store, &caller.tenant.id, &actor, &name).await?;
    Ok(Json(json!({"deleted": name, "auditSeq": event.seq})))
}

/// `POST /api/admin/sources/{name}/test`: test the stored source's connection.
async fn source_test(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
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
    Ok(Json(probe_view(result)))
}

/// `POST /api/admin/sources/test`: test settings that are not saved (kind, url and environment required).
async fn source_test_unsaved(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    body: Bytes,
) -> Result<Json<Value>> {
    admin(&app, &caller).await?;
    let source = SourceInput::from_json(&body)?.into_source("unsaved", None)?;
    Ok(Json(probe_view(
        sources::test(&app.source_policy, &source).await,
    )))
}

/// `GET /api/admin/retention`: how long deliveries stay on their issues.
async fn retention_get(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
) -> Result<Json<Value>> {
    admin(&app, &caller).await?;
    let policy = app
        .store
        .retention_policy(&caller.tenant.id)
        .await?
        .ok_or_else(|| AppError::NotFound("this site is not installed".into()))?;
    Ok(Json(json!({ "retention": policy })))
}

/// `PUT /api/admin/retention` with any of `defaultDays`, `minDays`, `maxDays`, `expireOnClose`; audited.
async fn retention_put(
    State(app): State<AppState>,
    UiRequest(caller): UiRequest,
    body: Bytes,
) -> Result<Json<Value>> {
    let actor = admin(&app, &caller).await?;
    let input: retention_rules::PolicyInput = super::json_body(&body)?;
    let current = app
        .store
        .retention_policy(&caller.tenant.id)
        .await?
        .ok_or_else(|| AppError::NotFound("this site is not installed".into()))?;
    let policy = retention_rules::apply(current, &input).map_err(AppError::Unprocessable)?;
    let mut tx = app.store.begin().await?;
    tx.set_retention_policy(&caller.tenant.id, &policy).await?;
    let event = tx
        .append_audit(
            &caller.tenant.id,
            &NewAuditEvent {
                actor,
                action: AuditAction::RetentionUpdated,
                request_id: None,
                detail: json!({"before": current, "after": policy}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(Json(json!({ "retention": policy, "auditSeq": event.seq })))
}
