//! Pure logic of the shell-backed tools: the run_bash policy of `[tool_policy]` (dgov-worker
//! §2.4, in the same order) and run_tests target selection (§2.5.25).

use serde::Deserialize;

use crate::text::shell_quote;

/// `[tool_policy]` as the host passes it in the reserved `_dgov` argument.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Policy {
    pub restrict_run_bash: bool,
    pub require_wrapped_verify_tools: bool,
    pub require_uv_run: bool,
    pub deny_shell_file_mutations: bool,
    pub deny_shell_commands: Vec<String>,
}

/// The absolute-path guard applied to every shell command (policy or not).
pub fn absolute_path_guard(cmd: &str) -> Result<(), String> {
    const DIRS: [&str; 10] = [
        "etc", "tmp", "var", "usr", "opt", "home", "Users", "root", "bin", "sbin",
    ];
    let b = cmd.as_bytes();
    for (i, _) in cmd.match_indices('/') {
        let prev_ok =
            i == 0 || !(b[i - 1] == b'.' || b[i - 1] == b'_' || b[i - 1].is_ascii_alphanumeric());
        if !prev_ok {
            continue;
        }
        let rest = &cmd[i + 1..];
        for d in DIRS {
            if let Some(after) = rest.strip_prefix(d)
                && !after
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                return Err(
                    "Absolute paths are not allowed. Use relative paths within the worktree."
                        .into(),
                );
            }
        }
    }
    Ok(())
}

