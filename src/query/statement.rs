//! Routes one statement to what answers it: metadata statements here (`SHOW`, `USE`,
//! `SET`, `SELECT @@var`, waits, replica status), queries to DataFusion (`sql.rs`),
//! writes refused with 1290 like a server running with `--read-only`.
//!
//! The statement is read as MySQL reads it: plain comments dropped, version comments
//! (`/*!40101 … */`) kept as their content, trailing `;` ignored. The first keyword
//! decides; a small hand classifier, because most of these statements (SHOW variants, SET
//! forms, KILL, waits) are not in any SQL parser's dialect.

use mysql_common::value::Value as MyValue;

use super::classify::{lex, string_value, strip_comments, Kind, Token};
use super::engine::{Prepared, Session};
use super::prepare;
use super::result::{ColumnDef, Outcome, ResultSet, SqlError};
use super::show::{self, Filter};
use super::variables::{self, SetValue, Val};
use super::wait::{self, WaitFn};

/// Statements that write: refused on the read-only copy.
const WRITES: &[&str] = &[
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "LOAD",
    "CREATE",
    "ALTER",
    "DROP",
    "TRUNCATE",
    "RENAME",
    "GRANT",
    "REVOKE",
    "OPTIMIZE",
    "REPAIR",
    "ANALYZE",
    "INSTALL",
    "UNINSTALL",
    "CHANGE",
    "RESET",
    "PURGE",
    "IMPORT",
    "BINLOG",
    "CACHE",
    "HANDLER",
    "STOP",
];

/// No-ops answered with OK: transactions and locks mean nothing on a copy that only
/// changes between statements.
const NO_OPS: &[&str] = &[
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "UNLOCK",
    "LOCK",
    "DO",
    "XA",
];

/// 1290 in the flavor's words.
fn read_only(session: &Session) -> SqlError {
    let mut e = SqlError::read_only();
    if !session.engine.config.mariadb {
        e.message = "The MySQL server is running with the --read-only option so it cannot execute this statement".into();
    }
    e
}

/// Runs one statement.
pub async fn execute(session: &mut Session, sql: &str) -> Result<Outcome, SqlError> {
    // Primary-key point lookups skip DataFusion (fast_path.rs).
    if let Some(out) = super::fast_path::try_execute(session, sql, &[], false) {
        return Ok(out);
    }
    let clean = strip_comments(sql);
    let toks = lex(&clean);
    let Some(first) = toks.first() else {
        return Err(SqlError::new(1065, "42000", "Query was empty"));
    };
    let keeps_warnings =
        first.is("SHOW") || (first.is("SELECT") && toks.iter().any(|t| t.kind == Kind::Var));
    if !keeps_warnings {
        session.warnings.clear();
    }
    if first.is("SELECT") {
        return select(session, &clean, &toks).await;
    }
    if first.kind == Kind::Punct && first.text == "("
        || first.is("WITH")
        || first.is("VALUES")
        || first.is("TABLE")
    {
        return forward(session, &clean, &toks).await;
    }
    if first.kind != Kind::Word {
        return Err(show::syntax_near(&clean));
    }
    let kw = first.text.to_ascii_uppercase();
    match kw.as_str() {
        "SHOW" => show::show(session, &clean, &toks).await,
        "DESCRIBE" | "DESC" | "EXPLAIN" => describe(session, &clean, &toks).await,
        "USE" => {
            let db = toks
                .get(1)
                .map(|t| t.ident())
                .ok_or_else(|| show::syntax_near(""))?;
            use_database(session, &db)?;
            Ok(Outcome::ok())
        }
        "SET" => set(session, &clean, &toks).await,
        "KILL" => show::kill(session, &clean, &toks),
        "START" => {
            if toks.get(1).is_some_and(|t| t.is("TRANSACTION")) {
                Ok(Outcome::ok())
            } else {
                Err(read_only(session))
            }
        }
        "FLUSH" => Ok(Outcome::ok()),
        "CALL" => {
            let name = toks.get(1).map(|t| t.ident()).unwrap_or_default();
            Err(SqlError::new(
                1305,
                "42000",
                format!("PROCEDURE {name} does not exist"),
            ))
        }
        "PREPARE" | "EXECUTE" | "DEALLOCATE" | "HELP" | "CHECK" | "CHECKSUM" | "GET" => {
            Err(SqlError::not_supported(kw))
        }
        k if NO_OPS.contains(&k) => Ok(Outcome::ok()),
        k if WRITES.contains(&k) => Err(read_only(session)),
        _ => Err(show::syntax_near(&clean)),
    }
}

