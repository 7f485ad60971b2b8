//! Retries: what a retry attempt learns about the attempt it replaces, and where an in-place
//! retry takes its starting point from.
//!
//! The kernel decides whether and how a task is retried ([`dgov_kernel::Action::Retry`]).
//! Here the runner remembers, between that notice and the next `Dispatch`, the failure text,
//! the settlement evidence file and — for an in-place retry — the rejected attempt's base and
//! commit: the next attempt's worktree is created at the same base with that commit's work
//! carried in as uncommitted changes ([`dgov_git::carry_work`]), so the worker fixes what
//! settlement found instead of redoing the task.
//!
//! A fork (the attempt ran out of iterations) is an in-place retry of an attempt that never
//! finished, so it has no commit: the runner first snapshots the exhausted worktree as a
//! commit on the attempt's branch (`dgov: work at exhaustion <task>`) and carries that.

use std::path::{Path, PathBuf};

use dgov_git::Oid;
use serde_json::json;

use crate::RunError;
use crate::progress::ProgressEvent;
use crate::runner::{Runner, first_line};

/// What a retry attempt is told about the attempt it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryContext {
    pub previous_attempt: u32,
    /// The failure as the kernel recorded it (`settlement rejected: <code>: <reason>` for a
    /// settlement rejection, the worker's error otherwise).
    pub reason: String,
    /// The previous attempt's changes are in this attempt's worktree, uncommitted.
    pub in_place: bool,
    /// The previous attempt ran out of iterations and this one is its fork: it takes over the
    /// unfinished work (in the worktree when `in_place`) with a clean context.
    pub fork: bool,
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

impl Runner {
    /// The kernel's `Retry` notice: tell the operator, record it, and remember what the next
    /// attempt needs (its context, and for an in-place retry the work to carry).
    pub(crate) fn on_retry(
        &mut self,
        task: String,
        next_attempt: u32,
        reason: String,
        in_place: bool,
        fork: bool,
    ) -> Result<(), RunError> {
        let previous = next_attempt - 1;
        // Which fork this is, of how many (the kernel has counted it already).
        let forks = (
            self.kernel.status(&task).map_or(0, |s| s.forks_used),
            self.tasks.get(&task).map_or(0, |t| t.forks),
        );
        let what = if fork {
            format!(
                "attempt {previous} ran out of iterations; fork {}/{} continues its work as attempt {next_attempt}",
                forks.0, forks.1
            )
        } else {
            let how = if in_place {
                "continuing its work"
            } else {
                "starting over"
            };
            format!("attempt {previous} failed, retrying as attempt {next_attempt} ({how})")
        };
        self.deps.progress.event(ProgressEvent::Notice(format!(
            "{task}: {what}: {}",
            first_line(&reason)
        )));
        // The kernel announces an in-place retry before the previous attempt's cleanup, so
        // its base and commit (or, for a fork, its worktree) are still known here.
        let carry = if fork {
            self.snapshot_exhausted(&task, previous)?
        } else {
            self.attempts
                .get(&(task.clone(), previous))
                .filter(|_| in_place)
                .and_then(|i| {
                    Some((
                        i.base,
                        self.git
                            .attempt_tip(&self.plan.name, &task, previous)
                            .or(i.commit)?,
                    ))
                })
        };
        let evidence = evidence_path(&self.cfg.root, &self.plan.name, &task, previous);
        let mut data = json!({
            "next_attempt": next_attempt, "reason": reason, "in_place": in_place,
            "carries": carry.map(|(_, c)| c.to_string()),
        });
        if fork {
            data["fork"] = json!(forks.0);
            data["max_forks"] = json!(forks.1);
        }
        self.note(Some(&task), "retry", data)?;
        self.retries.insert(
            (task, next_attempt),
            PendingRetry {
                context: RetryContext {
                    previous_attempt: previous,
                    reason,
                    in_place: carry.is_some(),
                    fork,
                    evidence: evidence.is_file().then_some(evidence),
                },
                carry,
            },
        );
        Ok(())
    }

    /// The exhausted attempt's work as `(base, commit)`: its worktree's changes committed on
    /// its branch. `None` when it changed nothing (the fork starts fresh) or the snapshot
    /// failed (recorded as `carry_failed`; the fork starts fresh and is told so).
    fn snapshot_exhausted(
        &mut self,
        task: &str,
        attempt: u32,
    ) -> Result<Option<(Oid, Oid)>, RunError> {
        let Some(info) = self.attempts.get(&(task.to_string(), attempt)) else {
            return Ok(None);
        };
        let (worktree, base) = (info.worktree.clone(), info.base);
        let message = format!("dgov: work at exhaustion {task}");
        match self.git.commit_attempt(&worktree, &message) {
            Ok(Some(c)) => {
                if let Some(i) = self.attempts.get_mut(&(task.to_string(), attempt)) {
                    i.commit = Some(c);
                }
                Ok(Some((base, c)))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.deps.progress.event(ProgressEvent::Notice(format!(
                    "{task}: could not snapshot attempt {attempt}'s unfinished work ({e}); the fork starts over"
                )));
                self.note(
                    Some(task),
                    "carry_failed",
                    json!({"attempt": attempt + 1, "error": e.to_string()}),
                )?;
                Ok(None)
            }
        }
    }
}
