//! `information_schema`, MySQL-shaped: SCHEMATA, TABLES, COLUMNS, STATISTICS,
//! KEY_COLUMN_USAGE, TABLE_CONSTRAINTS, REFERENTIAL_CONSTRAINTS, ENGINES, CHARACTER_SETS,
//! COLLATIONS and the empty ROUTINES, VIEWS, PARAMETERS, TRIGGERS, EVENTS — DataFusion
//! tables built from one catalog version when a statement first names them, so any SQL
//! (joins, WHERE, ORDER BY) works over them. (DataFusion's own `information_schema` is
//! Postgres-shaped and stays disabled.)
//!
//! Column names are MySQL's upper-case ones, kept in the field metadata (`mysql.name`);
//! the Arrow field names are lower case like every table's, and table names are looked
//! up case-insensitively.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, Int64Builder, StringBuilder, UInt64Builder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::SchemaProvider;
use datafusion::common::DataFusionError;
use datafusion::datasource::{MemTable, TableProvider};
use datafusion::execution::context::SessionContext;

use super::charsets;
use super::classify::{lex, string_value, Kind};
use super::tabledef::{data_type, IndexKind, TableDef};
use super::types::{META_NAME, META_SCHEMA, META_TABLE, META_TYPE};
use crate::store::catalog::{Catalog, TableEntry};

/// The tables of `information_schema`, as `SHOW TABLES FROM information_schema` lists them.
pub const TABLE_NAMES: &[&str] = &[
    "CHARACTER_SETS",
    "COLLATIONS",
    "COLUMNS",
    "ENGINES",
    "EVENTS",
    "KEY_COLUMN_USAGE",
    "PARAMETERS",
    "REFERENTIAL_CONSTRAINTS",
    "ROUTINES",
    "SCHEMATA",
    "STATISTICS",
    "TABLES",
    "TABLE_CONSTRAINTS",
    "TRIGGERS",
    "VIEWS",
];

/// Column kinds of the metadata tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Text,
    UInt,
    Int,
}

/// A cell.
#[derive(Debug, Clone)]
enum C {
    T(Option<String>),
    U(Option<u64>),
    I(Option<i64>),
}

fn t(v: impl Into<String>) -> C {
    C::T(Some(v.into()))
}

fn tn(v: Option<String>) -> C {
    C::T(v)
}

fn u(v: u64) -> C {
    C::U(Some(v))
}

fn un(v: Option<u64>) -> C {
    C::U(v)
}

const NULL: C = C::T(None);

/// Registers the `information_schema` schema of `catalog` in catalog `def` of `ctx`.
pub fn register(ctx: &SessionContext, catalog: &Catalog) -> Result<(), DataFusionError> {
    let Some(def) = ctx.catalog(super::context::CATALOG) else {
        return Err(DataFusionError::Internal("catalog `def` is missing".into()));
    };
    def.register_schema("information_schema", schema_provider(catalog))?;
    Ok(())
}

/// The `information_schema` of one catalog version (the flavor is read from the stored
/// positions: MySQL GTID sets mean a MySQL source).
pub fn schema_provider(catalog: &Catalog) -> Arc<dyn SchemaProvider> {
    let mysql = catalog.tables().any(|t| {
        t.segments
            .iter()
            .any(|s| s.position.gtid_flavor.as_deref() == Some("mysql"))
    });
    Arc::new(InformationSchema {
        catalog: Arc::new(catalog.clone()),
        mariadb: !mysql,
        built: Mutex::new(Vec::new()),
    })
}

