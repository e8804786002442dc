//! Differential check of `store::keys` against a live MariaDB: for each key type, a few
//! hundred random keys go into a table with that primary key, and the order of
//! `SELECT … ORDER BY pk` must be the bytewise order of our encodings (strictly increasing,
//! since primary keys are unique: no two source keys may share an encoding). For the
//! approximated UCA collation only the "no collision" half is checked. A second test
//! checks the `general_ci` weight table against `WEIGHT_STRING()` for every BMP code point.

use std::sync::Arc;

use integration::MariaDb;
use replicant::source::table::{types, ColumnInfo};
use replicant::source::value::{Date, DateTime, Time, Timestamp, Value};
use replicant::store::keys::{encode_key, general_ci_weight, order_is_exact};

use replicant::testing::XorShift as Rng;

fn col(column_type: u8, meta: u16, unsigned: bool, collation: Option<u16>) -> ColumnInfo {
    ColumnInfo {
        name: Some("pk".into()),
        column_type,
        meta,
        unsigned,
        collation,
        nullable: false,
        labels: None::<Arc<Vec<Vec<u8>>>>,
        visible: true,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn rand_text(r: &mut Rng, alphabet: &[&str]) -> String {
    (0..r.below(8))
        .map(|_| alphabet[r.below(alphabet.len() as u64) as usize])
        .collect()
}

const UTF8_ALPHABET: &[&str] = &[
    "a", "A", "b", "B", " ", "\t", "é", "E", "e", "ß", "s", "S", "ÿ", "y", "😀", "~", "Ж", "ж",
    "æ", "\u{1}",
];
const LATIN1_ALPHABET: &[&str] = &[
    "a", "A", "e", "E", "é", "É", "ä", "Ä", "ü", "Ü", "y", "Y", " ", "\t", "ß", "s",
];

fn parse_date(s: &str) -> Date {
    let p: Vec<u32> = s.split('-').map(|x| x.parse().unwrap()).collect();
    Date {
        year: p[0] as u16,
        month: p[1] as u8,
        day: p[2] as u8,
    }
}

fn parse_micros(s: Option<&str>) -> u32 {
    s.map_or(0, |f| format!("{f:0<6}").parse().unwrap())
}

/// One key type: its column definition, how to make a random literal, what to select
/// (`pk` text, or an expression giving raw bytes / numbers) and how to turn that into a
/// `Value`.
struct Case {
    name: &'static str,
    ddl: &'static str,
    col: ColumnInfo,
    literal: fn(&mut Rng) -> String,
    select: &'static str,
    parse: fn(&str) -> Value,
}

fn cases(ids: &dyn Fn(&str) -> u16) -> Vec<Case> {
    let string_case = |name, ddl, coll: &str, t: u8, literal: fn(&mut Rng) -> String| Case {
        name,
        ddl,
        col: col(t, 80, false, Some(ids(coll))),
        literal,
        select: "HEX(pk)",
        parse: |s| Value::Bytes(unhex(s)),
    };
    vec![
        Case {
            name: "int",
            ddl: "INT",
            col: col(types::LONG, 0, false, None),
            literal: |r| (r.bits() as i32 >> r.below(31)).to_string(),
            select: "pk",
            parse: |s| Value::Int(s.parse().unwrap()),
        },
        Case {
            name: "bigint_unsigned",
            ddl: "BIGINT UNSIGNED",
            col: col(types::LONGLONG, 0, true, None),
            literal: |r| (r.bits() >> r.below(64)).to_string(),
            select: "pk",
            parse: |s| Value::UInt(s.parse().unwrap()),
        },
        Case {
            name: "decimal",
            ddl: "DECIMAL(20,6)",
            col: col(types::NEWDECIMAL, 6 << 8 | 20, false, None),
            literal: |r| {
                let sign = if r.below(2) == 0 { "-" } else { "" };
                format!(
                    "{sign}{}.{:06}",
                    r.bits() % 10u64.pow(r.below(15) as u32 + 1),
                    r.below(1_000_000)
                )
            },
            select: "pk",
            parse: |s| Value::Decimal(s.into()),
        },
        Case {
            name: "double",
            ddl: "DOUBLE",
            col: col(types::DOUBLE, 8, false, None),
            literal: |r| {
                let sign = if r.below(2) == 0 { "-" } else { "" };
                format!("{sign}{}e{}", r.below(100_000), r.below(40) as i64 - 20)
            },
            select: "pk",
            parse: |s| Value::Double(s.parse().unwrap()),
        },
        Case {
            name: "year",
            ddl: "YEAR",
            col: col(types::YEAR, 0, false, None),
            literal: |r| (1901 + r.below(255)).to_string(),
            select: "pk",
            parse: |s| Value::Year(s.parse().unwrap()),
        },
        Case {
            name: "date",
            ddl: "DATE",
            col: col(types::DATE, 0, false, None),
            literal: |r| {
                format!(
                    "'{:04}-{:02}-{:02}'",
                    1 + r.below(9999),
                    1 + r.below(12),
                    1 + r.below(28)
                )
            },
            select: "pk",
            parse: |s| Value::Date(parse_date(s)),
        },
        Case {
            name: "time",
            ddl: "TIME(6)",
            col: col(types::TIME2, 6, false, None),
            literal: |r| {
                let sign = if r.below(2) == 0 { "-" } else { "" };
                format!(
                    "'{sign}{}:{:02}:{:02}.{:06}'",
                    r.below(839),
                    r.below(60),
                    r.below(60),
                    r.below(1_000_000)
                )
            },
            select: "pk",
            parse: |s| {
                let (negative, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
                let (hms, frac) = s.split_once('.').map_or((s, None), |(a, b)| (a, Some(b)));
                let p: Vec<u32> = hms.split(':').map(|x| x.parse().unwrap()).collect();
                Value::Time(Time {
                    negative,
                    hours: p[0],
                    minutes: p[1] as u8,
                    seconds: p[2] as u8,
                    micros: parse_micros(frac),
                    fsp: 6,
                })
            },
        },
        Case {
            name: "datetime",
            ddl: "DATETIME(6)",
            col: col(types::DATETIME2, 6, false, None),
            literal: |r| {
                format!(
                    "'{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}'",
                    1000 + r.below(9000),
                    1 + r.below(12),
                    1 + r.below(28),
                    r.below(24),
                    r.below(60),
                    r.below(60),
                    r.below(1_000_000)
                )
            },
            select: "pk",
            parse: |s| {
                let (d, t) = s.split_once(' ').unwrap();
                let (hms, frac) = t.split_once('.').map_or((t, None), |(a, b)| (a, Some(b)));
                let p: Vec<u8> = hms.split(':').map(|x| x.parse().unwrap()).collect();
                Value::DateTime(DateTime {
                    date: parse_date(d),
                    hour: p[0],
                    minute: p[1],
                    second: p[2],
                    micros: parse_micros(frac),
                    fsp: 6,
                })
            },
        },
        Case {
            name: "timestamp",
            ddl: "TIMESTAMP(3)",
            col: col(types::TIMESTAMP2, 3, false, None),
            literal: |r| {
                format!(
                    "FROM_UNIXTIME({}.{:03})",
                    1 + r.below(2_000_000_000),
                    r.below(1000)
                )
            },
            select: "UNIX_TIMESTAMP(pk)",
            parse: |s| {
                let (secs, frac) = s.split_once('.').map_or((s, None), |(a, b)| (a, Some(b)));
                Value::Timestamp(Timestamp {
                    seconds: secs.parse().unwrap(),
                    micros: parse_micros(frac),
                    fsp: 3,
                })
            },
        },
        Case {
            name: "bit",
            ddl: "BIT(16)",
            col: col(types::BIT, 2 << 8, false, None),
            literal: |r| format!("b'{:b}'", r.below(65536)),
            select: "pk + 0",
            parse: |s| Value::Bit {
                bits: s.parse().unwrap(),
                width: 16,
            },
        },
        Case {
            name: "enum",
            ddl: "ENUM('m','b','z','a')",
            col: col(types::ENUM, 1, false, Some(45)),
            literal: |r| format!("'{}'", ["m", "b", "z", "a"][r.below(4) as usize]),
            select: "pk + 0",
            parse: |s| Value::Enum(s.parse().unwrap()),
        },
        Case {
            name: "set",
            ddl: "SET('m','b','z','a')",
            col: col(types::SET, 1, false, Some(45)),
            literal: |r| format!("{}", r.below(16)),
            select: "pk + 0",
            parse: |s| Value::Set(s.parse().unwrap()),
        },
        Case {
            name: "varbinary",
            ddl: "VARBINARY(20)",
            col: col(types::VARCHAR, 20, false, Some(63)),
            literal: |r| {
                let b: Vec<u8> = (0..r.below(6))
                    .map(|_| [0u8, 1, 0x20, 0x61, 0xff][r.below(5) as usize])
                    .collect();
                format!("X'{}'", hex(&b))
            },
            select: "HEX(pk)",
            parse: |s| Value::Bytes(unhex(s)),
        },
        string_case(
            "utf8mb4_general_ci",
            "VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
            "utf8mb4_general_ci",
            types::VARCHAR,
            |r| {
                format!(
                    "_utf8mb4 X'{}'",
                    hex(rand_text(r, UTF8_ALPHABET).as_bytes())
                )
            },
        ),
        string_case(
            "char_general_ci",
            "CHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
            "utf8mb4_general_ci",
            types::STRING,
            |r| {
                format!(
                    "_utf8mb4 X'{}'",
                    hex(rand_text(r, UTF8_ALPHABET).as_bytes())
                )
            },
        ),
        string_case(
            "utf8mb4_general_nopad_ci",
            "VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_nopad_ci",
            "utf8mb4_general_nopad_ci",
            types::VARCHAR,
            |r| {
                format!(
                    "_utf8mb4 X'{}'",
                    hex(rand_text(r, UTF8_ALPHABET).as_bytes())
                )
            },
        ),
        string_case(
            "utf8mb3_general_ci",
            "VARCHAR(20) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci",
            "utf8mb3_general_ci",
            types::VARCHAR,
            |r| {
                format!(
                    "_utf8mb4 X'{}'",
                    hex(rand_text(r, &UTF8_ALPHABET[..14]).as_bytes())
                )
            },
        ),
        string_case(
            "utf8mb4_bin",
            "VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
            "utf8mb4_bin",
            types::VARCHAR,
            |r| {
                format!(
                    "_utf8mb4 X'{}'",
                    hex(rand_text(r, UTF8_ALPHABET).as_bytes())
                )
            },
        ),
        string_case(
            "utf8mb4_nopad_bin",
            "VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin",
            "utf8mb4_nopad_bin",
            types::VARCHAR,
            |r| {
                format!(
                    "_utf8mb4 X'{}'",
                    hex(rand_text(r, UTF8_ALPHABET).as_bytes())
                )
            },
        ),
        string_case(
            "latin1_swedish_ci",
            "VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci",
            "latin1_swedish_ci",
            types::VARCHAR,
            |r| {
                format!(
                    "_utf8mb4 X'{}'",
                    hex(rand_text(r, LATIN1_ALPHABET).as_bytes())
                )
            },
        ),
        string_case(
            "latin1_general_ci",
            "VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_general_ci",
            "latin1_general_ci",
            types::VARCHAR,
            |r| {
                format!(
                    "_utf8mb4 X'{}'",
                    hex(rand_text(r, LATIN1_ALPHABET).as_bytes())
                )
            },
        ),
        string_case(
            "utf8mb4_unicode_ci",
            "VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            "utf8mb4_unicode_ci",
            types::VARCHAR,
            |r| {
                format!(
                    "_utf8mb4 X'{}'",
                    hex(rand_text(r, UTF8_ALPHABET).as_bytes())
                )
            },
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_encoding_sorts_like_order_by() {
    let db = MariaDb::start().await;
    db.exec("CREATE DATABASE k").await;
    let ids_rows = db
        .query_text("SELECT COLLATION_NAME, ID FROM information_schema.COLLATIONS")
        .await;
    let ids = |name: &str| -> u16 {
        ids_rows
            .iter()
            .find(|r| r[0].as_deref() == Some(name))
            .and_then(|r| r[1].as_deref())
            .unwrap_or_else(|| panic!("collation {name} unknown"))
            .parse()
            .unwrap()
    };
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut failures = Vec::new();
    for case in cases(&ids) {
        let table = format!("k.t_{}", case.name);
        db.exec(&format!(
            "CREATE TABLE {table} (pk {} NOT NULL PRIMARY KEY)",
            case.ddl
        ))
        .await;
        let literals: Vec<String> = (0..300).map(|_| (case.literal)(&mut rng)).collect();
        db.exec(&format!(
            "INSERT IGNORE INTO {table} VALUES ({})",
            literals.join("),(")
        ))
        .await;
        let rows = db
            .query_text(&format!("SELECT {} FROM {table} ORDER BY pk", case.select))
            .await;
        assert!(rows.len() > 3, "{}: only {} rows", case.name, rows.len());
        let keys: Vec<(Vec<u8>, String)> = rows
            .iter()
            .map(|r| {
                let text = r[0].clone().unwrap();
                let value = (case.parse)(&text);
                let mut k = Vec::new();
                encode_key(&mut k, &[(&case.col, &value)])
                    .unwrap_or_else(|e| panic!("{}: {text}: {e}", case.name));
                (k, text)
            })
            .collect();
        if order_is_exact(&case.col) {
            for w in keys.windows(2) {
                if w[0].0 >= w[1].0 {
                    failures.push(format!(
                        "{}: {:?} then {:?} in ORDER BY, keys {:02x?} >= {:02x?}",
                        case.name, w[0].1, w[1].1, w[0].0, w[1].0
                    ));
                }
            }
        } else {
            let mut sorted: Vec<&Vec<u8>> = keys.iter().map(|k| &k.0).collect();
            sorted.sort();
            sorted.dedup();
            if sorted.len() != keys.len() {
                failures.push(format!(
                    "{}: {} source keys share encodings",
                    case.name,
                    keys.len() - sorted.len()
                ));
            }
        }
        eprintln!("{}: {} keys checked", case.name, keys.len());
    }
    // Composite (INT, VARCHAR general_ci).
    db.exec("CREATE TABLE k.comp (a INT, b VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, PRIMARY KEY (a, b))").await;
    let literals: Vec<String> = (0..300)
        .map(|_| {
            format!(
                "{}, _utf8mb4 X'{}'",
                rng.below(4) as i64 - 2,
                hex(rand_text(&mut rng, UTF8_ALPHABET).as_bytes())
            )
        })
        .collect();
    db.exec(&format!(
        "INSERT IGNORE INTO k.comp VALUES ({})",
        literals.join("),(")
    ))
    .await;
    let a = col(types::LONG, 0, false, None);
    let b = col(types::VARCHAR, 80, false, Some(ids("utf8mb4_general_ci")));
    let rows = db
        .query_text("SELECT a, HEX(b) FROM k.comp ORDER BY a, b")
        .await;
    let keys: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| {
            let mut k = Vec::new();
            let va = Value::Int(r[0].as_deref().unwrap().parse().unwrap());
            let vb = Value::Bytes(unhex(r[1].as_deref().unwrap()));
            encode_key(&mut k, &[(&a, &va), (&b, &vb)]).unwrap();
            k
        })
        .collect();
    for (i, w) in keys.windows(2).enumerate() {
        if w[0] >= w[1] {
            failures.push(format!(
                "composite: rows {:?} then {:?}",
                rows[i],
                rows[i + 1]
            ));
        }
    }
    eprintln!("composite: {} keys checked", keys.len());
    assert!(
        failures.is_empty(),
        "{} order mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn general_ci_weights_match_weight_string() {
    let db = MariaDb::start().await;
    let rows = db
        .query_text(
            "SELECT seq, HEX(WEIGHT_STRING(CONVERT(CHAR(seq USING utf32) USING utf8mb4) COLLATE utf8mb4_general_ci)) \
             FROM mysql.seq_0_to_65535 WHERE seq NOT BETWEEN 55296 AND 57343",
        )
        .await;
    assert_eq!(rows.len(), 65536 - 2048);
    let mut wrong = Vec::new();
    for r in &rows {
        let cp: u32 = r[0].as_deref().unwrap().parse().unwrap();
        let want = u16::from_str_radix(r[1].as_deref().unwrap(), 16).unwrap();
        let got = general_ci_weight(char::from_u32(cp).unwrap());
        if got != want {
            wrong.push(format!("U+{cp:04X}: ours {got:04X}, server {want:04X}"));
        }
    }
    let supp = db
        .query_value("SELECT HEX(WEIGHT_STRING(_utf8mb4 X'F09F9880' COLLATE utf8mb4_general_ci))")
        .await;
    assert_eq!(supp.as_deref(), Some("FFFD"));
    assert_eq!(general_ci_weight('😀'), 0xFFFD);
    assert!(
        wrong.is_empty(),
        "{} weights differ:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(40)].join("\n")
    );
}
