//! Helpers shared by the fuzz targets: CRC32 fix-up of whole binlog files, and the
//! structure-aware event format of the `binlog_event` target (see `docs/fuzzing.md`).
//!
//! The decoder rejects any event whose CRC32 does not match, so a fuzzer mutating real
//! events byte by byte would almost only ever exercise the CRC check. These helpers make
//! mutated events carry valid checksums, so the mutations reach the event bodies.

use replicant::source::decode::framing::{
    ChecksumAlg, EventHeader, FileEvents, FormatDescription, BINLOG_MAGIC, HEADER_LEN,
    LOG_EVENT_ARTIFICIAL_F,
};
use replicant::source::decode::Decoder;
use replicant::source::filter::TableFilter;

/// Event type code of a FORMAT_DESCRIPTION_EVENT.
pub const FORMAT_DESCRIPTION: u8 = 15;

/// Most records one `binlog_event` input may hold (bounds the time per input).
pub const MAX_RECORDS: usize = 256;

/// The CRC32 the decoder expects at `event[end..end + 4]`: over the header (with the
/// "binlog in use" flag cleared, as servers compute it) and the body before `end`.
fn event_crc(event: &[u8], end: usize) -> u32 {
    let mut h = crc32fast::Hasher::new();
    let mut header = [0u8; HEADER_LEN];
    header.copy_from_slice(&event[..HEADER_LEN]);
    header[17] &= !1; // LOG_EVENT_BINLOG_IN_USE_F, low byte of the flags
    h.update(&header);
    h.update(&event[HEADER_LEN..end]);
    h.finalize()
}

/// Overwrites the last four bytes of `event` with its CRC32 (if it is long enough).
fn fix_crc(event: &mut [u8]) {
    let Some(end) = event.len().checked_sub(4).filter(|e| *e >= HEADER_LEN) else {
        return;
    };
    let crc = event_crc(event, end);
    event[end..].copy_from_slice(&crc.to_le_bytes());
}

/// Returns a copy of a binlog file in which every event's CRC32 is recomputed wherever
/// the format description in force says events carry one, or `None` when nothing had
/// to change (no magic, or every checksum already right).
pub fn fix_file_checksums(data: &[u8]) -> Option<Vec<u8>> {
    let events: Vec<(usize, usize)> = FileEvents::new(data)
        .ok()?
        .map_while(Result::ok)
        .map(|(offset, bytes)| (offset as usize, bytes.len()))
        .collect();
    let mut out = data.to_vec();
    let mut alg = ChecksumAlg::None;
    for (offset, len) in events {
        let event = &mut out[offset..offset + len];
        if event[4] == FORMAT_DESCRIPTION {
            // The FDE carries its own algorithm (and, for CRC32, its own checksum).
            alg = FormatDescription::parse(&event[HEADER_LEN..]).map_or(alg, |f| f.checksum);
            if alg == ChecksumAlg::Crc32 {
                fix_crc(event);
            }
        } else if alg == ChecksumAlg::Crc32 {
            fix_crc(event);
        }
    }
    (out != data).then_some(out)
}

/// Decodes a whole file and walks every result (nothing may panic).
pub fn decode_whole_file(data: &[u8]) {
    if let Ok(decoded) =
        replicant::source::binlog_file::decode_file("fuzz-bin.000001", data, &TableFilter::all())
    {
        let changes = decoded.changes().count();
        let errors = decoded.errors().count();
        std::hint::black_box((changes, errors, decoded.truncated.is_some()));
    }
}

/// Format description flavors the `binlog_event` target can start with (selected by the
/// first input byte). The post-header length tables are the ones these server versions
/// write (server constants, as read from real binlogs of each version).
struct Flavor {
    version: &'static str,
    post_header_lens: &'static [u8],
    checksum: Option<ChecksumAlg>,
}

const MYSQL80_POST_HEADERS: &[u8] = &[
    0x00, 0x0d, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x04, 0x00, 0x00, 0x00, 0x61, 0x00,
    0x04, 0x1a, 0x08, 0x00, 0x00, 0x00, 0x08, 0x08, 0x08, 0x02, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x0a,
    0x2a, 0x2a, 0x00, 0x12, 0x34, 0x00, 0x0a, 0x28,
];

