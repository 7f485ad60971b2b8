//! dgov's scope rules in one place. The scope gate (settlement), the worker's `scope_status`,
//! `lint_fix` and `format_file` tools and the host's `dgov scope status` must agree on what a
//! claim covers, what an ignore rule ignores and which paths only the governor writes: a
//! worker told "in scope" by its tool and then rejected by the gate is the worst kind of
//! retry. So the rules live here, in a crate with no dependency beyond serde, compiled into
//! both WASM plugins and the host.
//!
//! Paths are root-relative with `/` separators. Claims and rules are normalised the same way
//! everywhere: surrounding blanks and a leading `./` are dropped.

use serde::{Deserialize, Serialize};

/// Files only the governor writes: a change to one is always blocked.
pub const RESERVED_FILES: [&str; 3] = [
    ".sentrux/baseline.json",
    ".sentrux/dgov-baseline.json",
    ".dgov/state.db",
];

/// Directories only the governor (or git) writes.
pub const RESERVED_DIRS: [&str; 2] = [".coverage-baseline/", ".git/"];

/// Whether `path` is governor-owned ([`RESERVED_FILES`], or inside [`RESERVED_DIRS`]).
pub fn is_reserved(path: &str) -> bool {
    let path = norm(path);
    RESERVED_FILES.contains(&path)
        || RESERVED_DIRS
            .iter()
            .any(|d| path.starts_with(d) || path == d.trim_end_matches('/'))
}

/// A claim, rule or path as written, normalised: blanks trimmed, a leading `./` dropped.
pub fn norm(p: &str) -> &str {
    let p = p.trim();
    p.strip_prefix("./").unwrap_or(p)
}

/// fnmatch: `*` any run of characters (including `/`), `?` one character, `[...]` a class
/// (`[!...]` negated). Anything else matches itself.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t)
}

fn matches(p: &[char], t: &[char]) -> bool {
    // Iterative with backtracking on the last `*`, so long paths cannot blow the stack.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((ok, next)) = class(p, pi, t[ti])
                        && ok
                    {
                        pi = next;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Match `c` against the class starting at `p[start] == '['`; returns (matched, index after
/// the class), or `None` for an unterminated class (then `[` is literal... and fails here).
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = i < p.len() && (p[i] == '!' || p[i] == '^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    if i >= p.len() {
        return None;
    }
    Some((matched != negate, i + 1))
}

/// Whether `[scope].allow_files` / `deny_files` entry `pattern` (fnmatch, `*` crossing `/`)
/// matches `path`; both are normalised first.
pub fn policy_matches(pattern: &str, path: &str) -> bool {
    let pattern = norm(pattern);
    !pattern.is_empty() && fnmatch(pattern, norm(path))
}

/// Whether `claim` (a file, or a directory and everything under it) covers `path`. An empty
/// claim covers nothing; globs are not claims.
pub fn claim_covers(claim: &str, path: &str) -> bool {
    let claim = norm(claim).trim_end_matches('/');
    let path = norm(path);
    !claim.is_empty()
        && (path == claim
            || path
                .strip_prefix(claim)
                .is_some_and(|rest| rest.starts_with('/')))
}

/// Whether `[scope].ignore_files` entry `rule` ignores `path`: a glob (`*`, `?`, `[`)
/// matches the full path or the base name; an entry ending in `/` or whose last segment has
/// no `.` is a directory rule — a path prefix if it contains `/`, else a directory name
/// matching any segment; anything else is an exact path. An empty rule ignores nothing.
pub fn ignored(rule: &str, path: &str) -> bool {
    let rule = norm(rule);
    let path = norm(path);
    if rule.is_empty() {
        return false;
    }
    if rule.contains(['*', '?', '[']) {
        let base = path.rsplit('/').next().unwrap_or(path);
        return fnmatch(rule, path) || fnmatch(rule, base);
    }
    let trimmed = rule.trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if rule.ends_with('/') || !last.contains('.') {
        if trimmed.contains('/') {
            return path
                .strip_prefix(trimmed)
                .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'));
        }
        let mut segments: Vec<&str> = path.split('/').collect();
        segments.pop(); // the file name itself is not a directory
        return segments.contains(&trimmed);
    }
    path == rule
}

/// What the scope checks saw and decided, path by path (lists sorted, no duplicates): the
/// scope gate returns it in its report's `metrics-json`, `dgov scope status` prints it. The
/// field names are the original dgov's scope status record. Missing fields read as empty,
/// so a record from an older gate still parses.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScopeRecord {
    /// Writable claims (create, edit, delete, touch).
    pub claimed_writable: Vec<String>,
    /// Read-only claims.
    pub claimed_readonly: Vec<String>,
    /// Whether claims are enforced (a task's review; not a bare `dgov preflight`).
    pub claims_enforced: bool,
    /// Every path the change touches (a rename touches its source too).
    pub actual_files: Vec<String>,
    /// Paths the worker wrote through its tools, including ones reverted later.
    pub transient_write_paths: Vec<String>,
    pub ignored_actual_paths: Vec<String>,
    pub ignored_transient_paths: Vec<String>,
    /// Changed paths neither claimed for writing nor ignored (claims enforced only).
    pub unclaimed_actual_paths: Vec<String>,
    /// Transiently written paths neither claimed for writing nor ignored.
    pub unclaimed_transient_paths: Vec<String>,
    pub path_policy_denied_paths: Vec<String>,
    pub path_policy_outside_allow_paths: Vec<String>,
    /// Governor-owned paths that were changed or written through the worker's tools.
    pub reserved_paths: Vec<String>,
    /// The check that decides the verdict, or `None` when the change passes.
    pub blocking_failure: Option<Blocking>,
}

/// The deciding check: its verdict code and one message naming every offending path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocking {
    pub code: String,
    pub message: String,
}

