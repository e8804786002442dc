//! The binlog decoder: event bytes in, typed [`Change`]s out, with transaction boundaries
//! and positions tracked across events.
//!
//! Every event type is handled explicitly in [`Decoder::decode`]: mapped to changes,
//! deliberately ignored (the list is in `IGNORED`), or turned into a clear error.

use std::collections::HashMap;
use std::sync::Arc;

use super::bodies::{self, maria_flags};
use super::error::{DecodeError, DecodeResult};
use super::framing::{self, ChecksumAlg, EventHeader, FormatDescription, RawEvent, HEADER_LEN};
use super::rows::{self, RowsLayout};
use super::table_map::parse_table_map;
use crate::source::change::{Change, RowChange, RowKind};
use crate::source::filter::TableFilter;
use crate::source::position::{FilePos, Gtid, GtidState, MariaGtidState, Position};
use crate::source::table::TableInfo;

/// Event type codes (MySQL, then MariaDB's 160+).
#[allow(missing_docs)]
pub mod event_type {
    pub const START_V3: u8 = 1;
    pub const QUERY: u8 = 2;
    pub const STOP: u8 = 3;
    pub const ROTATE: u8 = 4;
    pub const INTVAR: u8 = 5;
    pub const LOAD: u8 = 6;
    pub const SLAVE: u8 = 7;
    pub const CREATE_FILE: u8 = 8;
    pub const APPEND_BLOCK: u8 = 9;
    pub const EXEC_LOAD: u8 = 10;
    pub const DELETE_FILE: u8 = 11;
    pub const NEW_LOAD: u8 = 12;
    pub const RAND: u8 = 13;
    pub const USER_VAR: u8 = 14;
    pub const FORMAT_DESCRIPTION: u8 = 15;
    pub const XID: u8 = 16;
    pub const BEGIN_LOAD_QUERY: u8 = 17;
    pub const EXECUTE_LOAD_QUERY: u8 = 18;
    pub const TABLE_MAP: u8 = 19;
    pub const WRITE_ROWS_V0: u8 = 20;
    pub const UPDATE_ROWS_V0: u8 = 21;
    pub const DELETE_ROWS_V0: u8 = 22;
    pub const WRITE_ROWS_V1: u8 = 23;
    pub const UPDATE_ROWS_V1: u8 = 24;
    pub const DELETE_ROWS_V1: u8 = 25;
    pub const INCIDENT: u8 = 26;
    pub const HEARTBEAT: u8 = 27;
    pub const IGNORABLE: u8 = 28;
    pub const ROWS_QUERY: u8 = 29;
    pub const WRITE_ROWS_V2: u8 = 30;
    pub const UPDATE_ROWS_V2: u8 = 31;
    pub const DELETE_ROWS_V2: u8 = 32;
    pub const GTID: u8 = 33;
    pub const ANONYMOUS_GTID: u8 = 34;
    pub const PREVIOUS_GTIDS: u8 = 35;
    pub const TRANSACTION_CONTEXT: u8 = 36;
    pub const VIEW_CHANGE: u8 = 37;
    pub const XA_PREPARE: u8 = 38;
    pub const PARTIAL_UPDATE_ROWS: u8 = 39;
    pub const TRANSACTION_PAYLOAD: u8 = 40;
    pub const HEARTBEAT_V2: u8 = 41;
    pub const GTID_TAGGED: u8 = 42;
    pub const MARIA_ANNOTATE_ROWS: u8 = 160;
    pub const MARIA_BINLOG_CHECKPOINT: u8 = 161;
    pub const MARIA_GTID: u8 = 162;
    pub const MARIA_GTID_LIST: u8 = 163;
    pub const MARIA_START_ENCRYPTION: u8 = 164;
    pub const MARIA_QUERY_COMPRESSED: u8 = 165;
    pub const MARIA_DELETE_ROWS_COMPRESSED: u8 = 171;
}

use event_type as et;

