//! The worker tools through the real WASM plugin and host runtime: each tool's success and
//! error output, every escape attempt refused, governor-owned paths refused, shell policy.

mod support;

use std::path::Path;

use dgov_worker::spec::{AttemptSpec, PolicySpec, ProviderSpec, Role};
use dgov_worker::tools::{self, ToolBox};
use serde_json::{Value, json};
use support::git;
use support::spec::attempt_spec;
use support::toolbox;

/// This file's spec: a test command over `tests/`, `sh` allowed, the given policy.
fn spec(worktree: &Path, policy: PolicySpec) -> AttemptSpec {
    AttemptSpec {
        test_cmd: "cat {test_dir}".into(),
        test_targets: vec!["tests/test_a.txt".into()],
        policy,
        exec_allow: vec!["sh".into(), "git".into()],
        ..attempt_spec(worktree)
    }
}

/// The worktree, plus a directory outside it holding a secret that symlinks point at.
type Fixture = toolbox::Fixture<tempfile::TempDir>;

async fn fixture(policy: PolicySpec) -> Fixture {
    fixture_as(policy, Role::Worker).await
}

async fn fixture_as(policy: PolicySpec, role: Role) -> Fixture {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "TOP SECRET\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    toolbox::write_files(
        d,
        &[
            ("src/a.txt", "one\ntwo\nthree\n"),
            ("src/deep/b.rs", "fn main() {}\nfn two() {}\n"),
            ("src/dup.txt", "x x\n"),
            (".hidden/h.txt", "two\n"),
            ("tests/test_a.txt", "test ok\n"),
        ],
    );
    std::fs::write(d.join("src/bin.dat"), [0xff, 0xfe, 0x00, 0x01]).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), d.join("src/link.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), d.join("src/outdir")).unwrap();
    toolbox::commit_all(d, "init");
    let s = AttemptSpec {
        role,
        ..spec(d, policy)
    };
    Fixture::open(dir, &s, outside).await
}

#[tokio::test]
async fn read_file_whole_ranges_and_errors() {
    let mut f = fixture(PolicySpec::default()).await;
    assert_eq!(
        f.ok("read_file", json!({"path": "src/a.txt"})).await,
        "one\ntwo\nthree\n"
    );
    assert_eq!(
        f.ok(
            "read_file",
            json!({"path": "./src/a.txt", "start_line": 2, "end_line": 2})
        )
        .await,
        "2: two\n"
    );
    assert!(
        f.err("read_file", json!({"path": "src/nope.txt"}))
            .await
            .contains("src/nope.txt does not exist.")
    );
    assert!(
        f.err("read_file", json!({"path": "src"}))
            .await
            .contains("is a directory")
    );
    assert!(
        f.err("read_file", json!({"path": "src/bin.dat"}))
            .await
            .contains("not a UTF-8 text file")
    );
    assert!(
        f.err("read_file", json!({}))
            .await
            .contains("missing required argument 'path'")
    );
    assert!(
        f.err("read_file", json!({"path": 3}))
            .await
            .contains("must be a string")
    );
}

#[tokio::test]
async fn every_escape_attempt_is_refused() {
    let mut f = fixture(PolicySpec::default()).await;
    let outside = f.extra.path().to_path_buf();
    let attempts = [
        ("read_file", json!({"path": "../secret.txt"})),
        (
            "read_file",
            json!({"path": outside.join("secret.txt").display().to_string()}),
        ),
        ("read_file", json!({"path": "/etc/passwd"})),
        ("read_file", json!({"path": "src/link.txt"})),
        ("read_file", json!({"path": "src/outdir/secret.txt"})),
        ("list_dir", json!({"path": ".."})),
        ("list_dir", json!({"path": "src/outdir"})),
        ("write_file", json!({"path": "../evil.txt", "content": "x"})),
        (
            "write_file",
            json!({"path": "src/outdir/evil.txt", "content": "x"}),
        ),
        (
            "write_file",
            json!({"path": "/tmp/evil.txt", "content": "x"}),
        ),
        (
            "edit_file",
            json!({"path": "src/link.txt", "old_text": "TOP", "new_text": "NOT"}),
        ),
        (
            "apply_patch",
            json!({"path": "../x.txt", "patch": "@@ -0,0 +1 @@\n+x\n"}),
        ),
        ("grep", json!({"pattern": "SECRET", "path": ".."})),
    ];
    for (name, args) in attempts {
        let r = f.tools.call(name, &args).await;
        assert!(r.failed, "{name} {args} escaped: {}", r.text);
        assert!(
            !r.text.contains("TOP SECRET"),
            "{name} {args} leaked: {}",
            r.text
        );
    }
    assert!(!outside.join("evil.txt").exists());
    assert_eq!(
        std::fs::read_to_string(outside.join("secret.txt")).unwrap(),
        "TOP SECRET\n"
    );
    // grep over the whole tree does not follow the symlink out either.
    assert_eq!(
        f.ok("grep", json!({"pattern": "SECRET"})).await,
        "No matches found."
    );
}

