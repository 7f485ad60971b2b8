//! The hidden `dgov worker --spec FILE` subcommand (one LLM worker attempt, launched by the
//! runner in its own process group; JSON lines on stdout), and how `dgov run` builds the
//! LLM worker for a compiled plan.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use dgov_runner::Worker;

use crate::Globals;
use crate::exit::{self, with_code};

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The attempt spec the runner wrote (JSON).
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
}

pub fn run(args: WorkerArgs, _g: &Globals) -> anyhow::Result<u8> {
    Ok(dgov_worker::entry::main_with_spec(&args.spec))
}

/// Whether the project configures any LLM provider (then `dgov run` defaults to the LLM
/// worker).
pub fn provider_configured(root: &Path) -> bool {
    dgov_plan::load_project_config(root).is_ok_and(|(cfg, _)| !cfg.providers.is_empty())
}

/// The LLM worker for `plan`: this binary's `worker` subcommand per attempt. With `record`,
/// each attempt's exchanges go to `.dgov/cassettes/<plan>/`.
pub fn llm_worker(
    root: &Path,
    plan: &dgov_plan::CompiledPlan,
    record: bool,
) -> anyhow::Result<Arc<dyn Worker>> {
    let (cfg, _) = dgov_plan::load_project_config(root)
        .map_err(|e| with_code(exit::USAGE, anyhow::anyhow!("{e}")))?;
    let exe = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("locating the dgov executable for workers: {e}"))?;
    let mut w =
        dgov_worker::SubprocessWorker::for_plan(root, plan, &cfg, exe, vec!["worker".into()])
            .map_err(|e| with_code(exit::USAGE, anyhow::anyhow!("{e}")))?;
    if record {
        w.record_dir = Some(root.join(".dgov/cassettes").join(&plan.name));
    }
    Ok(Arc::new(w))
}
