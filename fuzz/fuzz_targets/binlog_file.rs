//! Whole binlog files → `decode_file`, three ways: as given, with the magic number put in
//! front (so inputs without it still reach event decoding), and with every event's CRC32
//! recomputed (so mutations inside real, checksummed events reach the body decoders).
#![no_main]

use libfuzzer_sys::fuzz_target;
use replicant::source::decode::framing::BINLOG_MAGIC;
use replicant_fuzz::{decode_whole_file, fix_file_checksums};

fuzz_target!(|data: &[u8]| {
    decode_whole_file(data);
    let owned;
    let file = if data.starts_with(&BINLOG_MAGIC) {
        data
    } else {
        owned = [&BINLOG_MAGIC[..], data].concat();
        decode_whole_file(&owned);
        &owned
    };
    if let Some(fixed) = fix_file_checksums(file) {
        decode_whole_file(&fixed);
    }
});
