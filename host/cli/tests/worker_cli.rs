//! CLI tests of the LLM worker commands: `dgov demo` end to end (offline replay, real
//! worktrees, tools, settlement and merges), `dgov fix` with a replay provider, and the
//! hidden `dgov worker` subcommand's error protocol.

mod support;

use std::path::Path;
use std::process::Command;
use support::git;

fn dgov(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dgov"))
        .args(args)
        .current_dir(dir)
        .env_remove("DGOV_WORKER")
        .env_remove("DGOV_SETTLEMENT")
        .output()
        .unwrap()
}

#[test]
fn demo_runs_three_tasks_to_main_offline() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("demo");
    let out = dgov(t.path(), &["demo", "--dir", dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let log = git(&dir, &["log", "--format=%s", "main"]);
    // The complete run accepts the sentrux baseline at its result (docs/sentrux.md).
    assert_eq!(
        log.lines().next(),
        Some("Refresh sentrux baseline"),
        "{log}"
    );
    let subjects: Vec<&str> = log.lines().skip(1).collect();
    assert_eq!(subjects.len(), 4, "{log}");
    assert_eq!(
        subjects[0], "tests: cover hello and bye",
        "the dependent task lands last"
    );
    assert!(subjects[1..3].contains(&"docs: usage of the greeter"));
    assert!(subjects[1..3].contains(&"greet: add the bye command"));
    assert_eq!(subjects[3], "demo: initial greeter");
    let test = Command::new("sh")
        .arg("tests/test_greet.sh")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(test.status.success(), "the landed test passes on main");
    assert!(err.contains("landed"), "progress is printed: {err}");
    // A second demo into the same (now non-empty) directory is a usage error.
    assert_eq!(
        dgov(t.path(), &["demo", "--dir", dir.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn fix_runs_a_one_task_plan_with_a_replay_provider_and_archives_it() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    std::fs::write(d.join(".gitignore"), ".dgov/\n").unwrap();
    std::fs::write(d.join("hello.txt"), "hello\n").unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "init"]);
    std::fs::create_dir_all(d.join(".dgov/tapes")).unwrap();
    std::fs::write(
        d.join(".dgov/project.toml"),
        "[project]\nprovider = \"replay\"\n[providers.replay]\nbase_url = \"replay:.dgov/tapes\"\napi_key_env = \"UNUSED\"\ndefault_agent = \"replay\"\n",
    )
    .unwrap();
    let resp = |n: u32, name: &str, args: serde_json::Value| {
        serde_json::json!({"response": {"id": format!("c{n}"), "object": "chat.completion", "created": 1, "model": "replay",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
                "tool_calls": [{"id": format!("call{n}"), "type": "function", "function": {"name": name, "arguments": args.to_string()}}]}}]}})
    };
    let tape = serde_json::json!({"task": "fix/main.apply", "attempts": {"1": [
        resp(1, "edit_file", serde_json::json!({"path": "hello.txt", "old_text": "hello", "new_text": "HELLO"})),
        resp(2, "done", serde_json::json!({"summary": "louder"})),
    ]}});
    std::fs::write(d.join(".dgov/tapes/fix_main_apply.json"), tape.to_string()).unwrap();
    let out = dgov(
        d,
        &[
            "fix",
            "make hello louder",
            "-f",
            "hello.txt",
            "--commit-message",
            "fix: louder",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(git(d, &["show", "main:hello.txt"]), "HELLO\n");
    // The fix lands, then the complete run accepts the sentrux baseline (docs/sentrux.md).
    assert_eq!(
        git(d, &["log", "-2", "--format=%s", "main"]).trim_end(),
        "Refresh sentrux baseline\nfix: louder"
    );
    assert!(
        d.join(".dgov/runtime/fix-plans/archive/fix-make-hello-louder/fix/main.toml")
            .exists()
    );
    assert!(
        !d.join(".dgov/runtime/fix-plans/fix-make-hello-louder")
            .exists()
    );
}

#[test]
fn worker_subcommand_reports_a_bad_spec_as_a_protocol_error() {
    let t = tempfile::tempdir().unwrap();
    let out = dgov(t.path(), &["worker", "--spec", "missing.json"]);
    assert_eq!(out.status.code(), Some(3), "not retryable");
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(v["worker_event"]["type"], "error");
    assert!(
        v["worker_event"]["content"]
            .as_str()
            .unwrap()
            .contains("missing.json")
    );
}
