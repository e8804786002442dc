//! `DATE_FORMAT(d, fmt)` (every `%` specifier of MySQL) and its inverse
//! `STR_TO_DATE(s, fmt)`, plus `TIME_FORMAT`.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::scalar::ScalarValue;
use jiff::civil::{Date, DateTime, Time};

use super::datetime::{calc_week, day_name, month_name, DAY_NAMES, MONTH_NAMES};
use super::env::Env;
use super::row_udf::{ret, Def};
use super::temporal::{self, civil, Civil};
use super::values::{self, to_text};

/// The formatting functions.
pub const DEFS: &[Def] = &[
    Def::new("date_format", 2, 3, ret::text, date_format).decimals(0),
    Def::new("time_format", 2, 2, ret::text, time_format),
    Def::new("str_to_date", 2, 2, str_to_date_type, str_to_date),
];

fn ordinal_suffix(d: i8) -> &'static str {
    match (d % 10, d % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

fn hour12(h: i8) -> i8 {
    match h % 12 {
        0 => 12,
        x => x,
    }
}

/// Formats a date-time with MySQL's `DATE_FORMAT` specifiers.
pub fn format_datetime(c: &Civil, fmt: &str) -> String {
    let dt: DateTime = c.dt;
    let mut out = String::with_capacity(fmt.len() + 8);
    let mut chars = fmt.chars();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let Some(spec) = chars.next() else {
            break;
        };
        let d = dt.date();
        match spec {
            'a' => out.push_str(day_name(d).get(..3).unwrap_or("")),
            'b' => out.push_str(month_name(dt.month()).get(..3).unwrap_or("")),
            'c' => out.push_str(&dt.month().to_string()),
            'D' => {
                out.push_str(&dt.day().to_string());
                out.push_str(ordinal_suffix(dt.day()));
            }
            'd' => out.push_str(&format!("{:02}", dt.day())),
            'e' => out.push_str(&dt.day().to_string()),
            'f' => out.push_str(&format!("{:06}", dt.subsec_nanosecond() / 1000)),
            'H' => out.push_str(&format!("{:02}", dt.hour())),
            'h' | 'I' => out.push_str(&format!("{:02}", hour12(dt.hour()))),
            'i' => out.push_str(&format!("{:02}", dt.minute())),
            'j' => out.push_str(&format!("{:03}", dt.day_of_year())),
            'k' => out.push_str(&dt.hour().to_string()),
            'l' => out.push_str(&hour12(dt.hour()).to_string()),
            'M' => out.push_str(month_name(dt.month())),
            'm' => out.push_str(&format!("{:02}", dt.month())),
            'p' => out.push_str(if dt.hour() < 12 { "AM" } else { "PM" }),
            'r' => out.push_str(&format!(
                "{:02}:{:02}:{:02} {}",
                hour12(dt.hour()),
                dt.minute(),
                dt.second(),
                if dt.hour() < 12 { "AM" } else { "PM" }
            )),
            'S' | 's' => out.push_str(&format!("{:02}", dt.second())),
            'T' => out.push_str(&format!(
                "{:02}:{:02}:{:02}",
                dt.hour(),
                dt.minute(),
                dt.second()
            )),
            'U' | 'u' => {
                let mode = if spec == 'U' { 4 } else { 1 };
                let w = calc_week(d, mode).map_or(0, |(_, w)| w);
                out.push_str(&format!("{w:02}"));
            }
            'V' | 'v' => {
                let mode = if spec == 'V' { 2 | 4 } else { 2 | 1 };
                let w = calc_week(d, mode).map_or(0, |(_, w)| w);
                out.push_str(&format!("{w:02}"));
            }
            'X' | 'x' => {
                let mode = if spec == 'X' { 2 | 4 } else { 2 | 1 };
                let y = calc_week(d, mode).map_or(0, |(y, _)| y);
                out.push_str(&format!("{y:04}"));
            }
            'W' => out.push_str(day_name(d)),
            'w' => out.push_str(&d.weekday().to_sunday_zero_offset().to_string()),
            'Y' => out.push_str(&format!("{:04}", dt.year())),
            'y' => out.push_str(&format!("{:02}", dt.year().rem_euclid(100))),
            other => out.push(other),
        }
    }
    out
}

