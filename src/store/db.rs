//! The RocksDB database under a data directory: its column families, open modes, the
//! durability policy of writes, and pinned read views.
//!
//! # Layout
//!
//! | column family | key | value |
//! |---|---|---|
//! | `meta` | a name (`format`, `position`, `changelog-seq`, …) | JSON |
//! | `catalog` | table id (4 bytes BE) | JSON [`super::catalog::TableEntry`] |
//! | `rows` | table id (4 BE) + memcomparable primary key, or + hidden row id (8 BE) | [`super::codec`] row |
//! | `dups` | table id (4 BE) + row hash (8 BE) + row id (8 BE), tables without a primary key | empty |
//! | `changelog` | sequence (8 BE) + row index (4 BE) | [`super::changelog`] record |
//! | `pending` | table id (4 BE) + sequence (8 BE) + row index (4 BE) | changes held while the table is being copied |
//!
//! Every write goes through [`Store::write`], one atomic `WriteBatch`: rows, position,
//! catalog and change log of one or more whole source transactions together. That is the
//! crash-safety argument (docs/architecture.md): RocksDB applies a batch entirely or not at
//! all after a crash, so the stored position is always the position of exactly the rows
//! stored.

use std::path::{Path, PathBuf};

pub use rocksdb::IteratorMode;
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DBCompressionType, Options,
    SnapshotWithThreadMode, WriteBatch, WriteOptions, DB,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::StoreError;

/// Column family of small named values (format version, position, counters).
pub const CF_META: &str = "meta";
/// Column family of table definitions and per-table replication state.
pub const CF_CATALOG: &str = "catalog";
/// Column family of the rows themselves.
pub const CF_ROWS: &str = "rows";
/// Column family of the full-row hash index of tables without a primary key.
pub const CF_DUPS: &str = "dups";
/// Column family of the change log (every applied row change, for change exports).
pub const CF_CHANGELOG: &str = "changelog";
/// Column family of changes held back for a table while it is being (re)copied.
pub const CF_PENDING: &str = "pending";

const ALL_CFS: [&str; 6] = [
    CF_META,
    CF_CATALOG,
    CF_ROWS,
    CF_DUPS,
    CF_CHANGELOG,
    CF_PENDING,
];

/// The on-disk layout version this build writes (meta key `format`).
pub const STORE_FORMAT: u32 = 1;

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every write fsyncs the write-ahead log: a committed position survives power loss.
    #[default]
    Sync,
    /// The write-ahead log is written but not fsynced: survives a crash of replicant, not
    /// of the machine (the OS flushes within seconds).
    Buffered,
}

/// An open data directory.
pub struct Store {
    db: DB,
    path: PathBuf,
    durability: Durability,
    read_only: bool,
}

/// A pinned, transaction-consistent view of the store: every read through it sees the
/// state after the same committed batch, whatever is written meanwhile.
pub type ReadView<'a> = SnapshotWithThreadMode<'a, DB>;

