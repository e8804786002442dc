//! The replica follows DDL against a real MariaDB: after every sync a replicated table
//! equals the source in its rows (`SELECT … ORDER BY` the key) **and** its definition (the
//! catalog's column names and `COLUMN_TYPE`s equal `information_schema.COLUMNS`, its
//! `SHOW CREATE TABLE` text equals the source's), for column changes (`ADD`/`DROP`/`MODIFY`
//! /`CHANGE`/`RENAME COLUMN`), index and table-option changes, table renames (also into and
//! out of the selection, and racing with copies), `TRUNCATE`, `DROP TABLE`/`DATABASE`,
//! every form of `CREATE TABLE`, and the gh-ost / pt-online-schema-change table swaps while
//! writes continue.
//!
//! Followed exactly (no copy: the table keeps its catalog id and copy segments): `RENAME
//! TABLE`, `ALTER TABLE … RENAME`, `TRUNCATE`, `DROP`, and `ADD INDEX` / `CREATE INDEX` /
//! `DROP INDEX` / table options (rows kept, the definition read again). Followed by an online
//! copy of that one table: column changes, `CREATE TABLE` of a selected table (also `LIKE`,
//! `… SELECT`), `CREATE OR REPLACE`, a table renamed into the selection. After a sync every
//! table is `streaming` again (`replicant status`).

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use integration::replica::{assert_table_matches, settings, sync};
use integration::MariaDb;
use mysql_async::prelude::Queryable;
use replicant::config::run::RunSettings;
use replicant::replica::status::report;
use replicant::replica::RunMode;
use replicant::store::catalog::TableEntry;
use replicant::store::read::Snapshot;
use replicant::store::Store;

use integration::fixtures::run_statements as run;

/// The replica's catalog entry of `schema.table`, if any.
fn entry(dir: &Path, schema: &str, table: &str) -> Option<TableEntry> {
    let store = Store::open_read_only(dir).unwrap_or_else(|e| panic!("open {dir:?}: {e}"));
    let snap = Snapshot::new(&store).unwrap();
    snap.catalog.find(schema, table).cloned()
}

/// `(COLUMN_NAME, COLUMN_TYPE)` of the source's table, in `ORDINAL_POSITION` order.
async fn source_columns(db: &MariaDb, schema: &str, table: &str) -> Vec<(String, String)> {
    db.query_text(&format!(
        "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = '{schema}' AND TABLE_NAME = '{table}' ORDER BY ORDINAL_POSITION"
    ))
    .await
    .into_iter()
    .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
    .collect()
}

async fn source_create(db: &MariaDb, schema: &str, table: &str) -> String {
    let rows = db
        .query_text(&format!("SHOW CREATE TABLE `{schema}`.`{table}`"))
        .await;
    rows[0][1].clone().unwrap()
}

/// Whether the replica's definition of `schema.table` (column names and types, `SHOW
/// CREATE TABLE`) equals the source's, and the table is served; the difference if not.
async fn definition_matches(
    db: &MariaDb,
    dir: &Path,
    schema: &str,
    table: &str,
) -> Result<(), String> {
    let Some(e) = entry(dir, schema, table) else {
        return Err(format!("{schema}.{table} is not in the replica's catalog"));
    };
    if !e.is_served() {
        return Err(format!("{schema}.{table} is not served: {:?}", e.state));
    }
    let info = e.info.as_ref().unwrap();
    if info.columns.len() != e.column_types.len() {
        return Err(format!(
            "{schema}.{table}: {} columns but {} column types",
            info.columns.len(),
            e.column_types.len()
        ));
    }
    let got: Vec<(String, String)> = info
        .columns
        .iter()
        .zip(&e.column_types)
        .map(|(c, t)| (c.name.clone().unwrap_or_default(), t.clone()))
        .collect();
    let want = source_columns(db, schema, table).await;
    if got != want {
        return Err(format!(
            "{schema}.{table}: columns differ\n  replica: {got:?}\n  source:  {want:?}"
        ));
    }
    let want = source_create(db, schema, table).await;
    if e.create_statement != want {
        return Err(format!(
            "{schema}.{table}: SHOW CREATE TABLE differs\n  replica: {:?}\n  source:  {want:?}",
            e.create_statement
        ));
    }
    Ok(())
}

/// Asserts the replica's definition of `schema.table` (column names and types, `SHOW
/// CREATE TABLE`) equals the source's and that the table is served.
async fn assert_definition_matches(db: &MariaDb, dir: &Path, schema: &str, table: &str) {
    if let Err(e) = definition_matches(db, dir, schema, table).await {
        panic!("{e}");
    }
}

/// Rows (in `order_by` order, or as multisets) and definition equal the source's.
async fn assert_same(db: &MariaDb, dir: &Path, schema: &str, table: &str, order_by: Option<&str>) {
    assert_table_matches(db, dir, schema, table, order_by).await;
    assert_definition_matches(db, dir, schema, table).await;
}

fn assert_absent(dir: &Path, schema: &str, table: &str) {
    let e = entry(dir, schema, table);
    assert!(
        e.is_none(),
        "{schema}.{table} should not be replicated: {e:?}"
    );
}

