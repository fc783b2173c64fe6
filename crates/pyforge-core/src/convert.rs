//! The conversion pipeline: decide output names (the one place that does), read tables, write
//! them through sinks under temporary names, and make everything visible only on success.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::manifest::{sha256_file, Manifest, ManifestTable, MANIFEST_NAME};
use crate::naming::{output_stem, output_stems, safe_file_stem, unique_file_stems};
use crate::options::{InferTypes, ReadOptions};
use crate::sink::{open_file_sink, AtomicFile, PartitionedSink, Sink, StagedDir, WriteOptions};
use crate::source::{ColumnInfo, Source};
use crate::types::type_name;

/// How many times a table is read again after its reader widened a column type.
const MAX_REREADS: usize = 64;

/// Everything `convert` needs to know.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    pub read: ReadOptions,
    pub write: WriteOptions,
    /// Hive-partition every table by these columns.
    pub partition_by: Vec<String>,
    /// Cast every column to string (the old tool's behaviour); text inputs skip inference.
    pub all_strings: bool,
    /// Replace existing outputs.
    pub force: bool,
    /// Only these tables (error if one does not exist).
    pub tables: Option<Vec<String>>,
    /// Skip these tables.
    pub exclude_tables: Vec<String>,
    /// Batch runs: stop starting new files after the first failure.
    pub fail_fast: bool,
    /// The output's name (without extension) when it is named after the input; `None`: the
    /// input's own stem ([`crate::naming::output_stem`]). Batches set it per file from
    /// [`crate::naming::output_stems`] so that no two inputs write the same output.
    pub output_stem: Option<String>,
}

/// Progress of a conversion, for progress bars and callbacks. The core prints nothing.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    TableStarted {
        input: &'a Path,
        table: &'a str,
    },
    /// Rows written so far for the table.
    Rows {
        input: &'a Path,
        table: &'a str,
        rows: u64,
    },
    /// The table is being read again with wider column types.
    Reread {
        input: &'a Path,
        table: &'a str,
        reason: &'a str,
    },
    TableFinished {
        input: &'a Path,
        table: &'a str,
        rows: u64,
    },
}

/// A callback receiving [`Event`]s.
pub type EventFn<'a> = &'a (dyn Fn(&Event) + Sync);

/// Ignore progress.
pub fn no_events(_: &Event) {}

/// What was written for one table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableReport {
    pub name: String,
    /// The file (or partition folder) written.
    pub output: PathBuf,
    pub rows: u64,
    pub columns: Vec<ColumnInfo>,
    /// Facts the reader learnt while reading the table (error cells read as null, repairs in
    /// recover mode, ...), as in `info` and the manifest.
    pub details: std::collections::BTreeMap<String, serde_json::Value>,
    /// Times the table was read again from the start because a value did not fit the column
    /// types inferred from the sample (each widening is one; see [`Event::Reread`]).
    pub rereads: u32,
}

/// What one input became.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConvertReport {
    pub input: PathBuf,
    pub format: String,
    /// The output file, or the folder for many-table outputs.
    pub output: PathBuf,
    pub tables: Vec<TableReport>,
    pub manifest: Option<PathBuf>,
}

/// Where outputs go.
#[derive(Debug, Clone)]
pub enum Destination {
    /// Exactly this path: a file for one table, a folder for many (or when it is an existing
    /// folder or ends with a path separator).
    Path(PathBuf),
    /// Named after the input (`sales.csv` -> `sales.parquet`, `db.mdb` -> `db/`), beside the
    /// input or in the given folder.
    Auto(Option<PathBuf>),
}

enum Layout {
    /// One table into one file (or one partition folder).
    File(PathBuf),
    /// Tables into a folder with a manifest.
    Folder(PathBuf),
}

