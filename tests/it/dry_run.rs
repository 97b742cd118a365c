//! The dry run through the panel API: the saved plan runs on a sample of the demo warehouse (a SQLite data source
//! registered through the admin API), the rows come back masked as they would be delivered, the personal-data
//! scan is stored for the plan's digest and audited without values, and submission depends on it. Who may run it,
//! and every way a plan can fail to run, is answered in words.

use clearance_sandbox::{
    jira::{JiraSim, people},
    warehouse::{self, DEFAULT_SEED},
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{
    helpers::{Backend, TestApp},
    on_each_backend,
    panel::Panel,
    sandbox_jira::{site_and_app_with, wait_for_async},
};

on_each_backend!(
    dry_run_masks_rows_and_stores_the_scan,
    who_may_dry_run,
    plans_that_cannot_run_are_explained,
    id_lists_come_from_the_issue_and_must_be_unchanged,
    the_editor_lists_the_sources_the_project_may_use,
    the_panel_names_people_when_jira_does,
    id_files_are_offered_with_their_columns,
);

/// Customers in the test warehouse.
const CUSTOMERS: u64 = 300;

/// A site with the app installed, a data request on DATA-1 claimed by the analyst, and the demo warehouse as the
/// data source `warehouse` for project DATA.
pub(crate) struct Site {
    pub(crate) sim: JiraSim,
    pub(crate) app: TestApp,
    pub(crate) key: String,
    pub(crate) issue_id: String,
    _dir: tempfile::TempDir,
}

impl Site {
    pub(crate) async fn start(backend: Backend) -> Self {
        Self::start_with(backend, Vec::new()).await
    }

    /// [`Site::start`] with extra app settings.
    pub(crate) async fn start_with(
        backend: Backend,
        settings: Vec<(&'static str, String)>,
    ) -> Self {
        let (sim, app) = site_and_app_with(backend, settings).await;
        let dir = add_warehouse(&sim, &app, "warehouse").await;
        let key = sim.create_issue(
            "DATA",
            "Customers for the spring campaign",
            "Names and e-mails of customers who agreed to marketing",
            &["data-request"],
            people::REQUESTER,
        );
        let issue_id = sim.issue(&key).unwrap().id.to_string();
        let site = Self {
            sim,
            app,
            key,
            issue_id,
            _dir: dir,
        };
        wait_for_async(|| async { site.view(people::ANALYST).await.1.get("request").cloned() })
            .await;
        site.ok(people::ANALYST, json!({"command": "claim"})).await;
        site
    }

    pub(crate) fn panel(&self) -> Panel<'_> {
        Panel {
            sim: &self.sim,
            app: &self.app,
            issue_id: &self.issue_id,
        }
    }

    pub(crate) async fn view(&self, who: &str) -> (StatusCode, Value) {
        self.panel().view(who).await
    }

    pub(crate) async fn command(&self, who: &str, body: Value) -> (StatusCode, Value) {
        self.panel().command(who, body).await
    }

    pub(crate) async fn ok(&self, who: &str, body: Value) -> Value {
        self.panel().ok(who, body).await
    }

    pub(crate) async fn dry_run(&self, who: &str) -> (StatusCode, Value) {
        self.panel().dry_run(who).await
    }

    pub(crate) async fn save(&self, plan: Value) -> String {
        let saved = self
            .ok(
                people::ANALYST,
                json!({"command": "save_plan", "plan": plan}),
            )
            .await;
        saved["request"]["planDigest"].as_str().unwrap().to_owned()
    }

    /// A new data request on DATA, reported by Riley: its issue key and id, once Clearance has picked it up.
    pub(crate) async fn new_request(&self, summary: &str, description: &str) -> (String, String) {
        let key = self.sim.create_issue(
            "DATA",
            summary,
            description,
            &["data-request"],
            people::REQUESTER,
        );
        let id = self.sim.issue(&key).unwrap().id.to_string();
        let tenant = self.tenant_id().await;
        wait_for_async(|| async {
            self.app
                .state
                .store
                .request_by_issue(&tenant, &id)
                .await
                .ok()?
        })
        .await;
        (key, id)
    }

    /// `method path` on the app with `who`'s context token; the status and the JSON body (`Null` if none).
    pub(crate) async fn call(
        &self,
        who: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let token = self.sim.context_token(who, json!({})).unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .app
            .http
            .request(method, self.app.url(path))
            .header("Authorization", format!("JWT {token}"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        (resp.status(), resp.json().await.unwrap_or(Value::Null))
    }

    async fn audit_actions(&self) -> Vec<(String, Value)> {
        self.panel().audit_actions().await
    }
}

/// Generate the demo warehouse in a temporary folder and register it as data source `name` for project DATA.
pub(crate) async fn add_warehouse(sim: &JiraSim, app: &TestApp, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("warehouse.db").display());
    warehouse::generate(&url, CUSTOMERS, DEFAULT_SEED)
        .await
        .unwrap();
    let token = sim.context_token(people::ADMIN, json!({})).unwrap();
    let body = json!({"kind": "sqlite", "url": url, "environment": "staging", "allowedProjects": ["DATA"],
                      "maxRows": 100000, "maxBytes": 100000000, "statementTimeoutSecs": 20});
    let resp = app
        .http
        .put(app.url(&format!("/api/admin/sources/{name}")))
        .header("Authorization", format!("JWT {token}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    dir
}

pub(crate) fn plan(sql: &str, masking: Value) -> Value {
    json!({"source": "warehouse", "sql": sql, "masking": masking, "max_rows": 1000, "max_bytes": 10_000_000,
           "format": "csv", "encryption": "age", "recipients": [people::REQUESTER]})
}

const SQL: &str =
    "SELECT id, first_name, email, phone, birth_date, country FROM customers ORDER BY id";

async fn dry_run_masks_rows_and_stores_the_scan(backend: Backend) {
    let s = Site::start(backend).await;
    let digest = s
        .save(plan(SQL, json!({"email": "mask", "phone": "drop"})))
        .await;
    let (status, run) = s.dry_run(people::ANALYST).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["digest"], digest.as_str());
    let names: Vec<&str> = run["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["id", "first_name", "email", "birth_date", "country"]
    );
    assert_eq!(run["columns"][2]["masking"], "mask");
    let rows = run["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 20);
    assert_eq!(rows[0][0], "1");
    for r in rows {
        let email = r[2].as_str().unwrap();
        assert!(email.contains("***@"), "masked as delivered: {email}");
    }
    assert_eq!(run["sampled"], CUSTOMERS);
    assert_eq!(run["more"], false);
    let flagged: Vec<&str> = run["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["column"].as_str().unwrap())
        .collect();
    for personal in ["first_name", "email", "phone", "birth_date"] {
        assert!(flagged.contains(&personal), "{personal} in {flagged:?}");
    }
    assert!(
        !flagged.contains(&"id") && !flagged.contains(&"country"),
        "{flagged:?}"
    );

    // Stored for this digest, shown with the request, audited without a single value.
    let (_, view) = s.view(people::PRIVACY_OFFICER).await;
    assert_eq!(view["request"]["scan"]["digest"], digest.as_str());
    assert_eq!(view["request"]["scan"]["sampled"], CUSTOMERS);
    let audit = s.audit_actions().await;
    let (_, detail) = audit
        .iter()
        .find(|(a, _)| a == "request.dry_run")
        .expect("dry run audited");
    assert_eq!(detail["digest"], digest.as_str());
    assert!(detail["findings"].to_string().contains("\"email\""));
    let text = detail.to_string();
    assert!(!text.contains('@'), "no values: {text}");
    assert!(
        audit
            .iter()
            .all(|(_, d)| !d.to_string().contains("@example")),
        "no e-mail address anywhere in the trail"
    );

    // The findings decide how it may be submitted.
    let (status, refused) = s
        .command(
            people::ANALYST,
            json!({"command": "submit", "personal_data": false}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("email (email"),
        "{refused}"
    );
    let submitted = s
        .ok(
            people::ANALYST,
            json!({"command": "submit", "personal_data": true}),
        )
        .await;
    assert_eq!(submitted["request"]["state"], "awaiting_privacy_approval");

    // A changed plan has not been scanned; a plan without personal data goes straight to approval after its run.
    s.save(plan(
        "SELECT country, count(*) AS customers FROM customers GROUP BY country",
        json!({}),
    ))
    .await;
    let (_, view) = s.view(people::ANALYST).await;
    assert_eq!(view["request"]["scan"], Value::Null);
    let (status, refused) = s
        .command(
            people::ANALYST,
            json!({"command": "submit", "personal_data": false}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused["error"].as_str().unwrap().contains("dry run"),
        "{refused}"
    );
    let (status, run) = s.dry_run(people::ANALYST).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["findings"], json!([]));
    let approved = s
        .ok(
            people::ANALYST,
            json!({"command": "submit", "personal_data": false}),
        )
        .await;
    assert_eq!(approved["request"]["state"], "approved");
}

async fn who_may_dry_run(backend: Backend) {
    let s = Site::start(backend).await;
    s.save(plan(SQL, json!({}))).await;
    let before = s.view(people::ANALYST).await.1["request"]["version"].clone();
    let (status, v) = s.dry_run(people::REQUESTER).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("you asked for this data")
    );
    s.sim
        .add_user("557058:vic-viewer", "Vic Viewer", "vic@example.com", &[]);
    let (status, v) = s.dry_run("557058:vic-viewer").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(
        s.view(people::ANALYST).await.1["request"]["version"],
        before
    );
    let (_, view) = s.view(people::ANALYST).await;
    assert!(
        view["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("dry_run"))
    );
    let (_, view) = s.view(people::REQUESTER).await;
    assert!(
        !view["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("dry_run"))
    );
    // The privacy officer may look too.
    let (status, v) = s.dry_run(people::PRIVACY_OFFICER).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // Not once the request is closed.
    s.ok(
        people::ANALYST,
        json!({"command": "reject", "reason": "not feasible"}),
    )
    .await;
    let (status, v) = s.dry_run(people::ANALYST).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
}

async fn plans_that_cannot_run_are_explained(backend: Backend) {
    let s = Site::start(backend).await;
    for (plan, status, words) in [
        (
            plan("SELECT id FROM customer", json!({})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no such table: customer",
        ),
        (
            plan("UPDATE customers SET email = 'x'", json!({})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "the query was refused",
        ),
        (
            plan("SELECT id FROM customers", json!({"emial": "mask"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "\"emial\"",
        ),
        (
            {
                let mut p = plan("SELECT id FROM customers", json!({}));
                p["source"] = json!("nowhere");
                p
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "plan.source",
        ),
    ] {
        s.save(plan.clone()).await;
        let (got, v) = s.dry_run(people::ANALYST).await;
        assert_eq!(got, status, "{plan}: {v}");
        let error = v["error"].as_str().unwrap_or_default();
        assert!(error.contains(words), "{plan}: {error}");
        let (_, view) = s.view(people::ANALYST).await;
        assert_eq!(
            view["request"]["scan"],
            Value::Null,
            "nothing stored for {plan}"
        );
    }
    // A source the project may not use.
    let other = add_warehouse(&s.sim, &s.app, "finance").await;
    let token = s.sim.context_token(people::ADMIN, json!({})).unwrap();
    let resp = s
        .app
        .http
        .put(s.app.url("/api/admin/sources/finance"))
        .header("Authorization", format!("JWT {token}"))
        .json(&json!({"allowedProjects": ["FIN"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut p = plan("SELECT id FROM customers", json!({}));
    p["source"] = json!("finance");
    s.save(p).await;
    let (got, v) = s.dry_run(people::ANALYST).await;
    assert_eq!(got, StatusCode::FORBIDDEN, "{v}");
    assert!(v["error"].as_str().unwrap().contains("project DATA"), "{v}");
    drop(other);
}

async fn id_lists_come_from_the_issue_and_must_be_unchanged(backend: Backend) {
    let s = Site::start(backend).await;
    let file = b"customer_id;note\n3;a\n5;b\n5;dup\n\nx;bad\n9999;gone\n".to_vec();
    let sha = hex::encode(Sha256::digest(&file));
    let id = s
        .sim
        .attach(&s.key, people::REQUESTER, "ids.csv", "text/csv", file)
        .unwrap();
    wait_for_async(|| async {
        let (_, v) = s.view(people::ANALYST).await;
        (v["request"]["attachments"].as_array().map(Vec::len) == Some(1)).then_some(())
    })
    .await;
    let with_list = |attachment: String, sha: &str| {
        let mut p = plan(
            "SELECT id, country FROM customers WHERE id IN (:ids) ORDER BY id",
            json!({}),
        );
        p["id_list"] = json!({"attachment_id": attachment, "file_name": "ids.csv", "sha256": sha,
                              "column": "customer_id", "parameter": "ids"});
        p
    };
    s.save(with_list(id.to_string(), &sha)).await;
    let (status, run) = s.dry_run(people::ANALYST).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    let ids: Vec<&str> = run["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["3", "5"]);
    assert_eq!(run["ids"]["distinct"], 3);
    assert_eq!(run["ids"]["duplicates"], 1);
    assert_eq!(run["ids"]["invalid"], 1);

    // The plan recorded another version of the file.
    s.save(with_list(id.to_string(), &"0".repeat(64))).await;
    let (status, v) = s.dry_run(people::ANALYST).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("changed since the plan was written"),
        "{v}"
    );
    // An attachment of another issue cannot be borrowed.
    let other = s
        .sim
        .create_issue("DATA", "Other", "", &[], people::REQUESTER);
    let foreign = s
        .sim
        .attach(
            &other,
            people::REQUESTER,
            "ids.csv",
            "text/csv",
            b"customer_id\n1\n".to_vec(),
        )
        .unwrap();
    s.save(with_list(foreign.to_string(), &sha)).await;
    let (status, v) = s.dry_run(people::ANALYST).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("is not attached to"),
        "{v}"
    );
}

async fn the_editor_lists_the_sources_the_project_may_use(backend: Backend) {
    let s = Site::start(backend).await;
    let _other = add_warehouse(&s.sim, &s.app, "ops-only").await;
    let token = s.sim.context_token(people::ADMIN, json!({})).unwrap();
    let resp = s
        .app
        .http
        .put(s.app.url("/api/admin/sources/ops-only"))
        .header("Authorization", format!("JWT {token}"))
        .json(&json!({"allowedProjects": ["OPS"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let list = |who: &str| {
        let token = s.panel().token(who);
        let url = s
            .app
            .url(&format!("/api/panel/requests/{}/sources", s.issue_id));
        let http = s.app.http.clone();
        async move {
            let resp = http
                .get(url)
                .header("Authorization", format!("JWT {token}"))
                .send()
                .await
                .unwrap();
            (
                resp.status(),
                resp.json::<Value>().await.unwrap_or_default(),
            )
        }
    };
    let (status, v) = list(people::ANALYST).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["sources"],
        json!([{"name": "warehouse", "kind": "sqlite", "environment": "staging", "maxRows": 100000,
                "maxBytes": 100000000}]),
        "only DATA's sources, never a URL"
    );
    let (status, _) = list(people::REQUESTER).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn the_panel_names_people_when_jira_does(backend: Backend) {
    let s = Site::start(backend).await;
    let (status, v) = s.view(people::REQUESTER).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["people"][people::REQUESTER], "Riley Requester", "{v}");
    assert_eq!(
        v["people"][people::ANALYST],
        "Ana Analyst",
        "the reviewer, from the trail"
    );
    assert!(
        v["people"].get("jira").is_none(),
        "system actors are not looked up"
    );

    // Names are cached; when Jira fails, the panel still answers, with account ids.
    let calls = |s: &Site| {
        s.sim
            .rest_calls()
            .iter()
            .filter(|c| c.path.starts_with("/rest/api/3/user?"))
            .count()
    };
    let before = calls(&s);
    s.view(people::REQUESTER).await;
    assert_eq!(calls(&s), before, "served from the cache");
    // Pia has not been looked up yet; Jira fails: the panel still answers, showing her account id.
    s.sim.faults().only_on("/rest/api/3/user?");
    s.sim
        .faults()
        .server_errors(100, StatusCode::SERVICE_UNAVAILABLE);
    let (status, v) = s.view(people::PRIVACY_OFFICER).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["people"].get(people::PRIVACY_OFFICER).is_none(), "{v}");
    assert_eq!(v["people"][people::REQUESTER], "Riley Requester");
}

async fn id_files_are_offered_with_their_columns(backend: Backend) {
    let s = Site::start(backend).await;
    let file = b"\xEF\xBB\xBFcustomer_id;note\n3;a\n".to_vec();
    let sha = hex::encode(Sha256::digest(&file));
    let id = s
        .sim
        .attach(&s.key, people::REQUESTER, "ids.csv", "text/csv", file)
        .unwrap();
    let bad = s
        .sim
        .attach(
            &s.key,
            people::REQUESTER,
            "bad.csv",
            "text/csv",
            vec![0xff, 0xfe, 0x00],
        )
        .unwrap();
    wait_for_async(|| async {
        let (_, v) = s.view(people::ANALYST).await;
        (v["request"]["attachments"].as_array().map(Vec::len) == Some(2)).then_some(())
    })
    .await;
    let get = |who: &str, attachment: String| {
        let token = s.panel().token(who);
        let url = s.app.url(&format!(
            "/api/panel/requests/{}/id-files/{attachment}",
            s.issue_id
        ));
        let http = s.app.http.clone();
        async move {
            let resp = http
                .get(url)
                .header("Authorization", format!("JWT {token}"))
                .send()
                .await
                .unwrap();
            (
                resp.status(),
                resp.json::<Value>().await.unwrap_or_default(),
            )
        }
    };
    let (status, v) = get(people::ANALYST, id.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["idFile"],
        json!({"attachment_id": id.to_string(), "file_name": "ids.csv", "sha256": sha,
               "columns": ["customer_id", "note"]})
    );
    let (status, v) = get(people::ANALYST, bad.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap().contains("not UTF-8"), "{v}");
    let (status, v) = get(people::ANALYST, "99999".into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap().contains("not attached"), "{v}");
    let (status, _) = get(people::REQUESTER, id.to_string()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
