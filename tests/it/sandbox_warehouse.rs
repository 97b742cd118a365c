//! Tests of the sandbox (warehouse).