/// POSIX-ish word splitting: quotes and backslashes, enough to find the command name.
pub fn split_words(cmd: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                has = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            '"' => {
                has = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x) => cur.push(x),
                            None => return Err("No escaped character".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(x) => {
                    cur.push(x);
                    has = true;
                }
                None => return Err("No escaped character".into()),
            },
            c if c.is_whitespace() => {
                if has {
                    words.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            c => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has {
        words.push(cur);
    }
    Ok(words)
}

const UV_VALUE_OPTS: [&str; 16] = [
    "--with",
    "--with-editable",
    "--with-requirements",
    "--extra",
    "--group",
    "--env-file",
    "-p",
    "--python",
    "--project",
    "--directory",
    "--package",
    "--index",
    "--index-url",
    "--extra-index-url",
    "--only-group",
    "--no-group",
];
const UV_FLAGS: [&str; 14] = [
    "-q",
    "-v",
    "-m",
    "--quiet",
    "--verbose",
    "--no-sync",
    "--frozen",
    "--locked",
    "--isolated",
    "--all-extras",
    "--no-dev",
    "--offline",
    "--no-project",
    "--active",
];

/// Check `cmd` against the run_bash policy. Only applies when `restrict_run_bash` is set
/// (as the original; `deny_shell_commands` alone does nothing).
pub fn check_run_bash(cmd: &str, p: &Policy) -> Result<(), String> {
    if !p.restrict_run_bash {
        return Ok(());
    }
    let lower = cmd.trim().to_lowercase();
    for d in &p.deny_shell_commands {
        if !d.trim().is_empty() && lower.starts_with(&d.to_lowercase()) {
            return Err(format!(
                "run_bash policy rejected '{cmd}'. Denied shell command prefix: '{d}'."
            ));
        }
    }
    if p.deny_shell_file_mutations {
        let mutation =
            regex::Regex::new(r"(^|[;&|]\s*)(rm|mv|cp|touch|mkdir)\b").expect("static regex");
        if mutation.is_match(cmd) {
            return Err(format!(
                "run_bash policy rejected file mutation shell command '{cmd}'. Use write_file, edit_file or apply_patch."
            ));
        }
        let tee = regex::Regex::new(r"\btee\b").expect("static regex");
        if cmd.contains('>') || cmd.contains("<<") || tee.is_match(cmd) {
            return Err(format!(
                "run_bash policy rejected shell redirection in '{cmd}'. Use the file tools to write files."
            ));
        }
    }
    let words = split_words(cmd).map_err(|e| format!("Invalid shell command: {e}"))?;
    if words.is_empty() {
        return Err("Empty shell command.".into());
    }
    let mut core: &[String] = &words;
    let mut wrapped = false;
    if words.len() >= 2 && words[0] == "uv" && words[1] == "run" {
        wrapped = true;
        let mut i = 2;
        while i < words.len() {
            let w = words[i].as_str();
            if w == "--" {
                i += 1;
                break;
            }
            if UV_VALUE_OPTS.contains(&w) {
                i += 2;
            } else if UV_VALUE_OPTS
                .iter()
                .any(|o| w.starts_with(&format!("{o}=")))
                || UV_FLAGS.contains(&w)
                || (w.len() > 2
                    && (w.chars().skip(1).all(|c| c == 'q') || w.chars().skip(1).all(|c| c == 'v'))
                    && w.starts_with('-'))
            {
                i += 1;
            } else {
                break;
            }
        }
        core = words.get(i..).unwrap_or(&[]);
        if core.is_empty() {
            return Err("Invalid 'uv run' command with no subcommand.".into());
        }
    }
    let tool = core[0].as_str();
    let arg = |n: usize| core.get(n).map(String::as_str).unwrap_or("");
    if p.require_wrapped_verify_tools {
        let py = matches!(tool, "python" | "python3");
        let wrapped_tool = if tool == "pytest" || (py && arg(1) == "-m" && arg(2) == "pytest") {
            Some("run_tests")
        } else if tool == "ruff" && arg(1) == "check" && core.iter().any(|w| w == "--fix") {
            Some("lint_fix")
        } else if tool == "ruff" && arg(1) == "check" {
            Some("lint_check")
        } else if tool == "ruff" && arg(1) == "format" {
            Some("format_file")
        } else if (tool == "ty" && arg(1) == "check")
            || (py && arg(1) == "-m" && arg(2) == "ty" && arg(3) == "check")
        {
            Some("type_check")
        } else {
            None
        };
        if let Some(t) = wrapped_tool {
            return Err(format!(
                "run_bash policy requires {t}() for '{cmd}'; call that tool instead."
            ));
        }
    }
    if p.require_uv_run
        && !wrapped
        && matches!(tool, "python" | "python3" | "pytest" | "ruff" | "ty")
    {
        return Err(format!(
            "run_bash policy requires 'uv run' for Python command '{tool}'."
        ));
    }
    Ok(())
}

/// Normalise a test target: trim, strip leading `.`/`/` characters and a trailing `/`.
pub fn norm_target(t: &str) -> String {
    t.trim()
        .trim_start_matches(['.', '/'])
        .trim_end_matches('/')
        .to_string()
}

/// Whether `requested` is covered by `allowed`. `allowed_is_dir` says the allowed path is a
/// directory (existing, or missing without an extension).
pub fn target_allowed(requested: &str, allowed: &str, allowed_is_dir: bool) -> bool {
    if allowed_is_dir {
        requested == allowed || requested.starts_with(&format!("{allowed}/"))
    } else {
        requested == allowed
    }
}

/// Build the run_tests command line. `is_dir` answers whether an allowed target is a
/// directory in the worktree.
pub fn run_tests_command(
    test_cmd: &str,
    allowed: &[String],
    file: &str,
    is_dir: &dyn Fn(&str) -> bool,
) -> Result<String, String> {
    if test_cmd.trim().is_empty() {
        return Err("run_tests() is unavailable because test_cmd is not configured.".into());
    }
    if !test_cmd.contains("{test_dir}") {
        return Err(
            "run_tests() requires project test_cmd to contain '{test_dir}' for scoped verification."
                .into(),
        );
    }
    let allowed: Vec<String> = allowed
        .iter()
        .map(|a| norm_target(a))
        .filter(|a| !a.is_empty())
        .collect();
    if allowed.is_empty() {
        return Err("run_tests() requires in-scope test targets. Claim relevant tests via files.read/files.edit/files.create first.".into());
    }
    let list = allowed.join(", ");
    let ok = |t: &str| {
        allowed.iter().any(|a| {
            let dir = is_dir(a) || !a.rsplit('/').next().unwrap_or(a).contains('.');
            target_allowed(t, a, dir)
        })
    };
    let targets: Vec<String> = if file.trim().is_empty() {
        if allowed.len() != 1 {
            return Err(format!(
                "run_tests() requires an explicit in-scope target for this task. Allowed targets: {list}"
            ));
        }
        allowed.clone()
    } else if ok(&norm_target(file)) {
        vec![norm_target(file)]
    } else {
        let parts = split_words(file).map_err(|e| format!("Invalid run_tests() target: {e}"))?;
        let parts: Vec<String> = parts
            .iter()
            .map(|p| norm_target(p))
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return Err("run_tests() target is empty.".into());
        }
        if let Some(bad) = parts.iter().find(|p| !ok(p)) {
            return Err(format!(
                "run_tests() target is outside this task's verification scope. Requested: {bad}. Allowed targets: {list}"
            ));
        }
        parts
    };
    let quoted: Vec<String> = targets.iter().map(|t| shell_quote(t)).collect();
    Ok(test_cmd.replace("{test_dir}", &quoted.join(" ")))
}

/// The STDOUT/STDERR/EXIT block the model sees for a shell command.
pub fn shell_block(stdout: &str, stderr: &str, code: Option<i32>) -> String {
    let code = code.map_or_else(|| "signal".to_string(), |c| c.to_string());
    format!("STDOUT:\n{stdout}\nSTDERR:\n{stderr}\nEXIT:{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> Policy {
        Policy {
            restrict_run_bash: true,
            require_wrapped_verify_tools: true,
            require_uv_run: true,
            deny_shell_file_mutations: true,
            deny_shell_commands: vec!["pip".into()],
        }
    }

    #[test]
    fn absolute_paths_are_refused_but_relative_ones_pass() {
        assert!(absolute_path_guard("cat /etc/passwd").is_err());
        assert!(absolute_path_guard("ls /usr").is_err());
        assert!(absolute_path_guard("ls ./usr/x").is_ok());
        assert!(absolute_path_guard("cat src/etc/x").is_ok());
        assert!(absolute_path_guard("ls /etcetera").is_ok());
    }

    #[test]
    fn policy_is_off_unless_restrict_run_bash() {
        let p = Policy {
            deny_shell_commands: vec!["pip".into()],
            ..Policy::default()
        };
        assert!(check_run_bash("pip install x", &p).is_ok());
    }

    #[test]
    fn policy_checks_in_order() {
        let p = strict();
        assert!(
            check_run_bash("PIP install x", &p)
                .unwrap_err()
                .contains("Denied shell command prefix: 'pip'")
        );
        assert!(
            check_run_bash("rm -rf src", &p)
                .unwrap_err()
                .contains("file mutation")
        );
        assert!(
            check_run_bash("echo hi > f", &p)
                .unwrap_err()
                .contains("redirection")
        );
        assert!(
            check_run_bash("echo 'x", &p)
                .unwrap_err()
                .starts_with("Invalid shell command")
        );
        assert_eq!(
            check_run_bash("   ", &p).unwrap_err(),
            "Empty shell command."
        );
        assert!(
            check_run_bash("uv run", &p)
                .unwrap_err()
                .contains("no subcommand")
        );
        assert!(
            check_run_bash("uv run --extra dev pytest -q", &p)
                .unwrap_err()
                .contains("run_tests()")
        );
        assert!(
            check_run_bash("uv run --with pytest pytest", &p)
                .unwrap_err()
                .contains("run_tests()")
        );
        assert!(
            check_run_bash("uv run --env-file .env ruff check", &p)
                .unwrap_err()
                .contains("lint_check()")
        );
        assert!(
            check_run_bash("uv run -q ty check", &p)
                .unwrap_err()
                .contains("type_check()")
        );
        assert!(
            check_run_bash("python -m ty check", &p)
                .unwrap_err()
                .contains("type_check()")
        );
        assert!(
            check_run_bash("ruff check --fix x", &p)
                .unwrap_err()
                .contains("lint_fix()")
        );
        assert!(
            check_run_bash("python -c 1", &p)
                .unwrap_err()
                .contains("requires 'uv run'")
        );
        assert!(check_run_bash("uv run python -c 1", &p).is_ok());
        assert!(check_run_bash("ls src", &p).is_ok());
    }

    #[test]
    fn run_tests_checks_config_and_scope() {
        let no_dir = |_: &str| false;
        let t = vec!["tests/test_a.py".to_string()];
        assert!(
            run_tests_command("", &t, "", &no_dir)
                .unwrap_err()
                .contains("not configured")
        );
        assert!(
            run_tests_command("cargo test", &t, "", &no_dir)
                .unwrap_err()
                .contains("{test_dir}")
        );
        assert!(
            run_tests_command("pytest {test_dir}", &[], "", &no_dir)
                .unwrap_err()
                .contains("in-scope test targets")
        );
        assert_eq!(
            run_tests_command("pytest {test_dir}", &t, "", &no_dir).unwrap(),
            "pytest tests/test_a.py"
        );
        assert!(
            run_tests_command("pytest {test_dir}", &t, "tests/other.py", &no_dir)
                .unwrap_err()
                .contains("outside")
        );
        let two = vec!["tests/a.py".to_string(), "tests/b.py".to_string()];
        assert!(
            run_tests_command("pytest {test_dir}", &two, "", &no_dir)
                .unwrap_err()
                .contains("explicit")
        );
        assert_eq!(
            run_tests_command("pytest {test_dir}", &two, "tests/a.py tests/b.py", &no_dir).unwrap(),
            "pytest tests/a.py tests/b.py"
        );
        let sp = vec!["tests/test space.py".to_string()];
        assert_eq!(
            run_tests_command("pytest {test_dir}", &sp, "tests/test space.py", &no_dir).unwrap(),
            "pytest 'tests/test space.py'"
        );
        let dir = vec!["tests".to_string()];
        assert_eq!(
            run_tests_command("pytest {test_dir}", &dir, "tests/unit/x.py", &no_dir).unwrap(),
            "pytest tests/unit/x.py"
        );
    }

    #[test]
    fn shell_block_format() {
        assert_eq!(
            shell_block("o", "e", Some(3)),
            "STDOUT:\no\nSTDERR:\ne\nEXIT:3"
        );
    }
}