/// Convert one input file.
///
/// ```no_run
/// use pyforge_core::convert::{convert, ConvertOptions, no_events};
/// let report = convert("sales.csv".as_ref(), None, &ConvertOptions::default(), &no_events).unwrap();
/// println!("{} rows -> {}", report.tables[0].rows, report.output.display());
/// ```
pub fn convert(input: &Path, output: Option<&Path>, opts: &ConvertOptions, events: EventFn) -> Result<ConvertReport> {
    let dest = match output {
        Some(p) => Destination::Path(p.to_path_buf()),
        None => Destination::Auto(None),
    };
    convert_to(input, &dest, opts, events)
}

fn effective_read_options(opts: &ConvertOptions) -> ReadOptions {
    let mut read = opts.read.clone();
    if opts.all_strings {
        read.infer_types = InferTypes::No;
    }
    read
}

fn is_dir_like(p: &Path) -> bool {
    p.is_dir()
        || p.as_os_str().to_string_lossy().ends_with(std::path::MAIN_SEPARATOR)
        || p.as_os_str().to_string_lossy().ends_with('/')
}

/// Convert one input to an explicit [`Destination`].
pub fn convert_to(input: &Path, dest: &Destination, opts: &ConvertOptions, events: EventFn) -> Result<ConvertReport> {
    opts.write.codec().check(opts.write.format)?;
    let source = crate::registry::open(input, &effective_read_options(opts))?;
    convert_source(source, input, dest, opts, events)
}

/// Convert an already opened source (`input` is its path, for naming and the checksum).
pub fn convert_source(
    source: Box<dyn Source>,
    input: &Path,
    dest: &Destination,
    opts: &ConvertOptions,
    events: EventFn,
) -> Result<ConvertReport> {
    let all = source.tables()?;
    let names = select_tables(input, all.iter().map(|t| t.name.as_str()).collect(), opts)?;
    let plan = OutputPlan::new(input, dest, opts, all.len(), &names)?;
    // The checksum runs beside the conversion; only folder outputs record it.
    let checksum = plan.manifest_path().map(|_| {
        let p = input.to_path_buf();
        std::thread::spawn(move || sha256_file(&p))
    });
    let source: Arc<dyn Source> = Arc::from(source);
    let written: Vec<Result<(Staged, TableReport)>> = plan
        .targets
        .par_iter()
        .map(|(name, target)| write_table(source.as_ref(), input, name, target, opts, events))
        .collect();
    let (reports, failed) = plan.commit_tables(source.as_ref(), written)?;
    let total = plan.targets.len();
    let (output, manifest) = match plan.layout {
        Layout::File(ref p) => (p.clone(), None),
        Layout::Folder(_) => {
            let sha = checksum.expect("checksum started").join().expect("checksum thread")?;
            plan.write_manifest(source.as_ref(), input, opts, sha, &reports, &failed)?
        }
    };
    if !failed.is_empty() {
        return Err(Error::TablesFailed { path: input.to_path_buf(), total, failed, output });
    }
    Ok(ConvertReport {
        input: input.to_path_buf(),
        format: source.format_name().to_string(),
        output,
        tables: reports,
        manifest,
    })
}

/// A table that could not be written: its name and the error's text.
type FailedTable = (String, String);

/// Where the tables of one input go, decided (and checked) before anything is written.
struct OutputPlan {
    layout: Layout,
    /// A new output folder, built under a temporary name and renamed into place whole.
    stage: Option<StagedDir>,
    /// Each selected table and its output path.
    targets: Vec<(String, PathBuf)>,
}

