//! The document type declaration: its syntax checked (names, external identifiers, the
//! internal subset's element, attribute-list, entity and notation declarations, comments and
//! processing instructions) and its general entity declarations collected. The external subset
//! and external entities are never fetched.

use std::collections::HashMap;

use super::wf::{self, Cur};

/// General entities declared so far (name: external?), to check references in attribute
/// defaults; `None` once a parameter entity reference was seen (declarations after it may be
/// unread, so an undeclared name is no longer an error).
type Known<'a> = Option<HashMap<&'a str, bool>>;

/// A general entity declared in the internal subset.
pub enum Declared<'a> {
    /// Literal value (references not yet expanded).
    Internal(&'a str),
    /// SYSTEM or PUBLIC entity (parsed or unparsed): never fetched.
    External,
}

/// Check a whole `<!DOCTYPE ...>` markup and hand every general entity declaration to `entity`.
pub fn doctype<'a>(raw: &'a str, mut entity: impl FnMut(&'a str, Declared<'a>)) -> Result<(), String> {
    let what = "DOCTYPE";
    let mut c = Cur::new(raw);
    c.expect("<!DOCTYPE", what)?;
    c.need_space(what)?;
    c.name("DOCTYPE root name")?;
    let spaced = c.space();
    if spaced && (c.rest().starts_with("SYSTEM") || c.rest().starts_with("PUBLIC")) {
        external_id(&mut c, what, false)?;
        c.space();
    }
    if c.eat("[") {
        subset(&mut c, &mut entity)?;
        c.expect("]", what)?;
        c.space();
    }
    c.expect(">", what)?;
    if !c.done() {
        return Err(format!("{what}: unexpected {} after its end", c.found()));
    }
    Ok(())
}

/// `ExternalID` (and `PublicID` alone when `public_only_ok`, for notations).
fn external_id(c: &mut Cur, what: &str, public_only_ok: bool) -> Result<(), String> {
    if c.eat("SYSTEM") {
        c.need_space(what)?;
        c.quoted(what)?;
        return Ok(());
    }
    c.expect("PUBLIC", what)?;
    c.need_space(what)?;
    let id = c.quoted(what)?;
    if let Some(bad) = id.chars().find(|&x| !(x.is_ascii_alphanumeric() || " \r\n-'()+,./:=?;!*#@$_%".contains(x))) {
        return Err(format!("{what}: {bad:?} is not allowed in a public identifier"));
    }
    let spaced = c.space();
    if spaced && matches!(c.rest().chars().next(), Some('"' | '\'')) {
        c.quoted(what)?;
    } else if !public_only_ok {
        return Err(format!("{what}: a PUBLIC identifier needs a system literal after it"));
    }
    Ok(())
}

/// The internal subset, up to its closing `]`.
fn subset<'a>(c: &mut Cur<'a>, entity: &mut impl FnMut(&'a str, Declared<'a>)) -> Result<(), String> {
    let mut known: Known = Some(HashMap::new());
    loop {
        c.space();
        let r = c.rest();
        if r.starts_with(']') || r.is_empty() {
            return Ok(());
        }
        if let Some(body) = r.strip_prefix("<!--") {
            // The end is searched after the opener: in `<!--->` the `-->` overlaps it.
            let end = body.find("-->").ok_or("a comment in the DTD is not closed")?;
            wf::comment(&body[..end])?;
            c.at += 4 + end + 3;
        } else if let Some(body) = r.strip_prefix("<?") {
            let end = body.find("?>").ok_or("a processing instruction in the DTD is not closed")?;
            wf::pi(&body[..end])?;
            c.at += 2 + end + 2;
        } else if c.eat("%") {
            c.name("parameter entity reference")?;
            c.expect(";", "parameter entity reference")?;
            known = None;
        } else if c.eat("<!ENTITY") {
            entity_decl(c, &mut known, entity)?;
        } else if c.eat("<!ELEMENT") {
            element_decl(c)?;
        } else if c.eat("<!ATTLIST") {
            attlist_decl(c, &known)?;
        } else if c.eat("<!NOTATION") {
            let what = "<!NOTATION>";
            c.need_space(what)?;
            c.name(what)?;
            c.need_space(what)?;
            external_id(c, what, true)?;
            close(c, what)?;
        } else {
            return Err(format!("DTD: expected a markup declaration but found {}", c.found()));
        }
    }
}

