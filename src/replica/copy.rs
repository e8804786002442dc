//! Copying one table from the source into the store, consistent with a binlog position.
//!
//! - The **initial copy** (before streaming starts) is resumable: after every chunk the
//!   rows, the key of the last copied row and the catalog's segment are written in one
//!   batch, so after a crash the copy continues after that key in a new consistent-read
//!   transaction, recorded as a new segment with its own position (see
//!   [`crate::store::catalog::Segment`]). Tables without a primary key cannot be
//!   paginated and start over.
//! - A **recopy** (while streaming continues, after a schema change that could not be
//!   followed) writes rows only and reports a [`CopyResult`]; the applier replays the
//!   changes it held meanwhile. A newer recopy of the same table supersedes it
//!   ([`CopyGuard`]).
//!
//! Rows are read by keyset pagination in primary-key order, `chunk_rows` at a time (or
//! streamed, for tables without a key), so memory stays flat whatever the table size.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use indicatif::ProgressBar;
use mysql_async::prelude::Queryable;
use rocksdb::WriteBatch;

use crate::source::connect::{connect, SourceOptions};
use crate::source::error::SourceError;
use crate::source::schema::declared_table;
use crate::source::snapshot::{self, describe_table, key_of, read_all, read_chunk, SnapshotRow};
use crate::source::table::TableInfo;
use crate::store::apply::{CopyResult, TableDescription};
use crate::store::catalog::{write_entry, Segment, StoredPosition, TableEntry, TableState};
use crate::store::codec::encode_row;
use crate::store::db::{CF_DUPS, CF_ROWS};
use crate::store::rows::{
    dup_key, hidden_row_key, keyed_row_key, primary_key_bytes, row_hash, table_range,
};
use crate::store::{Store, StoreError};

use super::ReplicaError;

/// The current copy generation of each table being recopied: a copy writes a chunk only
/// while its generation is current, so a superseded copy can never leave rows behind.
#[derive(Debug, Clone, Default)]
pub struct CopyGuard(Arc<Mutex<HashMap<u32, u64>>>);

impl CopyGuard {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<u32, u64>) -> T) -> T {
        let mut map = match self.0.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut map)
    }
}

/// Writes chunks of rows of one table into the store.
struct RowWriter<'a> {
    store: &'a Store,
    id: u32,
    info: &'a TableInfo,
    next_row_id: u64,
    buf: Vec<u8>,
}

impl RowWriter<'_> {
    /// Adds `rows` to `batch`; returns the encoded key of the last keyed row.
    fn add(
        &mut self,
        batch: &mut WriteBatch,
        rows: &[SnapshotRow],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let table = self.info.qualified_name();
        let rows_cf = self.store.cf(CF_ROWS)?;
        let dups_cf = self.store.cf(CF_DUPS)?;
        let mut last = None;
        for row in rows {
            self.buf.clear();
            encode_row(row, &mut self.buf).map_err(|error| StoreError::Codec {
                table: table.clone(),
                error,
            })?;
            if self.info.primary_key.is_empty() {
                let rid = self.next_row_id;
                self.next_row_id += 1;
                batch.put_cf(dups_cf, dup_key(self.id, row_hash(&self.buf), rid), []);
                batch.put_cf(rows_cf, hidden_row_key(self.id, rid), &self.buf);
            } else {
                let pk = primary_key_bytes(self.info, row)?;
                batch.put_cf(rows_cf, keyed_row_key(self.id, &pk), &self.buf);
                last = Some(pk);
            }
        }
        Ok(last)
    }
}

fn clear_table(store: &Store, batch: &mut WriteBatch, id: u32) -> Result<(), StoreError> {
    let (start, end) = table_range(id);
    batch.delete_range_cf(store.cf(CF_ROWS)?, &start, &end);
    batch.delete_range_cf(store.cf(CF_DUPS)?, &start, &end);
    Ok(())
}

async fn describe(
    conn: &mut mysql_async::Conn,
    schema: &str,
    name: &str,
) -> Result<TableDescription, SourceError> {
    let info = describe_table(conn, schema, name).await?;
    let declared = declared_table(conn, schema, name).await?;
    Ok(TableDescription {
        info,
        column_types: declared.column_types,
        defaults: declared.defaults,
        create_statement: declared.create_statement,
        rows_estimate: declared.rows_estimate,
    })
}

