//! MySQL binary JSON (JSON columns in MySQL 5.7+ row images) to JSON text, and the JSON
//! diffs of PARTIAL_UPDATE_ROWS events.
//!
//! MariaDB stores JSON as plain text (LONGTEXT) and never uses this format.
//!
//! # The binary format (`sql-common/json_binary.cc`)
//!
//! A document is one type byte followed by the value. Types: 0x00/0x01 small/large object,
//! 0x02/0x03 small/large array, 0x04 literal (0 null, 1 true, 2 false), 0x05 int16,
//! 0x06 uint16, 0x07 int32, 0x08 uint32, 0x09 int64, 0x0A uint64, 0x0B double,
//! 0x0C string, 0x0F opaque. All integers are little-endian.
//!
//! An object or array starts with its element count and its total size in bytes (2 bytes
//! each in the small format, 4 in the large), then for objects one key entry per member
//! (key offset: 2/4 bytes, key length: 2 bytes), then one value entry per element (type byte
//! plus a 2/4-byte offset, or the value itself when it fits: literals, int16 and uint16
//! always, int32 and uint32 in the large format). Offsets count from the first byte after the
//! container's type byte. Strings are a variable-length size (7 bits per byte, low bits
//! first, at most 5 bytes) and UTF-8 bytes. Opaque values are a MySQL field-type byte, a
//! variable-length size and the bytes.
//!
//! # The text rendering (`sql-common/json_dom.cc`, `wrapper_to_string`)
//!
//! The text is what `SELECT json_col` prints:
//! * `{"a": 1, "b": [1, 2]}`: `", "` between elements, `": "` after keys, keys in stored order
//!   (MySQL stores them sorted by length, then bytes);
//! * strings are quoted; `"` and `\` are backslash-escaped, `\b \f \n \r \t` use their short
//!   escapes, other bytes below 0x20 become `\u00xx` (lower-case hex), everything else
//!   (including non-ASCII) is copied as is;
//! * doubles use `my_gcvt` (shortest round-trip digits; plain notation for decimal exponents
//!   -15..=14, otherwise `1e100` / `1.5e-16` style with no `+` and no exponent padding) and
//!   get `.0` appended when neither `.` nor `e` was printed, so `1.0` stays a double;
//! * opaque DECIMAL prints as a bare number with its own scale (`9.00`); opaque
//!   DATE/TIME/DATETIME/TIMESTAMP print quoted, with 6 fraction digits for the types with a
//!   time part (`"2012-03-18"`, `"87:31:46.654321"`, `"2012-03-18 11:30:45.000000"`); opaque
//!   VAR_STRING prints as a JSON string; every other opaque type prints as the string
//!   `"base64:type<N>:<base64>"` where MySQL's base64 puts a newline after every 76 characters
//!   (escaped as `\n` inside the string, as current MySQL does).
//!
//! An empty value is what MySQL writes when NULL was forced into a NOT NULL JSON column
//! (INSERT IGNORE, non-strict mode); both `Field_json::val_json` and
//! `json_binary::parse_binary` read it as the JSON `null` literal, and so do we.
//!
//! Every offset and length is checked, nesting is limited to MySQL's 100 levels
//! (`JSON_DOCUMENT_MAX_DEPTH`), and the text is limited to 16 bytes per input byte (no valid
//! document comes close; offsets shared between entries could otherwise blow it up).

use super::decimal::{computed_decimal_bin_size, decode_computed_decimal};
use super::error::{DecodeError, DecodeResult};
use super::reader::Reader;
use crate::source::value::{JsonDiff, JsonDiffOp};

/// MySQL's `JSON_DOCUMENT_MAX_DEPTH`: arrays and objects may nest this deep, no deeper.
const MAX_DEPTH: usize = 100;

/// Text bytes allowed per input byte (see the module docs), plus a constant for tiny inputs.
const OUTPUT_BYTES_PER_INPUT_BYTE: usize = 16;
const OUTPUT_SLACK: usize = 64;

// Binary JSON type bytes.
const SMALL_OBJECT: u8 = 0x00;
const LARGE_OBJECT: u8 = 0x01;
const SMALL_ARRAY: u8 = 0x02;
const LARGE_ARRAY: u8 = 0x03;
const LITERAL: u8 = 0x04;
const INT16: u8 = 0x05;
const UINT16: u8 = 0x06;
const INT32: u8 = 0x07;
const UINT32: u8 = 0x08;
const INT64: u8 = 0x09;
const UINT64: u8 = 0x0a;
const DOUBLE: u8 = 0x0b;
const STRING: u8 = 0x0c;
const OPAQUE: u8 = 0x0f;

// Literal values.
const LITERAL_NULL: u8 = 0x00;
const LITERAL_TRUE: u8 = 0x01;
const LITERAL_FALSE: u8 = 0x02;

// MySQL field types that opaque values render specially (`enum_field_types`).
const FIELD_TIMESTAMP: u8 = 7;
const FIELD_DATE: u8 = 10;
const FIELD_TIME: u8 = 11;
const FIELD_DATETIME: u8 = 12;
const FIELD_NEWDECIMAL: u8 = 246;
const FIELD_VAR_STRING: u8 = 253;

/// Renders a binary JSON document as the text MySQL's `SELECT json_col` prints.
///
/// The row decoder calls this for JSON columns so stored values and exports carry the same
/// text a MySQL client would see. An empty slice is the JSON `null` literal (see the module
/// docs). Corrupt input — bad offsets, truncation, unknown types, invalid UTF-8, nesting
/// deeper than 100 — gives a [`DecodeError`], never a panic.
pub fn json_to_text(bytes: &[u8]) -> DecodeResult<String> {
    let Some((&ty, value)) = bytes.split_first() else {
        return Ok("null".to_string());
    };
    let limit = bytes
        .len()
        .saturating_mul(OUTPUT_BYTES_PER_INPUT_BYTE)
        .saturating_add(OUTPUT_SLACK);
    let mut w = Writer {
        out: String::new(),
        limit,
    };
    write_value(&mut w, ty, value, 0).map_err(|e| e.context("binary JSON"))?;
    Ok(w.out)
}

