//! The deny-list's data: per dialect, the functions with effects outside a query's result, each group with what it
//! does. Documented, entry by entry, in docs/SQL_SIDE_EFFECTS.md (a test keeps the two in step).

use super::Dialect;

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
