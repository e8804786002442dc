//! The running replica's live state, written to `status.json` in the data directory once
//! a second, for `replicant status` (which cannot ask RocksDB for what is not committed:
//! the lag, whether the stream is caught up, reconnects, the last error).
//!
//! The file is replaced atomically (written beside, then renamed), so a reader never sees
//! half of it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::source::transaction::Transaction;
use crate::store::apply::ApplyStats;
use crate::store::catalog::StoredPosition;

/// File name of the live state in the data directory.
pub const STATUS_FILE: &str = "status.json";

/// What `status.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuntimeSnapshot {
    /// Process id of the replica.
    pub pid: u32,
    /// `starting`, `copying`, `streaming`, `stopped` or `failed`.
    pub state: String,
    /// The source, password removed.
    pub source: String,
    /// When the replica started (ms since the epoch).
    pub started_at_ms: u64,
    /// When this file was written (ms since the epoch).
    pub updated_at_ms: u64,
    /// Position of the last applied transaction.
    pub position: Option<StoredPosition>,
    /// Source commit time of the last applied transaction (s since the epoch).
    pub last_commit_ts: u32,
    /// Seconds between the source's commit and now for the transaction being applied; 0
    /// when caught up (as MySQL's `Seconds_Behind_Source`).
    pub lag_seconds: u64,
    /// True when every transaction received has been applied.
    pub caught_up: bool,
    /// Reconnections to the source since start.
    pub reconnects: u64,
    /// The last error, if the replica stopped on one.
    pub last_error: Option<String>,
    /// Transactions applied since start.
    pub transactions: u64,
    /// Row changes applied since start.
    pub rows: u64,
    /// Row changes skipped because a table's copy already had them.
    pub skipped: u64,
    /// The address the query server listens on (the port chosen when `--listen` gave 0).
    #[serde(default)]
    pub listen: Option<String>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    snap: RuntimeSnapshot,
}

/// Shared handle to the live state.
#[derive(Debug, Clone)]
pub struct RuntimeStatus(Arc<Mutex<Inner>>);

impl RuntimeStatus {
    /// Live state for a replica of `source` on `data_dir`.
    pub fn new(data_dir: &Path, source: &str) -> Self {
        let snap = RuntimeSnapshot {
            pid: std::process::id(),
            state: "starting".into(),
            source: source.into(),
            started_at_ms: now_ms(),
            ..Default::default()
        };
        RuntimeStatus(Arc::new(Mutex::new(Inner {
            path: data_dir.join(STATUS_FILE),
            snap,
        })))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut g = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut g)
    }

    /// The live values now (for `SHOW REPLICA STATUS`).
    pub fn current(&self) -> RuntimeSnapshot {
        self.0.lock().map(|i| i.snap.clone()).unwrap_or_default()
    }

    /// Sets the state word and writes the file.
    pub fn set_state(&self, state: &str) {
        self.with(|i| i.snap.state = state.into());
        self.flush();
    }

    /// Records the error the replica stopped on.
    pub fn set_error(&self, error: &str) {
        self.with(|i| {
            i.snap.state = "failed".into();
            i.snap.last_error = Some(error.into());
        });
        self.flush();
    }

    /// Records an error the replica recovers from (it keeps running).
    pub fn set_last_error(&self, error: &str) {
        self.with(|i| i.snap.last_error = Some(error.into()));
    }

    /// Records the query server's address and writes the file.
    pub fn set_listen(&self, addr: &str) {
        self.with(|i| i.snap.listen = Some(addr.into()));
        self.flush();
    }

    /// Records the stream's reconnect count.
    pub fn set_reconnects(&self, n: u64) {
        self.with(|i| i.snap.reconnects = n);
    }

    /// Records whether everything received is applied.
    pub fn set_caught_up(&self, caught_up: bool) {
        self.with(|i| i.snap.caught_up = caught_up);
    }

    /// Records an applied transaction (lag is measured against its commit time).
    pub fn applied(&self, t: &Transaction, stats: &ApplyStats) {
        self.with(|i| {
            i.snap.lag_seconds = (now_ms() / 1000).saturating_sub(u64::from(t.timestamp));
            i.snap.transactions = stats.transactions;
            i.snap.rows = stats.rows;
            i.snap.skipped = stats.skipped;
        });
    }

    /// Writes the file with the latest position and counters.
    pub fn write(
        &self,
        position: Option<&StoredPosition>,
        last_commit_ts: u32,
        stats: &ApplyStats,
    ) {
        self.with(|i| {
            i.snap.position = position.cloned();
            i.snap.last_commit_ts = last_commit_ts;
            i.snap.transactions = stats.transactions;
            i.snap.rows = stats.rows;
            i.snap.skipped = stats.skipped;
            if i.snap.caught_up {
                i.snap.lag_seconds = 0;
            }
        });
        self.flush();
    }

    fn flush(&self) {
        let (path, mut snap) = self.with(|i| (i.path.clone(), i.snap.clone()));
        snap.updated_at_ms = now_ms();
        let Ok(bytes) = serde_json::to_vec_pretty(&snap) else {
            return;
        };
        let tmp = path.with_extension("json.tmp");
        if std::fs::write(&tmp, bytes).is_ok() {
            if let Err(e) = std::fs::rename(&tmp, &path) {
                tracing::debug!("cannot publish {}: {e}", path.display());
            }
        }
    }
}

/// Reads `status.json` from a data directory, if a replica ever wrote one.
pub fn read(data_dir: &Path) -> Option<RuntimeSnapshot> {
    let bytes = std::fs::read(data_dir.join(STATUS_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Milliseconds since the epoch (one clock for the store and the live state).
pub use crate::store::apply::now_ms;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let s = RuntimeStatus::new(dir.path(), "mysql://u@h:1");
        s.set_state("streaming");
        s.set_caught_up(true);
        s.write(None, 5, &ApplyStats::default());
        let back = read(dir.path()).unwrap();
        assert_eq!(back.state, "streaming");
        assert_eq!(back.last_commit_ts, 5);
        assert!(back.caught_up);
        assert_eq!(back.pid, std::process::id());
        s.set_error("boom");
        assert_eq!(
            read(dir.path()).unwrap().last_error.as_deref(),
            Some("boom")
        );
    }
}
