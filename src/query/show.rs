//! `SHOW …`, `DESCRIBE`, `KILL`: metadata answered from the catalog (a consistent
//! snapshot of the store) in the columns, order and text MySQL/MariaDB use. Only served
//! tables (copied and streaming) are listed.

use mysql_common::value::Value as MyValue;
use sqlparser::ast::{BinaryOperator, Expr, UnaryOperator, Value};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use super::charsets;
use super::classify::{like, Kind, Token};
use super::engine::Session;
use super::replica_status::{self, Form};
use super::result::{ColumnDef, Outcome, ResultSet, SqlError};
use super::tabledef::{IndexKind, TableDef};
use super::variables::{self, Scope};
use crate::store::catalog::{Catalog, TableEntry};
use crate::store::read::Snapshot;

/// The name of the metadata database.
pub const INFORMATION_SCHEMA: &str = "information_schema";

/// An in-memory result: column definitions and rows.
pub struct Table {
    /// Columns.
    pub columns: Vec<ColumnDef>,
    /// Rows.
    pub rows: Vec<Vec<MyValue>>,
}

impl Table {
    fn new(columns: Vec<ColumnDef>) -> Table {
        Table {
            columns,
            rows: Vec::new(),
        }
    }

    fn outcome(self) -> Outcome {
        Outcome::Rows(ResultSet::from_rows(self.columns, self.rows))
    }
}

/// Text cell.
pub fn s(v: impl Into<String>) -> MyValue {
    MyValue::Bytes(v.into().into_bytes())
}

/// Optional text cell.
pub fn opt(v: Option<impl Into<String>>) -> MyValue {
    v.map(s).unwrap_or(MyValue::NULL)
}

fn text_cols(names: &[&str]) -> Vec<ColumnDef> {
    names.iter().map(|n| ColumnDef::text(n)).collect()
}

/// A cursor over the tokens after `SHOW`.
pub struct Cursor<'a, 't> {
    sql: &'a str,
    toks: &'t [Token<'a>],
    i: usize,
}

impl<'a, 't> Cursor<'a, 't> {
    /// A cursor at token `i`.
    pub fn new(sql: &'a str, toks: &'t [Token<'a>], i: usize) -> Self {
        Cursor { sql, toks, i }
    }

    fn peek(&self) -> Option<&Token<'a>> {
        self.toks.get(self.i)
    }

    /// Consumes keyword `kw` if next.
    pub fn eat(&mut self, kw: &str) -> bool {
        if self.peek().is_some_and(|t| t.is(kw)) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_punct(p)) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Consumes an identifier or string.
    pub fn name(&mut self) -> Result<String, SqlError> {
        match self.peek() {
            Some(t) if matches!(t.kind, Kind::Word | Kind::Quoted | Kind::Str) => {
                let n = t.ident();
                self.i += 1;
                Ok(n)
            }
            other => Err(syntax_near(other.map(|t| t.text).unwrap_or(""))),
        }
    }

    /// `name` or `db.name`.
    fn qualified(&mut self) -> Result<(Option<String>, String), SqlError> {
        let first = self.name()?;
        if self.eat_punct(".") {
            let second = self.name()?;
            Ok((Some(first), second))
        } else {
            Ok((None, first))
        }
    }

    /// `FROM db` / `IN db`.
    fn in_db(&mut self) -> Result<Option<String>, SqlError> {
        if self.eat("FROM") || self.eat("IN") {
            Ok(Some(self.name()?))
        } else {
            Ok(None)
        }
    }

    /// `LIKE 'pattern'` or `WHERE expr`, then the end.
    fn filter(&mut self) -> Result<Filter, SqlError> {
        let f = if self.eat("LIKE") {
            match self.peek() {
                Some(t) if t.kind == Kind::Str => {
                    let p = t.ident();
                    self.i += 1;
                    Filter::Like(p)
                }
                other => return Err(syntax_near(other.map(|t| t.text).unwrap_or(""))),
            }
        } else if self.eat("WHERE") {
            let start = self.peek().map(|t| t.start).unwrap_or(self.sql.len());
            self.i = self.toks.len();
            Filter::Where(self.sql.get(start..).unwrap_or("").to_string())
        } else {
            Filter::None
        };
        self.end()?;
        Ok(f)
    }

    fn end(&self) -> Result<(), SqlError> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(syntax_near(self.sql.get(t.start..).unwrap_or(""))),
        }
    }
}

/// 1064 near the given text.
pub fn syntax_near(rest: &str) -> SqlError {
    let near: String = rest.chars().take(80).collect();
    SqlError::syntax(format!(
        "check the manual that corresponds to your server version for the right syntax to use near '{near}' at line 1"
    ))
}

/// A `LIKE` or `WHERE` clause of a SHOW statement.
pub enum Filter {
    /// None.
    None,
    /// `LIKE 'pattern'` on the first column.
    Like(String),
    /// `WHERE expr` over the columns.
    Where(String),
}

