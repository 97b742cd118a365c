//! The read-only check of a production source: what the account could write, found from the server's own view of
//! its privileges (PostgreSQL catalog functions, MySQL/MariaDB `SHOW GRANTS`), plus the powers beyond writing that
//! `probe_powers.rs` finds. Findings name privileges and objects, never a grant line as such (MariaDB prints password
//! hashes in them).

use sqlx::{Executor, MySqlConnection, PgConnection, Row};

use super::{Dialect, ProbeError};

/// At most this many objects are named per kind of finding.
const SHOWN: i64 = 5;

fn failed(e: sqlx::Error) -> ProbeError {
    ProbeError::Failed(format!("checking the account's privileges failed: {e}"))
}

/// What a PostgreSQL account could write: superuser, CREATE on the database or a schema, INSERT/UPDATE/DELETE/TRUNCATE
/// on a table or view (outside the system schemas).
pub(super) async fn postgres_writes(c: &mut PgConnection) -> Result<Vec<String>, ProbeError> {
    let mut found = Vec::new();
    let (superuser, db_create): (bool, bool) = sqlx::query_as(
        "SELECT COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false), \
                has_database_privilege(current_database(), 'CREATE')",
    )
    .fetch_one(&mut *c)
    .await
    .map_err(failed)?;
    if superuser {
        found.push("it is a superuser".to_owned());
    }
    if db_create {
        found.push("CREATE on the database".to_owned());
    }
    let user_schema =
        "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";
    let schemas: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT quote_ident(n.nspname) FROM pg_namespace n WHERE {user_schema} \
         AND has_schema_privilege(n.oid, 'CREATE') ORDER BY 1 LIMIT {SHOWN}"
    )))
    .fetch_all(&mut *c)
    .await
    .map_err(failed)?;
    if !schemas.is_empty() {
        found.push(format!("CREATE on schema {}", schemas.join(", ")));
    }
    let tables: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), COUNT(*) OVER () \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'f') AND {user_schema} \
           AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') \
         ORDER BY 1 LIMIT {SHOWN}"
    )))
    .fetch_all(&mut *c)
    .await
    .map_err(failed)?;
    if let Some((_, total)) = tables.first() {
        let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
        let more = total - tables.len() as i64;
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        found.push(format!(
            "INSERT, UPDATE, DELETE or TRUNCATE on {}{more}",
            names.join(", ")
        ));
    }
    Ok(found)
}

/// What a MySQL/MariaDB account could write, or do outside its queries (FILE, SUPER, PROCESS…), from `SHOW GRANTS`
/// (grants on the system schemas every account can read are ignored).
pub(super) async fn mysql_writes(c: &mut MySqlConnection) -> Result<Vec<String>, ProbeError> {
    // Text protocol: SHOW GRANTS is not preparable on every server.
    let rows = c.fetch_all("SHOW GRANTS").await.map_err(failed)?;
    let mut found = Vec::new();
    for row in rows {
        let line = match row.try_get::<String, _>(0) {
            Ok(s) => s,
            Err(_) => {
                String::from_utf8_lossy(&row.try_get::<Vec<u8>, _>(0).map_err(failed)?).into_owned()
            }
        };
        found.extend(grant_writes(&line));
        found.extend(super::powers::grant_powers(&line));
    }
    Ok(found)
}

/// Privileges that let an account change data or schema.
fn is_write(privilege: &str) -> bool {
    matches!(
        privilege,
        "ALL" | "ALL PRIVILEGES" | "INSERT" | "UPDATE" | "DELETE" | "DELETE HISTORY" | "DROP"
    ) || privilege.starts_with("CREATE")
        || privilege.starts_with("ALTER")
}

/// One `GRANT … ON … TO …` line: the privilege names (upper case, column lists dropped), the target as printed
/// (`` `db`.* ``, `*.*`) and whether it carries `WITH GRANT OPTION`.
pub(super) struct Grant {
    pub(super) privileges: Vec<String>,
    pub(super) target: String,
    pub(super) grant_option: bool,
}

