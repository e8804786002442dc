//! Shared test fixtures: a table per MySQL type family with edge values, and the
//! source's rows as the text protocol returns them — the oracle the differential tests
//! (binlog stream, snapshot) compare against.

use mysql_async::prelude::Queryable;

use crate::MariaDb;

/// A row as the text protocol shows it: one `Option<bytes>` per column.
pub type TextRow = Vec<Option<Vec<u8>>>;

/// The source's rows of `table` as the text protocol sends them, sorted.
pub async fn source_rows(db: &MariaDb, table: &str) -> Vec<TextRow> {
    let mut out = source_query(db, &format!("SELECT * FROM {table}")).await;
    out.sort();
    out
}

/// The source's rows of a query (session time zone UTC), as the text protocol sends
/// them, in the order returned.
pub async fn source_query(db: &MariaDb, sql: &str) -> Vec<TextRow> {
    let mut conn = db.root_conn().await;
    conn.query_drop("SET time_zone = '+00:00'").await.unwrap();
    let rows: Vec<mysql_async::Row> = conn
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter()
        .map(|r| {
            r.unwrap()
                .into_iter()
                .map(|v| match v {
                    mysql_async::Value::NULL => None,
                    mysql_async::Value::Bytes(b) => Some(b),
                    other => panic!("text protocol returned {other:?}"),
                })
                .collect()
        })
        .collect()
}

