//! File answers (the audit export, the dashboard CSV): an attachment for a browser that fetches it directly
//! (Connect), or, when the caller asks with `Accept: application/json`, the same file wrapped as
//! `{fileName, contentType, content}` — Forge's `invokeRemote` carries JSON answers only, up to 5 MB.

use super::api_types::calls::WrappedFile;
use crate::error::{AppError, Result};
use axum::{
    Json,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};

/// Largest file sent wrapped in JSON (Forge's `invokeRemote` answers stop at 5 MB; escaping adds a little).
pub const MAX_WRAPPED: usize = 4_500_000;

/// Whether the caller wants files wrapped in JSON.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().starts_with("application/json"))
}

/// The answer for a file `name` of type `mime` (text) with `body`.
pub fn file(headers: &HeaderMap, name: &str, mime: &str, body: Vec<u8>) -> Result<Response> {
    if wants_json(headers) {
        if body.len() > MAX_WRAPPED {
            return Err(AppError::Unprocessable(format!(
                "the file is {:.1} MB, over the 5 MB Jira lets the app send to this page; export it on the server \
                 instead (`clearance audit export`)",
                body.len() as f64 / 1e6
            )));
        }
        let content = String::from_utf8(body)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{name} is not text: {e}")))?;
        return Ok(Json(WrappedFile {
            file_name: name,
            content_type: mime,
            content,
        })
        .into_response());
    }
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn a_browser_gets_an_attachment_and_forge_gets_json() {
        let plain = file(&HeaderMap::new(), "a.csv", "text/csv", b"x,y\n".to_vec()).unwrap();
        assert_eq!(
            plain.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"a.csv\""
        );
        for v in ["application/json", "text/html, application/json;q=0.9"] {
            let wrapped = file(&accept(v), "a.csv", "text/csv", b"x,y\n".to_vec()).unwrap();
            assert_eq!(
                wrapped.headers()[header::CONTENT_TYPE],
                "application/json",
                "{v}"
            );
        }
    }

    #[test]
    fn too_big_for_forge_is_refused_in_words() {
        let big = vec![b'a'; MAX_WRAPPED + 1];
        let err = file(&accept("application/json"), "a.csv", "text/csv", big).unwrap_err();
        assert!(err.to_string().contains("clearance audit export"), "{err}");
    }
}
