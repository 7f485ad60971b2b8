//! Baseline-relative gates end to end, through the real pipeline and the embedded
//! `command-gate` plugin on temporary git repositories: a type check fails a task only for
//! diagnostics absent on the baseline revision (which is type-checked once per base tree), and
//! the coverage gate compares changed files with the session's `.coverage-baseline/`.

mod support;

use std::path::{Path, PathBuf};

use dgov_settlement::{GateVerdict, Outcome};
use support::*;

fn project(files: &[(&str, &str)], toml: &str) -> (tempfile::TempDir, PathBuf) {
    let mut all = files.to_vec();
    all.push((".dgov/project.toml", toml));
    support::repo(&all)
}

fn gate<'a>(out: &'a Outcome, name: &str) -> Vec<&'a dgov_settlement::GateRun> {
    out.gates.iter().filter(|g| g.gate == name).collect()
}

/// A fake type checker: every line with `BAD:<code>` in a `.py` file is an error in the
/// rustc/ty format; exits 1 when there is any. Logs the directory it ran in to `log`.
fn checker(log: &Path) -> String {
    format!(
        "pwd >> '{}'\nawk '/BAD:/ {{ split($0, a, \"BAD:\"); printf \"error[%s]: something is wrong\\n --> %s:%d:1\\n\", a[2], FILENAME, FNR; bad = 1 }} END {{ exit bad }}' *.py\n",
        log.display()
    )
}

const A_PY: &str = "import os\n\nx = 1  # BAD:E1\n";

#[test]
fn a_type_check_fails_only_on_diagnostics_the_task_introduced() {
    let logdir = tempfile::tempdir().unwrap();
    let log = logdir.path().join("runs.log");
    let (_tmp, root) = project(
        &[("tc.sh", &checker(&log)), ("a.py", A_PY)],
        "[project]\ntype_check_cmd = \"sh tc.sh\"\n",
    );
    let rt = rt();

    // The pre-existing error, shifted down by two lines, plus a clean new file: passes.
    let shifted = format!("# one\n# two\n{A_PY}");
    let req = attempt(&root, "shift", &[("a.py", &shifted), ("b.py", "y = 2\n")]);
    let out = rt.block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");
    let runs = gate(&out, "typecheck");
    assert_eq!(runs.len(), 2, "isolated and candidate: {runs:?}");
    for r in &runs {
        assert_eq!(r.verdict, GateVerdict::Pass, "{r:?}");
        assert!(r.summary.contains("pre-existing"), "{}", r.summary);
        assert!(r.findings.iter().all(|f| !f.attributable), "{r:?}");
    }

    // A new error in another file: rejected, naming only the new diagnostic.
    let req = attempt(&root, "new", &[("b.py", "y = 2  # BAD:E2\n")]);
    let out = rt.block_on(pipeline().settle(&req));
    assert!(!out.passed, "{out:?}");
    assert_eq!(out.phase.as_deref(), Some("isolated"));
    assert_eq!(out.code, "typecheck_failed");
    assert!(
        out.reason
            .contains("Type check failure (1 new diagnostic(s), 2 total)"),
        "{}",
        out.reason
    );
    let run = gate(&out, "typecheck")[0];
    let new: Vec<_> = run.findings.iter().filter(|f| f.attributable).collect();
    assert_eq!(new.len(), 1, "{run:?}");
    assert_eq!(new[0].locations[0].path, "b.py");
    assert_eq!(new[0].locations[0].line, Some(1));

    // Swapping the pre-existing error for a different code on the same line is new.
    let swapped = A_PY.replace("BAD:E1", "BAD:E9");
    let req = attempt(&root, "swap", &[("a.py", &swapped)]);
    let out = rt.block_on(pipeline().settle(&req));
    assert!(!out.passed, "{out:?}");
    assert!(out.reason.contains("[E9] in a.py"), "{}", out.reason);

    // Every attempt shared the base: it was checked out and type-checked once.
    let dirs = std::fs::read_to_string(&log).unwrap();
    let baseline_runs = dirs
        .lines()
        .filter(|l| l.contains("dgov-baseline-"))
        .count();
    assert_eq!(baseline_runs, 1, "{dirs}");
    // Baseline and candidate checkouts are made in the repository's scratch directory
    // (beside it, where the next run and `dgov clean` find leftovers), not in the system
    // temporary directory, and each is removed when its settlement ends.
    let scratch = dgov_git::Repo::open(&root).unwrap().scratch_dir();
    let scratch = scratch.canonicalize().unwrap_or(scratch);
    for line in dirs
        .lines()
        .filter(|l| l.contains("dgov-baseline-") || l.contains("dgov-candidate-"))
    {
        assert!(
            std::path::Path::new(line).starts_with(&scratch),
            "{line} is not under {}",
            scratch.display()
        );
    }
    assert!(
        dirs.lines().any(|l| l.contains("dgov-candidate-")),
        "{dirs}"
    );
    let left: Vec<_> = std::fs::read_dir(&scratch)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn the_baseline_run_sees_the_dependencies_setup_installed_in_the_tree_under_review() {
    // The checker stops at once without `node_modules` (as a checker that cannot resolve
    // imports does); `setup_cmd` installs it in the worktree and the candidate, not in the
    // baseline checkout. Without the dependencies there, the baseline reports nothing and
    // the pre-existing error would count as the task's.
    let logdir = tempfile::tempdir().unwrap();
    let log = logdir.path().join("runs.log");
    let checker = format!(
        "if [ ! -d node_modules ]; then echo 'fatal: cannot resolve imports' >&2; exit 2; fi\n{}",
        checker(&log)
    );
    let (_tmp, root) = project(
        &[("tc.sh", &checker), ("a.py", A_PY)],
        "[project]\nsetup_cmd = \"mkdir -p node_modules\"\ntype_check_cmd = \"sh tc.sh\"\n",
    );
    let req = attempt(&root, "t", &[("b.py", "y = 2\n")]);
    let out = rt().block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");
    let runs = gate(&out, "typecheck");
    assert_eq!(runs.len(), 2, "isolated and candidate: {runs:?}");
    for r in &runs {
        assert_eq!(r.verdict, GateVerdict::Pass, "{r:?}");
        assert!(r.findings.iter().all(|f| !f.attributable), "{r:?}");
    }
}

#[test]
fn preflight_compares_the_working_tree_with_head_not_with_itself() {
    let logdir = tempfile::tempdir().unwrap();
    let (_tmp, root) = project(
        &[
            ("tc.sh", &checker(&logdir.path().join("runs.log"))),
            ("a.py", A_PY),
        ],
        "[project]\ntype_check_cmd = \"sh tc.sh\"\n",
    );
    let rt = rt();
    std::fs::write(root.join("b.py"), "z = 3\n").unwrap();
    let out = rt.block_on(pipeline().preflight(&root)).unwrap();
    assert!(out.passed, "pre-existing only: {out:?}");
    std::fs::write(root.join("b.py"), "z = 3  # BAD:E5\n").unwrap();
    let out = rt.block_on(pipeline().preflight(&root)).unwrap();
    assert!(!out.passed, "{out:?}");
    assert!(out.reason.contains("1 new diagnostic"), "{}", out.reason);
}

/// A fake coverage tool: writes a coverage.py JSON report to `$1` with `a.py` at the
/// percentage in `pct.txt` (exit 3 when `pct.txt` says `broken`).
const COV_SH: &str = "p=$(cat pct.txt)\n[ \"$p\" = broken ] && exit 3\nprintf '{\"meta\": {}, \"files\": {\"a.py\": {\"summary\": {\"percent_covered\": %s}}}}' \"$p\" > \"$1\"\n";

fn coverage_project() -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = project(
        &[("cov.sh", COV_SH), ("pct.txt", "95\n"), ("a.py", "x = 1\n")],
        "[project]\ncoverage_cmd = \"sh cov.sh {output}\"\ncoverage_threshold = 2.0\n",
    );
    std::fs::create_dir_all(root.join(".coverage-baseline")).unwrap();
    std::fs::write(
        root.join(".coverage-baseline/coverage.json"),
        r#"{"meta": {}, "files": {"./a.py": {"summary": {"percent_covered": 95.0}}}}"#,
    )
    .unwrap();
    (tmp, root)
}

