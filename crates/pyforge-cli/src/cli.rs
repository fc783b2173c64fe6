//! Command-line definition (clap derive). Help texts are the user manual: keep them precise.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use pyforge_core::request::{ConvertRequest, InputOptions, InputRequest, OutputOptions};

/// Convert Access, Excel, DBF, CSV, XML and PDF files to Parquet, CSV, JSON Lines or Arrow.
///
/// Typed columns, streaming, no Java. Outputs appear only when complete: an existing output is
/// never overwritten without --force.
#[derive(Debug, Parser)]
#[command(name = "pyforge", version, propagate_version = true, disable_help_subcommand = true)]
pub struct Cli {
    /// More detail (repeat for even more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print errors only.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert a file, every file of a folder, or a glob ("data/*.csv").
    ///
    /// One-table inputs become one file (sales.csv -> sales.parquet, beside the input unless
    /// OUTPUT is given); many-table inputs become a folder with one file per table and a
    /// _manifest.json. With a folder or glob, OUTPUT is a folder and files run in parallel.
    Convert(ConvertArgs),
    /// Show format, encoding, tables, row counts and column types of a file.
    Info(InfoArgs),
    /// Read a file completely and report whether it is valid (exit 1 with the reason if not).
    Validate(ValidateArgs),
    /// Print DDL recreating an Access database's tables, keys, indexes, relationships and
    /// simple saved queries (as views) in another SQL engine; --json prints the structure.
    Schema(SchemaArgs),
    /// List the input formats this build reads and the output formats it writes.
    Formats(FormatsArgs),
    /// Write small sample files of every input format into DIR (generated locally).
    Samples(SamplesArgs),
    /// Show the Databricks environment: compute, serverless version, /Volumes mount, auth.
    EnvInfo(crate::databricks::EnvInfoArgs),
    /// Unity Catalog volumes: `volumes list CATALOG.SCHEMA`, `volumes get C.S.V`.
    #[command(subcommand)]
    Volumes(crate::databricks::VolumesCommand),
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Input file, folder or glob pattern; also a Unity Catalog Volume path
    /// (dbfs:/Volumes/CATALOG/SCHEMA/VOLUME/..., /Volumes/..., /dbfs/Volumes/...) or a cloud
    /// URL (s3://BUCKET/KEY, abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/PATH,
    /// gs://BUCKET/KEY; credentials from the AWS_*, AZURE_*, GOOGLE_* environment variables).
    pub input: String,
    /// Output file (one table) or folder (many tables, or many inputs); also a Volume path or
    /// a cloud URL (ending in / for a folder).
    pub output: Option<PathBuf>,
    /// Write into DIR, named after the input as for many inputs (sales.csv -> DIR/sales.parquet,
    /// shop.mdb -> DIR/shop/), instead of giving OUTPUT. DIR is created when missing.
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub output_dir: Option<PathBuf>,
    /// The output's name without extension, instead of the input's (with --output-dir or
    /// beside the input). In-process callers (Python, Spark) pass the batch names of
    /// `pyforge_core::naming::output_stems` here, so they name outputs as a folder run does.
    #[arg(long, value_name = "NAME", hide = true)]
    pub output_stem: Option<String>,
    /// Output format. Default: from the output file's extension (.parquet .csv .jsonl .arrow
    /// .txt), else parquet, except txt when every input is a PDF. txt writes the
    /// text of each PDF page followed by a form feed (see --page-markers).
    #[arg(short, long, value_parser = ["parquet", "csv", "jsonl", "arrow", "txt"])]
    pub format: Option<String>,
    /// txt output: write a "--- page N ---" line before each page instead of form feeds.
    #[arg(long)]
    pub page_markers: bool,
    /// Compression: snappy|zstd|gzip|lz4|none. Parquet default snappy; CSV/JSONL accept gzip
    /// and zstd (whole-file, .gz/.zst suffix); Arrow accepts lz4 and zstd.
    #[arg(short, long, value_parser = ["snappy", "zstd", "gzip", "lz4", "none"])]
    pub compression: Option<String>,
    /// Maximum rows per Parquet row group.
    #[arg(long, default_value_t = pyforge_core::sink::DEFAULT_ROW_GROUP_SIZE)]
    pub row_group_size: usize,
    /// Write Hive-style partitions (col=value/part-00000.parquet) by these columns.
    #[arg(long, value_delimiter = ',', value_name = "COL[,COL]")]
    pub partition_by: Vec<String>,
    /// Cast every column to string (the old PyForge's behaviour). Default: native types.
    #[arg(long)]
    pub all_strings: bool,
    /// Overwrite existing outputs.
    #[arg(long)]
    pub force: bool,
    /// Convert only these tables (or sheets; with --combine, the sheets stacked); an unknown
    /// name is an error listing the names.
    #[arg(long, alias = "sheets", value_delimiter = ',', value_name = "NAME[,NAME]")]
    pub tables: Option<Vec<String>>,
    /// Skip these tables (or sheets).
    #[arg(long, alias = "exclude-sheets", value_delimiter = ',', value_name = "NAME[,NAME]")]
    pub exclude_tables: Vec<String>,
    /// With many inputs: stop starting new files after the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// With a folder input: include files in subfolders.
    #[arg(short, long)]
    pub recursive: bool,
    #[command(flatten)]
    pub text: TextArgs,
    #[command(flatten)]
    pub xml: XmlArgs,
    #[command(flatten)]
    pub dbf: DbfArgs,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub excel: ExcelArgs,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub pdf: PdfArgs,
}

