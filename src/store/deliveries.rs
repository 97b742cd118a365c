//! The `deliveries` table: one row per bundle built from an approved plan, from building through upload to expiry,
//! with its figures (rows, bytes, hashes), its sealed secret and the Jira attachment; and the data subjects each
//! delivery contained, as keyed hashes, for erasure requests. Always scoped to one tenant.

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::{QueryContext, Result, SealedSecret, Store, Tx, with_pool, with_tx};
use crate::{model::DeliveryState, model::State};

macro_rules! delivery_columns {
    () => {
        "id, tenant_id, request_id, digest, file_name, encryption, state, row_count, data_bytes, data_sha256, \
         bundle_bytes, bundle_sha256, summary, progress_rows, progress_bytes, secret_sealed, attachment_id, \
         created_at, built_at, uploaded_at, expires_at, reminded_at, expired_at, error, deflate_level"
    };
}

/// A delivery as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct DeliveryRow {
    /// Delivery id (part of the sealed secret's associated data).
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// The request it delivers.
    pub request_id: String,
    /// The approved plan digest it was built from.
    pub digest: String,
    /// The bundle's file name, unique per delivery.
    pub file_name: String,
    /// `age`, `age-recipients` or `zip-aes`.
    pub encryption: String,
    /// Where it is (a stored name Clearance does not know is refused on read).
    pub state: DeliveryState,
    /// Data rows.
    pub row_count: Option<i64>,
    /// Bytes of the data file.
    pub data_bytes: Option<i64>,
    /// SHA-256 of the data file.
    pub data_sha256: Option<String>,
    /// Bytes of the bundle.
    pub bundle_bytes: Option<i64>,
    /// SHA-256 of the bundle.
    pub bundle_sha256: Option<String>,
    /// JSON: columns, ID-list counts, seconds per stage.
    pub summary: Option<String>,
    /// Rows written so far while building.
    pub progress_rows: i64,
    /// Bytes written so far while building.
    pub progress_bytes: i64,
    /// The passphrase or zip password, sealed; `None` when there is none or it was wiped.
    pub secret_sealed: Option<String>,
    /// The Jira attachment, once uploaded.
    pub attachment_id: Option<String>,
    /// Created (building started).
    pub created_at: DateTime<Utc>,
    /// Bundle finished.
    pub built_at: Option<DateTime<Utc>>,
    /// Attached to the issue.
    pub uploaded_at: Option<DateTime<Utc>>,
    /// When retention ends.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the requester was reminded of the expiry.
    pub reminded_at: Option<DateTime<Utc>>,
    /// When the attachment was removed.
    pub expired_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: Option<String>,
    /// Deflate level of the bundle (`None`: the default).
    pub deflate_level: Option<i64>,
}

impl DeliveryRow {
    /// A new delivery of `request` about to be built: state `building`, nothing measured, sealed or attached yet.
    pub fn building(
        id: String,
        request: &super::RequestRow,
        digest: &str,
        file_name: String,
        encryption: &str,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tenant_id: request.tenant_id.clone(),
            request_id: request.id.clone(),
            digest: digest.to_owned(),
            file_name,
            encryption: encryption.to_owned(),
            state: DeliveryState::Building,
            row_count: None,
            data_bytes: None,
            data_sha256: None,
            bundle_bytes: None,
            bundle_sha256: None,
            summary: None,
            progress_rows: 0,
            progress_bytes: 0,
            secret_sealed: None,
            attachment_id: None,
            created_at,
            built_at: None,
            uploaded_at: None,
            expires_at: None,
            reminded_at: None,
            expired_at: None,
            error: None,
            deflate_level: None,
        }
    }

    /// The sealed secret, typed.
    pub fn sealed_secret(&self) -> Option<SealedSecret> {
        self.secret_sealed.clone().map(SealedSecret)
    }
}

