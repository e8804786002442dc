//! Everything that talks to the upstream MySQL or MariaDB server: connecting, preflight
//! checks, registering as a replica, streaming the binary log and decoding it into typed
//! [`change::Change`]s.

pub mod binlog_file;
pub mod change;
pub mod connect;
pub mod ddl;
pub mod decode;
pub mod error;
pub mod filter;
pub mod position;
pub mod preflight;
pub mod schema;
pub mod snapshot;
pub mod stream;
pub mod table;
pub mod text;
pub mod transaction;
pub mod value;

pub use change::{Change, RowChange, RowKind};
pub use error::SourceError;
pub use position::{FilePos, Gtid, GtidState, Position, StartPosition};
pub use value::Value;
