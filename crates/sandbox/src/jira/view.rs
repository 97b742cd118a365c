//! The site as a person sees it: an issue list, an issue page hosting the app's panel iframe (URL built as Jira
//! builds it, with a qsh-bearing JWT for the viewing user), the app's admin and general pages (linked in the top
//! bar), a user switcher, and the sandbox `AP` bridge (`/_sandbox/all.js` in the iframe, context tokens minted by the
//! host page). A Forge-installed app's modules take the Connect app's places (see `forge_pages.rs`). A viewer sees
//! only the issues issue security lets them see.

use askama::Template;
use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{JiraSim, model, people, rest_attachments};

const ALL_JS: &str = include_str!("../../static/all.js");

pub(super) fn router() -> Router<JiraSim> {
    Router::new()
        .route("/", get(index))
        .route("/browse/{key}", get(issue_page))
        .route("/plugins/servlet/ac/{app}/{module}", get(app_page))
        .route("/_sandbox/all.js", get(all_js))
        .route("/_sandbox/context-token", post(context_token))
        .merge(rest_attachments::media_router())
}

#[derive(Deserialize, Default)]
pub(super) struct Viewer {
    #[serde(rename = "as", default)]
    pub(super) viewer: Option<String>,
}

/// What every page shows around its content: who is looking, the people to switch to, the top bar's links and the
/// site's note (`SimOptions::site_note`).
pub(super) struct Chrome {
    pub(super) viewer: String,
    users: Vec<(String, String)>,
    admin_url: Option<String>,
    links: Vec<(String, String)>,
    note: Option<String>,
}

impl JiraSim {
    pub(super) fn chrome(&self, viewer: Option<String>) -> Chrome {
        let s = self.state();
        let users: Vec<(String, String)> = s
            .users
            .values()
            .map(|u| (u.account_id.clone(), u.display_name.clone()))
            .collect();
        let viewer = viewer
            .filter(|v| s.users.contains_key(v))
            .unwrap_or_else(|| people::REQUESTER.to_owned());
        let admin_url = s.app.as_ref().and_then(|a| {
            let (module, _) = a.module("adminPages")?;
            Some(format!(
                "/plugins/servlet/ac/{}/{module}?as={viewer}",
                a.key
            ))
        });
        // The app's general pages (Jira lists them under Apps in the top bar), then the sandbox's own links.
        let mut links: Vec<(String, String)> = s
            .app
            .as_ref()
            .and_then(|a| {
                let pages = a.descriptor["modules"]["generalPages"].as_array()?;
                Some(
                    pages
                        .iter()
                        .filter_map(|m| {
                            let name = m["name"]["value"].as_str()?;
                            let module = m["key"].as_str()?;
                            Some((
                                format!("Apps › {name}"),
                                format!("/plugins/servlet/ac/{}/{module}?as={viewer}", a.key),
                            ))
                        })
                        .collect(),
                )
            })
            .unwrap_or_default();
        drop(s);
        // A Forge-installed app's pages, when no Connect app has them.
        let admin_url = admin_url.or_else(|| self.forge_admin_link(&viewer));
        if links.is_empty() {
            links.extend(self.forge_global_link(&viewer));
        }
        links.extend(self.inner.options.links.iter().cloned());
        Chrome {
            viewer,
            users,
            admin_url,
            links,
            note: self.inner.options.site_note.clone(),
        }
    }

    /// The iframe URL Jira would load for a module URL from the descriptor: context parameters substituted, the
    /// standard parameters added, and a JWT (HS256, sub = viewer) whose qsh covers the whole URL.
    pub fn iframe_url(
        &self,
        module_url: &str,
        viewer: &str,
        issue: Option<&model::Issue>,
    ) -> Option<String> {
        let s = self.state();
        let app = s.app.as_ref().filter(|a| a.enabled)?;
        let mut url = module_url.to_owned();
        if let Some(i) = issue {
            url = url
                .replace("{issue.key}", &i.key)
                .replace("{issue.id}", &i.id.to_string())
                .replace("{project.key}", &i.project);
        }
        let mut extra = form_urlencoded::Serializer::new(String::new());
        extra
            .append_pair("xdm_e", self.base_url())
            .append_pair("xdm_c", "channel-clearance")
            .append_pair("cp", "")
            .append_pair("xdm_deprecated_addon_key_do_not_use", &app.key)
            .append_pair("lic", "none")
            .append_pair("cv", "1001.0.0-SNAPSHOT")
            .append_pair("tz", "UTC")
            .append_pair("loc", "en-US");
        let sep = if url.contains('?') { '&' } else { '?' };
        let full = format!("{}{url}{sep}{}", app.base_url, extra.finish());
        drop(s);
        let token = self.sign_app_request("GET", &full, Some(viewer))?;
        Some(format!("{full}&jwt={token}"))
    }
}

