//! The subcommands. Each returns an exit code or an error; `main` prints errors.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use pyforge_core::convert::{convert_many, convert_to, scan_table, ConvertOptions, Destination, Event};
use pyforge_core::sink::{Compression, OutputFormat, WriteOptions};
use pyforge_core::{types::type_name, ReadOptions};
use serde_json::json;

use crate::cli::{
    ConvertArgs, ExcelArgs, FormatsArgs, InfoArgs, PdfArgs, SamplesArgs, TextArgs, ValidateArgs, XmlArgs,
};
use crate::inputs::{resolve, Inputs};

/// How chatty to be, and where results go.
pub struct Ui {
    pub verbose: u8,
    pub quiet: bool,
    /// In-process callers (the Python API) collect one result per input file here instead of
    /// reading printed lines; nothing is printed for a file when this is set.
    pub collect: Option<Collected>,
    /// In-process callers' progress listener (see [`crate::progress::ProgressListener`]).
    pub listener: Option<crate::progress::ProgressListener>,
}

/// Per-file results of `convert` for in-process callers, as JSON objects:
/// `{"input", "status": "ok", "format", "output", "manifest", "rows", "tables": [{"name",
/// "output", "rows", "columns": [{"name", "type"}], "details"}]}`, `{"input", "status": "failed",
/// "error"}` or `{"input", "status": "skipped"}` (after a failure with --fail-fast). Paths are
/// shown as the user gave them (`dbfs:/Volumes/...` for staged Volume files).
#[derive(Debug, Default)]
pub struct Collected(Mutex<Vec<serde_json::Value>>);

impl Collected {
    /// Everything collected so far, in the order the files finished.
    pub fn take(&self) -> Vec<serde_json::Value> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn push(&self, v: serde_json::Value) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(v);
    }

    fn report(&self, input: &Path, r: &pyforge_core::Result<pyforge_core::convert::ConvertReport>) {
        let shown = crate::remote::shown;
        self.push(match r {
            Ok(rep) => json!({
                "input": shown(input),
                "status": "ok",
                "format": rep.format,
                "output": shown(&rep.output),
                "manifest": rep.manifest.as_deref().map(shown),
                "rows": rep.tables.iter().map(|t| t.rows).sum::<u64>(),
                "tables": rep.tables.iter().map(|t| json!({
                    "name": t.name,
                    "output": shown(&t.output),
                    "rows": t.rows,
                    "columns": t.columns,
                    "details": t.details,
                })).collect::<Vec<_>>(),
            }),
            Err(e) => json!({"input": shown(input), "status": "failed", "error": crate::remote::shown_text(&e.to_string().replace('\n', " "))}),
        });
    }
}

impl Ui {
    /// Progress bars only for a person at a terminal.
    pub(crate) fn bars(&self) -> bool {
        !self.quiet && std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
    }
}

fn byte_option(name: &str, v: &Option<String>) -> Result<Option<u8>> {
    let Some(s) = v else { return Ok(None) };
    let b = match s.as_str() {
        "\\t" | "tab" | "TAB" => b'\t',
        "comma" => b',',
        "semicolon" => b';',
        "pipe" => b'|',
        "space" => b' ',
        s if s.len() == 1 => s.as_bytes()[0],
        s => bail!("--{name} must be a single ASCII character (or tab, comma, semicolon, pipe, space), not {s:?}"),
    };
    Ok(Some(b))
}

fn read_options(t: &TextArgs) -> Result<ReadOptions> {
    Ok(ReadOptions {
        encoding: t.encoding.clone(),
        delimiter: byte_option("delimiter", &t.delimiter)?,
        quote: byte_option("quote", &t.quote)?,
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
        ..Default::default()
    })
}