/// The schema provider.
#[derive(Debug)]
pub struct InformationSchema {
    catalog: Arc<Catalog>,
    mariadb: bool,
    built: Mutex<Vec<(&'static str, Arc<MemTable>)>>,
}

#[async_trait]
impl SchemaProvider for InformationSchema {
    fn table_names(&self) -> Vec<String> {
        TABLE_NAMES.iter().map(|n| n.to_ascii_lowercase()).collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        let Some(canonical) = TABLE_NAMES.iter().find(|n| n.eq_ignore_ascii_case(name)) else {
            return Err(super::context::sql_error(super::result::SqlError::new(
                1109,
                "42S02",
                format!("Unknown table '{name}' in information_schema"),
            )));
        };
        if let Ok(built) = self.built.lock() {
            if let Some((_, t)) = built.iter().find(|(n, _)| n == canonical) {
                return Ok(Some(t.clone()));
            }
        }
        let (cols, rows) = self.rows(canonical);
        let table = Arc::new(mem_table(canonical, &cols, rows)?);
        if let Ok(mut built) = self.built.lock() {
            built.push((canonical, table.clone()));
        }
        Ok(Some(table))
    }

    fn table_exist(&self, name: &str) -> bool {
        TABLE_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

fn mem_table(
    table: &str,
    cols: &[(&str, K)],
    rows: Vec<Vec<C>>,
) -> Result<MemTable, DataFusionError> {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(name, kind)| {
            let (dt, code) = match kind {
                K::Text => (DataType::Utf8, "253"),
                K::UInt => (DataType::UInt64, "8"),
                K::Int => (DataType::Int64, "8"),
            };
            let meta = [
                (META_NAME.to_string(), name.to_string()),
                (META_TYPE.to_string(), code.to_string()),
                (META_SCHEMA.to_string(), "information_schema".to_string()),
                (META_TABLE.to_string(), table.to_string()),
            ]
            .into_iter()
            .collect();
            Field::new(name.to_ascii_lowercase(), dt, true).with_metadata(meta)
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(cols.len());
    for (i, (_, kind)) in cols.iter().enumerate() {
        let cells = rows.iter().map(|r| r.get(i));
        let array: ArrayRef = match kind {
            K::Text => {
                let mut b = StringBuilder::new();
                for c in cells {
                    match c {
                        Some(C::T(Some(s))) => b.append_value(s),
                        Some(C::U(Some(v))) => b.append_value(v.to_string()),
                        Some(C::I(Some(v))) => b.append_value(v.to_string()),
                        _ => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            K::UInt => {
                let mut b = UInt64Builder::new();
                for c in cells {
                    match c {
                        Some(C::U(Some(v))) => b.append_value(*v),
                        Some(C::I(Some(v))) => b.append_option(u64::try_from(*v).ok()),
                        _ => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            K::Int => {
                let mut b = Int64Builder::new();
                for c in cells {
                    match c {
                        Some(C::I(Some(v))) => b.append_value(*v),
                        Some(C::U(Some(v))) => b.append_option(i64::try_from(*v).ok()),
                        _ => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
        };
        arrays.push(array);
    }
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    MemTable::try_new(schema, vec![vec![batch]])
}

type Rows = (Vec<(&'static str, K)>, Vec<Vec<C>>);

fn text_only(names: &[&'static str]) -> Vec<(&'static str, K)> {
    names.iter().map(|n| (*n, K::Text)).collect()
}

impl InformationSchema {
    fn served(&self) -> Vec<&TableEntry> {
        let mut v: Vec<&TableEntry> = self.catalog.tables().filter(|t| t.is_served()).collect();
        v.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        v
    }

    fn rows(&self, table: &str) -> Rows {
        let m = self.mariadb;
        match table {
            "SCHEMATA" => self.schemata(),
            "TABLES" => self.tables(),
            "COLUMNS" => self.columns(),
            "STATISTICS" => self.statistics(),
            "KEY_COLUMN_USAGE" => self.key_column_usage(),
            "TABLE_CONSTRAINTS" => self.table_constraints(),
            "REFERENTIAL_CONSTRAINTS" => self.referential_constraints(),
            "ENGINES" => (
                text_only(&[
                    "ENGINE",
                    "SUPPORT",
                    "COMMENT",
                    "TRANSACTIONS",
                    "XA",
                    "SAVEPOINTS",
                ]),
                vec![vec![
                    t("InnoDB"),
                    t("DEFAULT"),
                    t("Replicated copy (read-only)"),
                    t("YES"),
                    t("NO"),
                    t("NO"),
                ]],
            ),
            "CHARACTER_SETS" => (
                vec![
                    ("CHARACTER_SET_NAME", K::Text),
                    ("DEFAULT_COLLATE_NAME", K::Text),
                    ("DESCRIPTION", K::Text),
                    ("MAXLEN", K::UInt),
                ],
                charsets::CHARSETS
                    .iter()
                    .map(|(n, d, l)| {
                        vec![
                            t(*n),
                            tn(charsets::default_collation(n, m).map(|c| c.name.to_string())),
                            t(*d),
                            u(u64::from(*l)),
                        ]
                    })
                    .collect(),
            ),
            "COLLATIONS" => (
                vec![
                    ("COLLATION_NAME", K::Text),
                    ("CHARACTER_SET_NAME", K::Text),
                    ("ID", K::UInt),
                    ("IS_DEFAULT", K::Text),
                    ("IS_COMPILED", K::Text),
                    ("SORTLEN", K::UInt),
                ],
                charsets::COLLATIONS
                    .iter()
                    .map(|c| {
                        let d =
                            charsets::default_collation(c.charset, m).is_some_and(|d| d.id == c.id);
                        vec![
                            t(c.name),
                            t(c.charset),
                            u(u64::from(c.id)),
                            t(if d { "Yes" } else { "" }),
                            t("Yes"),
                            u(1),
                        ]
                    })
                    .collect(),
            ),
            "ROUTINES" => (
                text_only(&[
                    "SPECIFIC_NAME",
                    "ROUTINE_CATALOG",
                    "ROUTINE_SCHEMA",
                    "ROUTINE_NAME",
                    "ROUTINE_TYPE",
                    "DATA_TYPE",
                    "CHARACTER_MAXIMUM_LENGTH",
                    "CHARACTER_OCTET_LENGTH",
                    "NUMERIC_PRECISION",
                    "NUMERIC_SCALE",
                    "DATETIME_PRECISION",
                    "CHARACTER_SET_NAME",
                    "COLLATION_NAME",
                    "DTD_IDENTIFIER",
                    "ROUTINE_BODY",
                    "ROUTINE_DEFINITION",
                    "EXTERNAL_NAME",
                    "EXTERNAL_LANGUAGE",
                    "PARAMETER_STYLE",
                    "IS_DETERMINISTIC",
                    "SQL_DATA_ACCESS",
                    "SQL_PATH",
                    "SECURITY_TYPE",
                    "CREATED",
                    "LAST_ALTERED",
                    "SQL_MODE",
                    "ROUTINE_COMMENT",
                    "DEFINER",
                    "CHARACTER_SET_CLIENT",
                    "COLLATION_CONNECTION",
                    "DATABASE_COLLATION",
                ]),
                vec![],
            ),
            "PARAMETERS" => (
                text_only(&[
                    "SPECIFIC_CATALOG",
                    "SPECIFIC_SCHEMA",
                    "SPECIFIC_NAME",
                    "ORDINAL_POSITION",
                    "PARAMETER_MODE",
                    "PARAMETER_NAME",
                    "DATA_TYPE",
                    "CHARACTER_MAXIMUM_LENGTH",
                    "CHARACTER_OCTET_LENGTH",
                    "NUMERIC_PRECISION",
                    "NUMERIC_SCALE",
                    "DATETIME_PRECISION",
                    "CHARACTER_SET_NAME",
                    "COLLATION_NAME",
                    "DTD_IDENTIFIER",
                    "ROUTINE_TYPE",
                ]),
                vec![],
            ),
            "VIEWS" => (
                text_only(&[
                    "TABLE_CATALOG",
                    "TABLE_SCHEMA",
                    "TABLE_NAME",
                    "VIEW_DEFINITION",
                    "CHECK_OPTION",
                    "IS_UPDATABLE",
                    "DEFINER",
                    "SECURITY_TYPE",
                    "CHARACTER_SET_CLIENT",
                    "COLLATION_CONNECTION",
                    "ALGORITHM",
                ]),
                vec![],
            ),
            "TRIGGERS" => (
                text_only(&[
                    "TRIGGER_CATALOG",
                    "TRIGGER_SCHEMA",
                    "TRIGGER_NAME",
                    "EVENT_MANIPULATION",
                    "EVENT_OBJECT_CATALOG",
                    "EVENT_OBJECT_SCHEMA",
                    "EVENT_OBJECT_TABLE",
                    "ACTION_ORDER",
                    "ACTION_CONDITION",
                    "ACTION_STATEMENT",
                    "ACTION_ORIENTATION",
                    "ACTION_TIMING",
                    "ACTION_REFERENCE_OLD_TABLE",
                    "ACTION_REFERENCE_NEW_TABLE",
                    "ACTION_REFERENCE_OLD_ROW",
                    "ACTION_REFERENCE_NEW_ROW",
                    "CREATED",
                    "SQL_MODE",
                    "DEFINER",
                    "CHARACTER_SET_CLIENT",
                    "COLLATION_CONNECTION",
                    "DATABASE_COLLATION",
                ]),
                vec![],
            ),
            _ => (
                text_only(&[
                    "EVENT_CATALOG",
                    "EVENT_SCHEMA",
                    "EVENT_NAME",
                    "DEFINER",
                    "TIME_ZONE",
                    "EVENT_BODY",
                    "EVENT_DEFINITION",
                    "EVENT_TYPE",
                    "EXECUTE_AT",
                    "INTERVAL_VALUE",
                    "INTERVAL_FIELD",
                    "SQL_MODE",
                    "STARTS",
                    "ENDS",
                    "STATUS",
                    "ON_COMPLETION",
                    "CREATED",
                    "LAST_ALTERED",
                    "LAST_EXECUTED",
                    "EVENT_COMMENT",
                    "ORIGINATOR",
                    "CHARACTER_SET_CLIENT",
                    "COLLATION_CONNECTION",
                    "DATABASE_COLLATION",
                ]),
                vec![],
            ),
        }
    }

    fn schemata(&self) -> Rows {
        let m = self.mariadb;
        let mut cols = text_only(&[
            "CATALOG_NAME",
            "SCHEMA_NAME",
            "DEFAULT_CHARACTER_SET_NAME",
            "DEFAULT_COLLATION_NAME",
            "SQL_PATH",
        ]);
        cols.push(if m {
            ("SCHEMA_COMMENT", K::Text)
        } else {
            ("DEFAULT_ENCRYPTION", K::Text)
        });
        let mut names = super::show::databases(&self.catalog);
        names.push("information_schema".into());
        names.sort();
        let coll = charsets::default_collation("utf8mb4", m)
            .map(|c| c.name)
            .unwrap_or("utf8mb4_general_ci");
        let rows = names
            .into_iter()
            .map(|n| {
                let (cs, co) = if n == "information_schema" {
                    ("utf8mb3", "utf8mb3_general_ci")
                } else {
                    ("utf8mb4", coll)
                };
                vec![
                    t("def"),
                    t(n),
                    t(cs),
                    t(co),
                    NULL,
                    t(if m { "" } else { "NO" }),
                ]
            })
            .collect();
        (cols, rows)
    }

    fn tables(&self) -> Rows {
        let m = self.mariadb;
        let mut cols = vec![
            ("TABLE_CATALOG", K::Text),
            ("TABLE_SCHEMA", K::Text),
            ("TABLE_NAME", K::Text),
            ("TABLE_TYPE", K::Text),
            ("ENGINE", K::Text),
            ("VERSION", K::UInt),
            ("ROW_FORMAT", K::Text),
            ("TABLE_ROWS", K::UInt),
            ("AVG_ROW_LENGTH", K::UInt),
            ("DATA_LENGTH", K::UInt),
            ("MAX_DATA_LENGTH", K::UInt),
            ("INDEX_LENGTH", K::UInt),
            ("DATA_FREE", K::UInt),
            ("AUTO_INCREMENT", K::UInt),
            ("CREATE_TIME", K::Text),
            ("UPDATE_TIME", K::Text),
            ("CHECK_TIME", K::Text),
            ("TABLE_COLLATION", K::Text),
            ("CHECKSUM", K::UInt),
            ("CREATE_OPTIONS", K::Text),
            ("TABLE_COMMENT", K::Text),
        ];
        if m {
            cols.push(("MAX_INDEX_LENGTH", K::UInt));
            cols.push(("TEMPORARY", K::Text));
        }
        let mut rows = Vec::new();
        for e in self.served() {
            let d = TableDef::from_entry(e, m);
            let mut r = vec![
                t("def"),
                t(e.schema.clone()),
                t(e.name.clone()),
                t("BASE TABLE"),
                t(d.engine.clone()),
                u(10),
                t(d.row_format.clone().unwrap_or_else(|| "Dynamic".into())),
                u(e.rows_estimate),
                u(0),
                u(0),
                u(0),
                u(0),
                u(0),
                un(d.auto_increment),
                NULL,
                NULL,
                NULL,
                t(d.collation.clone()),
                un(None),
                t(""),
                t(d.comment.clone()),
            ];
            if m {
                r.push(u(0));
                r.push(t("N"));
            }
            rows.push(r);
        }
        (cols, rows)
    }

    fn columns(&self) -> Rows {
        let m = self.mariadb;
        let mut cols = vec![
            ("TABLE_CATALOG", K::Text),
            ("TABLE_SCHEMA", K::Text),
            ("TABLE_NAME", K::Text),
            ("COLUMN_NAME", K::Text),
            ("ORDINAL_POSITION", K::UInt),
            ("COLUMN_DEFAULT", K::Text),
            ("IS_NULLABLE", K::Text),
            ("DATA_TYPE", K::Text),
            ("CHARACTER_MAXIMUM_LENGTH", K::UInt),
            ("CHARACTER_OCTET_LENGTH", K::UInt),
            ("NUMERIC_PRECISION", K::UInt),
            ("NUMERIC_SCALE", K::UInt),
            ("DATETIME_PRECISION", K::UInt),
            ("CHARACTER_SET_NAME", K::Text),
            ("COLLATION_NAME", K::Text),
            ("COLUMN_TYPE", K::Text),
            ("COLUMN_KEY", K::Text),
            ("EXTRA", K::Text),
            ("PRIVILEGES", K::Text),
            ("COLUMN_COMMENT", K::Text),
        ];
        if m {
            cols.push(("IS_GENERATED", K::Text));
            cols.push(("GENERATION_EXPRESSION", K::Text));
        } else {
            cols.push(("GENERATION_EXPRESSION", K::Text));
            cols.push(("SRS_ID", K::UInt));
        }
        let mut rows = Vec::new();
        for e in self.served() {
            let d = TableDef::from_entry(e, m);
            for (i, c) in d.columns.iter().enumerate() {
                let f = type_facts(&c.column_type, c.charset.as_deref());
                let mut r = vec![
                    t("def"),
                    t(e.schema.clone()),
                    t(e.name.clone()),
                    t(c.name.clone()),
                    u(i as u64 + 1),
                    tn(c.info_default.clone()),
                    t(if c.nullable { "YES" } else { "NO" }),
                    t(data_type(&c.column_type)),
                    un(f.char_max),
                    un(f.octets),
                    un(f.precision),
                    un(f.scale),
                    un(f.datetime_precision),
                    tn(c.charset.clone()),
                    tn(c.collation.clone()),
                    t(c.column_type.clone()),
                    t(d.key_flag(i)),
                    t(d.extra(i, m)),
                    t("select"),
                    t(c.comment.clone()),
                ];
                let generated = c.generated.as_ref().map(|(e, _)| e.clone());
                if m {
                    r.push(t(if generated.is_some() {
                        "ALWAYS"
                    } else {
                        "NEVER"
                    }));
                    r.push(tn(generated));
                } else {
                    r.push(t(generated.unwrap_or_default()));
                    r.push(un(None));
                }
                rows.push(r);
            }
        }
        (cols, rows)
    }

    fn statistics(&self) -> Rows {
        let m = self.mariadb;
        let mut cols = vec![
            ("TABLE_CATALOG", K::Text),
            ("TABLE_SCHEMA", K::Text),
            ("TABLE_NAME", K::Text),
            ("NON_UNIQUE", K::Int),
            ("INDEX_SCHEMA", K::Text),
            ("INDEX_NAME", K::Text),
            ("SEQ_IN_INDEX", K::UInt),
            ("COLUMN_NAME", K::Text),
            ("COLLATION", K::Text),
            ("CARDINALITY", K::Int),
            ("SUB_PART", K::Int),
            ("PACKED", K::Text),
            ("NULLABLE", K::Text),
            ("INDEX_TYPE", K::Text),
            ("COMMENT", K::Text),
            ("INDEX_COMMENT", K::Text),
        ];
        if m {
            cols.push(("IGNORED", K::Text));
        } else {
            cols.push(("IS_VISIBLE", K::Text));
            cols.push(("EXPRESSION", K::Text));
        }
        let mut rows = Vec::new();
        for e in self.served() {
            let d = TableDef::from_entry(e, m);
            for idx in &d.indexes {
                for (seq, p) in idx.parts.iter().enumerate() {
                    let col = p.column.as_deref().and_then(|c| d.column(c));
                    let mut r = vec![
                        t("def"),
                        t(e.schema.clone()),
                        t(e.name.clone()),
                        C::I(Some(i64::from(!matches!(
                            idx.kind,
                            IndexKind::Primary | IndexKind::Unique
                        )))),
                        t(e.schema.clone()),
                        t(idx.name.clone()),
                        u(seq as u64 + 1),
                        tn(col.map(|c| c.name.clone())),
                        tn(match idx.kind {
                            IndexKind::Fulltext => None,
                            _ if p.desc => Some("D".into()),
                            _ => Some("A".into()),
                        }),
                        C::I(i64::try_from(e.rows_estimate).ok()),
                        C::I(p.sub_part.and_then(|s| i64::try_from(s).ok())),
                        NULL,
                        t(if col.is_some_and(|c| c.nullable) {
                            "YES"
                        } else {
                            ""
                        }),
                        t(match idx.kind {
                            IndexKind::Fulltext => "FULLTEXT".to_string(),
                            IndexKind::Spatial => "SPATIAL".to_string(),
                            _ => idx.using.clone().unwrap_or_else(|| "BTREE".into()),
                        }),
                        t(""),
                        t(idx.comment.clone()),
                    ];
                    if m {
                        r.push(t(if idx.invisible { "YES" } else { "NO" }));
                    } else {
                        r.push(t(if idx.invisible { "NO" } else { "YES" }));
                        r.push(tn(p.expression.clone()));
                    }
                    rows.push(r);
                }
            }
        }
        (cols, rows)
    }

    fn key_column_usage(&self) -> Rows {
        let cols = vec![
            ("CONSTRAINT_CATALOG", K::Text),
            ("CONSTRAINT_SCHEMA", K::Text),
            ("CONSTRAINT_NAME", K::Text),
            ("TABLE_CATALOG", K::Text),
            ("TABLE_SCHEMA", K::Text),
            ("TABLE_NAME", K::Text),
            ("COLUMN_NAME", K::Text),
            ("ORDINAL_POSITION", K::UInt),
            ("POSITION_IN_UNIQUE_CONSTRAINT", K::UInt),
            ("REFERENCED_TABLE_SCHEMA", K::Text),
            ("REFERENCED_TABLE_NAME", K::Text),
            ("REFERENCED_COLUMN_NAME", K::Text),
        ];
        let mut rows = Vec::new();
        for e in self.served() {
            let d = TableDef::from_entry(e, self.mariadb);
            for idx in d
                .indexes
                .iter()
                .filter(|i| matches!(i.kind, IndexKind::Primary | IndexKind::Unique))
            {
                for (n, p) in idx.parts.iter().enumerate() {
                    rows.push(vec![
                        t("def"),
                        t(e.schema.clone()),
                        t(idx.name.clone()),
                        t("def"),
                        t(e.schema.clone()),
                        t(e.name.clone()),
                        tn(p.column.clone()),
                        u(n as u64 + 1),
                        un(None),
                        NULL,
                        NULL,
                        NULL,
                    ]);
                }
            }
            for fk in &d.foreign_keys {
                for (n, c) in fk.columns.iter().enumerate() {
                    rows.push(vec![
                        t("def"),
                        t(e.schema.clone()),
                        t(fk.name.clone()),
                        t("def"),
                        t(e.schema.clone()),
                        t(e.name.clone()),
                        t(c.clone()),
                        u(n as u64 + 1),
                        u(n as u64 + 1),
                        t(fk.ref_schema.clone().unwrap_or_else(|| e.schema.clone())),
                        t(fk.ref_table.clone()),
                        tn(fk.ref_columns.get(n).cloned()),
                    ]);
                }
            }
        }
        (cols, rows)
    }

    fn table_constraints(&self) -> Rows {
        let mut cols = text_only(&[
            "CONSTRAINT_CATALOG",
            "CONSTRAINT_SCHEMA",
            "CONSTRAINT_NAME",
            "TABLE_SCHEMA",
            "TABLE_NAME",
            "CONSTRAINT_TYPE",
        ]);
        if !self.mariadb {
            cols.push(("ENFORCED", K::Text));
        }
        let mut rows = Vec::new();
        for e in self.served() {
            let d = TableDef::from_entry(e, self.mariadb);
            let mut add = |name: &str, kind: &str| {
                let mut r = vec![
                    t("def"),
                    t(e.schema.clone()),
                    t(name),
                    t(e.schema.clone()),
                    t(e.name.clone()),
                    t(kind),
                ];
                if !self.mariadb {
                    r.push(t("YES"));
                }
                rows.push(r);
            };
            for idx in &d.indexes {
                match idx.kind {
                    IndexKind::Primary => add(&idx.name, "PRIMARY KEY"),
                    IndexKind::Unique => add(&idx.name, "UNIQUE"),
                    _ => {}
                }
            }
            for fk in &d.foreign_keys {
                add(&fk.name, "FOREIGN KEY");
            }
            for c in &d.checks {
                add(c, "CHECK");
            }
        }
        (cols, rows)
    }

    fn referential_constraints(&self) -> Rows {
        let cols = text_only(&[
            "CONSTRAINT_CATALOG",
            "CONSTRAINT_SCHEMA",
            "CONSTRAINT_NAME",
            "UNIQUE_CONSTRAINT_CATALOG",
            "UNIQUE_CONSTRAINT_SCHEMA",
            "UNIQUE_CONSTRAINT_NAME",
            "MATCH_OPTION",
            "UPDATE_RULE",
            "DELETE_RULE",
            "TABLE_NAME",
            "REFERENCED_TABLE_NAME",
        ]);
        let mut rows = Vec::new();
        for e in self.served() {
            let d = TableDef::from_entry(e, self.mariadb);
            for fk in &d.foreign_keys {
                rows.push(vec![
                    t("def"),
                    t(e.schema.clone()),
                    t(fk.name.clone()),
                    t("def"),
                    t(fk.ref_schema.clone().unwrap_or_else(|| e.schema.clone())),
                    t("PRIMARY"),
                    t("NONE"),
                    t(fk.on_update.clone()),
                    t(fk.on_delete.clone()),
                    t(e.name.clone()),
                    t(fk.ref_table.clone()),
                ]);
            }
        }
        (cols, rows)
    }
}

/// The numeric and character facts `information_schema.COLUMNS` derives from a
/// `COLUMN_TYPE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeFacts {
    /// `CHARACTER_MAXIMUM_LENGTH`.
    pub char_max: Option<u64>,
    /// `CHARACTER_OCTET_LENGTH`.
    pub octets: Option<u64>,
    /// `NUMERIC_PRECISION`.
    pub precision: Option<u64>,
    /// `NUMERIC_SCALE`.
    pub scale: Option<u64>,
    /// `DATETIME_PRECISION`.
    pub datetime_precision: Option<u64>,
}

/// The numbers in the first parentheses of a type (`decimal(10,2)` → `[10, 2]`).
fn type_args(column_type: &str) -> Vec<u64> {
    let Some(open) = column_type.find('(') else {
        return vec![];
    };
    let rest = column_type.get(open + 1..).unwrap_or("");
    let inner = rest.split(')').next().unwrap_or("");
    inner
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

/// ENUM/SET labels of a `COLUMN_TYPE`.
fn labels(column_type: &str) -> Vec<String> {
    lex(column_type)
        .iter()
        .filter(|t| t.kind == Kind::Str)
        .map(|t| string_value(t.text))
        .collect()
}

/// `information_schema.COLUMNS` facts of a column type in a character set.
pub fn type_facts(column_type: &str, charset: Option<&str>) -> TypeFacts {
    let dt = data_type(column_type);
    let args = type_args(column_type);
    let unsigned = column_type.to_ascii_lowercase().contains("unsigned");
    let mb = u64::from(charset.map(charsets::max_len).unwrap_or(1));
    let mut f = TypeFacts::default();
    let first = args.first().copied();
    match dt.as_str() {
        "tinyint" => (f.precision, f.scale) = (Some(3), Some(0)),
        "smallint" => (f.precision, f.scale) = (Some(5), Some(0)),
        "mediumint" => (f.precision, f.scale) = (Some(if unsigned { 8 } else { 7 }), Some(0)),
        "int" | "integer" => (f.precision, f.scale) = (Some(10), Some(0)),
        "bigint" => (f.precision, f.scale) = (Some(if unsigned { 20 } else { 19 }), Some(0)),
        "decimal" | "numeric" => {
            f.precision = Some(first.unwrap_or(10));
            f.scale = Some(args.get(1).copied().unwrap_or(0));
        }
        "float" => {
            f.precision = Some(first.unwrap_or(12));
            f.scale = args.get(1).copied();
        }
        "double" | "real" => {
            f.precision = Some(first.unwrap_or(22));
            f.scale = args.get(1).copied();
        }
        "bit" => f.precision = Some(first.unwrap_or(1)),
        "datetime" | "timestamp" | "time" => f.datetime_precision = Some(first.unwrap_or(0)),
        "char" | "varchar" => {
            let n = first.unwrap_or(1);
            f.char_max = Some(n);
            f.octets = Some(n * mb);
        }
        "binary" | "varbinary" => {
            let n = first.unwrap_or(1);
            f.char_max = Some(n);
            f.octets = Some(n);
        }
        "tinytext" | "tinyblob" => (f.char_max, f.octets) = (Some(255), Some(255)),
        "text" | "blob" => (f.char_max, f.octets) = (Some(65535), Some(65535)),
        "mediumtext" | "mediumblob" => {
            (f.char_max, f.octets) = (Some(16_777_215), Some(16_777_215))
        }
        "longtext" | "longblob" | "json" => {
            (f.char_max, f.octets) = (Some(4_294_967_295), Some(4_294_967_295))
        }
        "enum" => {
            let n = labels(column_type)
                .iter()
                .map(|l| l.chars().count() as u64)
                .max()
                .unwrap_or(0);
            f.char_max = Some(n);
            f.octets = Some(n * mb);
        }
        "set" => {
            let l = labels(column_type);
            let n = l.iter().map(|l| l.chars().count() as u64).sum::<u64>()
                + (l.len() as u64).saturating_sub(1);
            f.char_max = Some(n);
            f.octets = Some(n * mb);
        }
        _ => {}
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_facts_follow_mysql() {
        let f = type_facts("varchar(40)", Some("utf8mb4"));
        assert_eq!((f.char_max, f.octets), (Some(40), Some(160)));
        let f = type_facts("decimal(10,2) unsigned", None);
        assert_eq!((f.precision, f.scale), (Some(10), Some(2)));
        let f = type_facts("bigint(20) unsigned", None);
        assert_eq!(f.precision, Some(20));
        let f = type_facts("datetime(6)", None);
        assert_eq!(f.datetime_precision, Some(6));
        let f = type_facts("enum('a','bcd')", Some("latin1"));
        assert_eq!((f.char_max, f.octets), (Some(3), Some(3)));
        let f = type_facts("set('a','bcd')", Some("utf8mb3"));
        assert_eq!((f.char_max, f.octets), (Some(5), Some(15)));
        assert_eq!(type_facts("date", None), TypeFacts::default());
    }
}
