//! `SHOW REPLICA STATUS` / `SHOW SLAVE STATUS` / `SHOW ALL SLAVES STATUS`: the replica's
//! state in the columns MySQL and MariaDB monitoring tools read, named as the statement
//! form and flavor name them (MySQL 8.0.22+ `SHOW REPLICA STATUS`: `Source_*` /
//! `Replica_*`; MariaDB keeps `Master_*` / `Slave_*` in every form).

use mysql_common::value::Value as MyValue;

use super::engine::Session;
use super::result::{ColumnDef, ResultSet};

/// Which statement asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `SHOW SLAVE STATUS`.
    Slave,
    /// `SHOW REPLICA STATUS`.
    Replica,
    /// `SHOW ALL SLAVES STATUS` / `SHOW ALL REPLICAS STATUS` (MariaDB).
    All,
}

enum Cell {
    Text(Option<String>),
    Num(Option<u64>),
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(Some(s.into()))
}

fn n(v: u64) -> Cell {
    Cell::Num(Some(v))
}

/// The result set (empty when this engine has no running replica).
pub fn show(session: &Session, form: Form) -> ResultSet {
    let engine = &session.engine;
    let mariadb = engine.config.mariadb;
    let rename = !mariadb && form == Form::Replica;
    let cells = cells(session, form);
    let columns: Vec<ColumnDef> = cells
        .iter()
        .map(|(name, cell)| {
            let name = if rename {
                name.replace("Master", "Source")
                    .replace("master", "source")
                    .replace("Slave", "Replica")
            } else {
                (*name).to_string()
            };
            match cell {
                Cell::Text(_) => ColumnDef::text(&name),
                Cell::Num(_) => ColumnDef::bigint(&name, true),
            }
        })
        .collect();
    if engine.replica.is_none() {
        return ResultSet::from_rows(columns, vec![]);
    }
    let row: Vec<MyValue> = cells
        .into_iter()
        .map(|(_, c)| match c {
            Cell::Text(Some(s)) => MyValue::Bytes(s.into_bytes()),
            Cell::Num(Some(v)) => MyValue::UInt(v),
            Cell::Text(None) | Cell::Num(None) => MyValue::NULL,
        })
        .collect();
    ResultSet::from_rows(columns, vec![row])
}

