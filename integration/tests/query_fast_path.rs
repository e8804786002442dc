//! The primary-key point-lookup fast path (src/query/fast_path.rs) against the normal
//! DataFusion path and the source: the same answers (column definitions and values, text
//! and binary protocol) for many point queries over every type family, NULL columns,
//! missing keys, string literals for integer keys, `*`, composite keys, session time zones
//! and `sql_select_limit`; statements it must not take fall through unchanged; a schema
//! change or an update is seen at once. The normal path is reached by the same statement
//! behind a comment (which the fast path never takes) or, for prepared statements (whose
//! comments are dropped), with the fast path switched off. Prints the point-select rate
//! of both paths beside the source's. The range family (`fast_path/range.rs`: BETWEEN on
//! the key, ORDER BY, DISTINCT, SUM) is checked the same way.

use std::time::Instant;

use integration::fixtures::run_statements;
use integration::server::Served;
use integration::MariaDb;
use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Value};
use replicant::query::fast_path;

/// The tests of this file run one at a time: they read the process-wide counter of
/// statements the fast path answered, and switch the fast path off for comparisons.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Everything a client sees of one column definition.
#[derive(Debug, Clone, PartialEq)]
struct Col {
    schema: String,
    table: String,
    org_table: String,
    name: String,
    org_name: String,
    charset: u16,
    length: u32,
    column_type: ColumnType,
    flags: u16,
    decimals: u8,
}

/// A statement's answer: columns and rows, or the error code.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Rows(Vec<Col>, Vec<Vec<Value>>),
    Error(u16),
}

impl Answer {
    /// Column types and rows: what is compared with the source.
    fn types_and_rows(&self) -> (Vec<ColumnType>, Vec<Vec<Value>>) {
        match self {
            Answer::Rows(c, r) => (c.iter().map(|c| c.column_type).collect(), r.clone()),
            Answer::Error(code) => (vec![], vec![vec![Value::Int(i64::from(*code))]]),
        }
    }
}

fn columns(cols: &[mysql_async::Column]) -> Vec<Col> {
    cols.iter()
        .map(|c| Col {
            schema: c.schema_str().into_owned(),
            table: c.table_str().into_owned(),
            org_table: c.org_table_str().into_owned(),
            name: c.name_str().into_owned(),
            org_name: c.org_name_str().into_owned(),
            charset: c.character_set(),
            length: c.column_length(),
            column_type: c.column_type(),
            flags: c.flags().bits(),
            decimals: c.decimals(),
        })
        .collect()
}

fn failed(e: mysql_async::Error, sql: &str) -> Answer {
    match e {
        mysql_async::Error::Server(e) => Answer::Error(e.code),
        other => panic!("{sql}: {other}"),
    }
}

/// `sql` over the text protocol.
async fn text(conn: &mut Conn, sql: &str) -> Answer {
    let mut result = match conn.query_iter(sql).await {
        Ok(r) => r,
        Err(e) => return failed(e, sql),
    };
    let cols = result.columns().map(|c| columns(&c)).unwrap_or_default();
    let rows: Vec<mysql_async::Row> = match result.collect().await {
        Ok(r) => r,
        Err(e) => return failed(e, sql),
    };
    Answer::Rows(cols, rows.into_iter().map(|r| r.unwrap()).collect())
}

/// `sql` as a server-side prepared statement executed with `params`.
async fn binary(conn: &mut Conn, sql: &str, params: Vec<Value>) -> Answer {
    let stmt = match conn.prep(sql).await {
        Ok(s) => s,
        Err(e) => return failed(e, sql),
    };
    let mut result = match conn.exec_iter(&stmt, Params::Positional(params)).await {
        Ok(r) => r,
        Err(e) => return failed(e, sql),
    };
    let cols = result.columns().map(|c| columns(&c)).unwrap_or_default();
    let rows: Vec<mysql_async::Row> = match result.collect().await {
        Ok(r) => r,
        Err(e) => return failed(e, sql),
    };
    let _ = conn.close(stmt).await;
    Answer::Rows(cols, rows.into_iter().map(|r| r.unwrap()).collect())
}

