//! The small lexer the statement router reads: comment stripping as MySQL does it (plain
//! `/* … */`, `-- ` and `#` comments dropped, `/*! … */` and `/*M! … */` version comments
//! kept as their content), tokens with byte spans (quotes, backticks, `@`/`@@` variables,
//! `?` placeholders), placeholder counting and MySQL's `LIKE` matching.
//!
//! It never fails: unterminated quotes or comments run to the end of the text, and the
//! statement's own parser reports the error later.

use std::borrow::Cow;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A keyword or unquoted identifier.
    Word,
    /// A backquoted identifier (the text includes the backticks).
    Quoted,
    /// A string literal in `'…'` or `"…"` (the text includes the quotes).
    Str,
    /// A number.
    Num,
    /// `@name`, `@'name'` or `@@[scope.]name`.
    Var,
    /// A `?` placeholder.
    Param,
    /// Any other symbol or operator (`(`, `,`, `=`, `:=`, `<=>`, …).
    Punct,
}

/// One token: its kind and where it is in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// Kind.
    pub kind: Kind,
    /// The token's text as written.
    pub text: &'a str,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

impl Token<'_> {
    /// True when the token is the keyword `kw` (ASCII case-insensitive).
    pub fn is(&self, kw: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(kw)
    }

    /// True when the token is the symbol `p`.
    pub fn is_punct(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }

    /// An identifier's name: backticks removed (doubled backticks undone), string quotes
    /// removed for the places MySQL accepts a string as a name.
    pub fn ident(&self) -> String {
        match self.kind {
            Kind::Quoted => unquote(self.text, '`'),
            Kind::Str => string_value(self.text),
            _ => self.text.to_string(),
        }
    }
}

/// Removes the enclosing `q` quotes of `text` and undoes doubled quotes inside.
fn unquote(text: &str, q: char) -> String {
    let inner = text.strip_prefix(q).unwrap_or(text);
    let inner = inner.strip_suffix(q).unwrap_or(inner);
    let doubled: String = [q, q].iter().collect();
    inner.replace(&doubled, &q.to_string())
}

