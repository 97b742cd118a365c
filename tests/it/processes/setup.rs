//! What the process tests share: a simulated Jira site, one fresh database, the settings every `clearance serve` of
//! the test gets (same database and master key), and a store handle for the test to read what the processes wrote.

use std::time::Duration;

use clearance::{
    crypto::MasterKeys,
    store::{JobRow, Store},
};
use clearance_sandbox::{
    self as sandbox,
    jira::{JiraSim, SimKeys, SimOptions},
};
use secrecy::ExposeSecret;

use super::server::Server;
use crate::helpers::{APP_KEY, Backend, TestDb};

/// A site, a database and the settings to run Clearance against them.
pub struct Setup {
    pub sim: JiraSim,
    /// The test's own connection to the processes' database.
    pub store: Store,
    master_key: String,
    db: Option<TestDb>,
    dir: tempfile::TempDir,
}

impl Setup {
    pub async fn new(backend: Backend) -> Self {
        let sim = sandbox::spawn_site(
            SimKeys::generate().expect("install key"),
            SimOptions::default(),
        )
        .await
        .expect("simulated site");
        sim.add_default_people();
        let dir = tempfile::tempdir().expect("tempdir");
        let db = TestDb::create(backend, dir.path()).await;
        let store = Store::connect(&db.url)
            .await
            .expect("open the test database");
        Self {
            sim,
            store,
            master_key: MasterKeys::generate().expose_secret().to_string(),
            db: Some(db),
            dir,
        }
    }

    /// Start `clearance serve` as `name` on this setup's database, worker on, trusting the site; `extra` settings last.
    pub async fn server(&self, name: &str, extra: &[(&str, String)]) -> Server {
        let db = self.db.as_ref().expect("database not dropped yet");
        let mut env = vec![
            ("CLEARANCE_APP_KEY", APP_KEY.to_owned()),
            ("CLEARANCE_DATABASE_URL", db.url.clone()),
            ("CLEARANCE_MASTER_KEY", self.master_key.clone()),
            ("CLEARANCE_JIRA_HOSTS", "127.0.0.1".to_owned()),
            (
                "CLEARANCE_INSTALL_KEYS_URL",
                format!("{}{}", self.sim.base_url(), sandbox::KEYS_PATH),
            ),
            ("CLEARANCE_WORKER", "true".to_owned()),
        ];
        env.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
        Server::start(name, self.dir.path(), &env).await
    }

    /// Install the app into the site from `server`'s descriptor; returns the tenant id it stored.
    pub async fn install(&self, server: &Server) -> String {
        self.sim
            .install(&server.url("/atlassian-connect.json"))
            .await
            .expect("install through the simulator");
        self.store
            .tenant_by_client_key(&self.sim.client_key())
            .await
            .expect("read tenant")
            .expect("tenant stored by the install")
            .tenant
            .id
    }

    /// Every `sync_issue` job, oldest first.
    pub async fn sync_jobs(&self) -> Vec<JobRow> {
        let sql = "SELECT id FROM jobs WHERE kind = 'sync_issue' ORDER BY created_at, id";
        let ids: Vec<String> = match &self.store {
            Store::Sqlite(p, _) => sqlx::query_scalar(sql).fetch_all(p).await,
            Store::Postgres(p) => sqlx::query_scalar(sql).fetch_all(p).await,
        }
        .expect("list jobs");
        let mut jobs = Vec::new();
        for id in ids {
            jobs.extend(self.store.job(&id).await.expect("read job"));
        }
        jobs
    }

    /// Close the test's connection and drop the database (stop the servers first).
    pub async fn cleanup(mut self) {
        self.store.close().await;
        if let Some(db) = self.db.take() {
            db.drop_database().await;
        }
    }
}

/// Poll `probe` every 50 ms until it gives a value; panic after `limit`.
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    limit: Duration,
    what: &str,
    mut probe: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not reached within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
