//! `dgov sentrux …`: architecture checks through the built-in `sentrux-analyzer` plugin.
//! The work (scan, baseline, comparison, rendering) is in `dgov-architecture`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use dgov_architecture::analyzer::block_on;
use dgov_architecture::commands::{self, CommandOutput};
use dgov_architecture::{Architecture, ArchitectureError};

use crate::Globals;
use crate::exit::{self, with_code};

#[derive(Debug, Args)]
pub struct SentruxArgs {
    #[command(subcommand)]
    command: SentruxCommand,
}

#[derive(Debug, Subcommand)]
enum SentruxCommand {
    /// Check .sentrux/rules.toml (constraints, layers, boundaries); exit 1 on any violation.
    Check(PathArg),
    /// Scan the tree and write .sentrux/baseline.json.
    GateSave(PathArg),
    /// Compare the tree with .sentrux/baseline.json; exit 1 when degraded.
    Gate(PathArg),
    /// The worst files and functions of each category (top 5).
    Offenders(PathArg),
    /// Whether the analyzer is available, and the state of the baseline and rules.
    Status(PathArg),
}

#[derive(Debug, Args)]
struct PathArg {
    /// Repository root to scan (defaults to --repo / the current directory).
    path: Option<PathBuf>,
}

fn load() -> Result<Architecture, ArchitectureError> {
    let runtime = dgov_plugin_host::Runtime::new(Default::default())
        .map_err(|e| ArchitectureError::Load(format!("starting the plugin runtime: {e}")))?;
    Architecture::new(&runtime)
}

fn print(out: &CommandOutput, g: &Globals) -> u8 {
    if g.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out.json).unwrap_or_default()
        );
    } else {
        print!("{}", out.stdout);
    }
    if !out.stderr.is_empty() && !g.json {
        eprint!("{}", out.stderr);
    }
    out.code
}

fn failed(e: ArchitectureError) -> anyhow::Error {
    // Bad rules or a bad baseline come from the user (exit 2); a broken scan is a failure.
    let code = match e {
        ArchitectureError::InvalidInput(_) | ArchitectureError::Baseline { .. } => exit::USAGE,
        ArchitectureError::Git { .. } => exit::USAGE,
        _ => exit::FAILURE,
    };
    with_code(code, anyhow::Error::new(e))
}

pub fn run(args: SentruxArgs, g: &Globals) -> anyhow::Result<u8> {
    let path_of = |p: &PathArg| p.path.clone().unwrap_or_else(|| g.repo.clone());
    let (cmd, root) = match &args.command {
        SentruxCommand::Check(p)
        | SentruxCommand::GateSave(p)
        | SentruxCommand::Gate(p)
        | SentruxCommand::Offenders(p)
        | SentruxCommand::Status(p) => (&args.command, path_of(p)),
    };
    let root = root
        .canonicalize()
        .with_context(|| format!("{}: no such directory", root.display()))
        .map_err(|e| with_code(exit::USAGE, e))?;
    if let SentruxCommand::Status(_) = cmd {
        let arch = load();
        return Ok(print(&commands::status(arch.as_ref(), &root), g));
    }
    let arch = load().map_err(failed)?;
    let out = block_on(async {
        match cmd {
            SentruxCommand::Check(_) => commands::check(&arch, &root).await,
            SentruxCommand::GateSave(_) => commands::gate_save(&arch, &root).await,
            SentruxCommand::Gate(_) => commands::gate(&arch, &root).await,
            SentruxCommand::Offenders(_) => commands::offenders(&arch, &root).await,
            SentruxCommand::Status(_) => Ok(commands::status(Ok(&arch), &root)),
        }
    })
    .map_err(failed)?
    .map_err(failed)?;
    Ok(print(&out, g))
}

/// Governor-owned sentrux files: never count as the user's uncommitted changes (dgov writes
/// them; workers cannot).
pub fn governor_owned(path: &str) -> bool {
    matches!(
        path,
        ".sentrux/baseline.json" | ".sentrux/dgov-baseline.json"
    )
}

/// `dgov run`'s sentrux integration (spec §3.2): created before dispatch, consulted after
/// the DAG. `DGOV_SENTRUX=off` disables it (tests of the runner itself).
pub struct RunHooks {
    arch: Architecture,
    root: PathBuf,
    pre_run_head: Option<String>,
}

impl RunHooks {
    /// Before dispatch: load the analyzer and create a missing baseline. A failure stops the
    /// run (exit 1), as the original did when its bootstrap failed.
    pub fn before_dispatch(
        root: &std::path::Path,
        g: &Globals,
    ) -> anyhow::Result<Option<RunHooks>> {
        if std::env::var("DGOV_SENTRUX").is_ok_and(|v| v == "off") {
            return Ok(None);
        }
        let fail = |e: ArchitectureError| {
            with_code(
                exit::FAILURE,
                anyhow::anyhow!("sentrux baseline bootstrap failed: {e}"),
            )
        };
        let arch = load().map_err(fail)?;
        let made = block_on(dgov_architecture::run_hooks::ensure_baseline(&arch, root))
            .map_err(fail)?
            .map_err(fail)?;
        if let dgov_architecture::run_hooks::Bootstrap::Created { quality } = made
            && !g.json
        {
            eprintln!(
                "sentrux: no baseline yet; created .sentrux/baseline.json (quality {quality})"
            );
        }
        let pre_run_head = git2::Repository::open(root)
            .ok()
            .and_then(|r| r.head().ok()?.target())
            .map(|o| o.to_string());
        Ok(Some(RunHooks {
            arch,
            root: root.to_path_buf(),
            pre_run_head,
        }))
    }

    /// After the DAG: compare HEAD with the baseline (a degraded run still exits 0, with a
    /// warning) and, after a clean, complete, full-plan run, refresh the baseline. Returns
    /// the `sentrux` member of the run's JSON summary.
    pub fn after_run(&self, complete: bool, full_plan: bool, g: &Globals) -> serde_json::Value {
        use dgov_architecture::run_hooks;
        let changed = self
            .pre_run_head
            .as_deref()
            .map(|pre| run_hooks::changed_files(&self.root, pre, "HEAD"))
            .transpose();
        let post = changed.and_then(|changed| {
            block_on(run_hooks::post_run(
                &self.arch,
                &self.root,
                "HEAD",
                changed.as_deref().unwrap_or(&[]),
            ))?
        });
        let post = match post {
            Ok(p) => p,
            Err(e) => {
                if !g.json {
                    eprintln!("warning: sentrux post-run comparison failed: {e}");
                }
                return serde_json::json!({ "degraded": true, "error": e.to_string() });
            }
        };
        if let Some(w) = &post.warning
            && !g.json
        {
            eprint!("{w}");
        }
        let mut refreshed = None;
        if complete && full_plan && !post.degraded {
            match block_on(run_hooks::refresh_baseline(&self.arch, &self.root, "HEAD")) {
                Ok(Ok(changed)) => refreshed = Some(changed),
                Ok(Err(e)) | Err(e) => {
                    if !g.json {
                        eprintln!("warning: refreshing the sentrux baseline failed: {e}");
                    }
                }
            }
        }
        serde_json::json!({
            "degraded": post.degraded,
            "quality_before": post.quality_before,
            "quality_after": post.quality_after,
            "comparison": post.comparison,
            "baseline_refreshed": refreshed,
        })
    }
}
