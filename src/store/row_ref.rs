//! Reading a stored row without copying its strings: the query path's decoder.
//!
//! [`codec::decode_row`](super::codec::decode_row) gives owned [`Value`]s, one heap
//! allocation per string or byte string. A table scan that turns rows into Arrow arrays
//! only looks at each value once, so [`decode_row_ref`] gives [`ValueRef`]s that borrow
//! the strings from the stored bytes instead (about half the time of a sysbench-row scan
//! was those allocations and frees).
//!
//! [`ValueRef`] mirrors [`Value`] variant for variant, in the same order, with the same
//! field types: bincode's serde encoding of an enum is its variant index and fields, so
//! the two read the same bytes. The tests decode every variant both ways and compare;
//! `ValueRef::to_value` is an exhaustive match, so a variant added to `Value` without its
//! mirror here fails to compile there or fails those tests.

use std::fmt;

use bincode::config::{self, Config};
use bincode::error::DecodeError;
use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::codec::{CodecError, MAX_ROW_BYTES, ROW_FORMAT_V1};
use crate::source::value::{Date, DateTime, JsonDiff, Time, Timestamp, Value};

/// One stored column value, its strings borrowed from the row's bytes. See [`Value`] for
/// what each variant means.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub enum ValueRef<'a> {
    /// SQL NULL.
    Null,
    /// A signed integer.
    Int(i64),
    /// An UNSIGNED integer.
    UInt(u64),
    /// FLOAT.
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// DECIMAL as MySQL prints it.
    Decimal(&'a str),
    /// BIT(n).
    Bit {
        /// The value's bits.
        bits: u64,
        /// Declared width in bits.
        width: u16,
    },
    /// YEAR.
    Year(u16),
    /// DATE.
    Date(Date),
    /// TIME.
    Time(Time),
    /// DATETIME.
    DateTime(DateTime),
    /// TIMESTAMP.
    Timestamp(Timestamp),
    /// Character or binary string bytes.
    Bytes(&'a [u8]),
    /// ENUM index (1-based).
    Enum(u16),
    /// SET bits.
    Set(u64),
    /// JSON text.
    Json(&'a str),
    /// JSON partial-update diffs (never in a stored row; kept so the variant indexes match).
    JsonDiffs(Vec<JsonDiff>),
    /// GEOMETRY bytes.
    Geometry(&'a [u8]),
    /// VECTOR bytes.
    Vector(&'a [u8]),
}

impl ValueRef<'_> {
    /// The owned value (tests, and callers that keep a value beyond the row's bytes).
    pub fn to_value(&self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Int(v) => Value::Int(*v),
            ValueRef::UInt(v) => Value::UInt(*v),
            ValueRef::Float(v) => Value::Float(*v),
            ValueRef::Double(v) => Value::Double(*v),
            ValueRef::Decimal(v) => Value::Decimal((*v).to_string()),
            ValueRef::Bit { bits, width } => Value::Bit {
                bits: *bits,
                width: *width,
            },
            ValueRef::Year(v) => Value::Year(*v),
            ValueRef::Date(v) => Value::Date(*v),
            ValueRef::Time(v) => Value::Time(*v),
            ValueRef::DateTime(v) => Value::DateTime(*v),
            ValueRef::Timestamp(v) => Value::Timestamp(*v),
            ValueRef::Bytes(v) => Value::Bytes(v.to_vec()),
            ValueRef::Enum(v) => Value::Enum(*v),
            ValueRef::Set(v) => Value::Set(*v),
            ValueRef::Json(v) => Value::Json((*v).to_string()),
            ValueRef::JsonDiffs(v) => Value::JsonDiffs(v.clone()),
            ValueRef::Geometry(v) => Value::Geometry(v.to_vec()),
            ValueRef::Vector(v) => Value::Vector(v.to_vec()),
        }
    }
}

/// Decodes a stored row (as [`decode_row`](super::codec::decode_row) does, with the same
/// checks and errors), borrowing strings from `bytes`. Every column is present.
pub fn decode_row_ref(bytes: &[u8]) -> Result<Vec<ValueRef<'_>>, CodecError> {
    let (&version, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    match version {
        ROW_FORMAT_V1 => decode_v1(body),
        0 => Err(CodecError::InvalidVersion),
        version => Err(CodecError::UnknownVersion { version }),
    }
}

/// The allocation limit: only the column list (and never-stored JSON diffs) allocate, at
/// most 8 counted bytes per body byte, as in `codec.rs`.
fn decode_v1(body: &[u8]) -> Result<Vec<ValueRef<'_>>, CodecError> {
    const SMALL: usize = 64 << 10;
    const LARGE: usize = 1 << 30;
    if body.len() > MAX_ROW_BYTES {
        return Err(CodecError::TooLarge { size: body.len() });
    }
    let decoded = if body.len().saturating_mul(8) <= SMALL {
        decode_limited(body, config::standard().with_limit::<SMALL>())
    } else {
        decode_limited(body, config::standard().with_limit::<LARGE>())
    };
    let (RowRef(row), used) = decoded.map_err(CodecError::Decode)?;
    match body.len() - used {
        0 => Ok(row),
        trailing => Err(CodecError::TrailingBytes { trailing }),
    }
}

fn decode_limited<C: Config>(body: &[u8], config: C) -> Result<(RowRef<'_>, usize), DecodeError> {
    bincode::serde::borrow_decode_from_slice(body, config)
}

/// A full row: the sequence of values.
struct RowRef<'a>(Vec<ValueRef<'a>>);

