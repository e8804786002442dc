//! MySQL binary DECIMAL decoding (placeholder, being written).
