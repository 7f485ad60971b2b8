//! `dgov demo`: build a scratch repository with a three-task plan and run it end to end
//! offline — real worktrees, real WASM tools, real merges — with the replay provider serving
//! LLM exchanges shipped in the binary.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::Globals;
use crate::cmd_run::{self, RunArgs};
use crate::exit::{self, with_code};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to create the demo repository (must not exist or be empty; default: a new
    /// directory under the system temp dir).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: DemoArgs, g: &Globals) -> anyhow::Result<u8> {
    let dir = match args.dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "dgov-demo-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        )),
    };
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(with_code(
            exit::USAGE,
            anyhow::anyhow!(
                "{} exists and is not empty; pass --dir with a new directory",
                dir.display()
            ),
        ));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = dir.canonicalize().unwrap_or(dir);
    if !g.json {
        eprintln!("dgov demo: scratch repository at {}", dir.display());
    }
    dgov_worker::demo::scaffold(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let git = |args: &[&str]| -> anyhow::Result<()> {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&dir)
            .env("GIT_AUTHOR_NAME", "dgov demo")
            .env("GIT_AUTHOR_EMAIL", "demo@dgov.invalid")
            .env("GIT_COMMITTER_NAME", "dgov demo")
            .env("GIT_COMMITTER_EMAIL", "demo@dgov.invalid")
            .output()
            .context("running git (is it installed?)")?;
        anyhow::ensure!(
            out.status.success(),
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(())
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["config", "user.name", "dgov demo"])?;
    git(&["config", "user.email", "demo@dgov.invalid"])?;
    git(&["add", "-A"])?;
    git(&["commit", "-q", "-m", "demo: initial greeter"])?;
    if !g.json {
        eprintln!(
            "plan: lib/main.farewell and docs/main.usage in parallel, then tests/main.check (depends on both)"
        );
    }
    let run_args = RunArgs {
        dir: dir.join(".dgov/plans/demo"),
        continue_: false,
        restart: false,
        only: None,
        yes: true,
        worker: Some(cmd_run::WorkerKind::Llm),
        max_parallel: None,
        record: false,
    };
    let g2 = Globals {
        json: g.json,
        repo: dir.clone(),
    };
    let code = cmd_run::run(run_args, &g2)?;
    if !g.json {
        let log = std::process::Command::new("git")
            .args(["log", "--oneline", "main"])
            .current_dir(&dir)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        eprintln!("\ncommits on main:\n{}", log.trim_end());
        eprintln!(
            "\nexplore: cd {} && dgov status && sh tests/test_greet.sh",
            dir.display()
        );
    }
    Ok(code)
}
