//! Changing retention: a site's rules (admins: default days and the bounds a request may choose within, and whether
//! closing an issue removes its delivery) and one request's own retention (analysts and privacy officers, within the
//! bounds), which moves the removal date of a bundle already attached. Both audited.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use super::state::DeliveryState;
use crate::{
    error::AppError,
    model::AuditAction,
    requests::{
        Context,
        commands::{self, ExecError},
        machine::CommandError,
        state::State,
    },
    store::{AuditEvent, NewAuditEvent, RetentionPolicy, Store},
    tenant::{AccountId, Tenant},
};

/// Longest retention a site may allow (ten years).
pub const MAX_DAYS: u32 = 3650;

/// A site's rules as an admin sends them (fields left out keep their values).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyInput {
    /// Days by default.
    pub default_days: Option<u32>,
    /// Fewest days a request may choose.
    pub min_days: Option<u32>,
    /// Most days a request may choose.
    pub max_days: Option<u32>,
    /// Closing the issue removes its delivery.
    pub expire_on_close: Option<bool>,
}

/// `current` with `input` applied, checked: 1 ≤ min ≤ default ≤ max ≤ 3650.
pub fn apply(current: RetentionPolicy, input: &PolicyInput) -> Result<RetentionPolicy, String> {
    let p = RetentionPolicy {
        default_days: input.default_days.unwrap_or(current.default_days),
        min_days: input.min_days.unwrap_or(current.min_days),
        max_days: input.max_days.unwrap_or(current.max_days),
        expire_on_close: input.expire_on_close.unwrap_or(current.expire_on_close),
    };
    if !(1 <= p.min_days
        && p.min_days <= p.default_days
        && p.default_days <= p.max_days
        && p.max_days <= MAX_DAYS)
    {
        return Err(format!(
            "minDays ≤ defaultDays ≤ maxDays must hold, between 1 and {MAX_DAYS} days (got {}, {}, {})",
            p.min_days, p.default_days, p.max_days
        ));
    }
    Ok(p)
}

/// Set the retention of the request for `issue_id` to `days` (`None`: the site's default). Returns the new removal
/// date of its attached bundle, if one is attached.
pub async fn set_for_request(
    app: &Context,
    tenant: &Tenant,
    account: &AccountId,
    issue_id: &str,
    days: Option<u32>,
) -> Result<Option<DateTime<Utc>>, ExecError> {
    let (roles, _) = commands::roles_of(app, tenant, account).await?;
    if !(roles.analyst || roles.privacy) {
        return Err(CommandError::Forbidden(
            "only analysts and privacy officers can change how long a delivery is kept".into(),
        )
        .into());
    }
    let policy = app
        .store
        .retention_policy(&tenant.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("tenant {} is gone", tenant.client_key))?;
    if let Some(d) = days.filter(|d| !(policy.min_days..=policy.max_days).contains(d)) {
        return Err(CommandError::Invalid(format!(
            "days: {d} is outside this site's bounds of {} to {} days",
            policy.min_days, policy.max_days
        ))
        .into());
    }
    let mut tx = app.store.begin().await?;
    let row = tx
        .lock_request_by_issue(&tenant.id, issue_id)
        .await?
        .ok_or_else(|| ExecError::NotFound(issue_id.to_owned()))?;
    if matches!(
        row.state,
        State::Expired | State::Cancelled | State::Rejected
    ) {
        return Err(CommandError::NotNow(format!(
            "the request is {}; there is nothing to keep",
            row.state
        ))
        .into());
    }
    tx.set_request_retention(&row.id, days).await?;
    let effective = days.unwrap_or(policy.default_days);
    let mut expires = None;
    let live = app
        .store
        .request_deliveries(&tenant.id, &row.id)
        .await?
        .into_iter()
        .find(|d| d.state == DeliveryState::Uploaded);
    if let Some(d) = live
        && let Some(mut locked) = tx.lock_delivery(&tenant.id, &d.id).await?
    {
        let at = locked.uploaded_at.unwrap_or_else(Utc::now) + Duration::days(i64::from(effective));
        locked.expires_at = Some(at);
        locked.reminded_at = None;
        tx.save_delivery(&locked).await?;
        expires = Some(at);
    }
    tx.append_audit(
        &tenant.id,
        &NewAuditEvent {
            actor: account.as_ref().to_owned(),
            action: AuditAction::RequestRetentionSet,
            request_id: Some(row.id.clone()),
            detail: json!({"days": days, "effective_days": effective, "expires_at": expires}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(expires)
}

/// An admin's change to the site's retention rules, stored with its audit event (the rules before and after) in
/// one transaction. Refused: a site that is not installed (404), rules that do not hold together (422).
pub async fn update_policy(
    store: &Store,
    tenant_id: &str,
    actor: &str,
    input: &PolicyInput,
) -> Result<(RetentionPolicy, AuditEvent), AppError> {
    let current = store
        .retention_policy(tenant_id)
        .await?
        .ok_or_else(|| AppError::NotFound("this site is not installed".into()))?;
    let policy = apply(current, input).map_err(AppError::Unprocessable)?;
    let mut tx = store.begin().await?;
    tx.set_retention_policy(tenant_id, &policy).await?;
    let event = tx
        .append_audit(
            tenant_id,
            &NewAuditEvent {
                actor: actor.to_owned(),
                action: AuditAction::RetentionUpdated,
                request_id: None,
                detail: json!({"before": current, "after": policy}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok((policy, event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_hold() {
        let p = RetentionPolicy {
            default_days: 7,
            min_days: 1,
            max_days: 30,
            expire_on_close: false,
        };
        assert!(apply(p, &PolicyInput::default()).is_ok());
        let longer = PolicyInput {
            max_days: Some(90),
            default_days: Some(60),
            ..PolicyInput::default()
        };
        assert_eq!(apply(p, &longer).map(|p| p.default_days), Ok(60));
        for bad in [
            PolicyInput {
                default_days: Some(31),
                ..PolicyInput::default()
            },
            PolicyInput {
                min_days: Some(0),
                ..PolicyInput::default()
            },
            PolicyInput {
                max_days: Some(MAX_DAYS + 1),
                ..PolicyInput::default()
            },
        ] {
            assert!(apply(p, &bad).is_err(), "{bad:?}");
        }
    }
}
