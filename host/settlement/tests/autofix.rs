//! The prepare phase end to end on real temporary git repositories: a fake formatter (a
//! committed shell script) configured as `[project].format_cmd` runs through the command
//! gate in the attempt worktree; the host keeps its edits only on the task's lines, commits
//! them on the attempt branch, and the candidate and the merge use that commit.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use dgov_git::{Oid, Repo};
use dgov_kernel::RunMode;
use dgov_plugin_host::bindings::{FileContent, Fix, TextEdit};
use dgov_runner::*;
use dgov_settlement::autofix::Session;
use dgov_settlement::{GateSettlement, GateVerdict, Request};
use dgov_store::RunLock;
use support::*;

/// The fake formatter: strips trailing blanks from the files it is given — and, like a
/// formatter run on a whole package would, from `other.py`, which no task touches — and
/// leaves a stray file behind and makes itself executable.
const FORMATTER: &str =
    "sed -i 's/[ ]*$//' \"$@\" other.py\necho junk > fixer-junk.txt\nchmod +x fmt.sh\n";

/// `m.py` has a badly formatted line (trailing blanks) from before any task.
const M_BASE: &str = "def f():   \n    return 1\n";

fn project(formatter: &str, policy: &str) -> (tempfile::TempDir, PathBuf) {
    support::repo(&[
        ("fmt.sh", formatter),
        ("m.py", M_BASE),
        ("other.py", "x = 1   \n"),
        (".dgov/project.toml", policy),
    ])
}

const FORMAT: &str =
    "[project]\nformat_cmd = \"sh fmt.sh {file}\"\nsource_extensions = [\".py\"]\n";

/// An attempt prepared by hand: a worktree from HEAD with `files` written and committed.
/// The worker `git add`s its changes itself (the original's autofix never saw staged
/// changes; settlement diffs committed trees, so it does).
fn attempt(root: &Path, id: &str, files: &[(&str, &str)]) -> Request {
    let repo = Repo::open(root).unwrap();
    let base = repo.head().unwrap().unwrap();
    let wt = repo.create_attempt("p", id, 1, base).unwrap();
    let g = git2::Repository::open(&wt.path).unwrap();
    let mut index = g.index().unwrap();
    for (p, text) in files {
        std::fs::write(wt.path.join(p), text).unwrap();
        index.add_path(Path::new(p)).unwrap();
    }
    index.write().unwrap();
    let commit = repo.commit_attempt(&wt.path, "feat").unwrap().unwrap();
    support::request(&repo, id, wt.path, base, commit, files)
}

fn at(root: &Path, commit: &str, path: &str) -> Option<String> {
    let repo = Repo::open(root).unwrap();
    let oid = Oid::from_str(commit).unwrap();
    repo.file_at(oid, path)
        .unwrap()
        .map(|b| String::from_utf8(b).unwrap())
}

fn head_of(dir: &Path) -> Oid {
    git2::Repository::open(dir)
        .unwrap()
        .head()
        .unwrap()
        .target()
        .unwrap()
}

fn is_clean(dir: &Path) -> bool {
    let repo = git2::Repository::open(dir).unwrap();
    let mut o = git2::StatusOptions::new();
    o.include_untracked(true);
    repo.statuses(Some(&mut o)).unwrap().is_empty()
}

