//! Test fixtures: a context with MySQL semantics installed and a table `p` holding the
//! same rows as the MariaDB table the expected values were taken from:
//!
//! ```sql
//! CREATE TABLE p (id INT, name VARCHAR(20) COLLATE utf8mb4_general_ci,
//!   b VARCHAR(20) COLLATE utf8mb4_bin, l VARCHAR(20) CHARACTER SET latin1, n INT,
//!   d DECIMAL(10,2), dt DATETIME, dd DATE);
//! INSERT INTO p VALUES (1,'alice','alice','Åsa',5,1.50,'2024-01-31 10:20:30','2024-01-31'),
//!   (2,'ALICE','ALICE','asa',NULL,2.25,'2024-02-29 23:59:59','2024-02-29'),
//!   (3,'Bob','Bob','Öl',7,NULL,NULL,NULL), (4,'b','b','ol',2,-3.10,'2023-12-31 00:00:00','2023-12-31'),
//!   (5,NULL,NULL,NULL,3,0.00,'2024-03-01 12:00:00','2024-03-01'),
//!   (6,'alice ','alice ','x',1,1,'2024-01-01','2024-01-01');
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;

use super::env::{Env, SessionInfo};
use super::values::to_text;
use super::COLLATION_KEY;

/// A context with the fixture table `p`.
pub struct Fixture {
    /// The context.
    pub ctx: SessionContext,
}

fn text_field(name: &str, collation: &str) -> Field {
    Field::new(name, DataType::Utf8, true).with_metadata(HashMap::from([(
        COLLATION_KEY.to_string(),
        collation.to_string(),
    )]))
}

fn micros(s: &str) -> Option<i64> {
    super::temporal::parse_datetime(s).and_then(|c| super::temporal::micros_from_datetime(c.dt))
}

fn days(s: &str) -> Option<i32> {
    super::temporal::parse_datetime(s).and_then(|c| super::temporal::days_from_date(c.dt.date()))
}

impl Fixture {
    /// The fixture, session time zone `+00:00`.
    pub async fn new() -> Fixture {
        Fixture::with_session(SessionInfo {
            time_zone: "+00:00".into(),
            database: Some("t".into()),
            user: "app@localhost".into(),
            connection_id: 42,
            version: "10.11.6-MariaDB-replicant".into(),
        })
        .await
    }

    /// The fixture with a given session.
    pub async fn with_session(info: SessionInfo) -> Fixture {
        let ctx = SessionContext::new_with_config(super::configure(SessionConfig::new()));
        let installed = super::install(&ctx).and_then(|()| super::install_session(&ctx, &info));
        assert!(installed.is_ok(), "{installed:?}");
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            text_field("name", "45"),
            text_field("b", "46"),
            text_field("l", "8"),
            Field::new("n", DataType::Int64, true),
            Field::new("d", DataType::Decimal128(10, 2), true),
            Field::new("dt", DataType::Timestamp(TimeUnit::Microsecond, None), true),
            Field::new("dd", DataType::Date32, true),
        ]));
        let names = [
            Some("alice"),
            Some("ALICE"),
            Some("Bob"),
            Some("b"),
            None,
            Some("alice "),
        ];
        let dts = [
            "2024-01-31 10:20:30",
            "2024-02-29 23:59:59",
            "",
            "2023-12-31 00:00:00",
            "2024-03-01 12:00:00",
            "2024-01-01",
        ];
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6])),
            Arc::new(StringArray::from(names.to_vec())),
            Arc::new(StringArray::from(names.to_vec())),
            Arc::new(StringArray::from(vec![
                Some("Åsa"),
                Some("asa"),
                Some("Öl"),
                Some("ol"),
                None,
                Some("x"),
            ])),
            Arc::new(Int64Array::from(vec![
                Some(5),
                None,
                Some(7),
                Some(2),
                Some(3),
                Some(1),
            ])),
            Arc::new(
                Decimal128Array::from(vec![
                    Some(150),
                    Some(225),
                    None,
                    Some(-310),
                    Some(0),
                    Some(100),
                ])
                .with_precision_and_scale(10, 2)
                .unwrap_or_else(|_| Decimal128Array::from(vec![None::<i128>; 6])),
            ),
            Arc::new(TimestampMicrosecondArray::from(
                dts.iter().map(|s| micros(s)).collect::<Vec<_>>(),
            )),
            Arc::new(Date32Array::from(
                dts.iter().map(|s| days(s)).collect::<Vec<_>>(),
            )),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns);
        assert!(batch.is_ok(), "{batch:?}");
        let table =
            batch.and_then(|b| MemTable::try_new(schema, vec![vec![b]]).map_err(Into::into));
        match table {
            Ok(t) => {
                let registered = ctx.register_table("p", Arc::new(t));
                assert!(registered.is_ok());
            }
            Err(e) => panic!("fixture table: {e}"),
        }
        Fixture { ctx }
    }
}

/// Plans and runs a statement as the query layer does: parsed in the MySQL dialect, then
/// [`super::rewrite_statement`], then planned and executed (analyzer rules included).
pub async fn run(ctx: &SessionContext, sql: &str) -> datafusion::error::Result<Vec<RecordBatch>> {
    let state = ctx.state();
    let mut stmt = state.sql_to_statement(sql, &datafusion::config::Dialect::MySQL)?;
    if let datafusion::sql::parser::Statement::Statement(s) = &mut stmt {
        super::rewrite_statement(s.as_mut());
    }
    let plan = state.statement_to_plan(stmt).await?;
    ctx.execute_logical_plan(plan).await?.collect().await
}

/// Runs a query; each value as the MySQL text protocol shows it (`NULL` for NULL).
pub async fn query_strings(ctx: &SessionContext, sql: &str) -> Vec<Vec<String>> {
    let env = Env::new(SessionInfo {
        time_zone: "+00:00".into(),
        ..SessionInfo::default()
    });
    let env = match env {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    };
    let batches = match run(ctx, sql).await {
        Ok(b) => b,
        Err(e) => panic!("{sql}: {e}"),
    };
    let mut rows = Vec::new();
    for b in &batches {
        for r in 0..b.num_rows() {
            let mut row = Vec::new();
            for c in b.columns() {
                let v = ScalarValue::try_from_array(c, r).unwrap_or(ScalarValue::Null);
                row.push(to_text(&v, &env).unwrap_or_else(|| "NULL".into()));
            }
            rows.push(row);
        }
    }
    rows
}

/// The type of each result column (of the executed plan).
pub async fn query_types(ctx: &SessionContext, sql: &str) -> Vec<DataType> {
    match run(ctx, sql).await {
        Ok(batches) => batches
            .first()
            .map(|b| {
                b.schema()
                    .fields()
                    .iter()
                    .map(|f| f.data_type().clone())
                    .collect()
            })
            .unwrap_or_default(),
        Err(e) => panic!("{sql}: {e}"),
    }
}

/// Rows written one per line, values separated by whitespace.
pub fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// One column's values, in order.
pub async fn column(ctx: &SessionContext, sql: &str) -> Vec<String> {
    query_strings(ctx, sql)
        .await
        .into_iter()
        .map(|r| r.into_iter().next().unwrap_or_default())
        .collect()
}