impl OutputPlan {
    fn new(input: &Path, dest: &Destination, opts: &ConvertOptions, tables: usize, names: &[String]) -> Result<Self> {
        let layout = layout(input, dest, opts, tables, names.len());
        // A new output folder is built under a temporary name and renamed into place whole, so
        // a crash never leaves half a folder behind. Into an existing folder the files are
        // committed one by one and the manifest last: there the manifest marks a complete output.
        let stage = match &layout {
            Layout::Folder(dir) if std::fs::symlink_metadata(dir).is_err() => Some(StagedDir::create(dir, opts.force)?),
            _ => None,
        };
        let mut plan = OutputPlan { layout, stage, targets: Vec::new() };
        let partitioned = !opts.partition_by.is_empty();
        let ext = opts.write.file_extension();
        plan.targets = match &plan.layout {
            Layout::File(p) => vec![(names[0].clone(), p.clone())],
            Layout::Folder(_) => {
                let dir = plan.folder_root().expect("a folder layout has a root");
                let stems = unique_file_stems(names.iter().map(String::as_str));
                names
                    .iter()
                    .zip(stems)
                    .map(|(n, s)| (n.clone(), dir.join(if partitioned { s } else { format!("{s}.{ext}") })))
                    .collect()
            }
        };
        plan.check(input, opts.force)?;
        Ok(plan)
    }

    /// Where a folder output's files are written now: the stage, or the existing folder.
    fn folder_root(&self) -> Option<&Path> {
        match (&self.layout, &self.stage) {
            (Layout::Folder(_), Some(s)) => Some(s.path()),
            (Layout::Folder(dir), None) => Some(dir),
            (Layout::File(_), _) => None,
        }
    }

    /// Where a folder output's manifest is written (folder outputs only).
    fn manifest_path(&self) -> Option<PathBuf> {
        self.folder_root().map(|root| root.join(MANIFEST_NAME))
    }

    /// No output may be the input, and none may exist unless `force`.
    fn check(&self, input: &Path, force: bool) -> Result<()> {
        let input_canon = std::fs::canonicalize(input).map_err(|e| Error::io(input, e))?;
        for (_, t) in &self.targets {
            if std::fs::canonicalize(t).is_ok_and(|c| c == input_canon) {
                return Err(Error::OutputIsInput { path: t.clone() });
            }
            crate::sink::check_absent(t, force)?;
        }
        match &self.manifest_path() {
            Some(m) => crate::sink::check_absent(m, force),
            None => Ok(()),
        }
    }

    /// Commit the tables written; the failed ones are returned with their errors. One failing
    /// table never hides the others: in a folder output the rest are written and the failures
    /// listed; a one-file output is all or nothing.
    fn commit_tables(
        &self,
        source: &dyn Source,
        written: Vec<Result<(Staged, TableReport)>>,
    ) -> Result<(Vec<TableReport>, Vec<FailedTable>)> {
        let mut staged = Vec::new();
        let mut failed: Vec<(String, Error)> = Vec::new();
        for ((name, _), w) in self.targets.iter().zip(written) {
            match w {
                Ok(s) => staged.push(s),
                Err(e) => failed.push((name.clone(), e)),
            }
        }
        if (staged.is_empty() || matches!(self.layout, Layout::File(_))) && !failed.is_empty() {
            return Err(failed.swap_remove(0).1);
        }
        // Readers may report facts learnt while reading (warnings, repairs); ask after the writes.
        let after = source.tables().unwrap_or_default();
        let mut reports = Vec::new();
        for (s, mut r) in staged {
            s.commit()?;
            r.details = after.iter().find(|t| t.name == r.name).map(|t| t.details.clone()).unwrap_or_default();
            if let (Layout::Folder(dir), Some(root)) = (&self.layout, self.folder_root()) {
                // Report where the file will be once the folder is in place.
                if let Ok(rel) = r.output.strip_prefix(root) {
                    r.output = dir.join(rel);
                }
            }
            reports.push(r);
        }
        Ok((reports, failed.into_iter().map(|(n, e)| (n, e.to_string())).collect()))
    }

