//! What the panel shows about a request's newest delivery: the file, its stage and progress while it is built, its
//! size, hash and removal date once attached, who was sent the secret and who has revealed it (never the secret),
//! and whether the caller can still reveal theirs from the panel.

use chrono::Utc;
use serde_json::{Value, json};

use super::state::DeliveryState;
use crate::store::{Result, Store};

/// The newest delivery of `request_id` as the panel shows it to `me`; `Null` before the first extraction.
pub async fn panel_view(
    store: &Store,
    tenant_id: &str,
    request_id: &str,
    me: &str,
) -> Result<Value> {
    let Some(d) = store
        .request_deliveries(tenant_id, request_id)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(Value::Null);
    };
    let now = Utc::now();
    let links = store.secret_links(tenant_id, &d.id).await?;
    let usable = |l: &crate::store::SecretLinkRow| l.revealed_at.is_none() && l.expires_at > now;
    let can_reveal = d.state == DeliveryState::Uploaded
        && d.secret_sealed.is_some()
        && links.iter().any(|l| l.account_id == me && usable(l));
    let recipients: Vec<Value> = links
        .iter()
        .map(|l| {
            json!({"accountId": l.account_id, "notifiedAt": l.notified_at, "revealedAt": l.revealed_at,
                   "linkExpiresAt": l.expires_at})
        })
        .collect();
    // The whole-result personal-data scan recorded with the build (findings, never values).
    let scan = d
        .summary
        .as_deref()
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .map(|s| s["personal_data_scan"].clone())
        .unwrap_or(Value::Null);
    Ok(json!({
        "id": d.id, "file": d.file_name, "state": d.state, "encryption": d.encryption,
        "rows": d.row_count, "bytes": d.data_bytes, "bundleBytes": d.bundle_bytes, "bundleSha256": d.bundle_sha256,
        "progress": {"rows": d.progress_rows, "bytes": d.progress_bytes},
        "createdAt": d.created_at, "builtAt": d.built_at, "uploadedAt": d.uploaded_at, "expiresAt": d.expires_at,
        "expiredAt": d.expired_at, "error": d.error, "secretKept": d.secret_sealed.is_some(),
        "recipients": recipients, "canReveal": can_reveal, "personalDataScan": scan,
    }))
}
