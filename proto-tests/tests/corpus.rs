//! Conformance of binlog decoding against real binlog files written by MySQL 5.0–9.6 and
//! MariaDB (`../shared/binlog-corpus/`, see its README for provenance).

use std::sync::Arc;

use jiff::tz::TimeZone;
use proto_tests::{corpus_dir, corpus_files, decode_corpus_file};
use replicant::source::binlog_file::FileDecode;
use replicant::source::change::{Change, RowChange, RowKind};
use replicant::source::position::{Gtid, GtidState};
use replicant::source::table::TableInfo;
use replicant::source::text::render;
use replicant::source::value::{JsonDiffOp, Value};

fn rows(d: &FileDecode) -> Vec<&RowChange> {
    d.changes()
        .filter_map(|c| match c {
            Change::Row(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// A row image rendered as the source's SELECT shows it ("-" for a column not in the image).
fn rendered(table: &Arc<TableInfo>, row: &[Option<Value>]) -> Vec<String> {
    row.iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => "-".to_string(),
            Some(v) => match render(v, &table.columns[i], &TimeZone::UTC) {
                None => "NULL".to_string(),
                Some(b) => String::from_utf8_lossy(&b).into_owned(),
            },
        })
        .collect()
}

#[test]
fn every_file_reads_to_the_end_with_clean_errors() {
    let Some(dir) = corpus_dir() else { return };
    let files = corpus_files(&dir);
    assert!(
        files.len() >= 40,
        "expected the whole corpus, found {}",
        files.len()
    );
    let mut decoded_events = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(path).unwrap();
        let result = std::panic::catch_unwind(|| {
            replicant::source::binlog_file::decode_file(
                &name,
                &data,
                &replicant::source::filter::TableFilter::all(),
            )
        });
        let d = match result {
            Err(_) => panic!("{name}: decoding panicked"),
            Ok(Err(e)) => panic!("{name}: not read as a binlog file: {e}"),
            Ok(Ok(d)) => d,
        };
        for e in d.errors() {
            let reason = &e.result.as_ref().unwrap_err().reason;
            assert!(
                reason.len() > 20,
                "{name}@{}: unclear error {reason:?}",
                e.offset
            );
        }
        decoded_events += d.events.len();
    }
    assert!(
        decoded_events > 1000,
        "only {decoded_events} events decoded"
    );
}

#[test]
fn corrupt_and_truncated_files_error_cleanly() {
    let Some(dir) = corpus_dir() else { return };
    let corrupt = decode_corpus_file(&dir, "corrupt-relay-bin.000624");
    let bad: Vec<_> = corrupt
        .errors()
        .filter(|e| {
            !e.result
                .as_ref()
                .unwrap_err()
                .reason
                .contains("statement-based")
        })
        .collect();
    assert!(
        !bad.is_empty(),
        "the deliberately broken event was not reported"
    );
    assert!(bad[0].result.as_ref().unwrap_err().reason.contains("needs"));

    let t = decode_corpus_file(&dir, "binlog_truncated_event.000001");
    assert!(t.events.is_empty());
    assert!(t.truncated.as_ref().unwrap().reason.contains("offset 4"));
    let t = decode_corpus_file(&dir, "binlog_truncated_prev_gtid_event.000001");
    assert!(t.truncated.is_some(), "truncation not reported");
}

#[test]
fn compressed_transactions_are_expanded() {
    let Some(dir) = corpus_dir() else { return };
    let d = decode_corpus_file(&dir, "transaction_compression.000001");
    let r = rows(&d);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].table.qualified_name(), "test.tb1");
    assert_eq!(r[0].after, Some(vec![Some(Value::Int(1))]));
    let payload_events: Vec<_> = d.events.iter().filter(|e| e.event_type == 40).collect();
    assert_eq!(payload_events.len(), 1);
    // The commit inside the payload carries the position after the payload event.
    let commits: Vec<_> = payload_events[0]
        .result
        .as_ref()
        .unwrap()
        .iter()
        .filter_map(|c| match c {
            Change::Commit { position, .. } => Some(position.file_pos.pos),
            _ => None,
        })
        .collect();
    assert_eq!(commits, vec![431]);

    let d = decode_corpus_file(&dir, "mysql-bin.000057");
    assert_eq!(d.events.iter().filter(|e| e.event_type == 40).count(), 2);
    let from_payloads: usize = d
        .events
        .iter()
        .filter(|e| e.event_type == 40)
        .map(|e| {
            e.result
                .as_ref()
                .unwrap()
                .iter()
                .filter(|c| matches!(c, Change::Row(_)))
                .count()
        })
        .sum();
    assert!(from_payloads >= 2, "rows inside payloads: {from_payloads}");
    assert_eq!(d.errors().count(), 0);
}

