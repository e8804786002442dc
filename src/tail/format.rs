//! How `tail` prints changes: `text` (readable, like `mysqlbinlog -v`), `json` (one object
//! per line), `csv` (the seeds' change file: `insert|1|Backordered|2020-06-01 12:00:00`),
//! or `none` (decode only, for measuring).

use std::io::{self, Write};

use jiff::tz::TimeZone;
use serde_json::{json, Map, Value as Json};

use crate::source::change::{Change, Row, RowChange};
use crate::source::table::TableInfo;
use crate::source::text::{is_binary_column, render};
use crate::source::value::Value;

/// Output format of `tail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable lines: BEGIN, INSERT/UPDATE/DELETE with column values, DDL, COMMIT.
    Text,
    /// One JSON object per change.
    Json,
    /// One delimited line per row change, action first; after-image for updates.
    Csv,
    /// Decode everything, print nothing but a summary on stderr.
    None,
}

/// Formatting settings shared by the formats.
#[derive(Debug, Clone)]
pub struct Style {
    /// Output format.
    pub format: Format,
    /// Zone TIMESTAMP values are shown in.
    pub tz: TimeZone,
    /// CSV field delimiter.
    pub delimiter: u8,
    /// What CSV prints for SQL NULL.
    pub null_marker: String,
}

/// Writes one change in the chosen format.
pub fn write_change(w: &mut impl Write, style: &Style, change: &Change) -> io::Result<()> {
    match style.format {
        Format::None => Ok(()),
        Format::Text => write_text(w, style, change),
        Format::Json => {
            serde_json::to_writer(&mut *w, &to_json(style, change))?;
            w.write_all(b"\n")
        }
        Format::Csv => match change {
            Change::Row(rc) => write_csv(w, style, rc),
            _ => Ok(()),
        },
    }
}

/// A value as display text: character data as UTF-8 (invalid bytes replaced), binary data
/// as `0x…` hex, NULL as `None`.
fn display(style: &Style, table: &TableInfo, idx: usize, value: &Value) -> Option<String> {
    let col = table.columns.get(idx)?;
    let bytes = render(value, col, &style.tz)?;
    Some(if is_binary_column(col) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut s = String::with_capacity(2 + bytes.len() * 2);
        s.push_str("0x");
        for b in &bytes {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        s
    } else {
        // Valid UTF-8 (the usual case) is taken over without a copy.
        String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    })
}

