//! The hostile queries of the SQL guard agreement test (tests/it/guard_agreement.rs): `SELECT <fragment> AS c1, …
//! FROM t` and variants, whose fragments put quotes, backslashes, comment openers, parameters and Unicode where a
//! reader's idea of where a token ends decides what the query returns.

use std::fmt::Write as _;

use proptest::prelude::*;

/// Pieces of text that mean different things to different readers, put raw (unescaped) inside literals, comments
/// and identifiers, so that where a token ends depends on who reads it.
fn piece() -> impl Strategy<Value = &'static str> {
    let common = vec![
        "'",
        "''",
        "\\",
        "\\'",
        "\\\\",
        "\\\\'",
        "\"",
        "\"\"",
        "\\\"",
        "`",
        "[",
        "]",
        "$$",
        "$a$",
        "$1$",
        "$é$",
        "$\u{2014}$",
        "--",
        "-- ",
        "--\u{3000}",
        "#",
        "/*",
        "*/",
        "/*!",
        "/*M!",
        "/*+",
        ", email AS leak, ",
        "' AS c8, email AS leak, '",
        " FROM t -- ",
        " FOR UPDATE -- ",
        "\n",
        "\r",
        " ",
        "\t",
        "x",
        "0041",
        "!0041",
        "\\+000041",
        "é",
        "e\u{301}",
        "\u{2028}",
        "\u{a0}",
        "\u{3000}",
        "\u{1F600}",
    ];
    // Control characters are refused outright; a few cases are enough to show it.
    let benign = vec!["x", " ", "é", "AS", ",", "email", "\u{2028}"];
    prop_oneof![
        400 => prop::sample::select(common),
        400 => prop::sample::select(benign),
        1 => Just("\u{0}"),
        1 => Just("\u{b}"),
    ]
}

fn content() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..5).prop_map(|v| v.concat())
}

/// Harmless text for the attack shapes.
fn filler() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["x", " ", "é", "--", "#"]), 0..3)
        .prop_map(|v| v.concat())
}

/// The shapes of the attacks in issue 15: one item to a reader that takes backslash escapes (or doubled quotes) one
/// way, two items with a hidden column to a reader that takes them the other way.
fn attack() -> impl Strategy<Value = String> {
    let shapes = prop::sample::select(vec![
        ("'", "\\", "'"),
        ("'", "\\'", "'"),
        ("'", "\\\\", "'"),
        ("E'", "\\", "'"),
        ("E'", "\\'", "'"),
        ("\"", "\\\"", "\""),
        ("`", "\\`", "`"),
        ("'", "\\''", "'"),
    ]);
    (shapes, filler(), filler()).prop_map(|((open, escape, close), a, b)| {
        format!("{open}{a}{escape}{close} AS d, {open}{b} , email AS c9 -- {close}")
    })
}

/// One expression: a literal of some kind around hostile content, or a plain one with a comment beside it.
fn expr() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => attack(),
        4 => content().prop_map(|c| format!("'{c}'")),
        2 => content().prop_map(|c| format!("E'{c}'")),
        1 => content().prop_map(|c| format!("e'{c}'")),
        2 => content().prop_map(|c| format!("U&'{c}'")),
        1 => content().prop_map(|c| format!("U&'{c}' UESCAPE '!'")),
        2 => content().prop_map(|c| format!("$${c}$$")),
        2 => content().prop_map(|c| format!("$tag${c}$tag$")),
        1 => content().prop_map(|c| format!("X'{c}'")),
        1 => content().prop_map(|c| format!("N'{c}'")),
        2 => content().prop_map(|c| format!("\"{c}\"")),
        2 => content().prop_map(|c| format!("`{c}`")),
        1 => content().prop_map(|c| format!("[{c}]")),
        1 => (content(), content()).prop_map(|(a, b)| format!("'{a}' || '{b}'")),
        1 => (content(), content()).prop_map(|(a, b)| format!("'{a}'\n'{b}'")),
        1 => content().prop_map(|c| format!("/* {c} */ 1")),
        1 => content().prop_map(|c| format!("/*{c}/* {c} */ 2 */ 3")),
        1 => content().prop_map(|c| format!("4 /* {c}")),
        1 => content().prop_map(|c| format!("5 -- {c}\n")),
        1 => content().prop_map(|c| format!("6 --{c}\n")),
        1 => content().prop_map(|c| format!("7 #{c}\n")),
        1 => content().prop_map(|c| format!("B'{c}'")),
        1 => content().prop_map(|c| format!("_utf8mb4'{c}'")),
        1 => Just("1 /*!, email AS leak */".to_owned()),
        1 => Just("1 /*!99999 , email AS leak */".to_owned()),
        1 => Just("1 /*M!, email AS leak */".to_owned()),
        1 => content().prop_map(|c| format!("/*+ {c} */ 1")),
        1 => content().prop_map(|c| format!("$x{c}")),
        1 => content().prop_map(|c| format!(":x{c}")),
        1 => content().prop_map(|c| format!("@x{c}")),
        1 => content().prop_map(|c| format!("?{c}")),
        1 => Just("email".to_owned()),
        1 => Just("id".to_owned()),
    ]
}

