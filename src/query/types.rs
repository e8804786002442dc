//! MySQL columns as Arrow fields: the exact Arrow type of each source column type, and the
//! MySQL facts (type code, collation, flags, length, decimals, `COLUMN_TYPE`) kept in the
//! field's metadata, so a plain column reference in a result reports the source's exact
//! column definition (see `output.rs`).
//!
//! | MySQL | Arrow |
//! |---|---|
//! | TINYINT / SMALLINT / MEDIUMINT, INT / BIGINT | Int8/UInt8, Int16/UInt16, Int32/UInt32, Int64/UInt64 |
//! | FLOAT, DOUBLE | Float32, Float64 |
//! | DECIMAL(p,s) | Decimal128(p,s); Decimal256(p,s) when p > 38 |
//! | DATE | Date32 |
//! | DATETIME | Timestamp(µs, no zone) |
//! | TIMESTAMP | Timestamp(µs, "UTC"): an instant, shown in the session time zone |
//! | TIME | Duration(µs) (negative and over 24 h allowed) |
//! | YEAR | UInt16 |
//! | CHAR/VARCHAR/TEXT, ENUM, SET (labels), JSON | Utf8 (converted to UTF-8) |
//! | BINARY/VARBINARY/BLOB, GEOMETRY, VECTOR | Binary |
//! | BIT(n) | UInt64 |
//!
//! Known gap: zero and partial dates (`0000-00-00`, `2024-00-10`) and the zero
//! DATETIME/TIMESTAMP have no Arrow value; they read as NULL.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use mysql_common::constants::{ColumnFlags, ColumnType};

use crate::source::table::{types, ColumnInfo, BINARY_COLLATION};
use crate::source::text::{charset_of, Charset};
use crate::store::catalog::TableEntry;

/// Field metadata key: the MySQL protocol type code (decimal text, e.g. `"253"`).
pub const META_TYPE: &str = "mysql.type";
/// Field metadata key: the column's collation id (decimal text); absent for numbers.
pub const META_COLLATION: &str = "mysql.collation";
/// Field metadata key: `"1"` for UNSIGNED columns.
pub const META_UNSIGNED: &str = "mysql.unsigned";
/// Field metadata key: the display length MySQL reports to a utf8mb4 client.
pub const META_LENGTH: &str = "mysql.length";
/// Field metadata key: the decimals MySQL reports (scale, fractional-second precision).
pub const META_DECIMALS: &str = "mysql.decimals";
/// Field metadata key: the column flags (NOT_NULL, PRI_KEY, UNSIGNED, BINARY, BLOB, …)
/// as decimal text of the protocol's bit set.
pub const META_FLAGS: &str = "mysql.flags";
/// Field metadata key: the source's `COLUMN_TYPE` text (e.g. `int(10) unsigned`).
pub const META_COLUMN_TYPE: &str = "mysql.column_type";
/// Field metadata key: the source database of the column.
pub const META_SCHEMA: &str = "mysql.schema";
/// Field metadata key: the source table of the column.
pub const META_TABLE: &str = "mysql.table";
/// Field metadata key: the column's name as defined on the source (Arrow field names are
/// lower case, because MySQL column names are case-insensitive).
pub const META_NAME: &str = "mysql.name";

/// How a stored value of a column becomes an Arrow value (what `table.rs` builds).
#[derive(Debug, Clone, PartialEq)]
pub enum Conversion {
    /// Signed integer of the given Arrow width (8, 16, 32, 64).
    Int(u8),
    /// Unsigned integer of the given Arrow width.
    UInt(u8),
    /// FLOAT.
    Float32,
    /// DOUBLE.
    Float64,
    /// DECIMAL as Decimal128 with this precision and scale.
    Decimal128(u8, i8),
    /// DECIMAL as Decimal256 (precision > 38).
    Decimal256(u8, i8),
    /// DATE as days since the epoch.
    Date,
    /// DATETIME as microseconds since the epoch (no zone).
    DateTime,
    /// TIMESTAMP as microseconds since the epoch, UTC.
    Timestamp,
    /// TIME as a signed duration in microseconds.
    Time,
    /// YEAR.
    Year,
    /// BIT(n) as UInt64.
    Bit,
    /// Character data converted from the column's charset to UTF-8.
    Text(Charset),
    /// ENUM labels (converted from the charset).
    Enum(Charset),
    /// SET labels joined by commas.
    Set(Charset),
    /// JSON text.
    Json,
    /// Bytes as stored.
    Binary,
}

