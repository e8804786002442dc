//! What the session-dependent functions know about their session.

use datafusion::error::DataFusionError;
use jiff::tz::{Offset, TimeZone};

/// The session facts functions answer with, registered per context by
/// [`super::install_session`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionInfo {
    /// Current database (`DATABASE()`, `SCHEMA()`), `None` before `USE`.
    pub database: Option<String>,
    /// `user@host` as `USER()` and `CURRENT_USER()` show it.
    pub user: String,
    /// `CONNECTION_ID()`.
    pub connection_id: u64,
    /// `VERSION()`.
    pub version: String,
    /// The session `time_zone`: `SYSTEM`, `+hh:mm` or a zone name.
    pub time_zone: String,
}

impl Default for SessionInfo {
    fn default() -> Self {
        SessionInfo {
            database: None,
            user: "root@localhost".into(),
            connection_id: 0,
            version: "10.11.0-MariaDB-replicant".into(),
            time_zone: "SYSTEM".into(),
        }
    }
}

/// A [`SessionInfo`] with its time zone resolved.
#[derive(Debug, Clone)]
pub struct Env {
    /// The session facts.
    pub info: SessionInfo,
    /// The session time zone.
    pub tz: TimeZone,
}

impl PartialEq for Env {
    fn eq(&self, other: &Self) -> bool {
        self.info == other.info
    }
}

impl Eq for Env {}

impl std::hash::Hash for Env {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.info.hash(state);
    }
}

impl Env {
    /// Resolves the session's time zone; an unknown zone is MySQL's error 1298 text.
    pub fn new(info: SessionInfo) -> Result<Env, DataFusionError> {
        let tz = parse_tz(&info.time_zone).ok_or_else(|| {
            DataFusionError::Plan(format!(
                "Unknown or incorrect time zone: '{}'",
                info.time_zone
            ))
        })?;
        Ok(Env { info, tz })
    }
}

/// A MySQL time zone value: `SYSTEM`, an offset `[+-]h:mm` (-12:59 to +14:00, as MySQL
/// accepts) or a named zone (`Europe/Paris`, `UTC`); `None` when MySQL would refuse it.
pub fn parse_tz(text: &str) -> Option<TimeZone> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("SYSTEM") {
        return Some(TimeZone::system());
    }
    let signed = match t.as_bytes().first() {
        Some(b'+') => t.get(1..).map(|r| (1, r)),
        Some(b'-') => t.get(1..).map(|r| (-1, r)),
        _ => None,
    };
    if let Some((sign, body)) = signed {
        let (h, m) = body.split_once(':')?;
        let h: i32 = h.parse().ok()?;
        let m: i32 = m.parse().ok()?;
        if !(0..60).contains(&m) || h < 0 {
            return None;
        }
        let secs = sign * (h * 3600 + m * 60);
        if !(-(12 * 3600 + 59 * 60)..=14 * 3600).contains(&secs) {
            return None;
        }
        return Offset::from_seconds(secs).ok().map(TimeZone::fixed);
    }
    TimeZone::get(t).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones() {
        assert!(parse_tz("SYSTEM").is_some());
        assert!(parse_tz("UTC").is_some());
        assert!(parse_tz("Europe/Paris").is_some());
        assert!(parse_tz("+01:00").is_some());
        assert!(parse_tz("-05:30").is_some());
        assert!(parse_tz("+15:00").is_none());
        assert!(parse_tz("Mars/Olympus").is_none());
        assert!(Env::new(SessionInfo {
            time_zone: "nowhere".into(),
            ..SessionInfo::default()
        })
        .is_err());
    }
}
