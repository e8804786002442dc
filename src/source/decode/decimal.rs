//! MySQL binary DECIMAL (`MYSQL_TYPE_NEWDECIMAL`) decoding.
//!
//! This is the format of DECIMAL columns in binlog row images and of DECIMAL values inside
//! MySQL binary JSON (opaque values). It is MySQL's `decimal2bin` layout (strings/decimal.cc):
//!
//! * the integer part, then the fraction part, each in groups of 9 decimal digits stored as
//!   4-byte big-endian integers; the integer part's *leading* group and the fraction part's
//!   *trailing* group may hold fewer digits and then use `[0, 1, 1, 2, 2, 3, 3, 4, 4]` bytes
//!   for 0..=8 digits;
//! * the sign is the top bit of the first byte, inverted (1 = positive), and every byte of a
//!   negative number is additionally inverted (XOR 0xFF), so the bytes sort like the numbers.
//!
//! The text rendering is MySQL's `decimal2string` as used by `SELECT`: a `-` for negative
//! values, the integer part without leading zeros (`0` if it is zero), then exactly `scale`
//! fraction digits. One quirk is kept on purpose: MySQL's `bin2decimal` only clears the sign
//! of a stored negative zero when the scale is 0, so a (never normally written) negative-zero
//! image of `DECIMAL(5,2)` prints `-0.00` while one of `DECIMAL(5,0)` prints `0`.

use super::error::{DecodeError, DecodeResult};
use super::reader::Reader;

/// Largest precision of a DECIMAL column (MySQL's `DECIMAL_MAX_PRECISION`).
pub const MAX_PRECISION: u8 = 65;

/// Largest scale of a DECIMAL column (MySQL's `DECIMAL_MAX_SCALE`).
pub const MAX_SCALE: u8 = 30;

/// Largest number of digits a computed decimal can carry (9 words of 9 digits).
///
/// Decimals stored inside binary JSON come from expressions, not columns, so they are
/// allowed this wider limit (MySQL's `DECIMAL_BUFF_LENGTH * DIG_PER_DEC1`).
pub(crate) const MAX_COMPUTED_PRECISION: u8 = 81;

/// Decimal digits in one full 4-byte group.
const DIGITS_PER_GROUP: u8 = 9;

/// Bytes used by a partial group of 0..=8 digits (MySQL's `dig2bytes`).
const PARTIAL_GROUP_BYTES: [usize; 9] = [0, 1, 1, 2, 2, 3, 3, 4, 4];

/// 10^0 ..= 10^9, to check that a group holds no more digits than it should.
const POW10: [u32; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// How a `(precision, scale)` pair splits into groups.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// Digits in the leading partial integer group (0..=8).
    int_partial: u8,
    /// Full 9-digit integer groups.
    int_full: usize,
    /// Full 9-digit fraction groups.
    frac_full: usize,
    /// Digits in the trailing partial fraction group (0..=8).
    frac_partial: u8,
}

impl Layout {
    /// Checks the pair against the given limits and splits it into groups.
    fn new(precision: u8, scale: u8, max_precision: u8, max_scale: u8) -> DecodeResult<Self> {
        if precision == 0 || precision > max_precision {
            return Err(DecodeError::new(format!(
                "DECIMAL: precision {precision} is outside 1..={max_precision}"
            )));
        }
        if scale > max_scale || scale > precision {
            return Err(DecodeError::new(format!(
                "DECIMAL({precision},{scale}): scale must be at most {max_scale} and at most the precision"
            )));
        }
        let intg = precision - scale;
        Ok(Layout {
            int_partial: intg % DIGITS_PER_GROUP,
            int_full: usize::from(intg / DIGITS_PER_GROUP),
            frac_full: usize::from(scale / DIGITS_PER_GROUP),
            frac_partial: scale % DIGITS_PER_GROUP,
        })
    }

    /// Bytes the binary value occupies.
    fn size(&self) -> usize {
        partial_bytes(self.int_partial)
            + self.int_full * 4
            + self.frac_full * 4
            + partial_bytes(self.frac_partial)
    }
}

