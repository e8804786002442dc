//! String functions where DataFusion's answers differ from MySQL's: `CONCAT` (NULL when any
//! argument is NULL, numbers and dates as MySQL prints them), `CONCAT_WS`, `GREATEST` /
//! `LEAST` (NULL when any argument is NULL), `FIELD`, `ELT`, `LOCATE` / `INSTR`
//! (case-insensitive under the default `_ci` collation), `LEFT` / `RIGHT` (negative
//! lengths give `''`), `FORMAT`.

use std::cmp::Ordering;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::scalar::ScalarValue;

use super::collation::fold_general_ci;
use super::env::Env;
use super::row_udf::{ret, Def};
use super::values::{self, to_text};

/// The string functions.
pub const DEFS: &[Def] = &[
    Def::new("concat", 1, usize::MAX, ret::text, concat),
    Def::new("mysql_char", 1, 1, ret::text, concat).decimals(0),
    Def::new("concat_ws", 2, usize::MAX, ret::text, concat_ws),
    Def::new("greatest", 1, usize::MAX, extremum_type, greatest),
    Def::new("least", 1, usize::MAX, extremum_type, least),
    Def::new("field", 2, usize::MAX, ret::int32, field),
    Def::new("elt", 2, usize::MAX, ret::text, elt),
    Def::new("locate", 2, 3, ret::int32, locate).aliases(&["position"]),
    Def::new("instr", 2, 2, ret::int32, instr),
    Def::new("left", 2, 2, ret::text, left),
    Def::new("right", 2, 2, ret::text, right),
    Def::new("format", 2, 3, ret::text, format),
];

fn concat(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let mut out = String::new();
    for v in a {
        match to_text(v, env) {
            Some(s) => out.push_str(&s),
            None => return Ok(ScalarValue::Utf8(None)),
        }
    }
    Ok(ScalarValue::Utf8(Some(out)))
}

fn concat_ws(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let Some(sep) = a.first().and_then(|s| to_text(s, env)) else {
        return Ok(ScalarValue::Utf8(None));
    };
    let parts: Vec<String> = a.iter().skip(1).filter_map(|v| to_text(v, env)).collect();
    Ok(ScalarValue::Utf8(Some(parts.join(&sep))))
}

fn is_text(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
    ) || matches!(t, DataType::Dictionary(_, v) if is_text(v))
}

fn is_int(t: &DataType) -> bool {
    t.is_integer() || matches!(t, DataType::Boolean | DataType::Null)
}

