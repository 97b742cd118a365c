//! The `deliver_secret` job: after the bundle is attached, the people it is for get its secret by Slack direct
//! message — a one-time reveal link by default, the passphrase itself when the site chose so, nothing secret when
//! the bundle needs none — and the request becomes `delivered`; or it waits in `awaiting_delivery` with the reason
//! when someone cannot be reached, and the job tries again (every 15 minutes for what an admin must fix).
//!
//! Each person has one link row per delivery; a retry skips those already told. A link's token is kept only in
//! the message, so a person not yet told gets a fresh token on every try (the old one stops working).

use chrono::Utc;
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};
use url::Url;

use super::{secrets, state::DeliveryState};
use crate::jobs::{RunJob, kinds::DeliverSecret};
use crate::{
    crypto::delivery_secret_context,
    jobs::JobError,
    requests::{Context, active_tenant, commands, machine::SystemEvent, state::State},
    slack::{
        self, DeliveryError,
        messages::{IssueRef, Message, passphrase_dm, recipient_dm, reveal_link_dm},
    },
    store::{DeliveryRow, JobRow, RequestRow, SecretLinkRow},
    tenant::Tenant,
};

/// How the secret travels, as the comment and the audit say it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// A one-time reveal link.
    Link,
    /// The passphrase in the DM.
    Dm,
    /// No secret (age recipient keys).
    None,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Dm => "dm",
            Self::None => "none",
        }
    }
}

impl RunJob<Context> for DeliverSecret {
    async fn run(self, ctx: Context, row: JobRow) -> Result<(), JobError> {
        run(ctx, self, row).await
    }
}

