//! COM_INIT_DB: switch the current database (what `USE db` does), reply OK or ERR 1049.
//!
//! Wire format: `0x02`, then the database name to the end of the packet.

use super::Flow;
use crate::wire::connection::Connection;
use crate::wire::WireError;

/// A COM_INIT_DB.
#[derive(Debug)]
pub struct InitDb {
    /// The database.
    pub database: String,
}

impl InitDb {
    /// Parses the arguments (everything after the command byte).
    pub fn parse(args: &[u8]) -> InitDb {
        InitDb {
            database: String::from_utf8_lossy(args).into_owned(),
        }
    }

    /// Switches the session's database and records it in the process list.
    pub async fn apply(self, conn: &mut Connection) -> Result<Flow, WireError> {
        match conn.session.use_database(&self.database) {
            Ok(()) => {
                conn.mark("Sleep", None);
                conn.send_ok().await?;
            }
            Err(e) => conn.send_error(&e).await?,
        }
        Ok(Flow::Continue)
    }
}
