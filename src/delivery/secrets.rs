//! A delivery's secret, shown once to each person it is for: one-time links (only their token's SHA-256 is stored)
//! used by a click on the reveal page or from the issue panel by the intended account, each use audited, and the
//! sealed secret wiped as soon as no unused, unexpired link is left.

use aws_lc_rs::{digest, rand::SecureRandom as _};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::json;

use super::state::DeliveryState;
use crate::{
    crypto::delivery_secret_context,
    model::AuditAction,
    requests::Context,
    store::{DeliveryRow, NewAuditEvent, SecretLinkRow, StoreError, Tx},
};

/// A new link token (256 random bits, URL-safe) and the hash stored for it.
pub fn new_token() -> Result<(SecretString, String), String> {
    let mut raw = [0u8; 32];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut raw)
        .map_err(|_| "the system random number generator failed".to_owned())?;
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&token);
    Ok((SecretString::from(token), hash))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, token.as_bytes()).as_ref())
}

/// What a link's page shows before the click.
#[derive(Debug)]
pub struct LinkInfo {
    /// The bundle's file name.
    pub file_name: String,
    /// Its encryption (`age` or `zip-aes`).
    pub encryption: String,
    /// Until when the link works.
    pub expires_at: DateTime<Utc>,
}

/// A revealed secret.
pub struct Revealed {
    /// The passphrase or zip password.
    pub secret: SecretString,
    /// The bundle's file name.
    pub file_name: String,
    /// `age` or `zip-aes`.
    pub encryption: String,
}

/// Why nothing is revealed. The first three look the same to the person (no hint which it was).
#[derive(Debug, thiserror::Error)]
pub enum RevealError {
    /// No such link, used already, or expired.
    #[error(
        "this link was already used or has expired; ask the data team to send the secret again"
    )]
    Unusable,
    /// The caller has no unused link for this request's delivery.
    #[error("there is no unrevealed secret for you on this request")]
    NotYours,
    /// Storage or key trouble.
    #[error("the secret cannot be read now: {0}")]
    Internal(String),
}

impl From<StoreError> for RevealError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// The page before the click: the link is looked at, not used (link-preview bots fetch pages too).
pub async fn peek(app: &Context, token: &str) -> Result<LinkInfo, RevealError> {
    let link = app
        .store
        .secret_link_by_hash(&token_hash(token))
        .await?
        .filter(|l| l.revealed_at.is_none() && l.expires_at > Utc::now())
        .ok_or(RevealError::Unusable)?;
    let d = app
        .store
        .delivery(&link.tenant_id, &link.delivery_id)
        .await?
        .filter(|d| d.secret_sealed.is_some())
        .ok_or(RevealError::Unusable)?;
    Ok(LinkInfo {
        file_name: d.file_name,
        encryption: d.encryption,
        expires_at: link.expires_at,
    })
}

/// Use the link with `token` (once).
pub async fn reveal_by_token(app: &Context, token: &str) -> Result<Revealed, RevealError> {
    let now = Utc::now();
    let mut tx = app.store.begin().await?;
    let link = tx
        .use_secret_link(&token_hash(token), now)
        .await?
        .ok_or(RevealError::Unusable)?;
    let revealed = finish(app, &mut tx, &link, "link").await?;
    tx.commit().await?;
    Ok(revealed)
}

/// Reveal the newest delivery's secret of `request_id` to `account` from the panel (their own unused link only).
pub async fn reveal_for_account(
    app: &Context,
    tenant_id: &str,
    request_id: &str,
    account: &str,
) -> Result<Revealed, RevealError> {
    let now = Utc::now();
    let live = app
        .store
        .request_deliveries(tenant_id, request_id)
        .await?
        .into_iter()
        .find(|d| d.state == DeliveryState::Uploaded && d.secret_sealed.is_some())
        .ok_or(RevealError::NotYours)?;
    let mine = app
        .store
        .secret_links(tenant_id, &live.id)
        .await?
        .into_iter()
        .find(|l| l.account_id == account && l.revealed_at.is_none() && l.expires_at > now)
        .ok_or(RevealError::NotYours)?;
    let mut tx = app.store.begin().await?;
    let link = tx
        .use_secret_link(&mine.token_hash, now)
        .await?
        .ok_or(RevealError::NotYours)?;
    let revealed = finish(app, &mut tx, &link, "panel").await?;
    tx.commit().await?;
    Ok(revealed)
}

/// Open the secret of a just-used link, audit the use, and wipe the secret if no usable link is left.
async fn finish(
    app: &Context,
    tx: &mut Tx,
    link: &SecretLinkRow,
    via: &str,
) -> Result<Revealed, RevealError> {
    let mut d = tx
        .lock_delivery(&link.tenant_id, &link.delivery_id)
        .await?
        .ok_or(RevealError::Unusable)?;
    let sealed = d.secret_sealed.clone().ok_or(RevealError::Unusable)?;
    let keys = app
        .cfg
        .require_master_keys()
        .map_err(|e| RevealError::Internal(e.to_string()))?;
    let secret = keys
        .open(&delivery_secret_context(&d.tenant_id, &d.id), &sealed)
        .map_err(|e| RevealError::Internal(e.to_string()))?;
    let left = tx.usable_secret_links(&d.id, Utc::now()).await?;
    if left == 0 {
        d.secret_sealed = None;
        tx.save_delivery(&d).await?;
    }
    tx.append_audit(
        &d.tenant_id,
        &NewAuditEvent {
            actor: link.account_id.clone(),
            action: AuditAction::SecretRevealed,
            request_id: Some(d.request_id.clone()),
            detail: json!({"delivery": d.id, "file": d.file_name, "via": via, "secret_wiped": left == 0}),
        },
    )
    .await?;
    Ok(Revealed {
        secret,
        file_name: d.file_name.clone(),
        encryption: d.encryption.clone(),
    })
}

/// Wipe a delivery's secret and end its unused links (expiry, erasure); audited by the caller.
pub async fn wipe(tx: &mut Tx, d: &mut DeliveryRow) -> Result<(), StoreError> {
    tx.expire_secret_links(&d.id, Utc::now()).await?;
    d.secret_sealed = None;
    tx.save_delivery(d).await
}
