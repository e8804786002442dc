//! Applying committed source transactions to the copy.
//!
//! Each [`Transaction`] becomes part of one RocksDB `WriteBatch` with its row changes,
//! change log records, catalog changes and the new position. Several small transactions
//! are grouped into one batch ([`Applier::flush`] commits the group) for throughput; a
//! batch always ends at a transaction boundary, so a reader or a restart never sees half a
//! transaction, and the position stored is that of the last transaction in the batch.
//!
//! Reads needed while applying (merging a partial row image with the stored row,
//! applying JSON diffs, finding a row of a table without a primary key by its
//! before-image) see the group's own unflushed writes through an in-memory overlay.
//!
//! Where a change cannot be followed safely (a column change, a row image that does not
//! match the catalog, a row that should exist but does not) the table is copied again: its
//! rows are removed and it enters [`TableState::Recopying`] in the same batch, a
//! [`RecopyRequest`] goes to the caller, and its changes wait in the `pending` column
//! family until [`Applier::finish_recopy`] brings the new copy up to date. Other tables
//! keep applying meanwhile. A change that keeps rows and columns (an index, a table
//! option) only has the table described again (a `definition_only` request).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bincode::config;
use rocksdb::{Direction, IteratorMode, WriteBatch};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::catalog::{Catalog, Segment, StoredPosition, TableEntry, TableState};
use super::changelog::{self, ChangeOp, ChangeRecord};
use super::codec::{decode_row, encode_row};
use super::db::{Store, CF_DUPS, CF_PENDING, CF_ROWS};
use super::error::StoreError;
use super::json_patch::apply_json_diffs;
use super::rows::{
    dup_key, dup_prefix, hidden_row_key, keyed_row_key, pending_key, primary_key_bytes, row_hash,
    row_id_of, table_prefix, table_range,
};
use crate::source::change::{Row, RowChange, RowKind};
use crate::source::ddl::{classify, ColumnChange, DdlEffect, TableRef};
use crate::source::filter::Selection;
use crate::source::table::TableInfo;
use crate::source::transaction::{Transaction, TxChange};
use crate::source::value::Value;

/// A table that must be copied (again) by the caller, or only described again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecopyRequest {
    /// Catalog id of the table.
    pub table_id: u32,
    /// The copy generation to report back to [`Applier::finish_recopy`].
    pub generation: u64,
    /// Only the definition changed (an index, a table option: `SHOW CREATE TABLE` differs,
    /// the rows and columns do not): describe the table again, copy no rows, and report
    /// a [`CopyResult`] with `definition_only` set. The table stays served meanwhile.
    pub definition_only: bool,
}

/// What a finished (re)copy reports back.
#[derive(Debug, Clone)]
pub struct CopyResult {
    /// Catalog id of the table.
    pub table_id: u32,
    /// The generation from the [`RecopyRequest`].
    pub generation: u64,
    /// The table as described inside the copy's transaction.
    pub description: TableDescription,
    /// The position the copy is consistent with.
    pub position: StoredPosition,
    /// Rows copied.
    pub rows: u64,
    /// Next hidden row id (tables without a primary key).
    pub next_row_id: u64,
    /// The answer to a `definition_only` request: no rows were copied, `position` is where
    /// the source was when the table was described.
    pub definition_only: bool,
}

/// A table's definition as the catalog keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDescription {
    /// Columns and key, as a TABLE_MAP would give them.
    pub info: TableInfo,
    /// Per column `COLUMN_TYPE`.
    pub column_types: Vec<String>,
    /// Per column `COLUMN_DEFAULT`.
    pub defaults: Vec<Option<String>>,
    /// `SHOW CREATE TABLE` text.
    pub create_statement: String,
    /// `information_schema.TABLES.TABLE_ROWS`.
    pub rows_estimate: u64,
}

/// A change held for a table being copied.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingChange {
    position: StoredPosition,
    gtid: Option<String>,
    commit_ts: u32,
    kind: RowKind,
    before: Option<Vec<Option<Value>>>,
    after: Option<Vec<Option<Value>>>,
}

/// Counters of what was applied.
#[derive(Debug, Clone, Default)]
pub struct ApplyStats {
    /// Source transactions applied.
    pub transactions: u64,
    /// Row changes written.
    pub rows: u64,
    /// Row changes skipped because the copy already had them.
    pub skipped: u64,
    /// RocksDB batches committed.
    pub batches: u64,
}

/// Applies transactions to the store; see the module doc.
pub struct Applier {
    store: Arc<Store>,
    catalog: Catalog,
    selection: Selection,
    batch: WriteBatch,
    overlay: HashMap<Vec<u8>, Option<Vec<u8>>>,
    dup_overlay: BTreeMap<Vec<u8>, bool>,
    next_row_id: HashMap<u32, u64>,
    group: usize,
    seq: u64,
    position: Option<StoredPosition>,
    last_commit_ts: u32,
    requests: Vec<RecopyRequest>,
    /// Per table, the generation of the latest definition-only request.
    definition_requests: HashMap<u32, u64>,
    /// The last definition-only generation handed out (never reused).
    definition_generation: u64,
    stats: ApplyStats,
    last_lookup: Option<(Arc<TableInfo>, Arc<TableEntry>)>,
    /// Whether applied changes are recorded in the change log (`--changelog-retention 0`
    /// keeps none).
    changelog: bool,
}

