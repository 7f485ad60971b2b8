//! The coverage gate: runs `coverage_cmd` with `{output}` set to a report path inside the
//! tree, reads that report and fails a task only when a file it changed lost more than
//! `coverage_threshold` percentage points against the session's baseline report
//! (`.coverage-baseline/coverage.json`, which the host passes in `coverage_baseline`).
//!
//! Reports: coverage.py JSON (`files.<path>.summary.percent_covered`) or lcov tracefiles
//! (`SF:` / `LH:` / `LF:` records, detected by content), so any language whose tool writes one
//! of them works. Tool errors never fail a task: a failing command, a missing or unparsable
//! report or a missing baseline make the gate `skip` with a finding that says why.

use std::collections::BTreeMap;

use dgov_sdk::gate::*;

use crate::diagnostics::relative_path;

/// Percent covered per file.
pub type Percentages = BTreeMap<String, f64>;

/// A skipped coverage gate and why.
pub fn skip(why: &str) -> GateReport {
    let mut r = GateReport::from_findings(vec![Finding::info("coverage_skipped", why)]);
    r.verdict = Verdict::Skip;
    r.summary = format!("coverage skipped: {why}");
    r
}

/// `%g`-style: six significant digits, trailing zeros dropped (`95`, `92.9`, `33.3333`).
pub fn fmt_g(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (5 - magnitude).clamp(0, 17) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Parse a coverage report: coverage.py JSON or an lcov tracefile. Paths are made relative
/// to the tree (`./` stripped, absolute paths by their longest existing suffix).
pub fn parse_report(text: &str, exists: &dyn Fn(&str) -> bool) -> Result<Percentages, String> {
    let trimmed = text.trim_start();
    let raw = if trimmed.starts_with('{') {
        parse_json(trimmed)?
    } else if trimmed.lines().any(|l| l.starts_with("SF:")) {
        parse_lcov(trimmed)
    } else {
        return Err("neither coverage.py JSON nor an lcov tracefile".into());
    };
    Ok(raw
        .into_iter()
        .map(|(p, v)| (relative_path(&p, exists), v))
        .collect())
}

fn parse_json(text: &str) -> Result<Percentages, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let files = doc
        .get("files")
        .and_then(|f| f.as_object())
        .ok_or("no `files` object (expected the coverage.py JSON schema)")?;
    let mut out = Percentages::new();
    for (path, data) in files {
        let pct = data
            .pointer("/summary/percent_covered")
            .and_then(|p| p.as_f64())
            .ok_or_else(|| format!("`files.{path}.summary.percent_covered` is missing"))?;
        out.insert(path.clone(), pct);
    }
    Ok(out)
}

fn parse_lcov(text: &str) -> Percentages {
    let mut out = Percentages::new();
    let (mut file, mut hit, mut found) = (None::<String>, 0u64, 0u64);
    for line in text.lines() {
        let line = line.trim();
        if let Some(p) = line.strip_prefix("SF:") {
            file = Some(p.to_owned());
            (hit, found) = (0, 0);
        } else if let Some(n) = line.strip_prefix("LH:") {
            hit = n.trim().parse().unwrap_or(0);
        } else if let Some(n) = line.strip_prefix("LF:") {
            found = n.trim().parse().unwrap_or(0);
        } else if line == "end_of_record"
            && let Some(f) = file.take()
        {
            let pct = if found == 0 {
                100.0
            } else {
                hit as f64 * 100.0 / found as f64
            };
            out.insert(f, pct);
        }
    }
    out
}

/// One file that lost coverage.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    pub file: String,
    pub old: f64,
    pub new: f64,
}

