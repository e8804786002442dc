//! Applying the JSON diffs of a MySQL partial JSON update to the stored JSON value.
//!
//! With `binlog_row_value_options=PARTIAL_JSON`, MySQL 8 logs an `UPDATE` that changed a JSON
//! column only through `JSON_SET`, `JSON_REPLACE` and `JSON_REMOVE` as a PARTIAL_UPDATE_ROWS
//! event whose after-image carries, for that column, the list of changes
//! ([`Value::JsonDiffs`](crate::source::value::Value::JsonDiffs)) instead of the new document.
//! The store keeps JSON columns as the text MySQL prints (`SELECT col`, see
//! [`json_to_text`](crate::source::decode::json::json_to_text)), so it applies the diffs to
//! that text with [`apply_json_diffs`] and gets the text MySQL prints for the new value.
//!
//! # Semantics (MySQL's `apply_json_diffs` in `sql/json_diff.cc`)
//!
//! Diffs apply in order, each to the result of the previous one. A path names exact
//! locations only: `$`, `.key`, `."quoted key"` (JSON string escapes), `[N]`, `[last]`,
//! `[last-N]`; no wildcards, ranges or auto-wrapping of scalars.
//!
//! * **Replace**: the value at the path must exist and is replaced.
//! * **Insert**: the path's parent must exist. If it is an object and the last leg a member
//!   name, the member must not exist yet and is added. If it is an array and the last leg an
//!   index, the value is inserted before that position (`JSON_ARRAY_INSERT`); an index past
//!   the end appends, `[last-N]` counts from the last element.
//! * **Remove**: the parent must exist and hold the member, or the element at the (in-bounds)
//!   index, which is removed.
//!
//! Anything else is rejected as MySQL's replica rejects it (error 3396 / `REJECTED`): the
//! store would otherwise silently diverge from the source. One deliberate leniency: MySQL
//! never logs a diff at the root `$` (it logs the whole value instead) and rejects one; a
//! Replace at `$` is unambiguous, so it is applied here. Insert and Remove at `$` are errors.
//!
//! # Text form
//!
//! The result is rendered as MySQL prints JSON: `{"a": 1, "b": [1, 2]}` (`", "` between
//! elements, `": "` after keys), object keys in MySQL's binary JSON order (shorter keys
//! first, then bytewise on UTF-8), strings with MySQL's escaping (`\"`, `\\`, `\b \f \n \r
//! \t`, other control characters as `\u00xx`, everything else as is). Number tokens are kept
//! exactly as written — the stored text already is MySQL's rendering (`1.5e-16`, a JSON
//! DECIMAL's `9.00`) and round-tripping through `f64` would change some of them. The input
//! may be any valid JSON text (other spacing, `\u` escapes, keys in any order — duplicate
//! keys keep the last value, as in MySQL); the output is always the canonical form.
//!
//! # Bounds
//!
//! Arrays and objects may nest at most [`MAX_DEPTH`] (100, as in MySQL) levels, in the
//! stored value, in a diff's value, and in the result (path length plus the depth of the
//! value put there), so the recursive parser, renderer and destructor cannot overflow the
//! stack. No input makes these functions panic.

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::source::value::{JsonDiff, JsonDiffOp};

/// The deepest nesting of arrays and objects accepted anywhere: MySQL's
/// `JSON_DOCUMENT_MAX_DEPTH`, the limit the binlog decoder applies too. MySQL never stores,
/// logs or produces a deeper value, and the recursion stays small (see
/// `deepest_values_fit_a_small_stack` in the tests).
pub const MAX_DEPTH: usize = 100;

/// Why a partial JSON update could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonPatchError {
    /// The stored value the diffs apply to is not valid JSON text.
    #[error("stored JSON value is not valid JSON: {reason}")]
    Document {
        /// What is wrong, with the byte offset.
        reason: String,
    },
    /// A diff's path is not a valid exact JSON path.
    #[error("JSON diff {index} ({} at {path:?}): bad path: {reason}", op_name(.operation))]
    Path {
        /// The diff's position in the list (0-based).
        index: usize,
        /// The diff's operation.
        operation: JsonDiffOp,
        /// The path as logged.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A diff's value is missing or not valid JSON text, or would nest too deep.
    #[error("JSON diff {index} ({} at {path:?}): bad value: {reason}", op_name(.operation))]
    Value {
        /// The diff's position in the list (0-based).
        index: usize,
        /// The diff's operation.
        operation: JsonDiffOp,
        /// The path as logged.
        path: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// The diff does not fit the document (MySQL's replica rejects it too): the path is
    /// missing, a member to insert exists already, a leg does not match the container.
    #[error("JSON diff {index} ({} at {path:?}) does not apply: {reason}", op_name(.operation))]
    Rejected {
        /// The diff's position in the list (0-based).
        index: usize,
        /// The diff's operation.
        operation: JsonDiffOp,
        /// The path as logged.
        path: String,
        /// Why it does not apply.
        reason: String,
    },
}

fn op_name(op: &JsonDiffOp) -> &'static str {
    match op {
        JsonDiffOp::Replace => "replace",
        JsonDiffOp::Insert => "insert",
        JsonDiffOp::Remove => "remove",
    }
}

