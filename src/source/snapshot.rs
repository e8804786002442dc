//! The source side of a consistent initial snapshot.
//!
//! A snapshot reads each table once inside a consistent-read transaction and records the
//! binlog [`Position`] that transaction is consistent with, so that streaming from that
//! position afterwards applies exactly the changes the snapshot did not see.
//!
//! Rows come out in exactly the typed representation the binlog decoder
//! ([`crate::source::decode`]) produces, so snapshot rows and streamed rows are compared and
//! applied by the same code:
//!
//! - [`describe_table`] builds from `information_schema` the [`TableInfo`] a TABLE_MAP event
//!   with `binlog_row_metadata=FULL` would carry (binlog type codes, packed metadata,
//!   signedness, collation ids, ENUM/SET labels, primary key; `table_id` 0);
//! - [`begin`] starts the consistent-read transaction and returns the [`SnapshotPoint`];
//! - [`read_chunk`] reads rows in primary-key order by keyset pagination through the binary
//!   protocol (prepared statements) and types every column from `mysql_async::Value` and the
//!   column's [`ColumnInfo`], never through lossy text for numbers or temporal values.
//!
//! Session settings made by [`begin`] and relied on by [`read_chunk`]: `time_zone =
//! '+00:00'` (TIMESTAMP values arrive in UTC and convert to epoch seconds exactly) and
//! `character_set_results = NULL` (strings arrive as the stored bytes in the column's own
//! charset, as in row images, not converted to the connection charset).
//!
//! The MariaDB branch is tested against MariaDB 10.11. The MySQL branch of [`begin`] is
//! written from the MySQL 8.0/8.4 reference manual and is untested against a live MySQL
//! server (none is available in this project's test environment).

use std::sync::Arc;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::connect::{server_info, Flavor};
use super::error::SourceError;
use super::position::{FilePos, GtidState, MariaGtidState, MySqlGtidSet, Position};
use super::table::{types, ColumnInfo, TableInfo, BINARY_COLLATION};
use super::text::{charset_of, to_utf8, Charset};
use super::value::{Date, DateTime, Time, Timestamp, Value};

/// Where a snapshot transaction stands: the binlog position its reads are consistent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPoint {
    /// The position the snapshot is consistent with: every transaction committed before it
    /// is visible to the snapshot, none after it. Stream from here.
    pub position: Position,
    /// The source's flavor (decides how the position was taken).
    pub flavor: Flavor,
}

/// A snapshot row: one value per column, in table order, each `Some` (like a FULL row
/// image), `Some(Value::Null)` for SQL NULL.
pub type SnapshotRow = Vec<Option<Value>>;

fn protocol(msg: impl Into<String>) -> SourceError {
    SourceError::Protocol(msg.into())
}

/// Quotes an identifier with backticks.
fn quote(ident: &str) -> String {
    format!("`{}`", ident.replace('`', "``"))
}

