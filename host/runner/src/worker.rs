//! The worker interface (one attempt in a worktree → an outcome) and the two workers shipped
//! here: an in-process fake for tests and benchmarks, and a command worker that runs the
//! task's prompt as a shell command in its own process group.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::plan::RunTask;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Everything a worker gets for one attempt.
#[derive(Clone)]
pub struct Attempt {
    pub plan: String,
    pub task: Arc<RunTask>,
    pub attempt: u32,
    /// The attempt's worktree; the worker's deliverable is its uncommitted state.
    pub worktree: PathBuf,
    /// The project root (the main worktree).
    pub root: PathBuf,
    /// Where the worker may write its log.
    pub log_path: PathBuf,
    /// Tell the runner the process group id of a spawned child, so a crashed run's
    /// successor can kill it.
    pub on_spawn: Arc<dyn Fn(u32) + Send + Sync>,
    /// Why this attempt exists, when it retries a failed one.
    pub retry: Option<crate::RetryContext>,
}

/// What an attempt came back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerReport {
    Done {
        summary: String,
    },
    Failed {
        error: String,
        retryable: bool,
    },
    /// The agent ran out of its iteration budget; its unfinished work is in the worktree
    /// (a fork may continue it).
    Exhausted {
        error: String,
    },
}

/// Runs one attempt. Dropping the returned future must stop the attempt (timeouts and
/// shutdown drop it), killing any child processes.
pub trait Worker: Send + Sync {
    fn name(&self) -> &'static str;
    fn run(&self, attempt: Attempt) -> BoxFuture<WorkerReport>;
}

/// How the fake worker behaves for a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeBehaviour {
    /// Append a line `<task id>` to every claimed file (creating it), then succeed.
    Write,
    /// Fail the first `attempts` attempts (retryable), then behave like `Write`.
    FailAttempts(u32),
    /// Fail every attempt without allowing a retry.
    Fatal,
    /// Never return (until the attempt is dropped by a timeout or shutdown).
    Hang,
    /// Succeed without changing anything.
    Noop,
    /// First attempt: write like `Write`, then run out of iterations. A later attempt
    /// succeeds (adding its line) only if the first attempt's lines are in its worktree —
    /// the fork carried them — and fails without a retry otherwise.
    ExhaustFirst,
}

impl FakeBehaviour {
    /// Read a `fake: <behaviour>` line from a prompt: `fail [N]`, `fatal`, `hang`, `noop`,
    /// `exhaust`, `write`. Without one, the behaviour is `Write`.
    pub fn from_prompt(prompt: &str) -> FakeBehaviour {
        for line in prompt.lines() {
            let Some(rest) = line.trim().strip_prefix("fake:") else {
                continue;
            };
            let mut words = rest.split_whitespace();
            return match words.next() {
                Some("fail") => FakeBehaviour::FailAttempts(
                    words
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(u32::MAX),
                ),
                Some("fatal") => FakeBehaviour::Fatal,
                Some("hang") => FakeBehaviour::Hang,
                Some("noop") => FakeBehaviour::Noop,
                Some("exhaust") => FakeBehaviour::ExhaustFirst,
                _ => FakeBehaviour::Write,
            };
        }
        FakeBehaviour::Write
    }
}

/// In-process fake worker. Behaviour per task comes from `overrides`, else from a `fake:` line
/// in the prompt.
#[derive(Debug, Clone, Default)]
pub struct FakeWorker {
    pub overrides: HashMap<String, FakeBehaviour>,
    /// Simulated thinking time before the worker acts.
    pub delay: Duration,
}

impl Worker for FakeWorker {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn run(&self, attempt: Attempt) -> BoxFuture<WorkerReport> {
        let behaviour = self
            .overrides
            .get(&attempt.task.id)
            .cloned()
            .unwrap_or_else(|| FakeBehaviour::from_prompt(&attempt.task.prompt));
        let delay = self.delay;
        Box::pin(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            match behaviour {
                FakeBehaviour::Hang => std::future::pending().await,
                FakeBehaviour::Fatal => WorkerReport::Failed {
                    error: "fake worker: fatal failure".into(),
                    retryable: false,
                },
                FakeBehaviour::FailAttempts(n) if attempt.attempt <= n => WorkerReport::Failed {
                    error: format!("fake worker: failing attempt {}", attempt.attempt),
                    retryable: true,
                },
                FakeBehaviour::Noop => WorkerReport::Done {
                    summary: "nothing to do".into(),
                },
                FakeBehaviour::ExhaustFirst if attempt.attempt > 1 => {
                    let id = &attempt.task.id;
                    let missing: Vec<&String> = attempt
                        .task
                        .files
                        .iter()
                        .filter(|f| {
                            std::fs::read_to_string(attempt.worktree.join(f))
                                .map_or(true, |t| !t.lines().any(|l| l == id))
                        })
                        .collect();
                    if !missing.is_empty() {
                        return WorkerReport::Failed {
                            error: format!(
                                "fake worker: the exhausted attempt's work is missing from {missing:?}"
                            ),
                            retryable: false,
                        };
                    }
                    write_claimed(&attempt)
                }
                FakeBehaviour::ExhaustFirst => match write_claimed(&attempt) {
                    WorkerReport::Done { .. } => WorkerReport::Exhausted {
                        error: "fake worker: Exceeded max iterations (1)".into(),
                    },
                    other => other,
                },
                FakeBehaviour::Write | FakeBehaviour::FailAttempts(_) => write_claimed(&attempt),
            }
        })
    }
}

