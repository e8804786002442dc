//! `replicant run`: the replica. Copies the selected tables once (consistent with a binlog
//! position), then streams the binlog from there and applies every committed transaction
//! to the store, copying a table again where a change cannot be followed, and recording
//! its progress for `replicant status`.
//!
//! Tasks: a **reader** (binlog stream → whole transactions, over a bounded channel, so
//! decoding and applying use both cores), the **applier** loop (groups the transactions
//! waiting in the channel into one RocksDB batch), and **copy** tasks for recopies.

pub mod copy;
pub mod runtime;
pub mod serve;
pub mod status;

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rocksdb::WriteBatch;
use tokio::sync::mpsc;
use tracing::{error, info, warn};

use crate::config::run::{self as run_config, RunSettings};
use crate::source::connect::{connect, ServerInfo, SourceOptions};
use crate::source::error::SourceError;
use crate::source::filter::{Selection, TableFilter};
use crate::source::position::{FilePos, StartPosition};
use crate::source::preflight;
use crate::source::schema::list_tables;
use crate::source::stream::{BinlogStream, StreamOptions};
use crate::source::transaction::{Assembler, Transaction};
use crate::store::apply::{Applier, CopyResult, RecopyRequest};
use crate::store::catalog::{Catalog, StoredPosition, TableEntry, TableState};
use crate::store::changelog;
use crate::store::{Durability, Store, StoreError};
use copy::CopyGuard;
use runtime::RuntimeStatus;

/// Why the replica stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The source failed or refused.
    #[error("{0}")]
    Source(#[from] SourceError),
    /// The store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Settings are unusable.
    #[error("{0}")]
    Config(String),
}

/// How the run ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunMode {
    /// Stop once the source's binlog end is reached (tests, benchmarks, one-off syncs).
    pub stop_at_end: bool,
}

/// `replicant run` command-line arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct RunCommand {
    /// Settings (also from `--config replicant.toml`).
    #[command(flatten)]
    pub settings: run_config::RunArgs,
    /// Exit once the source's binlog end is reached instead of following it.
    #[arg(long)]
    pub stop_at_end: bool,
}

/// Runs `replicant run` until it fails, is interrupted, or (with `--stop-at-end`) has
/// caught up.
pub async fn run(cmd: RunCommand) -> Result<(), String> {
    let settings = run_config::resolve(&cmd.settings)?;
    for w in &settings.warnings {
        warn!("{w}");
    }
    let mode = RunMode {
        stop_at_end: cmd.stop_at_end,
    };
    serve::run_serving(&settings, mode, shutdown_signal()).await
}

/// Completes on Ctrl-C or SIGTERM (how systemd and container runtimes stop a service).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn selection(settings: &RunSettings) -> Result<Selection, ReplicaError> {
    let include = TableFilter::parse(&settings.tables).map_err(ReplicaError::Config)?;
    let exclude = if settings.exclude_tables.trim().is_empty() {
        None
    } else {
        Some(
            TableFilter::parse(&settings.exclude_tables)
                .map_err(|e| ReplicaError::Config(e.replace("--tables", "--exclude-tables")))?,
        )
    };
    Ok(Selection { include, exclude })
}

fn source_options(settings: &RunSettings) -> Result<SourceOptions, ReplicaError> {
    let mut source = SourceOptions::from_url(&settings.source)?;
    source.server_id = settings.server_id;
    source.heartbeat = settings.heartbeat;
    source.read_timeout = settings.heartbeat * 3 + Duration::from_secs(5);
    Ok(source)
}

/// The replica's main loop with resolved settings.
pub async fn run_with(settings: &RunSettings, mode: RunMode) -> Result<(), ReplicaError> {
    let (visible, _) = tokio::sync::watch::channel(None);
    run_observed(settings, mode, visible).await
}

/// [`run_with`], publishing on `visible` the position of the last transaction readers can
/// see (committed to the store) after every batch: how a caller waits for its own write
/// (e.g. for `MASTER_GTID_WAIT`, or to measure commit-to-visible lag).
pub async fn run_observed(
    settings: &RunSettings,
    mode: RunMode,
    visible: tokio::sync::watch::Sender<Option<StoredPosition>>,
) -> Result<(), ReplicaError> {
    let replica = Replica::open(settings)?;
    replica.preflight(settings).await?;
    replica.replicate(settings, mode, visible).await
}

