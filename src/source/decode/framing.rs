//! Splitting bytes into binlog events: the 19-byte v4 header, the format description
//! event that says how later events are laid out, and CRC32 verification.

use super::error::{DecodeError, DecodeResult};
use super::reader::Reader;

/// Length of a v4 event header.
pub const HEADER_LEN: usize = 19;
/// The four bytes every binlog file starts with.
pub const BINLOG_MAGIC: [u8; 4] = [0xfe, b'b', b'i', b'n'];
/// Flag set on events the server made up for the replica (fake ROTATE, etc.).
pub const LOG_EVENT_ARTIFICIAL_F: u16 = 0x20;
/// Flag the server sets in a binlog's FDE while the file is open; not covered by the CRC.
const LOG_EVENT_BINLOG_IN_USE_F: u16 = 0x1;
const FORMAT_DESCRIPTION_EVENT: u8 = 15;

/// The common header of a v4 binlog event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeader {
    /// Seconds since the epoch when the statement started on the source.
    pub timestamp: u32,
    /// Raw event type code.
    pub event_type: u8,
    /// Server id that originally wrote the event.
    pub server_id: u32,
    /// Total size including header and checksum.
    pub event_size: u32,
    /// Position of the next event in the source's binlog file (0 for artificial events).
    pub log_pos: u32,
    /// Event flags.
    pub flags: u16,
}

impl EventHeader {
    /// Parses the first 19 bytes of an event.
    pub fn parse(bytes: &[u8]) -> DecodeResult<Self> {
        let mut r = Reader::new(bytes);
        let h = EventHeader {
            timestamp: r.u32_le("event header")?,
            event_type: r.u8("event header")?,
            server_id: r.u32_le("event header")?,
            event_size: r.u32_le("event header")?,
            log_pos: r.u32_le("event header")?,
            flags: r.u16_le("event header")?,
        };
        if (h.event_size as usize) < HEADER_LEN {
            return Err(DecodeError::new(format!(
                "event size {} is smaller than the {HEADER_LEN}-byte header",
                h.event_size
            )));
        }
        Ok(h)
    }

    /// Writes the header back into its 19-byte wire form.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&self.timestamp.to_le_bytes());
        b[4] = self.event_type;
        b[5..9].copy_from_slice(&self.server_id.to_le_bytes());
        b[9..13].copy_from_slice(&self.event_size.to_le_bytes());
        b[13..17].copy_from_slice(&self.log_pos.to_le_bytes());
        b[17..19].copy_from_slice(&self.flags.to_le_bytes());
        b
    }

    /// True for events the server generated for this connection rather than read from a file.
    pub fn is_artificial(&self) -> bool {
        self.flags & LOG_EVENT_ARTIFICIAL_F != 0 || self.log_pos == 0
    }
}

/// The checksum algorithm a format description event announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlg {
    /// No checksums (servers before 5.6.1, or `binlog_checksum=NONE`).
    None,
    /// CRC32 over header and body.
    Crc32,
}

/// What the FORMAT_DESCRIPTION_EVENT says about the events after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatDescription {
    /// Binlog format version (4 for MySQL 5.0+ and MariaDB).
    pub binlog_version: u16,
    /// Server version string, e.g. `10.11.6-MariaDB-log` or `8.0.32`.
    pub server_version: String,
    /// Length of the common header (19 for v4).
    pub header_len: u8,
    /// Post-header length for each event type, indexed by type code - 1.
    pub post_header_lens: Vec<u8>,
    /// Checksum algorithm of the events that follow.
    pub checksum: ChecksumAlg,
}

impl FormatDescription {
    /// What to assume before the first FDE arrives: v4 layout, checksum unknown (treated as none).
    pub fn assumed() -> Self {
        FormatDescription {
            binlog_version: 4,
            server_version: String::new(),
            header_len: HEADER_LEN as u8,
            post_header_lens: Vec::new(),
            checksum: ChecksumAlg::None,
        }
    }

