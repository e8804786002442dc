//! A private `mariadbd` per test: its own data directory, socket and loopback port.
//!
//! [`MariaDb::start`] copies a freshly installed data directory (made once by
//! `mariadb-install-db` and cached in the system temp dir) into a new temporary directory,
//! starts `mariadbd` with binary logging in ROW format and FULL row metadata, waits until
//! it accepts connections, gives `root` a password, removes anonymous accounts and creates
//! the replication user `repl`. Dropping the value kills the server and deletes the
//! directory (set `REPLICANT_KEEP_TEST_DB=1` to keep it for a post-mortem).
//!
//! A start takes 0.2–0.5 s on the project machine once the template exists (the first
//! install takes 0.5 s idle, 3–5 s while other builds load the disk), so each test can
//! afford its own server; several may run in parallel in one test binary. Each server has
//! a private `tmpdir`, because mariadbd deletes every `#sql*` file of its tmpdir at start,
//! other servers' temporary tables included.
//!
//! If the test process is killed (not unwound), its servers keep running: find them with
//! `pgrep -af replicant-mariadb-`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Row, Value};

/// The apt command that installs what the harness needs, quoted when a binary is missing.
pub const INSTALL_HINT: &str = "apt-get install -y mariadb-server mariadb-client";

/// Settings for a test server. Every server setting is an `Option` so a test can change
/// it or drop it (`None` leaves the server's compiled default); [`extra_args`] appends any
/// other `mariadbd` option.
///
/// [`extra_args`]: MariaDbOptions::extra_args
#[derive(Debug, Clone)]
pub struct MariaDbOptions {
    /// `--log-bin=<basename>`; `None` turns binary logging off. Default `mariadb-bin`.
    pub log_bin: Option<String>,
    /// `--binlog-format`. Default `ROW`.
    pub binlog_format: Option<String>,
    /// `--binlog-row-metadata` (NO_LOG, MINIMAL, FULL). Default `FULL`.
    pub binlog_row_metadata: Option<String>,
    /// `--binlog-row-image` (FULL, MINIMAL, NOBLOB). Default `FULL`.
    pub binlog_row_image: Option<String>,
    /// `--log-bin-compress=ON|OFF`. Default `None` (the server's default, OFF).
    pub log_bin_compress: Option<bool>,
    /// `--server-id`. Default 1.
    pub server_id: Option<u32>,
    /// `--innodb-buffer-pool-size`. Default `64M`.
    pub innodb_buffer_pool_size: Option<String>,
    /// `--innodb-log-file-size` (also used by `mariadb-install-db`). Default `16M`.
    pub innodb_log_file_size: Option<String>,
    /// `--character-set-server`. Default `utf8mb4`, as Debian's packaged config sets it
    /// (the compiled default is latin1).
    pub character_set_server: Option<String>,
    /// `--collation-server`. Default `utf8mb4_general_ci`, as Debian's packaged config.
    pub collation_server: Option<String>,
    /// Options for a fast, small test server, applied before [`extra_args`]; clear or edit
    /// the list to drop any of them. Default: `--skip-name-resolve`,
    /// `--skip-grant-tables=OFF`, `--innodb-flush-log-at-trx-commit=2` and
    /// `--innodb-doublewrite=0` (both safe against SIGKILL of the server, only an OS crash
    /// could lose data), no buffer-pool dump/load, `--max-connections=200`.
    ///
    /// [`extra_args`]: MariaDbOptions::extra_args
    pub tuning: Vec<String>,
    /// More `mariadbd` options, appended last (so they override earlier ones), e.g.
    /// `--gtid-domain-id=3` or `--binlog-checksum=NONE`.
    pub extra_args: Vec<String>,
    /// Password given to every `root` account.
    pub root_password: String,
    /// Name of the replication user created at start (`'<name>'@'%'` and
    /// `'<name>'@'127.0.0.1'`).
    pub repl_user: String,
    /// Password of the replication user.
    pub repl_password: String,
    /// How long to wait for the server to accept connections (each start or restart).
    pub startup_timeout: Duration,
}

