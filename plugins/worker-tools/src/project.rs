//! Tools that use the project's toolchain or the host's parser: `file_symbols` and
//! `check_syntax` (host-parsed tree-sitter facts: Rust, Python, JS/TS, Go), `lint_check`,
//! `lint_fix`, `format_file` and `type_check` (the configured commands, run through the
//! allow-listed `exec`) and `scope_status` (the task's claims against git's view of the
//! worktree). `ast_grep` is not shipped: it needs an external `sg` binary.
//!
//! Unlike the original, a `file` argument is checked for containment and shell-quoted before
//! it replaces `{file}` (the original substituted it raw), and the writing tools refuse
//! governor-owned and unclaimed files.

pub mod outline;
pub mod scope;

use dgov_sdk::tool::{ToolSpec, host};
use dgov_sdk::types::HostErrorKind;
use serde::Deserialize;
use serde_json::json;

use crate::text::{TRAVERSAL, rel_path, shell_quote};
use scope::{ClaimSet, PathPolicy};

/// The host's `_dgov` context as these tools read it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Ctx {
    src_dir: String,
    lint_cmd: String,
    lint_fix_cmd: String,
    format_cmd: String,
    type_check_cmd: String,
    timeout_ms: Option<u32>,
    /// `None` when the host passed no claims (no task scope known).
    claims: Option<ClaimSet>,
    /// `[scope]` ignore/allow/deny lists.
    path_policy: PathPolicy,
    /// Paths this attempt wrote through its tools so far (the host's activity log), which
    /// settlement's transient-scope check sees even when they were reverted since.
    transient_writes: Vec<String>,
}

fn ctx(a: &serde_json::Value) -> Ctx {
    a.get("_dgov")
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default()
}

/// The tools of this module.
pub fn specs() -> Vec<ToolSpec> {
    let path = json!({"type": "string", "description": "Path relative to the worktree root"});
    let file = json!({"type": "string", "default": "", "description": "File or directory relative to the worktree root"});
    vec![
        crate::spec(
            "file_symbols",
            "List a source file's top-level definitions and methods (kind, signature, line range), parsed by the host (Rust, Python, JavaScript, TypeScript, Go).",
            json!({"path": path}),
            &["path"],
            false,
        ),
        crate::spec(
            "check_syntax",
            "Parse a source file (Rust, Python, JavaScript, TypeScript, Go) and report its syntax errors with line and column, or OK.",
            json!({"path": path}),
            &["path"],
            false,
        ),
        crate::spec(
            "lint_check",
            "Run the project's linter (lint_cmd) on a file or directory; empty means the source directory.",
            json!({"file": file}),
            &[],
            false,
        ),
        crate::spec(
            "lint_fix",
            "Run the project's lint autofix (lint_fix_cmd) on a claimed file; empty means every claimed writable file.",
            json!({"file": file}),
            &[],
            true,
        ),
        crate::spec(
            "format_file",
            "Format a claimed file with the project's formatter (format_cmd).",
            json!({"file": {"type": "string", "description": "File relative to the worktree root"}}),
            &["file"],
            true,
        ),
        crate::spec(
            "type_check",
            "Run the project's type checker (type_check_cmd).",
            json!({}),
            &[],
            false,
        ),
        crate::spec(
            "scope_status",
            "Compare the task's claimed files with the worktree's changes: claimed writable and read-only files, modified files, unclaimed changes and what would block settlement.",
            json!({}),
            &[],
            false,
        ),
    ]
}

/// Run tool `name` if it is one of this module's; `None` otherwise.
pub fn call(name: &str, a: &serde_json::Value) -> Option<Result<String, String>> {
    Some(match name {
        "file_symbols" => file_symbols(a),
        "check_syntax" => check_syntax(a),
        "lint_check" => lint_check(a),
        "lint_fix" => lint_fix(a),
        "format_file" => format_file(a),
        "type_check" => type_check(a),
        "scope_status" => scope_status(a),
        _ => return None,
    })
}

