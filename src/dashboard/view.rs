//! The dashboard as the page shows it: figures formatted for people, the charts drawn (by `svg`, text escaped), and
//! the same numbers as table rows. The template escapes every other string.

use chrono::{DateTime, Utc};

use super::{
    EXPIRY_HORIZON_DAYS,
    model::{Dashboard, Outcome, Spread, duration_text, thousands},
    svg::{self, Bar, Chart, FULL, HALF, Series},
    window::iso_label,
};

/// One figure at the top.
pub struct Tile {
    /// The number.
    pub value: String,
    /// What it counts.
    pub label: &'static str,
}

/// One week in the outcomes table.
pub struct WeekLine {
    /// `2026-W48`.
    pub week: String,
    /// Its Monday, `24 Nov 2026`.
    pub monday: String,
    /// By [`Outcome::ALL`].
    pub counts: Vec<u64>,
    /// All requests that week.
    pub total: u64,
    /// Rows delivered that week.
    pub rows: String,
    /// Files attached that week.
    pub files: u64,
}

/// A median and 90th percentile line.
pub struct SpreadLine {
    /// What is measured.
    pub label: &'static str,
    /// What it covers (waiting: the states).
    pub covers: &'static str,
    /// Requests measured.
    pub requests: usize,
    /// Median, readable.
    pub median: String,
    /// 90th percentile, readable.
    pub p90: String,
    /// Sum (waiting only).
    pub total: String,
}

/// A personal-data category line.
pub struct PiiLine {
    /// Category.
    pub label: String,
    /// Requests flagged.
    pub requests: u64,
    /// Columns flagged.
    pub columns: u64,
}

/// A file whose retention ends soon.
pub struct ExpiryLine {
    /// Issue key.
    pub issue_key: String,
    /// Issue summary (escaped by the template).
    pub summary: String,
    /// File name.
    pub file_name: String,
    /// `2026-12-01 14:00 UTC`.
    pub expires: String,
    /// `in 3 days`.
    pub left: String,
}

/// Everything the page shows.
pub struct View {
    /// Weeks in the window.
    pub weeks: u32,
    /// `10 Nov 2025 – 30 Nov 2025`.
    pub period: String,
    /// Headline figures.
    pub tiles: Vec<Tile>,
    /// Outcome names, table header order.
    pub outcomes: Vec<&'static str>,
    /// Requests per week by outcome (SVG, text escaped).
    pub outcomes_svg: String,
    /// The same per week, newest first.
    pub week_lines: Vec<WeekLine>,
    /// Lead times.
    pub lead_lines: Vec<SpreadLine>,
    /// Median waiting per role (SVG).
    pub waiting_svg: String,
    /// Waiting per role.
    pub waiting_lines: Vec<SpreadLine>,
    /// Personal-data categories (SVG).
    pub pii_svg: String,
    /// Personal-data categories.
    pub pii_lines: Vec<PiiLine>,
    /// Requests with a stored scan.
    pub scanned: u64,
    /// Rows delivered per week (SVG).
    pub rows_svg: String,
    /// Files whose retention ends soon.
    pub expiry_lines: Vec<ExpiryLine>,
    /// How far ahead expiries are listed.
    pub horizon_days: i64,
}

fn spread_line(
    label: &'static str,
    covers: &'static str,
    s: Option<&Spread>,
    total: Option<f64>,
) -> SpreadLine {
    let text = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), duration_text);
    SpreadLine {
        label,
        covers,
        requests: s.map_or(0, |s| s.count),
        median: text(s.map(|s| s.median)),
        p90: text(s.map(|s| s.p90)),
        total: text(total.filter(|_| s.is_some())),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        thousands(i64::try_from(n).unwrap_or(i64::MAX)),
        if n == 1 { one } else { many }
    )
}

