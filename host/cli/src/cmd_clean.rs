//! `dgov clean [--dry-run]` (output dirs, orphan worktrees, merged `dgov/*` branches) and
//! `dgov prune` (historical abandoned rows of the status view).

use clap::Args;
use dgov_git::Repo;
use dgov_store::{RunLock, Store};
use serde_json::json;

use crate::Globals;
use crate::cmd_run::project_root;
use crate::exit::{self, with_code};

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Show what would be deleted without deleting anything.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run_clean(args: CleanArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = project_root(&g.repo);
    if RunLock::is_held(&root.join(".dgov")) {
        return Err(with_code(
            exit::FAILURE,
            anyhow::anyhow!(
                "a `dgov run` is in progress in {}; run `dgov clean` after it ends",
                root.display()
            ),
        ));
    }
    let verb = if args.dry_run {
        "Would delete"
    } else {
        "Deleted"
    };
    let mut deleted = Vec::new();
    let out = root.join(".dgov").join("out");
    if let Ok(entries) = std::fs::read_dir(&out) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                if !args.dry_run {
                    std::fs::remove_dir_all(e.path())?;
                }
                deleted.push(e.path().display().to_string());
            }
        }
    }
    let report = match Repo::open(&root) {
        Ok(repo) => Some(repo.prune(args.dry_run)?),
        Err(_) => None,
    };
    if g.json {
        let doc = json!({
            "dry_run": args.dry_run,
            "deleted_dirs": deleted,
            "worktrees": report.as_ref().map(|r| r.worktrees.clone()).unwrap_or_default(),
            "scratch": report.as_ref().map(|r| r.scratch.clone()).unwrap_or_default(),
            "deleted_branches": report.as_ref().map(|r| r.deleted_branches.clone()).unwrap_or_default(),
            "kept_branches": report.as_ref().map(|r| r.kept_branches.clone()).unwrap_or_default(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(exit::SUCCESS);
    }
    for d in &deleted {
        println!("{verb}: {d}");
    }
    if let Some(r) = &report {
        for w in r.worktrees.iter().chain(&r.scratch) {
            println!("{verb}: {w}");
        }
        println!(
            "{} {} orphan worktree(s), {} leftover scratch checkout(s) and {} merged dgov/* branch(es).",
            if args.dry_run {
                "Would prune"
            } else {
                "Pruned"
            },
            r.worktrees.len(),
            r.scratch.len(),
            r.deleted_branches.len()
        );
        for b in &r.kept_branches {
            println!(
                "kept unmerged branch {b} (delete it with `git branch -D {b}` if it is not needed)"
            );
        }
    }
    if args.dry_run {
        println!("Dry run complete. Nothing was deleted.");
    } else {
        println!("Clean complete. Deleted {} directories.", deleted.len());
    }
    Ok(exit::SUCCESS)
}

#[derive(Debug, Args)]
pub struct PruneArgs {}

pub fn run_prune(_args: PruneArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = project_root(&g.repo);
    let n = match Store::open_read_only(&root)? {
        None => 0,
        Some(_) => Store::open(&root)?.prune_history()?,
    };
    if g.json {
        println!("{}", json!({"pruned": n}));
    } else if n == 0 {
        println!("Nothing to prune.");
    } else {
        println!("Pruned {n} historical task(s).");
    }
    Ok(exit::SUCCESS)
}
