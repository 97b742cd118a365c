//! Layered configuration: built-in defaults, then an optional TOML file, then `CLEARANCE_*` environment variables,
//! validated once at start-up with messages that name the setting and say how to fix it.

mod forge;
mod jobs;
mod raw;

use std::{net::SocketAddr, path::Path, time::Duration};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

pub use clearance_extract::hosts::{HostPatterns, is_loopback};
pub use clearance_extract::source_settings::{
    AllowRule, DEFAULT_SOURCE_ALLOW, DEFAULT_SOURCE_DENY, DenyRule, SourcePolicySettings,
};
pub use jobs::{DEFAULT_WAIT_BUDGET, LaneSlots};
use raw::RawConfig;

use crate::crypto::MasterKeys;

/// Hosts Jira Cloud sites live on; `*` matches exactly one DNS label.
pub const DEFAULT_JIRA_HOSTS: [&str; 3] = ["*.atlassian.net", "*.jira.com", "*.jira-dev.com"];

/// The validated configuration of one Clearance process.
#[derive(Clone, Debug)]
pub struct Config {
    /// Socket address the HTTP server binds to.
    pub listen: SocketAddr,
    /// Public base URL Jira calls (no trailing slash); https unless the host is loopback.
    pub base_url: Url,
    /// Atlassian Connect app key (descriptor `key`, `iss` of outbound tokens).
    pub app_key: String,
    /// sqlx database URL: `sqlite://…` or `postgres://…`.
    pub database_url: SecretString,
    /// Master keys for secrets at rest; `None` when `CLEARANCE_MASTER_KEY` is unset.
    pub master_keys: Option<MasterKeys>,
    /// Host patterns a tenant's `baseUrl` must match.
    pub jira_hosts: HostPatterns,
    /// Server that serves Atlassian's install public keys at `{url}/{kid}`.
    pub install_keys_url: Url,
    /// The Connect JavaScript API (`all.js`) the iframe pages load: Atlassian's CDN, or the sandbox's stand-in.
    pub connect_js_url: Url,
    /// Whether this process runs background jobs (several processes may; an API-only one sets false).
    pub worker: bool,
    /// How often each tenant is reconciled with Jira (a bounded search for what webhooks missed).
    pub reconcile_interval: Duration,
    /// How long a worker's claim on a job lasts without a heartbeat: how soon another process takes over the jobs
    /// of a worker that died. A running job's lease is extended every third of it.
    pub job_lease: Duration,
    /// Jobs one worker runs at once in each lane, and long jobs (extractions) one tenant may have running at once.
    pub job_slots: LaneSlots,
    /// How long a job keeps waiting on Jira's or Slack's rate limits (429, no try in between) before it gives up; an
    /// extraction that gives up fails its request with the reason.
    pub job_wait_budget: Duration,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Clock skew tolerated on inbound token `exp`.
    pub jwt_leeway: Duration,
    /// Timeout for calls Clearance makes (Jira, key server).
    pub http_timeout: Duration,
    /// Bearer token `GET /metrics` requires; `None` leaves it open (bind it to a private network then).
    pub metrics_token: Option<SecretString>,
    /// How long a verified tenant (with its opened secret) is reused before it is read again; zero = every time.
    pub tenant_cache_ttl: Duration,
    /// How long Jira's answer to "may this person see this issue?" is reused for panel calls whose token names no
    /// issue; zero = ask Jira every time.
    pub issue_access_ttl: Duration,
    /// Slack Web API base (`https://slack.com/api`; tests and the demo point it at the simulator).
    pub slack_api_url: Url,
    /// Folder where bundles are built (each in a private subfolder, removed after upload or failure).
    pub work_dir: std::path::PathBuf,
    /// How long a one-time link to reveal a bundle's secret stays valid.
    pub reveal_link_ttl: Duration,
    /// How often delivered bundles are checked for expiry (and reminders for those about to expire).
    pub retention_sweep_interval: Duration,
    /// The Forge Remote front door; `None` (no app id set) refuses Forge invocation tokens.
    pub forge: Option<ForgeConfig>,
    /// What site admins' data sources may reach (hosts, networks, SQLite folders).
    pub source_policy: SourcePolicySettings,
}

/// What an app id starts with in Forge tokens (`aud`, `app.id`).
pub const FORGE_APP_ARI_PREFIX: &str = "ari:cloud:ecosystem::app/";

/// How Clearance checks Forge invocation tokens and where it may call Jira for a Forge installation.
#[derive(Clone, Debug)]
pub struct ForgeConfig {
    /// The app's ARI (`ari:cloud:ecosystem::app/<uuid>`): the tokens' `aud`.
    pub app_id: String,
    /// Where Forge publishes the keys that sign invocation tokens.
    pub jwks_url: Url,
    /// Hosts a token's `app.apiBaseUrl` may point at (Atlassian's API gateway).
    pub api_hosts: HostPatterns,
    /// Forge environment ids (`ari:cloud:ecosystem::environment/…`) this deployment serves; empty: any.
    pub environments: Vec<String>,
}

/// Log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// A configuration problem, phrased for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or environment could not be read or parsed.
    #[error("{0}")]
    Load(String),
    /// One or more settings are invalid.
    #[error("invalid configuration:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}