    /// Write the manifest of a folder output, last, and put a staged folder in place; returns
    /// the folder and the manifest's final path.
    fn write_manifest(
        self,
        source: &dyn Source,
        input: &Path,
        opts: &ConvertOptions,
        source_sha256: String,
        reports: &[TableReport],
        failed: &[FailedTable],
    ) -> Result<(PathBuf, Option<PathBuf>)> {
        let m = self.manifest_path();
        let (Layout::Folder(dir), Some(m)) = (self.layout, m) else {
            unreachable!("only folder outputs have a manifest")
        };
        let manifest = Manifest {
            source: input.display().to_string(),
            format: source.format_name().to_string(),
            source_sha256,
            output_format: opts.write.format.name().to_string(),
            details: source.details(),
            tables: reports
                .iter()
                .map(|r| ManifestTable {
                    name: r.name.clone(),
                    file: r.output.strip_prefix(&dir).unwrap_or(&r.output).to_string_lossy().into_owned(),
                    rows: r.rows,
                    columns: r.columns.clone(),
                    details: r.details.clone(),
                })
                .collect(),
            failed: failed
                .iter()
                .map(|(n, e)| crate::manifest::ManifestFailure { name: n.clone(), error: e.clone() })
                .collect(),
        };
        let file = AtomicFile::create(&m, opts.force)?;
        let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        use std::io::Write;
        file.file()?.write_all(&json).map_err(|e| Error::io(&m, e))?;
        file.commit()?;
        if let Some(stage) = self.stage {
            stage.commit()?;
        }
        let final_manifest = dir.join(MANIFEST_NAME);
        Ok((dir, Some(final_manifest)))
    }
}

/// One file, or a folder: from the destination given and the number of tables.
fn layout(input: &Path, dest: &Destination, opts: &ConvertOptions, tables: usize, selected: usize) -> Layout {
    match dest {
        Destination::Path(p) if is_dir_like(p) => Layout::Folder(p.clone()),
        Destination::Path(p) if selected == 1 => Layout::File(p.clone()),
        Destination::Path(p) => Layout::Folder(p.clone()),
        Destination::Auto(dir) => {
            let stem = match &opts.output_stem {
                Some(s) => safe_file_stem(s),
                None => output_stem(input),
            };
            let base = dir.clone().unwrap_or_else(|| input.parent().map(Path::to_path_buf).unwrap_or_default());
            if tables == 1 && selected == 1 {
                let ext = opts.write.file_extension();
                let name = if opts.partition_by.is_empty() { format!("{stem}.{ext}") } else { stem };
                Layout::File(base.join(name))
            } else {
                Layout::Folder(base.join(&stem))
            }
        }
    }
}

fn select_tables(input: &Path, available: Vec<&str>, opts: &ConvertOptions) -> Result<Vec<String>> {
    let mut names: Vec<String> = match &opts.tables {
        Some(wanted) => {
            for w in wanted {
                if !available.contains(&w.as_str()) {
                    return Err(Error::NoSuchTable {
                        path: input.to_path_buf(),
                        wanted: w.clone(),
                        available: available.iter().map(|s| s.to_string()).collect(),
                    });
                }
            }
            available.iter().filter(|a| wanted.iter().any(|w| w == *a)).map(|s| s.to_string()).collect()
        }
        None => available.iter().map(|s| s.to_string()).collect(),
    };
    for x in &opts.exclude_tables {
        if !available.contains(&x.as_str()) {
            return Err(Error::NoSuchTable {
                path: input.to_path_buf(),
                wanted: x.clone(),
                available: available.iter().map(|s| s.to_string()).collect(),
            });
        }
    }
    names.retain(|n| !opts.exclude_tables.contains(n));
    if names.is_empty() {
        return Err(Error::invalid(input, None, "no tables to convert"));
    }
    Ok(names)
}

/// An output written under a temporary name, waiting for the whole input to succeed.
enum Staged {
    File(AtomicFile),
    Dir(StagedDir),
}

impl Staged {
    fn commit(self) -> Result<()> {
        match self {
            Staged::File(f) => f.commit(),
            Staged::Dir(d) => d.commit(),
        }
    }
}