fn date_format(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let c = a.first().and_then(|v| civil(v, env));
    let fmt = a.get(1).and_then(|v| to_text(v, env));
    Ok(ScalarValue::Utf8(match (c, fmt) {
        (Some(c), Some(f)) => Some(format_datetime(&c, &f)),
        _ => None,
    }))
}

/// `TIME_FORMAT(t, fmt)`: only the hour, minute, second and microsecond specifiers;
/// hours may exceed 23.
fn time_format(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let us = a.first().and_then(|v| temporal::time_micros(v, env));
    let fmt = a.get(1).and_then(|v| to_text(v, env));
    let (Some(us), Some(fmt)) = (us, fmt) else {
        return Ok(ScalarValue::Utf8(None));
    };
    let neg = us < 0;
    let a_us = us.unsigned_abs();
    let secs = a_us / 1_000_000;
    let (h, m, s, f) = (secs / 3600, (secs / 60) % 60, secs % 60, a_us % 1_000_000);
    let h12 = match h % 12 {
        0 => 12,
        x => x,
    };
    let ampm = if h % 24 < 12 { "AM" } else { "PM" };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let mut chars = fmt.chars();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('H') => out.push_str(&format!("{h:02}")),
            Some('k') => out.push_str(&h.to_string()),
            Some('h' | 'I') => out.push_str(&format!("{h12:02}")),
            Some('l') => out.push_str(&h12.to_string()),
            Some('i') => out.push_str(&format!("{m:02}")),
            Some('S' | 's') => out.push_str(&format!("{s:02}")),
            Some('f') => out.push_str(&format!("{f:06}")),
            Some('p') => out.push_str(ampm),
            Some('T') => out.push_str(&format!("{h:02}:{m:02}:{s:02}")),
            Some('r') => out.push_str(&format!("{h12:02}:{m:02}:{s:02} {ampm}")),
            Some(other) => out.push(other),
            None => break,
        }
    }
    Ok(ScalarValue::Utf8(Some(out)))
}

/// What a `STR_TO_DATE` format yields: a DATE, a TIME or a DATETIME.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Yields {
    Date,
    Time,
    DateTime,
}

fn yields(fmt: &str) -> Yields {
    let mut date = false;
    let mut time = false;
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        match chars.next() {
            Some('H' | 'k' | 'h' | 'I' | 'l' | 'i' | 'S' | 's' | 'f' | 'p' | 'T' | 'r') => {
                time = true
            }
            Some('%') | None => {}
            Some(_) => date = true,
        }
    }
    match (date, time) {
        (true, true) => Yields::DateTime,
        (false, true) => Yields::Time,
        _ => Yields::Date,
    }
}

fn str_to_date_type(_: &[DataType], consts: &[Option<&ScalarValue>]) -> Result<DataType> {
    let fmt = consts.get(1).copied().flatten().and_then(values::as_str);
    Ok(match fmt.map(yields) {
        Some(Yields::Date) => DataType::Date32,
        Some(Yields::Time) => {
            DataType::Duration(datafusion::arrow::datatypes::TimeUnit::Microsecond)
        }
        _ => DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None),
    })
}

/// A cursor over the input of `STR_TO_DATE`.
struct Input<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn number(&mut self, max_digits: usize) -> Option<i64> {
        let start = self.pos;
        while self.pos - start < max_digits && self.s.get(self.pos).is_some_and(u8::is_ascii_digit)
        {
            self.pos += 1;
        }
        std::str::from_utf8(self.s.get(start..self.pos)?)
            .ok()?
            .parse()
            .ok()
    }

    fn word(&mut self, names: &[&str], prefix: usize) -> Option<usize> {
        let rest = self.s.get(self.pos..)?;
        for (i, n) in names.iter().enumerate() {
            let n = if prefix > 0 { n.get(..prefix)? } else { n };
            if rest.len() >= n.len() && rest.get(..n.len())?.eq_ignore_ascii_case(n.as_bytes()) {
                self.pos += n.len();
                return Some(i);
            }
        }
        None
    }
}

#[derive(Default)]
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micro: i64,
    pm: Option<bool>,
    yday: Option<i64>,
}

