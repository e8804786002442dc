//! MySQL's expression semantics, applied to every expression of a plan before DataFusion's
//! type coercion (a `FunctionRewrite`, bottom-up, with the input schema at hand):
//!
//! - string comparisons (`=`, `<`, `IN`, `BETWEEN`, `CASE x WHEN`, joins) compare
//!   collation sort keys when the collation folds case or pads spaces; `LIKE` compares
//!   folded strings, `REGEXP` turns case-insensitive (see [`super::collation`]);
//! - a string compared with or computed with a number is read as a double (`'10' = 10.0`,
//!   `'abc' = 0`, `'3' + 1`);
//! - booleans in arithmetic and aggregates are integers (`SUM(a = b)`);
//! - `/` of exact numbers is DECIMAL division ([`div_udf`]), `/`, `DIV` and `%` by zero
//!   give NULL;
//! - `-x` of an integer narrower than BIGINT is a BIGINT;
//! - `SUM` of exact numbers is a DECIMAL, `AVG` of exact numbers a DECIMAL with 4 more
//!   digits (as MySQL types them);
//! - `IF(c, a, b)` becomes `CASE WHEN c THEN a ELSE b END` with MySQL's truth of `c`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Decimal128Array, Decimal128Builder, Float64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{exec_err, DFSchema, Result};
use datafusion::logical_expr::expr::{AggregateFunction, Case, InList, Like};
use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
use datafusion::logical_expr::{
    BinaryExpr, Cast, ColumnarValue, Expr, ExprSchemable, Operator, ReturnFieldArgs,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;

use super::collation::{
    field_collation, fold_expr, folds_case, is_string_type, needs_weights, sortkey_expr,
    DEFAULT_COLLATION,
};
use super::values::parse_number_prefix;
use super::DIV_PRECISION_INCREMENT;

/// The rewrite, registered by [`super::install`].
#[derive(Debug)]
pub struct MysqlExprRewrite;

fn type_of(e: &Expr, schema: &DFSchema) -> Option<DataType> {
    e.get_type(schema).ok()
}

fn collation_of(e: &Expr, schema: &DFSchema) -> Option<u16> {
    e.to_field(schema)
        .ok()
        .and_then(|(_, f)| field_collation(&f))
}

fn is_exact(t: &DataType) -> bool {
    t.is_integer() || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..))
}

fn is_number(t: &DataType) -> bool {
    t.is_numeric()
}

fn is_bool(t: &DataType) -> bool {
    *t == DataType::Boolean
}

fn lit_i64(v: i64) -> Expr {
    Expr::Literal(ScalarValue::Int64(Some(v)), None)
}

fn cast_to(e: Expr, t: DataType) -> Expr {
    Expr::Cast(Cast::new(Box::new(e), t))
}

/// `mysql_to_double(e)`.
pub fn to_double_expr(e: Expr) -> Expr {
    Arc::new(to_double_udf()).call(vec![e])
}

fn nullif_zero(e: Expr) -> Expr {
    datafusion::functions::core::expr_fn::nullif(e, lit_i64(0))
}

/// Numeric context: strings read as doubles, booleans as integers.
fn numeric(e: Expr, t: &DataType) -> Expr {
    if is_string_type(t) {
        to_double_expr(e)
    } else if is_bool(t) {
        cast_to(e, DataType::Int64)
    } else {
        e
    }
}

/// The collation two string operands compare under: the first declared one, else the
/// connection's.
fn shared_collation(exprs: &[&Expr], schema: &DFSchema) -> u16 {
    exprs
        .iter()
        .find_map(|e| collation_of(e, schema))
        .unwrap_or(DEFAULT_COLLATION)
}

fn is_comparison(op: Operator) -> bool {
    matches!(
        op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
    )
}

