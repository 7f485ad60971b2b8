//! Test fixture: a gate written directly against the frozen `dgov:plugin@0.1.0` WIT (no
//! SDK), proving that a plugin built for an older compatible contract keeps loading and
//! running in a host that implements a newer one.

wit_bindgen::generate!({ world: "gate-plugin", path: "../../../wit/since_v0.1.0" });

use dgov::plugin::types::{GateContext, GateReport, GateSpec, Phase, PluginError, Verdict};

struct Legacy;

impl exports::dgov::plugin::gate::Guest for Legacy {
    fn describe() -> GateSpec {
        GateSpec {
            name: "legacy-gate".into(),
            description: "built against dgov:plugin@0.1.0".into(),
            phases: vec![Phase::Isolated],
        }
    }

    fn check(ctx: GateContext) -> Result<GateReport, PluginError> {
        // Uses a 0.1.0 capability so the import is really exercised.
        let first = ctx
            .changed
            .first()
            .map(|c| c.path.clone())
            .unwrap_or_default();
        let size = dgov::plugin::fs_read::read_file(&first)
            .map(|b| b.len())
            .unwrap_or(0);
        Ok(GateReport {
            verdict: Verdict::Pass,
            summary: format!("read {size} bytes of `{first}`"),
            findings: Vec::new(),
            fixes: Vec::new(),
            metrics_json: None,
        })
    }
}

#[cfg(target_arch = "wasm32")]
export!(Legacy);
