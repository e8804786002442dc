//! A served table as a DataFusion [`TableProvider`]: rows read from the statement's pinned
//! view ([`PinnedView`], found in the session config's extensions), decoded straight into
//! Arrow builders, in batches of [`BATCH_ROWS`] rows streamed from a blocking task.
//!
//! Pushdown:
//! - projection: only the projected columns are built (every column is still decoded:
//!   the stored row format is one bincode body);
//! - primary-key conditions: `k = lit`, `k IN (…)`, `k < / <= / > / >= lit`, `BETWEEN`
//!   on the key's leading columns become point reads or key-range seeks (the filters stay
//!   `Inexact`, so DataFusion re-checks them; a seek only narrows what is read);
//! - LIMIT: reading stops after that many rows.

use std::ops::Bound;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, Date32Builder, Decimal128Builder, Decimal256Builder,
    DurationMicrosecondBuilder, Float32Builder, Float64Builder, Int16Builder, Int32Builder,
    Int64Builder, Int8Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
    UInt16Builder, UInt32Builder, UInt64Builder, UInt8Builder,
};
use datafusion::arrow::datatypes::{i256, SchemaRef};
use datafusion::catalog::Session as DfSession;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::datasource::TableProvider;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{
    BinaryExpr, Expr, Operator, TableProviderFilterPushDown, TableType,
};
use datafusion::physical_plan::stream::{RecordBatchReceiverStream, RecordBatchStreamAdapter};
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::ExecutionPlan;

use super::types::{table_layout, Conversion, TableLayout};
use crate::source::table::ColumnInfo;
use crate::source::text::{to_utf8, Charset};
use crate::source::value::Value;
use crate::store::catalog::TableEntry;
use crate::store::keys::{encode_key, order_is_exact};
use crate::store::read::{KeyBound, PinnedView};
use crate::store::row_ref::{decode_row_ref, ValueRef};
use crate::store::rows::{keyed_row_key, table_range};

/// Rows per Arrow batch.
pub const BATCH_ROWS: usize = 8192;

/// Most point reads or ranges one scan builds from `IN` lists (more: a plain range scan).
const MAX_RANGES: usize = 4096;

/// A served table of the copy.
#[derive(Debug)]
pub struct StoreTable {
    entry: Arc<TableEntry>,
    layout: TableLayout,
    readers: Arc<Vec<ColumnReader>>,
}

/// How one column's stored values are appended (conversion plus prepared labels).
#[derive(Debug, Clone)]
struct ColumnReader {
    conversion: Conversion,
    labels: Vec<String>,
}

/// Per column of `entry`: how its stored values convert, and its ENUM/SET labels in
/// UTF-8 (empty for other types). Shared by the scan and the point-lookup fast path.
pub(crate) fn column_conversions(
    entry: &TableEntry,
    layout: &TableLayout,
) -> Vec<(Conversion, Vec<String>)> {
    let infos = entry
        .info
        .as_ref()
        .map(|i| i.columns.as_slice())
        .unwrap_or(&[]);
    layout
        .columns
        .iter()
        .zip(infos)
        .map(|(plan, col)| {
            let charset = match plan.conversion {
                Conversion::Enum(c) | Conversion::Set(c) => c,
                _ => Charset::Utf8,
            };
            let labels = col
                .labels
                .as_ref()
                .map(|l| {
                    l.iter()
                        .map(|b| String::from_utf8_lossy(&to_utf8(b, charset)).into_owned())
                        .collect()
                })
                .unwrap_or_default();
            (plan.conversion.clone(), labels)
        })
        .collect()
}

impl StoreTable {
    /// The provider of a served table entry.
    pub fn new(entry: Arc<TableEntry>) -> StoreTable {
        let layout = table_layout(&entry);
        let readers = column_conversions(&entry, &layout)
            .into_iter()
            .map(|(conversion, labels)| ColumnReader { conversion, labels })
            .collect();
        StoreTable {
            entry,
            layout,
            readers: Arc::new(readers),
        }
    }

    /// The catalog entry.
    pub fn entry(&self) -> &TableEntry {
        &self.entry
    }

    /// A builder of batches of `projection`'s columns (table column indexes) from stored
    /// rows, for readers outside a scan (the fast path), so that values are converted
    /// exactly as a scan converts them.
    pub(crate) fn batch_maker(
        &self,
        projection: Vec<usize>,
    ) -> Result<BatchMaker, DataFusionError> {
        let schema = Arc::new(self.layout.schema.project(&projection)?);
        BatchMaker::new(
            schema,
            projection,
            self.readers.clone(),
            self.entry.qualified_name(),
            16,
        )
    }

