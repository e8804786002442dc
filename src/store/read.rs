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
