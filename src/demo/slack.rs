//! The demo's Slack workspace: restored from `slack-workspace.json` in the data folder (so its bot token, users,
//! channel and messages survive a restart), completed with whatever is missing, and connected to the demo site.

use std::path::Path;

use anyhow::Context;

use crate::{
    app::AppState,
    slack::{
        BotToken, ChannelId,
        settings::{self as slack_settings, SettingsInput},
    },
};
use clearance_sandbox::{
    jira::JiraSim,
    slack::{Bot, Conversation, ConversationKind, SlackSim},
};

/// File in the data folder holding the workspace.
pub const FILE: &str = "slack-workspace.json";
const TEAM: &str = "Clearance Demo";
const BOT: &str = "clearance";
const CHANNEL: &str = "data-requests";

/// The workspace with the demo people (same emails as in Jira), a bot for Clearance and a notice channel: the saved
/// one, with anything missing added (a person added to Jira since, or everything on a first run).
pub fn workspace(dir: &Path, jira: &JiraSim) -> anyhow::Result<(SlackSim, Bot, Conversation)> {
    let slack = SlackSim::persisted(dir.join(FILE))?;
    let team = match slack.teams().into_iter().find(|t| t.name == TEAM) {
        Some(t) => t,
        None => slack.add_team(TEAM),
    };
    let bot = slack
        .bots()
        .into_iter()
        .find(|b| b.team_id == team.id && b.name == BOT);
    let bot = bot.unwrap_or_else(|| slack.add_bot(&team.id, BOT));
    let known: Vec<String> = slack
        .users()
        .into_iter()
        .filter(|u| u.team_id == team.id)
        .map(|u| u.email.to_ascii_lowercase())
        .collect();
    let people: Vec<_> = jira.state().users.values().cloned().collect();
    for u in people {
        if !known.contains(&u.email.to_ascii_lowercase()) {
            let handle = u.email.split('@').next().unwrap_or("user");
            slack.add_user(&team.id, handle, &u.display_name, &u.email);
        }
    }
    let channel = slack
        .conversations()
        .into_iter()
        .find(|c| c.team_id == team.id && c.kind == ConversationKind::Channel && c.name == CHANNEL);
    let channel = channel.unwrap_or_else(|| slack.add_channel(&team.id, CHANNEL));
    Ok((slack, bot, channel))
}

/// Connect the demo site to the workspace: its bot token and notice channel. Called before the job worker starts
/// when the site's tenant exists already, so no job runs with another token.
pub async fn connect(
    state: &AppState,
    tenant_id: &str,
    bot: &Bot,
    channel: &Conversation,
) -> anyhow::Result<()> {
    let input = SettingsInput {
        bot_token: Some(BotToken::parse(&bot.token).map_err(anyhow::Error::msg)?),
        channel: Some(ChannelId::parse(&channel.id)),
        ..SettingsInput::default()
    };
    slack_settings::save(state, tenant_id, "demo", input)
        .await
        .context("connecting the demo site to the simulated Slack workspace")?;
    Ok(())
}