impl Applier {
    /// An applier over `store`, continuing from its stored sequence and catalog.
    pub fn new(store: Arc<Store>, selection: Selection) -> Result<Applier, StoreError> {
        let catalog = Catalog::load(&store)?;
        let seq = store.get_meta::<u64>("seq")?.unwrap_or(0);
        let position = store.get_meta::<StoredPosition>("position")?;
        let last_commit_ts = store.get_meta::<u32>("last-commit-ts")?.unwrap_or(0);
        let mut a = Applier {
            store,
            catalog,
            selection,
            batch: WriteBatch::default(),
            overlay: HashMap::new(),
            dup_overlay: BTreeMap::new(),
            next_row_id: HashMap::new(),
            group: 0,
            seq,
            position,
            last_commit_ts,
            requests: Vec::new(),
            definition_requests: HashMap::new(),
            definition_generation: 0,
            stats: ApplyStats::default(),
            last_lookup: None,
            changelog: true,
        };
        let hidden: Vec<u32> = a
            .catalog
            .tables()
            .filter(|t| t.info.is_some() && !t.has_key())
            .map(|t| t.id)
            .collect();
        for id in hidden {
            let next = a.last_row_id(id)?.map_or(1, |n| n + 1);
            a.next_row_id.insert(id, next);
        }
        Ok(a)
    }

    /// The catalog as applied so far (including the unflushed group).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The position of the last applied transaction (including the unflushed group).
    pub fn position(&self) -> Option<&StoredPosition> {
        self.position.as_ref()
    }

    /// Commit time on the source of the last applied transaction.
    pub fn last_commit_ts(&self) -> u32 {
        self.last_commit_ts
    }

    /// Counters.
    pub fn stats(&self) -> &ApplyStats {
        &self.stats
    }

    /// Transactions in the unflushed group.
    pub fn group_len(&self) -> usize {
        self.group
    }

    /// Whether to record applied changes in the change log (default true). Off for
    /// `--changelog-retention 0`, which keeps none.
    pub fn keep_changelog(&mut self, keep: bool) {
        self.changelog = keep;
    }

    /// Bytes of the unflushed group's batch (rows, change log, catalog).
    pub fn group_bytes(&self) -> usize {
        self.batch.size_in_bytes()
    }

    /// Tables to copy, requested since the last call (only once their state is durable).
    pub fn take_requests(&mut self) -> Vec<RecopyRequest> {
        std::mem::take(&mut self.requests)
    }

    /// Sets the stored position without a transaction (the start of streaming after the
    /// initial copy), in the next batch.
    pub fn set_position(&mut self, position: StoredPosition) {
        self.position = Some(position);
    }

    fn last_row_id(&self, id: u32) -> Result<Option<u64>, StoreError> {
        let (start, end) = table_range(id);
        let cf = self.store.cf(CF_ROWS)?;
        let mut it = self
            .store
            .db()
            .iterator_cf(cf, IteratorMode::From(&end, Direction::Reverse));
        match it.next() {
            Some(item) => {
                let (k, _) = item?;
                if k.as_ref() >= start.as_slice() && k.as_ref() < end.as_slice() {
                    Ok(row_id_of(&k))
                } else {
                    Ok(None)
                }
            }
            None => Ok(None),
        }
    }

    /// Applies one committed transaction (into the current group).
    pub fn apply(&mut self, tx: &Transaction) -> Result<(), StoreError> {
        let at = StoredPosition::from(&tx.position);
        let has_ddl = tx.changes.iter().any(|c| matches!(c, TxChange::Ddl { .. }));
        if has_ddl {
            self.flush()?;
        }
        self.seq += 1;
        let gtid = tx.gtid.as_ref().map(|g| g.to_string());
        let mut index = 0u32;
        for change in &tx.changes {
            match change {
                TxChange::Row(rc) => {
                    let ctx = Ctx {
                        at: &at,
                        gtid: gtid.as_deref(),
                        commit_ts: tx.timestamp,
                    };
                    self.apply_row(rc, &ctx, &mut index)?;
                }
                TxChange::Ddl { schema, statement } => {
                    self.apply_ddl(schema, statement, &at, tx.timestamp, &mut index)?;
                }
            }
        }
        self.position = Some(at);
        self.last_commit_ts = tx.timestamp;
        self.group += 1;
        self.stats.transactions += 1;
        if has_ddl || !self.requests.is_empty() {
            self.flush()?;
        }
        Ok(())
    }

