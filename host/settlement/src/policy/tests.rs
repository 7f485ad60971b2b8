//! The policy reader: defaults derived from `[project]`, `[settlement]` entries parsed and
//! merged onto them, and the errors a bad table gets.

use super::*;

fn cfg_with(settlement: &str) -> ProjectConfig {
    let mut cfg = ProjectConfig::default();
    cfg.project.test_cmd = "cargo test -q".into();
    cfg.project.lint_cmd = "cargo clippy".into();
    if !settlement.is_empty() {
        let t: toml::Table = settlement.parse().unwrap();
        cfg.settlement = t.get("settlement").and_then(|s| s.as_table()).cloned();
    }
    cfg
}

fn gates(p: &Policy, phase: PhaseName) -> Vec<&str> {
    p.gates(phase).iter().map(|g| g.gate.as_str()).collect()
}

#[test]
fn defaults_use_only_the_commands_the_project_sets() {
    let p = from_config(&cfg_with(""), &["test_cmd".into()]).unwrap();
    assert_eq!(gates(&p, PhaseName::Structural), ["scope"]);
    assert_eq!(gates(&p, PhaseName::Isolated), ["tests"]);
    assert_eq!(gates(&p, PhaseName::Semantic), ["semantic"]);
    // The sentrux gate always runs on the candidate (it skips without a baseline).
    assert_eq!(gates(&p, PhaseName::Candidate), ["tests", "sentrux"]);
    let t = &p.gates(PhaseName::Isolated)[0];
    assert_eq!(t.config["command"], "cargo test -q");
    assert_eq!(t.config["pass_codes"], serde_json::json!([0, 5]));
    assert!(t.default && t.on_fail == OnFail::Reject);
    // Nothing set explicitly: the original's Python defaults are not run.
    let p = from_config(&cfg_with(""), &[]).unwrap();
    assert!(p.gates(PhaseName::Isolated).is_empty());
}

#[test]
fn configured_phases_replace_defaults_and_merge_gate_config() {
    let p = from_config(
        &cfg_with(
            r#"
[settlement]
cache = false
[[settlement.phase.isolated]]
gate = ".dgov/plugins/no-secrets.wasm"
on_fail = "warn"
config = { patterns = ["x"] }
[[settlement.phase.isolated]]
gate = "tests"
timeout_s = 5
config = { command = "make check" }
[settlement.phase]
candidate = []
"#,
        ),
        &["test_cmd".into()],
    )
    .unwrap();
    assert!(!p.cache);
    assert_eq!(
        gates(&p, PhaseName::Isolated),
        [".dgov/plugins/no-secrets.wasm", "tests"]
    );
    let g = &p.gates(PhaseName::Isolated)[0];
    assert_eq!((g.on_fail, g.on_error), (OnFail::Warn, OnFail::Warn));
    assert_eq!(g.config["patterns"], serde_json::json!(["x"]));
    let t = &p.gates(PhaseName::Isolated)[1];
    assert_eq!(t.config["command"], "make check");
    assert_eq!(t.config["kind"], "tests");
    // A command gate's timeout_s is its command's timeout; the deadline follows it.
    assert_eq!(
        (t.timeout_s, &t.config["timeout_s"]),
        (None, &serde_json::json!(5))
    );
    assert!(p.gates(PhaseName::Candidate).is_empty());
    assert_eq!(gates(&p, PhaseName::Structural), ["scope"]);
}

#[test]
fn a_tasks_own_test_command_runs_before_the_projects_and_only_once() {
    let p = from_config(&cfg_with(""), &["test_cmd".into()]).unwrap();
    let t = p.with_task_tests("pytest tests/test_api.py");
    for phase in [PhaseName::Isolated, PhaseName::Candidate] {
        let names = gates(&t, phase);
        let at = names.iter().position(|g| *g == "task-tests").unwrap();
        assert_eq!(names[at + 1], "tests", "{names:?}");
        let e = &t.gates(phase)[at];
        assert_eq!(e.config["command"], "pytest tests/test_api.py");
        // Configured like the project's tests gate (targeting, pass codes).
        assert_eq!(e.config["pass_codes"], serde_json::json!([0, 5]));
    }
    // The project's own command adds nothing.
    assert_eq!(p.with_task_tests("cargo test -q"), p);
    // A project without tests: the task's tests still run, in isolation.
    let none = from_config(&cfg_with(""), &[]).unwrap();
    let t = none.with_task_tests("make test");
    assert_eq!(gates(&t, PhaseName::Isolated), ["task-tests"]);
    assert_eq!(t.gates(PhaseName::Isolated)[0].config["kind"], "tests");
    assert!(
        gates(&t, PhaseName::Candidate)
            .iter()
            .all(|g| *g != "task-tests")
    );
}

#[test]
fn errors_name_the_key_and_what_to_do() {
    let err = |s: &str| from_config(&cfg_with(s), &[]).unwrap_err().to_string();
    let e = err("[settlement]\ncahce = true\n");
    assert!(e.contains("project.toml") && e.contains("cahce"), "{e}");
    let e = err("[[settlement.phase.isolated]]\ngate = \"x\"\non_fail = \"maybe\"\n");
    assert!(e.contains("settlement.phase.isolated[0].on_fail"), "{e}");
    let e = err("[[settlement.phase.later]]\ngate = \"x\"\n");
    assert!(e.contains("unknown phase"), "{e}");
    let e = err("[[settlement.phase.isolated]]\non_fail = \"warn\"\n");
    assert!(e.contains("`gate`"), "{e}");
    let e = err("[[settlement.phase.isolated]]\ngate = \"task-tests\"\n");
    assert!(e.contains("per task"), "{e}");
    let e = err("[[settlement.phase.isolated]]\ngate = \"typecheck\"\n");
    assert!(e.contains("type_check_cmd"), "{e}");
}