fn rewrite_binary(b: BinaryExpr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let (Some(lt), Some(rt)) = (type_of(&b.left, schema), type_of(&b.right, schema)) else {
        return Ok(Transformed::no(Expr::BinaryExpr(b)));
    };
    let BinaryExpr { left, op, right } = b;
    let (l, r) = (*left, *right);
    let rebuilt = |l: Expr, op: Operator, r: Expr| {
        Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
            Box::new(l),
            op,
            Box::new(r),
        ))))
    };
    if is_comparison(op) {
        if is_string_type(&lt) && is_string_type(&rt) {
            let c = shared_collation(&[&l, &r], schema);
            if needs_weights(c) {
                return rebuilt(sortkey_expr(l, c), op, sortkey_expr(r, c));
            }
        } else if (is_string_type(&lt) && is_number(&rt))
            || (is_number(&lt) && is_string_type(&rt))
            || (is_bool(&lt) != is_bool(&rt) && (is_number(&lt) || is_number(&rt)))
        {
            return rebuilt(numeric(l, &lt), op, numeric(r, &rt));
        }
        return Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr::new(
            Box::new(l),
            op,
            Box::new(r),
        ))));
    }
    match op {
        Operator::RegexMatch | Operator::RegexNotMatch
            if is_string_type(&lt) && folds_case(shared_collation(&[&l, &r], schema)) =>
        {
            let op = if op == Operator::RegexMatch {
                Operator::RegexIMatch
            } else {
                Operator::RegexNotIMatch
            };
            rebuilt(l, op, r)
        }
        Operator::Plus
        | Operator::Minus
        | Operator::Multiply
        | Operator::Divide
        | Operator::Modulo
        | Operator::IntegerDivide => {
            let arith = |t: &DataType| is_number(t) || is_string_type(t) || is_bool(t);
            if !(arith(&lt) && arith(&rt)) {
                return rebuilt(l, op, r);
            }
            let l = numeric(l, &lt);
            let r = numeric(r, &rt);
            let lt2 = if is_string_type(&lt) {
                DataType::Float64
            } else if is_bool(&lt) {
                DataType::Int64
            } else {
                lt
            };
            let rt2 = if is_string_type(&rt) {
                DataType::Float64
            } else if is_bool(&rt) {
                DataType::Int64
            } else {
                rt
            };
            match op {
                // `a / NULLIF(b, 0)` of integers is how DIV was planned: integer division.
                Operator::Divide
                    if is_exact(&lt2)
                        && is_exact(&rt2)
                        && !matches!(&r, Expr::ScalarFunction(f) if f.func.name() == "nullif") =>
                {
                    Ok(Transformed::yes(Arc::new(div_udf()).call(vec![l, r])))
                }
                // DIV: integer division truncated toward zero, NULL by zero.
                Operator::IntegerDivide if lt2.is_integer() && rt2.is_integer() => {
                    rebuilt(l, Operator::Divide, nullif_zero(r))
                }
                Operator::IntegerDivide => Ok(Transformed::yes(cast_to(
                    Expr::BinaryExpr(BinaryExpr::new(
                        Box::new(cast_to(l, DataType::Float64)),
                        Operator::Divide,
                        Box::new(nullif_zero(cast_to(r, DataType::Float64))),
                    )),
                    DataType::Int64,
                ))),
                Operator::Divide | Operator::Modulo => rebuilt(l, op, nullif_zero(r)),
                _ => rebuilt(l, op, r),
            }
        }
        Operator::And | Operator::Or => {
            let truth = |e: Expr, t: &DataType| {
                if is_number(t) || is_string_type(t) {
                    Expr::BinaryExpr(BinaryExpr::new(
                        Box::new(numeric(e, t)),
                        Operator::NotEq,
                        Box::new(lit_i64(0)),
                    ))
                } else {
                    e
                }
            };
            if is_bool(&lt) && is_bool(&rt) {
                return rebuilt(l, op, r);
            }
            rebuilt(truth(l, &lt), op, truth(r, &rt))
        }
        _ => rebuilt(l, op, r),
    }
}

