//! Pure logic of scope_status and of the claim checks of lint_fix/format_file: whether a
//! claim covers a path, git's porcelain status parsed, and the report the model reads.

use crate::text::governor_owned;
use dgov_sdk::scope::{claim_covers, norm, policy_matches};

/// The task's claims as the host passes them in `_dgov.claims`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ClaimSet {
    /// create + edit + delete + touch.
    pub writable: Vec<String>,
    pub read: Vec<String>,
}

/// `[scope]` of the project as the host passes it in `_dgov.path_policy`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PathPolicy {
    /// `ignore_files`: changes that need no claim.
    pub ignore: Vec<String>,
    /// `allow_files`: when non-empty, every change must match one (fnmatch).
    pub allow: Vec<String>,
    /// `deny_files`: no change may match one (fnmatch).
    pub deny: Vec<String>,
}

impl ClaimSet {
    pub fn is_empty(&self) -> bool {
        self.writable
            .iter()
            .chain(&self.read)
            .all(|c| norm(c).is_empty())
    }

    /// Whether one of the writable claims covers `path`.
    pub fn writable_covers(&self, path: &str) -> bool {
        self.writable.iter().any(|c| covers(c, path))
    }

    /// Whether one of the read claims covers `path`.
    pub fn read_covers(&self, path: &str) -> bool {
        self.read.iter().any(|c| covers(c, path))
    }
}

/// Whether claim `claim` covers the root-relative `path` (the scope gate's rule).
pub fn covers(claim: &str, path: &str) -> bool {
    claim_covers(claim, path)
}

/// Whether `[scope].ignore_files` entry `rule` ignores `path` (the scope gate's rule).
pub fn ignored(rule: &str, path: &str) -> bool {
    dgov_sdk::scope::ignored(rule, path)
}

