//! Prepared statements: COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_SEND_LONG_DATA,
//! COM_STMT_CLOSE and COM_STMT_RESET. Statement ids are per connection, from 1.
//!
//! Wire formats:
//! - PREPARE `0x16` sql → `0x00`, id u32, columns u16, params u16, `0x00`, warnings u16;
//!   then one definition per parameter and per column, each group followed by an EOF
//!   unless CLIENT_DEPRECATE_EOF.
//! - EXECUTE `0x17` id u32, cursor flags u8, iteration count u32 (always 1); when the
//!   statement has parameters: a NULL bitmap of `(params + 7) / 8` bytes (no offset),
//!   new-params-bound u8, if 1 a type u8 + flags u8 (0x80 = unsigned) per parameter,
//!   then each value that is neither NULL nor sent as long data, in the binary encoding
//!   of its type. Without new types the previous execute's types apply. The reply is an
//!   OK or a binary-protocol result set. MariaDB's id 0xFFFFFFFF means the statement
//!   prepared last.
//! - SEND_LONG_DATA `0x18` id u32, parameter u16, bytes: appended to that parameter
//!   for the next execute; no reply.
//! - CLOSE `0x19` id u32: no reply. RESET `0x1A` id u32: drops long data; OK.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mysql_common::constants::{ColumnFlags, ColumnType};
use mysql_common::io::ParseBuf;
use mysql_common::value::Value as MyValue;

use super::{malformed, Flow};
use crate::query::engine::Prepared;
use crate::query::{ColumnDef, SqlError};
use crate::wire::connection::Connection;
use crate::wire::packet::DEFAULT_MAX_PACKET;
use crate::wire::resultset::{column_definition, Protocol};
use crate::wire::WireError;

/// Most statements one connection may hold open (MySQL's `max_prepared_stmt_count` is
/// server-wide; this bounds one client's memory).
pub const MAX_STATEMENTS: usize = 1024;

/// One prepared statement and its execution state.
#[derive(Debug)]
pub struct Statement {
    /// What the query layer prepared.
    pub prepared: Arc<Prepared>,
    /// Parameter types from the last execute that sent them: (type code, unsigned).
    pub types: Vec<(u8, bool)>,
    /// Data sent with COM_STMT_SEND_LONG_DATA, by parameter.
    pub long_data: BTreeMap<u16, Vec<u8>>,
    long_data_len: usize,
}

/// A connection's prepared statements.
#[derive(Debug, Default)]
pub struct Statements {
    next_id: u32,
    last_id: u32,
    map: HashMap<u32, Statement>,
}

impl Statements {
    /// Keeps `prepared` under a new id; ERR 1461 past [`MAX_STATEMENTS`].
    pub fn add(&mut self, prepared: Prepared) -> Result<u32, SqlError> {
        if self.map.len() >= MAX_STATEMENTS {
            return Err(SqlError::new(
                1461,
                "42000",
                format!(
                    "Can't create more than max_prepared_stmt_count statements (current value: {MAX_STATEMENTS})"
                ),
            ));
        }
        self.next_id = self.next_id.wrapping_add(1).max(1);
        while self.map.contains_key(&self.next_id) || self.next_id == u32::MAX {
            self.next_id = self.next_id.wrapping_add(1).max(1);
        }
        let id = self.next_id;
        self.map.insert(
            id,
            Statement {
                prepared: Arc::new(prepared),
                types: Vec::new(),
                long_data: BTreeMap::new(),
                long_data_len: 0,
            },
        );
        self.last_id = id;
        Ok(id)
    }

    /// The statement `id` (0xFFFFFFFF: the last prepared).
    pub fn get_mut(&mut self, id: u32) -> Option<&mut Statement> {
        let id = if id == u32::MAX { self.last_id } else { id };
        self.map.get_mut(&id)
    }

    /// Forgets statement `id` (unknown ids are ignored, as COM_STMT_CLOSE has no reply).
    pub fn close(&mut self, id: u32) {
        self.map.remove(&id);
    }

