//! Misbehaviour on demand: rate limits (HTTP 429 with `Retry-After`), a workspace-wide `invalid_auth`, revoked,
//! expired and deactivated tokens, scopes taken from a token (`missing_scope`), channels the bot may not post in
//! (`not_in_channel`) and revoked webhooks. All switchable while the simulator serves, from Rust or as JSON over
//! `/_sandbox/faults`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::SlackSim;
use crate::fault_units;

/// Method name under which incoming-webhook posts are counted and rate limited.
pub const WEBHOOK_METHOD: &str = "incoming-webhook";

/// The faults currently switched on. Reads and writes as JSON for `/_sandbox/faults`; missing fields are off.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Calls still to be rejected with 429, whatever the method.
    pub rate_limited_calls: u32,
    /// `Retry-After` seconds for those calls.
    #[serde(deserialize_with = "fault_units::retry_after")]
    pub retry_after_secs: u64,
    /// Methods rejected with 429 until cleared, with their `Retry-After` seconds.
    #[serde(deserialize_with = "fault_units::retry_after_map")]
    pub rate_limited_methods: BTreeMap<String, u64>,
    /// Every token answers `invalid_auth`.
    pub invalid_auth: bool,
    /// Tokens answering `token_revoked`.
    pub revoked_tokens: BTreeSet<String>,
    /// Tokens answering `token_expired` (token rotation on, the access token's 12 hours over).
    pub expired_tokens: BTreeSet<String>,
    /// Tokens answering `account_inactive` (the bot user or its workspace was deactivated).
    pub inactive_tokens: BTreeSet<String>,
    /// Scopes taken away from a token: methods needing one answer `missing_scope`.
    pub removed_scopes: BTreeMap<String, BTreeSet<String>>,
    /// Channels where `chat.postMessage` answers `not_in_channel` (the bot was never invited and lacks
    /// `chat:write.public`).
    pub bot_not_in: BTreeSet<String>,
    /// Webhook paths answering 403 `invalid_token`.
    pub revoked_webhooks: BTreeSet<String>,
}

impl Faults {
    /// Whether a call to `method` is rate limited now, and for how many seconds; consumes one of the
    /// "next N calls" if any are left.
    pub fn take_rate_limit(&mut self, method: &str) -> Option<u64> {
        if self.rate_limited_calls > 0 {
            self.rate_limited_calls -= 1;
            return Some(self.retry_after_secs);
        }
        self.rate_limited_methods.get(method).copied()
    }
}

impl SlackSim {
    /// Answer the next `calls` calls (any Web API method or webhook) with HTTP 429 and
    /// `Retry-After: retry_after_secs`, as Slack does when an app goes over its rate limit.
    pub fn rate_limit_next(&self, calls: u32, retry_after_secs: u64) {
        let mut state = self.lock();
        state.faults.rate_limited_calls = calls;
        state.faults.retry_after_secs = retry_after_secs;
    }

    /// Answer every call to `method` (e.g. `chat.postMessage`, or [`WEBHOOK_METHOD`]) with HTTP 429 and
    /// `Retry-After: retry_after_secs` until [`SlackSim::clear_rate_limits`].
    pub fn rate_limit_method(&self, method: &str, retry_after_secs: u64) {
        self.lock()
            .faults
            .rate_limited_methods
            .insert(method.to_owned(), retry_after_secs);
    }

    /// Lift every rate limit.
    pub fn clear_rate_limits(&self) {
        let mut state = self.lock();
        state.faults.rate_limited_calls = 0;
        state.faults.rate_limited_methods.clear();
    }

    /// While `on`, every token is refused with `invalid_auth` (as after the app is uninstalled).
    pub fn set_invalid_auth(&self, on: bool) {
        self.lock().faults.invalid_auth = on;
    }

    /// Revoke a bot token: from now on Slack answers `token_revoked` for it.
    pub fn revoke_token(&self, token: &str) {
        self.lock().faults.revoked_tokens.insert(token.to_owned());
    }

    /// Let a token expire: from now on Slack answers `token_expired` for it (apps with token rotation).
    pub fn expire_token(&self, token: &str) {
        self.lock().faults.expired_tokens.insert(token.to_owned());
    }

    /// Deactivate a token's bot user: from now on Slack answers `account_inactive` for it.
    pub fn deactivate_token(&self, token: &str) {
        self.lock().faults.inactive_tokens.insert(token.to_owned());
    }

    /// Take `scope` (e.g. `users:read.email`) away from a token: methods that need it answer `missing_scope` with
    /// `needed` and `provided`, as Slack does for an app installed without that scope.
    pub fn remove_scope(&self, token: &str, scope: &str) {
        let mut state = self.lock();
        let removed = state.faults.removed_scopes.entry(token.to_owned());
        removed.or_default().insert(scope.to_owned());
    }

    /// From now on `chat.postMessage` into `channel_id` answers `not_in_channel`, as for a channel the bot was
    /// never invited to (without the `chat:write.public` scope).
    pub fn keep_bot_out_of(&self, channel_id: &str) {
        self.lock().faults.bot_not_in.insert(channel_id.to_owned());
    }

    /// Revoke an incoming webhook (by its [`super::Webhook::path`]): posts get 403 `invalid_token`.
    pub fn revoke_webhook(&self, path: &str) {
        self.lock().faults.revoked_webhooks.insert(path.to_owned());
    }

    /// Switch every fault off: rate limits, `invalid_auth`, revoked, expired and deactivated tokens, removed scopes,
    /// channels closed to the bot, revoked webhooks.
    pub fn clear_faults(&self) {
        self.lock().faults = Faults::default();
    }

    /// The faults switched on now.
    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Switch exactly `faults` on (everything else off).
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }
}
