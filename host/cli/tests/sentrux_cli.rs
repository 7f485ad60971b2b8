//! `dgov sentrux …` and the sentrux side of `dgov run`, through the binary, on real
//! temporary git repositories.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::{git, text};

fn dgov(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dgov"));
    cmd.args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .env_remove("DGOV_SENTRUX")
        .env_remove("DGOV_WORKER")
        .env_remove("DGOV_FAULT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn repo(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    std::fs::create_dir_all(&root).unwrap();
    git(&root, &["init", "-q", "."]);
    git(&root, &["config", "user.email", "t@t"]);
    git(&root, &["config", "user.name", "t"]);
    for (p, t) in files {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    }
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "init"]);
    (tmp, root)
}

const A: &str = "from . import b\n\ndef fa():\n    return b.fb()\n";
const B_CLEAN: &str = "def fb():\n    return 1\n";
const B_CYCLE: &str = "from . import a\n\ndef fb():\n    return a.fa()\n";

#[test]
fn commands_print_sentrux_output_and_exit_codes() {
    let (_tmp, root) = repo(&[("a.py", A), ("b.py", B_CLEAN)]);
    // check: no rules file → stderr, exit 1.
    let out = dgov(&root, &["sentrux", "check"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No .sentrux/rules.toml found in"));
    // gate without a baseline → exit 1.
    let out = dgov(&root, &["sentrux", "gate"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Failed to load baseline at"));
    // gate-save, then a clean gate.
    let out = dgov(&root, &["--json", "sentrux", "gate-save"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["cycle_count"], 0);
    assert_eq!(doc["total_import_edges"], 1);
    assert!(root.join(".sentrux/baseline.json").is_file());
    let out = dgov(&root, &["sentrux", "gate"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("✓ No degradation detected"));
    // A cycle in the working tree: gate exits 1, --json is the comparison.
    std::fs::write(root.join("b.py"), B_CYCLE).unwrap();
    let out = dgov(&root, &["--json", "sentrux", "gate"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["degraded"], true);
    assert_eq!(doc["cycles_before"], 0);
    assert_eq!(doc["cycles_after"], 1);
    // Rules: max_cycles = 0 is violated → exit 1; allowing one passes → exit 0.
    std::fs::write(
        root.join(".sentrux/rules.toml"),
        "[constraints]\nmax_cycles = 0\n",
    )
    .unwrap();
    let out = dgov(&root, &["sentrux", "check"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("sentrux check — 1 rules checked\n"),
        "{stdout}"
    );
    assert!(stdout.contains("✗ [Error] max_cycles:"), "{stdout}");
    assert!(stdout.ends_with("✗ 1 violation(s) found\n"), "{stdout}");
    std::fs::write(
        root.join(".sentrux/rules.toml"),
        "[constraints]\nmax_cycles = 1\n",
    )
    .unwrap();
    let out = dgov(&root, &["--json", "sentrux", "check"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["rules"]["rules_checked"], 1);
    assert_eq!(doc["rules"]["violations"].as_array().unwrap().len(), 0);
    // offenders and status.
    let out = dgov(&root, &["sentrux", "offenders"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Cycles:\n  a.py -> b.py\n"));
    let out = dgov(&root, &["--json", "sentrux", "status"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["analyzer"]["available"], true);
    assert_eq!(doc["rules"], true);
    assert_eq!(doc["baseline"]["cycle_count"], 0);
}

fn plan(root: &Path, prompt: &str, file: &str) {
    let dir = root.join(".dgov/plans/demo/tasks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        root.join(".dgov/plans/demo/_root.toml"),
        "[plan]\nname = \"demo\"\nsections = [\"tasks\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.toml"),
        format!(
            "[tasks.t]\nprompt = \"{prompt}\"\nfiles.edit = [\"{file}\"]\ncommit_message = \"t\"\n"
        ),
    )
    .unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "plan"]);
}

/// A run creates the missing baseline before dispatch; a task that closes an import cycle
/// makes the run `degraded` (exit 0, with a warning) and the baseline is not refreshed.
#[test]
fn a_run_bootstraps_the_baseline_and_a_structural_regression_marks_it_degraded() {
    let (_tmp, root) = repo(&[("a.py", A), ("b.py", B_CLEAN), ("cycle.py.txt", B_CYCLE)]);
    plan(&root, "cp cycle.py.txt b.py", "b.py");
    assert!(!root.join(".sentrux/baseline.json").exists());
    let out = dgov(
        &root,
        &["--json", "run", ".dgov/plans/demo", "--worker", "command"],
        &[("DGOV_SETTLEMENT", "accept-all")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["succeeded"], 1, "{doc}");
    assert_eq!(doc["status"], "degraded", "{doc}");
    assert_eq!(doc["sentrux"]["degraded"], true);
    assert_eq!(doc["sentrux"]["comparison"]["cycles_after"], 1);
    assert_eq!(doc["sentrux"]["baseline_refresh"], serde_json::Value::Null);
    let base = std::fs::read_to_string(root.join(".sentrux/baseline.json")).unwrap();
    let base: serde_json::Value = serde_json::from_str(&base).unwrap();
    assert_eq!(base["cycle_count"], 0, "the baseline is the pre-run one");
    // The untracked baseline is dgov's own file: the next run is not blocked as dirty.
    plan_next(&root);
    let out = dgov(
        &root,
        &["--json", "run", ".dgov/plans/next", "--worker", "command"],
        &[("DGOV_SETTLEMENT", "accept-all")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The cycle is still there, but this run did not cause it (it only added n.py): the
    // run is complete, the degradation is reported as pre-existing, and the complete run
    // accepts the current structure. (Before, every later run stayed degraded until someone
    // ran `dgov sentrux gate-save`.)
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "complete", "{doc}");
    assert_eq!(doc["sentrux"]["degraded"], false);
    assert!(
        doc["sentrux"]["pre_existing"].as_u64().unwrap() > 0,
        "{doc}"
    );
    assert_eq!(
        doc["sentrux"]["baseline_refresh"]["result"], "committed",
        "{doc}"
    );
    assert_eq!(doc["sentrux"]["baseline_refresh"]["baseline_changed"], true);
    assert_eq!(last_subject(&root), "Refresh sentrux baseline");
    let base = std::fs::read_to_string(root.join(".sentrux/baseline.json")).unwrap();
    let base: serde_json::Value = serde_json::from_str(&base).unwrap();
    assert_eq!(base["cycle_count"], 1, "the accepted structure");
    assert!(root.join(".sentrux/dgov-baseline.json").is_file());
}

fn last_subject(root: &Path) -> String {
    let o = Command::new("git")
        .args(["log", "-1", "--format=%s"])
        .current_dir(root)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn head(root: &Path) -> String {
    let o = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A stale baseline is a warning at run start, not an error; the complete run that
/// follows refreshes it (one commit), after which `status` reports it fresh. (Refusal on
/// a dirty root and "already current" are tested in `dgov-architecture`.)
#[test]
fn a_stale_baseline_warns_and_a_complete_run_refreshes_it_once() {
    let (_tmp, root) = repo(&[
        ("a.py", A),
        ("b.py", B_CLEAN),
        (".dgov/project.toml", "[sentrux]\nstale_commits = 1\n"),
    ]);
    let out = dgov(&root, &["--json", "sentrux", "gate-save"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["metadata"]["accepted_head"], head(&root));
    assert_eq!(doc["metadata"]["schema"], 1);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "accept baseline"]);
    std::fs::write(root.join("c.py"), "C = 1\n").unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "c"]);
    plan(&root, "echo 'C = 2' > c.py", "c.py");

    let out = dgov(&root, &["sentrux", "status"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("age: 2 commits behind HEAD; 0 minutes old; baseline commit "),
        "{stdout}"
    );
    assert!(
        stdout.contains("stale: yes (limits: 1 commits, 14 days)"),
        "{stdout}"
    );

    let out = dgov(
        &root,
        &["run", ".dgov/plans/demo", "--worker", "command"],
        &[("DGOV_SETTLEMENT", "accept-all")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: the sentrux baseline is stale (2 commits behind HEAD;"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sentrux baseline refreshed and committed"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\nsentrux_baseline: committed\n"),
        "{stdout}"
    );
    assert_eq!(last_subject(&root), "Refresh sentrux baseline");
    let out = dgov(&root, &["--json", "sentrux", "status"], &[]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["age"]["stale"], false, "{doc}");
    assert_eq!(doc["age"]["commits_behind"], 0, "{doc}");
    assert_eq!(doc["age"]["source"], "metadata");

    // The next complete run: nothing structural changed, but HEAD moved past the accepted
    // commit, so only the metadata is committed again.
    let refreshed = head(&root);
    git(&root, &["add", "-A", ".dgov/plans"]);
    git(&root, &["commit", "-qm", "archive"]);
    let archive = head(&root);
    plan_next(&root);
    let out = dgov(
        &root,
        &["--json", "run", ".dgov/plans/next", "--worker", "command"],
        &[("DGOV_SETTLEMENT", "accept-all")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["sentrux"]["baseline_refresh"]["result"], "committed",
        "{doc}"
    );
    assert_eq!(
        doc["sentrux"]["baseline_refresh"]["baseline_changed"],
        false
    );
    assert_ne!(head(&root), refreshed);
    assert_ne!(head(&root), archive);
}

fn plan_next(root: &Path) {
    let dir = root.join(".dgov/plans/next/tasks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        root.join(".dgov/plans/next/_root.toml"),
        "[plan]\nname = \"next\"\nsections = [\"tasks\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.toml"),
        "[tasks.n]\nprompt = \"echo 'N = 1' > n.py\"\nfiles.create = [\"n.py\"]\ncommit_message = \"n\"\n",
    )
    .unwrap();
    // Commit the first plan's archive move too (as the run told us to).
    git(root, &["add", "-A", ".dgov/plans"]);
    git(root, &["commit", "-qm", "next plan"]);
}

/// Settlement: the sentrux gate rejects the task whose own files close an import cycle,
/// and lands the trivial task next to it.
#[test]
fn settlement_rejects_only_the_task_that_causes_the_degradation() {
    let (_tmp, root) = repo(&[("a.py", A), ("b.py", B_CLEAN), ("cycle.py.txt", B_CYCLE)]);
    let dir = root.join(".dgov/plans/demo/tasks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        root.join(".dgov/plans/demo/_root.toml"),
        "[plan]\nname = \"demo\"\nsections = [\"tasks\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.toml"),
        "[tasks.cycle]\nprompt = \"cp cycle.py.txt b.py\"\nfiles.edit = [\"b.py\"]\ncommit_message = \"cycle\"\n\n[tasks.trivial]\nprompt = \"echo 'N = 1' > n.py\"\nfiles.create = [\"n.py\"]\ncommit_message = \"n\"\n",
    )
    .unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "plan"]);
    let out = dgov(
        &root,
        &["--json", "run", ".dgov/plans/demo", "--worker", "command"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["merged_tasks"],
        serde_json::json!(["tasks/main.trivial"]),
        "{doc}"
    );
    assert_eq!(
        doc["failed_tasks"],
        serde_json::json!(["tasks/main.cycle"]),
        "{doc}"
    );
    let err = doc["task_errors"]["tasks/main.cycle"].as_str().unwrap();
    assert!(err.contains("Cycles increased: 0 → 1"), "{err}");
    assert_eq!(std::fs::read_to_string(root.join("b.py")).unwrap(), B_CLEAN);
}

/// An `--only` run is not the full plan: the baseline is compared but never refreshed.
#[test]
fn an_only_run_never_refreshes_the_baseline() {
    let (_tmp, root) = repo(&[("a.py", A), ("b.py", B_CLEAN)]);
    plan(&root, "echo 'C = 2' > c.py", "c.py");
    let out = dgov(
        &root,
        &[
            "--json",
            "run",
            ".dgov/plans/demo",
            "--worker",
            "command",
            "--only",
            "tasks/main.t",
        ],
        &[("DGOV_SETTLEMENT", "accept-all")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "complete", "{doc}");
    assert_eq!(doc["sentrux"]["baseline_refresh"], serde_json::Value::Null);
    assert_eq!(last_subject(&root), "t");
    assert!(!root.join(".sentrux/dgov-baseline.json").exists());
}
