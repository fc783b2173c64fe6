//! XML 1.0 (fifth edition) well-formedness rules that quick-xml leaves to its caller: legal
//! characters and names, start-tag syntax (quoted, unique attributes without `<`), comments,
//! processing instructions, the XML declaration and references. Each check works on one
//! event's raw markup, so memory stays constant.

/// `NameStartChar` of XML 1.0, fifth edition.
pub fn is_name_start(c: char) -> bool {
    matches!(c, ':' | 'A'..='Z' | '_' | 'a'..='z')
        || matches!(c as u32,
            0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF | 0x370..=0x37D | 0x37F..=0x1FFF | 0x200C..=0x200D
            | 0x2070..=0x218F | 0x2C00..=0x2FEF | 0x3001..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD
            | 0x10000..=0xEFFFF)
}

/// `NameChar` of XML 1.0, fifth edition.
pub fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}')
        || matches!(c as u32, 0x300..=0x36F | 0x203F..=0x2040)
}

/// `Char` of XML 1.0 (Rust strings hold no surrogates).
pub fn is_xml_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xFFFD | 0x10000..=0x10FFFF)
}

/// ASCII bytes that may start a name (bit 1) or continue one (bit 2): one table load per byte
/// on the hot path of every tag.
const NAME_BYTES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        if c.is_ascii_alphabetic() || c == b'_' || c == b':' {
            t[i] = 3;
        } else if c.is_ascii_digit() || c == b'-' || c == b'.' {
            t[i] = 2;
        }
        i += 1;
    }
    t
};

/// An ASCII byte that may start a name.
fn ascii_name_start(x: u8) -> bool {
    NAME_BYTES[x as usize] & 1 != 0
}

/// An ASCII byte that may continue a name.
fn ascii_name_byte(x: u8) -> bool {
    NAME_BYTES[x as usize] & 2 != 0
}

/// Whether `s` is a `Name`.
pub fn is_name(s: &str) -> bool {
    // Most names are ASCII: a byte scan decides them without decoding characters.
    if ascii_name_end(s.as_bytes(), 0) == Some(s.len()) {
        return true;
    }
    let mut cs = s.chars();
    cs.next().is_some_and(is_name_start) && cs.all(is_name_char)
}

/// Whether `s` is an `Nmtoken`.
pub fn is_nmtoken(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_name_char)
}

/// `S`: space, tab, CR, LF.
pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// The byte offset and value of the first character XML does not allow, if any. A fast byte
/// scan first: only control bytes and the UTF-8 lead of U+FFFE/U+FFFF (0xEF 0xBF 0xBE/BF) can
/// start one.
pub fn illegal_char(text: &str) -> Option<(usize, char)> {
    let b = text.as_bytes();
    // Bitwise, not short-circuit: the scan stays branch-free and vectorises.
    let suspect = |x: u8| ((x < 0x20) & (x != 9) & (x != 10) & (x != 13)) | (x == 0xEF);
    // Branch-free within a block so the scan vectorises; blocks stop at the first hit.
    if !b.chunks(256).any(|blk| blk.iter().fold(false, |acc, &x| acc | suspect(x))) {
        return None;
    }
    text.char_indices().find(|&(_, c)| !is_xml_char(c))
}

/// A name as found in markup, for messages.
fn shown(s: &str) -> String {
    let s: String = s.chars().take(40).collect();
    format!("{s:?}")
}

/// Check a `Name` where one is expected.
pub fn name(s: &str, what: &str) -> Result<(), String> {
    if is_name(s) {
        return Ok(());
    }
    Err(match s.chars().next() {
        None => format!("{what}: a name was expected but none was found"),
        Some(c) if !is_name_start(c) => format!("{what} {}: a name cannot start with {c:?}", shown(s)),
        _ => format!("{what} {}: not a valid XML name", shown(s)),
    })
}

/// Check the content of a comment (between `<!--` and `-->`).
pub fn comment(body: &str) -> Result<(), String> {
    if body.contains("--") || body.ends_with('-') {
        return Err("`--` inside a comment (a comment cannot contain two hyphens in a row)".into());
    }
    Ok(())
}

