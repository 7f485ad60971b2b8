//! dgov's worker tools as one WASM tool plugin: the actuators an LLM worker calls inside its
//! worktree, with the original dgov's names and arguments (users' prompts and SOPs name
//! them). Here: `read_file`, `write_file`, `edit_file`, `apply_patch`, `grep`, `glob`,
//! `list_dir`, `git_diff`, `run_bash`, `run_tests` and `done`; [`inspect`] has the reading,
//! search and git-history tools (and `revert_file`); [`project`] the parser, toolchain and
//! scope tools. All of the original's catalogue but `ast_grep` (it needs an external binary).
//!
//! Differences from the original, on purpose:
//! - every failure is an `Err` (the host shows the model `Error: …`); nothing crashes the
//!   worker (binary files, directories, bad arguments included);
//! - writes to governor-owned paths (`.sentrux/baseline.json`, `.sentrux/dgov-baseline.json`,
//!   `.dgov/state.db`, `.coverage-baseline/`, `.git/`) are refused here, not only later by
//!   settlement;
//! - `apply_patch` verifies context and removed lines and never half-applies;
//! - `git_diff` lists untracked files even when tracked changes exist.
//!
//! The host adds a reserved `_dgov` object to the arguments of `run_bash`, `run_tests` and
//! the toolchain/scope tools of [`project`] (the `[tool_policy]`, the test, lint, format and
//! type-check commands, the task's test targets, claims and `[scope]` lists); whatever the
//! model puts there is overwritten by the host. File access goes through the host's jailed
//! `fs-read`/`fs-write`; commands through the allow-listed `exec` capability (sanitized
//! environment, cwd in the worktree, timeout with process-group kill).

pub mod inspect;
pub mod project;
pub mod shell;
pub mod text;

use dgov_sdk::tool::*;
use dgov_sdk::types::{EntryKind, ExecRequest, HostErrorKind};
use serde::Deserialize;
use serde_json::json;

use crate::shell::Policy;
use crate::text::{TRAVERSAL, rel_path};

pub struct WorkerTools;

/// Host-supplied context for the shell tools.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Ctx {
    test_cmd: String,
    test_targets: Vec<String>,
    policy: Policy,
    timeout_ms: Option<u32>,
}

const MAX_GREP_HITS: usize = 100;
const MAX_GLOB_FILES: usize = 200;
const MAX_GIT_DIFF: usize = 5000;

pub(crate) fn s(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| x.as_str()).map(str::to_string)
}

pub(crate) fn req(v: &serde_json::Value, tool: &str, key: &str) -> Result<String, String> {
    match v.get(key) {
        Some(serde_json::Value::String(x)) => Ok(x.clone()),
        Some(_) => Err(format!("{tool}: argument '{key}' must be a string.")),
        None => Err(format!("{tool}: missing required argument '{key}'.")),
    }
}

pub(crate) fn int(v: &serde_json::Value, key: &str) -> Result<i64, String> {
    match v.get(key) {
        None | Some(serde_json::Value::Null) => Ok(0),
        Some(x) => x
            .as_i64()
            .or_else(|| x.as_str().and_then(|t| t.trim().parse().ok()))
            .ok_or_else(|| format!("argument '{key}' must be an integer.")),
    }
}

pub(crate) fn host_err(path: &str, e: dgov_sdk::types::HostError) -> String {
    match e.kind {
        HostErrorKind::NotFound => format!("{path} does not exist."),
        HostErrorKind::Denied => TRAVERSAL.to_string(),
        _ => format!("{path}: {}", e.message),
    }
}

pub(crate) fn read_text(path: &str, rel: &str) -> Result<String, String> {
    match host::read_file(rel) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| format!("{path} is not a UTF-8 text file; it cannot be read as text.")),
        Err(e) => {
            if e.kind != HostErrorKind::NotFound
                && e.kind != HostErrorKind::Denied
                && host::list_dir(rel).is_ok()
            {
                return Err(format!("{path} is a directory; use list_dir."));
            }
            Err(host_err(path, e))
        }
    }
}

pub(crate) fn writable(path: &str) -> Result<String, String> {
    let rel = rel_path(path)?;
    if rel.is_empty() {
        return Err(format!("{path} is the worktree root, not a file."));
    }
    if text::governor_owned(&rel) {
        return Err(format!(
            "{path} is owned by the governor (dgov); workers must not write it."
        ));
    }
    Ok(rel)
}