/// How `GREATEST`/`LEAST`/`FIELD` compare their arguments (MariaDB's rules): as strings
/// when all are strings, as integers when all are integers, as decimals when all are
/// exact numbers, as the shared type when all have one, otherwise as doubles.
fn compare_type(types: &[DataType]) -> DataType {
    let non_null: Vec<&DataType> = types.iter().filter(|t| **t != DataType::Null).collect();
    if non_null.is_empty() || non_null.iter().all(|t| is_text(t)) {
        return DataType::Utf8;
    }
    if non_null.iter().all(|t| is_int(t)) {
        return DataType::Int64;
    }
    if non_null
        .iter()
        .all(|t| is_int(t) || matches!(t, DataType::Decimal128(..)))
    {
        let scale = non_null
            .iter()
            .map(|t| match t {
                DataType::Decimal128(_, s) => *s,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        return DataType::Decimal128(38, scale);
    }
    if let Some(first) = non_null.first() {
        if non_null.iter().all(|t| t == first) && !first.is_numeric() {
            return (*first).clone();
        }
    }
    DataType::Float64
}

/// GREATEST/LEAST's type: the comparison type, except that integers which all fit INT
/// give INT, as MariaDB types `GREATEST(int_col, 3)` (an integer literal counts by its
/// value, not as the BIGINT DataFusion gives every literal).
fn extremum_type(types: &[DataType], literals: &[Option<&ScalarValue>]) -> Result<DataType> {
    let t = compare_type(types);
    if t != DataType::Int64 {
        return Ok(t);
    }
    let fits_int = types.iter().enumerate().all(|(i, dt)| match dt {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => {
            true
        }
        DataType::Int64 => matches!(
            literals.get(i).copied().flatten(),
            Some(ScalarValue::Int64(Some(v))) if i32::try_from(*v).is_ok()
        ),
        _ => false,
    });
    Ok(if fits_int { DataType::Int32 } else { t })
}

/// A value converted for comparison as `t`.
fn as_compare(v: &ScalarValue, t: &DataType, env: &Env) -> Result<ScalarValue> {
    Ok(match t {
        DataType::Utf8 => ScalarValue::Utf8(to_text(v, env)),
        DataType::Float64 => ScalarValue::Float64(values::to_f64(v)),
        _ if v.data_type() == *t => v.clone(),
        _ => v.cast_to(t)?,
    })
}

/// Compares two values of the comparison type (strings by `utf8mb4_general_ci`).
fn compare(a: &ScalarValue, b: &ScalarValue) -> Option<Ordering> {
    match (values::as_str(a), values::as_str(b)) {
        (Some(x), Some(y)) => Some(
            fold_general_ci(x.trim_end_matches(' ')).cmp(&fold_general_ci(y.trim_end_matches(' '))),
        ),
        _ => a.partial_cmp(b),
    }
}

fn extremum(a: &[ScalarValue], env: &Env, want: Ordering) -> Result<ScalarValue> {
    let types: Vec<DataType> = a.iter().map(ScalarValue::data_type).collect();
    let t = compare_type(&types);
    let mut best: Option<ScalarValue> = None;
    for v in a {
        if v.is_null() {
            return Ok(ScalarValue::Null);
        }
        let c = as_compare(v, &t, env)?;
        best = match best {
            Some(b) if compare(&c, &b) != Some(want) => Some(b),
            _ => Some(c),
        };
    }
    Ok(best.unwrap_or(ScalarValue::Null))
}

fn greatest(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    extremum(a, env, Ordering::Greater)
}

fn least(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    extremum(a, env, Ordering::Less)
}

/// `FIELD(s, a, b, …)`: the 1-based position of the first argument equal to `s`, 0 when
/// none is (or `s` is NULL).
fn field(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let Some(needle) = a.first() else {
        return Ok(ScalarValue::Int64(Some(0)));
    };
    if needle.is_null() {
        return Ok(ScalarValue::Int64(Some(0)));
    }
    let types: Vec<DataType> = a.iter().map(ScalarValue::data_type).collect();
    let t = match compare_type(&types) {
        DataType::Utf8 => DataType::Utf8,
        _ => DataType::Float64,
    };
    let n = as_compare(needle, &t, env)?;
    for (i, v) in a.iter().enumerate().skip(1) {
        if v.is_null() {
            continue;
        }
        if compare(&n, &as_compare(v, &t, env)?) == Some(Ordering::Equal) {
            return Ok(ScalarValue::Int64(i64::try_from(i).ok()));
        }
    }
    Ok(ScalarValue::Int64(Some(0)))
}

/// `ELT(n, a, b, …)`: the n-th string, NULL when n is out of range.
fn elt(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let n = a.first().and_then(values::to_i64);
    let v = n
        .filter(|n| *n >= 1)
        .and_then(|n| usize::try_from(n).ok())
        .and_then(|n| a.get(n))
        .and_then(|v| to_text(v, env));
    Ok(ScalarValue::Utf8(v))
}

/// 1-based character position of `needle` in `hay` at or after character `from` (1-based),
/// compared under `utf8mb4_general_ci`; 0 when absent.
fn position(needle: &str, hay: &str, from: i64) -> i64 {
    if from < 1 {
        return 0;
    }
    let n: Vec<char> = fold_general_ci(needle).chars().collect();
    let h: Vec<char> = fold_general_ci(hay).chars().collect();
    let start = usize::try_from(from - 1).unwrap_or(usize::MAX);
    if start > h.len() {
        return 0;
    }
    if n.is_empty() {
        return from;
    }
    h.get(start..)
        .and_then(|rest| rest.windows(n.len()).position(|w| w == n.as_slice()))
        .map_or(0, |p| i64::try_from(p + start + 1).unwrap_or(0))
}

fn locate(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let needle = a.first().and_then(|v| to_text(v, env));
    let hay = a.get(1).and_then(|v| to_text(v, env));
    let from = match a.get(2) {
        Some(v) => values::to_i64(v),
        None => Some(1),
    };
    Ok(ScalarValue::Int64(match (needle, hay, from) {
        (Some(n), Some(h), Some(f)) => Some(position(&n, &h, f)),
        _ => None,
    }))
}

fn instr(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    let hay = a.first().and_then(|v| to_text(v, env));
    let needle = a.get(1).and_then(|v| to_text(v, env));
    Ok(ScalarValue::Int64(match (needle, hay) {
        (Some(n), Some(h)) => Some(position(&n, &h, 1)),
        _ => None,
    }))
}

fn take(a: &[ScalarValue], env: &Env, from_right: bool) -> Result<ScalarValue> {
    let s = a.first().and_then(|v| to_text(v, env));
    let n = a.get(1).and_then(values::to_i64);
    let (Some(s), Some(n)) = (s, n) else {
        return Ok(ScalarValue::Utf8(None));
    };
    let n = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
    let out: String = if from_right {
        let len = s.chars().count();
        s.chars().skip(len.saturating_sub(n)).collect()
    } else {
        s.chars().take(n).collect()
    };
    Ok(ScalarValue::Utf8(Some(out)))
}

fn left(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    take(a, env, false)
}

fn right(a: &[ScalarValue], env: &Env) -> Result<ScalarValue> {
    take(a, env, true)
}

/// Rounds an exact decimal (unscaled `v` at `scale`) to `d` digits, half away from zero,
/// and returns the digits with `d` decimals as text.
fn round_decimal(v: i128, scale: i8, d: u32) -> Option<String> {
    let d_i8 = i8::try_from(d).ok()?;
    let r = if scale > d_i8 {
        let p = 10i128.checked_pow(u32::from((scale - d_i8).unsigned_abs()))?;
        let q = v / p;
        let rem = v % p;
        if rem.unsigned_abs() * 2 >= p.unsigned_abs() {
            q + v.signum()
        } else {
            q
        }
    } else {
        v.checked_mul(10i128.checked_pow(u32::from((d_i8 - scale).unsigned_abs()))?)?
    };
    Some(values::format_decimal(r, d_i8))
}

/// Groups the integer digits of a plain decimal number in thousands.
fn group_thousands(num: &str) -> String {
    let (sign, rest) = match num.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", num),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut grouped = String::new();
    let len = int.len();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let negative_zero = grouped.chars().all(|c| c == '0' || c == ',')
        && frac.is_none_or(|f| f.chars().all(|c| c == '0'));
    let mut out = String::from(if negative_zero { "" } else { sign });
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// `FORMAT(x, d)`: x rounded to d decimals (at most 30), thousands grouped with `,`.
fn format(a: &[ScalarValue], _env: &Env) -> Result<ScalarValue> {
    let (Some(x), Some(d)) = (a.first(), a.get(1).and_then(values::to_i64)) else {
        return Ok(ScalarValue::Utf8(None));
    };
    if x.is_null() {
        return Ok(ScalarValue::Utf8(None));
    }
    let d = u32::try_from(d.clamp(0, 30)).unwrap_or(0);
    let plain = match x {
        ScalarValue::Decimal128(Some(v), _, s) => round_decimal(*v, *s, d),
        _ if x.data_type().is_integer() => {
            values::to_i64(x).and_then(|v| round_decimal(i128::from(v), 0, d))
        }
        _ => values::to_f64(x).map(|f| format!("{:.*}", d as usize, f)),
    };
    Ok(ScalarValue::Utf8(plain.map(|p| group_thousands(&p))))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{query_strings, Fixture};

    #[tokio::test]
    async fn string_functions_match_mariadb() {
        let f = Fixture::new().await;
        // Each value checked on MariaDB 10.11 with the same SELECT.
        let got = query_strings(
            &f.ctx,
            "SELECT concat('a', 1, 1.5, NULL), concat('a', 1, 1.50, 2e0, 1e20, DATE '2024-01-02'), \
             concat_ws(',', 'a', NULL, 'b', 3), concat_ws(NULL,'a'), greatest(1, 2.5, NULL), \
             greatest(1,3,2), least('b','A','c'), greatest('10', 9), greatest('b','a1'), \
             field('b','a','B','c'), field(NULL,'a'), field(2, 1, '2'), elt(2,'a','b'), elt(0,'a'), \
             elt(3, 'a','b'), locate('B','abcb'), locate('b','abcb',3), locate('x','abc'), \
             instr('abcb','CB'), left('hello',2), left('hello',-1), right('hello',3), \
             right('hello', 10), lcase('AbC'), ucase('aBc'), format(1234567.891, 2), format(0.5,0), \
             format(-1234.5, 0), format(1.005, 2), format(12, 3), format(NULL,2), \
             substring_index('a.b.c','.',2), substring_index('a.b.c','.',-1), \
             substring_index('aXbxc','x',1), length('héllo'), char_length('héllo'), mid('hello', 2, 3)",
        )
        .await;
        let want = [
            "NULL",
            "a11.5021e202024-01-02",
            "a,b,3",
            "NULL",
            "NULL",
            "3",
            "A",
            "10",
            "b",
            "2",
            "0",
            "2",
            "b",
            "NULL",
            "NULL",
            "2",
            "4",
            "0",
            "3",
            "he",
            "",
            "llo",
            "hello",
            "abc",
            "ABC",
            "1,234,567.89",
            "1",
            "-1,235",
            "1.01",
            "12.000",
            "NULL",
            "a.b",
            "c",
            "aXb",
            "6",
            "5",
            "ell",
        ];
        assert_eq!(got, vec![want.map(String::from).to_vec()]);
    }
}
