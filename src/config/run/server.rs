//! The query server's part of `replicant run`'s settings: who may log in, TLS, limits.
//!
//! Flags: `--user NAME` with the password from `REPLICANT_PASSWORD` (never a flag value,
//! which `ps` would show), `--tls-cert`/`--tls-key`, `--require-tls`, `--max-connections`,
//! `--idle-timeout`. The file may also list several users with either a password or a
//! `mysql_native_password` hash:
//!
//! ```toml
//! users = [
//!   { name = "app", password = "s3cret" },
//!   { name = "bi", password-hash = "*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9" },
//! ]
//! ```

use std::time::Duration;

use super::{count, lookup, show, ConfigFile, Origin, RunArgs};
use crate::wire::config::{Password, ServerConfig, TlsFiles, User};

/// Environment variable holding the password of `--user`.
pub const SERVER_PASSWORD_ENV: &str = "REPLICANT_PASSWORD";

/// Default `--max-connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Default `--idle-timeout` (MySQL's `wait_timeout`: 8 hours).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(28_800);

const USERS_FIX: &str = "give a list of users like users = [{ name = \"app\", password = \"…\" }] \
     (each with `name` and one of `password` or `password-hash`)";

/// Resolves the query server's settings (the listen address is already checked).
pub(super) fn resolve_server(
    args: &RunArgs,
    file: Option<&ConfigFile>,
    listen: &str,
) -> Result<ServerConfig, String> {
    let mut users = Vec::new();
    if let Some(name) = &args.user {
        let password = match std::env::var(SERVER_PASSWORD_ENV) {
            Ok(p) if !p.is_empty() => Password::Plain(p),
            _ => Password::None,
        };
        users.push(User {
            name: check_user_name(Origin::Flag, "user", name)?,
            password,
        });
    } else if let Some((f, v)) = lookup(file, "user") {
        let name = f.string(
            "user",
            v,
            "give the user name as a string, e.g. user = \"app\"",
        )?;
        let password = match lookup(file, "password") {
            Some((f, v)) => Password::Plain(
                f.string("password", v, "give the password as a string")?
                    .to_string(),
            ),
            None => match std::env::var(SERVER_PASSWORD_ENV) {
                Ok(p) if !p.is_empty() => Password::Plain(p),
                _ => Password::None,
            },
        };
        users.push(User {
            name: check_user_name(f.origin(), "user", name)?,
            password,
        });
    } else if let Some((f, _)) = lookup(file, "password") {
        return Err(f.origin().bad_detail(
            "password",
            "a password without `user`: add user = \"NAME\" beside it",
        ));
    }
    if let Some((f, v)) = lookup(file, "users") {
        let toml::Value::Array(items) = v else {
            return Err(f.origin().bad("users", &redacted(v), USERS_FIX));
        };
        for item in items {
            users.push(user_entry(f, item)?);
        }
    }
    let mut seen = std::collections::HashSet::new();
    for u in &users {
        if !seen.insert(u.name.as_str()) {
            return Err(format!(
                "user `{}` is configured twice: keep one entry per user",
                u.name
            ));
        }
    }

    let tls_cert = path_setting(args.tls_cert.as_deref(), file, "tls-cert")?;
    let tls_key = path_setting(args.tls_key.as_deref(), file, "tls-key")?;
    let tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        (Some(_), None) => {
            return Err("--tls-cert without --tls-key: give both (PEM files), e.g. \
                 tls-cert = \"server.pem\" and tls-key = \"server-key.pem\""
                .into())
        }
        (None, Some(_)) => {
            return Err("--tls-key without --tls-cert: give both (PEM files), e.g. \
                 tls-cert = \"server.pem\" and tls-key = \"server-key.pem\""
                .into())
        }
    };
    let require_tls = match (args.require_tls, lookup(file, "require-tls")) {
        (Some(b), _) => b,
        (None, Some((f, v))) => match v {
            toml::Value::Boolean(b) => *b,
            _ => {
                return Err(f.origin().bad(
                    "require-tls",
                    &show(v),
                    "give true or false (without quotes)",
                ))
            }
        },
        (None, None) => false,
    };
    if require_tls && tls.is_none() {
        return Err(
            "--require-tls needs a certificate: set --tls-cert and --tls-key (PEM files)".into(),
        );
    }
    let max_connections = count(
        file,
        "max-connections",
        args.max_connections.map(|n| n as u64),
        (1, 100_000),
        DEFAULT_MAX_CONNECTIONS as u64,
        "give a number of connections between 1 and 100000",
    )? as usize;
    let idle_timeout = match (&args.idle_timeout, lookup(file, "idle-timeout")) {
        (Some(s), _) => idle(Origin::Flag, s)?,
        (None, Some((f, v))) => match v {
            toml::Value::String(s) => idle(f.origin(), s)?,
            toml::Value::Integer(n) if *n > 0 => Duration::from_secs(n.unsigned_abs()),
            _ => return Err(f.origin().bad("idle-timeout", &show(v), IDLE_FIX)),
        },
        (None, None) => DEFAULT_IDLE_TIMEOUT,
    };

    let config = ServerConfig {
        listen: listen.to_string(),
        users,
        tls,
        require_tls,
        max_connections,
        idle_timeout,
    };
    config.check().map_err(|e| {
        format!(
            "{e} (on the command line: --user NAME with the password in \
             {SERVER_PASSWORD_ENV})"
        )
    })?;
    Ok(config)
}

