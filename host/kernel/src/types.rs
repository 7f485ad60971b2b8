//! The kernel's vocabulary: task and DAG states, the events it accepts and the actions it emits.
//! Every type here is plain data with a stable serde form, because events are persisted in the
//! store and replayed, and actions are rendered by the CLI.

use serde::{Deserialize, Serialize};

/// Identifier of a task (a compiled unit id such as `tasks/main.a`).
pub type TaskId = String;

/// Lifecycle state of one task. The string forms are persisted and must not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Not started (or sent back for a retry). May have a dispatch request outstanding.
    Pending,
    /// A worker attempt is running in its worktree.
    Active,
    /// The worker finished; settlement is judging the attempt.
    Reviewing,
    /// Settlement accepted the attempt; it waits for the serial merge slot.
    ReviewedPass,
    /// The merge into the target branch is in progress (at most one task at a time).
    Merging,
    Merged,
    Failed,
    Skipped,
    Abandoned,
    TimedOut,
}

impl TaskState {
    /// Terminal states absorb every event except an explicit new run window or operator decision.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Merged
                | TaskState::Failed
                | TaskState::Skipped
                | TaskState::Abandoned
                | TaskState::TimedOut
        )
    }

    /// States that mean "this task will not land in this window": they cascade `skipped` to
    /// pending dependents, and `--continue` sends them back to pending.
    pub fn is_unsuccessful(self) -> bool {
        matches!(
            self,
            TaskState::Failed | TaskState::Skipped | TaskState::Abandoned | TaskState::TimedOut
        )
    }

    /// Work is in flight for the task (a worker, settlement or merge owns it).
    pub fn is_in_flight(self) -> bool {
        matches!(
            self,
            TaskState::Active | TaskState::Reviewing | TaskState::ReviewedPass | TaskState::Merging
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Pending => "pending",
            TaskState::Active => "active",
            TaskState::Reviewing => "reviewing",
            TaskState::ReviewedPass => "reviewed_pass",
            TaskState::Merging => "merging",
            TaskState::Merged => "merged",
            TaskState::Failed => "failed",
            TaskState::Skipped => "skipped",
            TaskState::Abandoned => "abandoned",
            TaskState::TimedOut => "timed_out",
        }
    }

    pub fn parse(text: &str) -> Option<TaskState> {
        ALL_STATES.iter().copied().find(|s| s.as_str() == text)
    }
}

/// Every task state, in lifecycle order.
pub const ALL_STATES: [TaskState; 10] = [
    TaskState::Pending,
    TaskState::Active,
    TaskState::Reviewing,
    TaskState::ReviewedPass,
    TaskState::Merging,
    TaskState::Merged,
    TaskState::Failed,
    TaskState::Skipped,
    TaskState::Abandoned,
    TaskState::TimedOut,
];

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// State of the whole DAG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DagState {
    /// Nothing has started (an empty DAG is idle and done at once).
    Idle,
    Running,
    /// Every task merged or was skipped without any failure.
    Completed,
    /// Some tasks failed, nothing merged.
    Failed,
    /// Some tasks failed and some merged.
    Partial,
}

impl DagState {
    pub fn as_str(self) -> &'static str {
        match self {
            DagState::Idle => "idle",
            DagState::Running => "running",
            DagState::Completed => "completed",
            DagState::Failed => "failed",
            DagState::Partial => "partial",
        }
    }
}

/// How a run window starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// Plain `dgov run`: work left in flight by a crash becomes `abandoned` and is reported;
    /// earlier failures stay failed (they are not forgotten after one rerun).
    Fresh,
    /// `--continue`: like `Fresh`, then every failed, abandoned, timed-out or skipped task
    /// goes back to pending with a fresh retry budget.
    Continue,
    /// `--restart`: every task goes back to pending, deployed or not.
    Restart,
}

/// What a worker attempt came back with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum WorkerOutcome {
    Succeeded,
    /// The attempt failed. `retryable = false` fails the task at once (for example an agent
    /// that stopped without finishing, or a provider quota error).
    Failed {
        error: String,
        retryable: bool,
    },
    /// The wall-clock limit expired and the attempt's process group was killed.
    TimedOut {
        error: String,
    },
    /// The agent used up its iteration budget without finishing. Its half-done work is in
    /// the attempt's worktree, so the kernel may hand it to a fork (see
    /// [`crate::TaskSpec::max_forks`]) instead of spending a retry.
    Exhausted {
        error: String,
    },
}

