//! The structure of Access databases (keys, indexes, relationships, queries) against what
//! Jackcess' own test suite documents for the same files (IndexTest, RelationshipTest,
//! QueryTest in github.com/jahlborn/jackcess), and the Databricks DDL as a snapshot.

use pyforge_core::formats::access::ddl::{database_ddl, Dialect};
use pyforge_core::formats::access::read_structure;
use pyforge_core::formats::access::structure::{DatabaseStructure, TableStructure};
use pyforge_core::ReadOptions;

use crate::helpers::jackcess;

fn structure(name: &str) -> DatabaseStructure {
    read_structure(&jackcess(name), &ReadOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn table<'a>(s: &'a DatabaseStructure, name: &str) -> &'a TableStructure {
    s.tables.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no table {name}"))
}

/// (index name, its columns) of a table, sorted.
fn indexes(t: &TableStructure) -> Vec<(String, Vec<String>, bool)> {
    let mut v: Vec<_> = t
        .indexes
        .iter()
        .map(|i| (i.name.clone(), i.columns.iter().map(|c| c.name.clone()).collect(), i.primary))
        .collect();
    v.sort();
    v
}

const INDEX_TEST: [&str; 5] = [
    "V1997__indexTestV1997.mdb",
    "V2000__indexTestV2000.mdb",
    "V2003__indexTestV2003.mdb",
    "V2007__indexTestV2007.accdb",
    "V2010__indexTestV2010.accdb",
];

/// RelationshipTest.testTwoTables/testNoTables: two relationships between the user tables,
/// Table2Table1 (Table1.otherfk1 -> Table2.id, cascading deletes, flags 4096) and Table3Table1
/// (Table1.otherfk2 -> Table3.id, cascading updates, flags 256), both enforced.
#[test]
fn relationships_of_index_test_are_jackcess_expectations() {
    for file in INDEX_TEST {
        let s = structure(file);
        let mut user: Vec<_> = s.relationships.iter().filter(|r| !r.table.starts_with("MSys")).collect();
        user.sort_by(|a, b| a.name.cmp(&b.name));
        let got: Vec<_> = user
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.table.as_str(),
                    r.columns.clone(),
                    r.referenced_table.as_str(),
                    r.referenced_columns.clone(),
                    r.enforced,
                    r.cascade_update,
                    r.cascade_delete,
                )
            })
            .collect();
        let s = |v: &str| vec![v.to_string()];
        assert_eq!(
            got,
            vec![
                ("Table2Table1", "Table1", s("otherfk1"), "Table2", s("id"), true, false, true),
                ("Table3Table1", "Table1", s("otherfk2"), "Table3", s("id"), true, true, false),
            ],
            "{file}"
        );
    }
}

/// IndexTest.testLogicalIndexes: Table1 has the indexes "id" and "PrimaryKey" (on id, the
/// primary key) besides the foreign-key indexes of its relationships, which are the
/// relationships' and not listed; Table2 and Table3 have "id" and "PrimaryKey" besides ".rC".
#[test]
fn indexes_of_index_test_are_jackcess_expectations() {
    for file in INDEX_TEST {
        let s = structure(file);
        for name in ["Table1", "Table2", "Table3"] {
            let t = table(&s, name);
            let id = || vec!["id".to_string()];
            assert_eq!(
                indexes(t),
                vec![("PrimaryKey".into(), id(), true), ("id".into(), id(), false)],
                "{file} {name}"
            );
            assert_eq!(t.primary_key, id(), "{file} {name}");
        }
    }
}

/// IndexTest.testPrimaryKey on the testV* files: Table1's index starting with A is the primary
/// key, the one starting with B is not.
#[test]
fn primary_keys_of_test_files_are_jackcess_expectations() {
    for file in ["V1997__testV1997.mdb", "V2007__testV2007.accdb"] {
        let s = structure(file);
        let t = table(&s, "Table1");
        let firsts: Vec<_> = t.indexes.iter().map(|i| (i.columns[0].name.as_str(), i.primary)).collect();
        assert!(firsts.contains(&("A", true)) && firsts.contains(&("B", false)), "{file}: {firsts:?}");
        assert_eq!(t.primary_key, vec!["A".to_string()], "{file}");
    }
}

