//! Binlog encodings of DATE, TIME, DATETIME, TIMESTAMP and YEAR, old and fractional forms.
//!
//! The fractional ("2") forms store a big-endian integer part offset so that it sorts as
//! unsigned, followed by 0-3 bytes of fraction depending on the declared precision.
//! Negative TIME values with a fraction borrow from the integer part; that is decoded here
//! rather than by mysql_common, whose TIME(1)/TIME(2) arithmetic underflows.

use super::error::{DecodeError, DecodeResult};
use super::reader::Reader;
use crate::source::value::{Date, DateTime, Time, Timestamp};

/// Bytes of fraction stored for a fractional-second precision.
fn frac_len(fsp: u8) -> DecodeResult<usize> {
    match fsp {
        0 => Ok(0),
        1 | 2 => Ok(1),
        3 | 4 => Ok(2),
        5 | 6 => Ok(3),
        _ => Err(DecodeError::new(format!(
            "fractional-second precision {fsp} is out of range 0..6"
        ))),
    }
}

/// Reads the fraction bytes and scales them to microseconds (unsigned interpretation).
fn read_frac(r: &mut Reader<'_>, fsp: u8) -> DecodeResult<u32> {
    let n = frac_len(fsp)?;
    let raw = r.uint_be(n, "fractional seconds")? as u32;
    Ok(match n {
        1 => raw * 10_000,
        2 => raw * 100,
        _ => raw,
    })
}

/// YEAR: one byte, 0 is the zero year, otherwise 1900 + n.
pub fn year(r: &mut Reader<'_>) -> DecodeResult<u16> {
    let v = r.u8("YEAR")?;
    Ok(if v == 0 { 0 } else { 1900 + u16::from(v) })
}

/// DATE (and NEWDATE): 3 bytes little-endian, day in bits 0-4, month 5-8, year above.
pub fn date(r: &mut Reader<'_>) -> DecodeResult<Date> {
    let v = r.uint_le(3, "DATE")? as u32;
    Ok(Date {
        year: (v >> 9) as u16,
        month: ((v >> 5) & 0x0f) as u8,
        day: (v & 0x1f) as u8,
    })
}

/// Old TIME (pre-5.6.4): 3 bytes little-endian signed integer HHMMSS.
pub fn time_old(r: &mut Reader<'_>) -> DecodeResult<Time> {
    let raw = r.uint_le(3, "TIME")? as u32;
    // Sign-extend 24 bits.
    let v = ((raw << 8) as i32) >> 8;
    let negative = v < 0;
    let a = v.unsigned_abs();
    Ok(Time {
        negative,
        hours: a / 10_000,
        minutes: ((a / 100) % 100) as u8,
        seconds: (a % 100) as u8,
        micros: 0,
        fsp: 0,
    })
}

/// TIME2: 3 bytes big-endian integer part offset by 0x800000 (hours in bits 12-21, minutes
/// 6-11, seconds 0-5), then the fraction. For negative values with a fraction, the stored
/// integer part is one less and the fraction is its complement.
pub fn time2(r: &mut Reader<'_>, fsp: u8) -> DecodeResult<Time> {
    const INT_OFS: i64 = 0x80_0000;
    // Packed value as MySQL builds it: (integer part << 24) + microseconds.
    let packed: i64 = match frac_len(fsp)? {
        0 => (r.uint_be(3, "TIME2")? as i64 - INT_OFS) << 24,
        1 => {
            let mut int = r.uint_be(3, "TIME2")? as i64 - INT_OFS;
            let mut frac = i64::from(r.u8("TIME2 fraction")?);
            if int < 0 && frac != 0 {
                int += 1;
                frac -= 0x100;
            }
            (int << 24) + frac * 10_000
        }
        2 => {
            let mut int = r.uint_be(3, "TIME2")? as i64 - INT_OFS;
            let mut frac = r.uint_be(2, "TIME2 fraction")? as i64;
            if int < 0 && frac != 0 {
                int += 1;
                frac -= 0x10000;
            }
            (int << 24) + frac * 100
        }
        _ => r.uint_be(6, "TIME2")? as i64 - 0x8000_0000_0000,
    };
    let negative = packed < 0;
    let a = packed.unsigned_abs();
    let hms = a >> 24;
    let micros = (a & 0xff_ffff) as u32;
    if micros > 999_999 {
        return Err(DecodeError::new(format!(
            "TIME2 fraction {micros} exceeds 999999"
        )));
    }
    Ok(Time {
        negative,
        hours: ((hms >> 12) & 0x3ff) as u32,
        minutes: ((hms >> 6) & 0x3f) as u8,
        seconds: (hms & 0x3f) as u8,
        micros,
        fsp,
    })
}

/// Old DATETIME (pre-5.6.4): 8 bytes little-endian integer YYYYMMDDhhmmss.
pub fn datetime_old(r: &mut Reader<'_>) -> DecodeResult<DateTime> {
    let v = r.u64_le("DATETIME")?;
    let d = v / 1_000_000;
    let t = v % 1_000_000;
    Ok(DateTime {
        date: Date {
            year: (d / 10_000).min(9999) as u16,
            month: ((d / 100) % 100) as u8,
            day: (d % 100) as u8,
        },
        hour: (t / 10_000) as u8,
        minute: ((t / 100) % 100) as u8,
        second: (t % 100) as u8,
        micros: 0,
        fsp: 0,
    })
}