/// Event types that carry nothing a ROW-format replica needs, with the reason.
pub const IGNORED: &[(u8, &str)] = &[
    (
        et::INTVAR,
        "auto-increment context for statement-based replication",
    ),
    (et::RAND, "RAND() seed for statement-based replication"),
    (
        et::USER_VAR,
        "user variable for statement-based replication",
    ),
    (et::IGNORABLE, "marked ignorable by the source"),
    (
        et::ROWS_QUERY,
        "original statement text of the next rows events (informational)",
    ),
    (
        et::PREVIOUS_GTIDS,
        "GTID set of earlier files; positions come from GTID events",
    ),
    (
        et::TRANSACTION_CONTEXT,
        "group replication certification data",
    ),
    (et::VIEW_CHANGE, "group replication membership change"),
    (
        et::MARIA_ANNOTATE_ROWS,
        "original statement text of the next rows events (informational)",
    ),
    (
        et::MARIA_BINLOG_CHECKPOINT,
        "crash-recovery checkpoint of the source",
    ),
];

/// Something the stream layer should know that is not a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The source is alive and at this position (heartbeat).
    Heartbeat(FilePos),
    /// Events now come from this file (a ROTATE was applied).
    Rotate(FilePos),
}

/// A table map seen in the stream, remembered by table id.
struct MappedTable {
    /// The TABLE_MAP body, to recognise a repeated map without parsing it again.
    raw: Vec<u8>,
    /// The parsed table, or `None` when the filter excludes it (its rows are skipped).
    info: Option<Arc<TableInfo>>,
}

/// Turns a sequence of binlog events into the typed change stream.
pub struct Decoder {
    fde: FormatDescription,
    seen_fde: bool,
    file: String,
    /// End position of the last outer event (inner events of a compressed transaction
    /// have none of their own).
    end_pos: u64,
    tables: HashMap<u64, MappedTable>,
    filter: TableFilter,
    in_trx: bool,
    /// The transaction was opened by BEGIN (or a non-standalone MariaDB GTID), so a DDL
    /// inside it does not commit it.
    explicit_trx: bool,
    trx_gtid: Option<Gtid>,
    trx_timestamp: u32,
    gtid_state: Option<GtidState>,
    rows: Vec<RowChange>,
    /// Headers of the events inside the last compressed transaction payload.
    payload_headers: Vec<EventHeader>,
}

impl Decoder {
    /// A decoder for events starting in `file` (the name may be empty until a ROTATE).
    pub fn new(file: &str, filter: TableFilter, gtid_state: Option<GtidState>) -> Self {
        Decoder {
            fde: FormatDescription::assumed(),
            seen_fde: false,
            file: file.to_string(),
            end_pos: 4,
            tables: HashMap::new(),
            filter,
            in_trx: false,
            explicit_trx: false,
            trx_gtid: None,
            trx_timestamp: 0,
            gtid_state,
            rows: Vec::new(),
            payload_headers: Vec::new(),
        }
    }

    /// Headers of the events the last TRANSACTION_PAYLOAD held (emptied by the call). The
    /// live stream uses them to skip mysql_async's own expansion of the same payload.
    pub fn take_payload_headers(&mut self) -> Vec<EventHeader> {
        std::mem::take(&mut self.payload_headers)
    }

    /// The format description in force (server version, checksum).
    pub fn format(&self) -> &FormatDescription {
        &self.fde
    }

    /// Current binlog file name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// True between a transaction's `Begin` and its `Commit`.
    pub fn in_transaction(&self) -> bool {
        self.in_trx
    }

    /// The GTID state after the last committed transaction.
    pub fn gtid_state(&self) -> Option<&GtidState> {
        self.gtid_state.as_ref()
    }

