//! Export a tenant's audit events in chain order as CSV (one row per event, detail as JSON text) or JSON lines (one
//! object per event, detail as an object), streaming page by page.

use std::io::Write;

use anyhow::Context;
use serde_json::json;

use crate::store::Store;

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
                    let line = json!({
                        "seq": ev.seq, "at": ev.at, "actor": ev.actor, "action": ev.action,
                        "request_id": ev.request_id, "detail": ev.detail_value()?, "prev_hash": ev.prev_hash,
                        "hash": ev.hash, "id": ev.id, "tenant_id": ev.tenant_id,
                    });
                    serde_json::to_writer(&mut *w, &line).context("writing the export")?;
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
