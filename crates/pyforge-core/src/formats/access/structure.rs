//! The structure of an Access database beyond its rows: per table the primary key, indexes,
//! required columns, default values, descriptions and AutoNumber columns; the relationships
//! between tables; linked tables and saved queries.
//!
//! Everything here comes from jetdb: index definitions and column flags from the table
//! definitions, properties (Required, DefaultValue, Description, ValidationRule) from the
//! LvProp blob of each MSysObjects row ([`jetdb::entry_properties`]), relationships from
//! MSysRelationships and queries from MSysQueries. Column names are the output names (as the
//! Parquet files have them), so the DDL made from this structure loads the converted data.

use std::collections::HashMap;
use std::path::Path;

use arrow::datatypes::DataType;
use jetdb::{
    column_flags, entry_properties, index_flags, index_type, query_to_sql, relationship_flags, CatalogEntry,
    ColumnType, IndexColumnOrder, IndexDef, PropMapType, QueryDef, Relationship, TableDef, TextEncoding, Value,
};
use serde::Serialize;

use super::schema::{access_type_name, effective_type};

/// The structure of a whole database.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DatabaseStructure {
    pub tables: Vec<TableStructure>,
    pub relationships: Vec<RelationshipInfo>,
    pub queries: Vec<QueryInfo>,
}

/// One table: its columns with their properties, its keys and indexes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableStructure {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub columns: Vec<ColumnStructure>,
    /// The columns of the primary key (empty when the table has none).
    pub primary_key: Vec<String>,
    /// Every index but the foreign-key references and Access' hidden indexes of complex
    /// columns; the primary key's index is among them (with `primary`).
    pub indexes: Vec<IndexInfo>,
}

/// A column: output name, types and the properties that matter for DDL.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnStructure {
    pub name: String,
    /// The name in Access when the output name differs (a duplicate made unique).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_name: Option<String>,
    pub access_type: String,
    #[serde(skip)]
    pub data_type: DataType,
    /// Characters of a Text column (Access' "Field Size"); 0 for other types.
    #[serde(skip_serializing_if = "is_zero")]
    pub size: u16,
    /// NOT NULL: the Required property, or the column flag Jet keeps for it.
    pub required: bool,
    /// "increment" (Long Integer AutoNumber) or "guid" (Replication ID AutoNumber).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_number: Option<&'static str>,
    /// The DefaultValue property: an Access expression, as Access stores it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_rule: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub calculated: bool,
}

fn is_zero(n: &u16) -> bool {
    *n == 0
}

/// An index and its columns in key order.
#[derive(Debug, Clone, Serialize)]
pub struct IndexInfo {
    pub name: String,
    pub columns: Vec<IndexColumnInfo>,
    pub primary: bool,
    pub unique: bool,
    /// Every column must be non-NULL (Access' "Required" index property).
    pub required: bool,
    pub ignore_nulls: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexColumnInfo {
    pub name: String,
    /// "asc" or "desc".
    pub order: &'static str,
}

/// A relationship: `table(columns)` refers to `referenced_table(referenced_columns)`.
#[derive(Debug, Clone, Serialize)]
pub struct RelationshipInfo {
    pub name: String,
    pub table: String,
    pub columns: Vec<String>,
    pub referenced_table: String,
    pub referenced_columns: Vec<String>,
    /// Access enforces referential integrity (only then is it a foreign key).
    pub enforced: bool,
    pub cascade_update: bool,
    pub cascade_delete: bool,
}

/// A saved query with its type and Access SQL.
#[derive(Debug, Clone, Serialize)]
pub struct QueryInfo {
    pub name: String,
    /// Select, Union, Crosstab, MakeTable, Append, Update, Delete, Ddl or Passthrough.
    #[serde(rename = "type")]
    pub query_type: String,
    pub sql: String,
    /// Rows of MSysQueries were unreadable, so parts of the SQL may be missing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
}

impl RelationshipInfo {
    pub fn of(r: &Relationship) -> Self {
        RelationshipInfo {
            name: r.name.clone(),
            table: r.from_table.clone(),
            columns: r.columns.iter().map(|c| c.from_column.clone()).collect(),
            referenced_table: r.to_table.clone(),
            referenced_columns: r.columns.iter().map(|c| c.to_column.clone()).collect(),
            enforced: r.has_referential_integrity(),
            cascade_update: r.flags & relationship_flags::CASCADE_UPDATE != 0,
            cascade_delete: r.flags & relationship_flags::CASCADE_DELETE != 0,
        }
    }
}

impl QueryInfo {
    pub fn of(q: &QueryDef) -> Self {
        QueryInfo {
            name: q.name.clone(),
            query_type: format!("{:?}", q.query_type),
            sql: query_to_sql(q),
            incomplete: q.incomplete,
        }
    }
}

/// The properties of one object, by map: "" for the table, the column name for a column.
type Properties = HashMap<String, HashMap<String, Value>>;

/// The properties in the LvProp of `entry`. Unreadable properties are reported by the caller's
/// `properties_error` detail rather than failing the table, whose rows are still readable.
pub fn properties_of(entry: &CatalogEntry, text: TextEncoding) -> Result<Properties, String> {
    let props = entry_properties(entry, text).map_err(|e| e.to_string())?;
    let mut out: Properties = HashMap::new();
    for map in props.maps {
        let key = if map.map_type == PropMapType::Column { map.name } else { String::new() };
        let slot = out.entry(key).or_default();
        for p in map.properties {
            slot.entry(p.name).or_insert(p.value);
        }
    }
    Ok(out)
}

/// What the structure of a table is read from: its catalog entry, as the catalog planned it.
pub struct TableParts<'a> {
    pub name: &'a str,
    pub def: &'a TableDef,
    /// The definition's column of each output column, in output order.
    pub column_indexes: Vec<usize>,
    /// The output schema (the names and types the columns are written with).
    pub schema: &'a arrow::datatypes::Schema,
    /// Result types of calculated columns (lower-cased names).
    pub calculated: &'a HashMap<String, ColumnType>,
}

