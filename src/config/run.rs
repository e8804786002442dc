//! Settings of `replicant run`: command-line flags, an optional `replicant.toml`, defaults.
//!
//! Every setting has one name, used both as the flag (`--data-dir DIR`) and as the key of
//! the TOML file (`data-dir = "DIR"`). A value comes from, first to last:
//!
//! 1. the flag, or for `--source` its environment variable `REPLICANT_SOURCE`;
//! 2. the file named by `--config`;
//! 3. the default.
//!
//! That is why every field of [`RunArgs`] is an `Option`: a flag that was not given must
//! be told apart from one given with the default value, or the file could never apply.
//!
//! [`resolve`] checks every value and returns the concrete [`RunSettings`]. Its errors are
//! printed to the user as they are: each names the flag (`--heartbeat 0: …`) or the file
//! and key (`replicant.toml: \`heartbeat\` = 0: …`), the value, and the fix. A source URL's
//! password never appears in an error, a warning or `Debug` output. The reference for
//! users is `docs/configuration.md`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use clap::Args;

use crate::source::connect::{SourceOptions, DEFAULT_SERVER_ID, PASSWORD_ENV};
use crate::source::error::SourceError;
use crate::source::filter::TableFilter;

mod server;

pub use server::{parse_native_hash, SERVER_PASSWORD_ENV};

/// Environment variable read for `--source` when the flag is not given, so that the URL
/// (and any password in it) need not be on the command line.
pub const SOURCE_ENV: &str = "REPLICANT_SOURCE";

/// Default `--listen`: loopback only, one above MySQL's 3306 so both can run on one host.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3307";

/// Default `--heartbeat`: the source sends a heartbeat after 5 s without events, so a
/// dead connection is noticed within about 20 s (3 heartbeats + 5 s).
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(5);

/// Longest accepted `--heartbeat` (one hour); longer periods only delay noticing a dead
/// connection.
pub const MAX_HEARTBEAT: Duration = Duration::from_secs(3600);

/// Default `--changelog-retention`: a week of changes, enough for a daily change export
/// that missed a few runs.
pub const DEFAULT_CHANGELOG_RETENTION: Duration = Duration::from_secs(7 * 86_400);

/// Longest accepted `--changelog-retention` (3650 days), so that "now minus retention"
/// stays a meaningful time.
pub const MAX_CHANGELOG_RETENTION: Duration = Duration::from_secs(3650 * 86_400);

/// Default `--snapshot-chunk-rows`: rows per snapshot query.
pub const DEFAULT_SNAPSHOT_CHUNK_ROWS: usize = 10_000;

/// Largest accepted `--snapshot-chunk-rows`; bigger chunks only cost memory.
pub const MAX_SNAPSHOT_CHUNK_ROWS: usize = 1_000_000;

/// Default `--snapshot-parallelism`: tables copied at once during a snapshot.
pub const DEFAULT_SNAPSHOT_PARALLELISM: usize = 2;

/// Largest accepted `--snapshot-parallelism`; each table being copied holds a source
/// connection.
pub const MAX_SNAPSHOT_PARALLELISM: usize = 64;

/// Default `--group-commit-max`: source transactions per RocksDB write.
pub const DEFAULT_GROUP_COMMIT_MAX: usize = 1000;

/// Largest accepted `--group-commit-max`.
pub const MAX_GROUP_COMMIT_MAX: usize = 100_000;

/// The keys a `replicant.toml` may hold, in the order of `docs/configuration.md`. Each is
/// also a flag of `replicant run` (`--` + key).
pub const KEYS: &[&str] = &[
    "source",
    "tables",
    "exclude-tables",
    "data-dir",
    "server-id",
    "listen",
    "heartbeat",
    "durability",
    "changelog-retention",
    "snapshot-chunk-rows",
    "snapshot-parallelism",
    "resnapshot-on-gap",
    "group-commit-max",
    "user",
    "password",
    "users",
    "tls-cert",
    "tls-key",
    "require-tls",
    "max-connections",
    "idle-timeout",
];

/// How hard each commit group (one RocksDB write, see `--group-commit-max`) is pushed to
/// disk. The rows and the source position are always in the same write, so either choice
/// is consistent after a crash; they differ only in how much may have to be re-read from
/// the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Durability {
    /// Every commit group fsyncs the RocksDB write-ahead log before it counts as applied:
    /// nothing applied is lost, even on a power loss. The default.
    #[default]
    Sync,
    /// The write-ahead log is written but not fsynced: a crash of replicant (`kill -9`)
    /// loses nothing, a power loss or kernel crash may lose the last commit groups (the
    /// copy is then at an earlier consistent position and streams them again, if the
    /// source still has them). Faster on disks with slow fsync.
    Buffered,
}

impl fmt::Display for Durability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Durability::Sync => "sync",
            Durability::Buffered => "buffered",
        })
    }
}

impl FromStr for Durability {
    type Err = String;

    /// Parses `sync` or `buffered` (any case).
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sync" => Ok(Durability::Sync),
            "buffered" => Ok(Durability::Buffered),
            _ => Err(format!("`{s}` is not sync or buffered")),
        }
    }
}

/// The command-line arguments of `replicant run`, as given: `None` means "not on the
/// command line", so that [`resolve`] can fall back to the config file, then the default.
/// `Debug` shows the source URL with its password replaced by `***`.
#[derive(Args, Clone, Default)]
pub struct RunArgs {
    /// TOML file with the same keys as these flags, without `--` (e.g. `data-dir =
    /// "/var/lib/replicant"`). Flags override it.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Source server: `mysql://user[:password]@host[:port][?ssl-mode=…&ssl-ca=…]`. The
    /// password may also come from REPLICANT_SOURCE_PASSWORD. Required (flag or file).
    #[arg(long, env = SOURCE_ENV, hide_env_values = true, value_name = "URL")]
    pub source: Option<String>,
    /// Tables to replicate, e.g. 'shop.*,crm.customers' (`*` and `?` match; default: all).
    #[arg(long, value_name = "SPEC")]
    pub tables: Option<String>,
    /// Tables to leave out even if --tables selects them, e.g. 'shop.tmp_*'.
    #[arg(long, value_name = "SPEC")]
    pub exclude_tables: Option<String>,
    /// Directory of the materialized copy (RocksDB). Required (flag or file).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Server id to register with, unique among the source's replicas [default: 21061].
    #[arg(long, value_name = "N")]
    pub server_id: Option<u32>,
    /// Address of the MySQL-protocol query server [default: 127.0.0.1:3307].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Seconds between source heartbeats; a silent connection is dropped after 3 of them
    /// plus 5 s [default: 5].
    #[arg(long, value_name = "SECONDS")]
    pub heartbeat: Option<String>,
    /// sync: every commit group fsyncs the RocksDB WAL; buffered: the WAL is written but
    /// not fsynced (survives a process crash, not a power loss) [default: sync].
    #[arg(long, value_name = "sync|buffered")]
    pub durability: Option<Durability>,
    /// How long applied changes stay in the change log, e.g. 90s, 15m, 24h, 7d, 1d12h; 0
    /// keeps none [default: 7d].
    #[arg(long, value_name = "DURATION")]
    pub changelog_retention: Option<String>,
    /// Rows per snapshot query, 1 to 1000000 [default: 10000].
    #[arg(long, value_name = "N")]
    pub snapshot_chunk_rows: Option<usize>,
    /// Tables copied at once during a snapshot, each on its own source connection, 1 to 64
    /// [default: 2].
    #[arg(long, value_name = "N")]
    pub snapshot_parallelism: Option<usize>,
    /// When the stored position was purged from the source, take a new snapshot instead
    /// of stopping with an error.
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub resnapshot_on_gap: Option<bool>,
    /// Most source transactions applied in one RocksDB write (transactions already
    /// received are grouped; none waits for more), 1 to 100000 [default: 1000].
    #[arg(long, value_name = "N")]
    pub group_commit_max: Option<usize>,
    /// User that may log in to the query server; its password comes from
    /// REPLICANT_PASSWORD (none: any client may log in as root without a password, only
    /// on a loopback --listen).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// PEM certificate chain of the query server (with --tls-key): clients may use TLS.
    #[arg(long, value_name = "PATH")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "PATH")]
    pub tls_key: Option<PathBuf>,
    /// Refuse query-server logins that do not use TLS.
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub require_tls: Option<bool>,
    /// Most query-server connections at once [default: 512].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Close query-server connections idle this long, e.g. 10m, 8h [default: 8h].
    #[arg(long, value_name = "DURATION")]
    pub idle_timeout: Option<String>,
}

