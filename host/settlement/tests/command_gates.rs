//! The command gates end to end through the real pipeline, plugin runtime and embedded
//! `command-gate`: the setup gate, review hooks, related-test targeting and lint findings
//! scoped to the task's lines, on real temporary git repositories with plain shell commands.

mod support;

use std::path::{Path, PathBuf};

use dgov_plugin_host::bindings::Severity;
use dgov_settlement::{GateRun, GateVerdict, Outcome, PhaseName, Request};
use support::*;

/// A committed repository holding `files` and `.dgov/project.toml` = `project`.
fn project(project: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let mut all = vec![(".dgov/project.toml", project)];
    all.extend_from_slice(files);
    support::repo(&all)
}

fn settle(req: &Request) -> Outcome {
    rt().block_on(pipeline().settle(req))
}

fn runs<'a>(out: &'a Outcome, gate: &str) -> Vec<&'a GateRun> {
    out.gates.iter().filter(|g| g.gate == gate).collect()
}

fn names(out: &Outcome) -> Vec<&str> {
    out.gates.iter().map(|g| g.gate.as_str()).collect()
}

// ---------------------------------------------------------------------------------------
// setup

#[test]
fn setup_runs_first_in_isolated_and_candidate_validation() {
    // The tests need what setup builds; the candidate is a fresh checkout, so setup must run
    // there again.
    let (_tmp, root) = project(
        "[project]\nsetup_cmd = \"touch built.txt\"\ntest_cmd = \"test -f built.txt\"\n",
        &[],
    );
    let out = settle(&attempt(&root, "t", &[("x.txt", "x\n")]));
    assert!(out.passed, "{out:?}");
    let order: Vec<&str> = names(&out)
        .into_iter()
        .filter(|g| *g == "setup" || *g == "tests")
        .collect();
    assert_eq!(order, ["setup", "tests", "setup", "tests"]);
    assert!(
        runs(&out, "setup")
            .iter()
            .all(|r| r.verdict == GateVerdict::Pass)
    );
}

#[test]
fn a_failing_setup_rejects_with_the_end_of_its_output() {
    let (_tmp, root) = project(
        "[project]\nsetup_cmd = \"sh setup.sh\"\ntest_cmd = \"true\"\n",
        &[(
            "setup.sh",
            "i=0; while [ $i -lt 200 ]; do echo \"noise line $i\"; i=$((i+1)); done; echo 'E: package foo not found' >&2; exit 4\n",
        )],
    );
    let out = settle(&attempt(&root, "t", &[("x.txt", "x\n")]));
    assert!(!out.passed);
    assert_eq!(out.phase.as_deref(), Some("isolated"));
    assert_eq!(out.code, "setup_failed");
    assert!(out.retryable);
    let run = runs(&out, "setup")[0];
    let msg = &run.findings[0].message;
    assert!(msg.starts_with("setup_cmd failed:\n"), "{msg}");
    assert!(msg.ends_with("E: package foo not found"), "{msg}");
    assert!(
        !msg.contains("noise line 0\n"),
        "only the last 500 characters: {msg}"
    );
    assert!(
        runs(&out, "tests").is_empty(),
        "tests do not run after a failed setup"
    );
}

#[test]
fn a_slow_setup_times_out_after_the_policy_timeout() {
    let (_tmp, root) = project(
        "[project]\nsetup_cmd = \"sleep 20\"\n\n[[settlement.phase.isolated]]\ngate = \"setup\"\ntimeout_s = 1\n",
        &[],
    );
    let out = settle(&attempt(&root, "t", &[("x.txt", "x\n")]));
    assert!(!out.passed);
    assert_eq!(
        out.code, "setup_failed",
        "a timeout is a failure, not a gate error: {out:?}"
    );
    let run = runs(&out, "setup")[0];
    assert_eq!(run.verdict, GateVerdict::Fail);
    assert_eq!(run.findings[0].message, "setup_cmd timed out after 1s");
}