const IDLE_FIX: &str = "give a duration such as 10m or 8h (or whole seconds)";

fn idle(origin: Origin<'_>, s: &str) -> Result<Duration, String> {
    let d = match s.trim().parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => super::duration(s).map_err(|_| origin.bad("idle-timeout", s, IDLE_FIX))?,
    };
    if d.is_zero() {
        return Err(origin.bad("idle-timeout", s, IDLE_FIX));
    }
    Ok(d)
}

fn check_user_name(origin: Origin<'_>, key: &str, name: &str) -> Result<String, String> {
    let n = name.trim();
    if n.is_empty() || n.len() > 80 || n.contains(['@', '\'', '"', '\0']) {
        return Err(origin.bad(
            key,
            &format!("{name:?}"),
            "give a user name of 1 to 80 characters without @ or quotes",
        ));
    }
    Ok(n.to_string())
}

fn user_entry(f: &ConfigFile, item: &toml::Value) -> Result<User, String> {
    let toml::Value::Table(t) = item else {
        return Err(f.origin().bad("users", &redacted(item), USERS_FIX));
    };
    for k in t.keys() {
        if !["name", "password", "password-hash"].contains(&k.as_str()) {
            return Err(f.origin().bad_detail(
                "users",
                &format!("unknown key `{k}` in a user; {USERS_FIX}"),
            ));
        }
    }
    let Some(toml::Value::String(name)) = t.get("name") else {
        return Err(f
            .origin()
            .bad_detail("users", &format!("a user without `name`; {USERS_FIX}")));
    };
    let name = check_user_name(f.origin(), "users", name)?;
    let password = match (t.get("password"), t.get("password-hash")) {
        (Some(toml::Value::String(p)), None) => Password::Plain(p.clone()),
        (None, Some(toml::Value::String(h))) => {
            Password::NativeHash(parse_native_hash(h).ok_or_else(|| {
                f.origin().bad_detail(
                    "users",
                    &format!(
                        "user `{name}`: `password-hash` must be `*` and 40 hex digits, as \
                         MariaDB's SELECT PASSWORD('…') prints it"
                    ),
                )
            })?)
        }
        (None, None) => Password::None,
        _ => {
            return Err(f.origin().bad_detail(
                "users",
                &format!("user `{name}`: give one of `password` or `password-hash`, as a string"),
            ))
        }
    };
    Ok(User { name, password })
}

/// `*` + 40 hex digits → the 20-byte SHA1(SHA1(password)).
pub fn parse_native_hash(s: &str) -> Option<[u8; 20]> {
    let hex = s.trim().strip_prefix('*')?;
    if hex.len() != 40 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 20];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = hex.get(i * 2..i * 2 + 2)?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// A users value for an error message, without any password in it.
fn redacted(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(_) => "{…}".into(),
        toml::Value::Array(_) => "[…]".into(),
        other => show(other),
    }
}

fn path_setting(
    flag: Option<&std::path::Path>,
    file: Option<&ConfigFile>,
    key: &str,
) -> Result<Option<std::path::PathBuf>, String> {
    match (flag, lookup(file, key)) {
        (Some(p), _) => Ok(Some(p.to_path_buf())),
        (None, Some((f, v))) => {
            let s = f.string(key, v, "give a file path as a string")?;
            Ok(Some(f.relative_to_file(std::path::Path::new(s))))
        }
        (None, None) => Ok(None),
    }
}