/// Describes `schema.table` from `information_schema` as the binlog's TABLE_MAP event
/// (with `binlog_row_metadata=FULL`) would, with `table_id` 0.
///
/// Sources: `COLUMNS` (`DATA_TYPE`, `COLUMN_TYPE` for UNSIGNED, ENUM/SET labels and BIT
/// width, `CHARACTER_OCTET_LENGTH`, `NUMERIC_PRECISION`/`NUMERIC_SCALE`,
/// `DATETIME_PRECISION`, `COLLATION_NAME`, `IS_NULLABLE`, `EXTRA` for invisible columns),
/// `COLLATIONS` (collation id; MariaDB 10.10+ UCA-14 names through
/// `COLLATION_CHARACTER_SET_APPLICABILITY.FULL_COLLATION_NAME`) and `STATISTICS` (the
/// primary key; without one, the first UNIQUE index over NOT NULL columns, which is what
/// the server itself treats as the primary key).
///
/// Differences from the TABLE_MAP: `visible` follows `EXTRA` (MariaDB's TABLE_MAP carries
/// no visibility, so the stream always says visible); primary-key prefixes are not kept
/// (neither does the decoder keep them).
pub async fn describe_table(
    conn: &mut Conn,
    schema: &str,
    table: &str,
) -> Result<TableInfo, SourceError> {
    let rows: Vec<Row> = conn
        .exec(
            "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.CHARACTER_OCTET_LENGTH, \
             c.NUMERIC_PRECISION, c.NUMERIC_SCALE, c.DATETIME_PRECISION, c.COLLATION_NAME, \
             c.IS_NULLABLE, c.EXTRA, k.ID \
             FROM information_schema.COLUMNS c \
             LEFT JOIN information_schema.COLLATIONS k ON k.COLLATION_NAME = c.COLLATION_NAME \
             WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION",
            (schema, table),
        )
        .await?;
    if rows.is_empty() {
        return Err(SourceError::Config(format!(
            "table {schema}.{table} does not exist on the source (or is not visible to the \
             replication user)"
        )));
    }
    let mut columns = Vec::with_capacity(rows.len());
    for row in rows {
        let text = |i: usize| -> Option<String> {
            match row.as_ref(i) {
                Some(mysql_async::Value::Bytes(b)) => Some(String::from_utf8_lossy(b).into_owned()),
                Some(mysql_async::Value::NULL) | None => None,
                Some(other) => Some(other.as_sql(true).trim_matches('\'').to_string()),
            }
        };
        let num = |i: usize| -> Option<u64> { text(i).and_then(|s| s.trim().parse().ok()) };
        let name = text(0).unwrap_or_default();
        let data_type = text(1).unwrap_or_default().to_ascii_lowercase();
        let column_type = text(2).unwrap_or_default();
        let collation_name = text(7);
        let mut collation = num(10).and_then(|id| u16::try_from(id).ok());
        if collation.is_none() {
            if let Some(cn) = &collation_name {
                collation = full_collation_id(conn, cn).await;
            }
        }
        let col = column_info(ColumnFacts {
            name: &name,
            data_type: &data_type,
            column_type: &column_type,
            octet_length: num(3),
            precision: num(4),
            scale: num(5),
            datetime_precision: num(6),
            collation_name: collation_name.as_deref(),
            collation,
            nullable: text(8).as_deref() == Some("YES"),
            extra: text(9).unwrap_or_default(),
        })
        .map_err(|e| protocol(format!("{schema}.{table} column {name}: {e}")))?;
        columns.push(col);
    }
    let primary_key = primary_key(conn, schema, table, &columns).await?;
    Ok(TableInfo {
        table_id: 0,
        schema: schema.to_string(),
        name: table.to_string(),
        columns,
        primary_key,
    })
}

/// The id of a MariaDB 10.10+ full collation name (`utf8mb4_uca1400_ai_ci`), which
/// `information_schema.COLLATIONS` lists without the charset prefix or id.
async fn full_collation_id(conn: &mut Conn, name: &str) -> Option<u16> {
    let id: Option<Option<u64>> = conn
        .exec_first(
            "SELECT ID FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY \
             WHERE FULL_COLLATION_NAME = ?",
            (name,),
        )
        .await
        .ok()?;
    id.flatten().and_then(|i| u16::try_from(i).ok())
}

/// An index's columns with their prefix lengths (`SUB_PART`).
type IndexColumns = Vec<(String, Option<u64>)>;

/// Primary key column indexes (0-based, key order).
async fn primary_key(
    conn: &mut Conn,
    schema: &str,
    table: &str,
    columns: &[ColumnInfo],
) -> Result<Vec<usize>, SourceError> {
    let rows: Vec<(String, String, u64, Option<u64>)> = conn
        .exec(
            "SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE, SUB_PART FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME = 'PRIMARY' DESC, \
             SEQ_IN_INDEX",
            (schema, table),
        )
        .await?;
    let position = |col: &str| columns.iter().position(|c| c.name.as_deref() == Some(col));
    let mut indexes: Vec<(String, IndexColumns)> = Vec::new();
    for (index, col, non_unique, sub_part) in rows {
        if non_unique != 0 {
            continue;
        }
        match indexes.iter_mut().find(|(n, _)| *n == index) {
            Some((_, cols)) => cols.push((col, sub_part)),
            None => indexes.push((index, vec![(col, sub_part)])),
        }
    }
    for (index, cols) in &indexes {
        let picked: Option<Vec<usize>> = cols.iter().map(|(c, _)| position(c)).collect();
        let Some(picked) = picked else { continue };
        let usable = index == "PRIMARY"
            || picked
                .iter()
                .zip(cols)
                .all(|(i, (_, sub))| !columns[*i].nullable && sub.is_none());
        if usable {
            return Ok(picked);
        }
    }
    Ok(Vec::new())
}

