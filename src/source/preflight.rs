//! Preflight checks: before snapshotting or streaming, make sure the source can feed a
//! row-based replica and that the requested start position still exists.
//!
//! Every failure is a [`SourceError::Preflight`] naming the setting, what the source has,
//! why it does not work and the exact fix (the `my.cnf` line and/or `SET GLOBAL …`), or a
//! [`SourceError::PositionUnavailable`] saying which binlog files the source still has.
//!
//! What is checked, in this order:
//!
//! 1. `log_bin` is ON.
//! 2. `binlog_format` is ROW.
//! 3. MariaDB: `binlog_row_metadata` is FULL (column names, signedness, ENUM/SET labels
//!    and primary keys travel in the TABLE_MAP event only then); `log_bin_compress` is OFF
//!    (compressed MariaDB row events are not decoded).
//!    MySQL: `binlog_row_metadata` other than FULL and `binlog_row_value_options` =
//!    PARTIAL_JSON are warnings.
//! 4. `binlog_row_image`: FULL is expected; MINIMAL / NOBLOB / FULL_NODUP are warnings
//!    (row images then miss columns; decoding handles that, but an UPDATE of a table
//!    without a primary key can only be matched on the columns that are present).
//! 5. Privileges: REPLICATION SLAVE from `SHOW GRANTS` (global grants, `ALL PRIVILEGES`,
//!    and on MariaDB the grants of the current role, which `SHOW GRANTS` includes);
//!    REPLICATION CLIENT (MySQL, MariaDB < 10.5.2) / BINLOG MONITOR (MariaDB 10.5.2+) by
//!    running `SHOW BINARY LOGS` and `SHOW MASTER STATUS` and catching error 1227.
//! 6. The start position (see [`check`]).
//!
//! The MySQL branches are written from the MySQL 8.0/8.4 reference manual and are
//! untested against a live MySQL server (none is available in this project's test
//! environment); the MariaDB branches are tested against MariaDB 10.11.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::connect::{cell_text, Flavor, ServerInfo};
use super::error::SourceError;
use super::position::{FilePos, MariaGtid, MariaGtidState, MySqlGtidSet, StartPosition};

/// MySQL/MariaDB error 1227 `ER_SPECIFIC_ACCESS_DENIED_ERROR`: "you need (at least one of)
/// the … privilege(s) for this operation".
const ER_SPECIFIC_ACCESS_DENIED: u16 = 1227;

/// Which columns the source writes into row events (`binlog_row_image`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowImage {
    /// Every column in both the before and the after image.
    Full,
    /// Before image: only the primary key (or all columns without one); after image:
    /// only the changed columns.
    Minimal,
    /// Like FULL but BLOB/TEXT columns are left out unless needed or changed.
    NoBlob,
    /// MariaDB 11.4+ `FULL_NODUP`: full before image, after image without unchanged
    /// columns.
    FullNoDup,
}

impl fmt::Display for RowImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RowImage::Full => "FULL",
            RowImage::Minimal => "MINIMAL",
            RowImage::NoBlob => "NOBLOB",
            RowImage::FullNoDup => "FULL_NODUP",
        })
    }
}

/// One file of `SHOW BINARY LOGS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinlogFile {
    /// File name, e.g. `mariadb-bin.000003`.
    pub name: String,
    /// Size in bytes at the time of the check (the last file keeps growing).
    pub size: u64,
}

/// What the preflight found out: settings the stream needs to know and non-fatal findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightReport {
    /// Findings that do not stop replication but deserve a log line.
    pub warnings: Vec<String>,
    /// The source's `binlog_row_image`.
    pub row_image: RowImage,
    /// True when every transaction carries a GTID: MySQL `gtid_mode = ON`; always true
    /// on MariaDB (10.0+ logs a GTID event for every event group).
    pub gtid_mode: bool,
    /// `binlog_checksum` as the source reports it: `CRC32` or `NONE`.
    pub checksum: String,
    /// `SHOW BINARY LOGS` at check time, oldest first.
    pub binlog_files: Vec<BinlogFile>,
}

/// The global variables the checks read. `SHOW GLOBAL VARIABLES WHERE … IN (…)` returns
/// only those the server knows, so asking for a variable of the other flavor is harmless.
const VARIABLES: &[&str] = &[
    "log_bin",
    "binlog_format",
    "binlog_row_image",
    "binlog_row_metadata",
    "binlog_row_value_options",
    "binlog_checksum",
    "log_bin_compress",
    "mysql56_temporal_format",
    "gtid_mode",
    "gtid_purged",
    "gtid_executed",
    "gtid_binlog_pos",
    "gtid_strict_mode",
];