/// Applies the diffs of one partial JSON update to the stored value, giving the text MySQL
/// would print for the new value.
///
/// `base` is the stored JSON text (normally MySQL's own rendering); `diffs` apply in order.
/// See the module docs for the semantics and the output form. An empty `diffs` gives `base`
/// in canonical form.
pub fn apply_json_diffs(base: &str, diffs: &[JsonDiff]) -> Result<String, JsonPatchError> {
    let mut doc = parse_document(base).map_err(|reason| JsonPatchError::Document { reason })?;
    for (index, diff) in diffs.iter().enumerate() {
        apply_one(&mut doc, diff).map_err(|(kind, reason)| {
            let operation = diff.operation;
            let path = diff.path.clone();
            match kind {
                ErrorKind::Path => JsonPatchError::Path {
                    index,
                    operation,
                    path,
                    reason,
                },
                ErrorKind::Value => JsonPatchError::Value {
                    index,
                    operation,
                    path,
                    reason,
                },
                ErrorKind::Rejected => JsonPatchError::Rejected {
                    index,
                    operation,
                    path,
                    reason,
                },
            }
        })?;
    }
    let mut out = String::with_capacity(base.len() + 16);
    write_json(&mut out, &doc);
    Ok(out)
}

/// Which [`JsonPatchError`] variant a failure of one diff becomes.
enum ErrorKind {
    Path,
    Value,
    Rejected,
}

type DiffResult = Result<(), (ErrorKind, String)>;

fn rejected(reason: String) -> (ErrorKind, String) {
    (ErrorKind::Rejected, reason)
}

/// Applies one diff to `doc`.
fn apply_one(doc: &mut Json, diff: &JsonDiff) -> DiffResult {
    let path = diff.path.as_str();
    let (root_end, legs) = parse_path(path).map_err(|r| (ErrorKind::Path, r))?;
    let value = match diff.operation {
        JsonDiffOp::Remove => None,
        JsonDiffOp::Replace | JsonDiffOp::Insert => {
            let text = diff
                .value
                .as_deref()
                .ok_or_else(|| (ErrorKind::Value, "the diff carries no value".to_string()))?;
            let value = parse_document(text).map_err(|r| (ErrorKind::Value, r))?;
            let depth = legs.len().saturating_add(nesting(&value));
            if depth > MAX_DEPTH {
                return Err((
                    ErrorKind::Value,
                    format!("the result would nest {depth} levels deep (limit {MAX_DEPTH})"),
                ));
            }
            Some(value)
        }
    };

    let Some((last, parent_legs)) = legs.split_last() else {
        // The root: only a Replace makes sense (see the module docs).
        return match (diff.operation, value) {
            (JsonDiffOp::Replace, Some(v)) => {
                *doc = v;
                Ok(())
            }
            (JsonDiffOp::Insert, _) => Err(rejected("cannot insert at the document root".into())),
            _ => Err(rejected("cannot remove the whole document".into())),
        };
    };

    if diff.operation == JsonDiffOp::Replace {
        let target = seek(doc, &legs, path, root_end)?;
        if let Some(v) = value {
            *target = v;
        }
        return Ok(());
    }

    let parent_path = path
        .get(..parent_legs.last().map_or(root_end, |l| l.end))
        .unwrap_or(path)
        .trim_start();
    let parent = seek(doc, parent_legs, path, root_end)?;
    match (parent, &last.kind, value) {
        (Json::Object(members), LegKind::Member(key), Some(v)) => {
            match members.binary_search_by(|(k, _)| key_order(k, key)) {
                Ok(_) => Err(rejected(format!(
                    "{parent_path} already has a member {}",
                    quoted(key)
                ))),
                Err(i) => {
                    members.insert(i, (key.clone(), v));
                    Ok(())
                }
            }
        }
        (Json::Object(members), LegKind::Member(key), None) => {
            match members.binary_search_by(|(k, _)| key_order(k, key)) {
                Ok(i) => {
                    members.remove(i);
                    Ok(())
                }
                Err(_) => Err(rejected(format!(
                    "{parent_path} has no member {}",
                    quoted(key)
                ))),
            }
        }
        (Json::Array(items), LegKind::Index { index, from_end }, value) => {
            let (position, within) = array_position(*index, *from_end, items.len());
            match value {
                Some(v) => {
                    items.insert(position, v);
                    Ok(())
                }
                None if within => {
                    items.remove(position);
                    Ok(())
                }
                None => Err(rejected(format!(
                    "{parent_path} has {} elements, no {}",
                    items.len(),
                    describe_index(*index, *from_end)
                ))),
            }
        }
        (parent, kind, _) => Err(rejected(format!(
            "{parent_path} is {}, which has no {}",
            parent.kind_name(),
            kind.describe()
        ))),
    }
}

/// The value at `legs` (all of them exact), or why there is none. `path` is the whole path
/// text and `root_end` the offset just past its `$`, for messages.
fn seek<'a>(
    doc: &'a mut Json,
    legs: &[Leg],
    path: &str,
    root_end: usize,
) -> Result<&'a mut Json, (ErrorKind, String)> {
    let mut current = doc;
    let mut prefix_end = root_end;
    for leg in legs {
        let prefix = path.get(..prefix_end).unwrap_or(path).trim_start();
        current = match (current, &leg.kind) {
            (Json::Object(members), LegKind::Member(key)) => {
                match members.binary_search_by(|(k, _)| key_order(k, key)) {
                    Ok(i) => match members.get_mut(i) {
                        Some((_, v)) => v,
                        None => {
                            return Err(rejected(format!("{prefix} has no member {}", quoted(key))))
                        }
                    },
                    Err(_) => {
                        return Err(rejected(format!("{prefix} has no member {}", quoted(key))))
                    }
                }
            }
            (Json::Array(items), LegKind::Index { index, from_end }) => {
                let len = items.len();
                let (position, within) = array_position(*index, *from_end, len);
                match items.get_mut(position).filter(|_| within) {
                    Some(v) => v,
                    None => {
                        return Err(rejected(format!(
                            "{prefix} has {len} elements, no {}",
                            describe_index(*index, *from_end)
                        )))
                    }
                }
            }
            (other, kind) => {
                return Err(rejected(format!(
                    "{prefix} is {}, which has no {}",
                    other.kind_name(),
                    kind.describe()
                )))
            }
        };
        prefix_end = leg.end;
    }
    Ok(current)
}

