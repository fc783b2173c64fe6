//! Walking an XML document with `quick-xml` (streaming, no DTD fetching) and reporting its
//! elements to a [`Visitor`].

use std::path::PathBuf;

use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::BufRead;

use super::entities::Entities;
use super::input::{self, TextPlan};
use super::{dtd, wf};
use crate::error::{Error, Result};
use crate::formats::csv::encoding::DecodeFailure;
use crate::formats::tree::{AttrBuf, TreeInput, Visitor};

/// An XML file ready to be walked any number of times.
pub struct XmlInput {
    pub path: PathBuf,
    pub plan: TextPlan,
    /// Repair what a strict reader refuses (attributes without a value, several roots).
    pub recover: bool,
    /// Repairs made by the walk that got furthest (see [`TreeInput::repairs`]).
    pub repairs: std::sync::atomic::AtomicU64,
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

    /// The text at offset `at` is not in the input's encoding.
    fn not_utf8(&self, at: u64) -> Failure {
        Failure::At(
            at,
            format!("not valid {} text (use --encoding to choose the right encoding)", self.plan.encoding.name()),
        )
    }

    /// Read from `src` until `buf` holds `want` bytes; true when the input ended first.
    #[inline]
    fn read_up_to(&self, src: &mut impl BufRead, buf: &mut Vec<u8>, want: usize) -> std::result::Result<bool, Failure> {
        while buf.len() < want {
            let got = src.fill_buf().map_err(|e| self.io_failure(e))?;
            if got.is_empty() {
                return Ok(true);
            }
            let n = got.len().min(want - buf.len());
            buf.extend_from_slice(&got[..n]);
            src.consume(n);
        }
        Ok(false)
    }

