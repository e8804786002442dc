//! Primary-key point lookups without DataFusion.
//!
//! `SELECT c FROM sbtest1 WHERE id = ?` is the most common statement a replica serves
//! (sysbench `oltp_point_select`, ORM lookups by id), and planning it in DataFusion costs
//! far more than the one RocksDB read that answers it. This module recognizes that shape
//! and answers it directly:
//!
//! ```text
//! SELECT <col | col AS alias | *>[, …] FROM [db.]t WHERE <key col> = <literal | ?> [AND …]
//! ```
//!
//! where the conditions name every column of an integer primary key exactly once, and
//! nothing else is there (no joins, grouping, ordering, LIMIT, functions, variables,
//! comments, qualified columns, duplicate result names). Anything else — and any case the
//! fast path is not certain to answer exactly as the normal path — returns `None` and the
//! statement takes the normal route unchanged (which also produces every error: unknown
//! table, no database, bad column, …).
//!
//! Recognition parses with sqlparser's MySQL dialect; prepared statements' shapes are
//! cached by text. Execution resolves the table as `context.rs` does (names lower-cased,
//! only exact matches taken here), checks in a RocksDB snapshot that the table's catalog
//! entry is byte-for-byte the one the cached plan was built from (so schema changes,
//! renames and re-copies are noticed), converts the key value as the normal path's key
//! pushdown would (`table.rs`), reads the one row from the same snapshot, and converts it
//! through the same Arrow types and [`RowWriter`] as the normal path, so values, column
//! definitions, `time_zone` and `sql_select_limit` behave identically.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, GroupByExpr, Ident, ObjectNamePart, Query, Select, SelectFlavor,
    SelectItem, SetExpr, Statement, TableFactor, UnaryOperator, Value as SqlValue,
};
use datafusion::sql::sqlparser::dialect::MySqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use jiff::tz::TimeZone;
use mysql_common::value::Value as MyValue;

use super::engine::Session;
use super::output::{column_def, RowWriter};
use super::result::{ColumnDef, Outcome, ResultSet};
use super::table::{days_from_civil, parse_decimal_i128, parse_decimal_i256};
use super::types::{arrow_type, table_layout, Conversion, META_NAME};
use crate::source::table::{types, ColumnInfo};
use crate::source::text::{to_utf8, Charset};
use crate::source::value::Value;
use crate::store::catalog::TableEntry;
use crate::store::codec::decode_row;
use crate::store::db::{CF_CATALOG, CF_ROWS};
use crate::store::keys::encode_key;
use crate::store::rows::keyed_row_key;
use crate::store::Store;

/// Longest statement text the fast path looks at.
const MAX_TEXT: usize = 2048;
/// Most statement shapes kept (prepared statements' texts); the cache is emptied when full.
const MAX_SHAPES: usize = 1024;
/// Most stores whose catalogs are kept (tests run several engines in one process).
const MAX_STORES: usize = 8;
/// How often an unknown table name may trigger a reload of the catalog.
const RELOAD_ON_MISS: Duration = Duration::from_secs(1);

/// Answers `sql` (with `params` for a prepared statement's placeholders) when it is a
/// primary-key point lookup; `None`: take the normal path.
///
/// `prepared` says the text is a prepared statement's (its shape is cached by text;
/// texts of plain queries carry their literals and are parsed each time).
pub fn try_execute(
    session: &mut Session,
    sql: &str,
    params: &[MyValue],
    prepared: bool,
) -> Option<Outcome> {
    if !ENABLED.load(Ordering::Relaxed) || !prefilter(sql) {
        return None;
    }
    let shape = shape_of(sql, prepared)?;
    if shape.params != params.len() {
        return None;
    }
    let out = run(session, &shape, params)?;
    session.warnings.clear();
    ANSWERED.fetch_add(1, Ordering::Relaxed);
    Some(out)
}

static ANSWERED: AtomicU64 = AtomicU64::new(0);
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns the fast path on or off for the whole process (on by default). Off, every
/// statement takes the normal path: for comparisons of the two and as a safety switch.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// How many statements the fast path has answered since the process started (for tests
/// and diagnostics: whether a statement shape takes it).
pub fn answered() -> u64 {
    ANSWERED.load(Ordering::Relaxed)
}

/// Cheap text checks before parsing: a SELECT with nothing the fast path never takes
/// (comments, variables, calls or parentheses, double quotes, huge texts).
fn prefilter(sql: &str) -> bool {
    let t = sql.trim_start();
    if t.len() > MAX_TEXT {
        return false;
    }
    let Some(head) = t.get(..6) else {
        return false;
    };
    if !head.eq_ignore_ascii_case("select") {
        return false;
    }
    !t.bytes()
        .any(|b| matches!(b, b'@' | b'(' | b'"' | b'#' | b'/' | b'\\'))
        && !t.contains("--")
}

// ---------------------------------------------------------------------------------------
// Recognition
// ---------------------------------------------------------------------------------------

/// One result item.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    /// `*`: every column, named as on the source.
    Wildcard,
    /// A plain column: its lower-cased name (the Arrow field's) and the result name (as
    /// written, or the alias).
    Column {
        /// Lower-cased column name.
        column: String,
        /// The result column's name.
        name: String,
    },
}