/// Runs (or resumes) the initial copy of `entry`, which must be in state `Copying`.
/// Returns the finished entry (state `Streaming`), already stored.
pub async fn initial_copy(
    source: &SourceOptions,
    store: &Store,
    mut entry: TableEntry,
    chunk_rows: usize,
    bar: &ProgressBar,
) -> Result<TableEntry, ReplicaError> {
    let (mut conn, _) = connect(source).await?;
    let point = snapshot::begin(&mut conn).await?;
    let position = StoredPosition::from(&point.position);
    let desc = describe(&mut conn, &entry.schema, &entry.name).await?;
    let table = entry.qualified_name();
    let resumable = entry.resume_after.is_some()
        && entry.info.as_ref() == Some(&desc.info)
        && !desc.info.primary_key.is_empty();
    let mut batch = WriteBatch::default();
    if resumable {
        let upto = entry.segments.last().and_then(|s| s.upto.clone());
        entry.segments.push(Segment { upto, position });
        tracing::info!(%table, copied = entry.rows_copied, "resuming the copy after the last copied key");
    } else {
        clear_table(store, &mut batch, entry.id)?;
        entry.segments = vec![Segment {
            upto: Some(Vec::new()),
            position,
        }];
        entry.resume_after = None;
        entry.rows_copied = 0;
    }
    entry.info = Some(desc.info.clone());
    entry.column_types = desc.column_types;
    entry.defaults = desc.defaults;
    entry.create_statement = desc.create_statement;
    entry.rows_estimate = desc.rows_estimate;
    write_entry(store, &mut batch, &entry)?;
    store.write(batch)?;
    bar.set_length(entry.rows_estimate.max(entry.rows_copied));
    bar.set_position(entry.rows_copied);

    let info = desc.info;
    let mut writer = RowWriter {
        store,
        id: entry.id,
        info: &info,
        next_row_id: 1,
        buf: Vec::with_capacity(256),
    };
    if info.primary_key.is_empty() {
        let mut copied = 0u64;
        read_all(&mut conn, &info, chunk_rows, |rows| {
            let mut batch = WriteBatch::default();
            writer
                .add(&mut batch, &rows)
                .and_then(|_| store.write(batch))
                .map_err(|e| SourceError::Protocol(e.to_string()))?;
            copied += rows.len() as u64;
            bar.set_position(copied);
            Ok(())
        })
        .await?;
        entry.rows_copied = copied;
    } else {
        let mut after = entry.resume_after.clone();
        loop {
            let rows = read_chunk(&mut conn, &info, after.as_deref(), chunk_rows).await?;
            let done = rows.len() < chunk_rows;
            let mut batch = WriteBatch::default();
            if let Some(last_key) = writer.add(&mut batch, &rows)? {
                if let Some(seg) = entry.segments.last_mut() {
                    seg.upto = Some(last_key);
                }
            }
            if let Some(last) = rows.last() {
                after = Some(key_of(&info, last));
            }
            entry.rows_copied += rows.len() as u64;
            entry.resume_after = after.clone();
            write_entry(store, &mut batch, &entry)?;
            store.write(batch)?;
            bar.set_position(entry.rows_copied);
            if done {
                break;
            }
        }
    }
    let _ = conn.query_drop("COMMIT").await;
    // The last segment covers every key above the previous one, also keys inserted later.
    if let Some(seg) = entry.segments.last_mut() {
        seg.upto = None;
    }
    entry.resume_after = None;
    entry.state = TableState::Streaming;
    entry.schema_version = entry.schema_version.max(1);
    let mut batch = WriteBatch::default();
    write_entry(store, &mut batch, &entry)?;
    store.write(batch)?;
    bar.set_position(entry.rows_copied);
    Ok(entry)
}

