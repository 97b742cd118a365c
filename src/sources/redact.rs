//! Showing a connection URL without its secrets: the password and secret-looking query parameters become `***`
//! (`postgres://reader:***@db:5432/wh`).

use secrecy::{ExposeSecret, SecretString};
use url::Url;

const HIDDEN: &str = "***";

/// Query parameters whose values are secrets (matched case-insensitively, as substrings).
const SECRET_PARAMS: [&str; 7] = [
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "auth",
    "credential",
];

fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|s| name.contains(s))
}

/// The URL with its password and secret query parameters replaced by `***`; a value that is not a URL shows only
/// its scheme.
pub fn redacted_url(url: &SecretString) -> String {
    let raw = url.expose_secret();
    let Ok(mut u) = Url::parse(raw) else {
        let scheme = raw
            .split_once("://")
            .map(|(s, _)| s)
            .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+'))
            .unwrap_or("?");
        return format!("{scheme}://{HIDDEN} (not a valid URL)");
    };
    if u.password().is_some() {
        // Only fails for URLs that cannot have credentials, which then have no password either.
        let _ = u.set_password(Some(HIDDEN));
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_param(&k) {
                    HIDDEN.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red(url: &str) -> String {
        redacted_url(&SecretString::from(url))
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            red("postgres://reader:s3cret@db:5432/wh"),
            "postgres://reader:***@db:5432/wh"
        );
        assert_eq!(
            red("mysql://root:p%40ss@127.0.0.1:3306/test"),
            "mysql://root:***@127.0.0.1:3306/test"
        );
        assert_eq!(
            red("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(red("sqlite:///var/data/wh.db"), "sqlite:///var/data/wh.db");
    }

    #[test]
    fn secret_query_parameters_are_hidden_and_others_kept() {
        let shown = red(
            "postgres://u@db/wh?sslmode=require&password=hunter2&sslpassword=x2&application_name=c",
        );
        assert_eq!(
            shown,
            "postgres://u@db/wh?sslmode=require&password=***&sslpassword=***&application_name=c"
        );
        assert!(!shown.contains("hunter2"));
    }

    #[test]
    fn not_a_url_shows_only_the_scheme() {
        let shown = red("postgres://u:pw@[bad/wh");
        assert_eq!(shown, "postgres://*** (not a valid URL)");
        assert_eq!(red("nonsense"), "?://*** (not a valid URL)");
    }
}
