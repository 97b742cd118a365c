//! Test harness: a fresh database per test (SQLite file, or a new PostgreSQL database when
//! `CLEARANCE_TEST_POSTGRES_URL` is set), the app on a random port, a local install-key server, and token builders.

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use axum::{Router, http::StatusCode};
use clearance::{
    app::{self, AppState},
    config::Config,
    crypto::MasterKeys,
    host::connect::qsh::{CONTEXT_QSH, query_string_hash},
    store::StoredTenant,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection};
use tokio::net::TcpListener;

pub const APP_KEY: &str = "io.clearance.test";
pub const GOOD_KID: &str = "0e50fccb-239d-4991-a5db-dc850ba3f236";
pub const INSTALL_KEY: &str = include_str!("../fixtures/install-key.pem");
pub const INSTALL_PUB: &str = include_str!("../fixtures/install-key.pub.pem");
pub const OTHER_KEY: &str = include_str!("../fixtures/other-key.pem");

/// Which database a test runs on.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL from `CLEARANCE_TEST_POSTGRES_URL`, or `None` (and a loud note) when it is unset.
    pub fn postgres() -> Option<Self> {
        match std::env::var("CLEARANCE_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Self::Postgres(url)),
            _ => {
                eprintln!(
                    "SKIPPED on PostgreSQL: CLEARANCE_TEST_POSTGRES_URL is unset (.ci/run sets it)"
                );
                None
            }
        }
    }
}

/// Run each named `async fn(Backend)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_each_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(backend) = $crate::helpers::Backend::postgres() {
                    super::$name(backend).await
                }
            }
        }
    )*};
}

/// A Jira site as the tests' "Jira" knows it.
#[derive(Clone, Debug)]
pub struct Site {
    pub client_key: String,
    pub shared_secret: String,
    pub base_url: String,
}

impl Site {
    pub fn new(name: &str) -> Self {
        Self {
            client_key: format!("{name}-{}", uuid::Uuid::new_v4()),
            shared_secret: format!("secret-{}", uuid::Uuid::new_v4()),
            base_url: format!("https://{name}.atlassian.net"),
        }
    }
}

/// A fresh, empty database for one test: a SQLite file in a folder the test owns, or a new PostgreSQL database.
pub struct TestDb {
    /// Its URL, for the app (or several app processes).
    pub url: String,
    /// The admin URL and the database's name, to drop it afterwards (PostgreSQL only).
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A new database on `backend`; SQLite files go into `dir`.
    pub async fn create(backend: Backend, dir: &std::path::Path) -> Self {
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}", dir.join("clearance.db").display()),
                pg: None,
            },
            Backend::Postgres(admin) => {
                let name = format!("clearance_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .expect("connect to CLEARANCE_TEST_POSTGRES_URL");
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("postgres url");
                url.set_path(&format!("/{name}"));
                Self {
                    url: url.to_string(),
                    pg: Some((admin, name)),
                }
            }
        }
    }

    /// Drop the PostgreSQL database (connections still open are ended); nothing to do for SQLite.
    pub async fn drop_database(self) {
        if let Some((admin, name)) = self.pg
            && let Ok(mut conn) = PgConnection::connect(&admin).await
        {
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = conn.execute(sqlx::AssertSqlSafe(drop)).await;
        }
    }
}

