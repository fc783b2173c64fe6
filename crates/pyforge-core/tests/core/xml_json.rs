//! XML and JSON readers end to end: records, repeated children, namespaces, encodings,
//! compression, concatenated documents, malformed input and entity bombs.

use std::io::Write;
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Int64Type};
use pyforge_core::{ArrayMode, NamespaceMode, ReadOptions};

use crate::helpers::{cast_strings, some, write_file};

fn read(path: &Path, opts: &ReadOptions) -> RecordBatch {
    let source = pyforge_core::open(path, opts).unwrap_or_else(|e| panic!("open: {e}"));
    let tables = source.tables().unwrap();
    assert_eq!(tables.len(), 1);
    let stream = source.open_table(&tables[0].name).unwrap();
    let schema = stream.schema();
    let batches: Vec<RecordBatch> = stream.map(|b| b.unwrap()).collect();
    let batch = concat_batches(&schema, &batches).unwrap();
    assert_eq!(Some(batch.num_rows() as u64), tables[0].rows, "info row count agrees with the rows read");
    batch
}

fn err(path: &Path, opts: &ReadOptions) -> String {
    let r = pyforge_core::open(path, opts).and_then(|s| {
        let t = s.tables()?;
        let stream = s.open_table(&t[0].name)?;
        for b in stream {
            b?;
        }
        Ok(())
    });
    r.expect_err("expected an error").to_string()
}

fn list(b: &RecordBatch, col: &str, row: usize) -> Vec<Option<String>> {
    let a = b.column_by_name(col).unwrap_or_else(|| panic!("no column {col}: {:?}", b.schema()));
    let l = a.as_list::<i32>().value(row);
    let l = arrow::compute::cast(&l, &DataType::Utf8).unwrap();
    let s = l.as_string::<i32>();
    (0..s.len()).map(|i| s.is_valid(i).then(|| s.value(i).to_string())).collect()
}

const BOOKS: &str = r#"<?xml version="1.0"?>
<catalog>
  <book id="1"><title>A</title><author>X</author><author>Y</author><price>9.5</price></book>
  <book id="2"><title>B &amp; C</title><author>Z</author><price>10</price><note><![CDATA[<raw> & kept]]></note></book>
  <book id="3"><title>Mixed <b>bold</b> tail</title><price/></book>
</catalog>
"#;

#[test]
fn repeated_children_become_complete_lists() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "books.xml", BOOKS.as_bytes());
    let b = read(&p, &ReadOptions::default());
    assert_eq!(b.num_rows(), 3);
    assert_eq!(b.schema().field_with_name("id").unwrap().data_type(), &DataType::Int64);
    assert_eq!(b.schema().field_with_name("price").unwrap().data_type(), &DataType::Float64);
    assert_eq!(list(&b, "author", 0), some(&["X", "Y"]));
    assert_eq!(list(&b, "author", 1), some(&["Z"]));
    assert!(list(&b, "author", 2).is_empty());
    assert_eq!(cast_strings(&b, "title"), vec![Some("A".into()), Some("B & C".into()), Some("Mixed  tail".into())]);
    assert_eq!(cast_strings(&b, "title_b"), vec![None, None, Some("bold".into())]);
    assert_eq!(cast_strings(&b, "note"), vec![None, Some("<raw> & kept".into()), None]);
    // The double 10 renders as "10.0" through Arrow's cast.
    assert_eq!(cast_strings(&b, "price"), vec![Some("9.5".into()), Some("10.0".into()), None]);
}

#[test]
fn arrays_as_json_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "books.xml", BOOKS.as_bytes());
    let b = read(&p, &ReadOptions { arrays: ArrayMode::Json, ..Default::default() });
    assert_eq!(
        cast_strings(&b, "author"),
        vec![Some(r#"["X","Y"]"#.into()), Some(r#"["Z"]"#.into()), Some("[]".into())]
    );
}

#[test]
fn record_detection_prefers_the_element_holding_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut x = String::from("<game><umpires><umpire name='u1'/><umpire name='u2'/></umpires>");
    for t in 0..2 {
        x.push_str(&format!("<team id='t{t}'>"));
        for p in 0..5 {
            x.push_str(&format!("<player id='{t}{p}' first='F{p}' last='L{p}' avg='.{p}00' pos='P'/>"));
        }
        x.push_str("</team>");
    }
    x.push_str("</game>");
    let p = write_file(dir.path(), "g.xml", x.as_bytes());
    let src = pyforge_core::open(&p, &ReadOptions::default()).unwrap();
    assert_eq!(src.details()["record_path"], "/game/team/player");
    let b = read(&p, &ReadOptions::default());
    assert_eq!(b.num_rows(), 10);
    assert_eq!(cast_strings(&b, "first")[6], Some("F1".into()));
    // The user can choose another record.
    let b = read(&p, &ReadOptions { record_path: Some("/game/team".into()), ..Default::default() });
    assert_eq!(b.num_rows(), 2);
    assert_eq!(list(&b, "player_last", 1).len(), 5);
    let e = err(&p, &ReadOptions { record_path: Some("/game/nope".into()), ..Default::default() });
    assert!(e.contains("/game/nope") && e.contains("/game/team/player"), "{e}");
}

