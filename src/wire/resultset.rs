//! Result sets on the wire: column definitions, rows in the text protocol (COM_QUERY) and
//! in the binary protocol (COM_STMT_EXECUTE).
//!
//! Wire format of a result set:
//! 1. the column count as a length-encoded integer;
//! 2. one ColumnDefinition41 per column: `def`, schema, table, org_table, name, org_name
//!    (length-encoded strings), `0x0C`, charset u16, length u32, type u8, flags u16,
//!    decimals u8, two zero bytes;
//! 3. an EOF packet, unless the client set CLIENT_DEPRECATE_EOF;
//! 4. the rows, one packet each:
//!    - text: per column a length-encoded string, or `0xFB` for NULL;
//!    - binary: `0x00`, a NULL bitmap of `(columns + 7 + 2) / 8` bytes whose first two
//!      bits are unused (offset 2), then each non-NULL value in the binary encoding of
//!      the column's type (TINY 1 byte, SHORT/YEAR 2, LONG/INT24 4, LONGLONG 8, FLOAT 4,
//!      DOUBLE 8, temporal types as a length byte and their fields, everything else as a
//!      length-encoded string);
//! 5. an EOF packet, or under CLIENT_DEPRECATE_EOF an OK packet with header `0xFE`; an
//!    error part-way through replaces it with an ERR packet.
//!
//! Rows arrive from the query layer as a stream of chunks; each chunk is written before
//! the next is pulled, so memory stays bounded by one chunk plus the write buffer. What
//! is queued is sent when the next chunk is not ready at once (and by the caller after the
//! terminator): one send for a result computed in one go.

use std::io::Write;

use futures_util::{FutureExt, StreamExt};
use mysql_common::constants::ColumnType;
use mysql_common::proto::MySerialize;
use mysql_common::value::Value as MyValue;
use tokio::io::{AsyncRead, AsyncWrite};

use super::packet::{put_lenenc_bytes, put_lenenc_int, PacketIo};
use super::WireError;
use crate::query::{ColumnDef, ResultSet, SqlError};
use crate::source::text::format_float;

/// Which row encoding a result set uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// COM_QUERY results: every value as text.
    Text,
    /// COM_STMT_EXECUTE results: values in their binary form.
    Binary,
}

/// How a streamed result set ended (the caller then sends the terminator or the ERR).
#[derive(Debug)]
pub enum RowsEnd {
    /// All rows were sent.
    Complete,
    /// The statement failed part-way through.
    Failed(SqlError),
}

/// One ColumnDefinition41 packet for `c` (see the module documentation).
///
/// Written here rather than with `mysql_common::packets::Column`: its serializer (only
/// used client-side in tests) writes the length before the charset, the reverse of the
/// protocol and of its own parser.
pub fn column_definition(c: &ColumnDef) -> Vec<u8> {
    let mut buf = Vec::with_capacity(
        24 + c.schema.len() + c.table.len() + c.org_table.len() + c.name.len() + c.org_name.len(),
    );
    put_lenenc_bytes(&mut buf, b"def");
    put_lenenc_bytes(&mut buf, c.schema.as_bytes());
    put_lenenc_bytes(&mut buf, c.table.as_bytes());
    put_lenenc_bytes(&mut buf, c.org_table.as_bytes());
    put_lenenc_bytes(&mut buf, c.name.as_bytes());
    put_lenenc_bytes(&mut buf, c.org_name.as_bytes());
    buf.push(0x0C);
    buf.extend_from_slice(&c.charset.to_le_bytes());
    buf.extend_from_slice(&c.length.to_le_bytes());
    buf.push(c.column_type as u8);
    buf.extend_from_slice(&c.flags.bits().to_le_bytes());
    buf.push(c.decimals);
    buf.extend_from_slice(&[0, 0]);
    buf
}

/// Sends the column count, the definitions and (without CLIENT_DEPRECATE_EOF) an EOF,
/// then every row; the caller sends the terminator or the ERR packet.
pub async fn send_rows<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut PacketIo<S>,
    protocol: Protocol,
    deprecate_eof: bool,
    eof: &[u8],
    mut result: ResultSet,
) -> Result<RowsEnd, WireError> {
    let mut buf = Vec::with_capacity(256);
    put_lenenc_int(&mut buf, result.columns.len() as u64);
    io.write(&buf).await?;
    for c in &result.columns {
        io.write(&column_definition(c)).await?;
    }
    if !deprecate_eof {
        io.write(eof).await?;
    }
    loop {
        // Queued packets go out only when the next chunk is not ready at once: a result
        // computed in one go (fast path, small queries) leaves in one send with its
        // terminator, as MariaDB sends it; a streaming one is flushed chunk by chunk (and
        // whenever the write buffer fills), so memory stays bounded.
        let next = match result.rows.next().now_or_never() {
            Some(next) => next,
            None => {
                io.flush().await?;
                result.rows.next().await
            }
        };
        let Some(chunk) = next else {
            break;
        };
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => return Ok(RowsEnd::Failed(e)),
        };
        for row in &chunk {
            buf.clear();
            match protocol {
                Protocol::Text => text_row(&mut buf, &result.columns, row),
                Protocol::Binary => binary_row(&mut buf, &result.columns, row),
            }
            io.write(&buf).await?;
        }
    }
    Ok(RowsEnd::Complete)
}