/// The structure of `table`, with the properties of its catalog entry.
pub fn table_structure(table: &TableParts, props: &Properties) -> TableStructure {
    let def = table.def;
    // Output name of each column of the definition, by column number.
    let names: HashMap<u16, &str> = table
        .column_indexes
        .iter()
        .zip(table.schema.fields())
        .map(|(i, f)| (def.columns[*i].col_num, f.name().as_str()))
        .collect();
    let columns = table
        .column_indexes
        .iter()
        .zip(table.schema.fields())
        .map(|(i, f)| {
            let col = &def.columns[*i];
            let p = props.get(&col.name);
            let get = |n: &str| p.and_then(|p| p.get(n));
            let text = |n: &str| get(n).and_then(prop_text);
            let required =
                col.flags & column_flags::NULLABLE == 0 || matches!(get("Required"), Some(Value::Bool(true)));
            let auto_number =
                col.is_auto_number().then_some(if col.col_type == ColumnType::Guid { "guid" } else { "increment" });
            let size = if effective_type(col, table.calculated) == ColumnType::Text { def.shown_size(col) } else { 0 };
            ColumnStructure {
                name: f.name().clone(),
                access_name: (f.name() != &col.name).then(|| col.name.clone()),
                access_type: access_type_name(effective_type(col, table.calculated)),
                data_type: f.data_type().clone(),
                size,
                required,
                auto_number,
                default: text("DefaultValue"),
                description: text("Description"),
                validation_rule: text("ValidationRule"),
                calculated: col.is_calculated,
            }
        })
        .collect();
    let indexes: Vec<IndexInfo> = def.indexes.iter().filter_map(|idx| index_info(def, idx, &names)).collect();
    let primary_key = indexes
        .iter()
        .find(|i| i.primary)
        .map(|i| i.columns.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    TableStructure {
        name: table.name.to_string(),
        description: props.get("").and_then(|p| p.get("Description")).and_then(prop_text),
        columns,
        primary_key,
        indexes,
    }
}

/// The index `idx`, unless it is a foreign-key reference (the relationship has it) or one of
/// the hidden indexes Access keeps on complex columns.
fn index_info(def: &TableDef, idx: &IndexDef, names: &HashMap<u16, &str>) -> Option<IndexInfo> {
    if idx.index_type == index_type::FOREIGN_KEY || idx.columns.is_empty() {
        return None;
    }
    let complex = |n: u16| def.columns.iter().any(|c| c.col_num == n && c.col_type == ColumnType::ComplexType);
    if idx.columns.iter().all(|c| complex(c.col_num)) {
        return None;
    }
    let columns = idx
        .columns
        .iter()
        .map(|c| IndexColumnInfo {
            name: names.get(&c.col_num).map_or_else(|| format!("#{}", c.col_num), |n| n.to_string()),
            order: if c.order == IndexColumnOrder::Descending { "desc" } else { "asc" },
        })
        .collect();
    Some(IndexInfo {
        name: idx.name.clone(),
        columns,
        primary: idx.index_type == index_type::PRIMARY,
        unique: idx.flags & index_flags::UNIQUE != 0 || idx.index_type == index_type::PRIMARY,
        required: idx.flags & index_flags::REQUIRED != 0,
        ignore_nulls: idx.flags & index_flags::IGNORE_NULLS != 0,
    })
}

/// A property value as text (descriptions, default expressions, validation rules).
fn prop_text(v: &Value) -> Option<String> {
    match v {
        Value::Text(s) if !s.is_empty() => Some(s.clone()),
        Value::Null | Value::Text(_) => None,
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        Value::Byte(n) => Some(n.to_string()),
        Value::Int(n) => Some(n.to_string()),
        Value::Long(n) => Some(n.to_string()),
        Value::BigInt(n) => Some(n.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// Whether the linked database `target` exists: as written, or (a link made on another
/// machine) as a file of that name beside the database being read.
pub fn link_target_exists(database: &Path, target: &str) -> bool {
    if Path::new(target).is_file() {
        return true;
    }
    let file_name = target.rsplit(['\\', '/']).next().unwrap_or(target);
    !file_name.is_empty() && database.parent().is_some_and(|dir| dir.join(file_name).is_file())
}