impl Store {
    /// One of a tenant's deliveries.
    #[instrument(skip_all)]
    pub async fn delivery(&self, tenant_id: &str, id: &str) -> Result<Option<DeliveryRow>> {
        let sql = concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE tenant_id = $1 AND id = $2"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(id)
            .fetch_optional(pool).await.op("reading a delivery"))
    }

    /// A request's deliveries, newest first.
    #[instrument(skip_all)]
    pub async fn request_deliveries(
        &self,
        tenant_id: &str,
        request_id: &str,
    ) -> Result<Vec<DeliveryRow>> {
        let sql = concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE tenant_id = $1 AND request_id = $2 ORDER BY created_at DESC, id DESC"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(request_id)
            .fetch_all(pool).await.op("reading a request's deliveries"))
    }

    /// Uploaded deliveries (any tenant) whose retention ends at or before `until`, soonest first.
    #[instrument(skip_all)]
    pub async fn deliveries_expiring(
        &self,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>> {
        let sql = concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE state = $3 AND expires_at <= $1 ORDER BY expires_at LIMIT $2"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(until).bind(limit).bind(DeliveryState::Uploaded.as_str())
            .fetch_all(pool).await.op("finding deliveries to expire"))
    }

    /// Uploaded deliveries (any tenant) whose reminder is not sent and whose retention ends at or before `until`.
    pub async fn deliveries_to_remind(
        &self,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>> {
        let sql = concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE state = $3 AND reminded_at IS NULL AND expires_at <= $1 \
             ORDER BY expires_at LIMIT $2"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(until).bind(limit).bind(DeliveryState::Uploaded.as_str())
            .fetch_all(pool).await.op("finding deliveries to remind about"))
    }

    /// Uploaded deliveries (any tenant) whose request waits in `awaiting_delivery`.
    pub async fn deliveries_awaiting(&self, limit: i64) -> Result<Vec<DeliveryRow>> {
        let sql = concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE state = $3 AND request_id IN \
             (SELECT id FROM requests WHERE state = $2) ORDER BY created_at LIMIT $1"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(limit).bind(State::AwaitingDelivery.as_str())
            .bind(DeliveryState::Uploaded.as_str())
            .fetch_all(pool).await.op("finding deliveries awaiting their secret"))
    }

    /// Record how far a build has come (a plain update; the row is the builder's own).
    pub async fn delivery_progress(&self, id: &str, rows: u64, bytes: u64) -> Result<()> {
        let sql = "UPDATE deliveries SET progress_rows = $2, progress_bytes = $3 WHERE id = $1 AND state = $4";
        let (rows, bytes) = (
            i64::try_from(rows).unwrap_or(i64::MAX),
            i64::try_from(bytes).unwrap_or(i64::MAX),
        );
        with_pool!(self, pool => sqlx::query(sql).bind(id).bind(rows).bind(bytes)
            .bind(DeliveryState::Building.as_str()).execute(pool).await.op("recording delivery progress").map(drop))?;
        Ok(())
    }

    /// A tenant's live deliveries (built or uploaded) that contained the data subject with this hash.
    pub async fn deliveries_with_subject(
        &self,
        tenant_id: &str,
        subject_hash: &str,
    ) -> Result<Vec<DeliveryRow>> {
        let sql = concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE tenant_id = $1 AND state IN ($3, $4) AND id IN \
             (SELECT delivery_id FROM delivery_subjects WHERE tenant_id = $1 AND subject_hash = $2) \
             ORDER BY created_at"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(subject_hash)
            .bind(DeliveryState::Built.as_str()).bind(DeliveryState::Uploaded.as_str())
            .fetch_all(pool).await.op("finding deliveries of a data subject"))
    }

    /// Every sealed delivery secret `(tenant id, delivery id, sealed)`, for re-sealing under a new master key.
    pub async fn sealed_delivery_secrets(&self) -> Result<Vec<(String, String, SealedSecret)>> {
        let rows: Vec<(String, String, String)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT tenant_id, id, secret_sealed FROM deliveries WHERE secret_sealed IS NOT NULL ORDER BY id")
            .fetch_all(pool).await.op("reading sealed delivery secrets"))?;
        Ok(rows
            .into_iter()
            .map(|(t, id, s)| (t, id, SealedSecret(s)))
            .collect())
    }

    /// Replace sealed secrets; entries are `(delivery id, old, new)`; rows changed meanwhile are left alone.
    pub async fn reseal_delivery_secrets(
        &self,
        entries: &[(String, SealedSecret, SealedSecret)],
    ) -> Result<u64> {
        let sql = "UPDATE deliveries SET secret_sealed = $3 WHERE id = $1 AND secret_sealed = $2";
        self.reseal(sql, entries).await
    }
}

