//! Connecting to the source: the `--source` URL, connection options, and what kind of
//! server answered (MySQL or MariaDB, which version, which server id).
//!
//! The URL has the form `mysql://user[:password]@host[:port]` (`mariadb://` is accepted as
//! a synonym). When the URL carries no password, the `REPLICANT_SOURCE_PASSWORD`
//! environment variable is used, so the password need not appear on a command line.
//! Passwords never appear in logs or error messages: use [`SourceOptions::redacted_url`].

use std::fmt;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Row, Value};

use super::error::SourceError;

/// Environment variable read for the source password when the URL has none.
pub const PASSWORD_ENV: &str = "REPLICANT_SOURCE_PASSWORD";

/// The server id replicant registers with by default: `0x5245`, "RE" in ASCII (21061).
/// It must differ from the source's and every other replica's `server_id`.
pub const DEFAULT_SERVER_ID: u32 = 0x5245;

/// The expected form of the `--source` URL, quoted in configuration errors.
const EXPECTED_FORM: &str =
    "mysql://user[:password]@host[:port][?ssl-mode=…&ssl-ca=…] (or mariadb://…)";

/// TLS to the source, with the MySQL client's `--ssl-mode` meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disabled,
    /// TLS when the server offers it (certificate not verified), else plain. The default.
    Preferred,
    /// TLS or fail (certificate not verified).
    Required,
    /// TLS with the server certificate verified against `ssl-ca` (or the system roots),
    /// without checking the host name.
    VerifyCa,
    /// Like `VerifyCa`, and the certificate must name the host.
    VerifyIdentity,
}

impl std::str::FromStr for SslMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "disabled" => Ok(SslMode::Disabled),
            "preferred" => Ok(SslMode::Preferred),
            "required" => Ok(SslMode::Required),
            "verify_ca" => Ok(SslMode::VerifyCa),
            "verify_identity" => Ok(SslMode::VerifyIdentity),
            _ => Err(format!(
                "ssl-mode `{s}` is not disabled, preferred, required, verify_ca or verify_identity"
            )),
        }
    }
}

/// The largest packet the client accepts: 1 GiB, the protocol maximum, so that any row
/// event the source can write can also be read.
const MAX_ALLOWED_PACKET: usize = 1 << 30;

/// Which server family the source is. Both speak the MySQL protocol but differ in GTIDs,
/// binlog event types, variable names and privilege names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// Oracle MySQL (and compatible builds such as Percona Server).
    MySql,
    /// MariaDB.
    MariaDb,
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flavor::MySql => "MySQL",
            Flavor::MariaDb => "MariaDB",
        })
    }
}

/// What the source told us about itself right after connecting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// MySQL or MariaDB.
    pub flavor: Flavor,
    /// `(major, minor, patch)`, e.g. `(10, 11, 6)`.
    pub version: (u16, u16, u16),
    /// `SELECT VERSION()` as printed by the server, e.g. `10.11.6-MariaDB-0+deb12u1-log`.
    pub version_string: String,
    /// The source's `@@server_id`.
    pub server_id: u32,
    /// The source's `@@server_uuid` (MySQL only; MariaDB has none).
    pub server_uuid: Option<String>,
}

impl ServerInfo {
    /// True when the server is at least `major.minor.patch`.
    pub fn at_least(&self, major: u16, minor: u16, patch: u16) -> bool {
        self.version >= (major, minor, patch)
    }
}

impl fmt::Display for ServerInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b, c) = self.version;
        write!(
            f,
            "{} {a}.{b}.{c} (server_id {})",
            self.flavor, self.server_id
        )
    }
}

