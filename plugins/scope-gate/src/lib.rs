//! The structural-review gate: the first thing settlement asks of a worker's change.
//!
//! Checks, in priority order (the first failing check decides the verdict, and its reason
//! code is the original dgov's verdict name so existing tooling keeps matching):
//!
//! 1. `diff_too_large` — more changed files than `max_files` (default 100);
//! 2. `reserved_path` — a governor-owned file was touched (`.sentrux/baseline.json`,
//!    `.sentrux/dgov-baseline.json`, `.dgov/state.db`, anything under `.coverage-baseline/`
//!    or `.git/`; [`dgov_sdk::scope::is_reserved`]); claiming it does not help;
//! 3. `path_policy_violation` — a path matches a `deny` pattern, or matches no `allow`
//!    pattern when an allow-list exists (fnmatch: `*` also crosses `/`);
//! 4. `scope_violation` / `read_scope_violation` — when claims are enforced, a changed path
//!    that is neither claimed for writing nor ignored; if every such path is only
//!    read-claimed, the softer `read_scope_violation` (retryable) is reported instead;
//! 5. transient scope — a path the worker wrote through its tools (even if reverted later)
//!    that is governor-owned (`reserved_path`) or unclaimed (`scope_violation`).
//!
//! Unlike the original, every failing path is reported as a finding (not only the first
//! check's), so one retry can fix everything; the verdict still follows the priority.
//!
//! Every report carries the full [`ScopeRecord`] in `metrics-json` (what `dgov scope status`
//! renders): the claims, the actual and transient paths, how each was classified, and the
//! blocking failure. In the `preflight` phase (local changes, `dgov preflight` and
//! `dgov scope status`) a tree with no changes passes: there is nothing to review yet.

use dgov_sdk::gate::*;
use dgov_sdk::scope::{self as pattern, is_reserved};
pub use dgov_sdk::scope::{Blocking, RESERVED_DIRS, RESERVED_FILES, ScopeRecord};
use serde::Deserialize;

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
    sorted(paths)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn list(paths: &[String]) -> String {
    paths.join(", ")
}

/// Classify every path and decide the blocking check (same priority as [`review`]).
pub fn record(ctx: &GateContext, config: &Config) -> ScopeRecord {
    let claims = &ctx.claims;
    let actual = touched(ctx);
    let transient = sorted(
        config
            .transient_writes
            .iter()
            .map(|p| p.trim_start_matches("./").to_string())
            .collect(),
    );
    let is_ignored = |p: &str| config.ignore.iter().any(|i| pattern::ignored(i, p));
    let unclaimed = |p: &str| claims.enforced && !is_claimed(claims, p) && !is_ignored(p);
    let denied = |p: &str| config.deny.iter().any(|d| pattern::policy_matches(d, p));
    let pick = |paths: &[String], f: &dyn Fn(&str) -> bool| -> Vec<String> {
        paths.iter().filter(|p| f(p)).cloned().collect()
    };
    let mut rec = ScopeRecord {
        claimed_writable: sorted(
            claims
                .create
                .iter()
                .chain(&claims.edit)
                .chain(&claims.delete)
                .chain(&claims.touch)
                .cloned()
                .collect(),
        ),
        claimed_readonly: sorted(claims.read.clone()),
        claims_enforced: claims.enforced,
        ignored_actual_paths: pick(&actual, &is_ignored),
        ignored_transient_paths: pick(&transient, &is_ignored),
        unclaimed_actual_paths: pick(&actual, &unclaimed),
        unclaimed_transient_paths: pick(&transient, &unclaimed),
        path_policy_denied_paths: pick(&actual, &denied),
        path_policy_outside_allow_paths: pick(&actual, &|p| {
            !denied(p)
                && !config.allow.is_empty()
                && !config.allow.iter().any(|a| pattern::policy_matches(a, p))
        }),
        reserved_paths: sorted(
            actual
                .iter()
                .chain(&transient)
                .filter(|p| is_reserved(p))
                .cloned()
                .collect(),
        ),
        actual_files: actual,
        transient_write_paths: transient,
        blocking_failure: None,
    };
    rec.blocking_failure = blocking(&rec, ctx, config);
    rec
}

