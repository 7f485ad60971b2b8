//! End-to-end tests of `dgov run`, `status`, `watch`, `ledger`, `clean` and `prune` on real
//! temporary git repositories, including crash recovery at every effect boundary.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use support::{git, json, text};

fn dgov(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dgov"));
    cmd.args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .env_remove("DGOV_FAULT")
        .env_remove("DGOV_WORKER")
        // Runner tests: the sentrux hooks (baseline bootstrap, and the refresh commit after
        // a complete run, whose timestamped baseline would change the final tree) are
        // tested in sentrux_cli.rs.
        .env("DGOV_SENTRUX", "off");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

const PLAN_ROOT: &str = "[plan]\nname = \"demo\"\nsections = [\"tasks\"]\n";

/// A repo at `<tmp>/proj` with plan `demo`: a creates a.txt, b (after a) appends to it,
/// c creates c.txt. Committed unless `commit` is false.
fn project(tasks: &str, commit: bool) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    std::fs::create_dir_all(root.join(".dgov/plans/demo/tasks")).unwrap();
    git(&root, &["init", "-q", "."]);
    git(&root, &["config", "user.email", "t@t"]);
    git(&root, &["config", "user.name", "t"]);
    std::fs::write(root.join(".dgov/plans/demo/_root.toml"), PLAN_ROOT).unwrap();
    std::fs::write(root.join(".dgov/plans/demo/tasks/main.toml"), tasks).unwrap();
    if commit {
        std::fs::write(root.join("README"), "hi\n").unwrap();
        git(&root, &["add", "-A"]);
        git(&root, &["commit", "-qm", "init"]);
    }
    (tmp, root)
}

const ABC: &str = r#"
[tasks.a]
prompt = "Orient\nEdit\nVerify\n"
files.create = ["a.txt"]
commit_message = "feat: a"

[tasks.b]
prompt = "Orient\nEdit\nVerify\n"
depends_on = ["a"]
files.edit = ["a.txt"]
commit_message = "feat: b"

[tasks.c]
prompt = "Orient\nEdit\nVerify\n"
files.create = ["c.txt"]
commit_message = "feat: c"
"#;

fn head_tree(root: &Path) -> String {
    git(root, &["rev-parse", "HEAD^{tree}"]).trim().to_string()
}

fn subjects(root: &Path) -> Vec<String> {
    let mut s: Vec<String> = git(root, &["log", "--format=%s"])
        .lines()
        .map(str::to_string)
        .collect();
    s.sort();
    s
}

fn assert_clean_end_state(root: &Path) {
    assert_eq!(
        git(root, &["branch", "--list", "dgov/*"]).trim(),
        "",
        "dgov branches left"
    );
    let wts = git(root, &["worktree", "list"]);
    assert_eq!(wts.lines().count(), 1, "worktrees left: {wts}");
    assert!(
        !root.parent().unwrap().join(".dgov-worktrees-proj").exists(),
        "worktree dir left"
    );
    let status = git(root, &["status", "--porcelain", "--untracked-files=all"]);
    for line in status.lines() {
        let p = &line[3..];
        assert!(
            p.starts_with(".dgov/state.db")
                || p.starts_with(".dgov/plans/")
                || p.starts_with(".dgov/run")
                || p.starts_with(".dgov/out")
                // dgov run creates the governor's sentrux baseline before dispatch.
                || p == ".sentrux/baseline.json",
            "unexpected change after the run: {line}"
        );
    }
}

/// (unit, sha) pairs of the deploy log, read with dgov-plan's reader (the shared format).
fn deployed(root: &Path) -> Vec<String> {
    let (records, _) = dgov_plan::read_deployed(root, "demo").unwrap();
    let mut units: Vec<String> = records.into_iter().map(|r| r.unit).collect();
    units.sort();
    units
}

