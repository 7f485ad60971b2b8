//! `dgov scope status`, `dgov preflight` and `dgov settlement show`, run as a user would: the built binary on real
//! temporary git repositories (with a compiled plan and a real event store where needed).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::{git, json, stdout, text, write};

fn dgov(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dgov"))
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .env(
            "DGOV_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-component-cache"),
        )
        .output()
        .unwrap()
}

/// A committed repository at `<tmp>/proj` with `src/lib.rs`, a README and `.dgov/` set up
/// as `dgov init` would ignore its runtime files; `project_toml` is `.dgov/project.toml`.
fn repo(project_toml: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    std::fs::create_dir_all(&root).unwrap();
    git(&root, &["init", "-q", "."]);
    git(&root, &["config", "user.email", "t@t"]);
    git(&root, &["config", "user.name", "t"]);
    write(&root, "README.md", "hello\n");
    write(&root, "src/lib.rs", "pub fn f() {}\n");
    write(
        &root,
        ".dgov/.gitignore",
        "state.db\nstate.db-wal\nstate.db-shm\nruntime/\nout/\nplans/*/_compiled.toml\n",
    );
    write(&root, ".dgov/project.toml", project_toml);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "init"]);
    (tmp, root)
}

fn lines(o: &Output) -> Vec<String> {
    stdout(o).lines().map(str::to_string).collect()
}

const SCOPE_TOML: &str = "[scope]\nignore_files = [\"build/\"]\ndeny_files = [\"*.key\"]\n";

