//! Running the state machine for real: resolve the actor's roles, lock the request, decide, and store the change
//! with its audit event, the Jira write-back job and (for `extract`) the extract job in one transaction.

use chrono::Utc;
use serde_json::{Value, json};

use super::{
    machine::{self, Change, Command, CommandError, Roles, SystemEvent},
    roles, writeback,
};
use crate::{
    jira::JiraError,
    model::AuditAction,
    requests::Context,
    store::{AuditEvent, NewAuditEvent, RequestRow, RolePolicy, StoreError, Tx},
    tenant::{AccountId, Tenant},
};

/// Actor name for changes observed in Jira (label removed, issue deleted).
pub const JIRA: &str = "jira";

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The state machine refused it.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// No request for that issue.
    #[error("no data request for issue {0}")]
    NotFound(String),
    /// The actor's groups could not be read from Jira.
    #[error("cannot read your Jira groups: {0}")]
    Jira(#[from] JiraError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else (tenant gone, adapter failure).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// What a command did.
#[derive(Debug)]
pub struct Outcome {
    /// The request as it is now.
    pub request: RequestRow,
    /// The audit event written, `None` if nothing changed.
    pub event: Option<AuditEvent>,
}

/// The roles of `account` on the tenant's site (groups from Jira, cached briefly) under the tenant's policy, which is
/// returned too.
pub async fn roles_of(
    app: &Context,
    tenant: &Tenant,
    account: &AccountId,
) -> Result<(Roles, RolePolicy), ExecError> {
    let policy = app
        .store
        .role_policy(&tenant.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("tenant {} is gone", tenant.client_key))?;
    let groups = groups_of(app, tenant, account).await?;
    Ok((roles::roles(&policy, &groups), policy))
}

/// The Jira groups of `account` on the tenant's site (cached briefly).
pub async fn groups_of(
    app: &Context,
    tenant: &Tenant,
    account: &AccountId,
) -> Result<std::sync::Arc<Vec<String>>, ExecError> {
    let jira = app.jira(tenant).await?;
    Ok(app
        .groups
        .groups(&jira, &tenant.id, account.as_ref())
        .await?)
}

/// Run a person's command on the request for `issue_id`. `account` must come from the verified token.
pub async fn execute(
    app: &Context,
    tenant: &Tenant,
    account: &AccountId,
    issue_id: &str,
    cmd: &Command,
) -> Result<Outcome, ExecError> {
    let (roles, policy) = roles_of(app, tenant, account).await?;
    let mut tx = app.store.begin().await?;
    let row = tx
        .lock_request_by_issue(&tenant.id, issue_id)
        .await?
        .ok_or_else(|| ExecError::NotFound(issue_id.to_owned()))?;
    let decided = machine::decide(&row, account.as_ref(), roles, cmd, &policy, Utc::now());
    let change = match decided {
        Ok(Some(change)) => change,
        Ok(None) => {
            return Ok(Outcome {
                request: row,
                event: None,
            });
        }
        Err(e) => {
            tracing::info!(tenant = %tenant.client_key, request = %row.id, command = cmd.name(), error = %e,
                "command refused");
            return Err(e.into());
        }
    };
    let (request, event) = record(&mut tx, &row, change, account.as_ref()).await?;
    if let Command::Extract {} = cmd {
        tx.enqueue_job(&crate::jobs::kinds::Extract::job(&request))
            .await?;
    }
    tx.commit().await?;
    Ok(Outcome {
        request,
        event: Some(event),
    })
}

/// Apply a system event inside `tx` (the caller holds the row lock). `Ok(None)` when it does not apply.
pub async fn observe(
    tx: &mut Tx,
    row: &RequestRow,
    ev: &SystemEvent,
    actor: &str,
) -> Result<Option<(RequestRow, AuditEvent)>, ExecError> {
    match machine::observe(row, ev)? {
        Some(change) => Ok(Some(record(tx, row, change, actor).await?)),
        None => Ok(None),
    }
}

/// Store a decided change: the row, its audit event, and (if the state moved) the job that tells Jira.
pub async fn record(
    tx: &mut Tx,
    before: &RequestRow,
    change: Change,
    actor: &str,
) -> Result<(RequestRow, AuditEvent), StoreError> {
    let saved = tx
        .save_request(&change.row)
        .await?
        .ok_or_else(|| StoreError::Corrupt {
            table: "requests",
            detail: format!("request {} changed under its lock", before.id),
        })?;
    // Every plan that was ever saved stays readable under its digest, whatever overwrites it later.
    if let (Some(digest), Some(plan)) = (&saved.plan_digest, &saved.plan)
        && saved.plan_digest != before.plan_digest
    {
        tx.keep_plan_snapshot(&saved.tenant_id, digest, plan, actor)
            .await?;
    }
    let mut detail = change.detail;
    if let Value::Object(map) = &mut detail {
        map.insert("from".into(), json!(before.state));
        map.insert("to".into(), json!(saved.state));
        map.insert("issue_key".into(), json!(saved.issue_key));
    }
    let event = audit(tx, &saved, actor, change.action, detail).await?;
    Ok((saved, event))
}

/// Append an audit event about `row` and, if it records a state change, enqueue the Jira write-back for it (and the
/// team's Slack notice, for the changes the team hears about).
pub async fn audit(
    tx: &mut Tx,
    row: &RequestRow,
    actor: &str,
    action: AuditAction,
    detail: Value,
) -> Result<AuditEvent, StoreError> {
    let moved = detail.get("from") != detail.get("to") || action == writeback::CREATED;
    let event = tx
        .append_audit(
            &row.tenant_id,
            &NewAuditEvent {
                actor: actor.to_owned(),
                action,
                request_id: Some(row.id.clone()),
                detail,
            },
        )
        .await?;
    if moved {
        tx.enqueue_job(&crate::jobs::kinds::IssueWriteback::job(row, event.seq))
            .await?;
    }
    if let Some(job) = super::team_notice::job(row, event.seq, action) {
        tx.enqueue_job(&job).await?;
    }
    Ok(event)
}
