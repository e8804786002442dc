//! The query server's metadata statements against a real MariaDB: a replica of a schema
//! with every kind of column attribute and key answers `SHOW COLUMNS`, `SHOW FULL
//! COLUMNS`, `DESCRIBE`, `SHOW CREATE TABLE`, `SHOW [FULL] TABLES`, `SHOW INDEX`, `SHOW
//! TABLE STATUS` and `information_schema` queries exactly as the source answers the same
//! statement (the source is the oracle), and the session statements (`USE`, `SET`,
//! `SELECT @@var`, writes refused) as MariaDB does. Replica status and the position waits
//! run against a replica view driven from the test.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use integration::fixtures::run_statements;
use integration::replica::{settings, sync};
use integration::MariaDb;
use mysql_async::prelude::Queryable;
use replicant::query::engine::Session;
use replicant::query::process::{ProcessList, Registration};
use replicant::query::{Engine, EngineConfig, Outcome, ReplicaView, SqlError};
use replicant::replica::runtime::RuntimeStatus;
use replicant::store::catalog::StoredPosition;
use replicant::store::{Durability, Store};

type Rows = Vec<Vec<Option<String>>>;

const SCHEMA: &[&str] = &[
    "CREATE DATABASE shop",
    "CREATE TABLE shop.customers (
        id INT UNSIGNED NOT NULL AUTO_INCREMENT,
        email VARCHAR(120) NOT NULL,
        name VARCHAR(80) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT 'it''s',
        tier ENUM('free','pro','enterprise') NOT NULL DEFAULT 'free',
        flags SET('a','bb','ccc') DEFAULT NULL,
        bio TEXT COMMENT 'about, them',
        created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        score DECIMAL(8,3) DEFAULT 0.000,
        ratio DOUBLE,
        small FLOAT(7,2),
        big BIGINT UNSIGNED DEFAULT 42,
        tiny TINYINT(1) NOT NULL DEFAULT 0,
        bits BIT(5),
        born DATE,
        wake TIME(3),
        seen DATETIME(6) NULL,
        yr YEAR,
        doubled INT AS (id * 2) VIRTUAL,
        stored_name VARCHAR(90) AS (UPPER(email)) PERSISTENT,
        PRIMARY KEY (id),
        UNIQUE KEY email_u (email),
        UNIQUE KEY name_tier (name, tier),
        KEY bio_prefix (bio(20)) COMMENT 'prefix index',
        KEY created_desc (created DESC),
        FULLTEXT KEY bio_ft (bio)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='all attributes'",
    "CREATE TABLE shop.orders (
        order_id BIGINT NOT NULL,
        line SMALLINT NOT NULL,
        customer_id INT UNSIGNED NOT NULL,
        amount DECIMAL(10,2) NOT NULL,
        note VARCHAR(20) DEFAULT NULL,
        blob_col BLOB,
        bin_col VARBINARY(16),
        PRIMARY KEY (order_id, line),
        KEY customer (customer_id),
        CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE,
        CONSTRAINT positive CHECK (amount >= 0)
    ) ENGINE=InnoDB DEFAULT CHARSET=latin1",
    "CREATE TABLE shop.log_lines (msg VARCHAR(50), at DATETIME, KEY at_k (at)) DEFAULT CHARSET=utf8mb3",
    "CREATE TABLE shop.uniq (code CHAR(4) NOT NULL, other INT, UNIQUE KEY code_u (code))",
    "INSERT INTO shop.customers (email, name) VALUES ('a@x', 'A'), ('b@x', 'B')",
    "INSERT INTO shop.orders VALUES (1, 1, 1, 9.99, NULL, NULL, NULL), (1, 2, 2, 5.00, 'x', 'b', 0x00)",
    "INSERT INTO shop.log_lines VALUES ('hello', NOW())",
    "INSERT INTO shop.uniq VALUES ('abcd', 1)",
];

const TABLES: &[&str] = &["customers", "orders", "log_lines", "uniq"];

