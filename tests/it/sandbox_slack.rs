//! Tests of the sandbox (slack).