/// MySQL's `Json_array_index`: the position an index names in an array of `len` elements
/// (clamped to `0..=len`) and whether it is an existing element.
fn array_position(index: u64, from_end: bool, len: usize) -> (usize, bool) {
    let index = usize::try_from(index).unwrap_or(usize::MAX);
    let within = index < len;
    let position = if from_end {
        if within {
            len - index - 1
        } else {
            0
        }
    } else {
        index.min(len)
    };
    (position, within)
}

fn describe_index(index: u64, from_end: bool) -> String {
    match (from_end, index) {
        (false, i) => format!("element [{i}]"),
        (true, 0) => "element [last]".to_string(),
        (true, i) => format!("element [last-{i}]"),
    }
}

/// MySQL's binary JSON key order: shorter keys first, then bytewise.
fn key_order(a: &str, b: &str) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn quoted(key: &str) -> String {
    let mut s = String::with_capacity(key.len() + 2);
    write_string(&mut s, key);
    s
}

// ---- the JSON value ------------------------------------------------------------------------

/// A parsed JSON value. Numbers keep their text; object members are kept in
/// [`key_order`], without duplicates.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn kind_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// How many levels of arrays and objects `v` nests (0 for a scalar). Recursion is bounded
/// because every value was parsed with the [`MAX_DEPTH`] limit.
fn nesting(v: &Json) -> usize {
    match v {
        Json::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        Json::Object(members) => 1 + members.iter().map(|(_, v)| nesting(v)).max().unwrap_or(0),
        _ => 0,
    }
}

/// Renders `v` as MySQL prints JSON.
fn write_json(out: &mut String, v: &Json) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Number(n) => out.push_str(n),
        Json::String(s) => write_string(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, k);
                out.push_str(": ");
                write_json(out, v);
            }
            out.push('}');
        }
    }
}

/// Writes `s` quoted with MySQL's escaping (`double_quote` in `json_dom.cc`), as the binlog
/// decoder does.
fn write_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---- the JSON text parser ------------------------------------------------------------------

