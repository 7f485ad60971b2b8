//! End-to-end runs on real temporary git repositories with the fake and command workers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dgov_git::Repo;
use dgov_kernel::{RunMode, TaskState};
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

fn task(id: &str, deps: &[&str], files: &[&str]) -> RunTask {
    RunTask {
        id: id.into(),
        depends_on: deps.iter().map(|s| s.to_string()).collect(),
        prompt: String::new(),
        files: files.iter().map(|s| s.to_string()).collect(),
        read: Vec::new(),
        test_cmd: None,
        commit_message: format!("feat: {id}"),
        timeout: None,
        retries: 0,
        forks: 1,
    }
}

fn plan(tasks: Vec<RunTask>) -> RunPlan {
    RunPlan {
        name: "p".into(),
        dir: None,
        tasks,
    }
}

#[derive(Default)]
struct Record(Mutex<Vec<ProgressEvent>>);

impl Progress for Record {
    fn event(&self, e: ProgressEvent) {
        self.0.lock().unwrap().push(e);
    }
}

async fn run_with(
    root: &Path,
    plan: RunPlan,
    mode: RunMode,
    worker: Arc<dyn Worker>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> RunReport {
    let lock = RunLock::acquire(&root.join(".dgov")).unwrap();
    let cfg = RunConfig {
        root: root.to_path_buf(),
        mode,
        max_parallel: Some(4),
        archive: true,
    };
    let deps = RunDeps {
        worker,
        settlement: Arc::new(AcceptAll),
        progress: Arc::new(Record::default()),
    };
    run(plan, cfg, lock, deps, shutdown).await.unwrap()
}

async fn run_fake(root: &Path, plan: RunPlan, mode: RunMode, fake: FakeWorker) -> RunReport {
    run_with(root, plan, mode, Arc::new(fake), std::future::pending()).await
}

fn assert_no_leftovers(root: &Path) {
    let repo = Repo::open(root).unwrap();
    assert!(
        repo.dgov_branches().unwrap().is_empty(),
        "branches left: {:?}",
        repo.dgov_branches()
    );
    assert!(repo.dgov_worktree_names().unwrap().is_empty());
    assert!(!repo.worktrees_dir().exists(), "worktrees dir left behind");
    assert!(
        repo.dirty_paths().unwrap().is_empty(),
        "dirty: {:?}",
        repo.dirty_paths()
    );
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap_or_default()
}

#[tokio::test]
async fn parallel_tasks_all_merge_with_their_messages_and_nothing_is_left_behind() {
    let (_tmp, root) = project();
    let p = plan(vec![
        task("t/a", &[], &["a.txt"]),
        task("t/b", &[], &["b.txt"]),
        task("t/c", &[], &["c/c.txt"]),
    ]);
    let report = run_fake(&root, p.clone(), RunMode::Fresh, FakeWorker::default()).await;
    assert_eq!(report.status, RunStatus::Complete);
    assert_eq!(report.summary.merged.len(), 3);
    assert_eq!(read(&root, "a.txt"), "t/a\n");
    assert_eq!(read(&root, "c/c.txt"), "t/c\n");
    let subjects = Repo::open(&root).unwrap().log_subjects(4).unwrap();
    assert_eq!(subjects[3], "chore: bootstrap repo for dgov");
    let mut landed = subjects[..3].to_vec();
    landed.sort();
    assert_eq!(landed, vec!["feat: t/a", "feat: t/b", "feat: t/c"]);
    let deployed = deploy::read_deployed(&root, "p").unwrap();
    assert_eq!(deployed.len(), 3);
    assert_eq!(
        deployed.last().unwrap().sha,
        Repo::open(&root)
            .unwrap()
            .head()
            .unwrap()
            .unwrap()
            .to_string()
    );
    assert_no_leftovers(&root);
    // The kernel state is the fold of the stored log.
    let store = Store::open(&root).unwrap();
    let (k, _) =
        dgov_kernel::replay(&p.specs(), Some(4), store.kernel_events("p").unwrap()).unwrap();
    assert!(k.tasks().all(|(_, s)| s.state == TaskState::Merged));
    assert!(store.open_intents("p").unwrap().is_empty());
    assert!(read(&root, ".dgov/runs.log").contains("p — ok"));
}

#[tokio::test]
async fn a_dependent_task_starts_from_its_dependencys_deployed_commit() {
    let (_tmp, root) = project();
    let p = plan(vec![
        task("a", &[], &["shared.txt"]),
        task("b", &["a"], &["shared.txt"]),
    ]);
    let report = run_fake(&root, p, RunMode::Fresh, FakeWorker::default()).await;
    assert_eq!(report.status, RunStatus::Complete);
    // b appended to the file a created: its worktree had a's change.
    assert_eq!(read(&root, "shared.txt"), "a\nb\n");
    assert_eq!(
        report
            .merged_now
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>(),
        vec!["a", "b"]
    );
    assert_no_leftovers(&root);
}

#[tokio::test]
async fn a_failing_task_skips_its_dependents_while_its_siblings_merge() {
    let (_tmp, root) = project();
    let mut bad = task("bad", &[], &["bad.txt"]);
    bad.prompt = "fake: fatal".into();
    let p = plan(vec![
        bad,
        task("after", &["bad"], &["after.txt"]),
        task("sib", &[], &["sib.txt"]),
    ]);
    let report = run_fake(&root, p, RunMode::Fresh, FakeWorker::default()).await;
    assert_eq!(report.status, RunStatus::Partial);
    assert_eq!(report.summary.failed, vec!["bad".to_string()]);
    assert_eq!(report.summary.skipped, vec!["after".to_string()]);
    assert_eq!(report.summary.merged, vec!["sib".to_string()]);
    assert_eq!(
        report.errors,
        vec![("bad".to_string(), "fake worker: fatal failure".to_string())]
    );
    assert!(!root.join("bad.txt").exists());
    assert_eq!(read(&root, "sib.txt"), "sib\n");
    assert_no_leftovers(&root);
}

#[tokio::test]
async fn retryable_failures_are_retried_per_policy_then_succeed_or_fail() {
    let (_tmp, root) = project();
    let mut flaky = task("flaky", &[], &["f.txt"]);
    flaky.retries = 2;
    flaky.prompt = "fake: fail 2".into();
    let mut doomed = task("doomed", &[], &["d.txt"]);
    doomed.retries = 1;
    doomed.prompt = "fake: fail".into();
    let report = run_fake(
        &root,
        plan(vec![flaky, doomed]),
        RunMode::Fresh,
        FakeWorker::default(),
    )
    .await;
    assert_eq!(report.summary.merged, vec!["flaky".to_string()]);
    assert_eq!(report.summary.failed, vec!["doomed".to_string()]);
    let store = Store::open(&root).unwrap();
    let view = store.status_view().unwrap();
    let flaky = view.tasks.iter().find(|t| t.task == "flaky").unwrap();
    assert_eq!(flaky.attempt, 3, "two failed attempts, the third merged");
    let doomed = view.tasks.iter().find(|t| t.task == "doomed").unwrap();
    assert_eq!(doomed.attempt, 2);
    assert_no_leftovers(&root);
}

#[tokio::test]
async fn a_worker_over_its_wall_clock_limit_is_killed_with_its_whole_process_group() {
    let (tmp, root) = project();
    let pidfile = tmp.path().join("grandchild.pid");
    let mut slow = task("slow", &[], &[]);
    // The shell starts a grandchild in the same group and waits: only a group kill stops both.
    slow.prompt = format!("sleep 300 & echo $! > {}; wait", pidfile.display());
    slow.timeout = Some(Duration::from_millis(700));
    let mut quick = task("quick", &[], &[]);
    quick.prompt = "echo hi > quick.txt".into();
    let report = run_with(
        &root,
        plan(vec![slow, quick]),
        RunMode::Fresh,
        Arc::new(CommandWorker),
        std::future::pending(),
    )
    .await;
    assert_eq!(report.summary.timed_out, vec!["slow".to_string()]);
    assert_eq!(report.summary.merged, vec!["quick".to_string()]);
    assert!(
        report.errors[0].1.contains("timed out after 0s")
            || report.errors[0].1.contains("timed out"),
        "{:?}",
        report.errors
    );
    assert_eq!(read(&root, "quick.txt"), "hi\n");
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // Dead means gone, or a zombie nobody reaped yet (state Z in /proc).
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let alive = stat
        .rsplit(')')
        .next()
        .is_some_and(|rest| rest.trim_start().starts_with(|c| c != 'Z'));
    assert!(!alive, "grandchild {pid} survived the timeout");
    assert_eq!(report.status, RunStatus::Partial);
    assert_no_leftovers(&root);
}

#[tokio::test]
async fn a_failing_command_reports_its_exit_status_and_output() {
    let (_tmp, root) = project();
    let mut t = task("boom", &[], &[]);
    t.prompt = "echo something broke >&2; exit 3".into();
    let report = run_with(
        &root,
        plan(vec![t]),
        RunMode::Fresh,
        Arc::new(CommandWorker),
        std::future::pending(),
    )
    .await;
    assert_eq!(report.status, RunStatus::Failed);
    let err = &report.errors[0].1;
    assert!(
        err.contains("status 3") && err.contains("something broke"),
        "{err}"
    );
}

#[tokio::test]
async fn shutdown_abandons_running_work_and_continue_finishes_the_plan() {
    let (_tmp, root) = project();
    let mut hang = task("hang", &[], &["h.txt"]);
    hang.prompt = "fake: hang".into();
    let p = plan(vec![
        hang,
        task("dep", &["hang"], &["d.txt"]),
        task("ok", &[], &["ok.txt"]),
    ]);
    // Shut down once the independent task has landed (not after a fixed delay: a loaded CI
    // machine may take longer than any delay to merge it), while `hang` is still running.
    let watched = root.clone();
    let shutdown = async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let landed = deploy::read_deployed(&watched, "p")
                .unwrap_or_default()
                .iter()
                .any(|r| r.unit == "ok");
            if landed || std::time::Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    };
    let report = run_with(
        &root,
        p.clone(),
        RunMode::Fresh,
        Arc::new(FakeWorker::default()),
        shutdown,
    )
    .await;
    assert_eq!(report.status, RunStatus::Interrupted);
    assert_eq!(report.summary.abandoned, vec!["hang".to_string()]);
    assert_eq!(report.summary.merged, vec!["ok".to_string()]);
    assert_no_leftovers(&root);
    let store = Store::open(&root).unwrap();
    assert_eq!(
        store.latest_run("p").unwrap().unwrap().status.as_deref(),
        Some("interrupted")
    );
    drop(store);

    // A plain rerun reports the abandoned work and does nothing else.
    let report = run_fake(&root, p.clone(), RunMode::Fresh, FakeWorker::default()).await;
    assert_eq!(report.status, RunStatus::Partial);
    assert_eq!(report.summary.abandoned, vec!["hang".to_string()]);
    assert!(report.merged_now.is_empty());

    // --continue with a worker that now finishes lands the rest.
    let mut fake = FakeWorker::default();
    fake.overrides.insert("hang".into(), FakeBehaviour::Write);
    let report = run_fake(&root, p, RunMode::Continue, fake).await;
    assert_eq!(report.status, RunStatus::Complete);
    assert_eq!(
        report
            .merged_now
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>(),
        vec!["hang", "dep"]
    );
    assert_eq!(read(&root, "h.txt"), "hang\n");
    assert_no_leftovers(&root);
}