/// Runs statements as root in one session (time zone UTC), panicking with the statement
/// that failed.
pub async fn run_statements(db: &MariaDb, statements: &[&str]) {
    let mut conn = db.root_conn().await;
    conn.query_drop("SET time_zone = '+00:00'").await.unwrap();
    for s in statements {
        conn.query_drop(*s)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

/// A cell for assertion messages: text when printable, else hex; long values shortened.
pub fn show(cell: &Option<Vec<u8>>) -> String {
    match cell {
        None => "NULL".into(),
        Some(b) => {
            let head = &b[..b.len().min(40)];
            let more = if b.len() > 40 {
                format!("… ({} bytes)", b.len())
            } else {
                String::new()
            };
            match std::str::from_utf8(head) {
                Ok(s) if !s.chars().any(|c| c.is_control()) => format!("{s:?}{more}"),
                _ => format!(
                    "0x{}{more}",
                    head.iter().map(|x| format!("{x:02X}")).collect::<String>()
                ),
            }
        }
    }
}

/// Type families with edge values. Each statement list runs as root with time_zone UTC.
pub const TYPE_TABLES: &[(&str, &str, &[&str])] = &[
    (
        "integers",
        "id INT PRIMARY KEY, t TINYINT, tu TINYINT UNSIGNED, s SMALLINT, su SMALLINT UNSIGNED, \
         m MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, b BIGINT, bu BIGINT UNSIGNED",
        &[
            "INSERT INTO integers VALUES (1,-128,0,-32768,0,-8388608,0,-2147483648,0,-9223372036854775808,0), \
             (2,127,255,32767,65535,8388607,16777215,2147483647,4294967295,9223372036854775807,18446744073709551615), \
             (3,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL), (4,0,1,-1,2,-3,4,-5,6,-7,8)",
            "UPDATE integers SET t = t - 1, bu = bu - 1 WHERE id = 2",
            "DELETE FROM integers WHERE id = 4",
        ],
    ),
    (
        "decimals",
        "id INT PRIMARY KEY, d65 DECIMAL(65,30), d10 DECIMAL(10,0), d52 DECIMAL(5,2), du DECIMAL(12,4) UNSIGNED",
        &[
            "INSERT INTO decimals VALUES \
             (1, 99999999999999999999999999999999999.999999999999999999999999999999, 9999999999, 999.99, 99999999.9999), \
             (2, -99999999999999999999999999999999999.999999999999999999999999999999, -9999999999, -999.99, 0), \
             (3, 0, 0, 0, 0), (4, -0.000000000000000000000000000001, 1, -0.01, 0.0001), \
             (5, 12345678901234567890.123456789012345678901234567890, -123456789, 1.5, 1234.5678), \
             (6, NULL, NULL, NULL, NULL)",
        ],
    ),
    (
        "floats",
        "id INT PRIMARY KEY, f FLOAT, d DOUBLE",
        &[
            "INSERT INTO floats VALUES (1, 3.14159274, 0.1), (2, 1e30, 1e100), (3, 1.5e-7, 1.7976931348623157e308), \
             (4, 123456789, 1e15), (5, -0.000123, -1e-5), (6, 100000, 123456789012345678), (7, 1e-40, 5e-324), \
             (8, -3.4e38, -2.2250738585072014e-308), (9, NULL, NULL), (10, 0.5, 1234567.125)",
        ],
    ),
    (
        "bits",
        "id INT PRIMARY KEY, b1 BIT(1), b10 BIT(10), b64 BIT(64)",
        &["INSERT INTO bits VALUES (1, b'1', b'1111111111', b'1111111111111111111111111111111111111111111111111111111111111111'), \
           (2, b'0', b'0000000001', b'1000000000000000000000000000000000000000000000000000000000000000'), (3, NULL, NULL, NULL)"],
    ),
    (
        "temporals",
        "id INT PRIMARY KEY, y YEAR, d DATE, t TIME, t1 TIME(1), t2 TIME(2), t3 TIME(3), t6 TIME(6), \
         dt DATETIME, dt6 DATETIME(6), ts TIMESTAMP NULL, ts6 TIMESTAMP(6) NULL",
        &[
            "SET SESSION sql_mode = 'ALLOW_INVALID_DATES'",
            "INSERT INTO temporals VALUES \
             (1, 0, '0000-00-00', '-838:59:59', '-00:00:01.5', '-00:00:00.01', '-00:00:00.001', '-838:59:58.999999', \
              '0000-00-00 00:00:00', '1000-01-01 00:00:00.000001', '1970-01-01 00:00:01', '1970-01-01 00:00:01.000001'), \
             (2, 2155, '9999-12-31', '838:59:59', '838:59:59.9', '-12:34:56.78', '00:00:00.500', '-00:00:00.000001', \
              '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07', '2038-01-19 03:14:07.999999'), \
             (3, 1901, '2020-06-01', '00:00:00', '-01:00:00.1', '10:00:00.99', '-00:00:01.999', '23:59:59.123456', \
              '2020-06-01 12:00:00', '2020-06-01 12:00:00.5', '2020-06-01 12:00:00', '2020-06-01 12:00:00.654321'), \
             (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
            "UPDATE temporals SET t1 = '-00:00:00.1', ts = '0000-00-00 00:00:00' WHERE id = 3",
        ],
    ),
    (
        "strings",
        "id INT PRIMARY KEY, c CHAR(10), v VARCHAR(300), tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT, \
         cl CHAR(5) CHARACTER SET latin1, vl VARCHAR(20) CHARACTER SET latin1, v8 VARCHAR(10) CHARACTER SET utf8mb3",
        &[
            "INSERT INTO strings VALUES \
             (1, 'abc', 'multibyte 日本語 🎉', '', 'text', 'medium', REPEAT('long ', 20000), 'é€', 'Ærø', 'ß'), \
             (2, '', '', NULL, '', '', '', '', '', ''), \
             (3, 'a\\'b\"c', REPEAT('x', 300), 'tab\there', 'line\nbreak', 'pipe|delim', 'back\\\\slash', 'x', 'ÿ', 'ok'), \
             (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
            "UPDATE strings SET v = 'changed ✓' WHERE id = 2",
        ],
    ),
    (
        "binaries",
        "id INT PRIMARY KEY, b BINARY(4), vb VARBINARY(10), tb TINYBLOB, bl BLOB, mb MEDIUMBLOB, lb LONGBLOB",
        &["INSERT INTO binaries VALUES \
           (1, 0xFF00, 0xC328FF, 0x00, 0xDEADBEEF, X'', REPEAT(0xFE, 70000)), \
           (2, 'ab', '', '', '', NULL, 0x80818283), (3, NULL, NULL, NULL, NULL, NULL, NULL), \
           (4, 0x00000000, 0x00, 0xFFFFFFFF, 0x0A0D, 0x7C, 0x22)"],
    ),
    (
        "enums",
        "id INT PRIMARY KEY, e ENUM('a','b','é'), s SET('x','y','z'), el ENUM('one','two') CHARACTER SET latin1",
        &["INSERT INTO enums VALUES (1, 'a', 'x,z', 'one'), (2, 'é', '', 'two'), (3, NULL, NULL, NULL), (4, 'b', 'x,y,z', 'one')"],
    ),
    (
        "jsons",
        "id INT PRIMARY KEY, j JSON",
        &["INSERT INTO jsons VALUES (1, '{\"a\": [1, 2.5, {\"b\": null}], \"c\": \"ü\"}'), (2, '[]'), (3, NULL), (4, '\"s\"')",
          "UPDATE jsons SET j = JSON_SET(j, '$.a[0]', 10) WHERE id = 1"],
    ),
    (
        "geoms",
        "id INT PRIMARY KEY, g GEOMETRY, p POINT",
        &["INSERT INTO geoms VALUES (1, ST_GeomFromText('LINESTRING(0 0,1 1,2 2)'), ST_GeomFromText('POINT(1.5 -2)')), (2, NULL, NULL)"],
    ),
    (
        "nopk",
        "id INT, status VARCHAR(20), ts DATETIME",
        &[
            "INSERT INTO nopk VALUES (1,'Backordered','2020-06-01 12:00:00'), (1,'Backordered','2020-06-01 12:00:00'), (2,'Shipped',NULL)",
            "UPDATE nopk SET status = 'Done' WHERE id = 1 LIMIT 1",
            "DELETE FROM nopk WHERE id = 2",
        ],
    ),
];
