//! Settlement commands: `dgov settlement show` (the effective gate policy), `dgov preflight`
//! (policy drift, then the structural and isolated gates on local changes), `dgov verify
//! list|run NAME` (`[verify.<name>]` recipes) and `dgov scope status` (the scope gate's
//! record of local changes against claims).

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use dgov_settlement::scope_status::{ScopeQuery, ScopeRecord};
use dgov_settlement::{GateProgress, GateVerdict, Gates, Outcome, Pipeline, drift, policy};
use serde_json::json;

use crate::Globals;
use crate::cmd_run::project_root;
use crate::exit::{self, with_code};

#[derive(Debug, Args)]
pub struct SettlementArgs {
    #[command(subcommand)]
    pub command: SettlementCommand,
}

#[derive(Debug, Subcommand)]
pub enum SettlementCommand {
    /// Print the effective settlement policy: each phase's gates, config and on_fail.
    Show,
}

/// `dgov preflight` (its help text is on the `Preflight` command in main.rs).
#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// Skip the policy drift checks (run only the gates).
    #[arg(long)]
    pub no_drift: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(subcommand)]
    pub command: VerifyCommand,
}

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// List the `[verify.<name>]` recipes of .dgov/project.toml.
    List,
    /// Run one recipe in the project root; exit 1 when it fails.
    Run {
        /// Recipe name.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct ScopeArgs {
    #[command(subcommand)]
    pub command: ScopeCommand,
}

#[derive(Debug, Subcommand)]
pub enum ScopeCommand {
    /// Check the working tree's changes against claimed paths (the scope gate's record).
    ///
    /// Prints the claims, the modified files and how the scope gate classified them
    /// (ignored, unclaimed, denied or outside the allow-list by [scope] of
    /// .dgov/project.toml, governor-owned), then the blocking failure or `blocking: (none)`.
    /// With --plan and --task the claims are that task's, and the paths its worker wrote
    /// through its tools in its latest attempt count too, even if reverted. Exit 1 when
    /// something blocks.
    Status(ScopeStatusArgs),
}

#[derive(Debug, Args)]
pub struct ScopeStatusArgs {
    /// Task id in the plan given with --plan (or a unique suffix of it, such as the slug).
    #[arg(long, value_name = "TASK", requires = "plan")]
    pub task: Option<String>,
    /// Compiled plan: a plan name under .dgov/plans, a plan directory or a _compiled.toml.
    #[arg(long, value_name = "PLAN", requires = "task", conflicts_with_all = ["claims", "read"])]
    pub plan: Option<PathBuf>,
    /// A path the change may write (repeatable); none and no --plan = claims not enforced.
    #[arg(long = "claim", value_name = "PATH")]
    pub claims: Vec<String>,
    /// A path the change may only read (repeatable).
    #[arg(long = "read", value_name = "PATH")]
    pub read: Vec<String>,
}

fn usage(e: impl std::fmt::Display) -> anyhow::Error {
    with_code(exit::USAGE, anyhow::anyhow!("{e}"))
}

pub fn run_settlement(args: SettlementArgs, g: &Globals) -> anyhow::Result<u8> {
    let SettlementCommand::Show = args.command;
    let root = project_root(&g.repo);
    let (policy, _) = policy::load(&root).map_err(usage)?;
    if g.json {
        println!("{}", serde_json::to_string_pretty(&policy)?);
        return Ok(exit::SUCCESS);
    }
    println!(
        "settlement policy of {} (verdict cache: {}; command timeout {}s; pre-existing findings {})",
        root.display(),
        if policy.cache { "on" } else { "off" },
        policy.command_timeout_s,
        if policy.block_preexisting {
            "block"
        } else {
            "warn"
        }
    );
    let word = |o: policy::OnFail| match o {
        policy::OnFail::Reject => "reject",
        policy::OnFail::Warn => "warn",
    };
    for phase in policy::PhaseName::ALL {
        let gates = policy.gates(phase);
        println!("{}:", phase.as_str());
        if gates.is_empty() {
            println!("  (no gates)");
        }
        for e in gates {
            let cmd = e
                .config
                .get("command")
                .and_then(|c| c.as_str())
                .map(|c| format!(" `{c}`"))
                .unwrap_or_default();
            println!(
                "  - {}{cmd}  on_fail={} on_error={}{}",
                e.gate,
                word(e.on_fail),
                word(e.on_error),
                if e.default { "  (default)" } else { "" }
            );
        }
    }
    Ok(exit::SUCCESS)
}

fn pipeline() -> anyhow::Result<Pipeline> {
    let runtime = dgov_plugin_host::Runtime::new(Default::default())
        .map_err(|e| anyhow::anyhow!("starting the plugin runtime: {e}"))?;
    Ok(Pipeline::new(Gates::new(Arc::new(runtime))))
}

