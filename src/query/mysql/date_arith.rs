//! Date arithmetic: `DATE_ADD` / `DATE_SUB` / `ADDDATE` / `SUBDATE` with `INTERVAL n unit`
//! (and `d ± INTERVAL n unit`), `TIMESTAMPADD`, `TIMESTAMPDIFF`, `DATEDIFF`.
//!
//! [`super::ast::rewrite_statement`] turns `DATE_ADD(d, INTERVAL n DAY)` into
//! `date_add(d, n, 'DAY')` and `d + INTERVAL n DAY` into the same call, so the interval's
//! value may be any expression and every MySQL unit (`DAY_HOUR`, `'1:30' HOUR_MINUTE`, …)
//! works; an Arrow interval argument (`date_add(d, INTERVAL '1 day')` planned by DataFusion)
//! is taken too.
//!
//! Result types follow MySQL: a DATE stays a DATE when the unit has no time part, a
//! DATETIME otherwise; a string argument gives a string.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{plan_err, Result};
use datafusion::scalar::ScalarValue;
use jiff::civil::DateTime;
use jiff::Span;

use super::env::Env;
use super::row_udf::{ret, Def};
use super::temporal::{self, civil, Civil};
use super::values::{self, to_text};

/// The date arithmetic functions.
pub const DEFS: &[Def] = &[
    Def::new("date_add", 2, 3, add_type, date_add).aliases(&["adddate"]),
    Def::new("date_sub", 2, 3, add_type, date_sub).aliases(&["subdate"]),
    Def::new("timestampadd", 3, 3, tsadd_type, timestampadd),
    Def::new("timestampdiff", 3, 3, ret::int, timestampdiff),
    Def::new("datediff", 2, 2, ret::int32, datediff),
];

/// An interval: months, then microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interval {
    /// Months to add (years and quarters too).
    pub months: i64,
    /// Microseconds to add (weeks, days and everything smaller).
    pub micros: i64,
}

impl Interval {
    fn has_time(self) -> bool {
        self.micros % 86_400_000_000 != 0
    }

    fn negate(self) -> Interval {
        Interval {
            months: -self.months,
            micros: -self.micros,
        }
    }
}

const US_SECOND: i64 = 1_000_000;
const US_MINUTE: i64 = 60 * US_SECOND;
const US_HOUR: i64 = 60 * US_MINUTE;
const US_DAY: i64 = 24 * US_HOUR;

/// The fields of a composite unit, most significant first, each as (months, micros) per
/// unit; `MICROSECOND` fields read as a fraction.
fn unit_fields(unit: &str) -> Option<&'static [(i64, i64)]> {
    const Y: (i64, i64) = (12, 0);
    const Q: (i64, i64) = (3, 0);
    const MO: (i64, i64) = (1, 0);
    const W: (i64, i64) = (0, 7 * US_DAY);
    const D: (i64, i64) = (0, US_DAY);
    const H: (i64, i64) = (0, US_HOUR);
    const MI: (i64, i64) = (0, US_MINUTE);
    const S: (i64, i64) = (0, US_SECOND);
    const US: (i64, i64) = (0, 1);
    Some(match unit.to_ascii_uppercase().as_str() {
        "YEAR" | "YEARS" => &[Y],
        "QUARTER" | "QUARTERS" => &[Q],
        "MONTH" | "MONTHS" => &[MO],
        "WEEK" | "WEEKS" => &[W],
        "DAY" | "DAYS" => &[D],
        "HOUR" | "HOURS" => &[H],
        "MINUTE" | "MINUTES" => &[MI],
        "SECOND" | "SECONDS" => &[S],
        "MICROSECOND" | "MICROSECONDS" => &[US],
        "YEAR_MONTH" => &[Y, MO],
        "DAY_HOUR" => &[D, H],
        "DAY_MINUTE" => &[D, H, MI],
        "DAY_SECOND" => &[D, H, MI, S],
        "DAY_MICROSECOND" => &[D, H, MI, S, US],
        "HOUR_MINUTE" => &[H, MI],
        "HOUR_SECOND" => &[H, MI, S],
        "HOUR_MICROSECOND" => &[H, MI, S, US],
        "MINUTE_SECOND" => &[MI, S],
        "MINUTE_MICROSECOND" => &[MI, S, US],
        "SECOND_MICROSECOND" => &[S, US],
        _ => return None,
    })
}

