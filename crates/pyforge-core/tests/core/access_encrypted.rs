//! The encrypted Access databases of Jackcess-encrypt (testdata/access/jackcess-encrypt): each
//! opens with the password its README gives, or none for RC4 page encoding, and reads the rows
//! upstream's CryptCodecProviderTest expects; a missing or wrong password is a `Protected` error
//! naming the file.
//!
//! The Office-encrypted files have no second reader here (mdbtools cannot decrypt them), so the
//! proof that every page decrypts is that the whole catalog reads: every system table, and in
//! MSysObjects the user tables under their names.

use std::collections::BTreeMap;
use std::path::PathBuf;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int16Type, Int32Type};
use arrow::record_batch::RecordBatch;
use pyforge_core::{open, Error, ReadOptions, Source};

use crate::helpers::{read_table, some, strings};

fn enc(name: &str) -> PathBuf {
    pyforge_testdata::path(&format!("access/jackcess-encrypt/src__test__data__{name}"))
}

fn options(password: Option<&str>, include_system: bool) -> ReadOptions {
    ReadOptions { password: password.map(str::to_string), include_system, ..ReadOptions::default() }
}

fn source(name: &str, password: Option<&str>, include_system: bool) -> Box<dyn Source> {
    let path = enc(name);
    open(&path, &options(password, include_system)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Table name -> row count the catalog records.
fn tables(source: &dyn Source) -> BTreeMap<String, u64> {
    source.tables().unwrap().into_iter().map(|t| (t.name, t.rows.expect("Access records row counts"))).collect()
}

fn ints(b: &RecordBatch, col: &str) -> Vec<Option<i32>> {
    let a = b.column_by_name(col).unwrap_or_else(|| panic!("no column {col}")).as_primitive::<Int32Type>();
    (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i))).collect()
}

fn detail(source: &dyn Source, key: &str) -> String {
    source.details().get(key).and_then(|v| v.as_str()).unwrap_or_else(|| panic!("no detail {key}")).to_string()
}

/// The error of opening `name` with `password`, which must fail.
fn open_error(name: &str, password: Option<&str>) -> Error {
    match open(&enc(name), &options(password, false)) {
        Ok(_) => panic!("{name} opened with password {password:?}"),
        Err(e) => e,
    }
}

/// Every system table reads in full, and MSysObjects lists `user_table` as a local table
/// (type 1): only a catalog whose pages all decrypted gives that.
fn assert_catalog_decrypts(name: &str, password: Option<&str>, user_table: &str) {
    let s = source(name, password, true);
    let listed = tables(&*s);
    assert!(listed.contains_key("MSysQueries"), "{name}: {listed:?}");
    for (table, rows) in &listed {
        assert_eq!(read_table(&*s, table).num_rows() as u64, *rows, "{name}: {table}");
    }
    let objects = read_table(&*s, "MSysObjects");
    let names = strings(&objects, "Name");
    let types = objects.column_by_name("Type").unwrap().as_primitive::<Int16Type>();
    let at = names
        .iter()
        .position(|n| n.as_deref() == Some(user_table))
        .unwrap_or_else(|| panic!("{name}: {user_table} not in MSysObjects {names:?}"));
    assert_eq!(types.value(at), 1, "{name}: {user_table} is a local table");
    assert!(names.iter().any(|n| n.as_deref() == Some("MSysQueries")), "{name}");
}

/// upstream doCheckJetDb: Table1 = (1, "hello", 0), (2, "world", 42).
fn assert_jet_table1(name: &str, password: Option<&str>) {
    let s = source(name, password, false);
    assert_eq!(tables(&*s), BTreeMap::from([("Table1".to_string(), 2)]), "{name}");
    let b = read_table(&*s, "Table1");
    assert_eq!(ints(&b, "ID"), vec![Some(1), Some(2)], "{name}");
    assert_eq!(strings(&b, "col1"), some(&["hello", "world"]), "{name}");
    assert_eq!(ints(&b, "col2"), vec![Some(0), Some(42)], "{name}");
}

#[test]
fn jet4_rc4_page_encoding_opens_without_a_password() {
    assert_jet_table1("db-enc.mdb", None);
    assert_eq!(detail(&*source("db-enc.mdb", None, false), "engine"), "JET4");
}

