//! Order-preserving ("memcomparable") encoding of primary key tuples.
//!
//! RocksDB orders keys bytewise. To make a range scan by primary key return rows in the
//! source's `ORDER BY pk` order, each key component is encoded so that comparing the
//! encodings bytewise gives the same answer as MySQL comparing the values. Components are
//! appended one after another; every encoding is self-delimiting (fixed width, or ended by a
//! terminator that cannot occur inside it), so a composite key compares lexicographically,
//! component by component, and two different tuples never encode to the same bytes.
//!
//! # Format
//!
//! Each component starts with a tag: `0x00` for NULL (sorts first, as in MySQL) and `0x01`
//! for a value, followed by the value's encoding, chosen by the column's type:
//!
//! | type | encoding |
//! |---|---|
//! | signed TINYINT…BIGINT | 8 bytes big-endian of the value with the sign bit flipped |
//! | UNSIGNED integers | 8 bytes big-endian |
//! | FLOAT / DOUBLE | 4 / 8 bytes: IEEE bits big-endian; positive: sign bit set; negative: all bits inverted; `-0.0` is stored as `0.0`; NaN is an error |
//! | DECIMAL | class byte `0x01` negative, `0x02` zero, `0x03` positive; then (not for zero) the exponent byte `e + 128` where the value is `0.d1d2… × 10^e` with `d1 ≠ 0`, then the significant digits two per byte as `pair + 1` (1..=101, an odd last digit padded with 0), then `0x00`. Trailing zeros are dropped first, so `1.50` and `1.5` encode equal. Negative values invert every byte after the class byte (the terminator becomes `0xff`). |
//! | YEAR | 2 bytes big-endian |
//! | DATE | year (2 bytes), month, day |
//! | TIME | signed microseconds + 2^47, 6 bytes big-endian (negative durations first) |
//! | DATETIME | year (2), month, day, hour, minute, second, microseconds (3 bytes) |
//! | TIMESTAMP | epoch seconds (4 bytes), microseconds (3 bytes): the instant's order |
//! | BIT | the bits as 8 bytes big-endian |
//! | ENUM | the 1-based index, 2 bytes (MySQL sorts ENUM by index, not by label) |
//! | SET | the bits, 8 bytes (MySQL sorts SET by its numeric value) |
//! | binary strings, NO PAD collations | the bytes (or the collation weights) with each `0x00` written as `0x00 0xff`, then the terminator `0x00 0x01`: a prefix sorts before its extensions |
//! | PAD SPACE collations | collation weights in chunks of 8 units (1, 2 or 3 bytes each), the last chunk padded with the weight of a space; after each chunk a marker: `0x02` if the string ends there, else `0x01` / `0x03` when the rest of the string sorts below / above an endless run of spaces. This is MySQL's PAD SPACE comparison (the shorter string compared as if padded with spaces): `'a' = 'a '` and `'a\t' < 'a'`. |
//!
//! # Collations
//!
//! Character strings are compared by weights, as MySQL does (see [`collation`]):
//!
//! - `_bin` collations of utf8mb3/utf8mb4/latin1/ascii (and `binary`): the stored bytes
//!   (UTF-8 byte order is code point order, which is what `utf8mb4_bin` compares).
//!   Lossless apart from PAD SPACE trailing spaces.
//! - `utf8mb4_general_ci`, `utf8mb3_general_ci` and the ucs2/utf16/utf32 `general_ci`s:
//!   exact. Each BMP character weighs one 16-bit value from MariaDB's table (upper case;
//!   accented Latin letters fold to their base letter, `é` = `E`, `ß` = `S`, `ÿ` = `Y`, but
//!   `æ`, `ð`, `ø`, `þ` keep their own weight; Greek and Cyrillic letters fold case and drop
//!   accents such as `Ё` = `Е`); every character above U+FFFF weighs U+FFFD, so all emoji are
//!   equal, as in the source.
//! - `latin1_swedish_ci` and `latin1_general_ci`: exact, one weight byte per byte (Swedish:
//!   `Ä` = `Æ`, `Ö` = `Ø`, `Ü` = `Y`).
//! - UCA collations (`*_unicode_ci`, `*_unicode_520_ci`, `utf8mb4_0900_ai_ci`, …): **approximated**
//!   by code points after simple lower-casing of the Latin, Greek, Cyrillic and Armenian
//!   letters that were case pairs in Unicode 4.0 (see `uca_approx_weight`).
//!   Case variants get one key as in the source, but accents are not ignored and the
//!   order is code point order, not the UCA's. The approximation is deliberately *finer*
//!   than the source: two values the source tells
//!   apart never share a key (which would lose a row); values the source calls equal (e.g.
//!   `'é'` and `'e'`) may get different keys, which is harmless because the source cannot hold
//!   both in one primary key, and the row changes carry the exact stored bytes.
//! - Unknown collation ids: compared as binary bytes, NO PAD — again finer than any
//!   collation, so never a collision; only the order may differ. [`order_is_exact`] says
//!   whether a column's key order is the source's, for the query layer's range pushdown.
//!
//! Keys of `_ci` (and UCA) strings hold weights, not bytes: [`decode_key`] cannot give the
//! original value back, the row value has it.

use crate::source::table::{types, ColumnInfo, BINARY_COLLATION};
use crate::source::text::{charset_of, to_utf8, Charset};
use crate::source::value::{Date, DateTime, Time, Timestamp, Value};

use super::weights::{GENERAL_CI, LATIN1_GENERAL_CI, LATIN1_SWEDISH_CI};

/// Why a key component could not be encoded or decoded. Every error names the column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The value's kind does not fit the column's type (e.g. a string for an INT column).
    #[error("key column {column}: {problem}")]
    Invalid {
        /// The column's name (or `@N`).
        column: String,
        /// What is wrong.
        problem: String,
    },
    /// The key bytes end early or hold bytes no encoder writes.
    #[error("key column {column}: malformed key bytes: {problem}")]
    Malformed {
        /// The column's name (or `@N`).
        column: String,
        /// What is wrong.
        problem: String,
    },
    /// The column's key stores collation weights, not the value: read it from the row.
    #[error(
        "key column {column}: the key holds collation weights, not the value; read it from the row"
    )]
    NotDecodable {
        /// The column's name (or `@N`).
        column: String,
    },
    /// Bytes were left after the last component.
    #[error("key has {0} bytes after its last column")]
    Trailing(usize),
}

/// Tag of a NULL component (sorts before every value).
const TAG_NULL: u8 = 0x00;
/// Tag of a non-NULL component.
const TAG_VALUE: u8 = 0x01;

/// PAD SPACE chunk length, in weight units.
const CHUNK: usize = 8;
/// PAD SPACE marker: the rest of the string sorts below spaces.
const MARK_LESS: u8 = 0x01;
/// PAD SPACE marker: the string ends in this chunk.
const MARK_END: u8 = 0x02;
/// PAD SPACE marker: the rest of the string sorts above spaces.
const MARK_GREATER: u8 = 0x03;
/// The weight of a space in every weighting used here.
const SPACE: u32 = 0x20;