/// The value of a string literal token (`'it''s'`, `"a\nb"`): quotes removed, doubled
/// quotes and backslash escapes undone as MySQL does.
pub fn string_value(text: &str) -> String {
    let mut chars = text.chars();
    let Some(q) = chars.next() else {
        return String::new();
    };
    if q != '\'' && q != '"' {
        return text.to_string();
    }
    let body: Vec<char> = chars.collect();
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let c = body.get(i).copied().unwrap_or(q);
        if c == '\\' {
            let n = body.get(i + 1).copied();
            match n {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('b') => out.push('\u{8}'),
                Some('Z') => out.push('\u{1a}'),
                // `\%` and `\_` keep their backslash (they matter to LIKE).
                Some('%') => out.push_str("\\%"),
                Some('_') => out.push_str("\\_"),
                Some(other) => out.push(other),
                None => {}
            }
            i += 2;
        } else if c == q {
            if body.get(i + 1) == Some(&q) {
                out.push(q);
                i += 2;
            } else {
                // The closing quote.
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The statement as the server reads it: plain comments replaced by a space, version
/// comments replaced by their content, surrounding whitespace and trailing `;` removed.
/// Borrows when there was no comment.
pub fn strip_comments(sql: &str) -> Cow<'_, str> {
    let b = sql.as_bytes();
    let has_comment = b.windows(2).any(|w| w == b"/*" || w == b"--") || b.contains(&b'#');
    if !has_comment {
        return Cow::Borrowed(trim_statement(sql));
    }
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let mut in_version = false;
    let mut copied_from = 0;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(0);
        match c {
            b'\'' | b'"' | b'`' => {
                i = skip_quoted(b, i);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                out.push_str(sql.get(copied_from..i).unwrap_or(""));
                let bang = match (b.get(i + 2), b.get(i + 3)) {
                    (Some(b'!'), _) => Some(i + 3),
                    (Some(b'M'), Some(b'!')) => Some(i + 4),
                    _ => None,
                };
                if let Some(mut j) = bang {
                    // `/*!40101 …`: a version number of 5 or 6 digits, then the content.
                    let digits_from = j;
                    while j < b.len()
                        && j - digits_from < 6
                        && b.get(j).is_some_and(u8::is_ascii_digit)
                    {
                        j += 1;
                    }
                    in_version = true;
                    out.push(' ');
                    i = j;
                } else {
                    let end = find(b, i + 2, b"*/").map(|e| e + 2).unwrap_or(b.len());
                    out.push(' ');
                    i = end;
                }
                copied_from = i;
            }
            b'*' if in_version && b.get(i + 1) == Some(&b'/') => {
                out.push_str(sql.get(copied_from..i).unwrap_or(""));
                out.push(' ');
                in_version = false;
                i += 2;
                copied_from = i;
            }
            b'-' if b.get(i + 1) == Some(&b'-')
                && b.get(i + 2)
                    .is_none_or(|c| c.is_ascii_whitespace() || c.is_ascii_control()) =>
            {
                out.push_str(sql.get(copied_from..i).unwrap_or(""));
                i = line_end(b, i);
                out.push(' ');
                copied_from = i;
            }
            b'#' => {
                out.push_str(sql.get(copied_from..i).unwrap_or(""));
                i = line_end(b, i);
                out.push(' ');
                copied_from = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(sql.get(copied_from..).unwrap_or(""));
    Cow::Owned(trim_statement(&out).to_string())
}

fn trim_statement(sql: &str) -> &str {
    sql.trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace())
}

fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

fn line_end(b: &[u8], from: usize) -> usize {
    b.get(from..)
        .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
        .map(|p| p + from)
        .unwrap_or(b.len())
}

/// The index just past the quoted section starting at `start` (whose byte is the quote).
fn skip_quoted(b: &[u8], start: usize) -> usize {
    let q = b.get(start).copied().unwrap_or(b'\'');
    let mut i = start + 1;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(0);
        if c == b'\\' && q != b'`' {
            i += 2;
        } else if c == q {
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

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Splits comment-free statement text into tokens.
pub fn lex(sql: &str) -> Vec<Token<'_>> {
    let b = sql.as_bytes();
    let mut out = Vec::with_capacity(16);
    let mut i = 0;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(b' ');
        let start = i;
        let kind;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c == b'\'' || c == b'"' {
            i = skip_quoted(b, i);
            kind = Kind::Str;
        } else if c == b'`' {
            i = skip_quoted(b, i);
            kind = Kind::Quoted;
        } else if c == b'@' {
            i += 1;
            if b.get(i) == Some(&b'@') {
                i += 1;
            }
            match b.get(i) {
                Some(b'\'' | b'"' | b'`') => i = skip_quoted(b, i),
                _ => {
                    while i < b.len() && b.get(i).is_some_and(|&c| is_word_byte(c) || c == b'.') {
                        i += 1;
                    }
                }
            }
            kind = Kind::Var;
        } else if c == b'?' {
            i += 1;
            kind = Kind::Param;
        } else if c.is_ascii_digit()
            || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) && !follows_name(&out))
        {
            i = number_end(b, i);
            if b.get(i).is_some_and(|&c| is_word_byte(c)) {
                while i < b.len() && b.get(i).is_some_and(|&c| is_word_byte(c)) {
                    i += 1;
                }
                kind = Kind::Word;
            } else {
                kind = Kind::Num;
            }
        } else if is_word_byte(c) {
            while i < b.len() && b.get(i).is_some_and(|&c| is_word_byte(c)) {
                i += 1;
            }
            kind = Kind::Word;
        } else {
            let rest = b.get(i..).unwrap_or(&[]);
            let len = [
                "<=>", "->>", ":=", "<=", ">=", "<>", "!=", "||", "&&", "->", "<<", ">>",
            ]
            .iter()
            .find(|op| rest.starts_with(op.as_bytes()))
            .map(|op| op.len())
            .unwrap_or_else(|| utf8_len(c));
            i += len;
            kind = Kind::Punct;
        }
        let end = i.min(b.len());
        if let Some(text) = sql.get(start..end) {
            out.push(Token {
                kind,
                text,
                start,
                end,
            });
        }
    }
    out
}

fn follows_name(out: &[Token<'_>]) -> bool {
    out.last()
        .is_some_and(|t| matches!(t.kind, Kind::Word | Kind::Quoted))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn number_end(b: &[u8], mut i: usize) -> usize {
    let digits = |b: &[u8], mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    if b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'x' | b'X' | b'b' | b'B')) {
        i += 2;
        while b.get(i).is_some_and(u8::is_ascii_hexdigit) {
            i += 1;
        }
        return i;
    }
    i = digits(b, i);
    if b.get(i) == Some(&b'.') {
        i = digits(b, i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(b, j);
        }
    }
    i
}

/// Number of `?` placeholders outside quotes and comments.
pub fn count_placeholders(sql: &str) -> usize {
    let clean = strip_comments(sql);
    lex(&clean).iter().filter(|t| t.kind == Kind::Param).count()
}

/// MySQL `LIKE` matching, case-insensitive (as the `*_ci` collations of metadata
/// columns compare): `%` any run, `_` one character, `\` escapes.
pub fn like(value: &str, pattern: &str) -> bool {
    let v: Vec<char> = value.chars().flat_map(char::to_lowercase).collect();
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    like_at(&v, &p)
}

fn like_at(v: &[char], p: &[char]) -> bool {
    // Iterative matching with one backtrack point for the last `%`.
    let (mut vi, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some('%') => {
                star = Some((pi, vi));
                pi += 1;
                continue;
            }
            Some('_') => {
                vi += 1;
                pi += 1;
                continue;
            }
            Some('\\') if p.get(pi + 1).is_some() && p.get(pi + 1) == v.get(vi) => {
                vi += 1;
                pi += 2;
                continue;
            }
            Some('\\') if p.get(pi + 1).is_some() => {}
            Some(c) if Some(c) == v.get(vi) => {
                vi += 1;
                pi += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, sv)) => {
                pi = sp + 1;
                vi = sv + 1;
                star = Some((sp, sv + 1));
            }
            None => return false,
        }
    }
    p.get(pi..).unwrap_or(&[]).iter().all(|&c| c == '%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_stripped_and_version_comments_kept() {
        assert_eq!(strip_comments("SELECT 1;"), "SELECT 1");
        assert_eq!(strip_comments("  SELECT 1 ;; \n"), "SELECT 1");
        assert_eq!(
            strip_comments("/* mysql-connector-j-8.0 */SELECT @@a").trim(),
            "SELECT @@a"
        );
        assert_eq!(
            strip_comments("/*!40101 SET NAMES utf8 */").trim(),
            "SET NAMES utf8"
        );
        assert_eq!(strip_comments("/*M!100101 SET x=1 */;").trim(), "SET x=1");
        assert_eq!(
            strip_comments("SELECT 1 -- note\n, 2").as_ref(),
            "SELECT 1  \n, 2"
        );
        assert_eq!(strip_comments("SELECT 1 # note").as_ref(), "SELECT 1");
        assert_eq!(strip_comments("SELECT 5--3").as_ref(), "SELECT 5--3");
        assert_eq!(
            strip_comments("SELECT '/* not */', `a#b` -- x").as_ref(),
            "SELECT '/* not */', `a#b`"
        );
        assert_eq!(
            strip_comments("SELECT 'it''s -- no'").as_ref(),
            "SELECT 'it''s -- no'"
        );
        assert_eq!(
            strip_comments("SELECT 1 /* unterminated").as_ref(),
            "SELECT 1"
        );
    }

    #[test]
    fn tokens_carry_kinds_and_spans() {
        let sql = "SELECT @@session.sql_mode, @x, `a``b`, 'q\\'s', 1.5e3, ? FROM t WHERE a<=>b";
        let toks = lex(sql);
        let kinds: Vec<Kind> = toks.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Word,
                Kind::Var,
                Kind::Punct,
                Kind::Var,
                Kind::Punct,
                Kind::Quoted,
                Kind::Punct,
                Kind::Str,
                Kind::Punct,
                Kind::Num,
                Kind::Punct,
                Kind::Param,
                Kind::Word,
                Kind::Word,
                Kind::Word,
                Kind::Word,
                Kind::Punct,
                Kind::Word
            ]
        );
        assert_eq!(toks[1].text, "@@session.sql_mode");
        assert_eq!(toks[5].ident(), "a`b");
        assert_eq!(toks[7].ident(), "q's");
        assert_eq!(toks[16].text, "<=>");
        assert_eq!(&sql[toks[9].start..toks[9].end], "1.5e3");
    }

    #[test]
    fn placeholders_outside_quotes_and_comments_are_counted() {
        assert_eq!(count_placeholders("SELECT c FROM sbtest1 WHERE id=?"), 1);
        assert_eq!(
            count_placeholders("SELECT '?', \"?\", `?` FROM t WHERE a=? AND b=?"),
            2
        );
        assert_eq!(count_placeholders("SELECT 1 /* ? */ -- ?\n + ? # ?"), 1);
        assert_eq!(count_placeholders("SELECT 'a\\'?' , ?"), 1);
    }

    #[test]
    fn string_values_undo_escapes() {
        assert_eq!(string_value("'it''s'"), "it's");
        assert_eq!(string_value("'a\\nb\\\\'"), "a\nb\\");
        assert_eq!(string_value("\"x\"\"y\""), "x\"y");
        assert_eq!(string_value("'50\\%'"), "50\\%");
    }

    #[test]
    fn like_matches_as_mysql() {
        assert!(like("lower_case_table_names", "lower_case_table_names"));
        assert!(like("character_set_client", "character\\_set%"));
        assert!(!like("characterXset_client", "character\\_set%"));
        assert!(like("Version", "VERSION"));
        assert!(like("abc", "a_c"));
        assert!(like("abc", "%"));
        assert!(like("", "%"));
        assert!(!like("abc", "ab"));
        assert!(like("aXbXc", "%b%c"));
        assert!(like("mississippi", "%iss%pi"));
    }
}
