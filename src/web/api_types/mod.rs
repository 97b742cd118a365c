//! The JSON answers of the HTTP API as types, one file per area: what the browser code (`static/app/*.js`) and the
//! Forge bundle read. Field names, nesting, `null` against absent and number types are the API; the snapshot tests
//! (`tests/it/panel_snapshots.rs`, `tests/it/admin_snapshots.rs`) show any change to them. Error bodies are
//! `AppError`'s.

pub mod admin;
pub mod age_keys;
pub mod calls;
pub mod panel;
pub mod plan_editor;
pub mod settings;
pub mod slack;

use serde::Serialize;

/// `{"deleted": name, "auditSeq": n}`: something named was removed, with the audit event that says so.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted<'a> {
    pub deleted: &'a str,
    pub audit_seq: i64,
}
