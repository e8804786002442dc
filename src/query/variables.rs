//! System and user variables: the server's variable table (`@@version`, `@@sql_mode`, …
//! with the values a read-only replica shows), session overrides (`SET`), `SELECT
//! @@var` answers with MySQL's column types, and `SHOW VARIABLES` / `SHOW STATUS`.

use mysql_common::constants::{ColumnFlags, ColumnType};
use mysql_common::value::Value as MyValue;

use super::charsets;
use super::engine::{Engine, Session};
use super::result::{ColumnDef, SqlError, BINARY_CHARSET};

/// A variable's value, typed as MySQL types it.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// NULL.
    Null,
    /// Signed integer.
    Int(i64),
    /// Unsigned integer.
    UInt(u64),
    /// Floating point (`long_query_time`, `max_statement_time`).
    Double(f64),
    /// Boolean: 1/0 in `SELECT`, ON/OFF in `SHOW VARIABLES`.
    Bool(bool),
    /// Text.
    Str(String),
}

impl Val {
    fn s(v: &str) -> Val {
        Val::Str(v.to_string())
    }

    /// The protocol value `SELECT @@x` returns.
    pub fn to_my(&self) -> MyValue {
        match self {
            Val::Null => MyValue::NULL,
            Val::Int(i) => MyValue::Int(*i),
            Val::UInt(u) => MyValue::UInt(*u),
            Val::Double(d) => MyValue::Double(*d),
            Val::Bool(b) => MyValue::Int(i64::from(*b)),
            Val::Str(s) => MyValue::Bytes(s.as_bytes().to_vec()),
        }
    }

    /// The `Value` column of `SHOW VARIABLES`.
    pub fn show(&self) -> Option<String> {
        match self {
            Val::Null => None,
            Val::Int(i) => Some(i.to_string()),
            Val::UInt(u) => Some(u.to_string()),
            Val::Double(d) => Some(format!("{d:.6}")),
            Val::Bool(b) => Some(if *b { "ON" } else { "OFF" }.to_string()),
            Val::Str(s) => Some(s.clone()),
        }
    }

    /// The column `SELECT @@x` describes, named `name`.
    pub fn column(&self, name: &str, charset: u16) -> ColumnDef {
        let num = ColumnFlags::NUM_FLAG | ColumnFlags::BINARY_FLAG;
        match self {
            Val::Null => ColumnDef::computed(
                name,
                ColumnType::MYSQL_TYPE_NULL,
                BINARY_CHARSET,
                0,
                ColumnFlags::BINARY_FLAG,
            ),
            Val::Int(_) => ColumnDef::computed(
                name,
                ColumnType::MYSQL_TYPE_LONGLONG,
                BINARY_CHARSET,
                21,
                num,
            ),
            Val::Bool(_) => ColumnDef::computed(
                name,
                ColumnType::MYSQL_TYPE_LONGLONG,
                BINARY_CHARSET,
                1,
                num,
            ),
            Val::UInt(_) => ColumnDef::computed(
                name,
                ColumnType::MYSQL_TYPE_LONGLONG,
                BINARY_CHARSET,
                20,
                num | ColumnFlags::UNSIGNED_FLAG,
            ),
            Val::Double(_) => {
                let mut c = ColumnDef::computed(
                    name,
                    ColumnType::MYSQL_TYPE_DOUBLE,
                    BINARY_CHARSET,
                    17,
                    num,
                );
                c.decimals = 6;
                c
            }
            Val::Str(s) => {
                let mut c = ColumnDef::computed(
                    name,
                    ColumnType::MYSQL_TYPE_VAR_STRING,
                    charset,
                    (s.chars().count().max(1) as u32).saturating_mul(4),
                    ColumnFlags::empty(),
                );
                c.decimals = 39;
                c
            }
        }
    }
}

