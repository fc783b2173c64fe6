//! A [`Source`] over any [`TreeInput`]: discovery at open, rows streamed from a reader thread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use arrow::record_batch::RecordBatch;
use crossbeam_channel::bounded;

use super::discover::Structure;
use super::plan::{Plan, PlanOptions};
use super::rows::RowsJob;
use super::TreeInput;
use crate::error::{Error, Result};
use crate::options::{InferTypes, ReadOptions};
use crate::source::{BoxedStream, ColumnInfo, IterStream, Source, TableInfo};
use crate::types::type_name;

/// How the record element is chosen when the user did not name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordChoice {
    /// Detected from the structure ([`super::plan::auto_record`]).
    Detect,
    /// Repeated root elements are the records (JSON Lines, a top-level array); otherwise detect.
    PreferRoots,
}

/// A tree-shaped input opened as one table.
///
/// The structure is first discovered from a sample (the first [`SAMPLE_ELEMENTS`] elements), so
/// a large input is parsed about once rather than twice. The row pass checks everything the
/// sample could have missed (a new element path, attribute or text, a repeated element, a
/// value its column type cannot hold, a second document); on the first surprise it ends with
/// [`Error::SchemaWidened`] and the next read discovers the whole input first, so the plan is
/// final and nothing is ever coerced or dropped.
pub struct TreeSource {
    format: &'static str,
    path: PathBuf,
    table: String,
    input: Arc<dyn TreeInput>,
    settings: Settings,
    state: Mutex<Arc<State>>,
    /// Set by a row pass that met something its sampled plan does not cover.
    widen: Arc<AtomicBool>,
}

/// What shapes the plan, kept for a full discovery later.
#[derive(Clone)]
struct Settings {
    record_path: Option<String>,
    choice: RecordChoice,
    plan: PlanOptions,
    infer: bool,
    base_details: BTreeMap<String, serde_json::Value>,
}

/// One discovery and its plan.
struct State {
    structure: Arc<Structure>,
    plan: Arc<Plan>,
    /// The discovery covered the whole input (counts exact, plan final).
    complete: bool,
    details: BTreeMap<String, serde_json::Value>,
}

/// Elements the first discovery reads before it plans from what it has seen.
pub const SAMPLE_ELEMENTS: u64 = 400_000;

/// Cap on the paths listed by `info`.
const INFO_PATHS: usize = 200;

/// A user's record path in tree form: JSON paths (`$.data.items`, `$.data.items[*]`) become
/// element paths below the JSON root element (`/value/data/items`).
fn given_path(p: &str) -> String {
    let p = p.trim();
    match p.strip_prefix('$') {
        Some(rest) => {
            let rest = rest.trim_end_matches("[*]").trim_end_matches("[]");
            let segs: Vec<&str> = rest.split('.').filter(|s| !s.is_empty()).collect();
            format!("/{}/{}", super::JSON_ROOT, segs.join("/"))
        }
        None => p.to_string(),
    }
}

impl TreeSource {
    /// Discover the structure of `input` (from a sample if it is large), then plan the table.
    pub fn open(
        format: &'static str,
        path: &Path,
        input: Arc<dyn TreeInput>,
        options: &ReadOptions,
        choice: RecordChoice,
        details: BTreeMap<String, serde_json::Value>,
    ) -> Result<Self> {
        let settings = Settings {
            record_path: options.record_path.clone(),
            choice,
            plan: PlanOptions {
                namespaces: options.namespaces,
                arrays: options.arrays,
                infer: options.infer_types,
                nested: options.nested,
            },
            infer: options.infer_types == InferTypes::Yes,
            base_details: details,
        };
        let state =
            discover(path, input.as_ref(), &settings, Some(options.sample_elements.unwrap_or(SAMPLE_ELEMENTS)))?;
        let table = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .map(|n| n.split('.').next().unwrap_or("data").to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "data".into());
        Ok(TreeSource {
            format,
            path: path.to_path_buf(),
            table,
            input,
            settings,
            state: Mutex::new(Arc::new(state)),
            widen: Arc::new(AtomicBool::new(false)),
        })
    }

    fn state(&self) -> Arc<State> {
        self.state.lock().expect("tree state lock").clone()
    }
}

