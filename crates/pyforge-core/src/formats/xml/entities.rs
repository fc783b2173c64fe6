//! Entity references: the five predefined ones, character references, and entities declared in
//! the document's internal DTD subset, expanded with hard limits (a "billion laughs" document is
//! an error, never gigabytes of memory). External entities are never fetched: referring to one
//! is an error.

use std::collections::HashMap;

/// Largest replacement text of one entity.
pub const MAX_ENTITY_BYTES: usize = 1 << 20;
/// Most replacement text produced by entity references in one document.
pub const MAX_EXPANDED_BYTES: usize = 64 << 20;
/// Deepest nesting of entity references inside entity values.
pub const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone)]
enum Def {
    Internal(String),
    External,
}

/// Entities of one document.
#[derive(Debug, Default)]
pub struct Entities {
    defs: HashMap<String, Def>,
    expanded: HashMap<String, String>,
    used: usize,
}

fn predefined(name: &str) -> Option<&'static str> {
    Some(match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        _ => return None,
    })
}

/// Resolve a character reference body (`#65`, `#x41`) to a character XML allows.
pub fn char_ref(body: &str) -> Result<char, String> {
    match body.strip_prefix('#') {
        Some(digits) => super::wf::char_ref(digits),
        None => Err(format!("&{body}; is not a character reference")),
    }
}

impl Entities {
    /// Forget everything (a new document starts).
    pub fn reset(&mut self) {
        *self = Entities::default();
    }

    /// Declare a general entity of the internal subset. The first declaration of a name wins,
    /// as XML says.
    pub fn declare(&mut self, name: &str, def: super::dtd::Declared) {
        let def = match def {
            super::dtd::Declared::Internal(v) => Def::Internal(v.to_string()),
            super::dtd::Declared::External => Def::External,
        };
        self.defs.entry(name.to_string()).or_insert(def);
    }

    /// A general entity referred to in an attribute value must be declared, internal, and its
    /// replacement text (and that of the entities it refers to) must hold no `<`.
    pub fn check_in_attribute(&self, name: &str) -> Result<(), String> {
        self.check_attr_depth(name, 0)
    }

    fn check_attr_depth(&self, name: &str, depth: usize) -> Result<(), String> {
        if predefined(name).is_some() {
            return Ok(());
        }
        if depth > MAX_DEPTH {
            return Err(format!("entity &{name}; nests more than {MAX_DEPTH} levels deep (recursive entities?)"));
        }
        let raw = match self.defs.get(name) {
            Some(Def::Internal(v)) => v,
            Some(Def::External) => return Err(format!("&{name}; in an attribute value refers to an external entity")),
            None => return Err(format!("undefined entity &{name};")),
        };
        let mut rest = raw.as_str();
        while let Some(i) = rest.find(['&', '<']) {
            if rest.as_bytes()[i] == b'<' {
                return Err(format!("entity &{name}; used in an attribute value holds `<`"));
            }
            let end = rest[i..].find(';').map_or(rest.len(), |e| e + i);
            let inner = &rest[i + 1..end];
            if inner.starts_with('#') {
                if char_ref(inner)? == '<' {
                    return Err(format!("entity &{name}; used in an attribute value holds `<`"));
                }
            } else {
                self.check_attr_depth(inner, depth + 1)?;
            }
            rest = rest.get(end + 1..).unwrap_or("");
        }
        Ok(())
    }

    /// Append the replacement text of `&name;` (name without `&` and `;`) to `out`.
    pub fn resolve_into(&mut self, name: &str, out: &mut String) -> Result<(), String> {
        if name.starts_with('#') {
            out.push(char_ref(name)?);
            return Ok(());
        }
        if let Some(p) = predefined(name) {
            out.push_str(p);
            return Ok(());
        }
        let text = self.expand(name, 0)?;
        self.used += text.len();
        if self.used > MAX_EXPANDED_BYTES {
            return Err(format!(
                "entity references expand to more than {} MiB in this document (an entity expansion bomb?)",
                MAX_EXPANDED_BYTES >> 20
            ));
        }
        out.push_str(&text);
        Ok(())
    }