/// The value a key column must equal.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// The `n`-th placeholder (0-based).
    Param(usize),
    /// A literal, as a protocol value (integers, strings, NULL).
    Literal(MyValue),
}

/// A recognized point lookup.
struct Shape {
    /// The database as written (`db.t`), if any.
    database: Option<String>,
    /// The table as written.
    table: String,
    /// Result items in order.
    items: Vec<Item>,
    /// Conditions: lower-cased column name and the value it must equal.
    conditions: Vec<(String, Operand)>,
    /// Number of placeholders.
    params: usize,
    /// The last binding of this shape to a table (prepared statements reuse it).
    bound: Mutex<Option<Arc<Bound>>>,
}

fn shapes() -> &'static RwLock<HashMap<String, Option<Arc<Shape>>>> {
    static SHAPES: OnceLock<RwLock<HashMap<String, Option<Arc<Shape>>>>> = OnceLock::new();
    SHAPES.get_or_init(|| RwLock::new(HashMap::new()))
}

/// The shape of `sql`: from the cache, else parsed (and cached when `prepared`).
fn shape_of(sql: &str, prepared: bool) -> Option<Arc<Shape>> {
    if let Some(hit) = shapes().read().ok().and_then(|m| m.get(sql).cloned()) {
        return hit;
    }
    let shape = recognize(sql).map(Arc::new);
    if prepared {
        if let Ok(mut m) = shapes().write() {
            if m.len() >= MAX_SHAPES {
                m.clear();
            }
            m.insert(sql.to_string(), shape.clone());
        }
    }
    shape
}

/// Parses `sql` and returns its shape when it is a point lookup the fast path takes.
fn recognize(sql: &str) -> Option<Shape> {
    let mut statements = Parser::parse_sql(&MySqlDialect {}, sql).ok()?;
    if statements.len() != 1 {
        return None;
    }
    let Statement::Query(query) = statements.pop()? else {
        return None;
    };
    let select = plain_select(&query)?;
    let (database, table) = single_table(select)?;
    let mut items = Vec::with_capacity(select.projection.len());
    let mut names: Vec<String> = Vec::with_capacity(select.projection.len());
    for item in &select.projection {
        let it = match item {
            SelectItem::UnnamedExpr(Expr::Identifier(i)) => {
                let column = column_name(i)?;
                Item::Column {
                    name: i.value.clone(),
                    column,
                }
            }
            SelectItem::ExprWithAlias {
                expr: Expr::Identifier(i),
                alias,
            } => {
                // The normal path names the field by the lower-cased alias (which must be
                // unique) and shows the alias as written.
                let column = column_name(i)?;
                names.push(plain_ident(alias)?.to_lowercase());
                items.push(Item::Column {
                    column,
                    name: alias.value.clone(),
                });
                continue;
            }
            SelectItem::Wildcard(opts) => {
                if opts.opt_ilike.is_some()
                    || opts.opt_exclude.is_some()
                    || opts.opt_except.is_some()
                    || opts.opt_replace.is_some()
                    || opts.opt_rename.is_some()
                    || opts.opt_alias.is_some()
                {
                    return None;
                }
                Item::Wildcard
            }
            _ => return None,
        };
        if let Item::Column { column, .. } = &it {
            names.push(column.clone());
        }
        items.push(it);
    }
    // One wildcard at most, and nothing beside it (the table's columns would repeat).
    let wildcards = items.iter().filter(|i| **i == Item::Wildcard).count();
    if wildcards > 1 || (wildcards == 1 && items.len() > 1) || items.is_empty() {
        return None;
    }
    // Result names must be distinct (the planner refuses duplicates).
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != names.len() {
        return None;
    }
    let mut conditions = Vec::new();
    let mut params = 0usize;
    conjuncts(select.selection.as_ref()?, &mut conditions, &mut params)?;
    // Each condition names a different column.
    let mut cols: Vec<&String> = conditions.iter().map(|(c, _)| c).collect();
    cols.sort();
    cols.dedup();
    if cols.len() != conditions.len() {
        return None;
    }
    Some(Shape {
        database,
        table,
        items,
        conditions,
        params,
        bound: Mutex::new(None),
    })
}

/// The query's body when it is one plain SELECT with no clause beyond FROM and WHERE.
fn plain_select(q: &Query) -> Option<&Select> {
    if q.with.is_some()
        || q.order_by.is_some()
        || q.limit_clause.is_some()
        || q.fetch.is_some()
        || !q.locks.is_empty()
        || q.for_clause.is_some()
        || q.settings.is_some()
        || q.format_clause.is_some()
        || !q.pipe_operators.is_empty()
    {
        return None;
    }
    let SetExpr::Select(s) = q.body.as_ref() else {
        return None;
    };
    let s = s.as_ref();
    let no_group =
        matches!(&s.group_by, GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty());
    if !s.optimizer_hints.is_empty()
        || s.distinct.is_some()
        || s.select_modifiers.is_some()
        || s.top.is_some()
        || s.exclude.is_some()
        || s.into.is_some()
        || !s.lateral_views.is_empty()
        || s.prewhere.is_some()
        || !s.connect_by.is_empty()
        || !no_group
        || !s.cluster_by.is_empty()
        || !s.distribute_by.is_empty()
        || !s.sort_by.is_empty()
        || s.having.is_some()
        || !s.named_window.is_empty()
        || s.qualify.is_some()
        || s.value_table_mode.is_some()
        || s.flavor != SelectFlavor::Standard
    {
        return None;
    }
    Some(s)
}

