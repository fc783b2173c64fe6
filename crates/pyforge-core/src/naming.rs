//! Names: unique column names for headers, and safe file names for tables.

use std::collections::HashSet;

/// Make header names usable and unique: an empty name becomes `column_N` (N its 1-based
/// position), a repeated one gets `_2`, `_3`, ... (`col`, `col_2`), never colliding with a
/// name that already exists.
///
/// ```
/// let names = pyforge_core::naming::unique_column_names(vec!["a".into(), "".into(), "a".into()]);
/// assert_eq!(names, ["a", "column_2", "a_2"]);
/// ```
pub fn unique_column_names(raw: Vec<String>) -> Vec<String> {
    let wanted: Vec<String> =
        raw.into_iter().enumerate().map(|(i, n)| if n.trim().is_empty() { format!("column_{}", i + 1) } else { n }).collect();
    let mut taken: HashSet<String> = HashSet::new();
    let mut firsts: HashSet<&str> = HashSet::new();
    // First occurrences keep their name, so later duplicates never steal it.
    let keep: Vec<bool> = wanted.iter().map(|n| firsts.insert(n.as_str())).collect();
    for (n, k) in wanted.iter().zip(&keep) {
        if *k {
            taken.insert(n.clone());
        }
    }
    wanted
        .iter()
        .zip(keep)
        .map(|(n, k)| {
            if k {
                return n.clone();
            }
            let mut i = 2;
            loop {
                let candidate = format!("{n}_{i}");
                if taken.insert(candidate.clone()) {
                    return candidate;
                }
                i += 1;
            }
        })
        .collect()
}

const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A file-name stem for a table name: separators and characters Windows forbids become `_`,
/// reserved device names get a `_` prefix, empty and dot-only names become `table`, and the
/// result is at most 120 bytes. It never contains a path separator, so it never escapes the
/// output folder.
///
/// ```
/// assert_eq!(pyforge_core::naming::safe_file_stem("../x"), ".._x");
/// assert_eq!(pyforge_core::naming::safe_file_stem("Order Details"), "Order Details");
/// assert_eq!(pyforge_core::naming::safe_file_stem("CON"), "_CON");
/// ```
pub fn safe_file_stem(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    while s.ends_with(' ') || s.ends_with('.') {
        s.pop();
    }
    let s2 = s.trim_start().to_string();
    s = s2;
    if s.is_empty() || s.chars().all(|c| c == '.') {
        s = if s.is_empty() { "table".into() } else { s.replace('.', "_") };
    }
    let base = s.split('.').next().unwrap_or("").to_ascii_uppercase();
    if RESERVED.contains(&base.as_str()) {
        s.insert(0, '_');
    }
    if s.len() > 120 {
        let mut cut = 120;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// Safe, unique file stems for a list of table names: names that differ only in case (which
/// collide on case-insensitive file systems) or sanitise to the same text get `_2`, `_3`, ...
pub fn unique_file_stems<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    names
        .into_iter()
        .map(|n| {
            let base = safe_file_stem(n);
            let mut candidate = base.clone();
            let mut i = 2;
            while !taken.insert(candidate.to_lowercase()) {
                candidate = format!("{base}_{i}");
                i += 1;
            }
            candidate
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_unique_and_never_steal() {
        let n = unique_column_names(vec!["col".into(), "col".into(), "col_2".into(), " ".into()]);
        assert_eq!(n, ["col", "col_3", "col_2", "column_4"]);
    }

    #[test]
    fn file_stems_stay_inside_and_unique() {
        let stems = unique_file_stems(["a/b", "a_b", "Sales", "SALES", "", "..", "lpt1.txt"]);
        assert_eq!(stems, ["a_b", "a_b_2", "Sales", "SALES_2", "table", "table_2", "_lpt1.txt"]);
        assert!(safe_file_stem(&"x".repeat(300)).len() <= 120);
    }
}
