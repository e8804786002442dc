//! Test harness: private MariaDB servers for end-to-end tests.
//!
//! Start one with [`MariaDb::start`] (or [`MariaDb::start_with`] and [`MariaDbOptions`]
//! to change or drop server settings); it is killed and its directory removed on drop.

#![warn(missing_docs)]

pub mod fixtures;
pub mod mariadb;
pub mod replica;
pub mod server;

pub use mariadb::{find_binary, MariaDb, MariaDbOptions, INSTALL_HINT};