/// Decodes the JSON diffs of one JSON column in a PARTIAL_UPDATE_ROWS after-image.
///
/// `bytes` is the column's diff data without its 4-byte length prefix: until it is
/// exhausted, an operation byte (0 replace, 1 insert, 2 remove), a length-encoded path length
/// and the UTF-8 path (e.g. `$.a[1]`), and — except for remove — a length-encoded value
/// length and a binary JSON value, rendered with [`json_to_text`]. The store applies these
/// to the before-image instead of receiving the whole document.
pub fn decode_json_diffs(bytes: &[u8]) -> DecodeResult<Vec<JsonDiff>> {
    let mut r = Reader::new(bytes);
    let mut diffs = Vec::new();
    while !r.is_empty() {
        let n = diffs.len();
        let diff = read_diff(&mut r).map_err(|e| e.context(format_args!("JSON diff {n}")))?;
        diffs.push(diff);
    }
    Ok(diffs)
}

/// Reads one diff.
fn read_diff(r: &mut Reader<'_>) -> DecodeResult<JsonDiff> {
    let operation = match r.u8("operation")? {
        0 => JsonDiffOp::Replace,
        1 => JsonDiffOp::Insert,
        2 => JsonDiffOp::Remove,
        other => {
            return Err(DecodeError::new(format!(
                "operation: unknown JSON diff operation {other}"
            )))
        }
    };
    let path_len = r.lenenc_usize("path length")?;
    let path = r.take(path_len, "path")?;
    let path = std::str::from_utf8(path)
        .map_err(|_| DecodeError::new("path: not valid UTF-8"))?
        .to_string();
    let value = if operation == JsonDiffOp::Remove {
        None
    } else {
        let value_len = r.lenenc_usize("value length")?;
        let value = r.take(value_len, "value")?;
        Some(json_to_text(value).map_err(|e| e.context("value"))?)
    };
    Ok(JsonDiff {
        operation,
        path,
        value,
    })
}

/// The text being built, with its size limit.
struct Writer {
    out: String,
    limit: usize,
}

impl Writer {
    fn push_str(&mut self, s: &str) -> DecodeResult<()> {
        self.out.push_str(s);
        self.check()
    }

    fn push(&mut self, c: char) -> DecodeResult<()> {
        self.out.push(c);
        self.check()
    }

    fn check(&self) -> DecodeResult<()> {
        if self.out.len() > self.limit {
            return Err(DecodeError::new(format!(
                "text exceeds {} bytes (entries sharing offsets?)",
                self.limit
            )));
        }
        Ok(())
    }
}

/// Writes the value of type `ty` whose bytes start at `data[0]`; `data` runs to the end of the
/// enclosing container (or document), which bounds every offset inside the value.
fn write_value(w: &mut Writer, ty: u8, data: &[u8], depth: usize) -> DecodeResult<()> {
    match ty {
        SMALL_OBJECT => write_container(w, data, false, true, depth),
        LARGE_OBJECT => write_container(w, data, true, true, depth),
        SMALL_ARRAY => write_container(w, data, false, false, depth),
        LARGE_ARRAY => write_container(w, data, true, false, depth),
        _ => write_scalar(w, ty, &mut Reader::new(data)),
    }
}

/// Writes a scalar of type `ty` read from `r` (literals and integers may be inlined in a value
/// entry, in which case `r` holds just the entry's value bytes).
fn write_scalar(w: &mut Writer, ty: u8, r: &mut Reader<'_>) -> DecodeResult<()> {
    match ty {
        LITERAL => match r.u8("literal")? {
            LITERAL_NULL => w.push_str("null"),
            LITERAL_TRUE => w.push_str("true"),
            LITERAL_FALSE => w.push_str("false"),
            other => Err(DecodeError::new(format!("unknown literal {other:#04x}"))),
        },
        INT16 => {
            let v = r.u16_le("int16")? as i16;
            w.push_str(&v.to_string())
        }
        UINT16 => {
            let v = r.u16_le("uint16")?;
            w.push_str(&v.to_string())
        }
        INT32 => {
            let v = r.u32_le("int32")? as i32;
            w.push_str(&v.to_string())
        }
        UINT32 => {
            let v = r.u32_le("uint32")?;
            w.push_str(&v.to_string())
        }
        INT64 => {
            let v = r.u64_le("int64")? as i64;
            w.push_str(&v.to_string())
        }
        UINT64 => {
            let v = r.u64_le("uint64")?;
            w.push_str(&v.to_string())
        }
        DOUBLE => {
            let v = f64::from_bits(r.u64_le("double")?);
            w.push_str(&format_double(v)?)
        }
        STRING => {
            let len = read_varlen(r, "string length")?;
            let bytes = r.take(len, "string")?;
            let s = std::str::from_utf8(bytes)
                .map_err(|_| DecodeError::new("string: not valid UTF-8"))?;
            write_quoted(w, s)
        }
        OPAQUE => {
            let field_type = r.u8("opaque field type")?;
            let len = read_varlen(r, "opaque length")?;
            let bytes = r.take(len, "opaque data")?;
            write_opaque(w, field_type, bytes)
                .map_err(|e| e.context(format_args!("opaque value of field type {field_type}")))
        }
        SMALL_OBJECT | LARGE_OBJECT | SMALL_ARRAY | LARGE_ARRAY => Err(DecodeError::new(format!(
            "container type {ty:#04x} where a scalar was expected"
        ))),
        other => Err(DecodeError::new(format!("unknown value type {other:#04x}"))),
    }
}

