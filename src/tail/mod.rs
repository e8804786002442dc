//! replicant tail (placeholder).