fn cells(session: &Session, form: Form) -> Vec<(&'static str, Cell)> {
    let engine = &session.engine;
    let cfg = &engine.config;
    let mariadb = cfg.mariadb;
    let (snap, visible) = match engine.replica.as_ref() {
        Some(r) => (r.status.current(), r.visible.borrow().clone()),
        None => (Default::default(), None),
    };
    let state = snap.state.as_str();
    let running = matches!(state, "streaming" | "copying");
    let io_running = match state {
        "streaming" | "copying" => "Yes",
        "starting" => "Connecting",
        _ => "No",
    };
    let sql_running = if running || state == "starting" {
        "Yes"
    } else {
        "No"
    };
    let source_word = if !mariadb && form == Form::Replica {
        "source"
    } else {
        "master"
    };
    let io_state = match state {
        "streaming" | "copying" => format!("Waiting for {source_word} to send event"),
        "starting" => format!("Connecting to {source_word}"),
        _ => String::new(),
    };
    let sql_state = if running {
        if snap.caught_up {
            "Slave has read all relay log; waiting for more updates".to_string()
        } else {
            "Reading event from the relay log".to_string()
        }
    } else {
        String::new()
    };
    let file = visible.as_ref().map(|p| p.file.clone()).unwrap_or_default();
    let pos = visible.as_ref().map(|p| p.pos).unwrap_or(0);
    let gtid = visible
        .as_ref()
        .and_then(|p| p.gtid.clone())
        .unwrap_or_default();
    let error = snap.last_error.clone().unwrap_or_default();
    let errno = if error.is_empty() { 0 } else { 1105 };
    let behind = if running {
        Some(snap.lag_seconds)
    } else {
        None
    };
    let mut v: Vec<(&'static str, Cell)> = Vec::new();
    if form == Form::All {
        v.push(("Connection_name", t("")));
        v.push(("Slave_SQL_State", t(sql_state.clone())));
    }
    v.extend([
        ("Slave_IO_State", t(io_state)),
        ("Master_Host", t(cfg.source_host.clone())),
        ("Master_User", t(cfg.source_user.clone())),
        ("Master_Port", n(u64::from(cfg.source_port))),
        ("Connect_Retry", n(60)),
        ("Master_Log_File", t(file.clone())),
        ("Read_Master_Log_Pos", n(pos)),
        ("Relay_Log_File", t(file.clone())),
        ("Relay_Log_Pos", n(pos)),
        ("Relay_Master_Log_File", t(file)),
        ("Slave_IO_Running", t(io_running)),
        ("Slave_SQL_Running", t(sql_running)),
    ]);
    if mariadb {
        v.push(("Replicate_Rewrite_DB", t("")));
    }
    v.extend([
        ("Replicate_Do_DB", t("")),
        ("Replicate_Ignore_DB", t("")),
        ("Replicate_Do_Table", t("")),
        ("Replicate_Ignore_Table", t("")),
        ("Replicate_Wild_Do_Table", t("")),
        ("Replicate_Wild_Ignore_Table", t("")),
        ("Last_Errno", n(errno)),
        ("Last_Error", t(error.clone())),
        ("Skip_Counter", n(0)),
        ("Exec_Master_Log_Pos", n(pos)),
        ("Relay_Log_Space", n(0)),
        ("Until_Condition", t("None")),
        ("Until_Log_File", t("")),
        ("Until_Log_Pos", n(0)),
        ("Master_SSL_Allowed", t("No")),
        ("Master_SSL_CA_File", t("")),
        ("Master_SSL_CA_Path", t("")),
        ("Master_SSL_Cert", t("")),
        ("Master_SSL_Cipher", t("")),
        ("Master_SSL_Key", t("")),
        ("Seconds_Behind_Master", Cell::Num(behind)),
        ("Master_SSL_Verify_Server_Cert", t("No")),
        ("Last_IO_Errno", n(0)),
        ("Last_IO_Error", t("")),
        ("Last_SQL_Errno", n(errno)),
        ("Last_SQL_Error", t(error)),
        ("Replicate_Ignore_Server_Ids", t("")),
        ("Master_Server_Id", n(0)),
    ]);
    if mariadb {
        v.extend([
            ("Master_SSL_Crl", t("")),
            ("Master_SSL_Crlpath", t("")),
            (
                "Using_Gtid",
                t(if gtid.is_empty() { "No" } else { "Slave_Pos" }),
            ),
            ("Gtid_IO_Pos", t(gtid.clone())),
            ("Replicate_Do_Domain_Ids", t("")),
            ("Replicate_Ignore_Domain_Ids", t("")),
            ("Parallel_Mode", t("optimistic")),
            ("SQL_Delay", n(0)),
            ("SQL_Remaining_Delay", Cell::Num(None)),
            ("Slave_SQL_Running_State", t(sql_state)),
            ("Slave_DDL_Groups", n(0)),
            ("Slave_Non_Transactional_Groups", n(0)),
            ("Slave_Transactional_Groups", n(snap.transactions)),
        ]);
        if form == Form::All {
            v.extend([
                ("Retried_transactions", n(0)),
                ("Max_relay_log_pos", n(0)),
                ("Executed_log_entries", n(snap.transactions)),
                ("Slave_received_heartbeats", n(0)),
                ("Slave_heartbeat_period", t("1.000")),
                ("Gtid_Slave_Pos", t(gtid)),
            ]);
        }
    } else {
        v.extend([
            ("Master_UUID", t("")),
            ("Master_Info_File", t("mysql.slave_master_info")),
            ("SQL_Delay", n(0)),
            ("SQL_Remaining_Delay", Cell::Num(None)),
            ("Slave_SQL_Running_State", t(sql_state)),
            ("Master_Retry_Count", n(86400)),
            ("Master_Bind", t("")),
            ("Last_IO_Error_Timestamp", t("")),
            ("Last_SQL_Error_Timestamp", t("")),
            ("Master_SSL_Crl", t("")),
            ("Master_SSL_Crlpath", t("")),
            ("Retrieved_Gtid_Set", t(gtid.clone())),
            ("Executed_Gtid_Set", t(gtid.clone())),
            ("Auto_Position", n(u64::from(!gtid.is_empty()))),
            ("Replicate_Rewrite_DB", t("")),
            ("Channel_Name", t("")),
            ("Master_TLS_Version", t("")),
            ("Master_public_key_path", t("")),
            ("Get_master_public_key", n(0)),
            ("Network_Namespace", t("")),
        ]);
    }
    v
}
