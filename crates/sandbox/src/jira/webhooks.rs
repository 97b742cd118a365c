//! Webhook delivery as Jira does it: POST to each URL the descriptor declares for the event, `Authorization: JWT`
//! with a qsh, `X-Atlassian-Webhook-Identifier` (kept across retries), retries on 408/409/425/429/5xx/timeouts with
//! `X-Atlassian-Webhook-Retry`, and the faults the test asked for. Issue events also go to an installed Forge app.

use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};

use super::{JiraSim, WebhookFault, model::Issue, rest_issues::issue_json};

/// One webhook delivery and every attempt at it.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// `X-Atlassian-Webhook-Identifier`.
    pub identifier: String,
    /// `webhookEvent`.
    pub event: String,
    /// Target URL.
    pub url: String,
    /// The JSON body.
    pub body: Value,
    /// Attempts in order.
    pub attempts: Vec<Attempt>,
    /// Dropped on purpose (fault injection).
    pub dropped: bool,
}

/// One attempt: the retry number and the status (or transport error) the app answered.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    /// 0 for the first try.
    pub retry: u32,
    /// HTTP status, if the app answered.
    pub status: Option<u16>,
    /// Transport error, if it did not.
    pub error: Option<String>,
}

/// A delivery waiting for the next one to overtake it.
#[derive(Debug)]
pub(super) struct Held {
    index: usize,
}

fn should_retry(status: Option<u16>) -> bool {
    match status {
        None => true,
        Some(s) => matches!(s, 408 | 409 | 425 | 429) || (500..600).contains(&s),
    }
}

impl JiraSim {
    /// Fire an issue event (`jira:issue_created|updated|deleted`) to the app.
    pub(super) fn fire_issue_event(
        &self,
        event: &str,
        type_name: &str,
        issue: &Issue,
        actor: Option<&str>,
        changelog: Option<Value>,
    ) {
        self.forge_issue_event(event, issue, actor, changelog.as_ref());
        let mut body = json!({
            "timestamp": Utc::now().timestamp_millis(),
            "webhookEvent": event,
            "issue_event_type_name": type_name,
            "issue": issue_json(self, issue, None),
        });
        if let Some(a) = actor {
            body["user"] = self.public_user(a);
        }
        if let Some(c) = changelog {
            body["changelog"] = c;
        }
        self.dispatch(event, body);
    }

    /// Fire `comment_created`.
    pub(super) fn fire_comment_event(&self, issue: &Issue, comment: Value) {
        let body = json!({
            "timestamp": Utc::now().timestamp_millis(),
            "webhookEvent": "comment_created",
            "comment": comment,
            "issue": {"id": issue.id.to_string(), "key": issue.key, "self": format!("{}/rest/api/3/issue/{}", self.base_url(), issue.id),
                      "fields": {"summary": issue.summary, "project": {"key": issue.project}}},
        });
        self.dispatch("comment_created", body);
    }

    fn dispatch(&self, event: &str, body: Value) {
        let urls = match self.state().app.as_ref() {
            Some(app) if app.enabled => app.webhook_urls(event),
            _ => return,
        };
        for url in urls {
            let fault = self.faults().webhooks.pop_front();
            let index = {
                let mut d = self
                    .inner
                    .deliveries
                    .lock()
                    .expect("deliveries lock poisoned");
                d.push(Delivery {
                    identifier: uuid::Uuid::new_v4().to_string(),
                    event: event.to_owned(),
                    url,
                    body: body.clone(),
                    attempts: Vec::new(),
                    dropped: fault == Some(WebhookFault::Drop),
                });
                d.len() - 1
            };
            match fault {
                Some(WebhookFault::Drop) => {}
                Some(WebhookFault::OutOfOrder) => self.faults().held.push(Held { index }),
                Some(WebhookFault::Duplicate) => {
                    self.spawn_delivery(index, None, Vec::new());
                    self.spawn_delivery(index, None, Vec::new());
                }
                Some(WebhookFault::Delay(d)) => self.spawn_delivery(index, Some(d), Vec::new()),
                None => {
                    let held = std::mem::take(&mut self.faults().held);
                    self.spawn_delivery(index, None, held);
                }
            }
        }
    }

    /// Deliver `index` (after `delay`), then release the `overtaken` ones.
    fn spawn_delivery(
        &self,
        index: usize,
        delay: Option<std::time::Duration>,
        overtaken: Vec<Held>,
    ) {
        let sim = self.clone();
        tokio::spawn(async move {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            sim.deliver(index).await;
            for h in overtaken {
                sim.deliver(h.index).await;
            }
        });
    }

    async fn deliver(&self, index: usize) {
        let (identifier, url, body) = {
            let d = self
                .inner
                .deliveries
                .lock()
                .expect("deliveries lock poisoned");
            let x = &d[index];
            (x.identifier.clone(), x.url.clone(), x.body.clone())
        };
        let delays = self.inner.options.webhook_retry_delays.clone();
        for retry in 0..=delays.len() as u32 {
            let Some(token) = self.sign_app_request("POST", &url, None) else {
                return;
            };
            let mut req = self
                .inner
                .http
                .post(&url)
                .header("Authorization", format!("JWT {token}"))
                .header("X-Atlassian-Webhook-Identifier", &identifier)
                .header("X-Atlassian-Webhook-Flow", "Primary")
                .json(&body);
            if retry > 0 {
                req = req.header("X-Atlassian-Webhook-Retry", retry.to_string());
            }
            let (status, error) = match req.send().await {
                Ok(r) => (Some(r.status().as_u16()), None),
                Err(e) => (None, Some(e.to_string())),
            };
            self.inner
                .deliveries
                .lock()
                .expect("deliveries lock poisoned")[index]
                .attempts
                .push(Attempt {
                    retry,
                    status,
                    error,
                });
            if !should_retry(status) {
                return;
            }
            match delays.get(retry as usize) {
                Some(d) => tokio::time::sleep(*d).await,
                None => return,
            }
        }
    }
}
