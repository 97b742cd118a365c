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
    /// Re-encrypt every stored secret under the current master key.
    ///
    /// Set the new key as CLEARANCE_MASTER_KEY and the old one in CLEARANCE_PREVIOUS_MASTER_KEYS, run this, then
    /// remove the old key.
    RotateKey,
    /// Exit 0 if the service on CLEARANCE_LISTEN answers /healthz (for container health checks).
    Healthcheck,
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
