//! The inbox pages: `GET /inbox` lists every user, `GET /inbox/{user_id}` shows what one user received, newest
//! first, with Block Kit rendered readably (template `sandbox/slack_inbox.html`).

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};

use super::{
    SlackSim,
    model::{ConversationKind, User},
    view::{MessageView, message_view},
};

/// A user in the list.
#[derive(Clone)]
struct UserRow {
    id: String,
    real_name: String,
    name: String,
    email: String,
    team: String,
    received: usize,
}

struct InboxView {
    user: UserRow,
    messages: Vec<MessageView>,
}

#[derive(Template)]
#[template(path = "sandbox/slack_inbox.html")]
struct InboxPage {
    title: String,
    /// Relative path from this page to `/inbox/{id}` pages.
    link_prefix: &'static str,
    /// Relative path from this page to `/inbox`.
    index_link: &'static str,
    users: Vec<UserRow>,
    inbox: Option<InboxView>,
}

/// `GET /inbox`.
pub(super) async fn index(State(sim): State<SlackSim>) -> Response {
    let users = user_rows(&sim);
    render(&InboxPage {
        title: "Slack sandbox: inboxes".into(),
        link_prefix: "inbox/",
        index_link: "inbox",
        users,
        inbox: None,
    })
}

/// `GET /inbox/{user_id}`.
pub(super) async fn user(State(sim): State<SlackSim>, Path(user_id): Path<String>) -> Response {
    let users = user_rows(&sim);
    let Some(pos) = users.iter().position(|u| u.id == user_id) else {
        return (StatusCode::NOT_FOUND, "user_not_found").into_response();
    };
    let (names, places) = directory(&sim);
    let messages = sim.inbox(&user_id);
    let messages = messages
        .iter()
        .map(|m| message_view(m, &names, &places))
        .collect();
    let user = users[pos].clone();
    render(&InboxPage {
        title: format!("Slack sandbox: {}", user.real_name),
        link_prefix: "",
        index_link: "../inbox",
        users,
        inbox: Some(InboxView { user, messages }),
    })
}

fn render(page: &InboxPage) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("rendering inbox: {e}"),
        )
            .into_response(),
    }
}

fn user_rows(sim: &SlackSim) -> Vec<UserRow> {
    let teams: HashMap<String, String> = sim.teams().into_iter().map(|t| (t.id, t.name)).collect();
    let to_row = |u: User| UserRow {
        received: sim.inbox(&u.id).len(),
        team: teams.get(&u.team_id).cloned().unwrap_or_default(),
        id: u.id,
        real_name: u.real_name,
        name: u.name,
        email: u.email,
    };
    sim.users().into_iter().map(to_row).collect()
}

/// Names of users, bot users and channels by id (for mentions), and each conversation's label.
fn directory(sim: &SlackSim) -> (HashMap<String, String>, HashMap<String, String>) {
    let state = sim.lock();
    let mut names: HashMap<String, String> = HashMap::new();
    for u in &state.users {
        names.insert(u.id.clone(), u.real_name.clone());
    }
    for b in &state.bots {
        names.insert(b.user_id.clone(), b.name.clone());
    }
    let mut places = HashMap::new();
    for c in &state.conversations {
        let label = match c.kind {
            ConversationKind::Channel => {
                names.insert(c.id.clone(), c.name.clone());
                format!("#{}", c.name)
            }
            ConversationKind::Im => "Direct message".to_owned(),
            ConversationKind::Mpim => "Group message".to_owned(),
        };
        places.insert(c.id.clone(), label);
    }
    (names, places)
}