/// Add the XML/JSON options.
fn xml_options(mut r: ReadOptions, x: &XmlArgs) -> ReadOptions {
    r.record_path = x.record_path.clone();
    r.namespaces = match x.namespaces.as_str() {
        "prefix" => pyforge_core::NamespaceMode::Prefix,
        "preserve" => pyforge_core::NamespaceMode::Preserve,
        _ => pyforge_core::NamespaceMode::Strip,
    };
    r.arrays = if x.arrays == "json" { pyforge_core::ArrayMode::Json } else { pyforge_core::ArrayMode::List };
    r.nested = if x.nested == "struct" { pyforge_core::NestedMode::Struct } else { pyforge_core::NestedMode::Flatten };
    r.recover = x.recover;
    r
}

/// Add the spreadsheet options to `o`.
fn excel_options(mut o: ReadOptions, e: &ExcelArgs) -> Result<ReadOptions> {
    o.excel_header_row = e.header_row;
    o.excel_combine = e.combine;
    o.excel_fill_merged = e.fill_merged;
    o.excel_errors_as_text = pyforge_core::formats::excel::parse_error_mode(&e.errors)?;
    Ok(o)
}

/// Add the PDF options to `o`.
fn with_pdf(mut o: ReadOptions, p: &PdfArgs) -> ReadOptions {
    o.pages = p.pages.clone();
    o.pdf_time_limit = Some(std::time::Duration::from_secs(p.pdf_time_limit));
    o
}

/// The output format when -f is not given: the output file's extension if it names one
/// (`out.parquet`, `out.jsonl`), else txt when every input is a PDF, else parquet.
fn default_output_format(input: &str, recursive: bool, output: Option<&Path>) -> &'static str {
    let named = output
        .filter(|o| !o.is_dir())
        .and_then(|o| o.extension())
        .and_then(|e| OutputFormat::parse(&e.to_string_lossy().to_lowercase()).ok());
    if let Some(f) = named {
        return f.name();
    }
    let is_pdf = |p: &Path| pyforge_core::detect(p).map(|f| f.name() == "pdf").unwrap_or(false);
    // A Volume path that is not mounted here does not resolve: its name decides.
    let all_pdf = match resolve(input, recursive) {
        Ok(Inputs::One(p)) => is_pdf(&p),
        Ok(Inputs::Many(ps)) => !ps.is_empty() && ps.iter().all(|p| is_pdf(p)),
        Err(_) => input.to_lowercase().ends_with(".pdf"),
    };
    if all_pdf {
        "txt"
    } else {
        "parquet"
    }
}

pub fn convert(ui: &Ui, mut a: ConvertArgs) -> Result<u8> {
    if let Some(dir) = a.output_dir.take() {
        a.output = Some(dir);
        a.into_dir = true;
    }
    let format = OutputFormat::parse(a.format.as_deref().unwrap_or_else(|| {
        default_output_format(&a.input, a.recursive, if a.into_dir { None } else { a.output.as_deref() })
    }))?;
    let compression = a.compression.as_deref().map(Compression::parse).transpose()?;
    let mut opts = ConvertOptions {
        read: with_pdf(
            excel_options(a.access.apply(a.dbf.apply(xml_options(read_options(&a.text)?, &a.xml))), &a.excel)?,
            &a.pdf,
        ),
        write: WriteOptions { format, compression, row_group_size: a.row_group_size, page_markers: a.page_markers },
        partition_by: a.partition_by.clone(),
        all_strings: a.all_strings,
        force: a.force,
        tables: a.tables.clone(),
        exclude_tables: a.exclude_tables.clone(),
        fail_fast: a.fail_fast,
        output_stem: a.output_stem.clone(),
    };
    if a.excel.combine {
        // With --combine the workbook is one table: --sheets/--exclude-sheets choose the sheets
        // that go into it rather than the tables written.
        opts.read.excel_combine_only = opts.tables.take();
        opts.read.excel_combine_exclude = std::mem::take(&mut opts.exclude_tables);
    }
    opts.write.codec().check(format)?;
    let started = Instant::now();
    // Volume paths (dbfs:/Volumes/...): in place where mounted, else staged (remote.rs).
    if let Some(code) = crate::remote::convert(ui, &a, &opts, started)? {
        return Ok(code);
    }
    run_convert(ui, &a.input, a.output.as_deref(), a.into_dir, a.recursive, &opts, started)
}

