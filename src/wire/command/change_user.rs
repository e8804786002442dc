//! COM_CHANGE_USER: log in again as another (or the same) user on the same connection,
//! with a fresh session: no variables, no prepared statements, the new database.
//!
//! Wire format: `0x11`, user NUL-terminated, auth response (u8 length + bytes), database
//! NUL-terminated, then optionally collation u16, auth plugin name NUL-terminated and
//! connect attributes (ignored).
//!
//! The server always re-authenticates with a fresh challenge: it answers with an
//! AuthSwitchRequest carrying a new salt (for the plugin the client named when it is
//! `mysql_native_password` or `caching_sha2_password`, else native), so the scramble in
//! the command, computed over the old salt, is never what is checked. Clients without
//! CLIENT_PLUGIN_AUTH are checked against the connection's original salt. A failed
//! change closes the connection after ERR 1045.

use std::sync::Arc;

use mysql_common::constants::CapabilityFlags;
use mysql_common::io::ParseBuf;
use mysql_common::packets::AuthSwitchRequest;
use mysql_common::proto::MySerialize;

use super::Flow;
use crate::query::process::ProcessList;
use crate::query::SqlError;
use crate::wire::auth::{self, CACHING_SHA2_PASSWORD, NATIVE_PASSWORD};
use crate::wire::connection::Connection;
use crate::wire::handshake::authenticate;
use crate::wire::WireError;

/// A COM_CHANGE_USER.
#[derive(Debug)]
pub struct ChangeUser {
    /// The user to become.
    pub user: String,
    /// The auth response over the connection's original salt.
    pub auth_response: Vec<u8>,
    /// The database to use, if any.
    pub database: Option<String>,
    /// The client's collation, if sent.
    pub collation: Option<u16>,
    /// The auth plugin the client used, if sent.
    pub plugin: Option<Vec<u8>>,
}

impl ChangeUser {
    /// Parses the arguments (everything after the command byte).
    pub fn parse(args: &[u8]) -> Result<ChangeUser, SqlError> {
        let mut buf = ParseBuf(args);
        let user = String::from_utf8_lossy(buf.eat_null_str()).into_owned();
        let auth_response = buf
            .checked_eat_u8_str()
            .ok_or_else(super::malformed)?
            .to_vec();
        let database = Some(buf.eat_null_str())
            .filter(|d| !d.is_empty())
            .map(|d| String::from_utf8_lossy(d).into_owned());
        let collation = buf.checked_eat_u16_le();
        let plugin = Some(buf.eat_null_str())
            .filter(|p| !p.is_empty())
            .map(<[u8]>::to_vec);
        Ok(ChangeUser {
            user,
            auth_response,
            database,
            collation,
            plugin,
        })
    }

    /// Re-authenticates and replaces the session.
    pub async fn apply(self, conn: &mut Connection) -> Result<Flow, WireError> {
        let config = conn.config.clone();
        let ok = if conn
            .capabilities
            .contains(CapabilityFlags::CLIENT_PLUGIN_AUTH)
        {
            let salt =
                auth::new_salt().map_err(|e| WireError::Protocol(format!("no randomness: {e}")))?;
            let plugin = match self.plugin.as_deref() {
                Some(p) if p == CACHING_SHA2_PASSWORD.as_bytes() => CACHING_SHA2_PASSWORD,
                _ => NATIVE_PASSWORD,
            };
            let mut data = salt.to_vec();
            data.push(0);
            let mut buf = Vec::with_capacity(48);
            AuthSwitchRequest::new(plugin.as_bytes(), data).serialize(&mut buf);
            conn.io.send(&buf).await?;
            let response = conn.io.read().await?;
            authenticate(
                &mut conn.io,
                &config,
                &self.user,
                &conn.host,
                plugin.as_bytes(),
                response,
                &salt,
                conn.tls,
            )
            .await?
        } else {
            let salt = conn.salt;
            authenticate(
                &mut conn.io,
                &config,
                &self.user,
                &conn.host,
                NATIVE_PASSWORD.as_bytes(),
                self.auth_response,
                &salt,
                conn.tls,
            )
            .await?
        };
        if !ok {
            return Ok(Flow::Close);
        }

        // A new process-list entry under the same id. Dropping a registration removes its
        // id from the list, so the old one is parked on a scratch list and dropped before
        // the new one is made.
        conn.statements.clear();
        let scratch = Arc::new(ProcessList::default());
        let old = std::mem::replace(
            &mut conn.registration,
            ProcessList::register(&scratch, conn.id, "", ""),
        );
        drop(old);
        conn.registration =
            ProcessList::register(&conn.engine.processes, conn.id, &self.user, &conn.peer);
        let mut session = conn
            .engine
            .session(conn.registration.process.clone(), &self.user);
        if let Some(c) = self.collation.filter(|c| *c != 0) {
            session.vars.result_collation = c;
        }
        conn.session = session;
        if let Some(db) = &self.database {
            if let Err(e) = conn.session.use_database(db) {
                conn.send_error(&e).await?;
                return Ok(Flow::Close);
            }
        }
        conn.mark("Sleep", None);
        conn.send_ok().await?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql_common::packets::{AuthPlugin, ComChangeUser, ComChangeUserMoreData};

    #[test]
    fn parses_what_mysql_common_sends() {
        let cmd = ComChangeUser::new()
            .with_user(Some(&b"app"[..]))
            .with_database(Some(&b"shop"[..]))
            .with_auth_plugin_data(Some(&[1u8, 2, 3][..]))
            .with_more_data(Some(
                ComChangeUserMoreData::new(45)
                    .with_auth_plugin(Some(AuthPlugin::MysqlNativePassword)),
            ));
        let mut bytes = Vec::new();
        cmd.serialize(&mut bytes);
        let parsed = ChangeUser::parse(&bytes[1..]).unwrap();
        assert_eq!(parsed.user, "app");
        assert_eq!(parsed.database.as_deref(), Some("shop"));
        assert_eq!(parsed.auth_response, vec![1, 2, 3]);
        assert_eq!(parsed.collation, Some(45));
        assert_eq!(parsed.plugin.as_deref(), Some(NATIVE_PASSWORD.as_bytes()));
        // Truncated: the auth length promises more than there is.
        assert!(ChangeUser::parse(b"app\0\x09ab").is_err());
    }
}
