//! Walk a tenant's chain from the first event and name the first one that does not check out: a changed field, a
//! detail that is not the canonical JSON Clearance writes, a missing or reordered event, or an end that no longer
//! matches the chain head. Each hash is recomputed from the stored columns as they are (the detail as its stored
//! text, never read back into numbers), by the same function that computed it on append.

use std::fmt;

use super::{canonical, pages};
use crate::store::{
    Result, Store,
    audit_chain::{self as chain, GENESIS},
};

/// Events read per query.
const PAGE: i64 = 1000;

/// The result of checking one tenant's chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Tenant id.
    pub tenant_id: String,
    /// Events that checked out before the first problem (all of them if none).
    pub verified: i64,
    /// The first problem, if any.
    pub broken: Option<Broken>,
}

/// The first event where the chain breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// Its position in the chain.
    pub seq: i64,
    /// The stored event's id, when there is one at that position.
    pub event_id: Option<String>,
    /// What is wrong, for people.
    pub problem: String,
}

impl Report {
    /// True when the whole chain checks out.
    pub fn ok(&self) -> bool {
        self.broken.is_none()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.broken {
            None => write!(f, "ok: {} events verified", self.verified),
            Some(b) => write!(
                f,
                "BROKEN at event #{}{}: {} ({} events before it verified)",
                b.seq,
                b.event_id
                    .as_deref()
                    .map(|id| format!(" (id {id})"))
                    .unwrap_or_default(),
                b.problem,
                self.verified
            ),
        }
    }
}

/// Check a tenant's whole chain.
pub async fn verify(store: &Store, tenant_id: &str) -> Result<Report> {
    let mut prev = GENESIS.to_owned();
    let mut expected = 1_i64;
    let report = |verified: i64, broken: Option<Broken>| Report {
        tenant_id: tenant_id.to_owned(),
        verified,
        broken,
    };
    loop {
        let page = pages::read(store, tenant_id, expected - 1, PAGE).await?;
        for stored in page.events {
            let seq = stored.as_ref().map_or_else(|u| u.seq, |ev| ev.seq);
            if seq != expected {
                let problem =
                    format!("event #{expected} is missing; the next stored event is #{seq}");
                return Ok(report(
                    expected - 1,
                    Some(Broken {
                        seq: expected,
                        event_id: None,
                        problem,
                    }),
                ));
            }
            let ev = match stored {
                Ok(ev) => ev,
                Err(u) => {
                    let broken = Broken {
                        seq,
                        event_id: Some(u.id),
                        problem: u.problem,
                    };
                    return Ok(report(expected - 1, Some(broken)));
                }
            };
            let at = |problem: String| {
                Some(Broken {
                    seq: expected,
                    event_id: Some(ev.id.clone()),
                    problem,
                })
            };
            if ev.prev_hash != prev {
                let problem = format!(
                    "does not link to event #{} (its previous-hash differs)",
                    expected - 1
                );
                return Ok(report(expected - 1, at(problem)));
            }
            if chain::hash(&prev, &ev.link()) != ev.hash {
                let problem =
                    "its content was changed after it was written (hash mismatch)".to_owned();
                return Ok(report(expected - 1, at(problem)));
            }
            // The hash matches, so whoever wrote this detail also computed its hash. Clearance writes only canonical
            // JSON; anything else was written outside it (and could be read more than one way).
            if let Err(flaw) = canonical::check(&ev.detail) {
                let problem = format!(
                    "its detail was changed after it was written: it is not the canonical JSON Clearance writes \
                     ({flaw})"
                );
                return Ok(report(expected - 1, at(problem)));
            }
            prev = ev.hash;
            expected += 1;
        }
        if page.last {
            break;
        }
    }
    let last = expected - 1;
    let head = store.audit_head(tenant_id).await?;
    let problem = match head {
        None if last == 0 => None,
        None => Some((last, "the chain head is missing".to_owned())),
        Some((seq, _)) if seq > last => Some((
            last + 1,
            format!(
                "events #{} to #{seq} were removed from the end of the chain",
                last + 1
            ),
        )),
        Some((seq, _)) if seq < last => Some((
            seq + 1,
            format!("events after #{seq} were added outside Clearance"),
        )),
        Some((_, hash)) if hash != prev => Some((
            last,
            "the newest event does not match the chain head".to_owned(),
        )),
        Some(_) => None,
    };
    Ok(match problem {
        None => report(last, None),
        Some((seq, problem)) => report(
            last.min(seq - 1),
            Some(Broken {
                seq,
                event_id: None,
                problem,
            }),
        ),
    })
}
