//! The `remind_expiry` job: before a delivered file is removed, its requester gets a Slack DM saying when (so they
//! can download it in time) and the team channel an "expiring soon" notice. Sent once; when the requester cannot be
//! reached the reminder is given up and recorded, since retention does not wait for it.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::state::DeliveryState;
use crate::jobs::{RunJob, kinds::RemindExpiry};
use crate::{
    jobs::JobError,
    model::AuditAction,
    requests::{Context, active_tenant, commands},
    slack::{
        self,
        messages::{IssueRef, expiry_reminder_dm},
        notices::Notice,
    },
    store::{DeliveryRow, JobRow},
};

/// How long before removal the reminder goes out (at the latest; never before half the retention has passed).
pub const AHEAD: Duration = Duration::hours(24);

/// Whether `d`'s reminder is due at `now`: within [`AHEAD`] of removal and past half its retention (a one-day
/// retention is not reminded of right after delivery).
pub fn due(d: &DeliveryRow, now: DateTime<Utc>) -> bool {
    match (d.uploaded_at, d.expires_at, d.reminded_at) {
        (Some(up), Some(exp), None) => {
            now >= exp - AHEAD && now >= up + (exp - up) / 2 && now < exp
        }
        _ => false,
    }
}

impl RunJob<Context> for RemindExpiry {
    async fn run(self, ctx: Context, row: JobRow) -> Result<(), JobError> {
        run(ctx, self, row).await
    }
}

/// Send one reminder.
pub async fn run(app: Context, p: RemindExpiry, job: JobRow) -> Result<(), JobError> {
    let Some(stored) = active_tenant(&app.store, &p.tenant_id).await? else {
        return Ok(());
    };
    let tenant = stored.tenant;
    let Some(d) = app.store.delivery(&tenant.id, &p.delivery_id).await? else {
        return Ok(());
    };
    let (Some(expires_at), None, DeliveryState::Uploaded) = (d.expires_at, d.reminded_at, d.state)
    else {
        return Ok(());
    };
    let Some(row) = app.store.request(&tenant.id, &d.request_id).await? else {
        return Ok(());
    };
    let issue = IssueRef::new(&tenant.display_url, &row.issue_key, &row.summary);
    let sent = match &row.reporter {
        Some(requester) => {
            let dm = expiry_reminder_dm(&issue, &d.file_name, expires_at);
            slack::send_dm(&app, &tenant, requester, &dm).await
        }
        None => Err(slack::DeliveryError::Unresolved(
            "the issue has no reporter".into(),
        )),
    };
    let (action, detail) = match sent {
        Ok(_) => (
            AuditAction::DeliveryReminded,
            json!({"delivery": d.id, "file": d.file_name, "expires_at": expires_at}),
        ),
        Err(e) if e.needs_admin() || job.last_try() => (
            AuditAction::DeliveryReminderNotSent,
            json!({"delivery": d.id, "file": d.file_name, "expires_at": expires_at, "reason": e.to_string()}),
        ),
        Err(e) => return Err(e.into()),
    };
    let notice = Notice::ExpiringSoon { issue, expires_at };
    if let Err(e) = slack::post_notice(&app, &tenant, &notice).await {
        tracing::warn!(error = %e, "the expiring-soon notice was not posted");
    }
    let mut tx = app.store.begin().await?;
    if let Some(mut locked) = tx.lock_delivery(&tenant.id, &d.id).await? {
        locked.reminded_at = Some(Utc::now());
        tx.save_delivery(&locked).await?;
    }
    commands::audit(&mut tx, &row, "clearance", action, detail).await?;
    tx.commit().await?;
    Ok(())
}
