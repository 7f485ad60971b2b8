//! `dgov run DIR`: pre-checks (git, lock, bootstrap, dirty tree), compile, convert the compiled
//! plan into the runner's `RunPlan`, run it with progress, print the summary, exit per §3.5.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use dgov_git::Repo;
use dgov_kernel::{RunMode, TaskState};
use dgov_runner::{
    AcceptAll, CommandWorker, FakeWorker, Progress, ProgressEvent, RunConfig, RunDeps, RunPlan,
    RunReport, RunStatus, RunTask, Worker,
};
use dgov_store::{RunLock, StoreError};
use serde_json::json;

use crate::Globals;
use crate::exit::{self, with_code};

/// Which worker runs each attempt (until the LLM worker lands, one of the built-ins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkerKind {
    /// In-process fake: appends the task id to each claimed file. `fake: fail [N]`,
    /// `fake: fatal`, `fake: hang`, `fake: noop` or `fake: exhaust` in a prompt changes what
    /// it does.
    Fake,
    /// Runs the task's prompt as `sh -c` in the worktree, in its own process group.
    Command,
    /// The LLM agent (`dgov worker` subprocess per attempt, WASM tools); the default when
    /// `.dgov/project.toml` configures a provider.
    Llm,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Plan directory (for example .dgov/plans/NAME).
    pub dir: PathBuf,
    /// Send failed, abandoned, timed-out and skipped tasks back to pending and finish the plan.
    #[arg(long = "continue", conflicts_with = "restart")]
    pub continue_: bool,
    /// Run every task again, deployed or not, from a fresh window.
    #[arg(long)]
    pub restart: bool,
    /// Run only this task id and its transitive dependencies (never archives).
    #[arg(long, value_name = "UNIT")]
    pub only: Option<String>,
    /// Do not ask before creating the bootstrap commit in a repository with no commits.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Worker for every attempt (default: llm when a provider is configured, else fake).
    #[arg(long, value_enum, env = "DGOV_WORKER")]
    pub worker: Option<WorkerKind>,
    /// Record each attempt's LLM exchanges under .dgov/cassettes/<plan>/ for replay.
    #[arg(long)]
    pub record: bool,
    /// Cap on concurrent worker attempts (default: no cap, as the original).
    #[arg(long, value_name = "N")]
    pub max_parallel: Option<usize>,
}

/// Walk up from `start` to the project root: a directory holding `.dgov/` or `.git`; a
/// directory named `.dgov` maps to its parent.
pub fn project_root(start: &Path) -> PathBuf {
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    let mut cur = Some(start.as_path());
    while let Some(c) = cur {
        if c.file_name().is_some_and(|n| n == ".dgov") {
            return c.parent().unwrap_or(c).to_path_buf();
        }
        if c.join(".dgov").is_dir() || c.join(".git").exists() {
            return c.to_path_buf();
        }
        cur = c.parent();
    }
    start
}