/// Runs every preflight check (see the module docs) and the start-position check:
///
/// - [`StartPosition::Current`]: `SHOW MASTER STATUS` must work.
/// - [`StartPosition::Earliest`]: the source must have at least one binlog file.
/// - [`StartPosition::FilePos`]: the file must be listed by `SHOW BINARY LOGS` and the
///   offset must not exceed its size; on MariaDB the offset must also be the start of an
///   event (checked with `BINLOG_GTID_POS(file, pos)`, which reads the file up to there).
/// - [`StartPosition::MariaGtid`] (MariaDB only): let `L` be the GTID state at the start of
///   the oldest binlog file (its GTID_LIST event, read with `BINLOG_GTID_POS(oldest, 4)`)
///   and `B` be `@@gtid_binlog_pos`. Each requested domain must be known to the source (in
///   `B` or `L`), its seq must not be below `L`'s seq for that domain (those transactions
///   were purged) and not above `B`'s (the replica would be ahead of the source). A
///   domain in `L` that the request lacks means "that domain from its first transaction",
///   which was purged, so it fails too.
/// - [`StartPosition::MySqlGtid`] (MySQL only, untested against a live server): `gtid_mode`
///   must be ON, the set must contain `@@gtid_purged`, and it must not hold transactions of
///   the source's own UUID beyond `@@gtid_executed`.
pub async fn check(
    conn: &mut Conn,
    info: &ServerInfo,
    start: &StartPosition,
) -> Result<PreflightReport, SourceError> {
    let vars = global_variables(conn, VARIABLES).await?;
    let mut report = check_settings(info, &vars)?;

    let user = current_user(conn).await?;
    match show_grants(conn).await {
        Ok(lines) => {
            let grants = Grants::parse(&lines);
            if let Some(warning) = check_replication_slave(info, &grants, &user)? {
                report.warnings.push(warning);
            }
        }
        Err(e) => report.warnings.push(format!(
            "could not read SHOW GRANTS ({e}); REPLICATION SLAVE was not verified"
        )),
    }

    if info.flavor == Flavor::MariaDb {
        check_old_temporal_columns(conn).await?;
    }

    report.binlog_files = binary_logs(conn, info, &user).await?;
    // Also proves SHOW MASTER STATUS works, which the snapshot needs.
    current_file_pos(conn, info, &user).await?;

    check_start(conn, info, start, &vars, &report.binlog_files).await?;
    Ok(report)
}

/// MariaDB tables created before 10.1.2 (or with `mysql56_temporal_format=OFF`) may keep
/// fractional TIME/DATETIME/TIMESTAMP columns in the 5.3 layout, which cannot be decoded
/// from the binlog: name them and the fix.
async fn check_old_temporal_columns(conn: &mut Conn) -> Result<(), SourceError> {
    // 10.1–10.5 mark old-layout columns only with show_old_temporals=ON; later versions
    // always do and no longer know the variable.
    let marked = conn
        .query_drop("SET SESSION show_old_temporals = ON")
        .await
        .is_ok();
    let rows: Vec<Row> = conn
        .query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS \
             WHERE COLUMN_TYPE LIKE '%mariadb-5.3%' AND DATETIME_PRECISION > 0 LIMIT 10",
        )
        .await?;
    if marked {
        conn.query_drop("SET SESSION show_old_temporals = OFF")
            .await?;
    }
    if rows.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            Some(format!(
                "{}.{}.{}",
                cell_text(r, 0)?,
                cell_text(r, 1)?,
                cell_text(r, 2)?
            ))
        })
        .collect();
    let tables: Vec<String> = rows
        .iter()
        .filter_map(|r| Some(format!("`{}`.`{}`", cell_text(r, 0)?, cell_text(r, 1)?)))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Err(SourceError::Preflight {
        setting: "temporal columns".to_string(),
        found: format!("MariaDB 5.3 layout in {}", names.join(", ")),
        problem: "fractional TIME/DATETIME/TIMESTAMP columns in the pre-10.1 layout are \
                  logged without their precision and cannot be decoded"
            .to_string(),
        fix: format!(
            "with mysql56_temporal_format=ON, rebuild them: {}",
            tables
                .iter()
                .map(|t| format!("ALTER TABLE {t} FORCE;"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    })
}

/// Reads global variables by name; unknown names are absent from the map. Names are
/// lower-cased keys, values as the server prints them.
pub async fn global_variables(
    conn: &mut Conn,
    names: &[&str],
) -> Result<HashMap<String, String>, SourceError> {
    let list = names
        .iter()
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(",");
    let rows: Vec<Row> = conn
        .query(format!(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ({list})"
        ))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((cell_text(r, 0)?.to_ascii_lowercase(), cell_text(r, 1)?)))
        .collect())
}

