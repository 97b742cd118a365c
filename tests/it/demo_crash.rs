//! `clearance demo` killed with SIGKILL while the app's calls pour into the simulated Jira: every comment, property
//! and attachment the simulator answered 2xx to is still there after a restart on the same data folder, and no id
//! it handed out is handed out again. The simulated Slack keeps its bot token across the restart, and the fault
//! switches are served by the sandbox, never by the app.

use std::{
    collections::BTreeSet,
    process::{Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use clearance::host::connect::{jwt::Claims, qsh};
use clearance_sandbox::jira::SiteState;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::demo::{Ports, start_with};

/// Writers hammering the simulator at once.
const WRITERS: usize = 16;
/// Bursts of concurrent writes after which the saved file must hold every write answered so far (it is what a
/// SIGKILL at that instant would leave).
const BURSTS: usize = 40;
/// Accepted writes before the kill.
const BEFORE_KILL: usize = 240;
/// Size of each attached file, roughly.
const ATTACHMENT_BYTES: usize = 4 * 1024;
/// The demo's runtime threads: as on a machine with many cores, so that many writes are handled at once.
const DEMO_THREADS: &str = "16";
const ISSUES: [&str; 4] = ["DATA-1", "DATA-2", "DATA-3", "OPS-1"];

/// A write the simulator accepted, with what it answered.
#[derive(Clone, Debug)]
enum Accepted {
    Comment {
        issue: String,
        id: u64,
        text: String,
    },
    Property {
        issue: String,
        key: String,
        n: usize,
    },
    Attachment {
        issue: String,
        id: u64,
        filename: String,
    },
}

/// The installed app as the simulator saved it: signs calls as Clearance would.
#[derive(Clone)]
struct AppKey {
    base: String,
    key: String,
    secret: String,
}

impl AppKey {
    fn read(data: &std::path::Path, base: &str) -> Self {
        let site: Value =
            serde_json::from_slice(&std::fs::read(data.join("jira-site.json")).unwrap()).unwrap();
        let app = &site["app"];
        Self {
            base: base.to_owned(),
            key: app["key"].as_str().unwrap().to_owned(),
            secret: app["shared_secret"].as_str().unwrap().to_owned(),
        }
    }

    fn request(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        path_and_query: &str,
    ) -> reqwest::RequestBuilder {
        let url = url::Url::parse(&format!("{}{path_and_query}", self.base)).unwrap();
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            iss: self.key.clone(),
            sub: None,
            qsh: Some(qsh::query_string_hash(
                method.as_str(),
                url.path(),
                url.query().unwrap_or(""),
                "",
            )),
            iat: Some(now),
            exp: now + 180,
            context: None,
        };
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(self.secret.as_bytes()),
        )
        .unwrap();
        http.request(method, url)
            .header("Authorization", format!("JWT {token}"))
    }
}

fn id_of(v: &Value) -> u64 {
    v["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("an id")
}

/// One write by writer `w`, its `n`th; `None` when the simulator did not accept it (or is gone).
async fn write_once(http: &reqwest::Client, app: &AppKey, w: usize, n: usize) -> Option<Accepted> {
    let issue = ISSUES[(w + n) % ISSUES.len()].to_owned();
    let tag = format!("crash-{w}-{n}");
    match n % 3 {
        0 => {
            let doc = json!({"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": tag}]}]});
            let path = format!("/rest/api/3/issue/{issue}/comment");
            let resp = app
                .request(http, reqwest::Method::POST, &path)
                .json(&json!({ "body": doc }))
                .send()
                .await
                .ok()?;
            (resp.status() == StatusCode::CREATED).then_some(())?;
            let id = id_of(&resp.json::<Value>().await.ok()?);
            Some(Accepted::Comment {
                issue,
                id,
                text: tag,
            })
        }
        1 => {
            let path = format!("/rest/api/3/issue/{issue}/properties/{tag}");
            let resp = app
                .request(http, reqwest::Method::PUT, &path)
                .json(&json!({ "n": n }))
                .send()
                .await
                .ok()?;
            resp.status().is_success().then_some(())?;
            Some(Accepted::Property { issue, key: tag, n })
        }
        _ => {
            let filename = format!("{tag}.txt");
            // Sizeable files make the saved state big enough that saving it takes a while, as in a busy demo.
            let content = format!("{tag}\n").repeat(ATTACHMENT_BYTES / (tag.len() + 1));
            let part = reqwest::multipart::Part::bytes(content.into_bytes())
                .file_name(filename.clone())
                .mime_str("text/plain")
                .unwrap();
            let path = format!("/rest/api/3/issue/{issue}/attachments");
            let resp = app
                .request(http, reqwest::Method::POST, &path)
                .header("X-Atlassian-Token", "no-check")
                .multipart(reqwest::multipart::Form::new().part("file", part))
                .send()
                .await
                .ok()?;
            resp.status().is_success().then_some(())?;
            let list: Value = resp.json().await.ok()?;
            Some(Accepted::Attachment {
                issue,
                id: id_of(&list[0]),
                filename,
            })
        }
    }
}

