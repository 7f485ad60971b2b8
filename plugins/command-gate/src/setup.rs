//! The setup gate: `[project].setup_cmd`, run first in validation (installing dependencies,
//! generating code) with its own fixed timeout (spec §1.3 step 1).

use dgov_sdk::gate::*;

use crate::RunResult;

/// The setup timeout when the policy sets none: setup installs things, so it gets far more
/// than `settlement_timeout`.
pub const SETUP_TIMEOUT_S: u32 = 300;

/// Judge a finished setup command: exit 0 passes; a failure keeps the last 500 characters.
pub fn judge(command: &str, run: &RunResult, timeout_s: u32) -> GateReport {
    if !run.timed_out && run.exit == Some(0) {
        return GateReport::pass(&format!("setup: `{command}` passed"));
    }
    let msg = if run.timed_out {
        format!("setup_cmd timed out after {timeout_s}s")
    } else {
        format!("setup_cmd failed:\n{}", crate::tail(&run.output, 500))
    };
    let mut report = GateReport::from_findings(vec![Finding::error("setup_failed", &msg)]);
    report.summary = match (run.timed_out, run.exit) {
        (true, _) => format!("setup: `{command}` timed out after {timeout_s}s"),
        (false, Some(c)) => format!("setup: `{command}` exited with {c}"),
        (false, None) => format!("setup: `{command}` was killed by a signal"),
    };
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(exit: Option<i32>, timed_out: bool, output: &str) -> RunResult {
        RunResult {
            exit,
            timed_out,
            output: output.into(),
        }
    }

    #[test]
    fn setup_failures_keep_the_last_500_characters() {
        assert_eq!(
            judge("make deps", &run(Some(0), false, "ok"), 300).verdict,
            Verdict::Pass
        );
        let long = format!("{}END", "x".repeat(1000));
        let r = judge("make deps", &run(Some(2), false, &long), 300);
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.findings[0].code, "setup_failed");
        let m = &r.findings[0].message;
        assert!(
            m.starts_with("setup_cmd failed:\n") && m.ends_with("xEND"),
            "{m}"
        );
        assert_eq!(m.len(), "setup_cmd failed:\n".len() + 500);
        assert!(r.summary.contains("exited with 2"));
    }

    #[test]
    fn a_setup_timeout_names_the_timeout() {
        let r = judge("make deps", &run(None, true, "partial"), 300);
        assert_eq!(r.findings[0].message, "setup_cmd timed out after 300s");
    }
}
