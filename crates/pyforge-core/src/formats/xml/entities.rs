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

/// Resolve a character reference body (`#65`, `#x41`).
pub fn char_ref(body: &str) -> Result<char, String> {
    let n = if let Some(h) = body.strip_prefix("#x") {
        u32::from_str_radix(h, 16)
    } else if let Some(d) = body.strip_prefix('#') {
        d.parse::<u32>()
    } else {
        return Err(format!("&{body}; is not a character reference"));
    };
    n.ok().and_then(char::from_u32).filter(|&c| c != '\0').ok_or_else(|| format!("invalid character reference &{body};"))
}

impl Entities {
    /// Forget everything (a new document starts).
    pub fn reset(&mut self) {
        *self = Entities::default();
    }

    /// Read the `<!ENTITY ...>` declarations of a DOCTYPE's text (parameter entities are
    /// ignored). The first declaration of a name wins, as XML says.
    pub fn declare_from_doctype(&mut self, doctype: &str) {
        let mut rest = doctype;
        while let Some(at) = rest.find("<!ENTITY") {
            rest = &rest[at + 8..];
            let t = rest.trim_start();
            if t.starts_with('%') {
                continue;
            }
            let name_end = t.find(|c: char| c.is_whitespace()).unwrap_or(t.len());
            let name = &t[..name_end];
            let after = t[name_end..].trim_start();
            let def = match after.chars().next() {
                Some(q @ ('"' | '\'')) => match after[1..].find(q) {
                    Some(end) => Def::Internal(after[1..1 + end].to_string()),
                    None => continue,
                },
                _ => Def::External,
            };
            if !name.is_empty() {
                self.defs.entry(name.to_string()).or_insert(def);
            }
        }
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
                rest = if c == b'\r' && rest.as_bytes().get(i + 1) == Some(&b'\n') { &rest[i + 2..] } else { &rest[i + 1..] };
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
        e.declare_from_doctype(r#"doc [ <!ENTITY co "ACME &amp; Co"> <!ENTITY full "&co; Ltd"> <!ENTITY ext SYSTEM "file:///etc/passwd"> ]"#);
        assert_eq!(e.resolve("full").unwrap(), "ACME & Co Ltd");
        assert_eq!(e.resolve("#x41").unwrap(), "A");
        assert!(e.resolve("ext").unwrap_err().contains("external"));
        assert!(e.resolve("nope").unwrap_err().contains("undefined"));
        assert_eq!(e.attribute_value("a&lt;b\tc&co;").unwrap(), "a<b cACME & Co");
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut d = String::from("lolz [ <!ENTITY lol \"lol\">");
        for i in 1..10 {
            let prev = if i == 1 { "lol".to_string() } else { format!("lol{}", i - 1) };
            d.push_str(&format!(" <!ENTITY lol{i} \"{}\">", format!("&{prev};").repeat(10)));
        }
        d.push_str(" ]");
        let mut e = Entities::default();
        e.declare_from_doctype(&d);
        assert!(e.resolve("lol9").unwrap_err().contains("bomb"));
    }
}
