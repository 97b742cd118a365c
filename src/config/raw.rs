//! The settings as read from defaults, file and environment, and their validation into [`Config`].

use std::{net::SocketAddr, time::Duration};

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use super::{
    Config, ConfigError, DEFAULT_JIRA_HOSTS, DEFAULT_SOURCE_ALLOW, DEFAULT_SOURCE_DENY,
    HostPatterns, LaneSlots, LogFormat, SourcePolicySettings,
    forge::forge_settings,
    is_loopback,
    jobs::{lane_slots, wait_budget},
};
use crate::crypto::MasterKeys;

/// The raw settings as read from defaults, file and environment, before validation.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(deserialize_with = "scalar")]
    listen: String,
    #[serde(deserialize_with = "scalar")]
    base_url: String,
    #[serde(deserialize_with = "scalar")]
    app_key: String,
    #[serde(deserialize_with = "scalar")]
    database_url: String,
    #[serde(default, deserialize_with = "optional_scalar")]
    master_key: Option<String>,
    #[serde(default, deserialize_with = "list")]
    previous_master_keys: Vec<String>,
    #[serde(deserialize_with = "list")]
    jira_hosts: Vec<String>,
    #[serde(deserialize_with = "scalar")]
    install_keys_url: String,
    #[serde(deserialize_with = "scalar")]
    connect_js_url: String,
    #[serde(deserialize_with = "scalar")]
    worker: String,
    #[serde(deserialize_with = "scalar")]
    reconcile_interval_secs: String,
    #[serde(deserialize_with = "scalar")]
    job_lease_secs: String,
    #[serde(deserialize_with = "scalar")]
    job_short_slots: String,
    #[serde(deserialize_with = "scalar")]
    job_long_slots: String,
    #[serde(deserialize_with = "scalar")]
    job_long_per_tenant: String,
    #[serde(deserialize_with = "scalar")]
    job_wait_budget_mins: String,
    #[serde(deserialize_with = "scalar")]
    log_format: String,
    #[serde(deserialize_with = "scalar")]
    jwt_leeway_secs: String,
    #[serde(deserialize_with = "scalar")]
    http_timeout_secs: String,
    #[serde(default, deserialize_with = "optional_scalar")]
    metrics_token: Option<String>,
    #[serde(deserialize_with = "scalar")]
    tenant_cache_secs: String,
    #[serde(deserialize_with = "scalar")]
    issue_access_cache_secs: String,
    #[serde(deserialize_with = "scalar")]
    slack_api_url: String,
    #[serde(deserialize_with = "scalar")]
    work_dir: String,
    #[serde(deserialize_with = "scalar")]
    reveal_link_secs: String,
    #[serde(deserialize_with = "scalar")]
    retention_sweep_secs: String,
    #[serde(default, deserialize_with = "optional_scalar")]
    forge_app_id: Option<String>,
    #[serde(deserialize_with = "scalar")]
    forge_jwks_url: String,
    #[serde(deserialize_with = "list")]
    forge_api_hosts: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    forge_environments: Vec<String>,
    #[serde(deserialize_with = "list")]
    source_allow: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    source_deny: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    source_sqlite_dirs: Vec<String>,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            app_key: "io.clearance.jira".into(),
            database_url: "sqlite://data/clearance.db".into(),
            master_key: None,
            previous_master_keys: Vec::new(),
            jira_hosts: DEFAULT_JIRA_HOSTS.iter().map(|s| s.to_string()).collect(),
            install_keys_url: "https://connect-install-keys.atlassian.com".into(),
            connect_js_url: "https://connect-cdn.atl-paas.net/all.js".into(),
            worker: "true".into(),
            reconcile_interval_secs: "300".into(),
            job_lease_secs: "60".into(),
            job_short_slots: LaneSlots::default().short.to_string(),
            job_long_slots: LaneSlots::default().long.to_string(),
            job_long_per_tenant: LaneSlots::default().long_per_tenant.to_string(),
            job_wait_budget_mins: (super::DEFAULT_WAIT_BUDGET.as_secs() / 60).to_string(),
            log_format: "text".into(),
            jwt_leeway_secs: "30".into(),
            http_timeout_secs: "10".into(),
            metrics_token: None,
            tenant_cache_secs: "5".into(),
            issue_access_cache_secs: "60".into(),
            slack_api_url: "https://slack.com/api".into(),
            work_dir: "data/work".into(),
            reveal_link_secs: "86400".into(),
            retention_sweep_secs: "300".into(),
            forge_app_id: None,
            forge_jwks_url: "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json".into(),
            forge_api_hosts: vec!["api.atlassian.com".into()],
            forge_environments: Vec::new(),
            source_allow: DEFAULT_SOURCE_ALLOW.iter().map(|s| s.to_string()).collect(),
            source_deny: DEFAULT_SOURCE_DENY.iter().map(|s| s.to_string()).collect(),
            source_sqlite_dirs: Vec::new(),
        }
    }
}

