//! Small hand-written SVG charts for the dashboard, rendered on the server (no chart library, no CDN): stacked
//! columns per week and horizontal bars. Every text inside is escaped here, which is why the page may insert the
//! result unescaped. Each chart is `role="img"` with a `<title>` and `<desc>` (named by `aria-labelledby`), draws in a
//! fixed `viewBox` that the stylesheet scales, uses presentation attributes only (the pages allow no inline style),
//! and says so in words when there is nothing to draw.

use std::fmt::Write as _;

/// Width of a chart that spans the page.
pub const FULL: f64 = 720.0;
/// Width of a chart in one of two columns.
pub const HALF: f64 = 440.0;
const TEXT: &str = "#5E6C84";
const GRID: &str = "#DFE1E6";

/// One stacked series of a column chart.
pub struct Series<'a> {
    /// Legend and tooltip name.
    pub label: &'a str,
    /// Fill colour (`#RRGGBB`).
    pub colour: &'a str,
    /// One value per column.
    pub values: Vec<f64>,
}

/// One bar of a horizontal bar chart.
pub struct Bar<'a> {
    /// Name on the left.
    pub label: &'a str,
    /// Length.
    pub value: f64,
    /// What is written after the bar (`3 requests`, `5.2 h`).
    pub text: String,
}

/// What every chart needs to be named, and its width.
pub struct Chart<'a> {
    /// Width in CSS pixels ([`FULL`] or [`HALF`]); the stylesheet shrinks it to fit.
    pub width: f64,
    /// Element id prefix, unique on the page (`[a-z0-9-]`).
    pub id: &'a str,
    /// Short name (the SVG `<title>`).
    pub title: &'a str,
    /// The figures in a sentence (the SVG `<desc>`).
    pub desc: &'a str,
    /// Shown instead of the chart when there is nothing to draw.
    pub empty: &'a str,
}

/// Escape text for SVG/HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let Ok(escaped) = askama::filters::escape(s, askama::filters::Html);
    escaped.to_string()
}

fn open(chart: &Chart<'_>, height: f64) -> String {
    let id = esc(chart.id);
    let width = chart.width;
    format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        esc(chart.title),
        esc(chart.desc)
    )
}

/// The "nothing here" chart: the same name, a sentence instead of bars.
fn empty(chart: &Chart<'_>) -> String {
    let mut s = open(chart, 72.0);
    let _ = write!(
        s,
        "<rect x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"71\" rx=\"3\" fill=\"#FAFBFC\" stroke=\"{GRID}\"/>\
         <text x=\"{}\" y=\"41\" text-anchor=\"middle\" font-size=\"14\" fill=\"{TEXT}\">{}</text></svg>",
        chart.width - 1.0,
        chart.width / 2.0,
        esc(chart.empty)
    );
    s
}

