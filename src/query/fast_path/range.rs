//! Primary-key ranges, sorted and distinct results and `SUM`, without DataFusion.
//!
//! sysbench `oltp_read_only` sends, besides ten point selects, four statements per
//! transaction that read one short primary-key range:
//!
//! ```text
//! SELECT c FROM t WHERE id BETWEEN ? AND ?
//! SELECT SUM(k) FROM t WHERE id BETWEEN ? AND ?
//! SELECT c FROM t WHERE id BETWEEN ? AND ? ORDER BY c
//! SELECT DISTINCT c FROM t WHERE id BETWEEN ? AND ? ORDER BY c
//! ```
//!
//! Planning each in DataFusion took about ten times what MariaDB spends on the whole
//! statement. This module answers that family directly: a single-column integer primary
//! key equal to a value or `BETWEEN` two values; result items that are plain columns or
//! (all of them) `SUM` of integer columns; `ORDER BY` plain columns; `DISTINCT` when it
//! covers exactly the ordered columns. Anything else returns `None` and takes the normal
//! path.
//!
//! Semantics are the normal path's by construction: rows are read from one RocksDB
//! snapshot into the scan's own Arrow builders (`table.rs`), strings are ordered and
//! compared by their collation weights (`mysql_sortkey`, the key encoding), NULLs first
//! ascending, equal rows in primary-key order (a stable sort of rows read in key order),
//! `SUM` of integers is exact and typed `DECIMAL(p+22, 0)` as MariaDB types it (the
//! normal path's rewrite in `mysql/coercion.rs`). Ranges over [`MAX_ROWS`] rows give up
//! (the normal path streams them with bounded memory).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BinaryBuilder, Decimal128Array, RecordBatch, StringArray, UInt32Array,
};
use datafusion::arrow::compute::SortOptions;
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::row::{RowConverter, SortField};
use mysql_common::value::Value as MyValue;
use rocksdb::{Direction, IteratorMode, ReadOptions};

use super::{
    current_binding, database_of, has_instants, key_value, zone_for, Binding, Item, Operand,
    Session, Shape, TablePlan,
};
use crate::query::mysql::coercion::exact_digits;
use crate::query::mysql::collation::{field_collation, needs_weights, sort_key};
use crate::query::output::{column_def, computed_def, RowWriter};
use crate::query::result::{ColumnDef, Outcome, ResultSet};
use crate::source::table::{types, ColumnInfo};
use crate::store::db::CF_ROWS;
use crate::store::keys::encode_key;
use crate::store::rows::keyed_row_key;

/// Most rows a range read here; more, and the normal path answers (streaming).
const MAX_ROWS: usize = 10_000;

/// What one result column is.
#[derive(Debug, Clone)]
enum Output {
    /// Column `i` of the rows read.
    Column(usize),
    /// `SUM` of column `i` of the rows read, as this decimal type.
    Sum(usize, DataType),
}

/// Which rows the statement reads.
#[derive(Debug, Clone)]
enum KeyCond {
    /// The key equals this operand.
    Equal(Operand),
    /// The key is between these operands (inclusive).
    Between(Operand, Operand),
}

/// A range shape bound to one table version and result collation.
pub(super) struct RangeBound {
    store: usize,
    database: String,
    collation: u16,
    plan: Arc<TablePlan>,
    /// The key column.
    key: ColumnInfo,
    cond: KeyCond,
    /// Table columns read, in the order of the rows read.
    read: Vec<usize>,
    outputs: Vec<Output>,
    /// Ordering: column of the rows read, descending.
    order: Vec<(usize, bool)>,
    distinct: bool,
    /// The result's schema and column definitions.
    schema: SchemaRef,
    columns: Vec<ColumnDef>,
    instants: bool,
}

impl Binding for RangeBound {
    fn made_for(&self) -> (usize, &str, u16, &TablePlan) {
        (self.store, &self.database, self.collation, &self.plan)
    }
}

