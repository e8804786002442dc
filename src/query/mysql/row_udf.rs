//! One `ScalarUDF` shape for MySQL's functions: a function of one row's values
//! (`ScalarValue`s, read with MySQL's conversions), its result type from the argument
//! types (and constant arguments), and the session it runs in.
//!
//! Row at a time is plenty for what the functions are used for (formatting and
//! bucketing values of a result); constant arguments are evaluated once.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};
use datafusion::scalar::ScalarValue;

use super::env::Env;

/// Computes one row's result from its argument values.
pub type Eval = fn(&[ScalarValue], &Env) -> Result<ScalarValue>;
/// The result type from the argument types and the constant arguments (`None` when not
/// constant).
pub type Ret = fn(&[DataType], &[Option<&ScalarValue>]) -> Result<DataType>;
/// A clock function's value at the statement's start (microseconds since the epoch) for
/// constant arguments; `None` when these arguments do not read the clock.
pub type Clock = fn(&Env, i64, &[ScalarValue]) -> Option<ScalarValue>;

/// A MySQL function: name, arity, result type and evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Def {
    /// The function's name (lower case).
    pub name: &'static str,
    /// Other names.
    pub aliases: &'static [&'static str],
    /// Fewest arguments.
    pub min: usize,
    /// Most arguments (`usize::MAX`: any).
    pub max: usize,
    /// Result type.
    pub ret: Ret,
    /// One row's result.
    pub eval: Eval,
    /// For clock functions: the value, fixed at the statement's start like MySQL's
    /// `NOW()`.
    pub clock: Option<Clock>,
    /// The result column's `decimals` when it is not the type's usual one (MariaDB
    /// reports 0, not 39, for DATE_FORMAT's and CAST … AS CHAR's strings).
    pub decimals: Option<u8>,
}

impl Def {
    /// A function of `min..=max` arguments.
    pub const fn new(name: &'static str, min: usize, max: usize, ret: Ret, eval: Eval) -> Def {
        Def {
            name,
            aliases: &[],
            min,
            max,
            ret,
            eval,
            clock: None,
            decimals: None,
        }
    }

    /// Sets the result column's `decimals`.
    pub const fn decimals(mut self, decimals: u8) -> Def {
        self.decimals = Some(decimals);
        self
    }

    /// The same function under other names too.
    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> Def {
        self.aliases = aliases;
        self
    }

    /// Marks a clock function.
    pub const fn clock(mut self, clock: Clock) -> Def {
        self.clock = Some(clock);
        self
    }
}

/// A [`Def`] bound to a session, as a DataFusion scalar function.
#[derive(Debug)]
pub struct RowUdf {
    def: Def,
    aliases: Vec<String>,
    signature: Signature,
    env: Arc<Env>,
}

impl PartialEq for RowUdf {
    fn eq(&self, other: &Self) -> bool {
        self.def.name == other.def.name && self.env == other.env
    }
}

impl Eq for RowUdf {}

impl std::hash::Hash for RowUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.def.name.hash(state);
        self.env.hash(state);
    }
}

impl RowUdf {
    /// The function `def` in session `env`.
    pub fn udf(def: Def, env: &Arc<Env>) -> ScalarUDF {
        let mut sigs = Vec::new();
        if def.min == 0 {
            sigs.push(TypeSignature::Nullary);
        }
        if def.max > 0 {
            sigs.push(TypeSignature::VariadicAny);
        }
        ScalarUDF::new_from_impl(RowUdf {
            def,
            aliases: def.aliases.iter().map(|a| a.to_string()).collect(),
            signature: Signature::one_of(sigs, Volatility::Stable),
            env: env.clone(),
        })
    }

    fn check_arity(&self, n: usize) -> Result<()> {
        if n < self.def.min || n > self.def.max {
            return plan_err!(
                "Incorrect parameter count in the call to native function '{}'",
                self.def.name.to_uppercase()
            );
        }
        Ok(())
    }
}

/// Makes a result value fit the declared result type (typed NULLs, casts).
pub fn fit(v: ScalarValue, ret: &DataType) -> Result<ScalarValue> {
    if v.is_null() {
        return ScalarValue::try_from(ret);
    }
    if v.data_type() == *ret {
        return Ok(v);
    }
    v.cast_to(ret)
}

