//! The materialized copy in RocksDB: the row value codec ([`codec`]) and the
//! order-preserving primary key encoding ([`keys`]) that makes RocksDB's bytewise key order
//! equal the source's primary key order.

pub mod codec;
pub mod keys;
mod weights;
