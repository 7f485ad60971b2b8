//! What `dgov run` and settlement do with sentrux (spec §3.1–3.2), as plain functions the
//! runner and the settlement pipeline call: the baseline stays with the host. The refresh
//! after a complete run is in [`crate::refresh`].

use std::path::Path;

use dgov_sentrux::{Baseline, Comparison, Degradation, compare, quality};
use serde::Serialize;

use crate::analyzer::{Architecture, ArchitectureError, RulesMode};
use crate::baseline;
use crate::policy::Mode;

/// What the pre-dispatch bootstrap did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Bootstrap {
    /// A baseline existed; its quality as printed (×10000).
    Existing { quality: u32 },
    /// No baseline existed; one was created from the working tree.
    Created { quality: u32 },
}

/// Before dispatch: create `.sentrux/baseline.json` from the tracked files when it is
/// missing. An unreadable baseline is an error (the user fixes or removes it).
pub async fn ensure_baseline(
    arch: &Architecture,
    repo: &Path,
) -> Result<Bootstrap, ArchitectureError> {
    if let Some(b) = baseline::read(repo)? {
        return Ok(Bootstrap::Existing {
            quality: quality::display(b.quality_signal),
        });
    }
    let scan = arch.scan_tree(repo, &RulesMode::None).await?;
    let written = baseline::write(repo, &scan.report)?;
    Ok(Bootstrap::Created {
        quality: quality::display(written.quality_signal),
    })
}

/// The settlement verdict for one task's tree.
#[derive(Debug, Clone, Serialize)]
pub struct TaskAssessment {
    /// `None` when the gate is disabled: no baseline, or a baseline of an empty project.
    pub comparison: Option<Comparison>,
    /// Degradations caused by the task's changed files: the task fails on these only.
    pub attributable: Vec<Degradation>,
}

impl TaskAssessment {
    /// Whether the task must be rejected.
    pub fn fails(&self) -> bool {
        !self.attributable.is_empty()
    }

    /// One line for humans.
    pub fn summary(&self) -> String {
        match &self.comparison {
            None => "sentrux gate disabled (no baseline, or a baseline of an empty project)".into(),
            Some(c) if !c.degraded => "no structural degradation".into(),
            Some(_) if self.attributable.is_empty() => {
                "structure degraded, but not in the files this task changed".into()
            }
            Some(_) => {
                let lines: Vec<&str> = self
                    .attributable
                    .iter()
                    .map(|d| d.message.as_str())
                    .collect();
                format!(
                    "architectural degradation caused by this task: {}",
                    lines.join("; ")
                )
            }
        }
    }
}

/// Settlement gate: compare the tree at `tree_root` (a worktree or integration candidate)
/// with the governor's baseline (`baseline`, read from the session root, never from the
/// tree), attributing each degradation to `changed_files`.
pub async fn assess_task(
    arch: &Architecture,
    baseline: Option<&Baseline>,
    tree_root: &Path,
    changed_files: &[String],
) -> Result<TaskAssessment, ArchitectureError> {
    let Some(base) = baseline.filter(|b| b.total_import_edges > 0) else {
        return Ok(TaskAssessment {
            comparison: None,
            attributable: Vec::new(),
        });
    };
    let scan = arch.scan_tree(tree_root, &RulesMode::None).await?;
    let cmp = compare(base, &scan.report, Some(changed_files));
    let attributable = cmp.attributable().into_iter().cloned().collect();
    Ok(TaskAssessment {
        comparison: Some(cmp),
        attributable,
    })
}

/// The post-run comparison.
#[derive(Debug, Clone, Serialize)]
pub struct PostRun {
    /// The run's structure degraded (the run is `degraded`: exit 0 with a warning). In
    /// `diff` mode only degradations the run's own changes caused count; in `strict` mode
    /// any does.
    pub degraded: bool,
    /// Degradations found that this run did not cause (reported, never `degraded`).
    pub pre_existing: usize,
    pub quality_before: u32,
    pub quality_after: u32,
    pub comparison: Option<Comparison>,
    /// The text to print when anything degraded.
    pub warning: Option<String>,
}

/// After the DAG: compare `rev` (normally `HEAD` of the target) with the baseline,
/// attributing degradations to the files changed since `pre_run_head`.
///
/// A degradation the run did not cause (one that was already there when it started, and
/// a whole-tree drop) does not make the run degraded in `diff` mode: otherwise every run
/// after a degraded one stayed degraded, and the refresh that accepts the structure never
/// came.
pub async fn post_run(
    arch: &Architecture,
    repo: &Path,
    rev: &str,
    changed_since_pre_run: &[String],
    mode: Mode,
) -> Result<PostRun, ArchitectureError> {
    let Some(base) = baseline::read(repo)?.filter(|b| b.total_import_edges > 0) else {
        return Ok(PostRun {
            degraded: false,
            pre_existing: 0,
            quality_before: 0,
            quality_after: 0,
            comparison: None,
            warning: None,
        });
    };
    let scan = arch.scan_rev(repo, rev, &RulesMode::None).await?;
    let cmp = compare(&base, &scan.report, Some(changed_since_pre_run));
    let own = cmp.attributable().len();
    let degraded = match mode {
        Mode::Strict => cmp.degraded,
        Mode::Diff => own > 0,
    };
    let pre_existing = if cmp.degraded {
        cmp.degradations.len() - own
    } else {
        0
    };
    let warning = cmp.degraded.then(|| {
        let head = if degraded {
            "warning: architecture degraded by this run"
        } else {
            "warning: architecture degraded compared with the baseline, but not by this run's changes (pre-existing; a complete run accepts it into the baseline)"
        };
        format!("{head}\n{}", dgov_sentrux::render_gate_text(&cmp))
    });
    Ok(PostRun {
        degraded,
        pre_existing,
        quality_before: quality::display(base.quality_signal),
        quality_after: scan.report.quality,
        comparison: Some(cmp),
        warning,
    })
}

/// Source files (languages dgov parses) changed between two commits, for attribution.
pub fn changed_files(repo: &Path, from: &str, to: &str) -> Result<Vec<String>, ArchitectureError> {
    let git_err = |e: git2::Error| ArchitectureError::Git {
        repo: repo.to_path_buf(),
        message: e.message().to_string(),
    };
    let r = git2::Repository::open(repo).map_err(git_err)?;
    let tree_of = |rev: &str| {
        r.revparse_single(rev)
            .and_then(|o| o.peel_to_tree())
            .map_err(git_err)
    };
    let (a, b) = (tree_of(from)?, tree_of(to)?);
    let diff = r
        .diff_tree_to_tree(Some(&a), Some(&b), None)
        .map_err(git_err)?;
    let mut out: Vec<String> = diff
        .deltas()
        .filter_map(|d| {
            d.new_file()
                .path()
                .or(d.old_file().path())
                .map(|p| p.to_string_lossy().into_owned())
        })
        .collect();
    out.retain(|p| crate::tree::is_source(p));
    out.sort();
    out.dedup();
    Ok(out)
}
