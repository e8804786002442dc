//! Unit tests of [`super::Applier`] on synthetic transactions (the end-to-end tests against
//! MariaDB are in `integration/tests/replica.rs`, `ddl.rs`, `crash.rs`).

use std::sync::Arc;

use rocksdb::WriteBatch;

use super::*;
use crate::source::change::{RowChange, RowKind};
use crate::source::position::{FilePos, Position};
use crate::source::table::{types, ColumnInfo, TableInfo};
use crate::source::transaction::{Transaction, TxChange};
use crate::source::value::{JsonDiff, JsonDiffOp, Value};
use crate::store::catalog::{Catalog, Segment, StoredPosition, TableEntry, TableState};
use crate::store::changelog::{decode, ChangeOp};
use crate::store::db::{Durability, Store, CF_CHANGELOG};
use crate::store::read::Snapshot;

fn column(name: &str, column_type: u8, meta: u16, collation: Option<u16>) -> ColumnInfo {
    ColumnInfo {
        name: Some(name.into()),
        column_type,
        meta,
        unsigned: false,
        collation,
        nullable: true,
        labels: None,
        visible: true,
    }
}

/// `db.t (id INT, v VARCHAR(20), j JSON)`, keyed by `id` unless `keyed` is false.
fn table(keyed: bool) -> Arc<TableInfo> {
    Arc::new(TableInfo {
        table_id: 7,
        schema: "db".into(),
        name: "t".into(),
        columns: vec![
            column("id", types::LONG, 0, None),
            column("v", types::VARCHAR, 80, Some(45)),
            column("j", types::JSON, 4, None),
        ],
        primary_key: if keyed { vec![0] } else { vec![] },
    })
}

fn pos(p: u64) -> StoredPosition {
    StoredPosition {
        file: "b.000001".into(),
        pos: p,
        gtid: None,
        gtid_flavor: None,
    }
}

/// A store holding `db.t` as a streaming table whose copy is consistent with `b.000001:4`.
fn setup(keyed: bool, segments: Vec<Segment>) -> (tempfile::TempDir, Arc<Store>, Applier) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), Durability::Buffered).unwrap());
    let mut catalog = Catalog::load(&store).unwrap();
    let mut batch = WriteBatch::default();
    let id = catalog.allocate_id(&store, &mut batch).unwrap();
    let entry = TableEntry {
        id,
        schema: "db".into(),
        name: "t".into(),
        info: Some((*table(keyed)).clone()),
        column_types: vec!["int(11)".into(), "varchar(20)".into(), "longtext".into()],
        defaults: vec![None; 3],
        create_statement: "CREATE TABLE `t` (…)".into(),
        schema_version: 1,
        state: TableState::Streaming,
        segments: if segments.is_empty() {
            vec![Segment {
                upto: None,
                position: pos(4),
            }]
        } else {
            segments
        },
        resume_after: None,
        rows_copied: 0,
        rows_estimate: 0,
    };
    catalog.put(&store, &mut batch, entry).unwrap();
    store.write(batch).unwrap();
    let selection = crate::source::filter::Selection::default();
    let applier = Applier::new(store.clone(), selection).unwrap();
    (dir, store, applier)
}

fn full(id: i64, v: &str, j: &str) -> Vec<Option<Value>> {
    vec![
        Some(Value::Int(id)),
        Some(Value::Bytes(v.as_bytes().to_vec())),
        Some(Value::Json(j.into())),
    ]
}

fn tx(at: u64, rows: Vec<(RowKind, Option<Row>, Option<Row>)>, keyed: bool) -> Transaction {
    let t = table(keyed);
    Transaction {
        gtid: None,
        changes: rows
            .into_iter()
            .map(|(kind, before, after)| {
                TxChange::Row(RowChange {
                    table: t.clone(),
                    kind,
                    before,
                    after,
                })
            })
            .collect(),
        position: Position {
            file_pos: FilePos {
                file: "b.000001".into(),
                pos: at,
            },
            gtid: None,
        },
        timestamp: 1_700_000_000,
    }
}

fn stored(store: &Store) -> Vec<Vec<Option<Value>>> {
    Snapshot::new(store)
        .unwrap()
        .rows("db", "t")
        .unwrap()
        .unwrap()
}

