//! The `dgov` binary: flags, output and wiring only. Every command's work is done by a
//! library crate under `host/`; this crate turns clap types into plain configuration,
//! calls the library, and renders the result (text on a terminal, one JSON document with
//! `--json`). It is the only crate that knows about terminals, colours and exit codes.

mod exit;

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
}

/// Global options every command receives, already resolved from flags.
#[derive(Debug, Clone)]
pub struct Globals {
    pub json: bool,
    pub repo: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let globals = Globals {
        json: cli.json,
        repo: cli.repo.clone().unwrap_or_else(|| PathBuf::from(".")),
    };
    let result = match cli.command {
        None => Ok(exit::SUCCESS),
    };
    exit::report(result, &globals)
}