    /// Walk the document: the decoded text is read in chunks of about `chunk` bytes, each parsed
    /// in place (quick-xml's slice reader borrows from the chunk: no copy per event). An event
    /// cut by the end of a chunk (markup the reader finds unclosed, or text reaching the end)
    /// is parsed again from its start once more text has been read.
    fn run(&self, v: &mut dyn Visitor, chunk: usize) -> std::result::Result<(), Failure> {
        let mut src = input::open(&self.path, &self.plan).map_err(Failure::Other)?;
        let mut w = Walker {
            recover: self.recover,
            utf16: self.plan.encoding.name().starts_with("utf-16"),
            utf8_bom: self.plan.how == "bom" && self.plan.bom_len == 3,
            ..Default::default()
        };
        let mut buf: Vec<u8> = Vec::with_capacity(chunk + (64 << 10));
        // Offset in the decoded text of `buf[0]`.
        let mut base = 0u64;
        let mut eof = false;
        let mut want = chunk;
        loop {
            if !eof {
                eof = self.read_up_to(&mut src, &mut buf, want)?;
            }
            let (text, valid, bad_utf8) = utf8_prefix(&buf, eof);
            // Everything that is left is in this chunk.
            let last = eof && valid == buf.len();
            let skip = pass_on_bom(text, base, w.depth, v)?;
            let body = &text[skip..];
            let off = base + skip as u64;
            check_chars(body, off)?;
            w.cdata_end_in_chunk = memchr::memmem::find(body.as_bytes(), b"]]>").is_some();
            let mut r = chunk_reader(body);
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
                                return Err(self.not_utf8(base + valid as u64));
                            }
                            break skip + start;
                        }
                        return Err(self.quick_error(e, off + r.error_position()));
                    }
                    Ok(Event::Eof) => {
                        if last {
                            self.repairs.fetch_max(w.repairs, std::sync::atomic::Ordering::Relaxed);
                            return w.finish(off + body.len() as u64);
                        }
                        if bad_utf8 {
                            return Err(self.not_utf8(base + valid as u64));
                        }
                        break skip + start;
                    }
                    Ok(Event::Text(_)) if !last && r.buffer_position() as usize >= body.len() => {
                        // The text may go on in the next chunk.
                        if bad_utf8 {
                            return Err(self.not_utf8(base + valid as u64));
                        }
                        break skip + start;
                    }
                    Ok(event) => {
                        let raw = &body[start..r.buffer_position() as usize];
                        w.event(v, event, raw, off + start as u64)?;
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

/// The UTF-8 text at the start of `buf`, its length, and whether what follows it is not UTF-8
/// (rather than a character cut by the end of the chunk: it cannot be when `eof`). The chunk
/// is checked once; only a chunk that ends inside a character (or holds bytes that are not
/// UTF-8) is checked again up to there.
#[inline]
fn utf8_prefix(buf: &[u8], eof: bool) -> (&str, usize, bool) {
    match simdutf8::compat::from_utf8(buf) {
        Ok(t) => (t, buf.len(), false),
        Err(e) => {
            let valid = e.valid_up_to();
            let text = std::str::from_utf8(&buf[..valid]).unwrap_or_default();
            (text, valid, e.error_len().is_some() || eof)
        }
    }
}

/// Every character of a document must be one XML allows (checked once per chunk: a vectorised
/// byte scan, the slow path only when a suspect byte is present); `off` is `body`'s offset.
#[inline]
fn check_chars(body: &str, off: u64) -> std::result::Result<(), Failure> {
    if let Some((at, c)) = wf::illegal_char(body) {
        return Err(Failure::At(off + at as u64, format!("character U+{:04X} is not allowed in XML", c as u32)));
    }
    Ok(())
}

/// A reader removes a byte-order mark where it starts: past the start of the input (`text`
/// starts at offset `base` of it), U+FEFF is a character of the text and is passed on to `v`
/// (inside the root element: `depth` > 0). The bytes of `text` passed on.
#[inline]
fn pass_on_bom(text: &str, base: u64, depth: usize, v: &mut dyn Visitor) -> std::result::Result<usize, Failure> {
    let mut skip = 0usize;
    if base > 0 && text.starts_with('\u{FEFF}') {
        if depth == 0 {
            return Err(Failure::At(base, "text outside the root element".into()));
        }
        v.text("\u{FEFF}");
        skip = '\u{FEFF}'.len_utf8();
    }
    Ok(skip)
}

/// A reader of one chunk of the text.
#[inline]
fn chunk_reader(body: &str) -> Reader<&[u8]> {
    let mut r = Reader::from_str(body);
    let c = r.config_mut();
    // End names are checked by the walker (a reader starts afresh at each chunk).
    c.check_end_names = false;
    c.allow_unmatched_ends = true;
    c.expand_empty_elements = false;
    c.trim_text(false);
    r
}

/// The walk's state between events.
#[derive(Default)]
struct Walker {
    attrs: AttrBuf,
    /// Spans of the current start tag's attributes (scratch space of `wf::start_tag`).
    seen: Vec<[usize; 4]>,
    /// Replacement text of one entity reference.
    scratch: String,
    /// Text with its line ends normalised.
    eol: String,
    /// The chunk being parsed holds `]]>` somewhere, so text events are checked for it (a
    /// chunk without one needs no check per event).
    cdata_end_in_chunk: bool,
    entities: Entities,
    depth: usize,
    roots: u64,
    /// Names of the open elements, end to end in one string (no allocation per element).
    open_names: String,
    open_ends: Vec<usize>,
    /// A DOCTYPE of the current document was read.
    doctype: bool,
    recover: bool,
    /// Repairs made in recover mode.
    repairs: u64,
    /// The bytes are UTF-16 / start with a UTF-8 byte-order mark (for the declared encoding).
    utf16: bool,
    utf8_bom: bool,
}

/// Text with XML 1.0's line ends: `\r\n` and a lone `\r` read as `\n`. The text is a slice of
/// the chunk, checked as UTF-8 once for the whole chunk, so it is passed on as it is unless it
/// holds a `\r`.
fn xml10_line_ends<'a>(text: &'a str, scratch: &'a mut String) -> &'a str {
    if memchr::memchr(b'\r', text.as_bytes()).is_none() {
        return text;
    }
    scratch.clear();
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        scratch.push_str(&rest[..i]);
        scratch.push('\n');
        rest = rest[i + 1..].strip_prefix('\n').unwrap_or(&rest[i + 1..]);
    }
    scratch.push_str(rest);
    scratch
}

/// Strip `open` and `close` from the ends of an event's markup.
fn inner<'a>(raw: &'a str, open: &str, close: &str) -> &'a str {
    let r = raw.strip_prefix(open).unwrap_or(raw);
    r.strip_suffix(close).unwrap_or(r)
}