/// `sql_mode` defaults of the two flavors.
fn default_sql_mode(mariadb: bool) -> &'static str {
    if mariadb {
        "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION"
    } else {
        "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The server's (global) variables, sorted by name.
pub fn globals(engine: &Engine) -> Vec<(&'static str, Val)> {
    let m = engine.config.mariadb;
    let utf8 = if m {
        "utf8mb4_general_ci"
    } else {
        "utf8mb4_0900_ai_ci"
    };
    let visible = engine
        .replica
        .as_ref()
        .and_then(|r| r.visible.borrow().clone());
    let gtid = visible
        .as_ref()
        .and_then(|p| p.gtid.clone())
        .unwrap_or_default();
    let mut v: Vec<(&'static str, Val)> = vec![
        ("auto_increment_increment", Val::UInt(1)),
        ("auto_increment_offset", Val::UInt(1)),
        ("autocommit", Val::Bool(true)),
        ("basedir", Val::s("/usr/")),
        ("big_tables", Val::Bool(false)),
        ("bind_address", Val::s("*")),
        ("binlog_format", Val::s("ROW")),
        ("character_set_client", Val::s("utf8mb4")),
        ("character_set_connection", Val::s("utf8mb4")),
        ("character_set_database", Val::s("utf8mb4")),
        ("character_set_filesystem", Val::s("binary")),
        ("character_set_results", Val::s("utf8mb4")),
        ("character_set_server", Val::s("utf8mb4")),
        ("character_set_system", Val::s("utf8mb3")),
        ("collation_connection", Val::s(utf8)),
        ("collation_database", Val::s(utf8)),
        ("collation_server", Val::s(utf8)),
        ("connect_timeout", Val::UInt(10)),
        (
            "datadir",
            Val::Str(format!("{}/", engine.store.path().display())),
        ),
        ("default_storage_engine", Val::s("InnoDB")),
        ("default_tmp_storage_engine", Val::s("InnoDB")),
        ("default_week_format", Val::UInt(0)),
        ("div_precision_increment", Val::UInt(4)),
        ("error_count", Val::UInt(0)),
        ("explicit_defaults_for_timestamp", Val::Bool(!m)),
        ("external_user", Val::Null),
        ("foreign_key_checks", Val::Bool(true)),
        ("general_log", Val::Bool(false)),
        (
            "group_concat_max_len",
            Val::UInt(if m { 1_048_576 } else { 1024 }),
        ),
        ("have_openssl", Val::s("YES")),
        ("have_query_cache", Val::s(if m { "YES" } else { "NO" })),
        ("have_ssl", Val::s("YES")),
        ("hostname", Val::Str(hostname())),
        ("identity", Val::UInt(0)),
        ("in_transaction", Val::UInt(0)),
        ("init_connect", Val::s("")),
        ("innodb_lock_wait_timeout", Val::UInt(50)),
        ("insert_id", Val::UInt(0)),
        ("interactive_timeout", Val::UInt(28800)),
        ("last_insert_id", Val::UInt(0)),
        ("license", Val::s("GPL")),
        (
            "lock_wait_timeout",
            Val::UInt(if m { 86400 } else { 31_536_000 }),
        ),
        ("log_bin", Val::Bool(false)),
        ("long_query_time", Val::Double(10.0)),
        ("lower_case_file_system", Val::Bool(false)),
        ("lower_case_table_names", Val::UInt(0)),
        (
            "max_allowed_packet",
            Val::UInt(if m { 16_777_216 } else { 67_108_864 }),
        ),
        ("max_connections", Val::UInt(151)),
        ("max_heap_table_size", Val::UInt(16_777_216)),
        ("net_buffer_length", Val::UInt(16384)),
        ("net_read_timeout", Val::UInt(30)),
        ("net_write_timeout", Val::UInt(60)),
        ("performance_schema", Val::Bool(false)),
        ("port", Val::UInt(3306)),
        ("protocol_version", Val::UInt(10)),
        ("pseudo_thread_id", Val::UInt(0)),
        ("query_cache_size", Val::UInt(0)),
        ("query_cache_type", Val::s("OFF")),
        ("read_only", Val::Bool(true)),
        ("server_id", Val::UInt(u64::from(engine.config.server_id))),
        ("skip_name_resolve", Val::Bool(true)),
        ("skip_networking", Val::Bool(false)),
        // No Unix socket: NULL tells clients (mysql_async, Connector/J) to stay on TCP.
        ("socket", Val::Null),
        ("sort_buffer_size", Val::UInt(2_097_152)),
        ("sql_auto_is_null", Val::Bool(false)),
        ("sql_big_selects", Val::Bool(true)),
        ("sql_log_bin", Val::Bool(true)),
        ("sql_mode", Val::s(default_sql_mode(m))),
        ("sql_notes", Val::Bool(true)),
        ("sql_quote_show_create", Val::Bool(true)),
        ("sql_safe_updates", Val::Bool(false)),
        ("sql_select_limit", Val::UInt(u64::MAX)),
        ("sql_warnings", Val::Bool(false)),
        ("storage_engine", Val::s("InnoDB")),
        ("system_time_zone", Val::s("UTC")),
        ("table_open_cache", Val::UInt(2000)),
        ("thread_cache_size", Val::UInt(151)),
        ("time_zone", Val::s("SYSTEM")),
        ("timestamp", Val::Double(0.0)),
        ("tmp_table_size", Val::UInt(16_777_216)),
        ("transaction_isolation", Val::s("REPEATABLE-READ")),
        ("transaction_read_only", Val::Bool(false)),
        ("tx_isolation", Val::s("REPEATABLE-READ")),
        ("tx_read_only", Val::Bool(false)),
        ("unique_checks", Val::Bool(true)),
        ("version", Val::Str(engine.config.version.clone())),
        ("version_comment", Val::s("replicant")),
        ("version_compile_machine", Val::s(std::env::consts::ARCH)),
        ("version_compile_os", Val::s("Linux")),
        ("wait_timeout", Val::UInt(28800)),
        ("warning_count", Val::UInt(0)),
    ];
    if m {
        v.extend([
            ("gtid_binlog_pos", Val::s("")),
            ("gtid_current_pos", Val::Str(gtid.clone())),
            ("gtid_domain_id", Val::UInt(0)),
            ("gtid_slave_pos", Val::Str(gtid)),
            ("gtid_strict_mode", Val::Bool(false)),
            ("max_statement_time", Val::Double(0.0)),
            ("old_mode", Val::s("UTF8_IS_UTF8MB3")),
        ]);
    } else {
        v.extend([
            (
                "default_authentication_plugin",
                Val::s("caching_sha2_password"),
            ),
            ("enforce_gtid_consistency", Val::s("ON")),
            ("gtid_executed", Val::Str(gtid)),
            ("gtid_mode", Val::s("ON")),
            ("gtid_purged", Val::s("")),
            ("max_execution_time", Val::UInt(0)),
            ("super_read_only", Val::Bool(true)),
        ]);
    }
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// One global variable.
pub fn global(engine: &Engine, name: &str) -> Option<Val> {
    globals(engine)
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// Session-only values computed from the session; `None` for the others.
fn computed(session: &Session, name: &str) -> Option<Val> {
    let v = &session.vars;
    Some(match name {
        "time_zone" => Val::Str(v.time_zone.clone()),
        "sql_select_limit" => Val::UInt(v.sql_select_limit),
        "max_execution_time" if !session.engine.config.mariadb => {
            Val::UInt(v.max_execution_time_ms)
        }
        "max_statement_time" if session.engine.config.mariadb => {
            Val::Double(v.max_execution_time_ms as f64 / 1000.0)
        }
        "autocommit" => Val::Bool(v.autocommit),
        "warning_count" => Val::UInt(session.warnings.len() as u64),
        "error_count" => Val::UInt(
            session
                .warnings
                .iter()
                .filter(|w| w.level == "Error")
                .count() as u64,
        ),
        "pseudo_thread_id" => Val::UInt(u64::from(session.process.id)),
        "timestamp" => Val::Double(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| (d.as_micros() as f64) / 1e6)
                .unwrap_or(0.0),
        ),
        _ => return None,
    })
}

/// Converts a stored text value to the type of the global variable.
fn typed(text: &str, like: Option<&Val>) -> Val {
    match like {
        Some(Val::Bool(_)) => Val::Bool(matches!(
            text.to_ascii_uppercase().as_str(),
            "1" | "ON" | "TRUE" | "YES"
        )),
        Some(Val::UInt(_)) => text.parse().map(Val::UInt).unwrap_or(Val::s(text)),
        Some(Val::Int(_)) => text.parse().map(Val::Int).unwrap_or(Val::s(text)),
        Some(Val::Double(_)) => text.parse().map(Val::Double).unwrap_or(Val::s(text)),
        _ => Val::s(text),
    }
}

/// A variable as `@@name` (session value) reads it; `None` when unknown.
pub fn session_value(session: &Session, name: &str) -> Option<Val> {
    if let Some(v) = computed(session, name) {
        return Some(v);
    }
    let g = global(&session.engine, name);
    match session.vars.other.get(name) {
        Some(text) => Some(typed(text, g.as_ref())),
        None => g,
    }
}

/// Scope of a `@@` reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `@@global.x`.
    Global,
    /// `@@x`, `@@session.x`, `@@local.x`.
    Session,
}

/// Splits `@@[scope.]name` into scope and lower-case name (also for a bare name).
pub fn parse_sysvar(text: &str) -> (Scope, String) {
    let t = text.trim_start_matches('@');
    let lower = t.to_ascii_lowercase();
    for (prefix, scope) in [
        ("global.", Scope::Global),
        ("session.", Scope::Session),
        ("local.", Scope::Session),
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return (scope, rest.trim_matches('`').to_string());
        }
    }
    (Scope::Session, lower.trim_matches('`').to_string())
}

