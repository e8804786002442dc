//! The DataFusion context a statement runs in: one catalog `def` whose schemas are the
//! source databases and whose tables are the served tables ([`StoreTable`]), MySQL
//! options and functions, and the statement's pinned view of the store.
//!
//! Building a context (registering every function, one provider per table) costs far more
//! than a point select, so a base context is built once per catalog version (the raw bytes
//! of the catalog column family: equal bytes, equal catalog) and each statement clones it,
//! sets its default schema (the session's database) and attaches its [`PinnedView`] as a
//! config extension, which the table providers read when they scan. Every table of one
//! statement therefore reads the same committed state.
//!
//! Names: MySQL database and table names are looked up exactly first, then
//! case-insensitively (so `shop.Orders` answers to `orders`); column names are
//! case-insensitive (Arrow field names are lower case, the statement's identifiers are
//! lower-cased in `sql.rs`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::common::DataFusionError;
use datafusion::datasource::TableProvider;
use datafusion::execution::context::{SessionContext, SessionState};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::SessionConfig;

use super::engine::Session;
use super::result::SqlError;
use super::table::StoreTable;
use crate::store::catalog::Catalog;
use crate::store::read::PinnedView;

/// The catalog name MySQL reports (`TABLE_CATALOG`).
pub const CATALOG: &str = "def";

/// The default schema of a session without a current database: looking a table up in it
/// gives error 1046.
pub const NO_DATABASE: &str = "\u{0}no database";

/// A statement's planning state and the view its tables read.
pub struct StatementContext {
    /// DataFusion state to plan and run the statement with.
    pub state: SessionState,
    /// The pinned view (also in `state`'s config extensions).
    pub view: Arc<PinnedView>,
}

/// A base context for one catalog version.
struct Cached {
    engine: usize,
    catalog: Arc<Catalog>,
    bytes: Arc<Vec<u8>>,
    state: SessionState,
}

fn cache() -> &'static Mutex<Vec<Arc<Cached>>> {
    static CACHE: OnceLock<Mutex<Vec<Arc<Cached>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(Vec::new()))
}

/// Most engines whose base contexts are kept (tests run several in one process).
const CACHED_ENGINES: usize = 8;

/// Pins the store and returns the context a statement of `session` runs in.
pub fn statement_context(session: &Session) -> Result<StatementContext, SqlError> {
    let engine = &session.engine;
    let key = Arc::as_ptr(engine) as usize;
    let cached = cache()
        .lock()
        .ok()
        .and_then(|c| c.iter().find(|c| c.engine == key).cloned());
    let view = PinnedView::new(
        engine.store.clone(),
        cached.as_ref().map(|c| (&c.catalog, &c.bytes)),
    )
    .map_err(|e| SqlError::internal(format!("reading the copy: {e}")))?;
    let view = Arc::new(view);
    let base = match cached {
        Some(c) if Arc::ptr_eq(&c.bytes, view.catalog_bytes()) => c,
        _ => {
            let state =
                base_state(view.catalog()).map_err(|e| SqlError::internal(e.to_string()))?;
            let c = Arc::new(Cached {
                engine: key,
                catalog: view.catalog().clone(),
                bytes: view.catalog_bytes().clone(),
                state,
            });
            if let Ok(mut all) = cache().lock() {
                all.retain(|x| x.engine != key);
                if all.len() >= CACHED_ENGINES {
                    all.remove(0);
                }
                all.push(c.clone());
            }
            c
        }
    };
    let mut state = base.state.clone();
    let config = state.config_mut();
    config.options_mut().catalog.default_schema = session
        .database
        .clone()
        .unwrap_or_else(|| NO_DATABASE.to_string());
    config.set_extension(view.clone());
    Ok(StatementContext { state, view })
}

/// The options every statement runs with.
fn config() -> SessionConfig {
    let mut config = SessionConfig::new()
        .with_default_catalog_and_schema(CATALOG, NO_DATABASE)
        .with_create_default_catalog_and_schema(false)
        .with_information_schema(false)
        .with_target_partitions(2)
        .with_batch_size(super::table::BATCH_ROWS);
    let opts = config.options_mut();
    opts.sql_parser.enable_ident_normalization = true;
    // MySQL: NULL is the smallest value (first ascending, last descending).
    opts.sql_parser.default_null_ordering = "nulls_min".to_string();
    // Strings stay Utf8 (what the tables produce) instead of Utf8View.
    opts.sql_parser.map_string_types_to_utf8view = false;
    // MySQL's own options (src/query/mysql).
    super::mysql::configure(config)
}

