//! A person sees a request only if Jira lets them see its issue. A site with issue security: DATA-1 is open to
//! everyone, DATA-2 carries the level `hr-only` (group `hr`, and the apps' users). Ana the analyst is not in `hr`;
//! Harper, an analyst in `hr`, is. Guessing ids must reveal nothing: a token from one issue's panel reads only that
//! issue; a token that names no issue is checked with Jira (cached briefly, refused when Jira cannot answer) — through
//! Connect and through Forge.

use std::time::Duration;

use clearance::jira::{JiraOp, JiraRequest};
use clearance_sandbox::jira::{JiraSim, SecurityLevel, people};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    forge_flow::{World, forge_world},
    helpers::{Backend, Site, TenantToken, TestApp, dead_address},
    on_each_backend,
    sandbox_jira::{site_and_app_with, wait_for_async},
};

on_each_backend!(
    a_token_for_one_issue_reads_no_other,
    without_an_issue_in_the_token_jira_decides,
    jira_answers_are_kept_briefly,
    refused_when_jira_cannot_answer,
    forge_tokens_follow_the_same_rule,
    the_simulator_enforces_issue_security,
);

/// Harper: an analyst in the `hr` group, who may see DATA-2.
const HARPER: &str = "557058:harper-hr";
/// An id no issue has.
const NO_SUCH_ISSUE: &str = "987654321";
/// The answer Clearance gives for an issue with no request the caller may see: the same for all of them.
fn not_a_request(id: &str) -> Value {
    json!({"error": format!("issue {id} is not a data request")})
}

/// The permission checks the app asked the site for so far.
fn permission_checks(sim: &JiraSim) -> usize {
    sim.rest_calls()
        .iter()
        .filter(|c| c.path.ends_with("/rest/api/3/permissions/check"))
        .count()
}

/// A site where DATA-2 is under `hr-only`, both issues data requests Clearance has picked up.
struct Secured {
    sim: JiraSim,
    app: TestApp,
    open_key: String,
    open_id: String,
    secret_key: String,
    secret_id: String,
}

/// Add Harper and the `hr-only` level, file DATA-1 (open) and DATA-2 (secured, reported by Harper) as data requests,
/// and wait until the app knows both (it reads them as the app, which the level lets in).
async fn secure_issues(sim: &JiraSim, app: &TestApp, tenant_id: &str) -> [(String, String); 2] {
    sim.add_user(
        HARPER,
        "Harper HR",
        "harper@example.com",
        &["jira-users", "hr", "clearance-analysts"],
    );
    sim.add_security_level(
        "hr-only",
        SecurityLevel {
            groups: vec!["hr".into()],
            apps: true,
            ..SecurityLevel::default()
        },
    );
    let open = sim.create_issue(
        "DATA",
        "Customers for the spring campaign",
        "Names of customers who agreed to marketing",
        &["data-request"],
        people::REQUESTER,
    );
    let secret = sim.create_issue(
        "DATA",
        "Salaries of the sales team",
        "SELECT name, salary FROM staff",
        &["data-request"],
        HARPER,
    );
    assert!(sim.set_issue_security(&secret, Some("hr-only")));
    let ids = [open, secret].map(|key| {
        let id = sim.issue(&key).unwrap().id.to_string();
        (key, id)
    });
    for (_, id) in &ids {
        wait_for_async(|| async { app.state.store.request_by_issue(tenant_id, id).await.ok()? })
            .await;
    }
    ids
}

