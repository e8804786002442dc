//! Queries through Apache DataFusion over a pinned view of the copy.
//!
//! [`query`] parses with the MySQL dialect, lower-cases identifiers (MySQL column names
//! are case-insensitive; table lookups are case-insensitive in `context.rs`), plans in the
//! statement's context, and streams the result: Arrow batches become protocol rows
//! (`output.rs`) chunk by chunk. `sql_select_limit` caps a SELECT without LIMIT;
//! `max_execution_time` and `KILL QUERY` stop the stream with error 1317.
//!
//! Result column names are MySQL's: the expression as written (`COUNT(*)`, `a+1`), the
//! alias, or for `*` the column names as defined on the source.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::physical_plan::execute_stream;
use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{
    Expr, Ident, ObjectName, ObjectNamePart, Query, Select, SelectItem, SetExpr, Spanned,
    Statement, TableFactor, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::MySqlDialect;
use futures_util::StreamExt;
use jiff::tz::TimeZone;

use super::context::statement_context;
use super::engine::Session;
use super::output::{column_def, RowWriter};
use super::process::Process;
use super::result::{Outcome, ResultSet, RowChunk, SqlError};

/// Plans and runs a query; its rows stream from one pinned view of the store.
pub async fn query(session: &mut Session, sql: &str) -> Result<Outcome, SqlError> {
    let started = Instant::now();
    let mut statements = DFParser::parse_sql_with_dialect(sql, &MySqlDialect {})
        .map_err(|e| SqlError::syntax(e.to_string()))?;
    if statements.len() > 1 {
        return Err(SqlError::syntax("one statement at a time"));
    }
    let Some(statement) = statements.pop_front() else {
        return Err(SqlError::new(1065, "42000", "Query was empty"));
    };
    let DfStatement::Statement(mut statement) = statement else {
        return Err(SqlError::not_supported(sql.trim()));
    };
    check_read_only(&statement, sql)?;
    let names = match statement.as_ref() {
        Statement::Query(q) => display_names(q, sql),
        _ => vec![],
    };
    let has_limit = match statement.as_ref() {
        Statement::Query(q) => q.limit_clause.is_some() || q.fetch.is_some(),
        _ => true,
    };
    // MySQL-only syntax the planner cannot take as parsed (src/query/mysql).
    super::mysql::rewrite_statement(statement.as_mut());
    let _ = statement.as_mut().visit(&mut Lowercase);

    let ctx = statement_context(session)?;
    let state = session_state(session, ctx.state)?;
    let mut plan = state
        .statement_to_plan(DfStatement::Statement(statement))
        .await
        .map_err(|e| map_error(e, session))?;
    let select_limit = session.vars.sql_select_limit;
    if !has_limit && select_limit != u64::MAX {
        let n = usize::try_from(select_limit).unwrap_or(usize::MAX);
        plan = LogicalPlanBuilder::from(plan)
            .limit(0, Some(n))
            .and_then(|b| b.build())
            .map_err(|e| map_error(e, session))?;
    }
    let physical = state
        .create_physical_plan(&plan)
        .await
        .map_err(|e| map_error(e, session))?;
    let stream = execute_stream(physical, state.task_ctx()).map_err(|e| map_error(e, session))?;
    let schema = stream.schema();
    let columns = result_columns(&schema, &names, session.vars.result_collation);
    let tz = session_time_zone(&session.vars.time_zone);
    let writer = RowWriter::new(schema.fields(), tz);
    let deadline = match session.vars.max_execution_time_ms {
        0 => None,
        ms => Some(started + Duration::from_millis(ms)),
    };
    let rows = row_stream(
        stream,
        writer,
        session.process.clone(),
        deadline,
        session.database.clone(),
    );
    Ok(Outcome::Rows(ResultSet { columns, rows }))
}

/// The session-dependent functions (`DATABASE()`, `NOW()` in the session zone, …)
/// installed on the statement's state.
fn session_state(
    session: &Session,
    state: datafusion::execution::context::SessionState,
) -> Result<datafusion::execution::context::SessionState, SqlError> {
    let ctx = datafusion::execution::context::SessionContext::new_with_state(state);
    let info = super::mysql::SessionInfo {
        database: session.database.clone(),
        user: format!("{}@{}", session.user, session.process.host),
        connection_id: u64::from(session.process.id),
        version: session.engine.config.version.clone(),
        time_zone: session.vars.time_zone.clone(),
    };
    super::mysql::install_session(&ctx, &info).map_err(|e| SqlError::internal(e.to_string()))?;
    Ok(ctx.state())
}

/// Writes and DDL are refused as on a `--read-only` server; other non-queries are not
/// supported here.
fn check_read_only(statement: &Statement, sql: &str) -> Result<(), SqlError> {
    match statement {
        Statement::Query(_) | Statement::Explain { .. } => Ok(()),
        Statement::Insert { .. }
        | Statement::Update { .. }
        | Statement::Delete { .. }
        | Statement::Merge { .. }
        | Statement::CreateTable { .. }
        | Statement::CreateView { .. }
        | Statement::CreateIndex { .. }
        | Statement::CreateSchema { .. }
        | Statement::CreateDatabase { .. }
        | Statement::AlterTable { .. }
        | Statement::Drop { .. }
        | Statement::Truncate { .. } => Err(SqlError::read_only()),
        _ => Err(SqlError::not_supported(sql.trim())),
    }
}

/// How the top-level SELECT's result columns are named.
#[derive(Debug, Clone, PartialEq)]
enum Name {
    /// This exact name.
    Given(String),
    /// A `*` or `t.*`: the columns' own names.
    Wildcard,
}

/// The names MySQL gives the result columns of `query`, from the text as written.
fn display_names(query: &Query, sql: &str) -> Vec<Name> {
    let mut body = query.body.as_ref();
    loop {
        match body {
            SetExpr::SetOperation { left, .. } => body = left.as_ref(),
            SetExpr::Query(q) => body = q.body.as_ref(),
            _ => break,
        }
    }
    let SetExpr::Select(select) = body else {
        return vec![];
    };
    select_names(select, sql)
}

fn select_names(select: &Select, sql: &str) -> Vec<Name> {
    select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(Expr::Identifier(i)) => Name::Given(i.value.clone()),
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => {
                Name::Given(parts.last().map(|i| i.value.clone()).unwrap_or_default())
            }
            SelectItem::UnnamedExpr(e) => Name::Given(expression_text(e, sql)),
            SelectItem::ExprWithAlias { alias, .. } => Name::Given(alias.value.clone()),
            SelectItem::ExprWithAliases { aliases, .. } => {
                Name::Given(aliases.first().map(|a| a.value.clone()).unwrap_or_default())
            }
            SelectItem::QualifiedWildcard(..) | SelectItem::Wildcard(_) => Name::Wildcard,
        })
        .collect()
}

