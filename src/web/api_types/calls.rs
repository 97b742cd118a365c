//! The answers of routes that machines call: health checks, Forge's own calls, the dashboard's content for Forge's
//! page, and a file wrapped as JSON for Forge's `invokeRemote`.

use serde::Serialize;

/// `GET /healthz`, and `GET /readyz` when the database is not ready (with the reason).
#[derive(Serialize)]
pub struct Health<'a> {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

/// A Forge product event: whether it was new (a retry is a duplicate).
#[derive(Serialize)]
pub struct Accepted {
    pub accepted: bool,
}

/// A Forge lifecycle event: the tenant it concerns.
#[derive(Serialize)]
pub struct LifecycleSeen<'a> {
    pub tenant: &'a str,
}

/// Forge's hourly schedule: whether a reconciliation was queued.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scheduled {
    pub reconcile_queued: bool,
}

/// Forge's pre-uninstall call.
#[derive(Serialize)]
pub struct Uninstalled {
    pub uninstalled: bool,
}

/// `GET /api/dashboard`: the dashboard's content, rendered.
#[derive(Serialize)]
pub struct DashboardContent {
    pub weeks: u32,
    pub html: String,
}

/// A file as JSON, for callers that take JSON answers only.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WrappedFile<'a> {
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub content: String,
}
