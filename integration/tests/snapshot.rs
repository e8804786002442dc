//! The initial snapshot against a real MariaDB: `describe_table` matches the binlog's
//! TABLE_MAP, snapshot rows render exactly as `SELECT` returns them, and a snapshot taken
//! under concurrent writes meets the binlog stream exactly at its position.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use integration::fixtures::{show, source_rows, TextRow, TYPE_TABLES};
use integration::MariaDb;
use jiff::tz::TimeZone;
use mysql_async::prelude::Queryable;
use replicant::source::change::Change;
use replicant::source::connect::SourceOptions;
use replicant::source::filter::TableFilter;
use replicant::source::position::{FilePos, StartPosition};
use replicant::source::snapshot::{begin, describe_table, key_of, read_chunk};
use replicant::source::stream::{BinlogStream, StreamOptions};
use replicant::source::table::TableInfo;
use replicant::source::text::render;
use replicant::source::value::Value;

fn stream_options(db: &MariaDb, filter: &str, from: FilePos, stop_at_end: bool) -> StreamOptions {
    let mut source = SourceOptions::from_url(&db.repl_url()).unwrap();
    source.heartbeat = Duration::from_secs(1);
    source.read_timeout = Duration::from_secs(4);
    StreamOptions {
        source,
        start: StartPosition::FilePos(from),
        filter: TableFilter::parse(filter).unwrap(),
        stop_at_end,
        reconnect: false,
        max_backoff: Duration::from_secs(1),
        known_gtid: None,
    }
}

async fn current(db: &MariaDb) -> FilePos {
    let (file, pos) = db.current_position().await;
    FilePos { file, pos }
}

/// Every change from `from` to the source's current end of binlog.
async fn changes_until_end(db: &MariaDb, filter: &str, from: FilePos) -> Vec<Change> {
    let mut stream = BinlogStream::open(stream_options(db, filter, from, true))
        .await
        .unwrap();
    let mut all = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut batch = Vec::new();
        let more = tokio::time::timeout_at(deadline, stream.next(&mut batch))
            .await
            .expect("stream did not reach the end in 60 s")
            .expect("stream failed");
        all.extend(batch);
        if !more {
            return all;
        }
    }
}

fn render_row(row: &[Option<Value>], table: &TableInfo) -> TextRow {
    row.iter()
        .enumerate()
        .map(|(i, v)| {
            let v = v.as_ref().expect("every column present");
            render(v, &table.columns[i], &TimeZone::UTC)
        })
        .collect()
}

/// The whole table through `read_chunk`, `chunk` rows at a time (asserting key order).
async fn snapshot_rows(
    conn: &mut mysql_async::Conn,
    table: &TableInfo,
    chunk: usize,
) -> Vec<Vec<Option<Value>>> {
    let mut all = Vec::new();
    let mut after: Option<Vec<Value>> = None;
    loop {
        let rows = read_chunk(conn, table, after.as_deref(), chunk)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", table.qualified_name()));
        let n = rows.len();
        if let Some(last) = rows.last() {
            after = Some(key_of(table, last));
        }
        all.extend(rows);
        if table.primary_key.is_empty() || n < chunk {
            return all;
        }
    }
}

/// Asserts that the replica's rows equal the source's, naming each differing column.
fn assert_same_rows(name: &str, mut got: Vec<TextRow>, want: &[TextRow]) {
    got.sort();
    assert_eq!(got.len(), want.len(), "{name}: row count");
    for (g, w) in got.iter().zip(want) {
        let diffs: Vec<String> = g
            .iter()
            .zip(w)
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| format!("column {}: snapshot {} source {}", i + 1, show(a), show(b)))
            .collect();
        assert!(
            diffs.is_empty(),
            "{name}: row differs from SELECT: {diffs:#?}"
        );
    }
}

