//! `replicant tail`: print the decoded change stream of a source, the replacement for a
//! hand-written `BinLogStreamReader` loop or `mysqlbinlog -v`.

pub mod format;

use std::io::{self, BufWriter, Write};
use std::time::{Duration, Instant};

use clap::Args;

use crate::config::{parse_from, parse_gtid, parse_time_zone};
use crate::source::change::Change;
use crate::source::connect::{connect, SourceOptions, DEFAULT_SERVER_ID};
use crate::source::filter::TableFilter;
use crate::source::position::StartPosition;
use crate::source::preflight;
use crate::source::stream::{BinlogStream, StreamOptions};
use format::{write_change, Format, Style};

/// Command-line arguments of `replicant tail`.
#[derive(Debug, Clone, Args)]
pub struct TailArgs {
    /// Source server: mysql://user[:password]@host[:port]. The password may also come from
    /// REPLICANT_SOURCE_PASSWORD.
    #[arg(long, env = "REPLICANT_SOURCE")]
    pub source: String,
    /// Start at FILE:POS, `current` (default: only new changes) or `earliest`.
    #[arg(long, conflicts_with = "gtid")]
    pub from: Option<String>,
    /// Start after a GTID set: MySQL `uuid:1-100,…` or MariaDB `0-1-100,…`.
    #[arg(long)]
    pub gtid: Option<String>,
    /// Tables to show, e.g. 'shop.*,crm.customers' (default: all).
    #[arg(long, default_value = "")]
    pub tables: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit when the source has no more events instead of following.
    #[arg(long)]
    pub stop_at_end: bool,
    /// Zone for TIMESTAMP values and event times: UTC, SYSTEM, +02:00 or a zone name.
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
    /// Server id to register with; must be unique among the source's replicas.
    #[arg(long, default_value_t = DEFAULT_SERVER_ID)]
    pub server_id: u32,
    /// CSV delimiter (one byte).
    #[arg(long, default_value = "|")]
    pub delimiter: String,
    /// What CSV prints for NULL (default: empty, as the seeds' csv.writer does).
    #[arg(long, default_value = "")]
    pub null_marker: String,
    /// Seconds between source heartbeats (a dead connection is noticed after ~3 of them).
    #[arg(long, default_value_t = 5.0)]
    pub heartbeat: f64,
}

/// Runs `tail` on standard output until the stream ends (with `--stop-at-end`) or fails.
pub async fn run(args: TailArgs) -> Result<(), String> {
    // Unlocked handle: the future may move between runtime threads.
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout());
    run_to(args, &mut out).await
}

