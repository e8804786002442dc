//! A replicated table's definition as the metadata statements need it, read from the
//! source's own `SHOW CREATE TABLE` text (kept in the catalog) plus the catalog's column
//! types and defaults: per column nullability, key flag, charset and collation, extra
//! attributes and comment; the indexes with their parts; foreign keys; table options.
//!
//! `SHOW CREATE TABLE` output is canonical (one column or key per line, identifiers in
//! backticks, strings escaped), so it is read line by line with the statement lexer.

use super::charsets;
use super::classify::{lex, strip_comments, Kind, Token};
use crate::store::catalog::TableEntry;

/// One column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// `COLUMN_TYPE`, e.g. `int(10) unsigned`.
    pub column_type: String,
    /// False for `NOT NULL`.
    pub nullable: bool,
    /// The default as `SHOW CREATE TABLE` writes it (`'abc'`, `0`, `current_timestamp()`,
    /// `NULL`), `None` when there is none.
    pub default: Option<String>,
    /// `COLUMN_DEFAULT` as the source's `information_schema` shows it.
    pub info_default: Option<String>,
    /// `AUTO_INCREMENT`.
    pub auto_increment: bool,
    /// `ON UPDATE …` expression.
    pub on_update: Option<String>,
    /// `GENERATED ALWAYS AS (expr)`: the expression and whether it is stored.
    pub generated: Option<(String, bool)>,
    /// `INVISIBLE`.
    pub invisible: bool,
    /// Character set of character columns.
    pub charset: Option<String>,
    /// Collation of character columns.
    pub collation: Option<String>,
    /// `COMMENT`.
    pub comment: String,
}

/// Index kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// `PRIMARY KEY`.
    Primary,
    /// `UNIQUE KEY`.
    Unique,
    /// `KEY`.
    Plain,
    /// `FULLTEXT KEY`.
    Fulltext,
    /// `SPATIAL KEY`.
    Spatial,
}

/// One part of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexPart {
    /// Column name (`None` for a functional part).
    pub column: Option<String>,
    /// Prefix length.
    pub sub_part: Option<u64>,
    /// Descending.
    pub desc: bool,
    /// The expression of a functional part.
    pub expression: Option<String>,
}

/// One index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// `PRIMARY` or the index name.
    pub name: String,
    /// Kind.
    pub kind: IndexKind,
    /// Parts in order.
    pub parts: Vec<IndexPart>,
    /// `USING BTREE|HASH` when written.
    pub using: Option<String>,
    /// `COMMENT`.
    pub comment: String,
    /// `INVISIBLE` / `IGNORED`.
    pub invisible: bool,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// Constraint name.
    pub name: String,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced schema (`None`: the table's own).
    pub ref_schema: Option<String>,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns.
    pub ref_columns: Vec<String>,
    /// `ON UPDATE` rule.
    pub on_update: String,
    /// `ON DELETE` rule.
    pub on_delete: String,
}

/// A table's definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableDef {
    /// Columns in table order.
    pub columns: Vec<Column>,
    /// Indexes in definition order.
    pub indexes: Vec<Index>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Names of CHECK constraints.
    pub checks: Vec<String>,
    /// `ENGINE`.
    pub engine: String,
    /// Table character set.
    pub charset: String,
    /// Table collation.
    pub collation: String,
    /// `COMMENT`.
    pub comment: String,
    /// `AUTO_INCREMENT` (next value).
    pub auto_increment: Option<u64>,
    /// `ROW_FORMAT` when written.
    pub row_format: Option<String>,
}

