//! Functions answering from the session: `DATABASE()`, `USER()`, `CONNECTION_ID()`,
//! `VERSION()`, `LAST_INSERT_ID()`, `FOUND_ROWS()`, `ROW_COUNT()`.

use datafusion::common::Result;
use datafusion::scalar::ScalarValue;

use super::env::Env;
use super::row_udf::{ret, Def};

/// The session functions.
pub const DEFS: &[Def] = &[
    Def::new("database", 0, 0, ret::text, database).aliases(&["schema"]),
    Def::new("user", 0, 0, ret::text, user).aliases(&[
        "current_user",
        "session_user",
        "system_user",
    ]),
    Def::new("connection_id", 0, 0, ret::uint32, connection_id),
    Def::new("version", 0, 0, ret::text, version),
    // Nothing is ever inserted through replicant: 0, as on a fresh connection.
    Def::new("last_insert_id", 0, 1, ret::uint64, last_insert_id),
    // No SQL_CALC_FOUND_ROWS bookkeeping: 0.
    Def::new("found_rows", 0, 0, ret::int, zero),
    // A SELECT sets ROW_COUNT() to -1.
    Def::new("row_count", 0, 0, ret::int, minus_one),
];

fn database(_: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    Ok(ScalarValue::Utf8(env.info.database.clone()))
}

fn user(_: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    Ok(ScalarValue::Utf8(Some(env.info.user.clone())))
}

fn connection_id(_: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    Ok(ScalarValue::Int64(
        i64::try_from(env.info.connection_id).ok(),
    ))
}

fn version(_: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    Ok(ScalarValue::Utf8(Some(env.info.version.clone())))
}

/// `LAST_INSERT_ID(x)` returns x (and would set it); without an argument 0.
fn last_insert_id(a: &[ScalarValue], _: &Env) -> Result<ScalarValue> {
    Ok(match a.first() {
        Some(v) => ScalarValue::Int64(super::values::to_i64(v)),
        None => ScalarValue::Int64(Some(0)),
    })
}

fn zero(_: &[ScalarValue], _: &Env) -> Result<ScalarValue> {
    Ok(ScalarValue::Int64(Some(0)))
}

fn minus_one(_: &[ScalarValue], _: &Env) -> Result<ScalarValue> {
    Ok(ScalarValue::Int64(Some(-1)))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{query_strings, Fixture};

    #[tokio::test]
    async fn session_functions() {
        let f = Fixture::new().await;
        let got = query_strings(
            &f.ctx,
            "SELECT DATABASE(), SCHEMA(), USER(), CURRENT_USER(), CONNECTION_ID(), VERSION(), \
             LAST_INSERT_ID(), FOUND_ROWS()",
        )
        .await;
        assert_eq!(
            got,
            vec![vec![
                "t",
                "t",
                "app@localhost",
                "app@localhost",
                "42",
                "10.11.6-MariaDB-replicant",
                "0",
                "0"
            ]]
        );
    }
}