/// Options for [`TestApp::spawn_with`].
#[derive(Default)]
pub struct Options {
    /// Point the app at a key server that is not listening.
    pub key_server_down: bool,
    /// Public base URL path (e.g. `/clearance`).
    pub base_path: String,
    /// Extra settings over the test defaults.
    pub settings: Vec<(&'static str, String)>,
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// Base URL the app is configured with (and listening at), no trailing slash.
    pub base_url: String,
    pub state: AppState,
    pub master_key: String,
    pub http: reqwest::Client,
    /// The app's database URL (a second instance can open the same database).
    pub database_url: String,
    /// Paths the install-key server was asked for, in order.
    pub key_requests: Arc<std::sync::Mutex<Vec<String>>>,
    db: Option<TestDb>,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, opts: Options) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = TestDb::create(backend, dir.path()).await;
        let database_url = db.url.clone();
        let key_requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let key_server = if opts.key_server_down {
            dead_address().await
        } else {
            spawn_key_server(key_requests.clone()).await
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base_url = format!("http://{addr}{}", opts.base_path);
        let master_key = MasterKeys::generate().expose_secret().to_string();
        let mut settings = vec![
            ("listen", addr.to_string()),
            ("base_url", base_url.clone()),
            ("app_key", APP_KEY.to_string()),
            ("database_url", database_url.clone()),
            ("master_key", master_key.clone()),
            ("jira_hosts", "*.atlassian.net,127.0.0.1".to_string()),
            ("install_keys_url", format!("http://{key_server}")),
            ("http_timeout_secs", "3".to_string()),
            ("work_dir", dir.path().join("work").display().to_string()),
            // Tenants in most tests live on made-up *.atlassian.net hosts: no background job may call out to them.
            // Tests against the simulator switch the worker on.
            ("worker", "false".to_string()),
            // The tests' warehouses are on loopback (PostgreSQL, MariaDB: often the very server that holds the
            // store, in another database) and in temporary folders; the policy's own tests narrow it again.
            ("source_deny", "link-local".to_string()),
            (
                "source_sqlite_dirs",
                std::env::temp_dir()
                    .canonicalize()
                    .expect("temp dir")
                    .display()
                    .to_string(),
            ),
        ];
        settings.extend(opts.settings);
        let cfg = Config::from_pairs(settings).expect("test config");
        let state = AppState::build(cfg).await.expect("build app");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            app::serve(serve_state, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        Self {
            addr,
            base_url,
            state,
            master_key,
            http: reqwest::Client::new(),
            key_requests,
            database_url,
            db: Some(db),
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    /// Stop the server and drop the PostgreSQL test database.
    pub async fn cleanup(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.state.store.close().await;
        if let Some(db) = self.db.take() {
            db.drop_database().await;
        }
    }

    /// Keys for a rotation away from the app's master key: `(new key current + the app's as previous, new key alone)`.
    pub fn rotated_keys(&self) -> (MasterKeys, MasterKeys) {
        let new = MasterKeys::generate();
        let both = MasterKeys::parse(new.expose_secret(), std::slice::from_ref(&self.master_key));
        let alone = MasterKeys::parse(new.expose_secret(), &[]);
        (both.unwrap(), alone.unwrap())
    }

    /// Absolute URL of an app path (path relative to the base URL, starting with `/`).
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base_url)
    }

    /// The path on the wire for an app path (base path included).
    pub fn wire_path(&self, path: &str) -> String {
        let base_path = url::Url::parse(&self.base_url)
            .unwrap()
            .path()
            .trim_end_matches('/')
            .to_owned();
        format!("{base_path}{path}")
    }

    /// GET an app path with `Authorization: JWT <token>`.
    pub async fn get(&self, path_and_query: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path_and_query))
            .header("Authorization", format!("JWT {token}"))
            .send()
            .await
            .expect("request")
    }

    pub async fn tenant(&self, client_key: &str) -> Option<StoredTenant> {
        self.state
            .store
            .tenant_by_client_key(client_key)
            .await
            .expect("store")
    }

    /// POST a lifecycle event with the given token and body.
    pub async fn lifecycle(&self, event: &str, token: Option<&str>, body: &Value) -> StatusCode {
        let mut req = self
            .http
            .post(self.url(&format!("/lifecycle/{event}")))
            .json(body);
        if let Some(t) = token {
            req = req.header("Authorization", format!("JWT {t}"));
        }
        req.send().await.expect("lifecycle request").status()
    }

    /// POST `body` as JSON (whatever the bytes are) to an app path, with `authorization` (the whole header value) if
    /// given; the status.
    pub async fn post_body(
        &self,
        path: &str,
        authorization: Option<String>,
        body: impl Into<reqwest::Body>,
    ) -> StatusCode {
        let mut req = self
            .http
            .post(self.url(path))
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        req.send().await.expect("request").status()
    }

    /// Install `site` the way Jira does: RS256 token from the install key, aud = our base URL, qsh of the request.
    pub async fn install(&self, site: &Site) -> StatusCode {
        let token = self.install_token(site, "installed", InstallToken::default());
        self.lifecycle("installed", Some(&token), &install_body(site, "installed"))
            .await
    }

    /// An Atlassian-style RS256 lifecycle token for `site`, with knobs to forge it.
    pub fn install_token(&self, site: &Site, event: &str, t: InstallToken) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let path = self.wire_path(&format!("/lifecycle/{event}"));
        let base_path = url::Url::parse(&self.base_url)
            .unwrap()
            .path()
            .trim_end_matches('/')
            .to_owned();
        let qsh = t
            .qsh
            .unwrap_or_else(|| query_string_hash("POST", &path, "", &base_path));
        let mut claims = json!({
            "iss": t.iss.unwrap_or_else(|| site.client_key.clone()),
            "aud": t.aud.unwrap_or_else(|| self.base_url.clone()),
            "qsh": qsh,
            "iat": now,
            "exp": if t.expired { now - 3600 } else { now + 180 },
            "context": {},
        });
        if t.no_qsh {
            claims.as_object_mut().unwrap().remove("qsh");
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = t.kid.or(Some(GOOD_KID.to_string()));
        let key =
            EncodingKey::from_rsa_pem(t.key.unwrap_or(INSTALL_KEY).as_bytes()).expect("rsa key");
        encode(&header, &claims, &key).expect("sign")
    }

    /// A tenant HS256 token for `method path?query` (qsh bound), or a context token when `context` is set.
    pub fn tenant_token(
        &self,
        site: &Site,
        method: &str,
        path_and_query: &str,
        t: TenantToken,
    ) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let base_path = url::Url::parse(&self.base_url)
            .unwrap()
            .path()
            .trim_end_matches('/')
            .to_owned();
        let qsh = match (&t.qsh, t.context) {
            (Some(q), _) => q.clone(),
            (None, true) => CONTEXT_QSH.to_string(),
            (None, false) => query_string_hash(method, &self.wire_path(path), query, &base_path),
        };
        let mut claims = json!({
            "iss": t.iss.clone().unwrap_or_else(|| site.client_key.clone()),
            "sub": t.sub.clone().unwrap_or_else(|| "557058:f00d-cafe".to_string()),
            "qsh": qsh,
            "iat": now,
            "exp": if t.expired { now - 3600 } else { now + 180 },
            "context": t.context_claim.clone().unwrap_or_else(|| json!({})),
        });
        if t.no_qsh {
            claims.as_object_mut().unwrap().remove("qsh");
        }
        let secret = t
            .secret
            .clone()
            .unwrap_or_else(|| site.shared_secret.clone());
        let header = Header::new(t.alg.unwrap_or(Algorithm::HS256));
        encode(
            &header,
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign")
    }
}

