//! The one error type for everything that turns binlog bytes into values.

use std::fmt;

/// A binlog event or value could not be decoded.
///
/// Carries a human-readable reason: which structure was being read and what was wrong with
/// it. Decoding never panics on bad bytes; it returns this instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What was wrong, e.g. "row image: column 3 (DATETIME2) needs 5 bytes, 2 left".
    pub reason: String,
}

impl DecodeError {
    /// Builds an error from any displayable reason.
    pub fn new(reason: impl Into<String>) -> Self {
        DecodeError {
            reason: reason.into(),
        }
    }

    /// Prefixes the reason with where it happened, for errors bubbling out of nested readers.
    pub fn context(self, what: impl fmt::Display) -> Self {
        DecodeError {
            reason: format!("{what}: {}", self.reason),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for DecodeError {}

/// Shorthand for decode results.
pub type DecodeResult<T> = Result<T, DecodeError>;