/// How a collation turns a string into comparable weight units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    /// The stored bytes themselves (binary and the `_bin` collations of single-byte and
    /// UTF-8 charsets). Lossless.
    Bytes,
    /// Unicode code points, 3 bytes each (`_bin` collations of ucs2/utf16/utf32).
    CodePoints,
    /// MySQL/MariaDB `general_ci`: one 16-bit weight per character. Exact.
    GeneralCi,
    /// `latin1_swedish_ci`: one weight byte per byte. Exact.
    Latin1SwedishCi,
    /// `latin1_general_ci`: one weight byte per byte. Exact.
    Latin1GeneralCi,
    /// UCA collations, approximated (see the module docs): simply lower-cased code points.
    UcaApprox,
}

impl Weighting {
    /// Bytes per weight unit in the key.
    fn width(self) -> usize {
        match self {
            Weighting::Bytes | Weighting::Latin1SwedishCi | Weighting::Latin1GeneralCi => 1,
            Weighting::GeneralCi => 2,
            Weighting::CodePoints | Weighting::UcaApprox => 3,
        }
    }
}

/// What the key encoder needs to know about a collation id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collation {
    /// How the stored bytes are read as characters.
    pub charset: Charset,
    /// How characters become weights.
    pub weighting: Weighting,
    /// PAD SPACE (trailing spaces ignored) rather than NO PAD.
    pub pad_space: bool,
    /// False when the weights only approximate the source's order (UCA collations, unknown
    /// ids); equality is then finer than the source's, never coarser.
    pub exact: bool,
}

/// Looks up a collation id (MySQL and MariaDB ids; MariaDB's NO PAD variants are id + 1024).
///
/// `None` (no collation logged) is taken as `utf8mb4_bin`-like bytes with NO PAD, which is
/// safe (finer than any collation). Unknown ids fall back the same way, marked inexact.
pub fn collation(id: Option<u16>) -> Collation {
    let exact = |charset, weighting, pad_space| Collation {
        charset,
        weighting,
        pad_space,
        exact: true,
    };
    let approx = |charset, weighting, pad_space| Collation {
        charset,
        weighting,
        pad_space,
        exact: false,
    };
    let Some(id) = id else {
        return approx(Charset::Utf8, Weighting::Bytes, false);
    };
    let charset = charset_of(Some(id));
    // MariaDB NO PAD ids are the PAD SPACE id + 1024.
    let (base, pad) = if (1024..2048).contains(&id) {
        (id - 1024, false)
    } else {
        (id, true)
    };
    match base {
        BINARY_COLLATION => exact(Charset::Binary, Weighting::Bytes, false),
        // utf8mb3_bin, utf8mb4_bin, latin1_bin, ascii_bin: PAD SPACE, bytewise.
        83 | 46 | 47 | 65 => exact(charset, Weighting::Bytes, pad),
        // utf8mb4_0900_bin: NO PAD, bytewise.
        309 if id == base => exact(charset, Weighting::Bytes, false),
        // ucs2_bin, utf16_bin, utf16le_bin, utf32_bin: code point order.
        90 | 55 | 62 | 61 => exact(charset, Weighting::CodePoints, pad),
        // utf8mb3_general_ci, utf8mb4_general_ci, ucs2/utf16/utf16le/utf32_general_ci.
        33 | 45 | 35 | 54 | 56 | 60 => exact(charset, Weighting::GeneralCi, pad),
        8 => exact(charset, Weighting::Latin1SwedishCi, pad),
        48 => exact(charset, Weighting::Latin1GeneralCi, pad),
        // MariaDB/MySQL unicode_ci and unicode_520_ci (PAD SPACE) for utf8mb3, utf8mb4,
        // ucs2, utf16, utf32.
        192 | 214 | 224 | 246 | 128 | 150 | 101 | 123 | 160 | 182 => {
            approx(charset, Weighting::UcaApprox, pad)
        }
        // MySQL 8 utf8mb4_0900_ai_ci (NO PAD).
        255 if id == base => approx(charset, Weighting::UcaApprox, false),
        _ => approx(charset, Weighting::Bytes, false),
    }
}

/// True when keys of this column sort exactly as the source orders the column, so the
/// query layer may push range conditions down to key ranges. False only for character
/// columns with an approximated or unknown collation.
pub fn order_is_exact(col: &ColumnInfo) -> bool {
    match kind(col) {
        Kind::String => collation(col.collation).exact,
        _ => true,
    }
}

/// True when [`decode_key`] can give this column's value back (everything except strings
/// whose key holds collation weights, and VARCHAR/TEXT under PAD SPACE, whose trailing
/// spaces the key drops).
pub fn is_decodable(col: &ColumnInfo) -> bool {
    match kind(col) {
        Kind::String => {
            let c = collation(col.collation);
            c.weighting == Weighting::Bytes && (!c.pad_space || col.column_type == types::STRING)
        }
        Kind::Unsupported => false,
        _ => true,
    }
}

/// How a column's values are encoded, from its type code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Double,
    Decimal,
    Year,
    Date,
    Time,
    DateTime,
    Timestamp,
    Bit,
    Enum,
    Set,
    String,
    Unsupported,
}

fn kind(col: &ColumnInfo) -> Kind {
    match col.column_type {
        types::TINY | types::SHORT | types::INT24 | types::LONG | types::LONGLONG => Kind::Int,
        types::FLOAT => Kind::Float,
        types::DOUBLE => Kind::Double,
        types::DECIMAL | types::NEWDECIMAL => Kind::Decimal,
        types::YEAR => Kind::Year,
        types::DATE | types::NEWDATE => Kind::Date,
        types::TIME | types::TIME2 => Kind::Time,
        types::DATETIME | types::DATETIME2 => Kind::DateTime,
        types::TIMESTAMP | types::TIMESTAMP2 => Kind::Timestamp,
        types::BIT => Kind::Bit,
        types::ENUM => Kind::Enum,
        types::SET => Kind::Set,
        types::VARCHAR
        | types::VAR_STRING
        | types::STRING
        | types::TINY_BLOB
        | types::MEDIUM_BLOB
        | types::LONG_BLOB
        | types::BLOB => Kind::String,
        _ => Kind::Unsupported,
    }
}

fn name(col: &ColumnInfo) -> String {
    col.name.clone().unwrap_or_else(|| "(unnamed)".into())
}

fn invalid(col: &ColumnInfo, problem: impl Into<String>) -> KeyError {
    KeyError::Invalid {
        column: name(col),
        problem: problem.into(),
    }
}

fn malformed(col: &ColumnInfo, problem: impl Into<String>) -> KeyError {
    KeyError::Malformed {
        column: name(col),
        problem: problem.into(),
    }
}

/// Appends the order-preserving encoding of a key tuple (one `(column, value)` per key
/// column, in key order) to `out`.
///
/// On error `out` may hold a partial key; the caller discards it.
pub fn encode_key(out: &mut Vec<u8>, columns: &[(&ColumnInfo, &Value)]) -> Result<(), KeyError> {
    for (col, value) in columns {
        encode_component(out, col, value)?;
    }
    Ok(())
}

