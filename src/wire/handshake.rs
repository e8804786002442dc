//! The connection phase: greeting, optional TLS upgrade, handshake response and
//! authentication (including auth switch and `caching_sha2_password`'s extra rounds).
//!
//! Wire sequence:
//! 1. server → HandshakeV10 (seq 0): protocol 10, server version, connection id, salt
//!    (8 bytes, filler, 12 more + NUL), capabilities, collation 45, status AUTOCOMMIT,
//!    default plugin `mysql_native_password`;
//! 2. client → SSL request (32 bytes, only when it wants TLS) then the TLS handshake;
//! 3. client → HandshakeResponse41: capabilities, max packet, collation, user, auth
//!    response, database, plugin name, connect attributes;
//! 4. authentication ([`authenticate`]), ended by the caller's OK or ERR.
//!
//! The server keeps CLIENT_LONG_PASSWORD set (MariaDB's "CLIENT_MYSQL" bit), so MariaDB
//! clients read no extended capabilities from the reserved bytes and both families of
//! clients negotiate from the same 32 bits.

use mysql_common::constants::{CapabilityFlags, StatusFlags};
use mysql_common::io::ParseBuf;
use mysql_common::packets::{AuthMoreData, AuthSwitchRequest, HandshakePacket, HandshakeResponse};
use mysql_common::proto::MySerialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::auth::{self, CACHING_SHA2_PASSWORD, NATIVE_PASSWORD, SALT_LEN};
use super::config::ServerConfig;
use super::packet::{PacketIo, Stream};
use super::WireError;

/// Collation sent in the greeting: utf8mb4_general_ci.
pub const SERVER_COLLATION: u8 = 45;

/// The capabilities the server offers; the connection uses those the client also sets.
///
/// Not offered: CLIENT_COMPRESS, CLIENT_LOCAL_FILES (nothing is loaded),
/// CLIENT_MULTI_STATEMENTS (one statement per COM_QUERY), CLIENT_SESSION_TRACK,
/// CLIENT_QUERY_ATTRIBUTES, CLIENT_OPTIONAL_RESULTSET_METADATA.
pub fn server_capabilities(tls: bool) -> CapabilityFlags {
    let mut caps = CapabilityFlags::CLIENT_LONG_PASSWORD
        | CapabilityFlags::CLIENT_FOUND_ROWS
        | CapabilityFlags::CLIENT_LONG_FLAG
        | CapabilityFlags::CLIENT_CONNECT_WITH_DB
        | CapabilityFlags::CLIENT_NO_SCHEMA
        | CapabilityFlags::CLIENT_ODBC
        | CapabilityFlags::CLIENT_IGNORE_SPACE
        | CapabilityFlags::CLIENT_PROTOCOL_41
        | CapabilityFlags::CLIENT_INTERACTIVE
        | CapabilityFlags::CLIENT_IGNORE_SIGPIPE
        | CapabilityFlags::CLIENT_TRANSACTIONS
        | CapabilityFlags::CLIENT_RESERVED
        | CapabilityFlags::CLIENT_SECURE_CONNECTION
        | CapabilityFlags::CLIENT_MULTI_RESULTS
        | CapabilityFlags::CLIENT_PS_MULTI_RESULTS
        | CapabilityFlags::CLIENT_PLUGIN_AUTH
        | CapabilityFlags::CLIENT_CONNECT_ATTRS
        | CapabilityFlags::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
        | CapabilityFlags::CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS
        | CapabilityFlags::CLIENT_DEPRECATE_EOF;
    if tls {
        caps |= CapabilityFlags::CLIENT_SSL;
    }
    caps
}

/// What the server knows while greeting one connection.
pub struct Greeting<'a> {
    /// Connection id (the process list id).
    pub connection_id: u32,
    /// Server version string (`engine.config.version`).
    pub version: &'a str,
    /// The server's settings.
    pub config: &'a ServerConfig,
    /// TLS, when configured.
    pub tls: Option<&'a TlsAcceptor>,
    /// The client's address, for error messages (`'user'@'host'`).
    pub client_host: &'a str,
}

/// A client that logged in: the caller sends the final OK (or an ERR if its database
/// does not exist).
pub struct LoggedIn {
    /// Packets over the (possibly upgraded) stream, sequence id positioned for the OK.
    pub io: PacketIo<Stream>,
    /// Capabilities both sides support.
    pub capabilities: CapabilityFlags,
    /// The authenticated user.
    pub user: String,
    /// The database named in the handshake response.
    pub database: Option<String>,
    /// The client's collation id.
    pub collation: u8,
    /// True when the connection is TLS.
    pub tls: bool,
    /// The handshake's salt.
    pub salt: [u8; SALT_LEN],
}