/// Hands a query to DataFusion, with `@@var` / `@var` references replaced by their values.
async fn forward(
    session: &mut Session,
    clean: &str,
    toks: &[Token<'_>],
) -> Result<Outcome, SqlError> {
    if !toks.iter().any(|t| t.kind == Kind::Var) {
        return super::sql::query(session, clean).await;
    }
    let text = substitute_vars(session, clean, toks)?;
    super::sql::query(session, &text).await
}

/// The statement with every variable reference replaced by its value as a literal; a
/// reference that is a whole item of the top-level select list keeps its name
/// (`@@version` → `'10.11…' AS `@@version``).
fn substitute_vars(session: &Session, clean: &str, toks: &[Token<'_>]) -> Result<String, SqlError> {
    let mut out = String::with_capacity(clean.len() + 32);
    let mut from = 0;
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate() {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth -= 1;
        }
        if t.kind != Kind::Var {
            continue;
        }
        // `@x := …` assigns: left alone.
        if toks.get(i + 1).is_some_and(|n| n.is_punct(":=")) {
            continue;
        }
        let v = variables::reference(session, t.text)?;
        out.push_str(clean.get(from..t.start).unwrap_or(""));
        out.push_str(&val_literal(&v));
        let prev_ok = i >= 1
            && toks
                .get(i - 1)
                .is_some_and(|p| p.is("SELECT") || p.is_punct(",") || p.is("DISTINCT"));
        let next_ok = toks.get(i + 1).is_none_or(|n| {
            n.is_punct(",")
                || n.is("FROM")
                || n.is("LIMIT")
                || n.is("WHERE")
                || n.is("ORDER")
                || n.is("GROUP")
                || n.is("HAVING")
                || n.is("UNION")
        });
        if depth == 0 && prev_ok && next_ok {
            out.push_str(" AS ");
            out.push_str(&prepare::quote_ident(t.text));
        }
        from = t.end;
    }
    out.push_str(clean.get(from..).unwrap_or(""));
    Ok(out)
}

fn val_literal(v: &Val) -> String {
    match v {
        Val::Null => "NULL".into(),
        Val::Int(i) => i.to_string(),
        Val::UInt(u) => u.to_string(),
        Val::Double(d) => prepare::literal(&MyValue::Double(*d)),
        Val::Bool(b) => i64::from(*b).to_string(),
        Val::Str(s) => prepare::quote(s),
    }
}

/// One item of a select list answered without DataFusion.
struct FastItem {
    column: ColumnDef,
    value: MyValue,
}

/// The split of a `SELECT` into its top-level items, `LIMIT` and whether anything else
/// (FROM a table, WHERE, …) follows; `None` when it is not of the simple form.
fn simple_select<'a, 't>(toks: &'t [Token<'a>]) -> Option<(Vec<&'t [Token<'a>]>, Option<u64>)> {
    let mut items = Vec::new();
    let mut i = 1;
    let mut start = 1;
    let mut depth = 0i32;
    let mut limit = None;
    while let Some(t) = toks.get(i) {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth -= 1;
        } else if depth == 0 && t.is_punct(",") {
            items.push(toks.get(start..i)?);
            start = i + 1;
        } else if depth == 0 && t.kind == Kind::Word && (t.is("FROM") || t.is("LIMIT")) {
            break;
        } else if depth == 0
            && t.kind == Kind::Word
            && [
                "WHERE", "INTO", "GROUP", "ORDER", "HAVING", "UNION", "FOR", "LOCK", "WINDOW",
            ]
            .iter()
            .any(|k| t.is(k))
        {
            return None;
        }
        i += 1;
    }
    items.push(toks.get(start..i)?);
    if toks.get(i).is_some_and(|t| t.is("FROM")) {
        if !toks.get(i + 1).is_some_and(|t| t.is("DUAL")) {
            return None;
        }
        i += 2;
    }
    if toks.get(i).is_some_and(|t| t.is("LIMIT")) {
        let n: u64 = toks.get(i + 1)?.text.parse().ok()?;
        limit = Some(n);
        i += 2;
        if toks.get(i).is_some_and(|t| t.is_punct(",")) {
            // LIMIT offset, count
            let count: u64 = toks.get(i + 1)?.text.parse().ok()?;
            limit = Some(if n == 0 { count } else { 0 });
            i += 2;
        } else if toks.get(i).is_some_and(|t| t.is("OFFSET")) {
            let off: u64 = toks.get(i + 1)?.text.parse().ok()?;
            if off > 0 {
                limit = Some(0);
            }
            i += 2;
        }
    }
    if i < toks.len() || items.iter().any(|it| it.is_empty()) {
        return None;
    }
    Some((items, limit))
}

