//! Column names as tables get them: usable and unique. Kept apart from output naming
//! ([`crate::naming`], which needs the format registry) so that every reader can use it.

use std::collections::HashSet;

/// Make header names usable and unique: an empty name becomes `column_N` (N its 1-based
/// position), a repeated one gets `_2`, `_3`, ... (`col`, `col_2`), never colliding with a
/// name that already exists.
///
/// ```
/// let names = pyforge_core::column_names::unique_column_names(vec!["a".into(), "".into(), "a".into()]);
/// assert_eq!(names, ["a", "column_2", "a_2"]);
/// ```
pub fn unique_column_names(raw: Vec<String>) -> Vec<String> {
    let wanted: Vec<String> = raw
        .into_iter()
        .enumerate()
        .map(|(i, n)| if n.trim().is_empty() { format!("column_{}", i + 1) } else { n })
        .collect();
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
