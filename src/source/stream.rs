//! Binlog stream (placeholder).
