//! The worker's tools: the embedded `worker-tools` WASM plugin in one [`ToolSession`] per
//! attempt, rooted at the worktree, with a grant derived from `[tool_policy]`. Results are
//! clipped for the model; a plugin trap or deadline becomes an `Error:` result, never a
//! crashed worker.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use dgov_plugin_host::bindings::PluginError;
use dgov_plugin_host::{
    Capability, ExecPolicy, Grant, Invocation, Limits, Plugin, PluginOrigin, Runtime,
    RuntimeConfig, ToolSession,
};
use serde_json::{Value, json};

use crate::WorkerError;
use crate::spec::AttemptSpec;

/// Longest result the model sees, notice included.
pub const MAX_RESULT_CHARS: usize = 12_000;
const CLIP_NOTICE: &str = "\n... [tool output truncated for prompt budget]";
/// Tools that get the host's reserved `_dgov` context (policy, commands, claims) in their
/// arguments; whatever the model passes there is dropped for every tool.
const CONTEXT_TOOLS: [&str; 7] = [
    "run_bash",
    "run_tests",
    "lint_check",
    "lint_fix",
    "format_file",
    "type_check",
    "scope_status",
];
/// Name of the embedded tools plugin.
pub const PLUGIN: &str = "worker-tools";

/// Clip `text` to [`MAX_RESULT_CHARS`] characters, notice included.
pub fn clip(text: &str) -> (String, bool) {
    if text.chars().count() <= MAX_RESULT_CHARS {
        return (text.to_string(), false);
    }
    let keep = MAX_RESULT_CHARS - CLIP_NOTICE.chars().count();
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(CLIP_NOTICE);
    (out, true)
}

/// One tool call's outcome.
#[derive(Debug, Clone)]
pub struct ToolResult {
    /// What the model sees (clipped).
    pub text: String,
    pub failed: bool,
    pub raw_chars: usize,
    pub clipped: bool,
    pub duration_ms: f64,
    pub activity: Vec<Value>,
}

impl ToolResult {
    fn error(msg: String, started: Instant) -> ToolResult {
        let raw = format!("Error: {msg}");
        let (text, clipped) = clip(&raw);
        ToolResult {
            raw_chars: raw.chars().count(),
            text,
            failed: true,
            clipped,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            activity: Vec::new(),
        }
    }

    /// The original's error classification of a failed result.
    pub fn error_kind(&self) -> &'static str {
        let t = self.text.to_lowercase();
        let has = |xs: &[&str]| xs.iter().any(|x| t.contains(x));
        if has(&["not allowed", "owned by the governor", "traversal"]) {
            "policy_blocked"
        } else if has(&["not found", "no such file", "does not exist"]) {
            "not_found"
        } else if has(&["multiple", "ambiguous", "locations"]) {
            "ambiguous_match"
        } else if has(&["timed out", "timeout", "deadline"]) {
            "timeout"
        } else if has(&["exit code", "command failed"]) {
            "command_failed"
        } else if has(&["requires", "invalid", "malformed", "must", "mismatch"]) {
            "validation_failed"
        } else {
            "unknown"
        }
    }
}

/// The process-wide plugin runtime (compile cache on disk, so later workers start fast).
pub fn runtime() -> Result<&'static Runtime, WorkerError> {
    static RT: std::sync::OnceLock<Result<Runtime, String>> = std::sync::OnceLock::new();
    RT.get_or_init(|| Runtime::new(RuntimeConfig::default()).map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| WorkerError::Tools(format!("starting the plugin runtime: {e}")))
}

/// Load the embedded tools plugin.
pub fn load_plugin(rt: &Runtime) -> Result<Plugin, WorkerError> {
    let b = dgov_builtin_plugins::get(PLUGIN).ok_or_else(|| {
        WorkerError::Tools(format!("the {PLUGIN} plugin is not embedded in this build"))
    })?;
    rt.load_bytes(b.bytes, PLUGIN, PluginOrigin::BuiltIn)
        .map_err(|e| WorkerError::Tools(format!("loading {PLUGIN}: {e}")))
}

/// The grant of an attempt: the worktree read (and write for writing tools, which a
/// read-only role does not have at all), the host's parser (`syntax`: file_symbols,
/// check_syntax), exec of the allow-listed programs with a sanitized environment and the
/// shell time limit.
pub fn grant(spec: &AttemptSpec) -> Grant {
    let mut capabilities: BTreeSet<Capability> = [
        Capability::Log,
        Capability::FsRead,
        Capability::Exec,
        Capability::Syntax,
    ]
    .into();
    if !spec.role.is_read_only() {
        capabilities.insert(Capability::FsWrite);
    }
    Grant {
        capabilities,
        exec: ExecPolicy {
            allow: spec.exec_allow.iter().cloned().collect::<BTreeSet<_>>(),
            env_allow: BTreeSet::new(),
            env_passthrough: [
                "LANG".to_string(),
                "USER".to_string(),
                "LOGNAME".to_string(),
            ]
            .into(),
            default_timeout: Duration::from_millis(u64::from(spec.shell_timeout_ms)),
            max_timeout: Duration::from_millis(u64::from(spec.shell_timeout_ms)),
            max_output_bytes: 1024 * 1024,
        },
    }
}

/// The tools of one attempt.
pub struct ToolBox {
    session: ToolSession,
    writes: HashMap<String, bool>,
    pub specs: Vec<dgov_plugin_host::bindings::ToolSpec>,
    ctx: Value,
    worktree: std::path::PathBuf,
    /// Every path this attempt wrote through its tools so far (their recorded activity), so
    /// `scope_status` can warn about what settlement's transient-scope check will see.
    written: BTreeSet<String>,
}