#[test]
fn scope_status_text_shows_claims_files_classification_and_the_blocking_failure() {
    let (_tmp, root) = repo(SCOPE_TOML);
    write(&root, "src/lib.rs", "pub fn f() { g() }\n");
    write(&root, "notes.txt", "scratch\n");
    write(&root, "build/out.o", "bin");

    let out = dgov(&root, &["scope", "status", "--claim", "src/"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        lines(&out),
        [
            "claimed_writable: src/",
            "claimed_readonly: (none)",
            "modified_files: build/out.o, notes.txt, src/lib.rs",
            "ignored_actual_paths: build/out.o",
            "unclaimed_actual_paths: notes.txt",
            "blocking: scope_violation: touched unclaimed files: notes.txt; add them to `files.edit` (or `files.create`) if the change is intended",
        ],
        "{}",
        text(&out)
    );

    // Claiming the file clears it; optional lists that are empty are not printed.
    let out = dgov(
        &root,
        &["scope", "status", "--claim", "src/", "--claim", "notes.txt"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let l = lines(&out);
    assert_eq!(l[0], "claimed_writable: notes.txt, src/");
    assert!(!l.iter().any(|x| x.starts_with("unclaimed")), "{l:?}");
    assert_eq!(l.last().unwrap(), "blocking: (none)");

    // A denied path blocks even when claimed (the path policy comes first).
    write(&root, "id.key", "secret");
    let out = dgov(&root, &["scope", "status", "--claim", "id.key"]);
    assert_eq!(out.status.code(), Some(1));
    let l = lines(&out);
    assert!(
        l.contains(&"path_policy_denied_paths: id.key".to_string()),
        "{l:?}"
    );
    assert!(
        l.last().unwrap().starts_with(
            "blocking: path_policy_violation: touched files the project denies: id.key"
        ),
        "{l:?}"
    );
}

#[test]
fn scope_status_json_is_the_sorted_record_plus_passed() {
    let (_tmp, root) = repo(SCOPE_TOML);
    write(&root, "zeta.txt", "z\n");
    write(&root, "docs/a.md", "a\n");
    write(&root, "src/lib.rs", "pub fn f() { }\n");

    let out = dgov(
        &root,
        &[
            "--json",
            "scope",
            "status",
            "--claim",
            "src/lib.rs",
            "--read",
            "docs/",
            "--read",
            "b/",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc = json(&out);
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["claimed_writable"], serde_json::json!(["src/lib.rs"]));
    assert_eq!(doc["claimed_readonly"], serde_json::json!(["b/", "docs/"]));
    assert_eq!(
        doc["actual_files"],
        serde_json::json!(["docs/a.md", "src/lib.rs", "zeta.txt"])
    );
    assert_eq!(
        doc["unclaimed_actual_paths"],
        serde_json::json!(["docs/a.md", "zeta.txt"])
    );
    for empty in [
        "transient_write_paths",
        "ignored_actual_paths",
        "ignored_transient_paths",
        "unclaimed_transient_paths",
        "path_policy_denied_paths",
        "path_policy_outside_allow_paths",
    ] {
        assert_eq!(doc[empty], serde_json::json!([]), "{empty} in {doc}");
    }
    // zeta.txt is not even read-claimed: a full scope violation naming both paths.
    assert_eq!(doc["blocking_failure"]["code"], "scope_violation");
    let msg = doc["blocking_failure"]["message"].as_str().unwrap();
    assert!(msg.contains("docs/a.md, zeta.txt"), "{msg}");

    // Passing: blocking_failure is null and the exit code 0.
    let out = dgov(
        &root,
        &[
            "--json", "scope", "status", "--claim", "src/", "--claim", "docs/", "--claim",
            "zeta.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc = json(&out);
    assert_eq!(doc["passed"], true);
    assert!(doc["blocking_failure"].is_null(), "{doc}");
}

#[test]
fn a_clean_tree_has_nothing_to_block_and_preflight_passes() {
    let (_tmp, root) = repo("");
    let out = dgov(&root, &["scope", "status", "--claim", "src/"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        lines(&out),
        [
            "claimed_writable: src/",
            "claimed_readonly: (none)",
            "modified_files: (none)",
            "blocking: (none)",
        ]
    );
    let out = dgov(&root, &["preflight"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).ends_with("Preflight passed.\n"),
        "{}",
        text(&out)
    );
}

const PLAN_ROOT: &str = "[plan]\nname = \"demo\"\nsections = [\"tasks\"]\n";
const TASKS: &str = r#"
[tasks.a]
prompt = "Orient\nEdit\nVerify\n"
files.create = ["a.txt"]
files.read = ["README.md"]
commit_message = "feat: a"

[tasks.b]
prompt = "Orient\nEdit\nVerify\n"
files.edit = ["src/lib.rs"]
commit_message = "feat: b"
"#;

#[test]
fn scope_status_with_a_plan_task_uses_its_claims_and_its_latest_transient_writes() {
    let (_tmp, root) = repo("");
    write(&root, ".dgov/plans/demo/_root.toml", PLAN_ROOT);
    write(&root, ".dgov/plans/demo/tasks/main.toml", TASKS);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "plan"]);
    let out = dgov(&root, &["compile", "--dry-run", "demo"]);
    assert!(out.status.success(), "{}", text(&out));

    // The worker of task a wrote through its tools: attempt 1 (a discarded retry) wrote
    // old.txt; attempt 2 wrote a.txt and scratch.txt, then reverted scratch.txt.
    let task = "tasks/main.a";
    {
        let mut store = dgov_store::Store::open(&root).unwrap();
        let log = |attempt: u32, paths: &[&str]| {
            let activity: Vec<_> = paths
                .iter()
                .map(|p| serde_json::json!({"kind": "write_file", "path": p}))
                .collect();
            serde_json::json!({"attempt": attempt, "log_type": "result",
                               "content": {"activity": activity}})
        };
        store
            .append_note(
                "demo",
                None,
                Some(task),
                "worker_log",
                &log(1, &["old.txt"]),
            )
            .unwrap();
        store
            .append_note(
                "demo",
                None,
                Some(task),
                "worker_log",
                &log(2, &["a.txt", "scratch.txt"]),
            )
            .unwrap();
    }
    write(&root, "a.txt", "made by a\n");

    let out = dgov(&root, &["scope", "status", "--plan", "demo", "--task", "a"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let l = lines(&out);
    assert_eq!(
        &l[..5],
        [
            "claimed_writable: a.txt",
            "claimed_readonly: README.md",
            "modified_files: a.txt",
            "transient_write_paths: a.txt, scratch.txt",
            "unclaimed_transient_paths: scratch.txt",
        ],
        "{l:?}"
    );
    let last = l.last().unwrap();
    assert!(
        last.starts_with(
            "blocking: scope_violation: wrote unclaimed files through the worker's tools"
        ) && last.contains("scratch.txt")
            && !last.contains("old.txt"),
        "{last}"
    );

    // JSON, and the full id works as well as the slug.
    let out = dgov(
        &root,
        &[
            "--json", "scope", "status", "--plan", "demo", "--task", task,
        ],
    );
    let doc = json(&out);
    assert_eq!(
        doc["transient_write_paths"],
        serde_json::json!(["a.txt", "scratch.txt"])
    );
    assert_eq!(doc["passed"], false);

    // Task b never wrote through tools, but a.txt is outside its claims; an empty claim list
    // would fail closed the same way.
    let out = dgov(&root, &["scope", "status", "--plan", "demo", "--task", "b"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        lines(&out).contains(&"unclaimed_actual_paths: a.txt".to_string()),
        "{}",
        text(&out)
    );

    // Input errors are exit 2 and say what is wrong.
    let out = dgov(
        &root,
        &["scope", "status", "--plan", "demo", "--task", "nope"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no such task") && text(&out).contains("tasks/main.a"));
    let out = dgov(
        &root,
        &["scope", "status", "--plan", "missing", "--task", "a"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("dgov compile"), "{}", text(&out));
    let out = dgov(&root, &["scope", "status", "--task", "a"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--task needs --plan: {}",
        text(&out)
    );
}

#[test]
fn preflight_with_a_drifted_guidance_mirror_fails_and_names_it() {
    let (_tmp, root) = repo(SCOPE_TOML);
    write(&root, "AGENTS.md", "# Rules\nTest everything.\n");
    write(&root, "CLAUDE.md", "# Rules\nTest some things.\n");
    write(&root, "GEMINI.md", "# Rules\nTest everything.\n");
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "guidance"]);

    let out = dgov(&root, &["preflight"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let s = stdout(&out);
    assert!(
        s.contains("Preflight failed:\nPolicy source drift:\n- Guidance mirror drift: CLAUDE.md not identical to AGENTS.md"),
        "{s}"
    );
    assert!(!s.contains("GEMINI.md not identical"), "{s}");

    let out = dgov(&root, &["--json", "preflight"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["passed"], false);
    let drift = doc["policy_drift"].as_array().unwrap();
    assert_eq!(drift.len(), 1, "{doc}");
    assert!(drift[0].as_str().unwrap().contains("CLAUDE.md"));
    assert!(
        doc["error"]
            .as_str()
            .unwrap()
            .starts_with("Policy source drift:")
    );
    assert!(doc["gates"].is_array() && doc["project_root"].is_string());

    // A settlement failure too: both, drift first, a blank line apart.
    write(&root, "id.key", "secret");
    let out = dgov(&root, &["preflight"]);
    assert_eq!(out.status.code(), Some(1));
    let s = stdout(&out);
    let (drift_part, gate_part) = s
        .split_once("\n\n")
        .unwrap_or_else(|| panic!("no blank line between the errors: {s}"));
    assert!(drift_part.contains("Guidance mirror drift"), "{s}");
    assert!(
        gate_part.contains("structural gate `scope` rejected") && gate_part.contains("id.key"),
        "{s}"
    );

    // --no-drift runs only the gates; fixing the mirror and the change passes.
    std::fs::remove_file(root.join("id.key")).unwrap();
    let out = dgov(&root, &["preflight", "--no-drift"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::fs::copy(root.join("AGENTS.md"), root.join("CLAUDE.md")).unwrap();
    let out = dgov(&root, &["--json", "preflight"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc = json(&out);
    assert_eq!(doc["passed"], true);
    assert_eq!(doc["policy_drift"], serde_json::json!([]));
    assert!(doc["error"].is_null());
}

#[test]
fn preflight_reports_unresolvable_gates_and_an_unloadable_project_file() {
    let (_tmp, root) = repo("[[settlement.phase.candidate]]\ngate = \"no-such-gate\"\n");
    let out = dgov(&root, &["preflight"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("settlement.phase.candidate[0] gate `no-such-gate` does not resolve"),
        "{}",
        text(&out)
    );

    write(
        &root,
        ".dgov/project.toml",
        "[scope]\nignore_files = [\".sentrux/\"]\n",
    );
    let out = dgov(&root, &["--json", "preflight"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let doc = json(&out);
    assert_eq!(doc["passed"], false);
    assert!(
        doc["error"].as_str().unwrap().contains("ignore_files"),
        "{doc}"
    );
}

#[test]
fn settlement_show_prints_each_phase_with_its_gates_commands_and_what_a_failure_does() {
    let (_tmp, root) = repo(
        "[project]\nformat_cmd = \"fmt {file}\"\ntest_cmd = \"make test\"\n\n[settlement]\nblock_preexisting = true\n\n[[settlement.phase.isolated]]\ngate = \"tests\"\non_fail = \"warn\"\n",
    );
    let o = dgov(&root, &["settlement", "show"]);
    assert!(o.status.success(), "{}", text(&o));
    let l = lines(&o);
    assert!(l[0].contains("pre-existing findings block"), "{l:?}");
    let at = |phase: &str| l.iter().position(|x| x == &format!("{phase}:")).unwrap();
    assert!(
        at("structural") < at("prepare") && at("prepare") < at("isolated"),
        "{l:?}"
    );
    assert_eq!(
        l[at("prepare") + 1],
        "  - format-fix `fmt {file}`  on_fail=warn on_error=warn  (default)"
    );
    assert_eq!(
        l[at("isolated") + 1],
        "  - tests `make test`  on_fail=warn on_error=warn"
    );
    let j = json(&dgov(&root, &["--json", "settlement", "show"]));
    assert_eq!(j["block_preexisting"], true);
    assert_eq!(j["phases"]["isolated"][0]["on_fail"], "warn");
    // A policy mistake is an input error naming the key.
    write(&root, ".dgov/project.toml", "[settlement]\ncahce = true\n");
    let o = dgov(&root, &["settlement", "show"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cahce"), "{}", text(&o));
}

#[test]
fn preflight_shows_each_gate_as_it_starts_on_stderr_but_not_with_json() {
    let (_tmp, root) = repo("[project]\ntest_cmd = \"true\"\n");
    write(&root, "src/lib.rs", "pub fn f() {}\npub fn g() {}\n");
    let out = dgov(&root, &["preflight"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    // Not a terminal: one plain line per gate, in the order they run.
    let lines: Vec<&str> = err.lines().filter(|l| l.contains(" › ")).collect();
    assert_eq!(
        lines,
        ["structural › scope …", "isolated › tests …"],
        "{err}"
    );
    assert!(
        stdout(&out).ends_with("Preflight passed.\n"),
        "{}",
        text(&out)
    );
    let out = dgov(&root, &["--json", "preflight"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stderr.is_empty(), "{}", text(&out));
    assert_eq!(json(&out)["passed"], true);
}
