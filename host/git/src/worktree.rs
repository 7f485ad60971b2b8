//! Attempt worktrees: creation at a base commit, committing the worker's changes, removal, and
//! pruning of leftovers. Names are deterministic functions of (plan, task, attempt), so cleanup
//! after a crash needs nothing but those three values.

use std::path::{Path, PathBuf};

use git2::{BranchType, IndexAddOption, Repository, Signature, WorktreePruneOptions};

use crate::repo::is_generated_path;
use crate::{Ctx, GitError, Oid, Repo};

/// A created attempt worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptWorktree {
    pub path: PathBuf,
    pub branch: String,
    /// libgit2's name for the worktree (its directory under `.git/worktrees/`).
    pub name: String,
    /// The commit the attempt starts from.
    pub base: Oid,
}

/// What `prune` removed (or would remove with `dry_run`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub worktrees: Vec<String>,
    /// Leftover throwaway checkouts removed from [`Repo::scratch_dir`].
    pub scratch: Vec<String>,
    pub deleted_branches: Vec<String>,
    /// `dgov/*` branches with commits not on HEAD; kept so no work is lost.
    pub kept_branches: Vec<String>,
}

/// Name prefix of integration-candidate checkouts in [`Repo::scratch_dir`]: they exist only
/// while a run settles an attempt, so a run starting under the run lock removes leftovers.
pub const CANDIDATE_SCRATCH_PREFIX: &str = "dgov-candidate-";

/// Make `text` safe as a path segment and a ref component.
fn component(text: &str) -> String {
    let mut s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while s.contains("..") {
        s = s.replace("..", "_.");
    }
    if s.is_empty() || s.starts_with('.') || s.starts_with('-') {
        s.insert(0, '_');
    }
    if s.ends_with(".lock") || s.ends_with('.') {
        s.push('_');
    }
    s
}

fn task_components(task: &str) -> Vec<String> {
    task.split('/').map(component).collect()
}

const WORKER_NAME: &str = "dgov-worker";
const WORKER_EMAIL: &str = "agent@dgov.local";

impl Repo {
    /// `<parent of root>/.dgov-worktrees-<root dir name>`: worktrees live beside the project.
    pub fn worktrees_dir(&self) -> PathBuf {
        self.beside(".dgov-worktrees")
    }

    /// `<parent of root>/<kind>-<root dir name>`: dgov's directories that must not be inside
    /// the repository (they would show up in its status) yet belong to it.
    fn beside(&self, kind: &str) -> PathBuf {
        let name = self
            .root
            .file_name()
            .map_or_else(|| "repo".into(), |n| n.to_string_lossy().into_owned());
        self.root
            .parent()
            .unwrap_or(&self.root)
            .join(format!("{kind}-{name}"))
    }

    /// `<parent of root>/.dgov-scratch-<root dir name>`: throwaway checkouts (integration
    /// candidates, baseline trees for type checks) are made here rather than in the system
    /// temporary directory, beside the project and outside it, so one a killed process
    /// leaves behind is found again: the next run removes leftover candidates and `dgov
    /// clean` removes everything in it.
    pub fn scratch_dir(&self) -> PathBuf {
        self.beside(".dgov-scratch")
    }

