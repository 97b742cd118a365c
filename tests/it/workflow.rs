//! Review and approval end to end: people act through the panel API with context tokens from the simulated Jira;
//! roles come from their Jira groups; every forbidden action is refused and changes nothing; approval binds to the
//! plan digest; each change is audited, chained and written back to the Jira issue.

use clearance::{
    audit,
    requests::{state::State, writeback},
    store::{RequestRow, RolePolicy},
};
use clearance_sandbox::jira::{JiraSim, people};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp},
    on_each_backend,
    panel::Panel,
    sandbox_jira::{site_and_app, wait_for_async},
};

on_each_backend!(
    groups_are_cached_and_jira_failures_explained,
    review_and_approval_end_to_end,
    forbidden_actions_change_nothing,
    a_change_after_approval_voids_it,
    bad_commands_are_refused,
);

/// Analyst and privacy officer in one person, for the separation-of-duty rule.
const DUAL: &str = "557058:dana-dual";

struct Ctx {
    sim: JiraSim,
    app: TestApp,
    issue_id: String,
    key: String,
    _warehouse: tempfile::TempDir,
}

async fn setup(backend: Backend) -> Ctx {
    let (sim, app) = site_and_app(backend).await;
    let warehouse = crate::dry_run::add_warehouse(&sim, &app, "warehouse").await;
    sim.add_user(
        DUAL,
        "Dana Dual",
        "dana@example.com",
        &["clearance-analysts", "clearance-privacy"],
    );
    let key = sim.create_issue(
        "DATA",
        "Churned customers",
        "Emails of churned customers",
        &["data-request"],
        people::REQUESTER,
    );
    let issue_id = sim.issue(&key).unwrap().id.to_string();
    let ctx = Ctx {
        sim,
        app,
        issue_id,
        key,
        _warehouse: warehouse,
    };
    wait_for_async(|| async { ctx.row().await }).await;
    ctx
}

impl Ctx {
    async fn tenant_id(&self) -> String {
        self.app
            .tenant(&self.sim.client_key())
            .await
            .unwrap()
            .tenant
            .id
    }

    async fn row(&self) -> Option<RequestRow> {
        let t = self.tenant_id().await;
        self.app
            .state
            .store
            .request_by_issue(&t, &self.issue_id)
            .await
            .unwrap()
    }

    fn panel(&self) -> Panel<'_> {
        Panel {
            sim: &self.sim,
            app: &self.app,
            issue_id: &self.issue_id,
        }
    }

    fn token(&self, who: &str) -> String {
        self.panel().token(who)
    }

    async fn show(&self, who: &str) -> (StatusCode, Value) {
        self.panel().view(who).await
    }

    async fn send(&self, who: &str, body: Value) -> (StatusCode, Value) {
        self.panel().command(who, body).await
    }

    async fn send_raw(&self, token: &str, issue_id: &str, body: String) -> (StatusCode, Value) {
        self.panel()
            .post_raw(token, issue_id, "/commands", Some(body))
            .await
    }

    /// Dry-run the saved plan (submission needs its scan).
    async fn dry_run(&self, who: &str) {
        let (status, v) = self.panel().dry_run(who).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }

    async fn ok(&self, who: &str, body: Value) -> Value {
        self.panel().ok(who, body).await
    }

    /// The request's stored version and its number of audit events: both unchanged by a refused command.
    async fn fingerprint(&self) -> (i64, usize, State) {
        let r = self.row().await.unwrap();
        let events = self
            .app
            .state
            .store
            .request_audit(&r.id)
            .await
            .unwrap()
            .len();
        (r.version, events, r.state)
    }

    async fn property_state(&self) -> Option<String> {
        self.sim
            .property(&self.key, writeback::PROPERTY)
            .and_then(|p| p["state"].as_str().map(str::to_owned))
    }

    async fn wait_property(&self, state: &str) {
        wait_for_async(|| async {
            (self.property_state().await.as_deref() == Some(state)).then_some(())
        })
        .await;
    }

    fn comments_with(&self, text: &str) -> usize {
        let issue = self.sim.issue(&self.key).unwrap();
        issue
            .comments
            .iter()
            .filter(|c| clearance::jira::adf::plain_text(&c.body).contains(text))
            .count()
    }
}

fn plan(max_rows: u64) -> Value {
    json!({
        "source": "warehouse",
        "sql": "SELECT id, email FROM customers WHERE marketing_consent",
        "masking": {"email": "mask"},
        "max_rows": max_rows,
        "max_bytes": 10_000_000,
        "format": "csv",
        "encryption": "age",
        "recipients": [people::REQUESTER],
    })
}