#[tokio::test]
async fn write_file_creates_new_files_only_and_never_governor_files() {
    let mut f = fixture(PolicySpec::default()).await;
    assert_eq!(
        f.ok(
            "write_file",
            json!({"path": "src/new/n.txt", "content": "hé\n"})
        )
        .await,
        "Successfully wrote 3 bytes to src/new/n.txt"
    );
    assert_eq!(f.read("src/new/n.txt"), "hé\n");
    assert!(
        f.err("write_file", json!({"path": "src/a.txt", "content": "x"}))
            .await
            .contains("already exists. Use edit_file or apply_patch")
    );
    for p in [
        ".sentrux/baseline.json",
        ".sentrux/dgov-baseline.json",
        ".dgov/state.db",
        ".git/config",
    ] {
        let e = f
            .err("write_file", json!({"path": p, "content": "{}"}))
            .await;
        assert!(e.contains("owned by the governor"), "{p}: {e}");
        let r = f
            .tools
            .call("write_file", &json!({"path": p, "content": "{}"}))
            .await;
        assert_eq!(r.error_kind(), "policy_blocked");
    }
    assert!(!f.dir.path().join(".sentrux").exists());
}

#[tokio::test]
async fn edit_file_needs_exactly_one_match() {
    let mut f = fixture(PolicySpec::default()).await;
    assert_eq!(
        f.ok(
            "edit_file",
            json!({"path": "src/a.txt", "old_text": "two\n", "new_text": "2\n"})
        )
        .await,
        "Successfully edited src/a.txt"
    );
    assert_eq!(f.read("src/a.txt"), "one\n2\nthree\n");
    assert!(
        f.err(
            "edit_file",
            json!({"path": "src/a.txt", "old_text": "zzz", "new_text": ""})
        )
        .await
        .contains("old_text not found in src/a.txt.")
    );
    let e = f
        .err(
            "edit_file",
            json!({"path": "src/dup.txt", "old_text": "x", "new_text": "y"}),
        )
        .await;
    assert!(e.contains("matches 2 locations"), "{e}");
    assert!(
        f.err(
            "edit_file",
            json!({"path": ".dgov/state.db", "old_text": "a", "new_text": "b"})
        )
        .await
        .contains("owned by the governor")
    );
}

#[tokio::test]
async fn apply_patch_checks_context_and_never_half_applies() {
    let mut f = fixture(PolicySpec::default()).await;
    let good = "--- a/src/a.txt\n+++ b/src/a.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n";
    assert_eq!(
        f.ok("apply_patch", json!({"path": "src/a.txt", "patch": good}))
            .await,
        "Successfully patched src/a.txt"
    );
    assert_eq!(f.read("src/a.txt"), "one\nTWO\nthree\n");
    let stale = "@@ -1,2 +1,2 @@\n one\n-two\n+2\n";
    let e = f
        .err("apply_patch", json!({"path": "src/a.txt", "patch": stale}))
        .await;
    assert!(e.contains("context mismatch at line 2"), "{e}");
    assert_eq!(f.read("src/a.txt"), "one\nTWO\nthree\n", "file untouched");
    assert!(
        f.err(
            "apply_patch",
            json!({"path": "src/a.txt", "patch": "@@ bad @@\n"})
        )
        .await
        .contains("Malformed hunk header")
    );
    assert_eq!(
        f.ok(
            "apply_patch",
            json!({"path": "src/created.txt", "patch": "@@ -0,0 +1 @@\n+fresh\n"})
        )
        .await,
        "Successfully patched src/created.txt"
    );
    assert_eq!(f.read("src/created.txt"), "fresh\n");
}

