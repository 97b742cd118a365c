//! Tests of the sandbox (jql).
