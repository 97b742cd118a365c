//! Column types of each engine mapped to [`Cell`]s: decided once per column from the prepared statement, then
//! applied to every row. A type Clearance cannot write faithfully is refused up front with the cast that fixes it.

use sqlx::{Row as _, TypeInfo as _, ValueRef as _, mysql::MySqlRow, postgres::PgRow};

use super::{
    cell::{Cell, ColumnType},
    pg_binary,
};

/// How one column's values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Boolean.
    Bool,
    /// 16-bit integer (PostgreSQL `int2`).
    I16,
    /// 32-bit integer (PostgreSQL `int4`).
    I32,
    /// 64-bit integer (any width on MySQL).
    I64,
    /// Unsigned 64-bit integer (MySQL unsigned types).
    U64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// Exact decimal.
    Decimal,
    /// Text.
    Text,
    /// UUID, written as text.
    Uuid,
    /// Date.
    Date,
    /// Time of day.
    Time,
    /// Date and time without zone.
    DateTime,
    /// Instant (timestamp with time zone).
    Timestamp,
    /// JSON.
    Json,
    /// PostgreSQL `jsonb` (a version byte before the text on the wire).
    Jsonb,
    /// Bytes.
    Bytes,
    /// SQLite: whatever storage class each value has, read in the light of the declared type.
    Dynamic(Declared),
}

/// A SQLite column's declared type, which says how to read text and integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declared {
    /// No helpful declaration: each value as its storage class.
    None,
    /// `BOOLEAN`: integers 0/1 are booleans.
    Bool,
    /// `DATE`: ISO dates are dates.
    Date,
    /// `DATETIME` / `TIMESTAMP`: ISO date-times are date-times.
    DateTime,
    /// `INTEGER` affinity (values still read by storage class).
    Integer,
    /// `REAL` affinity.
    Real,
    /// `TEXT` affinity.
    Text,
    /// `BLOB`.
    Blob,
    /// `NUMERIC` affinity.
    Numeric,
}

impl Kind {
    /// The column type recorded in the manifest.
    pub fn column_type(self) -> ColumnType {
        match self {
            Kind::Bool | Kind::Dynamic(Declared::Bool) => ColumnType::Boolean,
            Kind::I16 | Kind::I32 | Kind::I64 | Kind::U64 => ColumnType::Integer,
            Kind::F32 | Kind::F64 => ColumnType::Float,
            Kind::Decimal => ColumnType::Decimal,
            Kind::Text | Kind::Uuid => ColumnType::Text,
            Kind::Date | Kind::Dynamic(Declared::Date) => ColumnType::Date,
            Kind::Time => ColumnType::Time,
            Kind::DateTime | Kind::Dynamic(Declared::DateTime) => ColumnType::Datetime,
            Kind::Timestamp => ColumnType::Timestamp,
            Kind::Json | Kind::Jsonb => ColumnType::Json,
            Kind::Bytes => ColumnType::Bytes,
            Kind::Dynamic(Declared::Integer) => ColumnType::Integer,
            Kind::Dynamic(Declared::Real) => ColumnType::Float,
            Kind::Dynamic(Declared::Text) => ColumnType::Text,
            Kind::Dynamic(Declared::Blob) => ColumnType::Bytes,
            Kind::Dynamic(Declared::None | Declared::Numeric) => ColumnType::Dynamic,
        }
    }
}

/// A result column: its name, the engine's type name and how it is read.
#[derive(Clone, Debug)]
pub struct Column {
    /// Name as the query returns it.
    pub name: String,
    /// The engine's name for the type (`INT8`, `DECIMAL`, `TEXT`…).
    pub source_type: String,
    /// How values are read.
    pub kind: Kind,
}

/// A column type that has no faithful mapping.
#[derive(Debug, thiserror::Error)]
#[error(
    "column {column:?} has type {source_type}, which Clearance cannot write faithfully; convert it in the query (for example CAST({column} AS {hint}))"
)]
pub struct Unsupported {
    /// Column name.
    pub column: String,
    /// The engine's type name.
    pub source_type: String,
    /// The target type to cast to.
    pub hint: &'static str,
}

fn unsupported(name: &str, ty: &str, hint: &'static str) -> Unsupported {
    Unsupported {
        column: name.to_owned(),
        source_type: ty.to_owned(),
        hint,
    }
}

/// PostgreSQL type name → kind.
pub fn pg_kind(name: &str, ty: &str) -> Result<Kind, Unsupported> {
    Ok(match ty {
        "BOOL" => Kind::Bool,
        "INT2" => Kind::I16,
        "INT4" => Kind::I32,
        "INT8" | "OID" => Kind::I64,
        "FLOAT4" => Kind::F32,
        "FLOAT8" => Kind::F64,
        "NUMERIC" => Kind::Decimal,
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" | "CITEXT" | "UNKNOWN" => Kind::Text,
        "UUID" => Kind::Uuid,
        "DATE" => Kind::Date,
        "TIME" => Kind::Time,
        "TIMESTAMP" => Kind::DateTime,
        "TIMESTAMPTZ" => Kind::Timestamp,
        "JSON" => Kind::Json,
        "JSONB" => Kind::Jsonb,
        "BYTEA" => Kind::Bytes,
        "MONEY" => return Err(unsupported(name, ty, "numeric")),
        _ => return Err(unsupported(name, ty, "text")),
    })
}

