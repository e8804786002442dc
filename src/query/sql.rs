//! Queries through Apache DataFusion over a pinned view of the copy.

use super::engine::Session;
use super::result::{Outcome, SqlError};

/// Plans and runs a query; its rows stream from one pinned view of the store.
pub async fn query(_session: &mut Session, sql: &str) -> Result<Outcome, SqlError> {
    Err(SqlError::not_supported(sql))
}
