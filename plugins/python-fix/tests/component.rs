//! The built python-fix component, run by dgov's real plugin runtime.

use dgov_plugin_host::bindings::Fix;
use dgov_plugin_test::{GateCase, Harness, Phase, PluginError, Verdict};

#[test]
fn an_added_python_file_needing_b904_gets_a_replace_file_fix() {
    let gate = Harness::new().load_crate(env!("CARGO_MANIFEST_DIR"));
    let report = GateCase::new()
        .added_file(
            "app/load.py",
            "def load(path):\n    try:\n        return open(path).read()\n    except OSError as exc:\n        raise LoadError(f\"cannot read {path}\")\n",
        )
        .added_file("README.md", "# not python\n")
        .phase(Phase::Prepare)
        .run(&gate);
    assert_eq!(report.verdict, Verdict::Pass);
    assert_eq!(report.fixes.len(), 1, "{:?}", report.fixes);
    let Fix::ReplaceFile(file) = &report.fixes[0] else {
        panic!("expected a whole-file fix: {:?}", report.fixes[0]);
    };
    assert_eq!(file.path, "app/load.py");
    assert_eq!(
        String::from_utf8(file.content.clone()).unwrap(),
        "def load(path):\n    try:\n        return open(path).read()\n    except OSError as exc:\n        raise LoadError(f\"cannot read {path}\") from exc\n"
    );
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].code, "b904");
}

#[test]
fn no_python_change_is_a_skip_and_bad_config_an_input_error() {
    let gate = Harness::new().load_crate(env!("CARGO_MANIFEST_DIR"));
    let report = GateCase::new()
        .added_file("a.rs", "fn main() {}\n")
        .run(&gate);
    assert_eq!(report.verdict, Verdict::Skip);
    let out = GateCase::new()
        .added_file("a.py", "x = 1\n")
        .config(serde_json::json!({ "line_length": "wide" }))
        .try_run(&gate)
        .expect("the plugin completes");
    assert!(
        matches!(&out, Err(PluginError::InvalidInput(m)) if m.contains("line_length")),
        "{out:?}"
    );
}
