//! The panel API for data requests (context tokens only): read a request with what the caller may do, and give
//! commands. The acting account is the token's `sub`; nothing in the body can name another. Every route takes a
//! [`SeenIssue`]: only someone Jira lets see the issue gets past it.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    routing::{get, post, put},
};
use serde_json::{Value, json};

use crate::{
    delivery::retention_rules,
    error::{AppError, Result},
    requests::{
        commands, dry_run,
        machine::{self, Command},
    },
    store::RequestRow,
    web::AppState,
};

use super::issue_guard::SeenIssue;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/panel/requests/{issue_id}", get(show))
        .route("/api/panel/requests/{issue_id}/commands", post(command))
        .route("/api/panel/requests/{issue_id}/dry-run", post(dry_run))
        .route("/api/panel/requests/{issue_id}/sources", get(sources))
        .route(
            "/api/panel/requests/{issue_id}/id-files/{attachment_id}",
            get(id_file),
        )
        .route("/api/panel/requests/{issue_id}/retention", put(retention))
}

/// An attachment id from the path: digits only.
fn attachment_id(raw: &str) -> Result<&str> {
    if (1..=20).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw)
    } else {
        Err(AppError::BadRequest(format!(
            "{raw:?} is not a Jira attachment id"
        )))
    }
}