impl Secured {
    async fn start(backend: Backend, settings: Vec<(&'static str, String)>) -> Self {
        let (sim, app) = site_and_app_with(backend, settings).await;
        let tenant = app.tenant(&sim.client_key()).await.unwrap().tenant.id;
        let [(open_key, open_id), (secret_key, secret_id)] =
            secure_issues(&sim, &app, &tenant).await;
        Self {
            sim,
            app,
            open_key,
            open_id,
            secret_key,
            secret_id,
        }
    }

    /// The token the issue page of `key` gives `who`'s panel (names the issue).
    fn panel_token(&self, who: &str, key: &str) -> String {
        self.sim
            .issue_context_token(who, key)
            .expect("the viewer sees the issue")
    }

    /// A context token that names no issue (a general page, the admin page).
    fn plain_token(&self, who: &str) -> String {
        self.sim.context_token(who, json!({"jira": {}})).unwrap()
    }
}

/// `method /api/panel/requests/{id}{rest}` with a Connect token; the status and the JSON body.
async fn call(
    app: &TestApp,
    token: &str,
    method: &str,
    id: &str,
    rest: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app
        .http
        .request(m, app.url(&format!("/api/panel/requests/{id}{rest}")))
        .header("Authorization", format!("JWT {token}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

/// Every panel route about an issue, as `(method, path after the id, body)`.
fn every_route() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        ("GET", "", None),
        ("POST", "/commands", Some(json!({"command": "claim"}))),
        ("POST", "/dry-run", None),
        ("GET", "/sources", None),
        ("GET", "/id-files/10001", None),
        ("PUT", "/retention", Some(json!({"days": 5}))),
        ("POST", "/reveal", None),
    ]
}

/// `GET /api/panel/requests/{id}` with a Connect token.
async fn view(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    call(app, token, "GET", id, "", None).await
}

async fn a_token_for_one_issue_reads_no_other(backend: Backend) {
    let s = Secured::start(backend, Vec::new()).await;
    let ana_on_open = s.panel_token(people::ANALYST, &s.open_key);
    let (status, v) = view(&s.app, &ana_on_open, &s.open_id).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["request"]["summary"], "Customers for the spring campaign");

    // Ana guesses DATA-2's id with the token DATA-1's panel gave her: every route answers as for an id that names
    // nothing, and nothing of DATA-2 comes back.
    let checks = permission_checks(&s.sim);
    for (method, rest, body) in every_route() {
        let (status, v) = call(
            &s.app,
            &ana_on_open,
            method,
            &s.secret_id,
            rest,
            body.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {rest}: {v}");
        assert_eq!(v, not_a_request(&s.secret_id), "{method} {rest}");
        let (status, v) = call(&s.app, &ana_on_open, method, NO_SUCH_ISSUE, rest, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {rest}: {v}");
        assert_eq!(v, not_a_request(NO_SUCH_ISSUE), "{method} {rest}");
    }
    // The token's own issue decides: Jira is not asked.
    assert_eq!(permission_checks(&s.sim), checks);

    // The rule is "the token's issue is the path's issue", not "someone who may see it": Harper may see DATA-2, but
    // not with a token from DATA-1's panel.
    let harper_on_open = s.panel_token(HARPER, &s.open_key);
    let (status, v) = view(&s.app, &harper_on_open, &s.secret_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let harper_on_secret = s.panel_token(HARPER, &s.secret_key);
    let (status, v) = view(&s.app, &harper_on_secret, &s.secret_id).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["request"]["summary"], "Salaries of the sales team");
    s.app.cleanup().await;
}

async fn without_an_issue_in_the_token_jira_decides(backend: Backend) {
    let s = Secured::start(backend, Vec::new()).await;
    let ana = s.plain_token(people::ANALYST);
    for (method, rest, body) in every_route() {
        let (status, v) = call(&s.app, &ana, method, &s.secret_id, rest, body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {rest}: {v}");
        assert_eq!(v, not_a_request(&s.secret_id), "{method} {rest}");
        let (status, v) = call(&s.app, &ana, method, NO_SUCH_ISSUE, rest, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {rest}: {v}");
        assert_eq!(v, not_a_request(NO_SUCH_ISSUE), "{method} {rest}");
    }
    let (status, v) = view(&s.app, &ana, &s.open_id).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    let harper = s.plain_token(HARPER);
    let (status, v) = view(&s.app, &harper, &s.secret_id).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["request"]["summary"], "Salaries of the sales team");
    assert!(permission_checks(&s.sim) > 0);
    s.app.cleanup().await;
}

async fn jira_answers_are_kept_briefly(backend: Backend) {
    let s = Secured::start(backend, vec![("issue_access_cache_secs", "2".into())]).await;
    let ana = s.plain_token(people::ANALYST);
    let before = permission_checks(&s.sim);
    assert_eq!(
        view(&s.app, &ana, &s.secret_id).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(permission_checks(&s.sim), before + 1);
    // Asked again at once: the answer Jira gave is reused, refusals included.
    assert_eq!(
        view(&s.app, &ana, &s.secret_id).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(permission_checks(&s.sim), before + 1);
    // Per person and issue.
    assert_eq!(view(&s.app, &ana, &s.open_id).await.0, StatusCode::OK);
    assert_eq!(permission_checks(&s.sim), before + 2);

    // Ana joins `hr`: once the remembered answer expires, Jira's new answer counts.
    s.sim.add_to_group(people::ANALYST, "hr");
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let (status, v) = view(&s.app, &ana, &s.secret_id).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(permission_checks(&s.sim), before + 3);
    s.app.cleanup().await;
}

async fn refused_when_jira_cannot_answer(backend: Backend) {
    let s = Secured::start(backend.clone(), Vec::new()).await;
    let ana = s.plain_token(people::ANALYST);
    s.sim.faults().only_on("/permissions/check");
    s.sim
        .faults()
        .server_errors(100, StatusCode::INTERNAL_SERVER_ERROR);
    for id in [&s.open_id, &s.secret_id] {
        let (status, v) = view(&s.app, &ana, id).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        assert!(v["error"].as_str().unwrap().contains("try again"), "{v}");
        assert!(v.get("request").is_none(), "{v}");
    }
    // A failure is not remembered as an answer.
    s.sim.faults().clear();
    let (status, v) = view(&s.app, &ana, &s.open_id).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    s.app.cleanup().await;

    // A site Jira is not reachable at at all: refused, unless the token names its issue (then Jira is not needed).
    let app = TestApp::spawn(backend).await;
    let site = Site {
        base_url: format!("http://{}", dead_address().await),
        ..Site::new("gone")
    };
    assert_eq!(app.install(&site).await, StatusCode::NO_CONTENT);
    let token = |context: Value| {
        app.tenant_token(
            &site,
            "GET",
            "/",
            TenantToken {
                context: true,
                context_claim: Some(context),
                ..Default::default()
            },
        )
    };
    let (status, v) = view(&app, &token(json!({})), "10001").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    let on_issue = token(json!({"jira": {"issue": {"id": "10001"}}}));
    let (status, v) = view(&app, &on_issue, "10001").await;
    assert_eq!((status, v), (StatusCode::NOT_FOUND, not_a_request("10001")));
    app.cleanup().await;
}

async fn forge_tokens_follow_the_same_rule(backend: Backend) {
    let w: World = forge_world(backend).await;
    let cloud = w.sim.forge_cloud_id();
    let tenant = w
        .app
        .tenant(&format!("forge:{cloud}"))
        .await
        .unwrap()
        .tenant
        .id;
    let [(open_key, open_id), (secret_key, secret_id)] =
        secure_issues(&w.sim, &w.app, &tenant).await;
    let request = |id: &str| format!("/api/panel/requests/{id}");

    // From the issue panel: the invocation names its issue, which must be the path's.
    let (status, v) = w
        .call(
            people::ANALYST,
            "GET",
            &request(&open_id),
            Some(&open_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    for who in [people::ANALYST, HARPER] {
        for id in [secret_id.as_str(), NO_SUCH_ISSUE] {
            let (status, v) = w
                .call(who, "GET", &request(id), Some(&open_key), None)
                .await;
            assert_eq!(
                (status, v),
                (StatusCode::NOT_FOUND, not_a_request(id)),
                "{who}"
            );
        }
    }
    let (status, v) = w
        .call(HARPER, "GET", &request(&secret_id), Some(&secret_key), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // Forge shows no panel to Ana on an issue she may not see.
    let refused = w
        .sim
        .forge_invoke_remote(clearance_sandbox::jira::InvokeSpec {
            module_key: "clearance-panel".into(),
            module_type: "jira:issueContext".into(),
            principal: people::ANALYST.into(),
            issue: Some(secret_key.clone()),
            method: "GET".into(),
            path: request(&secret_id),
            ..Default::default()
        })
        .await;
    assert!(
        matches!(
            refused,
            Err(clearance_sandbox::jira::InvokeError::UnknownIssue(_))
        ),
        "{refused:?}"
    );

    // From the admin page (no issue): Jira decides, asked with the app's system token. Jira lets only an
    // administrator ask about someone else, so until the app's user is one, the answer is a refusal.
    let (status, v) = w
        .call(people::ANALYST, "GET", &request(&open_id), None, None)
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    let app_user = w.sim.state().forge.app_account_id.clone();
    w.sim.add_to_group(&app_user, "site-admins");
    let (status, v) = w
        .call(people::ANALYST, "GET", &request(&open_id), None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = w
        .call(people::ANALYST, "GET", &request(&secret_id), None, None)
        .await;
    assert_eq!(
        (status, v),
        (StatusCode::NOT_FOUND, not_a_request(&secret_id))
    );
    let (status, v) = w
        .call(HARPER, "GET", &request(&secret_id), None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    w.app.cleanup().await;
}

/// The simulator's side of the rule, as Jira behaves: REST, search, the permissions API and its own pages.
async fn the_simulator_enforces_issue_security(backend: Backend) {
    let s = Secured::start(backend, Vec::new()).await;
    let tenant = s.app.tenant(&s.sim.client_key()).await.unwrap();
    let jira = s.app.state.jira_for(&tenant).await.unwrap();
    let secret = clearance::jira::IssueId::parse(&s.secret_id).unwrap();
    assert!(
        !jira
            .can_browse_issue(people::ANALYST, secret)
            .await
            .unwrap()
    );
    assert!(jira.can_browse_issue(HARPER, secret).await.unwrap());
    let missing = clearance::jira::IssueId::parse(NO_SUCH_ISSUE).unwrap();
    assert!(!jira.can_browse_issue(HARPER, missing).await.unwrap());
    // The request body is Jira's: a field it does not know is refused, not ignored.
    let wrong: Result<Value, _> = jira
        .post_json(
            JiraRequest::new(JiraOp::CheckPermissions),
            &json!({"projectPermissions": [{"permissions": ["BROWSE_PROJECTS"], "issues": [secret.get()],
                                             "accounts": [people::ANALYST]}]}),
        )
        .await;
    assert!(wrong.is_err(), "{wrong:?}");

    // A level without the apps' role hides the issue from the app itself: 404 like a missing issue, not in searches.
    s.sim.add_security_level(
        "hr-private",
        SecurityLevel {
            groups: vec!["hr".into()],
            ..SecurityLevel::default()
        },
    );
    s.sim.set_issue_security(&s.secret_key, Some("hr-private"));
    let issue: Result<Value, _> = jira
        .get_json(JiraRequest::new(JiraOp::Issue).param(&s.secret_key))
        .await;
    assert!(
        matches!(issue, Err(clearance::jira::JiraError::NotFound(_))),
        "{issue:?}"
    );
    let found: Value = jira
        .get_json(
            JiraRequest::new(JiraOp::SearchJql)
                .query("jql", "project = DATA")
                .query("fields", "key"),
        )
        .await
        .unwrap();
    let keys: Vec<&str> = found["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["key"].as_str())
        .collect();
    assert!(
        keys.contains(&s.open_key.as_str()) && !keys.contains(&s.secret_key.as_str()),
        "{keys:?}"
    );

    // Its pages: the issue list and page, and the context tokens its panel bridge mints.
    let http = &s.app.http;
    let page = |who: &str, key: &str| {
        http.get(format!("{}/browse/{key}?as={who}", s.sim.base_url()))
            .send()
    };
    assert_eq!(
        page(people::ANALYST, &s.secret_key).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        page(HARPER, &s.secret_key).await.unwrap().status(),
        StatusCode::OK
    );
    let list = http
        .get(format!("{}/?as={}", s.sim.base_url(), people::ANALYST))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&s.open_key) && !list.contains(&s.secret_key));
    let mint = |who: &str| {
        http.post(format!("{}/_sandbox/context-token", s.sim.base_url()))
            .json(&json!({"accountId": who, "context": {"jira": {"issue": {"id": s.secret_id}}}}))
            .send()
    };
    assert_eq!(
        mint(people::ANALYST).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(mint(HARPER).await.unwrap().status(), StatusCode::OK);
    assert!(
        s.sim
            .issue_context_token(people::ANALYST, &s.secret_key)
            .is_none()
    );
    s.app.cleanup().await;
}
