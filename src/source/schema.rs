//! What the source says about its tables beyond a TABLE_MAP: which tables exist, each
//! column's declared type and default, `SHOW CREATE TABLE`, and row estimates. The catalog
//! keeps these so the copy can answer `SHOW CREATE TABLE` / `DESCRIBE` like the source.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::error::SourceError;
use super::filter::Selection;

/// A table's declared shape, as `information_schema` and `SHOW CREATE TABLE` give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredTable {
    /// Per column, in table order: `COLUMN_TYPE` (e.g. `int(10) unsigned`).
    pub column_types: Vec<String>,
    /// Per column: `COLUMN_DEFAULT` (`None` when there is no default or it is NULL).
    pub defaults: Vec<Option<String>>,
    /// The `SHOW CREATE TABLE` statement.
    pub create_statement: String,
    /// `information_schema.TABLES.TABLE_ROWS` (an estimate, never a COUNT(*)).
    pub rows_estimate: u64,
}

fn quote(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

fn text(row: &Row, i: usize) -> Option<String> {
    match row.as_ref(i) {
        Some(mysql_async::Value::Bytes(b)) => Some(String::from_utf8_lossy(b).into_owned()),
        Some(mysql_async::Value::NULL) | None => None,
        Some(other) => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// The base tables (not views, not temporary tables) selected for replication, as
/// `(schema, table)`, sorted.
pub async fn list_tables(
    conn: &mut Conn,
    selection: &Selection,
) -> Result<Vec<(String, String)>, SourceError> {
    let rows: Vec<Row> = conn
        .query(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME",
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((text(r, 0)?, text(r, 1)?)))
        .filter(|(s, t)| selection.matches(s, t))
        .collect())
}

/// Column types, defaults, `SHOW CREATE TABLE` and the row estimate of one table.
pub async fn declared_table(
    conn: &mut Conn,
    schema: &str,
    table: &str,
) -> Result<DeclaredTable, SourceError> {
    let rows: Vec<Row> = conn
        .exec(
            "SELECT COLUMN_TYPE, COLUMN_DEFAULT FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            (schema, table),
        )
        .await?;
    let column_types = rows
        .iter()
        .map(|r| text(r, 0).unwrap_or_default())
        .collect();
    let defaults = rows.iter().map(|r| text(r, 1)).collect();
    let create: Option<Row> = conn
        .query_first(format!(
            "SHOW CREATE TABLE {}.{}",
            quote(schema),
            quote(table)
        ))
        .await?;
    let create_statement = create.and_then(|r| text(&r, 1)).unwrap_or_default();
    let estimate: Option<Option<u64>> = conn
        .exec_first(
            "SELECT TABLE_ROWS FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
            (schema, table),
        )
        .await?;
    Ok(DeclaredTable {
        column_types,
        defaults,
        create_statement,
        rows_estimate: estimate.flatten().unwrap_or(0),
    })
}