impl TableDef {
    /// Reads a catalog entry: its create statement, column types and defaults.
    pub fn from_entry(entry: &TableEntry, mariadb: bool) -> TableDef {
        let mut def = parse_create(&entry.create_statement, mariadb);
        // Column names and types from the catalog are the truth when the text is absent.
        if let Some(info) = &entry.info {
            if def.columns.len() != info.columns.len() {
                def.columns = info
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Column {
                        name: c.display_name(i),
                        nullable: c.nullable,
                        collation: c
                            .collation
                            .and_then(charsets::by_id)
                            .filter(|c| c.id != 63)
                            .map(|c| c.name.to_string()),
                        charset: c
                            .collation
                            .and_then(charsets::by_id)
                            .filter(|c| c.id != 63)
                            .map(|c| c.charset.to_string()),
                        ..Default::default()
                    })
                    .collect();
            }
        }
        for (i, col) in def.columns.iter_mut().enumerate() {
            if let Some(t) = entry.column_types.get(i) {
                col.column_type = t.clone();
            }
            col.info_default = entry.defaults.get(i).cloned().flatten();
            if is_character_type(&col.column_type) && col.collation.is_none() {
                let cs = col.charset.clone().unwrap_or_else(|| def.charset.clone());
                if cs == def.charset && !def.collation.is_empty() {
                    col.collation = Some(def.collation.clone());
                } else {
                    col.collation =
                        charsets::default_collation(&cs, mariadb).map(|c| c.name.to_string());
                }
                col.charset = Some(charsets::canonical_charset(&cs));
            }
            if col.charset.is_none() {
                col.charset = col
                    .collation
                    .as_deref()
                    .and_then(charsets::by_name)
                    .map(|c| c.charset.to_string());
            }
            if !is_character_type(&col.column_type) {
                col.charset = None;
                col.collation = None;
            }
        }
        def
    }

    /// The primary key as MySQL reports it: the `PRIMARY KEY`, or else the first unique
    /// index whose columns are all NOT NULL.
    pub fn primary(&self) -> Option<&Index> {
        self.indexes
            .iter()
            .find(|i| i.kind == IndexKind::Primary)
            .or_else(|| {
                self.indexes.iter().find(|i| {
                    i.kind == IndexKind::Unique
                        && i.parts.iter().all(|p| {
                            p.sub_part.is_none()
                                && p.column.as_deref().is_some_and(|c| {
                                    self.column(c).is_some_and(|col| !col.nullable)
                                })
                        })
                })
            })
    }

    /// The column named `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// `PRI`, `UNI`, `MUL` or empty for column `i`.
    pub fn key_flag(&self, i: usize) -> &'static str {
        let Some(col) = self.columns.get(i) else {
            return "";
        };
        let is = |p: &IndexPart| {
            p.column
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(&col.name))
        };
        let primary = self.primary();
        if primary.is_some_and(|p| p.parts.iter().any(is)) {
            return "PRI";
        }
        let mut flag = "";
        for idx in &self.indexes {
            if primary.is_some_and(|p| std::ptr::eq(p, idx)) {
                continue;
            }
            if idx.parts.first().is_some_and(is) {
                if idx.kind == IndexKind::Unique && idx.parts.len() == 1 {
                    return "UNI";
                }
                flag = "MUL";
            }
        }
        flag
    }

    /// The `Extra` column of `SHOW COLUMNS` / `information_schema.COLUMNS`.
    pub fn extra(&self, i: usize, mariadb: bool) -> String {
        let Some(col) = self.columns.get(i) else {
            return String::new();
        };
        let mut parts: Vec<String> = Vec::new();
        if col.auto_increment {
            parts.push("auto_increment".into());
        }
        if let Some(u) = &col.on_update {
            parts.push(format!("on update {u}"));
        }
        if let Some((_, stored)) = &col.generated {
            parts.push(match (mariadb, stored) {
                (true, true) => "STORED GENERATED".into(),
                (true, false) => "VIRTUAL GENERATED".into(),
                (false, true) => "STORED GENERATED".into(),
                (false, false) => "VIRTUAL GENERATED".into(),
            });
        }
        if !mariadb && col.default.as_deref().is_some_and(|d| d.starts_with('(')) {
            parts.push("DEFAULT_GENERATED".into());
        }
        if col.invisible {
            parts.push("INVISIBLE".into());
        }
        parts.join(" ")
    }
}

