//! Fork on iteration exhaustion, end to end: the real worker subprocess runs out of its turns
//! (exit code 4, reported as exhausted), the runner snapshots its unfinished work and starts a
//! fork in place, and the fork's first message is the handoff with that work's diff — which
//! the fork then finishes and lands.

mod support;

use std::collections::HashMap;

use dgov_runner::RunStatus;
use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_that_runs_out_of_turns_is_finished_by_a_fork_that_sees_its_diff() {
    // The scripted server picks a script by the first `[[task:NAME]]` marker in the first
    // user message. The first attempt writes a file whose content is such a marker; the
    // fork's handoff shows the carried diff before the original task, so the fork is routed
    // to its own script (finish at once) — which only happens if the diff is shown.
    let mut s = HashMap::new();
    s.insert(
        "alpha".to_string(),
        vec![call(
            "write_file",
            json!({"path": "src/alpha.txt", "content": "[[task:alphafork]]\n"}),
        )],
    );
    s.insert(
        "alphafork".to_string(),
        vec![call(
            "done",
            json!({"summary": "finished the handed-over work"}),
        )],
    );
    let server = serve(s, Fault::None).await;
    let repo = repo(&server.url);
    let dir = write_plan(
        repo.path(),
        "solo",
        &[("alpha", &[], &["src/alpha.txt"], &[])],
    );
    // One turn: the write uses it up, so the attempt ends exhausted before `done`.
    let tasks = dir.join("work/tasks.toml");
    let text = std::fs::read_to_string(&tasks).unwrap();
    std::fs::write(&tasks, format!("{text}iteration_budget = 1\n")).unwrap();
    let report = run(repo.path(), &dir, |_| {}).await;
    assert_eq!(report.status, RunStatus::Complete, "{:?}", report.errors);
    // The first attempt's file landed, finished by the fork.
    assert_eq!(
        std::fs::read_to_string(repo.path().join("src/alpha.txt")).unwrap(),
        "[[task:alphafork]]\n"
    );
    let seen = server.stats.lock().unwrap().seen.clone();
    assert_eq!(seen.len(), 2, "one turn each: {seen:#?}");
    let fork = &seen[1];
    assert_eq!(fork.task, "alphafork");
    assert!(
        fork.user
            .starts_with("HANDOFF: attempt 1 ran out of its iteration budget"),
        "{}",
        fork.user
    );
    assert!(
        fork.user.contains("+++ b/src/alpha.txt")
            && fork.user.contains("Do not start from scratch"),
        "{}",
        fork.user
    );
    assert!(
        fork.user.contains("ORIGINAL TASK:\n[[task:alpha]]"),
        "{}",
        fork.user
    );
    // The store records the fork as such.
    let store = dgov_store::Store::open(repo.path()).unwrap();
    let retries: Vec<serde_json::Value> = store
        .events_after(0, None, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "retry")
        .map(|e| e.data)
        .collect();
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert_eq!(retries[0]["fork"], 1);
    assert!(
        retries[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("Exceeded max iterations (1)"),
        "{}",
        retries[0]
    );
}
