//! Canonical JSON and SHA-256: the one way Clearance turns structured data into a digest (audit chain links,
//! approval digests of extraction plans).

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Compact JSON with object keys sorted (recursively), independent of how the value was built or which
/// `serde_json` features are enabled; strings and numbers are written by `serde_json`.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_string(k));
                out.push(':');
                write(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::String(s) => out.push_str(&json_string(s)),
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A string as JSON: quoted, with `"`, `\` and control characters escaped the way `serde_json` does (everything else,
/// U+2028 and astral characters included, is written as it is).
pub fn json_string(s: &str) -> String {
    // A `str` always serialises.
    serde_json::to_string(s).unwrap_or_default()
}

/// Lower-case hex SHA-256 of `parts` joined by newlines, after a domain tag that names what is hashed (so a digest of
/// one kind can never be mistaken for another).
pub fn sha256_hex(domain: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(domain.as_bytes());
    for p in parts {
        h.update(b"\n");
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_are_sorted_at_every_level() {
        let a = json!({"b": 1, "a": {"z": [3, {"y": null, "x": "é\"\n"}], "c": true}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"c":true,"z":[3,{"x":"é\"\n","y":null}]},"b":1}"#
        );
        let reparsed: Value = serde_json::from_str(&canonical_json(&a)).expect("valid JSON");
        assert_eq!(canonical_json(&reparsed), canonical_json(&a));
    }

    #[test]
    fn domain_and_parts_separate_digests() {
        let d = sha256_hex("x", &["ab", "c"]);
        assert_eq!(d.len(), 64);
        assert_ne!(d, sha256_hex("x", &["a", "bc"]));
        assert_ne!(d, sha256_hex("y", &["ab", "c"]));
        assert_eq!(d, sha256_hex("x", &["ab", "c"]));
    }
}