/// How to reach the source and how replicant presents itself to it as a replica.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceOptions {
    /// The `--source` URL as given (may contain a password: never log it, use
    /// [`SourceOptions::redacted_url`]).
    pub url: String,
    /// The password: from the URL, else from `REPLICANT_SOURCE_PASSWORD`, else none.
    pub password: Option<String>,
    /// The `server_id` replicant registers with (`COM_REGISTER_SLAVE`, `COM_BINLOG_DUMP`).
    pub server_id: u32,
    /// Host name shown by `SHOW SLAVE HOSTS` on the source; none by default.
    pub report_host: Option<String>,
    /// Port shown by `SHOW SLAVE HOSTS` on the source; 0 by default.
    pub report_port: u16,
    /// Heartbeat period asked of the source (`@master_heartbeat_period`).
    pub heartbeat: Duration,
    /// How long to wait for any event or heartbeat before the connection is presumed dead.
    pub read_timeout: Duration,
    /// How long to wait for the TCP connection and handshake.
    pub connect_timeout: Duration,
}

impl fmt::Debug for SourceOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceOptions")
            .field("url", &self.redacted_url())
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("server_id", &self.server_id)
            .field("report_host", &self.report_host)
            .field("report_port", &self.report_port)
            .field("heartbeat", &self.heartbeat)
            .field("read_timeout", &self.read_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// The parts of a validated source URL.
struct ParsedUrl {
    user: String,
    password: Option<String>,
    host: String,
    port: u16,
    ssl_mode: SslMode,
    ssl_ca: Option<std::path::PathBuf>,
}

impl SourceOptions {
    /// Builds options from a `--source` URL with the defaults: server id
    /// [`DEFAULT_SERVER_ID`], heartbeat 5 s, read timeout 3 × heartbeat + 5 s (20 s),
    /// connect timeout 10 s. The password comes from the URL or, when the URL has none,
    /// from the `REPLICANT_SOURCE_PASSWORD` environment variable.
    pub fn from_url(url: &str) -> Result<Self, SourceError> {
        let parsed = parse_url(url)?;
        let password = match parsed.password {
            Some(p) => Some(p),
            None => std::env::var(PASSWORD_ENV).ok(),
        };
        let heartbeat = Duration::from_secs(5);
        Ok(SourceOptions {
            url: url.to_string(),
            password,
            server_id: DEFAULT_SERVER_ID,
            report_host: None,
            report_port: 0,
            heartbeat,
            read_timeout: heartbeat * 3 + Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
        })
    }

    /// The `mysql_async` connection options for this source: TCP only (no switch to a
    /// Unix socket), `max_allowed_packet` 1 GiB, TCP keepalive, no statement cache.
    pub fn mysql_opts(&self) -> Result<Opts, SourceError> {
        let parsed = parse_url(&self.url)?;
        let tls = match parsed.ssl_mode {
            SslMode::Disabled => None,
            SslMode::Preferred | SslMode::Required => Some(
                mysql_async::SslOpts::default()
                    .with_danger_accept_invalid_certs(true)
                    .with_danger_skip_domain_validation(true),
            ),
            SslMode::VerifyCa | SslMode::VerifyIdentity => {
                let mut ssl = mysql_async::SslOpts::default()
                    .with_danger_skip_domain_validation(parsed.ssl_mode == SslMode::VerifyCa);
                if let Some(ca) = &parsed.ssl_ca {
                    ssl = ssl.with_root_certs(vec![ca.clone().into()]);
                }
                Some(ssl)
            }
        };
        self.opts_with_tls(parsed, tls)
    }

    /// The TLS mode the URL asks for.
    pub fn ssl_mode(&self) -> Result<SslMode, SourceError> {
        Ok(parse_url(&self.url)?.ssl_mode)
    }

    /// Connection options without TLS (the fallback of `ssl-mode=preferred`).
    fn plain_opts(&self) -> Result<Opts, SourceError> {
        self.opts_with_tls(parse_url(&self.url)?, None)
    }

    fn opts_with_tls(
        &self,
        parsed: ParsedUrl,
        tls: Option<mysql_async::SslOpts>,
    ) -> Result<Opts, SourceError> {
        let password = self.password.clone().or(parsed.password);
        let builder = OptsBuilder::default()
            .ssl_opts(tls)
            .ip_or_hostname(parsed.host)
            .tcp_port(parsed.port)
            .user(Some(parsed.user))
            .pass(password)
            .prefer_socket(false)
            .max_allowed_packet(Some(MAX_ALLOWED_PACKET))
            .tcp_keepalive(Some(Duration::from_secs(60)))
            .tcp_nodelay(true)
            .stmt_cache_size(0)
            .conn_ttl(None)
            .connect_attribute("program_name", "replicant");
        Ok(Opts::from(builder))
    }

    /// The URL with any password replaced by `***`, safe for logs and messages.
    pub fn redacted_url(&self) -> String {
        redact(&self.url)
    }

    /// `host:port` of the source, for messages.
    pub fn address(&self) -> String {
        match parse_url(&self.url) {
            Ok(p) if p.host.contains(':') => format!("[{}]:{}", p.host, p.port),
            Ok(p) => format!("{}:{}", p.host, p.port),
            Err(_) => self.redacted_url(),
        }
    }
}

/// Replaces the password part of a URL-like string with `***`, even when the string is
/// not a valid URL (so that error messages about bad URLs do not leak it either).
fn redact(url: &str) -> String {
    // Without a scheme, treat the whole string as the authority (`user:pw@host`).
    let rest_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[rest_start..];
    let Some(at) = rest.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &rest[..at];
    match userinfo.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..rest_start],
            &userinfo[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

/// Decodes `%XX` escapes (user names and passwords may contain `@`, `:`, `/`).
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "a `%` escape is not followed by two hex digits".to_string())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a `%` escape does not decode to UTF-8".to_string())
}

