//! The database's catalog as PyForge shows it: tables (with Arrow schemas), linked tables,
//! saved queries with their SQL, relationships and file facts.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use jetdb::{
    calculated_column_types_in, read_catalog, read_complex_column, read_queries, read_relationships, read_table_def,
    CatalogEntry, ColumnType, ComplexKind, ObjectType, PageReader, TableDef, TableRows, TextEncoding, Value,
};
use serde_json::json;

use super::file_error;
use super::schema::{access_type_name, arrow_type, effective_type, ColumnKind};
use super::structure::{
    link_target_exists, properties_of, table_structure, DatabaseStructure, QueryInfo, RelationshipInfo, TableParts,
    TableStructure,
};
use crate::column_names::unique_column_names;
use crate::error::Result;
use crate::source::{ColumnInfo, TableInfo};
use crate::types::type_name;

/// One output column: where its values are in jetdb's rows and what it becomes.
#[derive(Debug, Clone)]
pub struct PlannedColumn {
    /// Index in [`TableDef::columns`].
    pub index: usize,
    /// How values are read.
    pub kind: ColumnKind,
}

/// A table ready to stream.
#[derive(Debug)]
pub struct AccessTable {
    /// Table name as stored.
    pub name: String,
    /// jetdb's table definition.
    pub def: TableDef,
    /// Result types of calculated columns (lower-cased names).
    pub calculated: HashMap<String, ColumnType>,
    /// Output columns in Access' display order.
    pub columns: Vec<PlannedColumn>,
    /// The Arrow schema of the output.
    pub schema: SchemaRef,
    /// A system (`MSys*`) table.
    pub system: bool,
    /// Keys, indexes and column properties.
    pub structure: TableStructure,
    /// Why the properties (descriptions, defaults, Required) could not be read, if so.
    pub properties_error: Option<String>,
}

/// A table entry: ready, or the reason it cannot be read (reported when it is opened, so one
/// broken table never hides the others).
#[derive(Debug)]
pub enum TableEntry {
    Ready(Arc<AccessTable>),
    Broken { name: String, reason: String },
}

impl TableEntry {
    fn name(&self) -> &str {
        match self {
            TableEntry::Ready(t) => &t.name,
            TableEntry::Broken { name, .. } => name,
        }
    }
}

/// Everything `info` shows and `convert` needs.
#[derive(Debug)]
pub struct AccessCatalog {
    pub tables: Vec<TableEntry>,
    details: BTreeMap<String, serde_json::Value>,
    relationships: Vec<RelationshipInfo>,
    queries: Vec<QueryInfo>,
}