impl Filter {
    /// Keeps the rows that pass (LIKE tests column `like_col`).
    fn apply(&self, table: &mut Table, like_col: usize) -> Result<(), SqlError> {
        match self {
            Filter::None => Ok(()),
            Filter::Like(p) => {
                table.rows.retain(|r| match r.get(like_col) {
                    Some(MyValue::Bytes(b)) => like(&String::from_utf8_lossy(b), p),
                    _ => false,
                });
                Ok(())
            }
            Filter::Where(text) => {
                let expr = Parser::new(&MySqlDialect {})
                    .try_with_sql(text)
                    .and_then(|mut p| p.parse_expr())
                    .map_err(|_| syntax_near(text))?;
                let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
                let mut kept = Vec::with_capacity(table.rows.len());
                for row in std::mem::take(&mut table.rows) {
                    if truthy(&eval(&expr, &names, &row)?) {
                        kept.push(row);
                    }
                }
                table.rows = kept;
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Null,
    Str(String),
    Num(f64),
}

fn truthy(v: &Lit) -> bool {
    match v {
        Lit::Null => false,
        Lit::Num(n) => *n != 0.0,
        Lit::Str(s) => s.trim().parse::<f64>().is_ok_and(|n| n != 0.0),
    }
}

fn cell_lit(v: &MyValue) -> Lit {
    match v {
        MyValue::NULL => Lit::Null,
        MyValue::Int(i) => Lit::Num(*i as f64),
        MyValue::UInt(u) => Lit::Num(*u as f64),
        MyValue::Double(d) => Lit::Num(*d),
        MyValue::Float(f) => Lit::Num(f64::from(*f)),
        MyValue::Bytes(b) => Lit::Str(String::from_utf8_lossy(b).into_owned()),
        other => Lit::Str(
            super::prepare::literal(other)
                .trim_matches('\'')
                .to_string(),
        ),
    }
}

fn compare(a: &Lit, b: &Lit) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Lit::Null, _) | (_, Lit::Null) => None,
        (Lit::Num(x), Lit::Num(y)) => x.partial_cmp(y),
        (Lit::Num(x), Lit::Str(s)) => x.partial_cmp(&s.trim().parse::<f64>().unwrap_or(0.0)),
        (Lit::Str(s), Lit::Num(y)) => s.trim().parse::<f64>().unwrap_or(0.0).partial_cmp(y),
        (Lit::Str(x), Lit::Str(y)) => {
            Some(x.to_lowercase().trim_end().cmp(y.to_lowercase().trim_end()))
        }
    }
}

fn bool_lit(b: Option<bool>) -> Lit {
    match b {
        None => Lit::Null,
        Some(b) => Lit::Num(if b { 1.0 } else { 0.0 }),
    }
}

