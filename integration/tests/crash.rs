//! Crash safety under load: the replica (the `replicant run` binary) is killed with
//! SIGKILL at random moments while sysbench writes to the source, during the initial copy
//! and while streaming; the source restarts (cleanly and after a crash) under a running
//! replica; the replica's binlog connection is killed on the source. Each time the
//! replica must resume by itself, and in the end its copy must equal the source, with
//! no change lost and none applied twice (checked in the change log, see
//! `check_changelog`).
//!
//! Knobs (environment): `REPLICANT_CRASH_KILLS` (default 20), `REPLICANT_CRASH_TABLES`
//! (4), `REPLICANT_CRASH_TABLE_SIZE` (50000 rows), `REPLICANT_CRASH_RATE` (sysbench
//! transactions per second, 100), `REPLICANT_CRASH_SEED` (replays the kill schedule a
//! failed run printed).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use integration::replica::{assert_table_matches, replica_rows, replicant_binary};
use integration::MariaDb;
use mysql_async::prelude::Queryable;
use replicant::replica::runtime::{self, RuntimeSnapshot};
use replicant::source::value::Value;
use replicant::store::catalog::{Catalog, StoredPosition};
use replicant::store::changelog::{self, ChangeOp};
use replicant::store::db::{IteratorMode, CF_CHANGELOG};
use replicant::store::rows::primary_key_bytes;
use replicant::store::Store;
use tokio::process::{Child, Command};

/// A small deterministic PRNG (splitmix64): a printed seed replays the kill schedule.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

fn seed() -> u64 {
    std::env::var("REPLICANT_CRASH_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// The `sysbench` binary; the test fails (never skips) without it.
fn sysbench() -> PathBuf {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(["/usr/bin".into(), "/usr/local/bin".into()])
        .map(|d: PathBuf| d.join("sysbench"))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "`sysbench` is not installed: the crash test drives its write load. Install it \
             with scripts/install-deps.sh or: apt-get install -y sysbench"
        )
    })
}

/// `sysbench oltp_write_only` arguments for the test server's `sbtest` database.
fn sysbench_args(db: &MariaDb, tables: u64, table_size: u64) -> Vec<String> {
    vec![
        "oltp_write_only".into(),
        "--db-driver=mysql".into(),
        "--mysql-host=127.0.0.1".into(),
        format!("--mysql-port={}", db.port()),
        "--mysql-user=root".into(),
        format!("--mysql-password={}", db.options().root_password),
        "--mysql-db=sbtest".into(),
        format!("--tables={tables}"),
        format!("--table-size={table_size}"),
    ]
}

/// The last `lines` lines of a log file (for failure messages).
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Appends a marker line to the replica's log (one per start, to read the log by run).
fn mark(log: &Path, text: &str) {
    use std::io::Write as _;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        let _ = writeln!(f, "=== {text} ===");
    }
}

/// Starts `replicant run` for `tables` into `dir`, output appended to `log`; killed if
/// the test unwinds.
fn spawn_replica(db: &MariaDb, dir: &Path, tables: &str, log: &Path, stop_at_end: bool) -> Child {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|e| panic!("open {}: {e}", log.display()));
    let err = out.try_clone().unwrap();
    let mut cmd = Command::new(replicant_binary());
    cmd.arg("run")
        .arg("--source")
        .arg(db.repl_url())
        .arg("--tables")
        .arg(tables)
        .arg("--data-dir")
        .arg(dir)
        .args(["--heartbeat", "1", "--snapshot-chunk-rows", "500"])
        .args(["--listen", "127.0.0.1:0"]);
    if stop_at_end {
        cmd.arg("--stop-at-end");
    }
    cmd.env(
        "REPLICANT_LOG",
        std::env::var("REPLICANT_LOG").unwrap_or_else(|_| "info".into()),
    )
    .stdin(Stdio::null())
    .stdout(out)
    .stderr(err)
    .kill_on_drop(true)
    .spawn()
    .unwrap_or_else(|e| panic!("cannot start {}: {e}", replicant_binary().display()))
}