fn leftover_reports(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".dgov-coverage-"))
        .collect()
}

#[test]
fn coverage_drop_beyond_the_threshold_rejects_and_within_passes() {
    let (_tmp, root) = coverage_project();
    let rt = rt();
    let req = attempt(&root, "drop", &[("a.py", "x = 2\n"), ("pct.txt", "92.9\n")]);
    let out = rt.block_on(pipeline().settle(&req));
    assert!(!out.passed, "{out:?}");
    assert_eq!(out.code, "coverage_regression");
    assert!(
        out.reason
            .contains("Coverage regression: a.py dropped from 95% to 92.9%"),
        "{}",
        out.reason
    );
    // The report the command wrote is gone from the tree under review.
    assert!(leftover_reports(&req.worktree).is_empty());

    let req = attempt(
        &root,
        "small",
        &[("a.py", "x = 3\n"), ("pct.txt", "93.1\n")],
    );
    let out = rt.block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");
    let runs = gate(&out, "coverage");
    assert!(
        !runs.is_empty() && runs.iter().all(|r| r.verdict == GateVerdict::Pass),
        "{runs:?}"
    );
    assert!(leftover_reports(&req.worktree).is_empty());
}

#[test]
fn coverage_skips_without_a_baseline_or_when_the_tool_fails() {
    let (_tmp, root) = coverage_project();
    let rt = rt();
    let req = attempt(
        &root,
        "broken",
        &[("a.py", "x = 2\n"), ("pct.txt", "broken\n")],
    );
    let out = rt.block_on(pipeline().settle(&req));
    assert!(
        out.passed,
        "a failing coverage tool never fails a task: {out:?}"
    );
    let run = gate(&out, "coverage")[0];
    assert_eq!(run.verdict, GateVerdict::Skip);
    assert!(run.summary.contains("exited with 3"), "{}", run.summary);

    std::fs::remove_file(root.join(".coverage-baseline/coverage.json")).unwrap();
    let req = attempt(&root, "nobase", &[("a.py", "x = 2\n"), ("pct.txt", "10\n")]);
    let out = rt.block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");
    let run = gate(&out, "coverage")[0];
    assert_eq!(run.verdict, GateVerdict::Skip);
    assert!(
        run.summary.contains("dgov coverage-baseline"),
        "says how to create one: {}",
        run.summary
    );
}

#[test]
fn a_coverage_command_without_output_is_a_policy_error_naming_the_key() {
    let (_tmp, root) = project(
        &[("a.py", "x = 1\n")],
        "[project]\ncoverage_cmd = \"pytest --cov\"\n",
    );
    let req = attempt(&root, "t", &[("a.py", "x = 2\n")]);
    let out = rt().block_on(pipeline().settle(&req));
    assert!(!out.passed);
    assert_eq!(out.code, "policy_error");
    assert!(
        out.reason.contains("coverage_cmd") && out.reason.contains("{output}"),
        "{}",
        out.reason
    );
}
