//! OAuth bearer tokens through the API gateway (`/ex/jira/{cloudId}`): what works with the system and user tokens,
//! and every refusal (no, unknown, expired or ended token, another site, the site's own URL, a Connect JWT).

use std::time::Duration;

use clearance::host::connect::{jwt::Claims, qsh};
use clearance_sandbox::jira::{JiraSim, people};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{fast, http, installed};

/// A Connect JWT for `method url`, signed with the installed Connect app's secret.
fn connect_jwt(sim: &JiraSim, method: &str, url: &str) -> String {
    let (key, secret) = {
        let s = sim.state();
        let a = s.app.as_ref().unwrap();
        (a.key.clone(), a.shared_secret.clone())
    };
    let u = url::Url::parse(url).unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        iss: key,
        sub: None,
        qsh: Some(qsh::query_string_hash(
            method,
            u.path(),
            u.query().unwrap_or(""),
            "",
        )),
        iat: Some(now),
        exp: now + 180,
        context: None,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_work_only_through_the_gateway() {
    let (sim, remote) = installed(fast(), true).await;
    let key = sim.create_issue("DATA", "x", "", &["data-request"], people::REQUESTER);
    let api = sim.api_base_url();
    let system = sim.forge_system_token();
    let get = |url: String, auth: Option<String>| {
        let mut r = http().get(url);
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        async move { r.send().await.unwrap() }
    };
    let bearer = |t: &str| Some(format!("Bearer {t}"));

    // The system token reads issues, searches, comments and reads users under /ex/jira/{cloudId}.
    let r = get(
        format!("{api}/rest/api/3/issue/{key}?fields=summary"),
        bearer(&system),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().contains_key("x-b3-traceid"));
    assert_eq!(r.json::<Value>().await.unwrap()["fields"]["summary"], "x");
    let found: Value = get(
        format!("{api}/rest/api/3/search/jql?jql=labels%20%3D%20data-request&fields=summary"),
        bearer(&system),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(found["issues"][0]["key"], key);
    let comment = http()
        .post(format!("{api}/rest/api/3/issue/{key}/comment"))
        .bearer_auth(&system)
        .json(&json!({"body": {"type": "doc", "version": 1, "content": []}}))
        .send()
        .await
        .unwrap();
    assert_eq!(comment.status(), StatusCode::CREATED);
    let c = sim.issue(&key).unwrap().comments.pop().unwrap();
    assert_eq!(c.author, sim.forge_account_id());
    let groups = get(
        format!("{api}/rest/api/3/user/groups?accountId={}", people::ANALYST),
        bearer(&system),
    )
    .await;
    assert_eq!(groups.status(), StatusCode::OK);
    // Attachments: multipart upload and the upload limit, as the app's account.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"id\n1\n".to_vec())
            .file_name("ids.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    let up = http()
        .post(format!("{api}/rest/api/3/issue/{key}/attachments"))
        .bearer_auth(&system)
        .header("X-Atlassian-Token", "no-check")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), StatusCode::OK);
    let list: Value = up.json().await.unwrap();
    assert_eq!(list[0]["author"]["accountId"], sim.forge_account_id());
    let meta: Value = get(format!("{api}/rest/api/3/attachment/meta"), bearer(&system))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(meta["enabled"], true);
    // serverInfo answers without a token and names the site.
    let info: Value = get(format!("{api}/rest/api/3/serverInfo"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["baseUrl"], sim.base_url());

    // A user token acts as that user.
    let me: Value = get(
        format!("{api}/rest/api/3/myself"),
        bearer(&sim.forge_user_token(people::ANALYST)),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["accountId"], people::ANALYST);

    // Refused: no token, unknown, expired, another site's cloudId, the site's own URL.
    let myself = format!("{api}/rest/api/3/myself");
    let expired = sim.forge_token(None, Duration::ZERO);
    for (what, auth) in [
        ("no token", None),
        ("unknown token", bearer("not-a-token")),
        ("expired token", bearer(&expired)),
    ] {
        let r = get(myself.clone(), auth).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"code": 401, "message": "Unauthorized"}),
            "{what}"
        );
    }
    let other = format!(
        "{}/ex/jira/{}/rest/api/3/myself",
        sim.base_url(),
        uuid::Uuid::new_v4()
    );
    let r = get(other, bearer(&system)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()["x-failure-category"],
        "FAILURE_CLIENT_SCOPE_CHECK"
    );
    assert_eq!(
        r.json::<Value>().await.unwrap()["message"],
        "Unauthorized; scope does not match"
    );
    let on_site = get(
        format!("{}/rest/api/3/myself", sim.base_url()),
        bearer(&system),
    )
    .await;
    assert_eq!(
        on_site.status(),
        StatusCode::UNAUTHORIZED,
        "bearer on the site URL"
    );
    assert!(on_site.headers().contains_key("www-authenticate"));
    let ended = sim.forge_system_token();
    assert!(sim.forge_expire_token(&ended));
    assert_eq!(
        get(myself.clone(), bearer(&ended)).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A Connect JWT works on the site and means nothing at the gateway.
    sim.install(&format!("{}/atlassian-connect.json", remote.base))
        .await
        .unwrap();
    let site_myself = format!("{}/rest/api/3/myself", sim.base_url());
    let jwt = connect_jwt(&sim, "GET", &site_myself);
    assert_eq!(
        get(site_myself, Some(format!("JWT {jwt}"))).await.status(),
        StatusCode::OK
    );
    let jwt = connect_jwt(&sim, "GET", &myself);
    assert_eq!(
        get(myself.clone(), Some(format!("JWT {jwt}")))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Faults apply through the gateway; the call log shows the gateway path.
    sim.faults().rate_limit(1, 7);
    let r = get(myself.clone(), bearer(&system)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "7");
    assert_eq!(
        get(myself.clone(), bearer(&system)).await.status(),
        StatusCode::OK
    );
    let last = sim.rest_calls().pop().unwrap();
    assert!(last.path.starts_with("/ex/jira/"), "{last:?}");
    assert_eq!(last.status, Some(200));

    // Once the app is uninstalled its tokens stop working.
    sim.forge_uninstall().await.unwrap();
    assert_eq!(
        get(myself, bearer(&system)).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
