//! Retention: a periodic sweep queues an `expire_delivery` job for every attached bundle whose time is up (and the
//! reminders due, another try for secrets still waiting, and wipes secrets whose links all expired); the job
//! deletes the attachment through the Jira API, wipes the secret, records the removal (with the file's hash) in the
//! audit chain, moves the request to `expired` (the write-back notes it on the issue). The same removal serves
//! erasure requests and issues closed on a site that expires on close.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::{reminder, secrets, state::DeliveryState};
use crate::jobs::{
    RunJob,
    kinds::{DeliverSecret, ExpireDelivery, RemindExpiry},
};
use crate::{
    jira::JiraError,
    jobs::JobError,
    model::AuditAction,
    requests::{Context, active_tenant, commands, machine::SystemEvent, state::State},
    store::{JobRow, NewAuditEvent, Store},
};

/// Deliveries looked at per sweep.
const SWEEP_BATCH: i64 = 500;

/// What one sweep queued or did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Removals queued (retention ended).
    pub expiring: usize,
    /// Expiry reminders queued.
    pub reminders: usize,
    /// Secret deliveries queued again for requests waiting in `awaiting_delivery`.
    pub retried: usize,
    /// Secrets wiped because every link to them expired unused.
    pub wiped: usize,
}

/// One pass: queue the removal of every delivery whose retention has ended, the reminders that are due, another
/// try for secrets still waiting for someone (a job that gave up is started again; one already queued is left), and
/// wipe secrets no link can reveal any more.
pub async fn sweep(store: &Store) -> anyhow::Result<Swept> {
    let now = Utc::now();
    let mut swept = Swept::default();
    for d in store.deliveries_expiring(now, SWEEP_BATCH).await? {
        if store
            .enqueue_job(&ExpireDelivery::job(&d, "retention"))
            .await?
            .is_some()
        {
            swept.expiring += 1;
        }
    }
    for d in store
        .deliveries_to_remind(now + reminder::AHEAD, SWEEP_BATCH)
        .await?
    {
        if reminder::due(&d, now) && store.enqueue_job(&RemindExpiry::job(&d)).await?.is_some() {
            swept.reminders += 1;
        }
    }
    for d in store.deliveries_awaiting(SWEEP_BATCH).await? {
        if store.enqueue_job(&DeliverSecret::job(&d)).await?.is_some() {
            swept.retried += 1;
        }
    }
    for (tenant_id, id) in store
        .deliveries_with_spent_secrets(now, SWEEP_BATCH)
        .await?
    {
        let mut tx = store.begin().await?;
        if let Some(mut d) = tx.lock_delivery(&tenant_id, &id).await?
            && d.secret_sealed.is_some()
        {
            secrets::wipe(&mut tx, &mut d).await?;
            tx.append_audit(
                &tenant_id,
                &NewAuditEvent {
                    actor: "clearance".into(),
                    action: AuditAction::SecretWiped,
                    request_id: Some(d.request_id.clone()),
                    detail: json!({"delivery": d.id, "file": d.file_name, "why": "every link expired unused"}),
                },
            )
            .await?;
            swept.wiped += 1;
        }
        tx.commit().await?;
    }
    Ok(swept)
}

/// Sweep every `every` until `stop`.
pub async fn schedule(store: Store, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match sweep(&store).await {
            Ok(s) if s != Swept::default() => tracing::info!(?s, "retention sweep"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { return },
        }
    }
}

impl RunJob<Context> for ExpireDelivery {
    async fn run(self, ctx: Context, row: JobRow) -> Result<(), JobError> {
        run(ctx, self, row).await
    }
}

/// Remove one delivery's attachment and close it.
pub async fn run(app: Context, p: ExpireDelivery, _job: JobRow) -> Result<(), JobError> {
    remove(&app, &p.tenant_id, &p.delivery_id, &p.why).await
}

/// Remove an attached delivery now: delete the attachment in Jira (gone already counts), wipe the secret, mark it
/// expired and move its request to `expired`, audited with the file's hash and `why`. Nothing to do for a
/// delivery that is not attached.
pub async fn remove(
    app: &Context,
    tenant_id: &str,
    delivery_id: &str,
    why: &str,
) -> Result<(), JobError> {
    let Some(stored) = active_tenant(&app.store, tenant_id).await? else {
        return Ok(());
    };
    let Some(d) = app.store.delivery(tenant_id, delivery_id).await? else {
        return Ok(());
    };
    if d.state != DeliveryState::Uploaded {
        return Ok(());
    }
    if let Some(id) = &d.attachment_id {
        let jira = app.jira_for(&stored).await?;
        match jira.delete_attachment(id).await {
            Ok(()) | Err(JiraError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut tx = app.store.begin().await?;
    let Some(mut locked) = tx.lock_delivery(tenant_id, delivery_id).await? else {
        return Ok(());
    };
    if locked.state != DeliveryState::Uploaded {
        return Ok(());
    }
    locked.state = DeliveryState::Expired;
    locked.expired_at = Some(Utc::now());
    secrets::wipe(&mut tx, &mut locked).await?;
    let detail = json!({
        "delivery": locked.id, "file": locked.file_name, "attachment_id": locked.attachment_id,
        "bundle_sha256": locked.bundle_sha256, "why": why,
    });
    let request = app.store.request(tenant_id, &locked.request_id).await?;
    match request {
        Some(r) if matches!(r.state, State::Delivered | State::AwaitingDelivery) => {
            let row = tx
                .lock_request_by_issue(&r.tenant_id, &r.issue_id)
                .await?
                .unwrap_or(r);
            commands::observe(&mut tx, &row, &SystemEvent::Expire { detail }, "clearance")
                .await
                .map_err(|e| JobError::Retry {
                    error: e.to_string(),
                    after: None,
                })?;
        }
        Some(r) => {
            // The request moved on (reopened and extracted again): record the removal without a state change.
            commands::audit(
                &mut tx,
                &r,
                "clearance",
                AuditAction::DeliveryRemoved,
                detail,
            )
            .await?;
        }
        None => {}
    }
    tx.commit().await?;
    Ok(())
}