/// IndexTest.testUnique/testIgnoreNulls on testIndexProperties: DataIndex of TableUnique1_temp
/// and TableUnique2_temp is unique, of TableIgnoreNulls1/2 ignores nulls (mdbtools cannot name
/// the columns of several of these indexes, so Jackcess is the reference here).
#[test]
fn index_properties_are_jackcess_expectations() {
    for file in [
        "V2000__testIndexPropertiesV2000.mdb",
        "V2003__testIndexPropertiesV2003.mdb",
        "V2007__testIndexPropertiesV2007.accdb",
    ] {
        let s = structure(file);
        let data_index = |t: &str| {
            table(&s, t).indexes.iter().find(|i| i.name == "DataIndex").unwrap_or_else(|| panic!("{file} {t}")).clone()
        };
        for t in ["TableUnique1_temp", "TableUnique2_temp"] {
            assert!(data_index(t).unique, "{file} {t}");
        }
        for t in ["TableIgnoreNulls1", "TableIgnoreNulls1_temp", "TableIgnoreNulls2", "TableIgnoreNulls2_temp"] {
            let i = data_index(t);
            assert!(i.ignore_nulls && !i.unique, "{file} {t}: {i:?}");
        }
    }
}

/// The Databricks DDL of indexTest, compared with the checked-in snapshot: informational
/// PRIMARY KEY and FOREIGN KEY constraints, cascades and indexes as comments.
#[test]
fn databricks_ddl_of_index_test_is_the_snapshot() {
    // Beside this test, in the crate being tested (not the test data's repository root).
    let snapshot = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/core/snapshots/indexTestV2007.databricks.sql"
    ));
    let got = database_ddl(&structure("V2007__indexTestV2007.accdb"), Dialect::Databricks);
    let got = got.split_once('\n').map_or("", |(_, rest)| rest); // the first line names the version
    if std::env::var_os("PYFORGE_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(snapshot, got).unwrap();
    }
    let want = std::fs::read_to_string(snapshot).unwrap_or_else(|e| panic!("{}: {e}", snapshot.display()));
    assert_eq!(
        got,
        want,
        "set PYFORGE_UPDATE_SNAPSHOTS=1 to rewrite {} after checking the difference",
        snapshot.display()
    );
    for clause in [
        "CONSTRAINT `Table1_pk` PRIMARY KEY (`id`)",
        "ALTER TABLE `Table1` ADD CONSTRAINT `Table2Table1` FOREIGN KEY (`otherfk1`) REFERENCES `Table2` (`id`);",
        "ALTER TABLE `Table1` ADD CONSTRAINT `Table3Table1` FOREIGN KEY (`otherfk2`) REFERENCES `Table3` (`id`);",
    ] {
        assert!(got.contains(clause), "missing {clause:?} in\n{got}");
    }
}

/// Names with spaces, quotes, brackets and non-ASCII survive quoting in every dialect.
#[test]
fn identifiers_are_quoted_per_dialect() {
    let name = "Ümlaut \"q\" `b` [x]";
    assert_eq!(Dialect::Databricks.quote(name), "`Ümlaut \"q\" ``b`` [x]`");
    for d in [Dialect::Duckdb, Dialect::Postgres, Dialect::Sqlite] {
        assert_eq!(d.quote(name), "\"Ümlaut \"\"q\"\" `b` [x]\"");
    }
    assert_eq!(Dialect::Databricks.string("it's a\\b"), "'it\\'s a\\\\b'");
    assert_eq!(Dialect::Postgres.string("it's"), "'it''s'");
}