/// MySQL/MariaDB type name → kind.
pub fn mysql_kind(name: &str, ty: &str) -> Result<Kind, Unsupported> {
    let unsigned = ty.ends_with("UNSIGNED");
    let base = ty.trim_end_matches(" UNSIGNED");
    Ok(match base {
        "BOOLEAN" => Kind::Bool,
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" if unsigned => Kind::U64,
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => Kind::I64,
        "BIT" => Kind::U64,
        "FLOAT" => Kind::F32,
        "DOUBLE" => Kind::F64,
        "DECIMAL" => Kind::Decimal,
        "CHAR" | "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" | "SET" => {
            Kind::Text
        }
        "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => Kind::Bytes,
        "DATE" => Kind::Date,
        "TIME" => Kind::Time,
        "DATETIME" => Kind::DateTime,
        "TIMESTAMP" => Kind::Timestamp,
        "JSON" => Kind::Json,
        _ => return Err(unsupported(name, ty, "CHAR")),
    })
}

fn get<'r, T, R>(row: &'r R, i: usize) -> Result<T, sqlx::Error>
where
    R: sqlx::Row,
    T: sqlx::Decode<'r, R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    row.try_get_unchecked::<T, _>(i)
}

/// One PostgreSQL row into `out` (one cell per column, refilled row after row; text reuses the cell's buffer),
/// each value read from its binary form by [`pg_binary::fill`].
pub fn pg_row(row: &PgRow, kinds: &[Kind], out: &mut [Cell]) -> Result<(), sqlx::Error> {
    for (i, (slot, kind)) in out.iter_mut().zip(kinds).enumerate() {
        let value = row.try_get_raw(i)?;
        if value.is_null() {
            *slot = Cell::Null;
            continue;
        }
        let bytes = value.as_bytes().map_err(sqlx::Error::Decode)?;
        pg_binary::fill(slot, *kind, bytes).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    }
    Ok(())
}

/// One MySQL/MariaDB row into `out` (as [`pg_row`]).
pub fn mysql_row(row: &MySqlRow, kinds: &[Kind], out: &mut [Cell]) -> Result<(), sqlx::Error> {
    for (i, (slot, kind)) in out.iter_mut().zip(kinds).enumerate() {
        if row.try_get_raw(i)?.is_null() {
            *slot = Cell::Null;
            continue;
        }
        *slot = match kind {
            Kind::Bool => Cell::Bool(get(row, i)?),
            Kind::U64 => Cell::UInt(get(row, i)?),
            Kind::I16 | Kind::I32 | Kind::I64 => Cell::Int(get(row, i)?),
            Kind::F32 => Cell::Float(get::<f32, _>(row, i)?.into()),
            Kind::F64 => Cell::Float(get(row, i)?),
            Kind::Decimal => Cell::Decimal(decimal(get(row, i)?)),
            Kind::Date => Cell::Date(get(row, i)?),
            Kind::Time => Cell::Time(get(row, i)?),
            Kind::DateTime => Cell::DateTime(get(row, i)?),
            Kind::Timestamp => Cell::Timestamp(get(row, i)?),
            Kind::Json | Kind::Jsonb => {
                Cell::Json(get::<serde_json::Value, _>(row, i)?.to_string())
            }
            Kind::Bytes => Cell::Bytes(get(row, i)?),
            Kind::Text | Kind::Uuid | Kind::Dynamic(_) => {
                slot.set_text(get::<&str, _>(row, i)?);
                continue;
            }
        };
    }
    Ok(())
}

/// A decimal in plain notation, every stored digit kept.
fn decimal(d: bigdecimal::BigDecimal) -> String {
    d.to_plain_string()
}

/// The columns of a prepared statement.
pub fn columns<C: sqlx::Column>(
    cols: &[C],
    kind_of: impl Fn(&str, &str) -> Result<Kind, Unsupported>,
) -> Result<Vec<Column>, Unsupported> {
    cols.iter()
        .map(|c| {
            let ty = c.type_info().name().to_owned();
            let name = c.name().to_owned();
            Ok(Column {
                kind: kind_of(&name, &ty)?,
                name,
                source_type: ty,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_types_name_the_cast() {
        let e = pg_kind("tags", "TEXT[]").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "column \"tags\" has type TEXT[], which Clearance cannot write faithfully; convert it in the query (for example CAST(tags AS text))"
            )
        );
        assert!(pg_kind("m", "MONEY").is_err());
        assert!(mysql_kind("g", "GEOMETRY").is_err());
        assert_eq!(mysql_kind("n", "BIGINT UNSIGNED").ok(), Some(Kind::U64));
        assert_eq!(mysql_kind("n", "INT").ok(), Some(Kind::I64));
    }
}
