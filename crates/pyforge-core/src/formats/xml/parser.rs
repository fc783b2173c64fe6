//! Walking an XML document with `quick-xml` (streaming, no DTD fetching) and reporting its
//! elements to a [`Visitor`].

use std::path::PathBuf;

use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::BufRead;

use super::entities::Entities;
use super::input::{self, TextPlan};
use crate::error::{Error, Result};
use crate::formats::csv::encoding::DecodeFailure;
use crate::formats::tree::{AttrBuf, TreeInput, Visitor};

/// An XML file ready to be walked any number of times.
pub struct XmlInput {
    pub path: PathBuf,
    pub plan: TextPlan,
}

enum Failure {
    /// Malformed at a byte offset of the decoded text.
    At(u64, String),
    Other(Error),
}

impl XmlInput {
    fn located(&self, offset: u64, msg: String) -> Error {
        match input::line_col(&self.path, &self.plan, offset) {
            Some((line, col)) => Error::invalid(&self.path, Some(line), format!("column {col}: malformed XML: {msg}")),
            None => Error::invalid(&self.path, None, format!("malformed XML at byte {offset}: {msg}")),
        }
    }

    fn quick_error(&self, e: quick_xml::Error, offset: u64) -> Failure {
        match e {
            quick_xml::Error::Io(io) => match io.get_ref().and_then(|i| i.downcast_ref::<DecodeFailure>()) {
                Some(d) => Failure::Other(Error::Encoding {
                    path: self.path.clone(),
                    line: Some(d.line),
                    encoding: self.plan.encoding.name(),
                    detail: d.detail.clone(),
                }),
                None => Failure::Other(Error::io(&self.path, std::io::Error::new(io.kind(), io.to_string()))),
            },
            quick_xml::Error::Encoding(_) => Failure::At(
                offset,
                format!("not valid {} text (use --encoding to choose the right encoding)", self.plan.encoding.name()),
            ),
            other => Failure::At(offset, other.to_string()),
        }
    }

    fn io_failure(&self, e: std::io::Error) -> Failure {
        self.quick_error(quick_xml::Error::Io(std::sync::Arc::new(e)), 0)
    }

    /// Walk the document: the decoded text is read in chunks of about `chunk` bytes, each parsed
    /// in place (quick-xml's slice reader borrows from the chunk: no copy per event). An event
    /// cut by the end of a chunk (markup the reader finds unclosed, or text reaching the end)
    /// is parsed again from its start once more text has been read.
    fn run(&self, v: &mut dyn Visitor, chunk: usize) -> std::result::Result<(), Failure> {
        let mut src = input::open(&self.path, &self.plan).map_err(Failure::Other)?;
        let mut w = Walker::default();
        let mut buf: Vec<u8> = Vec::with_capacity(chunk + (64 << 10));
        // Offset in the decoded text of `buf[0]`.
        let mut base = 0u64;
        let mut eof = false;
        let mut want = chunk;
        loop {
            while !eof && buf.len() < want {
                let got = src.fill_buf().map_err(|e| self.io_failure(e))?;
                if got.is_empty() {
                    eof = true;
                    break;
                }
                let n = got.len().min(want - buf.len());
                buf.extend_from_slice(&got[..n]);
                src.consume(n);
            }
            // The chunk is checked once; only a chunk that ends inside a character (or holds
            // bytes that are not UTF-8) is checked again up to there.
            let (text, valid, bad_utf8) = match simdutf8::compat::from_utf8(&buf) {
                Ok(t) => (t, buf.len(), false),
                Err(e) => {
                    let valid = e.valid_up_to();
                    let text = std::str::from_utf8(&buf[..valid]).unwrap_or_default();
                    (text, valid, e.error_len().is_some() || eof)
                }
            };
            let not_utf8 = |at: u64| {
                Failure::At(
                    at,
                    format!("not valid {} text (use --encoding to choose the right encoding)", self.plan.encoding.name()),
                )
            };
            // Everything that is left is in this chunk.
            let last = eof && valid == buf.len();
            // A reader removes a byte-order mark where it starts: past the start of the input
            // U+FEFF is a character of the text and is passed on here.
            let mut skip = 0usize;
            if base > 0 && text.starts_with('\u{FEFF}') {
                if w.depth == 0 {
                    return Err(Failure::At(base, "text outside the root element".into()));
                }
                v.text("\u{FEFF}");
                skip = '\u{FEFF}'.len_utf8();
            }
            let body = &text[skip..];
            let off = base + skip as u64;
            let mut r = Reader::from_str(body);
            {
                let c = r.config_mut();
                // End names are checked by the walker (a reader starts afresh at each chunk).
                c.check_end_names = false;
                c.allow_unmatched_ends = true;
                c.expand_empty_elements = false;
                c.trim_text(false);
            }
            let consumed = loop {
                let start = r.buffer_position() as usize;
                match r.read_event() {
                    Err(e) => {
                        let cut = matches!(
                            e,
                            quick_xml::Error::Syntax(_)
                                | quick_xml::Error::IllFormed(quick_xml::errors::IllFormedError::UnclosedReference)
                        );
                        if cut && !last {
                            if bad_utf8 {
                                return Err(not_utf8(base + valid as u64));
                            }
                            break skip + start;
                        }
                        return Err(self.quick_error(e, off + r.error_position()));
                    }
                    Ok(Event::Eof) => {
                        if last {
                            return w.finish(off + body.len() as u64);
                        }
                        if bad_utf8 {
                            return Err(not_utf8(base + valid as u64));
                        }
                        break skip + start;
                    }
                    Ok(Event::Text(_)) if !last && r.buffer_position() as usize >= body.len() => {
                        // The text may go on in the next chunk.
                        if bad_utf8 {
                            return Err(not_utf8(base + valid as u64));
                        }
                        break skip + start;
                    }
                    Ok(event) => {
                        let pos = off + r.buffer_position();
                        w.event(v, event, pos)?;
                    }
                }
            };
            // No event fitted: read more before trying again.
            want = if consumed == 0 { buf.len().saturating_mul(2).max(chunk) } else { chunk };
            buf.drain(..consumed);
            base += consumed as u64;
        }
    }
}