#[test]
fn json_documents_and_partial_updates() {
    let Some(dir) = corpus_dir() else { return };
    let d = decode_corpus_file(&dir, "json.binlog.000001");
    let r = rows(&d);
    let inserts: Vec<_> = r.iter().filter(|r| r.kind == RowKind::Insert).collect();
    assert_eq!(inserts.len(), 6);
    assert_eq!(
        inserts[0].after.as_ref().unwrap()[1],
        Some(Value::Json(
            r#"{"age": 24, "data": "xxxxxxxxxx", "name": "Joe"}"#.into()
        ))
    );
    let partial: Vec<_> = r
        .iter()
        .filter_map(|r| match r.after.as_ref()?.get(1)? {
            Some(Value::JsonDiffs(d)) => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(partial.len(), 6, "PARTIAL_UPDATE_ROWS diffs");
    let ages: Vec<_> = partial
        .iter()
        .map(|d| {
            assert_eq!(d.len(), 1);
            assert_eq!(d[0].operation, JsonDiffOp::Replace);
            assert_eq!(d[0].path, "$.age");
            d[0].value.clone().unwrap()
        })
        .collect();
    assert_eq!(ages[..3], ["26", "34", "42"]);

    let d = decode_corpus_file(&dir, "json-opaque.binlog");
    let docs: Vec<String> = rows(&d)
        .iter()
        .map(|r| match &r.after.as_ref().unwrap()[0] {
            Some(Value::Json(s)) => s.clone(),
            other => panic!("not JSON: {other:?}"),
        })
        .collect();
    assert_eq!(
        docs,
        [
            r#"{"a": "base64:type15:VQ=="}"#,
            r#"{"b": "2012-03-18"}"#,
            r#"{"c": "2012-03-18 11:30:45.000000"}"#,
            r#"{"c": "87:31:46.654321"}"#,
            r#"{"d": 123.456}"#,
            r#"{"e": 9.00}"#,
            r#"{"e": [0, 1, true, false]}"#,
            r#"{"e": null}"#,
        ]
    );
}

#[test]
fn enum_set_and_strings_use_table_map_labels() {
    let Some(dir) = corpus_dir() else { return };
    let d = decode_corpus_file(&dir, "mysql-enum-string-set.000001");
    let r = rows(&d);
    assert_eq!(
        r.iter().map(|r| r.kind).collect::<Vec<_>>(),
        [RowKind::Insert, RowKind::Update, RowKind::Delete]
    );
    let update = r[1];
    let after = rendered(&update.table, update.after.as_ref().unwrap());
    assert_eq!(after[..4], ["field1", "field_2", "variant2", "two,four"]);
    assert_eq!(
        update.after.as_ref().unwrap()[2..4],
        [Some(Value::Enum(2)), Some(Value::Set(10))]
    );
    let names: Vec<_> = update
        .table
        .columns
        .iter()
        .map(|c| c.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["f1", "f2", "f3", "f4", "f5"]);
}

#[test]
fn bit_columns() {
    let Some(dir) = corpus_dir() else { return };
    let d = decode_corpus_file(&dir, "mysql_type_bit.000001");
    let r = rows(&d);
    assert_eq!(r.len(), 1);
    let after = r[0].after.as_ref().unwrap();
    assert_eq!(after[0], Some(Value::Bit { bits: 4, width: 3 }));
    assert_eq!(after[1], Some(Value::Bytes(b"foo".to_vec())));
    assert_eq!(after[2], Some(Value::Bit { bits: 32, width: 8 }));
}

#[test]
fn minimal_row_image_leaves_columns_out() {
    let Some(dir) = corpus_dir() else { return };
    let d = decode_corpus_file(&dir, "minimal_row_metadata.000001");
    let r = rows(&d);
    assert_eq!(r.len(), 1);
    assert_eq!(
        rendered(&r[0].table, r[0].after.as_ref().unwrap()),
        ["1", "-", "a", "-", "3230202323"]
    );
}

#[test]
fn invisible_columns_are_marked() {
    let Some(dir) = corpus_dir() else { return };
    let d = decode_corpus_file(&dir, "binlog-invisible-columns.000001");
    let r = rows(&d);
    let visible: Vec<bool> = r[0].table.columns.iter().map(|c| c.visible).collect();
    assert_eq!(visible, [false, false, true, true, true, false]);
    assert_eq!(
        rendered(&r[0].table, r[0].after.as_ref().unwrap()),
        ["1", "2", "-3", "4", "\u{5}", "6000000000"]
    );
    let update = r.iter().find(|r| r.kind == RowKind::Update).unwrap();
    assert_eq!(
        rendered(&update.table, update.after.as_ref().unwrap()),
        ["111", "222", "-333", "444", "U", "NULL"]
    );
}

#[test]
fn negative_time() {
    let Some(dir) = corpus_dir() else { return };
    let d = decode_corpus_file(&dir, "time_issue.000001");
    let r = rows(&d);
    assert_eq!(
        rendered(&r[0].table, r[0].after.as_ref().unwrap()),
        ["-507:48:27"]
    );
}

#[test]
fn vectors_keep_their_floats() {
    let Some(dir) = corpus_dir() else { return };
    let d = decode_corpus_file(&dir, "vector.binlog");
    let first = rows(&d)[0].after.clone().unwrap();
    let Some(Value::Vector(bytes)) = &first[1] else {
        panic!("not a vector: {:?}", first[1]);
    };
    let floats: Vec<f32> = bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(floats, [1.1, 2.2, 3.3]);
}

#[test]
fn gtids_mysql_tagged_and_mariadb() {
    let Some(dir) = corpus_dir() else { return };
    let d = decode_corpus_file(&dir, "binlog_transaction_with_GTID_TAG.000001");
    let gtids: Vec<String> = d
        .changes()
        .filter_map(|c| match c {
            Change::Begin { gtid: Some(g), .. } => Some(g.to_string()),
            _ => None,
        })
        .collect();
    assert!(
        gtids.contains(&"55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3".to_string()),
        "{gtids:?}"
    );

    let d = decode_corpus_file(&dir, "mariadb-bin.000001");
    assert_eq!(d.errors().count(), 0, "MariaDB events must all decode");
    // ANNOTATE_ROWS (160), BINLOG_CHECKPOINT (161), GTID (162), GTID_LIST (163) all occur.
    for t in [160u8, 161, 162, 163] {
        assert!(
            d.events.iter().any(|e| e.event_type == t),
            "event type {t} missing"
        );
    }
    let begins: Vec<_> = d
        .changes()
        .filter_map(|c| match c {
            Change::Begin {
                gtid: Some(Gtid::MariaDb(g)),
                ..
            } => Some(g.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(begins, ["0-1-1", "0-1-2"]);
    let last_commit = d
        .changes()
        .filter_map(|c| match c {
            Change::Commit { position, .. } => Some(position.clone()),
            _ => None,
        })
        .last()
        .unwrap();
    assert_eq!(last_commit.file_pos.pos, 1074);
    match last_commit.gtid {
        Some(GtidState::MariaDb(s)) => assert_eq!(s.to_string(), "0-1-2"),
        other => panic!("no MariaDB GTID state: {other:?}"),
    }
    let r = rows(&d);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].table.qualified_name(), "toddy_test.outbox");
}

#[test]
fn old_row_formats_and_statement_events() {
    let Some(dir) = corpus_dir() else { return };
    let d = decode_corpus_file(&dir, "ver_trunk_row_v2.001");
    let r = rows(&d);
    let kinds: Vec<_> = r.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            RowKind::Insert,
            RowKind::Insert,
            RowKind::Update,
            RowKind::Update,
            RowKind::Delete
        ]
    );
    assert_eq!(
        rendered(&r[0].table, r[0].after.as_ref().unwrap()),
        ["0", "one"]
    );
    assert_eq!(
        rendered(&r[3].table, r[3].after.as_ref().unwrap()),
        ["2", "two"]
    );
    // LOAD DATA is logged as statements: each is a clear error naming the fix.
    let load_errors: Vec<_> = d
        .errors()
        .filter(|e| matches!(e.event_type, 17 | 18 | 9))
        .collect();
    assert!(!load_errors.is_empty());
    for e in load_errors {
        assert!(e
            .result
            .as_ref()
            .unwrap_err()
            .reason
            .contains("binlog_format=ROW"));
    }
    let d = decode_corpus_file(&dir, "bug40482-bin.000001");
    assert!(d
        .errors()
        .any(|e| e.result.as_ref().unwrap_err().reason.contains("INCIDENT")));
}

#[test]
fn mysql_gtid_state_is_seeded_from_previous_gtids_never_made_up() {
    let Some(dir) = corpus_dir() else { return };
    let last_gtid = |d: &FileDecode| {
        d.changes()
            .filter_map(|c| match c {
                Change::Commit { position, .. } => Some(position.gtid.clone()),
                _ => None,
            })
            .last()
            .expect("a commit")
    };
    // PREVIOUS_GTIDS says 1-10 came before this file; it then commits 11, 12 and 13.
    let d = decode_corpus_file(&dir, "mysql-bin.000057");
    assert_eq!(
        last_gtid(&d).map(|g| g.to_string()).as_deref(),
        Some("76f3e7be-6720-11ed-9cad-0242ac110002:1-13")
    );
    // A tagged PREVIOUS_GTIDS (MySQL 8.3+ format) is not parsed: the state stays unknown
    // rather than being built from this file's GTIDs alone.
    let d = decode_corpus_file(&dir, "binlog_transaction_with_GTID_TAG.000001");
    assert_eq!(last_gtid(&d), None);
}
