//! Building a delivery's bundle: the approved plan's inputs resolved (source for the project, ID file checked against
//! its hash), a passphrase generated and sealed, the extraction engine run into a private work folder with its
//! progress written to the delivery row every second, and the figures, the secret and the data subjects (ID-list
//! values as keyed hashes) stored in one transaction with an audit event.

use std::{path::PathBuf, sync::Arc, time::Duration};

use chrono::Utc;
use secrecy::ExposeSecret as _;
use serde_json::json;

use super::{
    Failure, Stopped,
    erasure_key::{erasure_key, subject_hash},
    state::DeliveryState,
};
use crate::{
    crypto::delivery_secret_context,
    extract::{
        ids::Ids,
        pipeline::{self, ExtractError, Progress},
        protect::{self, Protection},
    },
    model::AuditAction,
    requests::{
        Context, commands,
        plan::{Encryption, Plan},
        plan_inputs::{self, InputError},
        scan::{self, PiiScan},
    },
    store::{DeliveryRow, RequestRow, StoredTenant},
};

/// Build the bundle of `d` (state `building`) for `row`'s approved `plan`; on success `d` is `built` and stored.
pub async fn build(
    app: &Context,
    stored: &StoredTenant,
    row: &RequestRow,
    plan: &Plan,
    d: &mut DeliveryRow,
) -> Result<(), Failure> {
    let tenant = &stored.tenant;
    let inputs = plan_inputs::resolve(app, tenant, row, plan)
        .await
        .map_err(|e| match e {
            InputError::Jira(crate::jira::JiraError::RateLimited { retry_after }) => {
                Failure::RateLimited(retry_after)
            }
            InputError::Jira(j) => Failure::Retry(j.to_string()),
            InputError::Other(o) => Failure::Retry(format!("{o:#}")),
            other => Failure::Plan(other.to_string()),
        })?;
    let secret = protect::generate_passphrase().map_err(Failure::Retry)?;
    let protection = match plan.encryption {
        Encryption::Age => Protection::AgePassphrase(secret.clone()),
        Encryption::AgeRecipients => Protection::AgeRecipients(recipient_keys(app, row).await?),
        Encryption::ZipAes => Protection::ZipAes(secret.clone()),
    };
    let keeps_secret = !matches!(protection, Protection::AgeRecipients(_));
    let dir = work_dir(app, d)?;
    let out = dir.join(&d.file_name);
    let subjects = match &inputs.ids {
        Some((_, list)) => subject_hashes(app, &tenant.id, &list.ids).await?,
        None => Vec::new(),
    };
    let request = pipeline::Request {
        source_url: inputs.source.url.clone(),
        policy: app.source_policy.clone(),
        source_name: inputs.source.name.clone(),
        timeout: inputs.source.statement_timeout,
        sql: plan.sql.clone(),
        ids: inputs
            .ids
            .map(|(param, list)| (param, list.ids, list.report)),
        masking: plan.masking.clone(),
        format: plan.format,
        csv_bom: false,
        max_rows: plan.max_rows.min(inputs.source.max_rows),
        max_bytes: plan.max_bytes.min(inputs.source.max_bytes),
        name: row.issue_key.clone(),
        request_key: Some(row.issue_key.clone()),
        plan_digest: Some(d.digest.clone()),
        deflate_level: d.deflate_level,
        neutralise_formulas: plan.neutralise_formulas,
        full_scan: true,
    };
    let progress = Arc::new(Progress::default());
    let reporter = tokio::spawn(report_progress(app.clone(), d.id.clone(), progress.clone()));
    let result = pipeline::extract(&request, protection, &out, progress).await;
    reporter.abort();
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            // Connect failures are in Clearance's words (see `extract::probe::connect_failure`); what is left is the
            // engine's word on the SQL, which the analyst needs and which holds no credential.
            let message = e.to_string();
            return Err(match e {
                ExtractError::Source(_) => Failure::Source(message),
                ExtractError::Write(_)
                | ExtractError::Io(_)
                | ExtractError::Bundle(_)
                | ExtractError::Interrupted(_) => Failure::Retry(message),
                _ => Failure::Plan(message),
            });
        }
    };
    if let Err(stop) = scan_gate(row, plan, &summary) {
        // Nothing leaves: the bundle and its work folder are removed before anything else happens.
        let _ = std::fs::remove_dir_all(&dir);
        return Err(stop);
    }
    let keys = app
        .cfg
        .require_master_keys()
        .map_err(|e| Failure::Retry(e.to_string()))?;
    let now = Utc::now();
    d.state = DeliveryState::Built;
    d.row_count = i64::try_from(summary.rows).ok();
    d.data_bytes = i64::try_from(summary.bytes).ok();
    d.data_sha256 = Some(summary.data_sha256.clone());
    d.bundle_bytes = i64::try_from(summary.bundle_bytes).ok();
    d.bundle_sha256 = Some(summary.bundle_sha256.clone());
    d.progress_rows = d.row_count.unwrap_or(0);
    d.progress_bytes = d.data_bytes.unwrap_or(0);
    d.summary = Some(
        json!({"columns": summary.columns, "ids": summary.ids, "seconds": summary.seconds,
               "personal_data_scan": summary.scan})
        .to_string(),
    );
    d.secret_sealed = keeps_secret.then(|| {
        keys.seal(
            &delivery_secret_context(&d.tenant_id, &d.id),
            secret.expose_secret(),
        )
    });
    d.built_at = Some(now);
    let detail = json!({
        "delivery": d.id, "file": d.file_name, "digest": d.digest, "rows": summary.rows, "bytes": summary.bytes,
        "data_sha256": summary.data_sha256, "bundle_sha256": summary.bundle_sha256, "encryption": summary.encryption,
        "subjects": subjects.len(), "seconds": summary.seconds,
        "scanned_rows": summary.scan.as_ref().map(|s| s.rows),
        "findings": summary.scan.as_ref().map(|s| scan::finding_facts(&s.findings)),
    });
    let mut tx = app.store.begin().await.map_err(retry)?;
    tx.save_delivery(d).await.map_err(retry)?;
    tx.insert_delivery_subjects(&d.tenant_id, &d.id, &subjects)
        .await
        .map_err(retry)?;
    commands::audit(
        &mut tx,
        row,
        "clearance",
        AuditAction::RequestExtracted,
        detail,
    )
    .await
    .map_err(retry)?;
    tx.commit().await.map_err(retry)?;
    Ok(())
}

