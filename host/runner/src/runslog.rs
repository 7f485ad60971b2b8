//! `.dgov/runs.log`: a human-readable, append-only block per run.

use std::io::Write;
use std::path::Path;

use crate::runner::{RunReport, RunStatus};

/// Append the run's block. Best effort: the event store is the authority, this is a courtesy.
pub(crate) fn append(root: &Path, report: &RunReport) {
    let verdict = match report.status {
        RunStatus::Complete => "ok",
        RunStatus::Interrupted => "interrupted",
        _ => "fail",
    };
    let ts = dgov_store::time::now_iso_seconds();
    let mut block = format!(
        "[{} {}] {} — {verdict} ({:.1}s)\n",
        &ts[..10],
        &ts[11..],
        report.plan,
        report.duration_s
    );
    let list = |name: &str, v: &[String]| {
        if v.is_empty() {
            String::new()
        } else {
            format!("  {name}: {}\n", v.join(", "))
        }
    };
    block.push_str(&list("merged", &report.summary.merged));
    block.push_str(&list("failed", &report.summary.failed));
    let mut abandoned = report.summary.abandoned.clone();
    abandoned.extend(report.summary.timed_out.iter().cloned());
    block.push_str(&list("abandoned", &abandoned));
    for (task, err) in &report.errors {
        let short: String = err.chars().take(200).collect();
        block.push_str(&format!("    error[{task}]: {short}\n"));
    }
    block.push('\n');
    let path = root.join(".dgov").join("runs.log");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(block.as_bytes());
    }
}