/// One column of a served table: its Arrow field and how values convert.
#[derive(Debug, Clone)]
pub struct ColumnPlan {
    /// The Arrow field (lower-case name, MySQL metadata).
    pub field: Field,
    /// The conversion from stored values.
    pub conversion: Conversion,
}

/// The columns of a served table, in table order: its Arrow schema and conversions.
#[derive(Debug, Clone)]
pub struct TableLayout {
    /// Arrow schema of the whole table.
    pub schema: Arc<Schema>,
    /// Per column.
    pub columns: Vec<ColumnPlan>,
}

/// The Arrow layout of a table entry (which must be described: `info` present).
pub fn table_layout(entry: &TableEntry) -> TableLayout {
    let Some(info) = entry.info.as_ref() else {
        return TableLayout {
            schema: Arc::new(Schema::empty()),
            columns: vec![],
        };
    };
    let columns: Vec<ColumnPlan> = info
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let column_type = entry.column_types.get(i).map(String::as_str).unwrap_or("");
            column_plan(
                col,
                i,
                column_type,
                info.primary_key.contains(&i),
                &entry.schema,
                &entry.name,
            )
        })
        .collect();
    let schema = Arc::new(Schema::new(
        columns.iter().map(|c| c.field.clone()).collect::<Vec<_>>(),
    ));
    TableLayout { schema, columns }
}

/// Maximum bytes per character of a charset (what MySQL multiplies lengths by).
pub fn mbmaxlen(collation: Option<u16>) -> u32 {
    let Some(id) = collation else { return 4 };
    let base = if id >= 1024 { id - 1024 } else { id };
    match charset_of(Some(id)) {
        Charset::Binary | Charset::Latin1 => 1,
        Charset::Utf16Be | Charset::Utf16Le | Charset::Utf32 => 4,
        Charset::Utf8 => match base {
            11 | 65 => 1,
            33 | 83 | 192..=215 | 223 | 76 => 3,
            _ => 4,
        },
        Charset::Other => 2,
    }
}