/// MariaDB 10.5: the MySQL 5.x table for types 1..=35, zeros up to 160, then its own events.
const MARIADB105_POST_HEADERS: &[u8] = &{
    let head: [u8; 35] = [
        0x38, 0x0d, 0x00, 0x08, 0x00, 0x12, 0x00, 0x04, 0x04, 0x04, 0x04, 0x12, 0x00, 0x00, 0xe4,
        0x00, 0x04, 0x1a, 0x08, 0x00, 0x00, 0x00, 0x08, 0x08, 0x08, 0x02, 0x00, 0x00, 0x00, 0x0a,
        0x0a, 0x0a, 0x00, 0x00, 0x00,
    ];
    // Types 161..=171 (type 160, ANNOTATE_ROWS, has none).
    let tail: [u8; 11] = [
        0x04, 0x13, 0x04, 0x00, 0x0d, 0x08, 0x08, 0x08, 0x0a, 0x0a, 0x0a,
    ];
    let mut all = [0u8; 171];
    let mut i = 0;
    while i < head.len() {
        all[i] = head[i];
        i += 1;
    }
    let mut j = 0;
    while j < tail.len() {
        all[160 + j] = tail[j];
        j += 1;
    }
    all
};

const MYSQL51_POST_HEADERS: &[u8] = &[
    0x38, 0x0d, 0x00, 0x08, 0x00, 0x12, 0x00, 0x04, 0x04, 0x04, 0x04, 0x12, 0x00, 0x00, 0x53, 0x00,
    0x04, 0x1a, 0x08, 0x00, 0x00, 0x00, 0x08, 0x08, 0x08, 0x02,
];

/// Early 5.1 development layout: 6-byte rows/table-map post-headers, i.e. 4-byte table ids.
const MYSQL51_OLD_POST_HEADERS: &[u8] = &[
    0x38, 0x0d, 0x00, 0x08, 0x00, 0x12, 0x00, 0x04, 0x04, 0x04, 0x04, 0x12, 0x00, 0x00, 0x4f, 0x06,
    0x06, 0x06, 0x06, 0x06, 0x06, 0x06,
];

const FLAVORS: &[Flavor] = &[
    Flavor {
        version: "8.0.32",
        post_header_lens: MYSQL80_POST_HEADERS,
        checksum: Some(ChecksumAlg::Crc32),
    },
    Flavor {
        version: "8.0.32",
        post_header_lens: MYSQL80_POST_HEADERS,
        checksum: Some(ChecksumAlg::None),
    },
    Flavor {
        version: "10.5.15-MariaDB-log",
        post_header_lens: MARIADB105_POST_HEADERS,
        checksum: Some(ChecksumAlg::Crc32),
    },
    Flavor {
        version: "10.5.15-MariaDB-log",
        post_header_lens: MARIADB105_POST_HEADERS,
        checksum: Some(ChecksumAlg::None),
    },
    Flavor {
        version: "5.1.23-log",
        post_header_lens: MYSQL51_POST_HEADERS,
        checksum: None,
    },
    Flavor {
        version: "5.1.4-log",
        post_header_lens: MYSQL51_OLD_POST_HEADERS,
        checksum: None,
    },
];

/// The body of a format description event for `flavor` (algorithm byte and a CRC
/// placeholder included when the version has checksums; [`EventFeeder`] fills the CRC).
fn fde_body(flavor: &Flavor) -> Vec<u8> {
    let mut b = 4u16.to_le_bytes().to_vec();
    let mut version = [0u8; 50];
    version[..flavor.version.len()].copy_from_slice(flavor.version.as_bytes());
    b.extend_from_slice(&version);
    b.extend_from_slice(&0u32.to_le_bytes()); // create timestamp
    b.push(HEADER_LEN as u8);
    b.extend_from_slice(flavor.post_header_lens);
    if let Some(alg) = flavor.checksum {
        b.push(u8::from(alg == ChecksumAlg::Crc32));
        b.extend_from_slice(&[0; 4]);
    }
    b
}

/// Feeds events to one [`Decoder`], building each event's header and (when the format in
/// force asks for one) its CRC32 from a type code and a body.
pub struct EventFeeder {
    decoder: Decoder,
    flags: u16,
    pos: u32,
    count: u32,
    buf: Vec<u8>,
    changes: Vec<replicant::source::Change>,
}

impl Default for EventFeeder {
    fn default() -> Self {
        Self::new()
    }
}

impl EventFeeder {
    /// A decoder over a fresh stream (no format description yet).
    pub fn new() -> Self {
        EventFeeder {
            decoder: Decoder::new("fuzz-bin.000001", TableFilter::all(), None),
            flags: 0,
            pos: 4,
            count: 0,
            buf: Vec::new(),
            changes: Vec::new(),
        }
    }

    /// Header flags of the events fed from now on.
    pub fn set_flags(&mut self, flags: u16) {
        self.flags = flags;
    }

