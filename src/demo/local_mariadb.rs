//! A throwaway MariaDB server in a temporary directory, for `replicant demo`.
//!
//! `mariadb-install-db` initializes a data directory, `mariadbd` runs on a free loopback
//! port with the binlog settings replicant needs, and dropping the value kills the server
//! and removes the directory. Nothing touches a server installed on the machine.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder};

/// Why the local server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LocalMariaDbError {
    /// A program is missing; says how to install it.
    #[error("{program} not found: install it with `apt-get install -y mariadb-server mariadb-client` (or run ./scripts/demo.sh, which does)")]
    Missing {
        /// The missing program.
        program: String,
    },
    /// Creating files or starting a process failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server did not come up; carries the end of its error log.
    #[error("mariadbd did not start: {0}")]
    Start(String),
    /// A setup statement failed.
    #[error("setting up the demo server: {0}")]
    Sql(#[from] mysql_async::Error),
}

/// A running private MariaDB server.
pub struct LocalMariaDb {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

/// Finds a MariaDB program on PATH or in the Debian locations.
fn find(program: &str) -> Result<PathBuf, LocalMariaDbError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .ok_or_else(|| LocalMariaDbError::Missing {
            program: program.to_string(),
        })
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> LocalMariaDbError {
    let what = what.into();
    move |source| LocalMariaDbError::Io { what, source }
}

/// A free TCP port on 127.0.0.1 (the OS picks one; it is released right away).
fn free_port() -> Result<u16, LocalMariaDbError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port"))?;
    Ok(l.local_addr().map_err(io("finding a free port"))?.port())
}

impl LocalMariaDb {
    /// Initializes and starts a server with `log_bin`, `binlog_format=ROW` and
    /// `binlog_row_metadata=FULL`; `root` can log in over the socket without a password.
    pub async fn start() -> Result<Self, LocalMariaDbError> {
        let install = find("mariadb-install-db")?;
        let server = find("mariadbd")?;
        let dir = tempfile::Builder::new()
            .prefix("replicant-demo-")
            .tempdir()
            .map_err(io("creating a temporary directory"))?;
        let data = dir.path().join("data");
        let out = Command::new(&install)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg("--auth-root-authentication-method=normal")
            .arg("--skip-test-db")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(io("running mariadb-install-db"))?;
        if !out.status.success() {
            return Err(LocalMariaDbError::Start(format!(
                "mariadb-install-db failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let port = free_port()?;
        let log = dir.path().join("error.log");
        let child = Command::new(&server)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!(
                "--socket={}",
                dir.path().join("mysqld.sock").display()
            ))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg("--user=root")
            .arg(format!("--log-error={}", log.display()))
            .arg(format!(
                "--pid-file={}",
                dir.path().join("mysqld.pid").display()
            ))
            .args([
                "--log-bin=mariadb-bin",
                "--binlog-format=ROW",
                "--binlog-row-metadata=FULL",
                "--binlog-row-image=FULL",
                "--server-id=1",
                "--skip-name-resolve",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
                "--innodb-buffer-pool-size=64M",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(io("starting mariadbd"))?;
        let mut db = LocalMariaDb { child, dir, port };
        db.wait_ready(&log).await?;
        Ok(db)
    }

    async fn wait_ready(&mut self, log: &Path) -> Result<(), LocalMariaDbError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut c) = self.root().await {
                let _ = c.query_drop("DO 1").await;
                let _ = c.disconnect().await;
                return Ok(());
            }
            let exited = self.child.try_wait().ok().flatten().is_some();
            if exited || Instant::now() > deadline {
                let tail = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(15).collect();
                return Err(LocalMariaDbError::Start(
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection as `root` over the server's Unix socket.
    pub async fn root(&self) -> Result<Conn, LocalMariaDbError> {
        let opts = OptsBuilder::default()
            .socket(Some(
                self.dir.path().join("mysqld.sock").display().to_string(),
            ))
            .user(Some("root"))
            .prefer_socket(true);
        Ok(Conn::new(opts).await?)
    }
}

impl Drop for LocalMariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
