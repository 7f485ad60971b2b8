//! What one worker attempt needs, resolved by the governor before launch and handed to the
//! subprocess as a JSON file: the task, its scope, the provider and the tool policy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dgov_plan::config::{ProjectConfig, ToolPolicy};
use serde::{Deserialize, Serialize};

use crate::WorkerError;

/// Provider endpoint of an attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderSpec {
    /// The `[providers.<name>]` key.
    pub name: String,
    /// `https://…/v1`, or `replay:<dir>` to serve recorded cassettes from `<dir>` (relative
    /// to the project root).
    pub base_url: String,
    /// Environment variable holding the API key (unused by `replay:`).
    pub api_key_env: String,
}

impl ProviderSpec {
    /// The cassette directory of a `replay:` provider.
    pub fn replay_dir(&self) -> Option<&str> {
        self.base_url.strip_prefix("replay:")
    }
}

/// File claims of the task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Claims {
    pub create: Vec<String>,
    pub edit: Vec<String>,
    pub delete: Vec<String>,
    pub touch: Vec<String>,
    pub read: Vec<String>,
}

impl Claims {
    pub fn writable(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in self
            .create
            .iter()
            .chain(&self.edit)
            .chain(&self.delete)
            .chain(&self.touch)
        {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }
}

/// `[tool_policy]` as the tools plugin reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicySpec {
    pub restrict_run_bash: bool,
    pub require_wrapped_verify_tools: bool,
    pub require_uv_run: bool,
    pub deny_shell_file_mutations: bool,
    pub deny_shell_commands: Vec<String>,
}

impl From<&ToolPolicy> for PolicySpec {
    fn from(p: &ToolPolicy) -> PolicySpec {
        PolicySpec {
            restrict_run_bash: p.restrict_run_bash,
            require_wrapped_verify_tools: p.require_wrapped_verify_tools,
            require_uv_run: p.require_uv_run,
            deny_shell_file_mutations: p.deny_shell_file_mutations,
            deny_shell_commands: p.deny_shell_commands.clone(),
        }
    }
}

/// The project's toolchain commands (`[project]` of `.dgov/project.toml`) as the tools
/// `lint_check`, `lint_fix`, `format_file` and `type_check` run them; `{file}` is replaced by
/// the shell-quoted target. Empty means not configured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToolchainSpec {
    pub lint_cmd: String,
    pub lint_fix_cmd: String,
    pub format_cmd: String,
    pub type_check_cmd: String,
}

impl ToolchainSpec {
    /// The configured commands, non-empty ones only.
    pub fn commands(&self) -> Vec<&str> {
        [
            &self.lint_cmd,
            &self.lint_fix_cmd,
            &self.format_cmd,
            &self.type_check_cmd,
        ]
        .into_iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect()
    }
}

/// `[scope]` of `.dgov/project.toml`: changes that need no claim, and the project-wide
/// allow and deny patterns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PathPolicySpec {
    pub ignore: Vec<String>,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

/// What an attempt may do (the plan task's `role`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Changes code; its worktree changes are committed, settled and merged.
    #[default]
    Worker,
    /// Investigates and reports a finding; never changes the tree.
    Researcher,
    /// Reviews the dependencies' landed changes and returns a verdict; never changes the tree.
    Reviewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Researcher => "researcher",
            Role::Reviewer => "reviewer",
        }
    }

    /// Researchers and reviewers only read: no writing tools, and whatever their attempt
    /// leaves in the worktree is discarded rather than landed.
    pub fn is_read_only(self) -> bool {
        self != Role::Worker
    }
}

impl From<dgov_plan::model::Role> for Role {
    fn from(r: dgov_plan::model::Role) -> Role {
        match r {
            dgov_plan::model::Role::Worker => Role::Worker,
            dgov_plan::model::Role::Researcher => Role::Researcher,
            dgov_plan::model::Role::Reviewer => Role::Reviewer,
        }
    }
}

