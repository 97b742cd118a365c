//! Data sources through the admin API and the store: create, update and delete (audited, URLs redacted everywhere),
//! validation that never touches the stored row, admins only, sealed URLs bound to their row, resolution by Jira
//! project, key rotation (those three in `sealed`), and "test connection" through the API. Probes of the real
//! servers: `probe` and `powers`; production sources tested on saving: `production`.

#[path = "data_sources_policy.rs"]
mod policy;
#[path = "data_sources_powers.rs"]
pub(crate) mod powers;
#[path = "data_sources_probe.rs"]
pub(crate) mod probe;
#[path = "data_sources_production.rs"]
mod production;
#[path = "data_sources_sealed.rs"]
pub(crate) mod sealed;

use clearance::{crypto::MasterKeys, store::StoredDataSource};
use clearance_sandbox::jira::{JiraSim, people};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp, dead_address},
    on_each_backend,
    sandbox_jira::site_and_app_with,
};

on_each_backend!(
    crud_is_audited_and_never_shows_the_password,
    bad_input_leaves_the_stored_row_unchanged,
    only_admins_manage_sources,
    connection_tests_through_the_api,
);

pub(crate) const PASSWORD: &str = "Pa55-w0rd-never-shown";

pub(crate) struct Api {
    sim: JiraSim,
    pub(crate) app: TestApp,
    pub(crate) tenant: String,
}

impl Api {
    pub(crate) async fn start(backend: Backend) -> Self {
        Self::start_with(backend, Vec::new()).await
    }