fn rewrite_like(like: Like, schema: &DFSchema) -> Result<Transformed<Expr>> {
    if like.case_insensitive {
        return Ok(Transformed::no(Expr::Like(like)));
    }
    let (Some(et), Some(pt)) = (type_of(&like.expr, schema), type_of(&like.pattern, schema)) else {
        return Ok(Transformed::no(Expr::Like(like)));
    };
    if !is_string_type(&et) || !(is_string_type(&pt) || pt == DataType::Null) {
        return Ok(Transformed::no(Expr::Like(like)));
    }
    let c = shared_collation(&[&like.expr, &like.pattern], schema);
    if !folds_case(c) {
        return Ok(Transformed::no(Expr::Like(like)));
    }
    Ok(Transformed::yes(Expr::Like(Like {
        negated: like.negated,
        expr: Box::new(fold_expr(*like.expr, c)),
        pattern: Box::new(fold_expr(*like.pattern, c)),
        escape_char: like.escape_char,
        case_insensitive: false,
    })))
}

/// Rewrites `e` and `others` (compared with `e`) for MySQL comparison: sort keys for
/// strings under a weighing collation, doubles for strings against numbers.
fn comparable(e: Expr, others: Vec<Expr>, schema: &DFSchema) -> Option<(Expr, Vec<Expr>)> {
    let et = type_of(&e, schema)?;
    let ots: Vec<DataType> = others
        .iter()
        .map(|o| type_of(o, schema))
        .collect::<Option<_>>()?;
    let all_strings = is_string_type(&et)
        && ots
            .iter()
            .all(|t| is_string_type(t) || *t == DataType::Null);
    if all_strings {
        let mut refs: Vec<&Expr> = vec![&e];
        refs.extend(others.iter());
        let c = shared_collation(&refs, schema);
        if !needs_weights(c) {
            return None;
        }
        let others = others.into_iter().map(|o| sortkey_expr(o, c)).collect();
        return Some((sortkey_expr(e, c), others));
    }
    let mixed = (is_string_type(&et) && ots.iter().any(is_number))
        || (is_number(&et) && ots.iter().any(is_string_type));
    if mixed {
        let others = others
            .into_iter()
            .zip(ots.iter())
            .map(|(o, t)| numeric(o, t))
            .collect();
        return Some((numeric(e, &et), others));
    }
    None
}

fn rewrite_in_list(l: InList, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let InList {
        expr,
        list,
        negated,
    } = l;
    match comparable(*expr.clone(), list.clone(), schema) {
        Some((e, list)) => Ok(Transformed::yes(Expr::InList(InList::new(
            Box::new(e),
            list,
            negated,
        )))),
        None => Ok(Transformed::no(Expr::InList(InList::new(
            expr, list, negated,
        )))),
    }
}

fn rewrite_between(
    b: datafusion::logical_expr::Between,
    schema: &DFSchema,
) -> Result<Transformed<Expr>> {
    let others = vec![*b.low.clone(), *b.high.clone()];
    match comparable(*b.expr.clone(), others, schema) {
        Some((e, mut o)) => {
            let high = o.pop();
            let low = o.pop();
            match (low, high) {
                (Some(low), Some(high)) => Ok(Transformed::yes(Expr::Between(
                    datafusion::logical_expr::Between::new(
                        Box::new(e),
                        b.negated,
                        Box::new(low),
                        Box::new(high),
                    ),
                ))),
                _ => Ok(Transformed::no(Expr::Between(b))),
            }
        }
        None => Ok(Transformed::no(Expr::Between(b))),
    }
}

fn rewrite_case(c: Case, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Some(base) = c.expr.clone() else {
        return Ok(Transformed::no(Expr::Case(c)));
    };
    let whens: Vec<Expr> = c.when_then_expr.iter().map(|(w, _)| *w.clone()).collect();
    match comparable(*base, whens, schema) {
        Some((base, whens)) => Ok(Transformed::yes(Expr::Case(Case {
            expr: Some(Box::new(base)),
            when_then_expr: whens
                .into_iter()
                .zip(c.when_then_expr)
                .map(|(w, (_, t))| (Box::new(w), t))
                .collect(),
            else_expr: c.else_expr,
        }))),
        None => Ok(Transformed::no(Expr::Case(c))),
    }
}

