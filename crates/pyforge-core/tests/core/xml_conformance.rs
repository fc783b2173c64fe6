//! The W3C XML Conformance Test Suite (OASIS, Sun and IBM collections in
//! testdata/xml/conformance): every not-well-formed case must be refused, every valid and
//! invalid (well-formed, only against its DTD) case read. The number of cases in each class is
//! asserted exactly, so a catalogue read wrongly cannot pass by running fewer cases.
//!
//! Cases knowingly skipped, with the reason:
//! - `ENTITIES` other than `none`: the case needs an external entity or the external DTD subset
//!   (its error, or the declaration it relies on, sits in another file); PyForge never fetches
//!   external entities.
//! - `EDITION` not naming 5: not-wf only under editions 1 to 4 (the fifth edition widened the
//!   name characters, which these cases test; PyForge follows the fifth edition). Not all of
//!   them are well-formed under it either (some also have two root elements), so they are
//!   neither required to pass nor to fail.
//! - `TYPE="error"`: an optional error a processor may or may not report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pyforge_core::ReadOptions;

#[derive(Debug)]
struct Case {
    id: String,
    kind: String,
    path: PathBuf,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    for q in ['"', '\''] {
        let key = format!(" {name}={q}");
        let key2 = format!("\t{name}={q}");
        let key3 = format!("\n{name}={q}");
        for k in [key, key2, key3] {
            if let Some(at) = tag.find(&k) {
                let rest = &tag[at + k.len()..];
                return rest.find(q).map(|end| rest[..end].to_string());
            }
        }
    }
    None
}

/// Why a case is skipped, if it is.
fn skip_reason(tag: &str) -> Option<&'static str> {
    let entities = attr(tag, "ENTITIES").unwrap_or_else(|| "none".into());
    if attr(tag, "TYPE").as_deref() == Some("error") {
        return Some("optional error");
    }
    if attr(tag, "EDITION").is_some_and(|e| !e.split_whitespace().any(|x| x == "5")) {
        return Some("not-wf only before the fifth edition");
    }
    if entities != "none" {
        return Some("needs external entities, never fetched");
    }
    None
}

/// The cases of one catalogue (paths relative to the catalogue's folder), and the skipped count.
fn catalogue(file: &Path, skipped: &mut BTreeMap<&'static str, usize>) -> Vec<Case> {
    let text = std::fs::read_to_string(file).unwrap();
    let dir = file.parent().unwrap();
    let mut cases = Vec::new();
    for chunk in text.split("<TEST").skip(1) {
        if !chunk.starts_with(char::is_whitespace) {
            continue; // <TESTCASES>
        }
        let tag = format!(" {}", &chunk[..chunk.find('>').unwrap()]);
        if let Some(why) = skip_reason(&tag) {
            *skipped.entry(why).or_default() += 1;
            continue;
        }
        let path = dir.join(attr(&tag, "URI").unwrap());
        assert!(path.is_file(), "{} names a missing file", path.display());
        cases.push(Case { id: attr(&tag, "ID").unwrap(), kind: attr(&tag, "TYPE").unwrap(), path });
    }
    cases
}

fn all_cases() -> (Vec<Case>, BTreeMap<&'static str, usize>) {
    let root = pyforge_testdata::path("xml/conformance");
    let files = [
        "oasis/oasis.xml",
        "sun/sun-not-wf.xml",
        "sun/sun-valid.xml",
        "sun/sun-invalid.xml",
        "sun/sun-error.xml",
        "ibm/ibm_oasis_not-wf.xml",
        "ibm/ibm_oasis_valid.xml",
        "ibm/ibm_oasis_invalid.xml",
    ];
    let (mut all, mut skipped) = (Vec::new(), BTreeMap::new());
    for f in files {
        all.extend(catalogue(&root.join(f), &mut skipped));
    }
    (all, skipped)
}

/// Read every table of the document through the library, as `pyforge validate` does.
fn read_all(path: &Path) -> pyforge_core::Result<()> {
    let source = pyforge_core::open(path, &ReadOptions::default())?;
    for t in source.tables()? {
        for batch in source.open_table(&t.name)? {
            batch?;
        }
    }
    Ok(())
}

#[test]
fn w3c_conformance_suite() {
    let (cases, skipped) = all_cases();
    let mut wrong = Vec::new();
    let (mut not_wf, mut valid, mut invalid) = (0, 0, 0);
    for c in &cases {
        let got = std::panic::catch_unwind(|| read_all(&c.path)).unwrap_or_else(|_| panic!("{}: panic", c.id));
        match c.kind.as_str() {
            "not-wf" => {
                not_wf += 1;
                match got {
                    Ok(()) => wrong.push(format!("{} {}: accepted", c.id, c.path.display())),
                    Err(e) => {
                        let msg = e.to_string();
                        let named = msg.contains(c.path.file_name().unwrap().to_str().unwrap());
                        if !named {
                            wrong.push(format!("{}: error does not name the file: {msg}", c.id));
                        }
                    }
                }
            }
            kind => {
                if kind == "valid" {
                    valid += 1;
                } else {
                    invalid += 1;
                }
                if let Err(e) = got {
                    wrong.push(format!("{} {}: refused: {e}", c.id, c.path.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases wrong:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
    assert_eq!((not_wf, valid, invalid), (675, 151, 125), "cases per class (not-wf, valid, invalid)");
    let skipped: Vec<_> = skipped.into_iter().collect();
    assert_eq!(
        skipped,
        [
            ("needs external entities, never fetched", 166),
            ("not-wf only before the fifth edition", 307),
            ("optional error", 11)
        ],
        "cases skipped, by reason"
    );
}
