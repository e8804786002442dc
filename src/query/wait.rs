//! Waiting until a source position is visible in the copy, so a client that wrote to the
//! source can read its own write from the replica: `MASTER_GTID_WAIT` (MariaDB),
//! `WAIT_FOR_EXECUTED_GTID_SET` (MySQL), `MASTER_POS_WAIT` / `SOURCE_POS_WAIT` (file:pos).
//!
//! The replica publishes the position of the last visible transaction in a watch channel;
//! a wait checks it, then sleeps on the channel until it reaches the target, the timeout
//! passes, or the statement is killed.

use std::time::Duration;

use mysql_common::value::Value as MyValue;

use super::engine::Session;
use super::result::SqlError;
use crate::source::position::{FilePos, MariaGtidState, MySqlGtidSet};
use crate::store::catalog::StoredPosition;

/// The wait functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitFn {
    /// `MASTER_GTID_WAIT(gtid_pos[, timeout])`: 0 reached, -1 timed out.
    MasterGtidWait,
    /// `WAIT_FOR_EXECUTED_GTID_SET(set[, timeout])`: 0 reached, 1 timed out.
    WaitForExecutedGtidSet,
    /// `MASTER_POS_WAIT(file, pos[, timeout])` / `SOURCE_POS_WAIT`: events waited for,
    /// -1 timed out, NULL when not replicating.
    MasterPosWait,
}

impl WaitFn {
    /// The function named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<WaitFn> {
        match name.to_ascii_uppercase().as_str() {
            "MASTER_GTID_WAIT" => Some(WaitFn::MasterGtidWait),
            "WAIT_FOR_EXECUTED_GTID_SET" | "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS" => {
                Some(WaitFn::WaitForExecutedGtidSet)
            }
            "MASTER_POS_WAIT" | "SOURCE_POS_WAIT" => Some(WaitFn::MasterPosWait),
            _ => None,
        }
    }
}

/// A position to wait for.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A MariaDB GTID position: every named domain at or past its sequence number.
    Maria(MariaGtidState),
    /// A MySQL GTID set: contained in the executed set.
    MySql(MySqlGtidSet),
    /// A binlog coordinate: reached or passed.
    FilePos(FilePos),
}

/// True when `pos` includes everything up to `target`.
pub fn reached(target: &Target, pos: &StoredPosition) -> bool {
    match target {
        Target::FilePos(fp) => pos.file_pos().binlog_cmp(fp) != std::cmp::Ordering::Less,
        Target::Maria(want) => {
            if pos.gtid_flavor.as_deref() != Some("mariadb") {
                return want.is_empty();
            }
            let Ok(have) = pos.gtid.as_deref().unwrap_or("").parse::<MariaGtidState>() else {
                return false;
            };
            want.domains
                .iter()
                .all(|(d, g)| have.domains.get(d).is_some_and(|h| h.seq >= g.seq))
        }
        Target::MySql(want) => {
            if want.is_empty() {
                return true;
            }
            if pos.gtid_flavor.as_deref() != Some("mysql") {
                return false;
            }
            let Ok(have) = pos.gtid.as_deref().unwrap_or("").parse::<MySqlGtidSet>() else {
                return false;
            };
            contains(&have, want)
        }
    }
}

/// True when every GTID of `want` is in `have`.
pub fn contains(have: &MySqlGtidSet, want: &MySqlGtidSet) -> bool {
    want.sids.iter().all(|(sid, ivs)| {
        let Some(h) = have.sids.get(sid) else {
            return false;
        };
        ivs.iter()
            .all(|(s, e)| h.iter().any(|(hs, he)| hs <= s && e <= he))
    })
}

fn text_arg(v: Option<&MyValue>) -> Option<String> {
    match v {
        Some(MyValue::Bytes(b)) => Some(String::from_utf8_lossy(b).into_owned()),
        Some(MyValue::Int(i)) => Some(i.to_string()),
        Some(MyValue::UInt(u)) => Some(u.to_string()),
        _ => None,
    }
}