fn parse_url(raw: &str) -> Result<ParsedUrl, SourceError> {
    let bad = |problem: &str| {
        SourceError::Config(format!(
            "--source `{}`: {problem}; expected {EXPECTED_FORM}",
            redact(raw)
        ))
    };
    let url = url::Url::parse(raw.trim()).map_err(|e| bad(&format!("not a URL ({e})")))?;
    match url.scheme() {
        "mysql" | "mariadb" => {}
        other => {
            return Err(bad(&format!(
                "scheme `{other}` is not mysql:// or mariadb://"
            )))
        }
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        _ => return Err(bad("the host is missing")),
    };
    if url.username().is_empty() {
        return Err(bad("the user name is missing"));
    }
    let user = percent_decode(url.username()).map_err(|e| bad(&format!("user name: {e}")))?;
    let password = match url.password() {
        Some(p) => Some(percent_decode(p).map_err(|e| bad(&format!("password: {e}")))?),
        None => None,
    };
    if !(url.path().is_empty() || url.path() == "/") {
        return Err(bad(&format!(
            "unexpected path `{}` (name tables with --tables, not in the URL)",
            url.path()
        )));
    }
    if url.fragment().is_some() {
        return Err(bad("fragments (`#…`) are not supported"));
    }
    let mut ssl_mode = SslMode::Preferred;
    let mut ssl_ca = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "ssl-mode" | "ssl_mode" | "sslmode" => {
                ssl_mode = value.parse().map_err(|e: String| bad(&e))?;
            }
            "ssl-ca" | "ssl_ca" => {
                let path = std::path::PathBuf::from(value.as_ref());
                if !path.is_file() {
                    return Err(bad(&format!("ssl-ca file `{value}` does not exist")));
                }
                ssl_ca = Some(path);
            }
            other => {
                return Err(bad(&format!(
                    "unknown parameter `{other}` (known: ssl-mode, ssl-ca)"
                )))
            }
        }
    }
    if ssl_ca.is_some() && matches!(ssl_mode, SslMode::Disabled | SslMode::Preferred) {
        ssl_mode = SslMode::VerifyCa;
    }
    Ok(ParsedUrl {
        user,
        password,
        host,
        port: url.port().unwrap_or(3306),
        ssl_mode,
        ssl_ca,
    })
}