/// Check character data: `]]>` may only end a CDATA section.
pub fn text(t: &str) -> Result<(), String> {
    // Most text holds no `>` at all: one byte search (a substring searcher costs more to set
    // up per call than the short texts of record-shaped documents take to scan).
    let b = t.as_bytes();
    if memchr::memchr_iter(b'>', b).any(|i| i >= 2 && &b[i - 2..i] == b"]]") {
        return Err("`]]>` in text (it may only end a CDATA section; write `]]&gt;`)".into());
    }
    Ok(())
}

/// Check a processing instruction's content (between `<?` and `?>`): a target name other than
/// `xml` in any case, then white space before any data.
pub fn pi(body: &str) -> Result<(), String> {
    let end = body.find(is_space).unwrap_or(body.len());
    let target = &body[..end];
    name(target, "processing instruction target")?;
    if target.eq_ignore_ascii_case("xml") {
        return Err("an XML declaration (`<?xml ...?>`) is only allowed at the very start of the document".into());
    }
    Ok(())
}

/// Check a reference's body (between `&` and `;`): a name, or a character reference to a
/// character XML allows.
pub fn reference(body: &str) -> Result<(), String> {
    if let Some(digits) = body.strip_prefix('#') {
        return char_ref(digits).map(|_| ());
    }
    name(body, "entity reference")
}

/// The character of a character reference (`digits` after `&#`: `65` or `x41`).
pub fn char_ref(digits: &str) -> Result<char, String> {
    let (radix, ds) = match digits.strip_prefix('x') {
        Some(h) => (16, h),
        None => (10, digits),
    };
    let ok = !ds.is_empty() && ds.chars().all(|c| c.is_digit(radix));
    let c = ok.then(|| u32::from_str_radix(ds, radix).ok()).flatten().and_then(char::from_u32);
    match c {
        Some(c) if is_xml_char(c) => Ok(c),
        _ => Err(format!("character reference &#{digits}; is not a character XML allows")),
    }
}

/// Cursor over markup text.
pub struct Cur<'a> {
    pub s: &'a str,
    pub at: usize,
}

impl<'a> Cur<'a> {
    pub fn new(s: &'a str) -> Self {
        Cur { s, at: 0 }
    }
    pub fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }
    pub fn done(&self) -> bool {
        self.at >= self.s.len()
    }
    /// Skip white space; whether there was any.
    #[inline]
    pub fn space(&mut self) -> bool {
        skip_space(self.s.as_bytes(), &mut self.at)
    }
    pub fn eat(&mut self, lit: &str) -> bool {
        let ok = self.rest().starts_with(lit);
        if ok {
            self.at += lit.len();
        }
        ok
    }
    pub fn expect(&mut self, lit: &str, what: &str) -> Result<(), String> {
        if self.eat(lit) {
            return Ok(());
        }
        Err(format!("{what}: expected `{lit}` but found {}", self.found()))
    }
    pub fn need_space(&mut self, what: &str) -> Result<(), String> {
        if self.space() {
            return Ok(());
        }
        Err(format!("{what}: expected white space but found {}", self.found()))
    }
    /// What is at the cursor, for messages.
    pub fn found(&self) -> String {
        match self.rest().chars().next() {
            None => "the end of the markup".into(),
            Some(_) => shown(&self.rest().chars().take(12).collect::<String>()),
        }
    }
    /// A run of name characters (possibly empty).
    pub fn word(&mut self) -> &'a str {
        let r = self.rest();
        // ASCII name bytes first (the common case), characters only past them.
        let ascii = r.bytes().take_while(|&b| ascii_name_byte(b)).count();
        let n = ascii + r[ascii..].find(|c: char| !is_name_char(c)).unwrap_or(r.len() - ascii);
        self.at += n;
        &r[..n]
    }
    #[inline]
    pub fn name(&mut self, what: &str) -> Result<&'a str, String> {
        // An ASCII name followed by ASCII (the common case) is valid as scanned.
        if let Some(end) = ascii_name_end(self.s.as_bytes(), self.at) {
            // ASCII bytes on both sides: `at` and `end` are character boundaries.
            let w = &self.s[self.at..end];
            self.at = end;
            return Ok(w);
        }
        self.name_slow(what)
    }
    #[cold]
    fn name_slow(&mut self, what: &str) -> Result<&'a str, String> {
        let w = self.word();
        name(w, what)?;
        Ok(w)
    }
    /// A quoted literal's content.
    #[inline]
    pub fn quoted(&mut self, what: &str) -> Result<&'a str, String> {
        let r = self.rest();
        let q = match r.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return Err(format!("{what}: expected a quoted value but found {}", self.found())),
        };
        let end =
            memchr::memchr(q, &r.as_bytes()[1..]).ok_or_else(|| format!("{what}: the quoted value is not closed"))?;
        self.at += end + 2;
        Ok(&r[1..1 + end])
    }
}

