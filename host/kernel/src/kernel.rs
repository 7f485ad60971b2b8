//! The transition function. `Kernel::handle` takes one event and returns the actions it causes;
//! it never fails and never performs I/O.
//!
//! Transition table (state of the named task → new state, actions):
//!
//! | event | guard | new state | actions |
//! |---|---|---|---|
//! | `RunStarted{Fresh}` | in flight (active … merging) | abandoned, cascade | cleanup |
//! | `RunStarted{Continue}` | as Fresh, then failed/abandoned/timed_out/skipped | pending, new budget | cleanup, dispatch |
//! | `RunStarted{Restart}` | any | pending, new budget | cleanup for in-flight, dispatch |
//! | `RunStarted{deployed}` | listed tasks | merged | — |
//! | `Dispatched(n)` | pending, requested attempt n | active | — (cancel+cleanup if stopping) |
//! | `DispatchFailed(n)` | pending, requested attempt n | failed, cascade | cleanup |
//! | `WorkerFinished(n, ok)` | active attempt n | reviewing | settle |
//! | `WorkerFinished(n, exhausted)` | active attempt n, forks left, not stopping | pending, budget untouched | retry (in place, fork), cleanup, dispatch |
//! | `WorkerFinished(n, exhausted)` | active attempt n, otherwise | like a retryable failure | cleanup … |
//! | `WorkerFinished(n, err)` | active attempt n, budget left, retryable | pending | cleanup, retry, dispatch |
//! | `WorkerFinished(n, err)` | active attempt n, otherwise | failed / timed_out, cascade | cleanup |
//! | `Settled(pass)` | reviewing attempt n | reviewed_pass | merge (if the slot is free) |
//! | `Settled(reject, in_place)` | reviewing attempt n, retryable, in-place retry unused | pending, budget untouched | retry (in place), cleanup, dispatch |
//! | `Settled(reject)` | reviewing attempt n, otherwise | like a failed worker (retry if retryable) | cleanup … |
//! | `Stale` | merging attempt n | reviewing | settle, next merge |
//! | `MergeFinished(ok)` | merging attempt n | merged | cleanup, next merge, dispatch |
//! | `MergeFinished(err)` | merging attempt n | failed, cascade | cleanup, next merge |
//! | `Decided(retry)` | pending or unsuccessful | pending, new budget | dispatch |
//! | `Decided(fail/skip)` | pending or unsuccessful | failed / skipped, cascade | — |
//! | `ShutdownRequested` | active | abandoned | cancel, cleanup |
//! | `ShutdownRequested` | reviewing, reviewed_pass | abandoned | cleanup |
//! | anything else | | unchanged | anomaly |
//!
//! After every event, if all tasks are terminal and no `Done` was emitted in this window, `Done`
//! follows. Merges are serial: a new `Merge` is emitted only when no task is merging, for the
//! earliest reviewed task in topological order. Because a task is dispatched only after all its
//! dependencies merged, every merge sequence is a topological order; unlike the original, an
//! unrelated slow task earlier in the order does not hold back later merges.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::topo::{BuildError, merge_order};
use crate::types::*;

/// Static description of a task, as the kernel needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSpec {
    pub id: TaskId,
    pub depends_on: Vec<TaskId>,
    /// How many extra attempts a retryable failure may get in one run window.
    pub max_retries: u32,
    /// How many forks an attempt that ran out of iterations may get in one run window (the
    /// plan's `max_fork_depth`; 0 disables forks). A fork continues the unfinished work in
    /// place and does not count against `max_retries`.
    #[serde(default = "default_max_forks")]
    pub max_forks: u32,
}

/// `max_fork_depth`'s default, also for specs recorded before forks existed.
fn default_max_forks() -> u32 {
    1
}

/// Run-time view of one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStatus {
    pub state: TaskState,
    /// The newest attempt number handed out (0 = never dispatched). Attempt numbers keep
    /// growing across run windows, so every attempt has its own worktree and branch.
    pub attempt: u32,
    /// Attempt number at the start of the current budget window.
    pub budget_base: u32,
    /// A `Dispatch` for `attempt` is outstanding (the task is still pending).
    pub requested: bool,
    /// Last failure text, kept for reports.
    pub last_error: Option<String>,
    /// The in-place settlement retry of this budget window was used.
    #[serde(default)]
    pub in_place_used: bool,
    /// Forks (after iteration exhaustion) used in this budget window.
    #[serde(default)]
    pub forks_used: u32,
}

