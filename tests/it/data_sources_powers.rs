//! The production check finds powers beyond writing on real servers: a MariaDB account holding FILE, SUPER, PROCESS,
//! SHUTDOWN, RELOAD, CREATE USER, a split-out SUPER privilege or the GRANT OPTION; a PostgreSQL role with CREATEROLE,
//! CREATEDB or REPLICATION, in pg_read_server_files, pg_write_server_files, pg_execute_server_program,
//! pg_signal_backend or pg_checkpoint, able to run dblink, or with USAGE on a foreign-data wrapper or server. Each
//! account is made for the test, in a fresh database, and dropped after; the same account passes once the power is
//! taken away.

use sqlx::{AssertSqlSafe, Connection, Executor, MySqlConnection, PgConnection};

use super::probe::{expect_problem, probe, with};
use crate::sandbox_warehouse::Db;

const PASSWORD: &str = "ro-Secret-1";

/// A PostgreSQL role that may only read the fresh database `name`: its URL and name. Drop it with [`drop_pg_role`]
/// after the database.
pub(crate) async fn pg_reader(c: &mut PgConnection, url: &str, name: &str) -> (String, String) {
    let role = format!("clearance_ro_{}", uuid::Uuid::new_v4().simple());
    c.execute(AssertSqlSafe(format!(
        "CREATE TABLE IF NOT EXISTS t (id INT); CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'; \
         GRANT CONNECT ON DATABASE {name} TO {role}; GRANT USAGE ON SCHEMA public TO {role}; \
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"
    )))
    .await
    .unwrap();
    (with(url, Some(&role), Some(PASSWORD), None), role)
}

pub(crate) async fn drop_pg_role(admin: &str, role: &str) {
    let mut c = PgConnection::connect(admin).await.unwrap();
    c.execute(AssertSqlSafe(format!("DROP ROLE IF EXISTS {role}")))
        .await
        .unwrap();
    c.close().await.unwrap();
}

/// A MariaDB account that may only read the fresh database `name`: its URL and name (`'user'@'%'`).
pub(crate) async fn mysql_reader(
    c: &mut MySqlConnection,
    url: &str,
    name: &str,
) -> (String, String) {
    let user = format!(
        "clr_ro_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    for sql in [
        "CREATE TABLE IF NOT EXISTS t (id INT)".to_owned(),
        format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'"),
        format!("GRANT SELECT ON {name}.* TO '{user}'@'%'"),
    ] {
        c.execute(AssertSqlSafe(sql)).await.unwrap();
    }
    (
        with(url, Some(&user), Some(PASSWORD), None),
        format!("'{user}'@'%'"),
    )
}

#[tokio::test]
async fn postgres_powers_are_not_read_only() {
    let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await else {
        return;
    };
    let (admin, name) = match &db {
        Db::Postgres { admin, name } => (admin.clone(), name.clone()),
        _ => unreachable!(),
    };
    let superuser = db.url();
    let mut c = PgConnection::connect(&superuser).await.unwrap();
    let (reader, role) = pg_reader(&mut c, &superuser, &name).await;
    let passes = || async {
        assert!(
            probe(&reader, true, PASSWORD)
                .await
                .unwrap()
                .read_only_verified
        )
    };
    passes().await;

    // (grant, revoke, words the finding must contain). After each revoke the role passes again: postgres_fdw stays
    // installed, and the extension alone, without USAGE on its wrapper or a server, gives the role nothing.
    let cases: Vec<(String, String, &str)> = [
        "pg_read_server_files",
        "pg_write_server_files",
        "pg_execute_server_program",
        "pg_signal_backend",
        "pg_checkpoint",
    ]
    .iter()
    .map(|g| (format!("GRANT {g} TO {role}"), format!("REVOKE {g} FROM {role}"), *g))
    .chain(["CREATEROLE", "CREATEDB", "REPLICATION"].iter().map(|a| {
        (format!("ALTER ROLE {role} {a}"), format!("ALTER ROLE {role} NO{a}"), *a)
    }))
    .chain([
        (
            "CREATE EXTENSION dblink".to_owned(),
            "DROP EXTENSION dblink".to_owned(),
            "dblink extension",
        ),
        (
            format!("CREATE EXTENSION postgres_fdw; GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO {role}"),
            format!("REVOKE USAGE ON FOREIGN DATA WRAPPER postgres_fdw FROM {role}"),
            "foreign-data wrapper postgres_fdw",
        ),
        (
            format!(
                "CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db.invalid'); \
                 GRANT USAGE ON FOREIGN SERVER elsewhere TO {role}"
            ),
            "DROP SERVER elsewhere".to_owned(),
            "foreign server elsewhere",
        ),
    ])
    .collect();
    for (grant, revoke, words) in cases {
        c.execute(AssertSqlSafe(grant.clone())).await.unwrap();
        expect_problem(probe(&reader, true, PASSWORD).await, "not_read_only", words);
        // Staging sources are not checked.
        assert!(
            !probe(&reader, false, PASSWORD)
                .await
                .unwrap()
                .read_only_verified
        );
        c.execute(AssertSqlSafe(revoke)).await.unwrap();
        passes().await;
    }
    c.close().await.unwrap();
    db.drop().await;
    drop_pg_role(&admin, &role).await;
}

#[tokio::test]
async fn mariadb_powers_are_not_read_only() {
    let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await else {
        return;
    };
    let Db::MySql { name, .. } = &db else {
        unreachable!()
    };
    let root = db.url();
    let mut c = MySqlConnection::connect(&root).await.unwrap();
    let (reader, user) = mysql_reader(&mut c, &root, name).await;
    assert!(
        probe(&reader, true, PASSWORD)
            .await
            .unwrap()
            .read_only_verified
    );
    for privilege in [
        "FILE",
        "SUPER",
        "PROCESS",
        "SHUTDOWN",
        "RELOAD",
        "CREATE USER",
        "REPLICATION SLAVE",
        "CONNECTION ADMIN",
        "BINLOG ADMIN",
    ] {
        c.execute(AssertSqlSafe(format!("GRANT {privilege} ON *.* TO {user}")))
            .await
            .unwrap();
        expect_problem(
            probe(&reader, true, PASSWORD).await,
            "not_read_only",
            &format!("{privilege} on *.*"),
        );
        c.execute(AssertSqlSafe(format!(
            "REVOKE {privilege} ON *.* FROM {user}"
        )))
        .await
        .unwrap();
        assert!(
            probe(&reader, true, PASSWORD)
                .await
                .unwrap()
                .read_only_verified,
            "{privilege}"
        );
    }
    c.execute(AssertSqlSafe(format!(
        "GRANT SELECT ON {name}.* TO {user} WITH GRANT OPTION"
    )))
    .await
    .unwrap();
    expect_problem(
        probe(&reader, true, PASSWORD).await,
        "not_read_only",
        "GRANT OPTION on `",
    );
    c.execute(AssertSqlSafe(format!("DROP USER {user}")))
        .await
        .unwrap();
    c.close().await.unwrap();
    db.drop().await;
}
