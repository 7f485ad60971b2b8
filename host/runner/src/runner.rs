//! The run loop: feeds the kernel, carries out its actions, records everything.
//!
//! One tokio task owns the kernel, the store and git; workers and settlement run as spawned
//! tasks and report back through one channel (`Msg`). Every kernel event is stored before it
//! is acted on, and every side effect records an intent before and an outcome after.
//! Merges run inline in the loop, so they are serial by construction.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dgov_git::{Oid, Repo};
use dgov_kernel::{Action, Event, Kernel, RunMode, Summary, TaskState, Verdict, WorkerOutcome};
use dgov_store::{Effect, RunLock, Store, TaskUpdate};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::deploy::read_deployed;
use crate::fault;
use crate::plan::{RunPlan, RunTask};
use crate::progress::{Progress, ProgressEvent};
use crate::retry::{PendingRetry, attempt_file};
use crate::settle::{SettleCtx, Settlement};
use crate::worker::{Attempt, Worker, WorkerReport};
use crate::{RunError, reconcile};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Project root (main worktree); the store lives in `<root>/.dgov/`.
    pub root: PathBuf,
    pub mode: RunMode,
    /// Cap on concurrent worker attempts (`None` = unbounded, as the original).
    pub max_parallel: Option<usize>,
    /// Archive the plan directory when every unit is deployed (off for `--only`).
    pub archive: bool,
}

/// Final status of a run (dgov-core §3.5, minus the post-run gates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Complete,
    Partial,
    Failed,
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Complete => "complete",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunReport {
    pub plan: String,
    pub run_id: i64,
    pub status: RunStatus,
    pub summary: Summary,
    /// `(task, error)` for every failed or timed-out task.
    pub errors: Vec<(String, String)>,
    /// `(task, sha)` merged by this run, in merge order.
    pub merged_now: Vec<(String, String)>,
    /// What start-up reconciliation found and did.
    pub reconciled: Vec<String>,
    pub anomalies: usize,
    pub archived_to: Option<PathBuf>,
    pub duration_s: f64,
}

/// The pluggable parts of a run.
#[derive(Clone)]
pub struct RunDeps {
    pub worker: Arc<dyn Worker>,
    pub settlement: Arc<dyn Settlement>,
    pub progress: Arc<dyn Progress>,
}

type Key = (String, u32);

enum Msg {
    WorkerDone {
        task: String,
        attempt: u32,
        report: Option<WorkerReport>,
        /// The attempt's commit, made in the worker's task so attempts commit in parallel.
        commit: Option<Result<Option<Oid>, String>>,
        elapsed: Duration,
    },
    Spawned {
        task: String,
        attempt: u32,
        pgid: u32,
    },
    Settled {
        task: String,
        attempt: u32,
        verdict: Verdict,
    },
}

pub(crate) struct AttemptInfo {
    pub(crate) worktree: PathBuf,
    pub(crate) base: Oid,
    pub(crate) commit: Option<Oid>,
    /// The target HEAD a passing verdict was validated on; the merge lands only there.
    pub(crate) validated: Option<Oid>,
}

pub(crate) struct Runner {
    pub(crate) cfg: RunConfig,
    pub(crate) plan: RunPlan,
    pub(crate) tasks: HashMap<String, Arc<RunTask>>,
    pub(crate) store: Store,
    pub(crate) git: Repo,
    pub(crate) kernel: Kernel,
    pub(crate) run_id: i64,
    pub(crate) deps: RunDeps,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    pub(crate) workers: HashMap<Key, JoinHandle<()>>,
    dispatch_intents: HashMap<Key, (i64, serde_json::Value)>,
    pub(crate) attempts: HashMap<Key, AttemptInfo>,
    pub(crate) settling: HashMap<Key, JoinHandle<()>>,
    /// Retries announced by the kernel and not yet dispatched, by (task, next attempt).
    pub(crate) retries: HashMap<Key, PendingRetry>,
    pub(crate) queue: VecDeque<Action>,
    done: Option<Summary>,
    pub(crate) reconciled: Vec<String>,
    pub(crate) merged_now: Vec<(String, String)>,
}