#[test]
fn namespaces_strip_prefix_preserve() {
    let dir = tempfile::tempdir().unwrap();
    let x = r#"<r xmlns:a="urn:a" xmlns:b="urn:b"><i><a:name>1</a:name><b:name>2</b:name><a:x>3</a:x></i><i><a:name>4</a:name><b:name>5</b:name><a:x>6</a:x></i></r>"#;
    let p = write_file(dir.path(), "ns.xml", x.as_bytes());
    let names = |mode| {
        let b = read(&p, &ReadOptions { namespaces: mode, ..Default::default() });
        b.schema().fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>()
    };
    assert_eq!(names(NamespaceMode::Strip), ["a_name", "b_name", "x"]);
    assert_eq!(names(NamespaceMode::Prefix), ["a_name", "b_name", "a_x"]);
    assert_eq!(names(NamespaceMode::Preserve), ["a:name", "b:name", "a:x"]);
}

#[test]
fn attributes_clashing_with_children_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "c.xml", b"<r><i id='1'><id>a</id></i><i id='2'><id>b</id></i></r>");
    let b = read(&p, &ReadOptions::default());
    assert_eq!(cast_strings(&b, "@id"), some(&["1", "2"]));
    assert_eq!(cast_strings(&b, "id"), some(&["a", "b"]));
}

#[test]
fn sibling_lists_stay_aligned() {
    let dir = tempfile::tempdir().unwrap();
    let p =
        write_file(dir.path(), "e.xml", b"<r><p><e n='a' f='EQ'/><e n='b'/><e n='c' f='GE'/></p><p><e n='d'/></p></r>");
    // Detection may pick `e` (it holds the values); the alignment is checked with `p` as record.
    let b = read(&p, &ReadOptions { record_path: Some("/r/p".into()), ..Default::default() });
    assert_eq!(list(&b, "e_n", 0), some(&["a", "b", "c"]));
    assert_eq!(list(&b, "e_f", 0), vec![Some("EQ".into()), None, Some("GE".into())]);
    assert_eq!(list(&b, "e_f", 1), vec![None]);
}

#[test]
fn compressed_inputs_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let plain = read(&write_file(dir.path(), "b.xml", BOOKS.as_bytes()), &ReadOptions::default());
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(BOOKS.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let bz = {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        e.write_all(BOOKS.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let zs = zstd::encode_all(BOOKS.as_bytes(), 3).unwrap();
    for (name, bytes) in [("b.xml.gz", gz), ("b.xml.bz2", bz), ("b.xml.zst", zs)] {
        let got = read(&write_file(dir.path(), name, &bytes), &ReadOptions::default());
        assert_eq!(got, plain, "{name}");
    }
}

#[test]
fn declared_and_bom_encodings_decode() {
    let dir = tempfile::tempdir().unwrap();
    let text = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><r><i n=\"Привет\">Мир</i><i n=\"б\">в</i></r>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let b = read(&write_file(dir.path(), "w.xml", &bytes), &ReadOptions::default());
    assert_eq!(cast_strings(&b, "n"), some(&["Привет", "б"]));
    assert_eq!(cast_strings(&b, "i"), some(&["Мир", "в"]));
    let utf16: Vec<u8> = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-16\"?><r><i>é</i><i>ü</i></r>"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let b = read(&write_file(dir.path(), "u.xml", &utf16), &ReadOptions::default());
    assert_eq!(cast_strings(&b, "i"), some(&["é", "ü"]));
}

#[test]
fn concatenated_documents_get_a_document_column() {
    let dir = tempfile::tempdir().unwrap();
    let x = "<?xml version=\"1.0\"?>\n<r><i>1</i><i>2</i></r>\n<?xml version=\"1.0\"?>\n<r><i>3</i></r>\n";
    // Two roots are not one well-formed document: refused unless recovering.
    let p = write_file(dir.path(), "c.xml", x.as_bytes());
    let e = err(&p, &ReadOptions::default());
    assert!(e.contains("line 3") && e.contains("XML declaration is only allowed at the very start"), "{e}");
    let e = err(&write_file(dir.path(), "two.xml", b"<r/>\n<r/>"), &ReadOptions::default());
    assert!(e.contains("line 2") && e.contains("second root element <r>"), "{e}");
    let b = read(&p, &ReadOptions { recover: true, ..Default::default() });
    assert_eq!(cast_strings(&b, "i"), some(&["1", "2", "3"]));
    let d = b.column_by_name("_document").unwrap().as_primitive::<Int64Type>();
    assert_eq!(d.values().to_vec(), vec![1, 1, 2]);
    // One document: no such column.
    let b = read(&write_file(dir.path(), "one.xml", b"<r><i>1</i><i>2</i></r>"), &ReadOptions::default());
    assert!(b.column_by_name("_document").is_none());
}

#[test]
fn malformed_xml_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "bad.xml", b"<r>\n  <i>1</i>\n  <i>2</j>\n</r>\n");
    let e = err(&p, &ReadOptions::default());
    assert!(e.contains("bad.xml") && e.contains("line 3") && e.contains("column"), "{e}");
    let p = write_file(dir.path(), "cut.xml", b"<r>\n<i>1</i>\n<i>2");
    let e = err(&p, &ReadOptions::default());
    assert!(e.contains("line 3") && e.contains("not closed") || e.contains("closed"), "{e}");
    let p = write_file(dir.path(), "undef.xml", b"<r><i>&nope;</i></r>");
    assert!(err(&p, &ReadOptions::default()).contains("undefined entity"));
}