impl Store {
    /// Opens (creating if needed) the data directory for replication.
    ///
    /// Only one process may hold a data directory open for writing (RocksDB's `LOCK`);
    /// a second `replicant run` gets a clear error.
    pub fn open(path: &Path, durability: Durability) -> Result<Store, StoreError> {
        std::fs::create_dir_all(path).map_err(|e| StoreError::Io {
            path: path.to_path_buf(),
            error: e,
        })?;
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_keep_log_file_num(5);
        opts.increase_parallelism(2);
        let cache = Cache::new_lru_cache(BLOCK_CACHE_BYTES);
        let cfs = ALL_CFS
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, cf_options(name, &cache)))
            .collect::<Vec<_>>();
        let db = DB::open_cf_descriptors(&opts, path, cfs).map_err(|e| {
            let text = e.to_string();
            if text.contains("lock") || text.contains("LOCK") {
                StoreError::Locked {
                    path: path.to_path_buf(),
                    detail: text,
                }
            } else {
                StoreError::Rocks(e)
            }
        })?;
        let store = Store {
            db,
            path: path.to_path_buf(),
            durability,
            read_only: false,
        };
        store.check_format(true)?;
        Ok(store)
    }

    /// Opens an existing data directory read-only (for `status` and exports), also while
    /// `replicant run` has it open: the view is the state at open time.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.join("CURRENT").exists() {
            return Err(StoreError::NotADataDir(path.to_path_buf()));
        }
        let opts = Options::default();
        let db = DB::open_cf_for_read_only(&opts, path, ALL_CFS, false)?;
        let store = Store {
            db,
            path: path.to_path_buf(),
            durability: Durability::Sync,
            read_only: true,
        };
        store.check_format(false)?;
        Ok(store)
    }

    fn check_format(&self, write_if_new: bool) -> Result<(), StoreError> {
        match self.get_meta::<u32>("format")? {
            Some(v) if v == STORE_FORMAT => Ok(()),
            Some(v) => Err(StoreError::Format {
                found: v,
                supported: STORE_FORMAT,
            }),
            None if write_if_new => {
                let mut batch = WriteBatch::default();
                self.put_meta(&mut batch, "format", &STORE_FORMAT)?;
                self.write(batch)
            }
            None => Err(StoreError::NotADataDir(self.path.clone())),
        }
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The column family `name` (one of the `CF_*` constants).
    pub fn cf(&self, name: &str) -> Result<&ColumnFamily, StoreError> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| StoreError::Corrupt(format!("column family `{name}` is missing")))
    }

    /// The underlying database, for iterators and gets.
    pub fn db(&self) -> &DB {
        &self.db
    }

    /// Commits a batch atomically, fsyncing the WAL first when durability is `Sync`.
    pub fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(self.durability == Durability::Sync);
        self.db.write_opt(batch, &wo)?;
        Ok(())
    }

    /// Reads a JSON value from the meta column family.
    pub fn get_meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        match self.db.get_cf(self.cf(CF_META)?, key.as_bytes())? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("meta `{key}`: {e}"))),
        }
    }

    /// Adds a JSON value for the meta column family to `batch`.
    pub fn put_meta<T: Serialize>(
        &self,
        batch: &mut WriteBatch,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| StoreError::Corrupt(format!("meta `{key}`: {e}")))?;
        batch.put_cf(self.cf(CF_META)?, key.as_bytes(), bytes);
        Ok(())
    }

    /// Pins the current committed state for reading.
    pub fn read_view(&self) -> ReadView<'_> {
        self.db.snapshot()
    }
}

/// Bytes of uncompressed blocks kept in memory, shared by every column family (RocksDB's
/// default is 32 MiB). Queries re-read the same tables: without it, each scan of a table
/// bigger than the cache decompressed every block again (zstd at the bottom level was
/// most of a GROUP BY's time over 250k sysbench rows). An LRU bound, not a reservation:
/// memory is used as blocks are read. The analogue of InnoDB's buffer pool.
pub const BLOCK_CACHE_BYTES: usize = 256 << 20;

/// Per column family tuning: rows and change log are compressed (lz4, zstd at the
/// bottom), point lookups use bloom filters, blocks are cached in `cache`.
fn cf_options(name: &str, cache: &Cache) -> Options {
    let mut opts = Options::default();
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    table.set_bloom_filter(10.0, false);
    table.set_block_size(16 * 1024);
    opts.set_block_based_table_factory(&table);
    match name {
        CF_ROWS | CF_CHANGELOG | CF_PENDING => {
            opts.set_compression_type(DBCompressionType::Lz4);
            opts.set_bottommost_compression_type(DBCompressionType::Zstd);
            opts.set_write_buffer_size(64 << 20);
        }
        _ => opts.set_compression_type(DBCompressionType::None),
    }
    opts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trips_and_format_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), Durability::Sync).unwrap();
            let mut b = WriteBatch::default();
            store.put_meta(&mut b, "x", &42u64).unwrap();
            store.write(b).unwrap();
            assert_eq!(store.get_meta::<u64>("x").unwrap(), Some(42));
        }
        {
            let ro = Store::open_read_only(dir.path()).unwrap();
            assert_eq!(ro.get_meta::<u64>("x").unwrap(), Some(42));
            assert!(matches!(
                ro.write(WriteBatch::default()),
                Err(StoreError::ReadOnly)
            ));
        }
        {
            let store = Store::open(dir.path(), Durability::Sync).unwrap();
            let mut b = WriteBatch::default();
            store.put_meta(&mut b, "format", &99u32).unwrap();
            store.write(b).unwrap();
        }
        let err = Store::open(dir.path(), Durability::Sync).err().unwrap();
        assert!(err.to_string().contains("newer"), "{err}");
    }

    #[test]
    fn a_second_writer_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Store::open(dir.path(), Durability::Buffered).unwrap();
        let err = Store::open(dir.path(), Durability::Buffered).err().unwrap();
        assert!(err.to_string().contains("another replicant"), "{err}");
        // Readers are fine while the writer runs.
        Store::open_read_only(dir.path()).unwrap();
    }

    #[test]
    fn read_only_open_of_a_missing_dir_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open_read_only(&dir.path().join("nope"))
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("not a replicant data directory"),
            "{err}"
        );
    }
}