async fn review_and_approval_end_to_end(backend: Backend) {
    let c = setup(backend).await;
    c.wait_property("new").await;

    // An ID file attached to the ticket reaches the request through the sync job.
    c.sim.attach(
        &c.key,
        people::REQUESTER,
        "customer_ids.csv",
        "text/csv",
        b"customer_id\n1\n2\n".to_vec(),
    );
    wait_for_async(|| async {
        c.row()
            .await
            .filter(|r| r.attachments.contains("customer_ids.csv"))
    })
    .await;
    let (status, view) = c.show(people::ANALYST).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["request"]["state"], "new");
    assert_eq!(
        view["request"]["attachments"][0]["filename"],
        "customer_ids.csv"
    );
    assert_eq!(view["request"]["attachments"][0]["size"], 16);
    assert_eq!(view["you"]["roles"]["analyst"], true);
    assert_eq!(view["you"]["roles"]["privacy"], false);
    assert_eq!(view["allowed"], json!(["claim"]));

    c.ok(people::ANALYST, json!({"command": "claim"})).await;
    let saved = c
        .ok(
            people::ANALYST,
            json!({"command": "save_plan", "plan": plan(1000)}),
        )
        .await;
    let digest = saved["request"]["planDigest"].as_str().unwrap().to_owned();
    assert_eq!(digest.len(), 64);
    c.dry_run(people::ANALYST).await;
    let submitted = c
        .ok(
            people::ANALYST,
            json!({"command": "submit", "personal_data": true}),
        )
        .await;
    assert_eq!(submitted["request"]["state"], "awaiting_privacy_approval");
    c.wait_property("awaiting_privacy_approval").await;
    wait_for_async(|| async {
        (c.comments_with("waiting for a privacy officer") == 1).then_some(())
    })
    .await;

    let (_, view) = c.show(people::PRIVACY_OFFICER).await;
    assert_eq!(view["allowed"], json!(["approve", "reject", "dry_run"]));
    assert_eq!(view["request"]["plan"]["masking"]["email"], "mask");
    let approved = c
        .ok(
            people::PRIVACY_OFFICER,
            json!({"command": "approve", "digest": digest}),
        )
        .await;
    assert_eq!(approved["request"]["state"], "approved");
    assert_eq!(approved["request"]["approvedBy"], people::PRIVACY_OFFICER);
    assert_eq!(approved["request"]["approvedDigest"], digest.as_str());
    c.wait_property("approved").await;
    wait_for_async(|| async {
        (c.comments_with("extraction plan was approved") == 1).then_some(())
    })
    .await;

    let extracting = c.ok(people::ANALYST, json!({"command": "extract"})).await;
    assert_eq!(extracting["request"]["state"], "extracting");
    c.wait_property("extracting").await;

    // The trail: who did what, in order, chained.
    let r = c.row().await.unwrap();
    let events = c.app.state.store.request_audit(&r.id).await.unwrap();
    let trail: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        trail,
        [
            ("request.created", "jira"),
            ("request.claimed", people::ANALYST),
            ("request.plan_saved", people::ANALYST),
            ("request.dry_run", people::ANALYST),
            ("request.submitted", people::ANALYST),
            ("request.approved", people::PRIVACY_OFFICER),
            ("request.extraction_started", people::ANALYST),
        ]
    );
    let approval = events
        .iter()
        .find(|e| e.action == "request.approved")
        .unwrap();
    assert_eq!(approval.detail_value().unwrap()["digest"], digest.as_str());
    let report = audit::verify::verify(&c.app.state.store, &c.tenant_id().await)
        .await
        .unwrap();
    assert!(report.ok(), "{report}");
    assert_eq!(
        report.verified, 8,
        "the data source, then the request's seven events"
    );
    // The panel shows the trail too.
    let (_, view) = c.show(people::REQUESTER).await;
    assert_eq!(view["audit"].as_array().unwrap().len(), 7);
    assert_eq!(view["you"]["requester"], true);
    assert_eq!(view["allowed"], json!([]));

    // A write-back that runs again (a retry after Jira accepted the comment) does not comment twice.
    let seq = approval.seq;
    let again = c
        .app
        .state
        .store
        .enqueue_job(&clearance::jobs::kinds::IssueWriteback::job(&r, seq))
        .await
        .unwrap()
        .expect("enqueued");
    let job = wait_for_async(|| async {
        c.app
            .state
            .store
            .job(&again)
            .await
            .unwrap()
            .filter(|j| j.state == "done" || j.state == "dead")
    })
    .await;
    assert_eq!(job.state, "done", "{:?}", job.last_error);
    assert_eq!(c.comments_with("extraction plan was approved"), 1);
    assert_eq!(c.comments_with(&format!("audit event #{seq}")), 1);
    // Never any plan content in Jira.
    assert_eq!(c.comments_with("SELECT"), 0);
    c.app.cleanup().await;
}