/// The walk's state between events.
#[derive(Default)]
struct Walker {
    attrs: AttrBuf,
    /// Replacement text of one entity reference.
    scratch: String,
    entities: Entities,
    depth: usize,
    roots: u64,
    /// Names of the open elements, end to end in one string (no allocation per element).
    open_names: String,
    open_ends: Vec<usize>,
}

impl Walker {
    fn event(&mut self, v: &mut dyn Visitor, event: Event<'_>, pos: u64) -> std::result::Result<(), Failure> {
        let other = Failure::Other;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let start = self.open_names.len();
                self.open_names.push_str(e.name().as_ref());
                self.attrs.clear();
                // HTML-style attributes are accepted: a name without a value (`<a checked>`) is an
                // attribute with an empty value rather than a lost one.
                for a in e.html_attributes() {
                    let a = a.map_err(|e| Failure::At(pos, e.to_string()))?;
                    let key: &str = a.key.as_ref();
                    if key == "xmlns" || key.starts_with("xmlns:") {
                        continue;
                    }
                    let entities = &mut self.entities;
                    self.attrs.push(key, |out| entities.attribute_value_into(&a.value, out)).map_err(|m| Failure::At(pos, m))?;
                }
                if self.depth == 0 {
                    self.roots += 1;
                    v.document().map_err(other)?;
                }
                v.open(&self.open_names[start..], self.attrs.attrs()).map_err(other)?;
                if empty {
                    self.open_names.truncate(start);
                    v.close().map_err(other)?;
                } else {
                    self.depth += 1;
                    self.open_ends.push(start);
                }
            }
            Event::End(e) => {
                let qname = e.name();
                let name: &str = qname.as_ref();
                let Some(&start) = self.open_ends.last() else {
                    return Err(Failure::At(pos, format!("ill-formed document: `</{name}>` closes no open element")));
                };
                if &self.open_names[start..] != name {
                    return Err(Failure::At(
                        pos,
                        format!("ill-formed document: expected `</{}>`, but `</{name}>` was found", &self.open_names[start..]),
                    ));
                }
                v.close().map_err(other)?;
                self.depth = self.depth.saturating_sub(1);
                self.open_ends.pop();
                self.open_names.truncate(start);
            }
            Event::Text(t) => {
                let t = t.xml10_content();
                if self.depth == 0 {
                    if !t.trim().is_empty() {
                        return Err(Failure::At(pos, "text outside the root element".into()));
                    }
                } else {
                    v.text(&t);
                }
            }
            Event::CData(t) => {
                if self.depth == 0 {
                    return Err(Failure::At(pos, "CDATA outside the root element".into()));
                }
                v.text(&t.xml10_content());
            }
            Event::GeneralRef(e) => {
                if self.depth == 0 {
                    return Err(Failure::At(pos, "entity reference outside the root element".into()));
                }
                self.scratch.clear();
                self.entities.resolve_into(&e, &mut self.scratch).map_err(|m| Failure::At(pos, m))?;
                v.text(&self.scratch);
            }
            Event::DocType(d) => {
                if self.depth > 0 {
                    return Err(Failure::At(pos, "DOCTYPE inside an element".into()));
                }
                self.entities.reset();
                self.entities.declare_from_doctype(&d.xml10_content());
            }
            Event::Decl(_) => {
                if self.depth > 0 {
                    return Err(Failure::At(pos, "XML declaration inside an element".into()));
                }
                self.entities.reset();
            }
            Event::Comment(_) | Event::PI(_) | Event::Eof => {}
        }
        Ok(())
    }

    /// The input ended at `pos`.
    fn finish(&self, pos: u64) -> std::result::Result<(), Failure> {
        if let Some(&start) = self.open_ends.last() {
            return Err(Failure::At(pos, format!("the file ends before <{}> is closed", &self.open_names[start..])));
        }
        if self.roots == 0 {
            return Err(Failure::At(pos, "no root element".into()));
        }
        Ok(())
    }
}

