//! Values rendered exactly as MySQL's text protocol (`SELECT` in a utf8mb4 session) shows
//! them: the differential tests compare these bytes with the source's own answers, and
//! `tail` prints them.

use std::fmt::Write as _;

use jiff::tz::TimeZone;

use super::table::{types, ColumnInfo, BINARY_COLLATION};
use super::value::{Date, JsonDiffOp, Time, Timestamp, Value};

/// How stored bytes of a character column must be converted to UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Already UTF-8 (utf8mb3, utf8mb4) or plain ASCII.
    Utf8,
    /// latin1 (MySQL's latin1 is Windows-1252).
    Latin1,
    /// UTF-16 big-endian (utf16, ucs2).
    Utf16Be,
    /// UTF-16 little-endian.
    Utf16Le,
    /// UTF-32 big-endian.
    Utf32,
    /// Binary strings: bytes are not text.
    Binary,
    /// Another charset: bytes are passed through unchanged.
    Other,
}

/// The charset of a collation id (MySQL and MariaDB ids; MariaDB NO PAD ids are +1024).
pub fn charset_of(collation: Option<u16>) -> Charset {
    let Some(id) = collation else {
        return Charset::Utf8;
    };
    let base = if id >= 1024 { id - 1024 } else { id };
    match base {
        BINARY_COLLATION => Charset::Binary,
        5 | 8 | 15 | 31 | 47 | 48 | 49 | 94 => Charset::Latin1,
        11 | 65 => Charset::Utf8, // ascii
        35 | 90 | 128..=151 | 159 | 54 | 55 | 101..=124 => Charset::Utf16Be,
        56 | 62 => Charset::Utf16Le,
        60 | 61 | 160..=183 => Charset::Utf32,
        33 | 83 | 192..=215 | 223 | 76 | 45 | 46 | 224..=247 | 255..=323 => Charset::Utf8,
        _ => Charset::Other,
    }
}

/// Windows-1252 code points for bytes 0x80..=0x9F (MySQL maps the five undefined ones to
/// the C1 controls).
const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
];

/// Converts a character column's stored bytes to what a utf8mb4 client receives.
pub fn to_utf8(bytes: &[u8], charset: Charset) -> Vec<u8> {
    match charset {
        Charset::Utf8 | Charset::Binary | Charset::Other => bytes.to_vec(),
        Charset::Latin1 => {
            let mut s = String::with_capacity(bytes.len());
            for &b in bytes {
                let cp = match b {
                    0x80..=0x9f => u32::from(CP1252_HIGH[usize::from(b - 0x80)]),
                    _ => u32::from(b),
                };
                s.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
            }
            s.into_bytes()
        }
        Charset::Utf16Be | Charset::Utf16Le => {
            let units = bytes.chunks(2).map(|c| match (c, charset) {
                ([a, b], Charset::Utf16Be) => u16::from_be_bytes([*a, *b]),
                ([a, b], _) => u16::from_le_bytes([*a, *b]),
                _ => 0xfffd,
            });
            char::decode_utf16(units)
                .map(|r| r.unwrap_or('\u{fffd}'))
                .collect::<String>()
                .into_bytes()
        }
        Charset::Utf32 => bytes
            .chunks(4)
            .map(|c| match c {
                [a, b, x, y] => {
                    char::from_u32(u32::from_be_bytes([*a, *b, *x, *y])).unwrap_or('\u{fffd}')
                }
                _ => '\u{fffd}',
            })
            .collect::<String>()
            .into_bytes(),
    }
}