/// 1193 ER_UNKNOWN_SYSTEM_VARIABLE.
pub fn unknown_variable(name: &str) -> SqlError {
    SqlError::new(1193, "HY000", format!("Unknown system variable '{name}'"))
}

/// The value of a `@@` or `@` reference as written (`@@global.x`, `@@x`, `@user`).
pub fn reference(session: &Session, text: &str) -> Result<Val, SqlError> {
    if text.starts_with("@@") {
        let (scope, name) = parse_sysvar(text);
        let v = match scope {
            Scope::Global => global(&session.engine, &name),
            Scope::Session => session_value(session, &name),
        };
        return v.ok_or_else(|| unknown_variable(&name));
    }
    let name = user_var_name(text);
    Ok(match session.vars.user_vars.get(&name) {
        None | Some(MyValue::NULL) => Val::Null,
        Some(MyValue::Int(i)) => Val::Int(*i),
        Some(MyValue::UInt(u)) => Val::UInt(*u),
        Some(MyValue::Double(d)) => Val::Double(*d),
        Some(MyValue::Float(f)) => Val::Double(f64::from(*f)),
        Some(MyValue::Bytes(b)) => Val::Str(String::from_utf8_lossy(b).into_owned()),
        Some(other) => Val::Str(
            super::prepare::literal(other)
                .trim_matches('\'')
                .to_string(),
        ),
    })
}

