//! Tests of the canonical-form check: everything `canonical_json` writes passes (any value, any depth), and each way
//! a text can differ from it is refused with its column.

use proptest::prelude::*;

use super::*;
use crate::store::arb_json::{awkward_details, json_value};

#[test]
fn what_canonical_json_writes_passes() {
    for d in awkward_details() {
        let text = canonical_json(&d);
        assert_eq!(check(&text), Ok(()), "{text}");
    }
    for text in [
        "2.4640395809999998",
        "2.464039581",
        "-0.0",
        "0.0",
        "1.0",
        "1",
        "0",
        "-1",
        "5e-324",
        "1e+300",
        "1.5e-7",
        "\"\\u001f\\n\\\"\\\\\u{7f}\u{2028}😀\"",
        "{\"z\":1,\"é\":2}",
        "{}",
        "[]",
        "[[],{},null,true,false,\"\"]",
    ] {
        assert_eq!(check(text), Ok(()), "{text}");
    }
}

#[test]
fn nesting_has_no_depth_limit() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(check(&text), Ok(()));
}

#[test]
fn every_difference_is_refused_with_its_column() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "expected a JSON value"),
        (" {}", 1, "expected a JSON value"),
        ("{}\n", 3, "text after the end"),
        ("{\"a\": 1}", 6, "expected a JSON value"),
        ("{\"a\":1 }", 7, "expected `,` or `}`"),
        ("[1, 2]", 4, "expected a JSON value"),
        ("{\"a\":1", 7, "expected `,` or `}`"),
        ("{\"a\":1,}", 8, "expected a key"),
        ("[1,]", 4, "expected a JSON value"),
        ("{\"a\"1}", 5, "expected `:`"),
        ("{\"b\":1,\"a\":2}", 8, "ascending order"),
        ("{\"é\":1,\"z\":2}", 8, "ascending order"),
        ("{\"a\":1,\"a\":2}", 8, "repeats the key"),
        ("\"abc", 1, "never ends"),
        ("\"\\u0041\"", 1, "written \"A\""),
        ("\"\\u00e9\"", 1, "written \"é\""),
        ("\"\\/\"", 1, "written \"/\""),
        ("\"\\u001F\"", 1, "written \"\\u001f\""),
        ("\"a\nb\"", 1, "not a valid JSON string"),
        ("\"\\ud800\"", 1, "not a valid JSON string"),
        ("tru", 1, "expected `true`"),
        ("nul", 1, "expected `null`"),
        ("2.46403958099999980", 1, "written 2.4640395809999998"),
        ("1e300", 1, "written 1e+300"),
        ("1E+300", 1, "written 1e+300"),
        ("1.50", 1, "written 1.5"),
        ("1.", 1, "written 1.0"),
        ("01", 1, "written 1"),
        ("-0", 1, "written 0"),
        ("[1,-01]", 4, "written -1"),
        ("18446744073709551616", 1, "not a 64-bit integer"),
        ("-9223372036854775809", 1, "not a 64-bit integer"),
        ("1e999", 1, "beyond the range"),
        ("1.2.3", 1, "not a number"),
        ("{\"ü\":[0.30000000000000004,0.1e1]}", 27, "written 1.0"),
        ("[0.30000000000000005]", 2, "written 0.30000000000000004"),
    ];
    for (text, column, words) in cases {
        let flaw = check(text).expect_err(text);
        assert_eq!(flaw.column, *column, "{text}: {flaw}");
        assert!(flaw.problem.contains(words), "{text}: {flaw}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_value_passes(d in json_value(8)) {
        let text = canonical_json(&d);
        prop_assert_eq!(check(&text), Ok(()), "{}", text);
    }

    /// One character replaced: whatever passes is still one whole JSON value, never a fragment.
    #[test]
    fn a_changed_character_never_passes_as_something_else(
        d in json_value(4),
        at in any::<prop::sample::Index>(),
        c in any::<char>(),
    ) {
        let text = canonical_json(&d);
        let mut chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len());
        prop_assume!(chars[i] != c);
        chars[i] = c;
        let changed: String = chars.into_iter().collect();
        if check(&changed).is_ok() {
            prop_assert!(serde_json::from_str::<serde_json::Value>(&changed).is_ok(), "{}", changed);
        }
    }
}
