//! Arrow results as MySQL sends them: column definitions ([`ColumnDef`]) from the Arrow
//! schema (the source's exact definition for plain column references, through the field
//! metadata of `types.rs`; MySQL's choice for computed columns), and Arrow batches as rows
//! of protocol values ([`MyValue`]).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryViewArray, BooleanArray, Date32Array, Date64Array,
    LargeBinaryArray, LargeStringArray, StringArray, StringViewArray,
};
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Decimal256Type, DurationMicrosecondType, DurationMillisecondType,
    DurationNanosecondType, DurationSecondType, Field, Float16Type, Float32Type, Float64Type,
    Int16Type, Int32Type, Int64Type, Int8Type, Time32MillisecondType, Time32SecondType,
    Time64MicrosecondType, Time64NanosecondType, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use jiff::tz::TimeZone;
use mysql_common::constants::{ColumnFlags, ColumnType};
use mysql_common::value::Value as MyValue;

use super::result::{ColumnDef, RowChunk, SqlError, BINARY_CHARSET};
use super::table::decimal_text;
use super::types::{
    META_COLLATION, META_DECIMALS, META_FLAGS, META_LENGTH, META_NAME, META_SCHEMA, META_TABLE,
    META_TYPE,
};

/// The MySQL column definition of one result field, shown as `name`.
///
/// `result_collation` is the connection's result collation (character columns are sent
/// in it).
pub fn column_def(field: &Field, name: &str, result_collation: u16) -> ColumnDef {
    if let Some(def) = table_column_def(field, name, result_collation) {
        return def;
    }
    let mut def = computed_def(field.data_type(), name, result_collation);
    // A function may state its result's decimals (`mysql.decimals`, see row_udf.rs).
    if let Some(d) = field
        .metadata()
        .get(META_DECIMALS)
        .and_then(|d| d.parse().ok())
    {
        def.decimals = d;
    }
    def
}

/// The definition of a plain column reference, from the field metadata; `None` when the
/// field has none or its Arrow type no longer is the column's (an expression kept it).
fn table_column_def(field: &Field, name: &str, result_collation: u16) -> Option<ColumnDef> {
    let m = field.metadata();
    let code: u8 = m.get(META_TYPE)?.parse().ok()?;
    let column_type = ColumnType::try_from(code).ok()?;
    if !type_fits(column_type, field.data_type()) {
        return None;
    }
    let get = |k: &str| m.get(k).and_then(|v| v.parse::<u64>().ok());
    let collation = get(META_COLLATION).and_then(|c| u16::try_from(c).ok());
    let charset = match collation {
        Some(c) if c == BINARY_CHARSET => BINARY_CHARSET,
        Some(_) => result_collation,
        None if matches!(field.data_type(), DataType::Utf8) => result_collation,
        None => BINARY_CHARSET,
    };
    let mut length = get(META_LENGTH).unwrap_or(0);
    if charset != BINARY_CHARSET {
        // Lengths are kept for a 4-byte charset; a utf8mb3 or latin1 connection gets less.
        length = length / 4 * u64::from(super::types::mbmaxlen(Some(result_collation)));
    }
    Some(ColumnDef {
        schema: m.get(META_SCHEMA).cloned().unwrap_or_default(),
        table: m.get(META_TABLE).cloned().unwrap_or_default(),
        org_table: m.get(META_TABLE).cloned().unwrap_or_default(),
        name: name.to_string(),
        org_name: m
            .get(META_NAME)
            .cloned()
            .unwrap_or_else(|| field.name().clone()),
        charset,
        length: u32::try_from(length).unwrap_or(u32::MAX),
        column_type,
        flags: ColumnFlags::from_bits_truncate(
            get(META_FLAGS)
                .and_then(|f| u16::try_from(f).ok())
                .unwrap_or(0),
        ),
        decimals: get(META_DECIMALS)
            .and_then(|d| u8::try_from(d).ok())
            .unwrap_or(0),
    })
}

