//! DDL that recreates an Access database's tables in another engine: types of the converted
//! data (so the Parquet files load into the tables), NOT NULL, defaults, primary keys, unique
//! and plain indexes, foreign keys from the relationships Access enforces, comments from the
//! descriptions, and views from the saved SELECT queries whose SQL translates.
//!
//! What a dialect cannot express is written as an SQL comment saying so, never dropped
//! silently: Databricks has no indexes, cascades or (without a table feature) defaults;
//! DuckDB has no cascading foreign keys and declares them only in CREATE TABLE.

use std::collections::HashSet;
use std::fmt::Write;

use arrow::datatypes::DataType;

pub use super::dialect::Dialect;
use super::query_sql::{duplicate_output_column, translate_select, KnownNames, TranslateError};
use super::structure::{ColumnStructure, DatabaseStructure, IndexInfo, RelationshipInfo, TableStructure};

/// The SQL type of a column of Arrow type `t` (the type PyForge writes it with).
pub fn sql_type(d: Dialect, t: &DataType, text_size: u16) -> String {
    use DataType as T;
    match (d, t) {
        (Dialect::Sqlite, T::Boolean) => "BOOLEAN".into(),
        (Dialect::Sqlite, T::UInt8 | T::Int16 | T::Int32 | T::Int64) => "INTEGER".into(),
        (Dialect::Sqlite, T::Float32 | T::Float64) => "REAL".into(),
        (Dialect::Sqlite, T::Decimal128(..)) => "NUMERIC".into(),
        (Dialect::Sqlite, T::Timestamp(..)) => "DATETIME".into(),
        (Dialect::Sqlite, T::Binary) => "BLOB".into(),
        // Complex columns (lists) are stored as their JSON text.
        (Dialect::Sqlite, _) => "TEXT".into(),
        (_, T::Boolean) => "BOOLEAN".into(),
        (Dialect::Duckdb, T::UInt8) => "UTINYINT".into(),
        (_, T::UInt8 | T::Int16) => "SMALLINT".into(),
        (Dialect::Databricks, T::Int32) => "INT".into(),
        (_, T::Int32) => "INTEGER".into(),
        (_, T::Int64) => "BIGINT".into(),
        (Dialect::Postgres, T::Float32) => "REAL".into(),
        (_, T::Float32) => "FLOAT".into(),
        (Dialect::Postgres, T::Float64) => "DOUBLE PRECISION".into(),
        (_, T::Float64) => "DOUBLE".into(),
        (Dialect::Postgres, T::Decimal128(p, s)) => format!("NUMERIC({p},{s})"),
        (_, T::Decimal128(p, s)) => format!("DECIMAL({p},{s})"),
        (Dialect::Databricks, T::Timestamp(..)) => "TIMESTAMP_NTZ".into(),
        (_, T::Timestamp(..)) => "TIMESTAMP".into(),
        (Dialect::Databricks, T::Utf8) => "STRING".into(),
        (Dialect::Postgres, T::Utf8) if text_size > 0 => format!("VARCHAR({text_size})"),
        (Dialect::Postgres, T::Utf8) => "TEXT".into(),
        (_, T::Utf8) => "VARCHAR".into(),
        (Dialect::Databricks, T::Binary) => "BINARY".into(),
        (Dialect::Postgres, T::Binary) => "BYTEA".into(),
        (_, T::Binary) => "BLOB".into(),
        (Dialect::Postgres, T::List(f)) if f.data_type() == &T::Utf8 => "TEXT[]".into(),
        (Dialect::Postgres, _) => "JSONB".into(),
        (Dialect::Databricks, T::List(f)) => format!("ARRAY<{}>", sql_type(d, f.data_type(), 0)),
        (Dialect::Databricks, T::Struct(fs)) => {
            let parts: Vec<_> =
                fs.iter().map(|f| format!("{}: {}", d.quote(f.name()), sql_type(d, f.data_type(), 0))).collect();
            format!("STRUCT<{}>", parts.join(", "))
        }
        (_, T::List(f)) => format!("{}[]", sql_type(d, f.data_type(), 0)),
        (_, T::Struct(fs)) => {
            let parts: Vec<_> =
                fs.iter().map(|f| format!("{} {}", d.quote(f.name()), sql_type(d, f.data_type(), 0))).collect();
            format!("STRUCT({})", parts.join(", "))
        }
        (_, other) => format!("VARCHAR /* {other} */"),
    }
}