#[tokio::test]
async fn grep_glob_and_list_dir() {
    let mut f = fixture(PolicySpec::default()).await;
    assert_eq!(
        f.ok("grep", json!({"pattern": "^two$"})).await,
        "src/a.txt:2: two"
    );
    assert_eq!(
        f.ok(
            "grep",
            json!({"pattern": "fn \\w+", "path": "src/deep/b.rs"})
        )
        .await,
        "src/deep/b.rs:1: fn main() {}\nsrc/deep/b.rs:2: fn two() {}"
    );
    assert_eq!(
        f.ok("grep", json!({"pattern": "nothing-here"})).await,
        "No matches found."
    );
    assert!(
        f.err("grep", json!({"pattern": "("}))
            .await
            .contains("Invalid regex")
    );
    assert_eq!(
        f.ok("glob", json!({"pattern": "*.rs"})).await,
        "src/deep/b.rs"
    );
    assert_eq!(
        f.ok("glob", json!({"pattern": "src/*b.rs"})).await,
        "src/deep/b.rs"
    );
    assert_eq!(
        f.ok("glob", json!({"pattern": "*.none"})).await,
        "No files matched."
    );
    let ls = f.ok("list_dir", json!({"path": "src"})).await;
    assert!(
        ls.contains("src/a.txt  (14 bytes)") && ls.contains("src/deep/"),
        "{ls}"
    );
    let root = f.ok("list_dir", json!({})).await;
    assert!(
        !root.contains(".hidden") && !root.contains(".git"),
        "{root}"
    );
    assert!(
        f.err("list_dir", json!({"path": "src/a.txt"}))
            .await
            .contains("not a directory")
    );
    assert!(
        f.err("list_dir", json!({"path": "nope"}))
            .await
            .contains("does not exist")
    );
}

#[tokio::test]
async fn git_diff_shows_tracked_and_untracked_changes() {
    let mut f = fixture(PolicySpec::default()).await;
    assert_eq!(f.ok("git_diff", json!({})).await, "No changes.");
    f.ok(
        "edit_file",
        json!({"path": "src/a.txt", "old_text": "one", "new_text": "uno"}),
    )
    .await;
    f.ok("write_file", json!({"path": "src/n.txt", "content": "n"}))
        .await;
    let d = f.ok("git_diff", json!({})).await;
    assert!(d.contains("-one") && d.contains("+uno"), "{d}");
    assert!(
        d.contains("Untracked files:\n  src/n.txt"),
        "untracked shown next to a tracked diff: {d}"
    );
}

#[tokio::test]
async fn run_bash_runs_in_the_worktree_with_a_clean_environment() {
    let mut f = fixture(PolicySpec::default()).await;
    let out = f
        .ok(
            "run_bash",
            json!({"cmd": "cat src/a.txt; echo err >&2; exit 3"}),
        )
        .await;
    assert_eq!(out, "STDOUT:\none\ntwo\nthree\n\nSTDERR:\nerr\n\nEXIT:3");
    let env = f.ok("run_bash", json!({"cmd": "env"})).await;
    assert!(
        !env.contains("DGOV_") && !env.contains("CARGO"),
        "sanitized env: {env}"
    );
    assert!(
        f.err("run_bash", json!({"cmd": "cat /etc/passwd"}))
            .await
            .contains("Absolute paths are not allowed")
    );
    let r = f
        .tools
        .call("run_bash", &json!({"cmd": "touch made.txt"}))
        .await;
    assert_eq!(
        r.activity,
        vec![json!({"kind": "run_bash", "path": "made.txt", "mode": "shell"})]
    );
    // The model cannot smuggle its own policy in.
    let mut g = fixture(PolicySpec {
        restrict_run_bash: true,
        deny_shell_commands: vec!["curl".into()],
        ..PolicySpec::default()
    })
    .await;
    let e = g
        .err(
            "run_bash",
            json!({"cmd": "curl x", "_dgov": {"policy": {}}}),
        )
        .await;
    assert!(e.contains("Denied shell command prefix: 'curl'"), "{e}");
}

#[tokio::test]
async fn run_tests_runs_only_in_scope_targets() {
    let mut f = fixture(PolicySpec::default()).await;
    assert_eq!(
        f.ok("run_tests", json!({})).await,
        "STDOUT:\ntest ok\n\nSTDERR:\n\nEXIT:0"
    );
    assert!(
        f.err("run_tests", json!({"file": "src/a.txt"}))
            .await
            .contains("outside this task's verification scope")
    );
}