/// Runs `f` with the fast path off (this file holds one test: nothing else runs
/// meanwhile).
async fn on_normal_path<T>(f: impl std::future::Future<Output = T>) -> T {
    fast_path::set_enabled(false);
    let out = f.await;
    fast_path::set_enabled(true);
    out
}

/// A connection to the replica, database `fp` (no `@@socket` lookup: the replica has no
/// socket).
async fn replica_conn(served: &Served) -> Conn {
    let url = format!("{}?prefer_socket=false", served.url(Some("fp")));
    Conn::from_url(url.as_str()).await.unwrap()
}

/// The same statement on the normal path: behind a comment, which the fast path refuses.
fn normal(sql: &str) -> String {
    format!("/* normal path */ {sql}")
}

const SCHEMA: &[&str] = &[
    "CREATE DATABASE fp",
    "CREATE TABLE fp.sbtest1 (id INT NOT NULL AUTO_INCREMENT, k INT NOT NULL DEFAULT 0, \
     c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', PRIMARY KEY (id), KEY k_1 (k))",
    "CREATE TABLE fp.types (id INT PRIMARY KEY, ti TINYINT, bu BIGINT UNSIGNED, d DECIMAL(10,2), \
     dw DECIMAL(65,30), f FLOAT, db DOUBLE, dt DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL DEFAULT NULL, \
     tm TIME, yr YEAR, bt BIT(10), ch CHAR(10), vc VARCHAR(50), l1 VARCHAR(20) CHARACTER SET latin1, \
     tx TEXT, bl BLOB, vb VARBINARY(8), en ENUM('a','b','é'), st SET('x','y','z'), js JSON)",
    "INSERT INTO fp.types VALUES \
     (1, -128, 18446744073709551615, 12345678.91, -1.000000000000000000000000000001, 3.5, 0.1, \
      '2024-02-29', '2024-02-29 13:05:09.000120', '2021-03-04 05:06:07.891', '-838:59:59', 2155, b'1010101010', \
      'abc', 'multibyte 日本語 🎉', 'Ærø', REPEAT('long ', 100), 0xDEADBEEF, 0x00FF, 'é', 'x,z', '{\"a\": [1, 2.5]}'), \
     (2, 127, 0, -0.01, 0, -1e30, 1.7976931348623157e308, '1000-01-01', '9999-12-31 23:59:59.999999', \
      '1970-01-01 00:00:01', '00:00:00', 1901, b'0', '', '', '', '', '', '', 'a', '', '[]'), \
     (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
      NULL, NULL, NULL, NULL, NULL), \
     (-5, 0, 5, 5, 5, 5, 5, '2000-01-01', '2000-01-01 00:00:00', '2038-01-19 03:14:07', '12:34:56', 2000, b'1', \
      'x', 'y', 'z', 't', 'b', 'v', 'b', 'x,y,z', '\"s\"')",
    "CREATE TABLE fp.ukey (id BIGINT UNSIGNED PRIMARY KEY, v VARCHAR(10))",
    "INSERT INTO fp.ukey VALUES (0, 'zero'), (5, 'five'), (18446744073709551615, 'max')",
    "CREATE TABLE fp.tkey (id TINYINT PRIMARY KEY, v INT)",
    "INSERT INTO fp.tkey VALUES (-128, 1), (0, 2), (127, 3)",
    "CREATE TABLE fp.comp (a INT, b SMALLINT, v VARCHAR(10), PRIMARY KEY (a, b))",
    "INSERT INTO fp.comp VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 1, 'c')",
    "CREATE TABLE fp.skey (s VARCHAR(10) PRIMARY KEY, v INT)",
    "INSERT INTO fp.skey VALUES ('a', 1), ('B', 2)",
    "CREATE TABLE fp.MixedCase (Id INT PRIMARY KEY, Val INT)",
    "INSERT INTO fp.MixedCase VALUES (1, 10)",
    "CREATE TABLE fp.nopk (id INT, v INT)",
    "INSERT INTO fp.nopk VALUES (1, 1)",
    "CREATE TABLE fp.words (id INT PRIMARY KEY, w VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, \
     l VARCHAR(20) CHARACTER SET latin1, n INT NULL, b VARBINARY(10))",
    "INSERT INTO fp.words VALUES (1, 'b', 'b', 3, 'b'), (2, 'A', 'A', NULL, 'A'), (3, 'a', 'a', 1, 'a'), \
     (4, 'B ', 'B ', NULL, 'B '), (5, 'é', 'é', 2, 'x'), (6, 'e', 'e', -1, 'e'), (7, NULL, NULL, 0, NULL), \
     (8, 'Zed', 'Zed', 9, 'Z'), (9, 'zed', 'zed', 9, 'z'), (10, 'ä', 'ä', 4, 'ä')",
];

