//! Site settings an admin changes on the admin page: the role policy, the trigger, the defaults a new plan starts
//! with, whether dry runs show personal data, and the saved SQL templates ("recipes"). Changes go through a [`Tx`] so
//! each commits with its audit event.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{QueryContext, Result, RolePolicy, Store, Tx, with_pool, with_tx};

/// One saved SQL template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct RecipeRow {
    /// Unique on the site.
    pub name: String,
    /// What it extracts, for the analyst choosing one.
    pub description: String,
    /// The data source it is written for (`None`: any).
    pub source: Option<String>,
    /// The query.
    #[sqlx(rename = "sql_text")]
    pub sql: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Who made it.
    pub updated_by: String,
}

impl Store {
    /// The format and encryption a new plan starts with on this site, as stored (`None`: no such tenant).
    pub async fn plan_defaults(&self, tenant_id: &str) -> Result<Option<(String, String)>> {
        let sql = "SELECT default_format, default_encryption FROM tenants WHERE id = $1";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).fetch_optional(pool).await
            .op("reading the plan defaults"))
    }

    /// Whether analysts see flagged columns' values in dry runs on this site (`None`: no such tenant).
    pub async fn dry_run_shows_personal_data(&self, tenant_id: &str) -> Result<Option<bool>> {
        let sql = "SELECT dry_run_shows_personal_data FROM tenants WHERE id = $1";
        with_pool!(self, pool => sqlx::query_scalar(sql).bind(tenant_id).fetch_optional(pool).await
            .op("reading the dry-run setting"))
    }

    /// The site's recipes, by name.
    pub async fn recipes(&self, tenant_id: &str) -> Result<Vec<RecipeRow>> {
        let sql = "SELECT name, description, source, sql_text, updated_at, updated_by FROM recipes \
                   WHERE tenant_id = $1 ORDER BY name";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).fetch_all(pool).await.op("listing recipes"))
    }
}

impl Tx {
    /// Replace a tenant's role policy (validated by the caller).
    pub async fn set_role_policy(&mut self, tenant_id: &str, p: &RolePolicy) -> Result<()> {
        let json = |g: &Vec<String>| serde_json::to_string(g).unwrap_or_else(|_| "[]".into());
        let sql = "UPDATE tenants SET analyst_groups = $2, privacy_groups = $3, admin_groups = $4, \
                   sod_author_not_approver = $5 WHERE id = $1";
        with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(json(&p.analyst_groups))
            .bind(json(&p.privacy_groups)).bind(json(&p.admin_groups)).bind(p.sod_author_not_approver)
            .execute(&mut *c).await.op("changing the role policy").map(drop))
    }

    /// Change a tenant's trigger label and project restriction (comma-separated keys, `None` = every project).
    pub async fn set_trigger(
        &mut self,
        tenant_id: &str,
        label: &str,
        projects: Option<&str>,
    ) -> Result<()> {
        let sql = "UPDATE tenants SET trigger_label = $2, trigger_projects = $3 WHERE id = $1";
        with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(label).bind(projects).execute(&mut *c).await
            .op("changing the trigger").map(drop))
    }

    /// Change the format and encryption new plans start with (values checked by the caller and the schema).
    pub async fn set_plan_defaults(
        &mut self,
        tenant_id: &str,
        format: &str,
        encryption: &str,
    ) -> Result<()> {
        let sql = "UPDATE tenants SET default_format = $2, default_encryption = $3 WHERE id = $1";
        with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(format).bind(encryption).execute(&mut *c).await
            .op("changing the plan defaults").map(drop))
    }

    /// Analysts see flagged columns' values in dry runs on this site (admin setting).
    pub async fn set_dry_run_shows_personal_data(
        &mut self,
        tenant_id: &str,
        on: bool,
    ) -> Result<()> {
        let sql = "UPDATE tenants SET dry_run_shows_personal_data = $2 WHERE id = $1";
        with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(on).execute(&mut *c).await
            .op("changing the dry-run setting").map(drop))
    }

    /// Create or replace a recipe; true when it is new.
    pub async fn put_recipe(&mut self, tenant_id: &str, r: &RecipeRow) -> Result<bool> {
        let exists: Option<(String,)> = with_tx!(self, c => sqlx::query_as(
            "SELECT name FROM recipes WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id).bind(&r.name).fetch_optional(&mut *c).await.op("reading a recipe"))?;
        let sql = "INSERT INTO recipes (tenant_id, name, description, source, sql_text, updated_at, updated_by) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, name) DO UPDATE SET \
                   description = excluded.description, source = excluded.source, sql_text = excluded.sql_text, \
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by";
        with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(&r.name).bind(&r.description).bind(&r.source)
            .bind(&r.sql).bind(r.updated_at).bind(&r.updated_by).execute(&mut *c).await.op("saving a recipe").map(drop))?;
        Ok(exists.is_none())
    }

    /// Delete a recipe; false when there was none.
    pub async fn delete_recipe(&mut self, tenant_id: &str, name: &str) -> Result<bool> {
        let sql = "DELETE FROM recipes WHERE tenant_id = $1 AND name = $2";
        with_tx!(self, c => sqlx::query(sql).bind(tenant_id).bind(name).execute(&mut *c).await
            .op("deleting a recipe").map(|r| r.rows_affected() == 1))
    }
}
