//! MySQL's implicit conversions of single values: to text (as `CONCAT` shows a number or
//! a date), to a number (as `'12abc' + 0` reads a string), to an integer.

use datafusion::scalar::ScalarValue;

use super::env::Env;
use super::temporal;

/// True for SQL NULL of any type.
pub fn is_null(v: &ScalarValue) -> bool {
    v.is_null()
}

/// The text of a string value, `None` for other types and NULL.
pub fn as_str(v: &ScalarValue) -> Option<&str> {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s.as_str()),
        _ => None,
    }
}

/// A DECIMAL's unscaled value printed with `scale` digits after the point.
pub fn format_decimal(v: i128, scale: i8) -> String {
    let neg = v < 0;
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if scale <= 0 {
        out.push_str(&digits);
        for _ in 0..(-i32::from(scale)) {
            out.push('0');
        }
        return out;
    }
    let s = usize::from(scale.unsigned_abs());
    if digits.len() <= s {
        out.push_str("0.");
        for _ in 0..(s - digits.len()) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - s);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A value as MySQL converts it to a string (`CONCAT`, string functions); `None` for NULL.
pub fn to_text(v: &ScalarValue, env: &Env) -> Option<String> {
    if v.is_null() {
        return None;
    }
    Some(match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => s.clone(),
        ScalarValue::Boolean(Some(b)) => u8::from(*b).to_string(),
        ScalarValue::Float32(Some(f)) => crate::source::text::format_float(f64::from(*f), true),
        ScalarValue::Float64(Some(f)) => crate::source::text::format_float(*f, false),
        ScalarValue::Decimal128(Some(x), _, s) => format_decimal(*x, *s),
        ScalarValue::Binary(Some(b))
        | ScalarValue::LargeBinary(Some(b))
        | ScalarValue::BinaryView(Some(b)) => String::from_utf8_lossy(b).into_owned(),
        ScalarValue::FixedSizeBinary(_, Some(b)) => String::from_utf8_lossy(b).into_owned(),
        ScalarValue::Date32(_)
        | ScalarValue::Date64(_)
        | ScalarValue::TimestampSecond(..)
        | ScalarValue::TimestampMillisecond(..)
        | ScalarValue::TimestampMicrosecond(..)
        | ScalarValue::TimestampNanosecond(..)
        | ScalarValue::Time32Second(_)
        | ScalarValue::Time32Millisecond(_)
        | ScalarValue::Time64Microsecond(_)
        | ScalarValue::Time64Nanosecond(_)
        | ScalarValue::DurationSecond(_)
        | ScalarValue::DurationMillisecond(_)
        | ScalarValue::DurationMicrosecond(_)
        | ScalarValue::DurationNanosecond(_) => temporal::text_of(v, env)?,
        ScalarValue::Dictionary(_, inner) => return to_text(inner, env),
        other => other.to_string(),
    })
}

/// The leading number of a string as MySQL reads it (`'12abc'` is 12, `'abc'` is 0,
/// `' 1.5e2x'` is 150).
pub fn parse_number_prefix(s: &str) -> f64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r']);
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if i == digits_start || (i == digits_start + 1 && b.get(digits_start) == Some(&b'.')) {
        return 0.0;
    }
    let mantissa_end = i;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_start = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    t.get(..i)
        .and_then(|p| p.parse::<f64>().ok())
        .or_else(|| t.get(..mantissa_end).and_then(|p| p.parse::<f64>().ok()))
        .unwrap_or(0.0)
}

/// A value as a double (MySQL's numeric context); `None` for NULL.
pub fn to_f64(v: &ScalarValue) -> Option<f64> {
    if v.is_null() {
        return None;
    }
    Some(match v {
        ScalarValue::Boolean(Some(b)) => f64::from(u8::from(*b)),
        ScalarValue::Int8(Some(x)) => f64::from(*x),
        ScalarValue::Int16(Some(x)) => f64::from(*x),
        ScalarValue::Int32(Some(x)) => f64::from(*x),
        ScalarValue::Int64(Some(x)) => *x as f64,
        ScalarValue::UInt8(Some(x)) => f64::from(*x),
        ScalarValue::UInt16(Some(x)) => f64::from(*x),
        ScalarValue::UInt32(Some(x)) => f64::from(*x),
        ScalarValue::UInt64(Some(x)) => *x as f64,
        ScalarValue::Float32(Some(x)) => f64::from(*x),
        ScalarValue::Float64(Some(x)) => *x,
        ScalarValue::Decimal128(Some(x), _, s) => *x as f64 / 10f64.powi(i32::from(*s)),
        ScalarValue::Dictionary(_, inner) => return to_f64(inner),
        other => match as_str(other) {
            Some(s) => parse_number_prefix(s),
            None => {
                let text = other.to_string();
                parse_number_prefix(&text)
            }
        },
    })
}

/// A value as a signed integer, rounding as MySQL does (half away from zero); `None` for
/// NULL.
pub fn to_i64(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Int8(Some(x)) => Some(i64::from(*x)),
        ScalarValue::Int16(Some(x)) => Some(i64::from(*x)),
        ScalarValue::Int32(Some(x)) => Some(i64::from(*x)),
        ScalarValue::Int64(Some(x)) => Some(*x),
        ScalarValue::UInt8(Some(x)) => Some(i64::from(*x)),
        ScalarValue::UInt16(Some(x)) => Some(i64::from(*x)),
        ScalarValue::UInt32(Some(x)) => Some(i64::from(*x)),
        ScalarValue::UInt64(Some(x)) => Some(i64::try_from(*x).unwrap_or(i64::MAX)),
        _ => to_f64(v).map(|f| f.round() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_prefixes() {
        // SELECT '12abc'+0, 'abc'+0, ' 1.5e2x'+0, '-3.'+0, '.5'+0, '1e'+0 on MariaDB 10.11:
        // 12, 0, 150, -3, 0.5, 1
        assert_eq!(parse_number_prefix("12abc"), 12.0);
        assert_eq!(parse_number_prefix("abc"), 0.0);
        assert_eq!(parse_number_prefix(" 1.5e2x"), 150.0);
        assert_eq!(parse_number_prefix("-3."), -3.0);
        assert_eq!(parse_number_prefix(".5"), 0.5);
        assert_eq!(parse_number_prefix("1e"), 1.0);
    }

    #[test]
    fn decimals() {
        assert_eq!(format_decimal(150, 2), "1.50");
        assert_eq!(format_decimal(-5, 3), "-0.005");
        assert_eq!(format_decimal(35000, 4), "3.5000");
        assert_eq!(format_decimal(7, 0), "7");
    }
}