/// True for the types that carry a character set.
pub fn is_character_type(column_type: &str) -> bool {
    let t = data_type(column_type);
    matches!(
        t.as_str(),
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "enum" | "set"
    )
}

/// `DATA_TYPE` of a `COLUMN_TYPE`: its first word, lower-case (`int(10) unsigned` → `int`).
pub fn data_type(column_type: &str) -> String {
    column_type
        .split(|c: char| c == '(' || c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Reads a `SHOW CREATE TABLE` text.
pub fn parse_create(text: &str, mariadb: bool) -> TableDef {
    let mut def = TableDef::default();
    for raw in text.lines() {
        let line = raw.trim();
        let line = line.strip_suffix(',').unwrap_or(line);
        if line.is_empty() || line.starts_with("CREATE ") {
            continue;
        }
        let clean = strip_comments(line);
        let toks = lex(&clean);
        let Some(first) = toks.first() else {
            continue;
        };
        if line.starts_with(')') {
            table_options(&toks, &mut def);
        } else if first.kind == Kind::Quoted {
            def.columns.push(column(&clean, &toks));
        } else if first.is("PRIMARY") {
            def.indexes.push(index(&clean, &toks, IndexKind::Primary));
        } else if first.is("UNIQUE") {
            def.indexes.push(index(&clean, &toks, IndexKind::Unique));
        } else if first.is("KEY") || first.is("INDEX") {
            def.indexes.push(index(&clean, &toks, IndexKind::Plain));
        } else if first.is("FULLTEXT") {
            def.indexes.push(index(&clean, &toks, IndexKind::Fulltext));
        } else if first.is("SPATIAL") {
            def.indexes.push(index(&clean, &toks, IndexKind::Spatial));
        } else if first.is("CONSTRAINT") {
            constraint(&toks, &mut def);
        }
    }
    if def.engine.is_empty() {
        def.engine = "InnoDB".into();
    }
    if def.charset.is_empty() {
        def.charset = def
            .collation
            .split('_')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or(if mariadb { "latin1" } else { "utf8mb4" })
            .to_string();
    }
    def.charset = charsets::canonical_charset(&def.charset);
    if def.collation.is_empty() {
        def.collation = charsets::default_collation(&def.charset, mariadb)
            .map(|c| c.name.to_string())
            .unwrap_or_default();
    }
    def
}

/// The index of the token that closes the parenthesis opened at `open`.
fn close_paren(toks: &[Token<'_>], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i;
            }
        }
    }
    toks.len().saturating_sub(1)
}

