//! The extraction engine: from an approved plan to an encrypted bundle. The SQL guard admits exactly one read-only
//! query; sessions are read-only on PostgreSQL, MySQL/MariaDB and SQLite; ID lists are bound as one parameter;
//! rows stream from the cursor through masking into CSV or XLSX inside an age- or AES-encrypted zip with a manifest.
//! The PII scan (names and values) and the data-source connection test live here too.
#![forbid(unsafe_code)]

pub mod assemble;
pub mod bind;
pub mod bundle;
pub mod cell;
pub mod checks;
mod choices;
pub mod csv_out;
pub mod decode;
pub mod encode;
pub mod environment;
pub mod full_scan;
pub mod hosts;
pub mod ids;
pub mod mask;
pub mod national_ids;
pub mod pg_binary;
pub mod pg_copy;
pub mod pii_dates;
pub mod pii_names;
pub mod pii_values;
pub mod pipeline;
pub mod preview;
pub mod probe;
pub mod protect;
pub mod read;
pub mod scan_worker;
pub mod source;
pub mod source_policy;
pub mod source_settings;
pub mod sql_columns;
pub mod sql_deny;
pub mod sql_guard;
mod sql_lexer;
mod sql_roundtrip;
mod sql_tokens;
pub mod sqlite_read;
pub mod xlsx_out;

pub use choices::{Format, Masking};

/// Deflate level for CSV bundles. Compression is the slowest stage of a CSV extraction and runs on its own core;
/// at level 1 it keeps pace with reading (1 M rows in about a second), each level above costs more time than it saves
/// bytes (level 2: +30 % time, -25 % size; level 6: twice the time, -34 %). Measured in docs/PERFORMANCE.md;
/// `clearance extract --level` trades time for size.
pub const DEFAULT_DEFLATE_LEVEL: i64 = 1;

/// Deflate level inside XLSX workbooks: they are compressed in one go after the last row, on the critical path, and
/// level 3 saves a fifth of the time of level 6 for 7 % more bytes (docs/PERFORMANCE.md).
pub const XLSX_DEFLATE_LEVEL: u8 = 3;
