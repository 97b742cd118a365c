//! The Forge front door's settings, validated together: on only when an app id is set.

use super::{FORGE_APP_ARI_PREFIX, ForgeConfig, HostPatterns, raw::parse_service_url};

/// The Forge front door's settings: on only when an app id is set.
pub(super) fn forge_settings(
    app_id: Option<&str>,
    jwks_url: &str,
    api_hosts: &[String],
    environments: &[String],
) -> Result<Option<ForgeConfig>, Vec<String>> {
    let mut problems = Vec::new();
    let app_id = match app_id.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => {
            // A bare UUID is the app's id too; tokens carry the full ARI.
            let ari = if id.starts_with(FORGE_APP_ARI_PREFIX) {
                id.to_owned()
            } else {
                format!("{FORGE_APP_ARI_PREFIX}{id}")
            };
            let uuid = &ari[FORGE_APP_ARI_PREFIX.len()..];
            if uuid::Uuid::try_parse(uuid).is_err() {
                problems.push(format!(
                    "CLEARANCE_FORGE_APP_ID (forge_app_id) = {id:?}; use the app id from manifest.yml \
                     (ari:cloud:ecosystem::app/<uuid>, or the bare UUID)"
                ));
            }
            Some(ari)
        }
    };
    let jwks_url = parse_service_url(jwks_url).map_err(|e| {
        problems.push(format!(
            "CLEARANCE_FORGE_JWKS_URL (forge_jwks_url) = {jwks_url:?}: {e}"
        ))
    });
    let api_hosts = HostPatterns::parse(api_hosts)
        .map_err(|e| problems.push(format!("CLEARANCE_FORGE_API_HOSTS (forge_api_hosts): {e}")));
    if !problems.is_empty() {
        return Err(problems);
    }
    let (Some(app_id), Ok(jwks_url), Ok(api_hosts)) = (app_id, jwks_url, api_hosts) else {
        return Ok(None);
    };
    Ok(Some(ForgeConfig {
        app_id,
        jwks_url,
        api_hosts,
        environments: environments.to_vec(),
    }))
}
