//! Jira product events for the installed Forge app, fired from the same places as the Connect webhooks:
//! `avi:jira:{created,updated,deleted}:issue` and `avi:jira:commented:issue` as `{"payload": {…}}` with
//! `eventType`, `selfGenerated`, the issue's field subset, `atlassianId`, `timestamp`, and `changelog` or `comment`.
//! With the trigger's `ignoreSelf`, events the app's own account caused are not sent at all.

use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    JiraSim,
    model::{Comment, Issue, jira_time},
};

/// Issue created.
pub const CREATED: &str = "avi:jira:created:issue";
/// Issue updated (fields, status, attachments…).
pub const UPDATED: &str = "avi:jira:updated:issue";
/// Issue deleted.
pub const DELETED: &str = "avi:jira:deleted:issue";
/// Comment created (or edited).
pub const COMMENTED: &str = "avi:jira:commented:issue";

/// A stable numeric project id for a project key (the simulator has keys only).
pub fn project_id(key: &str) -> String {
    let h = Sha256::digest(key.as_bytes());
    (10_000 + u32::from(u16::from_be_bytes([h[0], h[1]])) % 10_000).to_string()
}

/// The id of an issue type name.
pub fn issue_type_id(name: &str) -> &'static str {
    match name {
        "Bug" => "10004",
        "Story" => "10001",
        "Epic" => "10000",
        _ => "10002",
    }
}

fn status_id(name: &str) -> &'static str {
    match name {
        "Done" => "10002",
        "In Progress" => "3",
        _ => "10000",
    }
}

impl JiraSim {
    /// The issue as Forge events carry it: id, key and a subset of the fields.
    fn forge_issue_json(&self, i: &Issue) -> Value {
        let base = self.base_url();
        let type_id = issue_type_id(&i.issue_type);
        let pid = project_id(&i.project);
        json!({
            "id": i.id.to_string(),
            "key": i.key,
            "fields": {
                "summary": i.summary,
                "issuetype": {"self": format!("{base}/rest/api/3/issuetype/{type_id}"), "id": type_id,
                              "name": i.issue_type, "subtask": false, "hierarchyLevel": 0},
                "project": {"self": format!("{base}/rest/api/3/project/{pid}"), "id": pid, "key": i.project,
                            "name": i.project, "projectTypeKey": "software", "simplified": false},
                "reporter": {"accountId": i.reporter},
                "creator": {"accountId": i.reporter},
                "status": {"self": format!("{base}/rest/api/3/status/{}", status_id(&i.status)),
                           "id": status_id(&i.status), "name": i.status},
                "created": jira_time(i.created),
                "updated": jira_time(i.updated),
            },
        })
    }

    /// Send `payload` (with `eventType`, `selfGenerated`, `atlassianId`, `timestamp` added) to the events endpoint,
    /// unless the app is not installed or `ignoreSelf` drops it.
    fn forge_product_event(&self, event_type: &str, actor: Option<&str>, mut payload: Value) {
        let (remote, app_account) = {
            let s = self.state();
            match &s.forge.installed {
                Some(i) => (i.remote.clone(), s.forge.app_account_id.clone()),
                None => return,
            }
        };
        let self_generated = actor == Some(app_account.as_str());
        if self_generated && remote.ignore_self {
            return;
        }
        payload["eventType"] = json!(event_type);
        payload["selfGenerated"] = json!(self_generated);
        payload["timestamp"] = json!(Utc::now().timestamp_millis());
        if let Some(a) = actor {
            payload["atlassianId"] = json!(a);
        }
        self.forge_enqueue(
            event_type,
            &remote.events_path,
            &remote.keys.events_endpoint,
            json!({ "payload": payload }),
        );
    }

    /// The Forge counterpart of a Connect issue webhook (`jira:issue_created|updated|deleted`).
    pub(super) fn forge_issue_event(
        &self,
        connect_event: &str,
        issue: &Issue,
        actor: Option<&str>,
        changelog: Option<&Value>,
    ) {
        let event_type = match connect_event {
            "jira:issue_created" => CREATED,
            "jira:issue_updated" => UPDATED,
            "jira:issue_deleted" => DELETED,
            _ => return,
        };
        let mut payload = json!({ "issue": self.forge_issue_json(issue) });
        if let Some(c) = changelog {
            payload["changelog"] = c.clone();
        }
        self.forge_product_event(event_type, actor, payload);
    }

    /// `avi:jira:commented:issue` for a new comment.
    pub(super) fn forge_comment_event(&self, issue: &Issue, c: &Comment) {
        let comment = json!({
            "id": c.id.to_string(),
            "self": format!("{}/rest/api/3/issue/{}/comment/{}", self.base_url(), issue.id, c.id),
            "author": {"accountId": c.author},
            "updateAuthor": {"accountId": c.author},
            "body": c.body,
            "created": jira_time(c.created),
            "updated": jira_time(c.created),
            "jsdPublic": true,
        });
        let payload = json!({ "issue": self.forge_issue_json(issue), "comment": comment });
        self.forge_product_event(COMMENTED, Some(&c.author), payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids_are_stable_numbers() {
        assert_eq!(project_id("DATA"), project_id("DATA"));
        let n: u32 = project_id("DATA").parse().unwrap();
        assert!((10_000..20_000).contains(&n));
        assert_eq!(issue_type_id("Task"), "10002");
    }
}
