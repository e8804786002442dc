//! MySQL semantics that need whole plan nodes, applied after type coercion:
//!
//! - `ORDER BY` a string sorts by its collation sort key;
//! - `GROUP BY` / `DISTINCT` on strings under a weighing collation group by the sort key
//!   and show the group's first value (`GROUP BY name` merges `'a'` and `'A'`);
//! - `MIN` / `MAX` of such strings follow the collation; `COUNT(DISTINCT s)` counts
//!   collation-distinct values;
//! - `AVG` of exact values rounds (DataFusion truncates) to MySQL's scale;
//! - the final result: booleans become integers (`SELECT 1 = 1` is `1`) and DECIMALs
//!   computed with division are rounded to the scale MySQL shows (see
//!   [`super::coercion::internal_div_scale`]).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::metadata::FieldMetadata;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, DFSchema, Result};
use datafusion::functions_aggregate::first_last::first_value_udaf;
use datafusion::logical_expr::expr::{AggregateFunction, Alias, Sort as SortExpr};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{
    Aggregate, Cast, Distinct, Expr, ExprSchemable, LogicalPlan, Projection, Sort,
};
use datafusion::optimizer::AnalyzerRule;

use super::coercion::SHOWN_SCALE_KEY;
use super::collation::{
    field_collation, is_string_type, needs_weights, sortkey_expr, DEFAULT_COLLATION,
};

/// The rule, registered by [`super::install`].
#[derive(Debug)]
pub struct MysqlPlanRewrite;

impl AnalyzerRule for MysqlPlanRewrite {
    fn name(&self) -> &str {
        "mysql_plan_semantics"
    }

    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        let plan = plan
            .transform_up_with_subqueries(|node| match node {
                LogicalPlan::Sort(s) => rewrite_sort(s),
                LogicalPlan::Aggregate(a) => rewrite_aggregate(a),
                LogicalPlan::Distinct(Distinct::All(input)) => rewrite_distinct(input),
                LogicalPlan::Projection(p) => mark_shown_scale(p),
                other => Ok(Transformed::no(other)),
            })?
            .data;
        finish_output(plan)
    }
}

/// The collation a string expression compares under, when it needs sort keys.
fn weighing_collation(e: &Expr, schema: &DFSchema) -> Option<u16> {
    let (_, field) = e.to_field(schema).ok()?;
    if !is_string_type(field.data_type()) {
        return None;
    }
    let c = field_collation(&field).unwrap_or(DEFAULT_COLLATION);
    needs_weights(c).then_some(c)
}

fn rewrite_sort(s: Sort) -> Result<Transformed<LogicalPlan>> {
    let schema = s.input.schema().clone();
    let mut changed = false;
    let expr = s
        .expr
        .into_iter()
        .map(|se| match weighing_collation(&se.expr, &schema) {
            Some(c) => {
                changed = true;
                SortExpr::new(sortkey_expr(se.expr, c), se.asc, se.nulls_first)
            }
            None => se,
        })
        .collect();
    let sort = Sort {
        expr,
        input: s.input,
        fetch: s.fetch,
    };
    Ok(Transformed::new_transformed(
        LogicalPlan::Sort(sort),
        changed,
    ))
}

fn first_value(e: Expr, order_by: Vec<SortExpr>, filter: Option<Box<Expr>>) -> Expr {
    Expr::AggregateFunction(AggregateFunction::new_udf(
        first_value_udaf(),
        vec![e],
        false,
        filter,
        order_by,
        None,
    ))
}

/// An aggregate rewritten for the collation: `MIN`/`MAX` as the first value in collation
/// order, `COUNT(DISTINCT s)` over sort keys. `None` when nothing changes.
fn collated_aggregate(e: &Expr, schema: &DFSchema) -> Option<Expr> {
    let Expr::AggregateFunction(a) = e else {
        return None;
    };
    let name = a.func.name().to_ascii_lowercase();
    let [arg] = a.params.args.as_slice() else {
        return None;
    };
    let c = weighing_collation(arg, schema)?;
    match name.as_str() {
        "min" | "max" => Some(first_value(
            arg.clone(),
            vec![SortExpr::new(
                sortkey_expr(arg.clone(), c),
                name == "min",
                false,
            )],
            a.params.filter.clone(),
        )),
        "count" if a.params.distinct => {
            let mut b = a.clone();
            b.params.args = vec![sortkey_expr(arg.clone(), c)];
            Some(Expr::AggregateFunction(b))
        }
        _ => None,
    }
}

