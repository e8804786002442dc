//! `replicant status --data-dir DIR`: where a replica stands — positions, lag, per-table
//! state — read from the data directory (RocksDB opened read-only, so it works while
//! `replicant run` is running) and from the running replica's `status.json`.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::runtime::{self, now_ms, RuntimeSnapshot};
use crate::store::catalog::{Catalog, StoredPosition, TableState};
use crate::store::changelog;
use crate::store::Store;

/// `replicant status` arguments.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// The replica's data directory.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// `text` for people, `json` for scripts and monitoring.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// One table's line of the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TableStatus {
    /// `schema.table`.
    pub table: String,
    /// `copying`, `streaming` or `recopying`.
    pub state: String,
    /// For copies: percent of the source's row estimate copied so far.
    pub percent: Option<f64>,
    /// Rows copied by the last copy.
    pub rows_copied: u64,
    /// Why the table is being copied again.
    pub reason: Option<String>,
    /// The position the table's copy is consistent with (the newest segment).
    pub copy_position: Option<String>,
    /// Schema version (bumped at each followed schema change).
    pub schema_version: u32,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusReport {
    /// The data directory.
    pub data_dir: String,
    /// The source (password removed), its flavor and version.
    pub source: Option<serde_json::Value>,
    /// True when a replica process is updating this data directory now.
    pub running: bool,
    /// `copying`, `streaming`, `stopped`, `failed`, … as the replica last reported.
    pub state: String,
    /// Position of the last applied (committed) transaction.
    pub position: Option<String>,
    /// Source commit time of the last applied transaction (RFC 3339, UTC).
    pub last_commit: Option<String>,
    /// Seconds behind the source (0 when caught up), while running.
    pub lag_seconds: Option<u64>,
    /// The last error the replica stopped on.
    pub last_error: Option<String>,
    /// Oldest and newest change log positions retained.
    pub changelog: Option<(String, String)>,
    /// Per table.
    pub tables: Vec<TableStatus>,
}

/// Builds the report for a data directory.
pub fn report(data_dir: &std::path::Path) -> Result<StatusReport, String> {
    let store = Store::open_read_only(data_dir).map_err(|e| e.to_string())?;
    let catalog = Catalog::load(&store).map_err(|e| e.to_string())?;
    let position: Option<StoredPosition> = store.get_meta("position").map_err(|e| e.to_string())?;
    let last_ts: Option<u32> = store
        .get_meta("last-commit-ts")
        .map_err(|e| e.to_string())?;
    let source: Option<serde_json::Value> = store.get_meta("source").map_err(|e| e.to_string())?;
    let live: Option<RuntimeSnapshot> = runtime::read(data_dir);
    let running = live.as_ref().is_some_and(|l| {
        !matches!(l.state.as_str(), "stopped" | "failed")
            && now_ms().saturating_sub(l.updated_at_ms) < 5_000
            && std::path::Path::new(&format!("/proc/{}", l.pid)).exists()
    });
    let changelog = changelog::bounds(&store)
        .map_err(|e| e.to_string())?
        .map(|(a, b)| {
            (
                format!("{}:{}", a.file, a.pos),
                format!("{}:{}", b.file, b.pos),
            )
        });
    let tables = catalog
        .tables()
        .map(|t| {
            let (state, reason) = match &t.state {
                TableState::Copying => ("copying", None),
                TableState::Streaming => ("streaming", None),
                TableState::Recopying { reason, .. } => ("recopying", Some(reason.clone())),
            };
            let percent = (state != "streaming" && t.rows_estimate > 0)
                .then(|| (t.rows_copied as f64 * 100.0 / t.rows_estimate as f64).min(100.0));
            TableStatus {
                table: t.qualified_name(),
                state: state.into(),
                percent,
                rows_copied: t.rows_copied,
                reason,
                copy_position: t.newest_segment().map(|p| p.to_string()),
                schema_version: t.schema_version,
            }
        })
        .collect();
    let state = match (&live, running) {
        (Some(l), true) => l.state.clone(),
        (Some(l), false) if l.state == "failed" => "failed".into(),
        _ => "stopped".into(),
    };
    Ok(StatusReport {
        data_dir: data_dir.display().to_string(),
        source,
        running,
        state,
        position: position.map(|p| p.to_string()),
        last_commit: last_ts.filter(|t| *t > 0).and_then(|t| {
            jiff::Timestamp::from_second(i64::from(t))
                .ok()
                .map(|ts| ts.to_string())
        }),
        lag_seconds: live.as_ref().filter(|_| running).map(|l| l.lag_seconds),
        last_error: live.and_then(|l| l.last_error),
        changelog,
        tables,
    })
}

/// Runs `replicant status`, printing to standard output.
pub fn run(args: StatusArgs) -> Result<(), String> {
    let r = report(&args.data_dir)?;
    if args.format == "json" {
        let text = serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?;
        println!("{text}");
        return Ok(());
    }
    print!("{}", render_text(&r));
    Ok(())
}

/// The report as aligned text.
pub fn render_text(r: &StatusReport) -> String {
    let mut out = String::new();
    let src = r
        .source
        .as_ref()
        .map(|s| {
            format!(
                "{} ({} {})",
                s["url"].as_str().unwrap_or("?"),
                s["flavor"].as_str().unwrap_or("?"),
                s["version"].as_str().unwrap_or("?")
            )
        })
        .unwrap_or_else(|| "unknown".into());
    out.push_str(&format!("data dir:     {}\n", r.data_dir));
    out.push_str(&format!("source:       {src}\n"));
    out.push_str(&format!(
        "state:        {}{}\n",
        r.state,
        if r.running { " (running)" } else { "" }
    ));
    out.push_str(&format!(
        "position:     {}\n",
        r.position.as_deref().unwrap_or("none yet")
    ));
    out.push_str(&format!(
        "last commit:  {}\n",
        r.last_commit.as_deref().unwrap_or("none yet")
    ));
    if let Some(lag) = r.lag_seconds {
        out.push_str(&format!("lag:          {lag} s\n"));
    }
    if let Some((a, b)) = &r.changelog {
        out.push_str(&format!("change log:   {a} .. {b}\n"));
    }
    if let Some(e) = &r.last_error {
        out.push_str(&format!("last error:   {e}\n"));
    }
    out.push_str(&format!("tables:       {}\n", r.tables.len()));
    for t in &r.tables {
        let detail = match (&t.percent, &t.reason) {
            (Some(p), _) if t.state == "copying" => format!("{p:.1}% ({} rows)", t.rows_copied),
            (_, Some(reason)) => format!("({reason})"),
            _ => format!(
                "since {}",
                t.copy_position.as_deref().unwrap_or("the start")
            ),
        };
        out.push_str(&format!("  {:<40} {:<10} {detail}\n", t.table, t.state));
    }
    out
}
