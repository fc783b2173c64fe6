//! What a caller asks for, in the words of the options: the typed request that the command
//! line (clap arguments), the Python API (keyword arguments) and Spark all build, and the one
//! builder that turns it into the readers' [`ReadOptions`] and the writer's [`ConvertOptions`].
//!
//! Option names are the command's long options with `_` for `-` (`allow_ragged` is
//! `--allow-ragged`), so a message written for one caller can be reworded for another
//! ([`OPTIONS`] says which names take a value). Values arrive as the user typed them (`"tab"`
//! for a delimiter, `"zstd"`); [`InputOptions::read_options`] and
//! [`OutputOptions::convert_options`] check them and say what is wrong.
//!
//! ```
//! use pyforge_core::request::{ConvertRequest, InputOptions};
//! let req = ConvertRequest::from_json(&serde_json::json!({"input": "sales.csv", "delimiter": ";", "force": true}))?;
//! assert_eq!(req.read.read_options()?.delimiter, Some(b';'));
//! assert!(req.write.force);
//! # Ok::<(), pyforge_core::Error>(())
//! ```

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::convert::ConvertOptions;
use crate::error::{Error, Result};
use crate::options::{ArrayMode, NamespaceMode, NestedMode, ReadOptions};
use crate::sink::{Compression, OutputFormat, WriteOptions, DEFAULT_ROW_GROUP_SIZE};

/// The default of `pdf_time_limit`, in seconds.
pub const DEFAULT_PDF_TIME_LIMIT: u64 = 120;

/// How every input is read: the options of `info`, `validate` and reading a table, and the
/// read half of `convert`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InputOptions {
    // --- text (CSV, TSV, TXT; `encoding` also DBF) ---
    pub encoding: Option<String>,
    /// One character, or `tab`/`\t`, `comma`, `semicolon`, `pipe`, `space`.
    pub delimiter: Option<String>,
    pub quote: Option<String>,
    /// Whether the first row is a header; `None`: detected.
    pub header: Option<bool>,
    pub skip_rows: usize,
    #[serde(deserialize_with = "optional_list")]
    pub null_values: Option<Vec<String>>,
    pub allow_ragged: bool,
    // --- XML and JSON ---
    pub record_path: Option<String>,
    /// `strip`, `prefix` or `preserve`.
    pub namespaces: String,
    /// `list` or `json`.
    pub arrays: String,
    /// `flatten` or `struct`.
    pub nested: String,
    pub recover: bool,
    // --- DBF ---
    pub ignore_missing_memo: bool,
    pub include_deleted: bool,
    // --- Access (and encrypted PDF) ---
    pub password: Option<String>,
    pub include_system: bool,
    // --- Excel ---
    pub header_row: Option<u32>,
    pub combine: bool,
    pub fill_merged: bool,
    /// `null` or `text`.
    pub errors: String,
    // --- PDF ---
    /// Pages, 1-based: `1-3,7,10-`.
    pub pages: Option<String>,
    /// Seconds before a PDF is given up on (at least 1).
    pub pdf_time_limit: u64,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            encoding: None,
            delimiter: None,
            quote: None,
            header: None,
            skip_rows: 0,
            null_values: None,
            allow_ragged: false,
            record_path: None,
            namespaces: "strip".into(),
            arrays: "list".into(),
            nested: "flatten".into(),
            recover: false,
            ignore_missing_memo: false,
            include_deleted: false,
            password: None,
            include_system: false,
            header_row: None,
            combine: false,
            fill_merged: false,
            errors: "null".into(),
            pages: None,
            pdf_time_limit: DEFAULT_PDF_TIME_LIMIT,
        }
    }
}

/// How the outputs of `convert` are written and which tables go into them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputOptions {
    /// `parquet`, `csv`, `jsonl`, `arrow` or `txt`; `None`: from the output's extension, else
    /// parquet (txt when every input is a PDF).
    pub format: Option<String>,
    /// `snappy`, `zstd`, `gzip`, `lz4` or `none`; `None`: the format's default.
    pub compression: Option<String>,
    pub row_group_size: usize,
    #[serde(deserialize_with = "list")]
    pub partition_by: Vec<String>,
    pub all_strings: bool,
    pub force: bool,
    /// Only these tables (with `combine`: the sheets stacked).
    #[serde(alias = "sheets", deserialize_with = "optional_list")]
    pub tables: Option<Vec<String>>,
    #[serde(alias = "exclude_sheets", deserialize_with = "list")]
    pub exclude_tables: Vec<String>,
    pub fail_fast: bool,
    /// The output's name without extension instead of the input's (batch names from
    /// [`crate::naming::output_stems`]).
    pub output_stem: Option<String>,
    pub page_markers: bool,
}

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            format: None,
            compression: None,
            row_group_size: DEFAULT_ROW_GROUP_SIZE,
            partition_by: Vec::new(),
            all_strings: false,
            force: false,
            tables: None,
            exclude_tables: Vec::new(),
            fail_fast: false,
            output_stem: None,
            page_markers: false,
        }
    }
}

