//! The Forge app's `manifest.yml` as the simulated site installs it (what `forge deploy` and `forge install` hand
//! Jira): the remote and the routes of its endpoints, its UI modules (issue panel, admin page, global page) and the
//! issue properties its `jira:entityProperty` modules index for JQL. Manifest variables (`${NAME}`) resolve from the
//! values given, then from `environment.variables[].default`, as the Forge CLI resolves them at deploy time.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    JiraSim,
    forge::{ForgeModuleKeys, ForgeRemote},
    jql::PropertyAlias,
};

/// A UI module of the installed manifest: where Jira shows it and which Custom UI resource it renders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiModule {
    /// `jira:issueContext`, `jira:issuePanel`, `jira:adminPage` or `jira:globalPage`.
    pub module_type: String,
    /// The module's key (the invocation's `moduleKey`).
    pub key: String,
    /// Its title (the link or panel heading).
    pub title: String,
    /// The `resources[].key` it renders (served from `SimOptions::forge_ui_dir/{resource}/build`).
    pub resource: String,
}

/// What the installed manifest adds to the site besides its remote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeModules {
    /// The issue view's panel (`jira:issueContext`, else `jira:issuePanel`).
    pub issue_panel: Option<UiModule>,
    /// The page under Apps in Jira's settings (`jira:adminPage`).
    pub admin_page: Option<UiModule>,
    /// The page under Apps in the top bar (`jira:globalPage`; Forge allows one per app).
    pub global_page: Option<UiModule>,
    /// The issue property values indexed for JQL, by alias (`jira:entityProperty`).
    pub indexed: Vec<PropertyAlias>,
}

/// A manifest, read as the site installs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForgeManifest {
    /// The remote and the routes of the trigger, lifecycle, schedule and pre-uninstall endpoints.
    pub remote: ForgeRemote,
    /// UI modules and indexed properties.
    pub modules: ForgeModules,
}

impl ForgeManifest {
    /// Read `yaml`, resolving `${NAME}` from `vars` first, then from the manifest's variable defaults.
    pub fn parse(yaml: &str, vars: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mut doc: Value = serde_yaml_ng::from_str(yaml).context("manifest.yml is not YAML")?;
        let mut values: BTreeMap<String, String> = list(&doc["environment"], "variables")
            .filter_map(|v| {
                Some((
                    v["key"].as_str()?.to_owned(),
                    v["default"].as_str()?.to_owned(),
                ))
            })
            .collect();
        values.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        interpolate(&mut doc, &values)?;
        let modules = &doc["modules"];
        Ok(Self {
            remote: ForgeRemote {
                scopes: super::forge_scopes::scopes_in(&doc),
                ..remote(&doc).context("the manifest's remote and endpoints")?
            },
            modules: ForgeModules {
                issue_panel: ui_module(modules, "jira:issueContext")
                    .or_else(|| ui_module(modules, "jira:issuePanel")),
                admin_page: ui_module(modules, "jira:adminPage"),
                global_page: ui_module(modules, "jira:globalPage"),
                indexed: indexed(modules),
            },
        })
    }
}

impl JiraSim {
    /// Install the Forge app as `manifest` declares it: its remote (see [`JiraSim::forge_install`]), then its UI
    /// modules and indexed properties. Returns the installation id.
    pub fn forge_install_manifest(&self, manifest: &ForgeManifest) -> String {
        let id = self.forge_install(manifest.remote.clone());
        if let Some(i) = self.state().forge.installed.as_mut() {
            i.modules = manifest.modules.clone();
        }
        self.changed();
        id
    }

    /// The installed manifest's UI modules and indexed properties; `None` when the Forge app is not installed.
    pub fn forge_modules(&self) -> Option<ForgeModules> {
        self.state()
            .forge
            .installed
            .as_ref()
            .map(|i| i.modules.clone())
    }
}

/// The entries of the list `key` under `v` (nothing if absent).
fn list<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v[key].as_array().into_iter().flatten()
}

/// Replace every `${NAME}` in the document's strings; an unknown name is an error, as at deploy.
fn interpolate(v: &mut Value, values: &BTreeMap<String, String>) -> anyhow::Result<()> {
    match v {
        Value::String(s) => {
            while let Some(start) = s.find("${") {
                let end = s[start..]
                    .find('}')
                    .with_context(|| format!("unclosed variable in {s:?}"))?;
                let name = &s[start + 2..start + end];
                let value = values
                    .get(name)
                    .with_context(|| format!("the manifest variable {name} has no value"))?;
                s.replace_range(start..=start + end, value);
            }
        }
        Value::Array(items) => items.iter_mut().try_for_each(|i| interpolate(i, values))?,
        Value::Object(map) => map.values_mut().try_for_each(|i| interpolate(i, values))?,
        _ => {}
    }
    Ok(())
}

fn ui_module(modules: &Value, kind: &str) -> Option<UiModule> {
    let m = list(modules, kind).next()?;
    let key = m["key"].as_str()?.to_owned();
    Some(UiModule {
        module_type: kind.to_owned(),
        title: m["title"].as_str().unwrap_or(&key).to_owned(),
        resource: m["resource"].as_str()?.to_owned(),
        key,
    })
}

/// `jira:entityProperty` modules on issues (the default `entityType`): each value with a `searchAlias` of a type the
/// simulator indexes.
fn indexed(modules: &Value) -> Vec<PropertyAlias> {
    let mut out = Vec::new();
    for m in list(modules, "jira:entityProperty") {
        if m["entityType"].as_str().unwrap_or("issue") != "issue" {
            continue;
        }
        let Some(property_key) = m["propertyKey"].as_str() else {
            continue;
        };
        for v in list(m, "values") {
            let (Some(path), Some(alias)) = (v["path"].as_str(), v["searchAlias"].as_str()) else {
                continue;
            };
            let declared = v["type"].as_str().unwrap_or_default();
            match PropertyAlias::declared(alias, property_key, path, declared) {
                Some(a) => out.push(a),
                None => tracing::warn!(
                    alias,
                    declared,
                    "the Jira simulator does not index this type"
                ),
            }
        }
    }
    out
}