/// What `information_schema.COLUMNS` says about one column.
struct ColumnFacts<'a> {
    name: &'a str,
    data_type: &'a str,
    column_type: &'a str,
    octet_length: Option<u64>,
    precision: Option<u64>,
    scale: Option<u64>,
    datetime_precision: Option<u64>,
    collation_name: Option<&'a str>,
    collation: Option<u16>,
    nullable: bool,
    extra: String,
}

/// Maps one column's `information_schema` facts to TABLE_MAP type code and metadata.
fn column_info(f: ColumnFacts<'_>) -> Result<ColumnInfo, String> {
    use types::*;
    let lower_type = f.column_type.to_ascii_lowercase();
    let unsigned = lower_type.contains("unsigned");
    let fsp = || f.datetime_precision.unwrap_or(0).min(6) as u16;
    let octets = || -> Result<u16, String> {
        let n = f.octet_length.ok_or("no CHARACTER_OCTET_LENGTH")?;
        u16::try_from(n).map_err(|_| format!("length {n} too large for a CHAR/VARCHAR"))
    };
    // Blob/text metadata is the size of the length prefix.
    let (column_type, meta) = match f.data_type {
        "tinyint" => (TINY, 0),
        "smallint" => (SHORT, 0),
        "mediumint" => (INT24, 0),
        "int" | "integer" => (LONG, 0),
        "bigint" => (LONGLONG, 0),
        "float" => (FLOAT, 4),
        "double" | "real" | "double precision" => (DOUBLE, 8),
        "decimal" | "numeric" => {
            let p = f.precision.unwrap_or(10) as u16;
            let s = f.scale.unwrap_or(0) as u16;
            (NEWDECIMAL, p | (s << 8))
        }
        "bit" => {
            let width = paren_number(&lower_type).unwrap_or(1);
            ((BIT), ((width / 8) << 8) | (width % 8))
        }
        "year" => (YEAR, 0),
        "date" => (DATE, 0),
        "time" => (TIME2, fsp()),
        "datetime" => (DATETIME2, fsp()),
        "timestamp" => (TIMESTAMP2, fsp()),
        "char" | "binary" => (STRING, octets()?),
        "varchar" | "varbinary" => (VARCHAR, octets()?),
        "tinytext" | "tinyblob" => (BLOB, 1),
        "text" | "blob" => (BLOB, 2),
        "mediumtext" | "mediumblob" => (BLOB, 3),
        "longtext" | "longblob" => (BLOB, 4),
        "json" => (JSON, 4),
        "vector" => (VECTOR, 4),
        "enum" => {
            let n = labels(f.column_type).len();
            (ENUM, if n < 256 { 1 } else { 2 })
        }
        "set" => {
            let n = labels(f.column_type).len() as u16;
            let bytes = n.div_ceil(8);
            (SET, if bytes > 4 { 8 } else { bytes.max(1) })
        }
        "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
        | "multipolygon" | "geometrycollection" | "geomcollection" => (GEOMETRY, 4),
        other => return Err(format!("data type `{other}` is not supported")),
    };
    let character = matches!(column_type, STRING | VARCHAR | BLOB | ENUM | SET);
    let collation = if !character {
        None
    } else if f.collation_name.is_none() {
        Some(BINARY_COLLATION)
    } else {
        f.collation
    };
    let labels = if matches!(column_type, ENUM | SET) {
        let charset = charset_of(collation);
        Some(Arc::new(
            labels(f.column_type)
                .into_iter()
                .map(|l| from_utf8(&l, charset))
                .collect(),
        ))
    } else {
        None
    };
    let numeric = matches!(
        column_type,
        TINY | SHORT | INT24 | LONG | LONGLONG | NEWDECIMAL | FLOAT | DOUBLE
    );
    Ok(ColumnInfo {
        name: Some(f.name.to_string()),
        column_type,
        meta,
        unsigned: unsigned && numeric,
        collation,
        nullable: f.nullable,
        labels,
        visible: !f.extra.to_ascii_uppercase().contains("INVISIBLE"),
    })
}

/// The number in `bit(10)`.
fn paren_number(column_type: &str) -> Option<u16> {
    let start = column_type.find('(')? + 1;
    let end = start + column_type[start..].find(')')?;
    column_type[start..end].trim().parse().ok()
}

