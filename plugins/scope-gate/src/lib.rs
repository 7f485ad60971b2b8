//! The structural-review gate: the first thing settlement asks of a worker's change.
//!
//! Checks, in priority order (the first failing check decides the verdict, and its reason
//! code is the original dgov's verdict name so existing tooling keeps matching):
//!
//! 1. `diff_too_large` — more changed files than `max_files` (default 100);
//! 2. `reserved_path` — a governor-owned file was touched (`.sentrux/baseline.json`,
//!    `.sentrux/dgov-baseline.json`, `.dgov/state.db`, anything under `.coverage-baseline/`);
//!    claiming it does not help;
//! 3. `path_policy_violation` — a path matches a `deny` pattern, or matches no `allow`
//!    pattern when an allow-list exists (fnmatch: `*` also crosses `/`);
//! 4. `scope_violation` / `read_scope_violation` — when claims are enforced, a changed path
//!    that is neither claimed for writing nor ignored; if every such path is only
//!    read-claimed, the softer `read_scope_violation` (retryable) is reported instead.
//!
//! Unlike the original, every failing path is reported as a finding (not only the first
//! check's), so one retry can fix everything; the verdict still follows the priority.

mod pattern;

use dgov_sdk::gate::*;
use serde::Deserialize;

/// Files only dgov itself may write.
pub const RESERVED_FILES: [&str; 3] = [
    ".sentrux/baseline.json",
    ".sentrux/dgov-baseline.json",
    ".dgov/state.db",
];
pub const RESERVED_PREFIXES: [&str; 1] = [".coverage-baseline/"];

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub max_files: usize,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    pub ignore: Vec<String>,
    /// Paths the worker wrote through its tools during the attempt (the host reads them
    /// from the worker's tool log), including files written and later reverted.
    pub transient_writes: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_files: 100,
            allow: Vec::new(),
            deny: Vec::new(),
            ignore: Vec::new(),
            transient_writes: Vec::new(),
        }
    }
}