/// True when the unit has no part smaller than a day.
fn date_only_unit(unit: &str) -> bool {
    unit_fields(unit).is_some_and(|f| f.iter().all(|&(_, us)| us % US_DAY == 0))
}

/// Reads `INTERVAL value unit` as MySQL does: a simple unit takes the value as a number
/// (rounded); a composite unit takes the digit groups of a string, right-aligned to the
/// unit's fields (`'1:30' DAY_SECOND` is 1 minute 30 seconds).
pub fn interval(value: &ScalarValue, unit: &str, env: &Env) -> Option<Interval> {
    let fields = unit_fields(unit)?;
    if value.is_null() {
        return None;
    }
    if let [(months, micros)] = fields {
        let n = values::to_f64(value)?;
        let n = if *micros == 1 || *months != 0 || *micros >= US_SECOND {
            n.round() as i64
        } else {
            n as i64
        };
        return Some(Interval {
            months: n.checked_mul(*months)?,
            micros: n.checked_mul(*micros)?,
        });
    }
    let text = to_text(value, env)?;
    let t = text.trim();
    let neg = t.starts_with('-');
    let groups: Vec<&str> = t
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    if groups.len() > fields.len() {
        return None;
    }
    let skip = fields.len() - groups.len();
    let mut iv = Interval::default();
    for (g, &(months, micros)) in groups.iter().zip(fields.iter().skip(skip)) {
        let n: i64 = if micros == 1 {
            // A fraction: '5' is 500000 microseconds.
            let mut digits: String = g.chars().take(6).collect();
            while digits.len() < 6 {
                digits.push('0');
            }
            digits.parse().ok()?
        } else {
            g.parse().ok()?
        };
        iv.months = iv.months.checked_add(n.checked_mul(months)?)?;
        iv.micros = iv.micros.checked_add(n.checked_mul(micros)?)?;
    }
    Some(if neg { iv.negate() } else { iv })
}

/// Adds an interval to a date-time: months first (the day clamped to the month's end, as
/// MySQL does), then the rest. `None` outside years 1–9999 (MySQL: NULL).
pub fn add(dt: DateTime, iv: Interval) -> Option<DateTime> {
    let with_months = if iv.months != 0 {
        dt.checked_add(Span::new().try_months(iv.months).ok()?)
            .ok()?
    } else {
        dt
    };
    let us = temporal::micros_from_datetime(with_months)?.checked_add(iv.micros)?;
    let out = temporal::datetime_from_micros(us)?;
    (1..=9999).contains(&out.year()).then_some(out)
}

fn unit_of<'a>(consts: &[Option<&'a ScalarValue>], i: usize) -> Option<&'a str> {
    consts.get(i).copied().flatten().and_then(values::as_str)
}

fn result_type(input: &DataType, date_only: bool) -> DataType {
    match input {
        DataType::Date32 | DataType::Date64 if date_only => DataType::Date32,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => {
            DataType::Timestamp(TimeUnit::Microsecond, None)
        }
        _ => DataType::Utf8,
    }
}

fn add_type(types: &[DataType], consts: &[Option<&ScalarValue>]) -> Result<DataType> {
    let input = types.first().cloned().unwrap_or(DataType::Null);
    let date_only = match (types.len(), types.get(1)) {
        // ADDDATE(d, days) / an Arrow interval: a time part only if nanoseconds are given.
        (2, Some(DataType::Interval(_))) => match consts.get(1).copied().flatten() {
            Some(ScalarValue::IntervalMonthDayNano(Some(v))) => v.nanoseconds == 0,
            Some(ScalarValue::IntervalYearMonth(_)) => true,
            _ => false,
        },
        (2, _) => true,
        _ => match unit_of(consts, 2) {
            Some(u) if unit_fields(u).is_none() => return plan_err!("Unknown interval unit {u}"),
            Some(u) => date_only_unit(u),
            None => false,
        },
    };
    Ok(result_type(&input, date_only))
}

