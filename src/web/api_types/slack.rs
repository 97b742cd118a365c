//! What the admin page receives about Slack: the site's settings (whether a token is set, never the token), a test
//! notice's outcome, and the Jira account → Slack user mapping.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    slack::{ChannelId, MessageTs},
    store::{SlackUserMapping, StoredSlackSettings},
};

/// The Slack workspace the bot token belongs to.
#[derive(Serialize)]
pub struct Team<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

/// The settings as admins see them: whether a token is set (never the token), its workspace, the rest in the clear.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlackView<'a> {
    pub token_set: bool,
    pub token_problem: Option<String>,
    pub team: Option<Team<'a>>,
    pub bot_user_id: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub privacy_mention: Option<&'a str>,
    pub secret_in_dm: bool,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<&'a str>,
}

impl<'a> SlackView<'a> {
    /// A site that never saved Slack settings.
    pub fn unset() -> Self {
        Self {
            token_set: false,
            token_problem: None,
            team: None,
            bot_user_id: None,
            channel: None,
            privacy_mention: None,
            secret_in_dm: false,
            updated_at: None,
            updated_by: None,
        }
    }

    /// Stored settings, with why the stored token cannot be opened if it cannot.
    pub fn of(s: &'a StoredSlackSettings, token_problem: Option<String>) -> Self {
        let bot = s.bot.as_ref();
        Self {
            token_set: bot.is_some(),
            token_problem,
            team: bot.map(|b| Team {
                id: &b.team_id,
                name: &b.team_name,
            }),
            bot_user_id: bot.map(|b| b.bot_user_id.as_str()),
            channel: s.notice_channel.as_deref(),
            privacy_mention: s.privacy_mention.as_deref(),
            secret_in_dm: s.secret_in_dm,
            updated_at: Some(s.updated_at),
            updated_by: Some(&s.updated_by),
        }
    }
}

/// `GET /api/admin/slack`.
#[derive(Serialize)]
pub struct SlackAnswer<'a> {
    pub slack: SlackView<'a>,
}

/// `PUT /api/admin/slack`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlackSaved<'a> {
    pub slack: SlackView<'a>,
    pub token_replaced: bool,
    pub team_changed: bool,
    pub audit_seq: i64,
}

/// `POST /api/admin/slack/test`: `{"ok": true, "channel", "ts"}` or `{"ok": false, "problem", "message"}`.
#[derive(Serialize)]
#[serde(untagged)]
pub enum TestNotice {
    Sent {
        ok: bool,
        channel: ChannelId,
        ts: MessageTs,
    },
    Failed {
        ok: bool,
        problem: String,
        message: String,
    },
}

/// One Jira account → Slack user mapping.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingView<'a> {
    pub account_id: &'a str,
    pub slack_user_id: &'a str,
    pub updated_at: DateTime<Utc>,
    pub updated_by: &'a str,
}

impl<'a> From<&'a SlackUserMapping> for MappingView<'a> {
    fn from(m: &'a SlackUserMapping) -> Self {
        Self {
            account_id: &m.account_id,
            slack_user_id: &m.slack_user_id,
            updated_at: m.updated_at,
            updated_by: &m.updated_by,
        }
    }
}

/// `GET /api/admin/slack/users`.
#[derive(Serialize)]
pub struct Users<'a> {
    pub users: Vec<MappingView<'a>>,
}

/// `PUT /api/admin/slack/users/{accountId}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMapped<'a> {
    pub user: MappingView<'a>,
    pub created: bool,
    pub previous_slack_user_id: Option<&'a str>,
    pub audit_seq: i64,
}
