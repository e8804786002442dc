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

/// Changes of one transaction held back before it commits (beyond: printed as they come).
const TRANSACTION_BUFFER_LIMIT: usize = 100_000;

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
        known_gtid: None,
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
    let mut visible = TransactionBuffer::new(TRANSACTION_BUFFER_LIMIT);
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

/// Holds each transaction back until it commits, so that nothing the source undid is
/// printed (a logged ROLLBACK, a ROLLBACK TO SAVEPOINT, a transaction cut off by a
/// reconnect), and transactions with nothing to show (every row in a table outside
/// `--tables`) are not printed at all. A transaction larger than `limit` changes is
/// printed as it streams instead (memory stays bounded); an undo arriving after that is
/// printed as such (DISCARD / ROLLBACK TO SAVEPOINT lines in text and JSON) with a warning.
#[derive(Debug)]
struct TransactionBuffer {
    held: Vec<Change>,
    streaming: bool,
    limit: usize,
}

impl TransactionBuffer {
    fn new(limit: usize) -> Self {
        TransactionBuffer {
            held: Vec::new(),
            streaming: false,
            limit,
        }
    }

    /// Takes the next change; passes what is to be printed now to `emit`.
    fn pass(
        &mut self,
        change: &Change,
        mut emit: impl FnMut(&Change) -> io::Result<()>,
    ) -> io::Result<()> {
        match change {
            Change::Begin { .. } => {
                self.held.clear();
                self.streaming = false;
                self.held.push(change.clone());
            }
            Change::Row(_) | Change::Ddl { .. } | Change::Savepoint { .. } => {
                if self.streaming {
                    return emit(change);
                }
                self.held.push(change.clone());
                if self.held.len() > self.limit {
                    self.streaming = true;
                    for c in self.held.drain(..) {
                        emit(&c)?;
                    }
                }
            }
            Change::RollbackToSavepoint { name } => {
                if self.streaming {
                    tracing::warn!(savepoint = %name, "a large transaction rolled back to a savepoint after its rows were printed");
                    return emit(change);
                }
                let mark = self
                    .held
                    .iter()
                    .rposition(|c| matches!(c, Change::Savepoint { name: n } if n == name));
                if let Some(i) = mark {
                    self.held.truncate(i + 1);
                }
            }
            Change::Commit { .. } => {
                let visible = self
                    .held
                    .iter()
                    .any(|c| matches!(c, Change::Row(_) | Change::Ddl { .. }));
                if self.streaming || visible {
                    for c in self.held.drain(..) {
                        if !matches!(c, Change::Savepoint { .. }) {
                            emit(&c)?;
                        }
                    }
                    emit(change)?;
                }
                self.held.clear();
                self.streaming = false;
            }
            Change::Discard => {
                if self.streaming {
                    tracing::warn!("a large transaction was undone after its rows were printed");
                    emit(change)?;
                }
                self.held.clear();
                self.streaming = false;
            }
        }
        Ok(())
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

    fn begin() -> Change {
        Change::Begin {
            gtid: None,
            timestamp: 0,
        }
    }

    fn ddl(n: u32) -> Change {
        Change::Ddl {
            schema: "s".into(),
            statement: format!("DDL {n}"),
        }
    }

    fn sp(name: &str) -> Change {
        Change::Savepoint { name: name.into() }
    }

    fn shown(changes: &[Change], limit: usize) -> Vec<String> {
        let mut v = TransactionBuffer::new(limit);
        let mut out = Vec::new();
        for c in changes {
            v.pass(c, |s| {
                out.push(match s {
                    Change::Ddl { statement, .. } => statement.clone(),
                    other => format!("{other:?}")
                        .split([' ', '{'])
                        .next()
                        .unwrap_or("")
                        .to_string(),
                });
                Ok(())
            })
            .unwrap();
        }
        out
    }

    #[test]
    fn only_committed_visible_changes_are_printed() {
        let stream = [
            // empty: hidden
            begin(),
            commit(),
            // rolled back by the source: hidden, then its empty GTID transaction: hidden
            begin(),
            ddl(1),
            Change::Discard,
            begin(),
            commit(),
            // a savepoint rollback undoes DDL 3 only
            begin(),
            ddl(2),
            sp("a"),
            ddl(3),
            Change::RollbackToSavepoint { name: "a".into() },
            ddl(4),
            commit(),
        ];
        assert_eq!(shown(&stream, 100), ["Begin", "DDL 2", "DDL 4", "Commit"]);
    }

    #[test]
    fn large_transactions_stream_and_show_late_undos() {
        let stream = [begin(), ddl(1), ddl(2), ddl(3), Change::Discard];
        assert_eq!(
            shown(&stream, 2),
            ["Begin", "DDL 1", "DDL 2", "DDL 3", "Discard"]
        );
    }
}