fn blocking(rec: &ScopeRecord, ctx: &GateContext, config: &Config) -> Option<Blocking> {
    let block = |code: &str, message: String| {
        Some(Blocking {
            code: code.into(),
            message,
        })
    };
    let actual = &rec.actual_files;
    if actual.is_empty() {
        // A task that produced nothing failed; a working tree with no changes is just clean.
        return if ctx.phase == Phase::Preflight {
            None
        } else {
            block("empty_diff", "the change touches no files".into())
        };
    }
    if actual.len() > config.max_files {
        return block(
            "diff_too_large",
            format!(
                "the change touches {} files; the limit is {}",
                actual.len(),
                config.max_files
            ),
        );
    }
    let reserved: Vec<String> = actual.iter().filter(|p| is_reserved(p)).cloned().collect();
    if !reserved.is_empty() {
        return block(
            "reserved_path",
            format!(
                "touched governor-owned files: {} (only dgov may change them; claiming them does not help)",
                list(&reserved)
            ),
        );
    }
    if !rec.path_policy_denied_paths.is_empty() {
        return block(
            "path_policy_violation",
            format!(
                "touched files the project denies: {}",
                list(&rec.path_policy_denied_paths)
            ),
        );
    }
    if !rec.path_policy_outside_allow_paths.is_empty() {
        return block(
            "path_policy_violation",
            format!(
                "touched files outside the project allow-list: {}",
                list(&rec.path_policy_outside_allow_paths)
            ),
        );
    }
    let unclaimed = &rec.unclaimed_actual_paths;
    if !unclaimed.is_empty() {
        if unclaimed.iter().all(|p| read_claimed(ctx, p)) {
            return block(
                "read_scope_violation",
                format!(
                    "touched files claimed for reading only: {}; revert them — a read claim grants no write",
                    list(unclaimed)
                ),
            );
        }
        return block(
            "scope_violation",
            format!(
                "touched unclaimed files: {}; add them to `files.edit` (or `files.create`) if the change is intended",
                list(unclaimed)
            ),
        );
    }
    let reserved: Vec<String> = rec
        .transient_write_paths
        .iter()
        .filter(|p| is_reserved(p))
        .cloned()
        .collect();
    if !reserved.is_empty() {
        return block(
            "reserved_path",
            format!(
                "wrote governor-owned files through the worker's tools: {}",
                list(&reserved)
            ),
        );
    }
    if !rec.unclaimed_transient_paths.is_empty() {
        return block(
            "scope_violation",
            format!(
                "wrote unclaimed files through the worker's tools (reverting them does not undo that): {}; add them to `files.edit` if intended",
                list(&rec.unclaimed_transient_paths)
            ),
        );
    }
    None
}

fn read_claimed(ctx: &GateContext, path: &str) -> bool {
    ctx.claims
        .read
        .iter()
        .any(|c| pattern::claim_covers(c, path))
}

/// The review itself, separate from the export so it is unit-testable natively. The report
/// carries the [`ScopeRecord`] as its metrics.
pub fn review(ctx: &GateContext, config: &Config) -> GateReport {
    let rec = record(ctx, config);
    let mut report = report_of(&rec, ctx, config);
    report.metrics_json = serde_json::to_string(&rec).ok();
    report
}

