//! `Tx`: one write transaction on whichever database the store holds, so a state change, its audit event and the
//! jobs it triggers commit together or not at all.

use super::{QueryContext, Result, Store};

/// An open write transaction. Dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub enum Tx {
    /// SQLite, begun with `BEGIN IMMEDIATE` (the write lock is taken at once, so reading then writing cannot fail
    /// halfway on a lock upgrade).
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// PostgreSQL; rows read for a change are locked with `FOR UPDATE`.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Run the same code on the transaction's connection; `$conn` is a `&mut` connection of the concrete type
/// (reborrow it with `&mut *$conn` for each query).
macro_rules! with_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use with_tx;

impl Store {
    /// Start a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Self::Sqlite(pool, _) => Tx::Sqlite(
                pool.begin_with("BEGIN IMMEDIATE")
                    .await
                    .op("starting a transaction")?,
            ),
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await.op("starting a transaction")?),
        })
    }
}

impl Tx {
    /// Commit everything written through this transaction.
    pub async fn commit(self) -> Result<()> {
        match self {
            Self::Sqlite(t) => t.commit().await,
            Self::Postgres(t) => t.commit().await,
        }
        .op("committing")
    }

    /// The clause that locks the rows a `SELECT` reads until commit (PostgreSQL; SQLite's transaction already
    /// holds the database's write lock).
    pub(super) fn for_update(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "",
            Self::Postgres(_) => " FOR UPDATE",
        }
    }
}
