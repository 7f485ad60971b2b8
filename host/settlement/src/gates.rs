//! Running one gate of the policy: resolving its name to a plugin (built-in, repository
//! plugin or `.wasm` path), granting it what it needs (command gates: `exec` of exactly
//! their program), consulting the verdict cache, and turning traps, deadlines and plugin
//! errors into an `error` verdict the policy decides on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dgov_plugin_host::bindings::{Finding, GateContext, GateReport, Verdict};
use dgov_plugin_host::registry::{self, PluginsConfig};
use dgov_plugin_host::{Capability, Grant, Invocation, Limits, Plugin, PluginOrigin, Runtime};
use serde::Serialize;

use crate::cache;
use crate::policy::{
    COMMAND_GATES, FIX_GATES, GateEntry, OnFail, PYTHON_FIX_GATE, TASK_TESTS_GATE,
};

/// A gate's verdict as settlement records it: the plugin's four plus `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateVerdict {
    Pass,
    Warn,
    Fail,
    Skip,
    Error,
}

/// The outcome of one gate.
#[derive(Debug, Clone, Serialize)]
pub struct GateRun {
    pub gate: String,
    /// Plugin name (from its metadata), when it loaded.
    pub plugin: Option<String>,
    pub verdict: GateVerdict,
    pub summary: String,
    pub findings: Vec<Finding>,
    /// The verdict came from the cache (an unchanged tree, plugin and configuration).
    pub cached: bool,
    pub duration_ms: u64,
    /// Whether this outcome rejects the attempt under the policy.
    pub blocking: bool,
    /// The report's `metrics-json`, parsed (e.g. the scope gate's scope status record);
    /// `None` when the plugin sent none or it is not JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<serde_json::Value>,
    /// The report's proposed `fixes` (applied, scoped to the task's lines, only in the
    /// prepare phase; see `autofix`). Not recorded: a replaced file can be large.
    #[serde(skip)]
    pub fixes: Vec<dgov_plugin_host::bindings::Fix>,
}

impl GateRun {
    /// One line per finding, for worker-facing errors.
    pub fn evidence(&self, max: usize) -> String {
        let mut lines: Vec<String> = self
            .findings
            .iter()
            .take(max)
            .map(|f| {
                let at = f
                    .locations
                    .first()
                    .map(|l| match l.line {
                        Some(n) => format!(" at {}:{n}", l.path),
                        None => format!(" in {}", l.path),
                    })
                    .unwrap_or_default();
                format!("{}: {}{at}", f.code, f.message)
            })
            .collect();
        if self.findings.len() > max {
            lines.push(format!("… and {} more", self.findings.len() - max));
        }
        lines.join("\n")
    }
}

/// Built-in gate names and the embedded plugin each runs.
pub fn builtin_plugin(gate: &str) -> Option<&'static str> {
    match gate {
        "scope" => Some("scope-gate"),
        "semantic" => Some("semantic-gate"),
        "sentrux" => Some("sentrux-gate"),
        PYTHON_FIX_GATE => Some("python-fix"),
        "command" | "review-hooks" | TASK_TESTS_GATE => Some("command-gate"),
        g if COMMAND_GATES.iter().any(|(n, _)| *n == g) => Some("command-gate"),
        // The prepare phase's fixers are command gates too (exec of their program).
        g if FIX_GATES.iter().any(|(n, _)| *n == g) => Some("command-gate"),
        _ => None,
    }
}

/// Loads plugins once per process and runs gates.
pub struct Gates {
    runtime: Arc<Runtime>,
    loaded: Mutex<HashMap<PathBuf, Plugin>>,
    builtins: Mutex<HashMap<&'static str, Plugin>>,
}

/// Where a gate runs.
pub struct GateCall<'a> {
    /// The tree the gate sees (worktree, candidate checkout or project root).
    pub root: &'a Path,
    /// The project root (policy, plugins, caches); `None` = `root`.
    pub repo_root: Option<&'a Path>,
    /// The tree under review, for the cache (`None` = do not cache, e.g. a working tree).
    pub tree: Option<String>,
    pub plugins: &'a PluginsConfig,
    pub use_cache: bool,
}