    fn key_columns(&self) -> Vec<(usize, &ColumnInfo)> {
        match &self.entry.info {
            Some(info) => info
                .primary_key
                .iter()
                .filter_map(|&k| info.columns.get(k).map(|c| (k, c)))
                .collect(),
            None => vec![],
        }
    }

    /// The key column index of a filter operand that is a plain key column.
    fn key_position(&self, expr: &Expr) -> Option<usize> {
        let name = match expr {
            Expr::Column(c) => &c.name,
            _ => return None,
        };
        let index = self.layout.schema.index_of(name).ok()?;
        self.key_columns().iter().position(|(k, _)| *k == index)
    }

    /// The key ranges the filters allow, in key order; `None`: the whole table.
    fn key_ranges(&self, filters: &[Expr]) -> Option<Vec<KeyRange>> {
        let keys = self.key_columns();
        if keys.is_empty() {
            return None;
        }
        let mut prefixes: Vec<Vec<u8>> = vec![vec![]];
        let mut all_equal = true;
        let mut range: Option<(KeyBound, KeyBound)> = None;
        for (pos, (_, col)) in keys.iter().enumerate() {
            if let Some(values) = self.equalities(filters, pos, col) {
                let mut next = Vec::new();
                for p in &prefixes {
                    for v in &values {
                        let mut k = p.clone();
                        if encode_key(&mut k, &[(col, v)]).is_err() {
                            continue;
                        }
                        next.push(k);
                    }
                }
                if next.len() > MAX_RANGES {
                    return None;
                }
                prefixes = next;
                continue;
            }
            all_equal = false;
            if prefixes.len() == 1 {
                range = self.bounds(filters, pos, col, prefixes.first().map(Vec::as_slice)?);
            }
            break;
        }
        let id = self.entry.id;
        let table_end = table_range(id).1;
        if let Some((lo, hi)) = range {
            return Some(vec![KeyRange::Range(
                full_bound(id, lo, true),
                full_bound(id, hi, false),
            )]);
        }
        if prefixes.len() == 1 && prefixes.first().is_some_and(Vec::is_empty) {
            return None;
        }
        prefixes.sort();
        prefixes.dedup();
        Some(
            prefixes
                .into_iter()
                .map(|p| {
                    let key = keyed_row_key(id, &p);
                    if all_equal {
                        KeyRange::Point(key)
                    } else {
                        let end = successor(&key).unwrap_or_else(|| table_end.clone());
                        KeyRange::Range(Bound::Included(key), Bound::Excluded(end))
                    }
                })
                .collect(),
        )
    }

