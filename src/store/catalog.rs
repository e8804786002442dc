//! The catalog: per replicated table its definition (columns with their MySQL types,
//! primary key, the source's `SHOW CREATE TABLE`), schema version and replication state
//! (copying, streaming, being re-copied; the positions its copy is consistent with).
//!
//! Entries live in the `catalog` column family, keyed by an internal table id that never
//! changes for the life of the entry, so rows (keyed by that id) survive a RENAME TABLE
//! untouched; a catalog change is written in the same batch as the rows it affects.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rocksdb::WriteBatch;
use serde::{Deserialize, Serialize};

use super::db::{ReadView, Store, CF_CATALOG, CF_META};
use super::error::StoreError;
use crate::source::position::{FilePos, GtidState, MariaGtidState, MySqlGtidSet, Position};
use crate::source::table::TableInfo;
use crate::source::value::Value;

/// A binlog position in a stable, readable stored form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPosition {
    /// Binlog file name.
    pub file: String,
    /// Offset in the file.
    pub pos: u64,
    /// GTID state text (`0-1-42,1-2-3` or a MySQL GTID set), when known.
    ///
    /// (No `skip_serializing_if` here or below: positions are also stored with bincode,
    /// which cannot skip fields.)
    #[serde(default)]
    pub gtid: Option<String>,
    /// `mariadb` or `mysql`: how to read `gtid`.
    #[serde(default)]
    pub gtid_flavor: Option<String>,
}

impl From<&Position> for StoredPosition {
    fn from(p: &Position) -> Self {
        let (gtid, gtid_flavor) = match &p.gtid {
            Some(GtidState::MariaDb(s)) => (Some(s.to_string()), Some("mariadb".to_string())),
            Some(GtidState::MySql(s)) => (
                Some(s.to_string().replace('\n', "")),
                Some("mysql".to_string()),
            ),
            None => (None, None),
        };
        StoredPosition {
            file: p.file_pos.file.clone(),
            pos: p.file_pos.pos,
            gtid,
            gtid_flavor,
        }
    }
}

impl StoredPosition {
    /// Back to a [`Position`]; an unreadable GTID text is a corrupt data directory.
    pub fn to_position(&self) -> Result<Position, StoreError> {
        let gtid = match (self.gtid_flavor.as_deref(), &self.gtid) {
            (Some("mariadb"), Some(t)) => Some(GtidState::MariaDb(
                t.parse::<MariaGtidState>()
                    .map_err(|e| StoreError::Corrupt(format!("stored GTID state: {e}")))?,
            )),
            (Some("mysql"), Some(t)) if t.trim().is_empty() => {
                Some(GtidState::MySql(MySqlGtidSet::default()))
            }
            (Some("mysql"), Some(t)) => Some(GtidState::MySql(
                t.parse::<MySqlGtidSet>()
                    .map_err(|e| StoreError::Corrupt(format!("stored GTID set: {e}")))?,
            )),
            _ => None,
        };
        Ok(Position {
            file_pos: self.file_pos(),
            gtid,
        })
    }

    /// The file:pos part.
    pub fn file_pos(&self) -> FilePos {
        FilePos {
            file: self.file.clone(),
            pos: self.pos,
        }
    }

    /// Binlog order of two positions (by file:pos).
    pub fn binlog_cmp(&self, other: &StoredPosition) -> Ordering {
        self.file_pos().binlog_cmp(&other.file_pos())
    }
}

impl std::fmt::Display for StoredPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.pos)?;
        if let Some(g) = self.gtid.as_deref().filter(|g| !g.is_empty()) {
            write!(f, " gtid {g}")?;
        }
        Ok(())
    }
}

/// One key range of a table's copy and the position it is consistent with.
///
/// A table copied in one go has one segment covering every key. A copy interrupted by a
/// crash resumes in a new consistent-read transaction at a later position, so the keys
/// copied before and after the crash are consistent with different positions: segment
/// `i` covers keys in `(upto[i-1], upto[i]]` (the last one: every key above), and a
/// streamed change of a key in that range is applied only if it committed after the
/// segment's position (earlier ones are already in the copy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Highest stored key (encoded, without the table prefix) of the range; `None` = no
    /// upper bound.
    pub upto: Option<Vec<u8>>,
    /// The copy of this range is the source's state at this position.
    pub position: StoredPosition,
}

