//! The CLI subcommands' bodies: serve, migrate, check-config, keygen, rotate-key.

use std::path::Path;

use anyhow::{Context, bail};
use secrecy::ExposeSecret;

use crate::{
    app::{self, AppState},
    config::Config,
    crypto::MasterKeys,
    rotation::reseal_all,
    store::Store,
    telemetry,
};

fn load(config: Option<&Path>) -> anyhow::Result<Config> {
    let cfg = Config::load(config)?;
    telemetry::init(cfg.log_format);
    Ok(cfg)
}

/// `clearance serve`: migrate, then serve until Ctrl-C / SIGTERM.
pub async fn serve(config: Option<&Path>) -> anyhow::Result<()> {
    let cfg = load(config)?;
    let listen = cfg.listen;
    let state = AppState::build(cfg).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(
        %listen,
        base_url = state.cfg.base_url_str(),
        app_key = %state.cfg.app_key,
        database = state.store.engine(),
        "Clearance is serving; install it from {}/atlassian-connect.json",
        state.cfg.base_url_str()
    );
    let store = state.store.clone();
    app::serve(state, listener, app::shutdown_signal()).await?;
    store.close().await;
    Ok(())
}

/// `clearance migrate`: apply pending migrations and report.
pub async fn migrate(config: Option<&Path>) -> anyhow::Result<()> {
    let cfg = load(config)?;
    let store = Store::connect(cfg.database_url.expose_secret()).await?;
    let applied = store.migrate().await?;
    println!(
        "{applied} migration(s) applied to the {} database; schema is up to date",
        store.engine()
    );
    store.close().await;
    Ok(())
}

/// `clearance audit verify`: check the chains; prints one line per tenant and returns whether all are intact.
pub async fn audit_verify(config: Option<&Path>, tenant: Option<&str>) -> anyhow::Result<bool> {
    let store = open_store(config).await?;
    let tenants = match tenant {
        Some(t) => vec![find_tenant(&store, t).await?],
        None => store.tenant_keys().await?,
    };
    let mut all_ok = true;
    for (id, client_key) in &tenants {
        let report = crate::audit::verify::verify(&store, id).await?;
        all_ok &= report.ok();
        println!("{client_key}: {report}");
    }
    if tenants.is_empty() {
        println!("no tenants; nothing to verify");
    }
    store.close().await;
    Ok(all_ok)
}

/// `clearance audit export`: a tenant's events to a file or standard output.
pub async fn audit_export(
    config: Option<&Path>,
    tenant: &str,
    format: crate::audit::export::Format,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let (id, client_key) = find_tenant(&store, tenant).await?;
    let n = match out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            crate::audit::export::export(&store, &id, format, std::io::BufWriter::new(file)).await?
        }
        None => crate::audit::export::export(&store, &id, format, std::io::stdout().lock()).await?,
    };
    eprintln!("{n} audit event(s) of {client_key} exported");
    store.close().await;
    Ok(())
}

/// `clearance erase`: list (and with `apply`, remove) the live deliveries that contained the data subject `id`.
/// Returns whether everything found was removed (or, without `apply`, nothing needed to be).
pub async fn erase(
    config: Option<&Path>,
    id: &str,
    tenant: Option<&str>,
    apply: bool,
) -> anyhow::Result<bool> {
    let cfg = load(config)?;
    let app = AppState::build(cfg).await?;
    let found = crate::delivery::erase::erase(&app, id, tenant, apply).await?;
    for f in &found {
        println!("{f}");
    }
    let failed = found
        .iter()
        .filter(|f| matches!(f.outcome, Some(Err(_))))
        .count();
    match (found.len(), apply) {
        (0, _) => eprintln!("no live delivery contained this data subject"),
        (n, false) => eprintln!(
            "{n} live deliveries contained this data subject; run again with --apply to remove them"
        ),
        (n, true) => eprintln!("{} of {n} deliveries removed", n - failed),
    }
    app.store.close().await;
    Ok(failed == 0)
}

async fn open_store(config: Option<&Path>) -> anyhow::Result<Store> {
    let cfg = load(config)?;
    let store = Store::connect(cfg.database_url.expose_secret()).await?;
    store.migrate().await?;
    Ok(store)
}

/// A tenant named by clientKey or id, as `(id, client_key)`.
async fn find_tenant(store: &Store, name: &str) -> anyhow::Result<(String, String)> {
    store
        .tenant_keys()
        .await?
        .into_iter()
        .find(|(id, key)| id == name || key == name)
        .ok_or_else(|| anyhow::anyhow!("no tenant with clientKey or id {name:?}"))
}

