//! Read-only roles end to end (real runner, worktrees, worker subprocess, WASM tools, the
//! scripted OpenAI-compatible server): a researcher is offered no writing tool, is refused
//! when it calls one anyway, leaves nothing behind even when a command writes, and lands at
//! the current HEAD without a commit; a reviewer sees its dependency's landed diff and its
//! JSON verdict is recorded as a `reviewer_verdict` note.

mod support;

use std::collections::HashMap;
use std::path::Path;

use dgov_runner::RunStatus;
use serde_json::json;
use support::*;

/// Give `slug` a role (and extra keys) in a plan written by [`write_plan`].
fn set_keys(plan_dir: &Path, slug: &str, keys: &str) {
    let path = plan_dir.join("work/tasks.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let head = format!("[tasks.{slug}]\n");
    assert!(text.contains(&head));
    std::fs::write(&path, text.replace(&head, &format!("{head}{keys}\n"))).unwrap();
}

fn events(root: &Path, plan: &str) -> Vec<dgov_store::StoredEvent> {
    let store = dgov_store::Store::open(root).unwrap();
    store.events_after(0, Some(plan), 100_000).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_researcher_cannot_write_and_lands_at_head_without_a_commit() {
    let mut s = HashMap::new();
    s.insert(
        "probe".to_string(),
        vec![
            call(
                "write_file",
                json!({"path": "src/evil.txt", "content": "should never land\n"}),
            ),
            // The task's test command writes a file as a side effect.
            call("run_tests", json!({})),
            call("read_file", json!({"path": "src/base.txt"})),
            call(
                "done",
                json!({"summary": "src/base.txt holds the single word base; nothing else reads it."}),
            ),
        ],
    );
    let server = serve(s, Fault::None).await;
    let repo = repo(&server.url);
    let root = repo.path();
    std::fs::create_dir_all(root.join("tests")).unwrap();
    std::fs::write(root.join("tests/t.txt"), "tests ran\n").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "tests"]);
    let head_before = git(root, &["rev-parse", "HEAD"]);
    let dir = write_plan(root, "research", &[("probe", &[], &[], &[])]);
    set_keys(
        &dir,
        "probe",
        "role = \"researcher\"\nfiles.read = [\"tests/t.txt\"]\ntest_cmd = \"echo side > side_effect.txt; cat {test_dir}\"",
    );

    let report = run(root, &dir, |_| {}).await;

    assert_eq!(report.status, RunStatus::Complete, "{:?}", report.errors);
    // No commit: HEAD unchanged, the deploy record is that HEAD, nothing of the attempt landed.
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head_before);
    assert_eq!(
        report.merged_now,
        vec![("work/tasks.probe".to_string(), head_before.clone())]
    );
    let (deployed, _) = dgov_plan::read_deployed(root, "research").unwrap();
    assert_eq!(deployed.len(), 1);
    assert_eq!(deployed[0].sha, head_before);
    assert_eq!(
        git(root, &["ls-tree", "-r", "--name-only", "HEAD"])
            .lines()
            .count(),
        4
    );
    assert!(!root.join("side_effect.txt").exists());
    assert!(!root.join("src/evil.txt").exists());

    // The model was never offered a writing tool, and was told it is read-only.
    let stats = server.stats.lock().unwrap();
    let first = &stats.seen[0];
    assert_eq!(first.task, "probe");
    for t in ["write_file", "edit_file", "apply_patch", "run_bash"] {
        assert!(!first.tools.contains(&t.to_string()), "{t} offered");
    }
    for t in ["read_file", "grep", "run_tests", "done"] {
        assert!(first.tools.contains(&t.to_string()), "{t} missing");
    }
    assert!(first.system.contains("read-only"), "{}", first.system);
    assert!(first.system.contains("120 words"));
    drop(stats);

    let ev = events(root, "research");
    let results: Vec<_> = ev
        .iter()
        .filter(|e| e.kind == "worker_log" && e.data["log_type"] == "result")
        .map(|e| &e.data["content"])
        .collect();
    let write = results.iter().find(|r| r["tool"] == "write_file").unwrap();
    assert_eq!(write["status"], "failed");
    assert_eq!(write["error_kind"], "policy_blocked");
    assert_eq!(
        write["output"],
        "Error: Tool write_file is not allowed in this worker role."
    );
    assert!(
        results.iter().all(|r| r["role"] == "researcher"),
        "telemetry records the real role"
    );
    let tests = results.iter().find(|r| r["tool"] == "run_tests").unwrap();
    assert_eq!(tests["status"], "success", "{tests}");
    // What the test command left behind was discarded, and that is on record.
    let discarded = ev
        .iter()
        .find(|e| e.kind == "read_only_discarded")
        .expect("discard note");
    assert_eq!(discarded.data["paths"], json!(["side_effect.txt"]));
    // The finding is visible as the done event.
    let done = ev
        .iter()
        .find(|e| e.kind == "worker_log" && e.data["log_type"] == "done")
        .unwrap();
    assert_eq!(
        done.data["content"],
        "src/base.txt holds the single word base; nothing else reads it."
    );
    assert!(!ev.iter().any(|e| e.kind == "reviewer_verdict"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_sees_the_dependency_diff_and_its_verdict_is_recorded() {
    let mut s = HashMap::new();
    s.insert(
        "alpha".to_string(),
        vec![
            call(
                "write_file",
                json!({"path": "src/alpha.txt", "content": "alpha\n"}),
            ),
            call("done", json!({"summary": "wrote alpha"})),
        ],
    );
    s.insert(
        "check".to_string(),
        vec![
            call("read_file", json!({"path": "src/alpha.txt"})),
            call(
                "done",
                json!({"summary": "{\"approved\": false, \"issues\": [\"src/alpha.txt:1: says alpha, the task asked for beta\"]}"}),
            ),
        ],
    );
    let server = serve(s, Fault::None).await;
    let repo = repo(&server.url);
    let root = repo.path();
    let dir = write_plan(
        root,
        "reviewed",
        &[
            ("alpha", &[], &["src/alpha.txt"], &[]),
            ("check", &["alpha"], &[], &[]),
        ],
    );
    set_keys(&dir, "check", "role = \"reviewer\"");

    let report = run(root, &dir, |_| {}).await;

    assert_eq!(report.status, RunStatus::Complete, "{:?}", report.errors);
    assert_eq!(report.merged_now.len(), 2);
    let alpha_sha = report.merged_now[0].1.clone();
    assert_eq!(report.merged_now[0].0, "work/tasks.alpha");
    assert_eq!(
        report.merged_now[1],
        ("work/tasks.check".to_string(), alpha_sha.clone()),
        "the reviewer lands at the HEAD its dependency left, without a commit"
    );
    assert_eq!(git(root, &["rev-parse", "HEAD"]), alpha_sha);

    // The reviewer was shown what alpha landed, and asked for the JSON verdict.
    let stats = server.stats.lock().unwrap();
    let seen = stats.seen.iter().find(|s| s.task == "check").unwrap();
    assert!(
        seen.user
            .contains(&format!("## work/tasks.alpha (deployed at {alpha_sha})")),
        "{}",
        seen.user
    );
    assert!(seen.user.contains("+alpha"), "{}", seen.user);
    assert!(seen.user.contains("\"approved\""));
    assert!(seen.system.contains("semantic correctness"));
    assert!(!seen.tools.contains(&"write_file".to_string()));
    drop(stats);

    let ev = events(root, "reviewed");
    let verdicts: Vec<_> = ev.iter().filter(|e| e.kind == "reviewer_verdict").collect();
    assert_eq!(verdicts.len(), 1);
    let v = &verdicts[0];
    assert_eq!(v.task.as_deref(), Some("work/tasks.check"));
    assert_eq!(v.data["approved"], false);
    assert_eq!(
        v.data["issues"],
        json!(["src/alpha.txt:1: says alpha, the task asked for beta"])
    );
    assert_eq!(v.data["attempt"], 1);
}
