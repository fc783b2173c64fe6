//! Document-information helpers that do not need the engine.

/// Convert a PDF date (`D:YYYYMMDDHHmmSSOHH'mm'`, every part after the year optional) to an
/// ISO 8601 timestamp (`2020-07-31T09:05:00+02:00`, `Z` for UTC; no offset when the PDF gives
/// none). `None` if it is not a PDF date.
///
/// ```
/// use pyforge_core::formats::pdf::meta::pdf_date_to_iso;
/// assert_eq!(pdf_date_to_iso("D:20200731090500+02'00'").unwrap(), "2020-07-31T09:05:00+02:00");
/// ```
pub fn pdf_date_to_iso(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits < 4 || digits % 2 != 0 || digits > 14 {
        return None;
    }
    let part = |i: usize, default: u32| -> u32 {
        if digits >= i + 2 {
            s[i..i + 2].parse().unwrap_or(default)
        } else {
            default
        }
    };
    let year: u32 = s[..4].parse().ok()?;
    let (month, day, hour, minute, second) = (part(4, 1), part(6, 1), part(8, 0), part(10, 0), part(12, 0));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut out = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    let rest = &s[digits..];
    match rest.chars().next() {
        None => {}
        Some('Z') => out.push('Z'),
        Some(sign @ ('+' | '-')) => {
            let nums: Vec<u32> = rest[1..]
                .split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty())
                .map(|p| p.parse().unwrap_or(0))
                .collect();
            let (oh, om) = (nums.first().copied().unwrap_or(0), nums.get(1).copied().unwrap_or(0));
            if oh > 23 || om > 59 {
                return None;
            }
            out.push_str(&format!("{sign}{oh:02}:{om:02}"));
        }
        Some(_) => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::pdf_date_to_iso as iso;

    #[test]
    fn pdf_dates() {
        assert_eq!(iso("D:20200731090500+02'00'").as_deref(), Some("2020-07-31T09:05:00+02:00"));
        assert_eq!(iso("D:20200731090500-05'30").as_deref(), Some("2020-07-31T09:05:00-05:30"));
        assert_eq!(iso("D:20200731090500Z").as_deref(), Some("2020-07-31T09:05:00Z"));
        assert_eq!(iso("D:20200731090500Z00'00'").as_deref(), Some("2020-07-31T09:05:00Z"));
        assert_eq!(iso("D:2020").as_deref(), Some("2020-01-01T00:00:00"));
        assert_eq!(iso("20200731").as_deref(), Some("2020-07-31T00:00:00"));
        assert_eq!(iso("yesterday"), None);
        assert_eq!(iso("D:20201345"), None);
    }
}
