//! Settlement-driven retries and stale verdicts, on real temporary git repositories: an
//! in-place retry continues the rejected attempt's work with its evidence, a fresh retry
//! starts over, and a verdict validated on a target that has since moved is settled again
//! instead of merged.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use dgov_git::Repo;
use dgov_kernel::{RunMode, Verdict};
use dgov_runner::*;
use dgov_store::{RunLock, Store};

fn project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    std::fs::create_dir(&root).unwrap();
    git2::Repository::init(&root).unwrap();
    std::fs::write(root.join("README"), "hello\n").unwrap();
    Repo::open(&root).unwrap().bootstrap_commit().unwrap();
    (tmp, root)
}

fn plan(ids: &[&str]) -> RunPlan {
    RunPlan {
        name: "p".into(),
        dir: None,
        tasks: ids
            .iter()
            .map(|id| RunTask {
                id: (*id).into(),
                depends_on: vec![],
                prompt: String::new(),
                files: vec![format!("{id}.txt")],
                read: Vec::new(),
                test_cmd: None,
                commit_message: format!("feat: {id}"),
                timeout: None,
                retries: 0,
                forks: 1,
            })
            .collect(),
    }
}

/// The fake worker, remembering what every attempt was told about its predecessor.
#[derive(Default)]
struct Recording {
    seen: Mutex<Vec<(String, u32, Option<RetryContext>)>>,
}

impl Worker for Recording {
    fn name(&self) -> &'static str {
        "recording"
    }

    fn run(&self, attempt: Attempt) -> BoxFuture<WorkerReport> {
        self.seen.lock().unwrap().push((
            attempt.task.id.clone(),
            attempt.attempt,
            attempt.retry.clone(),
        ));
        FakeWorker::default().run(attempt)
    }
}

type Judge = dyn Fn(&SettleCtx, usize) -> Verdict + Send + Sync;

/// A settlement scripted per call: `judge(ctx, n)` where `n` counts this task's settlements.
struct Scripted {
    calls: Mutex<Vec<(String, u32)>>,
    judge: Box<Judge>,
}

impl Scripted {
    fn new(judge: impl Fn(&SettleCtx, usize) -> Verdict + Send + Sync + 'static) -> Scripted {
        Scripted {
            calls: Mutex::new(Vec::new()),
            judge: Box::new(judge),
        }
    }
}

impl Settlement for Scripted {
    fn settle(&self, ctx: SettleCtx) -> BoxFuture<Verdict> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            calls.push((ctx.task.id.clone(), ctx.attempt));
            calls.iter().filter(|(t, _)| *t == ctx.task.id).count()
        };
        let v = (self.judge)(&ctx, n);
        Box::pin(async move { v })
    }
}

async fn run_plan(
    root: &Path,
    plan: RunPlan,
    worker: Arc<Recording>,
    settlement: Arc<Scripted>,
) -> RunReport {
    let lock = RunLock::acquire(&root.join(".dgov")).unwrap();
    let cfg = RunConfig {
        root: root.to_path_buf(),
        mode: RunMode::Fresh,
        max_parallel: Some(4),
        archive: false,
    };
    let deps = RunDeps {
        worker,
        settlement,
        progress: Arc::new(Silent),
    };
    run(plan, cfg, lock, deps, std::future::pending())
        .await
        .unwrap()
}

fn notes(root: &Path, kind: &str) -> Vec<serde_json::Value> {
    let store = Store::open(root).unwrap();
    store
        .events_after(0, Some("p"), 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.data)
        .collect()
}

#[tokio::test]
async fn a_fixable_rejection_is_retried_in_place_with_the_previous_work_and_its_evidence() {
    let (_tmp, root) = project();
    let worker = Arc::new(Recording::default());
    let settlement = Arc::new(Scripted::new(|ctx, n| {
        if n == 1 {
            // What the settlement crate writes: the full outcome with the gate's findings.
            let path = evidence_path(&ctx.root, &ctx.plan, &ctx.task.id, ctx.attempt);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, r#"{"gates": []}"#).unwrap();
            Verdict {
                in_place: true,
                ..Verdict::reject("tests_failed: 1 test failed", true)
            }
        } else {
            Verdict::accept()
        }
    }));
    // No retry budget: the in-place retry does not need one.
    let report = run_plan(&root, plan(&["a"]), worker.clone(), settlement).await;
    assert_eq!(report.summary.merged, vec!["a".to_string()]);

    // The fake worker appends its task id to the claimed file. The second attempt found the
    // first attempt's line already there (uncommitted) and added its own: in place.
    assert_eq!(
        std::fs::read_to_string(root.join("a.txt")).unwrap(),
        "a\na\n"
    );
    let seen = worker.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].2, None);
    let ctx = seen[1].2.clone().expect("the retry is told why");
    assert_eq!(
        (seen[1].1, ctx.previous_attempt, ctx.in_place),
        (2, 1, true)
    );
    assert!(
        ctx.reason.contains("tests_failed: 1 test failed"),
        "{ctx:?}"
    );
    assert_eq!(
        ctx.evidence.as_deref(),
        Some(evidence_path(&root, "p", "a", 1).as_path())
    );
    let retry = &notes(&root, "retry")[0];
    assert_eq!(retry["in_place"], true);
    assert!(retry["carries"].is_string(), "{retry}");
    // Both attempts' branches and worktrees are gone after the merge.
    let repo = Repo::open(&root).unwrap();
    assert!(repo.dgov_branches().unwrap().is_empty());
}

