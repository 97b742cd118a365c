//! The deny-list: functions and constructs that act outside the query's result (read server files, sleep, take
//! locks, signal other sessions, call other servers, change settings that outlive the query…), refused per dialect
//! wherever they appear in the statement, with their name and position.
//!
//! This is one of three layers, and the only one that sees the SQL: the read-only transaction stops writes, and the
//! data source's connection test (`probe`) refuses production accounts holding FILE, SUPER, superuser or the server
//! file/program/signal roles. A deny-list cannot know user-defined functions (a function you wrote that writes a
//! file passes it); see docs/SQL_SIDE_EFFECTS.md.

use std::ops::ControlFlow;

use sqlparser::{
    ast::{
        BinaryOperator, Expr, FunctionArguments, ObjectName, ObjectNamePart, Spanned, Statement,
        TableFactor, Visit, Visitor,
    },
    tokenizer::Span,
};

use super::sql_guard::{Dialect, Rejected};

/// Names with one effect. A name ending in `*` matches every name that starts with the rest; one ending in `(…)`
/// matches only a call with arguments. Names are compared case-insensitively with the last part of the called name
/// (`pg_catalog."PG_READ_FILE"` is `pg_read_file`).
pub struct Rule {
    /// The function names.
    pub names: &'static [&'static str],
    /// What calling them does, completing "it …".
    pub does: &'static str,
}

const fn rule(names: &'static [&'static str], does: &'static str) -> Rule {
    Rule { names, does }
}

/// PostgreSQL.
pub const POSTGRES: &[Rule] = &[
    rule(
        &[
            "pg_read_file",
            "pg_read_binary_file",
            "pg_read_file_old",
            "pg_stat_file",
            "pg_ls_*",
            "pg_current_logfile",
            "pg_file_*",
            "pg_logdir_ls",
        ],
        "reads, lists or writes files on the database server",
    ),
    rule(
        &[
            "lo_import",
            "lo_export",
            "lo_get",
            "lo_put",
            "lo_from_bytea",
            "lo_open",
            "lo_close",
            "lo_creat",
            "lo_create",
            "lo_unlink",
            "lo_truncate",
            "lo_truncate64",
            "lo_lseek",
            "lo_lseek64",
            "lo_tell",
            "lo_tell64",
            "loread",
            "lowrite",
        ],
        "reads or writes large objects, or server files through them",
    ),
    rule(
        &["dblink*", "postgres_fdw_*"],
        "connects to another database server",
    ),
    rule(
        &[
            "pg_cancel_backend",
            "pg_terminate_backend",
            "pg_reload_conf",
            "pg_rotate_logfile",
            "pg_rotate_logfile_old",
            "pg_promote",
            "pg_switch_wal",
            "pg_create_restore_point",
            "pg_log_backend_memory_contexts",
            "pg_backup_start",
            "pg_backup_stop",
            "pg_start_backup",
            "pg_stop_backup",
            "pg_wal_replay_*",
            "pg_stat_reset*",
            "pg_import_system_collations",
            "binary_upgrade_*",
        ],
        "signals other sessions or changes the server's state",
    ),
    rule(
        &["pg_advisory_*", "pg_try_advisory_*"],
        "takes or releases an advisory lock other sessions wait on",
    ),
    rule(
        &["set_config"],
        "changes a setting, which can outlive the query",
    ),
    rule(
        &["pg_sleep*"],
        "holds the connection without reading anything",
    ),
    rule(
        &["nextval", "setval"],
        "advances or sets a sequence (a write)",
    ),
    rule(&["pg_notify"], "sends a notification to other sessions"),
    rule(
        &["pg_logical_emit_message"],
        "writes a message into the write-ahead log",
    ),
    rule(
        &[
            "query_to_xml*",
            "cursor_to_xml*",
            "table_to_xml*",
            "schema_to_xml*",
            "database_to_xml*",
            "ts_stat",
            "ts_rewrite",
        ],
        "runs SQL given as a string, or reads whole tables by name, where the guard cannot see it",
    ),
    rule(
        &["txid_current", "pg_current_xact_id", "pg_export_snapshot"],
        "assigns a transaction id or exports a snapshot other sessions can use",
    ),
    rule(
        &[
            "pg_create_physical_replication_slot",
            "pg_create_logical_replication_slot",
            "pg_drop_replication_slot",
            "pg_copy_physical_replication_slot",
            "pg_copy_logical_replication_slot",
            "pg_replication_slot_advance",
            "pg_logical_slot_*",
            "pg_replication_origin_*",
            "pg_sync_replication_slots",
        ],
        "creates, drops or consumes a replication slot or origin",
    ),
];

