//! `[sentrux]` of `.dgov/project.toml` (mode, staleness limits) and which uncommitted paths
//! the accepted-baseline refresh may ignore.

use std::path::Path;

use crate::analyzer::ArchitectureError;
use crate::baseline::BASELINE_PATH;
use crate::metadata::METADATA_PATH;

/// How the post-run comparison judges a degradation (`[sentrux].mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Only degradations the run's own changes caused make it `degraded`; the rest are
    /// pre-existing warnings.
    #[default]
    Diff,
    /// Any degradation makes the run `degraded`.
    Strict,
}

/// When a baseline counts as stale (`[sentrux].stale_commits`, `stale_days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StaleLimits {
    pub commits: u64,
    pub days: u64,
}

impl Default for StaleLimits {
    fn default() -> Self {
        StaleLimits {
            commits: 10,
            days: 14,
        }
    }
}

/// The sentrux policy of a repository.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    pub mode: Mode,
    pub stale: StaleLimits,
    /// `[scope].ignore_files` (built-ins included): dirty paths matching these do not stop
    /// a refresh.
    pub ignore_files: Vec<String>,
}

fn invalid(key: &str, what: &str) -> ArchitectureError {
    ArchitectureError::InvalidInput(format!(
        ".dgov/project.toml: [sentrux].{key} {what}; fix the value or remove the key"
    ))
}

impl Policy {
    /// From the raw `[sentrux]` table and the scope-ignore list. A wrong value is an error
    /// naming the key.
    pub fn from_parts(
        sentrux: Option<&toml::Table>,
        ignore_files: Vec<String>,
    ) -> Result<Policy, ArchitectureError> {
        let mut p = Policy {
            ignore_files,
            ..Policy::default()
        };
        let Some(t) = sentrux else {
            return Ok(p);
        };
        if let Some(v) = t.get("mode") {
            p.mode = match v.as_str() {
                Some("diff") => Mode::Diff,
                Some("strict") => Mode::Strict,
                _ => {
                    return Err(invalid(
                        "mode",
                        &format!("must be \"diff\" or \"strict\", not {v}"),
                    ));
                }
            };
        }
        for (key, slot) in [
            ("stale_commits", &mut p.stale.commits),
            ("stale_days", &mut p.stale.days),
        ] {
            if let Some(v) = t.get(key) {
                *slot = v
                    .as_integer()
                    .and_then(|i| u64::try_from(i).ok())
                    .ok_or_else(|| invalid(key, &format!("must be an integer ≥ 0, not {v}")))?;
            }
        }
        Ok(p)
    }

    /// The policy of the repository at `root` (defaults without `.dgov/project.toml`).
    pub fn load(root: &Path) -> Result<Policy, ArchitectureError> {
        let (cfg, _) = dgov_plan::load_project_config(root)
            .map_err(|e| ArchitectureError::InvalidInput(e.to_string()))?;
        Policy::from_parts(cfg.sentrux.as_ref(), cfg.scope.ignore_files)
    }

    /// Whether an uncommitted `path` may stay uncommitted while the baseline is accepted:
    /// the two baseline files, dgov's deploy log and compiled plans, scope-ignored paths, and
    /// anything under `exempt` (directories the run itself moved, such as an archived plan).
    pub fn refreshable(&self, path: &str, exempt: &[String]) -> bool {
        path == BASELINE_PATH
            || path == METADATA_PATH
            || path == ".dgov/plans/deployed.jsonl"
            || (path.starts_with(".dgov/") && path.ends_with("/_compiled.toml"))
            || self.ignore_files.iter().any(|r| scope_ignored(r, path))
            || exempt.iter().any(|d| {
                let d = d.trim_end_matches('/');
                path == d || path.strip_prefix(d).is_some_and(|r| r.starts_with('/'))
            })
    }
}

/// The scope-ignore rule of settlement: a glob (`*`, `?`, `[`; `*` also crosses `/`)
/// matches the full path or the file name; an entry ending in `/` or whose last segment
/// has no `.` names a directory (a path prefix when it contains `/`, else any directory
/// segment); anything else is an exact path.
pub fn scope_ignored(rule: &str, path: &str) -> bool {
    if rule.contains(['*', '?', '[']) {
        let base = path.rsplit('/').next().unwrap_or(path);
        return globset::GlobBuilder::new(rule)
            .literal_separator(false)
            .build()
            .map(|g| g.compile_matcher())
            .is_ok_and(|m| m.is_match(path) || m.is_match(base));
    }
    let trimmed = rule.trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if rule.ends_with('/') || !last.contains('.') {
        if trimmed.contains('/') {
            return path
                .strip_prefix(trimmed)
                .is_some_and(|r| r.starts_with('/'));
        }
        let mut segments: Vec<&str> = path.split('/').collect();
        segments.pop();
        return segments.contains(&trimmed);
    }
    path == rule
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentrux_keys_are_typed_and_wrong_values_name_the_key() {
        let t: toml::Table =
            toml::from_str("mode = \"strict\"\nstale_commits = 3\nstale_days = 0\n").unwrap();
        let p = Policy::from_parts(Some(&t), vec![]).unwrap();
        assert_eq!(p.mode, Mode::Strict);
        assert_eq!(
            p.stale,
            StaleLimits {
                commits: 3,
                days: 0
            }
        );
        assert_eq!(Policy::from_parts(None, vec![]).unwrap().stale.commits, 10);
        for (text, key) in [
            ("mode = \"loose\"", "[sentrux].mode"),
            ("stale_commits = -1", "[sentrux].stale_commits"),
            ("stale_days = \"2\"", "[sentrux].stale_days"),
        ] {
            let t: toml::Table = toml::from_str(text).unwrap();
            let e = Policy::from_parts(Some(&t), vec![])
                .unwrap_err()
                .to_string();
            assert!(e.contains(key) && e.contains(".dgov/project.toml"), "{e}");
        }
    }

    #[test]
    fn refreshable_paths_are_dgov_files_scope_ignores_and_exempt_dirs() {
        let p = Policy {
            ignore_files: vec!["__pycache__".into(), "*.pyc".into(), "build/".into()],
            ..Policy::default()
        };
        for ok in [
            ".sentrux/baseline.json",
            ".sentrux/dgov-baseline.json",
            ".dgov/plans/deployed.jsonl",
            ".dgov/plans/x/_compiled.toml",
            "pkg/__pycache__/m.cpython.pyc",
            "deep/a.pyc",
            "src/build/out.o",
            ".dgov/plans/archive/demo/_root.toml",
        ] {
            assert!(
                p.refreshable(ok, &[".dgov/plans/archive/demo".into()]),
                "{ok}"
            );
        }
        for no in ["a.py", ".sentrux/rules.toml", "_compiled.toml", "buildx/a"] {
            assert!(!p.refreshable(no, &[]), "{no}");
        }
    }
}
