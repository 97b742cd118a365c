//! Outbound JWT: signs Clearance's calls to a tenant's Jira (`iss` = app key, 180 s, qsh relative to the site base URL).

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, header::HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{jwt::Claims, qsh};
use crate::jira::{JiraAuth, JiraError};

/// Lifetime of an outbound token, as Atlassian's own libraries use.
const TOKEN_LIFETIME_SECS: u64 = 180;

/// Signs requests to one tenant with its shared secret.
pub struct ConnectJwtAuth {
    app_key: String,
    secret: SecretString,
    /// Path of the tenant base URL (e.g. `/wiki`), stripped before computing qsh.
    context_path: String,
}

impl ConnectJwtAuth {
    /// A signer for the tenant at `base_url`.
    pub fn new(app_key: String, secret: SecretString, base_url: &Url) -> Self {
        Self {
            app_key,
            secret,
            context_path: base_url.path().trim_end_matches('/').to_owned(),
        }
    }

    /// A signed token for `method` on `url`.
    pub fn token(&self, method: &Method, url: &Url) -> Result<String, jsonwebtoken::errors::Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            iss: self.app_key.clone(),
            sub: None,
            qsh: Some(qsh::query_string_hash(
                method.as_str(),
                url.path(),
                url.query().unwrap_or(""),
                &self.context_path,
            )),
            iat: Some(now),
            exp: now + TOKEN_LIFETIME_SECS,
            context: None,
        };
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(self.secret.expose_secret().as_bytes()),
        )
    }
}

impl JiraAuth for ConnectJwtAuth {
    fn authorization(&self, method: &Method, url: &Url) -> Result<HeaderValue, JiraError> {
        let token = self
            .token(method, url)
            .map_err(|e| JiraError::Auth(format!("signing failed: {e}")))?;
        let mut value = HeaderValue::from_str(&format!("JWT {token}"))
            .map_err(|e| JiraError::Auth(e.to_string()))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::connect::jwt::verify_hs256;

    #[test]
    fn signs_with_app_key_and_reference_qsh() {
        let base = Url::parse("https://x.atlassian.net").unwrap();
        let auth = ConnectJwtAuth::new("my.app".into(), SecretString::from("s3cret"), &base);
        let url = Url::parse(
            "https://x.atlassian.net/rest/api/3/issue/ABC-1?fields=labels,reporter&expand=names",
        )
        .unwrap();
        let token = auth.token(&Method::GET, &url).unwrap();
        let claims = verify_hs256(&token, b"s3cret", std::time::Duration::ZERO, true).unwrap();
        assert_eq!(claims.iss, "my.app");
        // shared/reference/connect-protocol.md §5.4
        assert_eq!(
            claims.qsh.as_deref(),
            Some("d80f2822949d37cb522bfac8f0fb7ae65a9bf6cd9880998cd812d2310568d84f")
        );
        assert_eq!(claims.exp - claims.iat.unwrap(), 180);
    }

    #[test]
    fn strips_the_site_context_path() {
        let base = Url::parse("https://x.atlassian.net/wiki").unwrap();
        let auth = ConnectJwtAuth::new("a".into(), SecretString::from("s"), &base);
        let url = Url::parse("https://x.atlassian.net/wiki/rest/api/space").unwrap();
        let claims = verify_hs256(
            &auth.token(&Method::GET, &url).unwrap(),
            b"s",
            std::time::Duration::ZERO,
            true,
        )
        .unwrap();
        assert_eq!(
            claims.qsh.unwrap(),
            qsh::hash_canonical("GET&/rest/api/space&")
        );
    }
}