    /// Parses an FDE body (after the 19-byte header, including checksum bytes if any).
    pub fn parse(body: &[u8]) -> DecodeResult<Self> {
        let mut r = Reader::new(body);
        let binlog_version = r.u16_le("FDE binlog version")?;
        if binlog_version != 4 {
            return Err(DecodeError::new(format!(
                "binlog format version {binlog_version} is not supported (MySQL 5.0+ writes v4)"
            )));
        }
        let version_raw = r.take(50, "FDE server version")?;
        let end = version_raw.iter().position(|b| *b == 0).unwrap_or(50);
        let server_version = String::from_utf8_lossy(&version_raw[..end]).into_owned();
        r.skip(4, "FDE create timestamp")?;
        let header_len = r.u8("FDE header length")?;
        if usize::from(header_len) != HEADER_LEN {
            return Err(DecodeError::new(format!(
                "FDE header length {header_len} is not the v4 length {HEADER_LEN}"
            )));
        }
        let rest = r.rest();
        // Servers from 5.6.1 (MariaDB 5.3) end the FDE with the checksum algorithm byte
        // and, when it is CRC32, the FDE's own checksum.
        let (post_header_lens, checksum) = if version_supports_checksum(&server_version) {
            let split = rest
                .len()
                .checked_sub(5)
                .ok_or_else(|| DecodeError::new("FDE too short for its checksum algorithm"))?;
            let alg = match rest.get(split).copied() {
                Some(0) => ChecksumAlg::None,
                Some(1) => ChecksumAlg::Crc32,
                other => {
                    return Err(DecodeError::new(format!(
                        "unknown binlog checksum algorithm {other:?}"
                    )))
                }
            };
            (rest[..split].to_vec(), alg)
        } else {
            (rest.to_vec(), ChecksumAlg::None)
        };
        Ok(FormatDescription {
            binlog_version,
            server_version,
            header_len,
            post_header_lens,
            checksum,
        })
    }

    /// Post-header length for an event type, if the FDE lists it.
    pub fn post_header_len(&self, event_type: u8) -> Option<u8> {
        self.post_header_lens
            .get(usize::from(event_type).checked_sub(1)?)
            .copied()
    }

    /// Table ids are 6 bytes, except in binlogs whose rows/table-map post-header is 6 long.
    pub fn table_id_len(&self, event_type: u8) -> usize {
        if self.post_header_len(event_type) == Some(6) {
            4
        } else {
            6
        }
    }

    /// True when the source is MariaDB (by its version string).
    pub fn is_mariadb(&self) -> bool {
        self.server_version.contains("MariaDB")
    }
}

fn version_supports_checksum(version: &str) -> bool {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let v = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    if version.contains("MariaDB") {
        v >= (5, 3, 0)
    } else {
        v >= (5, 6, 1)
    }
}

/// One event split into header and body, checksum verified and removed (except for a
/// format description, whose body keeps its checksum-algorithm byte and CRC).
#[derive(Debug, Clone, Copy)]
pub struct RawEvent<'a> {
    /// The common header.
    pub header: EventHeader,
    /// Bytes after the header, without the trailing CRC32.
    pub body: &'a [u8],
}

/// Splits one whole event (`bytes.len() == event_size`) and verifies its CRC32 if the
/// current format says events carry one. An FDE decides its own checksum presence.
pub fn split_event<'a>(bytes: &'a [u8], checksum: ChecksumAlg) -> DecodeResult<RawEvent<'a>> {
    let header = EventHeader::parse(bytes)?;
    if header.event_size as usize != bytes.len() {
        return Err(DecodeError::new(format!(
            "event header says {} bytes, {} received",
            header.event_size,
            bytes.len()
        )));
    }
    let checksum = if header.event_type == FORMAT_DESCRIPTION_EVENT {
        // The FDE announces the algorithm in its own body.
        FormatDescription::parse(&bytes[HEADER_LEN..])?.checksum
    } else {
        checksum
    };
    let body_end = match checksum {
        ChecksumAlg::None => bytes.len(),
        ChecksumAlg::Crc32 => {
            let end = bytes
                .len()
                .checked_sub(4)
                .filter(|e| *e >= HEADER_LEN)
                .ok_or_else(|| DecodeError::new("event too short to hold its CRC32"))?;
            verify_crc(&header, bytes, end)?;
            end
        }
    };
    // A format description keeps its trailing algorithm byte and CRC in the body: its
    // parser needs them to know where the post-header lengths end.
    let body_end = if header.event_type == FORMAT_DESCRIPTION_EVENT {
        bytes.len()
    } else {
        body_end
    };
    Ok(RawEvent {
        header,
        body: &bytes[HEADER_LEN..body_end],
    })
}