fn text(v: mysql_async::Value) -> Option<String> {
    match v {
        mysql_async::Value::NULL => None,
        mysql_async::Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// Column names and rows of a statement on the source.
async fn source(db: &MariaDb, sql: &str) -> (Vec<String>, Rows) {
    let mut conn = db.root_conn().await;
    let mut r = conn
        .query_iter(sql)
        .await
        .unwrap_or_else(|e| panic!("source: {sql}: {e}"));
    let cols: Vec<String> = r
        .columns_ref()
        .iter()
        .map(|c| c.name_str().into_owned())
        .collect();
    let rows: Vec<mysql_async::Row> = r.collect().await.unwrap();
    let rows = rows
        .into_iter()
        .map(|row| row.unwrap().into_iter().map(text).collect())
        .collect();
    (cols, rows)
}

fn my_text(v: mysql_async::Value) -> Option<String> {
    text(v)
}

/// Column names and rows of a statement on the replica.
async fn replica(session: &mut Session, sql: &str) -> Result<(Vec<String>, Rows), SqlError> {
    match session.execute(sql).await? {
        Outcome::Ok { .. } => Ok((vec![], vec![])),
        Outcome::Rows(mut rs) => {
            let cols = rs.columns.iter().map(|c| c.name.clone()).collect();
            let mut rows = Vec::new();
            while let Some(chunk) = rs.rows.next().await {
                for r in chunk? {
                    rows.push(r.into_iter().map(my_text).collect());
                }
            }
            Ok((cols, rows))
        }
    }
}

async fn replica_ok(session: &mut Session, sql: &str) -> (Vec<String>, Rows) {
    replica(session, sql)
        .await
        .unwrap_or_else(|e| panic!("replica: {sql}: {e}"))
}

/// Drops the listed column positions from a result (values the replica cannot know,
/// such as statistics and privileges).
fn without(mut r: (Vec<String>, Rows), skip: &[&str]) -> (Vec<String>, Rows) {
    let idx: Vec<usize> =
        r.0.iter()
            .enumerate()
            .filter(|(_, n)| skip.iter().any(|s| s.eq_ignore_ascii_case(n)))
            .map(|(i, _)| i)
            .collect();
    let keep = |i: &usize| !idx.contains(i);
    r.0 =
        r.0.into_iter()
            .enumerate()
            .filter(|(i, _)| keep(i))
            .map(|(_, v)| v)
            .collect();
    r.1 =
        r.1.into_iter()
            .map(|row| {
                row.into_iter()
                    .enumerate()
                    .filter(|(i, _)| keep(i))
                    .map(|(_, v)| v)
                    .collect()
            })
            .collect();
    r
}

async fn same(db: &MariaDb, session: &mut Session, sql: &str, skip: &[&str]) {
    let want = without(source(db, sql).await, skip);
    let got = without(replica_ok(session, sql).await, skip);
    assert_eq!(got.0, want.0, "{sql}: column names");
    for (i, (g, w)) in got.1.iter().zip(&want.1).enumerate() {
        assert_eq!(g, w, "{sql}: row {i} differs (columns {:?})", got.0);
    }
    assert_eq!(got.1.len(), want.1.len(), "{sql}: row count");
}

fn engine(store: Store, replica: Option<ReplicaView>) -> Arc<Engine> {
    Engine::new(Arc::new(store), EngineConfig::default(), replica)
}

fn session(engine: &Arc<Engine>, id: u32) -> (Registration, Session) {
    let reg = ProcessList::register(&engine.processes, id, "root", "127.0.0.1:5000");
    let s = engine.session(reg.process.clone(), "root");
    (reg, s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_statements_answer_like_the_source() {
    let db = MariaDb::start().await;
    run_statements(&db, SCHEMA).await;
    let dir = tempfile::tempdir().unwrap();
    sync(&settings(&db, dir.path(), "shop.*")).await;
    let store = Store::open_read_only(dir.path()).unwrap();
    let engine = engine(store, None);
    let (_reg, mut s) = session(&engine, 1);

    // Without a database.
    assert_eq!(replica(&mut s, "SHOW TABLES").await.unwrap_err().code, 1046);
    assert_eq!(replica(&mut s, "USE nope").await.unwrap_err().code, 1049);
    same(&db, &mut s, "SHOW DATABASES LIKE 'shop'", &[]).await;
    same(&db, &mut s, "SHOW TABLES FROM shop", &[]).await;
    same(&db, &mut s, "SHOW FULL TABLES FROM shop", &[]).await;
    same(&db, &mut s, "SHOW TABLES FROM shop LIKE '%o%'", &[]).await;
    for t in TABLES {
        same(&db, &mut s, &format!("SHOW COLUMNS FROM shop.{t}"), &[]).await;
        same(
            &db,
            &mut s,
            &format!("SHOW FULL COLUMNS FROM {t} FROM shop"),
            &["Privileges"],
        )
        .await;
        same(&db, &mut s, &format!("SHOW CREATE TABLE shop.{t}"), &[]).await;
        same(
            &db,
            &mut s,
            &format!("SHOW INDEX FROM shop.{t}"),
            &["Cardinality"],
        )
        .await;
    }

    replica_ok(&mut s, "USE shop").await;
    {
        let mut conn = db.root_conn().await;
        conn.query_drop("USE shop").await.unwrap();
    }
    same(
        &db,
        &mut s,
        "SHOW TABLES FROM shop WHERE Tables_in_shop LIKE 'c%'",
        &[],
    )
    .await;
    same(
        &db,
        &mut s,
        "SHOW COLUMNS FROM shop.customers LIKE 's%'",
        &[],
    )
    .await;
    same(
        &db,
        &mut s,
        "SHOW COLUMNS FROM shop.customers WHERE `Key` <> ''",
        &[],
    )
    .await;
    same(&db, &mut s, "DESCRIBE shop.orders", &[]).await;
    same(
        &db,
        &mut s,
        "SHOW KEYS FROM shop.orders WHERE Key_name = 'PRIMARY'",
        &["Cardinality"],
    )
    .await;
    same(
        &db,
        &mut s,
        "SHOW TABLE STATUS FROM shop",
        &[
            "Version",
            "Rows",
            "Avg_row_length",
            "Data_length",
            "Max_data_length",
            "Index_length",
            "Data_free",
            "Create_time",
            "Update_time",
            "Check_time",
            "Checksum",
            "Create_options",
            "Max_index_length",
            "Auto_increment",
        ],
    )
    .await;
    assert_eq!(
        replica(&mut s, "SHOW COLUMNS FROM shop.nope")
            .await
            .unwrap_err()
            .code,
        1146
    );
    assert_eq!(
        replica(&mut s, "SHOW CREATE TABLE nope.t")
            .await
            .unwrap_err()
            .code,
        1146
    );

    // information_schema through DataFusion.
    let cols = "TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, \
                IS_NULLABLE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, CHARACTER_OCTET_LENGTH, \
                NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME, \
                COLLATION_NAME, COLUMN_TYPE, COLUMN_KEY, EXTRA, COLUMN_COMMENT, IS_GENERATED, \
                GENERATION_EXPRESSION";
    let sql = format!(
        "SELECT {cols} FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'shop' \
         ORDER BY TABLE_NAME, ORDINAL_POSITION"
    );
    same(&db, &mut s, &sql, &[]).await;
    same(
        &db,
        &mut s,
        "SELECT TABLE_NAME, NON_UNIQUE, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, COLLATION, SUB_PART, \
         NULLABLE, INDEX_TYPE, INDEX_COMMENT FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = 'shop' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        &[],
    )
    .await;
    same(
        &db,
        &mut s,
        "SELECT CONSTRAINT_NAME, TABLE_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS \
         WHERE TABLE_SCHEMA = 'shop' ORDER BY TABLE_NAME, CONSTRAINT_NAME",
        &[],
    )
    .await;
    same(
        &db,
        &mut s,
        "SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, \
         REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME \
         FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = 'shop' \
         ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
        &[],
    )
    .await;
    same(
        &db,
        &mut s,
        "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, TABLE_COMMENT \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' ORDER BY TABLE_NAME",
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_statements_behave_like_mariadb() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Durability::default()).unwrap();
    let engine = engine(store, None);
    let (_reg, mut s) = session(&engine, 7);

    let (cols, rows) = replica_ok(&mut s, "select @@version_comment limit 1").await;
    assert_eq!(cols, vec!["@@version_comment"]);
    assert_eq!(rows, vec![vec![Some("replicant".to_string())]]);
    let (cols, rows) = replica_ok(
        &mut s,
        "/* mysql-connector-j */ SELECT @@session.auto_increment_increment AS auto_increment_increment, \
         @@character_set_client, @@max_allowed_packet, @@sql_mode, @@lower_case_table_names, \
         @@tx_isolation, @@transaction_isolation, DATABASE(), CONNECTION_ID()",
    )
    .await;
    assert_eq!(cols[0], "auto_increment_increment");
    assert_eq!(cols[1], "@@character_set_client");
    assert_eq!(rows[0][2].as_deref(), Some("16777216"));
    assert_eq!(rows[0][4].as_deref(), Some("0"));
    assert_eq!(rows[0][5].as_deref(), Some("REPEATABLE-READ"));
    assert_eq!(rows[0][7], None);
    assert_eq!(rows[0][8].as_deref(), Some("7"));

    replica_ok(&mut s, "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci").await;
    assert_eq!(s.vars.result_collation, 224);
    replica_ok(&mut s, "SET SESSION sql_mode = 'ansi_quotes,STRICT_TRANS_TABLES', @@time_zone = '+02:00', autocommit=0").await;
    let (_, rows) = replica_ok(
        &mut s,
        "SELECT @@sql_mode, @@session.time_zone, @@autocommit, @@global.time_zone",
    )
    .await;
    assert_eq!(
        rows[0],
        vec![
            Some("ANSI_QUOTES,STRICT_TRANS_TABLES".into()),
            Some("+02:00".into()),
            Some("0".into()),
            Some("SYSTEM".into())
        ]
    );
    replica_ok(
        &mut s,
        "SET sql_select_limit = 10, max_statement_time = 1.5, net_write_timeout = 99",
    )
    .await;
    assert_eq!(s.vars.sql_select_limit, 10);
    assert_eq!(s.vars.max_execution_time_ms, 1500);
    replica_ok(&mut s, "SET sql_select_limit = DEFAULT").await;
    assert_eq!(s.vars.sql_select_limit, u64::MAX);
    let (_, rows) = replica_ok(&mut s, "SHOW VARIABLES LIKE 'net_write_timeout'").await;
    assert_eq!(
        rows,
        vec![vec![Some("net_write_timeout".into()), Some("99".into())]]
    );
    let (_, rows) = replica_ok(
        &mut s,
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'lower_case_table_names')",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            vec![Some("lower_case_table_names".into()), Some("0".into())],
            vec![Some("read_only".into()), Some("ON".into())]
        ]
    );
    replica_ok(&mut s, "SET @answer = 42").await;
    let (_, rows) = replica_ok(&mut s, "SELECT @answer, @unset").await;
    assert_eq!(rows[0], vec![Some("42".into()), None]);

    assert_eq!(
        replica(&mut s, "SET GLOBAL read_only = 0")
            .await
            .unwrap_err()
            .code,
        1227
    );
    assert_eq!(
        replica(&mut s, "SET time_zone = 'Nowhere'")
            .await
            .unwrap_err()
            .code,
        1298
    );
    assert_eq!(
        replica(&mut s, "SELECT @@nope").await.unwrap_err().code,
        1193
    );
    for w in [
        "INSERT INTO t VALUES (1)",
        "update t set a=1",
        "/*!40101 DELETE FROM t */",
        "CREATE TABLE x (a INT)",
        "DROP DATABASE shop",
        "GRANT ALL ON *.* TO x",
    ] {
        let e = replica(&mut s, w).await.unwrap_err();
        assert_eq!(e.code, 1290, "{w}");
    }
    for ok in [
        "BEGIN",
        "START TRANSACTION READ ONLY",
        "COMMIT",
        "ROLLBACK",
        "SET autocommit=1",
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "UNLOCK TABLES",
    ] {
        replica_ok(&mut s, ok).await;
    }
    assert_eq!(replica(&mut s, "").await.unwrap_err().code, 1065);
    assert_eq!(replica(&mut s, "KILL 999").await.unwrap_err().code, 1094);
    let (_, rows) = replica_ok(&mut s, "SHOW PROCESSLIST").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0].as_deref(), Some("7"));
    let (_, rows) = replica_ok(&mut s, "SHOW DATABASES").await;
    assert_eq!(rows, vec![vec![Some("information_schema".to_string())]]);
    let (_, rows) = replica_ok(&mut s, "SHOW SLAVE STATUS").await;
    assert!(rows.is_empty());

    // Prepared statements.
    let p = s
        .prepare("SELECT @@version_comment AS c, ? AS n -- ?")
        .await
        .unwrap();
    assert_eq!(p.params, 1);
    let out = s
        .execute_prepared(&p, &[mysql_async::Value::Int(5)])
        .await
        .unwrap();
    let Outcome::Rows(mut rs) = out else {
        panic!("no rows")
    };
    let chunk = rs.rows.next().await.unwrap().unwrap();
    assert_eq!(chunk[0][1], mysql_async::Value::Int(5));
}