/// Where a table's replication stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TableState {
    /// The initial copy is in progress (resumable from `resume_after`).
    Copying,
    /// The copy is complete; streamed changes are applied.
    Streaming,
    /// The table is being copied again (after a schema change that could not be
    /// followed, or a new table); streamed changes wait in the `pending` column family and
    /// are applied once the copy is done. Not served meanwhile.
    Recopying {
        /// Why.
        reason: String,
        /// Bumped at every restart of the copy; a finished copy of an older generation is
        /// ignored.
        generation: u64,
    },
}

/// One replicated table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableEntry {
    /// Internal id: prefix of its rows' keys; never reused.
    pub id: u32,
    /// Database name on the source.
    pub schema: String,
    /// Table name on the source.
    pub name: String,
    /// Columns and primary key, as a TABLE_MAP would describe them (`None` until a new
    /// table's first copy has described it).
    pub info: Option<TableInfo>,
    /// Per column: the source's `COLUMN_TYPE` (e.g. `int(10) unsigned`).
    #[serde(default)]
    pub column_types: Vec<String>,
    /// Per column: the source's `COLUMN_DEFAULT` text.
    #[serde(default)]
    pub defaults: Vec<Option<String>>,
    /// The source's `SHOW CREATE TABLE` text when the table was last described.
    #[serde(default)]
    pub create_statement: String,
    /// Bumped at every schema change that was followed.
    pub schema_version: u32,
    /// Replication state.
    #[serde(flatten)]
    pub state: TableState,
    /// Key ranges of the copy and the positions they are consistent with.
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// While copying: the primary key of the last copied row, to continue after.
    #[serde(default)]
    pub resume_after: Option<Vec<Value>>,
    /// Rows copied so far by the current copy.
    #[serde(default)]
    pub rows_copied: u64,
    /// The source's row estimate (`information_schema.TABLES.TABLE_ROWS`) for progress.
    #[serde(default)]
    pub rows_estimate: u64,
}

impl TableEntry {
    /// A table not described or copied yet.
    pub fn new(id: u32, schema: &str, name: &str, state: TableState) -> TableEntry {
        TableEntry {
            id,
            schema: schema.to_string(),
            name: name.to_string(),
            info: None,
            column_types: vec![],
            defaults: vec![],
            create_statement: String::new(),
            schema_version: 0,
            state,
            segments: vec![],
            resume_after: None,
            rows_copied: 0,
            rows_estimate: 0,
        }
    }

    /// `schema.table`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// True when the table's rows may be read (its copy is complete and current).
    pub fn is_served(&self) -> bool {
        matches!(self.state, TableState::Streaming) && self.info.is_some()
    }

    /// True when the table has a primary key (or a NOT NULL unique key standing in for
    /// one); false means hidden row ids.
    pub fn has_key(&self) -> bool {
        self.info
            .as_ref()
            .is_some_and(|i| !i.primary_key.is_empty())
    }

    /// True when a change to `key` (encoded) committed at `at` is already reflected in
    /// the copy, so it must be skipped.
    pub fn copy_includes(&self, key: Option<&[u8]>, at: &StoredPosition) -> bool {
        let seg = match key {
            Some(k) => self
                .segments
                .iter()
                .find(|s| s.upto.as_deref().is_none_or(|u| k <= u)),
            None => self.segments.last(),
        };
        seg.is_some_and(|s| at.binlog_cmp(&s.position) != Ordering::Greater)
    }

    /// True when every key range of the copy is consistent with a position at or after
    /// `at`: whatever committed at `at` is already in the copy.
    pub fn copy_has_all_before(&self, at: &StoredPosition) -> bool {
        self.newest_segment()
            .is_some_and(|p| at.binlog_cmp(p) != Ordering::Greater)
    }

