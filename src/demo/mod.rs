//! `clearance demo`: Clearance with SQLite in a local data folder, the demo warehouse and two simulated Jira sites
//! with sample data-request tickets: one that installed Clearance through Forge (its own port; see `demo_sites`), as
//! a new Jira site does today, and one through Atlassian Connect (the sandbox port, which also serves Slack and the
//! landing page that tells the two apart). Stops on Ctrl-C and resumes from the saved state, even after a crash
//! (delete the data folder to start over).

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use clearance_sandbox::{
    KEYS_PATH, SLACK_PATH, demo_landing,
    demo_sites::{self, ForgeSiteSpec},
    jira::{JiraSim, SimKeys, SimOptions, keys::Stored, people},
    persist, router, serve_in_background, warehouse,
};

mod forge;
mod slack;

use crate::{
    app::{self, AppState},
    config::Config,
    crypto::MasterKeys,
    sources::{self, SourceInput},
};

/// Where and how the demo runs.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Folder for the app database, the sandbox state, the warehouse and the master key.
    pub data_dir: PathBuf,
    /// Port of the app.
    pub port: u16,
    /// Port of the Jira/Slack sandbox (the Connect site, Slack, the landing page).
    pub sandbox_port: u16,
    /// Port of the simulated Jira site that installs Clearance through Forge.
    pub forge_port: u16,
    /// Customers in the demo warehouse (created on first run).
    pub rows: u64,
}

/// Read a file, or create it with `make()` (mode 0600: it may hold a key).
fn read_or_create(
    path: &Path,
    make: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    if path.exists() {
        return std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()));
    }
    let content = make()?;
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut f = open
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(content.as_bytes())?;
    Ok(content)
}

async fn bind(port: u16, what: &str, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port} for the {what}; is another demo running? Choose another port with {flag}"))
}