#[test]
fn entity_bombs_and_external_entities_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut x = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 { "lol".to_string() } else { format!("lol{}", i - 1) };
        x.push_str(&format!(" <!ENTITY lol{i} \"{}\">\n", format!("&{prev};").repeat(10)));
    }
    x.push_str("]>\n<lolz><i>&lol9;</i><i>x</i></lolz>\n");
    let e = err(&write_file(dir.path(), "bomb.xml", x.as_bytes()), &ReadOptions::default());
    assert!(e.contains("bomb"), "{e}");
    let x = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><r><i>&xxe;</i></r>";
    let e = err(&write_file(dir.path(), "xxe.xml", x.as_bytes()), &ReadOptions::default());
    assert!(e.contains("external entity"), "{e}");
    // Small internal entities are fine.
    let x = "<!DOCTYPE r [<!ENTITY co \"ACME &amp; Co\">]><r><i a='&co;'>&co;!</i><i>b</i></r>";
    let b = read(&write_file(dir.path(), "ok.xml", x.as_bytes()), &ReadOptions::default());
    assert_eq!(cast_strings(&b, "i"), some(&["ACME & Co!", "b"]));
    assert_eq!(cast_strings(&b, "a"), vec![Some("ACME & Co".into()), None]);
}

#[test]
fn json_lines_arrays_and_record_paths() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = "{\"id\":1,\"u\":{\"name\":\"a\"},\"tags\":[\"x\",\"y\"],\"items\":[{\"sku\":\"s1\",\"q\":2},{\"sku\":\"s2\"}]}\n\n{\"id\":2,\"u\":{\"name\":null},\"tags\":[],\"extra\":true}\n";
    let b = read(&write_file(dir.path(), "e.jsonl", jsonl.as_bytes()), &ReadOptions::default());
    assert_eq!(b.num_rows(), 2);
    assert_eq!(cast_strings(&b, "id"), some(&["1", "2"]));
    assert_eq!(b.schema().field_with_name("id").unwrap().data_type(), &DataType::Int64);
    assert_eq!(cast_strings(&b, "u_name"), vec![Some("a".into()), None]);
    assert_eq!(list(&b, "tags", 0), some(&["x", "y"]));
    assert_eq!(list(&b, "items_sku", 0), some(&["s1", "s2"]));
    assert_eq!(list(&b, "items_q", 0), vec![Some("2".into()), None]);
    assert_eq!(cast_strings(&b, "extra"), vec![None, Some("true".into())]);
    let names: Vec<String> = b.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["id", "u_name", "tags", "items_sku", "items_q", "extra"], "document order kept");

    let array = "[\n {\"a\": 1, \"b\": [[1,2],[3]]},\n {\"a\": 2}\n]";
    let b = read(&write_file(dir.path(), "a.json", array.as_bytes()), &ReadOptions::default());
    assert_eq!(cast_strings(&b, "a"), some(&["1", "2"]));
    assert_eq!(list(&b, "b_item", 0), some(&["1", "2", "3"]));

    let doc = "{\"meta\":{\"n\":2},\"data\":{\"items\":[{\"k\":\"v1\"},{\"k\":\"v2\"}]}}";
    let p = write_file(dir.path(), "d.json", doc.as_bytes());
    let b = read(&p, &ReadOptions { record_path: Some("$.data.items".into()), ..Default::default() });
    assert_eq!(cast_strings(&b, "k"), some(&["v1", "v2"]));
    let b = read(&p, &ReadOptions::default());
    assert_eq!(cast_strings(&b, "k"), some(&["v1", "v2"]), "records under a path are detected");

    let e = err(&write_file(dir.path(), "bad.jsonl", b"{\"a\":1}\n{\"a\":2,}\n"), &ReadOptions::default());
    assert!(e.contains("line 2") && e.contains("malformed JSON"), "{e}");
}

#[test]
fn json_numbers_keep_every_digit() {
    // Integers past 64 bits and fractions past a double's precision must not be rounded on the
    // way in: they become decimals, exactly as written.
    let dir = tempfile::tempdir().unwrap();
    let jsonl = "{\"big\": 123456789012345678901234567890, \"exact\": 0.12345678901234567890123, \"d\": 1.5}\n\
                 {\"big\": -18446744073709551617, \"exact\": 2.5, \"d\": 1e3}\n";
    let b = read(&write_file(dir.path(), "n.jsonl", jsonl.as_bytes()), &ReadOptions::default());
    assert!(
        matches!(b.schema().field_with_name("big").unwrap().data_type(), DataType::Decimal128(_, 0)),
        "{:?}",
        b.schema()
    );
    assert_eq!(cast_strings(&b, "big"), some(&["123456789012345678901234567890", "-18446744073709551617"]));
    let exact = cast_strings(&b, "exact");
    assert_eq!(exact[0].as_deref().map(|s| s.trim_end_matches('0')), Some("0.12345678901234567890123"));
    assert_eq!(exact[1].as_deref().map(|s| s.trim_end_matches('0')), Some("2.5"));
    assert_eq!(b.schema().field_with_name("d").unwrap().data_type(), &DataType::Float64);
    assert_eq!(cast_strings(&b, "d"), some(&["1.5", "1000.0"]));
}

