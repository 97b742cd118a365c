//! The demo tables, described once and rendered as DDL for SQLite, PostgreSQL and MySQL/MariaDB.
//!
//! Tables are created with their primary keys only; secondary indexes and (outside SQLite, which cannot add them
//! later) foreign keys come after the load, which is much faster than maintaining them row by row.

/// The database engine behind a URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// `sqlite://path`
    Sqlite,
    /// `postgres://…`
    Postgres,
    /// `mysql://…` or `mariadb://…`
    MySql,
}

impl Engine {
    /// Short name for logs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::MySql => "mysql",
        }
    }
}

/// Column types, mapped to each engine's names by [`sql_type`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Id,
    Int,
    Text(u16),
    LongText,
    Code(u8),
    Bool,
    Date,
    Timestamp,
}

/// One column of a demo table.
#[derive(Debug)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// Table whose `id` this column refers to.
    pub references: Option<&'static str>,
}

/// One demo table.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        nullable: false,
        references: None,
    }
}

const fn null(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        nullable: true,
        references: None,
    }
}

const fn fk(name: &'static str, table: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
        nullable: false,
        references: Some(table),
    }
}

/// `customers`.
pub(crate) const CUSTOMERS: Table = Table {
    name: "customers",
    columns: &[
        col("id", Kind::Id),
        col("first_name", Kind::Text(100)),
        col("last_name", Kind::Text(100)),
        col("email", Kind::Text(255)),
        null("phone", Kind::Text(32)),
        col("street", Kind::Text(200)),
        col("postal_code", Kind::Text(16)),
        col("city", Kind::Text(100)),
        col("country", Kind::Code(2)),
        col("birth_date", Kind::Date),
        col("marketing_consent", Kind::Bool),
        col("created_at", Kind::Timestamp),
    ],
};

/// `orders`.
pub(crate) const ORDERS: Table = Table {
    name: "orders",
    columns: &[
        col("id", Kind::Id),
        fk("customer_id", "customers"),
        col("ordered_at", Kind::Timestamp),
        col("status", Kind::Text(16)),
        col("total_cents", Kind::Int),
        col("currency", Kind::Code(3)),
    ],
};

/// `payments`.
pub(crate) const PAYMENTS: Table = Table {
    name: "payments",
    columns: &[
        col("id", Kind::Id),
        fk("order_id", "orders"),
        col("method", Kind::Text(16)),
        null("card_number", Kind::Text(19)),
        null("iban", Kind::Text(34)),
        col("amount_cents", Kind::Int),
        col("paid_at", Kind::Timestamp),
    ],
};

/// `support_tickets`.
pub(crate) const SUPPORT_TICKETS: Table = Table {
    name: "support_tickets",
    columns: &[
        col("id", Kind::Id),
        fk("customer_id", "customers"),
        col("opened_at", Kind::Timestamp),
        col("subject", Kind::Text(200)),
        col("body", Kind::LongText),
    ],
};

/// All demo tables, parents first.
pub(crate) const TABLES: [&Table; 4] = [&CUSTOMERS, &ORDERS, &PAYMENTS, &SUPPORT_TICKETS];

fn sql_type(engine: Engine, kind: Kind) -> String {
    match (engine, kind) {
        (Engine::Sqlite, Kind::Id) => "INTEGER PRIMARY KEY".into(),
        (_, Kind::Id) => "BIGINT PRIMARY KEY".into(),
        (Engine::Sqlite, Kind::Int) => "INTEGER".into(),
        (_, Kind::Int) => "BIGINT".into(),
        (Engine::Sqlite, Kind::Text(_) | Kind::Code(_)) | (_, Kind::LongText) => "TEXT".into(),
        (_, Kind::Text(n)) => format!("VARCHAR({n})"),
        (_, Kind::Code(n)) => format!("CHAR({n})"),
        (_, Kind::Bool) => "BOOLEAN".into(),
        (_, Kind::Date) => "DATE".into(),
        (Engine::Postgres, Kind::Timestamp) => "TIMESTAMPTZ".into(),
        (Engine::Sqlite, Kind::Timestamp) => "TIMESTAMP".into(),
        (Engine::MySql, Kind::Timestamp) => "DATETIME".into(),
    }
}