    /// Forgets every statement (COM_RESET_CONNECTION, COM_CHANGE_USER).
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// Number of open statements.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when none are open.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

fn unknown_statement(id: u32, command: &str) -> SqlError {
    SqlError::new(
        1243,
        "HY000",
        format!("Unknown prepared statement handler ({id}) given to {command}"),
    )
}

fn bad_arguments() -> SqlError {
    SqlError::new(1210, "HY000", "Incorrect arguments to mysqld_stmt_execute")
}

/// A COM_STMT_PREPARE.
#[derive(Debug)]
pub struct Prepare {
    /// The statement text with `?` placeholders.
    pub sql: String,
}

impl Prepare {
    /// Parses the arguments (everything after the command byte).
    pub fn parse(args: &[u8]) -> Prepare {
        Prepare {
            sql: String::from_utf8_lossy(args).into_owned(),
        }
    }

    /// Prepares the statement and sends its id, parameter and column definitions.
    pub async fn apply(self, conn: &mut Connection) -> Result<Flow, WireError> {
        let prepared = match conn.session.prepare(&self.sql).await {
            Ok(p) => p,
            Err(e) => {
                conn.send_error(&e).await?;
                return Ok(Flow::Continue);
            }
        };
        let params = prepared.params;
        let columns = prepared.columns.clone();
        let id = match conn.statements.add(prepared) {
            Ok(id) => id,
            Err(e) => {
                conn.send_error(&e).await?;
                return Ok(Flow::Continue);
            }
        };
        let ncols = u16::try_from(columns.len()).unwrap_or(u16::MAX);
        let mut head = Vec::with_capacity(12);
        head.push(0x00);
        head.extend_from_slice(&id.to_le_bytes());
        head.extend_from_slice(&ncols.to_le_bytes());
        head.extend_from_slice(&params.to_le_bytes());
        head.push(0x00);
        head.extend_from_slice(&0u16.to_le_bytes());
        conn.io.write(&head).await?;
        if params > 0 {
            let def = column_definition(&param_column());
            for _ in 0..params {
                conn.io.write(&def).await?;
            }
            conn.write_eof_unless_deprecated().await?;
        }
        if ncols > 0 {
            for c in columns.iter().take(usize::from(ncols)) {
                conn.io.write(&column_definition(c)).await?;
            }
            conn.write_eof_unless_deprecated().await?;
        }
        conn.io.flush().await?;
        Ok(Flow::Continue)
    }
}

/// How a parameter is described at prepare time (its type is only known at execute).
fn param_column() -> ColumnDef {
    ColumnDef::computed(
        "?",
        ColumnType::MYSQL_TYPE_VAR_STRING,
        crate::query::result::BINARY_CHARSET,
        0,
        ColumnFlags::BINARY_FLAG,
    )
}

/// A COM_STMT_EXECUTE; its parameter block is decoded against the statement.
#[derive(Debug)]
pub struct Execute {
    /// Statement id.
    pub stmt_id: u32,
    /// Cursor flags (cursors are not supported: results are always sent whole).
    pub flags: u8,
    /// Everything after the iteration count: NULL bitmap, types, values.
    pub params: Vec<u8>,
}

impl Execute {
    /// Parses the fixed part of the arguments.
    pub fn parse(args: &[u8]) -> Result<Execute, SqlError> {
        let mut buf = ParseBuf(args);
        let stmt_id = buf.checked_eat_u32_le().ok_or_else(malformed)?;
        let flags = buf.checked_eat_u8().ok_or_else(malformed)?;
        let _iterations = buf.checked_eat_u32_le().ok_or_else(malformed)?;
        Ok(Execute {
            stmt_id,
            flags,
            params: buf.eat_all().to_vec(),
        })
    }

