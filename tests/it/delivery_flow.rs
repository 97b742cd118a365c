//! The whole delivery with Slack, end to end against the Jira and Slack simulators and the demo warehouse: an
//! approved plan lands on the issue once, with a comment that says how to open it and never the secret; the
//! requester and the privacy officer each get a DM whose one-time link reveals the passphrase (a page view does not
//! use it, a second click shows nothing), and the attachment downloaded from Jira opens with the `age` CLI or 7-Zip
//! using what the Slack inbox received. Someone Slack cannot find makes the request wait visibly until an admin maps
//! them; unused links expire and the secret is wiped; retention reminds, then removes; erasure finds the deliveries
//! of a data subject and removes them.

use std::{path::Path, time::Duration};

use axum::Router;

use chrono::Utc;
use clearance::{
    delivery::{erase, retention, state::DeliveryState},
    jira::adf,
    requests::state::State,
    store::{DeliveryRow, RequestRow},
};
use clearance_sandbox::{
    jira::{IssueEdit, people},
    slack::{self as slack_sim, Conversation, ConversationKind, Message, SlackSim, User},
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;

use crate::{
    dry_run::{Site, plan},
    extract_tools::{
        age_decrypt_identity, age_decrypt_passphrase, age_identity, have, seven_zip_extract,
    },
    helpers::Backend,
    on_each_backend,
};

on_each_backend!(
    secret_reaches_requester_and_privacy_officer_through_slack,
    zip_aes_with_the_password_in_the_dm_opens_with_7zip,
    someone_slack_cannot_find_makes_the_request_wait,
    unused_links_expire_and_the_secret_is_wiped,
    slack_rate_limits_are_waited_out_without_a_second_dm,
    a_revoked_token_waits_for_the_admin_and_nothing_is_lost,
    retention_reminds_then_removes_the_file,
    closing_the_issue_removes_the_file_when_the_site_says_so,
    retention_rules_are_bounded_and_move_the_removal_date,
    erasure_finds_and_removes_a_subjects_deliveries,
    age_keys_make_a_file_without_a_password,
    a_missing_age_key_fails_the_extraction_naming_who,
);

const SQL: &str = "SELECT id, first_name, email, country FROM customers ORDER BY id";

/// A site whose Slack workspace has the bot, Riley (the requester's e-mail), maybe Pia (the privacy officer's) and
/// the team channel; Slack is connected through the admin API.
pub(crate) struct Flow {
    pub(crate) site: Site,
    pub(crate) slack: SlackSim,
    bot: slack_sim::Bot,
    riley: User,
    pia: Option<User>,
    channel: Conversation,
}

impl Flow {
    pub(crate) async fn start(backend: Backend, pia_in_slack: bool) -> Self {
        let slack = SlackSim::new();
        let team = slack.add_team("Acme Corp");
        let bot = slack.add_bot(&team.id, "clearance");
        let riley = slack.add_user(&team.id, "riley", "Riley R.", "riley@example.com");
        let pia =
            pia_in_slack.then(|| slack.add_user(&team.id, "pia", "Pia P.", "pia@example.com"));
        let channel = slack.add_channel(&team.id, "data-requests");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().nest("/slack", slack_sim::router(slack.clone()));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let url = format!("http://{addr}/slack/api");
        let site = Site::start_with(backend, vec![("slack_api_url", url)]).await;
        let flow = Self {
            site,
            slack,
            bot,
            riley,
            pia,
            channel,
        };
        let body = json!({"botToken": flow.bot.token, "channel": flow.channel.id});
        let (status, v) = flow.admin("PUT", "/api/admin/slack", Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        flow
    }

    async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.site.call(people::ADMIN, method, path, body).await
    }

    /// The direct messages `user` received, oldest first.
    fn dms(&self, user: &User) -> Vec<Message> {
        let mut v: Vec<Message> = self
            .slack
            .inbox(&user.id)
            .into_iter()
            .filter(|m| m.channel_kind == ConversationKind::Im)
            .collect();
        v.reverse();
        v
    }

    /// The team channel's messages, as text.
    pub(crate) fn notices(&self) -> Vec<String> {
        self.slack
            .messages_in(&self.channel.id)
            .iter()
            .map(|m| format!("{} {}", m.text, m.blocks.clone().unwrap_or_default()))
            .collect()
    }

    /// The request once it is in `state` (a minute at most: jobs wait out retries).
    async fn request_in(&self, state: State) -> RequestRow {
        until(|| async { Some(self.site.request().await).filter(|r| r.state == state) }).await
    }

    /// The issue's comments as plain text.
    pub(crate) fn comments(&self) -> Vec<String> {
        let issue = self.site.sim.issue(&self.site.key).unwrap();
        issue
            .comments
            .iter()
            .map(|c| adf::plain_text(&c.body))
            .collect()
    }

    /// The issue's comments, joined, once one of them contains `needle` (comments are written by a job, after the
    /// state change the test waited for).
    async fn comments_with(&self, needle: &str) -> String {
        until(|| async {
            let all = self.comments();
            all.iter()
                .any(|c| c.contains(needle))
                .then(|| all.join("\n"))
        })
        .await
    }

    async fn get(&self, url: &str) -> (StatusCode, String) {
        let resp = self.site.app.http.get(url).send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    async fn post(&self, url: &str) -> (StatusCode, String) {
        let resp = self.site.app.http.post(url).send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    /// Reveal through the link: the page first (nothing used), then the button; returns the secret.
    async fn reveal(&self, url: &str) -> String {
        let (status, page) = self.get(url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("Reveal the password"), "{page}");
        let (status, again) = self.get(url).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "looking does not use the link: {again}"
        );
        let (status, shown) = self.post(url).await;
        assert_eq!(status, StatusCode::OK, "{shown}");
        let secret = shown
            .split("aria-label=\"password\">")
            .nth(1)
            .and_then(|r| r.split("</span>").next())
            .expect("the page shows the password")
            .to_owned();
        let (status, gone) = self.post(url).await;
        assert_eq!(status, StatusCode::GONE, "single use: {gone}");
        assert!(!gone.contains(&secret));
        secret
    }

    async fn set_delivery(&self, d: &DeliveryRow, change: impl FnOnce(&mut DeliveryRow)) {
        let store = &self.site.app.state.store;
        let mut tx = store.begin().await.unwrap();
        let mut row = tx
            .lock_delivery(&d.tenant_id, &d.id)
            .await
            .unwrap()
            .unwrap();
        change(&mut row);
        tx.save_delivery(&row).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn audit_actions(&self) -> Vec<(String, Value)> {
        let r = self.site.request().await;
        let store = &self.site.app.state.store;
        store
            .request_audit(&r.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| {
                let d = e.detail_value().unwrap();
                (e.action, d)
            })
            .collect()
    }
}

/// Poll `probe` for up to a minute.
pub(crate) async fn until<T, F: std::future::Future<Output = Option<T>>>(
    mut probe: impl FnMut() -> F,
) -> T {
    for _ in 0..600 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("condition not reached within a minute");
}

/// The reveal link in a DM's button.
fn reveal_url(m: &Message) -> String {
    let blocks = m.blocks.clone().unwrap_or_default();
    blocks
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .find_map(|e| e["url"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no reveal button in {blocks}"))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

async fn secret_reaches_requester_and_privacy_officer_through_slack(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    s.approve_and_extract_plan(plan(SQL, json!({"email": "mask"})))
        .await;
    let r = f.request_in(State::Delivered).await;
    assert_eq!(r.reason, None);
    let d = s.uploaded().await;
    let files = s.attachments_named(&d.file_name);
    assert_eq!(files.len(), 1, "one attachment");

    // One DM each, with a reveal link and no secret in it.
    let pia = f.pia.as_ref().unwrap();
    let (riley_dms, pia_dms) = (f.dms(&f.riley), f.dms(pia));
    assert_eq!(
        (riley_dms.len(), pia_dms.len()),
        (1, 1),
        "{riley_dms:?} {pia_dms:?}"
    );
    let secret = s.secret(&d);
    for m in riley_dms.iter().chain(&pia_dms) {
        let all = format!("{} {}", m.text, m.blocks.clone().unwrap_or_default());
        assert!(all.contains(&d.file_name) && all.contains(&s.key), "{all}");
        assert!(
            !all.contains(&secret),
            "the DM holds a link, not the secret"
        );
    }
    // The panel shows the delivery (never the secret); Pia reveals hers from the panel, once.
    let (_, v) = s.view(people::PRIVACY_OFFICER).await;
    let shown = &v["delivery"];
    assert_eq!(shown["file"], d.file_name.as_str(), "{v}");
    assert_eq!(shown["state"], "uploaded");
    assert_eq!(shown["rows"], 300);
    assert_eq!(shown["canReveal"], true);
    assert_eq!(shown["recipients"].as_array().unwrap().len(), 2);
    assert!(!v.to_string().contains(&secret));
    let (_, analyst) = s.view(people::ANALYST).await;
    assert_eq!(
        analyst["delivery"]["canReveal"], false,
        "not sent to the analyst"
    );
    let panel = s.panel();
    let reveal_in_panel = |who: &'static str| {
        let token = panel.token(who);
        let issue = s.issue_id.clone();
        let panel = s.panel();
        async move { panel.post_raw(&token, &issue, "/reveal", None).await }
    };
    let (status, v) = reveal_in_panel(people::ANALYST).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let (status, v) = reveal_in_panel(people::PRIVACY_OFFICER).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["secret"], secret.as_str());
    let (status, _) = reveal_in_panel(people::PRIVACY_OFFICER).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "once");
    let (status, page) = f.post(&reveal_url(&pia_dms[0])).await;
    assert_eq!(
        status,
        StatusCode::GONE,
        "the link was the same one-time secret: {page}"
    );

    let riley_secret = f.reveal(&reveal_url(&riley_dms[0])).await;
    assert_eq!(riley_secret, secret);
    assert_eq!(
        s.uploaded().await.secret_sealed,
        None,
        "wiped after the last reveal"
    );
    let (_, v) = s.view(people::REQUESTER).await;
    assert_eq!(v["delivery"]["secretKept"], false);
    assert_eq!(v["delivery"]["canReveal"], false);

    // The attachment from Jira opens with the age CLI and the secret from the Slack link.
    if have("age", "age") && have("script", "bsdutils") {
        let dir = tempfile::tempdir().unwrap();
        let bundle = write(dir.path(), &d.file_name, &files[0]);
        let zip = dir.path().join("out.zip");
        age_decrypt_passphrase(&bundle, &riley_secret, &zip);
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
        assert!(archive.by_name("manifest.json").is_ok());
    }

    // The comment says what and how, never the secret; every step is on record; the team heard.
    let comments = f.comments_with(&d.file_name).await;
    for part in [
        d.file_name.as_str(),
        d.bundle_sha256.as_deref().unwrap(),
        "300 rows",
        "email (mask)",
        "age -d -o",
        "one-time link",
    ] {
        assert!(comments.contains(part), "{part:?} in {comments}");
    }
    assert!(!comments.contains(&secret));
    let actions = f.audit_actions().await;
    let revealed: Vec<&Value> = actions
        .iter()
        .filter(|(a, _)| a == "secret.revealed")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(revealed.len(), 2, "{actions:?}");
    assert_eq!(revealed[1]["secret_wiped"], true);
    let delivered = actions
        .iter()
        .find(|(a, _)| a == "request.delivered")
        .map(|(_, d)| d.clone())
        .unwrap();
    assert_eq!(delivered["secret_via"], "link");
    assert_eq!(delivered["approved_by"], people::PRIVACY_OFFICER);
    let notices = until(|| async {
        let n = f.notices();
        n.iter().any(|t| t.contains("Delivered")).then_some(n)
    })
    .await;
    for what in ["Awaiting privacy approval", "Approved", "Delivered"] {
        assert!(
            notices.iter().any(|n| n.contains(what)),
            "{what} in {notices:?}"
        );
    }
    assert!(
        !notices
            .iter()
            .any(|n| n.contains(&secret) || n.contains("@example.com")),
        "{notices:?}"
    );
}

async fn zip_aes_with_the_password_in_the_dm_opens_with_7zip(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let (status, v) = f
        .admin("PUT", "/api/admin/slack", Some(json!({"secretInDm": true})))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let s = &f.site;
    let mut p = plan(SQL, json!({"email": "mask"}));
    p["encryption"] = json!("zip_aes");
    s.approve_and_extract_plan(p).await;
    f.request_in(State::Delivered).await;
    let d = s.uploaded().await;
    assert!(d.file_name.ends_with(".zip") && d.encryption == "zip-aes");
    assert_eq!(
        d.secret_sealed, None,
        "the secret travelled in the DMs; nothing kept"
    );
    let dm = &f.dms(&f.riley)[0];
    let blocks = dm.blocks.clone().unwrap_or_default().to_string();
    let password = blocks
        .split("Password: `")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .expect("the password is in the DM's blocks")
        .to_owned();
    assert!(!dm.text.contains(&password), "not in the notification text");
    assert_eq!(f.dms(f.pia.as_ref().unwrap()).len(), 1);
    if have("7z", "p7zip-full") {
        let dir = tempfile::tempdir().unwrap();
        let bundle = write(
            dir.path(),
            &d.file_name,
            &s.attachments_named(&d.file_name)[0],
        );
        let out = dir.path().join("out");
        assert!(
            seven_zip_extract(&bundle, &password, &out),
            "7-Zip opens it"
        );
        assert!(!seven_zip_extract(&bundle, "wrong", &dir.path().join("no")));
        let csv = std::fs::read_dir(&out)
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.path().extension().is_some_and(|x| x == "csv"))
            .expect("a CSV inside");
        let text = std::fs::read_to_string(csv.path()).unwrap();
        assert_eq!(text.lines().count(), 301);
    }
    let comments = f.comments_with("7-Zip").await;
    assert!(
        comments.contains("7-Zip") && !comments.contains(&password),
        "{comments}"
    );
}

async fn someone_slack_cannot_find_makes_the_request_wait(backend: Backend) {
    let f = Flow::start(backend, false).await;
    let s = &f.site;
    s.approve_and_extract_plan(plan(SQL, json!({"email": "mask"})))
        .await;
    let r = f.request_in(State::AwaitingDelivery).await;
    let reason = r.reason.unwrap_or_default();
    assert!(
        reason.contains("Pia Privacy") && reason.contains("admin page"),
        "{reason}"
    );
    assert_eq!(f.dms(&f.riley).len(), 1, "the requester was told");
    let (_, panel) = s.view(people::ANALYST).await;
    assert_eq!(panel["request"]["state"], "awaiting_delivery", "{panel}");
    until(|| async {
        f.comments()
            .iter()
            .any(|c| c.contains("could not be sent to everyone yet"))
            .then_some(())
    })
    .await;

    // Riley reveals hers; the secret is kept for Pia, whom nobody could tell yet, even once her untold link's time
    // has passed (the sweep leaves it too).
    let d = s.uploaded().await;
    let store = &s.app.state.store;
    let links = store.secret_links(&d.tenant_id, &d.id).await.unwrap();
    let untold = links
        .iter()
        .find(|l| l.account_id == people::PRIVACY_OFFICER)
        .unwrap();
    assert_eq!(untold.notified_at, None);
    let mut tx = store.begin().await.unwrap();
    let past = Utc::now() - chrono::Duration::seconds(1);
    assert!(
        tx.renew_secret_link(&untold.id, &untold.token_hash, past)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(
        f.reveal(&reveal_url(&f.dms(&f.riley)[0])).await,
        s.secret(&d)
    );
    assert!(s.uploaded().await.secret_sealed.is_some());
    let swept = retention::sweep(&s.app.state.store).await.unwrap();
    assert_eq!(swept.wiped, 0, "{swept:?}");

    // An admin maps Pia to a Slack user: the waiting delivery goes out at once, Riley is not told twice.
    let team = f.slack.teams()[0].id.clone();
    let pia = f
        .slack
        .add_user(&team, "pia2", "Pia (work)", "pia@corp.test");
    let path = format!("/api/admin/slack/users/{}", people::PRIVACY_OFFICER);
    let (status, v) = f
        .admin("PUT", &path, Some(json!({"slackUserId": pia.id})))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    f.request_in(State::Delivered).await;
    assert_eq!(f.dms(&pia).len(), 1);
    assert_eq!(f.dms(&f.riley).len(), 1, "one DM to Riley in all");
    let url = reveal_url(&f.dms(&pia)[0]);
    let secret = s.secret(&s.uploaded().await);
    assert_eq!(f.reveal(&url).await, secret);
    assert_eq!(
        s.uploaded().await.secret_sealed,
        None,
        "wiped after the last one"
    );
}

async fn unused_links_expire_and_the_secret_is_wiped(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    s.approve_and_extract_plan(plan(SQL, json!({"email": "mask"})))
        .await;
    f.request_in(State::Delivered).await;
    let d = s.uploaded().await;
    let url = reveal_url(&f.dms(&f.riley)[0]);
    let store = &s.app.state.store;
    // Time passes: the links' lifetime ends unused.
    let mut tx = store.begin().await.unwrap();
    tx.expire_secret_links(&d.id, Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
    let (status, page) = f.get(&url).await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    let (status, _) = f.post(&url).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(s.uploaded().await.secret_sealed.is_some());
    let swept = retention::sweep(store).await.unwrap();
    assert_eq!(swept.wiped, 1, "{swept:?}");
    assert_eq!(s.uploaded().await.secret_sealed, None);
    assert_eq!(retention::sweep(store).await.unwrap().wiped, 0, "once");
    // The panel has nothing to reveal either.
    let (status, v) = s
        .panel()
        .post_raw(
            &s.panel().token(people::REQUESTER),
            &s.issue_id,
            "/reveal",
            None,
        )
        .await;
    assert!(status.is_client_error(), "{status} {v}");
}

async fn retention_reminds_then_removes_the_file(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    s.approve_and_extract_plan(plan(SQL, json!({"email": "mask"})))
        .await;
    f.request_in(State::Delivered).await;
    let d = s.uploaded().await;
    let store = &s.app.state.store;
    assert_eq!(
        retention::sweep(store).await.unwrap(),
        Default::default(),
        "nothing due yet"
    );

    // A day before removal, the requester is reminded (once) and the team hears.
    f.set_delivery(&d, |d| {
        d.uploaded_at = Some(Utc::now() - chrono::Duration::days(6));
        d.expires_at = Some(Utc::now() + chrono::Duration::hours(3));
    })
    .await;
    assert_eq!(retention::sweep(store).await.unwrap().reminders, 1);
    until(|| async {
        f.dms(&f.riley)
            .iter()
            .any(|m| m.text.contains("removed soon"))
            .then_some(())
    })
    .await;
    until(|| async { s.uploaded().await.reminded_at.map(|_| ()) }).await;
    assert_eq!(retention::sweep(store).await.unwrap().reminders, 0, "once");
    until(|| async {
        f.notices()
            .iter()
            .any(|n| n.contains(&s.key) && n.to_lowercase().contains("expir"))
            .then_some(())
    })
    .await;

    // At the end of retention the attachment is deleted, the request expired, the removal noted and audited.
    f.set_delivery(&d, |d| {
        d.expires_at = Some(Utc::now() - chrono::Duration::seconds(1))
    })
    .await;
    assert_eq!(retention::sweep(store).await.unwrap().expiring, 1);
    f.request_in(State::Expired).await;
    assert!(s.attachments_named(&d.file_name).is_empty());
    let gone = s
        .deliveries()
        .await
        .into_iter()
        .find(|x| x.id == d.id)
        .unwrap();
    assert_eq!(gone.state, DeliveryState::Expired);
    assert_eq!(gone.secret_sealed, None);
    let (_, detail) = f
        .audit_actions()
        .await
        .into_iter()
        .find(|(a, _)| a == "request.expired")
        .unwrap();
    assert_eq!(detail["bundle_sha256"], d.bundle_sha256.clone().unwrap());
    assert_eq!(detail["why"], "retention");
    until(|| async {
        f.comments()
            .iter()
            .any(|c| c.contains("was removed from this issue because its retention period ended"))
            .then_some(())
    })
    .await;
}

async fn closing_the_issue_removes_the_file_when_the_site_says_so(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    let (status, v) = f
        .admin(
            "PUT",
            "/api/admin/retention",
            Some(json!({"expireOnClose": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    s.approve_and_extract_plan(plan(SQL, json!({"email": "mask"})))
        .await;
    f.request_in(State::Delivered).await;
    let d = s.uploaded().await;
    let done = IssueEdit {
        status: Some("Done".into()),
        ..Default::default()
    };
    s.sim.edit_issue(&s.key, people::REQUESTER, done).unwrap();
    f.request_in(State::Expired).await;
    assert!(s.attachments_named(&d.file_name).is_empty());
    let (_, detail) = f
        .audit_actions()
        .await
        .into_iter()
        .find(|(a, _)| a == "request.expired")
        .unwrap();
    assert_eq!(detail["why"], "issue closed");
}

async fn erasure_finds_and_removes_a_subjects_deliveries(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    let file = b"customer_id\n3\n5\n 7 \n".to_vec();
    let sha = hex::encode(Sha256::digest(&file));
    let id = s
        .sim
        .attach(&s.key, people::REQUESTER, "ids.csv", "text/csv", file)
        .unwrap();
    until(|| async {
        let (_, v) = s.view(people::ANALYST).await;
        (v["request"]["attachments"].as_array().map(Vec::len) == Some(1)).then_some(())
    })
    .await;
    let mut p = plan(
        "SELECT id, email FROM customers WHERE id IN (:ids) ORDER BY id",
        json!({"email": "mask"}),
    );
    p["id_list"] = json!({"attachment_id": id.to_string(), "file_name": "ids.csv", "sha256": sha,
                          "column": "customer_id", "parameter": "ids"});
    s.approve_and_extract_plan(p).await;
    f.request_in(State::Delivered).await;
    let d = s.uploaded().await;
    assert_eq!(d.row_count, Some(3));
    let app = &s.app.state;

    // Listing finds the delivery by any of its IDs (as written, or in canonical form), and nothing for others.
    for subject in ["7", "007", "5"] {
        let found = erase::erase(app, subject, None, false).await.unwrap();
        assert_eq!(found.len(), 1, "{subject}: {found:?}");
        assert_eq!(found[0].delivery.id, d.id);
        assert_eq!(found[0].issue_key, s.key);
        assert!(found[0].outcome.is_none());
    }
    for other in ["4", "8", "anna@example.com"] {
        assert!(
            erase::erase(app, other, None, false)
                .await
                .unwrap()
                .is_empty(),
            "{other}"
        );
    }
    assert!(erase::erase(app, " ", None, false).await.is_err());
    assert!(
        erase::erase(app, "5", Some("no-such-tenant"), false)
            .await
            .is_err()
    );
    assert_eq!(
        s.attachments_named(&d.file_name).len(),
        1,
        "listing removes nothing"
    );

    // --apply removes it: attachment deleted, request expired for erasure, audited; then nothing is live.
    let client_key = s.sim.client_key();
    let found = erase::erase(app, "5", Some(&client_key), true)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].outcome, Some(Ok("attachment deleted")));
    assert!(s.attachments_named(&d.file_name).is_empty());
    let r = f.request_in(State::Expired).await;
    assert_eq!(r.state, State::Expired);
    let (_, detail) = f
        .audit_actions()
        .await
        .into_iter()
        .find(|(a, _)| a == "request.expired")
        .unwrap();
    assert_eq!(detail["why"], "erasure");
    assert!(
        erase::erase(app, "5", None, false)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn slack_rate_limits_are_waited_out_without_a_second_dm(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    f.slack.rate_limit_method("conversations.open", 1);
    s.approve_and_extract_plan(plan(SQL, json!({"email": "mask"})))
        .await;
    // Slack answers 429 to opening the DM until the limit is lifted; the request stays extracting meanwhile.
    until(|| async { (f.slack.call_count("conversations.open") >= 2).then_some(()) }).await;
    assert_eq!(s.request().await.state, State::Extracting);
    f.slack.clear_rate_limits();
    f.request_in(State::Delivered).await;
    assert_eq!(f.dms(&f.riley).len(), 1);
    assert_eq!(f.dms(f.pia.as_ref().unwrap()).len(), 1);
    let actions = f.audit_actions().await;
    assert!(
        !actions
            .iter()
            .any(|(a, _)| a == "request.awaiting_delivery"),
        "a short rate limit is not shown as waiting: {actions:?}"
    );
    let d = s.uploaded().await;
    assert_eq!(
        f.reveal(&reveal_url(&f.dms(&f.riley)[0])).await,
        s.secret(&d)
    );
}

async fn a_revoked_token_waits_for_the_admin_and_nothing_is_lost(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    f.slack.revoke_token(&f.bot.token);
    s.approve_and_extract_plan(plan(SQL, json!({"email": "mask"})))
        .await;
    let r = f.request_in(State::AwaitingDelivery).await;
    let reason = r.reason.unwrap_or_default();
    assert!(
        reason.contains("token_revoked") || reason.contains("revoked"),
        "{reason}"
    );
    assert!(reason.contains("admin"), "says who can fix it: {reason}");
    assert!(f.dms(&f.riley).is_empty());

    // The admin pastes a new token: the delivery goes out at once.
    let team = f.slack.teams()[0].id.clone();
    let bot = f.slack.add_bot(&team, "clearance-2");
    let (status, v) = f
        .admin(
            "PUT",
            "/api/admin/slack",
            Some(json!({"botToken": bot.token})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    f.request_in(State::Delivered).await;
    assert_eq!(f.dms(&f.riley).len(), 1);
    assert_eq!(f.dms(f.pia.as_ref().unwrap()).len(), 1);
}

async fn retention_rules_are_bounded_and_move_the_removal_date(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    let (status, v) = f.admin("GET", "/api/admin/retention", None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["retention"],
        json!({"defaultDays": 7, "minDays": 1, "maxDays": 30, "expireOnClose": false})
    );
    // Refused input changes nothing.
    for bad in [
        json!({"defaultDays": 40}),
        json!({"minDays": 0}),
        json!({"maxDays": 4000, "defaultDays": 3000}),
        json!({"defaultDays": "seven"}),
        json!({"keepForever": true}),
    ] {
        let (status, v) = f
            .admin("PUT", "/api/admin/retention", Some(bad.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
    }
    let (_, v) = f.admin("GET", "/api/admin/retention", None).await;
    assert_eq!(v["retention"]["defaultDays"], 7);
    // Only admins.
    let token = s.sim.context_token(people::ANALYST, json!({})).unwrap();
    let resp = s
        .app
        .http
        .put(s.app.url("/api/admin/retention"))
        .header("Authorization", format!("JWT {token}"))
        .json(&json!({"defaultDays": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (status, v) = f
        .admin(
            "PUT",
            "/api/admin/retention",
            Some(json!({"defaultDays": 3, "maxDays": 14})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");

    s.approve_and_extract_plan(plan(SQL, json!({"email": "mask"})))
        .await;
    f.request_in(State::Delivered).await;
    let d = s.uploaded().await;
    let days = |d: &DeliveryRow| (d.expires_at.unwrap() - d.uploaded_at.unwrap()).num_days();
    assert_eq!(days(&d), 3, "the site's default");

    // A request's own retention: analysts and privacy officers, within the bounds; the removal date moves.
    let put = |who: &'static str, body: Value| {
        let token = s.panel().token(who);
        let url = s
            .app
            .url(&format!("/api/panel/requests/{}/retention", s.issue_id));
        let http = s.app.http.clone();
        async move {
            let resp = http
                .put(url)
                .header("Authorization", format!("JWT {token}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                resp.status(),
                resp.json::<Value>().await.unwrap_or_default(),
            )
        }
    };
    let (status, v) = put(people::REQUESTER, json!({"days": 10})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, v) = put(people::ANALYST, json!({"days": 15})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("1 to 14 days"), "{v}");
    assert_eq!(days(&s.uploaded().await), 3, "unchanged");
    let (status, v) = put(people::PRIVACY_OFFICER, json!({"days": 10})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let moved = s.uploaded().await;
    assert_eq!(days(&moved), 10);
    assert_eq!(v["expiresAt"], json!(moved.expires_at.unwrap()));
    let (status, _) = put(people::ANALYST, json!({"days": null})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(days(&s.uploaded().await), 3, "back to the default");
    let actions = f.audit_actions().await;
    assert_eq!(
        actions
            .iter()
            .filter(|(a, _)| a == "request.retention_set")
            .count(),
        2
    );
}

impl Flow {
    /// `who` registers `key` (or tries to) from the panel.
    async fn set_age_key(&self, who: &str, key: &str) -> (StatusCode, Value) {
        let s = &self.site;
        let resp = s
            .app
            .http
            .put(s.app.url("/api/panel/me/age-key"))
            .header("Authorization", format!("JWT {}", s.panel().token(who)))
            .json(&json!({"publicKey": key}))
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap_or_default())
    }
}

async fn age_keys_make_a_file_without_a_password(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    let (riley_dir, pia_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (riley_id, riley_key) = age_identity(riley_dir.path());
    let (pia_id, pia_key) = age_identity(pia_dir.path());
    for bad in [
        "",
        "age1nope",
        "ssh-ed25519 AAAA",
        &riley_id.display().to_string(),
    ] {
        let (status, v) = f.set_age_key(people::REQUESTER, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
    }
    let (status, v) = f.set_age_key(people::REQUESTER, &riley_key).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["ageKey"]["publicKey"], riley_key.as_str());
    let (status, _) = f
        .set_age_key(people::PRIVACY_OFFICER, &format!("  {pia_key}\n"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = f.admin("GET", "/api/admin/age-keys", None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["ageKeys"].as_array().unwrap().len(), 2, "{v}");

    let mut p = plan(SQL, json!({"email": "mask"}));
    p["encryption"] = json!("age_recipients");
    s.approve_and_extract_plan(p).await;
    f.request_in(State::Delivered).await;
    let d = s.uploaded().await;
    assert_eq!(d.encryption, "age-recipients");
    assert_eq!(d.secret_sealed, None, "no secret at all");
    for user in [&f.riley, f.pia.as_ref().unwrap()] {
        let dms = f.dms(user);
        assert_eq!(dms.len(), 1);
        assert!(
            dms[0].text.contains("no password needed"),
            "{}",
            dms[0].text
        );
        assert!(
            !dms[0]
                .blocks
                .clone()
                .unwrap_or_default()
                .to_string()
                .contains("/reveal/")
        );
    }
    let comments = f.comments_with("age -d -i key.txt").await;
    assert!(comments.contains("age -d -i key.txt"), "{comments}");
    if have("age", "age") {
        let dir = tempfile::tempdir().unwrap();
        let bundle = write(
            dir.path(),
            &d.file_name,
            &s.attachments_named(&d.file_name)[0],
        );
        for (i, identity) in [riley_id, pia_id].iter().enumerate() {
            let zip = dir.path().join(format!("out-{i}.zip"));
            age_decrypt_identity(&bundle, identity, &zip);
            assert!(zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).is_ok());
        }
    }
    // Only admins list or remove keys; removing is audited and happens once.
    let path = format!("/api/admin/age-keys/{}", people::REQUESTER);
    let (status, _) = f.admin("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = f.admin("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let token = s.sim.context_token(people::ANALYST, json!({})).unwrap();
    let resp = s
        .app
        .http
        .get(s.app.url("/api/admin/age-keys"))
        .header("Authorization", format!("JWT {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

async fn a_missing_age_key_fails_the_extraction_naming_who(backend: Backend) {
    let f = Flow::start(backend, true).await;
    let s = &f.site;
    let dir = tempfile::tempdir().unwrap();
    let (_, riley_key) = age_identity(dir.path());
    let (status, _) = f.set_age_key(people::REQUESTER, &riley_key).await;
    assert_eq!(status, StatusCode::OK);
    let mut p = plan(SQL, json!({"email": "mask"}));
    p["encryption"] = json!("age_recipients");
    s.approve_and_extract_plan(p).await;
    let r = f.request_in(State::Failed).await;
    let reason = r.reason.unwrap_or_default();
    assert!(
        reason.contains(people::PRIVACY_OFFICER)
            && !reason.contains(people::REQUESTER)
            && reason.contains("no age public key"),
        "{reason}"
    );
    assert!(s.sim.issue(&s.key).unwrap().attachment_ids.is_empty());
    assert!(f.dms(&f.riley).is_empty());
}
