//! One client connection after login: the command loop and the replies every command
//! shares (OK, ERR, result sets, terminators).
//!
//! Each command starts a new packet exchange at sequence id 0. The loop waits for the
//! next command, for `KILL <id>`, for the idle timeout or for server shutdown, whichever
//! comes first; a statement runs to its end before `KILL` closes the connection.

use std::sync::Arc;
use std::time::Duration;

use mysql_common::constants::{CapabilityFlags, StatusFlags};
use tokio::sync::watch;
use tracing::debug;

use super::command::{self, Command, Flow};
use super::config::ServerConfig;
use super::packet::{eof_packet, ok_packet, PacketIo, Stream};
use super::resultset::{send_rows, Protocol, RowsEnd};
use super::WireError;
use crate::query::process::Registration;
use crate::query::{Engine, Outcome, Session, SqlError};

/// What ended the wait for the next command.
enum Next {
    /// A packet, or why none could be read.
    Packet(Result<Vec<u8>, WireError>),
    /// No command within the idle timeout.
    IdleTimeout,
    /// `KILL` or server shutdown.
    Stop,
}

/// A logged-in connection.
pub struct Connection {
    /// Packets to and from the client.
    pub io: PacketIo<Stream>,
    /// Connection id.
    pub id: u32,
    /// The client's address as `host:port`.
    pub peer: String,
    /// The client's host (for `'user'@'host'`).
    pub host: String,
    /// Capabilities both sides support.
    pub capabilities: CapabilityFlags,
    /// True over TLS.
    pub tls: bool,
    /// The salt of the initial handshake (COM_CHANGE_USER from clients without
    /// CLIENT_PLUGIN_AUTH is checked against it).
    pub salt: [u8; super::auth::SALT_LEN],
    /// The engine every connection shares.
    pub engine: Arc<Engine>,
    /// The server's settings.
    pub config: Arc<ServerConfig>,
    /// The SQL session (user, database, variables).
    pub session: Session,
    /// This connection's row in the process list (removed when dropped).
    pub registration: Registration,
    /// Prepared statements of this connection.
    pub statements: command::prepared::Statements,
}

impl Connection {
    /// Serves commands until the client quits, is killed, idles out, misbehaves, or the
    /// server shuts down.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let idle: Duration = self.config.idle_timeout;
        loop {
            self.io.reset_seq();
            let process = self.registration.process.clone();
            let next = tokio::select! {
                r = tokio::time::timeout(idle, self.io.read()) => match r {
                    Err(_) => Next::IdleTimeout,
                    Ok(r) => Next::Packet(r),
                },
                _ = process.kill_connection.notified() => Next::Stop,
                _ = shutdown.wait_for(|stop| *stop) => Next::Stop,
            };
            let packet = match next {
                Next::Packet(Ok(p)) => p,
                Next::Packet(Err(e)) => {
                    self.read_failed(e).await;
                    return;
                }
                Next::IdleTimeout => {
                    debug!(id = self.id, "idle timeout: closing");
                    return;
                }
                Next::Stop => return,
            };
            let flow = match Command::parse(&packet) {
                Ok(cmd) => cmd.apply(&mut self).await,
                // A malformed command: say so and close, as MySQL does.
                Err(e) => self.send_error(&e).await.map(|()| Flow::Close),
            };
            match flow {
                Ok(Flow::Continue) => {}
                Ok(Flow::Close) => return,
                Err(e) => {
                    debug!(id = self.id, error = %e, "connection ended");
                    return;
                }
            }
            if process.is_killed() {
                return;
            }
        }
    }

    /// Tells the client why its packet was refused (when the socket still works).
    async fn read_failed(&mut self, e: WireError) {
        debug!(id = self.id, error = %e, "bad packet: closing");
        let (code, message) = match &e {
            WireError::PacketTooLarge(_) => (
                1153,
                "Got a packet bigger than 'max_allowed_packet' bytes".to_string(),
            ),
            WireError::OutOfOrder { .. } => (1156, "Got packets out of order".to_string()),
            _ => return,
        };
        let _ = self.io.send_error(code, "08S01", &message).await;
    }

    /// True when the client set CLIENT_DEPRECATE_EOF (result sets end with an OK).
    pub fn deprecate_eof(&self) -> bool {
        self.capabilities
            .contains(CapabilityFlags::CLIENT_DEPRECATE_EOF)
    }

    /// Status flags of OK and EOF packets: AUTOCOMMIT as the session has it.
    pub fn status(&self) -> StatusFlags {
        if self.session.vars.autocommit {
            StatusFlags::SERVER_STATUS_AUTOCOMMIT
        } else {
            StatusFlags::empty()
        }
    }

    fn warnings(&self) -> u16 {
        u16::try_from(self.session.warnings.len()).unwrap_or(u16::MAX)
    }

    /// Sends a plain OK.
    pub async fn send_ok(&mut self) -> Result<(), WireError> {
        let ok = ok_packet(0x00, 0, self.status(), self.warnings(), "");
        self.io.send(&ok).await?;
        Ok(())
    }

    /// Sends a statement's error.
    pub async fn send_error(&mut self, e: &SqlError) -> Result<(), WireError> {
        self.io.send_error(e.code, e.state, &e.message).await?;
        Ok(())
    }

    /// Queues the end of a column list or result set: an EOF packet, or an OK with
    /// header 0xFE under CLIENT_DEPRECATE_EOF.
    pub async fn write_terminator(&mut self) -> Result<(), WireError> {
        let packet = if self.deprecate_eof() {
            ok_packet(0xFE, 0, self.status(), self.warnings(), "")
        } else {
            eof_packet(self.status(), self.warnings())
        };
        self.io.write(&packet).await?;
        Ok(())
    }

    /// Queues an old-style EOF packet unless the client set CLIENT_DEPRECATE_EOF (the
    /// packet after column definitions of result sets and prepared statements).
    pub async fn write_eof_unless_deprecated(&mut self) -> Result<(), WireError> {
        if !self.deprecate_eof() {
            self.io
                .write(&eof_packet(self.status(), self.warnings()))
                .await?;
        }
        Ok(())
    }

    /// Sends what a statement produced: an OK, a result set (terminated, or ended by an
    /// ERR if it failed part-way), or its error.
    pub async fn send_outcome(
        &mut self,
        outcome: Result<Outcome, SqlError>,
        protocol: Protocol,
    ) -> Result<(), WireError> {
        match outcome {
            Err(e) => self.send_error(&e).await,
            Ok(Outcome::Ok {
                affected_rows,
                warnings,
                info,
            }) => {
                let ok = ok_packet(0x00, affected_rows, self.status(), warnings, &info);
                self.io.send(&ok).await?;
                Ok(())
            }
            Ok(Outcome::Rows(rs)) => {
                let eof = eof_packet(self.status(), 0);
                let deprecate_eof = self.deprecate_eof();
                match send_rows(&mut self.io, protocol, deprecate_eof, &eof, rs).await? {
                    RowsEnd::Complete => {
                        self.write_terminator().await?;
                        self.io.flush().await?;
                        Ok(())
                    }
                    RowsEnd::Failed(e) => self.send_error(&e).await,
                }
            }
        }
    }

    /// Records the statement running in the process list (`Query`/`Execute` and its
    /// text), or `Sleep` when `info` is `None`; the current database is refreshed too.
    pub fn mark(&self, command: &'static str, info: Option<String>) {
        let p = &self.registration.process;
        p.set_command(command, info);
        p.set_db(self.session.database.clone());
    }
}
