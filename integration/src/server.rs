//! A replica serving its copy over the MySQL protocol, in the test process: the source
//! is a private MariaDB, the query server listens on a free loopback port.

use std::path::Path;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use replicant::config::run::RunSettings;
use replicant::replica::runtime;
use replicant::replica::serve::run_serving;
use replicant::replica::RunMode;
use replicant::store::catalog::StoredPosition;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::MariaDb;

/// A running `replicant run` (replica + query server) over a temporary data directory.
pub struct Served {
    /// `host:port` of the query server.
    pub addr: String,
    /// The data directory (removed on drop).
    pub data: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), String>>>,
}

/// Settings for a served replica of `db` into `dir`: `tables`, fast heartbeats, the
/// query server on a free port.
pub fn served_settings(db: &MariaDb, dir: &Path, tables: &str) -> RunSettings {
    let mut s = crate::replica::settings(db, dir, tables);
    s.listen = "127.0.0.1:0".into();
    s.server.listen = "127.0.0.1:0".into();
    s
}

impl Served {
    /// Starts a replica of `tables` on `db` and waits until every table is copied and
    /// served.
    pub async fn start(db: &MariaDb, tables: &str) -> Served {
        let data = tempfile::tempdir().expect("tempdir");
        let settings = served_settings(db, data.path(), tables);
        Served::start_with(settings, data).await
    }

    /// Starts a replica with explicit settings (their data dir must be `data`).
    pub async fn start_with(settings: RunSettings, data: tempfile::TempDir) -> Served {
        let (stop, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            run_serving(&settings, RunMode::default(), async {
                let _ = stop_rx.await;
            })
            .await
        });
        let mut served = Served {
            addr: String::new(),
            data,
            stop: Some(stop),
            task: Some(task),
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
        loop {
            if let Some(snap) = runtime::read(served.data.path()) {
                assert_ne!(
                    snap.state, "failed",
                    "replica failed: {:?}",
                    snap.last_error
                );
                if snap.state == "streaming" {
                    if let Some(addr) = snap.listen {
                        served.addr = addr;
                        return served;
                    }
                }
            }
            if served.task.as_ref().is_some_and(|t| t.is_finished()) {
                if let Some(t) = served.task.take() {
                    panic!("replica stopped before serving: {:?}", t.await);
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the replica did not serve within 180 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `mysql://root@host:port[/db]` of the query server.
    pub fn url(&self, db: Option<&str>) -> String {
        match db {
            Some(d) => format!("mysql://root@{}/{d}", self.addr),
            None => format!("mysql://root@{}", self.addr),
        }
    }

    /// The query server's port.
    pub fn port(&self) -> u16 {
        self.addr
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .expect("port of the query server")
    }

    /// A new client connection to the query server.
    pub async fn conn(&self, db: Option<&str>) -> Conn {
        Conn::from_url(self.url(db).as_str())
            .await
            .unwrap_or_else(|e| panic!("connect to the replica at {}: {e}", self.addr))
    }

    /// Waits until the replica has applied everything the source has written so far.
    pub async fn catch_up(&self, db: &MariaDb) {
        let (file, pos) = db.current_position().await;
        let target = StoredPosition {
            file,
            pos,
            gtid: None,
            gtid_flavor: None,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let reached = runtime::read(self.data.path())
                .and_then(|s| s.position)
                .is_some_and(|p| p.binlog_cmp(&target) != std::cmp::Ordering::Less);
            if reached {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the replica did not reach {}:{} within 120 s",
                target.file,
                target.pos
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the replica and the server; returns how the run ended.
    pub async fn stop(mut self) -> Result<(), String> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match self.task.take() {
            Some(t) => t.await.map_err(|e| e.to_string())?,
            None => Ok(()),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Runs `sql` on a connection and returns the rows as text (NULL as `None`), in order.
pub async fn text_rows(conn: &mut Conn, sql: &str) -> Vec<Vec<Option<String>>> {
    let rows: Vec<mysql_async::Row> = conn
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter()
        .map(|r| {
            (0..r.len())
                .map(|i| match r.as_ref(i) {
                    Some(mysql_async::Value::NULL) | None => None,
                    Some(mysql_async::Value::Bytes(b)) => {
                        Some(String::from_utf8_lossy(b).into_owned())
                    }
                    Some(v) => Some(v.as_sql(true).trim_matches('\'').to_string()),
                })
                .collect()
        })
        .collect()
}

/// Runs `sql` and returns the error code it fails with (panics if it succeeds).
pub async fn error_code(conn: &mut Conn, sql: &str) -> u16 {
    match conn.query_drop(sql).await {
        Ok(()) => panic!("{sql}: succeeded, an error was expected"),
        Err(mysql_async::Error::Server(e)) => e.code,
        Err(e) => panic!("{sql}: {e}"),
    }
}