/// A context with MySQL's functions and one provider per served table of `catalog`.
fn base_state(catalog: &Catalog) -> Result<SessionState, DataFusionError> {
    let state = SessionStateBuilder::new()
        .with_config(config())
        .with_default_features()
        .build();
    let ctx = SessionContext::new_with_state(state);
    ctx.register_catalog(CATALOG, Arc::new(StoreCatalog::new(catalog)));
    // MySQL functions and semantics (src/query/mysql).
    super::mysql::install(&ctx)?;
    // MySQL-shaped information_schema of this catalog version (a schema registered in
    // catalog `def` with `CatalogProvider::register_schema`).
    super::information_schema::register(&ctx, catalog)?;
    Ok(ctx.state())
}

/// Catalog `def`: one schema per source database.
#[derive(Debug)]
pub struct StoreCatalog {
    schemas: BTreeMap<String, Arc<StoreSchema>>,
    extra: RwLock<HashMap<String, Arc<dyn SchemaProvider>>>,
}

impl StoreCatalog {
    /// The served tables of `catalog`, grouped by database.
    pub fn new(catalog: &Catalog) -> StoreCatalog {
        let mut schemas: BTreeMap<String, StoreSchema> = BTreeMap::new();
        for entry in catalog.tables() {
            if !entry.is_served() {
                continue;
            }
            let Some(shared) = catalog.shared(entry.id) else {
                continue;
            };
            let s = schemas
                .entry(entry.schema.clone())
                .or_insert_with(|| StoreSchema::new(&entry.schema));
            s.tables
                .insert(entry.name.clone(), Arc::new(StoreTable::new(shared)));
        }
        StoreCatalog {
            schemas: schemas.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
            extra: RwLock::new(HashMap::new()),
        }
    }

    fn find(&self, name: &str) -> Option<Arc<StoreSchema>> {
        if let Some(s) = self.schemas.get(name) {
            return Some(s.clone());
        }
        self.schemas
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

impl CatalogProvider for StoreCatalog {
    fn schema_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.schemas.keys().cloned().collect();
        if let Ok(extra) = self.extra.read() {
            names.extend(extra.keys().cloned());
        }
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if let Ok(extra) = self.extra.read() {
            if let Some(s) = extra.get(&name.to_ascii_lowercase()) {
                return Some(s.clone());
            }
        }
        if name == NO_DATABASE {
            return Some(Arc::new(Missing { database: None }));
        }
        match self.find(name) {
            Some(s) => Some(s),
            // MySQL answers `SELECT … FROM nodb.t` with 1146 for `nodb.t`.
            None => Some(Arc::new(Missing {
                database: Some(name.to_string()),
            })),
        }
    }

    fn register_schema(
        &self,
        name: &str,
        schema: Arc<dyn SchemaProvider>,
    ) -> Result<Option<Arc<dyn SchemaProvider>>, DataFusionError> {
        let mut extra = self
            .extra
            .write()
            .map_err(|_| DataFusionError::Internal("catalog lock poisoned".into()))?;
        Ok(extra.insert(name.to_ascii_lowercase(), schema))
    }
}

/// One source database.
#[derive(Debug)]
pub struct StoreSchema {
    name: String,
    tables: BTreeMap<String, Arc<StoreTable>>,
}

impl StoreSchema {
    fn new(name: &str) -> StoreSchema {
        StoreSchema {
            name: name.to_string(),
            tables: BTreeMap::new(),
        }
    }

    /// The table named `name`: exactly, else case-insensitively.
    pub fn find(&self, name: &str) -> Option<Arc<StoreTable>> {
        if let Some(t) = self.tables.get(name) {
            return Some(t.clone());
        }
        self.tables
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, t)| t.clone())
    }
}

#[async_trait]
impl SchemaProvider for StoreSchema {
    fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        match self.find(name) {
            Some(t) => Ok(Some(t)),
            None => Err(sql_error(SqlError::no_such_table(&self.name, name))),
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.find(name).is_some()
    }
}

/// A database that is not replicated (or none selected): every table lookup fails with
/// MySQL's error.
#[derive(Debug)]
struct Missing {
    database: Option<String>,
}

#[async_trait]
impl SchemaProvider for Missing {
    fn table_names(&self) -> Vec<String> {
        vec![]
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        Err(sql_error(match &self.database {
            Some(db) => SqlError::no_such_table(db, name),
            None => SqlError::no_database(),
        }))
    }

    fn table_exist(&self, _name: &str) -> bool {
        false
    }
}

/// A MySQL error carried through DataFusion (found again by `sql.rs`).
pub fn sql_error(e: SqlError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}