/// Renders a value as the source's text protocol would send it; `None` for SQL NULL.
///
/// TIMESTAMP values are shown in `tz` (the session `time_zone` of the comparison).
pub fn render(value: &Value, col: &ColumnInfo, tz: &TimeZone) -> Option<Vec<u8>> {
    Some(match value {
        Value::Null => return None,
        Value::Int(v) => v.to_string().into_bytes(),
        Value::UInt(v) => v.to_string().into_bytes(),
        Value::Float(v) => format_float(f64::from(*v), true).into_bytes(),
        Value::Double(v) => format_float(*v, false).into_bytes(),
        Value::Decimal(s) | Value::Json(s) => s.clone().into_bytes(),
        Value::Bit { bits, width } => {
            let n = usize::from(width.div_ceil(8)).clamp(1, 8);
            bits.to_be_bytes()[8 - n..].to_vec()
        }
        Value::Year(y) => format!("{y:04}").into_bytes(),
        Value::Date(d) => date_text(d).into_bytes(),
        Value::Time(t) => time_text(t).into_bytes(),
        Value::DateTime(dt) => {
            let mut s = date_text(&dt.date);
            let _ = write!(s, " {:02}:{:02}:{:02}", dt.hour, dt.minute, dt.second);
            push_frac(&mut s, dt.micros, dt.fsp);
            s.into_bytes()
        }
        Value::Timestamp(ts) => timestamp_text(ts, tz).into_bytes(),
        Value::Bytes(b) => to_utf8(b, charset_of(col.collation)),
        Value::Enum(i) => match (&col.labels, *i) {
            (_, 0) => Vec::new(),
            (Some(labels), i) => labels
                .get(usize::from(i) - 1)
                .map(|l| to_utf8(l, charset_of(col.collation)))
                .unwrap_or_else(|| i.to_string().into_bytes()),
            (None, i) => i.to_string().into_bytes(),
        },
        Value::Set(bits) => match &col.labels {
            Some(labels) => {
                let mut out = Vec::new();
                for (i, l) in labels.iter().enumerate().take(64) {
                    if bits & (1u64 << i) != 0 {
                        if !out.is_empty() {
                            out.push(b',');
                        }
                        out.extend(to_utf8(l, charset_of(col.collation)));
                    }
                }
                out
            }
            None => bits.to_string().into_bytes(),
        },
        Value::JsonDiffs(diffs) => {
            // Shown the way mysqlbinlog -v shows partial updates: nested JSON functions.
            let name = col.name.clone().unwrap_or_else(|| "@json".to_string());
            let mut s = format!("`{name}`");
            for d in diffs {
                let path = d.path.replace('\'', "''");
                s = match (d.operation, &d.value) {
                    (JsonDiffOp::Replace, Some(v)) => format!("JSON_REPLACE({s}, '{path}', {v})"),
                    (JsonDiffOp::Insert, Some(v)) => format!("JSON_INSERT({s}, '{path}', {v})"),
                    _ => format!("JSON_REMOVE({s}, '{path}')"),
                };
            }
            s.into_bytes()
        }
        Value::Geometry(b) | Value::Vector(b) => b.clone(),
    })
}

/// True when the rendered bytes of this column are binary data rather than text.
pub fn is_binary_column(col: &ColumnInfo) -> bool {
    match col.column_type {
        types::BIT | types::GEOMETRY | types::VECTOR => true,
        types::JSON => false,
        _ => col.is_binary(),
    }
}

