//! Connecting to the source (placeholder, being written).