/// True when an Arrow type is what `types.rs` makes of a MySQL type.
fn type_fits(t: ColumnType, dt: &DataType) -> bool {
    use ColumnType as T;
    match t {
        // The width must be the column's: an expression that widened it (`-int_col` is
        // BIGINT) is described as computed.
        T::MYSQL_TYPE_TINY => matches!(dt, DataType::Int8 | DataType::UInt8),
        T::MYSQL_TYPE_SHORT => matches!(dt, DataType::Int16 | DataType::UInt16),
        T::MYSQL_TYPE_INT24 | T::MYSQL_TYPE_LONG => {
            matches!(dt, DataType::Int32 | DataType::UInt32)
        }
        T::MYSQL_TYPE_LONGLONG => matches!(dt, DataType::Int64 | DataType::UInt64),
        T::MYSQL_TYPE_FLOAT => matches!(dt, DataType::Float32),
        T::MYSQL_TYPE_DOUBLE => matches!(dt, DataType::Float64),
        T::MYSQL_TYPE_NEWDECIMAL => {
            matches!(dt, DataType::Decimal128(..) | DataType::Decimal256(..))
        }
        T::MYSQL_TYPE_DATE => matches!(dt, DataType::Date32),
        T::MYSQL_TYPE_DATETIME => matches!(dt, DataType::Timestamp(_, None)),
        T::MYSQL_TYPE_TIMESTAMP => matches!(dt, DataType::Timestamp(_, Some(_))),
        T::MYSQL_TYPE_TIME => matches!(dt, DataType::Duration(_)),
        T::MYSQL_TYPE_YEAR => matches!(dt, DataType::UInt16),
        T::MYSQL_TYPE_BIT => matches!(dt, DataType::UInt64),
        T::MYSQL_TYPE_VAR_STRING | T::MYSQL_TYPE_STRING | T::MYSQL_TYPE_BLOB => {
            matches!(dt, DataType::Utf8 | DataType::Binary)
        }
        T::MYSQL_TYPE_JSON => matches!(dt, DataType::Utf8),
        T::MYSQL_TYPE_GEOMETRY | T::MYSQL_TYPE_VECTOR => matches!(dt, DataType::Binary),
        _ => false,
    }
}

/// The definition MySQL gives a computed column of an Arrow type.
pub fn computed_def(dt: &DataType, name: &str, result_collation: u16) -> ColumnDef {
    use ColumnType as T;
    let num = ColumnFlags::NUM_FLAG;
    let uns = ColumnFlags::NUM_FLAG | ColumnFlags::UNSIGNED_FLAG;
    let bin = ColumnFlags::BINARY_FLAG;
    let (t, len, flags, decimals, charset) = match dt {
        DataType::Null => (T::MYSQL_TYPE_NULL, 0, bin, 0, BINARY_CHARSET),
        DataType::Boolean => (T::MYSQL_TYPE_LONGLONG, 1, num, 0, BINARY_CHARSET),
        DataType::Int8 => (T::MYSQL_TYPE_TINY, 4, num, 0, BINARY_CHARSET),
        DataType::Int16 => (T::MYSQL_TYPE_SHORT, 6, num, 0, BINARY_CHARSET),
        DataType::Int32 => (T::MYSQL_TYPE_LONG, 11, num, 0, BINARY_CHARSET),
        DataType::Int64 => (T::MYSQL_TYPE_LONGLONG, 21, num, 0, BINARY_CHARSET),
        DataType::UInt8 => (T::MYSQL_TYPE_TINY, 3, uns, 0, BINARY_CHARSET),
        DataType::UInt16 => (T::MYSQL_TYPE_SHORT, 5, uns, 0, BINARY_CHARSET),
        DataType::UInt32 => (T::MYSQL_TYPE_LONG, 10, uns, 0, BINARY_CHARSET),
        DataType::UInt64 => (T::MYSQL_TYPE_LONGLONG, 20, uns, 0, BINARY_CHARSET),
        DataType::Float16 | DataType::Float32 => (T::MYSQL_TYPE_FLOAT, 12, num, 31, BINARY_CHARSET),
        DataType::Float64 => (T::MYSQL_TYPE_DOUBLE, 22, num, 31, BINARY_CHARSET),
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => {
            let s = u8::try_from(*s).unwrap_or(0);
            (
                T::MYSQL_TYPE_NEWDECIMAL,
                u32::from(*p) + 1 + u32::from(s > 0),
                num,
                s,
                BINARY_CHARSET,
            )
        }
        DataType::Date32 | DataType::Date64 => (T::MYSQL_TYPE_DATE, 10, bin, 0, BINARY_CHARSET),
        DataType::Timestamp(_, _) => (T::MYSQL_TYPE_DATETIME, 19, bin, 0, BINARY_CHARSET),
        DataType::Duration(_) | DataType::Time32(_) | DataType::Time64(_) => {
            (T::MYSQL_TYPE_TIME, 10, bin, 0, BINARY_CHARSET)
        }
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => (
            T::MYSQL_TYPE_BLOB,
            65_535,
            bin | ColumnFlags::BLOB_FLAG,
            0,
            BINARY_CHARSET,
        ),
        _ => (
            T::MYSQL_TYPE_VAR_STRING,
            1024,
            ColumnFlags::empty(),
            39,
            result_collation,
        ),
    };
    let mut def = ColumnDef::computed(name, t, charset, len, flags);
    def.decimals = decimals;
    def
}