fn tsadd_type(types: &[DataType], consts: &[Option<&ScalarValue>]) -> Result<DataType> {
    let input = types.get(2).cloned().unwrap_or(DataType::Null);
    let date_only = match unit_of(consts, 0) {
        Some(u) if unit_fields(u).is_none() => return plan_err!("Unknown interval unit {u}"),
        Some(u) => date_only_unit(u),
        None => false,
    };
    Ok(result_type(&input, date_only))
}

/// The interval argument(s) of `DATE_ADD` forms: `(n, 'UNIT')`, an Arrow interval, or a
/// number of days.
fn interval_args(a: &[ScalarValue], env: &Env) -> Option<Interval> {
    match (a.get(1)?, a.get(2)) {
        (v, Some(unit)) => interval(v, &to_text(unit, env)?, env),
        (ScalarValue::IntervalMonthDayNano(Some(v)), None) => Some(Interval {
            months: i64::from(v.months),
            micros: i64::from(v.days) * US_DAY + v.nanoseconds / 1000,
        }),
        (ScalarValue::IntervalYearMonth(Some(m)), None) => Some(Interval {
            months: i64::from(*m),
            micros: 0,
        }),
        (ScalarValue::IntervalDayTime(Some(v)), None) => Some(Interval {
            months: 0,
            micros: i64::from(v.days) * US_DAY + i64::from(v.milliseconds) * 1000,
        }),
        (v, None) => interval(v, "DAY", env),
    }
}

/// The result value of adding `iv` to `c`, shaped like MySQL's (see the module docs).
fn shaped(input: &ScalarValue, c: Civil, iv: Interval) -> ScalarValue {
    let Some(out) = add(c.dt, iv) else {
        return ScalarValue::Null;
    };
    let date_only = !c.has_time && !iv.has_time();
    match input {
        ScalarValue::Date32(_) | ScalarValue::Date64(_) if date_only => {
            temporal::date_value(out.date())
        }
        ScalarValue::Date32(_)
        | ScalarValue::Date64(_)
        | ScalarValue::TimestampSecond(..)
        | ScalarValue::TimestampMillisecond(..)
        | ScalarValue::TimestampMicrosecond(..)
        | ScalarValue::TimestampNanosecond(..) => temporal::datetime_value(out),
        _ if date_only => ScalarValue::Utf8(Some(temporal::fmt_date(out.date()))),
        _ => ScalarValue::Utf8(Some(temporal::fmt_datetime(out))),
    }
}

fn date_add_sign(a: &[ScalarValue], env: &Env, negate: bool) -> Result<ScalarValue> {
    let Some(input) = a.first() else {
        return Ok(ScalarValue::Null);
    };
    let (Some(c), Some(iv)) = (civil(input, env), interval_args(a, env)) else {
        return Ok(ScalarValue::Null);
    };
    Ok(shaped(input, c, if negate { iv.negate() } else { iv }))
}

fn date_add(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    date_add_sign(a, env, false)
}

fn date_sub(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    date_add_sign(a, env, true)
}

/// `TIMESTAMPADD(unit, n, d)`.
fn timestampadd(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let (Some(unit), Some(n), Some(input)) = (a.first(), a.get(1), a.get(2)) else {
        return Ok(ScalarValue::Null);
    };
    let iv = to_text(unit, env).and_then(|u| interval(n, &u, env));
    let (Some(c), Some(iv)) = (civil(input, env), iv) else {
        return Ok(ScalarValue::Null);
    };
    Ok(shaped(input, c, iv))
}