#[test]
fn the_formatter_fixes_only_the_tasks_lines_and_the_rest_of_the_pipeline_judges_that_commit() {
    let (_tmp, root) = project(FORMATTER, FORMAT);
    let task_m = format!("{M_BASE}y = 2   \n");
    let req = attempt(
        &root,
        "t",
        &[("m.py", &task_m), ("n.py", "a = 1  \nb = 2  \n")],
    );
    let out = rt().block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");

    let fix = out.autofix.clone().expect("an autofix commit");
    assert_eq!(fix.files, ["m.py", "n.py"]);
    // The task's line is fixed; the pre-existing bad line of the same file is untouched.
    assert_eq!(
        at(&root, &fix.commit, "m.py").unwrap(),
        "def f():   \n    return 1\ny = 2\n"
    );
    // A file new in the task is fixed whole.
    assert_eq!(at(&root, &fix.commit, "n.py").unwrap(), "a = 1\nb = 2\n");
    // The formatter rewrote other.py, which the task did not touch: restored.
    assert_eq!(at(&root, &fix.commit, "other.py").unwrap(), "x = 1   \n");
    assert_eq!(
        std::fs::read_to_string(req.worktree.join("other.py")).unwrap(),
        "x = 1   \n"
    );
    // The file it created is removed, and not committed.
    assert!(!req.worktree.join("fixer-junk.txt").exists());
    assert_eq!(at(&root, &fix.commit, "fixer-junk.txt"), None);

    // A follow-up commit on the attempt branch, on top of the worker's, with dgov's identity.
    let repo = git2::Repository::open(&root).unwrap();
    let c = repo
        .find_commit(Oid::from_str(&fix.commit).unwrap())
        .unwrap();
    assert_eq!(c.message().ok(), Some("dgov: autofix t"));
    assert_eq!(c.parent_id(0).unwrap(), req.commit);
    // It carries the kept fixes and nothing else (no stray file, no mode change).
    let committed: Vec<String> = dgov_settlement::diff::between(&repo, req.commit, c.id())
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(committed, ["m.py", "n.py"]);
    assert_eq!(c.author().name().ok(), Some("dgov-worker"));
    let tip = Repo::open(&root).unwrap().attempt_tip("p", "t", 1).unwrap();
    assert_eq!(tip.to_string(), fix.commit);
    assert_eq!(head_of(&req.worktree), tip);
    assert!(is_clean(&req.worktree));

    // The integration candidate is built from the fixed commit.
    let cand = out.candidate.as_deref().unwrap();
    assert_eq!(
        at(&root, cand, "m.py").unwrap(),
        "def f():   \n    return 1\ny = 2\n"
    );
    assert_eq!(at(&root, cand, "n.py").unwrap(), "a = 1\nb = 2\n");

    // The phase-completed event lists the fixed files and the commit.
    let done = events(&root, "settlement_phase_completed");
    let prepare = done.iter().find(|e| e["phase"] == "prepare").unwrap();
    assert_eq!(prepare["status"], "passed");
    assert_eq!(prepare["fixed_files"], serde_json::json!(["m.py", "n.py"]));
    assert_eq!(prepare["autofix_commit"], fix.commit.as_str());
    // The phases ran in order: structural, prepare, isolated.
    let order: Vec<&str> = done.iter().filter_map(|e| e["phase"].as_str()).collect();
    assert_eq!(
        order[..3],
        ["structural", "prepare", "isolated"],
        "{order:?}"
    );
    // The evidence records it.
    let evidence = serde_json::to_value(&out).unwrap();
    assert_eq!(evidence["autofix"]["commit"], fix.commit.as_str());

    // A re-settlement (the runner passes the branch tip) finds nothing more to fix.
    let again = Request {
        commit: tip,
        ..req.clone()
    };
    let out = rt().block_on(pipeline().settle(&again));
    assert!(out.passed && out.autofix.is_none(), "{out:?}");
    assert_eq!(head_of(&req.worktree), tip);
    assert!(is_clean(&req.worktree));
}