impl fmt::Debug for RunArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunArgs")
            .field("config", &self.config)
            .field("source", &self.source.as_deref().map(redact))
            .field("tables", &self.tables)
            .field("exclude_tables", &self.exclude_tables)
            .field("data_dir", &self.data_dir)
            .field("server_id", &self.server_id)
            .field("listen", &self.listen)
            .field("heartbeat", &self.heartbeat)
            .field("durability", &self.durability)
            .field("changelog_retention", &self.changelog_retention)
            .field("snapshot_chunk_rows", &self.snapshot_chunk_rows)
            .field("snapshot_parallelism", &self.snapshot_parallelism)
            .field("resnapshot_on_gap", &self.resnapshot_on_gap)
            .field("group_commit_max", &self.group_commit_max)
            .field("user", &self.user)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("require_tls", &self.require_tls)
            .field("max_connections", &self.max_connections)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

/// The settings of `replicant run` after [`resolve`]: every value checked and concrete.
/// `Debug` shows the source URL with its password replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct RunSettings {
    /// The source URL, checked by [`SourceOptions::from_url`]. May contain a password:
    /// never log it as is. Pass it to [`SourceOptions::from_url`], which also reads
    /// `REPLICANT_SOURCE_PASSWORD` when the URL has no password.
    pub source: String,
    /// Tables to replicate, a valid [`TableFilter`] spec; empty selects every table.
    pub tables: String,
    /// Tables left out even if `tables` selects them, a valid [`TableFilter`] spec; empty
    /// leaves out none.
    pub exclude_tables: String,
    /// Directory of the materialized copy. A relative `data-dir` from the file is taken
    /// relative to the file's directory; from the flag, relative to the working directory.
    pub data_dir: PathBuf,
    /// The server id replicant registers with (1 to 2^32-1).
    pub server_id: u32,
    /// `host:port` for the query server.
    pub listen: String,
    /// Heartbeat period asked of the source (more than 0, at most [`MAX_HEARTBEAT`]).
    pub heartbeat: Duration,
    /// Whether commit groups fsync the write-ahead log.
    pub durability: Durability,
    /// How long applied changes stay in the change log; zero keeps none.
    pub changelog_retention: Duration,
    /// Rows per snapshot query (1 to [`MAX_SNAPSHOT_CHUNK_ROWS`]).
    pub snapshot_chunk_rows: usize,
    /// Tables copied at once during a snapshot (1 to [`MAX_SNAPSHOT_PARALLELISM`]).
    pub snapshot_parallelism: usize,
    /// Re-snapshot instead of stopping when the stored position was purged on the source.
    pub resnapshot_on_gap: bool,
    /// Most source transactions per RocksDB write (1 to [`MAX_GROUP_COMMIT_MAX`]).
    pub group_commit_max: usize,
    /// The query server: listen address (= `listen`), users, TLS, limits.
    pub server: crate::wire::ServerConfig,
    /// The config file the settings were read from, if any (as given to `--config`).
    pub config_file: Option<PathBuf>,
    /// Findings that do not stop replicant but that the caller should log as warnings,
    /// e.g. a config file holding the source password that other users can read. They
    /// never contain a password.
    pub warnings: Vec<String>,
}

impl fmt::Debug for RunSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunSettings")
            .field("source", &redact(&self.source))
            .field("tables", &self.tables)
            .field("exclude_tables", &self.exclude_tables)
            .field("data_dir", &self.data_dir)
            .field("server_id", &self.server_id)
            .field("listen", &self.listen)
            .field("heartbeat", &self.heartbeat)
            .field("durability", &self.durability)
            .field("changelog_retention", &self.changelog_retention)
            .field("snapshot_chunk_rows", &self.snapshot_chunk_rows)
            .field("snapshot_parallelism", &self.snapshot_parallelism)
            .field("resnapshot_on_gap", &self.resnapshot_on_gap)
            .field("group_commit_max", &self.group_commit_max)
            .field("server", &self.server)
            .field("config_file", &self.config_file)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// Resolves the settings of `replicant run`: each value from its flag, else from the
