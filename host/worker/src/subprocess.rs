//! [`SubprocessWorker`]: the runner's [`Worker`] that runs each attempt as `dgov worker
//! --spec FILE` in its own process group, reads its JSON-lines stdout without a line-length
//! limit, stores every line as a `worker_log` event, and turns the exit into a report.
//! Dropping the attempt (timeout, shutdown) kills the whole process group.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use dgov_plan::CompiledPlan;
use dgov_plan::config::ProjectConfig;
use dgov_runner::{Attempt, BoxFuture, Worker, WorkerReport};
use serde_json::json;
use tokio::io::AsyncBufReadExt as _;

use crate::WorkerError;
use crate::entry::{EXIT_DONE, EXIT_EXHAUSTED, EXIT_FATAL};
use crate::protocol::Line;
use crate::spec::{
    AttemptSpec, Claims, PathPolicySpec, PolicySpec, Role, ToolchainSpec, resolve_provider,
    test_targets,
};

/// Programs the tools may run through the host exec capability.
pub const DEFAULT_EXEC_ALLOW: [&str; 2] = ["sh", "git"];

/// The exec allow-list of an attempt: the shell and git, plus the program of each configured
/// toolchain command (its first word after `VAR=value` assignments), so a command the tools
/// run directly is as allowed as one they run through `sh -c`.
pub fn exec_allow(toolchain: &ToolchainSpec) -> Vec<String> {
    let mut out: Vec<String> = DEFAULT_EXEC_ALLOW.iter().map(|s| s.to_string()).collect();
    for cmd in toolchain.commands() {
        let program = cmd
            .split_whitespace()
            .find(|w| !w.contains('='))
            .unwrap_or_default();
        if !program.is_empty() && !out.iter().any(|p| p == program) {
            out.push(program.to_string());
        }
    }
    out
}

/// Runs attempts in `dgov worker` subprocesses.
pub struct SubprocessWorker {
    /// The executable and the arguments before `--spec FILE` (`dgov` + `["worker"]`).
    pub exe: PathBuf,
    pub args: Vec<String>,
    /// Attempt templates by task id (attempt, worktree and retry context filled per attempt).
    templates: HashMap<String, AttemptSpec>,
    /// Record each attempt's LLM exchanges under this directory (`dgov run --record`).
    pub record_dir: Option<PathBuf>,
    /// Extra environment for the subprocess (API keys in tests, retry tuning).
    pub env: Vec<(String, String)>,
}

impl SubprocessWorker {
    /// Per-request timeout of the LLM client, in seconds (default 600).
    pub fn set_request_timeout(&mut self, secs: u64) {
        for t in self.templates.values_mut() {
            t.request_timeout_s = secs;
        }
    }

    /// Point every task at another provider (the demo and replay tests use `replay:`).
    pub fn set_provider(&mut self, provider: crate::spec::ProviderSpec) {
        for t in self.templates.values_mut() {
            t.provider = provider.clone();
        }
    }