impl AccessCatalog {
    /// Read the catalog of an opened database.
    pub fn read(path: &Path, reader: &mut PageReader, include_system: bool) -> Result<Self> {
        let entries = read_catalog(reader).map_err(|e| file_error(path, e))?;
        let mut tables = Vec::new();
        let mut linked = Vec::new();
        let targets = link_targets(reader, &entries);
        let text = reader.text_encoding();
        for e in &entries {
            match e.object_type {
                ObjectType::Table => {
                    // System objects by their flag, and every MSys* table (Access hides them all,
                    // e.g. MSysCompactError, which carries no system flag).
                    let system = e.is_system() || e.name.to_ascii_lowercase().starts_with("msys");
                    if system && !include_system {
                        continue;
                    }
                    tables.push(match plan_table(reader, &entries, e, system, text) {
                        Ok(t) => TableEntry::Ready(Arc::new(t)),
                        Err(reason) => TableEntry::Broken { name: e.name.clone(), reason },
                    });
                }
                ObjectType::LinkedTable | ObjectType::LinkedOdbcTable => {
                    let kind = if e.object_type == ObjectType::LinkedTable {
                        "linked Access table"
                    } else {
                        "linked ODBC table"
                    };
                    let mut l = json!({"name": e.name, "kind": kind});
                    if let Some(t) = targets.get(&e.name) {
                        for (key, value) in
                            [("database", &t.database), ("foreign_name", &t.foreign_name), ("connect", &t.connect)]
                        {
                            if let Some(v) = value {
                                l[key] = json!(v);
                            }
                        }
                        if let Some(db) = &t.database {
                            l["exists"] = json!(link_target_exists(path, db));
                        }
                    }
                    linked.push(l);
                }
                _ => {}
            }
        }
        let header = reader.header();
        let mut details = BTreeMap::new();
        details.insert("version".into(), json!(version_name(header.version)));
        details.insert("engine".into(), json!(header.version.short_name()));
        details.insert("code_page".into(), json!(header.code_page));
        details.insert("language_id".into(), json!(header.lang_id));
        if !linked.is_empty() {
            details.insert("linked_tables".into(), json!(linked));
        }
        let mut queries = Vec::new();
        match read_queries(reader) {
            Ok(qs) => queries = qs.iter().map(QueryInfo::of).collect(),
            Err(e) => {
                details.insert("queries_error".into(), json!(e.to_string()));
            }
        }
        if !queries.is_empty() {
            details.insert("queries".into(), json!(queries));
        }
        let mut relationships = Vec::new();
        match read_relationships(reader) {
            Ok(rs) => relationships = rs.iter().map(RelationshipInfo::of).collect(),
            Err(e) => {
                details.insert("relationships_error".into(), json!(e.to_string()));
            }
        }
        if !relationships.is_empty() {
            details
                .insert("relationships".into(), json!(relationships.iter().map(relationship_json).collect::<Vec<_>>()));
        }
        Ok(AccessCatalog { tables, details, relationships, queries })
    }

    /// Facts about the database for `info`.
    pub fn details(&self) -> BTreeMap<String, serde_json::Value> {
        self.details.clone()
    }

    /// Keys, indexes, properties, relationships and queries of the (readable) tables.
    pub fn structure(&self) -> DatabaseStructure {
        DatabaseStructure {
            tables: self
                .tables
                .iter()
                .filter_map(|t| match t {
                    TableEntry::Ready(t) => Some(t.structure.clone()),
                    TableEntry::Broken { .. } => None,
                })
                .collect(),
            relationships: self.relationships.clone(),
            queries: self.queries.clone(),
        }
    }

    /// Names of the tables, in catalog order.
    pub fn table_names(&self) -> Vec<String> {
        self.tables.iter().map(|t| t.name().to_string()).collect()
    }

    /// The entry of table `name`.
    pub fn table(&self, name: &str) -> Option<&TableEntry> {
        self.tables.iter().find(|t| t.name() == name)
    }

    /// `info`'s view of the tables.
    pub fn table_infos(&self) -> Vec<TableInfo> {
        self.tables
            .iter()
            .map(|t| match t {
                TableEntry::Ready(t) => {
                    let mut details = BTreeMap::new();
                    let access: BTreeMap<_, _> = t
                        .columns
                        .iter()
                        .zip(t.schema.fields())
                        .map(|(c, f)| {
                            let col = &t.def.columns[c.index];
                            let mut name = access_type_name(effective_type(col, &t.calculated));
                            match &c.kind {
                                ColumnKind::Complex(k, _) => name = format!("{k:?} (complex)"),
                                ColumnKind::Plain(ColumnType::ComplexType) => {
                                    name = "complex column of unknown kind (exported as its ComplexID)".into()
                                }
                                _ => {}
                            }
                            if col.is_calculated {
                                name.push_str(" (calculated)");
                            }
                            (f.name().clone(), json!(name))
                        })
                        .collect();
                    details.insert("access_types".into(), json!(access));
                    structure_details(t, &mut details);
                    if t.system {
                        details.insert("system".into(), json!(true));
                    }
                    TableInfo {
                        name: t.name.clone(),
                        rows: Some(t.def.num_rows as u64),
                        columns: t
                            .schema
                            .fields()
                            .iter()
                            .map(|f| ColumnInfo { name: f.name().clone(), data_type: type_name(f.data_type()) })
                            .collect(),
                        details,
                    }
                }
                TableEntry::Broken { name, reason } => TableInfo {
                    name: name.clone(),
                    rows: None,
                    columns: vec![],
                    details: BTreeMap::from([("error".into(), json!(reason))]),
                },
            })
            .collect()
    }
}