fn span(text: &str, toks: &[Token<'_>], from: usize, to: usize) -> String {
    match (toks.get(from), toks.get(to)) {
        (Some(a), Some(b)) => text.get(a.start..b.end).unwrap_or("").to_string(),
        _ => String::new(),
    }
}

fn column(text: &str, toks: &[Token<'_>]) -> Column {
    let mut col = Column {
        name: toks.first().map(|t| t.ident()).unwrap_or_default(),
        nullable: true,
        ..Default::default()
    };
    let mut i = 2;
    if toks.get(i).is_some_and(|t| t.is_punct("(")) {
        i = close_paren(toks, i) + 1;
    }
    while let Some(t) = toks.get(i) {
        let next = toks.get(i + 1);
        if t.is("unsigned") || t.is("zerofill") || t.is("signed") || t.is("BINARY") {
            i += 1;
        } else if t.is("CHARACTER") && next.is_some_and(|n| n.is("SET")) {
            col.charset = toks.get(i + 2).map(|t| t.ident());
            i += 3;
        } else if t.is("CHARSET") {
            col.charset = next.map(|t| t.ident());
            i += 2;
        } else if t.is("COLLATE") {
            col.collation = next.map(|t| t.ident());
            i += 2;
        } else if t.is("NOT") && next.is_some_and(|n| n.is("NULL")) {
            col.nullable = false;
            i += 2;
        } else if t.is("NULL") {
            i += 1;
        } else if t.is("DEFAULT") {
            let from = i + 1;
            let mut to = from;
            if toks.get(from).is_some_and(|t| t.is_punct("(")) {
                to = close_paren(toks, from);
            } else if toks.get(from).is_some_and(|t| t.is_punct("-")) {
                to = from + 1;
            } else if toks.get(from + 1).is_some_and(|t| t.is_punct("(")) {
                to = close_paren(toks, from + 1);
            } else if toks.get(from).is_some_and(|t| t.kind == Kind::Word)
                && toks.get(from + 1).is_some_and(|t| t.kind == Kind::Str)
            {
                // `_latin1'x'`, `b'101'`, `X'0F'`.
                to = from + 1;
            }
            col.default = Some(span(text, toks, from, to));
            i = to + 1;
        } else if t.is("AUTO_INCREMENT") {
            col.auto_increment = true;
            i += 1;
        } else if t.is("ON") && next.is_some_and(|n| n.is("UPDATE")) {
            let from = i + 2;
            let mut to = from;
            if toks.get(from + 1).is_some_and(|t| t.is_punct("(")) {
                to = close_paren(toks, from + 1);
            }
            col.on_update = Some(span(text, toks, from, to));
            i = to + 1;
        } else if t.is("COMMENT") {
            col.comment = next.map(|t| t.ident()).unwrap_or_default();
            i += 2;
        } else if t.is("GENERATED") || t.is("AS") {
            let mut j = i;
            while toks.get(j).is_some_and(|t| !t.is_punct("(")) {
                j += 1;
            }
            let close = close_paren(toks, j);
            let expr = span(text, toks, j + 1, close.saturating_sub(1));
            let stored = toks
                .get(close + 1)
                .is_some_and(|t| t.is("STORED") || t.is("PERSISTENT"));
            col.generated = Some((expr, stored));
            i = close + 2;
        } else if t.is("INVISIBLE") {
            col.invisible = true;
            i += 1;
        } else if t.is("CHECK") {
            i = close_paren(toks, i + 1) + 1;
        } else {
            i += 1;
        }
    }
    col
}

fn key_parts(text: &str, toks: &[Token<'_>], open: usize) -> (Vec<IndexPart>, usize) {
    let close = close_paren(toks, open);
    let mut parts = Vec::new();
    let mut i = open + 1;
    while i < close {
        let Some(t) = toks.get(i) else { break };
        if t.is_punct(",") {
            i += 1;
            continue;
        }
        let mut part = IndexPart {
            column: None,
            sub_part: None,
            desc: false,
            expression: None,
        };
        if t.is_punct("(") {
            let c = close_paren(toks, i);
            part.expression = Some(span(text, toks, i + 1, c.saturating_sub(1)));
            i = c + 1;
        } else {
            part.column = Some(t.ident());
            i += 1;
            if toks.get(i).is_some_and(|t| t.is_punct("(")) {
                part.sub_part = toks.get(i + 1).and_then(|t| t.text.parse().ok());
                i = close_paren(toks, i) + 1;
            }
        }
        while let Some(t) = toks.get(i) {
            if t.is("DESC") {
                part.desc = true;
            } else if !t.is("ASC") {
                break;
            }
            i += 1;
        }
        parts.push(part);
    }
    (parts, close)
}

fn index(text: &str, toks: &[Token<'_>], kind: IndexKind) -> Index {
    let open = toks
        .iter()
        .position(|t| t.is_punct("("))
        .unwrap_or(toks.len());
    let name = if kind == IndexKind::Primary {
        "PRIMARY".to_string()
    } else {
        toks.get(..open)
            .unwrap_or(&[])
            .iter()
            .rev()
            .find(|t| t.kind == Kind::Quoted)
            .map(|t| t.ident())
            .unwrap_or_default()
    };
    let (parts, close) = key_parts(text, toks, open);
    let mut idx = Index {
        name,
        kind,
        parts,
        using: None,
        comment: String::new(),
        invisible: false,
    };
    let mut i = close + 1;
    while let Some(t) = toks.get(i) {
        if t.is("USING") {
            idx.using = toks.get(i + 1).map(|t| t.text.to_ascii_uppercase());
            i += 2;
        } else if t.is("COMMENT") {
            idx.comment = toks.get(i + 1).map(|t| t.ident()).unwrap_or_default();
            i += 2;
        } else if t.is("INVISIBLE") || t.is("IGNORED") {
            idx.invisible = true;
            i += 1;
        } else {
            i += 1;
        }
    }
    idx
}

fn ident_list(toks: &[Token<'_>], open: usize) -> (Vec<String>, usize) {
    let close = close_paren(toks, open);
    let names = toks
        .get(open + 1..close)
        .unwrap_or(&[])
        .iter()
        .filter(|t| !t.is_punct(","))
        .map(|t| t.ident())
        .collect();
    (names, close)
}

fn constraint(toks: &[Token<'_>], def: &mut TableDef) {
    let name = toks.get(1).map(|t| t.ident()).unwrap_or_default();
    if toks.get(2).is_some_and(|t| t.is("CHECK")) {
        def.checks.push(name);
        return;
    }
    if !toks.get(2).is_some_and(|t| t.is("FOREIGN")) {
        return;
    }
    let Some(open) = toks.iter().position(|t| t.is_punct("(")) else {
        return;
    };
    let (columns, close) = ident_list(toks, open);
    let Some(refs) = toks
        .iter()
        .skip(close)
        .position(|t| t.is("REFERENCES"))
        .map(|p| p + close)
    else {
        return;
    };
    let mut i = refs + 1;
    let mut ref_schema = None;
    let mut ref_table = toks.get(i).map(|t| t.ident()).unwrap_or_default();
    if toks.get(i + 1).is_some_and(|t| t.is_punct(".")) {
        ref_schema = Some(ref_table);
        ref_table = toks.get(i + 2).map(|t| t.ident()).unwrap_or_default();
        i += 2;
    }
    let (ref_columns, close) = ident_list(toks, i + 1);
    let mut fk = ForeignKey {
        name,
        columns,
        ref_schema,
        ref_table,
        ref_columns,
        on_update: "RESTRICT".into(),
        on_delete: "RESTRICT".into(),
    };
    let mut j = close + 1;
    while let Some(t) = toks.get(j) {
        if t.is("ON") {
            let which = toks.get(j + 1).map(|t| t.text.to_ascii_uppercase());
            let mut rule = toks
                .get(j + 2)
                .map(|t| t.text.to_ascii_uppercase())
                .unwrap_or_default();
            let mut skip = 3;
            if rule == "SET" || rule == "NO" {
                rule = format!(
                    "{rule} {}",
                    toks.get(j + 3)
                        .map(|t| t.text.to_ascii_uppercase())
                        .unwrap_or_default()
                );
                skip = 4;
            }
            match which.as_deref() {
                Some("UPDATE") => fk.on_update = rule,
                Some("DELETE") => fk.on_delete = rule,
                _ => {}
            }
            j += skip;
        } else {
            j += 1;
        }
    }
    def.foreign_keys.push(fk);
}

fn table_options(toks: &[Token<'_>], def: &mut TableDef) {
    let mut i = 1;
    while let Some(t) = toks.get(i) {
        if t.kind == Kind::Word && toks.get(i + 1).is_some_and(|n| n.is_punct("=")) {
            let value = toks.get(i + 2).map(|v| v.ident()).unwrap_or_default();
            let key = t.text.to_ascii_uppercase();
            match key.as_str() {
                "ENGINE" => def.engine = value,
                "CHARSET" => def.charset = value,
                "COLLATE" => def.collation = value,
                "COMMENT" => def.comment = value,
                "AUTO_INCREMENT" => def.auto_increment = value.parse().ok(),
                "ROW_FORMAT" => def.row_format = Some(value),
                _ => {}
            }
            i += 3;
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE: &str = "CREATE TABLE `orders` (
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `customer` varchar(40) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT 'it''s',
  `note` text DEFAULT NULL COMMENT 'free, text',
  `total` decimal(10,2) NOT NULL DEFAULT 0.00,
  `updated` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
  `code` int(11) GENERATED ALWAYS AS (`id` * 2) VIRTUAL,
  `ref` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `u_code` (`code`),
  UNIQUE KEY `u_pair` (`customer`,`total`),
  KEY `k_note` (`note`(10)) COMMENT 'prefix',
  KEY `k_ref` (`ref` DESC),
  CONSTRAINT `fk_ref` FOREIGN KEY (`ref`) REFERENCES `other`.`parent` (`id`) ON DELETE SET NULL,
  CONSTRAINT `CONSTRAINT_1` CHECK (`total` >= 0)
) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Orders, all'";

    #[test]
    fn a_create_statement_is_read() {
        let d = parse_create(CREATE, true);
        assert_eq!(d.columns.len(), 7);
        let c = &d.columns[1];
        assert_eq!(c.name, "customer");
        assert!(!c.nullable);
        assert_eq!(c.default.as_deref(), Some("'it''s'"));
        assert_eq!(c.charset.as_deref(), Some("latin1"));
        assert_eq!(c.collation.as_deref(), Some("latin1_bin"));
        assert_eq!(d.columns[2].comment, "free, text");
        assert_eq!(d.columns[2].default.as_deref(), Some("NULL"));
        assert_eq!(
            d.columns[4].on_update.as_deref(),
            Some("current_timestamp()")
        );
        assert_eq!(d.columns[4].default.as_deref(), Some("current_timestamp()"));
        assert_eq!(d.columns[5].generated, Some(("`id` * 2".into(), false)));
        assert!(d.columns[0].auto_increment);
        assert_eq!(d.indexes.len(), 5);
        assert_eq!(d.indexes[3].parts[0].sub_part, Some(10));
        assert_eq!(d.indexes[3].comment, "prefix");
        assert!(d.indexes[4].parts[0].desc);
        assert_eq!(d.foreign_keys[0].ref_schema.as_deref(), Some("other"));
        assert_eq!(d.foreign_keys[0].on_delete, "SET NULL");
        assert_eq!(d.checks, vec!["CONSTRAINT_1".to_string()]);
        assert_eq!(d.engine, "InnoDB");
        assert_eq!(d.auto_increment, Some(7));
        assert_eq!(d.collation, "utf8mb4_general_ci");
        assert_eq!(d.comment, "Orders, all");
        let flags: Vec<&str> = (0..7).map(|i| d.key_flag(i)).collect();
        assert_eq!(flags, vec!["PRI", "MUL", "MUL", "", "", "UNI", "MUL"]);
        assert_eq!(d.extra(0, true), "auto_increment");
        assert_eq!(d.extra(4, true), "on update current_timestamp()");
        assert_eq!(d.extra(5, true), "VIRTUAL GENERATED");
    }

    #[test]
    fn a_not_null_unique_key_stands_in_for_a_primary_key() {
        let d = parse_create(
            "CREATE TABLE `t` (\n  `a` int(11) NOT NULL,\n  `b` int(11) DEFAULT NULL,\n  UNIQUE KEY `ua` (`a`)\n) ENGINE=InnoDB DEFAULT CHARSET=latin1",
            true,
        );
        assert_eq!(d.key_flag(0), "PRI");
        assert_eq!(d.key_flag(1), "");
        assert_eq!(d.collation, "latin1_swedish_ci");
    }

    #[test]
    fn data_types() {
        assert_eq!(data_type("int(10) unsigned"), "int");
        assert_eq!(data_type("enum('a','b')"), "enum");
        assert_eq!(data_type("DATETIME(6)"), "datetime");
        assert!(is_character_type("varchar(3)"));
        assert!(!is_character_type("varbinary(3)"));
    }
}