    /// Resolve every task of `plan` (provider, model, scope) against the project config.
    /// Fails with the first task whose provider or model cannot be resolved.
    pub fn for_plan(
        root: &std::path::Path,
        plan: &CompiledPlan,
        cfg: &ProjectConfig,
        exe: PathBuf,
        args: Vec<String>,
    ) -> Result<SubprocessWorker, WorkerError> {
        let charter = std::fs::read_to_string(root.join(".dgov/governor.md")).ok();
        let mut templates = HashMap::new();
        for t in &plan.tasks {
            let agent = if t.agent.is_empty() {
                plan.default_agent.as_str()
            } else {
                t.agent.as_str()
            };
            let (provider, model) =
                resolve_provider(cfg, &t.provider, &plan.default_provider, agent)
                    .map_err(|e| WorkerError::Config(format!("task '{}': {e}", t.id)))?;
            let claims = Claims {
                create: t.files.create.clone(),
                edit: t.files.edit.clone(),
                delete: t.files.delete.clone(),
                touch: t.files.touch.clone(),
                read: t.files.read.clone(),
            };
            let test_cmd = if t.test_cmd.is_empty() {
                cfg.project.test_cmd.clone()
            } else {
                t.test_cmd.clone()
            };
            let toolchain = ToolchainSpec {
                lint_cmd: cfg.project.lint_cmd.clone(),
                lint_fix_cmd: cfg.project.lint_fix_cmd.clone(),
                format_cmd: cfg.project.format_cmd.clone(),
                type_check_cmd: cfg.project.type_check_cmd.clone().unwrap_or_default(),
            };
            let budget = t
                .iteration_budget
                .unwrap_or(cfg.project.worker_iteration_budget)
                .max(1);
            templates.insert(
                t.id.clone(),
                AttemptSpec {
                    plan: plan.name.clone(),
                    task: t.id.clone(),
                    attempt: 1,
                    role: t.role.into(),
                    root: root.to_path_buf(),
                    worktree: root.to_path_buf(),
                    prompt: t.prompt.clone(),
                    model,
                    provider,
                    test_targets: test_targets(&claims, &cfg.project.test_dir),
                    claims,
                    test_cmd,
                    policy: PolicySpec::from(&cfg.tool_policy),
                    exec_allow: exec_allow(&toolchain),
                    toolchain,
                    path_policy: PathPolicySpec {
                        ignore: cfg.scope.ignore_files.clone(),
                        allow: cfg.scope.allow_files.clone(),
                        deny: cfg.scope.deny_files.clone(),
                    },
                    language: cfg.project.language.clone(),
                    src_dir: cfg.project.src_dir.clone(),
                    test_dir: cfg.project.test_dir.clone(),
                    conventions: cfg.conventions.clone(),
                    iteration_budget: budget,
                    warn_at: cfg.project.worker_iteration_warn_at.min(budget),
                    tree_max_lines: cfg.project.worker_tree_max_lines,
                    charter: charter.clone(),
                    retry_context: None,
                    retry_in_place: false,
                    retry_fork: false,
                    record_to: None,
                    request_timeout_s: 600,
                    shell_timeout_ms: crate::spec::SHELL_TIMEOUT_MS,
                    require_tests_before_done: false,
                    dependency_changes: Vec::new(),
                },
            );
        }
        Ok(SubprocessWorker {
            exe,
            args,
            templates,
            record_dir: None,
            env: Vec::new(),
        })
    }

    /// The attempt spec a task's attempt would get.
    pub fn spec_for(&self, attempt: &Attempt) -> Result<AttemptSpec, String> {
        let mut spec = self
            .templates
            .get(&attempt.task.id)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "task '{}' is not part of the plan this worker was set up for",
                    attempt.task.id
                )
            })?;
        spec.attempt = attempt.attempt;
        spec.worktree = attempt.worktree.clone();
        spec.root = attempt.root.clone();
        spec.record_to = self.record_dir.clone();
        if let Some(retry) = &attempt.retry {
            spec.retry_context = Some(retry_context(retry));
            spec.retry_in_place = retry.in_place;
            spec.retry_fork = retry.fork;
        } else if attempt.attempt > 1 {
            // A retry this runner did not announce (a `dgov retry` decision, a new run
            // window): the last error the store knows.
            spec.retry_context = previous_error(&attempt.root, &attempt.plan, &attempt.task.id);
        }
        // A reviewer judges what its dependencies landed; they have landed by now.
        if spec.role == Role::Reviewer {
            spec.dependency_changes = crate::roles::dependency_changes(
                &attempt.root,
                &attempt.plan,
                &attempt.task.depends_on,
            );
        }
        // After a failing test verdict the retry must show a passing run_tests first (a
        // read-only role fixes nothing, so it is never held to that).
        spec.require_tests_before_done = !spec.role.is_read_only()
            && !spec.test_targets.is_empty()
            && spec.retry_context.as_deref().is_some_and(|e| {
                let e = e.to_lowercase();
                e.contains("tests_failed") || e.contains("test failure")
            });
        Ok(spec)
    }
}