/// A replica whose data directory is open: the store and the live status that the query
/// server shares with the replication loop.
pub struct Replica {
    store: Arc<Store>,
    status: RuntimeStatus,
    source: SourceOptions,
    selection: Selection,
}

impl Replica {
    /// Opens the data directory (one writer at a time) for `settings`.
    pub fn open(settings: &RunSettings) -> Result<Replica, ReplicaError> {
        let selection = selection(settings)?;
        let source = source_options(settings)?;
        let durability = match settings.durability {
            run_config::Durability::Sync => Durability::Sync,
            run_config::Durability::Buffered => Durability::Buffered,
        };
        let store = Arc::new(Store::open(&settings.data_dir, durability)?);
        let status = RuntimeStatus::new(&settings.data_dir, &source.redacted_url());
        status.set_state("starting");
        Ok(Replica {
            store,
            status,
            source,
            selection,
        })
    }

    /// The materialized copy.
    pub fn store(&self) -> Arc<Store> {
        self.store.clone()
    }

    /// The live status (`replicant status`, `SHOW REPLICA STATUS`).
    pub fn status(&self) -> RuntimeStatus {
        self.status.clone()
    }

    /// The source connection settings (the password stays inside).
    pub fn source(&self) -> &SourceOptions {
        &self.source
    }

    /// Checks the source (fails early with the exact fix), records what it is, and
    /// returns it.
    pub async fn preflight(&self, settings: &RunSettings) -> Result<ServerInfo, ReplicaError> {
        let (store, source) = (&self.store, &self.source);
        let stored: Option<StoredPosition> = store.get_meta("position")?;
        let (mut conn, info) = connect(source).await?;
        let start = match &stored {
            Some(p) => StartPosition::FilePos(p.file_pos()),
            None => StartPosition::Current,
        };
        match preflight::check(&mut conn, &info, &start).await {
            Ok(report) => report.warnings.iter().for_each(|w| warn!("{w}")),
            Err(SourceError::PositionUnavailable { position, reason })
                if settings.resnapshot_on_gap =>
            {
                warn!(%position, %reason, "the stored position is gone from the source; --resnapshot-on-gap: copying every table again");
                reset_for_resnapshot(store)?;
            }
            Err(e) => return Err(with_gap_hint(e)),
        }
        let mut batch = WriteBatch::default();
        store.put_meta(
            &mut batch,
            "source",
            &serde_json::json!({
                "url": source.redacted_url(),
                "flavor": info.flavor.to_string(),
                "version": info.version_string,
                "server_id": settings.server_id,
            }),
        )?;
        store.write(batch)?;
        let _ = conn.disconnect().await;
        Ok(info)
    }