/// The deterministic core of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernel {
    ids: Vec<TaskId>,
    index: BTreeMap<TaskId, usize>,
    deps: Vec<Vec<usize>>,
    dependents: Vec<Vec<usize>>,
    max_retries: Vec<u32>,
    max_forks: Vec<u32>,
    order: Vec<usize>,
    status: Vec<TaskStatus>,
    max_parallel: Option<usize>,
    stopping: bool,
    done_emitted: bool,
    anomalies: Vec<Anomaly>,
}

impl Kernel {
    /// Build a kernel for `tasks`. `max_parallel = None` means no cap on concurrent workers.
    pub fn new(tasks: &[TaskSpec], max_parallel: Option<usize>) -> Result<Kernel, BuildError> {
        let mut index = BTreeMap::new();
        for (i, t) in tasks.iter().enumerate() {
            if index.insert(t.id.clone(), i).is_some() {
                return Err(BuildError::Duplicate(t.id.clone()));
            }
        }
        let mut deps = Vec::with_capacity(tasks.len());
        let mut dependents = vec![Vec::new(); tasks.len()];
        for (i, t) in tasks.iter().enumerate() {
            let mut ds = Vec::new();
            for d in &t.depends_on {
                let Some(&j) = index.get(d) else {
                    return Err(BuildError::UnknownDependency {
                        task: t.id.clone(),
                        dependency: d.clone(),
                    });
                };
                if !ds.contains(&j) {
                    ds.push(j);
                    dependents[j].push(i);
                }
            }
            deps.push(ds);
        }
        let ids: Vec<TaskId> = tasks.iter().map(|t| t.id.clone()).collect();
        let order = merge_order(&ids, &deps)?;
        let status = tasks
            .iter()
            .map(|_| TaskStatus {
                state: TaskState::Pending,
                attempt: 0,
                budget_base: 0,
                requested: false,
                last_error: None,
                in_place_used: false,
                forks_used: 0,
            })
            .collect();
        Ok(Kernel {
            ids,
            index,
            deps,
            dependents,
            max_retries: tasks.iter().map(|t| t.max_retries).collect(),
            max_forks: tasks.iter().map(|t| t.max_forks).collect(),
            order,
            status,
            max_parallel: max_parallel.map(|n| n.max(1)),
            stopping: false,
            done_emitted: false,
            anomalies: Vec::new(),
        })
    }

    /// Task ids in topological (merge) order.
    pub fn merge_order(&self) -> Vec<&str> {
        self.order.iter().map(|&i| self.ids[i].as_str()).collect()
    }

    pub fn task_ids(&self) -> &[TaskId] {
        &self.ids
    }

    pub fn status(&self, task: &str) -> Option<&TaskStatus> {
        self.index.get(task).map(|&i| &self.status[i])
    }

    pub fn state(&self, task: &str) -> Option<TaskState> {
        self.status(task).map(|s| s.state)
    }

    /// `(id, status)` for every task, in declaration order.
    pub fn tasks(&self) -> impl Iterator<Item = (&str, &TaskStatus)> {
        self.ids.iter().map(String::as_str).zip(self.status.iter())
    }

    pub fn dependencies(&self, task: &str) -> Vec<&str> {
        self.index.get(task).map_or_else(Vec::new, |&i| {
            self.deps[i].iter().map(|&j| self.ids[j].as_str()).collect()
        })
    }