    /// Decodes one whole event (header, body and checksum), appending changes to `out`.
    pub fn decode(&mut self, bytes: &[u8], out: &mut Vec<Change>) -> DecodeResult<Option<Notice>> {
        let header = framing::EventHeader::parse(bytes)?;
        // A ROTATE before the first FDE may carry a CRC nobody announced (MariaDB sends
        // one on connect; mysql_async issue #189): strip it when it verifies.
        if !self.seen_fde && header.event_type == et::ROTATE {
            let body_end = if framing::ends_with_valid_crc(bytes) {
                bytes.len() - 4
            } else {
                bytes.len()
            };
            let raw = RawEvent {
                header,
                body: bytes.get(HEADER_LEN..body_end).unwrap_or(&[]),
            };
            return self.handle(raw, out, false);
        }
        let raw = framing::split_event(bytes, self.fde.checksum)?;
        if header.log_pos != 0 && header.event_type != et::FORMAT_DESCRIPTION {
            self.end_pos = u64::from(header.log_pos);
        }
        self.handle(raw, out, false)
    }

    fn handle(
        &mut self,
        ev: RawEvent<'_>,
        out: &mut Vec<Change>,
        inner: bool,
    ) -> DecodeResult<Option<Notice>> {
        let t = ev.header.event_type;
        let result = self.dispatch(ev, out, inner);
        result.map_err(|e| {
            e.context(format!(
                "event type {t} ending at {}:{}",
                self.file, ev.header.log_pos
            ))
        })
    }

    fn dispatch(
        &mut self,
        ev: RawEvent<'_>,
        out: &mut Vec<Change>,
        inner: bool,
    ) -> DecodeResult<Option<Notice>> {
        let t = ev.header.event_type;
        match t {
            et::FORMAT_DESCRIPTION => {
                self.fde = FormatDescription::parse(ev.body)?;
                self.seen_fde = true;
                // A transaction never spans a new format description (server restart or
                // new file): anything open was cut off.
                self.discard_open(out);
                Ok(None)
            }
            et::ROTATE => {
                let r = bodies::rotate(ev.body)?;
                if !ev.header.is_artificial() {
                    self.tables.clear();
                }
                self.file = r.file.clone();
                self.end_pos = r.position;
                Ok(Some(Notice::Rotate(FilePos {
                    file: r.file,
                    pos: r.position,
                })))
            }
            et::STOP => {
                self.discard_open(out);
                Ok(None)
            }
            et::HEARTBEAT | et::HEARTBEAT_V2 => Ok(Some(Notice::Heartbeat(FilePos {
                file: self.file.clone(),
                pos: u64::from(ev.header.log_pos),
            }))),
            et::QUERY => self.on_query(ev, out),
            et::XID => {
                bodies::xid(ev.body)?;
                self.commit(ev.header.timestamp, out);
                Ok(None)
            }
            et::GTID | et::ANONYMOUS_GTID => {
                let g = bodies::mysql_gtid(ev.body, t == et::ANONYMOUS_GTID)?;
                self.begin(g.map(Gtid::MySql), ev.header.timestamp, false, out);
                Ok(None)
            }
            et::GTID_TAGGED => {
                let g = bodies::mysql_tagged_gtid(ev.body, ev.header.event_size as usize)?;
                self.begin(Some(Gtid::MySql(g)), ev.header.timestamp, false, out);
                Ok(None)
            }
            et::MARIA_GTID => {
                let g = bodies::maria_gtid(ev.body, ev.header.server_id)?;
                if g.flags & (maria_flags::PREPARED_XA | maria_flags::COMPLETED_XA) != 0 {
                    return Err(DecodeError::new(
                        "XA transactions (XA PREPARE / XA COMMIT) are not supported yet",
                    ));
                }
                let explicit = g.flags & maria_flags::STANDALONE == 0;
                self.begin(
                    Some(Gtid::MariaDb(g.gtid)),
                    ev.header.timestamp,
                    explicit,
                    out,
                );
                Ok(None)
            }
            et::MARIA_GTID_LIST => {
                let list = bodies::maria_gtid_list(ev.body)?;
                // A GTID_LIST written at the start of a file is the state before it: it
                // seeds an unknown state (never the artificial one sent on connect).
                if self.gtid_state.is_none() && !ev.header.is_artificial() {
                    let mut s = MariaGtidState::default();
                    for g in list {
                        s.apply(g);
                    }
                    self.gtid_state = Some(GtidState::MariaDb(s));
                }
                Ok(None)
            }
            et::PREVIOUS_GTIDS => {
                // Likewise for MySQL: the GTID set of all earlier files. Tagged sets
                // (MySQL 8.3+ format) are not parsed; the state then stays unknown.
                if self.gtid_state.is_none() && !ev.header.is_artificial() {
                    if let Some(set) = bodies::mysql_previous_gtids(ev.body)? {
                        self.gtid_state = Some(GtidState::MySql(set));
                    }
                }
                Ok(None)
            }
            et::TABLE_MAP => {
                self.on_table_map(ev)?;
                Ok(None)
            }
            et::WRITE_ROWS_V0 | et::WRITE_ROWS_V1 | et::WRITE_ROWS_V2 => {
                self.on_rows(ev, RowKind::Insert, out)
            }
            et::UPDATE_ROWS_V0
            | et::UPDATE_ROWS_V1
            | et::UPDATE_ROWS_V2
            | et::PARTIAL_UPDATE_ROWS => self.on_rows(ev, RowKind::Update, out),
            et::DELETE_ROWS_V0 | et::DELETE_ROWS_V1 | et::DELETE_ROWS_V2 => {
                self.on_rows(ev, RowKind::Delete, out)
            }
            et::TRANSACTION_PAYLOAD => {
                if inner {
                    return Err(DecodeError::new("compressed transaction nested in another"));
                }
                self.on_payload(ev, out)
            }
            et::INCIDENT => Err(DecodeError::new(
                "the source logged an INCIDENT (events were lost on the source, e.g. a failed \
                 non-transactional statement); the copy can no longer be kept exact: re-snapshot",
            )),
            et::XA_PREPARE => Err(DecodeError::new(
                "XA transactions (XA PREPARE) are not supported yet",
            )),
            et::START_V3 => Err(DecodeError::new(
                "binlog format v1/v3 (MySQL before 5.0) is not supported",
            )),
            et::LOAD
            | et::SLAVE
            | et::CREATE_FILE
            | et::APPEND_BLOCK
            | et::EXEC_LOAD
            | et::DELETE_FILE
            | et::NEW_LOAD
            | et::BEGIN_LOAD_QUERY
            | et::EXECUTE_LOAD_QUERY => Err(DecodeError::new(
                "statement-based LOAD DATA event: the source must log with binlog_format=ROW \
                     (SET GLOBAL binlog_format='ROW')",
            )),
            et::MARIA_START_ENCRYPTION => Err(DecodeError::new(
                "encrypted binlog file: read it through the server (replication), not from disk",
            )),
            et::MARIA_QUERY_COMPRESSED..=et::MARIA_DELETE_ROWS_COMPRESSED => Err(DecodeError::new(
                "MariaDB compressed binlog event: set log_bin_compress=OFF on the source \
                 (SET GLOBAL log_bin_compress=OFF)",
            )),
            _ if IGNORED.iter().any(|(i, _)| *i == t) => Ok(None),
            _ => Err(DecodeError::new(format!("unknown binlog event type {t}"))),
        }
    }

