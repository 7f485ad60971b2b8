//! `sentrux-gate`: dgov's settlement gate for architecture degradation (spec §3.1).
//!
//! The host injects the governor's baseline (read from the session root's
//! `.sentrux/baseline.json`, never from the tree under review) as `config.baseline`. The
//! gate scans the tree under review (every source file, facts from the host's `syntax`
//! capability), compares it with the baseline, and fails only on degradations caused by
//! the change's files: a cycle, god file or complex function that involves a changed file.
//! Whole-tree drops (quality, coupling) and degradations elsewhere are pre-existing
//! warnings, so a trivial task that lowers the global signal passes.

use dgov_sdk::gate::*;
use dgov_sentrux::{Baseline, Comparison, compare};
use dgov_syntax::{FileFacts, Language};

/// The gate's judgement on a comparison (pure; natively testable). `None` comparison means
/// the gate is disabled.
pub fn judge(cmp: Option<&Comparison>) -> GateReport {
    let Some(cmp) = cmp else {
        let mut r = GateReport::pass("no sentrux baseline: architecture gate disabled");
        r.verdict = Verdict::Skip;
        return r;
    };
    let findings: Vec<Finding> = cmp
        .degradations
        .iter()
        .map(|d| {
            let mut f = if d.attributable == Some(true) {
                Finding::error("sentrux-degradation", &d.message)
            } else {
                Finding::warning("sentrux-degradation", &d.message).pre_existing()
            };
            for file in &d.files {
                f = f.in_file(file);
            }
            f
        })
        .collect();
    let mut report = GateReport::from_findings(findings);
    report.summary = match report.verdict {
        Verdict::Fail => "architecture degraded by this change".into(),
        _ if cmp.degraded => {
            "architecture degraded, but not by the files this change touched".into()
        }
        _ => "no architecture degradation".into(),
    };
    report.metrics_json = serde_json::to_string(cmp).ok();
    report
}

/// Parse `config.baseline` (a baseline document, or null/absent).
pub fn baseline_of(config: &serde_json::Value) -> Result<Option<Baseline>, PluginError> {
    match config.get("baseline") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => Baseline::from_json(&v.to_string())
            .map(Some)
            .map_err(|e| PluginError::InvalidInput(format!("config.baseline: {e}"))),
    }
}

struct SentruxGate;

impl Gate for SentruxGate {
    fn describe() -> GateSpec {
        GateSpec::new(
            "sentrux",
            "fails a change only on architecture degradation (cycles, god files, complex functions) in the files it touched",
            &[Phase::Candidate, Phase::Isolated],
        )
    }

    fn check(ctx: GateContext) -> Result<GateReport, PluginError> {
        let config: serde_json::Value =
            serde_json::from_str(if ctx.config_json.trim().is_empty() {
                "{}"
            } else {
                &ctx.config_json
            })
            .map_err(|e| PluginError::InvalidInput(format!("configuration: {e}")))?;
        // A baseline of an empty project makes any real code look degraded.
        let Some(base) = baseline_of(&config)?.filter(|b| b.total_import_edges > 0) else {
            return Ok(judge(None));
        };
        let paths = host::walk("").map_err(|e| PluginError::Failed(e.message))?;
        let mut files: Vec<(String, FileFacts)> = Vec::new();
        for p in paths {
            if Language::from_path(&p).is_none() || p.starts_with(".dgov/") {
                continue;
            }
            if let Ok(f) = host::facts(&p) {
                files.push((p, f));
            }
        }
        let report = dgov_sentrux::scan(&files, None);
        let changed: Vec<String> = ctx
            .changed
            .iter()
            .flat_map(|c| std::iter::once(c.path.clone()).chain(c.old_path.clone()))
            .collect();
        Ok(judge(Some(&compare(&base, &report, Some(&changed)))))
    }
}

dgov_sdk::export_gate!(SentruxGate);

#[cfg(test)]
mod tests {
    use super::*;
    use dgov_sentrux::{Degradation, DegradationKind};

    fn cmp(degs: Vec<Degradation>) -> Comparison {
        Comparison {
            quality_before: 0.7,
            quality_after: 0.6,
            coupling_before: 0.0,
            coupling_after: 0.0,
            cycles_before: 0,
            cycles_after: 1,
            god_files_before: 0,
            god_files_after: 0,
            complex_before: 0,
            complex_after: 0,
            legacy_baseline: false,
            degraded: !degs.is_empty(),
            degradations: degs,
        }
    }

    fn deg(kind: DegradationKind, attributable: bool) -> Degradation {
        Degradation {
            kind,
            message: format!("{kind:?}"),
            files: if attributable {
                vec!["b.py".into()]
            } else {
                vec![]
            },
            attributable: Some(attributable),
        }
    }

    #[test]
    fn only_attributable_degradation_fails() {
        let fail = judge(Some(&cmp(vec![deg(
            DegradationKind::CyclesIncreased,
            true,
        )])));
        assert_eq!(fail.verdict, Verdict::Fail);
        let global = judge(Some(&cmp(vec![deg(
            DegradationKind::QualityDropped,
            false,
        )])));
        assert_eq!(global.verdict, Verdict::Pass, "{}", global.summary);
        assert_eq!(global.findings.len(), 1);
        assert!(!global.findings[0].attributable);
        assert_eq!(judge(Some(&cmp(vec![]))).verdict, Verdict::Pass);
        assert_eq!(judge(None).verdict, Verdict::Skip);
    }

    #[test]
    fn baseline_config_is_parsed_or_refused() {
        assert!(baseline_of(&serde_json::json!({})).unwrap().is_none());
        assert!(
            baseline_of(&serde_json::json!({"baseline": null}))
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            baseline_of(&serde_json::json!({"baseline": "nope"})),
            Err(PluginError::InvalidInput(_))
        ));
    }
}