/// Parses a whole JSON text (RFC 8259; surrounding whitespace allowed).
fn parse_document(text: &str) -> Result<Json, String> {
    let mut p = Parser { text, pos: 0 };
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error("unexpected text after the value"));
    }
    Ok(v)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn error(&self, what: &str) -> String {
        match self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
        {
            Some(c) => format!("{what} at byte {} ({c:?})", self.pos),
            None => format!("{what} at byte {} (end of text)", self.pos),
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// A value; `depth` counts the arrays and objects around it.
    fn value(&mut self, depth: usize) -> Result<Json, String> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a JSON value")),
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn literal(&mut self, word: &str, v: Json) -> Result<Json, String> {
        if self
            .text
            .as_bytes()
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()))
        {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number token, kept as text: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<Json, String> {
        let start = self.pos;
        self.eat(b'-');
        if self.eat(b'0') {
            // No leading zeros.
        } else if self.digits() == 0 {
            return Err(self.error("expected digits in a number"));
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.error("expected digits after the decimal point"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err(self.error("expected digits in the exponent"));
            }
        }
        match self.text.get(start..self.pos) {
            Some(token) => Ok(Json::Number(token.to_string())),
            None => Err(self.error("bad number")),
        }
    }

    /// A quoted string (the parser is at its opening quote), unescaped.
    fn string(&mut self) -> Result<String, String> {
        if !self.eat(b'"') {
            return Err(self.error("expected '\"'"));
        }
        let mut out = String::new();
        loop {
            let start = self.pos;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            // `start` and `pos` sit next to ASCII bytes (or the ends), so on char boundaries.
            match self.text.get(start..self.pos) {
                Some(run) => out.push_str(run),
                None => return Err(self.error("bad string")),
            }
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.error("unescaped control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// The character of the escape after a backslash.
    fn escape(&mut self) -> Result<char, String> {
        let Some(b) = self.peek() else {
            return Err(self.error("unterminated escape"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xd800..0xdc00).contains(&hi) {
                    if !(self.eat(b'\\') && self.eat(b'u')) {
                        return Err(self.error("unpaired UTF-16 surrogate in a \\u escape"));
                    }
                    let lo = self.hex4()?;
                    if !(0xdc00..0xe000).contains(&lo) {
                        return Err(self.error("unpaired UTF-16 surrogate in a \\u escape"));
                    }
                    let code = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                    char::from_u32(code).ok_or_else(|| self.error("bad \\u escape"))?
                } else {
                    char::from_u32(hi)
                        .ok_or_else(|| self.error("unpaired UTF-16 surrogate in a \\u escape"))?
                }
            }
            _ => {
                self.pos -= 1;
                return Err(self.error("unknown escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.error("expected 4 hex digits in a \\u escape")),
            };
            self.pos += 1;
            v = v * 16 + u32::from(d);
        }
        Ok(v)
    }

    fn array(&mut self, depth: usize) -> Result<Json, String> {
        self.check_depth(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.eat(b']') {
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_ws();
            if self.eat(b']') {
                return Ok(Json::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.error("expected ',' or ']' in an array"));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, String> {
        self.check_depth(depth)?;
        self.pos += 1; // '{'
        let mut members: Vec<(String, Json)> = Vec::new();
        self.skip_ws();
        if !self.eat(b'}') {
            loop {
                self.skip_ws();
                if self.peek() != Some(b'"') {
                    return Err(self.error("expected a quoted key in an object"));
                }
                let key = self.string()?;
                self.skip_ws();
                if !self.eat(b':') {
                    return Err(self.error("expected ':' after an object key"));
                }
                let value = self.value(depth)?;
                members.push((key, value));
                self.skip_ws();
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.error("expected ',' or '}' in an object"));
                }
            }
        }
        // MySQL's order; a stable sort keeps duplicates in text order, and the last wins.
        members.sort_by(|a, b| key_order(&a.0, &b.0));
        let mut sorted: Vec<(String, Json)> = Vec::with_capacity(members.len());
        for m in members {
            match sorted.last_mut() {
                Some(last) if last.0 == m.0 => *last = m,
                _ => sorted.push(m),
            }
        }
        Ok(Json::Object(sorted))
    }
}

// ---- paths ---------------------------------------------------------------------------------

/// One leg of an exact path, and the byte offset in the path text just after it (so
/// messages can quote the prefix that was reached).
#[derive(Debug, Clone, PartialEq)]
struct Leg {
    kind: LegKind,
    end: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum LegKind {
    /// `.name` or `."name"`, unescaped.
    Member(String),
    /// `[N]`, or `[last]` / `[last-N]` (`from_end`, N counted back from the last element).
    Index { index: u64, from_end: bool },
}

impl LegKind {
    fn describe(&self) -> String {
        match self {
            LegKind::Member(k) => format!("member {}", quoted(k)),
            LegKind::Index { index, from_end } => describe_index(*index, *from_end),
        }
    }
}

/// Parses a path as MySQL writes it into a JSON diff (`Json_path::to_string`), accepting
/// the whitespace MySQL's own path parser accepts. Wildcards (`*`, `**`) and ranges
/// (`[M to N]`) cannot name a single location and are refused. Returns the offset just past
/// the `$` and the legs.
fn parse_path(path: &str) -> Result<(usize, Vec<Leg>), String> {
    let bytes = path.as_bytes();
    let mut pos = skip_path_ws(bytes, 0);
    if bytes.get(pos) != Some(&b'$') {
        return Err("a path must start with '$'".into());
    }
    pos += 1;
    let root_end = pos;
    let mut legs = Vec::new();
    loop {
        pos = skip_path_ws(bytes, pos);
        let Some(&b) = bytes.get(pos) else {
            return Ok((root_end, legs));
        };
        let (kind, end) = match b {
            b'.' => member_leg(path, pos + 1)?,
            b'[' => array_leg(bytes, pos + 1)?,
            b'*' => {
                return Err(format!(
                    "wildcard '**' at byte {pos} (a diff names one location)"
                ))
            }
            _ => return Err(format!("expected '.' or '[' at byte {pos}")),
        };
        legs.push(Leg { kind, end });
        pos = end;
    }
}

fn skip_path_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}

/// A member leg whose name starts at or after `pos` (just past the '.').
fn member_leg(path: &str, pos: usize) -> Result<(LegKind, usize), String> {
    let bytes = path.as_bytes();
    let start = skip_path_ws(bytes, pos);
    match bytes.get(start) {
        None => Err(format!(
            "expected a member name at byte {start} (end of path)"
        )),
        Some(b'*') => Err(format!(
            "wildcard '.*' at byte {start} (a diff names one location)"
        )),
        Some(b'"') => {
            let rest = path.get(start..).unwrap_or_default();
            let mut p = Parser { text: rest, pos: 0 };
            let name = p
                .string()
                .map_err(|e| format!("quoted member name at byte {start}: {e}"))?;
            Ok((LegKind::Member(name), start + p.pos))
        }
        Some(_) => {
            // Unquoted: up to whitespace, '[', '.', '*' or the end; must be an identifier.
            let mut end = start;
            while bytes
                .get(end)
                .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'[' | b'.' | b'*'))
            {
                end += 1;
            }
            let raw = path.get(start..end).unwrap_or_default();
            let name = if raw.contains('\\') {
                // MySQL unescapes unquoted names as if they were quoted.
                let quoted = format!("\"{raw}\"");
                let mut p = Parser {
                    text: &quoted,
                    pos: 0,
                };
                match p.string() {
                    Ok(n) if p.pos == quoted.len() => n,
                    _ => return Err(format!("bad escape in the member name at byte {start}")),
                }
            } else {
                raw.to_string()
            };
            if !is_identifier(&name) {
                return Err(format!(
                    "member name {raw:?} at byte {start} must be quoted (not an identifier)"
                ));
            }
            Ok((LegKind::Member(name), end))
        }
    }
}

/// Whether an unquoted member name is acceptable: an ECMAScript identifier as MySQL checks
/// it, loosely (ASCII letters, digits, `_`, `$`, any non-ASCII character; not starting with
/// a digit).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let ok = |c: char| !c.is_ascii() || c.is_ascii_alphanumeric() || c == '_' || c == '$';
    ok(first) && !first.is_ascii_digit() && !first.is_whitespace() && chars.all(ok)
}

/// An array leg whose contents start at `pos` (just past the '[').
fn array_leg(bytes: &[u8], pos: usize) -> Result<(LegKind, usize), String> {
    let mut pos = skip_path_ws(bytes, pos);
    let from_end = bytes.get(pos..).is_some_and(|r| r.starts_with(b"last"));
    let mut index = 0u64;
    if bytes.get(pos) == Some(&b'*') {
        return Err(format!(
            "wildcard '[*]' at byte {pos} (a diff names one location)"
        ));
    }
    if from_end {
        pos = skip_path_ws(bytes, pos + 4);
        if bytes.get(pos) == Some(&b'-') {
            pos = skip_path_ws(bytes, pos + 1);
            (index, pos) = array_number(bytes, pos)?;
        }
    } else {
        (index, pos) = array_number(bytes, pos)?;
    }
    pos = skip_path_ws(bytes, pos);
    match bytes.get(pos) {
        Some(b']') => Ok((LegKind::Index { index, from_end }, pos + 1)),
        Some(b't') if bytes.get(pos..).is_some_and(|r| r.starts_with(b"to")) => Err(format!(
            "array range at byte {pos} (a diff names one location)"
        )),
        Some(_) => Err(format!("expected ']' at byte {pos}")),
        None => Err(format!("expected ']' at byte {pos} (end of path)")),
    }
}

/// Decimal digits at `pos`, and the position after them.
fn array_number(bytes: &[u8], pos: usize) -> Result<(u64, usize), String> {
    let mut end = pos;
    let mut value = 0u64;
    while let Some(&b) = bytes.get(end).filter(|b| b.is_ascii_digit()) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or_else(|| format!("array index at byte {pos} is too large"))?;
        end += 1;
    }
    if end == pos {
        return Err(format!("expected an array index at byte {pos}"));
    }
    Ok((value, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(op: JsonDiffOp, path: &str, value: Option<&str>) -> JsonDiff {
        JsonDiff {
            operation: op,
            path: path.to_string(),
            value: value.map(str::to_string),
        }
    }

    fn replace(path: &str, value: &str) -> JsonDiff {
        diff(JsonDiffOp::Replace, path, Some(value))
    }

    fn insert(path: &str, value: &str) -> JsonDiff {
        diff(JsonDiffOp::Insert, path, Some(value))
    }

    fn remove(path: &str) -> JsonDiff {
        diff(JsonDiffOp::Remove, path, None)
    }

    fn apply(base: &str, diffs: &[JsonDiff]) -> String {
        apply_json_diffs(base, diffs).unwrap_or_else(|e| panic!("{base} {diffs:?}: {e}"))
    }

    fn apply_err(base: &str, diffs: &[JsonDiff]) -> JsonPatchError {
        match apply_json_diffs(base, diffs) {
            Ok(v) => panic!("{base} {diffs:?}: expected an error, got {v}"),
            Err(e) => e,
        }
    }

    // ---- each operation -------------------------------------------------------------------

    #[test]
    fn replace_a_member_as_in_the_corpus() {
        // json.binlog.000001 (MySQL 8.0.22): UPDATE ... SET json_col = JSON_REPLACE(json_col,
        // '$.age', ...) logs one Replace of $.age.
        let base = r#"{"age": 25, "data": "xxxxxxxxxx", "name": "Joe"}"#;
        assert_eq!(
            apply(base, &[replace("$.age", "26")]),
            r#"{"age": 26, "data": "xxxxxxxxxx", "name": "Joe"}"#
        );
    }

    #[test]
    fn replace_nested_and_array_elements() {
        let base = r#"{"a": [1, {"b": [true, false]}, 3]}"#;
        assert_eq!(
            apply(base, &[replace("$.a[1].b[0]", "null")]),
            r#"{"a": [1, {"b": [null, false]}, 3]}"#
        );
        assert_eq!(
            apply(base, &[replace("$.a[2]", r#"{"z": 1, "y": 2}"#)]),
            r#"{"a": [1, {"b": [true, false]}, {"y": 2, "z": 1}]}"#
        );
        assert_eq!(
            apply(base, &[replace("$.a[last]", "4")]),
            r#"{"a": [1, {"b": [true, false]}, 4]}"#
        );
        assert_eq!(
            apply(base, &[replace("$.a[last-2]", "0")]),
            r#"{"a": [0, {"b": [true, false]}, 3]}"#
        );
        assert_eq!(
            apply("[[1, 2], [3]]", &[replace("$[0][1]", "[]")]),
            "[[1, []], [3]]"
        );
    }

    #[test]
    fn replace_the_root() {
        assert_eq!(apply(r#"{"a": 1}"#, &[replace("$", "[1, 2]")]), "[1, 2]");
        assert_eq!(apply("3", &[replace("$", r#""x""#)]), r#""x""#);
    }

    #[test]
    fn insert_members_in_mysql_key_order() {
        // Shorter keys first, then bytewise: "aa" goes after "b".
        assert_eq!(
            apply(r#"{"b": 1}"#, &[insert("$.aa", "2")]),
            r#"{"b": 1, "aa": 2}"#
        );
        assert_eq!(
            apply(r#"{"b": 1, "aa": 2}"#, &[insert("$.a", "0")]),
            r#"{"a": 0, "b": 1, "aa": 2}"#
        );
        assert_eq!(
            apply(r#"{"b": 1, "aa": 2}"#, &[insert("$.c", "[]")]),
            r#"{"b": 1, "c": [], "aa": 2}"#
        );
        assert_eq!(
            apply("{}", &[insert("$.k", r#"{"x": {}}"#)]),
            r#"{"k": {"x": {}}}"#
        );
        // Byte order, not character order: "Z" (0x5a) < "a" (0x61); "é" is 2 bytes.
        assert_eq!(
            apply(r#"{"a": 1}"#, &[insert("$.Z", "2"), insert("$.é", "3")]),
            r#"{"Z": 2, "a": 1, "é": 3}"#
        );
        // Nested.
        assert_eq!(
            apply(r#"{"o": {"zz": 1}}"#, &[insert("$.o.y", "true")]),
            r#"{"o": {"y": true, "zz": 1}}"#
        );
    }

    #[test]
    fn insert_array_elements() {
        assert_eq!(apply("[1, 2, 3]", &[insert("$[0]", "0")]), "[0, 1, 2, 3]");
        assert_eq!(
            apply("[1, 2, 3]", &[insert("$[1]", r#""x""#)]),
            r#"[1, "x", 2, 3]"#
        );
        assert_eq!(apply("[1, 2, 3]", &[insert("$[3]", "4")]), "[1, 2, 3, 4]");
        // Past the end appends (JSON_ARRAY_INSERT).
        assert_eq!(apply("[1, 2, 3]", &[insert("$[99]", "4")]), "[1, 2, 3, 4]");
        assert_eq!(apply("[]", &[insert("$[5]", "1")]), "[1]");
        // [last] is the last element's position: insert before it.
        assert_eq!(
            apply("[1, 2, 3]", &[insert("$[last]", "9")]),
            "[1, 2, 9, 3]"
        );
        assert_eq!(
            apply("[1, 2, 3]", &[insert("$[last-5]", "9")]),
            "[9, 1, 2, 3]"
        );
        assert_eq!(
            apply(r#"{"a": [[1], 2]}"#, &[insert("$.a[0][1]", "3")]),
            r#"{"a": [[1, 3], 2]}"#
        );
    }

    #[test]
    fn remove_members_and_elements() {
        assert_eq!(
            apply(r#"{"a": 1, "b": [1, 2]}"#, &[remove("$.a")]),
            r#"{"b": [1, 2]}"#
        );
        assert_eq!(
            apply(r#"{"a": 1, "b": [1, 2]}"#, &[remove("$.b[0]")]),
            r#"{"a": 1, "b": [2]}"#
        );
        assert_eq!(apply("[1, 2, 3]", &[remove("$[last]")]), "[1, 2]");
        assert_eq!(apply("[1, 2, 3]", &[remove("$[last-1]")]), "[1, 3]");
        assert_eq!(
            apply(r#"{"a": {"b": 1}}"#, &[remove("$.a.b")]),
            r#"{"a": {}}"#
        );
    }

    #[test]
    fn diffs_apply_in_order() {
        let diffs = [
            insert("$.list", "[]"),
            insert("$.list[0]", "1"),
            insert("$.list[1]", "2"),
            replace("$.list[0]", "10"),
            remove("$.old"),
            insert("$.old", r#""again""#),
        ];
        assert_eq!(
            apply(r#"{"old": 1}"#, &diffs),
            r#"{"old": "again", "list": [10, 2]}"#
        );
        assert_eq!(apply(r#"{"b": 2, "a": 1}"#, &[]), r#"{"a": 1, "b": 2}"#);
    }

    // ---- paths ----------------------------------------------------------------------------

    #[test]
    fn quoted_and_escaped_member_names() {
        let base = r#"{"a b": 1, "a\"b": 2, "a.b": 3, "1x": 4, "": 5}"#;
        assert_eq!(
            apply(base, &[replace(r#"$."a b""#, "10")]),
            r#"{"": 5, "1x": 4, "a b": 10, "a\"b": 2, "a.b": 3}"#
        );
        assert_eq!(
            apply(base, &[replace(r#"$."a\"b""#, "20")]),
            r#"{"": 5, "1x": 4, "a b": 1, "a\"b": 20, "a.b": 3}"#
        );
        assert_eq!(
            apply(
                base,
                &[remove(r#"$."a.b""#), remove(r#"$."1x""#), remove(r#"$."""#)]
            ),
            r#"{"a b": 1, "a\"b": 2}"#
        );
        // \u escapes in a quoted name, and a key holding a control character.
        assert_eq!(
            apply(r#"{"é": 1}"#, &[replace(r#"$."\u00e9""#, "2")]),
            r#"{"é": 2}"#
        );
        assert_eq!(
            apply("{}", &[insert(r#"$."tab\there""#, "1")]),
            r#"{"tab\there": 1}"#
        );
        // Unquoted identifiers: $, _, digits after the first character, non-ASCII.
        assert_eq!(
            apply("{}", &[insert("$.$_a1", "1"), insert("$.ключ", "2")]),
            r#"{"$_a1": 1, "ключ": 2}"#
        );
    }

    #[test]
    fn paths_allow_whitespace_like_mysql() {
        assert_eq!(
            apply(r#"{"a": [1, 2]}"#, &[replace(" $ . a [ 1 ] ", "5")]),
            r#"{"a": [1, 5]}"#
        );
        assert_eq!(apply("[1, 2, 3]", &[remove("$[ last - 2 ]")]), "[2, 3]");
    }

    #[test]
    fn bad_paths_are_errors() {
        for path in [
            "",
            "a",
            "$a",
            "$.",
            "$..a",
            "$.a b",
            "$[",
            "$[1",
            "$[x]",
            "$[-1]",
            "$[1.5]",
            "$[*]",
            "$.*",
            "$**.a",
            "$[1 to 2]",
            "$[last-]",
            "$.\"open",
            "$.1a",
            "$.a-b",
            "$[99999999999999999999999]",
            "$.\"a\"x",
            "$.a\\q",
        ] {
            let e = apply_err(r#"{"a": [1]}"#, &[replace(path, "1")]);
            assert!(
                matches!(&e, JsonPatchError::Path { path: p, .. } if p == path),
                "{path:?}: {e:?}"
            );
            let msg = e.to_string();
            assert!(msg.contains("bad path") && msg.contains("replace"), "{msg}");
        }
    }

    // ---- rejections -----------------------------------------------------------------------

    fn assert_rejected(base: &str, d: JsonDiff, needle: &str) {
        let e = apply_err(base, std::slice::from_ref(&d));
        assert!(matches!(e, JsonPatchError::Rejected { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains(needle) && msg.contains(&format!("{:?}", d.path)),
            "{msg} lacks {needle:?}"
        );
    }

    #[test]
    fn replace_needs_an_existing_value() {
        assert_rejected(r#"{"a": 1}"#, replace("$.b", "1"), "$ has no member \"b\"");
        assert_rejected(
            r#"{"a": {"b": 1}}"#,
            replace("$.a.c.d", "1"),
            "$.a has no member \"c\"",
        );
        assert_rejected(
            "[1, 2]",
            replace("$[2]", "1"),
            "$ has 2 elements, no element [2]",
        );
        assert_rejected("[1, 2]", replace("$[last-2]", "1"), "no element [last-2]");
        // No auto-wrapping: $[0] on a scalar or an object is not the value itself.
        assert_rejected(
            r#"{"a": 1}"#,
            replace("$.a[0]", "1"),
            "$.a is a number, which has no element [0]",
        );
        assert_rejected(
            r#"{"a": 1}"#,
            replace("$[0]", "1"),
            "$ is an object, which has no element [0]",
        );
        assert_rejected(
            "[1]",
            replace("$.a", "1"),
            "$ is an array, which has no member \"a\"",
        );
    }

    #[test]
    fn insert_needs_a_parent_and_a_free_member() {
        assert_rejected(
            r#"{"a": 1}"#,
            insert("$.a", "2"),
            "$ already has a member \"a\"",
        );
        assert_rejected(r#"{"a": 1}"#, insert("$.x.y", "2"), "$ has no member \"x\"");
        assert_rejected(
            r#"{"a": 1}"#,
            insert("$[0]", "2"),
            "$ is an object, which has no element [0]",
        );
        assert_rejected(
            "[1]",
            insert("$.a", "2"),
            "$ is an array, which has no member \"a\"",
        );
        assert_rejected(
            r#"{"a": "s"}"#,
            insert("$.a[0]", "2"),
            "$.a is a string, which has no element [0]",
        );
        assert_rejected(
            "[1]",
            insert("$", "2"),
            "cannot insert at the document root",
        );
    }

    #[test]
    fn remove_needs_the_value() {
        assert_rejected(r#"{"a": 1}"#, remove("$.b"), "$ has no member \"b\"");
        assert_rejected("[1]", remove("$[1]"), "$ has 1 elements, no element [1]");
        assert_rejected("[]", remove("$[last]"), "no element [last]");
        assert_rejected(
            r#"{"a": null}"#,
            remove("$.a.b"),
            "$.a is null, which has no member \"b\"",
        );
        assert_rejected("[1]", remove("$"), "cannot remove the whole document");
    }

    #[test]
    fn a_failing_diff_names_its_position() {
        let e = apply_err(
            r#"{"a": 1}"#,
            &[replace("$.a", "2"), remove("$.a"), remove("$.a")],
        );
        assert_eq!(
            e,
            JsonPatchError::Rejected {
                index: 2,
                operation: JsonDiffOp::Remove,
                path: "$.a".into(),
                reason: "$ has no member \"a\"".into(),
            }
        );
        assert_eq!(
            e.to_string(),
            r#"JSON diff 2 (remove at "$.a") does not apply: $ has no member "a""#
        );
    }

    #[test]
    fn bad_values_and_documents_are_errors() {
        let e = apply_err("[]", &[diff(JsonDiffOp::Insert, "$[0]", None)]);
        assert!(matches!(e, JsonPatchError::Value { .. }), "{e:?}");
        let e = apply_err("[]", &[insert("$[0]", "[1,")]);
        assert!(matches!(e, JsonPatchError::Value { .. }), "{e:?}");
        assert!(e.to_string().contains("end of text"), "{e}");
        for bad in [
            "",
            "{",
            "[1 2]",
            "{\"a\" 1}",
            "{a: 1}",
            "01",
            "1.",
            "-",
            "1e",
            "tru",
            "\"\\x\"",
            "\"\u{1}\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "[1],",
            "nul",
            "+1",
            ".5",
            "{\"a\": 1,}",
            "[1,]",
        ] {
            let e = apply_err(bad, &[]);
            assert!(
                matches!(e, JsonPatchError::Document { .. }),
                "{bad:?}: {e:?}"
            );
            assert!(e.to_string().contains("at byte"), "{e}");
        }
        // A Remove's value (never logged) is ignored.
        assert_eq!(
            apply("[1]", &[diff(JsonDiffOp::Remove, "$[0]", Some("not json"))]),
            "[]"
        );
    }

    // ---- text form ------------------------------------------------------------------------

    #[test]
    fn numbers_keep_their_text() {
        let base = r#"{"d": 9.00, "e": 1e100, "f": 1.5e-16, "g": -0.5, "h": 123456789012345678901234567890, "i": 1.0, "j": 5E+3}"#;
        assert_eq!(apply(base, &[]), base);
        assert_eq!(
            apply(
                base,
                &[replace("$.d", "0.1000000000000000055511151231257827")]
            ),
            base.replace("9.00", "0.1000000000000000055511151231257827")
        );
    }

    #[test]
    fn strings_are_escaped_as_mysql_prints_them() {
        let text =
            "\"q\\\"b\\\\s\\/ \\b\\f\\n\\r\\t\\u0001\\u001F \\u00e9 é \\ud83d\\ude00 \u{7f}\"";
        assert_eq!(
            apply(text, &[]),
            "\"q\\\"b\\\\s/ \\b\\f\\n\\r\\t\\u0001\\u001f é é 😀 \u{7f}\""
        );
        // MySQL's own text (json.rs) reads back unchanged, opaque renderings included.
        for mysql in [
            r#"{"a": "base64:type15:VQ=="}"#,
            r#"{"c": "2012-03-18 11:30:45.000000"}"#,
            r#"{"b": 1, "a\"\n": 2, "": null}"#,
            r#"[null, true, false, -5, 7, -70000, 70000, -1, 1, 2.5, "x", {}]"#,
            r#"[{"k": ["v", 1e100]}, {"z": {"k": ["v", 1e100]}}]"#,
        ] {
            let once = apply(mysql, &[]);
            assert_eq!(apply(&once, &[]), once);
        }
        assert_eq!(
            apply(r#"{"b": 1, "a\"\n": 2, "": null}"#, &[]),
            r#"{"": null, "b": 1, "a\"\n": 2}"#
        );
    }

    #[test]
    fn other_spacing_and_duplicate_keys_are_normalized() {
        assert_eq!(
            apply(" {\n\t\"b\" :[ 1 ,2 ] , \"a\":{} } \r\n", &[]),
            r#"{"a": {}, "b": [1, 2]}"#
        );
        // Last duplicate wins, as in MySQL 8.
        assert_eq!(
            apply(r#"{"a": 1, "b": 2, "a": 3}"#, &[]),
            r#"{"a": 3, "b": 2}"#
        );
    }

    // ---- bounds ---------------------------------------------------------------------------

    #[test]
    fn nesting_is_bounded() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(apply(&nested(MAX_DEPTH), &[]), nested(MAX_DEPTH));
        let e = apply_err(&nested(MAX_DEPTH + 1), &[]);
        assert!(
            e.to_string().contains("nested deeper than 100 levels"),
            "{e}"
        );
        // Far deeper input stops at the limit, without a stack overflow.
        assert!(apply_json_diffs(&"[".repeat(1_000_000), &[]).is_err());
        assert!(apply_json_diffs(&"{\"a\":".repeat(1_000_000), &[]).is_err());
        // The result is bounded too: path legs plus the depth of the value put there.
        let deep_path = format!("${}", "[0]".repeat(MAX_DEPTH - 1));
        let doc = nested(MAX_DEPTH);
        assert!(apply_json_diffs(&doc, &[replace(&deep_path, "[]")]).is_ok());
        let e = apply_err(&doc, &[replace(&deep_path, "[[]]")]);
        assert!(matches!(e, JsonPatchError::Value { .. }), "{e:?}");
        assert!(apply_json_diffs(&doc, &[insert(&format!("{deep_path}[0]"), "[]")]).is_err());
    }

    #[test]
    fn deepest_values_fit_a_small_stack() {
        // Debug builds use large frames; the deepest accepted value must still parse, apply,
        // render and drop on a 256 KiB stack (threads get 2 MiB by default).
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let doc = format!(
                    "{}{}",
                    r#"{"a": ["#.repeat(MAX_DEPTH / 2),
                    "]}".repeat(MAX_DEPTH / 2)
                );
                let path = format!("${}", ".a[0]".repeat(MAX_DEPTH / 2 - 1));
                let out = apply(&doc, &[insert(&format!("{path}.a[0]"), "1")]);
                assert_eq!(out.len(), doc.len() + 1);
                assert!(apply_json_diffs(&"[".repeat(100_000), &[]).is_err());
            })
            .unwrap();
        handle.join().unwrap();
    }

    // ---- robustness -----------------------------------------------------------------------

    use crate::testing::XorShift as Rng;

    /// A string built from JSON- and path-significant pieces.
    fn garbage(rng: &mut Rng, max_len: usize) -> String {
        const PIECES: &[&str] = &[
            "{", "}", "[", "]", "\"", ":", ",", ".", "$", "\\", "\\u", "\\ud800", " ", "0", "1",
            "9", "-", "+", "e", "E", "a", "b", "é", "😀", "\u{0}", "\n", "true", "false", "null",
            "last", "-1", "to", "*", "**", "\"a\"", "\"b\"", "[0]", "[last]", ".a", ".b", "1.5",
            "\\\"", "\u{7f}",
        ];
        let len = rng.index(max_len + 1);
        (0..len).map(|_| PIECES[rng.index(PIECES.len())]).collect()
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let docs = [
            r#"{"a": [1, {"b": [true, false]}, 3], "bb": {"c": "x"}, "": null}"#,
            "[[1, 2], [3, [4, [5]]], {}]",
            r#"{"a": 1}"#,
        ];
        let paths = [
            "$",
            "$.a",
            "$.a[0]",
            "$.a[1].b[last]",
            "$.bb.c",
            "$[0]",
            "$[last]",
            "$[1][1][0]",
            "$.\"\"",
            "$.a[9]",
            "$.zz",
        ];
        let ops = [JsonDiffOp::Replace, JsonDiffOp::Insert, JsonDiffOp::Remove];
        let mut applied = 0;
        for round in 0..20_000 {
            let base = if round % 3 == 0 {
                garbage(&mut rng, 30)
            } else {
                docs[rng.index(docs.len())].to_string()
            };
            let n = rng.index(4);
            let diffs: Vec<JsonDiff> = (0..n)
                .map(|_| {
                    let path = if rng.index(2) == 0 {
                        paths[rng.index(paths.len())].to_string()
                    } else {
                        format!("${}", garbage(&mut rng, 6))
                    };
                    let value = match rng.index(4) {
                        0 => None,
                        1 => Some(garbage(&mut rng, 10)),
                        _ => Some(docs[rng.index(docs.len())].to_string()),
                    };
                    JsonDiff {
                        operation: ops[rng.index(3)],
                        path,
                        value,
                    }
                })
                .collect();
            if let Ok(out) = apply_json_diffs(&base, &diffs) {
                applied += 1;
                // Every result is canonical: reading it back changes nothing.
                assert_eq!(apply(&out, &[]), out, "{base} {diffs:?}");
            }
        }
        assert!(applied > 1000, "only {applied} rounds applied cleanly");
    }

    #[test]
    fn truncated_and_mutated_documents_never_panic() {
        let doc = r#"{"a": [1, -2.5e3, "h\u00e9\n", {"b": [true, false, null]}], "k y": {}}"#;
        for n in 0..=doc.len() {
            if let Some(prefix) = doc.get(..n) {
                let _ = apply_json_diffs(prefix, &[remove("$.a[0]")]);
            }
        }
        let bytes = doc.as_bytes();
        for i in 0..bytes.len() {
            for b in [
                0u8, b'"', b'\\', b'[', b']', b'{', b'}', b',', b':', b'0', b'-', b'e', b' ', 0x7f,
            ] {
                let mut m = bytes.to_vec();
                m[i] = b;
                let text = String::from_utf8_lossy(&m);
                let _ = apply_json_diffs(&text, &[insert("$.a[1]", "0")]);
            }
        }
        let path = "$.a[3].b[last-1]";
        for n in 0..=path.len() {
            let _ = apply_json_diffs(doc, &[remove(&path[..n])]);
        }
    }
}
