//! Real MySQL clients against the replica's query server, each compared with the same
//! client against the source (the oracle): the mariadb CLI (batch, and interactive under
//! tmux with tab completion), PyMySQL, SQLAlchemy reflection, mysqlclient, MariaDB
//! Connector/J (metadata and a server-side prepared statement) and sysbench's read-only
//! workloads with server-side prepared statements.
//!
//! Every client is required: a missing one fails the test with the install command
//! (scripts/install-deps.sh installs them all).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use integration::server::Served;
use integration::{find_binary, MariaDb};

const FIXTURE: &[&str] = &[
    "CREATE DATABASE shop",
    "CREATE TABLE shop.Orders (id INT, status VARCHAR(20), LastUpdated DATETIME)",
    "INSERT INTO shop.Orders VALUES (1, 'Backordered', '2020-06-01 12:00:00'), \
     (2, 'Shipped', '2020-06-01 12:05:00'), (3, 'Pending', '2020-06-01 12:10:00'), \
     (3, 'Pending', '2020-06-01 12:10:00'), (4, 'PENDING', NULL)",
    "CREATE TABLE shop.items (id INT NOT NULL PRIMARY KEY, name VARCHAR(40) NOT NULL, \
     price DECIMAL(10,2), created DATETIME(3), KEY name_idx (name)) DEFAULT CHARSET=utf8mb4",
    "INSERT INTO shop.items VALUES (1, 'apple', 1.50, '2024-01-02 03:04:05.678'), \
     (2, 'Banana', NULL, '2024-02-03 04:05:06.000'), (3, 'cherry', 12.00, NULL)",
];

async fn source_and_replica() -> (MariaDb, Served) {
    let db = MariaDb::start().await;
    integration::fixtures::run_statements(&db, FIXTURE).await;
    let served = Served::start(&db, "shop.*").await;
    (db, served)
}

/// The Debian python with the packaged client libraries (not a pyenv shim first on PATH).
fn python() -> PathBuf {
    let p = PathBuf::from("/usr/bin/python3");
    assert!(
        p.is_file(),
        "/usr/bin/python3 is missing: run scripts/install-deps.sh (apt-get install -y python3)"
    );
    p
}

/// Runs a client script against host:port and returns its standard output.
fn run_script(program: &Path, args: &[&str], what: &str) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn script(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("clients")
        .join(name)
        .display()
        .to_string()
}