/// Check the references and `<` of an attribute value literal; calls `entity` with every
/// general entity name referred to.
pub fn attribute_literal(v: &str, mut entity: impl FnMut(&str) -> Result<(), String>) -> Result<(), String> {
    if memchr::memchr2(b'<', b'&', v.as_bytes()).is_none() {
        return Ok(()); // the common case: one scan
    }
    if v.contains('<') {
        return Err("`<` in an attribute value (write `&lt;`)".into());
    }
    let mut rest = v;
    while let Some(i) = rest.find('&') {
        let end = rest[i..].find(';').ok_or("`&` in an attribute value that starts no reference (write `&amp;`)")? + i;
        let body = &rest[i + 1..end];
        reference(body)?;
        if !body.starts_with('#') {
            entity(body)?;
        }
        rest = &rest[end + 1..];
    }
    Ok(())
}

/// Parse a start tag's content (between `<` and `>` or `/>`): its name, then each attribute
/// (`name`, raw value) handed to `attr`. Names must be unique within the tag. `seen` is scratch
/// space (attribute name and value spans), kept by the caller so no tag allocates.
pub fn start_tag<'a>(
    raw: &'a str,
    seen: &mut Vec<[usize; 4]>,
    mut attr: impl FnMut(&'a str, &'a str) -> Result<(), String>,
) -> Result<&'a str, String> {
    if let Some(name_end) = plain_start_tag(raw.as_bytes(), seen) {
        // Every span ends at an ASCII byte (a name's end, a quote): character boundaries.
        for &[ks, ke, vs, ve] in seen.iter() {
            attr(&raw[ks..ke], &raw[vs..ve])?;
        }
        return Ok(&raw[..name_end]);
    }
    checked_start_tag(raw, seen, attr)
}

/// The end of the ASCII name starting at `at`, when one starts there and an ASCII byte (or the
/// end) follows it; `None` leaves the decision to the checked parsers.
#[inline]
fn ascii_name_end(b: &[u8], at: usize) -> Option<usize> {
    if !ascii_name_start(*b.get(at)?) {
        return None;
    }
    let mut i = at + 1;
    while i < b.len() && ascii_name_byte(b[i]) {
        i += 1;
    }
    if i < b.len() && !b[i].is_ascii() {
        return None;
    }
    Some(i)
}

/// Skip `S` from `*i`; whether there was any.
#[inline]
fn skip_space(b: &[u8], i: &mut usize) -> bool {
    let start = *i;
    while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\r' | b'\n') {
        *i += 1;
    }
    *i > start
}

