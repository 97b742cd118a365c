//! age public keys people register for bundles encrypted to them (plan encryption `age_recipients`): set one's own,
//! remove one (one's own, or anyone's by an admin), each change audited in the same transaction.

use chrono::Utc;
use serde_json::json;

use crate::{
    model::AuditAction,
    store::{AgeKeyRow, NewAuditEvent, Result, Store, Tx},
};

/// Register (or replace) `account_id`'s own key, already checked to be an age public key.
pub async fn set_own(
    store: &Store,
    tenant_id: &str,
    account_id: &str,
    public_key: String,
) -> Result<AgeKeyRow> {
    let row = AgeKeyRow {
        account_id: account_id.to_owned(),
        public_key,
        updated_at: Utc::now(),
        updated_by: account_id.to_owned(),
    };
    let mut tx = store.begin().await?;
    tx.put_age_key(tenant_id, &row).await?;
    audit(
        &mut tx,
        tenant_id,
        account_id,
        AuditAction::AgeKeySet,
        account_id,
        Some(&row.public_key),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Remove `account_id`'s key on `actor`'s behalf; whether there was one (nothing is audited if not).
pub async fn remove(store: &Store, tenant_id: &str, actor: &str, account_id: &str) -> Result<bool> {
    let mut tx = store.begin().await?;
    let deleted = tx.delete_age_key(tenant_id, account_id).await?;
    if deleted {
        audit(
            &mut tx,
            tenant_id,
            actor,
            AuditAction::AgeKeyRemoved,
            account_id,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

async fn audit(
    tx: &mut Tx,
    tenant_id: &str,
    actor: &str,
    action: AuditAction,
    account_id: &str,
    public_key: Option<&str>,
) -> Result<()> {
    tx.append_audit(
        tenant_id,
        &NewAuditEvent {
            actor: actor.to_owned(),
            action,
            request_id: None,
            detail: json!({"account": account_id, "public_key": public_key}),
        },
    )
    .await?;
    Ok(())
}