pub fn run(args: RunArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = project_root(&g.repo);
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let dir = if args.dir.is_absolute() {
        args.dir.clone()
    } else {
        cwd.join(&args.dir)
    };
    let dir = normalize(&dir);
    if !dir.starts_with(&root) && !dir.canonicalize().is_ok_and(|c| c.starts_with(&root)) {
        return Err(with_code(
            exit::USAGE,
            anyhow::anyhow!(
                "plan path must stay under the project root {}: {}",
                root.display(),
                args.dir.display()
            ),
        ));
    }
    if !dir.exists() {
        return Err(with_code(
            exit::USAGE,
            anyhow::anyhow!(
                "plan path not found: {}; create it with `dgov init-plan NAME` or pass an existing plan directory",
                args.dir.display()
            ),
        ));
    }
    if !dir.is_dir() {
        return Err(with_code(
            exit::USAGE,
            anyhow::anyhow!(
                "dgov run needs a plan directory, not a file: {}; run `dgov run <plan-dir>`",
                args.dir.display()
            ),
        ));
    }
    let repo = Repo::open(&root).map_err(|_| {
        with_code(
            exit::USAGE,
            anyhow::anyhow!(
                "dgov run requires a git repository; run `git init` in {}",
                root.display()
            ),
        )
    })?;
    let root = repo.root().to_path_buf();
    let lock = match RunLock::acquire(&root.join(".dgov")) {
        Ok(l) => l,
        Err(e @ StoreError::Busy { .. }) => return Err(with_code(exit::FAILURE, e.into())),
        Err(e) => return Err(e.into()),
    };

    if repo.head()?.is_none() {
        bootstrap(&repo, args.yes, g)?;
    }
    // A merge cut short by a crash can leave the working tree behind the branch; that is
    // dgov's own half-done work, not the user's changes, so repair it before judging.
    for line in dgov_runner::repair_interrupted_merges(&root).map_err(|e| anyhow::anyhow!("{e}"))? {
        if !g.json {
            eprintln!("recovered: {line}");
        }
    }
    let mut dirty = repo.dirty_paths()?;
    // dgov's own sentrux baseline is not the user's change.
    dirty.retain(|p| !crate::cmd_sentrux::governor_owned(p));
    if !dirty.is_empty() {
        report_dirty(&dirty, g);
        return Ok(exit::FAILURE);
    }

    let worker_kind = args.worker.unwrap_or_else(|| {
        if crate::cmd_worker::provider_configured(&root) {
            WorkerKind::Llm
        } else {
            WorkerKind::Fake
        }
    });
    // The LLM worker needs SOPs bundled and providers resolved: a full compile.
    let opts = dgov_plan::CompileOptions {
        dry_run: worker_kind != WorkerKind::Llm,
    };
    let (compiled, warnings) = dgov_plan::compile_plan_dir_with(&dir, &opts)
        .map_err(|e| with_code(exit::USAGE, anyhow::anyhow!("{e}")))?;
    if !g.json {
        for w in &warnings {
            eprintln!("{w}");
        }
    }
    dgov_plan::write_compiled(&compiled).context("writing _compiled.toml")?;
    let mut plan = to_run_plan(&compiled, &dir);
    if let Some(unit) = &args.only {
        plan = plan.only(unit).ok_or_else(|| {
            with_code(
                exit::USAGE,
                anyhow::anyhow!("task '{unit}' not found in plan {}", plan.name),
            )
        })?;
    }
    let mode = if args.restart {
        RunMode::Restart
    } else if args.continue_ {
        RunMode::Continue
    } else {
        RunMode::Fresh
    };
    let cfg = RunConfig {
        root: root.clone(),
        mode,
        max_parallel: args.max_parallel,
        archive: args.only.is_none(),
    };
    let worker: Arc<dyn Worker> = match worker_kind {
        WorkerKind::Fake => Arc::new(FakeWorker::default()),
        WorkerKind::Command => Arc::new(CommandWorker),
        WorkerKind::Llm => crate::cmd_worker::llm_worker(&root, &compiled, args.record)?,
    };
    let progress: Arc<dyn Progress> = if g.json {
        Arc::new(dgov_runner::Silent)
    } else if std::io::stderr().is_terminal() {
        Arc::new(TtyProgress::new(plan.tasks.len()))
    } else {
        Arc::new(PlainProgress)
    };
    // Settlement: the WASM gate pipeline under the repository's [settlement] policy;
    // DGOV_SETTLEMENT=accept-all bypasses it (tests of the runner itself).
    let settlement: Arc<dyn dgov_runner::Settlement> =
        if std::env::var("DGOV_SETTLEMENT").is_ok_and(|v| v == "accept-all") {
            Arc::new(AcceptAll)
        } else {
            let runtime = dgov_plugin_host::Runtime::new(Default::default())
                .map_err(|e| anyhow::anyhow!("starting the plugin runtime: {e}"))?;
            Arc::new(dgov_settlement::GateSettlement::new(Arc::new(
                dgov_settlement::Pipeline::new(dgov_settlement::Gates::new(Arc::new(runtime))),
            )))
        };
    let deps = RunDeps {
        worker,
        settlement,
        progress: progress.clone(),
    };
    // Sentrux: a missing baseline is created once, before anything is dispatched.
    let sentrux = crate::cmd_sentrux::RunHooks::before_dispatch(&root, g)?;
    let full_plan = args.only.is_none();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let started = Instant::now();
    let report = rt.block_on(async move {
        let ticker = progress_ticker(progress);
        let res = dgov_runner::run(plan, cfg, lock, deps, shutdown_signal()).await;
        ticker.abort();
        res
    });
    let report = report.map_err(|e| with_code(exit::FAILURE, anyhow::anyhow!("{e}")))?;
    let sentrux = sentrux.map(|h| {
        // The plan directory and its archive are the run's own changes, not the user's.
        let exempt = crate::cmd_sentrux::relative_dirs(
            &root,
            [Some(dir.as_path()), report.archived_to.as_deref()],
        );
        let end = crate::cmd_sentrux::RunEnd {
            complete: report.status == RunStatus::Complete,
            full_plan,
            all_deployed: report.summary.skipped.is_empty(),
            exempt: &exempt,
        };
        h.after_run(end, g)
    });
    print_summary(&report, started.elapsed(), g, sentrux.as_ref());
    Ok(match report.status {
        RunStatus::Complete => exit::SUCCESS,
        RunStatus::Interrupted => exit::INTERRUPTED,
        RunStatus::Partial | RunStatus::Failed => exit::FAILURE,
    })
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out.canonicalize().unwrap_or(out)
}