fn has_grouping_sets(group: &[Expr]) -> bool {
    group.iter().any(|g| matches!(g, Expr::GroupingSet(_)))
}

/// Re-aliases `e` to an output field's qualified name and metadata.
fn named_like(e: Expr, schema: &DFSchema, i: usize) -> Expr {
    let (q, f) = schema.qualified_field(i);
    let meta = (!f.metadata().is_empty()).then(|| FieldMetadata::from(f.metadata()));
    e.alias_qualified_with_metadata(q.cloned(), f.name(), meta)
}

fn rewrite_aggregate(agg: Aggregate) -> Result<Transformed<LogicalPlan>> {
    if has_grouping_sets(&agg.group_expr) {
        return Ok(Transformed::no(LogicalPlan::Aggregate(agg)));
    }
    let (agg, widened) = widen_avg(agg)?;
    let out = collate_aggregate(agg)?;
    if widened.is_empty() {
        return Ok(out);
    }
    Ok(Transformed::yes(round_widened(out.data, &widened)?))
}

/// `AVG` of an exact value: MySQL rounds the mean to the argument's scale + 4, where
/// DataFusion truncates. The argument gets one more digit of scale, so DataFusion's
/// truncated mean keeps the digit that decides the rounding, and [`round_widened`]
/// rounds to the scale MySQL shows (a cast to a smaller decimal scale rounds half away
/// from zero, as MySQL does). Returns the aggregate and, per widened column, its output
/// position and the type it is shown as.
fn widen_avg(agg: Aggregate) -> Result<(Aggregate, Vec<(usize, DataType)>)> {
    let input = agg.input.schema().clone();
    let n_group = agg.group_expr.len();
    let mut widened = Vec::new();
    let mut aggr = Vec::with_capacity(agg.aggr_expr.len());
    for (i, e) in agg.aggr_expr.iter().enumerate() {
        let (inner, alias) = match e {
            Expr::Alias(a) => (a.expr.as_ref(), Some(a)),
            other => (other, None),
        };
        let Expr::AggregateFunction(f) = inner else {
            aggr.push(e.clone());
            continue;
        };
        let arg = match f.params.args.as_slice() {
            [arg] if f.func.name().eq_ignore_ascii_case("avg") => arg,
            _ => {
                aggr.push(e.clone());
                continue;
            }
        };
        let shown = agg.schema.field(n_group + i).data_type().clone();
        let (DataType::Decimal128(p, s), DataType::Decimal128(..)) =
            (arg.get_type(&input)?, &shown)
        else {
            aggr.push(e.clone());
            continue;
        };
        if shown_scale(arg, &input).is_some() || p >= 33 || s >= 26 {
            aggr.push(e.clone());
            continue;
        }
        let mut g = f.clone();
        g.params.args = vec![Expr::Cast(Cast::new(
            Box::new(arg.clone()),
            DataType::Decimal128(p + 1, s + 1),
        ))];
        let (q, field) = agg.schema.qualified_field(n_group + i);
        let new = Expr::AggregateFunction(g);
        aggr.push(match alias {
            Some(a) => new.alias_qualified(a.relation.clone(), a.name.clone()),
            None => new.alias_qualified(q.cloned(), field.name()),
        });
        widened.push((n_group + i, shown));
    }
    if widened.is_empty() {
        return Ok((agg, widened));
    }
    let agg = Aggregate::try_new(agg.input, agg.group_expr, aggr)?;
    Ok((agg, widened))
}

/// Casts the widened `AVG` columns of `plan`'s output back to their shown types.
fn round_widened(plan: LogicalPlan, widened: &[(usize, DataType)]) -> Result<LogicalPlan> {
    let schema = plan.schema().clone();
    let mut exprs = Vec::with_capacity(schema.fields().len());
    for (i, (q, f)) in schema.iter().enumerate() {
        let col = Expr::Column(Column::new(q.cloned(), f.name()));
        match widened.iter().find(|(w, _)| *w == i) {
            Some((_, shown)) => {
                let meta = (!f.metadata().is_empty()).then(|| FieldMetadata::from(f.metadata()));
                exprs.push(
                    Expr::Cast(Cast::new(Box::new(col), shown.clone()))
                        .alias_qualified_with_metadata(q.cloned(), f.name(), meta),
                );
            }
            None => exprs.push(col),
        }
    }
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}

