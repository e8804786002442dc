//! Preflight checks and source detection against real MariaDB servers started by the
//! harness, plus a smoke test of the harness itself (restart, kill, text queries).

use integration::{MariaDb, MariaDbOptions};
use replicant::source::connect::{connect, Flavor, SourceOptions};
use replicant::source::preflight::{check, PreflightReport, RowImage};
use replicant::source::{FilePos, SourceError, StartPosition};

/// Connects with `url` and runs the preflight for `start`.
async fn preflight(url: &str, start: &StartPosition) -> Result<PreflightReport, SourceError> {
    let opts = SourceOptions::from_url(url).expect("valid URL");
    let (mut conn, info) = connect(&opts).await?;
    let result = check(&mut conn, &info, start).await;
    let _ = conn.disconnect().await;
    result
}

/// Asserts a `Preflight` error about `setting` whose message contains every `needles`.
fn assert_preflight(result: Result<PreflightReport, SourceError>, setting: &str, needles: &[&str]) {
    let err = match result {
        Ok(r) => panic!("preflight passed ({r:?}) but {setting} should have failed it"),
        Err(e) => e,
    };
    let text = err.to_string();
    match &err {
        SourceError::Preflight { setting: s, .. } => {
            assert!(s.contains(setting), "wrong setting {s:?} in: {text}")
        }
        other => panic!("expected a Preflight error about {setting}, got {other:?}"),
    }
    for needle in needles {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
}

/// Asserts a `PositionUnavailable` error whose message contains every `needles`.
fn assert_unavailable(result: Result<PreflightReport, SourceError>, needles: &[&str]) {
    let err = match result {
        Ok(r) => panic!("preflight passed ({r:?}) but the position should be unavailable"),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(
        matches!(err, SourceError::PositionUnavailable { .. }),
        "expected PositionUnavailable, got: {text}"
    );
    for needle in needles {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
}

fn file_pos(file: &str, pos: u64) -> StartPosition {
    StartPosition::FilePos(FilePos {
        file: file.to_string(),
        pos,
    })
}

#[tokio::test]
async fn good_server_passes_and_is_detected_as_mariadb_10_11() {
    let db = MariaDb::start().await;

    let opts = SourceOptions::from_url(&db.repl_url()).unwrap();
    let (mut conn, info) = connect(&opts).await.unwrap();
    assert_eq!(info.flavor, Flavor::MariaDb);
    assert_eq!(info.flavor.to_string(), "MariaDB");
    assert_eq!((info.version.0, info.version.1), (10, 11), "{info:?}");
    assert!(info.version_string.contains("MariaDB"), "{info:?}");
    assert_eq!(info.server_id, 1);
    assert_eq!(info.server_uuid, None);

    let report = check(&mut conn, &info, &StartPosition::Current)
        .await
        .unwrap();
    assert_eq!(report.row_image, RowImage::Full);
    assert!(report.gtid_mode);
    assert_eq!(report.checksum, "CRC32");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(!report.binlog_files.is_empty());

    // Every kind of valid start position passes too.
    let (file, pos) = db.current_position().await;
    db.exec("CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY); INSERT INTO d.t VALUES (1)")
        .await;
    let gtid = db.query_value("SELECT @@gtid_binlog_pos").await.unwrap();
    for start in [
        StartPosition::Earliest,
        file_pos(&file, pos),
        file_pos(&file, 4),
        StartPosition::MariaGtid(gtid.parse().unwrap()),
    ] {
        check(&mut conn, &info, &start)
            .await
            .unwrap_or_else(|e| panic!("{start:?} failed: {e}"));
    }
    // A MySQL GTID set makes no sense against MariaDB.
    let mysql_set = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5".parse().unwrap();
    let err = check(&mut conn, &info, &StartPosition::MySqlGtid(mysql_set))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Config(_)), "{err}");
    conn.disconnect().await.unwrap();

    // root has ALL PRIVILEGES, which includes REPLICATION SLAVE.
    preflight(&db.root_url(), &StartPosition::Current)
        .await
        .unwrap();
}

#[tokio::test]
async fn binlog_off_fails_with_the_fix() {
    let db = MariaDb::start_with(MariaDbOptions::default().without_binlog()).await;
    assert_preflight(
        preflight(&db.repl_url(), &StartPosition::Current).await,
        "log_bin",
        &[
            "log_bin is OFF",
            "log_bin = mariadb-bin",
            "my.cnf",
            "restart",
        ],
    );
}

#[tokio::test]
async fn statement_format_fails_with_the_fix() {
    let db = MariaDb::start_with(MariaDbOptions::default().binlog_format("STATEMENT")).await;
    assert_preflight(
        preflight(&db.repl_url(), &StartPosition::Current).await,
        "binlog_format",
        &[
            "binlog_format is STATEMENT",
            "SET GLOBAL binlog_format = 'ROW'",
            "binlog_format = ROW",
            "my.cnf",
        ],
    );
    // MIXED is no better; the check reads the global value, so SET GLOBAL is enough.
    db.exec("SET GLOBAL binlog_format = 'MIXED'").await;
    assert_preflight(
        preflight(&db.repl_url(), &StartPosition::Current).await,
        "binlog_format",
        &["binlog_format is MIXED"],
    );
    db.exec("SET GLOBAL binlog_format = 'ROW'").await;
    preflight(&db.repl_url(), &StartPosition::Current)
        .await
        .unwrap();
}

#[tokio::test]
async fn row_metadata_other_than_full_fails_with_the_fix() {
    let db = MariaDb::start_with(MariaDbOptions::default().binlog_row_metadata("NO_LOG")).await;
    assert_preflight(
        preflight(&db.repl_url(), &StartPosition::Current).await,
        "binlog_row_metadata",
        &[
            "binlog_row_metadata is NO_LOG",
            "column names",
            "SET GLOBAL binlog_row_metadata = 'FULL'",
            "binlog_row_metadata = FULL",
        ],
    );
    db.exec("SET GLOBAL binlog_row_metadata = 'MINIMAL'").await;
    assert_preflight(
        preflight(&db.repl_url(), &StartPosition::Current).await,
        "binlog_row_metadata",
        &["binlog_row_metadata is MINIMAL"],
    );
}

#[tokio::test]
async fn compressed_binlog_fails_with_the_fix() {
    let db = MariaDb::start_with(MariaDbOptions::default().log_bin_compress(true)).await;
    assert_preflight(
        preflight(&db.repl_url(), &StartPosition::Current).await,
        "log_bin_compress",
        &[
            "log_bin_compress is ON",
            "SET GLOBAL log_bin_compress = 'OFF'",
            "log_bin_compress = OFF",
        ],
    );
}

#[tokio::test]
async fn minimal_row_image_is_only_a_warning() {
    let db = MariaDb::start_with(MariaDbOptions::default().binlog_row_image("MINIMAL")).await;
    let report = preflight(&db.repl_url(), &StartPosition::Current)
        .await
        .unwrap();
    assert_eq!(report.row_image, RowImage::Minimal);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("binlog_row_image is MINIMAL"));

    db.exec("SET GLOBAL binlog_row_image = 'NOBLOB'").await;
    let report = preflight(&db.repl_url(), &StartPosition::Current)
        .await
        .unwrap();
    assert_eq!(report.row_image, RowImage::NoBlob);
}