/// Marks a database as holding demo data. The demo tables are only dropped when it exists (or when none of them
/// does), so pointing the generator at a real database cannot destroy real tables that happen to share a name.
pub(crate) const MARKER: &str = "clearance_demo";

/// A query listing which of the demo tables and the marker exist, one name per row.
pub(crate) fn existing_tables(engine: Engine) -> String {
    let names: Vec<String> = TABLES
        .iter()
        .map(|t| t.name)
        .chain([MARKER])
        .map(|n| format!("'{n}'"))
        .collect();
    let names = names.join(", ");
    match engine {
        Engine::Sqlite => {
            format!("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({names})")
        }
        Engine::Postgres => format!(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name IN ({names})"
        ),
        Engine::MySql => format!(
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name IN ({names})"
        ),
    }
}

/// Statements that drop the demo tables if they exist, children first, then the marker.
pub(crate) fn drop_tables() -> Vec<String> {
    let names = TABLES.iter().rev().map(|t| t.name).chain([MARKER]);
    names.map(|n| format!("DROP TABLE IF EXISTS {n}")).collect()
}

/// The marker table and its one row: how many customers from which seed.
pub(crate) fn create_marker(engine: Engine, rows: u64, seed: u64) -> Vec<String> {
    let text = if engine == Engine::Sqlite {
        "TEXT"
    } else {
        "VARCHAR(200)"
    };
    vec![
        format!(
            "CREATE TABLE {MARKER} (customers BIGINT NOT NULL, seed {text} NOT NULL, note {text} NOT NULL)"
        ),
        format!(
            "INSERT INTO {MARKER} (customers, seed, note) VALUES ({rows}, '{seed}', \
             'synthetic data from clearance demo-data; replaced on every run')"
        ),
    ]
}

/// `CREATE TABLE` statements, parents first.
pub(crate) fn create_tables(engine: Engine) -> Vec<String> {
    TABLES
        .iter()
        .map(|t| {
            let columns: Vec<String> = t
                .columns
                .iter()
                .map(|c| {
                    let mut s = format!("{} {}", c.name, sql_type(engine, c.kind));
                    if !c.nullable && !matches!(c.kind, Kind::Id) {
                        s.push_str(" NOT NULL");
                    }
                    if let (Engine::Sqlite, Some(parent)) = (engine, c.references) {
                        s.push_str(&format!(" REFERENCES {parent} (id)"));
                    }
                    s
                })
                .collect();
            let options = match engine {
                Engine::MySql => " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
                _ => "",
            };
            format!(
                "CREATE TABLE {} (\n  {}\n){options}",
                t.name,
                columns.join(",\n  ")
            )
        })
        .collect()
}

/// Statements run after the load: indexes on the foreign keys and `customers.email` (unique), the foreign key
/// constraints where they can be added afterwards, and fresh planner statistics.
pub(crate) fn finish(engine: Engine) -> Vec<String> {
    let mut out = vec!["CREATE UNIQUE INDEX customers_email_idx ON customers (email)".to_owned()];
    let fks = TABLES.iter().flat_map(|t| {
        t.columns
            .iter()
            .filter_map(move |c| Some((t.name, c.name, c.references?)))
    });
    for (table, column, _) in fks.clone() {
        out.push(format!(
            "CREATE INDEX {table}_{column}_idx ON {table} ({column})"
        ));
    }
    if engine != Engine::Sqlite {
        for (table, column, parent) in fks {
            out.push(format!(
                "ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey FOREIGN KEY ({column}) REFERENCES {parent} (id)"
            ));
        }
    }
    let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    if engine == Engine::Sqlite {
        out.push("PRAGMA analysis_limit = 1000".to_owned());
    }
    out.push(match engine {
        Engine::Sqlite => "ANALYZE".to_owned(),
        Engine::Postgres => format!("ANALYZE {}", names.join(", ")),
        Engine::MySql => format!("ANALYZE TABLE {}", names.join(", ")),
    });
    out
}
