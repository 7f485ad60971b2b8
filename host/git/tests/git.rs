//! Worktrees, commits, merges and recovery on real temporary git repositories.

use std::path::Path;

use dgov_git::*;

fn init(dir: &Path) -> git2::Repository {
    let repo = git2::Repository::init(dir).unwrap();
    let mut cfg = repo.config().unwrap();
    cfg.set_str("user.name", "t").unwrap();
    cfg.set_str("user.email", "t@t").unwrap();
    repo
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repo `<tmp>/proj` with one commit holding `a.txt` and `b.txt`.
fn project() -> (tempfile::TempDir, std::path::PathBuf, Repo) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    std::fs::create_dir(&root).unwrap();
    init(&root);
    write(&root, "a.txt", "a\n");
    write(&root, "b.txt", "b1\nb2\nb3\n");
    let repo = Repo::open(&root).unwrap();
    repo.bootstrap_commit().unwrap();
    (tmp, root, repo)
}

fn no_fault(_: &str) {}

#[test]
fn bootstrap_commits_the_tree_without_generated_files_and_refuses_an_empty_repo() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let repo = Repo::open(tmp.path()).unwrap();
    assert_eq!(repo.head().unwrap(), None);
    assert!(matches!(
        repo.bootstrap_commit(),
        Err(GitError::NothingToBootstrap)
    ));
    write(tmp.path(), "src/x.rs", "fn x() {}\n");
    write(tmp.path(), ".dgov/plans/p/_root.toml", "[plan]\nname='p'\n");
    write(tmp.path(), ".dgov/state.db", "binary");
    write(tmp.path(), ".dgov/plans/p/_compiled.toml", "x");
    assert_eq!(
        repo.bootstrap_candidates().unwrap(),
        vec![".dgov/plans/p/_root.toml", "src/x.rs"]
    );
    assert_eq!(repo.bootstrap_commit().unwrap(), 2);
    let head = repo.head().unwrap().unwrap();
    assert_eq!(
        repo.log_subjects(5).unwrap(),
        vec!["chore: bootstrap repo for dgov"]
    );
    assert!(repo.file_at(head, ".dgov/state.db").unwrap().is_none());
    assert!(repo.dirty_paths().unwrap().is_empty());
}

#[test]
fn dirty_paths_list_every_kind_of_change_but_exempt_dgov_generated_files() {
    let (_tmp, root, repo) = project();
    assert!(repo.dirty_paths().unwrap().is_empty());
    write(&root, "a.txt", "changed\n");
    write(&root, "new/file.txt", "n");
    write(&root, ".dgov/plans/p/tasks/x.toml", "[tasks.a]\n");
    for generated in [
        ".dgov/state.db",
        ".dgov/state.db-wal",
        ".dgov/runs.log",
        ".dgov/run.lock",
        ".dgov/plans/deployed.jsonl",
        ".dgov/out/t/log",
        ".dgov/runtime/x",
        ".dgov/plans/p/_compiled.toml",
    ] {
        write(&root, generated, "g");
    }
    std::fs::remove_file(root.join("b.txt")).unwrap();
    assert_eq!(
        repo.dirty_paths().unwrap(),
        vec![
            ".dgov/plans/p/tasks/x.toml",
            "a.txt",
            "b.txt",
            "new/file.txt"
        ]
    );
}

#[test]
fn attempt_worktrees_are_created_beside_the_project_and_removed_without_trace() {
    let (tmp, root, repo) = project();
    let head = repo.head().unwrap().unwrap();
    let wt = repo
        .create_attempt("my plan", "tasks/main.a", 1, head)
        .unwrap();
    assert_eq!(
        wt.path,
        tmp.path()
            .join(".dgov-worktrees-proj/my_plan/tasks/main.a-a1")
    );
    assert_eq!(wt.branch, "dgov/my_plan/tasks/main.a-a1");
    assert_eq!(
        std::fs::read_to_string(wt.path.join("a.txt")).unwrap(),
        "a\n"
    );
    assert_eq!(repo.dgov_branches().unwrap(), vec![wt.branch.clone()]);
    // Re-creating the same attempt (after a crash) replaces it.
    write(&wt.path, "junk.txt", "x");
    let again = repo
        .create_attempt("my plan", "tasks/main.a", 1, head)
        .unwrap();
    assert!(!again.path.join("junk.txt").exists());
    assert!(repo.remove_attempt("my plan", "tasks/main.a", 1).unwrap());
    assert!(
        !repo.remove_attempt("my plan", "tasks/main.a", 1).unwrap(),
        "idempotent"
    );
    assert!(repo.dgov_branches().unwrap().is_empty());
    assert!(repo.dgov_worktree_names().unwrap().is_empty());
    assert!(!tmp.path().join(".dgov-worktrees-proj").exists());
    assert!(repo.dirty_paths().unwrap().is_empty());
    let _ = root;
}

