//! What the issue panel receives about a request: the request itself, the caller's place in it (roles, permitted
//! commands), its newest delivery, what it waits on, the people it names and its audit trail; and the answer to a
//! command.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::{
    delivery::view::DeliveryView,
    model::State,
    requests::{machine::Roles, waiting::WaitingView},
    store::{AuditEvent, RequestRow},
    tenant::TenantState,
};

/// A request as the panel shows it (the stored plan, attachments and scan as the JSON they were stored as).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestView<'a> {
    pub id: &'a str,
    pub issue_id: &'a str,
    pub issue_key: &'a str,
    pub summary: &'a str,
    pub description: &'a str,
    /// The issue's attachments, `null` if what was stored is not JSON.
    pub attachments: Value,
    pub state: State,
    pub reason: Option<&'a str>,
    pub requester: Option<&'a str>,
    pub reviewer: Option<&'a str>,
    /// The saved plan, `null` before there is one.
    pub plan: Value,
    pub plan_digest: Option<&'a str>,
    pub plan_author: Option<&'a str>,
    pub personal_data: Option<bool>,
    pub scan: Option<Value>,
    pub approved_digest: Option<&'a str>,
    pub approved_by: Option<&'a str>,
    pub approved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl<'a> RequestView<'a> {
    pub fn of(r: &'a RequestRow) -> Self {
        let plan = r
            .plan
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or(Value::Null);
        Self {
            id: &r.id,
            issue_id: &r.issue_id,
            issue_key: &r.issue_key,
            summary: &r.summary,
            description: &r.description,
            attachments: serde_json::from_str(&r.attachments).unwrap_or(Value::Null),
            state: r.state,
            reason: r.reason.as_deref(),
            requester: r.reporter.as_deref(),
            reviewer: r.reviewer.as_deref(),
            plan,
            plan_digest: r.plan_digest.as_deref(),
            plan_author: r.plan_author.as_deref(),
            personal_data: r.pii,
            scan: r
                .pii_scan
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            approved_digest: r.approved_digest.as_deref(),
            approved_by: r.approved_by.as_deref(),
            approved_at: r.approved_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// One event of the request's audit trail.
#[derive(Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    /// The event's detail, `null` if it is not JSON.
    pub detail: Value,
}

impl From<AuditEvent> for AuditEntry {
    fn from(e: AuditEvent) -> Self {
        let detail = e.detail_value().unwrap_or(Value::Null);
        Self {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: e.action,
            detail,
        }
    }
}

/// The caller, as the panel addresses them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct You<'a> {
    pub account_id: &'a str,
    pub roles: Roles,
    /// Whether the caller reported the issue.
    pub requester: bool,
}

/// `GET /api/panel/requests/{issue_id}`.
#[derive(Serialize)]
pub struct RequestAnswer<'a> {
    pub request: RequestView<'a>,
    pub delivery: Option<DeliveryView>,
    pub waiting: Option<WaitingView>,
    /// Display names of the accounts the request names, where Jira gave them.
    pub people: BTreeMap<String, String>,
    pub you: You<'a>,
    pub allowed: Vec<&'static str>,
    pub audit: Vec<AuditEntry>,
}

/// The audit event a command wrote.
#[derive(Serialize)]
pub struct EventRef {
    pub seq: i64,
    pub action: String,
    pub hash: String,
}

/// `POST /api/panel/requests/{issue_id}/commands`.
#[derive(Serialize)]
pub struct CommandAnswer<'a> {
    pub request: RequestView<'a>,
    pub changed: bool,
    pub event: Option<EventRef>,
}

/// `GET /api/panel/context`: who the panel is talking to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PanelContext<'a> {
    pub site: &'a str,
    pub account_id: Option<&'a str>,
    pub tenant_state: TenantState,
}

/// `POST /api/panel/requests/{issue_id}/reveal`: the caller's secret, once.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Revealed<'a> {
    pub file_name: &'a str,
    pub encryption: &'a str,
    pub secret: &'a str,
}