/// Writes an array (`object == false`) or object whose header starts at `data[0]`.
fn write_container(
    w: &mut Writer,
    data: &[u8],
    large: bool,
    object: bool,
    depth: usize,
) -> DecodeResult<()> {
    let kind = if object { "object" } else { "array" };
    let depth = depth + 1;
    if depth > MAX_DEPTH {
        return Err(DecodeError::new(format!(
            "{kind} nested deeper than {MAX_DEPTH} levels"
        )));
    }
    let offset_size: usize = if large { 4 } else { 2 };
    let mut header = Reader::new(data);
    let count = header.uint_le(offset_size, "element count")?;
    let size = header.uint_le(offset_size, "size")?;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s <= data.len())
        .ok_or_else(|| {
            DecodeError::new(format!(
                "{kind} size {size} exceeds the {} bytes available",
                data.len()
            ))
        })?;
    // Every offset below is checked against this slice only.
    let body = data.get(..size).unwrap_or_default();
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let key_entry_size = offset_size + 2;
    let value_entry_size = offset_size + 1;
    let entry_size = if object {
        key_entry_size + value_entry_size
    } else {
        value_entry_size
    };
    let header_size = count
        .checked_mul(entry_size)
        .and_then(|n| n.checked_add(2 * offset_size))
        .filter(|n| *n <= size)
        .ok_or_else(|| {
            DecodeError::new(format!(
                "{kind} header for {count} elements does not fit in its {size} bytes"
            ))
        })?;
    let key_entries_start = 2 * offset_size;
    let value_entries_start = if object {
        key_entries_start + count * key_entry_size
    } else {
        key_entries_start
    };

    w.push(if object { '{' } else { '[' })?;
    for i in 0..count {
        if i > 0 {
            w.push_str(", ")?;
        }
        if object {
            let mut entry = Reader::new(body);
            entry.skip(key_entries_start + i * key_entry_size, "key entry")?;
            let key_offset = entry.uint_le(offset_size, "key offset")?;
            let key_len = entry.u16_le("key length")?;
            let key = usize::try_from(key_offset)
                .ok()
                .filter(|off| *off >= header_size)
                .and_then(|off| body.get(off..off.checked_add(usize::from(key_len))?))
                .ok_or_else(|| {
                    DecodeError::new(format!(
                        "key {i}: offset {key_offset} length {key_len} outside the object's {size} bytes"
                    ))
                })?;
            let key = std::str::from_utf8(key)
                .map_err(|_| DecodeError::new(format!("key {i}: not valid UTF-8")))?;
            write_quoted(w, key)?;
            w.push_str(": ")?;
        }
        let entry_start = value_entries_start + i * value_entry_size;
        write_element(w, body, entry_start, large, header_size, depth)
            .map_err(|e| e.context(format_args!("{kind} element {i}")))?;
    }
    w.push(if object { '}' } else { ']' })
}

/// Writes the element whose value entry starts at `body[entry_start]`.
fn write_element(
    w: &mut Writer,
    body: &[u8],
    entry_start: usize,
    large: bool,
    header_size: usize,
    depth: usize,
) -> DecodeResult<()> {
    let offset_size: usize = if large { 4 } else { 2 };
    let mut entry = Reader::new(body);
    entry.skip(entry_start, "value entry")?;
    let ty = entry.u8("value type")?;
    let inlined = match ty {
        LITERAL | INT16 | UINT16 => true,
        INT32 | UINT32 => large,
        _ => false,
    };
    if inlined {
        let slot = entry.take(offset_size, "inlined value")?;
        return write_scalar(w, ty, &mut Reader::new(slot));
    }
    let offset = entry.uint_le(offset_size, "value offset")?;
    let value = usize::try_from(offset)
        .ok()
        .filter(|off| *off >= header_size)
        .and_then(|off| body.get(off..))
        .ok_or_else(|| {
            DecodeError::new(format!(
                "value offset {offset} outside the container's {} bytes",
                body.len()
            ))
        })?;
    write_value(w, ty, value, depth)
}

/// Reads MySQL's variable-length size: 7 bits per byte, low bits first, at most 5 bytes, and
/// the value must fit in 32 bits.
fn read_varlen(r: &mut Reader<'_>, what: &str) -> DecodeResult<usize> {
    let mut value: u64 = 0;
    for i in 0..5 {
        let b = r.u8(what)?;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return u32::try_from(value)
                .ok()
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| DecodeError::new(format!("{what}: {value} exceeds 32 bits")));
        }
    }
    Err(DecodeError::new(format!(
        "{what}: variable-length size longer than 5 bytes"
    )))
}

/// Writes `s` as a quoted JSON string with MySQL's escaping (`double_quote` in json_dom.cc).
fn write_quoted(w: &mut Writer, s: &str) -> DecodeResult<()> {
    use std::fmt::Write as _;
    w.out.reserve(s.len() + 2);
    w.out.push('"');
    for c in s.chars() {
        match c {
            '"' => w.out.push_str("\\\""),
            '\\' => w.out.push_str("\\\\"),
            '\u{8}' => w.out.push_str("\\b"),
            '\u{c}' => w.out.push_str("\\f"),
            '\n' => w.out.push_str("\\n"),
            '\r' => w.out.push_str("\\r"),
            '\t' => w.out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                // Writing to a String cannot fail.
                let _ = write!(w.out, "\\u{:04x}", u32::from(c));
            }
            c => w.out.push(c),
        }
    }
    w.push('"')
}

/// Writes an opaque value the way MySQL prints it (see the module docs).
fn write_opaque(w: &mut Writer, field_type: u8, bytes: &[u8]) -> DecodeResult<()> {
    match field_type {
        FIELD_NEWDECIMAL => {
            // Precision byte, scale byte, then exactly the binary decimal.
            let mut r = Reader::new(bytes);
            let precision = r.u8("decimal precision")?;
            let scale = r.u8("decimal scale")?;
            let size = computed_decimal_bin_size(precision, scale)?;
            if size != r.remaining() {
                return Err(DecodeError::new(format!(
                    "DECIMAL({precision},{scale}) needs {size} bytes, opaque value has {}",
                    r.remaining()
                )));
            }
            let text = decode_computed_decimal(&mut r, precision, scale)?;
            w.push_str(&text)
        }
        FIELD_DATE | FIELD_TIME | FIELD_DATETIME | FIELD_TIMESTAMP => {
            let packed: [u8; 8] = bytes.try_into().map_err(|_| {
                DecodeError::new(format!(
                    "packed temporal value needs 8 bytes, has {}",
                    bytes.len()
                ))
            })?;
            let packed = i64::from_le_bytes(packed);
            let text = if field_type == FIELD_TIME {
                format_packed_time(packed)?
            } else {
                format_packed_datetime(packed, field_type != FIELD_DATE)?
            };
            w.push('"')?;
            w.push_str(&text)?;
            w.push('"')
        }
        FIELD_VAR_STRING => {
            // Current MySQL prints strings kept as opaque VAR_STRING as plain JSON strings.
            // The bytes carry no charset; invalid UTF-8 is replaced rather than rejected.
            write_quoted(w, &String::from_utf8_lossy(bytes))
        }
        other => {
            let text = format!("base64:type{other}:{}", mysql_base64(bytes));
            write_quoted(w, &text)
        }
    }
}