/// Runs `tail`, writing the formatted changes to `out` (flushed at least every 200 ms).
pub async fn run_to(args: TailArgs, out: &mut impl Write) -> Result<(), String> {
    let tz = parse_time_zone(&args.time_zone)?;
    let filter = TableFilter::parse(&args.tables)?;
    let start = match (&args.from, &args.gtid) {
        (_, Some(g)) => parse_gtid(g)?,
        (Some(f), None) => parse_from(f)?,
        (None, None) => StartPosition::Current,
    };
    let delimiter = match args.delimiter.as_bytes() {
        [b] => *b,
        _ => {
            return Err(format!(
                "--delimiter: `{}` must be exactly one byte",
                args.delimiter
            ))
        }
    };
    if !(args.heartbeat > 0.0 && args.heartbeat <= 3600.0) {
        return Err("--heartbeat: give seconds between 0 and 3600, e.g. 5".into());
    }
    let mut source = SourceOptions::from_url(&args.source).map_err(|e| e.to_string())?;
    source.server_id = args.server_id;
    source.heartbeat = Duration::from_secs_f64(args.heartbeat);
    source.read_timeout = source.heartbeat * 3 + Duration::from_secs(5);

    // Preflight on its own connection: fail early with the exact fix.
    {
        let (mut conn, info) = connect(&source).await.map_err(|e| e.to_string())?;
        let report = preflight::check(&mut conn, &info, &start)
            .await
            .map_err(|e| e.to_string())?;
        for w in &report.warnings {
            tracing::warn!("{w}");
        }
        let _ = conn.disconnect().await;
    }

    let mut stream = BinlogStream::open(StreamOptions {
        source,
        start,
        filter,
        stop_at_end: args.stop_at_end,
        reconnect: true,
        max_backoff: Duration::from_secs(30),
    })
    .await
    .map_err(|e| e.to_string())?;

    let style = Style {
        format: args.format,
        tz,
        delimiter,
        null_marker: args.null_marker,
    };
    let mut changes = Vec::with_capacity(1024);
    let mut visible = VisibleTransactions::default();
    let started = Instant::now();
    let mut last_flush = Instant::now();
    let (mut transactions, mut rows) = (0u64, 0u64);
    loop {
        changes.clear();
        let more = stream.next(&mut changes).await.map_err(|e| e.to_string())?;
        for c in &changes {
            match c {
                Change::Row(_) => rows += 1,
                Change::Commit { .. } => transactions += 1,
                _ => {}
            }
            if let Err(e) = visible.pass(c, |shown| write_change(out, &style, shown)) {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    return Ok(()); // the reader went away (e.g. `| head`)
                }
                return Err(format!("writing output: {e}"));
            }
        }
        if !more {
            break;
        }
        if last_flush.elapsed() > Duration::from_millis(200) {
            flush(out)?;
            last_flush = Instant::now();
        }
    }
    flush(out)?;
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        transactions,
        rows,
        seconds = format!("{secs:.3}"),
        rows_per_second = format!("{:.0}", rows as f64 / secs.max(1e-9)),
        end = %stream.committed(),
        "tail finished"
    );
    if args.format == Format::None {
        eprintln!(
            "decoded {transactions} transactions, {rows} row changes in {secs:.3} s; ended at {}",
            stream.committed()
        );
    }
    Ok(())
}

/// Hides transactions that carry nothing to show (every row was in a table outside
/// `--tables`): a `Begin` is held back until a row or DDL of its transaction arrives.
#[derive(Debug, Default)]
struct VisibleTransactions {
    held: Option<Change>,
}

impl VisibleTransactions {
    /// Passes `change` (and a held `Begin` before it) to `emit` when it is to be shown.
    fn pass(
        &mut self,
        change: &Change,
        mut emit: impl FnMut(&Change) -> io::Result<()>,
    ) -> io::Result<()> {
        match change {
            Change::Begin { .. } => {
                self.held = Some(change.clone());
                Ok(())
            }
            Change::Row(_) | Change::Ddl { .. } => {
                if let Some(begin) = self.held.take() {
                    emit(&begin)?;
                }
                emit(change)
            }
            Change::Commit { .. } | Change::Discard => match self.held.take() {
                Some(_) => Ok(()), // nothing of this transaction was shown
                None => emit(change),
            },
        }
    }
}

fn flush(out: &mut impl Write) -> Result<(), String> {
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("writing output: {e}")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::position::{FilePos, Position};

    fn commit() -> Change {
        Change::Commit {
            position: Position {
                file_pos: FilePos {
                    file: "f".into(),
                    pos: 9,
                },
                gtid: None,
            },
            timestamp: 0,
        }
    }

    fn shown(changes: &[Change]) -> Vec<String> {
        let mut v = VisibleTransactions::default();
        let mut out = Vec::new();
        for c in changes {
            v.pass(c, |s| {
                out.push(
                    format!("{s:?}")
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_string(),
                );
                Ok(())
            })
            .unwrap();
        }
        out
    }

    #[test]
    fn empty_transactions_are_hidden_and_others_keep_their_begin() {
        let begin = Change::Begin {
            gtid: None,
            timestamp: 0,
        };
        let ddl = Change::Ddl {
            schema: "s".into(),
            statement: "CREATE TABLE t (a INT)".into(),
        };
        // An empty transaction, a discarded empty one, then one with a DDL.
        let stream = [
            begin.clone(),
            commit(),
            begin.clone(),
            Change::Discard,
            begin.clone(),
            ddl,
            commit(),
        ];
        assert_eq!(shown(&stream), ["Begin", "Ddl", "Commit"]);
    }
}