/// Walk `input` (stopping after `limit` elements, if given) and plan the table.
fn discover(path: &Path, input: &dyn TreeInput, settings: &Settings, limit: Option<u64>) -> Result<State> {
    let mut structure = match limit {
        Some(n) => Structure::sampling(settings.infer, n),
        None => Structure::new(settings.infer),
    };
    let complete = match input.walk(&mut structure) {
        Ok(()) => true,
        Err(Error::SampleFull) => false,
        Err(e) => return Err(e),
    };
    let record = match &settings.record_path {
        Some(p) => super::plan::find_record_path(&structure, &given_path(p))?,
        None => {
            let roots_repeat = structure.roots.first().is_some_and(|&r| structure.nodes[r].max_siblings > 1);
            if settings.choice == RecordChoice::PreferRoots && roots_repeat {
                structure.roots[0]
            } else {
                super::plan::auto_record(&structure)
                    .ok_or_else(|| Error::invalid(path, None, "no elements found: the document is empty"))?
            }
        }
    };
    let plan = Plan::new(&structure, record, settings.plan)?;
    let mut details = settings.base_details.clone();
    details.insert("record_path".into(), structure.path(record).into());
    details.insert(
        "record_path_chosen_by".into(),
        (if settings.record_path.is_some() { "given" } else { "detected" }).into(),
    );
    let paths: Vec<serde_json::Value> = (0..structure.nodes.len().min(INFO_PATHS))
        .map(|n| {
            let node = &structure.nodes[n];
            serde_json::json!({
                "path": structure.path(n),
                "count": node.count,
                "max_per_parent": node.max_siblings,
                "depth": node.depth,
            })
        })
        .collect();
    details.insert("element_paths".into(), structure.nodes.len().into());
    details.insert("structure".into(), paths.into());
    if !complete {
        details.insert(
            "structure_from".into(),
            format!("the first {} elements (counts are of that sample)", limit.unwrap_or_default()).into(),
        );
    }
    details.insert("documents".into(), structure.documents.into());
    Ok(State { structure: Arc::new(structure), plan: Arc::new(plan), complete, details })
}

impl Source for TreeSource {
    fn format_name(&self) -> &'static str {
        self.format
    }

    fn details(&self) -> BTreeMap<String, serde_json::Value> {
        self.state().details.clone()
    }

    fn tables(&self) -> Result<Vec<TableInfo>> {
        let state = self.state();
        let plan = &state.plan;
        let record = &state.structure.nodes[plan.record];
        let mut details = BTreeMap::new();
        let lists: Vec<&str> = plan.columns.iter().filter(|c| c.list).map(|c| c.name.as_str()).collect();
        if !lists.is_empty() {
            details.insert("repeated_columns".into(), lists.into());
        }
        let repairs = self.input.repairs();
        if repairs > 0 {
            details.insert("repairs".into(), repairs.into());
        }
        Ok(vec![TableInfo {
            name: self.table.clone(),
            // A sampled discovery does not know the count: readers of the table count it.
            rows: state.complete.then_some(record.count),
            columns: plan
                .schema
                .fields()
                .iter()
                .map(|f| ColumnInfo { name: f.name().clone(), data_type: type_name(f.data_type()) })
                .collect(),
            details,
        }])
    }

    fn open_table(&self, name: &str) -> Result<BoxedStream> {
        if name != self.table {
            return Err(Error::NoSuchTable {
                path: self.path.clone(),
                wanted: name.into(),
                available: vec![self.table.clone()],
            });
        }
        if self.widen.swap(false, Ordering::SeqCst) && !self.state().complete {
            // An earlier read met what the sample did not show: discover the whole input.
            let full = discover(&self.path, self.input.as_ref(), &self.settings, None)?;
            *self.state.lock().expect("tree state lock") = Arc::new(full);
        }
        let state = self.state();
        let (tx, rx) = bounded::<Result<RecordBatch>>(2);
        let (input, structure, plan, path) =
            (self.input.clone(), state.structure.clone(), state.plan.clone(), self.path.clone());
        let sampled = (!state.complete).then(|| self.widen.clone());
        let schema = plan.schema.clone();
        std::thread::spawn(move || {
            let send_tx = tx.clone();
            let run = crate::panic_guard::catch(|| {
                let mut emit = move |b: RecordBatch| -> Result<()> {
                    send_tx.send(Ok(b)).map_err(|_| Error::InvalidOption("reader stopped: nobody is listening".into()))
                };
                let job =
                    RowsJob { path: &path, nodes: &structure.nodes, roots: &structure.roots, plan: &plan, sampled };
                if let Some(built) = input.build_rows(&job, &mut emit) {
                    return built;
                }
                let mut builder = job.builder(&mut emit);
                // Parsing and row building share this thread (a parser thread of its own, tried,
                // cost more than it gained: the writer already uses the second core).
                input.walk(&mut builder).and_then(|_| builder.finish())
            });
            // A panic must not look like the end of the table: it becomes an error.
            let result = run.unwrap_or_else(|why| {
                Err(Error::invalid(&path, None, format!("internal error: the reader stopped unexpectedly ({why})")))
            });
            if let Err(e) = result {
                let _ = tx.send(Err(e));
            }
        });
        Ok(Box::new(IterStream::new(schema, rx.into_iter())))
    }
}