/// Splits a packed temporal value (MySQL's "longlong packed" format) into its sign and its
/// integer and microsecond parts.
fn unpack(packed: i64) -> DecodeResult<(bool, u64, u32)> {
    let negative = packed < 0;
    let magnitude = packed.unsigned_abs();
    let micros = (magnitude % (1 << 24)) as u32;
    if micros > 999_999 {
        return Err(DecodeError::new(format!(
            "packed temporal value has {micros} microseconds"
        )));
    }
    Ok((negative, magnitude >> 24, micros))
}

/// Formats a packed TIME (`TIME_from_longlong_time_packed` + `my_time_to_str`, 6 digits).
fn format_packed_time(packed: i64) -> DecodeResult<String> {
    let (negative, hms, micros) = unpack(packed)?;
    let hour = (hms >> 12) % (1 << 10);
    let minute = (hms >> 6) % (1 << 6);
    let second = hms % (1 << 6);
    let sign = if negative { "-" } else { "" };
    Ok(format!(
        "{sign}{hour:02}:{minute:02}:{second:02}.{micros:06}"
    ))
}

/// Formats a packed DATE (`with_time == false`) or DATETIME/TIMESTAMP
/// (`TIME_from_longlong_datetime_packed` + `my_date_to_str` / `my_datetime_to_str`, 6
/// digits). As in MySQL, a negative packed datetime prints without a sign.
fn format_packed_datetime(packed: i64, with_time: bool) -> DecodeResult<String> {
    let (_negative, ymdhms, micros) = unpack(packed)?;
    let ymd = ymdhms >> 17;
    let ym = ymd >> 5;
    let hms = ymdhms % (1 << 17);
    let day = ymd % (1 << 5);
    let month = ym % 13;
    let year = ym / 13;
    if year > 9999 {
        return Err(DecodeError::new(format!(
            "packed date has year {year} (corrupt value)"
        )));
    }
    if !with_time {
        return Ok(format!("{year:04}-{month:02}-{day:02}"));
    }
    let second = hms % (1 << 6);
    let minute = (hms >> 6) % (1 << 6);
    let hour = hms >> 12;
    Ok(format!(
        "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{micros:06}"
    ))
}

/// Formats a double as MySQL's JSON output does: `my_gcvt(d, MY_GCVT_ARG_DOUBLE,
/// MY_GCVT_MAX_FIELD_WIDTH)` then `.0` if the result shows neither `.` nor `e`.
///
/// `my_gcvt` takes the shortest digits that round-trip (dtoa mode 4 with more digits than a
/// double has), prints them plainly when the decimal exponent `decpt` (value =
/// 0.DIGITS × 10^decpt) is in -14..=15 — or larger but with digits after the point — and
/// otherwise in `d.ddde±x` form without `+` or padding. NaN and infinities cannot be stored in
/// JSON, so they are corrupt input.
fn format_double(v: f64) -> DecodeResult<String> {
    if !v.is_finite() {
        return Err(DecodeError::new(format!("double {v} is not a JSON number")));
    }
    // Rust's `{:e}` prints the shortest round-trip digits: "1.2345e-7", "1e100", "0e0".
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci
        .split_once('e')
        .ok_or_else(|| DecodeError::new(format!("double {v}: unexpected rendering {sci}")))?;
    let exp: i32 = exp
        .parse()
        .map_err(|_| DecodeError::new(format!("double {v}: unexpected rendering {sci}")))?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let decpt = exp + 1;

    let mut out = String::with_capacity(32);
    if v.is_sign_negative() {
        out.push('-');
    }
    let plain = decpt >= -14 && (decpt <= 15 || len > decpt);
    if plain {
        if decpt <= 0 {
            out.push_str("0.");
            for _ in decpt..0 {
                out.push('0');
            }
            out.push_str(&digits);
        } else if decpt < len {
            let (int, frac) = digits
                .split_at_checked(decpt.unsigned_abs() as usize)
                .ok_or_else(|| DecodeError::new(format!("double {v}: bad digit split")))?;
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        } else {
            out.push_str(&digits);
            for _ in len..decpt {
                out.push('0');
            }
        }
    } else {
        let (first, rest) = digits
            .split_at_checked(1)
            .ok_or_else(|| DecodeError::new(format!("double {v}: no digits")))?;
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push_str(&(decpt - 1).to_string());
    }
    if !out.contains(['.', 'e']) {
        out.push_str(".0");
    }
    Ok(out)
}

