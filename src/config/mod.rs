//! Parsing of settings shared by several commands (time zones, start positions), with
//! errors that name the flag and the expected form. [`run`] resolves the settings of
//! `replicant run` from its flags and `replicant.toml`.

#[cfg(feature = "store")]
pub mod run;

use jiff::tz::{Offset, TimeZone};

use crate::source::position::{FilePos, MariaGtidState, MySqlGtidSet, StartPosition};

/// Parses `--time-zone`: `UTC`, `SYSTEM`, a fixed offset `+05:30`, or an IANA name.
pub fn parse_time_zone(s: &str) -> Result<TimeZone, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t == "+00:00" || t == "Z" {
        return Ok(TimeZone::UTC);
    }
    if t.eq_ignore_ascii_case("system") {
        return TimeZone::try_system().map_err(|e| format!("--time-zone SYSTEM: {e}"));
    }
    if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix('-')) {
        let sign = if t.starts_with('-') { -1 } else { 1 };
        let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
        let (h, m): (i32, i32) = match (h.parse(), m.parse()) {
            (Ok(h), Ok(m)) if h <= 14 && m < 60 => (h, m),
            _ => return Err(format!("--time-zone: `{s}` is not an offset like +02:00")),
        };
        let off = Offset::from_seconds(sign * (h * 3600 + m * 60))
            .map_err(|e| format!("--time-zone: `{s}`: {e}"))?;
        return Ok(TimeZone::fixed(off));
    }
    TimeZone::get(t).map_err(|e| {
        format!("--time-zone: `{s}` is not UTC, SYSTEM, an offset like +02:00 or a zone name like Europe/Paris ({e})")
    })
}

/// Parses `--from`: `FILE:POS`, `current` (the source's end of binlog) or `earliest`.
pub fn parse_from(s: &str) -> Result<StartPosition, String> {
    match s.trim() {
        "current" | "now" => Ok(StartPosition::Current),
        "earliest" | "start" => Ok(StartPosition::Earliest),
        other => other
            .parse::<FilePos>()
            .map(StartPosition::FilePos)
            .map_err(|e| format!("--from: {e}; or use `current` / `earliest`")),
    }
}

/// Parses `--gtid`: a MySQL GTID set (`uuid:1-5,…`) or MariaDB positions (`0-1-100,…`).
pub fn parse_gtid(s: &str) -> Result<StartPosition, String> {
    if s.contains(':') {
        s.parse::<MySqlGtidSet>()
            .map(StartPosition::MySqlGtid)
            .map_err(|e| format!("--gtid: {e}"))
    } else {
        s.parse::<MariaGtidState>()
            .map(StartPosition::MariaGtid)
            .map_err(|e| format!("--gtid: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones() {
        assert_eq!(parse_time_zone("UTC").unwrap(), TimeZone::UTC);
        assert!(parse_time_zone("+05:30").is_ok());
        assert!(parse_time_zone("-08:00").is_ok());
        assert!(parse_time_zone("+25:00").is_err());
        assert!(parse_time_zone("Not/AZone").is_err());
    }

    #[test]
    fn start_positions() {
        assert_eq!(parse_from("current").unwrap(), StartPosition::Current);
        assert!(matches!(
            parse_from("mariadb-bin.000001:4").unwrap(),
            StartPosition::FilePos(_)
        ));
        assert!(parse_from("bogus").is_err());
        assert!(matches!(
            parse_gtid("0-1-5").unwrap(),
            StartPosition::MariaGtid(_)
        ));
        assert!(matches!(
            parse_gtid("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5").unwrap(),
            StartPosition::MySqlGtid(_)
        ));
        assert!(parse_gtid("x").is_err());
    }
}
