//! The catalog table MSysObjects (its definition on page 2): the columns readers look up
//! (Id, ParentId, Name, Type, Flags, LvProp for the tables' descriptions, and the usual others
//! left NULL) and one row per object.

use super::value::{Column, ColumnType, Value};
use super::TableRecord;

/// Object type of a table.
const TYPE_TABLE: i16 = 1;
/// Object type of a container.
const TYPE_CONTAINER: i16 = 3;
/// Flags of a system table: system and hidden.
const SYSTEM_FLAGS: i32 = 0x8000_0002_u32 as i32;
/// Id of the root folder.
const ROOT: i32 = 0x0F00_0000;

/// The columns of MSysObjects.
pub fn columns() -> Vec<Column> {
    use ColumnType::*;
    vec![
        Column::new("Id", Long),
        Column::new("ParentId", Long),
        Column::new("Name", Text(128)),
        Column::new("Type", Integer),
        Column::new("DateCreate", DateTime),
        Column::new("DateUpdate", DateTime),
        Column::new("Owner", Binary(255)),
        Column::new("Flags", Long),
        Column::new("Database", Memo),
        Column::new("Connect", Memo),
        Column::new("ForeignName", Text(128)),
        Column::new("RmtInfoShort", Binary(255)),
        Column::new("RmtInfoLong", Ole),
        Column::new("Lv", Ole),
        Column::new("LvProp", Ole),
        Column::new("LvModule", Ole),
        Column::new("LvExtra", Ole),
    ]
}

/// The catalog's rows: the containers, MSysObjects itself, then the user tables.
pub fn rows(tables: &[TableRecord], catalog_page: u32) -> Vec<Vec<Value>> {
    // 2000-01-01 00:00:00, a fixed creation date so that files are reproducible.
    const CREATED: i64 = 946_684_800_000_000;
    let row = |id: i32, parent: i32, name: &str, kind: i16, flags: i32| {
        let mut r = vec![Value::Null; 17];
        r[0] = Value::Long(id);
        r[1] = Value::Long(parent);
        r[2] = Value::Text(name.into());
        r[3] = Value::Integer(kind);
        r[4] = Value::DateTime(CREATED);
        r[5] = Value::DateTime(CREATED);
        r[7] = Value::Long(flags);
        r
    };
    let tables_folder = ROOT + 1;
    let mut out = vec![
        row(tables_folder, ROOT, "Tables", TYPE_CONTAINER, 0),
        row(ROOT + 2, ROOT, "Databases", TYPE_CONTAINER, 0),
        row(ROOT + 3, ROOT, "Relationships", TYPE_CONTAINER, 0),
        row(catalog_page as i32, tables_folder, "MSysObjects", TYPE_TABLE, SYSTEM_FLAGS),
    ];
    for t in tables {
        let mut r = row(t.tdef_page as i32, tables_folder, &t.name, TYPE_TABLE, 0);
        if let Some(p) = &t.properties {
            r[14] = Value::Binary(p.clone()); // LvProp
        }
        out.push(r);
    }
    out
}