/// A literal argument of a wait function.
fn literal_arg(toks: &[Token<'_>]) -> Option<MyValue> {
    match toks {
        [t] if t.kind == Kind::Str => Some(MyValue::Bytes(string_value(t.text).into_bytes())),
        [t] if t.kind == Kind::Num => num_value(t.text, false),
        [t] if t.is("NULL") => Some(MyValue::NULL),
        [m, t] if m.is_punct("-") && t.kind == Kind::Num => num_value(t.text, true),
        _ => None,
    }
}

fn num_value(text: &str, neg: bool) -> Option<MyValue> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(MyValue::Int(if neg { -i } else { i }));
    }
    let d: f64 = text.parse().ok()?;
    Some(MyValue::Double(if neg { -d } else { d }))
}

/// Evaluates one select item if it is a variable, a simple literal, a session function
/// or a wait; `Ok(None)` when DataFusion must answer it.
async fn fast_item(
    session: &Session,
    clean: &str,
    item: &[Token<'_>],
) -> Result<Option<FastItem>, SqlError> {
    // `expr AS alias` / `expr alias`.
    let (expr, alias) = match item {
        [e @ .., a, n] if a.is("AS") && matches!(n.kind, Kind::Word | Kind::Quoted | Kind::Str) => {
            (e, Some(n.ident()))
        }
        [e @ .., n]
            if e.len() == 1 && matches!(n.kind, Kind::Word | Kind::Quoted) && !n.is("NULL") =>
        {
            (e, Some(n.ident()))
        }
        _ => (item, None),
    };
    let (Some(first), Some(last)) = (expr.first(), expr.last()) else {
        return Ok(None);
    };
    let written = clean.get(first.start..last.end).unwrap_or("").to_string();
    let charset = session.vars.result_collation;
    let val = match expr {
        [t] if t.kind == Kind::Var => variables::reference(session, t.text)?,
        [t] if t.kind == Kind::Str => {
            let v = string_value(t.text);
            let name = alias.clone().unwrap_or_else(|| v.clone());
            let mut col = Val::Str(v.clone()).column(&name, charset);
            col.flags |= mysql_common::constants::ColumnFlags::NOT_NULL_FLAG;
            return Ok(Some(FastItem {
                column: col,
                value: MyValue::Bytes(v.into_bytes()),
            }));
        }
        [t] if t.kind == Kind::Num => match t.text.parse::<i64>() {
            Ok(i) => Val::Int(i),
            Err(_) => return Ok(None),
        },
        [f, open, close] if f.kind == Kind::Word && open.is_punct("(") && close.is_punct(")") => {
            let name = f.text.to_ascii_uppercase();
            match name.as_str() {
                "DATABASE" | "SCHEMA" => match &session.database {
                    Some(d) => Val::Str(d.clone()),
                    None => Val::Null,
                },
                "USER" | "SESSION_USER" | "SYSTEM_USER" => {
                    let host = session
                        .process
                        .host
                        .rsplit_once(':')
                        .map(|(h, _)| h)
                        .unwrap_or(&session.process.host);
                    Val::Str(format!("{}@{}", session.user, host))
                }
                "CURRENT_USER" => Val::Str(format!("{}@%", session.user)),
                "CONNECTION_ID" => Val::UInt(u64::from(session.process.id)),
                "VERSION" => Val::Str(session.engine.config.version.clone()),
                "LAST_INSERT_ID" => Val::UInt(0),
                _ => return Ok(None),
            }
        }
        [f, open, args @ .., close]
            if f.kind == Kind::Word && open.is_punct("(") && close.is_punct(")") =>
        {
            let Some(wf) = WaitFn::from_name(f.text) else {
                return Ok(None);
            };
            let mut values = Vec::new();
            for arg in args.split(|t| t.is_punct(",")) {
                match literal_arg(arg) {
                    Some(v) => values.push(v),
                    None => return Ok(None),
                }
            }
            let value = wait::run(session, wf, f.text, &values).await?;
            let name = alias.unwrap_or(written);
            let mut col = ColumnDef::bigint(&name, false);
            col.length = 21;
            return Ok(Some(FastItem { column: col, value }));
        }
        _ => return Ok(None),
    };
    let name = alias.unwrap_or(written);
    Ok(Some(FastItem {
        column: val.column(&name, charset),
        value: val.to_my(),
    }))
}

/// `SELECT`: variables, literals, session functions and waits without a table are
/// answered here; everything else goes to DataFusion.
async fn select(
    session: &mut Session,
    clean: &str,
    toks: &[Token<'_>],
) -> Result<Outcome, SqlError> {
    let interesting = toks.iter().any(|t| {
        t.kind == Kind::Var
            || (t.kind == Kind::Word && t.text.len() > 12 && WaitFn::from_name(t.text).is_some())
            || t.is("DATABASE")
            || t.is("SCHEMA")
            || t.is("CONNECTION_ID")
            || t.is("USER")
            || t.is("CURRENT_USER")
    });
    if !interesting {
        return super::sql::query(session, clean).await;
    }
    if let Some((items, limit)) = simple_select(toks) {
        let mut fast = Vec::with_capacity(items.len());
        for item in &items {
            match fast_item(session, clean, item).await? {
                Some(f) => fast.push(f),
                None => {
                    fast.clear();
                    break;
                }
            }
        }
        if fast.len() == items.len() {
            let (columns, row): (Vec<ColumnDef>, Vec<MyValue>) =
                fast.into_iter().map(|f| (f.column, f.value)).unzip();
            let rows = if limit == Some(0) || session.vars.sql_select_limit == 0 {
                vec![]
            } else {
                vec![row]
            };
            return Ok(Outcome::Rows(ResultSet::from_rows(columns, rows)));
        }
    }
    forward(session, clean, toks).await
}

/// `DESCRIBE t [col]`, `EXPLAIN t`, `EXPLAIN SELECT …`.
async fn describe(
    session: &mut Session,
    clean: &str,
    toks: &[Token<'_>],
) -> Result<Outcome, SqlError> {
    let second = toks.get(1);
    let is_query = second.is_some_and(|t| {
        [
            "SELECT",
            "WITH",
            "FORMAT",
            "ANALYZE",
            "EXTENDED",
            "PARTITIONS",
            "VERBOSE",
            "TABLE",
            "VALUES",
        ]
        .iter()
        .any(|k| t.is(k))
            || t.is_punct("(")
    });
    if is_query {
        let rest = second
            .map(|t| clean.get(t.start..).unwrap_or(""))
            .unwrap_or("");
        if ["INSERT", "UPDATE", "DELETE", "REPLACE"]
            .iter()
            .any(|k| toks.get(1).is_some_and(|t| t.is(k)))
        {
            return Err(read_only(session));
        }
        return super::sql::query(session, &format!("EXPLAIN {rest}")).await;
    }
    if ["INSERT", "UPDATE", "DELETE", "REPLACE"]
        .iter()
        .any(|k| second.is_some_and(|t| t.is(k)))
    {
        return Err(read_only(session));
    }
    let mut c = show::Cursor::new(clean, toks, 1);
    let first = c.name()?;
    let (db, table) = if toks.get(2).is_some_and(|t| t.is_punct(".")) {
        let mut c2 = show::Cursor::new(clean, toks, 3);
        let t = c2.name()?;
        c = c2;
        (Some(first), t)
    } else {
        (None, first)
    };
    let filter = match c.name() {
        Ok(p) => Filter::Like(p),
        Err(_) => Filter::None,
    };
    show::show_columns(session, db, &table, false, filter)
}

/// The tokens of `toks` split at top-level commas.
fn split_top<'a, 't>(toks: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth -= 1;
        } else if depth == 0 && t.is_punct(",") {
            out.push(toks.get(start..i).unwrap_or(&[]));
            start = i + 1;
        }
    }
    out.push(toks.get(start..).unwrap_or(&[]));
    out
}

fn access_denied_global(session: &Session) -> SqlError {
    let privs = if session.engine.config.mariadb {
        "SUPER"
    } else {
        "SUPER or SYSTEM_VARIABLES_ADMIN"
    };
    SqlError::new(
        1227,
        "42000",
        format!(
            "Access denied; you need (at least one of) the {privs} privilege(s) for this operation"
        ),
    )
}

/// `SET …`.
async fn set(session: &mut Session, clean: &str, toks: &[Token<'_>]) -> Result<Outcome, SqlError> {
    let body = toks.get(1..).unwrap_or(&[]);
    match body.first() {
        Some(t) if t.is("TRANSACTION") => return Ok(Outcome::ok()),
        Some(t) if t.is("PASSWORD") => return Err(read_only(session)),
        Some(t) if t.is("ROLE") => return Ok(Outcome::ok()),
        Some(t) if t.is("DEFAULT") && body.get(1).is_some_and(|n| n.is("ROLE")) => {
            return Err(read_only(session))
        }
        Some(t) if t.is("STATEMENT") => {
            // MariaDB `SET STATEMENT var=value[, …] FOR statement`: the statement runs;
            // its variable changes only last for it.
            let Some(for_at) = body.iter().position(|t| t.is("FOR")) else {
                return Err(show::syntax_near(clean));
            };
            let rest = body
                .get(for_at + 1)
                .map(|t| clean.get(t.start..).unwrap_or(""))
                .unwrap_or("");
            let saved = session.vars.clone();
            let assignments = body.get(1..for_at).unwrap_or(&[]);
            for a in split_top(assignments) {
                assign(session, clean, a, false).await?;
            }
            let r = Box::pin(execute(session, rest)).await;
            session.vars = saved;
            return r;
        }
        Some(t)
            if (t.is("GLOBAL") || t.is("SESSION") || t.is("LOCAL"))
                && body.get(1).is_some_and(|n| n.is("TRANSACTION")) =>
        {
            if t.is("GLOBAL") {
                return Err(access_denied_global(session));
            }
            return Ok(Outcome::ok());
        }
        None => return Err(show::syntax_near("")),
        _ => {}
    }
    let mut global = false;
    for a in split_top(body) {
        global = assign(session, clean, a, global).await?;
    }
    Ok(Outcome::ok())
}

/// One assignment of a `SET`; returns whether the scope is GLOBAL for the next ones.
async fn assign(
    session: &mut Session,
    clean: &str,
    a: &[Token<'_>],
    global_before: bool,
) -> Result<bool, SqlError> {
    let mut i = 0;
    let mut global = global_before;
    match a.first() {
        Some(t) if t.is("GLOBAL") || t.is("PERSIST") || t.is("PERSIST_ONLY") => {
            global = true;
            i = 1;
        }
        Some(t) if t.is("SESSION") || t.is("LOCAL") => {
            global = false;
            i = 1;
        }
        _ => {}
    }
    let Some(target) = a.get(i) else {
        return Err(show::syntax_near(""));
    };
    if target.is("NAMES") {
        let cs = a.get(i + 1).map(|t| t.ident());
        let cs = cs.filter(|c| !c.eq_ignore_ascii_case("DEFAULT"));
        let coll = if a.get(i + 2).is_some_and(|t| t.is("COLLATE")) {
            a.get(i + 3).map(|t| t.ident())
        } else {
            None
        };
        variables::set_names(session, cs.as_deref(), coll.as_deref(), true)?;
        return Ok(global);
    }
    if target.is("CHARSET") || (target.is("CHARACTER") && a.get(i + 1).is_some_and(|t| t.is("SET")))
    {
        let at = if target.is("CHARSET") { i + 1 } else { i + 2 };
        let cs = a
            .get(at)
            .map(|t| t.ident())
            .filter(|c| !c.eq_ignore_ascii_case("DEFAULT"));
        variables::set_names(session, cs.as_deref(), None, false)?;
        return Ok(global);
    }
    let eq = a.get(i + 1);
    if !eq.is_some_and(|t| t.is_punct("=") || t.is_punct(":=")) {
        // `SET @@session.x.y`, `SET x` …
        return Err(show::syntax_near(
            a.get(i + 1)
                .map(|t| clean.get(t.start..).unwrap_or(""))
                .unwrap_or(""),
        ));
    }
    let value_toks = a.get(i + 2..).unwrap_or(&[]);
    if target.kind == Kind::Var && !target.text.starts_with("@@") {
        let v = value(session, clean, value_toks).await?;
        let my = match v {
            SetValue::Default => MyValue::NULL,
            SetValue::Value(v) => v.to_my(),
        };
        variables::set_user(session, target.text, my);
        return Ok(global);
    }
    let (scope, name) = if target.kind == Kind::Var {
        let (s, n) = variables::parse_sysvar(target.text);
        // `@@global.x` is global, `@@session.x` / `@@local.x` session, `@@x` keeps the
        // statement's scope.
        let global = s == variables::Scope::Global || (global && !target.text.contains('.'));
        (global, n)
    } else {
        (global, target.ident().to_ascii_lowercase())
    };
    if scope {
        return Err(access_denied_global(session));
    }
    let v = value(session, clean, value_toks).await?;
    variables::set_session(session, &name, v)?;
    Ok(false)
}

/// The value of a `SET` right-hand side.
async fn value(
    session: &mut Session,
    clean: &str,
    toks: &[Token<'_>],
) -> Result<SetValue, SqlError> {
    let v = match toks {
        [t] if t.kind == Kind::Str => Val::Str(string_value(t.text)),
        [t] if t.kind == Kind::Num => match num_value(t.text, false) {
            Some(MyValue::Int(i)) => Val::Int(i),
            Some(MyValue::Double(d)) => Val::Double(d),
            _ => Val::Str(t.text.to_string()),
        },
        [m, t] if m.is_punct("-") && t.kind == Kind::Num => match num_value(t.text, true) {
            Some(MyValue::Int(i)) => Val::Int(i),
            Some(MyValue::Double(d)) => Val::Double(d),
            _ => Val::Str(t.text.to_string()),
        },
        [t] if t.is("DEFAULT") => return Ok(SetValue::Default),
        [t] if t.is("NULL") => Val::Null,
        [t] if t.is("ON") || t.is("TRUE") => Val::Str("ON".into()),
        [t] if t.is("OFF") || t.is("FALSE") => Val::Str("OFF".into()),
        [t] if t.kind == Kind::Word || t.kind == Kind::Quoted => Val::Str(t.ident()),
        [t] if t.kind == Kind::Var => variables::reference(session, t.text)?,
        _ => {
            // An expression: evaluated as `SELECT expr`.
            let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
                return Err(show::syntax_near(""));
            };
            let text = clean.get(first.start..last.end).unwrap_or("");
            let out = Box::pin(execute(session, &format!("SELECT {text}"))).await?;
            first_value(out).await?
        }
    };
    Ok(SetValue::Value(v))
}

/// The first column of the first row of a result, as a variable value.
async fn first_value(out: Outcome) -> Result<Val, SqlError> {
    use futures_util::StreamExt;
    let Outcome::Rows(mut rs) = out else {
        return Ok(Val::Null);
    };
    while let Some(chunk) = rs.rows.next().await {
        if let Some(v) = chunk?.into_iter().next().and_then(|r| r.into_iter().next()) {
            return Ok(match v {
                MyValue::NULL => Val::Null,
                MyValue::Int(i) => Val::Int(i),
                MyValue::UInt(u) => Val::UInt(u),
                MyValue::Double(d) => Val::Double(d),
                MyValue::Float(f) => Val::Double(f64::from(f)),
                MyValue::Bytes(b) => Val::Str(String::from_utf8_lossy(&b).into_owned()),
                other => Val::Str(prepare::literal(&other).trim_matches('\'').to_string()),
            });
        }
    }
    Ok(Val::Null)
}

/// Prepares a statement: counts its placeholders.
pub async fn prepare(session: &mut Session, sql: &str) -> Result<Prepared, SqlError> {
    let n = super::classify::count_placeholders(sql);
    let params = u16::try_from(n).map_err(|_| {
        SqlError::new(
            1390,
            "HY000",
            "Prepared statement contains too many placeholders",
        )
    })?;
    if strip_comments(sql).is_empty() {
        return Err(SqlError::new(1065, "42000", "Query was empty"));
    }
    let columns = prepared_columns(session, sql, n).await;
    Ok(Prepared {
        sql: sql.to_string(),
        params,
        columns,
    })
}

/// The result columns of a prepared query, as the prepare response must announce them
/// (libmariadb / libmysqlclient read an execute's result set only when the prepare said
/// it has columns). Found by planning the query with NULL parameters; its rows are never
/// read. Only plain `SELECT`s without waits: anything else (SET, SHOW, waits) could act
/// at prepare time, and gets no columns here (the execute response carries them).
async fn prepared_columns(session: &mut Session, sql: &str, params: usize) -> Vec<ColumnDef> {
    let tokens = super::classify::lex(sql);
    let first_is_select = tokens.first().is_some_and(|t| t.is("select"));
    let waits = tokens.iter().any(|t| {
        [
            "master_gtid_wait",
            "wait_for_executed_gtid_set",
            "master_pos_wait",
            "source_pos_wait",
            "sleep",
        ]
        .iter()
        .any(|w| t.is(w))
    });
    if !first_is_select || waits {
        return vec![];
    }
    let nulls = vec![MyValue::NULL; params];
    let Ok(text) = prepare::substitute(sql, &nulls) else {
        return vec![];
    };
    let warnings = std::mem::take(&mut session.warnings);
    let columns = match execute(session, &text).await {
        Ok(Outcome::Rows(rs)) => rs.columns,
        _ => vec![],
    };
    session.warnings = warnings;
    columns
}

/// Executes a prepared statement: parameters become literals, then it runs as a query.
pub async fn execute_prepared(
    session: &mut Session,
    prepared: &Prepared,
    params: &[MyValue],
) -> Result<Outcome, SqlError> {
    if let Some(out) = super::fast_path::try_execute(session, &prepared.sql, params, true) {
        return Ok(out);
    }
    if prepared.params == 0 && params.is_empty() {
        return execute(session, &prepared.sql).await;
    }
    let sql = prepare::substitute(&prepared.sql, params)?;
    execute(session, &sql).await
}

/// `USE db` / COM_INIT_DB: 1049 when the database is unknown.
pub fn use_database(session: &mut Session, db: &str) -> Result<(), SqlError> {
    let db = if db.eq_ignore_ascii_case(show::INFORMATION_SCHEMA) {
        show::INFORMATION_SCHEMA.to_string()
    } else {
        let cat = show::catalog(session)?;
        if !show::database_exists(&cat, db) {
            return Err(SqlError::unknown_database(db));
        }
        db.to_string()
    };
    session.process.set_db(Some(db.clone()));
    session.database = Some(db);
    Ok(())
}

/// COM_FIELD_LIST: the table's columns as result column definitions (`wildcard`, if not
/// empty, filters names like LIKE).
pub fn field_list(
    session: &Session,
    table: &str,
    wildcard: &str,
) -> Result<Vec<ColumnDef>, SqlError> {
    let cat = show::catalog(session)?;
    let entry = show::find_table(session, &cat, None, table)?;
    let layout = super::types::table_layout(entry);
    let names = entry
        .info
        .as_ref()
        .map(|i| i.columns.as_slice())
        .unwrap_or(&[]);
    let mut out = Vec::with_capacity(layout.columns.len());
    for (i, plan) in layout.columns.iter().enumerate() {
        let name = names
            .get(i)
            .map(|c| c.display_name(i))
            .unwrap_or_else(|| plan.field.name().clone());
        if !wildcard.is_empty() && !super::classify::like(&name, wildcard) {
            continue;
        }
        let mut def = super::output::column_def(&plan.field, &name, session.vars.result_collation);
        def.schema = entry.schema.clone();
        def.table = entry.name.clone();
        def.org_table = entry.name.clone();
        def.org_name = name.clone();
        out.push(def);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_selects_split_into_items() {
        let sql = "SELECT @@version_comment LIMIT 1";
        let toks = lex(sql);
        let (items, limit) = simple_select(&toks).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(limit, Some(1));
        let sql =
            "SELECT @@a AS a, @@session.b b, DATABASE(), MASTER_GTID_WAIT('0-1-5', 2) FROM DUAL";
        let toks = lex(sql);
        let (items, limit) = simple_select(&toks).unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(limit, None);
        assert!(simple_select(&lex("SELECT @@a FROM t")).is_none());
        assert!(simple_select(&lex("SELECT @@a WHERE 1")).is_none());
        assert!(simple_select(&lex("SELECT @@a, NOW()")).is_some());
    }

    #[test]
    fn top_level_commas_split() {
        let toks = lex("a = CONCAT(@@x, ','), @y := 2");
        let parts = split_top(&toks);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].len(), 3);
    }

    #[test]
    fn literal_arguments() {
        assert_eq!(
            literal_arg(&lex("'0-1-5'")),
            Some(MyValue::Bytes(b"0-1-5".to_vec()))
        );
        assert_eq!(literal_arg(&lex("-1")), Some(MyValue::Int(-1)));
        assert_eq!(literal_arg(&lex("0.5")), Some(MyValue::Double(0.5)));
        assert_eq!(literal_arg(&lex("NOW()")), None);
    }
}
