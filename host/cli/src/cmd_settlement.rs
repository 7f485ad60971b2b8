//! Settlement commands: `dgov settlement show` (the effective gate policy), `dgov preflight`
//! (the structural and isolated gates on local changes), `dgov verify list|run NAME`
//! (`[verify.<name>]` recipes) and `dgov scope status` (the structural review of local
//! changes against claims).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use dgov_settlement::{GateVerdict, Gates, Outcome, Pipeline, policy};
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

#[derive(Debug, Args)]
pub struct PreflightArgs {}

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
    /// Check the working tree's changes against claimed paths (the structural review).
    Status {
        /// A path the change may write (repeatable); none = claims not enforced.
        #[arg(long = "claim", value_name = "PATH")]
        claims: Vec<String>,
        /// A path the change may only read (repeatable).
        #[arg(long = "read", value_name = "PATH")]
        read: Vec<String>,
    },
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
        "settlement policy of {} (verdict cache: {}; command timeout {}s)",
        root.display(),
        if policy.cache { "on" } else { "off" },
        policy.command_timeout_s
    );
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
                "  - {}{cmd}  on_fail={:?} on_error={:?}{}",
                e.gate,
                e.on_fail,
                e.on_error,
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

fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(rt.block_on(f))
}

fn print_outcome(out: &Outcome, g: &Globals, root: &std::path::Path) {
    if g.json {
        println!(
            "{}",
            json!({"passed": out.passed, "project_root": root, "error": (!out.passed).then_some(&out.reason), "gates": out.gates})
        );
        return;
    }
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
    if out.passed {
        println!("Preflight passed.");
    } else {
        println!("Preflight failed:\n{}", out.reason);
    }
}

pub fn run_preflight(_args: PreflightArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = project_root(&g.repo);
    let p = pipeline()?;
    let out = block_on(p.preflight(&root))?.map_err(usage)?;
    print_outcome(&out, g, &root);
    Ok(if out.passed {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
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

pub fn run_scope(args: ScopeArgs, g: &Globals) -> anyhow::Result<u8> {
    let ScopeCommand::Status { claims, read } = args.command;
    let root = project_root(&g.repo);
    let p = pipeline()?;
    let out = block_on(p.scope_status(&root, claims, read))?.map_err(usage)?;
    if g.json {
        println!(
            "{}",
            json!({"passed": out.passed, "blocking": (!out.passed).then_some(&out.reason), "gates": out.gates})
        );
    } else if out.passed {
        println!("blocking: (none)");
    } else {
        println!("blocking: {}", out.reason);
    }
    Ok(if out.passed {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}