/// The DDL of the whole database in dialect `d`.
pub fn database_ddl(s: &DatabaseStructure, d: Dialect) -> String {
    let mut out =
        format!("-- {} DDL written by PyForge {} from the Access database's structure.\n", d.name(), crate::VERSION);
    // Relationships of tables not written (system tables such as MSysNavPaneGroups) cannot
    // be constraints here.
    let names: HashSet<&str> = s.tables.iter().map(|t| t.name.as_str()).collect();
    let (kept, left_out): (Vec<_>, Vec<_>) = s
        .relationships
        .iter()
        .cloned()
        .partition(|r| names.contains(r.table.as_str()) && names.contains(r.referenced_table.as_str()));
    let s = &DatabaseStructure { tables: s.tables.clone(), relationships: kept, queries: s.queries.clone() };
    for r in &left_out {
        out.push_str(&relationship_note(r, d, "left out: it involves a table that is not written (a system table)"));
    }
    let order = creation_order(s);
    let mut created: HashSet<&str> = HashSet::new();
    let mut index_names = NameSet::default();
    for t in &order {
        out.push('\n');
        out.push_str(&create_table(s, t, d, &created));
        out.push_str(&comments(t, d));
        out.push_str(&indexes(t, d, &mut index_names));
        created.insert(t.name.as_str());
    }
    out.push_str(&foreign_keys_after(s, d));
    out.push_str(&views(s, d));
    out
}

/// Tables with the tables they refer to (enforced relationships) first, so engines that check
/// references at CREATE TABLE (DuckDB) find them; catalog order otherwise, and for cycles.
fn creation_order(s: &DatabaseStructure) -> Vec<&TableStructure> {
    let mut done: Vec<&TableStructure> = Vec::new();
    let mut left: Vec<&TableStructure> = s.tables.iter().collect();
    while !left.is_empty() {
        let ready = left.iter().position(|t| {
            s.relationships
                .iter()
                .filter(|r| r.enforced && r.table == t.name && r.referenced_table != t.name)
                .all(|r| !left.iter().any(|o| o.name == r.referenced_table))
        });
        // A cycle: take the first table left; its references become comments where needed.
        done.push(left.remove(ready.unwrap_or(0)));
    }
    done
}

/// CREATE TABLE with columns, primary key, (DuckDB) unique constraints and the inline
/// foreign keys of SQLite and DuckDB.
fn create_table(s: &DatabaseStructure, t: &TableStructure, d: Dialect, created: &HashSet<&str>) -> String {
    let mut lines: Vec<String> = t.columns.iter().map(|c| column_line(t, c, d)).collect();
    let mut notes = Vec::new();
    if !t.primary_key.is_empty() {
        let cols = quoted_list(d, &t.primary_key);
        lines.push(match d {
            Dialect::Databricks => {
                format!("    CONSTRAINT {} PRIMARY KEY ({cols})", d.quote(&format!("{}_pk", t.name)))
            }
            _ => format!("    PRIMARY KEY ({cols})"),
        });
    }
    if d == Dialect::Duckdb {
        // DuckDB's foreign keys need a PRIMARY KEY or UNIQUE constraint on the referenced
        // columns; a unique index would not do.
        for i in t.indexes.iter().filter(|i| i.unique && !i.primary) {
            lines.push(format!("    UNIQUE ({})", quoted_list(d, &index_columns(i))));
        }
    }
    if matches!(d, Dialect::Sqlite | Dialect::Duckdb) {
        for r in s.relationships.iter().filter(|r| r.table == t.name) {
            match inline_foreign_key(r, d, created, &t.name) {
                Ok((line, note)) => {
                    lines.push(line);
                    notes.extend(note);
                }
                Err(reason) => notes.push(relationship_note(r, d, &reason)),
            }
        }
    }
    let mut sql = format!("CREATE TABLE {} (\n{}\n)", d.quote(&t.name), lines.join(",\n"));
    if let (Dialect::Databricks, Some(desc)) = (d, &t.description) {
        let _ = write!(sql, "\nCOMMENT {}", d.string(desc));
    }
    sql.push_str(";\n");
    for n in notes {
        sql.push_str(&n);
    }
    sql
}