/// Progress on stderr while gates run (a test gate can take minutes): on a terminal one line
/// naming the running gate, replaced as gates finish; elsewhere (CI logs) one line per gate.
/// The verdicts themselves are printed on stdout at the end.
fn gate_progress() -> dgov_settlement::ProgressObserver {
    let tty = std::io::stderr().is_terminal();
    Arc::new(move |event| {
        let mut err = std::io::stderr().lock();
        match event {
            GateProgress::Started { phase, gate } if tty => {
                let _ = write!(err, "\r\x1b[2K{phase} › {gate} …");
            }
            GateProgress::Started { phase, gate } => {
                let _ = writeln!(err, "{phase} › {gate} …");
            }
            GateProgress::Finished { .. } if tty => {
                let _ = write!(err, "\r\x1b[2K");
            }
            GateProgress::Finished { .. } => {}
        }
        let _ = err.flush();
    })
}

fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(rt.block_on(f))
}

fn print_gates(out: &Outcome) {
    for r in &out.gates {
        let mark = match r.verdict {
            GateVerdict::Pass => "pass",
            GateVerdict::Warn => "warn",
            GateVerdict::Fail => "FAIL",
            GateVerdict::Skip => "skip",
            GateVerdict::Error => "ERROR",
        };
        println!("  {mark:5} {}: {}", r.gate, r.summary);
    }
}

/// The preflight error: drift issues first, then the settlement error, a blank line apart.
fn preflight_error(issues: &[drift::DriftIssue], settlement: Option<&str>) -> Option<String> {
    let mut parts = Vec::new();
    if !issues.is_empty() {
        let lines: Vec<String> = issues.iter().map(|i| format!("- {i}")).collect();
        parts.push(format!("Policy source drift:\n{}", lines.join("\n")));
    }
    parts.extend(settlement.map(str::to_string));
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

pub fn run_preflight(args: PreflightArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = project_root(&g.repo);
    let issues = if args.no_drift {
        Vec::new()
    } else {
        drift::check(&root)
    };
    let mut p = pipeline()?;
    if !g.json {
        p = p.with_progress(gate_progress());
    }
    // A project file that does not load is an input error (exit 2); it is still reported
    // together with the drift found, in the same shape.
    let (out, settlement_error, code) = match block_on(p.preflight(&root))? {
        Ok(out) => {
            let error = (!out.passed).then(|| out.reason.clone());
            let code = if out.passed && issues.is_empty() {
                exit::SUCCESS
            } else {
                exit::FAILURE
            };
            (Some(out), error, code)
        }
        Err(e) => (None, Some(e), exit::USAGE),
    };
    let error = preflight_error(&issues, settlement_error.as_deref());
    if g.json {
        let drift: Vec<String> = issues.iter().map(ToString::to_string).collect();
        let gates = out.as_ref().map(|o| o.gates.as_slice()).unwrap_or(&[]);
        println!(
            "{}",
            json!({
                "passed": error.is_none(),
                "project_root": root,
                "error": error,
                "policy_drift": drift,
                "gates": gates,
            })
        );
        return Ok(code);
    }
    if let Some(out) = &out {
        print_gates(out);
    }
    match error {
        None => println!("Preflight passed."),
        Some(e) => println!("Preflight failed:\n{e}"),
    }
    Ok(code)
}

pub fn run_verify(args: VerifyArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = project_root(&g.repo);
    let (cfg, _) = dgov_plan::load_project_config(&root).map_err(usage)?;
    match args.command {
        VerifyCommand::List => {
            if g.json {
                let recipes: Vec<_> = cfg
                    .verify
                    .iter()
                    .map(|(n, r)| json!({"name": n, "description": r.description, "command": r.command}))
                    .collect();
                println!("{}", json!({"recipes": recipes}));
            } else if cfg.verify.is_empty() {
                println!("no [verify.<name>] recipes in .dgov/project.toml");
            } else {
                for (n, r) in &cfg.verify {
                    println!("{n}: {}  — {}", r.command, r.description);
                }
            }
            Ok(exit::SUCCESS)
        }
        VerifyCommand::Run { name } => {
            let Some(recipe) = cfg.verify.get(&name) else {
                let known: Vec<&String> = cfg.verify.keys().collect();
                return Err(with_code(
                    exit::FAILURE,
                    anyhow::anyhow!(
                        "unknown verify recipe `{name}` (known: {known:?}); add [verify.{name}] to .dgov/project.toml"
                    ),
                ));
            };
            if !g.json {
                eprintln!("{name}: running `{}` …", recipe.command);
            }
            let res = dgov_settlement::verify::run(
                &root,
                &name,
                &recipe.command,
                &recipe.log_name,
                Duration::from_secs(300),
            )
            .map_err(usage)?;
            if g.json {
                println!("{}", serde_json::to_string(&res)?);
            } else {
                println!("{name}: {} (log: {})", res.summary, res.log.display());
            }
            Ok(if res.exit_code == 0 {
                exit::SUCCESS
            } else {
                exit::FAILURE
            })
        }
    }
}

/// The claims and transient writes `dgov scope status` checks with.
fn scope_query(args: ScopeStatusArgs, root: &Path) -> anyhow::Result<ScopeQuery> {
    let (Some(plan_arg), Some(task_arg)) = (&args.plan, &args.task) else {
        let claims = (!args.claims.is_empty() || !args.read.is_empty())
            .then(|| (args.claims.clone(), args.read.clone()));
        return Ok(ScopeQuery {
            claims,
            transient_writes: Vec::new(),
        });
    };
    // As given (relative to the current directory), else relative to the project root,
    // else a plan name under .dgov/plans.
    let path = [
        plan_arg.clone(),
        root.join(plan_arg),
        root.join(dgov_plan::status::PLANS_DIR).join(plan_arg),
    ]
    .into_iter()
    .find(|p| p.exists())
    .unwrap_or_else(|| plan_arg.clone());
    let plan = dgov_plan::load_compiled(&path).map_err(|e| {
        usage(format!(
            "--plan {}: {e} (give a compiled plan: run `dgov compile <plan dir>` first)",
            plan_arg.display()
        ))
    })?;
    let task = find_task(&plan, task_arg).map_err(usage)?;
    let writable: Vec<String> = task.files.writes().cloned().collect();
    let read = task.files.read.clone();
    Ok(ScopeQuery {
        claims: Some((writable, read)),
        transient_writes: dgov_settlement::scope_status::task_transient_writes(
            root, &plan.name, &task.id,
        ),
    })
}

/// A task by its full id, or by a suffix that names exactly one task (`slug`, `file.slug`).
fn find_task<'a>(
    plan: &'a dgov_plan::CompiledPlan,
    wanted: &str,
) -> Result<&'a dgov_plan::CompiledTask, String> {
    if let Some(t) = plan.tasks.iter().find(|t| t.id == wanted) {
        return Ok(t);
    }
    let matches: Vec<&dgov_plan::CompiledTask> = plan
        .tasks
        .iter()
        .filter(|t| {
            t.id.strip_suffix(wanted)
                .is_some_and(|rest| rest.ends_with(['.', '/']))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => {
            let known: Vec<&str> = plan.tasks.iter().map(|t| t.id.as_str()).collect();
            Err(format!(
                "--task {wanted}: no such task in plan {} (tasks: {})",
                plan.name,
                known.join(", ")
            ))
        }
        many => {
            let ids: Vec<&str> = many.iter().map(|t| t.id.as_str()).collect();
            Err(format!(
                "--task {wanted} is ambiguous in plan {}: {}; give the full id",
                plan.name,
                ids.join(", ")
            ))
        }
    }
}