/// Bytes of a partial group with `digits` (0..=8) digits.
fn partial_bytes(digits: u8) -> usize {
    PARTIAL_GROUP_BYTES
        .get(usize::from(digits))
        .copied()
        .unwrap_or(4)
}

/// 10^`digits` for 0..=9.
fn pow10(digits: u8) -> u32 {
    POW10
        .get(usize::from(digits))
        .copied()
        .unwrap_or(1_000_000_000)
}

/// Number of bytes a `DECIMAL(precision, scale)` value occupies in a row image.
///
/// The table map gives precision and scale as column metadata; the row decoder needs the
/// size to find the next column. Errors (never panics) when precision is 0 or above 65, or
/// the scale is above 30 or above the precision, because such metadata can only come from
/// corrupt bytes.
pub fn decimal_bin_size(precision: u8, scale: u8) -> DecodeResult<usize> {
    Ok(Layout::new(precision, scale, MAX_PRECISION, MAX_SCALE)?.size())
}

/// Reads one binary `DECIMAL(precision, scale)` value and renders it as MySQL's `SELECT`
/// prints it, e.g. `-12.340` for `DECIMAL(10,3)`.
///
/// Consumes exactly [`decimal_bin_size`] bytes. DECIMAL is exact, so the value is kept as
/// text rather than a float. A digit group holding 10^9 or more (or more digits than its
/// width) is corrupt and gives an error.
pub fn decode_decimal(r: &mut Reader<'_>, precision: u8, scale: u8) -> DecodeResult<String> {
    let layout = Layout::new(precision, scale, MAX_PRECISION, MAX_SCALE)?;
    decode_with_layout(r, layout)
        .map_err(|e| e.context(format_args!("DECIMAL({precision},{scale})")))
}

/// Like [`decode_decimal`] but with the wider limits of computed decimals, for DECIMAL values
/// stored inside binary JSON (precision up to 81, scale up to the precision).
pub(crate) fn decode_computed_decimal(
    r: &mut Reader<'_>,
    precision: u8,
    scale: u8,
) -> DecodeResult<String> {
    let layout = Layout::new(
        precision,
        scale,
        MAX_COMPUTED_PRECISION,
        MAX_COMPUTED_PRECISION,
    )?;
    decode_with_layout(r, layout)
        .map_err(|e| e.context(format_args!("DECIMAL({precision},{scale})")))
}

/// Size in bytes of a computed decimal (see [`decode_computed_decimal`]).
pub(crate) fn computed_decimal_bin_size(precision: u8, scale: u8) -> DecodeResult<usize> {
    Ok(Layout::new(
        precision,
        scale,
        MAX_COMPUTED_PRECISION,
        MAX_COMPUTED_PRECISION,
    )?
    .size())
}

