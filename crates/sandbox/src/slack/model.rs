//! Public records of the Slack simulator: workspaces, bots, users, conversations, webhooks and messages.
//! Serializable so `clearance demo` can save and restore them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Slack workspace ("team").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Team id, `T0…`.
    pub id: String,
    /// Workspace name, e.g. `Acme Corp`.
    pub name: String,
    /// Subdomain: the workspace lives at `https://{domain}.slack.com/`.
    pub domain: String,
}

/// An app installed in a workspace: its bot user and bot token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bot {
    /// Bot token, `xoxb-…`, accepted by the Web API until revoked.
    pub token: String,
    /// Workspace the app is installed in.
    pub team_id: String,
    /// Bot id, `B0…`.
    pub bot_id: String,
    /// The bot's user id, `U0…` (what `auth.test` calls `user_id`).
    pub user_id: String,
    /// App id, `A0…`.
    pub app_id: String,
    /// Bot user name (what `auth.test` calls `user`).
    pub name: String,
}

/// A person in a workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// User id, `U0…`.
    pub id: String,
    /// Workspace the user belongs to.
    pub team_id: String,
    /// Handle, e.g. `ada`.
    pub name: String,
    /// Full name, e.g. `Ada Lovelace`.
    pub real_name: String,
    /// Email address (`users.lookupByEmail` matches it case-insensitively).
    pub email: String,
}

/// What kind of conversation a [`Conversation`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConversationKind {
    /// A public channel (`C…`); every user of the workspace sees its messages.
    Channel,
    /// A direct message between a bot and one user (`D…`).
    Im,
    /// A group direct message (`G…`).
    Mpim,
}

/// A channel, DM or group DM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// Conversation id: `C…`, `D…` or `G…`.
    pub id: String,
    /// Workspace the conversation belongs to.
    pub team_id: String,
    /// Channel, DM or group DM.
    pub kind: ConversationKind,
    /// Channel name without `#`; empty for DMs.
    pub name: String,
    /// User ids in a DM or group DM (the bot's user included); empty for channels.
    pub members: Vec<String>,
}

/// An incoming webhook bound to one channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Workspace of the channel.
    pub team_id: String,
    /// Bot id of the webhook's app, `B0…` (second path segment).
    pub bot_id: String,
    /// Channel the webhook posts into.
    pub channel_id: String,
    /// Name shown as the sender of the webhook's messages.
    pub name: String,
    /// Path relative to where the simulator is mounted: `/services/T…/B…/<secret>`.
    pub path: String,
}

impl Webhook {
    /// Full URL of the webhook under `base`, the URL the simulator's router is mounted at
    /// (e.g. `http://127.0.0.1:4000/slack`).
    pub fn url(&self, base: &str) -> String {
        format!("{}{}", base.trim_end_matches('/'), self.path)
    }
}

/// How a message arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageSource {
    /// `chat.postMessage` with a bot token.
    WebApi,
    /// An incoming webhook.
    Webhook,
}

/// A message as posted, kept for tests and the inbox page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Conversation id the message is in.
    pub channel: String,
    /// Kind of that conversation.
    pub channel_kind: ConversationKind,
    /// Workspace of the conversation.
    pub team_id: String,
    /// Sender's user id (the bot user) for Web API posts; `None` for webhooks.
    pub user: Option<String>,
    /// Sender's bot id.
    pub bot_id: String,
    /// Sender's display name (bot name or webhook name).
    pub sender_name: String,
    /// The `text` field as sent (may be empty when blocks are given).
    pub text: String,
    /// The `blocks` array as sent, if any.
    pub blocks: Option<Value>,
    /// Message timestamp, `1700000000.000100`; unique and increasing.
    pub ts: String,
    /// Parent message when posted into a thread.
    pub thread_ts: Option<String>,
    /// When it was posted (the instant `ts` encodes).
    pub posted_at: DateTime<Utc>,
    /// `unfurl_links` as sent.
    pub unfurl_links: Option<bool>,
    /// `unfurl_media` as sent.
    pub unfurl_media: Option<bool>,
    /// Web API or webhook.
    pub source: MessageSource,
}