    /// Copies what needs copying, then follows the source until stopped (see
    /// [`run_observed`] for `visible`).
    pub async fn replicate(
        self,
        settings: &RunSettings,
        mode: RunMode,
        visible: tokio::sync::watch::Sender<Option<StoredPosition>>,
    ) -> Result<(), ReplicaError> {
        let Replica {
            store,
            status,
            source,
            selection,
        } = self;
        if store.get_meta::<bool>("initial-copy-done")? != Some(true) {
            status.set_state("copying");
            // The source going away (restart, network) interrupts the copy; it is
            // resumable, so continue it once the source is back, as a restart of
            // replicant would.
            let mut backoff = Duration::from_millis(250);
            loop {
                match initial_copy(&store, &source, &selection, settings).await {
                    Ok(()) => break,
                    Err(ReplicaError::Source(e)) if e.is_transient() => {
                        warn!(error = %e, wait = ?backoff, "initial copy interrupted; resuming it");
                        status.set_last_error(&e.to_string());
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        stream_and_apply(store, source, selection, settings, mode, status, visible).await
    }
}

/// A purged start position names the way out.
fn with_gap_hint(e: SourceError) -> ReplicaError {
    match e {
        SourceError::PositionUnavailable { position, reason } => {
            ReplicaError::Source(SourceError::PositionUnavailable {
                position,
                reason: format!(
                    "{reason}. The copy is intact but cannot be brought up to date from the \
                     binlog: restart with --resnapshot-on-gap to copy every table again"
                ),
            })
        }
        other => other.into(),
    }
}

/// Forgets everything (rows, catalog, position) so the next start copies afresh.
fn reset_for_resnapshot(store: &Store) -> Result<(), StoreError> {
    use crate::store::db::{CF_CATALOG, CF_CHANGELOG, CF_DUPS, CF_PENDING, CF_ROWS};
    let mut batch = WriteBatch::default();
    for cf in [CF_ROWS, CF_DUPS, CF_CATALOG, CF_PENDING, CF_CHANGELOG] {
        batch.delete_range_cf(store.cf(cf)?, Vec::<u8>::new(), vec![0xffu8; 17]);
    }
    store.put_meta(&mut batch, "initial-copy-done", &false)?;
    batch.delete_cf(store.cf(crate::store::db::CF_META)?, "position");
    store.write(batch)
}

/// The initial copy of every selected table, `snapshot_parallelism` at a time, resumable.
async fn initial_copy(
    store: &Arc<Store>,
    source: &SourceOptions,
    selection: &Selection,
    settings: &RunSettings,
) -> Result<(), ReplicaError> {
    let started = Instant::now();
    let mut total = 0u64;
    // Tables created on the source while the copy ran are found by listing again.
    loop {
        let added = add_new_tables(store, source, selection).await?;
        let catalog = Catalog::load(store)?;
        let todo: Vec<TableEntry> = catalog
            .tables()
            .filter(|t| t.state == TableState::Copying)
            .cloned()
            .collect();
        if todo.is_empty() && added == 0 {
            break;
        }
        info!(
            tables = catalog.tables().count(),
            to_copy = todo.len(),
            "initial copy"
        );
        total += copy_tables(store, source, settings, todo).await?;
    }
    // Streaming starts at the oldest copy's position; newer copies skip what they have.
    let catalog = Catalog::load(store)?;
    let oldest = catalog
        .tables()
        .flat_map(|t| t.segments.iter().map(|s| s.position.clone()))
        .min_by(|a, b| a.binlog_cmp(b));
    let start = match oldest {
        Some(p) => p,
        None => {
            let (mut conn, info) = connect(source).await?;
            let fp = crate::source::stream::current_position(&mut conn, &info).await?;
            let _ = conn.disconnect().await;
            StoredPosition {
                file: fp.file,
                pos: fp.pos,
                gtid: None,
                gtid_flavor: None,
            }
        }
    };
    let mut batch = WriteBatch::default();
    store.put_meta(&mut batch, "position", &start)?;
    store.put_meta(&mut batch, "initial-copy-done", &true)?;
    store.write(batch)?;
    info!(rows = total, seconds = started.elapsed().as_secs_f64(), start = %start, "initial copy done; streaming");
    Ok(())
}

/// Adds catalog entries (state `Copying`) for selected source tables not yet in the
/// catalog. Returns how many were added.
async fn add_new_tables(
    store: &Arc<Store>,
    source: &SourceOptions,
    selection: &Selection,
) -> Result<usize, ReplicaError> {
    let mut catalog = Catalog::load(store)?;
    let (mut conn, _) = connect(source).await?;
    let tables = list_tables(&mut conn, selection).await?;
    let _ = conn.disconnect().await;
    let mut batch = WriteBatch::default();
    let mut added = 0;
    for (schema, name) in tables {
        if catalog.find(&schema, &name).is_some() {
            continue;
        }
        let id = catalog.allocate_id(store, &mut batch)?;
        let entry = TableEntry::new(id, &schema, &name, TableState::Copying);
        catalog.put(store, &mut batch, entry)?;
        added += 1;
    }
    store.write(batch)?;
    Ok(added)
}

/// Copies `todo`, `snapshot_parallelism` tables at a time, with progress bars on a
/// terminal. Returns the rows copied.
async fn copy_tables(
    store: &Arc<Store>,
    source: &SourceOptions,
    settings: &RunSettings,
    todo: Vec<TableEntry>,
) -> Result<u64, ReplicaError> {
    let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{prefix:>24} [{bar:30}] {human_pos}/{human_len} rows {per_sec} ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let semaphore = Arc::new(tokio::sync::Semaphore::new(
        settings.snapshot_parallelism.max(1),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for entry in todo {
        let permits = semaphore.clone();
        let store = store.clone();
        let source = source.clone();
        let chunk = settings.snapshot_chunk_rows;
        let bar = bars.add(ProgressBar::new(entry.rows_estimate));
        bar.set_style(style.clone());
        bar.set_prefix(entry.qualified_name());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let name = entry.qualified_name();
            let r = copy::initial_copy(&source, &store, entry, chunk, &bar).await;
            bar.finish();
            (name, r)
        });
    }
    let mut total = 0u64;
    while let Some(joined) = tasks.join_next().await {
        let (name, result) =
            joined.map_err(|e| ReplicaError::Config(format!("copy task failed: {e}")))?;
        let entry = result?;
        total += entry.rows_copied;
        info!(table = %name, rows = entry.rows_copied, "copied");
    }
    Ok(total)
}

/// A commit group also ends (at a transaction boundary) once its batch holds this many
/// bytes: the batch and the applier's overlay of it are in memory until the write, so
/// grouping by count alone lets a backlog of large transactions (e.g. 10,000-row
/// `INSERT … SELECT`s) build batches of hundreds of MB.
const GROUP_COMMIT_MAX_BYTES: usize = 32 << 20;

/// What the apply loop waits for.
enum Event {
    Transaction(Transaction),
    StreamEnded,
    StreamFailed(SourceError),
}

async fn stream_and_apply(
    store: Arc<Store>,
    source: SourceOptions,
    selection: Selection,
    settings: &RunSettings,
    mode: RunMode,
    status: RuntimeStatus,
    visible: tokio::sync::watch::Sender<Option<StoredPosition>>,
) -> Result<(), ReplicaError> {
    let mut applier = Applier::new(store.clone(), selection.clone())?;
    applier.keep_changelog(!settings.changelog_retention.is_zero());
    let start: StoredPosition = store
        .get_meta("position")?
        .ok_or_else(|| StoreError::Corrupt("no stored position after the copy".into()))?;
    let start_position = start.to_position()?;
    let stream_filter = selection.stream_filter();
    let mut stream = BinlogStream::open(StreamOptions {
        source: source.clone(),
        start: StartPosition::FilePos(FilePos {
            file: start.file.clone(),
            pos: start.pos,
        }),
        filter: stream_filter,
        stop_at_end: mode.stop_at_end,
        reconnect: true,
        max_backoff: Duration::from_secs(30),
        known_gtid: start_position.gtid.clone(),
    })
    .await
    .map_err(with_gap_hint)?;
    status.set_state("streaming");

    // Few slots: a slot holds a whole transaction, possibly a large one (measured: 256
    // slots cost ~250 MB more peak memory than 16 on bulk inserts, for no speed).
    let (tx, mut rx) = mpsc::channel::<Event>(32);
    let reader_status = status.clone();
    let reader = tokio::spawn(async move {
        let mut assembler = Assembler::new();
        let mut changes = Vec::with_capacity(256);
        loop {
            changes.clear();
            match stream.next(&mut changes).await {
                Ok(more) => {
                    for c in changes.drain(..) {
                        if let Some(t) = assembler.push(c) {
                            if tx.send(Event::Transaction(t)).await.is_err() {
                                return;
                            }
                        }
                    }
                    reader_status.set_reconnects(stream.reconnects());
                    if !more {
                        let _ = tx.send(Event::StreamEnded).await;
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Event::StreamFailed(e)).await;
                    return;
                }
            }
        }
    });

    let guard = CopyGuard::default();
    // A finished copy: (table, result); a failed one is retried later for that table only.
    let (done_tx, mut done_rx) = mpsc::channel::<(u32, Result<Option<CopyResult>, String>)>(16);
    let mut retries: Vec<(Instant, u32, String)> = Vec::new();
    let mut copies_running = 0usize;
    let launch = |req: RecopyRequest, applier: &Applier, running: &mut usize| {
        let Some(entry) = applier.catalog().get(req.table_id) else {
            return;
        };
        let (schema, name) = (entry.schema.clone(), entry.name.clone());
        let (store, source, guard, done_tx) = (
            store.clone(),
            source.clone(),
            guard.clone(),
            done_tx.clone(),
        );
        let chunk = settings.snapshot_chunk_rows;
        *running += 1;
        if req.definition_only {
            info!(table = %format!("{schema}.{name}"), "reading the table's definition again");
        } else {
            info!(table = %format!("{schema}.{name}"), generation = req.generation, "copying table");
        }
        tokio::spawn(async move {
            let r = if req.definition_only {
                copy::describe_again(&source, req.table_id, req.generation, &schema, &name).await
            } else {
                copy::recopy(
                    &source,
                    &store,
                    &guard,
                    req.table_id,
                    req.generation,
                    &schema,
                    &name,
                    chunk,
                )
                .await
            }
            .map_err(|e| format!("copy of {schema}.{name}: {e}"));
            let _ = done_tx.send((req.table_id, r)).await;
        });
    };
    // Tables left mid-recopy by a previous run start over.
    for req in resume_recopies(&mut applier)? {
        launch(req, &applier, &mut copies_running);
    }

    let retention = settings.changelog_retention;
    let mut last_prune = Instant::now() - Duration::from_secs(3600);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut ended = false;
    loop {
        if ended && mode.stop_at_end && copies_running == 0 && retries.is_empty() {
            break;
        }
        tokio::select! {
            ev = rx.recv(), if !ended => {
                let Some(ev) = ev else { ended = true; continue };
                let mut next = Some(ev);
                while let Some(ev) = next.take() {
                    match ev {
                        Event::Transaction(t) => {
                            applier.apply(&t)?;
                            status.applied(&t, applier.stats());
                        }
                        Event::StreamEnded => ended = true,
                        Event::StreamFailed(e) => {
                            status.set_error(&e.to_string());
                            applier.flush()?;
                            reader.abort();
                            return Err(e.into());
                        }
                    }
                    if applier.group_len() < settings.group_commit_max
                        && applier.group_bytes() < GROUP_COMMIT_MAX_BYTES
                    {
                        next = rx.try_recv().ok();
                    }
                }
                applier.flush()?;
                visible.send_replace(applier.position().cloned());
                for req in applier.take_requests() {
                    launch(req, &applier, &mut copies_running);
                }
            }
            done = done_rx.recv() => {
                copies_running = copies_running.saturating_sub(1);
                match done {
                    Some((_, Ok(Some(result)))) => { applier.finish_recopy(result)?; }
                    Some((_, Ok(None))) | None => {}
                    Some((table_id, Err(e))) => {
                        // The source hiccupped: copy that table again a little later (a
                        // fresh generation), while everything else keeps applying.
                        error!("{e}; retrying in 5 s");
                        status.set_last_error(&e);
                        retries.push((Instant::now() + Duration::from_secs(5), table_id, e));
                    }
                }
                for req in applier.take_requests() {
                    launch(req, &applier, &mut copies_running);
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                let (due, later): (Vec<_>, Vec<_>) = retries.drain(..).partition(|r| r.0 <= now);
                retries = later;
                for (_, table_id, reason) in due {
                    let recopying = applier.catalog().get(table_id).is_some_and(|e| {
                        matches!(e.state, TableState::Recopying { .. })
                    });
                    if recopying {
                        applier.restart_recopy(table_id, format!("retry after: {reason}"))?;
                    }
                }
                applier.flush()?;
                for req in applier.take_requests() {
                    launch(req, &applier, &mut copies_running);
                }
                status.set_caught_up(rx.is_empty());
                status.write(applier.position(), applier.last_commit_ts(), applier.stats());
                // Retention 0 keeps none: nothing is logged, and records an earlier run
                // logged go at the first pruning.
                if last_prune.elapsed() > Duration::from_secs(60) {
                    last_prune = Instant::now();
                    let cutoff = (runtime::now_ms() / 1000).saturating_sub(retention.as_secs()) as u32;
                    match changelog::prune(&store, cutoff) {
                        Ok(0) => {}
                        Ok(n) => info!(transactions = n, "change log: removed records past retention"),
                        Err(e) => warn!("change log pruning failed: {e}"),
                    }
                }
            }
        }
    }
    applier.flush()?;
    status.set_caught_up(true);
    status.set_state("stopped");
    status.write(
        applier.position(),
        applier.last_commit_ts(),
        applier.stats(),
    );
    reader.abort();
    Ok(())
}

/// Requests a fresh copy of every table a previous run left `Recopying` (and of tables
/// whose last copy failed).
fn resume_recopies(applier: &mut Applier) -> Result<Vec<RecopyRequest>, ReplicaError> {
    let ids: Vec<(u32, String)> = applier
        .catalog()
        .tables()
        .filter_map(|t| match &t.state {
            TableState::Recopying { reason, .. } => Some((t.id, reason.clone())),
            _ => None,
        })
        .collect();
    for (id, reason) in ids {
        applier.restart_recopy(id, reason)?;
    }
    applier.flush()?;
    Ok(applier.take_requests())
}
