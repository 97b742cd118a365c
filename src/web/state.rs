//! What HTTP handlers share: the workflow's context (and through it the service's parts) and both front doors,
//! whose extractors authenticate each call.

use std::ops::Deref;

use axum::extract::FromRef;

use crate::{
    host::{connect::Connect, forge::Forge},
    requests::Context,
};

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The workflow's context: configuration, store, HTTP client, metrics, Jira clients, caches.
    pub ctx: Context,
    /// The Atlassian Connect host adapter.
    pub connect: Connect,
    /// The Forge Remote host adapter.
    pub forge: Forge,
}

impl Deref for AppState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.ctx
    }
}

impl FromRef<AppState> for Connect {
    fn from_ref(state: &AppState) -> Self {
        state.connect.clone()
    }
}

impl FromRef<AppState> for Forge {
    fn from_ref(state: &AppState) -> Self {
        state.forge.clone()
    }
}