fn close(c: &mut Cur, what: &str) -> Result<(), String> {
    c.space();
    c.expect(">", what)
}

fn entity_decl<'a>(
    c: &mut Cur<'a>,
    known: &mut Known<'a>,
    entity: &mut impl FnMut(&'a str, Declared<'a>),
) -> Result<(), String> {
    let what = "<!ENTITY>";
    c.need_space(what)?;
    let parameter = c.eat("%");
    if parameter {
        c.need_space(what)?;
    }
    let name = c.name("entity name")?;
    c.need_space(what)?;
    let declared = if matches!(c.rest().chars().next(), Some('"' | '\'')) {
        let v = c.quoted(what)?;
        entity_value(v)?;
        Declared::Internal(v)
    } else {
        external_id(c, what, false)?;
        let spaced = c.space();
        if spaced && c.eat("NDATA") {
            if parameter {
                return Err(format!("{what}: a parameter entity cannot be unparsed (NDATA)"));
            }
            c.need_space(what)?;
            c.name("notation name")?;
        }
        Declared::External
    };
    close(c, what)?;
    if !parameter {
        if let Some(k) = known {
            k.entry(name).or_insert(matches!(declared, Declared::External));
        }
        entity(name, declared);
    }
    Ok(())
}

/// An entity value literal: `%` and `&` only as the start of references.
fn entity_value(v: &str) -> Result<(), String> {
    let mut rest = v;
    while let Some(i) = rest.find(['%', '&']) {
        let end = rest[i..].find(';').ok_or("an entity value holds `&` or `%` that starts no reference")? + i;
        let body = &rest[i + 1..end];
        if rest.as_bytes()[i] == b'%' {
            wf::name(body, "parameter entity reference")?;
            return Err("a parameter entity reference inside a markup declaration of the internal subset".into());
        }
        wf::reference(body)?;
        rest = &rest[end + 1..];
    }
    Ok(())
}

fn element_decl(c: &mut Cur) -> Result<(), String> {
    let what = "<!ELEMENT>";
    c.need_space(what)?;
    c.name("element name")?;
    c.need_space(what)?;
    if !(c.eat("EMPTY") || c.eat("ANY")) {
        c.expect("(", what)?;
        c.space();
        if c.eat("#PCDATA") {
            mixed(c, what)?;
        } else {
            group(c, what)?;
            let _ = c.eat("?") || c.eat("*") || c.eat("+");
        }
    }
    close(c, what)
}

/// `Mixed` after `(#PCDATA`.
fn mixed(c: &mut Cur, what: &str) -> Result<(), String> {
    let mut names = 0;
    loop {
        c.space();
        if c.eat(")") {
            if names > 0 {
                c.expect("*", what)?;
            } else {
                c.eat("*");
            }
            return Ok(());
        }
        c.expect("|", what)?;
        c.space();
        c.name(what)?;
        names += 1;
    }
}

/// A choice or sequence after its `(`, up to and with its `)`.
fn group(c: &mut Cur, what: &str) -> Result<(), String> {
    let mut sep = None;
    loop {
        c.space();
        if c.eat("(") {
            c.space();
            group(c, what)?;
        } else {
            c.name(what)?;
        }
        let _ = c.eat("?") || c.eat("*") || c.eat("+");
        c.space();
        if c.eat(")") {
            return Ok(());
        }
        let s = c.rest().chars().next();
        match s {
            Some(x @ ('|' | ',')) if sep.is_none_or(|p| p == x) => {
                sep = Some(x);
                c.at += 1;
            }
            _ => return Err(format!("{what}: expected `|`, `,` or `)` but found {}", c.found())),
        }
    }
}

