//! What the query server needs to know: where to listen, who may log in, TLS.

use std::path::PathBuf;
use std::time::Duration;

/// A user allowed to log in.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// User name.
    pub name: String,
    /// How the password is checked.
    pub password: Password,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A user's credential as configured.
#[derive(Clone, PartialEq, Eq)]
pub enum Password {
    /// No password: any password is refused except the empty one.
    None,
    /// The password in clear (from the config file or an environment variable); both
    /// `mysql_native_password` and `caching_sha2_password` logins work.
    Plain(String),
    /// A `mysql_native_password` hash as MySQL stores it: `*` and 40 hex digits
    /// (`SELECT PASSWORD('…')`); only `mysql_native_password` logins work.
    NativeHash([u8; 20]),
}

/// The query server's settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `host:port` to listen on.
    pub listen: String,
    /// Users allowed to log in; empty means the single user `root` without a password
    /// (only allowed on a loopback address).
    pub users: Vec<User>,
    /// PEM certificate chain and private key; `None` disables TLS.
    pub tls: Option<TlsFiles>,
    /// Refuse connections that do not switch to TLS.
    pub require_tls: bool,
    /// Most connections at once; more get error 1040 "Too many connections".
    pub max_connections: usize,
    /// A connection idle this long is closed (`wait_timeout`).
    pub idle_timeout: Duration,
}

/// TLS certificate and key files (PEM).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:3307".into(),
            users: vec![],
            tls: None,
            require_tls: false,
            max_connections: 512,
            idle_timeout: Duration::from_secs(28800),
        }
    }
}