/// Run the demo until Ctrl-C / SIGTERM.
pub async fn run(opts: DemoOptions) -> anyhow::Result<()> {
    let dir = &opts.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let master = read_or_create(&dir.join("master.key"), || {
        Ok(MasterKeys::generate().expose_secret().to_owned())
    })?;
    let keys_json = read_or_create(&dir.join("install-key.json"), || {
        Ok(serde_json::to_string_pretty(SimKeys::generate()?.stored())?)
    })?;
    let keys = SimKeys::from_stored(
        serde_json::from_str::<Stored>(&keys_json)
            .context("install-key.json is damaged; delete the data folder")?,
    );

    let sandbox_listener = bind(opts.sandbox_port, "Jira/Slack sandbox", "--sandbox-port").await?;
    let forge_listener = bind(opts.forge_port, "Forge site", "--forge-port").await?;
    let app_listener = bind(opts.port, "app", "--port").await?;
    let sandbox_url = format!("http://127.0.0.1:{}", opts.sandbox_port);
    let app_url = format!("http://127.0.0.1:{}", opts.port);
    let landing_url = format!("{sandbox_url}{}", demo_landing::LANDING_PATH);
    let slack_inbox = format!("{sandbox_url}{SLACK_PATH}/inbox");
    let forge_dir = demo_sites::forge_dir();
    demo_sites::build_bundle_if_missing(&forge_dir).await;
    let forge_app = demo_sites::forge_app(&forge_dir);

    // The simulated Jira site, restored from its saved state when there is one.
    let site_file = dir.join("jira-site.json");
    let state = persist::load(&site_file)?.unwrap_or_else(JiraSim::fresh_state);
    let links = vec![
        ("Slack inbox".to_owned(), slack_inbox.clone()),
        ("All demo sites".to_owned(), landing_url.clone()),
    ];
    let options = SimOptions {
        links: links.clone(),
        site_note: Some(
            "Connect site: Clearance installed through Atlassian Connect (sites that already have the Connect app)."
                .into(),
        ),
        ..SimOptions::default()
    };
    let jira = JiraSim::from_state(&sandbox_url, keys.clone(), options, state, Some(site_file));
    let fresh = jira.state().users.is_empty();
    if fresh {
        jira.add_default_people();
    }
    let (slack, bot, channel) = slack::workspace(dir, &jira)?;
    // The Forge site, when the bundle is built (its port stays unused otherwise).
    let forge = match &forge_app {
        Ok(_) => Ok(demo_sites::start_forge_site(ForgeSiteSpec {
            data_dir: dir,
            listener: forge_listener,
            forge_dir: &forge_dir,
            keys,
            links,
            note: "Forge site: Clearance installed through Forge, as a new Jira site installs it today.".into(),
        })?),
        Err(why) => {
            drop(forge_listener); // nothing listens there: the port refuses
            Err(why.clone())
        }
    };
    let landing = demo_landing::router(forge.clone(), jira.clone(), slack_inbox.clone());
    serve_in_background(sandbox_listener, router(&jira, Some(slack)).merge(landing));

    let warehouse_file = dir.join("warehouse.db");
    if !warehouse_file.exists() {
        // Build under a temporary name and rename when complete, so an interrupted first run starts over cleanly.
        let partial = dir.join("warehouse.partial.db");
        for stale in [
            "warehouse.partial.db",
            "warehouse.partial.db-wal",
            "warehouse.partial.db-shm",
        ] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
        tracing::info!(customers = opts.rows, "generating the demo warehouse");
        let report = warehouse::generate(
            &format!("sqlite://{}", partial.display()),
            opts.rows,
            warehouse::DEFAULT_SEED,
        )
        .await?;
        std::fs::rename(&partial, &warehouse_file)
            .with_context(|| format!("moving {} into place", partial.display()))?;
        tracing::info!(%report, "demo warehouse ready");
    }

    let cfg = Config::from_pairs(
        [
            ("listen", format!("127.0.0.1:{}", opts.port)),
            ("base_url", app_url.clone()),
            (
                "database_url",
                format!("sqlite://{}", dir.join("clearance.db").display()),
            ),
            ("master_key", master.trim().to_owned()),
            ("jira_hosts", "127.0.0.1,localhost".to_owned()),
            ("install_keys_url", format!("{sandbox_url}{KEYS_PATH}")),
            ("connect_js_url", format!("{sandbox_url}/_sandbox/all.js")),
            ("slack_api_url", format!("{sandbox_url}{SLACK_PATH}/api")),
            // The demo's own warehouse file lives in its folder (Clearance's own database beside it stays refused).
            ("source_sqlite_dirs", canonical_dir(dir)?),
        ]
        .into_iter()
        .chain(forge_settings(forge.as_ref().ok())),
    )?;
    let state = AppState::build(cfg).await?;
    let store = state.store.clone();
    // On a restart, connect Slack before the job worker starts, so no job runs with another token.
    let known = store.tenant_by_client_key(&jira.client_key()).await?;
    if let Some(t) = &known {
        slack::connect(&state, &t.tenant.id, &bot, &channel).await?;
    }
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app::serve(state.clone(), app_listener, async {
        let _ = stop_rx.await;
    }));

    // Install (again) when the site has no app or the app has no tenant for the site (e.g. its database was reset).
    let installed = jira.state().app.is_some()
        && store
            .tenant_by_client_key(&jira.client_key())
            .await?
            .is_some_and(|t| t.tenant.state.is_active());
    if !installed {
        jira.install(&format!("{app_url}/atlassian-connect.json"))
            .await
            .context("installing Clearance into the simulated site")?;
    }
    if known.is_none() {
        let tenant = demo_tenant(&state, &jira.client_key()).await?;
        slack::connect(&state, &tenant.id, &bot, &channel).await?;
    }
    if jira.state().issues.is_empty() {
        sample_tickets(&jira);
    }
    demo_source(&state, &jira.client_key(), &warehouse_file).await?;
    if let (Ok(site), Ok(manifest)) = (&forge, &forge_app) {
        forge::install_forge(site, &store, manifest, &app_url)
            .await
            .context("installing Clearance into the simulated Forge site")?;
        if site.state().issues.is_empty() {
            sample_tickets(site);
        }
        let key = forge::forge_client_key(site);
        let tenant = demo_tenant(&state, &key).await?;
        slack::connect(&state, &tenant.id, &bot, &channel).await?;
        demo_source(&state, &key, &warehouse_file).await?;
    }

    // Listen for Ctrl-C before saying the demo is ready: a signal right after that line must stop it cleanly.
    let stop = app::shutdown_signal();
    let forge_line = match &forge {
        Ok(site) => format!(
            "{}/?as={}  (installed through Forge: how a new Jira site installs Clearance today)",
            site.base_url(),
            people::REQUESTER
        ),
        Err(why) => format!("unavailable: {why}"),
    };
    println!(
        "\nClearance demo is running: two simulated Jira sites, one per way Clearance installs.\n\n  \
         Open {landing_url}\n\n  \
         Forge site:     {forge_line}\n  \
         Connect site:   {sandbox_url}/?as={}  (installed through Atlassian Connect: sites that already have it)\n\n  \
         On each site: the issue list; open a ticket to see the Clearance panel. Switch person at the top right:\n    \
         Riley Requester (files requests), Ana Analyst, Pia Privacy (privacy officer), Adam Admin.\n    \
         Apps › Clearance dashboard in the top bar (Pia, Adam); Apps › Clearance is the admin page (Adam).\n  \
         Slack inbox:    {slack_inbox}\n  \
         App:            {app_url} (Connect descriptor at /atlassian-connect.json; Forge calls it as the manifest's remote)\n  \
         Data folder:    {} (delete it to start over)\n\nCtrl-C stops; running the demo again resumes where you left off.\n",
        people::REQUESTER,
        dir.display()
    );
    stop.await;
    let _ = stop_tx.send(());
    server.await.context("app task")??;
    jira.changed();
    if let Ok(site) = &forge {
        site.changed();
    }
    store.close().await;
    Ok(())
}

