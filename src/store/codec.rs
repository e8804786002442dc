//! The row value codec: how one stored row (the value half of a RocksDB entry) is laid out.
//!
//! # Format
//!
//! ```text
//! row     = version:u8  body
//! version = 1 (ROW_FORMAT_V1)
//! body    = bincode 2.x, serde path, `config::standard()` (little endian, varint integers)
//!           of a sequence of `Value`: varint column count, then each column's `Value`
//! ```
//!
//! Each `Value` is bincode's serde encoding of the enum in [`crate::source::value`]: a
//! varint variant index, then the fields (integers as zigzag/plain varints, floats as their
//! little-endian IEEE bits so NaN payloads and infinities survive, strings and byte strings
//! as varint length + the bytes). The byte-string variants (`Bytes`, `Geometry`, `Vector`)
//! are marked `serde_bytes` in `value.rs`: the bytes on disk are the same as a sequence of
//! `u8`, but encode and decode become one length + one copy instead of a call per byte
//! (2.5-3x faster on sysbench rows, see `benches/row_codec.rs`). The variant index is the
//! declaration order of `Value`: **reordering, removing or inserting variants changes the
//! stored format** and needs a new format version (appending one keeps old rows readable,
//! but bump the version anyway so an older replicant names the problem instead of failing
//! on an unknown variant). The `golden_bytes_v1` test pins the layout.
//!
//! The leading version byte lets a later replicant change the layout (a columnar-friendly
//! body, a new `Value` variant order) and still read old rows, and lets this replicant
//! refuse rows written by a newer one with a clear message instead of decoding garbage.
//!
//! # Only full rows are stored
//!
//! A decoded binlog row is `Vec<Option<Value>>`, where `None` means "column absent from the
//! image" (a MINIMAL/NOBLOB row image), which is not the same as SQL NULL
//! (`Some(Value::Null)`). The store merges a partial image with the stored row before it
//! writes, so a stored row is always a full image, and [`encode_row`] **rejects `None`**
//! with [`CodecError::AbsentColumn`] naming the column. Why an error rather than storing it:
//! a hole in a stored row has no meaning any reader could give it (the SQL layer would have
//! to invent a value, NULL being the worst guess since it is a real value), so storing one
//! would turn a merge bug into silently wrong query results; refusing it turns the bug into
//! a loud failure of the transaction that caused it. As a consequence the body carries no
//! per-column Option tag (one byte per column saved), and [`decode_row`] returns every
//! column as `Some`. (`Value::JsonDiffs` is encodable like any value; applying diffs to the
//! stored JSON before writing is, like merging images, the store's job.)
//!
//! # Bounds
//!
//! A stored row body is at most [`MAX_ROW_BYTES`] = 1 GiB, MySQL's and MariaDB's largest
//! `max_allowed_packet` (and replica `max_allowed_packet`): a row image bigger than that
//! cannot arrive through the binlog, nor be sent to a client, so it is not a row the
//! store has to keep. [`encode_row`] refuses bigger rows and [`decode_row`] refuses bigger
//! input.
//!
//! Decoding also sets bincode's allocation limit (`with_limit`). bincode allocates a
//! string or byte string as soon as it has read the claimed length, before it has checked
//! that the bytes are really there, and the limit is what stops a corrupt value that
//! claims a 900 MB string. bincode counts against it in-memory sizes: each integer its full
//! width (a 1-byte varint `i64` counts 8), each string its length; so a valid body of `n`
//! bytes counts at most `8 * n`. The limit is therefore picked per input from a ladder,
//! the smallest of 64 KiB, 16 MiB, 1 GiB and 8 GiB (`8 * MAX_ROW_BYTES`) that is at least
//! `8 * n`. So every row [`encode_row`] accepts decodes, and a corrupt value allocates at
//! most its rung's limit: 64 KiB for values up to 8 KiB (every point lookup of a normal
//! row), 16 MiB up to 2 MiB, 1 GiB up to 128 MiB. Sequence preallocation is capped too (at 4096 columns, the servers' column
//! limit, and by serde at 1 MiB for other sequences).
//!
//! Decoding never panics on any input: unknown versions, truncation, trailing bytes,
//! invalid UTF-8, out-of-range variant indices and over-long lengths are all
//! [`CodecError`]s.

