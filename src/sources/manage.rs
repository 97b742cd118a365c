//! Using and changing a tenant's data sources: list (URLs redacted), create or update, delete — each change audited
//! in the same transaction — resolve one for a Jira project, and test a connection.

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{DataSource, Environment, SourceInput, SourcesError};
use crate::{
    crypto::{MasterKeys, data_source_url_context},
    extract::{
        probe::{self, ProbeError, ProbeReport},
        source_policy::SourcePolicy,
    },
    model::AuditAction,
    store::{AuditEvent, NewAuditEvent, SealedSecret, Store, StoredDataSource},
};

fn open(keys: &MasterKeys, s: &StoredDataSource) -> Result<DataSource, SourcesError> {
    let url = keys
        .open(
            &data_source_url_context(&s.tenant_id, &s.id),
            &s.url_sealed.0,
        )
        .map_err(|source| SourcesError::Sealed {
            name: s.name.clone(),
            source,
        })?;
    Ok(DataSource {
        url,
        ..settings_of(s)
    })
}

/// The stored settings with an empty URL (for callers that replace it without opening the stored one).
fn settings_of(s: &StoredDataSource) -> DataSource {
    DataSource {
        name: s.name.clone(),
        dialect: s.kind,
        url: SecretString::from(""),
        environment: s.environment,
        allowed_projects: s.allowed_projects.clone(),
        max_rows: s.max_rows,
        max_bytes: s.max_bytes,
        statement_timeout: std::time::Duration::from_secs(s.statement_timeout_secs.into()),
    }
}

fn not_found(name: &str) -> SourcesError {
    SourcesError::NotFound(format!(
        "there is no data source named {name:?} on this site; an admin adds it under Clearance's data sources"
    ))
}

/// A tenant's sources, each with its redacted URL (or why the stored URL cannot be opened).
pub async fn list(
    store: &Store,
    keys: &MasterKeys,
    tenant_id: &str,
) -> Result<Vec<(StoredDataSource, Result<String, String>)>, SourcesError> {
    Ok(store
        .data_sources(tenant_id)
        .await?
        .into_iter()
        .map(|s| {
            let url = open(keys, &s)
                .map(|d| d.redacted_url())
                .map_err(|e| e.to_string());
            (s, url)
        })
        .collect())
}

/// What [`put`] stored.
#[derive(Debug)]
pub struct Saved {
    /// The row as stored.
    pub source: StoredDataSource,
    /// Its URL, redacted.
    pub url: String,
    /// Whether it was created (not updated).
    pub created: bool,
    /// The audit event written with it.
    pub event: AuditEvent,
}

/// What an update starts from: the stored settings, with the stored URL opened only when it is kept (a new one
/// repairs a row whose URL no longer opens).
fn base(
    keys: &MasterKeys,
    existing: Option<&StoredDataSource>,
    url_sent: bool,
) -> Result<Option<DataSource>, SourcesError> {
    Ok(match existing {
        Some(e) if !url_sent => Some(open(keys, e).map_err(|err| {
            tracing::warn!(error = %err, "a stored data source URL cannot be opened");
            SourcesError::Conflict(format!("{err}; send the url again to replace it"))
        })?),
        Some(e) => Some(settings_of(e)),
        None => None,
    })
}

