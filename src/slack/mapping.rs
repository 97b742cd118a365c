//! The admin's Jira account → Slack user mapping: set or replace one (audited as `slack.user_mapped`), remove one
//! (`slack.user_unmapped`). Identity resolution consults it before looking people up by e-mail.

use chrono::Utc;
use serde_json::{Value, json};

use super::{SettingsError, SlackUserId, settings::json_object};
use crate::{
    model::AuditAction,
    store::{AuditEvent, NewAuditEvent, SlackUserMapping, Store},
};

/// Whether `s` looks like an Atlassian account id (`5b10ac8d82e05b22cc7d4ef5`, `557058:f58131cb-…`).
pub fn valid_account_id(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'))
}

fn checked_account(account_id: &str) -> Result<(), SettingsError> {
    if valid_account_id(account_id) {
        Ok(())
    } else {
        Err(SettingsError::Invalid(
            "accountId: not an Atlassian account id (letters, digits, ':', '-' and '_', e.g. 557058:f58131cb-b67d-…)"
                .into(),
        ))
    }
}

/// The Slack user id of a `{"slackUserId": "U…"}` body.
pub fn slack_user_of(body: &[u8]) -> Result<SlackUserId, SettingsError> {
    let map = json_object(body, "slackUserId")?;
    map.get("slackUserId")
        .and_then(Value::as_str)
        .and_then(SlackUserId::parse)
        .ok_or_else(|| {
            SettingsError::Invalid(
                "slackUserId: use the person's Slack member ID (U… or W…: in Slack, open their profile, ⋮ → Copy \
                 member ID)"
                    .into(),
            )
        })
}

/// What [`map_user`] stored.
#[derive(Debug)]
pub struct Mapped {
    /// The mapping as stored.
    pub mapping: SlackUserMapping,
    /// The Slack user the account was mapped to before, if any.
    pub previous: Option<String>,
    /// The audit event.
    pub event: AuditEvent,
}

/// Map `account_id` to `slack_user` (replacing any mapping); audited as `slack.user_mapped`.
pub async fn map_user(
    store: &Store,
    tenant_id: &str,
    actor: &str,
    account_id: &str,
    slack_user: &SlackUserId,
) -> Result<Mapped, SettingsError> {
    checked_account(account_id)?;
    let mapping = SlackUserMapping {
        account_id: account_id.to_owned(),
        slack_user_id: slack_user.to_string(),
        updated_at: Utc::now(),
        updated_by: actor.to_owned(),
    };
    let mut tx = store.begin().await?;
    let previous = tx.put_slack_user_mapping(tenant_id, &mapping).await?;
    let detail = json!({"accountId": account_id, "slackUserId": slack_user, "previous": previous});
    let event = audit(actor, AuditAction::SlackUserMapped, detail);
    let event = tx.append_audit(tenant_id, &event).await?;
    tx.commit().await?;
    Ok(Mapped {
        mapping,
        previous,
        event,
    })
}

/// Remove the mapping of `account_id`; audited as `slack.user_unmapped`.
pub async fn unmap_user(
    store: &Store,
    tenant_id: &str,
    actor: &str,
    account_id: &str,
) -> Result<AuditEvent, SettingsError> {
    checked_account(account_id)?;
    let mut tx = store.begin().await?;
    let gone = tx
        .delete_slack_user_mapping(tenant_id, account_id)
        .await?
        .ok_or_else(|| {
            SettingsError::NotFound(format!(
                "no Slack user is mapped to Jira account {account_id} on this site"
            ))
        })?;
    let detail = json!({"accountId": account_id, "slackUserId": gone.slack_user_id});
    let event = tx
        .append_audit(
            tenant_id,
            &audit(actor, AuditAction::SlackUserUnmapped, detail),
        )
        .await?;
    tx.commit().await?;
    Ok(event)
}

/// An audit event by an admin, about no request.
pub(super) fn audit(actor: &str, action: AuditAction, detail: Value) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.to_owned(),
        action,
        request_id: None,
        detail,
    }
}
