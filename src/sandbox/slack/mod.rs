//! Slack simulator: Web API methods, incoming webhooks and a per-user inbox page.
//!
//! [`SlackSim`] holds workspaces, bot tokens, users, channels, DMs and every message posted. Tests and the demo
//! set it up with plain methods and read messages back; [`router`] serves, relative to where it is mounted:
//!
//! - `POST /api/{method}`: the Web API (`auth.test`, `users.lookupByEmail`, `conversations.open`,
//!   `chat.postMessage`) with Slack's authentication, error codes and rate-limit answers; point the app's Slack
//!   API base URL at `{mount}/api/`.
//! - `POST /services/{team}/{bot}/{secret}`: incoming webhooks.
//! - `GET /inbox` and `GET /inbox/{user_id}`: what each user received, rendered like Slack.

mod api;
mod blocks;
mod faults;
mod inbox;
mod model;
mod mrkdwn;
mod request;
mod state;
mod view;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::{
    Router,
    routing::{get, post},
};

pub use blocks::validate as validate_blocks;
pub use faults::WEBHOOK_METHOD;
pub use model::{Bot, Conversation, ConversationKind, Message, MessageSource, Team, User, Webhook};
use state::{State, random_secret};

/// The Slack simulator. Cheap to clone; clones share the same workspaces and messages.
#[derive(Clone, Default)]
pub struct SlackSim {
    state: Arc<Mutex<State>>,
}

/// The simulator's HTTP routes (see the module docs), to be served at the root or nested under a prefix.
pub fn router(sim: SlackSim) -> Router {
    Router::new()
        .route("/api/{method}", post(api::call))
        .route("/services/{team}/{bot}/{secret}", post(webhooks::post))
        .route("/inbox", get(inbox::index))
        .route("/inbox/{user_id}", get(inbox::user))
        .with_state(sim)
}

impl SlackSim {
    /// An empty simulator: no workspace yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("slack simulator state poisoned")
    }

    /// Create a workspace named `name`; its domain is the name in lower case with other characters as `-`.
    pub fn add_team(&self, name: &str) -> Team {
        let mut state = self.lock();
        let domain: String = name
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let team = Team {
            id: state.new_id('T'),
            name: name.to_owned(),
            domain,
        };
        state.teams.push(team.clone());
        team
    }

    /// Install an app named `name` in the workspace: a bot user and its `xoxb-` token.
    ///
    /// # Panics
    /// If `team_id` is not a workspace of this simulator.
    pub fn add_bot(&self, team_id: &str, name: &str) -> Bot {
        let mut state = self.lock();
        assert!(state.team(team_id).is_some(), "unknown team {team_id}");
        let mut rng = rand::rng();
        let token = format!(
            "xoxb-{}-{}-{}",
            rand::Rng::random_range(&mut rng, 1_000_000_000_000u64..10_000_000_000_000),
            rand::Rng::random_range(&mut rng, 1_000_000_000_000u64..10_000_000_000_000),
            random_secret(24)
        );
        let bot = Bot {
            token,
            team_id: team_id.to_owned(),
            bot_id: state.new_id('B'),
            user_id: state.new_id('U'),
            app_id: state.new_id('A'),
            name: name.to_owned(),
        };
        state.bots.push(bot.clone());
        bot
    }

    /// Add a person to the workspace.
    ///
    /// # Panics
    /// If `team_id` is not a workspace of this simulator.
    pub fn add_user(&self, team_id: &str, name: &str, real_name: &str, email: &str) -> User {
        let mut state = self.lock();
        assert!(state.team(team_id).is_some(), "unknown team {team_id}");
        let user = User {
            id: state.new_id('U'),
            team_id: team_id.to_owned(),
            name: name.to_owned(),
            real_name: real_name.to_owned(),
            email: email.to_owned(),
        };
        state.users.push(user.clone());
        user
    }

    /// Create a public channel (`name` without `#`); every user of the workspace sees its messages.
    ///
    /// # Panics
    /// If `team_id` is not a workspace of this simulator.
    pub fn add_channel(&self, team_id: &str, name: &str) -> Conversation {
        let mut state = self.lock();
        assert!(state.team(team_id).is_some(), "unknown team {team_id}");
        let channel = Conversation {
            id: state.new_id('C'),
            team_id: team_id.to_owned(),
            kind: ConversationKind::Channel,
            name: name.trim_start_matches('#').to_owned(),
            members: Vec::new(),
        };
        state.conversations.push(channel.clone());
        channel
    }

    /// Create an incoming webhook posting into `channel_id` as `name`.
    ///
    /// # Panics
    /// If `channel_id` is not a conversation of this simulator.
    pub fn add_webhook(&self, channel_id: &str, name: &str) -> Webhook {
        let mut state = self.lock();
        let team_id = match state.conversation(channel_id) {
            Some(c) => c.team_id.clone(),
            None => panic!("unknown channel {channel_id}"),
        };
        let bot_id = state.new_id('B');
        let secret = random_secret(24);
        let webhook = Webhook {
            path: format!("/services/{team_id}/{bot_id}/{secret}"),
            team_id,
            bot_id,
            channel_id: channel_id.to_owned(),
            name: name.to_owned(),
        };
        state.webhooks.push((webhook.clone(), secret));
        webhook
    }

    /// Every workspace.
    pub fn teams(&self) -> Vec<Team> {
        self.lock().teams.clone()
    }

    /// Every person, all workspaces.
    pub fn users(&self) -> Vec<User> {
        self.lock().users.clone()
    }

    /// Every channel, DM and group DM, in creation order.
    pub fn conversations(&self) -> Vec<Conversation> {
        self.lock().conversations.clone()
    }

    /// The id of the DM some bot opened with `user_id` (the first one, if several bots did).
    pub fn dm_channel(&self, user_id: &str) -> Option<String> {
        self.lock()
            .conversations
            .iter()
            .find(|c| c.kind == ConversationKind::Im && c.members.iter().any(|m| m == user_id))
            .map(|c| c.id.clone())
    }

    /// Every message posted, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.lock().messages.clone()
    }

    /// Messages posted in one conversation, oldest first.
    pub fn messages_in(&self, channel_id: &str) -> Vec<Message> {
        let state = self.lock();
        let msgs = state.messages.iter().filter(|m| m.channel == channel_id);
        msgs.cloned().collect()
    }

    /// What `user_id` received, newest first: messages in its DMs and group DMs and in its workspace's
    /// channels. Empty for an unknown user.
    pub fn inbox(&self, user_id: &str) -> Vec<Message> {
        self.lock().inbox(user_id)
    }

    /// Forget every message (workspaces, users and conversations stay).
    pub fn clear_messages(&self) {
        self.lock().messages.clear();
    }

    /// Names of the Web API methods called so far, in order, including rejected calls (webhook posts are
    /// [`WEBHOOK_METHOD`]); unknown methods are not counted.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    /// How many times `method` was called, including rejected calls.
    pub fn call_count(&self, method: &str) -> usize {
        self.lock().calls.iter().filter(|m| *m == method).count()
    }
}
