//! Demo warehouse: a deterministic generator of realistic data with personal information.