/// The previous attempt's failure as the worker is told it: the kernel's reason, then every
/// finding of the gates that blocked (from the settlement evidence file), capped.
pub fn retry_context(retry: &dgov_runner::RetryContext) -> String {
    const MAX_FINDINGS: usize = 40;
    let mut out = retry.reason.trim().to_string();
    let Some(outcome) = retry
        .evidence
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    else {
        return out;
    };
    let mut lines = Vec::new();
    let gates = outcome["gates"].as_array().cloned().unwrap_or_default();
    let mut total = 0;
    for gate in gates.iter().filter(|g| g["blocking"] == true) {
        for f in gate["findings"].as_array().into_iter().flatten() {
            total += 1;
            if lines.len() >= MAX_FINDINGS {
                continue;
            }
            let loc = f["locations"]
                .as_array()
                .and_then(|l| l.first())
                .map(|l| match l["line"].as_u64() {
                    Some(n) => format!(" at {}:{n}", l["path"].as_str().unwrap_or("?")),
                    None => format!(" in {}", l["path"].as_str().unwrap_or("?")),
                })
                .unwrap_or_default();
            lines.push(format!(
                "- [{}] {}: {}{loc}",
                gate["gate"].as_str().unwrap_or("gate"),
                f["code"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or("").trim()
            ));
        }
    }
    if !lines.is_empty() {
        out.push_str("\n\nEvery finding of the rejecting gate(s):\n");
        out.push_str(&lines.join("\n"));
        if total > lines.len() {
            out.push_str(&format!("\n… and {} more", total - lines.len()));
        }
    }
    out
}

/// The last recorded error of a task (the failure or settlement verdict of the previous
/// attempt).
fn previous_error(root: &std::path::Path, plan: &str, task: &str) -> Option<String> {
    let store = dgov_store::Store::open_read_only(root).ok()??;
    let view = store.status_view().ok()?;
    view.tasks
        .into_iter()
        .find(|t| t.plan == plan && t.task == task)
        .and_then(|t| t.error)
        .filter(|e| !e.trim().is_empty())
}

struct GroupGuard(Option<i32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            // SAFETY: signalling the process group this worker created; ESRCH is harmless.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

impl Worker for SubprocessWorker {
    fn name(&self) -> &'static str {
        "llm"
    }

    fn run(&self, attempt: Attempt) -> BoxFuture<WorkerReport> {
        let spec = self.spec_for(&attempt);
        let exe = self.exe.clone();
        let args = self.args.clone();
        let env = self.env.clone();
        Box::pin(async move {
            let fail = |error: String, retryable: bool| WorkerReport::Failed { error, retryable };
            let spec = match spec {
                Ok(s) => s,
                Err(e) => return fail(e, false),
            };
            let role = spec.role;
            if let Some(dir) = attempt.log_path.parent()
                && let Err(e) = std::fs::create_dir_all(dir)
            {
                return fail(format!("creating {}: {e}", dir.display()), true);
            }
            let spec_path = attempt.log_path.with_extension("spec.json");
            if let Err(e) = spec.write(&spec_path) {
                return fail(e.to_string(), true);
            }
            let mut log = match std::fs::File::create(&attempt.log_path) {
                Ok(f) => f,
                Err(e) => {
                    return fail(
                        format!("creating {}: {e}", attempt.log_path.display()),
                        true,
                    );
                }
            };
            let stderr = match log.try_clone() {
                Ok(f) => f,
                Err(e) => {
                    return fail(format!("opening {}: {e}", attempt.log_path.display()), true);
                }
            };
            let mut cmd = tokio::process::Command::new(&exe);
            cmd.args(&args)
                .arg("--spec")
                .arg(&spec_path)
                .current_dir(&attempt.root)
                .env_remove("GIT_DIR")
                .env_remove("GIT_WORK_TREE")
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(stderr)
                .process_group(0)
                .kill_on_drop(true);
            let mut child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => return fail(format!("starting the worker {}: {e}", exe.display()), true),
            };
            let pgid = child.id().map(|p| p as i32);
            let guard = GroupGuard(pgid);
            if let Some(p) = pgid {
                (attempt.on_spawn)(p as u32);
            }
            let Some(stdout) = child.stdout.take() else {
                return fail("the worker's stdout was not captured".into(), true);
            };
            let mut store = dgov_store::Store::open(&attempt.root).ok();
            let mut reader = tokio::io::BufReader::new(stdout);
            let mut buf = Vec::new();
            let mut last_error: Option<String> = None;
            let mut summary: Option<String> = None;
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        last_error = Some(format!("reading the worker's output: {e}"));
                        break;
                    }
                }
                let _ = log.write_all(&buf);
                let text = String::from_utf8_lossy(&buf);
                let Some(line) = Line::parse(&text) else {
                    continue;
                };
                let (kind, data) = match &line {
                    Line::WorkerEvent { kind, content } => {
                        match kind.as_str() {
                            "error" => {
                                last_error = Some(
                                    content
                                        .as_str()
                                        .map_or_else(|| content.to_string(), str::to_string),
                                )
                            }
                            "done" => {
                                summary = Some(content.as_str().unwrap_or_default().to_string())
                            }
                            _ => {}
                        }
                        (
                            "worker_log",
                            json!({"attempt": attempt.attempt, "log_type": kind, "content": content}),
                        )
                    }
                    Line::WorkerTokens {
                        prompt_tokens,
                        completion_tokens,
                    } => (
                        "worker_tokens",
                        json!({"attempt": attempt.attempt, "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}),
                    ),
                };
                if let Some(s) = store.as_mut()
                    && s.append_note(&attempt.plan, None, Some(&attempt.task.id), kind, &data)
                        .is_err()
                {
                    let _ = writeln!(
                        log,
                        "dgov: could not record worker events in the store; continuing without"
                    );
                    store = None;
                }
            }
            let status = child.wait().await;
            drop(guard);
            let code = match status {
                Ok(s) => s.code(),
                Err(e) => return fail(format!("waiting for the worker: {e}"), true),
            };
            let mut note = |kind: &str, data: serde_json::Value| {
                if let Some(s) = store.as_mut() {
                    let _ = s.append_note(&attempt.plan, None, Some(&attempt.task.id), kind, &data);
                }
            };
            // A read-only role never lands changes: whatever its tools left behind (test
            // output, a stray file) goes before the runner commits the worktree, so the task
            // lands at the current HEAD like one that changed nothing.
            if role.is_read_only() {
                match crate::roles::discard_changes(&attempt.worktree) {
                    Ok(paths) if !paths.is_empty() => note(
                        "read_only_discarded",
                        json!({"attempt": attempt.attempt, "role": role.as_str(), "paths": paths}),
                    ),
                    Ok(_) => {}
                    Err(e) => return fail(e, true),
                }
            }
            if role == Role::Reviewer
                && code == Some(i32::from(EXIT_DONE))
                && let Some(summary) = &summary
            {
                let mut data = crate::roles::verdict(summary);
                data["attempt"] = json!(attempt.attempt);
                note("reviewer_verdict", data);
            }
            match (code, summary) {
                (Some(c), Some(summary)) if c == i32::from(EXIT_DONE) => {
                    WorkerReport::Done { summary }
                }
                (Some(c), _) if c == i32::from(EXIT_EXHAUSTED) => WorkerReport::Exhausted {
                    error: last_error
                        .unwrap_or_else(|| "Exceeded max iterations (no details)".into()),
                },
                (Some(c), _) => fail(
                    last_error.unwrap_or_else(|| {
                        format!(
                            "worker exited with status {c} without an error; see {}",
                            attempt.log_path.display()
                        )
                    }),
                    c != i32::from(EXIT_FATAL),
                ),
                (None, _) => fail(
                    last_error.unwrap_or_else(|| "worker was killed by a signal".into()),
                    true,
                ),
            }
        })
    }
}

/// Shared handle for the CLI.
pub type SharedWorker = Arc<SubprocessWorker>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_allow_adds_each_toolchain_program_once_after_env_assignments() {
        let t = ToolchainSpec {
            lint_cmd: "RUFF_CACHE=x uv run ruff check {file}".into(),
            lint_fix_cmd: "uv run ruff check --fix {file}".into(),
            format_cmd: "sh fmt.sh {file}".into(),
            type_check_cmd: String::new(),
        };
        assert_eq!(exec_allow(&t), ["sh", "git", "uv"]);
        assert_eq!(exec_allow(&ToolchainSpec::default()), ["sh", "git"]);
    }
}
