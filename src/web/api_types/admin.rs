//! What the admin page receives about jobs, the audit chain, data sources and retention.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    audit::verify::Report,
    extract::probe::{ProbeError, ProbeReport},
    store::{JobRow, RetentionPolicy, StoredDataSource},
};

/// A job as the admin page lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub state: &'a str,
    pub attempts: i32,
    pub max_attempts: i32,
    pub waits: i32,
    /// `jira` or `slack` while the job waits out a rate limit.
    pub waiting_on: Option<&'static str>,
    pub waiting_since: Option<DateTime<Utc>>,
    pub last_error: Option<&'a str>,
    pub run_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl<'a> From<&'a JobRow> for JobView<'a> {
    fn from(j: &'a JobRow) -> Self {
        Self {
            id: &j.id,
            kind: &j.kind,
            state: &j.state,
            attempts: j.tries(),
            max_attempts: j.max_attempts,
            waits: j.waits,
            waiting_on: j.waiting_on().map(|w| w.service()),
            waiting_since: j.waiting_since,
            last_error: j.last_error.as_deref(),
            run_at: j.run_at,
            updated_at: j.updated_at,
        }
    }
}

/// `GET /api/admin/jobs`.
#[derive(Serialize)]
pub struct JobsAnswer<'a> {
    pub jobs: Vec<JobView<'a>>,
}

/// `POST /api/admin/jobs/{id}/rerun`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rerun<'a> {
    pub rerun: &'a str,
    pub audit_seq: i64,
}

/// Where the chain breaks.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokenLink<'a> {
    pub seq: i64,
    pub event_id: Option<&'a str>,
    pub problem: &'a str,
}

/// `GET /api/admin/audit/verify`.
#[derive(Serialize)]
pub struct Verified<'a> {
    pub ok: bool,
    pub verified: i64,
    pub broken: Option<BrokenLink<'a>>,
    pub summary: String,
}

impl<'a> From<&'a Report> for Verified<'a> {
    fn from(report: &'a Report) -> Self {
        Self {
            ok: report.ok(),
            verified: report.verified,
            broken: report.broken.as_ref().map(|b| BrokenLink {
                seq: b.seq,
                event_id: b.event_id.as_deref(),
                problem: &b.problem,
            }),
            summary: report.to_string(),
        }
    }
}

/// A source as admins see it: settings in the clear, the URL redacted (or why it cannot be opened).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceView<'a> {
    pub name: &'a str,
    pub kind: &'static str,
    pub url: Option<&'a str>,
    pub url_problem: Option<&'a str>,
    pub environment: &'static str,
    pub allowed_projects: &'a [String],
    pub max_rows: u64,
    pub max_bytes: u64,
    pub statement_timeout_secs: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: &'a str,
}

impl<'a> SourceView<'a> {
    /// `s` with its redacted URL, or why the URL cannot be opened.
    pub fn of(s: &'a StoredDataSource, url: Result<&'a str, &'a str>) -> Self {
        Self {
            name: &s.name,
            kind: s.kind.kind(),
            url: url.ok(),
            url_problem: url.err(),
            environment: s.environment.as_str(),
            allowed_projects: &s.allowed_projects,
            max_rows: s.max_rows,
            max_bytes: s.max_bytes,
            statement_timeout_secs: s.statement_timeout_secs,
            created_at: s.created_at,
            updated_at: s.updated_at,
            updated_by: &s.updated_by,
        }
    }
}

/// `GET /api/admin/sources`.
#[derive(Serialize)]
pub struct Sources<'a> {
    pub sources: Vec<SourceView<'a>>,
}

/// `PUT /api/admin/sources/{name}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSaved<'a> {
    pub source: SourceView<'a>,
    pub created: bool,
    pub audit_seq: i64,
}

/// A connection test: `{"ok": true, …}` with what was measured, or `{"ok": false, "problem", "message"}`.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Probe {
    Passed(ProbePassed),
    Failed(ProbeFailed),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbePassed {
    pub ok: bool,
    pub server_version: String,
    pub connect_ms: u128,
    pub latency_ms: u128,
    pub read_only_verified: bool,
}

#[derive(Serialize)]
pub struct ProbeFailed {
    pub ok: bool,
    pub problem: &'static str,
    pub message: String,
}

impl From<Result<ProbeReport, ProbeError>> for Probe {
    fn from(result: Result<ProbeReport, ProbeError>) -> Self {
        match result {
            Ok(r) => Probe::Passed(ProbePassed {
                ok: true,
                server_version: r.server_version,
                connect_ms: r.connect_time.as_millis(),
                latency_ms: r.latency.as_millis(),
                read_only_verified: r.read_only_verified,
            }),
            Err(e) => Probe::Failed(ProbeFailed {
                ok: false,
                problem: e.code(),
                message: e.to_string(),
            }),
        }
    }
}

/// `GET /api/admin/retention`.
#[derive(Serialize)]
pub struct Retention {
    pub retention: RetentionPolicy,
}

/// `PUT /api/admin/retention`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetentionSaved {
    pub retention: RetentionPolicy,
    pub audit_seq: i64,
}