/// The collation rewrites of an aggregate (grouping by sort keys, collated MIN/MAX and
/// COUNT(DISTINCT)), and the shown scale of its columns.
fn collate_aggregate(agg: Aggregate) -> Result<Transformed<LogicalPlan>> {
    let input_schema = agg.input.schema().clone();
    let keyed: Vec<Option<u16>> = agg
        .group_expr
        .iter()
        .map(|g| weighing_collation(g, &input_schema))
        .collect();
    let aggs: Vec<Option<Expr>> = agg
        .aggr_expr
        .iter()
        .map(|e| collated_aggregate(e, &input_schema))
        .collect();
    if keyed.iter().all(Option::is_none) && aggs.iter().all(Option::is_none) {
        let shown = mark_aggregate_scale(agg)?;
        return Ok(shown);
    }
    let plan = LogicalPlan::Aggregate(agg.clone());
    let preserver = NamePreserver::new(&plan);
    let mut group = Vec::new();
    let mut extra = Vec::new();
    for (i, (g, k)) in agg.group_expr.iter().zip(&keyed).enumerate() {
        match k {
            Some(c) => {
                group.push(sortkey_expr(g.clone(), *c).alias(format!("__mysql_key{i}")));
                extra.push(first_value(g.clone(), vec![], None).alias(format!("__mysql_val{i}")));
            }
            None => group.push(g.clone()),
        }
    }
    let mut aggr = Vec::new();
    for (e, new) in agg.aggr_expr.iter().zip(aggs) {
        match new {
            Some(n) => aggr.push(preserver.save(e).restore(n)),
            None => aggr.push(e.clone()),
        }
    }
    aggr.extend(extra);
    let new_agg = Aggregate::try_new(agg.input.clone(), group, aggr)?;
    let new_schema = new_agg.schema.clone();
    let old_schema = agg.schema.clone();
    let n_group = agg.group_expr.len();
    let mut exprs = Vec::new();
    for i in 0..old_schema.fields().len() {
        let e = if i < n_group && keyed.get(i).is_some_and(Option::is_some) {
            Expr::Column(Column::from_name(format!("__mysql_val{i}")))
        } else {
            let (q, f) = new_schema.qualified_field(i);
            Expr::Column(Column::new(q.cloned(), f.name()))
        };
        exprs.push(named_like(e, &old_schema, i));
    }
    let projection = Projection::try_new(exprs, Arc::new(LogicalPlan::Aggregate(new_agg)))?;
    Ok(Transformed::yes(LogicalPlan::Projection(projection)))
}

fn rewrite_distinct(input: Arc<LogicalPlan>) -> Result<Transformed<LogicalPlan>> {
    let schema = input.schema().clone();
    let cols: Vec<Expr> = schema
        .iter()
        .map(|(q, f)| Expr::Column(Column::new(q.cloned(), f.name())))
        .collect();
    let keyed: Vec<Option<u16>> = cols
        .iter()
        .map(|c| weighing_collation(c, &schema))
        .collect();
    if keyed.iter().all(Option::is_none) {
        return Ok(Transformed::no(LogicalPlan::Distinct(Distinct::All(input))));
    }
    let mut group = Vec::new();
    let mut aggr = Vec::new();
    for (i, (c, k)) in cols.iter().zip(&keyed).enumerate() {
        match k {
            Some(coll) => {
                group.push(sortkey_expr(c.clone(), *coll).alias(format!("__mysql_key{i}")));
                aggr.push(first_value(c.clone(), vec![], None).alias(format!("__mysql_val{i}")));
            }
            None => group.push(c.clone()),
        }
    }
    let agg = Aggregate::try_new(input, group, aggr)?;
    let mut exprs = Vec::new();
    for (i, (c, k)) in cols.into_iter().zip(&keyed).enumerate() {
        let e = match k {
            Some(_) => Expr::Column(Column::from_name(format!("__mysql_val{i}"))),
            None => c,
        };
        exprs.push(named_like(e, &schema, i));
    }
    let projection = Projection::try_new(exprs, Arc::new(LogicalPlan::Aggregate(agg)))?;
    Ok(Transformed::yes(LogicalPlan::Projection(projection)))
}

