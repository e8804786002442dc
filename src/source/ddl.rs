//! What a DDL statement from the binlog does to tables.
//!
//! The source logs schema changes as QUERY events carrying the statement text
//! ([`Change::Ddl`](super::change::Change::Ddl)). The replica must follow them for the
//! tables it replicates: create, alter, rename, truncate and drop its copies. This module
//! is pure: [`classify`] turns one statement into [`DdlEffect`]s and never panics.
//!
//! Two parsers work together:
//!
//! * `sqlparser` with the MySQL dialect, used where it parses the statement and the result
//!   maps onto an effect with certainty;
//! * a small hand-written tokenizer and scanner for everything else. MySQL and MariaDB log
//!   many statements sqlparser does not know (`ALTER ONLINE TABLE`, `ADD COLUMN IF NOT
//!   EXISTS`, `CONVERT TO CHARACTER SET`, table options, partition maintenance, `CREATE
//!   PROCEDURE ... BEGIN ... END`, ...). Where it cannot tell what a statement does it says
//!   so ([`DdlEffect::Unknown`], or `other_changes` for an `ALTER TABLE`) rather than guess
//!   that nothing happened.
//!
//! Before either parser runs, comments are removed (`/* */`, `-- `, `#`), MySQL versioned
//! comments `/*!50001 ... */` (and MariaDB's `/*M!100100 ... */`) are replaced by their
//! content, and trailing `;` are dropped. MySQL 8.0.21+ logs `CREATE TABLE ... SELECT` as
//! `CREATE TABLE ... START TRANSACTION` followed by the rows; that marker is removed and the
//! effect reported with `as_select: true`.
//!
//! Names keep their case (MySQL on Linux compares database and table names exactly);
//! unqualified table names resolve against the statement's default schema.

use sqlparser::ast::{
    AlterTable, AlterTableOperation, CreateTableLikeKind, DataType, Ident, ObjectName,
    ObjectNamePart, ObjectType, RenameTableNameKind, SchemaName, Statement, TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

/// A table named by a statement, resolved against the statement's default schema.
///
/// Both parts are kept exactly as written (unquoted, case preserved), because MySQL on
/// Linux compares database and table names case-sensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableRef {
    /// The database: the qualifier as written, else the statement's default schema (which
    /// may be empty when the statement ran without a default database).
    pub schema: String,
    /// The table name as written, without quotes.
    pub name: String,
}

impl TableRef {
    /// Builds a reference from its two parts; a convenience for callers and tests.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        TableRef {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

/// One change to a table's columns found in an `ALTER TABLE`.
///
/// Column names are as written, without quotes (MySQL compares column names
/// case-insensitively; callers that look columns up should do the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnChange {
    /// `ADD [COLUMN] [IF NOT EXISTS] c ...` (one entry per column of `ADD COLUMN (a .., b ..)`).
    Add(String),
    /// `DROP [COLUMN] [IF EXISTS] c`.
    Drop(String),
    /// The column's definition changed but not its name: `MODIFY c ...`,
    /// `ALTER [COLUMN] c SET DEFAULT ...` / `DROP DEFAULT` / `SET [IN]VISIBLE`, and
    /// `CHANGE c c ...` (same name on both sides).
    Modify(String),
    /// `CHANGE [COLUMN] old new ...`: renamed and redefined (the type may change).
    Change {
        /// The name before the statement.
        old: String,
        /// The name after the statement.
        new: String,
    },
    /// `RENAME COLUMN old TO new`: renamed, definition unchanged.
    Rename {
        /// The name before the statement.
        old: String,
        /// The name after the statement.
        new: String,
    },
}

/// What one statement does to tables, as far as a replica that copies rows cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DdlEffect {
    /// `CREATE TABLE` (incl. `CREATE OR REPLACE`, `IF NOT EXISTS`, `LIKE`, `AS SELECT` /
    /// plain `SELECT` tail). Temporary tables are not this (see [`DdlEffect::Ignore`]).
    CreateTable {
        /// The table created.
        table: TableRef,
        /// `CREATE TABLE t LIKE src` / `CREATE TABLE t (LIKE src)`: the table whose
        /// definition is copied (no rows are copied).
        like: Option<TableRef>,
        /// The table is filled from a query (`[AS] SELECT ...`, `TABLE t`, `VALUES`, or
        /// MySQL 8's `... START TRANSACTION` marker). In ROW format the rows then follow as
        /// row events.
        as_select: bool,
        /// `CREATE OR REPLACE TABLE` (MariaDB): an existing table of that name is dropped
        /// first.
        or_replace: bool,
    },
    /// `ALTER TABLE` (incl. MariaDB's `ALTER ONLINE` / `ALTER IGNORE`), and `CREATE INDEX
    /// … ON t` / `DROP INDEX … ON t` (no column changes: the rows stay, the definition
    /// changes; `DROP INDEX \`PRIMARY\`` sets `primary_key_changed`).
    AlterTable {
        /// The table altered.
        table: TableRef,
        /// The column changes, in statement order; empty for index-, engine- or
        /// option-only changes.
        columns: Vec<ColumnChange>,
        /// `ADD PRIMARY KEY`, `ADD CONSTRAINT .. PRIMARY KEY`, `DROP PRIMARY KEY`, `DROP
        /// INDEX \`PRIMARY\``: the key rows are identified by changed. Reported on its own:
        /// it does not set `other_changes`.
        primary_key_changed: bool,
        /// Something other than the listed column changes can alter stored row values or
        /// column types: `CONVERT TO CHARACTER SET`, `DROP`/`TRUNCATE`/`EXCHANGE`/`DISCARD`
        /// /`IMPORT PARTITION`, `DISCARD`/`IMPORT TABLESPACE`, `ENGINE=BLACKHOLE`, `ADD`/`DROP
        /// SYSTEM VERSIONING`, `ALTER IGNORE` with a new unique or primary key (it deletes
        /// duplicates), or any clause the scanner does not understand (conservative).
        /// Harmless clauses leave it false: indexes, foreign keys, checks, `ENGINE=InnoDB`,
        /// `FORCE`, `ALGORITHM`, `LOCK`, `DEFAULT CHARSET`, `COMMENT`, `AUTO_INCREMENT`,
        /// `ROW_FORMAT`, other table options, `ORDER BY`, repartitioning.
        other_changes: bool,
        /// `RENAME [TO|AS] [db.]u` inside the `ALTER TABLE`: the table's new name, applied
        /// after the other changes.
        rename_to: Option<TableRef>,
    },
    /// `RENAME TABLE a TO b [, c TO d ...]`: applied in order, atomically (the gh-ost /
    /// pt-online-schema-change swap `RENAME TABLE t TO _t_old, _t_new TO t`).
    RenameTables(Vec<(TableRef, TableRef)>),
    /// `TRUNCATE [TABLE] t`: every row is removed, with no row events.
    Truncate(TableRef),
    /// `DROP TABLE [IF EXISTS] a, b` (not `DROP TEMPORARY TABLE`), and MariaDB's `DROP
    /// SEQUENCE` (a sequence is a table there; dropping one the caller does not track is a
    /// no-op for it).
    DropTables(Vec<TableRef>),
    /// `CREATE DATABASE|SCHEMA [IF NOT EXISTS] d` (`CREATE OR REPLACE DATABASE` also gives
    /// a [`DdlEffect::DropDatabase`] first).
    CreateDatabase(String),
    /// `DROP DATABASE|SCHEMA [IF EXISTS] d`: every table in it is gone.
    DropDatabase(String),
    /// The statement cannot change replicated tables' rows or columns: `GRANT`/`REVOKE`,
    /// users and roles, views, triggers, procedures, functions, events, `FLUSH`,
    /// `ANALYZE`/`OPTIMIZE`/`REPAIR`/`CHECK TABLE`, `SET`, `ALTER DATABASE`, temporary
    /// tables (`CREATE`/`DROP TEMPORARY TABLE`), transaction control (`BEGIN`, `COMMIT`,
    /// `XA`, `SAVEPOINT`; these normally never get here), queries, empty and comment-only
    /// statements. `CREATE SEQUENCE` / `ALTER SEQUENCE` are here too although a MariaDB
    /// sequence is a table: its one row is logged as row events and its definition is not
    /// a replicated table's.
    Ignore,
    /// Could not tell what the statement does. `tables` lists any table names the fallback
    /// scanner found after the leading keywords (for statement-based `INSERT`/`UPDATE`/
    /// `DELETE`/`LOAD DATA`, the tables it writes), so the caller can re-copy those
    /// tables rather than risk wrong rows. The caller treats this conservatively.
    Unknown {
        /// Tables the statement seems to name (best effort; may be empty).
        tables: Vec<TableRef>,
        /// Why the statement was not understood, for logs.
        reason: String,
    },
}

/// Classifies one statement `statement` that ran with default database `default_schema`
/// into its effects on tables; normally one element. Never panics.
pub fn classify(default_schema: &str, statement: &str) -> Vec<DdlEffect> {
    match std::panic::catch_unwind(|| classify_inner(default_schema, statement)) {
        Ok(effects) => effects,
        Err(_) => vec![DdlEffect::Unknown {
            tables: Vec::new(),
            reason: "internal error while classifying the statement".to_string(),
        }],
    }
}

fn classify_inner(ds: &str, statement: &str) -> Vec<DdlEffect> {
    let clean = strip_comments(statement);
    let mut toks = tokenize(&clean);
    while matches!(toks.last(), Some(t) if t.tok == Tok::Punct(';')) {
        toks.pop();
    }
    if toks.is_empty() {
        return vec![DdlEffect::Ignore];
    }
    // MySQL 8.0.21+: `CREATE TABLE ... START TRANSACTION` is an atomic CREATE ... SELECT.
    let mut ctas_marker = false;
    let n = toks.len();
    if n >= 3
        && toks[0].is_kw("CREATE")
        && toks[n - 2].is_kw("START")
        && toks[n - 1].is_kw("TRANSACTION")
    {
        ctas_marker = true;
        toks.truncate(n - 2);
    }
    let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
        return vec![DdlEffect::Ignore];
    };
    let text = clean.get(first.start..last.end).unwrap_or("");

    let mut effects =
        via_sqlparser(ds, text).unwrap_or_else(|| fallback::classify_tokens(ds, &toks));
    if ctas_marker {
        for e in &mut effects {
            if let DdlEffect::CreateTable { as_select, .. } = e {
                *as_select = true;
            }
        }
    }
    effects
}

// ---------------------------------------------------------------------------------------
// Comments
// ---------------------------------------------------------------------------------------

/// Removes comments outside quotes; versioned comments `/*!NNNNN x */` and `/*M!NNNNNN x */`
/// become their content `x` (MySQL executes it). Every removed comment leaves a space.
fn strip_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut seg = 0; // start of the text not copied yet
    let mut i = 0;
    let mut in_versioned = false;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => i = skip_quoted(b, i, q),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                out.push_str(&src[seg..i]);
                out.push(' ');
                let versioned_at = match (b.get(i + 2), b.get(i + 3)) {
                    (Some(b'!'), _) => Some(i + 3),
                    (Some(b'M'), Some(b'!')) => Some(i + 4),
                    _ => None,
                };
                match versioned_at {
                    Some(mut j) if !in_versioned => {
                        let mut digits = 0;
                        while digits < 6 && j < b.len() && b[j].is_ascii_digit() {
                            j += 1;
                            digits += 1;
                        }
                        in_versioned = true;
                        i = j;
                    }
                    _ => {
                        i = find(b, i + 2, b"*/").map_or(b.len(), |p| p + 2);
                    }
                }
                seg = i;
            }
            b'*' if in_versioned && b.get(i + 1) == Some(&b'/') => {
                out.push_str(&src[seg..i]);
                out.push(' ');
                in_versioned = false;
                i += 2;
                seg = i;
            }
            b'#' => {
                out.push_str(&src[seg..i]);
                out.push(' ');
                i = find(b, i, b"\n").unwrap_or(b.len());
                seg = i;
            }
            b'-' if b.get(i + 1) == Some(&b'-')
                && b.get(i + 2)
                    .is_none_or(|c| c.is_ascii_whitespace() || c.is_ascii_control()) =>
            {
                out.push_str(&src[seg..i]);
                out.push(' ');
                i = find(b, i, b"\n").unwrap_or(b.len());
                seg = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&src[seg..]);
    out
}

