//! Who may see an issue's request: whoever Jira lets see the issue. When the caller's token names no issue, Jira's
//! permission check decides (Browse Projects on the issue for the person, issue security included), asked as the
//! app and remembered briefly per site, person and issue — allowed and refused alike, so guessing ids costs Jira
//! one call per id and person at most per period. A change of access in Jira applies here within that period.

use std::time::Duration;

use super::ttl_cache::TtlCache;
use crate::{
    jira::{IssueId, JiraClient, JiraError},
    tenant::AccountId,
};

/// How many answers are kept at most (then the least used go).
const CAPACITY: usize = 50_000;

/// `(tenant id, account id, issue)`.
type Key = (String, String, IssueId);

/// Jira's answers to "may this person see this issue?", kept for the configured time.
pub struct IssueAccess {
    answers: TtlCache<Key, bool>,
}

impl IssueAccess {
    /// Answers are reused for `ttl` (zero: Jira is asked every time).
    pub fn new(ttl: Duration) -> Self {
        Self {
            answers: TtlCache::new(CAPACITY, ttl),
        }
    }

    /// Whether `account` may see `issue` on the tenant's site: a remembered answer, or Jira's. A failed call is an
    /// error, never an answer: the caller must refuse.
    pub async fn may_see(
        &self,
        jira: &JiraClient,
        tenant_id: &str,
        account: &AccountId,
        issue: IssueId,
    ) -> Result<bool, JiraError> {
        let key = (tenant_id.to_owned(), account.as_ref().to_owned(), issue);
        if let Some(known) = self.answers.get(&key) {
            return Ok(known);
        }
        let allowed = jira.can_browse_issue(account.as_ref(), issue).await?;
        self.answers.insert(key, allowed);
        Ok(allowed)
    }
}