/// MySQL truth of a condition: a boolean as is, a number or string as `<> 0`.
fn truth(e: Expr, schema: &DFSchema) -> Expr {
    match type_of(&e, schema) {
        Some(t) if is_number(&t) || is_string_type(&t) => Expr::BinaryExpr(BinaryExpr::new(
            Box::new(numeric(e, &t)),
            Operator::NotEq,
            Box::new(lit_i64(0)),
        )),
        _ => e,
    }
}

fn rewrite_if(args: Vec<Expr>, schema: &DFSchema) -> Expr {
    let mut it = args.into_iter();
    let (Some(c), Some(a), Some(b)) = (it.next(), it.next(), it.next()) else {
        return Expr::Literal(ScalarValue::Null, None);
    };
    Expr::Case(Case {
        expr: None,
        when_then_expr: vec![(Box::new(truth(c, schema)), Box::new(a))],
        else_expr: Some(Box::new(b)),
    })
}

/// Digits of an exact type, for MySQL's DECIMAL result precision.
pub fn exact_digits(t: &DataType) -> Option<(u8, i8)> {
    Some(match t {
        DataType::Int8 | DataType::UInt8 => (3, 0),
        DataType::Int16 | DataType::UInt16 => (5, 0),
        DataType::Int32 | DataType::UInt32 => (10, 0),
        DataType::Int64 => (19, 0),
        DataType::UInt64 => (20, 0),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => (*p, *s),
        _ => return None,
    })
}

fn rewrite_aggregate(mut a: AggregateFunction, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let name = a.func.name().to_ascii_lowercase();
    if !matches!(name.as_str(), "sum" | "avg") || a.params.args.len() != 1 {
        return Ok(Transformed::no(Expr::AggregateFunction(a)));
    }
    let Some(arg) = a.params.args.pop() else {
        return Ok(Transformed::no(Expr::AggregateFunction(a)));
    };
    let Some(t) = type_of(&arg, schema) else {
        a.params.args.push(arg);
        return Ok(Transformed::no(Expr::AggregateFunction(a)));
    };
    let arg = numeric(arg, &t);
    let t = if is_string_type(&t) {
        DataType::Float64
    } else if is_bool(&t) {
        DataType::Int64
    } else {
        t
    };
    let arg = match (name.as_str(), exact_digits(&t)) {
        _ if matches!(t, DataType::Decimal256(..)) => arg,
        // SUM(exact) is DECIMAL(p+22, s) in MariaDB; DataFusion's SUM adds 10 to the 12.
        ("sum", Some((p, s))) if s >= 0 => {
            cast_to(arg, DataType::Decimal128(p.saturating_add(12).min(38), s))
        }
        // AVG(exact) is DECIMAL(p+4, s+4): DataFusion's AVG of a DECIMAL(p, s).
        ("avg", Some((p, s))) if !matches!(t, DataType::Decimal128(..)) => {
            cast_to(arg, DataType::Decimal128(p, s))
        }
        _ => arg,
    };
    a.params.args.push(arg);
    Ok(Transformed::yes(Expr::AggregateFunction(a)))
}

impl FunctionRewrite for MysqlExprRewrite {
    fn name(&self) -> &str {
        "mysql_semantics"
    }

    fn rewrite(
        &self,
        expr: Expr,
        schema: &DFSchema,
        _: &ConfigOptions,
    ) -> Result<Transformed<Expr>> {
        match expr {
            Expr::BinaryExpr(b) => rewrite_binary(b, schema),
            Expr::Like(l) => rewrite_like(l, schema),
            Expr::InList(l) => rewrite_in_list(l, schema),
            Expr::Between(b) => rewrite_between(b, schema),
            Expr::Case(c) => rewrite_case(c, schema),
            Expr::ScalarFunction(f) if f.func.name() == "if" && f.args.len() == 3 => {
                Ok(Transformed::yes(rewrite_if(f.args, schema)))
            }
            Expr::AggregateFunction(a) => rewrite_aggregate(a, schema),
            // `-int_col` is BIGINT in MySQL (it cannot overflow), not the column's type.
            Expr::Negative(inner)
                if matches!(
                    type_of(&inner, schema),
                    Some(
                        DataType::Int8
                            | DataType::Int16
                            | DataType::Int32
                            | DataType::UInt8
                            | DataType::UInt16
                            | DataType::UInt32
                    )
                ) =>
            {
                Ok(Transformed::yes(Expr::Negative(Box::new(cast_to(
                    *inner,
                    DataType::Int64,
                )))))
            }
            other => Ok(Transformed::no(other)),
        }
    }
}

