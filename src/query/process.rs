//! The connections the server holds (`SHOW PROCESSLIST`) and how one is stopped
//! (`KILL [QUERY] id`): the wire layer registers each connection and says what it is doing;
//! statements read and signal the list.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

/// One connection's row in the process list, and its kill switches.
#[derive(Debug)]
pub struct Process {
    /// Connection id (as sent in the handshake and returned by `CONNECTION_ID()`).
    pub id: u32,
    /// `user@host` as MySQL shows it: user and the client's `host:port`.
    pub user: String,
    /// The client's `host:port`.
    pub host: String,
    state: Mutex<ProcessState>,
    /// Signalled by `KILL QUERY id`: the running statement stops with error 1317.
    pub kill_query: Notify,
    /// Signalled by `KILL id`: the connection closes after the running statement stops.
    pub kill_connection: Notify,
    killed: std::sync::atomic::AtomicBool,
}

#[derive(Debug)]
struct ProcessState {
    db: Option<String>,
    command: &'static str,
    info: Option<String>,
    since: Instant,
}

/// A row of `SHOW PROCESSLIST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRow {
    /// Connection id.
    pub id: u32,
    /// User name.
    pub user: String,
    /// Client `host:port`.
    pub host: String,
    /// Current database.
    pub db: Option<String>,
    /// `Sleep`, `Query`, `Execute`, …
    pub command: &'static str,
    /// Seconds in the current command.
    pub time: u64,
    /// The statement running, if any.
    pub info: Option<String>,
}

impl Process {
    /// Records what the connection is doing now (`Query` with its text, `Sleep`, …).
    pub fn set_command(&self, command: &'static str, info: Option<String>) {
        if let Ok(mut s) = self.state.lock() {
            s.command = command;
            s.info = info;
            s.since = Instant::now();
        }
    }

    /// Records the connection's current database.
    pub fn set_db(&self, db: Option<String>) {
        if let Ok(mut s) = self.state.lock() {
            s.db = db;
        }
    }

    /// True once `KILL id` was asked for this connection.
    pub fn is_killed(&self) -> bool {
        self.killed.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn row(&self) -> ProcessRow {
        let (db, command, info, time) = match self.state.lock() {
            Ok(s) => (
                s.db.clone(),
                s.command,
                s.info.clone(),
                s.since.elapsed().as_secs(),
            ),
            Err(_) => (None, "Killed", None, 0),
        };
        ProcessRow {
            id: self.id,
            user: self.user.clone(),
            host: self.host.clone(),
            db,
            command,
            time,
            info,
        }
    }
}

/// Every open connection by id.
#[derive(Debug, Default)]
pub struct ProcessList {
    inner: Mutex<BTreeMap<u32, Arc<Process>>>,
}

/// Removes its connection from the list when dropped (the connection ended).
#[derive(Debug)]
pub struct Registration {
    list: Arc<ProcessList>,
    /// The registered connection.
    pub process: Arc<Process>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut m) = self.list.inner.lock() {
            m.remove(&self.process.id);
        }
    }
}

/// Why `KILL` failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KillError {
    /// No connection has that id (MySQL error 1094, "Unknown thread id").
    UnknownThread(u32),
}

impl ProcessList {
    /// Adds a connection; it leaves the list when the returned registration is dropped.
    pub fn register(list: &Arc<ProcessList>, id: u32, user: &str, host: &str) -> Registration {
        let process = Arc::new(Process {
            id,
            user: user.to_string(),
            host: host.to_string(),
            state: Mutex::new(ProcessState {
                db: None,
                command: "Sleep",
                info: None,
                since: Instant::now(),
            }),
            kill_query: Notify::new(),
            kill_connection: Notify::new(),
            killed: std::sync::atomic::AtomicBool::new(false),
        });
        if let Ok(mut m) = list.inner.lock() {
            m.insert(id, process.clone());
        }
        Registration {
            list: list.clone(),
            process,
        }
    }

    /// Number of open connections.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// True when no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows of `SHOW PROCESSLIST`, by id.
    pub fn rows(&self) -> Vec<ProcessRow> {
        match self.inner.lock() {
            Ok(m) => m.values().map(|p| p.row()).collect(),
            Err(_) => vec![],
        }
    }

    /// `KILL QUERY id` (`connection == false`) or `KILL id`.
    pub fn kill(&self, id: u32, connection: bool) -> Result<(), KillError> {
        let p = self
            .inner
            .lock()
            .ok()
            .and_then(|m| m.get(&id).cloned())
            .ok_or(KillError::UnknownThread(id))?;
        if connection {
            p.killed.store(true, std::sync::atomic::Ordering::SeqCst);
            p.kill_connection.notify_one();
        }
        p.kill_query.notify_one();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_connections_are_listed_until_dropped() {
        let list = Arc::new(ProcessList::default());
        let a = ProcessList::register(&list, 7, "app", "127.0.0.1:5000");
        a.process.set_command("Query", Some("SELECT 1".into()));
        a.process.set_db(Some("shop".into()));
        {
            let _b = ProcessList::register(&list, 8, "bi", "127.0.0.1:5001");
            assert_eq!(list.len(), 2);
        }
        let rows = list.rows();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, 7);
        assert_eq!(rows[0].command, "Query");
        assert_eq!(rows[0].db.as_deref(), Some("shop"));
        assert_eq!(rows[0].info.as_deref(), Some("SELECT 1"));
    }

    #[test]
    fn kill_marks_the_connection_and_unknown_ids_are_refused() {
        let list = Arc::new(ProcessList::default());
        let a = ProcessList::register(&list, 3, "app", "h:1");
        assert_eq!(list.kill(4, false), Err(KillError::UnknownThread(4)));
        list.kill(3, false).unwrap();
        assert!(!a.process.is_killed());
        list.kill(3, true).unwrap();
        assert!(a.process.is_killed());
    }
}