/// The page's view of `d`.
pub fn view(d: &Dashboard) -> View {
    let w = &d.window;
    let short: Vec<String> = d
        .weeks
        .iter()
        .map(|x| x.monday.format("%-d %b").to_string())
        .collect();
    let tips: Vec<String> = d
        .weeks
        .iter()
        .map(|x| {
            format!(
                "{} (from {})",
                iso_label(x.monday),
                x.monday.format("%-d %b %Y")
            )
        })
        .collect();
    let period = format!(
        "{} – {}",
        w.monday(0).format("%-d %b %Y"),
        w.last_day().format("%-d %b %Y")
    );
    let outcome_desc = {
        let parts: Vec<String> = Outcome::ALL
            .iter()
            .map(|o| format!("{} {}", d.with_outcome(*o), o.label().to_lowercase()))
            .collect();
        format!(
            "{} picked up from {period}: {}.",
            plural(d.requests(), "request", "requests"),
            parts.join(", ")
        )
    };
    let series: Vec<Series<'_>> = Outcome::ALL
        .iter()
        .map(|o| Series {
            label: o.label(),
            colour: o.colour(),
            values: d
                .weeks
                .iter()
                .map(|x| x.outcomes[o.index()] as f64)
                .collect(),
        })
        .collect();
    let outcomes_svg = svg::columns(
        &Chart {
            width: FULL,
            id: "chart-outcomes",
            title: "Requests per week by outcome",
            desc: &outcome_desc,
            empty: "No requests in this period",
        },
        180.0,
        &short,
        &tips,
        &series,
    );

    let waited: Vec<Bar<'_>> = d
        .waiting
        .iter()
        .map(|r| Bar {
            label: r.role.label(),
            value: r.spread.map_or(0.0, |s| s.median),
            text: r.spread.map_or_else(
                || "no requests".to_owned(),
                |s| format!("{} median", duration_text(s.median)),
            ),
        })
        .collect();
    let any_wait = d.waiting.iter().any(|r| r.spread.is_some());
    let waiting_desc = waited
        .iter()
        .map(|b| format!("{}: {}", b.label, b.text))
        .collect::<Vec<_>>()
        .join("; ");
    let waiting_svg = svg::bars(
        &Chart {
            width: FULL,
            id: "chart-waiting",
            title: "Median time per request waiting on each role",
            desc: &waiting_desc,
            empty: "No requests in this period",
        },
        "#0065FF",
        if any_wait { &waited } else { &[] },
    );

    let pii_bars: Vec<Bar<'_>> = d
        .pii
        .iter()
        .map(|p| Bar {
            label: &p.label,
            value: p.requests as f64,
            text: plural(p.requests, "request", "requests"),
        })
        .collect();
    let pii_desc = pii_bars
        .iter()
        .map(|b| format!("{} in {}", b.label, b.text))
        .collect::<Vec<_>>()
        .join(", ");
    let pii_svg = svg::bars(
        &Chart {
            width: HALF,
            id: "chart-pii",
            title: "Personal-data categories flagged",
            desc: &pii_desc,
            empty: "No personal data flagged in this period",
        },
        "#6554C0",
        &pii_bars,
    );

    let rows_desc = format!(
        "{} delivered in {} from {period}.",
        plural(u64::try_from(d.rows()).unwrap_or(0), "row", "rows"),
        plural(d.deliveries(), "file", "files")
    );
    let rows_svg = svg::columns(
        &Chart {
            width: FULL,
            id: "chart-rows",
            title: "Rows delivered per week",
            desc: &rows_desc,
            empty: "No files delivered in this period",
        },
        120.0,
        &short,
        &tips,
        &[Series {
            label: "Rows",
            colour: "#0065FF",
            values: d.weeks.iter().map(|x| x.rows as f64).collect(),
        }],
    );

    let to_delivery = d.lead_times.iter().find(|l| l.key == "to_delivery");
    View {
        weeks: w.weeks(),
        period,
        tiles: vec![
            Tile {
                value: thousands(d.requests() as i64),
                label: "requests picked up",
            },
            Tile {
                value: thousands(d.with_outcome(Outcome::Delivered) as i64),
                label: "delivered",
            },
            Tile {
                value: thousands(d.rows()),
                label: "rows delivered",
            },
            Tile {
                value: to_delivery
                    .and_then(|l| l.spread)
                    .map_or_else(|| "—".to_owned(), |s| duration_text(s.median)),
                label: "median time to delivery",
            },
        ],
        outcomes: Outcome::ALL.iter().map(|o| o.label()).collect(),
        outcomes_svg,
        week_lines: d
            .weeks
            .iter()
            .rev()
            .map(|x| WeekLine {
                week: iso_label(x.monday),
                monday: x.monday.format("%-d %b %Y").to_string(),
                counts: x.outcomes.to_vec(),
                total: x.requests(),
                rows: thousands(x.rows),
                files: x.deliveries,
            })
            .collect(),
        lead_lines: d
            .lead_times
            .iter()
            .map(|l| spread_line(l.label, "", l.spread.as_ref(), None))
            .collect(),
        waiting_svg,
        waiting_lines: d
            .waiting
            .iter()
            .map(|r| {
                spread_line(
                    r.role.label(),
                    r.role.covers(),
                    r.spread.as_ref(),
                    Some(r.total_hours),
                )
            })
            .collect(),
        pii_svg,
        pii_lines: d
            .pii
            .iter()
            .map(|p| PiiLine {
                label: p.label.clone(),
                requests: p.requests,
                columns: p.columns,
            })
            .collect(),
        scanned: d.scanned,
        rows_svg,
        expiry_lines: d
            .expiries
            .iter()
            .map(|e| ExpiryLine {
                issue_key: e.issue_key.clone(),
                summary: e.summary.clone(),
                file_name: e.file_name.clone(),
                expires: e.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                left: time_left(e.expires_at, w.now()),
            })
            .collect(),
        horizon_days: EXPIRY_HORIZON_DAYS,
    }
}

/// `in 3 days`, `in 5 hours`, `due now` (the sweep removes it shortly).
fn time_left(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let hours = (at - now).num_hours();
    if at <= now {
        "due now".into()
    } else if hours < 1 {
        "within the hour".into()
    } else if hours < 48 {
        format!("in {}", plural(hours.unsigned_abs(), "hour", "hours"))
    } else {
        format!("in {}", plural((hours / 24).unsigned_abs(), "day", "days"))
    }
}