    /// Commits the current group (rows, change log, catalog, position) as one batch.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if self.group == 0 && self.batch.is_empty() {
            return Ok(());
        }
        let mut batch = std::mem::take(&mut self.batch);
        if let Some(p) = &self.position {
            self.store.put_meta(&mut batch, "position", p)?;
        }
        self.store.put_meta(&mut batch, "seq", &self.seq)?;
        self.store
            .put_meta(&mut batch, "last-commit-ts", &self.last_commit_ts)?;
        self.store
            .put_meta(&mut batch, "applied-at-ms", &now_ms())?;
        self.store.write(batch)?;
        self.overlay.clear();
        self.dup_overlay.clear();
        self.group = 0;
        self.stats.batches += 1;
        Ok(())
    }

    fn apply_row(
        &mut self,
        rc: &RowChange,
        ctx: &Ctx<'_>,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        let Some(entry) = self.lookup(&rc.table) else {
            return Ok(()); // not replicated
        };
        let id = entry.id;
        match &entry.state {
            TableState::Streaming => {}
            TableState::Recopying { .. } => return self.hold(id, rc, ctx, index),
            TableState::Copying => {
                warn!(table = %entry.qualified_name(), "row change for a table still being copied; ignored");
                return Ok(());
            }
        }
        let Some(info) = entry.info.as_ref() else {
            return self.recopy(id, "the table has no description yet".into());
        };
        if let Err(problem) = check_image(info, &rc.table) {
            if self.whole_copy_includes(id, ctx.at) {
                self.stats.skipped += 1;
                return Ok(()); // an old image the copy is newer than
            }
            return self.recopy_then_hold(id, problem, rc, ctx, index);
        }
        let result = if info.primary_key.is_empty() {
            self.apply_hidden(id, info, rc.kind, &rc.before, &rc.after, ctx, index)
        } else {
            self.apply_keyed(id, info, rc.kind, &rc.before, &rc.after, ctx, index)
        };
        match result {
            Err(StoreError::Mismatch { problem, .. }) => {
                self.recopy_then_hold(id, problem, rc, ctx, index)
            }
            other => other,
        }
    }

    /// The catalog entry of a row image's table. Consecutive rows of one table share the
    /// decoder's `Arc<TableInfo>`, so the last answer is kept (no name hashing per row).
    fn lookup(&mut self, table: &Arc<TableInfo>) -> Option<Arc<TableEntry>> {
        if let Some((t, e)) = &self.last_lookup {
            if Arc::ptr_eq(t, table)
                && self
                    .catalog
                    .shared(e.id)
                    .is_some_and(|c| Arc::ptr_eq(&c, e))
            {
                return Some(e.clone());
            }
        }
        let id = self.catalog.find(&table.schema, &table.name)?.id;
        let entry = self.catalog.shared(id)?;
        self.last_lookup = Some((table.clone(), entry.clone()));
        Some(entry)
    }

    fn whole_copy_includes(&self, id: u32, at: &StoredPosition) -> bool {
        self.catalog
            .get(id)
            .is_some_and(|e| e.copy_has_all_before(at))
    }

    fn recopy_then_hold(
        &mut self,
        id: u32,
        problem: String,
        rc: &RowChange,
        ctx: &Ctx<'_>,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        self.recopy(id, problem)?;
        self.hold(id, rc, ctx, index)
    }

    /// Starts the copy of table `id` over (a new generation), e.g. after a restart left it
    /// `Recopying`; the request is handed out after the next [`Applier::flush`].
    pub fn restart_recopy(&mut self, id: u32, reason: String) -> Result<(), StoreError> {
        self.recopy(id, reason)
    }

    /// Puts table `id` into `Recopying`: rows removed, a request queued.
    fn recopy(&mut self, id: u32, reason: String) -> Result<(), StoreError> {
        let Some(mut entry) = self.catalog.get(id).cloned() else {
            return Ok(());
        };
        let generation = match &entry.state {
            TableState::Recopying { generation, .. } => generation + 1,
            _ => 1,
        };
        warn!(table = %entry.qualified_name(), %reason, "copying the table again; its other changes wait until the copy is done");
        self.clear_rows(id)?;
        entry.state = TableState::Recopying { reason, generation };
        entry.segments.clear();
        entry.rows_copied = 0;
        entry.resume_after = None;
        self.catalog.put(&self.store, &mut self.batch, entry)?;
        self.requests.retain(|r| r.table_id != id);
        // The copy describes the table after this point; earlier descriptions are stale.
        self.definition_requests.remove(&id);
        self.requests.push(RecopyRequest {
            table_id: id,
            generation,
            definition_only: false,
        });
        Ok(())
    }

    /// Asks for table `id` to be described again (its `SHOW CREATE TABLE` changed, its rows
    /// did not). While the table is being copied, the copy may have described it before
    /// the change: it is described again once the copy is done ([`Applier::finish_recopy`]).
    fn redescribe(&mut self, id: u32) {
        self.definition_generation += 1;
        let generation = self.definition_generation;
        self.definition_requests.insert(id, generation);
        self.requests
            .retain(|r| !(r.table_id == id && r.definition_only));
        if matches!(
            self.catalog.get(id).map(|e| &e.state),
            Some(TableState::Streaming)
        ) {
            self.requests.push(RecopyRequest {
                table_id: id,
                generation,
                definition_only: true,
            });
        }
    }

    fn clear_rows(&mut self, id: u32) -> Result<(), StoreError> {
        let (start, end) = table_range(id);
        self.batch
            .delete_range_cf(self.store.cf(CF_ROWS)?, &start, &end);
        self.batch
            .delete_range_cf(self.store.cf(CF_DUPS)?, &start, &end);
        let prefix = table_prefix(id);
        self.overlay.retain(|k, _| !k.starts_with(&prefix));
        self.dup_overlay.retain(|k, _| !k.starts_with(&prefix));
        self.next_row_id.remove(&id);
        Ok(())
    }

    fn hold(
        &mut self,
        id: u32,
        rc: &RowChange,
        ctx: &Ctx<'_>,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        let p = PendingChange {
            position: ctx.at.clone(),
            gtid: ctx.gtid.map(str::to_string),
            commit_ts: ctx.commit_ts,
            kind: rc.kind,
            before: rc.before.clone(),
            after: rc.after.clone(),
        };
        let bytes = bincode::serde::encode_to_vec(&p, config::standard())
            .map_err(|e| StoreError::Corrupt(format!("pending change: {e}")))?;
        self.batch.put_cf(
            self.store.cf(CF_PENDING)?,
            pending_key(id, self.seq, *index),
            bytes,
        );
        *index += 1;
        Ok(())
    }

    fn read_row(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self.overlay.get(key) {
            return Ok(v.clone());
        }
        Ok(self.store.db().get_cf(self.store.cf(CF_ROWS)?, key)?)
    }

    fn put_row(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), StoreError> {
        self.batch.put_cf(self.store.cf(CF_ROWS)?, &key, &value);
        self.overlay.insert(key, Some(value));
        Ok(())
    }

    fn delete_row(&mut self, key: Vec<u8>) -> Result<(), StoreError> {
        self.batch.delete_cf(self.store.cf(CF_ROWS)?, &key);
        self.overlay.insert(key, None);
        Ok(())
    }

    fn encode(&self, info: &TableInfo, row: &Row) -> Result<Vec<u8>, StoreError> {
        let mut out = Vec::with_capacity(64 + 16 * row.len());
        encode_row(row, &mut out).map_err(|error| StoreError::Codec {
            table: info.qualified_name(),
            error,
        })?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_keyed(
        &mut self,
        id: u32,
        info: &TableInfo,
        kind: RowKind,
        before: &Option<Row>,
        after: &Option<Row>,
        ctx: &Ctx<'_>,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        let table = Name(info);
        let entry = self.catalog.shared(id);
        let includes = |key: &[u8]| {
            entry
                .as_ref()
                .is_some_and(|e| e.copy_includes(Some(key), ctx.at))
        };
        match kind {
            RowKind::Insert => {
                let after = need(after, &table, "insert without an after image")?;
                if after.iter().any(Option::is_none) {
                    return Err(mismatch(
                        &table,
                        "an insert image lacks columns (binlog_row_image=MINIMAL): set binlog_row_image=FULL",
                    ));
                }
                let pk = primary_key_bytes(info, after)?;
                if includes(&pk) {
                    self.stats.skipped += 1;
                    return Ok(());
                }
                let bytes = self.encode(info, after)?;
                self.put_row(keyed_row_key(id, &pk), bytes)?;
                self.log(info, ChangeOp::Insert, None, Some(after), ctx, index)?;
            }
            RowKind::Update => {
                let before = need(before, &table, "update without a before image")?;
                let after = need(after, &table, "update without an after image")?;
                let kb = primary_key_bytes(info, before)?;
                let partial = before.iter().any(Option::is_none)
                    || after
                        .iter()
                        .any(|v| matches!(v, None | Some(Value::JsonDiffs(_))));
                let skip_b = includes(&kb);
                let full_before: Row = if partial {
                    match self.read_row(&keyed_row_key(id, &kb))? {
                        Some(bytes) => stored(&table, &bytes)?,
                        None if skip_b => {
                            self.stats.skipped += 1;
                            return Ok(());
                        }
                        None => return Err(mismatch(
                            &table,
                            "an updated row is not in the copy (the copy and the source differ)",
                        )),
                    }
                } else {
                    before.clone()
                };
                let full_after = merge(&table, &full_before, after)?;
                let ka = primary_key_bytes(info, &full_after)?;
                let skip_a = includes(&ka);
                if skip_b && skip_a {
                    self.stats.skipped += 1;
                    return Ok(());
                }
                if !skip_b && (kb != ka || skip_a) {
                    self.delete_row(keyed_row_key(id, &kb))?;
                }
                if !skip_a {
                    let bytes = self.encode(info, &full_after)?;
                    self.put_row(keyed_row_key(id, &ka), bytes)?;
                }
                self.log(
                    info,
                    ChangeOp::Update,
                    Some(&full_before),
                    Some(&full_after),
                    ctx,
                    index,
                )?;
            }
            RowKind::Delete => {
                let before = need(before, &table, "delete without a before image")?;
                let kb = primary_key_bytes(info, before)?;
                if includes(&kb) {
                    self.stats.skipped += 1;
                    return Ok(());
                }
                let key = keyed_row_key(id, &kb);
                let full_before = if before.iter().any(Option::is_none) {
                    match self.read_row(&key)? {
                        Some(bytes) => stored(&table, &bytes)?,
                        None => before.clone(),
                    }
                } else {
                    before.clone()
                };
                self.delete_row(key)?;
                self.log(info, ChangeOp::Delete, Some(&full_before), None, ctx, index)?;
            }
        }
        self.stats.rows += 1;
        Ok(())
    }

    /// Row ids of stored rows of table `id` whose bytes equal `bytes`.
    fn find_hidden(&self, id: u32, hash: u64, bytes: &[u8]) -> Result<Option<u64>, StoreError> {
        let prefix = dup_prefix(id, hash);
        let mut candidates: Vec<u64> = Vec::new();
        let cf = self.store.cf(CF_DUPS)?;
        for item in self.store.db().prefix_iterator_cf(cf, prefix) {
            let (k, _) = item?;
            if !k.starts_with(&prefix) {
                break;
            }
            if self.dup_overlay.get(k.as_ref()) == Some(&false) {
                continue;
            }
            if let Some(rid) = k.get(12..20).and_then(|b| b.try_into().ok()) {
                candidates.push(u64::from_be_bytes(rid));
            }
        }
        for (k, put) in self.dup_overlay.range(prefix.to_vec()..) {
            if !k.starts_with(&prefix) {
                break;
            }
            if *put {
                if let Some(rid) = k.get(12..20).and_then(|b| b.try_into().ok()) {
                    candidates.push(u64::from_be_bytes(rid));
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for rid in candidates {
            if let Some(row) = self.read_row(&hidden_row_key(id, rid))? {
                if row == bytes {
                    return Ok(Some(rid));
                }
            }
        }
        Ok(None)
    }

    fn put_hidden(&mut self, id: u32, rid: u64, bytes: Vec<u8>) -> Result<(), StoreError> {
        let dk = dup_key(id, row_hash(&bytes), rid);
        self.batch.put_cf(self.store.cf(CF_DUPS)?, dk, []);
        self.dup_overlay.insert(dk.to_vec(), true);
        self.put_row(hidden_row_key(id, rid).to_vec(), bytes)
    }

    fn delete_hidden(&mut self, id: u32, rid: u64, hash: u64) -> Result<(), StoreError> {
        let dk = dup_key(id, hash, rid);
        self.batch.delete_cf(self.store.cf(CF_DUPS)?, dk);
        self.dup_overlay.insert(dk.to_vec(), false);
        self.delete_row(hidden_row_key(id, rid).to_vec())
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_hidden(
        &mut self,
        id: u32,
        info: &TableInfo,
        kind: RowKind,
        before: &Option<Row>,
        after: &Option<Row>,
        ctx: &Ctx<'_>,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        let table = Name(info);
        if self.whole_copy_includes(id, ctx.at) {
            self.stats.skipped += 1;
            return Ok(());
        }
        let full = |img: &Row, what: &str| -> Result<(), StoreError> {
            if img.iter().any(Option::is_none) {
                Err(mismatch(
                    &table,
                    &format!("a table without a primary key needs full row images ({what} image is partial): set binlog_row_image=FULL"),
                ))
            } else {
                Ok(())
            }
        };
        let old = match kind {
            RowKind::Insert => None,
            RowKind::Update | RowKind::Delete => {
                let before = need(before, &table, "missing before image")?;
                full(before, "before")?;
                let bytes = self.encode(info, before)?;
                let hash = row_hash(&bytes);
                match self.find_hidden(id, hash, &bytes)? {
                    Some(rid) => Some((rid, hash, before)),
                    None => return Err(mismatch(
                        &table,
                        "no stored row equals the before image (the copy and the source differ)",
                    )),
                }
            }
        };
        let new = match kind {
            RowKind::Delete => None,
            RowKind::Insert | RowKind::Update => {
                let after = need(after, &table, "missing after image")?;
                let merged = match &old {
                    Some((_, _, b)) => merge(&table, b, after)?,
                    None => after.clone(),
                };
                full(&merged, "after")?;
                Some(merged)
            }
        };
        let rid = match &old {
            Some((rid, hash, _)) => {
                self.delete_hidden(id, *rid, *hash)?;
                *rid
            }
            None => {
                let next = self.next_row_id.entry(id).or_insert(1);
                let rid = *next;
                *next += 1;
                rid
            }
        };
        if let Some(row) = &new {
            let bytes = self.encode(info, row)?;
            self.put_hidden(id, rid, bytes)?;
        }
        let op = match kind {
            RowKind::Insert => ChangeOp::Insert,
            RowKind::Update => ChangeOp::Update,
            RowKind::Delete => ChangeOp::Delete,
        };
        let before_img = old.as_ref().map(|(_, _, b)| (*b).clone());
        self.log(info, op, before_img.as_ref(), new.as_ref(), ctx, index)?;
        self.stats.rows += 1;
        Ok(())
    }

    fn log(
        &mut self,
        info: &TableInfo,
        op: ChangeOp,
        before: Option<&Row>,
        after: Option<&Row>,
        ctx: &Ctx<'_>,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        if !self.changelog {
            *index += 1;
            return Ok(());
        }
        let plain = |r: &Row| -> Vec<Value> {
            r.iter().map(|v| v.clone().unwrap_or(Value::Null)).collect()
        };
        let record = ChangeRecord {
            schema: info.schema.clone(),
            table: info.name.clone(),
            op,
            file: ctx.at.file.clone(),
            pos: ctx.at.pos,
            gtid: ctx.gtid.map(str::to_string),
            commit_ts: ctx.commit_ts,
            before: before.map(plain),
            after: after.map(plain),
            statement: None,
        };
        changelog::append(&self.store, &mut self.batch, self.seq, *index, &record)?;
        *index += 1;
        Ok(())
    }

    fn log_table_event(
        &mut self,
        entry: &TableEntry,
        op: ChangeOp,
        statement: &str,
        at: &StoredPosition,
        commit_ts: u32,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        if !self.changelog {
            *index += 1;
            return Ok(());
        }
        let record = ChangeRecord {
            schema: entry.schema.clone(),
            table: entry.name.clone(),
            op,
            file: at.file.clone(),
            pos: at.pos,
            gtid: at.gtid.clone(),
            commit_ts,
            before: None,
            after: None,
            statement: Some(statement.to_string()),
        };
        changelog::append(&self.store, &mut self.batch, self.seq, *index, &record)?;
        *index += 1;
        Ok(())
    }

    fn apply_ddl(
        &mut self,
        schema: &str,
        statement: &str,
        at: &StoredPosition,
        commit_ts: u32,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        for effect in classify(schema, statement) {
            self.apply_effect(effect, statement, at, commit_ts, index)?;
        }
        Ok(())
    }

    /// The replicated entry named by `t`, unless the copy is already newer than `at`.
    fn followed(&self, t: &TableRef, at: &StoredPosition) -> Option<TableEntry> {
        let e = self.catalog.find(&t.schema, &t.name)?;
        let newer = matches!(e.state, TableState::Streaming) && e.copy_has_all_before(at);
        (!newer).then(|| e.clone())
    }

    fn apply_effect(
        &mut self,
        effect: DdlEffect,
        statement: &str,
        at: &StoredPosition,
        commit_ts: u32,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        match effect {
            DdlEffect::Ignore => {}
            DdlEffect::CreateDatabase(_) => {}
            DdlEffect::CreateTable {
                table, or_replace, ..
            } => match self.catalog.find(&table.schema, &table.name).cloned() {
                Some(e) if or_replace && self.followed(&table, at).is_some() => {
                    self.log_table_event(&e, ChangeOp::Ddl, statement, at, commit_ts, index)?;
                    self.recopy(e.id, "CREATE OR REPLACE TABLE".into())?;
                }
                Some(_) => {} // CREATE TABLE IF NOT EXISTS of an existing table
                None if self.selection.matches(&table.schema, &table.name) => {
                    self.new_table(&table, "created on the source")?;
                }
                None => {}
            },
            DdlEffect::AlterTable {
                table,
                columns,
                primary_key_changed,
                other_changes,
                rename_to,
            } => {
                let Some(e) = self.followed(&table, at) else {
                    if let Some(to) = rename_to {
                        // An unreplicated table renamed into the selection.
                        self.rename(&table, &to, statement, at, commit_ts, index)?;
                    }
                    return Ok(());
                };
                let changes_rows = !columns.is_empty() || primary_key_changed || other_changes;
                if changes_rows {
                    self.log_table_event(&e, ChangeOp::Ddl, statement, at, commit_ts, index)?;
                    let what = describe_columns(&columns);
                    self.recopy(e.id, format!("ALTER TABLE {what}"))?;
                }
                if let Some(to) = rename_to {
                    self.rename(&table, &to, statement, at, commit_ts, index)?;
                }
                if !changes_rows {
                    // Rows unchanged, but `SHOW CREATE TABLE` may differ (an index, a table
                    // option): read the definition again.
                    info!(table = %e.qualified_name(), "ALTER TABLE without column changes: rows unchanged");
                    self.redescribe(e.id);
                }
            }
            DdlEffect::RenameTables(pairs) => {
                for (from, to) in pairs {
                    self.rename(&from, &to, statement, at, commit_ts, index)?;
                }
            }
            DdlEffect::Truncate(t) => {
                if let Some(e) = self.followed(&t, at) {
                    self.log_table_event(&e, ChangeOp::Truncate, statement, at, commit_ts, index)?;
                    if matches!(e.state, TableState::Recopying { .. }) {
                        self.recopy(e.id, "TRUNCATE during a copy".into())?;
                    } else {
                        self.clear_rows(e.id)?;
                    }
                }
            }
            DdlEffect::DropTables(tables) => {
                for t in tables {
                    if let Some(e) = self.followed(&t, at) {
                        self.drop_table(&e, statement, at, commit_ts, index)?;
                    }
                }
            }
            DdlEffect::DropDatabase(db) => {
                let doomed: Vec<TableEntry> = self
                    .catalog
                    .tables()
                    .filter(|e| e.schema == db)
                    .filter_map(|e| {
                        self.followed(
                            &TableRef {
                                schema: e.schema.clone(),
                                name: e.name.clone(),
                            },
                            at,
                        )
                    })
                    .collect();
                for e in doomed {
                    self.drop_table(&e, statement, at, commit_ts, index)?;
                }
            }
            DdlEffect::Unknown { tables, reason } => {
                let mut any = false;
                for t in tables {
                    if let Some(e) = self.followed(&t, at) {
                        any = true;
                        self.recopy(e.id, format!("statement not understood ({reason})"))?;
                    }
                }
                if !any {
                    warn!(%statement, %reason, "statement not understood and names no replicated table; ignored");
                }
            }
        }
        Ok(())
    }

    fn drop_table(
        &mut self,
        e: &TableEntry,
        statement: &str,
        at: &StoredPosition,
        commit_ts: u32,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        self.log_table_event(e, ChangeOp::Truncate, statement, at, commit_ts, index)?;
        self.clear_rows(e.id)?;
        let (start, end) = table_range(e.id);
        self.batch
            .delete_range_cf(self.store.cf(CF_PENDING)?, &start, &end);
        self.catalog.remove(&self.store, &mut self.batch, e.id)?;
        self.requests.retain(|r| r.table_id != e.id);
        self.definition_requests.remove(&e.id);
        Ok(())
    }

    /// A table that enters the selection: a catalog entry to be copied.
    fn new_table(&mut self, t: &TableRef, why: &str) -> Result<(), StoreError> {
        let id = self.catalog.allocate_id(&self.store, &mut self.batch)?;
        let entry = TableEntry::new(
            id,
            &t.schema,
            &t.name,
            TableState::Recopying {
                reason: why.into(),
                generation: 0,
            },
        );
        self.catalog.put(&self.store, &mut self.batch, entry)?;
        self.recopy(id, why.into())
    }

    fn rename(
        &mut self,
        from: &TableRef,
        to: &TableRef,
        statement: &str,
        at: &StoredPosition,
        commit_ts: u32,
        index: &mut u32,
    ) -> Result<(), StoreError> {
        let keep = self.selection.matches(&to.schema, &to.name);
        // `None` also when the copy of `from` is newer than this rename: that copy is of
        // another table which took the name later, and the renamed one is now `to`.
        let followed = self.followed(from, at);
        // Another entry already named `to` was copied after this rename (a later listing or
        // copy found the table under its new name): it holds the renamed table already.
        let target = self
            .catalog
            .find(&to.schema, &to.name)
            .filter(|t| followed.as_ref().is_none_or(|f| f.id != t.id))
            .map(|t| t.id);
        match followed {
            Some(e) if keep && target.is_none() => {
                self.log_table_event(&e, ChangeOp::Ddl, statement, at, commit_ts, index)?;
                let mut moved = e.clone();
                moved.create_statement =
                    rename_in_create(&e.create_statement, &from.name, &to.name);
                moved.schema = to.schema.clone();
                moved.name = to.name.clone();
                if let Some(info) = &mut moved.info {
                    info.schema = to.schema.clone();
                    info.name = to.name.clone();
                }
                moved.schema_version += 1;
                self.catalog.put(&self.store, &mut self.batch, moved)?;
                // A copy or description started under the old name finds no such table
                // (or another one) on the source: start it again under the new name.
                if let TableState::Recopying { reason, .. } = &e.state {
                    self.recopy(e.id, reason.clone())?;
                } else if self.definition_requests.contains_key(&e.id) {
                    self.redescribe(e.id);
                }
            }
            Some(e) => self.drop_table(&e, statement, at, commit_ts, index)?,
            None if keep && target.is_none() => {
                self.new_table(to, "renamed into the selection")?;
            }
            None => {}
        }
        Ok(())
    }

    /// Brings a finished copy up to date and makes the table live: replays the changes
    /// held while it was copied (those after the copy's position), then switches it to
    /// streaming, all before the next transaction. A result for a superseded generation
    /// (the table changed again meanwhile) is ignored.
    pub fn finish_recopy(&mut self, result: CopyResult) -> Result<bool, StoreError> {
        if result.definition_only {
            return self.finish_redescribe(result);
        }
        self.flush()?;
        let Some(entry) = self.catalog.get(result.table_id).cloned() else {
            return Ok(false);
        };
        match &entry.state {
            TableState::Recopying { generation, .. } if *generation == result.generation => {}
            _ => return Ok(false),
        }
        let mut live = entry.clone();
        live.info = Some(result.description.info.clone());
        live.column_types = result.description.column_types.clone();
        live.defaults = result.description.defaults.clone();
        live.create_statement = result.description.create_statement.clone();
        live.rows_estimate = result.description.rows_estimate;
        live.schema_version += 1;
        live.state = TableState::Streaming;
        live.segments = vec![Segment {
            upto: None,
            position: result.position.clone(),
        }];
        live.rows_copied = result.rows;
        // In memory only until the end: a crash during the replay leaves the stored entry
        // `Recopying`, and the restart copies again.
        self.catalog.set_in_memory(live.clone());
        self.next_row_id.insert(result.table_id, result.next_row_id);
        let replayed = self.replay_pending(&live)?;
        if matches!(
            self.catalog.get(result.table_id).map(|e| &e.state),
            Some(TableState::Streaming)
        ) {
            let (start, end) = table_range(result.table_id);
            self.batch
                .delete_range_cf(self.store.cf(CF_PENDING)?, &start, &end);
            self.catalog.put(&self.store, &mut self.batch, live)?;
        }
        self.group = self.group.max(1);
        self.flush()?;
        if self.definition_requests.contains_key(&result.table_id) {
            // The definition changed while the table was copied, maybe after the copy
            // described it.
            self.redescribe(result.table_id);
        }
        info!(table = %entry.qualified_name(), rows = result.rows, replayed, position = %result.position, "copy done; the table is live");
        Ok(true)
    }

    /// Takes a definition read again after a change that kept the rows, if it answers the
    /// latest request, the table is still served and its columns and name are the ones the
    /// catalog has. Otherwise a later change superseded it, and that change has the table
    /// described again itself (a copy, or another definition request).
    fn finish_redescribe(&mut self, result: CopyResult) -> Result<bool, StoreError> {
        if self.definition_requests.get(&result.table_id) != Some(&result.generation) {
            return Ok(false);
        }
        self.definition_requests.remove(&result.table_id);
        let Some(entry) = self.catalog.get(result.table_id).cloned() else {
            return Ok(false);
        };
        let d = &result.description;
        if !entry.is_served() || entry.info.as_ref() != Some(&d.info) {
            return Ok(false);
        }
        if entry.create_statement == d.create_statement
            && entry.column_types == d.column_types
            && entry.defaults == d.defaults
        {
            return Ok(true);
        }
        self.flush()?;
        let mut updated = entry;
        updated.column_types = d.column_types.clone();
        updated.defaults = d.defaults.clone();
        updated.create_statement = d.create_statement.clone();
        updated.schema_version += 1;
        self.catalog.put(&self.store, &mut self.batch, updated)?;
        self.group = self.group.max(1);
        self.flush()?;
        Ok(true)
    }

    fn replay_pending(&mut self, entry: &TableEntry) -> Result<u64, StoreError> {
        let (start, end) = table_range(entry.id);
        // One description for every held change (the same Arc, so the applier's table
        // lookup is cached); a mismatch while replaying ends the replay below.
        let Some(info) = entry.info.clone() else {
            return Ok(0);
        };
        let table = Arc::new(info);
        let mut replayed = 0u64;
        let mut from = start.clone();
        loop {
            let cf = self.store.cf(CF_PENDING)?;
            let mut chunk = Vec::with_capacity(1024);
            for item in self
                .store
                .db()
                .iterator_cf(cf, IteratorMode::From(&from, Direction::Forward))
            {
                let (k, v) = item?;
                if k.as_ref() >= end.as_slice() {
                    break;
                }
                chunk.push((k.to_vec(), v.to_vec()));
                if chunk.len() == 1024 {
                    break;
                }
            }
            let Some((last, _)) = chunk.last() else { break };
            from = last.clone();
            from.push(0);
            for (_, v) in chunk {
                let (p, _): (PendingChange, usize) =
                    bincode::serde::decode_from_slice(&v, config::standard())
                        .map_err(|e| StoreError::Corrupt(format!("pending change: {e}")))?;
                if !matches!(
                    self.catalog.get(entry.id).map(|e| &e.state),
                    Some(TableState::Streaming)
                ) {
                    return Ok(replayed); // a mismatch started another copy
                }
                let rc = RowChange {
                    table: table.clone(),
                    kind: p.kind,
                    before: p.before,
                    after: p.after,
                };
                let ctx = Ctx {
                    at: &p.position,
                    gtid: p.gtid.as_deref(),
                    commit_ts: p.commit_ts,
                };
                self.seq += 1;
                let mut index = 0;
                self.apply_row(&rc, &ctx, &mut index)?;
                replayed += 1;
            }
            if self.batch.len() > 10_000 {
                self.group = self.group.max(1);
                self.flush()?;
            }
        }
        Ok(replayed)
    }
}

struct Ctx<'a> {
    at: &'a StoredPosition,
    gtid: Option<&'a str>,
    commit_ts: u32,
}

/// Does the binlog's description of a row image fit the catalog's?
fn check_image(catalog: &TableInfo, image: &TableInfo) -> Result<(), String> {
    if catalog.columns.len() != image.columns.len() {
        return Err(format!(
            "the binlog has {} columns, the copy {}",
            image.columns.len(),
            catalog.columns.len()
        ));
    }
    for (i, (c, b)) in catalog.columns.iter().zip(&image.columns).enumerate() {
        if c.column_type != b.column_type {
            return Err(format!(
                "column {} has binlog type {} but catalog type {}",
                c.display_name(i),
                b.column_type,
                c.column_type
            ));
        }
        if let (Some(cn), Some(bn)) = (&c.name, &b.name) {
            if !cn.eq_ignore_ascii_case(bn) {
                return Err(format!("column {} is named {bn} in the binlog", i + 1));
            }
        }
    }
    Ok(())
}

/// A table's `schema.table` for error messages, formatted only when an error is made
/// (not once per applied row).
struct Name<'a>(&'a TableInfo);

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0.schema, self.0.name)
    }
}