// ---------------------------------------------------------------------------------------
// review hooks

const HOOKS: &str = "[project]\nreview_hooks = [\n  \"grep -q . {files}\",\n  \"if grep -Hn AKIA {files}; then exit 1; fi\",\n]\n";

#[test]
fn a_failing_review_hook_rejects_in_structural_review_with_its_output() {
    let (_tmp, root) = project(HOOKS, &[]);
    let out = settle(&attempt(
        &root,
        "t",
        &[
            ("notes.txt", "fine\n"),
            ("conf/keys.txt", "key = AKIA1234\n"),
        ],
    ));
    assert!(!out.passed);
    assert_eq!(out.phase.as_deref(), Some("structural"));
    assert_eq!(out.code, "hook_failed");
    assert!(out.retryable, "the worker can remove the secret");
    assert!(
        out.reason
            .contains("Review hook failed: if grep -Hn AKIA {files}; then exit 1; fi")
            && out.reason.contains("conf/keys.txt:1:key = AKIA1234"),
        "{}",
        out.reason
    );
    // The scope gate ran first; nothing after the structural phase ran.
    assert_eq!(names(&out), ["scope", "review-hooks"]);
}

#[test]
fn passing_review_hooks_run_each_program_they_need() {
    // `grep` runs directly and the second hook through `sh`: the grant covers both.
    let (_tmp, root) = project(HOOKS, &[]);
    let out = settle(&attempt(&root, "t", &[("notes.txt", "fine\n")]));
    assert!(out.passed, "{out:?}");
    let run = runs(&out, "review-hooks")[0];
    assert_eq!(run.verdict, GateVerdict::Pass, "{run:?}");
    assert!(
        run.summary.contains("2 review hook(s) passed"),
        "{}",
        run.summary
    );
}

#[test]
fn preflight_runs_review_hooks_on_uncommitted_files() {
    let (_tmp, root) = project(HOOKS, &[]);
    write(&root, &[("new.txt", "AKIA999\n")]);
    let out = rt().block_on(pipeline().preflight(&root)).unwrap();
    assert!(!out.passed);
    assert_eq!(out.code, "hook_failed");
    assert!(out.reason.contains("new.txt:1:AKIA999"), "{}", out.reason);
}

// ---------------------------------------------------------------------------------------
// related-test targeting

/// A Python-shaped project whose test runner logs the targets it was given.
fn targeting_project() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (tmp, root) = project("", &[]);
    let log = tmp.path().join("targets.log");
    let runner = format!(
        "echo \"$*\" >> '{}'\nfor t in \"$@\"; do if grep -q FAILME \"$t\"; then echo \"$t failed\"; exit 1; fi; done\n",
        log.display()
    );
    write(
        &root,
        &[
            (
                ".dgov/project.toml",
                "[project]\ntest_cmd = \"sh run-tests.sh {test_dir}\"\n",
            ),
            ("run-tests.sh", &runner),
            ("src/pkg/calc.py", "def add(a, b):\n    return a + b\n"),
            ("src/pkg/other.py", "X = 1\n"),
            ("tests/test_calc.py", "from pkg.calc import add\n"),
            ("tests/test_other.py", "import pkg.other\n"),
            ("tests/test_boundaries.py", "# layering rules\n"),
        ],
    );
    let repo = git2::Repository::open(&root).unwrap();
    let mut idx = repo.index().unwrap();
    idx.add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    idx.write().unwrap();
    let tree = repo.find_tree(idx.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@t").unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "fixture", &tree, &[&head])
        .unwrap();
    (tmp, root, log)
}