    /// Every event that did not fit, in order.
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping
    }

    /// Every task is terminal (an empty DAG is done).
    pub fn is_done(&self) -> bool {
        self.status.iter().all(|s| s.state.is_terminal())
    }

    /// Nothing is in flight and nothing is requested: a stopping run may exit.
    pub fn is_quiescent(&self) -> bool {
        self.status
            .iter()
            .all(|s| !s.state.is_in_flight() && !s.requested)
    }

    pub fn dag_state(&self) -> DagState {
        if self
            .status
            .iter()
            .all(|s| s.state == TaskState::Pending && !s.requested)
        {
            return DagState::Idle;
        }
        if !self.is_done() {
            return DagState::Running;
        }
        let bad = self.status.iter().any(|s| {
            matches!(
                s.state,
                TaskState::Failed | TaskState::Abandoned | TaskState::TimedOut
            )
        });
        let merged = self.status.iter().any(|s| s.state == TaskState::Merged);
        match (bad, merged) {
            (false, _) => DagState::Completed,
            (true, true) => DagState::Partial,
            (true, false) => DagState::Failed,
        }
    }

    pub fn summary(&self) -> Summary {
        let pick = |want: TaskState| -> Vec<TaskId> {
            self.tasks()
                .filter(|(_, s)| s.state == want)
                .map(|(id, _)| id.to_string())
                .collect()
        };
        Summary {
            status: self.dag_state(),
            merged: pick(TaskState::Merged),
            failed: pick(TaskState::Failed),
            timed_out: pick(TaskState::TimedOut),
            abandoned: pick(TaskState::Abandoned),
            skipped: pick(TaskState::Skipped),
        }
    }

    /// Apply one event. Never fails: events that do not fit become [`Action::Anomaly`] and are
    /// kept in [`Kernel::anomalies`].
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match &event {
            Event::RunStarted { mode, deployed } => self.run_started(*mode, deployed, &mut out),
            Event::ShutdownRequested => self.shutdown(&mut out),
            _ => {
                let task = event.task().unwrap_or_default();
                match self.index.get(task).copied() {
                    None => self.anomaly(&event, "unknown task", &mut out),
                    Some(i) => self.task_event(i, &event, &mut out),
                }
            }
        }
        if self.is_done() && !self.done_emitted {
            self.done_emitted = true;
            out.push(Action::Done(self.summary()));
        }
        out
    }

    fn task_event(&mut self, i: usize, event: &Event, out: &mut Vec<Action>) {
        let st = self.status[i].clone();
        match event {
            Event::Dispatched { attempt, .. } => {
                if !(st.state == TaskState::Pending && st.requested && *attempt == st.attempt) {
                    return self.mismatch(i, event, out);
                }
                self.status[i].requested = false;
                if self.stopping {
                    self.status[i].state = TaskState::Abandoned;
                    self.status[i].last_error = Some("shutdown".into());
                    out.push(Action::Cancel {
                        task: self.ids[i].clone(),
                        attempt: *attempt,
                    });
                    out.push(Action::Cleanup {
                        task: self.ids[i].clone(),
                        attempt: *attempt,
                    });
                    self.cascade(i, out);
                } else {
                    self.status[i].state = TaskState::Active;
                }
            }
            Event::DispatchFailed { attempt, error, .. } => {
                if !(st.state == TaskState::Pending && st.requested && *attempt == st.attempt) {
                    return self.mismatch(i, event, out);
                }
                self.status[i].requested = false;
                self.fail_attempt(i, *attempt, error, false, TaskState::Failed, out);
            }
            Event::WorkerFinished {
                attempt, outcome, ..
            } => {
                if !(st.state == TaskState::Active && *attempt == st.attempt) {
                    return self.mismatch(i, event, out);
                }
                match outcome {
                    WorkerOutcome::Succeeded => {
                        self.status[i].state = TaskState::Reviewing;
                        out.push(Action::Settle {
                            task: self.ids[i].clone(),
                            attempt: *attempt,
                        });
                    }
                    WorkerOutcome::Failed { error, retryable } => {
                        self.fail_attempt(i, *attempt, error, *retryable, TaskState::Failed, out)
                    }
                    WorkerOutcome::TimedOut { error } => {
                        self.fail_attempt(i, *attempt, error, true, TaskState::TimedOut, out)
                    }
                    WorkerOutcome::Exhausted { error } => {
                        if st.forks_used < self.max_forks[i] && !self.stopping {
                            self.status[i].forks_used += 1;
                            self.retry_in_place(i, *attempt, error, true, out);
                        } else {
                            self.fail_attempt(i, *attempt, error, true, TaskState::Failed, out)
                        }
                    }
                }
            }
            Event::Settled {
                attempt, verdict, ..
            } => {
                if !(st.state == TaskState::Reviewing && *attempt == st.attempt) {
                    return self.mismatch(i, event, out);
                }
                if verdict.passed {
                    self.status[i].state = TaskState::ReviewedPass;
                    self.try_merge(out);
                } else if verdict.retryable
                    && verdict.in_place
                    && !st.in_place_used
                    && !self.stopping
                {
                    let error = format!("settlement rejected: {}", verdict.reason);
                    self.status[i].in_place_used = true;
                    self.retry_in_place(i, *attempt, &error, false, out);
                } else {
                    let error = format!("settlement rejected: {}", verdict.reason);
                    self.fail_attempt(
                        i,
                        *attempt,
                        &error,
                        verdict.retryable,
                        TaskState::Failed,
                        out,
                    );
                }
            }
            Event::MergeFinished { attempt, error, .. } => {
                if !(st.state == TaskState::Merging && *attempt == st.attempt) {
                    return self.mismatch(i, event, out);
                }
                out.push(Action::Cleanup {
                    task: self.ids[i].clone(),
                    attempt: *attempt,
                });
                match error {
                    None => self.status[i].state = TaskState::Merged,
                    Some(e) => {
                        self.status[i].state = TaskState::Failed;
                        self.status[i].last_error = Some(format!("merge failed: {e}"));
                        self.cascade(i, out);
                    }
                }
                self.try_merge(out);
                self.schedule(out);
            }
            Event::Stale { attempt, .. } => {
                if !(st.state == TaskState::Merging && *attempt == st.attempt) {
                    return self.mismatch(i, event, out);
                }
                self.status[i].state = TaskState::Reviewing;
                out.push(Action::Settle {
                    task: self.ids[i].clone(),
                    attempt: *attempt,
                });
                self.try_merge(out);
            }
            Event::Decided { decision, .. } => {
                let allowed =
                    st.state.is_unsuccessful() || (st.state == TaskState::Pending && !st.requested);
                if !allowed {
                    return self.mismatch(i, event, out);
                }
                match decision {
                    Decision::Retry => {
                        self.status[i].state = TaskState::Pending;
                        self.status[i].budget_base = st.attempt;
                        self.status[i].in_place_used = false;
                        self.status[i].forks_used = 0;
                        self.schedule(out);
                    }
                    Decision::Fail | Decision::Skip => {
                        self.status[i].state = if *decision == Decision::Fail {
                            TaskState::Failed
                        } else {
                            TaskState::Skipped
                        };
                        self.cascade(i, out);
                        self.try_merge(out);
                        self.schedule(out);
                    }
                }
            }
            Event::RunStarted { .. } | Event::ShutdownRequested => {}
        }
    }

    /// The next attempt continues this attempt's work where it stands: after a settlement
    /// rejection a retry can fix (once per window), or as a `fork` after the worker ran out
    /// of iterations (`max_forks` per window; the caller counts both). This retry is outside
    /// the task's budget (the budget window moves by one). `Retry` precedes `Cleanup` so the
    /// runner can still reach the attempt's commit or worktree.
    fn retry_in_place(
        &mut self,
        i: usize,
        attempt: u32,
        error: &str,
        fork: bool,
        out: &mut Vec<Action>,
    ) {
        let id = self.ids[i].clone();
        let s = &mut self.status[i];
        s.last_error = Some(error.to_string());
        s.budget_base += 1;
        s.state = TaskState::Pending;
        out.push(Action::Retry {
            task: id.clone(),
            next_attempt: attempt + 1,
            reason: error.to_string(),
            in_place: true,
            fork,
        });
        out.push(Action::Cleanup { task: id, attempt });
        self.try_merge(out);
        self.schedule(out);
    }

    /// An attempt ended without success: retry within budget, else settle on `terminal`.
    fn fail_attempt(
        &mut self,
        i: usize,
        attempt: u32,
        error: &str,
        retryable: bool,
        terminal: TaskState,
        out: &mut Vec<Action>,
    ) {
        let id = self.ids[i].clone();
        out.push(Action::Cleanup {
            task: id.clone(),
            attempt,
        });
        self.status[i].last_error = Some(error.to_string());
        let used = attempt.saturating_sub(self.status[i].budget_base);
        if retryable && !self.stopping && used <= self.max_retries[i] {
            self.status[i].state = TaskState::Pending;
            out.push(Action::Retry {
                task: id,
                next_attempt: attempt + 1,
                reason: error.to_string(),
                in_place: false,
                fork: false,
            });
        } else {
            self.status[i].state = if self.stopping {
                TaskState::Abandoned
            } else {
                terminal
            };
            self.cascade(i, out);
        }
        self.try_merge(out);
        self.schedule(out);
    }

    fn run_started(&mut self, mode: RunMode, deployed: &[TaskId], out: &mut Vec<Action>) {
        self.stopping = false;
        self.done_emitted = false;
        // Work a crashed run left in flight is never waited on: it is abandoned (and its
        // worktree cleaned up). The original only did this for `active`, so a crash during
        // review or merge hung the next run forever.
        for i in 0..self.ids.len() {
            let s = &mut self.status[i];
            s.requested = false;
            if s.state.is_in_flight() {
                s.state = TaskState::Abandoned;
                s.last_error = Some("left in flight by an interrupted run".into());
                out.push(Action::Cleanup {
                    task: self.ids[i].clone(),
                    attempt: s.attempt,
                });
            }
        }
        for i in 0..self.ids.len() {
            let s = &mut self.status[i];
            let reset = match mode {
                RunMode::Restart => true,
                RunMode::Continue => s.state.is_unsuccessful(),
                RunMode::Fresh => false,
            };
            if reset {
                s.state = TaskState::Pending;
                s.budget_base = s.attempt;
                s.in_place_used = false;
                s.forks_used = 0;
                s.last_error = None;
            }
        }
        for t in deployed {
            if let Some(&i) = self.index.get(t) {
                self.status[i].state = TaskState::Merged;
            }
        }
        // Pending tasks behind anything that did not land are skipped right away.
        for i in 0..self.ids.len() {
            if self.status[i].state.is_unsuccessful() {
                self.cascade(i, out);
            }
        }
        self.schedule(out);
    }

    fn shutdown(&mut self, out: &mut Vec<Action>) {
        self.stopping = true;
        for i in 0..self.ids.len() {
            let s = &mut self.status[i];
            let attempt = s.attempt;
            match s.state {
                TaskState::Active => {
                    s.state = TaskState::Abandoned;
                    s.last_error = Some("shutdown".into());
                    out.push(Action::Cancel {
                        task: self.ids[i].clone(),
                        attempt,
                    });
                    out.push(Action::Cleanup {
                        task: self.ids[i].clone(),
                        attempt,
                    });
                }
                TaskState::Reviewing | TaskState::ReviewedPass => {
                    s.state = TaskState::Abandoned;
                    s.last_error = Some("shutdown".into());
                    out.push(Action::Cleanup {
                        task: self.ids[i].clone(),
                        attempt,
                    });
                }
                // A merge in progress finishes: git is left consistent and the outcome recorded.
                _ => {}
            }
        }
        for i in 0..self.ids.len() {
            if self.status[i].state == TaskState::Abandoned {
                self.cascade(i, out);
            }
        }
    }

    /// Skip every pending, not-yet-requested task that (transitively) depends on `failed`.
    fn cascade(&mut self, failed: usize, out: &mut Vec<Action>) {
        let mut stack = vec![failed];
        while let Some(j) = stack.pop() {
            for &k in &self.dependents[j] {
                let s = &mut self.status[k];
                if s.state == TaskState::Pending && !s.requested {
                    s.state = TaskState::Skipped;
                    out.push(Action::Skip {
                        task: self.ids[k].clone(),
                        because: self.ids[failed].clone(),
                    });
                    stack.push(k);
                }
            }
        }
    }

    fn try_merge(&mut self, out: &mut Vec<Action>) {
        if self.stopping || self.status.iter().any(|s| s.state == TaskState::Merging) {
            return;
        }
        if let Some(&i) = self
            .order
            .iter()
            .find(|&&i| self.status[i].state == TaskState::ReviewedPass)
        {
            self.status[i].state = TaskState::Merging;
            out.push(Action::Merge {
                task: self.ids[i].clone(),
                attempt: self.status[i].attempt,
            });
        }
    }

    fn schedule(&mut self, out: &mut Vec<Action>) {
        if self.stopping {
            return;
        }
        let mut running = self
            .status
            .iter()
            .filter(|s| s.requested || s.state == TaskState::Active)
            .count();
        for idx in 0..self.order.len() {
            let i = self.order[idx];
            if self.max_parallel.is_some_and(|cap| running >= cap) {
                break;
            }
            let ready = self.status[i].state == TaskState::Pending
                && !self.status[i].requested
                && self.deps[i]
                    .iter()
                    .all(|&d| self.status[d].state == TaskState::Merged);
            if ready {
                let s = &mut self.status[i];
                s.attempt += 1;
                s.requested = true;
                running += 1;
                out.push(Action::Dispatch {
                    task: self.ids[i].clone(),
                    attempt: s.attempt,
                });
            }
        }
    }

    fn mismatch(&mut self, i: usize, event: &Event, out: &mut Vec<Action>) {
        let s = &self.status[i];
        let detail = format!(
            "{} does not apply to a task in state {} (attempt {}{})",
            event.kind(),
            s.state,
            s.attempt,
            if s.requested {
                ", dispatch requested"
            } else {
                ""
            }
        );
        self.anomaly(event, &detail, out);
    }

    fn anomaly(&mut self, event: &Event, detail: &str, out: &mut Vec<Action>) {
        let anomaly = Anomaly {
            event: event.kind().to_string(),
            task: event.task().map(str::to_string),
            detail: detail.to_string(),
        };
        self.anomalies.push(anomaly.clone());
        out.push(Action::Anomaly(anomaly));
    }
}