/// QueryTest.testReadQueries: the SQL Jackcess restores for each query of queryTest, in every
/// version (line breaks and the trailing NUL of pass-through and DDL queries aside).
#[test]
fn query_sql_is_jackcess_expectation() {
    let expected = [
        ("SelectQuery", "Select", "SELECT DISTINCT Table1.*, Table2.col1, Table2.col2, Table3.col3\nFROM (Table1 LEFT JOIN Table3 ON Table1.col1 = Table3.col1) INNER JOIN Table2 ON (Table3.col1 = Table2.col2) AND (Table3.col1 = Table2.col1)\nWHERE (((Table2.col2)=\"foo\" Or (Table2.col2) In (\"buzz\",\"bazz\")))\nORDER BY Table2.col1;"),
        ("DeleteQuery", "Delete", "DELETE Table1.col1, Table1.col2, Table1.col3\nFROM Table1\nWHERE (((Table1.col1)>\"blah\"));"),
        ("AppendQuery", "Append", "INSERT INTO Table3 (col2, col2, col3)\nSELECT [Table1].[col2], [Table2].[col2], [Table2].[col3]\nFROM Table3, Table1 INNER JOIN Table2 ON [Table1].[col1]=[Table2].[col1];"),
        ("UpdateQuery", "Update", "PARAMETERS User Name Text;\nUPDATE Table1\nSET Table1.col1 = \"foo\", Table1.col2 = [Table2].[col3], [Table2].[col1] = [User Name]\nWHERE ((([Table2].[col1]) Is Not Null));"),
        ("MakeTableQuery", "MakeTable", "SELECT Max(Table2.col1) AS MaxOfcol1, Table2.col2, Table3.col2 INTO Table4\nFROM (Table2 INNER JOIN Table1 ON Table2.col1 = Table1.col2) RIGHT JOIN Table3 ON Table1.col2 = Table3.col3\nGROUP BY Table2.col2, Table3.col2\nHAVING (((Max(Table2.col1))=\"buzz\") AND ((Table2.col2)<>\"blah\"));"),
        ("CrosstabQuery", "Crosstab", "TRANSFORM Count([Table2].[col2]) AS CountOfcol2\nSELECT Table2_1.col1, [Table2].[col3], Avg(Table2_1.col2) AS AvgOfcol2\nFROM (Table1 INNER JOIN Table2 ON [Table1].[col1]=[Table2].[col1]) INNER JOIN Table2 AS Table2_1 ON [Table2].[col1]=Table2_1.col3\nWHERE ((([Table1].[col1])>\"10\") And ((Table2_1.col1) Is Not Null) And ((Avg(Table2_1.col2))>\"10\"))\nGROUP BY Table2_1.col1, [Table2].[col3]\nORDER BY [Table2].[col3]\nPIVOT [Table1].[col1];"),
        ("UnionQuery", "Union", "Select Table1.col1, Table1.col2\nwhere Table1.col1 = \"foo\"\nUNION\nSelect Table2.col1, Table2.col2\nUNION ALL Select Table3.col1, Table3.col2\nwhere Table3.col3 > \"blah\";"),
        ("PassthroughQuery", "Passthrough", "ALTER TABLE Table4 DROP COLUMN col5;"),
        ("DataDefinitionQuery", "Ddl", "CREATE TABLE Table5 (col1 CHAR, col2 CHAR);"),
    ];
    for file in [
        "V1997__queryTestV1997.mdb",
        "V2000__queryTestV2000.mdb",
        "V2003__queryTestV2003.mdb",
        "V2007__queryTestV2007.accdb",
        "V2010__queryTestV2010.accdb",
    ] {
        let s = structure(file);
        assert_eq!(s.queries.len(), expected.len(), "{file}");
        for (name, kind, sql) in expected {
            let q = s.queries.iter().find(|q| q.name == name).unwrap_or_else(|| panic!("{file}: no query {name}"));
            assert_eq!(
                (q.query_type.as_str(), q.sql.replace("\r\n", "\n").trim_end_matches('\0')),
                (kind, sql),
                "{file} {name}"
            );
        }
    }
}

/// The saved queries in DDL: the SELECT query that translates becomes a view; the others are
/// comments giving the reason, never dropped.
#[test]
fn queries_become_views_or_reasoned_comments() {
    let ddl = database_ddl(&structure("V2007__queryTestV2007.accdb"), Dialect::Duckdb);
    for name in [
        "DeleteQuery",
        "AppendQuery",
        "UpdateQuery",
        "MakeTableQuery",
        "CrosstabQuery",
        "UnionQuery",
        "PassthroughQuery",
        "DataDefinitionQuery",
    ] {
        assert!(ddl.contains(&format!("-- query \"{name}\" (")), "{name} not listed in\n{ddl}");
    }
    assert!(ddl.contains("CREATE VIEW \"SelectQuery\" AS\nSELECT DISTINCT \"Table1\".*"), "{ddl}");
    // Its columns col1..col3 come twice (Table1.*, Table2.col1...): Databricks and PostgreSQL
    // refuse such a view, so it is a comment with the reason there.
    for d in [Dialect::Databricks, Dialect::Postgres] {
        let ddl = database_ddl(&structure("V2007__queryTestV2007.accdb"), d);
        assert!(!ddl.contains("CREATE VIEW"), "{ddl}");
        assert!(
            ddl.contains(&format!(
                "-- query {} (Select) not created as a view: two of its columns are named",
                d.quote("SelectQuery")
            )),
            "{ddl}"
        );
    }
}