fn joined(paths: &[String]) -> String {
    if paths.is_empty() {
        "(none)".into()
    } else {
        paths.join(", ")
    }
}

/// The record as text: claims and modified files always, other lists when non-empty.
fn scope_text(rec: &ScopeRecord) -> String {
    let mut lines = Vec::new();
    let writable = if rec.claims_enforced {
        joined(&rec.claimed_writable)
    } else {
        "(none; claims not enforced)".into()
    };
    lines.push(format!("claimed_writable: {writable}"));
    lines.push(format!(
        "claimed_readonly: {}",
        joined(&rec.claimed_readonly)
    ));
    lines.push(format!("modified_files: {}", joined(&rec.actual_files)));
    for (label, paths) in [
        ("transient_write_paths", &rec.transient_write_paths),
        ("ignored_actual_paths", &rec.ignored_actual_paths),
        ("ignored_transient_paths", &rec.ignored_transient_paths),
        ("unclaimed_actual_paths", &rec.unclaimed_actual_paths),
        ("unclaimed_transient_paths", &rec.unclaimed_transient_paths),
        ("path_policy_denied_paths", &rec.path_policy_denied_paths),
        (
            "path_policy_outside_allow_paths",
            &rec.path_policy_outside_allow_paths,
        ),
        ("reserved_paths", &rec.reserved_paths),
    ] {
        if !paths.is_empty() {
            lines.push(format!("{label}: {}", joined(paths)));
        }
    }
    lines.push(match &rec.blocking_failure {
        Some(b) => format!("blocking: {}: {}", b.code, b.message),
        None => "blocking: (none)".into(),
    });
    lines.join("\n")
}

pub fn run_scope(args: ScopeArgs, g: &Globals) -> anyhow::Result<u8> {
    let ScopeCommand::Status(args) = args.command;
    let root = project_root(&g.repo);
    let query = scope_query(args, &root)?;
    let p = pipeline()?;
    let status = block_on(dgov_settlement::scope_status::scope_status(
        p.gates(),
        &root,
        query,
    ))?
    .map_err(usage)?;
    if g.json {
        let mut doc = serde_json::to_value(&status.record)?;
        doc["passed"] = json!(status.passed);
        doc["project_root"] = json!(root);
        println!("{doc}");
    } else {
        println!("{}", scope_text(&status.record));
    }
    Ok(if status.passed {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}