/// Index just past the quoted section starting at `start` (quote byte `q`), or the end.
fn skip_quoted(b: &[u8], start: usize, q: u8) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == b'\\' && q != b'`' {
            i += 2;
        } else if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An unquoted word: keyword, identifier or number.
    Word(String),
    /// A backtick-quoted identifier, unescaped.
    Quoted(String),
    /// A string literal, unescaped; `double` when written with `"` (an identifier when
    /// the source runs with ANSI_QUOTES, which is the only way it can appear where a name
    /// is expected).
    Str { text: String, double: bool },
    /// Any other character.
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Byte range in the comment-free text.
    start: usize,
    end: usize,
}

impl Token {
    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn is_punct(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }

    fn word_upper(&self) -> Option<String> {
        match &self.tok {
            Tok::Word(w) => Some(w.to_ascii_uppercase()),
            _ => None,
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

fn tokenize(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, ch)) = it.next() {
        if ch.is_whitespace() {
            continue;
        }
        let tok;
        let mut end = s.len();
        if ch == '`' {
            let mut text = String::new();
            while let Some((j, c)) = it.next() {
                if c == '`' {
                    if matches!(it.peek(), Some(&(_, '`'))) {
                        it.next();
                        text.push('`');
                        continue;
                    }
                    end = j + 1;
                    break;
                }
                text.push(c);
            }
            tok = Tok::Quoted(text);
        } else if ch == '\'' || ch == '"' {
            let mut text = String::new();
            while let Some((j, c)) = it.next() {
                if c == '\\' {
                    if let Some((_, n)) = it.next() {
                        text.push(n);
                    }
                    continue;
                }
                if c == ch {
                    if matches!(it.peek(), Some(&(_, p)) if p == ch) {
                        it.next();
                        text.push(ch);
                        continue;
                    }
                    end = j + 1;
                    break;
                }
                text.push(c);
            }
            tok = Tok::Str {
                text,
                double: ch == '"',
            };
        } else if is_word_char(ch) {
            end = i + ch.len_utf8();
            while let Some(&(j, c)) = it.peek() {
                if !is_word_char(c) {
                    break;
                }
                end = j + c.len_utf8();
                it.next();
            }
            tok = Tok::Word(s[i..end].to_string());
        } else {
            end = i + ch.len_utf8();
            tok = Tok::Punct(ch);
        }
        out.push(Token { tok, start: i, end });
    }
    out
}

/// MySQL reserved words that cannot be an unquoted table or column name: where the
/// scanner expects a name and finds one of these, the statement is not what it looks like.
const RESERVED: &[&str] = &[
    "ADD",
    "ALTER",
    "AND",
    "AS",
    "BY",
    "CHANGE",
    "CHARACTER",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "CONSTRAINT",
    "CONVERT",
    "CREATE",
    "DEFAULT",
    "DROP",
    "EXISTS",
    "FOR",
    "FOREIGN",
    "FROM",
    "IF",
    "IGNORE",
    "IN",
    "INDEX",
    "INTO",
    "IS",
    "JOIN",
    "KEY",
    "LIKE",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "PARTITION",
    "PRIMARY",
    "RENAME",
    "REPLACE",
    "SELECT",
    "SET",
    "TABLE",
    "TO",
    "UNIQUE",
    "USING",
    "VALUES",
    "WHERE",
    "WITH",
];

fn is_reserved(w: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(w))
}

fn resolve(ds: &str, schema: Option<String>, name: String) -> TableRef {
    TableRef {
        schema: schema.unwrap_or_else(|| ds.to_string()),
        name,
    }
}

/// A cursor over a token slice.
#[derive(Clone)]
struct Cur<'a> {
    toks: &'a [Token],
    pos: usize,
}

impl<'a> Cur<'a> {
    fn new(toks: &'a [Token]) -> Self {
        Cur { toks, pos: 0 }
    }

    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&'a Token> {
        self.toks.get(self.pos + n)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    fn rest(&self) -> &'a [Token] {
        self.toks.get(self.pos..).unwrap_or(&[])
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    fn is_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        self.peek_at(n).is_some_and(|t| t.is_kw(kw))
    }

    fn is_any_kw(&self, kws: &[&str]) -> bool {
        kws.iter().any(|k| self.is_kw(k))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Eats the whole sequence, or nothing.
    fn eat_kws(&mut self, kws: &[&str]) -> bool {
        if kws.iter().enumerate().all(|(n, k)| self.is_kw_at(n, k)) {
            self.pos += kws.len();
            true
        } else {
            false
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if self.peek().is_some_and(|t| t.is_punct(c)) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn word_upper(&self) -> Option<String> {
        self.peek().and_then(Token::word_upper)
    }

    /// `IF EXISTS` / `IF NOT EXISTS`, if present.
    fn eat_if_exists(&mut self) {
        if !self.eat_kws(&["IF", "EXISTS"]) {
            self.eat_kws(&["IF", "NOT", "EXISTS"]);
        }
    }

    /// MariaDB's `WAIT n` / `NOWAIT` after a table name.
    fn eat_wait(&mut self) {
        if self.eat_kw("NOWAIT") {
            return;
        }
        if self.is_kw("WAIT") && matches!(self.peek_at(1).map(|t| &t.tok), Some(Tok::Word(_))) {
            self.pos += 2;
        }
    }

    /// One identifier: unquoted non-reserved word, backtick-quoted, or `"..."`.
    fn ident(&mut self) -> Option<String> {
        let t = self.peek()?;
        let s = match &t.tok {
            Tok::Word(w) if !is_reserved(w) => w.clone(),
            Tok::Quoted(q) => q.clone(),
            Tok::Str { text, double: true } => text.clone(),
            _ => return None,
        };
        self.bump();
        Some(s)
    }

    /// The identifier after a `.`: any word is allowed there, even a reserved one.
    fn ident_after_dot(&mut self) -> Option<String> {
        let t = self.peek()?;
        let s = match &t.tok {
            Tok::Word(w) => w.clone(),
            Tok::Quoted(q) => q.clone(),
            Tok::Str { text, double: true } => text.clone(),
            _ => return None,
        };
        self.bump();
        Some(s)
    }

    /// `name` or `db.name`, resolved against `ds`. On failure the cursor is unchanged.
    fn table_name(&mut self, ds: &str) -> Option<TableRef> {
        let save = self.pos;
        let first = self.ident()?;
        if self.eat_punct('.') {
            match self.ident_after_dot() {
                Some(second) => Some(resolve(ds, Some(first), second)),
                None => {
                    self.pos = save;
                    None
                }
            }
        } else {
            Some(resolve(ds, None, first))
        }
    }

    /// Skips a parenthesized group starting at the cursor (which must be on `(`); stops at
    /// the end if unbalanced.
    fn skip_group(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            self.bump();
            if t.is_punct('(') {
                depth += 1;
            } else if t.is_punct(')') {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return;
                }
            }
            if depth == 0 {
                return;
            }
        }
    }

    /// `user`, `'u'@'h'`, `` `u`@`h` ``, `CURRENT_USER[()]` after `DEFINER =`.
    fn skip_user(&mut self) {
        if self.eat_kw("CURRENT_USER") {
            if self.peek().is_some_and(|t| t.is_punct('(')) {
                self.skip_group();
            }
            return;
        }
        self.bump();
        if self.eat_punct('@') {
            self.bump();
        }
    }
}

/// Splits at commas outside parentheses.
fn split_top_level(toks: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth = depth.saturating_sub(1);
        } else if t.is_punct(',') && depth == 0 {
            out.push(&toks[start..i]);
            start = i + 1;
        }
    }
    out.push(&toks[start..]);
    out
}

// ---------------------------------------------------------------------------------------
// sqlparser
// ---------------------------------------------------------------------------------------

/// Classifies with sqlparser; `None` when it cannot parse the statement or the result does
/// not map onto an effect with certainty (the fallback scanner then decides).
fn via_sqlparser(ds: &str, sql: &str) -> Option<Vec<DdlEffect>> {
    let stmts = Parser::parse_sql(&MySqlDialect {}, sql).ok()?;
    match stmts.as_slice() {
        [stmt] => map_statement(ds, stmt),
        _ => None,
    }
}

fn obj(ds: &str, name: &ObjectName) -> Option<TableRef> {
    let mut parts = Vec::with_capacity(2);
    for p in &name.0 {
        match p {
            ObjectNamePart::Identifier(i) => parts.push(i.value.clone()),
            ObjectNamePart::Function(_) => return None,
        }
    }
    match <[String; 2]>::try_from(parts) {
        Ok([db, t]) => Some(resolve(ds, Some(db), t)),
        Err(parts) => match <[String; 1]>::try_from(parts) {
            Ok([t]) => Some(resolve(ds, None, t)),
            Err(_) => None,
        },
    }
}

fn single_name(name: &ObjectName) -> Option<String> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(i)] => Some(i.value.clone()),
        _ => None,
    }
}