#[tokio::test]
async fn restart_runs_deployed_units_again_and_a_plain_rerun_of_a_done_plan_is_a_no_op() {
    let (_tmp, root) = project();
    let p = plan(vec![task("a", &[], &["a.txt"])]);
    run_fake(&root, p.clone(), RunMode::Fresh, FakeWorker::default()).await;
    let again = run_fake(&root, p.clone(), RunMode::Fresh, FakeWorker::default()).await;
    assert_eq!(again.status, RunStatus::Complete);
    assert!(again.merged_now.is_empty());
    let restarted = run_fake(&root, p, RunMode::Restart, FakeWorker::default()).await;
    assert_eq!(restarted.merged_now.len(), 1);
    assert_eq!(read(&root, "a.txt"), "a\na\n");
}

#[tokio::test]
async fn a_fully_deployed_plan_under_dgov_plans_is_archived_without_nesting() {
    let (_tmp, root) = project();
    let dir = root.join(".dgov/plans/p");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(root.join(".dgov/plans/archive/p")).unwrap();
    let mut p = plan(vec![task("a", &[], &["a.txt"])]);
    p.dir = Some(dir.clone());
    let report = run_fake(&root, p, RunMode::Fresh, FakeWorker::default()).await;
    let dest = report.archived_to.unwrap();
    assert_eq!(dest.file_name().unwrap(), "p-2");
    assert!(!dir.exists());
    assert!(dest.exists());
}