impl ScalarUDFImpl for RowUdf {
    fn name(&self) -> &str {
        self.def.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.check_arity(arg_types.len())?;
        let none = vec![None; arg_types.len()];
        (self.def.ret)(arg_types, &none)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.check_arity(args.arg_fields.len())?;
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let dt = (self.def.ret)(&types, args.scalar_arguments)?;
        let field = Field::new(self.def.name, dt, true);
        Ok(Arc::new(match self.def.decimals {
            Some(d) => field.with_metadata(
                [(
                    crate::query::types::META_DECIMALS.to_string(),
                    d.to_string(),
                )]
                .into(),
            ),
            None => field,
        }))
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let (Some(clock), Some(start)) = (self.def.clock, info.query_execution_start_time()) else {
            return Ok(ExprSimplifyResult::Original(args));
        };
        let mut consts = Vec::with_capacity(args.len());
        for a in &args {
            match a {
                Expr::Literal(v, _) => consts.push(v.clone()),
                _ => return Ok(ExprSimplifyResult::Original(args)),
            }
        }
        match clock(&self.env, start.timestamp_micros(), &consts) {
            Some(v) => Ok(ExprSimplifyResult::Simplified(Expr::Literal(v, None))),
            None => Ok(ExprSimplifyResult::Original(args)),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let ret = args.return_field.data_type().clone();
        let n = args.number_rows;
        if args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)))
        {
            let row: Vec<ScalarValue> = args
                .args
                .iter()
                .map(|a| match a {
                    ColumnarValue::Scalar(s) => s.clone(),
                    ColumnarValue::Array(_) => ScalarValue::Null,
                })
                .collect();
            let now = jiff::Timestamp::now().as_microsecond();
            if let Some(v) = self.def.clock.and_then(|c| c(&self.env, now, &row)) {
                return Ok(ColumnarValue::Scalar(fit(v, &ret)?));
            }
            let v = (self.def.eval)(&row, &self.env)?;
            return Ok(ColumnarValue::Scalar(fit(v, &ret)?));
        }
        let mut out = Vec::with_capacity(n);
        let mut row: Vec<ScalarValue> = Vec::with_capacity(args.args.len());
        for i in 0..n {
            row.clear();
            for a in &args.args {
                row.push(match a {
                    ColumnarValue::Scalar(s) => s.clone(),
                    ColumnarValue::Array(arr) => ScalarValue::try_from_array(arr, i)?,
                });
            }
            out.push(fit((self.def.eval)(&row, &self.env)?, &ret)?);
        }
        if out.is_empty() {
            return Ok(ColumnarValue::Array(
                datafusion::arrow::array::new_empty_array(&ret),
            ));
        }
        Ok(ColumnarValue::Array(ScalarValue::iter_to_array(out)?))
    }
}

/// Every row function, bound to `env`.
pub fn all(env: &Arc<Env>) -> Vec<ScalarUDF> {
    let mut defs: Vec<Def> = Vec::new();
    defs.extend_from_slice(super::datetime::DEFS);
    defs.extend_from_slice(super::date_arith::DEFS);
    defs.extend_from_slice(super::clock::DEFS);
    defs.extend_from_slice(super::format::DEFS);
    defs.extend_from_slice(super::strings::DEFS);
    defs.extend_from_slice(super::control::DEFS);
    defs.extend_from_slice(super::session::DEFS);
    defs.into_iter().map(|d| RowUdf::udf(d, env)).collect()
}

/// Result type helpers shared by the function families.
pub mod ret {
    use super::*;

    /// BIGINT.
    pub fn int(_: &[DataType], _: &[Option<&ScalarValue>]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    /// INT: what MariaDB types date parts, DATEDIFF, TO_DAYS, YEARWEEK, LOCATE, … as.
    pub fn int32(_: &[DataType], _: &[Option<&ScalarValue>]) -> Result<DataType> {
        Ok(DataType::Int32)
    }
    /// INT UNSIGNED (CONNECTION_ID).
    pub fn uint32(_: &[DataType], _: &[Option<&ScalarValue>]) -> Result<DataType> {
        Ok(DataType::UInt32)
    }
    /// BIGINT UNSIGNED (LAST_INSERT_ID).
    pub fn uint64(_: &[DataType], _: &[Option<&ScalarValue>]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }
    /// A string.
    pub fn text(_: &[DataType], _: &[Option<&ScalarValue>]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    /// DATE.
    pub fn date(_: &[DataType], _: &[Option<&ScalarValue>]) -> Result<DataType> {
        Ok(DataType::Date32)
    }
    /// DATETIME.
    pub fn datetime(_: &[DataType], _: &[Option<&ScalarValue>]) -> Result<DataType> {
        Ok(DataType::Timestamp(
            datafusion::arrow::datatypes::TimeUnit::Microsecond,
            None,
        ))
    }
    /// TIME.
    pub fn time(_: &[DataType], _: &[Option<&ScalarValue>]) -> Result<DataType> {
        Ok(DataType::Duration(
            datafusion::arrow::datatypes::TimeUnit::Microsecond,
        ))
    }
}

/// An error for a function called with an argument it cannot take.
pub fn bad_arg<T>(func: &str, what: &str) -> Result<T> {
    exec_err!("{func}: {what}")
}