impl Config {
    /// Load defaults → `file` (if given) → `CLEARANCE_*` environment, then validate.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::Load(format!(
                    "config file {} does not exist or is not a file (given with --config or CLEARANCE_CONFIG)",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("CLEARANCE_").ignore(&["config"]));
        let raw: RawConfig = figment
            .extract()
            .map_err(|e| ConfigError::Load(describe_figment_error(e)))?;
        raw.validate()
    }

    /// Load from an explicit list of `(setting, value)` pairs over the defaults (used by tests and the demo).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
        for (key, value) in pairs {
            // Parse like an environment variable would be, so "30" is a number and "a,b" a string.
            let value: figment::value::Value =
                value.parse().unwrap_or_else(|_| value.clone().into());
            figment = figment.merge((key, value));
        }
        let raw: RawConfig = figment
            .extract()
            .map_err(|e| ConfigError::Load(describe_figment_error(e)))?;
        raw.validate()
    }

    /// The master keys, or an error telling the operator how to make one.
    pub fn require_master_keys(&self) -> Result<&MasterKeys, ConfigError> {
        self.master_keys.as_ref().ok_or_else(|| {
            ConfigError::Invalid(vec![
                "CLEARANCE_MASTER_KEY (master_key) is not set; Clearance encrypts tenant secrets with it and will not \
                 store them in the clear. Generate one with `clearance keygen` and set CLEARANCE_MASTER_KEY."
                    .into(),
            ])
        })
    }

    /// Base URL as a string without a trailing slash (the descriptor `baseUrl`).
    pub fn base_url_str(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }
}

fn describe_figment_error(e: figment::Error) -> String {
    e.into_iter()
        .map(|err| {
            let key = err.path.join(".");
            let env = if key.is_empty() {
                String::new()
            } else {
                format!(" (CLEARANCE_{})", key.to_uppercase())
            };
            let source = err
                .metadata
                .as_ref()
                .map(|m| format!(" from {}", m.name))
                .unwrap_or_default();
            format!("setting `{key}`{env}{source}: {}", err.kind)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let cfg = Config::from_pairs([]).unwrap();
        assert_eq!(cfg.listen.to_string(), "127.0.0.1:8080");
        assert!(cfg.master_keys.is_none());
        assert!(cfg.require_master_keys().is_err());
    }

    #[test]
    fn every_problem_is_reported_with_its_setting() {
        let err = Config::from_pairs([
            ("listen", "nope".to_string()),
            ("base_url", "http://example.com".to_string()),
            ("log_format", "xml".to_string()),
            ("master_key", "short".to_string()),
            ("jwt_leeway_secs", "abc".to_string()),
            ("http_timeout_secs", "0".to_string()),
            ("worker", "maybe".to_string()),
        ])
        .unwrap_err()
        .to_string();
        for needle in [
            "CLEARANCE_LISTEN",
            "CLEARANCE_BASE_URL",
            "CLEARANCE_LOG_FORMAT",
            "CLEARANCE_MASTER_KEY",
            "CLEARANCE_JWT_LEEWAY_SECS",
            "CLEARANCE_HTTP_TIMEOUT_SECS",
            "CLEARANCE_WORKER",
        ] {
            assert!(err.contains(needle), "{needle} missing in {err}");
        }
    }

    #[test]
    fn job_lease_is_whole_seconds_in_range() {
        assert_eq!(
            Config::from_pairs([]).unwrap().job_lease,
            Duration::from_secs(60)
        );
        let cfg = Config::from_pairs([("job_lease_secs", "2".to_string())]).unwrap();
        assert_eq!(cfg.job_lease, Duration::from_secs(2));
        for bad in ["0", "3601", "-5", "1.5", "soon", ""] {
            let err = Config::from_pairs([("job_lease_secs", bad.to_string())])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("CLEARANCE_JOB_LEASE_SECS") && err.contains("1-3600"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn job_lane_slots_default_and_from_settings() {
        assert_eq!(
            Config::from_pairs([]).unwrap().job_slots,
            LaneSlots::default()
        );
        let cfg = Config::from_pairs([
            ("job_short_slots", "10".to_string()),
            ("job_long_slots", "4".to_string()),
            ("job_long_per_tenant", "2".to_string()),
        ])
        .unwrap();
        let s = cfg.job_slots;
        assert_eq!(
            (s.short.get(), s.long.get(), s.long_per_tenant.get()),
            (10, 4, 2)
        );
        let err = Config::from_pairs([("job_long_slots", "0".to_string())])
            .unwrap_err()
            .to_string();
        assert!(err.contains("CLEARANCE_JOB_LONG_SLOTS"), "{err}");
    }

    #[test]
    fn metrics_token_is_optional_but_not_weak() {
        assert!(Config::from_pairs([]).unwrap().metrics_token.is_none());
        assert!(
            Config::from_pairs([("metrics_token", " ".to_string())])
                .unwrap()
                .metrics_token
                .is_none()
        );
        let cfg = Config::from_pairs([("metrics_token", "0123456789abcdef".to_string())]).unwrap();
        assert!(cfg.metrics_token.is_some());
        assert!(
            !format!("{cfg:?}").contains("0123456789abcdef"),
            "token redacted in Debug"
        );
        for bad in ["short", "has a space inside it ok"] {
            let err = Config::from_pairs([("metrics_token", bad.to_string())])
                .unwrap_err()
                .to_string();
            assert!(err.contains("CLEARANCE_METRICS_TOKEN"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn comma_separated_hosts() {
        let cfg = Config::from_pairs([("jira_hosts", "a.example.com, *.example.org".to_string())])
            .unwrap();
        assert!(cfg.jira_hosts.matches("x.example.org"));
        assert!(cfg.jira_hosts.matches("a.example.com"));
        assert!(!cfg.jira_hosts.matches("x.atlassian.net"));
    }
}
