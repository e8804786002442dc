//! The clock and time zones: `NOW()` and its synonyms, `CURDATE()`, `CURTIME()`,
//! `UTC_*`, `UNIX_TIMESTAMP`, `FROM_UNIXTIME`, `CONVERT_TZ`.
//!
//! The clock reads once per statement (the statement's start), in the session time zone,
//! with MySQL's default of whole seconds (`NOW(3)` keeps milliseconds).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::scalar::ScalarValue;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::env::{parse_tz, Env};
use super::format::format_datetime;
use super::row_udf::{ret, Def};
use super::temporal::{self, civil, Civil};
use super::values::{self, to_text};

/// The clock functions.
pub const DEFS: &[Def] = &[
    Def::new("now", 0, 1, ret::datetime, now)
        .aliases(&[
            "current_timestamp",
            "localtime",
            "localtimestamp",
            "sysdate",
        ])
        .clock(now_at),
    Def::new("curdate", 0, 0, ret::date, curdate)
        .aliases(&["current_date"])
        .clock(curdate_at),
    Def::new("curtime", 0, 1, ret::time, curtime)
        .aliases(&["current_time"])
        .clock(curtime_at),
    Def::new("utc_timestamp", 0, 1, ret::datetime, utc_timestamp).clock(utc_timestamp_at),
    Def::new("utc_date", 0, 0, ret::date, utc_date).clock(utc_date_at),
    Def::new("unix_timestamp", 0, 1, ret::int, unix_timestamp).clock(unix_timestamp_at),
    Def::new("from_unixtime", 1, 2, from_unixtime_type, from_unixtime),
    Def::new("convert_tz", 3, 3, ret::datetime, convert_tz),
];

/// Truncates microseconds to `fsp` fractional digits (0–6).
fn truncate(us: i64, fsp: i64) -> i64 {
    let keep = 10i64.pow(u32::try_from(6 - fsp.clamp(0, 6)).unwrap_or(6));
    us - us.rem_euclid(keep)
}

fn fsp(a: &[ScalarValue]) -> i64 {
    a.first().and_then(values::to_i64).unwrap_or(0)
}

/// The civil time of instant `us` (microseconds since the epoch) in `tz`, as microseconds
/// of a zone-less date-time.
fn local_micros(us: i64, tz: &TimeZone) -> Option<i64> {
    let ts = Timestamp::from_microsecond(us).ok()?;
    temporal::micros_from_datetime(ts.to_zoned(tz.clone()).datetime())
}

fn now_at(env: &Env, us: i64, a: &[ScalarValue]) -> Option<ScalarValue> {
    let local = local_micros(us, &env.tz)?;
    Some(ScalarValue::TimestampMicrosecond(
        Some(truncate(local, fsp(a))),
        None,
    ))
}

fn now_micros() -> i64 {
    Timestamp::now().as_microsecond()
}

fn now(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    Ok(now_at(env, now_micros(), a).unwrap_or(ScalarValue::Null))
}

fn curdate_at(env: &Env, us: i64, _: &[ScalarValue]) -> Option<ScalarValue> {
    let local = local_micros(us, &env.tz)?;
    Some(ScalarValue::Date32(
        i32::try_from(local.div_euclid(86_400_000_000)).ok(),
    ))
}

fn curdate(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    Ok(curdate_at(env, now_micros(), a).unwrap_or(ScalarValue::Null))
}

fn curtime_at(env: &Env, us: i64, a: &[ScalarValue]) -> Option<ScalarValue> {
    let local = local_micros(us, &env.tz)?;
    Some(ScalarValue::DurationMicrosecond(Some(truncate(
        local.rem_euclid(86_400_000_000),
        fsp(a),
    ))))
}

fn curtime(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    Ok(curtime_at(env, now_micros(), a).unwrap_or(ScalarValue::Null))
}

fn utc_timestamp_at(_: &Env, us: i64, a: &[ScalarValue]) -> Option<ScalarValue> {
    Some(ScalarValue::TimestampMicrosecond(
        Some(truncate(us, fsp(a))),
        None,
    ))
}

fn utc_timestamp(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    Ok(utc_timestamp_at(env, now_micros(), a).unwrap_or(ScalarValue::Null))
}

fn utc_date_at(_: &Env, us: i64, _: &[ScalarValue]) -> Option<ScalarValue> {
    Some(ScalarValue::Date32(
        i32::try_from(us.div_euclid(86_400_000_000)).ok(),
    ))
}

fn utc_date(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    Ok(utc_date_at(env, now_micros(), a).unwrap_or(ScalarValue::Null))
}

/// Seconds since the epoch of a value: an instant as is, a civil date-time read in `tz`.
fn epoch_seconds(v: &ScalarValue, env: &Env) -> Option<i64> {
    // An instant was read in the session zone; reading it back gives the instant.
    let c: Civil = civil(v, env)?;
    let ts = c.dt.to_zoned(env.tz.clone()).ok()?.timestamp();
    Some(ts.as_second().max(0))
}

fn unix_timestamp_at(_: &Env, us: i64, a: &[ScalarValue]) -> Option<ScalarValue> {
    if !a.is_empty() {
        return None;
    }
    Some(ScalarValue::Int64(Some(us.div_euclid(1_000_000))))
}

fn unix_timestamp(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    Ok(match a.first() {
        None => ScalarValue::Int64(Some(now_micros().div_euclid(1_000_000))),
        Some(v) => ScalarValue::Int64(epoch_seconds(v, env)),
    })
}