pub(super) fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("template error: {e}"),
        )
            .into_response(),
    }
}

struct Row {
    key: String,
    summary: String,
    labels: Vec<String>,
    status: String,
    reporter: String,
}

#[derive(Template)]
#[template(path = "sandbox/jira_index.html")]
struct IndexPage {
    viewer: String,
    users: Vec<(String, String)>,
    admin_url: Option<String>,
    links: Vec<(String, String)>,
    note: Option<String>,
    issues: Vec<Row>,
    app_key: Option<String>,
}

async fn index(State(sim): State<JiraSim>, Query(v): Query<Viewer>) -> Response {
    let c = sim.chrome(v.viewer);
    let (issues, app_key) = {
        let s = sim.state();
        let name = |id: &str| {
            s.users
                .get(id)
                .map_or_else(|| id.to_owned(), |u| u.display_name.clone())
        };
        let rows = s
            .issues
            .values()
            .rev()
            .filter(|i| s.can_see(&c.viewer, i))
            .map(|i| Row {
                key: i.key.clone(),
                summary: i.summary.clone(),
                labels: i.labels.clone(),
                status: i.status.clone(),
                reporter: name(&i.reporter),
            });
        let forge = s
            .forge
            .installed
            .as_ref()
            .map(|_| "Clearance (Forge app)".to_owned());
        (
            rows.collect(),
            s.app.as_ref().map(|a| a.key.clone()).or(forge),
        )
    };
    render(&IndexPage {
        viewer: c.viewer,
        users: c.users,
        admin_url: c.admin_url,
        links: c.links,
        note: c.note,
        issues,
        app_key,
    })
}

#[derive(Template)]
#[template(path = "sandbox/jira_issue.html")]
struct IssuePage {
    viewer: String,
    users: Vec<(String, String)>,
    admin_url: Option<String>,
    links: Vec<(String, String)>,
    note: Option<String>,
    key: String,
    project: String,
    summary: String,
    description: Vec<String>,
    status: String,
    reporter: String,
    labels: Vec<String>,
    attachments: Vec<(String, String, usize)>,
    comments: Vec<(String, String, Vec<String>)>,
    panel_name: String,
    panel_src: Option<String>,
    viewer_json: String,
    context_json: String,
}

fn paragraphs(doc: &Value) -> Vec<String> {
    model::adf_plain(doc)
        .split("\n\n")
        .map(str::to_owned)
        .filter(|p| !p.is_empty())
        .collect()
}

