//! The materialized copy in RocksDB.
//!
//! - [`db`]: the data directory, its column families and durability policy;
//! - [`keys`]: order-preserving primary key encoding, so RocksDB's key order is the
//!   source's primary key order; [`rows`]: the key layouts built on it;
//! - [`codec`]: the versioned row value format (bincode 2);
//! - [`catalog`]: table definitions and per-table replication state;
//! - [`apply`]: committed transactions into atomic batches with their position;
//! - [`changelog`]: every applied change, kept for change exports;
//! - [`row_ref`]: stored rows read without copying their strings (queries);
//! - [`read`]: consistent reads of the copy from pinned views;
//! - [`json_patch`]: MySQL partial JSON updates applied to stored values.

#[cfg(feature = "store")]
pub mod apply;
#[cfg(feature = "store")]
pub mod catalog;
#[cfg(feature = "store")]
pub mod changelog;
pub mod codec;
#[cfg(feature = "store")]
pub mod db;
#[cfg(feature = "store")]
pub mod error;
pub mod json_patch;
pub mod keys;
#[cfg(feature = "store")]
pub mod read;
pub mod row_ref;
#[cfg(feature = "store")]
pub mod rows;
mod weights;

#[cfg(feature = "store")]
pub use db::{Durability, ReadView, Store};
#[cfg(feature = "store")]
pub use error::StoreError;
