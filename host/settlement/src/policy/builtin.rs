//! The built-in gates and the default policy derived from `[project]`: which command each
//! command gate runs, the fixers of the prepare phase, and the configuration tables the
//! first-party plugins receive. What a repository writes in `[settlement]` is parsed in the
//! parent module and merged onto these.

use std::collections::BTreeMap;

use dgov_plan::ProjectConfig;

use super::{GateEntry, OnFail, PhaseName};

/// Built-in command gates and the `[project]` key each takes its command from (in the order
/// the defaults run them: setup first).
pub const COMMAND_GATES: [(&str, &str); 6] = [
    ("setup", "setup_cmd"),
    ("lint", "lint_cmd"),
    ("format", "format_check_cmd"),
    ("typecheck", "type_check_cmd"),
    ("tests", "test_cmd"),
    ("coverage", "coverage_cmd"),
];

/// Built-in fixers of the prepare phase and the `[project]` key each takes its command from
/// (lint fixes first, formatting last). They are command gates whose command edits files.
pub const FIX_GATES: [(&str, &str); 2] =
    [("lint-fix", "lint_fix_cmd"), ("format-fix", "format_cmd")];

/// The built-in Python fixer (the original's "SmartFixer"): `raise … from err` inside
/// `except … as err` handlers (B904) and over-long prose comments re-wrapped (E501). It
/// edits nothing itself; it returns fixes, which the host scopes to the task's lines like
/// any fixer's. Default in the prepare phase of a project that says `language = "python"`.
pub const PYTHON_FIX_GATE: &str = "python-fix";

pub(super) fn python_fix_config(cfg: &ProjectConfig) -> serde_json::Value {
    serde_json::json!({ "line_length": cfg.project.line_length })
}

/// The prepare phase's configuration for fixer `name` running `command` on the task's
/// changed source files (`{file}`).
pub(super) fn fix_config(cfg: &ProjectConfig, name: &str, command: String) -> serde_json::Value {
    let p = &cfg.project;
    serde_json::json!({
        "kind": name,
        "command": command,
        "test_dir": p.test_dir,
        "extensions": p.source_extensions,
        "pass_codes": [0],
        "timeout_s": p.settlement_timeout,
    })
}

/// The command of fixer `key` when the project sets it explicitly (the original's defaults
/// are Python commands).
pub(super) fn fix_command(cfg: &ProjectConfig, explicit: &[String], key: &str) -> Option<String> {
    let cmd = match key {
        "lint_fix_cmd" => &cfg.project.lint_fix_cmd,
        "format_cmd" => &cfg.project.format_cmd,
        _ => return None,
    };
    (explicit.iter().any(|k| k == key) && !cmd.trim().is_empty()).then(|| cmd.clone())
}

/// The command a built-in command gate runs, if the project configures one.
pub fn project_command(cfg: &ProjectConfig, key: &str) -> Option<String> {
    let p = &cfg.project;
    let cmd = match key {
        "lint_cmd" => Some(p.lint_cmd.clone()),
        "format_check_cmd" => Some(p.format_check_cmd.clone()),
        "type_check_cmd" => p.type_check_cmd.clone(),
        "test_cmd" => Some(p.test_cmd.clone()),
        "coverage_cmd" => p.coverage_cmd.clone(),
        "setup_cmd" => p.setup_cmd.clone(),
        _ => None,
    }?;
    (!cmd.trim().is_empty()).then_some(cmd)
}

/// The command gate configuration for built-in `name` (`lint`, `tests`, …).
pub(super) fn command_config(
    cfg: &ProjectConfig,
    name: &str,
    command: String,
) -> serde_json::Value {
    let p = &cfg.project;
    let extensions = if matches!(name, "lint" | "format") {
        p.source_extensions.clone()
    } else {
        Vec::new()
    };
    let pass_codes: Vec<i32> = if name == "tests" { vec![0, 5] } else { vec![0] };
    let mut config = serde_json::json!({
        "kind": name,
        "command": command,
        "test_dir": p.test_dir,
        "src_dir": p.src_dir,
        "extensions": extensions,
        "pass_codes": pass_codes,
        // Setup installs things: its own fixed timeout, not settlement_timeout (spec §1.3).
        "timeout_s": if name == "setup" { SETUP_TIMEOUT_S } else { p.settlement_timeout },
    });
    // Type checks are judged against the baseline revision's diagnostics (baseline_run.rs);
    // coverage against the session's baseline report with the project's threshold.
    match name {
        "typecheck" => config["baseline"] = true.into(),
        "coverage" => config["coverage_threshold"] = p.coverage_threshold.into(),
        _ => {}
    }
    config
}

