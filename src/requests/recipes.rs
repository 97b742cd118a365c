//! Recipes: SQL templates an admin saves for the site, which an analyst can start a plan from. A recipe written for
//! a data source is checked with that source's SQL dialect when saved (one read-only query), so a recipe never
//! starts a plan with SQL the source would refuse; the plan is checked again when it is saved and run.

use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::plan::MAX_SQL_BYTES;
use crate::{
    error::AppError,
    extract::sql_guard::{self, Dialect},
    model::AuditAction,
    store::{AuditEvent, NewAuditEvent, RecipeRow, Store, StoredDataSource},
};

/// Longest recipe name and description.
const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 2_000;

/// A recipe as an admin sends it (the name is in the URL).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecipeInput {
    #[serde(default)]
    description: String,
    #[serde(default)]
    source: Option<String>,
    sql: String,
}

/// The recipe to store, or what is wrong (naming the field). `sources` are the site's data sources.
pub fn validate(
    name: &str,
    input: RecipeInput,
    sources: &[StoredDataSource],
    actor: &str,
) -> Result<RecipeRow, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(format!(
            "name: use 1 to {MAX_NAME} characters without control characters"
        ));
    }
    let description = input.description.trim();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(format!("description: at most {MAX_DESCRIPTION} characters"));
    }
    let sql = input.sql.trim();
    if sql.is_empty() {
        return Err("sql: write the query".into());
    }
    if sql.len() > MAX_SQL_BYTES {
        return Err(format!("sql: at most {MAX_SQL_BYTES} bytes"));
    }
    let source = input
        .source
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    match &source {
        Some(name) => {
            let s = sources
                .iter()
                .find(|s| &s.name == name)
                .ok_or_else(|| format!("source: this site has no data source {name:?}"))?;
            sql_guard::check(sql, s.kind).map_err(|e| format!("sql: {e}"))?;
        }
        None => {
            // Written for any source: it must be a read-only query in at least one dialect.
            let dialects = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];
            let errors: Vec<_> = dialects
                .iter()
                .filter_map(|d| sql_guard::check(sql, *d).err())
                .collect();
            if errors.len() == dialects.len() {
                return Err(format!("sql: {}", errors[0]));
            }
        }
    }
    Ok(RecipeRow {
        name: name.to_owned(),
        description: description.to_owned(),
        source,
        sql: sql.to_owned(),
        updated_at: Utc::now(),
        updated_by: actor.to_owned(),
    })
}

/// Save the recipe `name` from an admin's `input` (checked against the site's sources), with its audit event in the
/// same transaction; whether it is new comes back with it. Input that does not fit is refused (422).
pub async fn save(
    store: &Store,
    tenant_id: &str,
    actor: &str,
    name: &str,
    input: RecipeInput,
) -> Result<(RecipeRow, bool, AuditEvent), AppError> {
    let sources = store.data_sources(tenant_id).await?;
    let recipe = validate(name, input, &sources, actor).map_err(AppError::Unprocessable)?;
    let mut tx = store.begin().await?;
    let created = tx.put_recipe(tenant_id, &recipe).await?;
    let event = tx
        .append_audit(
            tenant_id,
            &NewAuditEvent {
                actor: actor.to_owned(),
                action: AuditAction::RecipeSaved,
                request_id: None,
                detail: json!({"name": recipe.name, "source": recipe.source, "sql": recipe.sql, "created": created}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok((recipe, created, event))
}

/// Delete the recipe `name`, with its audit event in the same transaction; 404 if the site has no such recipe.
pub async fn delete(
    store: &Store,
    tenant_id: &str,
    actor: &str,
    name: &str,
) -> Result<AuditEvent, AppError> {
    let mut tx = store.begin().await?;
    if !tx.delete_recipe(tenant_id, name).await? {
        return Err(AppError::NotFound(format!(
            "no recipe {name:?} on this site"
        )));
    }
    let event = tx
        .append_audit(
            tenant_id,
            &NewAuditEvent {
                actor: actor.to_owned(),
                action: AuditAction::RecipeDeleted,
                request_id: None,
                detail: json!({"name": name}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> RecipeInput {
        serde_json::from_str(json).expect("valid JSON")
    }

    #[test]
    fn a_recipe_for_any_source_is_kept_trimmed() {
        let r = validate(
            " Churned customers ",
            input(r#"{"description": " last 90 days ", "sql": " SELECT id FROM customers "}"#),
            &[],
            "acc",
        )
        .unwrap();
        assert_eq!(r.name, "Churned customers");
        assert_eq!(r.description, "last 90 days");
        assert_eq!(r.sql, "SELECT id FROM customers");
        assert_eq!(r.source, None);
    }

    #[test]
    fn bad_recipes_are_refused_naming_the_field() {
        let refused = |name: &str, json: &str, field: &str| {
            let e = validate(name, input(json), &[], "acc").unwrap_err();
            assert!(e.starts_with(field), "{json}: {e}");
        };
        refused("", r#"{"sql": "SELECT 1"}"#, "name");
        refused("a\nb", r#"{"sql": "SELECT 1"}"#, "name");
        refused(&"n".repeat(101), r#"{"sql": "SELECT 1"}"#, "name");
        refused("r", r#"{"sql": "  "}"#, "sql");
        refused("r", r#"{"sql": "DELETE FROM customers"}"#, "sql");
        refused("r", r#"{"sql": "SELECT 1; DROP TABLE t"}"#, "sql");
        refused("r", r#"{"sql": "SELECT 1", "source": "nowhere"}"#, "source");
        assert!(
            serde_json::from_str::<RecipeInput>(r#"{"sql": "SELECT 1", "owner": "x"}"#).is_err()
        );
    }
}
