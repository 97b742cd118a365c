//! The simulators' saved state and fault switches: concurrent changes to a saved site never fail, each is in the
//! file (which always parses) by the time the call returns, and the file ends as the newest state; a saved Slack
//! workspace comes back whole; `/_sandbox/faults` shows, sets (validated) and clears both simulators' faults.

use std::time::Duration;

use clearance_sandbox::{
    self as sandbox,
    jira::{JiraSim, SimKeys, SimOptions, SiteState, people},
    slack::SlackSim,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Threads adding comments at once.
const THREADS: usize = 8;
/// Comments per thread.
const EACH: usize = 40;

fn saved(path: &std::path::Path) -> SiteState {
    let bytes = std::fs::read(path).expect("the site file exists");
    serde_json::from_slice(&bytes).expect("the site file is whole")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_saves_keep_every_change_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jira-site.json");
    let sim = JiraSim::from_state(
        "http://127.0.0.1:9",
        SimKeys::generate().unwrap(),
        SimOptions::default(),
        JiraSim::fresh_state(),
        Some(path.clone()),
    );
    let key = sim.create_issue("DATA", "Busy", "", &[], people::REQUESTER);
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (sim, path, key) = (sim.clone(), path.clone(), key.clone());
            tokio::task::spawn_blocking(move || {
                let mut missing = Vec::new();
                for i in 0..EACH {
                    let id = sim
                        .add_comment(&key, people::ANALYST, &format!("{t}-{i}"))
                        .expect("the issue exists");
                    let on_disk = saved(&path);
                    let comments = on_disk.issues.values().flat_map(|i| &i.comments);
                    if !comments.clone().any(|c| c.id == id) {
                        missing.push(id);
                    }
                }
                missing
            })
        })
        .collect();
    let mut missing = Vec::new();
    for t in threads {
        missing.extend(t.await.expect("no save failed or tore the file"));
    }
    assert!(
        missing.is_empty(),
        "{} of {} comments not on disk when add_comment returned: {missing:?}",
        missing.len(),
        THREADS * EACH
    );
    let last = saved(&path);
    let memory = sim.state().clone();
    assert_eq!(
        last.next_id, memory.next_id,
        "the file holds the newest state"
    );
    let count = |s: &SiteState| s.issues.values().map(|i| i.comments.len()).sum::<usize>();
    assert_eq!(count(&last), THREADS * EACH);
    assert_eq!(count(&last), count(&memory));
}

#[test]
fn a_saved_slack_workspace_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slack-workspace.json");
    let slack = SlackSim::persisted(path.clone()).unwrap();
    let team = slack.add_team("Acme");
    let bot = slack.add_bot(&team.id, "clearance");
    let ada = slack.add_user(&team.id, "ada", "Ada Lovelace", "ada@example.com");
    let channel = slack.add_channel(&team.id, "data-requests");
    drop(slack);
    let again = SlackSim::persisted(path).unwrap();
    assert_eq!(again.teams(), std::slice::from_ref(&team));
    assert_eq!(again.bots(), [bot]);
    assert_eq!(again.users(), [ada]);
    assert_eq!(again.conversations(), [channel]);
    // Ids stay unique after the restore.
    let other = again.add_channel(&team.id, "other");
    assert!(
        again
            .conversations()
            .iter()
            .filter(|c| c.id == other.id)
            .count()
            == 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_over_http_show_set_validate_and_clear() {
    let jira = JiraSim::new(
        "http://127.0.0.1:9",
        SimKeys::generate().unwrap(),
        SimOptions::default(),
    );
    let slack = SlackSim::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    sandbox::serve_in_background(listener, sandbox::router(&jira, Some(slack.clone())));
    let http = reqwest::Client::new();
    let url = format!("{base}/_sandbox/faults");
    let get = || async {
        http.get(&url)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };

    let off = get().await;
    assert_eq!(off["jira"]["rate_limited_calls"], 0, "{off}");
    assert_eq!(off["slack"]["invalid_auth"], false, "{off}");

    let body = json!({
        "jira": {"rate_limited_calls": 1, "retry_after_secs": 7, "slow_ms": 5, "server_errors": 2,
                 "server_error_status": 503, "webhooks": ["duplicate", "out_of_order", {"delay_ms": 250}, "drop"]},
        "slack": {"rate_limited_methods": {"chat.postMessage": 30}},
    });
    let set = http.put(&url).json(&body).send().await.unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let shown: Value = set.json().await.unwrap();
    assert_eq!(
        shown["jira"]["webhooks"], body["jira"]["webhooks"],
        "{shown}"
    );
    assert_eq!(shown["jira"]["server_error_status"], 503);
    assert_eq!(
        shown["slack"]["rate_limited_methods"]["chat.postMessage"],
        30
    );
    assert_eq!(jira.faults().slow, Some(Duration::from_millis(5)));
    assert_eq!(slack.faults().rate_limited_methods.len(), 1);

    // They bite: Jira's next call is rate limited with Retry-After, the two after it fail with 503.
    let call = || http.get(format!("{base}/rest/api/3/myself")).send();
    let limited = call().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "7");
    for _ in 0..2 {
        assert_eq!(
            call().await.unwrap().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
    let post = http
        .post(format!("{base}/slack/api/chat.postMessage"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(post.headers()["retry-after"], "30");

    // POST sets only the simulators it names.
    let jira_only = json!({"jira": {"lost_answers": 1}});
    let shown: Value = http
        .post(&url)
        .json(&jira_only)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["jira"]["lost_answers"], 1);
    assert_eq!(
        shown["jira"]["webhooks"],
        json!([]),
        "the rest of Jira's faults are off"
    );
    assert_eq!(
        shown["slack"]["rate_limited_methods"]["chat.postMessage"], 30,
        "Slack's stay"
    );

    // Mistakes are refused with the field and the reason, and change nothing.
    for (bad, says) in [
        (
            json!({"jira": {"server_error_status": 404}}),
            "jira.server_error_status: 404 is not a server error",
        ),
        (
            json!({"jira": {"slow_ms": 3_600_000}}),
            "jira.slow_ms: 3600000 ms is longer",
        ),
        (
            json!({"jira": {"webhooks": ["explode"]}}),
            "jira.webhooks[0]: unknown variant `explode`",
        ),
        (
            json!({"jira": {"rate_limit": 3}}),
            "jira.rate_limit: unknown field `rate_limit`",
        ),
        (
            json!({"slack": {"retry_after_secs": 100_000}}),
            "slack.retry_after_secs: Retry-After of 100000 s",
        ),
        (json!({"github": {}}), "unknown field `github`"),
        (json!({}), "name at least one simulator"),
    ] {
        let resp = http.put(&url).json(&bad).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
        let err: Value = resp.json().await.unwrap();
        let message = err["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{bad}: {message}");
    }
    assert_eq!(get().await["jira"]["lost_answers"], 1);

    let cleared: Value = http
        .delete(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared, off);
}