/// Options of PDF inputs.
#[derive(Debug, Args, Clone, Default)]
pub struct PdfArgs {
    /// Pages to read, 1-based: 1-3,7,10- (10- means 10 to the end). A page past the end is
    /// an error that names the valid range. Default: all pages.
    #[arg(long, value_name = "LIST", value_parser = parse_pages, help_heading = "PDF input")]
    pub pages: Option<String>,
    /// Give up on a PDF whose parsing, or whose text extraction, takes longer than this many
    /// seconds (protects against hostile files).
    #[arg(long, value_name = "SECS", default_value_t = pyforge_core::request::DEFAULT_PDF_TIME_LIMIT, value_parser = clap::value_parser!(u64).range(1..), help_heading = "PDF input")]
    pub pdf_time_limit: u64,
}

/// Check the syntax of --pages (the range is checked against the page count when reading).
fn parse_pages(s: &str) -> Result<String, String> {
    pyforge_core::formats::pdf::pages::parse_page_spec(s).map(|_| s.to_string())
}

/// Options of XML and JSON inputs.
///
/// Each record (the repeated element, a JSON Lines line or array item) is a row. Columns:
/// attributes by their plain name (`id`; `@id` if a child element has the same name), element
/// text and nested elements or objects by their path below the record joined with `_`
/// (`author_name`). A repeated element (a JSON array) makes list columns, one item per
/// occurrence: never only the last one.
#[derive(Debug, Args, Clone, Default)]
pub struct XmlArgs {
    /// The record element (/catalog/book) or JSON path ($.data.items). Default: detected
    /// (`pyforge info` shows the element paths and the one chosen).
    #[arg(long, value_name = "PATH", help_heading = "XML and JSON input")]
    pub record_path: Option<String>,
    /// Namespace prefixes in column names: strip (local names, prefixes kept only where two
    /// would clash), prefix (rpm_entry), preserve (rpm:entry).
    #[arg(long, default_value = "strip", value_parser = ["strip", "prefix", "preserve"], help_heading = "XML and JSON input")]
    pub namespaces: String,
    /// Repeated values: list (Arrow list columns) or json (a JSON array in a string column).
    #[arg(long, default_value = "list", value_parser = ["list", "json"], help_heading = "XML and JSON input")]
    pub arrays: String,
    /// Nested elements and objects: flatten (one column per value, `author_name`) or struct
    /// (struct columns; a repeated element becomes a list of structs, an element's own text
    /// beside attributes or children is the field `_text`).
    #[arg(long, default_value = "flatten", value_parser = ["flatten", "struct"], help_heading = "XML and JSON input")]
    pub nested: String,
    /// Repair broken exports instead of refusing them, counting each repair: XML attributes
    /// without a value and concatenated documents; JSON NaN and Infinity (read as doubles),
    /// comments, trailing commas, keys repeated in one object (the first value is kept).
    #[arg(long, help_heading = "XML and JSON input")]
    pub recover: bool,
}