/// One finding per offending path, in check order; verdict and summary from the record's
/// blocking failure.
fn report_of(rec: &ScopeRecord, ctx: &GateContext, config: &Config) -> GateReport {
    let paths = &rec.actual_files;
    if paths.is_empty() {
        if rec.blocking_failure.is_none() {
            return GateReport::pass("no changes to review");
        }
        let mut report = GateReport::from_findings(vec![Finding::error(
            "empty_diff",
            "the change touches no files",
        )]);
        report.summary = "no changes produced".to_owned();
        return report;
    }
    let mut findings = Vec::new();
    if paths.len() > config.max_files {
        let msg = format!(
            "the change touches {} files; the limit is {}",
            paths.len(),
            config.max_files
        );
        findings.push(Finding::error("diff_too_large", &msg));
    }
    for path in paths.iter().filter(|p| is_reserved(p)) {
        let msg = format!(
            "`{path}` is owned by dgov; workers may not change it (claiming it does not help)"
        );
        findings.push(Finding::error("reserved_path", &msg).in_file(path));
    }
    for path in paths {
        if let Some(pat) = config
            .deny
            .iter()
            .find(|p| pattern::policy_matches(p, path))
        {
            let msg = format!("`{path}` matches the project deny pattern `{pat}`");
            findings.push(Finding::error("path_policy_violation", &msg).in_file(path));
        } else if rec.path_policy_outside_allow_paths.contains(path) {
            let msg = format!("`{path}` is outside the project allow-list");
            findings.push(Finding::error("path_policy_violation", &msg).in_file(path));
        }
    }
    let unclaimed = &rec.unclaimed_actual_paths;
    let all_read = !unclaimed.is_empty() && unclaimed.iter().all(|p| read_claimed(ctx, p));
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
        findings.push(Finding::error(code, &msg).in_file(path));
    }
    // Transient writes: a file written through the worker's tools and reverted before the
    // end still counted as touching it. Read claims do not soften these; ignore entries
    // cannot hide a governor-owned path. Paths still changed were reported above.
    for path in rec
        .transient_write_paths
        .iter()
        .filter(|p| !paths.contains(p))
    {
        if is_reserved(path) {
            let msg = format!("`{path}` is owned by dgov; the worker wrote it through its tools");
            findings.push(Finding::error("reserved_path", &msg).in_file(path));
        } else if rec.unclaimed_transient_paths.contains(path) {
            let msg = format!(
                "`{path}` was written through the worker's tools but is not claimed (even if reverted later); add it to `files.edit` if intended"
            );
            findings.push(Finding::error("scope_violation", &msg).in_file(path));
        }
    }
    match &rec.blocking_failure {
        None => GateReport::pass(&format!("{} file(s) within scope", paths.len())),
        Some(b) => {
            let mut report = GateReport::from_findings(findings);
            report.summary = format!("{}: {}", b.code, report.summary);
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

    fn metrics(r: &GateReport) -> ScopeRecord {
        serde_json::from_str(r.metrics_json.as_deref().expect("metrics-json is set")).unwrap()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn the_record_classifies_every_path_and_travels_in_the_metrics() {
        let mut c = ctx(
            &["src/a.rs", "docs/x.md", "pkg/__pycache__/m.pyc", "id.key"],
            &["src/", "src/a.rs"],
            &["docs/"],
            true,
        );
        c.changed.push(ChangedFile {
            path: "src/new.rs".into(),
            kind: ChangeKind::Renamed,
            old_path: Some("old/name.rs".into()),
            added_lines: vec![],
        });
        let cfg = Config {
            ignore: vec!["__pycache__".into()],
            deny: vec!["*.key".into()],
            transient_writes: strings(&[
                "./scratch.txt",
                "src/a.rs",
                "scratch.txt",
                "x/__pycache__/t.pyc",
            ]),
            ..Config::default()
        };
        let r = review(&c, &cfg);
        let rec = metrics(&r);
        assert_eq!(rec, record(&c, &cfg));
        assert_eq!(rec.claimed_writable, strings(&["src/", "src/a.rs"]));
        assert_eq!(rec.claimed_readonly, strings(&["docs/"]));
        assert!(rec.claims_enforced);
        assert_eq!(
            rec.actual_files,
            strings(&[
                "docs/x.md",
                "id.key",
                "old/name.rs",
                "pkg/__pycache__/m.pyc",
                "src/a.rs",
                "src/new.rs"
            ])
        );
        assert_eq!(
            rec.transient_write_paths,
            strings(&["scratch.txt", "src/a.rs", "x/__pycache__/t.pyc"])
        );
        assert_eq!(
            rec.ignored_actual_paths,
            strings(&["pkg/__pycache__/m.pyc"])
        );
        assert_eq!(
            rec.ignored_transient_paths,
            strings(&["x/__pycache__/t.pyc"])
        );
        assert_eq!(
            rec.unclaimed_actual_paths,
            strings(&["docs/x.md", "id.key", "old/name.rs"])
        );
        assert_eq!(rec.unclaimed_transient_paths, strings(&["scratch.txt"]));
        assert_eq!(rec.path_policy_denied_paths, strings(&["id.key"]));
        assert!(rec.path_policy_outside_allow_paths.is_empty());
        assert!(rec.reserved_paths.is_empty());
        let b = rec.blocking_failure.expect("denied path blocks");
        assert_eq!(b.code, "path_policy_violation");
        assert!(b.message.contains("id.key"), "{}", b.message);
        assert!(
            r.summary.starts_with("path_policy_violation"),
            "{}",
            r.summary
        );
    }

    #[test]
    fn the_blocking_failure_follows_the_check_priority_and_names_every_path() {
        // Only read-claimed leftovers: the softer verdict.
        let c = ctx(
            &["src/a.rs", "docs/x.md", "docs/y.md"],
            &["src/"],
            &["docs/"],
            true,
        );
        let b = record(&c, &Config::default()).blocking_failure.unwrap();
        assert_eq!(b.code, "read_scope_violation");
        assert!(b.message.contains("docs/x.md, docs/y.md"), "{}", b.message);
        // One truly unclaimed path makes it a scope violation.
        let c = ctx(&["docs/x.md", "z.txt"], &["src/"], &["docs/"], true);
        let b = record(&c, &Config::default()).blocking_failure.unwrap();
        assert_eq!(b.code, "scope_violation");
        assert!(b.message.contains("docs/x.md, z.txt") && b.message.contains("files.edit"));
        // Outside the allow-list beats the claim check.
        let cfg = Config {
            allow: vec!["src/*".into()],
            ..Config::default()
        };
        let rec = record(
            &ctx(&["src/a.rs", "tools/x.sh"], &["src/"], &[], true),
            &cfg,
        );
        assert_eq!(
            rec.path_policy_outside_allow_paths,
            strings(&["tools/x.sh"])
        );
        assert_eq!(rec.blocking_failure.unwrap().code, "path_policy_violation");
        // Transient writes come last: claimed actual changes, an unclaimed transient write.
        let cfg = Config {
            transient_writes: strings(&["notes.tmp"]),
            ..Config::default()
        };
        let rec = record(&ctx(&["src/a.rs"], &["src/"], &["notes.tmp"], true), &cfg);
        let b = rec.blocking_failure.unwrap();
        assert_eq!(b.code, "scope_violation");
        assert!(b.message.contains("notes.tmp") && b.message.contains("worker's tools"));
        // A governor-owned transient write is reserved, whatever the claims.
        let cfg = Config {
            transient_writes: strings(&[".dgov/state.db"]),
            ..Config::default()
        };
        let rec = record(&ctx(&["src/a.rs"], &["src/", ".dgov/"], &[], true), &cfg);
        assert_eq!(rec.reserved_paths, strings(&[".dgov/state.db"]));
        assert_eq!(rec.blocking_failure.unwrap().code, "reserved_path");
    }

    #[test]
    fn without_enforced_claims_nothing_is_unclaimed() {
        let cfg = Config {
            transient_writes: strings(&["t.txt"]),
            ..Config::default()
        };
        let rec = record(&ctx(&["a.txt"], &[], &[], false), &cfg);
        assert!(!rec.claims_enforced);
        assert!(rec.unclaimed_actual_paths.is_empty() && rec.unclaimed_transient_paths.is_empty());
        assert_eq!(rec.blocking_failure, None);
    }

    #[test]
    fn a_clean_working_tree_passes_in_preflight_but_an_empty_task_fails() {
        let mut c = ctx(&[], &["src/"], &[], true);
        c.phase = Phase::Preflight;
        let r = review(&c, &Config::default());
        assert_eq!(r.verdict, Verdict::Pass, "{r:?}");
        let rec = metrics(&r);
        assert!(rec.actual_files.is_empty() && rec.blocking_failure.is_none());
        c.phase = Phase::StructuralReview;
        let r = review(&c, &Config::default());
        assert_eq!(metrics(&r).blocking_failure.unwrap().code, "empty_diff");
    }

    #[test]
    fn no_changes_is_a_failure() {
        let r = review(&ctx(&[], &[], &[], true), &Config::default());
        assert_eq!(codes(&r), ["empty_diff"]);
    }
}
