//! The small commands: COM_PING, COM_STATISTICS, COM_PROCESS_KILL, COM_SET_OPTION and
//! COM_RESET_CONNECTION (formats on [`super::Command`]'s variants).

use super::Flow;
use crate::query::process::KillError;
use crate::query::SqlError;
use crate::wire::connection::Connection;
use crate::wire::WireError;

/// COM_PING: replies OK.
pub async fn ping(conn: &mut Connection) -> Result<Flow, WireError> {
    conn.send_ok().await?;
    Ok(Flow::Continue)
}

/// COM_STATISTICS: replies with the statistics line as a bare packet (no header byte).
pub async fn statistics(conn: &mut Connection) -> Result<Flow, WireError> {
    let text = conn.engine.statistics();
    conn.io.send(text.as_bytes()).await?;
    Ok(Flow::Continue)
}

/// COM_PROCESS_KILL (what old clients send for `KILL id`): closes that connection after
/// its statement; OK, or ERR 1094 for an unknown id.
pub async fn process_kill(conn: &mut Connection, id: u32) -> Result<Flow, WireError> {
    match conn.engine.processes.kill(id, true) {
        Ok(()) => conn.send_ok().await?,
        Err(KillError::UnknownThread(id)) => {
            conn.send_error(&SqlError::new(
                1094,
                "HY000",
                format!("Unknown thread id: {id}"),
            ))
            .await?
        }
    }
    Ok(Flow::Continue)
}

/// COM_SET_OPTION: multi-statements off (1) is accepted with an EOF as MySQL replies;
/// on (0) is refused since one COM_QUERY runs one statement here.
pub async fn set_option(conn: &mut Connection, option: u16) -> Result<Flow, WireError> {
    if option == 1 {
        conn.write_terminator().await?;
        conn.io.flush().await?;
    } else {
        conn.send_error(&SqlError::not_supported("multi-statements"))
            .await?;
    }
    Ok(Flow::Continue)
}

/// COM_RESET_CONNECTION: fresh session variables, no prepared statements, same user and
/// database; replies OK.
pub async fn reset_connection(conn: &mut Connection) -> Result<Flow, WireError> {
    conn.session.reset();
    conn.statements.clear();
    conn.send_ok().await?;
    Ok(Flow::Continue)
}