impl Gates {
    pub fn new(runtime: Arc<Runtime>) -> Gates {
        Gates {
            runtime,
            loaded: Mutex::new(HashMap::new()),
            builtins: Mutex::new(HashMap::new()),
        }
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Resolve `gate` for the repository at `repo_root`.
    pub fn resolve(&self, repo_root: &Path, gate: &str) -> Result<Plugin, String> {
        if let Some(name) = builtin_plugin(gate) {
            let mut map = self.builtins.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(p) = map.get(name) {
                return Ok(p.clone());
            }
            let b = dgov_builtin_plugins::get(name)
                .ok_or_else(|| format!("built-in plugin `{name}` is not embedded in this build"))?;
            let p = self
                .runtime
                .load_bytes(b.bytes, name, PluginOrigin::BuiltIn)
                .map_err(|e| e.to_string())?;
            map.insert(name, p.clone());
            return Ok(p);
        }
        let path = if gate.ends_with(".wasm") || gate.contains('/') {
            let p = Path::new(gate);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                repo_root.join(p)
            }
        } else {
            // A repository plugin by name: `.dgov/plugins/<name>.wasm`.
            repo_root.join(".dgov/plugins").join(format!("{gate}.wasm"))
        };
        if !path.is_file() {
            return Err(format!(
                "gate `{gate}`: no such plugin ({} does not exist); built-ins are scope, review-hooks, lint-fix, format-fix, setup, lint, format, typecheck, tests, coverage, semantic, sentrux, command",
                path.display()
            ));
        }
        let mut map = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        // Reload when the file changed: swapping a gate needs no restart either.
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(p) = map.get(&path)
            && p.hash() == dgov_plugin_host::cache::component_hash(&bytes)
        {
            return Ok(p.clone());
        }
        let p = self
            .runtime
            .load_bytes(
                &bytes,
                path.file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("plugin"),
                PluginOrigin::File(path.clone()),
            )
            .map_err(|e| e.to_string())?;
        map.insert(path, p.clone());
        Ok(p)
    }

    /// Run one gate entry with `ctx` (its `config_json` is filled from the entry here).
    pub async fn run(
        &self,
        entry: &GateEntry,
        mut ctx: GateContext,
        call: &GateCall<'_>,
    ) -> GateRun {
        let started = Instant::now();
        let mut run = GateRun {
            gate: entry.gate.clone(),
            plugin: None,
            verdict: GateVerdict::Error,
            summary: String::new(),
            findings: Vec::new(),
            cached: false,
            duration_ms: 0,
            blocking: false,
            metrics: None,
            fixes: Vec::new(),
        };
        // Baseline findings (type check), coverage baseline and report path: see baseline_run.
        let prepared = crate::baseline_run::prepare(self, entry, &ctx, call).await;
        ctx.config_json = prepared.config.to_string();
        let plugin = match self.resolve(call.root_repo(), &entry.gate) {
            Ok(p) => p,
            Err(e) => {
                run.summary = format!("could not load: {e}");
                return finish(run, entry, started);
            }
        };
        run.plugin = Some(plugin.meta().name.clone());
        let cache_key = call.tree.as_ref().filter(|_| call.use_cache).map(|tree| {
            let context = serde_json::json!({
                "phase": format!("{:?}", ctx.phase),
                "config": ctx.config_json,
                "changed": ctx.changed,
                "claims": ctx.claims,
                "base": ctx.revs.base,
                "target": ctx.revs.target,
            });
            cache::key(tree, plugin.hash(), &context)
        });
        if let Some(key) = &cache_key
            && let Some(report) = cache::get(call.root_repo(), key)
        {
            run.cached = true;
            apply_report(&mut run, report);
            run.summary = format!("{} (cached verdict)", run.summary);
            return finish(run, entry, started);
        }
        let (grant, mut limits) = self.grant(&plugin, entry, call.plugins);
        if let Some(s) = entry.timeout_s {
            limits.deadline = Duration::from_secs(s);
        }
        let inv = Invocation {
            root: Some(call.root.to_path_buf()),
            grant,
            baseline_dir: Some(
                call.root_repo()
                    .join(".dgov/runtime/baselines")
                    .join(&plugin.meta().name),
            ),
            limits: Some(limits),
        };
        match plugin.check_gate(&inv, &ctx).await {
            Err(e) => run.summary = e.to_string(),
            Ok(outcome) => match outcome.value {
                Err(e) => run.summary = format!("plugin error: {e:?}"),
                Ok(report) => {
                    if let Some(key) = &cache_key {
                        cache::put(call.root_repo(), key, &report);
                    }
                    apply_report(&mut run, report);
                }
            },
        }
        finish(run, entry, started)
    }