use std::fmt;

use bincode::config::{self, Config};
use bincode::enc::write::Writer;
use bincode::error::{DecodeError, EncodeError};
use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Error as _, Serialize, SerializeSeq, Serializer};

use crate::source::value::Value;

/// Format version 1 of a stored row: bincode 2 (serde, standard config) of the row's
/// values, no per-column Option tag. Written as the first byte of every stored row so the
/// layout can change later without rewriting a data directory.
pub const ROW_FORMAT_V1: u8 = 1;

/// The largest stored row body, in bytes (1 GiB): MySQL's and MariaDB's largest
/// `max_allowed_packet`, so every row a source can send in a binlog event fits, and
/// a bound on what one decode may allocate.
pub const MAX_ROW_BYTES: usize = 1 << 30;

/// Most columns a table can have on MySQL and MariaDB; used only to cap preallocation.
pub(crate) const MAX_COLUMNS: usize = 4096;

/// Why a row could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The stored value is empty: not even a format-version byte.
    #[error("corrupt stored row: empty value (no format-version byte)")]
    Empty,
    /// The format-version byte is newer than this build knows.
    #[error(
        "stored row has format version {version}, but this replicant reads only version {ROW_FORMAT_V1}: \
         it was written by a newer replicant; upgrade replicant to read this data directory"
    )]
    UnknownVersion {
        /// The version byte found.
        version: u8,
    },
    /// The format-version byte is 0, which no replicant ever writes.
    #[error("corrupt stored row: format version 0 is not a version replicant writes")]
    InvalidVersion,
    /// The row to store has a column absent from its image (a partial row image).
    #[error(
        "cannot store a partial row: column {index} (0-based) is absent from the row image; \
         the store must merge partial (MINIMAL/NOBLOB) images into the stored row before writing"
    )]
    AbsentColumn {
        /// 0-based index of the first absent column.
        index: usize,
    },
    /// The row is larger than [`MAX_ROW_BYTES`].
    #[error("row of {size} bytes exceeds the {MAX_ROW_BYTES}-byte limit of a stored row")]
    TooLarge {
        /// The encoded (or given) body size in bytes.
        size: usize,
    },
    /// A complete row was decoded but input bytes were left over.
    #[error("corrupt stored row: {trailing} unexpected byte(s) after the row")]
    TrailingBytes {
        /// How many bytes were left.
        trailing: usize,
    },
    /// bincode could not encode the row.
    #[error("cannot encode row: {0}")]
    Encode(#[source] EncodeError),
    /// The body is not a valid version-1 row (truncated, bad variant, bad UTF-8, over limit...).
    #[error("corrupt stored row: {0}")]
    Decode(#[source] DecodeError),
}

/// Appends the stored form of `row` to `out`: [`ROW_FORMAT_V1`], then the bincode body.
///
/// Every column must be present (`Some`; SQL NULL is `Some(Value::Null)`): a `None` is
/// refused with [`CodecError::AbsentColumn`], see the module doc. On error `out` is left as
/// it was. Appending (rather than returning a new `Vec`) lets a caller reuse one buffer for
/// a whole write batch.
pub fn encode_row(row: &[Option<Value>], out: &mut Vec<u8>) -> Result<(), CodecError> {
    if let Some(index) = row.iter().position(Option::is_none) {
        return Err(CodecError::AbsentColumn { index });
    }
    let start = out.len();
    out.push(ROW_FORMAT_V1);
    let body_start = out.len();
    let result =
        bincode::serde::encode_into_writer(FullRow(row), VecWriter(out), config::standard());
    let size = out.len() - body_start;
    match result {
        Ok(()) if size <= MAX_ROW_BYTES => Ok(()),
        Ok(()) => {
            out.truncate(start);
            Err(CodecError::TooLarge { size })
        }
        Err(e) => {
            out.truncate(start);
            Err(CodecError::Encode(e))
        }
    }
}

/// Decodes a stored row written by [`encode_row`]; every column comes back `Some`.
///
/// Checks the format-version byte first ([`CodecError::UnknownVersion`] for a newer
/// replicant's rows), refuses bytes left over after the row, and bounds what it allocates
/// by the input's size (see the module doc). Never panics, whatever the input.
pub fn decode_row(bytes: &[u8]) -> Result<Vec<Option<Value>>, CodecError> {
    let (&version, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    match version {
        ROW_FORMAT_V1 => decode_v1(body),
        0 => Err(CodecError::InvalidVersion),
        version => Err(CodecError::UnknownVersion { version }),
    }
}

/// How many bytes bincode's limit counts, at most, per body byte of a valid row. bincode
/// counts in-memory sizes, not input bytes: every integer its full width (an `i64` stored as a
/// 1-byte varint counts 8, a variant index counts 4), every string and byte string its
/// length (1 per body byte). So a valid body of `n` bytes counts at most `8 * n`.
const LIMIT_PER_BODY_BYTE: usize = 8;

/// The limit for the largest bodies (up to [`MAX_ROW_BYTES`]): `8 * MAX_ROW_BYTES` on 64-bit
/// targets; unlimited on 32-bit ones, where a body that large cannot be in memory anyway.
const LIMIT_HUGE: usize = if usize::BITS >= 64 {
    (LIMIT_PER_BODY_BYTE as u64 * MAX_ROW_BYTES as u64) as usize
} else {
    usize::MAX
};

/// Decodes a version-1 body with the smallest allocation limit of a short ladder that a
/// valid body of this length can need ([`LIMIT_PER_BODY_BYTE`] per byte).
fn decode_v1(body: &[u8]) -> Result<Vec<Option<Value>>, CodecError> {
    const SMALL: usize = 64 << 10;
    const MEDIUM: usize = 16 << 20;
    const LARGE: usize = 1 << 30;
    if body.len() > MAX_ROW_BYTES {
        return Err(CodecError::TooLarge { size: body.len() });
    }
    let need = body.len().saturating_mul(LIMIT_PER_BODY_BYTE);
    let decoded = if need <= SMALL {
        decode_limited(body, config::standard().with_limit::<SMALL>())
    } else if need <= MEDIUM {
        decode_limited(body, config::standard().with_limit::<MEDIUM>())
    } else if need <= LARGE {
        decode_limited(body, config::standard().with_limit::<LARGE>())
    } else {
        decode_limited(body, config::standard().with_limit::<LIMIT_HUGE>())
    };
    let (FullRowOwned(row), used) = decoded.map_err(CodecError::Decode)?;
    match body.len() - used {
        0 => Ok(row),
        trailing => Err(CodecError::TrailingBytes { trailing }),
    }
}

/// One monomorphized decode per limit of the ladder.
fn decode_limited<C: Config>(body: &[u8], config: C) -> Result<(FullRowOwned, usize), DecodeError> {
    bincode::serde::decode_from_slice(body, config)
}

/// bincode writer appending to a caller's `Vec` (bincode's own `encode_to_vec` would
/// allocate a new one per row).
struct VecWriter<'a>(&'a mut Vec<u8>);

impl Writer for VecWriter<'_> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

/// Serializes a full row as a sequence of `Value` (no Option tag per column).
struct FullRow<'a>(&'a [Option<Value>]);

