//! The PDF engine: the one file that talks to the `pdf_oxide` crate (text extraction, page
//! count, document information). Everything here is called from inside [`super::guard`].

use std::collections::BTreeMap;
use std::path::Path;

use pdf_oxide::object::Object;
use pdf_oxide::PdfDocument;

use super::meta::pdf_date_to_iso;

/// An opened, decrypted document.
pub struct Doc {
    doc: PdfDocument,
    encrypted: bool,
}

/// Why a document could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// Encrypted and the password (or its absence) does not open it.
    Password(String),
    /// Anything else the engine reported.
    Other(String),
}

impl Doc {
    /// Open and, if encrypted, authenticate (`password`, else the empty user password).
    pub fn open(path: &Path, password: Option<&str>) -> Result<Doc, OpenError> {
        let doc = PdfDocument::open(path).map_err(|e| OpenError::Other(e.to_string()))?;
        let encrypted = doc.is_encrypted();
        if encrypted {
            let ok = doc
                .authenticate(password.unwrap_or("").as_bytes())
                .map_err(|e| OpenError::Other(format!("cannot decrypt: {e}")))?;
            if !ok {
                return Err(OpenError::Password(match password {
                    None => "the PDF is encrypted and needs a password (use --password)".into(),
                    Some(_) => "the PDF is encrypted and --password is not its password".into(),
                }));
            }
        }
        Ok(Doc { doc, encrypted })
    }

    /// Number of pages.
    pub fn page_count(&self) -> Result<u32, String> {
        let n = self.doc.page_count().map_err(|e| format!("cannot count pages: {e}"))?;
        u32::try_from(n).map_err(|_| format!("implausible page count {n}"))
    }

    /// Text of one page (1-based), in reading order, lines separated by `\n`.
    pub fn page_text(&self, page: u32) -> Result<String, String> {
        self.doc.extract_text(page as usize - 1).map_err(|e| e.to_string())
    }

    /// Text of one page (1-based) rebuilt from the engine's words in physical layout order
    /// ([`super::layout`]). Experimental and not used by the reader: on the pdfplumber corpus
    /// it separates table cells that [`Doc::page_text`] glues together, but loses elsewhere
    /// (unreliable glyph widths of some fonts split words); see the module documentation.
    pub fn page_text_physical(&self, page: u32) -> Result<String, String> {
        let words = self.doc.extract_words(page as usize - 1).map_err(|e| e.to_string())?;
        let glyphs: Vec<_> = words
            .iter()
            .enumerate()
            .flat_map(|(w, word)| word.chars.iter().map(move |c| glyph(c, Some(w as u32))))
            .collect();
        Ok(super::layout::page_text(&glyphs))

    }

    /// Facts for `info`: version, encryption and the document information dictionary (text
    /// fields decoded, dates as ISO 8601 timestamps; a date that does not parse is kept as
    /// written).
    pub fn details(&self) -> BTreeMap<String, serde_json::Value> {
        let mut d = BTreeMap::new();
        let (major, minor) = self.doc.version();
        d.insert("pdf_version".into(), format!("{major}.{minor}").into());
        d.insert("encrypted".into(), self.encrypted.into());
        let info = self
            .doc
            .trailer()
            .as_dict()
            .and_then(|t| t.get("Info"))
            .and_then(|i| self.doc.resolve_object(i).ok());
        let Some(Object::Dictionary(info)) = info else { return d };
        for (key, name) in [
            ("Title", "title"),
            ("Author", "author"),
            ("Subject", "subject"),
            ("Keywords", "keywords"),
            ("Creator", "creator"),
            ("Producer", "producer"),
            ("CreationDate", "created"),
            ("ModDate", "modified"),
        ] {
            let Some(v) = info.get(key) else { continue };
            let v = self.doc.resolve_object(v).unwrap_or_else(|_| v.clone());
            let Some(bytes) = v.as_string() else { continue };
            let text = pdf_oxide::optional_content::decode_pdf_text_string(bytes);
            let text = text.trim_end_matches('\0').to_string();
            if text.is_empty() {
                continue;
            }
            let value = if name == "created" || name == "modified" { pdf_date_to_iso(&text).unwrap_or(text) } else { text };
            d.insert(name.into(), value.into());
        }
        d
    }
}

/// The engine's positioned character as a layout [`Glyph`](super::layout::Glyph).
fn glyph(c: &pdf_oxide::layout::TextChar, word: Option<u32>) -> super::layout::Glyph {
    let unit = |x: f32, y: f32| {
        let n = (x * x + y * y).sqrt();
        if n > 0.0 && n.is_finite() {
            Some((x / n, y / n))
        } else {
            None
        }
    };
    let (dir, up) = match c.matrix.and_then(|m| Some((unit(m[0], m[1])?, unit(m[2], m[3])?))) {
        Some(v) => v,
        None => {
            let r = c.rotation_degrees.to_radians();
            ((r.cos(), r.sin()), (-r.sin(), r.cos()))
        }
    };
    let height = if c.ascent - c.descent > 0.0 { c.ascent - c.descent } else { c.font_size };
    let advance = if c.rendered_advance > 0.0 { c.rendered_advance } else { c.advance_width };
    super::layout::Glyph { ch: c.char, x: c.origin_x, y: c.origin_y, advance, height, dir, up, word }
}
