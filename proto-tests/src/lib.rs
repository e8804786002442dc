//! Shared helpers for protocol conformance tests (binlog corpus location).
