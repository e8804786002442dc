//! COM_QUERY: run one statement, reply with an OK, a text-protocol result set or an ERR.
//!
//! Wire format: `0x03`, then the statement text to the end of the packet (no
//! CLIENT_QUERY_ATTRIBUTES, so no parameter block precedes it).

use super::Flow;
use crate::wire::connection::Connection;
use crate::wire::resultset::Protocol;
use crate::wire::WireError;

/// A COM_QUERY.
#[derive(Debug)]
pub struct Query {
    /// The statement (invalid UTF-8 replaced, as the query layer takes `&str`).
    pub sql: String,
}

impl Query {
    /// Parses the arguments (everything after the command byte).
    pub fn parse(args: &[u8]) -> Query {
        Query {
            sql: String::from_utf8_lossy(args).into_owned(),
        }
    }

    /// Runs the statement and sends its result; the process list shows it meanwhile.
    pub async fn apply(self, conn: &mut Connection) -> Result<Flow, WireError> {
        conn.mark("Query", Some(self.sql.clone()));
        let outcome = conn.session.execute(&self.sql).await;
        conn.mark("Sleep", None);
        conn.send_outcome(outcome, Protocol::Text).await?;
        Ok(Flow::Continue)
    }
}