impl Walker {
    fn event(&mut self, v: &mut dyn Visitor, event: Event<'_>, raw: &str, at: u64) -> std::result::Result<(), Failure> {
        let bad = |m: String| Failure::At(at, m);
        match event {
            Event::Start(_) => self.start(v, inner(raw, "<", ">"), false, at)?,
            Event::Empty(_) => self.start(v, inner(raw, "<", "/>"), true, at)?,
            Event::End(_) => self.end(v, inner(raw, "</", ">"), at)?,
            Event::Text(_) => {
                if self.depth == 0 {
                    if !raw.trim_matches(wf::is_space).is_empty() {
                        return Err(bad("text outside the root element".into()));
                    }
                } else {
                    if self.cdata_end_in_chunk {
                        wf::text(raw).map_err(bad)?;
                    }
                    v.text(xml10_line_ends(raw, &mut self.eol));
                }
            }
            Event::CData(_) => {
                if self.depth == 0 {
                    return Err(bad("CDATA outside the root element".into()));
                }
                if !raw.starts_with("<![CDATA[") {
                    return Err(bad("a CDATA section must start with `<![CDATA[` (upper case)".into()));
                }
                v.text(xml10_line_ends(inner(raw, "<![CDATA[", "]]>"), &mut self.eol));
            }
            Event::GeneralRef(_) => {
                if self.depth == 0 {
                    return Err(bad("entity reference outside the root element".into()));
                }
                let name = inner(raw, "&", ";");
                wf::reference(name).map_err(bad)?;
                self.scratch.clear();
                self.entities.resolve_into(name, &mut self.scratch).map_err(bad)?;
                v.text(&self.scratch);
            }
            Event::DocType(_) => self.doctype(raw).map_err(bad)?,
            Event::Decl(_) => self.decl(inner(raw, "<?", "?>"), at).map_err(bad)?,
            Event::Comment(_) => wf::comment(inner(raw, "<!--", "-->")).map_err(bad)?,
            Event::PI(_) => wf::pi(inner(raw, "<?", "?>")).map_err(bad)?,
            Event::Eof => {}
        }
        Ok(())
    }

    fn start(&mut self, v: &mut dyn Visitor, tag: &str, empty: bool, at: u64) -> std::result::Result<(), Failure> {
        let bad = |m: String| Failure::At(at, m);
        if self.depth == 0 {
            self.roots += 1;
            if self.roots > 1 && !self.repair() {
                return Err(bad(format!(
                    "a second root element <{}> (a document has exactly one; --recover reads concatenated documents)",
                    tag.split(wf::is_space).next().unwrap_or(tag)
                )));
            }
            v.document().map_err(Failure::Other)?;
        }
        let name = match self.attributes(tag) {
            Ok(name) => name,
            Err(m) if self.recover => {
                self.repairs += 1;
                self.lenient_attributes(tag).map_err(|e| bad(format!("{m}; {e}")))?
            }
            Err(m) => return Err(bad(m)),
        };
        let start = self.open_names.len();
        self.open_names.push_str(name);
        v.open(&self.open_names[start..], self.attrs.attrs()).map_err(Failure::Other)?;
        if empty {
            self.open_names.truncate(start);
            v.close().map_err(Failure::Other)?;
        } else {
            self.depth += 1;
            self.open_ends.push(start);
        }
        Ok(())
    }

