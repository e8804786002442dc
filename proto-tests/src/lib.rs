//! Shared helpers for protocol conformance tests: where the binlog corpus is, and reading
//! its files through replicant's decoder.
//!
//! The corpus (real MySQL 5.0–9.6 and MariaDB binlogs) lives outside the repository. Its
//! folder comes from `REPLICANT_BINLOG_CORPUS`, default `../shared/binlog-corpus` next to
//! the workspace. When it is absent the tests print a clear skip notice, unless
//! `REPLICANT_REQUIRE_CORPUS=1` (set by `.ci/run`), in which case they fail.

use std::path::PathBuf;

use replicant::source::binlog_file::{decode_file, FileDecode};
use replicant::source::filter::TableFilter;

/// The corpus folder, or `None` (after printing why) when it is absent and not required.
///
/// # Panics
/// When the folder is absent and `REPLICANT_REQUIRE_CORPUS=1`.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("REPLICANT_BINLOG_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/binlog-corpus"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    let required = std::env::var("REPLICANT_REQUIRE_CORPUS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "binlog corpus not found at {} and REPLICANT_REQUIRE_CORPUS=1: set \
         REPLICANT_BINLOG_CORPUS to the folder holding the real binlog files",
        dir.display()
    );
    eprintln!(
        "SKIPPED: binlog corpus not found at {} (set REPLICANT_BINLOG_CORPUS); \
         conformance against real MySQL/MariaDB binlogs was NOT checked",
        dir.display()
    );
    None
}

/// Every file in the corpus folder (sorted), excluding its README.
pub fn corpus_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"));
    files.sort();
    files
}

/// Decodes one corpus file with every table selected.
///
/// # Panics
/// When the file cannot be read or is not a binlog file.
pub fn decode_corpus_file(dir: &std::path::Path, name: &str) -> FileDecode {
    let data = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"));
    decode_file(name, &data, &TableFilter::all()).unwrap_or_else(|e| panic!("{name}: {e}"))
}