impl Default for MariaDbOptions {
    fn default() -> Self {
        MariaDbOptions {
            log_bin: Some("mariadb-bin".into()),
            binlog_format: Some("ROW".into()),
            binlog_row_metadata: Some("FULL".into()),
            binlog_row_image: Some("FULL".into()),
            log_bin_compress: None,
            server_id: Some(1),
            innodb_buffer_pool_size: Some("64M".into()),
            innodb_log_file_size: Some("16M".into()),
            character_set_server: Some("utf8mb4".into()),
            collation_server: Some("utf8mb4_general_ci".into()),
            tuning: [
                "--skip-name-resolve",
                "--skip-grant-tables=OFF",
                "--innodb-flush-log-at-trx-commit=2",
                "--innodb-doublewrite=0",
                "--innodb-buffer-pool-load-at-startup=OFF",
                "--innodb-buffer-pool-dump-at-shutdown=OFF",
                "--max-connections=200",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            extra_args: Vec::new(),
            root_password: "rootpw".into(),
            repl_user: "repl".into(),
            repl_password: "replpw".into(),
            startup_timeout: Duration::from_secs(60),
        }
    }
}

impl MariaDbOptions {
    /// Turns binary logging off (no `--log-bin`).
    pub fn without_binlog(mut self) -> Self {
        self.log_bin = None;
        self
    }

    /// Sets `binlog_format` (ROW, STATEMENT, MIXED).
    pub fn binlog_format(mut self, format: &str) -> Self {
        self.binlog_format = Some(format.into());
        self
    }

    /// Sets `binlog_row_image` (FULL, MINIMAL, NOBLOB).
    pub fn binlog_row_image(mut self, image: &str) -> Self {
        self.binlog_row_image = Some(image.into());
        self
    }

    /// Sets `binlog_row_metadata` (NO_LOG, MINIMAL, FULL).
    pub fn binlog_row_metadata(mut self, metadata: &str) -> Self {
        self.binlog_row_metadata = Some(metadata.into());
        self
    }

    /// Sets `log_bin_compress`.
    pub fn log_bin_compress(mut self, on: bool) -> Self {
        self.log_bin_compress = Some(on);
        self
    }

    /// Appends one more `mariadbd` option, e.g. `--gtid-domain-id=2`.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra_args.push(arg.into());
        self
    }

    /// The `mariadbd` options these settings stand for (without the per-server paths and
    /// port that [`MariaDb`] adds).
    pub fn server_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut push = |name: &str, value: &Option<String>| {
            if let Some(v) = value {
                args.push(format!("--{name}={v}"));
            }
        };
        push("log-bin", &self.log_bin);
        push("binlog-format", &self.binlog_format);
        push("binlog-row-metadata", &self.binlog_row_metadata);
        push("binlog-row-image", &self.binlog_row_image);
        push(
            "log-bin-compress",
            &self
                .log_bin_compress
                .map(|on| if on { "ON" } else { "OFF" }.to_string()),
        );
        push("server-id", &self.server_id.map(|id| id.to_string()));
        push("innodb-buffer-pool-size", &self.innodb_buffer_pool_size);
        push("innodb-log-file-size", &self.innodb_log_file_size);
        push("character-set-server", &self.character_set_server);
        push("collation-server", &self.collation_server);
        args.extend(self.tuning.iter().cloned());
        args.extend(self.extra_args.iter().cloned());
        args
    }
}

/// A running private MariaDB server. See the module docs.
pub struct MariaDb {
    opts: MariaDbOptions,
    /// `None` only while being dropped with `REPLICANT_KEEP_TEST_DB` set.
    dir: Option<tempfile::TempDir>,
    dir_path: PathBuf,
    port: u16,
    mariadbd: PathBuf,
    child: Option<Child>,
    /// False until the first start has set the root password.
    secured: bool,
}

impl std::fmt::Debug for MariaDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MariaDb")
            .field("port", &self.port)
            .field("dir", &self.dir_path)
            .field("pid", &self.pid())
            .finish()
    }
}

/// Ports this process has handed out, so parallel tests never pick the same one.
static USED_PORTS: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// A loopback port that is free now and was not handed out before in this process.
fn free_port() -> u16 {
    for _ in 0..100 {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
        let mut used = USED_PORTS.lock().unwrap_or_else(|p| p.into_inner());
        if used.insert(port) {
            return port;
        }
    }
    panic!("no free loopback port found in 100 tries")
}