    /// Remove the entries of [`Repo::scratch_dir`] whose name starts with `prefix` (every
    /// entry when it is empty), or with `dry_run` only list them. Only for a caller that
    /// knows no live process uses them (the run lock is held).
    pub fn clear_scratch(&self, prefix: &str, dry_run: bool) -> Result<Vec<PathBuf>, GitError> {
        let dir = self.scratch_dir();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut removed = Vec::new();
        for e in entries.flatten() {
            if !e.file_name().to_string_lossy().starts_with(prefix) {
                continue;
            }
            let path = e.path();
            if !dry_run {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                }
                .ctx(|| format!("removing {}", path.display()))?;
            }
            removed.push(path);
        }
        if !dry_run {
            // Gone when empty; a concurrent checkout recreates it.
            let _ = std::fs::remove_dir(&dir);
        }
        removed.sort();
        Ok(removed)
    }

    /// Path, branch and worktree name of one attempt.
    pub fn attempt_names(&self, plan: &str, task: &str, attempt: u32) -> (PathBuf, String, String) {
        let plan = component(plan);
        let parts = task_components(task);
        let leaf = format!("{}-a{attempt}", parts.join("/"));
        let path = self.worktrees_dir().join(&plan).join(&leaf);
        let branch = format!("dgov/{plan}/{leaf}");
        let name = format!("dgov+{plan}+{}-a{attempt}", parts.join("+"));
        (path, branch, name)
    }

    /// Remove lock files a killed dgov process left inside dgov's own namespaces: ref locks
    /// under `refs/heads/dgov/` and the index/HEAD locks of `dgov+…` worktrees. git and
    /// libgit2 take these locks for the length of one write; a process killed in between
    /// (kill -9, or a crash in another thread) leaves them behind and every later write to
    /// that branch fails. Only call this while holding the run lock: then no live dgov
    /// process can own them. The target branch's own locks are never touched.
    pub fn clear_stale_dgov_locks(&self) -> Result<Vec<PathBuf>, GitError> {
        let common = self.repo.commondir().to_path_buf();
        let mut removed = Vec::new();
        let mut stack = vec![common.join("refs").join("heads").join("dgov")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                match entry.file_type() {
                    Ok(ft) if ft.is_dir() => stack.push(path),
                    Ok(ft) if ft.is_file() && path.extension().is_some_and(|e| e == "lock") => {
                        std::fs::remove_file(&path)
                            .ctx(|| format!("removing stale lock {}", path.display()))?;
                        removed.push(path);
                    }
                    _ => {}
                }
            }
        }
        if let Ok(entries) = std::fs::read_dir(common.join("worktrees")) {
            for entry in entries.flatten() {
                if !entry.file_name().to_string_lossy().starts_with("dgov+") {
                    continue;
                }
                for lock in ["index.lock", "HEAD.lock"] {
                    let path = entry.path().join(lock);
                    if path.is_file() {
                        std::fs::remove_file(&path)
                            .ctx(|| format!("removing stale lock {}", path.display()))?;
                        removed.push(path);
                    }
                }
            }
        }
        Ok(removed)
    }

    /// Create the worktree and branch of an attempt at `base`. Anything left at those names
    /// by an earlier crash is removed first, so this is idempotent.
    pub fn create_attempt(
        &self,
        plan: &str,
        task: &str,
        attempt: u32,
        base: Oid,
    ) -> Result<AttemptWorktree, GitError> {
        self.remove_attempt(plan, task, attempt)?;
        let (path, branch, name) = self.attempt_names(plan, task, attempt);
        let what = || {
            format!(
                "creating worktree {} for {task} attempt {attempt}",
                path.display()
            )
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).ctx(what)?;
        }
        self.repo.find_commit(base).ctx(what)?;
        // A plain reference, not `git_branch_create`: that one scans every live worktree to
        // see whether the branch is checked out, which made each dispatch O(live worktrees).
        self.repo
            .reference(&format!("refs/heads/{branch}"), base, true, "dgov: attempt")
            .ctx(what)?;
        self.add_worktree(&name, &path, &branch).ctx(what)?;
        Ok(AttemptWorktree {
            path,
            branch,
            name,
            base,
        })
    }

    /// `git worktree add` for a branch we just created, written out by hand for the same
    /// reason: libgit2's version checks every other worktree first. The files are the ones
    /// git itself writes, so `git worktree list` and `git worktree prune` understand them.
    fn add_worktree(&self, name: &str, path: &Path, branch: &str) -> std::io::Result<()> {
        let common = self.repo.commondir().to_path_buf();
        let admin = common.join("worktrees").join(name);
        std::fs::create_dir_all(&admin)?;
        std::fs::create_dir(path)?;
        let admin_abs = admin.canonicalize()?;
        let path_abs = path.canonicalize()?;
        std::fs::write(
            path.join(".git"),
            format!("gitdir: {}\n", admin_abs.display()),
        )?;
        std::fs::write(admin.join("commondir"), "../..\n")?;
        std::fs::write(
            admin.join("gitdir"),
            format!("{}\n", path_abs.join(".git").display()),
        )?;
        std::fs::write(admin.join("HEAD"), format!("ref: refs/heads/{branch}\n"))?;
        let wt = Repository::open(path).map_err(std::io::Error::other)?;
        let mut cb = git2::build::CheckoutBuilder::new();
        cb.force();
        wt.checkout_head(Some(&mut cb))
            .map_err(std::io::Error::other)?;
        Ok(())
    }

    /// Stage every change in the attempt's worktree (generated files excepted) and commit it
    /// with `message`. `None` when the worker changed nothing.
    pub fn commit_attempt(&self, worktree: &Path, message: &str) -> Result<Option<Oid>, GitError> {
        commit_worktree(worktree, message)
    }

    /// The tip of an attempt's branch, if the branch exists.
    pub fn attempt_tip(&self, plan: &str, task: &str, attempt: u32) -> Option<Oid> {
        let (_, branch, _) = self.attempt_names(plan, task, attempt);
        self.repo
            .find_branch(&branch, BranchType::Local)
            .ok()?
            .get()
            .target()
    }

    /// Remove an attempt's worktree directory, its git metadata and its branch. Idempotent;
    /// returns whether anything existed.
    pub fn remove_attempt(&self, plan: &str, task: &str, attempt: u32) -> Result<bool, GitError> {
        let (path, branch, name) = self.attempt_names(plan, task, attempt);
        let mut removed = false;
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .ctx(|| format!("removing worktree {}", path.display()))?;
            removed = true;
        }
        // The worktree's admin directory, as `git worktree prune` would remove it.
        let admin = self.repo.commondir().join("worktrees").join(&name);
        if admin.exists() {
            std::fs::remove_dir_all(&admin)
                .ctx(|| format!("removing worktree metadata {}", admin.display()))?;
            removed = true;
        }
        removed |= self.delete_branch(&branch)?;
        self.remove_empty_parents(&path);
        Ok(removed)
    }

    /// Delete a `dgov/*` branch (and its reflog) without `git_branch_delete`, which scans every
    /// worktree and rewrites `.git/config` each time.
    fn delete_branch(&self, branch: &str) -> Result<bool, GitError> {
        match self.repo.find_reference(&format!("refs/heads/{branch}")) {
            Ok(mut r) => {
                r.delete().ctx(|| format!("deleting branch {branch}"))?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    fn remove_empty_parents(&self, path: &Path) {
        let top = self.worktrees_dir();
        let mut dir = path.parent();
        while let Some(d) = dir {
            if !d.starts_with(&top) || std::fs::remove_dir(d).is_err() {
                break;
            }
            if d == top {
                break;
            }
            dir = d.parent();
        }
    }

    /// Remove every worktree and branch of `plan` (no run of it may be live). Returns how many
    /// worktrees or branches were removed.
    pub fn sweep_plan(&self, plan: &str) -> Result<usize, GitError> {
        let plan_c = component(plan);
        let prefix = format!("dgov+{plan_c}+");
        let mut n = 0;
        for name in self.dgov_worktree_names()? {
            if name.starts_with(&prefix) {
                n += self.remove_worktree_by_name(&name)? as usize;
            }
        }
        let branch_prefix = format!("dgov/{plan_c}/");
        for branch in self.dgov_branches()? {
            if branch.starts_with(&branch_prefix) && self.delete_branch(&branch)? {
                n += 1;
            }
        }
        let dir = self.worktrees_dir().join(&plan_c);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).ctx(|| format!("removing {}", dir.display()))?;
            let _ = std::fs::remove_dir(self.worktrees_dir());
        }
        Ok(n)
    }

    fn remove_worktree_by_name(&self, name: &str) -> Result<bool, GitError> {
        let Ok(wt) = self.repo.find_worktree(name) else {
            return Ok(false);
        };
        let path = wt.path().to_path_buf();
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .ctx(|| format!("removing worktree {}", path.display()))?;
        }
        let mut opts = WorktreePruneOptions::new();
        opts.valid(true).locked(true).working_tree(true);
        wt.prune(Some(&mut opts))
            .ctx(|| format!("pruning worktree metadata {name}"))?;
        self.remove_empty_parents(&path);
        Ok(true)
    }

    /// Names of dgov's registered worktrees.
    pub fn dgov_worktree_names(&self) -> Result<Vec<String>, GitError> {
        let names = self.repo.worktrees().ctx(|| "listing worktrees".into())?;
        Ok(names
            .iter()
            .filter_map(|n| n.ok().flatten())
            .filter(|n| n.starts_with("dgov+"))
            .map(str::to_string)
            .collect())
    }

    /// Local `dgov/*` branches.
    pub fn dgov_branches(&self) -> Result<Vec<String>, GitError> {
        let mut out = Vec::new();
        for b in self
            .repo
            .branches(Some(BranchType::Local))
            .ctx(|| "listing branches".into())?
        {
            let (b, _) = b.ctx(|| "listing branches".into())?;
            if let Ok(Some(name)) = b.name()
                && name.starts_with("dgov/")
            {
                out.push(name.to_string());
            }
        }
        out.sort();
        Ok(out)
    }

    /// `dgov clean`: drop metadata of worktrees whose directory is gone, delete directories
    /// under the worktrees dir that git does not track, and delete `dgov/*` branches with no
    /// worktree whose commits are all on HEAD (unmerged ones are kept and listed).
    pub fn prune(&self, dry_run: bool) -> Result<PruneReport, GitError> {
        let mut report = PruneReport::default();
        let mut live_paths = Vec::new();
        let mut attached = Vec::new();
        for name in self.dgov_worktree_names()? {
            let Ok(wt) = self.repo.find_worktree(&name) else {
                continue;
            };
            if wt.validate().is_err() {
                if !dry_run {
                    let mut opts = WorktreePruneOptions::new();
                    opts.working_tree(true);
                    wt.prune(Some(&mut opts))
                        .ctx(|| format!("pruning worktree {name}"))?;
                }
                report.worktrees.push(name);
                continue;
            }
            live_paths.push(
                wt.path()
                    .canonicalize()
                    .unwrap_or_else(|_| wt.path().to_path_buf()),
            );
            if let Ok(r) = Repository::open(wt.path())
                && let Ok(h) = r.head()
                && let Ok(s) = h.shorthand()
            {
                attached.push(s.to_string());
            }
        }
        let top = self.worktrees_dir();
        if top.exists() {
            let mut orphans = Vec::new();
            find_orphans(&top, &live_paths, &mut orphans);
            for dir in orphans {
                if !dry_run {
                    std::fs::remove_dir_all(&dir).ctx(|| format!("removing {}", dir.display()))?;
                    self.remove_empty_parents(&dir);
                }
                report.worktrees.push(dir.display().to_string());
            }
        }
        report.scratch = self
            .clear_scratch("", dry_run)?
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let head = self.head()?;
        for branch in self.dgov_branches()? {
            if attached.contains(&branch) {
                continue;
            }
            let Ok(b) = self.repo.find_branch(&branch, BranchType::Local) else {
                continue;
            };
            let merged = match (head, b.get().target()) {
                (Some(h), Some(t)) => self.contains(h, t)?,
                _ => false,
            };
            if merged {
                if !dry_run {
                    self.delete_branch(&branch)?;
                }
                report.deleted_branches.push(branch);
            } else {
                report.kept_branches.push(branch);
            }
        }
        Ok(report)
    }
}

