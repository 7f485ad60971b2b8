//! The command gate: runs one project command (setup, lint, format check, type check, tests,
//! coverage) or the review hooks on the tree under review through the host's `exec`
//! capability. `check` dispatches on `kind`; the exit code decides unless a kind knows more:
//! - `setup` ([`setup`]): fixed 300 s timeout, `setup_failed` with the output's last 500 chars;
//! - `review_hooks` ([`hooks`]): each of `hooks` in turn, the first failure wins;
//! - `tests` with `{test_dir}` ([`targets`]): only the tests related to the change run;
//! - `lint` ([`lint`]): parsed diagnostics block only on the lines the change added;
//! - `typecheck` ([`diagnostics`]) and `coverage` ([`coverage`]): judged against a baseline.
//!
//! Configuration (the host fills it from `.dgov/project.toml` and the settlement policy):
//!
//! ```json
//! {"kind": "tests", "command": "cargo test -q", "test_dir": "tests/",
//!  "extensions": [".rs"], "pass_codes": [0], "timeout_s": 120}
//! ```
//!
//! Placeholders: `{file}` / `{files}` become the changed files that still exist (filtered to
//! `extensions` when given; none → the gate is skipped), `{test_dir}` the test directory (for
//! `tests`: the test targets).
//! A command with shell syntax (pipes, `&&`, redirections, variables) runs as `sh -c`;
//! otherwise it is split into words and run directly, so the host only has to allow its
//! first word. [`program_of`] is that rule; the host uses the same one to grant exactly the
//! program the gate will run.

pub mod coverage;
pub mod diagnostics;
pub mod hooks;
pub mod lint;
pub mod setup;
pub mod targets;

use dgov_sdk::gate::*;
use dgov_sdk::types::ExecRequest;
use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `lint`, `format`, `typecheck`, `tests`, `coverage` or any label: names findings.
    pub kind: String,
    pub command: String,
    pub test_dir: String,
    pub extensions: Vec<String>,
    /// Exit codes that pass (default `[0]`; tests also accept 5, pytest's "no tests").
    pub pass_codes: Vec<i32>,
    pub timeout_s: Option<u32>,
    /// Type check: the host runs the command on the baseline revision first (see
    /// [`diagnostics`]); only diagnostics absent there fail.
    pub baseline: bool,
    /// Set by the host on that baseline run: list every diagnostic, uncapped.
    pub baseline_run: bool,
    /// The baseline run's findings (host-filled); `None` = no baseline, all diagnostics new.
    pub baseline_findings: Option<Vec<diagnostics::BaselineFinding>>,
    /// Why the host has no baseline findings (its baseline run failed), for the summary.
    pub baseline_error: String,
    /// Coverage: the report path `{output}` stands for (host-filled, see [`coverage`]).
    pub output: String,
    /// Coverage: the session's `.coverage-baseline/coverage.json` (host-filled; null = none).
    pub coverage_baseline: serde_json::Value,
    /// Coverage: allowed drop per changed file, in percentage points.
    pub coverage_threshold: f64,
    /// Review hooks (kind `review_hooks`, see [`hooks`]).
    pub hooks: Vec<String>,
    /// The source directory (test targeting: the boundary test, module names).
    pub src_dir: String,
    /// Substitute the related test targets for `{test_dir}` (see [`targets`]); default: on
    /// for kind `tests`.
    pub target_tests: Option<bool>,
    /// Block only on diagnostics on the lines the change added (see [`lint`]); default: on
    /// for kind `lint`.
    pub changed_lines_only: Option<bool>,
}

const SHELL_CHARS: &[char] = &['|', '&', ';', '<', '>', '$', '`', '(', ')', '*', '?', '\n'];

/// Whether `command` needs a shell.
pub fn needs_shell(command: &str) -> bool {
    // `VAR=value cmd` sets the environment: only a shell does that.
    command.contains(SHELL_CHARS)
        || command
            .split_whitespace()
            .next()
            .is_some_and(|w| w.contains('='))
}

/// The program a command runs: `sh` for shell syntax, else its first word.
pub fn program_of(command: &str) -> Option<String> {
    if needs_shell(command) {
        return Some("sh".into());
    }
    split_words(command).into_iter().next()
}

/// Split on whitespace, honouring single and double quotes (no escapes beyond `\"`).
pub fn split_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if started || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `s` quoted for `sh` when it needs quoting.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@=".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The argv to run, or `None` when the command has a file placeholder and no file applies.
pub fn build_argv(config: &Config, files: &[String]) -> Option<Vec<String>> {
    let has_files = config.command.contains("{file}") || config.command.contains("{files}");
    if has_files && files.is_empty() {
        return None;
    }
    if needs_shell(&config.command) {
        let quoted: Vec<String> = files.iter().map(|f| shell_quote(f)).collect();
        let cmd = config
            .command
            .replace("{files}", &quoted.join(" "))
            .replace("{file}", &quoted.join(" "))
            .replace("{test_dir}", &shell_quote(&config.test_dir));
        return Some(vec!["sh".into(), "-c".into(), cmd]);
    }
    let mut argv = Vec::new();
    for word in split_words(&config.command) {
        match word.as_str() {
            "{file}" | "{files}" => argv.extend(files.iter().cloned()),
            "{test_dir}" => argv.push(config.test_dir.clone()),
            _ => argv.push(word.replace("{test_dir}", &config.test_dir)),
        }
    }
    if argv.is_empty() { None } else { Some(argv) }
}