/// The numbers in the first parenthesis of a `COLUMN_TYPE` text (`decimal(10,2)` → 10, 2).
fn type_args(column_type: &str) -> Vec<u32> {
    let Some(open) = column_type.find('(') else {
        return vec![];
    };
    let rest = &column_type[open + 1..];
    let Some(close) = rest.find(')') else {
        return vec![];
    };
    rest[..close]
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

/// The protocol type code MySQL sends in result sets for a binlog column type.
pub fn wire_type(col: &ColumnInfo, column_type: &str) -> ColumnType {
    use ColumnType as T;
    let lower = column_type.to_ascii_lowercase();
    match col.column_type {
        types::TINY => T::MYSQL_TYPE_TINY,
        types::SHORT => T::MYSQL_TYPE_SHORT,
        types::INT24 => T::MYSQL_TYPE_INT24,
        types::LONG => T::MYSQL_TYPE_LONG,
        types::LONGLONG => T::MYSQL_TYPE_LONGLONG,
        types::FLOAT => T::MYSQL_TYPE_FLOAT,
        types::DOUBLE => T::MYSQL_TYPE_DOUBLE,
        types::DECIMAL | types::NEWDECIMAL => T::MYSQL_TYPE_NEWDECIMAL,
        types::DATE | types::NEWDATE => T::MYSQL_TYPE_DATE,
        types::DATETIME | types::DATETIME2 => T::MYSQL_TYPE_DATETIME,
        types::TIMESTAMP | types::TIMESTAMP2 => T::MYSQL_TYPE_TIMESTAMP,
        types::TIME | types::TIME2 => T::MYSQL_TYPE_TIME,
        types::YEAR => T::MYSQL_TYPE_YEAR,
        types::BIT => T::MYSQL_TYPE_BIT,
        types::VARCHAR | types::VAR_STRING => T::MYSQL_TYPE_VAR_STRING,
        types::STRING | types::ENUM | types::SET => T::MYSQL_TYPE_STRING,
        types::JSON => T::MYSQL_TYPE_JSON,
        types::GEOMETRY => T::MYSQL_TYPE_GEOMETRY,
        types::TINY_BLOB | types::MEDIUM_BLOB | types::LONG_BLOB | types::BLOB => {
            if lower.starts_with("json") {
                T::MYSQL_TYPE_JSON
            } else {
                T::MYSQL_TYPE_BLOB
            }
        }
        types::VECTOR => T::MYSQL_TYPE_VECTOR,
        _ => T::MYSQL_TYPE_BLOB,
    }
}

/// The Arrow field and conversion of one source column.
pub fn column_plan(
    col: &ColumnInfo,
    index: usize,
    column_type: &str,
    primary_key: bool,
    schema: &str,
    table: &str,
) -> ColumnPlan {
    let name = col.display_name(index);
    let args = type_args(column_type);
    let unsigned = col.unsigned;
    let charset = charset_of(col.collation);
    let binary = col.is_binary();
    let int = |w: u8| {
        if unsigned {
            Conversion::UInt(w)
        } else {
            Conversion::Int(w)
        }
    };
    let fsp = |c: &ColumnInfo| u32::from(c.meta.min(6) as u8);
    let mut flags = ColumnFlags::empty();
    let mut decimals: u32 = 0;
    let mut collation: Option<u16> = None;
    let (conversion, length) = match col.column_type {
        types::TINY => (
            int(8),
            args.first()
                .copied()
                .unwrap_or(if unsigned { 3 } else { 4 }),
        ),
        types::SHORT => (
            int(16),
            args.first()
                .copied()
                .unwrap_or(if unsigned { 5 } else { 6 }),
        ),
        types::INT24 => (
            int(32),
            args.first()
                .copied()
                .unwrap_or(if unsigned { 8 } else { 9 }),
        ),
        types::LONG => (
            int(32),
            args.first()
                .copied()
                .unwrap_or(if unsigned { 10 } else { 11 }),
        ),
        types::LONGLONG => (int(64), args.first().copied().unwrap_or(20)),
        types::FLOAT | types::DOUBLE => {
            let single = col.column_type == types::FLOAT;
            decimals = args.get(1).copied().unwrap_or(31);
            let length = match (args.first(), args.get(1)) {
                (Some(m), Some(_)) => *m + 2,
                _ if single => 12,
                _ => 22,
            };
            let conv = if single {
                Conversion::Float32
            } else {
                Conversion::Float64
            };
            (conv, length)
        }
        types::DECIMAL | types::NEWDECIMAL => {
            let (mut p, mut s) = ((col.meta & 0xff) as u8, (col.meta >> 8) as u8);
            if let (Some(ap), Some(asc)) = (args.first(), args.get(1)) {
                p = u8::try_from(*ap).unwrap_or(p);
                s = u8::try_from(*asc).unwrap_or(s);
            }
            let p = p.clamp(1, 76);
            let s = s.min(p);
            decimals = u32::from(s);
            let length = u32::from(p) + u32::from(s > 0) + u32::from(!unsigned);
            let scale = i8::try_from(s).unwrap_or(0);
            let conv = if p > 38 {
                Conversion::Decimal256(p, scale)
            } else {
                Conversion::Decimal128(p, scale)
            };
            (conv, length)
        }
        types::DATE | types::NEWDATE => {
            flags |= ColumnFlags::BINARY_FLAG;
            (Conversion::Date, 10)
        }
        types::DATETIME | types::DATETIME2 => {
            flags |= ColumnFlags::BINARY_FLAG;
            decimals = fsp(col);
            (
                Conversion::DateTime,
                19 + if decimals > 0 { decimals + 1 } else { 0 },
            )
        }
        types::TIMESTAMP | types::TIMESTAMP2 => {
            // As the server sends it: a TIMESTAMP is also UNSIGNED and ZEROFILL.
            flags |= ColumnFlags::BINARY_FLAG
                | ColumnFlags::TIMESTAMP_FLAG
                | ColumnFlags::UNSIGNED_FLAG
                | ColumnFlags::ZEROFILL_FLAG;
            decimals = fsp(col);
            (
                Conversion::Timestamp,
                19 + if decimals > 0 { decimals + 1 } else { 0 },
            )
        }
        types::TIME | types::TIME2 => {
            flags |= ColumnFlags::BINARY_FLAG;
            decimals = fsp(col);
            (
                Conversion::Time,
                10 + if decimals > 0 { decimals + 1 } else { 0 },
            )
        }
        types::YEAR => {
            flags |= ColumnFlags::UNSIGNED_FLAG | ColumnFlags::ZEROFILL_FLAG;
            (Conversion::Year, 4)
        }
        types::BIT => {
            flags |= ColumnFlags::UNSIGNED_FLAG;
            let width = u32::from((col.meta >> 8) * 8 + (col.meta & 0xff));
            (
                Conversion::Bit,
                args.first().copied().unwrap_or(width.max(1)),
            )
        }
        types::ENUM | types::SET => {
            collation = col.collation;
            let longest = col
                .labels
                .as_ref()
                .map(|l| {
                    if col.column_type == types::SET {
                        l.iter()
                            .map(|x| x.len() + 1)
                            .sum::<usize>()
                            .saturating_sub(1)
                    } else {
                        l.iter().map(Vec::len).max().unwrap_or(0)
                    }
                })
                .unwrap_or(0);
            let mb = mbmaxlen(col.collation);
            let chars = u32::try_from(longest).unwrap_or(u32::MAX) / mb.max(1);
            let conv = if col.column_type == types::ENUM {
                flags |= ColumnFlags::ENUM_FLAG;
                Conversion::Enum(charset)
            } else {
                flags |= ColumnFlags::SET_FLAG;
                Conversion::Set(charset)
            };
            (conv, chars.saturating_mul(4))
        }
        types::JSON => {
            flags |= ColumnFlags::BLOB_FLAG | ColumnFlags::BINARY_FLAG;
            (Conversion::Json, u32::MAX)
        }
        types::GEOMETRY | types::VECTOR => {
            flags |= ColumnFlags::BLOB_FLAG | ColumnFlags::BINARY_FLAG;
            collation = Some(BINARY_COLLATION);
            (Conversion::Binary, u32::MAX)
        }
        types::VARCHAR | types::VAR_STRING | types::STRING => {
            let bytes = u32::from(col.meta);
            if binary {
                flags |= ColumnFlags::BINARY_FLAG;
                collation = Some(BINARY_COLLATION);
                (Conversion::Binary, args.first().copied().unwrap_or(bytes))
            } else {
                collation = col.collation;
                let chars = args
                    .first()
                    .copied()
                    .unwrap_or(bytes / mbmaxlen(col.collation).max(1));
                (Conversion::Text(charset), chars.saturating_mul(4))
            }
        }
        _ => {
            // BLOB and TEXT of every size; the metadata is the size of the length prefix.
            flags |= ColumnFlags::BLOB_FLAG;
            let bytes: u32 = match col.meta {
                1 => 255,
                2 => 65_535,
                3 => 16_777_215,
                _ => u32::MAX,
            };
            if column_type.to_ascii_lowercase().starts_with("json") {
                flags |= ColumnFlags::BINARY_FLAG;
                (Conversion::Json, u32::MAX)
            } else if binary {
                flags |= ColumnFlags::BINARY_FLAG;
                collation = Some(BINARY_COLLATION);
                (Conversion::Binary, bytes)
            } else {
                collation = col.collation;
                let mb = mbmaxlen(col.collation).max(1);
                (
                    Conversion::Text(charset),
                    u32::try_from(u64::from(bytes / mb) * 4).unwrap_or(u32::MAX),
                )
            }
        }
    };
    let data_type = arrow_type(&conversion);
    if !col.nullable {
        flags |= ColumnFlags::NOT_NULL_FLAG;
    }
    if primary_key {
        flags |= ColumnFlags::PRI_KEY_FLAG | ColumnFlags::PART_KEY_FLAG;
    }
    if unsigned && is_numeric(&conversion) {
        flags |= ColumnFlags::UNSIGNED_FLAG;
    }
    if is_numeric(&conversion) {
        flags |= ColumnFlags::NUM_FLAG;
    }
    let wire = wire_type(col, column_type);
    let mut meta = HashMap::new();
    meta.insert(META_TYPE.to_string(), (wire as u8).to_string());
    if let Some(c) = collation {
        meta.insert(META_COLLATION.to_string(), c.to_string());
    }
    if unsigned {
        meta.insert(META_UNSIGNED.to_string(), "1".to_string());
    }
    meta.insert(META_LENGTH.to_string(), length.to_string());
    meta.insert(META_DECIMALS.to_string(), decimals.to_string());
    meta.insert(META_FLAGS.to_string(), flags.bits().to_string());
    meta.insert(META_COLUMN_TYPE.to_string(), column_type.to_string());
    meta.insert(META_SCHEMA.to_string(), schema.to_string());
    meta.insert(META_TABLE.to_string(), table.to_string());
    meta.insert(META_NAME.to_string(), name.clone());
    let field = Field::new(name.to_lowercase(), data_type, true).with_metadata(meta);
    ColumnPlan { field, conversion }
}

fn is_numeric(c: &Conversion) -> bool {
    matches!(
        c,
        Conversion::Int(_)
            | Conversion::UInt(_)
            | Conversion::Float32
            | Conversion::Float64
            | Conversion::Decimal128(..)
            | Conversion::Decimal256(..)
    )
}

/// The Arrow type a conversion produces.
pub fn arrow_type(c: &Conversion) -> DataType {
    match c {
        Conversion::Int(8) => DataType::Int8,
        Conversion::Int(16) => DataType::Int16,
        Conversion::Int(32) => DataType::Int32,
        Conversion::Int(_) => DataType::Int64,
        Conversion::UInt(8) => DataType::UInt8,
        Conversion::UInt(16) => DataType::UInt16,
        Conversion::UInt(32) => DataType::UInt32,
        Conversion::UInt(_) => DataType::UInt64,
        Conversion::Float32 => DataType::Float32,
        Conversion::Float64 => DataType::Float64,
        Conversion::Decimal128(p, s) => DataType::Decimal128(*p, *s),
        Conversion::Decimal256(p, s) => DataType::Decimal256(*p, *s),
        Conversion::Date => DataType::Date32,
        Conversion::DateTime => DataType::Timestamp(TimeUnit::Microsecond, None),
        Conversion::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        Conversion::Time => DataType::Duration(TimeUnit::Microsecond),
        Conversion::Year => DataType::UInt16,
        Conversion::Bit => DataType::UInt64,
        Conversion::Text(_) | Conversion::Enum(_) | Conversion::Set(_) | Conversion::Json => {
            DataType::Utf8
        }
        Conversion::Binary => DataType::Binary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(t: u8, meta: u16, unsigned: bool, collation: Option<u16>) -> ColumnInfo {
        ColumnInfo {
            name: Some("Col".into()),
            column_type: t,
            meta,
            unsigned,
            collation,
            nullable: true,
            labels: None,
            visible: true,
        }
    }

    #[test]
    fn exact_arrow_types() {
        let cases: Vec<(ColumnInfo, &str, DataType)> = vec![
            (
                col(types::TINY, 0, false, None),
                "tinyint(4)",
                DataType::Int8,
            ),
            (
                col(types::TINY, 0, true, None),
                "tinyint(3) unsigned",
                DataType::UInt8,
            ),
            (
                col(types::SHORT, 0, false, None),
                "smallint",
                DataType::Int16,
            ),
            (
                col(types::INT24, 0, true, None),
                "mediumint unsigned",
                DataType::UInt32,
            ),
            (col(types::LONG, 0, false, None), "int(11)", DataType::Int32),
            (
                col(types::LONGLONG, 0, true, None),
                "bigint unsigned",
                DataType::UInt64,
            ),
            (
                col(types::FLOAT, 4, false, None),
                "float",
                DataType::Float32,
            ),
            (
                col(types::DOUBLE, 8, false, None),
                "double",
                DataType::Float64,
            ),
            (
                col(types::NEWDECIMAL, 10 | (2 << 8), false, None),
                "decimal(10,2)",
                DataType::Decimal128(10, 2),
            ),
            (
                col(types::NEWDECIMAL, 65 | (30 << 8), false, None),
                "decimal(65,30)",
                DataType::Decimal256(65, 30),
            ),
            (col(types::DATE, 0, false, None), "date", DataType::Date32),
            (
                col(types::DATETIME2, 3, false, None),
                "datetime(3)",
                DataType::Timestamp(TimeUnit::Microsecond, None),
            ),
            (
                col(types::TIMESTAMP2, 0, false, None),
                "timestamp",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ),
            (
                col(types::TIME2, 0, false, None),
                "time",
                DataType::Duration(TimeUnit::Microsecond),
            ),
            (
                col(types::YEAR, 0, false, None),
                "year(4)",
                DataType::UInt16,
            ),
            (
                col(types::BIT, 1 << 8, false, None),
                "bit(8)",
                DataType::UInt64,
            ),
            (
                col(types::VARCHAR, 80, false, Some(45)),
                "varchar(20)",
                DataType::Utf8,
            ),
            (
                col(types::VARCHAR, 20, false, Some(63)),
                "varbinary(20)",
                DataType::Binary,
            ),
            (
                col(types::BLOB, 2, false, Some(63)),
                "blob",
                DataType::Binary,
            ),
            (col(types::BLOB, 2, false, Some(8)), "text", DataType::Utf8),
            (
                col(types::ENUM, 1, false, Some(45)),
                "enum('a')",
                DataType::Utf8,
            ),
            (col(types::JSON, 4, false, None), "json", DataType::Utf8),
            (
                col(types::GEOMETRY, 4, false, None),
                "geometry",
                DataType::Binary,
            ),
        ];
        for (c, ct, want) in cases {
            let plan = column_plan(&c, 0, ct, false, "db", "t");
            assert_eq!(plan.field.data_type(), &want, "{ct}");
            assert_eq!(plan.field.name(), "col");
            assert_eq!(
                plan.field.metadata().get(META_NAME).map(String::as_str),
                Some("Col")
            );
            assert_eq!(
                plan.field
                    .metadata()
                    .get(META_COLUMN_TYPE)
                    .map(String::as_str),
                Some(ct)
            );
        }
    }

    #[test]
    fn metadata_carries_mysql_facts() {
        let mut c = col(types::LONG, 0, true, None);
        c.nullable = false;
        let plan = column_plan(&c, 0, "int(10) unsigned", true, "db", "t");
        let m = plan.field.metadata();
        assert_eq!(m.get(META_TYPE).map(String::as_str), Some("3"));
        assert_eq!(m.get(META_UNSIGNED).map(String::as_str), Some("1"));
        assert_eq!(m.get(META_LENGTH).map(String::as_str), Some("10"));
        let flags = ColumnFlags::from_bits_truncate(m[META_FLAGS].parse().unwrap());
        assert!(flags.contains(
            ColumnFlags::NOT_NULL_FLAG
                | ColumnFlags::PRI_KEY_FLAG
                | ColumnFlags::UNSIGNED_FLAG
                | ColumnFlags::NUM_FLAG
        ));
        let d = column_plan(
            &col(types::NEWDECIMAL, 10 | (2 << 8), false, None),
            0,
            "decimal(10,2)",
            false,
            "db",
            "t",
        );
        assert_eq!(d.field.metadata()[META_LENGTH], "12");
        assert_eq!(d.field.metadata()[META_DECIMALS], "2");
        let v = column_plan(
            &col(types::VARCHAR, 80, false, Some(45)),
            0,
            "varchar(20)",
            false,
            "db",
            "t",
        );
        assert_eq!(v.field.metadata()[META_COLLATION], "45");
        assert_eq!(v.field.metadata()[META_TYPE], "253");
        assert_eq!(v.field.metadata()[META_LENGTH], "80");
    }
}