/// Run `plan` to completion (or interruption). `lock` proves this is the only run in the
/// repository; `shutdown` resolving (Ctrl-C, SIGTERM) stops dispatch, kills workers and
/// records their abandonment.
pub async fn run(
    plan: RunPlan,
    cfg: RunConfig,
    lock: RunLock,
    deps: RunDeps,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let store = Store::open(&cfg.root)?;
    let git = Repo::open(&cfg.root)?;
    if git.head()?.is_none() {
        return Err(RunError::Input(
            "the repository has no commits; create the bootstrap commit first (`dgov run` does this)".into(),
        ));
    }
    let mut kernel =
        Kernel::new(&plan.specs(), cfg.max_parallel).map_err(|e| RunError::Input(e.to_string()))?;
    // Rebuild the kernel by folding the plan's recorded events; their actions were already
    // carried out (or are covered by intents), so they are dropped.
    for e in store.kernel_events(&plan.name)? {
        kernel.handle(e);
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let mut runner = Runner {
        tasks: plan
            .tasks
            .iter()
            .map(|t| (t.id.clone(), Arc::new(t.clone())))
            .collect(),
        run_id: 0,
        cfg,
        plan,
        store,
        git,
        kernel,
        deps,
        tx,
        rx,
        workers: HashMap::new(),
        dispatch_intents: HashMap::new(),
        attempts: HashMap::new(),
        settling: HashMap::new(),
        retries: HashMap::new(),
        queue: VecDeque::new(),
        done: None,
        reconciled: Vec::new(),
        merged_now: Vec::new(),
    };
    runner.run_id =
        runner
            .store
            .begin_run(&runner.plan.name, runner.cfg.mode, std::process::id())?;
    reconcile::reconcile(&mut runner)?;

    let deployed = if runner.cfg.mode == RunMode::Restart {
        Vec::new()
    } else {
        let records = read_deployed(&runner.cfg.root, &runner.plan.name)
            .map_err(|e| RunError::io("reading the deploy log", e))?;
        let mut units: Vec<String> = records
            .into_iter()
            .map(|r| r.unit)
            .filter(|u| runner.tasks.contains_key(u))
            .collect();
        units.sort();
        units.dedup();
        units
    };
    let acts = runner.record(Event::RunStarted {
        mode: runner.cfg.mode,
        deployed,
    })?;
    fault::hit("after_run_started");
    runner.queue.extend(acts);
    let result = runner.drive(Box::pin(shutdown)).await;
    // Whatever happened, no worker may outlive the run.
    for (_, h) in runner.workers.drain() {
        h.abort();
        let _ = h.await;
    }
    for (_, h) in runner.settling.drain() {
        h.abort();
    }
    result?;
    let report = runner.finish(started)?;
    drop(lock);
    Ok(report)
}

impl Runner {
    pub(crate) fn note(
        &mut self,
        task: Option<&str>,
        kind: &str,
        data: serde_json::Value,
    ) -> Result<(), RunError> {
        self.store
            .append_note(&self.plan.name, Some(self.run_id), task, kind, &data)?;
        Ok(())
    }

    /// Store a kernel event (with the view changes it causes), then return its actions.
    pub(crate) fn record(&mut self, event: Event) -> Result<Vec<Action>, RunError> {
        let before: Vec<(TaskState, u32)> = self
            .kernel
            .tasks()
            .map(|(_, s)| (s.state, s.attempt))
            .collect();
        let start = matches!(event, Event::RunStarted { .. });
        let actions = self.kernel.handle(event.clone());
        let mut updates = Vec::new();
        let mut changed = Vec::new();
        for (i, (id, s)) in self.kernel.tasks().enumerate() {
            let moved = before[i] != (s.state, s.attempt);
            if start || moved {
                updates.push(TaskUpdate {
                    task: id.to_string(),
                    state: s.state,
                    attempt: s.attempt,
                    error: s.last_error.clone(),
                });
            }
            if moved {
                changed.push(ProgressEvent::Task {
                    task: id.to_string(),
                    state: s.state,
                    attempt: s.attempt,
                    detail: s.last_error.clone().filter(|_| s.state.is_unsuccessful()),
                });
            }
        }
        self.store
            .append_kernel(&self.plan.name, self.run_id, &event, &updates, start)?;
        for c in changed {
            self.deps.progress.event(c);
        }
        Ok(actions)
    }

    async fn drive(
        &mut self,
        mut shutdown: Pin<Box<dyn Future<Output = ()> + Send + '_>>,
    ) -> Result<(), RunError> {
        let mut shutdown_seen = false;
        loop {
            while let Some(action) = self.queue.pop_front() {
                self.apply(action).await?;
            }
            if self.done.is_some() {
                return Ok(());
            }
            let idle = self.workers.is_empty() && self.settling.is_empty();
            if self.kernel.is_stopping() && idle && self.kernel.is_quiescent() {
                return Ok(());
            }
            if idle && !self.kernel.is_stopping() {
                // Nothing can make progress: report instead of waiting forever.
                return Err(RunError::Stuck(
                    self.kernel
                        .tasks()
                        .map(|(id, s)| format!("{id}={}", s.state))
                        .collect::<Vec<_>>()
                        .join(", "),
                ));
            }
            tokio::select! {
                msg = self.rx.recv() => {
                    if let Some(msg) = msg {
                        self.on_msg(msg)?;
                    }
                }
                _ = &mut shutdown, if !shutdown_seen => {
                    shutdown_seen = true;
                    self.deps.progress.event(ProgressEvent::Notice("interrupted: stopping dispatch and killing workers".into()));
                    self.note(None, "shutdown_requested", json!({"reason": "signal"}))?;
                    let acts = self.record(Event::ShutdownRequested)?;
                    self.queue.extend(acts);
                }
            }
        }
    }

    async fn apply(&mut self, action: Action) -> Result<(), RunError> {
        match action {
            Action::Dispatch { task, attempt } => self.dispatch(&task, attempt)?,
            Action::Settle { task, attempt } => self.settle(&task, attempt),
            Action::Merge { task, attempt } => self.merge(&task, attempt)?,
            Action::Cancel { task, attempt } => {
                let key = (task.clone(), attempt);
                if let Some(h) = self.workers.remove(&key) {
                    h.abort();
                    let _ = h.await;
                }
                if let Some((id, _)) = self.dispatch_intents.remove(&key) {
                    self.store
                        .finish_intent(id, "cancelled", &json!({"reason": "shutdown"}))?;
                }
                self.note(
                    Some(&task),
                    "task_abandoned",
                    json!({"attempt": attempt, "reason": "shutdown"}),
                )?;
            }
            Action::Cleanup { task, attempt } => self.cleanup(&task, attempt)?,
            Action::Retry {
                task,
                next_attempt,
                reason,
                in_place,
                fork,
            } => self.on_retry(task, next_attempt, reason, in_place, fork)?,
            Action::Skip { task, because } => {
                self.note(Some(&task), "skipped", json!({"because": because}))?;
            }
            Action::Anomaly(a) => {
                self.note(
                    a.task.as_deref(),
                    "anomaly",
                    json!({"event": a.event, "detail": a.detail}),
                )?;
            }
            Action::Done(summary) => self.done = Some(summary),
        }
        Ok(())
    }

    /// The commit an attempt starts from: HEAD for a task without dependencies, else the
    /// newest deploy record among its transitive upstream units (the deploy log is appended
    /// in merge order, so "newest" is the last line: deterministic, unlike a timestamp tie).
    fn base_for(&self, task: &RunTask) -> Result<Oid, String> {
        if task.depends_on.is_empty() {
            return self
                .git
                .head()
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "no HEAD commit".to_string());
        }
        let mut upstream: Vec<String> = task.depends_on.clone();
        let mut i = 0;
        while i < upstream.len() {
            if let Some(t) = self.tasks.get(&upstream[i]) {
                for d in &t.depends_on {
                    if !upstream.contains(d) {
                        upstream.push(d.clone());
                    }
                }
            }
            i += 1;
        }
        let records = read_deployed(&self.cfg.root, &self.plan.name)
            .map_err(|e| format!("reading the deploy log: {e}"))?;
        let missing: Vec<&String> = upstream
            .iter()
            .filter(|u| !records.iter().any(|r| &r.unit == *u))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "cannot create a worktree for '{}': upstream deploy records are missing for: {}",
                task.id,
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let rec = records
            .iter()
            .rev()
            .find(|r| upstream.contains(&r.unit))
            .ok_or("no upstream record")?;
        Oid::from_str(&rec.sha)
            .map_err(|e| format!("deploy log sha '{}' for {}: {e}", rec.sha, rec.unit))
    }

    fn dispatch(&mut self, task: &str, attempt: u32) -> Result<(), RunError> {
        let Some(t) = self.tasks.get(task).cloned() else {
            return Ok(());
        };
        let plan = self.plan.name.clone();
        let key = (task.to_string(), attempt);
        let carry = self.retries.get(&key).and_then(|r| r.carry);
        // An in-place retry starts where the rejected attempt started.
        let base = match carry.map_or_else(|| self.base_for(&t), |(b, _)| Ok(b)) {
            Ok(b) => b,
            Err(error) => {
                let acts = self.record(Event::DispatchFailed {
                    task: task.into(),
                    attempt,
                    error,
                })?;
                self.queue.extend(acts);
                return Ok(());
            }
        };
        let intent = self.store.begin_intent(
            &plan,
            Some(task),
            Some(attempt),
            Effect::CreateWorktree,
            &json!({"base": base.to_string(), "carries": carry.map(|(_, c)| c.to_string())}),
        )?;
        fault::hit("after_worktree_intent");
        let mut created = self.git.create_attempt(&plan, task, attempt, base);
        if let (Ok(wt), Some((_, c))) = (&created, carry)
            && let Err(e) = dgov_git::carry_work(&wt.path, c)
        {
            // The rejected work cannot be carried (its commit is gone, a checkout failed):
            // the retry starts over from the same base instead, and is told so.
            self.deps.progress.event(ProgressEvent::Notice(format!(
                "{task}: could not carry attempt {}'s work into the retry ({e}); starting over",
                attempt - 1
            )));
            self.note(
                Some(task),
                "carry_failed",
                json!({"attempt": attempt, "error": e.to_string()}),
            )?;
            if let Some(r) = self.retries.get_mut(&key) {
                r.context.in_place = false;
                r.carry = None;
            }
            created = self.git.create_attempt(&plan, task, attempt, base);
        }
        let wt = match created {
            Ok(wt) => wt,
            Err(e) => {
                let error = e.to_string();
                self.store
                    .finish_intent(intent, "failed", &json!({"error": error}))?;
                let acts = self.record(Event::DispatchFailed {
                    task: task.into(),
                    attempt,
                    error,
                })?;
                self.queue.extend(acts);
                return Ok(());
            }
        };
        self.store
            .finish_intent(intent, "ok", &json!({"path": wt.path, "branch": wt.branch}))?;
        fault::hit("after_worktree_created");
        let data = json!({"worktree": wt.path, "pgid": null});
        let dintent =
            self.store
                .begin_intent(&plan, Some(task), Some(attempt), Effect::Dispatch, &data)?;
        self.dispatch_intents.insert(key.clone(), (dintent, data));
        self.attempts.insert(
            key.clone(),
            AttemptInfo {
                worktree: wt.path.clone(),
                base,
                commit: None,
                validated: None,
            },
        );
        let acts = self.record(Event::Dispatched {
            task: task.into(),
            attempt,
        })?;
        fault::hit("after_dispatched");
        if self.kernel.state(task) == Some(TaskState::Active) {
            self.spawn_worker(t, attempt, wt.path);
        }
        self.queue.extend(acts);
        Ok(())
    }

    fn spawn_worker(&mut self, task: Arc<RunTask>, attempt: u32, worktree: PathBuf) {
        let tx = self.tx.clone();
        let spawn_tx = self.tx.clone();
        let id = task.id.clone();
        let spawn_id = id.clone();
        let log_path = attempt_file(&self.cfg.root, &self.plan.name, &id, attempt, ".log");
        let retry = self
            .retries
            .remove(&(id.clone(), attempt))
            .map(|r| r.context);
        let worktree_for_commit = worktree.clone();
        let att = Attempt {
            plan: self.plan.name.clone(),
            task: task.clone(),
            attempt,
            worktree,
            root: self.cfg.root.clone(),
            log_path,
            on_spawn: Arc::new(move |pgid| {
                let _ = spawn_tx.send(Msg::Spawned {
                    task: spawn_id.clone(),
                    attempt,
                    pgid,
                });
            }),
            retry,
        };
        let worker = self.deps.worker.clone();
        let timeout = task.timeout;
        let message = task.message();
        let handle = tokio::spawn(async move {
            let started = Instant::now();
            let fut = worker.run(att);
            let report = match timeout {
                Some(limit) => tokio::time::timeout(limit, fut).await.ok(),
                None => Some(fut.await),
            };
            let commit = match &report {
                Some(WorkerReport::Done { .. }) => Some(
                    tokio::task::spawn_blocking(move || {
                        dgov_git::commit_worktree(&worktree_for_commit, &message)
                            .map_err(|e| e.to_string())
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("commit task failed: {e}"))),
                ),
                _ => None,
            };
            let _ = tx.send(Msg::WorkerDone {
                task: id,
                attempt,
                report,
                commit,
                elapsed: started.elapsed(),
            });
        });
        self.workers.insert((task.id.clone(), attempt), handle);
    }

    fn on_msg(&mut self, msg: Msg) -> Result<(), RunError> {
        match msg {
            Msg::Spawned {
                task,
                attempt,
                pgid,
            } => {
                if let Some((id, data)) = self.dispatch_intents.get_mut(&(task, attempt)) {
                    data["pgid"] = json!(pgid);
                    let (id, data) = (*id, data.clone());
                    self.store.annotate_intent(id, &data)?;
                }
            }
            Msg::WorkerDone {
                task,
                attempt,
                report,
                commit,
                elapsed,
            } => {
                let key = (task.clone(), attempt);
                if self.workers.remove(&key).is_none() {
                    return Ok(()); // cancelled meanwhile
                }
                let t = self.tasks[&task].clone();
                let outcome = match report {
                    None => WorkerOutcome::TimedOut {
                        error: format!(
                            "timed out after {}s (wall clock); the attempt's process group was killed",
                            t.timeout.map_or(0, |d| d.as_secs())
                        ),
                    },
                    Some(WorkerReport::Failed { error, retryable }) => {
                        WorkerOutcome::Failed { error, retryable }
                    }
                    Some(WorkerReport::Exhausted { error }) => WorkerOutcome::Exhausted { error },
                    Some(WorkerReport::Done { .. }) => match commit {
                        Some(Ok(c)) if self.attempts.contains_key(&key) => {
                            if let Some(i) = self.attempts.get_mut(&key) {
                                i.commit = c;
                            }
                            WorkerOutcome::Succeeded
                        }
                        Some(Err(e)) => WorkerOutcome::Failed {
                            error: format!("committing the attempt's changes: {e}"),
                            retryable: false,
                        },
                        _ => WorkerOutcome::Failed {
                            error: "attempt worktree unknown".into(),
                            retryable: false,
                        },
                    },
                };
                if let Some((id, _)) = self.dispatch_intents.remove(&key) {
                    self.store.finish_intent(
                        id,
                        "ok",
                        &json!({"outcome": outcome, "duration_s": round2(elapsed.as_secs_f64())}),
                    )?;
                }
                fault::hit("after_worker_finished");
                let acts = self.record(Event::WorkerFinished {
                    task,
                    attempt,
                    outcome,
                })?;
                self.queue.extend(acts);
            }
            Msg::Settled {
                task,
                attempt,
                verdict,
            } => {
                if self.settling.remove(&(task.clone(), attempt)).is_none() {
                    return Ok(());
                }
                if let Some(info) = self.attempts.get_mut(&(task.clone(), attempt)) {
                    info.validated = verdict
                        .target
                        .as_deref()
                        .and_then(|t| Oid::from_str(t).ok());
                }
                let acts = self.record(Event::Settled {
                    task,
                    attempt,
                    verdict,
                })?;
                fault::hit("after_settled");
                self.queue.extend(acts);
            }
        }
        Ok(())
    }

    fn settle(&mut self, task: &str, attempt: u32) {
        let key = (task.to_string(), attempt);
        let Some(info) = self.attempts.get(&key) else {
            // Nothing to judge (cannot happen for an attempt this run dispatched).
            let _ = self.tx.send(Msg::Settled {
                task: task.into(),
                attempt,
                verdict: Verdict::reject("worktree_missing", false),
            });
            self.settling.insert(key, tokio::spawn(async {}));
            return;
        };
        let ctx = SettleCtx {
            plan: self.plan.name.clone(),
            task: self.tasks[task].clone(),
            attempt,
            worktree: info.worktree.clone(),
            root: self.cfg.root.clone(),
            base: info.base.to_string(),
            // The branch tip: settlement may have added a commit (autofix) on a first pass
            // that a re-settlement (after a stale verdict) must judge too.
            commit: info
                .commit
                .map(|c| {
                    self.git
                        .attempt_tip(&self.plan.name, task, attempt)
                        .unwrap_or(c)
                })
                .map(|c| c.to_string()),
        };
        let fut = self.deps.settlement.settle(ctx);
        let tx = self.tx.clone();
        let task = task.to_string();
        let handle = tokio::spawn(async move {
            let verdict = fut.await;
            let _ = tx.send(Msg::Settled {
                task,
                attempt,
                verdict,
            });
        });
        self.settling.insert(key, handle);
    }

    fn finish(mut self, started: Instant) -> Result<RunReport, RunError> {
        let summary = self.done.clone().unwrap_or_else(|| self.kernel.summary());
        let status = if self.kernel.is_stopping() {
            RunStatus::Interrupted
        } else if summary.failed.is_empty()
            && summary.abandoned.is_empty()
            && summary.timed_out.is_empty()
        {
            RunStatus::Complete
        } else if !summary.merged.is_empty() {
            RunStatus::Partial
        } else {
            RunStatus::Failed
        };
        let errors: Vec<(String, String)> = self
            .kernel
            .tasks()
            .filter(|(_, s)| {
                matches!(
                    s.state,
                    TaskState::Failed | TaskState::TimedOut | TaskState::Abandoned
                )
            })
            .map(|(id, s)| (id.to_string(), s.last_error.clone().unwrap_or_default()))
            .collect();
        // Belt and braces: no worktree or branch of this plan outlives the run.
        let swept = self.git.sweep_plan(&self.plan.name)?;
        if swept > 0 {
            self.note(None, "swept", json!({"removed": swept}))?;
        }
        let mut archived_to = None;
        if status == RunStatus::Complete && self.cfg.archive {
            archived_to = crate::archive::archive_if_deployed(&mut self)?;
        }
        let duration_s = round2(started.elapsed().as_secs_f64());
        self.note(
            None,
            "run_completed",
            json!({"run_status": status.as_str(), "duration_s": duration_s, "summary": summary}),
        )?;
        self.store.end_run(self.run_id, status.as_str())?;
        let report = RunReport {
            plan: self.plan.name.clone(),
            run_id: self.run_id,
            status,
            summary,
            errors,
            merged_now: self.merged_now,
            reconciled: self.reconciled,
            anomalies: self.kernel.anomalies().len(),
            archived_to,
            duration_s,
        };
        crate::runslog::append(&self.cfg.root, &report);
        Ok(report)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(crate) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}
