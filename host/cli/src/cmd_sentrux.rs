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