/// Directories under `dir` that hold no live worktree: a directory with a `.git` entry that is
/// not live, or an empty one.
fn find_orphans(dir: &Path, live: &[PathBuf], out: &mut Vec<PathBuf>) {
    let canon = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if live.contains(&canon) {
        return;
    }
    if dir.join(".git").exists() {
        out.push(dir.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut any = false;
    for e in entries.flatten() {
        any = true;
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            find_orphans(&e.path(), live, out);
        }
    }
    if !any {
        out.push(dir.to_path_buf());
    }
}

/// [`Repo::commit_attempt`] without a `Repo`: it touches only the attempt's worktree (and the
/// shared object store, whose writes are atomic), so attempts can commit in parallel.
pub fn commit_worktree(worktree: &Path, message: &str) -> Result<Option<Oid>, GitError> {
    let what = || format!("committing the changes in {}", worktree.display());
    let repo = Repository::open(worktree).ctx(what)?;
    let mut index = repo.index().ctx(what)?;
    let mut skip = |p: &Path, _: &[u8]| {
        if is_generated_path(&p.to_string_lossy()) {
            1
        } else {
            0
        }
    };
    index
        .add_all(["*"], IndexAddOption::DEFAULT, Some(&mut skip))
        .ctx(what)?;
    index.update_all(["*"], None).ctx(what)?;
    index.write().ctx(what)?;
    let tree_id = index.write_tree().ctx(what)?;
    let head = repo.head().and_then(|h| h.peel_to_commit()).ctx(what)?;
    if head.tree_id() == tree_id {
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id).ctx(what)?;
    let sig = Signature::now(WORKER_NAME, WORKER_EMAIL).ctx(what)?;
    let oid = repo
        .commit(Some("HEAD"), &sig, &sig, message, &tree, &[&head])
        .ctx(what)?;
    Ok(Some(oid))
}

/// Put the work of commit `from` into the attempt worktree at `worktree` as uncommitted
/// changes: the files become `from`'s tree while HEAD and the index stay at the worktree's
/// base. This is how an in-place retry continues a rejected attempt's work (the original ran
/// `git reset HEAD~1` in the same worktree; a fresh worktree per attempt keeps every
/// attempt's branch and log separate, and crash recovery simple).
pub fn carry_work(worktree: &Path, from: Oid) -> Result<(), GitError> {
    let what = || format!("carrying the work of {from} into {}", worktree.display());
    let repo = Repository::open(worktree).ctx(what)?;
    let head = repo.head().and_then(|h| h.peel_to_commit()).ctx(what)?;
    let target = repo.find_commit(from).ctx(what)?;
    let mut cb = git2::build::CheckoutBuilder::new();
    cb.force();
    // Checking out a tree moves the index with it; the mixed reset below puts the index
    // (and HEAD, unchanged) back at the base, leaving the work uncommitted in the files.
    repo.checkout_tree(target.as_object(), Some(&mut cb))
        .ctx(what)?;
    repo.reset(head.as_object(), git2::ResetType::Mixed, None)
        .ctx(what)?;
    Ok(())
}

/// Put the worktree back to its HEAD: tracked changes reverted, untracked files removed
/// (ignored ones stay, as commits never take them). Returns the paths that were dirty.
pub fn discard_changes(worktree: &Path) -> Result<Vec<String>, GitError> {
    let what = || {
        format!(
            "discarding a read-only attempt's changes in {}",
            worktree.display()
        )
    };
    let repo = Repository::open(worktree).ctx(what)?;
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let mut dirty = Vec::new();
    let mut untracked = Vec::new();
    for e in repo.statuses(Some(&mut opts)).ctx(what)?.iter() {
        let Ok(path) = e.path() else { continue };
        if e.status() == git2::Status::WT_NEW {
            untracked.push(path.to_string());
        }
        dirty.push(path.to_string());
    }
    if dirty.is_empty() {
        return Ok(dirty);
    }
    let head = repo.head().and_then(|h| h.peel_to_commit()).ctx(what)?;
    let mut cb = git2::build::CheckoutBuilder::new();
    cb.force();
    repo.reset(head.as_object(), git2::ResetType::Hard, Some(&mut cb))
        .ctx(what)?;
    // A hard reset leaves untracked files; remove them and the directories they emptied.
    for rel in &untracked {
        let path = worktree.join(rel);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).ctx(|| {
                    format!(
                        "discarding a read-only attempt's changes: removing {}",
                        path.display()
                    )
                });
            }
            _ => {}
        }
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != worktree) {
            if std::fs::remove_dir(d).is_err() {
                break; // not empty (or already gone): its parents are not empty either
            }
            dir = d.parent();
        }
    }
    Ok(dirty)
}

/// Put `paths` of the worktree `repo` back to their content at its HEAD, removing those
/// absent from HEAD (settlement's autofix undoing what a fixer must not change). An empty
/// list does nothing (libgit2 would take it as "everything").
pub fn restore_paths(repo: &Repository, paths: &[String]) -> Result<(), GitError> {
    if paths.is_empty() {
        return Ok(());
    }
    let mut cb = git2::build::CheckoutBuilder::new();
    cb.force()
        .remove_untracked(true)
        .disable_pathspec_match(true);
    for p in paths {
        cb.path(p.as_str());
    }
    repo.checkout_head(Some(&mut cb))
        .ctx(|| format!("restoring {}", paths.join(", ")))
}
