//! Collations: comparing strings as MySQL does.
//!
//! A string column's collation id is in its Arrow field metadata (`mysql.collation`);
//! strings without one (literals, computed strings) take the other operand's collation,
//! or the connection's `utf8mb4_general_ci`.
//!
//! Two functions carry the semantics, and the rewrites ([`super::coercion`],
//! [`super::plan`]) place them:
//!
//! - `mysql_sortkey(s, collation)`: the string's collation weights as bytes, exactly the
//!   store's primary-key encoding of the value ([`crate::store::keys`]): comparing keys
//!   bytewise is comparing the strings under the collation, PAD SPACE included
//!   (`'a' = 'A '` under `utf8mb4_general_ci`). Comparisons, `GROUP BY`, `DISTINCT` and
//!   `ORDER BY` use it; because it is the key encoding, the data path can match
//!   `mysql_sortkey(pk, c) = const` against key ranges.
//! - `mysql_fold(s, collation)`: each character replaced by its weight character (case
//!   and accents folded under `general_ci`), for `LIKE`, which compares character by
//!   character and does not pad.

use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{Array, ArrayRef, BinaryBuilder, StringArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;

use crate::source::table::{types, ColumnInfo};
use crate::source::value::Value;
use crate::store::keys::{self, Weighting};

use super::COLLATION_KEY;

/// `utf8mb4_general_ci`: the collation of strings that carry none.
pub const DEFAULT_COLLATION: u16 = 45;

/// The collation id a field declares in its metadata.
pub fn field_collation(field: &Field) -> Option<u16> {
    field
        .metadata()
        .get(COLLATION_KEY)
        .and_then(|v| v.trim().parse().ok())
}

/// True for the Arrow string types (character data; binary data compares bytewise).
pub fn is_string_type(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_string_type(v),
        _ => false,
    }
}

/// True when comparing under `collation` differs from comparing the UTF-8 bytes: case or
/// accent folding, or PAD SPACE.
pub fn needs_weights(collation: u16) -> bool {
    let c = keys::collation(Some(collation));
    c.weighting != Weighting::Bytes || c.pad_space
}

/// True when `LIKE` under `collation` must fold characters (any `_ci` collation).
pub fn folds_case(collation: u16) -> bool {
    !matches!(
        keys::collation(Some(collation)).weighting,
        Weighting::Bytes | Weighting::CodePoints
    )
}

/// A string under `utf8mb4_general_ci`, each character replaced by its weight.
pub fn fold_general_ci(s: &str) -> String {
    s.chars()
        .map(|c| char::from_u32(u32::from(keys::general_ci_weight(c))).unwrap_or(c))
        .collect()
}

/// Windows-1252 bytes for the characters of MySQL's latin1 (`?` for the others).
fn latin1_byte(c: char) -> u8 {
    const HIGH: [u16; 32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ];
    let cp = u32::from(c);
    if let Some(i) = HIGH.iter().position(|&h| u32::from(h) == cp) {
        return 0x80 + u8::try_from(i).unwrap_or(0);
    }
    match u8::try_from(cp) {
        Ok(b) if !(0x80..=0x9f).contains(&b) => b,
        _ => b'?',
    }
}

fn latin1_char(b: u8) -> char {
    let utf8 = crate::source::text::to_utf8(&[b], crate::source::text::Charset::Latin1);
    String::from_utf8(utf8)
        .ok()
        .and_then(|s| s.chars().next())
        .unwrap_or('?')
}

fn column_info(collation: u16) -> ColumnInfo {
    ColumnInfo {
        name: None,
        column_type: types::VARCHAR,
        meta: 0,
        unsigned: false,
        collation: Some(collation),
        nullable: true,
        labels: None,
        visible: true,
    }
}

/// The weight byte of each latin1 byte under a single-byte collation (from the store's
/// key encoding of the one-character string).
fn latin1_weights(collation: u16) -> [u8; 256] {
    let col = column_info(collation);
    let mut table = [0u8; 256];
    for (b, slot) in (0u8..=255).zip(table.iter_mut()) {
        let mut key = Vec::new();
        let v = Value::Bytes(vec![b]);
        *slot = match keys::encode_key(&mut key, &[(&col, &v)]) {
            Ok(()) => key.get(1).copied().unwrap_or(b),
            Err(_) => b,
        };
    }
    table
}

fn swedish() -> &'static [u8; 256] {
    static T: OnceLock<[u8; 256]> = OnceLock::new();
    T.get_or_init(|| latin1_weights(8))
}

fn latin1_general() -> &'static [u8; 256] {
    static T: OnceLock<[u8; 256]> = OnceLock::new();
    T.get_or_init(|| latin1_weights(48))
}

