//! MySQL partial JSON updates (PARTIAL_UPDATE_ROWS) from real binlogs, applied with
//! `replicant::store::json_patch` the way the store applies them: to the JSON value the
//! row held before, as known from earlier full row images in the same file.
//!
//! Two cross-checks against the server:
//! * when a later event carries the row's full before-image (a second update, a delete), it
//!   must equal the value we computed from the diffs;
//! * in `json.binlog.000001` the table has generated columns `name = json_col->>'$.name'`
//!   and `age = json_col->'$.age'`, which MySQL computed from the new document and logged in
//!   the same after-image: the patched document must hold exactly those values.

use std::collections::HashMap;

use proto_tests::{corpus_dir, corpus_files, decode_corpus_file};
use replicant::source::change::{Change, Row, RowChange, RowKind};
use replicant::source::value::Value;
use replicant::store::json_patch::apply_json_diffs;

/// One JSON column value as the store would hold it, and whether it came from diffs (so a
/// later full image of it checks our result).
struct Held {
    text: String,
    patched: bool,
}

#[derive(Default)]
struct Tally {
    diffs_applied: usize,
    checked_against_before_images: usize,
    checked_against_generated_columns: usize,
    results: Vec<String>,
}

/// The row's identity: its primary key columns (or column 0 when the table map does not
/// say), from whichever image carries them.
fn row_key(change: &RowChange, image: &Row) -> String {
    let cols: Vec<usize> = if change.table.primary_key.is_empty() {
        vec![0]
    } else {
        change.table.primary_key.clone()
    };
    let values: Vec<_> = cols
        .iter()
        .map(|&i| image.get(i).cloned().flatten())
        .collect();
    assert!(
        values.iter().all(Option::is_some),
        "{}: row image lacks its key columns",
        change.table.qualified_name()
    );
    format!("{}:{values:?}", change.table.qualified_name())
}

/// Replays the row changes of one file, applying every JSON diff.
fn replay(name: &str, changes: &[&RowChange], tally: &mut Tally) {
    let mut held: HashMap<(String, usize), Held> = HashMap::new();
    for (n, change) in changes.iter().enumerate() {
        let at = format!("{name} row change {n}");
        if let Some(before) = &change.before {
            let key = row_key(change, before);
            for (col, v) in before.iter().enumerate() {
                if let (Some(Value::Json(text)), Some(h)) = (v, held.get(&(key.clone(), col))) {
                    if h.patched {
                        assert_eq!(
                            &h.text, text,
                            "{at}: before-image differs from the patched value"
                        );
                        tally.checked_against_before_images += 1;
                    }
                }
            }
        }
        let Some(after) = &change.after else {
            continue;
        };
        let key = match (&change.kind, &change.before) {
            (RowKind::Update, Some(before)) => row_key(change, before),
            _ => row_key(change, after),
        };
        for (col, v) in after.iter().enumerate() {
            match v {
                Some(Value::Json(text)) => {
                    held.insert(
                        (key.clone(), col),
                        Held {
                            text: text.clone(),
                            patched: false,
                        },
                    );
                }
                Some(Value::JsonDiffs(diffs)) => {
                    let base = held.get(&(key.clone(), col)).unwrap_or_else(|| {
                        panic!("{at}: JSON diffs for a value not seen in this file")
                    });
                    let text = apply_json_diffs(&base.text, diffs)
                        .unwrap_or_else(|e| panic!("{at}: {e} (base {})", base.text));
                    tally.diffs_applied += diffs.len();
                    if name == "json.binlog.000001" {
                        check_generated_columns(&at, &text, after);
                        tally.checked_against_generated_columns += 1;
                    }
                    tally.results.push(text.clone());
                    held.insert(
                        (key.clone(), col),
                        Held {
                            text,
                            patched: true,
                        },
                    );
                }
                Some(_) => {
                    held.remove(&(key.clone(), col));
                }
                None => {}
            }
        }
    }
}

/// `json.binlog.000001`: columns are id, json_col, name (VARCHAR AS json_col->>'$.name'),
/// age (INT AS json_col->'$.age').
fn check_generated_columns(at: &str, text: &str, after: &Row) {
    let Some(Some(Value::Bytes(name))) = after.get(2) else {
        panic!("{at}: generated column name missing: {after:?}");
    };
    let Some(Some(Value::Int(age))) = after.get(3) else {
        panic!("{at}: generated column age missing: {after:?}");
    };
    let name = String::from_utf8_lossy(name);
    assert!(
        text.contains(&format!("\"age\": {age},")) || text.ends_with(&format!("\"age\": {age}}}")),
        "{at}: patched {text} but MySQL computed age {age}"
    );
    assert!(
        text.contains(&format!("\"name\": \"{name}\"")),
        "{at}: patched {text} but MySQL computed name {name}"
    );
}

#[test]
fn partial_json_updates_rebuild_what_mysql_stored() {
    let Some(dir) = corpus_dir() else { return };
    let mut tally = Tally::default();
    let mut files_with_diffs = Vec::new();
    for path in corpus_files(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let d = decode_corpus_file(&dir, &name);
        let changes: Vec<&RowChange> = d
            .changes()
            .filter_map(|c| match c {
                Change::Row(r) => Some(r),
                _ => None,
            })
            .collect();
        let before = tally.diffs_applied;
        replay(&name, &changes, &mut tally);
        if tally.diffs_applied > before {
            files_with_diffs.push(name);
        }
    }
    eprintln!(
        "partial JSON: {} diffs applied in {files_with_diffs:?}; checked against {} later \
         before-images and {} sets of generated columns",
        tally.diffs_applied,
        tally.checked_against_before_images,
        tally.checked_against_generated_columns
    );
    assert!(
        files_with_diffs.iter().any(|f| f == "json.binlog.000001"),
        "json.binlog.000001 should hold PARTIAL_UPDATE_ROWS diffs"
    );
    assert!(tally.checked_against_generated_columns >= 6);
    // MySQL 8.0.22 logged one Replace of $.age per row, for rows an earlier full update had
    // set: the text of the result, key order and spacing included.
    assert_eq!(
        tally.results[..3],
        [
            r#"{"age": 26, "data": "xxxxxxxxxx", "name": "Joe"}"#,
            r#"{"age": 34, "data": "yyyyyyyyyy", "name": "Sue"}"#,
            r#"{"age": 42, "data": "zzzzzzzzzz", "name": "Pete"}"#,
        ]
    );
}