fn ids(store: &Store) -> Vec<i64> {
    stored(store)
        .iter()
        .map(|r| match &r[0] {
            Some(Value::Int(i)) => *i,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn full_images_insert_update_delete_with_position_and_change_log() {
    let (_d, store, mut a) = setup(true, vec![]);
    a.apply(&tx(
        100,
        vec![
            (RowKind::Insert, None, Some(full(2, "b", "1"))),
            (RowKind::Insert, None, Some(full(1, "a", "1"))),
            (RowKind::Insert, None, Some(full(3, "c", "1"))),
        ],
        true,
    ))
    .unwrap();
    // Key change 3 -> 10, and a delete, in one transaction.
    a.apply(&tx(
        200,
        vec![
            (
                RowKind::Update,
                Some(full(3, "c", "1")),
                Some(full(10, "c2", "1")),
            ),
            (RowKind::Delete, Some(full(2, "b", "1")), None),
        ],
        true,
    ))
    .unwrap();
    // Nothing visible before the flush: the group is one batch.
    assert_eq!(Snapshot::new(&store).unwrap().position, None);
    a.flush().unwrap();
    assert_eq!(ids(&store), [1, 10], "key order, not insertion order");
    assert_eq!(Snapshot::new(&store).unwrap().position, Some(pos(200)));
    let ops: Vec<ChangeOp> = store
        .db()
        .iterator_cf(
            store.cf(CF_CHANGELOG).unwrap(),
            rocksdb::IteratorMode::Start,
        )
        .map(|i| decode(&i.unwrap().1).unwrap().op)
        .collect();
    assert_eq!(
        ops,
        [
            ChangeOp::Insert,
            ChangeOp::Insert,
            ChangeOp::Insert,
            ChangeOp::Update,
            ChangeOp::Delete
        ]
    );
}

#[test]
fn without_a_change_log_rows_and_position_are_still_written() {
    let (_d, store, mut a) = setup(true, vec![]);
    a.keep_changelog(false);
    a.apply(&tx(
        100,
        vec![
            (RowKind::Insert, None, Some(full(1, "a", "1"))),
            (RowKind::Insert, None, Some(full(2, "b", "1"))),
        ],
        true,
    ))
    .unwrap();
    a.apply(&tx(
        200,
        vec![(RowKind::Delete, Some(full(1, "a", "1")), None)],
        true,
    ))
    .unwrap();
    a.flush().unwrap();
    assert_eq!(ids(&store), [2]);
    assert_eq!(Snapshot::new(&store).unwrap().position, Some(pos(200)));
    let logged = store
        .db()
        .iterator_cf(
            store.cf(CF_CHANGELOG).unwrap(),
            rocksdb::IteratorMode::Start,
        )
        .count();
    assert_eq!(logged, 0, "retention 0 keeps no change log");
}

#[test]
fn partial_images_and_json_diffs_merge_with_the_stored_row_even_within_a_group() {
    let (_d, store, mut a) = setup(true, vec![]);
    a.apply(&tx(
        100,
        vec![(RowKind::Insert, None, Some(full(1, "a", "{\"n\": 1}")))],
        true,
    ))
    .unwrap();
    // MINIMAL: the before image has the key only, the after image the changed column;
    // the JSON column changes by a diff. Not flushed in between: the overlay serves it.
    a.apply(&tx(
        200,
        vec![(
            RowKind::Update,
            Some(vec![Some(Value::Int(1)), None, None]),
            Some(vec![
                None,
                Some(Value::Bytes(b"changed".to_vec())),
                Some(Value::JsonDiffs(vec![JsonDiff {
                    operation: JsonDiffOp::Insert,
                    path: "$.m".into(),
                    value: Some("[true]".into()),
                }])),
            ]),
        )],
        true,
    ))
    .unwrap();
    a.flush().unwrap();
    assert_eq!(
        stored(&store),
        [full(1, "changed", "{\"m\": [true], \"n\": 1}")]
    );
}

#[test]
fn tables_without_a_key_update_and_delete_one_of_several_equal_rows() {
    let (_d, store, mut a) = setup(false, vec![]);
    let dup = full(3, "Pending", "null");
    a.apply(&tx(
        100,
        vec![
            (RowKind::Insert, None, Some(dup.clone())),
            (RowKind::Insert, None, Some(dup.clone())),
            (RowKind::Insert, None, Some(full(1, "Backordered", "null"))),
        ],
        false,
    ))
    .unwrap();
    a.apply(&tx(
        200,
        vec![(
            RowKind::Update,
            Some(dup.clone()),
            Some(full(3, "Shipped", "null")),
        )],
        false,
    ))
    .unwrap();
    a.flush().unwrap();
    let rows = stored(&store);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.iter().filter(|r| **r == dup).count(), 1);
    assert_eq!(rows[0], full(3, "Shipped", "null"), "updated in place");
    a.apply(&tx(
        300,
        vec![(RowKind::Delete, Some(dup.clone()), None)],
        false,
    ))
    .unwrap();
    a.flush().unwrap();
    let rows = stored(&store);
    assert_eq!(rows.len(), 2);
    assert!(!rows.contains(&dup));
    // A before image that matches no row means the copy diverged: the table is copied again.
    a.apply(&tx(400, vec![(RowKind::Delete, Some(dup), None)], false))
        .unwrap();
    let requests = a.take_requests();
    assert_eq!(requests.len(), 1);
    assert!(matches!(
        a.catalog().find("db", "t").unwrap().state,
        TableState::Recopying { .. }
    ));
}

#[test]
fn changes_the_copy_already_has_are_skipped_per_key_range() {
    // Keys up to 5 were copied at :100, the rest at :300 (a copy resumed after a crash).
    let mut k5 = Vec::new();
    crate::store::keys::encode_key(
        &mut k5,
        &[(&column("id", types::LONG, 0, None), &Value::Int(5))],
    )
    .unwrap();
    let (_d, store, mut a) = setup(
        true,
        vec![
            Segment {
                upto: Some(k5),
                position: pos(100),
            },
            Segment {
                upto: None,
                position: pos(300),
            },
        ],
    );
    a.apply(&tx(
        200,
        vec![
            (RowKind::Insert, None, Some(full(3, "applied", "1"))),
            (RowKind::Insert, None, Some(full(7, "skipped", "1"))),
        ],
        true,
    ))
    .unwrap();
    a.apply(&tx(
        400,
        vec![(RowKind::Insert, None, Some(full(8, "applied", "1")))],
        true,
    ))
    .unwrap();
    a.flush().unwrap();
    assert_eq!(ids(&store), [3, 8]);
    assert_eq!(a.stats().skipped, 1);
}

#[test]
fn a_pinned_view_does_not_see_later_batches() {
    let (_d, store, mut a) = setup(true, vec![]);
    a.apply(&tx(
        100,
        vec![(RowKind::Insert, None, Some(full(1, "a", "1")))],
        true,
    ))
    .unwrap();
    a.flush().unwrap();
    let before = Snapshot::new(&store).unwrap();
    a.apply(&tx(
        200,
        vec![(RowKind::Insert, None, Some(full(2, "b", "1")))],
        true,
    ))
    .unwrap();
    a.flush().unwrap();
    assert_eq!(before.rows("db", "t").unwrap().unwrap().len(), 1);
    assert_eq!(before.position, Some(pos(100)));
    assert_eq!(ids(&store), [1, 2]);
}

#[test]
fn a_mismatched_image_recopies_holds_changes_and_replays_those_after_the_copy() {
    let (_d, store, mut a) = setup(true, vec![]);
    // The binlog now has 2 columns: the table changed in a way the store did not follow.
    let narrow = Arc::new(TableInfo {
        columns: table(true).columns[..2].to_vec(),
        ..(*table(true)).clone()
    });
    let row2 = |id: i64, v: &str| {
        vec![
            Some(Value::Int(id)),
            Some(Value::Bytes(v.as_bytes().to_vec())),
        ]
    };
    let mut t = tx(100, vec![], true);
    for (at, id) in [(100, 1), (500, 2)] {
        t.position.file_pos.pos = at;
        t.changes = vec![TxChange::Row(RowChange {
            table: narrow.clone(),
            kind: RowKind::Insert,
            before: None,
            after: Some(row2(id, "x")),
        })];
        a.apply(&t).unwrap();
    }
    a.flush().unwrap();
    let req = a.take_requests();
    assert_eq!(req.len(), 1);
    assert!(
        Snapshot::new(&store)
            .unwrap()
            .rows("db", "t")
            .unwrap()
            .is_none(),
        "not served"
    );
    // The copy (consistent with :300) already has row 1; row 2 committed after it.
    let description = TableDescription {
        info: TableInfo {
            table_id: 0,
            ..(*narrow).clone()
        },
        column_types: vec!["int(11)".into(), "varchar(20)".into()],
        defaults: vec![None, None],
        create_statement: String::new(),
        rows_estimate: 1,
    };
    let mut batch = WriteBatch::default();
    let mut bytes = Vec::new();
    crate::store::codec::encode_row(&row2(1, "x"), &mut bytes).unwrap();
    let mut key = Vec::new();
    crate::store::keys::encode_key(&mut key, &[(&narrow.columns[0], &Value::Int(1))]).unwrap();
    batch.put_cf(
        store.cf(crate::store::db::CF_ROWS).unwrap(),
        keyed_row_key(req[0].table_id, &key),
        bytes,
    );
    store.write(batch).unwrap();
    let done = a
        .finish_recopy(CopyResult {
            table_id: req[0].table_id,
            generation: req[0].generation,
            description,
            position: pos(300),
            rows: 1,
            next_row_id: 1,
            definition_only: false,
        })
        .unwrap();
    assert!(done);
    assert_eq!(ids(&store), [1, 2]);
    // A stale generation is ignored.
    assert!(!a
        .finish_recopy(CopyResult {
            table_id: req[0].table_id,
            generation: req[0].generation,
            description: TableDescription {
                info: (*narrow).clone(),
                column_types: vec![],
                defaults: vec![],
                create_statement: String::new(),
                rows_estimate: 0,
            },
            position: pos(300),
            rows: 0,
            next_row_id: 1,
            definition_only: false,
        })
        .unwrap());
}

/// A transaction holding one DDL statement (default database `db`) at `at`.
fn ddl(at: u64, statement: &str) -> Transaction {
    let mut t = tx(at, vec![], true);
    t.changes = vec![TxChange::Ddl {
        schema: "db".into(),
        statement: statement.into(),
    }];
    t
}

/// A finished copy or description of `db.<name>` for `req`, with `table(true)`'s columns.
fn described(req: &RecopyRequest, name: &str, create: &str) -> CopyResult {
    CopyResult {
        table_id: req.table_id,
        generation: req.generation,
        description: TableDescription {
            info: TableInfo {
                name: name.into(),
                ..(*table(true)).clone()
            },
            column_types: vec!["int(11)".into(), "varchar(20)".into(), "longtext".into()],
            defaults: vec![None; 3],
            create_statement: create.into(),
            rows_estimate: 0,
        },
        position: pos(900),
        rows: 0,
        next_row_id: 1,
        definition_only: req.definition_only,
    }
}

fn entry_of(a: &Applier, name: &str) -> TableEntry {
    a.catalog().find("db", name).cloned().unwrap()
}

#[test]
fn a_table_renamed_while_it_is_copied_is_copied_again_under_its_new_name() {
    let (_d, store, mut a) = setup(true, vec![]);
    let id = entry_of(&a, "t").id;
    a.apply(&ddl(100, "ALTER TABLE t ADD COLUMN z INT DEFAULT 1"))
        .unwrap();
    let first = a.take_requests();
    assert_eq!(first.len(), 1);
    assert!(!first[0].definition_only);
    // The copy task may look for `db.t` after the source renamed it: it finds nothing
    // (or another table), so the rename starts a new generation under the new name.
    a.apply(&ddl(200, "RENAME TABLE t TO u")).unwrap();
    let second = a.take_requests();
    assert_eq!(second.len(), 1, "{second:?}");
    assert_eq!(second[0].table_id, id);
    assert_eq!(second[0].generation, first[0].generation + 1);
    assert!(a.catalog().find("db", "t").is_none());
    assert!(matches!(
        entry_of(&a, "u").state,
        TableState::Recopying { .. }
    ));
    // An index added meanwhile: the copy may describe the table before it.
    a.apply(&ddl(300, "ALTER TABLE u ADD INDEX by_v (v)"))
        .unwrap();
    assert_eq!(a.take_requests(), []);
    // The superseded copy is ignored, the new one makes `db.u` live, then the definition
    // is read again.
    assert!(!a.finish_recopy(described(&first[0], "t", "old")).unwrap());
    assert!(a.finish_recopy(described(&second[0], "u", "new")).unwrap());
    assert_eq!(entry_of(&a, "u").state, TableState::Streaming);
    let snap = Snapshot::new(&store).unwrap();
    assert_eq!(
        snap.catalog.find("db", "u").unwrap().create_statement,
        "new"
    );
    drop(snap);
    let again = a.take_requests();
    assert_eq!(again.len(), 1);
    assert!(again[0].definition_only);
    assert!(a
        .finish_recopy(described(&again[0], "u", "with by_v"))
        .unwrap());
    assert_eq!(entry_of(&a, "u").create_statement, "with by_v");
}

#[test]
fn an_index_only_change_reads_the_definition_again_and_keeps_serving() {
    let (_d, store, mut a) = setup(true, vec![]);
    let id = entry_of(&a, "t").id;
    a.apply(&tx(
        50,
        vec![(RowKind::Insert, None, Some(full(1, "a", "{}")))],
        true,
    ))
    .unwrap();
    a.apply(&ddl(100, "ALTER TABLE t ADD INDEX by_v (v)"))
        .unwrap();
    let req = a.take_requests();
    assert_eq!(req.len(), 1);
    assert!(req[0].definition_only);
    assert_eq!(req[0].table_id, id);
    assert_eq!(ids(&store), [1], "still served, rows kept");
    assert!(a
        .finish_recopy(described(&req[0], "t", "CREATE TABLE `t` (... KEY `by_v`)"))
        .unwrap());
    let e = Snapshot::new(&store)
        .unwrap()
        .catalog
        .find("db", "t")
        .cloned()
        .unwrap();
    assert_eq!(e.create_statement, "CREATE TABLE `t` (... KEY `by_v`)");
    assert_eq!(e.state, TableState::Streaming);
    assert_eq!(ids(&store), [1]);

    // A description that started under the old name is superseded by a rename; one whose
    // columns differ from the catalog's (a later column change) is not taken.
    a.apply(&ddl(200, "CREATE INDEX by_id ON t (id)")).unwrap();
    let created = a.take_requests();
    assert_eq!(created.len(), 1);
    assert!(created[0].definition_only);
    a.apply(&ddl(300, "DROP INDEX by_v ON t")).unwrap();
    let old = a.take_requests();
    assert_eq!(old.len(), 1);
    assert!(old[0].generation > created[0].generation);
    assert!(!a
        .finish_recopy(described(&created[0], "t", "stale"))
        .unwrap());
    a.apply(&ddl(400, "RENAME TABLE t TO u")).unwrap();
    let renamed = a.take_requests();
    assert_eq!(renamed.len(), 1);
    assert!(renamed[0].definition_only);
    assert!(renamed[0].generation > old[0].generation);
    assert!(!a.finish_recopy(described(&old[0], "t", "stale")).unwrap());
    let mut other_columns = described(&renamed[0], "u", "other");
    other_columns.description.info.columns.pop();
    assert!(!a.finish_recopy(other_columns).unwrap());
    assert_eq!(
        entry_of(&a, "u").create_statement,
        "CREATE TABLE `u` (... KEY `by_v`)"
    );
}

#[test]
fn renames_meet_copies_made_after_them() {
    let (_d, store, a) = setup(true, vec![]);
    let t = entry_of(&a, "t");
    // `db.u` was listed and copied (at :500) after `db.t` became `db.u` (at :200).
    let mut batch = WriteBatch::default();
    let mut catalog = Catalog::load(&store).unwrap();
    let u_id = catalog.allocate_id(&store, &mut batch).unwrap();
    let mut u = t.clone();
    u.id = u_id;
    u.name = "u".into();
    u.segments = vec![Segment {
        upto: None,
        position: pos(500),
    }];
    catalog.put(&store, &mut batch, u).unwrap();
    store.write(batch).unwrap();
    let mut a = Applier::new(store.clone(), Default::default()).unwrap();
    a.apply(&ddl(200, "RENAME TABLE t TO u")).unwrap();
    assert!(
        a.catalog().find("db", "t").is_none(),
        "the old entry is dropped"
    );
    assert_eq!(entry_of(&a, "u").id, u_id, "the newer copy stays");
    assert_eq!(a.catalog().tables().count(), 1);

    // `db.u`'s copy (at :500) is newer than a rename at :300 of an older `db.u`: that
    // table is now `db.v`, which needs a copy of its own.
    a.apply(&ddl(300, "RENAME TABLE u TO v")).unwrap();
    assert_eq!(entry_of(&a, "u").id, u_id);
    assert!(matches!(
        entry_of(&a, "v").state,
        TableState::Recopying { .. }
    ));
    assert_eq!(a.take_requests().len(), 1);
}