/// Knobs for forging an install token.
#[derive(Default)]
pub struct InstallToken {
    pub kid: Option<String>,
    pub key: Option<&'static str>,
    pub aud: Option<String>,
    pub iss: Option<String>,
    pub qsh: Option<String>,
    pub no_qsh: bool,
    pub expired: bool,
}

/// Knobs for tenant tokens.
#[derive(Default, Clone)]
pub struct TenantToken {
    pub context: bool,
    /// The `context` claim (default `{}`).
    pub context_claim: Option<Value>,
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub qsh: Option<String>,
    pub no_qsh: bool,
    pub expired: bool,
    pub secret: Option<String>,
    pub alg: Option<Algorithm>,
}

/// The JSON body Jira posts to a lifecycle URL.
pub fn install_body(site: &Site, event: &str) -> Value {
    json!({
        "key": APP_KEY,
        "clientKey": site.client_key,
        "sharedSecret": site.shared_secret,
        "baseUrl": site.base_url,
        "displayUrl": site.base_url,
        "productType": "jira",
        "description": "Atlassian JIRA at https://example.atlassian.net",
        "serverVersion": "100273",
        "pluginsVersion": "1001.0.0-SNAPSHOT",
        "eventType": event,
    })
}

/// A local install-key server: `GET /{kid}` → PEM for known kids, 404 otherwise. Returns its address.
async fn spawn_key_server(seen: Arc<std::sync::Mutex<Vec<String>>>) -> SocketAddr {
    let keys: Arc<HashMap<String, String>> =
        Arc::new([(GOOD_KID.to_string(), INSTALL_PUB.to_string())].into());
    // A fallback sees every path, so the tests can tell what the app asked for.
    let router = Router::new().fallback(move |uri: axum::http::Uri| {
        let kid = uri.path().trim_start_matches('/').to_string();
        seen.lock().unwrap().push(kid.clone());
        let answer = match keys.get(&kid) {
            Some(pem) => (StatusCode::OK, pem.clone()),
            None => (StatusCode::NOT_FOUND, "Not Found".to_string()),
        };
        async move { answer }
    });
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind key server");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("key server") });
    addr
}

/// An address nothing listens on.
pub async fn dead_address() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    addr
}

/// The `clearance` binary with a clean environment: no CLEARANCE_* from the test run, warnings only in its log.
pub fn clearance_command() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_clearance"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CLEARANCE_") {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn");
    c
}

/// A read-only session on `url` under the operator's policy (the tests' warehouses are on loopback and in temporary
/// folders; the source policy itself is tested in `source_policy`).
pub async fn session(
    url: &str,
    timeout: std::time::Duration,
) -> Result<clearance::extract::source::Session, clearance::extract::source::SourceError> {
    let target = operator_policy()
        .target(&secrecy::SecretString::from(url.to_owned()))
        .await?;
    clearance::extract::source::Session::open(&target, timeout).await
}

/// The policy of the operator's own command line: reaches anything.
pub fn operator_policy() -> Arc<clearance::extract::source_policy::SourcePolicy> {
    Arc::new(clearance::extract::source_policy::SourcePolicy::operator())
}
