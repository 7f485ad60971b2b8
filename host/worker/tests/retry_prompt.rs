//! What a retry attempt's worker is told: the rejection, every finding of the gate that
//! blocked (read from the settlement evidence file), and whether its previous work is still
//! in the worktree.

use std::collections::BTreeMap;

use dgov_runner::RetryContext;
use dgov_worker::prompt::user_message;
use dgov_worker::spec::{AttemptSpec, Claims, PolicySpec, ProviderSpec};
use dgov_worker::subprocess::retry_context;

fn spec(context: Option<String>, in_place: bool) -> AttemptSpec {
    AttemptSpec {
        plan: "p".into(),
        task: "t".into(),
        attempt: 2,
        root: ".".into(),
        worktree: ".".into(),
        prompt: "Add the endpoint.".into(),
        model: "m".into(),
        provider: ProviderSpec {
            name: "x".into(),
            base_url: "http://127.0.0.1:9".into(),
            api_key_env: "K".into(),
        },
        claims: Claims::default(),
        test_cmd: String::new(),
        test_targets: vec![],
        policy: PolicySpec::default(),
        exec_allow: vec![],
        language: "text".into(),
        src_dir: "src/".into(),
        test_dir: "tests/".into(),
        conventions: BTreeMap::new(),
        iteration_budget: 10,
        warn_at: 8,
        tree_max_lines: 80,
        charter: None,
        retry_context: context,
        retry_in_place: in_place,
        record_to: None,
        request_timeout_s: 5,
        shell_timeout_ms: 60_000,
        require_tests_before_done: false,
        role: Default::default(),
        dependency_changes: Vec::new(),
    }
}

#[test]
fn the_retry_context_lists_every_finding_of_the_blocking_gates_with_locations() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("t-a1.settlement.json");
    let findings: Vec<serde_json::Value> = (1..=45)
        .map(|i| {
            serde_json::json!({"code": "lint", "severity": "error", "message": format!("unused variable x{i}"),
                "locations": [{"path": "src/a.rs", "line": i}], "attributable": true})
        })
        .collect();
    std::fs::write(
        &evidence,
        serde_json::json!({"gates": [
            {"gate": "scope", "blocking": false, "findings": [{"code": "ok", "message": "not shown", "locations": []}]},
            {"gate": "lint", "blocking": true, "findings": findings},
        ]})
        .to_string(),
    )
    .unwrap();
    let text = retry_context(&RetryContext {
        previous_attempt: 1,
        reason: "settlement rejected: lint: 45 findings".into(),
        in_place: true,
        evidence: Some(evidence),
    });
    assert!(
        text.starts_with("settlement rejected: lint: 45 findings"),
        "{text}"
    );
    assert!(
        text.contains("- [lint] lint: unused variable x1 at src/a.rs:1"),
        "{text}"
    );
    assert!(
        text.contains("unused variable x40 at src/a.rs:40"),
        "{text}"
    );
    assert!(!text.contains("x41 "), "capped at 40: {text}");
    assert!(text.contains("… and 5 more"), "{text}");
    assert!(!text.contains("not shown"), "passing gates are not listed");
    // No evidence file: the reason alone.
    let text = retry_context(&RetryContext {
        previous_attempt: 1,
        reason: "worker exited 1".into(),
        in_place: false,
        evidence: Some(dir.path().join("missing.json")),
    });
    assert_eq!(text, "worker exited 1");
}

#[test]
fn an_in_place_retry_is_told_its_work_is_still_there_and_a_fresh_one_to_redo_it() {
    let m = user_message(&spec(Some("tests_failed: boom".into()), true));
    assert!(
        m.contains("REJECTED BY SETTLEMENT") && m.contains("tests_failed: boom"),
        "{m}"
    );
    assert!(
        m.contains("still in the worktree") && m.contains("do not start over"),
        "{m}"
    );
    assert!(m.ends_with("Add the endpoint."), "{m}");
    let m = user_message(&spec(Some("worker exited 1".into()), false));
    assert!(m.contains("starts from the target branch again"), "{m}");
    assert_eq!(user_message(&spec(None, false)), "Add the endpoint.");
}