/// `SHOW BINARY LOGS`, oldest first. Error 1227 becomes a [`SourceError::Preflight`] for
/// the missing REPLICATION CLIENT / BINLOG MONITOR privilege. `user` is `CURRENT_USER()`
/// as the server prints it (`name@host`), used in the GRANT statement of the fix.
pub async fn binary_logs(
    conn: &mut Conn,
    info: &ServerInfo,
    user: &str,
) -> Result<Vec<BinlogFile>, SourceError> {
    let rows: Vec<Row> = conn
        .query("SHOW BINARY LOGS")
        .await
        .map_err(|e| access_denied(e, info, user, "SHOW BINARY LOGS"))?;
    let mut files = Vec::with_capacity(rows.len());
    for row in &rows {
        let name = cell_text(row, 0).unwrap_or_default();
        let size_text = cell_text(row, 1).unwrap_or_default();
        let size = size_text.trim().parse().map_err(|_| {
            SourceError::Protocol(format!(
                "SHOW BINARY LOGS: size `{size_text}` of `{name}` is not a number"
            ))
        })?;
        files.push(BinlogFile { name, size });
    }
    Ok(files)
}

/// The source's current end of binlog: `SHOW MASTER STATUS` (`SHOW BINARY LOG STATUS` on
/// MySQL 8.2+, where the old name is deprecated and removed in 8.4). Fails with a
/// [`SourceError::Preflight`] when binary logging is off or the privilege is missing.
pub async fn current_file_pos(
    conn: &mut Conn,
    info: &ServerInfo,
    user: &str,
) -> Result<FilePos, SourceError> {
    let statement = status_statement(info);
    let row: Option<Row> = conn
        .query_first(statement)
        .await
        .map_err(|e| access_denied(e, info, user, statement))?;
    let row = row.ok_or_else(|| log_bin_off(info, "OFF"))?;
    let file = cell_text(&row, 0).unwrap_or_default();
    let pos_text = cell_text(&row, 1).unwrap_or_default();
    let pos = pos_text.trim().parse().map_err(|_| {
        SourceError::Protocol(format!(
            "{statement}: position `{pos_text}` is not a number"
        ))
    })?;
    Ok(FilePos { file, pos })
}

/// `CURRENT_USER()` as `name@host`: the account the server matched, used in GRANT fixes.
pub async fn current_user(conn: &mut Conn) -> Result<String, SourceError> {
    let row: Option<Row> = conn.query_first("SELECT CURRENT_USER()").await?;
    Ok(row.and_then(|r| cell_text(&r, 0)).unwrap_or_default())
}

fn status_statement(info: &ServerInfo) -> &'static str {
    match info.flavor {
        // Untested against a live MySQL server.
        Flavor::MySql if info.at_least(8, 2, 0) => "SHOW BINARY LOG STATUS",
        _ => "SHOW MASTER STATUS",
    }
}

/// `'name'@'host'` from `name@host` for GRANT statements in fixes.
fn grant_target(user: &str) -> String {
    match user.rsplit_once('@') {
        Some((name, host)) => format!("'{name}'@'{host}'"),
        None if user.is_empty() => "<replication user>".to_string(),
        None => format!("'{user}'"),
    }
}

/// The name of the privilege that allows SHOW BINARY LOGS / SHOW MASTER STATUS.
fn monitor_privilege(info: &ServerInfo) -> &'static str {
    match info.flavor {
        Flavor::MariaDb if info.at_least(10, 5, 2) => "BINLOG MONITOR",
        _ => "REPLICATION CLIENT",
    }
}

fn access_denied(e: mysql_async::Error, info: &ServerInfo, user: &str, what: &str) -> SourceError {
    match &e {
        mysql_async::Error::Server(s) if s.code == ER_SPECIFIC_ACCESS_DENIED => {
            let privilege = monitor_privilege(info);
            SourceError::Preflight {
                setting: format!("privilege {privilege}"),
                found: "missing".to_string(),
                problem: format!(
                    "the replication user {user} may not run {what}, which replicant needs to \
                     list the binary logs and read the current position (server said: {})",
                    s.message
                ),
                fix: format!("GRANT {privilege} ON *.* TO {};", grant_target(user)),
            }
        }
        _ => SourceError::Connection(e),
    }
}

fn log_bin_off(info: &ServerInfo, found: &str) -> SourceError {
    let fix = match info.flavor {
        Flavor::MariaDb => {
            "add `log_bin = mariadb-bin` and `server_id = 1` (any id unique among your servers) \
             under [mysqld] in my.cnf and restart the server; log_bin cannot be changed at runtime"
        }
        Flavor::MySql => {
            "remove `skip-log-bin` / `disable-log-bin` from my.cnf (MySQL 8 logs by default) or \
             add `log_bin = mysql-bin` and `server_id = 1` under [mysqld], then restart the \
             server; log_bin cannot be changed at runtime"
        }
    };
    SourceError::Preflight {
        setting: "log_bin".to_string(),
        found: found.to_string(),
        problem: "the source writes no binary log, so there are no changes to replicate"
            .to_string(),
        fix: fix.to_string(),
    }
}