#[tokio::test]
async fn missing_privileges_fail_with_the_grant_to_run() {
    let db = MariaDb::start().await;

    let url = db
        .create_user("noslave", "pw", "BINLOG MONITOR, SELECT")
        .await;
    assert_preflight(
        preflight(&url, &StartPosition::Current).await,
        "REPLICATION SLAVE",
        &["GRANT REPLICATION SLAVE ON *.* TO 'noslave'@'127.0.0.1';"],
    );

    // MariaDB 10.5+ calls REPLICATION CLIENT "BINLOG MONITOR"; SHOW BINARY LOGS fails with 1227.
    let url = db
        .create_user("nomonitor", "pw", "REPLICATION SLAVE, SELECT")
        .await;
    assert_preflight(
        preflight(&url, &StartPosition::Current).await,
        "BINLOG MONITOR",
        &[
            "GRANT BINLOG MONITOR ON *.* TO 'nomonitor'@'127.0.0.1';",
            "SHOW BINARY LOGS",
        ],
    );

    let url = db.create_user("nothing", "pw", "").await;
    assert!(preflight(&url, &StartPosition::Current).await.is_err());

    // Privileges granted through a default role count.
    let url = db.create_user("viarole", "pw", "").await;
    db.exec(
        "CREATE ROLE replrole; GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO replrole; \
         GRANT replrole TO 'viarole'@'%', 'viarole'@'127.0.0.1'; \
         SET DEFAULT ROLE replrole FOR 'viarole'@'%'; \
         SET DEFAULT ROLE replrole FOR 'viarole'@'127.0.0.1'",
    )
    .await;
    preflight(&url, &StartPosition::Current).await.unwrap();

    // A wrong password is a connection error (not transient: retrying will not help).
    let err = preflight(&db.user_url("repl", "wrong"), &StartPosition::Current)
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Connection(_)), "{err}");
    assert!(!err.is_transient());
    assert!(err.to_string().contains("Access denied"), "{err}");
}

