//! The built secret-gate component, run by dgov's real plugin runtime against a fixture
//! change (`tests/fixtures/before` → `tests/fixtures/after`).

use dgov_plugin_test::{GateCase, Harness, Verdict};

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn rejects_an_added_access_key_with_its_location() {
    let gate = Harness::new().load_crate(env!("CARGO_MANIFEST_DIR"));
    let case = GateCase::from_dirs(fixtures().join("before"), fixtures().join("after"));
    // only the changed file, with the two added lines, is under review
    assert_eq!(case.context().changed.len(), 1);
    let report = case.run(&gate);
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let finding = &report.findings[0];
    assert_eq!(finding.code, "pattern-added");
    assert_eq!(finding.locations[0].path, "src/config.py");
    assert_eq!(finding.locations[0].line, Some(3));
}

#[test]
fn configured_patterns_replace_the_defaults() {
    let gate = Harness::new().load_crate(env!("CARGO_MANIFEST_DIR"));
    let report = GateCase::from_dirs(fixtures().join("before"), fixtures().join("after"))
        .config(serde_json::json!({ "patterns": ["TODO"] }))
        .run(&gate);
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].locations[0].line, Some(7));
}

#[test]
fn unchanged_or_clean_changes_pass() {
    let gate = Harness::new().load_crate(env!("CARGO_MANIFEST_DIR"));
    let report = GateCase::new()
        .added_file("src/ok.rs", "fn main() {}\n")
        .run(&gate);
    assert_eq!(report.verdict, Verdict::Pass);
}

#[test]
fn a_bad_pattern_is_an_input_error_not_a_crash() {
    let gate = Harness::new().load_crate(env!("CARGO_MANIFEST_DIR"));
    let out = GateCase::new()
        .added_file("a.txt", "x\n")
        .config(serde_json::json!({ "patterns": ["("] }))
        .try_run(&gate)
        .expect("the plugin completes");
    assert!(
        matches!(out, Err(dgov_plugin_test::PluginError::InvalidInput(_))),
        "{out:?}"
    );
}