/// Any scalar as a string: environment values like `123` or `true` arrive typed, and validation does the parsing,
/// so every problem is reported at once with its setting's name.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Str(String),
    Int(i64),
    Uint(u64),
    Float(f64),
    Bool(bool),
}

impl From<Scalar> for String {
    fn from(s: Scalar) -> Self {
        match s {
            Scalar::Str(s) => s,
            Scalar::Int(i) => i.to_string(),
            Scalar::Uint(u) => u.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Scalar::deserialize(d).map(String::from)
}

fn optional_scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<Scalar>::deserialize(d).map(|o| o.map(String::from))
}

/// Accept either a list or one comma-separated string (as environment variables give it).
fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let items = match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s.split(',').map(str::to_owned).collect(),
        OneOrMany::Many(v) => v,
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

impl RawConfig {
    pub(super) fn validate(self) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();

        let listen = self.listen.parse::<SocketAddr>().map_err(|_| {
            problems.push(format!(
                "CLEARANCE_LISTEN (listen) = {:?} is not a socket address; use host:port such as 127.0.0.1:8080 or 0.0.0.0:8080",
                self.listen
            ))
        });

        let base_url = parse_base_url(&self.base_url).map_err(|p| problems.push(p));

        if !valid_app_key(&self.app_key) {
            problems.push(format!(
                "CLEARANCE_APP_KEY (app_key) = {:?} is not a valid Connect app key; use 1-64 characters from \
                 letters, digits, '-', '_' and '.', for example com.yourcompany.clearance",
                self.app_key
            ));
        }

        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            problems.push(
                "CLEARANCE_DATABASE_URL (database_url) must start with sqlite:// (embedded, e.g. sqlite://data/clearance.db) \
                 or postgres:// (e.g. postgres://user@host/clearance)"
                    .into(),
            );
        }

        let master_keys = match &self.master_key {
            None => Ok(None),
            Some(k) if k.trim().is_empty() => Ok(None),
            Some(current) => MasterKeys::parse(current, &self.previous_master_keys).map(Some).map_err(|e| {
                problems.push(format!(
                    "CLEARANCE_MASTER_KEY / CLEARANCE_PREVIOUS_MASTER_KEYS: {e}; generate a key with `clearance keygen`"
                ))
            }),
        };
        if self.master_key.is_none() && !self.previous_master_keys.is_empty() {
            problems.push(
                "CLEARANCE_PREVIOUS_MASTER_KEYS is set but CLEARANCE_MASTER_KEY is not; set the current key too".into(),
            );
        }

        let jira_hosts = HostPatterns::parse(&self.jira_hosts)
            .map_err(|e| problems.push(format!("CLEARANCE_JIRA_HOSTS (jira_hosts): {e}")));

        let install_keys_url = parse_service_url(&self.install_keys_url).map_err(|e| {
            problems.push(format!(
                "CLEARANCE_INSTALL_KEYS_URL (install_keys_url) = {:?}: {e}",
                self.install_keys_url
            ))
        });

