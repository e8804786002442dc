//! Whole source transactions assembled from the change stream, the unit the store applies.
//!
//! The stream delivers `Begin`, rows and DDL, then `Commit`; it may also deliver `Discard`
//! (the transaction was cut off or rolled back) and savepoints. [`Assembler`] keeps the
//! changes of the open transaction and hands out a [`Transaction`] only at `Commit`, with
//! rolled-back parts already removed, so the store never sees half a transaction.

use super::change::{Change, RowChange};
use super::position::{Gtid, Position};

/// One change inside a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum TxChange {
    /// A row change.
    Row(RowChange),
    /// A DDL statement (its own transaction on the source, but kept in order here).
    Ddl {
        /// Default database of the statement.
        schema: String,
        /// The statement text.
        statement: String,
    },
}

/// A committed source transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    /// Its GTID, when the source assigns one.
    pub gtid: Option<Gtid>,
    /// Its changes, in order.
    pub changes: Vec<TxChange>,
    /// The position just after it (where a restart resumes).
    pub position: Position,
    /// Commit time on the source (seconds since the epoch).
    pub timestamp: u32,
}

/// Builds [`Transaction`]s from the change stream.
#[derive(Debug, Default)]
pub struct Assembler {
    open: bool,
    gtid: Option<Gtid>,
    changes: Vec<TxChange>,
    savepoints: Vec<(String, usize)>,
}

impl Assembler {
    /// A fresh assembler (no transaction open).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of changes held for the open transaction.
    pub fn held(&self) -> usize {
        self.changes.len()
    }

    /// Takes one change; returns the transaction it completed, if any.
    pub fn push(&mut self, change: Change) -> Option<Transaction> {
        match change {
            Change::Begin { gtid, .. } => {
                self.reset();
                self.open = true;
                self.gtid = gtid;
                None
            }
            Change::Row(r) => {
                self.changes.push(TxChange::Row(r));
                None
            }
            Change::Ddl { schema, statement } => {
                self.changes.push(TxChange::Ddl { schema, statement });
                None
            }
            Change::Savepoint { name } => {
                self.savepoints.push((name, self.changes.len()));
                None
            }
            Change::RollbackToSavepoint { name } => {
                // The latest savepoint of that name; later ones are gone with the rollback.
                if let Some(i) = self.savepoints.iter().rposition(|(n, _)| n == &name) {
                    let at = self.savepoints[i].1;
                    self.changes.truncate(at);
                    self.savepoints.truncate(i + 1);
                }
                None
            }
            Change::Discard => {
                self.reset();
                None
            }
            Change::Commit {
                position,
                timestamp,
            } => {
                let tx = Transaction {
                    gtid: self.gtid.take(),
                    changes: std::mem::take(&mut self.changes),
                    position,
                    timestamp,
                };
                self.reset();
                Some(tx)
            }
        }
    }

    fn reset(&mut self) {
        self.open = false;
        self.gtid = None;
        self.changes.clear();
        self.savepoints.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::position::FilePos;

    fn ddl(s: &str) -> Change {
        Change::Ddl {
            schema: "db".into(),
            statement: s.into(),
        }
    }

    fn commit(pos: u64) -> Change {
        Change::Commit {
            position: Position {
                file_pos: FilePos {
                    file: "b.000001".into(),
                    pos,
                },
                gtid: None,
            },
            timestamp: 7,
        }
    }

    fn begin() -> Change {
        Change::Begin {
            gtid: None,
            timestamp: 7,
        }
    }

    fn statements(tx: &Transaction) -> Vec<&str> {
        tx.changes
            .iter()
            .map(|c| match c {
                TxChange::Ddl { statement, .. } => statement.as_str(),
                TxChange::Row(_) => "row",
            })
            .collect()
    }

    #[test]
    fn only_committed_changes_come_out() {
        let mut a = Assembler::new();
        assert!(a.push(begin()).is_none());
        a.push(ddl("a"));
        a.push(Change::Discard);
        assert_eq!(a.held(), 0);
        a.push(begin());
        a.push(ddl("b"));
        let tx = a.push(commit(100)).unwrap();
        assert_eq!(statements(&tx), ["b"]);
        assert_eq!(tx.position.file_pos.pos, 100);
    }

    #[test]
    fn rollback_to_savepoint_drops_what_followed_it() {
        let mut a = Assembler::new();
        a.push(begin());
        a.push(ddl("a"));
        a.push(Change::Savepoint { name: "s1".into() });
        a.push(ddl("b"));
        a.push(Change::Savepoint { name: "s2".into() });
        a.push(ddl("c"));
        a.push(Change::RollbackToSavepoint { name: "s1".into() });
        a.push(ddl("d"));
        // s2 is gone with the rollback: rolling back to it changes nothing.
        a.push(Change::RollbackToSavepoint { name: "s2".into() });
        a.push(Change::RollbackToSavepoint {
            name: "nope".into(),
        });
        let tx = a.push(commit(9)).unwrap();
        assert_eq!(statements(&tx), ["a", "d"]);
    }
}
