//! The sandbox: a faithful simulator of the parts of Jira Cloud, Atlassian's install-key server and Slack that
//! Clearance uses, and a demo warehouse with synthetic personal data. Used by `clearance demo` and the end-to-end
//! tests; never mounted by `clearance serve`.

pub mod jira;
pub mod slack;
pub mod warehouse;