fn eval(e: &Expr, names: &[String], row: &[MyValue]) -> Result<Lit, SqlError> {
    let col = |name: &str| -> Result<Lit, SqlError> {
        names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .and_then(|i| row.get(i))
            .map(cell_lit)
            .ok_or_else(|| SqlError::unknown_column(name, "where clause"))
    };
    Ok(match e {
        Expr::Identifier(id) => col(&id.value)?,
        Expr::CompoundIdentifier(parts) => {
            col(parts.last().map(|p| p.value.as_str()).unwrap_or(""))?
        }
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Lit::Str(s.clone()),
            Value::Boolean(b) => bool_lit(Some(*b)),
            Value::Null => Lit::Null,
            other => other
                .to_string()
                .parse::<f64>()
                .map(Lit::Num)
                .map_err(|_| SqlError::not_supported(format!("{other} in SHOW … WHERE")))?,
        },
        Expr::Nested(inner) => eval(inner, names, row)?,
        Expr::IsNull(inner) => bool_lit(Some(eval(inner, names, row)? == Lit::Null)),
        Expr::IsNotNull(inner) => bool_lit(Some(eval(inner, names, row)? != Lit::Null)),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => match eval(expr, names, row)? {
            Lit::Null => Lit::Null,
            v => bool_lit(Some(!truthy(&v))),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match eval(expr, names, row)? {
            Lit::Num(n) => Lit::Num(-n),
            _ => Lit::Null,
        },
        Expr::BinaryOp { left, op, right } => {
            let l = eval(left, names, row)?;
            let r = eval(right, names, row)?;
            use std::cmp::Ordering::*;
            match op {
                BinaryOperator::And => match (&l, &r) {
                    _ if (l != Lit::Null && !truthy(&l)) || (r != Lit::Null && !truthy(&r)) => {
                        bool_lit(Some(false))
                    }
                    (Lit::Null, _) | (_, Lit::Null) => Lit::Null,
                    _ => bool_lit(Some(true)),
                },
                BinaryOperator::Or => match (&l, &r) {
                    _ if truthy(&l) || truthy(&r) => bool_lit(Some(true)),
                    (Lit::Null, _) | (_, Lit::Null) => Lit::Null,
                    _ => bool_lit(Some(false)),
                },
                BinaryOperator::Eq => bool_lit(compare(&l, &r).map(|o| o == Equal)),
                BinaryOperator::NotEq => bool_lit(compare(&l, &r).map(|o| o != Equal)),
                BinaryOperator::Lt => bool_lit(compare(&l, &r).map(|o| o == Less)),
                BinaryOperator::LtEq => bool_lit(compare(&l, &r).map(|o| o != Greater)),
                BinaryOperator::Gt => bool_lit(compare(&l, &r).map(|o| o == Greater)),
                BinaryOperator::GtEq => bool_lit(compare(&l, &r).map(|o| o != Less)),
                BinaryOperator::Spaceship => bool_lit(Some(match (&l, &r) {
                    (Lit::Null, Lit::Null) => true,
                    _ => compare(&l, &r) == Some(Equal),
                })),
                other => return Err(SqlError::not_supported(format!("{other} in SHOW … WHERE"))),
            }
        }
        Expr::Like {
            negated,
            expr,
            pattern,
            ..
        } => match (eval(expr, names, row)?, eval(pattern, names, row)?) {
            (Lit::Null, _) | (_, Lit::Null) => Lit::Null,
            (v, p) => {
                let text = |l: Lit| match l {
                    Lit::Str(s) => s,
                    Lit::Num(n) => n.to_string(),
                    Lit::Null => String::new(),
                };
                bool_lit(Some(like(&text(v), &text(p)) != *negated))
            }
        },
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            let v = eval(expr, names, row)?;
            if v == Lit::Null {
                Lit::Null
            } else {
                let mut found = false;
                for item in list {
                    if compare(&v, &eval(item, names, row)?) == Some(std::cmp::Ordering::Equal) {
                        found = true;
                    }
                }
                bool_lit(Some(found != *negated))
            }
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let v = eval(expr, names, row)?;
            let lo = compare(&v, &eval(low, names, row)?);
            let hi = compare(&v, &eval(high, names, row)?);
            match (lo, hi) {
                (Some(a), Some(b)) => bool_lit(Some(
                    (a != std::cmp::Ordering::Less && b != std::cmp::Ordering::Greater) != *negated,
                )),
                _ => Lit::Null,
            }
        }
        other => return Err(SqlError::not_supported(format!("{other} in SHOW … WHERE"))),
    })
}

/// The catalog as of now.
pub fn catalog(session: &Session) -> Result<Catalog, SqlError> {
    Snapshot::new(&session.engine.store)
        .map(|s| s.catalog)
        .map_err(|e| SqlError::internal(format!("reading the catalog: {e}")))
}

/// Database names: every schema with a replicated table, sorted.
pub fn databases(cat: &Catalog) -> Vec<String> {
    let mut dbs: Vec<String> = cat.tables().map(|t| t.schema.clone()).collect();
    dbs.sort();
    dbs.dedup();
    dbs
}

/// True when `db` exists (a replicated schema or `information_schema`).
pub fn database_exists(cat: &Catalog, db: &str) -> bool {
    db.eq_ignore_ascii_case(INFORMATION_SCHEMA) || cat.tables().any(|t| t.schema == db)
}

/// The served tables of `db`, sorted by name.
pub fn served_tables<'c>(cat: &'c Catalog, db: &str) -> Vec<&'c TableEntry> {
    let mut v: Vec<&TableEntry> = cat
        .tables()
        .filter(|t| t.schema == db && t.is_served())
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn resolve_db(session: &Session, db: Option<String>) -> Result<String, SqlError> {
    db.or_else(|| session.database.clone())
        .ok_or_else(SqlError::no_database)
}

/// A served table, or 1146 / 1049 / 1046.
pub fn find_table<'c>(
    session: &Session,
    cat: &'c Catalog,
    db: Option<String>,
    name: &str,
) -> Result<&'c TableEntry, SqlError> {
    let db = resolve_db(session, db)?;
    match cat.find(&db, name) {
        Some(e) if e.is_served() => Ok(e),
        _ => Err(SqlError::no_such_table(&db, name)),
    }
}

