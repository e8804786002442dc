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

use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Distinct, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr,
    Ident, ObjectNamePart, OrderByKind, Query, Select, SelectFlavor, SelectItem, SetExpr,
    Statement, TableFactor, UnaryOperator, Value as SqlValue,
};
use datafusion::sql::sqlparser::dialect::MySqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use jiff::tz::TimeZone;
use mysql_common::value::Value as MyValue;

mod range;

use super::engine::Session;
use super::output::{column_def, RowWriter};
use super::result::{ColumnDef, Outcome, ResultSet};
use super::table::StoreTable;
use super::types::{table_layout, META_NAME};
use crate::source::table::{types, ColumnInfo};
use crate::source::value::Value;
use crate::store::catalog::TableEntry;
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
    let out = if shape.is_point() {
        run(session, &shape, params)?
    } else {
        range::run(session, &shape, params)?
    };
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
        .any(|b| matches!(b, b'@' | b'"' | b'#' | b'/' | b'\\'))
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
    /// `SUM(col)` of a plain column (answered by the range path).
    Sum {
        /// Lower-cased column name.
        column: String,
        /// The result column's name (the expression as written, or the alias).
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
    /// `col BETWEEN lo AND hi` conditions: lower-cased column name, bounds.
    ranges: Vec<(String, Operand, Operand)>,
    /// `ORDER BY` columns (lower-cased) and whether descending.
    order: Vec<(String, bool)>,
    /// `SELECT DISTINCT`.
    distinct: bool,
    /// Number of placeholders.
    params: usize,
    /// The last binding of this shape to a table (prepared statements reuse it).
    bound: Mutex<Option<Arc<Bound>>>,
    /// The last binding of a range shape (see `range.rs`).
    range_bound: Mutex<Option<Arc<range::RangeBound>>>,
}

impl Shape {
    /// A plain point lookup (the original fast path): plain columns, key equalities only.
    fn is_point(&self) -> bool {
        self.ranges.is_empty()
            && self.order.is_empty()
            && !self.distinct
            && self.items.iter().all(|i| !matches!(i, Item::Sum { .. }))
    }
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
            SelectItem::UnnamedExpr(e @ Expr::Function(_)) => {
                let column = sum_column(e)?;
                let name = super::sql::expression_text(e, sql);
                names.push(name.to_lowercase());
                items.push(Item::Sum { column, name });
                continue;
            }
            SelectItem::ExprWithAlias {
                expr: e @ Expr::Function(_),
                alias,
            } => {
                let column = sum_column(e)?;
                names.push(plain_ident(alias)?.to_lowercase());
                items.push(Item::Sum {
                    column,
                    name: alias.value.clone(),
                });
                continue;
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
    let mut ranges = Vec::new();
    let mut params = 0usize;
    conjuncts(
        select.selection.as_ref()?,
        &mut conditions,
        &mut ranges,
        &mut params,
    )?;
    // Each condition names a different column.
    let mut cols: Vec<&String> = conditions
        .iter()
        .map(|(c, _)| c)
        .chain(ranges.iter().map(|(c, _, _)| c))
        .collect();
    let n = cols.len();
    cols.sort();
    cols.dedup();
    if cols.len() != n {
        return None;
    }
    let order = order_by(&query)?;
    let distinct = match &select.distinct {
        None => false,
        Some(Distinct::Distinct) => true,
        Some(_) => return None,
    };
    Some(Shape {
        database,
        table,
        items,
        conditions,
        ranges,
        order,
        distinct,
        params,
        bound: Mutex::new(None),
        range_bound: Mutex::new(None),
    })
}

/// The column of `SUM(col)` (no DISTINCT, FILTER, OVER or other clause).
fn sum_column(e: &Expr) -> Option<String> {
    let Expr::Function(f) = e else {
        return None;
    };
    let [ObjectNamePart::Identifier(name)] = f.name.0.as_slice() else {
        return None;
    };
    if !name.value.eq_ignore_ascii_case("sum")
        || name.quote_style.is_some()
        || f.uses_odbc_syntax
        || f.filter.is_some()
        || f.null_treatment.is_some()
        || f.over.is_some()
        || !f.within_group.is_empty()
        || !matches!(f.parameters, FunctionArguments::None)
    {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
        return None;
    }
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(i)))] = list.args.as_slice()
    else {
        return None;
    };
    column_name(i)
}