/// Finds a program on PATH or in /usr/sbin, /usr/bin, /usr/local/{sbin,bin}; panics with
/// the apt command when it is missing (tests must not pass silently without a server).
pub fn find_binary(name: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for d in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        dirs.push(PathBuf::from(d));
    }
    dirs.iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` was not found on PATH or in /usr/sbin, /usr/bin: the integration tests \
                 need a local MariaDB installation. Install it with: {INSTALL_HINT}"
            )
        })
}

/// `mysql_async` options for a TCP connection to 127.0.0.1 (never the Unix socket, so
/// that the account matched is `user@127.0.0.1` / `user@%` as for a remote replica).
fn tcp_opts(port: u16, user: &str, password: Option<&str>) -> Opts {
    OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(port)
        .user(Some(user))
        .pass(password)
        .prefer_socket(false)
        .into()
}

/// A text-protocol cell the way the server printed it; `None` for NULL.
fn cell(value: &Value) -> Option<String> {
    match value {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        other => Some(other.as_sql(true)),
    }
}

/// Quotes a string as an SQL literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

impl MariaDb {
    /// Starts a server with the default options: binlog on, ROW format, FULL image and
    /// FULL metadata, `server_id` 1.
    pub async fn start() -> MariaDb {
        Self::start_with(MariaDbOptions::default()).await
    }

    /// Starts a server with the given options. Panics (with the tail of the server's
    /// error log) if it does not come up within `opts.startup_timeout`.
    pub async fn start_with(opts: MariaDbOptions) -> MariaDb {
        let mariadbd = find_binary("mariadbd");
        let install = find_binary("mariadb-install-db");
        let dir = tempfile::Builder::new()
            .prefix("replicant-mariadb-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let dir_path = dir.path().to_path_buf();
        let template = datadir_template(&mariadbd, &install, &opts).await;
        copy_dir(&template, &dir_path.join("data"))
            .unwrap_or_else(|e| panic!("cannot copy the data directory template: {e}"));

        let mut db = MariaDb {
            opts,
            dir: Some(dir),
            dir_path,
            port: 0,
            mariadbd,
            child: None,
            secured: false,
        };
        // Another process may grab the port between our probe and mariadbd's bind.
        let mut attempt = 0;
        loop {
            attempt += 1;
            db.port = free_port();
            match db.launch().await {
                Ok(()) => break,
                Err(e) if attempt < 4 && e.contains("already in use") => continue,
                Err(e) => panic!("{e}"),
            }
        }
        db.secure().await;
        db
    }

    /// The loopback TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's data directory.
    pub fn datadir(&self) -> PathBuf {
        self.dir_path.join("data")
    }

    /// The server's Unix socket.
    pub fn socket(&self) -> PathBuf {
        self.dir_path.join("mariadb.sock")
    }

    /// The path of a binary log file by name (as `SHOW BINARY LOGS` prints it).
    pub fn binlog_file(&self, name: &str) -> PathBuf {
        self.datadir().join(name)
    }

    /// The server's error log file.
    pub fn error_log(&self) -> PathBuf {
        self.dir_path.join("error.log")
    }

    /// The options the server was started with.
    pub fn options(&self) -> &MariaDbOptions {
        &self.opts
    }

    /// The server's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `mysql://root:<password>@127.0.0.1:<port>`.
    pub fn root_url(&self) -> String {
        self.user_url("root", &self.opts.root_password)
    }

    /// `mysql://repl:<password>@127.0.0.1:<port>`: the replication user.
    pub fn repl_url(&self) -> String {
        self.user_url(&self.opts.repl_user, &self.opts.repl_password)
    }

    /// `mysql://<user>:<password>@127.0.0.1:<port>` (name and password are used verbatim,
    /// so keep them URL-safe).
    pub fn user_url(&self, user: &str, password: &str) -> String {
        format!("mysql://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// A new connection as `root` over TCP.
    pub async fn root_conn(&self) -> Conn {
        self.conn_as("root", &self.opts.root_password).await
    }

    /// A new connection as `root` over TCP, returning the error instead of panicking.
    pub async fn try_root_conn(&self) -> Result<Conn, mysql_async::Error> {
        Conn::new(tcp_opts(self.port, "root", Some(&self.opts.root_password))).await
    }

    /// A new connection as the replication user over TCP.
    pub async fn repl_conn(&self) -> Conn {
        self.conn_as(&self.opts.repl_user, &self.opts.repl_password)
            .await
    }

    /// A new connection as any user over TCP; panics with the server error on failure.
    pub async fn conn_as(&self, user: &str, password: &str) -> Conn {
        Conn::new(tcp_opts(self.port, user, Some(password)))
            .await
            .unwrap_or_else(|e| panic!("cannot connect as {user} to 127.0.0.1:{}: {e}", self.port))
    }

    /// Runs SQL (several statements separated by `;` allowed) as root; panics on error
    /// with the statement and the server's message.
    pub async fn exec(&self, sql: &str) {
        if let Err(e) = self.try_exec(sql).await {
            panic!("SQL failed on the test server: {e}\n  statement: {sql}");
        }
    }

    /// Runs SQL as root and returns the error instead of panicking.
    pub async fn try_exec(&self, sql: &str) -> Result<(), mysql_async::Error> {
        let mut conn = self.try_root_conn().await?;
        let result = conn.query_drop(sql).await;
        let _ = conn.disconnect().await;
        result
    }

    /// Runs one query as root over the text protocol and returns its rows as the server
    /// printed them (`None` for NULL): the reference that differential tests compare the
    /// replica's answers against. Panics on error.
    pub async fn query_text(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self.try_query_text(sql).await {
            Ok(rows) => rows,
            Err(e) => panic!("query failed on the test server: {e}\n  query: {sql}"),
        }
    }

    /// [`MariaDb::query_text`] returning the error instead of panicking.
    pub async fn try_query_text(
        &self,
        sql: &str,
    ) -> Result<Vec<Vec<Option<String>>>, mysql_async::Error> {
        let mut conn = self.try_root_conn().await?;
        let result: Result<Vec<Row>, _> = conn.query(sql).await;
        let _ = conn.disconnect().await;
        Ok(result?
            .into_iter()
            .map(|row| row.unwrap().iter().map(cell).collect())
            .collect())
    }

    /// The first column of the first row of a query, as text (`None` for NULL or no row).
    pub async fn query_value(&self, sql: &str) -> Option<String> {
        self.query_text(sql)
            .await
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next().flatten())
    }

    /// The end of the binary log: `SHOW MASTER STATUS` as (file, position). Panics when
    /// binary logging is off.
    pub async fn current_position(&self) -> (String, u64) {
        let rows = self.query_text("SHOW MASTER STATUS").await;
        let row = rows
            .first()
            .unwrap_or_else(|| panic!("SHOW MASTER STATUS returned nothing: binlog is off"));
        let file = row[0].clone().unwrap_or_default();
        let pos = row[1]
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("SHOW MASTER STATUS position is {:?}", row[1]));
        (file, pos)
    }

    /// The binary log files (`SHOW BINARY LOGS`), oldest first, with their sizes.
    pub async fn binary_logs(&self) -> Vec<(String, u64)> {
        self.query_text("SHOW BINARY LOGS")
            .await
            .into_iter()
            .map(|r| {
                let name = r[0].clone().unwrap_or_default();
                let size = r[1].as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
                (name, size)
            })
            .collect()
    }

    /// `PURGE BINARY LOGS TO '<file>'`, repeated until the older files are really gone.
    ///
    /// MariaDB silently keeps (no error, no warning) binlog files that crash recovery may
    /// still need: until InnoDB has flushed the commits they hold, which with this
    /// harness's `innodb_flush_log_at_trx_commit=2` takes up to about a second. A plain
    /// PURGE right after writes therefore often removes nothing. Panics after 20 s.
    pub async fn purge_binary_logs_to(&self, file: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.exec(&format!("PURGE BINARY LOGS TO {}", quote(file)))
                .await;
            let files = self.binary_logs().await;
            if files.first().map(|f| f.0.as_str()) == Some(file) {
                return;
            }
            if Instant::now() > deadline {
                panic!("PURGE BINARY LOGS TO '{file}' left {files:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates `'<name>'@'%'` and `'<name>'@'127.0.0.1'` with the password and the global
    /// privileges given as a GRANT list (e.g. `"SELECT, BINLOG MONITOR"`; empty for none)
    /// and returns its URL. For preflight tests of missing privileges.
    pub async fn create_user(&self, name: &str, password: &str, privileges: &str) -> String {
        for host in ["%", "127.0.0.1"] {
            let account = format!("{}@{}", quote(name), quote(host));
            self.exec(&format!(
                "CREATE USER {account} IDENTIFIED BY {}",
                quote(password)
            ))
            .await;
            if !privileges.trim().is_empty() {
                self.exec(&format!("GRANT {privileges} ON *.* TO {account}"))
                    .await;
            }
        }
        self.user_url(name, password)
    }

    /// The privileges given to the replication user: REPLICATION SLAVE, BINLOG MONITOR
    /// (REPLICATION CLIENT before MariaDB 10.5), SELECT, RELOAD, SHOW DATABASES.
    pub async fn repl_privileges(&self) -> String {
        let version = self
            .query_value("SELECT VERSION()")
            .await
            .unwrap_or_default();
        let mut parts = version.split(|c: char| !c.is_ascii_digit());
        let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let monitor = if (major, minor) >= (10, 5) {
            "BINLOG MONITOR"
        } else {
            "REPLICATION CLIENT"
        };
        format!("REPLICATION SLAVE, {monitor}, SELECT, RELOAD, SHOW DATABASES")
    }

    /// Stops the server gracefully (`SHUTDOWN`, then SIGTERM, then SIGKILL after 60 s) and
    /// starts it again on the same data directory and port. After [`MariaDb::kill`] it
    /// just starts the server (crash recovery).
    pub async fn restart(&mut self) {
        self.stop().await;
        if let Err(e) = self.launch().await {
            panic!("{e}");
        }
    }

    /// Stops the server gracefully and waits for it to exit (see [`MariaDb::restart`]).
    pub async fn stop(&mut self) {
        if !self.is_running() {
            self.child = None;
            return;
        }
        let opts = tcp_opts(self.port, "root", Some(&self.opts.root_password));
        if let Ok(mut conn) = Conn::new(opts).await {
            // The server closes the connection while answering; the error is expected.
            let _ = conn.query_drop("SHUTDOWN").await;
        } else if let Some(pid) = self.pid() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.is_running() {
            if Instant::now() > deadline {
                self.kill();
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.child = None;
    }

    /// Kills the server with SIGKILL (no clean shutdown) and waits for it to die.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// True while the server process runs.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The last `lines` lines of the server's error log.
    pub fn error_log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.error_log()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Spawns `mariadbd` and waits until it accepts connections. Errors carry the tail of
    /// the error log.
    async fn launch(&mut self) -> Result<(), String> {
        let is_root = running_as_root();
        let mut cmd = Command::new(&self.mariadbd);
        // --no-defaults must come first.
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", self.datadir().display()))
            .arg(format!("--socket={}", self.socket().display()))
            .arg(format!(
                "--pid-file={}",
                self.dir_path.join("mariadb.pid").display()
            ))
            .arg(format!("--log-error={}", self.error_log().display()))
            // Private tmpdir: see the install step.
            .arg(format!("--tmpdir={}", self.dir_path.display()))
            .arg(format!("--port={}", self.port))
            .arg("--bind-address=127.0.0.1");
        if is_root {
            cmd.arg("--user=root");
        }
        cmd.args(self.opts.server_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let log_len_before = std::fs::metadata(self.error_log())
            .map(|m| m.len())
            .unwrap_or(0);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.mariadbd.display()))?;
        self.child = Some(child);

        let started = Instant::now();
        let password = self.secured.then(|| self.opts.root_password.clone());
        loop {
            if !self.is_running() {
                self.child = None;
                let log = std::fs::read_to_string(self.error_log()).unwrap_or_default();
                let new = log.get(log_len_before as usize..).unwrap_or(&log);
                let in_use = new.contains("Address already in use")
                    || new.contains("Do you already have another server running");
                return Err(format!(
                    "mariadbd exited during startup{} on port {}. Error log:\n{}",
                    if in_use { " (port already in use)" } else { "" },
                    self.port,
                    self.error_log_tail(30)
                ));
            }
            let opts = tcp_opts(self.port, "root", password.as_deref());
            if let Ok(conn) = Conn::new(opts).await {
                let _ = conn.disconnect().await;
                return Ok(());
            }
            if started.elapsed() > self.opts.startup_timeout {
                self.kill();
                return Err(format!(
                    "mariadbd did not accept connections on 127.0.0.1:{} within {:?}. Error \
                     log tail:\n{}",
                    self.port,
                    self.opts.startup_timeout,
                    self.error_log_tail(30)
                ));
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// First start only: root password, no anonymous accounts, the replication user.
    async fn secure(&mut self) {
        let mut conn = Conn::new(tcp_opts(self.port, "root", None))
            .await
            .unwrap_or_else(|e| panic!("cannot connect as root without a password: {e}"));
        let accounts: Vec<(String, String)> = conn
            .query("SELECT User, Host FROM mysql.user")
            .await
            .unwrap_or_else(|e| panic!("cannot list accounts: {e}"));
        // Anonymous accounts go, and so do root accounts on the machine's host name: with
        // --skip-name-resolve the server ignores them, so ALTER/DROP USER cannot reach
        // them; delete their rows directly.
        let mut sql = String::from(
            "DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host NOT IN \
             ('localhost', '127.0.0.1', '::1')); \
             DELETE FROM mysql.proxies_priv WHERE Host NOT IN ('localhost', '127.0.0.1', '::1'); \
             FLUSH PRIVILEGES;\n",
        );
        for (user, host) in &accounts {
            if user == "root" && ["localhost", "127.0.0.1", "::1"].contains(&host.as_str()) {
                let _ = writeln!(
                    sql,
                    "ALTER USER 'root'@{} IDENTIFIED BY {};",
                    quote(host),
                    quote(&self.opts.root_password)
                );
            }
        }
        conn.query_drop(&sql)
            .await
            .unwrap_or_else(|e| panic!("securing the test server failed: {e}\n{sql}"));
        let _ = conn.disconnect().await;
        self.secured = true;
        let privileges = self.repl_privileges().await;
        let (user, password) = (self.opts.repl_user.clone(), self.opts.repl_password.clone());
        self.create_user(&user, &password, &privileges).await;
    }
}

/// Whether this process runs as root (then mariadbd needs `--user=root`).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// FNV-1a, stable across Rust releases (std's hasher is not), for template names.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A freshly installed data directory to copy for each server, made once with
/// `mariadb-install-db` and kept in the system temp dir across runs (about 30 MB; its
/// name changes when the MariaDB binaries or the InnoDB log size change).
///
/// Why: `mariadb-install-db` takes 0.5 s on an idle machine but 3–5 s while other builds
/// keep the disk busy (it fsyncs), against a few milliseconds for a copy. Made race-free
/// between processes by installing into a private directory and renaming it into place.
async fn datadir_template(mariadbd: &Path, install: &Path, opts: &MariaDbOptions) -> PathBuf {
    let stamp = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| format!("{}:{}:{}", p.display(), m.len(), m.mtime()))
            .unwrap_or_default()
    };
    let key = fnv1a(&format!(
        "v1|{}|{}|{:?}|root={}",
        stamp(mariadbd),
        stamp(install),
        opts.innodb_log_file_size,
        running_as_root()
    ));
    let base = std::env::temp_dir();
    let final_dir = base.join(format!("replicant-mariadb-template-{key:016x}"));
    if final_dir.join(TEMPLATE_READY).is_file() {
        return final_dir.join("data");
    }

    let work = tempfile::Builder::new()
        .prefix("replicant-mariadb-template-new-")
        .tempdir_in(&base)
        .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
    let mut cmd = tokio::process::Command::new(install);
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", work.path().join("data").display()))
        .arg("--auth-root-authentication-method=normal")
        .arg("--skip-test-db")
        .arg("--skip-name-resolve")
        // A private tmpdir: at startup mariadbd deletes every `#sql*` file in its tmpdir,
        // including the temporary tables of other servers sharing /tmp, which makes
        // parallel installs fail at random.
        .arg(format!("--tmpdir={}", work.path().display()));
    if running_as_root() {
        cmd.arg("--user=root");
    }
    if let Some(size) = &opts.innodb_log_file_size {
        cmd.arg(format!("--innodb-log-file-size={size}"));
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {INSTALL_HINT}", install.display()));
    if !out.status.success() {
        panic!(
            "mariadb-install-db failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::write(work.path().join(TEMPLATE_READY), b"ok")
        .unwrap_or_else(|e| panic!("cannot write the template marker: {e}"));
    // If another process got there first the rename fails and ours is deleted on drop.
    let work_path = work.path().to_path_buf();
    if std::fs::rename(&work_path, &final_dir).is_ok() {
        let _ = work.keep();
        final_dir.join("data")
    } else if final_dir.join(TEMPLATE_READY).is_file() {
        final_dir.join("data")
    } else {
        panic!(
            "cannot move the data directory template to {}",
            final_dir.display()
        )
    }
}

/// Marker file written into a template once `mariadb-install-db` succeeded.
const TEMPLATE_READY: &str = "ready";

/// Copies a directory tree (regular files and directories only).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.kill();
        if std::env::var_os("REPLICANT_KEEP_TEST_DB").is_some() {
            if let Some(dir) = self.dir.take() {
                let path = dir.keep();
                eprintln!("kept test server directory {}", path.display());
            }
        }
    }
}
