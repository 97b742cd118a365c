//! The dry run: the saved plan run on a bounded sample of the real result (the extraction engine's preview, read-only
//! and under a short deadline), shown masked as it would be delivered — and columns the scan flags masked too, unless
//! the site lets dry runs show personal data — and the personal-data scan of the sample stored on the request for
//! the plan's digest. Every dry run is a read of warehouse data, so each one is audited: the plan digest (whose exact
//! SQL stays readable in the plan snapshots), the rows read, the columns flagged and those shown masked (never
//! values).

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::{
    commands::{self, ExecError},
    machine::Change,
    plan::Plan,
    plan_inputs::{self, InputError},
    scan::{self, PiiScan},
};
use crate::{
    extract::{
        ids::IdReport,
        pipeline::ExtractError,
        preview::{self, Preview, PreviewRequest},
    },
    model::AuditAction,
    requests::Context,
    store::AuditEvent,
    tenant::{AccountId, Tenant},
};

/// Longest a dry run may take (or the source's statement timeout, if shorter).
pub const DRY_RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// What a dry run showed.
#[derive(Debug)]
pub struct DryRun {
    /// The plan digest it ran for (the scan is stored under it).
    pub digest: String,
    /// Columns, masked rows, findings.
    pub preview: Preview,
    /// ID-list counts, when the plan has one.
    pub ids: Option<IdReport>,
    /// The audit event that recorded the scan.
    pub event: AuditEvent,
}

/// Why a dry run did not happen or failed.
#[derive(Debug, thiserror::Error)]
pub enum DryRunError {
    /// Refused (role, state, request unknown) or storage failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The plan's source or ID file cannot be used.
    #[error(transparent)]
    Inputs(#[from] InputError),
    /// The query failed or was refused; the message says what to change (in Clearance's words for connection failures).
    #[error("{message}")]
    Extract {
        /// The engine's error.
        #[source]
        error: ExtractError,
        /// Its message, with the source URL's secrets removed.
        message: String,
    },
}

/// Dry-run the plan of the request for `issue_id` as `account` (from the verified token).
pub async fn dry_run(
    app: &Context,
    tenant: &Tenant,
    account: &AccountId,
    issue_id: &str,
) -> Result<DryRun, DryRunError> {
    let (roles, _) = commands::roles_of(app, tenant, account).await?;
    let row = app
        .store
        .request_by_issue(&tenant.id, issue_id)
        .await
        .map_err(ExecError::from)?
        .ok_or_else(|| ExecError::NotFound(issue_id.to_owned()))?;
    scan::may_dry_run(&row, account.as_ref(), roles).map_err(ExecError::from)?;
    let (Some(plan), Some(digest)) = (row.plan.as_deref(), row.plan_digest.clone()) else {
        return Err(ExecError::Other(anyhow::anyhow!("request {} has no plan", row.id)).into());
    };
    let plan: Plan = serde_json::from_str(plan).map_err(|e| {
        ExecError::Other(anyhow::anyhow!("stored plan of {} unreadable: {e}", row.id))
    })?;
    let inputs = plan_inputs::resolve(app, tenant, &row, &plan).await?;
    let req = PreviewRequest {
        source_url: inputs.source.url.clone(),
        policy: app.source_policy.clone(),
        timeout: inputs.source.statement_timeout.min(DRY_RUN_TIMEOUT),
        sql: plan.sql.clone(),
        ids: inputs
            .ids
            .as_ref()
            .map(|(param, list)| (param.clone(), list.ids.clone())),
        masking: plan.masking.clone(),
        scan_rows: preview::SCAN_ROWS,
        show_rows: preview::SHOW_ROWS,
        mask_flagged: !app
            .store
            .dry_run_shows_personal_data(&tenant.id)
            .await
            .map_err(ExecError::from)?
            .unwrap_or(false),
    };
    let shown = preview::preview(&req).await.map_err(|error| {
        let message = error.to_string();
        DryRunError::Extract { error, message }
    })?;
    let event = store_scan(app, tenant, account, issue_id, &digest, &shown).await?;
    Ok(DryRun {
        digest,
        ids: inputs.ids.map(|(_, list)| list.report),
        preview: shown,
        event,
    })
}

/// Store the scan if the plan is still the one that ran, and audit it.
async fn store_scan(
    app: &Context,
    tenant: &Tenant,
    account: &AccountId,
    issue_id: &str,
    digest: &str,
    shown: &Preview,
) -> Result<AuditEvent, ExecError> {
    let scan = PiiScan {
        digest: digest.to_owned(),
        sampled: shown.sampled,
        at: Utc::now(),
        findings: shown.findings.clone(),
    };
    let mut tx = app.store.begin().await?;
    let row = tx
        .lock_request_by_issue(&tenant.id, issue_id)
        .await?
        .ok_or_else(|| ExecError::NotFound(issue_id.to_owned()))?;
    if row.plan_digest.as_deref() != Some(digest) {
        return Err(super::machine::CommandError::Stale(
            "the plan changed while the dry run ran; run it again".into(),
        )
        .into());
    }
    let mut next = row.clone();
    next.pii_scan = Some(serde_json::to_string(&scan).map_err(anyhow::Error::new)?);
    let masked: Vec<&str> = shown
        .columns
        .iter()
        .filter(|c| c.masked_in_preview)
        .map(|c| c.name.as_str())
        .collect();
    // Rows read from the source: the sample, plus the one that told whether there are more.
    let rows_read = scan.sampled + u64::from(shown.more);
    let change = Change {
        row: next,
        action: AuditAction::RequestDryRun,
        detail: json!({"digest": digest, "sampled": scan.sampled, "rows_read": rows_read, "more": shown.more,
                       "rows_shown": shown.rows.len(), "findings": scan::finding_facts(&scan.findings),
                       "masked_in_preview": masked}),
    };
    let (_, event) = commands::record(&mut tx, &row, change, account.as_ref()).await?;
    tx.commit().await?;
    Ok(event)
}
