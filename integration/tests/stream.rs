//! The live binlog stream against a real MariaDB: every column type decodes to exactly
//! what `SELECT` on the source returns, transactions keep their boundaries, and the stream
//! follows rotation, source restarts and dead connections.

use std::collections::HashMap;
use std::time::Duration;

use integration::fixtures::{show, source_rows, TextRow, TYPE_TABLES};
use integration::MariaDb;
use jiff::tz::TimeZone;
use mysql_async::prelude::Queryable;
use replicant::source::change::{Change, RowKind};
use replicant::source::connect::SourceOptions;
use replicant::source::filter::TableFilter;
use replicant::source::position::{FilePos, StartPosition};
use replicant::source::stream::{BinlogStream, StreamOptions};
use replicant::source::text::render;

/// Stream options for `db` starting at its current end of binlog.
async fn options(db: &MariaDb, filter: &str) -> StreamOptions {
    let (file, pos) = db.current_position().await;
    let mut source = SourceOptions::from_url(&db.repl_url()).unwrap();
    source.heartbeat = Duration::from_secs(1);
    source.read_timeout = Duration::from_secs(4);
    StreamOptions {
        source,
        start: StartPosition::FilePos(FilePos { file, pos }),
        filter: TableFilter::parse(filter).unwrap(),
        stop_at_end: false,
        reconnect: true,
        max_backoff: Duration::from_secs(1),
        known_gtid: None,
    }
}

/// Reads changes until `commits` transactions have been committed (or 60 s pass).
async fn read_commits(stream: &mut BinlogStream, commits: usize) -> Vec<Change> {
    let mut all = Vec::new();
    let mut seen = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seen < commits {
        let mut batch = Vec::new();
        let more = tokio::time::timeout_at(deadline, stream.next(&mut batch))
            .await
            .unwrap_or_else(|_| panic!("only {seen} of {commits} commits arrived; got {all:#?}"))
            .expect("stream failed");
        seen += batch
            .iter()
            .filter(|c| matches!(c, Change::Commit { .. }))
            .count();
        all.extend(batch);
        assert!(more, "stream ended early");
    }
    all
}

/// Runs `replicant tail --format csv --stop-at-end` (parsed by its own clap definition)
/// against `db` from `from` for `tables`, and returns what it printed.
async fn tail_csv(db: &MariaDb, from: &str, tables: &str) -> Vec<u8> {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        tail: replicant::tail::TailArgs,
    }
    let cli = Cli::parse_from([
        "tail",
        "--source",
        &db.repl_url(),
        "--from",
        from,
        "--tables",
        tables,
        "--format",
        "csv",
        "--stop-at-end",
    ]);
    let mut out = Vec::new();
    replicant::tail::run_to(cli.tail, &mut out).await.unwrap();
    out
}

/// A replica kept in memory from the change stream, each row as rendered text: updates
/// and deletes must find their row by the full before-image, as a table without a primary
/// key requires. Only committed transactions are applied.
#[derive(Default)]
struct MiniReplica {
    tables: HashMap<String, Vec<TextRow>>,
}

