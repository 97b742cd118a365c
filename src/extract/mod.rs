//! The extraction engine (issue 5, being built): from an approved plan to an encrypted bundle. So far: the SQL guard
//! that admits exactly one read-only query, and read-only sessions on PostgreSQL, MySQL/MariaDB and SQLite.

pub mod checks;
pub mod ids;
pub mod pii_names;
pub mod pii_values;
pub mod probe;
pub mod source;
pub mod sql_guard;