/// How an item is named: no alias, or an alias quoted one of several ways (some only mean something on one engine).
#[derive(Clone, Copy, Debug)]
enum Alias {
    None,
    Plain,
    Upper,
    Double,
    Back,
    Bracket,
    Single,
}

fn alias() -> impl Strategy<Value = Alias> {
    prop_oneof![
        1 => Just(Alias::None),
        8 => Just(Alias::Plain),
        1 => Just(Alias::Upper),
        1 => Just(Alias::Double),
        1 => Just(Alias::Back),
        1 => Just(Alias::Bracket),
        1 => Just(Alias::Single),
    ]
}

/// Between items: a comma, maybe with a comment of either kind around it.
fn separator() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(", ".to_owned()),
        1 => Just(",".to_owned()),
        1 => Just(",\n".to_owned()),
        1 => content().prop_map(|c| format!(" /* {c} */, ")),
        1 => content().prop_map(|c| format!(", -- {c}\n")),
        1 => content().prop_map(|c| format!(" --{c}\n, ")),
        1 => content().prop_map(|c| format!(" #{c}\n, ")),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    Plain,
    Where,
    With,
    Derived,
    Scalar,
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        4 => Just(Shape::Plain),
        1 => Just(Shape::Where),
        1 => Just(Shape::With),
        1 => Just(Shape::Derived),
        1 => Just(Shape::Scalar),
    ]
}

#[derive(Clone, Debug)]
pub(crate) struct Case {
    items: Vec<(String, Alias, String)>,
    shape: Shape,
    extra: String,
    tail: String,
}

pub(crate) fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((expr(), alias(), separator()), 1..4),
        shape(),
        expr(),
        prop_oneof![
            4 => Just(String::new()),
            1 => content().prop_map(|c| format!(" -- {c}")),
            1 => content().prop_map(|c| format!(" /* {c} */")),
            1 => Just(";".to_owned()),
        ],
    )
        .prop_map(|(items, shape, extra, tail)| Case {
            items,
            shape,
            extra,
            tail,
        })
}

impl Case {
    pub(crate) fn sql(&self) -> String {
        let mut list = String::new();
        let n = self.items.len();
        for (i, (e, alias, sep)) in self.items.iter().enumerate() {
            let k = i + 1;
            let _ = match alias {
                Alias::None => write!(list, "{e}"),
                Alias::Plain => write!(list, "{e} AS c{k}"),
                Alias::Upper => write!(list, "{e} AS C{k}"),
                Alias::Double => write!(list, "{e} AS \"c{k}\""),
                Alias::Back => write!(list, "{e} AS `c{k}`"),
                Alias::Bracket => write!(list, "{e} AS [c{k}]"),
                Alias::Single => write!(list, "{e} AS 'c{k}'"),
            };
            if k < n {
                list.push_str(sep);
            }
        }
        let body = match self.shape {
            Shape::Plain => format!("SELECT {list} FROM t"),
            Shape::Where => format!("SELECT {list} FROM t WHERE {} IS NOT NULL", self.extra),
            Shape::With => format!(
                "WITH w AS (SELECT {} AS k, email FROM t) SELECT {list} FROM w",
                self.extra
            ),
            Shape::Derived => format!(
                "SELECT {list} FROM (SELECT {} AS k, email FROM t) AS s",
                self.extra
            ),
            Shape::Scalar => format!(
                "SELECT {list}, (SELECT {} FROM t LIMIT 1) AS z FROM t",
                self.extra
            ),
        };
        format!("{body}{}", self.tail)
    }
}