/// `--config` file, else the default; then checks them all.
///
/// Errors are complete messages for the user (they name the flag or the file and key, and
/// the fix). Non-fatal findings are returned in [`RunSettings::warnings`] for the caller
/// to log. The source URL is checked for form only (no connection is made).
pub fn resolve(args: &RunArgs) -> Result<RunSettings, String> {
    let mut warnings = Vec::new();
    let file = match &args.config {
        Some(path) => Some(ConfigFile::load(path, &mut warnings)?),
        None => None,
    };
    let file = file.as_ref();

    let source = match (&args.source, lookup(file, "source")) {
        (Some(s), _) => check_source(Origin::Flag, s)?,
        (None, Some((f, v))) => {
            let s = f.string(
                "source",
                v,
                "give the source URL as a string, e.g. source = \"mysql://user@host:3306\"",
            )?;
            check_source(f.origin(), s)?
        }
        (None, None) => {
            return Err(
                "missing `source`: pass --source mysql://user@host:3306 or set \
                 `source = \"mysql://…\"` in replicant.toml"
                    .to_string(),
            )
        }
    };

    let tables = table_spec(file, "tables", args.tables.as_deref())?;
    let exclude_tables = table_spec(file, "exclude-tables", args.exclude_tables.as_deref())?;

    let data_dir = match (&args.data_dir, lookup(file, "data-dir")) {
        (Some(d), _) => {
            if d.as_os_str().is_empty() {
                return Err(Origin::Flag.bad("data-dir", "\"\"", DATA_DIR_FIX));
            }
            d.clone()
        }
        (None, Some((f, v))) => {
            let s = f.string("data-dir", v, DATA_DIR_FIX)?;
            if s.trim().is_empty() {
                return Err(f.origin().bad("data-dir", &show(v), DATA_DIR_FIX));
            }
            f.relative_to_file(Path::new(s))
        }
        (None, None) => {
            return Err("missing `data-dir`: pass --data-dir DIR or set \
                 `data-dir = \"/var/lib/replicant\"` in replicant.toml"
                .to_string())
        }
    };

    let server_id = count(
        file,
        "server-id",
        args.server_id.map(u64::from),
        (1, u64::from(u32::MAX)),
        u64::from(DEFAULT_SERVER_ID),
        "give a server id between 1 and 4294967295 that the source and its other replicas \
         do not use",
    )?;
    let server_id = u32::try_from(server_id)
        .map_err(|_| format!("server-id {server_id}: give a server id between 1 and 4294967295"))?;

    let listen = match (&args.listen, lookup(file, "listen")) {
        (Some(s), _) => check_listen(Origin::Flag, s, s)?,
        (None, Some((f, v))) => {
            let s = f.string("listen", v, LISTEN_FIX)?;
            check_listen(f.origin(), s, &show(v))?
        }
        (None, None) => DEFAULT_LISTEN.to_string(),
    };

    let heartbeat = match (&args.heartbeat, lookup(file, "heartbeat")) {
        (Some(s), _) => {
            parse_heartbeat(s).map_err(|_| Origin::Flag.bad("heartbeat", s, HEARTBEAT_FIX))?
        }
        (None, Some((f, v))) => {
            let parsed = match v {
                toml::Value::Integer(n) => {
                    u64::try_from(*n).map(Duration::from_secs).map_err(|_| ())
                }
                toml::Value::Float(x) => Duration::try_from_secs_f64(*x).map_err(|_| ()),
                toml::Value::String(s) => parse_heartbeat(s).map_err(|_| ()),
                _ => Err(()),
            };
            let d = parsed.map_err(|()| f.origin().bad("heartbeat", &show(v), HEARTBEAT_FIX))?;
            check_heartbeat(d).map_err(|()| f.origin().bad("heartbeat", &show(v), HEARTBEAT_FIX))?
        }
        (None, None) => DEFAULT_HEARTBEAT,
    };

    let durability = match (args.durability, lookup(file, "durability")) {
        (Some(d), _) => d,
        (None, Some((f, v))) => {
            let s = f.string("durability", v, DURABILITY_FIX)?;
            s.parse()
                .map_err(|_| f.origin().bad("durability", &show(v), DURABILITY_FIX))?
        }
        (None, None) => Durability::default(),
    };

    let changelog_retention = match (
        &args.changelog_retention,
        lookup(file, "changelog-retention"),
    ) {
        (Some(s), _) => check_retention(Origin::Flag, s, s)?,
        (None, Some((f, v))) => match v {
            toml::Value::Integer(0) => Duration::ZERO,
            toml::Value::String(s) => check_retention(f.origin(), s, &show(v))?,
            _ => {
                return Err(f
                    .origin()
                    .bad("changelog-retention", &show(v), RETENTION_FIX))
            }
        },
        (None, None) => DEFAULT_CHANGELOG_RETENTION,
    };

    let snapshot_chunk_rows = count(
        file,
        "snapshot-chunk-rows",
        args.snapshot_chunk_rows.map(|n| n as u64),
        (1, MAX_SNAPSHOT_CHUNK_ROWS as u64),
        DEFAULT_SNAPSHOT_CHUNK_ROWS as u64,
        "give a number of rows between 1 and 1000000",
    )? as usize;
    let snapshot_parallelism = count(
        file,
        "snapshot-parallelism",
        args.snapshot_parallelism.map(|n| n as u64),
        (1, MAX_SNAPSHOT_PARALLELISM as u64),
        DEFAULT_SNAPSHOT_PARALLELISM as u64,
        "give a number of tables copied at once between 1 and 64",
    )? as usize;
    let group_commit_max = count(
        file,
        "group-commit-max",
        args.group_commit_max.map(|n| n as u64),
        (1, MAX_GROUP_COMMIT_MAX as u64),
        DEFAULT_GROUP_COMMIT_MAX as u64,
        "give a number of transactions between 1 and 100000",
    )? as usize;

    let resnapshot_on_gap = match (args.resnapshot_on_gap, lookup(file, "resnapshot-on-gap")) {
        (Some(b), _) => b,
        (None, Some((f, v))) => match v {
            toml::Value::Boolean(b) => *b,
            _ => {
                return Err(f.origin().bad(
                    "resnapshot-on-gap",
                    &show(v),
                    "give true or false (without quotes)",
                ))
            }
        },
        (None, None) => false,
    };

    let server = server::resolve_server(args, file, &listen)?;

    Ok(RunSettings {
        source,
        tables,
        exclude_tables,
        data_dir,
        server_id,
        listen,
        heartbeat,
        durability,
        changelog_retention,
        snapshot_chunk_rows,
        snapshot_parallelism,
        resnapshot_on_gap,
        group_commit_max,
        server,
        config_file: args.config.clone(),
        warnings,
    })
}

/// Parses a duration: `0`, or one or more whole numbers each followed by a unit — `ms`,
/// `s`, `m` (minutes), `h`, `d` (24 h), `w` (7 d) — e.g. `90s`, `15m`, `24h`, `7d`,
/// `1d12h`, `1h 30m`. Fractions (`1.5h`) are not accepted: write `1h30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    duration(s).map_err(|problem| {
        format!("`{s}` is not a duration: {problem}; write e.g. 90s, 15m, 24h, 7d or 1d12h")
    })
}

const DATA_DIR_FIX: &str =
    "give the directory of the copy as a string, e.g. data-dir = \"/var/lib/replicant\"";
const LISTEN_FIX: &str =
    "give host:port, e.g. \"127.0.0.1:3307\", or \"0.0.0.0:3307\" for every interface";
const HEARTBEAT_FIX: &str =
    "give a number of seconds above 0 and at most 3600, e.g. 5 (or a duration like \"500ms\")";
const DURABILITY_FIX: &str = "give \"sync\" (fsync every commit group) or \"buffered\" \
     (no fsync: survives a crash of replicant, not a power loss)";
const RETENTION_FIX: &str =
    "give a duration like \"90s\", \"15m\", \"24h\", \"7d\" or \"1d12h\" (at most 3650d), or 0 to keep none";

/// Where a value came from, for error messages.
#[derive(Clone, Copy)]
enum Origin<'a> {
    Flag,
    File(&'a Path),
}