    /// The latest segment position: changes after it are never skipped.
    pub fn newest_segment(&self) -> Option<&StoredPosition> {
        self.segments
            .iter()
            .map(|s| &s.position)
            .max_by(|a, b| a.binlog_cmp(b))
    }
}

/// All catalog entries, in memory, with lookups by id and by name.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    by_id: BTreeMap<u32, Arc<TableEntry>>,
    by_name: HashMap<(String, String), u32>,
    next_id: u32,
}

impl Catalog {
    /// Loads every entry from the store.
    pub fn load(store: &Store) -> Result<Catalog, StoreError> {
        Catalog::load_from(store, &store.read_view())
    }

    /// Loads every entry as of a pinned read view.
    pub fn load_from(store: &Store, view: &ReadView<'_>) -> Result<Catalog, StoreError> {
        let mut cat = Catalog {
            next_id: 1,
            ..Default::default()
        };
        let cf = store.cf(CF_CATALOG)?;
        for item in view.iterator_cf(cf, rocksdb::IteratorMode::Start) {
            let (_, value) = item?;
            let entry: TableEntry = serde_json::from_slice(&value)
                .map_err(|e| StoreError::Corrupt(format!("catalog entry: {e}")))?;
            cat.insert(entry);
        }
        if let Some(b) = view.get_cf(store.cf(CF_META)?, b"next-table-id")? {
            let n: u32 = serde_json::from_slice(&b)
                .map_err(|e| StoreError::Corrupt(format!("meta `next-table-id`: {e}")))?;
            cat.next_id = cat.next_id.max(n);
        }
        Ok(cat)
    }

    fn insert(&mut self, entry: TableEntry) {
        self.next_id = self.next_id.max(entry.id.saturating_add(1));
        if let Some(old) = self.by_id.get(&entry.id) {
            self.by_name.remove(&(old.schema.clone(), old.name.clone()));
        }
        self.by_name
            .insert((entry.schema.clone(), entry.name.clone()), entry.id);
        self.by_id.insert(entry.id, Arc::new(entry));
    }

    /// Replaces an entry in memory only (the caller writes it later with [`Catalog::put`]).
    pub fn set_in_memory(&mut self, entry: TableEntry) {
        self.insert(entry);
    }

    /// A fresh table id (also recorded in the batch so it is never reused after a drop).
    pub fn allocate_id(
        &mut self,
        store: &Store,
        batch: &mut WriteBatch,
    ) -> Result<u32, StoreError> {
        let id = self.next_id;
        if id == u32::MAX {
            return Err(StoreError::Corrupt("table ids exhausted".into()));
        }
        self.next_id = id + 1;
        store.put_meta(batch, "next-table-id", &self.next_id)?;
        Ok(id)
    }

    /// The entry with this id.
    pub fn get(&self, id: u32) -> Option<&TableEntry> {
        self.by_id.get(&id).map(|e| &**e)
    }

    /// The entry with this id, shared (cheap to keep while the catalog changes).
    pub fn shared(&self, id: u32) -> Option<Arc<TableEntry>> {
        self.by_id.get(&id).cloned()
    }

    /// The entry named `schema.name`.
    pub fn find(&self, schema: &str, name: &str) -> Option<&TableEntry> {
        self.by_name
            .get(&(schema.to_string(), name.to_string()))
            .and_then(|id| self.by_id.get(id))
            .map(|e| &**e)
    }

    /// All entries, by id.
    pub fn tables(&self) -> impl Iterator<Item = &TableEntry> {
        self.by_id.values().map(|e| &**e)
    }

    /// Adds or replaces an entry, in memory and in `batch`.
    pub fn put(
        &mut self,
        store: &Store,
        batch: &mut WriteBatch,
        entry: TableEntry,
    ) -> Result<(), StoreError> {
        write_entry(store, batch, &entry)?;
        self.insert(entry);
        Ok(())
    }

