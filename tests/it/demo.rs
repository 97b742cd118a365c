//! `clearance demo` as a newcomer runs it: it prints one URL, the landing page, which tells the Forge site (how a new
//! Jira site installs Clearance today) from the Connect site; each simulated Jira lists the sample tickets; an issue
//! page of the Connect site embeds the Clearance panel, which loads, and the Forge site's embeds the Custom UI
//! bundle; without the bundle the demo still starts and marks the Forge site unavailable with how to build it;
//! Ctrl-C stops it; a second run resumes without reinstalling or duplicating tickets. The README's walkthrough script takes a ticket from claim to delivery by the panel API, and
//! what a newcomer then clicks works: the requester's Slack inbox reveals the password once, and the file downloaded
//! from the issue page opens with it.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The body of `GET url`.
async fn get_text(http: &reqwest::Client, url: &str) -> String {
    http.get(url).send().await.unwrap().text().await.unwrap()
}

/// The ports of one demo run: the app, the sandbox (Connect site, Slack, landing page) and the Forge site.
#[derive(Clone, Copy)]
pub(crate) struct Ports {
    pub(crate) app: u16,
    pub(crate) sandbox: u16,
    pub(crate) forge: u16,
}

impl Ports {
    pub(crate) fn free() -> Self {
        Self {
            app: free_port(),
            sandbox: free_port(),
            forge: free_port(),
        }
    }
}

/// Start the demo (from the crate's folder, so it finds forge/) and wait for the URL it prints.
pub(crate) fn start(data: &std::path::Path, ports: Ports) -> (Child, String) {
    start_with(data, ports, Stdio::piped(), &[])
}

/// [`start`] with the demo's log (stderr) going to `log` and extra environment `env`.
pub(crate) fn start_with(
    data: &std::path::Path,
    ports: Ports,
    log: Stdio,
    env: &[(&str, &str)],
) -> (Child, String) {
    start_in(data, ports, env!("CARGO_MANIFEST_DIR").as_ref(), log, env)
}

/// Start the demo in the working directory `cwd`.
fn start_in(
    data: &std::path::Path,
    ports: Ports,
    cwd: &std::path::Path,
    log: Stdio,
    env: &[(&str, &str)],
) -> (Child, String) {
    let (port, sandbox_port, forge_port) = (ports.app, ports.sandbox, ports.forge);
    let mut child = Command::new(env!("CARGO_BIN_EXE_clearance"))
        .current_dir(cwd)
        .args([
            "demo",
            "--rows",
            "500",
            "--port",
            &port.to_string(),
            "--sandbox-port",
            &sandbox_port.to_string(),
            "--forge-port",
            &forge_port.to_string(),
            "--data-dir",
        ])
        .arg(data)
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("Open ") {
                let _ = tx.send(url.to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the demo printed the URL to open within a minute");
    (child, url)
}

pub(crate) fn stop(child: Child) -> String {
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
    assert!(
        out.status.success(),
        "demo exits cleanly on Ctrl-C, not {}; last lines:\n{}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_starts_shows_the_panel_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let ports = Ports::free();
    let (port, sandbox_port) = (ports.app, ports.sandbox);
    let (child, url) = start(&data, ports);
    assert_eq!(
        url,
        format!("http://127.0.0.1:{sandbox_port}/_sandbox/demo"),
        "the landing page"
    );
    let http = reqwest::Client::new();
    let landing = get_text(&http, &url).await;
    assert!(
        landing.contains("This is how a new Jira site installs Clearance today"),
        "{landing}"
    );
    assert!(
        landing.contains("sites that already have the Connect app"),
        "{landing}"
    );
    assert!(
        !landing.contains("Unavailable"),
        "the bundle is built: {landing}"
    );
    let connect_index = format!("http://127.0.0.1:{sandbox_port}/?as=557058:riley-requester");
    let forge_index = format!(
        "http://127.0.0.1:{}/?as=557058:riley-requester",
        ports.forge
    );
    for site in [&connect_index, &forge_index] {
        assert!(landing.contains(site.as_str()), "{site} linked: {landing}");
        let index = get_text(&http, site).await;
        let issues = index.matches("href=\"/browse/").count();
        assert_eq!(issues, 4, "sample tickets listed: {index}");
    }
    // The Forge site's issue page embeds the Custom UI panel, which the site serves from the built bundle.
    let page = get_text(
        &http,
        &format!(
            "http://127.0.0.1:{}/browse/DATA-3?as=557058:ana-analyst",
            ports.forge
        ),
    )
    .await;
    assert!(
        page.contains("Forge site: Clearance installed through Forge"),
        "{page}"
    );
    assert!(
        page.contains("/_sandbox/forge/ui/panel/index.html?"),
        "{page}"
    );

    // The ticket with the attached CSV, viewed by the analyst: the panel iframe is there and the app serves it.
    let page = get_text(
        &http,
        &format!("http://127.0.0.1:{sandbox_port}/browse/DATA-3?as=557058:ana-analyst"),
    )
    .await;
    assert!(page.contains("customer_ids.csv"));
    let src = page
        .split("id=\"app-frame\" src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("panel iframe");
    let src = src.replace("&#38;", "&").replace("&amp;", "&");
    assert!(
        src.starts_with(&format!("http://127.0.0.1:{port}/panel?")),
        "{src}"
    );
    let panel = http.get(&src).send().await.unwrap();
    assert_eq!(panel.status(), 200);
    let html = panel.text().await.unwrap();
    assert!(
        html.contains("DATA-3")
            && html.contains(&format!("http://127.0.0.1:{sandbox_port}/_sandbox/all.js")),
        "{html}"
    );
    walk_through(&http, sandbox_port).await;
    let log = stop(child);
    assert!(log.contains("tenant installed"), "first run installs");
    assert!(
        log.contains("Forge lifecycle event"),
        "the Forge site installed: {log}"
    );
    assert!(
        log.contains("demo warehouse registered as a data source"),
        "the analyst can dry-run against the demo warehouse: {log}"
    );

    // Second run: resumes from the data folder.
    let site_before = std::fs::read_to_string(data.join("jira-site.json")).unwrap();
    let forge_before = std::fs::read_to_string(data.join("forge-site.json")).unwrap();
    let (child, _) = start(&data, ports);
    for site in [&connect_index, &forge_index] {
        let index = get_text(&http, site).await;
        assert_eq!(
            index.matches("href=\"/browse/").count(),
            4,
            "no duplicate tickets"
        );
    }
    let log = stop(child);
    assert!(
        !log.contains("tenant installed")
            && !log.contains("registered as a data source")
            && !log.contains("Forge lifecycle event"),
        "no re-install on resume: {log}"
    );
    let forge_after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("forge-site.json")).unwrap())
            .unwrap();
    let before: serde_json::Value = serde_json::from_str(&forge_before).unwrap();
    assert_eq!(
        forge_after["forge"]["installation_uuid"], before["forge"]["installation_uuid"],
        "the same Forge installation"
    );
    let site_after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("jira-site.json")).unwrap())
            .unwrap();
    let before: serde_json::Value = serde_json::from_str(&site_before).unwrap();
    assert_eq!(site_after["client_key"], before["client_key"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "master key readable by its owner only");
    }
}

