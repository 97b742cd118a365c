//! The one gate of every panel API route about an issue (`/api/panel/requests/{issue_id}/…`): the caller must be
//! someone Jira lets see that issue. A token from the issue's own panel names its issue (Jira mints it only for
//! people who see the issue), and that issue must be the one in the path; a token that names no issue is checked with
//! Jira (see [`crate::requests::visibility`]). An issue the caller may not see gets the very answer an issue without
//! a request gets, so ids cannot be probed; when Jira cannot be asked, the call is refused.

use axum::{
    extract::{FromRequestParts, RawPathParams},
    http::request::Parts,
};

use crate::{
    error::{AppError, Result},
    host::{Caller, UiRequest},
    jira::IssueId,
    store::RequestRow,
    tenant::AccountId,
    web::AppState,
};

/// The route parameter naming the issue.
const PARAM: &str = "issue_id";

/// A panel call about an issue the acting person may see in Jira.
#[derive(Debug)]
pub(super) struct SeenIssue {
    /// Who is calling.
    pub caller: Caller,
    /// The acting person (every panel call about an issue has one).
    pub account: AccountId,
    /// The issue in the path.
    pub issue: IssueId,
}

impl FromRequestParts<AppState> for SeenIssue {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self> {
        let UiRequest(caller) = UiRequest::from_request_parts(parts, app).await?;
        let params = RawPathParams::from_request_parts(parts, app)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        let raw = params
            .iter()
            .find_map(|(k, v)| (k == PARAM).then_some(v))
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("route has no {{{PARAM}}} parameter"))
            })?;
        let issue = IssueId::parse(raw)
            .ok_or_else(|| AppError::BadRequest(format!("{raw:?} is not a Jira issue id")))?;
        let account = super::acting_account(&caller)?.clone();
        if !may_see(app, &caller, &account, issue).await? {
            return Err(AppError::no_request(issue));
        }
        Ok(Self {
            caller,
            account,
            issue,
        })
    }
}

impl SeenIssue {
    /// The issue's data request, or the same 404 as for any issue without one.
    pub async fn request(&self, app: &AppState) -> Result<RequestRow> {
        app.store
            .request_by_issue(&self.caller.tenant.id, &self.issue.to_string())
            .await?
            .ok_or_else(|| AppError::no_request(self.issue))
    }
}

/// Whether `account` may see `issue`: the token's own issue decides when it names one, Jira otherwise.
async fn may_see(
    app: &AppState,
    caller: &Caller,
    account: &AccountId,
    issue: IssueId,
) -> Result<bool> {
    if let Some(shown) = caller.context_issue {
        return Ok(shown == issue);
    }
    let unchecked = |why: String| {
        tracing::warn!(%issue, %why, "cannot ask Jira whether the caller may see an issue");
        AppError::Unavailable(
            "Clearance could not ask Jira whether you may see this issue, so it shows nothing; try again in a \
             moment, or open the request from the issue itself"
                .into(),
        )
    };
    let jira = app
        .jira(&caller.tenant)
        .await
        .map_err(|e| unchecked(format!("{e:#}")))?;
    app.issue_access
        .may_see(&jira, &caller.tenant.id, account, issue)
        .await
        .map_err(|e| unchecked(e.to_string()))
}