/// Options of text inputs (CSV, TSV, TXT).
#[derive(Debug, Args, Clone, Default)]
pub struct TextArgs {
    /// Character encoding (utf-8, cp1252, latin-1, utf-16le, cp866, shift_jis, ...).
    /// Default: detected from a byte-order mark, then from the bytes; DBF: from the language
    /// driver byte in the header (cp437, cp850, cp866, cp1250-1257, cp932, cp936, mazovia, ...).
    #[arg(long, help_heading = "Text input")]
    pub encoding: Option<String>,
    /// Field delimiter: one character, or tab/\t, comma, semicolon, pipe. Default: sniffed.
    #[arg(long, help_heading = "Text input")]
    pub delimiter: Option<String>,
    /// Quote character. Default: ".
    #[arg(long, help_heading = "Text input")]
    pub quote: Option<String>,
    /// The first row is a header. Default: detected.
    #[arg(long, overrides_with = "no_header", help_heading = "Text input")]
    pub header: bool,
    /// The first row is data; columns are named column_1, column_2, ...
    #[arg(long, overrides_with = "header", help_heading = "Text input")]
    pub no_header: bool,
    /// Lines to skip before the header.
    #[arg(long, default_value_t = 0, help_heading = "Text input")]
    pub skip_rows: usize,
    /// Strings read as null in every column (an unquoted empty field always is; a quoted
    /// empty field "" is an empty string). Default: empty fields, plus NA, N/A, n/a, NULL,
    /// null, Null, None, none, NaN, nan, -nan and #N/A in columns that are otherwise typed
    /// (in a double column NaN stays the float NaN); giving this option replaces that list.
    #[arg(long, value_delimiter = ',', value_name = "S[,S]", help_heading = "Text input")]
    pub null_values: Option<Vec<String>>,
    /// Accept records with more or fewer fields than the header instead of failing: missing
    /// fields become null, extra ones new columns.
    #[arg(long, help_heading = "Text input")]
    pub allow_ragged: bool,
}

/// Options of DBF inputs (dBase, FoxPro, Visual FoxPro). The code page comes from the file's
/// language driver byte; --encoding overrides it.
#[derive(Debug, Args, Clone, Default)]
pub struct DbfArgs {
    /// Read memo fields as null (with a warning) when the .dbt/.fpt memo file is missing,
    /// instead of failing.
    #[arg(long, help_heading = "DBF input")]
    pub ignore_missing_memo: bool,
    /// Keep records marked deleted, flagged in an added boolean column `_deleted`.
    #[arg(long, help_heading = "DBF input")]
    pub include_deleted: bool,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    pub input: PathBuf,
    /// Print JSON (and nothing else) on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub text: TextArgs,
    #[command(flatten)]
    pub xml: XmlArgs,
    #[command(flatten)]
    pub dbf: DbfArgs,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub excel: ExcelArgs,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub pdf: PdfArgs,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// An Access database (.mdb, .accdb).
    pub input: PathBuf,
    /// SQL dialect of the DDL.
    #[arg(long, default_value = "databricks", value_parser = pyforge_core::formats::access::ddl::Dialect::NAMES)]
    pub dialect: String,
    /// Print the structure (tables, keys, indexes, relationships, queries) as JSON instead.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub access: AccessArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub input: PathBuf,
    #[command(flatten)]
    pub text: TextArgs,
    #[command(flatten)]
    pub xml: XmlArgs,
    #[command(flatten)]
    pub dbf: DbfArgs,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub excel: ExcelArgs,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub pdf: PdfArgs,
}

/// Options of spreadsheet inputs (.xlsx .xlsm .xlsb .xls .ods). --sheets (an alias of
/// --tables) chooses sheets; --no-header names columns by their letters (A, B, ...).
#[derive(Debug, Args, Clone, Default)]
pub struct ExcelArgs {
    /// The 1-based sheet row holding the header; rows above it are skipped. Default: the first
    /// non-empty row if most of its cells are text, else no header.
    #[arg(long, value_name = "N", help_heading = "Excel input")]
    pub header_row: Option<u32>,
    /// Stack every sheet into one table with a _sheet column; columns are matched by name.
    #[arg(long, help_heading = "Excel input")]
    pub combine: bool,
    /// Copy the value of a merged region into each of its cells (.xlsx, .xls). Default: only
    /// the top-left cell holds it.
    #[arg(long, help_heading = "Excel input")]
    pub fill_merged: bool,
    /// Error cells (#N/A, #DIV/0!, ...): null (counted in `info` and the manifest) or their text.
    #[arg(long, value_name = "null|text", default_value = "null", value_parser = ["null", "text"], help_heading = "Excel input")]
    pub errors: String,
}

#[derive(Debug, Args)]
pub struct FormatsArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SamplesArgs {
    /// Folder to write into (created if missing).
    pub dir: PathBuf,
    /// Overwrite existing sample files.
    #[arg(long)]
    pub force: bool,
}

