//! The app descriptor: `atlassian-connect.json` at the repository root is the template; it is served with the
//! configured base URL and app key filled in (structurally, on the parsed JSON, not by text substitution).

use axum::{Json, extract::State};
use serde_json::Value;

use super::Connect;
use crate::error::AppError;

const TEMPLATE: &str = include_str!("../../../atlassian-connect.json");

/// The descriptor for an app at `base_url` (no trailing slash) with key `app_key`.
pub fn render(base_url: &str, app_key: &str) -> Result<Value, serde_json::Error> {
    let mut doc: Value = serde_json::from_str(TEMPLATE)?;
    fill(&mut doc, base_url, app_key);
    Ok(doc)
}

/// Replace the `{{baseUrl}}` and `{{appKey}}` tokens inside string values.
fn fill(v: &mut Value, base_url: &str, app_key: &str) {
    match v {
        Value::String(s) if s.contains("{{") => {
            *s = s
                .replace("{{baseUrl}}", base_url)
                .replace("{{appKey}}", app_key)
        }
        Value::Array(items) => items.iter_mut().for_each(|i| fill(i, base_url, app_key)),
        Value::Object(map) => map.values_mut().for_each(|i| fill(i, base_url, app_key)),
        _ => {}
    }
}

/// `GET /atlassian-connect.json`.
pub(super) async fn serve(State(connect): State<Connect>) -> Result<Json<Value>, AppError> {
    let doc = render(&connect.inner.base_url, &connect.inner.app_key).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "descriptor template is not valid JSON: {e}"
        ))
    })?;
    Ok(Json(doc))
}

#[cfg(test)]
mod tests {
    #[test]
    fn template_parses_and_fills() {
        let d = super::render("https://c.example.com", "k").unwrap();
        assert_eq!(d["baseUrl"], "https://c.example.com");
        assert_eq!(d["key"], "k");
        assert!(!d.to_string().contains("{{"));
    }
}