impl Serialize for FullRow<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for (index, column) in self.0.iter().enumerate() {
            match column {
                Some(value) => seq.serialize_element(value)?,
                // encode_row checks first; kept so this type is correct on its own.
                None => return Err(S::Error::custom(format_args!("column {index} is absent"))),
            }
        }
        seq.end()
    }
}

/// Deserializes a sequence of `Value` straight into a row of `Some` columns.
struct FullRowOwned(Vec<Option<Value>>);

impl<'de> Deserialize<'de> for FullRowOwned {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = FullRowOwned;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence of column values")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FullRowOwned, A::Error> {
                let mut row = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_COLUMNS));
                while let Some(value) = seq.next_element::<Value>()? {
                    row.push(Some(value));
                }
                Ok(FullRowOwned(row))
            }
        }
        deserializer.deserialize_seq(RowVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::value::{Date, DateTime, JsonDiff, JsonDiffOp, Time, Timestamp};

    fn enc(row: &[Option<Value>]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_row(row, &mut out).unwrap();
        out
    }

    fn round_trip(row: Vec<Option<Value>>) {
        let bytes = enc(&row);
        assert_eq!(bytes[0], ROW_FORMAT_V1);
        let back = decode_row(&bytes).unwrap();
        assert_eq!(back.len(), row.len());
        for (a, b) in row.iter().zip(&back) {
            // Compare floats by bits: NaN != NaN under PartialEq.
            match (a, b) {
                (Some(Value::Float(x)), Some(Value::Float(y))) => {
                    assert_eq!(x.to_bits(), y.to_bits())
                }
                (Some(Value::Double(x)), Some(Value::Double(y))) => {
                    assert_eq!(x.to_bits(), y.to_bits())
                }
                _ => assert_eq!(a, b),
            }
        }
    }

    fn date() -> Date {
        Date {
            year: 2024,
            month: 2,
            day: 29,
        }
    }

    /// One of every variant, with edge values.
    fn every_variant() -> Vec<Value> {
        vec![
            Value::Null,
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Int(0),
            Value::Int(-1),
            Value::UInt(u64::MAX),
            Value::UInt(0),
            Value::Float(f32::NAN),
            Value::Float(f32::from_bits(0x7fc0_1234)), // NaN with a payload
            Value::Float(f32::INFINITY),
            Value::Float(f32::NEG_INFINITY),
            Value::Float(-0.0),
            Value::Float(f32::MIN_POSITIVE),
            Value::Double(f64::NAN),
            Value::Double(f64::from_bits(0xfff8_0000_dead_beef)),
            Value::Double(f64::INFINITY),
            Value::Double(f64::NEG_INFINITY),
            Value::Double(-0.0),
            Value::Double(f64::MAX),
            Value::Decimal("-12.340".into()),
            Value::Decimal(String::new()),
            Value::Bit {
                bits: u64::MAX,
                width: 64,
            },
            Value::Bit { bits: 1, width: 1 },
            Value::Year(0),
            Value::Year(2155),
            Value::Date(Date {
                year: 0,
                month: 0,
                day: 0,
            }),
            Value::Date(Date {
                year: 9999,
                month: 12,
                day: 31,
            }),
            Value::Time(Time {
                negative: true,
                hours: 838,
                minutes: 59,
                seconds: 59,
                micros: 999_999,
                fsp: 6,
            }),
            Value::Time(Time {
                negative: false,
                hours: 0,
                minutes: 0,
                seconds: 0,
                micros: 0,
                fsp: 0,
            }),
            Value::DateTime(DateTime {
                date: date(),
                hour: 23,
                minute: 59,
                second: 59,
                micros: 999_999,
                fsp: 6,
            }),
            Value::Timestamp(Timestamp {
                seconds: 0,
                micros: 0,
                fsp: 0,
            }),
            Value::Timestamp(Timestamp {
                seconds: u32::MAX,
                micros: 999_999,
                fsp: 3,
            }),
            Value::Bytes(Vec::new()),
            Value::Bytes(vec![0, 0xff, b'\n', 0x80]),
            Value::Bytes((0..(1 << 20)).map(|i| (i * 31 % 251) as u8).collect()),
            Value::Enum(0),
            Value::Enum(u16::MAX),
            Value::Set(0),
            Value::Set(u64::MAX),
            Value::Json(r#"{"a": [1, 2.5, null, "é"]}"#.into()),
            Value::Json(String::new()),
            Value::JsonDiffs(vec![]),
            Value::JsonDiffs(vec![
                JsonDiff {
                    operation: JsonDiffOp::Replace,
                    path: "$.a[1]".into(),
                    value: Some("3".into()),
                },
                JsonDiff {
                    operation: JsonDiffOp::Insert,
                    path: "$.b".into(),
                    value: Some(r#""x""#.into()),
                },
                JsonDiff {
                    operation: JsonDiffOp::Remove,
                    path: "$.c".into(),
                    value: None,
                },
            ]),
            Value::Geometry(vec![0, 0, 0, 0, 1, 1, 0, 0, 0]),
            Value::Geometry(Vec::new()),
            Value::Vector(
                1.5f32
                    .to_le_bytes()
                    .iter()
                    .chain(&(-0.0f32).to_le_bytes())
                    .copied()
                    .collect(),
            ),
            Value::Vector(Vec::new()),
        ]
    }

    #[test]
    fn every_variant_round_trips_alone_and_together() {
        for value in every_variant() {
            round_trip(vec![Some(value)]);
        }
        round_trip(every_variant().into_iter().map(Some).collect());
    }

    /// Bodies in each allocation-limit bucket (<= 64 KiB, <= 16 MiB, bigger) decode.
    #[test]
    fn large_rows_round_trip() {
        for len in [(64 << 10) - 8, 64 << 10, 16 << 20, (16 << 20) + 1] {
            round_trip(vec![
                Some(Value::Int(1)),
                Some(Value::Bytes(vec![b'x'; len])),
            ]);
        }
    }

    /// `serde_bytes` on the byte-string variants changes neither the bincode layout (see
    /// `golden_bytes_v1`) nor their JSON shape: still an array of numbers.
    #[test]
    fn byte_strings_keep_their_json_shape() {
        let json = serde_json::to_string(&Value::Bytes(vec![1, 255])).unwrap();
        assert_eq!(json, r#"{"Bytes":[1,255]}"#);
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Value::Bytes(vec![1, 255]));
    }

    /// Rows whose bincode limit count is several times their body length (small integers,
    /// many tiny JSON diffs) still decode: the limit ladder allows 8 per body byte.
    #[test]
    fn integer_heavy_rows_round_trip() {
        round_trip(vec![Some(Value::Int(0)); 4096]);
        round_trip(vec![Some(Value::UInt(1)); 4096]);
        let diff = JsonDiff {
            operation: JsonDiffOp::Remove,
            path: String::new(),
            value: None,
        };
        for n in [10_000, 1_000_000] {
            round_trip(vec![Some(Value::JsonDiffs(vec![diff.clone(); n]))]);
        }
    }

    #[test]
    fn nulls_and_empty_rows_round_trip() {
        round_trip(vec![]);
        round_trip(vec![Some(Value::Null)]);
        round_trip(vec![Some(Value::Null); 4096]);
        round_trip(vec![
            Some(Value::Int(1)),
            Some(Value::Null),
            Some(Value::Bytes(b"x".to_vec())),
        ]);
    }

    #[test]
    fn absent_column_is_refused_and_leaves_output_alone() {
        let mut out = b"prefix".to_vec();
        let err = encode_row(&[Some(Value::Int(1)), None, None], &mut out).unwrap_err();
        assert!(
            matches!(err, CodecError::AbsentColumn { index: 1 }),
            "{err:?}"
        );
        assert!(err.to_string().contains("column 1"), "{err}");
        assert_eq!(out, b"prefix");
    }

    #[test]
    fn encode_appends() {
        let mut out = b"xy".to_vec();
        encode_row(&[Some(Value::Int(5))], &mut out).unwrap();
        assert_eq!(&out[..2], b"xy");
        assert_eq!(decode_row(&out[2..]).unwrap(), vec![Some(Value::Int(5))]);
    }

    /// Pins the version-1 layout: if this fails, the stored format changed (e.g. `Value`'s
    /// variants were reordered) and old data directories would decode wrongly.
    #[test]
    fn golden_bytes_v1() {
        let row = vec![
            Some(Value::Null),
            Some(Value::Int(-2)),
            Some(Value::UInt(300)),
            Some(Value::Bytes(b"ab".to_vec())),
            Some(Value::Date(Date {
                year: 2024,
                month: 1,
                day: 2,
            })),
            Some(Value::Vector(vec![7])),
        ];
        assert_eq!(
            enc(&row),
            [
                1, // version
                6, // column count
                0, // Null
                1, 3, // Int, zigzag(-2)
                2, 251, 44, 1, // UInt, 300 as varint (251 = u16 follows)
                12, 2, b'a', b'b', // Bytes, len 2
                8, 251, 232, 7, 1, 2, // Date {2024, 1, 2}
                18, 1, 7, // Vector, len 1
            ]
        );
    }

    #[test]
    fn version_byte_is_checked() {
        let mut bytes = enc(&[Some(Value::Int(1))]);
        assert!(matches!(decode_row(&[]), Err(CodecError::Empty)));
        bytes[0] = 2;
        let err = decode_row(&bytes).unwrap_err();
        assert!(
            matches!(err, CodecError::UnknownVersion { version: 2 }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("version 2") && msg.contains("newer replicant"),
            "{msg}"
        );
        bytes[0] = 255;
        assert!(matches!(
            decode_row(&bytes),
            Err(CodecError::UnknownVersion { version: 255 })
        ));
        bytes[0] = 0;
        assert!(matches!(
            decode_row(&bytes),
            Err(CodecError::InvalidVersion)
        ));
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = enc(&[Some(Value::Int(1))]);
        bytes.extend_from_slice(&[0, 0]);
        assert!(matches!(
            decode_row(&bytes),
            Err(CodecError::TrailingBytes { trailing: 2 })
        ));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let row: Vec<_> = every_variant()
            .into_iter()
            .filter(|v| !matches!(v, Value::Bytes(b) if b.len() > 1000))
            .map(Some)
            .collect();
        let bytes = enc(&row);
        for len in 1..bytes.len() {
            assert!(
                decode_row(&bytes[..len]).is_err(),
                "prefix of {len} bytes decoded"
            );
        }
    }

    #[test]
    fn garbage_is_an_error() {
        // Out-of-range variant index.
        assert!(matches!(
            decode_row(&[1, 1, 200]),
            Err(CodecError::Decode(_))
        ));
        // Bad UTF-8 in a Decimal.
        assert!(matches!(
            decode_row(&[1, 1, 5, 1, 0xff]),
            Err(CodecError::Decode(_))
        ));
        // Bad JsonDiffOp index.
        assert!(matches!(
            decode_row(&[1, 1, 16, 1, 9, 0, 0]),
            Err(CodecError::Decode(_))
        ));
        // A huge claimed column count or string length: an error, not an allocation.
        assert!(decode_row(&[1, 253, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
        let huge_string = [1, 1, 5, 252, 0, 0, 0, 0x38]; // Decimal of 939_524_096 bytes
        let err = decode_row(&huge_string).unwrap_err();
        assert!(
            matches!(err, CodecError::Decode(DecodeError::LimitExceeded)),
            "{err:?}"
        );
        let huge_bytes = [1, 1, 12, 252, 0, 0, 0, 0x38]; // Bytes of 939_524_096 bytes
        let err = decode_row(&huge_bytes).unwrap_err();
        assert!(
            matches!(err, CodecError::Decode(DecodeError::LimitExceeded)),
            "{err:?}"
        );
    }

    /// Deterministic xorshift so the fuzz-like tests need no extra crate and are repeatable.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200_000 {
            let len = (rng.next() % 64) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if let Some(first) = bytes.first_mut() {
                if rng.next() % 4 != 0 {
                    *first = ROW_FORMAT_V1; // mostly exercise the body decoder
                }
            }
            let _ = decode_row(&bytes);
        }
    }

    #[test]
    fn mutated_rows_never_panic() {
        let row: Vec<_> = every_variant()
            .into_iter()
            .filter(|v| !matches!(v, Value::Bytes(b) if b.len() > 1000))
            .map(Some)
            .collect();
        let valid = enc(&row);
        let mut rng = Rng(42);
        for _ in 0..20_000 {
            let mut bytes = valid.clone();
            for _ in 0..1 + rng.next() % 4 {
                if bytes.len() < 2 {
                    break;
                }
                let i = 1 + (rng.next() as usize) % (bytes.len() - 1);
                match rng.next() % 3 {
                    0 => bytes[i] = rng.next() as u8,
                    1 => bytes[i] ^= 1 << (rng.next() % 8),
                    _ => bytes.truncate(i),
                }
            }
            if let Ok(decoded) = decode_row(&bytes) {
                // Whatever decodes must re-encode without error: a full row.
                assert!(decoded.iter().all(Option::is_some));
                let mut out = Vec::new();
                encode_row(&decoded, &mut out).unwrap();
            }
        }
    }
}
