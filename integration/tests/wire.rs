//! The query server's protocol (`replicant::wire`) against real clients: `mysql_async`
//! (text and binary protocol, ping, change user, reset, TLS), the `mariadb` CLI, and raw
//! sockets sending garbage. The store is empty: these tests are about the protocol (a few
//! `SELECT 1` / `SELECT ?` check rows end to end); SQL answers are the query layer's tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{ChangeUserOpts, Conn, OptsBuilder, SslOpts};
use replicant::query::{Engine, EngineConfig};
use replicant::store::{Durability, Store};
use replicant::wire::config::{Password, TlsFiles, User};
use replicant::wire::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A query server over an empty store on a free loopback port.
struct TestServer {
    addr: SocketAddr,
    engine: Arc<Engine>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start(mut config: ServerConfig) -> TestServer {
        config.listen = "127.0.0.1:0".into();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), Durability::Buffered).unwrap());
        let engine = Engine::new(store, EngineConfig::default(), None);
        let server = replicant::wire::bind(config).await.unwrap();
        let addr = server.local_addr();
        let (stop, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(engine.clone(), async {
            let _ = rx.await;
        }));
        TestServer {
            addr,
            engine,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    fn opts(&self, user: &str, pass: Option<&str>) -> OptsBuilder {
        OptsBuilder::default()
            .ip_or_hostname("127.0.0.1")
            .tcp_port(self.addr.port())
            .user(Some(user))
            .pass(pass)
            .prefer_socket(false)
            // Known up front, so the client does not ask with SELECT @@… on connect.
            .max_allowed_packet(Some(64 << 20))
            .wait_timeout(Some(28800))
    }

    async fn connect(&self, user: &str, pass: Option<&str>) -> Result<Conn, mysql_async::Error> {
        Conn::new(self.opts(user, pass)).await
    }

    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), t)
                .await
                .expect("server stops")
                .unwrap();
        }
    }
}

fn users() -> Vec<User> {
    vec![
        User {
            name: "app".into(),
            password: Password::Plain("s3cret".into()),
        },
        User {
            name: "bi".into(),
            // SELECT PASSWORD('password')
            password: Password::NativeHash(hex20("2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19")),
        },
    ]
}

fn hex20(s: &str) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

fn server_code(e: &mysql_async::Error) -> Option<u16> {
    match e {
        mysql_async::Error::Server(s) => Some(s.code),
        _ => None,
    }
}