        let log_format = match self.log_format.as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => {
                problems.push(format!(
                    "CLEARANCE_LOG_FORMAT (log_format) = {other:?}; use text or json"
                ));
                Err(())
            }
        };

        let jwt_leeway = seconds(&self.jwt_leeway_secs, 0..=300)
            .map_err(|()| problems.push(format!(
                "CLEARANCE_JWT_LEEWAY_SECS (jwt_leeway_secs) = {:?}; use whole seconds 0-300 (default 30; tokens live 180 s)",
                self.jwt_leeway_secs
            )));
        let http_timeout = seconds(&self.http_timeout_secs, 1..=300).map_err(|()| {
            problems.push(format!(
                "CLEARANCE_HTTP_TIMEOUT_SECS (http_timeout_secs) = {:?}; use whole seconds 1-300 (default 10)",
                self.http_timeout_secs
            ))
        });

        let tenant_cache_ttl = seconds(&self.tenant_cache_secs, 0..=60).map_err(|()| {
            problems.push(format!(
                "CLEARANCE_TENANT_CACHE_SECS (tenant_cache_secs) = {:?}; use whole seconds 0-60 (default 5; 0 = no cache)",
                self.tenant_cache_secs
            ))
        });

        let issue_access_ttl = seconds(&self.issue_access_cache_secs, 0..=300).map_err(|()| {
            problems.push(format!(
                "CLEARANCE_ISSUE_ACCESS_CACHE_SECS (issue_access_cache_secs) = {:?}; use whole seconds 0-300 (default 60; 0 = ask Jira every time)",
                self.issue_access_cache_secs
            ))
        });

        let connect_js_url = parse_service_url(&self.connect_js_url).map_err(|e| {
            problems.push(format!(
                "CLEARANCE_CONNECT_JS_URL (connect_js_url) = {:?}: {e}",
                self.connect_js_url
            ))
        });

        let worker = match self.worker.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            other => {
                problems.push(format!("CLEARANCE_WORKER (worker) = {other:?}; use true (run jobs in this process) or false"));
                Err(())
            }
        };

        let reconcile_interval = seconds(&self.reconcile_interval_secs, 1..=86_400).map_err(|()| {
            problems.push(format!(
                "CLEARANCE_RECONCILE_INTERVAL_SECS (reconcile_interval_secs) = {:?}; use whole seconds 1-86400 (default 300)",
                self.reconcile_interval_secs
            ))
        });

        let job_lease = seconds(&self.job_lease_secs, 1..=3600).map_err(|()| {
            problems.push(format!(
                "CLEARANCE_JOB_LEASE_SECS (job_lease_secs) = {:?}; use whole seconds 1-3600 (default 60)",
                self.job_lease_secs
            ))
        });

        let job_slots = lane_slots(
            &self.job_short_slots,
            &self.job_long_slots,
            &self.job_long_per_tenant,
        )
        .map_err(|mut p| problems.append(&mut p));
        let job_wait_budget = wait_budget(&self.job_wait_budget_mins).map_err(|p| problems.push(p));

        let slack_api_url = parse_service_url(&self.slack_api_url).map_err(|e| {
            problems.push(format!(
                "CLEARANCE_SLACK_API_URL (slack_api_url) = {:?}: {e}",
                self.slack_api_url
            ))
        });

        let work_dir = if self.work_dir.trim().is_empty() {
            problems.push(
                "CLEARANCE_WORK_DIR (work_dir) is empty; name a folder for bundles being built (default data/work)"
                    .into(),
            );
            Err(())
        } else {
            Ok(std::path::PathBuf::from(self.work_dir.trim()))
        };

        let reveal_link_ttl = seconds(&self.reveal_link_secs, 300..=604_800).map_err(|()| {
            problems.push(format!(
                "CLEARANCE_REVEAL_LINK_SECS (reveal_link_secs) = {:?}; use whole seconds 300-604800 (default 86400: a day)",
                self.reveal_link_secs
            ))
        });

        let retention_sweep_interval = seconds(&self.retention_sweep_secs, 1..=86_400).map_err(|()| {
            problems.push(format!(
                "CLEARANCE_RETENTION_SWEEP_SECS (retention_sweep_secs) = {:?}; use whole seconds 1-86400 (default 300)",
                self.retention_sweep_secs
            ))
        });

        let metrics_token = match self.metrics_token.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) if t.len() >= 16 && t.bytes().all(|b| b.is_ascii_graphic()) => {
                Ok(Some(SecretString::from(t)))
            }
            Some(_) => {
                problems.push(
                    "CLEARANCE_METRICS_TOKEN (metrics_token): use at least 16 printable characters without spaces \
                     (e.g. the output of `clearance keygen`), or leave it unset"
                        .into(),
                );
                Err(())
            }
        };

        let forge = forge_settings(
            self.forge_app_id.as_deref(),
            &self.forge_jwks_url,
            &self.forge_api_hosts,
            &self.forge_environments,
        )
        .map_err(|mut p| problems.append(&mut p));

        let source_policy = SourcePolicySettings::parse(
            &self.source_allow,
            &self.source_deny,
            &self.source_sqlite_dirs,
        )
        .map_err(|mut p| problems.append(&mut p));

        // Every setting was checked above (each failure recorded in `problems`); build only if all passed.
        let config = (|| {
            Some(Config {
                listen: listen.ok()?,
                base_url: base_url.ok()?,
                app_key: self.app_key,
                database_url: SecretString::from(self.database_url),
                master_keys: master_keys.ok()?,
                jira_hosts: jira_hosts.ok()?,
                install_keys_url: install_keys_url.ok()?,
                connect_js_url: connect_js_url.ok()?,
                worker: worker.ok()?,
                reconcile_interval: reconcile_interval.ok()?,
                job_lease: job_lease.ok()?,
                job_slots: job_slots.ok()?,
                job_wait_budget: job_wait_budget.ok()?,
                log_format: log_format.ok()?,
                jwt_leeway: jwt_leeway.ok()?,
                http_timeout: http_timeout.ok()?,
                metrics_token: metrics_token.ok()?,
                tenant_cache_ttl: tenant_cache_ttl.ok()?,
                issue_access_ttl: issue_access_ttl.ok()?,
                slack_api_url: slack_api_url.ok()?,
                work_dir: work_dir.ok()?,
                reveal_link_ttl: reveal_link_ttl.ok()?,
                retention_sweep_interval: retention_sweep_interval.ok()?,
                forge: forge.ok()?,
                source_policy: source_policy.ok()?,
            })
        })();
        match config {
            Some(c) if problems.is_empty() => Ok(c),
            _ => Err(ConfigError::Invalid(problems)),
        }
    }
}