/// Fails if the replica stopped by itself (it never should while following the source).
fn assert_running(child: &mut Child, log: &Path) {
    if let Ok(Some(status)) = child.try_wait() {
        panic!(
            "the replica exited by itself ({status}); log:\n{}",
            tail(log, 40)
        );
    }
}

/// SIGKILL, and fail if the replica had already stopped by itself.
async fn kill_replica(child: &mut Child, log: &Path) {
    assert_running(child, log);
    child.kill().await.expect("kill -9 the replica");
}

/// Where the data directory stands after a kill.
enum Phase {
    /// The initial copy is not finished: rows copied so far, most segments of a table.
    Copying { rows: u64, segments: usize },
    /// Streaming from this position.
    Streaming(StoredPosition),
}

fn phase(dir: &Path) -> Phase {
    let Ok(store) = Store::open_read_only(dir) else {
        return Phase::Copying {
            rows: 0,
            segments: 0,
        };
    };
    let done = store
        .get_meta::<bool>("initial-copy-done")
        .expect("read initial-copy-done")
        == Some(true);
    let position: Option<StoredPosition> = store.get_meta("position").expect("read position");
    match (done, position) {
        (true, Some(p)) => Phase::Streaming(p),
        _ => {
            let catalog = Catalog::load(&store).expect("catalog");
            Phase::Copying {
                rows: catalog.tables().map(|t| t.rows_copied).sum(),
                segments: catalog
                    .tables()
                    .map(|t| t.segments.len())
                    .max()
                    .unwrap_or(0),
            }
        }
    }
}

/// What the change log holds.
#[derive(Debug, Default)]
struct LogSummary {
    records: u64,
    transactions: u64,
}

/// The sequence number of domain 0 in a MariaDB GTID or GTID state (`0-1-42`,
/// `0-1-42,1-2-3`).
fn domain0_seq(text: &str) -> Option<u64> {
    text.split(',')
        .map(str::trim)
        .find(|g| g.starts_with("0-"))
        .and_then(|g| g.rsplit('-').next())
        .and_then(|n| n.parse().ok())
}

