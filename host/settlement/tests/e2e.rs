//! End-to-end settlement on real temporary git repositories: the runner with the fake and
//! command workers, the real plugin runtime, built-in gates and repository gates built from
//! source into `.dgov/plugins/`.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use dgov_git::Repo;
use dgov_kernel::RunMode;
use dgov_runner::*;
use dgov_settlement::{GateSettlement, GateVerdict};
use dgov_store::{RunLock, Store};
use support::{attempt, events, pipeline, rt, state, wasm, write_policy};

fn task(id: &str, files: &[&str], prompt: &str) -> RunTask {
    RunTask {
        id: id.into(),
        depends_on: vec![],
        prompt: prompt.into(),
        files: files.iter().map(|s| s.to_string()).collect(),
        read: Vec::new(),
        test_cmd: None,
        commit_message: format!("feat: {id}"),
        timeout: Some(Duration::from_secs(60)),
        retries: 0,
        forks: 1,
    }
}

async fn run(
    root: &Path,
    tasks: Vec<RunTask>,
    mode: RunMode,
    worker: Arc<dyn Worker>,
) -> RunReport {
    let lock = RunLock::acquire(&root.join(".dgov")).unwrap();
    let cfg = RunConfig {
        root: root.to_path_buf(),
        mode,
        max_parallel: None,
        archive: false,
    };
    let deps = RunDeps {
        worker,
        settlement: Arc::new(GateSettlement::new(pipeline())),
        progress: Arc::new(Silent),
    };
    let plan = RunPlan {
        name: "p".into(),
        dir: None,
        tasks,
    };
    dgov_runner::run(plan, cfg, lock, deps, std::future::pending())
        .await
        .unwrap()
}

#[test]
fn a_repository_gate_rejects_until_policy_disables_it_without_a_rebuild() {
    let gate = wasm("secret-gate");
    let (_tmp, root) = support::repo(&[]);
    std::fs::create_dir_all(root.join(".dgov/plugins")).unwrap();
    std::fs::copy(&gate, root.join(".dgov/plugins/secret-gate.wasm")).unwrap();
    write_policy(
        &root,
        "[[settlement.phase.isolated]]\ngate = \"secret-gate\"\nconfig = { patterns = [\"leak\"] }\n",
    );
    let rt = rt();
    // The fake worker appends the task id ("leaky") to its claimed file.
    let report = rt.block_on(run(
        &root,
        vec![task("leaky", &["notes.txt"], "")],
        RunMode::Fresh,
        Arc::new(FakeWorker::default()),
    ));
    assert!(report.merged_now.is_empty(), "{report:?}");
    let (st, err) = state(&root, "leaky");
    assert_eq!(st, "failed");
    assert!(
        err.contains("secret-gate") && err.contains("pattern-added") && err.contains("notes.txt:1"),
        "{err}"
    );
    let completed = events(&root, "settlement_phase_completed");
    assert!(
        completed
            .iter()
            .any(|e| e["phase"] == "isolated" && e["status"] == "failed"),
        "{completed:?}"
    );

    // Same binary, same runtime: only the policy changes.
    write_policy(
        &root,
        "[[settlement.phase.isolated]]\ngate = \"secret-gate\"\non_fail = \"warn\"\nconfig = { patterns = [\"leak\"] }\n",
    );
    let report = rt.block_on(run(
        &root,
        vec![task("leaky", &["notes.txt"], "")],
        RunMode::Continue,
        Arc::new(FakeWorker::default()),
    ));
    assert_eq!(report.merged_now.len(), 1, "{report:?}");
    assert_eq!(
        std::fs::read_to_string(root.join("notes.txt")).unwrap(),
        "leaky\n"
    );
}

#[test]
fn candidate_validation_rejects_tasks_that_pass_alone_but_break_the_build_together() {
    let check = "if [ -f a.txt ] && [ -f b.txt ]; then echo 'a.txt and b.txt together break the build'; exit 1; fi\n";
    let (_tmp, root) = support::repo(&[("check.sh", check)]);
    write_policy(&root, "[project]\ntest_cmd = \"sh check.sh\"\n");
    // b waits until a has landed, so b's candidate is built on a target that contains a.
    let wait = format!(
        "while [ ! -f '{}' ]; do sleep 0.05; done; echo b > b.txt",
        root.join("a.txt").display()
    );
    let tasks = vec![
        task("a", &["a.txt"], "echo a > a.txt"),
        task("b", &["b.txt"], &wait),
    ];
    let report = rt().block_on(run(&root, tasks, RunMode::Fresh, Arc::new(CommandWorker)));
    assert_eq!(
        report
            .merged_now
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>(),
        ["a"],
        "{report:?}"
    );
    let (st, err) = state(&root, "b");
    assert_eq!(st, "failed");
    assert!(
        err.contains("candidate gate `tests`") && err.contains("together break the build"),
        "{err}"
    );
    // b passed alone: its isolated phase ran the same command and passed.
    let done = events(&root, "settlement_phase_completed");
    let b_isolated: Vec<_> = done.iter().filter(|e| e["phase"] == "isolated").collect();
    assert!(
        b_isolated.len() >= 2 && b_isolated.iter().all(|e| e["status"] == "passed"),
        "{b_isolated:?}"
    );
    assert!(!root.join("b.txt").exists());
}