#[tokio::test]
async fn a_conflict_rejection_retries_from_the_target_not_from_the_rejected_work() {
    let (_tmp, root) = project();
    let worker = Arc::new(Recording::default());
    let settlement = Arc::new(Scripted::new(|_, n| {
        if n == 1 {
            Verdict::reject("text_conflict: replay conflicts in a.txt", true)
        } else {
            Verdict::accept()
        }
    }));
    let mut p = plan(&["a"]);
    p.tasks[0].retries = 1;
    let report = run_plan(&root, p, worker.clone(), settlement).await;
    assert_eq!(report.summary.merged, vec!["a".to_string()]);
    // Only the second attempt's line: it started over.
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "a\n");
    let seen = worker.seen.lock().unwrap().clone();
    let ctx = seen[1].2.clone().unwrap();
    assert!(
        !ctx.in_place && ctx.reason.contains("text_conflict"),
        "{ctx:?}"
    );
    assert_eq!(ctx.evidence, None);
}

#[tokio::test]
async fn a_verdict_validated_on_a_target_that_moved_is_settled_again_before_merging() {
    let (_tmp, root) = project();
    let worker = Arc::new(Recording::default());
    let settlement = Arc::new(Scripted::new(|ctx, n| {
        let head = Repo::open(&ctx.root).unwrap().head().unwrap().unwrap();
        let target = if n == 1 {
            // As if validated on the commit before the current HEAD (another task's merge
            // landed after the candidate was built).
            "1111111111111111111111111111111111111111".to_string()
        } else {
            head.to_string()
        };
        Verdict {
            target: Some(target),
            ..Verdict::accept()
        }
    }));
    let report = run_plan(&root, plan(&["a"]), worker, settlement.clone()).await;
    assert_eq!(report.summary.merged, vec!["a".to_string()]);
    assert_eq!(
        settlement.calls.lock().unwrap().clone(),
        vec![("a".to_string(), 1), ("a".to_string(), 1)],
        "the same attempt is settled twice, not retried"
    );
    let stale = notes(&root, "stale");
    assert_eq!(stale.len(), 1);
    assert!(
        stale[0]["reason"]
            .as_str()
            .unwrap()
            .contains("after settlement validated"),
        "{}",
        stale[0]
    );
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "a\n");
}

#[tokio::test]
async fn rejected_work_that_cannot_be_carried_is_retried_from_scratch_and_the_worker_told_so() {
    let (_tmp, root) = project();
    let worker = Arc::new(Recording::default());
    let settlement = Arc::new(Scripted::new(|ctx, n| {
        if n == 1 {
            // Lose the rejected commit's object, as a `git gc` between the two might.
            let c = ctx.commit.clone().unwrap();
            std::fs::remove_file(ctx.root.join(".git/objects").join(&c[..2]).join(&c[2..]))
                .unwrap();
            Verdict {
                in_place: true,
                ..Verdict::reject("tests_failed: boom", true)
            }
        } else {
            Verdict::accept()
        }
    }));
    let report = run_plan(&root, plan(&["a"]), worker.clone(), settlement).await;
    assert_eq!(report.summary.merged, vec!["a".to_string()]);
    assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "a\n");
    let seen = worker.seen.lock().unwrap().clone();
    let ctx = seen[1].2.clone().unwrap();
    assert!(!ctx.in_place, "{ctx:?}");
    assert_eq!(notes(&root, "carry_failed").len(), 1);
}

