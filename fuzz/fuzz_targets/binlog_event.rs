//! Structure-aware event decoding: byte 0 picks a format description (MySQL 8.0 / MariaDB
//! 10.5 with or without CRC32, MySQL 5.1, early 5.1), then records of (event type, u32 LE
//! body length, body) are wrapped in a valid header and CRC32 and decoded by one `Decoder`,
//! so TABLE_MAP + rows sequences, GTIDs, compressed transactions... are explored instead
//! of CRC mismatches. See `replicant_fuzz::run_event_input`.
//!
//! Seeding: with `REPLICANT_FUZZ_SEED_DIR` set, an input that is a real binlog file is
//! converted to this format, written to that directory and decoded (`fuzz/run.sh` runs
//! the binary once over the corpus files this way).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use replicant_fuzz::{file_to_event_input, run_event_input};

fn seed_dir() -> Option<&'static PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| std::env::var_os("REPLICANT_FUZZ_SEED_DIR").map(PathBuf::from))
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    if let Some(dir) = seed_dir() {
        if let Some(converted) = file_to_event_input(data) {
            let name = format!("seed-{:08x}", crc32fast::hash(&converted));
            if let Err(e) = std::fs::write(dir.join(name), &converted) {
                eprintln!("cannot write a seed to {}: {e}", dir.display());
            }
            run_event_input(&converted);
            return;
        }
    }
    run_event_input(data);
});
