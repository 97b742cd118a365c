//! The dashboard's numbers as one CSV file (RFC 4180, UTF-8, header row), long format so every row is one fact:
//! `section,week,item,measure,value`.
//!
//! - `window`: measures `weeks`, `from`, `to` (dates, UTC) and `generated_at` (RFC 3339).
//! - `requests_per_week`: week = its Monday (`2026-11-23`), item = outcome (`delivered`, `expired`, `open`, `failed`,
//!   `rejected`, `cancelled`), measure `requests`.
//! - `rows_delivered`: week, measures `rows` (sum of rows) and `files` (files attached that week).
//! - `lead_time`: item `to_approval` or `to_delivery`, measures `requests`, `median_hours`, `p90_hours`.
//! - `waiting`: item `analyst`, `privacy_officer`, `clearance` or `requester_slack`, measures `requests`,
//!   `median_hours`, `p90_hours`, `total_hours`.
//! - `pii`: item = category (`email`, `free_text`…), measures `requests` and `columns`.
//! - `expiries`: week = Monday of the expiry's week, item = file name, measures `issue` (key) and `expires_at`.
//!
//! Every week of the window has its rows (zeros included); medians and percentiles are left out when no request
//! got there. Hours have two decimals.

use std::io::Write;

use chrono::SecondsFormat;

use super::{
    model::{Dashboard, Outcome, Spread},
    window::Window,
};

/// The download's file name.
pub const FILE_NAME: &str = "clearance-dashboard.csv";

/// Write `d` as CSV to `out`.
pub fn write<W: Write>(d: &Dashboard, out: W) -> Result<(), ::csv::Error> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(["section", "week", "item", "measure", "value"])?;
    let mut row = |section: &str, week: &str, item: &str, measure: &str, value: String| {
        w.write_record([section, week, &safe(item), measure, &safe(&value)])
    };
    let win: &Window = &d.window;
    row("window", "", "", "weeks", win.weeks().to_string())?;
    row("window", "", "", "from", win.monday(0).to_string())?;
    row("window", "", "", "to", win.last_day().to_string())?;
    row(
        "window",
        "",
        "",
        "generated_at",
        win.now().to_rfc3339_opts(SecondsFormat::Secs, true),
    )?;
    for week in &d.weeks {
        let monday = week.monday.to_string();
        for o in Outcome::ALL {
            row(
                "requests_per_week",
                &monday,
                o.key(),
                "requests",
                week.outcomes[o.index()].to_string(),
            )?;
        }
    }
    for week in &d.weeks {
        let monday = week.monday.to_string();
        row("rows_delivered", &monday, "", "rows", week.rows.to_string())?;
        row(
            "rows_delivered",
            &monday,
            "",
            "files",
            week.deliveries.to_string(),
        )?;
    }
    for l in &d.lead_times {
        spread(&mut row, "lead_time", l.key, l.spread.as_ref())?;
    }
    for r in &d.waiting {
        spread(&mut row, "waiting", r.role.key(), r.spread.as_ref())?;
        row(
            "waiting",
            "",
            r.role.key(),
            "total_hours",
            hours(r.total_hours),
        )?;
    }
    for p in &d.pii {
        row("pii", "", &p.key, "requests", p.requests.to_string())?;
        row("pii", "", &p.key, "columns", p.columns.to_string())?;
    }
    for e in &d.expiries {
        let date = e.expires_at.date_naive();
        let monday = date
            - chrono::Duration::days(i64::from(
                chrono::Datelike::weekday(&date).num_days_from_monday(),
            ));
        let monday = monday.to_string();
        row(
            "expiries",
            &monday,
            &e.file_name,
            "issue",
            e.issue_key.clone(),
        )?;
        row(
            "expiries",
            &monday,
            &e.file_name,
            "expires_at",
            e.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        )?;
    }
    w.flush()?;
    Ok(())
}

fn spread<E>(
    row: &mut impl FnMut(&str, &str, &str, &str, String) -> Result<(), E>,
    section: &str,
    item: &str,
    s: Option<&Spread>,
) -> Result<(), E> {
    row(
        section,
        "",
        item,
        "requests",
        s.map_or(0, |s| s.count).to_string(),
    )?;
    if let Some(s) = s {
        row(section, "", item, "median_hours", hours(s.median))?;
        row(section, "", item, "p90_hours", hours(s.p90))?;
    }
    Ok(())
}

fn hours(h: f64) -> String {
    format!("{h:.2}")
}

/// A value a spreadsheet would not run as a formula (values here are numbers, dates, keys and file names Clearance
/// made, but a leading `=`, `+`, `-`, `@`, TAB or CR is neutralised all the same, by the rule delivered CSVs follow).
fn safe(v: &str) -> String {
    if crate::extract::csv_out::formula_like(v) {
        format!("'{v}")
    } else {
        v.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::dashboard::stats::{Inputs, compute};

    #[test]
    fn every_week_and_outcome_has_a_row() {
        let now = Utc
            .with_ymd_and_hms(2025, 11, 26, 12, 0, 0)
            .single()
            .unwrap();
        let d = compute(
            Window::ending(now, 2),
            &Inputs {
                requests: &[],
                events: &[],
                deliveries: &[],
                expiring: &[],
            },
        );
        let mut out = Vec::new();
        write(&d, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "section,week,item,measure,value");
        assert!(lines.contains(&"window,,,weeks,2"));
        assert!(lines.contains(&"window,,,from,2025-11-17"));
        assert!(lines.contains(&"window,,,to,2025-11-30"));
        assert!(lines.contains(&"requests_per_week,2025-11-17,delivered,requests,0"));
        assert!(lines.contains(&"requests_per_week,2025-11-24,cancelled,requests,0"));
        assert!(lines.contains(&"rows_delivered,2025-11-24,,rows,0"));
        assert!(lines.contains(&"lead_time,,to_delivery,requests,0"));
        assert!(!text.contains("median_hours"), "no medians without data");
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("requests_per_week,"))
                .count(),
            12
        );
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(safe("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(safe("@x"), "'@x");
        assert_eq!(safe("-3.5"), "-3.5");
        assert_eq!(safe("-x"), "'-x");
        assert_eq!(safe("DATA-1"), "DATA-1");
        assert_eq!(safe("\t=1+1"), "'\t=1+1");
        assert_eq!(safe("\r=1+1"), "'\r=1+1");
    }
}