#[test]
fn nested_struct_mode_groups_values() {
    use pyforge_core::NestedMode;
    let dir = tempfile::tempdir().unwrap();
    let xml = r#"<catalog>
  <book id="b1"><title>Dune</title><price currency="EUR">12.5</price>
    <author><name>Herbert</name><born>1920</born></author>
    <tag>sf</tag><tag>classic</tag>
    <review stars="5"><by>ann</by></review><review stars="3"><by>bob</by></review>
  </book>
  <book id="b2"><title>Emma</title><price currency="GBP">7</price>
    <author><name>Austen</name></author>
  </book>
</catalog>"#;
    let p = write_file(dir.path(), "books.xml", xml.as_bytes());
    let opts = ReadOptions { nested: NestedMode::Struct, ..Default::default() };
    let b = read(&p, &opts);
    let names: Vec<String> = b.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["id", "title", "price", "author", "tag", "review"]);

    let price = b.column_by_name("price").unwrap().as_struct();
    assert_eq!(price.column_names(), ["currency", "_text"]);
    let text = price.column_by_name("_text").unwrap().as_primitive::<arrow::datatypes::Float64Type>();
    assert_eq!(text.values().to_vec(), vec![12.5, 7.0]);
    let author = b.column_by_name("author").unwrap().as_struct();
    let born = author.column_by_name("born").unwrap().as_primitive::<Int64Type>();
    assert_eq!((born.value(0), born.is_null(1)), (1920, true));

    assert_eq!(list(&b, "tag", 0), some(&["sf", "classic"]));
    assert_eq!(list(&b, "tag", 1), Vec::<Option<String>>::new());
    let reviews = b.column_by_name("review").unwrap().as_list::<i32>();
    let first = reviews.value(0);
    let first = first.as_struct();
    assert_eq!(first.len(), 2, "one struct per <review>");
    let by = arrow::compute::cast(first.column_by_name("by").unwrap(), &DataType::Utf8).unwrap();
    let stars = arrow::compute::cast(first.column_by_name("stars").unwrap(), &DataType::Utf8).unwrap();
    assert_eq!((by.as_string::<i32>().value(1), stars.as_string::<i32>().value(1)), ("bob", "3"));
    assert_eq!(reviews.value(1).len(), 0);

    // JSON objects nest the same way.
    let jsonl = "{\"id\":1,\"u\":{\"name\":\"a\",\"geo\":{\"lat\":1.5}},\"items\":[{\"sku\":\"s1\",\"q\":2},{\"sku\":\"s2\"}]}\n{\"id\":2,\"u\":{\"name\":null}}\n";
    let b = read(&write_file(dir.path(), "e.jsonl", jsonl.as_bytes()), &opts);
    let u = b.column_by_name("u").unwrap().as_struct();
    assert_eq!(u.column_names(), ["name", "geo"]);
    let items = b.column_by_name("items").unwrap().as_list::<i32>();
    assert_eq!(items.value(0).as_struct().column_names(), ["sku", "q"]);
    assert_eq!(items.value(0).len(), 2);

    // Repetition inside repetition: a list inside each item's struct.
    let deep = "{\"o\":[{\"lines\":[{\"x\":1},{\"x\":2}]},{\"lines\":[{\"x\":3},{\"x\":4},{\"x\":5}]}]}\n{\"o\":[]}\n{\"o\":[{\"lines\":[]}]}\n";
    let b = read(&write_file(dir.path(), "deep.jsonl", deep.as_bytes()), &opts);
    let o = b.column_by_name("o").unwrap().as_list::<i32>();
    let xs = |row: usize| -> Vec<Vec<i64>> {
        let items = o.value(row);
        let lines = items.as_struct().column_by_name("lines").unwrap().as_list::<i32>().clone();
        (0..lines.len())
            .map(|i| {
                let l = lines.value(i);
                let x = l.as_struct().column_by_name("x").unwrap().as_primitive::<Int64Type>().clone();
                x.values().to_vec()
            })
            .collect()
    };
    assert_eq!(xs(0), vec![vec![1, 2], vec![3, 4, 5]]);
    assert_eq!(xs(1), Vec::<Vec<i64>>::new());
    assert_eq!(xs(2).len(), 1, "one <o> item whose lines are empty");
    assert!(xs(2)[0].is_empty());
    let e = err(&p, &ReadOptions { nested: NestedMode::Struct, arrays: ArrayMode::Json, ..Default::default() });
    assert!(e.contains("--arrays json"), "{e}");
}

