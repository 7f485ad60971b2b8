//! Example gate: reject added lines that match configured patterns.
//!
//! Configure it per repository (all keys optional):
//!
//! ```toml
//! [plugins.config.secret-gate]        # or the gate's table in the settlement policy
//! patterns = ["TODO", "(?i)api[_-]?key\\s*=\\s*\\S+"]
//! ```
//!
//! Without configuration it looks for AWS access keys, private key headers and
//! `password = "..."` assignments.

use dgov_sdk::gate::*;
use regex::Regex;
use serde::Deserialize;

/// Patterns used when the repository configures none.
pub const DEFAULT_PATTERNS: [&str; 3] = [
    r"AKIA[0-9A-Z]{16}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r#"(?i)password\s*=\s*"[^"]+""#,
];

#[derive(Deserialize, Default)]
#[serde(default)]
struct Config {
    patterns: Vec<String>,
}

/// The first pattern (of `patterns`) that `line` matches.
pub fn first_match<'a>(line: &str, patterns: &'a [Regex]) -> Option<&'a Regex> {
    patterns.iter().find(|p| p.is_match(line))
}

struct SecretGate;

impl Gate for SecretGate {
    fn describe() -> GateSpec {
        GateSpec::new(
            "secret-gate",
            "rejects added lines matching configured patterns",
            &[Phase::Isolated, Phase::Preflight],
        )
    }

    fn check(ctx: GateContext) -> Result<GateReport, PluginError> {
        let config: Config = config(&ctx)?;
        let sources: Vec<String> = if config.patterns.is_empty() {
            DEFAULT_PATTERNS.iter().map(|p| (*p).to_owned()).collect()
        } else {
            config.patterns
        };
        let patterns = sources
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|e| PluginError::InvalidInput(format!("pattern `{p}`: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut findings = Vec::new();
        for line in added_lines(&ctx)? {
            if let Some(p) = first_match(&line.text, &patterns) {
                let msg = format!("added line matches `{}`", p.as_str());
                findings.push(Finding::error("pattern-added", &msg).at(&line.path, line.number));
            }
        }
        Ok(GateReport::from_findings(findings))
    }
}

dgov_sdk::export_gate!(SecretGate);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_patterns_catch_keys_and_spare_ordinary_code() {
        let patterns: Vec<Regex> = DEFAULT_PATTERNS
            .iter()
            .map(|p| Regex::new(p).unwrap())
            .collect();
        assert!(first_match("let k = \"AKIAABCDEFGHIJKLMNOP\";", &patterns).is_some());
        assert!(first_match("-----BEGIN RSA PRIVATE KEY-----", &patterns).is_some());
        assert!(first_match("PASSWORD = \"hunter2\"", &patterns).is_some());
        assert!(first_match("let password = read_password();", &patterns).is_none());
        assert!(first_match("fn main() {}", &patterns).is_none());
    }
}