/// Changed files that still exist, filtered to the configured extensions.
pub fn gated_files(ctx: &GateContext, extensions: &[String]) -> Vec<String> {
    ctx.changed
        .iter()
        .filter(|f| f.kind != ChangeKind::Deleted)
        .filter(|f| {
            extensions.is_empty() || extensions.iter().any(|e| f.path.ends_with(e.as_str()))
        })
        .map(|f| f.path.clone())
        .collect()
}

/// The last `max` bytes of `text` (at a character boundary), trailing whitespace dropped.
pub fn tail(text: &str, max: usize) -> &str {
    let t = text.trim_end();
    let mut start = t.len().saturating_sub(max);
    while !t.is_char_boundary(start) {
        start += 1;
    }
    &t[start..]
}

/// Judge a finished command: pass codes pass; anything else fails with the output's end.
pub fn judge(
    config: &Config,
    command: &str,
    exit: Option<i32>,
    timed_out: bool,
    output: &str,
) -> GateReport {
    let kind = if config.kind.is_empty() {
        "command"
    } else {
        config.kind.as_str()
    };
    let pass_codes: &[i32] = if config.pass_codes.is_empty() {
        &[0]
    } else {
        &config.pass_codes
    };
    if !timed_out && exit.is_some_and(|c| pass_codes.contains(&c)) {
        return GateReport::pass(&format!("{kind}: `{command}` passed"));
    }
    let why = if timed_out {
        "timed out".to_owned()
    } else {
        exit.map_or_else(
            || "was killed by a signal".to_owned(),
            |c| format!("exited with {c}"),
        )
    };
    let msg = format!(
        "{kind} failure from `{command}` ({why}):\n{}",
        tail(output, 4000)
    );
    let mut report =
        GateReport::from_findings(vec![Finding::error(&format!("{kind}_failed"), &msg)]);
    report.summary = format!("{kind}: `{command}` {why}");
    report
}

/// A finished command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// `None` when killed by a signal or timed out.
    pub exit: Option<i32>,
    pub timed_out: bool,
    /// Standard output followed by standard error.
    pub output: String,
}

/// Run `argv` through the host's `exec` (cwd = the tree under review).
pub fn run_argv(argv: &[String], timeout_s: Option<u32>) -> Result<RunResult, PluginError> {
    let request = ExecRequest {
        program: argv[0].clone(),
        args: argv[1..].to_vec(),
        cwd: None,
        env: Vec::new(),
        timeout_ms: timeout_s.map(|s| s.saturating_mul(1000)),
        stdin: None,
    };
    let out = host::exec(&request).map_err(|e| match e.kind {
        dgov_sdk::types::HostErrorKind::Denied => PluginError::Denied(e.message),
        _ => PluginError::Failed(format!("running `{}`: {}", argv.join(" "), e.message)),
    })?;
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok(RunResult {
        exit: out.exit_code,
        timed_out: out.timed_out,
        output,
    })
}

fn skip(summary: &str) -> GateReport {
    let mut r = GateReport::pass(summary);
    r.verdict = Verdict::Skip;
    r
}

/// The argv of the configured command for this change, or the skip report saying why it
/// does not run.
pub fn command_argv(
    config: &Config,
    ctx: &GateContext,
    files: &[String],
    fs: &dyn targets::Fs,
) -> Result<Vec<String>, GateReport> {
    let targeted = config.target_tests.unwrap_or(config.kind == "tests")
        && config.command.contains("{test_dir}");
    if !targeted {
        return build_argv(config, files)
            .ok_or_else(|| skip("no changed file this command applies to"));
    }
    let layout = targets::Layout {
        test_dir: &config.test_dir,
        src_dir: &config.src_dir,
    };
    // Deleted files and the old side of renames: the tests that imported them must run.
    let removed: Vec<String> = ctx
        .changed
        .iter()
        .filter_map(|f| match f.kind {
            ChangeKind::Deleted => Some(f.path.clone()),
            ChangeKind::Renamed => f.old_path.clone(),
            _ => None,
        })
        .collect();
    let found = targets::targets(&gated_files(ctx, &[]), &removed, &layout, fs);
    if found.is_empty() {
        return Err(skip(&format!(
            "no test targets: no changed file under `{}` and no test related to the changed files",
            config.test_dir
        )));
    }
    targets::test_argv(&config.command, &found, files)
        .ok_or_else(|| skip("no changed file this command applies to"))
}

pub struct CommandGate;

