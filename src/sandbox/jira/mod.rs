//! Jira Cloud simulator.
