//! `.dgov/project.toml` loading: every key, defaults, type errors with lines, unknown-key
//! warnings, reserved tables kept raw.

use std::path::Path;

use dgov_plan::config::parse_project_config;

const FULL: &str = r#"
[project]
language = "rust"
src_dir = "crates/"
test_dir = "crates/"
provider = "fw"
default_agent = "big"
test_cmd = "cargo test"
lint_cmd = "cargo clippy"
format_cmd = "cargo fmt"
lint_fix_cmd = "cargo clippy --fix"
format_check_cmd = "cargo fmt --check"
type_check_cmd = ""
test_markers = ["unit"]
worker_iteration_budget = 75
worker_iteration_warn_at = 60
worker_tree_max_lines = 0
line_length = 100
source_extensions = [".rs"]
bootstrap_timeout = 600
settlement_timeout = 240
review_hooks = ["! grep -n SECRET {files}"]
setup_cmd = "cargo fetch"
coverage_cmd = "cargo llvm-cov --json --output-path {output}"
coverage_threshold = 1

[providers.fw]
base_url = "https://api.example.com/v1"
api_key_env = "FW_KEY"
default_agent = "router-model"

[agents]
big = "vendor/big-model"

[conventions]
naming = "snake_case"
max_fn_lines = 40

[tool_policy]
restrict_run_bash = true
require_wrapped_verify_tools = true
require_uv_run = false
deny_shell_file_mutations = true
deny_shell_commands = ["pip"]

[scope]
ignore_files = [" target/ ", "", ".venv"]
allow_files = ["crates/"]
deny_files = ["secrets/"]

[departments]
web = ["web/**"]
core = ["crates/**"]

[verify.clippy]
command = "cargo clippy"
description = "lint"
log_name = "clippy.log"
parser = "cargo"

[sentrux]
mode = "strict"
stale_days = 3

[settlement]
gates = ["scope", "tests"]
"#;

#[test]
fn every_key_of_the_original_loads_typed() {
    let (cfg, diags) = parse_project_config(Path::new("project.toml"), FULL);
    assert!(diags.is_empty(), "{diags:?}");
    let p = &cfg.project;
    assert_eq!(p.language, "rust");
    assert_eq!(p.src_dir, "crates/");
    assert_eq!(p.provider, "fw");
    assert_eq!(p.default_agent, "big");
    assert_eq!(p.type_check_cmd, None, "empty type_check_cmd means none");
    assert_eq!(p.test_markers, vec!["unit"]);
    assert_eq!(
        (
            p.worker_iteration_budget,
            p.worker_iteration_warn_at,
            p.worker_tree_max_lines
        ),
        (75, 60, 0)
    );
    assert_eq!(
        (p.line_length, p.bootstrap_timeout, p.settlement_timeout),
        (100, 600, 240)
    );
    assert_eq!(p.review_hooks.len(), 1);
    assert_eq!(p.setup_cmd.as_deref(), Some("cargo fetch"));
    assert!(p.coverage_cmd.as_deref().unwrap().contains("{output}"));
    assert_eq!(
        p.coverage_threshold, 1.0,
        "integers are accepted for floats"
    );
    assert_eq!(cfg.providers["fw"].api_key_env, "FW_KEY");
    assert_eq!(cfg.resolve_agent_alias("big"), "vendor/big-model");
    assert_eq!(cfg.conventions["max_fn_lines"], "40");
    assert!(cfg.tool_policy.restrict_run_bash && cfg.tool_policy.deny_shell_file_mutations);
    assert_eq!(
        cfg.scope.ignore_files,
        vec![".venv", "uv.lock", "__pycache__", "*.pyc", "target/"]
    );
    assert_eq!(
        cfg.departments
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        vec!["web", "core"],
        "file order kept"
    );
    assert_eq!(cfg.verify["clippy"].log_name, "clippy.log");
    assert_eq!(
        cfg.sentrux.as_ref().unwrap()["mode"].as_str(),
        Some("strict")
    );
    assert_eq!(
        cfg.settlement.as_ref().unwrap()["gates"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn missing_file_gives_the_original_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, diags) = dgov_plan::load_project_config(dir.path()).unwrap();
    assert!(diags.is_empty());
    assert_eq!(cfg.path, None);
    assert_eq!(cfg.project.language, "python");
    assert_eq!(
        cfg.project.test_cmd,
        "python -m pytest {test_dir} -q --tb=short"
    );
    assert_eq!(cfg.project.worker_iteration_budget, 50);
    assert_eq!(cfg.project.coverage_threshold, 2.0);
}

#[test]
fn wrong_type_is_an_error_naming_key_path_and_line() {
    let text = "[project]\nlanguage = \"go\"\nline_length = \"wide\"\n";
    let (_, diags) = parse_project_config(Path::new("p.toml"), text);
    assert_eq!(diags.len(), 1);
    let d = &diags[0];
    assert!(d.is_error());
    assert_eq!(d.line, Some(3));
    assert!(
        d.message
            .contains("`project.line_length` must be a non-negative integer, found a string"),
        "{}",
        d.message
    );
}

#[test]
fn unknown_keys_warn_and_reserved_tables_do_not() {
    let text = "[project]\nlangauge = \"go\"\n[settlement]\nanything = 1\n[sentrux]\nmode = \"diff\"\n[extra]\n";
    let (cfg, diags) = parse_project_config(Path::new("p.toml"), text);
    let mut msgs: Vec<(bool, Option<u32>, String)> = diags
        .iter()
        .map(|d| (d.is_error(), d.line, d.message.clone()))
        .collect();
    msgs.sort();
    assert_eq!(
        msgs,
        vec![
            (false, Some(2), "unknown key `project.langauge`".to_string()),
            (false, Some(7), "unknown key `extra`".to_string()),
        ]
    );
    assert!(diags.iter().any(|d| {
        d.hint
            .as_deref()
            .is_some_and(|h| h.contains("did you mean `language`"))
    }));
    assert!(cfg.settlement.is_some());
}

#[test]
fn ignore_entries_may_not_shadow_reserved_paths() {
    let text = "[scope]\nignore_files = [\"*.json\"]\n";
    let (_, diags) = parse_project_config(Path::new("p.toml"), text);
    assert!(
        diags.iter().any(|d| d
            .message
            .contains("'*.json' would match '.sentrux/baseline.json'")),
        "{diags:?}"
    );
    // Judged by the scope gate's own ignore rule: a directory-name entry hides what is
    // inside any directory of that name.
    let (_, diags) = parse_project_config(
        Path::new("p.toml"),
        "[scope]\nignore_files = [\".coverage-baseline/\", \"state.db\"]\n",
    );
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m
                .contains("'.coverage-baseline/' would match '.coverage-baseline/coverage.json'")),
        "{messages:?}"
    );
    // An exact path matches only itself: `state.db` is not `.dgov/state.db`.
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (_, ok) = parse_project_config(
        Path::new("p.toml"),
        "[scope]\nignore_files = [\"*.log\", \"node_modules/\"]\n",
    );
    assert!(ok.is_empty(), "{ok:?}");
}

#[test]
fn a_single_provider_is_selected_and_lends_its_default_agent() {
    let text = "[providers.only]\nbase_url = \"u\"\napi_key_env = \"K\"\ndefault_agent = \"m\"\n";
    let (cfg, diags) = parse_project_config(Path::new("p.toml"), text);
    assert!(diags.is_empty());
    assert_eq!(cfg.project.provider, "only");
    assert_eq!(cfg.project.default_agent, "m");
}