/// How one result column's Arrow values become protocol values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    None,
    /// BIT(n): big-endian bytes, `n` bits.
    Bit(u32),
}

/// Converts result batches to protocol rows, with TIMESTAMP values in the session zone.
pub struct RowWriter {
    specials: Vec<Special>,
    tz: TimeZone,
}

impl RowWriter {
    /// A writer for results of `fields`, showing instants in `tz`.
    pub fn new(fields: &[Arc<Field>], tz: TimeZone) -> RowWriter {
        let specials = fields
            .iter()
            .map(|f| {
                let m = f.metadata();
                match (m.get(META_TYPE).map(String::as_str), f.data_type()) {
                    (Some("16"), DataType::UInt64) => Special::Bit(
                        m.get(META_LENGTH)
                            .and_then(|l| l.parse().ok())
                            .unwrap_or(64),
                    ),
                    _ => Special::None,
                }
            })
            .collect();
        RowWriter { specials, tz }
    }

    /// The rows of one batch.
    pub fn rows(&self, batch: &RecordBatch) -> Result<RowChunk, SqlError> {
        let n = batch.num_rows();
        let mut columns: Vec<std::vec::IntoIter<MyValue>> = Vec::with_capacity(batch.num_columns());
        for (i, array) in batch.columns().iter().enumerate() {
            let special = self.specials.get(i).copied().unwrap_or(Special::None);
            columns.push(column_values(array, special, &self.tz)?.into_iter());
        }
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            rows.push(
                columns
                    .iter_mut()
                    .map(|c| c.next().unwrap_or(MyValue::NULL))
                    .collect(),
            );
        }
        Ok(rows)
    }
}

/// Civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn date_value(days: i64) -> MyValue {
    let (y, m, d) = civil_from_days(days);
    match u16::try_from(y) {
        Ok(y) if y <= 9999 => MyValue::Date(y, m as u8, d as u8, 0, 0, 0, 0),
        _ => MyValue::NULL,
    }
}

/// A DATETIME value of microseconds since the epoch (no zone).
fn datetime_value(micros: i64) -> MyValue {
    let days = micros.div_euclid(86_400_000_000);
    let rem = micros.rem_euclid(86_400_000_000);
    let (y, m, d) = civil_from_days(days);
    let secs = rem / 1_000_000;
    let us = (rem % 1_000_000) as u32;
    match u16::try_from(y) {
        Ok(y) if y <= 9999 => MyValue::Date(
            y,
            m as u8,
            d as u8,
            (secs / 3600) as u8,
            (secs / 60 % 60) as u8,
            (secs % 60) as u8,
            us,
        ),
        _ => MyValue::NULL,
    }
}

/// An instant (microseconds since the epoch, UTC) as a DATETIME in `tz`.
fn instant_value(micros: i64, tz: &TimeZone) -> MyValue {
    let Ok(ts) = jiff::Timestamp::from_microsecond(micros) else {
        return MyValue::NULL;
    };
    let dt = tz.to_datetime(ts);
    match u16::try_from(dt.year()) {
        Ok(y) if y <= 9999 => MyValue::Date(
            y,
            dt.month() as u8,
            dt.day() as u8,
            dt.hour() as u8,
            dt.minute() as u8,
            dt.second() as u8,
            (dt.subsec_nanosecond() / 1000) as u32,
        ),
        _ => MyValue::NULL,
    }
}

fn time_value(micros: i64) -> MyValue {
    let neg = micros < 0;
    let m = micros.unsigned_abs();
    let secs = m / 1_000_000;
    let us = (m % 1_000_000) as u32;
    let hours = secs / 3600;
    MyValue::Time(
        neg,
        u32::try_from(hours / 24).unwrap_or(u32::MAX),
        (hours % 24) as u8,
        (secs / 60 % 60) as u8,
        (secs % 60) as u8,
        us,
    )
}

