//! The demo's Forge site: a second simulated Jira site, on its own port, that installs Clearance through Forge as a
//! new Jira site does today — the manifest in `forge/manifest.yml` (its remote pointed at the demo's app), the Custom
//! UI bundle built from it, invocation tokens, product events and the app system token. It needs the built bundle:
//! without it (or the manifest) the site is not started and is reported unavailable with how to build it.

use std::path::{Path, PathBuf};

use tokio::net::TcpListener;

use super::jira::{JiraSim, SimKeys, SimOptions};

/// How to build the bundle, as the demo says it.
pub const BUILD_HINT: &str = "npm ci --prefix forge && npm run --prefix forge build";
/// The Custom UI resources the manifest names, each a folder with an `index.html` once built.
const RESOURCES: [&str; 3] = ["panel", "admin", "dashboard"];

/// The Forge app's folder: `forge/` under the working directory, else the one in the source tree.
pub fn forge_dir() -> PathBuf {
    let here = PathBuf::from("forge");
    if here.join("manifest.yml").exists() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../forge"))
}

/// The Forge app as the demo can install it: the manifest's text, or why the Forge site is unavailable.
pub fn forge_app(dir: &Path) -> Result<String, String> {
    let manifest = dir.join("manifest.yml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let missing: Vec<String> = RESOURCES
        .iter()
        .map(|r| dir.join("static").join(r).join("build").join("index.html"))
        .filter(|f| !f.exists())
        .map(|f| f.display().to_string())
        .collect();
    if missing.is_empty() {
        Ok(text)
    } else {
        Err(format!(
            "the Forge Custom UI bundle is not built (missing {}); run `{BUILD_HINT}`, then start the demo again",
            missing.join(", ")
        ))
    }
}

/// Build the Custom UI bundle when it is missing and can be built here (a source checkout's `forge/package.json`, and
/// `npm` on the PATH), so that `cargo run --release -- demo` alone brings up both sites. npm's output goes to the
/// console's stderr; when it cannot run or fails, the Forge site stays unavailable with the reason.
pub async fn build_bundle_if_missing(dir: &Path) {
    if forge_app(dir).is_ok() || !dir.join("package.json").exists() {
        return;
    }
    eprintln!(
        "Building the Forge app's Custom UI bundle once ({BUILD_HINT}); this takes a minute…"
    );
    let dir = dir.to_owned();
    let built = tokio::task::spawn_blocking(move || {
        for args in [
            &["ci", "--no-audit", "--no-fund"][..],
            &["run", "build"][..],
        ] {
            let status = std::process::Command::new("npm")
                .args(args)
                .current_dir(&dir)
                .stdout(std::io::stderr())
                .status();
            match status {
                Ok(s) if s.success() => {}
                Ok(s) => return Err(format!("`npm {}` failed ({s})", args.join(" "))),
                Err(e) => {
                    return Err(format!(
                        "cannot run npm ({e}); install Node.js 20 or newer to get the Forge site"
                    ));
                }
            }
        }
        Ok(())
    })
    .await
    .unwrap_or_else(|e| Err(format!("the bundle build stopped: {e}")));
    if let Err(why) = built {
        eprintln!("{why}; the demo starts without the Forge site.");
    }
}

/// Where the Forge site runs and how it looks.
pub struct ForgeSiteSpec<'a> {
    /// The demo's data folder (the site's state is saved as `forge-site.json`).
    pub data_dir: &'a Path,
    /// Bound for the site.
    pub listener: TcpListener,
    /// The Forge app's folder (its `static/` is the Custom UI the site serves).
    pub forge_dir: &'a Path,
    /// Keys the site signs with (the Forge site installs nothing with them, but the simulator needs a set).
    pub keys: SimKeys,
    /// Header links (the Slack inbox, the other site).
    pub links: Vec<(String, String)>,
    /// The line under the simulator's banner.
    pub note: String,
}

/// Start the Forge site, restored from its saved state when there is one. Returns it once it is served.
pub fn start_forge_site(spec: ForgeSiteSpec<'_>) -> anyhow::Result<JiraSim> {
    let url = format!("http://{}", spec.listener.local_addr()?);
    let file = spec.data_dir.join("forge-site.json");
    let state = super::persist::load(&file)?.unwrap_or_else(JiraSim::fresh_state);
    let options = SimOptions {
        links: spec.links,
        site_note: Some(spec.note),
        forge_ui_dir: Some(spec.forge_dir.join("static")),
        ..SimOptions::default()
    };
    let sim = JiraSim::from_state(&url, spec.keys, options, state, Some(file));
    if sim.state().users.is_empty() {
        sim.add_default_people();
    }
    super::serve_in_background(spec.listener, super::router(&sim, None));
    Ok(sim)
}