/// A conversion: INPUT (a file, folder or glob; remote locations are for the caller that
/// knows them) into OUTPUT or OUTPUT_DIR.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConvertRequest {
    pub input: String,
    /// The output file (one table) or folder (many).
    pub output: Option<PathBuf>,
    /// Write into this folder, named after the input (as for many inputs).
    pub output_dir: Option<PathBuf>,
    /// With a folder input: include subfolders.
    pub recursive: bool,
    pub read: InputOptions,
    pub write: OutputOptions,
}

/// One input to inspect or read (`info`, `validate`, a table read into Arrow).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InputRequest {
    pub input: PathBuf,
    pub read: InputOptions,
}

/// [`ConvertRequest`] as JSON, with whatever names it does not know (flattened structs take
/// their own names first, the map gets the rest), so that a misspelt option is an error.
#[derive(Deserialize)]
struct ConvertJson {
    input: String,
    #[serde(default)]
    output: Option<PathBuf>,
    #[serde(default)]
    output_dir: Option<PathBuf>,
    #[serde(default)]
    recursive: bool,
    #[serde(flatten)]
    read: InputOptions,
    #[serde(flatten)]
    write: OutputOptions,
    #[serde(flatten)]
    unknown: std::collections::BTreeMap<String, serde_json::Value>,
}

/// [`InputRequest`] as JSON (see [`ConvertJson`]).
#[derive(Deserialize)]
struct InputJson {
    input: PathBuf,
    #[serde(flatten)]
    read: InputOptions,
    #[serde(flatten)]
    unknown: std::collections::BTreeMap<String, serde_json::Value>,
}

fn from_json<T: for<'de> Deserialize<'de>>(v: &serde_json::Value) -> Result<T> {
    serde_json::from_value(v.clone()).map_err(|e| Error::InvalidOption(e.to_string()))
}

fn refuse_unknown(unknown: &std::collections::BTreeMap<String, serde_json::Value>) -> Result<()> {
    match unknown.keys().next() {
        None => Ok(()),
        Some(name) => Err(Error::InvalidOption(format!("unknown option {name:?}"))),
    }
}

impl ConvertRequest {
    /// From a JSON object of option names and values (what Python's keyword arguments make);
    /// an unknown name or a value of the wrong kind is an [`Error::InvalidOption`].
    pub fn from_json(v: &serde_json::Value) -> Result<Self> {
        let j: ConvertJson = from_json(v)?;
        refuse_unknown(&j.unknown)?;
        let ConvertJson { input, output, output_dir, recursive, read, write, .. } = j;
        Ok(ConvertRequest { input, output, output_dir, recursive, read, write })
    }

    /// The output and whether it is a folder to name outputs in (`output_dir`).
    pub fn destination(&self) -> (Option<&std::path::Path>, bool) {
        match &self.output_dir {
            Some(dir) => (Some(dir.as_path()), true),
            None => (self.output.as_deref(), false),
        }
    }
}

impl InputRequest {
    /// As [`ConvertRequest::from_json`], for the read-only requests.
    pub fn from_json(v: &serde_json::Value) -> Result<Self> {
        let j: InputJson = from_json(v)?;
        refuse_unknown(&j.unknown)?;
        Ok(InputRequest { input: j.input, read: j.read })
    }
}

/// Every option name and whether it takes a value (a flag does not). The command line and this
/// list must agree; the CLI's tests check it.
pub const OPTIONS: &[(&str, bool)] = &[
    ("encoding", true),
    ("delimiter", true),
    ("quote", true),
    ("header", false),
    ("no_header", false),
    ("skip_rows", true),
    ("null_values", true),
    ("allow_ragged", false),
    ("record_path", true),
    ("namespaces", true),
    ("arrays", true),
    ("nested", true),
    ("recover", false),
    ("ignore_missing_memo", false),
    ("include_deleted", false),
    ("password", true),
    ("include_system", false),
    ("header_row", true),
    ("combine", false),
    ("fill_merged", false),
    ("errors", true),
    ("pages", true),
    ("pdf_time_limit", true),
    ("format", true),
    ("compression", true),
    ("row_group_size", true),
    ("partition_by", true),
    ("all_strings", false),
    ("force", false),
    ("tables", true),
    ("exclude_tables", true),
    ("fail_fast", false),
    ("output_stem", true),
    ("page_markers", false),
    ("output_dir", true),
    ("recursive", false),
    ("profile", true),
    ("temp_dir", true),
];

