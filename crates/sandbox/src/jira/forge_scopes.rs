//! What the simulated Forge install learns from Clearance's manifest (`forge/manifest.yml`, compiled in): the OAuth
//! scopes of `permissions.scopes`, which the app's tokens are granted at the API gateway. Forge accepts the list
//! form (`- read:jira-work`) and the map form (`read:jira-work: {allowImpersonation: true}`).

use anyhow::Context;
use serde_json::Value;

/// Clearance's manifest.
pub const CLEARANCE_MANIFEST: &str = include_str!("../../../../forge/manifest.yml");

/// The scope that makes Forge send the app system token (`x-forge-oauth-system`) with its calls.
pub const SYSTEM_TOKEN_SCOPE: &str = "read:app-system-token";

/// The scopes a manifest declares (the list in its order, the map's keys sorted).
pub fn manifest_scopes(yaml: &str) -> anyhow::Result<Vec<String>> {
    let doc: Value =
        serde_yaml_ng::from_str(yaml).context("the Forge manifest is not the YAML Forge reads")?;
    Ok(scopes_in(&doc))
}

/// `permissions.scopes` of a manifest already read (as [`ForgeManifest::parse`](super::ForgeManifest::parse) has it).
pub(super) fn scopes_in(doc: &Value) -> Vec<String> {
    match &doc["permissions"]["scopes"] {
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::Object(map) => {
            let mut keys: Vec<String> = map.keys().cloned().collect();
            keys.sort();
            keys
        }
        _ => Vec::new(),
    }
}

/// The scopes Clearance's own manifest declares (none, logged, if it cannot be read: every call is then refused).
pub fn clearance_scopes() -> Vec<String> {
    manifest_scopes(CLEARANCE_MANIFEST).unwrap_or_else(|e| {
        tracing::error!(error = %format!("{e:#}"), "cannot read forge/manifest.yml");
        Vec::new()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_are_read() {
        assert!(clearance_scopes().iter().any(|s| s == SYSTEM_TOKEN_SCOPE));
        let list = "permissions:\n  scopes:\n    - read:jira-work\n    - storage:app\n";
        assert_eq!(
            manifest_scopes(list).unwrap(),
            ["read:jira-work", "storage:app"]
        );
        let map = "permissions:\n  scopes:\n    read:jira-work:\n      allowImpersonation: true\n";
        assert_eq!(manifest_scopes(map).unwrap(), ["read:jira-work"]);
        assert!(manifest_scopes("app: {}\n").unwrap().is_empty());
        assert!(manifest_scopes("permissions: [").is_err());
    }
}
