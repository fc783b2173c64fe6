//! A run's report as the JSON document the Python package decodes.

use pyforge_core::run::{Outcome, RunReport};
use pyforge_databricks::run::PathNames;
use serde_json::{json, Value};

use crate::errors::python_text;

/// `{"files": [per file], "ok", "failed", "skipped", "seconds"}` (`seconds`: the conversion's
/// time, without downloads and uploads). Per file: `{"input", "status": "ok",
/// "format", "output", "manifest", "rows", "tables": [{"name", "output", "rows", "columns":
/// [{"name", "type"}], "details", "rereads"}]}`, `{"input", "status": "failed", "error"}` or `{"input",
/// "status": "skipped"}` (after a failure with `fail_fast`). Paths are shown as the user gave
/// them (`dbfs:/Volumes/...` for staged Volume files).
pub(crate) fn document(report: &RunReport, names: &PathNames) -> Value {
    let shown = |p: &std::path::Path| names.path(p);
    let files: Vec<Value> = report
        .files
        .iter()
        .map(|f| match &f.outcome {
            Outcome::Converted(rep) => json!({
                "input": shown(&f.input),
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
                    "rereads": t.rereads,
                })).collect::<Vec<_>>(),
            }),
            Outcome::Failed(e) => json!({
                "input": shown(&f.input),
                "status": "failed",
                "error": python_text(&names.text(&e.to_string().replace('\n', " "))),
            }),
            Outcome::Skipped => json!({"input": shown(&f.input), "status": "skipped"}),
        })
        .collect();
    let (ok, failed, skipped) = report.counts();
    json!({"ok": ok, "failed": failed, "skipped": skipped, "files": files, "seconds": report.elapsed.as_secs_f64()})
}