/// MySQL and MariaDB.
pub const MYSQL: &[Rule] = &[
    rule(&["load_file"], "reads a file on the database server"),
    rule(
        &["sleep", "benchmark"],
        "holds the connection (or burns the server's CPU) without reading anything",
    ),
    rule(
        &[
            "get_lock",
            "release_lock",
            "release_all_locks",
            "is_free_lock",
            "is_used_lock",
        ],
        "takes, releases or inspects a named lock other sessions wait on",
    ),
    rule(
        &[
            "master_pos_wait",
            "source_pos_wait",
            "master_gtid_wait",
            "wait_for_executed_gtid_set",
            "wait_until_sql_thread_after_gtids",
        ],
        "waits on replication",
    ),
    rule(
        &["last_insert_id(…)"],
        "sets the value LAST_INSERT_ID() returns for the rest of the session",
    ),
    rule(
        &["nextval", "setval"],
        "advances or sets a sequence (a write)",
    ),
    rule(
        &["sys_exec", "sys_eval", "sys_get", "sys_set", "sys_bineval"],
        "runs a program or changes the environment on the database server (lib_mysqludf_sys)",
    ),
];

/// SQLite (the functions of the `sqlite3` shell and common extensions; Clearance loads none of them).
pub const SQLITE: &[Rule] = &[
    rule(
        &["load_extension"],
        "loads native code into the database engine",
    ),
    rule(
        &["readfile", "writefile", "fsdir", "edit"],
        "reads, lists or writes files, or starts an editor",
    ),
    rule(
        &[
            "zipfile",
            "zipfile_cds",
            "sqlar_compress",
            "sqlar_uncompress",
        ],
        "reads zip archives from files, or builds archives",
    ),
    rule(
        &["fts3_tokenizer"],
        "registers a tokenizer by native pointer",
    ),
    rule(
        &["eval", "sha3_query"],
        "runs SQL given as a string, where the guard cannot see it",
    ),
];

/// The rules of a dialect.
pub fn rules(dialect: Dialect) -> &'static [Rule] {
    match dialect {
        Dialect::Postgres => POSTGRES,
        Dialect::MySql => MYSQL,
        Dialect::Sqlite => SQLITE,
    }
}

/// Refuse `statement` if it calls a denied function or assigns a variable, anywhere: select list, WHERE, joins,
/// table functions in FROM, subqueries, CTEs, ORDER BY, window clauses.
pub fn check(statement: &Statement, dialect: Dialect) -> Result<(), Rejected> {
    match statement.visit(&mut Deny { dialect }) {
        ControlFlow::Break(r) => Err(r),
        ControlFlow::Continue(()) => Ok(()),
    }
}

struct Deny {
    dialect: Dialect,
}

fn refuse(message: String, span: Span) -> ControlFlow<Rejected> {
    ControlFlow::Break(Rejected {
        message,
        at: (span.start.line > 0).then_some((span.start.line, span.start.column)),
    })
}