pub fn is_reserved(path: &str) -> bool {
    RESERVED_FILES.contains(&path) || RESERVED_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Every path the change touches; a rename touches its source too (so it must be claimed,
/// typically through `files.delete`).
fn touched(ctx: &GateContext) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for file in &ctx.changed {
        paths.push(file.path.clone());
        if file.kind == ChangeKind::Renamed
            && let Some(old) = &file.old_path
        {
            paths.push(old.clone());
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

/// The review itself, separate from the export so it is unit-testable natively.
pub fn review(ctx: &GateContext, config: &Config) -> GateReport {
    let paths = touched(ctx);
    if paths.is_empty() {
        let mut report = GateReport::from_findings(vec![Finding::error(
            "empty_diff",
            "the change touches no files",
        )]);
        report.summary = "no changes produced".to_owned();
        return report;
    }
    let mut findings = Vec::new();
    let mut first: Option<&'static str> = None;
    let mut fail = |code: &'static str, finding: Finding, findings: &mut Vec<Finding>| {
        first.get_or_insert(code);
        findings.push(finding);
    };

    if paths.len() > config.max_files {
        let msg = format!(
            "the change touches {} files; the limit is {}",
            paths.len(),
            config.max_files
        );
        fail(
            "diff_too_large",
            Finding::error("diff_too_large", &msg),
            &mut findings,
        );
    }
    for path in paths.iter().filter(|p| is_reserved(p)) {
        let msg = format!(
            "`{path}` is owned by dgov; workers may not change it (claiming it does not help)"
        );
        fail(
            "reserved_path",
            Finding::error("reserved_path", &msg).in_file(path),
            &mut findings,
        );
    }
    for path in &paths {
        if let Some(pat) = config.deny.iter().find(|p| pattern::fnmatch(p, path)) {
            let msg = format!("`{path}` matches the project deny pattern `{pat}`");
            fail(
                "path_policy_violation",
                Finding::error("path_policy_violation", &msg).in_file(path),
                &mut findings,
            );
        } else if !config.allow.is_empty()
            && !config.allow.iter().any(|p| pattern::fnmatch(p, path))
        {
            let msg = format!("`{path}` is outside the project allow-list");
            fail(
                "path_policy_violation",
                Finding::error("path_policy_violation", &msg).in_file(path),
                &mut findings,
            );
        }
    }
    if ctx.claims.enforced {
        let unclaimed: Vec<&String> = paths
            .iter()
            .filter(|p| {
                !is_claimed(&ctx.claims, p) && !config.ignore.iter().any(|i| pattern::ignored(i, p))
            })
            .collect();
        let read_only = |p: &str| ctx.claims.read.iter().any(|c| pattern::claim_covers(c, p));
        let all_read = !unclaimed.is_empty() && unclaimed.iter().all(|p| read_only(p));
        for path in unclaimed {
            let (code, msg) = if all_read {
                (
                    "read_scope_violation",
                    format!(
                        "`{path}` is claimed for reading only; revert it — a read claim grants no write"
                    ),
                )
            } else {
                (
                    "scope_violation",
                    format!(
                        "`{path}` is not claimed by this task; add it to `files.edit` (or `files.create`) if the change is intended"
                    ),
                )
            };
            fail(
                code,
                Finding::error(code, &msg).in_file(path),
                &mut findings,
            );
        }
    }
    // Transient writes: a file written through the worker's tools and reverted before the
    // end still counted as touching it. Read claims do not soften these; ignore entries
    // cannot hide a governor-owned path.
    let mut transient: Vec<&String> = config.transient_writes.iter().collect();
    transient.sort();
    transient.dedup();
    for path in transient {
        if paths.contains(path) {
            continue;
        }
        if is_reserved(path) {
            let msg = format!("`{path}` is owned by dgov; the worker wrote it through its tools");
            fail(
                "reserved_path",
                Finding::error("reserved_path", &msg).in_file(path),
                &mut findings,
            );
        } else if ctx.claims.enforced
            && !is_claimed(&ctx.claims, path)
            && !config.ignore.iter().any(|i| pattern::ignored(i, path))
        {
            let msg = format!(
                "`{path}` was written through the worker's tools but is not claimed (even if reverted later); add it to `files.edit` if intended"
            );
            fail(
                "scope_violation",
                Finding::error("scope_violation", &msg).in_file(path),
                &mut findings,
            );
        }
    }
    match first {
        None => GateReport::pass(&format!("{} file(s) within scope", paths.len())),
        Some(code) => {
            let mut report = GateReport::from_findings(findings);
            report.summary = format!("{code}: {}", report.summary);
            report
        }
    }
}

pub struct ScopeGate;

impl Gate for ScopeGate {
    fn describe() -> GateSpec {
        GateSpec::new(
            "scope",
            "structural review: change size, governor-owned paths, project path policy, claimed scope",
            &[Phase::StructuralReview, Phase::Preflight],
        )
    }

    fn check(ctx: GateContext) -> Result<GateReport, PluginError> {
        let config: Config = config(&ctx)?;
        Ok(review(&ctx, &config))
    }
}

dgov_sdk::export_gate!(ScopeGate);

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(paths: &[&str], claims: &[&str], read: &[&str], enforced: bool) -> GateContext {
        GateContext {
            task: "s/f.t".into(),
            phase: Phase::StructuralReview,
            revs: dgov_sdk::types::Revs {
                base: String::new(),
                head: String::new(),
                target: None,
            },
            changed: paths
                .iter()
                .map(|p| ChangedFile {
                    path: (*p).into(),
                    kind: ChangeKind::Modified,
                    old_path: None,
                    added_lines: vec![],
                })
                .collect(),
            claims: Claims {
                create: vec![],
                edit: claims.iter().map(|s| (*s).into()).collect(),
                delete: vec![],
                touch: vec![],
                read: read.iter().map(|s| (*s).into()).collect(),
                enforced,
            },
            config_json: "{}".into(),
        }
    }

    fn codes(r: &GateReport) -> Vec<&str> {
        r.findings.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn claimed_changes_pass() {
        let r = review(
            &ctx(
                &["src/a.rs", "src/b/c.rs"],
                &["src/a.rs", "src/b/"],
                &[],
                true,
            ),
            &Config::default(),
        );
        assert_eq!(r.verdict, Verdict::Pass, "{r:?}");
    }

    #[test]
    fn unclaimed_changes_fail_with_a_hint() {
        let r = review(
            &ctx(&["src/a.rs", "README.md"], &["src/a.rs"], &[], true),
            &Config::default(),
        );
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(codes(&r), ["scope_violation"]);
        assert!(r.findings[0].message.contains("files.edit"));
    }

    #[test]
    fn an_empty_claim_list_fails_closed_but_unenforced_claims_skip_the_check() {
        let r = review(&ctx(&["src/a.rs"], &[], &[], true), &Config::default());
        assert_eq!(r.verdict, Verdict::Fail);
        let r = review(&ctx(&["src/a.rs"], &[], &[], false), &Config::default());
        assert_eq!(r.verdict, Verdict::Pass);
    }

    #[test]
    fn read_claimed_only_is_the_softer_read_scope_violation() {
        let r = review(
            &ctx(&["docs/x.md"], &["src/"], &["docs/"], true),
            &Config::default(),
        );
        assert_eq!(codes(&r), ["read_scope_violation"]);
    }

    #[test]
    fn reserved_paths_fail_even_when_claimed_and_decide_the_summary() {
        let c = ctx(
            &[".sentrux/baseline.json", "x.rs"],
            &[".sentrux/baseline.json"],
            &[],
            true,
        );
        let r = review(&c, &Config::default());
        assert_eq!(r.verdict, Verdict::Fail);
        assert!(r.summary.starts_with("reserved_path"), "{}", r.summary);
        assert!(codes(&r).contains(&"reserved_path") && codes(&r).contains(&"scope_violation"));
        assert!(is_reserved(".coverage-baseline/data.json"));
    }

    #[test]
    fn size_limit_and_path_policy() {
        let cfg = Config {
            max_files: 1,
            deny: vec!["*.lock".into()],
            ..Config::default()
        };
        let r = review(
            &ctx(&["a.rs", "sub/Cargo.lock"], &["a.rs", "sub/"], &[], true),
            &cfg,
        );
        assert!(r.summary.starts_with("diff_too_large"), "{}", r.summary);
        assert!(codes(&r).contains(&"path_policy_violation"));
        let cfg = Config {
            allow: vec!["src/*".into()],
            ..Config::default()
        };
        let r = review(
            &ctx(&["src/deep/a.rs", "tools/x.sh"], &[], &[], false),
            &cfg,
        );
        assert_eq!(codes(&r), ["path_policy_violation"]);
        assert!(r.findings[0].message.contains("tools/x.sh"));
    }

    #[test]
    fn ignored_paths_need_no_claim() {
        let cfg = Config {
            ignore: vec!["__pycache__".into(), "*.pyc".into(), "build/".into()],
            ..Config::default()
        };
        let r = review(
            &ctx(
                &["pkg/__pycache__/m.cpython.pyc", "build/out.o", "x.pyc"],
                &[],
                &[],
                true,
            ),
            &cfg,
        );
        assert_eq!(r.verdict, Verdict::Pass, "{r:?}");
    }

    #[test]
    fn transient_writes_outside_claims_fail_even_when_reverted() {
        let cfg = Config {
            transient_writes: vec!["src/a.rs".into(), "scratch.txt".into()],
            ..Config::default()
        };
        let r = review(
            &ctx(&["src/a.rs"], &["src/a.rs"], &["scratch.txt"], true),
            &cfg,
        );
        assert_eq!(codes(&r), ["scope_violation"]);
        assert!(r.findings[0].message.contains("scratch.txt"));
        let cfg = Config {
            transient_writes: vec![".sentrux/baseline.json".into()],
            ignore: vec![".sentrux/".into()],
            ..Config::default()
        };
        let r = review(&ctx(&["src/a.rs"], &["src/a.rs"], &[], true), &cfg);
        assert_eq!(codes(&r), ["reserved_path"]);
    }

    #[test]
    fn no_changes_is_a_failure() {
        let r = review(&ctx(&[], &[], &[], true), &Config::default());
        assert_eq!(codes(&r), ["empty_diff"]);
    }
}
