//! Translation of simple Access SELECT queries to other SQL dialects, for views.
//!
//! Only what means the same everywhere is translated: column lists, `*`, joins, WHERE with
//! comparisons, AND/OR/NOT, IS NULL, IN, BETWEEN, GROUP BY, HAVING, ORDER BY, the five
//! aggregates, numbers and strings. Anything else (Access functions, LIKE with Access
//! wildcards, `&`, date literals, TOP, DISTINCTROW, parameters) is refused with the reason, and
//! the query is listed as a comment instead: a wrong view is worse than none. So is a view
//! whose columns would have the same name twice (`Table1.*, Table2.col1`), where the dialect
//! refuses that (Databricks, PostgreSQL; Access tells them apart by their table).

use std::collections::{HashMap, HashSet};

use super::dialect::Dialect;
use super::structure::QueryInfo;

/// Why a query is not a view.
#[derive(Debug, Clone, PartialEq)]
pub enum TranslateError {
    /// Not a SELECT query (an action, union, crosstab, DDL or pass-through query).
    NotSelect(String),
    /// Access SQL with no faithful translation.
    Unsupported(String),
    /// A source that is neither a table nor a view created (maybe not yet).
    Missing(String),
    /// Two output columns of this name (compared without case).
    DuplicateColumn(String),
}

