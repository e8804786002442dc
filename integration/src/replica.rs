//! Running a replica against a test server and comparing its copy with the source: the
//! differential oracle of the store tests (the source's `SELECT` is the truth).

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::tz::TimeZone;
use replicant::config::run::{resolve, RunArgs, RunSettings};
use replicant::replica::{run_with, RunMode};
use replicant::source::text::render;
use replicant::store::read::Snapshot;
use replicant::store::Store;

pub use crate::fixtures::{run_statements, source_query};
use crate::fixtures::{show, TextRow};
use crate::MariaDb;

/// Settings for a replica of `db` into `dir`, replicating `tables`, fast heartbeats.
pub fn settings(db: &MariaDb, dir: &Path, tables: &str) -> RunSettings {
    let args = RunArgs {
        source: Some(db.repl_url()),
        tables: Some(tables.to_string()),
        data_dir: Some(dir.to_path_buf()),
        heartbeat: Some("1".into()),
        snapshot_chunk_rows: Some(1000),
        ..Default::default()
    };
    resolve(&args).unwrap_or_else(|e| panic!("settings: {e}"))
}

/// Runs the replica until it has applied the source's whole binlog, then returns.
pub async fn sync(settings: &RunSettings) {
    let run = run_with(settings, RunMode { stop_at_end: true });
    match tokio::time::timeout(Duration::from_secs(180), run).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("replica failed: {e}"),
        Err(_) => panic!("replica did not catch up within 180 s"),
    }
}

/// The replica's rows of `schema.table` rendered as the source's text protocol would,
/// in stored order; `None` when the table is not served.
pub fn replica_rows(dir: &Path, schema: &str, table: &str) -> Option<Vec<TextRow>> {
    let store = Store::open_read_only(dir).unwrap_or_else(|e| panic!("open {dir:?}: {e}"));
    let snap = Snapshot::new(&store).unwrap();
    let entry = snap.catalog.find(schema, table)?.clone();
    let info = entry.info.clone()?;
    let rows = snap.rows(schema, table).unwrap()?;
    Some(
        rows.iter()
            .map(|r| {
                r.iter()
                    .zip(&info.columns)
                    .map(|(v, c)| {
                        let v = v.clone().unwrap_or(replicant::source::value::Value::Null);
                        render(&v, c, &TimeZone::UTC)
                    })
                    .collect()
            })
            .collect(),
    )
}

/// Asserts two row lists are equal, naming the first differing row and columns.
pub fn assert_same_rows(what: &str, replica: &[TextRow], source: &[TextRow]) {
    for (i, (g, w)) in replica.iter().zip(source).enumerate() {
        let diffs: Vec<String> = g
            .iter()
            .zip(w)
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(c, (a, b))| format!("column {}: replica {} source {}", c + 1, show(a), show(b)))
            .collect();
        assert!(
            diffs.is_empty() && g.len() == w.len(),
            "{what}: row {i} differs: {}",
            diffs.join("; ")
        );
    }
    assert_eq!(
        replica.len(),
        source.len(),
        "{what}: the replica has {} rows, the source {}",
        replica.len(),
        source.len()
    );
}

/// Compares the replica's copy of `schema.table` with the source: in key order when
/// `order_by` is given (the source's `ORDER BY`), else as sorted multisets.
pub async fn assert_table_matches(
    db: &MariaDb,
    dir: &Path,
    schema: &str,
    table: &str,
    order_by: Option<&str>,
) {
    let mut got = replica_rows(dir, schema, table)
        .unwrap_or_else(|| panic!("{schema}.{table} is not served by the replica"));
    let sql = match order_by {
        Some(o) => format!("SELECT * FROM `{schema}`.`{table}` ORDER BY {o}"),
        None => format!("SELECT * FROM `{schema}`.`{table}`"),
    };
    let mut want = source_query(db, &sql).await;
    if order_by.is_none() {
        got.sort();
        want.sort();
    }
    assert_same_rows(&format!("{schema}.{table}"), &got, &want);
}

/// Path of the `replicant` binary built beside the test executables (building it if
/// needed), or `REPLICANT_BIN`.
pub fn replicant_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("REPLICANT_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test> -> target/<profile>/replicant
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("test executable lives in target/<profile>/deps");
    let bin = profile_dir.join("replicant");
    if !bin.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--bin", "replicant"])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .status()
            .expect("cargo build --bin replicant");
        assert!(status.success(), "cargo build --bin replicant failed");
    }
    bin
}