/// Decodes the bytes of one value laid out as `layout`.
fn decode_with_layout(r: &mut Reader<'_>, layout: Layout) -> DecodeResult<String> {
    let raw = r.take(layout.size(), "binary value")?;
    let Some((&first, rest)) = raw.split_first() else {
        // Every valid layout has at least one digit, hence at least one byte.
        return Err(DecodeError::new("empty binary value"));
    };
    let negative = first & 0x80 == 0;
    let mask: u8 = if negative { 0xff } else { 0x00 };
    // Undo the sign-bit flip on the first byte, then the inversion of negative numbers.
    let mut bytes = Vec::with_capacity(raw.len());
    bytes.push((first ^ 0x80) ^ mask);
    bytes.extend(rest.iter().map(|b| b ^ mask));
    let mut groups = Reader::new(&bytes);

    // Integer part: digits of every group, most significant first, leading zeros dropped.
    let mut int_digits = String::new();
    if layout.int_partial > 0 {
        let v = read_group(&mut groups, layout.int_partial, "leading integer group")?;
        push_group(&mut int_digits, v, layout.int_partial);
    }
    for _ in 0..layout.int_full {
        let v = read_group(&mut groups, DIGITS_PER_GROUP, "integer group")?;
        push_group(&mut int_digits, v, DIGITS_PER_GROUP);
    }
    let int_part = int_digits.trim_start_matches('0');
    let int_is_zero = int_part.is_empty();

    // Fraction part: always exactly `scale` digits.
    let mut frac_digits = String::new();
    for _ in 0..layout.frac_full {
        let v = read_group(&mut groups, DIGITS_PER_GROUP, "fraction group")?;
        push_group(&mut frac_digits, v, DIGITS_PER_GROUP);
    }
    if layout.frac_partial > 0 {
        let v = read_group(&mut groups, layout.frac_partial, "trailing fraction group")?;
        push_group(&mut frac_digits, v, layout.frac_partial);
    }

    let mut out = String::with_capacity(int_part.len() + frac_digits.len() + 3);
    // bin2decimal clears the sign only when no digit at all was read (zero with scale 0).
    if negative && !(int_is_zero && frac_digits.is_empty()) {
        out.push('-');
    }
    if int_is_zero {
        out.push('0');
    } else {
        out.push_str(int_part);
    }
    if !frac_digits.is_empty() {
        out.push('.');
        out.push_str(&frac_digits);
    }
    Ok(out)
}

/// Reads one big-endian group of `digits` digits and checks it is below 10^digits.
fn read_group(r: &mut Reader<'_>, digits: u8, what: &str) -> DecodeResult<u32> {
    let n = if digits == DIGITS_PER_GROUP {
        4
    } else {
        partial_bytes(digits)
    };
    let v = r.uint_be(n, what)?;
    let limit = pow10(digits);
    u32::try_from(v).ok().filter(|v| *v < limit).ok_or_else(|| {
        DecodeError::new(format!(
            "{what}: {v} does not fit in {digits} decimal digits (corrupt value)"
        ))
    })
}