/// Encodes one key column's value (with its NULL tag).
fn encode_component(out: &mut Vec<u8>, col: &ColumnInfo, value: &Value) -> Result<(), KeyError> {
    if value.is_null() {
        out.push(TAG_NULL);
        return Ok(());
    }
    out.push(TAG_VALUE);
    let wrong = || {
        invalid(
            col,
            format!(
                "a {} value does not fit column type {}",
                variant(value),
                col.column_type
            ),
        )
    };
    match (kind(col), value) {
        (Kind::Int, Value::Int(v)) if col.unsigned => {
            let u = u64::try_from(*v)
                .map_err(|_| invalid(col, format!("{v} in an UNSIGNED column")))?;
            out.extend_from_slice(&u.to_be_bytes());
        }
        (Kind::Int, Value::UInt(u)) if col.unsigned => out.extend_from_slice(&u.to_be_bytes()),
        (Kind::Int, Value::Int(v)) => out.extend_from_slice(&flip_sign(*v).to_be_bytes()),
        (Kind::Int, Value::UInt(u)) => {
            let v =
                i64::try_from(*u).map_err(|_| invalid(col, format!("{u} in a signed column")))?;
            out.extend_from_slice(&flip_sign(v).to_be_bytes());
        }
        (Kind::Float, Value::Float(f)) => {
            if f.is_nan() {
                return Err(invalid(col, "NaN has no place in a key"));
            }
            let bits = (if *f == 0.0 { 0.0f32 } else { *f }).to_bits();
            let enc = if bits >> 31 == 1 {
                !bits
            } else {
                bits | 1 << 31
            };
            out.extend_from_slice(&enc.to_be_bytes());
        }
        (Kind::Double, Value::Double(f)) => {
            if f.is_nan() {
                return Err(invalid(col, "NaN has no place in a key"));
            }
            let bits = (if *f == 0.0 { 0.0f64 } else { *f }).to_bits();
            let enc = if bits >> 63 == 1 {
                !bits
            } else {
                bits | 1 << 63
            };
            out.extend_from_slice(&enc.to_be_bytes());
        }
        (Kind::Decimal, Value::Decimal(text)) => encode_decimal(out, col, text)?,
        (Kind::Year, Value::Year(y)) => out.extend_from_slice(&y.to_be_bytes()),
        (Kind::Date, Value::Date(d)) => encode_date(out, d),
        (Kind::Time, Value::Time(t)) => {
            if t.hours > 9999 || t.minutes > 59 || t.seconds > 59 || t.micros > 999_999 {
                return Err(invalid(col, format!("TIME out of range: {t:?}")));
            }
            let mag = ((i64::from(t.hours) * 60 + i64::from(t.minutes)) * 60
                + i64::from(t.seconds))
                * 1_000_000
                + i64::from(t.micros);
            let v = if t.negative { -mag } else { mag } + (1 << 47);
            out.extend_from_slice(&v.to_be_bytes()[2..]);
        }
        (Kind::DateTime, Value::DateTime(dt)) => {
            if dt.micros > 999_999 {
                return Err(invalid(col, format!("microseconds {} > 999999", dt.micros)));
            }
            encode_date(out, &dt.date);
            out.extend_from_slice(&[dt.hour, dt.minute, dt.second]);
            out.extend_from_slice(&dt.micros.to_be_bytes()[1..]);
        }
        (Kind::Timestamp, Value::Timestamp(ts)) => {
            if ts.micros > 999_999 {
                return Err(invalid(col, format!("microseconds {} > 999999", ts.micros)));
            }
            out.extend_from_slice(&ts.seconds.to_be_bytes());
            out.extend_from_slice(&ts.micros.to_be_bytes()[1..]);
        }
        (Kind::Bit, Value::Bit { bits, .. }) => out.extend_from_slice(&bits.to_be_bytes()),
        (Kind::Enum, Value::Enum(i)) => out.extend_from_slice(&i.to_be_bytes()),
        (Kind::Set, Value::Set(bits)) => out.extend_from_slice(&bits.to_be_bytes()),
        (Kind::String, Value::Bytes(bytes)) => encode_string(out, col, bytes)?,
        (Kind::Unsupported, _) => {
            return Err(invalid(
                col,
                format!("column type {} cannot be part of a key", col.column_type),
            ))
        }
        _ => return Err(wrong()),
    }
    Ok(())
}

fn variant(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Int(_) => "Int",
        Value::UInt(_) => "UInt",
        Value::Float(_) => "Float",
        Value::Double(_) => "Double",
        Value::Decimal(_) => "Decimal",
        Value::Bit { .. } => "Bit",
        Value::Year(_) => "Year",
        Value::Date(_) => "Date",
        Value::Time(_) => "Time",
        Value::DateTime(_) => "DateTime",
        Value::Timestamp(_) => "Timestamp",
        Value::Bytes(_) => "Bytes",
        Value::Enum(_) => "Enum",
        Value::Set(_) => "Set",
        Value::Json(_) => "Json",
        Value::JsonDiffs(_) => "JsonDiffs",
        Value::Geometry(_) => "Geometry",
        Value::Vector(_) => "Vector",
    }
}

fn flip_sign(v: i64) -> u64 {
    (v as u64) ^ (1 << 63)
}

fn encode_date(out: &mut Vec<u8>, d: &Date) {
    out.extend_from_slice(&d.year.to_be_bytes());
    out.extend_from_slice(&[d.month, d.day]);
}

/// A decimal number as sign, significant digits (no leading or trailing zeros) and
/// exponent: value = 0.d1d2… × 10^exp.
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exp: i32,
}

fn parse_decimal(text: &str) -> Option<Decimal> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, f),
        None => (rest, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    let mut exp = i32::try_from(int.len()).ok()?;
    // Leading zeros (only possible when the integer part is zero).
    let lead = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..lead);
    exp -= i32::try_from(lead).ok()?;
    while digits.last() == Some(&0) {
        digits.pop();
    }
    Some(Decimal {
        negative: negative && !digits.is_empty(),
        digits,
        exp,
    })
}

fn encode_decimal(out: &mut Vec<u8>, col: &ColumnInfo, text: &str) -> Result<(), KeyError> {
    let d = parse_decimal(text)
        .ok_or_else(|| invalid(col, format!("not a decimal number: {text:?}")))?;
    if d.digits.is_empty() {
        out.push(0x02);
        return Ok(());
    }
    let exp = u8::try_from(d.exp + 128)
        .map_err(|_| invalid(col, format!("decimal exponent out of range: {text:?}")))?;
    let start = out.len();
    out.push(exp);
    for pair in d.digits.chunks(2) {
        let hi = pair[0];
        let lo = pair.get(1).copied().unwrap_or(0);
        out.push(hi * 10 + lo + 1);
    }
    out.push(0x00);
    if d.negative {
        for b in &mut out[start..] {
            *b = !*b;
        }
        out.insert(start, 0x01);
    } else {
        out.insert(start, 0x03);
    }
    Ok(())
}

/// The characters of a non-binary string, per its charset.
fn chars_of(col: &ColumnInfo, bytes: &[u8], charset: Charset) -> Result<Vec<char>, KeyError> {
    match charset {
        Charset::Utf8 => std::str::from_utf8(bytes)
            .map(|s| s.chars().collect())
            .map_err(|e| invalid(col, format!("invalid UTF-8: {e}"))),
        _ => {
            let utf8 = to_utf8(bytes, charset);
            String::from_utf8(utf8)
                .map(|s| s.chars().collect())
                .map_err(|e| invalid(col, format!("invalid text: {e}")))
        }
    }
}

/// `general_ci` weight of one character.
pub fn general_ci_weight(c: char) -> u16 {
    let cp = u32::from(c);
    let Ok(cp16) = u16::try_from(cp) else {
        return 0xFFFD;
    };
    match GENERAL_CI.binary_search_by(|e| (e >> 16).cmp(&cp)) {
        Ok(i) => (GENERAL_CI[i] & 0xFFFF) as u16,
        Err(_) => cp16,
    }
}

