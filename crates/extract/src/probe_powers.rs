//! Powers beyond writing that a production account must not hold, because they reach outside the database or other
//! sessions even inside a read-only transaction: MySQL/MariaDB global FILE, SUPER, PROCESS… and the GRANT OPTION;
//! PostgreSQL role attributes, membership in the server-file/program/signal roles, dblink / adminpack functions it
//! may execute, foreign-data wrappers and servers it may use. (A superuser has all of them and is reported as such.)

use sqlx::PgConnection;

use super::{ProbeError, read_only::parse_grant};

fn failed(e: sqlx::Error) -> ProbeError {
    ProbeError::Failed(format!("checking the account's powers failed: {e}"))
}

/// Global MySQL/MariaDB privileges that act outside the queries, with what each allows.
const GLOBAL_POWERS: &[(&str, &str)] = &[
    (
        "FILE",
        "reads and writes files on the server: LOAD_FILE, INTO OUTFILE",
    ),
    ("SUPER", "changes global settings and ends other sessions"),
    ("PROCESS", "sees every session's running statements"),
    ("SHUTDOWN", "stops the server"),
    ("RELOAD", "flushes logs, caches and privileges"),
    ("CREATE USER", "creates, renames and drops accounts"),
    (
        "REPLICATION SLAVE",
        "streams the binary log: every change to every database",
    ),
];

/// The powers one `SHOW GRANTS` line gives, as `FILE on *.* (reads and writes files …)`: the global privileges
/// above and every `… ADMIN` / `…_ADMIN` one (MariaDB's and MySQL's split-up SUPER), PROXY, and the GRANT OPTION on
/// any level. `ALL PRIVILEGES` is reported as a write already.
pub(super) fn grant_powers(line: &str) -> Vec<String> {
    let Some(grant) = parse_grant(line) else {
        return Vec::new();
    };
    let global = grant.target == "*.*";
    let mut found = Vec::new();
    for p in &grant.privileges {
        let what = GLOBAL_POWERS
            .iter()
            .find(|(name, _)| *name == p)
            .map(|(_, what)| *what)
            .or_else(|| {
                (p.ends_with(" ADMIN") || p.ends_with("_ADMIN"))
                    .then_some("administers part of the server, split from SUPER")
            });
        match what {
            Some(what) if global => found.push(format!("{p} on *.* ({what})")),
            _ if p == "PROXY" => found.push(format!(
                "PROXY on {} (it can act as that account)",
                grant.target
            )),
            _ => {}
        }
    }
    if grant.grant_option {
        found.push(format!(
            "GRANT OPTION on {} (it can give its privileges to other accounts)",
            grant.target
        ));
    }
    found
}

/// Server roles whose members reach outside the database.
const POWER_ROLES: &str = "'pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program', \
                           'pg_signal_backend', 'pg_checkpoint'";

/// Extensions whose functions reach other servers or the server's files.
const POWER_EXTENSIONS: &str = "'dblink', 'adminpack'";

/// What a PostgreSQL role (not a superuser: that is reported already) can do outside its queries.
pub(super) async fn postgres_powers(c: &mut PgConnection) -> Result<Vec<String>, ProbeError> {
    let attrs: Option<(bool, bool, bool, bool)> = sqlx::query_as(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_optional(&mut *c)
    .await
    .map_err(failed)?;
    let Some((superuser, create_role, create_db, replication)) = attrs else {
        return Ok(Vec::new());
    };
    if superuser {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for (has, what) in [
        (
            create_role,
            "CREATEROLE (it can create roles and grant them)",
        ),
        (create_db, "CREATEDB (it can create databases)"),
        (
            replication,
            "REPLICATION (it can stream every change to every database)",
        ),
    ] {
        if has {
            found.push(what.to_owned());
        }
    }
    let roles: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT rolname::text FROM pg_roles WHERE rolname IN ({POWER_ROLES}) \
           AND pg_has_role(current_user, oid, 'MEMBER') ORDER BY 1"
    )))
    .fetch_all(&mut *c)
    .await
    .map_err(failed)?;
    if !roles.is_empty() {
        found.push(format!(
            "member of {} (server files, programs or other sessions)",
            roles.join(", ")
        ));
    }
    let extensions: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT e.extname::text FROM pg_extension e \
         JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid \
          AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e' \
         JOIN pg_proc p ON p.oid = d.objid \
         WHERE e.extname IN ({POWER_EXTENSIONS}) AND has_function_privilege(p.oid, 'EXECUTE') \
           AND has_schema_privilege(p.pronamespace, 'USAGE') ORDER BY 1"
    )))
    .fetch_all(&mut *c)
    .await
    .map_err(failed)?;
    for e in extensions {
        found.push(format!(
            "EXECUTE on the {e} extension's functions (other servers or the server's files)"
        ));
    }
    let foreign: Vec<String> = sqlx::query_scalar(
        "SELECT 'foreign-data wrapper ' || quote_ident(fdwname) FROM pg_foreign_data_wrapper \
           WHERE has_foreign_data_wrapper_privilege(oid, 'USAGE') \
         UNION ALL SELECT 'foreign server ' || quote_ident(srvname) FROM pg_foreign_server \
           WHERE has_server_privilege(oid, 'USAGE') ORDER BY 1",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(failed)?;
    if !foreign.is_empty() {
        found.push(format!(
            "USAGE on {} (connections to other servers)",
            foreign.join(", ")
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_powers_and_the_grant_option_are_found() {
        let line = "GRANT RELOAD, SHUTDOWN, PROCESS, FILE, SUPER, REPLICATION SLAVE, CREATE USER, CONNECTION ADMIN, \
                    BINLOG ADMIN ON *.* TO `u`@`%` WITH GRANT OPTION";
        let found = grant_powers(line);
        let names: Vec<&str> = found
            .iter()
            .map(|f| f.split(" on ").next().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "RELOAD",
                "SHUTDOWN",
                "PROCESS",
                "FILE",
                "SUPER",
                "REPLICATION SLAVE",
                "CREATE USER",
                "CONNECTION ADMIN",
                "BINLOG ADMIN",
                "GRANT OPTION"
            ],
            "{found:?}"
        );
        assert!(found[3].contains("LOAD_FILE"), "{found:?}");
        assert_eq!(
            grant_powers("GRANT SYSTEM_VARIABLES_ADMIN ON *.* TO `u`@`%`"),
            ["SYSTEM_VARIABLES_ADMIN on *.* (administers part of the server, split from SUPER)"]
        );
        assert_eq!(
            grant_powers("GRANT SELECT ON `wh`.* TO `u`@`%` WITH GRANT OPTION"),
            ["GRANT OPTION on `wh`.* (it can give its privileges to other accounts)"]
        );
        assert_eq!(
            grant_powers("GRANT PROXY ON ''@'%' TO 'root'@'localhost'"),
            ["PROXY on ''@'%' (it can act as that account)"]
        );
    }

    #[test]
    fn reading_and_schema_level_grants_have_no_powers() {
        for line in [
            "GRANT USAGE ON *.* TO `reader`@`%` IDENTIFIED BY PASSWORD '*ABC'",
            "GRANT SELECT, SHOW VIEW ON `wh`.* TO `reader`@`%`",
            "GRANT SELECT ON *.* TO `reader`@`%`",
            "GRANT `analysts` TO `reader`@`%`",
            // Not global: FILE and PROCESS exist only on *.*, a schema-level line cannot carry them.
            "GRANT SELECT (a, b) ON `wh`.`t` TO `u`@`%`",
        ] {
            assert!(grant_powers(line).is_empty(), "{line}");
        }
    }
}