/// One column definition: name, type, NOT NULL, DEFAULT, identity and (Databricks) COMMENT.
fn column_line(t: &TableStructure, c: &ColumnStructure, d: Dialect) -> String {
    let mut line = format!("    {} {}", d.quote(&c.name), sql_type(d, &c.data_type, c.size));
    let identity = c.auto_number == Some("increment") && d == Dialect::Postgres;
    if identity {
        // BY DEFAULT, so the converted values (which keep their numbers) can be inserted.
        line.push_str(" GENERATED BY DEFAULT AS IDENTITY");
    }
    if c.required || c.auto_number.is_some() || t.primary_key.contains(&c.name) {
        line.push_str(" NOT NULL");
    }
    let mut trailing = Vec::new();
    if let Some(def) = &c.default {
        match default_literal(def, &c.data_type, d) {
            // An identity column cannot also have a default.
            Some(lit) if d != Dialect::Databricks && !identity => {
                let _ = write!(line, " DEFAULT {lit}");
            }
            // Databricks accepts DEFAULT only on tables with the allowColumnDefaults feature.
            _ => trailing.push(format!("default in Access: {}", one_line(def))),
        }
    }
    if let (Dialect::Databricks, Some(desc)) = (d, &c.description) {
        let _ = write!(line, " COMMENT {}", d.string(desc));
    }
    if let Some(a) = c.auto_number {
        trailing.push(format!("AutoNumber ({a})"));
    }
    if let Some(rule) = &c.validation_rule {
        trailing.push(format!("validation rule in Access: {}", one_line(rule)));
    }
    if !trailing.is_empty() {
        // A block comment, as the line still needs its comma after it.
        let _ = write!(line, " /* {} */", trailing.join("; ").replace("*/", "* /"));
    }
    line
}

/// The SQL literal of an Access default value when it is a plain literal of the column's type
/// (a number, a quoted string, Yes/No); `Now()` becomes CURRENT_TIMESTAMP. `None` otherwise.
fn default_literal(def: &str, t: &DataType, d: Dialect) -> Option<String> {
    let v = def.trim().trim_start_matches('=').trim();
    let numeric = matches!(
        t,
        DataType::UInt8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
    );
    let is_number =
        v.parse::<f64>().is_ok_and(f64::is_finite) && !v.contains(['e', 'E', 'x', 'X']) && !v.starts_with('+');
    match t {
        _ if numeric && is_number => Some(v.to_string()),
        DataType::Utf8 => access_string(v).or_else(|| is_number.then(|| v.to_string())).map(|s| d.string(&s)),
        DataType::Boolean => match v.to_ascii_lowercase().as_str() {
            "yes" | "true" | "-1" | "on" => Some(if d == Dialect::Sqlite { "1" } else { "TRUE" }.into()),
            "no" | "false" | "0" | "off" => Some(if d == Dialect::Sqlite { "0" } else { "FALSE" }.into()),
            _ => None,
        },
        DataType::Timestamp(..) if v.eq_ignore_ascii_case("now()") => Some("CURRENT_TIMESTAMP".into()),
        _ => None,
    }
}

/// The text of an Access string literal ("a ""b""" or 'a ''b'''), `None` for anything else.
fn access_string(v: &str) -> Option<String> {
    let q = v.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = v.strip_prefix(q)?.strip_suffix(q)?;
    let doubled = format!("{q}{q}");
    // A lone quote inside means this is an expression joining strings, not one literal.
    (!inner.replace(&doubled, "").contains(q)).then(|| inner.replace(&doubled, &q.to_string()))
}

/// Descriptions as COMMENT ON (PostgreSQL, DuckDB) or SQL comments (SQLite, which has no
/// comments on objects); Databricks has them inline.
fn comments(t: &TableStructure, d: Dialect) -> String {
    let mut out = String::new();
    let table = d.quote(&t.name);
    match d {
        Dialect::Databricks => {}
        Dialect::Postgres | Dialect::Duckdb => {
            if let Some(desc) = &t.description {
                let _ = writeln!(out, "COMMENT ON TABLE {table} IS {};", d.string(desc));
            }
            for c in &t.columns {
                if let Some(desc) = &c.description {
                    let _ = writeln!(out, "COMMENT ON COLUMN {table}.{} IS {};", d.quote(&c.name), d.string(desc));
                }
            }
        }
        Dialect::Sqlite => {
            if let Some(desc) = &t.description {
                let _ = writeln!(out, "-- {table}: {}", one_line(desc));
            }
            for c in &t.columns {
                if let Some(desc) = &c.description {
                    let _ = writeln!(out, "-- {table}.{}: {}", d.quote(&c.name), one_line(desc));
                }
            }
        }
    }
    out
}

