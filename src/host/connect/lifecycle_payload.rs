//! The body of a Connect lifecycle callback, read only after its token is verified: the fields Clearance uses, and
//! the checks that make a well-signed but wrong body a 400 (wrong `eventType`, another app's key, a bad clientKey).

use serde::Deserialize;

use super::{Connect, lifecycle::Event};
use crate::error::AppError;

/// The lifecycle payload fields Clearance uses.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Payload {
    pub key: String,
    pub client_key: String,
    #[serde(default)]
    pub shared_secret: Option<String>,
    pub base_url: String,
    #[serde(default)]
    pub display_url: Option<String>,
    #[serde(default)]
    pub product_type: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub event_type: String,
}

impl Connect {
    /// Parse and check a lifecycle body sent to the `event` callback.
    pub(super) fn parse_payload(&self, body: &[u8], event: Event) -> Result<Payload, AppError> {
        let event = event.as_str();
        let p: Payload = serde_json::from_slice(body).map_err(|e| {
            AppError::BadRequest(format!(
                "lifecycle body is not a valid {event} payload: {e}"
            ))
        })?;
        if p.event_type != event {
            return Err(AppError::BadRequest(format!(
                "eventType {:?} sent to the {event} callback",
                p.event_type
            )));
        }
        if p.key != self.inner.app_key {
            return Err(AppError::BadRequest(format!(
                "payload is for app key {:?}, this is {:?}",
                p.key, self.inner.app_key
            )));
        }
        if p.client_key.is_empty() || p.client_key.len() > 256 {
            return Err(AppError::BadRequest(
                "clientKey must be 1-256 characters".into(),
            ));
        }
        if p.client_key
            .starts_with(crate::host::forge::CLIENT_KEY_PREFIX)
        {
            return Err(AppError::BadRequest(format!(
                "clientKey may not start with {:?} (reserved for Forge installations)",
                crate::host::forge::CLIENT_KEY_PREFIX
            )));
        }
        Ok(p)
    }
}
