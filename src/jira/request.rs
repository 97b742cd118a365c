//! One Jira call about to be sent: a [`JiraOp`], the values of its path template and its query. The path comes from
//! the operation's template, never from a caller's string; a query parameter or body field the call does not
//! declare in [`JiraOp::shape`] is refused before anything is sent.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::{
    JiraError,
    calls::{Body, JiraOp},
};

/// Encoded in a path segment or a query value: everything but RFC 3986's unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A call to send with [`JiraClient`](super::JiraClient).
#[derive(Clone, Debug)]
pub struct JiraRequest {
    op: JiraOp,
    params: Vec<String>,
    query: Vec<(&'static str, String)>,
}

impl JiraRequest {
    /// A call of `op`; fill its path template with [`param`](Self::param), in order.
    pub fn new(op: JiraOp) -> Self {
        Self {
            op,
            params: Vec::new(),
            query: Vec::new(),
        }
    }

    /// The value of the next `{…}` of the path template (encoded here).
    pub fn param(mut self, value: impl std::fmt::Display) -> Self {
        self.params.push(value.to_string());
        self
    }

    /// Add the query parameter `name` (it must be one of the call's declared ones) with `value` (encoded here).
    pub fn query(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    /// The call.
    pub fn op(&self) -> JiraOp {
        self.op
    }

    /// The path and query to append to the REST base URL.
    pub fn path_and_query(&self) -> Result<String, JiraError> {
        let operation = self.op.operation();
        let mut params = self.params.iter();
        let mut path = String::new();
        for segment in operation.path.split('/').skip(1) {
            path.push('/');
            if segment.starts_with('{') {
                // URLs resolve `..` and `.` (encoded or not), so they are no value.
                let value = params
                    .next()
                    .filter(|v| !matches!(v.as_str(), "" | "." | ".."))
                    .ok_or_else(|| self.undeclared(format!("no value for {segment}")))?;
                path.extend(utf8_percent_encode(value, COMPONENT));
            } else {
                path.push_str(segment);
            }
        }
        if params.next().is_some() {
            return Err(self.undeclared("more path values than the template has".into()));
        }
        let declared = self.op.shape().query;
        for (i, (name, value)) in self.query.iter().enumerate() {
            if !declared.contains(name) {
                return Err(self.undeclared(format!("query parameter {name} is not declared")));
            }
            path.push(if i == 0 { '?' } else { '&' });
            path.push_str(name);
            path.push('=');
            path.extend(utf8_percent_encode(value, COMPONENT));
        }
        Ok(path)
    }

    /// Refuse a JSON body with a top-level field the call does not declare.
    pub fn check_body(&self, body: &Value) -> Result<(), JiraError> {
        let Body::Json(fields) = self.op.shape().body else {
            return Err(self.undeclared("the call sends no JSON body".into()));
        };
        let top = |path: &str| path.split(['.', '[']).next().unwrap_or_default().to_owned();
        match body.as_object() {
            Some(map) => map.keys().try_for_each(|key| {
                if fields.iter().any(|f| top(f) == *key) {
                    Ok(())
                } else {
                    Err(self.undeclared(format!("body field {key} is not declared")))
                }
            }),
            None => Err(self.undeclared("the body is not a JSON object".into())),
        }
    }

    fn undeclared(&self, why: String) -> JiraError {
        JiraError::Undeclared(format!("{} ({:?}): {why}", self.op.id(), self.op))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths_come_from_the_template() {
        let req = JiraRequest::new(JiraOp::SetIssueProperty)
            .param("10001")
            .param("clearance-request");
        assert_eq!(
            req.path_and_query().unwrap(),
            "/rest/api/3/issue/10001/properties/clearance-request"
        );
        let search = JiraRequest::new(JiraOp::SearchJql)
            .query("jql", "labels = \"data request\"")
            .query("fields", "id");
        assert_eq!(
            search.path_and_query().unwrap(),
            "/rest/api/3/search/jql?jql=labels%20%3D%20%22data%20request%22&fields=id"
        );
        let odd = JiraRequest::new(JiraOp::Issue).param("../../admin");
        assert_eq!(
            odd.path_and_query().unwrap(),
            "/rest/api/3/issue/..%2F..%2Fadmin"
        );
    }

    #[test]
    fn what_a_call_does_not_declare_is_refused() {
        fn undeclared<T>(r: Result<T, JiraError>) -> bool {
            matches!(r, Err(JiraError::Undeclared(_)))
        }
        assert!(undeclared(JiraRequest::new(JiraOp::Issue).path_and_query()));
        assert!(undeclared(
            JiraRequest::new(JiraOp::Issue).param("..").path_and_query()
        ));
        assert!(undeclared(
            JiraRequest::new(JiraOp::Myself).param("x").path_and_query()
        ));
        assert!(undeclared(
            JiraRequest::new(JiraOp::Issue)
                .param("1")
                .query("expand", "names")
                .path_and_query()
        ));
        let check = JiraRequest::new(JiraOp::CheckPermissions);
        assert!(
            check
                .check_body(&json!({"accountId": "a", "projectPermissions": []}))
                .is_ok()
        );
        assert!(undeclared(
            check.check_body(&json!({"globalPermissions": []}))
        ));
        assert!(undeclared(
            JiraRequest::new(JiraOp::Issue).check_body(&json!({}))
        ));
    }
}
