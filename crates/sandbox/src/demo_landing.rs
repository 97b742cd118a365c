//! The demo's landing page (`/_sandbox/demo` on the sandbox's origin): the two simulated Jira sites side by side —
//! the one that installed Clearance through Forge, as a new Jira site does today, and the one that installed it
//! through Atlassian Connect, as sites that already have the Connect app do — each with the links a newcomer
//! follows (the issues as each person, the dashboard, the admin page), and the Slack inbox.

use askama::Template;
use axum::{
    Router,
    http::StatusCode,
    response::{Html, IntoResponse},
    routing::get,
};

use super::jira::{JiraSim, people};

/// Where the landing page answers.
pub const LANDING_PATH: &str = "/_sandbox/demo";

/// One site's card: its name, what it shows, and its links (label, URL); or why it is not running.
pub struct SiteCard {
    /// `Forge site` / `Connect site`.
    pub name: &'static str,
    /// Which front door and who installs that way.
    pub about: &'static str,
    /// The links, when the site runs.
    pub links: Vec<(String, String)>,
    /// Why the site is not running (the Forge site without its bundle).
    pub unavailable: Option<String>,
}

/// Who to open the issue list as, and their role.
const PEOPLE: [(&str, &str); 4] = [
    (people::REQUESTER, "Riley Requester (files requests)"),
    (people::ANALYST, "Ana Analyst"),
    (people::PRIVACY_OFFICER, "Pia Privacy (privacy officer)"),
    (people::ADMIN, "Adam Admin"),
];

/// The Forge site's card.
pub fn forge_card(site: Result<&JiraSim, String>) -> SiteCard {
    let mut card = SiteCard {
        name: "Forge site",
        about: "Clearance installed through Forge: the manifest, the Custom UI bundle, invocation tokens, product \
                events and the app system token. This is how a new Jira site installs Clearance today.",
        links: Vec::new(),
        unavailable: None,
    };
    match site {
        Ok(sim) => {
            card.links = people_links(sim);
            let base = sim.base_url();
            if let Some((_, path)) = sim.forge_global_link(people::PRIVACY_OFFICER) {
                card.links
                    .push(("Dashboard, as Pia Privacy".into(), format!("{base}{path}")));
            }
            if let Some(path) = sim.forge_admin_link(people::ADMIN) {
                card.links
                    .push(("Admin page, as Adam Admin".into(), format!("{base}{path}")));
            }
        }
        Err(why) => card.unavailable = Some(why),
    }
    card
}

/// The Connect site's card, with the installed app's pages.
pub fn connect_card(sim: &JiraSim) -> SiteCard {
    let base = sim.base_url();
    let mut links = people_links(sim);
    let app_key = sim.state().app.as_ref().map(|a| a.key.clone());
    if let Some(app_key) = app_key {
        links.push((
            "Dashboard, as Pia Privacy".into(),
            format!(
                "{base}/plugins/servlet/ac/{app_key}/clearance-dashboard?as={}",
                people::PRIVACY_OFFICER
            ),
        ));
        links.push((
            "Admin page, as Adam Admin".into(),
            format!(
                "{base}/plugins/servlet/ac/{app_key}/clearance-admin?as={}",
                people::ADMIN
            ),
        ));
    }
    SiteCard {
        name: "Connect site",
        about: "Clearance installed through Atlassian Connect: the descriptor, the install handshake, JWTs and \
                webhooks. This is the path for sites that already have the Connect app.",
        links,
        unavailable: None,
    }
}

fn people_links(sim: &JiraSim) -> Vec<(String, String)> {
    PEOPLE
        .iter()
        .map(|(id, who)| {
            (
                format!("Issues, as {who}"),
                format!("{}/?as={id}", sim.base_url()),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "sandbox/demo_landing.html")]
struct Landing<'a> {
    sites: &'a [SiteCard],
    slack: &'a str,
}

/// The landing page's route: the Forge site (or why it is not running) first, then the Connect site, and the Slack
/// inbox at `slack`; the links are read from the sites on every request (they appear once the apps are installed).
pub fn router(forge: Result<JiraSim, String>, connect: JiraSim, slack: String) -> Router {
    let page = move || {
        let sites = [
            forge_card(forge.as_ref().map_err(Clone::clone)),
            connect_card(&connect),
        ];
        let html = Landing {
            sites: &sites,
            slack: &slack,
        }
        .render();
        async move {
            match html {
                Ok(html) => Html(html).into_response(),
                Err(e) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("template error: {e}"),
                )
                    .into_response(),
            }
        }
    };
    Router::new().route(LANDING_PATH, get(page))
}