async fn forbidden_actions_change_nothing(backend: Backend) {
    let c = setup(backend).await;
    let refused = |who: &'static str, body: Value, status: StatusCode, words: &'static str| {
        let c = &c;
        async move {
            let before = c.fingerprint().await;
            let (got, v) = c.send(who, body.clone()).await;
            assert_eq!(got, status, "{who} {body}: {v}");
            let msg = v["error"].as_str().unwrap_or_default().to_owned();
            assert!(msg.contains(words), "{who} {body}: {msg}");
            assert_eq!(
                c.fingerprint().await,
                before,
                "{who} {body} changed something"
            );
        }
    };
    let forbidden = StatusCode::FORBIDDEN;
    // The requester cannot review their own request, nor can someone without the analyst role.
    refused(
        people::REQUESTER,
        json!({"command": "claim"}),
        forbidden,
        "you asked for this data",
    )
    .await;
    refused(
        people::PRIVACY_OFFICER,
        json!({"command": "claim"}),
        forbidden,
        "only analysts",
    )
    .await;
    refused(
        people::ADMIN,
        json!({"command": "claim"}),
        forbidden,
        "only analysts",
    )
    .await;
    c.ok(DUAL, json!({"command": "claim"})).await;
    refused(
        people::REQUESTER,
        json!({"command": "save_plan", "plan": plan(1)}),
        forbidden,
        "you asked",
    )
    .await;
    c.ok(DUAL, json!({"command": "save_plan", "plan": plan(10)}))
        .await;
    refused(
        people::PRIVACY_OFFICER,
        json!({"command": "submit", "personal_data": true}),
        forbidden,
        "only analysts",
    )
    .await;
    // Approving before submission is not possible in this state.
    let digest = c.row().await.unwrap().plan_digest.unwrap();
    let approve = json!({"command": "approve", "digest": digest});
    refused(
        people::PRIVACY_OFFICER,
        approve.clone(),
        StatusCode::CONFLICT,
        "in_review",
    )
    .await;
    c.dry_run(DUAL).await;
    c.ok(DUAL, json!({"command": "submit", "personal_data": true}))
        .await;
    // Not an analyst's job; never the requester's; not the plan's author while separation of duties is on.
    refused(
        people::ANALYST,
        approve.clone(),
        forbidden,
        "only privacy officers",
    )
    .await;
    refused(people::REQUESTER, approve.clone(), forbidden, "you asked").await;
    refused(DUAL, approve.clone(), forbidden, "separation of duties").await;
    refused(
        people::REQUESTER,
        json!({"command": "extract"}),
        forbidden,
        "you asked",
    )
    .await;
    // With the switch off for this tenant, the author may approve.
    let tenant = c.tenant_id().await;
    let mut policy = c
        .app
        .state
        .store
        .role_policy(&tenant)
        .await
        .unwrap()
        .unwrap();
    assert!(policy.sod_author_not_approver, "on by default");
    assert_eq!(policy.analyst_groups, ["clearance-analysts"]);
    policy.sod_author_not_approver = false;
    set_role_policy(&c, &tenant, &policy).await;
    c.ok(DUAL, approve).await;
    refused(
        people::REQUESTER,
        json!({"command": "extract"}),
        forbidden,
        "you asked",
    )
    .await;
    refused(
        people::PRIVACY_OFFICER,
        json!({"command": "extract"}),
        forbidden,
        "only analysts",
    )
    .await;
    // Group mapping is the tenant's: with analysts mapped to another group, the analyst is no longer one.
    set_role_policy(
        &c,
        &tenant,
        &RolePolicy {
            analyst_groups: vec!["data-team".into()],
            ..policy
        },
    )
    .await;
    refused(
        people::ANALYST,
        json!({"command": "extract"}),
        forbidden,
        "only analysts",
    )
    .await;
    c.app.cleanup().await;
}

async fn set_role_policy(c: &Ctx, tenant: &str, policy: &RolePolicy) {
    let mut tx = c.app.state.store.begin().await.unwrap();
    tx.set_role_policy(tenant, policy).await.unwrap();
    tx.commit().await.unwrap();
}

