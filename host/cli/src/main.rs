//! The `dgov` binary: flags, output and wiring only. Every command's work is done by a
//! library crate under `host/`; this crate turns clap types into plain configuration,
//! calls the library, and renders the result (text on a terminal, one JSON document with
//! `--json`). It is the only crate that knows about terminals, colours and exit codes.

mod cmd_clean;
mod cmd_coverage;
mod cmd_demo;
mod cmd_fix;
mod cmd_ledger;
mod cmd_plan;
mod cmd_plugin;
mod cmd_run;
mod cmd_sentrux;
mod cmd_settlement;
mod cmd_status;
mod cmd_watch;
mod cmd_worker;
mod exit;
mod scaffold;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// dgov — a deterministic kernel for multi-agent coding work.
///
/// A plan is a tree of coding tasks; each task goes to an LLM coding agent in its own git
/// worktree, and what the agent produces lands on the target branch only after settlement
/// (scope checks, gates, an integration candidate) says so.
#[derive(Debug, Parser)]
#[command(name = "dgov", version, propagate_version = true)]
pub struct Cli {
    /// Print one machine-readable JSON document instead of human-readable text.
    #[arg(long, global = true)]
    json: bool,

    /// Repository to operate on (defaults to the current directory).
    #[arg(long, short = 'C', global = true, value_name = "DIR")]
    repo: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scaffold .dgov/ (project.toml, governor charter, SOPs, .gitignore) for this repository.
    Init(cmd_plan::InitArgs),
    /// Scaffold a new plan tree under .dgov/plans/NAME.
    InitPlan(cmd_plan::InitPlanArgs),
    /// Compile a plan tree into a deterministic _compiled.toml (fails closed on any error).
    Compile(cmd_plan::CompileArgs),
    /// Re-check a compiled plan against the current project configuration.
    Validate(cmd_plan::ValidateArgs),
    /// Inspect plans: status of one plan, or the list of plans.
    Plan(cmd_plan::PlanArgs),
    /// Move .dgov/plans/NAME to .dgov/plans/archive/NAME.
    ArchivePlan(cmd_plan::ArchivePlanArgs),
    /// Run a plan: dispatch its tasks to workers in worktrees and merge them serially.
    Run(cmd_run::RunArgs),
    /// Show runs in progress and where every task is (also what bare `dgov` prints).
    Status(cmd_status::StatusArgs),
    /// Stream the event log of a run as it happens.
    Watch(cmd_watch::WatchArgs),
    /// Record and query bugs, rules and decisions (the ledger).
    Ledger(cmd_ledger::LedgerArgs),
    /// Delete output directories, orphan worktrees and merged dgov/* branches.
    Clean(cmd_clean::CleanArgs),
    /// Drop historical abandoned tasks from the status view.
    Prune(cmd_clean::PruneArgs),
    /// WASM plugins: list them, check a plugin file, scaffold a new one.
    Plugin(cmd_plugin::PluginArgs),
    /// Run a three-task demo plan end to end, offline, in a scratch repository.
    Demo(cmd_demo::DemoArgs),
    /// Fix something in a few files: a one-task plan, run and archived when it lands.
    Fix(cmd_fix::FixArgs),
    /// Settlement policy: `settlement show` prints each phase's gates.
    Settlement(cmd_settlement::SettlementArgs),
    /// Check policy drift, then run the structural and isolated gates on local changes.
    ///
    /// Drift: AGENTS.md / CLAUDE.md / GEMINI.md must all exist and be identical (when any
    /// does), every [settlement] gate must resolve to a plugin, every .dgov/sops/*.md must
    /// load. Then the structural and isolated settlement gates run on the uncommitted
    /// changes (claims not enforced). Exit 1 when anything fails, 2 when
    /// .dgov/project.toml does not load.
    Preflight(cmd_settlement::PreflightArgs),
    /// Named verification recipes from [verify.<name>]: list them or run one.
    Verify(cmd_settlement::VerifyArgs),
    /// Check local changes against claimed paths (structural review preview).
    Scope(cmd_settlement::ScopeArgs),
    /// Architecture checks (sentrux): rules, baseline gate, offenders, status.
    Sentrux(cmd_sentrux::SentruxArgs),
    /// Run [project].coverage_cmd and store .coverage-baseline/coverage.json, the baseline
    /// the settlement coverage gate compares changed files with. Exit 1 when the command fails.
    CoverageBaseline(cmd_coverage::CoverageBaselineArgs),
    /// One LLM worker attempt (internal: launched by `dgov run`).
    #[command(hide = true)]
    Worker(cmd_worker::WorkerArgs),
}

/// Global options every command receives, already resolved from flags.
#[derive(Debug, Clone)]
pub struct Globals {
    pub json: bool,
    pub repo: PathBuf,
}

fn main() -> ExitCode {
    // Die quietly on a closed pipe (`dgov status | head`) instead of panicking in println!.
    // SAFETY: restoring the default disposition of SIGPIPE before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let globals = Globals {
        json: cli.json,
        repo: cli.repo.clone().unwrap_or_else(|| PathBuf::from(".")),
    };
    let result = match cli.command {
        None => cmd_status::run(cmd_status::StatusArgs::default(), &globals),
        Some(Command::Init(a)) => cmd_plan::run_init(a, &globals),
        Some(Command::InitPlan(a)) => cmd_plan::run_init_plan(a, &globals),
        Some(Command::Compile(a)) => cmd_plan::run_compile(a, &globals),
        Some(Command::Validate(a)) => cmd_plan::run_validate(a, &globals),
        Some(Command::Plan(a)) => cmd_plan::run_plan(a, &globals),
        Some(Command::ArchivePlan(a)) => cmd_plan::run_archive_plan(a, &globals),
        Some(Command::Run(a)) => cmd_run::run(a, &globals),
        Some(Command::Status(a)) => cmd_status::run(a, &globals),
        Some(Command::Watch(a)) => cmd_watch::run(a, &globals),
        Some(Command::Ledger(a)) => cmd_ledger::run(a, &globals),
        Some(Command::Clean(a)) => cmd_clean::run_clean(a, &globals),
        Some(Command::Prune(a)) => cmd_clean::run_prune(a, &globals),
        Some(Command::Plugin(a)) => cmd_plugin::run(a, &globals),
        Some(Command::Demo(a)) => cmd_demo::run(a, &globals),
        Some(Command::Fix(a)) => cmd_fix::run(a, &globals),
        Some(Command::Worker(a)) => cmd_worker::run(a, &globals),
        Some(Command::Settlement(a)) => cmd_settlement::run_settlement(a, &globals),
        Some(Command::Preflight(a)) => cmd_settlement::run_preflight(a, &globals),
        Some(Command::Verify(a)) => cmd_settlement::run_verify(a, &globals),
        Some(Command::Scope(a)) => cmd_settlement::run_scope(a, &globals),
        Some(Command::Sentrux(a)) => cmd_sentrux::run(a, &globals),
        Some(Command::CoverageBaseline(a)) => cmd_coverage::run(a, &globals),
    };
    exit::report(result, &globals)
}
