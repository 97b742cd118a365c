//! Erasure support (`clearance erase --id VALUE [--apply]`): find every still-live delivery that was built from an
//! ID list containing a data subject — through the keyed hashes recorded at build time, so Clearance never keeps the
//! values — and, with `--apply`, remove them: an attached file is deleted from its issue (as at the end of retention,
//! noted on the issue and audited with the file's hash), a bundle not yet attached fails its extraction.

use std::fmt;

use anyhow::Context as _;
use aws_lc_rs::hmac;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::{
    erasure_key::{existing_erasure_key, subject_hash},
    retention, secrets,
    state::DeliveryState,
};
use crate::{
    jobs::JobError,
    model::AuditAction,
    requests::{Context, commands, machine::SystemEvent, state::State},
    store::{DeliveryRow, NewAuditEvent},
};

/// One delivery that contained the data subject.
#[derive(Debug)]
pub struct Found {
    /// The tenant's Connect client key.
    pub client_key: String,
    /// The issue it was delivered to.
    pub issue_key: String,
    /// The delivery (`built` or `uploaded` when found).
    pub delivery: DeliveryRow,
    /// With `--apply`: what happened to it.
    pub outcome: Option<Result<&'static str, String>>,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.delivery;
        let created: DateTime<Utc> = d.created_at;
        write!(
            f,
            "{}\t{}\t{}\t{}\t{}",
            self.client_key,
            self.issue_key,
            d.file_name,
            d.state,
            created.format("%Y-%m-%d %H:%M UTC")
        )?;
        match &self.outcome {
            Some(Ok(what)) => write!(f, "\t{what}"),
            Some(Err(e)) => write!(f, "\tNOT REMOVED: {e}"),
            None => Ok(()),
        }
    }
}

/// The subject hashes `value` may have been recorded as: the trimmed text, and for a number also its canonical
/// form (an integer ID list records `42`, whatever the file said).
fn hashes(key: &hmac::Key, value: &str) -> Vec<String> {
    let mut out = vec![subject_hash(key, value)];
    if let Ok(n) = value.trim().parse::<i64>() {
        let canonical = subject_hash(key, &n.to_string());
        if !out.contains(&canonical) {
            out.push(canonical);
        }
    }
    out
}

/// Find the live deliveries of `value` on every tenant (or on `tenant`, an id or client key), and remove them when
/// `apply`. Each removal is audited on its tenant; one that fails is reported and the others still go ahead.
pub async fn erase(
    app: &Context,
    value: &str,
    tenant: Option<&str>,
    apply: bool,
) -> anyhow::Result<Vec<Found>> {
    if value.trim().is_empty() {
        anyhow::bail!("--id is empty: give the data subject's ID as it appears in ID lists");
    }
    let mut tenants = Vec::new();
    for id in app.store.tenant_ids().await? {
        let Some(stored) = app.store.tenant_by_id(&id).await? else {
            continue;
        };
        let t = stored.tenant;
        if tenant.is_none_or(|n| n == t.id || n == t.client_key) {
            tenants.push(t);
        }
    }
    if let Some(name) = tenant
        && tenants.is_empty()
    {
        anyhow::bail!("no tenant {name:?} (give its Connect clientKey or Clearance tenant id)");
    }
    let keys = app.cfg.require_master_keys()?;
    let mut found = Vec::new();
    for t in tenants {
        let Some(key) = existing_erasure_key(&app.store, keys, &t.id).await? else {
            continue; // nothing was ever built from an ID list here
        };
        let mut seen = std::collections::BTreeSet::new();
        for hash in hashes(&key, value) {
            for d in app.store.deliveries_with_subject(&t.id, &hash).await? {
                if !seen.insert(d.id.clone()) {
                    continue;
                }
                let issue_key = app
                    .store
                    .request(&t.id, &d.request_id)
                    .await?
                    .map(|r| r.issue_key)
                    .unwrap_or_default();
                let mut f = Found {
                    client_key: t.client_key.clone(),
                    issue_key,
                    delivery: d,
                    outcome: None,
                };
                if apply {
                    f.outcome = Some(remove(app, &f.delivery).await);
                }
                found.push(f);
            }
        }
        if apply && !seen.is_empty() {
            let mut tx = app.store.begin().await?;
            tx.append_audit(
                &t.id,
                &NewAuditEvent {
                    actor: "clearance erase".into(),
                    action: AuditAction::ErasureApplied,
                    request_id: None,
                    detail: json!({"deliveries": seen.into_iter().collect::<Vec<_>>()}),
                },
            )
            .await?;
            tx.commit().await?;
        }
    }
    Ok(found)
}

/// Remove one delivery for an erasure.
async fn remove(app: &Context, d: &DeliveryRow) -> Result<&'static str, String> {
    let outcome = match d.state {
        DeliveryState::Uploaded => retention::remove(app, &d.tenant_id, &d.id, "erasure")
            .await
            .map(|()| "attachment deleted")
            .map_err(job_error),
        _ => fail_built(app, d)
            .await
            .map(|()| "extraction stopped, bundle deleted")
            .map_err(|e| format!("{e:#}")),
    };
    let now = app
        .store
        .delivery(&d.tenant_id, &d.id)
        .await
        .map_err(|e| e.to_string())?;
    match (outcome, now) {
        (Ok(what), Some(now))
            if matches!(now.state, DeliveryState::Expired | DeliveryState::Failed) =>
        {
            Ok(what)
        }
        (Ok(_), Some(now)) => Err(format!("the delivery is still {}; run again", now.state)),
        (other, _) => other,
    }
}

fn job_error(e: JobError) -> String {
    e.to_string()
}

/// A bundle built but not attached: mark it failed, delete it from the work folder, fail its request.
async fn fail_built(app: &Context, d: &DeliveryRow) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    let Some(mut locked) = tx.lock_delivery(&d.tenant_id, &d.id).await? else {
        return Ok(());
    };
    if !matches!(locked.state, DeliveryState::Building | DeliveryState::Built) {
        return Ok(());
    }
    locked.state = DeliveryState::Failed;
    locked.error = Some("removed by an erasure request".into());
    secrets::wipe(&mut tx, &mut locked).await?;
    if let Some(r) = app.store.request(&d.tenant_id, &d.request_id).await?
        && let Some(row) = tx.lock_request_by_issue(&r.tenant_id, &r.issue_id).await?
        && row.state == State::Extracting
    {
        let event = SystemEvent::Fail {
            reason: "an erasure request removed a person this extraction contained; extract again"
                .into(),
        };
        commands::observe(&mut tx, &row, &event, "clearance erase")
            .await
            .context("failing the extraction")?;
    }
    tx.commit().await?;
    let dir = app.cfg.work_dir.join(&d.id);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("deleting {}", dir.display()))?;
    }
    Ok(())
}