#[tokio::test]
async fn a_task_that_changes_nothing_merges_without_a_commit() {
    let (_tmp, root) = project();
    let before = Repo::open(&root).unwrap().head().unwrap();
    let mut t = task("noop", &[], &[]);
    t.prompt = "fake: noop".into();
    let report = run_fake(&root, plan(vec![t]), RunMode::Fresh, FakeWorker::default()).await;
    assert_eq!(report.status, RunStatus::Complete);
    assert_eq!(Repo::open(&root).unwrap().head().unwrap(), before);
    assert_eq!(
        deploy::read_deployed(&root, "p").unwrap()[0].sha,
        before.unwrap().to_string()
    );
}

#[tokio::test]
async fn conflicting_merges_fail_the_later_task_and_leave_the_target_clean() {
    let (_tmp, root) = project();
    let mut one = task("one", &[], &[]);
    one.prompt = "echo one > same.txt".into();
    let mut two = task("two", &[], &[]);
    two.prompt = "echo two > same.txt".into();
    let report = run_with(
        &root,
        plan(vec![one, two]),
        RunMode::Fresh,
        Arc::new(CommandWorker),
        std::future::pending(),
    )
    .await;
    // Both tasks are independent and run at once, so either may settle first: the first to
    // settle merges, the other meets its change on the target and fails. What must hold is
    // that exactly one lands and the target holds exactly that one's content.
    assert_eq!(report.summary.merged.len(), 1, "{:?}", report.summary);
    assert_eq!(report.summary.failed.len(), 1, "{:?}", report.summary);
    let winner = report.summary.merged[0].clone();
    let loser = report.summary.failed[0].clone();
    assert_ne!(winner, loser);
    assert!(
        report.errors[0].1.contains("merge conflict") && report.errors[0].1.contains("same.txt"),
        "{:?}",
        report.errors
    );
    assert_eq!(report.errors[0].0, loser, "{:?}", report.errors);
    assert_eq!(read(&root, "same.txt"), format!("{winner}\n"));
    assert_no_leftovers(&root);
}

#[tokio::test]
async fn a_run_removes_candidate_checkouts_a_killed_run_left_in_the_scratch_directory() {
    let (_tmp, root) = project();
    let repo = Repo::open(&root).unwrap();
    let leftover = repo
        .scratch_dir()
        .join(format!("{}k1ll3d", dgov_git::CANDIDATE_SCRATCH_PREFIX));
    std::fs::create_dir_all(leftover.join("src")).unwrap();
    std::fs::write(leftover.join("src/x.rs"), "fn x() {}\n").unwrap();
    let report = run_fake(
        &root,
        plan(vec![task("a", &[], &["a.txt"])]),
        RunMode::Fresh,
        FakeWorker::default(),
    )
    .await;
    assert_eq!(report.status, RunStatus::Complete);
    assert!(!leftover.exists());
    assert!(
        report
            .reconciled
            .iter()
            .any(|r| r.contains("removed a candidate checkout left by a killed run")),
        "{:?}",
        report.reconciled
    );
}
