//! The simulator's in-memory workspace data and the operations the API handlers share: id and timestamp
//! generation, channel resolution, opening DMs and storing messages.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rand::{Rng, distr::Alphanumeric};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    faults::Faults,
    model::{Bot, Conversation, ConversationKind, Message, MessageSource, Team, User, Webhook},
};

/// Everything the simulator knows, behind the [`super::SlackSim`] mutex. Saved whole by the demo, except the
/// faults and the call log.
#[derive(Default, Serialize, Deserialize)]
pub(super) struct State {
    pub teams: Vec<Team>,
    pub bots: Vec<Bot>,
    pub users: Vec<User>,
    pub conversations: Vec<Conversation>,
    /// Webhooks with their secret (the last path segment).
    pub webhooks: Vec<(Webhook, String)>,
    pub messages: Vec<Message>,
    #[serde(skip)]
    pub faults: Faults,
    /// Method names called, in order (webhook posts as `incoming-webhook`).
    #[serde(skip)]
    pub calls: Vec<String>,
    ids: HashSet<String>,
    last_ts_micros: i64,
}

/// A message about to be stored; the state adds timestamp, team and conversation kind.
pub(super) struct Draft {
    pub channel: String,
    pub user: Option<String>,
    pub bot_id: String,
    pub sender_name: String,
    pub text: String,
    pub blocks: Option<Value>,
    pub thread_ts: Option<String>,
    pub unfurl_links: Option<bool>,
    pub unfurl_media: Option<bool>,
    pub source: MessageSource,
}

const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// `len` random characters from `Alphanumeric` (mixed case), for secrets.
pub(super) fn random_secret(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

impl State {
    /// A new unique Slack-style id: `prefix`, `0`, then 8 upper-case alphanumerics (e.g. `U0A1B2C3D4`).
    pub fn new_id(&mut self, prefix: char) -> String {
        let mut rng = rand::rng();
        loop {
            let tail: String = (0..8)
                .map(|_| char::from(ID_CHARS[rng.random_range(0..ID_CHARS.len())]))
                .collect();
            let id = format!("{prefix}0{tail}");
            if self.ids.insert(id.clone()) {
                return id;
            }
        }
    }

    /// The next message timestamp: the current time in microseconds, strictly increasing.
    fn next_ts(&mut self) -> (String, DateTime<Utc>) {
        let micros = Utc::now().timestamp_micros().max(self.last_ts_micros + 1);
        self.last_ts_micros = micros;
        let ts = format!(
            "{}.{:06}",
            micros.div_euclid(1_000_000),
            micros.rem_euclid(1_000_000)
        );
        let at = DateTime::from_timestamp_micros(micros).unwrap_or_else(Utc::now);
        (ts, at)
    }

    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn conversation(&self, id: &str) -> Option<&Conversation> {
        self.conversations.iter().find(|c| c.id == id)
    }

    /// The DM or group DM of exactly `members` (any order) in `team_id`, opening it if needed.
    /// Returns the conversation id and whether it already existed.
    pub fn open_group(&mut self, team_id: &str, mut members: Vec<String>) -> (String, bool) {
        members.sort();
        members.dedup();
        let existing = self.conversations.iter().find(|c| {
            c.team_id == team_id && c.kind != ConversationKind::Channel && c.members == members
        });
        if let Some(c) = existing {
            return (c.id.clone(), true);
        }
        let (kind, prefix) = if members.len() <= 2 {
            (ConversationKind::Im, 'D')
        } else {
            (ConversationKind::Mpim, 'G')
        };
        let id = self.new_id(prefix);
        self.conversations.push(Conversation {
            id: id.clone(),
            team_id: team_id.to_owned(),
            kind,
            name: String::new(),
            members,
        });
        (id, false)
    }

    /// Where `chat.postMessage` from `bot` with `channel` lands, as Slack resolves it: a channel id, a DM or
    /// group DM id the bot is in, a user id of the workspace (the bot's DM with that user), or a channel name
    /// with or without `#`.
    pub fn resolve_channel(&mut self, bot: &Bot, channel: &str) -> Option<String> {
        let in_team = |c: &&Conversation| c.team_id == bot.team_id;
        if let Some(c) = self
            .conversations
            .iter()
            .filter(in_team)
            .find(|c| c.id == channel)
        {
            let visible = c.kind == ConversationKind::Channel || c.members.contains(&bot.user_id);
            return visible.then(|| c.id.clone());
        }
        if self
            .users
            .iter()
            .any(|u| u.id == channel && u.team_id == bot.team_id)
        {
            let members = vec![bot.user_id.clone(), channel.to_owned()];
            return Some(self.open_group(&bot.team_id, members).0);
        }
        let name = channel.strip_prefix('#').unwrap_or(channel);
        self.conversations
            .iter()
            .filter(in_team)
            .find(|c| c.kind == ConversationKind::Channel && c.name == name)
            .map(|c| c.id.clone())
    }

    /// Store a message in an existing conversation.
    pub fn post(&mut self, draft: Draft) -> Message {
        let (team_id, channel_kind) = match self.conversation(&draft.channel) {
            Some(c) => (c.team_id.clone(), c.kind),
            None => (String::new(), ConversationKind::Channel),
        };
        let (ts, posted_at) = self.next_ts();
        let message = Message {
            channel: draft.channel,
            channel_kind,
            team_id,
            user: draft.user,
            bot_id: draft.bot_id,
            sender_name: draft.sender_name,
            text: draft.text,
            blocks: draft.blocks,
            ts,
            thread_ts: draft.thread_ts,
            posted_at,
            unfurl_links: draft.unfurl_links,
            unfurl_media: draft.unfurl_media,
            source: draft.source,
        };
        self.messages.push(message.clone());
        message
    }

    /// Messages `user_id` can see, newest first: its DMs and group DMs, and its workspace's channels.
    pub fn inbox(&self, user_id: &str) -> Vec<Message> {
        let Some(user) = self.user(user_id) else {
            return Vec::new();
        };
        let visible: HashSet<&str> = self
            .conversations
            .iter()
            .filter(|c| c.team_id == user.team_id)
            .filter(|c| {
                c.kind == ConversationKind::Channel || c.members.iter().any(|m| m == user_id)
            })
            .map(|c| c.id.as_str())
            .collect();
        self.messages
            .iter()
            .rev()
            .filter(|m| visible.contains(m.channel.as_str()))
            .cloned()
            .collect()
    }
}