/// Index names unique across the schema (PostgreSQL, SQLite and DuckDB name indexes per
/// schema, Access per table).
#[derive(Default)]
struct NameSet(HashSet<String>);

impl NameSet {
    fn unique(&mut self, base: String) -> String {
        let mut name = base.clone();
        let mut n = 1;
        while !self.0.insert(name.to_lowercase()) {
            n += 1;
            name = format!("{base}_{n}");
        }
        name
    }
}

/// CREATE INDEX for every index but the primary key (and, in DuckDB, the unique ones, which
/// are constraints); a comment listing them in Databricks, which has no indexes.
fn indexes(t: &TableStructure, d: Dialect, names: &mut NameSet) -> String {
    let mut out = String::new();
    for i in t.indexes.iter().filter(|i| !i.primary) {
        let cols = index_columns(i);
        if d == Dialect::Databricks {
            let unique = if i.unique { "unique " } else { "" };
            let _ = writeln!(
                out,
                "-- {unique}index {} on ({}) not created: Databricks has no indexes",
                d.quote(&i.name),
                quoted_list(d, &cols)
            );
            continue;
        }
        if d == Dialect::Duckdb && i.unique {
            continue;
        }
        let name = names.unique(format!("{}_{}", t.name, i.name));
        let cols: Vec<String> = i
            .columns
            .iter()
            .map(|c| if c.order == "desc" { format!("{} DESC", d.quote(&c.name)) } else { d.quote(&c.name) })
            .collect();
        let unique = if i.unique { "UNIQUE " } else { "" };
        let _ = writeln!(out, "CREATE {unique}INDEX {} ON {} ({});", d.quote(&name), d.quote(&t.name), cols.join(", "));
    }
    out
}

fn index_columns(i: &IndexInfo) -> Vec<String> {
    i.columns.iter().map(|c| c.name.clone()).collect()
}

/// The FOREIGN KEY line of `r` inside CREATE TABLE (SQLite, DuckDB), with a note for what the
/// dialect drops; `Err(reason)` when it cannot be declared.
fn inline_foreign_key(
    r: &RelationshipInfo,
    d: Dialect,
    created: &HashSet<&str>,
    table: &str,
) -> Result<(String, Option<String>), String> {
    if !r.enforced {
        return Err("Access does not enforce it (no referential integrity)".into());
    }
    let mut line = format!(
        "    CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
        d.quote(&r.name),
        quoted_list(d, &r.columns),
        d.quote(&r.referenced_table),
        quoted_list(d, &r.referenced_columns)
    );
    let mut note = None;
    if d == Dialect::Duckdb {
        if r.referenced_table == table || !created.contains(r.referenced_table.as_str()) {
            return Err(
                "DuckDB declares foreign keys only to tables created before (a cycle or a self-reference)".into()
            );
        }
        if r.cascade_update || r.cascade_delete {
            note = Some(relationship_note(r, d, "declared without its cascades: DuckDB has no cascading foreign keys"));
        }
    } else {
        line.push_str(&cascades(r));
    }
    Ok((line, note))
}

fn cascades(r: &RelationshipInfo) -> String {
    let mut s = String::new();
    if r.cascade_update {
        s.push_str(" ON UPDATE CASCADE");
    }
    if r.cascade_delete {
        s.push_str(" ON DELETE CASCADE");
    }
    s
}

/// ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY for PostgreSQL and Databricks, after all
/// tables exist; a comment for each relationship that is no constraint.
fn foreign_keys_after(s: &DatabaseStructure, d: Dialect) -> String {
    if !matches!(d, Dialect::Postgres | Dialect::Databricks) || s.relationships.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n");
    for r in &s.relationships {
        let reason = if !r.enforced {
            Some("Access does not enforce it (no referential integrity)".to_string())
        } else if d == Dialect::Databricks {
            databricks_fk_problem(s, r)
        } else {
            None
        };
        if let Some(reason) = reason {
            out.push_str(&relationship_note(r, d, &reason));
            continue;
        }
        let extra = if d == Dialect::Postgres { cascades(r) } else { String::new() };
        let _ = writeln!(
            out,
            "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}){extra};",
            d.quote(&r.table),
            d.quote(&r.name),
            quoted_list(d, &r.columns),
            d.quote(&r.referenced_table),
            quoted_list(d, &r.referenced_columns)
        );
        if d == Dialect::Databricks && (r.cascade_update || r.cascade_delete) {
            out.push_str(&relationship_note(
                r,
                d,
                "its cascades are not expressible: Databricks constraints are informational",
            ));
        }
    }
    out
}

/// Why `r` cannot be a Databricks foreign key: it must reference the whole primary key.
fn databricks_fk_problem(s: &DatabaseStructure, r: &RelationshipInfo) -> Option<String> {
    let parent = s.tables.iter().find(|t| t.name == r.referenced_table)?;
    let mut pk = parent.primary_key.clone();
    let mut refs = r.referenced_columns.clone();
    pk.sort();
    refs.sort();
    (pk != refs)
        .then(|| "Databricks foreign keys must reference the primary key, and this references other columns".into())
}

/// A comment describing relationship `r` and why it is not (fully) a constraint.
fn relationship_note(r: &RelationshipInfo, d: Dialect, reason: &str) -> String {
    format!(
        "-- relationship {}: {} ({}) -> {} ({}): {}\n",
        d.quote(&r.name),
        d.quote(&r.table),
        quoted_list(d, &r.columns),
        d.quote(&r.referenced_table),
        quoted_list(d, &r.referenced_columns),
        reason
    )
}

/// CREATE VIEW for each saved SELECT query whose SQL translates (in an order where each view
/// follows the views it reads); the others as comments with the reason and their Access SQL.
fn views(s: &DatabaseStructure, d: Dialect) -> String {
    if s.queries.is_empty() {
        return String::new();
    }
    let mut known = KnownNames {
        sources: s.tables.iter().map(|t| (t.name.to_lowercase(), t.name.clone())).collect(),
        columns: s.tables.iter().flat_map(|t| &t.columns).map(|c| (c.name.to_lowercase(), c.name.clone())).collect(),
        table_columns: s
            .tables
            .iter()
            .map(|t| (t.name.to_lowercase(), t.columns.iter().map(|c| c.name.clone()).collect()))
            .collect(),
    };
    let mut pending: Vec<_> = s.queries.iter().collect();
    let mut out = String::from("\n");
    // Each pass creates the views whose sources all exist; what is left after a pass that
    // created nothing cannot be created, and is listed with its reason.
    loop {
        let before = pending.len();
        let mut failed = Vec::new();
        for q in pending {
            // Databricks and PostgreSQL refuse a view with two columns of one name (SQLite
            // keeps both, DuckDB renames the second).
            let translated = translate_select(q, d, &known).and_then(|select| {
                match duplicate_output_column(q, &known)
                    .filter(|_| matches!(d, Dialect::Databricks | Dialect::Postgres))
                {
                    Some(name) => Err(TranslateError::DuplicateColumn(name)),
                    None => Ok(select),
                }
            });
            match translated {
                Ok(select) => {
                    let _ = writeln!(out, "CREATE VIEW {} AS\n{select};", d.quote(&q.name));
                    known.sources.insert(q.name.to_lowercase(), q.name.clone());
                }
                Err(reason) => failed.push((q, reason)),
            }
        }
        if failed.len() == before || failed.is_empty() {
            for (q, reason) in &failed {
                let _ = writeln!(
                    out,
                    "-- query {} ({}) not created as a view: {}",
                    d.quote(&q.name),
                    q.query_type,
                    reason.message()
                );
                for line in q.sql.lines() {
                    let _ = writeln!(out, "--   {line}");
                }
            }
            return out;
        }
        pending = failed.into_iter().map(|(q, _)| q).collect();
    }
}

fn quoted_list(d: Dialect, names: &[String]) -> String {
    names.iter().map(|n| d.quote(n)).collect::<Vec<_>>().join(", ")
}

/// Text on one line, for SQL comments.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
