//! `clearance` command line: a thin shell over the library.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

/// Clearance: data requests from Jira tickets, reviewed, approved, encrypted and delivered.
#[derive(Parser)]
#[command(name = "clearance", version, about, long_about = None)]
struct Cli {
    /// Optional TOML configuration file (see clearance.example.toml); CLEARANCE_* environment variables override it.
    #[arg(long, global = true, env = "CLEARANCE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default): apply migrations, then serve the descriptor, lifecycle, iframes and APIs.
    ///
    /// Requires CLEARANCE_MASTER_KEY. Stops gracefully on Ctrl-C or SIGTERM.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Validate the configuration and print the effective settings with secrets redacted.
    ///
    /// Exits non-zero when a setting is invalid or the master key is missing.
    CheckConfig,
    /// Print a new random master key (base64, 32 bytes) for CLEARANCE_MASTER_KEY.
    Keygen,
    /// Re-seal every stored secret (and any erasure salt still in clear) under the current master key.
    ///
    /// Set the new key as CLEARANCE_MASTER_KEY and the old one in CLEARANCE_PREVIOUS_MASTER_KEYS, run this, then
    /// remove the old key.
    RotateKey,
    /// Exit 0 if the service on CLEARANCE_LISTEN answers /healthz (for container health checks).
    Healthcheck,
    /// Check or export the tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Find every still-live delivery built from an ID list that contained a data subject (erasure requests).
    ///
    /// Lists tenant, issue, file, state and date; with --apply removes each (the attachment is deleted from its
    /// issue, a bundle not yet attached stops its extraction), audited. Exits 1 when a removal failed.
    Erase {
        /// The data subject's ID, as it appears in ID-list files.
        #[arg(long)]
        id: String,
        /// Only this tenant (its Connect clientKey or Clearance tenant id).
        #[arg(long)]
        tenant: Option<String>,
        /// Remove what was found (without it, only list).
        #[arg(long)]
        apply: bool,
    },
    /// Try Clearance locally: the app, two simulated Jira sites (one installed through Forge, one through Connect) and
    /// Slack, and a demo warehouse with synthetic personal data, with sample data-request tickets. Prints the one URL
    /// to open.
    ///
    /// Everything is kept in --data-dir; running the demo again resumes from it. Ignores CLEARANCE_* settings.
    #[cfg(feature = "demo")]
    Demo {
        /// Folder for the demo's databases, keys and simulator state.
        #[arg(long, default_value = "data/demo")]
        data_dir: PathBuf,
        /// Port of the app.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Port of the simulated Jira site that installs through Atlassian Connect, Slack and the landing page.
        #[arg(long, default_value_t = 8081)]
        sandbox_port: u16,
        /// Port of the simulated Jira site that installs through Forge (needs the built bundle, see the README).
        #[arg(long, default_value_t = 8082)]
        forge_port: u16,
        /// Customers in the demo warehouse (generated on first run).
        #[arg(long, default_value_t = 10_000)]
        rows: u64,
    },
    /// Extract a query's result into an encrypted bundle (zip with the data file and manifest.json).
    ///
    /// Runs in a read-only session with the SQL guard, caps and masking of a request's extraction. Shows progress on
    /// a terminal; prints a one-line JSON summary when standard output is not one.
    Extract(Box<clearance::extract_command::ExtractArgs>),
    /// Generate the demo warehouse (customers, orders, payments, support tickets with synthetic personal data).
    ///
    /// Deterministic: the same --rows and --seed give the same data on every run and database.
    #[cfg(feature = "demo")]
    DemoData {
        /// Number of customers (orders ≈ 3×, payments ≈ 1 per order, tickets ≈ 0.5×).
        #[arg(long, default_value_t = 10_000)]
        rows: u64,
        /// Target database: sqlite://PATH, postgres://…, or mysql://… (MariaDB).
        #[arg(long, default_value = "sqlite://data/warehouse.db")]
        out: String,
        /// Random seed.
        #[arg(long, default_value_t = clearance_sandbox::warehouse::DEFAULT_SEED)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every tenant's hash chain (or one tenant's) and name the first broken event.
    ///
    /// Exits 0 when every chain checks out, 1 when one is broken.
    Verify {
        /// Only this tenant (its Connect clientKey or Clearance tenant id).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Write a tenant's audit events, in chain order, as CSV or JSON lines.
    Export {
        /// The tenant (its Connect clientKey or Clearance tenant id).
        #[arg(long)]
        tenant: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: clearance::audit::export::Format,
        /// Output file (standard output when absent).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.config.as_deref();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => clearance::commands::serve(config).await,
        Command::Migrate => clearance::commands::migrate(config).await,
        Command::CheckConfig => clearance::commands::check_config(config),
        Command::Keygen => {
            clearance::commands::keygen();
            Ok(())
        }
        Command::RotateKey => clearance::commands::rotate_key(config).await,
        Command::Healthcheck => clearance::commands::healthcheck(config).await,
        Command::Audit {
            command: AuditCommand::Verify { tenant },
        } => match clearance::commands::audit_verify(config, tenant.as_deref()).await {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
        Command::Audit {
            command:
                AuditCommand::Export {
                    tenant,
                    format,
                    out,
                },
        } => clearance::commands::audit_export(config, &tenant, format, out.as_deref()).await,
        Command::Erase { id, tenant, apply } => {
            match clearance::commands::erase(config, &id, tenant.as_deref(), apply).await {
                Ok(true) => Ok(()),
                Ok(false) => return ExitCode::from(1),
                Err(e) => Err(e),
            }
        }
        #[cfg(feature = "demo")]
        Command::Demo {
            data_dir,
            port,
            sandbox_port,
            forge_port,
            rows,
        } => {
            clearance::commands::demo(clearance::demo::DemoOptions {
                data_dir,
                port,
                sandbox_port,
                forge_port,
                rows,
            })
            .await
        }
        Command::Extract(args) => clearance::extract_command::run(*args).await,
        #[cfg(feature = "demo")]
        Command::DemoData { rows, out, seed } => {
            clearance::commands::demo_data(&out, rows, seed).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