/// `clearance check-config`: validate and print the effective settings (secrets redacted).
pub fn check_config(config: Option<&Path>) -> anyhow::Result<()> {
    let cfg = Config::load(config)?;
    let keys = match &cfg.master_keys {
        Some(k) => format!("set (current key id {})", k.current_id()),
        None => "NOT SET — serve will refuse to start; run `clearance keygen`".into(),
    };
    let rows = [
        ("CLEARANCE_LISTEN", cfg.listen.to_string()),
        ("CLEARANCE_BASE_URL", cfg.base_url_str().to_owned()),
        ("CLEARANCE_APP_KEY", cfg.app_key.clone()),
        (
            "CLEARANCE_DATABASE_URL",
            crate::sources::redacted_url(&cfg.database_url),
        ),
        ("CLEARANCE_MASTER_KEY", keys),
        ("CLEARANCE_JIRA_HOSTS", format!("{:?}", cfg.jira_hosts)),
        (
            "CLEARANCE_INSTALL_KEYS_URL",
            cfg.install_keys_url.to_string(),
        ),
        (
            "CLEARANCE_LOG_FORMAT",
            format!("{:?}", cfg.log_format).to_lowercase(),
        ),
        (
            "CLEARANCE_JWT_LEEWAY_SECS",
            cfg.jwt_leeway.as_secs().to_string(),
        ),
        (
            "CLEARANCE_HTTP_TIMEOUT_SECS",
            cfg.http_timeout.as_secs().to_string(),
        ),
        (
            "CLEARANCE_JOB_LEASE_SECS",
            cfg.job_lease.as_secs().to_string(),
        ),
        ("CLEARANCE_SLACK_API_URL", cfg.slack_api_url.to_string()),
        ("CLEARANCE_WORK_DIR", cfg.work_dir.display().to_string()),
        (
            "CLEARANCE_REVEAL_LINK_SECS",
            cfg.reveal_link_ttl.as_secs().to_string(),
        ),
        (
            "CLEARANCE_RETENTION_SWEEP_SECS",
            cfg.retention_sweep_interval.as_secs().to_string(),
        ),
        (
            "CLEARANCE_FORGE_APP_ID",
            match &cfg.forge {
                Some(f) => format!(
                    "{} (Forge front door on; keys from {})",
                    f.app_id, f.jwks_url
                ),
                None => "not set (Forge front door off)".to_owned(),
            },
        ),
        (
            "CLEARANCE_METRICS_TOKEN",
            match cfg.metrics_token {
                Some(_) => "set (GET /metrics requires it)".to_owned(),
                None => "not set (GET /metrics is open; keep it off the internet)".to_owned(),
            },
        ),
    ];
    for (k, v) in rows {
        println!("{k:<28} {v}");
    }
    if cfg.master_keys.is_none() {
        bail!("configuration is valid but incomplete: CLEARANCE_MASTER_KEY is required to serve");
    }
    println!("configuration OK");
    Ok(())
}

/// `clearance healthcheck`: GET `/healthz` on the configured listen address (loopback when it listens on all).
pub async fn healthcheck(config: Option<&Path>) -> anyhow::Result<()> {
    let cfg = Config::load(config)?;
    let mut addr = cfg.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!(
        "http://{addr}{}/healthz",
        cfg.base_url.path().trim_end_matches('/')
    );
    let resp = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("no answer from {url}"))?;
    if !resp.status().is_success() {
        bail!("{url} answered {}", resp.status());
    }
    println!("ok");
    Ok(())
}

/// `clearance demo`: the app with the sandbox and the demo warehouse.
#[cfg(feature = "demo")]
pub async fn demo(opts: crate::demo::DemoOptions) -> anyhow::Result<()> {
    telemetry::init(crate::config::LogFormat::Text);
    crate::demo::run(opts).await
}

/// `clearance demo-data`: generate the demo warehouse into `out`.
#[cfg(feature = "demo")]
pub async fn demo_data(out: &str, rows: u64, seed: u64) -> anyhow::Result<()> {
    telemetry::init(crate::config::LogFormat::Text);
    let report = clearance_sandbox::warehouse::generate(out, rows, seed).await?;
    println!("{report}");
    Ok(())
}

/// `clearance keygen`: print a new master key.
pub fn keygen() {
    println!("{}", MasterKeys::generate().expose_secret());
}

/// `clearance rotate-key`: re-seal every stored secret under the current master key (see [`reseal_all`]).
/// The old key must be listed in `CLEARANCE_PREVIOUS_MASTER_KEYS` so existing values can be opened.
pub async fn rotate_key(config: Option<&Path>) -> anyhow::Result<()> {
    let cfg = load(config)?;
    let keys = cfg.require_master_keys()?.clone();
    let store = Store::connect(cfg.database_url.expose_secret()).await?;
    store.migrate().await?;
    let report = reseal_all(&store, &keys).await?;
    println!(
        "re-sealed {} secret(s) under key {}; sealed {} erasure salt(s) stored in clear; {} already current; {} \
         changed during rotation (run again)",
        report.resealed,
        keys.current_id(),
        report.sealed_clear,
        report.current,
        report.raced
    );
    store.close().await;
    Ok(())
}