/// The gate that runs a task's own test command (added per task, never configured).
pub const TASK_TESTS_GATE: &str = "task-tests";

/// The timeout of the `setup` gate when its policy entry sets none.
pub const SETUP_TIMEOUT_S: u64 = 300;

/// The timeout of each review hook.
pub const HOOK_TIMEOUT_S: u64 = 30;

/// The `review-hooks` gate's configuration: `[project].review_hooks`, run by the command gate.
pub(super) fn hooks_config(cfg: &ProjectConfig) -> serde_json::Value {
    serde_json::json!({
        "kind": "review_hooks",
        "hooks": cfg.project.review_hooks,
        "timeout_s": HOOK_TIMEOUT_S,
    })
}

pub(super) fn entry(gate: &str, config: serde_json::Value) -> GateEntry {
    GateEntry {
        gate: gate.into(),
        on_fail: OnFail::Reject,
        on_error: OnFail::Reject,
        timeout_s: None,
        config,
        default: true,
    }
}

pub(super) fn scope_config(cfg: &ProjectConfig) -> serde_json::Value {
    serde_json::json!({
        "allow": cfg.scope.allow_files,
        "deny": cfg.scope.deny_files,
        "ignore": cfg.scope.ignore_files,
    })
}

/// The default gates of each phase, derived from the project's commands.
pub fn defaults(cfg: &ProjectConfig, explicit: &[String]) -> BTreeMap<PhaseName, Vec<GateEntry>> {
    let mut commands = Vec::new();
    for (name, key) in COMMAND_GATES {
        if !explicit.iter().any(|k| k == key) {
            continue;
        }
        if let Some(cmd) = project_command(cfg, key) {
            commands.push(entry(name, command_config(cfg, name, cmd)));
        }
    }
    let mut phases = BTreeMap::new();
    // A fixer that fails only warns by default: the isolated checks judge the result, and a
    // `--fix` linter exits non-zero whenever an unfixable finding remains.
    let warn_only = |mut e: GateEntry| {
        (e.on_fail, e.on_error) = (OnFail::Warn, OnFail::Warn);
        e
    };
    let mut fixers: Vec<GateEntry> = FIX_GATES
        .iter()
        .filter_map(|(name, key)| {
            let cmd = fix_command(cfg, explicit, key)?;
            Some(warn_only(entry(name, fix_config(cfg, name, cmd))))
        })
        .collect();
    // Lint fixes, then the Python fixer, then formatting (which must come last).
    if explicit.iter().any(|k| k == "language") && cfg.project.language == "python" {
        let at = usize::from(fixers.first().is_some_and(|f| f.gate == "lint-fix"));
        let e = entry(PYTHON_FIX_GATE, python_fix_config(cfg));
        fixers.insert(at, warn_only(e));
    }
    phases.insert(PhaseName::Prepare, fixers);
    let mut structural = vec![entry("scope", scope_config(cfg))];
    if !cfg.project.review_hooks.is_empty() {
        structural.push(entry("review-hooks", hooks_config(cfg)));
    }
    phases.insert(PhaseName::Structural, structural);
    phases.insert(PhaseName::Isolated, commands.clone());
    phases.insert(
        PhaseName::Semantic,
        vec![entry("semantic", serde_json::json!({}))],
    );
    // Architecture degradation attributable to the task (skips itself without a baseline).
    let mut candidate = commands;
    candidate.push(entry("sentrux", serde_json::json!({})));
    phases.insert(PhaseName::Candidate, candidate);
    phases
}
