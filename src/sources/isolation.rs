//! A source must not be Clearance's own database: analysts of one site could otherwise read every site's requests.
//! Compared by SQLite file (canonical path) or PostgreSQL host, port and database (loopback names count as one).

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::SourcesError;

fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = PathBuf::from(crate::extract::source::sqlite_path(url)?);
    Some(path.canonicalize().unwrap_or(path))
}

fn server_database(url: &str) -> Option<(String, u16, String)> {
    let u = Url::parse(url).ok()?;
    let host = match u.host_str()?.to_ascii_lowercase().as_str() {
        "localhost" | "127.0.0.1" | "[::1]" | "::1" => "loopback".to_owned(),
        other => other.to_owned(),
    };
    let db = u.path().trim_start_matches('/').to_owned();
    Some((host, u.port().unwrap_or(5432), db))
}

/// Refuse a source URL that points at Clearance's own database (`own`).
pub fn refuse_own_database(source: &SecretString, own: &SecretString) -> Result<(), SourcesError> {
    let (s, o) = (source.expose_secret(), own.expose_secret());
    let same = match (sqlite_file(s), sqlite_file(o)) {
        (Some(a), Some(b)) => a == b,
        _ => {
            let pg = |u: &str| u.starts_with("postgres://") || u.starts_with("postgresql://");
            pg(s)
                && pg(o)
                && server_database(s).is_some()
                && server_database(s) == server_database(o)
        }
    };
    if same {
        return Err(SourcesError::Invalid(
            "url: this is Clearance's own database; a data source must be a warehouse of yours"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(source: &str, own: &str) -> bool {
        refuse_own_database(&SecretString::from(source), &SecretString::from(own)).is_err()
    }

    #[test]
    fn own_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("clearance.db");
        std::fs::write(&own, "").unwrap();
        let own_url = format!("sqlite://{}", own.display());
        let dotted = format!("sqlite://{}/./clearance.db?mode=ro", dir.path().display());
        assert!(refused(&dotted, &own_url));
        assert!(!refused(
            &format!("sqlite://{}/wh.db", dir.path().display()),
            &own_url
        ));
        let pg = "postgres://clearance:pw@localhost/clearance";
        assert!(refused("postgres://reader:x@127.0.0.1:5432/clearance", pg));
        assert!(!refused("postgres://reader:x@127.0.0.1:5432/warehouse", pg));
        assert!(!refused("mysql://reader:x@127.0.0.1:5432/clearance", pg));
        assert!(!refused(
            "postgres://reader:x@127.0.0.1/clearance",
            &own_url
        ));
    }
}