/// Runs a range shape; `None` whenever the normal path should answer instead.
pub(super) fn run(session: &Session, shape: &Shape, params: &[MyValue]) -> Option<Outcome> {
    let store = &session.engine.store;
    let database = database_of(session, shape)?;
    let view = store.read_view();
    let bound = current_binding(
        session,
        &view,
        shape,
        &database,
        &shape.range_bound,
        |plan, s, d, c| bind(shape, plan, s, d, c),
    )?;

    // The key range, as full `rows` keys: [lo, hi].
    let operand = |o: &Operand| -> Option<Vec<u8>> {
        let v = match o {
            Operand::Param(n) => params.get(*n)?,
            Operand::Literal(v) => v,
        };
        let value = key_value(v, &bound.key)?;
        let mut encoded = Vec::with_capacity(9);
        encode_key(&mut encoded, &[(&bound.key, &value)]).ok()?;
        Some(keyed_row_key(bound.plan.entry.id, &encoded))
    };
    let (lo, hi) = match &bound.cond {
        KeyCond::Equal(o) => {
            let k = operand(o)?;
            (k.clone(), k)
        }
        KeyCond::Between(a, b) => (operand(a)?, operand(b)?),
    };

    let mut maker = bound.plan.table.batch_maker(bound.read.clone()).ok()?;
    let mut count = 0usize;
    if lo <= hi {
        let rows_cf = store.cf(CF_ROWS).ok()?;
        // Keys of a one-integer-column key all have one length: `hi` + 0 is just past it.
        let mut upper = hi;
        upper.push(0);
        let mut opts = ReadOptions::default();
        opts.set_iterate_upper_bound(upper);
        let it = view.iterator_cf_opt(rows_cf, opts, IteratorMode::From(&lo, Direction::Forward));
        for item in it {
            let (_, value) = item.ok()?;
            count += 1;
            if count > MAX_ROWS {
                return None;
            }
            maker.push(&value).ok()?;
        }
    }
    let rows = maker.finish().ok()?;
    let batch = if bound.outputs.iter().any(|o| matches!(o, Output::Sum(..))) {
        sums(&bound, &rows)?
    } else {
        columns(&bound, &rows)?
    };
    let limit = usize::try_from(session.vars.sql_select_limit).unwrap_or(usize::MAX);
    let batch = batch.slice(0, batch.num_rows().min(limit));
    let writer = RowWriter::new(bound.schema.fields(), zone_for(session, bound.instants));
    let out = writer.rows(&batch).ok()?;
    Some(Outcome::Rows(ResultSet::from_rows(
        bound.columns.clone(),
        out,
    )))
}

/// The one result row of an all-`SUM` select.
fn sums(bound: &RangeBound, rows: &RecordBatch) -> Option<RecordBatch> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(bound.outputs.len());
    for o in &bound.outputs {
        let Output::Sum(i, dt) = o else {
            return None;
        };
        let DataType::Decimal128(p, s) = dt else {
            return None;
        };
        // Every integer type fits DECIMAL(20, 0) exactly (BIGINT UNSIGNED has 20 digits).
        let col = cast(rows.columns().get(*i)?, &DataType::Decimal128(20, 0)).ok()?;
        let dec = col.as_any().downcast_ref::<Decimal128Array>()?;
        let mut total: Option<i128> = None;
        for v in dec.iter().flatten() {
            total = Some(total.unwrap_or(0).checked_add(v)?);
        }
        let array = Decimal128Array::from(vec![total])
            .with_precision_and_scale(*p, *s)
            .ok()?;
        arrays.push(Arc::new(array));
    }
    RecordBatch::try_new(bound.schema.clone(), arrays).ok()
}

