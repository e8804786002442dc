//! Typed column values as decoded from binlog row images.
//!
//! Values keep what the source stored, not a lossy rendering: strings stay bytes (with the
//! column's charset alongside, in the table map), DECIMAL stays exact text, temporal values
//! keep their fields and fractional digits, and TIMESTAMP stays an instant (epoch seconds)
//! so it can be shown in any time zone.

use serde::{Deserialize, Serialize};

/// A calendar date as MySQL stores it; zero parts are allowed (`0000-00-00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Date {
    /// 0..=9999
    pub year: u16,
    /// 0..=12
    pub month: u8,
    /// 0..=31
    pub day: u8,
}

/// A TIME value: a signed duration up to ±838:59:59.999999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Time {
    /// True for negative durations.
    pub negative: bool,
    /// 0..=838 (hours are not wrapped into days).
    pub hours: u32,
    /// 0..=59
    pub minutes: u8,
    /// 0..=59
    pub seconds: u8,
    /// 0..=999_999
    pub micros: u32,
    /// Declared fractional-second precision (0..=6), which decides how many digits print.
    pub fsp: u8,
}

/// A DATETIME value (no time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateTime {
    /// The date part.
    pub date: Date,
    /// 0..=23
    pub hour: u8,
    /// 0..=59
    pub minute: u8,
    /// 0..=59
    pub second: u8,
    /// 0..=999_999
    pub micros: u32,
    /// Declared fractional-second precision (0..=6).
    pub fsp: u8,
}

/// A TIMESTAMP value: an instant, as seconds since the Unix epoch (UTC).
///
/// `seconds == 0 && micros == 0` is MySQL's zero timestamp `0000-00-00 00:00:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub seconds: u32,
    /// 0..=999_999
    pub micros: u32,
    /// Declared fractional-second precision (0..=6).
    pub fsp: u8,
}

/// One operation of a MySQL JSON partial update (PARTIAL_UPDATE_ROWS event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonDiff {
    /// What the diff does at `path`.
    pub operation: JsonDiffOp,
    /// A JSON path such as `$.a[1]`.
    pub path: String,
    /// The new value as JSON text; `None` for `Remove`.
    pub value: Option<String>,
}

/// The kind of a [`JsonDiff`], as in `JSON_REPLACE`, `JSON_INSERT`/`JSON_ARRAY_INSERT`, `JSON_REMOVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonDiffOp {
    /// Replace the value at the path.
    Replace,
    /// Insert a value at the path.
    Insert,
    /// Remove the value at the path.
    Remove,
}

/// One decoded column value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A signed integer (also integers whose signedness the table map does not say).
    Int(i64),
    /// An UNSIGNED integer.
    UInt(u64),
    /// FLOAT (single precision).
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// DECIMAL, exactly, as MySQL prints it (`-12.340`).
    Decimal(String),
    /// BIT(n): the bits, right-aligned; `width` is n.
    Bit {
        /// The value's bits.
        bits: u64,
        /// Declared width in bits (1..=64).
        width: u16,
    },
    /// YEAR; 0 is the zero year `0000`.
    Year(u16),
    /// DATE.
    Date(Date),
    /// TIME.
    Time(Time),
    /// DATETIME.
    DateTime(DateTime),
    /// TIMESTAMP.
    Timestamp(Timestamp),
    /// CHAR/VARCHAR/TEXT/BINARY/VARBINARY/BLOB bytes; the charset is the column's.
    Bytes(#[serde(with = "serde_bytes")] Vec<u8>),
    /// ENUM: 1-based index into the column's labels (0 is the empty error value).
    Enum(u16),
    /// SET: bit i set means label i is in the set.
    Set(u64),
    /// JSON as text (MySQL binary JSON converted; MariaDB JSON is already text).
    Json(String),
    /// A JSON column updated in place: the diffs to apply to the before-image.
    JsonDiffs(Vec<JsonDiff>),
    /// GEOMETRY in MySQL's internal format (4-byte SRID + WKB).
    Geometry(#[serde(with = "serde_bytes")] Vec<u8>),
    /// VECTOR: little-endian f32 values as stored.
    Vector(#[serde(with = "serde_bytes")] Vec<u8>),
}

impl Value {
    /// True for SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}
