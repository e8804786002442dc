//! TABLE_MAP event body → [`TableInfo`].
//!
//! Layout: table id (6 bytes, 4 in pre-5.1.4 binlogs), flags (2), schema name (length byte,
//! bytes, NUL), table name (same), column count (lenenc), one type byte per column, a
//! length-prefixed block of per-column metadata, the nullability bitmap, and then optional
//! metadata as type-length-value fields (MySQL 8 / MariaDB 10.5 `binlog_row_metadata`).

use std::sync::Arc;

use super::error::{DecodeError, DecodeResult};
use super::reader::Reader;
use crate::source::table::{types, ColumnInfo, TableInfo};

// Optional metadata field types.
const SIGNEDNESS: u8 = 1;
const DEFAULT_CHARSET: u8 = 2;
const COLUMN_CHARSET: u8 = 3;
const COLUMN_NAME: u8 = 4;
const SET_STR_VALUE: u8 = 5;
const ENUM_STR_VALUE: u8 = 6;
const GEOMETRY_TYPE: u8 = 7;
const SIMPLE_PRIMARY_KEY: u8 = 8;
const PRIMARY_KEY_WITH_PREFIX: u8 = 9;
const ENUM_AND_SET_DEFAULT_CHARSET: u8 = 10;
const ENUM_AND_SET_COLUMN_CHARSET: u8 = 11;
const COLUMN_VISIBILITY: u8 = 12;
const VECTOR_DIMENSIONALITY: u8 = 13;

/// Upper bound on columns: MySQL and MariaDB allow at most 4096 per table. Anything more
/// is garbage (and would make every decoded row image needlessly large).
const MAX_COLUMNS: usize = 4096;

/// Parses a TABLE_MAP body. `table_id_len` is 6 (or 4 for binlogs whose FDE says so).
pub fn parse_table_map(body: &[u8], table_id_len: usize) -> DecodeResult<TableInfo> {
    let mut r = Reader::new(body);
    let table_id = r.uint_le(table_id_len, "table id")?;
    r.skip(2, "table map flags")?;
    let schema = read_name(&mut r, "schema name")?;
    let name = read_name(&mut r, "table name")?;
    let count = r.lenenc_usize("column count")?;
    if count == 0 || count > MAX_COLUMNS {
        return Err(DecodeError::new(format!(
            "table map for {schema}.{name}: implausible column count {count}"
        )));
    }
    let type_bytes = r.take(count, "column types")?;
    let meta_len = r.lenenc_usize("metadata length")?;
    let mut meta_r = Reader::new(r.take(meta_len, "column metadata")?);
    let null_bits = r.take(count.div_ceil(8), "null bitmap")?;

    let mut columns = Vec::with_capacity(count);
    for (i, &t) in type_bytes.iter().enumerate() {
        let (column_type, meta) = read_column_meta(&mut meta_r, t)
            .map_err(|e| e.context(format!("{schema}.{name} column {}", i + 1)))?;
        columns.push(ColumnInfo {
            name: None,
            column_type,
            meta,
            unsigned: false,
            collation: None,
            nullable: bit_lsb(null_bits, i),
            labels: None,
            visible: true,
        });
    }
    let mut info = TableInfo {
        table_id,
        schema,
        name,
        columns,
        primary_key: Vec::new(),
    };
    read_optional_metadata(&mut r, &mut info)
        .map_err(|e| e.context(format!("table map for {}", info.qualified_name())))?;
    Ok(info)
}

