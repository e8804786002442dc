//! MySQL binary JSON and JSON diff decoding (placeholder, being written).