/// `scripts/demo_walkthrough.py` on DATA-2, then what the newcomer clicks: the reveal button in Riley's Slack inbox,
/// the file's link on the issue page; the file decrypts with the revealed password.
async fn walk_through(http: &reqwest::Client, sandbox_port: u16) {
    let sandbox = format!("http://127.0.0.1:{sandbox_port}");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/demo_walkthrough.py");
    let out = Command::new("python3")
        .args([script, "--sandbox", &sandbox, "--issue", "DATA-2"])
        .output()
        .expect("python3 runs the walkthrough");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("delivery  -> delivered"), "{stdout}");

    let get = |url: String| async move {
        let resp = http.get(&url).send().await.unwrap();
        (resp.status(), resp.bytes().await.unwrap().to_vec())
    };
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    let (_, index) = get(format!("{sandbox}/slack/inbox")).await;
    let index = text(index);
    let riley = index
        .split("href=\"inbox/")
        .filter_map(|s| s.split('"').next())
        .find(|id| {
            let page = index
                .split(&format!("inbox/{id}\""))
                .nth(1)
                .unwrap_or_default();
            page.starts_with(">Riley")
        })
        .expect("Riley's inbox is listed")
        .to_owned();
    let (_, inbox) = get(format!("{sandbox}/slack/inbox/{riley}")).await;
    let inbox = text(inbox);
    let reveal = inbox
        .split("<a href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|u| u.contains("/reveal/"))
        .expect("a reveal button in Riley's DM")
        .to_owned();
    let shown = http
        .post(&reveal)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let password = shown
        .split("aria-label=\"password\">")
        .nth(1)
        .and_then(|r| r.split("</span>").next())
        .expect("the password is shown once")
        .to_owned();

    let (_, page) = get(format!("{sandbox}/browse/DATA-2?as=557058:riley-requester")).await;
    let page = text(page);
    let link = page
        .split("<a href=\"")
        .filter_map(|s| s.split_once("\">"))
        .find(|(_, rest)| {
            rest.split('<')
                .next()
                .unwrap_or_default()
                .ends_with(".zip.age")
        })
        .map(|(href, _)| href.replace("&#x2F;", "/").replace("&amp;", "&"))
        .expect("the delivered file is on the issue page");
    let (status, file) = get(format!("{sandbox}{link}")).await;
    assert_eq!(
        status,
        reqwest::StatusCode::OK,
        "the file downloads from the issue page"
    );
    let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(password));
    let zip = age::decrypt(&id, &file).expect("the file opens with the revealed password");
    assert!(zip.starts_with(b"PK"), "a zip inside");
}

/// Without the Forge bundle (run from a folder whose forge/ has only the manifest) the demo still starts: the
/// Connect site works, and the landing page and the console mark the Forge site unavailable and say how to build it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_bundle_the_forge_site_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("checkout");
    std::fs::create_dir_all(cwd.join("forge")).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/forge/manifest.yml"),
        cwd.join("forge/manifest.yml"),
    )
    .unwrap();
    let ports = Ports::free();
    let (child, url) = start_in(&dir.path().join("demo"), ports, &cwd, Stdio::piped(), &[]);
    let http = reqwest::Client::new();
    let landing = get_text(&http, &url).await;
    assert!(
        landing.contains("Unavailable: the Forge Custom UI bundle is not built")
            && landing.contains("npm run --prefix forge build"),
        "{landing}"
    );
    let index = get_text(
        &http,
        &format!(
            "http://127.0.0.1:{}/?as=557058:riley-requester",
            ports.sandbox
        ),
    )
    .await;
    assert_eq!(
        index.matches("href=\"/browse/").count(),
        4,
        "the Connect site runs"
    );
    let forge = http
        .get(format!("http://127.0.0.1:{}/", ports.forge))
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await;
    assert!(forge.is_err_and(|e| e.is_connect()), "no Forge site");
    stop(child);
}