/// Whole months from `a` to `b` (MySQL's count: a month is complete when the day and time
/// of month are reached).
fn month_diff(a: DateTime, b: DateTime) -> i64 {
    let (beg, end, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
    let tod = |d: DateTime| temporal::micros_from_datetime(d).map_or(0, |us| us.rem_euclid(US_DAY));
    let mut months = (i64::from(end.year()) - i64::from(beg.year())) * 12 + i64::from(end.month())
        - i64::from(beg.month());
    if end.day() < beg.day() || (end.day() == beg.day() && tod(end) < tod(beg)) {
        months -= 1;
    }
    sign * months
}

/// `TIMESTAMPDIFF(unit, a, b)`: `b - a` in whole units, truncated toward zero.
fn timestampdiff(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let unit = a.first().and_then(|u| to_text(u, env));
    let x = a.get(1).and_then(|v| civil(v, env));
    let y = a.get(2).and_then(|v| civil(v, env));
    let (Some(unit), Some(x), Some(y)) = (unit, x, y) else {
        return Ok(ScalarValue::Int64(None));
    };
    let per = match unit.to_ascii_uppercase().as_str() {
        "MICROSECOND" => 1,
        "SECOND" => US_SECOND,
        "MINUTE" => US_MINUTE,
        "HOUR" => US_HOUR,
        "DAY" => US_DAY,
        "WEEK" => 7 * US_DAY,
        "MONTH" => return Ok(ScalarValue::Int64(Some(month_diff(x.dt, y.dt)))),
        "QUARTER" => return Ok(ScalarValue::Int64(Some(month_diff(x.dt, y.dt) / 3))),
        "YEAR" => return Ok(ScalarValue::Int64(Some(month_diff(x.dt, y.dt) / 12))),
        other => return plan_err!("Unknown TIMESTAMPDIFF unit {other}"),
    };
    let (Some(ux), Some(uy)) = (
        temporal::micros_from_datetime(x.dt),
        temporal::micros_from_datetime(y.dt),
    ) else {
        return Ok(ScalarValue::Int64(None));
    };
    Ok(ScalarValue::Int64(Some((uy - ux) / per)))
}

/// `DATEDIFF(a, b)`: days from b to a, dates only.
fn datediff(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let x = a.first().and_then(|v| civil(v, env));
    let y = a.get(1).and_then(|v| civil(v, env));
    let d = |c: Civil| temporal::days_from_date(c.dt.date()).map(i64::from);
    Ok(ScalarValue::Int64(match (x.and_then(d), y.and_then(d)) {
        (Some(p), Some(q)) => Some(p - q),
        _ => None,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{query_strings, query_types, Fixture};
    use datafusion::arrow::datatypes::{DataType, TimeUnit};

    #[tokio::test]
    async fn date_add_forms_match_mariadb() {
        let f = Fixture::new().await;
        // MariaDB 10.11, same SELECT.
        let got = query_strings(
            &f.ctx,
            "SELECT DATE_ADD('2024-01-31', INTERVAL 1 MONTH), DATE_ADD(DATE '2024-01-31', INTERVAL 1 DAY), \
             DATE_ADD('2024-01-31 10:00:00', INTERVAL 90 MINUTE), DATE_SUB(DATE '2024-03-31', INTERVAL 1 MONTH), \
             ADDDATE('2024-01-01', 10), SUBDATE(DATE '2024-01-01', 1), DATE_ADD(DATE '2024-01-31', INTERVAL 1 HOUR), \
             DATE '2024-01-30' + INTERVAL 2 DAY, DATE_ADD('2024-02-29', INTERVAL 1 YEAR), \
             DATE_ADD('2024-01-01', INTERVAL 1 QUARTER), DATE_ADD('2024-01-01', INTERVAL 2 WEEK), \
             DATE_ADD('2024-01-01 00:00:00', INTERVAL -1 SECOND), DATE_ADD(NULL, INTERVAL 1 DAY), \
             DATE_ADD('bad', INTERVAL 1 DAY)",
        )
        .await;
        assert_eq!(
            got,
            vec![vec![
                "2024-02-29",
                "2024-02-01",
                "2024-01-31 11:30:00",
                "2024-02-29",
                "2024-01-11",
                "2023-12-31",
                "2024-01-31 01:00:00",
                "2024-02-01",
                "2025-02-28",
                "2024-04-01",
                "2024-01-15",
                "2023-12-31 23:59:59",
                "NULL",
                "NULL"
            ]]
        );
        // Interval amounts from columns, `d - INTERVAL` (MariaDB 10.11, same SELECT).
        // (Composite units such as `INTERVAL '1:30' HOUR_MINUTE` do not parse in sqlparser's
        // MySQL dialect yet; `date_add(d, '1:30', 'HOUR_MINUTE')` takes them.)
        let got = query_strings(
            &f.ctx,
            "SELECT '2024-01-01 00:00:00' - INTERVAL 90 MINUTE, dd + INTERVAL n DAY, \
             date_add('2024-01-01', '1:30', 'HOUR_MINUTE') FROM p WHERE id = 1",
        )
        .await;
        assert_eq!(
            got,
            vec![vec![
                "2023-12-31 22:30:00",
                "2024-02-05",
                "2024-01-01 01:30:00"
            ]]
        );
        let types = query_types(
            &f.ctx,
            "SELECT DATE_ADD(dd, INTERVAL 1 DAY), DATE_ADD(dd, INTERVAL 1 HOUR), dt + INTERVAL 1 DAY, \
             DATE_ADD('2024-01-01', INTERVAL 1 DAY) FROM p",
        )
        .await;
        let dt = DataType::Timestamp(TimeUnit::Microsecond, None);
        assert_eq!(
            types,
            vec![DataType::Date32, dt.clone(), dt, DataType::Utf8]
        );
    }

    #[tokio::test]
    async fn timestampdiff_and_datediff_match_mariadb() {
        let f = Fixture::new().await;
        // MariaDB 10.11, same SELECT.
        let got = query_strings(
            &f.ctx,
            "SELECT TIMESTAMPDIFF(DAY, '2024-01-01', '2024-03-01'), TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-02-29'), \
             TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-03-01'), TIMESTAMPDIFF(YEAR, '2020-02-29', '2024-02-28'), \
             TIMESTAMPDIFF(HOUR, '2024-01-01 10:00', '2024-01-01 08:30'), TIMESTAMPDIFF(SECOND, '2024-01-01', '2024-01-02'), \
             TIMESTAMPDIFF(WEEK, '2024-01-01', '2024-01-20'), TIMESTAMPDIFF(QUARTER, '2024-01-01', '2024-12-31'), \
             TIMESTAMPDIFF(MINUTE, DATE '2024-01-01', '2024-01-01 01:01:59'), \
             TIMESTAMPDIFF(MICROSECOND, '2024-01-01', '2024-01-01 00:00:01.5'), TIMESTAMPADD(MONTH, 1, '2024-01-31'), \
             TIMESTAMPADD(HOUR, 25, DATE '2024-01-01'), TIMESTAMPADD(DAY, 1, DATE '2024-01-01'), \
             DATEDIFF('2024-03-01 23:00', '2024-02-28 01:00'), DATEDIFF('2024-01-01', NULL), \
             TIMESTAMPDIFF(MONTH, '2024-03-31', '2024-02-29')",
        )
        .await;
        assert_eq!(
            got,
            vec![vec![
                "60",
                "0",
                "1",
                "3",
                "-1",
                "86400",
                "2",
                "3",
                "61",
                "1500000",
                "2024-02-29",
                "2024-01-02 01:00:00",
                "2024-01-02",
                "2",
                "NULL",
                "-1"
            ]]
        );
        // Over a column: days from each row's date to 2024-03-01.
        let got = query_strings(
            &f.ctx,
            "SELECT id, TIMESTAMPDIFF(DAY, dd, '2024-03-01') FROM p WHERE dd IS NOT NULL ORDER BY id",
        )
        .await;
        assert_eq!(
            got,
            super::super::testutil::rows("1 30\n2 1\n4 61\n5 0\n6 60")
        );
    }
}
