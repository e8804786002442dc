//! The Rust half of `benches/replica.sh` (which starts the servers and the load and prints
//! the report). Figures only: nothing here asserts a time.
//!
//! - `lag`: commit-to-visible lag. Runs the replica in-process
//!   ([`replicant::replica::run_observed`]) on a data directory that is already caught up,
//!   while the script keeps the source busy (sysbench at a fixed rate). A probe connection
//!   commits a one-row transaction every `--interval-ms`, reads its GTID (`@@last_gtid`)
//!   and notes when COMMIT returned; the probe counts as visible when the replica's
//!   published position (after each committed batch) includes that GTID. With `--peer URL`
//!   the same probes are looked for on a MariaDB replica, polled every millisecond
//!   (`SELECT MAX(id)` of the probe table). Prints p50/p90/p99/max per replica.
//! - `check`: the copies against the source: for every table of `--schema` on the source,
//!   the row count and an order-independent checksum of the rows as the text protocol
//!   shows them, computed on the source, in each `--data-dir` (replicant's store, rows
//!   rendered by `source::text::render`) and on each `--peer` server.
//!
//! Run through the script, or directly:
//! `cargo bench --bench replica -- lag --source URL --data-dir DIR --tables 'sbtest.*'`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use jiff::tz::TimeZone;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts};
use replicant::config::run::{resolve, Durability, RunArgs};
use replicant::replica::{run_observed, RunMode};
use replicant::source::text::render;
use replicant::source::value::Value;
use replicant::store::catalog::StoredPosition;
use replicant::store::read::Snapshot;
use replicant::store::Store;

#[derive(Parser)]
#[command(about = "replicant replica benchmark helper (see benches/replica.sh)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Commit-to-visible lag of probe transactions.
    Lag(LagArgs),
    /// Row counts and checksums of copies against the source.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct LagArgs {
    /// The source, mysql://user:pw@host:port.
    #[arg(long)]
    source: String,
    /// replicant's data directory (caught up, or close: it streams from its position).
    #[arg(long)]
    data_dir: PathBuf,
    /// Tables replicated; must include the probe table.
    #[arg(long)]
    tables: String,
    #[arg(long, default_value = "sync")]
    durability: Durability,
    #[arg(long, default_value_t = 4301)]
    server_id: u32,
    /// The probe table (created by the script: `id BIGINT PRIMARY KEY, ts DATETIME(6)`).
    #[arg(long, default_value = "sbtest.probe")]
    probe_table: String,
    /// Probes to commit.
    #[arg(long, default_value_t = 1000)]
    probes: u64,
    /// Milliseconds between probes.
    #[arg(long, default_value_t = 10)]
    interval_ms: u64,
    /// Seconds between the replica catching up and the first probe.
    #[arg(long, default_value_t = 2)]
    warmup_s: u64,
    /// A MariaDB replica of the same source to measure beside replicant.
    #[arg(long)]
    peer: Option<String>,
}

#[derive(clap::Args)]
struct CheckArgs {
    #[arg(long)]
    source: String,
    /// The schema whose tables are compared.
    #[arg(long)]
    schema: String,
    /// Only tables whose name starts with this.
    #[arg(long, default_value = "")]
    prefix: String,
    /// replicant data directories to check (NAME=DIR).
    #[arg(long = "data-dir")]
    data_dirs: Vec<String>,
    /// MariaDB servers to check (NAME=URL).
    #[arg(long = "peer")]
    peers: Vec<String>,
}