/// ENUM/SET labels from `COLUMN_TYPE` (`enum('a','it''s')`), as UTF-8 bytes.
fn labels(column_type: &str) -> Vec<Vec<u8>> {
    let Some(start) = column_type.find('(') else {
        return Vec::new();
    };
    let bytes = column_type.as_bytes();
    let mut out = Vec::new();
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] != b'\'' {
            i += 1;
            continue;
        }
        // A quoted label: '' is an escaped quote.
        let mut label = Vec::new();
        i += 1;
        while i < bytes.len() {
            if bytes[i] == b'\'' {
                if bytes.get(i + 1) == Some(&b'\'') {
                    label.push(b'\'');
                    i += 2;
                    continue;
                }
                i += 1;
                break;
            }
            label.push(bytes[i]);
            i += 1;
        }
        out.push(label);
    }
    out
}

/// Converts UTF-8 text (as `information_schema` shows labels) to the column's charset, as
/// the TABLE_MAP stores labels. Only latin1 needs converting among the charsets handled;
/// others are kept as UTF-8.
fn from_utf8(text: &[u8], charset: Charset) -> Vec<u8> {
    match (charset, std::str::from_utf8(text)) {
        (Charset::Latin1, Ok(s)) => s
            .chars()
            .map(|c| {
                let mut buf = [0u8; 4];
                let utf8 = c.encode_utf8(&mut buf);
                (0u8..=255)
                    .find(|b| to_utf8(&[*b], Charset::Latin1) == utf8.as_bytes())
                    .unwrap_or(b'?')
            })
            .collect(),
        _ => text.to_vec(),
    }
}

/// Starts the consistent-read transaction on `conn` and returns the binlog position it is
/// consistent with. `conn` must be used for nothing else until the snapshot is read.
///
/// Also sets the session up for [`read_chunk`]: `time_zone = '+00:00'` and
/// `character_set_results = NULL`.
///
/// - MariaDB: `START TRANSACTION WITH CONSISTENT SNAPSHOT` at REPEATABLE READ, then the
///   `binlog_snapshot_file` / `binlog_snapshot_position` status variables (the position
///   of exactly that snapshot, taken without any global lock) and
///   `BINLOG_GTID_POS(file, pos)` for the GTID state there.
/// - MySQL (untested here, no MySQL server available): `FLUSH TABLES WITH READ LOCK`, then
///   `START TRANSACTION WITH CONSISTENT SNAPSHOT`, `SHOW BINARY LOG STATUS` (8.2+) or
///   `SHOW MASTER STATUS` and `@@gtid_executed` while writes are blocked, then
///   `UNLOCK TABLES`. Needs the RELOAD privilege.
pub async fn begin(conn: &mut Conn) -> Result<SnapshotPoint, SourceError> {
    let info = server_info(conn).await?;
    conn.query_drop("SET SESSION time_zone = '+00:00', SESSION character_set_results = NULL")
        .await?;
    conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await?;
    let position = match info.flavor {
        Flavor::MariaDb => {
            conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                .await?;
            let status: Vec<(String, String)> =
                conn.query("SHOW STATUS LIKE 'binlog_snapshot_%'").await?;
            let get = |name: &str| {
                status
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            };
            let file = get("binlog_snapshot_file").unwrap_or_default();
            let pos: u64 = get("binlog_snapshot_position")
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or(0);
            if file.is_empty() {
                return Err(SourceError::Preflight {
                    setting: "log_bin".into(),
                    found: "OFF".into(),
                    problem: "binlog_snapshot_file is empty, so the binary log is disabled".into(),
                    fix: "start the source with log_bin=ON (my.cnf: log_bin=mysql-bin) and \
                          restart it"
                        .into(),
                });
            }
            let gtid: Option<Option<String>> = conn
                .exec_first("SELECT BINLOG_GTID_POS(?, ?)", (file.as_str(), pos))
                .await?;
            let gtid = match gtid.flatten() {
                Some(text) => Some(GtidState::MariaDb(text.parse::<MariaGtidState>().map_err(
                    |e| protocol(format!("BINLOG_GTID_POS returned `{text}`: {e}")),
                )?)),
                None => None,
            };
            Position {
                file_pos: FilePos { file, pos },
                gtid,
            }
        }
        // MySQL: untested against a live server (none in this project's test environment).
        Flavor::MySql => {
            match conn.query_drop("FLUSH TABLES WITH READ LOCK").await {
                Ok(()) => {}
                // ER_SPECIFIC_ACCESS_DENIED_ERROR / ER_DBACCESS_DENIED_ERROR: no RELOAD.
                Err(mysql_async::Error::Server(e)) if matches!(e.code, 1227 | 1044 | 1045) => {
                    return Err(SourceError::Preflight {
                        setting: "privileges".into(),
                        found: format!("FLUSH TABLES WITH READ LOCK refused: {}", e.message),
                        problem: "on MySQL the consistent copy takes a brief global read lock \
                                  to read the binlog position its snapshot matches"
                            .into(),
                        fix: "GRANT RELOAD ON *.* TO the replication user".into(),
                    })
                }
                Err(e) => return Err(e.into()),
            }
            let taken = mysql_position_locked(conn, info.at_least(8, 2, 0)).await;
            // Release the global lock whatever happened.
            let unlocked = conn.query_drop("UNLOCK TABLES").await;
            let position = taken?;
            unlocked?;
            position
        }
    };
    Ok(SnapshotPoint {
        position,
        flavor: info.flavor,
    })
}