/// Compiled plan → the runner's plan. Prompts go to the worker as compiled.
pub fn to_run_plan(plan: &dgov_plan::CompiledPlan, dir: &Path) -> RunPlan {
    RunPlan {
        name: plan.name.clone(),
        dir: Some(dir.to_path_buf()),
        tasks: plan
            .tasks
            .iter()
            .map(|t| RunTask {
                id: t.id.clone(),
                depends_on: t.depends_on.clone(),
                prompt: t.prompt.clone(),
                files: t.files.writes().cloned().collect(),
                read: t.files.read.clone(),
                test_cmd: Some(t.test_cmd.clone()).filter(|c| !c.trim().is_empty()),
                commit_message: t.effective_commit_message(),
                timeout: Some(Duration::from_secs(t.effective_timeout_s())),
                retries: plan.retries_for(t),
                forks: t.max_fork_depth,
            })
            .collect(),
    }
}

fn bootstrap(repo: &Repo, yes: bool, g: &Globals) -> anyhow::Result<()> {
    let files = repo.bootstrap_candidates()?;
    if files.is_empty() {
        return Err(with_code(
            exit::USAGE,
            dgov_git::GitError::NothingToBootstrap.into(),
        ));
    }
    let only_dgov = files.iter().all(|f| f.starts_with(".dgov/"));
    if !(only_dgov || yes || !std::io::stdin().is_terminal()) {
        eprint!(
            "The repository has no commits. Commit the current working tree ({} file(s)) as a bootstrap commit? [Y/n] ",
            files.len()
        );
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the answer")?;
        if matches!(line.trim().to_ascii_lowercase().as_str(), "n" | "no") {
            return Err(with_code(
                exit::USAGE,
                anyhow::anyhow!(
                    "declined the bootstrap commit; commit your files yourself or pass -y"
                ),
            ));
        }
    }
    let n = repo.bootstrap_commit()?;
    if !g.json {
        eprintln!("Created bootstrap commit from current working tree ({n} file(s)).");
    }
    Ok(())
}