/// Checks the store's change log and catalog against the source's binlog. A duplicate
/// would not show in the rows: sysbench's row images are absolute values, so a
/// transaction applied twice leaves the same row. It shows here:
///
/// - each source transaction (its end position, its GTID) is logged under exactly one
///   sequence number, no (position, table, index in the transaction) appears twice, and
///   sequence order is binlog order: a transaction re-applied after a restart would come
///   back under a new sequence with an older position;
/// - no logged change is one the table's copy already had (`copy_includes` of its
///   segments): applied once by the copy and once more from the stream;
/// - no table was copied again (schema version 1): a re-applied change that cannot be
///   applied twice (a table without a key: its before-image is gone) makes the applier
///   copy the table again, which would hide the duplicate from the row comparison;
/// - nothing lost: every transaction the source committed after the newest table copy
///   (all of them write replicated tables in these tests) is logged.
async fn check_changelog(db: &MariaDb, dir: &Path) -> LogSummary {
    let store = Store::open_read_only(dir).unwrap_or_else(|e| panic!("open {dir:?}: {e}"));
    let cf = store.cf(CF_CHANGELOG).unwrap();
    let mut seen: HashMap<(String, u64, String, u32), u64> = HashMap::new();
    let mut tx_seq: HashMap<(String, u64), u64> = HashMap::new();
    let mut gtid_seq: HashMap<u64, u64> = HashMap::new();
    let mut last: Option<(u64, StoredPosition)> = None;
    let mut summary = LogSummary::default();
    let catalog = Catalog::load(&store).unwrap();
    for t in catalog.tables() {
        assert!(
            t.is_served() && t.schema_version == 1,
            "{} was copied again (state {:?}, schema version {}): the copy had diverged \
             from the source",
            t.qualified_name(),
            t.state,
            t.schema_version
        );
    }
    for item in store.db().iterator_cf(cf, IteratorMode::Start) {
        let (key, value) = item.unwrap();
        assert_eq!(key.len(), 12, "change log key {key:?}");
        let seq = u64::from_be_bytes(key[..8].try_into().unwrap());
        let index = u32::from_be_bytes(key[8..12].try_into().unwrap());
        let rec = changelog::decode(&value).unwrap();
        let table = format!("{}.{}", rec.schema, rec.table);
        let at = StoredPosition {
            file: rec.file.clone(),
            pos: rec.pos,
            gtid: None,
            gtid_flavor: None,
        };
        if let Some(first) = seen.insert((rec.file.clone(), rec.pos, table.clone(), index), seq) {
            panic!(
                "applied twice: change {index} of {table} in the transaction ending at {at} \
                 is logged under sequences {first} and {seq}"
            );
        }
        let tx = tx_seq.entry((rec.file.clone(), rec.pos)).or_insert(seq);
        assert_eq!(
            *tx, seq,
            "applied twice: the transaction ending at {at} is logged under sequences {tx} and {seq}"
        );
        let g = rec
            .gtid
            .as_deref()
            .and_then(domain0_seq)
            .unwrap_or_else(|| panic!("change at {at} has GTID {:?}", rec.gtid));
        let tx = gtid_seq.entry(g).or_insert(seq);
        assert_eq!(
            *tx, seq,
            "applied twice: GTID 0-x-{g} is logged under sequences {tx} and {seq}"
        );
        // A change the table's copy already had must not be applied (and logged) again.
        assert!(
            matches!(
                rec.op,
                ChangeOp::Insert | ChangeOp::Update | ChangeOp::Delete
            ),
            "unexpected {:?} record for {table} at {at}",
            rec.op
        );
        if let Some(entry) = catalog.find(&rec.schema, &rec.table) {
            let info = entry.info.as_ref().unwrap();
            let in_copy = if entry.has_key() {
                [&rec.before, &rec.after]
                    .into_iter()
                    .flatten()
                    .map(|img| {
                        let row: Vec<Option<Value>> = img.iter().cloned().map(Some).collect();
                        primary_key_bytes(info, &row).unwrap()
                    })
                    .all(|key| entry.copy_includes(Some(&key), &at))
            } else {
                entry.copy_includes(None, &at)
            };
            assert!(
                !in_copy,
                "applied twice: {table}'s copy already has the {:?} at {at}",
                rec.op
            );
        }
        match &last {
            Some((s, prev)) if *s == seq => {
                assert_eq!(prev, &at, "one sequence, two positions ({prev} and {at})")
            }
            Some((s, prev)) => {
                assert!(
                    *s < seq && prev.binlog_cmp(&at) == std::cmp::Ordering::Less,
                    "sequence {seq} (ending at {at}) follows sequence {s} (ending at {prev}): \
                     a transaction was applied out of order or again"
                );
                summary.transactions += 1;
            }
            None => summary.transactions += 1,
        }
        last = Some((seq, at));
        summary.records += 1;
    }

    // Nothing lost after the newest copy: GTIDs are consecutive in the binlog.
    let newest = catalog
        .tables()
        .filter_map(|t| t.newest_segment())
        .max_by(|a, b| a.binlog_cmp(b))
        .expect("a copied table")
        .clone();
    let from = db
        .query_value(&format!(
            "SELECT BINLOG_GTID_POS('{}', {})",
            newest.file, newest.pos
        ))
        .await
        .unwrap_or_else(|| panic!("BINLOG_GTID_POS of the copy position {newest}"));
    let from = domain0_seq(&from).unwrap_or(0);
    let to = db.query_value("SELECT @@gtid_binlog_pos").await.unwrap();
    let to = domain0_seq(&to).expect("the source's GTID position");
    let missing: Vec<u64> = (from + 1..=to)
        .filter(|g| !gtid_seq.contains_key(g))
        .collect();
    assert!(
        missing.is_empty(),
        "lost: {} source transactions after the newest copy ({newest}, GTID 0-x-{from}) \
         up to 0-x-{to} are not in the change log, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    summary
}

/// Asserts the replica's stored position is the source's binlog end.
async fn assert_position_is_source_end(db: &MariaDb, dir: &Path) {
    let store = Store::open_read_only(dir).unwrap();
    let stored: StoredPosition = store.get_meta("position").unwrap().expect("a position");
    let (file, pos) = db.current_position().await;
    assert_eq!(
        (stored.file.as_str(), stored.pos),
        (file.as_str(), pos),
        "the stored position is the source's binlog end"
    );
}

/// Kills the replica at random moments while sysbench writes, then checks the copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_under_sysbench_load() {
    let kills_wanted = env_u64("REPLICANT_CRASH_KILLS", 20).max(1);
    let tables = env_u64("REPLICANT_CRASH_TABLES", 4).max(1);
    let table_size = env_u64("REPLICANT_CRASH_TABLE_SIZE", 50_000).max(1);
    let rate = env_u64("REPLICANT_CRASH_RATE", 100);
    let seed = seed();
    println!("crash test seed {seed} (replay: REPLICANT_CRASH_SEED={seed})");
    let mut rng = Rng(seed);
    let started = Instant::now();

    let sysbench = sysbench();
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE sbtest").await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("data");
    let log = work.path().join("replica.log");
    let bench_log = work.path().join("sysbench.log");
    let args = sysbench_args(&db, tables, table_size);
    let prepared = Command::new(&sysbench)
        .args(&args)
        .arg("--threads=2")
        .arg("prepare")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run sysbench prepare");
    assert!(
        prepared.status.success(),
        "sysbench prepare failed:\n{}\n{}",
        String::from_utf8_lossy(&prepared.stdout),
        String::from_utf8_lossy(&prepared.stderr)
    );
    // A table without a primary key (hidden row ids; its copy cannot resume, it starts
    // over) kept equal to sbtest1 by triggers, so the load changes it too.
    for sql in [
        "CREATE TABLE sbtest.mirror_nopk (id INT NOT NULL, k INT NOT NULL, c CHAR(120) NOT NULL, \
         pad CHAR(60) NOT NULL, KEY (id))",
        "INSERT INTO sbtest.mirror_nopk SELECT id, k, c, pad FROM sbtest.sbtest1",
        "CREATE TRIGGER sbtest.mirror_ins AFTER INSERT ON sbtest.sbtest1 FOR EACH ROW \
         INSERT INTO sbtest.mirror_nopk VALUES (NEW.id, NEW.k, NEW.c, NEW.pad)",
        "CREATE TRIGGER sbtest.mirror_upd AFTER UPDATE ON sbtest.sbtest1 FOR EACH ROW \
         UPDATE sbtest.mirror_nopk SET id = NEW.id, k = NEW.k, c = NEW.c, pad = NEW.pad \
         WHERE id = OLD.id",
        "CREATE TRIGGER sbtest.mirror_del AFTER DELETE ON sbtest.sbtest1 FOR EACH ROW \
         DELETE FROM sbtest.mirror_nopk WHERE id = OLD.id",
    ] {
        db.exec(sql).await;
    }
    println!(
        "prepared {tables} tables x {table_size} rows (+ a mirror of sbtest1 without a \
         primary key) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The load runs about as long as the kills take (0.8 s each on average) and the kill
    // loop runs until the load has stopped, so every kill happens under load.
    let load_seconds = (kills_wanted * 4).div_ceil(5).max(5);
    let bench_out = std::fs::File::create(&bench_log).unwrap();
    let mut bench = Command::new(&sysbench)
        .args(&args)
        .args([
            "--threads=2".to_string(),
            format!("--rate={rate}"),
            format!("--time={load_seconds}"),
            "--report-interval=5".into(),
            "run".into(),
        ])
        .stdin(Stdio::null())
        .stdout(bench_out.try_clone().unwrap())
        .stderr(bench_out)
        .kill_on_drop(true)
        .spawn()
        .expect("start sysbench run");

    let mut kills = 0u64;
    let mut during_copy = 0u64;
    let mut max_segments = 0usize;
    let mut bench_status = None;
    let mut copying = true;
    while kills < kills_wanted || bench_status.is_none() {
        if bench_status.is_none() {
            bench_status = bench.try_wait().expect("sysbench status");
        }
        // The first kills come early, so that several land during the initial copy (each
        // start resumes it, but the table without a key starts over); then the copy gets
        // more and more time to finish; once streaming, kills come within 1.5 s.
        let delay = match (copying, during_copy) {
            (true, 0..6) => rng.range(50, 700),
            (true, n) => rng.range(500, 1500 + 500 * (n - 5)),
            (false, _) => rng.range(50, 1500),
        };
        mark(
            &log,
            &format!("start {} (killed after {delay} ms)", kills + 1),
        );
        let mut child = spawn_replica(&db, &dir, "sbtest.*", &log, false);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        kill_replica(&mut child, &log).await;
        kills += 1;
        let now = phase(&dir);
        copying = matches!(now, Phase::Copying { .. });
        let what = match now {
            Phase::Copying { rows, segments } => {
                during_copy += 1;
                max_segments = max_segments.max(segments);
                format!("copying: {rows} rows copied, {segments} segment(s) in a table")
            }
            Phase::Streaming(p) => format!("streaming at {p}"),
        };
        println!("kill {kills:>3} after {delay:>4} ms: {what}");
        assert!(
            kills < kills_wanted * 4 + 20,
            "sysbench did not stop; its log:\n{}",
            tail(&bench_log, 20)
        );
    }
    let bench_status = bench_status.unwrap();
    assert!(
        bench_status.success(),
        "sysbench run failed ({bench_status}):\n{}",
        tail(&bench_log, 30)
    );
    let bench_text = std::fs::read_to_string(&bench_log).unwrap_or_default();
    let bench_tx = bench_text
        .lines()
        .find(|l| l.trim_start().starts_with("transactions:"))
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| "transactions: ?".into());

    // The load has stopped: one more start, run to the source's binlog end.
    mark(&log, "final run (--stop-at-end)");
    let catch_up = Instant::now();
    let mut last = spawn_replica(&db, &dir, "sbtest.*", &log, true);
    let status = match tokio::time::timeout(Duration::from_secs(180), last.wait()).await {
        Ok(s) => s.expect("wait for the replica"),
        Err(_) => panic!(
            "the replica did not catch up within 180 s; log:\n{}",
            tail(&log, 40)
        ),
    };
    let catch_up = catch_up.elapsed();
    assert!(
        status.success(),
        "the final run failed ({status}); log:\n{}",
        tail(&log, 40)
    );

    let mut replica_total = 0usize;
    for t in 1..=tables {
        let name = format!("sbtest{t}");
        assert_table_matches(&db, &dir, "sbtest", &name, Some("id")).await;
        replica_total += replica_rows(&dir, "sbtest", &name).unwrap().len();
    }
    assert_table_matches(&db, &dir, "sbtest", "mirror_nopk", None).await;
    let mut source_total = 0usize;
    for t in 1..=tables {
        let n = db
            .query_value(&format!("SELECT COUNT(*) FROM sbtest.sbtest{t}"))
            .await
            .unwrap();
        source_total += n.parse::<usize>().unwrap();
    }
    assert_eq!(
        replica_total, source_total,
        "rows on the replica and the source"
    );
    // oltp_write_only deletes and re-inserts the same id in one transaction.
    assert_eq!(
        source_total as u64,
        tables * table_size,
        "sysbench row count"
    );
    let log_summary = check_changelog(&db, &dir).await;
    assert_position_is_source_end(&db, &dir).await;
    assert!(
        during_copy >= 1,
        "no kill landed during the initial copy: use a larger REPLICANT_CRASH_TABLE_SIZE"
    );
    assert!(
        kills - during_copy >= 1,
        "no kill landed while streaming: the copy outlasted the load"
    );

    println!();
    println!("crash test (seed {seed})");
    println!("  kills                          {kills:>10}");
    println!("  kills during the initial copy  {during_copy:>10}");
    println!(
        "  kills while streaming          {:>10}",
        kills - during_copy
    );
    println!("  copy segments (most per table) {max_segments:>10}");
    println!("  final rows (replica = source)  {replica_total:>10}");
    println!(
        "  catch-up after the last start  {:>8.2} s",
        catch_up.as_secs_f64()
    );
    println!(
        "  change log                     {} transactions, {} row changes, none twice",
        log_summary.transactions, log_summary.records
    );
    let rate_text = match rate {
        0 => "unlimited".to_string(),
        r => format!("{r}/s"),
    };
    println!("  sysbench ({rate_text}, {load_seconds} s)  {bench_tx}");
    println!(
        "  total time                     {:>8.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// A writer for the restart tests: transactions over a keyed table and a table without a
/// primary key, reconnecting after any error, until stopped.
struct Writer {
    stop: Arc<AtomicBool>,
    committed: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

const LOAD_TABLES: [&str; 2] = [
    "CREATE TABLE wl.keyed (id INT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, \
     c VARCHAR(64) NOT NULL, d DATETIME(3) NULL, x DECIMAL(12,2))",
    "CREATE TABLE wl.nopk (k INT, c VARCHAR(64), n DOUBLE)",
];

async fn create_load_tables(db: &MariaDb) {
    db.exec("CREATE DATABASE wl").await;
    for sql in LOAD_TABLES {
        db.exec(sql).await;
    }
    db.exec(
        "INSERT INTO wl.keyed (k, c, d, x) SELECT seq % 97, CONCAT('row-', seq), \
         '2024-01-01 00:00:00.123' + INTERVAL seq SECOND, seq / 7 FROM wl.seq_1_to_2000",
    )
    .await;
    db.exec(
        "INSERT INTO wl.nopk SELECT seq % 50, CONCAT('n', seq % 13), seq / 3 FROM wl.seq_1_to_1000",
    )
    .await;
}

async fn assert_load_tables_match(db: &MariaDb, dir: &Path) {
    assert_table_matches(db, dir, "wl", "keyed", Some("id")).await;
    assert_table_matches(db, dir, "wl", "nopk", None).await;
}

impl Writer {
    fn start(db: &MariaDb, seed: u64) -> Writer {
        let url = db.root_url();
        let stop = Arc::new(AtomicBool::new(false));
        let committed = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let (s, c, f) = (stop.clone(), committed.clone(), failed.clone());
        let task = tokio::spawn(async move {
            let opts = mysql_async::Opts::from_url(&url).unwrap();
            let mut rng = Rng(seed);
            let mut conn: Option<mysql_async::Conn> = None;
            while !s.load(Ordering::Relaxed) {
                if conn.is_none() {
                    match mysql_async::Conn::new(opts.clone()).await {
                        Ok(new) => conn = Some(new),
                        Err(_) => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    }
                }
                let (a, b, k) = (rng.range(1, 3000), rng.range(1, 3000), rng.range(0, 60));
                let sql = format!(
                    "START TRANSACTION; \
                     INSERT INTO wl.keyed (k, c, d, x) VALUES ({k}, 'w{a}', NOW(3), {a}.25); \
                     UPDATE wl.keyed SET k = k + 1, c = CONCAT(c, '+'), d = NOW(3) WHERE id = {a}; \
                     DELETE FROM wl.keyed WHERE id = {b}; \
                     INSERT INTO wl.nopk VALUES ({k}, 'w{a}', {b}.5); \
                     UPDATE wl.nopk SET c = CONCAT(c, '+') WHERE k = {k} LIMIT 1; \
                     DELETE FROM wl.nopk WHERE k = {} LIMIT 1; \
                     COMMIT",
                    (k + 7) % 60
                );
                let result = conn.as_mut().unwrap().query_drop(sql).await;
                match result {
                    Ok(()) => {
                        c.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        f.fetch_add(1, Ordering::Relaxed);
                        conn = None;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if let Some(c) = conn {
                let _ = c.disconnect().await;
            }
        });
        Writer {
            stop,
            committed,
            failed,
            task,
        }
    }

    /// Stops the writer; returns (committed, failed) transactions.
    async fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("writer task");
        (
            self.committed.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// Polls `status.json` until the replica's position is the source's binlog end; returns
/// the last live state. Panics after `timeout` with the replica's log.
async fn wait_caught_up(
    db: &MariaDb,
    replica: &mut Child,
    dir: &Path,
    log: &Path,
    timeout: Duration,
) -> RuntimeSnapshot {
    let deadline = Instant::now() + timeout;
    loop {
        assert_running(replica, log);
        let (file, pos) = db.current_position().await;
        let live = runtime::read(dir);
        if let Some(live) = &live {
            if live
                .position
                .as_ref()
                .is_some_and(|p| p.file == file && p.pos == pos)
            {
                return live.clone();
            }
        }
        if Instant::now() > deadline {
            panic!(
                "the replica did not reach the source's end {file}:{pos} within {timeout:?}; \
                 status.json: {live:?}\nlog:\n{}",
                tail(log, 40)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The source restarts under a running replica, cleanly and after a crash; the replica
/// reconnects by itself and misses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_restart_mid_stream() {
    let started = Instant::now();
    let mut db = MariaDb::start().await;
    create_load_tables(&db).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("data");
    let log = work.path().join("replica.log");
    let mut replica = spawn_replica(&db, &dir, "wl.*", &log, false);
    wait_caught_up(&db, &mut replica, &dir, &log, Duration::from_secs(60)).await;

    let writer = Writer::start(&db, seed());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // A clean restart (SHUTDOWN) ...
    db.restart().await;
    wait_reconnects(&mut replica, &dir, &log, 1).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // ... and a crash of the source (SIGKILL, crash recovery at the start).
    db.kill();
    db.restart().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (committed, failed) = writer.stop().await;
    assert!(
        committed > 20,
        "the writer committed {committed} transactions"
    );
    wait_caught_up(&db, &mut replica, &dir, &log, Duration::from_secs(60)).await;
    let live = wait_reconnects(&mut replica, &dir, &log, 2).await;
    kill_replica(&mut replica, &log).await;

    assert_load_tables_match(&db, &dir).await;
    let summary = check_changelog(&db, &dir).await;
    assert_position_is_source_end(&db, &dir).await;
    println!(
        "source restart + crash: writer {committed} committed, {failed} failed; replica reconnected \
         {} time(s); change log {} transactions, {} row changes; {:.1} s",
        live.reconnects,
        summary.transactions,
        summary.records,
        started.elapsed().as_secs_f64()
    );
}

/// The source restarts while the replica is still making its initial copy; the replica
/// waits for it and resumes the copy by itself (the copy is resumable, so this is what a
/// restart of the replica would do), then streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_restart_during_the_initial_copy() {
    let started = Instant::now();
    let mut db = MariaDb::start().await;
    create_load_tables(&db).await;
    // A table large enough that its copy (500-row chunks) takes a few seconds.
    db.exec("CREATE TABLE wl.big (id INT PRIMARY KEY, c CHAR(100) NOT NULL, n BIGINT)")
        .await;
    db.exec("INSERT INTO wl.big SELECT seq, REPEAT(CHAR(65 + seq % 26), 100), seq * 3 FROM wl.seq_1_to_300000")
        .await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("data");
    let log = work.path().join("replica.log");
    let mut replica = spawn_replica(&db, &dir, "wl.*", &log, false);
    let writer = Writer::start(&db, seed());
    // Wait until the copy has started writing rows, then restart the source under it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let copied = loop {
        assert_running(&mut replica, &log);
        if let Some(rows) = Store::open_read_only(&dir).ok().and_then(|store| {
            let catalog = Catalog::load(&store).ok()?;
            let done = store.get_meta::<bool>("initial-copy-done").ok()? == Some(true);
            let rows = catalog.find("wl", "big")?.rows_copied;
            (!done && rows > 0).then_some(rows)
        }) {
            break rows;
        }
        assert!(
            Instant::now() < deadline,
            "the copy did not start within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    db.restart().await;
    assert!(
        matches!(phase(&dir), Phase::Copying { .. }),
        "the copy ended before the source restarted: make wl.big larger"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (committed, failed) = writer.stop().await;
    wait_caught_up(&db, &mut replica, &dir, &log, Duration::from_secs(120)).await;
    kill_replica(&mut replica, &log).await;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("initial copy interrupted; resuming it"),
        "the copy was not interrupted by the restart; log:\n{}",
        tail(&log, 40)
    );

    assert_load_tables_match(&db, &dir).await;
    assert_table_matches(&db, &dir, "wl", "big", Some("id")).await;
    let summary = check_changelog(&db, &dir).await;
    assert_position_is_source_end(&db, &dir).await;
    println!(
        "source restart during the copy (after {copied} rows of wl.big): writer {committed} committed, \
         {failed} failed; change log {} transactions, {} row changes; {:.1} s",
        summary.transactions,
        summary.records,
        started.elapsed().as_secs_f64()
    );
}

/// Waits (up to 30 s) until `status.json` reports at least `n` reconnects to the source.
async fn wait_reconnects(replica: &mut Child, dir: &Path, log: &Path, n: u64) -> RuntimeSnapshot {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert_running(replica, log);
        let live = runtime::read(dir);
        if let Some(live) = live.as_ref().filter(|l| l.reconnects >= n) {
            return live.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the replica reports {:?} reconnects after 30 s, expected {n}; log:\n{}",
            live.map(|l| l.reconnects),
            tail(log, 40)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The ids of the source's `Binlog Dump` threads (`SHOW PROCESSLIST`).
async fn dump_threads(db: &MariaDb) -> Vec<u64> {
    db.query_text("SHOW PROCESSLIST")
        .await
        .into_iter()
        .filter(|r| r.get(4).cloned().flatten().as_deref() == Some("Binlog Dump"))
        .filter_map(|r| r[0].as_deref().and_then(|id| id.parse().ok()))
        .collect()
}

/// The replica's binlog connection is killed on the source, several times; it resumes
/// by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replication_connection_killed_on_the_source() {
    let started = Instant::now();
    let db = MariaDb::start().await;
    create_load_tables(&db).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("data");
    let log = work.path().join("replica.log");
    let mut replica = spawn_replica(&db, &dir, "wl.*", &log, false);
    wait_caught_up(&db, &mut replica, &dir, &log, Duration::from_secs(60)).await;

    let writer = Writer::start(&db, seed());
    let mut killed: Vec<u64> = Vec::new();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        // The replica's current dump thread: one not killed before.
        let deadline = Instant::now() + Duration::from_secs(30);
        let id = loop {
            let fresh: Vec<u64> = dump_threads(&db)
                .await
                .into_iter()
                .filter(|id| !killed.contains(id))
                .collect();
            if let [id] = fresh[..] {
                break id;
            }
            assert!(fresh.len() <= 1, "several binlog dump threads: {fresh:?}");
            assert!(
                Instant::now() < deadline,
                "the replica did not reconnect within 30 s; log:\n{}",
                tail(&log, 40)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        db.exec(&format!("KILL {id}")).await;
        killed.push(id);
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (committed, failed) = writer.stop().await;
    assert_eq!(failed, 0, "the writer's connection is never killed");
    wait_caught_up(&db, &mut replica, &dir, &log, Duration::from_secs(60)).await;
    let live = wait_reconnects(&mut replica, &dir, &log, killed.len() as u64).await;
    kill_replica(&mut replica, &log).await;

    assert_load_tables_match(&db, &dir).await;
    let summary = check_changelog(&db, &dir).await;
    assert_position_is_source_end(&db, &dir).await;
    println!(
        "dump thread killed {} times: writer {committed} committed; replica reconnected {} \
         time(s); change log {} transactions, {} row changes; {:.1} s",
        killed.len(),
        live.reconnects,
        summary.transactions,
        summary.records,
        started.elapsed().as_secs_f64()
    );
}