#[test]
fn nested_struct_mode_keeps_repetition_inside_repetition() {
    use pyforge_core::NestedMode;
    let dir = tempfile::tempdir().unwrap();
    let xml = r#"<shop>
  <customer id="c1">
    <order no="1"><line sku="a">2</line><line sku="b">1</line></order>
    <order no="2"><line sku="c">5</line></order>
  </customer>
  <customer id="c2"><order no="3"/></customer>
  <customer id="c3"/>
</shop>"#;
    let p = write_file(dir.path(), "shop.xml", xml.as_bytes());
    let opts =
        ReadOptions { nested: NestedMode::Struct, record_path: Some("/shop/customer".into()), ..Default::default() };
    let b = read(&p, &opts);
    assert_eq!(b.num_rows(), 3);
    let orders = b.column_by_name("order").unwrap().as_list::<i32>();
    // (order number, [(sku, quantity)]) per order of a customer.
    let row = |r: usize| -> Vec<(i64, Vec<(String, i64)>)> {
        let items = orders.value(r);
        let s = items.as_struct();
        let no = s.column_by_name("no").unwrap().as_primitive::<Int64Type>();
        let lines = s.column_by_name("line").unwrap().as_list::<i32>();
        (0..s.len())
            .map(|i| {
                let l = lines.value(i);
                let l = l.as_struct();
                let sku = l.column_by_name("sku").unwrap().as_string::<i32>();
                let q = l.column_by_name("_text").unwrap().as_primitive::<Int64Type>();
                (no.value(i), (0..l.len()).map(|j| (sku.value(j).to_string(), q.value(j))).collect())
            })
            .collect()
    };
    let owned = |v: &[(&str, i64)]| v.iter().map(|(s, q)| (s.to_string(), *q)).collect::<Vec<_>>();
    assert_eq!(row(0), vec![(1, owned(&[("a", 2), ("b", 1)])), (2, owned(&[("c", 5)]))]);
    assert_eq!(row(1), vec![(3, vec![])]);
    assert_eq!(row(2), vec![]);
    // Across batches too: many customers, each with 2 orders of 1..3 lines.
    let mut big = String::from("<shop>");
    for c in 0..70_000 {
        big.push_str(&format!("<customer id=\"{c}\">"));
        for o in 0..2 {
            big.push_str(&format!("<order no=\"{}\">", c * 2 + o));
            for l in 0..(1 + (c + o) % 3) {
                big.push_str(&format!("<line sku=\"s{l}\">{}</line>", c + l));
            }
            big.push_str("</order>");
        }
        big.push_str("</customer>");
    }
    big.push_str("</shop>");
    // (Read from a sampled structure: `info` does not know the row count.)
    let source = pyforge_core::open(&write_file(dir.path(), "big.xml", big.as_bytes()), &opts).unwrap();
    let stream = source.open_table(&source.tables().unwrap()[0].name).unwrap();
    let schema = stream.schema();
    let batches: Vec<RecordBatch> = stream.map(|b| b.unwrap()).collect();
    assert!(batches.len() >= 2, "several batches");
    let b = concat_batches(&schema, &batches).unwrap();
    assert_eq!(b.num_rows(), 70_000);
    let orders = b.column_by_name("order").unwrap().as_list::<i32>();
    for c in [0usize, 1, 65_535, 65_536, 69_999] {
        let items = orders.value(c);
        let s = items.as_struct();
        let lines = s.column_by_name("line").unwrap().as_list::<i32>();
        for o in 0..2 {
            let l = lines.value(o);
            let q = l.as_struct().column_by_name("_text").unwrap().as_primitive::<Int64Type>();
            let want: Vec<i64> = (0..(1 + (c + o) % 3)).map(|l| (c + l) as i64).collect();
            assert_eq!(q.values().to_vec(), want, "customer {c} order {o}");
        }
    }
}

#[test]
fn a_sampled_structure_never_loses_what_comes_after_the_sample() {
    // Each input holds something only after the first few records; with a tiny sample the
    // reader must notice, discover the whole input and still return every value.
    let dir = tempfile::tempdir().unwrap();
    let sample = ReadOptions { sample_elements: Some(12), ..Default::default() };
    let records = |tail: &str| {
        let mut s = String::from("<rows>");
        for i in 0..10 {
            s.push_str(&format!("<r id=\"{i}\"><n>{i}</n></r>"));
        }
        s.push_str(tail);
        s.push_str("</rows>");
        s
    };
    let read_all = |name: &str, doc: &str| {
        let p = write_file(dir.path(), name, doc.as_bytes());
        let full = read(&p, &ReadOptions { sample_elements: Some(u64::MAX), ..Default::default() });
        let source = pyforge_core::open(&p, &sample).unwrap();
        let t = source.tables().unwrap();
        assert_eq!(t[0].rows, None, "{name}: a sampled structure does not claim a row count");
        let (schema, rows) = pyforge_core::convert::scan_table(source.as_ref(), &t[0].name).unwrap();
        assert_eq!(rows as usize, full.num_rows(), "{name}");
        assert_eq!(schema, full.schema(), "{name}: same plan as a full discovery");
        full
    };
    // A new child element, a new attribute, text where there was none, a repeat, a wider type.
    let b = read_all("new_child.xml", &records("<r id=\"10\"><n>10</n><late>x</late></r>"));
    assert_eq!(cast_strings(&b, "late")[10].as_deref(), Some("x"));
    let b = read_all("new_attr.xml", &records("<r id=\"10\" flag=\"y\"><n>10</n></r>"));
    assert_eq!(cast_strings(&b, "flag")[10].as_deref(), Some("y"));
    let b = read_all("new_text.xml", &records("<r id=\"10\">free text<n>10</n></r>"));
    assert_eq!(cast_strings(&b, "r")[10].as_deref(), Some("free text"));
    let b = read_all("repeat.xml", &records("<r id=\"10\"><n>10</n><n>11</n></r>"));
    assert_eq!(list(&b, "n", 10), some(&["10", "11"]));
    let b = read_all("wider.xml", &records("<r id=\"x10\"><n>10.5</n></r>"));
    assert_eq!(b.schema().field_with_name("id").unwrap().data_type(), &DataType::Utf8);
    assert_eq!(cast_strings(&b, "n")[10].as_deref(), Some("10.5"));
    // Through the pipeline, the reread is invisible: the output holds everything.
    let p =
        write_file(dir.path(), "pipeline.xml", records("<r id=\"10\" flag=\"y\"><n>10</n><n>11</n></r>").as_bytes());
    let out = dir.path().join("pipeline.parquet");
    let opts = pyforge_core::convert::ConvertOptions { read: sample.clone(), ..Default::default() };
    let report = pyforge_core::convert::convert(&p, Some(&out), &opts, &|_| {}).unwrap();
    assert_eq!(report.tables[0].rows, 11);
}

