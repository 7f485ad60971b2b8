//! Landing an attempt on the checked-out branch: fast-forward when the branch is still at the
//! attempt's base, otherwise cherry-pick the attempt's commits in order. Never a merge commit,
//! never a rebase of the target. A conflict aborts before anything is written to the target.
//!
//! Crash safety: the new commits are created first (unreferenced objects are harmless), then
//! the branch ref moves with a compare-and-swap against the old HEAD, then the files the merge
//! changed are checked out. [`Repo::recover_merge`] finishes an interrupted merge.

use std::path::PathBuf;

use git2::build::CheckoutBuilder;
use git2::{BranchType, Sort};

use crate::{Ctx, GitError, Oid, Repo};

/// Result of a successful merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    /// HEAD after the merge.
    pub head: Oid,
    pub fast_forward: bool,
    /// Number of commits landed (0 if the attempt was already on HEAD).
    pub commits: usize,
}

impl Repo {
    /// Merge an attempt's branch into the checked-out branch. `boundary` is called at the
    /// effect boundaries inside the merge (for fault injection in crash tests).
    pub fn merge_attempt(
        &self,
        plan: &str,
        task: &str,
        attempt: u32,
        base: Oid,
        boundary: &mut dyn FnMut(&str),
    ) -> Result<MergeOutcome, GitError> {
        let (_, branch, _) = self.attempt_names(plan, task, attempt);
        let what = || format!("merging {branch}");
        let head = self.head()?.ok_or_else(|| GitError::Git {
            what: what(),
            source: git2::Error::from_str("the repository has no HEAD commit"),
        })?;
        let tip = self
            .repo
            .find_branch(&branch, BranchType::Local)
            .ctx(what)?
            .get()
            .target()
            .ok_or_else(|| GitError::Git {
                what: what(),
                source: git2::Error::from_str("branch has no target"),
            })?;
        if self.contains(head, tip)? {
            return Ok(MergeOutcome {
                head,
                fast_forward: true,
                commits: 0,
            });
        }
        let (new, fast_forward, commits) = if self.contains(tip, head)? {
            (tip, true, self.count_commits(tip, head)?)
        } else {
            let current = self.replay_commits(head, base, tip, &branch)?;
            let landed = self.count_commits(current, head)?;
            if landed == 0 {
                return Ok(MergeOutcome {
                    head,
                    fast_forward: false,
                    commits: 0,
                });
            }
            (current, false, landed)
        };
        boundary("merge_commit_created");
        self.move_head(head, new, &format!("dgov: land {task}"))?;
        boundary("merge_ref_updated");
        self.sync_workdir(head, new)?;
        Ok(MergeOutcome {
            head: new,
            fast_forward,
            commits,
        })
    }

    /// Finish or rule out a merge a crash interrupted. `pre_head` is HEAD before the merge
    /// and `tip` the attempt's branch tip. Returns the new HEAD if the merge landed (and
    /// repairs the working tree the crash may have left half checked out), `None` if it did
    /// not (then nothing was written to the working tree).
    pub fn recover_merge(
        &self,
        pre_head: Oid,
        tip: Option<Oid>,
        message: &str,
    ) -> Result<Option<Oid>, GitError> {
        let Some(head) = self.head()? else {
            return Ok(None);
        };
        if head == pre_head {
            return Ok(None);
        }
        let mut landed = tip.is_some_and(|t| self.contains(head, t).unwrap_or(false));
        if !landed {
            // A cherry-picked landing: a commit with the task's message between pre_head and HEAD.
            let mut oid = head;
            for _ in 0..1000 {
                if oid == pre_head {
                    break;
                }
                let c = self
                    .repo
                    .find_commit(oid)
                    .ctx(|| "walking history".into())?;
                if c.message().unwrap_or("").trim_end() == message.trim_end() {
                    landed = true;
                    break;
                }
                match c.parent_id(0) {
                    Ok(p) => oid = p,
                    Err(_) => break,
                }
            }
        }
        if !landed {
            return Ok(None);
        }
        self.sync_workdir(pre_head, head)?;
        Ok(Some(head))
    }

    fn move_head(&self, old: Oid, new: Oid, log: &str) -> Result<(), GitError> {
        let what = || "moving the target branch".to_string();
        let head_ref = self.repo.head().ctx(what)?;
        if head_ref.is_branch() {
            let name = head_ref.name().unwrap_or("HEAD").to_string();
            self.repo
                .reference_matching(&name, new, true, old, log)
                .ctx(what)?;
        } else {
            self.repo.set_head_detached(new).ctx(what)?;
        }
        Ok(())
    }

    /// Make the working tree and index match `new` for every path that differs from `old`.
    fn sync_workdir(&self, old: Oid, new: Oid) -> Result<(), GitError> {
        let what = || "updating the working tree after the merge".to_string();
        let old_tree = self
            .repo
            .find_commit(old)
            .and_then(|c| c.tree())
            .ctx(what)?;
        let new_commit = self.repo.find_commit(new).ctx(what)?;
        let new_tree = new_commit.tree().ctx(what)?;
        let diff = self
            .repo
            .diff_tree_to_tree(Some(&old_tree), Some(&new_tree), None)
            .ctx(what)?;
        let mut paths: Vec<PathBuf> = Vec::new();
        for d in diff.deltas() {
            for p in [d.old_file().path(), d.new_file().path()]
                .into_iter()
                .flatten()
            {
                if !paths.iter().any(|q| q == p) {
                    paths.push(p.to_path_buf());
                }
            }
        }
        if paths.is_empty() {
            return Ok(());
        }
        let mut cb = CheckoutBuilder::new();
        cb.force()
            .disable_pathspec_match(true)
            .remove_untracked(false);
        for p in &paths {
            cb.path(p.as_path());
        }
        self.repo
            .checkout_tree(new_tree.as_object(), Some(&mut cb))
            .ctx(what)?;
        Ok(())
    }

    fn commits_between(&self, from: Oid, to: Oid) -> Result<Vec<Oid>, GitError> {
        let what = || "listing the attempt's commits".to_string();
        let mut walk = self.repo.revwalk().ctx(what)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .ctx(what)?;
        walk.push(to).ctx(what)?;
        walk.hide(from).ctx(what)?;
        walk.collect::<Result<Vec<_>, _>>().ctx(what)
    }

    fn count_commits(&self, to: Oid, from: Oid) -> Result<usize, GitError> {
        Ok(self.commits_between(from, to)?.len())
    }
}
