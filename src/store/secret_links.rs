//! The `secret_links` table: one-time links that reveal a delivery's secret to one Jira account. Only the token's
//! SHA-256 is stored; using a link is one conditional update, so two clicks cannot both reveal.

use chrono::{DateTime, Utc};

use super::{QueryContext, Result, Store, Tx, with_pool, with_tx};
use crate::model::DeliveryState;

macro_rules! link_columns {
    () => {
        "id, tenant_id, delivery_id, account_id, token_hash, created_at, expires_at, notified_at, revealed_at"
    };
}

/// A one-time link as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct SecretLinkRow {
    /// Link id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// The delivery whose secret it reveals.
    pub delivery_id: String,
    /// The Jira account it is for.
    pub account_id: String,
    /// SHA-256 (hex) of the link's token.
    pub token_hash: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Unusable after this.
    pub expires_at: DateTime<Utc>,
    /// When the person was sent the link.
    pub notified_at: Option<DateTime<Utc>>,
    /// When it was used.
    pub revealed_at: Option<DateTime<Utc>>,
}

impl Store {
    /// A link by its token's hash.
    pub async fn secret_link_by_hash(&self, token_hash: &str) -> Result<Option<SecretLinkRow>> {
        let sql = concat!(
            "SELECT ",
            link_columns!(),
            " FROM secret_links WHERE token_hash = $1"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(token_hash)
            .fetch_optional(pool).await.op("reading a secret link"))
    }

    /// A delivery's links.
    pub async fn secret_links(
        &self,
        tenant_id: &str,
        delivery_id: &str,
    ) -> Result<Vec<SecretLinkRow>> {
        let sql = concat!(
            "SELECT ",
            link_columns!(),
            " FROM secret_links WHERE tenant_id = $1 AND delivery_id = $2 ORDER BY created_at, id"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(delivery_id)
            .fetch_all(pool).await.op("reading secret links"))
    }

    /// Record that the link's person was told; `spent` when the message itself carried what they need (the
    /// passphrase in the DM, or no secret at all), so the link counts as used.
    pub async fn secret_link_notified(
        &self,
        id: &str,
        at: DateTime<Utc>,
        spent: bool,
    ) -> Result<()> {
        let sql = if spent {
            "UPDATE secret_links SET notified_at = $2, revealed_at = $2 WHERE id = $1"
        } else {
            "UPDATE secret_links SET notified_at = $2 WHERE id = $1"
        };
        with_pool!(self, pool => sqlx::query(sql)
            .bind(id).bind(at).execute(pool).await.op("recording a notification").map(drop))
    }

    /// Uploaded deliveries (any tenant) that still hold a sealed secret although no link to it can be used any
    /// more and everyone was told: their links expired unused. `limit` at most.
    pub async fn deliveries_with_spent_secrets(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(String, String)>> {
        let sql = "SELECT d.tenant_id, d.id FROM deliveries d WHERE d.state = $3 AND d.secret_sealed IS NOT NULL \
                   AND EXISTS (SELECT 1 FROM secret_links l WHERE l.delivery_id = d.id) \
                   AND NOT EXISTS (SELECT 1 FROM secret_links l WHERE l.delivery_id = d.id \
                                   AND (l.notified_at IS NULL OR (l.revealed_at IS NULL AND l.expires_at > $1))) \
                   ORDER BY d.id LIMIT $2";
        with_pool!(self, pool => sqlx::query_as(sql).bind(now).bind(limit).bind(DeliveryState::Uploaded.as_str())
            .fetch_all(pool).await.op("finding secrets no link can reveal"))
    }
}

impl Tx {
    /// Store a new link (none may exist yet for the same delivery and account).
    pub async fn insert_secret_link(&mut self, l: &SecretLinkRow) -> Result<()> {
        let sql = concat!(
            "INSERT INTO secret_links (",
            link_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        with_tx!(self, c => sqlx::query(sql).bind(&l.id).bind(&l.tenant_id).bind(&l.delivery_id)
            .bind(&l.account_id).bind(&l.token_hash).bind(l.created_at).bind(l.expires_at).bind(l.notified_at)
            .bind(l.revealed_at).execute(&mut *c).await.op("storing a secret link").map(drop))
    }

    /// Give a link nobody was told about yet a new token and lifetime (a retry cannot resend a token it never
    /// kept). Returns whether the link was still untold.
    pub async fn renew_secret_link(
        &mut self,
        id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE secret_links SET token_hash = $2, expires_at = $3 \
                   WHERE id = $1 AND notified_at IS NULL AND revealed_at IS NULL";
        with_tx!(self, c => sqlx::query(sql).bind(id).bind(token_hash).bind(expires_at)
            .execute(&mut *c).await.op("renewing a secret link").map(|r| r.rows_affected() == 1))
    }

    /// Use the link with this token hash: marked revealed if it was unused and unexpired at `now`, and returned;
    /// `None` when it does not exist, was used, or has expired.
    pub async fn use_secret_link(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SecretLinkRow>> {
        let sql = concat!(
            "UPDATE secret_links SET revealed_at = $2 WHERE token_hash = $1 AND revealed_at IS NULL AND expires_at > $2 \
             RETURNING ",
            link_columns!()
        );
        with_tx!(self, c => sqlx::query_as(sql).bind(token_hash).bind(now)
            .fetch_optional(&mut *c).await.op("using a secret link"))
    }

    /// How many of a delivery's links could still be used at `now` — counting those whose person was not told yet
    /// (the delivery job renews them), so the secret is not wiped while someone still waits for it.
    pub async fn usable_secret_links(
        &mut self,
        delivery_id: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM secret_links WHERE delivery_id = $1 AND revealed_at IS NULL \
                   AND (expires_at > $2 OR notified_at IS NULL)";
        let (n,): (i64,) = with_tx!(self, c => sqlx::query_as(sql).bind(delivery_id).bind(now)
            .fetch_one(&mut *c).await.op("counting usable secret links"))?;
        Ok(n)
    }

    /// Expire every unused link of a delivery (its secret is being wiped).
    pub async fn expire_secret_links(
        &mut self,
        delivery_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sql = "UPDATE secret_links SET expires_at = $2 WHERE delivery_id = $1 AND revealed_at IS NULL AND expires_at > $2";
        with_tx!(self, c => sqlx::query(sql).bind(delivery_id).bind(now)
            .execute(&mut *c).await.op("expiring secret links").map(drop))
    }
}