/// Every table is `streaming` (no copy left unfinished) and the tables are exactly
/// `expected` (sorted `schema.table`).
fn assert_all_streaming(dir: &Path, expected: &[&str]) {
    let r = report(dir).unwrap();
    let names: Vec<&str> = r.tables.iter().map(|t| t.table.as_str()).collect();
    let mut want = expected.to_vec();
    want.sort_unstable();
    let mut got = names.clone();
    got.sort_unstable();
    assert_eq!(got, want, "replicated tables");
    for t in &r.tables {
        assert_eq!(t.state, "streaming", "{}: {:?}", t.table, t.reason);
    }
}

/// Asserts the table was followed exactly, not copied again: same catalog id, same copy
/// segments (a copy would record a new, later position).
fn assert_not_copied(before: &TableEntry, after: &TableEntry) {
    assert_eq!(
        before.id,
        after.id,
        "{}: catalog id",
        after.qualified_name()
    );
    assert_eq!(
        before.segments,
        after.segments,
        "{}: copied again instead of followed",
        after.qualified_name()
    );
}

/// Asserts the table was copied again: same catalog id, a newer copy position.
fn assert_copied(before: &TableEntry, after: &TableEntry) {
    assert_eq!(
        before.id,
        after.id,
        "{}: catalog id",
        after.qualified_name()
    );
    assert_ne!(
        before.segments,
        after.segments,
        "{}: expected a new copy",
        after.qualified_name()
    );
}

const ALTER_STEPS: &[(&str, &[&str])] = &[
    (
        "ALTER TABLE d.t ADD COLUMN c INT NOT NULL DEFAULT 5",
        &["INSERT INTO d.t (id, a, s, x, n, c) VALUES (100, 1, 'after c', 1, 1, 42)"],
    ),
    (
        "ALTER TABLE d.t ADD COLUMN ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP",
        &[
            "INSERT INTO d.t (id, a, s, x, n) VALUES (101, 2, 'after ts', 2, 2)",
            "INSERT INTO d.t (id, a, s, x, n, ts) VALUES (102, 3, 'ts set', 3, 3, '2001-02-03 04:05:06')",
            "UPDATE d.t SET c = c + 1 WHERE id <= 3",
        ],
    ),
    (
        "ALTER TABLE d.t DROP COLUMN x",
        &[
            "INSERT INTO d.t (id, a, s, n) VALUES (103, 4, 'no x', 4)",
            "DELETE FROM d.t WHERE id = 2",
        ],
    ),
    (
        "ALTER TABLE d.t MODIFY a BIGINT",
        &[
            "INSERT INTO d.t (id, a, s, n) VALUES (104, 9000000000, 'big a', 5)",
            "UPDATE d.t SET a = -9000000000 WHERE id = 1",
        ],
    ),
    (
        "ALTER TABLE d.t MODIFY s VARCHAR(50)",
        &["INSERT INTO d.t (id, a, s, n) VALUES (105, 6, 'a string longer than ten characters', 6)"],
    ),
    (
        "ALTER TABLE d.t CHANGE n amount DECIMAL(10,2)",
        &[
            "INSERT INTO d.t (id, a, s, amount) VALUES (106, 7, 'amount', 12345.67)",
            "UPDATE d.t SET amount = amount / 4 WHERE id = 3",
        ],
    ),
    (
        "ALTER TABLE d.t RENAME COLUMN s TO label",
        &[
            "INSERT INTO d.t (id, a, label, amount) VALUES (107, 8, 'label', 8)",
            "UPDATE d.t SET label = 'relabelled' WHERE id = 100",
        ],
    ),
    (
        "ALTER TABLE d.t ADD INDEX by_label (label)",
        &[
            "INSERT INTO d.t (id, a, label, amount) VALUES (108, 9, 'indexed', 9)",
            "DELETE FROM d.t WHERE id = 101",
        ],
    ),
    (
        "CREATE INDEX by_a_amount ON d.t (a, amount)",
        &["UPDATE d.t SET amount = 1 WHERE id = 108"],
    ),
    (
        "DROP INDEX by_label ON d.t",
        &["INSERT INTO d.t (id, a, label, amount) VALUES (109, 10, 'unindexed', 10)"],
    ),
    (
        "ALTER TABLE d.t COMMENT 'table options change the definition only'",
        &["UPDATE d.t SET label = 'commented' WHERE id = 109"],
    ),
];

/// Statements of [`ALTER_STEPS`] that keep the rows and columns: followed without a copy.
fn definition_only(statement: &str) -> bool {
    statement.contains("INDEX") || statement.contains("COMMENT")
}

async fn alter_fixture(db: &MariaDb) {
    run(
        db,
        &[
            "CREATE DATABASE d",
            "CREATE TABLE d.t (id INT PRIMARY KEY, a INT, s VARCHAR(10), x INT, n INT)",
            "INSERT INTO d.t VALUES (1, 1, 'one', 10, 100), (2, 2, 'two', 20, 200), \
             (3, 3, NULL, NULL, 300), (4, -4, '', 40, NULL)",
        ],
    )
    .await;
}