/// Connects to the source and finds out what it is.
///
/// Detects the flavor from `VERSION()` / `@@version_comment` ("MariaDB" in either means
/// MariaDB), parses the version, and reads `@@server_id` and, on MySQL, `@@server_uuid`.
/// A connection that does not complete within `connect_timeout` fails with a
/// [`SourceError::Connection`] carrying an I/O timeout (which counts as transient).
pub async fn connect(opts: &SourceOptions) -> Result<(Conn, ServerInfo), SourceError> {
    let mysql_opts = opts.mysql_opts()?;
    let attempt = match tokio::time::timeout(opts.connect_timeout, Conn::new(mysql_opts)).await {
        // ssl-mode=preferred: a server without TLS gets a plain connection.
        Ok(Err(mysql_async::Error::Driver(
            mysql_async::DriverError::NoClientSslFlagFromServer,
        ))) if opts.ssl_mode()? == SslMode::Preferred => {
            tokio::time::timeout(opts.connect_timeout, Conn::new(opts.plain_opts()?)).await
        }
        other => other,
    };
    let mut conn = match attempt {
        Ok(result) => result?,
        Err(_) => {
            let io = std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "connecting to {} timed out after {:?}",
                    opts.address(),
                    opts.connect_timeout
                ),
            );
            return Err(SourceError::Connection(mysql_async::Error::from(io)));
        }
    };
    let info = server_info(&mut conn).await?;
    Ok((conn, info))
}

/// Reads flavor, version and identity from an open connection (see [`connect`]).
pub async fn server_info(conn: &mut Conn) -> Result<ServerInfo, SourceError> {
    let row: Option<Row> = conn
        .query_first("SELECT VERSION(), @@version_comment, @@server_id")
        .await?;
    let row =
        row.ok_or_else(|| SourceError::Protocol("SELECT VERSION() returned no row".to_string()))?;
    let version_string = cell_text(&row, 0).unwrap_or_default();
    let comment = cell_text(&row, 1).unwrap_or_default();
    let server_id_text = cell_text(&row, 2).unwrap_or_default();
    let server_id: u32 = server_id_text.trim().parse().map_err(|_| {
        SourceError::Protocol(format!("@@server_id is `{server_id_text}`, not a number"))
    })?;
    let flavor = detect_flavor(&version_string, &comment);
    let version = parse_version(&version_string).ok_or_else(|| {
        SourceError::Protocol(format!(
            "cannot read a version number from VERSION() = `{version_string}`"
        ))
    })?;
    let server_uuid = match flavor {
        Flavor::MariaDb => None,
        // MySQL branch: untested against a live MySQL server (none available here).
        Flavor::MySql => {
            let uuid: Option<Row> = conn.query_first("SELECT @@server_uuid").await?;
            uuid.and_then(|r| cell_text(&r, 0))
        }
    };
    Ok(ServerInfo {
        flavor,
        version,
        version_string,
        server_id,
        server_uuid,
    })
}

/// MariaDB when either the version string or the version comment says so.
fn detect_flavor(version: &str, comment: &str) -> Flavor {
    if version.to_ascii_lowercase().contains("mariadb")
        || comment.to_ascii_lowercase().contains("mariadb")
    {
        Flavor::MariaDb
    } else {
        Flavor::MySql
    }
}

/// Parses the leading `major.minor.patch` of a version string, skipping the `5.5.5-`
/// prefix that MariaDB puts in its handshake for old clients.
fn parse_version(s: &str) -> Option<(u16, u16, u16)> {
    let s = s.trim();
    let s = match s.strip_prefix("5.5.5-") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => s,
    };
    let mut parts = s.splitn(3, '.');
    let major = leading_number(parts.next()?)?;
    let minor = leading_number(parts.next()?)?;
    let patch = parts.next().and_then(leading_number).unwrap_or(0);
    Some((major, minor, patch))
}