/// The schema after `--all-strings`.
fn output_schema(schema: &SchemaRef, all_strings: bool) -> SchemaRef {
    if !all_strings {
        return schema.clone();
    }
    Arc::new(Schema::new(
        schema.fields().iter().map(|f| Field::new(f.name(), all_strings_type(f.data_type()), true)).collect::<Vec<_>>(),
    ))
}

/// String version of a type: lists keep their shape with string items.
fn all_strings_type(dt: &DataType) -> DataType {
    match dt {
        DataType::List(item) => {
            DataType::List(Arc::new(Field::new(item.name(), all_strings_type(item.data_type()), true)))
        }
        DataType::Struct(fields) => DataType::Struct(
            fields.iter().map(|f| Field::new(f.name(), all_strings_type(f.data_type()), true)).collect(),
        ),
        _ => DataType::Utf8,
    }
}

/// Cast a batch to `schema` (used for `--all-strings`).
fn cast_batch(batch: RecordBatch, schema: &SchemaRef, path: &Path) -> Result<RecordBatch> {
    if batch.schema() == *schema {
        return Ok(batch);
    }
    let cols = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| arrow::compute::cast(c, f.data_type()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::arrow(path, e))?;
    RecordBatch::try_new(schema.clone(), cols).map_err(|e| Error::arrow(path, e))
}

fn write_table(
    source: &dyn Source,
    input: &Path,
    table: &str,
    target: &Path,
    opts: &ConvertOptions,
    events: EventFn,
) -> Result<(Staged, TableReport)> {
    events(&Event::TableStarted { input, table });
    let mut rereads: u32 = 0;
    loop {
        let stream = source.open_table(table).map_err(|e| e.with_table(table))?;
        let schema = output_schema(&stream.schema(), opts.all_strings);
        let (staged, mut sink): (Staged, Box<dyn Sink>) = if opts.partition_by.is_empty() {
            let f = AtomicFile::create(target, opts.force)?;
            let sink = open_file_sink(f.file()?, target, schema.clone(), &opts.write)?;
            (Staged::File(f), sink)
        } else {
            let d = StagedDir::create(target, opts.force)?;
            let sink =
                PartitionedSink::new(d.path().to_path_buf(), schema.clone(), &opts.partition_by, opts.write.clone())?;
            (Staged::Dir(d), Box::new(sink))
        };
        let mut rows = 0u64;
        let result = (|| {
            for batch in stream {
                let batch = cast_batch(batch?, &schema, input)?;
                rows += batch.num_rows() as u64;
                sink.write(&batch)?;
                events(&Event::Rows { input, table, rows });
            }
            sink.finish()
        })();
        match result {
            Ok(rows) => {
                events(&Event::TableFinished { input, table, rows });
                let columns = schema
                    .fields()
                    .iter()
                    .map(|f| ColumnInfo { name: f.name().clone(), data_type: type_name(f.data_type()) })
                    .collect();
                return Ok((
                    staged,
                    TableReport {
                        name: table.to_string(),
                        output: target.to_path_buf(),
                        rows,
                        columns,
                        details: Default::default(),
                        rereads,
                    },
                ));
            }
            Err(e) if e.is_schema_widened() && (rereads as usize) < MAX_REREADS => {
                rereads += 1;
                if let Error::SchemaWidened { reason, .. } = &e {
                    events(&Event::Reread { input, table, reason });
                }
            }
            Err(e) => return Err(e.with_table(table)),
        }
    }
}

/// Read a table to its end without writing it: its final schema and row count. Used by `info`
/// and `validate`, so that what they report is what `convert` would write.
pub fn scan_table(source: &dyn Source, table: &str) -> Result<(SchemaRef, u64)> {
    let mut rereads = 0;
    loop {
        let mut stream = source.open_table(table).map_err(|e| e.with_table(table))?;
        let schema = stream.schema();
        let mut rows = 0u64;
        let result = stream.try_for_each(|b| b.map(|b| rows += b.num_rows() as u64));
        match result {
            Ok(()) => return Ok((schema, rows)),
            Err(e) if e.is_schema_widened() && rereads < MAX_REREADS => rereads += 1,
            Err(e) => return Err(e.with_table(table)),
        }
    }
}

