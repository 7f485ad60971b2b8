//! The settlement hook: between "worker done" and "merge", a [`Settlement`] judges the attempt
//! (scope checks, gates, integration candidate — supplied by the settlement crate). The
//! default, [`AcceptAll`], accepts every attempt.

use std::path::PathBuf;
use std::sync::Arc;

use dgov_kernel::Verdict;

use crate::plan::RunTask;
use crate::worker::BoxFuture;

/// What settlement gets to judge one attempt.
#[derive(Debug, Clone)]
pub struct SettleCtx {
    pub plan: String,
    pub task: Arc<RunTask>,
    pub attempt: u32,
    pub worktree: PathBuf,
    pub root: PathBuf,
    /// The commit the attempt started from (hex).
    pub base: String,
    /// The attempt's commit (hex), `None` if the worker changed nothing.
    pub commit: Option<String>,
}

pub trait Settlement: Send + Sync {
    fn settle(&self, ctx: SettleCtx) -> BoxFuture<Verdict>;
}

/// Accepts every attempt.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAll;

impl Settlement for AcceptAll {
    fn settle(&self, _ctx: SettleCtx) -> BoxFuture<Verdict> {
        Box::pin(async { Verdict::accept() })
    }
}