/// A key repeated in one object is an error (it would otherwise add a row or turn the column
/// into a list); with `recover` the first value is kept and the row count and types stay.
#[test]
fn json_duplicate_keys_are_refused_or_first_wins() {
    let dir = tempfile::tempdir().unwrap();
    let p =
        write_file(dir.path(), "dup.json", b"[{\"a\":1,\"b\":{\"x\":1},\"a\":2},\n{\"a\":3,\"b\":{\"x\":2,\"x\":5}}]");
    let e = err(&p, &ReadOptions::default());
    assert!(e.contains("dup.json") && e.contains("line 1") && e.contains("duplicate key \"a\""), "{e}");
    let b = read(&p, &ReadOptions { recover: true, ..Default::default() });
    assert_eq!(b.num_rows(), 2);
    assert_eq!(b.schema().field_with_name("a").unwrap().data_type(), &DataType::Int64);
    assert_eq!(cast_strings(&b, "a"), some(&["1", "3"]));
    assert_eq!(cast_strings(&b, "b_x"), some(&["1", "2"]));
    // The same key in different objects (or nested levels) is not a repeat.
    let b = read(
        &write_file(dir.path(), "ok.jsonl", b"{\"a\":1,\"o\":{\"a\":2}}\n{\"a\":3,\"o\":{\"a\":4}}\n"),
        &ReadOptions::default(),
    );
    assert_eq!(cast_strings(&b, "a"), some(&["1", "3"]));
    assert_eq!(cast_strings(&b, "o_a"), some(&["2", "4"]));
}

#[test]
fn json_nesting_limit_and_non_json_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let e = err(&write_file(dir.path(), "deep.json", deep.as_bytes()), &ReadOptions::default());
    assert!(e.contains("deep.json") && e.contains("nested more than 128 levels"), "{e}");
    for (name, text) in [
        ("nan.jsonl", "{\"a\":1}\n{\"a\":NaN}\n"),
        ("inf.jsonl", "{\"a\":1}\n{\"a\":-Infinity}\n"),
        ("comment.jsonl", "{\"a\":1}\n{\"a\":2} // two\n"),
        ("block.json", "[{\"a\":1},\n/* c */ {\"a\":2}]"),
        ("comma.json", "[{\"a\":1},\n{\"a\":2},]"),
        ("comma2.jsonl", "{\"a\":1}\n{\"a\":2,}\n"),
    ] {
        let e = err(&write_file(dir.path(), name, text.as_bytes()), &ReadOptions::default());
        assert!(e.contains(name) && e.contains("line 2") && e.contains("malformed JSON"), "{name}: {e}");
        assert!(e.contains("--recover reads them"), "{name}: {e}");
    }
}

/// With `recover`, NaN and the infinities are read as doubles, comments and trailing commas are
/// dropped, and each of these repairs is counted; strings holding the same characters are data.
#[test]
fn json_recover_reads_nan_infinity_comments_and_trailing_commas() {
    let dir = tempfile::tempdir().unwrap();
    let text = "// exported by a script\n[{\"a\": 1.5, \"s\": \"NaN, // ]\"},\n {\"a\": NaN, \"s\": \"x\",},\n                 /* two\n more */ {\"a\": -Infinity, \"s\": \"y\"}, {\"a\": Infinity, \"s\": \"z\"},\n]\n";
    let p = write_file(dir.path(), "lenient.json", text.as_bytes());
    assert!(err(&p, &ReadOptions::default()).contains("line 1"));
    let b = read(&p, &ReadOptions { recover: true, ..Default::default() });
    assert_eq!(b.num_rows(), 4);
    assert_eq!(b.schema().field_with_name("a").unwrap().data_type(), &DataType::Float64);
    let a: Vec<f64> = b.column_by_name("a").unwrap().as_primitive::<arrow::datatypes::Float64Type>().values().to_vec();
    assert_eq!(a[0], 1.5);
    assert!(a[1].is_nan());
    assert_eq!(a[2..], [f64::NEG_INFINITY, f64::INFINITY]);
    assert_eq!(cast_strings(&b, "s"), some(&["NaN, // ]", "x", "y", "z"]));
    // Two comments, NaN and two infinities, two trailing commas.
    assert_eq!(repairs_reported(&p), Some(7));
    // JSON Lines keep their line numbers: the error after a blanked comment names line 3.
    let jl = write_file(dir.path(), "lenient.jsonl", b"{\"a\":1} // one\n/* two */\n{\"a\":}\n");
    let e = err(&jl, &ReadOptions { recover: true, ..Default::default() });
    assert!(e.contains("line 3") && !e.contains("--recover reads them"), "{e}");
    // An unclosed block comment is not guessed at.
    let open = write_file(dir.path(), "open.json", b"[1, 2] /* never closed");
    let e = err(&open, &ReadOptions { recover: true, ..Default::default() });
    assert!(e.contains("open.json") && e.contains("not closed"), "{e}");
}

/// Repairs made in recover mode, as the table's details report them after a full read.
fn repairs_reported(path: &Path) -> Option<u64> {
    let opts = ReadOptions { recover: true, ..Default::default() };
    read(path, &opts);
    let source = pyforge_core::open(path, &opts).unwrap();
    let name = source.tables().unwrap()[0].name.clone();
    source.open_table(&name).unwrap().for_each(|b| drop(b.unwrap()));
    source.tables().unwrap()[0].details.get("repairs").map(|v| v.as_u64().unwrap())
}

#[test]
fn recover_counts_every_repair_and_strict_reads_report_none() {
    let dir = tempfile::tempdir().unwrap();
    // Two repeated keys: "a" in the first object, "x" in the second's nested object.
    let json = write_file(dir.path(), "dup.json", b"[{\"a\":1,\"a\":2},\n{\"a\":3,\"b\":{\"x\":2,\"x\":5}}]");
    assert_eq!(repairs_reported(&json), Some(2));
    // Three roots: two repairs (the second and third root).
    let xml = write_file(dir.path(), "roots.xml", b"<r><i>1</i></r>\n<r><i>2</i></r>\n<r><i>3</i></r>\n");
    assert_eq!(repairs_reported(&xml), Some(2));
    // Nothing to repair: no count.
    let fine = write_file(dir.path(), "fine.json", b"[{\"a\":1},{\"a\":2}]");
    assert_eq!(repairs_reported(&fine), None);
}

