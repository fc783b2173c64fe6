//! Walking an XML document with `quick-xml` (streaming, no DTD fetching) and reporting its
//! elements to a [`Visitor`].

use std::path::PathBuf;

use quick_xml::events::Event;
use quick_xml::Reader;

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

    fn run(&self, v: &mut dyn Visitor) -> std::result::Result<(), Failure> {
        let text = input::open(&self.path, &self.plan).map_err(Failure::Other)?;
        let mut r = Reader::from_reader(text);
        {
            let c = r.config_mut();
            c.check_end_names = true;
            c.expand_empty_elements = false;
            c.trim_text(false);
        }
        let mut buf = Vec::with_capacity(64 << 10);
        let mut attrs = AttrBuf::default();
        // Replacement text of one entity reference.
        let mut scratch = String::new();
        let mut entities = Entities::default();
        let mut depth = 0usize;
        let mut roots = 0u64;
        // Names of the open elements, end to end in one string (no allocation per element).
        let mut open_names = String::new();
        let mut open_ends: Vec<usize> = Vec::new();
        let other = Failure::Other;
        loop {
            buf.clear();
            let event = match r.read_event_into(&mut buf) {
                Ok(e) => e,
                Err(e) => return Err(self.quick_error(e, r.error_position())),
            };
            let pos = r.buffer_position();
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(event, Event::Empty(_));
                    let start = open_names.len();
                    open_names.push_str(e.name().as_ref());
                    attrs.clear();
                    // HTML-style attributes are accepted: a name without a value (`<a checked>`) is an
                    // attribute with an empty value rather than a lost one.
                    for a in e.html_attributes() {
                        let a = a.map_err(|e| Failure::At(pos, e.to_string()))?;
                        let key: &str = a.key.as_ref();
                        if key == "xmlns" || key.starts_with("xmlns:") {
                            continue;
                        }
                        attrs
                            .push(key, |out| entities.attribute_value_into(&a.value, out))
                            .map_err(|m| Failure::At(pos, m))?;
                    }
                    if depth == 0 {
                        roots += 1;
                        v.document().map_err(other)?;
                    }
                    v.open(&open_names[start..], attrs.attrs()).map_err(other)?;
                    if empty {
                        open_names.truncate(start);
                        v.close().map_err(other)?;
                    } else {
                        depth += 1;
                        open_ends.push(start);
                    }
                }
                Event::End(_) => {
                    v.close().map_err(other)?;
                    depth = depth.saturating_sub(1);
                    if let Some(start) = open_ends.pop() {
                        open_names.truncate(start);
                    }
                }
                Event::Text(t) => {
                    let t = t.xml10_content();
                    if depth == 0 {
                        if !t.trim().is_empty() {
                            return Err(Failure::At(pos, "text outside the root element".into()));
                        }
                    } else {
                        v.text(&t);
                    }
                }
                Event::CData(t) => {
                    if depth == 0 {
                        return Err(Failure::At(pos, "CDATA outside the root element".into()));
                    }
                    v.text(&t.xml10_content());
                }
                Event::GeneralRef(e) => {
                    if depth == 0 {
                        return Err(Failure::At(pos, "entity reference outside the root element".into()));
                    }
                    scratch.clear();
                    entities.resolve_into(&e, &mut scratch).map_err(|m| Failure::At(pos, m))?;
                    v.text(&scratch);
                }
                Event::DocType(d) => {
                    if depth > 0 {
                        return Err(Failure::At(pos, "DOCTYPE inside an element".into()));
                    }
                    entities.reset();
                    entities.declare_from_doctype(&d.xml10_content());
                }
                Event::Decl(_) => {
                    if depth > 0 {
                        return Err(Failure::At(pos, "XML declaration inside an element".into()));
                    }
                    entities.reset();
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => {
                    if let Some(&start) = open_ends.last() {
                        return Err(Failure::At(pos, format!("the file ends before <{}> is closed", &open_names[start..])));
                    }
                    if roots == 0 {
                        return Err(Failure::At(pos, "no root element".into()));
                    }
                    return Ok(());
                }
            }
        }
    }
}

impl TreeInput for XmlInput {
    fn walk(&self, v: &mut dyn Visitor) -> Result<()> {
        self.run(v).map_err(|f| match f {
            Failure::At(offset, msg) => self.located(offset, msg),
            Failure::Other(e) => e,
        })
    }
}