/// Every column change in one sync window, with rows written before and after each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn column_changes_in_one_window() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    alter_fixture(&db).await;
    let s = settings(&db, dir.path(), "d.*");
    sync(&s).await;
    assert_same(&db, dir.path(), "d", "t", Some("id")).await;
    let before = entry(dir.path(), "d", "t").unwrap();

    run(&db, &["INSERT INTO d.t VALUES (5, 5, 'five', 50, 500)"]).await;
    for (i, (alter, after)) in ALTER_STEPS.iter().enumerate() {
        run(&db, &[*alter]).await;
        run(&db, after).await;
        let bump = format!("UPDATE d.t SET a = a + 1 WHERE id = {}", 100 + i);
        run(&db, &[bump.as_str()]).await;
    }
    sync(&s).await;
    assert_same(&db, dir.path(), "d", "t", Some("id")).await;
    assert_copied(&before, &entry(dir.path(), "d", "t").unwrap());
    assert_all_streaming(dir.path(), &["d.t"]);

    run(
        &db,
        &[
            "INSERT INTO d.t (id, a, label, amount) VALUES (200, 1, 'second sync', 1.5)",
            "UPDATE d.t SET label = CONCAT(label, '!'), amount = amount + 1 WHERE id < 100",
            "DELETE FROM d.t WHERE id = 104",
        ],
    )
    .await;
    let copied = entry(dir.path(), "d", "t").unwrap();
    sync(&s).await;
    assert_same(&db, dir.path(), "d", "t", Some("id")).await;
    assert_not_copied(&copied, &entry(dir.path(), "d", "t").unwrap());
    assert_all_streaming(dir.path(), &["d.t"]);
}

/// Each column change in its own sync window, so each is checked on its own; an
/// index-only change is followed without a copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_column_change_on_its_own() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    alter_fixture(&db).await;
    let s = settings(&db, dir.path(), "d.*");
    sync(&s).await;
    for (i, (alter, after)) in ALTER_STEPS.iter().enumerate() {
        let before = entry(dir.path(), "d", "t").unwrap();
        let bump = format!("UPDATE d.t SET a = a + 1 WHERE id = {}", 1 + i % 4);
        run(&db, &[bump.as_str()]).await;
        run(&db, &[*alter]).await;
        run(&db, after).await;
        sync(&s).await;
        assert_same(&db, dir.path(), "d", "t", Some("id")).await;
        assert_all_streaming(dir.path(), &["d.t"]);
        let now = entry(dir.path(), "d", "t").unwrap();
        if definition_only(alter) {
            assert_not_copied(&before, &now);
        } else {
            assert_copied(&before, &now);
        }
    }
    run(
        &db,
        &["INSERT INTO d.t (id, a, label) VALUES (300, 3, 'last')"],
    )
    .await;
    sync(&s).await;
    assert_same(&db, dir.path(), "d", "t", Some("id")).await;
}

/// `RENAME TABLE`, `ALTER TABLE … RENAME`, a multi-pair swap, a move to another database,
/// and a rename combined with a column change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_are_followed() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    run(
        &db,
        &[
            "CREATE DATABASE d",
            "CREATE DATABASE e",
            "CREATE TABLE d.a (id INT PRIMARY KEY, v VARCHAR(20))",
            "CREATE TABLE d.x (k VARCHAR(10) PRIMARY KEY, n INT)",
            "CREATE TABLE d.nokey (v INT)",
            "INSERT INTO d.a VALUES (1, 'one'), (2, 'two')",
            "INSERT INTO d.x VALUES ('k1', 1), ('k2', 2)",
            "INSERT INTO d.nokey VALUES (1), (1), (2)",
        ],
    )
    .await;
    let s = settings(&db, dir.path(), "d.*,e.*");
    sync(&s).await;
    let a = entry(dir.path(), "d", "a").unwrap();
    let x = entry(dir.path(), "d", "x").unwrap();
    let nokey = entry(dir.path(), "d", "nokey").unwrap();

    run(
        &db,
        &[
            "INSERT INTO d.a VALUES (3, 'before rename')",
            "RENAME TABLE d.a TO d.b",
            "INSERT INTO d.b VALUES (4, 'as b')",
            "UPDATE d.b SET v = 'updated as b' WHERE id = 1",
            "ALTER TABLE d.b RENAME TO d.c",
            "INSERT INTO d.c VALUES (5, 'as c')",
            "DELETE FROM d.c WHERE id = 2",
            // The swap gh-ost and pt-osc end with, on two replicated tables.
            "INSERT INTO d.nokey VALUES (3)",
            "RENAME TABLE d.c TO d.tmp, d.nokey TO d.c, d.tmp TO d.nokey",
            "INSERT INTO d.c VALUES (4)",
            "DELETE FROM d.c WHERE v = 1 LIMIT 1",
            "INSERT INTO d.nokey VALUES (6, 'swapped')",
            // Created (so copied) and renamed before the copy could start.
            "CREATE TABLE d.fresh (id INT PRIMARY KEY, v VARCHAR(20))",
            "INSERT INTO d.fresh VALUES (1, 'fresh')",
            "RENAME TABLE d.fresh TO d.renamed",
            "INSERT INTO d.renamed VALUES (2, 'renamed')",
            // To another (replicated) database.
            "ALTER TABLE d.x RENAME e.x",
            "INSERT INTO e.x VALUES ('k3', 3)",
            "UPDATE e.x SET n = n * 10",
        ],
    )
    .await;
    sync(&s).await;
    for t in ["a", "b", "tmp", "x", "fresh"] {
        assert_absent(dir.path(), "d", t);
    }
    assert_same(&db, dir.path(), "d", "nokey", Some("id")).await;
    assert_same(&db, dir.path(), "d", "c", None).await;
    assert_same(&db, dir.path(), "e", "x", Some("k")).await;
    assert_same(&db, dir.path(), "d", "renamed", Some("id")).await;
    assert_not_copied(&a, &entry(dir.path(), "d", "nokey").unwrap());
    assert_not_copied(&nokey, &entry(dir.path(), "d", "c").unwrap());
    assert_not_copied(&x, &entry(dir.path(), "e", "x").unwrap());
    assert_all_streaming(dir.path(), &["d.c", "d.nokey", "d.renamed", "e.x"]);

    // A rename together with a column change: copied again under the new name.
    run(
        &db,
        &[
            "INSERT INTO e.x VALUES ('k4', 4)",
            "ALTER TABLE e.x ADD COLUMN note VARCHAR(5) DEFAULT 'n', RENAME TO e.y",
            "INSERT INTO e.y VALUES ('k5', 5, 'five')",
            "UPDATE e.y SET note = 'upd' WHERE k = 'k1'",
            "RENAME TABLE d.nokey TO d.keyed",
            "UPDATE d.keyed SET v = 'last' WHERE id = 6",
        ],
    )
    .await;
    sync(&s).await;
    assert_absent(dir.path(), "e", "x");
    assert_absent(dir.path(), "d", "nokey");
    assert_same(&db, dir.path(), "e", "y", Some("k")).await;
    assert_same(&db, dir.path(), "d", "keyed", Some("id")).await;
    assert_same(&db, dir.path(), "d", "c", None).await;
    assert_copied(&x, &entry(dir.path(), "e", "y").unwrap());
    assert_not_copied(&a, &entry(dir.path(), "d", "keyed").unwrap());
    assert_all_streaming(dir.path(), &["d.c", "d.keyed", "d.renamed", "e.y"]);
}