/// The text of `e` as written in `sql` (MySQL names a computed column by it), else as
/// the parser prints it.
pub(crate) fn expression_text(e: &Expr, sql: &str) -> String {
    // A unary operator's span starts at its operand: take the operator written before it.
    if let Expr::UnaryOp { op, expr } = e {
        let symbol = op.to_string();
        if symbol.len() == 1 {
            let inner = expression_text(expr, sql);
            let span = expr.span();
            if let Some(start) = offset(sql, span.start.line, span.start.column) {
                let before = sql.get(..start).unwrap_or("").trim_end();
                if let Some(head) = before.strip_suffix(symbol.as_str()) {
                    if let Some(written) = sql.get(head.len()..start) {
                        return format!("{written}{inner}");
                    }
                }
            }
            return format!("{symbol}{inner}");
        }
    }
    let printed = e.to_string();
    let span = e.span();
    let (Some(start), Some(mut end)) = (
        offset(sql, span.start.line, span.start.column),
        offset(sql, span.end.line, span.end.column),
    ) else {
        return printed;
    };
    let Some(text) = sql.get(start..end) else {
        return printed;
    };
    // Spans of calls may end at the function name or before the closing parenthesis:
    // extend to the parenthesis that balances the expression.
    let bytes = sql.as_bytes();
    let mut depth: i64 = text.bytes().filter(|b| *b == b'(').count() as i64
        - text.bytes().filter(|b| *b == b')').count() as i64;
    if !text.contains('(') && printed.ends_with(')') {
        while bytes.get(end).is_some_and(|b| b.is_ascii_whitespace()) {
            end += 1;
        }
        if bytes.get(end) != Some(&b'(') {
            return printed;
        }
        depth = 1;
        end += 1;
    }
    while depth > 0 {
        match bytes.get(end) {
            None => return printed,
            Some(b'(') => depth += 1,
            Some(b')') => depth -= 1,
            Some(&q) if q == b'\'' || q == b'"' || q == b'`' => {
                end += 1;
                while bytes.get(end).is_some_and(|b| *b != q) {
                    end += 1;
                }
            }
            _ => {}
        }
        end += 1;
    }
    // A window function's span ends before its OVER clause: take the clause as written.
    if matches!(e, Expr::Function(f) if f.over.is_some()) {
        end = window_end(bytes, end).unwrap_or(end);
    }
    match sql.get(start..end) {
        Some(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => printed,
    }
}

/// The end of `OVER (…)` / `OVER name` following byte offset `from`, if it is there.
fn window_end(bytes: &[u8], from: usize) -> Option<usize> {
    let skip_ws = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let i = skip_ws(from);
    let word = bytes.get(i..i + 4)?;
    if !word.eq_ignore_ascii_case(b"over") {
        return None;
    }
    let mut i = skip_ws(i + 4);
    if bytes.get(i) != Some(&b'(') {
        // A named window.
        let start = i;
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'`')
        {
            i += 1;
        }
        return (i > start).then_some(i);
    }
    let mut depth = 0i64;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'\'' | b'"' | b'`' => {
                i += 1;
                while bytes.get(i).is_some_and(|c| *c != b) {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Byte offset of a 1-based line and column (in characters).
fn offset(sql: &str, line: u64, column: u64) -> Option<usize> {
    if line == 0 || column == 0 {
        return None;
    }
    let mut l = 1u64;
    let mut c = 1u64;
    for (i, ch) in sql.char_indices() {
        if l == line && c == column {
            return Some(i);
        }
        if ch == '\n' {
            l += 1;
            c = 1;
        } else {
            c += 1;
        }
    }
    (l == line && c == column).then_some(sql.len())
}

/// Result column definitions: MySQL names for the top-level SELECT's items.
fn result_columns(
    schema: &SchemaRef,
    names: &[Name],
    result_collation: u16,
) -> Vec<super::result::ColumnDef> {
    let fields = schema.fields();
    let own_name = |f: &datafusion::arrow::datatypes::Field| {
        f.metadata()
            .get(super::types::META_NAME)
            .cloned()
            .unwrap_or_else(|| f.name().clone())
    };
    // Align names to fields: items before the (only) wildcard from the start, items
    // after it from the end; with no wildcard one to one.
    let wildcards = names.iter().filter(|n| **n == Name::Wildcard).count();
    let mut given: Vec<Option<String>> = vec![None; fields.len()];
    if wildcards == 0 && names.len() == fields.len() {
        for (g, n) in given.iter_mut().zip(names) {
            if let Name::Given(s) = n {
                *g = Some(s.clone());
            }
        }
    } else if wildcards == 1 {
        let pos = names.iter().position(|n| *n == Name::Wildcard).unwrap_or(0);
        for (i, n) in names.iter().enumerate().take(pos) {
            if let (Name::Given(s), Some(g)) = (n, given.get_mut(i)) {
                *g = Some(s.clone());
            }
        }
        let after = names.len() - pos - 1;
        for k in 0..after {
            if let (Some(Name::Given(s)), Some(i)) = (
                names.get(pos + 1 + k),
                (fields.len() + k).checked_sub(after),
            ) {
                if let Some(g) = given.get_mut(i) {
                    *g = Some(s.clone());
                }
            }
        }
    }
    fields
        .iter()
        .zip(given)
        .map(|(f, g)| {
            let name = g.unwrap_or_else(|| own_name(f));
            column_def(f, &name, result_collation)
        })
        .collect()
}

/// Lower-cases identifiers (quoted or not): MySQL column and alias names are
/// case-insensitive, and table names are looked up case-insensitively.
struct Lowercase;

fn lower(i: &mut Ident) {
    if i.value.bytes().any(|b| b.is_ascii_uppercase()) || !i.value.is_ascii() {
        i.value = i.value.to_lowercase();
    }
}

fn lower_name(n: &mut ObjectName) {
    for part in &mut n.0 {
        if let ObjectNamePart::Identifier(i) = part {
            lower(i);
        }
    }
}

fn lower_set_expr(body: &mut SetExpr) {
    match body {
        SetExpr::Select(s) => {
            for item in &mut s.projection {
                match item {
                    SelectItem::ExprWithAlias { alias, .. } => lower(alias),
                    SelectItem::ExprWithAliases { aliases, .. } => {
                        aliases.iter_mut().for_each(lower)
                    }
                    _ => {}
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            lower_set_expr(left);
            lower_set_expr(right);
        }
        _ => {}
    }
}

impl VisitorMut for Lowercase {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Some(with) = &mut query.with {
            for cte in &mut with.cte_tables {
                lower(&mut cte.alias.name);
                for c in &mut cte.alias.columns {
                    lower(&mut c.name);
                }
            }
        }
        lower_set_expr(&mut query.body);
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        lower_name(relation);
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let alias = match factor {
            TableFactor::Table { alias, .. }
            | TableFactor::Derived { alias, .. }
            | TableFactor::NestedJoin { alias, .. }
            | TableFactor::UNNEST { alias, .. }
            | TableFactor::TableFunction { alias, .. }
            | TableFactor::Function { alias, .. } => alias,
            _ => return ControlFlow::Continue(()),
        };
        if let Some(a) = alias {
            lower(&mut a.name);
            for c in &mut a.columns {
                lower(&mut c.name);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(i) => lower(i),
            Expr::CompoundIdentifier(parts) => parts.iter_mut().for_each(lower),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The session's `time_zone`: `SYSTEM`, `+hh:mm`/`-hh:mm`, or a zone name (UTC when
/// unknown).
pub fn session_time_zone(text: &str) -> TimeZone {
    let t = text.trim();
    if t.eq_ignore_ascii_case("SYSTEM") {
        return TimeZone::system();
    }
    if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix('-')) {
        let sign: i32 = if t.starts_with('-') { -1 } else { 1 };
        if let Some((h, m)) = rest.split_once(':') {
            if let (Ok(h), Ok(m)) = (h.parse::<i32>(), m.parse::<i32>()) {
                if let Ok(off) = jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)) {
                    return TimeZone::fixed(off);
                }
            }
        }
    }
    TimeZone::get(t).unwrap_or(TimeZone::UTC)
}

/// The result rows: each batch converted, the stream stopped with 1317 on `KILL QUERY`
/// or when the deadline passes.
fn row_stream(
    stream: SendableRecordBatchStream,
    writer: RowWriter,
    process: Arc<Process>,
    deadline: Option<Instant>,
    database: Option<String>,
) -> futures_util::stream::BoxStream<'static, Result<RowChunk, SqlError>> {
    struct St {
        stream: SendableRecordBatchStream,
        writer: RowWriter,
        process: Arc<Process>,
        deadline: Option<Instant>,
        database: Option<String>,
        done: bool,
    }
    let st = St {
        stream,
        writer,
        process,
        deadline,
        database,
        done: false,
    };
    Box::pin(
        futures_util::stream::unfold(st, |mut st| async move {
            if st.done {
                return None;
            }
            let process = st.process.clone();
            let sleep = async {
                match st.deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            };
            let next = tokio::select! {
                biased;
                _ = process.kill_query.notified() => Some(Err(SqlError::interrupted())),
                _ = sleep => Some(Err(SqlError::interrupted())),
                b = st.stream.next() => b.map(|r| match r {
                    Ok(batch) => st.writer.rows(&batch),
                    Err(e) => Err(map_error_db(e, st.database.as_deref())),
                }),
            };
            match next {
                None => None,
                Some(Err(e)) => {
                    st.done = true;
                    Some((Err(e), st))
                }
                Some(Ok(rows)) => Some((Ok(rows), st)),
            }
        })
        .filter(|r| std::future::ready(!matches!(r, Ok(rows) if rows.is_empty()))),
    )
}

/// The MySQL error for a DataFusion error.
pub fn map_error(e: DataFusionError, session: &Session) -> SqlError {
    map_error_db(e, session.database.as_deref())
}

fn map_error_db(e: DataFusionError, database: Option<&str>) -> SqlError {
    let root = e.find_root();
    if let DataFusionError::External(inner) = root {
        if let Some(s) = inner.downcast_ref::<SqlError>() {
            return s.clone();
        }
    }
    match root {
        DataFusionError::SQL(p, _) => return SqlError::syntax(p.to_string()),
        DataFusionError::SchemaError(se, _) => {
            if let datafusion::common::SchemaError::FieldNotFound { field, .. } = se.as_ref() {
                return SqlError::unknown_column(&field.name, "field list");
            }
        }
        _ => {}
    }
    let text = root.to_string();
    if let Some(rest) = text.split("table '").nth(1) {
        if text.contains("not found") {
            let name = rest.split('\'').next().unwrap_or("");
            let parts: Vec<&str> = name.split('.').collect();
            let (db, t) = match parts.as_slice() {
                [.., db, t] => (db.to_string(), t.to_string()),
                [t] => match database {
                    Some(d) => (d.to_string(), t.to_string()),
                    None => return SqlError::no_database(),
                },
                _ => (String::new(), name.to_string()),
            };
            return SqlError::no_such_table(&db, &t);
        }
    }
    SqlError::internal(strip_prefixes(&text))
}

fn strip_prefixes(text: &str) -> String {
    let mut t = text;
    for p in [
        "Error during planning: ",
        "Execution error: ",
        "This feature is not implemented: ",
        "Arrow error: ",
    ] {
        if let Some(r) = t.strip_prefix(p) {
            t = r;
        }
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> Box<Statement> {
        let mut s = DFParser::parse_sql_with_dialect(sql, &MySqlDialect {}).unwrap();
        match s.pop_front().unwrap() {
            DfStatement::Statement(s) => s,
            _ => panic!(),
        }
    }

    #[test]
    fn names_are_the_text_as_written() {
        let sql =
            "SELECT COUNT(*), a+1, `LastUpdated`, t.Id, x AS Total, *, concat('x', Id ), 2 FROM t";
        let Statement::Query(q) = *parse(sql) else {
            panic!()
        };
        let n = display_names(&q, sql);
        assert_eq!(
            n,
            vec![
                Name::Given("COUNT(*)".into()),
                Name::Given("a+1".into()),
                Name::Given("LastUpdated".into()),
                Name::Given("Id".into()),
                Name::Given("Total".into()),
                Name::Wildcard,
                Name::Given("concat('x', Id )".into()),
                Name::Given("2".into()),
            ]
        );
    }

    #[test]
    fn identifiers_are_lowercased() {
        let mut s = parse("WITH C AS (SELECT `A` FROM `Orders` O) SELECT O.X AS Y FROM C");
        let _ = s.visit(&mut Lowercase);
        assert_eq!(
            s.to_string(),
            "WITH c AS (SELECT `a` FROM `orders` o) SELECT o.x AS y FROM c"
        );
    }

    #[test]
    fn time_zones() {
        let tz = session_time_zone("+02:30");
        let ts = jiff::Timestamp::from_second(0).unwrap();
        assert_eq!(tz.to_datetime(ts).hour(), 2);
        assert_eq!(session_time_zone("-01:00").to_datetime(ts).hour(), 23);
        assert_eq!(session_time_zone("UTC").to_datetime(ts).hour(), 0);
    }

    #[test]
    fn writes_are_refused() {
        let s = parse("INSERT INTO t VALUES (1)");
        assert_eq!(check_read_only(&s, "").unwrap_err().code, 1290);
        let s = parse("SELECT 1");
        assert!(check_read_only(&s, "").is_ok());
    }
}
