//! The live binlog stream: register with the source as a replica, request the binlog from
//! a position, decode every event into [`Change`]s, and survive disconnects.
//!
//! mysql_async carries the protocol (handshake, COM_REGISTER_SLAVE, COM_BINLOG_DUMP[_GTID]);
//! everything it hands us is re-framed and decoded by our own [`Decoder`], which verifies
//! CRC32s and understands MariaDB's events. On a transient failure (network, source
//! restart, silence past the read timeout) the stream reconnects with backoff and resumes
//! from the last committed position; a transaction cut off mid-way is announced with
//! [`Change::Discard`] and delivered again in full.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStreamRequest, Conn};
use tracing::{debug, info, warn};

use super::change::Change;
use super::connect::{connect, Flavor, ServerInfo, SourceOptions};
use super::decode::{framing::EventHeader, Decoder, Notice};
use super::error::SourceError;
use super::filter::TableFilter;
use super::position::{FilePos, GtidState, MariaGtidState, MySqlGtidSet, Position, StartPosition};

/// How to run a stream.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Where the source is and how to present ourselves to it.
    pub source: SourceOptions,
    /// Where to start reading.
    pub start: StartPosition,
    /// Which tables' row changes to decode (others are skipped cheaply).
    pub filter: TableFilter,
    /// Stop at the end of the source's binlog instead of waiting for more.
    pub stop_at_end: bool,
    /// Reconnect after transient failures (off: the first failure is returned).
    pub reconnect: bool,
    /// Longest wait between reconnection attempts.
    pub max_backoff: Duration,
    /// The GTID state at a file:pos start, when the caller knows it (e.g. stored with the
    /// position) and the source cannot tell (MySQL): positions then carry GTIDs.
    pub known_gtid: Option<GtidState>,
}

/// Where a (re)connection resumes.
#[derive(Debug, Clone)]
enum Resume {
    FilePos(FilePos),
    MySqlGtid(MySqlGtidSet),
    MariaGtid(MariaGtidState),
}

/// An open, self-healing binlog stream.
pub struct BinlogStream {
    opts: StreamOptions,
    info: ServerInfo,
    inner: Option<mysql_async::BinlogStream>,
    decoder: Decoder,
    /// Position after the last transaction delivered in full.
    committed: Position,
    /// Resume by GTID (true) or by file:pos.
    by_gtid: bool,
    buf: Vec<u8>,
    finished: bool,
    echo: PayloadEcho,
    reconnects: u64,
}

/// mysql_async yields a TRANSACTION_PAYLOAD event and then, from its own decompression,
/// the events inside it. Our decoder already expanded the payload (and fails loudly where
/// mysql_async would silently yield nothing), so those echoed events must be skipped —
/// exactly those: each must match the next expected inner header, and the first
/// mismatch ends the skipping (mysql_async produced no echo).
#[derive(Debug, Default)]
struct PayloadEcho {
    expected: std::collections::VecDeque<EventHeader>,
}

impl PayloadEcho {
    /// Expects these inner events next.
    fn expect(&mut self, headers: Vec<EventHeader>) {
        self.expected = headers.into();
    }

    /// True if `header` is the next echoed inner event (and consumes it).
    fn is_echo(&mut self, header: &EventHeader) -> bool {
        match self.expected.front() {
            Some(h) if h == header => {
                self.expected.pop_front();
                true
            }
            Some(_) => {
                self.expected.clear();
                false
            }
            None => false,
        }
    }
}