#[test]
fn commit_attempt_commits_all_changes_or_reports_none() {
    let (_tmp, _root, repo) = project();
    let head = repo.head().unwrap().unwrap();
    let wt = repo.create_attempt("p", "t", 1, head).unwrap();
    assert_eq!(
        repo.commit_attempt(&wt.path, "feat: nothing").unwrap(),
        None
    );
    write(&wt.path, "c.txt", "c\n");
    std::fs::remove_file(wt.path.join("a.txt")).unwrap();
    write(&wt.path, ".dgov/out/t/log", "ignored");
    let c = repo
        .commit_attempt(&wt.path, "feat: add c")
        .unwrap()
        .unwrap();
    assert_eq!(repo.file_at(c, "c.txt").unwrap().unwrap(), b"c\n");
    assert!(repo.file_at(c, "a.txt").unwrap().is_none());
    assert!(repo.file_at(c, ".dgov/out/t/log").unwrap().is_none());
}

#[test]
fn merges_fast_forward_then_cherry_pick_with_the_task_message_and_a_clean_tree() {
    let (_tmp, root, repo) = project();
    let base = repo.head().unwrap().unwrap();
    let w1 = repo.create_attempt("p", "one", 1, base).unwrap();
    let w2 = repo.create_attempt("p", "two", 1, base).unwrap();
    write(&w1.path, "one.txt", "1\n");
    write(&w2.path, "two.txt", "2\n");
    std::fs::remove_file(w2.path.join("a.txt")).unwrap();
    repo.commit_attempt(&w1.path, "feat: one").unwrap();
    repo.commit_attempt(&w2.path, "feat: two").unwrap();
    let m1 = repo
        .merge_attempt("p", "one", 1, base, &mut no_fault)
        .unwrap();
    assert!(m1.fast_forward);
    assert_eq!(m1.commits, 1);
    let m2 = repo
        .merge_attempt("p", "two", 1, base, &mut no_fault)
        .unwrap();
    assert!(!m2.fast_forward);
    assert_eq!(m2.commits, 1);
    assert_eq!(repo.head().unwrap(), Some(m2.head));
    assert_eq!(
        repo.log_subjects(3).unwrap(),
        vec!["feat: two", "feat: one", "chore: bootstrap repo for dgov"]
    );
    assert_eq!(
        std::fs::read_to_string(root.join("one.txt")).unwrap(),
        "1\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("two.txt")).unwrap(),
        "2\n"
    );
    assert!(
        !root.join("a.txt").exists(),
        "deletion landed in the working tree"
    );
    assert!(
        repo.dirty_paths().unwrap().is_empty(),
        "{:?}",
        repo.dirty_paths()
    );
    // Merging again is a no-op, not a double merge.
    let again = repo
        .merge_attempt("p", "two", 1, base, &mut no_fault)
        .unwrap();
    assert_eq!(again.commits, 0);
    assert_eq!(again.head, m2.head);
}

#[test]
fn a_conflicting_merge_fails_naming_the_files_and_leaves_the_target_untouched() {
    let (_tmp, root, repo) = project();
    let base = repo.head().unwrap().unwrap();
    let w1 = repo.create_attempt("p", "one", 1, base).unwrap();
    let w2 = repo.create_attempt("p", "two", 1, base).unwrap();
    write(&w1.path, "b.txt", "b1\nONE\nb3\n");
    write(&w2.path, "b.txt", "b1\nTWO\nb3\n");
    repo.commit_attempt(&w1.path, "feat: one").unwrap();
    repo.commit_attempt(&w2.path, "feat: two").unwrap();
    let m1 = repo
        .merge_attempt("p", "one", 1, base, &mut no_fault)
        .unwrap();
    let err = repo
        .merge_attempt("p", "two", 1, base, &mut no_fault)
        .unwrap_err();
    match &err {
        GitError::Conflict { files, .. } => assert_eq!(files, &vec!["b.txt".to_string()]),
        other => panic!("expected conflict, got {other}"),
    }
    assert!(err.to_string().contains("b.txt"));
    assert_eq!(repo.head().unwrap(), Some(m1.head));
    assert_eq!(
        std::fs::read_to_string(root.join("b.txt")).unwrap(),
        "b1\nONE\nb3\n"
    );
    assert!(repo.dirty_paths().unwrap().is_empty());
}

