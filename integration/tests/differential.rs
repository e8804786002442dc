//! Differential query tests through the wire: the same statement on the source and on
//! replicant returns the same rows (as text, and through the binary protocol of a prepared
//! statement) and the same column types. The source is the oracle.
//!
//! Covered: every type table, the seeds' Orders table (no primary key), a sysbench-shaped
//! table, filters on strings with different case, GROUP BY / ORDER BY on `_ci` strings,
//! NULL ordering, integer division, SUM/AVG of integers and decimals, date functions,
//! joins, subqueries, window functions, LIMIT/OFFSET.

use mysql_async::prelude::Queryable;
use mysql_async::{Column, Conn, Row, Value};

use integration::fixtures::{run_statements, TYPE_TABLES};
use integration::server::Served;
use integration::MariaDb;

/// What a client sees of a column: type, UNSIGNED, binary charset, decimals.
fn column_shape(c: &Column) -> String {
    use mysql_async::consts::ColumnFlags;
    format!(
        "{}:{:?}{}{} dec={}",
        c.name_str(),
        c.column_type(),
        if c.flags().contains(ColumnFlags::UNSIGNED_FLAG) {
            " unsigned"
        } else {
            ""
        },
        if c.character_set() == 63 {
            " binary"
        } else {
            ""
        },
        c.decimals()
    )
}

fn text(v: &Value) -> String {
    match v {
        Value::NULL => "NULL".into(),
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => s.to_string(),
            Err(_) => format!(
                "0x{}",
                b.iter().map(|x| format!("{x:02X}")).collect::<String>()
            ),
        },
        other => other.as_sql(true),
    }
}

struct Answer {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

async fn answer(conn: &mut Conn, sql: &str, prepared: bool) -> Result<Answer, String> {
    let result: Result<(Vec<Row>, Vec<String>), mysql_async::Error> = async {
        if prepared {
            let mut r = conn.exec_iter(sql, ()).await?;
            let cols = r
                .columns()
                .map(|c| c.iter().map(column_shape).collect())
                .unwrap_or_default();
            let rows: Vec<Row> = r.collect().await?;
            Ok((rows, cols))
        } else {
            let mut r = conn.query_iter(sql).await?;
            let cols = r
                .columns()
                .map(|c| c.iter().map(column_shape).collect())
                .unwrap_or_default();
            let rows: Vec<Row> = r.collect().await?;
            Ok((rows, cols))
        }
    }
    .await;
    let (rows, columns) = result.map_err(|e| e.to_string())?;
    Ok(Answer {
        columns,
        rows: rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.as_ref(i).map(text).unwrap_or_default())
                    .collect()
            })
            .collect(),
    })
}

