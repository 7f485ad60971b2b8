//! `.sentrux/rules.toml`: constraints, layers and boundaries, and their evaluation.

use dgov_syntax::FileFacts;
use serde::{Deserialize, Serialize};

use crate::scan::Report;

/// A `rules.toml` that could not be read. Sentrux treats it as missing (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error(
        ".sentrux/rules.toml: invalid TOML: {0}; fix the file (keys: [constraints], [[layers]], [[boundaries]])"
    )]
    Toml(String),
    #[error(".sentrux/rules.toml: layer `{0}` has no `paths`; give it a list of globs")]
    EmptyLayer(String),
}

/// `[constraints]`: only keys that are set are checked; unknown keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Constraints {
    pub min_quality: Option<f64>,
    pub min_modularity: Option<f64>,
    pub min_acyclicity: Option<f64>,
    pub min_depth: Option<f64>,
    pub min_equality: Option<f64>,
    pub min_redundancy: Option<f64>,
    pub max_coupling_score: Option<f64>,
    pub max_cycles: Option<usize>,
    pub max_cc: Option<u32>,
    pub max_file_lines: Option<u32>,
    pub max_fn_lines: Option<u32>,
    /// `true` forbids god files; `false` disables the check.
    pub no_god_files: Option<bool>,
    /// Layer violations tolerated before `layers` fails.
    pub max_upward_violations: Option<usize>,
    /// Metric tuning: module boundary depth.
    pub module_depth: Option<usize>,
    /// Metric tuning (accepted for compatibility; cohesion is not part of the 0.5 signal).
    pub cohesion_exclude: Vec<String>,
}

/// `[[layers]]`: a file belongs to the first layer whose globs match it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub name: String,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub order: i64,
}

/// `[[boundaries]]`: no file matching `from` may import a file matching `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Boundary {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub reason: String,
}

/// A parsed `rules.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    pub constraints: Constraints,
    pub layers: Vec<Layer>,
    pub boundaries: Vec<Boundary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// The rule's key: `max_cycles`, `layers`, `boundaries`, …
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// Offending files (or `file::function` entries), sorted.
    pub files: Vec<String>,
}

/// The result of `check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulesOutcome {
    pub rules_checked: usize,
    pub violations: Vec<Violation>,
}

impl RulesOutcome {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// `sentrux check` exits 1 on any listed violation, whatever its severity.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.passed())
    }
}

impl Rules {
    /// Parses `rules.toml` text. Unknown keys are ignored, as in sentrux.
    pub fn from_toml(text: &str) -> Result<Rules, RulesError> {
        let rules: Rules =
            toml::from_str(text).map_err(|e| RulesError::Toml(e.to_string().trim().to_string()))?;
        if let Some(layer) = rules.layers.iter().find(|l| l.paths.is_empty()) {
            return Err(RulesError::EmptyLayer(layer.name.clone()));
        }
        Ok(rules)
    }

    fn layer_of(&self, path: &str) -> Option<&Layer> {
        self.layers
            .iter()
            .find(|l| l.paths.iter().any(|g| glob_match(g, path)))
    }

