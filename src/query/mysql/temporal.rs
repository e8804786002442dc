//! Temporal values as MySQL's date functions read them: DATE, DATETIME and TIMESTAMP
//! columns, and strings or numbers holding a date (`'2024-01-31'`, `'2024-01-31 10:20:30'`,
//! `20240131`), as civil date-times; and the values they return.
//!
//! DATETIME values travel as `Timestamp(Microsecond, None)` (the civil time, no zone),
//! DATE as `Date32`, TIME as `Duration(Microsecond)` (as the data path types them). A timestamp with a zone is an instant (a TIMESTAMP column): it is read
//! in the session time zone, as MySQL shows TIMESTAMP values.

use datafusion::scalar::ScalarValue;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::env::Env;

/// A temporal value: the civil date-time and whether it had a time part (DATETIME) or was
/// a DATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// The date and time (midnight for a DATE).
    pub dt: DateTime,
    /// False for a DATE (or a string holding only a date).
    pub has_time: bool,
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A `Date32` day number as a date.
pub fn date_from_days(days: i32) -> Option<Date> {
    let ts = Timestamp::from_second(i64::from(days) * 86_400).ok()?;
    Some(ts.to_zoned(TimeZone::UTC).date())
}

/// A date as a `Date32` day number.
pub fn days_from_date(d: Date) -> Option<i32> {
    let ts = d.to_zoned(TimeZone::UTC).ok()?.timestamp();
    i32::try_from(ts.as_second().div_euclid(86_400)).ok()
}

/// A civil date-time as microseconds since 1970-01-01 00:00:00 (no zone).
pub fn micros_from_datetime(dt: DateTime) -> Option<i64> {
    let days = i64::from(days_from_date(dt.date())?);
    let t = dt.time();
    let in_day = (i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second()))
        * 1_000_000
        + i64::from(t.subsec_nanosecond()) / 1000;
    days.checked_mul(MICROS_PER_DAY)?.checked_add(in_day)
}

/// Microseconds since 1970-01-01 00:00:00 (no zone) as a civil date-time.
pub fn datetime_from_micros(us: i64) -> Option<DateTime> {
    let ts = Timestamp::from_microsecond(us).ok()?;
    Some(ts.to_zoned(TimeZone::UTC).datetime())
}

/// A DATETIME result value.
pub fn datetime_value(dt: DateTime) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(micros_from_datetime(dt), None)
}

/// A DATE result value.
pub fn date_value(d: Date) -> ScalarValue {
    ScalarValue::Date32(days_from_date(d))
}

fn instant(ts: Option<Timestamp>, zone: &Option<std::sync::Arc<str>>, env: &Env) -> Option<Civil> {
    let ts = ts?;
    let dt = match zone {
        Some(_) => ts.to_zoned(env.tz.clone()).datetime(),
        None => ts.to_zoned(TimeZone::UTC).datetime(),
    };
    Some(Civil { dt, has_time: true })
}

/// Reads a value as a date-time; `None` for NULL and for what MySQL cannot read as a date
/// (which makes the function's result NULL, as in MySQL with a warning).
pub fn civil(v: &ScalarValue, env: &Env) -> Option<Civil> {
    match v {
        ScalarValue::Date32(Some(d)) => Some(Civil {
            dt: date_from_days(*d)?.to_datetime(Time::midnight()),
            has_time: false,
        }),
        ScalarValue::Date64(Some(ms)) => Some(Civil {
            dt: Timestamp::from_millisecond(*ms)
                .ok()?
                .to_zoned(TimeZone::UTC)
                .date()
                .to_datetime(Time::midnight()),
            has_time: false,
        }),
        ScalarValue::TimestampSecond(s, z) => {
            instant(s.and_then(|s| Timestamp::from_second(s).ok()), z, env)
        }
        ScalarValue::TimestampMillisecond(s, z) => {
            instant(s.and_then(|s| Timestamp::from_millisecond(s).ok()), z, env)
        }
        ScalarValue::TimestampMicrosecond(s, z) => {
            instant(s.and_then(|s| Timestamp::from_microsecond(s).ok()), z, env)
        }
        ScalarValue::TimestampNanosecond(s, z) => instant(
            s.map(|s| Timestamp::from_nanosecond(i128::from(s)))
                .and_then(Result::ok),
            z,
            env,
        ),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => parse_datetime(s),
        ScalarValue::Int8(Some(_))
        | ScalarValue::Int16(Some(_))
        | ScalarValue::Int32(Some(_))
        | ScalarValue::Int64(Some(_))
        | ScalarValue::UInt8(Some(_))
        | ScalarValue::UInt16(Some(_))
        | ScalarValue::UInt32(Some(_))
        | ScalarValue::UInt64(Some(_)) => parse_number_datetime(&v.to_string()),
        ScalarValue::Dictionary(_, inner) => civil(inner, env),
        _ => None,
    }
}

