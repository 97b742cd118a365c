//! Building and running the service: the wiring of store, front doors, services and workflow into the handlers'
//! state, the HTTP client, and a server with its job worker and graceful shutdown.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context as _;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

pub use crate::web::AppState;
use crate::{
    config::Config,
    host::{HostSites, connect::Connect, forge::Forge},
    jobs::{Runner, RunnerConfig},
    metrics::Metrics,
    requests::Context,
    services::Services,
    store::Store,
};

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
        let services = Services {
            cfg: Arc::new(cfg),
            store,
            http,
            metrics: Arc::new(Metrics::default()),
            sites: Arc::new(HostSites {
                connect: connect.clone(),
                forge: forge.clone(),
            }),
        };
        Ok(Self {
            ctx: Context::new(services),
            connect,
            forge,
        })
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
        let mut runner = Runner::new(state.store.clone(), state.ctx.clone(), runner_cfg)
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