/// A user variable's key: `@Name`, `@'name'`, `` @`name` `` → lower-case name (user
/// variable names are case-insensitive).
pub fn user_var_name(text: &str) -> String {
    let t = text.trim_start_matches('@');
    let t = t.trim_matches(|c| c == '\'' || c == '"' || c == '`');
    t.to_ascii_lowercase()
}

/// A value being assigned by `SET`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// `DEFAULT`.
    Default,
    /// A value (text of a literal, `ON`, a number, NULL as `Val::Null`).
    Value(Val),
}

fn wrong_value(name: &str, value: &str) -> SqlError {
    SqlError::new(
        1231,
        "42000",
        format!("Variable '{name}' can't be set to the value of '{value}'"),
    )
}

fn as_text(v: &Val) -> String {
    v.show().unwrap_or_else(|| "NULL".into())
}

fn as_bool(name: &str, v: &Val) -> Result<bool, SqlError> {
    match v {
        Val::Bool(b) => Ok(*b),
        Val::Int(i) if *i == 0 || *i == 1 => Ok(*i == 1),
        Val::UInt(u) if *u <= 1 => Ok(*u == 1),
        Val::Str(s) => match s.to_ascii_uppercase().as_str() {
            "ON" | "TRUE" | "1" => Ok(true),
            "OFF" | "FALSE" | "0" => Ok(false),
            _ => Err(wrong_value(name, s)),
        },
        other => Err(wrong_value(name, &as_text(other))),
    }
}

