//! One column value of a row image, decoded according to its TABLE_MAP type and metadata.

use super::error::{DecodeError, DecodeResult};
use super::reader::Reader;
use super::{decimal, json, temporal};
use crate::source::table::{types, ColumnInfo};
use crate::source::value::Value;

/// How JSON columns should be decoded: MySQL writes binary JSON; a JSON column updated in
/// place in a PARTIAL_UPDATE_ROWS after-image holds diffs instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonForm {
    /// A whole binary JSON document.
    Document,
    /// A list of JSON diffs against the before-image.
    Diffs,
}

/// Decodes the value of `col` at the reader's position (the column is known to be non-NULL).
pub fn decode_value(
    r: &mut Reader<'_>,
    col: &ColumnInfo,
    json_form: JsonForm,
) -> DecodeResult<Value> {
    use types::*;
    let meta = col.meta;
    Ok(match col.column_type {
        TINY => int(r, 1, col.unsigned)?,
        SHORT => int(r, 2, col.unsigned)?,
        INT24 => int(r, 3, col.unsigned)?,
        LONG => int(r, 4, col.unsigned)?,
        LONGLONG => int(r, 8, col.unsigned)?,
        FLOAT => Value::Float(f32::from_bits(r.u32_le("FLOAT")?)),
        DOUBLE => Value::Double(f64::from_bits(r.u64_le("DOUBLE")?)),
        NEWDECIMAL => {
            let (precision, scale) = ((meta & 0xff) as u8, (meta >> 8) as u8);
            Value::Decimal(decimal::decode_decimal(r, precision, scale)?)
        }
        YEAR => Value::Year(temporal::year(r)?),
        DATE | NEWDATE => Value::Date(temporal::date(r)?),
        TIME => Value::Time(temporal::time_old(r)?),
        TIME2 => Value::Time(temporal::time2(r, meta as u8)?),
        DATETIME => Value::DateTime(temporal::datetime_old(r)?),
        DATETIME2 => Value::DateTime(temporal::datetime2(r, meta as u8)?),
        TIMESTAMP => Value::Timestamp(temporal::timestamp_old(r)?),
        TIMESTAMP2 => Value::Timestamp(temporal::timestamp2(r, meta as u8)?),
        BIT => {
            let width = (meta >> 8) * 8 + (meta & 0xff);
            let n = usize::from(width.div_ceil(8));
            if n > 8 {
                return Err(DecodeError::new(format!("BIT({width}) wider than 64 bits")));
            }
            Value::Bit {
                bits: r.uint_be(n, "BIT")?,
                width,
            }
        }
        VARCHAR | VAR_STRING => {
            let prefix = if meta < 256 { 1 } else { 2 };
            Value::Bytes(length_prefixed(r, prefix, "VARCHAR")?.to_vec())
        }
        STRING => {
            let prefix = if meta < 256 { 1 } else { 2 };
            let mut bytes = length_prefixed(r, prefix, "CHAR")?.to_vec();
            // The binlog drops BINARY(n)'s trailing 0x00 padding, which is part of the
            // stored value (SELECT returns it): put it back.
            if col.is_binary() && bytes.len() < usize::from(meta) {
                bytes.resize(usize::from(meta), 0);
            }
            Value::Bytes(bytes)
        }
        ENUM => Value::Enum(r.uint_le(usize::from(meta.clamp(1, 2)), "ENUM")? as u16),
        SET => Value::Set(r.uint_le(usize::from(meta.clamp(1, 8)), "SET")?),
        BLOB | TINY_BLOB | MEDIUM_BLOB | LONG_BLOB => {
            Value::Bytes(length_prefixed(r, usize::from(meta), "BLOB")?.to_vec())
        }
        GEOMETRY => Value::Geometry(length_prefixed(r, usize::from(meta), "GEOMETRY")?.to_vec()),
        VECTOR => Value::Vector(length_prefixed(r, usize::from(meta), "VECTOR")?.to_vec()),
        JSON => {
            let bytes = length_prefixed(r, usize::from(meta), "JSON")?;
            match json_form {
                JsonForm::Document => Value::Json(json::json_to_text(bytes)?),
                JsonForm::Diffs => Value::JsonDiffs(json::decode_json_diffs(bytes)?),
            }
        }
        NULL => Value::Null,
        other => {
            return Err(DecodeError::new(format!(
                "column type {other} cannot be decoded from a row image"
            )))
        }
    })
}

