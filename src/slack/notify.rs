//! What the delivery job calls: [`send_dm`] (a message to the person behind a Jira account) and [`post_notice`] (a
//! team notice in the tenant's channel; nothing when none is set up), both with errors sorted into
//! [`DeliveryError`]: what a person must fix, what time fixes.

use super::{
    AUTH_RETRY_AFTER, ChannelId, MessageTs, SlackClient, SlackError, identity,
    messages::Message,
    notices::{Notice, notice},
    settings::{ConnectedBot, SlackSettings, open},
};
use crate::{jira::JiraError, jobs::JobError, services::Services, tenant::Tenant};

/// Why a Slack message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Slack is not set up for the tenant (no bot token, or the stored one cannot be opened); an admin must act.
    #[error("{0}")]
    NotSetUp(String),
    /// A notice channel is needed and none is set.
    #[error("{0}")]
    NoChannel(String),
    /// Nobody in Slack could be found for the Jira account; the reason says what a person can do.
    #[error("{0}")]
    Unresolved(String),
    /// Slack refused or failed (rate limit, outage, token refused: see [`SlackError`]).
    #[error(transparent)]
    Slack(#[from] SlackError),
    /// Jira refuses the app people's e-mail addresses because the installed app is not granted the scope
    /// (`ACCESS_EMAIL_ADDRESSES`, `read:email-address:jira`); the message says what a site admin does.
    #[error("{0}")]
    JiraScope(String),
    /// Jira failed while reading the person's e-mail (outage, rate limit, app credentials).
    #[error("cannot read the person's e-mail address from Jira: {0}")]
    Jira(JiraError),
    /// Storage or another internal failure.
    #[error("{0:#}")]
    Internal(anyhow::Error),
}

impl DeliveryError {
    /// A short code: `not_configured`, `no_channel`, `unresolved`, `jira_scope`, Slack's error code (see
    /// [`SlackError::code`]), `jira` or `failed`.
    pub fn code(&self) -> &str {
        match self {
            Self::NotSetUp(_) => "not_configured",
            Self::NoChannel(_) => "no_channel",
            Self::Unresolved(_) => "unresolved",
            Self::JiraScope(_) => "jira_scope",
            Self::Slack(e) => e.code(),
            Self::Jira(_) => "jira",
            Self::Internal(_) => "failed",
        }
    }

    /// Whether only a person (an admin) can fix it: Slack not set up, nobody found, the token or scopes refused (in
    /// Slack or in Jira).
    pub fn needs_admin(&self) -> bool {
        match self {
            Self::NotSetUp(_) | Self::NoChannel(_) | Self::Unresolved(_) | Self::JiraScope(_) => {
                true
            }
            Self::Slack(e) => e.is_auth(),
            Self::Jira(_) | Self::Internal(_) => false,
        }
    }
}

/// Slack and Jira errors keep their own mapping (rate limits wait as asked). What needs an admin waits
/// [`AUTH_RETRY_AFTER`] between attempts, so a fix made meanwhile (a token, a mapping) lets the job finish by itself.
impl From<DeliveryError> for JobError {
    fn from(e: DeliveryError) -> Self {
        let admin_fix = |error: String| Self::Retry {
            error,
            after: Some(AUTH_RETRY_AFTER),
        };
        match e {
            DeliveryError::Slack(s) => s.into(),
            DeliveryError::Jira(j) => j.into(),
            e @ (DeliveryError::NotSetUp(_)
            | DeliveryError::NoChannel(_)
            | DeliveryError::Unresolved(_)
            | DeliveryError::JiraScope(_)) => admin_fix(e.to_string()),
            DeliveryError::Internal(e) => e.into(),
        }
    }
}

/// Where a message landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// The conversation (the DM, or the notice channel).
    pub channel: ChannelId,
    /// The message's timestamp.
    pub ts: MessageTs,
}

