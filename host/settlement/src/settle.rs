//! The runner's settlement hook implemented by the gate pipeline.
//!
//! Settlements are serialized (one at a time, as in the original), so each integration
//! candidate is built on the target HEAD as it stands when that task settles.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dgov_git::Oid;
use dgov_kernel::Verdict;
use dgov_runner::{BoxFuture, SettleCtx, Settlement};

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
pub fn verdict_of(out: &crate::Outcome) -> Verdict {
    Verdict {
        passed: out.passed,
        reason: if out.passed {
            "accepted".into()
        } else {
            format!("{}: {}", out.code, out.reason)
        },
        retryable: !out.passed && out.retryable,
    }
}

/// Where the full outcome of an attempt's settlement is written, next to the runner's
/// attempt log (`.dgov/out/<plan>/<task>-a<N>.log`): the retry-context data a worker's next
/// attempt reads (verdict, rejecting phase, every gate's findings).
pub fn evidence_path(root: &Path, plan: &str, task: &str, attempt: u32) -> PathBuf {
    root.join(".dgov/out").join(plan).join(format!(
        "{}-a{attempt}.settlement.json",
        task.replace('/', "_")
    ))
}

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
                return Verdict {
                    passed: true,
                    reason: "accepted".into(),
                    retryable: false,
                };
            };
            let (Ok(base), Ok(commit)) = (Oid::from_str(&ctx.base), Oid::from_str(commit)) else {
                return Verdict {
                    passed: false,
                    reason: format!("bad commit ids: {} {:?}", ctx.base, ctx.commit),
                    retryable: false,
                };
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
                read: Vec::new(),
            };
            let _guard = serial.lock().await;
            let out = pipeline.settle(&req).await;
            write_evidence(&ctx, &out);
            verdict_of(&out)
        })
    }
}