/// Both the runtime and the persistent form of a dynamic setting fix.
fn dynamic_fix(variable: &str, value: &str, note: &str) -> String {
    format!(
        "SET GLOBAL {variable} = '{value}'; and add `{variable} = {value}` under [mysqld] in \
         my.cnf so it survives a restart{note}"
    )
}

fn is_on(v: Option<&String>) -> bool {
    v.is_some_and(|v| {
        matches!(
            v.trim().to_ascii_uppercase().as_str(),
            "ON" | "1" | "TRUE" | "YES"
        )
    })
}

/// The checks that need only the variables: binlog on, ROW format, metadata, compression,
/// row image. Pure, so that both flavors' branches are unit-tested.
fn check_settings(
    info: &ServerInfo,
    vars: &HashMap<String, String>,
) -> Result<PreflightReport, SourceError> {
    let get = |name: &str| vars.get(name);
    let mut warnings = Vec::new();

    if !is_on(get("log_bin")) {
        return Err(log_bin_off(
            info,
            get("log_bin").map(String::as_str).unwrap_or("OFF"),
        ));
    }

    let format = get("binlog_format").map(|v| v.to_ascii_uppercase());
    if format.as_deref() != Some("ROW") {
        return Err(SourceError::Preflight {
            setting: "binlog_format".to_string(),
            found: format.unwrap_or_else(|| "unknown".to_string()),
            problem: "replicant decodes row events only; STATEMENT and MIXED logging write SQL \
                      text whose effect cannot be reproduced exactly"
                .to_string(),
            fix: dynamic_fix(
                "binlog_format",
                "ROW",
                "; sessions already connected keep their old format until they reconnect",
            ),
        });
    }

    let metadata = get("binlog_row_metadata").map(|v| v.to_ascii_uppercase());
    match (info.flavor, metadata.as_deref()) {
        (_, Some("FULL")) => {}
        (Flavor::MariaDb, found) => {
            return Err(SourceError::Preflight {
                setting: "binlog_row_metadata".to_string(),
                found: found
                    .unwrap_or("not supported (MariaDB older than 10.5)")
                    .to_string(),
                problem: "without FULL row metadata MariaDB's TABLE_MAP events carry no column \
                          names, signedness, ENUM/SET labels or primary key, so rows cannot be \
                          decoded reliably"
                    .to_string(),
                fix: if found.is_some() {
                    dynamic_fix(
                        "binlog_row_metadata",
                        "FULL",
                        "; events already written keep the old metadata, so start from a \
                         position after the change",
                    )
                } else {
                    "upgrade the source to MariaDB 10.5 or newer and set \
                     `binlog_row_metadata = FULL` under [mysqld] in my.cnf"
                        .to_string()
                },
            });
        }
        // MySQL branch: untested against a live MySQL server.
        (Flavor::MySql, found) => warnings.push(format!(
            "binlog_row_metadata is {}: TABLE_MAP events carry no column names, so columns are \
             matched by position against the table definition; set \
             `binlog_row_metadata = FULL` (MySQL 8.0.1+) to make decoding robust across DDL",
            found.unwrap_or("not supported by this MySQL version")
        )),
    }

    // With mysql56_temporal_format=OFF, MariaDB creates TIME/DATETIME/TIMESTAMP columns
    // with fractional seconds in its 5.3 layout, which the binlog logs with no precision:
    // their values cannot be decoded.
    if info.flavor == Flavor::MariaDb
        && get("mysql56_temporal_format").is_some_and(|v| !is_on(Some(v)))
    {
        return Err(SourceError::Preflight {
            setting: "mysql56_temporal_format".to_string(),
            found: "OFF".to_string(),
            problem: "new TIME/DATETIME/TIMESTAMP columns with fractional seconds then use \
                      MariaDB's 5.3 storage layout, whose binlog form carries no precision and \
                      cannot be decoded"
                .to_string(),
            fix: dynamic_fix(
                "mysql56_temporal_format",
                "ON",
                "; then rebuild tables created while it was OFF (ALTER TABLE … FORCE)",
            ),
        });
    }

    if info.flavor == Flavor::MariaDb && is_on(get("log_bin_compress")) {
        return Err(SourceError::Preflight {
            setting: "log_bin_compress".to_string(),
            found: "ON".to_string(),
            problem: "MariaDB then writes compressed query and row events, which replicant does \
                      not decode"
                .to_string(),
            fix: dynamic_fix(
                "log_bin_compress",
                "OFF",
                "; compressed events already written cannot be read, so start from a position \
                 after the change",
            ),
        });
    }

    // MySQL only; untested against a live MySQL server.
    if get("binlog_row_value_options")
        .is_some_and(|v| v.to_ascii_uppercase().contains("PARTIAL_JSON"))
    {
        warnings.push(
            "binlog_row_value_options is PARTIAL_JSON: JSON updates arrive as diffs against the \
             before image; set it to '' for full JSON values"
                .to_string(),
        );
    }

    let image_text = get("binlog_row_image")
        .map(|v| v.to_ascii_uppercase())
        .unwrap_or_else(|| "FULL".to_string());
    let row_image = match image_text.as_str() {
        "FULL" => RowImage::Full,
        "MINIMAL" => RowImage::Minimal,
        "NOBLOB" => RowImage::NoBlob,
        "FULL_NODUP" => RowImage::FullNoDup,
        other => {
            return Err(SourceError::Preflight {
                setting: "binlog_row_image".to_string(),
                found: other.to_string(),
                problem: "unknown row image; replicant knows FULL, MINIMAL, NOBLOB and FULL_NODUP"
                    .to_string(),
                fix: dynamic_fix("binlog_row_image", "FULL", ""),
            })
        }
    };
    if row_image != RowImage::Full {
        warnings.push(format!(
            "binlog_row_image is {row_image}: row events leave out some columns; changes are \
             applied to the columns present, and rows of tables without a primary key are \
             matched on those columns only. For exact copies: {}",
            dynamic_fix("binlog_row_image", "FULL", "")
        ));
    }

    let gtid_mode = match info.flavor {
        Flavor::MariaDb => true,
        Flavor::MySql => get("gtid_mode").is_some_and(|v| v.eq_ignore_ascii_case("ON")),
    };
    let checksum = get("binlog_checksum")
        .map(|v| v.to_ascii_uppercase())
        .unwrap_or_else(|| "NONE".to_string());

    Ok(PreflightReport {
        warnings,
        row_image,
        gtid_mode,
        checksum,
        binlog_files: Vec::new(),
    })
}

