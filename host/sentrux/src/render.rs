//! Text output in the shape of sentrux's CLI (§5.4), for `dgov sentrux …` to print. JSON
//! output is the serde form of [`Report`], [`RulesOutcome`] and [`Comparison`].

use std::fmt::Write;

use crate::baseline::Comparison;
use crate::rules::{RulesOutcome, Severity};
use crate::scan::Report;

/// stderr text and exit code of `check` when `.sentrux/rules.toml` is missing or invalid.
pub const CHECK_NO_RULES_EXIT: u8 = 1;
/// Exit code of `gate` when the baseline is missing or unreadable.
pub const GATE_NO_BASELINE_EXIT: u8 = 1;

/// `sentrux check`: header, quality, then `✓ All rules pass` or the violations of
/// [`Report::rules`] (a report scanned without rules checks nothing and passes).
pub fn render_check_text(report: &Report) -> String {
    let empty = RulesOutcome {
        rules_checked: 0,
        violations: Vec::new(),
    };
    let outcome = report.rules.as_ref().unwrap_or(&empty);
    let mut s = String::new();
    let _ = writeln!(s, "sentrux check — {} rules checked", outcome.rules_checked);
    let _ = writeln!(s, "Quality: {}", report.quality);
    if outcome.passed() {
        let _ = writeln!(s, "✓ All rules pass");
        return s;
    }
    for v in &outcome.violations {
        let (mark, label) = match v.severity {
            Severity::Error => ("✗", "Error"),
            Severity::Warning => ("⚠", "Warning"),
        };
        let _ = writeln!(s, "{mark} [{label}] {}: {}", v.rule, v.message);
        for f in &v.files {
            let _ = writeln!(s, "    {f}");
        }
    }
    let _ = writeln!(s, "✗ {} violation(s) found", outcome.violations.len());
    s
}

/// `sentrux check` without a rules file (stderr text).
pub fn render_check_no_rules(root: &str) -> String {
    format!("No .sentrux/rules.toml found in {root}\n")
}

/// `sentrux gate --save`.
pub fn render_gate_save_text(baseline_path: &str, report: &Report) -> String {
    format!(
        "Baseline saved to {baseline_path}\nQuality: {}\nRun `dgov sentrux gate` after changes to check for structural regression.\n",
        report.quality
    )
}

/// `sentrux gate` without a usable baseline (stderr text).
pub fn render_gate_no_baseline(baseline_path: &str, error: &str) -> String {
    format!(
        "Failed to load baseline at {baseline_path}: {error}\nRun `dgov sentrux gate-save` first to create a baseline.\n"
    )
}

/// `sentrux gate`: the before → after table, then `✓ No degradation detected` or
/// `✗ DEGRADED` with one `  ✗ <violation>` line each.
pub fn render_gate_text(cmp: &Comparison) -> String {
    let mut s = String::new();
    let q = |x: f64| crate::quality::display(x);
    let _ = writeln!(s, "sentrux gate — structural regression check");
    let _ = writeln!(
        s,
        "Quality:      {} -> {}",
        q(cmp.quality_before),
        q(cmp.quality_after)
    );
    let _ = writeln!(
        s,
        "Coupling:     {:.2} → {:.2}",
        cmp.coupling_before, cmp.coupling_after
    );
    let _ = writeln!(
        s,
        "Cycles:       {} → {}",
        cmp.cycles_before, cmp.cycles_after
    );
    let _ = writeln!(
        s,
        "God files:    {} → {}",
        cmp.god_files_before, cmp.god_files_after
    );
    if cmp.degraded {
        let _ = writeln!(s, "✗ DEGRADED");
        for d in &cmp.degradations {
            let _ = writeln!(s, "  ✗ {}", d.message);
        }
    } else {
        let _ = writeln!(s, "✓ No degradation detected");
    }
    s
}

/// dgov's offender report: the top `limit` entries per category.
pub fn render_offenders_text(report: &Report, limit: usize) -> String {
    let mut s = String::new();
    let funcs = [
        (
            "Complex functions (cc > 15)",
            &report.complex_functions,
            "cc",
        ),
        (
            "Cognitive hotspots (cognitive > 15)",
            &report.cog_complex_functions,
            "cog",
        ),
        (
            "Long functions (> 50 lines)",
            &report.long_functions,
            "lines",
        ),
    ];
    for (title, list, metric) in funcs {
        let _ = writeln!(s, "{title}:");
        if list.is_empty() {
            let _ = writeln!(s, "  none");
        }
        for f in list.iter().take(limit) {
            let _ = writeln!(
                s,
                "  {}:{} {} ({metric}={})",
                f.file, f.line, f.func, f.value
            );
        }
        if list.len() > limit {
            let _ = writeln!(s, "  ... and {} more", list.len() - limit);
        }
    }
    let _ = writeln!(s, "Cycles:");
    if report.cycles.is_empty() {
        let _ = writeln!(s, "  none");
    }
    for c in report.cycles.iter().take(limit) {
        let _ = writeln!(s, "  {}", c.join(" -> "));
    }
    let _ = writeln!(s, "God files:");
    if report.god_files.is_empty() {
        let _ = writeln!(s, "  none");
    }
    for g in report.god_files.iter().take(limit) {
        let _ = writeln!(s, "  {} (fan-out={})", g.path, g.value);
    }
    s
}