/// JSON Lines are parsed in chunks of lines on every core: a file of many chunks reads its
/// rows in file order, an error deep in it names its own line, and repairs made in different
/// chunks are all counted.
#[test]
fn json_lines_over_many_chunks_keep_order_lines_and_repairs() {
    let dir = tempfile::tempdir().unwrap();
    let rows = 60_000;
    let mut text = String::new();
    for i in 0..rows {
        text.push_str(&format!(
            "{{\"id\":{i},\"name\":\"row {i} {}\",\"o\":{{\"k\":{}}}}}\n",
            "x".repeat(i % 90),
            i % 7
        ));
        if i % 1000 == 0 {
            text.push('\n'); // blank lines are skipped, but counted for line numbers
        }
    }
    assert!(text.len() > 4 << 20, "several chunks: {} bytes", text.len());
    let b = read(&write_file(dir.path(), "many.jsonl", text.as_bytes()), &ReadOptions::default());
    assert_eq!(b.num_rows(), rows);
    let ids = cast_strings(&b, "id");
    assert!(ids.iter().enumerate().all(|(i, v)| v.as_deref() == Some(i.to_string().as_str())), "rows in file order");
    assert_eq!(cast_strings(&b, "o_k")[59_999].as_deref(), Some("2"));

    // Line 55,000 + the 55 blank lines before it: a trailing comma.
    let mut lines: Vec<&str> = text.lines().collect();
    let bad_line = 55_000 + 55;
    let broken = format!("{},}}", lines[bad_line - 1].trim_end_matches('}'));
    lines[bad_line - 1] = &broken;
    let broken_text = lines.join("\n");
    let e = err(&write_file(dir.path(), "late_error.jsonl", broken_text.as_bytes()), &ReadOptions::default());
    assert!(e.contains(&format!("late_error.jsonl line {bad_line}:")), "{e}");

    // A repeated key in the first and in the last chunk: two repairs.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[0] = "{\"id\":0,\"id\":1,\"name\":\"a\",\"o\":{\"k\":1}}".into();
    let last = lines.len() - 1;
    lines[last] = format!("{{\"id\":{},\"name\":\"z\",\"o\":{{\"k\":1,\"k\":2}}}}", rows - 1);
    let p = write_file(dir.path(), "repairs.jsonl", lines.join("\n").as_bytes());
    assert_eq!(repairs_reported(&p), Some(2));
}