impl TranslateError {
    pub fn message(&self) -> String {
        match self {
            TranslateError::NotSelect(t) => format!("a {t} query, not a SELECT"),
            TranslateError::Unsupported(what) => format!("its SQL uses {what}, which is not translated"),
            TranslateError::Missing(name) => {
                format!("it reads {name:?}, which is neither a table nor a view created here")
            }
            TranslateError::DuplicateColumn(name) => format!(
                "two of its columns are named {name:?} (Access tells them apart by their table), and a view's column names must differ"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Word(String),
    Str(String),
    Num(String),
    Punct(String),
}

const KEYWORDS: &[&str] = &[
    "SELECT", "DISTINCT", "FROM", "WHERE", "AND", "OR", "NOT", "AS", "ORDER", "BY", "ASC", "DESC", "GROUP", "HAVING",
    "INNER", "LEFT", "RIGHT", "OUTER", "JOIN", "ON", "IS", "NULL", "IN", "BETWEEN", "TRUE", "FALSE", "ALL",
];
const AGGREGATES: &[&str] = &["COUNT", "SUM", "AVG", "MIN", "MAX"];
/// Words that end the list of sources of a FROM clause.
const AFTER_FROM: &[&str] = &["WHERE", "GROUP", "ORDER", "HAVING", "ON"];

/// Names by their lower-case form: Access compares names without case, and quoted names keep
/// the spelling of the table, view or column.
pub struct KnownNames {
    /// Tables and the views created so far.
    pub sources: HashMap<String, String>,
    /// Columns of the tables.
    pub columns: HashMap<String, String>,
    /// The columns of each table, by the table's lower-case name.
    pub table_columns: HashMap<String, Vec<String>>,
}

/// The SELECT statement of query `q` in dialect `d`.
pub fn translate_select(q: &QueryInfo, d: Dialect, known: &KnownNames) -> Result<String, TranslateError> {
    if q.query_type != "Select" {
        return Err(TranslateError::NotSelect(q.query_type.clone()));
    }
    if q.incomplete {
        return Err(TranslateError::Unsupported("rows of MSysQueries that could not be read".into()));
    }
    let sql = q.sql.trim().trim_end_matches(';');
    // Checked first: the declarations end with a `;`, which the tokenizer would refuse first.
    if sql.get(..10).is_some_and(|w| w.eq_ignore_ascii_case("PARAMETERS")) {
        return Err(TranslateError::Unsupported("PARAMETERS".into()));
    }
    let tokens = tokenize(sql)?;
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut in_from = false;
    for (i, t) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &tokens[p]);
        let next = tokens.get(i + 1);
        let text = match t {
            Token::Word(w) => {
                let up = w.to_ascii_uppercase();
                if up == "FROM" || up == "JOIN" {
                    in_from = true;
                } else if AFTER_FROM.contains(&up.as_str()) {
                    in_from = false;
                }
                let call = next == Some(&Token::Punct("(".into()));
                if KEYWORDS.contains(&up.as_str()) || (call && AGGREGATES.contains(&up.as_str())) {
                    up
                } else if is_reserved_access(&up) {
                    return Err(TranslateError::Unsupported(up));
                } else if call {
                    return Err(TranslateError::Unsupported(format!("the Access function {w}()")));
                } else {
                    identifier(w, prev, next, in_from, d, known)?
                }
            }
            Token::Ident(name) => identifier(name, prev, next, in_from, d, known)?,
            Token::Str(s) => d.string(s),
            Token::Num(n) | Token::Punct(n) => n.clone(),
        };
        out.push(text);
    }
    Ok(join_tokens(&out))
}

/// A column name that the select list of `q` gives twice (compared without case), as far as
/// it can be told: `T.*` gives the columns of table `T`, `T.c` and `c` give `c`, an item with
/// `AS` its alias; expressions and a bare `*` are not counted.
pub fn duplicate_output_column(q: &QueryInfo, known: &KnownNames) -> Option<String> {
    let tokens = tokenize(q.sql.trim().trim_end_matches(';')).ok()?;
    let is = |t: &Token, word: &str| matches!(t, Token::Word(w) if w.eq_ignore_ascii_case(word));
    let mut start = tokens.iter().position(|t| is(t, "SELECT"))? + 1;
    while tokens.get(start).is_some_and(|t| is(t, "DISTINCT") || is(t, "ALL")) {
        start += 1;
    }
    let mut items: Vec<Vec<&Token>> = vec![Vec::new()];
    let mut depth = 0i32;
    for t in &tokens[start..] {
        match t {
            _ if depth == 0 && is(t, "FROM") => break,
            Token::Punct(p) if p == "," && depth == 0 => {
                items.push(Vec::new());
                continue;
            }
            Token::Punct(p) if p == "(" => depth += 1,
            Token::Punct(p) if p == ")" => depth -= 1,
            _ => {}
        }
        if let Some(item) = items.last_mut() {
            item.push(t);
        }
    }
    let name = |t: &Token| match t {
        Token::Ident(s) | Token::Word(s) => Some(s.clone()),
        _ => None,
    };
    let punct = |t: &Token, p: &str| matches!(t, Token::Punct(x) if x == p);
    let mut seen = HashSet::new();
    for item in items {
        let names: Vec<String> = match item.as_slice() {
            [.., as_word, alias] if is(as_word, "AS") => name(alias).into_iter().collect(),
            [table, dot, star] if punct(dot, ".") && punct(star, "*") => {
                name(table).and_then(|t| known.table_columns.get(&t.to_lowercase())).cloned().unwrap_or_default()
            }
            [_, dot, column] if punct(dot, ".") => name(column).into_iter().collect(),
            [column] => name(column).into_iter().collect(),
            _ => Vec::new(),
        };
        for n in names {
            if !seen.insert(n.to_lowercase()) {
                return Some(n);
            }
        }
    }
    None
}

/// Words Access SQL gives a meaning the other dialects do not share.
fn is_reserved_access(up: &str) -> bool {
    matches!(
        up,
        "LIKE"
            | "TOP"
            | "DISTINCTROW"
            | "PARAMETERS"
            | "WITH"
            | "OWNERACCESS"
            | "MOD"
            | "TRANSFORM"
            | "PIVOT"
            | "UNION"
            | "INTO"
            | "EXISTS"
    )
}

/// A name, quoted for `d` and spelt as its table, view or column is. In a FROM clause a name
/// in source position (after FROM, JOIN, a comma or an opening parenthesis) must be a table or
/// view already created; so must a qualifier (`name.`), unless it is an alias.
fn identifier(
    name: &str,
    prev: Option<&Token>,
    next: Option<&Token>,
    in_from: bool,
    d: Dialect,
    known: &KnownNames,
) -> Result<String, TranslateError> {
    let lower = name.to_lowercase();
    let source = known.sources.get(&lower);
    let canonical = source.or_else(|| known.columns.get(&lower));
    let source_position = in_from
        && match prev {
            Some(Token::Word(w)) => w.eq_ignore_ascii_case("FROM") || w.eq_ignore_ascii_case("JOIN"),
            Some(Token::Punct(p)) => p == "," || p == "(",
            _ => false,
        };
    if source_position && source.is_none() && next != Some(&Token::Punct(".".into())) {
        return Err(TranslateError::Missing(name.to_string()));
    }
    Ok(d.quote(canonical.map_or(name, String::as_str)))
}

/// Spaces between tokens except around `.` and inside parentheses' edges.
fn join_tokens(parts: &[String]) -> String {
    let mut s = String::new();
    for (i, p) in parts.iter().enumerate() {
        let call = p == "(" && i > 0 && AGGREGATES.contains(&parts[i - 1].as_str());
        let glue =
            i > 0 && !call && !matches!(p.as_str(), "." | "," | ")") && !matches!(parts[i - 1].as_str(), "." | "(");
        if glue {
            s.push(' ');
        }
        s.push_str(p);
    }
    s
}

fn tokenize(sql: &str) -> Result<Vec<Token>, TranslateError> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let (token, len) = match c {
            '[' => {
                let end =
                    find(&chars, i + 1, ']').ok_or_else(|| TranslateError::Unsupported("an unclosed [name]".into()))?;
                (Token::Ident(chars[i + 1..end].iter().collect()), end + 1 - i)
            }
            '"' | '\'' => quoted(&chars, i)?,
            '#' => return Err(TranslateError::Unsupported("a #date# literal".into())),
            '0'..='9' => {
                let len = chars[i..].iter().take_while(|c| c.is_ascii_digit() || **c == '.').count();
                (Token::Num(chars[i..i + len].iter().collect()), len)
            }
            c if c.is_alphabetic() || c == '_' => {
                let len = chars[i..].iter().take_while(|c| c.is_alphanumeric() || **c == '_').count();
                (Token::Word(chars[i..i + len].iter().collect()), len)
            }
            _ => operator(&chars, i)?,
        };
        tokens.push(token);
        i += len;
    }
    Ok(tokens)
}