/// More shapes for the TABLE_MAP comparison: composite keys, wide CHAR, unsigned
/// DECIMAL/FLOAT, many SET members, non-ASCII latin1 labels, a UNIQUE NOT NULL key
/// standing in for a primary key, case-insensitive string keys.
const MORE_TABLES: &[(&str, &str, &[&str])] = &[
    (
        "shapes",
        "a INT NOT NULL, b VARCHAR(20) NOT NULL, c CHAR(255), du DECIMAL(30,10) UNSIGNED, \
         fu FLOAT UNSIGNED, dd DOUBLE UNSIGNED, s9 SET('a','b','c','d','e','f','g','h','i'), \
         s40 SET('a1','a2','a3','a4','a5','a6','a7','a8','a9','a10','a11','a12','a13','a14','a15','a16','a17','a18','a19','a20','a21','a22','a23','a24','a25','a26','a27','a28','a29','a30','a31','a32','a33','a34','a35','a36','a37','a38','a39','a40'), \
         el ENUM('é','x''y') CHARACTER SET latin1, vb VARBINARY(300), \
         v16 VARCHAR(10) CHARACTER SET utf16, cs VARCHAR(10) COLLATE utf8mb4_bin, \
         PRIMARY KEY (b, a)",
        &["INSERT INTO shapes VALUES (1, 'Key', 'c', 1.5, 2.5, 3.5, 'a,i', 'a1,a40', 'é', 0x00, 'ü', 'Z'), \
           (2, 'key2', REPEAT('ü', 255), 0, 0, 0, '', 'a33', 'x''y', NULL, NULL, NULL), \
           (1, 'KEY3', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"],
    ),
    (
        "uniq",
        "u INT NOT NULL, v VARCHAR(5), UNIQUE KEY uk (u)",
        &["INSERT INTO uniq VALUES (1, 'a'), (2, NULL)"],
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_table_equals_the_binlog_table_map() {
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE ty").await;
    let from = current(&db).await;
    let mut conn = db.root_conn().await;
    conn.query_drop("SET time_zone = '+00:00'").await.unwrap();
    conn.query_drop("USE ty").await.unwrap();
    for (name, columns, statements) in TYPE_TABLES.iter().chain(MORE_TABLES) {
        conn.query_drop(format!("CREATE TABLE {name} ({columns})"))
            .await
            .unwrap();
        for s in *statements {
            conn.query_drop(*s)
                .await
                .unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    }
    let changes = changes_until_end(&db, "ty.*", from).await;
    let mut streamed: HashMap<String, TableInfo> = HashMap::new();
    for c in &changes {
        if let Change::Row(r) = c {
            streamed
                .entry(r.table.name.clone())
                .or_insert_with(|| (*r.table).clone());
        }
    }
    let mut conn = db.root_conn().await;
    for (name, _, _) in TYPE_TABLES.iter().chain(MORE_TABLES) {
        let mut binlog = streamed
            .remove(*name)
            .unwrap_or_else(|| panic!("no row event for {name}"));
        binlog.table_id = 0;
        let described = describe_table(&mut conn, "ty", name).await.unwrap();
        assert_eq!(described.schema, binlog.schema);
        assert_eq!(described.name, binlog.name);
        assert_eq!(
            described.primary_key, binlog.primary_key,
            "{name}: primary key"
        );
        assert_eq!(described.columns.len(), binlog.columns.len(), "{name}");
        for (d, b) in described.columns.iter().zip(&binlog.columns) {
            assert_eq!(d, b, "{name}.{:?}: information_schema vs TABLE_MAP", b.name);
        }
        assert_eq!(described, binlog);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_rows_render_exactly_as_select() {
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE ty").await;
    let mut conn = db.root_conn().await;
    conn.query_drop("SET time_zone = '+00:00'").await.unwrap();
    conn.query_drop("USE ty").await.unwrap();
    for (name, columns, statements) in TYPE_TABLES.iter().chain(MORE_TABLES) {
        conn.query_drop(format!("CREATE TABLE {name} ({columns})"))
            .await
            .unwrap();
        for s in *statements {
            conn.query_drop(*s)
                .await
                .unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    }
    let mut snap = db.root_conn().await;
    let point = begin(&mut snap).await.unwrap();
    assert_eq!(point.position.file_pos, current(&db).await);
    let gtid = db.query_value("SELECT @@gtid_binlog_pos").await.unwrap();
    assert_eq!(point.position.gtid.as_ref().unwrap().to_string(), gtid);
    for (name, _, _) in TYPE_TABLES.iter().chain(MORE_TABLES) {
        let table = describe_table(&mut snap, "ty", name).await.unwrap();
        // Chunks of 2 rows: every table is read over several pages.
        let rows = snapshot_rows(&mut snap, &table, 2).await;
        if !table.primary_key.is_empty() {
            let keys: Vec<Vec<Value>> = rows.iter().map(|r| key_of(&table, r)).collect();
            let mut dedup = keys.clone();
            dedup.dedup();
            assert_eq!(dedup.len(), keys.len(), "{name}: a key came twice");
        }
        let got: Vec<TextRow> = rows.iter().map(|r| render_row(r, &table)).collect();
        assert_same_rows(name, got, &source_rows(&db, &format!("ty.{name}")).await);
    }
}

/// Random writes to `w.t` (primary key) and `w.nopk` (duplicates) until `stop` is set.
async fn writer(db_url: String, stop: Arc<AtomicBool>, ops: Arc<AtomicU64>) {
    let mut conn = mysql_async::Conn::from_url(db_url).await.unwrap();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    while !stop.load(Ordering::Relaxed) {
        let id = next(400);
        let sql = match next(7) {
            0 | 1 => format!("INSERT IGNORE INTO w.t VALUES ({id}, 'ins{id}', {})", next(1000)),
            2 | 3 => format!("UPDATE w.t SET v = CONCAT(v, '+'), n = n + 1 WHERE id = {id}"),
            4 => format!("DELETE FROM w.t WHERE id = {id}"),
            5 => format!(
                "BEGIN; INSERT INTO w.nopk VALUES ({}, 'dup'); UPDATE w.t SET n = n - 1 WHERE id BETWEEN {id} AND {id} + 10; COMMIT",
                id % 5
            ),
            _ => format!("UPDATE w.nopk SET v = CONCAT(v, '!') WHERE id = {} LIMIT 1", id % 5),
        };
        conn.query_drop(sql).await.unwrap();
        ops.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_and_stream_meet_exactly_under_writes() {
    let db = MariaDb::start().await;
    db.exec(
        "CREATE DATABASE w; CREATE TABLE w.t (id INT PRIMARY KEY, v VARCHAR(200), n INT); \
         CREATE TABLE w.nopk (id INT, v VARCHAR(200))",
    )
    .await;
    db.exec(
        "USE w; INSERT INTO w.t SELECT seq, CONCAT('row', seq), seq FROM seq_0_to_399 WHERE seq % 3 <> 0; \
         INSERT INTO w.nopk SELECT seq % 5, 'dup' FROM seq_0_to_19",
    )
    .await;
    let stop = Arc::new(AtomicBool::new(false));
    let ops = Arc::new(AtomicU64::new(0));
    let task = tokio::spawn(writer(db.root_url(), stop.clone(), ops.clone()));
    while ops.load(Ordering::Relaxed) < 100 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut snap = db.root_conn().await;
    let point = begin(&mut snap).await.unwrap();
    let at_begin = ops.load(Ordering::Relaxed);
    let mut snapshot: HashMap<&str, Vec<TextRow>> = HashMap::new();
    for name in ["t", "nopk"] {
        let table = describe_table(&mut snap, "w", name).await.unwrap();
        let mut rows = Vec::new();
        for row in snapshot_rows(&mut snap, &table, 7).await {
            rows.push(render_row(&row, &table));
            // Slow the read down so writes land between chunks.
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        snapshot.insert(name, rows);
    }
    let during = ops.load(Ordering::Relaxed) - at_begin;
    while ops.load(Ordering::Relaxed) < at_begin + during + 100 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    task.await.unwrap();
    let total = ops.load(Ordering::Relaxed);
    assert!(during > 0, "no write landed while the snapshot was read");

    // Apply the stream from the snapshot's position by full before-image.
    let changes = changes_until_end(&db, "w.*", point.position.file_pos.clone()).await;
    let mut pending = Vec::new();
    let mut marks: Vec<(&str, usize)> = Vec::new();
    let mut applied = 0;
    for c in &changes {
        match c {
            Change::Begin { .. } | Change::Discard => {
                pending.clear();
                marks.clear();
            }
            Change::Savepoint { name } => marks.push((name, pending.len())),
            Change::RollbackToSavepoint { name } => {
                if let Some((_, at)) = marks.iter().rev().find(|(n, _)| n == name) {
                    pending.truncate(*at);
                }
            }
            Change::Row(rc) => pending.push(rc),
            Change::Commit { .. } => {
                for rc in pending.drain(..) {
                    let rows = snapshot.get_mut(rc.table.name.as_str()).unwrap();
                    if let Some(b) = &rc.before {
                        let b = render_row(b, &rc.table);
                        let i = rows.iter().position(|r| *r == b).unwrap_or_else(|| {
                            panic!("{:?}: before-image {b:?} not in the snapshot copy", rc.kind)
                        });
                        rows.remove(i);
                    }
                    if let Some(a) = &rc.after {
                        rows.push(render_row(a, &rc.table));
                    }
                    applied += 1;
                }
            }
            Change::Ddl { .. } => {}
        }
    }
    eprintln!(
        "snapshot at {}: {at_begin} writes before, {during} while reading, {total} in all; \
         {applied} row changes streamed after the snapshot",
        point.position
    );
    for name in ["t", "nopk"] {
        let got = snapshot.remove(name).unwrap();
        assert_same_rows(name, got, &source_rows(&db, &format!("w.{name}")).await);
    }
}
