//! How a failed Jira call reads to the job runner: wait as Jira asked, retry, or wait long for a site admin.

use crate::jobs::{JobError, MISSING_SCOPE_RETRY_AFTER, WaitingOn};

use super::JiraError;

/// A rate-limited Jira call waits as long as Jira asked, without using up a try; anything else retries with backoff.
impl From<JiraError> for JobError {
    fn from(e: JiraError) -> Self {
        match e {
            JiraError::RateLimited { retry_after } => Self::Wait {
                on: WaitingOn::Jira,
                after: retry_after,
            },
            // Only a site admin updating the app helps: try again rarely, so the fix is picked up without spending
            // the tries in minutes.
            e @ JiraError::MissingScope { .. } => Self::Retry {
                error: e.to_string(),
                after: Some(MISSING_SCOPE_RETRY_AFTER),
            },
            other => Self::Retry {
                error: other.to_string(),
                after: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn jira_errors_wait_retry_or_wait_for_an_admin() {
        let after = Some(Duration::from_secs(30));
        assert!(matches!(
            JobError::from(JiraError::RateLimited { retry_after: after }),
            JobError::Wait { on: WaitingOn::Jira, after: a } if a == after
        ));
        let missing = JiraError::MissingScope {
            id: "getUserEmail",
            method: "GET",
            path: "/rest/api/3/user/email",
            needs: "ACCESS_EMAIL_ADDRESSES".into(),
            status: reqwest::StatusCode::FORBIDDEN,
            body: String::new(),
        };
        assert!(matches!(
            JobError::from(missing),
            JobError::Retry { after: Some(a), error } if a == MISSING_SCOPE_RETRY_AFTER && error.contains("update the app")
        ));
    }
}
