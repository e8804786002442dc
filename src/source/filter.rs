//! Which tables to replicate: `--tables 'db.*,db2.t'`.

use std::fmt;

/// A list of `schema.table` patterns; `*` matches any run of characters, `?` one character.
///
/// An empty filter matches every table. Names compare exactly (case-sensitive), as MySQL
/// does on Linux with the default `lower_case_table_names=0`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableFilter {
    patterns: Vec<(String, String)>,
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
        Ok(TableFilter { patterns })
    }

    /// True if `schema.table` is selected.
    pub fn matches(&self, schema: &str, table: &str) -> bool {
        self.patterns.is_empty()
            || self.patterns.iter().any(|(d, t)| {
                glob(d.as_bytes(), schema.as_bytes()) && glob(t.as_bytes(), table.as_bytes())
            })
    }

    /// True if every table is selected.
    pub fn is_all(&self) -> bool {
        self.patterns.is_empty()
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