/// Approximate UCA weight: the code point, lower-cased for letters that were case pairs
/// already in Unicode 4.0 (the oldest UCA MySQL/MariaDB use, `*_unicode_ci`): Latin up to
/// U+0236, Greek, Cyrillic up to U+04F5 and U+0500–U+050F, Armenian, Latin and Greek
/// Extended, fullwidth Latin. Within these, simple lower-casing only merges what every UCA
/// version treats as case variants, so the keys are never coarser than the source.
fn uca_approx_weight(c: char) -> u32 {
    const FOLDED: &[(u32, u32)] = &[
        (0x0000, 0x0236),
        (0x0386, 0x03F5),
        (0x0400, 0x04F5),
        (0x0500, 0x050F),
        (0x0531, 0x0586),
        (0x1E00, 0x1E9B),
        (0x1EA0, 0x1EF9),
        (0x1F00, 0x1FFC),
        (0xFF21, 0xFF5A),
    ];
    let cp = u32::from(c);
    if FOLDED.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp)) {
        let mut lower = c.to_lowercase();
        if let (Some(l), None) = (lower.next(), lower.next()) {
            let lc = u32::from(l);
            if FOLDED.iter().any(|&(lo, hi)| (lo..=hi).contains(&lc)) {
                return lc;
            }
        }
    }
    cp
}

/// The weight units of a string under a collation.
fn weights(col: &ColumnInfo, bytes: &[u8], coll: &Collation) -> Result<Vec<u32>, KeyError> {
    Ok(match coll.weighting {
        Weighting::Bytes => bytes.iter().map(|&b| u32::from(b)).collect(),
        Weighting::Latin1SwedishCi => bytes
            .iter()
            .map(|&b| u32::from(LATIN1_SWEDISH_CI[usize::from(b)]))
            .collect(),
        Weighting::Latin1GeneralCi => bytes
            .iter()
            .map(|&b| u32::from(LATIN1_GENERAL_CI[usize::from(b)]))
            .collect(),
        Weighting::CodePoints => chars_of(col, bytes, coll.charset)?
            .into_iter()
            .map(u32::from)
            .collect(),
        Weighting::GeneralCi => chars_of(col, bytes, coll.charset)?
            .into_iter()
            .map(|c| u32::from(general_ci_weight(c)))
            .collect(),
        Weighting::UcaApprox => chars_of(col, bytes, coll.charset)?
            .into_iter()
            .map(uca_approx_weight)
            .collect(),
    })
}

fn push_unit(out: &mut Vec<u8>, unit: u32, width: usize) {
    out.extend_from_slice(&unit.to_be_bytes()[4 - width..]);
}

fn encode_string(out: &mut Vec<u8>, col: &ColumnInfo, bytes: &[u8]) -> Result<(), KeyError> {
    let coll = if col.is_binary() {
        collation(Some(BINARY_COLLATION))
    } else {
        collation(col.collation)
    };
    let width = coll.weighting.width();
    if coll.weighting == Weighting::Bytes && !coll.pad_space {
        escape_bytes(out, bytes);
        return Ok(());
    }
    let mut w = weights(col, bytes, &coll)?;
    if !coll.pad_space {
        let mut raw = Vec::with_capacity(w.len() * width);
        for &u in &w {
            push_unit(&mut raw, u, width);
        }
        escape_bytes(out, &raw);
        return Ok(());
    }
    while w.last() == Some(&SPACE) {
        w.pop();
    }
    let mut chunks = w.chunks(CHUNK).peekable();
    if chunks.peek().is_none() {
        for _ in 0..CHUNK {
            push_unit(out, SPACE, width);
        }
        out.push(MARK_END);
        return Ok(());
    }
    let mut done = 0;
    while let Some(chunk) = chunks.next() {
        for i in 0..CHUNK {
            push_unit(out, chunk.get(i).copied().unwrap_or(SPACE), width);
        }
        done += chunk.len();
        if chunks.peek().is_none() {
            out.push(MARK_END);
        } else {
            // The rest has a non-space (trailing spaces were trimmed).
            let first = w[done..]
                .iter()
                .copied()
                .find(|&u| u != SPACE)
                .unwrap_or(SPACE);
            out.push(if first < SPACE {
                MARK_LESS
            } else {
                MARK_GREATER
            });
        }
    }
    Ok(())
}

/// Writes bytes with `0x00` escaped as `0x00 0xff` and the terminator `0x00 0x01`.
fn escape_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

/// A cursor over key bytes, for decoding.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, col: &ColumnInfo) -> Result<&'a [u8], KeyError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| malformed(col, format!("needs {n} more bytes")))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, col: &ColumnInfo) -> Result<[u8; N], KeyError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, col)?);
        Ok(a)
    }

    fn u8(&mut self, col: &ColumnInfo) -> Result<u8, KeyError> {
        Ok(self.array::<1>(col)?[0])
    }
}

/// Decodes a key written by [`encode_key`] for the same columns.
///
/// Fails with [`KeyError::NotDecodable`] for a column [`is_decodable`] rejects (its key
/// holds collation weights or dropped trailing spaces; the row value has the original).
/// DECIMAL comes back with the column's scale; FLOAT/DOUBLE `-0.0` comes back as `0.0`.
pub fn decode_key(bytes: &[u8], columns: &[&ColumnInfo]) -> Result<Vec<Value>, KeyError> {
    let mut r = Reader { bytes, pos: 0 };
    let mut values = Vec::with_capacity(columns.len());
    for col in columns {
        values.push(decode_component(&mut r, col)?);
    }
    if r.pos != bytes.len() {
        return Err(KeyError::Trailing(bytes.len() - r.pos));
    }
    Ok(values)
}