fn to_micros(v: i64, unit: &TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => v.saturating_mul(1_000_000),
        TimeUnit::Millisecond => v.saturating_mul(1000),
        TimeUnit::Microsecond => v,
        TimeUnit::Nanosecond => v.div_euclid(1000),
    }
}

macro_rules! prim {
    ($array:expr, $t:ty, $f:expr) => {{
        let a = $array.as_primitive::<$t>();
        (0..a.len())
            .map(|i| {
                if a.is_null(i) {
                    MyValue::NULL
                } else {
                    $f(a.value(i))
                }
            })
            .collect::<Vec<MyValue>>()
    }};
}

macro_rules! bytes {
    ($array:expr, $t:ty) => {{
        match $array.as_any().downcast_ref::<$t>() {
            Some(a) => (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        MyValue::NULL
                    } else {
                        let v: &[u8] = a.value(i).as_ref();
                        MyValue::Bytes(v.to_vec())
                    }
                })
                .collect::<Vec<MyValue>>(),
            None => return Err(SqlError::internal("unexpected array type")),
        }
    }};
}

/// One column's values.
fn column_values(
    array: &ArrayRef,
    special: Special,
    tz: &TimeZone,
) -> Result<Vec<MyValue>, SqlError> {
    let dt = array.data_type().clone();
    Ok(match &dt {
        DataType::Null => vec![MyValue::NULL; array.len()],
        DataType::Boolean => match array.as_any().downcast_ref::<BooleanArray>() {
            Some(a) => (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        MyValue::NULL
                    } else {
                        MyValue::Int(i64::from(a.value(i)))
                    }
                })
                .collect(),
            None => return Err(SqlError::internal("unexpected array type")),
        },
        DataType::Int8 => prim!(array, Int8Type, |v: i8| MyValue::Int(i64::from(v))),
        DataType::Int16 => prim!(array, Int16Type, |v: i16| MyValue::Int(i64::from(v))),
        DataType::Int32 => prim!(array, Int32Type, |v: i32| MyValue::Int(i64::from(v))),
        DataType::Int64 => prim!(array, Int64Type, MyValue::Int),
        DataType::UInt8 => prim!(array, UInt8Type, |v: u8| MyValue::UInt(u64::from(v))),
        DataType::UInt16 => prim!(array, UInt16Type, |v: u16| MyValue::UInt(u64::from(v))),
        DataType::UInt32 => prim!(array, UInt32Type, |v: u32| MyValue::UInt(u64::from(v))),
        DataType::UInt64 => match special {
            Special::Bit(width) => {
                let n = (width.div_ceil(8)).clamp(1, 8) as usize;
                prim!(array, UInt64Type, |v: u64| {
                    let b = v.to_be_bytes();
                    MyValue::Bytes(b.get(8 - n..).unwrap_or(&b).to_vec())
                })
            }
            Special::None => prim!(array, UInt64Type, MyValue::UInt),
        },
        DataType::Float16 => prim!(array, Float16Type, |v: HalfF16| MyValue::Float(v.to_f32())),
        DataType::Float32 => prim!(array, Float32Type, MyValue::Float),
        DataType::Float64 => prim!(array, Float64Type, MyValue::Double),
        DataType::Decimal128(_, s) => {
            let s = *s;
            prim!(array, Decimal128Type, |v: i128| MyValue::Bytes(
                decimal_text(v, s).into_bytes()
            ))
        }
        DataType::Decimal256(_, s) => {
            let s = *s;
            prim!(
                array,
                Decimal256Type,
                |v: datafusion::arrow::datatypes::i256| {
                    MyValue::Bytes(decimal256_text(&v.to_string(), s).into_bytes())
                }
            )
        }
        DataType::Date32 => match array.as_any().downcast_ref::<Date32Array>() {
            Some(a) => (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        MyValue::NULL
                    } else {
                        date_value(i64::from(a.value(i)))
                    }
                })
                .collect(),
            None => return Err(SqlError::internal("unexpected array type")),
        },
        DataType::Date64 => match array.as_any().downcast_ref::<Date64Array>() {
            Some(a) => (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        MyValue::NULL
                    } else {
                        date_value(a.value(i).div_euclid(86_400_000))
                    }
                })
                .collect(),
            None => return Err(SqlError::internal("unexpected array type")),
        },
        DataType::Timestamp(unit, zone) => {
            let conv = |v: i64| {
                let us = to_micros(v, unit);
                if zone.is_some() {
                    instant_value(us, tz)
                } else {
                    datetime_value(us)
                }
            };
            match unit {
                TimeUnit::Second => prim!(array, TimestampSecondType, conv),
                TimeUnit::Millisecond => prim!(array, TimestampMillisecondType, conv),
                TimeUnit::Microsecond => prim!(array, TimestampMicrosecondType, conv),
                TimeUnit::Nanosecond => prim!(array, TimestampNanosecondType, conv),
            }
        }
        DataType::Duration(unit) => {
            let conv = |v: i64| time_value(to_micros(v, unit));
            match unit {
                TimeUnit::Second => prim!(array, DurationSecondType, conv),
                TimeUnit::Millisecond => prim!(array, DurationMillisecondType, conv),
                TimeUnit::Microsecond => prim!(array, DurationMicrosecondType, conv),
                TimeUnit::Nanosecond => prim!(array, DurationNanosecondType, conv),
            }
        }
        DataType::Time32(TimeUnit::Second) => {
            prim!(array, Time32SecondType, |v: i32| time_value(
                i64::from(v) * 1_000_000
            ))
        }
        DataType::Time32(_) => {
            prim!(array, Time32MillisecondType, |v: i32| time_value(
                i64::from(v) * 1000
            ))
        }
        DataType::Time64(TimeUnit::Nanosecond) => {
            prim!(array, Time64NanosecondType, |v: i64| time_value(v / 1000))
        }
        DataType::Time64(_) => prim!(array, Time64MicrosecondType, time_value),
        DataType::Utf8 => bytes!(array, StringArray),
        DataType::LargeUtf8 => bytes!(array, LargeStringArray),
        DataType::Utf8View => bytes!(array, StringViewArray),
        DataType::Binary => bytes!(array, BinaryArray),
        DataType::LargeBinary => bytes!(array, LargeBinaryArray),
        DataType::BinaryView => bytes!(array, BinaryViewArray),
        _ => {
            let opts = FormatOptions::default();
            let f = ArrayFormatter::try_new(array.as_ref(), &opts)
                .map_err(|e| SqlError::internal(e.to_string()))?;
            (0..array.len())
                .map(|i| {
                    if array.is_null(i) {
                        MyValue::NULL
                    } else {
                        MyValue::Bytes(f.value(i).to_string().into_bytes())
                    }
                })
                .collect()
        }
    })
}