/// The scale MySQL shows for a DECIMAL expression computed with division, when it differs
/// from the Arrow type's scale.
fn shown_scale(e: &Expr, schema: &DFSchema) -> Option<i8> {
    let arrow_scale = |e: &Expr| match e.get_type(schema).ok()? {
        DataType::Decimal128(_, s) | DataType::Decimal256(_, s) => Some(s),
        t if t.is_integer() => Some(0),
        _ => None,
    };
    let scale = |e: &Expr| shown_scale(e, schema).or_else(|| arrow_scale(e));
    match e {
        Expr::Alias(a) => shown_scale(&a.expr, schema),
        Expr::Column(_) => {
            let (_, f) = e.to_field(schema).ok()?;
            f.metadata()
                .get(SHOWN_SCALE_KEY)
                .and_then(|s| s.parse().ok())
        }
        Expr::ScalarFunction(f) if f.func.name() == "mysql_div" => {
            let s1 = f.args.first().and_then(scale)?;
            Some(
                s1.max(0)
                    .saturating_add(super::DIV_PRECISION_INCREMENT)
                    .min(30),
            )
        }
        Expr::BinaryExpr(b) => {
            let (l, r) = (shown_scale(&b.left, schema), shown_scale(&b.right, schema));
            if l.is_none() && r.is_none() {
                return None;
            }
            let (sl, sr) = (scale(&b.left)?, scale(&b.right)?);
            match b.op {
                datafusion::logical_expr::Operator::Multiply => Some(sl.saturating_add(sr).min(30)),
                datafusion::logical_expr::Operator::Plus
                | datafusion::logical_expr::Operator::Minus => Some(sl.max(sr)),
                _ => None,
            }
        }
        Expr::AggregateFunction(a) => {
            let arg = a.params.args.first()?;
            let inner = shown_scale(arg, schema)?;
            match a.func.name().to_ascii_lowercase().as_str() {
                "sum" | "min" | "max" | "first_value" | "last_value" => Some(inner),
                "avg" => Some(inner.saturating_add(4).min(30)),
                _ => None,
            }
        }
        Expr::Cast(Cast { expr, .. })
            if matches!(e.get_type(schema).ok()?, DataType::Decimal128(..)) =>
        {
            // A cast keeps the shown scale only when it keeps the value's scale.
            let inner = shown_scale(expr, schema)?;
            (arrow_scale(expr) == arrow_scale(e)).then_some(inner)
        }
        _ => None,
    }
}

fn with_shown_scale(e: Expr, input: &DFSchema, out: &DFSchema, i: usize) -> (Expr, bool) {
    if matches!(e, Expr::Column(_)) {
        return (e, false);
    }
    let Some(s) = shown_scale(&e, input) else {
        return (e, false);
    };
    let (q, f) = out.qualified_field(i);
    let mut meta: HashMap<String, String> = f.metadata().clone();
    meta.insert(SHOWN_SCALE_KEY.to_string(), s.to_string());
    let inner = match e {
        Expr::Alias(Alias { expr, .. }) => *expr,
        other => other,
    };
    (
        inner.alias_qualified_with_metadata(q.cloned(), f.name(), Some(FieldMetadata::from(meta))),
        true,
    )
}

fn mark_shown_scale(p: Projection) -> Result<Transformed<LogicalPlan>> {
    let input_schema = p.input.schema().clone();
    let out = p.schema.clone();
    let mut changed = false;
    let exprs: Vec<Expr> = p
        .expr
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| {
            let (e, c) = with_shown_scale(e, &input_schema, &out, i);
            changed |= c;
            e
        })
        .collect();
    if !changed {
        return Ok(Transformed::no(LogicalPlan::Projection(p)));
    }
    Ok(Transformed::yes(LogicalPlan::Projection(
        Projection::try_new(exprs, p.input)?,
    )))
}

fn mark_aggregate_scale(agg: Aggregate) -> Result<Transformed<LogicalPlan>> {
    let input_schema = agg.input.schema().clone();
    let out = agg.schema.clone();
    let n_group = agg.group_expr.len();
    let mut changed = false;
    let aggr: Vec<Expr> = agg
        .aggr_expr
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| {
            let (e, c) = with_shown_scale(e, &input_schema, &out, n_group + i);
            changed |= c;
            e
        })
        .collect();
    if !changed {
        return Ok(Transformed::no(LogicalPlan::Aggregate(agg)));
    }
    Ok(Transformed::yes(LogicalPlan::Aggregate(
        Aggregate::try_new(agg.input, agg.group_expr, aggr)?,
    )))
}

