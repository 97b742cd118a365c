//! The tamper-evident audit log. Every state change and data access appends an event in the same transaction as the
//! change ([`crate::store::Tx::append_audit`]); events are hash-chained per tenant ([`chain`]), checked by
//! `clearance audit verify` ([`verify`]) and exported as CSV or JSON lines ([`export`]).

pub mod chain;
pub mod export;
pub mod verify;
