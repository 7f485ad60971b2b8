//! Building findings and reports.

use crate::types::{Finding, GateReport, Location, Severity, Verdict};

impl Finding {
    fn new(severity: Severity, code: &str, message: &str) -> Finding {
        Finding {
            code: code.to_owned(),
            severity,
            message: message.to_owned(),
            locations: Vec::new(),
            attributable: true,
            evidence_json: None,
        }
    }

    /// An error attributable to the change under review.
    pub fn error(code: &str, message: &str) -> Finding {
        Finding::new(Severity::Error, code, message)
    }

    /// A warning attributable to the change under review.
    pub fn warning(code: &str, message: &str) -> Finding {
        Finding::new(Severity::Warning, code, message)
    }

    /// Information only.
    pub fn info(code: &str, message: &str) -> Finding {
        Finding::new(Severity::Info, code, message)
    }

    /// Point the finding at `path`, line `line` (1-based).
    pub fn at(mut self, path: &str, line: u32) -> Finding {
        self.locations.push(Location {
            path: path.to_owned(),
            line: Some(line),
            end_line: None,
            column: None,
            symbol: None,
        });
        self
    }

    /// Point the finding at a whole file.
    pub fn in_file(mut self, path: &str) -> Finding {
        self.locations.push(Location {
            path: path.to_owned(),
            line: None,
            end_line: None,
            column: None,
            symbol: None,
        });
        self
    }

    /// Mark the finding as pre-existing: it was there before this change.
    pub fn pre_existing(mut self) -> Finding {
        self.attributable = false;
        self
    }

    /// Attach structured evidence.
    pub fn with_evidence(mut self, evidence: serde_json::Value) -> Finding {
        self.evidence_json = Some(evidence.to_string());
        self
    }
}

impl GateReport {
    /// A passing report with a summary.
    pub fn pass(summary: &str) -> GateReport {
        GateReport {
            verdict: Verdict::Pass,
            summary: summary.to_owned(),
            findings: Vec::new(),
            fixes: Vec::new(),
            metrics_json: None,
        }
    }

    /// The usual verdict for a list of findings: `fail` if any attributable error, `warn` if
    /// any attributable warning, else `pass`. Pre-existing findings are reported but do not
    /// decide the verdict.
    pub fn from_findings(findings: Vec<Finding>) -> GateReport {
        let attributable = |s: Severity| findings.iter().any(|f| f.attributable && f.severity == s);
        let (verdict, summary) = if attributable(Severity::Error) {
            let n = findings
                .iter()
                .filter(|f| f.attributable && f.severity == Severity::Error)
                .count();
            (Verdict::Fail, format!("{n} error(s)"))
        } else if attributable(Severity::Warning) {
            (Verdict::Warn, "warnings only".to_owned())
        } else {
            (Verdict::Pass, "no problems".to_owned())
        };
        GateReport {
            verdict,
            summary,
            findings,
            fixes: Vec::new(),
            metrics_json: None,
        }
    }
}
