//! Decoding a binlog file from disk: every event, each to its changes or a clear error.
//!
//! Used for conformance tests against real MySQL/MariaDB binlog files and for fuzzing.
//! Unlike the live stream, which stops at the first error, this keeps going after an
//! event that fails so that one bad event does not hide the rest of the file.

use super::change::Change;
use super::decode::{framing::FileEvents, DecodeError, Decoder};
use super::filter::TableFilter;

/// One event of a file and what decoding it gave.
#[derive(Debug)]
pub struct FileEvent {
    /// Byte offset of the event in the file.
    pub offset: u64,
    /// Raw event type code.
    pub event_type: u8,
    /// The changes it produced, or why it could not be decoded.
    pub result: Result<Vec<Change>, DecodeError>,
}

/// Everything decoded from one file.
#[derive(Debug)]
pub struct FileDecode {
    /// Server version from the format description event, if one was read.
    pub server_version: Option<String>,
    /// Each event in file order.
    pub events: Vec<FileEvent>,
    /// Set when the file ends inside an event (truncated), after the events before it.
    pub truncated: Option<DecodeError>,
}

impl FileDecode {
    /// All changes of the events that decoded, in order.
    pub fn changes(&self) -> impl Iterator<Item = &Change> {
        self.events
            .iter()
            .filter_map(|e| e.result.as_ref().ok())
            .flatten()
    }

    /// The events that failed to decode.
    pub fn errors(&self) -> impl Iterator<Item = &FileEvent> {
        self.events.iter().filter(|e| e.result.is_err())
    }
}

/// Decodes a whole binlog file held in memory. `name` is the file name used in positions.
///
/// Fails only when the data is not a binlog file at all (no magic number).
pub fn decode_file(
    name: &str,
    data: &[u8],
    filter: &TableFilter,
) -> Result<FileDecode, DecodeError> {
    let mut decoder = Decoder::new(name, filter.clone(), None);
    let mut events = Vec::new();
    let mut truncated = None;
    for item in FileEvents::new(data)? {
        match item {
            Ok((offset, bytes)) => {
                let mut out = Vec::new();
                let result = decoder.decode(bytes, &mut out).map(|_| out);
                events.push(FileEvent {
                    offset,
                    event_type: bytes.get(4).copied().unwrap_or(0),
                    result,
                });
            }
            Err(e) => truncated = Some(e),
        }
    }
    let version = decoder.format().server_version.clone();
    Ok(FileDecode {
        server_version: (!version.is_empty()).then_some(version),
        events,
        truncated,
    })
}
