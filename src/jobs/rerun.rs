//! An admin's re-run of a dead job of their site: queued again, with its audit event in the same transaction.

use serde_json::json;

use crate::{
    error::AppError,
    model::AuditAction,
    store::{AuditEvent, NewAuditEvent, Store},
};

/// Queue the dead job `id` of the tenant again; 404 if the site has no such dead job.
pub async fn rerun_dead(
    store: &Store,
    tenant_id: &str,
    actor: &str,
    id: &str,
) -> Result<AuditEvent, AppError> {
    let mut tx = store.begin().await?;
    if !tx.rerun_job(Some(tenant_id), id).await? {
        return Err(AppError::NotFound(format!("no dead job {id} on this site")));
    }
    let event = tx
        .append_audit(
            tenant_id,
            &NewAuditEvent {
                actor: actor.to_owned(),
                action: AuditAction::JobRerun,
                request_id: None,
                detail: json!({"job_id": id}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(event)
}
