//! Accepting the baseline at `HEAD`: the refresh after a complete run (spec §3.2 step 8)
//! and the metadata `dgov sentrux gate-save` records. Both refuse to vouch for a commit
//! while the session root has uncommitted changes that could be part of what was scanned.

use std::path::Path;

use serde::Serialize;

use crate::analyzer::{Architecture, ArchitectureError, RulesMode};
use crate::baseline::{self, BASELINE_PATH};
use crate::metadata::{self, METADATA_PATH, Metadata};
use crate::policy::Policy;
use crate::staleness::changes_only_governor_files;

/// The message of dgov's refresh commits.
pub const REFRESH_MESSAGE: &str = "Refresh sentrux baseline";

/// What the refresh did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Refresh {
    /// The baseline files changed and were committed.
    Committed {
        commit: String,
        /// The structure changed (otherwise only the accepted commit moved).
        baseline_changed: bool,
    },
    /// HEAD already holds the baseline of its own tree.
    AlreadyCurrent,
    /// Nothing was written: why, and the paths in the way.
    Refused { reason: String, dirty: Vec<String> },
}

impl Refresh {
    /// One line for humans.
    pub fn summary(&self) -> String {
        match self {
            Refresh::Committed { commit, .. } => format!(
                "sentrux baseline refreshed and committed ({:.12} {REFRESH_MESSAGE})",
                commit
            ),
            Refresh::AlreadyCurrent => "sentrux baseline already current".into(),
            Refresh::Refused { reason, dirty } => {
                let mut s = format!("sentrux baseline not refreshed: {reason}");
                for p in dirty.iter().take(10) {
                    s.push_str(&format!("\n  {p}"));
                }
                if dirty.len() > 10 {
                    s.push_str(&format!("\n  … and {} more", dirty.len() - 10));
                }
                s
            }
        }
    }
}

fn git_err(root: &Path, e: dgov_git::GitError) -> ArchitectureError {
    ArchitectureError::Git {
        repo: root.to_path_buf(),
        message: e.to_string(),
    }
}

/// Uncommitted paths of `root` that stop the baseline from being accepted at HEAD (see
/// [`Policy::refreshable`]), sorted.
pub fn blocking_dirty(
    root: &Path,
    policy: &Policy,
    exempt: &[String],
) -> Result<Vec<String>, ArchitectureError> {
    let repo = dgov_git::Repo::open(root).map_err(|e| git_err(root, e))?;
    let mut dirty = repo.dirty_paths().map_err(|e| git_err(root, e))?;
    dirty.retain(|p| !policy.refreshable(p, exempt));
    Ok(dirty)
}

fn head_of(root: &Path) -> Result<Option<dgov_git::Oid>, ArchitectureError> {
    let repo = dgov_git::Repo::open(root).map_err(|e| git_err(root, e))?;
    repo.head().map_err(|e| git_err(root, e))
}

/// After `gate-save`: record `.sentrux/dgov-baseline.json` accepting the baseline at HEAD,
/// when that is true: HEAD resolves and nothing uncommitted (beyond what may stay
/// uncommitted) could have gone into the scan. `Ok(Err(notice))` says why not.
pub fn record_saved(
    root: &Path,
    policy: &Policy,
    now: f64,
    quality: u32,
) -> Result<Result<Metadata, String>, ArchitectureError> {
    let Some(head) = head_of(root)? else {
        return Ok(Err(format!(
            "note: {METADATA_PATH} not written: the repository has no commits to accept the baseline at"
        )));
    };
    let dirty = blocking_dirty(root, policy, &[])?;
    if !dirty.is_empty() {
        let shown: Vec<&str> = dirty.iter().take(5).map(String::as_str).collect();
        return Ok(Err(format!(
            "note: {METADATA_PATH} not written: the baseline includes {} uncommitted change(s) ({}{}), so it does not describe HEAD; commit them and run `dgov sentrux gate-save` again",
            dirty.len(),
            shown.join(", "),
            if dirty.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        )));
    }
    let meta = Metadata::new(&head.to_string(), now, Some(quality));
    metadata::write(root, &meta)?;
    Ok(Ok(meta))
}

/// The accepted-baseline refresh: refuse while `root` has blocking uncommitted changes
/// (`exempt`: directories the run itself changed, such as the archived plan); otherwise
/// scan a clean copy of HEAD's tree, rewrite `.sentrux/baseline.json` when the structure
/// changed and `.sentrux/dgov-baseline.json` when the accepted commit moved, and commit
/// both as `Refresh sentrux baseline` when HEAD does not already hold them.
pub async fn refresh_accepted(
    arch: &Architecture,
    root: &Path,
    policy: &Policy,
    exempt: &[String],
    now: f64,
) -> Result<Refresh, ArchitectureError> {
    let dirty = blocking_dirty(root, policy, exempt)?;
    if !dirty.is_empty() {
        return Ok(Refresh::Refused {
            reason: format!(
                "the session root has {} uncommitted change(s); commit or stash them, then run `dgov sentrux gate-save` (or the next complete run refreshes it)",
                dirty.len()
            ),
            dirty,
        });
    }
    let Some(head) = head_of(root)? else {
        return Ok(Refresh::Refused {
            reason: "the repository has no commits".into(),
            dirty: Vec::new(),
        });
    };
    // HEAD's committed tree, not the working tree: what the baseline will be accepted at.
    let scan = arch
        .scan_rev(root, &head.to_string(), &RulesMode::None)
        .await?;
    let fresh = scan.report.to_baseline(0.0);
    let unchanged = baseline::read(root).ok().flatten().is_some_and(|mut b| {
        b.timestamp = 0.0;
        b == fresh
    });
    if !unchanged {
        baseline::write_at(root, &scan.report, now)?;
    }
    let repo = git2::Repository::open(root).map_err(|e| ArchitectureError::Git {
        repo: root.to_path_buf(),
        message: e.message().to_string(),
    })?;
    // The accepted commit is current when nothing but the baseline files changed since
    // (dgov's own refresh commit comes after the commit it accepts).
    let accepted_current = metadata::read(root).ok().flatten().is_some_and(|m| {
        let (Ok(a), Ok(h)) = (
            repo.revparse_single(&m.accepted_head)
                .and_then(|o| o.peel_to_commit()),
            repo.find_commit(head),
        ) else {
            return false;
        };
        changes_only_governor_files(&repo, &a, &h).unwrap_or(false)
    });
    if !unchanged || !accepted_current {
        let meta = Metadata::new(&head.to_string(), now, Some(scan.report.quality));
        metadata::write(root, &meta)?;
    }
    let git = dgov_git::Repo::open(root).map_err(|e| git_err(root, e))?;
    match git
        .commit_paths(&[BASELINE_PATH, METADATA_PATH], REFRESH_MESSAGE)
        .map_err(|e| git_err(root, e))?
    {
        Some(oid) => Ok(Refresh::Committed {
            commit: oid.to_string(),
            baseline_changed: !unchanged,
        }),
        None => Ok(Refresh::AlreadyCurrent),
    }
}
