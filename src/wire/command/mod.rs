//! Client commands: each is parsed from its packet ([`Command::parse`]), then applied to
//! the connection ([`Command::apply`]), which writes the reply.
//!
//! Wire format: the first payload byte is the command code, the rest its arguments
//! (documented on each variant). Codes without a variant get ERR 1047 "Unknown command".

pub mod admin;
pub mod change_user;
pub mod field_list;
pub mod init_db;
pub mod prepared;
pub mod query;

use mysql_common::constants::Command as Code;
use mysql_common::io::ParseBuf;

use super::connection::Connection;
use super::WireError;
use crate::query::SqlError;

/// What the connection does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Wait for the next command.
    Continue,
    /// Close the connection (COM_QUIT, failed COM_CHANGE_USER).
    Close,
}

/// A parsed client command.
#[derive(Debug)]
pub enum Command {
    /// COM_QUIT (0x01): no arguments, no reply.
    Quit,
    /// COM_INIT_DB (0x02): the database name (rest of packet).
    InitDb(init_db::InitDb),
    /// COM_QUERY (0x03): the statement text (rest of packet).
    Query(query::Query),
    /// COM_FIELD_LIST (0x04): table NUL, wildcard (rest of packet).
    FieldList(field_list::FieldList),
    /// COM_STATISTICS (0x09): no arguments; the reply is a bare string packet.
    Statistics,
    /// COM_PROCESS_KILL (0x0C): connection id u32.
    ProcessKill(u32),
    /// COM_PING (0x0E): no arguments; replies OK.
    Ping,
    /// COM_CHANGE_USER (0x11): see [`change_user::ChangeUser`].
    ChangeUser(change_user::ChangeUser),
    /// COM_STMT_PREPARE (0x16): the statement text.
    StmtPrepare(prepared::Prepare),
    /// COM_STMT_EXECUTE (0x17): see [`prepared::Execute`]; parameters are decoded when
    /// applied (their count and types live in the statement).
    StmtExecute(prepared::Execute),
    /// COM_STMT_SEND_LONG_DATA (0x18): statement id u32, parameter u16, data; no reply.
    StmtSendLongData(prepared::LongData),
    /// COM_STMT_CLOSE (0x19): statement id u32; no reply.
    StmtClose(u32),
    /// COM_STMT_RESET (0x1A): statement id u32; replies OK.
    StmtReset(u32),
    /// COM_SET_OPTION (0x1B): option u16 (0 multi-statements on, 1 off).
    SetOption(u16),
    /// COM_RESET_CONNECTION (0x1F): no arguments; replies OK.
    ResetConnection,
    /// Any other code.
    Unknown(u8),
}

/// ER_MALFORMED_PACKET, sent before closing the connection.
pub fn malformed() -> SqlError {
    SqlError::new(1835, "HY000", "Malformed communication packet.")
}

impl Command {
    /// Parses a command packet; `Err` is a malformed packet.
    pub fn parse(packet: &[u8]) -> Result<Command, SqlError> {
        let Some((&code, args)) = packet.split_first() else {
            return Err(malformed());
        };
        let u32_arg = |args: &[u8]| ParseBuf(args).checked_eat_u32_le().ok_or_else(malformed);
        Ok(match code {
            c if c == Code::COM_QUIT as u8 => Command::Quit,
            c if c == Code::COM_INIT_DB as u8 => Command::InitDb(init_db::InitDb::parse(args)),
            c if c == Code::COM_QUERY as u8 => Command::Query(query::Query::parse(args)),
            c if c == Code::COM_FIELD_LIST as u8 => {
                Command::FieldList(field_list::FieldList::parse(args))
            }
            c if c == Code::COM_STATISTICS as u8 => Command::Statistics,
            c if c == Code::COM_PROCESS_KILL as u8 => Command::ProcessKill(u32_arg(args)?),
            c if c == Code::COM_PING as u8 => Command::Ping,
            c if c == Code::COM_CHANGE_USER as u8 => {
                Command::ChangeUser(change_user::ChangeUser::parse(args)?)
            }
            c if c == Code::COM_STMT_PREPARE as u8 => {
                Command::StmtPrepare(prepared::Prepare::parse(args))
            }
            c if c == Code::COM_STMT_EXECUTE as u8 => {
                Command::StmtExecute(prepared::Execute::parse(args)?)
            }
            c if c == Code::COM_STMT_SEND_LONG_DATA as u8 => {
                Command::StmtSendLongData(prepared::LongData::parse(args)?)
            }
            c if c == Code::COM_STMT_CLOSE as u8 => Command::StmtClose(u32_arg(args)?),
            c if c == Code::COM_STMT_RESET as u8 => Command::StmtReset(u32_arg(args)?),
            c if c == Code::COM_SET_OPTION as u8 => {
                Command::SetOption(ParseBuf(args).checked_eat_u16_le().ok_or_else(malformed)?)
            }
            c if c == Code::COM_RESET_CONNECTION as u8 => Command::ResetConnection,
            other => Command::Unknown(other),
        })
    }

    /// Runs the command and writes its reply.
    pub async fn apply(self, conn: &mut Connection) -> Result<Flow, WireError> {
        match self {
            Command::Quit => Ok(Flow::Close),
            Command::InitDb(c) => c.apply(conn).await,
            Command::Query(c) => c.apply(conn).await,
            Command::FieldList(c) => c.apply(conn).await,
            Command::Statistics => admin::statistics(conn).await,
            Command::ProcessKill(id) => admin::process_kill(conn, id).await,
            Command::Ping => admin::ping(conn).await,
            Command::ChangeUser(c) => c.apply(conn).await,
            Command::StmtPrepare(c) => c.apply(conn).await,
            Command::StmtExecute(c) => c.apply(conn).await,
            Command::StmtSendLongData(c) => c.apply(conn),
            Command::StmtClose(id) => {
                conn.statements.close(id);
                Ok(Flow::Continue)
            }
            Command::StmtReset(id) => prepared::reset(conn, id).await,
            Command::SetOption(option) => admin::set_option(conn, option).await,
            Command::ResetConnection => admin::reset_connection(conn).await,
            Command::Unknown(_) => {
                conn.send_error(&SqlError::unknown_command()).await?;
                Ok(Flow::Continue)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::XorShift;

    #[test]
    fn commands_parse_and_garbage_never_panics() {
        assert!(matches!(Command::parse(&[0x0E]), Ok(Command::Ping)));
        assert!(matches!(
            Command::parse(b"\x03SELECT 1"),
            Ok(Command::Query(_))
        ));
        assert!(matches!(
            Command::parse(&[0x19, 1, 0, 0, 0]),
            Ok(Command::StmtClose(1))
        ));
        assert!(Command::parse(&[0x19, 1]).is_err());
        assert!(Command::parse(&[]).is_err());
        assert!(matches!(
            Command::parse(&[0x64]),
            Ok(Command::Unknown(0x64))
        ));
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let len = (rng.bits() % 40) as usize;
            let mut p: Vec<u8> = (0..len).map(|_| rng.bits() as u8).collect();
            if let Some(first) = p.first_mut() {
                *first %= 0x20;
            }
            let _ = Command::parse(&p);
        }
    }
}