    /// Removes an entry, in memory and in `batch` (its rows are the caller's business).
    pub fn remove(
        &mut self,
        store: &Store,
        batch: &mut WriteBatch,
        id: u32,
    ) -> Result<Option<TableEntry>, StoreError> {
        batch.delete_cf(store.cf(CF_CATALOG)?, id.to_be_bytes());
        let old = self.by_id.remove(&id).map(Arc::unwrap_or_clone);
        if let Some(e) = &old {
            self.by_name.remove(&(e.schema.clone(), e.name.clone()));
        }
        Ok(old)
    }
}

/// Adds one entry to `batch` without an in-memory catalog (for the initial copy, whose
/// tasks each own their table's entry).
pub fn write_entry(
    store: &Store,
    batch: &mut WriteBatch,
    entry: &TableEntry,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(entry)
        .map_err(|e| StoreError::Corrupt(format!("catalog entry: {e}")))?;
    batch.put_cf(store.cf(CF_CATALOG)?, entry.id.to_be_bytes(), bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(file: &str, pos: u64) -> StoredPosition {
        StoredPosition {
            file: file.into(),
            pos,
            gtid: None,
            gtid_flavor: None,
        }
    }

    fn entry(segments: Vec<Segment>) -> TableEntry {
        TableEntry {
            id: 1,
            schema: "db".into(),
            name: "t".into(),
            info: None,
            column_types: vec![],
            defaults: vec![],
            create_statement: String::new(),
            schema_version: 1,
            state: TableState::Streaming,
            segments,
            resume_after: None,
            rows_copied: 0,
            rows_estimate: 0,
        }
    }

    #[test]
    fn segments_decide_which_changes_the_copy_already_has() {
        // Keys up to "m" copied at b.1:100, the rest at b.1:500 (after a crash).
        let e = entry(vec![
            Segment {
                upto: Some(b"m".to_vec()),
                position: pos("b.000001", 100),
            },
            Segment {
                upto: None,
                position: pos("b.000001", 500),
            },
        ]);
        assert!(e.copy_includes(Some(b"a"), &pos("b.000001", 100)));
        assert!(!e.copy_includes(Some(b"a"), &pos("b.000001", 101)));
        assert!(e.copy_includes(Some(b"m"), &pos("b.000001", 90)));
        assert!(e.copy_includes(Some(b"z"), &pos("b.000001", 400)));
        assert!(!e.copy_includes(Some(b"z"), &pos("b.000002", 4)));
        assert_eq!(e.newest_segment(), Some(&pos("b.000001", 500)));
        // No segments: nothing is skipped.
        assert!(!entry(vec![]).copy_includes(Some(b"a"), &pos("b.000001", 1)));
    }

    #[test]
    fn stored_positions_round_trip() {
        let p = StoredPosition {
            file: "b.000003".into(),
            pos: 77,
            gtid: Some("0-1-5,1-1-9".into()),
            gtid_flavor: Some("mariadb".into()),
        };
        let back = StoredPosition::from(&p.to_position().unwrap());
        assert_eq!(back, p);
        assert_eq!(p.to_string(), "b.000003:77 gtid 0-1-5,1-1-9");
        let bad = StoredPosition {
            gtid: Some("zzz".into()),
            ..p
        };
        assert!(bad.to_position().is_err());
    }

    #[test]
    fn entries_persist_and_rename_updates_the_name_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), super::super::db::Durability::Buffered).unwrap();
        let mut cat = Catalog::load(&store).unwrap();
        let mut b = WriteBatch::default();
        let id = cat.allocate_id(&store, &mut b).unwrap();
        let mut e = entry(vec![]);
        e.id = id;
        cat.put(&store, &mut b, e.clone()).unwrap();
        e.name = "u".into();
        cat.put(&store, &mut b, e).unwrap();
        store.write(b).unwrap();
        assert!(cat.find("db", "t").is_none());
        let again = Catalog::load(&store).unwrap();
        assert_eq!(again.find("db", "u").map(|e| e.id), Some(id));
        assert!(again.find("db", "t").is_none());
        let mut again = again;
        let mut b = WriteBatch::default();
        assert_ne!(again.allocate_id(&store, &mut b).unwrap(), id);
    }
}