fn maria_pos(gtid: &str, pos: u64) -> Option<StoredPosition> {
    Some(StoredPosition {
        file: "mariadb-bin.000002".into(),
        pos,
        gtid: Some(gtid.into()),
        gtid_flavor: Some("mariadb".into()),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_status_and_waits_follow_the_visible_position() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Durability::default()).unwrap();
    let (tx, rx) = tokio::sync::watch::channel(maria_pos("0-1-5", 1000));
    let status = RuntimeStatus::new(dir.path(), "mysql://repl@db:3306");
    status.set_state("streaming");
    status.set_caught_up(true);
    let config = EngineConfig {
        source_host: "db".into(),
        source_user: "repl".into(),
        ..EngineConfig::default()
    };
    let engine = Engine::new(
        Arc::new(store),
        config,
        Some(ReplicaView {
            visible: rx,
            status,
        }),
    );
    let (_reg, mut s) = session(&engine, 3);

    let (cols, rows) = replica_ok(&mut s, "SHOW SLAVE STATUS").await;
    let get = |name: &str| {
        let i = cols
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("{name}"));
        rows[0][i].clone()
    };
    assert_eq!(get("Slave_IO_Running").as_deref(), Some("Yes"));
    assert_eq!(get("Slave_SQL_Running").as_deref(), Some("Yes"));
    assert_eq!(get("Master_Host").as_deref(), Some("db"));
    assert_eq!(get("Exec_Master_Log_Pos").as_deref(), Some("1000"));
    assert_eq!(get("Gtid_IO_Pos").as_deref(), Some("0-1-5"));
    assert_eq!(get("Seconds_Behind_Master").as_deref(), Some("0"));
    let (cols, _) = replica_ok(&mut s, "SHOW ALL SLAVES STATUS").await;
    assert_eq!(cols[0], "Connection_name");
    assert!(cols.iter().any(|c| c == "Gtid_Slave_Pos"));

    let one = |sql: &'static str| sql;
    let (cols, rows) = replica_ok(&mut s, one("SELECT MASTER_GTID_WAIT('0-1-5', 1)")).await;
    assert_eq!(cols, vec!["MASTER_GTID_WAIT('0-1-5', 1)"]);
    assert_eq!(rows[0][0].as_deref(), Some("0"));
    let (_, rows) = replica_ok(&mut s, "SELECT MASTER_GTID_WAIT('0-1-7', 0.2)").await;
    assert_eq!(rows[0][0].as_deref(), Some("-1"));
    let (_, rows) = replica_ok(
        &mut s,
        "SELECT MASTER_POS_WAIT('mariadb-bin.000002', 900, 1)",
    )
    .await;
    assert_eq!(rows[0][0].as_deref(), Some("0"));

    // A later position arrives while waiting.
    let bump = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        tx.send_replace(maria_pos("0-1-6", 1200));
        tokio::time::sleep(Duration::from_millis(100)).await;
        tx.send_replace(maria_pos("0-1-7", 1400));
        tx
    });
    let (_, rows) = replica_ok(&mut s, "SELECT MASTER_GTID_WAIT('0-1-7', 10) AS w").await;
    assert_eq!(rows[0][0].as_deref(), Some("0"));
    let tx = bump.await.unwrap();
    let (_, rows) = replica_ok(
        &mut s,
        "SELECT MASTER_POS_WAIT('mariadb-bin.000002', 1400, 1)",
    )
    .await;
    assert_eq!(rows[0][0].as_deref(), Some("0"));
    let (_, rows) = replica_ok(
        &mut s,
        "SELECT MASTER_POS_WAIT('mariadb-bin.000003', 4, 0.1)",
    )
    .await;
    assert_eq!(rows[0][0].as_deref(), Some("-1"));
    drop(tx);
    let (_, rows) = replica_ok(&mut s, "SELECT @@gtid_slave_pos").await;
    assert_eq!(rows[0][0].as_deref(), Some("0-1-7"));
}