/// Convert a local INPUT (file, folder or glob); `into`: OUTPUT is a folder to name outputs in
/// (--output-dir).
pub(crate) fn run_convert(
    ui: &Ui,
    input: &str,
    output: Option<&Path>,
    into: bool,
    recursive: bool,
    opts: &ConvertOptions,
    started: Instant,
) -> Result<u8> {
    match resolve(input, recursive)? {
        Inputs::One(input) => convert_single(ui, &input, output, into, opts, started),
        Inputs::Many(inputs) => convert_batch(ui, &inputs, output, opts, started),
    }
}

pub(crate) fn convert_single(
    ui: &Ui,
    input: &Path,
    output: Option<&Path>,
    into: bool,
    opts: &ConvertOptions,
    started: Instant,
) -> Result<u8> {
    let mut created = None;
    let dest = match output {
        Some(dir) if into => {
            created = make_dir(dir)?;
            Destination::Auto(Some(dir.to_path_buf()))
        }
        Some(o) => Destination::Path(o.to_path_buf()),
        None => Destination::Auto(None),
    };
    let progress = ui.bars().then(|| {
        let size = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
        crate::progress::ConvertProgress::start(size)
    });
    let listened = ui.listener.as_ref().map(|l| crate::progress::ListenedFile::start(l, input));
    let verbose = ui.verbose;
    let events = |e: &Event| match e {
        Event::Rows { table, rows, .. } => {
            if let Some(p) = &progress {
                p.rows(table, *rows);
            }
            if let Some(l) = &listened {
                l.rows(table, *rows);
            }
        }
        Event::Reread { table, reason, .. } => {
            if let Some(p) = &progress {
                p.restart(table);
            }
            if verbose > 0 {
                let msg = format!("{table}: reading again ({reason})");
                match &progress {
                    Some(p) => p.println(msg),
                    None => eprintln!("{msg}"),
                }
            }
        }
        _ => {}
    };
    let report = convert_to(input, &dest, opts, &events);
    drop(progress);
    if let Some(l) = &listened {
        l.done(report.as_ref().map_or(0, |r| r.tables.iter().map(|t| t.rows).sum()), report.is_ok());
    }
    if report.is_err() {
        // A failed conversion leaves no output, and a folder made for it is output too.
        if let (Some(top), Some(dir)) = (&created, output) {
            unmake_dir(top, dir);
        }
    }
    let report = report?;
    if let Some(c) = &ui.collect {
        c.report(input, &Ok(report));
        return Ok(0);
    }
    if !ui.quiet {
        let rows: u64 = report.tables.iter().map(|t| t.rows).sum();
        println!(
            "{} -> {}: {} table{}, {rows} rows ({:.2} s)",
            crate::remote::shown(input),
            crate::remote::shown(&report.output),
            report.tables.len(),
            if report.tables.len() == 1 { "" } else { "s" },
            started.elapsed().as_secs_f64()
        );
        if ui.verbose > 0 {
            for t in &report.tables {
                println!("  {} -> {} ({} rows)", t.name, crate::remote::shown(&t.output), t.rows);
                for c in &t.columns {
                    println!("    {}: {}", c.name, c.data_type);
                }
            }
        }
    }
    Ok(0)
}

