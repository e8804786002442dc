//! Reading the copy: a table's rows in primary-key order from a pinned read view, so a
//! reader sees exactly one committed state (never half a transaction), whatever the applier
//! writes meanwhile.

use rocksdb::{IteratorMode, ReadOptions};

use super::catalog::{Catalog, StoredPosition, TableEntry};
use super::codec::decode_row;
use super::db::{ReadView, Store, CF_ROWS};
use super::error::StoreError;
use super::rows::table_range;
use crate::source::change::Row;

/// A consistent view of the whole copy: the catalog and position as of one committed
/// batch, and its rows.
pub struct Snapshot<'a> {
    store: &'a Store,
    view: ReadView<'a>,
    /// The catalog as of the view.
    pub catalog: Catalog,
    /// The position of the last transaction the view contains.
    pub position: Option<StoredPosition>,
}

impl<'a> Snapshot<'a> {
    /// Pins the current committed state.
    pub fn new(store: &'a Store) -> Result<Snapshot<'a>, StoreError> {
        let view = store.read_view();
        let catalog = Catalog::load_from(store, &view)?;
        let position = match view.get_cf(store.cf(super::db::CF_META)?, b"position")? {
            Some(b) => Some(
                serde_json::from_slice(&b)
                    .map_err(|e| StoreError::Corrupt(format!("meta `position`: {e}")))?,
            ),
            None => None,
        };
        Ok(Snapshot {
            store,
            view,
            catalog,
            position,
        })
    }

    /// Calls `f` with every row of `table`, in primary-key order (insertion order for
    /// tables without a key). Stops at the first error `f` returns.
    pub fn for_each_row(
        &self,
        table: &TableEntry,
        mut f: impl FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let (start, end) = table_range(table.id);
        let mut opts = ReadOptions::default();
        opts.set_iterate_upper_bound(end);
        let cf = self.store.cf(CF_ROWS)?;
        let it = self.view.iterator_cf_opt(
            cf,
            opts,
            IteratorMode::From(&start, rocksdb::Direction::Forward),
        );
        for item in it {
            let (_, value) = item?;
            let row = decode_row(&value).map_err(|error| StoreError::Codec {
                table: table.qualified_name(),
                error,
            })?;
            f(row)?;
        }
        Ok(())
    }

    /// Every row of `schema.name` (tests and small tables; large readers use
    /// [`Snapshot::for_each_row`]). `None` when the table is not served.
    pub fn rows(&self, schema: &str, name: &str) -> Result<Option<Vec<Row>>, StoreError> {
        let Some(entry) = self.catalog.find(schema, name) else {
            return Ok(None);
        };
        if !entry.is_served() {
            return Ok(None);
        }
        let mut out = Vec::new();
        self.for_each_row(entry, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(Some(out))
    }
}

self_cell::self_cell!(
    /// An `Arc<Store>` and a RocksDB snapshot borrowing it, kept together.
    struct OwnedSnapshot {
        owner: std::sync::Arc<Store>,
        #[covariant]
        dependent: ReadView,
    }
);

/// An owned, shareable pinned view of the whole copy: like [`Snapshot`], but holding its
/// store through an `Arc`, so it can live in `'static` query streams and be shared by
/// every table a statement reads (joins and subqueries see the same committed state).
///
/// The RocksDB snapshot borrows the store; `self_cell` keeps the pair together and drops
/// the snapshot before the store.
pub struct PinnedView {
    snapshot: OwnedSnapshot,
    catalog: std::sync::Arc<Catalog>,
    catalog_bytes: std::sync::Arc<Vec<u8>>,
    position: Option<StoredPosition>,
}

impl std::fmt::Debug for PinnedView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinnedView")
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

/// One bound of a key range of [`PinnedView::scan`]: full `rows` keys (table prefix
/// included).
pub type KeyBound = std::ops::Bound<Vec<u8>>;

impl PinnedView {
    /// Pins the current committed state of `store`.
    ///
    /// `cached` is a catalog loaded earlier with the raw catalog bytes it came from: when
    /// the pinned catalog's bytes are the same, that catalog is reused instead of parsing
    /// every entry again (the common case: the catalog changes only with DDL and copies).
    pub fn new(
        store: std::sync::Arc<Store>,
        cached: Option<(&std::sync::Arc<Catalog>, &std::sync::Arc<Vec<u8>>)>,
    ) -> Result<PinnedView, StoreError> {
        let snapshot = OwnedSnapshot::new(store, |s| s.read_view());
        let (raw, position) = {
            let store = snapshot.borrow_owner();
            let view = snapshot.borrow_dependent();
            let mut raw = Vec::new();
            let cf = store.cf(super::db::CF_CATALOG)?;
            for item in view.iterator_cf(cf, IteratorMode::Start) {
                let (k, v) = item?;
                raw.extend_from_slice(&(k.len() as u64).to_le_bytes());
                raw.extend_from_slice(&k);
                raw.extend_from_slice(&(v.len() as u64).to_le_bytes());
                raw.extend_from_slice(&v);
            }
            let position = match view.get_cf(store.cf(super::db::CF_META)?, b"position")? {
                Some(b) => Some(
                    serde_json::from_slice(&b)
                        .map_err(|e| StoreError::Corrupt(format!("meta `position`: {e}")))?,
                ),
                None => None,
            };
            (raw, position)
        };
        let (catalog, catalog_bytes) = match cached {
            Some((catalog, bytes)) if bytes.as_slice() == raw.as_slice() => {
                (catalog.clone(), bytes.clone())
            }
            _ => {
                let catalog =
                    Catalog::load_from(snapshot.borrow_owner(), snapshot.borrow_dependent())?;
                (std::sync::Arc::new(catalog), std::sync::Arc::new(raw))
            }
        };
        Ok(PinnedView {
            snapshot,
            catalog,
            catalog_bytes,
            position,
        })
    }

    /// The store the view reads.
    pub fn store(&self) -> &Store {
        self.snapshot.borrow_owner()
    }

    /// The catalog as of the view.
    pub fn catalog(&self) -> &std::sync::Arc<Catalog> {
        &self.catalog
    }

    /// The raw catalog bytes the catalog was loaded from (identity of a catalog version:
    /// equal bytes, equal catalog).
    pub fn catalog_bytes(&self) -> &std::sync::Arc<Vec<u8>> {
        &self.catalog_bytes
    }

    /// The position of the last transaction the view contains.
    pub fn position(&self) -> Option<&StoredPosition> {
        self.position.as_ref()
    }

    /// The stored row under `key` (a full `rows` key), undecoded.
    pub fn get_row(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let cf = self.store().cf(CF_ROWS)?;
        Ok(self.snapshot.borrow_dependent().get_cf(cf, key)?)
    }

    /// Calls `f(key, value)` for every stored row with a key in `(lower, upper)`, in key
    /// order, until `f` returns `Ok(false)` or an error. Keys are full `rows` keys; both
    /// bounds must lie within one table's range.
    pub fn scan(
        &self,
        lower: &KeyBound,
        upper: &KeyBound,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        use std::ops::Bound;
        let cf = self.store().cf(CF_ROWS)?;
        let mut opts = ReadOptions::default();
        match upper {
            Bound::Excluded(u) => opts.set_iterate_upper_bound(u.clone()),
            Bound::Included(u) => {
                let mut next = u.clone();
                next.push(0);
                opts.set_iterate_upper_bound(next)
            }
            Bound::Unbounded => {}
        }
        let mut it = self
            .snapshot
            .borrow_dependent()
            .raw_iterator_cf_opt(cf, opts);
        match lower {
            Bound::Included(l) => it.seek(l),
            Bound::Excluded(l) => {
                let mut next = l.clone();
                next.push(0);
                it.seek(&next)
            }
            Bound::Unbounded => it.seek_to_first(),
        }
        while it.valid() {
            let (Some(k), Some(v)) = (it.key(), it.value()) else {
                break;
            };
            if !f(k, v)? {
                return Ok(());
            }
            it.next();
        }
        it.status()?;
        Ok(())
    }
}