fn map_statement(ds: &str, stmt: &Statement) -> Option<Vec<DdlEffect>> {
    use DdlEffect as E;
    Some(match stmt {
        Statement::CreateTable(ct) => {
            if ct.temporary {
                return Some(vec![E::Ignore]);
            }
            // sqlparser reads MySQL's `CREATE TABLE t (LIKE src)` as a column named LIKE.
            let like_column = ct
                .columns
                .iter()
                .any(|c| c.name.quote_style.is_none() && c.name.value.eq_ignore_ascii_case("like"));
            if like_column || ct.clone.is_some() {
                return None;
            }
            let like = match &ct.like {
                None => None,
                Some(CreateTableLikeKind::Plain(l) | CreateTableLikeKind::Parenthesized(l)) => {
                    Some(obj(ds, &l.name)?)
                }
            };
            vec![E::CreateTable {
                table: obj(ds, &ct.name)?,
                like,
                as_select: ct.query.is_some(),
                or_replace: ct.or_replace,
            }]
        }
        Statement::AlterTable(at) => vec![map_alter(ds, at)?],
        Statement::CreateIndex(ci) => vec![index_change(obj(ds, &ci.table_name)?, false)],
        Statement::RenameTable(pairs) => {
            let mut out = Vec::with_capacity(pairs.len());
            for p in pairs {
                out.push((obj(ds, &p.old_name)?, obj(ds, &p.new_name)?));
            }
            if out.is_empty() {
                return None;
            }
            vec![E::RenameTables(out)]
        }
        Statement::Truncate(t) => {
            if t.partitions.is_some() || t.table_names.is_empty() {
                return None;
            }
            let mut out = Vec::with_capacity(t.table_names.len());
            for n in &t.table_names {
                out.push(E::Truncate(obj(ds, &n.name)?));
            }
            out
        }
        Statement::Drop {
            object_type,
            names,
            temporary,
            table,
            ..
        } => match object_type {
            ObjectType::Table | ObjectType::Sequence if *temporary => vec![E::Ignore],
            ObjectType::Table | ObjectType::Sequence => {
                let mut out = Vec::with_capacity(names.len());
                for n in names {
                    out.push(obj(ds, n)?);
                }
                if out.is_empty() {
                    return None;
                }
                vec![E::DropTables(out)]
            }
            ObjectType::Database | ObjectType::Schema => {
                let mut out = Vec::with_capacity(names.len());
                for n in names {
                    out.push(E::DropDatabase(single_name(n)?));
                }
                if out.is_empty() {
                    return None;
                }
                out
            }
            ObjectType::Index => {
                let primary = names
                    .iter()
                    .any(|n| single_name(n).is_some_and(|s| s.eq_ignore_ascii_case("PRIMARY")));
                match table {
                    Some(t) => vec![index_change(obj(ds, t)?, primary)],
                    None => vec![E::Ignore],
                }
            }
            ObjectType::View | ObjectType::Role | ObjectType::User => vec![E::Ignore],
            _ => return None,
        },
        Statement::CreateDatabase {
            db_name,
            or_replace,
            ..
        } => {
            let name = single_name(db_name)?;
            if *or_replace {
                vec![E::DropDatabase(name.clone()), E::CreateDatabase(name)]
            } else {
                vec![E::CreateDatabase(name)]
            }
        }
        Statement::CreateSchema {
            schema_name: SchemaName::Simple(n),
            ..
        } => vec![E::CreateDatabase(single_name(n)?)],
        Statement::Grant { .. }
        | Statement::Revoke { .. }
        | Statement::CreateView { .. }
        | Statement::AlterView { .. }
        | Statement::CreateRole { .. }
        | Statement::AlterRole { .. }
        | Statement::CreateUser { .. }
        | Statement::AlterUser { .. }
        | Statement::CreateTrigger { .. }
        | Statement::DropTrigger { .. }
        | Statement::CreateProcedure { .. }
        | Statement::DropProcedure { .. }
        | Statement::CreateFunction { .. }
        | Statement::DropFunction { .. }
        | Statement::CreateSequence { .. }
        | Statement::Flush { .. }
        | Statement::Analyze { .. }
        | Statement::OptimizeTable { .. }
        | Statement::Set { .. }
        | Statement::Use { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::LockTables { .. }
        | Statement::UnlockTables
        | Statement::Query { .. } => vec![E::Ignore],
        _ => return None,
    })
}

fn map_alter(ds: &str, at: &AlterTable) -> Option<DdlEffect> {
    use AlterTableOperation as Op;
    let table = obj(ds, &at.name)?;
    let mut columns = Vec::new();
    let mut primary_key_changed = false;
    let mut rename_to = None;
    let is_primary = |s: &str| s.eq_ignore_ascii_case("PRIMARY");
    for op in &at.operations {
        match op {
            Op::AddConstraint { constraint, .. } => match constraint {
                TableConstraint::PrimaryKey(_) => primary_key_changed = true,
                TableConstraint::Unique(_)
                | TableConstraint::ForeignKey(_)
                | TableConstraint::Check(_)
                | TableConstraint::Index(_)
                | TableConstraint::FulltextOrSpatial(_) => {}
                #[allow(unreachable_patterns)]
                _ => return None,
            },
            Op::AddColumn {
                column_def,
                column_keyword,
                ..
            } => {
                // sqlparser reads MariaDB's `ADD SYSTEM VERSIONING` as a column SYSTEM of a
                // custom type VERSIONING: leave anything with a type it does not know to the
                // scanner.
                if matches!(column_def.data_type, DataType::Custom(..))
                    || (!column_keyword && looks_like_keyword(&column_def.name))
                {
                    return None;
                }
                columns.push(ColumnChange::Add(column_def.name.value.clone()));
            }
            Op::DropColumn {
                column_names,
                has_column_keyword,
                ..
            } => {
                for c in column_names {
                    if !has_column_keyword && looks_like_keyword(c) {
                        return None;
                    }
                    columns.push(ColumnChange::Drop(c.value.clone()));
                }
            }
            Op::DropPrimaryKey { .. } => primary_key_changed = true,
            Op::DropIndex { name } | Op::DropConstraint { name, .. } => {
                if is_primary(&name.value) {
                    primary_key_changed = true;
                }
            }
            Op::DropForeignKey { .. } | Op::RenameConstraint { .. } => {}
            Op::RenameColumn {
                old_column_name,
                new_column_name,
            } => columns.push(ColumnChange::Rename {
                old: old_column_name.value.clone(),
                new: new_column_name.value.clone(),
            }),
            Op::RenameTable { table_name } => {
                let (RenameTableNameKind::To(n) | RenameTableNameKind::As(n)) = table_name;
                rename_to = Some(obj(ds, n)?);
            }
            Op::ChangeColumn {
                old_name,
                new_name,
                data_type,
                ..
            } => {
                if matches!(data_type, DataType::Custom(..)) {
                    return None;
                }
                columns.push(change(old_name.value.clone(), new_name.value.clone()));
            }
            Op::ModifyColumn {
                col_name,
                data_type,
                ..
            } => {
                if matches!(data_type, DataType::Custom(..)) {
                    return None;
                }
                columns.push(ColumnChange::Modify(col_name.value.clone()));
            }
            Op::AlterColumn { column_name, .. } => {
                columns.push(ColumnChange::Modify(column_name.value.clone()));
            }
            Op::Algorithm { .. } | Op::Lock { .. } | Op::AutoIncrement { .. } => {}
            _ => return None,
        }
    }
    Some(DdlEffect::AlterTable {
        table,
        columns,
        primary_key_changed,
        other_changes: false,
        rename_to,
    })
}

/// `CREATE INDEX … ON table` / `DROP INDEX … ON table`: the table's definition changes,
/// its rows and columns do not (unless the primary key is dropped).
fn index_change(table: TableRef, primary_key_changed: bool) -> DdlEffect {
    DdlEffect::AlterTable {
        table,
        columns: Vec::new(),
        primary_key_changed,
        other_changes: false,
        rename_to: None,
    }
}

/// An unquoted name that is really a MariaDB clause keyword (`ADD SYSTEM VERSIONING`,
/// `DROP PERIOD FOR ...`) rather than a column.
fn looks_like_keyword(name: &Ident) -> bool {
    name.quote_style.is_none()
        && ["SYSTEM", "PERIOD"]
            .iter()
            .any(|k| name.value.eq_ignore_ascii_case(k))
}

/// `CHANGE old new`: a plain redefinition when both names are the same.
fn change(old: String, new: String) -> ColumnChange {
    if old == new {
        ColumnChange::Modify(old)
    } else {
        ColumnChange::Change { old, new }
    }
}

// ---------------------------------------------------------------------------------------
// Fallback scanner
// ---------------------------------------------------------------------------------------

mod fallback {
    use super::*;

    fn unknown(tables: Vec<TableRef>, reason: impl Into<String>) -> Vec<DdlEffect> {
        vec![DdlEffect::Unknown {
            tables,
            reason: reason.into(),
        }]
    }

    /// First words of statements that cannot change replicated tables.
    const IGNORED_VERBS: &[&str] = &[
        "GRANT",
        "REVOKE",
        "FLUSH",
        "ANALYZE",
        "OPTIMIZE",
        "REPAIR",
        "CHECK",
        "CHECKSUM",
        "SET",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "XA",
        "START",
        "USE",
        "DO",
        "SELECT",
        "TABLE",
        "VALUES",
        "SHOW",
        "DESCRIBE",
        "DESC",
        "EXPLAIN",
        "HELP",
        "INSTALL",
        "UNINSTALL",
        "RESET",
        "PURGE",
        "LOCK",
        "UNLOCK",
        "PREPARE",
        "EXECUTE",
        "DEALLOCATE",
        "CACHE",
        "HANDLER",
        "SIGNAL",
        "RESIGNAL",
        "GET",
        "BINLOG",
        "KILL",
        "CHANGE",
        "STOP",
        "SHUTDOWN",
        "RESTART",
    ];

    /// Objects whose CREATE / ALTER / DROP cannot change replicated tables.
    const IGNORED_OBJECTS: &[&str] = &[
        "VIEW",
        "TRIGGER",
        "PROCEDURE",
        "FUNCTION",
        "EVENT",
        "INDEX",
        "USER",
        "ROLE",
        "SERVER",
        "TABLESPACE",
        "LOGFILE",
        "RESOURCE",
        "SPATIAL",
        "PACKAGE",
        "SYNONYM",
        "PREPARE",
        "UNDO",
        "INSTANCE",
    ];

    pub(super) fn classify_tokens(ds: &str, toks: &[Token]) -> Vec<DdlEffect> {
        let mut c = Cur::new(toks);
        let Some(verb) = c.word_upper() else {
            return unknown(
                scan_tables(ds, toks),
                "the statement does not start with a keyword",
            );
        };
        c.bump();
        match verb.as_str() {
            "CREATE" => create(ds, c),
            "ALTER" => alter(ds, c),
            "RENAME" => rename(ds, c),
            "TRUNCATE" => truncate(ds, c),
            "DROP" => drop(ds, c),
            "INSERT" | "REPLACE" | "UPDATE" | "DELETE" => dml(ds, &verb, c),
            "LOAD" if c.is_any_kw(&["DATA", "XML"]) => dml(ds, &verb, c),
            "LOAD" => vec![DdlEffect::Ignore], // LOAD INDEX INTO CACHE
            "WITH" => {
                let writes = depth0_words(c.rest())
                    .any(|w| ["UPDATE", "DELETE", "INSERT", "REPLACE"].contains(&w.as_str()));
                if writes {
                    dml(ds, &verb, c)
                } else {
                    vec![DdlEffect::Ignore]
                }
            }
            "CALL" => unknown(
                Vec::new(),
                "CALL of a stored procedure logged as a statement",
            ),
            v if IGNORED_VERBS.contains(&v) => vec![DdlEffect::Ignore],
            v => unknown(
                scan_tables(ds, toks),
                format!("unrecognised statement `{v} ...`"),
            ),
        }
    }

    /// Upper-cased words outside parentheses.
    fn depth0_words(toks: &[Token]) -> impl Iterator<Item = String> + '_ {
        let mut depth = 0usize;
        toks.iter().filter_map(move |t| {
            if t.is_punct('(') {
                depth += 1;
            } else if t.is_punct(')') {
                depth = depth.saturating_sub(1);
            } else if depth == 0 {
                return t.word_upper();
            }
            None
        })
    }

    /// Skips `DEFINER = user`, `ALGORITHM = x`, `SQL SECURITY x` and similar modifiers
    /// between CREATE/ALTER and the object keyword. Returns (or_replace, temporary).
    fn skip_modifiers(c: &mut Cur<'_>) -> (bool, bool) {
        let (mut or_replace, mut temporary) = (false, false);
        loop {
            if c.eat_kws(&["OR", "REPLACE"]) {
                or_replace = true;
            } else if c.eat_kw("TEMPORARY") {
                temporary = true;
            } else if c.eat_kw("DEFINER") {
                c.eat_punct('=');
                c.skip_user();
            } else if c.eat_kw("ALGORITHM") {
                c.eat_punct('=');
                c.bump();
            } else if c.eat_kws(&["SQL", "SECURITY"])
                || c.is_any_kw(&[
                    "AGGREGATE",
                    "ONLINE",
                    "OFFLINE",
                    "UNIQUE",
                    "FULLTEXT",
                    "EDITIONABLE",
                    "NONEDITIONABLE",
                ])
            {
                c.bump();
            } else {
                return (or_replace, temporary);
            }
        }
    }

    fn create(ds: &str, mut c: Cur<'_>) -> Vec<DdlEffect> {
        let (or_replace, temporary) = skip_modifiers(&mut c);
        let Some(object) = c.word_upper() else {
            return unknown(Vec::new(), "CREATE of an unrecognised object");
        };
        c.bump();
        match object.as_str() {
            "TABLE" => create_table(ds, c, or_replace, temporary),
            "DATABASE" | "SCHEMA" => {
                c.eat_if_exists();
                match c.ident() {
                    Some(db) if or_replace => {
                        vec![
                            DdlEffect::DropDatabase(db.clone()),
                            DdlEffect::CreateDatabase(db),
                        ]
                    }
                    Some(db) => vec![DdlEffect::CreateDatabase(db)],
                    None => unknown(Vec::new(), "CREATE DATABASE without a name"),
                }
            }
            "SEQUENCE" => vec![DdlEffect::Ignore],
            "INDEX" => index_on(ds, c),
            "SPATIAL" if c.eat_kw("INDEX") => index_on(ds, c),
            o if IGNORED_OBJECTS.contains(&o) => vec![DdlEffect::Ignore],
            o => unknown(
                scan_tables(ds, c.toks),
                format!("CREATE {o}: unrecognised object"),
            ),
        }
    }

    /// After `CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX`: `[IF NOT EXISTS] name [USING t] ON
    /// table (...)`. Without a table name found, nothing a replica follows (as before).
    fn index_on(ds: &str, mut c: Cur<'_>) -> Vec<DdlEffect> {
        while c.eat_kw("ONLINE") || c.eat_kw("OFFLINE") {}
        c.eat_if_exists();
        if c.ident().is_none() {
            return vec![DdlEffect::Ignore];
        }
        if c.eat_kw("USING") || c.eat_kw("TYPE") {
            c.bump();
        }
        match (c.eat_kw("ON"), c.table_name(ds)) {
            (true, Some(table)) => vec![super::index_change(table, false)],
            _ => vec![DdlEffect::Ignore],
        }
    }

    fn create_table(ds: &str, mut c: Cur<'_>, or_replace: bool, temporary: bool) -> Vec<DdlEffect> {
        if temporary {
            return vec![DdlEffect::Ignore];
        }
        c.eat_if_exists();
        let Some(table) = c.table_name(ds) else {
            return unknown(Vec::new(), "CREATE TABLE without a table name");
        };
        let mut like = None;
        let mut as_select = false;
        let paren_like = c.peek().is_some_and(|t| t.is_punct('(')) && c.is_kw_at(1, "LIKE");
        if c.is_kw("LIKE") || paren_like {
            c.pos += if paren_like { 2 } else { 1 };
            match c.table_name(ds) {
                Some(src) => like = Some(src),
                None => {
                    return unknown(vec![table], "CREATE TABLE ... LIKE without a source table")
                }
            }
        } else {
            as_select = fills_from_query(c.rest());
        }
        vec![DdlEffect::CreateTable {
            table,
            like,
            as_select,
            or_replace,
        }]
    }

    /// After `CREATE TABLE name`: is there a query (`[AS] SELECT`, `(SELECT ...)`, `TABLE
    /// t`, `VALUES`, `WITH ...`) outside the column definitions?
    fn fills_from_query(rest: &[Token]) -> bool {
        let mut depth = 0usize;
        for (i, t) in rest.iter().enumerate() {
            if t.is_punct('(') {
                if depth == 0 {
                    let first = rest.get(i + 1);
                    if first.is_some_and(|f| {
                        ["SELECT", "WITH", "VALUES", "TABLE"]
                            .iter()
                            .any(|k| f.is_kw(k))
                    }) {
                        return true;
                    }
                }
                depth += 1;
            } else if t.is_punct(')') {
                depth = depth.saturating_sub(1);
            } else if depth == 0 {
                if ["SELECT", "VALUES", "TABLE", "AS"]
                    .iter()
                    .any(|k| t.is_kw(k))
                {
                    return true;
                }
                // `WITH SYSTEM VERSIONING` is a MariaDB table option, not a CTE.
                if t.is_kw("WITH") && !rest.get(i + 1).is_some_and(|n| n.is_kw("SYSTEM")) {
                    return true;
                }
            }
        }
        false
    }

    fn alter(ds: &str, mut c: Cur<'_>) -> Vec<DdlEffect> {
        let mut ignore = false;
        loop {
            if c.eat_kw("IGNORE") {
                ignore = true;
            } else if !(c.eat_kw("ONLINE") || c.eat_kw("OFFLINE")) {
                break;
            }
        }
        if c.eat_kw("TABLE") {
            return alter_table(ds, c, ignore);
        }
        skip_modifiers(&mut c);
        match c.word_upper().as_deref() {
            Some("DATABASE" | "SCHEMA" | "SEQUENCE") => vec![DdlEffect::Ignore],
            Some(o) if IGNORED_OBJECTS.contains(&o) => vec![DdlEffect::Ignore],
            Some(o) => unknown(
                scan_tables(ds, c.toks),
                format!("ALTER {o}: unrecognised object"),
            ),
            None => unknown(Vec::new(), "ALTER of an unrecognised object"),
        }
    }

    /// Accumulates what the clauses of one ALTER TABLE do.
    #[derive(Default)]
    struct Acc {
        columns: Vec<ColumnChange>,
        primary_key_changed: bool,
        other_changes: bool,
        rename_to: Option<TableRef>,
        /// A unique or primary key was added (with IGNORE this deletes duplicate rows).
        adds_unique: bool,
        /// Effects on other tables (EXCHANGE / CONVERT PARTITION).
        extra: Vec<DdlEffect>,
    }

    fn alter_table(ds: &str, mut c: Cur<'_>, ignore: bool) -> Vec<DdlEffect> {
        c.eat_if_exists();
        let Some(table) = c.table_name(ds) else {
            return unknown(Vec::new(), "ALTER TABLE without a table name");
        };
        c.eat_wait();
        let mut acc = Acc::default();
        let mut partition_list = false;
        for clause in split_top_level(c.rest()) {
            // `DROP PARTITION p0, p1` / `REORGANIZE PARTITION p0, p1 INTO (...)`: the names
            // after the first comma are not clauses of their own.
            if partition_list {
                let mut k = Cur::new(clause);
                if k.ident().is_some() && (k.at_end() || k.is_kw("INTO")) {
                    continue;
                }
            }
            partition_list = alter_clause(ds, clause, &mut acc);
        }
        if ignore && acc.adds_unique {
            acc.other_changes = true;
        }
        let mut out = vec![DdlEffect::AlterTable {
            table,
            columns: acc.columns,
            primary_key_changed: acc.primary_key_changed,
            other_changes: acc.other_changes,
            rename_to: acc.rename_to,
        }];
        out.extend(acc.extra);
        out
    }

    /// Partition maintenance verbs: `<VERB> PARTITION p0, p1 ...`; true if the verb can
    /// drop or replace rows.
    const PARTITION_OPS: &[(&str, bool)] = &[
        ("DROP", true),
        ("TRUNCATE", true),
        ("DISCARD", true),
        ("IMPORT", true),
        ("ANALYZE", false),
        ("CHECK", false),
        ("OPTIMIZE", false),
        ("REBUILD", false),
        ("REPAIR", false),
        ("COALESCE", false),
        ("REORGANIZE", false),
    ];

    /// Classifies one comma-separated ALTER TABLE clause into `acc`. Returns true if the
    /// clause is a partition operation whose partition list may continue after commas.
    fn alter_clause(ds: &str, clause: &[Token], acc: &mut Acc) -> bool {
        let mut c = Cur::new(clause);
        let Some(first) = c.word_upper() else {
            if !c.at_end() {
                acc.other_changes = true; // not a keyword: not understood
            }
            return false;
        };
        // Partition maintenance first: `DROP PARTITION`, `TRUNCATE PARTITION ALL`, ...
        if c.is_kw_at(1, "PARTITION") {
            if let Some(&(_, destroys)) = PARTITION_OPS.iter().find(|(v, _)| *v == first) {
                if destroys {
                    acc.other_changes = true;
                }
                return true;
            }
        }
        c.bump();
        match first.as_str() {
            "ADD" => alter_add(&mut c, acc),
            "DROP" => alter_drop(&mut c, acc),
            "CHANGE" => {
                c.eat_kw("COLUMN");
                c.eat_if_exists();
                match (c.ident(), c.ident()) {
                    (Some(old), Some(new)) => acc.columns.push(change(old, new)),
                    _ => acc.other_changes = true,
                }
            }
            "MODIFY" => {
                c.eat_kw("COLUMN");
                c.eat_if_exists();
                match c.ident() {
                    Some(col) => acc.columns.push(ColumnChange::Modify(col)),
                    None => acc.other_changes = true,
                }
            }
            "RENAME" => {
                if c.eat_kw("COLUMN") {
                    match (c.ident(), c.eat_kw("TO"), c.ident()) {
                        (Some(old), true, Some(new)) => {
                            acc.columns.push(ColumnChange::Rename { old, new })
                        }
                        _ => acc.other_changes = true,
                    }
                } else if c.eat_kw("INDEX") || c.eat_kw("KEY") {
                    // index rename: no row or column change
                } else {
                    if !c.eat_kw("TO") {
                        c.eat_kw("AS");
                    }
                    match c.table_name(ds) {
                        Some(t) => acc.rename_to = Some(t),
                        None => acc.other_changes = true,
                    }
                }
            }
            "ALTER" => {
                if c.is_any_kw(&["INDEX", "KEY", "CHECK", "CONSTRAINT"]) {
                    // index visibility / check enforcement: no row or column change
                } else {
                    c.eat_kw("COLUMN");
                    c.eat_if_exists();
                    match c.ident() {
                        Some(col) => acc.columns.push(ColumnChange::Modify(col)),
                        None => acc.other_changes = true,
                    }
                }
            }
            "CONVERT" => {
                acc.other_changes = true;
                if c.eat_kw("PARTITION") {
                    // MariaDB: CONVERT PARTITION p TO TABLE t2 (t2 gets the rows)
                    c.ident();
                    if c.eat_kws(&["TO", "TABLE"]) {
                        c.eat_if_exists();
                        let tables = c.table_name(ds).into_iter().collect();
                        acc.extra.push(DdlEffect::Unknown {
                            tables,
                            reason: "table created from a partition (its rows are not logged)"
                                .to_string(),
                        });
                    }
                } else if c.eat_kw("TABLE") {
                    // MariaDB: CONVERT TABLE t2 TO PARTITION p (t2's rows move in, t2 is gone)
                    if let Some(t) = c.table_name(ds) {
                        acc.extra.push(DdlEffect::DropTables(vec![t]));
                    }
                }
            }
            "EXCHANGE" => {
                // EXCHANGE PARTITION p WITH TABLE t2: both tables' rows change unlogged.
                acc.other_changes = true;
                c.eat_kw("PARTITION");
                c.ident();
                if c.eat_kws(&["WITH", "TABLE"]) {
                    if let Some(t) = c.table_name(ds) {
                        acc.extra.push(DdlEffect::AlterTable {
                            table: t,
                            columns: Vec::new(),
                            primary_key_changed: false,
                            other_changes: true,
                            rename_to: None,
                        });
                    }
                }
            }
            "DISCARD" | "IMPORT" => acc.other_changes = true, // ... TABLESPACE
            "FORCE" | "NOWAIT" => {}
            "ENABLE" | "DISABLE" if c.is_kw("KEYS") => {}
            "ORDER" if c.is_kw("BY") => {}
            "REMOVE" | "UPGRADE" if c.is_kw("PARTITIONING") => {}
            "PARTITION" if c.is_kw("BY") => {}
            "WITH" | "WITHOUT" if c.is_kw("VALIDATION") => {}
            "SECONDARY_LOAD" | "SECONDARY_UNLOAD" => {}
            _ => {
                c.pos = 0;
                match table_options(&mut c) {
                    Some(false) => {}
                    Some(true) | None => acc.other_changes = true,
                }
            }
        }
        false
    }

    fn alter_add(c: &mut Cur<'_>, acc: &mut Acc) {
        let column_kw = c.eat_kw("COLUMN");
        c.eat_if_exists();
        if !column_kw {
            if c.eat_kw("CONSTRAINT") {
                c.eat_if_exists();
                c.ident(); // the symbol, if any (PRIMARY/UNIQUE/... are reserved)
            }
            if c.is_kw("PRIMARY") {
                acc.primary_key_changed = true;
                acc.adds_unique = true;
                return;
            }
            if c.is_kw("UNIQUE") {
                acc.adds_unique = true;
                return;
            }
            if c.is_any_kw(&[
                "INDEX",
                "KEY",
                "FULLTEXT",
                "SPATIAL",
                "FOREIGN",
                "CHECK",
                "PARTITION",
                "PERIOD",
            ]) {
                return;
            }
            if c.is_kw("SYSTEM") {
                acc.other_changes = true; // ADD SYSTEM VERSIONING: hidden columns + history
                return;
            }
        }
        if c.peek().is_some_and(|t| t.is_punct('(')) {
            // ADD [COLUMN] (a INT, b INT)
            let start = c.pos + 1;
            c.skip_group();
            let end = if c
                .toks
                .get(c.pos.wrapping_sub(1))
                .is_some_and(|t| t.is_punct(')'))
            {
                c.pos - 1
            } else {
                c.pos
            };
            let inner = c.toks.get(start..end.max(start)).unwrap_or(&[]);
            for def in split_top_level(inner) {
                let mut d = Cur::new(def);
                match d.ident() {
                    Some(col) => acc.columns.push(ColumnChange::Add(col)),
                    None if d.at_end() => {}
                    None => acc.other_changes = true,
                }
            }
            return;
        }
        match c.ident() {
            Some(col) => acc.columns.push(ColumnChange::Add(col)),
            None => acc.other_changes = true,
        }
    }

    fn alter_drop(c: &mut Cur<'_>, acc: &mut Acc) {
        if c.eat_kws(&["PRIMARY", "KEY"]) {
            acc.primary_key_changed = true;
            return;
        }
        if c.eat_kw("INDEX")
            || c.eat_kw("KEY")
            || c.eat_kws(&["FOREIGN", "KEY"])
            || c.eat_kw("CHECK")
            || c.eat_kw("CONSTRAINT")
        {
            c.eat_if_exists();
            let name = c.ident().or_else(|| c.ident_after_dot());
            if name.is_some_and(|n| n.eq_ignore_ascii_case("PRIMARY")) {
                acc.primary_key_changed = true;
            }
            return;
        }
        if c.is_kw("SYSTEM") {
            acc.other_changes = true; // DROP SYSTEM VERSIONING: history rows go away
            return;
        }
        if c.is_kw("PERIOD") {
            return;
        }
        c.eat_kw("COLUMN");
        c.eat_if_exists();
        match c.ident() {
            Some(col) => acc.columns.push(ColumnChange::Drop(col)),
            None => acc.other_changes = true,
        }
    }

    /// Table options and alter options that never change rows (`=` optional, one value
    /// each).
    const OPTIONS: &[&str] = &[
        "ALGORITHM",
        "LOCK",
        "ENGINE",
        "TYPE",
        "AUTO_INCREMENT",
        "AVG_ROW_LENGTH",
        "CHARSET",
        "CHECKSUM",
        "TABLE_CHECKSUM",
        "COLLATE",
        "COMMENT",
        "COMPRESSION",
        "CONNECTION",
        "DELAY_KEY_WRITE",
        "ENCRYPTION",
        "ENGINE_ATTRIBUTE",
        "SECONDARY_ENGINE_ATTRIBUTE",
        "SECONDARY_ENGINE",
        "INSERT_METHOD",
        "KEY_BLOCK_SIZE",
        "MAX_ROWS",
        "MIN_ROWS",
        "PACK_KEYS",
        "PASSWORD",
        "ROW_FORMAT",
        "STATS_AUTO_RECALC",
        "STATS_PERSISTENT",
        "STATS_SAMPLE_PAGES",
        "TABLESPACE",
        "STORAGE",
        "UNION",
        "AUTOEXTEND_SIZE",
        "PAGE_CHECKSUM",
        "PAGE_COMPRESSED",
        "PAGE_COMPRESSION_LEVEL",
        "TRANSACTIONAL",
        "ENCRYPTED",
        "ENCRYPTION_KEY_ID",
        "IETF_QUOTES",
    ];

    /// Parses a run of table options (`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ...`).
    /// `Some(destroys_rows)` if every option is known (`ENGINE=BLACKHOLE` discards rows),
    /// `None` if something is not a known option.
    fn table_options(c: &mut Cur<'_>) -> Option<bool> {
        let mut destroys = false;
        let mut any = false;
        while !c.at_end() {
            if c.eat_punct(',') {
                continue;
            }
            // Partitioning options may follow the table options without a comma.
            if (c.is_kw("PARTITION") && c.is_kw_at(1, "BY"))
                || (c.is_kw("REMOVE") && c.is_kw_at(1, "PARTITIONING"))
            {
                return Some(destroys);
            }
            c.eat_kw("DEFAULT");
            let engine = c.is_kw("ENGINE") || c.is_kw("TYPE");
            if c.eat_kws(&["CHARACTER", "SET"])
                || c.eat_kws(&["DATA", "DIRECTORY"])
                || c.eat_kws(&["INDEX", "DIRECTORY"])
            {
            } else if c.is_any_kw(OPTIONS) {
                c.bump();
            } else {
                return None;
            }
            any = true;
            c.eat_punct('=');
            match c.peek() {
                Some(t) if t.is_punct('(') => c.skip_group(),
                Some(t) => {
                    if engine && t.is_kw("BLACKHOLE") {
                        destroys = true;
                    }
                    c.bump();
                }
                None => {}
            }
        }
        any.then_some(destroys)
    }

    fn rename(ds: &str, mut c: Cur<'_>) -> Vec<DdlEffect> {
        if !(c.eat_kw("TABLE") || c.eat_kw("TABLES")) {
            return if c.is_kw("USER") {
                vec![DdlEffect::Ignore]
            } else {
                unknown(scan_tables(ds, c.toks), "RENAME of an unrecognised object")
            };
        }
        let mut pairs = Vec::new();
        loop {
            c.eat_if_exists();
            let from = c.table_name(ds);
            c.eat_wait();
            let to = if c.eat_kw("TO") {
                c.table_name(ds)
            } else {
                None
            };
            match (from, to) {
                (Some(f), Some(t)) => pairs.push((f, t)),
                (f, t) => {
                    let mut tables: Vec<TableRef> =
                        pairs.into_iter().flat_map(|(a, b)| [a, b]).collect();
                    tables.extend(f);
                    tables.extend(t);
                    return unknown(tables, "RENAME TABLE not understood");
                }
            }
            if !c.eat_punct(',') {
                break;
            }
        }
        vec![DdlEffect::RenameTables(pairs)]
    }

    fn truncate(ds: &str, mut c: Cur<'_>) -> Vec<DdlEffect> {
        c.eat_kw("TABLE");
        match c.table_name(ds) {
            Some(t) => vec![DdlEffect::Truncate(t)],
            None => unknown(Vec::new(), "TRUNCATE without a table name"),
        }
    }

    /// `a, b, c` up to anything that is not a name.
    fn name_list(ds: &str, c: &mut Cur<'_>) -> Vec<TableRef> {
        let mut out = Vec::new();
        while let Some(t) = c.table_name(ds) {
            out.push(t);
            if !c.eat_punct(',') {
                break;
            }
        }
        out
    }

    fn drop(ds: &str, mut c: Cur<'_>) -> Vec<DdlEffect> {
        let temporary = c.eat_kw("TEMPORARY");
        let Some(object) = c.word_upper() else {
            return unknown(Vec::new(), "DROP of an unrecognised object");
        };
        c.bump();
        match object.as_str() {
            "TABLE" | "TABLES" | "SEQUENCE" => {
                if temporary {
                    return vec![DdlEffect::Ignore];
                }
                c.eat_if_exists();
                let names = name_list(ds, &mut c);
                if names.is_empty() {
                    unknown(Vec::new(), "DROP TABLE without a table name")
                } else {
                    vec![DdlEffect::DropTables(names)]
                }
            }
            "DATABASE" | "SCHEMA" => {
                c.eat_if_exists();
                match c.ident() {
                    Some(db) => vec![DdlEffect::DropDatabase(db)],
                    None => unknown(Vec::new(), "DROP DATABASE without a name"),
                }
            }
            "INDEX" => {
                while c.eat_kw("ONLINE") || c.eat_kw("OFFLINE") {}
                c.eat_if_exists();
                let name = c.ident().or_else(|| c.ident_after_dot());
                let primary = name.is_some_and(|n| n.eq_ignore_ascii_case("PRIMARY"));
                match (c.eat_kw("ON"), c.table_name(ds)) {
                    (true, Some(table)) => vec![super::index_change(table, primary)],
                    _ if primary => unknown(Vec::new(), "DROP INDEX PRIMARY without a table"),
                    _ => vec![DdlEffect::Ignore],
                }
            }
            o if IGNORED_OBJECTS.contains(&o) => vec![DdlEffect::Ignore],
            o => unknown(
                scan_tables(ds, c.toks),
                format!("DROP {o}: unrecognised object"),
            ),
        }
    }

    /// Statement-based data changes: the rows they change are not in the binlog as row
    /// events, so the caller must treat the tables written as unknown.
    fn dml(ds: &str, verb: &str, mut c: Cur<'_>) -> Vec<DdlEffect> {
        let mut tables = Vec::new();
        match verb {
            "INSERT" | "REPLACE" => {
                while c.is_any_kw(&["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE"]) {
                    c.bump();
                }
                c.eat_kw("INTO");
                tables.extend(c.table_name(ds));
            }
            "UPDATE" => {
                while c.is_any_kw(&["LOW_PRIORITY", "IGNORE"]) {
                    c.bump();
                }
                tables = table_refs(ds, c.rest(), &["SET"]);
            }
            "DELETE" => {
                while c.is_any_kw(&["LOW_PRIORITY", "QUICK", "IGNORE"]) {
                    c.bump();
                }
                if c.eat_kw("FROM") {
                    tables = table_refs(ds, c.rest(), &["USING", "WHERE", "ORDER", "LIMIT"]);
                } else {
                    // DELETE t1, t2 FROM t1 JOIN t2 ...: the names before FROM may be
                    // aliases, so report every table after FROM.
                    let rest = c.rest();
                    let from = rest.iter().position(|t| t.is_kw("FROM"));
                    if let Some(f) = from {
                        tables = table_refs(ds, &rest[f + 1..], &["WHERE", "ORDER", "LIMIT"]);
                    }
                }
            }
            "LOAD" => {
                let rest = c.rest();
                if let Some(i) = rest
                    .windows(2)
                    .position(|w| w[0].is_kw("INTO") && w[1].is_kw("TABLE"))
                {
                    tables.extend(Cur::new(&rest[i + 2..]).table_name(ds));
                }
            }
            _ => {}
        }
        if tables.is_empty() {
            tables = scan_tables(ds, c.toks);
        }
        unknown(
            tables,
            format!("statement-based {verb}: the rows it changes are not logged as row events"),
        )
    }

    /// Table names in a table-reference list (`t1 AS a JOIN db.t2 b ON ..., t3`) up to one
    /// of the `stop` words at depth 0.
    fn table_refs(ds: &str, toks: &[Token], stop: &[&str]) -> Vec<TableRef> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut expect = true;
        let mut c = Cur::new(toks);
        while let Some(t) = c.peek() {
            if t.is_punct('(') {
                depth += 1;
            } else if t.is_punct(')') {
                depth = depth.saturating_sub(1);
            } else if depth == 0 {
                if stop.iter().any(|s| t.is_kw(s)) {
                    break;
                }
                if t.is_punct(',') || t.is_kw("JOIN") {
                    expect = true;
                } else if expect {
                    expect = false;
                    if let Some(r) = c.table_name(ds) {
                        if !out.contains(&r) {
                            out.push(r);
                        }
                        continue;
                    }
                }
            }
            c.bump();
        }
        out
    }

    /// Best effort: names after TABLE, TABLES, INTO, FROM, JOIN, UPDATE anywhere in the
    /// statement.
    pub(super) fn scan_tables(ds: &str, toks: &[Token]) -> Vec<TableRef> {
        let mut out = Vec::new();
        for (i, t) in toks.iter().enumerate() {
            if ["TABLE", "TABLES", "INTO", "FROM", "JOIN", "UPDATE"]
                .iter()
                .any(|k| t.is_kw(k))
            {
                let mut c = Cur { toks, pos: i + 1 };
                c.eat_if_exists();
                if let Some(r) = c.table_name(ds) {
                    if !out.contains(&r) {
                        out.push(r);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(schema: &str, name: &str) -> TableRef {
        TableRef::new(schema, name)
    }

    fn one(ds: &str, sql: &str) -> DdlEffect {
        let mut v = classify_inner(ds, sql);
        assert_eq!(v.len(), 1, "{sql}: {v:?}");
        v.remove(0)
    }

    fn alter(
        table: TableRef,
        columns: Vec<ColumnChange>,
        pk: bool,
        other: bool,
        rename_to: Option<TableRef>,
    ) -> DdlEffect {
        DdlEffect::AlterTable {
            table,
            columns,
            primary_key_changed: pk,
            other_changes: other,
            rename_to,
        }
    }

    fn create(
        table: TableRef,
        like: Option<TableRef>,
        as_select: bool,
        or_replace: bool,
    ) -> DdlEffect {
        DdlEffect::CreateTable {
            table,
            like,
            as_select,
            or_replace,
        }
    }

    use ColumnChange::{Add, Drop, Modify};

    fn s(x: &str) -> String {
        x.to_string()
    }

    /// Every statement used by the tests; the no-panic and agreement tests run over these.
    const STATEMENTS: &[&str] = &[
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT",
        "ALTER TABLE t DROP COLUMN IF EXISTS c",
        "ALTER ONLINE TABLE t ADD COLUMN c INT",
        "CREATE OR REPLACE TABLE t (a INT)",
        "ALTER TABLE t ALGORITHM=INPLACE, LOCK=NONE, ADD COLUMN x INT",
        "ALTER TABLE t RENAME COLUMN a TO b",
        "ALTER TABLE t CHANGE a b BIGINT",
        "ALTER TABLE t MODIFY c VARCHAR(20) NOT NULL",
        "ALTER TABLE t ADD INDEX (c)",
        "ALTER TABLE t ENGINE=InnoDB",
        "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
        "ALTER TABLE t ADD PRIMARY KEY (id)",
        "ALTER TABLE t DROP PRIMARY KEY",
        "create /* gh-ost */ table `db`.`_t_gho` like `db`.`t`",
        "alter /* gh-ost */ table `db`.`_t_gho` add column `c` int NOT NULL DEFAULT 0",
        "rename /* gh-ost */ table `db`.`t` to `db`.`_t_del`, `db`.`_t_gho` to `db`.`t`",
        "CREATE TABLE `db`.`_t_new` LIKE `db`.`t`",
        "RENAME TABLE `db`.`t` TO `db`.`_t_old`, `db`.`_t_new` TO `db`.`t`",
        "DROP TABLE IF EXISTS `db`.`_t_old`",
        "CREATE TABLE t2 AS SELECT * FROM t1",
        "CREATE TABLE t2 SELECT 1 AS a",
        "DROP DATABASE IF EXISTS x",
        "CREATE SCHEMA y",
        "GRANT SELECT ON *.* TO 'u'@'%'",
        "CREATE USER 'u'@'%' IDENTIFIED BY 'secret'",
        "FLUSH PRIVILEGES",
        "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
        "CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END",
        "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`%` SQL SECURITY DEFINER VIEW v AS SELECT a FROM t",
        "DROP TEMPORARY TABLE IF EXISTS `t`",
        "CREATE TEMPORARY TABLE tmp (a INT)",
        "ANALYZE TABLE t",
        "DROP TABLE IF EXISTS `t` /* generated by server */",
        "CREATE TABLE `t1` (\n  `id` int(11) NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci",
        "/*!40101 SET character_set_client = utf8 */",
        "/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW `v` AS select 1 AS `1` */",
        "ALTER TABLE t DROP a, DROP b",
        "ALTER TABLE t RENAME TO u",
        "ALTER TABLE t RENAME AS other.u",
        "ALTER TABLE t RENAME u",
        "ALTER TABLE t DEFAULT CHARSET=utf8mb4",
        "ALTER TABLE t FORCE",
        "ALTER TABLE t ALTER COLUMN c SET DEFAULT 1",
        "ALTER TABLE t ADD UNIQUE KEY u (a)",
        "ALTER IGNORE TABLE t ADD UNIQUE (a)",
        "ALTER TABLE t TRUNCATE PARTITION p0, p1",
        "ALTER TABLE t DROP PARTITION p0",
        "ALTER TABLE t ANALYZE PARTITION p0, p1",
        "ALTER TABLE t REORGANIZE PARTITION p0, p1 INTO (PARTITION p2 VALUES LESS THAN (10))",
        "ALTER TABLE t EXCHANGE PARTITION p WITH TABLE t2",
        "ALTER TABLE t ADD COLUMN (a INT, b INT)",
        "ALTER TABLE t ENGINE=BLACKHOLE",
        "ALTER TABLE t ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT 'x' ROW_FORMAT=DYNAMIC",
        "ALTER TABLE t DROP INDEX `PRIMARY`",
        "DROP INDEX `PRIMARY` ON t",
        "DROP INDEX i ON t",
        "CREATE INDEX i ON t (a)",
        "CREATE TABLE t2 (a INT) START TRANSACTION",
        "CREATE TABLE t2 (LIKE t1)",
        "TRUNCATE TABLE db.t",
        "TRUNCATE t",
        "DROP TABLE a, b",
        "CREATE DATABASE IF NOT EXISTS y CHARACTER SET utf8mb4",
        "CREATE OR REPLACE DATABASE d",
        "DROP SCHEMA y",
        "INSERT INTO t VALUES (1)",
        "UPDATE t1 AS a JOIN db.t2 b ON a.id = b.id SET a.x = 1",
        "DELETE FROM t WHERE id = 1",
        "ALTER TABLE `a``b`.`c` ADD `my col` INT",
        "ALTER TABLE t CHANGE COLUMN a a BIGINT",
        "ALTER TABLE t MODIFY COLUMN IF EXISTS c INT",
        "ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INSTANT",
        "ALTER TABLE t DISCARD TABLESPACE",
        "ALTER TABLE t ALTER INDEX i INVISIBLE",
        "ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (a)",
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)",
        "ALTER TABLE t DROP FOREIGN KEY fk",
        "ALTER TABLE t RENAME INDEX a TO b",
        "ALTER TABLE t ORDER BY a",
        "ALTER TABLE t PARTITION BY HASH(id) PARTITIONS 4",
        "ALTER TABLE t ADD SYSTEM VERSIONING",
        "ALTER TABLE t DROP SYSTEM VERSIONING",
        "ALTER TABLE t ADD PERIOD FOR p(s, e)",
        "ALTER TABLE t DROP PERIOD FOR p",
        "ALTER TABLE t ADD COLUMN g POINT NOT NULL, ADD COLUMN j JSON, MODIFY k GEOMETRY",
        "ALTER TABLE t ADD COLUMN s SET('a','b'), ADD e ENUM('x') AFTER s",
        "ALTER TABLE t ADD COLUMN c INT, ADD COLUMN d DECIMAL(10,2) UNSIGNED ZEROFILL",
        "ALTER TABLE t MODIFY c MEDIUMTEXT CHARACTER SET utf8mb4, CHANGE d e TINYINT(1)",
        "ALTER TABLE t FROBNICATE",
        "ALTER TABLE t ADD IF NOT EXISTS c INT",
        "ALTER TABLE t ADD INDEX IF NOT EXISTS i (a)",
        "ALTER TABLE t DROP IF EXISTS c",
        "ALTER TABLE t DROP INDEX IF EXISTS i",
        "ALTER TABLE t ADD COLUMN c INT CHECK (c > 0)",
        "ALTER TABLE t MODIFY c YEAR, ADD d LONGTEXT, ADD e MEDIUMINT UNSIGNED, ADD `f` SERIAL",
        "CREATE TABLE `données`.`表` (a INT)",
        "DROP TABLE 表, données.t",
        "CREATE SEQUENCE s START WITH 1",
        "DROP SEQUENCE s",
        "ALTER DATABASE d CHARACTER SET utf8mb4",
        "OPTIMIZE TABLE t",
        "SET @a = 1",
        "BEGIN",
        "COMMIT",
        "XA START 'x'",
        "SAVEPOINT sp",
        "RENAME USER a TO b",
        "CREATE TABLE IF NOT EXISTS t (id INT) PARTITION BY HASH(id) PARTITIONS 4",
        "CREATE TABLE t (id INT) WITH SYSTEM VERSIONING",
        "CREATE TABLE t (a INT) IGNORE SELECT 1 AS a",
        "CREATE TABLE t2 TABLE t1",
        "ALTER TABLE IF EXISTS t ADD x INT",
        "ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 0 COMMENT 'x' AFTER b, LOCK=SHARED",
        "DROP VIEW v",
        "DROP TRIGGER tr",
        "DROP PROCEDURE IF EXISTS p",
        "DROP USER 'u'@'%'",
        "ALTER TABLE t ADD KEY k (a), DROP KEY k2",
        "LOAD DATA INFILE '/tmp/x' INTO TABLE db.t",
        "frobnicate the database",
        "",
        "   ;  ",
        "/* only a comment */",
        "-- a comment\n",
        "# a comment",
    ];

    #[test]
    fn mariadb_alter_syntax() {
        assert_eq!(
            one("db", "ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT"),
            alter(t("db", "t"), vec![Add(s("c"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE t DROP COLUMN IF EXISTS c"),
            alter(t("db", "t"), vec![Drop(s("c"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER ONLINE TABLE t ADD COLUMN c INT"),
            alter(t("db", "t"), vec![Add(s("c"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE t MODIFY COLUMN IF EXISTS c INT"),
            alter(t("db", "t"), vec![Modify(s("c"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE IF EXISTS t ADD x INT"),
            alter(t("db", "t"), vec![Add(s("x"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE t WAIT 5 ADD x INT"),
            alter(t("db", "t"), vec![Add(s("x"))], false, false, None)
        );
    }

    #[test]
    fn create_or_replace() {
        assert_eq!(
            one("db", "CREATE OR REPLACE TABLE t (a INT)"),
            create(t("db", "t"), None, false, true)
        );
    }

    #[test]
    fn alter_columns() {
        assert_eq!(
            one(
                "db",
                "ALTER TABLE t ALGORITHM=INPLACE, LOCK=NONE, ADD COLUMN x INT"
            ),
            alter(t("db", "t"), vec![Add(s("x"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE t RENAME COLUMN a TO b"),
            alter(
                t("db", "t"),
                vec![ColumnChange::Rename {
                    old: s("a"),
                    new: s("b")
                }],
                false,
                false,
                None
            )
        );
        assert_eq!(
            one("db", "ALTER TABLE t CHANGE a b BIGINT"),
            alter(
                t("db", "t"),
                vec![ColumnChange::Change {
                    old: s("a"),
                    new: s("b")
                }],
                false,
                false,
                None
            )
        );
        assert_eq!(
            one("db", "ALTER TABLE t CHANGE COLUMN a a BIGINT"),
            alter(t("db", "t"), vec![Modify(s("a"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE t CHANGE COLUMN IF EXISTS a b INT"),
            alter(
                t("db", "t"),
                vec![ColumnChange::Change {
                    old: s("a"),
                    new: s("b")
                }],
                false,
                false,
                None
            )
        );
        assert_eq!(
            one("db", "ALTER TABLE t MODIFY c VARCHAR(20) NOT NULL"),
            alter(t("db", "t"), vec![Modify(s("c"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE t DROP a, DROP b"),
            alter(
                t("db", "t"),
                vec![Drop(s("a")), Drop(s("b"))],
                false,
                false,
                None
            )
        );
        assert_eq!(
            one("db", "ALTER TABLE t ADD COLUMN (a INT, b INT)"),
            alter(
                t("db", "t"),
                vec![Add(s("a")), Add(s("b"))],
                false,
                false,
                None
            )
        );
        assert_eq!(
            one("db", "ALTER TABLE t ALTER COLUMN c SET DEFAULT 1"),
            alter(t("db", "t"), vec![Modify(s("c"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE t ALTER c SET INVISIBLE"),
            alter(t("db", "t"), vec![Modify(s("c"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE `a``b`.`c` ADD `my col` INT"),
            alter(t("a`b", "c"), vec![Add(s("my col"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 0 COMMENT 'x' AFTER b, LOCK=SHARED"),
            alter(t("db", "t"), vec![Add(s("c"))], false, false, None)
        );
        assert_eq!(
            one(
                "db",
                "ALTER TABLE t ADD c INT FIRST, DROP COLUMN d, CHANGE e f INT, MODIFY g TEXT"
            ),
            alter(
                t("db", "t"),
                vec![
                    Add(s("c")),
                    Drop(s("d")),
                    ColumnChange::Change {
                        old: s("e"),
                        new: s("f")
                    },
                    Modify(s("g"))
                ],
                false,
                false,
                None
            )
        );
        // Column names keep their case and lose their quotes.
        assert_eq!(
            one(
                "db",
                "ALTER TABLE T ADD COLUMN `MixedCase` INT, ADD lowerUPPER INT"
            ),
            alter(
                t("db", "T"),
                vec![Add(s("MixedCase")), Add(s("lowerUPPER"))],
                false,
                false,
                None
            )
        );
    }

    #[test]
    fn alter_without_row_changes() {
        for sql in [
            "ALTER TABLE t ADD INDEX (c)",
            "ALTER TABLE t ADD KEY k (a), DROP KEY k2",
            "ALTER TABLE t ADD UNIQUE KEY u (a)",
            "ALTER TABLE t ENGINE=InnoDB",
            "ALTER TABLE t ENGINE InnoDB",
            "ALTER TABLE t DEFAULT CHARSET=utf8mb4",
            "ALTER TABLE t CHARACTER SET = utf8mb4 COLLATE utf8mb4_bin",
            "ALTER TABLE t FORCE",
            "ALTER TABLE t AUTO_INCREMENT=5",
            "ALTER TABLE t COMMENT='x'",
            "ALTER TABLE t ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT 'x' ROW_FORMAT=DYNAMIC",
            "ALTER TABLE t ROW_FORMAT=COMPRESSED, KEY_BLOCK_SIZE=8",
            "ALTER TABLE t ALTER INDEX i INVISIBLE",
            "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)",
            "ALTER TABLE t DROP FOREIGN KEY fk",
            "ALTER TABLE t ADD CHECK (a > 0)",
            "ALTER TABLE t DROP CHECK c",
            "ALTER TABLE t DROP CONSTRAINT c",
            "ALTER TABLE t RENAME INDEX a TO b",
            "ALTER TABLE t RENAME KEY a TO b",
            "ALTER TABLE t ORDER BY a",
            "ALTER TABLE t DISABLE KEYS",
            "ALTER TABLE t PARTITION BY HASH(id) PARTITIONS 4",
            "ALTER TABLE t REMOVE PARTITIONING",
            "ALTER TABLE t ADD PARTITION (PARTITION p3 VALUES LESS THAN (30))",
            "ALTER TABLE t ANALYZE PARTITION p0, p1",
            "ALTER TABLE t COALESCE PARTITION 2",
            "ALTER TABLE t REORGANIZE PARTITION p0, p1 INTO (PARTITION p2 VALUES LESS THAN (10))",
            "ALTER TABLE t ADD FULLTEXT INDEX f (a)",
            "ALTER TABLE t ADD SPATIAL INDEX s (g)",
            "ALTER TABLE t DROP INDEX i, ADD INDEX j (a)",
            "ALTER TABLE t ENGINE=InnoDB, ALGORITHM=INPLACE PARTITION BY KEY() PARTITIONS 2",
            "ALTER TABLE t",
        ] {
            assert_eq!(
                one("db", sql),
                alter(t("db", "t"), vec![], false, false, None),
                "{sql}"
            );
        }
    }

    #[test]
    fn alter_with_row_changes() {
        for sql in [
            "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
            "ALTER TABLE t CONVERT TO CHARSET utf8mb4 COLLATE utf8mb4_bin",
            "ALTER TABLE t TRUNCATE PARTITION p0, p1",
            "ALTER TABLE t TRUNCATE PARTITION ALL",
            "ALTER TABLE t DROP PARTITION p0",
            "ALTER TABLE t DISCARD TABLESPACE",
            "ALTER TABLE t IMPORT TABLESPACE",
            "ALTER TABLE t IMPORT PARTITION p0 TABLESPACE",
            "ALTER TABLE t ENGINE=BLACKHOLE",
            "ALTER TABLE t ADD SYSTEM VERSIONING",
            "ALTER TABLE t DROP SYSTEM VERSIONING",
            "ALTER TABLE t FROBNICATE",
            "ALTER TABLE t ENGINE=InnoDB FROBNICATE=1",
            "ALTER IGNORE TABLE t ADD UNIQUE (a)",
        ] {
            assert_eq!(
                one("db", sql),
                alter(t("db", "t"), vec![], false, true, None),
                "{sql}"
            );
        }
        // A clause that cannot be understood is reported conservatively.
        assert_eq!(
            one("db", "ALTER TABLE t ADD COLUMN x INT, WIBBLE WOBBLE"),
            alter(t("db", "t"), vec![Add(s("x"))], false, true, None)
        );
    }

    #[test]
    fn alter_other_tables() {
        assert_eq!(
            classify_inner(
                "db",
                "ALTER TABLE t EXCHANGE PARTITION p WITH TABLE other.t2 WITHOUT VALIDATION"
            ),
            vec![
                alter(t("db", "t"), vec![], false, true, None),
                alter(t("other", "t2"), vec![], false, true, None),
            ]
        );
        assert_eq!(
            classify_inner(
                "db",
                "ALTER TABLE t CONVERT TABLE t2 TO PARTITION p2 VALUES LESS THAN (30)"
            ),
            vec![
                alter(t("db", "t"), vec![], false, true, None),
                DdlEffect::DropTables(vec![t("db", "t2")]),
            ]
        );
        let v = classify_inner("db", "ALTER TABLE t CONVERT PARTITION p1 TO TABLE t3");
        assert_eq!(v[0], alter(t("db", "t"), vec![], false, true, None));
        assert!(matches!(&v[1], DdlEffect::Unknown { tables, .. } if tables == &[t("db", "t3")]));
    }

    #[test]
    fn primary_keys() {
        for sql in [
            "ALTER TABLE t ADD PRIMARY KEY (id)",
            "ALTER TABLE t DROP PRIMARY KEY",
            "ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (a)",
            "ALTER TABLE t ADD CONSTRAINT PRIMARY KEY (a)",
            "ALTER TABLE t DROP INDEX `PRIMARY`",
            "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, b)",
            "DROP INDEX `PRIMARY` ON t",
            "DROP INDEX `PRIMARY` ON db.t ALGORITHM=INPLACE",
        ] {
            assert_eq!(
                one("db", sql),
                alter(t("db", "t"), vec![], true, false, None),
                "{sql}"
            );
        }
        assert_eq!(
            one("db", "ALTER IGNORE TABLE t ADD PRIMARY KEY (id)"),
            alter(t("db", "t"), vec![], true, true, None)
        );
        assert_eq!(
            one(
                "db",
                "ALTER TABLE t ADD COLUMN id INT NOT NULL FIRST, ADD PRIMARY KEY (id)"
            ),
            alter(t("db", "t"), vec![Add(s("id"))], true, false, None)
        );
    }

    #[test]
    fn alter_rename() {
        for (sql, to) in [
            ("ALTER TABLE t RENAME TO u", t("db", "u")),
            ("ALTER TABLE t RENAME AS u", t("db", "u")),
            ("ALTER TABLE t RENAME u", t("db", "u")),
            ("ALTER TABLE t RENAME TO other.u", t("other", "u")),
            ("ALTER TABLE t RENAME AS `other`.`u`", t("other", "u")),
        ] {
            assert_eq!(
                one("db", sql),
                alter(t("db", "t"), vec![], false, false, Some(to)),
                "{sql}"
            );
        }
        assert_eq!(
            one("db", "ALTER TABLE t RENAME TO u, ADD COLUMN x INT"),
            alter(
                t("db", "t"),
                vec![Add(s("x"))],
                false,
                false,
                Some(t("db", "u"))
            )
        );
    }

    #[test]
    fn gh_ost() {
        assert_eq!(
            one(
                "app",
                "create /* gh-ost */ table `db`.`_t_gho` like `db`.`t`"
            ),
            create(t("db", "_t_gho"), Some(t("db", "t")), false, false)
        );
        assert_eq!(
            one(
                "app",
                "alter /* gh-ost */ table `db`.`_t_gho` add column `c` int NOT NULL DEFAULT 0"
            ),
            alter(t("db", "_t_gho"), vec![Add(s("c"))], false, false, None)
        );
        assert_eq!(
            one(
                "app",
                "rename /* gh-ost */ table `db`.`t` to `db`.`_t_del`, `db`.`_t_gho` to `db`.`t`"
            ),
            DdlEffect::RenameTables(vec![
                (t("db", "t"), t("db", "_t_del")),
                (t("db", "_t_gho"), t("db", "t")),
            ])
        );
        assert_eq!(
            one("app", "drop /* gh-ost */ table if exists `db`.`_t_del`"),
            DdlEffect::DropTables(vec![t("db", "_t_del")])
        );
    }

    #[test]
    fn pt_online_schema_change() {
        assert_eq!(
            one("db", "CREATE TABLE `db`.`_t_new` LIKE `db`.`t`"),
            create(t("db", "_t_new"), Some(t("db", "t")), false, false)
        );
        assert_eq!(
            one(
                "",
                "RENAME TABLE `db`.`t` TO `db`.`_t_old`, `db`.`_t_new` TO `db`.`t`"
            ),
            DdlEffect::RenameTables(vec![
                (t("db", "t"), t("db", "_t_old")),
                (t("db", "_t_new"), t("db", "t")),
            ])
        );
        assert_eq!(
            one("", "DROP TABLE IF EXISTS `db`.`_t_old`"),
            DdlEffect::DropTables(vec![t("db", "_t_old")])
        );
    }

    #[test]
    fn renames() {
        assert_eq!(
            one("db", "RENAME TABLES a TO b"),
            DdlEffect::RenameTables(vec![(t("db", "a"), t("db", "b"))])
        );
        assert_eq!(
            one(
                "db",
                "RENAME TABLE IF EXISTS a WAIT 3 TO b, c NOWAIT TO x.d"
            ),
            DdlEffect::RenameTables(vec![
                (t("db", "a"), t("db", "b")),
                (t("db", "c"), t("x", "d"))
            ])
        );
        assert_eq!(one("db", "RENAME USER a TO b"), DdlEffect::Ignore);
        assert!(matches!(
            one("db", "RENAME TABLE a TO"),
            DdlEffect::Unknown { tables, .. } if tables == vec![t("db", "a")]
        ));
    }

    #[test]
    fn creates() {
        assert_eq!(
            one("db", "CREATE TABLE t2 AS SELECT * FROM t1"),
            create(t("db", "t2"), None, true, false)
        );
        assert_eq!(
            one("db", "CREATE TABLE t2 SELECT 1 AS a"),
            create(t("db", "t2"), None, true, false)
        );
        assert_eq!(
            one("db", "CREATE TABLE t (a INT) IGNORE SELECT 1 AS a"),
            create(t("db", "t"), None, true, false)
        );
        assert_eq!(
            one("db", "CREATE TABLE t2 TABLE t1"),
            create(t("db", "t2"), None, true, false)
        );
        assert_eq!(
            one("db", "CREATE TABLE t2 (a INT) START TRANSACTION"),
            create(t("db", "t2"), None, true, false)
        );
        assert_eq!(
            one("db", "CREATE TABLE t2 (LIKE t1)"),
            create(t("db", "t2"), Some(t("db", "t1")), false, false)
        );
        assert_eq!(
            one(
                "db",
                "CREATE TABLE IF NOT EXISTS t (id INT) PARTITION BY HASH(id) PARTITIONS 4"
            ),
            create(t("db", "t"), None, false, false)
        );
        assert_eq!(
            one("db", "CREATE TABLE t (id INT) WITH SYSTEM VERSIONING"),
            create(t("db", "t"), None, false, false)
        );
        assert_eq!(
            one(
                "db",
                "CREATE TABLE `t1` (\n  `id` int(11) NOT NULL,\n  `g` int AS (id + 1) VIRTUAL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci"
            ),
            create(t("db", "t1"), None, false, false)
        );
        assert_eq!(
            one("db", "CREATE TABLE t (a INT) /*!50100 PARTITION BY RANGE (a) (PARTITION p0 VALUES LESS THAN (10) ENGINE = InnoDB) */"),
            create(t("db", "t"), None, false, false)
        );
        // Names keep their case; a missing default schema stays empty.
        assert_eq!(
            one("", "CREATE TABLE MyTable (a INT)"),
            create(t("", "MyTable"), None, false, false)
        );
        assert_eq!(
            one("db", "CREATE TABLE \"x\" (a INT)"),
            create(t("db", "x"), None, false, false)
        );
    }

    #[test]
    fn drops_and_truncates() {
        assert_eq!(
            one("db", "DROP TABLE IF EXISTS `t` /* generated by server */"),
            DdlEffect::DropTables(vec![t("db", "t")])
        );
        assert_eq!(
            one("db", "DROP TABLE a, other.b"),
            DdlEffect::DropTables(vec![t("db", "a"), t("other", "b")])
        );
        assert_eq!(
            one("db", "DROP TABLE `a`,`b` /* generated by server */"),
            DdlEffect::DropTables(vec![t("db", "a"), t("db", "b")])
        );
        assert_eq!(
            one("db", "TRUNCATE TABLE db2.t"),
            DdlEffect::Truncate(t("db2", "t"))
        );
        assert_eq!(one("db", "TRUNCATE t"), DdlEffect::Truncate(t("db", "t")));
        assert_eq!(
            one("db", "truncate table `T`"),
            DdlEffect::Truncate(t("db", "T"))
        );
        assert_eq!(
            one("db", "DROP SEQUENCE IF EXISTS s"),
            DdlEffect::DropTables(vec![t("db", "s")])
        );
    }

    #[test]
    fn non_ascii_names() {
        assert_eq!(
            one("db", "CREATE TABLE `données`.`表` (a INT)"),
            create(t("données", "表"), None, false, false)
        );
        assert_eq!(
            one("db", "DROP TABLE 表, données.t"),
            DdlEffect::DropTables(vec![t("db", "表"), t("données", "t")])
        );
        assert_eq!(
            one("db", "ALTER TABLE 表 ADD COLUMN `列` INT"),
            alter(t("db", "表"), vec![Add(s("列"))], false, false, None)
        );
    }

    #[test]
    fn databases() {
        assert_eq!(
            one("", "DROP DATABASE IF EXISTS x"),
            DdlEffect::DropDatabase(s("x"))
        );
        assert_eq!(one("", "DROP SCHEMA `Y`"), DdlEffect::DropDatabase(s("Y")));
        assert_eq!(
            one("", "CREATE SCHEMA y"),
            DdlEffect::CreateDatabase(s("y"))
        );
        assert_eq!(
            one("", "CREATE DATABASE IF NOT EXISTS y CHARACTER SET utf8mb4"),
            DdlEffect::CreateDatabase(s("y"))
        );
        assert_eq!(
            one("", "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */"),
            DdlEffect::CreateDatabase(s("shop"))
        );
        assert_eq!(
            classify_inner("", "CREATE OR REPLACE DATABASE d"),
            vec![
                DdlEffect::DropDatabase(s("d")),
                DdlEffect::CreateDatabase(s("d"))
            ]
        );
    }

    #[test]
    fn ignored() {
        for sql in [
            "GRANT SELECT ON *.* TO 'u'@'%'",
            "REVOKE ALL PRIVILEGES ON db.* FROM 'u'@'%'",
            "CREATE USER 'u'@'%' IDENTIFIED BY 'secret'",
            "CREATE USER IF NOT EXISTS u@localhost",
            "ALTER USER 'u'@'%' IDENTIFIED BY 'x'",
            "DROP USER 'u'@'%'",
            "FLUSH PRIVILEGES",
            "flush tables",
            "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
            "CREATE DEFINER=`root`@`localhost` TRIGGER tr AFTER UPDATE ON t FOR EACH ROW BEGIN INSERT INTO log VALUES (1); END",
            "CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END",
            "CREATE DEFINER=CURRENT_USER() FUNCTION f() RETURNS INT DETERMINISTIC RETURN 1",
            "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`%` SQL SECURITY DEFINER VIEW v AS SELECT a FROM t",
            "CREATE OR REPLACE VIEW v AS SELECT 1",
            "/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW `v` AS select 1 AS `1` */",
            "ALTER ALGORITHM=MERGE VIEW v AS SELECT 2",
            "DROP VIEW IF EXISTS v",
            "DROP TRIGGER tr",
            "DROP PROCEDURE IF EXISTS p",
            "DROP FUNCTION f",
            "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t",
            "DROP EVENT e",
            "DROP TEMPORARY TABLE IF EXISTS `t`",
            "DROP TEMPORARY TABLE IF EXISTS `test`.`t1` /* generated by server */",
            "CREATE TEMPORARY TABLE tmp (a INT)",
            "CREATE TEMPORARY TABLE IF NOT EXISTS tmp LIKE t",
            "ANALYZE TABLE t",
            "OPTIMIZE TABLE t",
            "REPAIR TABLE t",
            "CHECK TABLE t",
            "ALTER DATABASE d CHARACTER SET utf8mb4",
            "ALTER SCHEMA d DEFAULT COLLATE utf8mb4_bin",
            "CREATE SEQUENCE s START WITH 1",
            "ALTER SEQUENCE s RESTART 10",
            "SET @a = 1",
            "SET GLOBAL read_only = 1",
            "/*!40101 SET character_set_client = utf8 */",
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "XA START 'x'",
            "SAVEPOINT sp",
            "SELECT 1",
            "USE db",
            "",
            "   ;  ",
            ";",
            "/* only a comment */",
            "-- a comment\n",
            "# a comment",
        ] {
            assert_eq!(classify_inner("db", sql), vec![DdlEffect::Ignore], "{sql}");
            assert_eq!(classify("db", sql), vec![DdlEffect::Ignore], "{sql}");
        }
    }

    #[test]
    fn index_statements_change_the_definition_not_the_rows() {
        let on = |schema: &str, table: &str, primary: bool| {
            vec![DdlEffect::AlterTable {
                table: TableRef::new(schema, table),
                columns: vec![],
                primary_key_changed: primary,
                other_changes: false,
                rename_to: None,
            }]
        };
        for (sql, want) in [
            ("CREATE INDEX i ON t (a)", on("db", "t", false)),
            ("CREATE UNIQUE INDEX i ON t (a)", on("db", "t", false)),
            ("CREATE FULLTEXT INDEX i ON o.t (a)", on("o", "t", false)),
            ("CREATE SPATIAL INDEX i ON t (g)", on("db", "t", false)),
            ("CREATE OR REPLACE INDEX i ON t (a)", on("db", "t", false)),
            (
                "CREATE INDEX IF NOT EXISTS i ON `t` (a)",
                on("db", "t", false),
            ),
            (
                "CREATE ONLINE INDEX i USING BTREE ON t (a) ALGORITHM=INPLACE",
                on("db", "t", false),
            ),
            ("DROP INDEX i ON t", on("db", "t", false)),
            ("DROP INDEX IF EXISTS i ON o.t", on("o", "t", false)),
            ("DROP INDEX `PRIMARY` ON t", on("db", "t", true)),
        ] {
            assert_eq!(classify("db", sql), want, "{sql}");
            let toks = tokenize(&strip_comments(sql));
            assert_eq!(
                fallback::classify_tokens("db", &toks),
                want,
                "fallback: {sql}"
            );
        }
    }

    #[test]
    fn case_insensitive_keywords() {
        assert_eq!(
            one("db", "alter table t add column c int"),
            alter(t("db", "t"), vec![Add(s("c"))], false, false, None)
        );
        assert_eq!(
            one("db", "AlTeR OnLiNe TaBlE t AdD CoLuMn c InT"),
            alter(t("db", "t"), vec![Add(s("c"))], false, false, None)
        );
        assert_eq!(
            one("db", "Drop Table If Exists T1"),
            DdlEffect::DropTables(vec![t("db", "T1")])
        );
        assert_eq!(
            one("db", "create or replace table T (a int)"),
            create(t("db", "T"), None, false, true)
        );
    }

    #[test]
    fn comments_and_semicolons() {
        assert_eq!(
            one("db", "  /* hi */ DROP TABLE t ;; "),
            DdlEffect::DropTables(vec![t("db", "t")])
        );
        assert_eq!(
            one("db", "-- leading\nDROP TABLE t # trailing"),
            DdlEffect::DropTables(vec![t("db", "t")])
        );
        // A comment marker inside a quoted name or string is not a comment.
        assert_eq!(
            one(
                "db",
                "ALTER TABLE `a/*b` ADD COLUMN `c#d` INT COMMENT '-- x /* y'"
            ),
            alter(t("db", "a/*b"), vec![Add(s("c#d"))], false, false, None)
        );
        assert_eq!(
            one("db", "ALTER TABLE t /*!50100 ADD COLUMN c INT */"),
            alter(t("db", "t"), vec![Add(s("c"))], false, false, None)
        );
        assert_eq!(strip_comments("a/*!50001 b */c"), "a  b  c");
        assert_eq!(strip_comments("a/*M!100100 b*/c"), "a  b c");
        assert_eq!(
            strip_comments("a /* x */ 'y/*z' -- w\nq"),
            "a   'y/*z'  \nq"
        );
    }

    #[test]
    fn statement_based_dml_is_unknown() {
        let cases: &[(&str, Vec<TableRef>)] = &[
            ("INSERT INTO t VALUES (1)", vec![t("db", "t")]),
            (
                "INSERT IGNORE other.t (a) SELECT a FROM u",
                vec![t("other", "t")],
            ),
            ("REPLACE INTO t SET a = 1", vec![t("db", "t")]),
            (
                "UPDATE t1 AS a JOIN db2.t2 b ON a.id = b.id SET a.x = 1",
                vec![t("db", "t1"), t("db2", "t2")],
            ),
            (
                "UPDATE LOW_PRIORITY t SET a = 1 WHERE b IN (SELECT c FROM u)",
                vec![t("db", "t")],
            ),
            ("DELETE FROM t WHERE id = 1", vec![t("db", "t")]),
            (
                "DELETE a FROM t1 a JOIN t2 b ON a.id = b.id",
                vec![t("db", "t1"), t("db", "t2")],
            ),
            (
                "LOAD DATA INFILE '/tmp/x' INTO TABLE db2.t",
                vec![t("db2", "t")],
            ),
            ("/* c */ INSERT INTO t VALUES (1)", vec![t("db", "t")]),
        ];
        for (sql, want) in cases {
            match one("db", sql) {
                DdlEffect::Unknown { tables, .. } => assert_eq!(&tables, want, "{sql}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
    }

    #[test]
    fn garbage_is_unknown_or_ignore() {
        for sql in [
            "frobnicate the database",
            "CREATE TABLE",
            "ALTER TABLE",
            "42",
            "(",
            "`x`",
            "'str'",
        ] {
            let v = classify("db", sql);
            assert!(
                v.iter()
                    .all(|e| matches!(e, DdlEffect::Unknown { .. } | DdlEffect::Ignore)),
                "{sql}: {v:?}"
            );
        }
        match one("db", "FROBNICATE TABLE x.y") {
            DdlEffect::Unknown { tables, reason } => {
                assert_eq!(tables, vec![t("x", "y")]);
                assert!(reason.contains("FROBNICATE"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// Where sqlparser understands a statement, the fallback scanner must agree with it.
    #[test]
    fn sqlparser_and_fallback_agree() {
        let mut compared = 0;
        for sql in STATEMENTS {
            let clean = strip_comments(sql);
            let mut toks = tokenize(&clean);
            while matches!(toks.last(), Some(t) if t.tok == Tok::Punct(';')) {
                toks.pop();
            }
            let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
                continue;
            };
            if sql.contains("START TRANSACTION") {
                continue;
            }
            let text = &clean[first.start..last.end];
            if let Some(parsed) = via_sqlparser("db", text) {
                let scanned = fallback::classify_tokens("db", &toks);
                assert_eq!(parsed, scanned, "{sql}");
                compared += 1;
            }
        }
        assert!(
            compared >= 30,
            "only {compared} statements parsed by sqlparser"
        );
    }

    /// Statements sqlparser cannot parse (the fallback is what handles them).
    #[test]
    fn sqlparser_limitations_still_hold_or_are_harmless() {
        // Not an assertion about sqlparser (it may improve); documents which path runs.
        for sql in [
            "ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT",
            "ALTER ONLINE TABLE t ADD COLUMN c INT",
            "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
            "ALTER TABLE t ENGINE=InnoDB",
        ] {
            let _ = via_sqlparser("db", sql);
            assert!(!classify_inner("db", sql).is_empty());
        }
    }

    use crate::testing::XorShift as Rng;

    #[test]
    fn never_panics_on_prefixes() {
        let mut n = 0;
        for sql in STATEMENTS {
            for (i, _) in sql.char_indices().chain([(sql.len(), ' ')]) {
                let prefix = &sql[..i];
                let v = classify_inner("db", prefix);
                assert!(!v.is_empty(), "{prefix:?}");
                // and the tail, which starts mid-statement
                let _ = classify_inner("", &sql[i..]);
                n += 2;
            }
        }
        assert!(n > 1000);
    }

    #[test]
    fn never_panics_on_random_input() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        // random bytes
        for _ in 0..2000 {
            let len = rng.index(80);
            let bytes: Vec<u8> = (0..len).map(|_| rng.bits() as u8).collect();
            let s = String::from_utf8_lossy(&bytes);
            assert!(!classify("db", &s).is_empty());
            assert!(!classify_inner("db", &s).is_empty());
        }
        // random soups of SQL-ish tokens, which reach deeper into both parsers
        let vocab = [
            "CREATE",
            "ALTER",
            "DROP",
            "RENAME",
            "TRUNCATE",
            "TABLE",
            "TABLES",
            "TEMPORARY",
            "IF",
            "NOT",
            "EXISTS",
            "OR",
            "REPLACE",
            "LIKE",
            "AS",
            "SELECT",
            "ADD",
            "COLUMN",
            "MODIFY",
            "CHANGE",
            "TO",
            "PRIMARY",
            "KEY",
            "INDEX",
            "UNIQUE",
            "PARTITION",
            "CONVERT",
            "CHARACTER",
            "SET",
            "ENGINE",
            "=",
            ",",
            "(",
            ")",
            ".",
            ";",
            "`t`",
            "`a``b`",
            "t",
            "db",
            "'s'",
            "\"q\"",
            "1",
            "/*",
            "*/",
            "/*!50001",
            "--",
            "\n",
            "#",
            "DATABASE",
            "ON",
            "DEFINER",
            "@",
            "WITH",
            "EXCHANGE",
            "IGNORE",
            "ONLINE",
            "START",
            "TRANSACTION",
            "INTO",
            "FROM",
            "UPDATE",
            "DELETE",
            "INSERT",
            "VALUES",
            "`",
            "'",
            "\"",
            "\\",
            "SYSTEM",
            "VERSIONING",
            "WAIT",
            "NOWAIT",
            "é",
            "表",
        ];
        for _ in 0..5000 {
            let len = rng.index(14);
            let mut s = String::new();
            for _ in 0..len {
                s.push_str(vocab[rng.index(vocab.len())]);
                if rng.index(4) != 0 {
                    s.push(' ');
                }
            }
            assert!(!classify_inner("db", &s).is_empty(), "{s}");
        }
        // deep nesting and long input
        let deep = format!("CREATE TABLE t {}", "(".repeat(10_000));
        assert!(!classify("db", &deep).is_empty());
        let long = format!("ALTER TABLE t {}", "ADD COLUMN c INT, ".repeat(5_000));
        assert!(!classify("db", &long).is_empty());
    }
}
