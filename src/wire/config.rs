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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl ServerConfig {
    /// Refuses settings that cannot work or that would expose the copy: a listen address
    /// that is not `host:port`, a non-loopback `listen` unless `users` are configured and
    /// every one has a password, `require_tls` without `tls`, and `max_connections = 0`.
    pub fn check(&self) -> Result<(), String> {
        let Some((host, port)) = self.listen.rsplit_once(':') else {
            return Err(format!(
                "listen = {:?}: give host:port, e.g. 127.0.0.1:3307",
                self.listen
            ));
        };
        if port.parse::<u16>().is_err() || host.is_empty() {
            return Err(format!(
                "listen = {:?}: give host:port, e.g. 127.0.0.1:3307",
                self.listen
            ));
        }
        let protected =
            !self.users.is_empty() && self.users.iter().all(|u| u.password != Password::None);
        if !is_loopback(&self.listen) && !protected {
            return Err(format!(
                "listen = {:?} is not a loopback address: refusing to serve the copy to the \
                 network without passwords; configure `users` with a password for every \
                 user, or listen on 127.0.0.1",
                self.listen
            ));
        }
        if self.require_tls && self.tls.is_none() {
            return Err(
                "require_tls is set but no `tls` certificate and key are configured".into(),
            );
        }
        if self.max_connections == 0 {
            return Err("max_connections must be at least 1".into());
        }
        Ok(())
    }
}

/// True when `host:port` names a loopback address (`127.x`, `[::1]`, `localhost`).
pub fn is_loopback(listen: &str) -> bool {
    if let Ok(addr) = listen.parse::<std::net::SocketAddr>() {
        return addr.ip().is_loopback();
    }
    let host = listen.rsplit_once(':').map_or(listen, |(h, _)| h);
    host.eq_ignore_ascii_case("localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_needs_passwords() {
        let mut c = ServerConfig::default();
        assert!(c.check().is_ok());
        c.listen = "0.0.0.0:3307".into();
        let e = c.check().unwrap_err();
        assert!(e.contains("listen") && e.contains("users"), "{e}");
        c.users = vec![User {
            name: "app".into(),
            password: Password::None,
        }];
        assert!(c.check().is_err());
        c.users[0].password = Password::Plain("x".into());
        assert!(c.check().is_ok());
        c.listen = "[::1]:3307".into();
        c.users.clear();
        assert!(c.check().is_ok());
        c.listen = "localhost:1".into();
        assert!(c.check().is_ok());
        c.listen = "nonsense".into();
        assert!(c.check().is_err());
    }

    #[test]
    fn require_tls_needs_a_certificate() {
        let c = ServerConfig {
            require_tls: true,
            ..ServerConfig::default()
        };
        assert!(c.check().unwrap_err().contains("tls"));
    }
}
