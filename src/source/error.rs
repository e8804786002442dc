//! Errors raised while talking to the source server.

use super::decode::DecodeError;

/// Anything that stops replication from the source, with enough detail to act on.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The source URL or related settings are unusable; names the key and the fix.
    #[error("configuration: {0}")]
    Config(String),
    /// Could not connect or authenticate, or a query failed.
    #[error("source connection: {}", describe(.0))]
    Connection(#[from] mysql_async::Error),
    /// A source setting makes replication unsafe or impossible; `fix` says what to change.
    #[error("source setting {setting} is {found}: {problem}. Fix: {fix}")]
    Preflight {
        /// The variable or privilege checked, e.g. `binlog_format`.
        setting: String,
        /// What the source has now.
        found: String,
        /// Why that does not work.
        problem: String,
        /// The exact statement or option to apply.
        fix: String,
    },
    /// The requested start position is not (or no longer) in the source's binary logs.
    #[error("start position {position} is not available on the source: {reason}")]
    PositionUnavailable {
        /// The requested position.
        position: String,
        /// Why (purged, unknown file, …) and what to do.
        reason: String,
    },
    /// A binlog event could not be decoded.
    #[error("binlog decode error at {position}: {error}")]
    Decode {
        /// Where in the binlog (file:pos) the event starts.
        position: String,
        /// What was wrong.
        error: DecodeError,
    },
    /// The source sent something the protocol does not allow here.
    #[error("replication protocol: {0}")]
    Protocol(String),
    /// The source closed the replication connection (e.g. it is shutting down).
    #[error("the source closed the replication connection: {0}")]
    Disconnected(String),
    /// No event or heartbeat arrived within the read timeout.
    #[error("no event or heartbeat from the source for {0:?}; the connection is presumed dead")]
    Timeout(std::time::Duration),
}

impl SourceError {
    /// True when reconnecting may help (network trouble, server restart), false when the
    /// same request would fail the same way (bad settings, purged position, corrupt data).
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::Connection(e) => {
                matches!(e, mysql_async::Error::Io(_) | mysql_async::Error::Driver(_))
                    || is_transient_server_error(e)
            }
            SourceError::Timeout(_) | SourceError::Disconnected(_) => true,
            _ => false,
        }
    }
}

/// Server errors that mean "the server is going away / restarting", not "you asked wrongly".
fn is_transient_server_error(e: &mysql_async::Error) -> bool {
    match e {
        // 1053 server shutdown, 1927 connection killed, 2013 lost connection,
        // 2006 gone away, 1040 too many connections, 1152/1158-1161 network errors.
        mysql_async::Error::Server(s) => matches!(
            s.code,
            1053 | 1927 | 2013 | 2006 | 1040 | 1152 | 1158 | 1159 | 1160 | 1161
        ),
        _ => false,
    }
}

/// mysql_async's I/O errors print their kind twice ("Input/output error: Input/output
/// error: Connection refused"); show the operating system's message once.
fn describe(e: &mysql_async::Error) -> String {
    match e {
        mysql_async::Error::Io(mysql_async::IoError::Io(io)) => io.to_string(),
        other => other.to_string(),
    }
}
