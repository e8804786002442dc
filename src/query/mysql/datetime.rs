//! Parts of dates: `YEAR`, `MONTH`, `DAY`, `HOUR`, …, `WEEK`, `YEARWEEK`, `DAYNAME`,
//! `LAST_DAY`, `MAKEDATE`, `DATE()`, `TO_DAYS`, with MySQL's results and NULL for values
//! that are not dates.

use datafusion::common::Result;
use datafusion::scalar::ScalarValue;
use jiff::civil::{Date, Time};

use super::env::Env;
use super::row_udf::{ret, Def};
use super::temporal::{self, civil, days_from_date, Civil};
use super::values;

/// The date-part functions.
pub const DEFS: &[Def] = &[
    Def::new("year", 1, 1, ret::int32, year),
    Def::new("month", 1, 1, ret::int32, month),
    Def::new("day", 1, 1, ret::int32, day).aliases(&["dayofmonth"]),
    Def::new("hour", 1, 1, ret::int32, hour),
    Def::new("minute", 1, 1, ret::int32, minute),
    Def::new("second", 1, 1, ret::int32, second),
    Def::new("microsecond", 1, 1, ret::int32, microsecond),
    Def::new("quarter", 1, 1, ret::int32, quarter),
    Def::new("dayofweek", 1, 1, ret::int32, dayofweek),
    Def::new("weekday", 1, 1, ret::int32, weekday),
    Def::new("dayofyear", 1, 1, ret::int32, dayofyear),
    Def::new("dayname", 1, 1, ret::text, dayname),
    Def::new("monthname", 1, 1, ret::text, monthname),
    Def::new("last_day", 1, 1, ret::date, last_day),
    Def::new("makedate", 2, 2, ret::date, makedate),
    Def::new("date", 1, 1, ret::date, date),
    Def::new("to_days", 1, 1, ret::int32, to_days),
    Def::new("week", 1, 2, ret::int32, week),
    Def::new("weekofyear", 1, 1, ret::int32, weekofyear),
    Def::new("yearweek", 1, 2, ret::int32, yearweek),
];

fn arg(args: &[ScalarValue], i: usize) -> &ScalarValue {
    args.get(i).unwrap_or(&ScalarValue::Null)
}

fn part(args: &[ScalarValue], env: &Env, f: impl Fn(Civil) -> i64) -> Result<ScalarValue> {
    Ok(ScalarValue::Int64(civil(arg(args, 0), env).map(f)))
}

fn year(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    part(a, e, |c| i64::from(c.dt.year()))
}
fn month(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    part(a, e, |c| i64::from(c.dt.month()))
}
fn day(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    part(a, e, |c| i64::from(c.dt.day()))
}
fn quarter(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    part(a, e, |c| (i64::from(c.dt.month()) + 2) / 3)
}
fn dayofyear(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    part(a, e, |c| i64::from(c.dt.day_of_year()))
}
/// 1 = Sunday … 7 = Saturday.
fn dayofweek(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    part(a, e, |c| i64::from(c.dt.weekday().to_sunday_one_offset()))
}
/// 0 = Monday … 6 = Sunday.
fn weekday(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    part(a, e, |c| i64::from(c.dt.weekday().to_monday_zero_offset()))
}

fn time_part(a: &[ScalarValue], e: &Env, f: impl Fn(u64) -> i64) -> Result<ScalarValue> {
    Ok(ScalarValue::Int64(
        temporal::time_micros(arg(a, 0), e).map(|us| f(us.unsigned_abs())),
    ))
}
fn hour(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    time_part(a, e, |us| (us / 3_600_000_000) as i64)
}
fn minute(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    time_part(a, e, |us| ((us / 60_000_000) % 60) as i64)
}
fn second(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    time_part(a, e, |us| ((us / 1_000_000) % 60) as i64)
}
fn microsecond(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    time_part(a, e, |us| (us % 1_000_000) as i64)
}

/// English day names, Monday first (DAYNAME, `%W`, STR_TO_DATE).
pub(super) const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// English month names (MONTHNAME, `%M`, STR_TO_DATE).
pub(super) const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// English day name of a date.
pub fn day_name(d: Date) -> &'static str {
    DAY_NAMES
        .get(usize::try_from(d.weekday().to_monday_zero_offset()).unwrap_or(0))
        .copied()
        .unwrap_or("")
}

/// English month name of a month number (1–12).
pub fn month_name(m: i8) -> &'static str {
    usize::try_from(m - 1)
        .ok()
        .and_then(|i| MONTH_NAMES.get(i))
        .copied()
        .unwrap_or("")
}

