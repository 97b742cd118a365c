//! A tenant's erasure key: HMAC-SHA-256 under its erasure salt, which keys the data subjects' hashes. The salt is
//! made on first use and sealed at rest, bound to the tenant; it is opened only here.
//!
//! Salts stored in clear before they were sealed keep working: the first use seals one in place (compare-and-swap on
//! the clear value, so concurrent users and `clearance rotate-key` can only write the same salt), and `rotate-key`
//! seals any left. A salt is never replaced by another: that would make every recorded subject unmatchable.

use aws_lc_rs::hmac;
use secrecy::{ExposeSecret as _, SecretString};

use crate::{
    crypto::{CryptoError, MasterKeys, erasure_salt_context, seal_secret},
    extract::protect,
    store::{SealedSecret, Store, StoreError, StoredSalt},
};

/// Why a tenant's erasure key is not available.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored salt does not open.
    #[error("the erasure salt of tenant {tenant} cannot be opened: {source}")]
    Sealed {
        /// The tenant.
        tenant: String,
        /// Why.
        #[source]
        source: CryptoError,
    },
    /// No salt could be made.
    #[error("cannot make an erasure salt: {0}")]
    Random(String),
}

/// The tenant's erasure key, its salt made on first use (whoever stores first wins; everyone uses the stored one).
pub async fn erasure_key(
    store: &Store,
    keys: &MasterKeys,
    tenant_id: &str,
) -> Result<hmac::Key, KeyError> {
    let fresh = protect::generate_passphrase().map_err(KeyError::Random)?;
    let fresh = SealedSecret(seal_secret(keys, &erasure_salt_context(tenant_id), &fresh));
    let stored = store.erasure_salt(tenant_id, &fresh).await?;
    Ok(key(&open(store, keys, tenant_id, stored).await?))
}

/// The tenant's erasure key, if it has a salt (a tenant without one has recorded no data subjects).
pub async fn existing_erasure_key(
    store: &Store,
    keys: &MasterKeys,
    tenant_id: &str,
) -> Result<Option<hmac::Key>, KeyError> {
    match store.existing_erasure_salt(tenant_id).await? {
        Some(stored) => Ok(Some(key(&open(store, keys, tenant_id, stored).await?))),
        None => Ok(None),
    }
}

/// One value's subject hash (values are trimmed, as ID lists are).
pub fn subject_hash(key: &hmac::Key, value: &str) -> String {
    hex::encode(hmac::sign(key, value.trim().as_bytes()).as_ref())
}

/// Seal a salt stored in clear, in place, unless someone did first; returns whether this call sealed it. Used on
/// first use and by `clearance rotate-key`.
pub async fn seal_clear_salt(
    store: &Store,
    keys: &MasterKeys,
    tenant_id: &str,
    clear: &SecretString,
) -> Result<bool, StoreError> {
    let sealed = SealedSecret(seal_secret(keys, &erasure_salt_context(tenant_id), clear));
    store
        .seal_clear_erasure_salt(tenant_id, clear, &sealed)
        .await
}

/// The salt itself: a sealed one opened, a clear one sealed in place first (and used as it is either way).
async fn open(
    store: &Store,
    keys: &MasterKeys,
    tenant_id: &str,
    stored: StoredSalt,
) -> Result<SecretString, KeyError> {
    match stored {
        StoredSalt::Sealed(sealed) => keys
            .open(&erasure_salt_context(tenant_id), &sealed.0)
            .map_err(|source| KeyError::Sealed {
                tenant: tenant_id.to_owned(),
                source,
            }),
        StoredSalt::Clear(clear) => {
            seal_clear_salt(store, keys, tenant_id, &clear).await?;
            Ok(clear)
        }
    }
}

fn key(salt: &SecretString) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, salt.expose_secret().as_bytes())
}