async fn show_grants(conn: &mut Conn) -> Result<Vec<String>, mysql_async::Error> {
    // Plain SHOW GRANTS (not FOR CURRENT_USER()): on MariaDB it also lists the grants of
    // the current role, which the replication connection will have too.
    let rows: Vec<Row> = conn.query("SHOW GRANTS").await?;
    Ok(rows.iter().filter_map(|r| cell_text(r, 0)).collect())
}

/// Global privileges parsed from `SHOW GRANTS` lines.
#[derive(Debug, Default)]
struct Grants {
    /// Upper-case privilege names granted `ON *.*`.
    global: HashSet<String>,
    /// Some role is granted (`GRANT role TO user`), whose privileges may not be listed.
    roles: bool,
}

impl Grants {
    fn parse(lines: &[String]) -> Grants {
        let mut grants = Grants::default();
        for line in lines {
            let Some(rest) = line.trim().strip_prefix("GRANT ") else {
                continue;
            };
            match rest.find(" ON ") {
                Some(on) => {
                    let target = rest[on + 4..].trim_start();
                    if target.starts_with("*.* ") {
                        for p in rest[..on].split(',') {
                            grants.global.insert(p.trim().to_ascii_uppercase());
                        }
                    }
                }
                // `GRANT `role` TO `user`@`host`` (MariaDB) / `GRANT `role`@`%` TO …` (MySQL).
                None if rest.contains(" TO ") => grants.roles = true,
                None => {}
            }
        }
        grants
    }

    fn has_any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.global.contains(*n))
    }
}

/// REPLICATION SLAVE (alias REPLICATION REPLICA on MariaDB 10.5+) or ALL PRIVILEGES on
/// `*.*`. Returns a warning instead of an error when the privilege may come from a role
/// SHOW GRANTS does not expand (MySQL).
fn check_replication_slave(
    info: &ServerInfo,
    grants: &Grants,
    user: &str,
) -> Result<Option<String>, SourceError> {
    if grants.has_any(&[
        "REPLICATION SLAVE",
        "REPLICATION REPLICA",
        "ALL PRIVILEGES",
        "ALL",
    ]) {
        return Ok(None);
    }
    if grants.roles && info.flavor == Flavor::MySql {
        // Untested against a live MySQL server: MySQL's SHOW GRANTS does not expand roles
        // unless asked with USING, so the privilege may still be there.
        return Ok(Some(format!(
            "REPLICATION SLAVE is not granted to {user} directly; assuming one of its roles \
             grants it"
        )));
    }
    Err(SourceError::Preflight {
        setting: "privilege REPLICATION SLAVE".to_string(),
        found: "missing".to_string(),
        problem: format!(
            "the replication user {user} may not read the binary log (COM_BINLOG_DUMP needs it)"
        ),
        fix: format!("GRANT REPLICATION SLAVE ON *.* TO {};", grant_target(user)),
    })
}

fn describe_start(start: &StartPosition) -> String {
    match start {
        StartPosition::Current => "current".to_string(),
        StartPosition::Earliest => "earliest".to_string(),
        StartPosition::FilePos(p) => p.to_string(),
        StartPosition::MySqlGtid(s) => format!("gtid {}", s.to_string().replace('\n', "")),
        StartPosition::MariaGtid(s) if s.is_empty() => "gtid (empty: from the beginning)".into(),
        StartPosition::MariaGtid(s) => format!("gtid {s}"),
    }
}