/// Appends `v` zero-padded to `digits` digits.
fn push_group(out: &mut String, v: u32, digits: u8) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(out, "{v:0width$}", width = usize::from(digits));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes a decimal string the way MySQL's `decimal2bin` does (test oracle).
    fn encode(text: &str, precision: u8, scale: u8) -> Vec<u8> {
        let (neg, body) = match text.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, text),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let int = int.trim_start_matches('0');
        let intg = usize::from(precision - scale);
        let scale = usize::from(scale);
        assert!(
            int.len() <= intg && frac.len() <= scale,
            "{text} does not fit"
        );
        let int = format!("{int:0>intg$}");
        let frac = format!("{frac:0<scale$}");
        let mut out = Vec::new();
        let mut put = |digits: &str| {
            if digits.is_empty() {
                return;
            }
            let v: u32 = digits.parse().unwrap();
            let n = if digits.len() == 9 {
                4
            } else {
                PARTIAL_GROUP_BYTES[digits.len()]
            };
            out.extend_from_slice(&v.to_be_bytes()[4 - n..]);
        };
        let lead = intg % 9;
        put(&int[..lead]);
        for g in int.as_bytes()[lead..].chunks(9) {
            put(std::str::from_utf8(g).unwrap());
        }
        for g in frac.as_bytes().chunks(9) {
            put(std::str::from_utf8(g).unwrap());
        }
        out[0] ^= 0x80;
        if neg {
            for b in &mut out {
                *b ^= 0xff;
            }
        }
        out
    }

    fn decode(bytes: &[u8], precision: u8, scale: u8) -> DecodeResult<String> {
        let mut r = Reader::new(bytes);
        let s = decode_decimal(&mut r, precision, scale)?;
        assert!(r.is_empty(), "must consume exactly the value");
        Ok(s)
    }

    fn roundtrip(text: &str, precision: u8, scale: u8) {
        let bytes = encode(text, precision, scale);
        assert_eq!(bytes.len(), decimal_bin_size(precision, scale).unwrap());
        assert_eq!(
            decode(&bytes, precision, scale).unwrap(),
            text,
            "{bytes:02x?}"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(decimal_bin_size(1, 0).unwrap(), 1);
        assert_eq!(decimal_bin_size(9, 0).unwrap(), 4);
        assert_eq!(decimal_bin_size(10, 0).unwrap(), 5);
        assert_eq!(decimal_bin_size(10, 3).unwrap(), 6); // 7 -> 4, 3 -> 2
        assert_eq!(decimal_bin_size(14, 4).unwrap(), 7);
        assert_eq!(decimal_bin_size(18, 9).unwrap(), 8);
        assert_eq!(decimal_bin_size(65, 0).unwrap(), 29);
        assert_eq!(decimal_bin_size(65, 30).unwrap(), 30);
        assert_eq!(decimal_bin_size(30, 30).unwrap(), 14);
        assert_eq!(decimal_bin_size(1, 1).unwrap(), 1);
    }

    #[test]
    fn invalid_metadata_is_an_error() {
        assert!(decimal_bin_size(0, 0).is_err());
        assert!(decimal_bin_size(66, 0).is_err());
        assert!(decimal_bin_size(255, 0).is_err());
        assert!(decimal_bin_size(40, 31).is_err());
        assert!(decimal_bin_size(5, 6).is_err());
        let mut r = Reader::new(&[0x80; 40]);
        assert!(decode_decimal(&mut r, 0, 0).is_err());
        assert!(decode_decimal(&mut r, 10, 11).is_err());
        assert_eq!(r.position(), 0, "nothing consumed on bad metadata");
    }

    #[test]
    fn mysql_documented_example() {
        // decimal.cc: 1234567890.1234 as DECIMAL(14,4) is 81 0D FB 38 D2 04 D2,
        // and -1234567890.1234 is 7E F2 04 C7 2D FB 2D.
        let pos = [0x81, 0x0d, 0xfb, 0x38, 0xd2, 0x04, 0xd2];
        let neg = [0x7e, 0xf2, 0x04, 0xc7, 0x2d, 0xfb, 0x2d];
        assert_eq!(decode(&pos, 14, 4).unwrap(), "1234567890.1234");
        assert_eq!(decode(&neg, 14, 4).unwrap(), "-1234567890.1234");
        assert_eq!(encode("1234567890.1234", 14, 4), pos);
        assert_eq!(encode("-1234567890.1234", 14, 4), neg);
    }

    #[test]
    fn everyday_values() {
        roundtrip("-12.340", 10, 3);
        roundtrip("12.340", 10, 3);
        roundtrip("0.000", 10, 3);
        roundtrip("0.001", 10, 3);
        roundtrip("-0.001", 10, 3);
        roundtrip("1234567.000", 10, 3);
        roundtrip("-9999999.999", 10, 3);
        roundtrip("123.456", 6, 3);
        roundtrip("9.00", 11, 2);
    }

    #[test]
    fn scale_zero_and_tiny_precision() {
        roundtrip("0", 10, 0);
        roundtrip("7", 1, 0);
        roundtrip("-7", 1, 0);
        roundtrip("9", 1, 0);
        roundtrip("0", 1, 0);
        roundtrip("0.5", 1, 1);
        roundtrip("-0.5", 1, 1);
        roundtrip("123456789", 9, 0);
        roundtrip("-1000000000", 10, 0);
        roundtrip("18446744073709551616", 20, 0);
    }

    #[test]
    fn extremes_of_decimal_65_30() {
        let max = format!("{}.{}", "9".repeat(35), "9".repeat(30));
        roundtrip(&max, 65, 30);
        roundtrip(&format!("-{max}"), 65, 30);
        let zero = format!("0.{}", "0".repeat(30));
        roundtrip(&zero, 65, 30);
        let tiny = format!("0.{}1", "0".repeat(29));
        roundtrip(&tiny, 65, 30);
        roundtrip(&format!("-{tiny}"), 65, 30);
        roundtrip(&"9".repeat(65), 65, 0);
        roundtrip(&format!("-{}", "9".repeat(65)), 65, 0);
        roundtrip(&format!("1{}", "0".repeat(64)), 65, 0);
        roundtrip(&format!("0.{}", "9".repeat(30)), 30, 30);
    }

    #[test]
    fn leading_zero_groups_are_dropped() {
        // 35 integer digits = partial group of 8 + 3 full groups; only the last is non-zero.
        roundtrip("5.000000000000000000000000000001", 65, 30);
        roundtrip("1000000000.5", 20, 1);
    }

    #[test]
    fn positive_zero_bytes() {
        // Zero of DECIMAL(10,3): all-zero groups with only the sign bit set.
        assert_eq!(decode(&[0x80, 0, 0, 0, 0, 0], 10, 3).unwrap(), "0.000");
        assert_eq!(decode(&[0x80, 0, 0, 0, 0], 10, 0).unwrap(), "0");
    }

    #[test]
    fn negative_zero_follows_bin2decimal() {
        // Inverted zero: the sign survives when there is a fraction, not when scale is 0.
        assert_eq!(
            decode(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff], 10, 3).unwrap(),
            "-0.000"
        );
        assert_eq!(decode(&[0x7f, 0xff, 0xff, 0xff, 0xff], 10, 0).unwrap(), "0");
    }

    #[test]
    fn corrupt_groups_are_errors() {
        // Full integer group 0xFFFFFFFF >= 10^9 (DECIMAL(9,0) positive).
        assert!(decode(&[0xff, 0xff, 0xff, 0xff], 9, 0).is_err());
        // Exactly 10^9 in a full group.
        let mut b = 1_000_000_000u32.to_be_bytes();
        b[0] ^= 0x80;
        assert!(decode(&b, 9, 0).is_err());
        // Partial group of 1 digit holding 10.
        assert!(decode(&[0x80 | 10], 1, 0).is_err());
        // Trailing fraction group of 2 digits holding 100.
        assert!(decode(&[0x80 | 100], 2, 2).is_err());
        // Negative number with a corrupt fraction group (inverted 0xFFFF... after unmasking).
        assert!(decode(&[0x7f, 0x00, 0x00, 0x00, 0x00], 10, 9).is_err());
    }

    #[test]
    fn truncated_input_is_an_error() {
        let bytes = encode("-12.340", 10, 3);
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n], 10, 3).is_err(), "len {n}");
        }
    }

    #[test]
    fn reads_only_its_own_bytes() {
        let mut bytes = encode("42.5", 4, 1);
        bytes.extend_from_slice(&[0xaa, 0xbb]);
        let mut r = Reader::new(&bytes);
        assert_eq!(decode_decimal(&mut r, 4, 1).unwrap(), "42.5");
        assert_eq!(r.rest(), &[0xaa, 0xbb]);
    }

    #[test]
    fn every_precision_and_scale_roundtrips() {
        for p in 1..=MAX_PRECISION {
            for s in 0..=p.min(MAX_SCALE) {
                let intg = usize::from(p - s);
                let int = if intg == 0 {
                    "0".to_string()
                } else {
                    "9876543210".chars().cycle().take(intg).collect::<String>()
                };
                let frac: String = "1234567890".chars().cycle().take(usize::from(s)).collect();
                let text = if s == 0 { int } else { format!("{int}.{frac}") };
                roundtrip(&text, p, s);
                roundtrip(&format!("-{text}"), p, s);
            }
        }
    }

    #[test]
    fn computed_decimals_allow_wider_precision() {
        let text = "1".repeat(81);
        let bytes = encode(&text, 81, 0);
        assert_eq!(computed_decimal_bin_size(81, 0).unwrap(), bytes.len());
        let mut r = Reader::new(&bytes);
        assert_eq!(decode_computed_decimal(&mut r, 81, 0).unwrap(), text);
        assert!(computed_decimal_bin_size(82, 0).is_err());
        assert!(computed_decimal_bin_size(0, 0).is_err());
    }
}