    /// Decodes the parameters, runs the statement, sends a binary result set or OK.
    pub async fn apply(self, conn: &mut Connection) -> Result<Flow, WireError> {
        let Some(stmt) = conn.statements.get_mut(self.stmt_id) else {
            let e = unknown_statement(self.stmt_id, "mysqld_stmt_execute");
            conn.send_error(&e).await?;
            return Ok(Flow::Continue);
        };
        let decoded = decode_params(stmt, &self.params);
        stmt.long_data.clear();
        stmt.long_data_len = 0;
        let prepared = stmt.prepared.clone();
        let params = match decoded {
            Ok(p) => p,
            Err(e) => {
                conn.send_error(&e).await?;
                return Ok(Flow::Continue);
            }
        };
        conn.mark("Execute", Some(prepared.sql.clone()));
        let outcome = conn.session.execute_prepared(&prepared, &params).await;
        conn.mark("Sleep", None);
        conn.send_outcome(outcome, Protocol::Binary).await?;
        Ok(Flow::Continue)
    }
}

/// Decodes an execute's parameter block (see the module documentation) for `stmt`,
/// remembering newly bound types; long data replaces the value of its parameter.
pub fn decode_params(stmt: &mut Statement, block: &[u8]) -> Result<Vec<MyValue>, SqlError> {
    let n = usize::from(stmt.prepared.params);
    if n == 0 {
        return Ok(Vec::new());
    }
    if stmt.long_data_len > DEFAULT_MAX_PACKET {
        return Err(SqlError::new(
            1153,
            "08S01",
            "Got a packet bigger than 'max_allowed_packet' bytes",
        ));
    }
    let mut buf = ParseBuf(block);
    let bitmap = buf.checked_eat(n.div_ceil(8)).ok_or_else(bad_arguments)?;
    let bound = buf.checked_eat_u8().ok_or_else(bad_arguments)?;
    if bound == 1 {
        let mut types = Vec::with_capacity(n);
        for _ in 0..n {
            let t = buf.checked_eat_u8().ok_or_else(bad_arguments)?;
            let flags = buf.checked_eat_u8().ok_or_else(bad_arguments)?;
            types.push((t, flags & 0x80 != 0));
        }
        stmt.types = types;
    }
    if stmt.types.len() != n {
        return Err(bad_arguments());
    }
    let mut values = Vec::with_capacity(n);
    for (i, &(t, unsigned)) in stmt.types.iter().enumerate() {
        let index = u16::try_from(i).map_err(|_| bad_arguments())?;
        if let Some(data) = stmt.long_data.remove(&index) {
            values.push(MyValue::Bytes(data));
            continue;
        }
        let null = bitmap
            .get(i / 8)
            .is_some_and(|byte| byte & (1 << (i % 8)) != 0);
        if null {
            values.push(MyValue::NULL);
            continue;
        }
        values.push(decode_value(&mut buf, t, unsigned).ok_or_else(bad_arguments)?);
    }
    Ok(values)
}

/// Decodes one binary-protocol value of type code `t`; `None` for truncated input or a
/// type that has no binary parameter form.
pub fn decode_value(buf: &mut ParseBuf<'_>, t: u8, unsigned: bool) -> Option<MyValue> {
    fn int(u: bool, signed: i64, unsigned: u64) -> MyValue {
        if u {
            i64::try_from(unsigned).map_or(MyValue::UInt(unsigned), MyValue::Int)
        } else {
            MyValue::Int(signed)
        }
    }
    let ty = ColumnType::try_from(t).ok()?;
    Some(match ty {
        ColumnType::MYSQL_TYPE_NULL => MyValue::NULL,
        ColumnType::MYSQL_TYPE_TINY => {
            let b = buf.checked_eat_u8()?;
            int(unsigned, i64::from(b as i8), u64::from(b))
        }
        ColumnType::MYSQL_TYPE_SHORT | ColumnType::MYSQL_TYPE_YEAR => {
            let v = buf.checked_eat_u16_le()?;
            int(unsigned, i64::from(v as i16), u64::from(v))
        }
        ColumnType::MYSQL_TYPE_LONG | ColumnType::MYSQL_TYPE_INT24 => {
            let v = buf.checked_eat_u32_le()?;
            int(unsigned, i64::from(v as i32), u64::from(v))
        }
        ColumnType::MYSQL_TYPE_LONGLONG => {
            let v = buf.checked_eat_u64_le()?;
            int(unsigned, v as i64, v)
        }
        ColumnType::MYSQL_TYPE_FLOAT => MyValue::Float(buf.checked_eat_f32_le()?),
        ColumnType::MYSQL_TYPE_DOUBLE => MyValue::Double(buf.checked_eat_f64_le()?),
        ColumnType::MYSQL_TYPE_DATE
        | ColumnType::MYSQL_TYPE_NEWDATE
        | ColumnType::MYSQL_TYPE_DATETIME
        | ColumnType::MYSQL_TYPE_TIMESTAMP => {
            let len = usize::from(buf.checked_eat_u8()?);
            let mut b = buf.checked_eat_buf(len)?;
            let (mut y, mut mo, mut d, mut h, mut mi, mut s, mut us) = (0, 0, 0, 0, 0, 0, 0);
            if len >= 4 {
                y = b.checked_eat_u16_le()?;
                mo = b.checked_eat_u8()?;
                d = b.checked_eat_u8()?;
            }
            if len >= 7 {
                h = b.checked_eat_u8()?;
                mi = b.checked_eat_u8()?;
                s = b.checked_eat_u8()?;
            }
            if len >= 11 {
                us = b.checked_eat_u32_le()?;
            }
            MyValue::Date(y, mo, d, h, mi, s, us)
        }
        ColumnType::MYSQL_TYPE_TIME => {
            let len = usize::from(buf.checked_eat_u8()?);
            let mut b = buf.checked_eat_buf(len)?;
            let (mut neg, mut days, mut h, mut mi, mut s, mut us) = (false, 0, 0, 0, 0, 0);
            if len >= 8 {
                neg = b.checked_eat_u8()? == 1;
                days = b.checked_eat_u32_le()?;
                h = b.checked_eat_u8()?;
                mi = b.checked_eat_u8()?;
                s = b.checked_eat_u8()?;
            }
            if len >= 12 {
                us = b.checked_eat_u32_le()?;
            }
            MyValue::Time(neg, days, h, mi, s, us)
        }
        ColumnType::MYSQL_TYPE_DECIMAL
        | ColumnType::MYSQL_TYPE_NEWDECIMAL
        | ColumnType::MYSQL_TYPE_VARCHAR
        | ColumnType::MYSQL_TYPE_BIT
        | ColumnType::MYSQL_TYPE_JSON
        | ColumnType::MYSQL_TYPE_ENUM
        | ColumnType::MYSQL_TYPE_SET
        | ColumnType::MYSQL_TYPE_TINY_BLOB
        | ColumnType::MYSQL_TYPE_MEDIUM_BLOB
        | ColumnType::MYSQL_TYPE_LONG_BLOB
        | ColumnType::MYSQL_TYPE_BLOB
        | ColumnType::MYSQL_TYPE_VAR_STRING
        | ColumnType::MYSQL_TYPE_STRING
        | ColumnType::MYSQL_TYPE_GEOMETRY => MyValue::Bytes(buf.checked_eat_lenenc_str()?.to_vec()),
        _ => return None,
    })
}

/// A COM_STMT_SEND_LONG_DATA.
#[derive(Debug)]
pub struct LongData {
    /// Statement id.
    pub stmt_id: u32,
    /// Parameter index.
    pub param: u16,
    /// The piece of data.
    pub data: Vec<u8>,
}

impl LongData {
    /// Parses the arguments (everything after the command byte).
    pub fn parse(args: &[u8]) -> Result<LongData, SqlError> {
        let mut buf = ParseBuf(args);
        let stmt_id = buf.checked_eat_u32_le().ok_or_else(malformed)?;
        let param = buf.checked_eat_u16_le().ok_or_else(malformed)?;
        Ok(LongData {
            stmt_id,
            param,
            data: buf.eat_all().to_vec(),
        })
    }