/// Runs the connection phase up to a successful authentication. Refusals (bad
/// password, plaintext under `require_tls`, old clients) are sent as ERR packets and
/// returned as `Ok(None)`; protocol violations and I/O failures as errors.
pub async fn handshake(tcp: TcpStream, g: &Greeting<'_>) -> Result<Option<LoggedIn>, WireError> {
    let salt = auth::new_salt().map_err(|e| WireError::Protocol(format!("no randomness: {e}")))?;
    let caps = server_capabilities(g.tls.is_some());
    let mut io = PacketIo::new(Stream::Plain(tcp), super::packet::DEFAULT_MAX_PACKET);
    io.send(&greeting_packet(g.connection_id, g.version, &salt, caps))
        .await?;

    // The first answer: an SSL request (32 bytes with CLIENT_SSL) or the full response.
    // Read without read-ahead: the TLS ClientHello may follow in the same segment.
    let mut packet = io.read_unbuffered().await?;
    let client_caps = packet
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(|b| CapabilityFlags::from_bits_truncate(u32::from_le_bytes(b)))
        .ok_or_else(|| WireError::Protocol("handshake response too short".into()))?;
    let mut tls = false;
    if client_caps.contains(CapabilityFlags::CLIENT_SSL) && packet.len() == 32 {
        let Some(acceptor) = g.tls else {
            return Err(WireError::Protocol(
                "SSL requested but TLS is not configured".into(),
            ));
        };
        let (stream, seq, max_packet) = io.into_parts();
        let Stream::Plain(tcp) = stream else {
            return Err(WireError::Protocol("TLS requested twice".into()));
        };
        let upgraded = super::tls::upgrade(acceptor, tcp).await?;
        io = PacketIo::from_parts(Stream::Tls(Box::new(upgraded)), seq, max_packet);
        tls = true;
        packet = io.read().await?;
    }
    if g.config.require_tls && !tls {
        io.send_error(
            3159,
            "08004",
            "Connections using insecure transport are prohibited while --require_secure_transport=ON.",
        )
        .await?;
        return Ok(None);
    }
    let response: HandshakeResponse<'_> = ParseBuf(&packet)
        .parse(())
        .map_err(|e| WireError::Protocol(format!("bad handshake response: {e}")))?;
    let client_caps = response.capabilities();
    if !client_caps.contains(CapabilityFlags::CLIENT_PROTOCOL_41) {
        io.send_error(
            1251,
            "08004",
            "Client does not support authentication protocol requested by server; consider upgrading MySQL client",
        )
        .await?;
        return Ok(None);
    }
    let capabilities = caps & client_caps;
    let user = String::from_utf8_lossy(response.user()).into_owned();
    let database = response
        .db_name()
        .filter(|d| !d.is_empty())
        .map(|d| String::from_utf8_lossy(d).into_owned());
    let plugin = if client_caps.contains(CapabilityFlags::CLIENT_PLUGIN_AUTH) {
        response
            .auth_plugin()
            .map(|p| p.as_bytes().to_vec())
            .unwrap_or_default()
    } else {
        NATIVE_PASSWORD.as_bytes().to_vec()
    };
    let scramble = response.scramble_buf().to_vec();
    let collation = response.collation();
    drop(response);

    let ok = authenticate(
        &mut io,
        g.config,
        &user,
        g.client_host,
        &plugin,
        scramble,
        &salt,
        tls,
    )
    .await?;
    if !ok {
        return Ok(None);
    }
    Ok(Some(LoggedIn {
        io,
        capabilities,
        user,
        database,
        collation,
        tls,
        salt,
    }))
}

/// The HandshakeV10 packet (see the module documentation).
pub fn greeting_packet(
    connection_id: u32,
    version: &str,
    salt: &[u8; SALT_LEN],
    caps: CapabilityFlags,
) -> Vec<u8> {
    let (first, rest) = salt.split_at(8);
    let mut scramble_1 = [0u8; 8];
    scramble_1.copy_from_slice(first);
    let mut scramble_2 = rest.to_vec();
    scramble_2.push(0);
    let packet = HandshakePacket::new(
        10,
        version.as_bytes(),
        connection_id,
        scramble_1,
        Some(scramble_2),
        caps,
        SERVER_COLLATION,
        StatusFlags::SERVER_STATUS_AUTOCOMMIT,
        Some(NATIVE_PASSWORD.as_bytes()),
    );
    let mut buf = Vec::with_capacity(96);
    packet.serialize(&mut buf);
    buf
}

