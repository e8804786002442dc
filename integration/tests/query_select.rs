//! Queries through DataFusion over the copy, compared with the same query on the source
//! (the oracle): every type family's values and column types, NULL ordering, LIMIT and
//! OFFSET, joins, subqueries, window functions, primary-key point and range lookups,
//! mixed-case names, and MySQL error codes.

use std::sync::Arc;

use futures_util::StreamExt;
use integration::fixtures::{run_statements, show, TextRow, TYPE_TABLES};
use integration::replica::{settings, sync};
use integration::MariaDb;
use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::Value as MyValue;
use replicant::query::engine::Session;
use replicant::query::process::ProcessList;
use replicant::query::sql::query;
use replicant::query::{ColumnDef, Engine, EngineConfig, Outcome, SqlError};
use replicant::source::text::format_float;
use replicant::store::Store;

/// The source's answer: column types and rows as text (session time zone UTC).
async fn source(db: &MariaDb, database: &str, sql: &str) -> (Vec<ColumnType>, Vec<TextRow>) {
    let mut conn = db.root_conn().await;
    conn.query_drop("SET time_zone = '+00:00'").await.unwrap();
    conn.query_drop(format!("USE {database}")).await.unwrap();
    let mut result = conn
        .query_iter(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let types: Vec<ColumnType> = result
        .columns_ref()
        .iter()
        .map(|c| c.column_type())
        .collect();
    let rows: Vec<mysql_async::Row> = result.collect().await.unwrap();
    let rows = rows
        .into_iter()
        .map(|r| {
            r.unwrap()
                .into_iter()
                .map(|v| match v {
                    MyValue::NULL => None,
                    MyValue::Bytes(b) => Some(b),
                    other => panic!("text protocol returned {other:?}"),
                })
                .collect()
        })
        .collect();
    (types, rows)
}

/// A protocol value as the text protocol shows it for its column.
fn text(v: &MyValue, c: &ColumnDef) -> Option<Vec<u8>> {
    let frac = |us: u32, digits: u8| {
        if digits == 0 || digits > 6 {
            String::new()
        } else {
            format!(".{:06}", us)[..usize::from(digits) + 1].to_string()
        }
    };
    Some(match v {
        MyValue::NULL => return None,
        MyValue::Bytes(b) => b.clone(),
        MyValue::Int(i) if c.column_type == ColumnType::MYSQL_TYPE_YEAR => {
            format!("{i:04}").into_bytes()
        }
        MyValue::UInt(i) if c.column_type == ColumnType::MYSQL_TYPE_YEAR => {
            format!("{i:04}").into_bytes()
        }
        MyValue::Int(i) => i.to_string().into_bytes(),
        MyValue::UInt(i) => i.to_string().into_bytes(),
        MyValue::Float(f) => format_float(f64::from(*f), true).into_bytes(),
        MyValue::Double(d) => format_float(*d, false).into_bytes(),
        MyValue::Date(y, m, d, h, mi, s, us) => {
            if c.column_type == ColumnType::MYSQL_TYPE_DATE {
                format!("{y:04}-{m:02}-{d:02}").into_bytes()
            } else {
                format!(
                    "{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}{}",
                    frac(*us, c.decimals)
                )
                .into_bytes()
            }
        }
        MyValue::Time(neg, days, h, m, s, us) => format!(
            "{}{:02}:{m:02}:{s:02}{}",
            if *neg { "-" } else { "" },
            u64::from(*days) * 24 + u64::from(*h),
            frac(*us, c.decimals)
        )
        .into_bytes(),
    })
}

struct Replica {
    session: Session,
    _registration: replicant::query::process::Registration,
}

fn open(dir: &std::path::Path, database: &str) -> Replica {
    let store = Store::open_read_only(dir).unwrap();
    let engine = Engine::new(Arc::new(store), EngineConfig::default(), None);
    let registration = ProcessList::register(&engine.processes, 1, "root", "test");
    let mut session = engine.session(registration.process.clone(), "root");
    session.database = Some(database.to_string());
    session.vars.time_zone = "+00:00".into();
    Replica {
        session,
        _registration: registration,
    }
}

/// The replica's answer: column definitions and rows as text.
async fn replica(r: &mut Replica, sql: &str) -> Result<(Vec<ColumnDef>, Vec<TextRow>), SqlError> {
    let Outcome::Rows(set) = query(&mut r.session, sql).await? else {
        panic!("{sql}: no result set");
    };
    let columns = set.columns;
    let mut rows = Vec::new();
    let mut stream = set.rows;
    while let Some(chunk) = stream.next().await {
        for row in chunk? {
            rows.push(row.iter().zip(&columns).map(|(v, c)| text(v, c)).collect());
        }
    }
    Ok((columns, rows))
}

/// Zero dates have no Arrow value: the replica shows NULL (a documented gap).
fn zero_dates_as_null(rows: &mut [TextRow]) {
    for row in rows {
        for cell in row.iter_mut() {
            if cell
                .as_deref()
                .is_some_and(|b| b.starts_with(b"0000-00-00"))
            {
                *cell = None;
            }
        }
    }
}

async fn check(db: &MariaDb, r: &mut Replica, database: &str, sql: &str, types: bool) {
    let (want_types, mut want) = source(db, database, sql).await;
    let (columns, got) = replica(r, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: replica failed: {e}"));
    zero_dates_as_null(&mut want);
    assert_eq!(got.len(), want.len(), "{sql}: row count");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if g != w {
            let g: Vec<String> = g.iter().map(show).collect();
            let w: Vec<String> = w.iter().map(show).collect();
            panic!("{sql}: row {i} differs\n replica: {g:?}\n  source: {w:?}");
        }
    }
    if types {
        let got_types: Vec<ColumnType> = columns.iter().map(|c| c.column_type).collect();
        assert_eq!(got_types, want_types, "{sql}: column types");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selects_equal_the_source() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    db.exec("CREATE DATABASE ty").await;
    for (name, columns, statements) in TYPE_TABLES {
        let mut all = vec![
            "USE ty".to_string(),
            format!("CREATE TABLE {name} ({columns})"),
        ];
        all.extend(statements.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        run_statements(&db, &refs).await;
    }
    run_statements(
        &db,
        &[
            "CREATE DATABASE shop",
            "CREATE TABLE shop.Orders (OrderId INT, Customer VARCHAR(20), Amount DECIMAL(10,2), \
             LastUpdated DATETIME)",
            "INSERT INTO shop.Orders VALUES (1, 'ann', 10.50, '2024-01-01 10:00:00'), \
             (2, 'bob', NULL, '2024-01-02 11:00:00'), (1, 'ann', 10.50, '2024-01-01 10:00:00'), \
             (3, NULL, 7.25, NULL), (4, 'cy', 99.99, '2024-02-01 00:00:00')",
            "CREATE TABLE shop.customers (name VARCHAR(20) PRIMARY KEY, city VARCHAR(20))",
            "INSERT INTO shop.customers VALUES ('ann', 'Oslo'), ('bob', 'Rome'), ('dee', 'Lima')",
            "CREATE TABLE shop.items (id BIGINT PRIMARY KEY, k2 INT, v INT)",
            "INSERT INTO shop.items SELECT seq, seq % 7, seq * 3 FROM shop.seq_1_to_20000",
            "CREATE TABLE shop.pairs (a INT, b INT, v VARCHAR(5), PRIMARY KEY (a, b))",
            "INSERT INTO shop.pairs VALUES (1,1,'x'),(1,2,'y'),(2,1,'z'),(2,5,'w'),(3,0,'q')",
        ],
    )
    .await;
    let s = settings(&db, dir.path(), "ty.*,shop.*");
    sync(&s).await;

    let mut r = open(dir.path(), "ty");
    // Every type: values and column types.
    for (name, _, _) in TYPE_TABLES {
        let order = if *name == "nopk" { "id, status" } else { "id" };
        check(
            &db,
            &mut r,
            "ty",
            &format!("SELECT * FROM {name} ORDER BY {order}"),
            true,
        )
        .await;
    }
    let ty_queries = [
        "SELECT 1",
        "SELECT id, t, b FROM integers ORDER BY t, id",
        "SELECT id, t FROM integers ORDER BY t DESC, id",
        "SELECT id FROM integers ORDER BY id LIMIT 2",
        "SELECT id FROM integers ORDER BY id LIMIT 1 OFFSET 1",
        "SELECT id, d52 FROM decimals WHERE id = 5",
        "SELECT id FROM decimals WHERE id IN (1, 3, 6) ORDER BY id",
        "SELECT id FROM decimals WHERE id > 2 AND id <= 5 ORDER BY id",
        "SELECT id FROM decimals WHERE id BETWEEN 2 AND 4 ORDER BY id",
        "SELECT id FROM decimals WHERE id < 3 ORDER BY id DESC",
        "SELECT COUNT(*) FROM strings",
        "SELECT s.id, e.e FROM strings s JOIN enums e ON e.id = s.id ORDER BY s.id",
        "SELECT id FROM strings WHERE id IN (SELECT id FROM enums WHERE e = 'a')",
        "SELECT id, (SELECT COUNT(*) FROM enums) AS n FROM integers ORDER BY id",
    ];
    for q in ty_queries {
        check(&db, &mut r, "ty", q, false).await;
    }

    let mut r = open(dir.path(), "shop");
    let shop_queries = [
        "SELECT OrderId, Customer, Amount, LastUpdated FROM Orders ORDER BY OrderId, LastUpdated",
        "SELECT orderid, lastupdated FROM Orders ORDER BY orderid, lastupdated",
        "SELECT `LastUpdated` FROM `Orders` WHERE `OrderId` = 4",
        "SELECT o.OrderId, c.city FROM Orders o LEFT JOIN customers c ON c.name = o.Customer \
         ORDER BY o.OrderId, c.city",
        "SELECT Customer, Amount FROM Orders ORDER BY Amount, Customer",
        "SELECT id, v, ROW_NUMBER() OVER (PARTITION BY k2 ORDER BY id) AS rn FROM items \
         WHERE id <= 30 ORDER BY id",
        "SELECT v FROM items WHERE id = 12345",
        "SELECT id FROM items WHERE id IN (5, 19999, 77, 30000) ORDER BY id",
        "SELECT COUNT(*), MIN(id), MAX(id) FROM items WHERE id >= 100 AND id < 9000",
        "SELECT COUNT(*) FROM items WHERE k2 = 3",
        "SELECT id FROM items ORDER BY id DESC LIMIT 3",
        "SELECT * FROM pairs WHERE a = 1 ORDER BY b",
        "SELECT * FROM pairs WHERE a = 2 AND b = 5",
        "SELECT * FROM pairs WHERE a = 2 AND b > 1",
        "SELECT a, COUNT(*) FROM pairs GROUP BY a ORDER BY a",
        "SELECT name FROM customers WHERE name IN (SELECT Customer FROM Orders) ORDER BY name",
    ];
    for q in shop_queries {
        check(&db, &mut r, "shop", q, false).await;
    }
    // Plain columns report the source's exact types.
    check(
        &db,
        &mut r,
        "shop",
        "SELECT * FROM Orders ORDER BY OrderId, LastUpdated",
        true,
    )
    .await;
    check(
        &db,
        &mut r,
        "shop",
        "SELECT * FROM items WHERE id = 5",
        true,
    )
    .await;

    // Table names resolve from any case on the replica (the source's own lookup is
    // case-sensitive on Linux, so compare with the exact name's answer).
    let exact = replica(&mut r, "SELECT OrderId FROM Orders ORDER BY 1")
        .await
        .unwrap()
        .1;
    let lower = replica(&mut r, "SELECT orderid FROM orders ORDER BY 1")
        .await
        .unwrap()
        .1;
    assert_eq!(exact, lower);
    assert_eq!(exact.len(), 5);

    // Names as written; org names as defined.
    let (cols, _) = replica(
        &mut r,
        "SELECT lastupdated, OrderId AS Id, COUNT(*) FROM Orders GROUP BY lastupdated, OrderId",
    )
    .await
    .unwrap();
    let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["lastupdated", "Id", "COUNT(*)"]);
    assert_eq!(cols[0].org_name, "LastUpdated");
    assert_eq!(cols[0].org_table, "Orders");

    // Errors as MySQL numbers them.
    let code = |e: Result<_, SqlError>| e.err().map(|e| e.code);
    assert_eq!(
        code(replica(&mut r, "SELECT * FROM nosuch").await),
        Some(1146)
    );
    assert_eq!(
        code(replica(&mut r, "SELECT nosuch FROM items").await),
        Some(1054)
    );
    assert_eq!(code(replica(&mut r, "SELEKT 1").await), Some(1064));
    assert_eq!(
        code(replica(&mut r, "SELECT * FROM nodb.t").await),
        Some(1146)
    );
    r.session.database = None;
    assert_eq!(
        code(replica(&mut r, "SELECT * FROM items").await),
        Some(1046)
    );
    assert_eq!(
        code(replica(&mut r, "DELETE FROM shop.items").await),
        Some(1290)
    );
    // sql_select_limit caps a SELECT without LIMIT.
    r.session.vars.sql_select_limit = 3;
    let (_, rows) = replica(&mut r, "SELECT id FROM shop.items").await.unwrap();
    assert_eq!(rows.len(), 3);
    let (_, rows) = replica(&mut r, "SELECT id FROM shop.items LIMIT 5")
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);

    // Point-select speed, printed beside the source's (sysbench oltp_point_select shape).
    let n = 2000;
    let started = std::time::Instant::now();
    for i in 0..n {
        let sql = format!("SELECT v FROM shop.items WHERE id = {}", i * 7 % 20000 + 1);
        let (_, rows) = replica(&mut r, &sql).await.unwrap();
        assert_eq!(rows.len(), 1);
    }
    let ours = f64::from(n) / started.elapsed().as_secs_f64();
    let mut conn = db.root_conn().await;
    let started = std::time::Instant::now();
    for i in 0..n {
        let sql = format!("SELECT v FROM shop.items WHERE id = {}", i * 7 % 20000 + 1);
        let rows: Vec<mysql_async::Row> = conn.query(sql).await.unwrap();
        assert_eq!(rows.len(), 1);
    }
    let theirs = f64::from(n) / started.elapsed().as_secs_f64();
    eprintln!("point selects: replica {ours:.0}/s in-process, source {theirs:.0}/s over a socket");
}