/// Runs a `SHOW` statement; `toks[0]` is `SHOW`.
pub async fn show(
    session: &mut Session,
    sql: &str,
    toks: &[Token<'_>],
) -> Result<Outcome, SqlError> {
    let mut c = Cursor::new(sql, toks, 1);
    let full = c.eat("FULL");
    let extended = c.eat("EXTENDED");
    let mut scope = Scope::Session;
    if c.eat("GLOBAL") {
        scope = Scope::Global;
    } else if c.eat("SESSION") || c.eat("LOCAL") {
        scope = Scope::Session;
    }
    let _ = extended;
    let word = c
        .peek()
        .map(|t| t.text.to_ascii_uppercase())
        .unwrap_or_default();
    c.i += 1;
    match word.as_str() {
        "DATABASES" | "SCHEMAS" => show_databases(session, c.filter()?),
        "TABLES" => {
            let db = c.in_db()?;
            let f = c.filter()?;
            show_tables(session, db, full, f)
        }
        "COLUMNS" | "FIELDS" => {
            if !(c.eat("FROM") || c.eat("IN")) {
                return Err(syntax_near(
                    sql.get(c.peek().map(|t| t.start).unwrap_or(sql.len())..)
                        .unwrap_or(""),
                ));
            }
            let (db1, table) = c.qualified()?;
            let db2 = c.in_db()?;
            let f = c.filter()?;
            show_columns(session, db2.or(db1), &table, full, f)
        }
        "INDEX" | "INDEXES" | "KEYS" => {
            if !(c.eat("FROM") || c.eat("IN")) {
                return Err(syntax_near(""));
            }
            let (db1, table) = c.qualified()?;
            let db2 = c.in_db()?;
            let f = c.filter()?;
            show_index(session, db2.or(db1), &table, f)
        }
        "CREATE" => {
            if c.eat("TABLE") || c.eat("VIEW") {
                let (db, table) = c.qualified()?;
                c.end()?;
                show_create_table(session, db, &table)
            } else if c.eat("DATABASE") || c.eat("SCHEMA") {
                if c.eat("IF") {
                    c.eat("NOT");
                    c.eat("EXISTS");
                }
                let db = c.name()?;
                c.end()?;
                show_create_database(session, &db)
            } else {
                Err(SqlError::not_supported(sql))
            }
        }
        "TABLE" if c.eat("STATUS") => {
            let db = c.in_db()?;
            let f = c.filter()?;
            show_table_status(session, db, f)
        }
        "VARIABLES" => {
            let f = c.filter()?;
            let mut t = Table::new(text_cols(&["Variable_name", "Value"]));
            t.rows = variables::show_rows(session, scope)
                .into_iter()
                .map(|(n, v)| vec![s(n), opt(v)])
                .collect();
            f.apply(&mut t, 0)?;
            Ok(t.outcome())
        }
        "STATUS" => {
            let f = c.filter()?;
            let mut t = Table::new(text_cols(&["Variable_name", "Value"]));
            t.rows = variables::status_rows(session)
                .into_iter()
                .map(|(n, v)| vec![s(n), opt(v)])
                .collect();
            f.apply(&mut t, 0)?;
            Ok(t.outcome())
        }
        "WARNINGS" | "ERRORS" => {
            let errors_only = word == "ERRORS";
            let mut t = Table::new(vec![
                ColumnDef::text("Level"),
                ColumnDef::bigint("Code", true),
                ColumnDef::text("Message"),
            ]);
            t.rows = session
                .warnings
                .iter()
                .filter(|w| !errors_only || w.level == "Error")
                .map(|w| {
                    vec![
                        s(w.level),
                        MyValue::UInt(u64::from(w.code)),
                        s(w.message.clone()),
                    ]
                })
                .collect();
            Ok(t.outcome())
        }
        "COUNT" => {
            // SHOW COUNT(*) WARNINGS | ERRORS
            c.eat_punct("(");
            c.eat_punct("*");
            c.eat_punct(")");
            let errors = c.eat("ERRORS");
            if !errors && !c.eat("WARNINGS") {
                return Err(syntax_near(sql));
            }
            let (name, n) = if errors {
                (
                    "@@session.error_count",
                    session
                        .warnings
                        .iter()
                        .filter(|w| w.level == "Error")
                        .count(),
                )
            } else {
                ("@@session.warning_count", session.warnings.len())
            };
            Ok(Table {
                columns: vec![ColumnDef::bigint(name, true)],
                rows: vec![vec![MyValue::UInt(n as u64)]],
            }
            .outcome())
        }
        "PROCESSLIST" => Ok(show_processlist(session, full).outcome()),
        "ENGINES" | "STORAGE" => {
            c.eat("ENGINES");
            let mut t = Table::new(text_cols(&[
                "Engine",
                "Support",
                "Comment",
                "Transactions",
                "XA",
                "Savepoints",
            ]));
            t.rows.push(vec![
                s("InnoDB"),
                s("DEFAULT"),
                s("Replicated copy (read-only)"),
                s("YES"),
                s("NO"),
                s("NO"),
            ]);
            Ok(t.outcome())
        }
        "CHARSET" | "CHARACTER" => {
            c.eat("SET");
            let f = c.filter()?;
            let m = session.engine.config.mariadb;
            let mut t = Table::new(vec![
                ColumnDef::text("Charset"),
                ColumnDef::text("Description"),
                ColumnDef::text("Default collation"),
                ColumnDef::bigint("Maxlen", true),
            ]);
            t.rows = charsets::CHARSETS
                .iter()
                .map(|(n, d, l)| {
                    vec![
                        s(*n),
                        s(*d),
                        opt(charsets::default_collation(n, m).map(|c| c.name)),
                        MyValue::UInt(u64::from(*l)),
                    ]
                })
                .collect();
            f.apply(&mut t, 0)?;
            Ok(t.outcome())
        }
        "COLLATION" => {
            let f = c.filter()?;
            let m = session.engine.config.mariadb;
            let mut t = Table::new(vec![
                ColumnDef::text("Collation"),
                ColumnDef::text("Charset"),
                ColumnDef::bigint("Id", true),
                ColumnDef::text("Default"),
                ColumnDef::text("Compiled"),
                ColumnDef::bigint("Sortlen", true),
            ]);
            t.rows = charsets::COLLATIONS
                .iter()
                .map(|co| {
                    let default =
                        charsets::default_collation(co.charset, m).is_some_and(|d| d.id == co.id);
                    vec![
                        s(co.name),
                        s(co.charset),
                        MyValue::UInt(u64::from(co.id)),
                        s(if default { "Yes" } else { "" }),
                        s("Yes"),
                        MyValue::UInt(1),
                    ]
                })
                .collect();
            f.apply(&mut t, 0)?;
            Ok(t.outcome())
        }
        "GRANTS" => {
            let user = session.user.clone();
            let name = format!("Grants for {user}@%");
            Ok(Table {
                columns: vec![ColumnDef::text(&name)],
                rows: vec![vec![s(format!("GRANT SELECT ON *.* TO `{user}`@`%`"))]],
            }
            .outcome())
        }
        "MASTER" | "BINARY" => {
            let logs = c.eat("LOGS");
            if logs {
                return Err(SqlError::new(
                    1381,
                    "HY000",
                    "You are not using binary logging",
                ));
            }
            c.eat("LOG");
            let mut cols = vec!["File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"];
            if !session.engine.config.mariadb {
                cols.push("Executed_Gtid_Set");
            }
            Ok(Table::new(text_cols(&cols)).outcome())
        }
        "SLAVE" | "REPLICA" => {
            if c.eat("HOSTS") {
                return Ok(
                    Table::new(text_cols(&["Server_id", "Host", "Port", "Master_id"])).outcome(),
                );
            }
            // MariaDB's `SHOW SLAVE 'name' STATUS`: only the default connection exists.
            if c.peek().is_some_and(|t| t.kind == Kind::Str) {
                c.i += 1;
            }
            if !c.eat("STATUS") {
                return Err(syntax_near(sql));
            }
            let form = if word == "REPLICA" {
                Form::Replica
            } else {
                Form::Slave
            };
            Ok(Outcome::Rows(replica_status::show(session, form)))
        }
        "REPLICAS" => Ok(Table::new(text_cols(&[
            "Server_Id",
            "Host",
            "Port",
            "Source_Id",
            "Replica_UUID",
        ]))
        .outcome()),
        "ALL" => Ok(Outcome::Rows(replica_status::show(session, Form::All))),
        "PLUGINS" => {
            Ok(Table::new(text_cols(&["Name", "Status", "Type", "Library", "License"])).outcome())
        }
        "TRIGGERS" => Ok(Table::new(text_cols(&[
            "Trigger",
            "Event",
            "Table",
            "Statement",
            "Timing",
            "Created",
            "sql_mode",
            "Definer",
            "character_set_client",
            "collation_connection",
            "Database Collation",
        ]))
        .outcome()),
        "EVENTS" => Ok(Table::new(text_cols(&[
            "Db",
            "Name",
            "Definer",
            "Time zone",
            "Type",
            "Execute at",
            "Interval value",
            "Interval field",
            "Starts",
            "Ends",
            "Status",
            "Originator",
            "character_set_client",
            "collation_connection",
            "Database Collation",
        ]))
        .outcome()),
        "PROCEDURE" | "FUNCTION" => Ok(Table::new(text_cols(&[
            "Db",
            "Name",
            "Type",
            "Definer",
            "Modified",
            "Created",
            "Security_type",
            "Comment",
            "character_set_client",
            "collation_connection",
            "Database Collation",
        ]))
        .outcome()),
        "OPEN" => {
            Ok(Table::new(text_cols(&["Database", "Table", "In_use", "Name_locked"])).outcome())
        }
        "PROFILES" => Ok(Table::new(text_cols(&["Query_ID", "Duration", "Query"])).outcome()),
        "PRIVILEGES" => {
            let mut t = Table::new(text_cols(&["Privilege", "Context", "Comment"]));
            t.rows.push(vec![
                s("Select"),
                s("Tables"),
                s("To retrieve rows from table"),
            ]);
            Ok(t.outcome())
        }
        _ => Err(syntax_near(
            sql.get(toks.get(1).map(|t| t.start).unwrap_or(0)..)
                .unwrap_or(""),
        )),
    }
}

fn show_databases(session: &Session, f: Filter) -> Result<Outcome, SqlError> {
    let cat = catalog(session)?;
    let mut names = databases(&cat);
    names.push(INFORMATION_SCHEMA.to_string());
    names.sort();
    let name = match &f {
        Filter::Like(p) => format!("Database ({p})"),
        _ => "Database".to_string(),
    };
    let mut t = Table::new(vec![ColumnDef::text(&name)]);
    t.rows = names.into_iter().map(|n| vec![s(n)]).collect();
    f.apply(&mut t, 0)?;
    Ok(t.outcome())
}

fn show_tables(
    session: &Session,
    db: Option<String>,
    full: bool,
    f: Filter,
) -> Result<Outcome, SqlError> {
    let db = resolve_db(session, db)?;
    let cat = catalog(session)?;
    if !database_exists(&cat, &db) {
        return Err(SqlError::unknown_database(&db));
    }
    let name = match &f {
        Filter::Like(p) => format!("Tables_in_{db} ({p})"),
        _ => format!("Tables_in_{db}"),
    };
    let mut cols = vec![ColumnDef::text(&name)];
    if full {
        cols.push(ColumnDef::text("Table_type"));
    }
    let mut t = Table::new(cols);
    let names: Vec<String> = if db.eq_ignore_ascii_case(INFORMATION_SCHEMA) {
        super::information_schema::TABLE_NAMES
            .iter()
            .map(|n| n.to_string())
            .collect()
    } else {
        served_tables(&cat, &db)
            .into_iter()
            .map(|e| e.name.clone())
            .collect()
    };
    let kind = if db.eq_ignore_ascii_case(INFORMATION_SCHEMA) {
        "SYSTEM VIEW"
    } else {
        "BASE TABLE"
    };
    t.rows = names
        .into_iter()
        .map(|n| {
            let mut r = vec![s(n)];
            if full {
                r.push(s(kind));
            }
            r
        })
        .collect();
    f.apply(&mut t, 0)?;
    Ok(t.outcome())
}

/// `SHOW COLUMNS`' `Default`: MariaDB's `COLUMN_DEFAULT` quotes string defaults and
/// says `NULL` for a nullable column without one; `SHOW COLUMNS` shows neither.
pub fn show_default(info_default: Option<&str>, mariadb: bool) -> Option<String> {
    let d = info_default?;
    if !mariadb {
        return Some(d.to_string());
    }
    if d == "NULL" {
        return None;
    }
    if d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'') {
        return Some(super::classify::string_value(d));
    }
    Some(d.to_string())
}