fn leading_number(s: &str) -> Option<u16> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s[..end].parse().ok()
}

/// A result cell as text, the way the server printed it (`None` for SQL NULL).
/// Used by the source modules to read `SHOW` output and variables without panicking.
pub(crate) fn cell_text(row: &Row, index: usize) -> Option<String> {
    match row.as_ref(index)? {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(d) => Some(d.to_string()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_url() {
        let p = parse_url("mysql://repl:s%40cret@db.example.com:3307").unwrap();
        assert_eq!(p.user, "repl");
        assert_eq!(p.password.as_deref(), Some("s@cret"));
        assert_eq!(p.host, "db.example.com");
        assert_eq!(p.port, 3307);
        let p = parse_url("mariadb://u@[::1]/").unwrap();
        assert_eq!(p.host, "::1");
        assert_eq!(p.port, 3306);
        assert_eq!(p.password, None);
    }

    #[test]
    fn rejects_bad_urls_naming_the_flag_without_the_password() {
        for bad in [
            "postgres://u:pw@h",
            "mysql://h:3306",
            "mysql://u:pw@h/db",
            "mysql://u:pw@h?ssl=1",
            "mysql://u:pw@h?ssl-mode=sometimes",
            "mysql://u:pw@h?ssl-ca=/nonexistent/ca.pem",
            "u:pw@h",
            "mysql://u:pw@h:notaport",
        ] {
            let err = parse_url(bad).err().unwrap().to_string();
            assert!(err.contains("--source"), "{err}");
            assert!(err.contains("mysql://user[:password]@host[:port]"), "{err}");
            assert!(!err.contains("pw@"), "password leaked: {err}");
        }
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("mysql://u:pw@h:1"), "mysql://u:***@h:1");
        assert_eq!(redact("mysql://u@h:1"), "mysql://u@h:1");
        assert_eq!(redact("mysql://u:p@w@h"), "mysql://u:***@h");
        assert_eq!(redact("u:pw@h"), "u:***@h");
        let o = SourceOptions::from_url("mysql://u:pw@h:1").unwrap();
        assert_eq!(o.redacted_url(), "mysql://u:***@h:1");
        assert!(!format!("{o:?}").contains("pw"));
    }

    #[test]
    fn defaults() {
        let o = SourceOptions::from_url("mysql://u:pw@h").unwrap();
        assert_eq!(o.server_id, DEFAULT_SERVER_ID);
        assert_eq!(o.heartbeat, Duration::from_secs(5));
        assert_eq!(o.read_timeout, Duration::from_secs(20));
        assert_eq!(o.connect_timeout, Duration::from_secs(10));
        assert_eq!(o.password.as_deref(), Some("pw"));
        assert!(o.mysql_opts().is_ok());
        assert_eq!(o.address(), "h:3306");
    }

    #[test]
    fn versions_and_flavors() {
        assert_eq!(
            parse_version("10.11.6-MariaDB-0+deb12u1-log"),
            Some((10, 11, 6))
        );
        assert_eq!(parse_version("5.5.5-10.11.6-MariaDB"), Some((10, 11, 6)));
        assert_eq!(parse_version("8.0.36"), Some((8, 0, 36)));
        assert_eq!(parse_version("8.4"), Some((8, 4, 0)));
        assert_eq!(parse_version("garbage"), None);
        assert_eq!(detect_flavor("10.11.6-MariaDB-log", ""), Flavor::MariaDb);
        assert_eq!(
            detect_flavor("10.5.1", "mariadb.org binary distribution"),
            Flavor::MariaDb
        );
        assert_eq!(
            detect_flavor("8.0.36", "MySQL Community Server - GPL"),
            Flavor::MySql
        );
        assert_eq!(Flavor::MySql.to_string(), "MySQL");
        assert_eq!(Flavor::MariaDb.to_string(), "MariaDB");
    }
}
