//! Keys of the `rows`, `dups`, `pending` and `changelog` column families.
//!
//! Every row key starts with the table's 4-byte big-endian id, so one table is one
//! contiguous key range (dropped or truncated with one range delete) and a scan in key
//! order is the source's primary key order (see [`super::keys`]). Tables without a primary
//! key use a hidden 8-byte row id instead of the key, and an index from a hash of the whole
//! row to its row ids (`dups`), which is how an UPDATE or DELETE finds "one of the rows
//! equal to this before-image".

use crate::source::change::Row;
use crate::source::table::TableInfo;
use crate::source::value::Value;

use super::error::StoreError;
use super::keys::encode_key;

/// The 4-byte prefix of every key of table `id`.
pub fn table_prefix(id: u32) -> [u8; 4] {
    id.to_be_bytes()
}

/// `[start, end)` covering every key of table `id` (ids are below `u32::MAX`: the catalog
/// never allocates the last one, whose range would have no finite end).
pub fn table_range(id: u32) -> (Vec<u8>, Vec<u8>) {
    let start = table_prefix(id).to_vec();
    let end = match id.checked_add(1) {
        Some(n) => n.to_be_bytes().to_vec(),
        None => vec![0xff; 5],
    };
    (start, end)
}

/// The `rows` key of a keyed row: table prefix + the memcomparable primary key.
pub fn keyed_row_key(id: u32, encoded_pk: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(4 + encoded_pk.len());
    k.extend_from_slice(&table_prefix(id));
    k.extend_from_slice(encoded_pk);
    k
}

/// The `rows` key of a row of a table without a primary key.
pub fn hidden_row_key(id: u32, row_id: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&table_prefix(id));
    k[4..].copy_from_slice(&row_id.to_be_bytes());
    k
}

/// The hidden row id of a `rows` key of a table without a primary key.
pub fn row_id_of(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.get(4..12)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// The `dups` prefix of the rows of table `id` whose stored bytes hash to `hash`.
pub fn dup_prefix(id: u32, hash: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&table_prefix(id));
    k[4..].copy_from_slice(&hash.to_be_bytes());
    k
}

/// The `dups` key of one row.
pub fn dup_key(id: u32, hash: u64, row_id: u64) -> [u8; 20] {
    let mut k = [0u8; 20];
    k[..12].copy_from_slice(&dup_prefix(id, hash));
    k[12..].copy_from_slice(&row_id.to_be_bytes());
    k
}

/// 64-bit FNV-1a of a stored row's bytes: stable across builds and platforms (it is
/// persisted in `dups` keys), and good enough to spread rows; equal hashes are always
/// confirmed by comparing the rows.
pub fn row_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The encoded primary key of `row` (which must hold every key column).
pub fn primary_key_bytes(info: &TableInfo, row: &Row) -> Result<Vec<u8>, StoreError> {
    let mut cols = Vec::with_capacity(info.primary_key.len());
    for &k in &info.primary_key {
        let col = info.columns.get(k).ok_or_else(|| StoreError::Mismatch {
            table: info.qualified_name(),
            problem: format!("primary key column {k} is not a column"),
        })?;
        let value: &Value =
            row.get(k)
                .and_then(|v| v.as_ref())
                .ok_or_else(|| StoreError::Mismatch {
                    table: info.qualified_name(),
                    problem: format!(
                        "the row image lacks primary key column {}",
                        col.display_name(k)
                    ),
                })?;
        cols.push((col, value));
    }
    let mut out = Vec::with_capacity(16);
    encode_key(&mut out, &cols).map_err(|error| StoreError::Key {
        table: info.qualified_name(),
        error,
    })?;
    Ok(out)
}

/// The `changelog` (and `pending`) key suffix: transaction sequence + index in it.
pub fn sequence_key(seq: u64, index: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&seq.to_be_bytes());
    k[8..].copy_from_slice(&index.to_be_bytes());
    k
}

/// The `pending` key of a change held for table `id`.
pub fn pending_key(id: u32, seq: u64, index: u32) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..4].copy_from_slice(&table_prefix(id));
    k[4..].copy_from_slice(&sequence_key(seq, index));
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_layouts_sort_by_table_then_key() {
        assert!(hidden_row_key(1, u64::MAX).as_slice() < hidden_row_key(2, 0).as_slice());
        assert!(hidden_row_key(1, 255).as_slice() < hidden_row_key(1, 256).as_slice());
        assert_eq!(row_id_of(&hidden_row_key(7, 42)), Some(42));
        assert_eq!(row_id_of(b"abc"), None);
        let (s, e) = table_range(1);
        assert!(s.as_slice() <= hidden_row_key(1, 0).as_slice());
        assert!(hidden_row_key(1, u64::MAX).as_slice() < e.as_slice());
        let (_, e) = table_range(u32::MAX - 1);
        assert!(keyed_row_key(u32::MAX - 1, &[0xff; 30]).as_slice() < e.as_slice());
        assert!(dup_key(1, 5, 9).starts_with(&dup_prefix(1, 5)));
        assert!(sequence_key(1, u32::MAX) < sequence_key(2, 0));
        assert!(pending_key(3, 9, 0).starts_with(&table_prefix(3)));
    }

    #[test]
    fn row_hash_is_the_fnv1a_reference() {
        // Published FNV-1a 64 test vectors: the hash is persisted, so it must never change.
        assert_eq!(row_hash(b""), 0xcbf29ce484222325);
        assert_eq!(row_hash(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(row_hash(b"foobar"), 0x85944171f73967e8);
    }
}
