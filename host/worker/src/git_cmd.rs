//! Read-only git queries the worker host makes in an attempt's worktree (diff summaries,
//! the fork handoff's diff, dirty paths, a reviewer's dependency diffs). The worker never
//! changes git itself: the runner commits through `dgov-git`.

use std::path::Path;
use std::process::Output;

/// Run `git args` in `worktree`. `GIT_DIR`/`GIT_WORK_TREE` inherited from a hook or a test
/// harness are dropped, so the query is about `worktree` and nothing else.
pub fn git(worktree: &Path, args: &[&str]) -> std::io::Result<Output> {
    std::process::Command::new("git")
        .args(args)
        .current_dir(worktree)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
}

/// Stdout of a successful `git args` in `worktree`, else `None`.
pub fn git_stdout(worktree: &Path, args: &[&str]) -> Option<String> {
    git(worktree, args)
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}