fn facts(tool: &str, path: &str) -> Result<dgov_sdk::syntax::FileFacts, String> {
    let rel = rel_path(path)?;
    host::facts(&rel).map_err(|e| match e.kind {
        HostErrorKind::NotFound => format!("{path} does not exist."),
        HostErrorKind::Denied if e.message.contains("capability") => format!(
            "{tool} is unavailable: the host did not grant the syntax capability ({})",
            e.message
        ),
        HostErrorKind::Denied => TRAVERSAL.to_string(),
        HostErrorKind::InvalidInput => format!(
            "{tool} cannot parse {path}: {}. It understands Rust, Python, JavaScript, TypeScript and Go files.",
            e.message
        ),
        _ => format!("{tool}: {path}: {}", e.message),
    })
}

fn file_symbols(a: &serde_json::Value) -> Result<String, String> {
    let path = crate::req(a, "file_symbols", "path")?;
    let f = facts("file_symbols", &path)?;
    Ok(outline::symbols_text(&path, &f))
}

fn check_syntax(a: &serde_json::Value) -> Result<String, String> {
    let path = crate::req(a, "check_syntax", "path")?;
    let f = facts("check_syntax", &path)?;
    Ok(outline::syntax_text(&path, &f))
}

/// `template` with `{file}` replaced by the shell-quoted targets (a template without the
/// placeholder runs as configured, on whatever it covers).
pub fn command(template: &str, targets: &[String]) -> String {
    let quoted: Vec<String> = targets.iter().map(|t| shell_quote(t)).collect();
    template.replace("{file}", &quoted.join(" "))
}

fn configured<'a>(cmd: &'a str, tool: &str, key: &str) -> Result<&'a str, String> {
    let cmd = cmd.trim();
    if cmd.is_empty() {
        return Err(format!(
            "{tool}() is unavailable because {key} is not configured in .dgov/project.toml."
        ));
    }
    Ok(cmd)
}

/// The source directory as a lint target (`.` when unset).
fn src_target(c: &Ctx) -> String {
    let d = rel_path(&c.src_dir).unwrap_or_default();
    if d.is_empty() { ".".into() } else { d }
}

fn lint_check(a: &serde_json::Value) -> Result<String, String> {
    let c = ctx(a);
    let template = configured(&c.lint_cmd, "lint_check", "lint_cmd")?;
    let file = crate::s(a, "file").unwrap_or_default();
    let target = if file.trim().is_empty() {
        src_target(&c)
    } else {
        let rel = rel_path(&file)?;
        if rel.is_empty() { ".".into() } else { rel }
    };
    crate::shell(&command(template, &[target]), c.timeout_ms)
}

/// A file a writing tool may change: inside the worktree, not governor-owned and, when the
/// host passed the task's claims, claimed writable.
fn claimed_writable(tool: &str, file: &str, c: &Ctx) -> Result<String, String> {
    let rel = crate::writable(file)?;
    if let Some(claims) = &c.claims
        && !claims.writable_covers(&rel)
    {
        let list = if claims.writable.is_empty() {
            "(none)".to_string()
        } else {
            claims.writable.join(", ")
        };
        return Err(format!(
            "{tool}() may only change files this task claims as writable; {file} is not one of them. Claimed writable: {list}"
        ));
    }
    Ok(rel)
}

fn lint_fix(a: &serde_json::Value) -> Result<String, String> {
    let c = ctx(a);
    let template = configured(&c.lint_fix_cmd, "lint_fix", "lint_fix_cmd")?;
    let file = crate::s(a, "file").unwrap_or_default();
    let targets = if !file.trim().is_empty() {
        vec![claimed_writable("lint_fix", &file, &c)?]
    } else if let Some(claims) = &c.claims {
        let existing: Vec<String> = claims
            .writable
            .iter()
            .filter_map(|p| rel_path(p).ok())
            .filter(|p| !p.is_empty() && !crate::text::governor_owned(p) && host::exists(p))
            .collect();
        if existing.is_empty() {
            return Err(
                "lint_fix() requires a file: this task claims no existing writable file.".into(),
            );
        }
        existing
    } else {
        vec![src_target(&c)]
    };
    crate::shell(&command(template, &targets), c.timeout_ms)
}