/// Append a line `<task id>` to every claimed file (creating it).
fn write_claimed(attempt: &Attempt) -> WorkerReport {
    for f in &attempt.task.files {
        let path = attempt.worktree.join(f);
        let res = (|| -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut text = std::fs::read_to_string(&path).unwrap_or_default();
            text.push_str(&attempt.task.id);
            text.push('\n');
            std::fs::write(&path, text)
        })();
        if let Err(e) = res {
            return WorkerReport::Failed {
                error: format!("fake worker: writing {}: {e}", path.display()),
                retryable: false,
            };
        }
    }
    WorkerReport::Done {
        summary: format!("wrote {} file(s)", attempt.task.files.len()),
    }
}

/// Runs the task's prompt as `sh -c <prompt>` inside the worktree, in its own process group,
/// with output going to the attempt's log. Exit 0 is success; anything else is a retryable
/// failure carrying the end of the output. Dropping the attempt kills the whole group.
#[derive(Debug, Clone, Default)]
pub struct CommandWorker;

struct GroupGuard(Option<i32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            // SAFETY: signalling a process group we created; ESRCH (already gone) is fine.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

impl Worker for CommandWorker {
    fn name(&self) -> &'static str {
        "command"
    }

    fn run(&self, attempt: Attempt) -> BoxFuture<WorkerReport> {
        Box::pin(async move {
            let fail = |error: String| WorkerReport::Failed {
                error,
                retryable: true,
            };
            if let Some(dir) = attempt.log_path.parent()
                && let Err(e) = std::fs::create_dir_all(dir)
            {
                return fail(format!("creating {}: {e}", dir.display()));
            }
            let log = match std::fs::File::create(&attempt.log_path) {
                Ok(f) => f,
                Err(e) => return fail(format!("creating {}: {e}", attempt.log_path.display())),
            };
            let log2 = match log.try_clone() {
                Ok(f) => f,
                Err(e) => return fail(format!("opening {}: {e}", attempt.log_path.display())),
            };
            let mut cmd = tokio::process::Command::new("sh");
            cmd.arg("-c")
                .arg(&attempt.task.prompt)
                .current_dir(&attempt.worktree)
                .env("DGOV_TASK", &attempt.task.id)
                .env("DGOV_ATTEMPT", attempt.attempt.to_string())
                .env("DGOV_WORKTREE", &attempt.worktree)
                .env_remove("GIT_DIR")
                .env_remove("GIT_WORK_TREE")
                .stdin(std::process::Stdio::null())
                .stdout(log)
                .stderr(log2)
                .process_group(0)
                .kill_on_drop(true);
            let mut child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => return fail(format!("starting `sh -c`: {e}")),
            };
            let pgid = child.id().map(|p| p as i32);
            let mut guard = GroupGuard(pgid);
            if let Some(p) = pgid {
                (attempt.on_spawn)(p as u32);
            }
            let status = child.wait().await;
            // The shell is gone; kill whatever it left running in its group, then disarm.
            drop(std::mem::replace(&mut guard, GroupGuard(None)));
            if let Some(p) = pgid {
                // SAFETY: as in GroupGuard.
                unsafe {
                    libc::kill(-p, libc::SIGKILL);
                }
            }
            match status {
                Ok(s) if s.success() => WorkerReport::Done {
                    summary: "command succeeded".into(),
                },
                Ok(s) => {
                    let tail = tail_of(&attempt.log_path, 500);
                    fail(format!(
                        "command exited with {}{}",
                        s.code()
                            .map_or_else(|| "a signal".to_string(), |c| format!("status {c}")),
                        if tail.is_empty() {
                            String::new()
                        } else {
                            format!("; output ends with: {tail}")
                        }
                    ))
                }
                Err(e) => fail(format!("waiting for the command: {e}")),
            }
        })
    }
}

fn tail_of(path: &std::path::Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let t = text.trim_end();
    let start = t.len().saturating_sub(n);
    let start = (start..=t.len())
        .find(|&i| t.is_char_boundary(i))
        .unwrap_or(t.len());
    t[start..].to_string()
}