/// `[db.]t` of a FROM with one plain table (no alias, join, hints or partitions).
fn single_table(s: &Select) -> Option<(Option<String>, String)> {
    let [from] = s.from.as_slice() else {
        return None;
    };
    if !from.joins.is_empty() {
        return None;
    }
    let TableFactor::Table {
        name,
        alias: None,
        args: None,
        with_hints,
        version: None,
        with_ordinality: false,
        partitions,
        json_path: None,
        sample: None,
        index_hints,
    } = &from.relation
    else {
        return None;
    };
    if !with_hints.is_empty() || !partitions.is_empty() || !index_hints.is_empty() {
        return None;
    }
    let mut parts = Vec::with_capacity(2);
    for p in &name.0 {
        let ObjectNamePart::Identifier(i) = p else {
            return None;
        };
        parts.push(plain_ident(i)?.to_string());
    }
    match parts.as_mut_slice() {
        [t] => Some((None, std::mem::take(t))),
        [d, t] => Some((Some(std::mem::take(d)), std::mem::take(t))),
        _ => None,
    }
}

/// An identifier's text: unquoted or in backticks (no other quoting, no `@`).
fn plain_ident(i: &Ident) -> Option<&str> {
    match i.quote_style {
        None if !i.value.contains('@') => Some(&i.value),
        Some('`') => Some(&i.value),
        _ => None,
    }
}

/// The Arrow field name a column identifier refers to (MySQL column names are
/// case-insensitive; fields are lower case).
fn column_name(i: &Ident) -> Option<String> {
    Some(plain_ident(i)?.to_lowercase())
}

/// Splits `a = x AND b = y …` into conditions; `None` for anything else.
fn conjuncts(e: &Expr, out: &mut Vec<(String, Operand)>, params: &mut usize) -> Option<()> {
    let Expr::BinaryOp { left, op, right } = e else {
        return None;
    };
    match op {
        BinaryOperator::And => {
            conjuncts(left, out, params)?;
            conjuncts(right, out, params)
        }
        BinaryOperator::Eq => {
            let (column, operand) = match (left.as_ref(), right.as_ref()) {
                (Expr::Identifier(i), v) => (column_name(i)?, operand(v, params)?),
                (v, Expr::Identifier(i)) => {
                    let o = operand(v, params)?;
                    (column_name(i)?, o)
                }
                _ => return None,
            };
            out.push((column, operand));
            Some(())
        }
        _ => None,
    }
}