    /// The replacement text of `&name;` (name without `&` and `;`).
    pub fn resolve(&mut self, name: &str) -> Result<String, String> {
        let mut out = String::new();
        self.resolve_into(name, &mut out)?;
        Ok(out)
    }

    fn expand(&mut self, name: &str, depth: usize) -> Result<String, String> {
        if let Some(t) = self.expanded.get(name) {
            return Ok(t.clone());
        }
        if depth > MAX_DEPTH {
            return Err(format!("entity &{name}; nests more than {MAX_DEPTH} levels deep (recursive entities?)"));
        }
        let raw = match self.defs.get(name) {
            Some(Def::Internal(v)) => v.clone(),
            Some(Def::External) => {
                return Err(format!("&{name}; refers to an external entity, which PyForge never fetches"))
            }
            None => return Err(format!("undefined entity &{name};")),
        };
        let mut out = String::new();
        let mut rest = raw.as_str();
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let end = rest[amp..].find(';').ok_or_else(|| format!("unterminated reference in entity &{name};"))? + amp;
            let inner = &rest[amp + 1..end];
            if inner.starts_with('#') {
                out.push(char_ref(inner)?);
            } else if let Some(p) = predefined(inner) {
                out.push_str(p);
            } else {
                let sub = self.expand(inner, depth + 1)?;
                out.push_str(&sub);
            }
            if out.len() > MAX_ENTITY_BYTES {
                return Err(format!(
                    "entity &{name}; expands to more than {} MiB (an entity expansion bomb?)",
                    MAX_ENTITY_BYTES >> 20
                ));
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        self.expanded.insert(name.to_string(), out.clone());
        Ok(out)
    }

    /// An attribute value as the XML rules normalise it: references resolved, each tab, CR, LF
    /// (and CR LF pair) of the literal value a space.
    pub fn attribute_value(&mut self, raw: &str) -> Result<String, String> {
        let mut out = String::with_capacity(raw.len());
        self.attribute_value_into(raw, &mut out)?;
        Ok(out)
    }

    /// [`Self::attribute_value`], appended to `out`.
    pub fn attribute_value_into(&mut self, raw: &str, out: &mut String) -> Result<(), String> {
        let mut rest = raw;
        loop {
            let stop = rest.find(['&', '\t', '\r', '\n']);
            let Some(i) = stop else {
                out.push_str(rest);
                break;
            };
            out.push_str(&rest[..i]);
            let c = rest.as_bytes()[i];
            if c == b'&' {
                let end = rest[i..].find(';').ok_or("unterminated entity reference in an attribute")? + i;
                let name = &rest[i + 1..end];
                self.resolve_into(name, out)?;
                rest = &rest[end + 1..];
            } else {
                out.push(' ');
                rest = if c == b'\r' && rest.as_bytes().get(i + 1) == Some(&b'\n') {
                    &rest[i + 2..]
                } else {
                    &rest[i + 1..]
                };
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_entities_expand() {
        let mut e = Entities::default();
        let d = r#"<!DOCTYPE doc [ <!ENTITY co "ACME &amp; Co"> <!ENTITY full "&co; Ltd"> <!ENTITY ext SYSTEM "file:///etc/passwd"> ]>"#;
        super::super::dtd::doctype(d, |n, v| e.declare(n, v)).unwrap();
        assert_eq!(e.resolve("full").unwrap(), "ACME & Co Ltd");
        assert_eq!(e.resolve("#x41").unwrap(), "A");
        assert!(e.resolve("ext").unwrap_err().contains("external"));
        assert!(e.resolve("nope").unwrap_err().contains("undefined"));
        assert_eq!(e.attribute_value("a&lt;b\tc&co;").unwrap(), "a<b cACME & Co");
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut d = String::from("<!DOCTYPE lolz [ <!ENTITY lol \"lol\">");
        for i in 1..10 {
            let prev = if i == 1 { "lol".to_string() } else { format!("lol{}", i - 1) };
            d.push_str(&format!(" <!ENTITY lol{i} \"{}\">", format!("&{prev};").repeat(10)));
        }
        d.push_str(" ]>");
        let mut e = Entities::default();
        super::super::dtd::doctype(&d, |n, v| e.declare(n, v)).unwrap();
        assert!(e.resolve("lol9").unwrap_err().contains("bomb"));
    }
}