    /// [`Api::start`] with extra app settings.
    pub(crate) async fn start_with(
        backend: Backend,
        settings: Vec<(&'static str, String)>,
    ) -> Self {
        let (sim, app) = site_and_app_with(backend, settings).await;
        let tenant = app.tenant(&sim.client_key()).await.unwrap().tenant.id;
        Self { sim, app, tenant }
    }

    /// The simulated Jira site.
    pub(crate) fn jira(&self) -> &JiraSim {
        &self.sim
    }

    pub(crate) async fn call(
        &self,
        who: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, String) {
        let token = format!("JWT {}", self.sim.context_token(who, json!({})).unwrap());
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .app
            .http
            .request(method, self.app.url(path))
            .header("Authorization", token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    pub(crate) async fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, text) = self.call(people::ADMIN, method, path, body).await;
        assert!(!text.contains(PASSWORD), "{text}");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub(crate) async fn stored(&self, name: &str) -> Option<StoredDataSource> {
        self.app
            .state
            .store
            .data_source(&self.tenant, name)
            .await
            .unwrap()
    }

    pub(crate) fn keys(&self) -> MasterKeys {
        MasterKeys::parse(&self.app.master_key, &[]).unwrap()
    }

    pub(crate) async fn audit_actions(&self) -> Vec<(String, String, String)> {
        let events = self
            .app
            .state
            .store
            .audit_page(&self.tenant, 0, 1000)
            .await
            .unwrap();
        events
            .into_iter()
            .map(|e| (e.action, e.actor, e.detail))
            .collect()
    }
}

/// A staging source on a host that does not exist (a production one would be tested, and refused, on saving).
pub(crate) fn pg_source() -> Value {
    json!({"kind": "postgres", "url": format!("postgres://reader:{PASSWORD}@db.internal:5432/wh?sslmode=require&password={PASSWORD}"),
           "environment": "staging", "allowedProjects": ["DATA", "FIN"], "maxRows": 5000, "maxBytes": 1000000,
           "statementTimeoutSecs": 60})
}

async fn crud_is_audited_and_never_shows_the_password(backend: Backend) {
    let api = Api::start(backend).await;
    let (status, body) = api
        .admin("PUT", "/api/admin/sources/wh", Some(pg_source()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["created"], true);
    let shown = "postgres://reader:***@db.internal:5432/wh?sslmode=require&password=***";
    assert_eq!(body["source"]["url"], shown);
    assert_eq!(body["source"]["allowedProjects"], json!(["DATA", "FIN"]));
    assert_eq!(body["source"]["updatedBy"], people::ADMIN);

    // Update without a URL: the stored one is kept, the rest changes.
    let before = api.stored("wh").await.unwrap();
    let change = json!({"maxRows": 10, "environment": "staging", "allowedProjects": ["OPS"]});
    let (status, body) = api
        .admin("PUT", "/api/admin/sources/wh", Some(change))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["created"], false);
    assert_eq!(body["source"]["url"], shown);
    let after = api.stored("wh").await.unwrap();
    assert_eq!(after.url_sealed, before.url_sealed);
    assert_eq!(
        (after.id.as_str(), after.created_at),
        (before.id.as_str(), before.created_at)
    );
    assert_eq!((after.max_rows, after.max_bytes), (10, 1_000_000));
    assert_eq!(after.allowed_projects, ["OPS"]);

    let (status, body) = api.admin("GET", "/api/admin/sources", None).await;
    assert_eq!(status, StatusCode::OK);
    let list = body["sources"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{body}");
    assert_eq!(list[0]["url"], shown);
    assert_eq!(list[0]["environment"], "staging");

    let (status, body) = api.admin("DELETE", "/api/admin/sources/wh", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(api.stored("wh").await.is_none());
    let (status, _) = api.admin("DELETE", "/api/admin/sources/wh", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let events = api.audit_actions().await;
    let ours: Vec<_> = events
        .iter()
        .filter(|(a, ..)| a.starts_with("source."))
        .collect();
    let actions: Vec<&str> = ours.iter().map(|(a, ..)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["source.created", "source.updated", "source.deleted"]
    );
    for (_, actor, detail) in &ours {
        assert_eq!(actor, people::ADMIN);
        assert!(!detail.contains(PASSWORD), "{detail}");
        assert!(detail.contains("\"name\":\"wh\""), "{detail}");
    }
    assert!(ours[0].2.contains("***@db.internal"), "{}", ours[0].2);
    let (_, report) = api.admin("GET", "/api/admin/audit/verify", None).await;
    assert_eq!(report["ok"], true, "{report}");
    api.app.cleanup().await;
}

async fn bad_input_leaves_the_stored_row_unchanged(backend: Backend) {
    let api = Api::start(backend).await;
    let (status, _) = api
        .admin("PUT", "/api/admin/sources/wh", Some(pg_source()))
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = api.stored("wh").await.unwrap();
    let audited = api.audit_actions().await.len();
    let own = &api.app.database_url;
    let own_kind = if own.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let cases = [
        (
            json!({"kind": own_kind, "url": own}),
            "url: this data source is not allowed by this deployment's source policy",
        ),
        (
            json!({"url": "mysql://root@db/wh"}),
            "url: the URL is for mysql",
        ),
        (json!({"kind": "sqlite"}), "url: the URL is for postgres"),
        (
            json!({"url": "postgres://reader:***@db.internal:5432/wh"}),
            "url: this is the redacted URL",
        ),
        (json!({"maxRows": 0}), "maxRows:"),
        (json!({"maxBytes": 1e12}), "maxBytes:"),
        (
            json!({"statementTimeoutSecs": 7200}),
            "statementTimeoutSecs:",
        ),
        (
            json!({"allowedProjects": ["DATA", "fin"]}),
            "allowedProjects:",
        ),
        (json!({"environment": "dev"}), "environment:"),
        (
            json!({"maxRows": 5, "colour": "red"}),
            "colour: unknown field",
        ),
        (json!([1, 2]), "body:"),
    ];
    for (body, field) in cases {
        let (status, answer) = api
            .admin("PUT", "/api/admin/sources/wh", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.starts_with(field), "{body}: {message}");
        assert_eq!(api.stored("wh").await.unwrap(), before, "{body}");
    }
    for name in ["has%20space", &"x".repeat(65), "dots.not.allowed"] {
        let (status, answer) = api
            .admin(
                "PUT",
                &format!("/api/admin/sources/{name}"),
                Some(pg_source()),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().starts_with("name:"),
            "{answer}"
        );
    }
    // A new source without its required fields is refused and not created.
    let (status, answer) = api
        .admin(
            "PUT",
            "/api/admin/sources/other",
            Some(json!({"kind": "mysql"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .starts_with("url: required"),
        "{answer}"
    );
    assert!(api.stored("other").await.is_none());
    assert_eq!(api.audit_actions().await.len(), audited);
    api.app.cleanup().await;
}

async fn only_admins_manage_sources(backend: Backend) {
    let api = Api::start(backend).await;
    let (status, _) = api
        .admin("PUT", "/api/admin/sources/wh", Some(pg_source()))
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = api.stored("wh").await.unwrap();
    for who in [people::ANALYST, people::PRIVACY_OFFICER, people::REQUESTER] {
        for (method, path, body) in [
            ("GET", "/api/admin/sources", None),
            ("PUT", "/api/admin/sources/wh", Some(json!({"maxRows": 1}))),
            ("PUT", "/api/admin/sources/new", Some(pg_source())),
            ("DELETE", "/api/admin/sources/wh", None),
            ("POST", "/api/admin/sources/wh/test", None),
            ("POST", "/api/admin/sources/test", Some(pg_source())),
        ] {
            let (status, text) = api.call(who, method, path, body).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{who} {method} {path}: {text}"
            );
            assert!(!text.contains(PASSWORD));
        }
    }
    assert_eq!(api.stored("wh").await.unwrap(), before);
    assert!(api.stored("new").await.is_none());
    api.app.cleanup().await;
}

async fn connection_tests_through_the_api(backend: Backend) {
    let api = Api::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wh.db");
    probe::sqlite_file(&file).await;
    let sqlite = json!({"kind": "sqlite", "url": format!("sqlite://{}", file.display()), "environment": "production"});
    let (status, body) = api
        .admin("POST", "/api/admin/sources/test", Some(sqlite.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert!(
        body["serverVersion"]
            .as_str()
            .unwrap()
            .starts_with("SQLite 3"),
        "{body}"
    );
    assert_eq!(body["readOnlyVerified"], true);
    assert!(body["latencyMs"].is_u64());

    let dead = dead_address().await;
    let closed = json!({"kind": "postgres", "url": format!("postgres://reader:{PASSWORD}@{dead}/wh"),
                        "environment": "staging"});
    let (status, _) = api
        .admin("PUT", "/api/admin/sources/closed", Some(closed))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api
        .admin("POST", "/api/admin/sources/closed/test", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["ok"].clone(), body["problem"].clone()),
        (json!(false), json!("unreachable")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&dead.to_string()),
        "{body}"
    );

    let (status, _) = api
        .admin("POST", "/api/admin/sources/missing/test", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = api
        .admin(
            "POST",
            "/api/admin/sources/test",
            Some(json!({"kind": "sqlite"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    api.app.cleanup().await;
}