#[test]
fn run_merges_parallel_and_dependent_tasks_then_status_and_watch_report_it() {
    let (_tmp, root) = project(ABC, true);
    let out = dgov(&root, &["--json", "run", ".dgov/plans/demo"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc = json(&out);
    assert_eq!(doc["status"], "complete");
    assert_eq!(doc["succeeded"], 3);
    assert!(
        doc["archived_to"]
            .as_str()
            .unwrap()
            .ends_with(".dgov/plans/archive/demo")
    );
    // The dependent saw its dependency's change.
    assert_eq!(
        std::fs::read_to_string(root.join("a.txt")).unwrap(),
        "tasks/main.a\ntasks/main.b\n"
    );
    assert_eq!(
        subjects(&root),
        vec!["feat: a", "feat: b", "feat: c", "init"]
    );
    assert_eq!(
        deployed(&root),
        vec!["tasks/main.a", "tasks/main.b", "tasks/main.c"]
    );
    assert_clean_end_state(&root);

    let status = dgov(&root, &["--json", "status", "--all"], &[]);
    assert_eq!(status.status.code(), Some(0));
    let s = json(&status);
    assert_eq!(s["status"], "idle");
    assert_eq!(s["tasks"], 3);
    assert!(
        s["task_list"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] == "merged")
    );
    let bare = dgov(&root, &[], &[]);
    assert_eq!(bare.status.code(), Some(0));
    assert!(text(&bare).contains("status: idle"), "{}", text(&bare));
    let watch = dgov(&root, &["watch", "--all", "--once"], &[]);
    let w = text(&watch);
    assert!(w.contains("● merged") && w.contains("tasks/main.b"), "{w}");
    // Settlement shows one line per phase with its gates' verdicts.
    assert!(
        w.contains("✓ phase") && w.contains("structural passed: scope pass"),
        "{w}"
    );
    assert!(
        w.contains("· phase") && w.contains("isolated skipped"),
        "{w}"
    );
}

#[test]
fn text_run_prints_a_summary_and_failed_tasks_exit_1_with_dependents_skipped() {
    let plan = r#"
[tasks.bad]
prompt = "fake: fatal"
files.create = ["bad.txt"]

[tasks.after]
prompt = "x"
depends_on = ["bad"]
files.create = ["after.txt"]

[tasks.sib]
prompt = "x"
files.create = ["sib.txt"]
"#;
    let (_tmp, root) = project(plan, true);
    let out = dgov(&root, &["run", ".dgov/plans/demo"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("status: partial"), "{t}");
    assert!(t.contains("failed_tasks: tasks/main.bad"), "{t}");
    assert!(t.contains("skipped_tasks: tasks/main.after"), "{t}");
    assert!(
        t.contains("tasks/main.bad: fake worker: fatal failure"),
        "{t}"
    );
    assert!(root.join("sib.txt").exists());
    assert!(
        root.join(".dgov/plans/demo").exists(),
        "a partial plan is not archived"
    );
    assert_clean_end_state(&root);
}

#[test]
fn a_dirty_tree_blocks_the_run_listing_files_but_generated_files_do_not() {
    let (_tmp, root) = project(ABC, true);
    std::fs::create_dir_all(root.join(".dgov/runtime")).unwrap();
    std::fs::write(root.join(".dgov/runtime/x"), "generated").unwrap();
    for i in 0..12 {
        std::fs::write(root.join(format!("dirty{i:02}.txt")), "x").unwrap();
    }
    std::fs::write(root.join("README"), "changed\n").unwrap();
    let out = dgov(&root, &["run", ".dgov/plans/demo"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(t.contains("working tree has uncommitted changes"), "{t}");
    assert!(
        t.contains("dirty_count: 13") && t.contains("  README") && t.contains("dirty_omitted: 3"),
        "{t}"
    );
    assert!(!t.contains(".dgov/runtime"), "{t}");
    let out = dgov(&root, &["--json", "run", ".dgov/plans/demo"], &[]);
    let doc = json(&out);
    assert_eq!(doc["dispatch_status"], "blocked_by_dirty_worktree");
    assert_eq!(doc["dirty_paths"].as_array().unwrap().len(), 10);
    assert_eq!(doc["dirty_omitted"], 3);
    assert_eq!(
        git(&root, &["log", "--format=%s"]).trim(),
        "init",
        "nothing ran"
    );
}

#[test]
fn an_empty_repository_is_bootstrapped_then_run() {
    let (_tmp, root) = project(ABC, false);
    std::fs::write(root.join("notes.md"), "n\n").unwrap();
    let out = dgov(&root, &["run", ".dgov/plans/demo"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("Created bootstrap commit from current working tree (3 file(s))"),
        "{}",
        text(&out)
    );
    assert_eq!(
        subjects(&root),
        vec![
            "chore: bootstrap repo for dgov",
            "feat: a",
            "feat: b",
            "feat: c"
        ]
    );
    let tracked = git(&root, &["ls-files"]);
    assert!(!tracked.contains("state.db"), "{tracked}");
}

#[test]
fn bad_input_is_exit_2_with_a_clear_message() {
    let (_tmp, root) = project(ABC, true);
    let out = dgov(&root, &["run", "nope"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("plan path not found: nope"),
        "{}",
        text(&out)
    );
    let out = dgov(&root, &["run", "README"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("needs a plan directory"),
        "{}",
        text(&out)
    );
    let out = dgov(&root, &["run", "/"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("must stay under the project root"),
        "{}",
        text(&out)
    );
    let out = dgov(
        &root,
        &["run", ".dgov/plans/demo", "--only", "tasks/main.zzz"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("task 'tasks/main.zzz' not found"),
        "{}",
        text(&out)
    );
    let out = dgov(
        &root,
        &["run", ".dgov/plans/demo", "--continue", "--restart"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn only_runs_the_unit_and_its_dependencies_and_never_archives() {
    let (_tmp, root) = project(ABC, true);
    let out = dgov(
        &root,
        &["run", ".dgov/plans/demo", "--only", "tasks/main.b"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(deployed(&root), vec!["tasks/main.a", "tasks/main.b"]);
    assert!(!root.join("c.txt").exists());
    assert!(root.join(".dgov/plans/demo").exists());
}

#[test]
fn a_second_run_refuses_while_one_runs_status_works_and_sigterm_exits_130() {
    let plan = r#"
[tasks.slow]
prompt = "sleep 30"
files.create = ["slow.txt"]
"#;
    let (_tmp, root) = project(plan, true);
    let first = Command::new(env!("CARGO_BIN_EXE_dgov"))
        .args(["run", ".dgov/plans/demo", "--worker", "command"])
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the worker is running.
    let mut active = false;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        let s = dgov(&root, &["--json", "status"], &[]);
        if s.status.success() && json(&s)["active"] == 1 {
            active = true;
            break;
        }
    }
    assert!(active, "the first run never became active");
    let second = dgov(
        &root,
        &["run", ".dgov/plans/demo", "--worker", "command"],
        &[],
    );
    assert_eq!(second.status.code(), Some(1));
    assert!(
        text(&second).contains("another `dgov run` is already running"),
        "{}",
        text(&second)
    );
    let s = json(&dgov(&root, &["--json", "status"], &[]));
    assert_eq!(s["status"], "active");
    assert_eq!(s["task_list"][0]["state"], "active");
    // SAFETY: signalling the child we spawned.
    unsafe {
        libc::kill(first.id() as i32, libc::SIGTERM);
    }
    let out = first.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(text(&out).contains("status: interrupted"), "{}", text(&out));
    assert_clean_end_state(&root);
    let s = json(&dgov(&root, &["--json", "status", "--all"], &[]));
    assert_eq!(s["status"], "idle");
    assert_eq!(s["task_list"][0]["state"], "abandoned");
    // No sleeping worker survived.
    let ps = Command::new("pgrep").args(["-f", "sleep 30"]).output();
    if let Ok(ps) = ps {
        let pids = String::from_utf8_lossy(&ps.stdout).to_string();
        for pid in pids.lines() {
            let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cwd")).unwrap_or_default();
            assert!(!cmdline.contains("proj"), "worker {pid} survived");
        }
    }
}

#[test]
fn ledger_add_list_resolve_and_clear_errors() {
    let (_tmp, root) = project(ABC, true);
    let out = dgov(
        &root,
        &[
            "ledger",
            "add",
            "bug",
            "parser drops tabs",
            "--path",
            "src/p.rs",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Added bug entry #1"));
    dgov(&root, &["ledger", "add", "rule", "no unwrap"], &[]);
    let list = text(&dgov(&root, &["ledger", "list"], &[]));
    assert!(
        list.contains("#2 [rule] no unwrap")
            && list.contains("#1 [bug] parser drops tabs  (src/p.rs)"),
        "{list}"
    );
    assert!(
        list.find("#2").unwrap() < list.find("#1").unwrap(),
        "newest first"
    );
    let q = text(&dgov(&root, &["ledger", "list", "-q", "tabs"], &[]));
    assert!(q.contains("#1") && !q.contains("#2"), "{q}");
    let c = text(&dgov(&root, &["ledger", "list", "-c", "debt"], &[]));
    assert!(c.contains("No open debts found."), "{c}");
    assert!(text(&dgov(&root, &["ledger", "resolve", "1"], &[])).contains("Resolved entry #1"));
    let r = json(&dgov(
        &root,
        &["--json", "ledger", "list", "-s", "resolved"],
        &[],
    ));
    assert_eq!(r[0]["id"], 1);
    let bad = dgov(&root, &["ledger", "add", "bogus", "x"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad).contains("unknown ledger category 'bogus'"),
        "{}",
        text(&bad)
    );
    let bad = dgov(&root, &["ledger", "resolve", "99"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("#99 not found"), "{}", text(&bad));
    let bad = dgov(&root, &["ledger", "list", "-c", "nope"], &[]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn clean_removes_orphans_and_prune_reports() {
    let (tmp, root) = project(ABC, true);
    let stray = tmp.path().join(".dgov-worktrees-proj/demo/x-a1");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join(".git"), "gitdir: /nowhere").unwrap();
    std::fs::create_dir_all(root.join(".dgov/out/demo")).unwrap();
    // A baseline checkout a killed `dgov preflight` left in the scratch directory.
    let scratch = tmp.path().join(".dgov-scratch-proj/dgov-baseline-k1ll3d");
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::write(scratch.join("a.txt"), "old\n").unwrap();
    let dry = dgov(&root, &["clean", "--dry-run"], &[]);
    assert!(text(&dry).contains("Would delete"), "{}", text(&dry));
    assert!(
        text(&dry).contains("1 orphan worktree(s), 1 leftover scratch checkout(s)"),
        "{}",
        text(&dry)
    );
    assert!(stray.exists() && scratch.exists());
    let out = dgov(&root, &["clean"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!stray.exists());
    assert!(!scratch.exists());
    assert!(!root.join(".dgov/out/demo").exists());
    assert!(text(&dgov(&root, &["prune"], &[])).contains("Nothing to prune."));
}

/// Crash at every effect boundary (kill -9 semantics), then plain run + `--continue`: the
/// repository converges to the same final state as an uninterrupted run.
#[test]
fn kill_9_at_every_boundary_then_continue_converges_to_the_uninterrupted_result() {
    let (_tmp, reference) = project(ABC, true);
    let out = dgov(&reference, &["run", ".dgov/plans/demo"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let want_tree = head_tree(&reference);
    let want_subjects = subjects(&reference);

    let mut faults: Vec<String> = Vec::new();
    for b in dgov_runner::fault::BOUNDARIES {
        faults.push(b.to_string());
        if !matches!(*b, "after_run_started") {
            faults.push(format!("{b}:2"));
        }
    }
    for fault in faults {
        let (_tmp, root) = project(ABC, true);
        let crashed = dgov(
            &root,
            &["run", ".dgov/plans/demo"],
            &[("DGOV_FAULT", &fault)],
        );
        if crashed.status.code().is_some() {
            // The boundary is not reached that many times in this plan; nothing to test.
            assert!(
                fault.ends_with(":2"),
                "{fault}: the run did not die: {}",
                text(&crashed)
            );
            continue;
        }
        let st = json(&dgov(&root, &["--json", "status"], &[]));
        assert!(
            st["status"] == "interrupted" || st["status"] == "idle",
            "{fault}: {st}"
        );
        // A plain rerun reports what was abandoned; then --continue finishes the plan.
        let plain = dgov(&root, &["--json", "run", ".dgov/plans/demo"], &[]);
        let plain_doc = json(&plain);
        if plain_doc["status"] != "complete" {
            assert_eq!(plain.status.code(), Some(1), "{fault}: {}", text(&plain));
            let resumed = dgov(
                &root,
                &["--json", "run", ".dgov/plans/demo", "--continue"],
                &[],
            );
            assert_eq!(
                resumed.status.code(),
                Some(0),
                "{fault}: {}",
                text(&resumed)
            );
        }
        assert_eq!(head_tree(&root), want_tree, "{fault}: different final tree");
        assert_eq!(
            subjects(&root),
            want_subjects,
            "{fault}: lost or doubled merge"
        );
        assert_eq!(
            deployed(&root),
            vec!["tasks/main.a", "tasks/main.b", "tasks/main.c"],
            "{fault}: deploy log"
        );
        assert!(
            root.join(".dgov/plans/archive/demo").exists(),
            "{fault}: not archived"
        );
        assert_clean_end_state(&root);
        // The event log agrees: folding it leaves every task merged, and no intent is open.
        let store = dgov_store::Store::open(&root).unwrap();
        assert!(
            store.open_intents("demo").unwrap().is_empty(),
            "{fault}: open intents"
        );
        let view = store.status_view().unwrap();
        assert!(
            view.tasks.iter().all(|t| t.state == "merged"),
            "{fault}: {:?}",
            view.tasks
        );
        let specs: Vec<dgov_kernel::TaskSpec> = ["a", "b", "c"]
            .iter()
            .map(|s| dgov_kernel::TaskSpec {
                id: format!("tasks/main.{s}"),
                depends_on: if *s == "b" {
                    vec!["tasks/main.a".into()]
                } else {
                    vec![]
                },
                max_retries: 3,
                max_forks: 1,
            })
            .collect();
        let (k, _) =
            dgov_kernel::replay(&specs, None, store.kernel_events("demo").unwrap()).unwrap();
        assert!(
            k.tasks()
                .all(|(_, s)| s.state == dgov_kernel::TaskState::Merged),
            "{fault}: fold disagrees"
        );
    }
}

#[test]
fn after_a_crash_a_plain_run_reports_the_abandoned_work() {
    let (_tmp, root) = project(ABC, true);
    let crashed = dgov(
        &root,
        &["run", ".dgov/plans/demo"],
        &[("DGOV_FAULT", "after_dispatched")],
    );
    assert_eq!(
        crashed.status.code(),
        None,
        "killed by SIGKILL: {}",
        text(&crashed)
    );
    let st = json(&dgov(&root, &["--json", "status"], &[]));
    assert_eq!(st["status"], "interrupted");
    let plain = dgov(&root, &["run", ".dgov/plans/demo"], &[]);
    assert_eq!(plain.status.code(), Some(1), "{}", text(&plain));
    let t = text(&plain);
    assert!(t.contains("abandoned_tasks: tasks/main.a"), "{t}");
    assert!(t.contains("--continue"), "{t}");
    assert!(t.contains("recovered:"), "{t}");
    let resumed = dgov(&root, &["run", ".dgov/plans/demo", "--continue"], &[]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
}