fn as_u64(name: &str, v: &Val) -> Result<u64, SqlError> {
    match v {
        Val::UInt(u) => Ok(*u),
        Val::Int(i) => Ok(u64::try_from(*i).unwrap_or(0)),
        Val::Double(d) => Ok(d.max(0.0) as u64),
        Val::Bool(b) => Ok(u64::from(*b)),
        Val::Str(s) => s.parse::<u64>().map_err(|_| {
            SqlError::new(
                1232,
                "42000",
                format!("Incorrect argument type to variable '{name}'"),
            )
        }),
        Val::Null => Err(wrong_value(name, "NULL")),
    }
}

/// Checks a `time_zone` value: `SYSTEM`, `±hh:mm` or a named zone.
pub fn check_time_zone(tz: &str) -> Result<String, SqlError> {
    let bad = || {
        SqlError::new(
            1298,
            "HY000",
            format!("Unknown or incorrect time zone: '{tz}'"),
        )
    };
    if tz.eq_ignore_ascii_case("SYSTEM") {
        return Ok("SYSTEM".into());
    }
    if let Some(rest) = tz.strip_prefix(['+', '-']) {
        let (h, m) = rest.split_once(':').ok_or_else(bad)?;
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        let minutes = h * 60 + m;
        let ok = m < 60
            && if tz.starts_with('-') {
                minutes <= 13 * 60 + 59
            } else {
                minutes <= 14 * 60
            };
        return if ok { Ok(tz.to_string()) } else { Err(bad()) };
    }
    jiff::tz::TimeZone::get(tz).map_err(|_| bad())?;
    Ok(tz.to_string())
}

/// `SET [SESSION] name = value`.
pub fn set_session(session: &mut Session, name: &str, value: SetValue) -> Result<(), SqlError> {
    let mariadb = session.engine.config.mariadb;
    let default = global(&session.engine, name);
    let v = match value {
        SetValue::Default => match &default {
            Some(d) => d.clone(),
            None => return Err(unknown_variable(name)),
        },
        SetValue::Value(v) => v,
    };
    if default.is_none()
        && !session.vars.other.contains_key(name)
        && computed(session, name).is_none()
    {
        // Unknown to us: kept, so a client that sets a variable we do not model works.
        tracing::debug!("SET of a variable replicant does not know: {name}");
    }
    match name {
        "time_zone" => session.vars.time_zone = check_time_zone(&as_text(&v))?,
        "sql_select_limit" => session.vars.sql_select_limit = as_u64(name, &v)?,
        "max_execution_time" => session.vars.max_execution_time_ms = as_u64(name, &v)?,
        "max_statement_time" => {
            let secs = match &v {
                Val::Double(d) => *d,
                Val::Int(i) => *i as f64,
                Val::UInt(u) => *u as f64,
                Val::Str(s) => s.parse().map_err(|_| wrong_value(name, s))?,
                other => return Err(wrong_value(name, &as_text(other))),
            };
            session.vars.max_execution_time_ms = (secs.max(0.0) * 1000.0) as u64;
        }
        "autocommit" => session.vars.autocommit = as_bool(name, &v)?,
        "read_only"
        | "super_read_only"
        | "server_id"
        | "version"
        | "port"
        | "hostname"
        | "datadir"
        | "basedir"
        | "lower_case_table_names"
        | "log_bin"
        | "version_comment"
        | "system_time_zone"
        | "protocol_version"
        | "have_ssl"
        | "have_openssl"
        | "max_connections"
        | "gtid_mode"
        | "gtid_executed"
        | "license" => {
            return Err(SqlError::new(
                1238,
                "HY000",
                format!("Variable '{name}' is a read only variable"),
            ))
        }
        "character_set_results" => {
            if let Val::Str(cs) = &v {
                let id = charsets::default_collation(cs, mariadb)
                    .ok_or_else(|| unknown_charset(cs))?
                    .id;
                session.vars.result_collation = id;
            }
            store_other(session, name, &v);
        }
        "sql_mode" => {
            let mode = normalize_sql_mode(&as_text(&v), mariadb);
            session.vars.other.insert(name.to_string(), mode);
        }
        "transaction_isolation" | "tx_isolation" => {
            let text = as_text(&v).to_ascii_uppercase().replace(' ', "-");
            if !matches!(
                text.as_str(),
                "READ-UNCOMMITTED" | "READ-COMMITTED" | "REPEATABLE-READ" | "SERIALIZABLE"
            ) {
                return Err(wrong_value(name, &as_text(&v)));
            }
            session
                .vars
                .other
                .insert("transaction_isolation".into(), text.clone());
            session.vars.other.insert("tx_isolation".into(), text);
        }
        _ => store_other(session, name, &v),
    }
    Ok(())
}