fn read_name(r: &mut Reader<'_>, what: &str) -> DecodeResult<String> {
    let len = usize::from(r.u8(what)?);
    let bytes = r.take(len, what)?;
    r.skip(1, what)?; // NUL terminator
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

/// Bit `i` of a bitmap stored least-significant bit first (null bitmaps, row bitmaps).
pub(crate) fn bit_lsb(bits: &[u8], i: usize) -> bool {
    bits.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

/// Bit `i` of a bitmap stored most-significant bit first (optional metadata bitmaps).
fn bit_msb(bits: &[u8], i: usize) -> bool {
    bits.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0)
}

/// Reads one column's metadata and resolves CHAR columns that really hold ENUM/SET.
fn read_column_meta(r: &mut Reader<'_>, t: u8) -> DecodeResult<(u8, u16)> {
    use types::*;
    Ok(match t {
        FLOAT | DOUBLE | BLOB | TINY_BLOB | MEDIUM_BLOB | LONG_BLOB | GEOMETRY | JSON | VECTOR
        | TIMESTAMP2 | DATETIME2 | TIME2 => (t, u16::from(r.u8("metadata")?)),
        VARCHAR | VAR_STRING | BIT | NEWDECIMAL | ENUM | SET => (t, r.u16_le("metadata")?),
        STRING => {
            // Stored big-endian-ish: first byte the real type (with length bits folded
            // into bits 4-5 for CHAR longer than 255), second byte the low length byte.
            let b0 = r.u8("metadata")?;
            let b1 = r.u8("metadata")?;
            let (real, len) = if b0 & 0x30 != 0x30 {
                (
                    b0 | 0x30,
                    (u16::from((b0 & 0x30) ^ 0x30) << 4) | u16::from(b1),
                )
            } else {
                (b0, u16::from(b1))
            };
            match real {
                ENUM | SET => (real, len),
                _ => (STRING, len),
            }
        }
        DECIMAL | TINY | SHORT | LONG | NULL | TIMESTAMP | LONGLONG | INT24 | DATE | TIME
        | DATETIME | YEAR | NEWDATE => (t, 0),
        other => {
            return Err(DecodeError::new(format!(
                "column type {other} is not supported (MariaDB compressed columns and \
                 MySQL typed arrays cannot be decoded)"
            )))
        }
    })
}

/// Whether signedness metadata has a bit for this column type.
fn is_numeric(t: u8) -> bool {
    use types::*;
    matches!(
        t,
        TINY | SHORT | INT24 | LONG | LONGLONG | NEWDECIMAL | FLOAT | DOUBLE | DECIMAL
    )
}

/// Whether charset metadata has an entry for this column type (ENUM/SET have their own).
fn is_character(t: u8) -> bool {
    use types::*;
    matches!(
        t,
        STRING | VAR_STRING | VARCHAR | BLOB | TINY_BLOB | MEDIUM_BLOB | LONG_BLOB
    )
}

fn is_enum_or_set(t: u8) -> bool {
    t == types::ENUM || t == types::SET
}

fn read_optional_metadata(r: &mut Reader<'_>, info: &mut TableInfo) -> DecodeResult<()> {
    while !r.is_empty() {
        let field = r.u8("optional metadata type")?;
        let len = r.lenenc_usize("optional metadata length")?;
        let mut f = Reader::new(r.take(len, "optional metadata value")?);
        match field {
            SIGNEDNESS => {
                let bits = f.rest();
                for (n, col) in info
                    .columns
                    .iter_mut()
                    .filter(|c| is_numeric(c.column_type))
                    .enumerate()
                {
                    col.unsigned = bit_msb(bits, n);
                }
            }
            DEFAULT_CHARSET | ENUM_AND_SET_DEFAULT_CHARSET => {
                let pick: fn(u8) -> bool = if field == DEFAULT_CHARSET {
                    is_character
                } else {
                    is_enum_or_set
                };
                let default = u16::try_from(f.lenenc_usize("default charset")?).ok();
                let mut exceptions = Vec::new();
                while !f.is_empty() {
                    let idx = f.lenenc_usize("charset column index")?;
                    let coll = u16::try_from(f.lenenc_usize("charset collation")?).ok();
                    exceptions.push((idx, coll));
                }
                for (n, col) in info
                    .columns
                    .iter_mut()
                    .filter(|c| pick(c.column_type))
                    .enumerate()
                {
                    col.collation = exceptions
                        .iter()
                        .find(|(i, _)| *i == n)
                        .map_or(default, |(_, c)| *c);
                }
            }
            COLUMN_CHARSET | ENUM_AND_SET_COLUMN_CHARSET => {
                let pick: fn(u8) -> bool = if field == COLUMN_CHARSET {
                    is_character
                } else {
                    is_enum_or_set
                };
                for col in info.columns.iter_mut().filter(|c| pick(c.column_type)) {
                    if f.is_empty() {
                        break;
                    }
                    col.collation = u16::try_from(f.lenenc_usize("column charset")?).ok();
                }
            }
            COLUMN_NAME => {
                for col in info.columns.iter_mut() {
                    if f.is_empty() {
                        break;
                    }
                    let n = f.lenenc_usize("column name length")?;
                    col.name =
                        Some(String::from_utf8_lossy(f.take(n, "column name")?).into_owned());
                }
            }
            SET_STR_VALUE | ENUM_STR_VALUE => {
                let wanted = if field == SET_STR_VALUE {
                    types::SET
                } else {
                    types::ENUM
                };
                for col in info.columns.iter_mut().filter(|c| c.column_type == wanted) {
                    if f.is_empty() {
                        break;
                    }
                    let count = f.lenenc_usize("label count")?;
                    let mut labels = Vec::with_capacity(count.min(f.remaining()));
                    for _ in 0..count {
                        let n = f.lenenc_usize("label length")?;
                        labels.push(f.take(n, "label")?.to_vec());
                    }
                    col.labels = Some(Arc::new(labels));
                }
            }
            SIMPLE_PRIMARY_KEY => {
                while !f.is_empty() {
                    info.primary_key.push(f.lenenc_usize("primary key column")?);
                }
            }
            PRIMARY_KEY_WITH_PREFIX => {
                while !f.is_empty() {
                    info.primary_key.push(f.lenenc_usize("primary key column")?);
                    f.lenenc_usize("primary key prefix")?;
                }
            }
            COLUMN_VISIBILITY => {
                let bits = f.rest();
                for (i, col) in info.columns.iter_mut().enumerate() {
                    col.visible = bit_msb(bits, i);
                }
            }
            // Geometry subtypes and vector dimensions do not change how values decode.
            GEOMETRY_TYPE | VECTOR_DIMENSIONALITY => {}
            // Newer servers may add fields; they are self-delimiting, so skipping is safe.
            _ => {}
        }
    }
    if let Some(bad) = info.primary_key.iter().find(|i| **i >= info.columns.len()) {
        return Err(DecodeError::new(format!(
            "primary key names column {bad}, but the table has {} columns",
            info.columns.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut b = vec![7, 0, 0, 0, 0, 0, 1, 0];
        b.extend([2, b'd', b'b', 0, 1, b't', 0]);
        b.push(4); // 4 columns
        b.extend([
            types::LONG,
            types::VARCHAR,
            types::STRING,
            types::NEWDECIMAL,
        ]);
        b.extend([6, 0x40, 0x00, 0xf7, 0x01, 10, 2]); // meta: varchar 64, enum(1 byte), decimal(10,2)
        b.push(0b0000_1110); // nullable: cols 2,3,4
        b.extend([SIGNEDNESS, 1, 0b1000_0000]); // first numeric (LONG) unsigned, decimal signed
        b.extend([DEFAULT_CHARSET, 1, 45]);
        b.extend([COLUMN_NAME, 9, 2, b'i', b'd', 1, b'v', 1, b'e', 1, b'd']);
        b.extend([ENUM_STR_VALUE, 5, 2, 1, b'a', 1, b'b']);
        b.extend([SIMPLE_PRIMARY_KEY, 1, 0]);
        b
    }

    #[test]
    fn parses_columns_and_optional_metadata() {
        let t = parse_table_map(&sample(), 6).unwrap();
        assert_eq!(t.table_id, 7);
        assert_eq!(t.qualified_name(), "db.t");
        assert_eq!(t.columns.len(), 4);
        assert_eq!(t.columns[0].column_type, types::LONG);
        assert!(t.columns[0].unsigned);
        assert!(!t.columns[0].nullable);
        assert_eq!(t.columns[1].meta, 64);
        assert_eq!(t.columns[1].collation, Some(45));
        assert_eq!(t.columns[2].column_type, types::ENUM);
        assert_eq!(t.columns[2].meta, 1);
        assert_eq!(
            t.columns[2].labels.as_deref(),
            Some(&vec![b"a".to_vec(), b"b".to_vec()])
        );
        assert_eq!(t.columns[3].meta, 10 | (2 << 8));
        assert!(!t.columns[3].unsigned);
        assert_eq!(
            t.columns
                .iter()
                .map(|c| c.name.clone().unwrap())
                .collect::<Vec<_>>(),
            ["id", "v", "e", "d"]
        );
        assert_eq!(t.primary_key, vec![0]);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let full = sample();
        // Cuts inside the optional metadata may still parse as fewer fields; cuts before
        // the null bitmap must fail.
        for cut in 0..full.len() {
            let _ = parse_table_map(&full[..cut], 6);
        }
        assert!(parse_table_map(&full[..20], 6).is_err());
    }
}
