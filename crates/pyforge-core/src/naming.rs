//! Names of outputs: safe file names for tables, and the names of outputs made from input
//! files (the one rule the CLI, Python and Spark all use). Column names are in
//! [`crate::column_names`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

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

/// The input's file name without its format's extension: the longest registered extension
/// (`xml.gz`, `csv`) when one matches, else the last dotted part. `sales.2023.csv` keeps its
/// inner dot (`sales.2023`), `feed.xml.gz` becomes `feed`.
fn split_extension(name: &str) -> (&str, &str) {
    // Extensions are ASCII: compare on an ASCII-lowercased copy, whose byte offsets are the name's.
    let lower = name.to_ascii_lowercase();
    let known = crate::registry::registry()
        .iter()
        .flat_map(|f| f.extensions().iter())
        .filter(|e| lower.len() > e.len() + 1 && lower.ends_with(&format!(".{e}")))
        .map(|e| e.len())
        .max();
    let cut = match known {
        Some(len) => name.len() - len - 1,
        None => match name.rfind('.') {
            Some(i) if i > 0 => i,
            _ => name.len(),
        },
    };
    (&name[..cut], name[cut..].trim_start_matches('.'))
}

/// The output stem of one input converted alone: its file name without the format extension,
/// made safe (`sales.csv` -> `sales`, `sales.2023.csv` -> `sales.2023`).
///
/// ```
/// use std::path::Path;
/// assert_eq!(pyforge_core::naming::output_stem(Path::new("in/sales.2023.csv")), "sales.2023");
/// assert_eq!(pyforge_core::naming::output_stem(Path::new("feed.xml.gz")), "feed");
/// ```
pub fn output_stem(input: &Path) -> String {
    let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = split_extension(&name).0;
    safe_file_stem(if stem.is_empty() { "output" } else { stem })
}

/// Output stems for the inputs of one batch, in input order. `output_dir` is the common output
/// folder (`None`: each output goes beside its input). Inputs whose stems would meet in one
/// folder (case-insensitively, as on Windows and macOS) carry their extension instead:
/// `sales.csv` and `sales.parquet` become `sales_csv` and `sales_parquet`; any remaining tie
/// gets `_2`, `_3`, ... in the order of the full input paths. The result depends only on the
/// set of inputs, never on their order, so every caller computes the same names.
///
/// ```
/// use std::path::PathBuf;
/// let inputs = [PathBuf::from("d/sales.csv"), PathBuf::from("d/sales.parquet"), PathBuf::from("d/shop.mdb")];
/// let stems = pyforge_core::naming::output_stems(&inputs, None);
/// assert_eq!(stems, ["sales_csv", "sales_parquet", "shop"]);
/// ```
pub fn output_stems(inputs: &[PathBuf], output_dir: Option<&Path>) -> Vec<String> {
    let folder = |p: &PathBuf| {
        output_dir.map(Path::to_path_buf).unwrap_or_else(|| p.parent().map(Path::to_path_buf).unwrap_or_default())
    };
    let key = |p: &PathBuf, stem: &str| (folder(p), stem.to_lowercase());
    let plain: Vec<String> = inputs.iter().map(|p| output_stem(p)).collect();
    let mut counts: HashMap<(PathBuf, String), usize> = HashMap::new();
    for (p, s) in inputs.iter().zip(&plain) {
        *counts.entry(key(p, s)).or_default() += 1;
    }
    let wanted: Vec<String> = inputs
        .iter()
        .zip(&plain)
        .map(|(p, s)| {
            if counts[&key(p, s)] == 1 {
                return s.clone();
            }
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let ext = split_extension(&name).1.replace('.', "_");
            safe_file_stem(&if ext.is_empty() { s.clone() } else { format!("{s}_{ext}") })
        })
        .collect();
    // Unchanged names are claimed first, so a qualified name never takes a plain one's place.
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by(|&a, &b| (wanted[a] != plain[a], &inputs[a]).cmp(&(wanted[b] != plain[b], &inputs[b])));
    let mut taken: HashSet<(PathBuf, String)> = HashSet::new();
    let mut out = vec![String::new(); inputs.len()];
    for i in order {
        let mut candidate = wanted[i].clone();
        let mut n = 2;
        while !taken.insert(key(&inputs[i], &candidate)) {
            candidate = format!("{}_{n}", wanted[i]);
            n += 1;
        }
        out[i] = candidate;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_unique_and_never_steal() {
        let n = crate::column_names::unique_column_names(vec!["col".into(), "col".into(), "col_2".into(), " ".into()]);
        assert_eq!(n, ["col", "col_3", "col_2", "column_4"]);
    }

    #[test]
    fn file_stems_stay_inside_and_unique() {
        let stems = unique_file_stems(["a/b", "a_b", "Sales", "SALES", "", "..", "lpt1.txt"]);
        assert_eq!(stems, ["a_b", "a_b_2", "Sales", "SALES_2", "table", "table_2", "_lpt1.txt"]);
        assert!(safe_file_stem(&"x".repeat(300)).len() <= 120);
    }

    #[test]
    fn output_stems_are_unique_and_order_free() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(output_stem(&p("a/sales.2024.csv")), "sales.2024");
        assert_eq!(output_stem(&p("a/data.JSONL.GZ")), "data");
        assert_eq!(output_stem(&p("a/noext")), "noext");
        let inputs = vec![
            p("d/sales.csv"),
            p("d/Sales.parquet"),
            p("d/sales.2023.csv"),
            p("d/sales.2024.csv"),
            p("e/sales.csv"),
            p("d/sales_csv.tsv"),
        ];
        let stems = output_stems(&inputs, Some(Path::new("out")));
        assert_eq!(stems, ["sales_csv_2", "Sales_parquet", "sales.2023", "sales.2024", "sales_csv_3", "sales_csv"]);
        let mut reversed = inputs.clone();
        reversed.reverse();
        let mut again = output_stems(&reversed, Some(Path::new("out")));
        again.reverse();
        assert_eq!(again, stems);
        // Beside their inputs, files of different folders never meet.
        assert_eq!(output_stems(&[p("d/sales.csv"), p("e/sales.csv")], None), ["sales", "sales"]);
    }
}
