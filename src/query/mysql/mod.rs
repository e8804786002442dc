//! MySQL semantics inside DataFusion: MySQL's functions, collations, NULL ordering,
//! arithmetic and implicit conversions, installed on each query's `SessionContext`.
//!
//! - [`install`] registers the functions that need no session (with a `SYSTEM` time zone)
//!   and the plan rewrites; [`install_session`] re-registers the session-dependent ones
//!   (`DATABASE()`, `USER()`, `NOW()`, the time zone of TIMESTAMP values, …).
//! - [`configure`] sets the DataFusion options MySQL's answers need (NULLs sort first).
//! - [`rewrite_statement`] fixes the MySQL syntax DataFusion's planner cannot take as is
//!   (`TIMESTAMPDIFF(DAY, a, b)`: a unit keyword where an expression is expected); the
//!   statement layer calls it on the parsed statement before planning.
//!
//! Collations: string columns carry their collation id in the Arrow field metadata
//! `mysql.collation`; comparisons, `LIKE`, `GROUP BY`, `DISTINCT` and `ORDER BY` on a
//! `_ci` (or PAD SPACE) string compare its collation weights ([`collation`]), while the
//! values shown keep their original text.

pub mod ast;
pub mod clock;
pub mod coercion;
pub mod collation;
pub mod control;
pub mod date_arith;
pub mod datetime;
pub mod env;
pub mod format;
pub mod plan;
pub mod row_udf;
pub mod session;
pub mod strings;
pub mod temporal;
pub mod values;

use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::execution::context::SessionContext;
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::SessionConfig;

pub use ast::rewrite_statement;
pub use env::SessionInfo;

/// The Arrow field metadata key holding a string column's collation id (decimal).
pub const COLLATION_KEY: &str = "mysql.collation";

/// MySQL's `div_precision_increment` default: digits added to the scale by `/`.
pub const DIV_PRECISION_INCREMENT: i8 = 4;

/// Session options MySQL answers need: NULL is the smallest value (first in `ASC`, last
/// in `DESC`), and `1.50` is the exact DECIMAL(3,2), not a double.
pub fn configure(mut config: SessionConfig) -> SessionConfig {
    set_options(config.options_mut());
    config
}

fn set_options(options: &mut datafusion::common::config::ConfigOptions) {
    options.sql_parser.default_null_ordering = "nulls_min".to_string();
    options.sql_parser.parse_float_as_decimal = true;
}

/// DataFusion functions that answer as MySQL's under MySQL's other names.
const ALIASES: &[(&str, &str)] = &[
    ("lower", "lcase"),
    ("upper", "ucase"),
    ("substr", "mid"),
    // MySQL's LENGTH counts bytes.
    ("octet_length", "length"),
];

/// Installs MySQL's functions and plan rewrites on a context, with a default session
/// (no database, time zone `SYSTEM`). Call [`install_session`] afterwards to give the
/// session's own database, user and time zone.
pub fn install(ctx: &SessionContext) -> Result<(), DataFusionError> {
    {
        let state = ctx.state_ref();
        let mut state = state.write();
        set_options(state.config_mut().options_mut());
        state.register_function_rewrite(Arc::new(coercion::MysqlExprRewrite))?;
        state.register_expr_planner(Arc::new(coercion::MysqlArithmeticPlanner))?;
    }
    ctx.add_analyzer_rule(Arc::new(plan::MysqlPlanRewrite));
    for (name, alias) in ALIASES {
        if let Ok(f) = ctx.udf(name) {
            ctx.register_udf(f.as_ref().clone().with_aliases([*alias]));
        }
    }
    install_session(ctx, &SessionInfo::default())
}

/// Registers the functions whose answers depend on the session: `DATABASE()`, `USER()`,
/// `CONNECTION_ID()`, `VERSION()`, the clock functions and every function reading
/// TIMESTAMP values (shown in the session's time zone).
pub fn install_session(ctx: &SessionContext, info: &SessionInfo) -> Result<(), DataFusionError> {
    let env = Arc::new(env::Env::new(info.clone())?);
    for udf in row_udf::all(&env) {
        ctx.register_udf(udf);
    }
    ctx.register_udf(collation::sortkey_udf());
    ctx.register_udf(collation::fold_udf());
    ctx.register_udf(coercion::div_udf());
    ctx.register_udf(coercion::to_double_udf());
    Ok(())
}

#[cfg(test)]
pub(crate) mod testutil;