#[test]
fn nothing_to_fix_makes_no_commit_and_no_format_cmd_skips_the_phase() {
    let (_tmp, root) = project(FORMATTER, FORMAT);
    let req = attempt(&root, "t", &[("n.py", "a = 1\n")]);
    let out = rt().block_on(pipeline().settle(&req));
    assert!(out.passed && out.autofix.is_none(), "{out:?}");
    assert_eq!(head_of(&req.worktree), req.commit);
    // The formatter still rewrote other.py; it was put back.
    assert!(is_clean(&req.worktree));

    write_policy(&root, "[project]\nsource_extensions = [\".py\"]\n");
    let req = attempt(&root, "u", &[("n.py", "a = 1   \n")]);
    let out = rt().block_on(pipeline().settle(&req));
    assert!(out.passed && out.autofix.is_none(), "{out:?}");
    let done = events(&root, "settlement_phase_completed");
    assert!(
        done.iter()
            .any(|e| e["phase"] == "prepare" && e["status"] == "skipped"),
        "{done:?}"
    );
    assert_eq!(
        std::fs::read_to_string(req.worktree.join("n.py")).unwrap(),
        "a = 1   \n"
    );
}

#[test]
fn a_failing_fixer_has_its_edits_reverted_and_warns_or_rejects_per_on_fail() {
    // Edits every file, then fails.
    let failing = format!("{FORMATTER}echo 'cannot format' >&2\nexit 3\n");
    let (_tmp, root) = project(&failing, FORMAT);
    let req = attempt(&root, "t", &[("n.py", "a = 1   \n")]);
    let rt = rt();
    // The default fixer only warns (the isolated checks judge the result).
    let out = rt.block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");
    assert!(out.autofix.is_none());
    let run = out.gates.iter().find(|g| g.gate == "format-fix").unwrap();
    assert_eq!(run.verdict, GateVerdict::Fail);
    assert_eq!(head_of(&req.worktree), req.commit);
    assert!(
        is_clean(&req.worktree),
        "the failing fixer's edits are reverted"
    );
    let cand = out.candidate.as_deref().unwrap();
    assert_eq!(at(&root, cand, "n.py").unwrap(), "a = 1   \n");

    write_policy(
        &root,
        &format!(
            "{FORMAT}[[settlement.phase.prepare]]\ngate = \"format-fix\"\non_fail = \"reject\"\n"
        ),
    );
    let out = rt.block_on(pipeline().settle(&req));
    assert!(!out.passed, "{out:?}");
    assert_eq!(out.phase.as_deref(), Some("prepare"));
    assert_eq!(out.code, "format-fix_failed");
    assert!(out.retryable);
    assert!(out.reason.contains("cannot format"), "{}", out.reason);
    assert_eq!(head_of(&req.worktree), req.commit);
    assert!(is_clean(&req.worktree));
}

#[test]
fn a_fixer_that_times_out_is_a_verdict_the_policy_decides_not_a_crash() {
    let slow = format!("{FORMATTER}sleep 20\n");
    let policy = "[project]\nformat_cmd = \"sh fmt.sh {file}\"\nsource_extensions = [\".py\"]\nsettlement_timeout = 1\n[[settlement.phase.prepare]]\ngate = \"format-fix\"\non_fail = \"reject\"\n";
    let (_tmp, root) = project(&slow, policy);
    let req = attempt(&root, "t", &[("n.py", "a = 1   \n")]);
    let out = rt().block_on(pipeline().settle(&req));
    assert!(!out.passed, "{out:?}");
    assert_eq!(out.phase.as_deref(), Some("prepare"));
    let run = out.gates.iter().find(|g| g.gate == "format-fix").unwrap();
    assert!(
        matches!(run.verdict, GateVerdict::Fail | GateVerdict::Error),
        "{run:?}"
    );
    assert!(run.summary.contains("timed out"), "{}", run.summary);
    // Its edits (made before it hung) are reverted.
    assert!(is_clean(&req.worktree));
    assert_eq!(head_of(&req.worktree), req.commit);
}