/// The result rows of a plain-column select: ordered, then made distinct, as bound.
fn columns(bound: &RangeBound, rows: &RecordBatch) -> Option<RecordBatch> {
    let n = rows.num_rows();
    let mut indices: Vec<u32> = (0..u32::try_from(n).ok()?).collect();
    if !bound.order.is_empty() {
        let mut keys: Vec<ArrayRef> = Vec::with_capacity(bound.order.len());
        let mut fields = Vec::with_capacity(bound.order.len());
        for (i, desc) in &bound.order {
            let array = rows.columns().get(*i)?;
            let field = rows.schema().fields().get(*i)?.clone();
            let key = order_key(array, &field)?;
            fields.push(SortField::new_with_options(
                key.data_type().clone(),
                SortOptions {
                    descending: *desc,
                    nulls_first: !*desc,
                },
            ));
            keys.push(key);
        }
        let converter = RowConverter::new(fields).ok()?;
        let keyed = converter.convert_columns(&keys).ok()?;
        // Stable: equal keys keep primary-key order.
        indices.sort_by(|a, b| keyed.row(*a as usize).cmp(&keyed.row(*b as usize)));
        if bound.distinct {
            indices.dedup_by(|a, b| keyed.row(*a as usize) == keyed.row(*b as usize));
        }
    }
    let take_idx = UInt32Array::from(indices);
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(bound.outputs.len());
    for o in &bound.outputs {
        let Output::Column(i) = o else {
            return None;
        };
        arrays.push(take(rows.columns().get(*i)?.as_ref(), &take_idx, None).ok()?);
    }
    RecordBatch::try_new(bound.schema.clone(), arrays).ok()
}

/// The values a column is ordered (and made distinct) by: strings of a folding or
/// padding collation by their weights, other types as they are.
fn order_key(array: &ArrayRef, field: &Field) -> Option<ArrayRef> {
    if !matches!(array.data_type(), DataType::Utf8) {
        return Some(array.clone());
    }
    let collation = field_collation(field)?;
    if !needs_weights(collation) {
        return Some(array.clone());
    }
    let strings = array.as_any().downcast_ref::<StringArray>()?;
    let mut out = BinaryBuilder::with_capacity(strings.len(), strings.len() * 16);
    let mut buf = Vec::new();
    for s in strings.iter() {
        match s {
            Some(s) => {
                buf.clear();
                sort_key(s, collation, &mut buf);
                out.append_value(&buf);
            }
            None => out.append_null(),
        }
    }
    Some(Arc::new(out.finish()))
}

/// Whether ordering a column's Arrow values is ordering them as MySQL does: integers,
/// dates and times, decimals, strings (by weights) and binary strings. Not ENUM/SET
/// (MySQL orders them by index), JSON, floats (NaN) or BIT.
fn orderable(plan: &TablePlan, i: usize) -> bool {
    let Some(col) = plan
        .entry
        .info
        .as_ref()
        .and_then(|info| info.columns.get(i))
    else {
        return false;
    };
    matches!(
        col.column_type,
        types::TINY
            | types::SHORT
            | types::INT24
            | types::LONG
            | types::LONGLONG
            | types::DECIMAL
            | types::NEWDECIMAL
            | types::DATE
            | types::NEWDATE
            | types::DATETIME
            | types::DATETIME2
            | types::TIMESTAMP
            | types::TIMESTAMP2
            | types::TIME
            | types::TIME2
            | types::YEAR
            | types::VARCHAR
            | types::VAR_STRING
            | types::STRING
    )
}

/// `SUM`'s result type over an integer column: the normal path's rewrite makes the
/// argument `DECIMAL(p+12, 0)` (p: the type's digits) and DataFusion's SUM adds 10,
/// both capped at 38: `DECIMAL(p+22, 0)`, as MariaDB types it.
fn sum_type(dt: &DataType) -> Option<DataType> {
    if !dt.is_integer() {
        return None;
    }
    let (p, s) = exact_digits(dt)?;
    if s != 0 {
        return None;
    }
    Some(DataType::Decimal128(
        p.saturating_add(12).min(38).saturating_add(10).min(38),
        0,
    ))
}

