//! Retries: what a retry attempt learns about the attempt it replaces, and where an in-place
//! retry takes its starting point from.
//!
//! The kernel decides whether and how a task is retried ([`dgov_kernel::Action::Retry`]).
//! Here the runner remembers, between that notice and the next `Dispatch`, the failure text,
//! the settlement evidence file and — for an in-place retry — the rejected attempt's base and
//! commit: the next attempt's worktree is created at the same base with that commit's work
//! carried in as uncommitted changes ([`dgov_git::carry_work`]), so the worker fixes what
//! settlement found instead of redoing the task.

use std::path::{Path, PathBuf};

use dgov_git::Oid;

/// What a retry attempt is told about the attempt it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryContext {
    pub previous_attempt: u32,
    /// The failure as the kernel recorded it (`settlement rejected: <code>: <reason>` for a
    /// settlement rejection, the worker's error otherwise).
    pub reason: String,
    /// The previous attempt's changes are in this attempt's worktree, uncommitted.
    pub in_place: bool,
    /// The settlement outcome of the previous attempt (every gate's findings), when one was
    /// written.
    pub evidence: Option<PathBuf>,
}

/// Where the runner keeps one attempt's files: `.dgov/out/<plan>/<task>-a<N><suffix>`
/// (`.log` for the worker log, `.settlement.json` for the settlement outcome).
pub fn attempt_file(root: &Path, plan: &str, task: &str, attempt: u32, suffix: &str) -> PathBuf {
    root.join(".dgov/out")
        .join(plan)
        .join(format!("{}-a{attempt}{suffix}", task.replace('/', "_")))
}

/// The settlement outcome file of an attempt.
pub fn evidence_path(root: &Path, plan: &str, task: &str, attempt: u32) -> PathBuf {
    attempt_file(root, plan, task, attempt, ".settlement.json")
}

/// A pending retry, remembered from the `Retry` notice until the attempt is dispatched.
#[derive(Debug, Clone)]
pub(crate) struct PendingRetry {
    pub(crate) context: RetryContext,
    /// For an in-place retry: the rejected attempt's base and commit.
    pub(crate) carry: Option<(Oid, Oid)>,
}
