//! The MySQL protocol server: accepts client connections, authenticates them, and turns
//! their commands into calls on a [`crate::query::Session`].

pub mod config;

pub use config::{ServerConfig, User};