/// The events a trigger listens to (plain names or `{eventType}` objects).
fn events(trigger: &Value) -> impl Iterator<Item = &str> {
    list(trigger, "events").filter_map(|e| e.as_str().or_else(|| e["eventType"].as_str()))
}

/// The remote and routes Forge calls on its own.
fn remote(doc: &Value) -> anyhow::Result<ForgeRemote> {
    let modules = &doc["modules"];
    let trigger =
        |wanted: &dyn Fn(&str) -> bool| list(modules, "trigger").find(|t| events(t).any(wanted));
    let issue_events = trigger(&|e| e.starts_with("avi:jira:") && e.ends_with(":issue"))
        .context("no trigger for the avi:jira:*:issue events")?;
    let lifecycle = trigger(&|e| e == "avi:forge:installed:app")
        .context("no trigger for avi:forge:installed:app")?;
    let scheduled = list(modules, "scheduledTrigger")
        .next()
        .context("no scheduledTrigger")?;
    let pre_uninstall = list(modules, "preUninstall")
        .next()
        .context("no preUninstall module")?;
    let mut remote_key = None;
    let mut route = |module: &Value| -> anyhow::Result<(String, String)> {
        let name = module["endpoint"]
            .as_str()
            .with_context(|| format!("{} targets no endpoint", module["key"]))?;
        let e = list(modules, "endpoint")
            .find(|e| e["key"] == name)
            .with_context(|| format!("no endpoint {name}"))?;
        let path = e["route"]["path"]
            .as_str()
            .with_context(|| format!("endpoint {name} has no route.path"))?;
        let remote = e["remote"].as_str().context("endpoint without a remote")?;
        if *remote_key.get_or_insert(remote.to_owned()) != remote {
            bail!("the simulator serves one remote; endpoint {name} uses another ({remote})");
        }
        Ok((name.to_owned(), path.to_owned()))
    };
    let (events_endpoint, events_path) = route(issue_events)?;
    let (lifecycle_endpoint, lifecycle_path) = route(lifecycle)?;
    let (scheduled_endpoint, scheduled_path) = route(scheduled)?;
    let (pre_uninstall_endpoint, pre_uninstall_path) = route(pre_uninstall)?;
    let remote_key = remote_key.context("no endpoint names a remote")?;
    let r = list(doc, "remotes")
        .find(|r| r["key"] == remote_key.as_str())
        .with_context(|| format!("no remote {remote_key}"))?;
    let base_url = r["baseUrl"]
        .as_str()
        .or_else(|| r["baseUrl"]["default"].as_str())
        .with_context(|| format!("remote {remote_key} has no baseUrl"))?;
    let key = |m: &Value| m["key"].as_str().unwrap_or_default().to_owned();
    Ok(ForgeRemote {
        // Read by the caller from `permissions.scopes`.
        scopes: Vec::new(),
        base_url: base_url.trim_end_matches('/').to_owned(),
        events_path,
        lifecycle_path,
        scheduled_path,
        pre_uninstall_path,
        ignore_self: issue_events["filter"]["ignoreSelf"]
            .as_bool()
            .unwrap_or(false),
        keys: ForgeModuleKeys {
            events_endpoint,
            lifecycle_endpoint,
            scheduled_endpoint,
            pre_uninstall_endpoint,
            scheduled_trigger: key(scheduled),
            pre_uninstall: key(pre_uninstall),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = include_str!("../../../../forge/manifest.yml");

    #[test]
    fn clearances_manifest_installs_its_routes_pages_and_aliases() {
        let m =
            ForgeManifest::parse(MANIFEST, &[("CLEARANCE_URL", "http://127.0.0.1:9/")]).unwrap();
        assert_eq!(
            ForgeRemote {
                keys: ForgeModuleKeys::default(),
                ..m.remote.clone()
            },
            ForgeRemote::at("http://127.0.0.1:9")
        );
        assert_eq!(m.remote.keys.events_endpoint, "clearance-jira-events");
        let panel = m.modules.issue_panel.unwrap();
        assert_eq!(
            (
                panel.module_type.as_str(),
                panel.key.as_str(),
                panel.resource.as_str()
            ),
            ("jira:issueContext", "clearance-panel", "panel")
        );
        assert_eq!(m.modules.admin_page.unwrap().key, "clearance-admin");
        let global = m.modules.global_page.unwrap();
        assert_eq!(
            (global.key.as_str(), global.resource.as_str()),
            ("clearance-dashboard", "dashboard")
        );
        let aliases: Vec<(&str, &str, &str)> = m
            .modules
            .indexed
            .iter()
            .map(|a| (a.alias.as_str(), a.property_key.as_str(), a.path.as_str()))
            .collect();
        assert_eq!(
            aliases,
            [
                ("clearanceStatus", "clearance-request", "state"),
                ("clearanceUpdated", "clearance-request", "updated")
            ]
        );
    }

    #[test]
    fn variables_default_and_unknown_ones_fail() {
        let m = ForgeManifest::parse(MANIFEST, &[]).unwrap();
        assert_eq!(m.remote.base_url, "https://clearance.example.com");
        let broken = MANIFEST.replace("${CLEARANCE_URL}", "${NOWHERE}");
        let e = ForgeManifest::parse(&broken, &[]).unwrap_err();
        assert!(format!("{e:#}").contains("NOWHERE"), "{e:#}");
    }
}