impl MiniReplica {
    fn apply(&mut self, changes: &[Change]) {
        let mut pending: Vec<(String, RowKind, Option<TextRow>, Option<TextRow>)> = Vec::new();
        let mut marks: Vec<(String, usize)> = Vec::new();
        for c in changes {
            match c {
                Change::Begin { .. } | Change::Discard => {
                    pending.clear();
                    marks.clear();
                }
                Change::Row(rc) => {
                    let text = |row: &Option<Vec<Option<replicant::source::value::Value>>>| {
                        row.as_ref().map(|r| {
                            r.iter()
                                .enumerate()
                                .map(|(i, v)| {
                                    let v = v.as_ref().expect("FULL row image has every column");
                                    render(v, &rc.table.columns[i], &TimeZone::UTC)
                                })
                                .collect::<TextRow>()
                        })
                    };
                    pending.push((
                        rc.table.qualified_name(),
                        rc.kind,
                        text(&rc.before),
                        text(&rc.after),
                    ));
                }
                Change::Commit { .. } => {
                    for (table, kind, before, after) in pending.drain(..) {
                        let rows = self.tables.entry(table.clone()).or_default();
                        if let Some(b) = before {
                            let i = rows.iter().position(|r| *r == b).unwrap_or_else(|| {
                                panic!("{kind:?} on {table}: before-image {b:?} matches no row of {rows:?}")
                            });
                            rows.remove(i);
                        }
                        if let Some(a) = after {
                            rows.push(a);
                        }
                    }
                }
                Change::Ddl { .. } => {}
                Change::Savepoint { name } => marks.push((name.clone(), pending.len())),
                Change::RollbackToSavepoint { name } => {
                    let (_, at) = marks
                        .iter()
                        .rev()
                        .find(|(n, _)| n == name)
                        .unwrap_or_else(|| panic!("ROLLBACK TO unknown savepoint {name}"));
                    pending.truncate(*at);
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_decodes_to_what_select_returns() {
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE ty").await;
    let opts = options(&db, "ty.*").await;
    let mut stream = BinlogStream::open(opts).await.unwrap();
    let mut conn = db.root_conn().await;
    conn.query_drop("SET time_zone = '+00:00'").await.unwrap();
    conn.query_drop("USE ty").await.unwrap();
    let mut commits = 0;
    for (name, columns, statements) in TYPE_TABLES {
        conn.query_drop(format!("CREATE TABLE {name} ({columns})"))
            .await
            .unwrap();
        commits += 1;
        for s in *statements {
            conn.query_drop(*s)
                .await
                .unwrap_or_else(|e| panic!("{s}: {e}"));
            if !s.starts_with("SET") {
                commits += 1;
            }
        }
    }
    let changes = read_commits(&mut stream, commits).await;
    let mut replica = MiniReplica::default();
    replica.apply(&changes);
    for (name, _, _) in TYPE_TABLES {
        let want = source_rows(&db, &format!("ty.{name}")).await;
        let mut got = replica
            .tables
            .remove(&format!("ty.{name}"))
            .unwrap_or_default();
        got.sort();
        assert_eq!(got.len(), want.len(), "{name}: row count");
        for (g, w) in got.iter().zip(&want) {
            let diffs: Vec<String> = g
                .iter()
                .zip(w)
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| {
                    format!("column {}: replica {} source {}", i + 1, show(a), show(b))
                })
                .collect();
            assert!(
                diffs.is_empty(),
                "{name}: decoded row differs from SELECT: {diffs:#?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_keep_their_boundaries() {
    let db = MariaDb::start().await;
    db.exec(
        "CREATE DATABASE tx; CREATE TABLE tx.t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB",
    )
    .await;
    let mut stream = BinlogStream::open(options(&db, "tx.*").await)
        .await
        .unwrap();
    let mut conn = db.root_conn().await;
    // 1: a multi-statement transaction, 2: a rollback (nothing), 3: a savepoint rollback,
    // 4: DDL (standalone), 5: multi-row statement.
    conn.query_drop("BEGIN; INSERT INTO tx.t VALUES (1,'a'); INSERT INTO tx.t VALUES (2,'b'); UPDATE tx.t SET v='c' WHERE id=1; COMMIT")
        .await
        .unwrap();
    conn.query_drop("BEGIN; INSERT INTO tx.t VALUES (3,'gone'); ROLLBACK")
        .await
        .unwrap();
    conn.query_drop("BEGIN; INSERT INTO tx.t VALUES (4,'kept'); SAVEPOINT s; INSERT INTO tx.t VALUES (5,'undone'); ROLLBACK TO SAVEPOINT s; COMMIT")
        .await
        .unwrap();
    conn.query_drop("ALTER TABLE tx.t ADD COLUMN w INT")
        .await
        .unwrap();
    conn.query_drop("INSERT INTO tx.t VALUES (6,'x',1),(7,'y',2),(8,'z',3)")
        .await
        .unwrap();
    let changes = read_commits(&mut stream, 4).await;

    let mut txs: Vec<Vec<&Change>> = Vec::new();
    for c in &changes {
        match c {
            Change::Begin { .. } => txs.push(vec![c]),
            _ => txs.last_mut().expect("change before Begin").push(c),
        }
    }
    assert_eq!(txs.len(), 4, "{changes:#?}");
    let kinds = |tx: &Vec<&Change>| -> Vec<String> {
        tx.iter()
            .map(|c| match c {
                Change::Begin { gtid, .. } => format!("begin {}", gtid.is_some()),
                Change::Row(r) => r.kind.as_str().to_string(),
                Change::Ddl { statement, .. } => format!("ddl {statement}"),
                Change::Commit { .. } => "commit".into(),
                Change::Discard => "discard".into(),
                Change::Savepoint { name } => format!("savepoint {name}"),
                Change::RollbackToSavepoint { name } => format!("rollback to {name}"),
            })
            .collect()
    };
    assert_eq!(
        kinds(&txs[0]),
        ["begin true", "insert", "insert", "update", "commit"]
    );
    // MariaDB logs the SAVEPOINT but already dropped the rows undone by ROLLBACK TO.
    assert_eq!(
        kinds(&txs[1]),
        ["begin true", "insert", "savepoint s", "commit"],
        "savepoint rollback"
    );
    assert_eq!(
        kinds(&txs[2]),
        [
            "begin true",
            "ddl ALTER TABLE tx.t ADD COLUMN w INT",
            "commit"
        ]
    );
    assert_eq!(
        kinds(&txs[3]),
        ["begin true", "insert", "insert", "insert", "commit"]
    );

    // Positions and GTIDs advance with each commit and name the source's end.
    let commits: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Commit { position, .. } => Some(position.clone()),
            _ => None,
        })
        .collect();
    assert!(commits.windows(2).all(|w| w[0].file_pos < w[1].file_pos));
    let (file, pos) = db.current_position().await;
    assert_eq!(commits[3].file_pos, FilePos { file, pos });
    let gtid_pos = db.query_value("SELECT @@gtid_binlog_pos").await.unwrap();
    assert_eq!(commits[3].gtid.as_ref().unwrap().to_string(), gtid_pos);
    assert_eq!(stream.committed(), &commits[3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_rotation_and_lists_itself_as_replica() {
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE r; CREATE TABLE r.t (id INT PRIMARY KEY)")
        .await;
    let mut opts = options(&db, "r.t").await;
    opts.source.server_id = 4242;
    opts.source.report_host = Some("replicant-test".into());
    opts.source.report_port = 3307;
    let mut stream = BinlogStream::open(opts).await.unwrap();
    db.exec("INSERT INTO r.t VALUES (1)").await;
    let first = read_commits(&mut stream, 1).await;
    let hosts = db.query_text("SHOW SLAVE HOSTS").await;
    assert!(
        hosts.iter().any(|h| h[0].as_deref() == Some("4242")
            && h[1].as_deref() == Some("replicant-test")
            && h[2].as_deref() == Some("3307")),
        "SHOW SLAVE HOSTS: {hosts:?}"
    );
    db.exec("FLUSH BINARY LOGS").await;
    db.exec("INSERT INTO r.t VALUES (2)").await;
    db.exec("FLUSH BINARY LOGS").await;
    db.exec("INSERT INTO r.t VALUES (3)").await;
    let rest = read_commits(&mut stream, 2).await;
    let files: Vec<String> = first
        .iter()
        .chain(&rest)
        .filter_map(|c| match c {
            Change::Commit { position, .. } => Some(position.file_pos.file.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(files.len(), 3);
    assert!(files[0] < files[1] && files[1] < files[2], "{files:?}");
    let (file, _) = db.current_position().await;
    assert_eq!(files[2], file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_a_source_restart_without_loss_or_duplicates() {
    let mut db = MariaDb::start().await;
    db.exec("CREATE DATABASE rs; CREATE TABLE rs.t (id INT PRIMARY KEY)")
        .await;
    let mut stream = BinlogStream::open(options(&db, "rs.*").await)
        .await
        .unwrap();
    for i in 1..=5 {
        db.exec(&format!("INSERT INTO rs.t VALUES ({i})")).await;
    }
    let mut changes = read_commits(&mut stream, 5).await;
    db.restart().await;
    for i in 6..=10 {
        db.exec(&format!("INSERT INTO rs.t VALUES ({i})")).await;
    }
    changes.extend(read_commits(&mut stream, 5).await);
    let mut replica = MiniReplica::default();
    replica.apply(&changes);
    let mut got = replica.tables.remove("rs.t").unwrap();
    got.sort();
    assert_eq!(
        got,
        source_rows(&db, "rs.t").await,
        "rows lost or duplicated"
    );
    assert_eq!(got.len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_source_is_noticed_and_the_stream_resumes() {
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE fz; CREATE TABLE fz.t (id INT PRIMARY KEY)")
        .await;
    let mut stream = BinlogStream::open(options(&db, "fz.*").await)
        .await
        .unwrap();
    db.exec("INSERT INTO fz.t VALUES (1)").await;
    read_commits(&mut stream, 1).await;
    let pid = db.pid().expect("server pid").to_string();
    // Freeze the server longer than the read timeout (4 s): no heartbeats arrive.
    let status = std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let mut batch = Vec::new();
    let reader = tokio::spawn(async move {
        let r = tokio::time::timeout(Duration::from_secs(30), stream.next(&mut batch)).await;
        (r.map(|r| r.is_ok()), stream, batch)
    });
    tokio::time::sleep(Duration::from_secs(6)).await;
    std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap();
    db.exec("INSERT INTO fz.t VALUES (2)").await;
    let (ok, mut stream, batch) = reader.await.unwrap();
    assert_eq!(ok, Ok(true), "stream did not recover");
    let mut changes = batch;
    let have_commit = changes.iter().any(|c| matches!(c, Change::Commit { .. }));
    if !have_commit {
        changes.extend(read_commits(&mut stream, 1).await);
    }
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::Row(r) if r.kind == RowKind::Insert)),
        "{changes:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_csv_prints_the_seed_change_file() {
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE shop; CREATE TABLE shop.Orders (id INT, status VARCHAR(20), LastUpdated DATETIME)")
        .await;
    let (file, pos) = db.current_position().await;
    db.exec("INSERT INTO shop.Orders VALUES (1,'Backordered','2020-06-01 12:00:00'), (2,'Shipped',NULL)")
        .await;
    db.exec(
        "UPDATE shop.Orders SET status='Delivered', LastUpdated='2020-06-02 08:30:00' WHERE id=2",
    )
    .await;
    db.exec("DELETE FROM shop.Orders WHERE id=1").await;
    db.exec("CREATE TABLE shop.other (x INT); INSERT INTO shop.other VALUES (9)")
        .await;
    let out = tail_csv(&db, &format!("{file}:{pos}"), "shop.Orders").await;
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "insert|1|Backordered|2020-06-01 12:00:00\n\
         insert|2|Shipped|\n\
         update|2|Delivered|2020-06-02 08:30:00\n\
         delete|1|Backordered|2020-06-01 12:00:00\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimal_and_noblob_images_decode_with_column_bitmaps() {
    use integration::MariaDbOptions;
    for image in ["MINIMAL", "NOBLOB"] {
        let db = MariaDb::start_with(MariaDbOptions::default().binlog_row_image(image)).await;
        db.exec("CREATE DATABASE mi; CREATE TABLE mi.t (id INT PRIMARY KEY, a VARCHAR(10), b BLOB, c INT)")
            .await;
        let mut stream = BinlogStream::open(options(&db, "mi.*").await)
            .await
            .unwrap();
        db.exec("INSERT INTO mi.t VALUES (1, 'x', 'blob', 5)").await;
        db.exec("UPDATE mi.t SET c = 6 WHERE id = 1").await;
        db.exec("DELETE FROM mi.t WHERE id = 1").await;
        let changes = read_commits(&mut stream, 3).await;
        let rows: Vec<_> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Row(r) => Some(r),
                _ => None,
            })
            .collect();
        let present = |row: &Option<Vec<Option<replicant::source::value::Value>>>| -> Vec<bool> {
            row.as_ref().unwrap().iter().map(Option::is_some).collect()
        };
        match image {
            "MINIMAL" => {
                // Before-images hold the primary key; the update's after-image only what changed.
                assert_eq!(present(&rows[1].before), [true, false, false, false]);
                assert_eq!(present(&rows[1].after), [false, false, false, true]);
                assert_eq!(present(&rows[2].before), [true, false, false, false]);
            }
            _ => {
                // NOBLOB: every column but BLOBs that were not changed.
                assert_eq!(present(&rows[1].before), [true, true, false, true]);
                assert_eq!(present(&rows[1].after), [true, true, false, true]);
            }
        }
        let after = rows[1].after.as_ref().unwrap();
        assert_eq!(after[3], Some(replicant::source::value::Value::Int(6)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_events_larger_than_16_mib() {
    use integration::MariaDbOptions;
    let db = MariaDb::start_with(
        MariaDbOptions::default()
            .arg("--max-allowed-packet=256M")
            .arg("--binlog-row-event-max-size=64M"),
    )
    .await;
    db.exec("CREATE DATABASE big; CREATE TABLE big.t (id INT PRIMARY KEY, b LONGBLOB)")
        .await;
    let mut stream = BinlogStream::open(options(&db, "big.*").await)
        .await
        .unwrap();
    db.exec("INSERT INTO big.t VALUES (1, REPEAT(0xAB, 20 * 1024 * 1024)), (2, REPEAT('z', 5 * 1024 * 1024))")
        .await;
    let changes = read_commits(&mut stream, 1).await;
    let sizes: Vec<usize> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Row(r) => match &r.after.as_ref()?[1] {
                Some(replicant::source::value::Value::Bytes(b)) => {
                    assert!(b.iter().all(|x| *x == b[0]));
                    Some(b.len())
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(sizes, [20 * 1024 * 1024, 5 * 1024 * 1024]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_after_a_mariadb_gtid_and_keeps_idle_connections_alive() {
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE g; CREATE TABLE g.t (id INT PRIMARY KEY)")
        .await;
    db.exec("INSERT INTO g.t VALUES (1)").await;
    let after_first = db.query_value("SELECT @@gtid_binlog_pos").await.unwrap();
    db.exec("INSERT INTO g.t VALUES (2)").await;
    db.exec("INSERT INTO g.t VALUES (3)").await;
    let mut opts = options(&db, "g.*").await;
    opts.start = StartPosition::MariaGtid(after_first.parse().unwrap());
    let mut stream = BinlogStream::open(opts).await.unwrap();
    let changes = read_commits(&mut stream, 2).await;
    let ids: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Row(r) => Some(
                String::from_utf8(render(
                    r.after.as_ref()?[0].as_ref()?,
                    &r.table.columns[0],
                    &TimeZone::UTC,
                )?)
                .unwrap(),
            ),
            _ => None,
        })
        .collect();
    assert_eq!(ids, ["2", "3"], "must start right after {after_first}");
    // Idle for longer than the 4 s read timeout: heartbeats (1 s) keep it alive.
    tokio::time::sleep(Duration::from_secs(6)).await;
    db.exec("INSERT INTO g.t VALUES (4)").await;
    let more = read_commits(&mut stream, 1).await;
    assert!(more.iter().any(|c| matches!(c, Change::Row(_))));
    assert_eq!(
        stream.reconnects(),
        0,
        "heartbeats should have kept the connection alive"
    );
    let gtid = db.query_value("SELECT @@gtid_binlog_pos").await.unwrap();
    assert_eq!(stream.committed().gtid.as_ref().unwrap().to_string(), gtid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_position_is_a_clear_error() {
    let db = MariaDb::start().await;
    let opts = options(&db, "*.*").await;
    let first = db.current_position().await.0;
    db.exec("FLUSH BINARY LOGS").await;
    db.exec("CREATE DATABASE p").await;
    db.exec("FLUSH BINARY LOGS").await;
    let (last, _) = db.current_position().await;
    db.purge_binary_logs_to(&last).await;
    assert!(db.binary_logs().await.iter().all(|(f, _)| *f != first));
    // The stream asks for a file the source purged: the first read says so.
    let mut stream = BinlogStream::open(opts).await.unwrap();
    let mut out = Vec::new();
    let err = loop {
        match stream.next(&mut out).await {
            Ok(true) => continue,
            Ok(false) => panic!("stream ended without an error"),
            Err(e) => break e.to_string(),
        }
    };
    assert!(err.contains("not available on the source"), "{err}");
    assert!(err.contains("SHOW BINARY LOGS"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_without_event_checksums_stream_too() {
    use integration::MariaDbOptions;
    let db = MariaDb::start_with(MariaDbOptions::default().arg("--binlog-checksum=NONE")).await;
    assert_eq!(
        db.query_value("SELECT @@binlog_checksum").await.as_deref(),
        Some("NONE")
    );
    db.exec("CREATE DATABASE nc; CREATE TABLE nc.t (id INT PRIMARY KEY, v VARCHAR(5))")
        .await;
    let mut stream = BinlogStream::open(options(&db, "nc.*").await)
        .await
        .unwrap();
    db.exec("INSERT INTO nc.t VALUES (1, 'a'), (2, 'b')").await;
    db.exec("FLUSH BINARY LOGS").await;
    db.exec("DELETE FROM nc.t WHERE id = 1").await;
    let changes = read_commits(&mut stream, 2).await;
    let mut replica = MiniReplica::default();
    replica.apply(&changes);
    let mut got = replica.tables.remove("nc.t").unwrap();
    got.sort();
    assert_eq!(got, source_rows(&db, "nc.t").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logged_rollbacks_and_savepoints_undo_their_rows() {
    let db = MariaDb::start().await;
    db.exec(
        "CREATE DATABASE rb; CREATE TABLE rb.ti (a INT) ENGINE=InnoDB; \
         CREATE TABLE rb.tm (a INT) ENGINE=MyISAM",
    )
    .await;
    let (file, pos) = db.current_position().await;
    let mut stream = BinlogStream::open(options(&db, "rb.*").await)
        .await
        .unwrap();
    let mut conn = db.root_conn().await;
    conn.query_drop("USE rb").await.unwrap();
    // Touching a temporary table makes MariaDB log the ROLLBACK with the undone rows.
    conn.query_drop(
        "BEGIN; INSERT INTO ti VALUES (20); CREATE TEMPORARY TABLE tt (a INT); \
         INSERT INTO ti VALUES (21); ROLLBACK",
    )
    .await
    .unwrap();
    // A non-transactional change inside makes it log SAVEPOINT and ROLLBACK TO.
    conn.query_drop(
        "BEGIN; INSERT INTO ti VALUES (1); SAVEPOINT s1; INSERT INTO tm VALUES (1); \
         INSERT INTO ti VALUES (2); ROLLBACK TO SAVEPOINT s1; COMMIT",
    )
    .await
    .unwrap();
    conn.query_drop("INSERT INTO ti VALUES (3)").await.unwrap();
    let (end_file, end_pos) = db.current_position().await;
    let mut changes = Vec::new();
    loop {
        let more = stream.next(&mut changes).await.unwrap();
        assert!(more);
        if stream.committed().file_pos
            == (FilePos {
                file: end_file.clone(),
                pos: end_pos,
            })
        {
            break;
        }
    }
    assert!(
        changes.iter().any(|c| matches!(c, Change::Discard)),
        "the logged ROLLBACK was not seen: {changes:#?}"
    );
    let mut replica = MiniReplica::default();
    replica.apply(&changes);
    for t in ["rb.ti", "rb.tm"] {
        let mut got = replica.tables.remove(t).unwrap_or_default();
        got.sort();
        assert_eq!(
            got,
            source_rows(&db, t).await,
            "{t} differs from the source"
        );
    }

    // tail prints only what the source kept.
    let out = tail_csv(&db, &format!("{file}:{pos}"), "rb.*").await;
    let mut lines: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines.sort();
    assert_eq!(lines, ["insert|1", "insert|1", "insert|3"]);
}