#[tokio::test]
async fn login_ping_query_prepare_and_reset() {
    let server = TestServer::start(ServerConfig::default()).await;
    let mut conn = server.connect("root", None).await.unwrap();
    assert_eq!(conn.server_version().0, 10);
    conn.ping().await.unwrap();

    // Text protocol.
    let one: Option<i64> = conn.query_first("SELECT 1").await.unwrap();
    assert_eq!(one, Some(1));
    // Binary protocol: a prepared statement with a parameter.
    let stmt = conn.prep("SELECT ?").await.unwrap();
    let v: Option<i64> = conn.exec_first(&stmt, (42,)).await.unwrap();
    assert_eq!(v, Some(42));
    let s: Option<String> = conn.exec_first(&stmt, ("héllo",)).await.unwrap();
    assert_eq!(s.as_deref(), Some("héllo"));
    conn.close(stmt).await.unwrap();
    // An error keeps the connection usable.
    let e = conn.query_drop("SELEC nonsense").await.unwrap_err();
    assert!(server_code(&e).is_some(), "{e}");
    conn.ping().await.unwrap();
    // COM_RESET_CONNECTION.
    assert!(conn.reset().await.unwrap());
    conn.ping().await.unwrap();
    // The connection is in the process list while open.
    assert_eq!(server.engine.processes.len(), 1);
    assert_eq!(server.engine.processes.rows()[0].user, "root");
    conn.disconnect().await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn passwords_change_user_and_wrong_passwords() {
    let server = TestServer::start(ServerConfig {
        users: users(),
        ..ServerConfig::default()
    })
    .await;
    let e = server.connect("app", Some("wrong")).await.unwrap_err();
    assert_eq!(server_code(&e), Some(1045), "{e}");
    assert!(
        e.to_string()
            .contains("Access denied for user 'app'@'127.0.0.1' (using password: YES)"),
        "{e}"
    );
    let e = server.connect("root", None).await.unwrap_err();
    assert_eq!(server_code(&e), Some(1045), "{e}");

    let mut conn = server.connect("app", Some("s3cret")).await.unwrap();
    conn.ping().await.unwrap();
    // The stored-hash user, by COM_CHANGE_USER (auth switch with a fresh salt).
    conn.change_user(
        ChangeUserOpts::default()
            .with_user(Some("bi".into()))
            .with_pass(Some("password".into())),
    )
    .await
    .unwrap();
    conn.ping().await.unwrap();
    assert_eq!(server.engine.processes.rows()[0].user, "bi");
    // And a direct login as that user.
    let mut bi = server.connect("bi", Some("password")).await.unwrap();
    bi.ping().await.unwrap();
    drop(bi);
    // A failed change closes the connection.
    let e = conn
        .change_user(
            ChangeUserOpts::default()
                .with_user(Some("app".into()))
                .with_pass(Some("nope".into())),
        )
        .await
        .unwrap_err();
    assert_eq!(server_code(&e), Some(1045), "{e}");
    server.stop().await;
}

/// A CA and a server certificate for 127.0.0.1, as PEM files in `dir`; returns the CA.
fn make_certs(dir: &std::path::Path) -> std::path::PathBuf {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    dir.join("ca.pem")
}

#[tokio::test]
async fn tls_logins_and_require_tls() {
    let certs = tempfile::tempdir().unwrap();
    let ca = make_certs(certs.path());
    let server = TestServer::start(ServerConfig {
        users: users(),
        tls: Some(TlsFiles {
            cert: certs.path().join("cert.pem"),
            key: certs.path().join("key.pem"),
        }),
        require_tls: true,
        ..ServerConfig::default()
    })
    .await;
    // Plaintext is refused with 3159.
    let e = server.connect("app", Some("s3cret")).await.unwrap_err();
    assert_eq!(server_code(&e), Some(3159), "{e}");
    // TLS, verifying the certificate against the CA.
    let ssl = SslOpts::default().with_root_certs(vec![ca.clone().into()]);
    let mut conn = Conn::new(server.opts("app", Some("s3cret")).ssl_opts(ssl.clone()))
        .await
        .unwrap();
    conn.ping().await.unwrap();
    // Change user over TLS.
    conn.change_user(
        ChangeUserOpts::default()
            .with_user(Some("bi".into()))
            .with_pass(Some("password".into())),
    )
    .await
    .unwrap();
    conn.ping().await.unwrap();
    // Wrong password over TLS.
    let e = Conn::new(server.opts("app", Some("x")).ssl_opts(ssl))
        .await
        .unwrap_err();
    assert_eq!(server_code(&e), Some(1045), "{e}");
    server.stop().await;

    // A bad certificate path fails at bind, naming the file.
    let bad = replicant::wire::bind(ServerConfig {
        listen: "127.0.0.1:0".into(),
        tls: Some(TlsFiles {
            cert: certs.path().join("missing.pem"),
            key: certs.path().join("key.pem"),
        }),
        ..ServerConfig::default()
    })
    .await;
    let Err(e) = bad else {
        panic!("bind accepted a missing certificate")
    };
    assert!(e.to_string().contains("missing.pem"), "{e}");
}

#[tokio::test]
async fn many_concurrent_connections() {
    let server = TestServer::start(ServerConfig::default()).await;
    let mut tasks = Vec::new();
    let barrier = Arc::new(tokio::sync::Barrier::new(200));
    for _ in 0..200 {
        let opts = server.opts("root", None);
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(opts).await.unwrap();
            conn.ping().await.unwrap();
            let id = conn.id();
            barrier.wait().await;
            conn.ping().await.unwrap();
            conn.disconnect().await.unwrap();
            id
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200, "connection ids are unique");
    server.stop().await;
}

#[tokio::test]
async fn connection_limit_and_idle_timeout() {
    let server = TestServer::start(ServerConfig {
        max_connections: 2,
        idle_timeout: Duration::from_secs(1),
        ..ServerConfig::default()
    })
    .await;
    let mut a = server.connect("root", None).await.unwrap();
    let _b = server.connect("root", None).await.unwrap();
    let e = server.connect("root", None).await.unwrap_err();
    assert_eq!(server_code(&e), Some(1040), "{e}");
    assert!(e.to_string().contains("Too many connections"), "{e}");
    a.ping().await.unwrap();
    // Idle past the timeout: the server closed both.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(a.ping().await.is_err());
    // Slots are free again.
    let mut c = server.connect("root", None).await.unwrap();
    c.ping().await.unwrap();
    server.stop().await;
}

/// Raw protocol helpers for what no well-behaved client sends.
mod raw {
    use super::*;

    /// Reads one packet: (sequence id, payload).
    pub async fn read(s: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
        let mut h = [0u8; 4];
        s.read_exact(&mut h).await?;
        let len = u32::from_le_bytes([h[0], h[1], h[2], 0]) as usize;
        let mut p = vec![0; len];
        s.read_exact(&mut p).await?;
        Ok((h[3], p))
    }

    /// Writes one packet (payload under 16 MiB).
    pub async fn write(s: &mut TcpStream, seq: u8, payload: &[u8]) {
        let len = (payload.len() as u32).to_le_bytes();
        let mut b = vec![len[0], len[1], len[2], seq];
        b.extend_from_slice(payload);
        s.write_all(&b).await.unwrap();
    }

    /// Logs in as `root` without a password; returns the stream after the OK.
    pub async fn login(addr: SocketAddr) -> TcpStream {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let (seq, greeting) = read(&mut s).await.unwrap();
        assert_eq!(seq, 0);
        assert_eq!(greeting[0], 10);
        // PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH | LONG_PASSWORD | DEPRECATE_EOF
        let caps: u32 = 0x0200 | 0x8000 | 0x0008_0000 | 0x1 | 0x0100_0000;
        let mut r = Vec::new();
        r.extend_from_slice(&caps.to_le_bytes());
        r.extend_from_slice(&(16u32 << 20).to_le_bytes());
        r.push(45);
        r.extend_from_slice(&[0; 23]);
        r.extend_from_slice(b"root\0");
        r.push(0); // empty auth response
        r.extend_from_slice(b"mysql_native_password\0");
        write(&mut s, 1, &r).await;
        let (_, ok) = read(&mut s).await.unwrap();
        assert_eq!(ok[0], 0x00, "login OK: {ok:?}");
        s
    }

    /// Sends a command (sequence 0) and returns the first reply packet.
    pub async fn command(s: &mut TcpStream, payload: &[u8]) -> std::io::Result<Vec<u8>> {
        write(s, 0, payload).await;
        read(s).await.map(|(_, p)| p)
    }

    /// The error code of an ERR packet.
    pub fn err_code(p: &[u8]) -> Option<u16> {
        (p.first() == Some(&0xFF)).then(|| u16::from_le_bytes([p[1], p[2]]))
    }
}

#[tokio::test]
async fn garbage_and_abrupt_disconnects_leave_the_server_serving() {
    let server = TestServer::start(ServerConfig::default()).await;

    // Disconnect right after the greeting, and in the middle of a packet.
    {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        raw::read(&mut s).await.unwrap();
    }
    {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        raw::read(&mut s).await.unwrap();
        s.write_all(&[50, 0, 0, 1, 1, 2, 3]).await.unwrap();
    }
    // A handshake response of garbage, and one that claims 16 MiB.
    {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        raw::read(&mut s).await.unwrap();
        raw::write(&mut s, 1, &[0xFF; 40]).await;
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
    }
    {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        raw::read(&mut s).await.unwrap();
        s.write_all(&[0xFF, 0xFF, 0xFF, 1, 0, 0]).await.unwrap();
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
    }
    // Logged in: unknown command, malformed commands, a bad sequence id.
    {
        let mut s = raw::login(server.addr).await;
        let r = raw::command(&mut s, &[0x64]).await.unwrap();
        assert_eq!(raw::err_code(&r), Some(1047));
        let r = raw::command(&mut s, &[0x0E]).await.unwrap();
        assert_eq!(r[0], 0x00, "ping after an unknown command");
        // COM_STMT_EXECUTE of an unknown statement.
        let r = raw::command(&mut s, &[0x17, 9, 0, 0, 0, 0, 1, 0, 0, 0])
            .await
            .unwrap();
        assert_eq!(raw::err_code(&r), Some(1243));
        // COM_STMT_CLOSE without its id: malformed, the connection closes.
        let r = raw::command(&mut s, &[0x19, 1]).await.unwrap();
        assert_eq!(raw::err_code(&r), Some(1835));
        assert!(
            raw::read(&mut s).await.is_err(),
            "closed after a malformed packet"
        );
    }
    {
        let mut s = raw::login(server.addr).await;
        raw::write(&mut s, 5, &[0x0E]).await;
        let (_, r) = raw::read(&mut s).await.unwrap();
        assert_eq!(raw::err_code(&r), Some(1156));
    }
    {
        // COM_INIT_DB and COM_FIELD_LIST answer (OK or an SQL error, never a hang).
        let mut s = raw::login(server.addr).await;
        let r = raw::command(&mut s, b"\x02no_such_db").await.unwrap();
        assert!(r[0] == 0x00 || raw::err_code(&r) == Some(1049), "{r:?}");
        let r = raw::command(&mut s, b"\x04t\0").await.unwrap();
        assert!(r[0] == 0xFE || r[0] == 0xFF || r[0] == 0x03, "{r:?}");
        // COM_STATISTICS: a bare text packet.
        let r = raw::command(&mut s, &[0x09]).await.unwrap();
        assert!(String::from_utf8_lossy(&r).starts_with("Uptime: "), "{r:?}");
        // COM_QUIT: the server closes.
        raw::write(&mut s, 0, &[0x01]).await;
        assert!(raw::read(&mut s).await.is_err());
    }

    // Still serving.
    let mut conn = server.connect("root", None).await.unwrap();
    conn.ping().await.unwrap();
    let one: Option<i64> = conn.query_first("SELECT 1").await.unwrap();
    assert_eq!(one, Some(1));
    server.stop().await;
}

#[tokio::test]
async fn kill_closes_the_connection() {
    let server = TestServer::start(ServerConfig::default()).await;
    let mut victim = server.connect("root", None).await.unwrap();
    let id = victim.id();
    server.engine.processes.kill(id, true).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(victim.ping().await.is_err());
    assert_eq!(server.engine.processes.len(), 0);
    server.stop().await;
}

#[tokio::test]
async fn mariadb_cli_in_batch_mode() {
    let server = TestServer::start(ServerConfig::default()).await;
    let bin = integration::find_binary("mariadb");
    let port = server.addr.port().to_string();
    let run = |sql: &'static str| {
        let bin = bin.clone();
        let port = port.clone();
        tokio::process::Command::new(bin)
            .args([
                "-h127.0.0.1",
                "-P",
                &port,
                "-uroot",
                "--batch",
                "--skip-ssl",
                "-e",
                sql,
            ])
            .kill_on_drop(true)
            .output()
    };
    let out = tokio::time::timeout(Duration::from_secs(30), run("select 1"))
        .await
        .expect("mariadb CLI finished")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(stdout, "1\n1\n");
    // An error is reported by code, and the CLI exits non-zero.
    let out = tokio::time::timeout(Duration::from_secs(30), run("selec 1"))
        .await
        .expect("mariadb CLI finished")
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ERROR "));
    server.stop().await;
}