    /// Read a start tag's attributes strictly into `self.attrs`; the element name.
    fn attributes<'t>(&mut self, tag: &'t str) -> std::result::Result<&'t str, String> {
        self.attrs.clear();
        let (attrs, entities) = (&mut self.attrs, &mut self.entities);
        wf::start_tag(tag, &mut self.seen, |key, value| {
            // Most values hold no reference, `<` or white space to normalise: one short byte
            // scan, and the value is taken as it is.
            let plain = !value.bytes().any(|b| matches!(b, b'<' | b'&' | b'\t' | b'\r' | b'\n'));
            if !plain {
                wf::attribute_literal(value, |name| entities.check_in_attribute(name))?;
            }
            if key == "xmlns" || key.starts_with("xmlns:") {
                return Ok(());
            }
            if plain {
                return attrs.push(key, |out| {
                    out.push_str(value);
                    Ok::<(), String>(())
                });
            }
            attrs.push(key, |out| entities.attribute_value_into(value, out))
        })
    }

    /// Recover mode: HTML-style attributes (a name without a value is an empty value).
    fn lenient_attributes<'t>(&mut self, tag: &'t str) -> std::result::Result<&'t str, String> {
        self.attrs.clear();
        let e = quick_xml::events::BytesStart::from_content(tag, tag.find(wf::is_space).unwrap_or(tag.len()));
        for a in e.html_attributes() {
            let a = a.map_err(|e| e.to_string())?;
            let key: &str = a.key.as_ref();
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            let value: &str = &a.value;
            let entities = &mut self.entities;
            self.attrs.push(key, |out| entities.attribute_value_into(value, out))?;
        }
        let name = &tag[..tag.find(wf::is_space).unwrap_or(tag.len())];
        wf::name(name, "element name")?;
        Ok(name)
    }

    fn end(&mut self, v: &mut dyn Visitor, tag: &str, at: u64) -> std::result::Result<(), Failure> {
        let bad = |m: String| Failure::At(at, m);
        // The usual end tag repeats the open element's name, which was checked at its start.
        let name = match self.open_ends.last() {
            Some(&start) if self.open_names[start..] == *tag => tag,
            _ => wf::end_tag(tag).map_err(bad)?,
        };
        let Some(&start) = self.open_ends.last() else {
            return Err(bad(format!("ill-formed document: `</{name}>` closes no open element")));
        };
        if &self.open_names[start..] != name {
            return Err(bad(format!(
                "ill-formed document: expected `</{}>`, but `</{name}>` was found",
                &self.open_names[start..]
            )));
        }
        v.close().map_err(Failure::Other)?;
        self.depth -= 1;
        self.open_ends.pop();
        self.open_names.truncate(start);
        Ok(())
    }

    fn doctype(&mut self, raw: &str) -> std::result::Result<(), String> {
        if self.depth > 0 {
            return Err("DOCTYPE inside an element".into());
        }
        if self.doctype || self.roots > 0 {
            return Err("a DOCTYPE is only allowed once, before the root element".into());
        }
        self.doctype = true;
        let entities = &mut self.entities;
        dtd::doctype(raw, |name, def| entities.declare(name, def))
    }

    /// An XML declaration: only at the very start of the document (a new document in recover
    /// mode), well-formed, and naming an encoding that agrees with the bytes.
    fn decl(&mut self, body: &str, at: u64) -> std::result::Result<(), String> {
        if self.depth > 0 {
            return Err("XML declaration inside an element".into());
        }
        if at > 0 {
            if self.roots == 0 || !self.repair() {
                return Err("an XML declaration is only allowed at the very start of the document".into());
            }
            self.entities.reset();
            self.doctype = false;
        }
        let d = wf::decl(body)?;
        if let Some(enc) = d.encoding {
            let e = enc.to_ascii_lowercase();
            let says16 =
                e.starts_with("utf-16") || e.starts_with("utf16") || e.starts_with("ucs-2") || e == "iso-10646-ucs-2";
            if says16 != self.utf16 || (self.utf8_bom && e != "utf-8" && e != "utf8") {
                let bytes = if self.utf16 {
                    "UTF-16"
                } else if self.utf8_bom {
                    "UTF-8 (byte-order mark)"
                } else {
                    "not UTF-16"
                };
                return Err(format!("the declared encoding {enc:?} does not agree with the bytes, which are {bytes}"));
            }
        }
        Ok(())
    }

    /// Whether a repair is allowed (recover mode); counts it.
    fn repair(&mut self) -> bool {
        if self.recover {
            self.repairs += 1;
        }
        self.recover
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
    fn repairs(&self) -> u64 {
        self.repairs.load(std::sync::atomic::Ordering::Relaxed)
    }

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
        let input = XmlInput {
            path: path.to_path_buf(),
            plan: input::plan(path, None).unwrap(),
            recover: false,
            repairs: Default::default(),
        };
        let mut log = Log::default();
        match input.run(&mut log, chunk) {
            Ok(()) => Ok(log.0),
            Err(Failure::At(at, m)) => Err(format!("{at}: {m}")),
            Err(Failure::Other(e)) => Err(e.to_string()),
        }
    }

    #[test]
    fn every_chunk_size_reads_the_same_events() {
        let doc =
            "\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!DOCTYPE r [ <!ENTITY co \"ACME &amp; Co\"> ]>\n\
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
