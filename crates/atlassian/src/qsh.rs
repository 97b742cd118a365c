//! Query string hash (`qsh`): the canonical-request rules Atlassian Connect signs, computed from the raw request target.
//!
//! `qsh = hex(sha256(METHOD "&" CANONICAL_URI "&" CANONICAL_QUERY))`. The rules follow the Java implementation that Jira
//! runs (`HttpRequestCanonicalizer`): the path as sent on the wire minus the context path, parameters sorted by their
//! percent-encoded names, repeated values sorted by their decoded form, RFC 3986 encoding, and the `jwt` parameter dropped.
//! See shared/reference/connect-protocol.md §3.3 and the 79 interop vectors in the tests.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// The literal `qsh` claim carried by context tokens from `AP.context.getToken()`.
pub const CONTEXT_QSH: &str = "context-qsh";

/// RFC 3986: everything except `A-Z a-z 0-9 - . _ ~` is percent-encoded (upper-case hex).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The canonical request string for `method`, a raw (still percent-encoded) `path` and a raw `query` (without `?`).
///
/// `context_path` is the path part of the base URL the request was made against (the app's base URL for inbound
/// requests, the tenant's base URL for outbound ones, such as `/wiki`); it is stripped when the path starts with it.
pub fn canonical_request(method: &str, path: &str, query: &str, context_path: &str) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        canonical_uri(path, context_path),
        canonical_query(query)
    )
}

/// `qsh` of a request, as lower-case hex.
pub fn query_string_hash(method: &str, path: &str, query: &str, context_path: &str) -> String {
    hash_canonical(&canonical_request(method, path, query, context_path))
}

/// SHA-256 of a canonical request string, as lower-case hex.
pub fn hash_canonical(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

fn canonical_uri(path: &str, context_path: &str) -> String {
    let context = context_path.trim_end_matches('/');
    let relative = if !context.is_empty()
        && path.starts_with(context)
        && is_segment_boundary(path, context.len())
    {
        &path[context.len()..]
    } else {
        path
    };
    let mut uri = if relative.is_empty() {
        "/".to_owned()
    } else {
        relative.to_owned()
    };
    if uri.len() > 1 && uri.ends_with('/') {
        uri.pop();
    }
    let uri = uri.replace('&', "%26");
    if uri.starts_with('/') {
        uri
    } else {
        format!("/{uri}")
    }
}

/// True when `path[at..]` starts a new segment (or is the end), so `/base` does not strip `/baseball`.
fn is_segment_boundary(path: &str, at: usize) -> bool {
    matches!(path.as_bytes().get(at), None | Some(b'/'))
}

fn canonical_query(query: &str) -> String {
    // name (percent-encoded, the sort key) -> decoded values
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name == "jwt" {
            continue;
        }
        params
            .entry(encode(&name))
            .or_default()
            .push(value.into_owned());
    }
    params
        .into_iter()
        .map(|(name, mut values)| {
            values.sort();
            let joined: Vec<String> = values.iter().map(|v| encode(v)).collect();
            format!("{name}={}", joined.join(","))
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_path_and_query() {
        assert_eq!(canonical_request("get", "", "", ""), "GET&/&");
        assert_eq!(canonical_request("GET", "/", "", ""), "GET&/&");
    }

    #[test]
    fn one_trailing_slash_removed() {
        assert_eq!(canonical_request("GET", "/a//", "", ""), "GET&/a/&");
        assert_eq!(canonical_request("GET", "/path/", "", ""), "GET&/path&");
    }

    #[test]
    fn context_path_is_stripped_only_on_segment_boundary() {
        assert_eq!(
            canonical_request("GET", "/wiki/rest/api/space", "", "/wiki"),
            "GET&/rest/api/space&"
        );
        assert_eq!(
            canonical_request("GET", "/wikipedia", "", "/wiki"),
            "GET&/wikipedia&"
        );
        assert_eq!(canonical_request("GET", "/wiki/", "", "/wiki/"), "GET&/&");
    }

    #[test]
    fn tricky_cases_from_reference() {
        // shared/reference/connect-protocol.md §5.4
        assert_eq!(
            canonical_request("GET", "/t", "b=2&a=1&a=0&a=10", ""),
            "GET&/t&a=0,1,10&b=2"
        );
        assert_eq!(
            canonical_request("GET", "/t", "flag&empty=", ""),
            "GET&/t&empty=&flag="
        );
        assert_eq!(
            canonical_request("GET", "/a&b", "x=y", ""),
            "GET&/a%26b&x=y"
        );
        assert_eq!(
            canonical_request("GET", "/t", "a%5B%5D=1", ""),
            "GET&/t&a%5B%5D=1"
        );
        assert_eq!(
            canonical_request("GET", "/t", "v=%7B&v=a", ""),
            "GET&/t&v=a,%7B"
        );
        assert_eq!(
            canonical_request("GET", "/t", "%7B=1&a=2", ""),
            "GET&/t&%7B=1&a=2"
        );
        assert_eq!(
            query_string_hash("GET", "/t", "star=*&tilde=~&tilde2=%7E", ""),
            "75a7ae7cee84b0dd45eec05fd44a55d6130c5fe70cfeeb3835fc191a71f9329d"
        );
        assert_eq!(
            query_string_hash("POST", "/rest/api/3/issue/ABC-1/attachments", "", ""),
            "bd8140d2e4f9c68d4ef2a045c65426034c90f72931739e1994955af164dd3e12"
        );
        assert_eq!(
            query_string_hash("GET", "/issue/ABC%2F1/space%20here", "", ""),
            "595cf1324d9c0aa5f9f4e31f28552081caa8f01dbc7e3a91514f271b27a747a3"
        );
    }
}