    fn position(&self) -> Position {
        Position {
            file_pos: FilePos {
                file: self.file.clone(),
                pos: self.end_pos,
            },
            gtid: self.gtid_state.clone(),
        }
    }

    fn begin(&mut self, gtid: Option<Gtid>, timestamp: u32, explicit: bool, out: &mut Vec<Change>) {
        self.discard_open(out);
        self.in_trx = true;
        self.explicit_trx = explicit;
        self.trx_gtid = gtid.clone();
        self.trx_timestamp = timestamp;
        out.push(Change::Begin { gtid, timestamp });
    }

    fn ensure_begun(&mut self, timestamp: u32, out: &mut Vec<Change>) {
        if !self.in_trx {
            self.begin(None, timestamp, true, out);
        }
    }

    fn commit(&mut self, timestamp: u32, out: &mut Vec<Change>) {
        if !self.in_trx {
            // A commit with no transaction (e.g. the stream started inside one, after its
            // Begin): the position still advances.
            self.in_trx = true;
            out.push(Change::Begin {
                gtid: None,
                timestamp,
            });
        }
        if let Some(g) = self.trx_gtid.take() {
            match (&mut self.gtid_state, g) {
                (Some(GtidState::MySql(set)), Gtid::MySql(g)) => set.add(&g),
                (Some(GtidState::MariaDb(s)), Gtid::MariaDb(g)) => s.apply(g),
                // An unknown state stays unknown: a set made of only the GTIDs seen since
                // the start would be a wrong resume point.
                // A GTID of the other flavor cannot happen with one source; keep the state.
                _ => {}
            }
        }
        self.in_trx = false;
        self.explicit_trx = false;
        out.push(Change::Commit {
            position: self.position(),
            timestamp,
        });
    }

