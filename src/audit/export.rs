//! Export a tenant's audit events in chain order as CSV (one row per event, detail as JSON text) or JSON lines (one
//! object per event, detail as an object), streaming page by page. Both carry the stored detail text byte for byte
//! (it is never read into numbers and written again), so an export can be checked against the chain with the
//! rule in [`chain`](super::chain).

use std::io::Write;

use anyhow::Context;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::store::{AuditEvent, Store};

/// Export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

const PAGE: i64 = 1000;

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Jsonl(W),
}

/// One JSON line: the event's columns, keys in ascending order, the detail as its stored text.
#[derive(Serialize)]
struct Line<'a> {
    action: &'a str,
    actor: &'a str,
    at: &'a str,
    detail: &'a RawValue,
    hash: &'a str,
    id: &'a str,
    prev_hash: &'a str,
    request_id: Option<&'a str>,
    seq: i64,
    tenant_id: &'a str,
}

impl<'a> Line<'a> {
    fn of(ev: &'a AuditEvent) -> anyhow::Result<Self> {
        let detail = serde_json::from_str(&ev.detail).with_context(|| {
            format!(
                "event #{} has a detail that is not JSON (run `clearance audit verify`); export it as CSV to see it",
                ev.seq
            )
        })?;
        Ok(Self {
            action: &ev.action,
            actor: &ev.actor,
            at: &ev.at,
            detail,
            hash: &ev.hash,
            id: &ev.id,
            prev_hash: &ev.prev_hash,
            request_id: ev.request_id.as_deref(),
            seq: ev.seq,
            tenant_id: &ev.tenant_id,
        })
    }
}

/// Write every event of the tenant to `out`; returns how many.
pub async fn export<W: Write>(
    store: &Store,
    tenant_id: &str,
    format: Format,
    out: W,
) -> anyhow::Result<u64> {
    let mut sink = match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "seq",
                "at",
                "actor",
                "action",
                "request_id",
                "detail",
                "prev_hash",
                "hash",
                "id",
                "tenant_id",
            ])?;
            Sink::Csv(Box::new(w))
        }
        Format::Jsonl => Sink::Jsonl(out),
    };
    let (mut after, mut n) = (0_i64, 0_u64);
    loop {
        let page = store.audit_page(tenant_id, after, PAGE).await?;
        for ev in &page {
            match &mut sink {
                Sink::Csv(w) => w.write_record([
                    ev.seq.to_string().as_str(),
                    &ev.at,
                    &ev.actor,
                    &ev.action,
                    ev.request_id.as_deref().unwrap_or(""),
                    &ev.detail,
                    &ev.prev_hash,
                    &ev.hash,
                    &ev.id,
                    &ev.tenant_id,
                ])?,
                Sink::Jsonl(w) => {
                    serde_json::to_writer(&mut *w, &Line::of(ev)?).context("writing the export")?;
                    w.write_all(b"\n").context("writing the export")?;
                }
            }
            n += 1;
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = last.seq,
            _ => break,
        }
    }
    match sink {
        Sink::Csv(mut w) => w.flush(),
        Sink::Jsonl(mut w) => w.flush(),
    }
    .context("writing the export")?;
    Ok(n)
}
