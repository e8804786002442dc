//! MySQL syntax DataFusion's planner cannot take as parsed, rewritten on the statement:
//!
//! - `TIMESTAMPDIFF(DAY, a, b)` / `TIMESTAMPADD(HOUR, n, d)`: the unit (a bare keyword,
//!   which the planner would look up as a column) becomes the string `'DAY'`;
//! - `DATE_ADD(d, INTERVAL n unit)` (and `DATE_SUB`, `ADDDATE`, `SUBDATE`) and
//!   `d + INTERVAL n unit` / `d - INTERVAL n unit` become `date_add(d, n, 'UNIT')` /
//!   `date_sub(…)`, so the amount may be any expression and every MySQL unit works
//!   (`'1:30' HOUR_MINUTE`);
//! - `CAST(x AS SIGNED [INTEGER])` / `UNSIGNED [INTEGER]` (Connector/J's metadata queries
//!   use them) become casts to BIGINT / BIGINT UNSIGNED, as MySQL defines them;
//! - `CAST(x AS CHAR)` / `CONVERT(x, CHAR)` become `mysql_char(x)`: the value's MySQL
//!   text, as `CONCAT(x)` gives it;
//! - numbers with an exponent (`1e3`) stay doubles, as in MySQL, while other decimal
//!   literals are exact DECIMALs (`parse_float_as_decimal`, see [`super::configure`]).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    visit_expressions_mut, BinaryOperator, DataType, Expr, FunctionArg, FunctionArgExpr,
    FunctionArguments, Interval, Statement, Value,
};
use datafusion::sql::sqlparser::dialect::MySqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Rewrites MySQL-only forms in a parsed statement (see the module docs). Call it between
/// parsing and planning.
pub fn rewrite_statement(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |e: &mut Expr| {
        if let Some(new) = rewrite(e) {
            *e = new;
        }
        ControlFlow::<()>::Continue(())
    });
}

fn parse(sql: &str) -> Option<Expr> {
    Parser::new(&MySqlDialect {})
        .try_with_sql(sql)
        .ok()?
        .parse_expr()
        .ok()
}

/// A MySQL interval unit as written (`DAY`, `HOUR_MINUTE`, …).
fn unit_of(iv: &Interval) -> Option<String> {
    let lead = iv.leading_field.as_ref()?.to_string();
    Some(match &iv.last_field {
        Some(last) => format!("{lead}_{last}"),
        None => lead,
    })
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn args_of(e: &Expr) -> Option<Vec<&Expr>> {
    let Expr::Function(f) = e else {
        return None;
    };
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Some(x),
            _ => None,
        })
        .collect()
}

fn function_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Function(f) => Some(f.name.to_string().to_ascii_lowercase()),
        _ => None,
    }
}

fn interval_call(func: &str, date: &Expr, iv: &Interval) -> Option<Expr> {
    let unit = unit_of(iv)?;
    parse(&format!("{func}({date}, {}, {})", iv.value, quote(&unit)))
}

/// The type a MySQL-only cast target stands for; `None` when the planner knows it.
fn mysql_cast_type(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Signed | DataType::SignedInteger => Some(DataType::BigInt(None)),
        DataType::Unsigned | DataType::UnsignedInteger => Some(DataType::BigIntUnsigned(None)),
        _ => None,
    }
}

/// `CHAR` without a length: `CAST(x AS CHAR)` is x's text as MySQL prints it, which is
/// what `CONCAT(x)` gives (DataFusion's cast prints `2020-06-01T12:00:00` and Arrow's
/// float forms); `mysql_char` is that, with the column definition MariaDB gives a cast.
fn is_plain_char(t: &DataType) -> bool {
    matches!(t, DataType::Char(None) | DataType::Character(None))
}

