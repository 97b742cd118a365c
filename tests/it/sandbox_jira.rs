//! Tests of the sandbox (jira).