/// Settlement's judgement of a finished attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub passed: bool,
    /// A short machine-readable reason (`accepted`, `scope_violation`, …).
    pub reason: String,
    /// Whether a rejection may be retried.
    #[serde(default)]
    pub retryable: bool,
    /// The retry may continue this attempt's work (its changes carried into the next attempt's
    /// worktree, uncommitted) because the rejection is about the work itself — a failing test,
    /// a lint finding — rather than where it stands (a conflict with a moved target wants a
    /// fresh start). The kernel grants one such retry per budget window, outside the budget.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_place: bool,
    /// For a pass: the target HEAD the verdict was validated on (the integration candidate's
    /// base). The runner merges only onto that HEAD; when another merge landed in between it
    /// reports [`Event::Stale`] and the attempt is settled again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl Verdict {
    /// A passing verdict with no validated target.
    pub fn accept() -> Verdict {
        Verdict {
            passed: true,
            reason: "accepted".into(),
            retryable: false,
            in_place: false,
            target: None,
        }
    }

    /// A rejection.
    pub fn reject(reason: impl Into<String>, retryable: bool) -> Verdict {
        Verdict {
            passed: false,
            reason: reason.into(),
            retryable,
            in_place: false,
            target: None,
        }
    }
}

/// An explicit operator decision about one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Retry,
    Fail,
    Skip,
}

/// Inputs of the kernel. The runner turns every I/O result into one of these, records it in the
/// event store first, and only then feeds it to the kernel; folding the stored events therefore
/// rebuilds the kernel exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A new run window. `deployed` lists the tasks the deploy log says already landed.
    RunStarted {
        mode: RunMode,
        #[serde(default)]
        deployed: Vec<TaskId>,
    },
    /// The attempt's worktree exists and its worker was started.
    Dispatched {
        task: TaskId,
        attempt: u32,
    },
    /// The attempt could not even start (worktree creation or preparation failed).
    DispatchFailed {
        task: TaskId,
        attempt: u32,
        error: String,
    },
    WorkerFinished {
        task: TaskId,
        attempt: u32,
        outcome: WorkerOutcome,
    },
    Settled {
        task: TaskId,
        attempt: u32,
        verdict: Verdict,
    },
    MergeFinished {
        task: TaskId,
        attempt: u32,
        error: Option<String>,
    },
    /// The attempt's passing verdict no longer holds: the target moved after settlement
    /// validated it (another task merged in between), so nothing was merged and the attempt
    /// must be settled again on the new target.
    Stale {
        task: TaskId,
        attempt: u32,
        reason: String,
    },
    Decided {
        task: TaskId,
        decision: Decision,
    },
    /// Ctrl-C / SIGTERM: stop dispatching, abandon what is running.
    ShutdownRequested,
}

impl Event {
    /// The task an event is about, if any.
    pub fn task(&self) -> Option<&str> {
        match self {
            Event::RunStarted { .. } | Event::ShutdownRequested => None,
            Event::Dispatched { task, .. }
            | Event::DispatchFailed { task, .. }
            | Event::WorkerFinished { task, .. }
            | Event::Settled { task, .. }
            | Event::MergeFinished { task, .. }
            | Event::Stale { task, .. }
            | Event::Decided { task, .. } => Some(task),
        }
    }

    /// The persisted name of the event kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::RunStarted { .. } => "run_started",
            Event::Dispatched { .. } => "dispatched",
            Event::DispatchFailed { .. } => "dispatch_failed",
            Event::WorkerFinished { .. } => "worker_finished",
            Event::Settled { .. } => "settled",
            Event::MergeFinished { .. } => "merge_finished",
            Event::Stale { .. } => "stale",
            Event::Decided { .. } => "decided",
            Event::ShutdownRequested => "shutdown_requested",
        }
    }
}

/// Summary carried by [`Action::Done`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub status: DagState,
    pub merged: Vec<TaskId>,
    pub failed: Vec<TaskId>,
    pub timed_out: Vec<TaskId>,
    pub abandoned: Vec<TaskId>,
    pub skipped: Vec<TaskId>,
}

/// Outputs of the kernel: requests the runner carries out (and reports back as events), plus
/// notices it renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Create the attempt's worktree and start its worker.
    Dispatch { task: TaskId, attempt: u32 },
    /// Judge the finished attempt (settlement hook).
    Settle { task: TaskId, attempt: u32 },
    /// Merge the attempt into the target branch. Never two at once.
    Merge { task: TaskId, attempt: u32 },
    /// Kill the attempt's worker (shutdown).
    Cancel { task: TaskId, attempt: u32 },
    /// Remove the attempt's worktree and branch.
    Cleanup { task: TaskId, attempt: u32 },
    /// Notice: the attempt failed and the task goes back to pending for `next_attempt`.
    Retry {
        task: TaskId,
        next_attempt: u32,
        reason: String,
        /// The next attempt continues this attempt's work (see [`Verdict::in_place`]); the
        /// notice comes before this attempt's `Cleanup` so the runner can keep its commit.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        in_place: bool,
        /// The retry is a fork: the attempt ran out of iterations (not rejected), and the next
        /// attempt takes over its unfinished work with a clean context. Always `in_place`.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        fork: bool,
    },
    /// Notice: the task will not run because `because` did not land.
    Skip { task: TaskId, because: TaskId },
    /// Notice: an event that cannot apply in the current state was ignored.
    Anomaly(Anomaly),
    /// Every task is terminal.
    Done(Summary),
}

/// An event that did not fit the state machine. Recorded, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub event: String,
    pub task: Option<TaskId>,
    pub detail: String,
}
