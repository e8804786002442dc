//! The listener: accepts connections, gives each an id and a task, enforces the
//! connection limit, and stops on shutdown.
//!
//! Over the limit a client gets ERR 1040 "Too many connections" (sequence id 0, in
//! place of the greeting) and is closed. A connection that does not finish its login
//! within [`HANDSHAKE_TIMEOUT`] is closed. On shutdown the listener closes at once, idle
//! connections close, and running statements get [`SHUTDOWN_GRACE`] to finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, warn};

use super::command::prepared::Statements;
use super::config::ServerConfig;
use super::connection::Connection;
use super::handshake::{handshake, Greeting};
use super::packet::{PacketIo, Stream, DEFAULT_MAX_PACKET};
use super::WireError;
use crate::query::process::ProcessList;
use crate::query::Engine;

/// Longest time from accept to a finished login.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long running statements may continue after shutdown was asked.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A bound, not yet serving, query server.
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    config: Arc<ServerConfig>,
    tls: Option<TlsAcceptor>,
}

/// Checks `config` ([`ServerConfig::check`]), loads the TLS certificate and binds the
/// listening socket; serving starts with [`Server::serve`].
pub async fn bind(config: ServerConfig) -> Result<Server, WireError> {
    config.check().map_err(WireError::Config)?;
    let tls = config.tls.as_ref().map(super::tls::acceptor).transpose()?;
    let listener = TcpListener::bind(&config.listen).await?;
    let addr = listener.local_addr()?;
    Ok(Server {
        listener,
        addr,
        config: Arc::new(config),
        tls,
    })
}

/// Decrements the open-connection count when a connection task ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Server {
    /// The address actually bound (port 0 in the settings picks a free one).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves connections over `engine` until `shutdown` completes, then waits up to
    /// [`SHUTDOWN_GRACE`] for running statements.
    pub async fn serve(self, engine: Arc<Engine>, shutdown: impl Future<Output = ()>) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let open = Arc::new(AtomicUsize::new(0));
        let next_id = AtomicU32::new(1);
        let mut tasks = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        let _ = tcp.set_nodelay(true);
                        let id = next_connection_id(&next_id);
                        if open.load(Ordering::SeqCst) >= self.config.max_connections {
                            tasks.spawn(refuse(tcp));
                            continue;
                        }
                        open.fetch_add(1, Ordering::SeqCst);
                        let slot = Slot(open.clone());
                        tasks.spawn(connection(
                            tcp,
                            peer,
                            id,
                            engine.clone(),
                            self.config.clone(),
                            self.tls.clone(),
                            stop_rx.clone(),
                            slot,
                        ));
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        drop(self.listener);
        let _ = stop_tx.send(true);
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tasks.shutdown().await;
        }
    }
}

/// The next connection id: 1, 2, … (0 is skipped when the counter wraps).
fn next_connection_id(next: &AtomicU32) -> u32 {
    loop {
        let id = next.fetch_add(1, Ordering::Relaxed);
        if id != 0 {
            return id;
        }
    }
}

/// ERR 1040 in place of the greeting, then close.
async fn refuse(tcp: TcpStream) {
    let mut io = PacketIo::new(Stream::Plain(tcp), DEFAULT_MAX_PACKET);
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        io.send_error(1040, "08004", "Too many connections"),
    )
    .await;
}

/// One connection from accept to close.
#[allow(clippy::too_many_arguments)]
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    id: u32,
    engine: Arc<Engine>,
    config: Arc<ServerConfig>,
    tls: Option<TlsAcceptor>,
    stop: watch::Receiver<bool>,
    _slot: Slot,
) {
    let host = peer.ip().to_string();
    let greeting = Greeting {
        connection_id: id,
        version: &engine.config.version,
        config: &config,
        tls: tls.as_ref(),
        client_host: &host,
    };
    let logged_in = match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(tcp, &greeting)).await {
        Err(_) => {
            debug!(id, %peer, "login timed out");
            return;
        }
        Ok(Err(e)) => {
            debug!(id, %peer, error = %e, "login failed");
            return;
        }
        Ok(Ok(None)) => return,
        Ok(Ok(Some(l))) => l,
    };
    let peer_text = peer.to_string();
    let registration = ProcessList::register(&engine.processes, id, &logged_in.user, &peer_text);
    let mut session = engine.session(registration.process.clone(), &logged_in.user);
    if logged_in.collation != 0 {
        session.vars.result_collation = u16::from(logged_in.collation);
    }
    let mut conn = Connection {
        io: logged_in.io,
        id,
        peer: peer_text,
        host,
        capabilities: logged_in.capabilities,
        tls: logged_in.tls,
        salt: logged_in.salt,
        engine: engine.clone(),
        config,
        session,
        registration,
        statements: Statements::default(),
    };
    if let Some(db) = &logged_in.database {
        if let Err(e) = conn.session.use_database(db) {
            let _ = conn.send_error(&e).await;
            return;
        }
    }
    conn.mark("Sleep", None);
    if conn.send_ok().await.is_err() {
        return;
    }
    conn.run(stop).await;
}
