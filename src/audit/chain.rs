//! The arithmetic of the audit chain: what an event's hash covers.
//!
//! `hash = SHA-256("clearance-audit-v1" \n prev_hash \n canonical_json({tenant_id, seq, at, actor, action,
//! request_id, detail}))`. The first event of a tenant links to [`GENESIS`]. Editing any field, removing an event or
//! swapping two changes a hash that a later link or the chain head no longer matches.

use serde_json::{Value, json};

use crate::digest::{canonical_json, sha256_hex};

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
    /// Facts of the event (digest, reason, row counts, file hashes…).
    pub detail: &'a Value,
}

/// The hash of `link` chained to `prev_hash`.
pub fn hash(prev_hash: &str, link: &Link<'_>) -> String {
    let content = json!({
        "tenant_id": link.tenant_id,
        "seq": link.seq,
        "at": link.at,
        "actor": link.actor,
        "action": link.action,
        "request_id": link.request_id,
        "detail": link.detail,
    });
    sha256_hex(
        "clearance-audit-v1",
        &[prev_hash, &canonical_json(&content)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(detail: &Value) -> Link<'_> {
        Link {
            tenant_id: "t",
            seq: 1,
            at: "2026-11-22T10:00:00.000000Z",
            actor: "acc-1",
            action: "request.claimed",
            request_id: Some("r"),
            detail,
        }
    }

    #[test]
    fn every_field_counts() {
        let d = json!({"reason": "x"});
        let base = hash(GENESIS, &link(&d));
        assert_eq!(base, hash(GENESIS, &link(&d)));
        let other = json!({"reason": "y"});
        let variants = [
            hash(&"1".repeat(64), &link(&d)),
            hash(GENESIS, &Link { seq: 2, ..link(&d) }),
            hash(
                GENESIS,
                &Link {
                    tenant_id: "u",
                    ..link(&d)
                },
            ),
            hash(
                GENESIS,
                &Link {
                    at: "2026-11-22T10:00:00.000001Z",
                    ..link(&d)
                },
            ),
            hash(
                GENESIS,
                &Link {
                    actor: "acc-2",
                    ..link(&d)
                },
            ),
            hash(
                GENESIS,
                &Link {
                    action: "request.approved",
                    ..link(&d)
                },
            ),
            hash(
                GENESIS,
                &Link {
                    request_id: None,
                    ..link(&d)
                },
            ),
            hash(GENESIS, &link(&other)),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
    }
}
