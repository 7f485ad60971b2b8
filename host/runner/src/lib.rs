//! dgov-runner: carries out a run. It rebuilds the [`dgov_kernel::Kernel`] from the event
//! store, reconciles side effects a crash left half done, then loops: execute the kernel's
//! actions (create worktrees, start workers, settle, merge serially, clean up), turn results
//! into events, store them, feed them back.
//!
//! # Layout
//! - `runner` — [`run`], the loop, [`RunConfig`], [`RunReport`], progress.
//! - `land` — the serial merge (only onto the HEAD settlement validated; a moved target
//!   makes the verdict stale and the attempt is settled again), the deploy log, cleanup.
//! - `retry` — [`RetryContext`]: what a retry attempt is told, and the rejected work an
//!   in-place retry carries into its worktree.
//! - `reconcile` — start-up recovery of dangling intents.
//! - `worker` — the [`Worker`] trait, [`FakeWorker`], [`CommandWorker`].
//! - `settle` — the [`Settlement`] hook between "worker done" and "merge" ([`AcceptAll`]).
//! - `plan` — [`RunPlan`]/[`RunTask`], the runner's own plan type.
//! - `deploy` — the deploy log. `archive` — archiving deployed plans. `runslog` — runs.log.
//! - `fault` — `DGOV_FAULT` fault injection for crash tests.
//!
//! ```no_run
//! # async fn demo(plan: dgov_runner::RunPlan) -> Result<(), dgov_runner::RunError> {
//! use std::sync::Arc;
//! use dgov_runner::*;
//! let root = std::path::PathBuf::from(".");
//! let lock = dgov_store::RunLock::acquire(&root.join(".dgov"))?;
//! let cfg = RunConfig { root, mode: dgov_kernel::RunMode::Fresh, max_parallel: Some(4), archive: true };
//! let deps = RunDeps { worker: Arc::new(FakeWorker::default()), settlement: Arc::new(AcceptAll), progress: Arc::new(Silent) };
//! let report = run(plan, cfg, lock, deps, std::future::pending()).await?;
//! println!("{}", report.status.as_str());
//! # Ok(()) }
//! ```

mod archive;
pub mod deploy;
pub mod fault;
mod land;
mod plan;
mod progress;
mod reconcile;
mod retry;
mod runner;
mod runslog;
mod settle;
mod worker;

pub use plan::{RunPlan, RunTask};
pub use progress::{Progress, ProgressEvent, Silent};
pub use reconcile::repair_interrupted_merges;
pub use retry::{RetryContext, attempt_file, evidence_path};
pub use runner::{RunConfig, RunDeps, RunReport, RunStatus, run};
pub use settle::{AcceptAll, SettleCtx, Settlement};
pub use worker::{
    Attempt, BoxFuture, CommandWorker, FakeBehaviour, FakeWorker, Worker, WorkerReport,
};

/// Why a run could not be carried out (as opposed to tasks failing, which is a report).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] dgov_store::StoreError),
    #[error(transparent)]
    Git(#[from] dgov_git::GitError),
    #[error("{0}")]
    Input(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("the run cannot make progress; this is a bug in dgov (task states: {0})")]
    Stuck(String),
}

impl RunError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> RunError {
        RunError::Io {
            what: what.into(),
            source,
        }
    }
}
