//! Scopes, enforced as Jira does on every REST operation the simulator serves, from the one table of operations
//! ([`clearance_atlassian::operations`]): a Connect app's call needs the operation's Connect scope among (or implied by)
//! the scopes of the descriptor Jira fetched at install; a call through the API gateway with a Forge token needs
//! every scope of one of the operation's OAuth alternatives in the installed manifest's `permissions.scopes`.
//!
//! The refusals are Jira's (see [`clearance_atlassian::refusal`] for the sources): a Connect call gets `403` "Request not in
//! an authorized API scope" from Jira's scope filter; a gateway call gets the gateway's `401` "Unauthorized; scope
//! does not match" with `x-failure-category: FAILURE_CLIENT_SCOPE_CHECK`. An operation the table lacks is the
//! simulator's own bug and answers 500, so no route escapes the check.

use std::collections::BTreeSet;

use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};
use serde_json::Value;

use super::{
    JiraSim,
    forge_gateway::{GatewayCall, gateway_error},
    rest_issues::jira_error,
};
use clearance_atlassian::{
    operations,
    refusal::{CONNECT_REFUSAL, GATEWAY_FAILURE_CATEGORY, GATEWAY_REFUSAL},
    scopes::{ConnectScope, HttpMethod},
};

/// The Connect scopes a descriptor declares (names Jira does not know are ignored).
pub fn descriptor_scopes(descriptor: &Value) -> BTreeSet<ConnectScope> {
    descriptor["scopes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(ConnectScope::parse)
        .collect()
}

pub(super) async fn enforce(State(sim): State<JiraSim>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let Some(operation) =
        HttpMethod::parse(req.method().as_str()).and_then(|method| operations::find(method, &path))
    else {
        tracing::error!(method = %req.method(), path, "the simulator serves an operation its scope table lacks");
        return jira_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the Jira simulator serves an operation that clearance_atlassian::operations lacks",
        );
    };
    if req.extensions().get::<GatewayCall>().is_some() {
        if !operation.oauth_granted(&sim.forge_scopes()) {
            tracing::debug!(
                operation = operation.id,
                "gateway refused a call for a missing scope"
            );
            let mut resp = gateway_error(StatusCode::UNAUTHORIZED, GATEWAY_REFUSAL);
            resp.headers_mut().insert(
                "x-failure-category",
                HeaderValue::from_static(GATEWAY_FAILURE_CATEGORY),
            );
            return resp;
        }
    } else {
        let declared = sim
            .state()
            .app
            .as_ref()
            .map(|app| descriptor_scopes(&app.descriptor))
            .unwrap_or_default();
        if !operation.connect_granted(&declared) {
            tracing::debug!(
                operation = operation.id,
                "Jira refused a Connect call for a missing scope"
            );
            return jira_error(StatusCode::FORBIDDEN, CONNECT_REFUSAL);
        }
    }
    next.run(req).await
}
