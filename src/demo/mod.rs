//! `replicant demo`: the main job on its embedded default. A throwaway MariaDB source with
//! the seeds' sample data (`shop.Orders`) is started, a writer keeps changing it, and its
//! change stream is tailed live — while the user can connect and make changes of their own.

mod local_mariadb;

use std::io::Write;
use std::time::Duration;

use clap::Args;
use mysql_async::prelude::Queryable;

pub use local_mariadb::{LocalMariaDb, LocalMariaDbError};

use crate::source::connect::SourceOptions;
use crate::source::filter::TableFilter;
use crate::source::position::StartPosition;
use crate::source::stream::{current_position, BinlogStream, StreamOptions};
use crate::tail::format::{write_change, Format, Style};

/// Command-line arguments of `replicant demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Output format of the change stream.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Seconds between the demo writer's changes (0: no writer, only your own changes).
    #[arg(long, default_value_t = 2.0)]
    pub write_every: f64,
}

const SETUP: &[&str] = &[
    "CREATE DATABASE shop",
    // The seeds' table: no primary key, ids may repeat.
    "CREATE TABLE shop.Orders (id INT, status VARCHAR(20), LastUpdated DATETIME)",
    "CREATE USER 'demo'@'127.0.0.1' IDENTIFIED BY 'demo'",
    "GRANT ALL ON shop.* TO 'demo'@'127.0.0.1'",
    "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'demo'@'127.0.0.1'",
];

const SAMPLE: &str = "INSERT INTO shop.Orders VALUES \
    (1, 'Backordered', '2020-06-01 12:00:00'), (2, 'Shipped', '2020-06-01 12:05:00'), \
    (3, 'Pending', '2020-06-01 12:10:00'), (3, 'Pending', '2020-06-01 12:10:00')";

/// Runs the demo on standard output until `--seconds` pass or Ctrl-C.
pub async fn run(args: DemoArgs) -> Result<(), String> {
    run_to(args, &mut std::io::stdout()).await
}

/// Runs the demo, writing the change stream to `out`.
pub async fn run_to(args: DemoArgs, out: &mut impl Write) -> Result<(), String> {
    eprintln!("replicant demo: starting a throwaway MariaDB source…");
    let db = LocalMariaDb::start().await.map_err(|e| e.to_string())?;
    let mut conn = db.root().await.map_err(|e| e.to_string())?;
    for s in SETUP {
        conn.query_drop(*s).await.map_err(|e| format!("{s}: {e}"))?;
    }
    let info = crate::source::connect::server_info(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let start = current_position(&mut conn, &info)
        .await
        .map_err(|e| e.to_string())?;
    conn.query_drop(SAMPLE).await.map_err(|e| e.to_string())?;
    let port = db.port();
    let url = format!("mysql://demo:demo@127.0.0.1:{port}");
    eprintln!(
        "\nA MariaDB source runs on 127.0.0.1:{port} with sample data in shop.Orders.\n\
         replicant tails its binlog below. Make changes of your own with:\n\n  \
         mariadb -h 127.0.0.1 -P {port} -u demo -pdemo shop -e \"UPDATE Orders SET status='Shipped' WHERE id=1\"\n\n\
         or tail it yourself:\n\n  replicant tail --source {url} --from earliest --format csv\n\n\
         Ctrl-C stops the demo and removes the source and its data.\n"
    );

    let mut source = SourceOptions::from_url(&url).map_err(|e| e.to_string())?;
    source.heartbeat = Duration::from_secs(2);
    source.read_timeout = Duration::from_secs(11);
    let mut stream = BinlogStream::open(StreamOptions {
        source,
        start: StartPosition::FilePos(start),
        filter: TableFilter::parse("shop.*")?,
        stop_at_end: false,
        reconnect: true,
        max_backoff: Duration::from_secs(5),
        known_gtid: None,
    })
    .await
    .map_err(|e| e.to_string())?;

    let writer = (args.write_every > 0.0).then(|| {
        let every = Duration::from_secs_f64(args.write_every.clamp(0.05, 3600.0));
        tokio::spawn(write_changes(conn, every))
    });
    let style = Style {
        format: args.format,
        tz: jiff::tz::TimeZone::UTC,
        delimiter: b'|',
        null_marker: String::new(),
    };
    let deadline = args
        .seconds
        .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let mut changes = Vec::new();
    let result = loop {
        changes.clear();
        let next = stream.next(&mut changes);
        let stop = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = next => match r {
                Ok(_) => {
                    for c in &changes {
                        if write_change(out, &style, c).is_err() {
                            break;
                        }
                    }
                    let _ = out.flush();
                }
                Err(e) => break Err(e.to_string()),
            },
            _ = tokio::signal::ctrl_c() => break Ok(()),
            _ = stop => break Ok(()),
        }
    };
    if let Some(w) = writer {
        w.abort();
    }
    eprintln!("replicant demo: stopping the source and removing its data");
    drop(db);
    result
}

/// Keeps the sample table changing: new orders, status updates, deletions.
async fn write_changes(mut conn: mysql_async::Conn, every: Duration) {
    const STATUSES: [&str; 4] = ["Pending", "Backordered", "Shipped", "Delivered"];
    let mut n: u64 = 0;
    loop {
        tokio::time::sleep(every).await;
        n += 1;
        let id = 3 + n;
        let status = STATUSES[(n % 4) as usize];
        let sql = match n % 3 {
            0 => format!("DELETE FROM shop.Orders WHERE id = {} LIMIT 1", id - 2),
            1 => format!("INSERT INTO shop.Orders VALUES ({id}, '{status}', NOW())"),
            _ => format!(
                "UPDATE shop.Orders SET status = '{status}', LastUpdated = NOW() WHERE id = {}",
                id - 1
            ),
        };
        if conn.query_drop(sql).await.is_err() {
            return;
        }
    }
}
