//! The dashboard through the simulated Jira: requests taken to delivery (Slack connected, so the secret reaches
//! people), one rejected by the privacy officer, one left new; admins and privacy officers see this week's bars, lead
//! and waiting times, the personal data seen, the rows and the files due for removal, with a ticket summary that
//! tries `<script>` shown as text; others are refused on the page and the CSV; the CSV has the same numbers; another
//! site's requests never appear; a bad `weeks` is a 400.

use axum::Router;
use chrono::{Datelike, Duration, Utc};
use clearance::{
    crypto::tenant_secret_context,
    delivery::state::DeliveryState,
    requests::state::State,
    store::{DeliveryRow, InstallRecord, IssueSnapshot, SealedSecret},
};
use clearance_sandbox::{jira::people, slack as slack_sim};
use reqwest::StatusCode;
use serde_json::json;
use tokio::net::TcpListener;

use crate::{
    dry_run::{Site, plan},
    helpers::Backend,
    on_each_backend,
    panel::Panel,
};

on_each_backend!(admins_and_privacy_officers_see_the_sites_figures);

const SQL: &str = "SELECT id, first_name, email, country FROM customers ORDER BY id";

/// A summary that tries to run a script.
pub(crate) const EVIL: &str = "Churn <script>alert(1)</script>";

