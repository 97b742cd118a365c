//! Tenants: one Jira site that installed Clearance, as the core sees it (no host-adapter details, no secrets).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

/// Lifecycle state of a tenant, as Jira last reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantState {
    /// Installed (or re-installed); Jira sends `enabled` next.
    Installed,
    /// Enabled on the site.
    Enabled,
    /// Disabled by an admin; nothing is acted on until it is enabled again.
    Disabled,
    /// Uninstalled; data is kept, tokens are refused.
    Uninstalled,
}

impl TenantState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Installed => "installed",
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Uninstalled => "uninstalled",
        }
    }

    /// Parse the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "installed" => Self::Installed,
            "enabled" => Self::Enabled,
            "disabled" => Self::Disabled,
            "uninstalled" => Self::Uninstalled,
            _ => return None,
        })
    }

    /// Whether requests from this tenant may be acted on.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Installed | Self::Enabled)
    }
}

impl fmt::Display for TenantState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One Jira site.
#[derive(Clone, Debug, Serialize)]
pub struct Tenant {
    /// Clearance's own id for the tenant; every tenant-owned row carries it.
    pub id: String,
    /// The host's key for the site (Connect `clientKey`).
    pub client_key: String,
    /// URL prefix for all REST calls to the site.
    pub base_url: Url,
    /// URL for links shown to people (custom domain, else `base_url`).
    pub display_url: Url,
    /// `jira` (or another Atlassian product).
    pub product_type: String,
    /// Host description from the install payload.
    pub description: Option<String>,
    /// Current lifecycle state.
    pub state: TenantState,
    /// First seen.
    pub created_at: DateTime<Utc>,
    /// Last change of any field.
    pub updated_at: DateTime<Utc>,
    /// Last `installed` event.
    pub installed_at: DateTime<Utc>,
    /// Last `uninstalled` event, if uninstalled.
    pub uninstalled_at: Option<DateTime<Utc>>,
}

/// An Atlassian account id (`sub` of a verified token): who is acting.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct AccountId(String);

impl AccountId {
    /// Accept an account id of sane length and characters (`557058:uuid`, `5b10a2844c20165700ede21g`).
    pub fn parse(s: &str) -> Option<Self> {
        let ok = (1..=128).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_:".contains(&b));
        ok.then(|| Self(s.to_owned()))
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
