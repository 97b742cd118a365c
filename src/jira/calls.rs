//! Every Jira REST call Clearance makes, as one typed list: each names its operation in the scope table
//! ([`super::operations`]) and says what the call uses of it — query parameters, body fields, response fields read.
//! A call is sent only as a [`JiraRequest`](super::JiraRequest) of one of these, so the list is complete; tests
//! check each entry against Atlassian's OpenAPI document and compute the scopes the descriptor and manifest need.

use std::collections::BTreeSet;

use super::{
    operations,
    scopes::{ConnectScope, Operation},
};

/// What a call sends as its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// A JSON body with these fields: dot paths, `[]` after a name for an array's items (`a[].b`).
    Json(&'static [&'static str]),
    /// `multipart/form-data` with the files in the part of this name.
    Multipart(&'static str),
}

/// What a call uses of its operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallShape {
    /// Query parameters the call may send.
    pub query: &'static [&'static str],
    /// The body.
    pub body: Body,
    /// Response fields the caller reads: dot paths, `[]` for an array's items (`[].name` in a top-level array).
    pub reads: &'static [&'static str],
}

macro_rules! jira_ops {
    ($($(#[$doc:meta])* $name:ident => $id:literal,)*) => {
        /// A Jira REST call Clearance makes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum JiraOp {
            $($(#[$doc])* $name,)*
        }

        impl JiraOp {
            /// Every call, once.
            pub const ALL: &'static [JiraOp] = &[$(JiraOp::$name,)*];

            /// The `operationId` of the call's operation.
            pub const fn id(self) -> &'static str {
                match self {
                    $(JiraOp::$name => $id,)*
                }
            }
        }
    };
}

jira_ops! {
    /// The site's URL, read by a Forge remote from its API base (Jira answers it without a token).
    ServerInfo => "getServerInfo",
    /// The app's own account (a signing check).
    Myself => "getCurrentUser",
    /// A person's display name.
    User => "getUser",
    /// A person's e-mail address, to find them in Slack.
    UserEmail => "getUserEmail",
    /// A person's groups, which map to Clearance roles.
    UserGroups => "getUserGroups",
    /// Whether a person may see an issue.
    CheckPermissions => "getBulkPermissions",
    /// An issue's fields (sync, its attachments).
    Issue => "getIssue",
    /// An issue's latest comments (a retried write-back looks for its own).
    Comments => "getComments",
    /// Tell the issue what happened.
    AddComment => "addComment",
    /// The issue's `clearance-request` property (indexed for JQL).
    SetIssueProperty => "setIssueProperty",
    /// Attach the encrypted delivery.
    AddAttachment => "addAttachment",
    /// Whether attachments are on, and their size limit.
    AttachmentMeta => "getAttachmentMeta",
    /// Remove a delivered file when its retention ends.
    RemoveAttachment => "removeAttachment",
    /// Read an attached ID list.
    AttachmentContent => "getAttachmentContent",
    /// Find the labelled issues (reconciliation).
    SearchJql => "searchAndReconsileIssuesUsingJql",
}

impl JiraOp {
    /// The call's entry in the scope table.
    pub fn operation(self) -> &'static Operation {
        // `every_call_has_an_operation` below proves each id is in the table.
        operations::by_id(self.id()).expect("every JiraOp names an operation of the table")
    }

    /// What the call uses of its operation.
    pub const fn shape(self) -> CallShape {
        const fn shape(
            query: &'static [&'static str],
            body: Body,
            reads: &'static [&'static str],
        ) -> CallShape {
            CallShape { query, body, reads }
        }
        const ACCOUNT: &[&str] = &["accountId"];
        match self {
            Self::ServerInfo => shape(&[], Body::None, &["baseUrl"]),
            Self::Myself => shape(
                &[],
                Body::None,
                &["accountId", "displayName", "accountType"],
            ),
            Self::User => shape(ACCOUNT, Body::None, &["displayName"]),
            Self::UserEmail => shape(ACCOUNT, Body::None, &["email"]),
            Self::UserGroups => shape(ACCOUNT, Body::None, &["[].name"]),
            Self::CheckPermissions => shape(
                &[],
                Body::Json(&[
                    "accountId",
                    "projectPermissions[].permissions",
                    "projectPermissions[].issues",
                ]),
                &[
                    "projectPermissions[].permission",
                    "projectPermissions[].issues",
                ],
            ),
            // `fields` is a map by field id: the document describes no field in it.
            Self::Issue => shape(
                &["fields"],
                Body::None,
                &[
                    "key",
                    "fields.summary",
                    "fields.description",
                    "fields.reporter.accountId",
                    "fields.labels",
                    "fields.project.key",
                    "fields.attachment",
                    "fields.status.statusCategory.key",
                ],
            ),
            Self::Comments => shape(&["orderBy", "maxResults"], Body::None, &["comments[].body"]),
            Self::AddComment => shape(&[], Body::Json(&["body"]), &[]),
            // The body is the property's value, any JSON to Jira.
            Self::SetIssueProperty => {
                shape(&[], Body::Json(&["state", "updated", "requestId"]), &[])
            }
            Self::AddAttachment => shape(
                &[],
                Body::Multipart("file"),
                &["[].id", "[].filename", "[].size"],
            ),
            Self::AttachmentMeta => shape(&[], Body::None, &["enabled", "uploadLimit"]),
            Self::RemoveAttachment => shape(&[], Body::None, &[]),
            // The answer is the file's bytes.
            Self::AttachmentContent => shape(&["redirect"], Body::None, &[]),
            Self::SearchJql => shape(
                &["jql", "maxResults", "fields", "nextPageToken"],
                Body::None,
                &["issues[].id", "nextPageToken", "isLast"],
            ),
        }
    }
}

/// Scopes a Forge manifest needs besides those of the REST calls: `read:app-system-token`, without which Forge
/// sends the remote no system token and Clearance can make no call at all (forge-remote.md §1.6).
pub const FORGE_PLATFORM_SCOPES: &[&str] = &["read:app-system-token"];

impl JiraOp {
    /// The Connect scopes a descriptor must declare for every call: the smallest declaration that grants each
    /// call's scope (the highest of the `READ`…`ADMIN` chain, plus the scopes off the chain).
    pub fn connect_scopes() -> BTreeSet<ConnectScope> {
        ConnectScope::minimal(Self::ALL.iter().map(|op| op.operation().connect))
    }

    /// The OAuth scopes a Forge manifest needs for every call: of each call's alternatives the first, which is
    /// the classic scope wherever the document has one (granular scopes only where no classic one exists).
    pub fn forge_scopes() -> BTreeSet<&'static str> {
        Self::ALL
            .iter()
            .filter_map(|op| op.operation().oauth_alternatives().next())
            .flatten()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_has_an_operation() {
        for op in JiraOp::ALL {
            assert!(operations::by_id(op.id()).is_some(), "{op:?}");
        }
    }
}