fn from_unixtime_type(types: &[DataType], _: &[Option<&ScalarValue>]) -> Result<DataType> {
    if types.len() == 2 {
        ret::text(types, &[])
    } else {
        ret::datetime(types, &[])
    }
}

/// Largest value `FROM_UNIXTIME` accepts on 64-bit MariaDB 10.11 (2106-02-07 06:28:15).
const MAX_UNIXTIME: i64 = 4_294_967_295;

/// `FROM_UNIXTIME(n)`: the DATETIME of epoch second `n` in the session time zone; with a
/// format, that DATETIME formatted. NULL below 0 or past 2106.
fn from_unixtime(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let Some(n) = a.first() else {
        return Ok(ScalarValue::Null);
    };
    let us = match n {
        ScalarValue::Decimal128(Some(v), _, s) => {
            let scale = 10i128.pow(u32::from(s.unsigned_abs()));
            let micros = if *s >= 0 {
                v.checked_mul(1_000_000).map(|x| x / scale)
            } else {
                v.checked_mul(scale).and_then(|x| x.checked_mul(1_000_000))
            };
            micros.and_then(|m| i64::try_from(m).ok())
        }
        _ if n.data_type().is_integer() => values::to_i64(n).and_then(|s| s.checked_mul(1_000_000)),
        _ => values::to_f64(n).map(|f| (f * 1e6).round() as i64),
    };
    let Some(us) = us.filter(|us| (0..=MAX_UNIXTIME * 1_000_000).contains(us)) else {
        return Ok(ScalarValue::Null);
    };
    let Some(local) = local_micros(us, &env.tz).and_then(temporal::datetime_from_micros) else {
        return Ok(ScalarValue::Null);
    };
    match a.get(1) {
        None => Ok(temporal::datetime_value(local)),
        Some(fmt) => Ok(ScalarValue::Utf8(to_text(fmt, env).map(|f| {
            format_datetime(
                &Civil {
                    dt: local,
                    has_time: true,
                },
                &f,
            )
        }))),
    }
}

/// `CONVERT_TZ(dt, from, to)`: NULL for an unknown zone.
fn convert_tz(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let c = a.first().and_then(|v| civil(v, env));
    let from = a
        .get(1)
        .and_then(|v| to_text(v, env))
        .and_then(|z| parse_tz(&z));
    let to = a
        .get(2)
        .and_then(|v| to_text(v, env))
        .and_then(|z| parse_tz(&z));
    let (Some(c), Some(from), Some(to)) = (c, from, to) else {
        return Ok(ScalarValue::Null);
    };
    let Ok(zoned) = c.dt.to_zoned(from) else {
        return Ok(ScalarValue::Null);
    };
    Ok(temporal::datetime_value(
        zoned.with_time_zone(to).datetime(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::env::SessionInfo;
    use super::super::testutil::{query_strings, Fixture};

    #[tokio::test]
    async fn unix_time_and_zones_match_mariadb() {
        let f = Fixture::new().await;
        // MariaDB 10.11 with time_zone '+00:00' (zone tables loaded), same SELECT.
        let got = query_strings(
            &f.ctx,
            "SELECT FROM_UNIXTIME(0), FROM_UNIXTIME(1700000000), FROM_UNIXTIME(1700000000, '%Y %H'), \
             UNIX_TIMESTAMP('2024-01-01 00:00:00'), UNIX_TIMESTAMP(DATE '2024-01-01'), \
             CONVERT_TZ('2024-01-01 12:00:00', '+00:00', '+05:30'), \
             CONVERT_TZ('2024-07-01 12:00:00', 'UTC', 'Europe/Paris'), \
             CONVERT_TZ('2024-01-01 12:00:00', 'UTC', 'Nowhere'), FROM_UNIXTIME(-1), FROM_UNIXTIME(NULL)",
        )
        .await;
        assert_eq!(
            got,
            vec![vec![
                "1970-01-01 00:00:00",
                "2023-11-14 22:13:20",
                "2023 22",
                "1704067200",
                "1704067200",
                "2024-01-01 17:30:00",
                "2024-07-01 14:00:00",
                "NULL",
                "NULL",
                "NULL"
            ]]
        );
        // MariaDB with time_zone 'Europe/Paris'.
        let paris = Fixture::with_session(SessionInfo {
            time_zone: "Europe/Paris".into(),
            ..SessionInfo::default()
        })
        .await;
        let got = query_strings(
            &paris.ctx,
            "SELECT FROM_UNIXTIME(1700000000), UNIX_TIMESTAMP('2024-07-01 00:00:00')",
        )
        .await;
        assert_eq!(got, vec![vec!["2023-11-14 23:13:20", "1719784800"]]);
    }

    #[tokio::test]
    async fn clock_is_fixed_per_statement() {
        let f = Fixture::new().await;
        let got = query_strings(
            &f.ctx,
            "SELECT NOW() = CURRENT_TIMESTAMP, CURDATE() = DATE(NOW()), \
             UNIX_TIMESTAMP() = UNIX_TIMESTAMP(NOW()), LENGTH(CAST(NOW() AS VARCHAR))",
        )
        .await;
        assert_eq!(got.len(), 1);
        let row = got.first().cloned().unwrap_or_default();
        assert_eq!(
            row.get(..3),
            Some(&["1".to_string(), "1".into(), "1".into()][..])
        );
    }
}