impl BinlogStream {
    /// Connects, resolves the start position, registers as a replica and requests the binlog.
    pub async fn open(opts: StreamOptions) -> Result<Self, SourceError> {
        let (mut conn, info) = connect(&opts.source).await?;
        let (resume, mut committed) = resolve_start(&mut conn, &info, &opts.start).await?;
        if committed.gtid.is_none() {
            committed.gtid = opts.known_gtid.clone();
        }
        let by_gtid = !matches!(resume, Resume::FilePos(_));
        let decoder = Decoder::new(
            &committed.file_pos.file,
            opts.filter.clone(),
            committed.gtid.clone(),
        );
        let inner = request_binlog(conn, &info, &opts, &resume).await?;
        info!(
            source = %opts.source.redacted_url(),
            flavor = %info.flavor,
            version = %info.version_string,
            start = %committed,
            "streaming binlog"
        );
        Ok(BinlogStream {
            opts,
            info,
            inner: Some(inner),
            decoder,
            committed,
            by_gtid,
            buf: Vec::with_capacity(64 * 1024),
            finished: false,
            echo: PayloadEcho::default(),
            reconnects: 0,
        })
    }

    /// The source's flavor and version.
    pub fn server(&self) -> &ServerInfo {
        &self.info
    }

    /// How many times the stream reconnected after a transient failure.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// Position after the last transaction delivered in full (where a restart resumes).
    pub fn committed(&self) -> &Position {
        &self.committed
    }