/// A string with each character replaced by its weight character under `collation`
/// (unchanged for binary-ordered collations). `LIKE` compares folded strings.
pub fn fold(s: &str, collation: u16) -> String {
    match keys::collation(Some(collation)).weighting {
        Weighting::GeneralCi => fold_general_ci(s),
        Weighting::Latin1SwedishCi => s
            .chars()
            .map(|c| latin1_char(swedish()[usize::from(latin1_byte(c))]))
            .collect(),
        Weighting::Latin1GeneralCi => s
            .chars()
            .map(|c| latin1_char(latin1_general()[usize::from(latin1_byte(c))]))
            .collect(),
        Weighting::UcaApprox => s.to_lowercase(),
        Weighting::Bytes | Weighting::CodePoints => s.to_string(),
    }
}

/// The sort key of a string under `collation`: the store's key encoding of the value.
pub fn sort_key(s: &str, collation: u16, out: &mut Vec<u8>) {
    let c = keys::collation(Some(collation));
    if c.weighting == Weighting::Bytes && !c.pad_space {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let bytes = match c.charset {
        crate::source::text::Charset::Latin1 => s.chars().map(latin1_byte).collect(),
        _ => s.as_bytes().to_vec(),
    };
    let col = column_info(collation);
    let v = Value::Bytes(bytes);
    if keys::encode_key(out, &[(&col, &v)]).is_err() {
        out.clear();
        out.extend_from_slice(s.as_bytes());
    }
}

fn collation_arg(args: &ScalarFunctionArgs, name: &str) -> Result<u16> {
    match args.args.get(1) {
        Some(ColumnarValue::Scalar(v)) => match super::values::to_i64(v) {
            Some(id) => Ok(u16::try_from(id).unwrap_or(DEFAULT_COLLATION)),
            None => Ok(DEFAULT_COLLATION),
        },
        _ => exec_err!("{name}: the collation must be a constant"),
    }
}

fn strings(v: &ColumnarValue, rows: usize) -> Result<StringArray> {
    let arr: ArrayRef = v.to_array(rows)?;
    let utf8 = cast(&arr, &DataType::Utf8)?;
    match utf8.as_any().downcast_ref::<StringArray>() {
        Some(s) => Ok(s.clone()),
        None => exec_err!("expected a string array"),
    }
}

/// The `mysql_sortkey(s, collation)` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SortKey {
    signature: Signature,
}

impl ScalarUDFImpl for SortKey {
    fn name(&self) -> &str {
        "mysql_sortkey"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let collation = collation_arg(&args, "mysql_sortkey")?;
        let Some(input) = args.args.first() else {
            return exec_err!("mysql_sortkey: missing argument");
        };
        if let ColumnarValue::Scalar(v) = input {
            let s = v.cast_to(&DataType::Utf8)?;
            let mut key = Vec::new();
            return Ok(ColumnarValue::Scalar(match s {
                ScalarValue::Utf8(Some(s)) => {
                    sort_key(&s, collation, &mut key);
                    ScalarValue::Binary(Some(key))
                }
                _ => ScalarValue::Binary(None),
            }));
        }
        let arr = strings(input, args.number_rows)?;
        let mut b = BinaryBuilder::with_capacity(arr.len(), arr.value_data().len() * 2);
        let mut key = Vec::new();
        for v in arr.iter() {
            match v {
                Some(s) => {
                    key.clear();
                    sort_key(s, collation, &mut key);
                    b.append_value(&key);
                }
                None => b.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(b.finish())))
    }
}

/// The `mysql_fold(s, collation)` function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Fold {
    signature: Signature,
}

impl ScalarUDFImpl for Fold {
    fn name(&self) -> &str {
        "mysql_fold"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let collation = collation_arg(&args, "mysql_fold")?;
        let Some(input) = args.args.first() else {
            return exec_err!("mysql_fold: missing argument");
        };
        if let ColumnarValue::Scalar(v) = input {
            return Ok(ColumnarValue::Scalar(match v.cast_to(&DataType::Utf8)? {
                ScalarValue::Utf8(Some(s)) => ScalarValue::Utf8(Some(fold(&s, collation))),
                _ => ScalarValue::Utf8(None),
            }));
        }
        let arr = strings(input, args.number_rows)?;
        let mut b = StringBuilder::with_capacity(arr.len(), arr.value_data().len());
        for v in arr.iter() {
            match v {
                Some(s) => b.append_value(fold(s, collation)),
                None => b.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(b.finish())))
    }
}