/// A round upper bound for an axis and its step: 1, 2 or 5 times a power of ten, at most five steps.
fn axis(max: f64) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, 1.0);
    }
    let rough = max / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power);
    let step = if max <= 5.0 { step.max(1.0) } else { step };
    ((max / step).ceil() * step, step)
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        super::model::thousands(v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Stacked columns `plot_h` high, one per label (`labels[i]` under column `i`; `tips[i]` names it in tooltips), with
/// a legend when there is more than one series.
pub fn columns(
    chart: &Chart<'_>,
    plot_h: f64,
    labels: &[String],
    tips: &[String],
    series: &[Series<'_>],
) -> String {
    let n = labels.len();
    let totals: Vec<f64> = (0..n)
        .map(|i| series.iter().filter_map(|s| s.values.get(i)).sum())
        .collect();
    let max = totals.iter().copied().fold(0.0, f64::max);
    if n == 0 || max <= 0.0 {
        return empty(chart);
    }
    let legend = series.len() > 1;
    let (left, right, top) = (48.0, 8.0, 12.0);
    let bottom = top + plot_h;
    let height = bottom + if legend { 60.0 } else { 32.0 };
    let (top_value, step) = axis(max);
    let slot = (chart.width - left - right) / n as f64;
    let bar = (slot * 0.7).max(1.0);
    let mut s = open(chart, height);
    let mut tick = 0.0;
    while tick <= top_value + step / 2.0 {
        let y = bottom - tick / top_value * plot_h;
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{GRID}\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"{TEXT}\">{}</text>",
            chart.width - right,
            left - 6.0,
            y + 4.0,
            esc(&number(tick))
        );
        tick += step;
    }
    let every = n.div_ceil(13).max(1);
    for (i, label) in labels.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = bottom;
        for sr in series {
            let v = sr.values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let h = v / top_value * plot_h;
            y -= h;
            let tip = tips.get(i).unwrap_or(label);
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{}\">\
                 <title>{}: {} {}</title></rect>",
                esc(sr.colour),
                esc(tip),
                esc(&number(v)),
                esc(&sr.label.to_lowercase())
            );
        }
        if (n - 1 - i).is_multiple_of(every) {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{TEXT}\">{}</text>",
                x + bar / 2.0,
                bottom + 16.0,
                esc(label)
            );
        }
    }
    if legend {
        let mut x = left;
        let y = bottom + 40.0;
        for sr in series {
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" rx=\"2\" fill=\"{}\"/>\
                 <text x=\"{:.1}\" y=\"{y:.1}\" font-size=\"12\" fill=\"#172B4D\">{}</text>",
                y - 9.0,
                esc(sr.colour),
                x + 14.0,
                esc(sr.label)
            );
            x += 14.0 + 7.0 * sr.label.chars().count() as f64 + 20.0;
        }
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one per row, the value written after each bar.
pub fn bars(chart: &Chart<'_>, colour: &str, rows: &[Bar<'_>]) -> String {
    if rows.is_empty() {
        return empty(chart);
    }
    let label_w = (chart.width * 0.28).clamp(120.0, 200.0);
    let value_w = (chart.width * 0.17).clamp(90.0, 120.0);
    let (row_h, top) = (28.0, 8.0);
    let height = top * 2.0 + row_h * rows.len() as f64;
    let max = rows.iter().map(|r| r.value).fold(0.0, f64::max);
    let span = chart.width - label_w - value_w;
    let mut s = open(chart, height);
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let w = if max > 0.0 && r.value > 0.0 {
            (r.value / max * span).max(2.0)
        } else {
            0.0
        };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\" fill=\"#172B4D\">{}</text>\
             <rect x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" rx=\"2\" fill=\"{}\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"{TEXT}\">{}</text>",
            label_w - 8.0,
            y + row_h / 2.0 + 4.0,
            esc(r.label),
            y + 5.0,
            row_h - 10.0,
            esc(colour),
            esc(r.label),
            esc(&r.text),
            label_w + w + 6.0,
            y + row_h / 2.0 + 4.0,
            esc(&r.text)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart<'static> {
        Chart {
            width: FULL,
            id: "c1",
            title: "Requests <per> week",
            desc: "3 \"requests\" & more",
            empty: "No requests in this period",
        }
    }

    #[test]
    fn every_text_is_escaped() {
        assert_eq!(
            esc(r#"<script>alert('x')</script> & "q""#),
            "&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; &#34;q&#34;"
        );
        let evil = "<script>alert(1)</script>";
        let labels = vec![evil.to_owned()];
        let series = [Series {
            label: evil,
            colour: "\"/><script>",
            values: vec![2.0],
        }];
        let svg = columns(&chart(), 180.0, &labels, &labels, &series);
        let bars_svg = bars(
            &chart(),
            "#0065FF",
            &[Bar {
                label: evil,
                value: 1.0,
                text: evil.into(),
            }],
        );
        for s in [&svg, &bars_svg] {
            assert!(!s.contains("<script"), "{s}");
            assert!(
                s.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
                "{s}"
            );
            assert!(s.contains("<title id=\"c1-title\">Requests &#60;per&#62; week</title>"));
            assert!(s.contains("<desc id=\"c1-desc\">3 &#34;requests&#34; &#38; more</desc>"));
            assert!(
                s.contains("role=\"img\"") && s.contains("aria-labelledby=\"c1-title c1-desc\"")
            );
            assert!(!s.contains("style="), "no inline style under the CSP");
            assert!(!s.contains("NaN") && !s.contains("inf"), "{s}");
        }
    }

    #[test]
    fn nothing_to_draw_says_so() {
        let labels: Vec<String> = (1..=4).map(|i| format!("W{i}")).collect();
        let zeros = [Series {
            label: "Delivered",
            colour: "#36B37E",
            values: vec![0.0; 4],
        }];
        for svg in [
            columns(&chart(), 180.0, &labels, &labels, &zeros),
            columns(&chart(), 180.0, &[], &[], &[]),
            bars(&chart(), "#0065FF", &[]),
        ] {
            assert!(svg.contains("No requests in this period"), "{svg}");
            assert!(svg.contains("role=\"img\"") && svg.ends_with("</svg>"));
            assert!(!svg.contains("NaN") && !svg.contains("inf"));
        }
        // Bars that are all zero are drawn empty, without dividing by zero.
        let zero = bars(
            &chart(),
            "#0065FF",
            &[Bar {
                label: "Analyst",
                value: 0.0,
                text: "0 min".into(),
            }],
        );
        assert!(
            zero.contains("width=\"0.0\"") && !zero.contains("NaN"),
            "{zero}"
        );
    }

    #[test]
    fn columns_stack_and_the_axis_is_round() {
        assert_eq!(axis(0.0), (1.0, 1.0));
        assert_eq!(axis(3.0), (3.0, 1.0));
        assert_eq!(axis(7.0), (8.0, 2.0));
        assert_eq!(axis(1234.0), (1500.0, 500.0));
        let labels: Vec<String> = vec!["a".into(), "b".into()];
        let series = [
            Series {
                label: "Delivered",
                colour: "#36B37E",
                values: vec![1.0, 2.0],
            },
            Series {
                label: "Rejected",
                colour: "#FF5630",
                values: vec![1.0, 0.0],
            },
        ];
        let svg = columns(&chart(), 180.0, &labels, &labels, &series);
        assert_eq!(
            svg.matches("<title>").count(),
            3,
            "one rect per non-zero value: {svg}"
        );
        assert!(svg.contains("<title>b: 2 delivered</title>"));
        assert!(svg.contains(">Rejected</text>"), "legend");
    }
}
