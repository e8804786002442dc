//! The materialized copy in RocksDB. So far: the order-preserving primary key encoding
//! ([`keys`]) that makes RocksDB's bytewise key order equal the source's primary key order.

pub mod keys;
mod weights;
