//! The integration candidate: the task's commits replayed onto the current target HEAD
//! (`dgov-git`), checked out into a temporary directory, with what the later phases need —
//! the semantic gate's facts of base, task, target and candidate, and the candidate's changes
//! against the target (which candidate validation judges; the original diffed the candidate
//! with itself).

use dgov_git::{GitError, Oid, Repo};
use dgov_plugin_host::bindings::ChangedFile;
use serde_json::json;

use crate::diff;
use crate::facts::{self, Versions};
use crate::pipeline::{Request, git_err};

/// A built integration candidate and what the later phases need of git.
pub(crate) struct Candidate {
    pub(crate) candidate: Oid,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) input: serde_json::Value,
    pub(crate) cand_changed: Vec<ChangedFile>,
    pub(crate) cand_tree: Option<String>,
}

pub(crate) type CandidateError = (String, String, serde_json::Value);

pub(crate) fn build_candidate(
    req: &Request,
    target: Oid,
    task_changed: &[ChangedFile],
    semantic: bool,
) -> Result<Candidate, CandidateError> {
    let fail = |code: &str, reason: String| {
        let data = json!({"phase": "integration_candidate", "status": "failed", "failure_class": code, "error": reason});
        (code.to_string(), reason, data)
    };
    let repo = Repo::open(&req.root).map_err(|e| fail("git_error", git_err(e)))?;
    let git = repo.git2();
    let candidate = match repo.replay_onto(target, req.base, req.commit) {
        Ok(c) => c,
        Err(GitError::Conflict { files, .. }) => {
            let reason = format!(
                "replaying the task onto the target HEAD {} conflicts in: {}; the target changed the same lines since the task started",
                &target.to_string()[..8],
                files.join(", ")
            );
            let mut e = fail("text_conflict", reason);
            e.2["files"] = json!(files);
            return Err(e);
        }
        Err(e) => return Err(fail("git_error", e.to_string())),
    };
    let dir = scratch_checkout_dir(&repo, dgov_git::CANDIDATE_SCRATCH_PREFIX)
        .map_err(|e| fail("io_error", format!("creating a candidate directory: {e}")))?;
    repo.checkout_to(candidate, dir.path())
        .map_err(|e| fail("git_error", e.to_string()))?;
    let names = |v: &[ChangedFile]| v.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
    let input = if semantic {
        let target_changed = diff::between(git, req.base, target).unwrap_or_default();
        facts::semantic_input(
            git,
            Versions {
                base: req.base,
                task: req.commit,
                target,
                candidate,
            },
            &names(task_changed),
            &names(&target_changed),
        )
    } else {
        json!({})
    };
    let cand_changed =
        diff::between(git, target, candidate).map_err(|e| fail("git_error", e.to_string()))?;
    let cand_tree = repo.tree_of(candidate).ok().map(|t| t.to_string());
    Ok(Candidate {
        candidate,
        dir,
        input,
        cand_changed,
        cand_tree,
    })
}

/// A fresh directory for a throwaway checkout in the repository's scratch directory
/// ([`dgov_git::Repo::scratch_dir`]), removed when dropped.
pub(crate) fn scratch_checkout_dir(
    repo: &Repo,
    prefix: &str,
) -> std::io::Result<tempfile::TempDir> {
    let scratch = repo.scratch_dir();
    std::fs::create_dir_all(&scratch)?;
    tempfile::Builder::new().prefix(prefix).tempdir_in(scratch)
}
