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
//!
//! [`SlackSim::persisted`] keeps workspaces, tokens, users, conversations and messages in a file (the demo's), saved
//! before any answer that shows a change leaves (see [`super::persist`]).

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

use std::{
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::{
    Router, middleware,
    routing::{get, post},
};

use super::persist::{self, Durable, Persister, SaveError};
pub use blocks::validate as validate_blocks;
pub use faults::{Faults, WEBHOOK_METHOD};
pub use model::{Bot, Conversation, ConversationKind, Message, MessageSource, Team, User, Webhook};
use state::{State, random_secret};

/// The Slack simulator. Cheap to clone; clones share the same workspaces and messages.
#[derive(Clone, Default)]
pub struct SlackSim {
    state: Arc<Mutex<State>>,
    persist: Option<Arc<Persister>>,
}

/// The simulator's HTTP routes (see the module docs), to be served at the root or nested under a prefix.
pub fn router(sim: SlackSim) -> Router {
    Router::new()
        .route("/api/{method}", post(api::call))
        .route("/services/{team}/{bot}/{secret}", post(webhooks::post))
        .route("/inbox", get(inbox::index))
        .route("/inbox/{user_id}", get(inbox::user))
        .layer(middleware::from_fn_with_state(
            sim.clone(),
            persist::durable::<SlackSim>,
        ))
        .with_state(sim)
}

impl Durable for SlackSim {
    fn flush(&self) -> Result<(), SaveError> {
        match &self.persist {
            Some(p) => p.flush(&self.state),
            None => Ok(()),
        }
    }
}

impl SlackSim {
    /// An empty simulator: no workspace yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A simulator restored from `path` (empty when the file does not exist yet) that saves every change there.
    pub fn persisted(path: PathBuf) -> anyhow::Result<Self> {
        let state = persist::load(&path)?.unwrap_or_default();
        Ok(Self {
            state: Arc::new(Mutex::new(state)),
            persist: Some(Arc::new(Persister::new(path))),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("slack simulator state poisoned")
    }

    /// Record a change (made under the lock, which may still be held); the answer's middleware saves it.
    fn mark_changed(&self) {
        if let Some(p) = &self.persist {
            p.mark();
        }
    }

    /// Record a change and, when persisted, return once it is on disk (a failure is logged). Not under the lock.
    fn changed(&self) {
        let Some(p) = &self.persist else {
            return;
        };
        p.mark();
        if let Err(e) = p.flush(&self.state) {
            tracing::error!(error = %e, cause = ?std::error::Error::source(&e), "slack simulator state not saved");
        }
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
        drop(state);
        self.changed();
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
        drop(state);
        self.changed();
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
        drop(state);
        self.changed();
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
        drop(state);
        self.changed();
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
        drop(state);
        self.changed();
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
        self.changed();
    }

    /// Every bot (installed app) with its token, all workspaces.
    pub fn bots(&self) -> Vec<Bot> {
        self.lock().bots.clone()
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
