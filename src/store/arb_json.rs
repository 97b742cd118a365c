//! Test strategies: arbitrary JSON details (floats of every kind, extreme integers, any Unicode, nesting, empty
//! containers, long strings) and the awkward details that tripped the first verifier.

use proptest::prelude::*;
use serde_json::{Value, json};

/// Floats that need all 17 digits, sums that are not what they look like, the ends of the range, both zeros.
pub const AWKWARD_FLOATS: [f64; 10] = [
    2.4640395809999998,
    0.1 + 0.2,
    1e300,
    -0.0,
    0.0,
    5e-324,
    f64::MAX,
    f64::MIN_POSITIVE,
    1e16,
    -1.5e-7,
];

/// Any JSON value, up to `depth` levels of arrays and objects.
pub fn json_value(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Every kind of f64 (NaN and infinities become null, as in any detail).
        any::<f64>().prop_map(Value::from),
        prop::sample::select(AWKWARD_FLOATS.to_vec()).prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        Just(Value::from(i64::MIN)),
        any::<String>().prop_map(Value::from),
        "[\u{0}-\u{1f}\"\\\\\u{7f}\u{2028}\u{2029}😀𝄞é]{0,8}".prop_map(Value::from),
        (0_usize..5000).prop_map(|n| Value::from("ü".repeat(n))),
    ];
    leaf.prop_recursive(depth, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The details of the integration test: the float issue 15 saw, range ends, escapes, astral characters, 101 levels.
pub fn awkward_details() -> Vec<Value> {
    let mut deep = json!({"leaf": 2.4640395809999998});
    for i in 0..100 {
        deep = if i % 2 == 0 {
            json!([deep, i])
        } else {
            json!({"n": deep})
        };
    }
    vec![
        json!({"rows": 1400, "stream": 2.4640395809999998}),
        json!({"sum": 0.1 + 0.2, "big": 1e300, "neg_zero": -0.0, "u64_max": u64::MAX, "i64_min": i64::MIN,
               "tiny": 5e-324, "one": 1.0, "e16": 1e16, "e_minus7": 1.5e-7, "f64_max": f64::MAX}),
        json!({"s": "é\u{2028}\u{2029}😀𝄞\u{0}\u{1f}\u{7f}\"\\/", "key \"q\"\n\t\\": [], "": {}, "ü": "x",
               "Z": "upper sorts before lower", "a": [[], {}, null, true, false, ""]}),
        deep,
        json!([1, "top-level array", {"b": 1, "a": 2}]),
        Value::Null,
    ]
}
