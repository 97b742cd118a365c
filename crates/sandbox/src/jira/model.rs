//! The simulated site's data: users, groups, issues, attachments, comments, properties, and the installed app.
//! Serializable so `clearance demo` can save and restore it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything the simulated site knows.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SiteState {
    /// Connect clientKey of this site.
    pub client_key: String,
    /// Users by accountId.
    pub users: BTreeMap<String, User>,
    /// Group name → member accountIds.
    pub groups: BTreeMap<String, Vec<String>>,
    /// Issues by numeric id.
    pub issues: BTreeMap<u64, Issue>,
    /// Attachments by id.
    pub attachments: BTreeMap<u64, Attachment>,
    /// The installed app, if any.
    pub app: Option<InstalledApp>,
    /// Next numeric id for issues, comments, attachments, changelogs.
    pub next_id: u64,
    /// Per-project issue counters (`DATA` → last number).
    pub counters: BTreeMap<String, u64>,
    /// Largest attachment accepted, bytes (`/rest/api/3/attachment/meta`).
    pub upload_limit: u64,
    /// Whether `/rest/api/3/user/email` answers the app (Atlassian approves this per app).
    pub email_api_allowed: bool,
    /// The Forge side: cloudId, the Forge app's account and installation (absent in sites saved before it).
    #[serde(default)]
    pub forge: super::forge::ForgeSite,
    /// Issue security levels by name (absent in sites saved before them).
    #[serde(default)]
    pub security_levels: BTreeMap<String, SecurityLevel>,
}

/// An issue security level: who may see the issues that carry it (nobody else sees they exist).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SecurityLevel {
    /// Accounts named in the level.
    pub accounts: Vec<String>,
    /// Groups whose members are in the level.
    pub groups: Vec<String>,
    /// Whether the level grants the `atlassian-addons-project-access` project role, which holds the installed apps'
    /// users: without it, the apps cannot see the level's issues either.
    pub apps: bool,
}

/// A Jira account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    /// Atlassian accountId.
    pub account_id: String,
    /// Display name.
    pub display_name: String,
    /// Email address.
    pub email: String,
    /// Whether the profile shows the email to others (Jira hides it by default).
    pub email_visible: bool,
}

/// A Jira issue.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Issue {
    /// Numeric id.
    pub id: u64,
    /// `PROJ-N`.
    pub key: String,
    /// Project key.
    pub project: String,
    /// Summary line.
    pub summary: String,
    /// Description as Atlassian Document Format.
    pub description: Value,
    /// Labels (case-sensitive).
    pub labels: Vec<String>,
    /// Reporter accountId.
    pub reporter: String,
    /// Status name.
    pub status: String,
    /// Issue type name.
    pub issue_type: String,
    /// Created.
    pub created: DateTime<Utc>,
    /// Last updated.
    pub updated: DateTime<Utc>,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
    /// Attachment ids.
    pub attachment_ids: Vec<u64>,
    /// Entity properties by key.
    pub properties: BTreeMap<String, Value>,
    /// Name of the issue's security level; `None`: everyone who may browse the project sees it.
    #[serde(default)]
    pub security: Option<String>,
}

/// A comment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comment {
    /// Numeric id.
    pub id: u64,
    /// Author accountId (the app's account for app comments).
    pub author: String,
    /// ADF body.
    pub body: Value,
    /// Created.
    pub created: DateTime<Utc>,
}

/// A file attached to an issue.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attachment {
    /// Numeric id.
    pub id: u64,
    /// Owning issue id.
    pub issue_id: u64,
    /// File name.
    pub filename: String,
    /// MIME type.
    pub mime_type: String,
    /// Uploader accountId.
    pub author: String,
    /// Created.
    pub created: DateTime<Utc>,
    /// Content.
    #[serde(with = "b64")]
    pub content: Vec<u8>,
}

/// The app installed on the site, as read from its descriptor.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InstalledApp {
    /// Descriptor `key`.
    pub key: String,
    /// Descriptor `baseUrl`.
    pub base_url: String,
    /// Current per-install shared secret.
    pub shared_secret: String,
    /// The descriptor as fetched.
    pub descriptor: Value,
    /// Whether the app is enabled.
    pub enabled: bool,
    /// The app's own user account.
    pub account_id: String,
}

impl InstalledApp {
    /// The webhook URL (absolute) the descriptor declares for `event`.
    pub fn webhook_urls(&self, event: &str) -> Vec<String> {
        self.descriptor["modules"]["webhooks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|w| w["event"] == event)
            .filter_map(|w| w["url"].as_str())
            .map(|u| format!("{}{u}", self.base_url.trim_end_matches('/')))
            .collect()
    }

    /// A module (`webPanels`, `adminPages`) by type and index 0, as `(key, url)`.
    pub fn module(&self, kind: &str) -> Option<(String, String)> {
        let m = self.descriptor["modules"][kind].as_array()?.first()?;
        Some((m["key"].as_str()?.to_owned(), m["url"].as_str()?.to_owned()))
    }
}

/// Jira's timestamp format: `2026-11-22T02:00:15.123+0000`.
pub fn jira_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// An ADF document of the paragraphs of `text` (split at blank lines; empty ones left out, as ADF has no empty
/// text nodes).
pub fn adf_text(text: &str) -> Value {
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    clearance_atlassian::adf::doc(&paragraphs)
}

/// Plain text of an ADF document (the app's own reading of ADF).
pub fn adf_plain(doc: &Value) -> String {
    clearance_atlassian::adf::plain_text(doc)
}

mod b64 {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}
