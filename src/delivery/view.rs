//! What the panel shows about a request's newest delivery: the file, its stage and progress while it is built, its
//! size, hash and removal date once attached, who was sent the secret and who has revealed it (never the secret),
//! and whether the caller can still reveal theirs from the panel.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::state::DeliveryState;
use crate::store::{Result, SecretLinkRow, Store};

/// Someone the delivery's secret was for, and where their link stands.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    /// Their Jira account.
    pub account_id: String,
    /// When the message with their link went out.
    pub notified_at: Option<DateTime<Utc>>,
    /// When they revealed the secret.
    pub revealed_at: Option<DateTime<Utc>>,
    /// When their link stops working.
    pub link_expires_at: DateTime<Utc>,
}

/// How far the build has got.
#[derive(Debug, Serialize)]
pub struct Progress {
    /// Rows written so far.
    pub rows: i64,
    /// Bytes written so far.
    pub bytes: i64,
}

/// A request's newest delivery as the panel shows it to one person.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// The delivery's id.
    pub id: String,
    /// The bundle's file name on the issue.
    pub file: String,
    /// Its stage.
    pub state: DeliveryState,
    /// `age`, `age_recipients` or `zip_aes`.
    pub encryption: String,
    /// Rows in the bundle, once built.
    pub rows: Option<i64>,
    /// Bytes of data in the bundle, once built.
    pub bytes: Option<i64>,
    /// Size of the encrypted bundle, once built.
    pub bundle_bytes: Option<i64>,
    /// SHA-256 of the encrypted bundle, once built.
    pub bundle_sha256: Option<String>,
    /// How far the build has got.
    pub progress: Progress,
    /// When the extraction started.
    pub created_at: DateTime<Utc>,
    /// When the bundle was built.
    pub built_at: Option<DateTime<Utc>>,
    /// When it was attached to the issue.
    pub uploaded_at: Option<DateTime<Utc>>,
    /// When it is removed from the issue.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was removed.
    pub expired_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: Option<String>,
    /// Whether the secret is still kept (until everyone revealed theirs, or the links expired).
    pub secret_kept: bool,
    /// The people the secret is for.
    pub recipients: Vec<Recipient>,
    /// Whether the person looking can reveal their secret from the panel now.
    pub can_reveal: bool,
    /// The whole-result personal-data scan recorded with the build (findings, never values); `null` before it.
    pub personal_data_scan: Value,
}

/// The newest delivery of `request_id` as the panel shows it to `me`; `None` before the first extraction.
pub async fn panel_view(
    store: &Store,
    tenant_id: &str,
    request_id: &str,
    me: &str,
) -> Result<Option<DeliveryView>> {
    let Some(d) = store
        .request_deliveries(tenant_id, request_id)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let links = store.secret_links(tenant_id, &d.id).await?;
    let usable = |l: &SecretLinkRow| l.revealed_at.is_none() && l.expires_at > now;
    let can_reveal = d.state == DeliveryState::Uploaded
        && d.secret_sealed.is_some()
        && links.iter().any(|l| l.account_id == me && usable(l));
    let recipients = links
        .into_iter()
        .map(|l| Recipient {
            account_id: l.account_id,
            notified_at: l.notified_at,
            revealed_at: l.revealed_at,
            link_expires_at: l.expires_at,
        })
        .collect();
    let personal_data_scan = d
        .summary
        .as_deref()
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .map(|s| s["personal_data_scan"].clone())
        .unwrap_or(Value::Null);
    Ok(Some(DeliveryView {
        secret_kept: d.secret_sealed.is_some(),
        id: d.id,
        file: d.file_name,
        state: d.state,
        encryption: d.encryption,
        rows: d.row_count,
        bytes: d.data_bytes,
        bundle_bytes: d.bundle_bytes,
        bundle_sha256: d.bundle_sha256,
        progress: Progress {
            rows: d.progress_rows,
            bytes: d.progress_bytes,
        },
        created_at: d.created_at,
        built_at: d.built_at,
        uploaded_at: d.uploaded_at,
        expires_at: d.expires_at,
        expired_at: d.expired_at,
        error: d.error,
        recipients,
        can_reveal,
        personal_data_scan,
    }))
}
