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

mod builtin;

pub use builtin::{
    COMMAND_GATES, FIX_GATES, HOOK_TIMEOUT_S, PYTHON_FIX_GATE, SETUP_TIMEOUT_S, TASK_TESTS_GATE,
    defaults, project_command,
};
use builtin::{
    command_config, entry, fix_command, fix_config, hooks_config, python_fix_config, scope_config,
};

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
mod tests;