/// The line as a [`Grant`]; `None` for a role grant (`GRANT `r` TO …`) or a line that is not a grant.
pub(super) fn parse_grant(line: &str) -> Option<Grant> {
    let rest = line.trim().strip_prefix("GRANT ")?;
    let on = rest.find(" ON ")?;
    let (privileges, after) = (&rest[..on], &rest[on + 4..]);
    let target = after.split(" TO ").next()?.trim().to_owned();
    // Split on commas outside column lists: `SELECT (a, b), INSERT (c)`.
    let mut names = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, ch) in privileges.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                names.push(&privileges[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    names.push(&privileges[start..]);
    let privileges = names
        .iter()
        .map(|p| {
            p.split('(')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_uppercase()
        })
        .collect();
    Some(Grant {
        privileges,
        target,
        grant_option: line.trim_end().ends_with(" WITH GRANT OPTION"),
    })
}

/// The writing privileges of one `GRANT … ON … TO …` line, as `INSERT, UPDATE on `db`.*`; `None` if it grants no
/// write (or is a role grant, or concerns only the system schemas).
pub(super) fn grant_writes(line: &str) -> Option<String> {
    let grant = parse_grant(line)?;
    let plain = grant.target.replace('`', "").to_ascii_lowercase();
    if plain.starts_with("information_schema.") || plain.starts_with("performance_schema.") {
        return None;
    }
    let writes: Vec<&str> = grant
        .privileges
        .iter()
        .map(String::as_str)
        .filter(|p| is_write(p))
        .collect();
    (!writes.is_empty()).then(|| format!("{} on {}", writes.join(", "), grant.target))
}

/// The finding as a message: what the account can do, and what to use instead.
pub(super) fn explain(dialect: Dialect, findings: &[String]) -> String {
    let advice = match dialect {
        Dialect::Postgres => {
            "use a role that can only read: CONNECT on the database, USAGE on its schemas and SELECT on the tables \
             (or membership in pg_read_all_data), not a superuser, without CREATE (on PostgreSQL before 15: REVOKE \
             CREATE ON SCHEMA public FROM PUBLIC), without CREATEROLE, CREATEDB or REPLICATION, not a member of \
             pg_read_server_files, pg_write_server_files, pg_execute_server_program, pg_signal_backend or \
             pg_checkpoint, without EXECUTE on dblink's or adminpack's functions (DROP EXTENSION, or REVOKE EXECUTE \
             ON ALL FUNCTIONS IN SCHEMA … FROM PUBLIC) and without USAGE on foreign-data wrappers or servers"
        }
        _ => {
            "use an account granted only SELECT (GRANT SELECT ON db.* TO …) and revoke the rest, global \
             privileges such as FILE, SUPER and PROCESS and the GRANT OPTION included"
        }
    };
    format!(
        "this is a production source, and its account can do more than read: {}; {advice}",
        findings.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_grants_are_found() {
        let cases = [
            (
                "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA unix_socket WITH GRANT OPTION",
                Some("ALL PRIVILEGES on *.*"),
            ),
            (
                "GRANT SELECT, INSERT, UPDATE ON `test`.* TO `app`@`%`",
                Some("INSERT, UPDATE on `test`.*"),
            ),
            (
                "GRANT SELECT (a, b), UPDATE (c) ON `wh`.`t` TO `u`@`%`",
                Some("UPDATE on `wh`.`t`"),
            ),
            (
                "GRANT CREATE TEMPORARY TABLES, DROP ON `wh`.* TO `u`@`%`",
                Some("CREATE TEMPORARY TABLES, DROP on `wh`.*"),
            ),
            (
                "GRANT DELETE ON `wh`.* TO 'u'@'%'",
                Some("DELETE on `wh`.*"),
            ),
            (
                "GRANT ALTER ROUTINE ON `wh`.* TO u",
                Some("ALTER ROUTINE on `wh`.*"),
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(grant_writes(line).as_deref(), expected, "{line}");
        }
    }

    #[test]
    fn reading_grants_pass() {
        for line in [
            "GRANT USAGE ON *.* TO `reader`@`%` IDENTIFIED BY PASSWORD '*ABC'",
            "GRANT SELECT ON `test`.* TO `reader`@`%`",
            "GRANT SELECT, SHOW VIEW ON `wh`.* TO `reader`@`%`",
            "GRANT ALL PRIVILEGES ON `information_schema`.* TO `reader`@`%`",
            "GRANT INSERT ON performance_schema.* TO reader",
            "GRANT `analysts` TO `reader`@`%`",
            "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION",
        ] {
            assert_eq!(grant_writes(line), None, "{line}");
        }
    }

    #[test]
    fn the_message_names_findings_and_advice() {
        let m = explain(Dialect::MySql, &["INSERT on `t`.*".into()]);
        assert!(
            m.contains("INSERT on `t`.*") && m.contains("GRANT SELECT"),
            "{m}"
        );
        let m = explain(Dialect::Postgres, &["it is a superuser".into()]);
        assert!(
            m.contains("superuser") && m.contains("pg_read_all_data"),
            "{m}"
        );
    }
}