fn format_file(a: &serde_json::Value) -> Result<String, String> {
    let c = ctx(a);
    let file = crate::req(a, "format_file", "file")?;
    let template = configured(&c.format_cmd, "format_file", "format_cmd")?;
    let rel = claimed_writable("format_file", &file, &c)?;
    if !host::exists(&rel) {
        return Err(format!("{file} does not exist."));
    }
    crate::shell(&command(template, &[rel]), c.timeout_ms)
}

fn type_check(a: &serde_json::Value) -> Result<String, String> {
    let c = ctx(a);
    if c.type_check_cmd.trim().is_empty() {
        return Ok("Type checking not configured for this project.".into());
    }
    crate::shell(
        &command(c.type_check_cmd.trim(), &[src_target(&c)]),
        c.timeout_ms,
    )
}

fn scope_status(a: &serde_json::Value) -> Result<String, String> {
    let c = ctx(a);
    let claims = match &c.claims {
        Some(cl) if !cl.is_empty() => cl.clone(),
        _ => return Err("scope_status() requires task scope from the governor.".into()),
    };
    let out = crate::exec(
        "git",
        &["status", "--porcelain", "-z", "--untracked-files=all"],
        Some(10_000),
    )?;
    if out.exit_code != Some(0) {
        return Err(format!(
            "git status failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let modified = scope::porcelain_paths(&String::from_utf8_lossy(&out.stdout));
    Ok(scope::report(
        &claims,
        &c.path_policy,
        &modified,
        &c.transient_writes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_quotes_targets_and_keeps_templates_without_placeholder() {
        assert_eq!(
            command("sh lint.sh {file}", &["src/a b.py".into()]),
            "sh lint.sh 'src/a b.py'"
        );
        assert_eq!(
            command("fix {file}", &["a.rs".into(), "b.rs".into()]),
            "fix a.rs b.rs"
        );
        assert_eq!(command("cargo fmt", &["src/a.rs".into()]), "cargo fmt");
        // A model-supplied name cannot smuggle a second command through the placeholder.
        assert_eq!(
            command("lint {file}", &["x; rm -rf y".into()]),
            "lint 'x; rm -rf y'"
        );
    }

    #[test]
    fn context_without_claims_is_unscoped_and_with_claims_is_scoped() {
        let c = ctx(&json!({"_dgov": {"lint_cmd": "l {file}"}}));
        assert!(c.claims.is_none());
        assert_eq!(c.lint_cmd, "l {file}");
        let c = ctx(&json!({"_dgov": {"claims": {"writable": ["src/a.rs"], "read": []}}}));
        assert!(c.claims.unwrap().writable_covers("src/a.rs"));
    }

    #[test]
    fn unconfigured_commands_name_the_key() {
        assert_eq!(
            configured("  ", "lint_check", "lint_cmd").unwrap_err(),
            "lint_check() is unavailable because lint_cmd is not configured in .dgov/project.toml."
        );
        assert_eq!(configured(" x ", "t", "k").unwrap(), "x");
    }

    #[test]
    fn every_spec_is_dispatched_and_writing_tools_say_so() {
        for s in specs() {
            assert!(
                call(&s.name, &json!({})).is_some(),
                "{} not dispatched",
                s.name
            );
            assert_eq!(
                s.writes,
                s.name == "lint_fix" || s.name == "format_file",
                "{}",
                s.name
            );
        }
        assert!(call("nope", &json!({})).is_none());
    }

    #[test]
    fn src_target_is_the_relative_source_dir_or_dot() {
        let mut c = Ctx {
            src_dir: "src/".into(),
            ..Ctx::default()
        };
        assert_eq!(src_target(&c), "src");
        c.src_dir = String::new();
        assert_eq!(src_target(&c), ".");
    }
}