/// The last part of a called name, as the engine may read it: lower case; for a PostgreSQL quoted name also with
/// its `\XXXX` escapes decoded (`U&"pg_read_\0066ile"` is `pg_read_file`, and sqlparser reads it as the quoted name
/// after `U &`).
fn candidates(name: &ObjectName, dialect: Dialect) -> Vec<String> {
    let last = match name.0.last() {
        Some(ObjectNamePart::Identifier(i)) => i,
        Some(ObjectNamePart::Function(f)) => &f.name,
        None => return Vec::new(),
    };
    let mut out = vec![last.value.to_lowercase()];
    if dialect == Dialect::Postgres
        && last.quote_style == Some('"')
        && let Some(decoded) = unicode_unescaped(&last.value)
    {
        out.push(decoded.to_lowercase());
    }
    out
}

/// A PostgreSQL `U&"…"` body with its default escapes (`\XXXX`, `\+XXXXXX`, `\\`) decoded; `None` if it has none or
/// an escape is invalid (PostgreSQL refuses those itself).
fn unicode_unescaped(s: &str) -> Option<String> {
    if !s.contains('\\') {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let (digits, skip) = if let Some(r) = rest.strip_prefix('\\') {
            out.push('\\');
            rest = r;
            continue;
        } else if let Some(r) = rest.strip_prefix('+') {
            (r.get(..6)?, 7)
        } else {
            (rest.get(..4)?, 4)
        };
        out.push(char::from_u32(u32::from_str_radix(digits, 16).ok()?)?);
        rest = &rest[skip..];
    }
    out.push_str(rest);
    Some(out)
}

/// The rule `name` falls under, if any.
fn denied(dialect: Dialect, name: &str, has_args: bool) -> Option<&'static Rule> {
    rules(dialect).iter().find(|r| {
        r.names.iter().any(|pattern| {
            if let Some(prefix) = pattern.strip_suffix('*') {
                name.starts_with(prefix)
            } else if let Some(exact) = pattern.strip_suffix("(…)") {
                has_args && name == exact
            } else {
                name == *pattern
            }
        })
    })
}

fn has_arguments(args: &FunctionArguments) -> bool {
    match args {
        FunctionArguments::None => false,
        FunctionArguments::Subquery(_) => true,
        FunctionArguments::List(l) => !l.args.is_empty(),
    }
}

impl Deny {
    fn call(&self, name: &ObjectName, has_args: bool, span: Span) -> ControlFlow<Rejected> {
        let hit = candidates(name, self.dialect)
            .iter()
            .find_map(|n| denied(self.dialect, n, has_args));
        match hit {
            Some(rule) => refuse(
                format!(
                    "found {name}: it {}, which acts outside the query's result; remove it (an extraction may only \
                     read rows)",
                    rule.does
                ),
                span,
            ),
            None => ControlFlow::Continue(()),
        }
    }
}

impl Visitor for Deny {
    type Break = Rejected;

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<Rejected> {
        match e {
            Expr::Function(f) => self.call(&f.name, has_arguments(&f.args), e.span()),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Assignment,
                ..
            } => refuse(
                format!(
                    "found {left} := …: it assigns a variable that the rest of the session sees, which acts \
                     outside the query's result; remove the assignment and compute the value in the query"
                ),
                e.span(),
            ),
            _ => ControlFlow::Continue(()),
        }
    }

    /// Table functions in FROM. SQLite's take their arguments from WHERE too (`FROM fsdir WHERE name = '/'`), so
    /// there every table name is checked.
    fn pre_visit_table_factor(&mut self, t: &TableFactor) -> ControlFlow<Rejected> {
        match t {
            TableFactor::Table { name, args, .. }
                if args.is_some() || self.dialect == Dialect::Sqlite =>
            {
                let has_args = args.as_ref().is_some_and(|a| !a.args.is_empty());
                self.call(name, has_args, name.span())
            }
            TableFactor::Function { name, args, .. } => {
                self.call(name, !args.is_empty(), name.span())
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
#[path = "sql_deny_tests.rs"]
mod tests;