/// Create the source `name`, or update it (fields the input leaves out keep their stored values). Audited as
/// `source.created` / `source.updated` with the settings and the redacted URL. A production source is saved only
/// when its connection test passes (see `admit`); the refusal says what the test found.
#[allow(clippy::too_many_arguments)]
pub async fn put(
    store: &Store,
    keys: &MasterKeys,
    policy: &SourcePolicy,
    tenant_id: &str,
    actor: &str,
    name: &str,
    input: SourceInput,
) -> Result<Saved, SourcesError> {
    super::validate_name(name)?;
    let url_sent = input.url.is_some();
    // A production source is tested before the transaction (a test may take 5 s), and stored only if what is stored
    // is what was tested.
    let before = store.data_source(tenant_id, name).await?;
    let planned = input
        .clone()
        .into_source(name, base(keys, before.as_ref(), url_sent)?)?;
    let tested = super::admit::tested(policy, &planned).await?;
    let mut tx = store.begin().await?;
    let existing = tx.data_source_for_update(tenant_id, name).await?;
    let source = input.into_source(name, base(keys, existing.as_ref(), url_sent)?)?;
    super::admit::still_tested(tested.as_ref(), &source)?;
    let now = Utc::now();
    let id = existing
        .as_ref()
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), |e| e.id.clone());
    let url_sealed = match &existing {
        Some(e) if !url_sent => e.url_sealed.clone(),
        _ => SealedSecret(keys.seal(
            &data_source_url_context(tenant_id, &id),
            source.url.expose_secret(),
        )),
    };
    let row = StoredDataSource {
        id,
        tenant_id: tenant_id.to_owned(),
        name: name.to_owned(),
        kind: source.dialect,
        url_sealed,
        environment: source.environment,
        allowed_projects: source.allowed_projects.clone(),
        max_rows: source.max_rows,
        max_bytes: source.max_bytes,
        statement_timeout_secs: u32::try_from(source.statement_timeout.as_secs())
            .unwrap_or(u32::MAX),
        created_at: existing.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
        updated_by: actor.to_owned(),
    };
    if !tx.upsert_data_source(&row).await? {
        return Err(SourcesError::Conflict(format!(
            "data source {name:?} was created by someone else just now; reload and try again"
        )));
    }
    let action = if existing.is_some() {
        AuditAction::SourceUpdated
    } else {
        AuditAction::SourceCreated
    };
    let event = tx
        .append_audit(
            tenant_id,
            &NewAuditEvent {
                actor: actor.to_owned(),
                action,
                request_id: None,
                detail: json!({
                    "name": name, "kind": row.kind.kind(), "url": source.redacted_url(),
                    "urlReplaced": url_sent, "environment": row.environment.as_str(),
                    "allowedProjects": row.allowed_projects, "maxRows": row.max_rows, "maxBytes": row.max_bytes,
                    "statementTimeoutSecs": row.statement_timeout_secs, "connectionTested": tested.is_some(),
                }),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(Saved {
        url: source.redacted_url(),
        created: existing.is_none(),
        source: row,
        event,
    })
}

/// Delete the source `name`; audited as `source.deleted`.
pub async fn delete(
    store: &Store,
    tenant_id: &str,
    actor: &str,
    name: &str,
) -> Result<AuditEvent, SourcesError> {
    let mut tx = store.begin().await?;
    let gone = tx
        .delete_data_source(tenant_id, name)
        .await?
        .ok_or_else(|| not_found(name))?;
    let event = tx
        .append_audit(
            tenant_id,
            &NewAuditEvent {
                actor: actor.to_owned(),
                action: AuditAction::SourceDeleted,
                request_id: None,
                detail: json!({"name": name, "kind": gone.kind.kind(), "environment": gone.environment.as_str()}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(event)
}

/// The source `name` for an extraction on an issue of project `project_key`: refused when the source does not exist
/// or the project is not among its allowed projects.
pub async fn resolve(
    store: &Store,
    keys: &MasterKeys,
    tenant_id: &str,
    name: &str,
    project_key: &str,
) -> Result<DataSource, SourcesError> {
    let stored = store
        .data_source(tenant_id, name)
        .await?
        .ok_or_else(|| not_found(name))?;
    if !stored.allowed_projects.iter().any(|p| p == project_key) {
        return Err(SourcesError::NotAllowed(format!(
            "data source {name:?} may not be used by project {project_key}; an admin can add {project_key} to its \
             allowed projects"
        )));
    }
    open(keys, &stored)
}

/// Test the stored source `name` (read-only required for production sources).
pub async fn test_stored(
    store: &Store,
    keys: &MasterKeys,
    policy: &SourcePolicy,
    tenant_id: &str,
    name: &str,
) -> Result<Result<ProbeReport, ProbeError>, SourcesError> {
    let stored = store
        .data_source(tenant_id, name)
        .await?
        .ok_or_else(|| not_found(name))?;
    let source = open(keys, &stored)?;
    Ok(test(policy, &source).await)
}

/// Test a source's connection under the deployment's source `policy` (read-only required for production sources).
pub async fn test(policy: &SourcePolicy, source: &DataSource) -> Result<ProbeReport, ProbeError> {
    probe::test_connection(
        policy,
        &source.url,
        source.environment == Environment::Production,
    )
    .await
}