fn dayname(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    Ok(ScalarValue::Utf8(
        civil(arg(a, 0), e).map(|c| day_name(c.dt.date()).to_string()),
    ))
}
fn monthname(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    Ok(ScalarValue::Utf8(
        civil(arg(a, 0), e).map(|c| month_name(c.dt.month()).to_string()),
    ))
}
fn last_day(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    Ok(match civil(arg(a, 0), e) {
        Some(c) => temporal::date_value(c.dt.date().last_of_month()),
        None => ScalarValue::Date32(None),
    })
}
fn date(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    Ok(match civil(arg(a, 0), e) {
        Some(c) => temporal::date_value(c.dt.date()),
        None => ScalarValue::Date32(None),
    })
}
/// Days since year 0 (MySQL's day number: `TO_DAYS('1970-01-01')` is 719528).
fn to_days(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    Ok(ScalarValue::Int64(
        civil(arg(a, 0), e)
            .and_then(|c| days_from_date(c.dt.date()))
            .map(|d| i64::from(d) + 719_528),
    ))
}

/// `MAKEDATE(year, dayofyear)`: NULL when the day is below 1; years 0–69 are 2000–2069
/// and 70–99 are 1970–1999.
fn makedate(a: &[ScalarValue], _e: &Env) -> Result<ScalarValue> {
    let (Some(y), Some(n)) = (values::to_i64(arg(a, 0)), values::to_i64(arg(a, 1))) else {
        return Ok(ScalarValue::Date32(None));
    };
    if n <= 0 || !(0..=9999).contains(&y) {
        return Ok(ScalarValue::Date32(None));
    }
    let y = match y {
        0..=69 => y + 2000,
        70..=99 => y + 1900,
        _ => y,
    };
    let Ok(first) = Date::new(i16::try_from(y).unwrap_or(0), 1, 1) else {
        return Ok(ScalarValue::Date32(None));
    };
    let d = days_from_date(first)
        .and_then(|f| i32::try_from(n - 1).ok().and_then(|k| f.checked_add(k)))
        .and_then(temporal::date_from_days)
        .filter(|d| d.year() <= 9999);
    Ok(match d {
        Some(d) => temporal::date_value(d),
        None => ScalarValue::Date32(None),
    })
}

const MONDAY_FIRST: u32 = 1;
const WEEK_YEAR: u32 = 2;
const FIRST_WEEKDAY: u32 = 4;

fn week_mode(mode: i64) -> u32 {
    let mut m = (mode & 7) as u32;
    if m & MONDAY_FIRST == 0 {
        m ^= FIRST_WEEKDAY;
    }
    m
}

fn days_in_year(y: i32) -> i64 {
    if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
        366
    } else {
        365
    }
}

/// MySQL's week number of `d` under `behaviour` (mode bits), with the year the week
/// belongs to.
pub fn calc_week(d: Date, behaviour: u32) -> Option<(i32, i64)> {
    let daynr = i64::from(days_from_date(d)?);
    let mut first_daynr = i64::from(days_from_date(Date::new(d.year(), 1, 1).ok()?)?);
    let monday_first = behaviour & MONDAY_FIRST != 0;
    let mut week_year = behaviour & WEEK_YEAR != 0;
    let first_weekday = behaviour & FIRST_WEEKDAY != 0;
    // Weekday of a day number: 0 = Monday (or 0 = Sunday when Sunday starts the week).
    let wd = |n: i64| (n + if monday_first { 3 } else { 4 }).rem_euclid(7);
    let mut weekday = wd(first_daynr);
    let mut year = i32::from(d.year());
    if d.month() == 1 && i64::from(d.day()) <= 7 - weekday {
        if !week_year && ((first_weekday && weekday != 0) || (!first_weekday && weekday >= 4)) {
            return Some((year, 0));
        }
        week_year = true;
        year -= 1;
        let days = days_in_year(year);
        first_daynr -= days;
        weekday = (weekday + 53 * 7 - days).rem_euclid(7);
    }
    let days = if (first_weekday && weekday != 0) || (!first_weekday && weekday >= 4) {
        daynr - (first_daynr + (7 - weekday))
    } else {
        daynr - (first_daynr - weekday)
    };
    if week_year && days >= 52 * 7 {
        let weekday = (weekday + days_in_year(year)).rem_euclid(7);
        if (!first_weekday && weekday < 4) || (first_weekday && weekday == 0) {
            return Some((year + 1, 1));
        }
    }
    Some((year, days / 7 + 1))
}