/// `SHOW [FULL] COLUMNS` / `DESCRIBE` (`pattern` filters by LIKE).
pub fn show_columns(
    session: &Session,
    db: Option<String>,
    table: &str,
    full: bool,
    f: Filter,
) -> Result<Outcome, SqlError> {
    let cat = catalog(session)?;
    let entry = find_table(session, &cat, db, table)?;
    let mariadb = session.engine.config.mariadb;
    let def = TableDef::from_entry(entry, mariadb);
    let names: &[&str] = if full {
        &[
            "Field",
            "Type",
            "Collation",
            "Null",
            "Key",
            "Default",
            "Extra",
            "Privileges",
            "Comment",
        ]
    } else {
        &["Field", "Type", "Null", "Key", "Default", "Extra"]
    };
    let mut t = Table::new(text_cols(names));
    for (i, col) in def.columns.iter().enumerate() {
        let mut row = vec![s(col.name.clone()), s(col.column_type.clone())];
        if full {
            row.push(opt(col.collation.clone()));
        }
        row.push(s(if col.nullable { "YES" } else { "NO" }));
        row.push(s(def.key_flag(i)));
        row.push(opt(show_default(col.info_default.as_deref(), mariadb)));
        row.push(s(def.extra(i, mariadb)));
        if full {
            row.push(s("select"));
            row.push(s(col.comment.clone()));
        }
        t.rows.push(row);
    }
    f.apply(&mut t, 0)?;
    Ok(t.outcome())
}

