//! A tenant's Slack settings: what an admin may send (each field checked on its own, named in every refusal), the
//! stored row opened for use (token unsealed), and saving a change — a new token checked with `auth.test` first —
//! with its audit event in one transaction.

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::{BotToken, ChannelId, SlackClient, SlackError, UserGroupId, mapping::audit};
use crate::{
    crypto::{CryptoError, MasterKeys, slack_token_context},
    model::AuditAction,
    services::Services,
    store::{AuditEvent, SealedSecret, SlackBot, StoreError, StoredSlackSettings},
};

const FIELDS: &str = "botToken, channel, privacyMention, secretInDm";

/// A tenant's Slack settings, ready to use.
#[derive(Clone, Debug)]
pub struct SlackSettings {
    /// The bot, once a token is stored.
    pub bot: Option<ConnectedBot>,
    /// Where team notices go.
    pub notice_channel: Option<ChannelId>,
    /// Mentioned when a request awaits privacy approval.
    pub privacy_mention: Option<UserGroupId>,
    /// Send the passphrase itself in the DM (else a one-time reveal link).
    pub secret_in_dm: bool,
}

/// A stored bot token, opened, with the workspace it belongs to. `Debug` does not show the token.
#[derive(Clone, Debug)]
pub struct ConnectedBot {
    /// The token.
    pub token: BotToken,
    /// Workspace id.
    pub team_id: String,
    /// Workspace name.
    pub team_name: String,
    /// The bot's user id.
    pub bot_user_id: String,
}

/// Why a settings change was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The input is not acceptable (or Slack refused the token); the message names the field. Nothing changed.
    #[error("{0}")]
    Invalid(String),
    /// No such mapping.
    #[error("{0}")]
    NotFound(String),
    /// Slack could not check the token (down, rate limited). Nothing changed.
    #[error("cannot check the token with Slack ({0}); nothing was changed, try again")]
    Unchecked(SlackError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No master key is configured to seal the token.
    #[error("{0}")]
    NoMasterKey(String),
}

fn invalid(msg: impl Into<String>) -> SettingsError {
    SettingsError::Invalid(msg.into())
}

/// Open a stored row: the token unsealed (bound to the tenant), ids parsed.
pub fn open(keys: &MasterKeys, s: &StoredSlackSettings) -> Result<SlackSettings, CryptoError> {
    let bot = match &s.bot {
        Some(b) => {
            let token = keys.open(&slack_token_context(&s.tenant_id), &b.token_sealed.0)?;
            Some(ConnectedBot {
                token: BotToken::from_stored(token),
                team_id: b.team_id.clone(),
                team_name: b.team_name.clone(),
                bot_user_id: b.bot_user_id.clone(),
            })
        }
        None => None,
    };
    Ok(SlackSettings {
        bot,
        notice_channel: s.notice_channel.as_deref().and_then(ChannelId::parse),
        privacy_mention: s.privacy_mention.as_deref().and_then(UserGroupId::parse),
        secret_in_dm: s.secret_in_dm,
    })
}

/// Settings as sent by an admin. Outer `None`: keep the stored value; `Some(None)`: clear it.
#[derive(Debug, Default)]
pub struct SettingsInput {
    /// A new bot token.
    pub bot_token: Option<BotToken>,
    /// Channel for team notices.
    pub channel: Option<Option<ChannelId>>,
    /// User group mentioned on "awaiting privacy approval".
    pub privacy_mention: Option<Option<UserGroupId>>,
    /// Passphrase in the DM instead of a reveal link.
    pub secret_in_dm: Option<bool>,
}

fn text<'a>(field: &str, v: &'a Value) -> Result<&'a str, SettingsError> {
    v.as_str()
        .ok_or_else(|| invalid(format!("{field}: must be a string")))
}

/// A JSON object body whose fields are all among `fields` (comma-separated, for the messages), or the first problem.
pub(super) fn json_object(body: &[u8], fields: &str) -> Result<Map<String, Value>, SettingsError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| invalid(format!("body: not valid JSON ({e})")))?;
    let Value::Object(map) = value else {
        return Err(invalid(format!(
            "body: must be a JSON object with {fields}"
        )));
    };
    if let Some(other) = map.keys().find(|k| !fields.split(", ").any(|f| f == *k)) {
        let shown: String = other.chars().take(40).collect();
        return Err(invalid(format!("{shown}: unknown field; use {fields}")));
    }
    Ok(map)
}

impl SettingsInput {
    /// Read a JSON object body; the first problem found is reported with its field's name.
    pub fn from_json(body: &[u8]) -> Result<Self, SettingsError> {
        Self::from_map(&json_object(body, FIELDS)?)
    }

    fn from_map(map: &Map<String, Value>) -> Result<Self, SettingsError> {
        let mut input = Self::default();
        for (field, v) in map {
            match field.as_str() {
                "botToken" if v.is_null() => {
                    return Err(invalid(
                        "botToken: a token cannot be removed, only replaced; paste the new bot token (xoxb-…)",
                    ));
                }
                "botToken" => {
                    let token = BotToken::parse(text(field, v)?);
                    input.bot_token = Some(token.map_err(|e| invalid(format!("botToken: {e}")))?);
                }
                "channel" if v.is_null() => input.channel = Some(None),
                "channel" => {
                    let id =
                        ChannelId::parse(text(field, v)?).filter(|c| !c.as_ref().starts_with('D'));
                    input.channel = Some(Some(id.ok_or_else(|| invalid(
                        "channel: use the channel's ID (C… or G…: in Slack, open the channel's details; the ID is at \
                         the bottom), or null for no team notices",
                    ))?));
                }
                "privacyMention" if v.is_null() => input.privacy_mention = Some(None),
                "privacyMention" => {
                    let id = UserGroupId::parse(text(field, v)?);
                    input.privacy_mention = Some(Some(id.ok_or_else(|| invalid(
                        "privacyMention: use the user group's ID (S…: in Slack, open the group under People → User \
                         groups and copy its ID), or null for no mention",
                    ))?));
                }
                "secretInDm" => {
                    let flag = v.as_bool();
                    input.secret_in_dm =
                        Some(flag.ok_or_else(|| invalid("secretInDm: must be true or false"))?);
                }
                _ => {} // json_object refused any other field
            }
        }
        Ok(input)
    }
}