impl ScopeRecord {
    /// Sort and deduplicate every list (the gate already does; a custom build may not).
    pub fn normalize(&mut self) {
        for v in [
            &mut self.claimed_writable,
            &mut self.claimed_readonly,
            &mut self.actual_files,
            &mut self.transient_write_paths,
            &mut self.ignored_actual_paths,
            &mut self.ignored_transient_paths,
            &mut self.unclaimed_actual_paths,
            &mut self.unclaimed_transient_paths,
            &mut self.path_policy_denied_paths,
            &mut self.path_policy_outside_allow_paths,
            &mut self.reserved_paths,
        ] {
            v.sort();
            v.dedup();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_star_crosses_slashes_like_the_original() {
        assert!(fnmatch("src/*", "src/a/b.rs"));
        assert!(fnmatch("*.lock", "deep/dir/Cargo.lock"));
        assert!(fnmatch("a?c", "abc"));
        assert!(!fnmatch("a?c", "ac"));
        assert!(fnmatch("[ab]x", "bx"));
        assert!(!fnmatch("[!ab]x", "bx"));
        assert!(fnmatch("v[0-9].txt", "v7.txt"));
        assert!(!fnmatch("*.rs", "a.rs.bak"));
        assert!(fnmatch("**", ""));
        // An unterminated class never matches (and never panics).
        assert!(!fnmatch("[ab", "a"));
    }

    #[test]
    fn claims_cover_the_file_or_everything_under_a_directory() {
        assert!(claim_covers("src/a.rs", "src/a.rs"));
        assert!(claim_covers("src", "src/a/b.rs"));
        assert!(claim_covers("./src/", "src/a.rs"));
        assert!(!claim_covers("src", "srcx/a.rs"));
        assert!(!claim_covers("", "a.rs"));
        assert!(!claim_covers("src/*", "src/a.rs"), "globs are not claims");
    }

    #[test]
    fn policy_patterns_are_normalised_like_claims() {
        assert!(policy_matches("./secrets/*", "secrets/a/key.pem"));
        assert!(policy_matches("*.pem", "deep/k.pem"));
        assert!(!policy_matches("", "a.txt"));
    }

    #[test]
    fn ignore_rules() {
        assert!(ignored("__pycache__", "a/__pycache__/m.pyc"));
        assert!(!ignored("__pycache__", "a/__pycache__"));
        assert!(ignored("build/", "build/x/y.o"));
        assert!(ignored("target/debug/", "target/debug/x"));
        assert!(!ignored("target/debug/", "target/release/x"));
        assert!(!ignored("target/debug/", "target/debug"));
        assert!(ignored("*.pyc", "deep/m.pyc"));
        assert!(ignored("notes.txt", "notes.txt"));
        assert!(ignored("./notes.txt", "notes.txt"));
        assert!(!ignored("notes.txt", "a/notes.txt"));
        assert!(!ignored("  ", "a.txt"));
    }

    #[test]
    fn governor_owned_paths() {
        assert!(is_reserved(".sentrux/baseline.json"));
        assert!(is_reserved(".dgov/state.db"));
        assert!(is_reserved(".git/config"));
        assert!(is_reserved(".coverage-baseline/x"));
        assert!(!is_reserved(".dgov/plans/x.toml"));
        assert!(!is_reserved("src/baseline.json"));
    }

    #[test]
    fn a_record_from_an_older_gate_with_missing_fields_still_parses() {
        let mut rec: ScopeRecord =
            serde_json::from_str(r#"{"claims_enforced": true, "actual_files": ["b", "a", "a"]}"#)
                .unwrap();
        assert!(rec.claims_enforced);
        rec.normalize();
        assert_eq!(rec.actual_files, ["a", "b"]);
        assert!(rec.blocking_failure.is_none());
    }
}