#[test]
fn a_trapping_or_runaway_gate_is_an_error_verdict_and_policy_decides_as_for_preexisting_findings() {
    let gate = wasm("misbehaving-gate");
    let (_tmp, root) = support::repo(&[]);
    std::fs::create_dir_all(root.join(".dgov/plugins")).unwrap();
    std::fs::copy(&gate, root.join(".dgov/plugins/misbehaving-gate.wasm")).unwrap();
    let req = attempt(&root, "t", &[("x.txt", "x\n")]);
    let rt = rt();
    let policy = |mode: &str, on_error: &str| {
        format!(
            "[settlement]\ncache = false\n[[settlement.phase.isolated]]\ngate = \"misbehaving-gate\"\non_error = \"{on_error}\"\ntimeout_s = 1\nconfig = {{ mode = \"{mode}\" }}\n"
        )
    };
    for mode in ["trap", "spin"] {
        write_policy(&root, &policy(mode, "reject"));
        let out = rt.block_on(pipeline().settle(&req));
        assert!(!out.passed, "{mode}: {out:?}");
        assert_eq!(out.code, "gate_error", "{mode}");
        let run = out
            .gates
            .iter()
            .find(|g| g.gate == "misbehaving-gate")
            .unwrap();
        assert_eq!(run.verdict, GateVerdict::Error, "{mode}");
        write_policy(&root, &policy(mode, "warn"));
        let out = rt.block_on(pipeline().settle(&req));
        assert!(out.passed, "{mode} with on_error = warn: {out:?}");
        assert_eq!(
            out.gates
                .iter()
                .find(|g| g.gate == "misbehaving-gate")
                .unwrap()
                .verdict,
            GateVerdict::Error
        );
    }
    // A plain failure is governed by on_fail, not on_error.
    write_policy(
        &root,
        "[[settlement.phase.isolated]]\ngate = \"misbehaving-gate\"\non_error = \"warn\"\nconfig = { mode = \"fail\" }\n",
    );
    let out = rt.block_on(pipeline().settle(&req));
    assert!(!out.passed && out.code == "fixture-fail", "{out:?}");

    // A failure made only of pre-existing findings is not the task's doing: it warns,
    // unless the repository asks for pre-existing problems to block.
    let preexisting = "[[settlement.phase.isolated]]\ngate = \"misbehaving-gate\"\nconfig = { mode = \"preexisting\" }\n";
    write_policy(&root, preexisting);
    let out = rt.block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");
    let run = out
        .gates
        .iter()
        .find(|g| g.gate == "misbehaving-gate")
        .unwrap();
    assert_eq!(run.verdict, GateVerdict::Warn);
    assert!(run.summary.contains("only pre-existing"), "{}", run.summary);
    write_policy(
        &root,
        &format!("[settlement]\nblock_preexisting = true\n{preexisting}"),
    );
    let out = rt.block_on(pipeline().settle(&req));
    assert!(!out.passed && out.code == "fixture-old", "{out:?}");
}

#[test]
fn an_unchanged_tree_reuses_cached_verdicts_and_says_so() {
    let (_tmp, root) = support::repo(&[("check.sh", "exit 0\n")]);
    write_policy(&root, "[project]\ntest_cmd = \"sh check.sh\"\n");
    let req = attempt(&root, "t", &[("x.txt", "x\n")]);
    let rt = rt();
    let first = rt.block_on(pipeline().settle(&req));
    assert!(first.passed, "{first:?}");
    assert!(first.gates.iter().all(|g| !g.cached));
    let second = rt.block_on(pipeline().settle(&req));
    assert!(second.passed);
    let tests: Vec<_> = second.gates.iter().filter(|g| g.gate == "tests").collect();
    assert_eq!(tests.len(), 2, "isolated and candidate");
    assert!(
        tests
            .iter()
            .all(|g| g.cached && g.summary.contains("cached")),
        "{tests:?}"
    );
    // Another gate configuration is another key.
    write_policy(&root, "[project]\ntest_cmd = \"sh  check.sh\"\n");
    let third = rt.block_on(pipeline().settle(&req));
    assert!(
        third
            .gates
            .iter()
            .filter(|g| g.gate == "tests")
            .all(|g| !g.cached)
    );
}

