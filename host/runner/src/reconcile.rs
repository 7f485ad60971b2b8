//! Start-up reconciliation: finish or undo every side effect a crashed run left half done.
//! Runs after the kernel is rebuilt from the log and before the new run window starts; it is
//! idempotent, so a crash during reconciliation is itself recoverable.

use dgov_git::Oid;
use dgov_kernel::{Event, TaskState};
use dgov_store::Effect;
use serde_json::json;

use crate::RunError;
use crate::deploy::read_deployed;
use crate::runner::Runner;

/// Before the dirty-tree check of a new run: a merge a crash interrupted may have moved the
/// branch without updating the working tree, which would look like uncommitted changes. Bring
/// the working tree in line (idempotent; the run's reconciliation records the rest).
/// Returns a line per repaired merge.
pub fn repair_interrupted_merges(root: &std::path::Path) -> Result<Vec<String>, RunError> {
    let Some(store) = dgov_store::Store::open_read_only(root)? else {
        return Ok(Vec::new());
    };
    let git = dgov_git::Repo::open(root)?;
    let mut out = Vec::new();
    for intent in store.open_intents_all_plans()? {
        if intent.effect != Effect::Merge {
            continue;
        }
        let text = |k: &str| {
            intent
                .data
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let (Some(pre), tip) = (
            text("pre_head").and_then(|s| Oid::from_str(&s).ok()),
            text("tip").and_then(|s| Oid::from_str(&s).ok()),
        ) else {
            continue;
        };
        if let Some(head) = git.recover_merge(pre, tip, &text("message").unwrap_or_default())? {
            out.push(format!(
                "{}: an interrupted merge had landed ({:.7}); working tree updated",
                intent.task.unwrap_or_default(),
                head.to_string()
            ));
        }
    }
    Ok(out)
}

pub(crate) fn reconcile(r: &mut Runner) -> Result<(), RunError> {
    let plan = r.plan.name.clone();
    // A previous run killed mid-write (kill -9, or a crash while another thread was
    // committing an attempt) can leave git lock files in dgov's branches and worktrees; we
    // hold the run lock, so none of them belongs to a live process.
    for lock in r.git.clear_stale_dgov_locks()? {
        r.reconciled.push(format!(
            "removed a stale git lock left by a killed run: {}",
            lock.display()
        ));
    }
    // Integration-candidate checkouts exist only while a run settles; any left belong to a
    // killed run.
    for dir in r
        .git
        .clear_scratch(dgov_git::CANDIDATE_SCRATCH_PREFIX, false)?
    {
        r.reconciled.push(format!(
            "removed a candidate checkout left by a killed run: {}",
            dir.display()
        ));
    }
    for intent in r.store.open_intents(&plan)? {
        let task = intent.task.clone().unwrap_or_default();
        let attempt = intent.attempt.unwrap_or(0);
        match intent.effect {
            Effect::CreateWorktree | Effect::Cleanup => {
                let removed = r.git.remove_attempt(&plan, &task, attempt)?;
                r.store
                    .finish_intent(intent.id, "reconciled", &json!({"removed": removed}))?;
                r.reconciled.push(format!(
                    "{task} attempt {attempt}: an interrupted {} was undone",
                    intent.effect.as_str().replace('_', " ")
                ));
            }
            Effect::Dispatch => {
                if let Some(pgid) = intent
                    .data
                    .get("pgid")
                    .and_then(|p| p.as_i64())
                    .filter(|p| *p > 1)
                {
                    // The worker's process group may have outlived the crashed run.
                    // SAFETY: signalling a process group; ESRCH (gone) is fine.
                    unsafe {
                        libc::kill(-(pgid as i32), libc::SIGKILL);
                    }
                }
                let removed = r.git.remove_attempt(&plan, &task, attempt)?;
                r.store.finish_intent(
                    intent.id,
                    "reconciled",
                    &json!({"removed": removed, "killed": true}),
                )?;
                r.reconciled.push(format!(
                    "{task} attempt {attempt}: its worker was running when the run died; stopped and removed"
                ));
            }
            Effect::Merge => {
                let text = |k: &str| {
                    intent
                        .data
                        .get(k)
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                };
                let pre = text("pre_head").and_then(|s| Oid::from_str(&s).ok());
                let tip = text("tip").and_then(|s| Oid::from_str(&s).ok());
                let message = text("message").unwrap_or_default();
                let landed = match pre {
                    Some(pre) => r.git.recover_merge(pre, tip, &message)?,
                    None => None,
                };
                match landed {
                    Some(head) => {
                        let sha = head.to_string();
                        let records = read_deployed(&r.cfg.root, &plan)
                            .map_err(|e| RunError::io("reading the deploy log", e))?;
                        if !records.iter().any(|x| x.unit == task && x.sha == sha) {
                            r.append_deploy(&task, &sha)?;
                        }
                        r.store
                            .finish_intent(intent.id, "landed", &json!({"head": sha}))?;
                        let status = r.kernel.status(&task).cloned();
                        if status
                            .is_some_and(|s| s.state == TaskState::Merging && s.attempt == attempt)
                        {
                            // The actions are dropped: the new window schedules afresh.
                            r.record(Event::MergeFinished {
                                task: task.clone(),
                                attempt,
                                error: None,
                            })?;
                        }
                        r.reconciled.push(format!(
                            "{task}: its merge had landed ({:.7}); recorded it",
                            sha
                        ));
                    }
                    None => {
                        r.store.finish_intent(intent.id, "not_landed", &json!({}))?;
                        r.reconciled.push(format!(
                            "{task}: its merge had not landed when the run died"
                        ));
                    }
                }
            }
            Effect::Archive => {
                r.store.finish_intent(intent.id, "reconciled", &json!({}))?;
            }
        }
    }
    // No attempt of this plan can be live now (we hold the run lock): remove leftovers.
    let swept = r.git.sweep_plan(&plan)?;
    if swept > 0 {
        r.reconciled.push(format!(
            "removed {swept} leftover worktree(s)/branch(es) of plan {plan}"
        ));
    }
    Ok(())
}