impl Origin<'_> {
    /// `--key VALUE: fix` or `FILE: \`key\` = VALUE: fix`.
    fn bad(self, key: &str, shown: &str, fix: &str) -> String {
        match self {
            Origin::Flag => format!("--{key} {shown}: {fix}"),
            Origin::File(p) => format!("{}: `{key}` = {shown}: {fix}", p.display()),
        }
    }

    /// `--key: detail` or `FILE: \`key\`: detail`, when the detail names the value itself.
    fn bad_detail(self, key: &str, detail: &str) -> String {
        match self {
            Origin::Flag => format!("--{key}: {detail}"),
            Origin::File(p) => format!("{}: `{key}`: {detail}", p.display()),
        }
    }
}

/// A parsed `replicant.toml` whose keys are all known.
struct ConfigFile {
    path: PathBuf,
    table: toml::Table,
}

impl ConfigFile {
    /// Reads and parses the file, rejects unknown keys, and adds a warning when the file
    /// holds a source password and other users may read it.
    fn load(path: &Path, warnings: &mut Vec<String>) -> Result<ConfigFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--config {}: cannot read it: {e}", path.display()))?;
        // The parser's own Display quotes the offending line, which may hold the password:
        // give only the message and the line and column.
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let at = e
                .span()
                .map(|span| {
                    let (line, column) = line_column(&text, span.start);
                    format!(" at line {line}, column {column}")
                })
                .unwrap_or_default();
            format!(
                "{}: not valid TOML{at}: {}",
                path.display(),
                e.message().trim_end()
            )
        })?;
        let file = ConfigFile {
            path: path.to_path_buf(),
            table,
        };
        file.check_keys()?;
        if let Some(w) = file.exposed_password() {
            warnings.push(w);
        }
        Ok(file)
    }

    fn origin(&self) -> Origin<'_> {
        Origin::File(&self.path)
    }

    /// Fails on the first unknown keys with the valid keys and, for obvious typos, the
    /// key that was meant.
    fn check_keys(&self) -> Result<(), String> {
        let unknown: Vec<String> = self
            .table
            .keys()
            .filter(|k| !KEYS.contains(&k.as_str()))
            .map(|k| match k.as_str() {
                "config" => "`config` (a config file cannot name another one)".to_string(),
                _ => match closest_key(k) {
                    Some(meant) => format!("`{k}` (did you mean `{meant}`?)"),
                    None => format!("`{k}`"),
                },
            })
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{}: unknown key{} {}; valid keys: {}",
            self.path.display(),
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", "),
            KEYS.join(", ")
        ))
    }

    /// The warning for a file that holds a source password and is readable (or writable)
    /// by group or others, if that is the case.
    fn exposed_password(&self) -> Option<String> {
        let source_password =
            matches!(self.table.get("source"), Some(toml::Value::String(url)) if has_password(url));
        let user_password = self.table.contains_key("password")
            || matches!(self.table.get("users"), Some(toml::Value::Array(users))
                if users.iter().any(|u| u.get("password").is_some()));
        if !source_password && !user_password {
            return None;
        }
        let mode = file_mode(&self.path)?;
        if mode & 0o077 == 0 {
            return None;
        }
        let p = self.path.display();
        Some(format!(
            "{p} holds a password and other users can read it (mode {:04o}): run \
             `chmod 600 {p}`, or remove the passwords from the file and set {PASSWORD_ENV} \
             (source) or {SERVER_PASSWORD_ENV} (--user)",
            mode & 0o7777
        ))
    }

    /// A string value, or the error naming the key and `fix`.
    fn string<'v>(&self, key: &str, v: &'v toml::Value, fix: &str) -> Result<&'v str, String> {
        match v {
            toml::Value::String(s) => Ok(s),
            _ => Err(self.origin().bad(key, &show(v), fix)),
        }
    }

    /// A path from the file: relative paths are relative to the file's directory, so that
    /// the file means the same whatever the working directory.
    fn relative_to_file(&self, p: &Path) -> PathBuf {
        match self.path.parent() {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }
}

fn lookup<'f>(
    file: Option<&'f ConfigFile>,
    key: &str,
) -> Option<(&'f ConfigFile, &'f toml::Value)> {
    let f = file?;
    f.table.get(key).map(|v| (f, v))
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The valid key an unknown one most likely meant: the same up to case, `_` or spaces,
/// or at most 2 edits away (for keys long enough that 2 edits is still a typo).
fn closest_key(key: &str) -> Option<&'static str> {
    let normal = key.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    if let Some(k) = KEYS.iter().find(|k| **k == normal) {
        return Some(k);
    }
    let limit = if normal.chars().count() >= 6 { 2 } else { 1 };
    KEYS.iter()
        .map(|k| (edit_distance(&normal, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A TOML value as it would be written, for messages. Never used for the source URL.
fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(x) => format!("{x:?}"),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(_) => "[…] (an array)".to_string(),
        toml::Value::Table(_) => "{…} (a table)".to_string(),
    }
}

/// Checks a source URL's form; the error shows the URL with its password as `***`.
fn check_source(origin: Origin<'_>, url: &str) -> Result<String, String> {
    match SourceOptions::from_url(url) {
        Ok(_) => Ok(url.to_string()),
        Err(SourceError::Config(msg)) => Err(match origin {
            Origin::Flag => msg,
            // `--source `…`: problem` reads `FILE: `source` = `…`: problem` from a file.
            Origin::File(p) => format!(
                "{}: `source` = {}",
                p.display(),
                msg.strip_prefix("--source ").unwrap_or(&msg)
            ),
        }),
        Err(other) => Err(origin.bad_detail("source", &other.to_string())),
    }
}

/// True when a URL-like string carries a non-empty password (`user:password@`).
fn has_password(url: &str) -> bool {
    let rest = url.find("://").map_or(url, |i| &url[i + 3..]);
    match rest.rfind('@') {
        Some(at) => rest[..at]
            .split_once(':')
            .is_some_and(|(_, pw)| !pw.is_empty()),
        None => false,
    }
}

/// Replaces the password part of a URL-like string with `***`, even when the string is
/// not a valid URL.
fn redact(url: &str) -> String {
    let rest_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[rest_start..];
    let Some(at) = rest.rfind('@') else {
        return url.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..rest_start],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Option<u32> {
    None
}

/// `tables` / `exclude-tables`: a string, or in the file also an array of strings.
fn table_spec(file: Option<&ConfigFile>, key: &str, flag: Option<&str>) -> Result<String, String> {
    let fix = "give a list like \"shop.*,crm.customers\" or [\"shop.*\", \"crm.customers\"]";
    let (origin, spec) = match (flag, lookup(file, key)) {
        (Some(s), _) => (Origin::Flag, s.trim().to_string()),
        (None, Some((f, v))) => {
            let spec = match v {
                toml::Value::String(s) => s.trim().to_string(),
                toml::Value::Array(items) => {
                    let mut parts = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            toml::Value::String(s) => parts.push(s.trim().to_string()),
                            other => return Err(f.origin().bad(key, &show(other), fix)),
                        }
                    }
                    parts.join(",")
                }
                _ => return Err(f.origin().bad(key, &show(v), fix)),
            };
            (f.origin(), spec)
        }
        (None, None) => return Ok(String::new()),
    };
    TableFilter::parse(&spec).map_err(|e| {
        let detail = e.strip_prefix("--tables: ").unwrap_or(&e);
        origin.bad_detail(key, &format!("{detail}; {fix}"))
    })?;
    Ok(spec)
}

/// A whole number from the flag or the file (TOML integer), checked against `range`.
fn count(
    file: Option<&ConfigFile>,
    key: &str,
    flag: Option<u64>,
    (min, max): (u64, u64),
    default: u64,
    fix: &str,
) -> Result<u64, String> {
    match (flag, lookup(file, key)) {
        (Some(n), _) if (min..=max).contains(&n) => Ok(n),
        (Some(n), _) => Err(Origin::Flag.bad(key, &n.to_string(), fix)),
        (None, Some((f, v))) => match v {
            toml::Value::Integer(n) => match u64::try_from(*n) {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(f.origin().bad(key, &show(v), fix)),
            },
            _ => Err(f.origin().bad(
                key,
                &show(v),
                &format!("{fix} (a whole number, without quotes)"),
            )),
        },
        (None, None) => Ok(default),
    }
}

/// `host:port` with a non-empty host and a port number.
fn check_listen(origin: Origin<'_>, s: &str, shown: &str) -> Result<String, String> {
    let s = s.trim();
    if s.parse::<std::net::SocketAddr>().is_ok() {
        return Ok(s.to_string());
    }
    let ok = s.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty()
            && !host.contains(char::is_whitespace)
            && !(host.contains(':') && !(host.starts_with('[') && host.ends_with(']')))
            && port.parse::<u16>().is_ok()
    });
    if ok {
        Ok(s.to_string())
    } else {
        Err(origin.bad("listen", shown, LISTEN_FIX))
    }
}