#[test]
fn scope_violations_are_terminal_and_not_retryable() {
    let (_tmp, root) = support::repo(&[]);
    let mut req = attempt(&root, "t", &[("x.txt", "x\n"), ("y.txt", "y\n")]);
    req.claims = vec!["x.txt".into()];
    let out = rt().block_on(pipeline().settle(&req));
    assert!(!out.passed);
    assert_eq!(out.code, "scope_violation");
    assert!(!out.retryable);
    assert!(out.reason.contains("y.txt"), "{}", out.reason);
    let v = dgov_settlement::verdict_of(&out);
    assert!(!v.retryable && v.reason.starts_with("scope_violation"));
}

#[test]
fn concurrent_edits_of_one_function_are_rejected_by_the_semantic_gate_end_to_end() {
    let base = "def f(a):\n    x = 1\n    y = 2\n    z = 3\n    return x + y + z + a\n\n\ndef g():\n    return 0\n";
    let (_tmp, root) = support::repo(&[("m.py", base)]);
    let req = attempt(&root, "t", &[("m.py", &base.replace("x = 1", "x = 10"))]);
    // The target edits another line of the same function meanwhile (no textual conflict).
    std::fs::write(root.join("m.py"), base.replace("z = 3", "z = 30")).unwrap();
    let repo = git2::Repository::open(&root).unwrap();
    let mut idx = repo.index().unwrap();
    idx.add_path(Path::new("m.py")).unwrap();
    idx.write().unwrap();
    let tree = repo.find_tree(idx.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@t").unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "target edit", &tree, &[&head])
        .unwrap();
    let out = rt().block_on(pipeline().settle(&req));
    assert!(!out.passed, "{out:?}");
    assert_eq!(out.phase.as_deref(), Some("semantic"));
    assert_eq!(out.code, "same_symbol_edit");
    assert!(out.reason.contains("function f in m.py"), "{}", out.reason);
}

#[test]
fn a_file_written_through_worker_tools_and_reverted_still_violates_scope() {
    let (_tmp, root) = support::repo(&[]);
    let req = attempt(&root, "t", &[("x.txt", "x\n")]);
    let mut store = Store::open(&root).unwrap();
    let activity = serde_json::json!({"attempt": 1, "log_type": "result", "content": {"activity": [
        {"kind": "write_file", "path": "scratch.txt", "mode": "create"},
        {"kind": "read_file", "path": "README"}
    ]}});
    store
        .append_note("p", None, Some("t"), "worker_log", &activity)
        .unwrap();
    // Another attempt's writes do not count against this one.
    let other = serde_json::json!({"attempt": 7, "log_type": "result", "content": {"activity": [
        {"kind": "write_file", "path": "elsewhere.txt", "mode": "create"}
    ]}});
    store
        .append_note("p", None, Some("t"), "worker_log", &other)
        .unwrap();
    let out = rt().block_on(pipeline().settle(&req));
    assert_eq!(out.code, "scope_violation", "{out:?}");
    assert!(
        out.reason.contains("scratch.txt") && !out.reason.contains("elsewhere.txt"),
        "{}",
        out.reason
    );
}

#[test]
fn a_target_that_moves_during_validation_gets_a_fresh_candidate() {
    let (tmp, root) = support::repo(&[]);
    let marker = tmp.path().join("moved-once");
    // The candidate gate's command lands a commit on the target the first time it runs,
    // as a merge of another task would.
    let cmd = format!(
        "if [ ! -f {m} ]; then touch {m}; echo m > {r}/moved.txt; git -C {r} add moved.txt; git -C {r} -c user.name=t -c user.email=t@t -c commit.gpgsign=false commit -qm moved; fi",
        m = marker.display(),
        r = root.display()
    );
    write_policy(
        &root,
        &format!(
            "[settlement.phase]\nisolated = []\n[[settlement.phase.candidate]]\ngate = \"command\"\nconfig = {{ command = {cmd:?} }}\n"
        ),
    );
    let req = attempt(&root, "t", &[("x.txt", "x\n")]);
    let before = Repo::open(&root).unwrap().head().unwrap().unwrap();
    let out = rt().block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");
    let after = Repo::open(&root).unwrap().head().unwrap().unwrap();
    assert_ne!(before, after, "the gate should have moved the target");
    assert_eq!(out.target.as_deref(), Some(after.to_string().as_str()));
    let moved = events(&root, "settlement_target_moved");
    assert_eq!(moved.len(), 1, "{moved:?}");
    // The validated candidate contains both the moved target and the task.
    let repo = Repo::open(&root).unwrap();
    let cand = git2::Oid::from_str(out.candidate.as_deref().unwrap()).unwrap();
    assert!(
        repo.file_at(cand, "moved.txt").unwrap().is_some()
            && repo.file_at(cand, "x.txt").unwrap().is_some()
    );
}

#[test]
fn a_failing_test_verdict_is_retried_in_place_and_the_fix_lands_on_top_of_the_kept_work() {
    let (_tmp, root) = support::repo(&[]);
    // The tests pass only once both lines are there.
    write_policy(
        &root,
        "[project]\ntest_cmd = \"grep -q second a.txt\"\n[settlement.phase]\ncandidate = []\nsemantic = []\n",
    );
    // First attempt writes the first line; an attempt that finds it (carried in place)
    // adds the second. Starting over would write the first line again and fail forever.
    let prompt = "if grep -q first a.txt 2>/dev/null; then echo second >> a.txt; else echo first > a.txt; fi";
    let report = rt().block_on(run(
        &root,
        vec![task("t", &["a.txt"], prompt)],
        RunMode::Fresh,
        Arc::new(CommandWorker),
    ));
    assert_eq!(report.merged_now.len(), 1, "{report:?}");
    assert_eq!(
        std::fs::read_to_string(root.join("a.txt")).unwrap(),
        "first\nsecond\n"
    );
    let retry = events(&root, "retry");
    assert_eq!(retry.len(), 1, "{retry:?}");
    assert_eq!(retry[0]["in_place"], true);
    assert!(
        retry[0]["reason"]
            .as_str()
            .unwrap()
            .contains("tests_failed"),
        "{retry:?}"
    );
    // The first attempt's full outcome is kept for the retry's worker.
    let evidence = dgov_settlement::evidence_path(&root, "p", "t", 1);
    let outcome: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(evidence).unwrap()).unwrap();
    assert_eq!(outcome["passed"], false);
    assert_eq!(outcome["phase"], "isolated");
}

