//! The runner's own view of a plan: just what a run needs. The CLI converts compiled plans
//! into this, which keeps the runner independent of the plan format.

use std::path::PathBuf;
use std::time::Duration;

use dgov_kernel::TaskSpec;

/// A plan ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    pub name: String,
    /// The plan source directory (archived after a fully deployed run, when it lives under
    /// `.dgov/plans/`).
    pub dir: Option<PathBuf>,
    pub tasks: Vec<RunTask>,
}

/// One task of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct RunTask {
    pub id: String,
    pub depends_on: Vec<String>,
    pub prompt: String,
    /// Paths the task may write (create, edit, delete, touch claims).
    pub files: Vec<String>,
    /// Paths the task may only read (`files.read`): settlement tells a change there apart
    /// from an unclaimed one (`read_scope_violation`, which a retry can fix by reverting).
    pub read: Vec<String>,
    /// The task's own test command (the plan's `test_cmd`), which settlement runs before the
    /// project's.
    pub test_cmd: Option<String>,
    /// Commit message of the landed change; empty means `feat: completed <id>`.
    pub commit_message: String,
    /// Wall-clock limit of one attempt (`None` = no limit).
    pub timeout: Option<Duration>,
    /// Extra attempts a retryable failure may get.
    pub retries: u32,
    /// Forks an attempt that ran out of iterations may get (the plan's `max_fork_depth`;
    /// 0 disables them): the next attempt continues its work, outside `retries`.
    pub forks: u32,
}

impl RunTask {
    pub fn message(&self) -> String {
        if self.commit_message.trim().is_empty() {
            format!("feat: completed {}", self.id)
        } else {
            self.commit_message.clone()
        }
    }
}

impl RunPlan {
    pub fn specs(&self) -> Vec<TaskSpec> {
        self.tasks
            .iter()
            .map(|t| TaskSpec {
                id: t.id.clone(),
                depends_on: t.depends_on.clone(),
                max_retries: t.retries,
                max_forks: t.forks,
            })
            .collect()
    }

    pub fn task(&self, id: &str) -> Option<&RunTask> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// Keep only `unit` and its transitive dependencies (`--only`). `None` if unknown.
    pub fn only(&self, unit: &str) -> Option<RunPlan> {
        self.task(unit)?;
        let mut keep = vec![unit.to_string()];
        let mut i = 0;
        while i < keep.len() {
            if let Some(t) = self.task(&keep[i]) {
                for d in &t.depends_on {
                    if !keep.contains(d) {
                        keep.push(d.clone());
                    }
                }
            }
            i += 1;
        }
        Some(RunPlan {
            name: self.name.clone(),
            dir: self.dir.clone(),
            tasks: self
                .tasks
                .iter()
                .filter(|t| keep.contains(&t.id))
                .cloned()
                .collect(),
        })
    }
}
