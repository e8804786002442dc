//! The typed change stream that every later stage consumes.
//!
//! One source transaction arrives as `Begin`, then any number of `Row` and `Ddl`, then
//! `Commit` carrying the position to resume from. A DDL statement outside a transaction
//! arrives as `Begin`, `Ddl`, `Commit`. `Discard` drops the transaction in progress (the
//! connection dropped, or the source logged a ROLLBACK); savepoints arrive as
//! `Savepoint` / `RollbackToSavepoint`. Consumers apply a transaction only at `Commit`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::position::{Gtid, Position};
use super::table::TableInfo;
use super::value::Value;

/// What a row change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowKind {
    /// A new row (`after` only).
    Insert,
    /// A changed row (`before` and `after`).
    Update,
    /// A removed row (`before` only).
    Delete,
}

impl RowKind {
    /// `insert`, `update` or `delete`, as printed by `tail`.
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Insert => "insert",
            RowKind::Update => "update",
            RowKind::Delete => "delete",
        }
    }
}

/// A row image: one value per column of the table map. Columns a MINIMAL or NOBLOB row
/// image left out are `None`; present columns are `Some` (possibly `Some(Value::Null)`).
pub type Row = Vec<Option<Value>>;

/// One row changed by a ROW-format event.
#[derive(Debug, Clone, PartialEq)]
pub struct RowChange {
    /// The table as the TABLE_MAP event described it (names, types, charsets).
    pub table: Arc<TableInfo>,
    /// Insert, update or delete.
    pub kind: RowKind,
    /// The row before the change (update, delete).
    pub before: Option<Row>,
    /// The row after the change (insert, update).
    pub after: Option<Row>,
}

/// One element of the change stream.
///
/// Savepoints appear only when the source logs them (a transaction that also touched
/// non-transactional tables): `RollbackToSavepoint` undoes the row changes after the
/// matching `Savepoint` of the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A transaction starts.
    Begin {
        /// Its GTID, when the source assigns one.
        gtid: Option<Gtid>,
        /// When it was written on the source (seconds since the epoch, from the event header).
        timestamp: u32,
    },
    /// A row was inserted, updated or deleted.
    Row(RowChange),
    /// A DDL (or other non-row) statement that changes schema.
    Ddl {
        /// The default database the statement ran in (may be empty).
        schema: String,
        /// The statement text as the source logged it.
        statement: String,
    },
    /// The transaction is complete; resume from `position` after applying it.
    Commit {
        /// Position just after this transaction.
        position: Position,
        /// When it was committed on the source (seconds since the epoch).
        timestamp: u32,
    },
    /// A savepoint was set inside the transaction.
    Savepoint {
        /// The savepoint's name.
        name: String,
    },
    /// The transaction rolled back to a savepoint: the row and DDL changes since the
    /// matching [`Change::Savepoint`] did not happen (the savepoint itself remains).
    RollbackToSavepoint {
        /// The savepoint's name.
        name: String,
    },
    /// Everything since the last `Begin` did not happen: the transaction was cut off (it
    /// will be delivered again from `Begin`) or the source rolled it back (an empty
    /// `Begin`/`Commit` with its GTID and position follows).
    Discard,
}