fn show_index(
    session: &Session,
    db: Option<String>,
    table: &str,
    f: Filter,
) -> Result<Outcome, SqlError> {
    let cat = catalog(session)?;
    let entry = find_table(session, &cat, db, table)?;
    let mariadb = session.engine.config.mariadb;
    let def = TableDef::from_entry(entry, mariadb);
    let mut cols = vec![
        ColumnDef::text("Table"),
        ColumnDef::bigint("Non_unique", false),
        ColumnDef::text("Key_name"),
        ColumnDef::bigint("Seq_in_index", true),
        ColumnDef::text("Column_name"),
        ColumnDef::text("Collation"),
        ColumnDef::bigint("Cardinality", false),
        ColumnDef::bigint("Sub_part", false),
        ColumnDef::text("Packed"),
        ColumnDef::text("Null"),
        ColumnDef::text("Index_type"),
        ColumnDef::text("Comment"),
        ColumnDef::text("Index_comment"),
    ];
    if mariadb {
        cols.push(ColumnDef::text("Ignored"));
    } else {
        cols.push(ColumnDef::text("Visible"));
        cols.push(ColumnDef::text("Expression"));
    }
    let mut t = Table::new(cols);
    for idx in &def.indexes {
        for (seq, part) in idx.parts.iter().enumerate() {
            let col = part.column.as_deref().and_then(|c| def.column(c));
            let index_type = match idx.kind {
                IndexKind::Fulltext => "FULLTEXT".to_string(),
                IndexKind::Spatial => "SPATIAL".to_string(),
                _ => idx.using.clone().unwrap_or_else(|| "BTREE".into()),
            };
            let collation = match idx.kind {
                IndexKind::Fulltext => None,
                _ if part.desc => Some("D"),
                _ => Some("A"),
            };
            let mut row = vec![
                s(entry.name.clone()),
                MyValue::Int(i64::from(!matches!(
                    idx.kind,
                    IndexKind::Primary | IndexKind::Unique
                ))),
                s(idx.name.clone()),
                MyValue::UInt(seq as u64 + 1),
                opt(col.map(|c| c.name.clone())),
                opt(collation),
                MyValue::Int(i64::try_from(entry.rows_estimate).unwrap_or(i64::MAX)),
                part.sub_part
                    .map(|p| MyValue::Int(i64::try_from(p).unwrap_or(0)))
                    .unwrap_or(MyValue::NULL),
                MyValue::NULL,
                s(if col.is_some_and(|c| c.nullable) {
                    "YES"
                } else {
                    ""
                }),
                s(index_type),
                s(""),
                s(idx.comment.clone()),
            ];
            if mariadb {
                row.push(s(if idx.invisible { "YES" } else { "NO" }));
            } else {
                row.push(s(if idx.invisible { "NO" } else { "YES" }));
                row.push(opt(part.expression.clone()));
            }
            t.rows.push(row);
        }
    }
    f.apply(&mut t, 2)?;
    Ok(t.outcome())
}