impl Gate for CommandGate {
    fn describe() -> GateSpec {
        GateSpec::new(
            "command-gate",
            "runs a project command (lint, format check, type check, tests, coverage) and judges its exit code",
            &[
                Phase::StructuralReview,
                Phase::Isolated,
                Phase::Candidate,
                Phase::Preflight,
            ],
        )
    }

    fn check(ctx: GateContext) -> Result<GateReport, PluginError> {
        let mut config: Config = config(&ctx)?;
        if config.kind == "review_hooks" {
            return hooks::check(&ctx, &config, &|argv, t| run_argv(argv, Some(t)));
        }
        if config.command.trim().is_empty() {
            return Err(PluginError::InvalidInput(
                "the command gate needs a `command`".into(),
            ));
        }
        if config.kind == "coverage"
            && let Some(skipped) = coverage::prepare(&mut config)
        {
            return Ok(skipped);
        }
        let files = gated_files(&ctx, &config.extensions);
        let argv = match command_argv(&config, &ctx, &files, &targets::HostFs) {
            Ok(argv) => argv,
            Err(skipped) => return Ok(skipped),
        };
        let run = run_argv(&argv, config.timeout_s)?;
        let output = &run.output;
        let passed = !run.timed_out
            && run.exit.is_some_and(|c| {
                config.pass_codes.contains(&c) || (config.pass_codes.is_empty() && c == 0)
            });
        if config.kind == "coverage" {
            let why = run.exit.map_or_else(
                || "was killed or timed out".to_owned(),
                |c| format!("exited with {c}"),
            );
            return Ok(coverage::finish(&config, &ctx, passed, &why));
        }
        if config.kind == "typecheck"
            && let Some(report) =
                diagnostics::judge_run(&config, &config.command, !passed, run.timed_out, output)
        {
            return Ok(report);
        }
        if config.kind == "setup" {
            let timeout = config.timeout_s.unwrap_or(setup::SETUP_TIMEOUT_S);
            return Ok(setup::judge(&config.command, &run, timeout));
        }
        if !passed
            && !run.timed_out
            && config.changed_lines_only.unwrap_or(config.kind == "lint")
            && let Some(report) = lint::judge(&config.kind, &config.command, output, &ctx.changed)
        {
            return Ok(report);
        }
        Ok(judge(
            &config,
            &config.command,
            run.exit,
            run.timed_out,
            output,
        ))
    }
}

dgov_sdk::export_gate!(CommandGate);

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(command: &str) -> Config {
        Config {
            kind: "lint".into(),
            command: command.into(),
            test_dir: "tests/".into(),
            ..Config::default()
        }
    }

    #[test]
    fn plain_commands_are_split_and_placeholders_expand_to_words() {
        let argv = build_argv(
            &cfg("ruff check {file} --quiet"),
            &["a b.py".into(), "c.py".into()],
        )
        .unwrap();
        assert_eq!(argv, ["ruff", "check", "a b.py", "c.py", "--quiet"]);
        assert_eq!(program_of("ruff check {file}").as_deref(), Some("ruff"));
        let argv = build_argv(&cfg("python -m pytest {test_dir} -q"), &[]).unwrap();
        assert_eq!(argv, ["python", "-m", "pytest", "tests/", "-q"]);
        assert_eq!(split_words(r#"a "b c" 'd e' """#), ["a", "b c", "d e", ""]);
    }

    #[test]
    fn shell_syntax_runs_through_sh_with_quoted_files() {
        let argv = build_argv(&cfg("cat {file} | grep -q x"), &["it's.py".into()]).unwrap();
        assert_eq!(argv[0], "sh");
        assert_eq!(argv[2], r"cat 'it'\''s.py' | grep -q x");
        assert_eq!(program_of("a && b").as_deref(), Some("sh"));
        let argv = build_argv(&cfg("RUST_LOG=debug cargo test"), &[]).unwrap();
        assert_eq!(argv, ["sh", "-c", "RUST_LOG=debug cargo test"]);
        assert_eq!(
            program_of("cargo test --features=x").as_deref(),
            Some("cargo")
        );
    }

    #[test]
    fn a_file_command_without_files_is_skipped() {
        assert_eq!(build_argv(&cfg("ruff check {file}"), &[]), None);
    }

    #[test]
    fn judging_by_exit_code_keeps_the_output_end() {
        let c = Config {
            kind: "tests".into(),
            pass_codes: vec![0, 5],
            ..cfg("pytest")
        };
        assert_eq!(
            judge(&c, "pytest", Some(5), false, "").verdict,
            Verdict::Pass
        );
        let r = judge(&c, "pytest", Some(1), false, "boom: assertion failed\n");
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.findings[0].code, "tests_failed");
        assert!(
            r.findings[0].message.contains("`pytest`")
                && r.findings[0].message.contains("assertion failed")
        );
        let r = judge(&c, "pytest", None, true, "");
        assert!(r.summary.contains("timed out"), "{}", r.summary);
    }
}
