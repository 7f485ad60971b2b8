//! The settlement policy of a repository: for each phase, an ordered list of gates (a
//! built-in name, a repository plugin name or a path to a `.wasm`), each with its own
//! configuration table and what a failure or an error does. Read from `[settlement]` of
//! `.dgov/project.toml` at every settlement, so changing policy needs no rebuild.
//!
//! ```toml
//! [settlement]
//! cache = true                       # reuse verdicts for an unchanged tree (default)
//!
//! [[settlement.phase.isolated]]
//! gate = "tests"                     # built-in command gate, command from [project].test_cmd
//!
//! [[settlement.phase.isolated]]
//! gate = ".dgov/plugins/no-secrets.wasm"
//! on_fail = "warn"                   # "reject" (default) | "warn"
//! on_error = "reject"                # trap / timeout / plugin error; default: on_fail
//! timeout_s = 30                     # plugin deadline
//! config = { patterns = ["AKIA"] }
//! ```
//!
//! A phase that is not configured gets its default list; `isolated = []` turns a phase off.

use std::collections::BTreeMap;
use std::path::Path;

use dgov_plan::ProjectConfig;
use serde::Serialize;

/// The project file, relative to the repository root.
pub const PROJECT_FILE: &str = ".dgov/project.toml";

/// Pipeline phases that run gates, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseName {
    Structural,
    /// Autofix: fixers on the task's files, kept only on the task's lines (`autofix`).
    Prepare,
    Isolated,
    Semantic,
    Candidate,
}

impl PhaseName {
    pub const ALL: [PhaseName; 5] = [
        PhaseName::Structural,
        PhaseName::Prepare,
        PhaseName::Isolated,
        PhaseName::Semantic,
        PhaseName::Candidate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PhaseName::Structural => "structural",
            PhaseName::Prepare => "prepare",
            PhaseName::Isolated => "isolated",
            PhaseName::Semantic => "semantic",
            PhaseName::Candidate => "candidate",
        }
    }
}

/// What a failing (or erroring) gate does to the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFail {
    Reject,
    Warn,
}

/// One gate in a phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateEntry {
    /// As written: `tests`, `secret-gate`, `.dgov/plugins/x.wasm`.
    pub gate: String,
    pub on_fail: OnFail,
    pub on_error: OnFail,
    /// Plugin deadline in seconds (`None` = the runtime default, or the command timeout
    /// plus a margin for command gates).
    pub timeout_s: Option<u64>,
    /// The gate's configuration as JSON (for command gates: the command and its options).
    pub config: serde_json::Value,
    /// Whether this entry comes from the defaults rather than `[settlement]`.
    pub default: bool,
}

/// The effective policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub cache: bool,
    /// Whether a failing gate whose findings are all pre-existing (`attributable: false`)
    /// still rejects (`[settlement].block_preexisting`, default false: a task is judged by
    /// what it caused, not by the state of the repository it started from).
    pub block_preexisting: bool,
    pub phases: BTreeMap<PhaseName, Vec<GateEntry>>,
    /// Per-command timeout (`[project].settlement_timeout`).
    pub command_timeout_s: u64,
    /// The configuration a `task-tests` gate starts from when the project runs no tests.
    #[serde(skip)]
    pub task_tests_template: serde_json::Value,
}

impl Policy {
    pub fn gates(&self, phase: PhaseName) -> &[GateEntry] {
        self.phases.get(&phase).map_or(&[], |v| v.as_slice())
    }

    /// This policy for a task with its own test command (the plan's `test_cmd`, spec §1.3
    /// step 4: the task's tests run before the project's). A `task-tests` gate running it is
    /// placed before each `tests` gate, configured like it (targeting, pass codes, timeout);
    /// when no phase runs tests, it is appended to `isolated`. A task command equal to the
    /// project's adds nothing.
    pub fn with_task_tests(&self, command: &str) -> Policy {
        let mut p = self.clone();
        if command.trim().is_empty() {
            return p;
        }
        let mut placed = false;
        for phase in [PhaseName::Isolated, PhaseName::Candidate] {
            let Some(list) = p.phases.get_mut(&phase) else {
                continue;
            };
            let Some(at) = list.iter().position(|e| e.gate == "tests") else {
                continue;
            };
            placed = true;
            if list[at].config["command"] == command {
                continue;
            }
            let mut entry = list[at].clone();
            entry.gate = TASK_TESTS_GATE.into();
            entry.config["command"] = command.into();
            list.insert(at, entry);
        }
        if !placed {
            let mut config = self.task_tests_template.clone();
            config["command"] = command.into();
            p.phases
                .entry(PhaseName::Isolated)
                .or_default()
                .push(entry(TASK_TESTS_GATE, config));
        }
        p
    }
}

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

fn python_fix_config(cfg: &ProjectConfig) -> serde_json::Value {
    serde_json::json!({ "line_length": cfg.project.line_length })
}