fn show_create_table(
    session: &Session,
    db: Option<String>,
    table: &str,
) -> Result<Outcome, SqlError> {
    let cat = catalog(session)?;
    let entry = find_table(session, &cat, db, table)?;
    Ok(Table {
        columns: text_cols(&["Table", "Create Table"]),
        rows: vec![vec![
            s(entry.name.clone()),
            s(entry.create_statement.clone()),
        ]],
    }
    .outcome())
}

fn show_create_database(session: &Session, db: &str) -> Result<Outcome, SqlError> {
    let cat = catalog(session)?;
    if !database_exists(&cat, db) {
        return Err(SqlError::unknown_database(db));
    }
    let mariadb = session.engine.config.mariadb;
    let coll = charsets::default_collation("utf8mb4", mariadb)
        .map(|c| c.name)
        .unwrap_or("utf8mb4_general_ci");
    let text = if mariadb {
        format!("CREATE DATABASE `{db}` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE {coll} */")
    } else {
        format!(
            "CREATE DATABASE `{db}` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE {coll} */ /*!80016 DEFAULT ENCRYPTION='N' */"
        )
    };
    Ok(Table {
        columns: text_cols(&["Database", "Create Database"]),
        rows: vec![vec![s(db), s(text)]],
    }
    .outcome())
}

fn show_table_status(
    session: &Session,
    db: Option<String>,
    f: Filter,
) -> Result<Outcome, SqlError> {
    let db = resolve_db(session, db)?;
    let cat = catalog(session)?;
    if !database_exists(&cat, &db) {
        return Err(SqlError::unknown_database(&db));
    }
    let mariadb = session.engine.config.mariadb;
    let mut cols = vec![
        ColumnDef::text("Name"),
        ColumnDef::text("Engine"),
        ColumnDef::bigint("Version", true),
        ColumnDef::text("Row_format"),
        ColumnDef::bigint("Rows", true),
        ColumnDef::bigint("Avg_row_length", true),
        ColumnDef::bigint("Data_length", true),
        ColumnDef::bigint("Max_data_length", true),
        ColumnDef::bigint("Index_length", true),
        ColumnDef::bigint("Data_free", true),
        ColumnDef::bigint("Auto_increment", true),
        ColumnDef::text("Create_time"),
        ColumnDef::text("Update_time"),
        ColumnDef::text("Check_time"),
        ColumnDef::text("Collation"),
        ColumnDef::bigint("Checksum", true),
        ColumnDef::text("Create_options"),
        ColumnDef::text("Comment"),
    ];
    if mariadb {
        cols.push(ColumnDef::bigint("Max_index_length", true));
        cols.push(ColumnDef::text("Temporary"));
    }
    let mut t = Table::new(cols);
    for e in served_tables(&cat, &db) {
        let def = TableDef::from_entry(e, mariadb);
        let mut row = vec![
            s(e.name.clone()),
            s(def.engine.clone()),
            MyValue::UInt(10),
            s(def.row_format.clone().unwrap_or_else(|| "Dynamic".into())),
            MyValue::UInt(e.rows_estimate),
            MyValue::UInt(0),
            MyValue::UInt(0),
            MyValue::UInt(0),
            MyValue::UInt(0),
            MyValue::UInt(0),
            def.auto_increment
                .map(MyValue::UInt)
                .unwrap_or(MyValue::NULL),
            MyValue::NULL,
            MyValue::NULL,
            MyValue::NULL,
            s(def.collation.clone()),
            MyValue::NULL,
            s(""),
            s(def.comment.clone()),
        ];
        if mariadb {
            row.push(MyValue::UInt(0));
            row.push(s("N"));
        }
        t.rows.push(row);
    }
    f.apply(&mut t, 0)?;
    Ok(t.outcome())
}