/// Checks the client's credentials, exchanging more packets when needed:
///
/// - `mysql_native_password`: the response is checked at once;
/// - `caching_sha2_password`: a clear-password user is checked by the fast path and
///   told so with AuthMoreData `0x03`; a user stored as a native hash needs the clear
///   password: over TLS the server asks for it (AuthMoreData `0x04`, the client answers
///   with the NUL-terminated password), otherwise it switches the client to
///   `mysql_native_password`;
/// - any other plugin: AuthSwitchRequest (`0xFE`, plugin name NUL, salt NUL) to
///   `mysql_native_password`, whose answer is the scramble under the same salt.
///
/// Returns false after sending ERR 1045 for a wrong user or password; the caller sends
/// the OK on success.
#[allow(clippy::too_many_arguments)]
pub async fn authenticate<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut PacketIo<S>,
    config: &ServerConfig,
    user: &str,
    host: &str,
    plugin: &[u8],
    response: Vec<u8>,
    salt: &[u8; SALT_LEN],
    tls: bool,
) -> Result<bool, WireError> {
    let account = auth::find_user(config, user);
    let used_password = !response.is_empty();
    let mut plugin = plugin.to_vec();
    let mut response = response;
    let mut switched = false;
    let ok = loop {
        let switch = match (plugin.as_slice(), &account) {
            (p, Some(a)) if p == NATIVE_PASSWORD.as_bytes() => {
                break auth::verify_native(&a.password, salt, &response);
            }
            (p, Some(a)) if p == CACHING_SHA2_PASSWORD.as_bytes() => {
                match auth::verify_sha2_fast(&a.password, salt, &response) {
                    Some(true) => {
                        if !response.is_empty() {
                            io.write(&more_data(&[0x03])).await?;
                        }
                        break true;
                    }
                    Some(false) => break false,
                    None if tls => {
                        io.send(&more_data(&[0x04])).await?;
                        let clear = io.read().await?;
                        break auth::verify_clear(&a.password, &clear);
                    }
                    None => true,
                }
            }
            (p, None)
                if p == NATIVE_PASSWORD.as_bytes() || p == CACHING_SHA2_PASSWORD.as_bytes() =>
            {
                break false;
            }
            _ => true,
        };
        if switch && !switched {
            switched = true;
            let mut data = salt.to_vec();
            data.push(0);
            let mut buf = Vec::with_capacity(48);
            AuthSwitchRequest::new(NATIVE_PASSWORD.as_bytes(), data).serialize(&mut buf);
            io.send(&buf).await?;
            response = io.read().await?;
            plugin = NATIVE_PASSWORD.as_bytes().to_vec();
        } else {
            break false;
        }
    };
    if !ok {
        let using = if used_password || !response.is_empty() {
            "YES"
        } else {
            "NO"
        };
        io.send_error(
            1045,
            "28000",
            &format!("Access denied for user '{user}'@'{host}' (using password: {using})"),
        )
        .await?;
    }
    Ok(ok)
}

