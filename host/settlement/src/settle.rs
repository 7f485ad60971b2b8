//! The runner's settlement hook implemented by the gate pipeline.
//!
//! Settlements are serialized (one at a time, as in the original), so each integration
//! candidate is built on the target HEAD as it stands when that task settles.

use std::sync::Arc;

use dgov_git::Oid;
use dgov_kernel::Verdict;
use dgov_runner::{BoxFuture, SettleCtx, Settlement, evidence_path};

use crate::pipeline::{Pipeline, Request};

/// [`Settlement`] by the WASM gate pipeline under the repository's policy.
#[derive(Clone)]
pub struct GateSettlement {
    pipeline: Arc<Pipeline>,
    serial: Arc<tokio::sync::Mutex<()>>,
}

impl GateSettlement {
    pub fn new(pipeline: Arc<Pipeline>) -> GateSettlement {
        GateSettlement {
            pipeline,
            serial: Arc::new(tokio::sync::Mutex::new(())),
        }
    }
}

/// The kernel verdict for a pipeline outcome. The reason carries the rejecting gate's
/// evidence, so the task's error (and a retry's context) shows the findings.
///
/// A retryable rejection about the work itself (a failing gate) is retried in place: the
/// next attempt continues this attempt's changes with the evidence in its prompt. Where the
/// work stands is the problem for [`FRESH_START_CODES`] (its replay conflicts with the moved
/// target), so those retries start over from the current target instead.
pub fn verdict_of(out: &crate::Outcome) -> Verdict {
    let retryable = !out.passed && out.retryable;
    Verdict {
        passed: out.passed,
        reason: if out.passed {
            "accepted".into()
        } else {
            format!("{}: {}", out.code, out.reason)
        },
        retryable,
        in_place: retryable && !FRESH_START_CODES.contains(&out.code.as_str()),
        target: out.target.clone().filter(|_| out.passed),
    }
}

/// Rejection codes whose retry must start from the current target rather than continue the
/// rejected work.
pub const FRESH_START_CODES: [&str; 4] = ["text_conflict", "target_moved", "git_error", "io_error"];

fn write_evidence(ctx: &SettleCtx, out: &crate::Outcome) {
    let path = evidence_path(&ctx.root, &ctx.plan, &ctx.task.id, ctx.attempt);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(text) = serde_json::to_string_pretty(out) {
        let _ = std::fs::write(path, text);
    }
}

impl Settlement for GateSettlement {
    fn settle(&self, ctx: SettleCtx) -> BoxFuture<Verdict> {
        let pipeline = self.pipeline.clone();
        let serial = self.serial.clone();
        Box::pin(async move {
            let Some(commit) = ctx.commit.as_deref() else {
                // Nothing changed: nothing to judge (the runner lands it at the current HEAD).
                return Verdict::accept();
            };
            let (Ok(base), Ok(commit)) = (Oid::from_str(&ctx.base), Oid::from_str(commit)) else {
                return Verdict::reject(
                    format!("bad commit ids: {} {:?}", ctx.base, ctx.commit),
                    false,
                );
            };
            let req = Request {
                plan: ctx.plan.clone(),
                task: ctx.task.id.clone(),
                attempt: ctx.attempt,
                root: ctx.root.clone(),
                worktree: ctx.worktree.clone(),
                base,
                commit,
                claims: ctx.task.files.clone(),
                read: ctx.task.read.clone(),
                test_cmd: ctx.task.test_cmd.clone(),
            };
            let _guard = serial.lock().await;
            let out = pipeline.settle(&req).await;
            write_evidence(&ctx, &out);
            verdict_of(&out)
        })
    }
}
