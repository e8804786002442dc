//! The change log: every row change applied to the copy, with its operation, source
//! position, commit time and full before/after images, kept for a configurable time so
//! change exports can read "what happened between two positions" (including deletes,
//! which an incremental `LastUpdated` extract never sees).
//!
//! # Format
//!
//! Key: transaction sequence (8 bytes BE, one per applied source transaction, increasing),
//! then the index of the change in it (4 bytes BE). Value: a version byte
//! ([`CHANGELOG_FORMAT_V1`]), then bincode 2 (serde, standard config) of [`ChangeRecord`].
//! Images are whole rows after merging partial images, so a record stands alone.

use bincode::config;
use rocksdb::{IteratorMode, WriteBatch};
use serde::{Deserialize, Serialize};

use super::db::{Store, CF_CHANGELOG};
use super::error::StoreError;
use super::rows::sequence_key;
use crate::source::value::Value;

/// Version byte of a change log record.
pub const CHANGELOG_FORMAT_V1: u8 = 1;

/// What a change log record says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeOp {
    /// A row was inserted (`after`).
    Insert,
    /// A row was changed (`before`, `after`).
    Update,
    /// A row was deleted (`before`).
    Delete,
    /// The table was emptied (TRUNCATE) or dropped.
    Truncate,
    /// A schema change (`statement`).
    Ddl,
}

/// One change log record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRecord {
    /// `schema` of the table at the time.
    pub schema: String,
    /// Table name at the time.
    pub table: String,
    /// What happened.
    pub op: ChangeOp,
    /// Binlog file of the transaction's end position.
    pub file: String,
    /// Offset of the transaction's end position.
    pub pos: u64,
    /// The transaction's GTID, if any.
    pub gtid: Option<String>,
    /// Commit time on the source (seconds since the epoch).
    pub commit_ts: u32,
    /// The row before (update, delete).
    pub before: Option<Vec<Value>>,
    /// The row after (insert, update).
    pub after: Option<Vec<Value>>,
    /// The statement, for `Ddl`.
    pub statement: Option<String>,
}

/// Adds a record to `batch`.
pub fn append(
    store: &Store,
    batch: &mut WriteBatch,
    seq: u64,
    index: u32,
    record: &ChangeRecord,
) -> Result<(), StoreError> {
    let mut bytes = vec![CHANGELOG_FORMAT_V1];
    bincode::serde::encode_into_std_write(record, &mut bytes, config::standard())
        .map_err(|e| StoreError::Corrupt(format!("change log record: {e}")))?;
    batch.put_cf(store.cf(CF_CHANGELOG)?, sequence_key(seq, index), bytes);
    Ok(())
}

/// Decodes a stored record.
pub fn decode(bytes: &[u8]) -> Result<ChangeRecord, StoreError> {
    match bytes.split_first() {
        Some((&CHANGELOG_FORMAT_V1, body)) => {
            let cfg = config::standard().with_limit::<{ 1 << 31 }>();
            let (rec, used): (ChangeRecord, usize) =
                bincode::serde::decode_from_slice(body, cfg)
                    .map_err(|e| StoreError::Corrupt(format!("change log record: {e}")))?;
            if used != body.len() {
                return Err(StoreError::Corrupt(
                    "change log record: trailing bytes".into(),
                ));
            }
            Ok(rec)
        }
        Some((v, _)) => Err(StoreError::Corrupt(format!(
            "change log record format {v} is unknown to this replicant (upgrade it)"
        ))),
        None => Err(StoreError::Corrupt("empty change log record".into())),
    }
}

/// Removes records of transactions committed before `cutoff` (seconds since the epoch).
/// Returns how many transactions' records were removed. Reads only the expired head.
pub fn prune(store: &Store, cutoff: u32) -> Result<u64, StoreError> {
    let cf = store.cf(CF_CHANGELOG)?;
    let mut end: Option<Vec<u8>> = None;
    let mut first: Option<Vec<u8>> = None;
    let mut removed = 0u64;
    let mut last_seq = None;
    for item in store.db().iterator_cf(cf, IteratorMode::Start) {
        let (key, value) = item?;
        let rec = decode(&value)?;
        if rec.commit_ts >= cutoff {
            end = Some(key.to_vec());
            break;
        }
        if first.is_none() {
            first = Some(key.to_vec());
        }
        let seq = key.get(..8).map(|s| s.to_vec());
        if seq != last_seq {
            removed += 1;
            last_seq = seq;
        }
    }
    let Some(first) = first else { return Ok(0) };
    let end = end.unwrap_or_else(|| vec![0xff; 13]);
    let mut batch = WriteBatch::default();
    batch.delete_range_cf(cf, first, end);
    store.write(batch)?;
    Ok(removed)
}

/// The oldest and newest retained records' positions and times, for status and for the
/// "log does not go back that far" error.
pub fn bounds(store: &Store) -> Result<Option<(ChangeRecord, ChangeRecord)>, StoreError> {
    let cf = store.cf(CF_CHANGELOG)?;
    let first = store.db().iterator_cf(cf, IteratorMode::Start).next();
    let last = store.db().iterator_cf(cf, IteratorMode::End).next();
    match (first, last) {
        (Some(a), Some(b)) => Ok(Some((decode(&a?.1)?, decode(&b?.1)?))),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db::Durability;

    fn rec(ts: u32) -> ChangeRecord {
        ChangeRecord {
            schema: "db".into(),
            table: "t".into(),
            op: ChangeOp::Insert,
            file: "b.000001".into(),
            pos: 100,
            gtid: Some("0-1-5".into()),
            commit_ts: ts,
            before: None,
            after: Some(vec![
                Value::Int(1),
                Value::Bytes(b"x".to_vec()),
                Value::Null,
            ]),
            statement: None,
        }
    }

    #[test]
    fn records_round_trip_and_prune_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Durability::Buffered).unwrap();
        let mut b = WriteBatch::default();
        for seq in 1..=5u64 {
            for i in 0..2 {
                append(&store, &mut b, seq, i, &rec(1000 + seq as u32)).unwrap();
            }
        }
        store.write(b).unwrap();
        let (first, last) = bounds(&store).unwrap().unwrap();
        assert_eq!((first.commit_ts, last.commit_ts), (1001, 1005));
        assert_eq!(first, rec(1001));
        assert_eq!(prune(&store, 1003).unwrap(), 2);
        let (first, _) = bounds(&store).unwrap().unwrap();
        assert_eq!(first.commit_ts, 1003);
        assert_eq!(prune(&store, 1003).unwrap(), 0);
        assert_eq!(prune(&store, u32::MAX).unwrap(), 3);
        assert!(bounds(&store).unwrap().is_none());
    }

    #[test]
    fn garbage_records_are_errors_not_panics() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[9, 1, 2]).is_err());
        assert!(decode(&[1, 0xff, 0xff, 0xff]).is_err());
        let mut ok = vec![1];
        bincode::serde::encode_into_std_write(rec(1), &mut ok, config::standard()).unwrap();
        for n in 0..ok.len() {
            let _ = decode(&ok[..n]);
        }
        ok.push(0);
        assert!(decode(&ok).is_err());
    }
}
