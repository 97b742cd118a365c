//! The extraction engine (issue 5, being built): from an approved plan to an encrypted bundle. So far: the SQL guard
//! that admits exactly one read-only query, and read-only sessions on PostgreSQL, MySQL/MariaDB and SQLite.

pub mod assemble;
pub mod bind;
pub mod bundle;
pub mod cell;
pub mod checks;
pub mod command;
pub mod csv_out;
pub mod decode;
pub mod ids;
pub mod mask;
pub mod pii_names;
pub mod pii_values;
pub mod pipeline;
pub mod protect;
pub mod source;
pub mod sql_guard;
pub mod xlsx_out;

/// Deflate level for CSV bundles: measured in docs/PERFORMANCE.md (level 1 is much faster and a little larger).
pub const DEFAULT_DEFLATE_LEVEL: i64 = 6;