#[tokio::test]
async fn purged_positions_are_unavailable() {
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY)")
        .await;
    let (first_file, _) = db.current_position().await;
    db.exec("INSERT INTO d.t VALUES (1)").await;
    let early_gtid = db.query_value("SELECT @@gtid_binlog_pos").await.unwrap();
    for i in 2..5 {
        db.exec(&format!("FLUSH BINARY LOGS; INSERT INTO d.t VALUES ({i})"))
            .await;
    }
    let files = db.binary_logs().await;
    assert_eq!(files.len(), 4, "{files:?}");
    let keep_from = files[2].0.clone();
    db.purge_binary_logs_to(&keep_from).await;
    let (last_file, last_pos) = db.current_position().await;
    let url = db.repl_url();

    // The purged first file.
    assert_unavailable(
        preflight(&url, &file_pos(&first_file, 4)).await,
        &[&first_file, "purged", &keep_from, &last_file],
    );
    // A file the source never had.
    assert_unavailable(
        preflight(&url, &file_pos("other-bin.000001", 4)).await,
        &["no binary log `other-bin.000001`", &keep_from],
    );
    // Past the end of a file.
    assert_unavailable(
        preflight(&url, &file_pos(&last_file, last_pos + 1000)).await,
        &["past its end", &last_file],
    );
    // Inside an event (the Format_description event starts at 4 and is longer than 1 byte).
    assert_unavailable(
        preflight(&url, &file_pos(&last_file, 5)).await,
        &["not the start of an event"],
    );
    // What is left is fine.
    preflight(&url, &file_pos(&keep_from, 4)).await.unwrap();
    preflight(&url, &file_pos(&last_file, last_pos))
        .await
        .unwrap();
    preflight(&url, &StartPosition::Earliest).await.unwrap();

    // MariaDB GTID positions: older than the oldest binlog's GTID_LIST, an unknown domain,
    // ahead of the source, and "from the beginning" all fail; the current state passes.
    assert_unavailable(
        preflight(&url, &StartPosition::MariaGtid(early_gtid.parse().unwrap())).await,
        &["domain 0", &early_gtid, "starts after", &keep_from],
    );
    let current = db.query_value("SELECT @@gtid_binlog_pos").await.unwrap();
    assert_unavailable(
        preflight(
            &url,
            &StartPosition::MariaGtid(format!("{current},9-1-5").parse().unwrap()),
        )
        .await,
        &["domain 9"],
    );
    assert_unavailable(
        preflight(
            &url,
            &StartPosition::MariaGtid("0-1-999999".parse().unwrap()),
        )
        .await,
        &["ahead"],
    );
    assert_unavailable(
        preflight(&url, &StartPosition::MariaGtid(Default::default())).await,
        &["domain 0", "first transaction"],
    );
    preflight(&url, &StartPosition::MariaGtid(current.parse().unwrap()))
        .await
        .unwrap();
}

#[tokio::test]
async fn harness_restarts_kills_and_queries() {
    let mut db = MariaDb::start().await;
    db.exec(
        "CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY, s VARCHAR(10), n DECIMAL(5,2)); \
         INSERT INTO d.t VALUES (1, 'a', 1.5), (2, NULL, -0.25)",
    )
    .await;
    let rows = db.query_text("SELECT id, s, n FROM d.t ORDER BY id").await;
    assert_eq!(
        rows,
        vec![
            vec![Some("1".into()), Some("a".into()), Some("1.50".into())],
            vec![Some("2".into()), None, Some("-0.25".into())],
        ]
    );
    assert_eq!(
        db.query_value("SELECT @@character_set_server")
            .await
            .as_deref(),
        Some("utf8mb4")
    );
    // No anonymous accounts; root needs its password.
    assert_eq!(
        db.query_value("SELECT COUNT(*) FROM mysql.user WHERE User = ''")
            .await
            .as_deref(),
        Some("0")
    );
    assert!(
        mysql_async::Conn::new(mysql_async::Opts::from_url(&db.user_url("root", "")).unwrap())
            .await
            .is_err()
    );

    let port = db.port();
    let (file, _) = db.current_position().await;
    db.restart().await;
    assert_eq!(db.port(), port);
    let (after, _) = db.current_position().await;
    assert_ne!(file, after, "a restart starts a new binlog file");
    db.exec("INSERT INTO d.t VALUES (3, 'c', 0)").await;

    db.kill();
    assert!(!db.is_running());
    assert!(db.try_exec("SELECT 1").await.is_err());
    db.restart().await; // crash recovery
    assert_eq!(
        db.query_value("SELECT COUNT(*) FROM d.t").await.as_deref(),
        Some("3")
    );
    let dir = db.datadir();
    drop(db);
    assert!(!dir.exists(), "drop removes the data directory");
}

#[tokio::test]
async fn mariadb_5_3_temporal_layout_fails_with_the_fix() {
    let db = MariaDb::start().await;
    // A table created while mysql56_temporal_format was OFF keeps the old layout.
    db.exec(
        "SET GLOBAL mysql56_temporal_format = OFF; CREATE DATABASE ot; \
         CREATE TABLE ot.t (id INT PRIMARY KEY, t TIME(3), d DATETIME)",
    )
    .await;
    assert_preflight(
        preflight(&db.repl_url(), &StartPosition::Current).await,
        "mysql56_temporal_format",
        &["SET GLOBAL mysql56_temporal_format = 'ON'"],
    );
    db.exec("SET GLOBAL mysql56_temporal_format = ON").await;
    // The setting is fixed, but the old column remains: it is named with its fix.
    assert_preflight(
        preflight(&db.repl_url(), &StartPosition::Current).await,
        "temporal columns",
        &["ot.t.t", "ALTER TABLE `ot`.`t` FORCE;"],
    );
    db.exec("ALTER TABLE ot.t FORCE").await;
    preflight(&db.repl_url(), &StartPosition::Current)
        .await
        .expect("rebuilt table passes");
}
