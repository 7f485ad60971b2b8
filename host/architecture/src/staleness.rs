//! How far the accepted baseline lags behind `HEAD`: commits and time since it was
//! accepted, and whether that makes it stale (spec §3.3). The clock is an argument, so the
//! judgement is testable; callers pass the current time.

use std::path::Path;

use serde::Serialize;

use crate::analyzer::ArchitectureError;
use crate::baseline::{self, BASELINE_PATH};
use crate::metadata::{self, METADATA_PATH};
use crate::policy::StaleLimits;

/// Where the age was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeSource {
    /// `.sentrux/dgov-baseline.json`: its `accepted_head` and `timestamp`.
    Metadata,
    /// No usable metadata: the last commit touching `.sentrux/baseline.json` and the
    /// baseline's own `timestamp`.
    History,
}

/// The age of the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineAge {
    /// Commits on `HEAD` since the baseline's commit (commits that change only the two
    /// baseline files do not count); `None` when the baseline was never committed.
    pub commits_behind: Option<u64>,
    /// Seconds since the baseline was written; `None` without a timestamp.
    pub age_seconds: Option<f64>,
    /// The commit the baseline belongs to (full sha).
    pub baseline_commit: Option<String>,
    pub source: AgeSource,
    pub stale: bool,
    /// `N commits behind HEAD; D days old; baseline commit <sha12>`.
    pub description: String,
}

/// Stale iff more commits behind than `limits.commits` or older than `limits.days` days.
/// What is unknown does not count.
pub fn is_stale(commits: Option<u64>, age_seconds: Option<f64>, limits: StaleLimits) -> bool {
    commits.is_some_and(|c| c > limits.commits)
        || age_seconds.is_some_and(|a| a > limits.days as f64 * 86_400.0)
}

/// `N commits behind HEAD; D days|H hours|M minutes old; baseline commit <sha12>`, with
/// `unknown` for what is not known.
pub fn describe(commits: Option<u64>, age_seconds: Option<f64>, commit: Option<&str>) -> String {
    let commits = match commits {
        Some(1) => "1 commit behind HEAD".to_string(),
        Some(n) => format!("{n} commits behind HEAD"),
        None => "unknown commits behind HEAD".to_string(),
    };
    let age = match age_seconds {
        Some(a) => {
            let a = a.max(0.0);
            let (n, unit) = if a >= 86_400.0 {
                ((a / 86_400.0).floor(), "day")
            } else if a >= 3600.0 {
                ((a / 3600.0).floor(), "hour")
            } else {
                ((a / 60.0).floor(), "minute")
            };
            format!("{n} {unit}{} old", if n == 1.0 { "" } else { "s" })
        }
        None => "age unknown".to_string(),
    };
    let sha: String = commit.map_or("unknown".into(), |c| c.chars().take(12).collect());
    format!("{commits}; {age}; baseline commit {sha}")
}

fn git_err(repo: &Path, e: git2::Error) -> ArchitectureError {
    ArchitectureError::Git {
        repo: repo.to_path_buf(),
        message: e.message().to_string(),
    }
}

/// Whether the commit only changes the two baseline files relative to its first parent
/// (dgov's own refresh commits).
fn governor_only(repo: &git2::Repository, c: &git2::Commit) -> bool {
    let Ok(parent) = c.parent(0) else {
        return false;
    };
    changes_only_governor_files(repo, &parent, c).unwrap_or(false)
}

/// Whether the trees of `a` and `b` differ in nothing but the two baseline files.
pub(crate) fn changes_only_governor_files(
    repo: &git2::Repository,
    a: &git2::Commit,
    b: &git2::Commit,
) -> Result<bool, git2::Error> {
    let diff = repo.diff_tree_to_tree(Some(&a.tree()?), Some(&b.tree()?), None)?;
    Ok(diff.deltas().all(|d| {
        [d.old_file().path(), d.new_file().path()]
            .into_iter()
            .flatten()
            .all(|p| p == Path::new(BASELINE_PATH) || p == Path::new(METADATA_PATH))
    }))
}