/// Binds a range shape to `plan`; `None` when the normal path must answer.
fn bind(
    shape: &Shape,
    plan: Arc<TablePlan>,
    store: usize,
    database: &str,
    collation: u16,
) -> Option<RangeBound> {
    let [(key_index, key)] = plan.key.as_slice() else {
        return None;
    };
    let key_field = plan.schema.fields().get(*key_index)?.name().clone();
    let cond = match (shape.conditions.as_slice(), shape.ranges.as_slice()) {
        ([(c, o)], []) if *c == key_field => KeyCond::Equal(o.clone()),
        ([], [(c, lo, hi)]) if *c == key_field => KeyCond::Between(lo.clone(), hi.clone()),
        _ => return None,
    };
    let mut read: Vec<usize> = Vec::new();
    let mut slot = |i: usize| -> usize {
        match read.iter().position(|&r| r == i) {
            Some(p) => p,
            None => {
                read.push(i);
                read.len() - 1
            }
        }
    };
    let mut outputs = Vec::with_capacity(shape.items.len());
    let mut fields: Vec<Field> = Vec::with_capacity(shape.items.len());
    let mut columns = Vec::with_capacity(shape.items.len());
    let mut aliased = false;
    for item in &shape.items {
        match item {
            Item::Wildcard => {
                for (i, f) in plan.schema.fields().iter().enumerate() {
                    let name = f
                        .metadata()
                        .get(crate::query::types::META_NAME)
                        .cloned()
                        .unwrap_or_else(|| f.name().clone());
                    outputs.push(Output::Column(slot(i)));
                    columns.push(column_def(f, &name, collation));
                    fields.push(f.as_ref().clone());
                }
            }
            Item::Column { column, name } => {
                let i = plan.schema.index_of(column).ok()?;
                let f = plan.schema.fields().get(i)?;
                aliased |= !name.eq_ignore_ascii_case(column);
                outputs.push(Output::Column(slot(i)));
                columns.push(column_def(f, name, collation));
                fields.push(f.as_ref().clone());
            }
            Item::Sum { column, name } => {
                let i = plan.schema.index_of(column).ok()?;
                let dt = sum_type(plan.schema.fields().get(i)?.data_type())?;
                outputs.push(Output::Sum(slot(i), dt.clone()));
                columns.push(computed_def(&dt, name, collation));
                fields.push(Field::new(name.to_lowercase(), dt, true));
            }
        }
    }
    let sums = outputs
        .iter()
        .filter(|o| matches!(o, Output::Sum(..)))
        .count();
    if sums > 0 && (sums != outputs.len() || !shape.order.is_empty() || shape.distinct) {
        return None;
    }
    // ORDER BY names table columns (an alias could name another column: normal path).
    if aliased && !shape.order.is_empty() {
        return None;
    }
    let mut order = Vec::with_capacity(shape.order.len());
    for (column, desc) in &shape.order {
        let i = plan.schema.index_of(column).ok()?;
        if !orderable(&plan, i) {
            return None;
        }
        order.push((slot(i), *desc));
    }
    if shape.distinct {
        // Distinct rows are adjacent once sorted only if the order covers every result
        // column and nothing else.
        let mut outs: Vec<usize> = outputs
            .iter()
            .filter_map(|o| match o {
                Output::Column(i) => Some(*i),
                Output::Sum(..) => None,
            })
            .collect();
        let mut ord: Vec<usize> = order.iter().map(|(i, _)| *i).collect();
        outs.sort_unstable();
        outs.dedup();
        ord.sort_unstable();
        ord.dedup();
        if outs.is_empty() || outs != ord || outs.len() != outputs.len() {
            return None;
        }
    }
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let instants = has_instants(&schema);
    Some(RangeBound {
        store,
        database: database.to_string(),
        collation,
        key: key.clone(),
        plan,
        cond,
        read,
        outputs,
        order,
        distinct: shape.distinct,
        schema,
        columns,
        instants,
    })
}