/// Whether the bundle may go: the whole-result scan ran and found nothing the approval did not cover.
fn scan_gate(row: &RequestRow, plan: &Plan, summary: &pipeline::Summary) -> Result<(), Failure> {
    let Some(report) = &summary.scan else {
        // Never expected (a delivery always scans); without findings nothing may leave.
        return Err(Failure::Retry(
            "the whole-result personal-data scan did not run".into(),
        ));
    };
    let open = scan::uncovered(row, plan, &report.findings);
    if open.is_empty() {
        return Ok(());
    }
    let found = PiiScan {
        digest: row.plan_digest.clone().unwrap_or_default(),
        sampled: report.rows,
        at: Utc::now(),
        findings: report.findings.clone(),
    };
    let reason = format!(
        "the full result holds personal data the approval did not cover: {}. The file was destroyed without being \
         sent; a privacy officer must review the findings and approve (or reject) the plan",
        PiiScan {
            findings: open.clone(),
            ..found.clone()
        }
        .summary()
    );
    Err(Failure::Stopped(Box::new(Stopped {
        reason,
        detail: json!({
            "digest": row.approved_digest, "rows_scanned": report.rows, "uncovered": scan::finding_facts(&open),
            "findings": scan::finding_facts(&report.findings), "destroyed_data_sha256": summary.data_sha256,
        }),
        scan: serde_json::to_string(&found).unwrap_or_default(),
    })))
}

fn retry(e: impl std::fmt::Display) -> Failure {
    Failure::Retry(e.to_string())
}

/// The delivery's private work folder (owner-only), made fresh.
fn work_dir(app: &Context, d: &DeliveryRow) -> Result<PathBuf, Failure> {
    let dir = app.cfg.work_dir.join(&d.id);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| {
            Failure::Retry(format!(
                "cannot clear the work folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(&dir).map_err(|e| {
        Failure::Retry(format!(
            "cannot create the work folder {}: {e}",
            dir.display()
        ))
    })?;
    Ok(dir)
}

/// The bundle on disk while a delivery is built or waits for its upload.
pub fn bundle_path(app: &Context, d: &DeliveryRow) -> PathBuf {
    app.cfg.work_dir.join(&d.id).join(&d.file_name)
}

/// Write the build's progress to its row every second until aborted.
async fn report_progress(app: Context, id: String, progress: Arc<Progress>) {
    use std::sync::atomic::Ordering;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let (rows, bytes) = (
            progress.rows.load(Ordering::Relaxed),
            progress.bytes.load(Ordering::Relaxed),
        );
        if let Err(e) = app.store.delivery_progress(&id, rows, bytes).await {
            tracing::debug!(error = %e, "cannot record build progress");
        }
    }
}

/// The registered age keys of everyone the delivery is for; someone without one fails the plan, naming them.
async fn recipient_keys(
    app: &Context,
    row: &RequestRow,
) -> Result<Vec<age::x25519::Recipient>, Failure> {
    let people = super::notify::recipients(row);
    if people.is_empty() {
        return Err(Failure::Plan(
            "nobody to encrypt to: the issue has no reporter".into(),
        ));
    }
    let mut keys = Vec::new();
    let mut missing = Vec::new();
    for account in &people {
        match app
            .store
            .age_key(&row.tenant_id, account)
            .await
            .map_err(retry)?
        {
            Some(k) => keys.push(k.public_key),
            None => missing.push(account.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(Failure::Plan(format!(
            "the file is to be encrypted to age keys, but {} ha{} no age public key registered in Clearance; they can \
             add one from the issue panel (or the plan can use a password instead); then reopen the request",
            missing.join(", "),
            if missing.len() == 1 { "s" } else { "ve" }
        )));
    }
    protect::parse_recipients(&keys).map_err(Failure::Plan)
}

/// The ID-list values as HMAC-SHA-256 under the tenant's erasure salt (hex), so `clearance erase` can find the
/// deliveries that contained a person without Clearance keeping who they were.
pub async fn subject_hashes(
    app: &Context,
    tenant_id: &str,
    ids: &Ids,
) -> Result<Vec<String>, Failure> {
    let keys = app.cfg.require_master_keys().map_err(retry)?;
    let key = erasure_key(&app.store, keys, tenant_id)
        .await
        .map_err(retry)?;
    Ok(match ids {
        Ids::Integers(v) => v
            .iter()
            .map(|i| subject_hash(&key, &i.to_string()))
            .collect(),
        Ids::Texts(v) => v.iter().map(|t| subject_hash(&key, t)).collect(),
    })
}
