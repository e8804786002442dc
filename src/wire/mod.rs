//! The MySQL protocol server: accepts client connections, authenticates them, and turns
//! their commands into calls on a [`crate::query::Session`].
//!
//! Layers, bottom up:
//! - [`packet`]: framing (3-byte length, 1-byte sequence id, payloads over 16 MiB split
//!   into 0xFFFFFF-byte pieces) and the generic OK / ERR / EOF packets;
//! - [`tls`]: the certificate and key, and the upgrade after an SSL request;
//! - [`handshake`] and [`auth`]: the greeting, capability negotiation and password checks
//!   (`mysql_native_password`, `caching_sha2_password`, auth switch);
//! - [`resultset`]: column definitions and rows in the text and binary protocols;
//! - [`command`]: one file per client command, each parsed from its packet, then applied;
//! - [`server`]: the listener, connection limits, idle timeouts and shutdown.
//!
//! The packet bodies are `mysql_common`'s types wherever it has a serializer for them
//! (handshake, handshake response, SSL request, column definitions, ERR, auth switch);
//! the few it only builds client-side (OK, COM_STMT_EXECUTE, COM_CHANGE_USER) are
//! written and parsed here.
//!
//! Bytes from the network never panic the server: every parse is bounds-checked and a
//! malformed packet ends only the connection that sent it.

pub mod auth;
pub mod command;
pub mod config;
pub mod connection;
pub mod handshake;
pub mod packet;
pub mod resultset;
pub mod server;
pub mod tls;

pub use config::{ServerConfig, User};
pub use server::{bind, Server};

/// Why the server could not start or a connection ended.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// A socket or file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The settings are unusable (the message names the setting).
    #[error("{0}")]
    Config(String),
    /// The TLS certificate or key could not be used, or the TLS handshake failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// The client sent something the protocol does not allow.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A packet larger than the server accepts (`max_allowed_packet`).
    #[error("packet of {0} bytes or more is larger than max_allowed_packet")]
    PacketTooLarge(usize),
    /// A packet arrived with an unexpected sequence id.
    #[error("packets out of order: expected sequence id {expected}, got {got}")]
    OutOfOrder {
        /// The id the server expected.
        expected: u8,
        /// The id the client sent.
        got: u8,
    },
}
