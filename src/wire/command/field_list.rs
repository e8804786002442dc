//! COM_FIELD_LIST: the columns of a table, as the MariaDB/MySQL CLI asks for them for tab
//! completion.
//!
//! Wire format: `0x04`, the table name NUL-terminated, then a LIKE wildcard for column
//! names to the end of the packet. Reply: one column definition per column, each
//! followed by its default value as a length-encoded string (`0xFB`, NULL, here), then
//! an EOF (or the 0xFE OK under CLIENT_DEPRECATE_EOF); or an ERR.

use mysql_common::io::ParseBuf;

use super::Flow;
use crate::wire::connection::Connection;
use crate::wire::resultset::column_definition;
use crate::wire::WireError;

/// A COM_FIELD_LIST.
#[derive(Debug)]
pub struct FieldList {
    /// The table.
    pub table: String,
    /// LIKE pattern for the column names (empty: all).
    pub wildcard: String,
}

impl FieldList {
    /// Parses the arguments (everything after the command byte).
    pub fn parse(args: &[u8]) -> FieldList {
        let mut buf = ParseBuf(args);
        let table = String::from_utf8_lossy(buf.eat_null_str()).into_owned();
        let wildcard = String::from_utf8_lossy(buf.eat_all()).into_owned();
        FieldList { table, wildcard }
    }

    /// Sends the column definitions.
    pub async fn apply(self, conn: &mut Connection) -> Result<Flow, WireError> {
        match conn.session.field_list(&self.table, &self.wildcard) {
            Ok(columns) => {
                for c in &columns {
                    let mut def = column_definition(c);
                    def.push(0xFB);
                    conn.io.write(&def).await?;
                }
                conn.write_terminator().await?;
                conn.io.flush().await?;
            }
            Err(e) => conn.send_error(&e).await?,
        }
        Ok(Flow::Continue)
    }
}