impl ToolBox {
    pub async fn open(plugin: &Plugin, spec: &AttemptSpec) -> Result<ToolBox, WorkerError> {
        let inv = Invocation {
            root: Some(spec.worktree.clone()),
            grant: grant(spec),
            baseline_dir: None,
            limits: Some(Limits {
                deadline: Duration::from_millis(u64::from(spec.shell_timeout_ms))
                    + Duration::from_secs(30),
                ..Limits::default()
            }),
        };
        let mut session = ToolSession::start(plugin, &inv)
            .await
            .map_err(|e| WorkerError::Tools(format!("starting {PLUGIN}: {e}")))?;
        let specs: Vec<_> = session
            .list_tools()
            .await
            .map_err(|e| WorkerError::Tools(format!("listing tools of {PLUGIN}: {e}")))?
            .value
            .into_iter()
            .filter(|s| crate::roles::tool_allowed(spec.role, &s.name, s.writes))
            .collect();
        Ok(ToolBox {
            session,
            writes: specs.iter().map(|s| (s.name.clone(), s.writes)).collect(),
            specs,
            ctx: json!({
                "test_cmd": spec.test_cmd,
                "test_targets": spec.test_targets,
                "policy": spec.policy,
                "timeout_ms": spec.shell_timeout_ms,
                "src_dir": spec.src_dir,
                "lint_cmd": spec.toolchain.lint_cmd,
                "lint_fix_cmd": spec.toolchain.lint_fix_cmd,
                "format_cmd": spec.toolchain.format_cmd,
                "type_check_cmd": spec.toolchain.type_check_cmd,
                "claims": {
                    "writable": spec.claims.writable(),
                    "read": spec.claims.read,
                },
                "path_policy": spec.path_policy,
            }),
            worktree: spec.worktree.clone(),
            written: BTreeSet::new(),
        })
    }

    /// Names of the tools this attempt's role may call, in catalogue order.
    pub fn names(&self) -> Vec<&str> {
        self.specs.iter().map(|s| s.name.as_str()).collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.writes.contains_key(name)
    }

    /// Run one tool. Never fails: every problem is an `Error:` result.
    pub async fn call(&mut self, name: &str, args: &Value) -> ToolResult {
        let started = Instant::now();
        // Unknown tools and tools the role does not have (the model may call one it was not
        // offered) are refused the same way.
        let Some(&writes) = self.writes.get(name) else {
            return ToolResult::error(
                format!("Tool {name} is not allowed in this worker role."),
                started,
            );
        };
        let mut args = args.clone();
        if let Some(obj) = args.as_object_mut() {
            obj.remove("_dgov");
            if CONTEXT_TOOLS.contains(&name) {
                let mut ctx = self.ctx.clone();
                if name == "scope_status" {
                    ctx["transient_writes"] = json!(self.written);
                }
                obj.insert("_dgov".into(), ctx);
            }
        }
        // Commands can write any file: what they newly dirty is recorded as activity, so
        // settlement sees transient writes to unclaimed or reserved paths.
        let before = matches!(name, "run_bash" | "lint_fix" | "format_file")
            .then(|| dirty_paths(&self.worktree));
        let res = self.session.call(name, &args.to_string(), writes).await;
        let mut out = match res {
            Ok(o) => match o.value {
                Ok(text) => {
                    let (clipped_text, clipped) = clip(&text);
                    ToolResult {
                        raw_chars: text.chars().count(),
                        text: clipped_text,
                        failed: false,
                        clipped,
                        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
                        activity: Vec::new(),
                    }
                }
                Err(
                    PluginError::Failed(m) | PluginError::InvalidInput(m) | PluginError::Denied(m),
                ) => ToolResult::error(m, started),
            },
            Err(e) => ToolResult::error(format!("tool {name} stopped: {e}"), started),
        };
        if !out.failed {
            let mode = match name {
                "write_file" => Some("create"),
                "edit_file" => Some("edit"),
                "apply_patch" => Some("patch"),
                "revert_file" => Some("revert"),
                _ => None,
            };
            if let (Some(mode), Some(p)) = (mode, args.get("path").and_then(|p| p.as_str())) {
                out.activity
                    .push(json!({"kind": name, "path": p.trim_start_matches("./"), "mode": mode}));
            }
        }
        if let Some(before) = before {
            let mode = if name == "run_bash" { "shell" } else { "edit" };
            for p in dirty_paths(&self.worktree).difference(&before) {
                out.activity
                    .push(json!({"kind": name, "path": p, "mode": mode}));
            }
        }
        self.written.extend(
            out.activity
                .iter()
                .filter_map(|a| a["path"].as_str())
                .map(str::to_string),
        );
        out
    }
}

/// Paths git reports as changed or untracked in `worktree` (rename sources included).
pub fn dirty_paths(worktree: &std::path::Path) -> BTreeSet<String> {
    let out = crate::git_cmd::git(
        worktree,
        &["status", "--porcelain", "--untracked-files=all"],
    );
    let Ok(out) = out else {
        return BTreeSet::new();
    };
    let mut set = BTreeSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(rest) = line.get(3..) else { continue };
        for p in rest.split(" -> ") {
            set.insert(p.trim_matches('"').to_string());
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_text_and_caps_long_text_with_notice() {
        assert_eq!(clip("abc"), ("abc".to_string(), false));
        let long = "é".repeat(20_000);
        let (c, was) = clip(&long);
        assert!(was);
        assert_eq!(c.chars().count(), MAX_RESULT_CHARS);
        assert!(c.ends_with(CLIP_NOTICE));
    }
}