fn int(r: &mut Reader<'_>, n: usize, unsigned: bool) -> DecodeResult<Value> {
    let raw = r.uint_le(n, "integer")?;
    Ok(if unsigned {
        Value::UInt(raw)
    } else {
        let shift = 64 - 8 * n as u32;
        Value::Int(((raw << shift) as i64) >> shift)
    })
}

fn length_prefixed<'a>(r: &mut Reader<'a>, prefix: usize, what: &str) -> DecodeResult<&'a [u8]> {
    if !(1..=4).contains(&prefix) {
        return Err(DecodeError::new(format!(
            "{what}: length prefix of {prefix} bytes is invalid"
        )));
    }
    let len = r.uint_le(prefix, what)?;
    let len =
        usize::try_from(len).map_err(|_| DecodeError::new(format!("{what}: length {len}")))?;
    r.take(len, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(t: u8, meta: u16, unsigned: bool) -> ColumnInfo {
        ColumnInfo {
            name: None,
            column_type: t,
            meta,
            unsigned,
            collation: None,
            nullable: true,
            labels: None,
            visible: true,
        }
    }

    fn dec(bytes: &[u8], c: &ColumnInfo) -> DecodeResult<Value> {
        decode_value(&mut Reader::new(bytes), c, JsonForm::Document)
    }

    #[test]
    fn integers_respect_width_and_sign() {
        assert_eq!(
            dec(&[0xff], &col(types::TINY, 0, false)).unwrap(),
            Value::Int(-1)
        );
        assert_eq!(
            dec(&[0xff], &col(types::TINY, 0, true)).unwrap(),
            Value::UInt(255)
        );
        assert_eq!(
            dec(&[0, 0, 0x80], &col(types::INT24, 0, false)).unwrap(),
            Value::Int(-8_388_608)
        );
        assert_eq!(
            dec(&[0xff; 8], &col(types::LONGLONG, 0, true)).unwrap(),
            Value::UInt(u64::MAX)
        );
        assert_eq!(
            dec(
                &[0, 0, 0, 0, 0, 0, 0, 0x80],
                &col(types::LONGLONG, 0, false)
            )
            .unwrap(),
            Value::Int(i64::MIN)
        );
    }

    #[test]
    fn strings_and_bits() {
        assert_eq!(
            dec(&[3, b'a', 0xff, b'c'], &col(types::VARCHAR, 10, false)).unwrap(),
            Value::Bytes(vec![b'a', 0xff, b'c'])
        );
        assert_eq!(
            dec(&[2, 0, b'x', b'y'], &col(types::VARCHAR, 300, false)).unwrap(),
            Value::Bytes(b"xy".to_vec())
        );
        // BIT(10): meta low byte = 2 extra bits, high byte = 1 full byte.
        assert_eq!(
            dec(&[0x03, 0xff], &col(types::BIT, (1 << 8) | 2, false)).unwrap(),
            Value::Bit {
                bits: 0x3ff,
                width: 10
            }
        );
    }

    #[test]
    fn binary_char_is_padded_to_its_length() {
        let mut c = col(types::STRING, 4, false);
        c.collation = Some(crate::source::table::BINARY_COLLATION);
        assert_eq!(
            dec(&[1, 0xff], &c).unwrap(),
            Value::Bytes(vec![0xff, 0, 0, 0])
        );
        c.collation = Some(45);
        assert_eq!(dec(&[1, b'a'], &c).unwrap(), Value::Bytes(vec![b'a']));
    }

    #[test]
    fn truncated_values_error() {
        assert!(dec(&[5, b'a'], &col(types::VARCHAR, 10, false)).is_err());
        assert!(dec(&[0xff, 0xff, 0xff, 0xff], &col(types::BLOB, 4, false)).is_err());
        assert!(dec(&[1], &col(types::BLOB, 9, false)).is_err());
        assert!(dec(&[], &col(types::LONG, 0, false)).is_err());
    }
}
