//! What a statement returns to the wire layer: an OK, a result set, or a MySQL error.

use futures_util::stream::BoxStream;
use mysql_common::constants::{ColumnFlags, ColumnType};
use mysql_common::value::Value as MyValue;

/// Rows of a result set, a chunk at a time: each row has one value per column.
///
/// Values are MySQL protocol values: integers as `Int`/`UInt`, FLOAT/DOUBLE as
/// `Float`/`Double`, DATE/DATETIME/TIMESTAMP as `Date` (already in the session time zone),
/// TIME as `Time`, and everything else (strings, DECIMAL text, BIT bytes, JSON, blobs) as
/// `Bytes`. The wire layer renders them in the text or binary protocol using the column's
/// [`ColumnDef`] (e.g. `decimals` decides how many fractional-second digits print).
pub type RowChunk = Vec<Vec<MyValue>>;

/// A result set: its columns, then its rows as a stream of chunks (an error part-way
/// through ends the stream with that error, which the client gets as an ERR packet).
pub struct ResultSet {
    /// Column definitions, in order.
    pub columns: Vec<ColumnDef>,
    /// The rows.
    pub rows: BoxStream<'static, Result<RowChunk, SqlError>>,
}

impl ResultSet {
    /// A result set whose rows are already in memory (metadata statements).
    pub fn from_rows(columns: Vec<ColumnDef>, rows: RowChunk) -> ResultSet {
        let stream = futures_util::stream::iter(std::iter::once(Ok(rows)));
        ResultSet {
            columns,
            rows: Box::pin(stream),
        }
    }
}

impl std::fmt::Debug for ResultSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultSet")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

/// What one statement produced.
#[derive(Debug)]
pub enum Outcome {
    /// An OK packet (`USE`, `SET`, `BEGIN`, …).
    Ok {
        /// Rows affected (always 0 here: nothing is written).
        affected_rows: u64,
        /// Warnings the statement raised (readable with `SHOW WARNINGS`).
        warnings: u16,
        /// Human-readable info, usually empty.
        info: String,
    },
    /// A result set.
    Rows(ResultSet),
}

impl Outcome {
    /// A plain OK.
    pub fn ok() -> Outcome {
        Outcome::Ok {
            affected_rows: 0,
            warnings: 0,
            info: String::new(),
        }
    }
}

/// A column definition exactly as MySQL sends it (Protocol::ColumnDefinition41).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    /// Database of the source table, empty for computed columns.
    pub schema: String,
    /// Table alias as written in the query, empty for computed columns.
    pub table: String,
    /// Source table name.
    pub org_table: String,
    /// Column name or alias as the client sees it.
    pub name: String,
    /// Source column name.
    pub org_name: String,
    /// Collation id of the values: 63 (`binary`) for binary data and numbers, otherwise
    /// the connection's result charset (utf8mb4, 45 or 224 as the client asked).
    pub charset: u16,
    /// Maximum display length in bytes (as MySQL computes it for the type).
    pub length: u32,
    /// The MySQL type.
    pub column_type: ColumnType,
    /// NOT_NULL, PRI_KEY, UNSIGNED, BINARY, BLOB, ENUM, SET, TIMESTAMP, AUTO_INCREMENT, NUM…
    pub flags: ColumnFlags,
    /// DECIMAL scale, fractional-second precision of temporal types, 31 for FLOAT/DOUBLE
    /// without a declared scale, 0 for integers, 39 for strings (as MySQL sends).
    pub decimals: u8,
}

impl ColumnDef {
    /// A computed column of `column_type` named `name` (no table), with the given charset,
    /// length and flags; `decimals` 0.
    pub fn computed(
        name: &str,
        column_type: ColumnType,
        charset: u16,
        length: u32,
        flags: ColumnFlags,
    ) -> ColumnDef {
        ColumnDef {
            schema: String::new(),
            table: String::new(),
            org_table: String::new(),
            name: name.to_string(),
            org_name: name.to_string(),
            charset,
            length,
            column_type,
            flags,
            decimals: 0,
        }
    }