/// The same Python script against the source and the replica prints the same JSON.
async fn python_client_agrees(name: &str) {
    let (db, served) = source_and_replica().await;
    let py = python();
    let file = script(name);
    let source_port = db.port().to_string();
    let replica_port = served.port().to_string();
    let pw = db.options().root_password.clone();
    let on_source = run_script(
        &py,
        &[&file, "127.0.0.1", &source_port, "root", &pw, "shop"],
        &format!("{name} on the source"),
    );
    let on_replica = run_script(
        &py,
        &[&file, "127.0.0.1", &replica_port, "root", "", "shop"],
        &format!("{name} on the replica"),
    );
    assert!(on_source.len() > 20, "{on_source}");
    assert_eq!(on_replica, on_source, "{name}: replica vs source");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pymysql_reads_what_the_source_has() {
    python_client_agrees("pymysql_session.py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlalchemy_reflects_and_queries_like_the_source() {
    python_client_agrees("sqlalchemy_session.py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysqlclient_reads_what_the_source_has() {
    python_client_agrees("mysqlclient_session.py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_cli_batch_mode_prints_what_the_source_prints() {
    let (db, served) = source_and_replica().await;
    let cli = find_binary("mariadb");
    let sql = "use shop; show tables; select * from Orders order by id, status; \
               select name, price from items where name = 'BANANA'; \
               select status, count(*) from Orders group by status order by status";
    let run = |port: u16, pw: &str| {
        let mut cmd = Command::new(&cli);
        cmd.args([
            "--no-defaults",
            "-h",
            "127.0.0.1",
            "-P",
            &port.to_string(),
            "-u",
            "root",
        ]);
        if !pw.is_empty() {
            cmd.arg(format!("-p{pw}"));
        }
        let out = cmd
            .args(["--batch", "-e", sql])
            .output()
            .expect("run mariadb");
        assert!(
            out.status.success(),
            "mariadb -P {port}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let on_source = run(db.port(), &db.options().root_password);
    let on_replica = run(served.port(), "");
    assert!(on_source.contains("Tables_in_shop"), "{on_source}");
    assert_eq!(on_replica, on_source);
}

/// The interactive CLI with completion on (`--auto-rehash`, the default) reads table and
/// column names at connect (SHOW TABLES, COM_FIELD_LIST); TAB then completes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_cli_interactive_with_tab_completion() {
    let (_db, served) = source_and_replica().await;
    let tmux = find_binary("tmux");
    let cli = find_binary("mariadb");
    let session = format!("replicant-cli-{}", std::process::id());
    let socket = tempfile::tempdir().unwrap();
    let sock = socket.path().join("tmux.sock");
    let tmux_cmd = |args: &[&str]| {
        let out = Command::new(&tmux)
            .arg("-S")
            .arg(&sock)
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let command = format!(
        "{} --no-defaults --auto-rehash -h 127.0.0.1 -P {} -u root shop",
        cli.display(),
        served.port()
    );
    tmux_cmd(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "50",
        &command,
    ]);
    let pane =
        |tmux_cmd: &dyn Fn(&[&str]) -> String| tmux_cmd(&["capture-pane", "-p", "-t", &session]);
    let wait_for = |needle: &str| {
        for _ in 0..100 {
            let text = pane(&tmux_cmd);
            if text.contains(needle) {
                return text;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("`{needle}` never appeared:\n{}", pane(&tmux_cmd));
    };
    wait_for("MariaDB [shop]>");
    // Table name completion, then column name completion (`-l`: text sent literally).
    let keys = |literal: &str, key: &str| {
        tmux_cmd(&["send-keys", "-t", &session, "-l", literal]);
        tmux_cmd(&["send-keys", "-t", &session, key]);
    };
    keys("select count(*) from Ord", "Tab");
    wait_for("from Orders");
    keys(" where LastUp", "Tab");
    wait_for("where LastUpdated");
    // `\g` ends a statement like `;` (which tmux would take as its own separator).
    keys(" is null\\g", "Enter");
    let text = wait_for("1 row in set");
    // One order (id 4) has no LastUpdated.
    assert!(text.contains("|        1 |"), "{text}");
    keys("show tables\\g", "Enter");
    let text = wait_for("2 rows in set");
    assert!(text.contains("items") && text.contains("Orders"), "{text}");
    let _ = Command::new(&tmux)
        .arg("-S")
        .arg(&sock)
        .args(["kill-server"])
        .output();
}

/// Connector/J: DatabaseMetaData.getTables/getColumns and a server-side prepared
/// statement, the same on both servers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jdbc_metadata_and_prepared_statement() {
    let (db, served) = source_and_replica().await;
    let jar = PathBuf::from("/usr/share/java/mariadb-java-client.jar");
    assert!(
        jar.is_file(),
        "MariaDB Connector/J is missing: apt-get install -y libmariadb-java (scripts/install-deps.sh)"
    );
    let javac = find_binary("javac");
    let java = find_binary("java");
    let classes = tempfile::tempdir().unwrap();
    run_script(
        &javac,
        &[
            "-d",
            &classes.path().display().to_string(),
            &script("JdbcSession.java"),
        ],
        "javac JdbcSession.java",
    );
    let cp = format!("{}:{}", classes.path().display(), jar.display());
    let run = |port: u16, pw: &str| {
        run_script(
            &java,
            &[
                "-cp",
                &cp,
                "JdbcSession",
                "127.0.0.1",
                &port.to_string(),
                "root",
                pw,
                "shop",
            ],
            &format!("JdbcSession on port {port}"),
        )
    };
    let on_source = run(db.port(), &db.options().root_password);
    let on_replica = run(served.port(), "");
    assert!(on_source.contains("row 2 Banana"), "{on_source}");
    assert_eq!(on_replica, on_source);
}

/// sysbench's read-only workloads, unmodified, with server-side prepared statements.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sysbench_read_only_and_point_select_run_unmodified() {
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE sbtest").await;
    let sysbench = find_binary("sysbench");
    let common = |port: u16, pw: &str| {
        vec![
            "--db-driver=mysql".to_string(),
            "--mysql-host=127.0.0.1".into(),
            format!("--mysql-port={port}"),
            "--mysql-user=root".into(),
            format!("--mysql-password={pw}"),
            "--mysql-db=sbtest".into(),
            "--tables=2".into(),
            "--table-size=2000".into(),
            "--db-ps-mode=auto".into(),
        ]
    };
    let pw = db.options().root_password.clone();
    let prepare = Command::new(&sysbench)
        .arg("oltp_read_only")
        .args(common(db.port(), &pw))
        .arg("prepare")
        .output()
        .expect("sysbench prepare");
    assert!(
        prepare.status.success(),
        "{}",
        String::from_utf8_lossy(&prepare.stderr)
    );
    let served = Served::start(&db, "sbtest.*").await;
    for workload in ["oltp_point_select", "oltp_read_only"] {
        let out = Command::new(&sysbench)
            .arg(workload)
            .args(common(served.port(), ""))
            .args(["--threads=2", "--time=3", "run"])
            .output()
            .expect("sysbench run");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{workload}: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
        let errors = text
            .lines()
            .find(|l| l.trim_start().starts_with("ignored errors:"))
            .unwrap_or_default();
        assert!(errors.contains(" 0 "), "{workload} had errors:\n{text}");
        let transactions = text
            .lines()
            .find(|l| l.trim_start().starts_with("transactions:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        assert!(transactions > 0, "{workload} ran no transaction:\n{text}");
    }
}