/// Everything one attempt needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptSpec {
    pub plan: String,
    pub task: String,
    pub attempt: u32,
    /// The task's role; decides the tool set, the prompt and whether changes may land.
    #[serde(default)]
    pub role: Role,
    pub root: PathBuf,
    pub worktree: PathBuf,
    /// The task prompt (SOPs already bundled at compile time).
    pub prompt: String,
    pub model: String,
    pub provider: ProviderSpec,
    pub claims: Claims,
    pub test_cmd: String,
    /// Claimed paths under the test directory: what run_tests may run.
    pub test_targets: Vec<String>,
    pub policy: PolicySpec,
    /// Lint, lint-fix, format and type-check commands of the project.
    #[serde(default)]
    pub toolchain: ToolchainSpec,
    /// `[scope]` of the project (scope_status reports against it as settlement does).
    #[serde(default)]
    pub path_policy: PathPolicySpec,
    /// Programs run_bash/run_tests/git_diff may execute (exec allow-list).
    pub exec_allow: Vec<String>,
    pub language: String,
    pub src_dir: String,
    pub test_dir: String,
    pub conventions: BTreeMap<String, String>,
    pub iteration_budget: u64,
    pub warn_at: u64,
    pub tree_max_lines: u64,
    /// The governor charter (`.dgov/governor.md`), if any.
    pub charter: Option<String>,
    /// Why the previous attempt failed (settlement evidence), on retries.
    pub retry_context: Option<String>,
    /// The previous attempt's changes are in the worktree (uncommitted): fix them rather
    /// than redo the task.
    #[serde(default)]
    pub retry_in_place: bool,
    /// The previous attempt ran out of iterations and this attempt is its fork: hand over
    /// its unfinished work (in the worktree when `retry_in_place`).
    #[serde(default)]
    pub retry_fork: bool,
    /// Write this attempt's LLM exchanges here (`dgov run --record`).
    pub record_to: Option<PathBuf>,
    /// Per-request timeout in seconds.
    pub request_timeout_s: u64,
    /// Wall clock of one shell command of a tool (run_bash, run_tests), in milliseconds;
    /// the process group is killed when it runs out.
    #[serde(default = "default_shell_timeout")]
    pub shell_timeout_ms: u32,
    /// Set on a retry after a test failure: `done` is refused until `run_tests` passed.
    #[serde(default)]
    pub require_tests_before_done: bool,
    /// Reviewers: what each dependency landed (its deployed diff), resolved at dispatch.
    #[serde(default)]
    pub dependency_changes: Vec<DependencyChange>,
}

/// One dependency's landed change, as a reviewer is shown it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DependencyChange {
    /// The dependency's task id.
    pub task: String,
    /// The deploy record's sha, if the dependency has one.
    pub sha: Option<String>,
    /// `git diff --stat --patch` of what it landed (capped), or why there is none.
    pub diff: String,
}

fn default_shell_timeout() -> u32 {
    SHELL_TIMEOUT_MS
}

/// Default wall clock for one shell command of a tool (as the original: 60 s).
pub const SHELL_TIMEOUT_MS: u32 = 60_000;

/// The task fields the governor resolves from the compiled plan.
#[derive(Debug, Clone, Default)]
pub struct TaskInfo {
    pub provider: String,
    pub agent: String,
    pub claims: Claims,
    pub test_cmd: String,
    pub iteration_budget: Option<u64>,
}

/// Resolve the provider of a task: task → plan default → project, then the model: task
/// agent → provider default → project default, through `[agents]` aliases.
pub fn resolve_provider(
    cfg: &ProjectConfig,
    task_provider: &str,
    plan_provider: &str,
    task_agent: &str,
) -> Result<(ProviderSpec, String), WorkerError> {
    let name = [task_provider, plan_provider, cfg.project.provider.as_str()]
        .into_iter()
        .find(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| (cfg.providers.len() == 1).then(|| cfg.providers.keys().next().cloned()).flatten())
        .ok_or_else(|| WorkerError::Config(
            "Provider configuration missing: set [project].provider and [providers.<name>].base_url/api_key_env in .dgov/project.toml".into(),
        ))?;
    let p = cfg.providers.get(&name).ok_or_else(|| {
        WorkerError::Config(format!(
            "provider '{name}' is not defined: add [providers.{name}] with base_url and api_key_env to .dgov/project.toml"
        ))
    })?;
    if p.base_url.trim().is_empty()
        || (p.api_key_env.trim().is_empty() && !p.base_url.starts_with("replay:"))
    {
        return Err(WorkerError::Config(format!(
            "Provider configuration missing: set [providers.{name}].base_url and api_key_env in .dgov/project.toml"
        )));
    }
    let agent = [
        task_agent,
        p.default_agent.as_str(),
        cfg.project.default_agent.as_str(),
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .unwrap_or("");
    let model = cfg.resolve_agent_alias(agent).to_string();
    Ok((
        ProviderSpec {
            name,
            base_url: p.base_url.clone(),
            api_key_env: p.api_key_env.clone(),
        },
        model,
    ))
}

/// Claimed paths that equal the test directory or lie under it.
pub fn test_targets(claims: &Claims, test_dir: &str) -> Vec<String> {
    let norm = |s: &str| {
        s.trim()
            .trim_start_matches(['.', '/'])
            .trim_end_matches('/')
            .to_string()
    };
    let dir = norm(test_dir);
    let mut out = Vec::new();
    for p in claims
        .create
        .iter()
        .chain(&claims.edit)
        .chain(&claims.touch)
        .chain(&claims.read)
    {
        let n = norm(p);
        if !dir.is_empty() && (n == dir || n.starts_with(&format!("{dir}/"))) && !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

impl AttemptSpec {
    pub fn write(&self, path: &Path) -> Result<(), WorkerError> {
        let text =
            serde_json::to_string_pretty(self).map_err(|e| WorkerError::Config(e.to_string()))?;
        std::fs::write(path, text)
            .map_err(|e| WorkerError::Io(format!("writing {}: {e}", path.display())))
    }

    pub fn read(path: &Path) -> Result<AttemptSpec, WorkerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| WorkerError::Io(format!("reading {}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| {
            WorkerError::Config(format!("invalid attempt spec {}: {e}", path.display()))
        })
    }
}