/// A site with Slack connected (Riley and Pia can be found by e-mail), so delivered requests end `delivered`.
pub(crate) async fn site_with_slack(backend: Backend) -> Site {
    let slack = slack_sim::SlackSim::new();
    let team = slack.add_team("Acme Corp");
    let bot = slack.add_bot(&team.id, "clearance");
    slack.add_user(&team.id, "riley", "Riley R.", "riley@example.com");
    slack.add_user(&team.id, "pia", "Pia P.", "pia@example.com");
    let channel = slack.add_channel(&team.id, "data-requests");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().nest("/slack", slack_sim::router(slack.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let site = Site::start_with(
        backend,
        vec![("slack_api_url", format!("http://{addr}/slack/api"))],
    )
    .await;
    let token = site.sim.context_token(people::ADMIN, json!({})).unwrap();
    let resp = site
        .app
        .http
        .put(site.app.url("/api/admin/slack"))
        .header("Authorization", format!("JWT {token}"))
        .json(&json!({"botToken": bot.token, "channel": channel.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    site
}

/// How a request's review ends.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum End {
    Delivered,
    Rejected,
}

/// Claim, plan with personal data, dry run, submit; then the privacy officer rejects, or approves and the analyst
/// extracts and the file and its secret are delivered.
pub(crate) async fn take_through(s: &Site, issue_id: &str, end: End) {
    let p = Panel {
        sim: &s.sim,
        app: &s.app,
        issue_id,
    };
    p.ok(people::ANALYST, json!({"command": "claim"})).await;
    let saved = p
        .ok(
            people::ANALYST,
            json!({"command": "save_plan", "plan": plan(SQL, json!({"email": "mask"}))}),
        )
        .await;
    let digest = saved["request"]["planDigest"].as_str().unwrap().to_owned();
    let (status, v) = p.dry_run(people::ANALYST).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    p.ok(
        people::ANALYST,
        json!({"command": "submit", "personal_data": true}),
    )
    .await;
    if end == End::Rejected {
        p.ok(
            people::PRIVACY_OFFICER,
            json!({"command": "reject", "reason": "Too broad: ask for a sample"}),
        )
        .await;
        return;
    }
    p.ok(
        people::PRIVACY_OFFICER,
        json!({"command": "approve", "digest": digest}),
    )
    .await;
    p.ok(people::ANALYST, json!({"command": "extract"})).await;
    let tenant = s.tenant_id().await;
    for _ in 0..600 {
        let r = s
            .app
            .state
            .store
            .request_by_issue(&tenant, issue_id)
            .await
            .unwrap()
            .unwrap();
        if r.state == State::Delivered {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("request {issue_id} was not delivered within a minute");
}

/// Another tenant with a request and a large delivery due for removal: none of it may show here.
async fn another_site(s: &Site) {
    let keys = s.app.state.cfg.master_keys.clone().expect("master keys");
    let client_key = format!("other-{}", uuid::Uuid::new_v4());
    let tenant = s
        .app
        .state
        .store
        .upsert_installed_tenant(&InstallRecord {
            client_key: client_key.clone(),
            shared_secret: SealedSecret(
                keys.seal(&tenant_secret_context(&client_key), "other-secret"),
            ),
            base_url: "https://other.atlassian.net".parse().unwrap(),
            display_url: "https://other.atlassian.net".parse().unwrap(),
            product_type: "jira".into(),
            description: None,
        })
        .await
        .unwrap();
    let mut tx = s.app.state.store.begin().await.unwrap();
    let up = tx
        .upsert_request(
            &tenant.tenant.id,
            &IssueSnapshot {
                issue_id: "90001".into(),
                issue_key: "OTHER-1".into(),
                project_key: "OTHER".into(),
                summary: "Other site's secret project".into(),
                description: String::new(),
                reporter: None,
                labels: vec!["data-request".into()],
                attachments: Vec::new(),
            },
        )
        .await
        .unwrap();
    let now = Utc::now();
    tx.insert_delivery(&DeliveryRow {
        state: DeliveryState::Uploaded,
        row_count: Some(999_999),
        uploaded_at: Some(now),
        expires_at: Some(now + Duration::days(2)),
        ..DeliveryRow::building(
            uuid::Uuid::new_v4().to_string(),
            &up.row,
            "d",
            "OTHER-1-zz.zip.age".into(),
            "age",
            now,
        )
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn admins_and_privacy_officers_see_the_sites_figures(backend: Backend) {
    let s = site_with_slack(backend).await;
    another_site(&s).await;
    take_through(&s, &s.issue_id, End::Delivered).await;
    let (evil_key, evil_id) = s.new_request(EVIL, "Please").await;
    take_through(&s, &evil_id, End::Delivered).await;
    let (_, rejected) = s.new_request("Everything about everyone", "Please").await;
    take_through(&s, &rejected, End::Rejected).await;
    s.new_request("Still to look at", "Please").await;

    let page = |who: &str, path: &str| {
        let url = s.sim.iframe_url(path, who, None).expect("app enabled");
        s.app.http.get(url).send()
    };
    let resp = page(people::ADMIN, "/dashboard").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("style-src 'self'") && csp.contains("frame-ancestors"),
        "{csp}"
    );
    let html = resp.text().await.unwrap();
    // This week: two delivered, one rejected, one still open; nothing from the other site.
    for bar in [
        ": 2 delivered</title>",
        ": 1 rejected</title>",
        ": 1 still open</title>",
    ] {
        assert!(html.contains(bar), "{bar} in the outcomes chart");
    }
    assert!(html.contains("role=\"img\""));
    assert!(
        html.contains(
            "<span class=\"value\">4</span><span class=\"label\">requests picked up</span>"
        )
    );
    assert!(
        html.contains(
            "<span class=\"value\">600</span><span class=\"label\">rows delivered</span>"
        )
    );
    assert!(!html.contains("style="), "no inline style under the CSP");
    assert!(!html.contains("Other site") && !html.contains("OTHER-1") && !html.contains("999,999"));
    // The ticket whose summary tries a script is listed among the files due for removal, as text.
    assert!(!html.contains(EVIL), "never raw");
    assert!(
        html.contains("<td class=\"summary\">Churn &#60;script&#62;alert(1)&#60;/script&#62;</td>"),
        "escaped by the template"
    );
    assert_eq!(
        html.matches("/browse/DATA-").count(),
        2,
        "both delivered files are due within 14 days"
    );
    assert!(html.contains(&format!("/browse/{evil_key}")));
    assert!(html.contains("E-mail address"), "personal data seen");

    let resp = page(people::PRIVACY_OFFICER, "/dashboard?weeks=4")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("last 4 weeks"));
    for who in [people::REQUESTER, people::ANALYST] {
        let resp = page(who, "/dashboard").await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{who}");
        let body = resp.text().await.unwrap();
        assert!(
            body.contains("for Clearance admins and privacy officers"),
            "{body}"
        );
        assert!(!body.contains("DATA-"), "no figures for {who}");
    }
    for bad in ["0", "abc", "105"] {
        let resp = page(people::ADMIN, &format!("/dashboard?weeks={bad}"))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "weeks={bad}");
        assert!(resp.text().await.unwrap().contains("from 1 to 104"));
    }

    // The CSV: context tokens, same roles, same numbers.
    let csv = |who: &str, query: &str| {
        let token = s.sim.context_token(who, json!({})).unwrap();
        s.app
            .http
            .get(s.app.url(&format!("/api/dashboard.csv{query}")))
            .header("Authorization", format!("JWT {token}"))
            .send()
    };
    let resp = csv(people::PRIVACY_OFFICER, "").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=\"clearance-dashboard.csv\""
    );
    let text = resp.text().await.unwrap();
    let today = Utc::now().date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let lines: Vec<&str> = text.lines().collect();
    for want in [
        format!("requests_per_week,{monday},delivered,requests,2"),
        format!("requests_per_week,{monday},rejected,requests,1"),
        format!("requests_per_week,{monday},open,requests,1"),
        format!("rows_delivered,{monday},,rows,600"),
        format!("rows_delivered,{monday},,files,2"),
        "window,,,weeks,12".into(),
        "lead_time,,to_approval,requests,2".into(),
        "lead_time,,to_delivery,requests,2".into(),
        "waiting,,analyst,requests,4".into(),
        "waiting,,privacy_officer,requests,3".into(),
        "pii,,email,requests,3".into(),
    ] {
        assert!(lines.contains(&want.as_str()), "{want} in\n{text}");
    }
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("requests_per_week,"))
            .count(),
        12 * 6
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("expiries,") && l.contains(",issue,"))
            .count(),
        2
    );
    assert!(
        !text.contains("OTHER") && !text.contains("999999"),
        "{text}"
    );
    assert_eq!(
        csv(people::ADMIN, "?weeks=1").await.unwrap().status(),
        StatusCode::OK
    );
    for who in [people::REQUESTER, people::ANALYST] {
        assert_eq!(
            csv(who, "").await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    for bad in ["?weeks=0", "?weeks=abc", "?weeks=105"] {
        let resp = csv(people::ADMIN, bad).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let anonymous = s
        .app
        .http
        .get(s.app.url("/api/dashboard.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    s.app.cleanup().await;
}
