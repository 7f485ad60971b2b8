//! What `dgov run` and settlement do with sentrux (spec §3.1–3.2), as plain functions the
//! runner and the settlement pipeline call: the baseline stays with the host.

use std::path::Path;

use dgov_sentrux::{Baseline, Comparison, Degradation, compare, quality};
use serde::Serialize;

use crate::analyzer::{Architecture, ArchitectureError, RulesMode};
use crate::baseline;

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
    /// The run's structure degraded (the run is `degraded`: exit 0 with a warning).
    pub degraded: bool,
    pub quality_before: u32,
    pub quality_after: u32,
    pub comparison: Option<Comparison>,
    /// The text to print when degraded.
    pub warning: Option<String>,
}

/// After the DAG: compare `rev` (normally `HEAD` of the target) with the baseline,
/// attributing degradations to the files changed since `pre_run_head`.
pub async fn post_run(
    arch: &Architecture,
    repo: &Path,
    rev: &str,
    changed_since_pre_run: &[String],
) -> Result<PostRun, ArchitectureError> {
    let Some(base) = baseline::read(repo)?.filter(|b| b.total_import_edges > 0) else {
        return Ok(PostRun {
            degraded: false,
            quality_before: 0,
            quality_after: 0,
            comparison: None,
            warning: None,
        });
    };
    let scan = arch.scan_rev(repo, rev, &RulesMode::None).await?;
    let cmp = compare(&base, &scan.report, Some(changed_since_pre_run));
    let warning = cmp.degraded.then(|| {
        format!(
            "warning: architecture degraded by this run\n{}",
            dgov_sentrux::render_gate_text(&cmp)
        )
    });
    Ok(PostRun {
        degraded: cmp.degraded,
        quality_before: quality::display(base.quality_signal),
        quality_after: scan.report.quality,
        comparison: Some(cmp),
        warning,
    })
}

/// After a clean, complete, full-plan run: rewrite the baseline from `rev`. Returns whether
/// it changed (the timestamp alone does not count).
pub async fn refresh_baseline(
    arch: &Architecture,
    repo: &Path,
    rev: &str,
) -> Result<bool, ArchitectureError> {
    let scan = arch.scan_rev(repo, rev, &RulesMode::None).await?;
    let fresh = scan.report.to_baseline(0.0);
    if let Ok(Some(mut old)) = baseline::read(repo) {
        old.timestamp = 0.0;
        if old == fresh {
            return Ok(false);
        }
    }
    baseline::write(repo, &scan.report)?;
    Ok(true)
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