/// True for plans whose output is a result set of a query.
fn is_query(plan: &LogicalPlan) -> bool {
    matches!(
        plan,
        LogicalPlan::Projection(_)
            | LogicalPlan::Filter(_)
            | LogicalPlan::Window(_)
            | LogicalPlan::Aggregate(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Join(_)
            | LogicalPlan::Repartition(_)
            | LogicalPlan::Union(_)
            | LogicalPlan::TableScan(_)
            | LogicalPlan::EmptyRelation(_)
            | LogicalPlan::Subquery(_)
            | LogicalPlan::SubqueryAlias(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::Values(_)
            | LogicalPlan::Distinct(_)
            | LogicalPlan::Unnest(_)
            | LogicalPlan::RecursiveQuery(_)
    )
}

/// The result as MySQL shows it: booleans as INT, divided DECIMALs at their shown scale.
fn finish_output(plan: LogicalPlan) -> Result<LogicalPlan> {
    if !is_query(&plan) {
        return Ok(plan);
    }
    let schema = plan.schema().clone();
    let mut changed = false;
    let mut exprs = Vec::new();
    for (q, f) in schema.iter() {
        let col = Expr::Column(Column::new(q.cloned(), f.name()));
        let shown: Option<i8> = f
            .metadata()
            .get(SHOWN_SCALE_KEY)
            .and_then(|s| s.parse().ok());
        let mut meta: HashMap<String, String> = f.metadata().clone();
        meta.remove(SHOWN_SCALE_KEY);
        let meta = (!meta.is_empty()).then(|| FieldMetadata::from(meta));
        let e = match (f.data_type(), shown) {
            (DataType::Boolean, _) => Some(Expr::Cast(Cast::new(
                Box::new(col.clone()),
                DataType::Int32,
            ))),
            (DataType::Decimal128(p, s), Some(shown)) if shown < *s => {
                let p = i16::from(*p) - i16::from(*s) + i16::from(shown);
                let p = u8::try_from(p.clamp(1, 38)).unwrap_or(38);
                Some(Expr::Cast(Cast::new(
                    Box::new(col.clone()),
                    DataType::Decimal128(p, shown),
                )))
            }
            _ => None,
        };
        match e {
            Some(e) => {
                changed = true;
                exprs.push(e.alias_qualified_with_metadata(q.cloned(), f.name(), meta));
            }
            None => exprs.push(col),
        }
    }
    if !changed {
        return Ok(plan);
    }
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{query_strings, query_types, Fixture};
    use datafusion::arrow::datatypes::DataType;

    #[tokio::test]
    async fn nulls_sort_first_and_booleans_are_ints() {
        let f = Fixture::new().await;
        // MariaDB 10.11: NULL is the smallest value.
        assert_eq!(
            query_strings(&f.ctx, "SELECT n FROM p ORDER BY n").await,
            super::super::testutil::rows("NULL\n1\n2\n3\n5\n7")
        );
        assert_eq!(
            query_strings(&f.ctx, "SELECT n FROM p ORDER BY n DESC").await,
            super::super::testutil::rows("7\n5\n3\n2\n1\nNULL")
        );
        assert_eq!(
            query_types(&f.ctx, "SELECT 1 = 1, n > 2 FROM p").await,
            vec![DataType::Int32, DataType::Int32]
        );
        assert_eq!(
            query_strings(&f.ctx, "SELECT 1 = 1, 1 = 2, NULL = 1").await,
            vec![vec!["1", "0", "NULL"]]
        );
    }

    #[tokio::test]
    async fn grouped_division_keeps_mysql_scale() {
        let f = Fixture::new().await;
        // MariaDB 10.11: SELECT SUM(n)/COUNT(*)*100, AVG(n/3) FROM p → 300.0000, 1.20000000
        assert_eq!(
            query_strings(&f.ctx, "SELECT SUM(n)/COUNT(*)*100, AVG(n/3) FROM p").await,
            vec![vec!["300.0000", "1.20000000"]]
        );
    }
}
