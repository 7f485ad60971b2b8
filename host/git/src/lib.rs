//! dgov-git: every git mutation dgov makes goes through this crate.
//!
//! - one worktree and branch per task attempt, outside the repository
//!   (`<parent>/.dgov-worktrees-<repo>/<plan>/<task>-a<N>`, branch `dgov/<plan>/<task>-a<N>`),
//!   rooted at HEAD or at the deployed commit of the task's dependencies;
//! - a bootstrap commit for a repository with no commits, and commits of dgov's own files
//!   (`Repo::commit_paths`: given paths only, on the checked-out branch);
//! - the dirty-tree check (dgov's own generated files are exempt);
//! - committing an attempt and merging it into the checked-out branch by fast-forward or
//!   cherry-pick, never a merge commit; a conflict leaves the target untouched;
//! - removing worktrees and branches, and `clean`-style pruning of orphans.
//!
//! Only libgit2 (`git2`) is used; the git CLI is not needed.
//!
//! # Layout
//! - `repo` — [`Repo`]: open, HEAD, bootstrap, dirty check.
//! - `worktree` — attempt worktrees, commit, removal, pruning.
//! - `merge` — fast-forward / cherry-pick merge and crash recovery of a merge.
//! - `candidate` — integration candidates: a task replayed onto the target HEAD, checked out
//!   into a temporary directory (settlement).
//!
//! ```no_run
//! let repo = dgov_git::Repo::open(std::path::Path::new(".")).unwrap();
//! let dirty = repo.dirty_paths().unwrap();
//! assert!(dirty.is_empty(), "uncommitted changes: {dirty:?}");
//! ```

mod candidate;
mod merge;
mod repo;
mod worktree;

use std::path::PathBuf;

pub use git2::Oid;
pub use merge::MergeOutcome;
pub use repo::{Repo, is_generated_path};
pub use worktree::{
    AttemptWorktree, CANDIDATE_SCRATCH_PREFIX, PruneReport, carry_work, commit_worktree,
    discard_changes, restore_paths,
};

/// Errors from git operations. Each says what was being done.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path} is not a git repository; run `git init` there first")]
    NotARepo { path: PathBuf },
    #[error("repository has no commits and nothing to snapshot; add a file and run again")]
    NothingToBootstrap,
    #[error("merge conflict while applying {branch} onto the target branch in: {}", files.join(", "))]
    Conflict { branch: String, files: Vec<String> },
    #[error("{what}: {source}")]
    Git { what: String, source: git2::Error },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

pub(crate) trait Ctx<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T, GitError>;
}

impl<T> Ctx<T> for Result<T, git2::Error> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T, GitError> {
        self.map_err(|source| GitError::Git {
            what: what(),
            source,
        })
    }
}

impl<T> Ctx<T> for Result<T, std::io::Error> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T, GitError> {
        self.map_err(|source| GitError::Io {
            what: what(),
            source,
        })
    }
}
