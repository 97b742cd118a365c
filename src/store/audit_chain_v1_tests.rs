//! The splicing hash is the rule `clearance-audit-v1` as it was first written, bit for bit: chains appended before
//! the change keep verifying. Golden hashes from the first implementation (commit dd98730), and a property test
//! against a verbatim copy of it over arbitrary details.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::{
    model::AuditAction,
    store::arb_json::{awkward_details, json_value},
};

/// `chain::hash` as first written: the detail as a value, the whole event object through `canonical_json`.
#[allow(clippy::too_many_arguments)]
fn first_rule(
    prev: &str,
    t: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    req: Option<&str>,
    d: &Value,
) -> String {
    let content = json!({
        "tenant_id": t, "seq": seq, "at": at, "actor": actor, "action": action, "request_id": req, "detail": d,
    });
    sha256_hex("clearance-audit-v1", &[prev, &canonical_json(&content)])
}

/// Printed by the first implementation for [`awkward_details`] chained from GENESIS with the links below.
const GOLDEN: [&str; 6] = [
    "bcfac6779d7a06816fa38cbc6f1fa391e5caed35622587c866dc198a8baefff7",
    "9bf945e6a7b6f1823cbf7535bd5f45563ff8bb82c59bb85ba8fe2f08f7b5f31f",
    "2997f0bba1715d19af6e5ac5c1f5963cad8cf564bf2d5e0395ea9659056fde36",
    "bb8947a9fa389011c7366f3c54cd8f978dce0ec6b1f203f8036c0292e75e3643",
    "08a3348051f4534f10dd066d603015a55fb8a0dd8dd1996c5c3b050b7d4877cf",
    "a467fc277bc4e7dd49b4704546dc5c03523417faff2c0df15a04f5ca16879832",
];

#[test]
fn hashes_of_the_first_implementation_are_reproduced() {
    let mut prev = GENESIS.to_owned();
    for (i, (d, golden)) in awkward_details().iter().zip(GOLDEN).enumerate() {
        let stored = canonical_json(d);
        let link = Link {
            tenant_id: "tenant-\u{2028}😀",
            seq: i as i64 + 1,
            at: "2026-11-22T10:00:00.000000Z",
            actor: "557058:a\"b",
            action: AuditAction::RequestExtracted.as_str(),
            request_id: (i % 2 == 0).then_some("req-1"),
            detail: &stored,
        };
        assert_eq!(hash(&prev, &link), golden, "event {}", i + 1);
        prev = golden.to_owned();
    }
    assert_eq!(
        canonical_json(&awkward_details()[1]),
        r#"{"big":1e+300,"e16":1e+16,"e_minus7":1.5e-7,"f64_max":1.7976931348623157e+308,"i64_min":-9223372036854775808,"neg_zero":-0.0,"one":1.0,"sum":0.30000000000000004,"tiny":5e-324,"u64_max":18446744073709551615}"#
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn splicing_the_stored_text_is_the_first_rule(
        d in json_value(6),
        (t, at, actor, action) in (any::<String>(), any::<String>(), any::<String>(), any::<String>()),
        req in proptest::option::of(any::<String>()),
        seq in any::<i64>(),
    ) {
        let stored = canonical_json(&d);
        let link = Link { tenant_id: &t, seq, at: &at, actor: &actor, action: &action, request_id: req.as_deref(),
            detail: &stored };
        prop_assert_eq!(hash(GENESIS, &link), first_rule(GENESIS, &t, seq, &at, &actor, &action, req.as_deref(), &d));
    }
}
