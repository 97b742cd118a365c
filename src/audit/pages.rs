//! Read a tenant's chain a page at a time for verification, including what SQLite allows and PostgreSQL does not: a
//! TEXT column changed to bytes that are not UTF-8. Such an event cannot be read into an [`AuditEvent`]; it is
//! located by its position, so the verifier names it instead of failing on the whole chain.

use crate::store::{AuditEvent, Result, Store, StoreError};

/// An event whose stored columns could not be read as text.
#[derive(Clone, Debug)]
pub struct Unreadable {
    /// Its position in the chain.
    pub seq: i64,
    /// Its id.
    pub id: String,
    /// What could not be read.
    pub problem: String,
}

/// Events in chain order after a position; an unreadable one ends the page.
pub struct Page {
    /// The events read, in order.
    pub events: Vec<std::result::Result<AuditEvent, Unreadable>>,
    /// True when no events follow.
    pub last: bool,
}

/// Up to `limit` events of the tenant after position `after`.
pub async fn read(store: &Store, tenant_id: &str, after: i64, limit: i64) -> Result<Page> {
    match store.audit_page(tenant_id, after, limit).await {
        Ok(events) => Ok(Page {
            last: (events.len() as i64) < limit,
            events: events.into_iter().map(Ok).collect(),
        }),
        Err(e) if undecodable(&e).is_some() => one_by_one(store, tenant_id, after).await,
        Err(e) => Err(e),
    }
}

/// The events after `after` one at a time, up to and including the first that cannot be read.
async fn one_by_one(store: &Store, tenant_id: &str, mut after: i64) -> Result<Page> {
    let mut events = Vec::new();
    loop {
        match store.audit_page(tenant_id, after, 1).await {
            Ok(mut one) => match one.pop() {
                Some(ev) => {
                    after = ev.seq;
                    events.push(Ok(ev));
                }
                None => return Ok(Page { events, last: true }),
            },
            Err(e) => {
                let (Some(problem), Some((seq, id))) = (
                    undecodable(&e),
                    store.audit_position_after(tenant_id, after).await?,
                ) else {
                    return Err(e);
                };
                events.push(Err(Unreadable { seq, id, problem }));
                return Ok(Page {
                    events,
                    last: false,
                });
            }
        }
    }
}

/// What could not be decoded, when that is why a read failed.
fn undecodable(e: &StoreError) -> Option<String> {
    match e {
        StoreError::Query {
            source: sqlx::Error::ColumnDecode { index, source },
            ..
        } => Some(format!(
            "its {index} column holds bytes that are not UTF-8 text ({source}): it was changed outside Clearance"
        )),
        _ => None,
    }
}
