//! Prepared statements (COM_STMT_PREPARE / COM_STMT_EXECUTE): placeholders are counted at
//! prepare time, and an execution substitutes each parameter as a correctly quoted SQL
//! literal, then routes the text like any statement (MySQL's own client-side emulation).

use mysql_common::value::Value as MyValue;

use super::classify::{lex, strip_comments, Kind};
use super::result::SqlError;

/// A parameter as a SQL literal: strings quoted with `'` and `\` escaped, non-UTF-8
/// bytes as `X'…'`, temporal values as quoted `YYYY-MM-DD[ hh:mm:ss[.ffffff]]` /
/// `[-]hhh:mm:ss[.ffffff]`, floats in exponent form, NULL.
pub fn literal(v: &MyValue) -> String {
    match v {
        MyValue::NULL => "NULL".into(),
        MyValue::Int(i) => i.to_string(),
        MyValue::UInt(u) => u.to_string(),
        MyValue::Float(f) => float(f64::from(*f)),
        MyValue::Double(d) => float(*d),
        MyValue::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => quote(s),
            Err(_) => {
                let mut out = String::with_capacity(3 + b.len() * 2);
                out.push_str("X'");
                for byte in b {
                    out.push_str(&format!("{byte:02X}"));
                }
                out.push('\'');
                out
            }
        },
        MyValue::Date(y, mo, d, h, mi, s, us) => {
            if *h == 0 && *mi == 0 && *s == 0 && *us == 0 {
                format!("'{y:04}-{mo:02}-{d:02}'")
            } else if *us == 0 {
                format!("'{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}'")
            } else {
                format!("'{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}'")
            }
        }
        MyValue::Time(neg, days, h, mi, s, us) => {
            let hours = u64::from(*days) * 24 + u64::from(*h);
            let sign = if *neg { "-" } else { "" };
            if *us == 0 {
                format!("'{sign}{hours:02}:{mi:02}:{s:02}'")
            } else {
                format!("'{sign}{hours:02}:{mi:02}:{s:02}.{us:06}'")
            }
        }
    }
}

fn float(d: f64) -> String {
    if d.is_finite() {
        format!("{d:e}")
    } else {
        "NULL".into()
    }
}

/// A string as a single-quoted SQL literal (`'` doubled, `\` escaped).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            other => out.push(other),
        }
    }
    out.push('\'');
    out
}

/// An identifier in backticks.
pub fn quote_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

/// The statement text with each `?` replaced by its parameter's literal (comments
/// removed). Error 1210 when the count differs.
pub fn substitute(sql: &str, params: &[MyValue]) -> Result<String, SqlError> {
    let clean = strip_comments(sql);
    let toks = lex(&clean);
    let slots: Vec<(usize, usize)> = toks
        .iter()
        .filter(|t| t.kind == Kind::Param)
        .map(|t| (t.start, t.end))
        .collect();
    if slots.len() != params.len() {
        return Err(SqlError::new(
            1210,
            "HY000",
            "Incorrect arguments to mysqld_stmt_execute",
        ));
    }
    let mut out = String::with_capacity(clean.len() + params.len() * 8);
    let mut from = 0;
    for ((start, end), p) in slots.iter().zip(params) {
        out.push_str(clean.get(from..*start).unwrap_or(""));
        out.push_str(&literal(p));
        from = *end;
    }
    out.push_str(clean.get(from..).unwrap_or(""));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted() {
        assert_eq!(literal(&MyValue::NULL), "NULL");
        assert_eq!(literal(&MyValue::Int(-5)), "-5");
        assert_eq!(literal(&MyValue::UInt(u64::MAX)), "18446744073709551615");
        assert_eq!(literal(&MyValue::Double(0.1)), "1e-1");
        assert_eq!(literal(&MyValue::Double(f64::NAN)), "NULL");
        assert_eq!(
            literal(&MyValue::Bytes(b"it's a \\ test".to_vec())),
            "'it''s a \\\\ test'"
        );
        assert_eq!(literal(&MyValue::Bytes(vec![0xff, 0x00])), "X'FF00'");
        assert_eq!(
            literal(&MyValue::Date(2024, 2, 29, 0, 0, 0, 0)),
            "'2024-02-29'"
        );
        assert_eq!(
            literal(&MyValue::Date(2024, 2, 29, 13, 5, 9, 120)),
            "'2024-02-29 13:05:09.000120'"
        );
        assert_eq!(literal(&MyValue::Time(true, 1, 2, 3, 4, 0)), "'-26:03:04'");
    }

    #[test]
    fn placeholders_are_substituted() {
        assert_eq!(
            substitute(
                "SELECT c FROM sbtest1 WHERE id=? AND k IN (?, '?') -- ?",
                &[MyValue::Int(7), MyValue::Bytes(b"x".to_vec())]
            )
            .unwrap(),
            "SELECT c FROM sbtest1 WHERE id=7 AND k IN ('x', '?')"
        );
        assert_eq!(substitute("SELECT ?", &[]).unwrap_err().code, 1210);
    }
}
