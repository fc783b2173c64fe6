//! Options that shape how inputs are read.

/// How a reader should interpret its input. Fields a format does not use are ignored by it.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Character encoding label (`utf-8`, `cp1252`, `latin-1`, `utf-16le`, ...); detected if `None`.
    pub encoding: Option<String>,
    /// Field delimiter (one byte; `\t` for tab); sniffed if `None`.
    pub delimiter: Option<u8>,
    /// Quote character; `"` if `None`.
    pub quote: Option<u8>,
    /// Whether the first row is a header; detected if `None`.
    pub header: Option<bool>,
    /// Physical lines to skip before the header (or the first data row).
    pub skip_rows: usize,
    /// Strings read as null in every column. `None` means: the empty field only, plus the
    /// usual tokens (`NA`, `NULL`, ...) in columns that are otherwise typed.
    pub null_values: Option<Vec<String>>,
    /// Accept records with fewer or more fields than the header (missing ones become null,
    /// extra ones new columns) instead of failing.
    pub allow_ragged: bool,
    /// Do not infer types from text: every column of a text input is a string.
    pub infer_types: InferTypes,

    // --- XML and JSON ---
    /// The record element (`/catalog/book`) or JSON path (`$.data.items`); detected if `None`.
    pub record_path: Option<String>,
    /// How namespace prefixes appear in column names.
    pub namespaces: NamespaceMode,
    /// How repeated values (lists) are written.
    pub arrays: ArrayMode,
    /// How nested elements and objects are laid out.
    pub nested: NestedMode,
    /// Elements the first structure discovery reads before planning (default
    /// [`crate::formats::tree::source::SAMPLE_ELEMENTS`]); whatever the sample misses makes the
    /// reader discover the whole input and read again, so this only trades speed.
    pub sample_elements: Option<u64>,
    /// XML and JSON: repair what a strict reader refuses (JSON comments, trailing commas, NaN
    /// and Infinity, repeated keys; XML attributes without a value, several root elements),
    /// counting every repair. Off: such input is an error.
    pub recover: bool,

    // --- DBF (dBase / FoxPro) ---
    /// DBF: if the memo file (.dbt/.fpt) is missing, read memo fields as null (with a warning in
    /// the source's details) instead of failing.
    pub ignore_missing_memo: bool,
    /// DBF: keep records marked deleted and add a boolean `_deleted` column.
    pub include_deleted: bool,

    // --- Access (.mdb/.accdb) ---
    /// Password of an encrypted input: Access 2007+ Office encryption, or an encrypted PDF.
    pub password: Option<String>,
    /// Also list and convert the system tables (`MSys*`).
    pub include_system: bool,

    // --- Excel / OpenDocument (issue 4) ---
    /// Excel: the 1-based sheet row holding the header (`--header-row`); rows above it are
    /// skipped. `None`: found automatically (or none with `header: Some(false)`).
    pub excel_header_row: Option<u32>,
    /// Excel: stack every sheet into one table with a `_sheet` column (`--combine`).
    pub excel_combine: bool,
    /// Excel with `--combine`: stack only these sheets (`--sheets`); an unknown name is an
    /// error listing the sheets. `None`: every sheet with cells.
    pub excel_combine_only: Option<Vec<String>>,
    /// Excel with `--combine`: leave these sheets out (`--exclude-sheets`).
    pub excel_combine_exclude: Vec<String>,
    /// Excel: copy a merged region's value into every cell of the region (`--fill-merged`);
    /// by default only its top-left cell holds it.
    pub excel_fill_merged: bool,
    /// Excel: keep error cells (`#N/A`, `#DIV/0!`) as their text (`--errors text`) instead of
    /// null.
    pub excel_errors_as_text: bool,

    // --- PDF ---
    /// PDF: pages to read (`1-3,7,10-`, 1-based); all if `None`. Checked against the page count.
    pub pages: Option<String>,
    /// PDF: time limit for parsing a PDF and, separately, for extracting its text; the default
    /// is `formats::pdf::source::DEFAULT_TIME_LIMIT`.
    pub pdf_time_limit: Option<std::time::Duration>,
}

/// How XML namespace prefixes appear in column names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NamespaceMode {
    /// Local names only (`entry`); prefixes are kept where two names would clash.
    #[default]
    Strip,
    /// Prefix joined with `_` (`rpm_entry`).
    Prefix,
    /// Qualified names as written (`rpm:entry`).
    Preserve,
}

/// How values of repeated elements (JSON arrays) are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArrayMode {
    /// Arrow list columns of typed items.
    #[default]
    List,
    /// A JSON array in a string column.
    Json,
}

/// How nested elements (JSON objects) of a record are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NestedMode {
    /// One column per value, named by its path joined with `_` (`author_name`).
    #[default]
    Flatten,
    /// Struct columns (`author.name`), repeated elements as lists of structs.
    Struct,
}

/// Whether text-based readers infer column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InferTypes {
    /// Infer int, float, decimal, bool, date and timestamp columns.
    #[default]
    Yes,
    /// Keep every text column as a string (used by `--all-strings`).
    No,
}