/// Under FTWRL: start the snapshot transaction and read the position it matches.
async fn mysql_position_locked(
    conn: &mut Conn,
    binary_log_status: bool,
) -> Result<Position, SourceError> {
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .await?;
    let sql = if binary_log_status {
        "SHOW BINARY LOG STATUS"
    } else {
        "SHOW MASTER STATUS"
    };
    let row: Option<Row> = conn.query_first(sql).await?;
    let row = row.ok_or_else(|| protocol(format!("{sql} returned nothing: is log_bin ON?")))?;
    let file: Option<String> = row.get(0);
    let pos: Option<u64> = row.get(1);
    let (Some(file), Some(pos)) = (file, pos) else {
        return Err(protocol(format!("{sql} returned no file/position")));
    };
    let executed: Option<String> = conn.query_first("SELECT @@GLOBAL.gtid_executed").await?;
    let executed = executed.unwrap_or_default().replace('\n', "");
    let gtid = if executed.trim().is_empty() {
        None
    } else {
        Some(GtidState::MySql(executed.parse::<MySqlGtidSet>().map_err(
            |e| protocol(format!("@@gtid_executed `{executed}`: {e}")),
        )?))
    };
    Ok(Position {
        file_pos: FilePos { file, pos },
        gtid,
    })
}

/// Reads up to `limit` rows of `table` after the primary key `after` (one value per
/// primary-key column, in key order, as a previous chunk returned them), in primary-key
/// order, inside the transaction [`begin`] started on `conn`.
///
/// The statement is `SELECT cols FROM t WHERE (k1, k2) > (?, ?) ORDER BY k1, k2 LIMIT n`,
/// prepared and run through the binary protocol; the keys are bound as parameters. ENUM
/// and SET columns are selected as `col+0` (their index / bitmask, as the row image stores
/// them). A short chunk (fewer than `limit` rows) means the table is done.
///
/// Tables without a primary key (nor a UNIQUE index over NOT NULL columns) cannot be
/// paginated by key (duplicate rows are allowed): the whole table is returned by one
/// statement, `limit` is ignored and `after` must be `None`.
pub async fn read_chunk(
    conn: &mut Conn,
    table: &TableInfo,
    after: Option<&[Value]>,
    limit: usize,
) -> Result<Vec<SnapshotRow>, SourceError> {
    let select = select_list(table)?;
    let mut sql = format!(
        "SELECT {} FROM {}.{}",
        select.join(", "),
        quote(&table.schema),
        quote(&table.name)
    );
    let mut params = Vec::new();
    if table.primary_key.is_empty() {
        if after.is_some() {
            return Err(protocol(format!(
                "{} has no primary key: it is read in one chunk, there is no `after`",
                table.qualified_name()
            )));
        }
    } else {
        let mut keys = Vec::with_capacity(table.primary_key.len());
        for &k in &table.primary_key {
            let col = table
                .columns
                .get(k)
                .ok_or_else(|| protocol(format!("primary key column {k} does not exist")))?;
            keys.push(quote(&column_name(table, col, k)?));
        }
        if let Some(after) = after {
            if after.len() != keys.len() {
                return Err(protocol(format!(
                    "{}: `after` has {} values for a {}-column primary key",
                    table.qualified_name(),
                    after.len(),
                    keys.len()
                )));
            }
            for (v, &k) in after.iter().zip(&table.primary_key) {
                params.push(to_param(v, &table.columns[k]));
            }
            let marks = vec!["?"; keys.len()].join(", ");
            sql.push_str(&format!(" WHERE ({}) > ({marks})", keys.join(", ")));
        }
        sql.push_str(&format!(" ORDER BY {} LIMIT {limit}", keys.join(", ")));
    }
    let rows: Vec<Row> = conn.exec(sql, params).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(typed_row(table, row)?);
    }
    Ok(out)
}

