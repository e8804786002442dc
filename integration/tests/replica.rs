//! `replicant run` against a real MariaDB: the copy equals the source (`SELECT … ORDER BY`)
//! after the initial copy and after streaming, for every type family, tables without a
//! primary key holding duplicate rows, composite and case-insensitive keys, multi-statement
//! transactions, savepoints and rollbacks; restarts resume exactly; filters select tables;
//! `status` reports where the replica stands.

use integration::fixtures::TYPE_TABLES;
use integration::replica::{assert_table_matches, replica_rows, run_statements, settings, sync};
use integration::MariaDb;
use replicant::replica::status::report;
use replicant::store::changelog::{self, ChangeOp};
use replicant::store::read::Snapshot;
use replicant::store::Store;

/// `ORDER BY` of each type table (all keyed by `id` except `nopk`).
fn order_of(table: &str) -> Option<&'static str> {
    (table != "nopk").then_some("id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_then_stream_equals_the_source_for_every_type() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    db.exec("CREATE DATABASE ty").await;
    // Half of each table's statements before the replica starts (the copy path)...
    for (name, columns, statements) in TYPE_TABLES {
        let mut all = vec![
            format!("USE ty"),
            format!("CREATE TABLE {name} ({columns})"),
        ];
        let half = statements.len().div_ceil(2);
        all.extend(statements[..half].iter().map(|s| s.to_string()));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        run_statements(&db, &refs).await;
    }
    let s = settings(&db, dir.path(), "ty.*");
    sync(&s).await;
    for (name, _, _) in TYPE_TABLES {
        assert_table_matches(&db, dir.path(), "ty", name, order_of(name)).await;
    }
    // ...the rest after (the binlog path), then everything once more as new rows.
    for (name, _, statements) in TYPE_TABLES {
        let half = statements.len().div_ceil(2);
        let mut all = vec!["USE ty".to_string()];
        all.extend(statements[half..].iter().map(|s| s.to_string()));
        all.push(format!(
            "CREATE TEMPORARY TABLE tmp_{name} AS SELECT * FROM {name}"
        ));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        run_statements(&db, &refs).await;
    }
    db.exec("UPDATE ty.integers SET id = id + 100").await;
    db.exec("DELETE FROM ty.strings WHERE id = 1").await;
    db.exec("UPDATE ty.nopk SET status = 'again' WHERE status = 'Done'")
        .await;
    db.exec("INSERT INTO ty.nopk SELECT * FROM ty.nopk").await;
    db.exec("DELETE FROM ty.nopk WHERE status = 'Backordered' LIMIT 1")
        .await;
    sync(&s).await;
    for (name, _, _) in TYPE_TABLES {
        assert_table_matches(&db, dir.path(), "ty", name, order_of(name)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_composite_case_insensitive_and_transactions() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    run_statements(
        &db,
        &[
            "CREATE DATABASE k",
            "CREATE TABLE k.ci (name VARCHAR(20) COLLATE utf8mb4_general_ci PRIMARY KEY, n INT)",
            "CREATE TABLE k.comp (a INT, b VARCHAR(10) COLLATE utf8mb4_bin, c DATE, v TEXT, \
             PRIMARY KEY (a, b, c))",
            "CREATE TABLE k.dec_key (d DECIMAL(10,3) PRIMARY KEY, v INT)",
            "INSERT INTO k.ci VALUES ('abc', 1), ('Zeta', 2), ('émile', 3)",
            "INSERT INTO k.comp VALUES (1, 'b', '2020-01-01', 'x'), (1, 'B', '2020-01-01', 'y'), \
             (-5, '', '1999-12-31', NULL), (1, 'b', '2019-01-01', 'z')",
            "INSERT INTO k.dec_key VALUES (-1.5, 1), (0, 2), (10.25, 3), (-100, 4)",
        ],
    )
    .await;
    let s = settings(&db, dir.path(), "k.*");
    sync(&s).await;
    // Streamed: a case-only key change is the same key; multi-statement transactions,
    // a rolled back one, a savepoint rolled back inside a committed one.
    run_statements(
        &db,
        &[
            "UPDATE k.ci SET name = 'ABC', n = 10 WHERE name = 'abc'",
            "INSERT INTO k.ci VALUES ('new', 4)",
            "BEGIN",
            "INSERT INTO k.comp VALUES (2, 'a', '2021-01-01', 'in trx')",
            "UPDATE k.comp SET v = 'moved', a = 3 WHERE a = 1 AND b = 'B'",
            "DELETE FROM k.comp WHERE a = -5",
            "COMMIT",
            "BEGIN",
            "INSERT INTO k.comp VALUES (9, 'gone', '2021-01-01', 'rolled back')",
            "ROLLBACK",
            "BEGIN",
            "INSERT INTO k.dec_key VALUES (5.5, 5)",
            "SAVEPOINT s1",
            "INSERT INTO k.dec_key VALUES (6.5, 6)",
            "ROLLBACK TO SAVEPOINT s1",
            "UPDATE k.dec_key SET v = v * 10",
            "COMMIT",
        ],
    )
    .await;
    sync(&s).await;
    assert_table_matches(&db, dir.path(), "k", "ci", Some("name")).await;
    assert_table_matches(&db, dir.path(), "k", "comp", Some("a, b, c")).await;
    assert_table_matches(&db, dir.path(), "k", "dec_key", Some("d")).await;
    let ci = replica_rows(dir.path(), "k", "ci").unwrap();
    assert_eq!(ci.len(), 4, "'abc' became 'ABC' in place, not a second row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_resume_exactly_and_the_change_log_has_each_change_once() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    run_statements(
        &db,
        &[
            "CREATE DATABASE r",
            "CREATE TABLE r.t (id INT PRIMARY KEY, v INT)",
            "INSERT INTO r.t VALUES (1, 1), (2, 2)",
        ],
    )
    .await;
    let s = settings(&db, dir.path(), "r.*");
    sync(&s).await;
    let mut expected_changes = 0;
    for round in 0..3 {
        for i in 0..10 {
            let id = 100 + round * 10 + i;
            db.exec(&format!("INSERT INTO r.t VALUES ({id}, {i})"))
                .await;
            expected_changes += 1;
        }
        db.exec("UPDATE r.t SET v = v + 1 WHERE id <= 2").await;
        expected_changes += 2;
        sync(&s).await;
        assert_table_matches(&db, dir.path(), "r", "t", Some("id")).await;
    }
    let store = Store::open_read_only(dir.path()).unwrap();
    let mut inserts = 0;
    let mut updates = 0;
    let cf = store.cf(replicant::store::db::CF_CHANGELOG).unwrap();
    for item in store.db().iterator_cf(cf, rocksdb_mode_start()) {
        let (_, v) = item.unwrap();
        let rec = changelog::decode(&v).unwrap();
        match rec.op {
            ChangeOp::Insert => inserts += 1,
            ChangeOp::Update => updates += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        inserts + updates,
        expected_changes,
        "each change logged once"
    );
    assert_eq!(updates, 6);
    let snap = Snapshot::new(&store).unwrap();
    let (file, pos) = db.current_position().await;
    let at = snap.position.clone().unwrap();
    assert_eq!(
        (at.file, at.pos),
        (file, pos),
        "stored position = source end"
    );
}

fn rocksdb_mode_start() -> replicant::store::db::IteratorMode<'static> {
    replicant::store::db::IteratorMode::Start
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_select_tables_and_status_reports_them() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    run_statements(
        &db,
        &[
            "CREATE DATABASE app",
            "CREATE DATABASE other",
            "CREATE TABLE app.orders (id INT PRIMARY KEY)",
            "CREATE TABLE app.tmp_load (id INT PRIMARY KEY)",
            "CREATE TABLE other.t (id INT PRIMARY KEY)",
            "INSERT INTO app.orders VALUES (1)",
            "INSERT INTO app.tmp_load VALUES (1)",
            "INSERT INTO other.t VALUES (1)",
        ],
    )
    .await;
    let mut s = settings(&db, dir.path(), "app.*");
    s.exclude_tables = "app.tmp_*".into();
    sync(&s).await;
    db.exec("INSERT INTO app.orders VALUES (2)").await;
    db.exec("INSERT INTO app.tmp_load VALUES (2)").await;
    db.exec("INSERT INTO other.t VALUES (2)").await;
    sync(&s).await;
    assert_table_matches(&db, dir.path(), "app", "orders", Some("id")).await;
    assert!(replica_rows(dir.path(), "app", "tmp_load").is_none());
    assert!(replica_rows(dir.path(), "other", "t").is_none());

    let r = report(dir.path()).unwrap();
    let names: Vec<&str> = r.tables.iter().map(|t| t.table.as_str()).collect();
    assert_eq!(names, ["app.orders"]);
    assert_eq!(r.tables[0].state, "streaming");
    assert!(!r.running);
    let (file, pos) = db.current_position().await;
    assert!(
        r.position
            .as_deref()
            .unwrap()
            .starts_with(&format!("{file}:{pos}")),
        "{:?}",
        r.position
    );
    let text = replicant::replica::status::render_text(&r);
    assert!(
        text.contains("app.orders") && text.contains("streaming"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_position_stops_with_the_fix_or_recopies_when_asked() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    run_statements(
        &db,
        &[
            "CREATE DATABASE g",
            "CREATE TABLE g.t (id INT PRIMARY KEY, v VARCHAR(10))",
            "INSERT INTO g.t VALUES (1, 'a'), (2, 'b')",
        ],
    )
    .await;
    let mut s = settings(&db, dir.path(), "g.*");
    sync(&s).await;
    // The source moves on and purges the binlog the replica would resume from.
    db.exec("INSERT INTO g.t VALUES (3, 'c')").await;
    db.exec("FLUSH BINARY LOGS").await;
    db.exec("UPDATE g.t SET v = 'changed' WHERE id = 1").await;
    let (file, _) = db.current_position().await;
    db.purge_binary_logs_to(&file).await;

    let err = replicant::replica::run_with(&s, replicant::replica::RunMode { stop_at_end: true })
        .await
        .expect_err("a purged position must stop the replica");
    let text = err.to_string();
    assert!(text.contains("--resnapshot-on-gap"), "{text}");
    // Nothing was lost or changed by the refusal: the old copy is still there.
    assert_eq!(replica_rows(dir.path(), "g", "t").unwrap().len(), 2);

    s.resnapshot_on_gap = true;
    sync(&s).await;
    assert_table_matches(&db, dir.path(), "g", "t", Some("id")).await;
    db.exec("DELETE FROM g.t WHERE id = 2").await;
    s.resnapshot_on_gap = false;
    sync(&s).await;
    assert_table_matches(&db, dir.path(), "g", "t", Some("id")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_runs_a_replica_and_reports_its_status() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run_statements(
        &db,
        &[
            "CREATE DATABASE shop",
            "CREATE TABLE shop.Orders (id INT, status VARCHAR(20), LastUpdated DATETIME)",
            "INSERT INTO shop.Orders VALUES (1, 'Backordered', '2020-06-01 12:00:00'), \
             (3, 'Pending', '2020-06-01 12:10:00'), (3, 'Pending', '2020-06-01 12:10:00')",
        ],
    )
    .await;
    // Settings from a config file, one overridden by a flag.
    let config = dir.path().join("replicant.toml");
    std::fs::write(
        &config,
        format!(
            "source = \"{}\"\ntables = \"nothing.*\"\ndata-dir = \"{}\"\nheartbeat = 1\n",
            db.repl_url(),
            data.display()
        ),
    )
    .unwrap();
    let bin = integration::replica::replicant_binary();
    let out = std::process::Command::new(&bin)
        .args(["run", "--config"])
        .arg(&config)
        .args([
            "--tables",
            "shop.*",
            "--stop-at-end",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "replicant run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    db.exec("UPDATE shop.Orders SET status = 'Shipped' WHERE id = 3 LIMIT 1")
        .await;
    let out = std::process::Command::new(&bin)
        .args(["run", "--config"])
        .arg(&config)
        .args([
            "--tables",
            "shop.*",
            "--stop-at-end",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_table_matches(&db, &data, "shop", "Orders", None).await;

    let out = std::process::Command::new(&bin)
        .args(["status", "--format", "json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tables"][0]["table"], "shop.Orders");
    assert_eq!(v["tables"][0]["state"], "streaming");
    assert_eq!(v["running"], false);
    let password = db.repl_url();
    let password = password
        .split('@')
        .next()
        .and_then(|userinfo| userinfo.rsplit(':').next())
        .unwrap();
    assert!(
        !v["source"]["url"].as_str().unwrap().contains(password),
        "{v}"
    );
    let (file, pos) = db.current_position().await;
    assert!(v["position"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{file}:{pos}")));

    // A bad key in the file is named, with the fix.
    std::fs::write(&config, "data_dir = \"/tmp/x\"\n").unwrap();
    let out = std::process::Command::new(&bin)
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("data_dir") && err.contains("data-dir"),
        "{err}"
    );
}