fn rewrite(e: &Expr) -> Option<Expr> {
    match e {
        // CONVERT(x, type) is CAST(x AS type) (Connector/J: `CONVERT(…, UNSIGNED INTEGER)`).
        Expr::Convert {
            is_try: false,
            expr,
            data_type: Some(data_type),
            charset: None,
            ..
        } if is_plain_char(data_type) => parse(&format!("mysql_char({expr})")),
        Expr::Cast {
            kind: datafusion::sql::sqlparser::ast::CastKind::Cast,
            expr,
            data_type,
            array: false,
            format: None,
        } if is_plain_char(data_type) => parse(&format!("mysql_char({expr})")),
        Expr::Convert {
            is_try: false,
            expr,
            data_type: Some(data_type),
            charset: None,
            ..
        } => Some(Expr::Cast {
            kind: datafusion::sql::sqlparser::ast::CastKind::Cast,
            expr: expr.clone(),
            data_type: mysql_cast_type(data_type).unwrap_or_else(|| data_type.clone()),
            array: false,
            format: None,
        }),
        Expr::Cast {
            kind,
            expr,
            data_type,
            array,
            format,
        } => {
            let to = mysql_cast_type(data_type)?;
            Some(Expr::Cast {
                kind: kind.clone(),
                expr: expr.clone(),
                data_type: to,
                array: *array,
                format: format.clone(),
            })
        }
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) if n.contains(['e', 'E']) => parse(&format!("CAST({n} AS DOUBLE)")),
            _ => None,
        },
        Expr::BinaryOp { left, op, right } => match (left.as_ref(), op, right.as_ref()) {
            (d, BinaryOperator::Plus, Expr::Interval(iv))
            | (Expr::Interval(iv), BinaryOperator::Plus, d) => interval_call("date_add", d, iv),
            (d, BinaryOperator::Minus, Expr::Interval(iv)) => interval_call("date_sub", d, iv),
            _ => None,
        },
        Expr::Function(_) => {
            let name = function_name(e)?;
            let args = args_of(e)?;
            match (name.as_str(), args.as_slice()) {
                ("date_add" | "adddate", [d, Expr::Interval(iv)]) => {
                    interval_call("date_add", d, iv)
                }
                ("date_sub" | "subdate", [d, Expr::Interval(iv)]) => {
                    interval_call("date_sub", d, iv)
                }
                ("timestampdiff" | "timestampadd", [Expr::Identifier(unit), a, b]) => {
                    let u = unit.value.to_ascii_uppercase();
                    let u = u.strip_prefix("SQL_TSI_").unwrap_or(&u);
                    parse(&format!("{name}({}, {a}, {b})", quote(u)))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        let mut stmts = match Parser::parse_sql(&MySqlDialect {}, sql) {
            Ok(s) => s,
            Err(e) => panic!("{sql}: {e}"),
        };
        for s in &mut stmts {
            rewrite_statement(s);
        }
        stmts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(";")
    }

    #[test]
    fn signed_and_unsigned_casts_become_bigint() {
        assert_eq!(
            rewritten("SELECT CAST(a AS SIGNED INTEGER), CAST(b AS UNSIGNED) FROM t"),
            "SELECT CAST(a AS BIGINT), CAST(b AS BIGINT UNSIGNED) FROM t"
        );
        assert_eq!(
            rewritten("SELECT CONVERT(a, UNSIGNED INTEGER)"),
            "SELECT CAST(a AS BIGINT UNSIGNED)"
        );
    }

    #[test]
    fn mysql_forms_become_plannable() {
        assert_eq!(
            rewritten("SELECT TIMESTAMPDIFF(DAY, a, b), TIMESTAMPADD(SQL_TSI_HOUR, 1, c) FROM t"),
            "SELECT timestampdiff('DAY', a, b), timestampadd('HOUR', 1, c) FROM t"
        );
        assert_eq!(
            rewritten("SELECT DATE_ADD(d, INTERVAL (n + 1) DAY), d - INTERVAL 90 MINUTE FROM t"),
            "SELECT date_add(d, (n + 1), 'DAY'), date_sub(d, 90, 'MINUTE') FROM t"
        );
        assert_eq!(
            rewritten("SELECT 1e3, 1.5"),
            "SELECT CAST(1e3 AS DOUBLE), 1.5"
        );
    }
}
