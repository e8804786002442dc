//! Binlog bytes to typed values and changes, written to never panic on bad input.
//!
//! `framing` splits a byte stream into events and checks their CRC32; `events` maps each
//! event type to a change, an explicit ignore, or an error; `table_map` and `rows` decode
//! row images column by column (`temporal`, `decimal`, `json` for the harder types);
//! `mariadb` decodes the MariaDB-only events that mysql_common does not know.

pub mod decimal;
pub mod error;
pub mod json;
pub mod reader;

pub use error::{DecodeError, DecodeResult};
pub use reader::Reader;

pub mod bodies;
pub mod column;
pub mod events;
pub mod framing;
pub mod rows;
pub mod table_map;
pub mod temporal;

pub use events::{Decoder, Notice};