/// Reads every row of `table` in one statement, streamed (never the whole table in
/// memory), handing them to `on_chunk` `chunk` rows at a time. For tables without a
/// primary key, which cannot be paginated by key. Returns the number of rows.
pub async fn read_all<F>(
    conn: &mut Conn,
    table: &TableInfo,
    chunk: usize,
    mut on_chunk: F,
) -> Result<u64, SourceError>
where
    F: FnMut(Vec<SnapshotRow>) -> Result<(), SourceError>,
{
    let sql = format!(
        "SELECT {} FROM {}.{}",
        select_list(table)?.join(", "),
        quote(&table.schema),
        quote(&table.name)
    );
    let chunk = chunk.max(1);
    let mut result = conn.exec_iter(sql, ()).await?;
    let mut buf = Vec::with_capacity(chunk);
    let mut total = 0u64;
    while let Some(row) = result.next().await? {
        buf.push(typed_row(table, row)?);
        total += 1;
        if buf.len() == chunk {
            on_chunk(std::mem::replace(&mut buf, Vec::with_capacity(chunk)))?;
        }
    }
    drop(result);
    if !buf.is_empty() {
        on_chunk(buf)?;
    }
    Ok(total)
}

fn select_list(table: &TableInfo) -> Result<Vec<String>, SourceError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = quote(&column_name(table, c, i)?);
            Ok(if matches!(c.column_type, types::ENUM | types::SET) {
                format!("{name}+0")
            } else {
                name
            })
        })
        .collect()
}

/// Types one result row as the binlog decoder would decode the same columns.
fn typed_row(table: &TableInfo, row: Row) -> Result<SnapshotRow, SourceError> {
    // `Row::unwrap` hands over the row's values; it can only panic for a value taken
    // earlier with `Row::take`, which this code never does.
    let values = row.unwrap();
    if values.len() != table.columns.len() {
        return Err(protocol(format!(
            "{}: the source returned {} columns, expected {}",
            table.qualified_name(),
            values.len(),
            table.columns.len()
        )));
    }
    let mut typed = Vec::with_capacity(values.len());
    for (i, (v, col)) in values.into_iter().zip(&table.columns).enumerate() {
        let value = from_mysql(v, col).map_err(|e| {
            protocol(format!(
                "{} column {}: {e}",
                table.qualified_name(),
                col.display_name(i)
            ))
        })?;
        typed.push(Some(value));
    }
    Ok(typed)
}

/// The primary-key values of a snapshot row, to pass as `after` for the next chunk.
pub fn key_of(table: &TableInfo, row: &[Option<Value>]) -> Vec<Value> {
    table
        .primary_key
        .iter()
        .map(|&k| row.get(k).cloned().flatten().unwrap_or(Value::Null))
        .collect()
}

fn column_name(table: &TableInfo, col: &ColumnInfo, i: usize) -> Result<String, SourceError> {
    col.name.clone().ok_or_else(|| {
        protocol(format!(
            "{} column {}: no column name (describe the table with describe_table)",
            table.qualified_name(),
            i + 1
        ))
    })
}

