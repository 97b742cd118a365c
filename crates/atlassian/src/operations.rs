//! The one table of Jira REST operations Clearance calls or its simulator serves, each with the scopes it needs,
//! copied from Atlassian's OpenAPI document of the Jira platform API (the December 2025 version is kept in
//! `tests/fixtures/jira-platform-openapi-v3.json`; `tests/it/jira_openapi.rs` checks every entry against it, so an
//! entry that drifts from the document fails the build's tests). Clearance's calls (the service's `JiraOp`) name their
//! entry here; the simulator refuses each call whose installed descriptor or manifest lacks the entry's scopes.

use crate::scopes::{ConnectScope, HttpMethod, Operation};

/// Every operation, by `operationId`.
pub const OPERATIONS: &[Operation] = &[
    // Clearance's calls (see `JiraOp`), and the simulator's.
    Operation {
        id: "getServerInfo",
        method: HttpMethod::Get,
        path: "/rest/api/3/serverInfo",
        connect: ConnectScope::Read,
        oauth: &["", ""],
    },
    Operation {
        id: "getCurrentUser",
        method: HttpMethod::Get,
        path: "/rest/api/3/myself",
        connect: ConnectScope::Read,
        oauth: &[
            "read:jira-user",
            "read:application-role:jira read:group:jira read:user:jira read:avatar:jira",
        ],
    },
    Operation {
        id: "getUser",
        method: HttpMethod::Get,
        path: "/rest/api/3/user",
        connect: ConnectScope::Read,
        oauth: &[
            "read:jira-user",
            "read:application-role:jira read:group:jira read:user:jira read:avatar:jira",
        ],
    },
    Operation {
        id: "getUserEmail",
        method: HttpMethod::Get,
        path: "/rest/api/3/user/email",
        connect: ConnectScope::AccessEmailAddresses,
        oauth: &["read:email-address:jira"],
    },
    Operation {
        id: "getUserGroups",
        method: HttpMethod::Get,
        path: "/rest/api/3/user/groups",
        connect: ConnectScope::Read,
        oauth: &["read:jira-user", "read:group:jira"],
    },
    Operation {
        id: "getBulkPermissions",
        method: HttpMethod::Post,
        path: "/rest/api/3/permissions/check",
        connect: ConnectScope::Read,
        oauth: &["", "read:permission:jira"],
    },
    Operation {
        id: "getIssue",
        method: HttpMethod::Get,
        path: "/rest/api/3/issue/{issueIdOrKey}",
        connect: ConnectScope::Read,
        oauth: &[
            "read:jira-work",
            "read:issue-meta:jira read:issue-security-level:jira read:issue.vote:jira read:issue.changelog:jira read:avatar:jira read:issue:jira read:status:jira read:user:jira read:field-configuration:jira",
        ],
    },
    Operation {
        id: "getComments",
        method: HttpMethod::Get,
        path: "/rest/api/3/issue/{issueIdOrKey}/comment",
        connect: ConnectScope::Read,
        oauth: &[
            "read:jira-work",
            "read:comment:jira read:comment.property:jira read:group:jira read:project:jira read:project-role:jira read:user:jira read:avatar:jira",
        ],
    },
    Operation {
        id: "addComment",
        method: HttpMethod::Post,
        path: "/rest/api/3/issue/{issueIdOrKey}/comment",
        connect: ConnectScope::Write,
        oauth: &[
            "write:jira-work",
            "read:comment:jira read:comment.property:jira read:group:jira read:project:jira read:project-role:jira read:user:jira write:comment:jira read:avatar:jira",
        ],
    },
    Operation {
        id: "setIssueProperty",
        method: HttpMethod::Put,
        path: "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
        connect: ConnectScope::Write,
        oauth: &["write:jira-work", "write:issue.property:jira"],
    },
    Operation {
        id: "addAttachment",
        method: HttpMethod::Post,
        path: "/rest/api/3/issue/{issueIdOrKey}/attachments",
        connect: ConnectScope::Write,
        oauth: &[
            "write:jira-work",
            "read:user:jira write:attachment:jira read:attachment:jira read:avatar:jira",
        ],
    },
    Operation {
        id: "getAttachmentMeta",
        method: HttpMethod::Get,
        path: "/rest/api/3/attachment/meta",
        connect: ConnectScope::Read,
        oauth: &["read:jira-work", "read:instance-configuration:jira"],
    },
    Operation {
        id: "removeAttachment",
        method: HttpMethod::Delete,
        path: "/rest/api/3/attachment/{id}",
        connect: ConnectScope::Delete,
        oauth: &["write:jira-work", "delete:attachment:jira"],
    },
    Operation {
        id: "getAttachmentContent",
        method: HttpMethod::Get,
        path: "/rest/api/3/attachment/content/{id}",
        connect: ConnectScope::Read,
        oauth: &["read:jira-work", "read:attachment:jira"],
    },
    Operation {
        id: "searchAndReconsileIssuesUsingJql",
        method: HttpMethod::Get,
        path: "/rest/api/3/search/jql",
        connect: ConnectScope::Read,
        oauth: &[
            "read:jira-work",
            "read:issue-details:jira read:audit-log:jira read:avatar:jira read:field-configuration:jira read:issue-meta:jira",
        ],
    },
    // Served by the simulator only (tests and the demo drive them).
    Operation {
        id: "createIssue",
        method: HttpMethod::Post,
        path: "/rest/api/3/issue",
        connect: ConnectScope::Write,
        oauth: &[
            "write:jira-work",
            "write:issue:jira write:comment:jira write:comment.property:jira write:attachment:jira read:issue:jira",
        ],
    },
    Operation {
        id: "editIssue",
        method: HttpMethod::Put,
        path: "/rest/api/3/issue/{issueIdOrKey}",
        connect: ConnectScope::Write,
        oauth: &["write:jira-work", "write:issue:jira"],
    },
    Operation {
        id: "deleteIssue",
        method: HttpMethod::Delete,
        path: "/rest/api/3/issue/{issueIdOrKey}",
        connect: ConnectScope::Delete,
        oauth: &["write:jira-work", "delete:issue:jira"],
    },
    Operation {
        id: "getIssuePropertyKeys",
        method: HttpMethod::Get,
        path: "/rest/api/3/issue/{issueIdOrKey}/properties",
        connect: ConnectScope::Read,
        oauth: &["read:jira-work", "read:issue.property:jira"],
    },
    Operation {
        id: "getIssueProperty",
        method: HttpMethod::Get,
        path: "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
        connect: ConnectScope::Read,
        oauth: &["read:jira-work", "read:issue.property:jira"],
    },
    Operation {
        id: "deleteIssueProperty",
        method: HttpMethod::Delete,
        path: "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
        connect: ConnectScope::Delete,
        oauth: &["write:jira-work", "delete:issue.property:jira"],
    },
    Operation {
        id: "getTransitions",
        method: HttpMethod::Get,
        path: "/rest/api/3/issue/{issueIdOrKey}/transitions",
        connect: ConnectScope::Read,
        oauth: &[
            "read:jira-work",
            "read:issue.transition:jira read:status:jira read:field-configuration:jira",
        ],
    },
    Operation {
        id: "doTransition",
        method: HttpMethod::Post,
        path: "/rest/api/3/issue/{issueIdOrKey}/transitions",
        connect: ConnectScope::Write,
        oauth: &[
            "write:jira-work",
            "write:issue:jira write:issue.property:jira",
        ],
    },
    Operation {
        id: "getAttachment",
        method: HttpMethod::Get,
        path: "/rest/api/3/attachment/{id}",
        connect: ConnectScope::Read,
        oauth: &[
            "read:jira-work",
            "read:attachment:jira read:user:jira read:application-role:jira read:avatar:jira read:group:jira",
        ],
    },
    Operation {
        id: "searchAndReconsileIssuesUsingJqlPost",
        method: HttpMethod::Post,
        path: "/rest/api/3/search/jql",
        connect: ConnectScope::Read,
        oauth: &[
            "read:jira-work",
            "read:issue-details:jira read:field.default-value:jira read:field.option:jira read:field:jira read:group:jira",
        ],
    },
];