/// The start tags of most documents, decided byte by byte: ASCII names and quoted values with
/// unique names. Fills `seen` with the attributes' spans and gives the name's end; `None` for
/// anything else, which the checked parser then accepts or refuses with its message (so this
/// fast path accepts nothing the checked one refuses).
fn plain_start_tag(b: &[u8], seen: &mut Vec<[usize; 4]>) -> Option<usize> {
    seen.clear();
    let name_end = ascii_name_end(b, 0)?;
    let mut i = name_end;
    loop {
        let spaced = skip_space(b, &mut i);
        if i == b.len() {
            return Some(name_end);
        }
        if !spaced {
            return None;
        }
        let ks = i;
        let ke = ascii_name_end(b, i)?;
        i = ke;
        skip_space(b, &mut i);
        if b.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        skip_space(b, &mut i);
        let q = *b.get(i)?;
        if q != b'"' && q != b'\'' {
            return None;
        }
        let vs = i + 1;
        let ve = vs + b[vs..].iter().position(|&x| x == q)?;
        if seen.iter().any(|s| b[s[0]..s[1]] == b[ks..ke]) {
            return None;
        }
        seen.push([ks, ke, vs, ve]);
        i = ve + 1;
    }
}

/// [`start_tag`] for any tag, with a message for each way it can be malformed.
fn checked_start_tag<'a>(
    raw: &'a str,
    seen: &mut Vec<[usize; 4]>,
    mut attr: impl FnMut(&'a str, &'a str) -> Result<(), String>,
) -> Result<&'a str, String> {
    let mut c = Cur::new(raw);
    let tag = c.name("element name")?;
    seen.clear();
    loop {
        let spaced = c.space();
        if c.done() {
            return Ok(tag);
        }
        if !spaced {
            return Err(format!("in <{tag}>: expected white space or the end of the tag but found {}", c.found()));
        }
        let key_at = c.at;
        let key = c.name("attribute name").map_err(|m| format!("in <{tag}>: {m}"))?;
        c.space();
        if !c.eat("=") {
            return Err(format!("in <{tag}>: attribute {key} has no value (expected `=` and a quoted value)"));
        }
        c.space();
        let value = c.quoted("attribute value").map_err(|m| format!("in <{tag}>, attribute {key}: {m}"))?;
        if seen.iter().any(|s| &raw[s[0]..s[1]] == key) {
            return Err(format!("in <{tag}>: attribute {key} appears twice"));
        }
        seen.push([key_at, key_at + key.len(), 0, 0]);
        attr(key, value)?;
    }
}

/// Check an end tag's content (between `</` and `>`): a name, then optional white space.
pub fn end_tag(raw: &str) -> Result<&str, String> {
    let b = raw.as_bytes();
    if let Some(n) = ascii_name_end(b, 0) {
        let mut i = n;
        skip_space(b, &mut i);
        if i == b.len() {
            return Ok(&raw[..n]);
        }
    }
    let mut c = Cur::new(raw);
    let tag = c.name("end tag")?;
    c.space();
    if !c.done() {
        return Err(format!("in </{tag}>: expected `>` but found {}", c.found()));
    }
    Ok(tag)
}

/// What an XML declaration says.
#[derive(Debug, Default)]
pub struct Decl<'a> {
    pub encoding: Option<&'a str>,
}

/// Check an XML declaration's content (between `<?` and `?>`): `xml`, `version`, then optional
/// `encoding` and `standalone`, in that order.
pub fn decl(raw: &str) -> Result<Decl<'_>, String> {
    let what = "XML declaration";
    let mut c = Cur::new(raw);
    c.expect("xml", what)?;
    c.need_space(what)?;
    c.expect("version", what)?;
    eq(&mut c, what)?;
    let v = c.quoted(what)?;
    let minor = v.strip_prefix("1.").filter(|m| !m.is_empty() && m.chars().all(|d| d.is_ascii_digit()));
    if minor.is_none() {
        return Err(format!("{what}: version {v:?} is not 1.x"));
    }
    let mut d = Decl::default();
    let mut spaced = c.space();
    if spaced && c.eat("encoding") {
        eq(&mut c, what)?;
        let e = c.quoted(what)?;
        let mut cs = e.chars();
        let ok = cs.next().is_some_and(|x| x.is_ascii_alphabetic())
            && cs.all(|x| x.is_ascii_alphanumeric() || "._-".contains(x));
        if !ok {
            return Err(format!("{what}: {e:?} is not an encoding name"));
        }
        d.encoding = Some(e);
        spaced = c.space();
    }
    if spaced && c.eat("standalone") {
        eq(&mut c, what)?;
        let s = c.quoted(what)?;
        if s != "yes" && s != "no" {
            return Err(format!("{what}: standalone must be \"yes\" or \"no\", not {s:?}"));
        }
        c.space();
    }
    if !c.done() {
        return Err(format!("{what}: unexpected {}", c.found()));
    }
    Ok(d)
}