    /// Checks the rules against a scan.
    pub fn evaluate(&self, report: &Report, files: &[(String, FileFacts)]) -> RulesOutcome {
        let c = &self.constraints;
        let mut checked = 0;
        let mut out = Vec::new();
        let mut violation = |rule: &str, message: String, mut files: Vec<String>| {
            files.sort();
            files.dedup();
            out.push(Violation {
                rule: rule.to_string(),
                severity: Severity::Error,
                message,
                files,
            });
        };
        let rc = &report.root_causes;
        let minimums = [
            ("min_quality", c.min_quality, report.quality_signal),
            ("min_modularity", c.min_modularity, rc.modularity),
            ("min_acyclicity", c.min_acyclicity, rc.acyclicity),
            ("min_depth", c.min_depth, rc.depth),
            ("min_equality", c.min_equality, rc.equality),
            ("min_redundancy", c.min_redundancy, rc.redundancy),
        ];
        for (rule, min, actual) in minimums {
            if let Some(min) = min {
                checked += 1;
                if actual < min {
                    violation(
                        rule,
                        format!("{actual:.4} is below the minimum {min:.4}"),
                        Vec::new(),
                    );
                }
            }
        }
        if let Some(max) = c.max_coupling_score {
            checked += 1;
            if report.coupling_score > max {
                violation(
                    "max_coupling_score",
                    format!(
                        "coupling score {:.3} exceeds {max:.3}",
                        report.coupling_score
                    ),
                    Vec::new(),
                );
            }
        }
        if let Some(max) = c.max_cycles {
            checked += 1;
            if report.cycles.len() > max {
                violation(
                    "max_cycles",
                    format!(
                        "{} cycle(s) found, at most {max} allowed",
                        report.cycles.len()
                    ),
                    report.cycles.iter().flatten().cloned().collect(),
                );
            }
        }
        if c.no_god_files == Some(true) {
            checked += 1;
            if !report.god_files.is_empty() {
                violation(
                    "no_god_files",
                    format!("{} god file(s) (fan-out > 15)", report.god_files.len()),
                    report
                        .god_files
                        .iter()
                        .map(|g| format!("{} (fan-out {})", g.path, g.value))
                        .collect(),
                );
            }
        }
        let fn_rules: [(&str, Option<u32>, &str); 2] = [
            ("max_cc", c.max_cc, "cc"),
            ("max_fn_lines", c.max_fn_lines, "lines"),
        ];
        for (rule, max, label) in fn_rules {
            let Some(max) = max else { continue };
            checked += 1;
            let offenders: Vec<String> = files
                .iter()
                .flat_map(|(p, f)| f.functions.iter().map(move |func| (p, func)))
                .filter_map(|(p, func)| {
                    let v = if label == "cc" {
                        func.cyclomatic
                    } else {
                        func.length()
                    };
                    (v > max).then(|| format!("{p}::{} ({label}={v})", func.qualified_name))
                })
                .collect();
            if !offenders.is_empty() {
                violation(
                    rule,
                    format!("{} function(s) exceed {label} {max}", offenders.len()),
                    offenders,
                );
            }
        }
        if let Some(max) = c.max_file_lines {
            checked += 1;
            let offenders: Vec<String> = files
                .iter()
                .filter(|(_, f)| f.lines > max)
                .map(|(p, f)| format!("{p} ({} lines)", f.lines))
                .collect();
            if !offenders.is_empty() {
                violation(
                    "max_file_lines",
                    format!("{} file(s) exceed {max} lines", offenders.len()),
                    offenders,
                );
            }
        }
        if self.layers.len() >= 2 {
            checked += 1;
            let mut upward = Vec::new();
            for e in &report.edges {
                if let (Some(from), Some(to)) = (self.layer_of(&e.from), self.layer_of(&e.to))
                    && from.order > to.order
                {
                    upward.push(format!(
                        "{} ({}) -> {} ({})",
                        e.from, from.name, e.to, to.name
                    ));
                }
            }
            let allowed = c.max_upward_violations.unwrap_or(0);
            if upward.len() > allowed {
                violation(
                    "layers",
                    format!(
                        "{} import(s) from a lower layer into a higher one (allowed {allowed})",
                        upward.len()
                    ),
                    upward,
                );
            }
        }
        for b in &self.boundaries {
            checked += 1;
            let crossing: Vec<String> = report
                .edges
                .iter()
                .filter(|e| glob_match(&b.from, &e.from) && glob_match(&b.to, &e.to))
                .map(|e| format!("{} -> {}", e.from, e.to))
                .collect();
            if !crossing.is_empty() {
                let reason = if b.reason.is_empty() {
                    String::new()
                } else {
                    format!(": {}", b.reason)
                };
                violation(
                    "boundaries",
                    format!("{} must not import {}{reason}", b.from, b.to),
                    crossing,
                );
            }
        }
        RulesOutcome {
            rules_checked: checked,
            violations: out,
        }
    }
}

/// Sentrux glob forms: exact path, `**/x`, `dir/**`, `dir/**/*`, `dir/*` (direct children
/// only), `*.ext` (any file with that extension, anywhere), and a plain path prefix.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./");
    if !pattern.contains(['*', '?']) {
        let prefix = pattern.trim_end_matches('/');
        return path == prefix || path.starts_with(&format!("{prefix}/"));
    }
    if !pattern.contains('/') {
        let name = path.rsplit('/').next().unwrap_or(path);
        return segment_match(pattern.as_bytes(), name.as_bytes());
    }
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    segments_match(&pat, &segs)
}

fn segments_match(pat: &[&str], segs: &[&str]) -> bool {
    match pat.split_first() {
        None => segs.is_empty(),
        Some((&"**", rest)) => (0..=segs.len()).any(|i| segments_match(rest, &segs[i..])),
        Some((p, rest)) => segs.split_first().is_some_and(|(s, srest)| {
            segment_match(p.as_bytes(), s.as_bytes()) && segments_match(rest, srest)
        }),
    }
}

fn segment_match(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| segment_match(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && segment_match(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && segment_match(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_forms_match_as_sentrux_documents() {
        assert!(glob_match("src/a.py", "src/a.py"));
        assert!(glob_match("**/a.py", "x/y/a.py"));
        assert!(glob_match("**/a.py", "a.py"));
        assert!(glob_match("src/**", "src/x/y.rs"));
        assert!(glob_match("src/**/*", "src/x/y.rs"));
        assert!(glob_match("src/*", "src/y.rs"));
        assert!(!glob_match("src/*", "src/x/y.rs"));
        assert!(glob_match("*.ts", "web/app.ts"));
        assert!(glob_match("src/core", "src/core/a.rs"));
        assert!(!glob_match("src/core", "src/corelib/a.rs"));
    }

    #[test]
    fn invalid_toml_names_the_file_and_unknown_keys_are_ignored() {
        let err = Rules::from_toml("[constraints\nmax_cycles = 0").unwrap_err();
        assert!(
            err.to_string()
                .starts_with(".sentrux/rules.toml: invalid TOML"),
            "{err}"
        );
        let rules = Rules::from_toml("[constraints]\nmax_cycles = 0\nmax_grade = \"B\"\n").unwrap();
        assert_eq!(rules.constraints.max_cycles, Some(0));
    }
}
