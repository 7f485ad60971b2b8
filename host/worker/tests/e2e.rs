//! End to end: a plan of three tasks (two parallel, one depending on both) runs through the
//! real runner, real worktrees, the `dgov-worker-proc` subprocess and the real WASM tools
//! against the scripted OpenAI-compatible server, and lands on `main` — cleanly and under
//! each fault mode. Also: a recorded run replays offline to the same trees.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use dgov_runner::RunStatus;
use serde_json::json;
use support::*;

const HUGE_LINES: usize = 40_000;

fn huge() -> String {
    (0..HUGE_LINES)
        .map(|i| format!("line {i} \"quoted\" \\ tab\t é\n"))
        .collect()
}

fn scripts() -> HashMap<String, Vec<Step>> {
    let mut s = HashMap::new();
    s.insert(
        "alpha".into(),
        vec![
            call("list_dir", json!({"path": "src"})),
            call(
                "write_file",
                json!({"path": "src/alpha.txt", "content": "alpha\n"}),
            ),
            call("done", json!({"summary": "wrote alpha"})),
        ],
    );
    // A huge payload travels as one protocol line (the original broke at 64 KiB).
    s.insert(
        "beta".into(),
        vec![
            call(
                "write_file",
                json!({"path": "src/beta.txt", "content": huge()}),
            ),
            call("git_diff", json!({})),
            call("done", json!({"summary": "wrote beta"})),
        ],
    );
    // Depends on both: sees their merged files in its worktree.
    s.insert("gamma".into(), vec![
        Step::Calls(vec![
            ("read_file".into(), json!({"path": "src/alpha.txt"})),
            ("grep".into(), json!({"pattern": "^line 3999\\b", "path": "src"})),
        ]),
        call("edit_file", json!({"path": "src/alpha.txt", "old_text": "alpha\n", "new_text": "alpha\ngamma\n"})),
        call("apply_patch", json!({"path": "src/base.txt", "patch": "@@ -1 +1 @@\n-base\n+base (patched)\n"})),
        call("done", json!({"summary": "extended alpha"})),
    ]);
    s
}

fn plan(root: &Path) -> std::path::PathBuf {
    write_plan(
        root,
        "trio",
        &[
            ("alpha", &[], &["src/alpha.txt"], &[]),
            ("beta", &[], &["src/beta.txt"], &[]),
            (
                "gamma",
                &["alpha", "beta"],
                &[],
                &["src/alpha.txt", "src/base.txt"],
            ),
        ],
    )
}

fn assert_landed(root: &Path, report: &dgov_runner::RunReport) {
    assert_eq!(
        report.status,
        RunStatus::Complete,
        "errors: {:?}",
        report.errors
    );
    assert_eq!(report.merged_now.len(), 3);
    assert_eq!(git(root, &["show", "main:src/alpha.txt"]), "alpha\ngamma");
    assert_eq!(git(root, &["show", "main:src/base.txt"]), "base (patched)");
    let beta = git(root, &["show", "main:src/beta.txt"]);
    assert_eq!(
        format!("{beta}\n"),
        huge(),
        "the huge write_file payload arrived intact"
    );
    // gamma merged after both of its dependencies
    let order: Vec<&str> = report.merged_now.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(order[2], "work/tasks.gamma");
}

