//! What the panel's plan editor receives: the dry run of the saved plan, the data sources and recipes the issue's
//! project may use with the site's plan defaults, an attached ID file's columns, and a delivery's retention.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    extract::{
        ids::IdReport,
        pii_values::Finding,
        preview::{Preview, PreviewColumn},
    },
    requests::{dry_run::DryRun, plan_inputs::IdFileInfo},
    store::{RecipeRow, StoredDataSource},
};

/// `POST /api/panel/requests/{issue_id}/dry-run`: the first rows as they would be delivered, with the findings.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DryRunAnswer<'a> {
    pub digest: &'a str,
    pub columns: &'a [PreviewColumn],
    pub rows: &'a [Vec<Option<String>>],
    pub sampled: u64,
    pub more: bool,
    pub findings: &'a [Finding],
    pub ids: Option<&'a IdReport>,
    pub seconds: f64,
    pub audit_seq: i64,
}

impl<'a> DryRunAnswer<'a> {
    pub fn of(run: &'a DryRun) -> Self {
        let p: &Preview = &run.preview;
        Self {
            digest: &run.digest,
            columns: &p.columns,
            rows: &p.rows,
            sampled: p.sampled,
            more: p.more,
            findings: &p.findings,
            ids: run.ids.as_ref(),
            seconds: p.seconds,
            audit_seq: run.event.seq,
        }
    }
}

/// A data source as the plan editor offers it (never its URL).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceOption<'a> {
    pub name: &'a str,
    pub kind: &'static str,
    pub environment: &'static str,
    pub max_rows: u64,
    pub max_bytes: u64,
}

impl<'a> From<&'a StoredDataSource> for SourceOption<'a> {
    fn from(s: &'a StoredDataSource) -> Self {
        Self {
            name: &s.name,
            kind: s.kind.kind(),
            environment: s.environment.as_str(),
            max_rows: s.max_rows,
            max_bytes: s.max_bytes,
        }
    }
}

/// The site's default output format and encryption for new plans.
#[derive(Serialize)]
pub struct PlanDefaults<F: Serialize, E: Serialize> {
    pub format: F,
    pub encryption: E,
}

/// `GET /api/panel/requests/{issue_id}/sources`.
#[derive(Serialize)]
pub struct SourcesAnswer<'a, F: Serialize, E: Serialize> {
    pub sources: Vec<SourceOption<'a>>,
    pub recipes: Vec<RecipeRow>,
    pub defaults: PlanDefaults<F, E>,
}

/// `GET /api/panel/requests/{issue_id}/id-files/{attachment_id}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdFileAnswer {
    pub id_file: IdFileInfo,
}

/// `PUT /api/panel/requests/{issue_id}/retention`: the days asked for (`null`: the site's default) and the removal
/// date that follows, if the delivery is on the issue.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetentionAnswer {
    pub days: Option<u32>,
    pub expires_at: Option<DateTime<Utc>>,
}