#[test]
fn gate_returned_fixes_apply_only_to_the_tasks_files_and_lines() {
    let (_tmp, root) = project(FORMATTER, FORMAT);
    let task_m = format!("{M_BASE}y = 2   \n");
    let req = attempt(&root, "t", &[("m.py", &task_m), ("n.py", "a\n")]);
    let changed = {
        let repo = git2::Repository::open(&root).unwrap();
        dgov_settlement::diff::between(&repo, req.base, req.commit).unwrap()
    };
    let mut session = Session::begin(&req.worktree, req.commit, &changed).unwrap();
    let edit = |path: &str, line: u32, text: &str| TextEdit {
        path: path.into(),
        start_line: line,
        end_line: line,
        replacement: text.into(),
    };
    let replace = |path: &str, text: &str| {
        Fix::ReplaceFile(FileContent {
            path: path.into(),
            content: text.as_bytes().to_vec(),
        })
    };
    let fixes = [
        // Line 1 predates the task (reverted), line 3 is the task's (kept).
        Fix::Edits(vec![
            edit("m.py", 1, "def f():\n"),
            edit("m.py", 3, "y = 2\n"),
        ]),
        replace("n.py", "A\n"),
        replace("other.py", "x = 1\n"),
        replace("../escape.py", "boom\n"),
        replace("/etc/passwd", "boom\n"),
    ];
    let effect = session.after_gate(true, &fixes).unwrap();
    assert_eq!(effect.fixed, ["m.py", "n.py"]);
    assert_eq!(effect.ignored.len(), 3, "{:?}", effect.ignored);
    assert!(
        effect
            .ignored
            .iter()
            .any(|i| i.starts_with("other.py") && i.contains("not a file this task changed")),
        "{:?}",
        effect.ignored
    );
    let read = |p: &str| std::fs::read_to_string(req.worktree.join(p)).unwrap();
    assert_eq!(read("m.py"), "def f():   \n    return 1\ny = 2\n");
    assert_eq!(read("n.py"), "A\n");
    assert_eq!(read("other.py"), "x = 1   \n");
    assert!(!req.worktree.parent().unwrap().join("escape.py").exists());

    // A failing gate's fixes are not applied, and its file edits are reverted to what the
    // earlier fixers left.
    std::fs::write(req.worktree.join("n.py"), "broken\n").unwrap();
    let effect = session
        .after_gate(false, &[replace("n.py", "B\n")])
        .unwrap();
    assert_eq!(effect.reverted, ["n.py"]);
    assert_eq!(read("n.py"), "A\n");

    let commit = session.commit("t").unwrap().unwrap();
    let c = at(&root, &commit.to_string(), "m.py").unwrap();
    assert_eq!(c, "def f():   \n    return 1\ny = 2\n");
    assert!(is_clean(&req.worktree));
}

#[test]
fn the_runner_merges_the_autofix_commit() {
    let (_tmp, root) = project(FORMATTER, FORMAT);
    let task = RunTask {
        id: "fmt".into(),
        depends_on: vec![],
        prompt: "printf 'z = 3   \\n' >> m.py".into(),
        files: vec!["m.py".into()],
        read: Vec::new(),
        test_cmd: None,
        commit_message: "feat: fmt".into(),
        timeout: Some(Duration::from_secs(60)),
        retries: 0,
        forks: 1,
    };
    let lock = RunLock::acquire(&root.join(".dgov")).unwrap();
    let cfg = RunConfig {
        root: root.clone(),
        mode: RunMode::Fresh,
        max_parallel: None,
        archive: false,
    };
    let deps = RunDeps {
        worker: Arc::new(CommandWorker),
        settlement: Arc::new(GateSettlement::new(pipeline())),
        progress: Arc::new(Silent),
    };
    let plan = RunPlan {
        name: "p".into(),
        dir: None,
        tasks: vec![task],
    };
    let report = rt()
        .block_on(dgov_runner::run(
            plan,
            cfg,
            lock,
            deps,
            std::future::pending(),
        ))
        .unwrap();
    assert_eq!(report.merged_now.len(), 1, "{report:?}");
    assert_eq!(
        std::fs::read_to_string(root.join("m.py")).unwrap(),
        format!("{M_BASE}z = 3\n")
    );
    assert_eq!(
        std::fs::read_to_string(root.join("other.py")).unwrap(),
        "x = 1   \n"
    );
    let subjects = Repo::open(&root).unwrap().log_subjects(5).unwrap();
    assert!(
        subjects.iter().any(|s| s == "dgov: autofix fmt"),
        "{subjects:?}"
    );
}