/// Runs every query on both servers, in the text and the binary protocol; collects every
/// difference and fails once with all of them.
async fn compare(db: &MariaDb, served: &Served, queries: &[(&str, bool)]) {
    let mut source = db.root_conn().await;
    let mut replica = served.conn(None).await;
    for c in [&mut source, &mut replica] {
        c.query_drop("SET time_zone = '+00:00'").await.unwrap();
    }
    let mut failures = Vec::new();
    for (sql, ordered) in queries {
        for prepared in [false, true] {
            let proto = if prepared { "binary" } else { "text" };
            let want = answer(&mut source, sql, prepared)
                .await
                .unwrap_or_else(|e| panic!("source refused {sql}: {e}"));
            let got = match answer(&mut replica, sql, prepared).await {
                Ok(a) => a,
                Err(e) => {
                    failures.push(format!("[{proto}] {sql}\n  replica error: {e}"));
                    continue;
                }
            };
            if got.columns != want.columns {
                failures.push(format!(
                    "[{proto}] {sql}\n  columns: replica {:?}\n           source  {:?}",
                    got.columns, want.columns
                ));
            }
            let (mut g, mut w) = (got.rows, want.rows);
            if !ordered {
                g.sort();
                w.sort();
            }
            if g != w {
                let first = g
                    .iter()
                    .zip(&w)
                    .position(|(a, b)| a != b)
                    .unwrap_or(g.len().min(w.len()));
                failures.push(format!(
                    "[{proto}] {sql}\n  rows differ ({} vs {} rows), first at {first}: replica {:?} source {:?}",
                    g.len(),
                    w.len(),
                    g.get(first),
                    w.get(first)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} queries differ:\n{}",
        failures.len(),
        queries.len() * 2,
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_table_reads_back_as_on_the_source() {
    let db = MariaDb::start().await;
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
    let served = Served::start(&db, "ty.*").await;
    let queries: Vec<(String, bool)> = TYPE_TABLES
        .iter()
        .map(|(name, _, _)| match *name {
            "nopk" => (format!("SELECT * FROM ty.{name}"), false),
            // Rows 1 and 3 hold zero dates, which read as NULL (docs/compatibility.md).
            "temporals" => (
                format!("SELECT * FROM ty.{name} WHERE id IN (2, 4) ORDER BY id"),
                true,
            ),
            _ => (format!("SELECT * FROM ty.{name} ORDER BY id"), true),
        })
        .collect();
    let refs: Vec<(&str, bool)> = queries.iter().map(|(q, o)| (q.as_str(), *o)).collect();
    compare(&db, &served, &refs).await;
}

const SHOP: &[&str] = &[
    "CREATE DATABASE shop",
    "CREATE TABLE shop.Orders (id INT, status VARCHAR(20), LastUpdated DATETIME)",
    "INSERT INTO shop.Orders VALUES (1, 'Backordered', '2020-06-01 12:00:00'), \
     (2, 'Shipped', '2020-06-01 12:05:00'), (3, 'Pending', '2020-06-01 12:10:00'), \
     (3, 'Pending', '2020-06-01 12:10:00'), (4, 'pending', NULL), (5, 'SHIPPED', '2021-12-31 23:59:59'), \
     (NULL, NULL, '2019-02-28 00:00:00'), (7, 'shipped ', '2020-02-29 08:30:00')",
    "CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(30) NOT NULL, \
     city VARCHAR(20) COLLATE utf8mb4_bin, credit DECIMAL(10,2), born DATE)",
    "INSERT INTO shop.customers VALUES (1, 'alice', 'Paris', 100.50, '1990-05-17'), \
     (2, 'Bob', 'paris', NULL, '1985-12-01'), (3, 'ALICE', 'Berlin', 20.25, NULL), \
     (4, 'carol', NULL, -5.00, '2000-02-29'), (5, 'dave', 'Rome', 0.00, '1970-01-01')",
    "CREATE DATABASE sb",
    "CREATE TABLE sb.sbtest1 (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL DEFAULT 0, \
     c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', KEY k_1 (k))",
    "INSERT INTO sb.sbtest1 (k, c, pad) SELECT FLOOR(1 + RAND(seq) * 5000), \
     CONCAT_WS('-', LPAD(seq * 7 % 99991, 11, '0'), LPAD(seq * 13 % 99989, 11, '0')), \
     LPAD(seq % 977, 11, '0') FROM sb.seq_1_to_20000",
];

/// Statements that do not yet answer exactly as the source, each with how it differs
/// (listed in docs/compatibility.md; a fix moves its statement into the test above):
pub const KNOWN_GAPS: &[(&str, &str)] = &[
    (
        "SELECT AVG(k) * 2 FROM sb.sbtest1",
        "AVG is rounded to its shown scale before further arithmetic; MariaDB keeps more digits",
    ),
    (
        "SELECT ROW_NUMBER() OVER (ORDER BY id) FROM shop.customers",
        "UNSIGNED flag set (MariaDB: signed BIGINT)",
    ),
    ("zero dates 0000-00-00", "read as NULL"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_answer_as_on_the_source() {
    let db = MariaDb::start().await;
    run_statements(&db, SHOP).await;
    let served = Served::start(&db, "shop.*,sb.*").await;
    let queries: &[(&str, bool)] = &[
        // Filters on strings with different case (_ci) and exact (_bin).
        ("SELECT id, status FROM shop.Orders WHERE status = 'PENDING'", false),
        ("SELECT id, status FROM shop.Orders WHERE status = 'shipped'", false),
        ("SELECT id FROM shop.Orders WHERE status LIKE 'ship%'", false),
        ("SELECT id FROM shop.Orders WHERE status IN ('backordered', 'PENDING')", false),
        ("SELECT id FROM shop.customers WHERE city = 'paris' ORDER BY id", true),
        ("SELECT id FROM shop.customers WHERE name = 'Alice' ORDER BY id", true),
        // GROUP BY / ORDER BY on _ci strings, DISTINCT.
        ("SELECT COUNT(*) FROM shop.Orders GROUP BY status ORDER BY COUNT(*)", true),
        ("SELECT name FROM shop.customers ORDER BY name, id", true),
        ("SELECT COUNT(DISTINCT status) FROM shop.Orders", true),
        // NULL ordering.
        ("SELECT id, LastUpdated FROM shop.Orders ORDER BY LastUpdated, id", true),
        ("SELECT id, LastUpdated FROM shop.Orders ORDER BY LastUpdated DESC, id", true),
        ("SELECT id FROM shop.customers ORDER BY credit, id", true),
        // Arithmetic and aggregates.
        ("SELECT id, id / 2, id DIV 2, id % 3 FROM shop.customers ORDER BY id", true),
        ("SELECT SUM(id), AVG(id), COUNT(id), COUNT(*), MIN(id), MAX(id) FROM shop.Orders", true),
        ("SELECT SUM(credit), AVG(credit), MIN(credit), MAX(credit) FROM shop.customers", true),
        // Dates (values; the integer result types of YEAR()/MONTH()/DATEDIFF() are a
        // known gap, see KNOWN_GAPS).
        ("SELECT id FROM shop.Orders WHERE DATE_FORMAT(LastUpdated, '%Y-%m') = '2020-06' AND YEAR(LastUpdated) = 2020", false),
        ("SELECT DATE_ADD(born, INTERVAL 1 DAY), DATE_SUB(born, INTERVAL 1 MONTH) FROM shop.customers ORDER BY id", true),
        ("SELECT TIMESTAMPDIFF(DAY, born, '2024-01-01'), UNIX_TIMESTAMP(born) FROM shop.customers ORDER BY id", true),
        ("SELECT SUM(k), COUNT(*), MIN(k), MAX(k) FROM sb.sbtest1", true),
        // AVG rounds its last digit as MySQL does (DataFusion alone truncates).
        ("SELECT AVG(k), AVG(id), AVG(-k), AVG(k DIV 3) FROM sb.sbtest1", true),
        ("SELECT k % 7 AS b, AVG(k), AVG(credit) FROM sb.sbtest1 LEFT JOIN shop.customers ON customers.id = sbtest1.id GROUP BY b ORDER BY b", true),
        ("SELECT city, AVG(credit) FROM shop.customers GROUP BY city ORDER BY city", true),
        ("SELECT k % 10 AS bucket, COUNT(*), SUM(k) FROM sb.sbtest1 GROUP BY bucket ORDER BY bucket", true),
        ("SELECT credit * 2 AS a, credit + 1 AS b, -credit AS c FROM shop.customers ORDER BY id", true),
        // Names as written: unary operators, window functions with their OVER clause.
        ("SELECT -credit, - id, SUM(credit) OVER (ORDER BY id) FROM shop.customers ORDER BY id", true),
        ("SELECT IFNULL(city, 'none'), IF(credit > 10, 'rich', 'poor'), CONCAT_WS('/', name, city) FROM shop.customers ORDER BY id", true),
        ("SELECT id, SUM(credit) OVER (ORDER BY id) AS running, MAX(id) OVER (PARTITION BY city IS NULL) AS m FROM shop.customers ORDER BY id", true),
        ("SELECT FROM_UNIXTIME(86400), MAKEDATE(2024, 60), STR_TO_DATE('01/02/2024', '%d/%m/%Y')", true),
        // Date parts are INT, as MariaDB types them; GREATEST/LEAST of INT and a small literal too.
        ("SELECT YEAR(LastUpdated), MONTH(LastUpdated), DAY(LastUpdated), HOUR(LastUpdated), QUARTER(LastUpdated), WEEK(LastUpdated), YEARWEEK(LastUpdated), TO_DAYS(LastUpdated), DATEDIFF(LastUpdated, '2020-01-01'), DAYOFYEAR(LastUpdated) FROM shop.Orders ORDER BY id, status", true),
        ("SELECT GREATEST(id, 3), LEAST(id, 3), LOCATE('e', name), INSTR(name, 'a') FROM shop.customers ORDER BY id", true),
        // CAST/CONVERT to CHAR print what the source prints.
        ("SELECT CAST(LastUpdated AS CHAR), CONVERT(id, CHAR), DATE_FORMAT(LastUpdated, '%Y-%m') FROM shop.Orders ORDER BY id, status", true),
        ("SELECT CAST(born AS CHAR), CAST(credit AS CHAR), CAST(NULL AS CHAR) FROM shop.customers ORDER BY id", true),
        // Joins, subqueries, window functions.
        ("SELECT c.name, o.status FROM shop.customers c JOIN shop.Orders o ON o.id = c.id ORDER BY c.id, o.status", true),
        ("SELECT c.id, o.status FROM shop.customers c LEFT JOIN shop.Orders o ON o.id = c.id ORDER BY c.id, o.status", true),
        ("SELECT name FROM shop.customers WHERE id IN (SELECT id FROM shop.Orders WHERE status = 'pending') ORDER BY name", true),
        ("SELECT id, (SELECT COUNT(*) FROM shop.Orders o WHERE o.id = c.id) AS n FROM shop.customers c ORDER BY id", true),
        // Key lookups, ranges, LIMIT/OFFSET.
        ("SELECT c FROM sb.sbtest1 WHERE id = 4242", true),
        ("SELECT id, k FROM sb.sbtest1 WHERE id BETWEEN 100 AND 120 ORDER BY id", true),
        ("SELECT id FROM sb.sbtest1 ORDER BY id LIMIT 5 OFFSET 10", true),
        ("SELECT id, k FROM sb.sbtest1 ORDER BY k DESC, id LIMIT 7", true),
        ("SELECT DISTINCT c FROM sb.sbtest1 WHERE id BETWEEN 10 AND 20 ORDER BY c", true),
        ("SELECT SUM(k) FROM sb.sbtest1 WHERE id BETWEEN 1000 AND 1100", true),
    ];
    compare(&db, &served, queries).await;
}
