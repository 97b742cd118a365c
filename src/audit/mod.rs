//! The tamper-evident audit log. Every state change and data access appends an event in the same transaction as the
//! change ([`crate::store::Tx::append_audit`]); events are hash-chained per tenant ([`audit_chain`](crate::store::audit_chain)), checked by
//! `clearance audit verify` ([`verify`](crate::audit::verify), which also requires every stored detail to be the
//! canonical JSON Clearance writes, [`canonical`](crate::audit::canonical)) and exported as CSV or JSON lines
//! ([`export`](crate::audit::export)). What an event records is an [`AuditAction`].

pub mod canonical;
pub mod export;
pub mod pages;
pub mod verify;

pub use crate::model::{AuditAction, audit_action as action};
