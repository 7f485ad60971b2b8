//! The compiled plan as other crates see it: [`CompiledPlan`], [`CompiledTask`], [`Role`]
//! and [`FileClaims`]. Stable public API: the runner reads plans only through these types.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

/// Default per-task timeout when a task says `timeout_s = 0` (the effective default of the
/// original; its documented 900 s never applied to compiled plans).
pub const DEFAULT_TIMEOUT_S: u64 = 600;
/// Default retry budget per task when neither the plan nor the task sets one.
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// What kind of agent runs a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Edits files and commits; goes through settlement and merge.
    #[default]
    Worker,
    /// Reads and reports; never commits.
    Researcher,
    /// Reviews upstream work; never commits. Needs no prompt of its own.
    Reviewer,
}

impl Role {
    pub const ALL: [&'static str; 3] = ["worker", "researcher", "reviewer"];

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "worker" => Some(Role::Worker),
            "researcher" => Some(Role::Researcher),
            "reviewer" => Some(Role::Reviewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Researcher => "researcher",
            Role::Reviewer => "reviewer",
        }
    }

    /// Researchers and reviewers never write.
    pub fn is_read_only(self) -> bool {
        self != Role::Worker
    }
}

/// Files a task claims. Write claims (create, edit, delete, touch) must not overlap between
/// tasks that may run in parallel; read claims never conflict.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FileClaims {
    pub create: Vec<String>,
    pub edit: Vec<String>,
    pub delete: Vec<String>,
    pub read: Vec<String>,
    pub touch: Vec<String>,
}

impl FileClaims {
    /// Every write claim (create, edit, delete, touch), in that order.
    pub fn writes(&self) -> impl Iterator<Item = &String> {
        self.create
            .iter()
            .chain(&self.edit)
            .chain(&self.delete)
            .chain(&self.touch)
    }

    pub fn is_empty(&self) -> bool {
        self.create.is_empty()
            && self.edit.is_empty()
            && self.delete.is_empty()
            && self.read.is_empty()
            && self.touch.is_empty()
    }
}

/// One task of a compiled plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompiledTask {
    /// Unit id `section/file-stem.slug`; unique within the plan.
    pub id: String,
    pub summary: String,
    /// The prompt to send: SOP blocks already bundled in front of the source prompt.
    pub prompt: String,
    /// `prompt_file` as written in the source (informational; its text is in `prompt`).
    pub prompt_file: String,
    /// May be empty; the runner then uses `feat: completed <slug>`.
    pub commit_message: String,
    /// Model or alias from the task; empty means "resolve from plan/provider/project".
    pub agent: String,
    /// Provider name from the task; empty means "resolve from plan/project".
    pub provider: String,
    pub role: Role,
    /// Full unit ids, sorted.
    pub depends_on: Vec<String>,
    pub files: FileClaims,
    /// Seconds; 0 means "use the default" ([`DEFAULT_TIMEOUT_S`]).
    pub timeout_s: u64,
    /// Retry budget override; `None` means the plan's `default_max_retries`.
    pub retries: Option<u32>,
    /// Tool-call budget override for the worker.
    pub iteration_budget: Option<u64>,
    /// The task's own test command: settlement runs it before the project's `test_cmd`
    /// (literally, or targeted when it has `{test_dir}`); empty = none.
    pub test_cmd: String,
    /// SOP names pinned by the author (replace the automatic selection).
    pub sop_mapping: Vec<String>,
    /// SOP names actually bundled into `prompt`, in bundling order.
    pub sops: Vec<String>,
    pub self_review: bool,
    /// 0 disables forking; default 1.
    pub max_fork_depth: u32,
}

impl CompiledTask {
    /// The bare slug (the part after the last `.` of the id).
    pub fn slug(&self) -> &str {
        self.id.rsplit_once('.').map_or(&self.id, |(_, s)| s)
    }

    /// Timeout to enforce: `timeout_s`, or [`DEFAULT_TIMEOUT_S`] when it is 0.
    pub fn effective_timeout_s(&self) -> u64 {
        if self.timeout_s == 0 {
            DEFAULT_TIMEOUT_S
        } else {
            self.timeout_s
        }
    }

    /// Commit message to use: the task's, or `feat: completed <slug>`.
    pub fn effective_commit_message(&self) -> String {
        if self.commit_message.trim().is_empty() {
            format!("feat: completed {}", self.slug())
        } else {
            self.commit_message.clone()
        }
    }
}

/// A compiled plan: what `_compiled.toml` holds, plus where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompiledPlan {
    pub name: String,
    /// Directory of the plan source (the directory holding `_compiled.toml`).
    pub source_dir: PathBuf,
    pub default_agent: String,
    pub default_provider: String,
    /// Plan-wide retry budget (per task unless the task sets `retries`).
    pub default_max_retries: u32,
    /// SHA-256 over the SOP set's front matter; empty when there are no SOPs or on dry runs.
    pub sop_set_hash: String,
    /// SHA-256 of each source file (relative path with `/` separators → hex digest); what
    /// staleness checks compare. Empty for plans compiled by the Python original.
    pub source_hashes: BTreeMap<String, String>,
    /// `source_mtime_max` of plans compiled by the original (RFC 3339), kept for staleness
    /// checks of such files; never written by this crate (mtimes are not deterministic).
    pub legacy_source_mtime_max: Option<String>,
    /// Tasks sorted by id.
    pub tasks: Vec<CompiledTask>,
}

impl CompiledPlan {
    pub fn task(&self, id: &str) -> Option<&CompiledTask> {
        self.tasks
            .binary_search_by(|t| t.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.tasks[i])
    }

    /// Number of dependency edges.
    pub fn edge_count(&self) -> usize {
        self.tasks.iter().map(|t| t.depends_on.len()).sum()
    }

    /// Retry budget for `task`.
    pub fn retries_for(&self, task: &CompiledTask) -> u32 {
        task.retries.unwrap_or(self.default_max_retries)
    }
}
