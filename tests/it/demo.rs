//! `clearance demo` as a newcomer runs it: it prints one URL; the simulated Jira lists the sample tickets; an issue
//! page embeds the Clearance panel, which loads; Ctrl-C stops it; a second run resumes without reinstalling or
//! duplicating tickets.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start the demo and wait for the URL it prints.
fn start(data: &std::path::Path, port: u16, sandbox_port: u16) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clearance"))
        .args([
            "demo",
            "--rows",
            "500",
            "--port",
            &port.to_string(),
            "--sandbox-port",
            &sandbox_port.to_string(),
            "--data-dir",
        ])
        .arg(data)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
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

fn stop(child: Child) -> String {
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "demo exits cleanly on Ctrl-C");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_starts_shows_the_panel_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let (port, sandbox_port) = (free_port(), free_port());
    let (child, url) = start(&data, port, sandbox_port);
    assert!(
        url.starts_with(&format!("http://127.0.0.1:{sandbox_port}/")),
        "{url}"
    );
    let http = reqwest::Client::new();
    let index = http.get(&url).send().await.unwrap().text().await.unwrap();
    let issues = index.matches("href=\"/browse/").count();
    assert_eq!(issues, 4, "sample tickets listed: {index}");

    // The ticket with the attached CSV, viewed by the analyst: the panel iframe is there and the app serves it.
    let page = http
        .get(format!(
            "http://127.0.0.1:{sandbox_port}/browse/DATA-3?as=557058:ana-analyst"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
    let log = stop(child);
    assert!(log.contains("tenant installed"), "first run installs");
    assert!(
        log.contains("demo warehouse registered as a data source"),
        "the analyst can dry-run against the demo warehouse: {log}"
    );

    // Second run: resumes from the data folder.
    let site_before = std::fs::read_to_string(data.join("jira-site.json")).unwrap();
    let (child, _) = start(&data, port, sandbox_port);
    let index = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(
        index.matches("href=\"/browse/").count(),
        4,
        "no duplicate tickets"
    );
    let log = stop(child);
    assert!(
        !log.contains("tenant installed") && !log.contains("registered as a data source"),
        "no re-install on resume: {log}"
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