fn show_processlist(session: &Session, full: bool) -> Table {
    let mut cols = vec![
        ColumnDef::bigint("Id", true),
        ColumnDef::text("User"),
        ColumnDef::text("Host"),
        ColumnDef::text("db"),
        ColumnDef::text("Command"),
        ColumnDef::bigint("Time", false),
        ColumnDef::text("State"),
        ColumnDef::text("Info"),
    ];
    let mariadb = session.engine.config.mariadb;
    if mariadb {
        let mut p = ColumnDef::text("Progress");
        p.column_type = mysql_common::constants::ColumnType::MYSQL_TYPE_NEWDECIMAL;
        cols.push(p);
    }
    let mut t = Table::new(cols);
    for p in session.engine.processes.rows() {
        let info = p.info.map(|i| {
            if full {
                i
            } else {
                i.chars().take(100).collect()
            }
        });
        let state = if p.command == "Query" {
            "Sending data"
        } else {
            ""
        };
        let mut row = vec![
            MyValue::UInt(u64::from(p.id)),
            s(p.user),
            s(p.host),
            opt(p.db),
            s(p.command),
            MyValue::Int(i64::try_from(p.time).unwrap_or(i64::MAX)),
            s(state),
            opt(info),
        ];
        if mariadb {
            row.push(s("0.000"));
        }
        t.rows.push(row);
    }
    t
}

/// `KILL [CONNECTION | QUERY] id`; `toks[0]` is `KILL`.
pub fn kill(session: &Session, sql: &str, toks: &[Token<'_>]) -> Result<Outcome, SqlError> {
    let mut c = Cursor::new(sql, toks, 1);
    c.eat("HARD");
    c.eat("SOFT");
    let query = c.eat("QUERY");
    if !query {
        c.eat("CONNECTION");
    }
    c.eat("ID");
    let id_text = c.peek().map(|t| t.text).unwrap_or("");
    let id: u32 = id_text.parse().map_err(|_| syntax_near(id_text))?;
    session
        .engine
        .processes
        .kill(id, !query)
        .map_err(|_| SqlError::new(1094, "HY000", format!("Unknown thread id: {id}")))?;
    Ok(Outcome::ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            columns: text_cols(&["Variable_name", "Value"]),
            rows: vec![
                vec![s("version"), s("10.11")],
                vec![s("sql_mode"), s("STRICT")],
                vec![s("port"), s("3306")],
                vec![s("gone"), MyValue::NULL],
            ],
        }
    }

    fn names(t: &Table) -> Vec<String> {
        t.rows
            .iter()
            .map(|r| match r.first() {
                Some(MyValue::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
                _ => String::new(),
            })
            .collect()
    }

    #[test]
    fn where_clauses_filter_rows() {
        let cases: &[(&str, &[&str])] = &[
            ("Variable_name = 'VERSION'", &["version"]),
            (
                "variable_name IN ('port', 'sql_mode')",
                &["sql_mode", "port"],
            ),
            (
                "Variable_name LIKE 's%' OR Value > 3000",
                &["sql_mode", "port"],
            ),
            ("Value IS NULL", &["gone"]),
            (
                "NOT (Variable_name = 'port') AND Value IS NOT NULL",
                &["version", "sql_mode"],
            ),
            ("Value BETWEEN 3000 AND 4000", &["port"]),
        ];
        for (expr, want) in cases {
            let mut t = table();
            Filter::Where(expr.to_string()).apply(&mut t, 0).unwrap();
            assert_eq!(names(&t), *want, "{expr}");
        }
        let mut t = table();
        Filter::Like("%o%".into()).apply(&mut t, 0).unwrap();
        assert_eq!(names(&t), vec!["version", "sql_mode", "port", "gone"]);
        let mut t = table();
        assert_eq!(
            Filter::Where("nope = 1".into())
                .apply(&mut t, 0)
                .unwrap_err()
                .code,
            1054
        );
    }

    #[test]
    fn show_defaults_unquote_mariadb_column_defaults() {
        assert_eq!(show_default(Some("'it''s'"), true).as_deref(), Some("it's"));
        assert_eq!(show_default(Some("NULL"), true), None);
        assert_eq!(
            show_default(Some("current_timestamp()"), true).as_deref(),
            Some("current_timestamp()")
        );
        assert_eq!(show_default(Some("abc"), false).as_deref(), Some("abc"));
        assert_eq!(show_default(None, true), None);
    }
}