fn eq(c: &mut Cur, what: &str) -> Result<(), String> {
    c.space();
    c.expect("=", what)?;
    c.space();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tags_and_declarations() {
        assert!(is_name("doc") && is_name("_a.b-c:d") && is_name("été"));
        assert!(!is_name("12") && !is_name(".doc") && !is_name(""));
        let mut seen = Vec::new();
        let mut got = Vec::new();
        assert_eq!(
            start_tag("a x='1' y = \"2\"  ", &mut seen, |k, v| {
                let _: () = got.push((k, v));
                Ok(())
            })
            .unwrap(),
            "a"
        );
        assert_eq!(got, [("x", "1"), ("y", "2")]);
        assert!(start_tag("doc a1", &mut seen, |_, _| Ok(())).unwrap_err().contains("no value"));
        assert!(start_tag("doc a='1'b='2'", &mut seen, |_, _| Ok(())).is_err());
        assert!(start_tag("doc a='1' a='2'", &mut seen, |_, _| Ok(())).unwrap_err().contains("twice"));
        assert!(start_tag("doc 12=\"34\"", &mut seen, |_, _| Ok(())).is_err());
        // The byte-level path and the checked parser agree, tag by tag.
        for tag in [
            "a",
            "a:b x='1'",
            "a  x = \"1\"\ty='2'\n",
            "é x='1'",
            "a é='1'",
            "a x='é' y=\"\"",
            "a x='1'y='2'",
            "a x='1' x='2'",
            "a x",
            "a x=1",
            "a x='1",
            "a 1='2'",
            "a x=\"'\" y='\"'",
            "a\r\nx='1'",
            "a x='<'",
        ] {
            let (mut fast, mut checked) = (Vec::new(), Vec::new());
            let f = start_tag(tag, &mut seen, |k, v| {
                let _: () = fast.push((k, v));
                Ok(())
            });
            let c = checked_start_tag(tag, &mut seen, |k, v| {
                let _: () = checked.push((k, v));
                Ok(())
            });
            assert_eq!((f, fast), (c, checked), "{tag:?}");
        }
        for tag in ["a", "a ", "a\t\n", "é", "a b", "1a", "a:b-c.d"] {
            let mut c = Cur::new(tag);
            let checked = c.name("end tag").and_then(|n| {
                c.space();
                if c.done() {
                    Ok(n)
                } else {
                    Err("more".into())
                }
            });
            assert_eq!(end_tag(tag).is_ok(), checked.is_ok(), "{tag:?}");
        }
        assert!(decl("xml version='1.0' encoding='UTF-8' standalone='yes'").is_ok());
        assert!(decl("xml encoding='UTF-8' version='1.0'").is_err());
        assert!(decl("xml version='1.0' standalone='yes' encoding='UTF-8'").is_err());
        assert!(comment(" a -- b ").is_err() && comment(" a - b ").is_ok() && comment("a-").is_err());
        assert!(pi("xml-stylesheet href='a'").is_ok() && pi("XmL x").is_err());
        assert!(
            char_ref("x41").is_ok() && char_ref("0").is_err() && char_ref("+5").is_err() && char_ref("xFFFE").is_err()
        );
        assert!(text("a ]] > b ]>").is_ok() && text("]]>").is_err() && text("x]]]>").is_err() && text(">]]>").is_err());
        assert_eq!(illegal_char("ok\u{1}"), Some((2, '\u{1}')));
        assert_eq!(illegal_char("ok\u{FFFE}"), Some((2, '\u{FFFE}')));
        assert_eq!(illegal_char("é日本\t\r\n"), None);
    }
}