fn decode_component(r: &mut Reader<'_>, col: &ColumnInfo) -> Result<Value, KeyError> {
    match r.u8(col)? {
        TAG_NULL => return Ok(Value::Null),
        TAG_VALUE => {}
        t => return Err(malformed(col, format!("tag byte {t:#04x}"))),
    }
    let fsp = |col: &ColumnInfo| match col.column_type {
        types::TIME2 | types::DATETIME2 | types::TIMESTAMP2 => (col.meta as u8).min(6),
        _ => 0,
    };
    Ok(match kind(col) {
        Kind::Int => {
            let raw = u64::from_be_bytes(r.array(col)?);
            if col.unsigned {
                Value::UInt(raw)
            } else {
                Value::Int((raw ^ (1 << 63)) as i64)
            }
        }
        Kind::Float => {
            let e = u32::from_be_bytes(r.array(col)?);
            let bits = if e >> 31 == 1 { e & !(1 << 31) } else { !e };
            Value::Float(f32::from_bits(bits))
        }
        Kind::Double => {
            let e = u64::from_be_bytes(r.array(col)?);
            let bits = if e >> 63 == 1 { e & !(1 << 63) } else { !e };
            Value::Double(f64::from_bits(bits))
        }
        Kind::Decimal => Value::Decimal(decode_decimal(r, col)?),
        Kind::Year => Value::Year(u16::from_be_bytes(r.array(col)?)),
        Kind::Date => Value::Date(decode_date(r, col)?),
        Kind::Time => {
            let mut b = [0u8; 8];
            b[2..].copy_from_slice(r.take(6, col)?);
            let v = i64::from_be_bytes(b) - (1 << 47);
            let mag = v.unsigned_abs();
            let secs = mag / 1_000_000;
            Value::Time(Time {
                negative: v < 0,
                hours: u32::try_from(secs / 3600).map_err(|_| malformed(col, "TIME hours"))?,
                minutes: ((secs / 60) % 60) as u8,
                seconds: (secs % 60) as u8,
                micros: (mag % 1_000_000) as u32,
                fsp: fsp(col),
            })
        }
        Kind::DateTime => {
            let date = decode_date(r, col)?;
            let [hour, minute, second] = r.array(col)?;
            let [a, b, c] = r.array(col)?;
            Value::DateTime(DateTime {
                date,
                hour,
                minute,
                second,
                micros: u32::from_be_bytes([0, a, b, c]),
                fsp: fsp(col),
            })
        }
        Kind::Timestamp => {
            let seconds = u32::from_be_bytes(r.array(col)?);
            let [a, b, c] = r.array(col)?;
            Value::Timestamp(Timestamp {
                seconds,
                micros: u32::from_be_bytes([0, a, b, c]),
                fsp: fsp(col),
            })
        }
        Kind::Bit => Value::Bit {
            bits: u64::from_be_bytes(r.array(col)?),
            width: ((col.meta >> 8) * 8 + (col.meta & 0xff)).clamp(1, 64),
        },
        Kind::Enum => Value::Enum(u16::from_be_bytes(r.array(col)?)),
        Kind::Set => Value::Set(u64::from_be_bytes(r.array(col)?)),
        Kind::String => {
            if !is_decodable(col) {
                return Err(KeyError::NotDecodable { column: name(col) });
            }
            let coll = if col.is_binary() {
                collation(Some(BINARY_COLLATION))
            } else {
                collation(col.collation)
            };
            if coll.pad_space {
                Value::Bytes(decode_pad_bytes(r, col)?)
            } else {
                Value::Bytes(unescape_bytes(r, col)?)
            }
        }
        Kind::Unsupported => return Err(KeyError::NotDecodable { column: name(col) }),
    })
}

fn decode_date(r: &mut Reader<'_>, col: &ColumnInfo) -> Result<Date, KeyError> {
    let year = u16::from_be_bytes(r.array(col)?);
    let [month, day] = r.array(col)?;
    Ok(Date { year, month, day })
}

fn decode_decimal(r: &mut Reader<'_>, col: &ColumnInfo) -> Result<String, KeyError> {
    let class = r.u8(col)?;
    let negative = match class {
        0x02 => return Ok(format_decimal(false, &[], 0, col)),
        0x01 => true,
        0x03 => false,
        c => return Err(malformed(col, format!("decimal class byte {c:#04x}"))),
    };
    let fix = |b: u8| if negative { !b } else { b };
    let exp = i32::from(fix(r.u8(col)?)) - 128;
    let mut digits = Vec::new();
    loop {
        let b = fix(r.u8(col)?);
        if b == 0 {
            break;
        }
        if b > 100 {
            return Err(malformed(col, format!("decimal digit pair byte {b}")));
        }
        digits.push((b - 1) / 10);
        digits.push((b - 1) % 10);
        if digits.len() > 200 {
            return Err(malformed(col, "decimal has no terminator"));
        }
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    Ok(format_decimal(negative, &digits, exp, col))
}

/// Renders 0.d1d2… × 10^exp with the column's scale (NEWDECIMAL meta's high byte), as
/// MySQL prints it.
fn format_decimal(negative: bool, digits: &[u8], exp: i32, col: &ColumnInfo) -> String {
    let frac_digits =
        usize::try_from(i32::try_from(digits.len()).unwrap_or(i32::MAX) - exp).unwrap_or(0);
    let scale = if col.column_type == types::NEWDECIMAL {
        usize::from(col.meta >> 8).max(frac_digits)
    } else {
        frac_digits
    };
    let digit = |i: i32| -> char {
        // Position i counts from the first significant digit (0-based).
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i))
            .map_or('0', |d| char::from(b'0' + d))
    };
    let mut s = String::new();
    if negative {
        s.push('-');
    }
    if exp <= 0 {
        s.push('0');
    } else {
        for i in 0..exp {
            s.push(digit(i));
        }
    }
    if scale > 0 {
        s.push('.');
        for k in 0..scale {
            s.push(digit(exp + i32::try_from(k).unwrap_or(0)));
        }
    }
    s
}

fn unescape_bytes(r: &mut Reader<'_>, col: &ColumnInfo) -> Result<Vec<u8>, KeyError> {
    let mut v = Vec::new();
    loop {
        match r.u8(col)? {
            0x00 => match r.u8(col)? {
                0xff => v.push(0),
                0x01 => return Ok(v),
                b => return Err(malformed(col, format!("escape byte {b:#04x} after 0x00"))),
            },
            b => v.push(b),
        }
    }
}

