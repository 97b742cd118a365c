//! The Jira simulator speaking Forge Remote, against a stand-in remote that verifies every FIT with the
//! simulator's JWKS: the FIT's shape and product and lifecycle events here; delivery (`ignoreSelf`, retries with
//! `retryContext`, key rotation), the API gateway, `invokeRemote`, and re-install/uninstall/scheduled triggers in
//! the submodules.

mod delivery;
mod gateway;
mod indexed;
mod invoke;
mod lifecycle;
mod remote;

use std::time::Duration;

use clearance_sandbox::{
    self as sandbox,
    jira::{
        ENDPOINT_MODULE, FitSpec, ForgeRemote, ISSUE_PANEL, IssueEdit, JiraSim, PANEL_KEY, SimKeys,
        SimOptions, people,
    },
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use reqwest::StatusCode;
use serde_json::{Value, json};

use self::remote::Remote;

pub(crate) const EVENTS: &str = "/forge/events/jira";
pub(crate) const LIFECYCLE: &str = "/forge/events/lifecycle";

pub(crate) fn fast() -> SimOptions {
    SimOptions {
        forge_retry_delay: Duration::from_millis(100),
        forge_event_timeout: Duration::from_secs(2),
        ..SimOptions::default()
    }
}

pub(crate) async fn site(options: SimOptions) -> JiraSim {
    let sim = sandbox::spawn_site(SimKeys::generate().unwrap(), options)
        .await
        .unwrap();
    sim.add_default_people();
    sim
}

/// A site with the Forge app installed on a fresh stand-in remote (the installed event already received).
pub(crate) async fn installed(options: SimOptions, ignore_self: bool) -> (JiraSim, Remote) {
    let sim = site(options).await;
    let remote = Remote::spawn(&sim).await;
    sim.forge_install(ForgeRemote {
        ignore_self,
        ..ForgeRemote::at(&remote.base)
    });
    remote.wait_at(LIFECYCLE, 1).await;
    remote.clear();
    (sim, remote)
}

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn jwks(sim: &JiraSim) -> JwkSet {
    reqwest::get(sim.forge_jwks_url())
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Verify `token` as a remote does; the claims or the error.
pub(crate) async fn verify(sim: &JiraSim, token: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let set = jwks(sim).await;
    let jwk = set
        .find(header.kid.as_deref().ok_or("no kid")?)
        .ok_or("unknown kid")?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&["forge/invocation-token"]);
    v.set_audience(&[sim.forge_app_id()]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fit_verifies_against_the_published_jwks() {
    let (sim, _remote) = installed(fast(), true).await;
    let key = sim.create_issue("DATA", "Emails", "", &[], people::REQUESTER);

    // The JWKS: RS256 signing keys, base64url without padding, cacheable.
    let resp = reqwest::get(sim.forge_jwks_url()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cache = resp.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.contains("max-age=3600"), "{cache}");
    let body: Value = resp.json().await.unwrap();
    let k = &body["keys"][0];
    assert_eq!(
        (k["kty"].as_str(), k["alg"].as_str(), k["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert_eq!(k["kid"], sim.forge_current_kid());
    for part in ["n", "e"] {
        let v = k[part].as_str().unwrap();
        assert!(!v.contains(['=', '+', '/']), "{part} = {v}");
    }

    // A UI call's FIT: header, standard claims, app, installation contexts, context and principal.
    let token = sim.forge_invocation_token(&FitSpec::issue_panel(people::ANALYST, &key));
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(
        header.kid.as_deref(),
        Some(sim.forge_current_kid().as_str())
    );
    let c = verify(&sim, &token).await.unwrap();
    assert_eq!(c["iss"], "forge/invocation-token");
    assert_eq!(c["aud"], sim.forge_app_id());
    assert!(sim.forge_app_id().starts_with("ari:cloud:ecosystem::app/"));
    assert_eq!(c["iat"], c["nbf"]);
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 25);
    assert!(c["jti"].as_str().is_some_and(|j| j.len() >= 16));
    let cloud = sim.forge_cloud_id();
    assert!(uuid::Uuid::try_parse(&cloud).is_ok());
    let api = format!("{}/ex/jira/{cloud}", sim.base_url());
    assert_eq!(sim.api_base_url(), api);
    let app = &c["app"];
    assert_eq!(app["id"], sim.forge_app_id());
    assert_eq!(app["apiBaseUrl"], api);
    assert_eq!(app["installationId"], sim.forge_installation_id());
    assert!(
        sim.forge_installation_id()
            .starts_with("ari:cloud:ecosystem::installation/")
    );
    assert_eq!(app["installation"]["id"], app["installationId"]);
    assert_eq!(
        app["installation"]["contexts"],
        json!([{"name": "jira", "apiBaseUrl": api, "cloudId": cloud}])
    );
    assert_eq!(app["environment"]["type"], "PRODUCTION");
    assert_eq!(app["environment"]["id"], sim.forge_environment_id());
    assert!(sim.forge_environment_id().starts_with(&format!(
            "ari:cloud:ecosystem::environment/{}/",
            sim.forge_app_id().trim_start_matches("ari:cloud:ecosystem::app/")
        )));
    assert_eq!(
        app["module"],
        json!({"type": ISSUE_PANEL, "key": PANEL_KEY})
    );
    assert!(app["appVersion"].is_string());
    assert_eq!(c["principal"], people::ANALYST);
    let ctx = &c["context"];
    assert_eq!(ctx["cloudId"], cloud);
    assert_eq!(ctx["moduleKey"], PANEL_KEY);
    assert_eq!(ctx["siteUrl"], sim.base_url());
    assert!(ctx["localId"].is_string());
    assert_eq!(ctx["extension"]["type"], ISSUE_PANEL);
    assert_eq!(ctx["extension"]["issue"]["key"], key);
    assert_eq!(ctx["extension"]["issue"]["type"], "Task");
    assert_eq!(ctx["extension"]["project"]["key"], "DATA");
    assert!(ctx["extension"]["project"]["id"].is_string());

    // A backend invocation carries neither context nor principal.
    let c = verify(
        &sim,
        &sim.forge_invocation_token(&FitSpec::endpoint("jira-events")),
    )
    .await
    .unwrap();
    assert_eq!(
        c["app"]["module"],
        json!({"type": ENDPOINT_MODULE, "key": "jira-events"})
    );
    assert!(c.get("context").is_none() && c.get("principal").is_none());

    // Tampered claims signed with the site's key: the audience check catches them; no kid, unknown kid.
    let mut claims = sim.forge_fit_claims(&FitSpec::admin_page(people::ADMIN));
    claims["aud"] = json!("ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000");
    let err = verify(&sim, &sim.forge_sign_claims(claims.clone()))
        .await
        .unwrap_err();
    assert!(err.contains("Audience"), "{err}");
    let no_kid = sim.forge_sign_claims_with_kid(claims.clone(), None);
    assert_eq!(jsonwebtoken::decode_header(&no_kid).unwrap().kid, None);
    assert_eq!(
        verify(&sim, &sim.forge_sign_claims_with_kid(claims, Some("nope")))
            .await
            .unwrap_err(),
        "unknown kid"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installed_event_and_product_events_reach_the_remote() {
    let sim = site(fast()).await;
    let remote = Remote::spawn(&sim).await;
    let installation = sim.forge_install(ForgeRemote::at(&remote.base));
    assert_eq!(installation, sim.forge_installation_id());

    // avi:forge:installed:app: bare UUIDs, as Forge's example shows.
    let got = remote.wait_at(LIFECYCLE, 1).await;
    let p = &got[0].body["payload"];
    assert_eq!(
        p["id"].as_str().unwrap(),
        installation.trim_start_matches("ari:cloud:ecosystem::installation/")
    );
    assert_eq!(p["installerAccountId"], people::ADMIN);
    assert!(p["app"]["id"].is_string() && p["app"]["version"].is_string());
    assert!(p["environment"]["id"].is_string());
    assert_eq!(got[0].claims()["app"]["module"]["key"], "lifecycle");

    // Created, updated (with changelog), commented, deleted: in that order, each with Forge's headers.
    let key = sim.create_issue(
        "DATA",
        "Customer emails",
        "Need them",
        &["data-request"],
        people::REQUESTER,
    );
    remote.wait_at(EVENTS, 1).await;
    sim.edit_issue(
        &key,
        people::ANALYST,
        IssueEdit::labels(&["data-request", "pii"]),
    );
    remote.wait_at(EVENTS, 2).await;
    sim.add_comment(&key, people::ANALYST, "On it");
    remote.wait_at(EVENTS, 3).await;
    assert!(sim.delete_issue(&key, people::ADMIN));
    let got = remote.wait_at(EVENTS, 4).await;

    let types: Vec<&str> = got
        .iter()
        .map(|g| g.body["payload"]["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "avi:jira:created:issue",
            "avi:jira:updated:issue",
            "avi:jira:commented:issue",
            "avi:jira:deleted:issue"
        ]
    );
    for g in &got {
        assert_eq!(g.method, "POST");
        assert_eq!(g.header("content-type"), Some("application/json"));
        assert!(g.header("x-b3-traceid").is_some_and(|t| t.len() >= 16));
        assert!(g.header("x-b3-spanid").is_some());
        assert!(g.header("x-forge-oauth-user").is_none());
        let c = g.claims();
        assert_eq!(
            c["app"]["module"],
            json!({"type": "core:endpoint", "key": "jira-events"})
        );
        assert!(c.get("principal").is_none());
        let p = &g.body["payload"];
        assert_eq!(p["selfGenerated"], false);
        assert!(p["timestamp"].is_i64());
        assert_eq!(p["issue"]["key"], key);
        assert!(p.get("retryContext").is_none());
    }
    let created = &got[0].body["payload"];
    assert_eq!(created["atlassianId"], people::REQUESTER);
    let f = &created["issue"]["fields"];
    assert_eq!(f["summary"], "Customer emails");
    assert_eq!(f["issuetype"]["name"], "Task");
    assert_eq!(f["project"]["key"], "DATA");
    assert!(f["project"]["id"].is_string());
    assert_eq!(f["reporter"]["accountId"], people::REQUESTER);
    assert_eq!(f["creator"]["accountId"], people::REQUESTER);
    assert_eq!(f["status"]["name"], "To Do");
    assert!(f["created"].is_string() && f["updated"].is_string());
    let updated = &got[1].body["payload"];
    assert_eq!(updated["atlassianId"], people::ANALYST);
    assert_eq!(updated["changelog"]["items"][0]["field"], "labels");
    assert_eq!(
        updated["changelog"]["items"][0]["toString"],
        "data-request pii"
    );
    let commented = &got[2].body["payload"];
    assert_eq!(commented["comment"]["author"]["accountId"], people::ANALYST);
    assert_eq!(commented["comment"]["body"]["type"], "doc");
    assert_eq!(got[3].body["payload"]["atlassianId"], people::ADMIN);

    // The system token that came with the event works against the gateway, as the app's own account.
    let token = got[0].header("x-forge-oauth-system").unwrap();
    let me: Value = http()
        .get(format!("{}/rest/api/3/myself", sim.api_base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["accountId"], sim.forge_account_id());
    assert_eq!(me["accountType"], "app");

    // Every call is logged with its attempts.
    let log = sim.forge_deliveries();
    assert_eq!(log.len(), 5, "{log:#?}");
    assert!(log.iter().all(|d| d.attempts.len() == 1
        && d.attempts[0].status == Some(200)
        && d.installation_id == installation));
    assert_eq!(log[0].kind, "avi:forge:installed:app");
    assert_eq!(log[0].path, LIFECYCLE);
}