/// "mariadb-bin.000003 (664 bytes), mariadb-bin.000004 (360 bytes)", shortened when long.
fn describe_files(files: &[BinlogFile]) -> String {
    let one = |f: &BinlogFile| format!("{} ({} bytes)", f.name, f.size);
    match files.len() {
        0 => "no binary log files".to_string(),
        n if n <= 6 => files.iter().map(one).collect::<Vec<_>>().join(", "),
        n => format!(
            "{} files: {}, {}, … {}, {}",
            n,
            one(&files[0]),
            one(&files[1]),
            one(&files[n - 2]),
            one(&files[n - 1])
        ),
    }
}

const RESNAPSHOT: &str = "the changes in between are gone from the source, so take a new \
    snapshot (or start from the oldest file if losing them is acceptable); to keep binary logs \
    longer raise `expire_logs_days` / `binlog_expire_logs_seconds` on the source";

async fn check_start(
    conn: &mut Conn,
    info: &ServerInfo,
    start: &StartPosition,
    vars: &HashMap<String, String>,
    files: &[BinlogFile],
) -> Result<(), SourceError> {
    let unavailable = |reason: String| SourceError::PositionUnavailable {
        position: describe_start(start),
        reason,
    };
    match start {
        StartPosition::Current => Ok(()),
        StartPosition::Earliest if files.is_empty() => Err(unavailable(
            "the source lists no binary log files".to_string(),
        )),
        StartPosition::Earliest => Ok(()),
        StartPosition::FilePos(fp) => {
            let Some(file) = files.iter().find(|f| f.name == fp.file) else {
                let older = files.first().is_some_and(|f| fp.file < f.name);
                return Err(unavailable(format!(
                    "the source has no binary log `{}`{}; it still has {}",
                    fp.file,
                    if older { " (purged)" } else { "" },
                    describe_files(files)
                )));
            };
            if fp.pos > file.size {
                return Err(unavailable(format!(
                    "`{}` is only {} bytes long, position {} is past its end; the source has {}",
                    file.name,
                    file.size,
                    fp.pos,
                    describe_files(files)
                )));
            }
            if info.flavor == Flavor::MariaDb && fp.pos > 4 && fp.pos < file.size {
                // BINLOG_GTID_POS returns NULL when pos is not the start of an event.
                let row: Option<Row> = conn
                    .exec_first("SELECT BINLOG_GTID_POS(?, ?)", (fp.file.as_str(), fp.pos))
                    .await?;
                if row.and_then(|r| cell_text(&r, 0)).is_none() {
                    return Err(unavailable(format!(
                        "position {} is not the start of an event in `{}`; use a position \
                         printed by SHOW MASTER STATUS, SHOW BINLOG EVENTS or replicant itself",
                        fp.pos, fp.file
                    )));
                }
            }
            Ok(())
        }
        StartPosition::MariaGtid(state) => {
            if info.flavor != Flavor::MariaDb {
                return Err(SourceError::Config(format!(
                    "the start position is a MariaDB GTID state ({state}) but the source is {}; \
                     use a MySQL GTID set or FILE:POS",
                    info.flavor
                )));
            }
            let Some(oldest) = files.first() else {
                return Err(unavailable(
                    "the source lists no binary log files".to_string(),
                ));
            };
            let row: Option<Row> = conn
                .exec_first("SELECT BINLOG_GTID_POS(?, 4)", (oldest.name.as_str(),))
                .await?;
            let purged =
                parse_maria_positions(&row.and_then(|r| cell_text(&r, 0)).unwrap_or_default());
            let binlog = parse_maria_positions(
                vars.get("gtid_binlog_pos")
                    .map(String::as_str)
                    .unwrap_or(""),
            );
            maria_gtid_available(state, &purged, &binlog, &oldest.name).map_err(|reason| {
                unavailable(format!(
                    "{reason}; the source has {}",
                    describe_files(files)
                ))
            })
        }
        // MySQL branch: untested against a live MySQL server.
        StartPosition::MySqlGtid(set) => {
            if info.flavor != Flavor::MySql {
                return Err(SourceError::Config(format!(
                    "the start position is a MySQL GTID set but the source is {}; use a \
                     MariaDB GTID state (domain-server-seq) or FILE:POS",
                    info.flavor
                )));
            }
            let gtid_mode = vars.get("gtid_mode").map(String::as_str).unwrap_or("OFF");
            if !gtid_mode.eq_ignore_ascii_case("ON") {
                return Err(SourceError::Preflight {
                    setting: "gtid_mode".to_string(),
                    found: gtid_mode.to_string(),
                    problem: "a GTID start position needs GTIDs in the binary log".to_string(),
                    fix: "set `gtid_mode = ON` and `enforce_gtid_consistency = ON` under \
                          [mysqld] in my.cnf (online: SET GLOBAL enforce_gtid_consistency = ON; \
                          then SET GLOBAL gtid_mode step by step OFF_PERMISSIVE, ON_PERMISSIVE, \
                          ON), or start from FILE:POS"
                        .to_string(),
                });
            }
            let parse = |name: &str| -> Result<MySqlGtidSet, SourceError> {
                let text = vars.get(name).map(String::as_str).unwrap_or("");
                text.parse().map_err(|e| {
                    SourceError::Protocol(format!("cannot parse the source's @@{name}: {e}"))
                })
            };
            let purged = parse("gtid_purged")?;
            let missing = subtract(&purged, set);
            if !missing.is_empty() {
                return Err(unavailable(format!(
                    "the source purged transactions the replica has not applied: {}; {RESNAPSHOT}",
                    missing.to_string().replace('\n', "")
                )));
            }
            if let Some(uuid) = &info.server_uuid {
                let executed = parse("gtid_executed")?;
                let mut own = MySqlGtidSet::default();
                for ((u, tag), ivs) in &set.sids {
                    if u == uuid {
                        for (s, e) in ivs {
                            own.add_interval(u, tag, *s, *e);
                        }
                    }
                }
                let ahead = subtract(&own, &executed);
                if !ahead.is_empty() {
                    return Err(unavailable(format!(
                        "the set contains transactions of the source's own UUID that the source \
                         has not executed ({}); the replica is ahead of this source (wrong \
                         source, or the source was restored from a backup)",
                        ahead.to_string().replace('\n', "")
                    )));
                }
            }
            Ok(())
        }
    }
}