fn decode_pad_bytes(r: &mut Reader<'_>, col: &ColumnInfo) -> Result<Vec<u8>, KeyError> {
    let mut v = Vec::new();
    loop {
        v.extend_from_slice(r.take(CHUNK, col)?);
        match r.u8(col)? {
            MARK_END => break,
            MARK_LESS | MARK_GREATER => {}
            m => return Err(malformed(col, format!("chunk marker {m:#04x}"))),
        }
    }
    while v.last() == Some(&(SPACE as u8)) {
        v.pop();
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::*;

    use crate::testing::XorShift as Rng;

    fn col(column_type: u8, meta: u16, unsigned: bool, collation: Option<u16>) -> ColumnInfo {
        ColumnInfo {
            name: Some("c".into()),
            column_type,
            meta,
            unsigned,
            collation,
            nullable: false,
            labels: None,
            visible: true,
        }
    }

    fn key(c: &ColumnInfo, v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key(&mut out, &[(c, v)]).unwrap();
        out
    }

    /// Checks that the byte order of the encodings equals `reference` for `n` random pairs
    /// (and for every value against itself), and that decodable values round-trip.
    fn check(
        c: &ColumnInfo,
        n: usize,
        mut gen: impl FnMut(&mut Rng) -> Value,
        reference: impl Fn(&Value, &Value) -> Ordering,
    ) {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ u64::from(c.column_type));
        let values: Vec<Value> = (0..n).map(|_| gen(&mut rng)).collect();
        for a in &values {
            let ka = key(c, a);
            for _ in 0..8 {
                let b = rng.pick(&values);
                let kb = key(c, b);
                assert_eq!(
                    ka.cmp(&kb),
                    reference(a, b),
                    "{a:?} vs {b:?}: {ka:02x?} vs {kb:02x?}"
                );
            }
            if is_decodable(c) {
                let back = decode_key(&ka, &[c]).unwrap();
                assert_eq!(
                    reference(&back[0], a),
                    Ordering::Equal,
                    "{a:?} decoded as {back:?}"
                );
            }
        }
    }

    #[test]
    fn signed_and_unsigned_integers() {
        let edge = [
            i64::MIN,
            i64::MIN + 1,
            -1,
            0,
            1,
            i64::MAX - 1,
            i64::MAX,
            -128,
            127,
            255,
        ];
        for t in [
            types::TINY,
            types::SHORT,
            types::INT24,
            types::LONG,
            types::LONGLONG,
        ] {
            check(
                &col(t, 0, false, None),
                400,
                |r| {
                    Value::Int(match r.below(3) {
                        0 => *r.pick(&edge),
                        1 => r.bits() as i64 >> r.below(63),
                        _ => r.below(1000) as i64 - 500,
                    })
                },
                |a, b| match (a, b) {
                    (Value::Int(a), Value::Int(b)) => a.cmp(b),
                    _ => unreachable!(),
                },
            );
            check(
                &col(t, 0, true, None),
                400,
                |r| Value::UInt(r.bits() >> r.below(64)),
                |a, b| match (a, b) {
                    (Value::UInt(a), Value::UInt(b)) => a.cmp(b),
                    _ => unreachable!(),
                },
            );
        }
        // Int values in an UNSIGNED column and UInt in a signed one encode like their kin.
        let u = col(types::LONG, 0, true, None);
        assert_eq!(key(&u, &Value::Int(7)), key(&u, &Value::UInt(7)));
        let s = col(types::LONG, 0, false, None);
        assert_eq!(key(&s, &Value::UInt(7)), key(&s, &Value::Int(7)));
        let mut out = Vec::new();
        let err = encode_key(&mut out, &[(&u, &Value::Int(-1))]).unwrap_err();
        assert!(err.to_string().contains("key column c"), "{err}");
    }

    #[test]
    fn floats_and_doubles() {
        let edge = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::MAX,
            f64::MIN,
        ];
        check(
            &col(types::DOUBLE, 8, false, None),
            500,
            |r| {
                Value::Double(if r.below(3) == 0 {
                    *r.pick(&edge)
                } else {
                    let f = f64::from_bits(r.bits());
                    if f.is_nan() {
                        1.5
                    } else {
                        f
                    }
                })
            },
            |a, b| match (a, b) {
                (Value::Double(a), Value::Double(b)) => a.partial_cmp(b).unwrap(),
                _ => unreachable!(),
            },
        );
        check(
            &col(types::FLOAT, 4, false, None),
            500,
            |r| {
                let f = f32::from_bits(r.bits() as u32);
                Value::Float(if f.is_nan() { -0.0 } else { f })
            },
            |a, b| match (a, b) {
                (Value::Float(a), Value::Float(b)) => a.partial_cmp(b).unwrap(),
                _ => unreachable!(),
            },
        );
        let d = col(types::DOUBLE, 8, false, None);
        assert_eq!(key(&d, &Value::Double(-0.0)), key(&d, &Value::Double(0.0)));
        let mut out = Vec::new();
        assert!(encode_key(&mut out, &[(&d, &Value::Double(f64::NAN))]).is_err());
    }

    /// Reference decimal comparison on the text: sign, then integer part by length and
    /// digits, then the fraction padded with zeros.
    fn decimal_cmp(a: &str, b: &str) -> Ordering {
        fn parts(s: &str) -> (bool, String, String) {
            let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
            let (i, f) = s.split_once('.').unwrap_or((s, ""));
            let i = i.trim_start_matches('0').to_string();
            let f = f.trim_end_matches('0').to_string();
            let zero = i.is_empty() && f.is_empty();
            (neg && !zero, i, f)
        }
        let (na, ia, fa) = parts(a);
        let (nb, ib, fb) = parts(b);
        let mag = ia.len().cmp(&ib.len()).then(ia.cmp(&ib)).then(fa.cmp(&fb));
        match (na, nb) {
            (false, false) => mag,
            (true, true) => mag.reverse(),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
        }
    }

    #[test]
    fn decimals_of_any_precision_and_scale() {
        for (precision, scale) in [(10u16, 0u16), (10, 2), (65, 30), (38, 38), (20, 5)] {
            let c = col(types::NEWDECIMAL, scale << 8 | precision, false, None);
            check(
                &c,
                400,
                |r| {
                    let int_len = r.below(u64::from(precision - scale) + 1) as usize;
                    let mut s = String::new();
                    if r.below(2) == 0 {
                        s.push('-');
                    }
                    let digit = |r: &mut Rng| {
                        char::from(
                            b'0' + if r.below(4) == 0 {
                                0
                            } else {
                                r.below(10) as u8
                            },
                        )
                    };
                    if int_len == 0 {
                        s.push('0');
                    }
                    for _ in 0..int_len {
                        s.push(digit(r));
                    }
                    if scale > 0 {
                        s.push('.');
                        for _ in 0..scale {
                            s.push(digit(r));
                        }
                    }
                    Value::Decimal(s)
                },
                |a, b| match (a, b) {
                    (Value::Decimal(a), Value::Decimal(b)) => decimal_cmp(a, b),
                    _ => unreachable!(),
                },
            );
        }
        let c = col(types::NEWDECIMAL, 3 << 8 | 10, false, None);
        let k = |s: &str| key(&c, &Value::Decimal(s.into()));
        assert_eq!(k("1.5"), k("1.500"));
        assert_eq!(k("-0.000"), k("0"));
        assert_eq!(k("007.1"), k("7.10"));
        assert!(k("-10") < k("-9.999") && k("-9.999") < k("-0.001") && k("-0.001") < k("0"));
        assert!(
            k("0") < k("0.001")
                && k("0.001") < k("0.01")
                && k("0.01") < k("9.999")
                && k("9.999") < k("10")
        );
        assert_eq!(
            decode_key(&k("-12.3"), &[&c]).unwrap(),
            vec![Value::Decimal("-12.300".into())]
        );
        assert_eq!(
            decode_key(&k("0.0"), &[&c]).unwrap(),
            vec![Value::Decimal("0.000".into())]
        );
        assert_eq!(
            decode_key(&k("0.05"), &[&c]).unwrap(),
            vec![Value::Decimal("0.050".into())]
        );
        assert_eq!(
            decode_key(&k("100"), &[&c]).unwrap(),
            vec![Value::Decimal("100.000".into())]
        );
        let mut out = Vec::new();
        for bad in ["", "-", ".", "1e5", "1.2.3", "abc", "--1"] {
            assert!(
                encode_key(&mut out, &[(&c, &Value::Decimal(bad.into()))]).is_err(),
                "{bad}"
            );
        }
    }

    fn rand_date(r: &mut Rng) -> Date {
        Date {
            year: if r.below(10) == 0 {
                0
            } else {
                r.below(10_000) as u16
            },
            month: r.below(13) as u8,
            day: r.below(32) as u8,
        }
    }

    #[test]
    fn temporal_types() {
        check(
            &col(types::YEAR, 0, false, None),
            200,
            |r| {
                Value::Year(if r.below(5) == 0 {
                    0
                } else {
                    1901 + r.below(255) as u16
                })
            },
            |a, b| match (a, b) {
                (Value::Year(a), Value::Year(b)) => a.cmp(b),
                _ => unreachable!(),
            },
        );
        let date_key = |d: &Date| (d.year, d.month, d.day);
        check(
            &col(types::DATE, 0, false, None),
            300,
            |r| Value::Date(rand_date(r)),
            |a, b| match (a, b) {
                (Value::Date(a), Value::Date(b)) => date_key(a).cmp(&date_key(b)),
                _ => unreachable!(),
            },
        );
        let time_micros = |t: &Time| {
            let m = ((i64::from(t.hours) * 60 + i64::from(t.minutes)) * 60 + i64::from(t.seconds))
                * 1_000_000
                + i64::from(t.micros);
            if t.negative {
                -m
            } else {
                m
            }
        };
        check(
            &col(types::TIME2, 6, false, None),
            400,
            |r| {
                Value::Time(Time {
                    negative: r.below(2) == 0,
                    hours: r.below(839) as u32,
                    minutes: r.below(60) as u8,
                    seconds: r.below(60) as u8,
                    micros: if r.below(2) == 0 {
                        0
                    } else {
                        r.below(1_000_000) as u32
                    },
                    fsp: 6,
                })
            },
            |a, b| match (a, b) {
                (Value::Time(a), Value::Time(b)) => time_micros(a).cmp(&time_micros(b)),
                _ => unreachable!(),
            },
        );
        let dt_key = |d: &DateTime| (date_key(&d.date), d.hour, d.minute, d.second, d.micros);
        check(
            &col(types::DATETIME2, 6, false, None),
            400,
            |r| {
                Value::DateTime(DateTime {
                    date: rand_date(r),
                    hour: r.below(24) as u8,
                    minute: r.below(60) as u8,
                    second: r.below(60) as u8,
                    micros: r.below(1_000_000) as u32,
                    fsp: 6,
                })
            },
            |a, b| match (a, b) {
                (Value::DateTime(a), Value::DateTime(b)) => dt_key(a).cmp(&dt_key(b)),
                _ => unreachable!(),
            },
        );
        check(
            &col(types::TIMESTAMP2, 3, false, None),
            400,
            |r| {
                Value::Timestamp(Timestamp {
                    seconds: r.bits() as u32,
                    micros: r.below(1000) as u32 * 1000,
                    fsp: 3,
                })
            },
            |a, b| match (a, b) {
                (Value::Timestamp(a), Value::Timestamp(b)) => {
                    (a.seconds, a.micros).cmp(&(b.seconds, b.micros))
                }
                _ => unreachable!(),
            },
        );
        // Negative zero TIME is zero; negative durations sort first.
        let t = col(types::TIME2, 0, false, None);
        let tm = |negative, hours| {
            Value::Time(Time {
                negative,
                hours,
                minutes: 0,
                seconds: 0,
                micros: 0,
                fsp: 0,
            })
        };
        assert_eq!(key(&t, &tm(true, 0)), key(&t, &tm(false, 0)));
        assert!(key(&t, &tm(true, 838)) < key(&t, &tm(true, 1)));
        assert!(key(&t, &tm(true, 1)) < key(&t, &tm(false, 0)));
    }

    #[test]
    fn bit_enum_set() {
        check(
            &col(types::BIT, 8 << 8, false, None),
            300,
            |r| Value::Bit {
                bits: r.bits() >> r.below(64),
                width: 64,
            },
            |a, b| match (a, b) {
                (Value::Bit { bits: a, .. }, Value::Bit { bits: b, .. }) => a.cmp(b),
                _ => unreachable!(),
            },
        );
        check(
            &col(types::ENUM, 0xf7 << 8 | 2, false, Some(45)),
            300,
            |r| Value::Enum(r.below(65536) as u16),
            |a, b| match (a, b) {
                (Value::Enum(a), Value::Enum(b)) => a.cmp(b),
                _ => unreachable!(),
            },
        );
        check(
            &col(types::SET, 0xf8 << 8 | 8, false, Some(45)),
            300,
            |r| Value::Set(r.bits() >> r.below(64)),
            |a, b| match (a, b) {
                (Value::Set(a), Value::Set(b)) => a.cmp(b),
                _ => unreachable!(),
            },
        );
    }

    /// A random string over an alphabet full of edge cases.
    fn rand_string(r: &mut Rng) -> Vec<u8> {
        const ALPHABET: &[&str] = &[
            "a", "A", "b", "B", " ", " ", "\t", "\0", "\u{1}", "é", "E", "e", "ß", "s", "S", "ÿ",
            "Y", "😀", "😁", "~", "\u{7f}", "Ж", "ж",
        ];
        let len = r.below(20);
        let mut s = String::new();
        for _ in 0..len {
            let piece: &&str = r.pick(ALPHABET);
            s.push_str(piece);
        }
        s.into_bytes()
    }

    /// PAD SPACE comparison of weight sequences: the shorter is padded with spaces.
    fn pad_cmp(a: &[u32], b: &[u32]) -> Ordering {
        let n = a.len().max(b.len());
        let at = |s: &[u32], i: usize| s.get(i).copied().unwrap_or(SPACE);
        (0..n)
            .map(|i| at(a, i).cmp(&at(b, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }

    fn string_check(id: u16, reference: impl Fn(&[u8], &[u8]) -> Ordering) {
        for t in [types::VARCHAR, types::STRING, types::BLOB] {
            check(
                &col(t, 0, false, Some(id)),
                500,
                |r| Value::Bytes(rand_string(r)),
                |a, b| match (a, b) {
                    (Value::Bytes(a), Value::Bytes(b)) => reference(a, b),
                    _ => unreachable!(),
                },
            );
        }
    }

    #[test]
    fn binary_strings_bytewise_prefix_first() {
        string_check(63, |a, b| a.cmp(b));
        let c = col(types::BLOB, 2, false, Some(63));
        let k = |s: &[u8]| key(&c, &Value::Bytes(s.to_vec()));
        assert!(k(b"") < k(b"\0") && k(b"\0") < k(b"\0\0") && k(b"\0\0") < k(b"\x01"));
        assert!(k(b"a") < k(b"a\0") && k(b"a ") > k(b"a"));
        let dec = decode_key(&k(b"a\0\xff\0"), &[&c]).unwrap();
        assert_eq!(dec, vec![Value::Bytes(b"a\0\xff\0".to_vec())]);
    }

    #[test]
    fn bin_collations_pad_space() {
        string_check(46, |a, b| {
            let w = |s: &[u8]| s.iter().map(|&x| u32::from(x)).collect::<Vec<_>>();
            pad_cmp(&w(a), &w(b))
        });
        let c = col(types::VARCHAR, 100, false, Some(46));
        let k = |s: &str| key(&c, &Value::Bytes(s.as_bytes().to_vec()));
        assert_eq!(k("a"), k("a   "));
        assert!(k("a\t") < k("a") && k("a") < k("a b") && k("a  \t") < k("a"));
        // utf8mb4_nopad_bin (MariaDB, 46 + 1024): trailing spaces count.
        let np = col(types::VARCHAR, 100, false, Some(1070));
        assert!(key(&np, &Value::Bytes(b"a".to_vec())) < key(&np, &Value::Bytes(b"a ".to_vec())));
        // CHAR under PAD SPACE decodes; VARCHAR does not (trailing spaces are not in the key).
        let ch = col(types::STRING, 0xfe << 8 | 40, false, Some(46));
        let long = "a longer string, more than one chunk  x";
        let kc = key(&ch, &Value::Bytes(long.as_bytes().to_vec()));
        assert_eq!(
            decode_key(&kc, &[&ch]).unwrap(),
            vec![Value::Bytes(long.as_bytes().to_vec())]
        );
        assert!(matches!(
            decode_key(&k("a"), &[&c]),
            Err(KeyError::NotDecodable { .. })
        ));
    }

    fn general_weights(s: &[u8]) -> Vec<u32> {
        std::str::from_utf8(s)
            .unwrap()
            .chars()
            .map(|c| u32::from(general_ci_weight(c)))
            .collect()
    }

    #[test]
    fn general_ci_collations() {
        for id in [45, 33] {
            string_check(id, |a, b| pad_cmp(&general_weights(a), &general_weights(b)));
        }
        let c = col(types::VARCHAR, 100, false, Some(45));
        let k = |s: &str| key(&c, &Value::Bytes(s.as_bytes().to_vec()));
        assert_eq!(k("abc"), k("ABC"));
        assert_eq!(k("a"), k("a "));
        assert_eq!(k("é"), k("E"), "general_ci folds accents: é = E");
        assert_eq!(
            k("straße"),
            k("STRASSE".replace("SS", "S").as_str()),
            "ß = s"
        );
        assert_ne!(k("æ"), k("a"));
        assert_eq!(
            k("😀"),
            k("😁"),
            "supplementary characters all weigh U+FFFD"
        );
        assert!(k("a") < k("B") && k("B") < k("c"));
        // NO PAD variant (MariaDB utf8mb4_general_nopad_ci).
        let np = col(types::VARCHAR, 100, false, Some(45 + 1024));
        let kn = |s: &str| key(&np, &Value::Bytes(s.as_bytes().to_vec()));
        assert_eq!(kn("abc"), kn("ABC"));
        assert!(kn("a") < kn("a "));
        assert!(matches!(
            decode_key(&k("a"), &[&c]),
            Err(KeyError::NotDecodable { .. })
        ));
    }

    #[test]
    fn latin1_collations() {
        let latin1 = |r: &mut Rng| {
            Value::Bytes(
                (0..r.below(12))
                    .map(|_| *r.pick(b"aAeE\xe9\xc9 \t\0\xc4\xe6\xdc\xfcYy~"))
                    .collect(),
            )
        };
        let c = col(types::VARCHAR, 100, false, Some(8));
        check(&c, 400, latin1, |a, b| match (a, b) {
            (Value::Bytes(a), Value::Bytes(b)) => {
                let w = |s: &[u8]| {
                    s.iter()
                        .map(|&x| u32::from(LATIN1_SWEDISH_CI[usize::from(x)]))
                        .collect::<Vec<_>>()
                };
                pad_cmp(&w(a), &w(b))
            }
            _ => unreachable!(),
        });
        let k = |s: &[u8]| key(&c, &Value::Bytes(s.to_vec()));
        assert_eq!(k(b"abc"), k(b"ABC"));
        assert_eq!(k(b"\xe9"), k(b"E"), "latin1_swedish_ci: é = E");
        assert_eq!(k(b"\xfc"), k(b"Y"), "latin1_swedish_ci: ü = Y");
    }

    #[test]
    fn uca_approximation_folds_case_only() {
        let c = col(types::VARCHAR, 100, false, Some(224));
        let k = |s: &str| key(&c, &Value::Bytes(s.as_bytes().to_vec()));
        assert_eq!(k("abc"), k("ABC"));
        assert_eq!(k("Жж"), k("жЖ"));
        assert_eq!(k("a"), k("a "));
        assert_ne!(k("é"), k("e"), "finer than the source, never coarser");
        assert_ne!(k("ı"), k("i"), "dotless i is a different letter in the UCA");
        assert!(!order_is_exact(&c));
        assert!(order_is_exact(&col(types::VARCHAR, 100, false, Some(45))));
        // MySQL 8 utf8mb4_0900_ai_ci is NO PAD.
        let m = col(types::VARCHAR, 100, false, Some(255));
        assert!(key(&m, &Value::Bytes(b"a".to_vec())) < key(&m, &Value::Bytes(b"a ".to_vec())));
        // Unknown ids: binary, NO PAD.
        let u = col(types::VARCHAR, 100, false, Some(999));
        assert_ne!(
            key(&u, &Value::Bytes(b"a".to_vec())),
            key(&u, &Value::Bytes(b"A".to_vec()))
        );
    }

    #[test]
    fn composite_keys_order_lexicographically() {
        let id = col(types::LONG, 0, false, None);
        let name = col(types::VARCHAR, 100, false, Some(45));
        let mut rng = Rng(42);
        let tuples: Vec<(i64, Vec<u8>)> = (0..300)
            .map(|_| (rng.below(5) as i64 - 2, rand_string(&mut rng)))
            .collect();
        let enc = |(i, s): &(i64, Vec<u8>)| {
            let mut out = Vec::new();
            encode_key(
                &mut out,
                &[(&id, &Value::Int(*i)), (&name, &Value::Bytes(s.clone()))],
            )
            .unwrap();
            out
        };
        for a in &tuples {
            for b in tuples.iter().take(60) {
                let want =
                    a.0.cmp(&b.0)
                        .then(pad_cmp(&general_weights(&a.1), &general_weights(&b.1)));
                assert_eq!(enc(a).cmp(&enc(b)), want, "{a:?} vs {b:?}");
            }
        }
        // (binary string, int): no collision across the component boundary.
        let bin = col(types::BLOB, 2, false, Some(63));
        let two = |s: &[u8], i: i64| {
            let mut out = Vec::new();
            encode_key(
                &mut out,
                &[(&bin, &Value::Bytes(s.to_vec())), (&id, &Value::Int(i))],
            )
            .unwrap();
            out
        };
        assert!(two(b"a", i64::MAX) < two(b"a\0", i64::MIN));
        assert!(two(b"a", 5) < two(b"ab", 0));
        let k = two(b"x\0y", -3);
        assert_eq!(
            decode_key(&k, &[&bin, &id]).unwrap(),
            vec![Value::Bytes(b"x\0y".to_vec()), Value::Int(-3)]
        );
    }

    #[test]
    fn null_sorts_first() {
        let c = col(types::LONG, 0, false, None);
        assert!(key(&c, &Value::Null) < key(&c, &Value::Int(i64::MIN)));
        assert_eq!(
            decode_key(&key(&c, &Value::Null), &[&c]).unwrap(),
            vec![Value::Null]
        );
    }

    #[test]
    fn errors_and_garbage_never_panic() {
        let c = col(types::LONG, 0, false, None);
        let mut out = Vec::new();
        let err = encode_key(&mut out, &[(&c, &Value::Bytes(b"x".to_vec()))]).unwrap_err();
        assert!(err.to_string().starts_with("key column c:"), "{err}");
        let j = col(types::JSON, 4, false, None);
        assert!(encode_key(&mut out, &[(&j, &Value::Json("{}".into()))]).is_err());
        let cols: Vec<ColumnInfo> = [
            types::LONG,
            types::NEWDECIMAL,
            types::TIME2,
            types::VARCHAR,
            types::BLOB,
            types::DATETIME2,
            types::DOUBLE,
            types::STRING,
        ]
        .iter()
        .enumerate()
        .map(|(i, &t)| col(t, 0x0a05, false, Some([63, 46, 1070][i % 3])))
        .collect();
        let refs: Vec<&ColumnInfo> = cols.iter().collect();
        let mut rng = Rng(7);
        for _ in 0..20_000 {
            let len = rng.below(40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| *rng.pick(&[0u8, 1, 2, 3, 0xff, 0x20, 0x7f, 0x80, 0x65]))
                .collect();
            let n = 1 + rng.below(refs.len() as u64) as usize;
            let _ = decode_key(&bytes, &refs[..n]);
        }
        assert_eq!(
            decode_key(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0, 9], &[&c]),
            Err(KeyError::Trailing(1))
        );
    }
}