/// The operation with this `operationId`.
pub fn by_id(id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.id == id)
}

/// The operation a request for `method` on `path` (no query) is: the template that matches with the most literal
/// segments, as a router picks `/attachment/meta` over `/attachment/{id}`.
pub fn find(method: HttpMethod, path: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .filter_map(|op| op.matches(method, path).map(|literal| (literal, op)))
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, op)| op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_routes_are_unique() {
        for (i, a) in OPERATIONS.iter().enumerate() {
            for b in &OPERATIONS[i + 1..] {
                assert_ne!(a.id, b.id);
                assert!((a.method, a.path) != (b.method, b.path), "{} twice", a.path);
            }
        }
    }

    #[test]
    fn requests_find_their_operation() {
        let id = |m, p| find(m, p).map(|op| op.id);
        assert_eq!(
            id(HttpMethod::Get, "/rest/api/3/attachment/meta"),
            Some("getAttachmentMeta")
        );
        assert_eq!(
            id(HttpMethod::Get, "/rest/api/3/attachment/10001"),
            Some("getAttachment")
        );
        assert_eq!(
            id(HttpMethod::Get, "/rest/api/3/user/email"),
            Some("getUserEmail")
        );
        assert_eq!(
            id(HttpMethod::Put, "/rest/api/3/issue/DATA-1/properties/x"),
            Some("setIssueProperty")
        );
        assert_eq!(id(HttpMethod::Post, "/rest/api/3/myself"), None);
        assert_eq!(
            by_id("getUserEmail").map(|op| op.connect),
            Some(ConnectScope::AccessEmailAddresses)
        );
    }
}