async fn land_with(fault: Fault) -> (tempfile::TempDir, std::sync::Arc<std::sync::Mutex<Stats>>) {
    let server = serve(scripts(), fault).await;
    let repo = repo(&server.url);
    let dir = plan(repo.path());
    let report = run(repo.path(), &dir, |w| w.set_request_timeout(1)).await;
    assert_landed(repo.path(), &report);
    (repo, server.stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_task_plan_lands_on_main() {
    let (repo, stats) = land_with(Fault::None).await;
    let s = stats.lock().unwrap();
    assert!(
        s.authorization
            .iter()
            .all(|a| a.ends_with("Bearer sk-test")),
        "API key from api_key_env is sent"
    );
    // Every protocol line became an event in the store, including token usage.
    let store = dgov_store::Store::open(repo.path()).unwrap();
    let events = store.events_after(0, Some("trio"), 100_000).unwrap();
    let kinds = |k: &str, t: &str| {
        events
            .iter()
            .filter(|e| e.kind == k && e.data["log_type"] == t)
            .count()
    };
    assert!(kinds("worker_log", "call") >= 9, "call events stored");
    assert!(kinds("worker_log", "result") >= 9, "result events stored");
    assert_eq!(kinds("worker_log", "done"), 3);
    assert!(
        events
            .iter()
            .any(|e| e.kind == "worker_tokens" && e.data["prompt_tokens"].as_u64() >= Some(100))
    );
    let write = events
        .iter()
        .find(|e| e.data["log_type"] == "result" && e.data["content"]["tool"] == "write_file")
        .unwrap();
    assert_eq!(
        write.data["content"]["activity"][0]["mode"], "create",
        "write activity recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lands_despite_rate_limits_with_retry_after() {
    let (_r, stats) = land_with(Fault::RateLimit(3)).await;
    assert_eq!(stats.lock().unwrap().faults, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lands_despite_a_server_error() {
    let (_r, stats) = land_with(Fault::ServerError).await;
    assert_eq!(stats.lock().unwrap().faults, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lands_despite_a_connection_reset() {
    let (_r, stats) = land_with(Fault::Reset).await;
    assert_eq!(stats.lock().unwrap().faults, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lands_despite_a_malformed_body() {
    let (_r, stats) = land_with(Fault::Malformed).await;
    assert_eq!(stats.lock().unwrap().faults, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lands_despite_a_slow_answer_past_the_timeout() {
    let (_r, stats) = land_with(Fault::Slow(Duration::from_millis(2500))).await;
    assert_eq!(stats.lock().unwrap().faults, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lands_despite_text_only_answers_thanks_to_the_nudge() {
    let (_r, stats) = land_with(Fault::TextOnly).await;
    assert_eq!(
        stats.lock().unwrap().faults,
        3,
        "one text-only answer per task"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_run_replays_offline_to_the_same_trees() {
    let server = serve(scripts(), Fault::None).await;
    let first = repo(&server.url);
    let dir = plan(first.path());
    let tapes = tempfile::tempdir().unwrap();
    let tape_dir = tapes.path().to_path_buf();
    let report = run(first.path(), &dir, |w| {
        w.record_dir = Some(tape_dir.clone())
    })
    .await;
    assert_landed(first.path(), &report);
    let recorded = server.stats.lock().unwrap().requests;
    assert!(
        std::fs::read_dir(tapes.path()).unwrap().count() == 3,
        "one cassette per task"
    );

    // A second repository with the same content, pointed at the cassettes; no server.
    let second = repo("http://127.0.0.1:9/v1");
    let dir2 = plan(second.path());
    let report2 = run(second.path(), &dir2, |w| {
        w.set_provider(dgov_worker::spec::ProviderSpec {
            name: "replay".into(),
            base_url: format!("replay:{}", tape_dir.display()),
            api_key_env: String::new(),
        })
    })
    .await;
    assert_landed(second.path(), &report2);
    assert_eq!(
        server.stats.lock().unwrap().requests,
        recorded,
        "replay made no requests"
    );
    for (a, b) in report.merged_now.iter().zip(&report2.merged_now) {
        assert_eq!(a.0, b.0);
        let tree = |root: &Path, sha: &str| git(root, &["rev-parse", &format!("{sha}^{{tree}}")]);
        assert_eq!(
            tree(first.path(), &a.1),
            tree(second.path(), &b.1),
            "same tree for {}",
            a.0
        );
        let msg = |root: &Path, sha: &str| git(root, &["log", "-1", "--format=%s", sha]);
        assert_eq!(msg(first.path(), &a.1), msg(second.path(), &b.1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_api_key_fails_the_task_without_retry_and_says_what_to_set() {
    let server = serve(scripts(), Fault::None).await;
    let repo = repo(&server.url);
    let dir = write_plan(
        repo.path(),
        "solo",
        &[("alpha", &[], &["src/alpha.txt"], &[])],
    );
    let report = run(repo.path(), &dir, |w| w.env.clear()).await;
    assert_ne!(report.status, RunStatus::Complete);
    let (_, err) = &report.errors[0];
    assert!(
        err.contains("DGOV_TEST_API_KEY missing for provider 'scripted'"),
        "{err}"
    );
    assert_eq!(server.stats.lock().unwrap().requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_never_uses_tools_fails_after_one_nudge() {
    let mut s = HashMap::new();
    s.insert(
        "alpha".to_string(),
        vec![Step::Text("no".into()), Step::Text("still no".into())],
    );
    // The server picks steps by tool-call turns, so both answers are the first step.
    let server = serve(s, Fault::None).await;
    let repo = repo(&server.url);
    let dir = write_plan(
        repo.path(),
        "solo",
        &[("alpha", &[], &["src/alpha.txt"], &[])],
    );
    let report = run(repo.path(), &dir, |_| {}).await;
    assert_eq!(report.status, RunStatus::Failed);
    assert!(
        report.errors[0]
            .1
            .contains("Agent stopped without calling 'done'")
    );
    assert_eq!(
        server.stats.lock().unwrap().requests,
        2,
        "not retried by the runner"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_two_turns_of_a_large_budget_force_done() {
    let mut s = HashMap::new();
    let steps: Vec<Step> = (0..30).map(|_| call("list_dir", json!({}))).collect();
    s.insert("alpha".to_string(), steps);
    let server = serve(s, Fault::None).await;
    let repo = repo(&server.url);
    let dir = write_plan(
        repo.path(),
        "solo",
        &[("alpha", &[], &["src/alpha.txt"], &[])],
    );
    let report = run(repo.path(), &dir, |_| {}).await;
    // Budget 12 ≥ 10: the last two turns force `done`, which the server obeys.
    assert_eq!(report.status, RunStatus::Complete, "{:?}", report.errors);
    assert_eq!(server.stats.lock().unwrap().requests, 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_exhaustion_forks_once_then_fails_retryably_with_the_diff_summary() {
    let mut s = HashMap::new();
    let mut steps = vec![call(
        "write_file",
        json!({"path": "src/alpha.txt", "content": "a\n"}),
    )];
    steps.extend((0..10).map(|_| call("list_dir", json!({}))));
    s.insert("alpha".to_string(), steps);
    let server = serve(s, Fault::None).await;
    let repo = repo(&server.url);
    let dir = write_plan(
        repo.path(),
        "solo",
        &[("alpha", &[], &["src/alpha.txt"], &[])],
    );
    // A budget under 10 is never forced to `done`.
    let tasks = dir.join("work/tasks.toml");
    let text = std::fs::read_to_string(&tasks).unwrap();
    std::fs::write(&tasks, format!("{text}iteration_budget = 3\n")).unwrap();
    let report = run(repo.path(), &dir, |_| {}).await;
    assert_eq!(report.status, RunStatus::Failed);
    let err = &report.errors[0].1;
    assert!(err.contains("Exceeded max iterations (3)"), "{err}");
    assert!(
        err.contains("src/alpha.txt"),
        "the summary names the changed file: {err}"
    );
    // 3 turns x 4 attempts: the first exhaustion forks (outside the budget of two retries);
    // the fork runs out too, and the two retries start over and run out as well.
    let seen = server.stats.lock().unwrap().seen.clone();
    assert_eq!(seen.len(), 12);
    let firsts: Vec<&str> = seen
        .iter()
        .filter(|s| !s.user.is_empty())
        .map(|s| s.user.as_str())
        .collect();
    assert!(
        firsts[3].starts_with("HANDOFF: attempt 1 ran out"),
        "{}",
        firsts[3]
    );
    assert!(
        firsts[6].starts_with("PREVIOUS ATTEMPT (2) FAILED"),
        "{}",
        firsts[6]
    );
}