pub(crate) fn convert_batch(
    ui: &Ui,
    inputs: &[std::path::PathBuf],
    output: Option<&Path>,
    opts: &ConvertOptions,
    started: Instant,
) -> Result<u8> {
    if let Some(o) = output {
        if o.exists() && !o.is_dir() {
            bail!("{}: with many inputs the output must be a folder", o.display());
        }
    }
    let created = output.map(make_dir).transpose()?.flatten();
    let multi = MultiProgress::new();
    let bar = ui.bars().then(|| {
        let b = multi.add(ProgressBar::new(inputs.len() as u64));
        b.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} files [{elapsed}] {msg}").expect("valid template"),
        );
        b
    });
    let print = Mutex::new(());
    let quiet = ui.quiet;
    let files_done = std::sync::atomic::AtomicUsize::new(0);
    let tell = |input: &Path, done: bool, extra: serde_json::Value| {
        if let Some(l) = &ui.listener {
            let n = files_done.fetch_add(usize::from(done), std::sync::atomic::Ordering::Relaxed) + usize::from(done);
            let mut v = json!({"input": crate::remote::shown(input), "files_done": n, "files_total": inputs.len(), "done": done});
            if let (Some(v), serde_json::Value::Object(extra)) = (v.as_object_mut(), extra) {
                v.extend(extra);
            }
            l(&v);
        }
    };
    let on_done = |input: &Path, r: &pyforge_core::Result<pyforge_core::convert::ConvertReport>| {
        let (status, rows) = match r {
            Ok(rep) => ("ok", rep.tables.iter().map(|t| t.rows).sum::<u64>()),
            Err(_) => ("failed", 0),
        };
        tell(input, true, json!({"status": status, "rows": rows}));
        if let Some(c) = &ui.collect {
            c.report(input, r);
            return;
        }
        let _guard = print.lock();
        let line = match r {
            Ok(rep) => {
                if quiet {
                    None
                } else {
                    let rows: u64 = rep.tables.iter().map(|t| t.rows).sum();
                    Some(format!(
                        "ok     {} -> {} ({rows} rows)",
                        crate::remote::shown(input),
                        crate::remote::shown(&rep.output)
                    ))
                }
            }
            Err(e) => Some(format!("FAILED {}", crate::remote::shown_text(&e.to_string().replace('\n', " ")))),
        };
        if let Some(b) = &bar {
            b.inc(1);
        }
        if let Some(l) = line {
            match (&bar, r.is_err()) {
                (Some(b), _) => b.println(l),
                (None, true) => eprintln!("{l}"),
                (None, false) => println!("{l}"),
            }
        }
    };
    // The bar's message names the file most recently started (files convert in parallel).
    let started_file = |e: &Event| {
        if let Event::TableStarted { input, .. } = e {
            if let Some(b) = &bar {
                b.set_message(crate::remote::shown(input));
            }
            tell(input, false, json!({}));
        }
    };
    let items = convert_many(inputs, output, opts, &started_file, &on_done)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let ok = items.iter().filter(|i| matches!(i.result, Some(Ok(_)))).count();
    let failed = items.iter().filter(|i| matches!(i.result, Some(Err(_)))).count();
    let skipped = items.iter().filter(|i| i.result.is_none()).count();
    if let Some(c) = &ui.collect {
        for i in items.iter().filter(|i| i.result.is_none()) {
            c.push(json!({"input": crate::remote::shown(&i.input), "status": "skipped"}));
        }
        return Ok(u8::from(failed > 0));
    }
    let summary = format!(
        "{ok} converted, {failed} failed{} ({:.2} s)",
        if skipped > 0 { format!(", {skipped} skipped after the first failure") } else { String::new() },
        started.elapsed().as_secs_f64()
    );
    if failed > 0 {
        // When every file failed the folder made for them is empty: remove it (a folder holding
        // any output stays, remove_dir refuses it).
        if let (Some(top), Some(dir)) = (&created, output) {
            unmake_dir(top, dir);
        }
        eprintln!("{summary}");
        return Ok(1);
    }
    if !ui.quiet {
        println!("{summary}");
    }
    Ok(0)
}

