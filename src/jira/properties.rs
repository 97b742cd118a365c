//! The issue entity property Clearance keeps on each request's issue (`clearance-request`, indexed by the
//! descriptor so JQL can search by it): the request's state, when it changed, and the request's id.

use serde::Serialize;
use serde_json::Value;

use super::{JiraClient, JiraError, JiraOp, JiraRequest};

/// The property's key.
pub const REQUEST_PROPERTY: &str = "clearance-request";

/// The value of the [`REQUEST_PROPERTY`] property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestProperty {
    /// The request's state (`approved`, …).
    pub state: String,
    /// When the request last changed (RFC 3339, milliseconds, UTC).
    pub updated: String,
    /// Clearance's request id.
    pub request_id: String,
}

impl RequestProperty {
    /// The body of `PUT …/properties/clearance-request`: the property's value as JSON.
    pub fn body(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl JiraClient {
    /// `PUT /rest/api/3/issue/{issue}/properties/clearance-request`: set the request property of the issue. An
    /// issue that is gone is [`JiraError::NotFound`].
    #[tracing::instrument(skip_all, fields(issue))]
    pub async fn set_request_property(
        &self,
        issue: &str,
        value: &RequestProperty,
    ) -> Result<(), JiraError> {
        let req = JiraRequest::new(JiraOp::SetIssueProperty)
            .param(issue)
            .param(REQUEST_PROPERTY);
        self.put_json(req, &value.body()).await
    }
}