/// A fake import sorter, as isort or ruff's `I` rules would: sorts the file's `import`
/// lines and puts them first.
const SORTER: &str = "for f in \"$@\"; do { grep '^import ' \"$f\" | sort; grep -v '^import ' \"$f\"; } > \"$f.tmp\"; mv \"$f.tmp\" \"$f\"; done\n";

/// The base has unsorted imports from before any task.
const IMPORTS_BASE: &str = "import os\nimport json\n\ndef f():\n    return 1\n";

#[test]
fn a_changed_import_keeps_the_sorters_rewrite_of_its_whole_block() {
    let policy = "[project]\nformat_cmd = \"sh sort.sh {file}\"\nsource_extensions = [\".py\"]\n";
    let (_tmp, root) = support::repo(&[
        ("sort.sh", SORTER),
        ("imp.py", IMPORTS_BASE),
        (".dgov/project.toml", policy),
    ]);
    // The task adds one import: the sorter reorders the block, and lines 1-2 (not the
    // task's) move too. Keeping only the hunk on line 3 would leave the block half sorted.
    let req = attempt(
        &root,
        "imports",
        &[(
            "imp.py",
            "import os\nimport json\nimport abc\n\ndef f():\n    return 1\n",
        )],
    );
    let out = rt().block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");
    let fix = out.autofix.clone().expect("an autofix commit");
    assert_eq!(
        at(&root, &fix.commit, "imp.py").unwrap(),
        "import abc\nimport json\nimport os\n\ndef f():\n    return 1\n"
    );

    // A task that changes only the function body does not own the imports: the
    // pre-existing unsorted block stays as it was.
    let req = attempt(
        &root,
        "body",
        &[(
            "imp.py",
            "import os\nimport json\n\ndef f():\n    return 2\n",
        )],
    );
    let out = rt().block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");
    assert!(out.autofix.is_none(), "{:?}", out.autofix);
}

/// A module with a pre-existing unchained raise (not the task's to fix).
const LOADER_BASE: &str = "def old(p):\n    try:\n        return open(p)\n    except OSError as e:\n        raise ValueError(p)\n";

#[test]
fn a_python_project_gets_raise_from_on_the_tasks_new_handler_and_nowhere_else() {
    // No fixer command at all: `language = "python"` alone enables the built-in fixer.
    let (_tmp, root) = support::repo(&[
        ("loader.py", LOADER_BASE),
        (".dgov/project.toml", "[project]\nlanguage = \"python\"\n"),
    ]);
    let task = format!(
        "{LOADER_BASE}\n\ndef new(p):\n    try:\n        return int(p)\n    except ValueError as err:\n        raise RuntimeError(\"bad number: \" + p)\n"
    );
    let req = attempt(&root, "t", &[("loader.py", &task)]);
    let out = rt().block_on(pipeline().settle(&req));
    assert!(out.passed, "{out:?}");
    let run = out.gates.iter().find(|g| g.gate == "python-fix").unwrap();
    assert_eq!(run.verdict, GateVerdict::Pass, "{run:?}");
    let fix = out.autofix.clone().expect("an autofix commit");
    let fixed = at(&root, &fix.commit, "loader.py").unwrap();
    // The task's raise is chained; the old one, outside the task's lines, is as it was.
    assert!(
        fixed.ends_with("        raise RuntimeError(\"bad number: \" + p) from err\n"),
        "{fixed}"
    );
    assert!(fixed.starts_with(LOADER_BASE), "{fixed}");
}
