//! Prints what replicant decodes from binlog files: `cargo run -p proto-tests --example
//! dump_binlog -- FILE...`. A debugging aid for conformance work.

use replicant::source::binlog_file::decode_file;
use replicant::source::filter::TableFilter;

fn main() {
    for path in std::env::args().skip(1) {
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let name = std::path::Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match decode_file(&name, &data, &TableFilter::all()) {
            Err(e) => println!("{path}: {e}"),
            Ok(d) => {
                println!("== {path} ({:?})", d.server_version);
                for e in &d.events {
                    match &e.result {
                        Ok(changes) => {
                            for c in changes {
                                println!("  @{} t{}: {c:?}", e.offset, e.event_type);
                            }
                        }
                        Err(err) => println!("  @{} t{}: ERROR {err}", e.offset, e.event_type),
                    }
                }
                if let Some(t) = &d.truncated {
                    println!("  TRUNCATED: {t}");
                }
            }
        }
    }
}
