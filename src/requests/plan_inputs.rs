//! What a saved plan needs before it can run: its data source, resolved for the issue's project with the URL opened,
//! and its ID list, downloaded from the issue's attachment and checked against the SHA-256 the plan recorded (so the
//! IDs that run are the ones that were reviewed and approved). Used by the dry run and by the extraction job.

use aws_lc_rs::digest;

use super::plan::{IdList as PlanIdList, Plan};
use crate::{
    extract::ids::{self, IdList, Limits},
    jira::JiraError,
    requests::Context,
    sources::{self, DataSource, SourcesError},
    store::RequestRow,
    tenant::Tenant,
};

/// A plan's source and ID list, ready for the extraction engine.
#[derive(Debug)]
pub struct PlanInputs {
    /// The resolved source (URL opened; `Debug` redacts it).
    pub source: DataSource,
    /// The query parameter and the IDs read from the attached file.
    pub ids: Option<(String, IdList)>,
}

/// Why a plan cannot run as written.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The source is unknown, not allowed for the project, or its URL cannot be opened.
    #[error(transparent)]
    Source(#[from] SourcesError),
    /// The ID file is missing, changed since the plan was written, too large or unreadable.
    #[error("{0}")]
    IdFile(String),
    /// Jira could not be asked for the file.
    #[error("cannot download the ID file from Jira: {0}")]
    Jira(JiraError),
    /// Configuration or adapter failure (no master key, tenant gone).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Resolve `plan`'s inputs for the request `row` of `tenant`.
pub async fn resolve(
    app: &Context,
    tenant: &Tenant,
    row: &RequestRow,
    plan: &Plan,
) -> Result<PlanInputs, InputError> {
    let keys = app.cfg.require_master_keys().map_err(anyhow::Error::new)?;
    let source = sources::resolve(&app.store, keys, &tenant.id, &plan.source, &row.project_key)
        .await
        .map_err(|e| match e {
            SourcesError::NotFound(m) => SourcesError::Invalid(format!("plan.source: {m}")),
            other => other,
        })?;
    let ids = match &plan.id_list {
        Some(list) => Some((
            list.parameter.clone(),
            id_list(app, tenant, row, list).await?,
        )),
        None => None,
    };
    Ok(PlanInputs { source, ids })
}

async fn id_list(
    app: &Context,
    tenant: &Tenant,
    row: &RequestRow,
    list: &PlanIdList,
) -> Result<IdList, InputError> {
    let name = &list.file_name;
    if !on_issue(row, &list.attachment_id) {
        return Err(InputError::IdFile(format!(
            "{name} (attachment {}) is not attached to {}; attach the file to this issue and choose it again in \
             the plan",
            list.attachment_id, row.issue_key
        )));
    }
    let limits = Limits::default();
    let jira = app.jira(tenant).await?;
    let bytes = jira
        .attachment_content(&list.attachment_id, limits.max_file_bytes as u64)
        .await
        .map_err(|e| match e {
            JiraError::TooLarge { limit } => InputError::IdFile(format!(
                "{name} is larger than {limit} bytes, the most an ID file may be; split the list or keep only the ID \
                 column"
            )),
            JiraError::NotFound(_) => InputError::IdFile(format!(
                "{name} is no longer on the issue; attach it again and choose it again in the plan"
            )),
            other => InputError::Jira(other),
        })?;
    let sha = hex::encode(digest::digest(&digest::SHA256, &bytes).as_ref());
    if !sha.eq_ignore_ascii_case(&list.sha256) {
        return Err(InputError::IdFile(format!(
            "{name} changed since the plan was written (its SHA-256 is now {}…, the plan has {}…); choose the file \
             again in the plan, which will need approval again",
            &sha[..12],
            list.sha256.get(..12).unwrap_or(&list.sha256)
        )));
    }
    ids::read_ids_off_runtime(bytes, name.clone(), list.column.clone(), limits)
        .await
        .map_err(|e| InputError::IdFile(e.0))
}

/// An ID file as the plan editor offers it: its name, SHA-256 (which the plan records) and column names.
#[derive(Debug, serde::Serialize)]
pub struct IdFileInfo {
    /// Jira attachment id.
    pub attachment_id: String,
    /// File name.
    pub file_name: String,
    /// SHA-256 of the content (hex).
    pub sha256: String,
    /// Column names (header row; every sheet's for a workbook).
    pub columns: Vec<String>,
}

/// Download attachment `attachment_id` of the request's issue and read its column names (for choosing the ID
/// column); the same size and safety checks as an extraction.
pub async fn id_file_info(
    app: &Context,
    tenant: &Tenant,
    row: &RequestRow,
    attachment_id: &str,
) -> Result<IdFileInfo, InputError> {
    let file_name = attachment_name(row, attachment_id).ok_or_else(|| {
        InputError::IdFile(format!(
            "attachment {attachment_id} is not attached to {}; attach the file to this issue first",
            row.issue_key
        ))
    })?;
    let limits = Limits::default();
    let jira = app.jira(tenant).await?;
    let bytes = jira
        .attachment_content(attachment_id, limits.max_file_bytes as u64)
        .await
        .map_err(|e| match e {
            JiraError::TooLarge { limit } => InputError::IdFile(format!(
                "{file_name} is larger than {limit} bytes, the most an ID file may be; split the list or keep only \
                 the ID column"
            )),
            JiraError::NotFound(_) => {
                InputError::IdFile(format!("{file_name} is no longer on the issue"))
            }
            other => InputError::Jira(other),
        })?;
    let sha256 = hex::encode(digest::digest(&digest::SHA256, &bytes).as_ref());
    let columns = ids::column_names_off_runtime(bytes, file_name.clone(), limits)
        .await
        .map_err(|e| InputError::IdFile(e.0))?;
    Ok(IdFileInfo {
        attachment_id: attachment_id.to_owned(),
        file_name,
        sha256,
        columns,
    })
}

/// The file name of attachment `id` if the request's last sync saw it on the issue.
fn attachment_name(row: &RequestRow, id: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(&row.attachments)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .into_iter()
        .flatten()
        .find(|a| match &a["id"] {
            serde_json::Value::String(s) => s == id,
            serde_json::Value::Number(n) => n.to_string() == id,
            _ => false,
        })
        .map(|a| a["filename"].as_str().unwrap_or("the file").to_owned())
}

/// Whether the request's last sync saw attachment `id` on the issue.
fn on_issue(row: &RequestRow, id: &str) -> bool {
    attachment_name(row, id).is_some()
}
