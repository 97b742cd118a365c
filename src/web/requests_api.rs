//! The panel API for data requests (context tokens only): read a request with what the caller may do, and give
//! commands. The acting account is the token's `sub`; nothing in the body can name another. Every route takes a
//! [`SeenIssue`]: only someone Jira lets see the issue gets past it.

use crate::{
    delivery::retention_rules,
    error::{AppError, Result},
    requests::{
        commands, dry_run,
        machine::{self, Command},
    },
    web::AppState,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse as _, Response},
    routing::{get, post, put},
};

use super::{
    api_types::{
        panel::{AuditEntry, CommandAnswer, EventRef, RequestAnswer, RequestView, You},
        plan_editor::{
            DryRunAnswer, IdFileAnswer, PlanDefaults, RetentionAnswer, SourceOption, SourcesAnswer,
        },
    },
    issue_guard::SeenIssue,
};

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
async fn show(State(app): State<AppState>, seen: SeenIssue) -> Result<Response> {
    let row = seen.request(&app).await?;
    let (caller, me) = (&seen.caller, &seen.account);
    let (roles, policy) = commands::roles_of(&app, &caller.tenant, me).await?;
    let audit: Vec<AuditEntry> = app
        .store
        .request_audit(&row.id)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect();
    let delivery =
        crate::delivery::view::panel_view(&app.store, &caller.tenant.id, &row.id, me.as_ref())
            .await?;
    let waiting = crate::requests::waiting::panel_view(
        &app.store,
        &caller.tenant.id,
        &row.id,
        delivery.as_ref().map(|d| d.id.as_str()),
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
    .chain(audit.iter().map(|e| e.actor.clone()))
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
    Ok(Json(RequestAnswer {
        request: RequestView::of(&row),
        delivery,
        waiting,
        people,
        you: You {
            account_id: me.as_ref(),
            roles,
            requester: row.reporter.as_deref() == Some(me.as_ref()),
        },
        allowed: machine::permitted(&row, me.as_ref(), roles, &policy),
        audit,
    })
    .into_response())
}

/// `POST /api/panel/requests/{issue_id}/commands` with `{"command": "approve", "digest": "…"}` and the like.
async fn command(State(app): State<AppState>, seen: SeenIssue, body: Bytes) -> Result<Response> {
    let cmd: Command = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("not a valid command: {e}")))?;
    let id = seen.issue.to_string();
    let outcome = commands::execute(&app, &seen.caller.tenant, &seen.account, &id, &cmd).await?;
    Ok(Json(CommandAnswer {
        request: RequestView::of(&outcome.request),
        changed: outcome.event.is_some(),
        event: outcome.event.map(|e| EventRef {
            seq: e.seq,
            action: e.action,
            hash: e.hash,
        }),
    })
    .into_response())
}

/// `POST /api/panel/requests/{issue_id}/dry-run`: run the saved plan on a sample (analysts and privacy officers,
/// not the requester); the first rows come back masked as they would be delivered, with the personal-data findings,
/// which are stored on the request for this plan.
async fn dry_run(State(app): State<AppState>, seen: SeenIssue) -> Result<Response> {
    let id = seen.issue.to_string();
    let run = dry_run::dry_run(&app, &seen.caller.tenant, &seen.account, &id).await?;
    Ok(Json(DryRunAnswer::of(&run)).into_response())
}

/// `GET /api/panel/requests/{issue_id}/sources`: the data sources this issue's project may use (name, engine,
/// environment, caps; never the URL), for the plan editor. Analysts and privacy officers.
async fn sources(State(app): State<AppState>, seen: SeenIssue) -> Result<Response> {
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
    Ok(Json(SourcesAnswer {
        sources: usable.iter().map(SourceOption::from).collect(),
        recipes,
        defaults: PlanDefaults { format, encryption },
    })
    .into_response())
}

/// `GET /api/panel/requests/{issue_id}/id-files/{attachment_id}`: an attached CSV/XLSX as the plan editor offers it
/// (file name, SHA-256 and column names), for choosing the ID column. Analysts.
async fn id_file(
    State(app): State<AppState>,
    seen: SeenIssue,
    Path((_, raw_attachment)): Path<(String, String)>,
) -> Result<Json<IdFileAnswer>> {
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
    Ok(Json(IdFileAnswer { id_file: info }))
}

/// `PUT /api/panel/requests/{issue_id}/retention` with `{"days": n}` (or `null` for the site's default): how long
/// the delivery stays on the issue, within the site's bounds (analysts and privacy officers).
async fn retention(
    State(app): State<AppState>,
    seen: SeenIssue,
    body: Bytes,
) -> Result<Json<RetentionAnswer>> {
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
    Ok(Json(RetentionAnswer {
        days: b.days,
        expires_at: expires,
    }))
}
