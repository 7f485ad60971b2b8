//! `dgov fix "PROMPT" -f FILE… [--name N] [--commit-message M]`: write a one-task plan
//! under `.dgov/runtime/fix-plans/<name>/` claiming the files, run it, and archive the plan
//! when it lands (dgov-worker §5.5).

use std::path::PathBuf;

use clap::Args;

use crate::Globals;
use crate::cmd_run::{self, RunArgs};
use crate::exit::{self, with_code};

#[derive(Debug, Args)]
pub struct FixArgs {
    /// What to fix.
    pub prompt: String,
    /// A file the fix may touch (repeat for several). Existing files are edit claims, the
    /// others create claims.
    #[arg(long = "file", short = 'f', required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Plan name (default: fix-<slug of the prompt>).
    #[arg(long)]
    pub name: Option<String>,
    /// Commit message of the fix (default "Apply requested fix").
    #[arg(long)]
    pub commit_message: Option<String>,
    /// Worker for the attempt (default: the LLM worker when a provider is configured).
    #[arg(long, value_enum)]
    pub worker: Option<cmd_run::WorkerKind>,
}

pub fn run(args: FixArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = cmd_run::project_root(&g.repo);
    if args.prompt.trim().is_empty() {
        return Err(with_code(
            exit::USAGE,
            anyhow::anyhow!("the fix prompt is empty; say what to fix"),
        ));
    }
    let mut files = Vec::new();
    for f in &args.files {
        let rel = f.trim().trim_start_matches("./").to_string();
        if rel.is_empty() || rel.starts_with('/') || rel.split('/').any(|c| c == "..") {
            return Err(with_code(
                exit::USAGE,
                anyhow::anyhow!(
                    "--file {f}: give a path relative to the project root {}",
                    root.display()
                ),
            ));
        }
        files.push(rel);
    }
    let (name, dir) = dgov_worker::fix::plan_dir(&root, &args.prompt, args.name.as_deref())
        .map_err(|e| with_code(exit::FAILURE, anyhow::anyhow!("{e}")))?;
    dgov_worker::fix::write_plan(
        &root,
        &dir,
        &name,
        &args.prompt,
        &files,
        args.commit_message.as_deref(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !g.json {
        eprintln!("fix plan {name} at {}", dir.display());
    }
    let run_args = RunArgs {
        dir: dir.clone(),
        continue_: false,
        restart: false,
        only: None,
        yes: false,
        worker: args.worker,
        max_parallel: None,
        record: false,
    };
    let code = match cmd_run::run(run_args, g) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "Run failed; retained unresolved fix plan at {}",
                dir.display()
            );
            return Err(e);
        }
    };
    if code == exit::SUCCESS {
        let archive: PathBuf = root
            .join(dgov_worker::fix::FIX_DIR)
            .join("archive")
            .join(&name);
        if let Some(parent) = archive.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::rename(&dir, &archive)?;
        if !g.json {
            eprintln!("fix landed; plan archived to {}", archive.display());
        }
    } else if !g.json {
        eprintln!(
            "Retained unresolved fix plan at {}; finish it with `dgov run {} --continue`",
            dir.display(),
            dir.display()
        );
    }
    Ok(code)
}