/// `--heartbeat`: plain seconds (`5`, `2.5`) or a duration (`500ms`, `1m`), in range.
fn parse_heartbeat(s: &str) -> Result<Duration, ()> {
    let t = s.trim();
    let d = match t.parse::<f64>() {
        Ok(secs) => Duration::try_from_secs_f64(secs).map_err(|_| ())?,
        Err(_) => duration(t).map_err(|_| ())?,
    };
    check_heartbeat(d)
}

fn check_heartbeat(d: Duration) -> Result<Duration, ()> {
    if d.is_zero() || d > MAX_HEARTBEAT {
        Err(())
    } else {
        Ok(d)
    }
}

/// `--changelog-retention`: a duration up to [`MAX_CHANGELOG_RETENTION`].
fn check_retention(origin: Origin<'_>, s: &str, shown: &str) -> Result<Duration, String> {
    match duration(s) {
        Ok(d) if d <= MAX_CHANGELOG_RETENTION => Ok(d),
        Ok(_) => Err(origin.bad("changelog-retention", shown, RETENTION_FIX)),
        Err(problem) => Err(origin.bad(
            "changelog-retention",
            shown,
            &format!("{problem}; {RETENTION_FIX}"),
        )),
    }
}

/// The duration parser behind [`parse_duration`]; the error describes the problem without
/// repeating the input.
fn duration(s: &str) -> Result<Duration, String> {
    const UNITS: &str = "ms, s, m, h, d or w";
    const FRACTIONS: &str = "fractions are not accepted (write 1h30m, not 1.5h)";
    let t = s.trim();
    if t.is_empty() {
        return Err("it is empty".to_string());
    }
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let too_long = || "it is too long".to_string();
    let mut total_ms: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            return Err(if c == '.' || c == ',' {
                FRACTIONS.to_string()
            } else {
                format!("expected a number at `{rest}`")
            });
        }
        let (number, after) = rest.split_at(digits);
        let letters = after.len()
            - after
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let (unit, after) = after.split_at(letters);
        if unit.is_empty() {
            return Err(match after.chars().next() {
                Some('.' | ',') => FRACTIONS.to_string(),
                _ => format!("`{number}` has no unit ({UNITS})"),
            });
        }
        let unit_ms: u64 = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            _ => return Err(format!("unknown unit `{unit}` (use {UNITS})")),
        };
        let n: u64 = number.parse().map_err(|_| too_long())?;
        total_ms = n
            .checked_mul(unit_ms)
            .and_then(|ms| total_ms.checked_add(ms))
            .ok_or_else(too_long)?;
        rest = after.trim_start();
    }
    Ok(Duration::from_millis(total_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn flags(source: &str, data_dir: &str) -> RunArgs {
        RunArgs {
            source: Some(source.to_string()),
            data_dir: Some(PathBuf::from(data_dir)),
            ..RunArgs::default()
        }
    }

    /// A config file in a fresh directory, mode 0600.
    fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replicant.toml");
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
        set_mode(&path, 0o600);
        (dir, path)
    }

    fn set_mode(path: &Path, mode: u32) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = (path, mode);
    }

    fn with_file(path: &Path) -> RunArgs {
        RunArgs {
            config: Some(path.to_path_buf()),
            ..RunArgs::default()
        }
    }

    const MINIMAL: &str = "source = \"mysql://repl@db1:3306\"\ndata-dir = \"/var/lib/replicant\"\n";

    #[test]
    fn flags_only_give_defaults_for_the_rest() {
        let s = resolve(&flags("mysql://repl@db1:3306", "/tmp/r")).unwrap();
        assert_eq!(s.source, "mysql://repl@db1:3306");
        assert_eq!(s.data_dir, PathBuf::from("/tmp/r"));
        assert_eq!(s.tables, "");
        assert_eq!(s.exclude_tables, "");
        assert_eq!(s.server_id, DEFAULT_SERVER_ID);
        assert_eq!(s.listen, "127.0.0.1:3307");
        assert_eq!(s.heartbeat, Duration::from_secs(5));
        assert_eq!(s.durability, Durability::Sync);
        assert_eq!(s.changelog_retention, Duration::from_secs(7 * 86_400));
        assert_eq!(s.snapshot_chunk_rows, 10_000);
        assert_eq!(s.snapshot_parallelism, 2);
        assert!(!s.resnapshot_on_gap);
        assert_eq!(s.group_commit_max, 1000);
        assert_eq!(s.config_file, None);
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn every_flag() {
        let args = RunArgs {
            config: None,
            source: Some("mariadb://repl@10.0.0.5:3307?ssl-mode=required".into()),
            tables: Some("shop.*, crm.customers".into()),
            exclude_tables: Some("shop.tmp_*".into()),
            data_dir: Some("data".into()),
            server_id: Some(77),
            listen: Some("127.0.0.2:4000".into()),
            heartbeat: Some("2.5".into()),
            durability: Some(Durability::Buffered),
            changelog_retention: Some("1d12h".into()),
            snapshot_chunk_rows: Some(500),
            snapshot_parallelism: Some(8),
            resnapshot_on_gap: Some(true),
            group_commit_max: Some(1),
            user: Some("app".into()),
            tls_cert: Some("cert.pem".into()),
            tls_key: Some("key.pem".into()),
            require_tls: Some(true),
            max_connections: Some(9),
            idle_timeout: Some("10m".into()),
        };
        let s = resolve(&args).unwrap();
        assert_eq!(s.tables, "shop.*, crm.customers");
        assert_eq!(s.exclude_tables, "shop.tmp_*");
        assert_eq!(s.data_dir, PathBuf::from("data"));
        assert_eq!(s.server_id, 77);
        assert_eq!(s.listen, "127.0.0.2:4000");
        assert_eq!(s.server.listen, "127.0.0.2:4000");
        assert_eq!(s.server.users.len(), 1);
        assert_eq!(s.server.users[0].name, "app");
        assert!(s.server.require_tls);
        assert_eq!(
            s.server.tls.as_ref().map(|t| t.cert.clone()),
            Some(PathBuf::from("cert.pem"))
        );
        assert_eq!(s.server.max_connections, 9);
        assert_eq!(s.server.idle_timeout, Duration::from_secs(600));
        assert_eq!(s.heartbeat, Duration::from_millis(2500));
        assert_eq!(s.durability, Durability::Buffered);
        assert_eq!(s.changelog_retention, Duration::from_secs(36 * 3600));
        assert_eq!(s.snapshot_chunk_rows, 500);
        assert_eq!(s.snapshot_parallelism, 8);
        assert!(s.resnapshot_on_gap);
        assert_eq!(s.group_commit_max, 1);
    }

    #[test]
    fn file_only() {
        let (dir, path) = config(
            r#"
# replicant.toml
source = "mysql://repl@db1:3306"
tables = ["shop.*", "crm.customers"]
exclude-tables = "shop.tmp_*"
data-dir = "data"
server-id = 1234
listen = "[::1]:3308"
heartbeat = 10
durability = "buffered"
changelog-retention = "24h"
snapshot-chunk-rows = 50000
snapshot-parallelism = 4
resnapshot-on-gap = true
group-commit-max = 200
"#,
        );
        let s = resolve(&with_file(&path)).unwrap();
        assert_eq!(s.source, "mysql://repl@db1:3306");
        assert_eq!(s.tables, "shop.*,crm.customers");
        assert_eq!(s.exclude_tables, "shop.tmp_*");
        // Relative to the file's directory, not the working directory.
        assert_eq!(s.data_dir, dir.path().join("data"));
        assert_eq!(s.server_id, 1234);
        assert_eq!(s.listen, "[::1]:3308");
        assert_eq!(s.heartbeat, Duration::from_secs(10));
        assert_eq!(s.durability, Durability::Buffered);
        assert_eq!(s.changelog_retention, Duration::from_secs(86_400));
        assert_eq!(s.snapshot_chunk_rows, 50_000);
        assert_eq!(s.snapshot_parallelism, 4);
        assert!(s.resnapshot_on_gap);
        assert_eq!(s.group_commit_max, 200);
        assert_eq!(s.config_file.as_deref(), Some(path.as_path()));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn file_alternative_forms() {
        let (_dir, path) = config(&format!(
            "{MINIMAL}heartbeat = 0.5\nchangelog-retention = 0\nresnapshot-on-gap = false\n"
        ));
        let s = resolve(&with_file(&path)).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/var/lib/replicant"));
        assert_eq!(s.heartbeat, Duration::from_millis(500));
        assert_eq!(s.changelog_retention, Duration::ZERO);
        assert!(!s.resnapshot_on_gap);

        let (_dir, path) = config(&format!("{MINIMAL}heartbeat = \"1m\"\n"));
        assert_eq!(
            resolve(&with_file(&path)).unwrap().heartbeat,
            Duration::from_secs(60)
        );
    }

    #[test]
    fn flags_override_file() {
        let (_dir, path) = config(&format!(
            "{MINIMAL}server-id = 1234\ndurability = \"buffered\"\nheartbeat = 10\n\
             resnapshot-on-gap = true\ntables = \"a.*\"\n"
        ));
        let args = RunArgs {
            config: Some(path.clone()),
            source: Some("mysql://other@db2".into()),
            data_dir: Some("/srv/copy".into()),
            server_id: Some(99),
            durability: Some(Durability::Sync),
            resnapshot_on_gap: Some(false),
            tables: Some("b.t".into()),
            ..RunArgs::default()
        };
        let s = resolve(&args).unwrap();
        assert_eq!(s.source, "mysql://other@db2");
        assert_eq!(s.data_dir, PathBuf::from("/srv/copy"));
        assert_eq!(s.server_id, 99);
        assert_eq!(s.durability, Durability::Sync);
        assert!(!s.resnapshot_on_gap);
        assert_eq!(s.tables, "b.t");
        // Not given as a flag: from the file.
        assert_eq!(s.heartbeat, Duration::from_secs(10));
    }

    #[test]
    fn unknown_key_names_file_suggestion_and_valid_keys() {
        let (_dir, path) = config("source = \"mysql://repl@db1\"\ndata_dir = \"/x\"\n");
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(e.starts_with(&path.display().to_string()), "{e}");
        assert!(
            e.contains("unknown key `data_dir` (did you mean `data-dir`?)"),
            "{e}"
        );
        assert!(
            e.contains("valid keys: source, tables, exclude-tables, data-dir"),
            "{e}"
        );

        for (typo, meant) in [
            ("datadir", "data-dir"),
            ("server_id", "server-id"),
            ("heartbeats", "heartbeat"),
            ("Durability", "durability"),
            ("snapshot-chunk-row", "snapshot-chunk-rows"),
            ("exclude_tables", "exclude-tables"),
        ] {
            assert_eq!(closest_key(typo), Some(meant), "{typo}");
        }

        let (_dir, path) = config(&format!("{MINIMAL}colour = \"blue\"\nconfig = \"x\"\n"));
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(
            e.contains("unknown keys `colour`, `config` (a config file"),
            "{e}"
        );
        assert!(!e.contains("did you mean"), "{e}");
        assert!(e.contains("group-commit-max"), "{e}");
    }

    #[test]
    fn bad_values_in_the_file() {
        let cases: &[(&str, &str)] = &[
            (
                "snapshot-chunk-rows = 0",
                "`snapshot-chunk-rows` = 0: give a number of rows between 1 and 1000000",
            ),
            ("snapshot-chunk-rows = 1000001", "between 1 and 1000000"),
            ("snapshot-chunk-rows = \"10\"", "= \"10\": give a number of rows between 1 and 1000000 (a whole number, without quotes)"),
            ("snapshot-parallelism = 65", "`snapshot-parallelism` = 65: give a number of tables copied at once between 1 and 64"),
            ("snapshot-parallelism = -1", "`snapshot-parallelism` = -1"),
            ("group-commit-max = 100001", "`group-commit-max` = 100001: give a number of transactions between 1 and 100000"),
            ("group-commit-max = 1.5", "`group-commit-max` = 1.5"),
            ("server-id = 0", "`server-id` = 0: give a server id between 1 and 4294967295"),
            ("server-id = 4294967296", "`server-id` = 4294967296"),
            ("heartbeat = 0", "`heartbeat` = 0: give a number of seconds above 0 and at most 3600"),
            ("heartbeat = 3601", "`heartbeat` = 3601"),
            ("heartbeat = -1.0", "`heartbeat` = -1.0"),
            ("heartbeat = \"soon\"", "`heartbeat` = \"soon\""),
            ("heartbeat = true", "`heartbeat` = true"),
            ("durability = \"fast\"", "`durability` = \"fast\": give \"sync\""),
            ("durability = 1", "`durability` = 1: give \"sync\""),
            ("changelog-retention = \"7x\"", "`changelog-retention` = \"7x\": unknown unit `x`"),
            ("changelog-retention = \"7\"", "`changelog-retention` = \"7\": `7` has no unit"),
            ("changelog-retention = 7", "`changelog-retention` = 7: give a duration like"),
            ("changelog-retention = \"3651d\"", "`changelog-retention` = \"3651d\": give a duration"),
            ("resnapshot-on-gap = \"yes\"", "`resnapshot-on-gap` = \"yes\": give true or false"),
            ("listen = \"3307\"", "`listen` = \"3307\": give host:port"),
            ("listen = \"localhost:99999\"", "`listen` = \"localhost:99999\""),
            ("listen = 3307", "`listen` = 3307"),
            ("tables = \"shop\"", "`tables`: `shop` is not schema.table (use `shop.*` for a whole schema)"),
            ("tables = [\"a.b\", 1]", "`tables` = 1: give a list"),
            ("exclude-tables = \"a.b.c\"", "`exclude-tables`: `a.b.c` is not schema.table"),
            ("exclude-tables = 5", "`exclude-tables` = 5"),
        ];
        for (line, expected) in cases {
            let (_dir, path) = config(&format!("{MINIMAL}{line}\n"));
            let e = resolve(&with_file(&path)).unwrap_err();
            let prefix = format!("{}: ", path.display());
            assert!(e.starts_with(&prefix), "{line}: {e}");
            assert!(
                e.contains(expected),
                "{line}: expected `{expected}` in: {e}"
            );
        }

        let (_dir, path) = config("source = \"mysql://repl@db1\"\ndata-dir = \"\"\n");
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(e.contains("`data-dir` = \"\": give the directory"), "{e}");
        let (_dir, path) = config("source = \"mysql://repl@db1\"\ndata-dir = 5\n");
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(e.contains("`data-dir` = 5"), "{e}");
        let (_dir, path) = config("source = 5\ndata-dir = \"/x\"\n");
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(
            e.contains("`source` = 5: give the source URL as a string"),
            "{e}"
        );
        let (_dir, path) = config("source = \"http://u:hunter2@db1\"\ndata-dir = \"/x\"\n");
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(
            e.contains("`source` = `http://u:***@db1`: scheme `http`"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn bad_values_as_flags() {
        let base = || flags("mysql://repl@db1", "/x");
        let cases: Vec<(RunArgs, &str)> = vec![
            (
                RunArgs {
                    snapshot_chunk_rows: Some(0),
                    ..base()
                },
                "--snapshot-chunk-rows 0: give a number of rows between 1 and 1000000",
            ),
            (
                RunArgs {
                    snapshot_parallelism: Some(0),
                    ..base()
                },
                "--snapshot-parallelism 0: give a number of tables copied at once",
            ),
            (
                RunArgs {
                    group_commit_max: Some(100_001),
                    ..base()
                },
                "--group-commit-max 100001: give a number of transactions",
            ),
            (
                RunArgs {
                    server_id: Some(0),
                    ..base()
                },
                "--server-id 0: give a server id",
            ),
            (
                RunArgs {
                    heartbeat: Some("0".into()),
                    ..base()
                },
                "--heartbeat 0: give a number of seconds",
            ),
            (
                RunArgs {
                    heartbeat: Some("2h".into()),
                    ..base()
                },
                "--heartbeat 2h: ",
            ),
            (
                RunArgs {
                    heartbeat: Some("NaN".into()),
                    ..base()
                },
                "--heartbeat NaN: ",
            ),
            (
                RunArgs {
                    changelog_retention: Some("1.5h".into()),
                    ..base()
                },
                "--changelog-retention 1.5h: fractions are not accepted",
            ),
            (
                RunArgs {
                    listen: Some("nowhere".into()),
                    ..base()
                },
                "--listen nowhere: give host:port",
            ),
            (
                RunArgs {
                    listen: Some(":3307".into()),
                    ..base()
                },
                "--listen :3307: ",
            ),
            (
                RunArgs {
                    tables: Some("db".into()),
                    ..base()
                },
                "--tables: `db` is not schema.table",
            ),
            (
                RunArgs {
                    exclude_tables: Some(".t".into()),
                    ..base()
                },
                "--exclude-tables: `.t` is not schema.table",
            ),
            (
                RunArgs {
                    data_dir: Some(PathBuf::new()),
                    ..base()
                },
                "--data-dir \"\": ",
            ),
            (
                RunArgs {
                    source: Some("mysql://u:hunter2@".into()),
                    ..base()
                },
                "--source `mysql://u:***@`",
            ),
        ];
        for (args, expected) in cases {
            let e = resolve(&args).unwrap_err();
            assert!(
                e.starts_with(expected),
                "expected `{expected}` at the start of: {e}"
            );
            assert!(!e.contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn durations() {
        let secs = |n: u64| Ok(Duration::from_secs(n));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("90s"), secs(90));
        assert_eq!(parse_duration("15m"), secs(900));
        assert_eq!(parse_duration("24h"), secs(86_400));
        assert_eq!(parse_duration("7d"), secs(7 * 86_400));
        assert_eq!(parse_duration("2w"), secs(14 * 86_400));
        assert_eq!(parse_duration("1d12h"), secs(36 * 3600));
        assert_eq!(parse_duration(" 1h 30m "), secs(5400));
        assert_eq!(parse_duration("1m30s"), secs(90));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for (bad, problem) in [
            ("", "empty"),
            ("7", "`7` has no unit"),
            ("90", "`90` has no unit"),
            ("7x", "unknown unit `x`"),
            ("7D", "unknown unit `D`"),
            ("1.5h", "fractions"),
            ("h", "expected a number at `h`"),
            ("-5s", "expected a number at `-5s`"),
            ("5 s", "`5` has no unit"),
            ("99999999999999999999d", "too long"),
            ("9999999999999999w", "too long"),
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(
                e.starts_with(&format!("`{bad}` is not a duration: ")),
                "{e}"
            );
            assert!(e.contains(problem), "{bad}: expected `{problem}` in: {e}");
        }
    }

    #[test]
    fn missing_required_keys() {
        let e = resolve(&RunArgs::default()).unwrap_err();
        assert_eq!(
            e,
            "missing `source`: pass --source mysql://user@host:3306 or set \
             `source = \"mysql://…\"` in replicant.toml"
        );
        let args = RunArgs {
            source: Some("mysql://repl@db1".into()),
            ..RunArgs::default()
        };
        let e = resolve(&args).unwrap_err();
        assert!(
            e.starts_with("missing `data-dir`: pass --data-dir DIR or set `data-dir"),
            "{e}"
        );

        let (_dir, path) = config("data-dir = \"/x\"\n");
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(e.starts_with("missing `source`"), "{e}");
        let (_dir, path) = config("source = \"mysql://repl@db1\"\n");
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(e.starts_with("missing `data-dir`"), "{e}");
        // The flag fills what the file lacks.
        let args = RunArgs {
            data_dir: Some("/x".into()),
            ..with_file(&path)
        };
        assert_eq!(resolve(&args).unwrap().data_dir, PathBuf::from("/x"));
    }

    #[test]
    fn unreadable_or_invalid_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let e = resolve(&with_file(&missing)).unwrap_err();
        assert!(
            e.starts_with(&format!("--config {}: cannot read it", missing.display())),
            "{e}"
        );

        // A syntax error on the source line: the message must not quote the line.
        let (_dir, path) = config("data-dir = \"/x\"\nsource = \"mysql://u:hunter2@db1\n");
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(
            e.starts_with(&format!("{}: not valid TOML at line 2", path.display())),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");

        let (_dir, path) = config("source = \"mysql://repl@db1\"\nsource = \"x\"\n");
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(e.contains("not valid TOML"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn readable_file_with_password_warns() {
        let text = "source = \"mysql://repl:hunter2@db1:3306\"\ndata-dir = \"/x\"\n";
        let (_dir, path) = config(text);
        let s = resolve(&with_file(&path)).unwrap();
        assert!(s.warnings.is_empty(), "mode 0600: {:?}", s.warnings);

        set_mode(&path, 0o644);
        let s = resolve(&with_file(&path)).unwrap();
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        let w = &s.warnings[0];
        assert!(w.contains("holds a password"), "{w}");
        assert!(w.contains("(mode 0644)"), "{w}");
        assert!(w.contains(&format!("chmod 600 {}", path.display())), "{w}");
        assert!(w.contains("REPLICANT_SOURCE_PASSWORD"), "{w}");
        assert!(!w.contains("hunter2"), "{w}");

        // Group-readable is enough; still warns when a flag overrides the file's source.
        set_mode(&path, 0o640);
        let args = RunArgs {
            source: Some("mysql://repl@db2".into()),
            ..with_file(&path)
        };
        assert_eq!(resolve(&args).unwrap().warnings.len(), 1);

        // No password in the file: nothing to protect.
        let (_dir, path) = config("source = \"mysql://repl@db1:3306\"\ndata-dir = \"/x\"\n");
        set_mode(&path, 0o644);
        assert!(resolve(&with_file(&path)).unwrap().warnings.is_empty());
    }

    #[test]
    fn debug_hides_the_password() {
        let args = flags("mysql://repl:hunter2@db1:3306", "/x");
        let shown = format!("{args:?}");
        assert!(shown.contains("mysql://repl:***@db1:3306"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let s = resolve(&args).unwrap();
        let shown = format!("{s:?}");
        assert!(shown.contains("mysql://repl:***@db1:3306"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(redact("mysql://repl@db1"), "mysql://repl@db1");
        assert!(has_password("mysql://a:b@h") && !has_password("mysql://a@h"));
        assert!(!has_password("mysql://a:@h"));
    }

    #[test]
    fn durability_text() {
        for d in [Durability::Sync, Durability::Buffered] {
            assert_eq!(d.to_string().parse::<Durability>(), Ok(d));
        }
        assert_eq!("BUFFERED".parse::<Durability>(), Ok(Durability::Buffered));
        assert!("fast"
            .parse::<Durability>()
            .unwrap_err()
            .contains("sync or buffered"));
    }

    #[test]
    fn command_line_parsing() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            run: RunArgs,
        }
        let cli = Cli::try_parse_from([
            "replicant",
            "--source",
            "mysql://repl@db1",
            "--data-dir",
            "/x",
            "--durability",
            "buffered",
            "--server-id",
            "7",
            "--exclude-tables",
            "shop.tmp_*",
            "--resnapshot-on-gap",
            "--changelog-retention",
            "0",
        ])
        .unwrap();
        assert_eq!(cli.run.durability, Some(Durability::Buffered));
        assert_eq!(cli.run.server_id, Some(7));
        assert_eq!(cli.run.resnapshot_on_gap, Some(true));
        assert_eq!(cli.run.exclude_tables.as_deref(), Some("shop.tmp_*"));
        let s = resolve(&cli.run).unwrap();
        assert_eq!(s.changelog_retention, Duration::ZERO);

        let cli = Cli::try_parse_from(["replicant", "--resnapshot-on-gap=false"]).unwrap();
        assert_eq!(cli.run.resnapshot_on_gap, Some(false));
        let cli = Cli::try_parse_from(["replicant", "--data-dir", "/x"]).unwrap();
        assert_eq!(cli.run.resnapshot_on_gap, None);
        assert_eq!(cli.run.heartbeat, None);
        assert!(Cli::try_parse_from(["replicant", "--durability", "fast"]).is_err());
    }

    #[test]
    fn a_network_listen_address_needs_users_with_passwords() {
        let mut args = flags("mysql://repl@h:3306", "data");
        args.listen = Some("0.0.0.0:3307".into());
        let e = resolve(&args).unwrap_err();
        assert!(e.contains("0.0.0.0:3307") && e.contains("password"), "{e}");
        assert!(e.contains(SERVER_PASSWORD_ENV), "{e}");
    }

    #[test]
    fn users_come_from_the_file_with_passwords_or_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replicant.toml");
        std::fs::write(
            &path,
            "source = \"mysql://repl@h:3306\"\ndata-dir = \"d\"\nlisten = \"0.0.0.0:3307\"\n\
             users = [{ name = \"app\", password = \"pw\" }, \
             { name = \"bi\", password-hash = \"*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9\" }]\n",
        )
        .unwrap();
        let s = resolve(&with_file(&path)).unwrap();
        assert_eq!(s.server.users.len(), 2);
        assert!(
            s.server.users[1].password
                == crate::wire::config::Password::NativeHash(
                    parse_native_hash("*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9").unwrap()
                )
        );
        // A broken hash is named with the form expected.
        std::fs::write(
            &path,
            "source = \"mysql://repl@h:3306\"\ndata-dir = \"d\"\n\
             users = [{ name = \"bi\", password-hash = \"6BB4\" }]\n",
        )
        .unwrap();
        let e = resolve(&with_file(&path)).unwrap_err();
        assert!(
            e.contains("password-hash") && e.contains("40 hex digits"),
            "{e}"
        );
        // Half a TLS setting is refused with the fix.
        let mut args = flags("mysql://repl@h:3306", "data");
        args.tls_cert = Some("c.pem".into());
        let e = resolve(&args).unwrap_err();
        assert!(e.contains("--tls-key"), "{e}");
    }
}