fn crash_at(repo: &Repo, task: &str, base: Oid, at: &str) {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut hook = |b: &str| {
            if b == at {
                panic!("injected crash at {b}");
            }
        };
        repo.merge_attempt("p", task, 1, base, &mut hook)
    }));
    assert!(r.is_err(), "the merge should have crashed at {at}");
}

#[test]
fn recover_merge_completes_a_merge_interrupted_after_the_ref_moved() {
    let (_tmp, root, repo) = project();
    let base = repo.head().unwrap().unwrap();
    let w1 = repo.create_attempt("p", "one", 1, base).unwrap();
    let w2 = repo.create_attempt("p", "two", 1, base).unwrap();
    write(&w1.path, "one.txt", "1\n");
    write(&w2.path, "two.txt", "2\n");
    repo.commit_attempt(&w1.path, "feat: one").unwrap();
    let tip2 = repo.commit_attempt(&w2.path, "feat: two").unwrap();
    let m1 = repo
        .merge_attempt("p", "one", 1, base, &mut no_fault)
        .unwrap();
    crash_at(&repo, "two", base, "merge_ref_updated");
    assert_ne!(repo.head().unwrap(), Some(m1.head));
    assert!(
        !repo.dirty_paths().unwrap().is_empty(),
        "working tree lags behind the moved ref"
    );
    let landed = repo.recover_merge(m1.head, tip2, "feat: two").unwrap();
    assert_eq!(landed, repo.head().unwrap());
    assert!(repo.dirty_paths().unwrap().is_empty());
    assert_eq!(
        std::fs::read_to_string(root.join("two.txt")).unwrap(),
        "2\n"
    );
}

#[test]
fn recover_merge_reports_a_merge_interrupted_before_the_ref_moved_as_not_landed() {
    let (_tmp, _root, repo) = project();
    let base = repo.head().unwrap().unwrap();
    let w = repo.create_attempt("p", "one", 1, base).unwrap();
    write(&w.path, "one.txt", "1\n");
    let tip = repo.commit_attempt(&w.path, "feat: one").unwrap();
    crash_at(&repo, "one", base, "merge_commit_created");
    assert_eq!(repo.head().unwrap(), Some(base));
    assert_eq!(repo.recover_merge(base, tip, "feat: one").unwrap(), None);
    assert!(repo.dirty_paths().unwrap().is_empty());
}

#[test]
fn sweep_and_prune_remove_leftovers_but_keep_unmerged_branches() {
    let (tmp, _root, repo) = project();
    let base = repo.head().unwrap().unwrap();
    repo.create_attempt("p", "a", 1, base).unwrap();
    repo.create_attempt("p", "b", 2, base).unwrap();
    repo.create_attempt("q", "c", 1, base).unwrap();
    assert_eq!(repo.sweep_plan("p").unwrap(), 4);
    assert_eq!(repo.dgov_worktree_names().unwrap().len(), 1);

    // Orphans for prune: a directory git does not track, a worktree whose dir vanished, a
    // merged branch without worktree and an unmerged one.
    let wq = repo.create_attempt("q", "d", 1, base).unwrap();
    std::fs::remove_dir_all(&wq.path).unwrap();
    let stray = tmp.path().join(".dgov-worktrees-proj/zzz/x");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join(".git"), "gitdir: nowhere").unwrap();
    let wu = repo.create_attempt("r", "u", 1, base).unwrap();
    write(&wu.path, "u.txt", "u");
    repo.commit_attempt(&wu.path, "wip").unwrap();
    repo.remove_attempt("q", "c", 1).unwrap();
    // Remove the worktree of r/u but keep its (unmerged) branch.
    std::fs::remove_dir_all(&wu.path).unwrap();

    let dry = repo.prune(true).unwrap();
    assert!(stray.exists(), "dry run deletes nothing");
    assert!(dry.worktrees.iter().any(|w| w.contains("zzz")));
    let report = repo.prune(false).unwrap();
    assert!(!stray.exists());
    assert!(
        report.worktrees.iter().any(|w| w.starts_with("dgov+q+d")),
        "{report:?}"
    );
    assert_eq!(report.deleted_branches, vec!["dgov/q/d-a1".to_string()]);
    assert_eq!(report.kept_branches, vec!["dgov/r/u-a1".to_string()]);
    assert!(repo.dgov_worktree_names().unwrap().is_empty());
}