/// Plans `string ⟨+ - * / % DIV⟩ number` (which DataFusion refuses to type) with the
/// string read as a double, as MySQL does (`'3' + 1` is 4).
#[derive(Debug)]
pub struct MysqlArithmeticPlanner;

impl datafusion::logical_expr::planner::ExprPlanner for MysqlArithmeticPlanner {
    fn plan_binary_op(
        &self,
        expr: datafusion::logical_expr::planner::RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<
        datafusion::logical_expr::planner::PlannerResult<
            datafusion::logical_expr::planner::RawBinaryExpr,
        >,
    > {
        use datafusion::logical_expr::planner::PlannerResult;
        use datafusion::sql::sqlparser::ast::BinaryOperator as B;
        let op = match expr.op {
            B::Plus => Operator::Plus,
            B::Minus => Operator::Minus,
            B::Multiply => Operator::Multiply,
            B::Divide => Operator::Divide,
            B::Modulo => Operator::Modulo,
            B::MyIntegerDivide => Operator::IntegerDivide,
            _ => return Ok(PlannerResult::Original(expr)),
        };
        let (Some(lt), Some(rt)) = (type_of(&expr.left, schema), type_of(&expr.right, schema))
        else {
            return Ok(PlannerResult::Original(expr));
        };
        if op == Operator::IntegerDivide {
            // DataFusion cannot type DIV: integers divide (truncating), others via doubles.
            let (l, r) = (numeric(expr.left, &lt), numeric(expr.right, &rt));
            let ints = |t: &DataType| t.is_integer() || is_bool(t);
            return Ok(PlannerResult::Planned(if ints(&lt) && ints(&rt) {
                Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(l),
                    Operator::Divide,
                    Box::new(nullif_zero(r)),
                ))
            } else {
                cast_to(
                    Expr::BinaryExpr(BinaryExpr::new(
                        Box::new(cast_to(l, DataType::Float64)),
                        Operator::Divide,
                        Box::new(nullif_zero(cast_to(r, DataType::Float64))),
                    )),
                    DataType::Int64,
                )
            }));
        }
        let mixed =
            (is_string_type(&lt) && is_number(&rt)) || (is_number(&lt) && is_string_type(&rt));
        if !mixed {
            return Ok(PlannerResult::Original(expr));
        }
        Ok(PlannerResult::Planned(Expr::BinaryExpr(BinaryExpr::new(
            Box::new(numeric(expr.left, &lt)),
            op,
            Box::new(numeric(expr.right, &rt)),
        ))))
    }
}

/// Scale of a division's result as MySQL keeps it internally: the dividend's scale plus the
/// divisor's plus `div_precision_increment`, rounded up to whole 9-digit groups (MySQL's
/// decimal words). The shown scale is the dividend's plus 4; the result column is rounded
/// to it at the end ([`super::plan`]), so `1/3*100` is `33.3333` as in MySQL.
pub fn internal_div_scale(s1: i8, s2: i8) -> i8 {
    let raw = i32::from(s1.max(0)) + i32::from(s2.max(0)) + i32::from(DIV_PRECISION_INCREMENT);
    let rounded = (raw + 8) / 9 * 9;
    i8::try_from(rounded.min(30)).unwrap_or(30)
}

/// The metadata key holding the scale MySQL shows for a DECIMAL computed with division.
pub const SHOWN_SCALE_KEY: &str = "mysql.shown_scale";

