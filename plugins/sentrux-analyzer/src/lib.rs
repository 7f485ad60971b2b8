//! `sentrux-analyzer`: dgov's architecture analyzer plugin.
//!
//! The host hands it the git-tracked files of a tree; it asks the host for each file's
//! syntax facts (`host::facts`, tree-sitter runs on the host), runs the sentrux 0.5 metrics
//! of `dgov-sentrux` inside the sandbox, evaluates `.sentrux/rules.toml` when present, and
//! returns the whole [`dgov_sentrux::Report`] as `report_json` (see [`AnalyzerOutput`]) plus
//! one finding per cycle, god file, complex function and rule violation.
//!
//! The plugin never writes anything: `.sentrux/baseline.json` belongs to the host.

use dgov_sdk::analyzer::*;
use dgov_sentrux::{Report, Rules, Severity as RuleSeverity};
use dgov_syntax::FileFacts;
use serde::{Deserialize, Serialize};

/// Where the rules file lives, relative to the granted root.
pub const RULES_PATH: &str = ".sentrux/rules.toml";

/// Options the host may pass as the analyzer's configuration JSON (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Rules text to use instead of reading `.sentrux/rules.toml`.
    pub rules_toml: Option<String>,
    /// Skip rules entirely (plain metrics, as `gate`/`offenders` need).
    pub no_rules: bool,
    /// `facts`: only gather the facts of `files` and return them (as a JSON array of
    /// `[path, facts]` in `report_json`; unparsable files as `skipped-file` findings). The
    /// host fans a large tree out over several instances this way, so the host parses in
    /// parallel, then hands the gathered facts to one `scan`.
    pub mode: Mode,
    /// Facts gathered by earlier `facts` calls, scanned together with those of `files`.
    pub facts: Vec<(String, FileFacts)>,
}

/// What an `analyze` call does.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Scan and report (the default).
    #[default]
    Scan,
    /// Gather facts only.
    Facts,
}

/// Where the rules evaluated in a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RulesSource {
    /// No rules were evaluated.
    None,
    /// `rules_toml` of the configuration.
    Config,
    /// `.sentrux/rules.toml` in the tree.
    File,
}

/// The analyzer's `report_json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzerOutput {
    pub report: Report,
    pub rules_source: RulesSource,
    /// Files given that the host could not parse (unknown language, missing, refused), with
    /// the host's reason.
    pub skipped: Vec<(String, String)>,
}

/// Parse the configuration JSON (empty means defaults).
pub fn parse_config(config_json: &str) -> Result<Config, PluginError> {
    if config_json.trim().is_empty() {
        return Ok(Config::default());
    }
    serde_json::from_str(config_json)
        .map_err(|e| PluginError::InvalidInput(format!("sentrux-analyzer configuration: {e}")))
}

/// Parse rules text, naming the file in the error.
pub fn parse_rules(text: &str, origin: &str) -> Result<Rules, PluginError> {
    Rules::from_toml(text).map_err(|e| {
        PluginError::InvalidInput(format!(
            "{origin}: {e} (fix the file or remove it to run without rules)"
        ))
    })
}

/// Scan facts (pure; natively testable) and build the output document and findings.
pub fn analyze_facts(
    files: &[(String, FileFacts)],
    rules: Option<(&Rules, RulesSource)>,
    skipped: Vec<(String, String)>,
) -> (AnalyzerOutput, Vec<Finding>) {
    let report = dgov_sentrux::scan(files, rules.map(|(r, _)| r));
    let findings = findings_of(&report);
    let output = AnalyzerOutput {
        report,
        rules_source: rules.map_or(RulesSource::None, |(_, s)| s),
        skipped,
    };
    (output, findings)
}

/// One finding per cycle, god file, complex function and rule violation.
pub fn findings_of(report: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    for cycle in &report.cycles {
        let mut f = Finding::warning(
            "import-cycle",
            &format!(
                "import cycle of {} files: {}",
                cycle.len(),
                cycle.join(" → ")
            ),
        );
        for file in cycle {
            f = f.in_file(file);
        }
        out.push(f);
    }
    for g in &report.god_files {
        out.push(
            Finding::warning(
                "god-file",
                &format!("{} imports {} files (fan-out > 15)", g.path, g.value),
            )
            .in_file(&g.path),
        );
    }
    for c in &report.complex_functions {
        out.push(
            Finding::warning(
                "complex-function",
                &format!("{} has cyclomatic complexity {} (> 15)", c.func, c.value),
            )
            .at(&c.file, c.line),
        );
    }
    if let Some(rules) = &report.rules {
        for v in &rules.violations {
            let message = format!("{}: {}", v.rule, v.message);
            let mut f = match v.severity {
                RuleSeverity::Error => Finding::error("rule-violation", &message),
                RuleSeverity::Warning => Finding::warning("rule-violation", &message),
            };
            for file in &v.files {
                // `file::function` entries point at the file.
                let path = file.split("::").next().unwrap_or(file);
                f = f.in_file(path);
            }
            out.push(f);
        }
    }
    out
}

/// Facts of `files` from the host; files it cannot parse are returned with its reason.
/// `(path, facts)` of the files the host parsed.
type Gathered = Vec<(String, FileFacts)>;
/// `(path, reason)` of the files it could not.
type Skipped = Vec<(String, String)>;