/// Outcome of one file of a batch.
pub struct BatchItem {
    pub input: PathBuf,
    /// `None` when skipped after an earlier failure with `fail_fast`.
    pub result: Option<Result<ConvertReport>>,
}

/// Convert many files in parallel, each named after its input inside `output_dir` (or beside
/// the input). Every file is attempted unless `fail_fast`; results come back in input order.
pub fn convert_many(
    inputs: &[PathBuf],
    output_dir: Option<&Path>,
    opts: &ConvertOptions,
    events: EventFn,
    on_done: &(dyn Fn(&Path, &Result<ConvertReport>) + Sync),
) -> Result<Vec<BatchItem>> {
    // Inputs that would write the same output get distinct names (naming::output_stems).
    let stems = output_stems(inputs, output_dir);
    let failed = AtomicBool::new(false);
    let dest = Destination::Auto(output_dir.map(Path::to_path_buf));
    Ok(inputs
        .par_iter()
        .zip(stems)
        .map(|(input, stem)| {
            if opts.fail_fast && failed.load(Ordering::SeqCst) {
                return BatchItem { input: input.clone(), result: None };
            }
            let named = ConvertOptions { output_stem: Some(stem), ..opts.clone() };
            let r = convert_to(input, &dest, &named, events);
            if r.is_err() {
                failed.store(true, Ordering::SeqCst);
            }
            on_done(input, &r);
            BatchItem { input: input.clone(), result: Some(r) }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{BoxedStream, IterStream, TableInfo};
    use arrow::array::Int64Array;

    /// A two-table source whose table "bad" fails half-way, to test the pipeline's handling.
    struct TwoTables;

    impl Source for TwoTables {
        fn format_name(&self) -> &'static str {
            "test"
        }
        fn tables(&self) -> Result<Vec<TableInfo>> {
            Ok(["good", "bad"]
                .iter()
                .map(|n| TableInfo { name: n.to_string(), rows: None, columns: vec![], details: Default::default() })
                .collect())
        }
        fn open_table(&self, name: &str) -> Result<BoxedStream> {
            let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]));
            let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 2, 3]))]).unwrap();
            let fail = name == "bad";
            let items: Vec<Result<RecordBatch>> = vec![
                Ok(batch),
                if fail {
                    Err(Error::invalid("db", Some(7), "corrupt page"))
                } else {
                    Ok(RecordBatch::new_empty(schema.clone()))
                },
            ];
            Ok(Box::new(IterStream::new(schema, items.into_iter())))
        }
    }

    #[test]
    fn a_failing_table_does_not_hide_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("db.test");
        std::fs::write(&input, b"x").unwrap();
        let out = dir.path().join("db");
        let err = convert_source(
            Box::new(TwoTables),
            &input,
            &Destination::Path(out.clone()),
            &ConvertOptions::default(),
            &no_events,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("1 of 2 tables failed") && msg.contains("\"bad\"") && msg.contains("line 7"), "{msg}");
        assert!(out.join("good.parquet").exists());
        assert!(!out.join("bad.parquet").exists());
        let m: Manifest = serde_json::from_slice(&std::fs::read(out.join(MANIFEST_NAME)).unwrap()).unwrap();
        assert_eq!(m.tables.len(), 1);
        assert_eq!(m.tables[0].rows, 3);
        assert_eq!(m.failed[0].name, "bad");
        let leftovers: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains(crate::sink::TEMP_MARKER))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn one_file_outputs_are_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("db.test");
        std::fs::write(&input, b"x").unwrap();
        let out = dir.path().join("bad.parquet");
        let opts = ConvertOptions { tables: Some(vec!["bad".into()]), ..Default::default() };
        assert!(
            convert_source(Box::new(TwoTables), &input, &Destination::Path(out.clone()), &opts, &no_events).is_err()
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the input remains");
    }
}