/// The `mysql_sortkey` function.
pub fn sortkey_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(SortKey {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

/// The `mysql_fold` function.
pub fn fold_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Fold {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

/// `mysql_sortkey(e, collation)`.
pub fn sortkey_expr(e: Expr, collation: u16) -> Expr {
    Arc::new(sortkey_udf()).call(vec![
        e,
        Expr::Literal(ScalarValue::Int64(Some(i64::from(collation))), None),
    ])
}

/// `mysql_fold(e, collation)`.
pub fn fold_expr(e: Expr, collation: u16) -> Expr {
    Arc::new(fold_udf()).call(vec![
        e,
        Expr::Literal(ScalarValue::Int64(Some(i64::from(collation))), None),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{column, query_strings, rows, Fixture};
    use super::*;

    #[test]
    fn keys_follow_the_collation() {
        let k = |s: &str, c: u16| {
            let mut v = Vec::new();
            sort_key(s, c, &mut v);
            v
        };
        assert_eq!(k("alice", 45), k("ALICE ", 45));
        assert!(k("a", 45) < k("B", 45));
        assert_ne!(k("a", 46), k("A", 46));
        assert_eq!(k("a", 46), k("a  ", 46));
        assert_ne!(k("a", 63), k("a ", 63));
        // latin1_swedish_ci: 'Å' is its own letter after 'Z'; 'ä' = 'Ä'.
        assert!(k("Åsa", 8) > k("Zed", 8));
        assert_eq!(k("äx", 8), k("ÄX", 8));
        assert_eq!(fold("Ünïcode", 45), "UNICODE");
        assert_eq!(fold("åsa", 8), fold("ÅSA", 8));
    }

    #[tokio::test]
    async fn ci_equality_like_and_pad_space_match_mariadb() {
        let f = Fixture::new().await;
        // MariaDB 10.11 on the fixture table.
        assert_eq!(
            column(&f.ctx, "SELECT id FROM p WHERE name = 'ALICE' ORDER BY id").await,
            ["1", "2", "6"]
        );
        assert_eq!(
            column(&f.ctx, "SELECT id FROM p WHERE b = 'alice' ORDER BY id").await,
            ["1", "6"]
        );
        assert_eq!(
            column(&f.ctx, "SELECT id FROM p WHERE name LIKE 'AL%' ORDER BY id").await,
            ["1", "2", "6"]
        );
        assert_eq!(
            column(&f.ctx, "SELECT id FROM p WHERE b LIKE 'AL%' ORDER BY id").await,
            ["2"]
        );
        assert_eq!(
            column(&f.ctx, "SELECT id FROM p WHERE l = 'asa' ORDER BY id").await,
            ["2"]
        );
        assert_eq!(
            column(
                &f.ctx,
                "SELECT id FROM p WHERE name IN ('bob', 'B') ORDER BY id"
            )
            .await,
            ["3", "4"]
        );
        assert_eq!(
            column(
                &f.ctx,
                "SELECT id FROM p WHERE name BETWEEN 'A' AND 'AZ' ORDER BY id"
            )
            .await,
            ["1", "2", "6"]
        );
        assert_eq!(
            query_strings(
                &f.ctx,
                "SELECT 'a' = 'A', 'a' = 'a ', 'a' < 'B', 'x' LIKE 'X'"
            )
            .await,
            vec![vec!["1", "1", "1", "1"]]
        );
    }

    #[tokio::test]
    async fn ci_group_distinct_order_match_mariadb() {
        let f = Fixture::new().await;
        // MariaDB 10.11: SELECT name, COUNT(*) FROM p GROUP BY name ORDER BY name.
        assert_eq!(
            query_strings(
                &f.ctx,
                "SELECT name, COUNT(*) FROM p GROUP BY name ORDER BY name"
            )
            .await,
            rows("NULL 1\nalice 3\nb 1\nBob 1")
        );
        assert_eq!(
            column(&f.ctx, "SELECT b FROM p ORDER BY b").await,
            ["NULL", "ALICE", "Bob", "alice", "alice ", "b"]
        );
        assert_eq!(
            column(&f.ctx, "SELECT l FROM p ORDER BY l, id").await,
            ["NULL", "asa", "ol", "x", "Åsa", "Öl"]
        );
        assert_eq!(
            column(&f.ctx, "SELECT DISTINCT name FROM p ORDER BY name").await,
            ["NULL", "alice", "b", "Bob"]
        );
        assert_eq!(
            column(&f.ctx, "SELECT COUNT(DISTINCT name) FROM p").await,
            ["3"]
        );
        assert_eq!(
            query_strings(&f.ctx, "SELECT MIN(name), MAX(name) FROM p").await,
            vec![vec!["alice", "Bob"]]
        );
        // ORDER BY name: 'alice', 'ALICE', 'alice ' are equal; MariaDB kept table order.
        let sorted = column(&f.ctx, "SELECT name FROM p ORDER BY name, id").await;
        assert_eq!(sorted, ["NULL", "alice", "ALICE", "alice ", "b", "Bob"]);
        let desc = column(&f.ctx, "SELECT name FROM p ORDER BY name DESC, id").await;
        assert_eq!(desc, ["Bob", "b", "alice", "ALICE", "alice ", "NULL"]);
    }
}
