//! Building and running the service: shared state, the HTTP client, and a server with graceful shutdown.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use axum::extract::FromRef;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::{
    config::Config,
    extract::source_policy::SourcePolicy,
    host::{connect::Connect, forge::Forge},
    jira::JiraClient,
    jobs::{Runner, RunnerConfig},
    metrics::Metrics,
    requests::roles::GroupCache,
    store::{Store, StoredTenant},
    tenant::Tenant,
};

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// Validated configuration.
    pub cfg: Arc<Config>,
    /// The database.
    pub store: Store,
    /// The Atlassian Connect host adapter.
    pub connect: Connect,
    /// The Forge Remote host adapter.
    pub forge: Forge,
    /// The one outbound HTTP client (Jira, key server).
    pub http: reqwest::Client,
    /// Users' Jira groups, cached briefly for role checks.
    pub groups: Arc<GroupCache>,
    /// People's display names, cached briefly for the panel.
    pub names: Arc<crate::requests::people::NameCache>,
    /// Jira's answers to who may see which issue, cached briefly for the panel API.
    pub issue_access: Arc<crate::requests::visibility::IssueAccess>,
    /// Prometheus metrics of this instance.
    pub metrics: Arc<Metrics>,
    /// What data sources may reach, with this deployment's own database refused.
    pub source_policy: Arc<SourcePolicy>,
}

impl FromRef<AppState> for Connect {
    fn from_ref(state: &AppState) -> Self {
        state.connect.clone()
    }
}

impl FromRef<AppState> for Forge {
    fn from_ref(state: &AppState) -> Self {
        state.forge.clone()
    }
}

impl AppState {
    /// Connect to the database, apply migrations and wire the adapters. Requires a master key.
    pub async fn build(cfg: Config) -> anyhow::Result<Self> {
        let keys = cfg.require_master_keys()?.clone();
        let store = Store::connect(cfg.database_url.expose_secret()).await?;
        let applied = store
            .migrate()
            .await
            .context("applying database migrations")?;
        if applied > 0 {
            tracing::info!(
                applied,
                engine = store.engine(),
                "database migrations applied"
            );
        }
        let http = http_client(&cfg)?;
        let connect = Connect::new(&cfg, store.clone(), keys.clone(), http.clone());
        let forge = Forge::new(&cfg, store.clone(), keys, http.clone());
        let source_policy = Arc::new(SourcePolicy::new(
            cfg.source_policy.clone(),
            &cfg.database_url,
        ));
        let issue_access = Arc::new(crate::requests::visibility::IssueAccess::new(
            cfg.issue_access_ttl,
        ));
        Ok(Self {
            cfg: Arc::new(cfg),
            store,
            connect,
            forge,
            http,
            groups: Arc::new(GroupCache::default()),
            names: Arc::default(),
            issue_access,
            metrics: Arc::new(Metrics::default()),
            source_policy,
        })
    }

    /// A Jira client for `tenant`, through whichever host adapter the tenant came in by (reads its stored secret).
    pub async fn jira(&self, tenant: &Tenant) -> anyhow::Result<JiraClient> {
        let stored = self
            .store
            .tenant_by_client_key(&tenant.client_key)
            .await?
            .with_context(|| format!("tenant {} is gone", tenant.client_key))?;
        Ok(self.jira_for(&stored).await?)
    }

    /// A Jira client for a tenant already loaded: Connect signs with its sealed secret; Forge uses the installation's
    /// newest system token at its verified API base URL.
    pub async fn jira_for(
        &self,
        stored: &StoredTenant,
    ) -> Result<JiraClient, crate::host::AuthError> {
        let site = if stored
            .tenant
            .client_key
            .starts_with(crate::host::forge::CLIENT_KEY_PREFIX)
        {
            self.forge.jira_site(stored).await?
        } else {
            self.connect.jira_site(stored)?
        };
        Ok(JiraClient::new(self.http.clone(), site).with_metrics(self.metrics.clone()))
    }
}

/// The shared outbound client: rustls, timeouts, a user agent naming the app, and no redirect followed.
pub fn http_client(cfg: &Config) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(format!(
            "clearance/{} ({})",
            env!("CARGO_PKG_VERSION"),
            cfg.app_key
        ))
        .timeout(cfg.http_timeout)
        .connect_timeout(Duration::from_secs(5).min(cfg.http_timeout))
        // No call Clearance makes expects a redirect (attachments are fetched with `redirect=false`): one would
        // carry a request to a host nobody configured.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")
}

/// Serve `state` on `listener` and run the job worker until `shutdown` completes; then stop claiming jobs, finish
/// in-flight requests and jobs, and return.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = state.cfg.worker.then(|| {
        let runner_cfg = RunnerConfig {
            lease: state.cfg.job_lease,
            slots: state.cfg.job_slots,
            wait_budget: state.cfg.job_wait_budget,
            ..RunnerConfig::default()
        };
        let mut runner = Runner::new(state.store.clone(), state.clone(), runner_cfg)
            .with_metrics(state.metrics.clone());
        crate::requests::register(&mut runner);
        crate::delivery::register(&mut runner);
        tokio::spawn(schedule_reconciliation(
            state.store.clone(),
            state.cfg.reconcile_interval,
            stop_rx.clone(),
        ));
        tokio::spawn(crate::delivery::retention::schedule(
            state.store.clone(),
            state.cfg.retention_sweep_interval,
            stop_rx.clone(),
        ));
        tokio::spawn(runner.run(stop_rx))
    });
    let router = crate::web::router(state);
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await
        .context("HTTP server failed");
    if let Some(w) = worker {
        w.await.context("job worker task")?;
    }
    served
}

/// Enqueue a reconciliation per active tenant every `every`, until `stop`.
async fn schedule_reconciliation(
    store: Store,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { return },
        }
        if let Err(e) = crate::requests::reconcile::schedule_all(&store).await {
            tracing::warn!(error = %e, "cannot schedule reconciliation");
        }
    }
}

/// A future that completes on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal that arrives in between (say, right after a "ready" line is printed) is not
/// lost to the default action, which would kill the process without a clean shutdown.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let registered = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        match registered {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! { _ = int.recv() => {}, _ = term.recv() => {} }
            }
            (int, term) => {
                for e in [int.err(), term.err()].into_iter().flatten() {
                    tracing::error!(error = %e, "cannot listen for a shutdown signal");
                }
                if let Err(e) = tokio::signal::ctrl_c().await {
                    tracing::error!(error = %e, "cannot listen for Ctrl-C");
                    std::future::pending::<()>().await;
                }
            }
        }
        #[cfg(not(unix))]
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down");
    }
}