fn date_text(d: &Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

fn push_frac(s: &mut String, micros: u32, fsp: u8) {
    if fsp > 0 {
        let digits = format!("{micros:06}");
        s.push('.');
        s.push_str(&digits[..usize::from(fsp.min(6))]);
    }
}

fn time_text(t: &Time) -> String {
    let mut s = String::new();
    if t.negative {
        s.push('-');
    }
    let _ = write!(s, "{:02}:{:02}:{:02}", t.hours, t.minutes, t.seconds);
    push_frac(&mut s, t.micros, t.fsp);
    s
}

fn timestamp_text(ts: &Timestamp, tz: &TimeZone) -> String {
    let mut s = if ts.seconds == 0 && ts.micros == 0 {
        "0000-00-00 00:00:00".to_string()
    } else {
        match jiff::Timestamp::from_second(i64::from(ts.seconds)) {
            Ok(t) => t
                .to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string(),
            Err(_) => "0000-00-00 00:00:00".to_string(),
        }
    };
    push_frac(&mut s, ts.micros, ts.fsp);
    s
}

/// Formats FLOAT (6 significant digits) and DOUBLE (shortest round-trip) the way the
/// server's `my_gcvt` does: fixed notation unless the number needs an exponent beyond
/// 15 digits either side of the point.
pub fn format_float(x: f64, single: bool) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    if !x.is_finite() {
        return "0".to_string();
    }
    // Significant digits and decimal exponent, from Rust's correctly rounded formatting.
    let sci = if single {
        format!("{:.5e}", x.abs())
    } else {
        format!("{:e}", x.abs())
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let len = digits.len() as i32;
    let decpt = exp + 1; // position of the decimal point relative to the digits
    let mut width: i32 = 69;
    if x < 0.0 {
        width -= 1;
    }
    let exp_len =
        1 + i32::from(decpt >= 101 || decpt <= -99) + i32::from(decpt >= 11 || decpt <= -9);
    let f_len = if decpt <= 0 {
        len - decpt + 2
    } else if decpt < len {
        len + 1
    } else {
        decpt
    };
    let have_space = f_len <= width;
    let force_e = decpt <= 0 && width <= 2 - decpt && width >= 3 + exp_len;
    const DBL_DIG: i32 = 15;
    let fixed = (have_space || (decpt <= width && decpt >= -2 && !force_e))
        && (!have_space || (decpt > -DBL_DIG && (decpt <= DBL_DIG || len > decpt)));
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    if fixed {
        if decpt <= 0 {
            out.push_str("0.");
            for _ in decpt..0 {
                out.push('0');
            }
            out.push_str(digits);
        } else if decpt < len {
            out.push_str(&digits[..decpt as usize]);
            out.push('.');
            out.push_str(&digits[decpt as usize..]);
        } else {
            out.push_str(digits);
            for _ in len..decpt {
                out.push('0');
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if len > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}", decpt - 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::approx_constant)] // 3.14159274 is the SQL literal the server stored
    fn floats_print_like_the_server() {
        // Expected strings were read from MariaDB 10.11 `SELECT` on FLOAT / DOUBLE columns.
        let cases_f: &[(f32, &str)] = &[
            (3.141_592_7, "3.14159"),
            (1e30, "1e30"),
            (1.5e-7, "0.00000015"),
            (123_456_789.0, "123457000"),
            (0.000123, "0.000123"),
            (100000.0, "100000"),
            (-0.0, "0"),
            (1e-40, "9.99995e-41"),
        ];
        for (v, want) in cases_f {
            assert_eq!(format_float(f64::from(*v), true), *want, "float {v}");
        }
        let cases_d: &[(f64, &str)] = &[
            (0.1, "0.1"),
            (1e100, "1e100"),
            (f64::MAX, "1.7976931348623157e308"),
            (1e15, "1e15"),
            (1e-5, "0.00001"),
            (123_456_789_012_345_678.0, "1.2345678901234568e17"),
            (5e-324, "5e-324"),
            (-2.5, "-2.5"),
        ];
        for (v, want) in cases_d {
            assert_eq!(format_float(*v, false), *want, "double {v}");
        }
    }

    #[test]
    fn latin1_is_windows_1252() {
        assert_eq!(
            to_utf8(&[b'a', 0x80, 0xe9], Charset::Latin1),
            "a€é".as_bytes()
        );
        assert_eq!(charset_of(Some(8)), Charset::Latin1);
        assert_eq!(charset_of(Some(1032)), Charset::Latin1);
        assert_eq!(charset_of(Some(63)), Charset::Binary);
        assert_eq!(charset_of(Some(45)), Charset::Utf8);
    }

    #[test]
    fn temporal_text() {
        let t = Time {
            negative: true,
            hours: 0,
            minutes: 0,
            seconds: 1,
            micros: 500_000,
            fsp: 2,
        };
        assert_eq!(time_text(&t), "-00:00:01.50");
        let ts = Timestamp {
            seconds: 1_577_836_800,
            micros: 123_000,
            fsp: 3,
        };
        assert_eq!(
            timestamp_text(&ts, &TimeZone::UTC),
            "2020-01-01 00:00:00.123"
        );
        let zero = Timestamp {
            seconds: 0,
            micros: 0,
            fsp: 0,
        };
        assert_eq!(timestamp_text(&zero, &TimeZone::UTC), "0000-00-00 00:00:00");
    }
}
