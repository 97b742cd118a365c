//! The installed Forge app's UI modules on the site's pages, where Jira puts them: the issue panel beside an issue,
//! the admin page under Apps in Jira's settings (`/jira/settings/apps/{appId}/{envId}`) and the global page under
//! Apps in the top bar (`/jira/apps/{appId}/{envId}`). Each is an iframe of the module's Custom UI resource (served
//! by `forge_ui.rs`), told by its query who is looking, at which issue, from which module.

use super::{
    JiraSim,
    forge_manifest::UiModule,
    model::Issue,
    view::{Viewer, app_frame_page},
};
use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};

pub(super) fn router() -> Router<JiraSim> {
    Router::new()
        .route("/jira/apps/{app}/{env}", get(global_page))
        .route("/jira/settings/apps/{app}/{env}", get(admin_page))
}

impl JiraSim {
    /// `{appUuid}/{envUuid}`, as the page URLs carry them.
    fn forge_page_ids(&self) -> String {
        format!(
            "{}/{}",
            self.forge_app_uuid(),
            self.inner.options.forge_environment_uuid
        )
    }

    /// The iframe URL of `module` for `viewer` (on `issue`, for the issue panel).
    pub(super) fn forge_ui_url(
        &self,
        module: &UiModule,
        viewer: &str,
        issue: Option<&Issue>,
    ) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("as", viewer)
            .append_pair("moduleKey", &module.key)
            .append_pair("moduleType", &module.module_type);
        if let Some(i) = issue {
            q.append_pair("issueId", &i.id.to_string())
                .append_pair("issueKey", &i.key)
                .append_pair("projectKey", &i.project);
        }
        format!(
            "{}/_sandbox/forge/ui/{}/index.html?{}",
            self.base_url(),
            module.resource,
            q.finish()
        )
    }

    /// Path of the installed Forge app's admin page for `viewer`, if it has one.
    pub fn forge_admin_link(&self, viewer: &str) -> Option<String> {
        self.forge_modules()?.admin_page?;
        Some(format!(
            "/jira/settings/apps/{}?as={viewer}",
            self.forge_page_ids()
        ))
    }

    /// The installed Forge app's global page as a top-bar link for `viewer` (`Apps › title`, path), if it has one.
    pub fn forge_global_link(&self, viewer: &str) -> Option<(String, String)> {
        let page = self.forge_modules()?.global_page?;
        Some((
            format!("Apps › {}", page.title),
            format!("/jira/apps/{}?as={viewer}", self.forge_page_ids()),
        ))
    }
}

async fn global_page(
    State(sim): State<JiraSim>,
    Path((app, env)): Path<(String, String)>,
    Query(v): Query<Viewer>,
) -> Response {
    page(&sim, &app, &env, v, |m| m.global_page)
}

async fn admin_page(
    State(sim): State<JiraSim>,
    Path((app, env)): Path<(String, String)>,
    Query(v): Query<Viewer>,
) -> Response {
    page(&sim, &app, &env, v, |m| m.admin_page)
}

fn page(
    sim: &JiraSim,
    app: &str,
    env: &str,
    v: Viewer,
    pick: impl FnOnce(super::ForgeModules) -> Option<UiModule>,
) -> Response {
    let module = (format!("{app}/{env}") == sim.forge_page_ids())
        .then(|| sim.forge_modules().and_then(pick))
        .flatten();
    let Some(module) = module else {
        return (StatusCode::NOT_FOUND, "No such app page").into_response();
    };
    let c = sim.chrome(v.viewer);
    let src = sim.forge_ui_url(&module, &c.viewer, None);
    app_frame_page(c, module.title, Some(src))
}