/// A table to be copied (created, or altered) and renamed before its copy could start:
/// the copy task finds no table of that name (or another table by then) on the source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renamed_before_its_copy_starts() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    run(
        &db,
        &[
            "CREATE DATABASE d",
            "CREATE TABLE d.t (id INT PRIMARY KEY, v INT)",
            "CREATE TABLE d.u (id INT PRIMARY KEY, v INT)",
            "CREATE TABLE d.w (id INT PRIMARY KEY, v INT)",
            "CREATE TABLE d.busy (id INT PRIMARY KEY, v INT)",
            "INSERT INTO d.t VALUES (1, 1), (2, 2)",
            "INSERT INTO d.u VALUES (1, 10)",
            "INSERT INTO d.w VALUES (1, 100)",
        ],
    )
    .await;
    let mut s = settings(&db, dir.path(), "d.*");
    // One transaction per batch: copies start as soon as they are requested.
    s.group_commit_max = 1;
    sync(&s).await;
    // Many small transactions after each statement that requests a copy, so the replica
    // starts the copy before it reads the rename.
    let busy = |round: usize| -> String {
        (0..300)
            .map(|i| format!("INSERT INTO d.busy VALUES ({}, {i})", round * 1000 + i))
            .collect::<Vec<_>>()
            .join(";")
    };
    run(
        &db,
        &[
            "CREATE TABLE d.fresh (id INT PRIMARY KEY, v VARCHAR(20))",
            "INSERT INTO d.fresh VALUES (1, 'fresh')",
            &busy(1),
            "RENAME TABLE d.fresh TO d.renamed",
            "INSERT INTO d.renamed VALUES (2, 'renamed')",
            "ALTER TABLE d.t ADD COLUMN extra INT DEFAULT 7",
            "INSERT INTO d.t (id, v) VALUES (3, 3)",
            &busy(2),
            // The swap: the altered d.t leaves, d.u takes its name.
            "RENAME TABLE d.t TO d.t_old, d.u TO d.t",
            "INSERT INTO d.t VALUES (5, 50)",
            "INSERT INTO d.t_old VALUES (4, 4, 4)",
            "ALTER TABLE d.w ADD COLUMN extra INT DEFAULT 8",
            "INSERT INTO d.w VALUES (2, 1, 1)",
            &busy(3),
            "RENAME TABLE d.w TO d.w2",
            "UPDATE d.w2 SET v = -v",
        ],
    )
    .await;
    sync(&s).await;
    eprintln!(
        "DEBUG renamed {:?}",
        entry(dir.path(), "d", "renamed").map(|e| (e.id, e.segments, e.state))
    );
    eprintln!(
        "DEBUG t {:?}",
        entry(dir.path(), "d", "t").map(|e| (e.id, e.segments, e.state))
    );
    for r in db
        .query_text("SHOW BINLOG EVENTS IN 'mariadb-bin.000001'")
        .await
    {
        if r[5].as_deref().is_some_and(|i| {
            !i.starts_with("INSERT INTO d.busy")
                && !i.contains("Table_map")
                && !i.starts_with("BEGIN")
                && !i.starts_with("COMMIT")
        }) {
            eprintln!("DEBUG {:?} {:?} {:?}", r[1], r[4], r[5]);
        }
    }
    assert_absent(dir.path(), "d", "fresh");
    assert_absent(dir.path(), "d", "u");
    assert_absent(dir.path(), "d", "w");
    assert_same(&db, dir.path(), "d", "renamed", Some("id")).await;
    assert_same(&db, dir.path(), "d", "t", Some("id")).await;
    assert_same(&db, dir.path(), "d", "t_old", Some("id")).await;
    assert_same(&db, dir.path(), "d", "w2", Some("id")).await;
    assert_same(&db, dir.path(), "d", "busy", Some("id")).await;
    assert_all_streaming(
        dir.path(),
        &["d.busy", "d.renamed", "d.t", "d.t_old", "d.w2"],
    );
}