    fn grant(
        &self,
        plugin: &Plugin,
        entry: &GateEntry,
        plugins: &PluginsConfig,
    ) -> (Grant, Limits) {
        let defaults = self.runtime.limits();
        let requested = &plugin.meta().capabilities;
        if builtin_plugin(&entry.gate) == Some("command-gate") {
            // Exactly the programs of the configured command (or review hooks), nothing else.
            let commands = command_gate_commands(&entry.config);
            let timeout = entry
                .config
                .get("timeout_s")
                .and_then(|t| t.as_u64())
                .unwrap_or(120);
            let mut grant = Grant::read_only();
            grant.capabilities.insert(Capability::Exec);
            grant.exec.allow = commands.iter().filter_map(|c| program_of(c)).collect();
            grant.exec.default_timeout = Duration::from_secs(timeout);
            grant.exec.max_timeout = grant.exec.max_timeout.max(grant.exec.default_timeout);
            let mut limits = defaults;
            // Hooks run one after another, each with the timeout.
            let runs = commands.len().max(1) as u64;
            limits.deadline = Duration::from_secs(timeout * runs + 30);
            return (grant.intersect(requested), limits);
        }
        if builtin_plugin(&entry.gate).is_some() {
            return (Grant::read_only().intersect(requested), defaults);
        }
        let (grant, limits) =
            registry::grant_for(plugin.meta(), plugin.origin(), plugins, defaults);
        (grant.intersect(requested), limits)
    }
}

impl GateCall<'_> {
    pub(crate) fn root_repo(&self) -> &Path {
        self.repo_root.unwrap_or(self.root)
    }
}

/// The commands a `command-gate` entry runs: its `command`, or each of its review `hooks`.
pub fn command_gate_commands(config: &serde_json::Value) -> Vec<String> {
    let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
        match v {
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|h| h.as_str())
                .filter(|h| !h.trim().is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    if config.get("kind").and_then(|k| k.as_str()) == Some("review_hooks") {
        strings(config.get("hooks"))
    } else {
        strings(config.get("command"))
    }
}

/// The program a command gate runs: `sh` for shell syntax, else the first word (the same
/// rule as the `command-gate` plugin, so the grant is exactly what it will ask for).
pub fn program_of(command: &str) -> Option<String> {
    const SHELL_CHARS: &[char] = &['|', '&', ';', '<', '>', '$', '`', '(', ')', '*', '?', '\n'];
    let first = command.split_whitespace().next()?;
    // Shell syntax, or `VAR=value cmd` (only a shell sets the environment like that).
    if command.contains(SHELL_CHARS) || first.contains('=') {
        return Some("sh".into());
    }
    Some(first.trim_matches(|c| c == '"' || c == '\'').to_string())
}

fn apply_report(run: &mut GateRun, report: GateReport) {
    run.verdict = match report.verdict {
        Verdict::Pass => GateVerdict::Pass,
        Verdict::Warn => GateVerdict::Warn,
        Verdict::Fail => GateVerdict::Fail,
        Verdict::Skip => GateVerdict::Skip,
    };
    run.summary = report.summary;
    run.findings = report.findings;
    run.metrics = report
        .metrics_json
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok());
    run.fixes = report.fixes;
}

fn finish(mut run: GateRun, entry: &GateEntry, started: Instant) -> GateRun {
    run.duration_ms = started.elapsed().as_millis() as u64;
    run.blocking = match run.verdict {
        GateVerdict::Fail => entry.on_fail == OnFail::Reject,
        GateVerdict::Error => entry.on_error == OnFail::Reject,
        _ => false,
    };
    run
}
