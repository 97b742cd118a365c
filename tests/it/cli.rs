//! The `clearance` binary: help on every subcommand, keygen, config errors, serve refusing without a master key,
//! migrate creating the SQLite database.

use std::process::Command;

use secrecy::ExposeSecret;

fn clearance() -> Command {
    crate::helpers::clearance_command()
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "serve",
        "migrate",
        "check-config",
        "keygen",
        "rotate-key",
        "healthcheck",
        "erase",
    ] {
        let out = clearance().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage: clearance"), "{sub}: {text}");
    }
    let out = clearance().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "serve",
        "migrate",
        "check-config",
        "keygen",
        "rotate-key",
        "healthcheck",
        "erase",
    ] {
        assert!(text.contains(sub), "top-level help lists {sub}");
    }
}

#[test]
fn keygen_prints_a_usable_key() {
    let out = clearance().arg("keygen").output().unwrap();
    assert!(out.status.success());
    let key = String::from_utf8(out.stdout).unwrap();
    assert!(
        clearance::crypto::MasterKeys::parse(key.trim(), &[]).is_ok(),
        "{key}"
    );
}

#[test]
fn serve_refuses_without_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = clearance()
        .arg("serve")
        .env(
            "CLEARANCE_DATABASE_URL",
            format!("sqlite://{}/c.db", dir.path().display()),
        )
        .env("CLEARANCE_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CLEARANCE_MASTER_KEY") && err.contains("clearance keygen"),
        "{err}"
    );
}

#[test]
fn bad_config_names_the_setting() {
    let out = clearance()
        .arg("check-config")
        .env("CLEARANCE_BASE_URL", "http://clearance.example.com")
        .env("CLEARANCE_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CLEARANCE_BASE_URL") && err.contains("https://"),
        "{err}"
    );
    assert!(err.contains("CLEARANCE_LOG_FORMAT"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:9999\"\nno_such_setting = 1\n").unwrap();
    let out = clearance()
        .args(["check-config", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no_such_setting"), "{err}");

    let out = clearance()
        .args(["check-config", "--config", "/does/not/exist.toml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn file_then_environment_layering() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    let key = String::from_utf8(clearance().arg("keygen").output().unwrap().stdout).unwrap();
    std::fs::write(
        &file,
        format!(
            "listen = \"127.0.0.1:9999\"\napp_key = \"from.file\"\nmaster_key = \"{}\"\n",
            key.trim()
        ),
    )
    .unwrap();
    let out = clearance()
        .args(["check-config", "--config"])
        .arg(&file)
        .env("CLEARANCE_APP_KEY", "from.env")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("127.0.0.1:9999"), "file value used: {text}");
    assert!(
        text.contains("from.env") && !text.contains("from.file"),
        "env overrides file: {text}"
    );
    assert!(!text.contains(key.trim()), "master key printed: {text}");
}

#[test]
fn erase_lists_nothing_on_an_empty_store_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("clearance.db").display());
    let key = clearance().arg("keygen").output().unwrap().stdout;
    let run = |args: &[&str]| {
        clearance()
            .arg("erase")
            .args(args)
            .env("CLEARANCE_DATABASE_URL", &db)
            .env("CLEARANCE_MASTER_KEY", String::from_utf8_lossy(&key).trim())
            .output()
            .unwrap()
    };
    let out = run(&["--id", "4711"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no live delivery contained this data subject")
    );
    let out = run(&["--id", "  "]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--id is empty"));
    let out = run(&["--id", "4711", "--tenant", "nobody", "--apply"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tenant \"nobody\""));
}

#[test]
fn migrate_creates_the_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/folder/clearance.db");
    let out = clearance()
        .arg("migrate")
        .env(
            "CLEARANCE_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(db.exists());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(" migration(s) applied")
            && !String::from_utf8_lossy(&out.stdout).starts_with("0 ")
    );
    let again = clearance()
        .arg("migrate")
        .env(
            "CLEARANCE_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        )
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 migration(s) applied"));
}

#[test]
fn serve_with_fresh_sqlite_serves_descriptor_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let key = String::from_utf8(clearance().arg("keygen").output().unwrap().stdout).unwrap();
    let envs = [
        ("CLEARANCE_LISTEN", format!("127.0.0.1:{port}")),
        ("CLEARANCE_BASE_URL", format!("http://127.0.0.1:{port}")),
        (
            "CLEARANCE_DATABASE_URL",
            format!("sqlite://{}/data/clearance.db", dir.path().display()),
        ),
        ("CLEARANCE_MASTER_KEY", key.trim().to_string()),
        ("CLEARANCE_LOG_FORMAT", "json".to_string()),
        ("RUST_LOG", "debug".to_string()),
    ];
    let child = clearance()
        .arg("serve")
        .envs(envs.clone())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut healthy = false;
    for _ in 0..100 {
        if clearance()
            .arg("healthcheck")
            .envs(envs.clone())
            .output()
            .unwrap()
            .status
            .success()
        {
            healthy = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(healthy, "serve never became healthy");
    let body = reqwest::blocking_get(&format!("http://127.0.0.1:{port}/atlassian-connect.json"));
    let d: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(d["baseUrl"], format!("http://127.0.0.1:{port}"));
    assert!(
        dir.path().join("data/clearance.db").exists(),
        "SQLite file created on first run"
    );
    // A request carrying a token in the query string: refused, and the token never reaches the log.
    let token_marker = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJsZWFrLWNoZWNrIn0.c2lnbmF0dXJlLW1hcmtlcg";
    let refused = reqwest::blocking_get(&format!(
        "http://127.0.0.1:{port}/panel?issueKey=DATA-1&jwt={token_marker}"
    ));
    assert!(refused.contains("authentication failed"), "{refused}");

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "graceful exit");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.lines().all(|l| l.starts_with('{')),
        "json log lines: {log}"
    );
    assert!(log.contains("shutting down"), "{log}");
    assert!(!log.contains(key.trim()), "master key in log");
    assert!(
        log.contains("request refused"),
        "the refusal is logged: {log}"
    );
    assert!(
        !log.contains("c2lnbmF0dXJlLW1hcmtlcg") && !log.contains("eyJpc3MiOiJsZWFrLWNoZWNrIn0"),
        "token in log: {log}"
    );
}

/// A tiny blocking GET without pulling reqwest's blocking feature into the build.
mod reqwest {
    pub fn blocking_get(url: &str) -> String {
        let url = url.to_string();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async { ::reqwest::get(&url).await.unwrap().text().await.unwrap() })
        })
        .join()
        .unwrap()
    }
}

#[test]
fn example_config_file_is_valid() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/clearance.example.toml");
    let out = clearance()
        .args(["check-config", "--config", file])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Valid, but without a master key `serve` would refuse: check-config says exactly that.
    assert!(
        stderr.contains("CLEARANCE_MASTER_KEY is required"),
        "{stderr}"
    );
    assert!(!stderr.contains("invalid configuration"), "{stderr}");
    let out = clearance()
        .args(["check-config", "--config", file])
        .env(
            "CLEARANCE_MASTER_KEY",
            clearance::crypto::MasterKeys::generate().expose_secret(),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
