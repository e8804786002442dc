//! Table maps (placeholder).
/// Placeholder.
#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo;