impl<'de> Deserialize<'de> for RowRef<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = RowRef<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence of column values")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RowRef<'de>, A::Error> {
                let cap = seq.size_hint().unwrap_or(0).min(super::codec::MAX_COLUMNS);
                let mut row = Vec::with_capacity(cap);
                while let Some(value) = seq.next_element::<ValueRef<'de>>()? {
                    row.push(value);
                }
                Ok(RowRef(row))
            }
        }
        deserializer.deserialize_seq(RowVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::value::JsonDiffOp;
    use crate::store::codec::{decode_row, encode_row};

    /// One value of every variant (the match makes adding a variant a compile error here).
    fn every_variant() -> Vec<Value> {
        let all = vec![
            Value::Null,
            Value::Int(-5),
            Value::UInt(u64::MAX),
            Value::Float(1.5),
            Value::Double(-2.25),
            Value::Decimal("-12.340".into()),
            Value::Bit {
                bits: 0b101,
                width: 3,
            },
            Value::Year(2024),
            Value::Date(Date {
                year: 2020,
                month: 6,
                day: 1,
            }),
            Value::Time(Time {
                negative: true,
                hours: 838,
                minutes: 59,
                seconds: 59,
                micros: 1,
                fsp: 6,
            }),
            Value::DateTime(DateTime {
                date: Date {
                    year: 2020,
                    month: 6,
                    day: 1,
                },
                hour: 12,
                minute: 0,
                second: 7,
                micros: 500,
                fsp: 3,
            }),
            Value::Timestamp(Timestamp {
                seconds: 1_600_000_000,
                micros: 9,
                fsp: 6,
            }),
            Value::Bytes(b"caf\xc3\xa9 \x00\xff".to_vec()),
            Value::Enum(2),
            Value::Set(0b11),
            Value::Json("{\"a\": [1, 2]}".into()),
            Value::JsonDiffs(vec![JsonDiff {
                operation: JsonDiffOp::Replace,
                path: "$.a".into(),
                value: Some("1".into()),
            }]),
            Value::Geometry(vec![0, 0, 0, 0, 1, 1, 0, 0, 0]),
            Value::Vector(1.0f32.to_le_bytes().to_vec()),
        ];
        for v in &all {
            match v {
                Value::Null
                | Value::Int(_)
                | Value::UInt(_)
                | Value::Float(_)
                | Value::Double(_)
                | Value::Decimal(_)
                | Value::Bit { .. }
                | Value::Year(_)
                | Value::Date(_)
                | Value::Time(_)
                | Value::DateTime(_)
                | Value::Timestamp(_)
                | Value::Bytes(_)
                | Value::Enum(_)
                | Value::Set(_)
                | Value::Json(_)
                | Value::JsonDiffs(_)
                | Value::Geometry(_)
                | Value::Vector(_) => {}
            }
        }
        all
    }

    #[test]
    fn every_variant_reads_as_the_owned_decoder_reads_it() {
        let row: Vec<Option<Value>> = every_variant().into_iter().map(Some).collect();
        let mut bytes = Vec::new();
        encode_row(&row, &mut bytes).unwrap();
        let owned = decode_row(&bytes).unwrap();
        let borrowed = decode_row_ref(&bytes).unwrap();
        assert_eq!(borrowed.len(), owned.len());
        for (b, o) in borrowed.iter().zip(&owned) {
            assert_eq!(Some(b.to_value()), *o);
        }
    }

    #[test]
    fn each_variant_alone_reads_the_same() {
        for v in every_variant() {
            let mut bytes = Vec::new();
            encode_row(&[Some(v.clone())], &mut bytes).unwrap();
            let borrowed = decode_row_ref(&bytes).unwrap();
            assert_eq!(
                borrowed.iter().map(ValueRef::to_value).collect::<Vec<_>>(),
                vec![v]
            );
        }
    }

    #[test]
    fn bad_input_is_an_error_as_in_the_owned_decoder() {
        assert!(matches!(decode_row_ref(&[]), Err(CodecError::Empty)));
        assert!(matches!(
            decode_row_ref(&[0, 1]),
            Err(CodecError::InvalidVersion)
        ));
        assert!(matches!(
            decode_row_ref(&[9, 1]),
            Err(CodecError::UnknownVersion { version: 9 })
        ));
        let mut bytes = Vec::new();
        encode_row(&[Some(Value::Bytes(b"abcdef".to_vec()))], &mut bytes).unwrap();
        // Truncated anywhere: an error, never a panic or a short value.
        for cut in 1..bytes.len() {
            assert!(decode_row_ref(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        bytes.push(0);
        assert!(matches!(
            decode_row_ref(&bytes),
            Err(CodecError::TrailingBytes { trailing: 1 })
        ));
        // A string claiming far more bytes than there are.
        let huge = [
            ROW_FORMAT_V1,
            1,
            12,
            253,
            0xff,
            0xff,
            0xff,
            0xff,
            0,
            0,
            0,
            0,
        ];
        assert!(decode_row_ref(&huge).is_err());
    }
}