/// `mysql_div(a, b)`: MySQL's DECIMAL division of exact numbers.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Div {
    signature: Signature,
}

fn div_result(lt: &DataType, rt: &DataType) -> (u8, i8, i8) {
    let (p1, s1) = exact_digits(lt).unwrap_or((19, 0));
    let (_, s2) = exact_digits(rt).unwrap_or((19, 0));
    let internal = internal_div_scale(s1, s2);
    let shown = s1.max(0).saturating_add(DIV_PRECISION_INCREMENT).min(30);
    let int_digits = i32::from(p1) - i32::from(s1.max(0)) + i32::from(s2.max(0));
    let p = (int_digits + i32::from(internal)).clamp(1, 38);
    (u8::try_from(p).unwrap_or(38), internal, shown)
}

impl ScalarUDFImpl for Div {
    fn name(&self) -> &str {
        "mysql_div"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        let (Some(l), Some(r)) = (args.first(), args.get(1)) else {
            return exec_err!("mysql_div takes two arguments");
        };
        let (p, s, _) = div_result(l, r);
        Ok(DataType::Decimal128(p, s))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let (Some(l), Some(r)) = (types.first(), types.get(1)) else {
            return exec_err!("mysql_div takes two arguments");
        };
        let (p, s, shown) = div_result(l, r);
        let shown_in = args
            .arg_fields
            .first()
            .and_then(|f| f.metadata().get(SHOWN_SCALE_KEY))
            .and_then(|v| v.parse::<i8>().ok());
        let shown = shown_in.map_or(shown, |s1| {
            s1.saturating_add(DIV_PRECISION_INCREMENT).min(30)
        });
        Ok(Arc::new(
            Field::new("mysql_div", DataType::Decimal128(p, s), true).with_metadata(
                [(SHOWN_SCALE_KEY.to_string(), shown.to_string())]
                    .into_iter()
                    .collect(),
            ),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let (Some(a), Some(b)) = (args.args.first(), args.args.get(1)) else {
            return exec_err!("mysql_div takes two arguments");
        };
        let (lt, rt) = (a.data_type(), b.data_type());
        let (p, s, _) = div_result(&lt, &rt);
        let (_, s1) = exact_digits(&lt).unwrap_or((19, 0));
        let (_, s2) = exact_digits(&rt).unwrap_or((19, 0));
        let s1 = s1.max(0);
        let s2 = s2.max(0);
        let to_dec = |v: &ColumnarValue, scale: i8| -> Result<Decimal128Array> {
            let arr: ArrayRef = v.to_array(n)?;
            let d = cast(&arr, &DataType::Decimal128(38, scale))?;
            match d.as_any().downcast_ref::<Decimal128Array>() {
                Some(x) => Ok(x.clone()),
                None => exec_err!("mysql_div: not a decimal"),
            }
        };
        let x = to_dec(a, s1)?;
        let y = to_dec(b, s2)?;
        let shift = u32::try_from(i32::from(s) - i32::from(s1) + i32::from(s2)).unwrap_or(0);
        let factor = 10i128.checked_pow(shift);
        let mut out = Decimal128Builder::with_capacity(n);
        for i in 0..n {
            if x.is_null(i) || y.is_null(i) {
                out.append_null();
                continue;
            }
            let (num, den) = (x.value(i), y.value(i));
            // Truncated, as MySQL's decimal division is at its internal scale.
            match factor
                .and_then(|f| num.checked_mul(f))
                .and_then(|m| m.checked_div(den))
            {
                Some(q) if den != 0 => out.append_value(q),
                _ => out.append_null(),
            }
        }
        let arr = out.finish().with_precision_and_scale(p, s)?;
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        if all_scalar {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&arr, 0)?));
        }
        Ok(ColumnarValue::Array(Arc::new(arr)))
    }
}

/// The `mysql_div` function.
pub fn div_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Div {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

/// `mysql_to_double(x)`: a value read as a double the MySQL way (`'12abc'` is 12).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToDouble {
    signature: Signature,
}