/// Parses `s` by `fmt`; `None` when it does not match (MySQL: NULL and a warning).
fn parse_by_format(s: &str, fmt: &str) -> Option<Parts> {
    let mut p = Parts::default();
    let mut inp = Input {
        s: s.as_bytes(),
        pos: 0,
    };
    let mut f = fmt.chars();
    while let Some(c) = f.next() {
        if c.is_ascii_whitespace() {
            while inp.s.get(inp.pos).is_some_and(u8::is_ascii_whitespace) {
                inp.pos += 1;
            }
            continue;
        }
        if c != '%' {
            let mut buf = [0u8; 4];
            let lit = c.encode_utf8(&mut buf).as_bytes();
            if inp.s.get(inp.pos..inp.pos + lit.len())? != lit {
                return None;
            }
            inp.pos += lit.len();
            continue;
        }
        while inp.s.get(inp.pos).is_some_and(u8::is_ascii_whitespace) {
            inp.pos += 1;
        }
        match f.next()? {
            'Y' => {
                let start = inp.pos;
                let y = inp.number(4)?;
                p.year = if inp.pos - start <= 2 { year2(y) } else { y };
            }
            'y' => p.year = year2(inp.number(2)?),
            'm' | 'c' => p.month = inp.number(2)?,
            'd' | 'e' => p.day = inp.number(2)?,
            'D' => {
                p.day = inp.number(2)?;
                inp.pos += 2;
            }
            'H' | 'k' | 'h' | 'I' | 'l' => p.hour = inp.number(2)?,
            'i' => p.minute = inp.number(2)?,
            'S' | 's' => p.second = inp.number(2)?,
            'f' => {
                let start = inp.pos;
                let v = inp.number(6)?;
                let digits = u32::try_from(inp.pos - start).ok()?;
                p.micro = v * 10i64.pow(6 - digits);
            }
            'p' => p.pm = Some(inp.word(&["AM", "PM"], 0)? == 1),
            'M' => p.month = i64::try_from(inp.word(&MONTH_NAMES, 0)? + 1).ok()?,
            'b' => p.month = i64::try_from(inp.word(&MONTH_NAMES, 3)? + 1).ok()?,
            'W' => {
                inp.word(&DAY_NAMES, 0)?;
            }
            'a' => {
                inp.word(&DAY_NAMES, 3)?;
            }
            'j' => p.yday = Some(inp.number(3)?),
            'T' => {
                p.hour = inp.number(2)?;
                expect(&mut inp, b':')?;
                p.minute = inp.number(2)?;
                expect(&mut inp, b':')?;
                p.second = inp.number(2)?;
            }
            'r' => {
                p.hour = inp.number(2)?;
                expect(&mut inp, b':')?;
                p.minute = inp.number(2)?;
                expect(&mut inp, b':')?;
                p.second = inp.number(2)?;
                while inp.s.get(inp.pos).is_some_and(u8::is_ascii_whitespace) {
                    inp.pos += 1;
                }
                p.pm = Some(inp.word(&["AM", "PM"], 0)? == 1);
            }
            '%' => expect(&mut inp, b'%')?,
            other => {
                let mut buf = [0u8; 4];
                let lit = other.encode_utf8(&mut buf).as_bytes();
                if inp.s.get(inp.pos..inp.pos + lit.len())? != lit {
                    return None;
                }
                inp.pos += lit.len();
            }
        }
    }
    if let Some(pm) = p.pm {
        if !(1..=12).contains(&p.hour) {
            return None;
        }
        p.hour = p.hour % 12 + if pm { 12 } else { 0 };
    }
    Some(p)
}

fn expect(inp: &mut Input<'_>, b: u8) -> Option<()> {
    if inp.s.get(inp.pos) == Some(&b) {
        inp.pos += 1;
        Some(())
    } else {
        None
    }
}

fn year2(y: i64) -> i64 {
    if y < 70 {
        y + 2000
    } else if y < 100 {
        y + 1900
    } else {
        y
    }
}