/// The accepted writes the saved site lacks.
fn missing_on_disk(data: &std::path::Path, accepted: &[Accepted]) -> Vec<Accepted> {
    let bytes = std::fs::read(data.join("jira-site.json")).expect("the site is saved");
    let site: SiteState = serde_json::from_slice(&bytes).expect("the saved site is whole");
    let issue = |key: &str| site.issues.values().find(|i| i.key == key);
    let kept = |a: &Accepted| match a {
        Accepted::Comment { issue: k, id, .. } => {
            issue(k).is_some_and(|i| i.comments.iter().any(|c| c.id == *id))
        }
        Accepted::Property { issue: k, key, n } => {
            issue(k).is_some_and(|i| i.properties.get(key).is_some_and(|v| v["n"] == *n))
        }
        Accepted::Attachment { issue: k, id, .. } => {
            site.attachments.contains_key(id)
                && issue(k).is_some_and(|i| i.attachment_ids.contains(id))
        }
    };
    accepted.iter().filter(|a| !kept(a)).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_demo_keeps_every_accepted_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let ports = Ports::free();
    let (port, sandbox_port) = (ports.app, ports.sandbox);
    let threads = &[("TOKIO_WORKER_THREADS", DEMO_THREADS)];
    let log = |name: &str| Stdio::from(std::fs::File::create(dir.path().join(name)).unwrap());
    let (mut child, _) = start_with(&data, ports, log("first.log"), threads);
    let sandbox = format!("http://127.0.0.1:{sandbox_port}");
    let http = reqwest::Client::new();

    // The fault switches are the sandbox's, not the app's.
    let faults = http
        .get(format!("{sandbox}/_sandbox/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), StatusCode::OK);
    let at_app = http
        .get(format!("http://127.0.0.1:{port}/_sandbox/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(at_app.status(), StatusCode::NOT_FOUND);
    let token = |data: &std::path::Path| -> String {
        let ws: Value =
            serde_json::from_slice(&std::fs::read(data.join("slack-workspace.json")).unwrap())
                .unwrap();
        ws["bots"][0]["token"].as_str().unwrap().to_owned()
    };
    let token_before = token(&data);

    let app = AppKey::read(&data, &sandbox);
    // Bursts: once every write of a burst is answered, the file holds all of them.
    let mut answered = Vec::new();
    for b in 0..BURSTS {
        let burst = (0..WRITERS).map(|w| {
            let (http, app) = (http.clone(), app.clone());
            tokio::spawn(async move { write_once(&http, &app, w, 10_000 + b).await })
        });
        for w in burst.collect::<Vec<_>>() {
            answered.extend(w.await.unwrap());
        }
        let lost = missing_on_disk(&data, &answered);
        assert!(
            lost.is_empty(),
            "after burst {b}, {} of {} answered writes are not in the saved file: {lost:?}",
            lost.len(),
            answered.len()
        );
    }

    // Then writes pouring in when the process is killed.
    let accepted = Arc::new(Mutex::new(answered));
    let dead = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (http, app, accepted, dead) =
                (http.clone(), app.clone(), accepted.clone(), dead.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !dead.load(Ordering::SeqCst) {
                    if let Some(a) = write_once(&http, &app, w, n).await {
                        accepted.lock().unwrap().push(a);
                    }
                    n += 1;
                }
            })
        })
        .collect();
    while accepted.lock().unwrap().len() < BURSTS * WRITERS / 2 + BEFORE_KILL {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    dead.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    assert!(!status.success(), "killed, not stopped: {status}");
    let accepted = accepted.lock().unwrap().clone();
    assert!(accepted.len() >= BEFORE_KILL);

    // Restart on the same folder; every accepted write is there.
    let (child, _) = start_with(&data, ports, log("second.log"), threads);
    let app = AppKey::read(&data, &sandbox);
    let get = |path: String| {
        let req = app.request(&http, reqwest::Method::GET, &path);
        async move {
            let resp = req.send().await.unwrap();
            (
                resp.status(),
                resp.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let mut comments = std::collections::BTreeMap::new();
    for issue in ISSUES {
        let (status, list) = get(format!("/rest/api/3/issue/{issue}/comment")).await;
        assert_eq!(status, StatusCode::OK);
        for c in list["comments"].as_array().unwrap() {
            let text = c["body"]["content"][0]["content"][0]["text"].clone();
            comments.insert(id_of(c), (issue.to_owned(), text));
        }
    }
    let mut lost = Vec::new();
    let mut ids = BTreeSet::new();
    for a in &accepted {
        let kept = match a {
            Accepted::Comment { issue, id, text } => {
                ids.insert(*id);
                comments.get(id) == Some(&(issue.clone(), Value::from(text.as_str())))
            }
            Accepted::Property { issue, key, n } => {
                let (status, body) =
                    get(format!("/rest/api/3/issue/{issue}/properties/{key}")).await;
                status == StatusCode::OK && body["value"]["n"] == *n
            }
            Accepted::Attachment {
                issue,
                id,
                filename,
            } => {
                ids.insert(*id);
                let (status, body) = get(format!("/rest/api/3/attachment/{id}")).await;
                let (_, on_issue) =
                    get(format!("/rest/api/3/issue/{issue}?fields=attachment")).await;
                let listed = on_issue["fields"]["attachment"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|x| id_of(x) == *id));
                status == StatusCode::OK && body["filename"] == filename.as_str() && listed
            }
        };
        if !kept {
            lost.push(a.clone());
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} accepted writes lost after the crash: {lost:?}",
        lost.len(),
        accepted.len()
    );

    // New ids continue after every id handed out before the crash.
    let highest = *ids.last().expect("ids handed out");
    for k in 0..ISSUES.len() {
        let after = write_once(&http, &app, 0, 3 * k).await;
        let Some(Accepted::Comment { id, .. }) = after else {
            panic!("a comment after the restart: {after:?}");
        };
        assert!(
            id > highest,
            "id {id} handed out again (highest before: {highest})"
        );
    }

    // The simulated Slack kept its workspace: the same bot token still works.
    assert_eq!(
        token(&data),
        token_before,
        "bot token stable across restarts"
    );
    let auth: Value = http
        .post(format!("{sandbox}/slack/api/auth.test"))
        .bearer_auth(&token_before)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(auth["ok"], true, "{auth}");

    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "second run stops cleanly: {}",
        out.status
    );
}
