//! The arithmetic of the audit chain: what an event's hash covers, computed the same way when an event is appended
//! and when it is verified.
//!
//! Rule `clearance-audit-v1`: `hash = SHA-256("clearance-audit-v1" \n prev_hash \n content)`, where `content` is
//! [`canonical_json`] of `{tenant_id, seq, at, actor, action, request_id, detail}`. The first event of a tenant links
//! to [`GENESIS`]. Editing any field, removing an event or swapping two changes a hash that a later link or the chain
//! head no longer matches.
//!
//! The `detail` part of `content` is the detail's own canonical JSON, which is exactly the text stored in
//! `audit_events.detail`. So `content` is put together around the stored text as it is, byte for byte, never from the
//! detail read back into numbers and strings (reading `2.4640395809999998` back as a float is how the first verifier
//! raised false alarms, issue 15). A stored detail that is not canonical JSON is refused by the verifier
//! ([`crate::audit::canonical::check`]), so the text spliced in is always one whole JSON value and `content` reads one way only.

use serde_json::Value;

use crate::digest::{canonical_json, json_string, sha256_hex};

/// `prev_hash` of a tenant's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one event that its hash covers.
#[derive(Clone, Copy, Debug)]
pub struct Link<'a> {
    /// Tenant id.
    pub tenant_id: &'a str,
    /// Position in the tenant's chain, from 1.
    pub seq: i64,
    /// RFC 3339 time with microseconds, as stored.
    pub at: &'a str,
    /// Account id of the person, or `jira` / `clearance` for changes nobody made in Clearance.
    pub actor: &'a str,
    /// What happened (`request.approved`, …).
    pub action: &'a str,
    /// The request concerned.
    pub request_id: Option<&'a str>,
    /// Facts of the event (digest, reason, row counts, file hashes…) as canonical JSON text: what
    /// [`canonical_json`] made of them when the event was appended, which is what `audit_events.detail` stores.
    pub detail: &'a str,
}

/// The hash of `link` chained to `prev_hash`.
pub fn hash(prev_hash: &str, link: &Link<'_>) -> String {
    sha256_hex("clearance-audit-v1", &[prev_hash, &content(link)])
}

/// `canonical_json` of the event object: its keys in ascending order, the detail's canonical text spliced in as it is.
fn content(link: &Link<'_>) -> String {
    let request_id = link.request_id.map_or(Value::Null, Value::from);
    format!(
        "{{\"action\":{},\"actor\":{},\"at\":{},\"detail\":{},\"request_id\":{},\"seq\":{},\"tenant_id\":{}}}",
        json_string(link.action),
        json_string(link.actor),
        json_string(link.at),
        link.detail,
        canonical_json(&request_id),
        canonical_json(&Value::from(link.seq)),
        json_string(link.tenant_id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AuditAction;

    fn link(detail: &str) -> Link<'_> {
        Link {
            tenant_id: "t",
            seq: 1,
            at: "2026-11-22T10:00:00.000000Z",
            actor: "acc-1",
            action: AuditAction::RequestClaimed.as_str(),
            request_id: Some("r"),
            detail,
        }
    }

    #[test]
    fn content_is_the_canonical_event_object() {
        assert_eq!(
            content(&link(r#"{"n":2.4640395809999998}"#)),
            [
                r#"{"action":""#,
                AuditAction::RequestClaimed.as_str(),
                r#"","actor":"acc-1","at":"2026-11-22T10:00:00.000000Z","detail":{"n":2.4640395809999998},"request_id":"r","seq":1,"tenant_id":"t"}"#
            ]
            .concat()
        );
    }

    #[test]
    fn every_field_counts() {
        let d = r#"{"reason":"x"}"#;
        let base = hash(GENESIS, &link(d));
        assert_eq!(base, hash(GENESIS, &link(d)));
        let variants = [
            hash(&"1".repeat(64), &link(d)),
            hash(GENESIS, &Link { seq: 2, ..link(d) }),
            hash(
                GENESIS,
                &Link {
                    tenant_id: "u",
                    ..link(d)
                },
            ),
            hash(
                GENESIS,
                &Link {
                    at: "2026-11-22T10:00:00.000001Z",
                    ..link(d)
                },
            ),
            hash(
                GENESIS,
                &Link {
                    actor: "acc-2",
                    ..link(d)
                },
            ),
            hash(
                GENESIS,
                &Link {
                    action: AuditAction::RequestApproved.as_str(),
                    ..link(d)
                },
            ),
            hash(
                GENESIS,
                &Link {
                    request_id: None,
                    ..link(d)
                },
            ),
            hash(GENESIS, &link(r#"{"reason":"y"}"#)),
            // Text the first verifier would have read as the same number.
            hash(GENESIS, &link(r#"{"reason":"x","n":2.4640395809999998}"#)),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
        assert_ne!(
            hash(GENESIS, &link(r#"{"n":2.4640395809999998}"#)),
            hash(GENESIS, &link(r#"{"n":2.464039581}"#))
        );
    }
}

#[cfg(test)]
#[path = "audit_chain_v1_tests.rs"]
mod v1_tests;