fn str_to_date(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let s = a.first().and_then(|v| to_text(v, env));
    let fmt = a.get(1).and_then(|v| to_text(v, env));
    let (Some(s), Some(fmt)) = (s, fmt) else {
        return Ok(ScalarValue::Null);
    };
    let Some(p) = parse_by_format(&s, &fmt) else {
        return Ok(ScalarValue::Null);
    };
    let time = Time::new(
        i8::try_from(p.hour).unwrap_or(-1),
        i8::try_from(p.minute).unwrap_or(-1),
        i8::try_from(p.second).unwrap_or(-1),
        i32::try_from(p.micro * 1000).unwrap_or(-1),
    )
    .ok();
    let date = match p.yday {
        Some(yd) if p.month == 0 && p.day == 0 => {
            Date::new(i16::try_from(p.year).unwrap_or(-1), 1, 1)
                .ok()
                .and_then(|d| d.checked_add(jiff::Span::new().days(yd - 1)).ok())
        }
        _ => Date::new(
            i16::try_from(p.year).unwrap_or(-1),
            i8::try_from(p.month).unwrap_or(-1),
            i8::try_from(p.day).unwrap_or(-1),
        )
        .ok(),
    };
    Ok(match yields(&fmt) {
        Yields::Time => ScalarValue::DurationMicrosecond(
            time.map(|_| ((p.hour * 60 + p.minute) * 60 + p.second) * 1_000_000 + p.micro),
        ),
        Yields::Date => match date {
            Some(d) => temporal::date_value(d),
            None => ScalarValue::Null,
        },
        Yields::DateTime => match (date, time) {
            (Some(d), Some(t)) => temporal::datetime_value(d.to_datetime(t)),
            _ => ScalarValue::Null,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{query_strings, Fixture};

    #[tokio::test]
    async fn date_format_every_specifier() {
        let f = Fixture::new().await;
        // MariaDB 10.11: SELECT DATE_FORMAT('2024-01-07 15:04:05.000123', '%a|%b|…').
        let got = query_strings(
            &f.ctx,
            "SELECT DATE_FORMAT('2024-01-07 15:04:05.000123', \
             '%a|%b|%c|%D|%d|%e|%f|%H|%h|%I|%i|%j|%k|%l|%M|%m|%p|%r|%S|%s|%T|%U|%u|%V|%v|%W|%w|%X|%x|%Y|%y|%%|%q'), \
             DATE_FORMAT(DATE '2023-01-01', '%U %u %V %v %X %x %D'), DATE_FORMAT(NULL, '%Y'), \
             DATE_FORMAT('2024-01-01', NULL), DATE_FORMAT('x', '%Y'), \
             DATE_FORMAT(dt, '%Y-%m-%d %H:%i') FROM p WHERE id = 1",
        )
        .await;
        assert_eq!(
            got,
            vec![vec![
                "Sun|Jan|1|7th|07|7|000123|15|03|03|04|007|15|3|January|01|PM|03:04:05 PM|05|05|15:04:05|01|01|01|01|Sunday|0|2024|2024|2024|24|%|q",
                "01 00 01 52 2023 2022 1st",
                "NULL",
                "NULL",
                "NULL",
                "2024-01-31 10:20",
            ]]
        );
    }

    #[tokio::test]
    async fn str_to_date_and_time_format() {
        let f = Fixture::new().await;
        // MariaDB 10.11, same SELECT; except STR_TO_DATE('2024-02-30', …), where MariaDB
        // returns the unchecked date 2024-02-30, which a DATE value here cannot hold: NULL.
        let got = query_strings(
            &f.ctx,
            "SELECT STR_TO_DATE('31/01/2024', '%d/%m/%Y'), \
             STR_TO_DATE('2024-01-31 10:20:30', '%Y-%m-%d %H:%i:%s'), \
             STR_TO_DATE('Jan 5 2024 3:04 PM', '%b %e %Y %l:%i %p'), \
             STR_TO_DATE('10:20:30', '%H:%i:%s'), STR_TO_DATE('nope', '%Y'), \
             STR_TO_DATE('2024-02-30', '%Y-%m-%d'), STR_TO_DATE(NULL, '%Y'), \
             TIME_FORMAT('25:04:05', '%H %k %h %i %s %p')",
        )
        .await;
        assert_eq!(
            got,
            vec![vec![
                "2024-01-31",
                "2024-01-31 10:20:30",
                "2024-01-05 15:04:00",
                "10:20:30",
                "NULL",
                "NULL",
                "NULL",
                "25 25 01 04 05 AM",
            ]]
        );
    }
}
