//! Integration candidates: a task's commits replayed onto the current target HEAD, without
//! touching any branch, and materialised in a temporary directory so settlement can run the
//! configured gates on "what the target would look like after this merge".
//!
//! The replay creates commit objects only (unreferenced until a merge lands them), so a
//! crashed or rejected candidate leaves nothing to clean up in the repository; the checkout
//! lives in a caller-owned directory.

use std::path::Path;

use git2::build::CheckoutBuilder;
use git2::{Signature, Sort};

use crate::{Ctx, GitError, Oid, Repo};

impl Repo {
    /// Replay the commits `base..tip` onto `target` (cherry-pick semantics, dgov identity)
    /// and return the resulting commit. If `target` already contains `tip`, that is `target`;
    /// if `tip` descends from `target`, it is `tip` itself (what a fast-forward would land).
    /// A conflict is [`GitError::Conflict`] naming the conflicted files.
    pub fn replay_onto(&self, target: Oid, base: Oid, tip: Oid) -> Result<Oid, GitError> {
        if self.contains(target, tip)? {
            return Ok(target);
        }
        if self.contains(tip, target)? {
            return Ok(tip);
        }
        self.replay_commits(target, base, tip, &tip.to_string())
    }

    /// The replay itself, shared by candidates and merges so that what settlement validates
    /// is exactly what lands: the task's commits since `base` (or since its merge base with
    /// `onto` when `tip` no longer contains `base`), cherry-picked in order onto `onto` with
    /// dgov's committer identity. A commit whose changes are already on the target is skipped
    /// (never applied twice). Returns the last commit, `onto` itself when nothing applied; a
    /// conflict is [`GitError::Conflict`] naming `label` and the conflicted files.
    pub(crate) fn replay_commits(
        &self,
        onto: Oid,
        base: Oid,
        tip: Oid,
        label: &str,
    ) -> Result<Oid, GitError> {
        let what = || format!("replaying {label} onto {onto}");
        let from = if self.contains(tip, base)? {
            base
        } else {
            self.repo.merge_base(onto, tip).ctx(what)?
        };
        let mut walk = self.repo.revwalk().ctx(what)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .ctx(what)?;
        walk.push(tip).ctx(what)?;
        walk.hide(from).ctx(what)?;
        let list = walk.collect::<Result<Vec<_>, _>>().ctx(what)?;
        let committer = Signature::now("dgov-worker", "agent@dgov.local").ctx(what)?;
        let mut current = self.repo.find_commit(onto).ctx(what)?;
        for oid in list {
            let c = self.repo.find_commit(oid).ctx(what)?;
            let mut index = self
                .repo
                .cherrypick_commit(&c, &current, 0, None)
                .ctx(what)?;
            if index.has_conflicts() {
                let mut files: Vec<String> = index
                    .conflicts()
                    .ctx(what)?
                    .flatten()
                    .filter_map(|c| c.our.or(c.their).or(c.ancestor))
                    .map(|e| String::from_utf8_lossy(&e.path).into_owned())
                    .collect();
                files.sort();
                files.dedup();
                return Err(GitError::Conflict {
                    branch: label.to_string(),
                    files,
                });
            }
            let tree_id = index.write_tree_to(&self.repo).ctx(what)?;
            if tree_id == current.tree_id() {
                // Its changes are already on the target (landed before).
                continue;
            }
            let tree = self.repo.find_tree(tree_id).ctx(what)?;
            let msg = c.message().unwrap_or("");
            let new = self
                .repo
                .commit(None, &c.author(), &committer, msg, &tree, &[&current])
                .ctx(what)?;
            current = self.repo.find_commit(new).ctx(what)?;
        }
        Ok(current.id())
    }

    /// Write the full tree of `commit` into `dir` (created if needed), without touching the
    /// repository's index, HEAD or working tree.
    pub fn checkout_to(&self, commit: Oid, dir: &Path) -> Result<(), GitError> {
        let what = || format!("checking out {commit} into {}", dir.display());
        std::fs::create_dir_all(dir).ctx(what)?;
        let c = self.repo.find_commit(commit).ctx(what)?;
        let tree = c.tree().ctx(what)?;
        let mut cb = CheckoutBuilder::new();
        cb.target_dir(dir)
            .force()
            .recreate_missing(true)
            .update_index(false);
        self.repo
            .checkout_tree(tree.as_object(), Some(&mut cb))
            .ctx(what)?;
        Ok(())
    }

    /// The underlying libgit2 repository, for read-only queries (diffs, blobs) by other
    /// dgov crates. Mutations belong in this crate.
    pub fn git2(&self) -> &git2::Repository {
        &self.repo
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    #[test]
    fn replays_a_task_onto_a_moved_target_and_reports_conflicts() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        git(d, &["init", "-q", "-b", "main"]);
        std::fs::write(d.join("a.txt"), "1\n").unwrap();
        std::fs::write(d.join("b.txt"), "1\n").unwrap();
        git(d, &["add", "."]);
        git(d, &["commit", "-qm", "base"]);
        let base = Oid::from_str(&git(d, &["rev-parse", "HEAD"])).unwrap();
        git(d, &["checkout", "-qb", "task"]);
        std::fs::write(d.join("a.txt"), "task\n").unwrap();
        git(d, &["commit", "-qam", "task"]);
        let tip = Oid::from_str(&git(d, &["rev-parse", "HEAD"])).unwrap();
        git(d, &["checkout", "-q", "main"]);
        std::fs::write(d.join("b.txt"), "target\n").unwrap();
        git(d, &["commit", "-qam", "target"]);
        let target = Oid::from_str(&git(d, &["rev-parse", "HEAD"])).unwrap();

        let repo = Repo::open(d).unwrap();
        let cand = repo.replay_onto(target, base, tip).unwrap();
        assert_eq!(repo.file_at(cand, "a.txt").unwrap().unwrap(), b"task\n");
        assert_eq!(repo.file_at(cand, "b.txt").unwrap().unwrap(), b"target\n");
        // Nothing moved: HEAD is still the target.
        assert_eq!(repo.head().unwrap(), Some(target));
        let out = tempfile::tempdir().unwrap();
        repo.checkout_to(cand, out.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.path().join("a.txt")).unwrap(),
            "task\n"
        );
        assert_eq!(git(d, &["status", "--porcelain"]), "");

        std::fs::write(d.join("a.txt"), "other\n").unwrap();
        git(d, &["commit", "-qam", "conflicting"]);
        let target2 = Oid::from_str(&git(d, &["rev-parse", "HEAD"])).unwrap();
        match repo.replay_onto(target2, base, tip) {
            Err(GitError::Conflict { files, .. }) => assert_eq!(files, ["a.txt"]),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
}