/// Whether option `name` (`allow_ragged` or `allow-ragged`) takes a value; `None` if unknown.
pub fn option_takes_value(name: &str) -> Option<bool> {
    let name = name.replace('-', "_");
    OPTIONS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// A one-byte option: one ASCII character or a name (`tab`, `comma`, ...).
fn byte_option(name: &str, value: Option<&str>) -> Result<Option<u8>> {
    let Some(s) = value else { return Ok(None) };
    let b = match s {
        "\\t" | "tab" | "TAB" => b'\t',
        "comma" => b',',
        "semicolon" => b';',
        "pipe" => b'|',
        "space" => b' ',
        s if s.len() == 1 => s.as_bytes()[0],
        s => {
            return Err(Error::InvalidOption(format!(
                "--{name} must be a single ASCII character (or tab, comma, semicolon, pipe, space), not {s:?}"
            )))
        }
    };
    Ok(Some(b))
}

/// `value` if it is one of `allowed`, else an error naming the option and the choices.
fn choice<'a>(name: &str, value: &'a str, allowed: &[&str]) -> Result<&'a str> {
    if allowed.contains(&value) {
        return Ok(value);
    }
    Err(Error::InvalidOption(format!("--{name}: {value:?} is not one of {}", allowed.join(", "))))
}

impl InputOptions {
    /// The readers' options, after checking every value.
    pub fn read_options(&self) -> Result<ReadOptions> {
        let mut o = self.text_options()?;
        self.add_tree_options(&mut o)?;
        o.ignore_missing_memo = self.ignore_missing_memo;
        o.include_deleted = self.include_deleted;
        o.password = self.password.clone();
        o.include_system = self.include_system;
        o.excel_header_row = self.header_row;
        o.excel_combine = self.combine;
        o.excel_fill_merged = self.fill_merged;
        o.excel_errors_as_text = crate::formats::excel::parse_error_mode(&self.errors)?;
        if let Some(pages) = &self.pages {
            crate::formats::pdf::pages::parse_page_spec(pages)
                .map_err(|e| Error::InvalidOption(format!("--pages: {e}")))?;
        }
        o.pages = self.pages.clone();
        if self.pdf_time_limit == 0 {
            return Err(Error::InvalidOption("--pdf-time-limit must be at least 1 second".into()));
        }
        o.pdf_time_limit = Some(Duration::from_secs(self.pdf_time_limit));
        Ok(o)
    }

    fn text_options(&self) -> Result<ReadOptions> {
        Ok(ReadOptions {
            encoding: self.encoding.clone(),
            delimiter: byte_option("delimiter", self.delimiter.as_deref())?,
            quote: byte_option("quote", self.quote.as_deref())?,
            header: self.header,
            skip_rows: self.skip_rows,
            null_values: self.null_values.clone(),
            allow_ragged: self.allow_ragged,
            ..Default::default()
        })
    }

    fn add_tree_options(&self, o: &mut ReadOptions) -> Result<()> {
        o.record_path = self.record_path.clone();
        o.namespaces = match choice("namespaces", &self.namespaces, &["strip", "prefix", "preserve"])? {
            "prefix" => NamespaceMode::Prefix,
            "preserve" => NamespaceMode::Preserve,
            _ => NamespaceMode::Strip,
        };
        o.arrays = match choice("arrays", &self.arrays, &["list", "json"])? {
            "json" => ArrayMode::Json,
            _ => ArrayMode::List,
        };
        o.nested = match choice("nested", &self.nested, &["flatten", "struct"])? {
            "struct" => NestedMode::Struct,
            _ => NestedMode::Flatten,
        };
        o.recover = self.recover;
        Ok(())
    }
}