fn canonical_dir(dir: &Path) -> anyhow::Result<String> {
    Ok(std::fs::canonicalize(dir)
        .with_context(|| format!("locating {}", dir.display()))?
        .display()
        .to_string())
}

/// The tenant of the demo site with this client key.
async fn demo_tenant(state: &AppState, client_key: &str) -> anyhow::Result<crate::tenant::Tenant> {
    let stored = state.store.tenant_by_client_key(client_key).await?;
    Ok(stored.context("the demo site has no tenant")?.tenant)
}

/// Clearance's Forge settings for the Forge site: its app id, JWKS and API host.
fn forge_settings(site: Option<&JiraSim>) -> Vec<(&'static str, String)> {
    site.map(|s| {
        vec![
            ("forge_app_id", s.forge_app_id().to_owned()),
            ("forge_jwks_url", s.forge_jwks_url()),
            ("forge_api_hosts", "127.0.0.1,localhost".to_owned()),
        ]
    })
    .unwrap_or_default()
}

/// The demo warehouse as the data source `demo-warehouse` for project DATA, unless the site has it already (an admin
/// may have changed it).
async fn demo_source(state: &AppState, client_key: &str, file: &Path) -> anyhow::Result<()> {
    const NAME: &str = "demo-warehouse";
    let tenant = demo_tenant(state, client_key).await?;
    if state.store.data_source(&tenant.id, NAME).await?.is_some() {
        return Ok(());
    }
    let file = std::fs::canonicalize(file).context("locating the demo warehouse")?;
    let body = serde_json::json!({
        "kind": "sqlite", "url": format!("sqlite://{}", file.display()), "environment": "staging",
        "allowedProjects": ["DATA"], "statementTimeoutSecs": 60,
    });
    let input = SourceInput::from_json(body.to_string().as_bytes())?;
    let keys = state.cfg.require_master_keys()?;
    sources::put(
        &state.store,
        keys,
        &state.source_policy,
        &tenant.id,
        "demo",
        NAME,
        input,
    )
    .await?;
    tracing::info!(source = NAME, "demo warehouse registered as a data source");
    Ok(())
}

/// The sample tickets: a plain request, one with personal data, one driven by an attached CSV of customer IDs.
fn sample_tickets(jira: &JiraSim) {
    let r = people::REQUESTER;
    jira.create_issue(
        "DATA",
        "Monthly order volume by country, last 12 months",
        "For the quarterly business review we need the number of orders and revenue per country and month.\n\n\
         No customer-level data needed, aggregates only.",
        &["data-request"],
        r,
    );
    jira.create_issue(
        "DATA",
        "Emails of customers who opted in to marketing",
        "Marketing is relaunching the newsletter and needs first name, last name and email of every customer with \
         marketing consent, by country.",
        &["data-request", "marketing"],
        r,
    );
    let key = jira.create_issue(
        "DATA",
        "Order history for the customers in the attached list",
        "Support needs the orders and payment status of the customers listed in the attached file (column \
         customer_id) to resolve a billing complaint.",
        &["data-request", "support"],
        r,
    );
    let mut csv = String::from("customer_id\n");
    for id in (7..=250).step_by(7) {
        csv.push_str(&format!("{id}\n"));
    }
    jira.attach(&key, r, "customer_ids.csv", "text/csv", csv.into_bytes());
    jira.create_issue(
        "OPS",
        "Rotate the VPN certificates",
        "Not a data request: Clearance ignores it.",
        &["ops"],
        people::ADMIN,
    );
}