fn report_dirty(dirty: &[String], g: &Globals) {
    let shown: Vec<&String> = dirty.iter().take(10).collect();
    let omitted = dirty.len() - shown.len();
    if g.json {
        let doc = json!({
            "status": "blocked",
            "dispatch_status": "blocked_by_dirty_worktree",
            "dirty_count": dirty.len(),
            "dirty_paths": shown,
            "dirty_omitted": omitted,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return;
    }
    eprintln!("dgov: working tree has uncommitted changes");
    eprintln!("dispatch_status: blocked_by_dirty_worktree");
    eprintln!("dirty_count: {}", dirty.len());
    eprintln!(
        "Workers start from committed state only, so these changes would be invisible to them:"
    );
    eprintln!("dirty_paths:");
    for p in shown {
        eprintln!("  {p}");
    }
    eprintln!("dirty_omitted: {omitted}");
    eprintln!("Fix: commit or stash these changes, then run again.");
}

fn print_summary(
    report: &RunReport,
    elapsed: Duration,
    g: &Globals,
    sentrux: Option<&serde_json::Value>,
) {
    // A structurally degraded run that merged everything is `degraded`: exit 0, warned.
    let degraded = report.status == RunStatus::Complete
        && sentrux.is_some_and(|v| v["degraded"] == serde_json::Value::Bool(true));
    let status = if degraded {
        "degraded"
    } else {
        report.status.as_str()
    };
    let s = &report.summary;
    let mut abandoned = s.abandoned.clone();
    abandoned.extend(s.timed_out.iter().cloned());
    if g.json {
        let errors: serde_json::Map<String, serde_json::Value> = report
            .errors
            .iter()
            .map(|(t, e)| (t.clone(), json!(e)))
            .collect();
        let doc = json!({
            "status": status,
            "plan": report.plan,
            "sentrux": sentrux,
            "run_id": report.run_id,
            "succeeded": s.merged.len(),
            "failed": s.failed.len(),
            "abandoned": abandoned.len(),
            "skipped": s.skipped.len(),
            "merged_tasks": s.merged,
            "failed_tasks": s.failed,
            "abandoned_tasks": abandoned,
            "skipped_tasks": s.skipped,
            "merged_now": report.merged_now.iter().map(|(t, sha)| json!({"task": t, "sha": sha})).collect::<Vec<_>>(),
            "task_errors": errors,
            "reconciled": report.reconciled,
            "archived_to": report.archived_to,
            "duration_s": report.duration_s,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return;
    }
    for r in &report.reconciled {
        eprintln!("recovered: {r}");
    }
    for (task, err) in &report.errors {
        let short: String = err.chars().take(200).collect();
        eprintln!("  {task}: {short}");
    }
    if !abandoned.is_empty() {
        eprintln!(
            "  {} task(s) abandoned or timed out; `dgov run {} --continue` retries them",
            abandoned.len(),
            report.plan
        );
    }
    println!("status: {status}");
    println!("plan: {}", report.plan);
    println!("succeeded: {}", s.merged.len());
    println!("failed: {}", s.failed.len());
    println!("abandoned: {}", abandoned.len());
    println!("skipped: {}", s.skipped.len());
    if !s.failed.is_empty() {
        println!("failed_tasks: {}", s.failed.join(", "));
    }
    if !abandoned.is_empty() {
        println!("abandoned_tasks: {}", abandoned.join(", "));
    }
    if !s.skipped.is_empty() {
        println!("skipped_tasks: {}", s.skipped.join(", "));
    }
    println!("duration_s: {:.2}", elapsed.as_secs_f64());
    if let Some(result) = sentrux.and_then(|v| v["baseline_refresh"]["result"].as_str()) {
        // committed / already current / refused (the reason is on stderr).
        println!("sentrux_baseline: {}", result.replace('_', " "));
    }
    if let Some(dest) = &report.archived_to {
        println!("Plan fully deployed → archived to {}", dest.display());
        println!("  (commit the move: git add -A .dgov/plans)");
    }
    println!("  Live view: dgov watch   |   State: dgov status");
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

fn progress_ticker(progress: Arc<dyn Progress>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            progress.event(ProgressEvent::Notice(String::new()));
        }
    })
}

/// One line per change, for logs and pipes.
struct PlainProgress;

impl Progress for PlainProgress {
    fn event(&self, e: ProgressEvent) {
        match e {
            // A pending task with a fresh attempt number is just queued; say nothing.
            ProgressEvent::Task {
                state: TaskState::Pending,
                ..
            } => {}
            ProgressEvent::Task {
                task,
                state,
                attempt,
                detail,
            } => match detail {
                Some(d) => eprintln!(
                    "  [{task}] {state} (attempt {attempt}): {}",
                    d.lines().next().unwrap_or("")
                ),
                None => eprintln!("  [{task}] {state} (attempt {attempt})"),
            },
            ProgressEvent::Merged { task, sha } => eprintln!("  [{task}] landed {:.7}", sha),
            ProgressEvent::Notice(n) if !n.is_empty() => eprintln!("  {n}"),
            ProgressEvent::Notice(_) => {}
        }
    }
}

/// A status line redrawn in place: counts, and which task is where for how long.
struct TtyProgress {
    total: usize,
    state: Mutex<TtyState>,
}

struct TtyState {
    tasks: std::collections::BTreeMap<String, (TaskState, Instant)>,
    started: Instant,
}

impl TtyProgress {
    fn new(total: usize) -> TtyProgress {
        TtyProgress {
            total,
            state: Mutex::new(TtyState {
                tasks: Default::default(),
                started: Instant::now(),
            }),
        }
    }

    fn redraw(&self, st: &TtyState) {
        let count = |s: TaskState| st.tasks.values().filter(|(x, _)| *x == s).count();
        let mut line = format!(
            "[{:>5.1}s] {}/{} merged",
            st.started.elapsed().as_secs_f64(),
            count(TaskState::Merged),
            self.total
        );
        let bad =
            count(TaskState::Failed) + count(TaskState::TimedOut) + count(TaskState::Abandoned);
        if bad > 0 {
            line.push_str(&format!(", {bad} failed"));
        }
        let mut busy: Vec<String> = st
            .tasks
            .iter()
            .filter(|(_, (s, _))| s.is_in_flight())
            .map(|(t, (s, since))| format!("{t} {} {}s", short(*s), since.elapsed().as_secs()))
            .collect();
        if busy.len() > 4 {
            let more = busy.len() - 4;
            busy.truncate(4);
            busy.push(format!("+{more}"));
        }
        if !busy.is_empty() {
            line.push_str(" | ");
            line.push_str(&busy.join(", "));
        }
        let width = 118;
        let line: String = line.chars().take(width).collect();
        eprint!("\r\x1b[2K{line}");
        let _ = std::io::stderr().flush();
    }
}

fn short(s: TaskState) -> &'static str {
    match s {
        TaskState::Active => "working",
        TaskState::Reviewing | TaskState::ReviewedPass => "settling",
        TaskState::Merging => "merging",
        other => other.as_str(),
    }
}

impl Progress for TtyProgress {
    fn event(&self, e: ProgressEvent) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match e {
            ProgressEvent::Task {
                task,
                state,
                detail,
                ..
            } => {
                if let Some(d) = detail {
                    eprintln!(
                        "\r\x1b[2K  [{task}] {state}: {}",
                        d.lines().next().unwrap_or("")
                    );
                }
                st.tasks.insert(task, (state, Instant::now()));
            }
            ProgressEvent::Merged { task, sha } => {
                eprintln!("\r\x1b[2K  [{task}] landed {:.7}", sha)
            }
            ProgressEvent::Notice(n) if !n.is_empty() => eprintln!("\r\x1b[2K  {n}"),
            ProgressEvent::Notice(_) => {}
        }
        self.redraw(&st);
    }
}

impl Drop for TtyProgress {
    fn drop(&mut self) {
        eprint!("\r\x1b[2K");
    }
}