#[tokio::test]
async fn unknown_tools_and_bad_arguments_are_errors_not_crashes() {
    let mut f = fixture(PolicySpec::default()).await;
    assert!(
        f.err("rm_rf", json!({}))
            .await
            .contains("not allowed in this worker role")
    );
    assert!(
        f.err("read_file", json!([1, 2]))
            .await
            .contains("must be a JSON object")
    );
    // The session still works afterwards.
    assert_eq!(f.ok("done", json!({"summary": "s"})).await, "s");
}

#[tokio::test]
async fn long_results_are_clipped_to_12000_characters() {
    let mut f = fixture(PolicySpec::default()).await;
    f.ok(
        "write_file",
        json!({"path": "big.txt", "content": "y".repeat(50_000)}),
    )
    .await;
    let r = f.tools.call("read_file", &json!({"path": "big.txt"})).await;
    assert!(r.clipped && r.raw_chars == 50_000);
    assert_eq!(r.text.chars().count(), 12_000);
    assert!(
        r.text
            .ends_with("[tool output truncated for prompt budget]")
    );
}

#[tokio::test]
async fn a_command_past_its_time_limit_is_an_error_result_and_its_group_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let mut s = spec(d, PolicySpec::default());
    s.shell_timeout_ms = 500;
    let rt = tools::runtime().unwrap();
    let plugin = tools::load_plugin(rt).unwrap();
    let mut tb = ToolBox::open(&plugin, &s).await.unwrap();
    let started = std::time::Instant::now();
    // The background child would write the marker after 3 s if the group survived.
    let r = tb
        .call(
            "run_bash",
            &json!({"cmd": "(sleep 3; echo late > marker.txt) & sleep 10"}),
        )
        .await;
    assert!(r.failed, "{}", r.text);
    assert!(r.text.contains("timed out"), "{}", r.text);
    assert_eq!(r.error_kind(), "timeout");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // The session keeps working after the timeout.
    let ok = tb.call("list_dir", &json!({})).await;
    assert!(!ok.failed, "{}", ok.text);
    std::thread::sleep(std::time::Duration::from_millis(3500));
    assert!(
        !d.join("marker.txt").exists(),
        "the whole process group was killed"
    );
}

fn completion(n: u32, name: &str, args: Value) -> Value {
    json!({"response": {"id": format!("c{n}"), "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": format!("call{n}"), "type": "function",
                "function": {"name": name, "arguments": args.to_string()}}]}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}}})
}

#[tokio::test]
async fn after_a_test_failure_done_waits_for_a_passing_run_tests() {
    let f = fixture(PolicySpec::default()).await;
    let tapes = tempfile::tempdir().unwrap();
    let tape = json!({"task": "t", "attempts": {"2": [
        completion(1, "done", json!({"summary": "too early"})),
        completion(2, "run_tests", json!({})),
        completion(3, "done", json!({"summary": "verified"})),
    ]}});
    std::fs::write(tapes.path().join("t.json"), tape.to_string()).unwrap();
    let mut s = spec(f.dir.path(), PolicySpec::default());
    s.attempt = 2;
    s.require_tests_before_done = true;
    s.provider = ProviderSpec {
        name: "replay".into(),
        base_url: format!("replay:{}", tapes.path().display()),
        api_key_env: String::new(),
    };
    let mut chat = dgov_worker::entry::chat_for(&s).unwrap();
    let mut tb = f.tools;
    let mut lines = Vec::new();
    let (outcome, usage) =
        dgov_worker::agent::run(&s, "sys".into(), &mut chat, &mut tb, &mut |l| lines.push(l)).await;
    assert_eq!(
        outcome,
        dgov_worker::agent::Outcome::Done {
            summary: "verified".into()
        }
    );
    assert_eq!(usage.prompt_tokens, 30, "usage summed over the three calls");
    let results: Vec<&Value> = lines
        .iter()
        .filter_map(|l| match l {
            dgov_worker::Line::WorkerEvent { kind, content } if kind == "result" => Some(content),
            _ => None,
        })
        .collect();
    assert_eq!(results[0]["status"], "failed", "the early done was refused");
    assert_eq!(results[1]["tool"], "run_tests");
    assert_eq!(results[1]["status"], "success");
}