/// Create the output folder `dir` with its missing parents; return the highest folder this made
/// (None when `dir` existed), so a run that writes nothing can remove what it made.
fn make_dir(dir: &Path) -> Result<Option<PathBuf>> {
    let mut top = None;
    let mut at = Some(dir);
    while let Some(d) = at.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        top = Some(d.to_path_buf());
        at = d.parent();
    }
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    Ok(top)
}

/// Remove `dir` and its parents up to `top` (the folders [`make_dir`] made) while they are empty.
fn unmake_dir(top: &Path, dir: &Path) {
    let mut at = Some(dir);
    while let Some(d) = at {
        if std::fs::remove_dir(d).is_err() || d == top {
            break;
        }
        at = d.parent();
    }
}

/// The read options of the read-only commands (`info`, `validate`, the Python `read_table`).
pub fn input_read_options(a: &InfoArgs) -> Result<ReadOptions> {
    Ok(with_pdf(
        excel_options(a.access.apply(a.dbf.apply(xml_options(read_options(&a.text)?, &a.xml))), &a.excel)?,
        &a.pdf,
    ))
}

/// What `info --json` prints: {path, format, size_bytes, details, tables: [{name, rows,
/// columns, details}]}.
pub fn info_document(ui: &Ui, mut a: InfoArgs) -> Result<serde_json::Value> {
    let shown_input = a.input.display().to_string();
    let (local, _staged) = crate::remote::local_input(ui, &a.input, &a.remote)?;
    a.input = local;
    let source = pyforge_core::open(&a.input, &input_read_options(&a)?)?;
    let size = std::fs::metadata(&a.input).map(|m| m.len()).unwrap_or(0);
    let mut tables = Vec::new();
    for t in source.tables()? {
        // Formats that do not record row counts (CSV) are scanned, so the counts and types
        // shown are exactly what `convert` would write.
        let (rows, columns) = match t.rows {
            Some(r) => (r, t.columns.clone()),
            None => {
                let (schema, rows) = scan_table(source.as_ref(), &t.name)?;
                let cols = schema
                    .fields()
                    .iter()
                    .map(|f| pyforge_core::ColumnInfo { name: f.name().clone(), data_type: type_name(f.data_type()) })
                    .collect();
                (rows, cols)
            }
        };
        tables.push(json!({"name": t.name, "rows": rows, "columns": columns, "details": t.details}));
    }
    // Readers may learn facts while reading (warnings such as error cells read as null).
    if let Ok(after) = source.tables() {
        for (t, a) in tables.iter_mut().zip(after) {
            if !a.details.is_empty() {
                t["details"] = json!(a.details);
            }
        }
    }
    Ok(json!({
        "path": shown_input,
        "format": source.format_name(),
        "size_bytes": size,
        "details": source.details(),
        "tables": tables,
    }))
}

pub fn info(ui: &Ui, a: InfoArgs) -> Result<u8> {
    let as_json = a.json;
    let doc = info_document(ui, a)?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    println!("File:    {}", text(&doc["path"]));
    println!("Format:  {}", text(&doc["format"]));
    println!("Size:    {} bytes", doc["size_bytes"]);
    if let Some(details) = doc["details"].as_object() {
        for (k, v) in details {
            // Control characters (a tab delimiter) are shown escaped.
            let shown = v.as_str().map(|s| s.escape_debug().to_string()).unwrap_or_else(|| v.to_string());
            println!("{:<8} {shown}", format!("{k}:"));
        }
    }
    for t in doc["tables"].as_array().into_iter().flatten() {
        println!();
        println!("Table {}: {} rows", t["name"].as_str().unwrap_or_default(), t["rows"]);
        if let Some(d) = t["details"].as_object() {
            for (k, v) in d {
                println!("  ({k}: {})", text(v));
            }
        }
        if let Some(cols) = t["columns"].as_array() {
            let width = cols.iter().filter_map(|c| c["name"].as_str()).map(|n| n.chars().count()).max().unwrap_or(0);
            for c in cols {
                println!(
                    "  {:<width$}  {}",
                    c["name"].as_str().unwrap_or_default(),
                    c["type"].as_str().unwrap_or_default()
                );
            }
        }
    }
    Ok(0)
}

