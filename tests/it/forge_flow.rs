//! One scenario, both front doors: a labelled ticket becomes a data request, the analyst plans and dry-runs it, the
//! privacy officer approves, the extraction is attached to the issue — once through Atlassian Connect (context JWTs,
//! webhooks, JWT-signed REST) and once through Forge Remote (the site installs the Forge app, which creates the
//! tenant; events arrive as Forge product events; the UI calls go through the simulator's `invokeRemote`; Jira is
//! called with the installation's system token under `/ex/jira/{cloudId}`). The scenario code is shared: only
//! [`Door`] knows which front door it is using.

use clearance_sandbox::{
    self as sandbox,
    jira::{ForgeRemote, InvokeSpec, JiraSim, SimKeys, SimOptions, people},
    warehouse::{self, DEFAULT_SEED},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    dry_run::plan,
    helpers::{Backend, Options, TestApp},
    on_each_backend,
    sandbox_jira::{site_and_app, wait_for_async},
};

on_each_backend!(
    through_connect,
    through_forge,
    forge_uninstall_reinstall_and_retried_events
);

/// How the UI reaches Clearance.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Door {
    Connect,
    Forge,
}

pub(crate) struct World {
    door: Door,
    pub(crate) sim: JiraSim,
    pub(crate) app: TestApp,
    _warehouse: tempfile::TempDir,
}

impl World {
    /// `method path` as `who` from the issue panel (with `issue`) or the admin page (without).
    pub(crate) async fn call(
        &self,
        who: &str,
        method: &str,
        path: &str,
        issue: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        match self.door {
            Door::Connect => {
                let resp = self.send(method, path, &self.connect_auth(who), body).await;
                (resp.status(), resp.json().await.unwrap_or(Value::Null))
            }
            Door::Forge => {
                let (module_key, module_type) = match issue {
                    Some(_) => ("clearance-panel", "jira:issueContext"),
                    None => ("clearance-admin", "jira:adminPage"),
                };
                let resp = self
                    .sim
                    .forge_invoke_remote(InvokeSpec {
                        module_key: module_key.into(),
                        module_type: module_type.into(),
                        principal: who.into(),
                        issue: issue.map(str::to_owned),
                        method: method.into(),
                        path: path.into(),
                        headers: Vec::new(),
                        body,
                    })
                    .await
                    .unwrap_or_else(|e| panic!("invokeRemote {method} {path}: {e}"));
                (
                    StatusCode::from_u16(resp.status).unwrap(),
                    resp.body.unwrap_or(Value::Null),
                )
            }
        }
    }

    /// A file from the admin page as the browser gets it: an attachment (Connect), or wrapped in JSON through
    /// `invokeRemote` (Forge, which carries JSON answers only).
    async fn download(&self, who: &str, path: &str) -> String {
        match self.door {
            Door::Connect => {
                let resp = self.send("GET", path, &self.connect_auth(who), None).await;
                assert_eq!(resp.status(), StatusCode::OK);
                assert!(
                    resp.headers()["content-disposition"]
                        .to_str()
                        .unwrap()
                        .starts_with("attachment")
                );
                resp.text().await.unwrap()
            }
            Door::Forge => {
                let resp = self
                    .sim
                    .forge_invoke_remote(InvokeSpec {
                        module_key: "clearance-admin".into(),
                        module_type: "jira:adminPage".into(),
                        principal: who.into(),
                        method: "GET".into(),
                        path: path.into(),
                        headers: vec![("Accept".into(), "application/json".into())],
                        ..InvokeSpec::default()
                    })
                    .await
                    .unwrap_or_else(|e| panic!("invokeRemote GET {path}: {e}"));
                assert_eq!(resp.status, 200);
                let body = resp.body.unwrap();
                assert!(
                    body["fileName"].as_str().unwrap().ends_with(".csv"),
                    "{body}"
                );
                body["content"].as_str().unwrap().to_owned()
            }
        }
    }

