//! Control-flow functions: `IF(cond, a, b)` and `ISNULL(x)`. (`IFNULL` and `NULLIF` are
//! DataFusion's, which behave as MySQL's.)
//!
//! `IF` is planned as a function (for its result type) and rewritten to
//! `CASE WHEN cond THEN a ELSE b END` before type coercion (see [`super::coercion`]), so
//! only the branch taken is evaluated; the row evaluation here is the fallback.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::type_coercion::binary::type_union_resolution;
use datafusion::scalar::ScalarValue;

use super::env::Env;
use super::row_udf::{ret, Def};
use super::values;

/// The control-flow functions.
pub const DEFS: &[Def] = &[
    Def::new("if", 3, 3, if_type, if_eval),
    Def::new("isnull", 1, 1, ret::int32, isnull),
];

/// The type of `IF(c, a, b)`: the type both branches coerce to.
pub fn if_type(types: &[DataType], _: &[Option<&ScalarValue>]) -> Result<DataType> {
    let branches: Vec<DataType> = types.iter().skip(1).cloned().collect();
    Ok(type_union_resolution(&branches).unwrap_or(DataType::Utf8))
}

/// MySQL truth: a non-zero number (strings read as numbers); NULL is false.
pub fn truthy(v: &ScalarValue) -> bool {
    match v {
        ScalarValue::Boolean(b) => b.unwrap_or(false),
        other => values::to_f64(other).is_some_and(|f| f != 0.0),
    }
}

fn if_eval(a: &[ScalarValue], _: &Env) -> Result<ScalarValue> {
    let c = a.first().is_some_and(truthy);
    let v = if c { a.get(1) } else { a.get(2) };
    let types: Vec<DataType> = a.iter().skip(1).map(ScalarValue::data_type).collect();
    let t = type_union_resolution(&types).unwrap_or(DataType::Utf8);
    match v {
        Some(v) if !v.is_null() => v.cast_to(&t),
        _ => ScalarValue::try_from(&t),
    }
}

fn isnull(a: &[ScalarValue], _: &Env) -> Result<ScalarValue> {
    Ok(ScalarValue::Int64(Some(i64::from(
        a.first().is_none_or(ScalarValue::is_null),
    ))))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{column, query_strings, Fixture};

    #[tokio::test]
    async fn if_isnull_ifnull() {
        let f = Fixture::new().await;
        // MariaDB 10.11: SELECT IF(1>2,'a','b'), IF(NULL,1,2), IF('0.5',1,2), IF(0,1,'x'),
        // ISNULL(NULL), ISNULL(0), IFNULL(NULL,'d'), IFNULL(3,4), NULLIF(1,1)
        let got = query_strings(
            &f.ctx,
            "SELECT IF(1>2,'a','b'), IF(NULL,1,2), IF('0.5',1,2), IF(0,1,'x'), ISNULL(NULL), \
             ISNULL(0), IFNULL(NULL,'d'), IFNULL(3,4), NULLIF(1,1)",
        )
        .await;
        assert_eq!(
            got,
            vec![vec!["b", "2", "1", "x", "1", "0", "d", "3", "NULL"]]
        );
        // IF over a column: only rows with n > 2 get their name.
        let got = column(&f.ctx, "SELECT IF(n > 2, name, '-') FROM p ORDER BY id").await;
        assert_eq!(got, vec!["alice", "-", "Bob", "-", "NULL", "-"]);
    }
}
