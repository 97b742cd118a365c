//! The `audit_events` and `audit_heads` tables: appends inside the caller's transaction, serialised per tenant by
//! the head row, and ordered reads for verification and export.

use chrono::{SecondsFormat, Utc};
use serde_json::Value;

use super::{
    QueryContext, Result, Store, StoreError, Tx,
    audit_chain::{self as chain, GENESIS, Link},
    with_pool, with_tx,
};
use crate::model::AuditAction;

/// An event to append.
#[derive(Clone, Debug)]
pub struct NewAuditEvent {
    /// Account id of the person, or `jira` / `clearance`.
    pub actor: String,
    /// What happened.
    pub action: AuditAction,
    /// The request concerned.
    pub request_id: Option<String>,
    /// Facts of the event (never personal data or secrets).
    pub detail: Value,
}

/// A stored audit event.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct AuditEvent {
    /// Event id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// Position in the tenant's chain, from 1.
    pub seq: i64,
    /// RFC 3339 time with microseconds.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What, as stored (the name of an [`AuditAction`]; kept as text because the hash covers the text as it is).
    pub action: String,
    /// Which request.
    pub request_id: Option<String>,
    /// Canonical JSON of the facts.
    pub detail: String,
    /// Hash of the previous event ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

macro_rules! audit_columns {
    () => {
        "id, tenant_id, seq, at, actor, action, request_id, detail, prev_hash, hash"
    };
}

impl Tx {
    /// Append an event to the tenant's chain. The head row is updated first, which locks it until commit, so two
    /// transactions appending for one tenant queue behind each other instead of forking the chain.
    pub async fn append_audit(
        &mut self,
        tenant_id: &str,
        ev: &NewAuditEvent,
    ) -> Result<AuditEvent> {
        let bump = "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 1, $2) \
                    ON CONFLICT (tenant_id) DO UPDATE SET seq = audit_heads.seq + 1 RETURNING seq, hash";
        let (seq, prev_hash): (i64, String) = with_tx!(self, c => sqlx::query_as(bump)
            .bind(tenant_id).bind(GENESIS).fetch_one(&mut *c).await.op("advancing the audit chain"))?;
        let at = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        // The text stored is the text hashed: the verifier recomputes the hash from it as it is.
        let detail = crate::digest::canonical_json(&ev.detail);
        let hash = chain::hash(
            &prev_hash,
            &Link {
                tenant_id,
                seq,
                at: &at,
                actor: &ev.actor,
                action: ev.action.as_str(),
                request_id: ev.request_id.as_deref(),
                detail: &detail,
            },
        );
        let event = AuditEvent {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant_id.to_owned(),
            seq,
            at,
            actor: ev.actor.clone(),
            action: ev.action.as_str().to_owned(),
            request_id: ev.request_id.clone(),
            detail,
            prev_hash,
            hash,
        };
        let insert = "INSERT INTO audit_events (id, tenant_id, seq, at, actor, action, request_id, detail, prev_hash, \
                      hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        with_tx!(self, c => {
            sqlx::query(insert)
                .bind(&event.id).bind(&event.tenant_id).bind(event.seq).bind(&event.at).bind(&event.actor)
                .bind(&event.action).bind(&event.request_id).bind(&event.detail).bind(&event.prev_hash)
                .bind(&event.hash)
                .execute(&mut *c).await.op("appending an audit event")?;
            sqlx::query("UPDATE audit_heads SET hash = $2 WHERE tenant_id = $1")
                .bind(tenant_id).bind(&event.hash)
                .execute(&mut *c).await.op("moving the audit chain head")?;
        });
        Ok(event)
    }
}

impl Store {
    /// Up to `limit` events of a tenant after position `after`, in chain order.
    pub async fn audit_page(
        &self,
        tenant_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        let sql = concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(after).bind(limit)
            .fetch_all(pool).await.op("reading audit events"))
    }

    /// Position and id of the tenant's first event after position `after`, read without the event's text columns.
    pub async fn audit_position_after(
        &self,
        tenant_id: &str,
        after: i64,
    ) -> Result<Option<(i64, String)>> {
        let sql = "SELECT seq, id FROM audit_events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT 1";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(after).fetch_optional(pool).await
            .op("reading an audit event's position"))
    }

    /// One event by its position in the tenant's chain.
    pub async fn audit_event(&self, tenant_id: &str, seq: i64) -> Result<Option<AuditEvent>> {
        let sql = concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_events WHERE tenant_id = $1 AND seq = $2"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(seq).fetch_optional(pool).await
            .op("reading an audit event"))
    }

    /// The newest link of a tenant's chain (`None` before the first event).
    pub async fn audit_head(&self, tenant_id: &str) -> Result<Option<(i64, String)>> {
        let sql = "SELECT seq, hash FROM audit_heads WHERE tenant_id = $1";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).fetch_optional(pool).await
            .op("reading the audit chain head"))
    }

    /// The events about one request, in order.
    pub async fn request_audit(&self, request_id: &str) -> Result<Vec<AuditEvent>> {
        let sql = concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_events WHERE request_id = $1 ORDER BY seq"
        );
        with_pool!(self, pool => sqlx::query_as(sql).bind(request_id).fetch_all(pool).await
            .op("reading a request's audit events"))
    }

    /// Every tenant as `(id, client_key)`, for commands that work across tenants.
    pub async fn tenant_keys(&self) -> Result<Vec<(String, String)>> {
        let sql = "SELECT id, client_key FROM tenants ORDER BY client_key";
        with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await.op("listing tenants"))
    }
}

impl AuditEvent {
    /// What happened, if the stored name is one Clearance writes.
    pub fn parsed_action(&self) -> Option<AuditAction> {
        AuditAction::parse(&self.action)
    }

    /// The fields its hash covers, as stored (the detail as its stored text).
    pub fn link(&self) -> Link<'_> {
        Link {
            tenant_id: &self.tenant_id,
            seq: self.seq,
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            request_id: self.request_id.as_deref(),
            detail: &self.detail,
        }
    }

    /// The event's facts as JSON, for reading them (pages, notices). Floats read back only approximately unless
    /// `serde_json` parses them exactly, so nothing that must match the stored text byte for byte (the hash, the
    /// export) goes through this.
    pub fn detail_value(&self) -> Result<Value> {
        serde_json::from_str(&self.detail).map_err(|e| StoreError::Corrupt {
            table: "audit_events",
            detail: format!("event #{} has unreadable detail: {e}", self.seq),
        })
    }
}