/// Paths of `git status --porcelain -z --untracked-files=all` output (rename and copy
/// sources included), sorted and unique.
pub fn porcelain_paths(out: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut entries = out.split('\0').filter(|e| !e.is_empty());
    while let Some(entry) = entries.next() {
        let (Some(status), Some(path)) = (entry.get(..2), entry.get(3..)) else {
            continue;
        };
        paths.push(path.to_string());
        if status.contains(['R', 'C'])
            && let Some(source) = entries.next()
        {
            paths.push(source.to_string());
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "(none)".into();
    }
    let mut v: Vec<&str> = items.iter().map(|s| norm(s)).collect();
    v.sort();
    v.dedup();
    v.join(", ")
}

/// The scope_status report: claims against the worktree's changed paths, and the first
/// problem settlement's scope gate would block on, in its order: governor-owned files, the
/// project's deny list, its allow list, unclaimed files, files claimed for reading only,
/// then paths written through tools earlier in the attempt (`transient`) that are
/// governor-owned or not claimed for writing — settlement rejects those even when the file
/// was reverted since (read claims do not soften it). Ignored changes need no claim (the
/// path policy still applies to them).
pub fn report(
    claims: &ClaimSet,
    policy: &PathPolicy,
    modified: &[String],
    transient: &[String],
) -> String {
    let pick = |f: &dyn Fn(&str) -> bool| -> Vec<String> {
        modified.iter().filter(|p| f(p)).cloned().collect()
    };
    let is_ignored = |p: &str| policy.ignore.iter().any(|r| ignored(r, p));
    let denied = |p: &str| policy.deny.iter().any(|d| policy_matches(d, p));
    let owned = pick(&|p| governor_owned(p));
    let ignored_modified = pick(&|p| !governor_owned(p) && is_ignored(p));
    let denied_modified = pick(&|p| denied(p));
    let outside_allow = pick(&|p| {
        !denied(p) && !policy.allow.is_empty() && !policy.allow.iter().any(|a| policy_matches(a, p))
    });
    let outside = |p: &str| !governor_owned(p) && !is_ignored(p) && !claims.writable_covers(p);
    let unclaimed = pick(&|p| outside(p) && !claims.read_covers(p));
    let written = |f: &dyn Fn(&str) -> bool| -> Vec<String> {
        let mut v: Vec<String> = transient.iter().filter(|p| f(p)).cloned().collect();
        v.sort();
        v.dedup();
        v
    };
    let transient_owned = written(&|p| governor_owned(p));
    let transient_unclaimed = written(&outside);
    let read_only = pick(&|p| outside(p) && claims.read_covers(p));
    let blocking = if !owned.is_empty() {
        format!(
            "Touched governor-owned files: {}. Revert them; only dgov writes them.",
            list(&owned)
        )
    } else if !denied_modified.is_empty() {
        format!(
            "Touched project-denied files: {}. Revert them.",
            list(&denied_modified)
        )
    } else if !outside_allow.is_empty() {
        format!(
            "Touched files outside the project allow-list: {}. Revert them.",
            list(&outside_allow)
        )
    } else if !unclaimed.is_empty() {
        format!(
            "Touched unclaimed files: {}. Revert them or ask for a wider scope.",
            list(&unclaimed)
        )
    } else if !read_only.is_empty() {
        format!(
            "Edited read-only files: {}. They are claimed for reading only; revert them.",
            list(&read_only)
        )
    } else if !transient_owned.is_empty() {
        format!(
            "Wrote governor-owned files earlier in this attempt: {}. Settlement rejects that even after a revert.",
            list(&transient_owned)
        )
    } else if !transient_unclaimed.is_empty() {
        format!(
            "Wrote unclaimed files earlier in this attempt: {}. Settlement rejects that even after a revert; ask for a wider scope.",
            list(&transient_unclaimed)
        )
    } else {
        String::new()
    };
    let mut out = vec![
        format!(
            "scope_status: {}",
            if blocking.is_empty() { "pass" } else { "fail" }
        ),
        format!("claimed_writable: {}", list(&claims.writable)),
        format!("claimed_readonly: {}", list(&claims.read)),
        format!("modified_files: {}", list(modified)),
    ];
    for (label, paths) in [
        ("ignored_modified", &ignored_modified),
        ("governor_owned_modified", &owned),
        ("project_denied", &denied_modified),
        ("outside_project_allowlist", &outside_allow),
        ("unclaimed_modified", &unclaimed),
        ("readonly_modified", &read_only),
        ("transient_governor_owned", &transient_owned),
        ("transient_unclaimed", &transient_unclaimed),
    ] {
        if !paths.is_empty() {
            out.push(format!("{label}: {}", list(paths)));
        }
    }
    out.push(format!(
        "blocking: {}",
        if blocking.is_empty() {
            "(none)"
        } else {
            &blocking
        }
    ));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(w: &[&str], r: &[&str]) -> ClaimSet {
        ClaimSet {
            writable: w.iter().map(|s| s.to_string()).collect(),
            read: r.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn claims_cover_exact_paths_and_directories_as_settlement_does() {
        assert!(covers("src/a.rs", "src/a.rs"));
        assert!(covers("./src/a.rs", "src/a.rs"));
        assert!(!covers("src/a.rs", "src/a.rs.bak"));
        assert!(covers("src/", "src/x/y.rs"));
        assert!(covers("src", "src/y.rs"));
        assert!(!covers("src", "srcx/y.rs"));
        assert!(!covers("*.md", "docs/guide.md"), "globs are not claims");
        assert!(!covers("", "src/a.rs"));
    }

    #[test]
    fn ignore_rules_match_globs_directory_names_prefixes_and_exact_paths() {
        assert!(ignored("__pycache__", "src/__pycache__/m.pyc"));
        assert!(!ignored("__pycache__", "src/__pycache__"));
        assert!(ignored("*.pyc", "deep/x.pyc"));
        assert!(ignored("build/out/", "build/out/a.o"));
        assert!(ignored("uv.lock", "uv.lock"));
        assert!(!ignored("uv.lock", "sub/uv.lock"));
        assert!(!ignored("", "a"));
    }

    #[test]
    fn porcelain_z_paths_include_rename_sources_and_untracked_files() {
        let out = " M src/a.rs\0R  src/new.rs\0src/old.rs\0?? notes/with space.txt\0";
        assert_eq!(
            porcelain_paths(out),
            [
                "notes/with space.txt",
                "src/a.rs",
                "src/new.rs",
                "src/old.rs"
            ]
        );
        assert!(porcelain_paths("").is_empty());
    }

    #[test]
    fn report_passes_when_every_change_is_claimed() {
        let r = report(
            &claims(&["src/a.rs", "src/b.rs"], &["README.md"]),
            &PathPolicy::default(),
            &["src/a.rs".into()],
            &[],
        );
        assert_eq!(
            r,
            "scope_status: pass\nclaimed_writable: src/a.rs, src/b.rs\nclaimed_readonly: README.md\nmodified_files: src/a.rs\nblocking: (none)"
        );
    }

    #[test]
    fn report_blocks_on_unclaimed_before_read_only_files() {
        let c = claims(&["src/a.rs"], &["README.md"]);
        let r = report(
            &c,
            &PathPolicy::default(),
            &["README.md".into(), "src/x.rs".into()],
            &[],
        );
        assert!(r.starts_with("scope_status: fail\n"), "{r}");
        assert!(r.contains("\nunclaimed_modified: src/x.rs\n"), "{r}");
        assert!(r.contains("\nreadonly_modified: README.md\n"), "{r}");
        assert!(
            r.ends_with(
                "blocking: Touched unclaimed files: src/x.rs. Revert them or ask for a wider scope."
            ),
            "{r}"
        );
        let r = report(&c, &PathPolicy::default(), &["README.md".into()], &[]);
        assert!(r.ends_with("blocking: Edited read-only files: README.md. They are claimed for reading only; revert them."), "{r}");
    }

    #[test]
    fn report_blocks_first_on_governor_owned_files() {
        let r = report(
            &claims(&["src/"], &[]),
            &PathPolicy::default(),
            &[".sentrux/baseline.json".into(), "other.txt".into()],
            &[],
        );
        assert!(
            r.contains("governor_owned_modified: .sentrux/baseline.json"),
            "{r}"
        );
        assert!(r.ends_with("blocking: Touched governor-owned files: .sentrux/baseline.json. Revert them; only dgov writes them."), "{r}");
    }

    #[test]
    fn ignored_changes_are_listed_apart_and_never_block() {
        let c = claims(&["src/a.py"], &[]);
        let policy = PathPolicy {
            ignore: vec!["__pycache__".into(), "uv.lock".into()],
            ..PathPolicy::default()
        };
        let r = report(
            &c,
            &policy,
            &[
                "src/__pycache__/a.pyc".into(),
                "src/a.py".into(),
                "uv.lock".into(),
            ],
            &[],
        );
        assert_eq!(
            r,
            "scope_status: pass\nclaimed_writable: src/a.py\nclaimed_readonly: (none)\nmodified_files: src/__pycache__/a.pyc, src/a.py, uv.lock\nignored_modified: src/__pycache__/a.pyc, uv.lock\nblocking: (none)"
        );
    }

    #[test]
    fn the_deny_list_blocks_before_the_allow_list_and_both_before_claims() {
        let c = claims(&["src/"], &[]);
        let policy = PathPolicy {
            allow: vec!["src/*".into()],
            deny: vec!["*.key".into()],
            ignore: vec!["*.key".into()],
        };
        let r = report(
            &c,
            &policy,
            &["src/secret.key".into(), "other.txt".into()],
            &[],
        );
        assert!(r.contains("\nproject_denied: src/secret.key\n"), "{r}");
        assert!(
            r.contains("\noutside_project_allowlist: other.txt\n"),
            "{r}"
        );
        assert!(r.contains("\nunclaimed_modified: other.txt\n"), "{r}");
        assert!(
            r.ends_with("blocking: Touched project-denied files: src/secret.key. Revert them."),
            "{r}"
        );
        let r = report(&c, &policy, &["other.txt".into()], &[]);
        assert!(
            r.ends_with(
                "blocking: Touched files outside the project allow-list: other.txt. Revert them."
            ),
            "{r}"
        );
        let r = report(&c, &policy, &["src/deep/a.rs".into()], &[]);
        assert!(r.starts_with("scope_status: pass\n"), "{r}");
    }

    #[test]
    fn an_empty_claim_set_is_empty() {
        assert!(claims(&[" "], &[]).is_empty());
        assert!(!claims(&[], &["a"]).is_empty());
    }

    #[test]
    fn files_written_earlier_and_reverted_still_block_like_settlement() {
        let c = claims(&["src/a.rs"], &["README.md"]);
        let policy = PathPolicy {
            ignore: vec!["*.log".into()],
            ..PathPolicy::default()
        };
        // Nothing is modified now, but the attempt wrote an unclaimed file, an ignored one
        // and a read-only one through its tools (and reverted them).
        let transient = [
            "src/a.rs".to_string(),
            "build.log".into(),
            "README.md".into(),
            "notes.txt".into(),
        ];
        let r = report(&c, &policy, &[], &transient);
        assert!(r.starts_with("scope_status: fail\n"), "{r}");
        // Read claims do not soften it; ignored paths and claimed ones are fine.
        assert!(
            r.contains("\ntransient_unclaimed: README.md, notes.txt\n"),
            "{r}"
        );
        assert!(r.ends_with("blocking: Wrote unclaimed files earlier in this attempt: README.md, notes.txt. Settlement rejects that even after a revert; ask for a wider scope."), "{r}");
        let r = report(&c, &policy, &[], &[".dgov/state.db".into()]);
        assert!(
            r.contains("Wrote governor-owned files earlier in this attempt: .dgov/state.db."),
            "{r}"
        );
        let r = report(&c, &policy, &[], &["src/a.rs".into(), "x.log".into()]);
        assert!(r.starts_with("scope_status: pass\n"), "{r}");
    }
}