impl OutputOptions {
    /// The converter's options for `read` and this output, in `format` (the caller resolves
    /// the default format, which depends on the output path and the inputs).
    pub fn convert_options(&self, read: &InputOptions, format: OutputFormat) -> Result<ConvertOptions> {
        let compression = self.compression.as_deref().map(Compression::parse).transpose()?;
        let mut opts = ConvertOptions {
            read: read.read_options()?,
            write: WriteOptions {
                format,
                compression,
                row_group_size: self.row_group_size,
                page_markers: self.page_markers,
            },
            partition_by: self.partition_by.clone(),
            all_strings: self.all_strings,
            force: self.force,
            tables: self.tables.clone(),
            exclude_tables: self.exclude_tables.clone(),
            fail_fast: self.fail_fast,
            output_stem: self.output_stem.clone(),
        };
        if read.combine {
            // With `combine` the workbook is one table: `tables`/`exclude_tables` choose the
            // sheets that go into it rather than the tables written.
            opts.read.excel_combine_only = opts.tables.take();
            opts.read.excel_combine_exclude = std::mem::take(&mut opts.exclude_tables);
        }
        opts.write.codec().check(format)?;
        Ok(opts)
    }
}

/// A list given as a list or as one comma-separated string (as on the command line); every
/// item is split at commas too, as the command line splits each occurrence.
fn list<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    let items = match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    };
    Ok(items.iter().flat_map(|s| s.split(',')).map(str::to_string).collect())
}

fn optional_list<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Vec<String>>, D::Error> {
    list(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_request_from_json_takes_the_options_by_their_names() {
        let req = ConvertRequest::from_json(&json!({
            "input": "a.csv", "output_dir": "out", "delimiter": "tab", "tables": "x,y",
            "exclude_tables": ["p", "q,r"], "row_group_size": 1000, "header": false, "force": true,
        }))
        .unwrap();
        assert_eq!(req.destination(), (Some(std::path::Path::new("out")), true));
        let opts = req.write.convert_options(&req.read, OutputFormat::Parquet).unwrap();
        assert_eq!(opts.read.delimiter, Some(b'\t'));
        assert_eq!(opts.read.header, Some(false));
        assert_eq!(opts.tables, Some(vec!["x".to_string(), "y".to_string()]));
        assert_eq!(opts.exclude_tables, ["p", "q", "r"]);
        assert_eq!(opts.write.row_group_size, 1000);
        assert!(opts.force);
    }

    #[test]
    fn an_unknown_name_or_a_wrong_value_is_refused_by_name() {
        let e = ConvertRequest::from_json(&json!({"input": "a.csv", "forse": true})).unwrap_err();
        assert_eq!(e.to_string(), "unknown option \"forse\"");
        let e = InputRequest::from_json(&json!({"input": "a.csv", "force": true})).unwrap_err();
        assert_eq!(e.to_string(), "unknown option \"force\"");
        let e = ConvertRequest::from_json(&json!({"input": "a.csv", "skip_rows": "many"})).unwrap_err();
        assert!(e.to_string().contains("invalid type"), "{e}");
        let bad = InputOptions { delimiter: Some(";;".into()), ..Default::default() };
        assert!(bad.read_options().unwrap_err().to_string().starts_with("--delimiter must be"));
        let bad = InputOptions { nested: "deep".into(), ..Default::default() };
        assert_eq!(bad.read_options().unwrap_err().to_string(), "--nested: \"deep\" is not one of flatten, struct");
        let bad = InputOptions { pdf_time_limit: 0, ..Default::default() };
        assert!(bad.read_options().is_err());
    }

    #[test]
    fn combine_turns_the_table_choice_into_the_sheets_stacked() {
        let read = InputOptions { combine: true, ..Default::default() };
        let write = OutputOptions { tables: Some(vec!["S1".into()]), ..Default::default() };
        let opts = write.convert_options(&read, OutputFormat::Parquet).unwrap();
        assert_eq!(opts.tables, None);
        assert_eq!(opts.read.excel_combine_only, Some(vec!["S1".to_string()]));
    }

    #[test]
    fn every_request_field_is_a_listed_option() {
        let read = serde_json::to_value(InputOptions::default()).unwrap();
        let write = serde_json::to_value(OutputOptions::default()).unwrap();
        let fields: Vec<&String> = read.as_object().unwrap().keys().chain(write.as_object().unwrap().keys()).collect();
        assert_eq!(fields.len(), 33);
        for field in fields {
            let takes_value = option_takes_value(field).unwrap_or_else(|| panic!("{field} is not in OPTIONS"));
            let flag = matches!(
                (&read[field], &write[field]),
                (serde_json::Value::Bool(_), _) | (_, serde_json::Value::Bool(_))
            );
            // `header` is the flag `--header` (and `--no-header`), a tri-state in the request.
            assert_eq!(takes_value, !flag && field != "header", "{field}");
        }
        assert_eq!(option_takes_value("allow-ragged"), Some(false));
        assert_eq!(option_takes_value("nope"), None);
    }
}