fn need<'a>(img: &'a Option<Row>, table: &Name<'_>, what: &str) -> Result<&'a Row, StoreError> {
    img.as_ref().ok_or_else(|| mismatch(table, what))
}

fn mismatch(table: &impl std::fmt::Display, problem: &str) -> StoreError {
    StoreError::Mismatch {
        table: table.to_string(),
        problem: problem.to_string(),
    }
}

fn stored(table: &Name<'_>, bytes: &[u8]) -> Result<Row, StoreError> {
    decode_row(bytes).map_err(|error| StoreError::Codec {
        table: table.to_string(),
        error,
    })
}

/// The after image completed from `base`: absent columns keep the stored value, JSON
/// diffs are applied to the stored JSON.
fn merge(table: &Name<'_>, base: &Row, after: &Row) -> Result<Row, StoreError> {
    let mut out = Vec::with_capacity(after.len());
    for (i, v) in after.iter().enumerate() {
        let old = base.get(i).cloned().flatten();
        out.push(match v {
            None => old,
            Some(Value::JsonDiffs(diffs)) => {
                let base_text = match &old {
                    Some(Value::Json(t)) => t.clone(),
                    Some(Value::Null) | None => "null".to_string(),
                    Some(other) => {
                        return Err(mismatch(
                            table,
                            &format!("JSON diff on column {} holding {other:?}", i + 1),
                        ))
                    }
                };
                let text = apply_json_diffs(&base_text, diffs)
                    .map_err(|e| mismatch(table, &format!("column {}: {e}", i + 1)))?;
                Some(Value::Json(text))
            }
            Some(v) => Some(v.clone()),
        });
    }
    Ok(out)
}

fn describe_columns(cols: &[ColumnChange]) -> String {
    if cols.is_empty() {
        return "(table options)".into();
    }
    cols.iter()
        .map(|c| match c {
            ColumnChange::Add(n) => format!("ADD {n}"),
            ColumnChange::Drop(n) => format!("DROP {n}"),
            ColumnChange::Modify(n) => format!("MODIFY {n}"),
            ColumnChange::Change { old, new } => format!("CHANGE {old} {new}"),
            ColumnChange::Rename { old, new } => format!("RENAME {old} TO {new}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SHOW CREATE TABLE` text with the table's name replaced (the statement starts
/// ``CREATE TABLE `name` ``).
fn rename_in_create(create: &str, from: &str, to: &str) -> String {
    let quoted = |n: &str| format!("`{}`", n.replace('`', "``"));
    let old = format!("CREATE TABLE {}", quoted(from));
    match create.strip_prefix(&old) {
        Some(rest) => format!("CREATE TABLE {}{rest}", quoted(to)),
        None => create.to_string(),
    }
}

/// Milliseconds since the epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