/// `pyforge schema`: the core writes the DDL (or the structure), this prints it.
pub fn schema(a: crate::cli::SchemaArgs) -> Result<u8> {
    use pyforge_core::formats::access;
    // Named here, where the registry is at hand: the Access reader itself knows only Access.
    let format = pyforge_core::detect(&a.input)?;
    if format.name() != "access" {
        return Err(pyforge_core::Error::UnsupportedFormat {
            path: a.input.clone(),
            reason: format!("`schema` reads Access databases (.mdb, .accdb); this is {}", format.name()),
        }
        .into());
    }
    let options = a.access.apply(ReadOptions::default());
    if a.json {
        let structure = access::read_structure(&a.input, &options)?;
        println!("{}", serde_json::to_string_pretty(&structure)?);
    } else {
        let dialect = a.dialect.parse::<access::ddl::Dialect>().map_err(|e| anyhow::anyhow!(e))?;
        print!("{}", access::schema_ddl(&a.input, &options, dialect)?);
    }
    Ok(0)
}

/// What `validate` checks, as `{"path", "format", "tables", "rows"}`: every table is read to
/// the end (an error names the file).
pub fn validate_document(ui: &Ui, mut a: ValidateArgs) -> Result<serde_json::Value> {
    let shown_input = a.input.display().to_string();
    let (local, _staged) = crate::remote::local_input(ui, &a.input, &a.remote)?;
    a.input = local;
    let source = pyforge_core::open(
        &a.input,
        &with_pdf(
            excel_options(a.access.apply(a.dbf.apply(xml_options(read_options(&a.text)?, &a.xml))), &a.excel)?,
            &a.pdf,
        ),
    )?;
    let mut rows = 0;
    let tables = source.tables()?;
    for t in &tables {
        rows += scan_table(source.as_ref(), &t.name)?.1;
    }
    Ok(json!({"path": shown_input, "format": source.format_name(), "tables": tables.len(), "rows": rows}))
}

pub fn validate(ui: &Ui, a: ValidateArgs) -> Result<u8> {
    let doc = validate_document(ui, a)?;
    if !ui.quiet {
        let tables = doc["tables"].as_u64().unwrap_or(0);
        let text = |k: &str| doc[k].as_str().unwrap_or_default().to_string();
        println!(
            "valid: {} ({}, {tables} table{}, {} rows)",
            text("path"),
            text("format"),
            if tables == 1 { "" } else { "s" },
            doc["rows"]
        );
    }
    Ok(0)
}

/// What `formats --json` prints.
pub fn formats_document() -> serde_json::Value {
    let list: Vec<_> = pyforge_core::registry()
        .iter()
        .map(|f| json!({"name": f.name(), "extensions": f.extensions(), "description": f.description()}))
        .collect();
    json!({"inputs": list, "outputs": pyforge_core::registry::OUTPUT_FORMATS})
}

pub fn formats(a: FormatsArgs) -> Result<u8> {
    if a.json {
        println!("{}", serde_json::to_string_pretty(&formats_document())?);
        return Ok(0);
    }
    println!("Input formats:");
    for f in pyforge_core::registry() {
        let exts: Vec<String> = f.extensions().iter().map(|e| format!(".{e}")).collect();
        println!("  {:<8} {:<32} {}", f.name(), exts.join(" "), f.description());
    }
    println!();
    println!("Output formats: {}", pyforge_core::registry::OUTPUT_FORMATS.join(", "));
    Ok(0)
}

pub fn samples(ui: &Ui, a: SamplesArgs) -> Result<u8> {
    let files = pyforge_samples::write_samples(&a.dir, a.force)?;
    if !ui.quiet {
        for f in files {
            println!("{}", f.display());
        }
    }
    Ok(0)
}
