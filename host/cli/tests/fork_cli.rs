//! `dgov run` with a worker that runs out of iterations: the plan's `max_fork_depth` decides
//! whether a fork continues the unfinished work (and lands it without a retry), and `dgov
//! watch` shows the fork as such.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::{git, text};

fn dgov(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dgov"))
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .env_remove("DGOV_FAULT")
        .env_remove("DGOV_WORKER")
        .env("DGOV_SENTRUX", "off")
        .output()
        .unwrap()
}

/// A committed repo at `<tmp>/proj` with plan `demo` of one task whose fake worker runs out
/// of iterations on its first attempt; `extra` goes into the task table.
fn project(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    std::fs::create_dir_all(root.join(".dgov/plans/demo/tasks")).unwrap();
    git(&root, &["init", "-q", "."]);
    git(&root, &["config", "user.email", "t@t"]);
    git(&root, &["config", "user.name", "t"]);
    std::fs::write(
        root.join(".dgov/plans/demo/_root.toml"),
        "[plan]\nname = \"demo\"\nsections = [\"tasks\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.join(".dgov/plans/demo/tasks/main.toml"),
        format!(
            "[tasks.a]\nprompt = \"fake: exhaust\"\nfiles.create = [\"a.txt\"]\nretries = 0\n{extra}"
        ),
    )
    .unwrap();
    std::fs::write(root.join("README"), "hi\n").unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "init"]);
    (tmp, root)
}

#[test]
fn an_exhausted_attempt_is_forked_by_default_and_watch_says_so() {
    let (_tmp, root) = project("");
    let out = dgov(
        &root,
        &["--json", "run", ".dgov/plans/demo", "--worker", "fake"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The fork found the first attempt's line in its worktree and added its own; with no
    // retry budget, only the fork could land it.
    assert_eq!(
        std::fs::read_to_string(root.join("a.txt")).unwrap(),
        "tasks/main.a\ntasks/main.a\n"
    );
    let watch = dgov(&root, &["watch", "--all", "--once"]);
    let w = text(&watch);
    assert!(
        w.contains("attempt 2 (fork 1/1 after iteration exhaustion): fake worker: Exceeded max iterations (1)"),
        "{w}"
    );
}

#[test]
fn max_fork_depth_zero_turns_exhaustion_into_an_ordinary_failure() {
    let (_tmp, root) = project("max_fork_depth = 0\n");
    let out = dgov(
        &root,
        &["--json", "run", ".dgov/plans/demo", "--worker", "fake"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("Exceeded max iterations"),
        "{}",
        text(&out)
    );
    assert!(!root.join("a.txt").exists());
}