    fn discard_open(&mut self, out: &mut Vec<Change>) {
        if self.in_trx {
            self.in_trx = false;
            self.explicit_trx = false;
            self.trx_gtid = None;
            out.push(Change::Discard);
        }
    }

    fn on_query(
        &mut self,
        ev: RawEvent<'_>,
        out: &mut Vec<Change>,
    ) -> DecodeResult<Option<Notice>> {
        let q = bodies::query(ev.body, &self.fde, ev.header.event_type)?;
        let ts = ev.header.timestamp;
        let statement = q.statement;
        let stmt = statement.trim();
        let upper: String = stmt
            .chars()
            .take(24)
            .collect::<String>()
            .to_ascii_uppercase();
        let first_word = upper
            .split(|c: char| !c.is_ascii_alphabetic())
            .find(|w| !w.is_empty())
            .unwrap_or("");
        match first_word {
            "BEGIN" => {
                if !self.in_trx {
                    self.begin(None, ts, true, out);
                }
                self.explicit_trx = true;
            }
            "COMMIT" => self.commit(ts, out),
            // In ROW format non-transactional changes are logged in groups of their own, so
            // the rows before a logged ROLLBACK are transactional ones the source undid (it
            // logs ROLLBACK when e.g. a temporary table was touched). They are dropped, and
            // the GTID and position still advance with an empty transaction.
            "ROLLBACK" if !upper.starts_with("ROLLBACK TO") => {
                let gtid = self.trx_gtid.clone();
                self.discard_open(out);
                self.begin(gtid, ts, true, out);
                self.commit(ts, out);
            }
            "ROLLBACK" => {
                self.ensure_begun(ts, out);
                out.push(Change::RollbackToSavepoint {
                    name: savepoint_name(stmt),
                });
            }
            "SAVEPOINT" => {
                self.ensure_begun(ts, out);
                out.push(Change::Savepoint {
                    name: savepoint_name(stmt),
                });
            }
            "RELEASE" => {}
            "XA" => return Err(DecodeError::new("XA transactions are not supported yet")),
            "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "LOAD" => {
                return Err(DecodeError::new(format!(
                    "statement-based change `{}` in the binlog: rows changed this way cannot be \
                     replicated exactly. Set binlog_format=ROW on the source (globally and for \
                     every session)",
                    stmt.chars().take(80).collect::<String>()
                )))
            }
            "" if stmt.starts_with('#') || stmt.is_empty() => {} // comment-only statement
            _ => {
                let standalone = !self.in_trx || !self.explicit_trx;
                self.ensure_begun(ts, out);
                // MySQL 8.0.21+ logs CREATE TABLE ... SELECT as "CREATE TABLE ... START
                // TRANSACTION" followed by the rows and an XID.
                let continues = stmt.to_ascii_uppercase().ends_with("START TRANSACTION");
                out.push(Change::Ddl {
                    schema: q.schema,
                    statement,
                });
                if standalone && !continues {
                    self.commit(ts, out);
                } else if continues {
                    self.explicit_trx = true;
                }
            }
        }
        Ok(None)
    }

    fn on_table_map(&mut self, ev: RawEvent<'_>) -> DecodeResult<()> {
        let id_len = self.fde.table_id_len(et::TABLE_MAP);
        let id = rows::rows_table_id(ev.body, id_len)?;
        if let Some(known) = self.tables.get(&id) {
            if known.raw == ev.body {
                return Ok(());
            }
        }
        let info = parse_table_map(ev.body, id_len)?;
        let info = self
            .filter
            .matches(&info.schema, &info.name)
            .then(|| Arc::new(info));
        self.tables.insert(
            id,
            MappedTable {
                raw: ev.body.to_vec(),
                info,
            },
        );
        Ok(())
    }

    fn on_rows(
        &mut self,
        ev: RawEvent<'_>,
        kind: RowKind,
        out: &mut Vec<Change>,
    ) -> DecodeResult<Option<Notice>> {
        let t = ev.header.event_type;
        let id_len = self.fde.table_id_len(t);
        let id = rows::rows_table_id(ev.body, id_len)?;
        let table = match self.tables.get(&id) {
            None => {
                return Err(DecodeError::new(format!(
                    "rows event for table id {id} without a preceding TABLE_MAP"
                )))
            }
            Some(MappedTable { info: None, .. }) => return Ok(None), // filtered out
            Some(MappedTable { info: Some(t), .. }) => Arc::clone(t),
        };
        self.ensure_begun(ev.header.timestamp, out);
        let layout = RowsLayout {
            kind,
            has_extra_data: matches!(
                t,
                et::WRITE_ROWS_V2
                    | et::UPDATE_ROWS_V2
                    | et::DELETE_ROWS_V2
                    | et::PARTIAL_UPDATE_ROWS
            ),
            partial_json: t == et::PARTIAL_UPDATE_ROWS,
        };
        self.rows.clear();
        rows::decode_rows(ev.body, id_len, layout, &table, &mut self.rows)?;
        out.extend(self.rows.drain(..).map(Change::Row));
        Ok(None)
    }

    fn on_payload(
        &mut self,
        ev: RawEvent<'_>,
        out: &mut Vec<Change>,
    ) -> DecodeResult<Option<Notice>> {
        let tp = bodies::transaction_payload(ev.body)?;
        let data = bodies::decompress(&tp)?;
        self.payload_headers.clear();
        let mut rest: &[u8] = &data;
        while !rest.is_empty() {
            let h = framing::EventHeader::parse(rest)?;
            let (one, tail) = rest
                .split_at_checked(h.event_size as usize)
                .ok_or_else(|| DecodeError::new("compressed transaction: truncated inner event"))?;
            // Events inside a payload carry no checksum of their own.
            let raw = framing::split_event(one, ChecksumAlg::None)?;
            self.payload_headers.push(h);
            self.handle(raw, out, true)?;
            rest = tail;
        }
        Ok(None)
    }
}