const ROWS: usize = 1000;

async fn setup() -> MariaDb {
    let db = MariaDb::start().await;
    run_statements(&db, SCHEMA).await;
    let values: Vec<String> = (1..=ROWS)
        .map(|i| {
            let c = format!("{i:011}-").repeat(i % 10 + 1);
            format!("({i}, {}, '{c}', 'pad-{i}')", i * 7 % ROWS)
        })
        .collect();
    let insert = format!("INSERT INTO fp.sbtest1 VALUES {}", values.join(", "));
    run_statements(&db, &[insert.as_str()]).await;
    db
}

/// Queries the fast path answers, compared with the normal path and the source.
fn taken() -> Vec<String> {
    let mut q = Vec::new();
    for id in [
        "1", "2", "500", "1000", "0", "1001", "-1", "'7'", "'-3'", "'1000'",
    ] {
        q.push(format!("SELECT c FROM sbtest1 WHERE id={id}"));
        q.push(format!("SELECT * FROM sbtest1 WHERE id = {id}"));
        q.push(format!(
            "SELECT id, k, c AS Cee, pad FROM fp.sbtest1 WHERE {id} = id"
        ));
    }
    q.push("select k from `fp`.`sbtest1` where `id` = 9".into());
    for id in ["1", "2", "3", "-5", "99", "'2'"] {
        q.push(format!("SELECT * FROM types WHERE id = {id}"));
        q.push(format!(
            "SELECT ts, dtm, dt, tm, yr, bt FROM types WHERE id = {id}"
        ));
        q.push(format!(
            "SELECT js, st, en, vb, bl, l1, vc, ch FROM types WHERE id = {id}"
        ));
        q.push(format!(
            "SELECT dw, d, f, db, bu, ti FROM types WHERE id = {id}"
        ));
    }
    for id in ["0", "5", "18446744073709551615", "7", "'5'"] {
        q.push(format!("SELECT v, id FROM ukey WHERE id = {id}"));
    }
    for id in ["-128", "0", "127", "300", "-300", "1"] {
        q.push(format!("SELECT * FROM tkey WHERE id = {id}"));
    }
    for (a, b) in [("1", "2"), ("2", "1"), ("1", "3"), ("'1'", "'1'")] {
        q.push(format!("SELECT v FROM comp WHERE a = {a} AND b = {b}"));
        q.push(format!("SELECT * FROM comp WHERE b = {b} AND a = {a}"));
    }
    q
}

