//! The query server's shared state ([`Engine`]) and one client connection's state
//! ([`Session`]): current database, session variables, warnings, prepared statements.
//!
//! The wire layer owns the protocol; it calls only the methods here.

use std::sync::Arc;

use mysql_common::value::Value as MyValue;
use tokio::sync::watch;

use super::process::{Process, ProcessList};
use super::result::{ColumnDef, Outcome, SqlError};
use crate::replica::runtime::RuntimeStatus;
use crate::store::catalog::StoredPosition;
use crate::store::Store;

/// Fixed facts about the server the engine presents itself as.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// `VERSION()` and the handshake's server version, e.g. `10.11.6-MariaDB-replicant`:
    /// the source's version with a suffix, so clients pick the right dialect.
    pub version: String,
    /// True when the source is MariaDB (decides error texts and status column names).
    pub mariadb: bool,
    /// `@@server_id` of replicant itself (the id it registers with).
    pub server_id: u32,
    /// Source host, port and user as `SHOW REPLICA STATUS` shows them (never a password).
    pub source_host: String,
    /// Source port.
    pub source_port: u16,
    /// Replication user on the source.
    pub source_user: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            version: "10.11.0-MariaDB-replicant".into(),
            mariadb: true,
            server_id: 0,
            source_host: String::new(),
            source_port: 3306,
            source_user: String::new(),
        }
    }
}

/// The live replication state the query side reads: for `SHOW REPLICA STATUS` and for
/// waiting until a source position is visible (`MASTER_GTID_WAIT`, `MASTER_POS_WAIT`).
#[derive(Clone)]
pub struct ReplicaView {
    /// The position of the last transaction readers can see; changes after every batch.
    pub visible: watch::Receiver<Option<StoredPosition>>,
    /// Running state, last error, lag (the same values `replicant status` prints).
    pub status: RuntimeStatus,
}

/// What every connection shares: the store, the replica's state and the process list.
pub struct Engine {
    /// The materialized copy.
    pub store: Arc<Store>,
    /// Server identity.
    pub config: EngineConfig,
    /// Live replication state, `None` when serving a stopped copy.
    pub replica: Option<ReplicaView>,
    /// Open connections.
    pub processes: Arc<ProcessList>,
    started: std::time::Instant,
    queries: std::sync::atomic::AtomicU64,
}

impl Engine {
    /// An engine over `store`.
    pub fn new(
        store: Arc<Store>,
        config: EngineConfig,
        replica: Option<ReplicaView>,
    ) -> Arc<Engine> {
        Arc::new(Engine {
            store,
            config,
            replica,
            processes: Arc::new(ProcessList::default()),
            started: std::time::Instant::now(),
            queries: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// A new session for an authenticated connection.
    pub fn session(self: &Arc<Self>, process: Arc<Process>, user: &str) -> Session {
        Session {
            engine: self.clone(),
            process,
            user: user.to_string(),
            database: None,
            vars: SessionVars::default(),
            warnings: Vec::new(),
        }
    }

    /// Seconds since the server started (`Uptime`).
    pub fn uptime_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// Statements executed since start (`Questions`).
    pub fn queries(&self) -> u64 {
        self.queries.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The COM_STATISTICS answer, in the server's format.
    pub fn statistics(&self) -> String {
        format!(
            "Uptime: {}  Threads: {}  Questions: {}  Slow queries: 0  Opens: 0  Open tables: 0  Queries per second avg: {:.3}",
            self.uptime_seconds(),
            self.processes.len(),
            self.queries(),
            self.queries() as f64 / self.uptime_seconds().max(1) as f64
        )
    }

    pub(crate) fn count_query(&self) {
        self.queries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Session variables that change answers.
#[derive(Debug, Clone)]
pub struct SessionVars {
    /// `time_zone`: `SYSTEM`, `+hh:mm` or a zone name; TIMESTAMP values show in it.
    pub time_zone: String,
    /// `sql_select_limit`: most rows a SELECT returns (`u64::MAX` for DEFAULT).
    pub sql_select_limit: u64,
    /// `max_execution_time` in milliseconds (0: none); MariaDB's `max_statement_time` in
    /// seconds is stored here too.
    pub max_execution_time_ms: u64,
    /// `autocommit`.
    pub autocommit: bool,
    /// Collation id of results (`character_set_results` / the handshake's collation).
    pub result_collation: u16,
    /// Every other variable the client set, kept so `SELECT @@x` returns it.
    pub other: std::collections::BTreeMap<String, String>,
    /// User variables (`SET @x = …`), by lower-case name.
    pub user_vars: std::collections::BTreeMap<String, MyValue>,
}

impl Default for SessionVars {
    fn default() -> Self {
        SessionVars {
            time_zone: "SYSTEM".into(),
            sql_select_limit: u64::MAX,
            max_execution_time_ms: 0,
            autocommit: true,
            result_collation: super::result::UTF8MB4_GENERAL_CI,
            other: Default::default(),
            user_vars: Default::default(),
        }
    }
}

/// A warning for `SHOW WARNINGS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// `Note`, `Warning` or `Error`.
    pub level: &'static str,
    /// MySQL code.
    pub code: u16,
    /// Message.
    pub message: String,
}

/// A statement prepared with COM_STMT_PREPARE.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The statement text with `?` placeholders.
    pub sql: String,
    /// Number of `?` placeholders.
    pub params: u16,
    /// The result columns when known at prepare time (may be empty: the execute response
    /// carries its own column definitions).
    pub columns: Vec<ColumnDef>,
}

/// One client connection's state.
pub struct Session {
    /// Shared state.
    pub engine: Arc<Engine>,
    /// This connection in the process list.
    pub process: Arc<Process>,
    /// Authenticated user name.
    pub user: String,
    /// Current database (`USE`).
    pub database: Option<String>,
    /// Session variables.
    pub vars: SessionVars,
    /// Warnings of the last statement.
    pub warnings: Vec<Warning>,
}

impl Session {
    /// Runs one statement (COM_QUERY).
    pub async fn execute(&mut self, sql: &str) -> Result<Outcome, SqlError> {
        self.engine.count_query();
        super::statement::execute(self, sql).await
    }

    /// Prepares a statement (COM_STMT_PREPARE).
    pub async fn prepare(&mut self, sql: &str) -> Result<Prepared, SqlError> {
        super::statement::prepare(self, sql).await
    }

    /// Executes a prepared statement with its parameter values (COM_STMT_EXECUTE).
    pub async fn execute_prepared(
        &mut self,
        prepared: &Prepared,
        params: &[MyValue],
    ) -> Result<Outcome, SqlError> {
        self.engine.count_query();
        super::statement::execute_prepared(self, prepared, params).await
    }

    /// Switches the current database (COM_INIT_DB and `USE`); 1049 when it is unknown.
    pub fn use_database(&mut self, db: &str) -> Result<(), SqlError> {
        super::statement::use_database(self, db)
    }

    /// The columns of a table for COM_FIELD_LIST (`wildcard` filters names like LIKE).
    pub fn field_list(&self, table: &str, wildcard: &str) -> Result<Vec<ColumnDef>, SqlError> {
        super::statement::field_list(self, table, wildcard)
    }

    /// Back to a fresh session for the same user and database (COM_RESET_CONNECTION).
    pub fn reset(&mut self) {
        self.vars = SessionVars::default();
        self.warnings.clear();
    }
}
