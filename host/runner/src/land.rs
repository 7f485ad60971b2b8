//! Landing an attempt: the serial merge into the target (only onto the HEAD settlement
//! validated), the deploy log, and removing an attempt's worktree and branch.

use dgov_kernel::Event;
use dgov_store::{Effect, time};
use serde_json::json;

use crate::RunError;
use crate::deploy::{DeployRecord, append_deployed};
use crate::fault;
use crate::progress::ProgressEvent;
use crate::runner::Runner;

impl Runner {
    pub(crate) fn merge(&mut self, task: &str, attempt: u32) -> Result<(), RunError> {
        let key = (task.to_string(), attempt);
        let plan = self.plan.name.clone();
        let message = self.tasks[task].message();
        let Some((base, commit, validated)) = self
            .attempts
            .get(&key)
            .map(|i| (i.base, i.commit, i.validated))
        else {
            let acts = self.record(Event::MergeFinished {
                task: task.into(),
                attempt,
                error: Some("the attempt's worktree is unknown to this run".into()),
            })?;
            self.queue.extend(acts);
            return Ok(());
        };
        let pre_head = self
            .git
            .head()?
            .ok_or_else(|| RunError::Input("HEAD vanished".into()))?;
        // Settlement validated the task on one target HEAD; another merge landed since
        // (settlements run while the previous task merges), so what was proven is not what
        // would land. Nothing merges; the attempt is settled again on the new HEAD.
        if let Some(v) = validated.filter(|v| *v != pre_head) {
            let reason = format!(
                "the target moved from {} to {} after settlement validated the attempt",
                &v.to_string()[..8],
                &pre_head.to_string()[..8]
            );
            self.deps.progress.event(ProgressEvent::Notice(format!(
                "{task}: {reason}; settling again"
            )));
            let acts = self.record(Event::Stale {
                task: task.into(),
                attempt,
                reason,
            })?;
            self.queue.extend(acts);
            return Ok(());
        }
        let tip = self.git.attempt_tip(&plan, task, attempt);
        let intent = self.store.begin_intent(
            &plan,
            Some(task),
            Some(attempt),
            Effect::Merge,
            &json!({
                "pre_head": pre_head.to_string(),
                "tip": tip.map(|t| t.to_string()),
                "base": base.to_string(),
                "message": message,
            }),
        )?;
        fault::hit("after_merge_intent");
        let result = if commit.is_none() {
            // The worker changed nothing: the unit is deployed at the current HEAD.
            Ok(dgov_git::MergeOutcome {
                head: pre_head,
                fast_forward: true,
                commits: 0,
            })
        } else {
            self.git
                .merge_attempt(&plan, task, attempt, base, &mut |b| fault::hit(b))
        };
        match result {
            Err(e) => {
                let error = e.to_string();
                self.store
                    .finish_intent(intent, "failed", &json!({"error": error}))?;
                let acts = self.record(Event::MergeFinished {
                    task: task.into(),
                    attempt,
                    error: Some(error),
                })?;
                self.queue.extend(acts);
            }
            Ok(m) => {
                fault::hit("after_merge_git");
                let sha = m.head.to_string();
                self.append_deploy(task, &sha)?;
                fault::hit("after_deploy_log");
                self.store.finish_intent(
                    intent,
                    "ok",
                    &json!({"head": sha, "commits": m.commits}),
                )?;
                self.note(
                    Some(task),
                    "merged",
                    json!({"sha": sha, "fast_forward": m.fast_forward, "commits": m.commits}),
                )?;
                let acts = self.record(Event::MergeFinished {
                    task: task.into(),
                    attempt,
                    error: None,
                })?;
                fault::hit("after_merge_recorded");
                self.merged_now.push((task.to_string(), sha.clone()));
                self.deps.progress.event(ProgressEvent::Merged {
                    task: task.into(),
                    sha,
                });
                self.queue.extend(acts);
            }
        }
        Ok(())
    }

    pub(crate) fn append_deploy(&mut self, task: &str, sha: &str) -> Result<(), RunError> {
        let rec = DeployRecord {
            plan: self.plan.name.clone(),
            unit: task.into(),
            sha: sha.into(),
            ts: time::now_iso_seconds(),
        };
        append_deployed(&self.cfg.root, &rec)
            .map_err(|e| RunError::io("appending to the deploy log", e))
    }

    pub(crate) fn cleanup(&mut self, task: &str, attempt: u32) -> Result<(), RunError> {
        let key = (task.to_string(), attempt);
        if let Some(h) = self.settling.remove(&key) {
            h.abort();
        }
        self.attempts.remove(&key);
        if attempt == 0 {
            return Ok(());
        }
        let plan = self.plan.name.clone();
        let (path, _, _) = self.git.attempt_names(&plan, task, attempt);
        if !path.exists() && self.git.attempt_tip(&plan, task, attempt).is_none() {
            return Ok(());
        }
        let intent = self.store.begin_intent(
            &plan,
            Some(task),
            Some(attempt),
            Effect::Cleanup,
            &json!({"path": path}),
        )?;
        fault::hit("after_cleanup_intent");
        match self.git.remove_attempt(&plan, task, attempt) {
            Ok(_) => self.store.finish_intent(intent, "ok", &json!({}))?,
            Err(e) => {
                self.store
                    .finish_intent(intent, "failed", &json!({"error": e.to_string()}))?;
                self.deps.progress.event(ProgressEvent::Notice(format!(
                    "{task}: cleanup failed: {e}"
                )));
            }
        }
        fault::hit("after_cleanup");
        Ok(())
    }
}