/// What [`save`] stored.
#[derive(Debug)]
pub struct Saved {
    /// The row as stored.
    pub settings: StoredSlackSettings,
    /// Whether a new token was stored.
    pub token_replaced: bool,
    /// Whether the new token belongs to another workspace than the old one (mapped Slack users are from the old one).
    pub team_changed: bool,
    /// The audit event written with it.
    pub event: AuditEvent,
}

/// Check a new token with `auth.test`, then store the settings (fields left out keep their values); audited as
/// `slack.settings_updated`, never with the token. A token Slack refuses is [`SettingsError::Invalid`] in Slack's
/// words; nothing is stored then.
pub async fn save(
    app: &Services,
    tenant_id: &str,
    actor: &str,
    input: SettingsInput,
) -> Result<Saved, SettingsError> {
    let keys = app
        .cfg
        .require_master_keys()
        .map_err(|e| SettingsError::NoMasterKey(e.to_string()))?;
    let checked = match &input.bot_token {
        Some(token) => Some(token_checked(app, token).await?),
        None => None,
    };
    let mut tx = app.store.begin().await?;
    let existing = tx.slack_settings_for_update(tenant_id).await?;
    let old_bot = existing.as_ref().and_then(|e| e.bot.clone());
    let bot = match (&input.bot_token, checked) {
        (Some(token), Some(info)) => Some(SlackBot {
            token_sealed: SealedSecret(keys.seal(&slack_token_context(tenant_id), token.expose())),
            team_id: info.team_id,
            team_name: info.team,
            bot_user_id: info.bot_user_id,
        }),
        _ => old_bot.clone(),
    };
    let keep = |new: Option<Option<String>>, old: Option<String>| new.unwrap_or(old);
    let row = StoredSlackSettings {
        tenant_id: tenant_id.to_owned(),
        notice_channel: keep(
            input.channel.map(|c| c.map(|c| c.to_string())),
            existing.as_ref().and_then(|e| e.notice_channel.clone()),
        ),
        privacy_mention: keep(
            input.privacy_mention.map(|g| g.map(|g| g.to_string())),
            existing.as_ref().and_then(|e| e.privacy_mention.clone()),
        ),
        secret_in_dm: input
            .secret_in_dm
            .unwrap_or(existing.as_ref().is_some_and(|e| e.secret_in_dm)),
        bot,
        updated_at: Utc::now(),
        updated_by: actor.to_owned(),
    };
    let token_replaced = input.bot_token.is_some();
    let team_changed = match (&old_bot, &row.bot) {
        (Some(old), Some(new)) => old.team_id != new.team_id,
        _ => false,
    };
    tx.upsert_slack_settings(&row).await?;
    let team = row
        .bot
        .as_ref()
        .map(|b| json!({"id": b.team_id, "name": b.team_name}));
    let detail = json!({
        "tokenReplaced": token_replaced, "team": team, "teamChanged": team_changed,
        "channel": row.notice_channel, "privacyMention": row.privacy_mention, "secretInDm": row.secret_in_dm,
    });
    let event = audit(actor, AuditAction::SlackSettingsUpdated, detail);
    let event = tx.append_audit(tenant_id, &event).await?;
    tx.commit().await?;
    Ok(Saved {
        settings: row,
        token_replaced,
        team_changed,
        event,
    })
}

/// `auth.test` for a pasted token: refused tokens are bad input in Slack's words, an unreachable Slack is not.
async fn token_checked(app: &Services, token: &BotToken) -> Result<super::AuthInfo, SettingsError> {
    match SlackClient::for_app(app).auth_test(token).await {
        Ok(info) => Ok(info),
        Err(SlackError::Auth { code, .. }) => Err(invalid(format!(
            "botToken: Slack refused this token ({code}); copy the Bot User OAuth Token (xoxb-…) again from OAuth & \
             Permissions in the Slack app's settings, and make sure the app is installed in the workspace"
        ))),
        Err(e @ SlackError::Api { .. }) => Err(invalid(format!("botToken: {e}"))),
        Err(e) => Err(SettingsError::Unchecked(e)),
    }
}

/// Bad input and a token Slack refused are 422 (nothing changed), an unknown mapping 404, Slack unreachable while
/// checking a token 502.
impl From<SettingsError> for crate::error::AppError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid(m) => crate::error::AppError::Unprocessable(m),
            SettingsError::NotFound(m) => crate::error::AppError::NotFound(m),
            e @ SettingsError::Unchecked(_) => crate::error::AppError::Upstream(e.to_string()),
            SettingsError::Store(s) => s.into(),
            e @ SettingsError::NoMasterKey(_) => {
                crate::error::AppError::Internal(anyhow::Error::new(e))
            }
        }
    }
}
