//! An admin's data-source settings, checked field by field: what the body may contain, the limits, and how an update
//! merges with the stored source (a field left out keeps its stored value; the URL too).

use std::{str::FromStr, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sqlx::{mysql::MySqlConnectOptions, postgres::PgConnectOptions, sqlite::SqliteConnectOptions};
use url::Url;

use super::{DataSource, Environment, SourcesError};
use crate::extract::{source::dialect_of, sql_guard::Dialect};

/// Largest row cap an admin may set.
pub const MAX_ROWS: u64 = 100_000_000;
/// Largest byte cap an admin may set (10 GiB).
pub const MAX_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// Row cap of a new source when none is given.
pub const DEFAULT_MAX_ROWS: u64 = 1_000_000;
/// Byte cap of a new source when none is given (256 MiB).
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Statement timeout of a new source when none is given.
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;
const MAX_TIMEOUT_SECS: u64 = 3600;
const MAX_URL_LEN: usize = 2048;
const MAX_PROJECTS: usize = 500;
const MAX_PROJECT_KEY_LEN: usize = 255;

const FIELDS: &str =
    "kind, url, environment, allowedProjects, maxRows, maxBytes, statementTimeoutSecs";

fn invalid(msg: impl Into<String>) -> SourcesError {
    SourcesError::Invalid(msg.into())
}

/// A name admins and plans use: 1-64 letters, digits, `-` and `_` (`test` is taken by the test route).
pub fn validate_name(name: &str) -> Result<(), SourcesError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if name.is_empty() || name.len() > 64 || !ok_chars {
        return Err(invalid(
            "name: use 1 to 64 letters, digits, '-' or '_' (for example warehouse-eu)",
        ));
    }
    if name == "test" {
        return Err(invalid(
            "name: \"test\" is reserved (POST /api/admin/sources/test tests unsaved settings); choose another",
        ));
    }
    Ok(())
}

/// Settings as sent by an admin, each already checked on its own; absent fields are `None`.
#[derive(Clone, Debug, Default)]
pub struct SourceInput {
    /// Engine.
    pub kind: Option<Dialect>,
    /// Connection URL.
    pub url: Option<SecretString>,
    /// Staging or production.
    pub environment: Option<Environment>,
    /// Jira project keys, sorted and without duplicates.
    pub allowed_projects: Option<Vec<String>>,
    /// Row cap.
    pub max_rows: Option<u64>,
    /// Byte cap.
    pub max_bytes: Option<u64>,
    /// Statement timeout in seconds.
    pub statement_timeout_secs: Option<u64>,
}

fn whole(field: &str, v: &Value, max: u64) -> Result<u64, SourcesError> {
    v.as_u64()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| invalid(format!("{field}: must be a whole number from 1 to {max}")))
}

fn text<'a>(field: &str, v: &'a Value) -> Result<&'a str, SourcesError> {
    v.as_str()
        .ok_or_else(|| invalid(format!("{field}: must be a string")))
}

fn project_keys(v: &Value) -> Result<Vec<String>, SourcesError> {
    let items = v
        .as_array()
        .ok_or_else(|| invalid("allowedProjects: must be a list of Jira project keys"))?;
    if items.len() > MAX_PROJECTS {
        return Err(invalid(format!(
            "allowedProjects: at most {MAX_PROJECTS} projects"
        )));
    }
    let mut keys = Vec::with_capacity(items.len());
    for item in items {
        let key = item.as_str().unwrap_or_default();
        let mut chars = key.chars();
        let valid = key.len() >= 2
            && key.len() <= MAX_PROJECT_KEY_LEN
            && chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            let shown: String = item.to_string().chars().take(40).collect();
            return Err(invalid(format!(
                "allowedProjects: {shown} is not a Jira project key (capital letter, then capitals, digits or _; e.g. DATA)"
            )));
        }
        keys.push(key.to_owned());
    }
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// Check a URL on its own: a URL Clearance can use, with a host (or a path for SQLite), not a redacted one.
fn connection_url(raw: &str) -> Result<(Dialect, SecretString), SourcesError> {
    let secret = SecretString::from(raw);
    if raw.is_empty() || raw.len() > MAX_URL_LEN {
        return Err(invalid(format!(
            "url: must be 1 to {MAX_URL_LEN} characters"
        )));
    }
    let dialect = dialect_of(raw).map_err(|e| invalid(format!("url: {e}")))?;
    let u = Url::parse(raw).map_err(|e| invalid(format!("url: not a valid URL ({e})")))?;
    let hidden = |s: &str| s == "***" || s == "%2A%2A%2A";
    if u.password().is_some_and(hidden) || u.query_pairs().any(|(_, v)| hidden(&v)) {
        return Err(invalid(
            "url: this is the redacted URL (*** in place of a secret); send the full URL, or leave url out to keep the stored one",
        ));
    }
    let parsed = match dialect {
        Dialect::Postgres | Dialect::MySql if u.host_str().is_none_or(str::is_empty) => {
            return Err(invalid(
                "url: name the server's host (scheme://user:password@host:port/database)",
            ));
        }
        Dialect::Postgres => PgConnectOptions::from_str(raw).map(|_| ()),
        Dialect::MySql => {
            MySqlConnectOptions::from_str(&raw.replacen("mariadb://", "mysql://", 1)).map(|_| ())
        }
        Dialect::Sqlite => {
            if raw
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .is_none_or(str::is_empty)
            {
                return Err(invalid(
                    "url: name the SQLite file (sqlite:///absolute/path.db)",
                ));
            }
            SqliteConnectOptions::from_str(raw).map(|_| ())
        }
    };
    // The driver's words may quote the URL, password and all: Clearance's own instead.
    parsed.map_err(|_| {
        invalid(
            "url: the driver cannot use this URL: check its form (scheme://user:password@host:port/database) \
             and the values of its parameters (sslmode, port…)",
        )
    })?;
    Ok((dialect, secret))
}

