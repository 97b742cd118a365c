//! The typed core every layer speaks: where a request is, where a delivery is, and what an audit event records —
//! each an enum with its stored name and one `parse`, so no state or action name is spelled anywhere else.

pub mod audit_action;
pub mod delivery_state;
pub mod state;

pub use audit_action::AuditAction;
pub use delivery_state::DeliveryState;
pub use state::State;