/// Parses `@@gtid_binlog_pos` / `BINLOG_GTID_POS()` text into the highest seq per domain
/// (tolerating several entries per domain, as `@@gtid_binlog_state` has).
fn parse_maria_positions(text: &str) -> BTreeMap<u32, MariaGtid> {
    let mut out: BTreeMap<u32, MariaGtid> = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Ok(g) = part.parse::<MariaGtid>() {
            let keep = out.get(&g.domain).is_some_and(|old| old.seq >= g.seq);
            if !keep {
                out.insert(g.domain, g);
            }
        }
    }
    out
}

/// The MariaDB GTID availability rule described on [`check`]. `purged` is the state at
/// the start of the oldest binlog, `binlog` the source's latest state.
fn maria_gtid_available(
    state: &MariaGtidState,
    purged: &BTreeMap<u32, MariaGtid>,
    binlog: &BTreeMap<u32, MariaGtid>,
    oldest: &str,
) -> Result<(), String> {
    for (domain, want) in &state.domains {
        let last = binlog.get(domain).or_else(|| purged.get(domain));
        let Some(last) = last else {
            return Err(format!(
                "the source has never logged a transaction in replication domain {domain} \
                 (requested {want}; its GTID state is `{}`): wrong source, or the domain was \
                 deleted",
                join(binlog)
            ));
        };
        if let Some(first) = purged.get(domain) {
            if want.seq < first.seq {
                return Err(format!(
                    "domain {domain}: the replica is at {want} but the oldest binary log \
                     `{oldest}` starts after {first}; {RESNAPSHOT}"
                ));
            }
        }
        if want.seq > last.seq {
            return Err(format!(
                "domain {domain}: the replica is at {want} but the source has only reached \
                 {last}; the replica is ahead of this source (wrong source, or the source was \
                 restored from a backup)"
            ));
        }
    }
    for (domain, first) in purged {
        if !state.domains.contains_key(domain) {
            return Err(format!(
                "the replica has no position in replication domain {domain}, so it needs that \
                 domain from its first transaction, but the oldest binary log `{oldest}` starts \
                 after {first}; {RESNAPSHOT}"
            ));
        }
    }
    Ok(())
}

