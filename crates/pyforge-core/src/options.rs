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

    // --- Excel / OpenDocument (issue 4) ---
    /// Excel: the 1-based sheet row holding the header (`--header-row`); rows above it are
    /// skipped. `None`: found automatically (or none with `header: Some(false)`).
    pub excel_header_row: Option<u32>,
    /// Excel: stack every sheet into one table with a `_sheet` column (`--combine`).
    pub excel_combine: bool,
    /// Excel: copy a merged region's value into every cell of the region (`--fill-merged`);
    /// by default only its top-left cell holds it.
    pub excel_fill_merged: bool,
    /// Excel: keep error cells (`#N/A`, `#DIV/0!`) as their text (`--errors text`) instead of
    /// null.
    pub excel_errors_as_text: bool,
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