fn more_data(data: &[u8]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(1 + data.len());
    AuthMoreData::new(data).serialize(&mut buf);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::config::{Password, User};
    use mysql_common::scramble::{scramble_native, scramble_sha256};

    #[test]
    fn greeting_parses_with_mysql_common() {
        let salt = auth::new_salt().unwrap();
        let bytes = greeting_packet(
            42,
            "10.11.0-MariaDB-replicant",
            &salt,
            server_capabilities(true),
        );
        let p: HandshakePacket<'_> = ParseBuf(&bytes).parse(()).unwrap();
        assert_eq!(p.connection_id(), 42);
        assert_eq!(p.server_version_str(), "10.11.0-MariaDB-replicant");
        assert_eq!(p.nonce(), salt.to_vec());
        assert!(p.capabilities().contains(CapabilityFlags::CLIENT_SSL));
        assert!(p
            .capabilities()
            .contains(CapabilityFlags::CLIENT_DEPRECATE_EOF));
        assert!(!p
            .capabilities()
            .contains(CapabilityFlags::CLIENT_MULTI_STATEMENTS));
        assert_eq!(p.auth_plugin_name_ref(), Some(NATIVE_PASSWORD.as_bytes()));
        assert!(!server_capabilities(false).contains(CapabilityFlags::CLIENT_SSL));
    }

    fn config() -> ServerConfig {
        ServerConfig {
            users: vec![
                User {
                    name: "app".into(),
                    password: Password::Plain("pw".into()),
                },
                User {
                    name: "hashed".into(),
                    password: Password::NativeHash(auth::native_hash(b"pw")),
                },
            ],
            ..ServerConfig::default()
        }
    }

    /// Runs `authenticate` against a scripted client; returns the verdict and every
    /// packet the server sent.
    async fn run_auth(
        user: &str,
        plugin: &str,
        first: Vec<u8>,
        replies: Vec<Vec<u8>>,
        tls: bool,
    ) -> (bool, Vec<Vec<u8>>) {
        let (a, b) = tokio::io::duplex(1 << 16);
        let salt = *b"abcdefghijklmnopqrst";
        let cfg = config();
        let user = user.to_string();
        let plugin = plugin.to_string();
        let server = tokio::spawn(async move {
            let mut io = PacketIo::new(a, 1 << 20);
            io.reset_seq();
            let ok = authenticate(
                &mut io,
                &cfg,
                &user,
                "h",
                plugin.as_bytes(),
                first,
                &salt,
                tls,
            )
            .await
            .unwrap();
            io.flush().await.unwrap();
            ok
        });
        let mut client = PacketIo::new(b, 1 << 20);
        let mut sent = vec![];
        let mut replies = replies.into_iter();
        // The server drops its end when done: reads then fail.
        while let Ok(p) = client.read().await {
            let needs_reply = matches!(p.first(), Some(0xFE)) || p == [0x01, 0x04];
            sent.push(p);
            if needs_reply {
                client.send(&replies.next().unwrap()).await.unwrap();
            }
        }
        (server.await.unwrap(), sent)
    }

    #[tokio::test]
    async fn native_logins_check_the_scramble() {
        let salt = b"abcdefghijklmnopqrst";
        let good = scramble_native(salt, b"pw").unwrap().to_vec();
        assert!(
            run_auth("app", NATIVE_PASSWORD, good.clone(), vec![], false)
                .await
                .0
        );
        assert!(
            run_auth("hashed", NATIVE_PASSWORD, good.clone(), vec![], false)
                .await
                .0
        );
        let bad = scramble_native(salt, b"nope").unwrap().to_vec();
        let (ok, sent) = run_auth("app", NATIVE_PASSWORD, bad, vec![], false).await;
        assert!(!ok);
        let err = String::from_utf8_lossy(&sent[0]).into_owned();
        assert!(
            err.contains("Access denied for user 'app'@'h' (using password: YES)"),
            "{err}"
        );
        let (ok, sent) = run_auth("nobody", NATIVE_PASSWORD, vec![], vec![], false).await;
        assert!(!ok);
        assert!(String::from_utf8_lossy(&sent[0]).contains("(using password: NO)"));
    }

    #[tokio::test]
    async fn caching_sha2_fast_path_and_switches() {
        let salt = b"abcdefghijklmnopqrst";
        let sha = scramble_sha256(salt, b"pw").unwrap().to_vec();
        let (ok, sent) = run_auth("app", CACHING_SHA2_PASSWORD, sha.clone(), vec![], false).await;
        assert!(ok);
        assert_eq!(sent, vec![vec![0x01, 0x03]], "fast auth success");
        // A native hash cannot check sha2: switch to native without TLS.
        let native = scramble_native(salt, b"pw").unwrap().to_vec();
        let (ok, sent) = run_auth(
            "hashed",
            CACHING_SHA2_PASSWORD,
            sha.clone(),
            vec![native.clone()],
            false,
        )
        .await;
        assert!(ok);
        assert_eq!(sent[0][0], 0xFE);
        assert!(sent[0].starts_with(b"\xfemysql_native_password\0abcdefghijklmnopqrst\0"));
        // Over TLS: full authentication with the clear password.
        let (ok, sent) = run_auth(
            "hashed",
            CACHING_SHA2_PASSWORD,
            sha,
            vec![b"pw\0".to_vec()],
            true,
        )
        .await;
        assert!(ok);
        assert_eq!(sent, vec![vec![0x01, 0x04]]);
        // An unknown plugin is switched to native.
        let (ok, _) = run_auth("app", "client_ed25519", vec![1, 2, 3], vec![native], false).await;
        assert!(ok);
    }
}