/// DATETIME2: 5 bytes big-endian, offset 0x8000000000: sign bit, year*13+month (17 bits),
/// day (5), hour (5), minute (6), second (6); then the fraction.
pub fn datetime2(r: &mut Reader<'_>, fsp: u8) -> DecodeResult<DateTime> {
    let raw = r.uint_be(5, "DATETIME2")?;
    let int = raw.wrapping_sub(0x80_0000_0000) & 0x7f_ffff_ffff;
    let micros = read_frac(r, fsp)?;
    let ymd = int >> 17;
    let hms = int & 0x1_ffff;
    let ym = ymd >> 5;
    Ok(DateTime {
        date: Date {
            year: (ym / 13) as u16,
            month: (ym % 13) as u8,
            day: (ymd & 0x1f) as u8,
        },
        hour: (hms >> 12) as u8,
        minute: ((hms >> 6) & 0x3f) as u8,
        second: (hms & 0x3f) as u8,
        micros,
        fsp,
    })
}

/// Old TIMESTAMP: 4 bytes little-endian seconds since the epoch.
pub fn timestamp_old(r: &mut Reader<'_>) -> DecodeResult<Timestamp> {
    Ok(Timestamp {
        seconds: r.u32_le("TIMESTAMP")?,
        micros: 0,
        fsp: 0,
    })
}

/// TIMESTAMP2: 4 bytes big-endian seconds since the epoch, then the fraction.
pub fn timestamp2(r: &mut Reader<'_>, fsp: u8) -> DecodeResult<Timestamp> {
    let seconds = r.uint_be(4, "TIMESTAMP2")? as u32;
    let micros = read_frac(r, fsp)?;
    Ok(Timestamp {
        seconds,
        micros,
        fsp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t2(bytes: &[u8], fsp: u8) -> Time {
        time2(&mut Reader::new(bytes), fsp).unwrap()
    }

    #[test]
    fn time2_positive_and_negative() {
        // 838:59:59 = (838<<12)|(59<<6)|59, offset 0x800000
        let v = 0x80_0000u32 + ((838 << 12) | (59 << 6) | 59);
        let b = v.to_be_bytes();
        let t = t2(&b[1..], 0);
        assert_eq!(
            (t.negative, t.hours, t.minutes, t.seconds),
            (false, 838, 59, 59)
        );
        let v = 0x80_0000u32 - ((1 << 12) | (2 << 6) | 3);
        let b = v.to_be_bytes();
        let t = t2(&b[1..], 0);
        assert_eq!((t.negative, t.hours, t.minutes, t.seconds), (true, 1, 2, 3));
    }

    #[test]
    fn time2_negative_fraction_fsp1_borrows() {
        // -00:00:01.5 with fsp 1: packed int part = -1 -> stored -2 and fraction 0x100-50.
        let int = 0x80_0000u32 - 2;
        let b = int.to_be_bytes();
        let t = t2(&[b[1], b[2], b[3], (0x100 - 50) as u8], 1);
        assert_eq!(
            (t.negative, t.hours, t.minutes, t.seconds, t.micros),
            (true, 0, 0, 1, 500_000)
        );
        // -00:00:00.5: int part 0 -> stored -1, fraction 0x100-50
        let int = 0x80_0000u32 - 1;
        let b = int.to_be_bytes();
        let t = t2(&[b[1], b[2], b[3], (0x100 - 50) as u8], 2);
        assert_eq!((t.negative, t.seconds, t.micros), (true, 0, 500_000));
    }

    #[test]
    fn datetime2_decodes_fields() {
        // 2020-06-01 12:34:56.789 fsp 3
        let ym = 2020u64 * 13 + 6;
        let int = (((ym << 5) | 1) << 17) | (12 << 12) | (34 << 6) | 56;
        let raw = (int + 0x80_0000_0000).to_be_bytes();
        let mut bytes = raw[3..].to_vec();
        bytes.extend(7890u16.to_be_bytes());
        let d = datetime2(&mut Reader::new(&bytes), 4).unwrap();
        assert_eq!((d.date.year, d.date.month, d.date.day), (2020, 6, 1));
        assert_eq!(
            (d.hour, d.minute, d.second, d.micros),
            (12, 34, 56, 789_000)
        );
    }

    #[test]
    fn year_zero_stays_zero() {
        assert_eq!(year(&mut Reader::new(&[0])).unwrap(), 0);
        assert_eq!(year(&mut Reader::new(&[255])).unwrap(), 2155);
    }

    #[test]
    fn bad_precision_and_short_input_error() {
        assert!(time2(&mut Reader::new(&[0x80, 0, 0]), 7).is_err());
        assert!(datetime2(&mut Reader::new(&[0x80, 0]), 0).is_err());
        assert!(timestamp2(&mut Reader::new(&[0, 0, 0, 1]), 6).is_err());
    }
}