fn store_other(session: &mut Session, name: &str, v: &Val) {
    session
        .vars
        .other
        .insert(name.to_string(), v.show().unwrap_or_default());
}

/// 1115 ER_UNKNOWN_CHARACTER_SET.
pub fn unknown_charset(cs: &str) -> SqlError {
    SqlError::new(1115, "42000", format!("Unknown character set: '{cs}'"))
}

/// `SET NAMES cs [COLLATE c]` (and `SET CHARACTER SET cs` with `names == false`).
pub fn set_names(
    session: &mut Session,
    charset: Option<&str>,
    collation: Option<&str>,
    names: bool,
) -> Result<(), SqlError> {
    let mariadb = session.engine.config.mariadb;
    let cs = charsets::canonical_charset(charset.unwrap_or("utf8mb4"));
    let coll = match collation {
        Some(c) => {
            let found = charsets::by_name(c)
                .ok_or_else(|| SqlError::new(1273, "HY000", format!("Unknown collation: '{c}'")))?;
            if found.charset != cs {
                return Err(SqlError::new(
                    1253,
                    "42000",
                    format!("COLLATION '{c}' is not valid for CHARACTER SET '{cs}'"),
                ));
            }
            found
        }
        None => charsets::default_collation(&cs, mariadb).ok_or_else(|| unknown_charset(&cs))?,
    };
    session.vars.result_collation = coll.id;
    let o = &mut session.vars.other;
    o.insert("character_set_client".into(), cs.clone());
    o.insert("character_set_results".into(), cs.clone());
    if names {
        o.insert("character_set_connection".into(), cs);
        o.insert("collation_connection".into(), coll.name.to_string());
    }
    Ok(())
}

/// `sql_mode` as MySQL stores it: upper-case, combination modes expanded, no duplicates.
pub fn normalize_sql_mode(text: &str, mariadb: bool) -> String {
    let mut out: Vec<String> = Vec::new();
    for part in text.split(',').map(|p| p.trim().to_ascii_uppercase()) {
        if part.is_empty() {
            continue;
        }
        let expanded: Vec<&str> = match part.as_str() {
            "ANSI" => vec![
                "REAL_AS_FLOAT",
                "PIPES_AS_CONCAT",
                "ANSI_QUOTES",
                "IGNORE_SPACE",
                if mariadb {
                    "ANSI"
                } else {
                    "ONLY_FULL_GROUP_BY"
                },
            ],
            "TRADITIONAL" => vec![
                "STRICT_TRANS_TABLES",
                "STRICT_ALL_TABLES",
                "NO_ZERO_IN_DATE",
                "NO_ZERO_DATE",
                "ERROR_FOR_DIVISION_BY_ZERO",
                if mariadb {
                    "TRADITIONAL"
                } else {
                    "NO_ENGINE_SUBSTITUTION"
                },
                "NO_AUTO_CREATE_USER",
                "NO_ENGINE_SUBSTITUTION",
            ],
            _ => vec![],
        };
        if expanded.is_empty() {
            if !out.contains(&part) {
                out.push(part);
            }
        } else {
            for e in expanded {
                if !out.iter().any(|o| o == e) {
                    out.push(e.to_string());
                }
            }
        }
    }
    out.join(",")
}