const NOT_SET_UP: &str = "Slack is not set up for this site: an admin pastes the Slack app's bot token on \
                          Clearance's admin page";

/// The tenant's Slack settings, opened (`None` when an admin never saved any).
pub async fn load_settings(
    app: &Services,
    tenant: &Tenant,
) -> Result<Option<SlackSettings>, DeliveryError> {
    let stored = app
        .store
        .slack_settings(&tenant.id)
        .await
        .map_err(|e| DeliveryError::Internal(e.into()))?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let keys = app
        .cfg
        .require_master_keys()
        .map_err(|e| DeliveryError::Internal(e.into()))?;
    open(keys, &stored).map(Some).map_err(|e| {
        tracing::warn!(error = %e, "the stored Slack bot token cannot be opened");
        DeliveryError::NotSetUp(format!(
            "the stored Slack bot token cannot be opened ({e}); an admin must paste it again on Clearance's admin page"
        ))
    })
}

/// The tenant's bot (and its settings), or [`DeliveryError::NotSetUp`].
pub(super) async fn bot(
    app: &Services,
    tenant: &Tenant,
) -> Result<(ConnectedBot, SlackSettings), DeliveryError> {
    let settings = load_settings(app, tenant).await?;
    settings
        .and_then(|s| Some((s.bot.clone()?, s)))
        .ok_or_else(|| DeliveryError::NotSetUp(NOT_SET_UP.into()))
}

/// Send `message` as a DM to the Slack user behind the Jira account `account_id` (the admin's mapping, else the
/// Jira e-mail looked up in Slack).
#[tracing::instrument(skip_all, fields(tenant = %tenant.id))]
pub async fn send_dm(
    app: &Services,
    tenant: &Tenant,
    account_id: &str,
    message: &Message,
) -> Result<Sent, DeliveryError> {
    let (bot, _) = bot(app, tenant).await?;
    let user = identity::resolve_with(app, tenant, &bot, account_id).await?;
    let client = SlackClient::for_app(app);
    let channel = client.open_dm(&bot.token, &user).await?;
    let ts = client
        .post_message(
            &bot.token,
            &channel,
            &message.text,
            Some(message.blocks.clone()),
        )
        .await?;
    tracing::info!(channel = %channel, "Slack DM sent");
    Ok(Sent { channel, ts })
}

/// Post a team notice in the tenant's channel, mentioning its privacy group where the notice calls for it. `Ok(None)`
/// (logged) when the tenant has no Slack bot or no notice channel: notices are optional.
#[tracing::instrument(skip_all, fields(tenant = %tenant.id))]
pub async fn post_notice(
    app: &Services,
    tenant: &Tenant,
    n: &Notice,
) -> Result<Option<Sent>, DeliveryError> {
    match to_channel(app, tenant, n).await {
        Err(e @ (DeliveryError::NotSetUp(_) | DeliveryError::NoChannel(_))) => {
            tracing::info!(reason = %e, "Slack notice not sent");
            Ok(None)
        }
        other => other.map(Some),
    }
}

/// Post the admin's test notice; unlike [`post_notice`], a missing bot or channel is an error.
pub async fn test_notice(app: &Services, tenant: &Tenant) -> Result<Sent, DeliveryError> {
    to_channel(app, tenant, &Notice::Test).await
}

async fn to_channel(app: &Services, tenant: &Tenant, n: &Notice) -> Result<Sent, DeliveryError> {
    let (bot, settings) = bot(app, tenant).await?;
    let channel = settings.notice_channel.clone().ok_or_else(|| {
        DeliveryError::NoChannel(
            "no Slack channel is set for team notices; an admin can set one on Clearance's admin page".into(),
        )
    })?;
    let message = notice(n, settings.privacy_mention.as_ref());
    let ts = SlackClient::for_app(app)
        .post_message(&bot.token, &channel, &message.text, Some(message.blocks))
        .await?;
    Ok(Sent { channel, ts })
}
