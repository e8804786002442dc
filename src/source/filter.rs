//! Which tables to replicate: `--tables 'db.*,db2.t'`.

use std::fmt;

/// A list of `schema.table` patterns; `*` matches any run of characters, `?` one character.
///
/// An empty filter matches every table. Names compare exactly (case-sensitive), as MySQL
/// does on Linux with the default `lower_case_table_names=0`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableFilter {
    patterns: Vec<(String, String)>,
    /// Patterns subtracted from the selection (`--exclude-tables`, system schemas).
    excluded: Vec<(String, String)>,
}

impl TableFilter {
    /// Matches every table.
    pub fn all() -> Self {
        TableFilter::default()
    }

    /// Parses a comma-separated list such as `shop.*,crm.customers`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut patterns = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (db, table) = part.split_once('.').ok_or_else(|| {
                format!(
                    "--tables: `{part}` is not schema.table (use `{part}.*` for a whole schema)"
                )
            })?;
            if db.is_empty() || table.is_empty() || table.contains('.') {
                return Err(format!("--tables: `{part}` is not schema.table"));
            }
            patterns.push((unquote(db), unquote(table)));
        }
        Ok(TableFilter {
            patterns,
            excluded: Vec::new(),
        })
    }

    /// This filter minus every table `other` matches.
    pub fn excluding(mut self, other: &TableFilter) -> Self {
        self.excluded.extend(other.patterns.iter().cloned());
        self
    }

    /// True if `schema.table` is selected.
    pub fn matches(&self, schema: &str, table: &str) -> bool {
        let hit = |(d, t): &(String, String)| {
            glob(d.as_bytes(), schema.as_bytes()) && glob(t.as_bytes(), table.as_bytes())
        };
        (self.patterns.is_empty() || self.patterns.iter().any(hit))
            && !self.excluded.iter().any(hit)
    }

    /// True if every table is selected.
    pub fn is_all(&self) -> bool {
        self.patterns.is_empty() && self.excluded.is_empty()
    }
}

impl fmt::Display for TableFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patterns.is_empty() {
            return f.write_str("*.*");
        }
        let parts: Vec<String> = self
            .patterns
            .iter()
            .map(|(d, t)| format!("{d}.{t}"))
            .collect();
        f.write_str(&parts.join(","))
    }
}

fn unquote(s: &str) -> String {
    s.trim_matches('`').to_string()
}

/// Glob match with `*` and `?`, iterative with single-star backtracking.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if *c == b'?' || *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

/// Which tables are replicated: `--tables` minus `--exclude-tables`, never the system
/// schemas.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `--tables` (empty: all).
    pub include: TableFilter,
    /// `--exclude-tables` (empty: none).
    pub exclude: Option<TableFilter>,
}

/// Schemas that are never replicated.
pub const SYSTEM_SCHEMAS: [&str; 5] = [
    "mysql",
    "information_schema",
    "performance_schema",
    "sys",
    "mariadb_schema",
];

impl Selection {
    /// The filter for the binlog stream: the selection minus the system schemas, so rows
    /// of other tables are skipped before they are decoded.
    pub fn stream_filter(&self) -> TableFilter {
        let mut f = self.include.clone();
        if let Some(e) = &self.exclude {
            f = f.excluding(e);
        }
        let system = SYSTEM_SCHEMAS
            .iter()
            .map(|s| format!("{s}.*"))
            .collect::<Vec<_>>()
            .join(",");
        match TableFilter::parse(&system) {
            Ok(sys) => f.excluding(&sys),
            Err(_) => f,
        }
    }

    /// True when `schema.table` is replicated.
    pub fn matches(&self, schema: &str, table: &str) -> bool {
        !SYSTEM_SCHEMAS
            .iter()
            .any(|s| s.eq_ignore_ascii_case(schema))
            && self.include.matches(schema, table)
            && !self
                .exclude
                .as_ref()
                .is_some_and(|e| e.matches(schema, table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_subtract_exclusions_and_system_schemas() {
        let sel = Selection {
            include: TableFilter::parse("app.*").unwrap(),
            exclude: Some(TableFilter::parse("app.tmp_*").unwrap()),
        };
        assert!(sel.matches("app", "orders"));
        assert!(!sel.matches("app", "tmp_load"));
        assert!(!sel.matches("other", "t"));
        let f = sel.stream_filter();
        assert!(f.matches("app", "orders") && !f.matches("app", "tmp_x"));
        assert!(!f.is_all());
        let all = Selection::default();
        assert!(all.matches("shop", "orders") && !all.matches("mysql", "user"));
        let f = all.stream_filter();
        assert!(f.matches("shop", "orders"));
        assert!(!f.matches("mysql", "gtid_slave_pos"));
        assert!(!f.matches("performance_schema", "x"));
    }

    #[test]
    fn patterns_match() {
        let f = TableFilter::parse("shop.*, crm.cust?mers,`logs`.ev_*").unwrap();
        assert!(f.matches("shop", "orders"));
        assert!(f.matches("crm", "customers"));
        assert!(!f.matches("crm", "custmers"));
        assert!(f.matches("logs", "ev_2024"));
        assert!(!f.matches("logs", "x"));
        assert!(!f.matches("Shop", "orders"));
        assert!(TableFilter::parse("").unwrap().matches("a", "b"));
        assert!(TableFilter::parse("nodot").is_err());
        assert!(TableFilter::parse("a.b.c").is_err());
    }
}