/// All rows of `path`'s one table, whatever the plan: a sampled one that meets what its sample
/// did not show is read again, as the conversion does.
fn read_any(path: &Path, opts: &ReadOptions) -> RecordBatch {
    let source = pyforge_core::open(path, opts).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let name = source.tables().unwrap()[0].name.clone();
    loop {
        let stream = source.open_table(&name).unwrap();
        let schema = stream.schema();
        match stream.collect::<pyforge_core::Result<Vec<RecordBatch>>>() {
            Ok(batches) => return concat_batches(&schema, &batches).unwrap(),
            Err(pyforge_core::Error::SchemaWidened { .. }) => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
}

/// A random JSON value for the direct-build test: scalars of every kind (escapes, surrogate
/// pairs, exponents, digits beyond 64 bits, dates, empty strings), objects, arrays of scalars
/// and of objects, empty ones, and now and then an array in an array (which the direct builder
/// leaves to the walk).
fn random_value(rng: &mut fastrand::Rng, depth: usize, odd: bool, out: &mut String) {
    const KEYS: [&str; 9] = ["id", "name", "v", "tags", "o", "k\\\"q", "ключ", "caf\\u00e9", "t"];
    const STRINGS: [&str; 10] = [
        "plain",
        "",
        "with \\\"quotes\\\" and \\\\ and \\/",
        "line\\nbreak\\ttab",
        "\\u0041\\u00e9\\ud83d\\ude00",
        "2024-02-29",
        "2024-02-29T12:30:00",
        "Ōsaka ✓",
        " spaced ",
        "12",
    ];
    const NUMBERS: [&str; 10] = [
        "0",
        "-0",
        "17",
        "-42",
        "3.25",
        "1e5",
        "-2.5E-3",
        "123456789012345678901234567890",
        "0.1000",
        "9007199254740993",
    ];
    let pick = rng.usize(0..if depth >= 3 { 6 } else { 10 });
    match pick {
        0 => out.push_str(NUMBERS[rng.usize(0..NUMBERS.len())]),
        1 | 2 => out.push_str(&format!("\"{}\"", STRINGS[rng.usize(0..STRINGS.len())])),
        3 => out.push_str(["true", "false"][rng.usize(0..2)]),
        4 => out.push_str("null"),
        5 => out.push_str(&rng.i64(-1000..1000).to_string()),
        6 | 7 => {
            out.push('{');
            let n = rng.usize(0..4);
            let mut keys: Vec<&str> = KEYS.to_vec();
            rng.shuffle(&mut keys);
            for (i, k) in keys.iter().take(n).enumerate() {
                if i > 0 {
                    out.push_str([",", ", ", " ,\t"][rng.usize(0..3)]);
                }
                out.push_str(&format!("\"{k}\"{}", [":", ": ", " : "][rng.usize(0..3)]));
                random_value(rng, depth + 1, odd, out);
            }
            out.push('}');
        }
        8 => {
            out.push('[');
            let n = rng.usize(0..4);
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                if odd && rng.usize(0..40) == 0 {
                    out.push_str("[1, [\"x\"]]");
                } else {
                    random_value(rng, depth + 1, odd, out);
                }
            }
            out.push(']');
        }
        _ => out.push_str(&format!("{}.{}", rng.i32(-99..99), rng.u32(0..100))),
    }
}

/// A random record of fixed keys and types (what the direct builder types as it reads): ints,
/// strings with escapes, doubles with exponents, dates, timestamps, booleans, digits beyond 64
/// bits, lists of strings (with nulls, empty, or one bare value), a nested object (or `null`,
/// or `{}`), keys left out or in another order; `odd` records now and then break the pattern
/// (a text in a number column, a list where one value was, an object in a list).
fn random_record(rng: &mut fastrand::Rng, odd: bool, out: &mut String) {
    let tags = match rng.usize(0..6) {
        0 => "[]".to_string(),
        1 => "null".to_string(),
        2 => "\"solo\"".to_string(),
        _ => format!("[\"a\", null, \"b{}\", \"\"]", rng.u32(0..9)),
    };
    let dev = match rng.usize(0..5) {
        0 => "null".to_string(),
        1 => "{}".to_string(),
        _ => format!("{{\"os\": \"os{}\", \"v\": {}}}", rng.u32(0..3), rng.u32(0..20)),
    };
    let values = [
        ("id", rng.i64(-5..1_000_000).to_string()),
        ("name", format!("\"n{}{}\"", rng.u32(0..500), ["", "\\\"q\\\"", "\\u00e9", " ", "\\n"][rng.usize(0..5)])),
        (
            "price",
            ["1.5", "-0.25", "3e2", "7", "1.5E-3", "null", "\"cheap\""][rng.usize(0..6 + odd as usize)].to_string(),
        ),
        ("day", format!("\"2024-{:02}-{:02}\"", rng.u32(1..13), rng.u32(1..29))),
        ("at", format!("\"2024-05-{:02}T{:02}:30:00\"", rng.u32(1..29), rng.u32(0..24))),
        ("ok", ["true", "false", "null"][rng.usize(0..3)].to_string()),
        ("big", ["123456789012345678901234567890", "-1", "null"][rng.usize(0..3)].to_string()),
        ("tags", tags),
        ("dev", dev),
    ];
    let mut fields: Vec<String> =
        values.iter().filter(|_| rng.usize(0..10) > 0).map(|(k, v)| format!("\"{k}\":{v}")).collect();
    if odd && rng.usize(0..50) == 0 {
        match rng.usize(0..3) {
            0 => fields.push("\"id2\":\"x\"".into()),
            1 => fields.push("\"ok2\":[true,false]".into()),
            _ => fields.push("\"tags2\":[\"a\",{\"o\":1}]".into()),
        }
    }
    if rng.usize(0..4) == 0 {
        rng.shuffle(&mut fields);
    }
    out.push('{');
    out.push_str(&fields.join(", "));
    out.push('}');
}

/// JSON Lines are built into rows directly, chunks on every core ([`pyforge_core`]'s
/// `json::lines`, typed as read by `json::typed` where the plan allows: the even documents'
/// fixed records); recover mode still walks them as tree events. On valid input without
/// repeated keys the two must give the same table, value for value, with a full discovery and
/// with a tiny sample (whose plan the direct builder must widen exactly as the walk does).
#[test]
fn json_lines_built_directly_equal_the_walk() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(23);
    for doc in 0..40 {
        // Mostly small files; two span several chunks and batches. Every fourth holds what the
        // direct builder leaves to the walk (a line that is not an object, arrays in arrays).
        let lines = if doc % 20 >= 18 { 60_000 } else { rng.usize(1..400) };
        let odd = doc % 4 == 3;
        let mut text = String::new();
        for _ in 0..lines {
            match rng.usize(0..200) {
                0 => text.push_str("  \t\n"),
                1 if odd => text.push_str("\"a line that is not an object\"\n"),
                _ if doc % 2 == 0 => {
                    random_record(&mut rng, odd, &mut text);
                    text.push_str(["\n", "\r\n", " \n"][rng.usize(0..3)]);
                }
                _ => {
                    let before = text.len();
                    random_value(&mut rng, 1, odd, &mut text);
                    if !text[before..].starts_with('{') {
                        text.truncate(before);
                        text.push_str("{\"id\": 1}");
                    }
                    text.push_str(["\n", "\r\n", " \n"][rng.usize(0..3)]);
                }
            }
        }
        let p = write_file(dir.path(), &format!("doc{doc}.jsonl"), text.as_bytes());
        for sample in [None, Some(40)] {
            let direct = ReadOptions { sample_elements: sample, ..Default::default() };
            let walked = ReadOptions { recover: true, ..direct.clone() };
            let (a, b) = (read_any(&p, &direct), read_any(&p, &walked));
            assert_eq!(a.schema(), b.schema(), "doc{doc} sample {sample:?}");
            assert_eq!(a.num_rows(), b.num_rows(), "doc{doc} sample {sample:?}");
            for (c, field) in a.schema().fields().iter().enumerate() {
                let (x, y) = (a.column(c), b.column(c));
                if let Some(row) = (0..a.num_rows()).find(|&r| x.slice(r, 1) != y.slice(r, 1)) {
                    panic!(
                        "doc{doc} sample {sample:?}: column {:?} row {row}: direct {:?}, walk {:?}",
                        field.name(),
                        x.slice(row, 1),
                        y.slice(row, 1)
                    );
                }
            }
        }
    }
}