fn attlist_decl(c: &mut Cur, known: &Known) -> Result<(), String> {
    let what = "<!ATTLIST>";
    c.need_space(what)?;
    c.name("element name")?;
    loop {
        let spaced = c.space();
        if c.eat(">") {
            return Ok(());
        }
        if !spaced {
            return Err(format!("{what}: expected white space but found {}", c.found()));
        }
        c.name("attribute name")?;
        c.need_space(what)?;
        att_type(c, what)?;
        c.need_space(what)?;
        if c.eat("#REQUIRED") || c.eat("#IMPLIED") {
            continue;
        }
        if c.eat("#FIXED") {
            c.need_space(what)?;
        }
        let v = c.quoted(what)?;
        // A default value's references must name internal entities declared before it.
        wf::attribute_literal(v, |name| match known.as_ref().map(|k| k.get(name)) {
            Some(None) if !matches!(name, "lt" | "gt" | "amp" | "apos" | "quot") => {
                Err(format!("{what}: entity &{name}; is used before it is declared"))
            }
            Some(Some(true)) => Err(format!("{what}: &{name}; in an attribute value refers to an external entity")),
            _ => Ok(()),
        })?;
    }
}

fn att_type(c: &mut Cur, what: &str) -> Result<(), String> {
    let notation = c.rest().starts_with("NOTATION");
    if notation {
        c.at += "NOTATION".len();
        c.need_space(what)?;
    }
    if c.eat("(") {
        loop {
            c.space();
            let w = c.word();
            let ok = if notation { wf::is_name(w) } else { wf::is_nmtoken(w) };
            if !ok {
                return Err(format!("{what}: expected a name token but found {}", c.found()));
            }
            c.space();
            if c.eat(")") {
                return Ok(());
            }
            c.expect("|", what)?;
        }
    }
    if notation {
        return Err(format!("{what}: NOTATION needs a list of names"));
    }
    let w = c.word();
    match w {
        "CDATA" | "ID" | "IDREF" | "IDREFS" | "ENTITY" | "ENTITIES" | "NMTOKEN" | "NMTOKENS" => Ok(()),
        _ => Err(format!("{what}: {w:?} is not an attribute type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(d: &str) -> bool {
        doctype(d, |_, _| {}).is_ok()
    }

    #[test]
    fn doctype_syntax() {
        assert!(ok("<!DOCTYPE doc>"));
        assert!(ok("<!DOCTYPE doc SYSTEM \"a.dtd\" [ <!ELEMENT doc (#PCDATA|a)*> <!ELEMENT a (b,(c|d)+)?> ]>"));
        assert!(ok("<!DOCTYPE doc [<!ATTLIST doc a CDATA #IMPLIED b (x|y) 'x' c NOTATION (n) #FIXED \"n\"><!NOTATION n PUBLIC 'p'>]>"));
        assert!(ok(
            "<!DOCTYPE doc [<!ENTITY e \"v &amp; &#65;\"><!ENTITY % p SYSTEM 'p.ent'> %p; <!-- c --><?pi x?>]>"
        ));
        assert!(!ok("<!DOCTYPE doc [<!ELEMENT doc (a|b,c)>]>"));
        assert!(!ok("<!DOCTYPE doc [<!ATTLIST doc a NUMBER #IMPLIED>]>"));
        assert!(!ok("<!DOCTYPE doc [<!ENTITY e \"&\">]>"));
        assert!(!ok("<!DOCTYPE doc [<!ENTITY e SYSTEM>]>"));
        assert!(!ok("<!DOCTYPE doc [<!-- a -- b -->]>"));
        assert!(!ok("<!DOCTYPE doc [<![INCLUDE[ ]]>]>"));
        assert!(!ok("<!doctype doc>"));
    }

    #[test]
    fn a_terminator_overlapping_its_opener_is_not_a_panic() {
        // `<!--->-->` is a comment holding "->"; in `<!--->` and `<?>` the `-->`/`?>` found
        // first overlaps the opener (a slice that began after it ended, before the fix).
        assert!(ok("<!DOCTYPE doc [<!--->-->]>"));
        assert!(!ok("<!DOCTYPE doc [<!--->]>"));
        assert!(!ok("<!DOCTYPE doc [<?>?>]>"));
        assert!(!ok("<!DOCTYPE doc [<?>]>"));
    }
}