impl ScalarUDFImpl for ToDouble {
    fn name(&self) -> &str {
        "mysql_to_double"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(a) = args.args.first() else {
            return exec_err!("mysql_to_double takes one argument");
        };
        if let ColumnarValue::Scalar(v) = a {
            return Ok(ColumnarValue::Scalar(ScalarValue::Float64(
                super::values::to_f64(v),
            )));
        }
        let arr = a.to_array(args.number_rows)?;
        if !is_string_type(arr.data_type()) {
            return Ok(ColumnarValue::Array(cast(&arr, &DataType::Float64)?));
        }
        let s = cast(&arr, &DataType::Utf8)?;
        let Some(s) = s
            .as_any()
            .downcast_ref::<datafusion::arrow::array::StringArray>()
        else {
            return exec_err!("mysql_to_double: not a string");
        };
        let out: Float64Array = s.iter().map(|v| v.map(parse_number_prefix)).collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// The `mysql_to_double` function.
pub fn to_double_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(ToDouble {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{query_strings, query_types, Fixture};
    use datafusion::arrow::datatypes::DataType;

    #[tokio::test]
    async fn division_and_aggregates_match_mariadb() {
        let f = Fixture::new().await;
        // MariaDB 10.11, same SELECTs.
        assert_eq!(
            query_strings(
                &f.ctx,
                "SELECT 7/2, 1.5/2, 1/3, 2/3, 7/0, 7 DIV 2, -7 DIV 2, 7 % 0, -7 % 3, 1/3*100, \
                 1/7*7, 10/4/2, 2*3/4, 0.1+0.2, 1/0.0000007, 7.5 DIV 2, -7.5 DIV 2, '7' DIV 2"
            )
            .await,
            vec![vec![
                "3.5000",
                "0.75000",
                "0.3333",
                "0.6667",
                "NULL",
                "3",
                "-3",
                "NULL",
                "-1",
                "33.3333",
                "1.0000",
                "1.25000000",
                "1.5000",
                "0.3",
                "1428571.4286",
                "3",
                "-3",
                "3"
            ]]
        );
        assert_eq!(
            query_strings(
                &f.ctx,
                "SELECT SUM(n), AVG(n), SUM(d), AVG(d), COUNT(*) FROM p"
            )
            .await,
            vec![vec!["18", "3.6000", "1.65", "0.330000", "6"]]
        );
        assert_eq!(
            query_strings(&f.ctx, "SELECT n/2, d/3 FROM p WHERE id = 1").await,
            vec![vec!["2.5000", "0.500000"]]
        );
        let types = query_types(
            &f.ctx,
            "SELECT SUM(n), AVG(n), SUM(d), AVG(d), COUNT(*), 7/2 FROM p",
        )
        .await;
        assert_eq!(
            types,
            // n is a BIGINT here (19 digits): MariaDB's SUM(INT) is DECIMAL(32,0).
            vec![
                DataType::Decimal128(38, 0),
                DataType::Decimal128(23, 4),
                DataType::Decimal128(32, 2),
                DataType::Decimal128(14, 6),
                DataType::Int64,
                DataType::Decimal128(23, 4),
            ]
        );
    }

    #[tokio::test]
    async fn strings_meet_numbers_as_doubles() {
        let f = Fixture::new().await;
        // MariaDB 10.11: SELECT '10' = 10, '10.0' = 10, 'abc' = 0, 1=1, '05' = 5, '3' + 1, '1.5x' * 2
        assert_eq!(
            query_strings(
                &f.ctx,
                "SELECT '10' = 10, '10.0' = 10, 'abc' = 0, 1=1, '05' = 5, '3' + 1, '1.5x' * 2"
            )
            .await,
            vec![vec!["1", "1", "1", "1", "1", "4", "3"]]
        );
        assert_eq!(
            query_strings(&f.ctx, "SELECT id FROM p WHERE name = 0 ORDER BY id").await,
            super::super::testutil::rows("1\n2\n3\n4\n6")
        );
    }
}