fn timestamp_text(ts: u32, tz: &TimeZone) -> String {
    jiff::Timestamp::from_second(i64::from(ts))
        .map(|t| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn write_text(w: &mut impl Write, style: &Style, change: &Change) -> io::Result<()> {
    match change {
        Change::Begin { gtid, timestamp } => {
            write!(w, "BEGIN {}", timestamp_text(*timestamp, &style.tz))?;
            if let Some(g) = gtid {
                write!(w, " gtid {g}")?;
            }
            writeln!(w)
        }
        Change::Row(rc) => {
            let name = rc.table.qualified_name();
            let kind = rc.kind.as_str().to_ascii_uppercase();
            write!(w, "  {kind} {name}")?;
            if let Some(b) = &rc.before {
                write!(w, " ")?;
                write_text_row(w, style, &rc.table, b)?;
            }
            if let Some(a) = &rc.after {
                write!(w, "{}", if rc.before.is_some() { " -> " } else { " " })?;
                write_text_row(w, style, &rc.table, a)?;
            }
            writeln!(w)
        }
        Change::Ddl { schema, statement } => {
            writeln!(w, "  DDL [{schema}] {}", statement.replace('\n', " "))
        }
        Change::Commit { position, .. } => writeln!(w, "COMMIT {position}"),
        Change::Savepoint { name } => writeln!(w, "  SAVEPOINT {name}"),
        Change::RollbackToSavepoint { name } => writeln!(w, "  ROLLBACK TO SAVEPOINT {name}"),
        Change::Discard => writeln!(w, "DISCARD (the changes since BEGIN did not happen)"),
    }
}

fn write_text_row(
    w: &mut impl Write,
    style: &Style,
    table: &TableInfo,
    row: &Row,
) -> io::Result<()> {
    write!(w, "(")?;
    let mut first = true;
    for (i, v) in row.iter().enumerate() {
        let Some(v) = v else { continue };
        if !first {
            write!(w, ", ")?;
        }
        first = false;
        let name = table
            .columns
            .get(i)
            .map(|c| c.display_name(i))
            .unwrap_or_default();
        match display(style, table, i, v) {
            None => write!(w, "{name}=NULL")?,
            Some(s) if is_quoted(v) => write!(w, "{name}='{}'", s.replace('\'', "''"))?,
            Some(s) => write!(w, "{name}={s}")?,
        }
    }
    write!(w, ")")
}

fn is_quoted(v: &Value) -> bool {
    !matches!(
        v,
        Value::Int(_) | Value::UInt(_) | Value::Float(_) | Value::Double(_) | Value::Decimal(_)
    )
}

fn row_json(style: &Style, table: &TableInfo, row: &Row) -> Json {
    let mut m = Map::new();
    for (i, v) in row.iter().enumerate() {
        let Some(v) = v else { continue };
        let name = table
            .columns
            .get(i)
            .map(|c| c.display_name(i))
            .unwrap_or_default();
        let j = match v {
            Value::Null => Json::Null,
            Value::Int(n) => json!(n),
            Value::UInt(n) => json!(n),
            Value::Float(f) if f.is_finite() => json!(f),
            Value::Double(f) if f.is_finite() => json!(f),
            Value::Json(text) => serde_json::from_str(text).unwrap_or_else(|_| json!(text)),
            other => display(style, table, i, other).map_or(Json::Null, Json::String),
        };
        m.insert(name, j);
    }
    Json::Object(m)
}

fn to_json(style: &Style, change: &Change) -> Json {
    match change {
        Change::Begin { gtid, timestamp } => json!({
            "type": "begin",
            "gtid": gtid.as_ref().map(|g| g.to_string()),
            "timestamp": timestamp_text(*timestamp, &style.tz),
        }),
        Change::Row(rc) => json!({
            "type": rc.kind.as_str(),
            "schema": rc.table.schema,
            "table": rc.table.name,
            "before": rc.before.as_ref().map(|r| row_json(style, &rc.table, r)),
            "after": rc.after.as_ref().map(|r| row_json(style, &rc.table, r)),
        }),
        Change::Ddl { schema, statement } => json!({
            "type": "ddl",
            "schema": schema,
            "statement": statement,
        }),
        Change::Commit {
            position,
            timestamp,
        } => json!({
            "type": "commit",
            "file": position.file_pos.file,
            "pos": position.file_pos.pos,
            "gtid": position.gtid.as_ref().map(|g| g.to_string().replace('\n', "")),
            "timestamp": timestamp_text(*timestamp, &style.tz),
        }),
        Change::Savepoint { name } => json!({ "type": "savepoint", "name": name }),
        Change::RollbackToSavepoint { name } => {
            json!({ "type": "rollback_to_savepoint", "name": name })
        }
        Change::Discard => json!({ "type": "discard" }),
    }
}

fn write_csv(w: &mut impl Write, style: &Style, rc: &RowChange) -> io::Result<()> {
    let Some(row) = rc.after.as_ref().or(rc.before.as_ref()) else {
        return Ok(());
    };
    w.write_all(rc.kind.as_str().as_bytes())?;
    for (i, v) in row.iter().enumerate() {
        w.write_all(&[style.delimiter])?;
        let text = match v {
            None => None,
            Some(v) => display(style, &rc.table, i, v),
        };
        match text {
            None => w.write_all(style.null_marker.as_bytes())?,
            Some(s) => write_csv_field(w, &s, style.delimiter)?,
        }
    }
    w.write_all(b"\n")
}

/// RFC 4180 quoting: fields holding the delimiter, a quote or a line break are quoted,
/// with quotes doubled.
fn write_csv_field(w: &mut impl Write, s: &str, delimiter: u8) -> io::Result<()> {
    let needs = s
        .bytes()
        .any(|b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r');
    if needs {
        w.write_all(b"\"")?;
        w.write_all(s.replace('"', "\"\"").as_bytes())?;
        w.write_all(b"\"")
    } else {
        w.write_all(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::change::RowKind;
    use crate::source::table::{types, ColumnInfo};
    use std::sync::Arc;

    fn table() -> Arc<TableInfo> {
        let col = |name: &str, t, coll| ColumnInfo {
            name: Some(name.to_string()),
            column_type: t,
            meta: 0,
            unsigned: false,
            collation: coll,
            nullable: true,
            labels: None,
            visible: true,
        };
        Arc::new(TableInfo {
            table_id: 1,
            schema: "shop".into(),
            name: "Orders".into(),
            columns: vec![
                col("id", types::LONG, None),
                col("status", types::VARCHAR, Some(45)),
                col("raw", types::BLOB, Some(63)),
            ],
            primary_key: vec![],
        })
    }

    fn style(format: Format) -> Style {
        Style {
            format,
            tz: TimeZone::UTC,
            delimiter: b'|',
            null_marker: String::new(),
        }
    }

    #[test]
    fn csv_matches_the_seed_change_file() {
        let rc = RowChange {
            table: table(),
            kind: RowKind::Insert,
            before: None,
            after: Some(vec![
                Some(Value::Int(1)),
                Some(Value::Bytes(b"Back|ordered".to_vec())),
                Some(Value::Null),
            ]),
        };
        let mut out = Vec::new();
        write_change(&mut out, &style(Format::Csv), &Change::Row(rc)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "insert|1|\"Back|ordered\"|\n"
        );
    }

    #[test]
    fn json_and_text_show_binary_as_hex() {
        let rc = RowChange {
            table: table(),
            kind: RowKind::Delete,
            before: Some(vec![
                Some(Value::Int(7)),
                Some(Value::Bytes(b"it's".to_vec())),
                Some(Value::Bytes(vec![0xff, 0x00])),
            ]),
            after: None,
        };
        let mut out = Vec::new();
        write_change(&mut out, &style(Format::Json), &Change::Row(rc.clone())).unwrap();
        let v: Json = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["type"], "delete");
        assert_eq!(v["before"]["id"], 7);
        assert_eq!(v["before"]["raw"], "0xFF00");
        let mut out = Vec::new();
        write_change(&mut out, &style(Format::Text), &Change::Row(rc)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  DELETE shop.Orders (id=7, status='it''s', raw='0xFF00')\n"
        );
    }
}