fn logged(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn tests_run_only_the_targets_related_to_the_change() {
    let (_tmp, root, log) = targeting_project();
    let out = settle(&attempt(
        &root,
        "t",
        &[("src/pkg/calc.py", "def add(a, b):\n    return b + a\n")],
    ));
    assert!(out.passed, "{out:?}");
    // Isolated and candidate: the related test and the boundary test, not test_other.py.
    assert_eq!(
        logged(&log),
        [
            "tests/test_calc.py tests/test_boundaries.py",
            "tests/test_calc.py tests/test_boundaries.py"
        ]
    );
}

#[test]
fn a_changed_test_is_a_target_and_its_failure_rejects() {
    let (_tmp, root, log) = targeting_project();
    let out = settle(&attempt(&root, "t", &[("tests/test_new.py", "FAILME\n")]));
    assert!(!out.passed);
    assert_eq!(out.code, "tests_failed");
    assert!(
        out.reason.contains("tests/test_new.py failed"),
        "{}",
        out.reason
    );
    assert_eq!(logged(&log), ["tests/test_new.py"]);
}

#[test]
fn a_change_without_related_tests_skips_the_tests_gate_and_says_why() {
    let (_tmp, root, log) = targeting_project();
    let out = settle(&attempt(&root, "t", &[("docs/guide.md", "# guide\n")]));
    assert!(out.passed, "{out:?}");
    let tests = runs(&out, "tests");
    assert_eq!(tests.len(), 2);
    for run in tests {
        assert_eq!(run.verdict, GateVerdict::Skip);
        assert!(run.summary.contains("no test targets"), "{}", run.summary);
    }
    assert!(logged(&log).is_empty(), "the runner never ran");
}

// ---------------------------------------------------------------------------------------
// lint scoped to changed lines

/// A linter in the `path:line: message` form: every line with `BAD` is a diagnostic.
const LINT: &str = "[project]\nsource_extensions = [\".py\"]\nlint_cmd = \"if grep -Hn BAD {files}; then exit 1; fi\"\n";

fn lint_project() -> (tempfile::TempDir, PathBuf) {
    project(LINT, &[("m.py", "x = BAD\ny = 1\n")])
}

#[test]
fn lint_diagnostics_on_lines_the_task_did_not_add_only_warn() {
    let (_tmp, root) = lint_project();
    let out = settle(&attempt(&root, "t", &[("m.py", "x = BAD\ny = 1\nz = 2\n")]));
    assert!(
        out.passed,
        "a pre-existing diagnostic does not block: {out:?}"
    );
    let lint = runs(&out, "lint");
    assert_eq!(lint.len(), 2, "isolated and candidate");
    for run in lint {
        assert_eq!(run.verdict, GateVerdict::Warn, "{run:?}");
        assert!(!run.blocking);
        let f = &run.findings[0];
        assert!(
            !f.attributable && matches!(f.severity, Severity::Warning),
            "{f:?}"
        );
        assert_eq!(f.locations[0].path, "m.py");
        assert_eq!(f.locations[0].line, Some(1));
    }
}

#[test]
fn lint_diagnostics_on_added_lines_and_in_new_files_block() {
    let (_tmp, root) = lint_project();
    let out = settle(&attempt(
        &root,
        "t",
        &[
            ("m.py", "x = BAD\ny = 1\nz = BAD\n"),
            ("n.py", "ok = 1\nw = BAD\n"),
        ],
    ));
    assert!(!out.passed);
    assert_eq!(out.code, "lint_failed");
    let run = runs(&out, "lint")[0];
    let blocking: Vec<String> = run
        .findings
        .iter()
        .filter(|f| f.attributable)
        .map(|f| format!("{}:{}", f.locations[0].path, f.locations[0].line.unwrap()))
        .collect();
    assert_eq!(blocking, ["m.py:3", "n.py:2"]);
    assert!(
        run.findings
            .iter()
            .any(|f| !f.attributable && f.locations[0].line == Some(1)),
        "the old line is still reported, as a warning"
    );
    assert!(out.reason.contains("m.py:3: z = BAD"), "{}", out.reason);
}

#[test]
fn lint_output_without_diagnostics_is_judged_by_exit_code() {
    let (_tmp, root) = project(
        "[project]\nsource_extensions = [\".py\"]\nlint_cmd = \"sh lint.sh {files}\"\n",
        &[("lint.sh", "echo 'linter crashed: bad config' >&2; exit 2\n")],
    );
    let out = settle(&attempt(&root, "t", &[("m.py", "x = 1\n")]));
    assert!(!out.passed);
    assert_eq!(out.code, "lint_failed");
    assert!(out.reason.contains("linter crashed"), "{}", out.reason);
}

#[test]
fn a_command_that_sets_environment_variables_runs_through_the_shell() {
    // `VAR=value cmd` only works in a shell; the grant and the plugin agree on `sh`.
    let (_tmp, root) = project("[project]\ntest_cmd = \"GREETING=hi test -n x\"\n", &[]);
    let out = settle(&attempt(&root, "t", &[("x.txt", "x\n")]));
    assert!(out.passed, "{out:?}");
    assert!(
        runs(&out, "tests")
            .iter()
            .all(|r| r.verdict == GateVerdict::Pass)
    );
}

// ---------------------------------------------------------------------------------------
// policy

fn policy(project: &str) -> dgov_settlement::Policy {
    let (_tmp, root) = project_files(project);
    dgov_settlement::policy::load(&root).unwrap().0
}

fn project_files(project: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), &[(".dgov/project.toml", project)]);
    let root = tmp.path().to_path_buf();
    (tmp, root)
}