/// A placeholder or a literal the fast path can compare exactly.
fn operand(e: &Expr, params: &mut usize) -> Option<Operand> {
    match e {
        Expr::Value(v) => match &v.value {
            SqlValue::Placeholder(p) if p == "?" => {
                let n = *params;
                *params += 1;
                Some(Operand::Param(n))
            }
            SqlValue::Number(text, false) => number(text, false).map(Operand::Literal),
            SqlValue::SingleQuotedString(s) => {
                Some(Operand::Literal(MyValue::Bytes(s.as_bytes().to_vec())))
            }
            SqlValue::Null => Some(Operand::Literal(MyValue::NULL)),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match expr.as_ref() {
            Expr::Value(v) => match &v.value {
                SqlValue::Number(text, false) => number(text, true).map(Operand::Literal),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// An integer literal's value (canonical decimal digits only).
fn number(text: &str, negative: bool) -> Option<MyValue> {
    if !canonical_integer(text) {
        return None;
    }
    if negative {
        if text == "0" {
            return None;
        }
        let magnitude: u64 = text.parse().ok()?;
        let v = 0i64.checked_sub_unsigned(magnitude)?;
        Some(MyValue::Int(v))
    } else if let Ok(v) = text.parse::<i64>() {
        Some(MyValue::Int(v))
    } else {
        text.parse::<u64>().ok().map(MyValue::UInt)
    }
}

/// `0` or digits without a leading zero.
fn canonical_integer(text: &str) -> bool {
    match text.as_bytes() {
        [b'0'] => true,
        [first, rest @ ..] => (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit),
        [] => false,
    }
}

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

/// One served table as the fast path reads it, built from one version of its catalog
/// entry (`bytes`).
struct TablePlan {
    /// The catalog entry's stored bytes: the plan is valid while they are unchanged.
    bytes: Vec<u8>,
    entry: Arc<TableEntry>,
    /// Arrow schema of the whole table (fields with MySQL metadata, as `table_layout`).
    schema: SchemaRef,
    /// Per column: conversion and labels.
    readers: Vec<Reader>,
    /// Key columns in key order: table column index and definition. Empty when the key
    /// is not all integers (then the fast path is not taken).
    key: Vec<(usize, ColumnInfo)>,
}

/// How one column's stored values convert (as `table.rs`'s column readers).
struct Reader {
    conversion: Conversion,
    data_type: DataType,
    labels: Vec<String>,
}

impl TablePlan {
    fn new(bytes: Vec<u8>, entry: Arc<TableEntry>) -> TablePlan {
        let layout = table_layout(&entry);
        let readers = super::table::column_conversions(&entry, &layout)
            .into_iter()
            .map(|(conversion, labels)| Reader {
                data_type: arrow_type(&conversion),
                conversion,
                labels,
            })
            .collect();
        let key: Vec<(usize, ColumnInfo)> = match &entry.info {
            Some(info) => info
                .primary_key
                .iter()
                .filter_map(|&k| info.columns.get(k).map(|c| (k, c.clone())))
                .collect(),
            None => vec![],
        };
        let all_int = key.iter().all(|(_, c)| {
            matches!(
                c.column_type,
                types::TINY | types::SHORT | types::INT24 | types::LONG | types::LONGLONG
            )
        });
        let key_complete = entry
            .info
            .as_ref()
            .is_some_and(|i| i.primary_key.len() == key.len());
        TablePlan {
            bytes,
            schema: layout.schema,
            readers,
            key: if all_int && key_complete { key } else { vec![] },
            entry,
        }
    }
}

/// The served tables of one store's catalog, by exact name.
struct CatalogCache {
    /// When it was loaded.
    loaded: Instant,
    /// Served tables: (database, table) → id.
    names: HashMap<(String, String), u32>,
    /// Served tables by id.
    tables: HashMap<u32, CachedTable>,
}

/// A served table's catalog entry (its stored bytes and parsed form) and its plan, built
/// on first use.
type CachedTable = (Vec<u8>, Arc<TableEntry>, OnceLock<Arc<TablePlan>>);

impl CatalogCache {
    /// Loads every entry of the catalog as of `view`.
    fn load(store: &Store, view: &crate::store::db::ReadView<'_>) -> Option<CatalogCache> {
        let cf = store.cf(CF_CATALOG).ok()?;
        let mut names = HashMap::new();
        let mut tables = HashMap::new();
        for item in view.iterator_cf(cf, rocksdb::IteratorMode::Start) {
            let (_, value) = item.ok()?;
            let entry: TableEntry = serde_json::from_slice(&value).ok()?;
            if !entry.is_served() {
                continue;
            }
            // As `StoreCatalog`: a later id with the same name wins.
            names.insert((entry.schema.clone(), entry.name.clone()), entry.id);
            tables.insert(entry.id, (value.to_vec(), Arc::new(entry), OnceLock::new()));
        }
        Some(CatalogCache {
            loaded: Instant::now(),
            names,
            tables,
        })
    }

    /// The plan of served table `id`.
    fn plan(&self, id: u32) -> Option<Arc<TablePlan>> {
        let (bytes, entry, plan) = self.tables.get(&id)?;
        Some(
            plan.get_or_init(|| Arc::new(TablePlan::new(bytes.clone(), entry.clone())))
                .clone(),
        )
    }
}

type Catalogs = RwLock<Vec<(usize, Arc<CatalogCache>)>>;

fn catalogs() -> &'static Catalogs {
    static CATALOGS: OnceLock<Catalogs> = OnceLock::new();
    CATALOGS.get_or_init(|| RwLock::new(Vec::new()))
}

/// The cached catalog of `store` (identified by address: a plan is only used after its
/// entry's bytes are checked against the store it reads, so a reused address is harmless).
fn cached_catalog(store: usize) -> Option<Arc<CatalogCache>> {
    catalogs()
        .read()
        .ok()?
        .iter()
        .find(|(s, _)| *s == store)
        .map(|(_, c)| c.clone())
}

fn put_catalog(store: usize, cache: Arc<CatalogCache>) {
    if let Ok(mut all) = catalogs().write() {
        all.retain(|(s, _)| *s != store);
        if all.len() >= MAX_STORES {
            all.remove(0);
        }
        all.push((store, cache));
    }
}

// ---------------------------------------------------------------------------------------
// Binding and execution
// ---------------------------------------------------------------------------------------

/// A shape bound to one table version and result collation: what an execution needs.
struct Bound {
    store: usize,
    database: String,
    collation: u16,
    plan: Arc<TablePlan>,
    /// Table column index of each result column.
    projection: Vec<usize>,
    /// The result columns' Arrow schema (fields of the table).
    schema: SchemaRef,
    /// The result columns as the normal path defines them.
    columns: Vec<ColumnDef>,
    /// Per key column (key order): the column and the operand it must equal.
    key: Vec<(ColumnInfo, Operand)>,
    /// A TIMESTAMP column is in the result (values depend on `time_zone`).
    instants: bool,
}

/// Binds `shape` to `plan`; `None` when a column is unknown (the normal path reports it)
/// or the conditions are not exactly the integer primary key.
fn bind(
    shape: &Shape,
    plan: Arc<TablePlan>,
    store: usize,
    database: &str,
    collation: u16,
) -> Option<Bound> {
    if plan.key.is_empty() || plan.key.len() != shape.conditions.len() {
        return None;
    }
    let mut key = Vec::with_capacity(plan.key.len());
    for (index, col) in &plan.key {
        let field = plan.schema.fields().get(*index)?;
        let (_, operand) = shape.conditions.iter().find(|(c, _)| c == field.name())?;
        key.push((col.clone(), operand.clone()));
    }
    let mut projection = Vec::new();
    let mut columns = Vec::new();
    for item in &shape.items {
        match item {
            Item::Wildcard => {
                for (i, f) in plan.schema.fields().iter().enumerate() {
                    let name = f
                        .metadata()
                        .get(META_NAME)
                        .cloned()
                        .unwrap_or_else(|| f.name().clone());
                    projection.push(i);
                    columns.push(column_def(f, &name, collation));
                }
            }
            Item::Column { column, name } => {
                let i = plan.schema.index_of(column).ok()?;
                let f = plan.schema.fields().get(i)?;
                projection.push(i);
                columns.push(column_def(f, name, collation));
            }
        }
    }
    let schema = Arc::new(plan.schema.project(&projection).ok()?);
    let instants = projection.iter().any(|i| {
        plan.readers
            .get(*i)
            .is_some_and(|r| r.conversion == Conversion::Timestamp)
    });
    Some(Bound {
        store,
        database: database.to_string(),
        collation,
        plan,
        projection,
        schema,
        columns,
        key,
        instants,
    })
}

/// Runs a recognized shape; `None` whenever the normal path should answer instead.
fn run(session: &Session, shape: &Shape, params: &[MyValue]) -> Option<Outcome> {
    let store = &session.engine.store;
    let store_id = Arc::as_ptr(store) as usize;
    let database: String = match &shape.database {
        Some(d) => d.to_lowercase(),
        None => session.database.clone()?,
    };
    if database.eq_ignore_ascii_case(super::show::INFORMATION_SCHEMA) {
        return None;
    }
    let table = shape.table.to_lowercase();
    let collation = session.vars.result_collation;

    let view = store.read_view();
    let catalog_cf = store.cf(CF_CATALOG).ok()?;

    // The binding: the shape's last one if its table entry is unchanged, else a new one.
    let last = shape.bound.lock().ok().and_then(|b| b.clone());
    let bound = match last {
        Some(b)
            if b.store == store_id
                && b.collation == collation
                && b.database == database
                && entry_unchanged(&view, catalog_cf, &b.plan)? =>
        {
            b
        }
        _ => {
            let b = Arc::new(fresh_binding(
                store, store_id, &view, shape, &database, &table, collation,
            )?);
            if let Ok(mut slot) = shape.bound.lock() {
                *slot = Some(b.clone());
            }
            b
        }
    };

    // The key.
    let mut encoded = Vec::with_capacity(9 * bound.key.len());
    for (col, operand) in &bound.key {
        let v = match operand {
            Operand::Param(n) => params.get(*n)?,
            Operand::Literal(v) => v,
        };
        let value = key_value(v, col)?;
        encode_key(&mut encoded, &[(col, &value)]).ok()?;
    }
    let key = keyed_row_key(bound.plan.entry.id, &encoded);
    let rows_cf = store.cf(CF_ROWS).ok()?;
    let stored = view.get_pinned_cf(rows_cf, &key).ok()?;

    let mut rows = Vec::new();
    if let Some(stored) = stored {
        if session.vars.sql_select_limit > 0 {
            rows.push(row_values(session, &bound, &stored)?);
        }
    }
    Some(Outcome::Rows(ResultSet::from_rows(
        bound.columns.clone(),
        rows,
    )))
}

/// Whether the catalog entry of `plan`'s table in `view` still has the plan's bytes.
/// `None` on a read error.
fn entry_unchanged(
    view: &crate::store::db::ReadView<'_>,
    cf: &rocksdb::ColumnFamily,
    plan: &TablePlan,
) -> Option<bool> {
    let current = view.get_pinned_cf(cf, plan.entry.id.to_be_bytes()).ok()?;
    Some(current.is_some_and(|c| *c == *plan.bytes))
}

/// Resolves the shape's table in the current catalog (reloading it when the table's entry
/// changed, or when the name is unknown and the catalog was not loaded recently) and binds.
#[allow(clippy::too_many_arguments)]
fn fresh_binding(
    store: &Arc<Store>,
    store_id: usize,
    view: &crate::store::db::ReadView<'_>,
    shape: &Shape,
    database: &str,
    table: &str,
    collation: u16,
) -> Option<Bound> {
    let catalog_cf = store.cf(CF_CATALOG).ok()?;
    let mut reloaded = false;
    let mut cache = match cached_catalog(store_id) {
        Some(c) => c,
        None => {
            reloaded = true;
            let c = Arc::new(CatalogCache::load(store, view)?);
            put_catalog(store_id, c.clone());
            c
        }
    };
    loop {
        let id = cache
            .names
            .get(&(database.to_string(), table.to_string()))
            .copied();
        let usable = match id {
            Some(id) => {
                // An exact match is the normal path's choice too (it looks names up
                // exactly first); the entry must be the one in this view.
                let plan = cache.plan(id)?;
                if entry_unchanged(view, catalog_cf, &plan)? {
                    return bind(shape, plan, store_id, database, collation);
                }
                false
            }
            None => cache.loaded.elapsed() < RELOAD_ON_MISS,
        };
        if usable || reloaded {
            return None;
        }
        reloaded = true;
        cache = Arc::new(CatalogCache::load(store, view)?);
        put_catalog(store_id, cache.clone());
    }
}

/// A key value as the normal path's key pushdown makes it (`table.rs` `literal_value`):
/// integers as the column's signedness; a string only when it is a canonical integer
/// (where MySQL's numeric comparison and a text comparison agree). `None` (NULL, other
/// types, values outside the column's sign range): the normal path decides.
fn key_value(v: &MyValue, col: &ColumnInfo) -> Option<Value> {
    let int: i128 = match v {
        MyValue::Int(i) => i128::from(*i),
        MyValue::UInt(u) => i128::from(*u),
        MyValue::Bytes(b) => {
            let s = std::str::from_utf8(b).ok()?;
            let (neg, digits) = match s.strip_prefix('-') {
                Some(d) if d != "0" => (true, d),
                Some(_) => return None,
                None => (false, s),
            };
            if !canonical_integer(digits) || digits.len() > 18 {
                return None;
            }
            let m: i128 = digits.parse().ok()?;
            if neg {
                -m
            } else {
                m
            }
        }
        _ => return None,
    };
    if col.unsigned {
        u64::try_from(int).ok().map(Value::UInt)
    } else {
        i64::try_from(int).ok().map(Value::Int)
    }
}

/// The result row of a stored row: each projected value through the column's Arrow type
/// and the normal path's [`RowWriter`].
fn row_values(session: &Session, bound: &Bound, stored: &[u8]) -> Option<Vec<MyValue>> {
    let row = decode_row(stored).ok()?;
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(bound.projection.len());
    for &i in &bound.projection {
        let reader = bound.plan.readers.get(i)?;
        let v = row.get(i).and_then(Option::as_ref);
        arrays.push(scalar(v, reader).to_array().ok()?);
    }
    let batch = RecordBatch::try_new(bound.schema.clone(), arrays).ok()?;
    let tz = if bound.instants {
        super::sql::session_time_zone(&session.vars.time_zone)
    } else {
        TimeZone::UTC
    };
    let writer = RowWriter::new(bound.schema.fields(), tz);
    writer.rows(&batch).ok()?.into_iter().next()
}

/// One stored value as the Arrow value `table.rs` builds for it (NULL when it does not
/// fit the column's type).
fn scalar(v: Option<&Value>, r: &Reader) -> ScalarValue {
    let Some(v) = v.filter(|v| !matches!(v, Value::Null)) else {
        return ScalarValue::try_from(&r.data_type).unwrap_or(ScalarValue::Null);
    };
    let int = || match v {
        Value::Int(i) => Some(i128::from(*i)),
        Value::UInt(u) => Some(i128::from(*u)),
        _ => None,
    };
    match &r.conversion {
        Conversion::Int(8) => ScalarValue::Int8(int().and_then(|i| i8::try_from(i).ok())),
        Conversion::Int(16) => ScalarValue::Int16(int().and_then(|i| i16::try_from(i).ok())),
        Conversion::Int(32) => ScalarValue::Int32(int().and_then(|i| i32::try_from(i).ok())),
        Conversion::Int(_) => ScalarValue::Int64(int().and_then(|i| i64::try_from(i).ok())),
        Conversion::UInt(8) => ScalarValue::UInt8(int().and_then(|i| u8::try_from(i).ok())),
        Conversion::UInt(16) | Conversion::Year => ScalarValue::UInt16(match v {
            Value::Year(y) => Some(*y),
            _ => int().and_then(|i| u16::try_from(i).ok()),
        }),
        Conversion::UInt(32) => ScalarValue::UInt32(int().and_then(|i| u32::try_from(i).ok())),
        Conversion::UInt(_) | Conversion::Bit => ScalarValue::UInt64(match v {
            Value::Bit { bits, .. } => Some(*bits),
            _ => int().and_then(|i| u64::try_from(i).ok()),
        }),
        Conversion::Float32 => ScalarValue::Float32(match v {
            Value::Float(f) => Some(*f),
            Value::Double(d) => Some(*d as f32),
            _ => None,
        }),
        Conversion::Float64 => ScalarValue::Float64(match v {
            Value::Double(d) => Some(*d),
            Value::Float(f) => Some(f64::from(*f)),
            _ => None,
        }),
        Conversion::Decimal128(p, s) => ScalarValue::Decimal128(
            match v {
                Value::Decimal(t) => parse_decimal_i128(t, *s),
                _ => None,
            },
            *p,
            *s,
        ),
        Conversion::Decimal256(p, s) => ScalarValue::Decimal256(
            match v {
                Value::Decimal(t) => parse_decimal_i256(t, *s),
                _ => None,
            },
            *p,
            *s,
        ),
        Conversion::Date => ScalarValue::Date32(match v {
            Value::Date(d) if d.month != 0 && d.day != 0 => i32::try_from(days_from_civil(
                i64::from(d.year),
                u32::from(d.month),
                u32::from(d.day),
            ))
            .ok(),
            _ => None,
        }),
        Conversion::DateTime | Conversion::Timestamp => {
            let micros = match v {
                Value::DateTime(dt) if dt.date.month != 0 && dt.date.day != 0 => {
                    let days = days_from_civil(
                        i64::from(dt.date.year),
                        u32::from(dt.date.month),
                        u32::from(dt.date.day),
                    );
                    let secs = days * 86_400
                        + i64::from(dt.hour) * 3600
                        + i64::from(dt.minute) * 60
                        + i64::from(dt.second);
                    Some(secs * 1_000_000 + i64::from(dt.micros))
                }
                Value::Timestamp(ts) if ts.seconds != 0 || ts.micros != 0 => {
                    Some(i64::from(ts.seconds) * 1_000_000 + i64::from(ts.micros))
                }
                _ => None,
            };
            let zone = match &r.data_type {
                DataType::Timestamp(TimeUnit::Microsecond, z) => z.clone(),
                _ => None,
            };
            ScalarValue::TimestampMicrosecond(micros, zone)
        }
        Conversion::Time => ScalarValue::DurationMicrosecond(match v {
            Value::Time(t) => {
                let mag =
                    (i64::from(t.hours) * 3600 + i64::from(t.minutes) * 60 + i64::from(t.seconds))
                        * 1_000_000
                        + i64::from(t.micros);
                Some(if t.negative { -mag } else { mag })
            }
            _ => None,
        }),
        Conversion::Text(_) | Conversion::Enum(_) | Conversion::Set(_) | Conversion::Json => {
            ScalarValue::Utf8(text_value(v, r))
        }
        Conversion::Binary => ScalarValue::Binary(match v {
            Value::Bytes(x) | Value::Geometry(x) | Value::Vector(x) => Some(x.clone()),
            _ => None,
        }),
    }
}

/// The text of a character, ENUM, SET or JSON value (as `table.rs` builds it).
fn text_value(v: &Value, r: &Reader) -> Option<String> {
    match (v, &r.conversion) {
        (Value::Bytes(bytes), Conversion::Text(cs)) => Some(match cs {
            Charset::Utf8 | Charset::Binary | Charset::Other => {
                String::from_utf8_lossy(bytes).into_owned()
            }
            cs => String::from_utf8_lossy(&to_utf8(bytes, *cs)).into_owned(),
        }),
        (Value::Json(s), _) => Some(s.clone()),
        (Value::Bytes(bytes), Conversion::Json) => {
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
        (Value::Enum(i), _) => Some(match usize::from(*i).checked_sub(1) {
            None => String::new(),
            Some(i) => match r.labels.get(i) {
                Some(l) => l.clone(),
                None => i.saturating_add(1).to_string(),
            },
        }),
        (Value::Set(bits), _) => {
            let mut out = String::new();
            for (i, l) in r.labels.iter().enumerate().take(64) {
                if bits & (1u64 << i) != 0 {
                    if !out.is_empty() {
                        out.push(',');
                    }
                    out.push_str(l);
                }
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(sql: &str) -> Option<Shape> {
        if !prefilter(sql) {
            return None;
        }
        recognize(sql)
    }

    fn col(name: &str, alias: Option<&str>) -> Item {
        Item::Column {
            column: name.to_lowercase(),
            name: alias.unwrap_or(name).to_string(),
        }
    }

    #[test]
    fn point_lookups_are_recognized() {
        let s = shape("SELECT c FROM sbtest1 WHERE id=?").unwrap();
        assert_eq!(s.database, None);
        assert_eq!(s.table, "sbtest1");
        assert_eq!(s.items, vec![col("c", None)]);
        assert_eq!(s.conditions, vec![("id".into(), Operand::Param(0))]);
        assert_eq!(s.params, 1);

        let s = shape("  select `C`, Pad AS p FROM `Db`.T where 5 = ID;").unwrap();
        assert_eq!(s.database.as_deref(), Some("Db"));
        assert_eq!(s.table, "T");
        assert_eq!(s.items, vec![col("C", None), col("Pad", Some("p"))]);
        assert_eq!(
            s.conditions,
            vec![("id".into(), Operand::Literal(MyValue::Int(5)))]
        );
        assert_eq!(s.params, 0);

        let s = shape("SELECT * FROM t WHERE a = ? AND b = '-7' AND c = -3 AND d = NULL").unwrap();
        assert_eq!(s.items, vec![Item::Wildcard]);
        assert_eq!(
            s.conditions,
            vec![
                ("a".into(), Operand::Param(0)),
                ("b".into(), Operand::Literal(MyValue::Bytes(b"-7".to_vec()))),
                ("c".into(), Operand::Literal(MyValue::Int(-3))),
                ("d".into(), Operand::Literal(MyValue::NULL)),
            ]
        );
        let s = shape("SELECT x FROM t WHERE k = 18446744073709551615").unwrap();
        assert_eq!(
            s.conditions,
            vec![("k".into(), Operand::Literal(MyValue::UInt(u64::MAX)))]
        );
        let s = shape("SELECT x FROM t WHERE k = -9223372036854775808").unwrap();
        assert_eq!(
            s.conditions,
            vec![("k".into(), Operand::Literal(MyValue::Int(i64::MIN)))]
        );
    }

    #[test]
    fn everything_else_falls_through() {
        for sql in [
            "SELECT c FROM t",
            "SELECT c FROM t WHERE id > 5",
            "SELECT c FROM t WHERE id = 5 OR id = 6",
            "SELECT c FROM t WHERE id IN (1, 2)",
            "SELECT c FROM t WHERE id = 5 LIMIT 1",
            "SELECT c FROM t WHERE id = 5 ORDER BY c",
            "SELECT c FROM t WHERE id = 5 GROUP BY c",
            "SELECT c FROM t WHERE id = 5 FOR UPDATE",
            "SELECT DISTINCT c FROM t WHERE id = 5",
            "SELECT c FROM t, u WHERE id = 5",
            "SELECT c FROM t JOIN u ON t.id = u.id WHERE id = 5",
            "SELECT c FROM t x WHERE id = 5",
            "SELECT t.c FROM t WHERE id = 5",
            "SELECT c FROM t WHERE t.id = 5",
            "SELECT UPPER(c) FROM t WHERE id = 5",
            "SELECT c + 1 FROM t WHERE id = 5",
            "SELECT 1 FROM t WHERE id = 5",
            "SELECT c, c FROM t WHERE id = 5",
            "SELECT c AS x, d AS X FROM t WHERE id = 5",
            "SELECT *, c FROM t WHERE id = 5",
            "SELECT *, * FROM t WHERE id = 5",
            "SELECT c FROM t WHERE id = 5 AND id = 6",
            "SELECT c FROM t WHERE id = 5.0",
            "SELECT c FROM t WHERE id = 5e0",
            "SELECT c FROM t WHERE id = 05",
            "SELECT c FROM t WHERE id = 0x5",
            "SELECT c FROM t WHERE id = -0",
            "SELECT c FROM t WHERE id = \"5\"",
            "SELECT c FROM t WHERE id = @x",
            "SELECT @@version FROM t WHERE id = 5",
            "SELECT c FROM t WHERE id = c",
            "SELECT c FROM t WHERE (id = 5)",
            "SELECT c FROM t WHERE id <=> 5",
            "SELECT c FROM t WHERE id = 99999999999999999999999",
            "/* x */ SELECT c FROM t WHERE id = 5",
            "SELECT c FROM t WHERE id = 5 -- x",
            "SELECT c FROM t WHERE id = 5 # x",
            "SELECT c FROM t WHERE id = 5; SELECT 1",
            "SELECT c FROM a.b.t WHERE id = 5",
            "SELECT c INTO @x FROM t WHERE id = 5",
            "SELECT c FROM t PARTITION (p0) WHERE id = 5",
            "SELECT c FROM t USE INDEX (PRIMARY) WHERE id = 5",
            "SELECT c FROM (SELECT * FROM t) x WHERE id = 5",
            "SELECT c FROM t WHERE id = 'a\\'b'",
            "WITH x AS (SELECT 1) SELECT c FROM t WHERE id = 5",
            "SELECT c FROM t WHERE id = 5 UNION SELECT c FROM t WHERE id = 6",
            "SHOW TABLES",
            "SELECT",
            "",
        ] {
            assert!(shape(sql).is_none(), "{sql}");
        }
    }

    #[test]
    fn integer_literals_are_canonical() {
        assert_eq!(number("0", false), Some(MyValue::Int(0)));
        assert_eq!(number("0", true), None);
        assert_eq!(number("007", false), None);
        assert_eq!(number("12", true), Some(MyValue::Int(-12)));
        assert_eq!(number("9223372036854775809", true), None);
        assert_eq!(number("1.5", false), None);
    }

    fn int_col(unsigned: bool) -> ColumnInfo {
        ColumnInfo {
            name: Some("id".into()),
            column_type: types::LONG,
            meta: 0,
            unsigned,
            collation: None,
            nullable: false,
            labels: None,
            visible: true,
        }
    }

    #[test]
    fn key_values_follow_the_columns_sign() {
        let s = int_col(false);
        let u = int_col(true);
        assert_eq!(key_value(&MyValue::Int(-5), &s), Some(Value::Int(-5)));
        assert_eq!(key_value(&MyValue::Int(-5), &u), None);
        assert_eq!(key_value(&MyValue::UInt(5), &s), Some(Value::Int(5)));
        assert_eq!(key_value(&MyValue::UInt(u64::MAX), &s), None);
        assert_eq!(
            key_value(&MyValue::UInt(u64::MAX), &u),
            Some(Value::UInt(u64::MAX))
        );
        assert_eq!(
            key_value(&MyValue::Bytes(b"42".to_vec()), &s),
            Some(Value::Int(42))
        );
        assert_eq!(
            key_value(&MyValue::Bytes(b"-42".to_vec()), &s),
            Some(Value::Int(-42))
        );
        for text in [
            "", "-", "-0", "042", " 42", "42 ", "4.2", "4e2", "abc", "+4",
        ] {
            assert_eq!(key_value(&MyValue::Bytes(text.into()), &s), None, "{text}");
        }
        assert_eq!(key_value(&MyValue::NULL, &s), None);
        assert_eq!(key_value(&MyValue::Double(5.0), &s), None);
    }
}