    /// The values key column `pos` must equal (one `=` or `IN` filter), if any.
    fn equalities(&self, filters: &[Expr], pos: usize, col: &ColumnInfo) -> Option<Vec<Value>> {
        for f in filters {
            match f {
                Expr::BinaryExpr(BinaryExpr {
                    left,
                    op: Operator::Eq,
                    right,
                }) => {
                    let (c, l) = if self.key_position(left) == Some(pos) {
                        (left, right)
                    } else if self.key_position(right) == Some(pos) {
                        (right, left)
                    } else {
                        continue;
                    };
                    let _ = c;
                    if let Some(v) = literal_value(l, col) {
                        return Some(vec![v]);
                    }
                }
                Expr::InList(list)
                    if !list.negated && self.key_position(&list.expr) == Some(pos) =>
                {
                    let values: Option<Vec<Value>> =
                        list.list.iter().map(|e| literal_value(e, col)).collect();
                    if let Some(v) = values {
                        return Some(v);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Bounds on key column `pos` after an encoded equal `prefix`: the tightest lower and
    /// upper bound of the range filters on it (bounds relative to the table: no prefix).
    fn bounds(
        &self,
        filters: &[Expr],
        pos: usize,
        col: &ColumnInfo,
        prefix: &[u8],
    ) -> Option<(KeyBound, KeyBound)> {
        if !order_is_exact(col) {
            return None;
        }
        let mut lower: Option<Vec<u8>> = None;
        let mut upper: Option<Vec<u8>> = None;
        let mut add = |op: Operator, v: &Value| {
            let mut k = prefix.to_vec();
            if encode_key(&mut k, &[(col, v)]).is_err() {
                return;
            }
            match op {
                Operator::Gt => {
                    if let Some(s) = successor(&k) {
                        lower = Some(lower.take().map_or(s.clone(), |l: Vec<u8>| l.max(s)));
                    }
                }
                Operator::GtEq => lower = Some(lower.take().map_or(k.clone(), |l| l.max(k))),
                Operator::Lt => upper = Some(upper.take().map_or(k.clone(), |u| u.min(k))),
                Operator::LtEq => {
                    if let Some(s) = successor(&k) {
                        upper = Some(upper.take().map_or(s.clone(), |u: Vec<u8>| u.min(s)));
                    }
                }
                _ => {}
            }
        };
        for f in filters {
            match f {
                Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                    let (op, lit) = if self.key_position(left) == Some(pos) {
                        (*op, right)
                    } else if self.key_position(right) == Some(pos) {
                        match op.swap() {
                            Some(o) => (o, left),
                            None => continue,
                        }
                    } else {
                        continue;
                    };
                    if let Some(v) = literal_value(lit, col) {
                        add(op, &v);
                    }
                }
                Expr::Between(b) if !b.negated && self.key_position(&b.expr) == Some(pos) => {
                    if let (Some(lo), Some(hi)) =
                        (literal_value(&b.low, col), literal_value(&b.high, col))
                    {
                        add(Operator::GtEq, &lo);
                        add(Operator::LtEq, &hi);
                    }
                }
                _ => {}
            }
        }
        if lower.is_none() && upper.is_none() {
            return None;
        }
        let lo = match lower {
            Some(l) => Bound::Included(l),
            None if prefix.is_empty() => Bound::Unbounded,
            None => Bound::Included(prefix.to_vec()),
        };
        let hi = match upper {
            Some(u) => Bound::Excluded(u),
            None if prefix.is_empty() => Bound::Unbounded,
            None => match successor(prefix) {
                Some(s) => Bound::Excluded(s),
                None => Bound::Unbounded,
            },
        };
        Some((lo, hi))
    }
}

/// A table-relative bound made a full `rows` key bound (`Unbounded`: the table's edge).
fn full_bound(id: u32, b: KeyBound, lower: bool) -> KeyBound {
    match b {
        Bound::Included(k) => Bound::Included(keyed_row_key(id, &k)),
        Bound::Excluded(k) => Bound::Excluded(keyed_row_key(id, &k)),
        Bound::Unbounded if lower => Bound::Included(table_range(id).0),
        Bound::Unbounded => Bound::Excluded(table_range(id).1),
    }
}

/// The smallest byte string greater than every string starting with `k`.
fn successor(k: &[u8]) -> Option<Vec<u8>> {
    let mut s = k.to_vec();
    while let Some(last) = s.pop() {
        if last < 0xff {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

/// What one scan reads.
#[derive(Debug, Clone, PartialEq)]
enum KeyRange {
    /// One row by its full key.
    Point(Vec<u8>),
    /// Every row with a key in the bounds.
    Range(KeyBound, KeyBound),
}

/// A filter literal as a stored value of `col`'s type, when it can be one exactly.
fn literal_value(expr: &Expr, col: &ColumnInfo) -> Option<Value> {
    use crate::source::table::types;
    let Expr::Literal(scalar, _) = expr else {
        return None;
    };
    let int = |s: &ScalarValue| -> Option<i128> {
        Some(match s {
            ScalarValue::Int8(Some(v)) => i128::from(*v),
            ScalarValue::Int16(Some(v)) => i128::from(*v),
            ScalarValue::Int32(Some(v)) => i128::from(*v),
            ScalarValue::Int64(Some(v)) => i128::from(*v),
            ScalarValue::UInt8(Some(v)) => i128::from(*v),
            ScalarValue::UInt16(Some(v)) => i128::from(*v),
            ScalarValue::UInt32(Some(v)) => i128::from(*v),
            ScalarValue::UInt64(Some(v)) => i128::from(*v),
            _ => return None,
        })
    };
    match col.column_type {
        types::TINY | types::SHORT | types::INT24 | types::LONG | types::LONGLONG => {
            let v = int(scalar)?;
            if col.unsigned {
                u64::try_from(v).ok().map(Value::UInt)
            } else {
                i64::try_from(v).ok().map(Value::Int)
            }
        }
        types::DECIMAL | types::NEWDECIMAL => match scalar {
            ScalarValue::Decimal128(Some(v), _, s) => Some(Value::Decimal(decimal_text(*v, *s))),
            s => int(s).map(|v| Value::Decimal(v.to_string())),
        },
        types::VARCHAR | types::VAR_STRING | types::STRING => {
            if crate::source::text::charset_of(col.collation) != Charset::Utf8 && !col.is_binary() {
                return None;
            }
            match scalar {
                ScalarValue::Utf8(Some(s))
                | ScalarValue::LargeUtf8(Some(s))
                | ScalarValue::Utf8View(Some(s)) => Some(Value::Bytes(s.as_bytes().to_vec())),
                ScalarValue::Binary(Some(b)) | ScalarValue::LargeBinary(Some(b))
                    if col.is_binary() =>
                {
                    Some(Value::Bytes(b.clone()))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The text of a scaled integer (`12345`, scale 2 → `123.45`).
pub fn decimal_text(v: i128, scale: i8) -> String {
    let neg = v < 0;
    let digits = v.unsigned_abs().to_string();
    let scale = usize::try_from(scale).unwrap_or(0);
    let mut out = String::with_capacity(digits.len() + 3);
    if neg {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&digits);
    } else if digits.len() > scale {
        let (i, f) = digits.split_at(digits.len() - scale);
        out.push_str(i);
        out.push('.');
        out.push_str(f);
    } else {
        out.push_str("0.");
        for _ in digits.len()..scale {
            out.push('0');
        }
        out.push_str(&digits);
    }
    out
}

/// Parses exact decimal text into an integer scaled by `scale` (extra digits truncated).
pub fn parse_decimal_i128(text: &str, scale: i8) -> Option<i128> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let scale = usize::try_from(scale).ok()?;
    let mut v: i128 = 0;
    for c in int.bytes() {
        let d = c.checked_sub(b'0').filter(|d| *d < 10)?;
        v = v.checked_mul(10)?.checked_add(i128::from(d))?;
    }
    let mut fb = frac.bytes();
    for _ in 0..scale {
        let d = match fb.next() {
            Some(c) => c.checked_sub(b'0').filter(|d| *d < 10)?,
            None => 0,
        };
        v = v.checked_mul(10)?.checked_add(i128::from(d))?;
    }
    Some(if neg { -v } else { v })
}

/// Exact decimal text as a 256-bit integer scaled by `scale` (DECIMAL over 38 digits).
pub fn parse_decimal_i256(text: &str, scale: i8) -> Option<i256> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let scale = usize::try_from(scale).ok()?;
    let mut digits = String::with_capacity(int.len() + scale + 1);
    if neg {
        digits.push('-');
    }
    digits.push_str(if int.is_empty() { "0" } else { int });
    let f = frac.get(..scale.min(frac.len())).unwrap_or("");
    digits.push_str(f);
    for _ in f.len()..scale {
        digits.push('0');
    }
    i256::from_string(&digits)
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// One column's Arrow builder.
enum Builder {
    I8(Int8Builder),
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    U8(UInt8Builder),
    U16(UInt16Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    D128(Decimal128Builder, i8),
    D256(Decimal256Builder, i8),
    Date(Date32Builder),
    Ts(TimestampMicrosecondBuilder),
    Dur(DurationMicrosecondBuilder),
    Str(StringBuilder, String),
    Bin(BinaryBuilder),
}

impl Builder {
    fn new(c: &Conversion, cap: usize) -> Result<Builder, DataFusionError> {
        Ok(match c {
            Conversion::Int(8) => Builder::I8(Int8Builder::with_capacity(cap)),
            Conversion::Int(16) => Builder::I16(Int16Builder::with_capacity(cap)),
            Conversion::Int(32) => Builder::I32(Int32Builder::with_capacity(cap)),
            Conversion::Int(_) => Builder::I64(Int64Builder::with_capacity(cap)),
            Conversion::UInt(8) => Builder::U8(UInt8Builder::with_capacity(cap)),
            Conversion::UInt(16) | Conversion::Year => {
                Builder::U16(UInt16Builder::with_capacity(cap))
            }
            Conversion::UInt(32) => Builder::U32(UInt32Builder::with_capacity(cap)),
            Conversion::UInt(_) | Conversion::Bit => {
                Builder::U64(UInt64Builder::with_capacity(cap))
            }
            Conversion::Float32 => Builder::F32(Float32Builder::with_capacity(cap)),
            Conversion::Float64 => Builder::F64(Float64Builder::with_capacity(cap)),
            Conversion::Decimal128(p, s) => Builder::D128(
                Decimal128Builder::with_capacity(cap).with_precision_and_scale(*p, *s)?,
                *s,
            ),
            Conversion::Decimal256(p, s) => Builder::D256(
                Decimal256Builder::with_capacity(cap).with_precision_and_scale(*p, *s)?,
                *s,
            ),
            Conversion::Date => Builder::Date(Date32Builder::with_capacity(cap)),
            Conversion::DateTime => Builder::Ts(TimestampMicrosecondBuilder::with_capacity(cap)),
            Conversion::Timestamp => {
                Builder::Ts(TimestampMicrosecondBuilder::with_capacity(cap).with_timezone("UTC"))
            }
            Conversion::Time => Builder::Dur(DurationMicrosecondBuilder::with_capacity(cap)),
            Conversion::Text(_) | Conversion::Enum(_) | Conversion::Set(_) | Conversion::Json => {
                Builder::Str(StringBuilder::with_capacity(cap, cap * 16), String::new())
            }
            Conversion::Binary => Builder::Bin(BinaryBuilder::with_capacity(cap, cap * 16)),
        })
    }

    /// Appends one stored value (NULL when it does not fit the column's Arrow type).
    fn append(&mut self, v: Option<&ValueRef<'_>>, reader: &ColumnReader) {
        let v = match v {
            None | Some(ValueRef::Null) => {
                self.append_null();
                return;
            }
            Some(v) => v,
        };
        let int = || match v {
            ValueRef::Int(i) => Some(i128::from(*i)),
            ValueRef::UInt(u) => Some(i128::from(*u)),
            _ => None,
        };
        match self {
            Builder::I8(b) => b.append_option(int().and_then(|i| i8::try_from(i).ok())),
            Builder::I16(b) => b.append_option(int().and_then(|i| i16::try_from(i).ok())),
            Builder::I32(b) => b.append_option(int().and_then(|i| i32::try_from(i).ok())),
            Builder::I64(b) => b.append_option(int().and_then(|i| i64::try_from(i).ok())),
            Builder::U8(b) => b.append_option(int().and_then(|i| u8::try_from(i).ok())),
            Builder::U16(b) => b.append_option(match v {
                ValueRef::Year(y) => Some(*y),
                _ => int().and_then(|i| u16::try_from(i).ok()),
            }),
            Builder::U32(b) => b.append_option(int().and_then(|i| u32::try_from(i).ok())),
            Builder::U64(b) => b.append_option(match v {
                ValueRef::Bit { bits, .. } => Some(*bits),
                _ => int().and_then(|i| u64::try_from(i).ok()),
            }),
            Builder::F32(b) => b.append_option(match v {
                ValueRef::Float(f) => Some(*f),
                ValueRef::Double(d) => Some(*d as f32),
                _ => None,
            }),
            Builder::F64(b) => b.append_option(match v {
                ValueRef::Double(d) => Some(*d),
                ValueRef::Float(f) => Some(f64::from(*f)),
                _ => None,
            }),
            Builder::D128(b, s) => b.append_option(match v {
                ValueRef::Decimal(t) => parse_decimal_i128(t, *s),
                _ => None,
            }),
            Builder::D256(b, s) => b.append_option(match v {
                ValueRef::Decimal(t) => parse_decimal_i256(t, *s),
                _ => None,
            }),
            Builder::Date(b) => {
                b.append_option(match v {
                    ValueRef::Date(d) if d.month != 0 && d.day != 0 => i32::try_from(
                        days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day)),
                    )
                    .ok(),
                    _ => None,
                })
            }
            Builder::Ts(b) => b.append_option(match v {
                ValueRef::DateTime(dt) if dt.date.month != 0 && dt.date.day != 0 => {
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
                ValueRef::Timestamp(ts) if ts.seconds != 0 || ts.micros != 0 => {
                    Some(i64::from(ts.seconds) * 1_000_000 + i64::from(ts.micros))
                }
                _ => None,
            }),
            Builder::Dur(b) => b.append_option(match v {
                ValueRef::Time(t) => {
                    let mag = (i64::from(t.hours) * 3600
                        + i64::from(t.minutes) * 60
                        + i64::from(t.seconds))
                        * 1_000_000
                        + i64::from(t.micros);
                    Some(if t.negative { -mag } else { mag })
                }
                _ => None,
            }),
            Builder::Str(b, buf) => match (v, &reader.conversion) {
                (ValueRef::Bytes(bytes), Conversion::Text(cs)) => append_text(b, bytes, *cs),
                (ValueRef::Json(s), _) => b.append_value(s),
                (ValueRef::Bytes(bytes), Conversion::Json) => {
                    b.append_value(String::from_utf8_lossy(bytes))
                }
                (ValueRef::Enum(i), _) => match usize::from(*i).checked_sub(1) {
                    None => b.append_value(""),
                    Some(i) => match reader.labels.get(i) {
                        Some(l) => b.append_value(l),
                        None => b.append_value(i.saturating_add(1).to_string()),
                    },
                },
                (ValueRef::Set(bits), _) => {
                    buf.clear();
                    for (i, l) in reader.labels.iter().enumerate().take(64) {
                        if bits & (1u64 << i) != 0 {
                            if !buf.is_empty() {
                                buf.push(',');
                            }
                            buf.push_str(l);
                        }
                    }
                    b.append_value(&*buf)
                }
                _ => b.append_null(),
            },
            Builder::Bin(b) => match v {
                ValueRef::Bytes(x) | ValueRef::Geometry(x) | ValueRef::Vector(x) => {
                    b.append_value(x)
                }
                _ => b.append_null(),
            },
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::I8(b) => b.append_null(),
            Builder::I16(b) => b.append_null(),
            Builder::I32(b) => b.append_null(),
            Builder::I64(b) => b.append_null(),
            Builder::U8(b) => b.append_null(),
            Builder::U16(b) => b.append_null(),
            Builder::U32(b) => b.append_null(),
            Builder::U64(b) => b.append_null(),
            Builder::F32(b) => b.append_null(),
            Builder::F64(b) => b.append_null(),
            Builder::D128(b, _) => b.append_null(),
            Builder::D256(b, _) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Ts(b) => b.append_null(),
            Builder::Dur(b) => b.append_null(),
            Builder::Str(b, _) => b.append_null(),
            Builder::Bin(b) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::I8(b) => Arc::new(b.finish()),
            Builder::I16(b) => Arc::new(b.finish()),
            Builder::I32(b) => Arc::new(b.finish()),
            Builder::I64(b) => Arc::new(b.finish()),
            Builder::U8(b) => Arc::new(b.finish()),
            Builder::U16(b) => Arc::new(b.finish()),
            Builder::U32(b) => Arc::new(b.finish()),
            Builder::U64(b) => Arc::new(b.finish()),
            Builder::F32(b) => Arc::new(b.finish()),
            Builder::F64(b) => Arc::new(b.finish()),
            Builder::D128(b, _) => Arc::new(b.finish()),
            Builder::D256(b, _) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Ts(b) => Arc::new(b.finish()),
            Builder::Dur(b) => Arc::new(b.finish()),
            Builder::Str(b, _) => Arc::new(b.finish()),
            Builder::Bin(b) => Arc::new(b.finish()),
        }
    }
}

/// Appends character data as the UTF-8 a client receives, without a copy per value when
/// the bytes already are that UTF-8: valid UTF-8 in the UTF-8-like charsets, and ASCII in
/// latin1 (where ASCII bytes are the same characters). Anything else is converted.
fn append_text(b: &mut StringBuilder, bytes: &[u8], cs: Charset) {
    match cs {
        Charset::Utf8 | Charset::Binary | Charset::Other => match std::str::from_utf8(bytes) {
            Ok(s) => b.append_value(s),
            Err(_) => b.append_value(String::from_utf8_lossy(bytes)),
        },
        Charset::Latin1 if bytes.is_ascii() => match std::str::from_utf8(bytes) {
            Ok(s) => b.append_value(s),
            Err(_) => b.append_value(String::from_utf8_lossy(bytes)),
        },
        cs => b.append_value(String::from_utf8_lossy(&to_utf8(bytes, cs))),
    }
}

/// Builds batches of the projected columns from stored rows.
pub(crate) struct BatchMaker {
    schema: SchemaRef,
    projection: Vec<usize>,
    readers: Arc<Vec<ColumnReader>>,
    builders: Vec<Builder>,
    rows: usize,
    table: String,
}

impl BatchMaker {
    fn new(
        schema: SchemaRef,
        projection: Vec<usize>,
        readers: Arc<Vec<ColumnReader>>,
        table: String,
        cap: usize,
    ) -> Result<BatchMaker, DataFusionError> {
        let builders = projection
            .iter()
            .map(|&i| match readers.get(i) {
                Some(r) => Builder::new(&r.conversion, cap),
                None => Err(DataFusionError::Internal(format!("no column {i}"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BatchMaker {
            schema,
            projection,
            readers,
            builders,
            rows: 0,
            table,
        })
    }

    /// Appends one stored row.
    pub(crate) fn push(&mut self, stored: &[u8]) -> Result<(), DataFusionError> {
        let row = decode_row_ref(stored)
            .map_err(|e| DataFusionError::External(format!("table {}: {e}", self.table).into()))?;
        for (b, &i) in self.builders.iter_mut().zip(&self.projection) {
            let v = row.get(i);
            match self.readers.get(i) {
                Some(r) => b.append(v, r),
                None => b.append_null(),
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The rows appended since the last batch, as a batch.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, DataFusionError> {
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let opts =
            datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(self.rows));
        self.rows = 0;
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &opts,
        )?)
    }
}

/// One scan's work: what to read and how to build it.
#[derive(Debug)]
struct ScanPartition {
    schema: SchemaRef,
    projection: Vec<usize>,
    readers: Arc<Vec<ColumnReader>>,
    ranges: Vec<KeyRange>,
    limit: Option<usize>,
    view: Arc<PinnedView>,
    table: String,
}

impl ScanPartition {
    /// Reads every range, calling `emit` with each full batch and the last one.
    fn run(&self, mut emit: impl FnMut(RecordBatch) -> bool) -> Result<(), DataFusionError> {
        let limit = self.limit.unwrap_or(usize::MAX);
        let cap = limit.min(BATCH_ROWS);
        let mut maker = BatchMaker::new(
            self.schema.clone(),
            self.projection.clone(),
            self.readers.clone(),
            self.table.clone(),
            cap.min(1024),
        )?;
        let mut total = 0usize;
        let mut stopped = false;
        let store_err = |e: crate::store::StoreError| DataFusionError::External(Box::new(e));
        for range in &self.ranges {
            if total >= limit || stopped {
                break;
            }
            match range {
                KeyRange::Point(k) => {
                    if let Some(v) = self.view.get_row(k).map_err(store_err)? {
                        maker.push(&v)?;
                        total += 1;
                    }
                }
                KeyRange::Range(lo, hi) => {
                    let mut err = None;
                    self.view
                        .scan(lo, hi, |_, v| {
                            if let Err(e) = maker.push(v) {
                                err = Some(e);
                                return Ok(false);
                            }
                            total += 1;
                            if maker.rows >= BATCH_ROWS {
                                match maker.finish() {
                                    Ok(b) => {
                                        if !emit(b) {
                                            stopped = true;
                                            return Ok(false);
                                        }
                                    }
                                    Err(e) => {
                                        err = Some(e);
                                        return Ok(false);
                                    }
                                }
                            }
                            Ok(total < limit)
                        })
                        .map_err(store_err)?;
                    if let Some(e) = err {
                        return Err(e);
                    }
                }
            }
            if maker.rows >= BATCH_ROWS {
                let b = maker.finish()?;
                if !emit(b) {
                    stopped = true;
                }
            }
        }
        if !stopped && (maker.rows > 0 || total == 0) {
            let b = maker.finish()?;
            emit(b);
        }
        Ok(())
    }

    fn is_small(&self) -> bool {
        self.ranges.len() <= 64 && self.ranges.iter().all(|r| matches!(r, KeyRange::Point(_)))
    }
}

impl PartitionStream for ScanPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let me = ScanPartition {
            schema: self.schema.clone(),
            projection: self.projection.clone(),
            readers: self.readers.clone(),
            ranges: self.ranges.clone(),
            limit: self.limit,
            view: self.view.clone(),
            table: self.table.clone(),
        };
        if self.is_small() {
            // Point reads: a few gets, done inline (no thread hop on the hot path).
            let mut out = Vec::new();
            let result = me.run(|b| {
                out.push(Ok(b));
                true
            });
            if let Err(e) = result {
                out.push(Err(e));
            }
            return Box::pin(RecordBatchStreamAdapter::new(
                self.schema.clone(),
                futures_util::stream::iter(out),
            ));
        }
        let mut builder = RecordBatchReceiverStream::builder(self.schema.clone(), 2);
        let tx = builder.tx();
        builder.spawn_blocking(move || {
            let tx2 = tx.clone();
            me.run(|b| tx2.blocking_send(Ok(b)).is_ok())
        });
        builder.build()
    }
}

#[async_trait]
impl TableProvider for StoreTable {
    fn schema(&self) -> SchemaRef {
        self.layout.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>, DataFusionError> {
        Ok(filters
            .iter()
            .map(|f| {
                let usable = match f {
                    Expr::BinaryExpr(BinaryExpr { left, right, op }) => {
                        matches!(
                            op,
                            Operator::Eq
                                | Operator::Lt
                                | Operator::LtEq
                                | Operator::Gt
                                | Operator::GtEq
                        ) && (self.key_position(left).is_some()
                            || self.key_position(right).is_some())
                    }
                    Expr::InList(l) => !l.negated && self.key_position(&l.expr).is_some(),
                    Expr::Between(b) => !b.negated && self.key_position(&b.expr).is_some(),
                    _ => false,
                };
                if usable {
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>, DataFusionError> {
        let view = state
            .config()
            .get_extension::<PinnedView>()
            .ok_or_else(|| DataFusionError::Internal("no pinned view for this statement".into()))?;
        let projection: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.layout.columns.len()).collect(),
        };
        let schema = Arc::new(self.layout.schema.project(&projection)?);
        let ranges = match self.key_ranges(filters) {
            Some(r) => r,
            None => {
                let (start, end) = table_range(self.entry.id);
                vec![KeyRange::Range(
                    Bound::Included(start),
                    Bound::Excluded(end),
                )]
            }
        };
        let part = ScanPartition {
            schema: schema.clone(),
            projection,
            readers: self.readers.clone(),
            ranges,
            limit,
            view,
            table: self.entry.qualified_name(),
        };
        let exec = StreamingTableExec::try_new(
            schema,
            vec![Arc::new(part)],
            None,
            Vec::new(),
            false,
            limit,
        )?;
        Ok(Arc::new(exec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::table::{types, TableInfo};
    use crate::store::catalog::TableState;
    use datafusion::logical_expr::{col, lit};

    fn info_col(name: &str, t: u8, unsigned: bool) -> ColumnInfo {
        ColumnInfo {
            name: Some(name.into()),
            column_type: t,
            meta: 0,
            unsigned,
            collation: None,
            nullable: false,
            labels: None,
            visible: true,
        }
    }

    fn table(pk: Vec<usize>) -> StoreTable {
        let mut e = TableEntry::new(7, "db", "t", TableState::Streaming);
        e.info = Some(TableInfo {
            table_id: 1,
            schema: "db".into(),
            name: "t".into(),
            columns: vec![
                info_col("A", types::LONG, false),
                info_col("b", types::LONGLONG, true),
                info_col("c", types::LONG, false),
            ],
            primary_key: pk,
        });
        StoreTable::new(Arc::new(e))
    }

    fn key(t: &StoreTable, vals: &[Value]) -> Vec<u8> {
        let keys = t.key_columns();
        let cols: Vec<(&ColumnInfo, &Value)> =
            keys.iter().zip(vals).map(|((_, c), v)| (*c, v)).collect();
        let mut k = vec![];
        encode_key(&mut k, &cols).unwrap();
        keyed_row_key(7, &k)
    }

    #[test]
    fn equality_and_in_become_point_reads() {
        let t = table(vec![0]);
        let r = t.key_ranges(&[col("a").eq(lit(5i64))]).unwrap();
        assert_eq!(r, vec![KeyRange::Point(key(&t, &[Value::Int(5)]))]);
        let r = t
            .key_ranges(&[col("a").in_list(vec![lit(9i64), lit(2i32), lit(9i64)], false)])
            .unwrap();
        assert_eq!(
            r,
            vec![
                KeyRange::Point(key(&t, &[Value::Int(2)])),
                KeyRange::Point(key(&t, &[Value::Int(9)]))
            ]
        );
        // Not a key column, or a non-literal: whole table.
        assert!(t.key_ranges(&[col("c").eq(lit(1i64))]).is_none());
        assert!(t.key_ranges(&[col("a").eq(col("c"))]).is_none());
        // An unsigned key cannot equal a negative number: no usable range.
        let u = table(vec![1]);
        assert!(u.key_ranges(&[col("b").eq(lit(-1i64))]).is_none());
    }

    #[test]
    fn ranges_and_composite_prefixes() {
        let t = table(vec![0]);
        let r = t
            .key_ranges(&[
                col("a").gt(lit(3i64)),
                col("a").lt_eq(lit(10i64)),
                col("a").gt_eq(lit(1i64)),
            ])
            .unwrap();
        let lo = successor(&key(&t, &[Value::Int(3)])).unwrap();
        let hi = successor(&key(&t, &[Value::Int(10)])).unwrap();
        assert_eq!(
            r,
            vec![KeyRange::Range(Bound::Included(lo), Bound::Excluded(hi))]
        );
        let r = t.key_ranges(&[lit(4i64).lt(col("a"))]).unwrap();
        let KeyRange::Range(Bound::Included(lo), Bound::Excluded(hi)) = &r[0] else {
            panic!("{r:?}")
        };
        assert_eq!(lo, &successor(&key(&t, &[Value::Int(4)])).unwrap());
        assert_eq!(hi, &table_range(7).1);
        // (a, c) key with a = 1: the prefix range; with both: a point.
        let c = table(vec![0, 2]);
        let r = c.key_ranges(&[col("a").eq(lit(1i64))]).unwrap();
        assert!(matches!(
            &r[0],
            KeyRange::Range(Bound::Included(_), Bound::Excluded(_))
        ));
        let r = c
            .key_ranges(&[col("a").eq(lit(1i64)), col("c").eq(lit(2i64))])
            .unwrap();
        assert_eq!(
            r,
            vec![KeyRange::Point(key(&c, &[Value::Int(1), Value::Int(2)]))]
        );
        let r = c
            .key_ranges(&[
                col("a").eq(lit(1i64)),
                col("c").between(lit(2i64), lit(5i64)),
            ])
            .unwrap();
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn decimal_text_round_trips() {
        assert_eq!(parse_decimal_i128("-12.340", 3), Some(-12340));
        assert_eq!(parse_decimal_i128("5", 2), Some(500));
        assert_eq!(parse_decimal_i128("x", 2), None);
        assert_eq!(decimal_text(-12340, 3), "-12.340");
        assert_eq!(decimal_text(5, 2), "0.05");
        assert_eq!(decimal_text(-5, 0), "-5");
        assert_eq!(parse_decimal_i256("-1.5", 2), Some(i256::from_i128(-150)));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