async fn a_change_after_approval_voids_it(backend: Backend) {
    let c = setup(backend).await;
    c.ok(people::ANALYST, json!({"command": "claim"})).await;
    let first = c
        .ok(
            people::ANALYST,
            json!({"command": "save_plan", "plan": plan(100)}),
        )
        .await;
    let old = first["request"]["planDigest"].as_str().unwrap().to_owned();
    c.dry_run(people::ANALYST).await;
    c.ok(
        people::ANALYST,
        json!({"command": "submit", "personal_data": true}),
    )
    .await;
    c.ok(
        people::PRIVACY_OFFICER,
        json!({"command": "approve", "digest": old}),
    )
    .await;

    // One more row than approved: back to review, approval gone, cannot extract.
    let changed = c
        .ok(
            people::ANALYST,
            json!({"command": "save_plan", "plan": plan(101)}),
        )
        .await;
    assert_eq!(changed["request"]["state"], "in_review");
    assert_eq!(changed["request"]["approvedDigest"], Value::Null);
    assert!(
        changed["request"]["reason"]
            .as_str()
            .unwrap()
            .contains("plan changed")
    );
    let new = changed["request"]["planDigest"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    let (status, v) = c.send(people::ANALYST, json!({"command": "extract"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    c.wait_property("in_review").await;

    // The privacy officer approving what they saw before the change is refused.
    c.dry_run(people::ANALYST).await;
    c.ok(
        people::ANALYST,
        json!({"command": "submit", "personal_data": true}),
    )
    .await;
    let (status, v) = c
        .send(
            people::PRIVACY_OFFICER,
            json!({"command": "approve", "digest": old}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v["error"].as_str().unwrap().contains("plan changed"));
    c.ok(
        people::PRIVACY_OFFICER,
        json!({"command": "approve", "digest": new}),
    )
    .await;

    // The void is on record.
    let r = c.row().await.unwrap();
    let events = c.app.state.store.request_audit(&r.id).await.unwrap();
    let void = events
        .iter()
        .find(|e| {
            e.action == "request.plan_saved" && e.detail_value().unwrap()["approval_voided"] == true
        })
        .expect("a voiding plan change");
    let d = void.detail_value().unwrap();
    assert_eq!(
        (d["from"].as_str(), d["to"].as_str()),
        (Some("approved"), Some("in_review"))
    );
    c.app.cleanup().await;
}

async fn bad_commands_are_refused(backend: Backend) {
    let c = setup(backend).await;
    let analyst = c.token(people::ANALYST);
    let before = c.fingerprint().await;
    let cases: Vec<(String, String, StatusCode)> = vec![
        (
            c.issue_id.clone(),
            "{not json".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            c.issue_id.clone(),
            json!({"command": "launch"}).to_string(),
            StatusCode::BAD_REQUEST,
        ),
        (
            c.issue_id.clone(),
            json!({"command": "cancel", "reason": "x"}).to_string(),
            StatusCode::BAD_REQUEST,
        ),
        (
            c.issue_id.clone(),
            json!({"command": "claim", "actor": people::PRIVACY_OFFICER}).to_string(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "DATA-1".into(),
            json!({"command": "claim"}).to_string(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "99999".into(),
            json!({"command": "claim"}).to_string(),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (issue, body, status) in cases {
        let (got, v) = c.send_raw(&analyst, &issue, body.clone()).await;
        assert_eq!(got, status, "{issue} {body}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    // A plan that is incomplete is refused with the field named.
    c.ok(people::ANALYST, json!({"command": "claim"})).await;
    let claimed = c.fingerprint().await;
    let mut bad = plan(10);
    bad["max_rows"] = json!(0);
    let (status, v) = c
        .send(
            people::ANALYST,
            json!({"command": "save_plan", "plan": bad}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap().contains("max_rows"));
    assert_eq!(c.fingerprint().await, claimed);
    // No token at all.
    let path = format!("/api/panel/requests/{}/commands", c.issue_id);
    let resp = c
        .app
        .http
        .post(c.app.url(&path))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(c.fingerprint().await.0, claimed.0);
    assert_ne!(before.0, claimed.0);
    c.app.cleanup().await;
}

async fn groups_are_cached_and_jira_failures_explained(backend: Backend) {
    let c = setup(backend).await;
    let group_reads = || {
        c.sim
            .rest_calls()
            .into_iter()
            .filter(|call| call.path.starts_with("/rest/api/3/user/groups"))
            .count()
    };
    // The admin's groups were read when the data source was registered.
    let before = group_reads();
    let (status, _) = c.show(people::ANALYST).await;
    assert_eq!(status, StatusCode::OK);
    c.ok(people::ANALYST, json!({"command": "claim"})).await;
    c.show(people::ANALYST).await;
    assert_eq!(
        group_reads() - before,
        1,
        "one Jira read per user while cached"
    );
    c.show(people::PRIVACY_OFFICER).await;
    assert_eq!(group_reads() - before, 2);

    // Jira failing to say who someone is: a clear 502, nothing changed.
    c.wait_property("in_review").await;
    let before = c.fingerprint().await;
    c.sim
        .faults()
        .server_errors(5, reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let (status, v) = c.send(DUAL, json!({"command": "claim"})).await;
    c.sim
        .faults()
        .server_errors(0, reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("cannot read your Jira groups"),
        "{v}"
    );
    assert_eq!(c.fingerprint().await, before);
    c.app.cleanup().await;
}