fn write(path: &str, rel: &str, content: &str) -> Result<(), String> {
    host::write_file(rel, content.as_bytes()).map_err(|e| host_err(path, e))
}

fn read_file(a: &serde_json::Value) -> Result<String, String> {
    let path = req(a, "read_file", "path")?;
    let rel = rel_path(&path)?;
    let t = read_text(&path, &rel)?;
    Ok(text::line_range(
        &t,
        int(a, "start_line")?,
        int(a, "end_line")?,
    ))
}

fn write_file(a: &serde_json::Value) -> Result<String, String> {
    let path = req(a, "write_file", "path")?;
    let content = req(a, "write_file", "content")?;
    let rel = writable(&path)?;
    if host::exists(&rel) {
        return Err(format!(
            "{path} already exists. Use edit_file or apply_patch to modify existing files."
        ));
    }
    write(&path, &rel, &content)?;
    Ok(format!(
        "Successfully wrote {} bytes to {path}",
        content.chars().count()
    ))
}

fn edit_file(a: &serde_json::Value) -> Result<String, String> {
    let path = req(a, "edit_file", "path")?;
    let old = req(a, "edit_file", "old_text")?;
    let new = req(a, "edit_file", "new_text")?;
    let rel = writable(&path)?;
    let t = read_text(&path, &rel)?;
    let out = text::edit(&t, &old, &new, &path)?;
    write(&path, &rel, &out)?;
    Ok(format!("Successfully edited {path}"))
}

fn apply_patch(a: &serde_json::Value) -> Result<String, String> {
    let path = req(a, "apply_patch", "path")?;
    let patch = req(a, "apply_patch", "patch")?;
    let rel = writable(&path)?;
    let t = if host::exists(&rel) {
        read_text(&path, &rel)?
    } else {
        String::new()
    };
    let out =
        text::apply_patch(&t, &patch).map_err(|e| format!("patch not applied to {path}: {e}"))?;
    write(&path, &rel, &out)?;
    Ok(format!("Successfully patched {path}"))
}

const SKIP_EXT: [&str; 4] = [".pyc", ".pyo", ".so", ".dylib"];

fn grep(a: &serde_json::Value) -> Result<String, String> {
    let pattern = req(a, "grep", "pattern")?;
    let path = s(a, "path").unwrap_or_else(|| ".".into());
    let re = regex::Regex::new(&pattern).map_err(|e| format!("Invalid regex: {e}"))?;
    let mut rel = rel_path(&path)?;
    let files: Vec<String> = if !rel.is_empty() && host::read_file(&rel).is_ok() {
        vec![rel]
    } else {
        if !rel.is_empty() && !host::exists(&rel) {
            // A missing path searches its parent (as the original).
            rel = rel
                .rsplit_once('/')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default();
            if !rel.is_empty() && !host::exists(&rel) {
                return Ok("No matches found.".into());
            }
        }
        host::walk(&rel).map_err(|e| host_err(&path, e))?
    };
    let mut hits = Vec::new();
    for f in files {
        if text::hidden(&f) || SKIP_EXT.iter().any(|e| f.ends_with(e)) {
            continue;
        }
        let Ok(bytes) = host::read_file(&f) else {
            continue;
        };
        let Ok(t) = String::from_utf8(bytes) else {
            continue;
        };
        for (i, line) in t.lines().enumerate() {
            if re.is_match(line) {
                hits.push(format!("{f}:{}: {line}", i + 1));
            }
        }
        if hits.len() >= MAX_GREP_HITS {
            hits.truncate(MAX_GREP_HITS);
            hits.push(format!("... (truncated at {MAX_GREP_HITS} matches)"));
            break;
        }
    }
    if hits.is_empty() {
        return Ok("No matches found.".into());
    }
    Ok(hits.join("\n"))
}

fn glob(a: &serde_json::Value) -> Result<String, String> {
    let pattern = req(a, "glob", "pattern")?;
    let re = regex::Regex::new(&text::fnmatch_regex(pattern.trim_start_matches("./")))
        .map_err(|e| format!("Invalid glob pattern: {e}"))?;
    let mut out = Vec::new();
    for f in host::walk("").map_err(|e| host_err(".", e))? {
        if text::hidden(&f) {
            continue;
        }
        let base = f.rsplit('/').next().unwrap_or(&f);
        if re.is_match(&f) || re.is_match(base) {
            if out.len() == MAX_GLOB_FILES {
                out.push(format!("... (truncated at {MAX_GLOB_FILES} files)"));
                break;
            }
            out.push(f);
        }
    }
    if out.is_empty() {
        return Ok("No files matched.".into());
    }
    Ok(out.join("\n"))
}

