//! replicant: an embedded MySQL/MariaDB replica emulator.
//!
//! The data flow (see `docs/architecture.md`): `source` registers with the upstream server
//! as a replica and turns its binary log into a typed change stream; later stages store,
//! serve and export that stream. This crate is both the `replicant` binary's library and
//! the API the test crates use.

pub mod config;
#[cfg(feature = "store")]
pub mod demo;
#[cfg(feature = "store")]
pub mod query;
#[cfg(feature = "store")]
pub mod replica;
pub mod source;
pub mod store;
pub mod tail;
pub mod testing;
#[cfg(feature = "store")]
pub mod wire;
