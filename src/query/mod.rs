//! The SQL side of the query server: statements from MySQL clients answered from the
//! materialized copy, with MySQL's semantics, types and error codes.
//!
//! `wire/` speaks the protocol and calls a [`Session`] per connection; a session routes
//! each statement (see `statement.rs`): metadata statements (`SHOW …`, `USE`, `SET`,
//! `SELECT @@var`, replica status, waits) are answered here from the catalog, and queries
//! run in Apache DataFusion over a pinned, transaction-consistent view of the store
//! (`table.rs`), with MySQL's functions and comparison rules added (`mysql/`).
//! Results travel as [`result::ResultSet`]: column definitions as MySQL describes them and
//! rows in chunks, so a large result is never held whole.

pub mod charsets;
pub mod classify;
pub mod context;
pub mod engine;
pub mod fast_path;
pub mod information_schema;
pub mod mysql;
pub mod output;
pub mod prepare;
pub mod process;
pub mod replica_status;
pub mod result;
pub mod show;
pub mod sql;
pub mod statement;
pub mod table;
pub mod tabledef;
pub mod types;
pub mod variables;
pub mod wait;

pub use engine::{Engine, EngineConfig, ReplicaView, Session};
pub use result::{ColumnDef, Outcome, ResultSet, RowChunk, SqlError};
