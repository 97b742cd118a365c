//! MariaDB accounts whose sessions start with a chosen `sql_mode`, for the tests of the SQL guard against the
//! server's defaults. MySQL/MariaDB have no per-database or per-account default `sql_mode`, and `init_connect` is
//! global (it never runs for accounts with SUPER, such as root, which every other test uses). So the one global change
//! is isolated by account name: a statement is put in front of whatever `init_connect` held, which adds a mode only
//! for accounts named `gm_<mode>_…` and leaves every other session as it was. It stays there (idempotent: added once),
//! because restoring the old value would pull it from under a test run in another process; the accounts are dropped
//! at the end, and accounts left by an interrupted run (their test database gone) at the next start.

use sqlx::{AssertSqlSafe, Connection, Executor, MySqlConnection};
use tokio::sync::{Mutex, MutexGuard};

use crate::sandbox_warehouse::Db;

static INIT_CONNECT: Mutex<()> = Mutex::const_new(());

/// The server default `sql_mode` an account starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The server's own.
    Default,
    /// The server's, plus `NO_BACKSLASH_ESCAPES`.
    NoBackslashEscapes,
    /// The server's, plus `ANSI_QUOTES`.
    AnsiQuotes,
    /// The server's, plus both.
    Both,
}

impl Mode {
    fn slug(self) -> &'static str {
        match self {
            Mode::Default => "def",
            Mode::NoBackslashEscapes => "nbe",
            Mode::AnsiQuotes => "ansi",
            Mode::Both => "both",
        }
    }

    /// The modes added to the server's.
    pub(crate) fn added(self) -> &'static str {
        match self {
            Mode::Default => "",
            Mode::NoBackslashEscapes => "NO_BACKSLASH_ESCAPES",
            Mode::AnsiQuotes => "ANSI_QUOTES",
            Mode::Both => "ANSI_QUOTES,NO_BACKSLASH_ESCAPES",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Mode::Default => "default",
            other => other.added(),
        }
    }
}

/// `s` as a MySQL string literal (backslash escapes on: root's sessions).
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `init_connect` adding the per-account modes, and the accounts made so far.
pub(crate) struct ServerModes {
    admin: MySqlConnection,
    accounts: Vec<String>,
    _lock: MutexGuard<'static, ()>,
}

impl ServerModes {
    /// Take the lock, clear accounts left by interrupted runs, and make sure `init_connect` adds each account's mode.
    pub(crate) async fn start(admin_url: &str) -> Self {
        let lock = INIT_CONNECT.lock().await;
        let mut admin = MySqlConnection::connect(admin_url).await.expect("connect");
        let stale: Vec<(String, String)> = sqlx::query_as(
            "SELECT u.User, u.Host FROM mysql.user u WHERE u.User LIKE 'gm\\_%' AND NOT EXISTS \
             (SELECT 1 FROM mysql.db d JOIN information_schema.SCHEMATA s ON s.SCHEMA_NAME = d.Db \
              WHERE d.User = u.User)",
        )
        .fetch_all(&mut admin)
        .await
        .expect("stale accounts");
        for (user, host) in stale {
            let _ = admin
                .execute(AssertSqlSafe(format!(
                    "DROP USER {}@{}",
                    quoted(&user),
                    quoted(&host)
                )))
                .await;
        }
        let mut cases = String::new();
        for m in [Mode::NoBackslashEscapes, Mode::AnsiQuotes, Mode::Both] {
            cases.push_str(&format!(
                " WHEN CURRENT_USER() LIKE 'gm\\_{}\\_%' THEN CONCAT(@@SESSION.sql_mode, ',{}')",
                m.slug(),
                m.added()
            ));
        }
        let ours = format!("SET SESSION sql_mode = CASE{cases} ELSE @@SESSION.sql_mode END");
        let before: String = sqlx::query_scalar("SELECT @@GLOBAL.init_connect")
            .fetch_one(&mut admin)
            .await
            .expect("init_connect");
        if !before.contains(&ours) {
            let init = if before.trim().is_empty() {
                ours
            } else {
                format!("{ours}; {before}")
            };
            admin
                .execute(AssertSqlSafe(format!(
                    "SET GLOBAL init_connect = {}",
                    quoted(&init)
                )))
                .await
                .expect("set init_connect");
        }
        Self {
            admin,
            accounts: Vec::new(),
            _lock: lock,
        }
    }

    /// A new account that may read `db`, whose sessions start in `mode`; its URL.
    pub(crate) async fn account(&mut self, db: &Db, mode: Mode) -> String {
        let Db::MySql { name, .. } = db else {
            panic!("a MariaDB database")
        };
        let user = format!(
            "gm_{}_{}",
            mode.slug(),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        for sql in [
            format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'"),
            format!("GRANT SELECT ON {name}.* TO '{user}'@'%'"),
        ] {
            self.admin
                .execute(AssertSqlSafe(sql))
                .await
                .expect("create account");
        }
        self.accounts.push(user.clone());
        let mut url = url::Url::parse(&db.url()).expect("url");
        url.set_username(&user).expect("user");
        url.set_password(Some("pw")).expect("password");
        // The account really starts with the mode.
        let mut c = MySqlConnection::connect(url.as_str())
            .await
            .expect("connect as the account");
        let m: String = sqlx::query_scalar("SELECT @@SESSION.sql_mode")
            .fetch_one(&mut c)
            .await
            .expect("sql_mode");
        c.close().await.expect("close");
        for added in mode.added().split(',').filter(|a| !a.is_empty()) {
            assert!(
                m.contains(added),
                "{user} starts with sql_mode {m}, not {added}"
            );
        }
        url.to_string()
    }

    /// Drop the accounts.
    pub(crate) async fn finish(mut self) {
        for user in &self.accounts {
            let _ = self
                .admin
                .execute(AssertSqlSafe(format!("DROP USER '{user}'@'%'")))
                .await;
        }
        let _ = self.admin.close().await;
    }
}