/// A live replica (one run, no restarts) while tables are created, altered and renamed
/// before, during and after their copies: every copy ends, under the final names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_replica_follows_renames_racing_with_copies() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    run(
        &db,
        &["CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)"],
    )
    .await;
    let s = settings(&db, dir.path(), "d.*");
    sync(&s).await;
    let live = Live::start(&s);
    let mut tables = vec!["t".to_string()];
    for i in 0..24u64 {
        let pause = Duration::from_millis(i % 8 * 3);
        run(
            &db,
            &[
                &format!("CREATE TABLE d.fresh{i} (id INT PRIMARY KEY, v INT)"),
                &format!("INSERT INTO d.fresh{i} VALUES (1, {i}), (2, {i})"),
            ],
        )
        .await;
        tokio::time::sleep(pause).await;
        run(
            &db,
            &[
                &format!("RENAME TABLE d.fresh{i} TO d.renamed{i}"),
                &format!("INSERT INTO d.renamed{i} VALUES (3, {i})"),
            ],
        )
        .await;
        let last = match i % 3 {
            0 => format!("renamed{i}"),
            1 => {
                // A column change (a copy), then a rename.
                tokio::time::sleep(pause).await;
                run(
                    &db,
                    &[
                        &format!("ALTER TABLE d.renamed{i} ADD COLUMN x INT DEFAULT {i}"),
                        &format!("UPDATE d.renamed{i} SET v = v + 1 WHERE id = 1"),
                    ],
                )
                .await;
                tokio::time::sleep(pause).await;
                run(
                    &db,
                    &[
                        &format!("RENAME TABLE d.renamed{i} TO d.altered{i}"),
                        &format!("INSERT INTO d.altered{i} VALUES (4, {i}, 0)"),
                    ],
                )
                .await;
                format!("altered{i}")
            }
            _ => {
                // An index (the definition is read again), then a rename.
                tokio::time::sleep(pause).await;
                run(
                    &db,
                    &[
                        &format!("ALTER TABLE d.renamed{i} ADD INDEX by_v (v)"),
                        &format!("DELETE FROM d.renamed{i} WHERE id = 2"),
                    ],
                )
                .await;
                tokio::time::sleep(pause).await;
                run(
                    &db,
                    &[&format!("RENAME TABLE d.renamed{i} TO d.indexed{i}")],
                )
                .await;
                format!("indexed{i}")
            }
        };
        tables.push(last);
    }
    let pairs: Vec<(&str, &str)> = tables.iter().map(|t| ("d", t.as_str())).collect();
    live.caught_up(&db, &pairs).await;
    for t in &tables {
        assert_same(&db, dir.path(), "d", t, Some("id")).await;
    }
    let names: Vec<String> = tables.iter().map(|t| format!("d.{t}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_all_streaming(dir.path(), &names);
    live.stop().await;
}

/// Renames into the selection bring a table in with all its rows; renames out of it make
/// it disappear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_into_and_out_of_the_selection() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    run(
        &db,
        &[
            "CREATE DATABASE d",
            "CREATE TABLE d.keep_x (id INT PRIMARY KEY, v INT)",
            "CREATE TABLE d.keep_y (id INT PRIMARY KEY, v INT)",
            "CREATE TABLE d.other (id INT PRIMARY KEY, s VARCHAR(10))",
            "INSERT INTO d.keep_x VALUES (1, 1), (2, 2)",
            "INSERT INTO d.keep_y VALUES (1, 1)",
            "INSERT INTO d.other VALUES (1, 'a'), (2, 'b'), (3, 'c')",
        ],
    )
    .await;
    let s = settings(&db, dir.path(), "d.keep_*");
    sync(&s).await;
    assert_absent(dir.path(), "d", "other");
    assert_same(&db, dir.path(), "d", "keep_x", Some("id")).await;

    run(
        &db,
        &[
            "INSERT INTO d.other VALUES (4, 'd')",
            "UPDATE d.other SET s = 'A' WHERE id = 1",
            "RENAME TABLE d.other TO d.keep_new",
            "INSERT INTO d.keep_new VALUES (5, 'e')",
            "DELETE FROM d.keep_new WHERE id = 2",
            "INSERT INTO d.keep_x VALUES (3, 3)",
            "RENAME TABLE d.keep_x TO d.gone",
            "INSERT INTO d.gone VALUES (4, 4)",
            "INSERT INTO d.keep_y VALUES (2, 2)",
        ],
    )
    .await;
    sync(&s).await;
    assert_same(&db, dir.path(), "d", "keep_new", Some("id")).await;
    assert_same(&db, dir.path(), "d", "keep_y", Some("id")).await;
    assert_absent(dir.path(), "d", "keep_x");
    assert_absent(dir.path(), "d", "gone");
    assert_absent(dir.path(), "d", "other");
    assert_all_streaming(dir.path(), &["d.keep_new", "d.keep_y"]);

    // Out and back in within one window; a swap of a selected and an unselected table.
    run(
        &db,
        &[
            "UPDATE d.gone SET v = v + 100",
            "RENAME TABLE d.gone TO d.keep_back",
            "INSERT INTO d.keep_back VALUES (5, 5)",
            "RENAME TABLE d.keep_new TO d.out_again",
            "INSERT INTO d.out_again VALUES (6, 'f')",
            "RENAME TABLE d.out_again TO d.keep_new",
            "UPDATE d.keep_new SET s = 'back' WHERE id = 6",
            "CREATE TABLE d.staging (id INT PRIMARY KEY, v INT, w INT DEFAULT 0)",
            "INSERT INTO d.staging (id, v) VALUES (1, 10), (2, 20)",
            "RENAME TABLE d.keep_y TO d.old_y, d.staging TO d.keep_y",
            "INSERT INTO d.keep_y VALUES (3, 30, 3)",
        ],
    )
    .await;
    sync(&s).await;
    assert_same(&db, dir.path(), "d", "keep_back", Some("id")).await;
    assert_same(&db, dir.path(), "d", "keep_new", Some("id")).await;
    assert_same(&db, dir.path(), "d", "keep_y", Some("id")).await;
    for t in ["gone", "out_again", "staging", "old_y"] {
        assert_absent(dir.path(), "d", t);
    }
    assert_all_streaming(dir.path(), &["d.keep_back", "d.keep_new", "d.keep_y"]);
}

