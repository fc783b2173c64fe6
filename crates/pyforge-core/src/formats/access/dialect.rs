//! The SQL dialects `pyforge schema` writes, and how each quotes names and strings. Shared by
//! the DDL writer ([`super::ddl`]) and the query translator ([`super::query_sql`]).

use std::str::FromStr;

/// The SQL dialects `pyforge schema` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Databricks,
    Duckdb,
    Postgres,
    Sqlite,
}

impl Dialect {
    pub const NAMES: [&'static str; 4] = ["databricks", "duckdb", "postgres", "sqlite"];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Databricks => "databricks",
            Dialect::Duckdb => "duckdb",
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// Quote an identifier: backticks in Databricks, double quotes elsewhere, the quote
    /// character doubled inside.
    pub fn quote(self, name: &str) -> String {
        match self {
            Dialect::Databricks => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A string literal. Spark SQL reads backslash escapes in literals; the others do not.
    pub fn string(self, s: &str) -> String {
        match self {
            Dialect::Databricks => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "databricks" | "spark" => Ok(Dialect::Databricks),
            "duckdb" => Ok(Dialect::Duckdb),
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "sqlite" => Ok(Dialect::Sqlite),
            other => Err(format!("unknown SQL dialect {other:?}; expected one of {}", Dialect::NAMES.join(", "))),
        }
    }
}
