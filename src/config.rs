//! Layered configuration: built-in defaults, then an optional TOML file, then `CLEARANCE_*` environment variables,
//! validated once at start-up with messages that name the setting and say how to fix it.

use std::{fmt, net::SocketAddr, path::Path, time::Duration};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use secrecy::SecretString;

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
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Clock skew tolerated on inbound token `exp`.
    pub jwt_leeway: Duration,
    /// Timeout for calls Clearance makes (Jira, key server).
    pub http_timeout: Duration,
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

/// The raw settings as read from defaults, file and environment, before validation.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
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
    log_format: String,
    #[serde(deserialize_with = "scalar")]
    jwt_leeway_secs: String,
    #[serde(deserialize_with = "scalar")]
    http_timeout_secs: String,
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
            log_format: "text".into(),
            jwt_leeway_secs: "30".into(),
            http_timeout_secs: "10".into(),
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

impl RawConfig {
    fn validate(self) -> Result<Config, ConfigError> {
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

        match (
            listen,
            base_url,
            master_keys,
            jira_hosts,
            install_keys_url,
            log_format,
            jwt_leeway,
            http_timeout,
        ) {
            (
                Ok(listen),
                Ok(base_url),
                Ok(master_keys),
                Ok(jira_hosts),
                Ok(install_keys_url),
                Ok(log_format),
                Ok(jwt_leeway),
                Ok(http_timeout),
            ) if problems.is_empty() => Ok(Config {
                listen,
                base_url,
                app_key: self.app_key,
                database_url: SecretString::from(self.database_url),
                master_keys,
                jira_hosts,
                install_keys_url,
                log_format,
                jwt_leeway,
                http_timeout,
            }),
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
fn parse_service_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err("must be an https:// URL (http:// only on loopback hosts)".into()),
    }
}

/// Whether a URL's host is a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Allowed Jira host patterns: exact host names, or `*.` followed by a domain where `*` is one DNS label.
#[derive(Clone, PartialEq, Eq)]
pub struct HostPatterns(Vec<String>);

impl HostPatterns {
    /// Validate and normalise (lower-case) a list of patterns.
    pub fn parse(items: &[String]) -> Result<Self, String> {
        if items.is_empty() {
            return Err(
                "no host patterns given; the default is *.atlassian.net,*.jira.com,*.jira-dev.com"
                    .into(),
            );
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let p = item.trim().to_ascii_lowercase();
            let rest = p.strip_prefix("*.").unwrap_or(&p);
            let ok = !rest.is_empty()
                && !rest.contains('*')
                && rest.split('.').all(|l| {
                    !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !ok {
                return Err(format!(
                    "{item:?} is not a host pattern; use a host name (jira.example.com, 127.0.0.1) or *.domain (*.atlassian.net)"
                ));
            }
            out.push(p);
        }
        Ok(Self(out))
    }

    /// Whether `host` (a bare host name, no port) matches one of the patterns.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.0.iter().any(|p| match p.strip_prefix("*.") {
            Some(domain) => host
                .strip_suffix(domain)
                .and_then(|label| label.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty() && !label.contains('.')),
            None => host == *p,
        })
    }
}

impl fmt::Debug for HostPatterns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pats(items: &[&str]) -> HostPatterns {
        HostPatterns::parse(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn host_patterns_match_one_label() {
        let p = pats(&DEFAULT_JIRA_HOSTS);
        assert!(p.matches("acme.atlassian.net"));
        assert!(p.matches("ACME.Atlassian.NET"));
        assert!(!p.matches("atlassian.net"));
        assert!(!p.matches("a.b.atlassian.net"));
        assert!(!p.matches("evilatlassian.net"));
        assert!(!p.matches("acme.atlassian.net.evil.com"));
        assert!(!p.matches("169.254.169.254"));
        assert!(pats(&["127.0.0.1"]).matches("127.0.0.1"));
    }

    #[test]
    fn host_pattern_syntax_is_checked() {
        for bad in ["", "*", "**.x.com", "a.*.com", "http://x.com", "x..com"] {
            assert!(
                HostPatterns::parse(&[bad.to_string()]).is_err(),
                "{bad} accepted"
            );
        }
    }

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
        ] {
            assert!(err.contains(needle), "{needle} missing in {err}");
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
