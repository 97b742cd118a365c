//! A stand-in Forge remote on 127.0.0.1:0: verifies every FIT against the simulator's JWKS (fetched over HTTP,
//! cached, fetched again once on an unknown kid), records what it got, and answers from a script (200 `{}` when
//! the script is empty, 401 when the FIT does not verify). It also serves a Connect descriptor, so a Connect app
//! can be installed on it too.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
};
use clearance_sandbox::jira::{FIT_ISSUER, JiraSim};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde_json::{Value, json};

/// One request the remote received.
#[derive(Clone, Debug)]
pub struct Got {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header name (lower case) → value.
    pub headers: HashMap<String, String>,
    /// The verified FIT claims, or why it did not verify.
    pub fit: Result<Value, String>,
    /// The FIT's header `kid`.
    pub kid: Option<String>,
    /// The JSON body (Null when empty or not JSON).
    pub body: Value,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn claims(&self) -> &Value {
        self.fit.as_ref().expect("the FIT verified")
    }
}

/// A scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            content_type: Some("application/json"),
            body: body.to_string(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn text(status: u16, content_type: &'static str, body: &str) -> Self {
        Self {
            status,
            content_type: Some(content_type),
            body: body.to_owned(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            content_type: None,
            body: String::new(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

struct Shared {
    http: reqwest::Client,
    jwks_url: String,
    app_id: String,
    base: String,
    jwks: Mutex<Option<JwkSet>>,
    jwks_fetches: AtomicUsize,
    got: Mutex<Vec<Got>>,
    script: Mutex<VecDeque<Reply>>,
}

/// The running stand-in.
#[derive(Clone)]
pub struct Remote {
    pub base: String,
    shared: Arc<Shared>,
}

impl Remote {
    /// A remote trusting `sim`'s JWKS and app id.
    pub async fn spawn(sim: &JiraSim) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            http: reqwest::Client::new(),
            jwks_url: sim.forge_jwks_url(),
            app_id: sim.forge_app_id().to_owned(),
            base: base.clone(),
            jwks: Mutex::new(None),
            jwks_fetches: AtomicUsize::new(0),
            got: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
        });
        let router = Router::new()
            .route("/atlassian-connect.json", get(descriptor))
            .fallback(receive)
            .with_state(shared.clone());
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { base, shared }
    }

    /// Answer the next request (whose FIT verifies) with `reply`.
    pub fn reply(&self, reply: Reply) {
        self.shared.script.lock().unwrap().push_back(reply);
    }

    /// Everything received so far.
    pub fn got(&self) -> Vec<Got> {
        self.shared.got.lock().unwrap().clone()
    }

    /// What was received at `path` (query ignored).
    pub fn at(&self, path: &str) -> Vec<Got> {
        self.got()
            .into_iter()
            .filter(|g| g.path.split('?').next() == Some(path))
            .collect()
    }

    /// Wait until `n` requests reached `path`.
    pub async fn wait_at(&self, path: &str, n: usize) -> Vec<Got> {
        for _ in 0..400 {
            let got = self.at(path);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "{n} requests at {path} not received within 10 s: {:#?}",
            self.got()
        );
    }

    pub fn clear(&self) {
        self.shared.got.lock().unwrap().clear();
    }

    /// How often the remote fetched the JWKS.
    pub fn jwks_fetches(&self) -> usize {
        self.shared.jwks_fetches.load(Ordering::SeqCst)
    }
}

async fn descriptor(State(s): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({
        "key": "stand.in", "baseUrl": s.base, "authentication": {"type": "jwt"}, "scopes": ["READ"],
        "lifecycle": {"installed": "/installed", "enabled": "/enabled", "disabled": "/disabled", "uninstalled": "/uninstalled"},
        "modules": {}
    }))
}

async fn fetch_jwks(s: &Shared) -> Result<JwkSet, String> {
    s.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let set: JwkSet = s
        .http
        .get(&s.jwks_url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .error_for_status()
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    *s.jwks.lock().unwrap() = Some(set.clone());
    Ok(set)
}

/// Verify a FIT as a careful remote does: RS256 with a kid, key from the JWKS (one refetch on an unknown kid),
/// signature, `iss`, `aud`, `exp`/`nbf`.
async fn verify(s: &Shared, token: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    if header.alg != Algorithm::RS256 {
        return Err(format!("alg {:?}", header.alg));
    }
    let kid = header.kid.ok_or("no kid")?;
    let cached = s.jwks.lock().unwrap().clone();
    let set = match cached {
        Some(set) if set.find(&kid).is_some() => set,
        _ => fetch_jwks(s).await?,
    };
    let jwk = set.find(&kid).ok_or_else(|| format!("unknown kid {kid}"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[FIT_ISSUER]);
    v.set_audience(&[&s.app_id]);
    v.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
    v.validate_nbf = true;
    v.leeway = 0;
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

async fn receive(
    State(s): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let headers: HashMap<String, String> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let token = headers
        .get("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::to_owned);
    let kid = token
        .as_deref()
        .and_then(|t| jsonwebtoken::decode_header(t).ok())
        .and_then(|h| h.kid);
    let fit = match &token {
        Some(t) => verify(&s, t).await,
        None => Err("no bearer token".into()),
    };
    let verified = fit.is_ok();
    s.got.lock().unwrap().push(Got {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers,
        fit,
        kid,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    if !verified && !uri.path().starts_with("/installed") && !uri.path().starts_with("/enabled") {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad FIT"}))).into_response();
    }
    let reply = s.script.lock().unwrap().pop_front();
    let Some(r) = reply else {
        return Json(json!({"ok": true})).into_response();
    };
    tokio::time::sleep(r.delay).await;
    let mut resp = (StatusCode::from_u16(r.status).unwrap(), r.body).into_response();
    let h = resp.headers_mut();
    h.remove("content-type");
    if let Some(ct) = r.content_type {
        h.insert("content-type", ct.parse().unwrap());
    }
    for (name, value) in r.headers {
        h.insert(name, value.parse().unwrap());
    }
    resp
}