/// `SET @user = value`.
pub fn set_user(session: &mut Session, name: &str, value: MyValue) {
    session.vars.user_vars.insert(user_var_name(name), value);
}

/// `SHOW [GLOBAL|SESSION] VARIABLES` rows: name and value text.
pub fn show_rows(session: &Session, scope: Scope) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = globals(&session.engine)
        .into_iter()
        .map(|(n, g)| {
            let v = match scope {
                Scope::Global => g,
                Scope::Session => session_value(session, n).unwrap_or(g),
            };
            (n.to_string(), v.show())
        })
        .collect();
    if scope == Scope::Session {
        for (k, v) in &session.vars.other {
            if !out.iter().any(|(n, _)| n == k) {
                out.push((k.clone(), Some(v.clone())));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
    }
    out
}

/// `SHOW STATUS` rows.
pub fn status_rows(session: &Session) -> Vec<(String, Option<String>)> {
    let e = &session.engine;
    let replicating = e
        .replica
        .as_ref()
        .map(|r| r.status.current().state == "streaming")
        .unwrap_or(false);
    let threads = e.processes.len().to_string();
    let mut rows = vec![
        ("Aborted_clients", "0".to_string()),
        ("Aborted_connects", "0".to_string()),
        ("Connections", threads.clone()),
        ("Max_used_connections", threads.clone()),
        ("Open_tables", "0".to_string()),
        ("Queries", e.queries().to_string()),
        ("Questions", e.queries().to_string()),
        (
            "Slave_running",
            if replicating { "ON" } else { "OFF" }.to_string(),
        ),
        ("Slow_queries", "0".to_string()),
        ("Ssl_cipher", String::new()),
        ("Threads_cached", "0".to_string()),
        ("Threads_connected", threads),
        ("Threads_running", "1".to_string()),
        ("Uptime", e.uptime_seconds().to_string()),
        ("Uptime_since_flush_status", e.uptime_seconds().to_string()),
    ];
    rows.sort_by(|a, b| a.0.cmp(b.0));
    rows.into_iter()
        .map(|(n, v)| (n.to_string(), Some(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysvar_references_split() {
        assert_eq!(
            parse_sysvar("@@SESSION.sql_mode"),
            (Scope::Session, "sql_mode".into())
        );
        assert_eq!(
            parse_sysvar("@@global.Version"),
            (Scope::Global, "version".into())
        );
        assert_eq!(
            parse_sysvar("@@version_comment"),
            (Scope::Session, "version_comment".into())
        );
        assert_eq!(user_var_name("@`My`"), "my");
    }

    #[test]
    fn sql_mode_is_normalized() {
        assert_eq!(
            normalize_sql_mode(
                "strict_trans_tables, ,NO_ZERO_DATE,strict_trans_tables",
                true
            ),
            "STRICT_TRANS_TABLES,NO_ZERO_DATE"
        );
        assert_eq!(normalize_sql_mode("", true), "");
    }

    #[test]
    fn time_zones_are_checked() {
        assert_eq!(check_time_zone("+00:00").ok().as_deref(), Some("+00:00"));
        assert_eq!(check_time_zone("system").ok().as_deref(), Some("SYSTEM"));
        assert!(check_time_zone("+15:00").is_err());
        assert!(check_time_zone("Nowhere/Land").is_err());
        assert_eq!(check_time_zone("UTC").ok().as_deref(), Some("UTC"));
    }

    #[test]
    fn values_show_as_mysql() {
        assert_eq!(Val::Bool(true).show().as_deref(), Some("ON"));
        assert_eq!(Val::Bool(true).to_my(), MyValue::Int(1));
        assert_eq!(Val::Double(10.0).show().as_deref(), Some("10.000000"));
    }
}