fn gather(files: Vec<String>) -> (Gathered, Skipped) {
    let mut facts = Vec::with_capacity(files.len());
    let mut skipped = Vec::new();
    for path in files {
        match host::facts(&path) {
            Ok(f) => facts.push((path, f)),
            Err(e) => skipped.push((path, e.message)),
        }
    }
    (facts, skipped)
}

struct SentruxAnalyzer;

impl Analyzer for SentruxAnalyzer {
    fn describe() -> AnalyzerSpec {
        AnalyzerSpec::new(
            "sentrux-analyzer",
            "sentrux 0.5 architecture metrics: import graph, cycles, god files, hotspots, complex functions, quality signal, rules.toml",
            &["rust", "python", "javascript", "typescript", "go"],
        )
    }

    fn analyze(files: Vec<String>, config_json: String) -> Result<Analysis, PluginError> {
        let mut config = parse_config(&config_json)?;
        if config.mode == Mode::Facts {
            let (facts, skipped) = gather(files);
            let report_json = serde_json::to_string(&facts)
                .map_err(|e| PluginError::Failed(format!("serialising facts: {e}")))?;
            let findings = skipped
                .iter()
                .map(|(path, why)| Finding::info("skipped-file", why).in_file(path))
                .collect();
            return Ok(Analysis {
                report_json,
                findings,
            });
        }
        let rules = if config.no_rules {
            None
        } else if let Some(text) = &config.rules_toml {
            Some((parse_rules(text, "rules_toml")?, RulesSource::Config))
        } else if host::exists(RULES_PATH) {
            let text = host::read_to_string(RULES_PATH)
                .map_err(|e| PluginError::Failed(format!("{RULES_PATH}: {}", e.message)))?;
            Some((parse_rules(&text, RULES_PATH)?, RulesSource::File))
        } else {
            None
        };
        let (mut facts, skipped) = gather(files);
        facts.append(&mut config.facts);
        // The same order whatever the fan-out: scan output must not depend on it.
        facts.sort_by(|a, b| a.0.cmp(&b.0));
        let (output, findings) =
            analyze_facts(&facts, rules.as_ref().map(|(r, s)| (r, *s)), skipped);
        let report_json = serde_json::to_string(&output)
            .map_err(|e| PluginError::Failed(format!("serialising the report: {e}")))?;
        Ok(Analysis {
            report_json,
            findings,
        })
    }
}

dgov_sdk::export_analyzer!(SentruxAnalyzer);

#[cfg(test)]
mod tests {
    use super::*;
    use dgov_syntax::{FunctionFacts, ImportFacts, ImportKind, Language};

    fn file(lang: Language, imports: &[&str], funcs: &[(&str, u32)]) -> FileFacts {
        FileFacts {
            language: Some(lang),
            lines: 10,
            functions: funcs
                .iter()
                .map(|(n, cc)| FunctionFacts {
                    name: n.to_string(),
                    qualified_name: n.to_string(),
                    start_line: 1,
                    end_line: 5,
                    params: 0,
                    cyclomatic: *cc,
                    cognitive: 0,
                    max_nesting: 0,
                    body_hash: n.to_string(),
                    calls: Vec::new(),
                })
                .collect(),
            imports: imports
                .iter()
                .map(|s| ImportFacts {
                    specifier: s.to_string(),
                    names: Vec::new(),
                    line: 1,
                    kind: ImportKind::Import,
                })
                .collect(),
            ..FileFacts::default()
        }
    }

    #[test]
    fn cycle_and_complex_function_become_findings() {
        let files = vec![
            (
                "a.py".to_string(),
                file(Language::Python, &[".b"], &[("f", 16)]),
            ),
            ("b.py".to_string(), file(Language::Python, &[".a"], &[])),
        ];
        let (out, findings) = analyze_facts(&files, None, Vec::new());
        assert_eq!(
            out.report.cycles,
            vec![vec!["a.py".to_string(), "b.py".to_string()]]
        );
        assert_eq!(out.rules_source, RulesSource::None);
        let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["import-cycle", "complex-function"]);
        assert_eq!(findings[1].locations[0].path, "a.py");
    }

    #[test]
    fn rule_violation_is_an_error_finding() {
        let files = vec![
            ("a.py".to_string(), file(Language::Python, &[".b"], &[])),
            ("b.py".to_string(), file(Language::Python, &[".a"], &[])),
        ];
        let rules = parse_rules("[constraints]\nmax_cycles = 0\n", "t").unwrap();
        let (out, findings) =
            analyze_facts(&files, Some((&rules, RulesSource::Config)), Vec::new());
        let outcome = out.report.rules.as_ref().unwrap();
        assert_eq!(outcome.violations.len(), 1);
        assert_eq!(outcome.violations[0].rule, "max_cycles");
        let rule = findings
            .iter()
            .find(|f| f.code == "rule-violation")
            .unwrap();
        assert_eq!(rule.severity, dgov_sdk::types::Severity::Error);
    }

    #[test]
    fn bad_config_and_rules_are_invalid_input() {
        assert!(matches!(
            parse_config("{\"nope\":1}"),
            Err(PluginError::InvalidInput(_))
        ));
        assert!(parse_config("").unwrap().rules_toml.is_none());
        let err = parse_rules("[constraints\n", ".sentrux/rules.toml").unwrap_err();
        let PluginError::InvalidInput(msg) = err else {
            panic!("wrong kind")
        };
        assert!(msg.starts_with(".sentrux/rules.toml:"), "{msg}");
    }
}