    /// A text column for metadata result sets (`SHOW …`): VARCHAR in utf8mb4.
    pub fn text(name: &str) -> ColumnDef {
        let mut c = ColumnDef::computed(
            name,
            ColumnType::MYSQL_TYPE_VAR_STRING,
            UTF8MB4_GENERAL_CI,
            256,
            ColumnFlags::empty(),
        );
        c.decimals = 39;
        c
    }

    /// A BIGINT column for metadata result sets.
    pub fn bigint(name: &str, unsigned: bool) -> ColumnDef {
        let mut flags = ColumnFlags::NUM_FLAG;
        if unsigned {
            flags |= ColumnFlags::UNSIGNED_FLAG;
        }
        ColumnDef::computed(
            name,
            ColumnType::MYSQL_TYPE_LONGLONG,
            BINARY_CHARSET,
            21,
            flags,
        )
    }
}

/// Collation id `binary`: numbers, temporal values and binary strings.
pub const BINARY_CHARSET: u16 = 63;
/// Collation id `utf8mb4_general_ci`: the default result charset of text columns.
pub const UTF8MB4_GENERAL_CI: u16 = 45;

/// A MySQL error: code, SQLSTATE and message, sent to the client as an ERR packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ERROR {code} ({state}): {message}")]
pub struct SqlError {
    /// MySQL error number (e.g. 1146).
    pub code: u16,
    /// Five-character SQLSTATE (e.g. `42S02`).
    pub state: &'static str,
    /// The message.
    pub message: String,
}

impl SqlError {
    /// An error with an explicit code and state.
    pub fn new(code: u16, state: &'static str, message: impl Into<String>) -> SqlError {
        SqlError {
            code,
            state,
            message: message.into(),
        }
    }

    /// 1290 ER_OPTION_PREVENTS_STATEMENT: every write, like a server running `--read-only`.
    pub fn read_only() -> SqlError {
        SqlError::new(
            1290,
            "HY000",
            "The MariaDB server is running with the --read-only option so it cannot execute this statement",
        )
    }

    /// 1064 ER_PARSE_ERROR.
    pub fn syntax(detail: impl std::fmt::Display) -> SqlError {
        SqlError::new(
            1064,
            "42000",
            format!("You have an error in your SQL syntax; {detail}"),
        )
    }

    /// 1146 ER_NO_SUCH_TABLE.
    pub fn no_such_table(schema: &str, table: &str) -> SqlError {
        SqlError::new(
            1146,
            "42S02",
            format!("Table '{schema}.{table}' doesn't exist"),
        )
    }

    /// 1049 ER_BAD_DB_ERROR.
    pub fn unknown_database(schema: &str) -> SqlError {
        SqlError::new(1049, "42000", format!("Unknown database '{schema}'"))
    }

    /// 1054 ER_BAD_FIELD_ERROR.
    pub fn unknown_column(column: &str, place: &str) -> SqlError {
        SqlError::new(
            1054,
            "42S22",
            format!("Unknown column '{column}' in '{place}'"),
        )
    }

    /// 1046 ER_NO_DB_ERROR.
    pub fn no_database() -> SqlError {
        SqlError::new(1046, "3D000", "No database selected")
    }

    /// 1317 ER_QUERY_INTERRUPTED (KILL QUERY, max_execution_time).
    pub fn interrupted() -> SqlError {
        SqlError::new(1317, "70100", "Query execution was interrupted")
    }

    /// 1047 ER_UNKNOWN_COM_ERROR.
    pub fn unknown_command() -> SqlError {
        SqlError::new(1047, "08S01", "Unknown command")
    }

    /// 1105 ER_UNKNOWN_ERROR, for internal failures (the message says what failed).
    pub fn internal(message: impl Into<String>) -> SqlError {
        SqlError::new(1105, "HY000", message)
    }

    /// 1235 ER_NOT_SUPPORTED_YET.
    pub fn not_supported(what: impl std::fmt::Display) -> SqlError {
        SqlError::new(
            1235,
            "42000",
            format!("This version of replicant doesn't yet support '{what}'"),
        )
    }
}