/// Options of Microsoft Access inputs (.mdb, .accdb).
#[derive(Debug, Args, Clone, Default)]
pub struct AccessArgs {
    /// Password of an encrypted input: an Access 2007+ database (Office encryption: RC4
    /// CryptoAPI, standard or agile AES; Jet 4 database passwords need none) or a PDF (the
    /// empty user password is tried without it).
    #[arg(long, help_heading = "Access and PDF input")]
    pub password: Option<String>,
    /// Also list and convert the system tables (MSys*).
    #[arg(long, help_heading = "Access input")]
    pub include_system: bool,
}

/// Options for Volume paths (dbfs:/Volumes/..., /Volumes/...) off Databricks compute, and for
/// staging cloud URLs (s3://, abfss://, gs://; credentials from the AWS_*, AZURE_*, GOOGLE_*
/// environment variables).
#[derive(Debug, Args, Clone, Default)]
pub struct RemoteArgs {
    /// Profile of ~/.databrickscfg (or DATABRICKS_CONFIG_FILE) for the workspace and
    /// credentials. Default: DATABRICKS_CONFIG_PROFILE, else the DATABRICKS_* variables, else
    /// the DEFAULT profile.
    #[arg(long, value_name = "NAME", help_heading = "Databricks")]
    pub profile: Option<String>,
    /// Folder for staging remote files (Volumes not mounted here, cloud URLs); removed afterwards.
    /// Default: /local_disk0/tmp where it exists, else the system temp folder.
    #[arg(long, value_name = "DIR", help_heading = "Databricks")]
    pub temp_dir: Option<PathBuf>,
}

/// The [`ReadArgs`] of a command's arguments (each command flattens the same groups).
macro_rules! read_args {
    ($a:expr) => {
        ReadArgs { text: &$a.text, xml: &$a.xml, dbf: &$a.dbf, access: &$a.access, excel: &$a.excel, pdf: &$a.pdf }
    };
}

/// The read options of every command that reads inputs, as they appear on the command line.
pub struct ReadArgs<'a> {
    pub text: &'a TextArgs,
    pub xml: &'a XmlArgs,
    pub dbf: &'a DbfArgs,
    pub access: &'a AccessArgs,
    pub excel: &'a ExcelArgs,
    pub pdf: &'a PdfArgs,
}

impl ReadArgs<'_> {
    /// The request's read options.
    pub fn options(&self) -> InputOptions {
        let (t, x, e) = (self.text, self.xml, self.excel);
        InputOptions {
            encoding: t.encoding.clone(),
            delimiter: t.delimiter.clone(),
            quote: t.quote.clone(),
            header: if t.header {
                Some(true)
            } else if t.no_header {
                Some(false)
            } else {
                None
            },
            skip_rows: t.skip_rows,
            null_values: t.null_values.clone(),
            allow_ragged: t.allow_ragged,
            record_path: x.record_path.clone(),
            namespaces: x.namespaces.clone(),
            arrays: x.arrays.clone(),
            nested: x.nested.clone(),
            recover: x.recover,
            ignore_missing_memo: self.dbf.ignore_missing_memo,
            include_deleted: self.dbf.include_deleted,
            password: self.access.password.clone(),
            include_system: self.access.include_system,
            header_row: e.header_row,
            combine: e.combine,
            fill_merged: e.fill_merged,
            errors: e.errors.clone(),
            pages: self.pdf.pages.clone(),
            pdf_time_limit: self.pdf.pdf_time_limit,
        }
    }
}

impl ConvertArgs {
    /// The conversion this command line asks for.
    pub fn request(&self) -> ConvertRequest {
        ConvertRequest {
            input: self.input.clone(),
            output: self.output.clone(),
            output_dir: self.output_dir.clone(),
            recursive: self.recursive,
            read: read_args!(self).options(),
            write: OutputOptions {
                format: self.format.clone(),
                compression: self.compression.clone(),
                row_group_size: self.row_group_size,
                partition_by: self.partition_by.clone(),
                all_strings: self.all_strings,
                force: self.force,
                tables: self.tables.clone(),
                exclude_tables: self.exclude_tables.clone(),
                fail_fast: self.fail_fast,
                output_stem: self.output_stem.clone(),
                page_markers: self.page_markers,
            },
        }
    }
}

impl InfoArgs {
    /// The input and read options this command line names.
    pub fn request(&self) -> InputRequest {
        InputRequest { input: self.input.clone(), read: read_args!(self).options() }
    }
}

impl ValidateArgs {
    /// The input and read options this command line names.
    pub fn request(&self) -> InputRequest {
        InputRequest { input: self.input.clone(), read: read_args!(self).options() }
    }
}