/// `GET /api/panel/requests/{issue_id}`: the request, its newest delivery, the caller's roles and permitted commands,
/// its audit trail.
async fn show(State(app): State<AppState>, seen: SeenIssue) -> Result<Json<Value>> {
    let row = seen.request(&app).await?;
    let (caller, me) = (&seen.caller, &seen.account);
    let (roles, policy) = commands::roles_of(&app, &caller.tenant, me).await?;
    let audit: Vec<Value> = app
        .store
        .request_audit(&row.id)
        .await?
        .into_iter()
        .map(|e| {
            let detail = e.detail_value().unwrap_or(Value::Null);
            json!({"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "detail": detail})
        })
        .collect();
    let delivery =
        crate::delivery::view::panel_view(&app.store, &caller.tenant.id, &row.id, me.as_ref())
            .await?;
    let waiting = crate::requests::waiting::panel_view(
        &app.store,
        &caller.tenant.id,
        &row.id,
        delivery["id"].as_str(),
    )
    .await?;
    let mentioned: Vec<String> = [
        &row.reporter,
        &row.reviewer,
        &row.approved_by,
        &row.plan_author,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .chain(
        audit
            .iter()
            .filter_map(|e| e["actor"].as_str().map(str::to_owned)),
    )
    .chain(std::iter::once(me.as_ref().to_owned()))
    .collect();
    let people = match app.jira(&caller.tenant).await {
        Ok(jira) => {
            app.names
                .names(
                    &jira,
                    &caller.tenant.id,
                    mentioned.iter().map(String::as_str),
                )
                .await
        }
        Err(_) => Default::default(),
    };
    Ok(Json(json!({
        "request": view(&row),
        "delivery": delivery,
        "waiting": waiting,
        "people": people,
        "you": {
            "accountId": me.as_ref(),
            "roles": roles,
            "requester": row.reporter.as_deref() == Some(me.as_ref()),
        },
        "allowed": machine::permitted(&row, me.as_ref(), roles, &policy),
        "audit": audit,
    })))
}

/// `POST /api/panel/requests/{issue_id}/commands` with `{"command": "approve", "digest": "…"}` and the like.
async fn command(State(app): State<AppState>, seen: SeenIssue, body: Bytes) -> Result<Json<Value>> {
    let cmd: Command = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("not a valid command: {e}")))?;
    let id = seen.issue.to_string();
    let outcome = commands::execute(&app, &seen.caller.tenant, &seen.account, &id, &cmd).await?;
    Ok(Json(json!({
        "request": view(&outcome.request),
        "changed": outcome.event.is_some(),
        "event": outcome.event.map(|e| json!({"seq": e.seq, "action": e.action, "hash": e.hash})),
    })))
}

/// `POST /api/panel/requests/{issue_id}/dry-run`: run the saved plan on a sample (analysts and privacy officers,
/// not the requester); the first rows come back masked as they would be delivered, with the personal-data findings,
/// which are stored on the request for this plan.
async fn dry_run(State(app): State<AppState>, seen: SeenIssue) -> Result<Json<Value>> {
    let id = seen.issue.to_string();
    let run = dry_run::dry_run(&app, &seen.caller.tenant, &seen.account, &id).await?;
    let p = &run.preview;
    Ok(Json(json!({
        "digest": run.digest,
        "columns": p.columns,
        "rows": p.rows,
        "sampled": p.sampled,
        "more": p.more,
        "findings": p.findings,
        "ids": run.ids,
        "seconds": p.seconds,
        "auditSeq": run.event.seq,
    })))
}

/// `GET /api/panel/requests/{issue_id}/sources`: the data sources this issue's project may use (name, engine,
/// environment, caps; never the URL), for the plan editor. Analysts and privacy officers.
async fn sources(State(app): State<AppState>, seen: SeenIssue) -> Result<Json<Value>> {
    let row = seen.request(&app).await?;
    let caller = &seen.caller;
    let (roles, _) = commands::roles_of(&app, &caller.tenant, &seen.account).await?;
    if !(roles.analyst || roles.privacy) {
        return Err(AppError::Forbidden(
            "only analysts and privacy officers see the data sources".into(),
        ));
    }
    let usable: Vec<_> = app
        .store
        .data_sources(&caller.tenant.id)
        .await?
        .into_iter()
        .filter(|s| s.allowed_projects.contains(&row.project_key))
        .collect();
    let list: Vec<Value> = usable
        .iter()
        .map(|s| {
            json!({"name": s.name, "kind": s.kind.kind(), "environment": s.environment.as_str(),
                   "maxRows": s.max_rows, "maxBytes": s.max_bytes})
        })
        .collect();
    // Recipes for any source, or for one this project may use.
    let recipes: Vec<_> = app
        .store
        .recipes(&caller.tenant.id)
        .await?
        .into_iter()
        .filter(|r| {
            r.source
                .as_ref()
                .is_none_or(|n| usable.iter().any(|s| &s.name == n))
        })
        .collect();
    let (format, encryption) =
        crate::requests::settings::plan_defaults(&app.store, &caller.tenant.id)
            .await
            .map_err(AppError::Internal)?
            .ok_or_else(|| AppError::NotFound("this site is not installed".into()))?;
    let defaults = json!({"format": format, "encryption": encryption});
    Ok(Json(
        json!({ "sources": list, "recipes": recipes, "defaults": defaults }),
    ))
}

/// `GET /api/panel/requests/{issue_id}/id-files/{attachment_id}`: an attached CSV/XLSX as the plan editor offers it
/// (file name, SHA-256 and column names), for choosing the ID column. Analysts.
async fn id_file(
    State(app): State<AppState>,
    seen: SeenIssue,
    Path((_, raw_attachment)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let attachment = attachment_id(&raw_attachment)?;
    let row = seen.request(&app).await?;
    let caller = &seen.caller;
    let (roles, _) = commands::roles_of(&app, &caller.tenant, &seen.account).await?;
    if !roles.analyst {
        return Err(AppError::Forbidden(
            "only analysts choose ID files for a plan".into(),
        ));
    }
    let info = crate::requests::plan_inputs::id_file_info(&app, &caller.tenant, &row, attachment)
        .await
        .map_err(|e| match e {
            crate::requests::plan_inputs::InputError::IdFile(m) => AppError::Unprocessable(m),
            crate::requests::plan_inputs::InputError::Jira(j) => AppError::Upstream(j.to_string()),
            other => AppError::Internal(anyhow::anyhow!(other.to_string())),
        })?;
    Ok(Json(json!({ "idFile": info })))
}

/// `PUT /api/panel/requests/{issue_id}/retention` with `{"days": n}` (or `null` for the site's default): how long
/// the delivery stays on the issue, within the site's bounds (analysts and privacy officers).
async fn retention(
    State(app): State<AppState>,
    seen: SeenIssue,
    body: Bytes,
) -> Result<Json<Value>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        days: Option<u32>,
    }
    let b: Body = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("expected {{\"days\": number or null}}: {e}")))?;
    let id = seen.issue.to_string();
    let expires =
        retention_rules::set_for_request(&app, &seen.caller.tenant, &seen.account, &id, b.days)
            .await?;
    Ok(Json(json!({"days": b.days, "expiresAt": expires})))
}

fn view(r: &RequestRow) -> Value {
    let plan: Value = r
        .plan
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Null);
    json!({
        "id": r.id,
        "issueId": r.issue_id,
        "issueKey": r.issue_key,
        "summary": r.summary,
        "description": r.description,
        "attachments": serde_json::from_str::<Value>(&r.attachments).unwrap_or(Value::Null),
        "state": r.state,
        "reason": r.reason,
        "requester": r.reporter,
        "reviewer": r.reviewer,
        "plan": plan,
        "planDigest": r.plan_digest,
        "planAuthor": r.plan_author,
        "personalData": r.pii,
        "scan": r.pii_scan.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()),
        "approvedDigest": r.approved_digest,
        "approvedBy": r.approved_by,
        "approvedAt": r.approved_at,
        "createdAt": r.created_at,
        "updatedAt": r.updated_at,
        "version": r.version,
    })
}