/// Decoded text read and parsed at a time.
const CHUNK: usize = 1 << 20;

impl TreeInput for XmlInput {
    /// Parsing runs on a thread of its own, row building on the caller's
    /// ([`walk_pipelined`](crate::formats::tree::pipeline::walk_pipelined)).
    fn walk(&self, v: &mut dyn Visitor) -> Result<()> {
        crate::formats::tree::pipeline::walk_pipelined(
            |recorder| {
                self.run(recorder, CHUNK).map_err(|f| match f {
                    Failure::At(offset, msg) => self.located(offset, msg),
                    Failure::Other(e) => e,
                })
            },
            v,
        )
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tree::Attrs;

    /// Every event as text, adjacent text pieces joined.
    #[derive(Default)]
    struct Log(Vec<String>);

    impl Visitor for Log {
        fn document(&mut self) -> Result<()> {
            self.0.push("doc".into());
            Ok(())
        }
        fn open(&mut self, name: &str, attrs: Attrs<'_>) -> Result<()> {
            let a: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            self.0.push(format!("<{name} {}>", a.join(" ")));
            Ok(())
        }
        fn text(&mut self, text: &str) {
            match self.0.last_mut() {
                Some(t) if t.starts_with('"') => t.push_str(text),
                _ => self.0.push(format!("\"{text}")),
            }
        }
        fn close(&mut self) -> Result<()> {
            self.0.push("/".into());
            Ok(())
        }
    }

    fn walk(path: &std::path::Path, chunk: usize) -> std::result::Result<Vec<String>, String> {
        let input = XmlInput { path: path.to_path_buf(), plan: input::plan(path, None).unwrap() };
        let mut log = Log::default();
        match input.run(&mut log, chunk) {
            Ok(()) => Ok(log.0),
            Err(Failure::At(at, m)) => Err(format!("{at}: {m}")),
            Err(Failure::Other(e)) => Err(e.to_string()),
        }
    }

    #[test]
    fn every_chunk_size_reads_the_same_events() {
        let doc = "\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!DOCTYPE r [ <!ENTITY co \"ACME &amp; Co\"> ]>\n\
            <!-- a comment > with > signs -->\n<r a=\"1 &gt; 0\" b='x>y'>\r\n  <i id=\"1\">Zürich &co; 日本\r\nline</i>\
            <i id=\"2\"/><?pi some > data?><![CDATA[<not> ]] a tag]]>\u{FEFF}mid\u{FEFF}<e/>&#x41;&lt;\
            <j k=\"v\r\nw\">\u{FEFF}</j>text &amp; more</r>\n";
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.xml");
        std::fs::write(&p, doc).unwrap();
        let whole = walk(&p, 1 << 20).unwrap();
        assert!(whole.iter().any(|e| e.contains("ACME & Co 日本\nline")), "{whole:?}");
        assert!(whole.iter().any(|e| e.contains("<not> ]] a tag\u{FEFF}mid\u{FEFF}")), "{whole:?}");
        for chunk in 1..=doc.len() + 1 {
            assert_eq!(walk(&p, chunk).unwrap(), whole, "chunk {chunk}");
        }
        let bad = "<r>\n  <i>1</i>\n  <i>2 &amp;</j>\n</r>\n";
        std::fs::write(&p, bad).unwrap();
        let e = walk(&p, 1 << 20).unwrap_err();
        assert!(e.contains("expected `</i>`"), "{e}");
        for chunk in 1..=bad.len() + 1 {
            assert_eq!(walk(&p, chunk).unwrap_err(), e, "chunk {chunk}");
        }
        std::fs::write(&p, b"<r>caf\xC3\xA9 \xFF</r>").unwrap();
        let e = walk(&p, 1 << 20).unwrap_err();
        assert!(e.to_lowercase().contains("not valid utf-8"), "{e}");
        for chunk in 1..=12 {
            assert_eq!(walk(&p, chunk).unwrap_err(), e, "chunk {chunk}");
        }
    }
}
