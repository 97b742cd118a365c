//! A production source is saved only when its connection test passes: the server answers and the account can do
//! nothing but read (see `extract::probe`). Staging sources are saved untested.

use secrecy::{ExposeSecret, SecretString};

use super::{DataSource, Environment, SourcesError};
use crate::extract::{source::SourceError, source_policy::SourcePolicy};

/// Check `source` against the deployment's source policy, then test it if it is for production: the URL that
/// passed, `None` for a staging source, or the refusal with what the test found and what to change.
pub(super) async fn tested(
    policy: &SourcePolicy,
    source: &DataSource,
) -> Result<Option<SecretString>, SourcesError> {
    // Every source, staging too, must be one the deployment allows (checked again at every connect). A staging
    // source whose host does not resolve yet, or whose file is not there yet, is saved (it is not tested).
    match policy.target(&source.url).await {
        Ok(_) => {}
        Err(SourceError::Database(_)) if source.environment == Environment::Staging => {}
        Err(e) => return Err(SourcesError::Invalid(format!("url: {e}"))),
    }
    if source.environment != Environment::Production {
        return Ok(None);
    }
    match super::test(policy, source).await {
        Ok(_) => Ok(Some(source.url.clone())),
        Err(e) => Err(SourcesError::Invalid(format!(
            "url: the connection test of this production source failed ({}): {e}. Fix that and save again, or \
             save the source as staging (staging sources are not tested)",
            e.code()
        ))),
    }
}

/// Refuse to store a production `source` that is not the one [`tested`] passed (someone changed the stored row in
/// the meantime, e.g. to production or to another URL).
pub(super) fn still_tested(
    tested: Option<&SecretString>,
    source: &DataSource,
) -> Result<(), SourcesError> {
    let same = tested.is_some_and(|url| url.expose_secret() == source.url.expose_secret());
    if source.environment == Environment::Production && !same {
        return Err(SourcesError::Conflict(format!(
            "data source {:?} was changed by someone else while its connection was tested; reload and save again",
            source.name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::extract::sql_guard::Dialect;

    fn source(environment: Environment, url: &str) -> DataSource {
        DataSource {
            name: "wh".into(),
            dialect: Dialect::Postgres,
            url: SecretString::from(url),
            environment,
            allowed_projects: vec!["DATA".into()],
            max_rows: 10,
            max_bytes: 10,
            statement_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn only_the_tested_production_url_may_be_stored() {
        let url = SecretString::from("postgres://r@db/wh");
        let prod = source(Environment::Production, "postgres://r@db/wh");
        assert!(still_tested(Some(&url), &prod).is_ok());
        let moved = source(Environment::Production, "postgres://r@other/wh");
        assert!(matches!(
            still_tested(Some(&url), &moved),
            Err(SourcesError::Conflict(_))
        ));
        // Tested as staging (not at all), stored as production: someone switched it meanwhile.
        assert!(still_tested(None, &prod).is_err());
        assert!(still_tested(None, &source(Environment::Staging, "postgres://x@y/z")).is_ok());
    }

    #[tokio::test]
    async fn staging_is_not_tested_and_an_unreachable_production_source_is_refused() {
        let dead = "postgres://r:pw-Secret@127.0.0.1:1/wh";
        let operator = SourcePolicy::operator();
        assert!(
            tested(&operator, &source(Environment::Staging, dead))
                .await
                .unwrap()
                .is_none()
        );
        let e = tested(&operator, &source(Environment::Production, dead))
            .await
            .unwrap_err();
        let m = e.to_string();
        assert!(matches!(e, SourcesError::Invalid(_)), "{m}");
        assert!(
            m.starts_with("url: ") && m.contains("(unreachable)") && m.contains("staging"),
            "{m}"
        );
        assert!(!m.contains("pw-Secret"), "{m}");
    }
}
