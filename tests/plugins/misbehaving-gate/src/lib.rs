//! Test fixture gate for settlement: `{"mode": "pass" | "fail" | "preexisting" | "trap" |
//! "spin"}` decides what `check` does, so tests can prove a trapping or runaway gate becomes
//! an `error` verdict that the repository's policy decides on, and that a failure made only
//! of pre-existing findings does not block unless policy says so. Not shipped.

use dgov_sdk::gate::*;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Config {
    pub mode: String,
}

pub struct Misbehaving;

impl Gate for Misbehaving {
    fn describe() -> GateSpec {
        GateSpec::new("misbehaving-gate", "test fixture", &[Phase::Isolated])
    }

    fn check(ctx: GateContext) -> Result<GateReport, PluginError> {
        let c: Config = config(&ctx)?;
        match c.mode.as_str() {
            "fail" => Ok(GateReport::from_findings(vec![Finding::error(
                "fixture-fail",
                "configured to fail",
            )])),
            "preexisting" => {
                // A gate that fails on problems it says the task did not cause.
                let mut r = GateReport::from_findings(vec![
                    Finding::error("fixture-old", "was already broken").pre_existing(),
                ]);
                r.verdict = Verdict::Fail;
                r.summary = "fails on a pre-existing problem".into();
                Ok(r)
            }
            "trap" => panic!("fixture gate configured to trap"),
            "spin" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            _ => Ok(GateReport::pass("configured to pass")),
        }
    }
}

dgov_sdk::export_gate!(Misbehaving);
