//! Prints row changes of binlog files rendered as the source's `SELECT` would show them:
//! `cargo run -p proto-tests --example render_binlog -- FILE...`. A debugging aid.

use jiff::tz::TimeZone;
use replicant::source::binlog_file::decode_file;
use replicant::source::change::Change;
use replicant::source::filter::TableFilter;
use replicant::source::text::render;

fn main() {
    for path in std::env::args().skip(1) {
        let Ok(data) = std::fs::read(&path) else {
            eprintln!("{path}: unreadable");
            continue;
        };
        let Ok(d) = decode_file("f", &data, &TableFilter::all()) else {
            eprintln!("{path}: not a binlog");
            continue;
        };
        println!("== {path}");
        for c in d.changes() {
            if let Change::Row(rc) = c {
                for (label, row) in [("before", &rc.before), ("after", &rc.after)] {
                    let Some(row) = row else { continue };
                    let cells: Vec<String> = row
                        .iter()
                        .enumerate()
                        .map(|(i, v)| match v {
                            None => "-".to_string(),
                            Some(v) => match render(v, &rc.table.columns[i], &TimeZone::UTC) {
                                None => "NULL".to_string(),
                                Some(b) => format!("{:?}", String::from_utf8_lossy(&b)),
                            },
                        })
                        .collect();
                    let names: Vec<String> = rc
                        .table
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            format!(
                                "{}{}",
                                c.display_name(i),
                                if c.visible { "" } else { "(invisible)" }
                            )
                        })
                        .collect();
                    println!(
                        "  {} {} {label} [{}] = [{}]",
                        rc.kind.as_str(),
                        rc.table.qualified_name(),
                        names.join(","),
                        cells.join(", ")
                    );
                }
            }
        }
    }
}