/// A key value as a statement parameter that compares like the column.
fn to_param(v: &Value, col: &ColumnInfo) -> mysql_async::Value {
    use mysql_async::Value as M;
    match v {
        Value::Null | Value::JsonDiffs(_) => M::NULL,
        Value::Int(i) => M::Int(*i),
        Value::UInt(u) => M::UInt(*u),
        Value::Float(f) => M::Float(*f),
        Value::Double(d) => M::Double(*d),
        Value::Decimal(s) | Value::Json(s) => M::Bytes(s.clone().into_bytes()),
        Value::Bit { bits, .. } => M::UInt(*bits),
        Value::Year(y) => M::UInt(u64::from(*y)),
        Value::Date(d) => M::Date(d.year, d.month, d.day, 0, 0, 0, 0),
        Value::Time(t) => M::Time(
            t.negative,
            t.hours / 24,
            (t.hours % 24) as u8,
            t.minutes,
            t.seconds,
            t.micros,
        ),
        Value::DateTime(dt) => M::Date(
            dt.date.year,
            dt.date.month,
            dt.date.day,
            dt.hour,
            dt.minute,
            dt.second,
            dt.micros,
        ),
        Value::Timestamp(ts) => {
            let (y, mo, d, h, mi, s) = civil_from_epoch(ts.seconds);
            M::Date(y, mo, d, h, mi, s, ts.micros)
        }
        // The parameter travels as utf8mb4 text; the server converts it to the column's
        // charset for the comparison. Binary strings go as they are.
        Value::Bytes(b) => M::Bytes(to_utf8(b, charset_of(col.collation))),
        Value::Enum(i) => M::UInt(u64::from(*i)),
        Value::Set(s) => M::UInt(*s),
        Value::Geometry(b) | Value::Vector(b) => M::Bytes(b.clone()),
    }
}

