//! Forge event delivery: `ignoreSelf` drops the app's own writes, failures are retried with `retryContext`, and a
//! rotated signing key makes the remote fetch the JWKS again.

use std::time::Duration;

use clearance_sandbox::jira::{
    INVALID_FORGE_INVOCATION_TOKEN, INVALID_REMOTE_INVOCATION_ERROR, IssueEdit, JiraSim,
    SimOptions, TIMEOUT_ERROR, people,
};
use jsonwebtoken::jwk::JwkSet;
use reqwest::StatusCode;
use serde_json::json;

use super::{EVENTS, fast, http, installed, jwks, remote::Reply};
use crate::sandbox_jira::wait_for;

/// Add a label through the gateway with `token`.
async fn label_via_gateway(sim: &JiraSim, key: &str, token: &str, label: &str) -> StatusCode {
    http()
        .put(format!("{}/rest/api/3/issue/{key}", sim.api_base_url()))
        .bearer_auth(token)
        .json(&json!({"update": {"labels": [{"add": label}]}}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_self_drops_the_apps_own_writes() {
    let (sim, remote) = installed(fast(), true).await;
    let key = sim.create_issue("DATA", "x", "", &[], people::REQUESTER);
    remote.wait_at(EVENTS, 1).await;

    // The app's own write (system token): no event. A person's write right after: an event.
    let system = sim.forge_system_token();
    assert_eq!(
        label_via_gateway(&sim, &key, &system, "seen").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(sim.issue(&key).unwrap().labels, ["seen"]);
    sim.edit_issue(&key, people::ANALYST, IssueEdit::labels(&["seen", "pii"]));
    let got = remote.wait_at(EVENTS, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(remote.at(EVENTS).len(), 2, "{got:#?}");
    assert_eq!(got[1].body["payload"]["atlassianId"], people::ANALYST);

    // A write with a user token is the user's, not the app's: it is sent.
    let user = sim.forge_user_token(people::ANALYST);
    assert_eq!(
        label_via_gateway(&sim, &key, &user, "by-user").await,
        StatusCode::NO_CONTENT
    );
    let got = remote.wait_at(EVENTS, 3).await;
    assert_eq!(got[2].body["payload"]["selfGenerated"], false);
    assert_eq!(got[2].body["payload"]["atlassianId"], people::ANALYST);

    // Without ignoreSelf the app's writes arrive, marked selfGenerated.
    let (sim, remote) = installed(fast(), false).await;
    let key = sim.create_issue("DATA", "y", "", &[], people::REQUESTER);
    remote.wait_at(EVENTS, 1).await;
    let system = sim.forge_system_token();
    label_via_gateway(&sim, &key, &system, "seen").await;
    let created = http()
        .post(format!("{}/rest/api/3/issue", sim.api_base_url()))
        .bearer_auth(&system)
        .json(
            &json!({"fields": {"project": {"key": "DATA"}, "summary": "by the app",
                                 "reporter": {"accountId": people::REQUESTER}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let got = remote.wait_at(EVENTS, 3).await;
    for g in &got[1..] {
        assert_eq!(g.body["payload"]["selfGenerated"], true, "{g:#?}");
        assert_eq!(g.body["payload"]["atlassianId"], sim.forge_account_id());
    }
    assert_eq!(
        got[2].body["payload"]["issue"]["fields"]["reporter"]["accountId"],
        people::REQUESTER
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_with_a_retry_context() {
    let options = SimOptions {
        forge_event_timeout: Duration::from_millis(500),
        ..fast()
    };
    let (sim, remote) = installed(options, true).await;

    // 500, then 200: a retry with retryCount 1 and INVALID_REMOTE_INVOCATION_ERROR, a fresh FIT, the same trace.
    remote.reply(Reply::json(500, json!({"error": "boom"})));
    let key = sim.create_issue("DATA", "a", "", &[], people::REQUESTER);
    let got = remote.wait_at(EVENTS, 2).await;
    assert!(got[0].body["payload"].get("retryContext").is_none());
    assert_eq!(
        got[1].body["payload"]["retryContext"],
        json!({"retryData": null, "retryCount": 1, "retryReason": INVALID_REMOTE_INVOCATION_ERROR})
    );
    assert_eq!(got[1].body["payload"]["issue"]["key"], key);
    assert_ne!(got[0].claims()["jti"], got[1].claims()["jti"]);
    assert_eq!(got[0].header("x-b3-traceid"), got[1].header("x-b3-traceid"));

    // 401 (the remote could not verify the FIT): INVALID_FORGE_INVOCATION_TOKEN.
    remote.clear();
    remote.reply(Reply::json(401, json!({})));
    sim.create_issue("DATA", "b", "", &[], people::REQUESTER);
    let got = remote.wait_at(EVENTS, 2).await;
    assert_eq!(
        got[1].body["payload"]["retryContext"]["retryReason"],
        INVALID_FORGE_INVOCATION_TOKEN
    );

    // No answer within the event timeout: TIMEOUT_ERROR.
    remote.clear();
    remote.reply(Reply::json(200, json!({})).after(Duration::from_millis(1500)));
    sim.create_issue("DATA", "c", "", &[], people::REQUESTER);
    let got = remote.wait_at(EVENTS, 2).await;
    assert_eq!(
        got[1].body["payload"]["retryContext"]["retryReason"],
        TIMEOUT_ERROR
    );

    // Failing every time: the first attempt and 4 retries, then nothing more.
    remote.clear();
    for _ in 0..6 {
        remote.reply(Reply::text(503, "text/plain", "down"));
    }
    sim.create_issue("DATA", "d", "", &[], people::REQUESTER);
    let got = remote.wait_at(EVENTS, 5).await;
    let counts: Vec<u64> = got
        .iter()
        .filter_map(|g| g.body["payload"]["retryContext"]["retryCount"].as_u64())
        .collect();
    assert_eq!(counts, [1, 2, 3, 4]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(remote.at(EVENTS).len(), 5);

    // The log has every attempt with its status and the reason sent.
    let d = wait_for(|| {
        sim.forge_deliveries().into_iter().find(|d| {
            d.body["payload"]["issue"]["fields"]["summary"] == "d" && d.attempts.len() == 5
        })
    })
    .await;
    assert_eq!(
        d.attempts.iter().map(|a| a.status).collect::<Vec<_>>(),
        vec![Some(503); 5]
    );
    assert_eq!(
        d.attempts.iter().map(|a| a.retry_count).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(d.attempts[0].retry_reason, None);
    assert_eq!(
        d.attempts[4].retry_reason.as_deref(),
        Some(INVALID_REMOTE_INVOCATION_ERROR)
    );
    let timed_out = sim
        .forge_deliveries()
        .into_iter()
        .find(|d| d.body["payload"]["issue"]["fields"]["summary"] == "c")
        .unwrap();
    assert_eq!(timed_out.attempts[0].status, None);
    assert!(timed_out.attempts[0].error.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_and_an_unavailable_jwks() {
    let (sim, remote) = installed(fast(), true).await;
    sim.create_issue("DATA", "a", "", &[], people::REQUESTER);
    let got = remote.wait_at(EVENTS, 1).await;
    assert!(got[0].fit.is_ok());
    let fetches = remote.jwks_fetches();
    let old = sim.forge_current_kid();

    // A new key, the old one still published: the remote meets an unknown kid and fetches the JWKS once more.
    let new = sim.forge_rotate_key(true);
    assert_ne!(new, old);
    sim.create_issue("DATA", "b", "", &[], people::REQUESTER);
    let got = remote.wait_at(EVENTS, 2).await;
    assert_eq!(got[1].kid.as_deref(), Some(new.as_str()));
    assert!(got[1].fit.is_ok(), "{:?}", got[1].fit);
    assert_eq!(remote.jwks_fetches(), fetches + 1);
    let kids = |set: JwkSet| -> Vec<String> {
        set.keys
            .iter()
            .filter_map(|k| k.common.key_id.clone())
            .collect()
    };
    assert_eq!(kids(jwks(&sim).await), [old.clone(), new.clone()]);
    assert!(sim.forge_unpublish_key(&old));
    assert_eq!(kids(jwks(&sim).await), vec![new]);

    // Rotation that drops the old key at once.
    let newest = sim.forge_rotate_key(false);
    assert_eq!(kids(jwks(&sim).await), [newest]);

    // The JWKS down: the remote cannot verify, answers 401, and Forge retries with INVALID_FORGE_INVOCATION_TOKEN.
    sim.faults().forge_jwks_errors = 1;
    sim.create_issue("DATA", "c", "", &[], people::REQUESTER);
    let got = remote.wait_at(EVENTS, 4).await;
    assert!(got[2].fit.is_err());
    assert!(got[3].fit.is_ok());
    assert_eq!(
        got[3].body["payload"]["retryContext"]["retryReason"],
        INVALID_FORGE_INVOCATION_TOKEN
    );
}