/// Reads a value as a time of day / duration in microseconds (`TIME` columns, `'10:20:30'`),
/// falling back to the time part of a date-time.
pub fn time_micros(v: &ScalarValue, env: &Env) -> Option<i64> {
    match v {
        ScalarValue::Time64Microsecond(Some(us)) | ScalarValue::DurationMicrosecond(Some(us)) => {
            Some(*us)
        }
        ScalarValue::DurationNanosecond(Some(ns)) => Some(*ns / 1000),
        ScalarValue::DurationMillisecond(Some(ms)) => Some(*ms * 1000),
        ScalarValue::DurationSecond(Some(s)) => Some(*s * 1_000_000),
        ScalarValue::Time64Nanosecond(Some(ns)) => Some(*ns / 1000),
        ScalarValue::Time32Second(Some(s)) => Some(i64::from(*s) * 1_000_000),
        ScalarValue::Time32Millisecond(Some(ms)) => Some(i64::from(*ms) * 1000),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => match parse_datetime(s) {
            Some(c) if c.has_time || !s.contains(':') => Some(micros_of_time(c.dt.time())),
            _ => parse_time(s),
        },
        _ => civil(v, env).map(|c| micros_of_time(c.dt.time())),
    }
}

fn micros_of_time(t: Time) -> i64 {
    (i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second())) * 1_000_000
        + i64::from(t.subsec_nanosecond()) / 1000
}

/// Parses `[-]h:mm[:ss[.ffffff]]` as microseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let (main, frac) = match t.split_once('.') {
        Some((m, f)) => (m, f),
        None => (t, ""),
    };
    let mut parts = main.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let sec: i64 = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    if parts.next().is_some() || m > 59 || sec > 59 {
        return None;
    }
    let micros = frac_micros(frac)?;
    let v = (h * 3600 + m * 60 + sec) * 1_000_000 + micros;
    Some(if neg { -v } else { v })
}

fn frac_micros(frac: &str) -> Option<i64> {
    if frac.is_empty() {
        return Some(0);
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: String = frac.chars().take(6).collect();
    while digits.len() < 6 {
        digits.push('0');
    }
    digits.parse().ok()
}

fn year2(y: i64, len: usize) -> i64 {
    if len <= 2 {
        if y < 70 {
            2000 + y
        } else {
            1900 + y
        }
    } else {
        y
    }
}

/// A civil value from its fields (year, month, day, hour, minute, second, microsecond).
#[allow(clippy::too_many_arguments)] // the seven fields of a date-time, named at each call
fn build(
    y: i64,
    mo: i64,
    d: i64,
    h: i64,
    mi: i64,
    s: i64,
    us: i64,
    has_time: bool,
) -> Option<Civil> {
    let date = Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()?;
    let time = Time::new(
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        i32::try_from(us * 1000).ok()?,
    )
    .ok()?;
    Some(Civil {
        dt: date.to_datetime(time),
        has_time,
    })
}

/// Parses a number as MySQL reads a date: `YYYYMMDD`, `YYMMDD`, `YYYYMMDDhhmmss`,
/// `YYMMDDhhmmss`.
pub fn parse_number_datetime(s: &str) -> Option<Civil> {
    let digits = s.trim();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| -> Option<i64> { digits.get(a..b)?.parse().ok() };
    match digits.len() {
        8 => build(n(0, 4)?, n(4, 6)?, n(6, 8)?, 0, 0, 0, 0, false),
        6 => build(year2(n(0, 2)?, 2), n(2, 4)?, n(4, 6)?, 0, 0, 0, 0, false),
        5 => build(year2(n(0, 1)?, 2), n(1, 3)?, n(3, 5)?, 0, 0, 0, 0, false),
        14 => build(
            n(0, 4)?,
            n(4, 6)?,
            n(6, 8)?,
            n(8, 10)?,
            n(10, 12)?,
            n(12, 14)?,
            0,
            true,
        ),
        12 => build(
            year2(n(0, 2)?, 2),
            n(2, 4)?,
            n(4, 6)?,
            n(6, 8)?,
            n(8, 10)?,
            n(10, 12)?,
            0,
            true,
        ),
        _ => None,
    }
}

/// Parses a string as MySQL reads a DATE or DATETIME: `YYYY-MM-DD[ hh:mm:ss[.ffffff]]` with
/// any punctuation as delimiters (`T` between date and time), 2-digit years (70–99 are
/// 19xx), or delimiter-free digits (`20240131`).
pub fn parse_datetime(s: &str) -> Option<Civil> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return parse_number_datetime(t);
    }
    if let Some((int, frac)) = t.split_once('.') {
        if int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit()) {
            let mut c = parse_number_datetime(int)?;
            if c.has_time {
                let us = frac_micros(frac)?;
                c.dt =
                    c.dt.with()
                        .subsec_nanosecond(i32::try_from(us * 1000).ok()?)
                        .build()
                        .ok()?;
            }
            return Some(c);
        }
    }
    // Split into numeric groups; the fraction is the group after a '.' following seconds.
    let mut groups: Vec<(&str, char)> = Vec::new();
    let bytes = t.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        let group = t.get(start..i)?;
        let sep = bytes.get(i).map(|&b| char::from(b)).unwrap_or('\0');
        groups.push((group, sep));
        if groups.len() > 7 {
            return None;
        }
        // Delimiters: any run of punctuation or whitespace ('T' between date and time).
        let mut seps = 0;
        while let Some(&b) = bytes.get(i) {
            if b.is_ascii_digit() {
                break;
            }
            if !(b.is_ascii_punctuation() || b.is_ascii_whitespace() || b == b'T') {
                return None;
            }
            i += 1;
            seps += 1;
        }
        if seps == 0 && i < bytes.len() {
            return None;
        }
    }
    if groups.len() < 3 {
        return None;
    }
    let num = |k: usize| -> Option<i64> { groups.get(k).and_then(|g| g.0.parse().ok()) };
    let y = year2(num(0)?, groups.first()?.0.len());
    let has_time = groups.len() > 3;
    let us = match groups.get(6) {
        Some((f, _)) if groups.get(5).is_some_and(|g| g.1 == '.') => frac_micros(f)?,
        Some(_) => return None,
        None => 0,
    };
    build(
        y,
        num(1)?,
        num(2)?,
        num(3).unwrap_or(0),
        num(4).unwrap_or(0),
        num(5).unwrap_or(0),
        us,
        has_time,
    )
}