    /// `method path` straight to the app with `Authorization: Bearer <token>` (what Forge itself sends).
    async fn bearer(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> StatusCode {
        self.send(method, path, &format!("Bearer {token}"), body)
            .await
            .status()
    }

    /// A Connect context token for `who`, as the `Authorization` value.
    fn connect_auth(&self, who: &str) -> String {
        format!("JWT {}", self.sim.context_token(who, json!({})).unwrap())
    }

    /// `method path` straight to the app with `authorization` and an optional JSON body.
    async fn send(
        &self,
        method: &str,
        path: &str,
        authorization: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .app
            .http
            .request(m, self.app.url(path))
            .header("Authorization", authorization);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    /// The stored Forge installation of the site's tenant.
    async fn installation(&self, tenant_id: &str) -> clearance::store::ForgeInstallation {
        self.app
            .state
            .store
            .forge_installation(tenant_id)
            .await
            .unwrap()
            .unwrap()
    }

    async fn ok(
        &self,
        who: &str,
        method: &str,
        path: &str,
        issue: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let (status, v) = self.call(who, method, path, issue, body).await;
        assert_eq!(status, StatusCode::OK, "{method} {path} as {who}: {v}");
        v
    }
}

/// A site with Clearance installed through Connect.
async fn connect_world(backend: Backend) -> World {
    let (sim, app) = site_and_app(backend).await;
    World {
        door: Door::Connect,
        sim,
        app,
        _warehouse: tempfile::tempdir().unwrap(),
    }
}

/// A site with Clearance installed through Forge: no Connect install at all.
pub(crate) async fn forge_world(backend: Backend) -> World {
    forge_world_with(backend, |remote| remote).await
}

/// [`forge_world`] with the Forge app installed with `manifest(Clearance's remote and scopes)`.
pub(crate) async fn forge_world_with(
    backend: Backend,
    manifest: impl FnOnce(ForgeRemote) -> ForgeRemote,
) -> World {
    let options = SimOptions {
        forge_retry_delay: std::time::Duration::from_millis(100),
        forge_ui_dir: Some(std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/forge/static"
        ))),
        ..SimOptions::default()
    };
    let sim = sandbox::spawn_site(SimKeys::generate().unwrap(), options)
        .await
        .unwrap();
    sim.add_default_people();
    let host = url::Url::parse(sim.base_url())
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned();
    let app = TestApp::spawn_with(
        backend,
        Options {
            settings: vec![
                ("forge_app_id", sim.forge_app_id().to_owned()),
                ("forge_jwks_url", sim.forge_jwks_url()),
                ("forge_api_hosts", host),
                ("worker", "true".into()),
            ],
            ..Default::default()
        },
    )
    .await;
    sim.forge_install(manifest(ForgeRemote::at(&app.base_url)));
    let client_key = format!("forge:{}", sim.forge_cloud_id());
    wait_for_async(|| app.tenant(&client_key)).await;
    World {
        door: Door::Forge,
        sim,
        app,
        _warehouse: tempfile::tempdir().unwrap(),
    }
}

async fn through_connect(backend: Backend) {
    scenario(connect_world(backend).await).await;
}

async fn through_forge(backend: Backend) {
    scenario(forge_world(backend).await).await;
}