fn list_dir(a: &serde_json::Value) -> Result<String, String> {
    let path = s(a, "path").unwrap_or_else(|| ".".into());
    let rel = rel_path(&path)?;
    let entries = match host::list_dir(&rel) {
        Ok(e) => e,
        Err(e) if e.kind == HostErrorKind::NotFound || e.kind == HostErrorKind::Denied => {
            return Err(host_err(&path, e));
        }
        Err(e) => {
            if host::exists(&rel) {
                return Err(format!("{path} is not a directory."));
            }
            return Err(host_err(&path, e));
        }
    };
    let prefix = if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    };
    let lines: Vec<String> = entries
        .iter()
        .filter(|e| !e.name.starts_with('.'))
        .map(|e| match e.kind {
            EntryKind::Directory => format!("{prefix}{}/", e.name),
            _ => format!("{prefix}{}  ({} bytes)", e.name, e.size),
        })
        .collect();
    if lines.is_empty() {
        return Ok("(empty directory)".into());
    }
    Ok(lines.join("\n"))
}

pub(crate) fn exec(
    program: &str,
    args: &[&str],
    timeout_ms: Option<u32>,
) -> Result<dgov_sdk::types::ExecOutput, String> {
    let out = host::exec(&ExecRequest {
        program: program.into(),
        args: args.iter().map(|a| (*a).to_string()).collect(),
        cwd: None,
        env: Vec::new(),
        timeout_ms,
        stdin: None,
    })
    .map_err(|e| match e.kind {
        HostErrorKind::Denied => format!(
            "{program} is not allowed by this repository's tool policy ({})",
            e.message
        ),
        _ => format!("could not run {program}: {}", e.message),
    })?;
    if out.timed_out {
        return Err(format!(
            "Command timed out after {}s.",
            (out.duration_ms as f64 / 1000.0).round()
        ));
    }
    Ok(out)
}

fn git_diff() -> Result<String, String> {
    let diff = exec("git", &["diff", "HEAD"], Some(10_000))?;
    let mut out = String::from_utf8_lossy(&diff.stdout).into_owned();
    if diff.exit_code != Some(0) {
        return Err(format!(
            "git diff failed: {}",
            String::from_utf8_lossy(&diff.stderr).trim()
        ));
    }
    let untracked = exec(
        "git",
        &["ls-files", "--others", "--exclude-standard"],
        Some(10_000),
    )?;
    let untracked = String::from_utf8_lossy(&untracked.stdout).into_owned();
    if !untracked.trim().is_empty() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("Untracked files:\n");
        for l in untracked.lines() {
            out.push_str(&format!("  {l}\n"));
        }
    }
    if out.trim().is_empty() {
        return Ok("No changes.".into());
    }
    if out.len() > MAX_GIT_DIFF {
        let mut cut = MAX_GIT_DIFF;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str(&format!("\n... (truncated at {MAX_GIT_DIFF} chars)"));
    }
    Ok(out)
}

fn shell(cmd: &str, timeout_ms: Option<u32>) -> Result<String, String> {
    shell::absolute_path_guard(cmd)?;
    let out = exec("sh", &["-c", cmd], timeout_ms)?;
    Ok(shell::shell_block(
        &String::from_utf8_lossy(&out.stdout),
        &String::from_utf8_lossy(&out.stderr),
        out.exit_code,
    ))
}

fn ctx(a: &serde_json::Value) -> Ctx {
    a.get("_dgov")
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default()
}

fn run_bash(a: &serde_json::Value) -> Result<String, String> {
    let cmd = req(a, "run_bash", "cmd")?;
    let c = ctx(a);
    shell::check_run_bash(&cmd, &c.policy)?;
    shell(&cmd, c.timeout_ms)
}

fn run_tests(a: &serde_json::Value) -> Result<String, String> {
    let file = s(a, "file").unwrap_or_default();
    let c = ctx(a);
    let is_dir = |p: &str| host::list_dir(p).is_ok();
    let cmd = shell::run_tests_command(&c.test_cmd, &c.test_targets, &file, &is_dir)?;
    shell(&cmd, c.timeout_ms)
}

fn done(a: &serde_json::Value) -> Result<String, String> {
    Ok(s(a, "summary").unwrap_or_default())
}