impl Tx {
    /// Store a new delivery.
    pub async fn insert_delivery(&mut self, d: &DeliveryRow) -> Result<()> {
        let sql = concat!(
            "INSERT INTO deliveries (",
            delivery_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
             $21, $22, $23, $24, $25)"
        );
        with_tx!(self, c => bind_all(sqlx::query(sql), d).execute(&mut *c).await.op("storing a delivery").map(drop))?;
        Ok(())
    }

    /// Overwrite a delivery's changing columns.
    pub async fn save_delivery(&mut self, d: &DeliveryRow) -> Result<()> {
        let sql = "UPDATE deliveries SET state = $7, row_count = $8, data_bytes = $9, data_sha256 = $10, \
                   bundle_bytes = $11, bundle_sha256 = $12, summary = $13, progress_rows = $14, \
                   progress_bytes = $15, secret_sealed = $16, attachment_id = $17, built_at = $19, \
                   uploaded_at = $20, expires_at = $21, reminded_at = $22, expired_at = $23, error = $24, \
                   deflate_level = $25 \
                   WHERE id = $1 AND tenant_id = $2 AND request_id = $3 AND digest = $4 AND file_name = $5 \
                   AND encryption = $6 AND created_at = $18";
        with_tx!(self, c => bind_all(sqlx::query(sql), d).execute(&mut *c).await.op("updating a delivery").map(drop))?;
        Ok(())
    }

    /// A delivery, locked until commit.
    pub async fn lock_delivery(
        &mut self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<DeliveryRow>> {
        let sql = format!(
            concat!(
                "SELECT ",
                delivery_columns!(),
                " FROM deliveries WHERE tenant_id = $1 AND id = $2{}"
            ),
            self.for_update()
        );
        with_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(id)
            .fetch_optional(&mut *c).await.op("locking a delivery"))
    }

    /// Record the data subjects (keyed hashes) a delivery contains.
    pub async fn insert_delivery_subjects(
        &mut self,
        tenant_id: &str,
        delivery_id: &str,
        hashes: &[String],
    ) -> Result<()> {
        let sql = "INSERT INTO delivery_subjects (tenant_id, delivery_id, subject_hash) VALUES ($1, $2, $3) \
                   ON CONFLICT DO NOTHING";
        for h in hashes {
            with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(delivery_id).bind(h)
                .execute(&mut *c).await.op("recording a data subject").map(drop))?;
        }
        Ok(())
    }
}

type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>;

/// Bind every column of `d`, in `delivery_columns!` order.
fn bind_all<'q, DB>(q: Query<'q, DB>, d: &DeliveryRow) -> Query<'q, DB>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<DateTime<Utc>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    q.bind(d.id.clone())
        .bind(d.tenant_id.clone())
        .bind(d.request_id.clone())
        .bind(d.digest.clone())
        .bind(d.file_name.clone())
        .bind(d.encryption.clone())
        .bind(d.state.as_str().to_owned())
        .bind(d.row_count)
        .bind(d.data_bytes)
        .bind(d.data_sha256.clone())
        .bind(d.bundle_bytes)
        .bind(d.bundle_sha256.clone())
        .bind(d.summary.clone())
        .bind(d.progress_rows)
        .bind(d.progress_bytes)
        .bind(d.secret_sealed.clone())
        .bind(d.attachment_id.clone())
        .bind(d.created_at)
        .bind(d.built_at)
        .bind(d.uploaded_at)
        .bind(d.expires_at)
        .bind(d.reminded_at)
        .bind(d.expired_at)
        .bind(d.error.clone())
        .bind(d.deflate_level)
}