    /// Appends the data to its parameter (no reply; errors show at execute).
    pub fn apply(self, conn: &mut Connection) -> Result<Flow, WireError> {
        if let Some(stmt) = conn.statements.get_mut(self.stmt_id) {
            if self.param < stmt.prepared.params {
                stmt.long_data_len = stmt.long_data_len.saturating_add(self.data.len());
                if stmt.long_data_len <= DEFAULT_MAX_PACKET {
                    stmt.long_data
                        .entry(self.param)
                        .or_default()
                        .extend_from_slice(&self.data);
                }
            }
        }
        Ok(Flow::Continue)
    }
}

/// COM_STMT_RESET: drops the statement's long data; OK, or ERR 1243.
pub async fn reset(conn: &mut Connection, id: u32) -> Result<Flow, WireError> {
    match conn.statements.get_mut(id) {
        Some(stmt) => {
            stmt.long_data.clear();
            stmt.long_data_len = 0;
            conn.send_ok().await?;
        }
        None => {
            conn.send_error(&unknown_statement(id, "mysqld_stmt_reset"))
                .await?
        }
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql_common::packets::ComStmtExecuteRequestBuilder;
    use mysql_common::proto::MySerialize;

    fn statement(params: u16) -> Statement {
        Statement {
            prepared: Arc::new(Prepared {
                sql: "SELECT ?".into(),
                params,
                columns: vec![],
            }),
            types: vec![],
            long_data: BTreeMap::new(),
            long_data_len: 0,
        }
    }

    #[test]
    fn parameters_from_mysql_common_decode() {
        let values = vec![
            MyValue::Int(-3),
            MyValue::UInt(u64::MAX),
            MyValue::NULL,
            MyValue::Bytes(b"abc".to_vec()),
            MyValue::Double(1.25),
            MyValue::Float(0.5),
            MyValue::Date(2024, 5, 6, 7, 8, 9, 10),
            MyValue::Time(true, 1, 2, 3, 4, 5),
        ];
        let (req, _) = ComStmtExecuteRequestBuilder::new(9).build(&values);
        let mut bytes = Vec::new();
        req.serialize(&mut bytes);
        let exec = Execute::parse(&bytes[1..]).unwrap();
        assert_eq!(exec.stmt_id, 9);
        let mut stmt = statement(values.len() as u16);
        let got = decode_params(&mut stmt, &exec.params).unwrap();
        assert_eq!(got, values);
        // Without new types the previous ones apply.
        let mut again = exec.params.clone();
        let bitmap_len = values.len().div_ceil(8);
        again[bitmap_len] = 0;
        let types_end = bitmap_len + 1 + 2 * values.len();
        let mut reuse = again[..bitmap_len + 1].to_vec();
        reuse.extend_from_slice(&again[types_end..]);
        assert_eq!(decode_params(&mut stmt, &reuse).unwrap(), values);
    }

    #[test]
    fn long_data_replaces_the_value_and_truncation_is_an_error() {
        let mut stmt = statement(2);
        stmt.long_data.insert(0, b"big".to_vec());
        // bitmap: param 1 NULL; types: blob, long; no value bytes for either.
        let block = [0b10, 1, 0xFC, 0, 0x08, 0];
        let got = decode_params(&mut stmt, &block).unwrap();
        assert_eq!(got, vec![MyValue::Bytes(b"big".to_vec()), MyValue::NULL]);
        // A LONG parameter with 2 of its 4 bytes.
        let mut stmt = statement(1);
        assert_eq!(
            decode_params(&mut stmt, &[0, 1, 0x03, 0, 1, 2])
                .unwrap_err()
                .code,
            1210
        );
        // No types ever bound.
        let mut stmt = statement(1);
        assert_eq!(decode_params(&mut stmt, &[0, 0]).unwrap_err().code, 1210);
        // An unknown type code.
        let mut stmt = statement(1);
        assert_eq!(
            decode_params(&mut stmt, &[0, 1, 0x77, 0, 1])
                .unwrap_err()
                .code,
            1210
        );
    }

    #[test]
    fn garbage_parameter_blocks_never_panic() {
        let mut rng = crate::testing::XorShift(0x1234_5678_9ABC_DEF1);
        for _ in 0..20_000 {
            let n = 1 + (rng.bits() % 4) as u16;
            let mut stmt = statement(n);
            let len = (rng.bits() % 32) as usize;
            let block: Vec<u8> = (0..len).map(|_| rng.bits() as u8).collect();
            let _ = decode_params(&mut stmt, &block);
        }
    }

    #[test]
    fn statement_ids_are_per_connection_and_bounded() {
        let mut s = Statements::default();
        let p = || Prepared {
            sql: String::new(),
            params: 0,
            columns: vec![],
        };
        assert_eq!(s.add(p()).unwrap(), 1);
        assert_eq!(s.add(p()).unwrap(), 2);
        assert!(s.get_mut(u32::MAX).is_some());
        s.close(1);
        assert!(s.get_mut(1).is_none());
        for _ in 1..MAX_STATEMENTS {
            s.add(p()).unwrap();
        }
        assert_eq!(s.add(p()).unwrap_err().code, 1461);
    }
}