#[tokio::test]
async fn read_only_roles_get_the_worker_set_minus_every_writing_tool() {
    let worker = fixture(PolicySpec::default()).await;
    let all: Vec<String> = worker.tools.names().iter().map(|s| s.to_string()).collect();
    for w in ["write_file", "edit_file", "apply_patch", "run_bash", "done"] {
        assert!(all.contains(&w.to_string()), "worker has {w}");
    }
    for role in [Role::Researcher, Role::Reviewer] {
        let f = fixture_as(PolicySpec::default(), role).await;
        let expected: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|n| !dgov_worker::roles::WRITING_TOOLS.contains(n))
            .collect();
        assert_eq!(f.tools.names(), expected, "{role:?}");
        assert!(f.tools.names().contains(&"done"));
        assert!(f.tools.names().contains(&"run_tests"));
        // The tool list sent to the model is the same filtered set.
        let defs = dgov_worker::agent::tool_defs(&f.tools);
        let sent: Vec<&str> = defs
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["function"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(sent, expected);
    }
}

#[tokio::test]
async fn a_read_only_role_calling_a_writing_tool_is_refused_as_policy_blocked() {
    let mut f = fixture_as(PolicySpec::default(), Role::Researcher).await;
    for (name, args) in [
        ("write_file", json!({"path": "src/new.txt", "content": "x"})),
        (
            "edit_file",
            json!({"path": "src/a.txt", "old_text": "one", "new_text": "1"}),
        ),
        (
            "apply_patch",
            json!({"path": "src/a.txt", "patch": "@@ -1 +1 @@\n-one\n+1\n"}),
        ),
        ("run_bash", json!({"command": "touch src/x.txt"})),
    ] {
        let r = f.tools.call(name, &args).await;
        assert!(r.failed);
        assert_eq!(
            r.text,
            format!("Error: Tool {name} is not allowed in this worker role.")
        );
        assert_eq!(r.error_kind(), "policy_blocked");
    }
    assert!(!f.dir.path().join("src/new.txt").exists());
    assert!(!f.dir.path().join("src/x.txt").exists());
    assert_eq!(f.read("src/a.txt"), "one\ntwo\nthree\n");
    // Reading still works.
    assert_eq!(
        f.ok("read_file", json!({"path": "src/a.txt"})).await,
        "one\ntwo\nthree\n"
    );
    assert!(
        f.ok("grep", json!({"pattern": "two", "path": "src"}))
            .await
            .contains("a.txt")
    );
}

#[tokio::test]
async fn running_out_of_turns_is_the_exhausted_outcome_with_the_diff_summary() {
    let f = fixture(PolicySpec::default()).await;
    let tapes = tempfile::tempdir().unwrap();
    let tape = json!({"task": "t", "attempts": {"1": [
        completion(1, "write_file", json!({"path": "src/half.txt", "content": "half\n"})),
        completion(2, "list_dir", json!({})),
    ]}});
    std::fs::write(tapes.path().join("t.json"), tape.to_string()).unwrap();
    let mut s = spec(f.dir.path(), PolicySpec::default());
    s.attempt = 1;
    s.iteration_budget = 2;
    s.warn_at = 2;
    s.claims.create = vec!["src/half.txt".into()];
    s.provider = ProviderSpec {
        name: "replay".into(),
        base_url: format!("replay:{}", tapes.path().display()),
        api_key_env: String::new(),
    };
    let mut chat = dgov_worker::entry::chat_for(&s).unwrap();
    let mut tb = f.tools;
    let mut lines = Vec::new();
    let (outcome, _) =
        dgov_worker::agent::run(&s, "sys".into(), &mut chat, &mut tb, &mut |l| lines.push(l)).await;
    let dgov_worker::agent::Outcome::Exhausted { error } = outcome else {
        panic!("expected exhaustion, got {outcome:?}");
    };
    assert!(error.starts_with("Exceeded max iterations (2)"), "{error}");
    assert!(
        error.contains("half.txt"),
        "the summary names the new file: {error}"
    );
    // The work stays in the worktree for a fork.
    assert_eq!(
        std::fs::read_to_string(f.dir.path().join("src/half.txt")).unwrap(),
        "half\n"
    );
}
