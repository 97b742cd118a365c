//! What Atlassian publishes, as code both Clearance and its simulator use: Connect JWTs and the query string hash,
//! the Jira REST operations Clearance calls with the scopes each needs, Jira's refusal texts, and ADF documents.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adf;
pub mod alg;
mod error;
pub mod jwt;
pub mod operations;
pub mod qsh;
pub mod refusal;
pub mod scopes;

pub use error::TokenError;