fn find(chars: &[char], from: usize, c: char) -> Option<usize> {
    chars[from..].iter().position(|x| *x == c).map(|p| from + p)
}

/// A string literal starting at `i`, its quote doubled inside.
fn quoted(chars: &[char], i: usize) -> Result<(Token, usize), TranslateError> {
    let q = chars[i];
    let mut s = String::new();
    let mut j = i + 1;
    while j < chars.len() {
        if chars[j] == q {
            if chars.get(j + 1) == Some(&q) {
                s.push(q);
                j += 2;
                continue;
            }
            return Ok((Token::Str(s), j + 1 - i));
        }
        s.push(chars[j]);
        j += 1;
    }
    Err(TranslateError::Unsupported("an unclosed string".into()))
}

/// An operator or punctuation mark; `&`, `?` and the like are refused.
fn operator(chars: &[char], i: usize) -> Result<(Token, usize), TranslateError> {
    let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
    if matches!(two.as_str(), "<>" | "<=" | ">=") {
        return Ok((Token::Punct(two), 2));
    }
    let c = chars[i];
    if ".,()*=<>+-/".contains(c) {
        return Ok((Token::Punct(c.to_string()), 1));
    }
    Err(TranslateError::Unsupported(format!("the operator {c:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(sql: &str) -> QueryInfo {
        QueryInfo { name: "q".into(), query_type: "Select".into(), sql: sql.into(), incomplete: false }
    }

    fn known() -> KnownNames {
        let map = |names: &[&str]| names.iter().map(|n| (n.to_lowercase(), n.to_string())).collect();
        let table_columns = [("table1".to_string(), vec!["col1".to_string(), "col2".to_string()])].into();
        KnownNames { sources: map(&["Table1", "Table2"]), columns: map(&["col1", "my col"]), table_columns }
    }

    #[test]
    fn duplicate_output_columns_are_found() {
        let k = known();
        let dup = |sql: &str| duplicate_output_column(&q(sql), &k);
        assert_eq!(dup("SELECT DISTINCT Table1.*, Table2.Col2 FROM Table1, Table2"), Some("Col2".into()));
        assert_eq!(dup("SELECT Table1.col1, [Table2].[col1] FROM Table1, Table2;"), Some("col1".into()));
        assert_eq!(dup("SELECT col1, Table2.col1 AS other FROM Table1, Table2"), None);
        assert_eq!(dup("SELECT Count(col1), Max(col1), * FROM Table1"), None);
        assert_eq!(dup("SELECT Table1.*, Table2.x FROM Table1, Table2"), None);
    }

    #[test]
    fn simple_selects_translate_with_quoted_names() {
        let sql = "SELECT DISTINCT table1.*, Table2.[My Col] AS x\nFROM Table1 LEFT JOIN Table2 ON Table1.col1 = Table2.col1\nWHERE Table1.col1 <> \"it's\" ORDER BY Table1.col1 DESC;";
        let got = translate_select(&q(sql), Dialect::Duckdb, &known()).unwrap();
        assert_eq!(
            got,
            "SELECT DISTINCT \"Table1\".*, \"Table2\".\"my col\" AS \"x\" FROM \"Table1\" LEFT JOIN \"Table2\" ON \"Table1\".\"col1\" = \"Table2\".\"col1\" WHERE \"Table1\".\"col1\" <> 'it''s' ORDER BY \"Table1\".\"col1\" DESC"
        );
        let got = translate_select(&q("SELECT Count(*) FROM [Table1]"), Dialect::Databricks, &known()).unwrap();
        assert_eq!(got, "SELECT COUNT(*) FROM `Table1`");
    }

    #[test]
    fn access_only_sql_is_refused_with_the_reason() {
        let k = known();
        let refused = |sql: &str| translate_select(&q(sql), Dialect::Postgres, &k).unwrap_err();
        assert_eq!(
            refused("SELECT IIf(col1 > 1, 1, 0) FROM Table1"),
            TranslateError::Unsupported("the Access function IIf()".into())
        );
        assert_eq!(refused("SELECT * FROM Table1 WHERE col1 LIKE \"a*\""), TranslateError::Unsupported("LIKE".into()));
        assert_eq!(
            refused("SELECT * FROM Table1 WHERE col1 = #1/1/2000#"),
            TranslateError::Unsupported("a #date# literal".into())
        );
        assert_eq!(refused("SELECT col1 & \"x\" FROM Table1"), TranslateError::Unsupported("the operator '&'".into()));
        assert_eq!(
            refused("PARAMETERS p Long;\nSELECT * FROM Table1"),
            TranslateError::Unsupported("PARAMETERS".into())
        );
        assert_eq!(refused("SELECT * FROM Other"), TranslateError::Missing("Other".into()));
        assert_eq!(refused("SELECT * FROM col1"), TranslateError::Missing("col1".into()));
        let crosstab = QueryInfo { query_type: "Crosstab".into(), ..q("TRANSFORM ...") };
        assert_eq!(
            translate_select(&crosstab, Dialect::Sqlite, &k).unwrap_err(),
            TranslateError::NotSelect("Crosstab".into())
        );
    }
}
