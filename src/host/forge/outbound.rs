//! Calls to Jira for a Forge installation: `Authorization: Bearer <app system token>` at the installation's API base
//! URL (Atlassian's gateway), the same header for every request.

use reqwest::{Method, header::HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::jira::{JiraAuth, JiraError};

/// Authorizes requests with one installation's system token.
pub struct BearerAuth {
    token: SecretString,
}

impl BearerAuth {
    /// An authorizer for `token`.
    pub fn new(token: SecretString) -> Self {
        Self { token }
    }
}

impl JiraAuth for BearerAuth {
    fn authorization(&self, _method: &Method, _url: &Url) -> Result<HeaderValue, JiraError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.token.expose_secret()))
            .map_err(|_| {
                JiraError::Auth("the stored Forge system token is not a header value".into())
            })?;
        value.set_sensitive(true);
        Ok(value)
    }
}