fn join(m: &BTreeMap<u32, MariaGtid>) -> String {
    m.values()
        .map(|g| g.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `a` minus `b`: the transactions of `a` that `b` lacks.
fn subtract(a: &MySqlGtidSet, b: &MySqlGtidSet) -> MySqlGtidSet {
    let mut out = MySqlGtidSet::default();
    for ((uuid, tag), ivs) in &a.sids {
        let others = b.sids.get(&(uuid.clone(), tag.clone()));
        for &(start, end) in ivs {
            let mut pieces = vec![(start, end)];
            for &(os, oe) in others.map(Vec::as_slice).unwrap_or(&[]) {
                let mut next = Vec::new();
                for (s, e) in pieces {
                    if oe < s || os > e {
                        next.push((s, e));
                        continue;
                    }
                    if s < os {
                        next.push((s, os - 1));
                    }
                    if e > oe {
                        next.push((oe + 1, e));
                    }
                }
                pieces = next;
            }
            for (s, e) in pieces {
                out.add_interval(uuid, tag, s, e);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(flavor: Flavor, version: (u16, u16, u16)) -> ServerInfo {
        ServerInfo {
            flavor,
            version,
            version_string: String::new(),
            server_id: 1,
            server_uuid: None,
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const GOOD_MARIA: &[(&str, &str)] = &[
        ("log_bin", "ON"),
        ("binlog_format", "ROW"),
        ("binlog_row_image", "FULL"),
        ("binlog_row_metadata", "FULL"),
        ("binlog_checksum", "CRC32"),
        ("log_bin_compress", "OFF"),
    ];

    fn with(base: &[(&str, &str)], name: &str, value: &str) -> HashMap<String, String> {
        let mut v = vars(base);
        v.insert(name.to_string(), value.to_string());
        v
    }

    #[test]
    fn good_mariadb_settings_pass() {
        let r = check_settings(&info(Flavor::MariaDb, (10, 11, 6)), &vars(GOOD_MARIA)).unwrap();
        assert_eq!(r.row_image, RowImage::Full);
        assert!(r.gtid_mode);
        assert_eq!(r.checksum, "CRC32");
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn bad_settings_fail_with_fix() {
        let m = info(Flavor::MariaDb, (10, 11, 6));
        for (name, value, fix) in [
            ("log_bin", "OFF", "log_bin = mariadb-bin"),
            ("binlog_format", "MIXED", "SET GLOBAL binlog_format = 'ROW'"),
            (
                "binlog_row_metadata",
                "MINIMAL",
                "binlog_row_metadata = FULL",
            ),
            (
                "log_bin_compress",
                "ON",
                "SET GLOBAL log_bin_compress = 'OFF'",
            ),
        ] {
            let err = check_settings(&m, &with(GOOD_MARIA, name, value)).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(name) && text.contains(fix), "{text}");
        }
        let r = check_settings(&m, &with(GOOD_MARIA, "binlog_row_image", "MINIMAL")).unwrap();
        assert_eq!(r.row_image, RowImage::Minimal);
        assert_eq!(r.warnings.len(), 1);
    }

    #[test]
    fn mysql_metadata_is_a_warning() {
        let mut v = with(GOOD_MARIA, "binlog_row_metadata", "MINIMAL");
        v.remove("log_bin_compress");
        v.insert("gtid_mode".into(), "ON".into());
        let r = check_settings(&info(Flavor::MySql, (8, 0, 36)), &v).unwrap();
        assert!(r.gtid_mode);
        assert_eq!(r.warnings.len(), 1);
    }

    #[test]
    fn grants_parse() {
        let g = Grants::parse(&[
            "GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `repl`@`%` IDENTIFIED BY PASSWORD '*D8'".into(),
        ]);
        assert!(g.has_any(&["REPLICATION SLAVE"]));
        let g = Grants::parse(&[
            "GRANT USAGE ON *.* TO `u`@`%`".into(),
            "GRANT REPLICATION SLAVE ON `db`.* TO `u`@`%`".into(),
            "GRANT `r1` TO `u`@`%`".into(),
        ]);
        assert!(!g.has_any(&["REPLICATION SLAVE"]));
        assert!(g.roles);
        let g = Grants::parse(&[
            "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION".into(),
        ]);
        let m = info(Flavor::MariaDb, (10, 11, 6));
        assert!(check_replication_slave(&m, &g, "root@localhost")
            .unwrap()
            .is_none());
        let err = check_replication_slave(&m, &Grants::default(), "u@%").unwrap_err();
        assert!(err
            .to_string()
            .contains("GRANT REPLICATION SLAVE ON *.* TO 'u'@'%';"));
    }

    #[test]
    fn maria_gtid_rules() {
        let purged = parse_maria_positions("5-1-1,0-1-14");
        let binlog = parse_maria_positions("0-1-15,5-1-1,0-2-3");
        assert_eq!(binlog[&0].seq, 15);
        let ok = |s: &str| maria_gtid_available(&s.parse().unwrap(), &purged, &binlog, "f");
        assert!(ok("0-1-14,5-1-1").is_ok());
        assert!(ok("0-1-15,5-1-1").is_ok());
        assert!(ok("0-1-13,5-1-1")
            .unwrap_err()
            .contains("starts after 0-1-14"));
        assert!(ok("0-1-14").unwrap_err().contains("domain 5"));
        assert!(ok("0-1-14,5-1-1,7-1-1").unwrap_err().contains("domain 7"));
        assert!(ok("0-1-16,5-1-1").unwrap_err().contains("ahead"));
    }

    #[test]
    fn gtid_subtract() {
        let u = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        let a: MySqlGtidSet = format!("{u}:1-10").parse().unwrap();
        let b: MySqlGtidSet = format!("{u}:1-3:5:9-20").parse().unwrap();
        assert_eq!(subtract(&a, &b).to_string(), format!("{u}:4:6-8"));
        assert!(subtract(&b, &b).is_empty());
        assert!(subtract(&MySqlGtidSet::default(), &a).is_empty());
    }
}
