//! Changes to issues as Jira records them: edits with a changelog (and the `jira:issue_updated` webhook), comments
//! (and `comment_created`), and users as other users and apps see them.

use chrono::Utc;
use serde_json::{Value, json};

/// What an edit changes; `None` fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct IssueEdit {
    /// New summary.
    pub summary: Option<String>,
    /// New description (ADF).
    pub description: Option<Value>,
    /// New labels (the whole list).
    pub labels: Option<Vec<String>>,
    /// New reporter accountId.
    pub reporter: Option<String>,
    /// New status name.
    pub status: Option<String>,
}

impl IssueEdit {
    /// Replace the labels.
    pub fn labels(labels: &[&str]) -> Self {
        Self {
            labels: Some(labels.iter().map(|l| (*l).to_owned()).collect()),
            ..Self::default()
        }
    }
}

use super::{
    JiraSim,
    model::{self, Comment, Issue},
    rest_issues::comment_json,
};

impl JiraSim {
    /// A user as other users (and apps) see them: the email only when the profile makes it visible.
    pub(super) fn public_user(&self, account_id: &str) -> Value {
        let s = self.state();
        match s.users.get(account_id) {
            Some(u) => {
                let mut v = json!({"accountId": u.account_id, "displayName": u.display_name, "active": true, "accountType": "atlassian",
                                   "self": format!("{}/rest/api/3/user?accountId={}", self.base_url(), u.account_id)});
                if u.email_visible {
                    v["emailAddress"] = json!(u.email);
                }
                v
            }
            None => {
                json!({"accountId": account_id, "accountType": "app", "active": true, "displayName": self.inner.options.app_user_name})
            }
        }
    }

    /// Apply `edit` as `actor` and fire `jira:issue_updated` with a changelog of what changed (nothing fires when
    /// nothing changed). `None` if there is no such issue.
    pub fn edit_issue(&self, key: &str, actor: &str, edit: IssueEdit) -> Option<Issue> {
        let IssueEdit {
            summary,
            description,
            labels,
            reporter,
            status,
        } = edit;
        let (issue, items) = {
            let mut s = self.state();
            let id = Self::find_issue(&s, key)?;
            let changelog_id = Self::next_id(&mut s);
            let issue = s.issues.get_mut(&id)?;
            let mut items = Vec::new();
            let mut item = |field: &str, from: String, to: String| {
                items.push(json!({"field": field, "fieldtype": "jira", "fieldId": field, "from": null, "fromString": from, "to": null, "toString": to}));
            };
            if let Some(v) = summary.filter(|v| *v != issue.summary) {
                item(
                    "summary",
                    std::mem::replace(&mut issue.summary, v.clone()),
                    v,
                );
            }
            if let Some(v) = description.filter(|v| *v != issue.description) {
                item(
                    "description",
                    model::adf_plain(&issue.description),
                    model::adf_plain(&v),
                );
                issue.description = v;
            }
            if let Some(v) = labels.filter(|v| *v != issue.labels) {
                item("labels", issue.labels.join(" "), v.join(" "));
                issue.labels = v;
            }
            if let Some(v) = status.filter(|v| *v != issue.status) {
                item("status", std::mem::replace(&mut issue.status, v.clone()), v);
            }
            // User fields carry accountIds in from/to (after the last use of `item`).
            if let Some(v) = reporter.filter(|v| *v != issue.reporter) {
                items.push(json!({"field": "reporter", "fieldtype": "jira", "fieldId": "reporter",
                                  "from": issue.reporter, "fromString": null, "to": v, "toString": null}));
                issue.reporter = v;
            }
            if !items.is_empty() {
                issue.updated = Utc::now();
            }
            (
                issue.clone(),
                json!({"id": changelog_id.to_string(), "items": items}),
            )
        };
        self.changed();
        if items["items"].as_array().is_some_and(|a| !a.is_empty()) {
            self.fire_issue_event(
                "jira:issue_updated",
                "issue_generic",
                &issue,
                Some(actor),
                Some(items),
            );
        }
        Some(issue)
    }

    /// Append a comment (fires `comment_created`).
    pub(super) fn insert_comment(&self, key: &str, author: &str, body: Value) -> Option<u64> {
        let (issue, comment) = {
            let mut s = self.state();
            let id = Self::find_issue(&s, key)?;
            let cid = Self::next_id(&mut s);
            let issue = s.issues.get_mut(&id)?;
            let c = Comment {
                id: cid,
                author: author.to_owned(),
                body,
                created: Utc::now(),
            };
            issue.comments.push(c.clone());
            issue.updated = c.created;
            (issue.clone(), c)
        };
        self.changed();
        self.forge_comment_event(&issue, &comment);
        self.fire_comment_event(&issue, comment_json(self, &comment));
        Some(comment.id)
    }
}