fn num_arg(v: Option<&MyValue>) -> Option<f64> {
    match v {
        Some(MyValue::Int(i)) => Some(*i as f64),
        Some(MyValue::UInt(u)) => Some(*u as f64),
        Some(MyValue::Double(d)) => Some(*d),
        Some(MyValue::Float(f)) => Some(f64::from(*f)),
        Some(MyValue::Bytes(b)) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn bad_args(name: &str) -> SqlError {
    SqlError::new(
        1582,
        "42000",
        format!("Incorrect parameter count in the call to native function '{name}'"),
    )
}

/// Runs a wait function with its argument values; the result value.
pub async fn run(
    session: &Session,
    f: WaitFn,
    name: &str,
    args: &[MyValue],
) -> Result<MyValue, SqlError> {
    let (target, timeout) = match f {
        WaitFn::MasterGtidWait | WaitFn::WaitForExecutedGtidSet => {
            if args.is_empty() || args.len() > 2 {
                return Err(bad_args(name));
            }
            let Some(text) = text_arg(args.first()) else {
                return Ok(MyValue::NULL);
            };
            let target = if f == WaitFn::MasterGtidWait {
                Target::Maria(text.parse::<MariaGtidState>().map_err(|e| {
                    SqlError::new(1941, "HY000", format!("Could not parse GTID list: {e}"))
                })?)
            } else {
                Target::MySql(text.parse::<MySqlGtidSet>().map_err(|_| {
                    SqlError::new(
                        1772,
                        "HY000",
                        format!("Malformed GTID set specification '{text}'."),
                    )
                })?)
            };
            (target, num_arg(args.get(1)))
        }
        WaitFn::MasterPosWait => {
            if args.len() < 2 || args.len() > 4 {
                return Err(bad_args(name));
            }
            let (Some(file), Some(pos)) = (text_arg(args.first()), num_arg(args.get(1))) else {
                return Ok(MyValue::NULL);
            };
            if session.engine.replica.is_none() {
                return Ok(MyValue::NULL);
            }
            let target = Target::FilePos(FilePos {
                file,
                pos: pos.max(0.0) as u64,
            });
            (target, num_arg(args.get(2)))
        }
    };
    let outcome = wait_for(session, &target, timeout).await?;
    Ok(match (f, outcome) {
        (WaitFn::MasterGtidWait, Some(_)) => MyValue::Int(0),
        (WaitFn::MasterGtidWait, None) => MyValue::Int(-1),
        (WaitFn::WaitForExecutedGtidSet, Some(_)) => MyValue::Int(0),
        (WaitFn::WaitForExecutedGtidSet, None) => MyValue::Int(1),
        (WaitFn::MasterPosWait, Some(n)) => MyValue::Int(n),
        (WaitFn::MasterPosWait, None) => MyValue::Int(-1),
    })
}

/// Waits until the visible position reaches `target`: `Some(changes waited for)`, or
/// `None` after `timeout` seconds (negative or absent: no limit; 0: check once).
pub async fn wait_for(
    session: &Session,
    target: &Target,
    timeout: Option<f64>,
) -> Result<Option<i64>, SqlError> {
    let deadline = match timeout {
        Some(t) if t >= 0.0 && t.is_finite() => {
            Some(tokio::time::Instant::now() + Duration::from_secs_f64(t.min(1e9)))
        }
        _ => None,
    };
    let Some(replica) = session.engine.replica.as_ref() else {
        // A stopped copy: its position never moves.
        let position = crate::store::read::Snapshot::new(&session.engine.store)
            .map_err(|e| SqlError::internal(format!("reading the store: {e}")))?
            .position;
        if position.as_ref().is_some_and(|p| reached(target, p)) {
            return Ok(Some(0));
        }
        return sleep_until(session, deadline).await.map(|()| None);
    };
    let mut rx = replica.visible.clone();
    let mut waited: i64 = 0;
    loop {
        if rx
            .borrow_and_update()
            .as_ref()
            .is_some_and(|p| reached(target, p))
        {
            return Ok(Some(waited));
        }
        let changed = rx.changed();
        let killed = session.process.kill_query.notified();
        let expired = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            r = changed => {
                if r.is_err() {
                    // The replica stopped: nothing will change any more.
                    return sleep_until(session, deadline).await.map(|()| None);
                }
                waited += 1;
            }
            _ = killed => return Err(SqlError::interrupted()),
            _ = expired => return Ok(None),
        }
    }
}

async fn sleep_until(
    session: &Session,
    deadline: Option<tokio::time::Instant>,
) -> Result<(), SqlError> {
    let killed = session.process.kill_query.notified();
    match deadline {
        Some(d) => tokio::select! {
            _ = tokio::time::sleep_until(d) => Ok(()),
            _ = killed => Err(SqlError::interrupted()),
        },
        None => {
            killed.await;
            Err(SqlError::interrupted())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maria(gtid: &str) -> StoredPosition {
        StoredPosition {
            file: "bin.000002".into(),
            pos: 500,
            gtid: Some(gtid.into()),
            gtid_flavor: Some("mariadb".into()),
        }
    }

    fn mysql(gtid: &str) -> StoredPosition {
        StoredPosition {
            file: "bin.000002".into(),
            pos: 500,
            gtid: Some(gtid.into()),
            gtid_flavor: Some("mysql".into()),
        }
    }

    const U: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    #[test]
    fn mariadb_positions_compare_per_domain() {
        let t = |s: &str| Target::Maria(s.parse().unwrap());
        assert!(reached(&t("0-1-5"), &maria("0-1-5")));
        assert!(reached(&t("0-1-5"), &maria("0-2-9,1-1-1")));
        assert!(!reached(&t("0-1-6"), &maria("0-1-5")));
        assert!(!reached(&t("0-1-5,1-1-3"), &maria("0-1-9,1-1-2")));
        assert!(!reached(&t("2-1-1"), &maria("0-1-9")));
        assert!(reached(&t(""), &maria("0-1-9")));
        assert!(!reached(&t("0-1-1"), &mysql(&format!("{U}:1-5"))));
    }

    #[test]
    fn mysql_sets_compare_by_containment() {
        let t = |s: &str| Target::MySql(s.parse().unwrap());
        assert!(reached(
            &t(&format!("{U}:1-5")),
            &mysql(&format!("{U}:1-10"))
        ));
        assert!(reached(&t(&format!("{U}:3")), &mysql(&format!("{U}:1-10"))));
        assert!(!reached(
            &t(&format!("{U}:1-11")),
            &mysql(&format!("{U}:1-10"))
        ));
        assert!(!reached(
            &t(&format!("{U}:4-6")),
            &mysql(&format!("{U}:1-3:7-9"))
        ));
        assert!(!reached(
            &t("4e11fa47-71ca-11e1-9e33-c80aa9429562:1"),
            &mysql(&format!("{U}:1-10"))
        ));
    }

    #[test]
    fn file_positions_compare_in_binlog_order() {
        let t = |f: &str, p: u64| {
            Target::FilePos(FilePos {
                file: f.into(),
                pos: p,
            })
        };
        assert!(reached(&t("bin.000002", 500), &maria("")));
        assert!(reached(&t("bin.000001", 90000), &maria("")));
        assert!(!reached(&t("bin.000002", 501), &maria("")));
        assert!(!reached(&t("bin.000010", 4), &maria("")));
    }

    #[test]
    fn names() {
        assert_eq!(
            WaitFn::from_name("source_pos_wait"),
            Some(WaitFn::MasterPosWait)
        );
        assert_eq!(WaitFn::from_name("now"), None);
    }
}