#[test]
fn a_python_project_gets_the_python_fixer_between_lint_fix_and_format() {
    let mut cfg = cfg_with("");
    cfg.project.format_cmd = "ruff format {file}".into();
    cfg.project.lint_fix_cmd = "ruff check --fix {file}".into();
    cfg.project.line_length = 88;
    // `language` defaults to python, but only a project that says so gets the fixer.
    let p = from_config(&cfg, &["format_cmd".into()]).unwrap();
    assert_eq!(gates(&p, PhaseName::Prepare), ["format-fix"]);
    let explicit = ["language".into(), "format_cmd".into()];
    let p = from_config(&cfg, &explicit).unwrap();
    assert_eq!(gates(&p, PhaseName::Prepare), ["python-fix", "format-fix"]);
    let fix = &p.gates(PhaseName::Prepare)[0];
    assert_eq!(fix.config, serde_json::json!({"line_length": 88}));
    assert_eq!((fix.on_fail, fix.on_error), (OnFail::Warn, OnFail::Warn));
    let explicit = [
        "language".into(),
        "format_cmd".into(),
        "lint_fix_cmd".into(),
    ];
    let p = from_config(&cfg, &explicit).unwrap();
    assert_eq!(
        gates(&p, PhaseName::Prepare),
        ["lint-fix", "python-fix", "format-fix"]
    );
    cfg.project.language = "rust".into();
    let p = from_config(&cfg, &["language".into()]).unwrap();
    assert!(gates(&p, PhaseName::Prepare).is_empty());
    // Like the command fixers it edits files, so it belongs in prepare only.
    let e = from_config(
        &cfg_with("[[settlement.phase.isolated]]\ngate = \"python-fix\"\n"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("belongs in [[settlement.phase.prepare]]"), "{e}");
    let p = from_config(
        &cfg_with("[[settlement.phase.prepare]]\ngate = \"python-fix\"\nconfig = { wrap_comments = false }\n"),
        &[],
    )
    .unwrap();
    let fix = &p.gates(PhaseName::Prepare)[0];
    assert_eq!(fix.on_fail, OnFail::Warn);
    assert_eq!(
        fix.config,
        serde_json::json!({"line_length": 99, "wrap_comments": false})
    );
}

#[test]
fn prepare_runs_lint_fix_then_format_fix_only_when_the_project_sets_them() {
    let mut cfg = cfg_with("");
    cfg.project.format_cmd = "sh fmt.sh {file}".into();
    cfg.project.lint_fix_cmd = "ruff check --fix {file}".into();
    // Set in the config object but not written in project.toml: the original's Python
    // defaults are not run.
    let p = from_config(&cfg, &[]).unwrap();
    assert!(p.gates(PhaseName::Prepare).is_empty());
    let p = from_config(&cfg, &["format_cmd".into()]).unwrap();
    assert_eq!(gates(&p, PhaseName::Prepare), ["format-fix"]);
    let explicit = ["format_cmd".into(), "lint_fix_cmd".into()];
    let p = from_config(&cfg, &explicit).unwrap();
    assert_eq!(gates(&p, PhaseName::Prepare), ["lint-fix", "format-fix"]);
    let f = &p.gates(PhaseName::Prepare)[1];
    assert_eq!(f.config["command"], "sh fmt.sh {file}");
    assert_eq!(f.config["extensions"], serde_json::json!([".py"]));
    assert_eq!((f.on_fail, f.on_error), (OnFail::Warn, OnFail::Warn));
    // The phase sits between structural and isolated.
    let order: Vec<&str> = PhaseName::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(order[..3], ["structural", "prepare", "isolated"]);
    assert!(PhaseName::Structural < PhaseName::Prepare && PhaseName::Prepare < PhaseName::Isolated);
    // Configured explicitly: on_fail may be set, and a fixer elsewhere is refused.
    let mut cfg = cfg_with(
        "[[settlement.phase.prepare]]\ngate = \"format-fix\"\non_fail = \"reject\"\nconfig = { command = \"black {file}\" }\n",
    );
    cfg.project.source_extensions = vec![".rs".into()];
    let p = from_config(&cfg, &[]).unwrap();
    let f = &p.gates(PhaseName::Prepare)[0];
    assert_eq!((f.on_fail, f.on_error), (OnFail::Reject, OnFail::Reject));
    assert_eq!(f.config["command"], "black {file}");
    assert_eq!(f.config["extensions"], serde_json::json!([".rs"]));
    let e = from_config(
        &cfg_with("[[settlement.phase.isolated]]\ngate = \"format-fix\"\n"),
        &["format_cmd".into()],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("settlement.phase.prepare"), "{e}");
    let e = from_config(
        &cfg_with("[[settlement.phase.prepare]]\ngate = \"lint-fix\"\n"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("lint_fix_cmd"), "{e}");
}