/// The savepoint named by `SAVEPOINT x` / `ROLLBACK TO [SAVEPOINT] x` (quotes removed).
fn savepoint_name(statement: &str) -> String {
    statement
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .trim_matches(|c| c == '`' || c == '"' || c == '\'' || c == ';')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn savepoint_names() {
        assert_eq!(savepoint_name("SAVEPOINT `s1`"), "s1");
        assert_eq!(savepoint_name("ROLLBACK TO SAVEPOINT s2"), "s2");
        assert_eq!(savepoint_name("ROLLBACK TO `a b`"), "b");
    }

    #[test]
    fn every_event_type_has_a_decision() {
        // Build a minimal event of every type code and make sure none panics and that
        // unknown codes error rather than pass silently.
        for t in 0..=255u8 {
            let mut d = Decoder::new("f", TableFilter::all(), None);
            d.seen_fde = true;
            let body = [0u8; 8];
            let h = framing::EventHeader {
                timestamp: 0,
                event_type: t,
                server_id: 1,
                event_size: (HEADER_LEN + body.len()) as u32,
                log_pos: 100,
                flags: 0,
            };
            let mut bytes = h.to_bytes().to_vec();
            bytes.extend(body);
            let mut out = Vec::new();
            let r = d.decode(&bytes, &mut out);
            let known = matches!(t, 1..=42 | 160..=171);
            if !known {
                assert!(r.is_err(), "type {t} passed silently");
            }
        }
    }
}
