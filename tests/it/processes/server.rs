//! A real `clearance serve` child process for the tests: configured by environment only, on a free loopback port,
//! logging to a file (printed when the test fails), killed with SIGKILL on drop so a failing test leaves nothing
//! running.

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::Duration,
};

/// One running `clearance serve`.
pub struct Server {
    /// Its name (also its `HOSTNAME`, so its worker ids start with it).
    pub name: String,
    /// `http://127.0.0.1:{port}`, which it is configured with as its base URL.
    pub base_url: String,
    child: Child,
    log: PathBuf,
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Server {
    /// Start `clearance serve` named `name` with `env` (over a clean slate: no `CLEARANCE_*` from the caller), logging
    /// into `dir`, and wait until it answers `/healthz` (migrations are applied before it listens).
    pub async fn start(name: &str, dir: &Path, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let base_url = format!("http://127.0.0.1:{port}");
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).expect("create the server log");
        let err = out.try_clone().expect("clone the log handle");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_clearance"));
        for (k, _) in std::env::vars() {
            if k.starts_with("CLEARANCE_") {
                cmd.env_remove(k);
            }
        }
        let child = cmd
            .arg("serve")
            .env("CLEARANCE_LISTEN", format!("127.0.0.1:{port}"))
            .env("CLEARANCE_BASE_URL", &base_url)
            .env("HOSTNAME", name)
            .env("RUST_LOG", "info,clearance=debug")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start clearance serve");
        let mut server = Self {
            name: name.to_owned(),
            base_url,
            child,
            log,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited with {status} before answering:\n{}",
                    self.name,
                    self.log()
                );
            }
            let ok = http
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} did not answer within 15 s:\n{}", self.name, self.log());
    }

    /// Absolute URL of an app path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// SIGKILL (`kill -9`: no graceful shutdown, nothing flushed, leases left behind) and reap it.
    pub fn kill(&mut self) -> ExitStatus {
        // `Child::kill` sends SIGKILL on Unix.
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server")
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            eprintln!("--- last lines of {} ---", self.name);
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}