/// Queries the fast path leaves to the normal path (same answers by construction; the
/// counter shows they were not taken).
fn not_taken() -> Vec<String> {
    vec![
        "SELECT v FROM skey WHERE s = 'a'".into(),
        "SELECT v FROM skey WHERE s = 'A'".into(),
        "SELECT Val FROM MixedCase WHERE Id = 1".into(),
        "SELECT v FROM nopk WHERE id = 1".into(),
        "SELECT v FROM comp WHERE a = 1".into(),
        "SELECT c FROM sbtest1 WHERE id = 1 LIMIT 1".into(),
        "SELECT c FROM sbtest1 WHERE id = 1 AND k = 7".into(),
        "SELECT c FROM sbtest1 WHERE k = 7".into(),
        "SELECT c FROM nosuch WHERE id = 1".into(),
        "SELECT nosuch FROM sbtest1 WHERE id = 1".into(),
        "SELECT c FROM nodb.sbtest1 WHERE id = 1".into(),
        "SELECT v FROM ukey WHERE id = -1".into(),
        "SELECT c FROM sbtest1 WHERE id = 5.0".into(),
        "SELECT c FROM sbtest1 WHERE id = NULL".into(),
    ]
}

/// Range, sorted, distinct and SUM queries the fast path answers (`range.rs`): with the
/// source too when the source's order is fully determined (`true`).
fn ranges_taken() -> Vec<(String, bool)> {
    let mut q: Vec<(String, bool)> = Vec::new();
    for (lo, hi) in [
        ("10", "30"),
        ("990", "1010"),
        ("30", "10"),
        ("-5", "3"),
        ("'7'", "9"),
    ] {
        q.push((
            format!("SELECT c FROM sbtest1 WHERE id BETWEEN {lo} AND {hi}"),
            true,
        ));
        q.push((
            format!("SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN {lo} AND {hi}"),
            true,
        ));
        q.push((
            format!("SELECT c FROM sbtest1 WHERE id BETWEEN {lo} AND {hi} ORDER BY c"),
            true,
        ));
        q.push((
            format!("SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN {lo} AND {hi} ORDER BY c"),
            true,
        ));
    }
    for sql in [
        "SELECT * FROM sbtest1 WHERE id BETWEEN 1 AND 4",
        "SELECT id, k FROM sbtest1 WHERE id BETWEEN 1 AND 200 ORDER BY k DESC",
        "SELECT id FROM sbtest1 WHERE id BETWEEN 1 AND 200 ORDER BY k",
        "SELECT c FROM sbtest1 WHERE id BETWEEN 1 AND 50 ORDER BY c DESC",
        "SELECT SUM(k) AS total, SUM(id) FROM sbtest1 WHERE id BETWEEN 1 AND 1000",
        "SELECT SUM(k) FROM sbtest1 WHERE id = 7",
        "SELECT SUM(k) FROM sbtest1 WHERE id = 7000",
        "SELECT k FROM sbtest1 WHERE id = 7 ORDER BY k",
        "SELECT SUM(ti), SUM(bu) FROM types WHERE id BETWEEN -10 AND 10",
        "SELECT SUM(id) FROM ukey WHERE id BETWEEN 0 AND 18446744073709551615",
        "SELECT v FROM ukey WHERE id BETWEEN 1 AND 18446744073709551615 ORDER BY v",
        "SELECT id, v FROM tkey WHERE id BETWEEN -128 AND 127 ORDER BY v DESC",
        // NULLs first ascending, last descending; distinct strings under _ci and PAD SPACE.
        "SELECT n FROM words WHERE id BETWEEN 1 AND 10 ORDER BY n",
        "SELECT n FROM words WHERE id BETWEEN 1 AND 10 ORDER BY n DESC",
        "SELECT DISTINCT w FROM words WHERE id BETWEEN 1 AND 10 ORDER BY w",
        "SELECT DISTINCT l FROM words WHERE id BETWEEN 1 AND 10 ORDER BY l",
        "SELECT DISTINCT b FROM words WHERE id BETWEEN 1 AND 10 ORDER BY b",
        "SELECT DISTINCT w, n FROM words WHERE id BETWEEN 1 AND 10 ORDER BY n, w",
        "SELECT dt, dtm, ts, tm, yr, d FROM types WHERE id BETWEEN -10 AND 10 ORDER BY dtm",
        "SELECT d FROM types WHERE id BETWEEN -10 AND 10 ORDER BY d DESC",
    ] {
        q.push((sql.to_string(), true));
    }
    // Ties: the order among equal keys is not fixed on the source; compared with the
    // normal path only.
    for sql in [
        "SELECT w FROM words WHERE id BETWEEN 1 AND 10 ORDER BY w",
        "SELECT id, w FROM words WHERE id BETWEEN 1 AND 10 ORDER BY w DESC",
        "SELECT id, l FROM words WHERE id BETWEEN 1 AND 10 ORDER BY l",
    ] {
        q.push((sql.to_string(), false));
    }
    q
}

