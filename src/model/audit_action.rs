//! What an audit event records: every action Clearance writes into the chain, with the name it is stored (and hashed,
//! exported and shown) under. The stored names never change: events already in a chain keep them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares [`AuditAction`] with its stored names, so the enum, [`AuditAction::ALL`] and [`AuditAction::as_str`]
/// cannot drift apart.
macro_rules! audit_actions {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)+) => {
        /// An action recorded in the audit chain.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AuditAction {
            $($(#[doc = $doc])* $variant,)+
        }

        impl AuditAction {
            /// Every action, in declaration order.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)+];

            /// The stored name (`request.approved`…).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)+
                }
            }
        }
    };
}

audit_actions! {
    /// A request was created for an issue carrying the trigger label.
    RequestCreated => "request.created",
    /// An analyst claimed (or took over) the review.
    RequestClaimed => "request.claimed",
    /// An analyst saved a new plan.
    RequestPlanSaved => "request.plan_saved",
    /// The plan ran on a sample (every read of warehouse data is audited).
    RequestDryRun => "request.dry_run",
    /// The plan was submitted for privacy approval.
    RequestSubmitted => "request.submitted",
    /// The plan was approved (by a privacy officer or by a clean personal-data scan).
    RequestApproved => "request.approved",
    /// The request was rejected.
    RequestRejected => "request.rejected",
    /// A rejected or failed request was reopened for review.
    RequestReopened => "request.reopened",
    /// The approved extraction was started.
    RequestExtractionStarted => "request.extraction_started",
    /// The bundle was built.
    RequestExtracted => "request.extracted",
    /// The bundle was attached to the issue.
    RequestUploaded => "request.uploaded",
    /// The bundle is attached, but its secret has not reached everyone yet.
    RequestAwaitingDelivery => "request.awaiting_delivery",
    /// The bundle's secret was sent.
    RequestDelivered => "request.delivered",
    /// The extraction or delivery failed.
    RequestFailed => "request.failed",
    /// The bundle was removed at the end of its retention.
    RequestExpired => "request.expired",
    /// The trigger label was removed or the issue deleted.
    RequestCancelled => "request.cancelled",
    /// A cancelled request's issue carries the trigger label again.
    RequestRestored => "request.restored",
    /// The full result showed personal data the approval did not cover: not uploaded, back to privacy approval.
    RequestDeliveryStopped => "request.delivery_stopped",
    /// The retention of a request's bundle was changed.
    RequestRetentionSet => "request.retention_set",
    /// A bundle was removed without a state change (the request had moved on).
    DeliveryRemoved => "delivery.removed",
    /// The requester was reminded that the bundle expires soon.
    DeliveryReminded => "delivery.reminded",
    /// The expiry reminder could not be sent.
    DeliveryReminderNotSent => "delivery.reminder_not_sent",
    /// A recipient revealed a bundle's secret through its one-time link.
    SecretRevealed => "secret.revealed",
    /// A bundle's stored secret was wiped (every link expired unused).
    SecretWiped => "secret.wiped",
    /// `clearance erase` removed the deliveries built from a person's ID.
    ErasureApplied => "erasure.applied",
    /// An admin ran a job again.
    JobRerun => "job.rerun",
    /// An admin changed the site's retention policy.
    RetentionUpdated => "retention.updated",
    /// An admin changed the site's settings.
    SettingsUpdated => "settings.updated",
    /// An admin saved a plan recipe.
    RecipeSaved => "recipe.saved",
    /// An admin deleted a plan recipe.
    RecipeDeleted => "recipe.deleted",
    /// A data source was created.
    SourceCreated => "source.created",
    /// A data source was changed.
    SourceUpdated => "source.updated",
    /// A data source was deleted.
    SourceDeleted => "source.deleted",
    /// A Jira account was mapped to a Slack user.
    SlackUserMapped => "slack.user_mapped",
    /// A Jira account's Slack mapping was removed.
    SlackUserUnmapped => "slack.user_unmapped",
    /// The site's Slack settings were changed.
    SlackSettingsUpdated => "slack.settings_updated",
    /// A person's age public key was set.
    AgeKeySet => "age_key.set",
    /// A person's age public key was removed.
    AgeKeyRemoved => "age_key.removed",
}

impl AuditAction {
    /// The action stored under `name`, if Clearance writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AuditAction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditAction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown audit action {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::AuditAction;

    #[test]
    fn every_action_round_trips_by_its_name() {
        for &a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            assert_eq!(a.to_string(), a.as_str());
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.as_str()));
            assert_eq!(serde_json::from_str::<AuditAction>(&json).unwrap(), a);
        }
    }

    #[test]
    fn names_are_unique_and_unknown_names_are_refused() {
        let names: HashSet<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len());
        assert_eq!(AuditAction::parse("request.nothing"), None);
        assert_eq!(AuditAction::parse(""), None);
        assert!(serde_json::from_str::<AuditAction>("\"request.nothing\"").is_err());
    }
}