    /// Reads at least one event and appends the resulting changes to `out` (possibly none,
    /// e.g. for a heartbeat or a filtered table). Returns `false` once the stream ended
    /// (only with `stop_at_end`).
    pub async fn next(&mut self, out: &mut Vec<Change>) -> Result<bool, SourceError> {
        if self.finished {
            return Ok(false);
        }
        loop {
            match self.read_one(out).await {
                Ok(more) => {
                    if !more {
                        self.finished = true;
                    }
                    return Ok(more);
                }
                Err(e) if self.opts.reconnect && e.is_transient() => {
                    self.reconnect(e, out).await?;
                    if !out.is_empty() {
                        return Ok(true);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn read_one(&mut self, out: &mut Vec<Change>) -> Result<bool, SourceError> {
        let Some(inner) = self.inner.as_mut() else {
            return Err(SourceError::Protocol("stream is closed".into()));
        };
        let timeout = self.opts.source.read_timeout;
        // mysql_async parses packets with mysql_common, which can panic on malformed
        // events; a panic here must become an error, not take the process down.
        let next = AssertUnwindSafe(inner.next()).catch_unwind();
        let item = match tokio::time::timeout(timeout, next).await {
            Err(_) => return Err(SourceError::Timeout(timeout)),
            Ok(Err(_panic)) => {
                return Err(SourceError::Protocol(
                    "the source sent a malformed binlog packet (the packet parser failed)".into(),
                ))
            }
            Ok(Ok(item)) => item,
        };
        let event = match item {
            // With BINLOG_DUMP_NON_BLOCK the source ends the stream at the end of its
            // binlog; otherwise an end means it went away (shutdown, KILL).
            None if self.opts.stop_at_end => return Ok(false),
            None => {
                return Err(SourceError::Disconnected(
                    "end of stream while following (source shutdown or connection killed)".into(),
                ))
            }
            // ER_MASTER_FATAL_ERROR_READING_BINLOG: the position is gone (purged) or invalid.
            Some(Err(mysql_async::Error::Server(e))) if e.code == 1236 => {
                return Err(SourceError::PositionUnavailable {
                    position: self.committed.to_string(),
                    reason: format!(
                        "{} — the source no longer has the binlog this replica needs; \
                         start again from a position the source still has (SHOW BINARY LOGS)",
                        e.message
                    ),
                })
            }
            Some(Err(e)) => return Err(SourceError::Connection(e)),
            Some(Ok(ev)) => ev,
        };
        if self.echo.is_echo(&header_of(&event)) {
            return Ok(true);
        }
        reframe(&event, &mut self.buf)?;
        let start = out.len();
        let notice = self
            .decoder
            .decode(&self.buf, out)
            .map_err(|error| SourceError::Decode {
                position: format!("{}:{}", self.decoder.file(), event.header().log_pos()),
                error,
            })?;
        if let Some(Notice::Heartbeat(pos)) = notice {
            debug!(%pos, "heartbeat");
        }
        let inner = self.decoder.take_payload_headers();
        if !inner.is_empty() {
            self.echo.expect(inner);
        }
        for change in &out[start..] {
            if let Change::Commit { position, .. } = change {
                self.committed = position.clone();
            }
        }
        Ok(true)
    }

    async fn reconnect(
        &mut self,
        cause: SourceError,
        out: &mut Vec<Change>,
    ) -> Result<(), SourceError> {
        if let Some(inner) = self.inner.take() {
            drop(inner);
        }
        if self.decoder.in_transaction() {
            out.push(Change::Discard);
        }
        let mut backoff = Duration::from_millis(250);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            warn!(error = %cause, attempt, wait = ?backoff, resume = %self.committed, "source connection lost; reconnecting");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(self.opts.max_backoff);
            let resume = self.resume_point();
            let attempt_result = async {
                let (conn, info) = connect(&self.opts.source).await?;
                let inner = request_binlog(conn, &info, &self.opts, &resume).await?;
                Ok::<_, SourceError>((inner, info))
            }
            .await;
            match attempt_result {
                Ok((inner, info)) => {
                    info!(resume = %self.committed, "reconnected to the source");
                    self.reconnects += 1;
                    self.echo = PayloadEcho::default();
                    self.info = info;
                    self.inner = Some(inner);
                    self.decoder = Decoder::new(
                        &self.committed.file_pos.file,
                        self.opts.filter.clone(),
                        self.committed.gtid.clone(),
                    );
                    return Ok(());
                }
                Err(e) if e.is_transient() => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn resume_point(&self) -> Resume {
        match (&self.committed.gtid, self.by_gtid) {
            (Some(GtidState::MariaDb(s)), true) => Resume::MariaGtid(s.clone()),
            (Some(GtidState::MySql(s)), true) => Resume::MySqlGtid(s.clone()),
            _ => Resume::FilePos(self.committed.file_pos.clone()),
        }
    }
}

/// The header of an event as mysql_common parsed it.
fn header_of(event: &mysql_common::binlog::events::Event) -> EventHeader {
    let h = event.header();
    EventHeader {
        timestamp: h.timestamp(),
        event_type: h.event_type_raw(),
        server_id: h.server_id(),
        event_size: h.event_size(),
        log_pos: h.log_pos(),
        flags: h.flags_raw(),
    }
}

/// Rebuilds the exact wire bytes of an event (mysql_common strips the checksum and, for a
/// format description, the algorithm byte) so our decoder can verify and parse it.
fn reframe(
    event: &mysql_common::binlog::events::Event,
    buf: &mut Vec<u8>,
) -> Result<(), SourceError> {
    let header = header_of(event);
    buf.clear();
    buf.extend_from_slice(&header.to_bytes());
    buf.extend_from_slice(event.data());
    if header.event_type == 15 {
        match event.footer().get_checksum_alg() {
            Ok(Some(alg)) => buf.push(alg as u8),
            Ok(None) => {}
            Err(e) => return Err(SourceError::Protocol(format!("format description: {e}"))),
        }
    }
    if let Some(crc) = event.checksum() {
        buf.extend_from_slice(&crc);
    }
    tracing::trace!(
        event_type = header.event_type,
        size = header.event_size,
        log_pos = header.log_pos,
        "event"
    );
    if buf.len() != header.event_size as usize {
        return Err(SourceError::Protocol(format!(
            "event type {} announces {} bytes, {} arrived",
            header.event_type,
            header.event_size,
            buf.len()
        )));
    }
    Ok(())
}

/// Turns a requested start into a concrete resume point and the initial committed position.
async fn resolve_start(
    conn: &mut Conn,
    info: &ServerInfo,
    start: &StartPosition,
) -> Result<(Resume, Position), SourceError> {
    let file_pos = match start {
        StartPosition::FilePos(fp) => fp.clone(),
        StartPosition::Current => current_position(conn, info).await?,
        StartPosition::Earliest => {
            let rows: Vec<mysql_async::Row> = conn.query("SHOW BINARY LOGS").await?;
            let first: Option<String> = rows.first().and_then(|r| r.get(0));
            FilePos {
                file: first.ok_or_else(|| {
                    SourceError::Protocol("the source lists no binary logs".into())
                })?,
                pos: 4,
            }
        }
        StartPosition::MySqlGtid(set) => {
            return Ok(gtid_start(
                Resume::MySqlGtid(set.clone()),
                GtidState::MySql(set.clone()),
            ))
        }
        StartPosition::MariaGtid(state) => {
            return Ok(gtid_start(
                Resume::MariaGtid(state.clone()),
                GtidState::MariaDb(state.clone()),
            ))
        }
    };
    // Know the GTID state at a file:pos start where the source can tell us (MariaDB).
    let gtid = if info.flavor == Flavor::MariaDb {
        let state: Option<Option<String>> = conn
            .exec_first(
                "SELECT BINLOG_GTID_POS(?, ?)",
                (file_pos.file.clone(), file_pos.pos),
            )
            .await
            .unwrap_or(None);
        state
            .flatten()
            .and_then(|s| s.parse::<MariaGtidState>().ok())
            .map(GtidState::MariaDb)
    } else {
        None
    };
    Ok((
        Resume::FilePos(file_pos.clone()),
        Position { file_pos, gtid },
    ))
}

/// A GTID start: the file is not known until the source's first ROTATE names it.
fn gtid_start(resume: Resume, state: GtidState) -> (Resume, Position) {
    let file_pos = FilePos {
        file: String::new(),
        pos: 4,
    };
    (
        resume,
        Position {
            file_pos,
            gtid: Some(state),
        },
    )
}

/// The source's current binlog file and position (`SHOW MASTER STATUS`, or `SHOW BINARY
/// LOG STATUS` on MySQL 8.2+, which dropped the older statement in 8.4).
pub async fn current_position(conn: &mut Conn, info: &ServerInfo) -> Result<FilePos, SourceError> {
    let user = super::preflight::current_user(conn).await?;
    super::preflight::current_file_pos(conn, info, &user).await
}

/// Sets the session up for replication and sends COM_REGISTER_SLAVE + COM_BINLOG_DUMP[_GTID].
async fn request_binlog(
    mut conn: Conn,
    info: &ServerInfo,
    opts: &StreamOptions,
    resume: &Resume,
) -> Result<mysql_async::BinlogStream, SourceError> {
    let heartbeat_ns = opts.source.heartbeat.as_nanos().min(u128::from(u64::MAX)) as u64;
    let mut setup = vec![
        // Ask for events with checksums as the source writes them; we verify each one.
        "SET @master_binlog_checksum = @@global.binlog_checksum".to_string(),
        "SET @source_binlog_checksum = @@global.binlog_checksum".to_string(),
        format!("SET @master_heartbeat_period = {heartbeat_ns}"),
        format!("SET @source_heartbeat_period = {heartbeat_ns}"),
    ];
    if info.flavor == Flavor::MariaDb {
        // 4 = MARIA_SLAVE_CAPABILITY_GTID: send GTID / GTID_LIST / ANNOTATE_ROWS events as
        // they are instead of replacing them with dummy QUERY events.
        setup.push("SET @mariadb_slave_capability = 4".into());
        if let Resume::MariaGtid(state) = resume {
            setup.push(format!("SET @slave_connect_state = '{state}'"));
            setup.push("SET @slave_gtid_strict_mode = 0".into());
            setup.push("SET @slave_gtid_ignore_duplicates = 0".into());
        }
    }
    for stmt in &setup {
        conn.query_drop(stmt).await?;
    }
    let report_host = opts
        .source
        .report_host
        .clone()
        .unwrap_or_else(local_hostname);
    let server_id = opts.source.server_id;
    let mut request = BinlogStreamRequest::new(server_id)
        .with_hostname(report_host.as_bytes())
        .with_port(opts.source.report_port);
    if opts.stop_at_end {
        request = request.with_non_blocking();
    }
    let sids;
    let file_name;
    match resume {
        Resume::FilePos(fp) => {
            file_name = fp.file.clone();
            request = request.with_filename(file_name.as_bytes()).with_pos(fp.pos);
        }
        Resume::MariaGtid(_) => {
            // The server picks the file from @slave_connect_state.
            request = request.with_pos(4u64);
        }
        Resume::MySqlGtid(set) => {
            sids = mysql_sids(set)?;
            request = request
                .with_gtid()
                .with_gtid_set(sids.iter().cloned())
                .with_pos(4u64);
        }
    }
    debug!(server_id, report_host = %report_host, ?resume, "requesting binlog");
    Ok(conn.get_binlog_stream(request).await?)
}

fn mysql_sids(set: &MySqlGtidSet) -> Result<Vec<mysql_common::packets::Sid<'static>>, SourceError> {
    let mut out = Vec::new();
    for ((uuid, tag), ivs) in &set.sids {
        if !tag.is_empty() {
            return Err(SourceError::Config(format!(
                "--gtid: tagged GTIDs ({uuid}:{tag}) cannot be requested yet; start from a file:pos"
            )));
        }
        let text = ivs
            .iter()
            .map(|(s, e)| format!("{s}-{e}"))
            .collect::<Vec<_>>()
            .join(":");
        let sid: mysql_common::packets::Sid<'static> = format!("{uuid}:{text}")
            .parse()
            .map_err(|e| SourceError::Config(format!("--gtid: {uuid}: {e:?}")))?;
        out.push(sid);
    }
    Ok(out)
}

/// The host name reported to the source (`SHOW SLAVE HOSTS`), from the kernel.
fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "replicant".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(event_type: u8, size: u32) -> EventHeader {
        EventHeader {
            timestamp: 1,
            event_type,
            server_id: 1,
            event_size: size,
            log_pos: 0,
            flags: 0,
        }
    }

    #[test]
    fn mysql_gtid_sets_become_dump_gtid_sids() {
        let set: MySqlGtidSet = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,\
                                 4e11fa47-71ca-11e1-9e33-c80aa9429562:10"
            .parse()
            .unwrap();
        let sids = mysql_sids(&set).unwrap();
        assert_eq!(sids.len(), 2);
        let ivs: Vec<(u64, u64)> = sids[0]
            .intervals()
            .iter()
            .map(|i| (i.start(), i.end()))
            .collect();
        // COM_BINLOG_DUMP_GTID intervals are half-open.
        assert_eq!(ivs, [(1, 6), (7, 8)]);
        let ivs: Vec<(u64, u64)> = sids[1]
            .intervals()
            .iter()
            .map(|i| (i.start(), i.end()))
            .collect();
        assert_eq!(ivs, [(10, 11)]);
        let tagged: MySqlGtidSet = "3e11fa47-71ca-11e1-9e33-c80aa9429562:blue:1-2"
            .parse()
            .unwrap();
        assert!(mysql_sids(&tagged)
            .unwrap_err()
            .to_string()
            .contains("tagged"));
    }

    #[test]
    fn payload_echo_skips_exactly_the_inner_events() {
        let mut echo = PayloadEcho::default();
        echo.expect(vec![h(2, 50), h(19, 40), h(30, 60), h(16, 31)]);
        assert!(echo.is_echo(&h(2, 50)));
        assert!(echo.is_echo(&h(19, 40)));
        assert!(echo.is_echo(&h(30, 60)));
        assert!(echo.is_echo(&h(16, 31)));
        // The next outer event is not skipped.
        assert!(!echo.is_echo(&h(33, 65)));
    }

    #[test]
    fn no_echo_from_mysql_async_means_nothing_is_skipped() {
        let mut echo = PayloadEcho::default();
        echo.expect(vec![h(2, 50), h(16, 31)]);
        // mysql_async silently failed to expand: the next event is an outer one.
        assert!(!echo.is_echo(&h(33, 65)));
        assert!(
            !echo.is_echo(&h(2, 50)),
            "expectations dropped after a mismatch"
        );
    }
}
