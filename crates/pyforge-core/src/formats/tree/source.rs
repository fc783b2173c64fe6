//! A [`Source`] over any [`TreeInput`]: discovery at open, rows streamed from a reader thread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use crossbeam_channel::bounded;

use super::discover::Structure;
use super::plan::{Plan, PlanOptions};
use super::rows::RowBuilder;
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
pub struct TreeSource {
    format: &'static str,
    path: PathBuf,
    table: String,
    input: Arc<dyn TreeInput>,
    structure: Arc<Structure>,
    plan: Arc<Plan>,
    details: BTreeMap<String, serde_json::Value>,
}

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
            format!("/{}/{}", crate::formats::json::ROOT, segs.join("/"))
        }
        None => p.to_string(),
    }
}

impl TreeSource {
    /// Walk `input` once to discover its structure, then plan the table.
    pub fn open(
        format: &'static str,
        path: &Path,
        input: Arc<dyn TreeInput>,
        options: &ReadOptions,
        choice: RecordChoice,
        mut details: BTreeMap<String, serde_json::Value>,
    ) -> Result<Self> {
        let mut structure = Structure::new(options.infer_types == InferTypes::Yes);
        input.walk(&mut structure)?;
        let record = match &options.record_path {
            Some(p) => super::plan::find_record_path(&structure, &given_path(p))?,
            None => {
                let roots_repeat = structure.roots.first().is_some_and(|&r| structure.nodes[r].max_siblings > 1);
                if choice == RecordChoice::PreferRoots && roots_repeat {
                    structure.roots[0]
                } else {
                    super::plan::auto_record(&structure)
                        .ok_or_else(|| Error::invalid(path, None, "no elements found: the document is empty"))?
                }
            }
        };
        let plan = Plan::new(
            &structure,
            record,
            PlanOptions { namespaces: options.namespaces, arrays: options.arrays, infer: options.infer_types, nested: options.nested },
        )?;
        {
            details.insert("record_path".into(), structure.path(record).into());
            details.insert(
                "record_path_chosen_by".into(),
                (if options.record_path.is_some() { "given" } else { "detected" }).into(),
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
        }
        details.insert("documents".into(), structure.documents.into());
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
            structure: Arc::new(structure),
            plan: Arc::new(plan),
            details,
        })
    }
}

impl Source for TreeSource {
    fn format_name(&self) -> &'static str {
        self.format
    }

    fn details(&self) -> BTreeMap<String, serde_json::Value> {
        self.details.clone()
    }

    fn tables(&self) -> Result<Vec<TableInfo>> {
        let record = &self.structure.nodes[self.plan.record];
        let mut details = BTreeMap::new();
        let lists: Vec<&str> = self.plan.columns.iter().filter(|c| c.list).map(|c| c.name.as_str()).collect();
        if !lists.is_empty() {
            details.insert("repeated_columns".into(), lists.into());
        }
        Ok(vec![TableInfo {
            name: self.table.clone(),
            rows: Some(record.count),
            columns: self
                .plan
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
            return Err(Error::NoSuchTable { path: self.path.clone(), wanted: name.into(), available: vec![self.table.clone()] });
        }
        let (tx, rx) = bounded::<Result<RecordBatch>>(2);
        let (input, structure, plan, path) = (self.input.clone(), self.structure.clone(), self.plan.clone(), self.path.clone());
        std::thread::spawn(move || {
            let send_tx = tx.clone();
            let mut emit = move |b: RecordBatch| -> Result<()> {
                send_tx.send(Ok(b)).map_err(|_| Error::InvalidOption("reader stopped: nobody is listening".into()))
            };
            let mut builder = RowBuilder::new(&path, &structure.nodes, &structure.roots, &plan, &mut emit);
            let result = input.walk(&mut builder).and_then(|_| builder.finish());
            if let Err(e) = result {
                let _ = tx.send(Err(e));
            }
        });
        Ok(Box::new(IterStream::new(self.plan.schema.clone(), rx.into_iter())))
    }
}