#[test]
fn jet3_rc4_page_encoding_opens_without_a_password() {
    assert_jet_table1("db97-enc.mdb", None);
    assert_eq!(detail(&*source("db97-enc.mdb", None, false), "engine"), "JET3");
}

#[test]
fn rc4_page_encoding_ignores_a_password_given_anyway() {
    // A converter run over a folder with --password meets these too: the key is in the file,
    // so a password must neither be needed nor get in the way.
    assert_jet_table1("db-enc.mdb", Some("Test123"));
    assert_jet_table1("db97-enc.mdb", Some("Test123"));
}

/// upstream doCheckOfficeDb: Table1 = (1, "foo").
fn assert_office_table1(name: &str) {
    let s = source(name, Some("Test123"), false);
    assert_eq!(tables(&*s), BTreeMap::from([("Table1".to_string(), 1)]), "{name}");
    let b = read_table(&*s, "Table1");
    assert_eq!(ints(&b, "ID"), vec![Some(1)], "{name}");
    assert_eq!(strings(&b, "Field1"), some(&["foo"]), "{name}");
}

#[test]
fn access_2007_rc4_cryptoapi_opens_with_its_password() {
    assert_office_table1("db2007-oldenc.accdb");
    assert_eq!(detail(&*source("db2007-oldenc.accdb", Some("Test123"), false), "engine"), "ACE12");
    assert_catalog_decrypts("db2007-oldenc.accdb", Some("Test123"), "Table1");
}

#[test]
fn access_2010_standard_encryption_opens_with_its_password() {
    assert_office_table1("db2007-enc.accdb");
    assert_catalog_decrypts("db2007-enc.accdb", Some("Test123"), "Table1");
}

#[test]
fn access_2013_agile_encryption_opens_with_its_password() {
    // upstream doCheckOffice2013Db.
    let s = source("db2013-enc.accdb", Some("1234"), false);
    assert_eq!(tables(&*s), BTreeMap::from([("Customers".to_string(), 7)]));
    let b = read_table(&*s, "Customers");
    assert_eq!(ints(&b, "ID"), (1..=7).map(Some).collect::<Vec<_>>());
    let want = [Some("Test"), Some("Test2"), Some("a"), None, Some("c"), Some("d"), Some("f")];
    assert_eq!(strings(&b, "Field1"), want.map(|v| v.map(str::to_string)).to_vec());
    assert_catalog_decrypts("db2013-enc.accdb", Some("1234"), "Customers");
}

#[test]
fn non_standard_crypto_provider_opens_with_its_password() {
    // upstream testNonStandardProvider only asks for Table_One and its ID column.
    let s = source("db-nonstandard.accdb", Some("password"), false);
    assert_eq!(tables(&*s), BTreeMap::from([("Table_One".to_string(), 1)]));
    let b = read_table(&*s, "Table_One");
    assert_eq!(b.schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>(), ["ID", "Field1"]);
    assert_eq!(ints(&b, "ID"), vec![Some(1)]);
    assert_catalog_decrypts("db-nonstandard.accdb", Some("password"), "Table_One");
}

#[test]
fn office_encryption_without_a_password_is_a_protected_error_naming_the_file() {
    for name in ["db2007-oldenc.accdb", "db2007-enc.accdb", "db2013-enc.accdb", "db-nonstandard.accdb"] {
        let e = open_error(name, None);
        assert!(matches!(e, Error::Protected { .. }), "{name}: {e:?}");
        let msg = e.to_string();
        assert!(msg.contains(name) && msg.contains("--password") && !msg.contains('\n'), "{msg}");
    }
}

#[test]
fn office_encryption_with_a_wrong_password_is_a_protected_error_naming_the_file() {
    // Passwords that are right for a sibling file, so a decryptor that ignored the file's own
    // salt and verifier would let them through.
    for (name, wrong) in [
        ("db2007-oldenc.accdb", "WrongPassword"),
        ("db2007-enc.accdb", "1234"),
        ("db2013-enc.accdb", "Test123"),
        ("db-nonstandard.accdb", "Password"),
    ] {
        let e = open_error(name, Some(wrong));
        assert!(matches!(e, Error::Protected { .. }), "{name}: {e:?}");
        let msg = e.to_string();
        assert!(msg.contains(name) && msg.contains("does not open") && !msg.contains('\n'), "{msg}");
    }
}