pub(crate) fn spec(
    name: &str,
    desc: &str,
    props: serde_json::Value,
    required: &[&str],
    writes: bool,
) -> ToolSpec {
    ToolSpec::new(
        name,
        desc,
        json!({"type": "object", "properties": props, "required": required}),
        writes,
    )
}

/// The tool catalogue (names and arguments as the original dgov's).
pub fn specs() -> Vec<ToolSpec> {
    let mut all = core_specs();
    all.extend(inspect::specs());
    all.extend(project::specs());
    all
}

fn core_specs() -> Vec<ToolSpec> {
    let path = json!({"type": "string", "description": "Path relative to the worktree root"});
    vec![
        spec(
            "read_file",
            "Read a file. With start_line (1-based) and optional end_line, returns numbered lines.",
            json!({"path": path, "start_line": {"type": "integer", "default": 0}, "end_line": {"type": "integer", "default": 0}}),
            &["path"],
            false,
        ),
        spec(
            "write_file",
            "Create a NEW file with the given content (refuses existing files; use edit_file or apply_patch for those).",
            json!({"path": path, "content": {"type": "string"}}),
            &["path", "content"],
            true,
        ),
        spec(
            "edit_file",
            "Replace the single exact occurrence of old_text with new_text in an existing file.",
            json!({"path": path, "old_text": {"type": "string"}, "new_text": {"type": "string"}}),
            &["path", "old_text", "new_text"],
            true,
        ),
        spec(
            "apply_patch",
            "Apply a unified diff (@@ -N,M +N,M @@ hunks) to one file. Context and removed lines must match the file exactly.",
            json!({"path": path, "patch": {"type": "string"}}),
            &["path", "patch"],
            true,
        ),
        spec(
            "grep",
            "Search files for a regular expression; prints path:line: text (first 100 matches).",
            json!({"pattern": {"type": "string"}, "path": {"type": "string", "default": "."}}),
            &["pattern"],
            false,
        ),
        spec(
            "glob",
            "List files whose path or name matches a glob pattern (* also crosses /).",
            json!({"pattern": {"type": "string"}}),
            &["pattern"],
            false,
        ),
        spec(
            "list_dir",
            "List a directory: sub-directories end with /, files show their size.",
            json!({"path": {"type": "string", "default": "."}}),
            &[],
            false,
        ),
        spec(
            "git_diff",
            "Show the worktree's changes against HEAD, including untracked files.",
            json!({}),
            &[],
            false,
        ),
        spec(
            "run_bash",
            "Run a shell command in the worktree (sanitized environment, time limit). Returns STDOUT, STDERR and EXIT.",
            json!({"cmd": {"type": "string"}}),
            &["cmd"],
            false,
        ),
        spec(
            "run_tests",
            "Run the project's test command on in-scope test targets (file: one or more targets; empty means the task's only target).",
            json!({"file": {"type": "string", "default": ""}}),
            &[],
            false,
        ),
        spec(
            "done",
            "Finish the task with a summary of what changed and how it was verified.",
            json!({"summary": {"type": "string"}}),
            &["summary"],
            false,
        ),
    ]
}

impl Tools for WorkerTools {
    fn list_tools() -> Vec<ToolSpec> {
        specs()
    }

    fn call(name: String, args_json: String) -> Result<String, PluginError> {
        let a: serde_json::Value = serde_json::from_str(if args_json.trim().is_empty() {
            "{}"
        } else {
            &args_json
        })
        .map_err(|e| {
            PluginError::InvalidInput(format!("Tool {name} arguments contain invalid JSON: {e}"))
        })?;
        if !a.is_object() {
            return Err(PluginError::InvalidInput(format!(
                "Tool {name} arguments must be a JSON object."
            )));
        }
        let r = match name.as_str() {
            "read_file" => read_file(&a),
            "write_file" => write_file(&a),
            "edit_file" => edit_file(&a),
            "apply_patch" => apply_patch(&a),
            "grep" => grep(&a),
            "glob" => glob(&a),
            "list_dir" => list_dir(&a),
            "git_diff" => git_diff(),
            "run_bash" => run_bash(&a),
            "run_tests" => run_tests(&a),
            "done" => done(&a),
            other => inspect::call(other, &a)
                .or_else(|| project::call(other, &a))
                .unwrap_or_else(|| Err(format!("Tool {other} not found."))),
        };
        r.map_err(PluginError::Failed)
    }
}

dgov_sdk::export_tools!(WorkerTools);