/// `ORDER BY col [ASC|DESC], …` of plain columns: lower-cased names and whether
/// descending (empty without ORDER BY); `None` for anything else.
fn order_by(q: &Query) -> Option<Vec<(String, bool)>> {
    let Some(order) = &q.order_by else {
        return Some(vec![]);
    };
    let OrderByKind::Expressions(exprs) = &order.kind else {
        return None;
    };
    if order.interpolate.is_some() {
        return None;
    }
    let mut out = Vec::with_capacity(exprs.len());
    for e in exprs {
        let Expr::Identifier(i) = &e.expr else {
            return None;
        };
        if e.with_fill.is_some() || e.options.nulls_first.is_some() {
            return None;
        }
        out.push((column_name(i)?, e.options.asc == Some(false)));
    }
    Some(out)
}

/// The query's body when it is one plain SELECT with no clause beyond FROM, WHERE,
/// DISTINCT and ORDER BY (those two are checked by the caller).
fn plain_select(q: &Query) -> Option<&Select> {
    if q.with.is_some()
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

/// Splits `a = x AND b BETWEEN y AND z …` into equalities and ranges; `None` for
/// anything else.
fn conjuncts(
    e: &Expr,
    out: &mut Vec<(String, Operand)>,
    ranges: &mut Vec<(String, Operand, Operand)>,
    params: &mut usize,
) -> Option<()> {
    if let Expr::Between {
        expr,
        negated: false,
        low,
        high,
    } = e
    {
        let Expr::Identifier(i) = expr.as_ref() else {
            return None;
        };
        let column = column_name(i)?;
        let lo = operand(low, params)?;
        let hi = operand(high, params)?;
        ranges.push((column, lo, hi));
        return Some(());
    }
    let Expr::BinaryOp { left, op, right } = e else {
        return None;
    };
    match op {
        BinaryOperator::And => {
            conjuncts(left, out, ranges, params)?;
            conjuncts(right, out, ranges, params)
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
    /// The table as the scan reads it (its batch builder converts values as a scan does).
    table: StoreTable,
    /// Key columns in key order: table column index and definition. Empty when the key
    /// is not all integers (then the fast path is not taken).
    key: Vec<(usize, ColumnInfo)>,
}

impl TablePlan {
    fn new(bytes: Vec<u8>, entry: Arc<TableEntry>) -> TablePlan {
        let layout = table_layout(&entry);
        let table = StoreTable::new(entry.clone());
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
            table,
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
            Item::Sum { .. } => return None,
        }
    }
    let schema = Arc::new(plan.schema.project(&projection).ok()?);
    let instants = has_instants(&schema);
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

/// What a binding was made for: it is reused while these are the statement's and its
/// table's catalog entry is unchanged.
trait Binding {
    /// The store (by address), database, result collation and table plan.
    fn made_for(&self) -> (usize, &str, u16, &TablePlan);
}

impl Binding for Bound {
    fn made_for(&self) -> (usize, &str, u16, &TablePlan) {
        (self.store, &self.database, self.collation, &self.plan)
    }
}

/// The database a shape's statement reads (lower-cased); `None` without one, or for
/// information_schema (the normal path answers).
fn database_of(session: &Session, shape: &Shape) -> Option<String> {
    let database = match &shape.database {
        Some(d) => d.to_lowercase(),
        None => session.database.clone()?,
    };
    (!database.eq_ignore_ascii_case(super::show::INFORMATION_SCHEMA)).then_some(database)
}

/// The shape's binding in `slot` when it still holds for this session and `view`, else
/// a new one from `bind` (given the table's plan, the store's address, the database and
/// the collation), kept in `slot` for the next execution.
fn current_binding<B: Binding>(
    session: &Session,
    view: &crate::store::db::ReadView<'_>,
    shape: &Shape,
    database: &str,
    slot: &Mutex<Option<Arc<B>>>,
    bind: impl FnOnce(Arc<TablePlan>, usize, &str, u16) -> Option<B>,
) -> Option<Arc<B>> {
    let store = &session.engine.store;
    let store_id = Arc::as_ptr(store) as usize;
    let collation = session.vars.result_collation;
    let catalog_cf = store.cf(CF_CATALOG).ok()?;
    if let Some(b) = slot.lock().ok().and_then(|b| b.clone()) {
        let (s, d, c, plan) = b.made_for();
        if s == store_id
            && d == database
            && c == collation
            && entry_unchanged(view, catalog_cf, plan)?
        {
            return Some(b);
        }
    }
    let table = shape.table.to_lowercase();
    let plan = table_plan(store, store_id, view, database, &table)?;
    let b = Arc::new(bind(plan, store_id, database, collation)?);
    if let Ok(mut s) = slot.lock() {
        *s = Some(b.clone());
    }
    Some(b)
}

/// Runs a recognized shape; `None` whenever the normal path should answer instead.
fn run(session: &Session, shape: &Shape, params: &[MyValue]) -> Option<Outcome> {
    let store = &session.engine.store;
    let database = database_of(session, shape)?;
    let view = store.read_view();
    let bound = current_binding(
        session,
        &view,
        shape,
        &database,
        &shape.bound,
        |plan, s, d, c| bind(shape, plan, s, d, c),
    )?;

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

/// Resolves `database.table` in the current catalog (reloading it when the table's entry
/// changed, or when the name is unknown and the catalog was not loaded recently).
fn table_plan(
    store: &Arc<Store>,
    store_id: usize,
    view: &crate::store::db::ReadView<'_>,
    database: &str,
    table: &str,
) -> Option<Arc<TablePlan>> {
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
                    return Some(plan);
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

/// Whether a TIMESTAMP column is among `schema`'s fields (its values depend on the
/// session's `time_zone`).
fn has_instants(schema: &SchemaRef) -> bool {
    schema
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), DataType::Timestamp(_, Some(_))))
}

/// The session's zone when `instants`, else UTC (no value depends on it).
fn zone_for(session: &Session, instants: bool) -> TimeZone {
    if instants {
        super::sql::session_time_zone(&session.vars.time_zone)
    } else {
        TimeZone::UTC
    }
}

/// The result row of a stored row: the projected values converted by the scan's own
/// batch builder, written by the normal path's [`RowWriter`].
fn row_values(session: &Session, bound: &Bound, stored: &[u8]) -> Option<Vec<MyValue>> {
    let mut maker = bound
        .plan
        .table
        .batch_maker(bound.projection.clone())
        .ok()?;
    maker.push(stored).ok()?;
    let batch = maker.finish().ok()?;
    let writer = RowWriter::new(bound.schema.fields(), zone_for(session, bound.instants));
    writer.rows(&batch).ok()?.into_iter().next()
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
    fn ranges_orders_distinct_and_sums_are_recognized() {
        let s = shape("SELECT c FROM sbtest1 WHERE id BETWEEN ? AND ?").unwrap();
        assert_eq!(s.items, vec![col("c", None)]);
        assert!(s.conditions.is_empty());
        assert_eq!(
            s.ranges,
            vec![("id".into(), Operand::Param(0), Operand::Param(1))]
        );
        assert_eq!(s.params, 2);
        assert!(!s.is_point());

        let s = shape("SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN 1 AND -2").unwrap();
        assert_eq!(
            s.items,
            vec![Item::Sum {
                column: "k".into(),
                name: "SUM(k)".into()
            }]
        );
        assert_eq!(
            s.ranges,
            vec![(
                "id".into(),
                Operand::Literal(MyValue::Int(1)),
                Operand::Literal(MyValue::Int(-2))
            )]
        );
        let s = shape("SELECT sum( K ) AS total FROM t WHERE id = ?").unwrap();
        assert_eq!(
            s.items,
            vec![Item::Sum {
                column: "k".into(),
                name: "total".into()
            }]
        );

        let s = shape("SELECT DISTINCT c FROM t WHERE id BETWEEN ? AND ? ORDER BY c").unwrap();
        assert!(s.distinct);
        assert_eq!(s.order, vec![("c".into(), false)]);
        let s = shape("SELECT a, b FROM t WHERE id = 1 ORDER BY A DESC, b ASC").unwrap();
        assert!(!s.distinct);
        assert_eq!(s.order, vec![("a".into(), true), ("b".into(), false)]);
        assert!(!s.is_point());

        // The plain point lookup keeps its own path.
        assert!(shape("SELECT c FROM t WHERE id = ?").unwrap().is_point());
    }

    #[test]
    fn everything_else_falls_through() {
        for sql in [
            "SELECT c FROM t",
            "SELECT c FROM t WHERE id > 5",
            "SELECT c FROM t WHERE id = 5 OR id = 6",
            "SELECT c FROM t WHERE id IN (1, 2)",
            "SELECT c FROM t WHERE id = 5 LIMIT 1",
            "SELECT c FROM t WHERE id = 5 ORDER BY c + 1",
            "SELECT c FROM t WHERE id = 5 ORDER BY c NULLS FIRST",
            "SELECT c FROM t WHERE id = 5 ORDER BY 1",
            "SELECT c FROM t WHERE id = 5 GROUP BY c",
            "SELECT c FROM t WHERE id = 5 FOR UPDATE",
            "SELECT c FROM t WHERE id NOT BETWEEN 1 AND 5",
            "SELECT c FROM t WHERE id BETWEEN 1 AND c",
            "SELECT c FROM t WHERE id BETWEEN 1 AND 2 AND id = 1",
            "SELECT SUM(DISTINCT k) FROM t WHERE id = 5",
            "SELECT SUM(k + 1) FROM t WHERE id = 5",
            "SELECT SUM(k) OVER () FROM t WHERE id = 5",
            "SELECT COUNT(k) FROM t WHERE id = 5",
            "SELECT `SUM`(k) FROM t WHERE id = 5",
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
