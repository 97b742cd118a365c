//! Attaching a built bundle to its Jira issue: the site's upload limit checked first (a bundle over it fails with
//! the size, the limit and what to change), an attachment with the delivery's unique file name and size reused if a
//! previous try got it there before crashing, otherwise the file streamed from disk; then the attachment id, the
//! upload time and the expiry recorded with an audit event, and the secret's delivery queued, in one transaction.

use chrono::{Duration, Utc};
use serde_json::json;

use super::{Failure, build::bundle_path, state::DeliveryState};
use crate::{
    jira::JiraError,
    model::AuditAction,
    requests::{
        Context, commands,
        plan::{Format, Plan},
    },
    store::{DeliveryRow, RequestRow, StoredTenant},
};

/// Upload the bundle of `d` (state `built`); on success `d` is `uploaded` and stored, and the work folder removed.
pub async fn upload(
    app: &Context,
    stored: &StoredTenant,
    row: &RequestRow,
    d: &mut DeliveryRow,
) -> Result<(), Failure> {
    let jira = app
        .jira_for(stored)
        .await
        .map_err(|e| Failure::Retry(e.to_string()))?;
    let size = d
        .bundle_bytes
        .and_then(|b| u64::try_from(b).ok())
        .unwrap_or(0);
    let existing = jira
        .issue_attachments(&row.issue_id)
        .await
        .map_err(jira_failure)?
        .into_iter()
        .find(|a| a.filename == d.file_name && a.size == size);
    let (attachment, reused) = match existing {
        Some(a) => (a, true),
        None => {
            let meta = jira.attachment_meta().await.map_err(jira_failure)?;
            if !meta.enabled {
                return Err(Failure::Delivery(
                    "attachments are switched off on this Jira site; a Jira admin must switch them on, then reopen \
                     and extract again"
                        .into(),
                ));
            }
            if size > meta.upload_limit {
                if may_fit_smaller(row, d, size, meta.upload_limit) {
                    // CSV is built at deflate level 1 for speed; level 9 makes it about a third smaller.
                    d.deflate_level = Some(SMALLEST);
                    return Err(Failure::Rebuild(format!(
                        "the bundle is {size} bytes and the site accepts {}; building it again at the highest \
                         compression level",
                        meta.upload_limit
                    )));
                }
                return Err(Failure::Delivery(too_large(
                    size,
                    meta.upload_limit,
                    d.deflate_level.is_some(),
                )));
            }
            let path = bundle_path(app, d);
            if !path.is_file() {
                return Err(Failure::Rebuild(format!(
                    "the bundle {} is no longer in the work folder",
                    d.file_name
                )));
            }
            let mime = if d.file_name.ends_with(".zip") {
                "application/zip"
            } else {
                "application/octet-stream"
            };
            let a = jira
                .upload_attachment(&row.issue_id, &path, &d.file_name, mime)
                .await
                .map_err(|e| match e {
                    JiraError::Status { status, .. } if status.as_u16() == 413 => {
                        Failure::Delivery(too_large(size, 0, d.deflate_level.is_some()))
                    }
                    other => jira_failure(other),
                })?;
            if a.size != size {
                return Err(Failure::Retry(format!(
                    "Jira stored {} bytes of the {size}-byte bundle; uploading again",
                    a.size
                )));
            }
            (a, false)
        }
    };
    let days = retention_days(app, row).await?;
    let now = Utc::now();
    d.state = DeliveryState::Uploaded;
    d.attachment_id = Some(attachment.id.clone());
    d.uploaded_at = Some(now);
    d.expires_at = Some(now + Duration::days(i64::from(days)));
    let detail = json!({
        "delivery": d.id, "file": d.file_name, "attachment_id": attachment.id, "bytes": size,
        "bundle_sha256": d.bundle_sha256, "expires_at": d.expires_at, "retention_days": days,
        "found_after_crash": reused,
    });
    let mut tx = app.store.begin().await.map_err(retry)?;
    tx.save_delivery(d).await.map_err(retry)?;
    commands::audit(
        &mut tx,
        row,
        "clearance",
        AuditAction::RequestUploaded,
        detail,
    )
    .await
    .map_err(retry)?;
    tx.enqueue_job(&crate::jobs::kinds::DeliverSecret::job(d))
        .await
        .map_err(retry)?;
    tx.commit().await.map_err(retry)?;
    let dir = app.cfg.work_dir.join(&d.id);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        tracing::warn!(error = %e, dir = %dir.display(), "cannot remove a work folder");
    }
    Ok(())
}

/// The highest deflate level, for a bundle that did not fit at the default.
const SMALLEST: i64 = 9;

/// Whether a CSV bundle built at the default level might fit under `limit` at [`SMALLEST`] (measured: level 6 makes
/// it 0.66 times the size, level 9 a little less; tried when it is at most 1/0.7 times the limit).
fn may_fit_smaller(row: &RequestRow, d: &DeliveryRow, size: u64, limit: u64) -> bool {
    let csv = row
        .plan
        .as_deref()
        .and_then(|p| serde_json::from_str::<Plan>(p).ok())
        .is_some_and(|p| p.format == Format::Csv);
    csv && d.deflate_level.is_none() && limit > 0 && (size as f64) * 0.7 <= limit as f64
}

fn retry(e: impl std::fmt::Display) -> Failure {
    Failure::Retry(e.to_string())
}

/// Rate limits and outages are retried (after Jira's `Retry-After`); anything else about the issue too, a few times.
fn jira_failure(e: JiraError) -> Failure {
    match e {
        JiraError::RateLimited { retry_after } => Failure::RateLimited(retry_after),
        JiraError::NotFound(m) => Failure::Delivery(format!(
            "the Jira issue is gone or the app may not see it ({m})"
        )),
        other => Failure::Retry(other.to_string()),
    }
}

fn too_large(size: u64, limit: u64, smallest: bool) -> String {
    let mb = |b: u64| match b {
        0..1_000 => format!("{b} bytes"),
        1_000..1_000_000 => format!("{:.1} kB", b as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        _ => format!("{:.2} GB", b as f64 / 1e9),
    };
    let limit = if limit > 0 {
        format!("this Jira site accepts attachments up to {}", mb(limit))
    } else {
        "Jira refused it as too large".into()
    };
    let compressed = if smallest {
        " even at the highest compression level"
    } else {
        ""
    };
    format!(
        "the encrypted file is {}{compressed} and {limit}; choose CSV rather than XLSX, select fewer columns or \
         rows, or ask a Jira admin to raise the attachment limit, then reopen the request",
        mb(size)
    )
}

/// The request's own retention, or the tenant's default.
async fn retention_days(app: &Context, row: &RequestRow) -> Result<u32, Failure> {
    let policy = app
        .store
        .retention_policy(&row.tenant_id)
        .await
        .map_err(retry)?
        .ok_or_else(|| Failure::Retry(format!("tenant {} is gone", row.tenant_id)))?;
    let mut tx = app.store.begin().await.map_err(retry)?;
    let own = tx.request_retention(&row.id).await.map_err(retry)?;
    tx.commit().await.map_err(retry)?;
    Ok(own
        .unwrap_or(policy.default_days)
        .clamp(policy.min_days, policy.max_days))
}