/// Copies a table again while streaming continues; see the module doc.
#[allow(clippy::too_many_arguments)]
pub async fn recopy(
    source: &SourceOptions,
    store: &Store,
    guard: &CopyGuard,
    table_id: u32,
    generation: u64,
    schema: &str,
    name: &str,
    chunk_rows: usize,
) -> Result<Option<CopyResult>, ReplicaError> {
    // Claim the table: from here on, older copies cannot write.
    guard.with(|g| g.insert(table_id, generation));
    let current = || guard.with(|g| g.get(&table_id) == Some(&generation));
    let (mut conn, _) = connect(source).await?;
    let point = snapshot::begin(&mut conn).await?;
    let position = StoredPosition::from(&point.position);
    let desc = match describe(&mut conn, schema, name).await {
        Ok(d) => d,
        Err(e) if vanished(&e) => {
            // The table is gone on the source: no copy; its DROP or RENAME follows in the
            // stream (a rename asks for a copy under the new name).
            tracing::info!(table = %format!("{schema}.{name}"), error = %e, "table vanished before it could be copied");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    {
        let mut batch = WriteBatch::default();
        clear_table(store, &mut batch, table_id)?;
        guard.with(|g| {
            if g.get(&table_id) == Some(&generation) {
                store.write(batch)
            } else {
                Ok(())
            }
        })?;
    }
    let info = desc.info.clone();
    let mut writer = RowWriter {
        store,
        id: table_id,
        info: &info,
        next_row_id: 1,
        buf: Vec::with_capacity(256),
    };
    let write = |rows: &[SnapshotRow], writer: &mut RowWriter<'_>| -> Result<bool, StoreError> {
        let mut batch = WriteBatch::default();
        writer.add(&mut batch, rows)?;
        guard.with(|g| {
            if g.get(&table_id) == Some(&generation) {
                store.write(batch).map(|_| true)
            } else {
                Ok(false)
            }
        })
    };
    let mut rows_copied = 0u64;
    let copied: Result<bool, ReplicaError> = async {
        if info.primary_key.is_empty() {
            let mut superseded = false;
            read_all(&mut conn, &info, chunk_rows, |rows| {
                if !superseded {
                    superseded = !write(&rows, &mut writer)
                        .map_err(|e| SourceError::Protocol(e.to_string()))?;
                    rows_copied += rows.len() as u64;
                }
                Ok(())
            })
            .await?;
            return Ok(!superseded);
        }
        let mut after: Option<Vec<crate::source::value::Value>> = None;
        loop {
            let rows = read_chunk(&mut conn, &info, after.as_deref(), chunk_rows).await?;
            if !write(&rows, &mut writer)? {
                return Ok(false);
            }
            rows_copied += rows.len() as u64;
            if rows.len() < chunk_rows {
                return Ok(true);
            }
            after = rows.last().map(|r| key_of(&info, r));
        }
    }
    .await;
    match copied {
        Ok(true) => {}
        Ok(false) => return Ok(None),
        Err(ReplicaError::Source(e)) if vanished(&e) => {
            // Renamed or dropped between the description and the read.
            tracing::info!(table = %format!("{schema}.{name}"), error = %e, "table vanished while it was copied");
            return Ok(None);
        }
        Err(e) => return Err(e),
    }
    let _ = conn.query_drop("COMMIT").await;
    if !current() {
        return Ok(None);
    }
    Ok(Some(CopyResult {
        table_id,
        generation,
        description: desc,
        position,
        rows: rows_copied,
        next_row_id: writer.next_row_id,
        definition_only: false,
    }))
}

/// Describes a table again after a change that kept its rows (an index, a table option),
/// for [`crate::store::apply::Applier::finish_recopy`]; `None` when the table is gone.
pub async fn describe_again(
    source: &SourceOptions,
    table_id: u32,
    generation: u64,
    schema: &str,
    name: &str,
) -> Result<Option<CopyResult>, ReplicaError> {
    let (mut conn, _) = connect(source).await?;
    let point = snapshot::begin(&mut conn).await?;
    let described = describe(&mut conn, schema, name).await;
    let _ = conn.query_drop("COMMIT").await;
    let _ = conn.disconnect().await;
    let description = match described {
        Ok(d) => d,
        Err(e) if vanished(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(Some(CopyResult {
        table_id,
        generation,
        description,
        position: StoredPosition::from(&point.position),
        rows: 0,
        next_row_id: 0,
        definition_only: true,
    }))
}

/// The table does not exist (any more) under that name: described as missing, or the
/// server's "no such table" (1146) while reading it.
fn vanished(e: &SourceError) -> bool {
    match e {
        SourceError::Config(_) => true,
        SourceError::Connection(mysql_async::Error::Server(s)) => s.code == 1146,
        _ => false,
    }
}