/// Base64 as MySQL's `base64_encode` writes it: standard alphabet with `=` padding and a
/// newline after every 76 output characters (never at the end).
fn mysql_base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextet = |v: u32, shift: u32| {
        let i = ((v >> shift) & 0x3f) as usize;
        ALPHABET.get(i).map_or('=', |b| char::from(*b))
    };
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4 + data.len() / 57 + 1);
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push('\n');
        }
        let b0 = u32::from(chunk.first().copied().unwrap_or(0));
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let v = (b0 << 16) | (b1 << 8) | b2;
        out.push(sextet(v, 18));
        out.push(sextet(v, 12));
        out.push(if chunk.len() > 1 { sextet(v, 6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(v, 0) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- tiny builders for hand-made documents -------------------------------------------

    /// A value as it appears inside a container: its type byte and its bytes.
    #[derive(Clone)]
    enum V {
        Lit(u8),
        I16(i16),
        U16(u16),
        I32(i32),
        U32(u32),
        I64(i64),
        U64(u64),
        F64(f64),
        Str(Vec<u8>),
        Opaque(u8, Vec<u8>),
        Arr(bool, Vec<V>),
        Obj(bool, Vec<(Vec<u8>, V)>),
    }

    fn varlen(mut n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    fn ty(v: &V) -> u8 {
        match v {
            V::Lit(_) => LITERAL,
            V::I16(_) => INT16,
            V::U16(_) => UINT16,
            V::I32(_) => INT32,
            V::U32(_) => UINT32,
            V::I64(_) => INT64,
            V::U64(_) => UINT64,
            V::F64(_) => DOUBLE,
            V::Str(_) => STRING,
            V::Opaque(..) => OPAQUE,
            V::Arr(large, _) => {
                if *large {
                    LARGE_ARRAY
                } else {
                    SMALL_ARRAY
                }
            }
            V::Obj(large, _) => {
                if *large {
                    LARGE_OBJECT
                } else {
                    SMALL_OBJECT
                }
            }
        }
    }

    /// The value's bytes without its type byte.
    fn body(v: &V) -> Vec<u8> {
        match v {
            V::Lit(l) => vec![*l],
            V::I16(x) => x.to_le_bytes().to_vec(),
            V::U16(x) => x.to_le_bytes().to_vec(),
            V::I32(x) => x.to_le_bytes().to_vec(),
            V::U32(x) => x.to_le_bytes().to_vec(),
            V::I64(x) => x.to_le_bytes().to_vec(),
            V::U64(x) => x.to_le_bytes().to_vec(),
            V::F64(x) => x.to_le_bytes().to_vec(),
            V::Str(s) => [varlen(s.len()), s.clone()].concat(),
            V::Opaque(t, d) => [vec![*t], varlen(d.len()), d.clone()].concat(),
            V::Arr(large, items) => container(*large, None, items),
            V::Obj(large, members) => {
                let keys: Vec<Vec<u8>> = members.iter().map(|(k, _)| k.clone()).collect();
                let values: Vec<V> = members.iter().map(|(_, v)| v.clone()).collect();
                container(*large, Some(&keys), &values)
            }
        }
    }

    fn put(out: &mut Vec<u8>, large: bool, n: usize) {
        if large {
            out.extend_from_slice(&(n as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
    }

    fn inlined(v: &V, large: bool) -> bool {
        matches!(v, V::Lit(_) | V::I16(_) | V::U16(_))
            || (large && matches!(v, V::I32(_) | V::U32(_)))
    }

    fn container(large: bool, keys: Option<&[Vec<u8>]>, values: &[V]) -> Vec<u8> {
        let off = if large { 4 } else { 2 };
        let n = values.len();
        let mut header_size = 2 * off + n * (off + 1);
        if keys.is_some() {
            header_size += n * (off + 2);
        }
        let mut tail = Vec::new();
        let mut key_entries = Vec::new();
        if let Some(keys) = keys {
            for k in keys {
                put(&mut key_entries, large, header_size + tail.len());
                key_entries.extend_from_slice(&(k.len() as u16).to_le_bytes());
                tail.extend_from_slice(k);
            }
        }
        let mut value_entries = Vec::new();
        for v in values {
            value_entries.push(ty(v));
            if inlined(v, large) {
                let mut b = body(v);
                b.resize(off, 0);
                value_entries.extend_from_slice(&b);
            } else {
                put(&mut value_entries, large, header_size + tail.len());
                tail.extend_from_slice(&body(v));
            }
        }
        let mut out = Vec::new();
        put(&mut out, large, n);
        put(&mut out, large, header_size + tail.len());
        out.extend(key_entries);
        out.extend(value_entries);
        out.extend(tail);
        out
    }

    fn doc(v: &V) -> Vec<u8> {
        [vec![ty(v)], body(v)].concat()
    }

    fn text(v: &V) -> String {
        json_to_text(&doc(v)).unwrap()
    }

    fn obj(large: bool, members: &[(&str, V)]) -> V {
        V::Obj(
            large,
            members
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.clone()))
                .collect(),
        )
    }

    fn s(x: &str) -> V {
        V::Str(x.as_bytes().to_vec())
    }

    // ---- scalars -------------------------------------------------------------------------

    #[test]
    fn empty_is_null() {
        assert_eq!(json_to_text(&[]).unwrap(), "null");
    }

    #[test]
    fn literals() {
        assert_eq!(text(&V::Lit(0)), "null");
        assert_eq!(text(&V::Lit(1)), "true");
        assert_eq!(text(&V::Lit(2)), "false");
        assert!(json_to_text(&[LITERAL, 3]).is_err());
        assert!(json_to_text(&[LITERAL]).is_err());
    }

    #[test]
    fn integers() {
        assert_eq!(text(&V::I16(-32768)), "-32768");
        assert_eq!(text(&V::U16(65535)), "65535");
        assert_eq!(text(&V::I32(i32::MIN)), "-2147483648");
        assert_eq!(text(&V::U32(u32::MAX)), "4294967295");
        assert_eq!(text(&V::I64(i64::MIN)), "-9223372036854775808");
        assert_eq!(text(&V::I64(42)), "42");
        assert_eq!(text(&V::U64(u64::MAX)), "18446744073709551615");
        assert!(json_to_text(&[INT64, 1, 2, 3]).is_err());
    }

    #[test]
    fn doubles_like_my_gcvt() {
        let cases: &[(f64, &str)] = &[
            (1.5, "1.5"),
            (1.0, "1.0"),
            (-1.0, "-1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (std::f64::consts::PI, "3.141592653589793"),
            (1234.5678, "1234.5678"),
            (1e100, "1e100"),
            (1.5e300, "1.5e300"),
            (-1e100, "-1e100"),
            (1e14, "100000000000000.0"),
            (123456789012345.0, "123456789012345.0"),
            (1e15, "1e15"),
            (1234567890123456.7, "1234567890123456.8"),
            (123456789012345680000.0, "1.2345678901234568e20"),
            (1e-15, "0.000000000000001"),
            (1.5e-15, "0.0000000000000015"),
            (1e-16, "1e-16"),
            (-1.5e-16, "-1.5e-16"),
            (0.0001, "0.0001"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (9007199254740993.0, "9.007199254740992e15"),
            (999999999999999.0, "999999999999999.0"),
        ];
        for (v, want) in cases {
            assert_eq!(text(&V::F64(*v)), *want, "{v:e}");
        }
        assert!(json_to_text(&doc(&V::F64(f64::NAN))).is_err());
        assert!(json_to_text(&doc(&V::F64(f64::INFINITY))).is_err());
    }

    #[test]
    fn strings_are_escaped_like_mysql() {
        assert_eq!(text(&s("")), r#""""#);
        assert_eq!(text(&s("héllo €𝄞")), "\"héllo €𝄞\"");
        assert_eq!(
            text(&s("a\"b\\c/d\u{8}\u{c}\n\r\t")),
            r#""a\"b\\c/d\b\f\n\r\t""#
        );
        assert_eq!(
            text(&s("\u{0}\u{1}\u{1b}\u{1f}")),
            r#""\u0000\u0001\u001b\u001f""#
        );
        assert_eq!(text(&s("\u{7f} ")), "\"\u{7f} \"");
        let long = "x".repeat(300); // two-byte length
        assert_eq!(text(&s(&long)), format!("\"{long}\""));
        let longer = "y".repeat(20_000); // three-byte length
        assert_eq!(text(&s(&longer)), format!("\"{longer}\""));
    }

    #[test]
    fn bad_strings_are_errors() {
        assert!(json_to_text(&doc(&V::Str(vec![0xff, 0xfe]))).is_err());
        assert!(json_to_text(&[STRING, 5, b'a']).is_err()); // truncated
        assert!(json_to_text(&[STRING]).is_err());
        // Varlen with continuation bits running past 5 bytes, and past the end.
        assert!(json_to_text(&[STRING, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).is_err());
        assert!(json_to_text(&[STRING, 0x80]).is_err());
        // 5-byte varlen above u32::MAX.
        assert!(json_to_text(&[STRING, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
    }

    #[test]
    fn unknown_type_is_an_error() {
        for t in [0x0d, 0x0e, 0x10, 0xff] {
            assert!(json_to_text(&[t, 0, 0, 0, 0]).is_err(), "{t:#x}");
        }
    }

    // ---- containers ----------------------------------------------------------------------

    #[test]
    fn small_and_large_objects_and_arrays() {
        for large in [false, true] {
            let v = obj(
                large,
                &[
                    ("a", V::I16(1)),
                    ("b", V::Arr(large, vec![V::I16(1), V::I16(2)])),
                ],
            );
            assert_eq!(text(&v), r#"{"a": 1, "b": [1, 2]}"#);
            assert_eq!(text(&V::Arr(large, vec![])), "[]");
            assert_eq!(text(&V::Obj(large, vec![])), "{}");
            let mixed = V::Arr(
                large,
                vec![
                    V::Lit(0),
                    V::Lit(1),
                    V::Lit(2),
                    V::I16(-5),
                    V::U16(7),
                    V::I32(-70000),
                    V::U32(70000),
                    V::I64(-1),
                    V::U64(1),
                    V::F64(2.5),
                    s("x"),
                    obj(large, &[]),
                ],
            );
            assert_eq!(
                text(&mixed),
                r#"[null, true, false, -5, 7, -70000, 70000, -1, 1, 2.5, "x", {}]"#
            );
        }
    }

    #[test]
    fn keys_keep_stored_order_and_are_escaped() {
        let v = obj(
            false,
            &[("b", V::I16(1)), ("a\"\n", V::I16(2)), ("", V::Lit(0))],
        );
        assert_eq!(text(&v), r#"{"b": 1, "a\"\n": 2, "": null}"#);
    }

    #[test]
    fn nested_mixed_sizes() {
        let inner = obj(true, &[("k", V::Arr(false, vec![s("v"), V::F64(1e100)]))]);
        let v = V::Arr(false, vec![inner.clone(), obj(false, &[("z", inner)])]);
        assert_eq!(
            text(&v),
            r#"[{"k": ["v", 1e100]}, {"z": {"k": ["v", 1e100]}}]"#
        );
    }

    #[test]
    fn hand_written_small_object() {
        // {"a": "b"} written out by hand: count 1, size 14, key entry (11, 1),
        // value entry (string @ 12), key "a", value "b".
        let bytes = [
            0x00, 0x01, 0x00, 0x0e, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x0c, 0x0c, 0x00, b'a', 0x01,
            b'b',
        ];
        assert_eq!(json_to_text(&bytes).unwrap(), r#"{"a": "b"}"#);
    }

    #[test]
    fn depth_limit_is_mysqls() {
        let mut v = V::Arr(false, vec![]);
        for _ in 1..MAX_DEPTH {
            v = V::Arr(false, vec![v]);
        }
        let ok = text(&v);
        assert_eq!(ok.len(), 2 * MAX_DEPTH);
        let too_deep = doc(&V::Arr(false, vec![v]));
        let err = json_to_text(&too_deep).unwrap_err();
        assert!(err.reason.contains("deeper than 100"), "{err}");
    }

    #[test]
    fn truncations_and_garbage_never_panic() {
        let v = obj(
            false,
            &[
                ("a", V::Arr(true, vec![V::I32(5), s("hé"), V::F64(-0.5)])),
                ("bb", V::Opaque(FIELD_NEWDECIMAL, vec![4, 2, 0x80 | 12, 34])),
                (
                    "ccc",
                    V::Opaque(FIELD_DATE, 0x198be40000000000u64.to_le_bytes().to_vec()),
                ),
                ("d", obj(true, &[("x", V::U64(9))])),
            ],
        );
        let bytes = doc(&v);
        assert_eq!(
            json_to_text(&bytes).unwrap(),
            r#"{"a": [5, "hé", -0.5], "bb": 12.34, "ccc": "2012-03-18", "d": {"x": 9}}"#
        );
        for n in 1..bytes.len() {
            assert!(json_to_text(&bytes[..n]).is_err(), "truncated to {n}");
        }
        // Flip every byte to every value: must return (Ok or Err), never panic.
        for i in 0..bytes.len() {
            for b in 0..=255u8 {
                let mut m = bytes.clone();
                m[i] = b;
                let _ = json_to_text(&m);
            }
        }
    }

    #[test]
    fn bad_offsets_are_errors() {
        // Array claiming more bytes than present.
        assert!(json_to_text(&[SMALL_ARRAY, 0x01, 0x00, 0xff, 0x00]).is_err());
        // Array header larger than its size.
        assert!(json_to_text(&[SMALL_ARRAY, 0x05, 0x00, 0x04, 0x00]).is_err());
        // Huge element count in a large array.
        assert!(json_to_text(&[LARGE_ARRAY, 0xff, 0xff, 0xff, 0xff, 0x08, 0, 0, 0]).is_err());
        // Value offset pointing outside the container.
        assert!(json_to_text(&[SMALL_ARRAY, 0x01, 0x00, 0x07, 0x00, STRING, 0x40, 0x00]).is_err());
        // Value offset pointing into the header.
        assert!(json_to_text(&[SMALL_ARRAY, 0x01, 0x00, 0x07, 0x00, STRING, 0x01, 0x00]).is_err());
        // Key offset outside the object.
        let bad_key = [
            0x00, 0x01, 0x00, 0x0c, 0x00, 0x30, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, b'a',
        ];
        assert!(json_to_text(&bad_key).is_err());
        // Key length running past the object.
        let bad_len = [
            0x00, 0x01, 0x00, 0x0c, 0x00, 0x0b, 0x00, 0x09, 0x00, 0x04, 0x00, 0x00, b'a',
        ];
        assert!(json_to_text(&bad_len).is_err());
        // A nested container may not read past its parent's size.
        let mut nested = doc(&V::Arr(false, vec![V::Arr(false, vec![s("abc")])]));
        // Shrink the outer size by one byte: the inner string now crosses the boundary.
        nested[3] -= 1;
        assert!(json_to_text(&nested).is_err());
    }

    #[test]
    fn shared_offsets_cannot_blow_up_the_output() {
        // Each level is an array of 8 entries that all point at the same child array.
        let mut child = doc(&V::Arr(false, vec![s("xxxxxxxx")]));
        for _ in 0..12 {
            let child_body = &child[1..];
            let n = 8usize;
            let header = 4 + 3 * n;
            let mut out = Vec::new();
            out.extend_from_slice(&(n as u16).to_le_bytes());
            out.extend_from_slice(&((header + child_body.len()) as u16).to_le_bytes());
            for _ in 0..n {
                out.push(SMALL_ARRAY);
                out.extend_from_slice(&(header as u16).to_le_bytes());
            }
            out.extend_from_slice(child_body);
            child = [vec![SMALL_ARRAY], out].concat();
        }
        let err = json_to_text(&child).unwrap_err();
        assert!(err.reason.contains("exceeds"), "{err}");
    }

    // ---- opaque values -------------------------------------------------------------------

    fn opaque(t: u8, data: &[u8]) -> String {
        text(&V::Opaque(t, data.to_vec()))
    }

    fn packed_datetime(y: u64, mo: u64, d: u64, h: u64, mi: u64, s: u64, us: u64) -> [u8; 8] {
        let ymd = ((y * 13 + mo) << 5) | d;
        let hms = (h << 12) | (mi << 6) | s;
        ((((ymd << 17) | hms) << 24) + us).to_le_bytes()
    }

    fn packed_time(neg: bool, h: i64, mi: i64, s: i64, us: i64) -> [u8; 8] {
        let v = ((((h << 12) | (mi << 6) | s) << 24) + us) * if neg { -1 } else { 1 };
        v.to_le_bytes()
    }

    #[test]
    fn opaque_temporals() {
        let date = packed_datetime(2015, 1, 15, 0, 0, 0, 0);
        assert_eq!(opaque(FIELD_DATE, &date), r#""2015-01-15""#);
        let dt = packed_datetime(2015, 1, 15, 23, 24, 25, 0);
        assert_eq!(
            opaque(FIELD_DATETIME, &dt),
            r#""2015-01-15 23:24:25.000000""#
        );
        assert_eq!(
            opaque(FIELD_TIMESTAMP, &dt),
            r#""2015-01-15 23:24:25.000000""#
        );
        let dt = packed_datetime(9999, 12, 31, 23, 59, 59, 999_999);
        assert_eq!(
            opaque(FIELD_DATETIME, &dt),
            r#""9999-12-31 23:59:59.999999""#
        );
        assert_eq!(opaque(FIELD_DATE, &[0; 8]), r#""0000-00-00""#);
        assert_eq!(
            opaque(FIELD_TIME, &packed_time(false, 23, 24, 25, 0)),
            r#""23:24:25.000000""#
        );
        assert_eq!(
            opaque(FIELD_TIME, &packed_time(true, 838, 59, 59, 0)),
            r#""-838:59:59.000000""#
        );
        assert_eq!(
            opaque(FIELD_TIME, &packed_time(true, 0, 0, 0, 500_000)),
            r#""-00:00:00.500000""#
        );
        assert_eq!(opaque(FIELD_TIME, &[0; 8]), r#""00:00:00.000000""#);
    }

    #[test]
    fn bad_opaque_temporals_are_errors() {
        let dt = packed_datetime(2015, 1, 15, 23, 24, 25, 0);
        assert!(json_to_text(&doc(&V::Opaque(FIELD_DATETIME, dt[..7].to_vec()))).is_err());
        assert!(json_to_text(&doc(&V::Opaque(FIELD_DATE, vec![0; 9]))).is_err());
        // Microseconds above 999999.
        let bad = ((1u64 << 24) - 1).to_le_bytes();
        assert!(json_to_text(&doc(&V::Opaque(FIELD_TIME, bad.to_vec()))).is_err());
        // Year above 9999.
        let bad = packed_datetime(10_000, 1, 1, 0, 0, 0, 0);
        assert!(json_to_text(&doc(&V::Opaque(FIELD_DATE, bad.to_vec()))).is_err());
    }

    #[test]
    fn opaque_decimals_are_bare_numbers() {
        // DECIMAL(6,3) 123.456 and DECIMAL(11,2) 9.00, as in the corpus.
        assert_eq!(
            opaque(FIELD_NEWDECIMAL, &[6, 3, 0x80, 0x7b, 0x01, 0xc8]),
            "123.456"
        );
        assert_eq!(
            opaque(FIELD_NEWDECIMAL, &[11, 2, 0x80, 0, 0, 0x09, 0x00]),
            "9.00"
        );
        // -1.5 as DECIMAL(2,1): digits 1 | 5 inverted.
        assert_eq!(opaque(FIELD_NEWDECIMAL, &[2, 1, 0x7e, 0xfa]), "-1.5");
        let v = V::Arr(false, vec![V::Opaque(FIELD_NEWDECIMAL, vec![1, 1, 0x85])]);
        assert_eq!(text(&v), "[0.5]");
    }

    #[test]
    fn bad_opaque_decimals_are_errors() {
        for data in [
            vec![],
            vec![6],
            vec![6, 3, 0x80, 0x7b, 0x01],             // short
            vec![6, 3, 0x80, 0x7b, 0x01, 0xc8, 0x00], // long
            vec![0, 0],                               // precision 0
            vec![5, 6, 0x80],                         // scale > precision
            vec![1, 0, 0x80 | 10],                    // digit group overflow
        ] {
            assert!(
                json_to_text(&doc(&V::Opaque(FIELD_NEWDECIMAL, data.clone()))).is_err(),
                "{data:?}"
            );
        }
    }

    #[test]
    fn other_opaques_are_base64() {
        assert_eq!(opaque(15, b"U"), r#""base64:type15:VQ==""#);
        assert_eq!(opaque(252, b""), r#""base64:type252:""#);
        assert_eq!(opaque(16, &[0x01, 0x02]), r#""base64:type16:AQI=""#);
        assert_eq!(opaque(249, b"abc"), r#""base64:type249:YWJj""#);
        // 57 bytes encode to exactly 76 characters: no newline. 58 bytes: one, escaped.
        let b57 = opaque(252, &[0u8; 57]);
        assert_eq!(b57, format!("\"base64:type252:{}\"", "A".repeat(76)));
        let b58 = opaque(252, &[0u8; 58]);
        assert_eq!(b58, format!("\"base64:type252:{}\\nAA==\"", "A".repeat(76)));
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(mysql_base64(b""), "");
        assert_eq!(mysql_base64(b"f"), "Zg==");
        assert_eq!(mysql_base64(b"fo"), "Zm8=");
        assert_eq!(mysql_base64(b"foo"), "Zm9v");
        assert_eq!(mysql_base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(mysql_base64(&[0xfb, 0xff, 0xbf]), "+/+/");
        let long = mysql_base64(&[0xff; 57 * 2 + 1]);
        let lines: Vec<&str> = long.split('\n').collect();
        assert_eq!(
            lines.iter().map(|l| l.len()).collect::<Vec<_>>(),
            [76, 76, 4]
        );
    }

    #[test]
    fn opaque_var_string_is_a_string() {
        assert_eq!(opaque(FIELD_VAR_STRING, b"a\"b"), r#""a\"b""#);
    }

    #[test]
    fn truncated_opaque_is_an_error() {
        assert!(json_to_text(&[OPAQUE]).is_err());
        assert!(json_to_text(&[OPAQUE, 15]).is_err());
        assert!(json_to_text(&[OPAQUE, 15, 3, b'a']).is_err());
    }

    // ---- JSON diffs ----------------------------------------------------------------------

    fn diff_bytes(op: u8, path: &str, value: Option<&[u8]>) -> Vec<u8> {
        let mut out = vec![op, path.len() as u8];
        out.extend_from_slice(path.as_bytes());
        if let Some(v) = value {
            out.push(v.len() as u8);
            out.extend_from_slice(v);
        }
        out
    }

    #[test]
    fn diffs_of_every_operation() {
        let mut bytes = diff_bytes(0, "$.age", Some(&[INT16, 0x1a, 0x00]));
        bytes.extend(diff_bytes(
            1,
            "$.a[1]",
            Some(&doc(&obj(false, &[("x", s("y"))]))),
        ));
        bytes.extend(diff_bytes(2, "$.gone", None));
        bytes.extend(diff_bytes(0, "$", Some(&[])));
        let diffs = decode_json_diffs(&bytes).unwrap();
        assert_eq!(
            diffs,
            vec![
                JsonDiff {
                    operation: JsonDiffOp::Replace,
                    path: "$.age".into(),
                    value: Some("26".into()),
                },
                JsonDiff {
                    operation: JsonDiffOp::Insert,
                    path: "$.a[1]".into(),
                    value: Some(r#"{"x": "y"}"#.into()),
                },
                JsonDiff {
                    operation: JsonDiffOp::Remove,
                    path: "$.gone".into(),
                    value: None,
                },
                JsonDiff {
                    operation: JsonDiffOp::Replace,
                    path: "$".into(),
                    value: Some("null".into()),
                },
            ]
        );
        assert_eq!(decode_json_diffs(&[]).unwrap(), vec![]);
    }

    #[test]
    fn diff_lengths_are_length_encoded() {
        let path = format!("$.{}", "k".repeat(300));
        let mut bytes = vec![2, 0xfc];
        bytes.extend_from_slice(&(path.len() as u16).to_le_bytes());
        bytes.extend_from_slice(path.as_bytes());
        let diffs = decode_json_diffs(&bytes).unwrap();
        assert_eq!(diffs[0].path, path);
        assert_eq!(diffs[0].value, None);
    }

    #[test]
    fn bad_diffs_are_errors() {
        let good = diff_bytes(0, "$.age", Some(&[INT16, 0x1a, 0x00]));
        for n in 1..good.len() {
            assert!(decode_json_diffs(&good[..n]).is_err(), "truncated to {n}");
        }
        assert!(decode_json_diffs(&diff_bytes(3, "$", None)).is_err()); // unknown op
        assert!(decode_json_diffs(&[0, 0xfb]).is_err()); // NULL path length
        assert!(decode_json_diffs(&[0, 0xff]).is_err());
        // An invalid UTF-8 path, a bad value, then huge declared lengths that must not
        // allocate or panic.
        assert!(decode_json_diffs(&[2, 2, 0xc3, 0x28]).is_err());
        assert!(decode_json_diffs(&diff_bytes(0, "$", Some(&[0x42]))).is_err());
        assert!(
            decode_json_diffs(&[0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err()
        );
    }

    // Real bytes from MySQL binlogs (json.binlog.000001, json-opaque.binlog) are checked
    // through the whole decoder in proto-tests/tests/corpus.rs.
}