fn version_name(v: jetdb::JetVersion) -> &'static str {
    use jetdb::JetVersion as V;
    match v {
        V::Jet3 => "Jet 3 (Access 97)",
        V::Jet4 => "Jet 4 (Access 2000-2003)",
        V::Ace12 => "ACE 12 (Access 2007)",
        V::Ace14 => "ACE 14 (Access 2010)",
        V::Ace15 => "ACE 15 (Access 2013)",
        V::Ace16 => "ACE 16 (Access 2016)",
        V::Ace17 => "ACE 17 (Access 2019)",
        _ => "unknown Access version",
    }
}

/// Read a table's definition and decide its output columns.
/// Where a linked table points, from its MSysObjects row.
#[derive(Debug, Default)]
struct LinkTarget {
    /// The linked database file (`Database`).
    database: Option<String>,
    /// The table's name there (`ForeignName`).
    foreign_name: Option<String>,
    /// The ODBC connection string (`Connect`), with any password removed.
    connect: Option<String>,
}

/// The targets of linked tables by name. Informative only (linked tables hold no rows here), so
/// an unreadable MSysObjects gives no targets rather than an error.
fn link_targets(reader: &mut PageReader, entries: &[CatalogEntry]) -> HashMap<String, LinkTarget> {
    let mut out = HashMap::new();
    if !entries.iter().any(|e| matches!(e.object_type, ObjectType::LinkedTable | ObjectType::LinkedOdbcTable)) {
        return out;
    }
    let Some(e) = entries.iter().find(|e| e.name.eq_ignore_ascii_case("MSysObjects")) else { return out };
    let Ok(def) = read_table_def(reader, &e.name, e.table_page) else { return out };
    let col = |n: &str| def.columns.iter().position(|c| c.name.eq_ignore_ascii_case(n));
    let (Some(name_i), Some(type_i)) = (col("Name"), col("Type")) else { return out };
    let (db_i, foreign_i, connect_i) = (col("Database"), col("ForeignName"), col("Connect"));
    let calculated = calculated_column_types_in(entries, &def);
    let mut rows = TableRows::new(&def, &calculated);
    let text = |values: &[Value], i: Option<usize>| match i.and_then(|i| values.get(i)) {
        Some(Value::Text(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    // Types 4 (ODBC) and 6 (Access) are the linked tables.
    while let Ok(Some(row)) = rows.next_row(reader) {
        let linked = matches!(row.values.get(type_i), Some(Value::Int(4 | 6)) | Some(Value::Long(4 | 6)));
        let Some(name) = text(&row.values, Some(name_i)).filter(|_| linked) else { continue };
        let connect = text(&row.values, connect_i).map(|c| without_password(&c));
        out.insert(
            name,
            LinkTarget { database: text(&row.values, db_i), foreign_name: text(&row.values, foreign_i), connect },
        );
    }
    out
}

/// An ODBC connection string without its `PWD=`/`Password=` parts (never shown).
fn without_password(connect: &str) -> String {
    connect
        .split(';')
        .filter(|part| {
            let key = part.split('=').next().unwrap_or("").trim().to_ascii_lowercase();
            key != "pwd" && key != "password"
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn plan_table(
    reader: &mut PageReader,
    entries: &[CatalogEntry],
    e: &CatalogEntry,
    system: bool,
    text: TextEncoding,
) -> Result<AccessTable, String> {
    let def = read_table_def(reader, &e.name, e.table_page)
        .map_err(|err| format!("table definition cannot be read: {err}"))?;
    let calculated = calculated_column_types_in(entries, &def);
    let mut order: Vec<usize> = (0..def.columns.len()).collect();
    // Access' display order when it is a permutation; the stored order otherwise.
    let mut display: Vec<u16> = def.columns.iter().map(|c| c.display_index).collect();
    display.sort_unstable();
    if display.iter().enumerate().all(|(i, &d)| d as usize == i) {
        order.sort_by_key(|&i| def.columns[i].display_index);
    }
    let mut columns = Vec::with_capacity(order.len());
    for i in order {
        let col = &def.columns[i];
        let kind = if col.col_type == ColumnType::ComplexType && !system {
            match read_complex_column(reader, entries, &def, col) {
                Ok(Some(c)) if c.kind() == ComplexKind::Unknown => ColumnKind::Plain(ColumnType::ComplexType),
                Ok(Some(c)) => ColumnKind::Complex(c.kind(), Arc::new(c)),
                Ok(None) => ColumnKind::Plain(ColumnType::ComplexType),
                Err(err) => return Err(format!("complex column {:?} cannot be read: {err}", col.name)),
            }
        } else {
            ColumnKind::Plain(effective_type(col, &calculated))
        };
        columns.push(PlannedColumn { index: i, kind });
    }
    let names = unique_column_names(columns.iter().map(|c| def.columns[c.index].name.clone()).collect());
    let fields: Vec<Field> = columns
        .iter()
        .zip(names)
        .map(|(c, n)| Field::new(n, arrow_type(&def.columns[c.index], &c.kind), true))
        .collect();
    let mut table = AccessTable {
        name: e.name.clone(),
        schema: Arc::new(Schema::new(fields)),
        def,
        calculated,
        columns,
        system,
        structure: TableStructure::default(),
        properties_error: None,
    };
    let props = properties_of(e, text).unwrap_or_else(|err| {
        table.properties_error = Some(err);
        Default::default()
    });
    let parts = TableParts {
        name: &table.name,
        def: &table.def,
        column_indexes: table.columns.iter().map(|c| c.index).collect(),
        schema: &table.schema,
        calculated: &table.calculated,
    };
    table.structure = table_structure(&parts, &props);
    Ok(table)
}

/// A relationship in `info`'s details: the former keys (from_table, to_table, column pairs)
/// and the structure's (columns on each side, enforced, cascades).
fn relationship_json(r: &RelationshipInfo) -> serde_json::Value {
    let mut v = json!(r);
    v["from_table"] = json!(r.table);
    v["to_table"] = json!(r.referenced_table);
    v["column_pairs"] = json!(r.columns.iter().zip(&r.referenced_columns).collect::<Vec<_>>());
    v
}

/// The keys, indexes and column properties of `t` in its `info` details; only the columns
/// with something to say are listed under "column_properties".
fn structure_details(t: &AccessTable, details: &mut BTreeMap<String, serde_json::Value>) {
    let s = &t.structure;
    if let Some(d) = &s.description {
        details.insert("description".into(), json!(d));
    }
    if !s.primary_key.is_empty() {
        details.insert("primary_key".into(), json!(s.primary_key));
    }
    if !s.indexes.is_empty() {
        details.insert("indexes".into(), json!(s.indexes));
    }
    let props: BTreeMap<_, _> = s
        .columns
        .iter()
        .filter_map(|c| {
            let mut v = json!(c);
            let o = v.as_object_mut()?;
            for k in ["name", "access_type", "size", "calculated"] {
                o.remove(k);
            }
            if o.get("required") == Some(&json!(false)) {
                o.remove("required");
            }
            (!o.is_empty()).then(|| (c.name.clone(), v))
        })
        .collect();
    if !props.is_empty() {
        details.insert("column_properties".into(), json!(props));
    }
    if let Some(e) = &t.properties_error {
        details.insert("properties_error".into(), json!(e));
    }
}