fn main() {
    // `cargo bench` appends `--bench`; nothing here wants it.
    let args = std::env::args().filter(|a| a != "--bench");
    let cli = Cli::parse_from(args);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = rt.block_on(async {
        match cli.cmd {
            Cmd::Lag(a) => lag(a).await,
            Cmd::Check(a) => check(a).await,
        }
    });
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

type Res<T> = Result<T, String>;

async fn conn(url: &str) -> Res<Conn> {
    let opts = Opts::from_url(url).map_err(|e| format!("{url}: {e}"))?;
    Conn::new(opts).await.map_err(|e| format!("connect: {e}"))
}

// ------------------------------------------------------------------------------------
// lag
// ------------------------------------------------------------------------------------

/// Sequence number of domain 0 in a MariaDB GTID state (`0-1-42,1-2-7`).
fn domain0_seq(state: &str) -> Option<u64> {
    state.split(',').find_map(|g| {
        let mut parts = g.trim().splitn(3, '-');
        let (d, _server, seq) = (parts.next()?, parts.next()?, parts.next()?);
        (d == "0").then(|| seq.parse().ok()).flatten()
    })
}

/// When a replica showed what: (time, highest probe key visible), in time order.
type Updates = Arc<Mutex<Vec<(Instant, u64)>>>;

struct Probe {
    id: u64,
    gtid_seq: u64,
    committed: Instant,
}

async fn lag(a: LagArgs) -> Res<()> {
    let settings = resolve(&RunArgs {
        source: Some(a.source.clone()),
        tables: Some(a.tables.clone()),
        data_dir: Some(a.data_dir.clone()),
        server_id: Some(a.server_id),
        durability: Some(a.durability),
        heartbeat: Some("1".into()),
        ..Default::default()
    })?;
    let (visible_tx, mut visible_rx) = tokio::sync::watch::channel::<Option<StoredPosition>>(None);
    let replica = tokio::spawn(async move {
        run_observed(&settings, RunMode { stop_at_end: false }, visible_tx)
            .await
            .map_err(|e| e.to_string())
    });

    // Every update of the visible position, timestamped as it is seen.
    let replicant_updates: Updates = Arc::default();
    let batches = Arc::new(Mutex::new(0u64));
    {
        let updates = replicant_updates.clone();
        let batches = batches.clone();
        tokio::spawn(async move {
            while visible_rx.changed().await.is_ok() {
                let now = Instant::now();
                let seq = visible_rx
                    .borrow_and_update()
                    .as_ref()
                    .and_then(|p| p.gtid.as_deref().and_then(domain0_seq));
                if let Some(seq) = seq {
                    updates.lock().unwrap().push((now, seq));
                }
                *batches.lock().unwrap() += 1;
            }
        });
    }

    let mut src = conn(&a.source).await?;
    let table = &a.probe_table;
    let first_id: u64 = src
        .query_first(format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"))
        .await
        .map_err(|e| format!("probe table {table}: {e}"))?
        .unwrap_or(1);

    // The MariaDB replica: the highest probe id it shows, polled every millisecond.
    let peer_updates: Updates = Arc::default();
    let stop_peer = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let peer_task = match &a.peer {
        Some(url) => {
            let mut pc = conn(url).await?;
            let (updates, stop) = (peer_updates.clone(), stop_peer.clone());
            let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
            Some(tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(1));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut last = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    tick.tick().await;
                    let max: Option<u64> = pc.query_first(&sql).await.map_err(|e| e.to_string())?;
                    let now = Instant::now();
                    let max = max.unwrap_or(0);
                    if max > last {
                        last = max;
                        updates.lock().unwrap().push((now, max));
                    }
                }
                Ok::<(), String>(())
            }))
        }
        None => None,
    };

    // Catch up with what the source wrote before the replica started, then warm up.
    let source_pos: Option<String> = src
        .query_first("SELECT @@gtid_binlog_pos")
        .await
        .map_err(|e| e.to_string())?;
    let target = source_pos.as_deref().and_then(domain0_seq).unwrap_or(0);
    let started = Instant::now();
    let caught_up = |u: &Updates| u.lock().unwrap().last().is_some_and(|u| u.1 >= target);
    while !caught_up(&replicant_updates) {
        if replica.is_finished() || started.elapsed() > Duration::from_secs(300) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!(
        "lag: replica caught up with the source's start in {:.1} s; {} s warm-up",
        started.elapsed().as_secs_f64(),
        a.warmup_s
    );
    tokio::time::sleep(Duration::from_secs(a.warmup_s)).await;
    if replica.is_finished() {
        return Err(match replica.await {
            Ok(Err(e)) => format!("replica stopped: {e}"),
            _ => "replica stopped".into(),
        });
    }

    let rate_start: (Instant, Option<String>) = (
        Instant::now(),
        src.query_first("SELECT @@gtid_binlog_pos")
            .await
            .map_err(|e| e.to_string())?,
    );
    let batches_start = *batches.lock().unwrap();
    let mut probes = Vec::with_capacity(a.probes as usize);
    let mut tick = tokio::time::interval(Duration::from_millis(a.interval_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let insert = format!("INSERT INTO {table} (id, ts) VALUES (?, NOW(6))");
    for i in 0..a.probes {
        tick.tick().await;
        let id = first_id + i;
        src.exec_drop(&insert, (id,))
            .await
            .map_err(|e| format!("probe: {e}"))?;
        let committed = Instant::now();
        let gtid: Option<String> = src
            .query_first("SELECT @@last_gtid")
            .await
            .map_err(|e| e.to_string())?;
        let gtid_seq = gtid
            .as_deref()
            .and_then(domain0_seq)
            .ok_or_else(|| format!("@@last_gtid is {gtid:?}, not a domain-0 GTID"))?;
        probes.push(Probe {
            id,
            gtid_seq,
            committed,
        });
    }
    let rate_end: (Instant, Option<String>) = (
        Instant::now(),
        src.query_first("SELECT @@gtid_binlog_pos")
            .await
            .map_err(|e| e.to_string())?,
    );
    let batches_window = *batches.lock().unwrap() - batches_start;

    // Wait (at most 60 s) until the last probe is visible everywhere.
    let last = probes.last().map(|p| (p.gtid_seq, p.id));
    let deadline = Instant::now() + Duration::from_secs(60);
    if let Some((seq, id)) = last {
        while Instant::now() < deadline {
            let r = replicant_updates
                .lock()
                .unwrap()
                .last()
                .is_some_and(|u| u.1 >= seq);
            let p = a.peer.is_none()
                || peer_updates
                    .lock()
                    .unwrap()
                    .last()
                    .is_some_and(|u| u.1 >= id);
            if r && p {
                break;
            }
            if replica.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    stop_peer.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(t) = peer_task {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("peer polling failed: {e}"),
            Err(e) => eprintln!("peer polling task: {e}"),
        }
    }
    replica.abort();

    let secs = rate_end.0.duration_since(rate_start.0).as_secs_f64();
    let seq = |s: &Option<String>| s.as_deref().and_then(domain0_seq).unwrap_or(0);
    let txs = seq(&rate_end.1).saturating_sub(seq(&rate_start.1));
    println!(
        "source transactions={txs} seconds={secs:.2} tx_per_s={:.0} probes={} batches={batches_window}",
        txs as f64 / secs,
        probes.len(),
    );
    let r = lags(&probes, &replicant_updates.lock().unwrap(), |p| p.gtid_seq);
    print_lags("replicant", &r, probes.len());
    if a.peer.is_some() {
        let m = lags(&probes, &peer_updates.lock().unwrap(), |p| p.id);
        print_lags("mariadb-replica", &m, probes.len());
    }
    Ok(())
}

/// Each probe's lag in ms: from COMMIT returning to the first update showing it (0 when
/// the replica showed it before COMMIT returned to the client); probes never seen are left
/// out.
fn lags(probes: &[Probe], updates: &[(Instant, u64)], key: impl Fn(&Probe) -> u64) -> Vec<f64> {
    let mut out: Vec<f64> = probes
        .iter()
        .filter_map(|p| {
            let k = key(p);
            let i = updates.partition_point(|u| u.1 < k);
            updates.get(i).map(|u| {
                u.0.checked_duration_since(p.committed)
                    .unwrap_or_default()
                    .as_secs_f64()
                    * 1e3
            })
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

fn print_lags(name: &str, sorted: &[f64], probes: usize) {
    let pct = |q: f64| -> String {
        if sorted.is_empty() {
            return "-".into();
        }
        let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
        format!("{:.1}", sorted[i])
    };
    println!(
        "lag {name} probes={probes} visible={} p50_ms={} p90_ms={} p99_ms={} max_ms={}",
        sorted.len(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        sorted
            .last()
            .map(|m| format!("{m:.1}"))
            .unwrap_or("-".into()),
    );
}

// ------------------------------------------------------------------------------------
// check
// ------------------------------------------------------------------------------------

/// Row count and the wrapping sum of a 64-bit FNV-1a hash of each row's text values (so
/// the order rows come in does not matter).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Digest {
    rows: u64,
    sum: u64,
}

impl Digest {
    fn add<'a>(&mut self, values: impl Iterator<Item = Option<&'a [u8]>>) {
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(PRIME);
            }
        };
        for v in values {
            match v {
                None => eat(&[0xff, 0xff, 0xff, 0xff, 0xff]),
                Some(b) => {
                    eat(&(b.len() as u32).to_le_bytes());
                    eat(b);
                }
            }
        }
        self.rows += 1;
        self.sum = self.sum.wrapping_add(h);
    }
}

async fn server_digests(
    url: &str,
    schema: &str,
    tables: &[String],
) -> Res<BTreeMap<String, Digest>> {
    let mut c = conn(url).await?;
    c.query_drop("SET time_zone = '+00:00'")
        .await
        .map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for t in tables {
        let mut d = Digest::default();
        let mut result = c
            .query_iter(format!("SELECT * FROM `{schema}`.`{t}`"))
            .await
            .map_err(|e| format!("{schema}.{t}: {e}"))?;
        result
            .for_each(|row| {
                let values = row.unwrap();
                d.add(values.iter().map(|v| match v {
                    mysql_async::Value::Bytes(b) => Some(b.as_slice()),
                    _ => None,
                }));
            })
            .await
            .map_err(|e| format!("{schema}.{t}: {e}"))?;
        drop(result);
        out.insert(t.clone(), d);
    }
    let _ = c.disconnect().await;
    Ok(out)
}

fn store_digests(
    dir: &std::path::Path,
    schema: &str,
    tables: &[String],
) -> Res<BTreeMap<String, Digest>> {
    let store = Store::open_read_only(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let snap = Snapshot::new(&store).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for t in tables {
        let Some(entry) = snap.catalog.find(schema, t).filter(|e| e.is_served()) else {
            continue;
        };
        let Some(info) = entry.info.clone() else {
            continue;
        };
        let mut d = Digest::default();
        snap.for_each_row(entry, |row| {
            let texts: Vec<Option<Vec<u8>>> = row
                .iter()
                .zip(&info.columns)
                .map(|(v, c)| render(v.as_ref().unwrap_or(&Value::Null), c, &TimeZone::UTC))
                .collect();
            d.add(texts.iter().map(|v| v.as_deref()));
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        out.insert(t.clone(), d);
    }
    Ok(out)
}

fn named(spec: &str) -> Res<(&str, &str)> {
    spec.split_once('=')
        .ok_or_else(|| format!("`{spec}`: expected NAME=VALUE"))
}

async fn check(a: CheckArgs) -> Res<()> {
    let mut c = conn(&a.source).await?;
    let tables: Vec<String> = c
        .query(format!("SHOW TABLES FROM `{}`", a.schema))
        .await
        .map_err(|e| e.to_string())?;
    let tables: Vec<String> = tables
        .into_iter()
        .filter(|t| t.starts_with(&a.prefix))
        .collect();
    let _ = c.disconnect().await;
    let want = server_digests(&a.source, &a.schema, &tables).await?;
    let total = |m: &BTreeMap<String, Digest>| m.values().map(|d| d.rows).sum::<u64>();
    println!("check source tables={} rows={}", want.len(), total(&want));
    let mut copies = Vec::new();
    for spec in &a.data_dirs {
        let (name, dir) = named(spec)?;
        copies.push((
            name,
            store_digests(std::path::Path::new(dir), &a.schema, &tables)?,
        ));
    }
    for spec in &a.peers {
        let (name, url) = named(spec)?;
        copies.push((name, server_digests(url, &a.schema, &tables).await?));
    }
    for (name, got) in copies {
        let differ: Vec<String> = want
            .iter()
            .filter(|(t, d)| got.get(*t) != Some(d))
            .map(|(t, d)| {
                let g = got
                    .get(t)
                    .map(|g| g.rows.to_string())
                    .unwrap_or("missing".into());
                format!("{t}(source {} rows, copy {g})", d.rows)
            })
            .collect();
        println!(
            "check {name} rows={} same={}{}",
            total(&got),
            if differ.is_empty() { "yes" } else { "NO" },
            if differ.is_empty() {
                String::new()
            } else {
                format!(" differ={}", differ.join(","))
            },
        );
    }
    Ok(())
}