async fn issue_page(
    State(sim): State<JiraSim>,
    Path(key): Path<String>,
    Query(v): Query<Viewer>,
) -> Response {
    let c = sim.chrome(v.viewer);
    let Some(issue) = sim.issue_seen_by(&c.viewer, &key) else {
        return (StatusCode::NOT_FOUND, "Issue does not exist").into_response();
    };
    let (attachments, comments, reporter, panel) = {
        let s = sim.state();
        let name = |id: &str| {
            s.users.get(id).map_or_else(
                || sim.inner.options.app_user_name.clone(),
                |u| u.display_name.clone(),
            )
        };
        let attachments = issue
            .attachment_ids
            .iter()
            .filter_map(|id| s.attachments.get(id))
            .map(|a| {
                (
                    a.filename.clone(),
                    // A signed-in person's browser downloads through Jira's media service; the sandbox has no
                    // sessions, so the page links to the media URL itself (the REST route wants the app's JWT).
                    format!("/_media/{}/{}", a.id, rest_attachments::media_token(a)),
                    a.content.len(),
                )
            })
            .collect();
        let comments = issue
            .comments
            .iter()
            .map(|c| {
                (
                    name(&c.author),
                    model::jira_time(c.created),
                    paragraphs(&c.body),
                )
            })
            .collect();
        let panel = s.app.as_ref().and_then(|a| {
            a.descriptor["modules"]["webPanels"]
                .as_array()?
                .first()
                .cloned()
        });
        (attachments, comments, name(&issue.reporter), panel)
    };
    let mut panel_name = panel
        .as_ref()
        .and_then(|p| p["name"]["value"].as_str())
        .unwrap_or("App")
        .to_owned();
    let mut panel_src = panel
        .as_ref()
        .and_then(|p| p["url"].as_str())
        .and_then(|u| sim.iframe_url(u, &c.viewer, Some(&issue)));
    // No Connect panel: the Forge app's issue panel, if it is installed with one.
    if panel.is_none()
        && let Some(m) = sim.forge_modules().and_then(|m| m.issue_panel)
    {
        panel_src = Some(sim.forge_ui_url(&m, &c.viewer, Some(&issue)));
        panel_name = m.title;
    }
    let context = super::signing::issue_context(&issue);
    render(&IssuePage {
        viewer_json: json!(c.viewer).to_string(),
        context_json: context.to_string(),
        viewer: c.viewer,
        users: c.users,
        admin_url: c.admin_url,
        links: c.links,
        note: c.note,
        project: issue.project.clone(),
        summary: issue.summary.clone(),
        description: paragraphs(&issue.description),
        status: issue.status.clone(),
        labels: issue.labels.clone(),
        key: issue.key,
        reporter,
        attachments,
        comments,
        panel_name,
        panel_src,
    })
}

/// A page of the app (admin or general page) around its iframe.
#[derive(Template)]
#[template(path = "sandbox/jira_page.html")]
struct AppPage {
    viewer: String,
    users: Vec<(String, String)>,
    admin_url: Option<String>,
    links: Vec<(String, String)>,
    note: Option<String>,
    panel_name: String,
    panel_src: Option<String>,
    viewer_json: String,
    context_json: String,
}

/// An app page titled `name` around the iframe `src` for the viewer in `c`.
pub(super) fn app_frame_page(c: Chrome, name: String, src: Option<String>) -> Response {
    render(&AppPage {
        viewer_json: json!(c.viewer).to_string(),
        context_json: json!({"jira": {}}).to_string(),
        viewer: c.viewer,
        users: c.users,
        admin_url: c.admin_url,
        links: c.links,
        note: c.note,
        panel_name: name,
        panel_src: src,
    })
}

async fn app_page(
    State(sim): State<JiraSim>,
    Path((app_key, module)): Path<(String, String)>,
    Query(v): Query<Viewer>,
) -> Response {
    let c = sim.chrome(v.viewer);
    let found = {
        let s = sim.state();
        s.app.as_ref().filter(|a| a.key == app_key).and_then(|a| {
            ["adminPages", "generalPages"].iter().find_map(|kind| {
                a.descriptor["modules"][kind]
                    .as_array()?
                    .iter()
                    .find(|m| m["key"] == module.as_str())
                    .cloned()
            })
        })
    };
    let Some(m) = found else {
        return (StatusCode::NOT_FOUND, "No such app page").into_response();
    };
    let panel_src = m["url"]
        .as_str()
        .and_then(|u| sim.iframe_url(u, &c.viewer, None));
    let name = m["name"]["value"].as_str().unwrap_or("App").to_owned();
    app_frame_page(c, name, panel_src)
}

async fn all_js() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        ALL_JS,
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenRequest {
    account_id: String,
    #[serde(default)]
    context: Value,
}

/// A context token for the host page's viewer, as the bridge asks for it. Jira mints one only on a page the viewer
/// sees, so a context naming an issue the viewer may not see (or one that does not exist) gets none.
async fn context_token(State(sim): State<JiraSim>, Json(req): Json<TokenRequest>) -> Response {
    if !sim.state().users.contains_key(&req.account_id) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unknown user"})),
        )
            .into_response();
    }
    let issue = &req.context["jira"]["issue"];
    let named = issue["id"].as_str().or_else(|| issue["key"].as_str());
    if !issue.is_null() && !named.is_some_and(|k| sim.can_see(&req.account_id, k)) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "Issue does not exist"})),
        )
            .into_response();
    }
    match sim.context_token(&req.account_id, req.context) {
        Some(token) => Json(json!({"token": token})).into_response(),
        None => (
            StatusCode::CONFLICT,
            Json(json!({"error": "app not installed or disabled"})),
        )
            .into_response(),
    }
}