#[test]
fn hand_written_worktrees_are_understood_by_the_git_cli() {
    let (_tmp, root, repo) = project();
    let head = repo.head().unwrap().unwrap();
    let wt = repo.create_attempt("p", "t/x", 3, head).unwrap();
    let git = |dir: &Path, args: &[&str]| {
        let o = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let list = git(&root, &["worktree", "list", "--porcelain"]);
    assert!(
        list.contains(&format!(
            "worktree {}",
            wt.path.canonicalize().unwrap().display()
        )),
        "{list}"
    );
    assert!(list.contains("branch refs/heads/dgov/p/t/x-a3"), "{list}");
    assert_eq!(
        git(&wt.path, &["status", "--porcelain"]),
        "",
        "fresh worktree is clean"
    );
    assert_eq!(
        git(&wt.path, &["rev-parse", "HEAD"]).trim(),
        head.to_string()
    );
    repo.remove_attempt("p", "t/x", 3).unwrap();
    let list = git(&root, &["worktree", "list", "--porcelain"]);
    assert_eq!(list.matches("worktree ").count(), 1, "{list}");
    assert_eq!(git(&root, &["branch", "--list", "dgov/*"]), "");
}

/// A run killed while libgit2 held a ref or index lock (kill -9 mid-commit) must not wedge
/// the next run: the stale locks in dgov's namespaces are cleared, and the attempt can be
/// recreated. The target branch's locks are not dgov's to remove.
#[test]
fn stale_locks_left_by_a_killed_run_are_cleared_only_in_dgov_namespaces() {
    let (_tmp, root, repo) = project();
    let base = repo.head().unwrap().unwrap();
    let wt = repo
        .create_attempt("demo", "tasks/main.a", 1, base)
        .unwrap();
    let (_, branch, name) = repo.attempt_names("demo", "tasks/main.a", 1);
    let git_dir = root.join(".git");
    let ref_lock = git_dir.join("refs/heads").join(format!("{branch}.lock"));
    let index_lock = git_dir.join("worktrees").join(&name).join("index.lock");
    let main_lock = git_dir.join("index.lock");
    std::fs::write(&ref_lock, "").unwrap();
    std::fs::write(&index_lock, "").unwrap();
    std::fs::write(&main_lock, "").unwrap();

    // with the ref lock in place, writing the branch fails, as after a real crash
    write(&wt.path, "new.txt", "x\n");
    assert!(repo.commit_attempt(&wt.path, "msg").is_err());

    let removed = repo.clear_stale_dgov_locks().unwrap();
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert!(!ref_lock.exists() && !index_lock.exists());
    assert!(
        main_lock.exists(),
        "the target branch's index lock is not dgov's"
    );
    std::fs::remove_file(&main_lock).unwrap();

    // and the attempt can now be recreated and committed
    let wt = repo
        .create_attempt("demo", "tasks/main.a", 1, base)
        .unwrap();
    write(&wt.path, "new.txt", "x\n");
    assert!(repo.commit_attempt(&wt.path, "msg").unwrap().is_some());
}

#[test]
fn carried_work_appears_uncommitted_in_the_next_attempt_and_commits_to_the_same_tree() {
    let (_tmp, _root, repo) = project();
    let head = repo.head().unwrap().unwrap();
    let wt1 = repo.create_attempt("p", "t", 1, head).unwrap();
    write(&wt1.path, "c/new.txt", "new\n");
    write(&wt1.path, "b.txt", "b1\nB2\nb3\n");
    std::fs::remove_file(wt1.path.join("a.txt")).unwrap();
    let c1 = repo
        .commit_attempt(&wt1.path, "feat: one")
        .unwrap()
        .unwrap();
    repo.remove_attempt("p", "t", 1).unwrap();

    let wt2 = repo.create_attempt("p", "t", 2, head).unwrap();
    carry_work(&wt2.path, c1).unwrap();
    // The files are the rejected attempt's, HEAD is still the base: nothing is committed.
    assert_eq!(
        std::fs::read_to_string(wt2.path.join("b.txt")).unwrap(),
        "b1\nB2\nb3\n"
    );
    assert_eq!(
        std::fs::read_to_string(wt2.path.join("c/new.txt")).unwrap(),
        "new\n"
    );
    assert!(!wt2.path.join("a.txt").exists());
    let wt_repo = git2::Repository::open(&wt2.path).unwrap();
    assert_eq!(wt_repo.head().unwrap().target(), Some(head));
    let statuses = wt_repo.statuses(None).unwrap();
    assert_eq!(
        statuses.len(),
        3,
        "b modified, a deleted, c/new.txt untracked"
    );
    // Committing the untouched carried work gives the rejected attempt's tree again.
    let c2 = repo
        .commit_attempt(&wt2.path, "feat: two")
        .unwrap()
        .unwrap();
    assert_eq!(
        wt_repo.find_commit(c2).unwrap().tree_id(),
        wt_repo.find_commit(c1).unwrap().tree_id()
    );
}

#[test]
fn commit_paths_commits_only_the_given_files_once_and_leaves_other_changes_alone() {
    let (_tmp, root, repo) = project();
    let before = repo.head().unwrap().unwrap();
    write(&root, ".sentrux/baseline.json", "{\"q\": 1}\n");
    write(&root, "a.txt", "edited by the user\n");
    write(&root, "staged.txt", "staged by the user\n");
    let git = git2::Repository::open(&root).unwrap();
    let mut index = git.index().unwrap();
    index.add_path(Path::new("staged.txt")).unwrap();
    index.write().unwrap();

    let oid = repo
        .commit_paths(&[".sentrux/baseline.json"], "Refresh sentrux baseline")
        .unwrap()
        .expect("a new file is a change");
    assert_eq!(repo.head().unwrap(), Some(oid));
    let c = git.find_commit(oid).unwrap();
    assert_eq!(c.parent_id(0).unwrap(), before);
    assert_eq!(c.summary().unwrap(), Some("Refresh sentrux baseline"));
    assert_eq!(c.author().name().unwrap(), "dgov");
    assert_eq!(
        repo.file_at(oid, ".sentrux/baseline.json")
            .unwrap()
            .unwrap(),
        b"{\"q\": 1}\n"
    );
    // The user's edit and staged file are not in the commit, and are still pending.
    assert_eq!(repo.file_at(oid, "a.txt").unwrap().unwrap(), b"a\n");
    assert!(repo.file_at(oid, "staged.txt").unwrap().is_none());
    assert_eq!(repo.dirty_paths().unwrap(), vec!["a.txt", "staged.txt"]);
    let staged = git.index().unwrap();
    assert!(staged.get_path(Path::new("staged.txt"), 0).is_some());

    // Unchanged: no empty commit.
    assert_eq!(
        repo.commit_paths(&[".sentrux/baseline.json"], "again")
            .unwrap(),
        None
    );
    // A missing file is a deletion.
    std::fs::remove_file(root.join(".sentrux/baseline.json")).unwrap();
    let gone = repo
        .commit_paths(&[".sentrux/baseline.json"], "drop")
        .unwrap()
        .unwrap();
    assert!(
        repo.file_at(gone, ".sentrux/baseline.json")
            .unwrap()
            .is_none()
    );
    assert_eq!(repo.dirty_paths().unwrap(), vec!["a.txt", "staged.txt"]);
}

#[test]
fn scratch_checkouts_live_beside_the_project_and_leftovers_are_cleared_by_prefix_or_prune() {
    let (tmp, root, repo) = project();
    let scratch = repo.scratch_dir();
    assert_eq!(scratch, tmp.path().join(".dgov-scratch-proj"));
    assert!(!scratch.starts_with(&root), "never inside the repository");
    // Nothing there yet: nothing to clear.
    assert!(repo.clear_scratch("", false).unwrap().is_empty());

    let head = repo.head().unwrap().unwrap();
    let cand = scratch.join(format!("{CANDIDATE_SCRATCH_PREFIX}x1"));
    let base = scratch.join("dgov-baseline-y2");
    repo.checkout_to(head, &cand).unwrap();
    repo.checkout_to(head, &base).unwrap();
    // A run clears only leftover candidates (a concurrent preflight may own a baseline).
    assert_eq!(
        repo.clear_scratch(CANDIDATE_SCRATCH_PREFIX, true).unwrap(),
        std::slice::from_ref(&cand)
    );
    assert!(cand.exists(), "a dry run removes nothing");
    assert_eq!(
        repo.clear_scratch(CANDIDATE_SCRATCH_PREFIX, false).unwrap(),
        std::slice::from_ref(&cand)
    );
    assert!(!cand.exists() && base.exists());
    // `dgov clean` (prune) clears everything left and reports it.
    let report = repo.prune(false).unwrap();
    assert_eq!(report.scratch, [base.display().to_string()]);
    assert!(!scratch.exists());
    assert_eq!(
        git2::Repository::open(&root)
            .unwrap()
            .statuses(None)
            .unwrap()
            .len(),
        0
    );
}