    /// Builds the event `event_type` + `body` (+ CRC32) and decodes it.
    pub fn feed(&mut self, event_type: u8, body: &[u8]) {
        let crc = if event_type == FORMAT_DESCRIPTION {
            // The FDE's body holds its own algorithm byte and CRC slot.
            FormatDescription::parse(body)
                .map(|f| f.checksum == ChecksumAlg::Crc32)
                .unwrap_or(false)
        } else {
            self.decoder.format().checksum == ChecksumAlg::Crc32
        };
        let size = HEADER_LEN
            + body.len()
            + if crc && event_type != FORMAT_DESCRIPTION {
                4
            } else {
                0
            };
        self.count += 1;
        self.pos = self.pos.wrapping_add(size as u32);
        let header = EventHeader {
            timestamp: 1_700_000_000 + self.count,
            event_type,
            server_id: 1,
            event_size: size as u32,
            log_pos: self.pos,
            flags: self.flags,
        };
        self.buf.clear();
        self.buf.extend_from_slice(&header.to_bytes());
        self.buf.extend_from_slice(body);
        if crc {
            if event_type != FORMAT_DESCRIPTION {
                self.buf.extend_from_slice(&[0; 4]);
            }
            fix_crc(&mut self.buf);
        }
        self.changes.clear();
        let result = self.decoder.decode(&self.buf, &mut self.changes);
        if verbose() {
            match &result {
                Ok(_) => eprintln!("event type {event_type}: {} changes", self.changes.len()),
                Err(e) => eprintln!("event type {event_type}: error: {e}"),
            }
        }
        std::hint::black_box((&result, self.changes.len()));
    }
}

/// `REPLICANT_FUZZ_VERBOSE` set: print what each event decoded to (for looking at inputs).
fn verbose() -> bool {
    static VERBOSE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("REPLICANT_FUZZ_VERBOSE").is_some())
}

/// Runs one `binlog_event` input:
///
/// * byte 0 picks the starting format description: `n % 7 == 0` none (the records bring
///   their own, as in seeds converted from real files), otherwise one of six flavors
///   (MySQL 8.0 with CRC32 / without, MariaDB 10.5 with / without, MySQL 5.1, early 5.1
///   with 4-byte table ids); with its top bit set, every event carries the ARTIFICIAL and
///   BINLOG_IN_USE header flags;
/// * then records until the input ends: event type (1 byte), body length (u32 LE, cut to
///   what is left), body. The harness writes a valid header and CRC32 around each body.
pub fn run_event_input(data: &[u8]) {
    let Some((&selector, mut rest)) = data.split_first() else {
        return;
    };
    let mut feeder = EventFeeder::new();
    if selector & 0x80 != 0 {
        feeder.set_flags(LOG_EVENT_ARTIFICIAL_F | 1);
    }
    let choice = usize::from(selector % (FLAVORS.len() as u8 + 1));
    if let Some(flavor) = choice.checked_sub(1).and_then(|i| FLAVORS.get(i)) {
        feeder.feed(FORMAT_DESCRIPTION, &fde_body(flavor));
    }
    for _ in 0..MAX_RECORDS {
        let Some((&event_type, tail)) = rest.split_first() else {
            break;
        };
        let mut len_bytes = [0u8; 4];
        let n = tail.len().min(4);
        len_bytes[..n].copy_from_slice(&tail[..n]);
        let tail = &tail[n..];
        let len = (u32::from_le_bytes(len_bytes) as usize).min(tail.len());
        let (body, after) = tail.split_at(len);
        feeder.feed(event_type, body);
        rest = after;
    }
}

/// Converts a real binlog file into a `binlog_event` input (selector 0, one record per
/// event, CRC32s dropped; the FDE keeps its algorithm byte and CRC slot). `None` when the
/// data is not a binlog file.
pub fn file_to_event_input(data: &[u8]) -> Option<Vec<u8>> {
    if data.get(..4) != Some(&BINLOG_MAGIC[..]) {
        return None;
    }
    let mut out = vec![0u8];
    let mut alg = ChecksumAlg::None;
    for (_, event) in FileEvents::new(data).ok()?.map_while(Result::ok) {
        let event_type = event[4];
        let body = if event_type == FORMAT_DESCRIPTION {
            alg = FormatDescription::parse(&event[HEADER_LEN..]).map_or(alg, |f| f.checksum);
            &event[HEADER_LEN..]
        } else if alg == ChecksumAlg::Crc32 && event.len() >= HEADER_LEN + 4 {
            &event[HEADER_LEN..event.len() - 4]
        } else {
            &event[HEADER_LEN..]
        };
        out.push(event_type);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(body);
    }
    Some(out)
}