/// `YYYY-MM-DD`.
pub fn fmt_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// `YYYY-MM-DD hh:mm:ss`, with `.ffffff` when there are microseconds.
pub fn fmt_datetime(dt: DateTime) -> String {
    let mut s = format!(
        "{} {:02}:{:02}:{:02}",
        fmt_date(dt.date()),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    let us = dt.subsec_nanosecond() / 1000;
    if us != 0 {
        s.push_str(&format!(".{us:06}"));
    }
    s
}

/// `[-]hh:mm:ss[.ffffff]` of a duration in microseconds.
pub fn fmt_time(us: i64) -> String {
    let neg = us < 0;
    let a = us.unsigned_abs();
    let secs = a / 1_000_000;
    let frac = a % 1_000_000;
    let mut s = format!(
        "{}{:02}:{:02}:{:02}",
        if neg { "-" } else { "" },
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    if frac != 0 {
        s.push_str(&format!(".{frac:06}"));
    }
    s
}

/// A temporal value's text as MySQL shows it.
pub fn text_of(v: &ScalarValue, env: &Env) -> Option<String> {
    match v {
        ScalarValue::Time32Second(_)
        | ScalarValue::Time32Millisecond(_)
        | ScalarValue::Time64Microsecond(_)
        | ScalarValue::Time64Nanosecond(_)
        | ScalarValue::DurationSecond(_)
        | ScalarValue::DurationMillisecond(_)
        | ScalarValue::DurationMicrosecond(_)
        | ScalarValue::DurationNanosecond(_) => time_micros(v, env).map(fmt_time),
        _ => {
            let c = civil(v, env)?;
            Some(if c.has_time {
                fmt_datetime(c.dt)
            } else {
                fmt_date(c.dt.date())
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<String> {
        parse_datetime(s).map(|c| {
            if c.has_time {
                fmt_datetime(c.dt)
            } else {
                fmt_date(c.dt.date())
            }
        })
    }

    #[test]
    fn parses_mysql_date_strings() {
        // MariaDB 10.11: SELECT CAST(x AS DATETIME) / DATE(x) for each.
        assert_eq!(p("2024-01-31").as_deref(), Some("2024-01-31"));
        assert_eq!(
            p("2024-01-31 10:20:30").as_deref(),
            Some("2024-01-31 10:20:30")
        );
        assert_eq!(
            p("2024-01-31T10:20:30.5").as_deref(),
            Some("2024-01-31 10:20:30.500000")
        );
        assert_eq!(p("24-1-5").as_deref(), Some("2024-01-05"));
        assert_eq!(p("99/12/31").as_deref(), Some("1999-12-31"));
        assert_eq!(p("20240131").as_deref(), Some("2024-01-31"));
        assert_eq!(p("20240131102030").as_deref(), Some("2024-01-31 10:20:30"));
        assert_eq!(p("2024-02-30"), None);
        assert_eq!(p("hello"), None);
        assert_eq!(p(""), None);
    }

    #[test]
    fn day_numbers_round_trip() {
        let d = Date::new(2024, 2, 29).unwrap_or_default();
        let n = days_from_date(d);
        assert_eq!(n, Some(19782));
        assert_eq!(n.and_then(date_from_days), Some(d));
        assert_eq!(
            date_from_days(-1).map(fmt_date).as_deref(),
            Some("1969-12-31")
        );
        assert_eq!(parse_time("-1:02:03.5"), Some(-3_723_500_000));
        assert_eq!(fmt_time(-3_723_500_000), "-01:02:03.500000");
    }
}