/// For each changed file present in the baseline: a regression iff old − new > threshold
/// (a file missing from the current report counts as 0%). Files the baseline does not know
/// are never gated.
pub fn regressions(
    changed: &[String],
    baseline: &Percentages,
    current: &Percentages,
    threshold: f64,
) -> Vec<Regression> {
    changed
        .iter()
        .filter_map(|f| {
            let old = *baseline.get(f)?;
            let new = current.get(f).copied().unwrap_or(0.0);
            (old - new > threshold).then(|| Regression {
                file: f.clone(),
                old,
                new,
            })
        })
        .collect()
}

/// The verdict for the regressions found among `compared` files.
pub fn report(regs: &[Regression], compared: usize, threshold: f64) -> GateReport {
    if regs.is_empty() {
        return GateReport::pass(&format!(
            "coverage: no changed file lost more than {} point(s) ({compared} compared with the baseline)",
            fmt_g(threshold)
        ));
    }
    let findings: Vec<Finding> = regs
        .iter()
        .map(|r| {
            let msg = format!(
                "Coverage regression: {} dropped from {}% to {}%",
                r.file,
                fmt_g(r.old),
                fmt_g(r.new)
            );
            Finding::error("coverage_regression", &msg)
                .in_file(&r.file)
                .with_evidence(
                    serde_json::json!({"old": r.old, "new": r.new, "threshold": threshold}),
                )
        })
        .collect();
    let mut rep = GateReport::from_findings(findings);
    rep.summary = if regs.len() == 1 {
        rep.findings[0].message.clone()
    } else {
        format!(
            "Coverage regression in {} file(s) (threshold {} point(s))",
            regs.len(),
            fmt_g(threshold)
        )
    };
    rep
}

/// Judge a finished coverage run: `report_text` is the `{output}` file's content (`None` when
/// the tool wrote none), `baseline` the session's baseline report as JSON.
pub fn judge(
    exit_ok: bool,
    why_not: &str,
    report_text: Option<&str>,
    baseline: &serde_json::Value,
    changed: &[String],
    threshold: f64,
    exists: &dyn Fn(&str) -> bool,
) -> GateReport {
    if !exit_ok {
        return skip(&format!("the coverage command {why_not}; not judged"));
    }
    let Some(text) = report_text else {
        return skip("the coverage command wrote no report at `{output}`");
    };
    let current = match parse_report(text, exists) {
        Ok(c) => c,
        Err(e) => return skip(&format!("unreadable coverage report: {e}")),
    };
    let old = match serde_json::to_string(baseline)
        .map_err(|e| e.to_string())
        .and_then(|t| parse_report(&t, exists))
    {
        Ok(b) => b,
        Err(e) => {
            return skip(&format!(
                "unreadable baseline .coverage-baseline/coverage.json: {e}; rerun `dgov coverage-baseline`"
            ));
        }
    };
    let compared = changed.iter().filter(|f| old.contains_key(*f)).count();
    report(
        &regressions(changed, &old, &current, threshold),
        compared,
        threshold,
    )
}

/// Before running: skip without a baseline or an output path, else substitute `{output}` in
/// the command. `Some(report)` = do not run.
pub fn prepare(config: &mut crate::Config) -> Option<GateReport> {
    if !config.command.contains("{output}") {
        return Some(skip(
            "`coverage_cmd` has no `{output}` placeholder, so there is no report to read",
        ));
    }
    if config.coverage_baseline.is_null() {
        return Some(skip(
            "no coverage baseline at .coverage-baseline/coverage.json in the project root; create it with `dgov coverage-baseline`",
        ));
    }
    if config.output.trim().is_empty() {
        return Some(skip("the host passed no `output` path for the report"));
    }
    config.command = config.command.replace("{output}", &config.output);
    None
}