/// Commits reachable from HEAD and not from `since`, leaving out dgov's own
/// baseline-only commits.
fn commits_since(repo: &git2::Repository, since: git2::Oid) -> Result<u64, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.push_head()?;
    walk.hide(since)?;
    let mut n = 0;
    for oid in walk {
        let c = repo.find_commit(oid?)?;
        if !governor_only(repo, &c) {
            n += 1;
        }
    }
    Ok(n)
}

fn blob_at(c: &git2::Commit, path: &str) -> Option<git2::Oid> {
    c.tree()
        .ok()?
        .get_path(Path::new(path))
        .ok()
        .map(|e| e.id())
}

/// The newest commit on HEAD whose `path` differs from every parent's (as `git log -1 --
/// path` finds it).
fn last_commit_touching(
    repo: &git2::Repository,
    path: &str,
) -> Result<Option<git2::Oid>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
    walk.push_head()?;
    for oid in walk {
        let c = repo.find_commit(oid?)?;
        let mine = blob_at(&c, path);
        let touched = if c.parent_count() == 0 {
            mine.is_some()
        } else {
            c.parents().all(|p| blob_at(&p, path) != mine)
        };
        if touched {
            return Ok(Some(c.id()));
        }
    }
    Ok(None)
}

/// The age of the baseline of `root` at time `now` (seconds since the epoch); `Ok(None)`
/// when there is no baseline. An unreadable metadata file falls back to history.
pub fn baseline_age(
    root: &Path,
    now: f64,
    limits: StaleLimits,
) -> Result<Option<BaselineAge>, ArchitectureError> {
    let Some(base) = baseline::read(root)? else {
        return Ok(None);
    };
    let repo = git2::Repository::discover(root).map_err(|e| git_err(root, e))?;
    let head_known = repo.head().ok().and_then(|h| h.target()).is_some();
    let from_meta = metadata::read(root).ok().flatten().and_then(|m| {
        let oid = repo
            .revparse_single(&m.accepted_head)
            .and_then(|o| o.peel_to_commit())
            .ok()?
            .id();
        let behind = commits_since(&repo, oid).ok()?;
        Some((oid, behind, m.timestamp))
    });
    let (commit, behind, stamp, source) = match from_meta {
        Some((oid, behind, ts)) => (Some(oid), Some(behind), ts, AgeSource::Metadata),
        None => {
            let last = if head_known {
                last_commit_touching(&repo, BASELINE_PATH).map_err(|e| git_err(root, e))?
            } else {
                None
            };
            let behind = match last {
                Some(oid) => Some(commits_since(&repo, oid).map_err(|e| git_err(root, e))?),
                None => None,
            };
            (last, behind, base.timestamp, AgeSource::History)
        }
    };
    let age = (stamp > 0.0).then_some(now - stamp);
    let commit = commit.map(|c| c.to_string());
    Ok(Some(BaselineAge {
        commits_behind: behind,
        age_seconds: age,
        stale: is_stale(behind, age, limits),
        description: describe(behind, age, commit.as_deref()),
        baseline_commit: commit,
        source,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_means_over_either_limit() {
        let l = StaleLimits {
            commits: 10,
            days: 14,
        };
        assert!(!is_stale(Some(10), Some(14.0 * 86_400.0), l));
        assert!(is_stale(Some(11), Some(0.0), l));
        assert!(is_stale(Some(0), Some(14.0 * 86_400.0 + 1.0), l));
        assert!(!is_stale(None, None, l));
    }

    #[test]
    fn descriptions_pick_the_largest_whole_unit() {
        assert_eq!(
            describe(Some(3), Some(2.5 * 86_400.0), Some("0123456789abcdef")),
            "3 commits behind HEAD; 2 days old; baseline commit 0123456789ab"
        );
        assert_eq!(
            describe(Some(1), Some(3700.0), Some("abc")),
            "1 commit behind HEAD; 1 hour old; baseline commit abc"
        );
        assert_eq!(
            describe(None, Some(59.0), None),
            "unknown commits behind HEAD; 0 minutes old; baseline commit unknown"
        );
        assert_eq!(
            describe(Some(0), None, None),
            "0 commits behind HEAD; age unknown; baseline commit unknown"
        );
    }
}