/// Run one try.
pub async fn run(app: Context, p: DeliverSecret, job: JobRow) -> Result<(), JobError> {
    let Some(stored) = active_tenant(&app.store, &p.tenant_id).await? else {
        return Ok(());
    };
    let tenant = stored.tenant;
    let Some(d) = app.store.delivery(&tenant.id, &p.delivery_id).await? else {
        return Ok(());
    };
    if d.state != DeliveryState::Uploaded {
        return Ok(()); // expired, erased or failed meanwhile
    }
    let Some(row) = app.store.request(&tenant.id, &d.request_id).await? else {
        return Ok(());
    };
    if !matches!(row.state, State::Extracting | State::AwaitingDelivery) {
        return Ok(()); // delivered already, or moved on
    }
    let settings = match slack::load_settings(&app, &tenant).await {
        Ok(s) => s,
        Err(e) if e.needs_admin() => {
            let reason = format!("the file's password could not be sent yet: {e}");
            hold(&app, &row, &d, Via::Link, reason).await?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let via = if d.secret_sealed.is_none() && d.encryption == "age-recipients" {
        Via::None
    } else if settings.as_ref().is_some_and(|s| s.secret_in_dm) {
        Via::Dm
    } else {
        Via::Link
    };
    if via != Via::None && d.secret_sealed.is_none() {
        // Wiped (erasure, or removed) before everyone was told: nothing left to send.
        let reason = "the file's password is no longer kept, so it cannot be sent to everyone; ask the data team \
                      for a new extraction"
            .to_owned();
        return hold(&app, &row, &d, via, reason).await;
    }
    let issue = IssueRef::new(&tenant.display_url, &row.issue_key, &row.summary);
    let links = app.store.secret_links(&tenant.id, &d.id).await?;
    let mut unreached: Vec<(String, DeliveryError)> = Vec::new();
    for account in recipients(&row) {
        if links
            .iter()
            .any(|l| l.account_id == account && l.notified_at.is_some())
        {
            continue;
        }
        let existing = links.iter().find(|l| l.account_id == account);
        match tell(&app, &tenant, &d, &issue, &account, existing, via).await {
            Ok(()) => {}
            Err(Told::Person(e)) => unreached.push((account, e)),
            Err(Told::Job(e)) => return Err(e),
        }
    }
    if row.reporter.is_none() {
        let reason = "the issue has no reporter, so nobody can be sent the file's password as the requester; set \
                      the reporter in Jira"
            .to_owned();
        return hold(&app, &row, &d, via, reason).await;
    }
    if !unreached.is_empty() {
        // What an admin must fix is shown on the request at once; passing trouble (a rate limit, an outage) only
        // when it outlasts the job's tries, so a short hiccup does not flip the request back and forth.
        let last_try =
            job.last_try() || job.waited_out(app.cfg.job_wait_budget, chrono::Utc::now());
        let mut reasons: Vec<String> = Vec::new();
        for (_, e) in &unreached {
            let r = e.to_string();
            if (e.needs_admin() || last_try) && !reasons.contains(&r) {
                reasons.push(r);
            }
        }
        if !reasons.is_empty() {
            let reason = format!(
                "the file's password could not be sent yet: {}",
                reasons.join("; ")
            );
            hold(&app, &row, &d, via, reason).await?;
        }
        // Keep trying: what time fixes soon, what an admin must fix every 15 minutes (the sweep starts a new job
        // once this one has used its tries).
        let (_, e) = unreached.swap_remove(0);
        return Err(e.into());
    }
    deliver(&app, &row, &d, via).await
}

/// Who is sent the secret: the requester (the issue's reporter), the privacy officer who approved a plan with
/// personal data, and the accounts the approved plan names. Each once.
pub(crate) fn recipients(row: &RequestRow) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |a: &str| {
        if !a.is_empty() && !out.iter().any(|x| x == a) {
            out.push(a.to_owned());
        }
    };
    if let Some(r) = &row.reporter {
        add(r);
    }
    if row.pii == Some(true)
        && let Some(a) = &row.approved_by
    {
        add(a);
    }
    // Extra recipients only ever come with a privacy officer's approval (a direct approval refuses them too).
    let approved_by_officer = row.pii == Some(true)
        && row
            .approved_by
            .as_deref()
            .is_some_and(|a| a != crate::requests::machine::SCAN_APPROVER);
    let named = approved_by_officer
        .then_some(row.plan.as_deref())
        .flatten()
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .map(|p| p["recipients"].clone());
    for a in named.iter().filter_map(Value::as_array).flatten() {
        if let Some(a) = a.as_str() {
            add(a);
        }
    }
    out
}

enum Told {
    /// This person could not be reached (the others still are).
    Person(DeliveryError),
    /// Storage or keys failed: stop this try.
    Job(JobError),
}

impl<E: Into<JobError>> From<E> for Told {
    fn from(e: E) -> Self {
        Self::Job(e.into())
    }
}

/// Make (or renew) `account`'s link and send the DM; record that they were told.
async fn tell(
    app: &Context,
    tenant: &Tenant,
    d: &DeliveryRow,
    issue: &IssueRef,
    account: &str,
    existing: Option<&SecretLinkRow>,
    via: Via,
) -> Result<(), Told> {
    let now = Utc::now();
    // A link outliving the file would reveal a password for nothing.
    let expires_at = d
        .expires_at
        .map_or(now + app.cfg.reveal_link_ttl, |removal| {
            (now + app.cfg.reveal_link_ttl).min(removal)
        });
    let (token, hash) = secrets::new_token().map_err(|e| Told::Job(JobError::Permanent(e)))?;
    let mut tx = app.store.begin().await?;
    let link_id = match existing {
        Some(l) => {
            tx.renew_secret_link(&l.id, &hash, expires_at).await?;
            l.id.clone()
        }
        None => {
            let id = uuid::Uuid::now_v7().simple().to_string();
            tx.insert_secret_link(&SecretLinkRow {
                id: id.clone(),
                tenant_id: tenant.id.clone(),
                delivery_id: d.id.clone(),
                account_id: account.to_owned(),
                token_hash: hash,
                created_at: now,
                expires_at,
                notified_at: None,
                revealed_at: None,
            })
            .await?;
            id
        }
    };
    tx.commit().await?;
    let message = message(app, d, issue, via, token.expose_secret(), expires_at)?;
    match slack::send_dm(app, tenant, account, &message).await {
        Ok(_) => {
            app.store
                .secret_link_notified(&link_id, Utc::now(), via != Via::Link)
                .await?;
            Ok(())
        }
        Err(e)
            if e.needs_admin() || matches!(e, DeliveryError::Slack(_) | DeliveryError::Jira(_)) =>
        {
            tracing::info!(account, error = %e, "secret not sent");
            Err(Told::Person(e))
        }
        Err(e) => Err(Told::Job(e.into())),
    }
}

/// The DM for `via`.
fn message(
    app: &Context,
    d: &DeliveryRow,
    issue: &IssueRef,
    via: Via,
    token: &str,
    expires_at: chrono::DateTime<Utc>,
) -> Result<Message, JobError> {
    Ok(match via {
        Via::Link => {
            let url = format!("{}/reveal/{token}", app.cfg.base_url_str());
            let url = Url::parse(&url)
                .map_err(|e| JobError::Permanent(format!("reveal link {e}; check base_url")))?;
            reveal_link_dm(issue, &d.file_name, &url, expires_at)
        }
        Via::Dm => {
            let keys = app
                .cfg
                .require_master_keys()
                .map_err(|e| JobError::Permanent(e.to_string()))?;
            let sealed = d.secret_sealed.as_deref().unwrap_or_default();
            let secret = keys
                .open(&delivery_secret_context(&d.tenant_id, &d.id), sealed)
                .map_err(|e| {
                    JobError::Permanent(format!("the delivery's secret cannot be opened: {e}"))
                })?;
            passphrase_dm(issue, &d.file_name, &secret)
        }
        Via::None => recipient_dm(issue, &d.file_name),
    })
}

/// What the issue comment and the audit chain say about the delivery (never data or the secret).
fn detail(row: &RequestRow, d: &DeliveryRow, via: Via) -> Value {
    let summary: Value = d
        .summary
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let columns: Vec<Value> = summary["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| json!({"name": c["name"], "masking": c["masking"]}))
        .collect();
    json!({
        "delivery": d.id, "file": d.file_name, "attachment_id": d.attachment_id, "rows": d.row_count,
        "columns": columns, "bundle_sha256": d.bundle_sha256, "encryption": d.encryption,
        "expires_on": d.expires_at.map(|t| t.format("%Y-%m-%d").to_string()),
        "approved_by": row.approved_by, "digest": d.digest, "secret_via": via.as_str(),
    })
}

/// Everyone was told: the request is delivered; secrets that travelled in the DM are wiped now.
async fn deliver(
    app: &Context,
    row: &RequestRow,
    d: &DeliveryRow,
    via: Via,
) -> Result<(), JobError> {
    let mut tx = app.store.begin().await?;
    let Some(locked) = tx
        .lock_request_by_issue(&row.tenant_id, &row.issue_id)
        .await?
    else {
        return Ok(());
    };
    let event = SystemEvent::Delivered {
        detail: detail(row, d, via),
    };
    if let Err(e) = commands::observe(&mut tx, &locked, &event, "clearance").await {
        tracing::info!(request = %row.id, error = %e, "the request is no longer waiting for its delivery");
        return Ok(());
    }
    if via != Via::Link
        && let Some(mut locked) = tx.lock_delivery(&d.tenant_id, &d.id).await?
        && locked.secret_sealed.is_some()
    {
        secrets::wipe(&mut tx, &mut locked).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Someone could not be told: the request waits in `awaiting_delivery` with `reason` (recorded once per reason).
async fn hold(
    app: &Context,
    row: &RequestRow,
    d: &DeliveryRow,
    via: Via,
    reason: String,
) -> Result<(), JobError> {
    let mut tx = app.store.begin().await?;
    let Some(locked) = tx
        .lock_request_by_issue(&row.tenant_id, &row.issue_id)
        .await?
    else {
        return Ok(());
    };
    let event = SystemEvent::AwaitDelivery {
        reason,
        detail: detail(row, d, via),
    };
    if let Err(e) = commands::observe(&mut tx, &locked, &event, "clearance").await {
        tracing::info!(request = %row.id, error = %e, "the request is no longer waiting for its delivery");
    }
    tx.commit().await?;
    Ok(())
}