impl SourceInput {
    /// Read a JSON object body; the first problem found is reported with its field's name.
    pub fn from_json(body: &[u8]) -> Result<Self, SourcesError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| invalid(format!("body: not valid JSON ({e})")))?;
        let Value::Object(map) = value else {
            return Err(invalid(format!(
                "body: must be a JSON object with {FIELDS}"
            )));
        };
        Self::from_map(map)
    }

    fn from_map(map: Map<String, Value>) -> Result<Self, SourcesError> {
        let mut input = Self::default();
        for (field, v) in &map {
            if v.is_null() {
                continue;
            }
            match field.as_str() {
                "kind" => {
                    let k = text(field, v)?;
                    input.kind = Some(Dialect::from_kind(k).ok_or_else(|| {
                        invalid("kind: use postgres, mysql (also MariaDB) or sqlite")
                    })?);
                }
                "url" => input.url = Some(connection_url(text(field, v)?)?.1),
                "environment" => {
                    let e = text(field, v)?;
                    input.environment = Some(
                        Environment::parse(e)
                            .ok_or_else(|| invalid("environment: use staging or production"))?,
                    );
                }
                "allowedProjects" => input.allowed_projects = Some(project_keys(v)?),
                "maxRows" => input.max_rows = Some(whole(field, v, MAX_ROWS)?),
                "maxBytes" => input.max_bytes = Some(whole(field, v, MAX_BYTES)?),
                "statementTimeoutSecs" => {
                    input.statement_timeout_secs = Some(whole(field, v, MAX_TIMEOUT_SECS)?)
                }
                other => {
                    let shown: String = other.chars().take(40).collect();
                    return Err(invalid(format!(
                        "{shown}: unknown field; the fields are {FIELDS}"
                    )));
                }
            }
        }
        Ok(input)
    }

    /// The whole source: `stored` (on update) fills what the input leaves out, defaults fill the rest; kind, url
    /// and environment are required on create, and the URL's scheme must match the kind.
    pub fn into_source(
        self,
        name: &str,
        stored: Option<DataSource>,
    ) -> Result<DataSource, SourcesError> {
        validate_name(name)?;
        let required = |field: &str| invalid(format!("{field}: required for a new data source"));
        let dialect = match (self.kind, &stored) {
            (Some(k), _) => k,
            (None, Some(s)) => s.dialect,
            (None, None) => return Err(required("kind")),
        };
        let url = match (self.url, &stored) {
            (Some(u), _) => u,
            (None, Some(s)) => s.url.clone(),
            (None, None) => return Err(required("url")),
        };
        let scheme = dialect_of(url.expose_secret()).map_err(|e| invalid(format!("url: {e}")))?;
        if scheme != dialect {
            return Err(invalid(format!(
                "url: the URL is for {}, but kind is {}; send a URL of that kind (the stored URL is kept only when the kind does not change)",
                scheme.kind(),
                dialect.kind()
            )));
        }
        let environment = match (self.environment, &stored) {
            (Some(e), _) => e,
            (None, Some(s)) => s.environment,
            (None, None) => return Err(required("environment")),
        };
        let timeout_secs = self
            .statement_timeout_secs
            .or_else(|| stored.as_ref().map(|s| s.statement_timeout.as_secs()))
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        Ok(DataSource {
            name: name.to_owned(),
            dialect,
            url,
            environment,
            allowed_projects: self
                .allowed_projects
                .or_else(|| stored.as_ref().map(|s| s.allowed_projects.clone()))
                .unwrap_or_default(),
            max_rows: self
                .max_rows
                .or_else(|| stored.as_ref().map(|s| s.max_rows))
                .unwrap_or(DEFAULT_MAX_ROWS),
            max_bytes: self
                .max_bytes
                .or_else(|| stored.as_ref().map(|s| s.max_bytes))
                .unwrap_or(DEFAULT_MAX_BYTES),
            statement_timeout: Duration::from_secs(timeout_secs),
        })
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
