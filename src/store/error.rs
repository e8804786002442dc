//! Errors of the store.

use std::path::PathBuf;

use super::codec::CodecError;
use super::keys::KeyError;

/// Why a store operation failed. Every variant says what to do where there is a fix.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB failed (disk full, I/O error, corruption).
    #[error("storage: {0}")]
    Rocks(#[from] rocksdb::Error),
    /// The data directory cannot be created or read.
    #[error("data directory {path}: {error}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// Another process holds the data directory open for writing.
    #[error(
        "data directory {path} is in use by another replicant process (stop it first, or give \
         this one its own --data-dir): {detail}"
    )]
    Locked {
        /// The directory.
        path: PathBuf,
        /// RocksDB's message.
        detail: String,
    },
    /// The directory holds no replicant data.
    #[error(
        "{0} is not a replicant data directory (run `replicant run --data-dir` to create one)"
    )]
    NotADataDir(PathBuf),
    /// The data directory was written by a newer replicant.
    #[error(
        "data directory format {found} is newer than this replicant supports ({supported}): \
         upgrade replicant"
    )]
    Format {
        /// Format found.
        found: u32,
        /// Format this build writes.
        supported: u32,
    },
    /// A write was attempted on a read-only store.
    #[error("the store is open read-only")]
    ReadOnly,
    /// A stored row could not be encoded or decoded.
    #[error("{table}: {error}")]
    Codec {
        /// `schema.table`.
        table: String,
        /// The codec's error.
        error: CodecError,
    },
    /// A primary key could not be encoded.
    #[error("{table}: {error}")]
    Key {
        /// `schema.table`.
        table: String,
        /// The key error.
        error: KeyError,
    },
    /// A row change does not fit the stored copy (e.g. an update of a row that is not
    /// there): the copy and the source disagree.
    #[error("{table}: {problem}")]
    Mismatch {
        /// `schema.table`.
        table: String,
        /// What disagrees.
        problem: String,
    },
    /// Stored bytes are not what this build writes.
    #[error("corrupt data directory: {0}")]
    Corrupt(String),
}