/// A plan of one task `a` whose fake worker runs out of iterations on its first attempt.
fn exhausting(forks: u32, retries: u32, files: Vec<String>) -> RunPlan {
    let mut p = plan(&["a"]);
    p.tasks[0].prompt = "fake: exhaust".into();
    p.tasks[0].forks = forks;
    p.tasks[0].retries = retries;
    p.tasks[0].files = files;
    p
}

#[tokio::test]
async fn an_exhausted_attempt_is_forked_with_its_unfinished_work_without_spending_a_retry() {
    let (_tmp, root) = project();
    let worker = Arc::new(Recording::default());
    let accept = Arc::new(Scripted::new(|_, _| Verdict::accept()));
    // No retry budget: the fork does not need one.
    let p = exhausting(1, 0, vec!["a.txt".into()]);
    let report = run_plan(&root, p, worker.clone(), accept.clone()).await;
    assert_eq!(report.summary.merged, vec!["a".to_string()], "{report:?}");
    // The fake worker's second attempt succeeds only when it finds the first attempt's line
    // in its worktree; it added its own after it.
    assert_eq!(
        std::fs::read_to_string(root.join("a.txt")).unwrap(),
        "a\na\n"
    );
    let seen = worker.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let ctx = seen[1].2.clone().expect("the fork is told why it exists");
    assert_eq!(
        (seen[1].1, ctx.previous_attempt, ctx.in_place, ctx.fork),
        (2, 1, true, true)
    );
    assert!(ctx.reason.contains("Exceeded max iterations"), "{ctx:?}");
    // Only the fork's work was settled: the exhausted attempt never was.
    assert_eq!(
        accept.calls.lock().unwrap().clone(),
        vec![("a".to_string(), 2)]
    );
    let retry = &notes(&root, "retry")[0];
    assert_eq!(
        (&retry["fork"], &retry["max_forks"], &retry["in_place"]),
        (
            &serde_json::json!(1),
            &serde_json::json!(1),
            &serde_json::json!(true)
        )
    );
    assert!(retry["carries"].is_string(), "{retry}");
    // The snapshot commit lived on the exhausted attempt's branch only; everything is gone.
    let repo = Repo::open(&root).unwrap();
    assert!(repo.dgov_branches().unwrap().is_empty());
    assert!(
        !repo
            .log_subjects(10)
            .unwrap()
            .iter()
            .any(|s| s.contains("work at exhaustion")),
        "the snapshot commit must not land"
    );
}

#[tokio::test]
async fn with_forks_disabled_exhaustion_is_an_ordinary_retry_that_starts_over() {
    // No fork and no budget: the task fails with the exhaustion error.
    let (_tmp, root) = project();
    let worker = Arc::new(Recording::default());
    let accept = Arc::new(Scripted::new(|_, _| Verdict::accept()));
    let report = run_plan(
        &root,
        exhausting(0, 0, vec!["a.txt".into()]),
        worker.clone(),
        accept.clone(),
    )
    .await;
    assert_eq!(report.summary.failed, vec!["a".to_string()]);
    assert!(
        report.errors[0].1.contains("Exceeded max iterations"),
        "{report:?}"
    );
    assert_eq!(worker.seen.lock().unwrap().len(), 1);

    // No fork but a retry: the retry starts over, so the fake worker does not find the
    // first attempt's work and fails for good.
    let (_tmp, root) = project();
    let worker = Arc::new(Recording::default());
    let report = run_plan(
        &root,
        exhausting(0, 1, vec!["a.txt".into()]),
        worker.clone(),
        accept,
    )
    .await;
    assert_eq!(report.summary.failed, vec!["a".to_string()]);
    assert!(report.errors[0].1.contains("work is missing"), "{report:?}");
    let seen = worker.seen.lock().unwrap().clone();
    let ctx = seen[1].2.clone().unwrap();
    assert!(!ctx.in_place && !ctx.fork, "{ctx:?}");
}

#[tokio::test]
async fn an_exhausted_attempt_that_changed_nothing_forks_from_a_clean_worktree() {
    let (_tmp, root) = project();
    let worker = Arc::new(Recording::default());
    let accept = Arc::new(Scripted::new(|_, _| Verdict::accept()));
    let report = run_plan(&root, exhausting(1, 0, vec![]), worker.clone(), accept).await;
    assert_eq!(report.summary.merged, vec!["a".to_string()], "{report:?}");
    let seen = worker.seen.lock().unwrap().clone();
    let ctx = seen[1].2.clone().unwrap();
    // Still a fork (outside the budget), but nothing was carried and the worker knows it.
    assert!(ctx.fork && !ctx.in_place, "{ctx:?}");
    assert!(notes(&root, "retry")[0]["carries"].is_null());
}