/// `TRUNCATE`, `DROP TABLE`, `DROP DATABASE`, and every form of `CREATE TABLE`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_drop_and_create() {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    run(
        &db,
        &[
            "CREATE DATABASE d",
            "CREATE DATABASE dd",
            "CREATE TABLE d.t1 (id INT PRIMARY KEY, v INT)",
            "CREATE TABLE d.t2 (id INT PRIMARY KEY, v INT)",
            "CREATE TABLE d.t3 (id INT PRIMARY KEY, v INT, s VARCHAR(10) NOT NULL DEFAULT 'x')",
            "CREATE TABLE d.nokey (v INT)",
            "CREATE TABLE dd.a (id INT PRIMARY KEY)",
            "CREATE TABLE dd.b (id INT PRIMARY KEY)",
            "INSERT INTO d.t1 VALUES (1, 1), (2, 2)",
            "INSERT INTO d.t2 VALUES (1, 1)",
            "INSERT INTO d.t3 VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c')",
            "INSERT INTO d.nokey VALUES (1), (1)",
            "INSERT INTO dd.a VALUES (1)",
            "INSERT INTO dd.b VALUES (1)",
        ],
    )
    .await;
    let s = settings(&db, dir.path(), "d.*,dd.*,n.*");
    sync(&s).await;
    let t1 = entry(dir.path(), "d", "t1").unwrap();
    let nokey = entry(dir.path(), "d", "nokey").unwrap();

    run(
        &db,
        &[
            "INSERT INTO d.t1 VALUES (3, 3)",
            "TRUNCATE TABLE d.t1",
            "INSERT INTO d.t1 VALUES (2, 20), (4, 40)",
            "INSERT INTO d.nokey VALUES (2)",
            "TRUNCATE d.nokey",
            "INSERT INTO d.nokey VALUES (1), (3)",
            "INSERT INTO d.t2 VALUES (2, 2)",
            "DROP TABLE d.t2",
            "INSERT INTO dd.a VALUES (2)",
            "DROP DATABASE dd",
            "CREATE DATABASE n",
            "CREATE TABLE n.t (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, \
             at DATETIME DEFAULT '2020-01-01 00:00:00')",
            "INSERT INTO n.t (id, name) VALUES (1, 'new'), (2, 'table')",
            "UPDATE n.t SET name = 'changed' WHERE id = 2",
            "CREATE TABLE d.like3 LIKE d.t3",
            "INSERT INTO d.like3 (id, v) VALUES (7, 70)",
            "CREATE TABLE d.ctas AS SELECT * FROM d.t3 WHERE id >= 2",
            "INSERT INTO d.ctas VALUES (9, 90, 'i')",
            "CREATE TABLE d.cs (id INT PRIMARY KEY, total BIGINT) SELECT id, v * 2 AS total FROM d.t3",
            "UPDATE d.cs SET total = total + 1 WHERE id = 1",
            "CREATE OR REPLACE TABLE d.t3 (id INT PRIMARY KEY, w VARCHAR(20))",
            "INSERT INTO d.t3 VALUES (1, 'replaced')",
            "CREATE TABLE d.t2 (id BIGINT PRIMARY KEY, note TEXT)",
            "INSERT INTO d.t2 VALUES (1, 'created again')",
            "CREATE TABLE d.brief (id INT PRIMARY KEY)",
            "INSERT INTO d.brief VALUES (1)",
            "DROP TABLE d.brief",
            "CREATE DATABASE dd",
            "CREATE TABLE dd.a (id INT PRIMARY KEY, again INT)",
            "INSERT INTO dd.a VALUES (10, 10)",
        ],
    )
    .await;
    sync(&s).await;
    assert_same(&db, dir.path(), "d", "t1", Some("id")).await;
    assert_same(&db, dir.path(), "d", "nokey", None).await;
    assert_not_copied(&t1, &entry(dir.path(), "d", "t1").unwrap());
    assert_not_copied(&nokey, &entry(dir.path(), "d", "nokey").unwrap());
    assert_same(&db, dir.path(), "d", "t2", Some("id")).await;
    assert_same(&db, dir.path(), "d", "t3", Some("id")).await;
    assert_same(&db, dir.path(), "d", "like3", Some("id")).await;
    assert_same(&db, dir.path(), "d", "ctas", None).await;
    assert_same(&db, dir.path(), "d", "cs", Some("id")).await;
    assert_same(&db, dir.path(), "n", "t", Some("id")).await;
    assert_same(&db, dir.path(), "dd", "a", Some("id")).await;
    assert_absent(dir.path(), "dd", "b");
    assert_absent(dir.path(), "d", "brief");
    let all = [
        "d.t1", "d.t2", "d.t3", "d.nokey", "d.like3", "d.ctas", "d.cs", "n.t", "dd.a",
    ];
    assert_all_streaming(dir.path(), &all);

    run(
        &db,
        &[
            "INSERT INTO d.t1 VALUES (5, 5)",
            "INSERT INTO d.ctas VALUES (10, 100, 'j')",
            "DELETE FROM d.ctas WHERE id = 2",
            "UPDATE d.t3 SET w = 'again' WHERE id = 1",
            "INSERT INTO n.t (id, name, at) VALUES (3, 'third', '2024-02-29 12:00:00')",
            "DROP TABLE IF EXISTS d.t2, d.never_existed",
        ],
    )
    .await;
    sync(&s).await;
    assert_same(&db, dir.path(), "d", "t1", Some("id")).await;
    assert_same(&db, dir.path(), "d", "ctas", None).await;
    assert_same(&db, dir.path(), "d", "t3", Some("id")).await;
    assert_same(&db, dir.path(), "n", "t", Some("id")).await;
    assert_absent(dir.path(), "d", "t2");
    assert_all_streaming(
        dir.path(),
        &[
            "d.t1", "d.t3", "d.nokey", "d.like3", "d.ctas", "d.cs", "n.t", "dd.a",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Online schema change tools, while writes continue
// ---------------------------------------------------------------------------------------

/// Keeps writing to `d.t` (inserts, updates, deletes; columns `id, v, s` only, so the
/// statements work before and after the swap) on its own connection until `stop` is set
/// and it has run at least `min` statements. Returns the statement count.
async fn spawn_writer(
    db: &MariaDb,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    min: usize,
) -> tokio::task::JoinHandle<usize> {
    let mut conn = db.root_conn().await;
    tokio::spawn(async move {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut i = 0usize;
        while i < min || !stop.load(Ordering::SeqCst) {
            let sql = match next(10) {
                0..=3 => format!(
                    "INSERT INTO d.t (id, v, s) VALUES ({}, {i}, 'w{i}') \
                     ON DUPLICATE KEY UPDATE v = v + 1000",
                    next(400) + 1
                ),
                4..=7 => format!(
                    "UPDATE d.t SET v = v + 1, s = 'u{i}' WHERE id = {}",
                    next(400) + 1
                ),
                8 => format!("DELETE FROM d.t WHERE id = {}", next(400) + 1),
                _ => format!(
                    "UPDATE IGNORE d.t SET id = {} WHERE id = {}",
                    next(400) + 401,
                    next(400) + 1
                ),
            };
            conn.query_drop(&sql)
                .await
                .unwrap_or_else(|e| panic!("writer: {sql}: {e}"));
            i += 1;
            done.store(i, Ordering::SeqCst);
            if i % 8 == 7 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        let _ = conn.disconnect().await;
        i
    })
}

/// A replica following the source (not stopping at its end) in a task of its own, as in
/// production: a copy it starts stays its job until done, no restart finishes it.
struct Live {
    task: tokio::task::JoinHandle<Result<(), replicant::replica::ReplicaError>>,
    dir: std::path::PathBuf,
}

impl Live {
    fn start(s: &RunSettings) -> Live {
        let settings = s.clone();
        Live {
            dir: s.data_dir.clone(),
            task: tokio::spawn(async move {
                replicant::replica::run_with(&settings, RunMode { stop_at_end: false }).await
            }),
        }
    }

    /// Waits until the replica has applied the source's whole binlog, no table is being
    /// copied, and `tables` (`(schema, table)`) have the source's definition.
    async fn caught_up(&self, db: &MariaDb, tables: &[(&str, &str)]) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            assert!(!self.task.is_finished(), "the live replica stopped");
            let (file, pos) = db.current_position().await;
            let store = Store::open_read_only(&self.dir).unwrap();
            let snap = Snapshot::new(&store).unwrap();
            let at_end = snap
                .position
                .as_ref()
                .is_some_and(|p| p.file == file && p.pos == pos);
            let copying: Vec<String> = snap
                .catalog
                .tables()
                .filter(|t| !t.is_served())
                .map(|t| format!("{} {:?}", t.qualified_name(), t.state))
                .collect();
            drop(snap);
            drop(store);
            let mut problem = None;
            if !at_end {
                problem = Some(format!("not at the source's end {file}:{pos}"));
            } else if !copying.is_empty() {
                problem = Some(format!("still copying: {copying:?}"));
            } else {
                for (schema, table) in tables {
                    if let Err(e) = definition_matches(db, &self.dir, schema, table).await {
                        problem = Some(e);
                        break;
                    }
                }
            }
            let Some(problem) = problem else { return };
            assert!(
                std::time::Instant::now() < deadline,
                "the live replica did not catch up within 60 s: {problem}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the replica and waits until its data directory can be opened again.
    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
        for _ in 0..200 {
            if Store::open(&self.dir, replicant::store::Durability::Buffered).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the stopped replica still holds {:?}", self.dir);
    }
}

async fn wait_for(done: &AtomicUsize, at_least: usize) {
    while done.load(Ordering::SeqCst) < at_least {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn step(conn: &mut mysql_async::Conn, sql: String) {
    conn.query_drop(&sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    GhOst,
    PtOsc,
}

async fn online_schema_change(tool: Tool, tables: &str) {
    let db = MariaDb::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut fixture = vec![
        "CREATE DATABASE d".to_string(),
        "CREATE TABLE d.t (id INT PRIMARY KEY, v INT, s VARCHAR(20))".to_string(),
        "CREATE TABLE d.other (id INT PRIMARY KEY)".to_string(),
        "INSERT INTO d.other VALUES (1)".to_string(),
    ];
    for chunk in 0..4 {
        let values: Vec<String> = (1..=100)
            .map(|i| {
                let id = chunk * 100 + i;
                format!("({id}, {id}, 's{id}')")
            })
            .collect();
        fixture.push(format!("INSERT INTO d.t VALUES {}", values.join(", ")));
    }
    let refs: Vec<&str> = fixture.iter().map(String::as_str).collect();
    run(&db, &refs).await;
    let s = settings(&db, dir.path(), tables);
    sync(&s).await;
    assert_same(&db, dir.path(), "d", "t", Some("id")).await;

    let stop_writer = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let writer = spawn_writer(&db, stop_writer.clone(), done.clone(), 300).await;
    let live = Live::start(&s);
    let (ghost, old) = match tool {
        Tool::GhOst => ("_t_gho", "_t_del"),
        Tool::PtOsc => ("_t_new", "_t_old"),
    };
    let mut conn = db.root_conn().await;
    wait_for(&done, 40).await;
    step(&mut conn, format!("CREATE TABLE d.{ghost} LIKE d.t")).await;
    step(
        &mut conn,
        format!("ALTER TABLE d.{ghost} ADD COLUMN extra INT DEFAULT 7"),
    )
    .await;
    if tool == Tool::PtOsc {
        step(
            &mut conn,
            format!(
                "CREATE TRIGGER d.pt_osc_d_t_del AFTER DELETE ON d.t FOR EACH ROW \
             DELETE IGNORE FROM d.{ghost} WHERE d.{ghost}.id <=> OLD.id"
            ),
        )
        .await;
        step(
            &mut conn,
            format!(
                "CREATE TRIGGER d.pt_osc_d_t_upd AFTER UPDATE ON d.t FOR EACH ROW BEGIN \
             DELETE IGNORE FROM d.{ghost} WHERE !(OLD.id <=> NEW.id) AND d.{ghost}.id <=> OLD.id; \
             REPLACE INTO d.{ghost} (id, v, s) VALUES (NEW.id, NEW.v, NEW.s); END"
            ),
        )
        .await;
        step(
            &mut conn,
            format!(
                "CREATE TRIGGER d.pt_osc_d_t_ins AFTER INSERT ON d.t FOR EACH ROW \
             REPLACE INTO d.{ghost} (id, v, s) VALUES (NEW.id, NEW.v, NEW.s)"
            ),
        )
        .await;
    }
    // The row copy, in key ranges, while the writer keeps going.
    for (lo, hi) in [(0, 200), (201, 400), (401, 600), (601, 800)] {
        let copied = done.load(Ordering::SeqCst);
        step(
            &mut conn,
            format!(
                "INSERT IGNORE INTO d.{ghost} (id, v, s) SELECT id, v, s FROM d.t \
             FORCE INDEX (PRIMARY) WHERE id BETWEEN {lo} AND {hi} LOCK IN SHARE MODE"
            ),
        )
        .await;
        wait_for(&done, copied + 20).await;
    }
    step(
        &mut conn,
        format!("RENAME TABLE d.t TO d.{old}, d.{ghost} TO d.t"),
    )
    .await;
    let swapped = done.load(Ordering::SeqCst);
    step(&mut conn, format!("DROP TABLE d.{old}")).await;
    // Writes continue on the new table.
    wait_for(&done, swapped + 60).await;
    stop_writer.store(true, Ordering::SeqCst);
    let statements = writer.await.unwrap();
    assert!(statements >= 300, "writer ran {statements} statements");

    live.caught_up(&db, &[("d", "t")]).await;
    assert_same(&db, dir.path(), "d", "t", Some("id")).await;
    let columns: Vec<String> = source_columns(&db, "d", "t")
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(columns, ["id", "v", "s", "extra"]);
    assert_absent(dir.path(), "d", ghost);
    assert_absent(dir.path(), "d", old);
    let expected: &[&str] = if tables == "d.t" {
        &["d.t"]
    } else {
        &["d.other", "d.t"]
    };
    assert_all_streaming(dir.path(), expected);
    live.stop().await;

    // And it keeps following afterwards.
    run(
        &db,
        &[
            "INSERT INTO d.t (id, v, s, extra) VALUES (5000, 1, 'after', 8)",
            "UPDATE d.t SET extra = extra + 1 WHERE id < 50",
        ],
    )
    .await;
    sync(&s).await;
    assert_same(&db, dir.path(), "d", "t", Some("id")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gh_ost_with_the_ghost_table_replicated() {
    online_schema_change(Tool::GhOst, "d.*").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gh_ost_with_the_ghost_table_not_replicated() {
    online_schema_change(Tool::GhOst, "d.t").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pt_online_schema_change_with_the_new_table_replicated() {
    online_schema_change(Tool::PtOsc, "d.*").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pt_online_schema_change_with_the_new_table_not_replicated() {
    online_schema_change(Tool::PtOsc, "d.t").await;
}
