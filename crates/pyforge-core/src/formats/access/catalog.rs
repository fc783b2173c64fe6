//! The database's catalog as PyForge shows it: tables (with Arrow schemas), linked tables,
//! saved queries with their SQL, relationships and file facts.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use jetdb::{
    calculated_column_types_in, query_to_sql, read_catalog, read_complex_column, read_queries,
    read_relationships, read_table_def, CatalogEntry, ColumnType, ComplexKind, ObjectType, PageReader, TableDef, TableRows, Value,
};
use serde_json::json;

use super::file_error;
use super::schema::{access_type_name, arrow_type, effective_type, ColumnKind};
use crate::error::Result;
use crate::naming::unique_column_names;
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
}

impl AccessCatalog {
    /// Read the catalog of an opened database.
    pub fn read(path: &Path, reader: &mut PageReader, include_system: bool) -> Result<Self> {
        let entries = read_catalog(reader).map_err(|e| file_error(path, e))?;
        let mut tables = Vec::new();
        let mut linked = Vec::new();
        let targets = link_targets(reader, &entries);
        for e in &entries {
            match e.object_type {
                ObjectType::Table => {
                    // System objects by their flag, and every MSys* table (Access hides them all,
                    // e.g. MSysCompactError, which carries no system flag).
                    let system = e.is_system() || e.name.to_ascii_lowercase().starts_with("msys");
                    if system && !include_system {
                        continue;
                    }
                    tables.push(match plan_table(reader, &entries, e, system) {
                        Ok(t) => TableEntry::Ready(Arc::new(t)),
                        Err(reason) => TableEntry::Broken { name: e.name.clone(), reason },
                    });
                }
                ObjectType::LinkedTable | ObjectType::LinkedOdbcTable => {
                    let kind = if e.object_type == ObjectType::LinkedTable { "linked Access table" } else { "linked ODBC table" };
                    let mut l = json!({"name": e.name, "kind": kind});
                    if let Some(t) = targets.get(&e.name) {
                        for (key, value) in [("database", &t.database), ("foreign_name", &t.foreign_name), ("connect", &t.connect)] {
                            if let Some(v) = value {
                                l[key] = json!(v);
                            }
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
        match read_queries(reader) {
            Ok(qs) if !qs.is_empty() => {
                let qs: Vec<_> = qs
                    .iter()
                    .map(|q| {
                        let mut v = json!({"name": q.name, "type": format!("{:?}", q.query_type), "sql": query_to_sql(q)});
                        if q.incomplete {
                            v["incomplete"] = json!(true);
                        }
                        v
                    })
                    .collect();
                details.insert("queries".into(), json!(qs));
            }
            Ok(_) => {}
            Err(e) => {
                details.insert("queries_error".into(), json!(e.to_string()));
            }
        }
        match read_relationships(reader) {
            Ok(rs) if !rs.is_empty() => {
                let rs: Vec<_> = rs
                    .iter()
                    .map(|r| {
                        json!({
                            "name": r.name, "from_table": r.from_table, "to_table": r.to_table,
                            "columns": r.columns.iter().map(|c| json!([c.from_column, c.to_column])).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                details.insert("relationships".into(), json!(rs));
            }
            Ok(_) => {}
            Err(e) => {
                details.insert("relationships_error".into(), json!(e.to_string()));
            }
        }
        Ok(AccessCatalog { tables, details })
    }

    /// Facts about the database for `info`.
    pub fn details(&self) -> BTreeMap<String, serde_json::Value> {
        self.details.clone()
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
        out.insert(name, LinkTarget { database: text(&row.values, db_i), foreign_name: text(&row.values, foreign_i), connect });
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

fn plan_table(reader: &mut PageReader, entries: &[CatalogEntry], e: &CatalogEntry, system: bool) -> Result<AccessTable, String> {
    let def = read_table_def(reader, &e.name, e.table_page).map_err(|err| format!("table definition cannot be read: {err}"))?;
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
    Ok(AccessTable {
        name: e.name.clone(),
        schema: Arc::new(Schema::new(fields)),
        def,
        calculated,
        columns,
        system,
    })
}
