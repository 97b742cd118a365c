//! Slack: the Web API client, Block Kit messages (secret DMs and team notices), a tenant's settings (sealed bot
//! token, notice channel, privacy mention, secret in the DM or behind a link), the admin's Jira → Slack user mapping,
//! identity resolution, and what the delivery job calls: [`send_dm`], [`post_notice`], [`load_settings`].

pub mod block_kit;
mod client;
mod error;
pub mod identity;
mod ids;
pub mod mapping;
pub mod messages;
pub mod notices;
mod notify;
pub mod settings;

use error::AUTH_CODES;

pub use client::{AuthInfo, SlackClient};
pub use error::{AUTH_RETRY_AFTER, SlackError};
pub use ids::{BotToken, ChannelId, MessageTs, SlackUserId, UserGroupId};
pub use notify::{DeliveryError, Sent, load_settings, post_notice, send_dm, test_notice};
pub use settings::{SettingsError, SlackSettings};

#[cfg(test)]
mod snapshot_tests;
