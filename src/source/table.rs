//! What a TABLE_MAP event says about a table: its columns' binlog types, metadata,
//! signedness, charsets, names, ENUM/SET labels and primary key.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// MySQL column type codes as they appear in TABLE_MAP events.
#[allow(missing_docs)]
pub mod types {
    pub const DECIMAL: u8 = 0;
    pub const TINY: u8 = 1;
    pub const SHORT: u8 = 2;
    pub const LONG: u8 = 3;
    pub const FLOAT: u8 = 4;
    pub const DOUBLE: u8 = 5;
    pub const NULL: u8 = 6;
    pub const TIMESTAMP: u8 = 7;
    pub const LONGLONG: u8 = 8;
    pub const INT24: u8 = 9;
    pub const DATE: u8 = 10;
    pub const TIME: u8 = 11;
    pub const DATETIME: u8 = 12;
    pub const YEAR: u8 = 13;
    pub const NEWDATE: u8 = 14;
    pub const VARCHAR: u8 = 15;
    pub const BIT: u8 = 16;
    pub const TIMESTAMP2: u8 = 17;
    pub const DATETIME2: u8 = 18;
    pub const TIME2: u8 = 19;
    pub const TYPED_ARRAY: u8 = 20;
    pub const VECTOR: u8 = 242;
    pub const JSON: u8 = 245;
    pub const NEWDECIMAL: u8 = 246;
    pub const ENUM: u8 = 247;
    pub const SET: u8 = 248;
    pub const TINY_BLOB: u8 = 249;
    pub const MEDIUM_BLOB: u8 = 250;
    pub const LONG_BLOB: u8 = 251;
    pub const BLOB: u8 = 252;
    pub const VAR_STRING: u8 = 253;
    pub const STRING: u8 = 254;
    pub const GEOMETRY: u8 = 255;
}

/// The charset/collation id MySQL uses for binary strings.
pub const BINARY_COLLATION: u16 = 63;

/// One column as the TABLE_MAP event describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInfo {
    /// Column name (present with `binlog_row_metadata=FULL`).
    pub name: Option<String>,
    /// The type code stored in the row image (`types::*`). For CHAR columns holding ENUM
    /// or SET this is already the real type (`ENUM` / `SET`).
    pub column_type: u8,
    /// Raw per-column metadata from the TABLE_MAP (0, 1 or 2 bytes, little-endian packed).
    pub meta: u16,
    /// True when the table map says the column is UNSIGNED; false when signed or unknown.
    pub unsigned: bool,
    /// Collation id for character, ENUM and SET columns, when the table map carries it.
    pub collation: Option<u16>,
    /// Nullable according to the table map.
    pub nullable: bool,
    /// ENUM labels (index 1 is the first label) or SET member names, when logged.
    pub labels: Option<Arc<Vec<Vec<u8>>>>,
    /// False for invisible columns (MySQL 8.0.23+ COLUMN_VISIBILITY metadata).
    pub visible: bool,
}

impl ColumnInfo {
    /// Display name: the real name, or `@N` (1-based position) like `mysqlbinlog -v`.
    pub fn display_name(&self, index: usize) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("@{}", index + 1),
        }
    }

    /// True when the column holds binary (not character) data.
    pub fn is_binary(&self) -> bool {
        self.collation == Some(BINARY_COLLATION)
    }
}

/// A table as described by one TABLE_MAP event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableInfo {
    /// The source's table id (only stable until the table is altered or the binlog rotates).
    pub table_id: u64,
    /// Database name.
    pub schema: String,
    /// Table name.
    pub name: String,
    /// Columns in table order.
    pub columns: Vec<ColumnInfo>,
    /// Primary key column indexes, when `binlog_row_metadata=FULL` logs them.
    pub primary_key: Vec<usize>,
}

impl TableInfo {
    /// `schema.table`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}