/// Arrow's half-precision float.
type HalfF16 = <Float16Type as datafusion::arrow::datatypes::ArrowPrimitiveType>::Native;

/// Inserts the decimal point into the digits of a scaled 256-bit integer.
fn decimal256_text(digits: &str, scale: i8) -> String {
    let (neg, d) = match digits.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, digits),
    };
    let scale = usize::try_from(scale).unwrap_or(0);
    let mut out = String::with_capacity(d.len() + 3);
    if neg {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(d);
    } else if d.len() > scale {
        let (i, f) = d.split_at(d.len() - scale);
        out.push_str(i);
        out.push('.');
        out.push_str(f);
    } else {
        out.push_str("0.");
        for _ in d.len()..scale {
            out.push('0');
        }
        out.push_str(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Decimal128Array, DurationMicrosecondArray, Int64Array, TimestampMicrosecondArray,
        UInt64Array,
    };
    use datafusion::arrow::datatypes::Schema;
    use std::collections::HashMap;

    #[test]
    fn computed_columns_get_mysql_types() {
        let d = computed_def(&DataType::Int64, "count(*)", 45);
        assert_eq!(d.column_type, ColumnType::MYSQL_TYPE_LONGLONG);
        assert_eq!(d.length, 21);
        assert_eq!(d.charset, BINARY_CHARSET);
        let d = computed_def(&DataType::Decimal128(12, 4), "x", 45);
        assert_eq!(d.column_type, ColumnType::MYSQL_TYPE_NEWDECIMAL);
        assert_eq!(d.decimals, 4);
        let d = computed_def(&DataType::Float64, "x", 45);
        assert_eq!(
            (d.column_type, d.decimals),
            (ColumnType::MYSQL_TYPE_DOUBLE, 31)
        );
        let d = computed_def(&DataType::Utf8, "x", 224);
        assert_eq!(
            (d.column_type, d.charset, d.decimals),
            (ColumnType::MYSQL_TYPE_VAR_STRING, 224, 39)
        );
        let d = computed_def(&DataType::Binary, "x", 224);
        assert_eq!(
            (d.column_type, d.charset),
            (ColumnType::MYSQL_TYPE_BLOB, 63)
        );
    }

    #[test]
    fn table_columns_use_metadata() {
        let mut m = HashMap::new();
        m.insert(META_TYPE.to_string(), "253".to_string());
        m.insert(META_COLLATION.to_string(), "8".to_string());
        m.insert(META_LENGTH.to_string(), "80".to_string());
        m.insert(META_FLAGS.to_string(), "3".to_string());
        m.insert(META_SCHEMA.to_string(), "shop".to_string());
        m.insert(META_TABLE.to_string(), "Orders".to_string());
        m.insert(META_NAME.to_string(), "Name".to_string());
        let f = Field::new("name", DataType::Utf8, true).with_metadata(m.clone());
        let d = column_def(&f, "NAME", 45);
        assert_eq!(d.column_type, ColumnType::MYSQL_TYPE_VAR_STRING);
        assert_eq!((d.name.as_str(), d.org_name.as_str()), ("NAME", "Name"));
        assert_eq!(
            (d.schema.as_str(), d.org_table.as_str()),
            ("shop", "Orders")
        );
        assert_eq!(d.charset, 45);
        assert_eq!(d.length, 80);
        assert!(d
            .flags
            .contains(ColumnFlags::NOT_NULL_FLAG | ColumnFlags::PRI_KEY_FLAG));
        // The same metadata on a field whose type changed: computed.
        let f = Field::new("name", DataType::Int64, true).with_metadata(m);
        assert_eq!(
            column_def(&f, "x", 45).column_type,
            ColumnType::MYSQL_TYPE_LONGLONG
        );
    }

    #[test]
    fn values_convert() {
        let mut bit = HashMap::new();
        bit.insert(META_TYPE.to_string(), "16".to_string());
        bit.insert(META_LENGTH.to_string(), "12".to_string());
        let fields = vec![
            Arc::new(Field::new("a", DataType::Int64, true)),
            Arc::new(Field::new("b", DataType::Decimal128(10, 2), true)),
            Arc::new(Field::new(
                "c",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                true,
            )),
            Arc::new(Field::new(
                "d",
                DataType::Duration(TimeUnit::Microsecond),
                true,
            )),
            Arc::new(Field::new("e", DataType::UInt64, true).with_metadata(bit)),
            Arc::new(Field::new(
                "f",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            )),
        ];
        let schema = Arc::new(Schema::new(fields.clone()));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![Some(-3), None])),
                Arc::new(
                    Decimal128Array::from(vec![Some(-1234), Some(5)])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
                Arc::new(TimestampMicrosecondArray::from(vec![
                    Some(1_500_000),
                    Some(-1),
                ])),
                Arc::new(DurationMicrosecondArray::from(vec![
                    Some(-(90_000 * 1_000_000 + 5)),
                    Some(0),
                ])),
                Arc::new(UInt64Array::from(vec![Some(0x0abc), None])),
                Arc::new(TimestampMicrosecondArray::from(vec![Some(0), None]).with_timezone("UTC")),
            ],
        )
        .unwrap();
        let tz = TimeZone::fixed(jiff::tz::offset(2));
        let rows = RowWriter::new(&fields, tz).rows(&batch).unwrap();
        assert_eq!(rows[0][0], MyValue::Int(-3));
        assert_eq!(rows[1][0], MyValue::NULL);
        assert_eq!(rows[0][1], MyValue::Bytes(b"-12.34".to_vec()));
        assert_eq!(rows[1][1], MyValue::Bytes(b"0.05".to_vec()));
        assert_eq!(rows[0][2], MyValue::Date(1970, 1, 1, 0, 0, 1, 500_000));
        assert_eq!(rows[1][2], MyValue::Date(1969, 12, 31, 23, 59, 59, 999_999));
        assert_eq!(rows[0][3], MyValue::Time(true, 1, 1, 0, 0, 5));
        assert_eq!(rows[0][4], MyValue::Bytes(vec![0x0a, 0xbc]));
        assert_eq!(rows[0][5], MyValue::Date(1970, 1, 1, 2, 0, 0, 0));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
    }
}
