//! How Jira says that an app is not granted the scope an operation needs, so a refusal for a missing scope is told
//! apart from a refused person or resource (both are 401/403 too) and reported as something only a site admin can
//! fix. The simulator answers with the same words.

use http::StatusCode;

/// Connect apps: Jira's API scope filter answers `403` with this message when the installed descriptor does not
/// declare the operation's scope (Atlassian Connect's `ApiScopingFilter`:
/// `res.sendError(SC_FORBIDDEN, "Request not in an authorized API scope")`, unchanged across its versions).
pub const CONNECT_REFUSAL: &str = "Request not in an authorized API scope";

/// OAuth 2.0 and Forge bearer tokens at Atlassian's API gateway (`api.atlassian.com/ex/jira/{cloudId}`): `401`
/// with `{"code":401,"message":"Unauthorized; scope does not match"}` and the header `x-failure-category:
/// FAILURE_CLIENT_SCOPE_CHECK` (reported for 3LO tokens and for Forge apps' `asApp()` calls on the Atlassian
/// developer community: community.atlassian.com qaq-p/3062781 and qaq-p/3255119, CDAC thread 96127).
pub const GATEWAY_REFUSAL: &str = "Unauthorized; scope does not match";

/// The gateway's `x-failure-category` for a scope refusal.
pub const GATEWAY_FAILURE_CATEGORY: &str = "FAILURE_CLIENT_SCOPE_CHECK";

/// Forge functions calling Jira through the Forge runtime get `403` with this message instead (CDAC thread 75654:
/// "…Your app was granted the following scopes: […]. The resource can be accessed by having one of these groups
/// of scopes: …").
pub const FORGE_RUNTIME_REFUSAL: &str =
    "Access to the resource was denied due to missing scope grants";

/// Whether Jira's answer `status` with `body` refuses the call for a scope the app is not granted.
pub fn is_scope_refusal(status: StatusCode, body: &str) -> bool {
    match status {
        StatusCode::UNAUTHORIZED => body.contains(GATEWAY_REFUSAL),
        StatusCode::FORBIDDEN => {
            body.contains(CONNECT_REFUSAL) || body.contains(FORGE_RUNTIME_REFUSAL)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scope_refusals_are_scope_refusals() {
        let gateway = r#"{"code":401,"message":"Unauthorized; scope does not match"}"#;
        assert!(is_scope_refusal(StatusCode::UNAUTHORIZED, gateway));
        assert!(is_scope_refusal(
            StatusCode::FORBIDDEN,
            r#"{"errorMessages":["Request not in an authorized API scope"],"errors":{}}"#
        ));
        assert!(!is_scope_refusal(StatusCode::FORBIDDEN, gateway));
        assert!(!is_scope_refusal(
            StatusCode::FORBIDDEN,
            "This API is only available to apps that have been approved by Atlassian."
        ));
        assert!(!is_scope_refusal(
            StatusCode::UNAUTHORIZED,
            r#"{"code":401,"message":"Unauthorized"}"#
        ));
    }
}