/// Appends one text-protocol row: per column a length-encoded string or `0xFB` (NULL).
/// Missing values are sent as NULL and extra values are ignored.
pub fn text_row(buf: &mut Vec<u8>, columns: &[ColumnDef], row: &[MyValue]) {
    let mut text = Vec::new();
    for (i, col) in columns.iter().enumerate() {
        match row.get(i) {
            None | Some(MyValue::NULL) => buf.push(0xFB),
            Some(MyValue::Bytes(b)) => put_lenenc_bytes(buf, b),
            Some(v) => {
                text.clear();
                put_text(&mut text, col, v);
                put_lenenc_bytes(buf, &text);
            }
        }
    }
}

/// Appends the text form of a non-NULL value as MySQL prints it for `col`.
pub fn put_text(out: &mut Vec<u8>, col: &ColumnDef, v: &MyValue) {
    // Writes to a Vec cannot fail.
    let _ = match v {
        MyValue::NULL => Ok(()),
        MyValue::Bytes(b) => {
            out.extend_from_slice(b);
            Ok(())
        }
        MyValue::Int(i) if col.column_type == ColumnType::MYSQL_TYPE_YEAR => {
            write!(out, "{i:04}")
        }
        MyValue::UInt(u) if col.column_type == ColumnType::MYSQL_TYPE_YEAR => {
            write!(out, "{u:04}")
        }
        MyValue::Int(i) => write!(out, "{i}"),
        MyValue::UInt(u) => write!(out, "{u}"),
        MyValue::Float(f) => put_float(out, col, f64::from(*f), true),
        MyValue::Double(d) => put_float(out, col, *d, false),
        MyValue::Date(y, mo, d, h, mi, s, us) => {
            if is_date_only(col.column_type) {
                write!(out, "{y:04}-{mo:02}-{d:02}")
            } else {
                let r = write!(out, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
                put_fraction(out, col.decimals, *us);
                r
            }
        }
        MyValue::Time(neg, days, h, mi, s, us) => {
            let hours = u64::from(*days) * 24 + u64::from(*h);
            let sign = if *neg { "-" } else { "" };
            let r = write!(out, "{sign}{hours:02}:{mi:02}:{s:02}");
            put_fraction(out, col.decimals, *us);
            r
        }
    };
}

fn put_float(out: &mut Vec<u8>, col: &ColumnDef, x: f64, single: bool) -> std::io::Result<()> {
    // A declared scale (FLOAT(7,2), ROUND(x, 2)) prints exactly that many digits; 31 means
    // none was declared and the shortest form is printed.
    if col.decimals < 31 && x.is_finite() {
        write!(out, "{:.*}", usize::from(col.decimals), x)
    } else {
        out.extend_from_slice(format_float(x, single).as_bytes());
        Ok(())
    }
}

/// `.ffffff` cut to `decimals` digits (0 to 6); a column without a declared precision
/// (decimals above 6) shows all six digits only when there are microseconds.
fn put_fraction(out: &mut Vec<u8>, decimals: u8, micros: u32) {
    let digits = match decimals {
        0..=6 => usize::from(decimals),
        _ if micros != 0 => 6,
        _ => 0,
    };
    if digits > 0 {
        let all = format!("{:06}", micros.min(999_999));
        out.push(b'.');
        out.extend_from_slice(all.as_bytes().get(..digits).unwrap_or_default());
    }
}

fn is_date_only(t: ColumnType) -> bool {
    matches!(
        t,
        ColumnType::MYSQL_TYPE_DATE | ColumnType::MYSQL_TYPE_NEWDATE
    )
}

/// Appends one binary-protocol row (see the module documentation).
pub fn binary_row(buf: &mut Vec<u8>, columns: &[ColumnDef], row: &[MyValue]) {
    buf.push(0x00);
    let bitmap_start = buf.len();
    let bitmap_len = (columns.len() + 7 + 2) / 8;
    buf.resize(bitmap_start + bitmap_len, 0);
    for (i, col) in columns.iter().enumerate() {
        match row.get(i) {
            None | Some(MyValue::NULL) => {
                let bit = i + 2;
                if let Some(byte) = buf.get_mut(bitmap_start + bit / 8) {
                    *byte |= 1 << (bit % 8);
                }
            }
            Some(v) => put_binary(buf, col, v),
        }
    }
}

/// Appends a non-NULL value in the binary encoding of `col`'s type; a value of another
/// kind is converted, so the bytes always have the width the column declares.
pub fn put_binary(buf: &mut Vec<u8>, col: &ColumnDef, v: &MyValue) {
    match col.column_type {
        ColumnType::MYSQL_TYPE_TINY => buf.push(as_i64(v) as u8),
        ColumnType::MYSQL_TYPE_SHORT | ColumnType::MYSQL_TYPE_YEAR => {
            buf.extend_from_slice(&(as_i64(v) as u16).to_le_bytes())
        }
        ColumnType::MYSQL_TYPE_LONG | ColumnType::MYSQL_TYPE_INT24 => {
            buf.extend_from_slice(&(as_i64(v) as u32).to_le_bytes())
        }
        ColumnType::MYSQL_TYPE_LONGLONG => buf.extend_from_slice(&as_i64(v).to_le_bytes()),
        ColumnType::MYSQL_TYPE_FLOAT => buf.extend_from_slice(&(as_f64(v) as f32).to_le_bytes()),
        ColumnType::MYSQL_TYPE_DOUBLE => buf.extend_from_slice(&as_f64(v).to_le_bytes()),
        ColumnType::MYSQL_TYPE_DATE
        | ColumnType::MYSQL_TYPE_NEWDATE
        | ColumnType::MYSQL_TYPE_DATETIME
        | ColumnType::MYSQL_TYPE_DATETIME2
        | ColumnType::MYSQL_TYPE_TIMESTAMP
        | ColumnType::MYSQL_TYPE_TIMESTAMP2 => match v {
            MyValue::Date(..) => v.serialize(buf),
            _ => buf.push(0),
        },
        ColumnType::MYSQL_TYPE_TIME | ColumnType::MYSQL_TYPE_TIME2 => match v {
            MyValue::Time(..) => v.serialize(buf),
            _ => buf.push(0),
        },
        // A NULL-typed column has no bytes for its values.
        ColumnType::MYSQL_TYPE_NULL => {}
        _ => match v {
            MyValue::Bytes(b) => put_lenenc_bytes(buf, b),
            _ => {
                let mut text = Vec::new();
                put_text(&mut text, col, v);
                put_lenenc_bytes(buf, &text);
            }
        },
    }
}

/// An integer view of any value: integers as they are (unsigned bit patterns kept),
/// floats truncated, text parsed (0 when it is not a number).
fn as_i64(v: &MyValue) -> i64 {
    match v {
        MyValue::Int(i) => *i,
        MyValue::UInt(u) => *u as i64,
        MyValue::Float(f) => *f as i64,
        MyValue::Double(d) => *d as i64,
        MyValue::Bytes(b) => {
            let s = std::str::from_utf8(b).unwrap_or("").trim();
            s.parse::<i64>()
                .or_else(|_| s.parse::<u64>().map(|u| u as i64))
                .unwrap_or_else(|_| s.parse::<f64>().map(|f| f as i64).unwrap_or(0))
        }
        MyValue::Date(y, ..) => i64::from(*y),
        MyValue::NULL | MyValue::Time(..) => 0,
    }
}

fn as_f64(v: &MyValue) -> f64 {
    match v {
        MyValue::Int(i) => *i as f64,
        MyValue::UInt(u) => *u as f64,
        MyValue::Float(f) => f64::from(*f),
        MyValue::Double(d) => *d,
        MyValue::Bytes(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0.0),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql_common::constants::ColumnFlags;
    use mysql_common::io::ParseBuf;
    use mysql_common::packets::{Column, NullBitmap};
    use mysql_common::proto::MyDeserialize;
    use mysql_common::value::{BinValue, ServerSide, TextValue, ValueDeserializer};

    fn col(t: ColumnType, flags: ColumnFlags, decimals: u8) -> ColumnDef {
        let mut c = ColumnDef::computed("c", t, 63, 20, flags);
        c.decimals = decimals;
        c
    }

    fn text(c: &ColumnDef, v: MyValue) -> String {
        let mut out = Vec::new();
        put_text(&mut out, c, &v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_values_print_like_mysql() {
        let int = col(ColumnType::MYSQL_TYPE_LONGLONG, ColumnFlags::empty(), 0);
        assert_eq!(text(&int, MyValue::Int(-42)), "-42");
        assert_eq!(text(&int, MyValue::UInt(u64::MAX)), "18446744073709551615");
        let dbl = col(ColumnType::MYSQL_TYPE_DOUBLE, ColumnFlags::empty(), 31);
        assert_eq!(text(&dbl, MyValue::Double(0.1)), "0.1");
        assert_eq!(text(&dbl, MyValue::Double(1e100)), "1e100");
        let flt = col(ColumnType::MYSQL_TYPE_FLOAT, ColumnFlags::empty(), 31);
        assert_eq!(text(&flt, MyValue::Float(1.1)), "1.1");
        let fixed = col(ColumnType::MYSQL_TYPE_DOUBLE, ColumnFlags::empty(), 2);
        assert_eq!(text(&fixed, MyValue::Double(2.5)), "2.50");
        let date = col(ColumnType::MYSQL_TYPE_DATE, ColumnFlags::empty(), 0);
        assert_eq!(
            text(&date, MyValue::Date(2024, 2, 29, 0, 0, 0, 0)),
            "2024-02-29"
        );
        let dt0 = col(ColumnType::MYSQL_TYPE_DATETIME, ColumnFlags::empty(), 0);
        let v = MyValue::Date(2024, 2, 29, 13, 5, 9, 123_456);
        assert_eq!(text(&dt0, v.clone()), "2024-02-29 13:05:09");
        let dt3 = col(ColumnType::MYSQL_TYPE_TIMESTAMP, ColumnFlags::empty(), 3);
        assert_eq!(text(&dt3, v.clone()), "2024-02-29 13:05:09.123");
        let dt6 = col(ColumnType::MYSQL_TYPE_DATETIME, ColumnFlags::empty(), 6);
        assert_eq!(
            text(&dt6, MyValue::Date(2024, 1, 1, 0, 0, 0, 5)),
            "2024-01-01 00:00:00.000005"
        );
        let time = col(ColumnType::MYSQL_TYPE_TIME, ColumnFlags::empty(), 0);
        assert_eq!(text(&time, MyValue::Time(true, 2, 3, 4, 5, 0)), "-51:04:05");
        assert_eq!(text(&time, MyValue::Time(false, 0, 0, 0, 0, 0)), "00:00:00");
        let time2 = col(ColumnType::MYSQL_TYPE_TIME, ColumnFlags::empty(), 2);
        assert_eq!(
            text(&time2, MyValue::Time(false, 35, 1, 0, 0, 990_000)),
            "841:00:00.99"
        );
        let year = col(ColumnType::MYSQL_TYPE_YEAR, ColumnFlags::UNSIGNED_FLAG, 0);
        assert_eq!(text(&year, MyValue::UInt(0)), "0000");
    }

    #[test]
    fn text_rows_parse_back_with_mysql_common() {
        let cols = vec![
            ColumnDef::text("a"),
            ColumnDef::bigint("b", false),
            ColumnDef::text("c"),
        ];
        let mut buf = Vec::new();
        text_row(
            &mut buf,
            &cols,
            &[
                MyValue::Bytes(b"x\xff".to_vec()),
                MyValue::Int(7),
                MyValue::NULL,
            ],
        );
        let mut p = ParseBuf(&buf);
        let got: Vec<MyValue> = (0..3)
            .map(|_| {
                ValueDeserializer::<TextValue>::deserialize((), &mut p)
                    .unwrap()
                    .0
            })
            .collect();
        assert_eq!(
            got,
            vec![
                MyValue::Bytes(b"x\xff".to_vec()),
                MyValue::Bytes(b"7".to_vec()),
                MyValue::NULL
            ]
        );
        assert!(p.is_empty());
        // A short row pads with NULL instead of panicking.
        buf.clear();
        text_row(&mut buf, &cols, &[]);
        assert_eq!(buf, vec![0xFB; 3]);
    }

    #[test]
    fn binary_rows_use_the_declared_widths() {
        let u = ColumnFlags::UNSIGNED_FLAG;
        let e = ColumnFlags::empty();
        let cols = vec![
            col(ColumnType::MYSQL_TYPE_TINY, e, 0),
            col(ColumnType::MYSQL_TYPE_SHORT, e, 0),
            col(ColumnType::MYSQL_TYPE_YEAR, u, 0),
            col(ColumnType::MYSQL_TYPE_INT24, e, 0),
            col(ColumnType::MYSQL_TYPE_LONG, u, 0),
            col(ColumnType::MYSQL_TYPE_LONGLONG, u, 0),
            col(ColumnType::MYSQL_TYPE_FLOAT, e, 31),
            col(ColumnType::MYSQL_TYPE_DOUBLE, e, 31),
            col(ColumnType::MYSQL_TYPE_DATETIME, e, 6),
            col(ColumnType::MYSQL_TYPE_TIME, e, 0),
            col(ColumnType::MYSQL_TYPE_VAR_STRING, e, 0),
            col(ColumnType::MYSQL_TYPE_NEWDECIMAL, e, 2),
            col(ColumnType::MYSQL_TYPE_LONGLONG, e, 0),
        ];
        let row = vec![
            MyValue::Int(-5),
            MyValue::Int(-300),
            MyValue::UInt(2024),
            MyValue::Int(-70000),
            MyValue::UInt(4_000_000_000),
            MyValue::UInt(u64::MAX),
            MyValue::Float(1.5),
            MyValue::Double(-2.25),
            MyValue::Date(2024, 2, 29, 1, 2, 3, 456),
            MyValue::Time(true, 1, 2, 3, 4, 0),
            MyValue::Bytes(b"hi".to_vec()),
            MyValue::Bytes(b"12.34".to_vec()),
            MyValue::NULL,
        ];
        let mut buf = Vec::new();
        binary_row(&mut buf, &cols, &row);
        assert_eq!(buf[0], 0);
        let mut p = ParseBuf(&buf[1..]);
        let bitmap = NullBitmap::<ServerSide, Vec<u8>>::read(&mut p.0, cols.len());
        let mut got = vec![];
        for (i, c) in cols.iter().enumerate() {
            if bitmap.is_null(i) {
                got.push(MyValue::NULL);
                continue;
            }
            let v = ValueDeserializer::<BinValue>::deserialize((c.column_type, c.flags), &mut p)
                .unwrap()
                .0;
            got.push(v);
        }
        assert!(p.is_empty(), "no bytes left over");
        assert_eq!(got[0], MyValue::Int(-5));
        assert_eq!(got[1], MyValue::Int(-300));
        assert_eq!(got[2], MyValue::Int(2024));
        assert_eq!(got[3], MyValue::Int(-70000));
        assert_eq!(got[4], MyValue::Int(4_000_000_000));
        assert_eq!(got[5], MyValue::UInt(u64::MAX));
        assert_eq!(got[6], MyValue::Float(1.5));
        assert_eq!(got[7], MyValue::Double(-2.25));
        assert_eq!(got[8], MyValue::Date(2024, 2, 29, 1, 2, 3, 456));
        assert_eq!(got[9], MyValue::Time(true, 1, 2, 3, 4, 0));
        assert_eq!(got[10], MyValue::Bytes(b"hi".to_vec()));
        assert_eq!(got[11], MyValue::Bytes(b"12.34".to_vec()));
        assert_eq!(got[12], MyValue::NULL);
        // Bitmap: column 12 is NULL at bit 14.
        assert_eq!(buf[1 + 14 / 8] & (1 << (14 % 8)), 1 << 6);
    }

    #[test]
    fn mismatched_values_keep_the_column_width() {
        let tiny = col(ColumnType::MYSQL_TYPE_TINY, ColumnFlags::empty(), 0);
        let mut buf = vec![];
        put_binary(&mut buf, &tiny, &MyValue::Bytes(b"12".to_vec()));
        assert_eq!(buf, vec![12]);
        let s = col(ColumnType::MYSQL_TYPE_VAR_STRING, ColumnFlags::empty(), 0);
        buf.clear();
        put_binary(&mut buf, &s, &MyValue::Int(42));
        assert_eq!(buf, vec![2, b'4', b'2']);
    }

    #[test]
    fn column_definitions_parse_back() {
        let mut c = ColumnDef::text("name");
        c.schema = "shop".into();
        c.table = "t".into();
        c.org_table = "orders".into();
        let bytes = column_definition(&c);
        let parsed = Column::deserialize((), &mut ParseBuf(&bytes)).unwrap();
        assert_eq!(parsed.name_str(), "name");
        assert_eq!(parsed.schema_str(), "shop");
        assert_eq!(parsed.org_table_str(), "orders");
        assert_eq!(parsed.character_set(), 45);
        assert_eq!(parsed.column_type(), ColumnType::MYSQL_TYPE_VAR_STRING);
        assert_eq!(parsed.decimals(), 39);
        assert_eq!(parsed.column_length(), 256);
        assert_eq!(parsed.flags(), c.flags);
    }
}
