//! The `python-fix` gate: dgov's first-party fixer for changed Python files, meant for the
//! `prepare` phase (the original's "SmartFixer").
//!
//! Two fixes, each on whole files (the host keeps only the parts that touch lines the task
//! changed, so this plugin never scopes by itself):
//!
//! - **B904** ([`fix_b904`]): inside `except ... as NAME:`, `raise X(...)` without `from`
//!   becomes `raise X(...) from NAME`;
//! - **E501 comments** ([`wrap_comments`]): a line longer than `line_length` because of a
//!   prose comment gets the comment re-wrapped onto `#` lines within the limit.
//!
//! Both work on a small tokenizer ([`lex`]) rather than regexes, so strings, docstrings and
//! brackets are understood; a file it cannot scan is left exactly as it is.
//!
//! The gate never fails a change: it passes with one fix (`replace-file`) and one info
//! finding per kind of fix for every file it changed, or skips when there is no Python file.

pub mod b904;
pub mod lex;
pub mod wrap;

pub use b904::fix_b904;
use dgov_sdk::gate::*;
use dgov_sdk::types::FileContent;
pub use wrap::wrap_comments;

/// The gate's configuration (`[settlement.gates.python-fix]` or wherever the policy puts it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Longest allowed line, in characters.
    pub line_length: usize,
    /// Apply the B904 fix.
    pub b904: bool,
    /// Re-wrap over-long prose comments.
    pub wrap_comments: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            line_length: 99,
            b904: true,
            wrap_comments: true,
        }
    }
}

const KEYS: &str = "line_length (whole number), b904 (true/false), wrap_comments (true/false)";

impl Config {
    /// Parse the configuration JSON; the error names the key and what it should be.
    pub fn parse(json: &str) -> Result<Config, String> {
        let json = if json.trim().is_empty() { "{}" } else { json };
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| format!("python-fix configuration is not valid JSON: {e}"))?;
        let serde_json::Value::Object(table) = value else {
            return Err(format!(
                "python-fix configuration must be a table with the keys {KEYS}"
            ));
        };
        let mut config = Config::default();
        for (key, value) in &table {
            let bad = |what: &str| {
                format!("python-fix configuration: `{key}` must be {what}, found {value}")
            };
            match key.as_str() {
                "line_length" => {
                    // Any width is accepted: one too narrow to wrap into simply wraps
                    // nothing (as in the original).
                    config.line_length = value
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or_else(|| bad("a whole number of characters per line"))?;
                }
                "b904" => config.b904 = value.as_bool().ok_or_else(|| bad("true or false"))?,
                "wrap_comments" => {
                    config.wrap_comments = value.as_bool().ok_or_else(|| bad("true or false"))?;
                }
                _ => {
                    return Err(format!(
                        "python-fix configuration: unknown key `{key}`; the keys are {KEYS}"
                    ));
                }
            }
        }
        Ok(config)
    }
}

/// What [`fix_text`] did to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    pub text: String,
    /// Raises chained with `from`.
    pub b904: usize,
    /// Comments re-wrapped.
    pub wrapped: usize,
}

/// Apply the configured fixes to one file's text (B904 first, then comment wrapping).
pub fn fix_text(text: &str, config: &Config) -> Fixed {
    let (text, b904) = if config.b904 {
        fix_b904(text)
    } else {
        (text.to_owned(), 0)
    };
    let (text, wrapped) = if config.wrap_comments {
        wrap_comments(&text, config.line_length)
    } else {
        (text, 0)
    };
    Fixed {
        text,
        b904,
        wrapped,
    }
}

/// Whether the gate handles `path`.
pub fn is_python(path: &str) -> bool {
    path.ends_with(".py") || path.ends_with(".pyi")
}

/// The gate's whole judgement, given a way to read a file (the host's fs-read in the
/// component, a map in tests). Unreadable or non-UTF-8 files are skipped with a warning.
pub fn review(
    ctx: &GateContext,
    config: &Config,
    read: &dyn Fn(&str) -> Result<String, String>,
) -> GateReport {
    let files: Vec<&ChangedFile> = ctx
        .changed
        .iter()
        .filter(|f| f.kind != ChangeKind::Deleted && is_python(&f.path))
        .collect();
    if files.is_empty() {
        return GateReport {
            verdict: Verdict::Skip,
            summary: "no changed Python files".to_owned(),
            findings: Vec::new(),
            fixes: Vec::new(),
            metrics_json: None,
        };
    }
    let mut findings = Vec::new();
    let mut fixes = Vec::new();
    for file in &files {
        let text = match read(&file.path) {
            Ok(text) => text,
            Err(e) => {
                findings.push(
                    Finding::warning("unreadable", &format!("left alone: {e}")).in_file(&file.path),
                );
                continue;
            }
        };
        let fixed = fix_text(&text, config);
        if fixed.text == text {
            continue;
        }
        if fixed.b904 > 0 {
            findings.push(
                Finding::info(
                    "b904",
                    &format!(
                        "{} raise statement(s) inside `except ... as` now chain the caught exception with `from`",
                        fixed.b904
                    ),
                )
                .in_file(&file.path),
            );
        }
        if fixed.wrapped > 0 {
            findings.push(
                Finding::info(
                    "e501-comment",
                    &format!(
                        "{} comment(s) longer than {} characters re-wrapped",
                        fixed.wrapped, config.line_length
                    ),
                )
                .in_file(&file.path),
            );
        }
        fixes.push(Fix::ReplaceFile(FileContent {
            path: file.path.clone(),
            content: fixed.text.into_bytes(),
        }));
    }
    let summary = match fixes.len() {
        0 => format!("{} Python file(s), nothing to fix", files.len()),
        n => format!("fixed {n} of {} Python file(s)", files.len()),
    };
    GateReport {
        // An unreadable file is worth a warning finding but never blocks: this is a fixer.
        verdict: Verdict::Pass,
        summary,
        findings,
        fixes,
        metrics_json: None,
    }
}

pub struct PythonFix;

impl Gate for PythonFix {
    fn describe() -> GateSpec {
        GateSpec::new(
            "python-fix",
            "fixes changed Python files: chains exceptions raised in `except ... as` handlers (B904) and re-wraps over-long prose comments (E501)",
            &[Phase::Prepare],
        )
    }

    fn check(ctx: GateContext) -> Result<GateReport, PluginError> {
        let config = Config::parse(&ctx.config_json).map_err(PluginError::InvalidInput)?;
        Ok(review(&ctx, &config, &|path| {
            host::read_to_string(path).map_err(|e| e.message)
        }))
    }
}

dgov_sdk::export_gate!(PythonFix);

#[cfg(test)]
mod tests;