async fn scenario(mut w: World) {
    // The admin registers the warehouse for project DATA.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("warehouse.db").display());
    warehouse::generate(&url, 200, DEFAULT_SEED).await.unwrap();
    w._warehouse = dir;
    let source = json!({"kind": "sqlite", "url": url, "environment": "staging", "allowedProjects": ["DATA"]});
    w.ok(
        people::ADMIN,
        "PUT",
        "/api/admin/sources/warehouse",
        None,
        Some(source),
    )
    .await;

    // A labelled ticket becomes a request (webhook or Forge event → sync job → Jira read).
    let key = w.sim.create_issue(
        "DATA",
        "Customers for the spring campaign",
        "Names and e-mails of customers who agreed to marketing",
        &["data-request"],
        people::REQUESTER,
    );
    let id = w.sim.issue(&key).unwrap().id.to_string();
    let request = format!("/api/panel/requests/{id}");
    wait_for_async(|| async {
        let (status, v) = w
            .call(people::ANALYST, "GET", &request, Some(&key), None)
            .await;
        (status == StatusCode::OK).then_some(v)
    })
    .await;

    // Review, plan, dry run, approval, extraction — every command through the door.
    let commands = format!("{request}/commands");
    w.ok(
        people::ANALYST,
        "POST",
        &commands,
        Some(&key),
        Some(json!({"command": "claim"})),
    )
    .await;
    let sql = "SELECT id, first_name, email, country FROM customers WHERE id <= 50 ORDER BY id";
    let saved = w
        .ok(
            people::ANALYST,
            "POST",
            &commands,
            Some(&key),
            Some(json!({"command": "save_plan", "plan": plan(sql, json!({"email": "mask"}))})),
        )
        .await;
    let digest = saved["request"]["planDigest"].as_str().unwrap().to_owned();
    let dry = w
        .ok(
            people::ANALYST,
            "POST",
            &format!("{request}/dry-run"),
            Some(&key),
            None,
        )
        .await;
    assert!(
        dry["rows"].as_array().is_some_and(|r| !r.is_empty()),
        "{dry}"
    );
    w.ok(
        people::ANALYST,
        "POST",
        &commands,
        Some(&key),
        Some(json!({"command": "submit", "personal_data": true})),
    )
    .await;
    let (status, v) = w
        .call(
            people::REQUESTER,
            "POST",
            &commands,
            Some(&key),
            Some(json!({"command": "approve", "digest": digest})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the requester cannot approve: {v}"
    );
    w.ok(
        people::PRIVACY_OFFICER,
        "POST",
        &commands,
        Some(&key),
        Some(json!({"command": "approve", "digest": digest})),
    )
    .await;
    w.ok(
        people::ANALYST,
        "POST",
        &commands,
        Some(&key),
        Some(json!({"command": "extract"})),
    )
    .await;

    // The encrypted file lands on the issue.
    let attached = wait_for_async(|| async {
        let issue = w.sim.issue(&key)?;
        let s = w.sim.state();
        issue
            .attachment_ids
            .iter()
            .filter_map(|a| s.attachments.get(a))
            .find(|a| a.filename.ends_with(".zip.age"))
            .map(|a| (a.filename.clone(), a.content.len()))
    })
    .await;
    assert!(attached.0.starts_with(&key), "{attached:?}");
    assert!(attached.1 > 100, "{attached:?}");
    let (_, v) = w
        .call(people::ANALYST, "GET", &request, Some(&key), None)
        .await;
    assert_eq!(v["delivery"]["rows"], 50, "{v}");

    // The admin downloads the audit log: the request's steps are in it, whichever door. Jira holds the file a
    // moment before Clearance records the upload (the upload's answer comes first), so wait for the record.
    let steps = ["request.created", "request.approved", "request.uploaded"];
    wait_for_async(|| async {
        let audit = w
            .download(people::ADMIN, "/api/admin/audit/export?format=csv")
            .await;
        steps.iter().all(|s| audit.contains(s)).then_some(())
    })
    .await;

    // Each door used its own wire: Forge events and the gateway with bearer tokens, or webhooks and the site URL.
    let calls = w.sim.rest_calls();
    let upload = calls
        .iter()
        .find(|c| c.method == "POST" && c.path.contains(&format!("/issue/{id}/attachments")))
        .expect("the upload reached Jira");
    let through_gateway = upload
        .path
        .starts_with(clearance_sandbox::jira::GATEWAY_PREFIX);
    let events = w.sim.forge_deliveries();
    match w.door {
        Door::Forge => {
            assert!(through_gateway, "{}", upload.path);
            assert!(
                events.iter().any(|e| e.kind == "avi:jira:created:issue"),
                "{:?}",
                events.iter().map(|e| &e.kind).collect::<Vec<_>>()
            );
            assert!(
                w.sim.deliveries().is_empty(),
                "no Connect webhooks without a Connect install"
            );
        }
        Door::Connect => {
            assert!(!through_gateway, "{}", upload.path);
            assert!(events.is_empty());
        }
    }
    w.app.cleanup().await;
}

/// Pre-uninstall is a Connect uninstall (data kept, tokens refused); installing again brings the same tenant back
/// with a new installation id; a retried event is stored once.
async fn forge_uninstall_reinstall_and_retried_events(backend: Backend) {
    let w = forge_world(backend).await;
    let client_key = format!("forge:{}", w.sim.forge_cloud_id());
    let tenant = w.app.tenant(&client_key).await.unwrap().tenant;
    assert_eq!(
        tenant.display_url.as_str().trim_end_matches('/'),
        w.sim.base_url(),
        "links use the site's URL (from serverInfo), not the API gateway"
    );
    let first = w.sim.forge_installation_id();
    let key = w
        .sim
        .create_issue("DATA", "Churn", "", &["data-request"], people::REQUESTER);
    let id = w.sim.issue(&key).unwrap().id.to_string();
    let request = format!("/api/panel/requests/{id}");
    wait_for_async(|| async {
        let (status, _) = w
            .call(people::ANALYST, "GET", &request, Some(&key), None)
            .await;
        (status == StatusCode::OK).then_some(())
    })
    .await;

    // A retried event (same payload, with Forge's retryContext) is a duplicate.
    let events = w
        .app
        .state
        .store
        .webhook_event_count(&tenant.id)
        .await
        .unwrap();
    let fit = w
        .sim
        .forge_invocation_token(&clearance_sandbox::jira::FitSpec::endpoint(
            "clearance-jira-events",
        ));
    let payload = json!({"eventType": "avi:jira:updated:issue", "selfGenerated": false, "timestamp": 1,
                         "issue": {"id": id, "key": key, "fields": {"summary": "Churn"}}, "atlassianId": people::REQUESTER});
    let mut retried = payload.clone();
    retried["retryContext"] =
        json!({"retryData": null, "retryCount": 1, "retryReason": "TIMEOUT_ERROR"});
    for body in [json!({"payload": payload}), json!({"payload": retried})] {
        let status = w
            .bearer("POST", "/forge/events/jira", &fit, Some(body))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(
        w.app
            .state
            .store
            .webhook_event_count(&tenant.id)
            .await
            .unwrap(),
        events + 1
    );
    // A body that is not an event is a 400, not a 401 (401 would tell Forge the token failed).
    let not_ours = json!({"payload": {"eventType": "avi:jira:created:board"}});
    let status = w
        .bearer("POST", "/forge/events/jira", &fit, Some(not_ours))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The hourly schedule reconciles the site with Jira (through the gateway, with the token it brought).
    w.sim.forge_run_scheduled().expect("scheduled trigger sent");
    wait_for_async(|| async {
        let done = w
            .app
            .state
            .store
            .tenant_jobs(&tenant.id, "done", 200)
            .await
            .ok()?;
        done.iter().any(|j| j.kind == "reconcile").then_some(())
    })
    .await;

    // Pre-uninstall: the tenant is uninstalled, its data kept, its token forgotten; old tokens are refused.
    w.sim.forge_uninstall().await.expect("pre-uninstall called");
    let gone = w.app.tenant(&client_key).await.unwrap();
    assert_eq!(gone.tenant.state.as_str(), "uninstalled");
    let inst = w.installation(&tenant.id).await;
    assert!(inst.system_token.is_none());
    let old = w
        .sim
        .forge_invocation_token(&clearance_sandbox::jira::FitSpec::issue_panel(
            people::ANALYST,
            &key,
        ));
    assert_eq!(
        w.bearer("GET", &request, &old, None).await,
        StatusCode::UNAUTHORIZED
    );

    // Installed again: a new installation id, the same tenant and its request.
    let second = w.sim.forge_install(ForgeRemote::at(&w.app.base_url));
    assert_ne!(first, second);
    wait_for_async(|| async {
        let t = w.app.tenant(&client_key).await?;
        (t.tenant.state.as_str() == "installed").then_some(())
    })
    .await;
    let inst = w.installation(&tenant.id).await;
    assert_eq!(inst.installation_id, second);
    assert_eq!(
        w.app.tenant(&client_key).await.unwrap().tenant.id,
        tenant.id
    );
    let (status, v) = w
        .call(people::ANALYST, "GET", &request, Some(&key), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["request"]["summary"], "Churn");
    w.app.cleanup().await;
}
