//! Master key rotation (`clearance rotate-key`): the one list of columns that hold values sealed with the master key,
//! and re-sealing every value in them under the current key. A test enumerates every text column of the schema and
//! fails when a sealed value turns up in a column missing here (`tests/it/sealed_columns.rs`).

use anyhow::Context as _;
use secrecy::ExposeSecret as _;

use crate::{
    crypto::{
        MasterKeys, data_source_url_context, delivery_secret_context, erasure_salt_context,
        forge_token_context, slack_token_context, tenant_secret_context,
    },
    delivery::erasure_key::seal_clear_salt,
    store::{SealedSecret, Store, StoreError, StoredSalt},
};

/// A column that holds values sealed with the master key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SealedColumn {
    /// A Connect tenant's shared secret (a random one for Forge tenants), bound to the clientKey.
    TenantSecret,
    /// A tenant's erasure salt, bound to the tenant.
    ErasureSalt,
    /// A data source's connection URL, bound to the tenant and source.
    DataSourceUrl,
    /// A tenant's Slack bot token, bound to the tenant.
    SlackToken,
    /// A delivery's passphrase or zip password, bound to the tenant and delivery.
    DeliverySecret,
    /// A Forge installation's app system token, bound to the tenant.
    ForgeToken,
}

impl SealedColumn {
    /// Every sealed column; rotation re-seals each.
    pub const ALL: [Self; 6] = [
        Self::TenantSecret,
        Self::ErasureSalt,
        Self::DataSourceUrl,
        Self::SlackToken,
        Self::DeliverySecret,
        Self::ForgeToken,
    ];

    /// Its `(table, column)` in the schema.
    pub fn name(self) -> (&'static str, &'static str) {
        match self {
            Self::TenantSecret => ("tenants", "shared_secret"),
            Self::ErasureSalt => ("tenants", "erasure_salt"),
            Self::DataSourceUrl => ("data_sources", "url_sealed"),
            Self::SlackToken => ("slack_settings", "bot_token_sealed"),
            Self::DeliverySecret => ("deliveries", "secret_sealed"),
            Self::ForgeToken => ("forge_installations", "system_token"),
        }
    }
}

/// One stored sealed value.
#[derive(Debug)]
pub struct SealedValue {
    /// What it is, for messages (`the Slack token of tenant …`).
    pub what: String,
    /// Its row's key, as the column's re-seal statement takes it.
    pub row: String,
    /// The associated data it is bound to.
    pub context: String,
    /// The value.
    pub sealed: SealedSecret,
}

impl SealedValue {
    fn new(what: String, row: String, context: String, sealed: SealedSecret) -> Self {
        Self {
            what,
            row,
            context,
            sealed,
        }
    }
}

/// Every sealed value stored in `column`. (Erasure salts still in clear are not sealed values; `reseal_all` seals
/// them.)
pub async fn sealed_values(
    store: &Store,
    column: SealedColumn,
) -> Result<Vec<SealedValue>, StoreError> {
    use SealedColumn::*;
    Ok(match column {
        TenantSecret => (store.sealed_tenant_secrets().await?.into_iter())
            .map(|(key, s)| {
                let context = tenant_secret_context(&key);
                SealedValue::new(format!("tenant {key}"), key, context, s)
            })
            .collect(),
        ErasureSalt => (store.erasure_salts().await?.into_iter())
            .filter_map(|(t, salt)| match salt {
                StoredSalt::Sealed(s) => Some((t, s)),
                StoredSalt::Clear(_) => None,
            })
            .map(|(t, s)| {
                let context = erasure_salt_context(&t);
                SealedValue::new(format!("the erasure salt of tenant {t}"), t, context, s)
            })
            .collect(),
        DataSourceUrl => (store.sealed_data_source_urls().await?.into_iter())
            .map(|(t, id, s)| {
                let context = data_source_url_context(&t, &id);
                SealedValue::new(format!("data source {id} of tenant {t}"), id, context, s)
            })
            .collect(),
        SlackToken => (store.sealed_slack_tokens().await?.into_iter())
            .map(|(t, s)| {
                let context = slack_token_context(&t);
                SealedValue::new(format!("the Slack token of tenant {t}"), t, context, s)
            })
            .collect(),
        DeliverySecret => (store.sealed_delivery_secrets().await?.into_iter())
            .map(|(t, id, s)| {
                let context = delivery_secret_context(&t, &id);
                SealedValue::new(
                    format!("delivery secret {id} of tenant {t}"),
                    id,
                    context,
                    s,
                )
            })
            .collect(),
        ForgeToken => (store.sealed_forge_tokens().await?.into_iter())
            .map(|(t, s)| {
                let context = forge_token_context(&t);
                SealedValue::new(
                    format!("the Forge system token of tenant {t}"),
                    t,
                    context,
                    s,
                )
            })
            .collect(),
    })
}

/// Replace `(row, old, new)` in `column`; rows changed meanwhile are left alone. Returns how many were replaced.
async fn write(
    store: &Store,
    column: SealedColumn,
    entries: &[(String, SealedSecret, SealedSecret)],
) -> Result<u64, StoreError> {
    use SealedColumn::*;
    match column {
        TenantSecret => store.reseal_tenant_secrets(entries).await,
        ErasureSalt => store.reseal_erasure_salts(entries).await,
        DataSourceUrl => store.reseal_data_source_urls(entries).await,
        SlackToken => store.reseal_slack_tokens(entries).await,
        DeliverySecret => store.reseal_delivery_secrets(entries).await,
        ForgeToken => store.reseal_forge_tokens(entries).await,
    }
}

/// What a rotation did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Values re-sealed under the current key.
    pub resealed: u64,
    /// Erasure salts stored in clear (before salts were sealed) sealed for the first time.
    pub sealed_clear: u64,
    /// Values already under the current key.
    pub current: u64,
    /// Values that changed while rotating (a concurrent re-install or source update), left for the next run.
    pub raced: u64,
}

/// Re-seal every value of every [`SealedColumn`] under `keys`' current key, then seal the erasure salts still stored
/// in clear. Opens every value first and writes nothing if any fails.
pub async fn reseal_all(store: &Store, keys: &MasterKeys) -> anyhow::Result<RotationReport> {
    let mut report = RotationReport::default();
    let mut planned = Vec::new();
    for column in SealedColumn::ALL {
        let values = sealed_values(store, column).await?;
        planned.push((column, reseal_each(keys, &mut report, values)?));
    }
    for (column, entries) in &planned {
        let n = write(store, *column, entries).await?;
        report.resealed += n;
        report.raced += entries.len() as u64 - n;
    }
    for (tenant_id, salt) in store.erasure_salts().await? {
        if let StoredSalt::Clear(clear) = salt {
            match seal_clear_salt(store, keys, &tenant_id, &clear).await? {
                true => report.sealed_clear += 1,
                false => report.raced += 1,
            }
        }
    }
    Ok(report)
}

/// Open each value not already under the current key and seal it again; returns `(row key, old, new)` for the
/// store. Counts the current ones in `report`.
fn reseal_each(
    keys: &MasterKeys,
    report: &mut RotationReport,
    values: Vec<SealedValue>,
) -> anyhow::Result<Vec<(String, SealedSecret, SealedSecret)>> {
    let mut out = Vec::new();
    for v in values {
        if keys.is_current(&v.sealed.0) {
            report.current += 1;
            continue;
        }
        let plain = keys.open(&v.context, &v.sealed.0).context(v.what)?;
        let resealed = SealedSecret(keys.seal(&v.context, plain.expose_secret()));
        out.push((v.row, v.sealed, resealed));
    }
    Ok(out)
}