/// Range-like statements the fast path leaves to the normal path.
fn ranges_not_taken() -> Vec<String> {
    [
        "SELECT c AS k FROM sbtest1 WHERE id BETWEEN 1 AND 5 ORDER BY k",
        "SELECT DISTINCT k FROM sbtest1 WHERE id BETWEEN 1 AND 1",
        "SELECT DISTINCT k, c FROM sbtest1 WHERE id BETWEEN 1 AND 5 ORDER BY k",
        "SELECT SUM(c) FROM sbtest1 WHERE id BETWEEN 1 AND 5",
        "SELECT SUM(d) FROM types WHERE id BETWEEN 1 AND 5",
        "SELECT c, SUM(k) FROM sbtest1 WHERE id BETWEEN 1 AND 5",
        "SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN 1 AND 5 ORDER BY k",
        "SELECT en FROM types WHERE id BETWEEN 1 AND 3 ORDER BY en",
        "SELECT f FROM types WHERE id BETWEEN 1 AND 3 ORDER BY f",
        "SELECT v FROM comp WHERE a BETWEEN 1 AND 2",
        "SELECT c FROM sbtest1 WHERE k BETWEEN 1 AND 5",
        "SELECT c FROM sbtest1 WHERE id BETWEEN NULL AND 5",
        "SELECT c FROM sbtest1 WHERE id BETWEEN 1 AND 5 ORDER BY nosuch",
        "SELECT v FROM nopk WHERE id BETWEEN 1 AND 5",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Odd key literals: the normal path's answer whatever it is (compared only with it).
fn odd() -> Vec<String> {
    [
        "'5abc'",
        "' 5'",
        "'05'",
        "'5.0'",
        "''",
        "'-0'",
        "'99999999999999999999'",
    ]
    .iter()
    .map(|v| format!("SELECT c FROM sbtest1 WHERE id = {v}"))
    .collect()
}

async fn compare_text(
    replica: &mut Conn,
    source: &mut Conn,
    sql: &str,
    with_source: bool,
    taken: bool,
) {
    let before = fast_path::answered();
    let fast = text(replica, sql).await;
    let used = fast_path::answered() - before;
    let slow = text(replica, &normal(sql)).await;
    assert_eq!(fast, slow, "{sql}: fast path vs normal path");
    if taken {
        assert!(used >= 1, "{sql}: the fast path was not taken");
    } else {
        assert_eq!(used, 0, "{sql}: the fast path was taken");
    }
    if with_source {
        let theirs = text(source, sql).await;
        assert_eq!(
            fast.types_and_rows(),
            theirs.types_and_rows(),
            "{sql}: replica vs source"
        );
    }
}

/// `SELECT *` of `types` with text values as the source prints them.
async fn check_types_text(replica: &mut Conn, source: &mut Conn) {
    for id in [1, 2, 3, -5] {
        let sql = format!("SELECT * FROM types WHERE id = {id}");
        let ours = text(replica, &sql).await;
        let theirs = text(source, &sql).await;
        assert_eq!(ours.types_and_rows(), theirs.types_and_rows(), "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn point_lookups_answer_as_the_normal_path_and_the_source() {
    let _serial = SERIAL.lock().await;
    let db = setup().await;
    let served = Served::start(&db, "fp.*").await;
    let mut replica = replica_conn(&served).await;
    let mut source = db.root_conn().await;
    source.query_drop("USE fp").await.unwrap();
    for c in [&mut replica, &mut source] {
        c.query_drop("SET time_zone = '+00:00'").await.unwrap();
    }

    // Text protocol.
    for sql in taken() {
        compare_text(&mut replica, &mut source, &sql, true, true).await;
    }
    // Names in any case (the source's table names are case-sensitive: not compared).
    compare_text(
        &mut replica,
        &mut source,
        "SELECT C, `Pad` FROM SBTEST1 WHERE ID = 7;",
        false,
        true,
    )
    .await;
    for sql in not_taken() {
        compare_text(&mut replica, &mut source, &sql, false, false).await;
    }
    for sql in odd() {
        let fast = text(&mut replica, &sql).await;
        let slow = text(&mut replica, &normal(&sql)).await;
        assert_eq!(fast, slow, "{sql}");
    }
    check_types_text(&mut replica, &mut source).await;

    // TIMESTAMP values follow the session time zone; sql_select_limit 0 returns no row.
    for c in [&mut replica, &mut source] {
        c.query_drop("SET time_zone = '+05:30'").await.unwrap();
    }
    for sql in [
        "SELECT ts, dtm FROM types WHERE id = 1",
        "SELECT * FROM types WHERE id = -5",
    ] {
        compare_text(&mut replica, &mut source, sql, true, true).await;
    }
    for c in [&mut replica, &mut source] {
        c.query_drop("SET time_zone = '+00:00', sql_select_limit = 0")
            .await
            .unwrap();
    }
    compare_text(
        &mut replica,
        &mut source,
        "SELECT c FROM sbtest1 WHERE id = 1",
        true,
        true,
    )
    .await;
    for c in [&mut replica, &mut source] {
        c.query_drop("SET sql_select_limit = DEFAULT")
            .await
            .unwrap();
    }

    // Binary protocol (server-side prepared statements).
    let cases: Vec<(&str, Vec<Value>)> = vec![
        ("SELECT c FROM sbtest1 WHERE id=?", vec![Value::Int(5)]),
        ("SELECT c FROM sbtest1 WHERE id=?", vec![Value::UInt(1000)]),
        ("SELECT c FROM sbtest1 WHERE id=?", vec![Value::Int(1001)]),
        (
            "SELECT c FROM sbtest1 WHERE id=?",
            vec![Value::Bytes(b"17".to_vec())],
        ),
        ("SELECT * FROM sbtest1 WHERE id = ?", vec![Value::Int(-1)]),
        (
            "SELECT id, pad AS p FROM sbtest1 WHERE ? = id",
            vec![Value::Int(33)],
        ),
        ("SELECT * FROM types WHERE id = ?", vec![Value::Int(1)]),
        ("SELECT * FROM types WHERE id = ?", vec![Value::Int(2)]),
        ("SELECT * FROM types WHERE id = ?", vec![Value::Int(3)]),
        ("SELECT * FROM types WHERE id = ?", vec![Value::Int(-5)]),
        (
            "SELECT v FROM ukey WHERE id = ?",
            vec![Value::UInt(u64::MAX)],
        ),
        ("SELECT v FROM ukey WHERE id = ?", vec![Value::Int(0)]),
        (
            "SELECT v FROM comp WHERE a = ? AND b = ?",
            vec![Value::Int(1), Value::Int(2)],
        ),
        (
            "SELECT v FROM comp WHERE b = ? AND a = ?",
            vec![Value::Int(1), Value::Int(2)],
        ),
    ];
    for (sql, params) in &cases {
        let before = fast_path::answered();
        let fast = binary(&mut replica, sql, params.clone()).await;
        assert!(fast_path::answered() > before, "{sql}: not taken");
        let slow = on_normal_path(binary(&mut replica, sql, params.clone())).await;
        assert_eq!(fast, slow, "{sql} {params:?}: fast path vs normal path");
    }
    // Parameters the fast path leaves to the normal path.
    for params in [
        vec![Value::NULL],
        vec![Value::Double(5.0)],
        vec![Value::Bytes(b"5x".to_vec())],
    ] {
        let sql = "SELECT c FROM sbtest1 WHERE id=?";
        let before = fast_path::answered();
        let fast = binary(&mut replica, sql, params.clone()).await;
        assert_eq!(fast_path::answered(), before, "{params:?}: taken");
        let slow = on_normal_path(binary(&mut replica, sql, params.clone())).await;
        assert_eq!(fast, slow, "{params:?}");
    }
    // The source agrees on the integer/char table in the binary protocol too.
    for id in [1i64, 500, 1001] {
        let sql = "SELECT id, k, c, pad FROM sbtest1 WHERE id = ?";
        let ours = binary(&mut replica, sql, vec![Value::Int(id)]).await;
        let theirs = binary(&mut source, sql, vec![Value::Int(id)]).await;
        assert_eq!(ours.types_and_rows(), theirs.types_and_rows(), "{sql} {id}");
    }

    // Changes are seen at once: an update, and a schema change (the plan is rebuilt).
    run_statements(
        &db,
        &[
            "UPDATE fp.sbtest1 SET c = 'changed' WHERE id = 3",
            "ALTER TABLE fp.comp ADD COLUMN w INT NOT NULL DEFAULT 7",
            "INSERT INTO fp.comp VALUES (3, 3, 'new', 8)",
        ],
    )
    .await;
    served.catch_up(&db).await;
    for sql in [
        "SELECT c FROM sbtest1 WHERE id = 3",
        "SELECT * FROM comp WHERE a = 1 AND b = 1",
        "SELECT * FROM comp WHERE a = 3 AND b = 3",
    ] {
        compare_text(&mut replica, &mut source, sql, true, true).await;
    }
    let (_, rows) = text(&mut replica, "SELECT c FROM sbtest1 WHERE id = 3")
        .await
        .types_and_rows();
    assert_eq!(rows, vec![vec![Value::Bytes(b"changed".to_vec())]]);

    // Speed: sysbench oltp_point_select's statement, prepared, one connection and four.
    let sql = "SELECT c FROM sbtest1 WHERE id=?";
    let n = 2000;
    let mut report = Vec::new();
    for conns in [1usize, 4] {
        let normal_rate = on_normal_path(rate(&served, None, sql, conns, n / 4)).await;
        let fast_rate = rate(&served, None, sql, conns, n).await;
        let source_rate = rate(&served, Some(&db), sql, conns, n).await;
        report.push(format!(
            "{conns} connection(s): normal path {normal_rate:.0}/s, fast path {fast_rate:.0}/s, \
             source {source_rate:.0}/s ({:.2}x the source)",
            fast_rate / source_rate
        ));
    }
    for line in report {
        eprintln!("point selects (prepared): {line}");
    }
    drop(replica);
    served.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ranges_sorts_and_sums_answer_as_the_normal_path_and_the_source() {
    let _serial = SERIAL.lock().await;
    let db = setup().await;
    let served = Served::start(&db, "fp.*").await;
    let mut replica = replica_conn(&served).await;
    let mut source = db.root_conn().await;
    source.query_drop("USE fp").await.unwrap();
    for c in [&mut replica, &mut source] {
        c.query_drop("SET time_zone = '+00:00'").await.unwrap();
    }
    for (sql, with_source) in ranges_taken() {
        compare_text(&mut replica, &mut source, &sql, with_source, true).await;
    }
    for sql in ranges_not_taken() {
        compare_text(&mut replica, &mut source, &sql, false, false).await;
    }
    // sql_select_limit caps a range as it caps any SELECT without LIMIT.
    for c in [&mut replica, &mut source] {
        c.query_drop("SET sql_select_limit = 3").await.unwrap();
    }
    for sql in [
        "SELECT c FROM sbtest1 WHERE id BETWEEN 10 AND 30 ORDER BY c DESC",
        "SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN 10 AND 30",
    ] {
        compare_text(&mut replica, &mut source, sql, true, true).await;
    }
    for c in [&mut replica, &mut source] {
        c.query_drop("SET sql_select_limit = DEFAULT")
            .await
            .unwrap();
    }

    // sysbench oltp_read_only's range statements, prepared, in the binary protocol.
    let sysbench = [
        "SELECT c FROM sbtest1 WHERE id BETWEEN ? AND ?",
        "SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN ? AND ?",
        "SELECT c FROM sbtest1 WHERE id BETWEEN ? AND ? ORDER BY c",
        "SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN ? AND ? ORDER BY c",
    ];
    for sql in sysbench {
        for (lo, hi) in [
            (Value::Int(100), Value::Int(199)),
            (Value::Int(950), Value::UInt(1049)),
        ] {
            let params = vec![lo.clone(), hi.clone()];
            let before = fast_path::answered();
            let fast = binary(&mut replica, sql, params.clone()).await;
            assert!(fast_path::answered() > before, "{sql}: not taken");
            let slow = on_normal_path(binary(&mut replica, sql, params.clone())).await;
            assert_eq!(fast, slow, "{sql} {params:?}: fast path vs normal path");
            let theirs = binary(&mut source, sql, params.clone()).await;
            assert_eq!(
                fast.types_and_rows(),
                theirs.types_and_rows(),
                "{sql}: replica vs source"
            );
        }
        // A NULL bound: the normal path answers.
        let params = vec![Value::NULL, Value::Int(5)];
        let before = fast_path::answered();
        let fast = binary(&mut replica, sql, params.clone()).await;
        assert_eq!(
            fast_path::answered(),
            before,
            "{sql}: taken with a NULL bound"
        );
        let theirs = binary(&mut source, sql, params).await;
        assert_eq!(
            fast.types_and_rows(),
            theirs.types_and_rows(),
            "{sql}: NULL bound"
        );
    }

    // An update inside a range is seen at once.
    run_statements(
        &db,
        &["UPDATE fp.sbtest1 SET k = k + 1000, c = 'aaa' WHERE id = 15"],
    )
    .await;
    served.catch_up(&db).await;
    for sql in [
        "SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN 10 AND 20",
        "SELECT c FROM sbtest1 WHERE id BETWEEN 10 AND 20 ORDER BY c",
    ] {
        compare_text(&mut replica, &mut source, sql, true, true).await;
    }
    drop(replica);
    served.stop().await.unwrap();
}

/// Prepared point selects per second over `conns` connections (each running `n`), on the
/// replica or (with `source`) on the source.
async fn rate(served: &Served, source: Option<&MariaDb>, sql: &str, conns: usize, n: usize) -> f64 {
    let mut connections = Vec::new();
    for _ in 0..conns {
        let mut c = match source {
            Some(db) => db.root_conn().await,
            None => replica_conn(served).await,
        };
        c.query_drop("USE fp").await.unwrap();
        connections.push(c);
    }
    let started = Instant::now();
    let tasks: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(t, mut c)| {
            let sql = sql.to_string();
            tokio::spawn(async move {
                let stmt = c.prep(sql.as_str()).await.unwrap();
                for i in 0..n {
                    let id = ((i * 7919 + t * 104_729) % ROWS + 1) as i64;
                    let rows: Vec<mysql_async::Row> = c.exec(&stmt, (id,)).await.unwrap();
                    assert_eq!(rows.len(), 1);
                }
                c.disconnect().await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (conns * n) as f64 / started.elapsed().as_secs_f64()
}