fn seconds(raw: &str, range: std::ops::RangeInclusive<u64>) -> Result<Duration, ()> {
    match raw.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(()),
    }
}

fn valid_app_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Parse the public base URL: https, or http on a loopback host only; no query or fragment.
fn parse_base_url(raw: &str) -> Result<Url, String> {
    let setting = "CLEARANCE_BASE_URL (base_url)";
    let url = Url::parse(raw.trim()).map_err(|e| {
        format!("{setting} = {raw:?} is not a URL ({e}); use e.g. https://clearance.example.com")
    })?;
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(format!(
            "{setting} = {raw:?} must not carry credentials, a query or a fragment"
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "{setting} = {raw:?} uses http:// on a non-loopback host; Jira only calls apps over https://. \
                 Use https://, or a loopback host (127.0.0.1, localhost, [::1]) for local testing"
            ));
        }
        other => {
            return Err(format!(
                "{setting} = {raw:?} has scheme {other:?}; use https://"
            ));
        }
    }
    let trimmed = url.as_str().trim_end_matches('/').to_owned();
    Url::parse(&trimmed).map_err(|e| format!("{setting}: {e}"))
}

/// Parse the URL of a service Clearance calls: https, or http on loopback (tests and the demo).
pub(super) fn parse_service_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err("must be an https:// URL (http:// only on loopback hosts)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_base_url_only_on_loopback() {
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("http://localhost:3000/clearance/").is_ok());
        assert!(parse_base_url("http://[::1]:8080").is_ok());
        assert!(parse_base_url("https://clearance.example.com").is_ok());
        let err = parse_base_url("http://clearance.example.com").unwrap_err();
        assert!(err.contains("CLEARANCE_BASE_URL"), "{err}");
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("https://x.com/?a=b").is_err());
    }

    #[test]
    fn base_url_loses_trailing_slash() {
        assert_eq!(
            parse_base_url("https://x.example.com/app/")
                .unwrap()
                .as_str(),
            "https://x.example.com/app"
        );
    }
}