/// Checks the CRC32 stored in `bytes[end..end + 4]` against the bytes before it.
fn verify_crc(header: &EventHeader, bytes: &[u8], end: usize) -> DecodeResult<()> {
    let stored = u32::from_le_bytes([bytes[end], bytes[end + 1], bytes[end + 2], bytes[end + 3]]);
    let mut h = crc32fast::Hasher::new();
    if header.flags & LOG_EVENT_BINLOG_IN_USE_F != 0 {
        let mut clean = *header;
        clean.flags &= !LOG_EVENT_BINLOG_IN_USE_F;
        h.update(&clean.to_bytes());
        h.update(&bytes[HEADER_LEN..end]);
    } else {
        h.update(&bytes[..end]);
    }
    let computed = h.finalize();
    if computed != stored {
        return Err(DecodeError::new(format!(
            "CRC32 mismatch in event type {} at end position {}: stored {stored:08x}, computed {computed:08x}",
            header.event_type, header.log_pos
        )));
    }
    Ok(())
}

/// True when the last four bytes of `bytes` are a CRC32 of everything before them. Used for
/// the fake ROTATE a server sends before its FDE, whose checksum nobody announced yet.
pub fn ends_with_valid_crc(bytes: &[u8]) -> bool {
    let Some(end) = bytes.len().checked_sub(4) else {
        return false;
    };
    let stored = u32::from_le_bytes([bytes[end], bytes[end + 1], bytes[end + 2], bytes[end + 3]]);
    crc32fast::hash(&bytes[..end]) == stored
}

/// Iterates over the events of a binlog file held in memory.
///
/// Each item is one event's bytes, or an error when the remaining bytes cannot hold the
/// event the header announces (truncated file); iteration stops after an error.
pub struct FileEvents<'a> {
    data: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> FileEvents<'a> {
    /// Checks the magic number and starts after it.
    pub fn new(data: &'a [u8]) -> DecodeResult<Self> {
        if data.get(..4) != Some(&BINLOG_MAGIC[..]) {
            return Err(DecodeError::new(
                "not a binlog file: it does not start with the bytes FE 62 69 6E",
            ));
        }
        Ok(FileEvents {
            data,
            pos: 4,
            failed: false,
        })
    }

    /// Offset of the next event in the file.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for FileEvents<'a> {
    type Item = DecodeResult<(u64, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.data[start..];
        let result = EventHeader::parse(rest).and_then(|h| {
            rest.get(..h.event_size as usize).ok_or_else(|| {
                DecodeError::new(format!(
                    "truncated event at offset {start}: header says {} bytes, file has {} left",
                    h.event_size,
                    rest.len()
                ))
            })
        });
        match result {
            Ok(bytes) => {
                self.pos += bytes.len();
                Some(Ok((start as u64, bytes)))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e.context(format!("offset {start}"))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: u8, body: &[u8], crc: bool) -> Vec<u8> {
        let size = HEADER_LEN + body.len() + if crc { 4 } else { 0 };
        let h = EventHeader {
            timestamp: 1,
            event_type,
            server_id: 1,
            event_size: size as u32,
            log_pos: 100,
            flags: 0,
        };
        let mut b = h.to_bytes().to_vec();
        b.extend_from_slice(body);
        if crc {
            let c = crc32fast::hash(&b);
            b.extend(c.to_le_bytes());
        }
        b
    }

    #[test]
    fn crc_is_verified() {
        let mut e = event(16, &[1, 2, 3, 4, 5, 6, 7, 8], true);
        let raw = split_event(&e, ChecksumAlg::Crc32).unwrap();
        assert_eq!(raw.body, &[1, 2, 3, 4, 5, 6, 7, 8]);
        e[20] ^= 1;
        let err = split_event(&e, ChecksumAlg::Crc32).unwrap_err();
        assert!(err.reason.contains("CRC32 mismatch"), "{err}");
    }

    #[test]
    fn size_mismatch_and_short_events_error() {
        let e = event(16, &[1, 2], false);
        assert!(split_event(&e[..e.len() - 1], ChecksumAlg::None).is_err());
        assert!(split_event(&e[..10], ChecksumAlg::None).is_err());
        let tiny = event(16, &[], false);
        assert!(split_event(&tiny, ChecksumAlg::Crc32).is_err());
    }

    #[test]
    fn file_iteration_reports_truncation() {
        let mut file = BINLOG_MAGIC.to_vec();
        file.extend(event(16, &[0; 8], false));
        file.extend(&event(16, &[0; 8], false)[..20]);
        let mut it = FileEvents::new(&file).unwrap();
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
        assert!(FileEvents::new(b"nope").is_err());
    }
}