fn mode_arg(a: &[ScalarValue]) -> Option<i64> {
    match a.get(1) {
        None => Some(0), // default_week_format = 0
        Some(v) => values::to_i64(v),
    }
}

fn week(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    let (Some(c), Some(mode)) = (civil(arg(a, 0), e), mode_arg(a)) else {
        return Ok(ScalarValue::Int64(None));
    };
    Ok(ScalarValue::Int64(
        calc_week(c.dt.date(), week_mode(mode)).map(|(_, w)| w),
    ))
}

fn weekofyear(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    let Some(c) = civil(arg(a, 0), e) else {
        return Ok(ScalarValue::Int64(None));
    };
    Ok(ScalarValue::Int64(
        calc_week(c.dt.date(), week_mode(3)).map(|(_, w)| w),
    ))
}

fn yearweek(a: &[ScalarValue], e: &Env) -> Result<ScalarValue> {
    let (Some(c), Some(mode)) = (civil(arg(a, 0), e), mode_arg(a)) else {
        return Ok(ScalarValue::Int64(None));
    };
    Ok(ScalarValue::Int64(
        calc_week(c.dt.date(), week_mode(mode) | WEEK_YEAR).map(|(y, w)| i64::from(y) * 100 + w),
    ))
}

/// Midnight of a date, as a civil date-time.
pub fn midnight(d: Date) -> jiff::civil::DateTime {
    d.to_datetime(Time::midnight())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{query_strings, Fixture};

    #[tokio::test]
    async fn date_parts_match_mariadb() {
        let f = Fixture::new().await;
        // Checked on MariaDB 10.11.
        let got = query_strings(
            &f.ctx,
            "SELECT YEAR('2024-02-29 23:59:59'), MONTH('2024-02-29'), DAY('2024-02-29'), \
             DAYOFMONTH('2024-02-29'), HOUR('2024-02-29 23:59:58'), MINUTE('2024-02-29 23:59:58'), \
             SECOND('2024-02-29 23:59:58'), QUARTER('2024-11-02'), DAYOFWEEK('2024-02-29'), \
             WEEKDAY('2024-02-29'), DAYOFYEAR('2024-12-31'), DAYNAME('2024-02-29'), \
             MONTHNAME('2024-02-29'), LAST_DAY('2024-02-10'), LAST_DAY('2023-02-10'), \
             MAKEDATE(2024, 60), MAKEDATE(24, 1), MAKEDATE(2024, 0), YEAR(NULL), YEAR('nope'), \
             HOUR('10:20:30'), TO_DAYS('2024-01-01'), DATE('2024-01-31 10:00:00')",
        )
        .await;
        assert_eq!(
            got,
            vec![vec![
                "2024",
                "2",
                "29",
                "29",
                "23",
                "59",
                "58",
                "4",
                "5",
                "3",
                "366",
                "Thursday",
                "February",
                "2024-02-29",
                "2023-02-28",
                "2024-02-29",
                "2024-01-01",
                "NULL",
                "NULL",
                "NULL",
                "10",
                "739251",
                "2024-01-31"
            ]]
        );
    }

    #[tokio::test]
    async fn weeks_match_mariadb() {
        let f = Fixture::new().await;
        // SELECT d, WEEK(d,0..7), YEARWEEK(d), YEARWEEK(d,1) on MariaDB 10.11.
        let got = query_strings(
            &f.ctx,
            "SELECT WEEK(d), WEEK(d,1), WEEK(d,2), WEEK(d,3), WEEK(d,4), WEEK(d,5), WEEK(d,6), \
             WEEK(d,7), YEARWEEK(d), YEARWEEK(d,1), WEEKOFYEAR(d) FROM (VALUES \
             (DATE '2024-01-01'), (DATE '2023-01-01'), (DATE '2021-01-03'), (DATE '2020-12-31'), \
             (DATE '2019-12-30'), (DATE '2027-01-01')) AS v(d)",
        )
        .await;
        assert_eq!(got, super::super::testutil::rows(WEEKS));
    }

    const WEEKS: &str = "\
0 1 53 1 1 1 1 1 202353 202401 1
1 0 1 52 1 0 1 52 202301 202252 52
1 0 1 53 1 0 1 52 202101 202053 53
52 53 52 53 53 52 53 52 202052 202053 53
52 53 52 1 53 52 1 52 201952 202001 1
0 0 52 53 0 0 52 52 202652 202653 53";
}