/// The prepare phase's configuration for fixer `name` running `command` on the task's
/// changed source files (`{file}`).
fn fix_config(cfg: &ProjectConfig, name: &str, command: String) -> serde_json::Value {
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
fn fix_command(cfg: &ProjectConfig, explicit: &[String], key: &str) -> Option<String> {
    let cmd = match key {
        "lint_fix_cmd" => &cfg.project.lint_fix_cmd,
        "format_cmd" => &cfg.project.format_cmd,
        _ => return None,
    };
    (explicit.iter().any(|k| k == key) && !cmd.trim().is_empty()).then(|| cmd.clone())
}

/// A problem in `[settlement]`.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error(transparent)]
    Project(#[from] dgov_plan::ConfigError),
}

fn invalid(message: String) -> PolicyError {
    PolicyError::Invalid {
        file: PROJECT_FILE.into(),
        message,
    }
}

/// The `[project]` keys set explicitly in the file (defaults of the original are Python
/// commands; running `python -m pytest` in a Rust repository helps nobody).
fn explicit_project_keys(root: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(root.join(PROJECT_FILE)) else {
        return Vec::new();
    };
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    doc.get("project")
        .and_then(|p| p.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
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
fn command_config(cfg: &ProjectConfig, name: &str, command: String) -> serde_json::Value {
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
fn hooks_config(cfg: &ProjectConfig) -> serde_json::Value {
    serde_json::json!({
        "kind": "review_hooks",
        "hooks": cfg.project.review_hooks,
        "timeout_s": HOOK_TIMEOUT_S,
    })
}

fn entry(gate: &str, config: serde_json::Value) -> GateEntry {
    GateEntry {
        gate: gate.into(),
        on_fail: OnFail::Reject,
        on_error: OnFail::Reject,
        timeout_s: None,
        config,
        default: true,
    }
}

fn scope_config(cfg: &ProjectConfig) -> serde_json::Value {
    serde_json::json!({
        "allow": cfg.scope.allow_files,
        "deny": cfg.scope.deny_files,
        "ignore": cfg.scope.ignore_files,
    })
}

/// Merge `over` into `base` (objects key by key; anything else replaces).
fn merge_json(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                merge_json(b.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, o) => *b = o,
    }
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

fn parse_on(value: Option<&toml::Value>, what: &str) -> Result<Option<OnFail>, PolicyError> {
    match value {
        None => Ok(None),
        Some(toml::Value::String(s)) if s == "reject" => Ok(Some(OnFail::Reject)),
        Some(toml::Value::String(s)) if s == "warn" => Ok(Some(OnFail::Warn)),
        Some(other) => Err(invalid(format!(
            "{what} must be \"reject\" or \"warn\", not {other}"
        ))),
    }
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Build the effective policy from a loaded project configuration.
pub fn from_config(cfg: &ProjectConfig, explicit: &[String]) -> Result<Policy, PolicyError> {
    let mut phases = defaults(cfg, explicit);
    let mut cache = true;
    let mut block_preexisting = false;
    if let Some(table) = &cfg.settlement {
        for (key, value) in table {
            match key.as_str() {
                "cache" => {
                    cache = value.as_bool().ok_or_else(|| {
                        invalid(format!(
                            "[settlement].cache must be true or false, not {value}"
                        ))
                    })?
                }
                "block_preexisting" => {
                    block_preexisting = value.as_bool().ok_or_else(|| {
                        invalid(format!(
                            "[settlement].block_preexisting must be true or false, not {value}"
                        ))
                    })?
                }
                "phase" => {
                    let t = value.as_table().ok_or_else(|| {
                        invalid("[settlement.phase] must be a table of phase lists".into())
                    })?;
                    for (pname, list) in t {
                        let phase = PhaseName::ALL
                            .into_iter()
                            .find(|p| p.as_str() == pname)
                            .ok_or_else(|| {
                                invalid(format!(
                                    "[settlement.phase.{pname}]: unknown phase; known: structural, prepare, isolated, semantic, candidate"
                                ))
                            })?;
                        let items = list.as_array().ok_or_else(|| {
                            invalid(format!(
                                "settlement.phase.{pname} must be a list of gates ([[settlement.phase.{pname}]])"
                            ))
                        })?;
                        let mut entries = Vec::new();
                        for (i, item) in items.iter().enumerate() {
                            entries.push(parse_entry(cfg, explicit, pname, i, item)?);
                        }
                        phases.insert(phase, entries);
                    }
                }
                other => {
                    return Err(invalid(format!(
                        "[settlement]: unknown key `{other}` (known: cache, block_preexisting, phase)"
                    )));
                }
            }
        }
    }
    Ok(Policy {
        cache,
        block_preexisting,
        phases,
        command_timeout_s: cfg.project.settlement_timeout,
        task_tests_template: command_config(cfg, "tests", String::new()),
    })
}

fn parse_entry(
    cfg: &ProjectConfig,
    explicit: &[String],
    phase: &str,
    i: usize,
    item: &toml::Value,
) -> Result<GateEntry, PolicyError> {
    let at = format!("settlement.phase.{phase}[{i}]");
    let t = item
        .as_table()
        .ok_or_else(|| invalid(format!("{at} must be a table with a `gate` key")))?;
    for k in t.keys() {
        if !["gate", "on_fail", "on_error", "timeout_s", "config"].contains(&k.as_str()) {
            return Err(invalid(format!(
                "{at}: unknown key `{k}` (known: gate, on_fail, on_error, timeout_s, config)"
            )));
        }
    }
    let gate = t
        .get("gate")
        .and_then(|g| g.as_str())
        .filter(|g| !g.trim().is_empty())
        .ok_or_else(|| {
            invalid(format!(
                "{at}: `gate` (a built-in name or a .wasm path) is required"
            ))
        })?
        .to_string();
    if gate == TASK_TESTS_GATE {
        return Err(invalid(format!(
            "{at}: `{TASK_TESTS_GATE}` runs a task's own test_cmd and is added per task; configure `tests` instead"
        )));
    }
    let fixer = FIX_GATES.iter().find(|(n, _)| *n == gate);
    let edits_files = fixer.is_some() || gate == PYTHON_FIX_GATE;
    if edits_files && phase != PhaseName::Prepare.as_str() {
        return Err(invalid(format!(
            "{at}: gate `{gate}` edits files and belongs in [[settlement.phase.prepare]]"
        )));
    }
    let default_on_fail = if edits_files {
        OnFail::Warn
    } else {
        OnFail::Reject
    };
    let on_fail = parse_on(t.get("on_fail"), &format!("{at}.on_fail"))?.unwrap_or(default_on_fail);
    let on_error = parse_on(t.get("on_error"), &format!("{at}.on_error"))?.unwrap_or(on_fail);
    let timeout_s = match t.get("timeout_s") {
        None => None,
        Some(v) => Some(
            v.as_integer()
                .filter(|n| *n > 0)
                .ok_or_else(|| invalid(format!("{at}.timeout_s must be a positive integer")))?
                as u64,
        ),
    };
    let user = match t.get("config") {
        None => serde_json::json!({}),
        Some(v @ toml::Value::Table(_)) => toml_to_json(v),
        Some(_) => return Err(invalid(format!("{at}.config must be a table"))),
    };
    let mut config = if let Some((name, key)) = COMMAND_GATES.iter().find(|(n, _)| *n == gate) {
        let cmd = user
            .get("command")
            .and_then(|c| c.as_str())
            .map(str::to_string)
            .or_else(|| project_command(cfg, key).filter(|_| explicit.iter().any(|k| k == key)))
            .ok_or_else(|| {
                invalid(format!(
                    "{at}: gate `{gate}` needs a command: set [project].{key} or `config.command`"
                ))
            })?;
        command_config(cfg, name, cmd)
    } else if let Some((name, key)) = fixer {
        let cmd = user
            .get("command")
            .and_then(|c| c.as_str())
            .map(str::to_string)
            .or_else(|| fix_command(cfg, explicit, key))
            .ok_or_else(|| {
                invalid(format!(
                    "{at}: gate `{gate}` needs a command: set [project].{key} or `config.command`"
                ))
            })?;
        fix_config(cfg, name, cmd)
    } else if gate == PYTHON_FIX_GATE {
        python_fix_config(cfg)
    } else if gate == "scope" {
        scope_config(cfg)
    } else if gate == "review-hooks" {
        hooks_config(cfg)
    } else {
        serde_json::json!({})
    };
    // For a command gate `timeout_s` is the command's timeout (unless `config.timeout_s` says
    // otherwise); the plugin deadline then adds a margin (gates.rs), so a slow command fails
    // as "timed out" instead of ending as a plugin error.
    let is_command = COMMAND_GATES.iter().any(|(n, _)| *n == gate)
        || gate == "review-hooks"
        || gate == "command";
    let timeout_s = match timeout_s {
        Some(t) if is_command => {
            if user.get("timeout_s").is_none() {
                config["timeout_s"] = t.into();
            }
            None
        }
        other => other,
    };
    merge_json(&mut config, user);
    Ok(GateEntry {
        gate,
        on_fail,
        on_error,
        timeout_s,
        config,
        default: false,
    })
}

/// Load the effective policy of the repository at `root`.
pub fn load(root: &Path) -> Result<(Policy, ProjectConfig), PolicyError> {
    let (cfg, _warnings) = dgov_plan::load_project_config(root)?;
    let explicit = explicit_project_keys(root);
    Ok((from_config(&cfg, &explicit)?, cfg))
}

#[cfg(test)]
mod tests {
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
        assert!(
            PhaseName::Structural < PhaseName::Prepare && PhaseName::Prepare < PhaseName::Isolated
        );
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
}