/// After running (in the plugin): read the report the command wrote and judge it.
pub fn finish(
    config: &crate::Config,
    ctx: &GateContext,
    exit_ok: bool,
    why_not: &str,
) -> GateReport {
    let text = dgov_sdk::host::read_to_string(&config.output).ok();
    let changed: Vec<String> = ctx
        .changed
        .iter()
        .filter(|f| f.kind != ChangeKind::Deleted)
        .map(|f| f.path.clone())
        .collect();
    judge(
        exit_ok,
        why_not,
        text.as_deref(),
        &config.coverage_baseline,
        &changed,
        config.coverage_threshold,
        &|p: &str| dgov_sdk::host::exists(p),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> bool {
        false
    }

    fn cov(files: &[(&str, f64)]) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (p, v) in files {
            m.insert(
                (*p).into(),
                serde_json::json!({"summary": {"percent_covered": v, "num_statements": 10}}),
            );
        }
        serde_json::json!({"meta": {"version": "7.4"}, "files": m, "totals": {}})
    }

    #[test]
    fn percent_formatting_is_shortest_g() {
        assert_eq!(fmt_g(95.0), "95");
        assert_eq!(fmt_g(92.9), "92.9");
        assert_eq!(fmt_g(100.0 / 3.0), "33.3333");
        assert_eq!(fmt_g(0.0), "0");
        assert_eq!(fmt_g(2.0), "2");
    }

    #[test]
    fn a_drop_beyond_the_threshold_fails_and_within_passes() {
        let base = cov(&[("src/a.py", 95.0)]);
        let changed = vec!["src/a.py".to_string(), "src/new.py".to_string()];
        let now = cov(&[("./src/a.py", 92.9), ("src/new.py", 0.0)]).to_string();
        let r = judge(true, "", Some(&now), &base, &changed, 2.0, &none);
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(
            r.findings[0].message,
            "Coverage regression: src/a.py dropped from 95% to 92.9%"
        );
        let now = cov(&[("src/a.py", 93.1)]).to_string();
        let r = judge(true, "", Some(&now), &base, &changed, 2.0, &none);
        assert_eq!(r.verdict, Verdict::Pass, "{}", r.summary);
        // A changed file gone from the current report counts as 0%.
        let now = cov(&[]).to_string();
        let r = judge(true, "", Some(&now), &base, &changed, 2.0, &none);
        assert!(r.findings[0].message.ends_with("to 0%"), "{:?}", r.findings);
    }

    #[test]
    fn tool_errors_and_bad_reports_skip_instead_of_failing() {
        let base = cov(&[("a.py", 95.0)]);
        let changed = vec!["a.py".to_string()];
        for r in [
            judge(false, "exited with 2", None, &base, &changed, 2.0, &none),
            judge(true, "", None, &base, &changed, 2.0, &none),
            judge(true, "", Some("{not json"), &base, &changed, 2.0, &none),
            judge(
                true,
                "",
                Some("{\"totals\": {}}"),
                &base,
                &changed,
                2.0,
                &none,
            ),
            judge(
                true,
                "",
                Some(&cov(&[]).to_string()),
                &serde_json::json!({"x": 1}),
                &changed,
                2.0,
                &none,
            ),
        ] {
            assert_eq!(r.verdict, Verdict::Skip, "{}", r.summary);
            assert!(!r.findings.is_empty());
        }
    }

    #[test]
    fn lcov_tracefiles_and_absolute_paths_are_understood() {
        let lcov = "TN:\nSF:/ci/build/src/lib.rs\nDA:1,1\nLH:3\nLF:4\nend_of_record\nSF:src/empty.rs\nLF:0\nLH:0\nend_of_record\n";
        let exists = |p: &str| p == "src/lib.rs";
        let got = parse_report(lcov, &exists).unwrap();
        assert_eq!(got.get("src/lib.rs"), Some(&75.0));
        assert_eq!(got.get("src/empty.rs"), Some(&100.0));
        let base = cov(&[("src/lib.rs", 90.0)]);
        let r = judge(
            true,
            "",
            Some(lcov),
            &base,
            &["src/lib.rs".into()],
            2.0,
            &exists,
        );
        assert_eq!(
            r.findings[0].message,
            "Coverage regression: src/lib.rs dropped from 90% to 75%"
        );
    }
}