fn gate_names(p: &dgov_settlement::Policy, phase: PhaseName) -> Vec<String> {
    p.gates(phase).iter().map(|g| g.gate.clone()).collect()
}

#[test]
fn defaults_put_setup_first_and_review_hooks_after_scope_only_when_set() {
    let p = policy("[project]\ntest_cmd = \"true\"\n");
    assert_eq!(gate_names(&p, PhaseName::Structural), ["scope"]);
    assert!(!gate_names(&p, PhaseName::Isolated).contains(&"setup".to_string()));

    let p = policy(
        "[project]\ntest_cmd = \"true\"\nsetup_cmd = \"make deps\"\nsettlement_timeout = 60\nreview_hooks = [\"a {file}\", \"sh -c 'b'\"]\n",
    );
    assert_eq!(
        gate_names(&p, PhaseName::Structural),
        ["scope", "review-hooks"]
    );
    assert_eq!(gate_names(&p, PhaseName::Isolated), ["setup", "tests"]);
    assert_eq!(
        gate_names(&p, PhaseName::Candidate)[..2],
        ["setup", "tests"]
    );
    let setup = &p.gates(PhaseName::Isolated)[0];
    assert_eq!(setup.config["timeout_s"], 300, "not settlement_timeout");
    assert_eq!(p.gates(PhaseName::Isolated)[1].config["timeout_s"], 60);
    let hooks = &p.gates(PhaseName::Structural)[1];
    assert_eq!(hooks.config["kind"], "review_hooks");
    assert_eq!(
        hooks.config["hooks"],
        serde_json::json!(["a {file}", "sh -c 'b'"])
    );
    assert_eq!(hooks.config["timeout_s"], 30);
}

#[test]
fn an_entry_timeout_on_a_command_gate_is_the_command_timeout() {
    let p = policy(
        "[project]\nsetup_cmd = \"make deps\"\n[[settlement.phase.isolated]]\ngate = \"setup\"\ntimeout_s = 900\n[[settlement.phase.isolated]]\ngate = \"review-hooks\"\nconfig = { hooks = [\"x\"] }\n",
    );
    let setup = &p.gates(PhaseName::Isolated)[0];
    assert_eq!(setup.config["timeout_s"], 900);
    assert_eq!(
        setup.timeout_s, None,
        "the deadline follows the command timeout"
    );
    let hooks = &p.gates(PhaseName::Isolated)[1];
    assert_eq!(hooks.config["hooks"], serde_json::json!(["x"]));
}