/// Types one binary-protocol value as the binlog decoder would decode the same column.
fn from_mysql(v: mysql_async::Value, col: &ColumnInfo) -> Result<Value, String> {
    use mysql_async::Value as M;
    use types::*;
    if v == M::NULL {
        return Ok(Value::Null);
    }
    let int = |v: &M| -> Result<i128, String> {
        match v {
            M::Int(i) => Ok(i128::from(*i)),
            M::UInt(u) => Ok(i128::from(*u)),
            M::Bytes(b) => std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| format!("expected an integer, got {v:?}")),
            other => Err(format!("expected an integer, got {other:?}")),
        }
    };
    let bytes = |v: M| -> Result<Vec<u8>, String> {
        match v {
            M::Bytes(b) => Ok(b),
            other => Err(format!("expected bytes, got {other:?}")),
        }
    };
    let fsp = (col.meta as u8).min(6);
    Ok(match col.column_type {
        TINY | SHORT | INT24 | LONG | LONGLONG => {
            let i = int(&v)?;
            if col.unsigned {
                Value::UInt(u64::try_from(i).map_err(|_| format!("{i} is not unsigned"))?)
            } else {
                Value::Int(i64::try_from(i).map_err(|_| format!("{i} out of range"))?)
            }
        }
        FLOAT => match v {
            M::Float(f) => Value::Float(f),
            M::Double(d) => Value::Float(d as f32),
            other => return Err(format!("expected FLOAT, got {other:?}")),
        },
        DOUBLE => match v {
            M::Double(d) => Value::Double(d),
            M::Float(f) => Value::Double(f64::from(f)),
            other => return Err(format!("expected DOUBLE, got {other:?}")),
        },
        NEWDECIMAL | DECIMAL => Value::Decimal(
            String::from_utf8(bytes(v)?).map_err(|_| "DECIMAL is not ASCII".to_string())?,
        ),
        BIT => {
            let b = bytes(v)?;
            if b.len() > 8 {
                return Err(format!("BIT value of {} bytes", b.len()));
            }
            let bits = b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
            Value::Bit {
                bits,
                width: (col.meta >> 8) * 8 + (col.meta & 0xff),
            }
        }
        YEAR => {
            let y = int(&v)?;
            Value::Year(u16::try_from(y).map_err(|_| format!("YEAR {y}"))?)
        }
        DATE | NEWDATE => match v {
            M::Date(year, month, day, ..) => Value::Date(Date { year, month, day }),
            other => return Err(format!("expected DATE, got {other:?}")),
        },
        TIME | TIME2 => match v {
            M::Time(negative, days, h, minutes, seconds, micros) => Value::Time(Time {
                negative,
                hours: days * 24 + u32::from(h),
                minutes,
                seconds,
                micros,
                fsp: if col.column_type == TIME { 0 } else { fsp },
            }),
            other => return Err(format!("expected TIME, got {other:?}")),
        },
        DATETIME | DATETIME2 => match v {
            M::Date(year, month, day, hour, minute, second, micros) => Value::DateTime(DateTime {
                date: Date { year, month, day },
                hour,
                minute,
                second,
                micros,
                fsp: if col.column_type == DATETIME { 0 } else { fsp },
            }),
            other => return Err(format!("expected DATETIME, got {other:?}")),
        },
        TIMESTAMP | TIMESTAMP2 => match v {
            M::Date(year, month, day, hour, minute, second, micros) => {
                let seconds = if year == 0 && month == 0 && day == 0 {
                    0
                } else {
                    epoch_from_civil(year, month, day, hour, minute, second)?
                };
                Value::Timestamp(Timestamp {
                    seconds,
                    micros,
                    fsp: if col.column_type == TIMESTAMP { 0 } else { fsp },
                })
            }
            other => return Err(format!("expected TIMESTAMP, got {other:?}")),
        },
        VARCHAR | VAR_STRING | BLOB | TINY_BLOB | MEDIUM_BLOB | LONG_BLOB => {
            Value::Bytes(bytes(v)?)
        }
        STRING => {
            let mut b = bytes(v)?;
            // Like the decoder: BINARY(n) values are n bytes.
            if col.is_binary() && b.len() < usize::from(col.meta) {
                b.resize(usize::from(col.meta), 0);
            }
            Value::Bytes(b)
        }
        ENUM => {
            let i = int(&v)?;
            Value::Enum(u16::try_from(i).map_err(|_| format!("ENUM index {i}"))?)
        }
        SET => {
            let i = int(&v)?;
            Value::Set(u64::try_from(i).map_err(|_| format!("SET bits {i}"))?)
        }
        JSON => Value::Json(
            String::from_utf8(bytes(v)?).map_err(|_| "JSON text is not UTF-8".to_string())?,
        ),
        GEOMETRY => Value::Geometry(bytes(v)?),
        VECTOR => Value::Vector(bytes(v)?),
        other => return Err(format!("column type {other} is not supported")),
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Epoch seconds of a UTC date and time (TIMESTAMPs read with `time_zone = '+00:00'`).
fn epoch_from_civil(
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
) -> Result<u32, String> {
    let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    u32::try_from(secs).map_err(|_| {
        format!("TIMESTAMP {year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} out of range")
    })
}

/// UTC date and time of epoch seconds.
fn civil_from_epoch(seconds: u32) -> (u16, u8, u8, u8, u8, u8) {
    let secs = i64::from(seconds);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y as u16,
        m as u8,
        d as u8,
        (rem / 3600) as u8,
        ((rem / 60) % 60) as u8,
        (rem % 60) as u8,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_round_trips() {
        for s in [1u32, 86_399, 951_782_400, 2_147_483_647, 4_102_444_800] {
            let (y, mo, d, h, mi, se) = civil_from_epoch(s);
            assert_eq!(epoch_from_civil(y, mo, d, h, mi, se).unwrap(), s);
        }
        assert_eq!(
            epoch_from_civil(2038, 1, 19, 3, 14, 7).unwrap(),
            2_147_483_647
        );
        assert_eq!(civil_from_epoch(0), (1970, 1, 1, 0, 0, 0));
    }

    #[test]
    fn labels_parse_with_escaped_quotes() {
        assert_eq!(
            labels("enum('a','it''s','é,x')"),
            vec![b"a".to_vec(), b"it's".to_vec(), "é,x".as_bytes().to_vec()]
        );
        assert_eq!(labels("set('')"), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn latin1_labels_are_reencoded() {
        assert_eq!(
            from_utf8("é€".as_bytes(), Charset::Latin1),
            vec![0xe9, 0x80]
        );
        assert_eq!(from_utf8("é".as_bytes(), Charset::Utf8), "é".as_bytes());
    }

    #[test]
    fn bit_width_packs_like_the_table_map() {
        let f = ColumnFacts {
            name: "b",
            data_type: "bit",
            column_type: "bit(10)",
            octet_length: None,
            precision: Some(10),
            scale: None,
            datetime_precision: None,
            collation_name: None,
            collation: None,
            nullable: true,
            extra: String::new(),
        };
        let c = column_info(f).unwrap();
        assert_eq!((c.column_type, c.meta), (types::BIT, (1 << 8) | 2));
        assert_eq!(c.collation, None);
    }
}
