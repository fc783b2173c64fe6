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