#[test]
fn writing_a_read_claimed_file_is_a_read_scope_violation_retried_in_place_not_a_terminal_one() {
    let (_tmp, root) = support::repo(&[("b.txt", "context\n")]);
    let mut t = task("t", &["a.txt"], "echo a > a.txt; echo oops >> b.txt");
    t.read = vec!["b.txt".into()];
    let report = rt().block_on(run(&root, vec![t], RunMode::Fresh, Arc::new(CommandWorker)));
    assert!(report.merged_now.is_empty(), "{report:?}");
    let (st, err) = state(&root, "t");
    assert_eq!(st, "failed");
    assert!(err.contains("read_scope_violation"), "{err}");
    // Unlike an unclaimed write, a read-claimed one is retryable: the retry continues the
    // work and only has to revert b.txt (this worker does not, so it fails again).
    let retry = events(&root, "retry");
    assert_eq!(retry.len(), 1, "{retry:?}");
    assert_eq!(retry[0]["in_place"], true);
    assert_eq!(
        std::fs::read_to_string(root.join("b.txt")).unwrap(),
        "context\n"
    );
}

#[test]
fn a_tasks_own_test_command_gates_it_alongside_the_projects() {
    let (_tmp, root) = support::repo(&[("check.sh", "exit 0\n")]);
    write_policy(&root, "[project]\ntest_cmd = \"sh check.sh\"\n");
    let mut t = task("t", &["a.txt"], "echo wrong > a.txt");
    t.test_cmd = Some("grep -q right a.txt".into());
    let report = rt().block_on(run(&root, vec![t], RunMode::Fresh, Arc::new(CommandWorker)));
    assert!(report.merged_now.is_empty(), "{report:?}");
    let (st, err) = state(&root, "t");
    assert_eq!(st, "failed");
    assert!(
        err.contains("gate `task-tests`") && err.contains("grep -q right a.txt"),
        "{err}"
    );
    // The task's tests run first in the phase, before the project's.
    let done = events(&root, "settlement_phase_completed");
    let isolated = done.iter().find(|e| e["phase"] == "isolated").unwrap();
    assert_eq!(isolated["gates"][0]["gate"], "task-tests", "{isolated}");
}
