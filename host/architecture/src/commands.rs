//! `dgov sentrux …`: each command as text, JSON and an exit code (sentrux 0.5's, spec §5.4),
//! so the CLI only prints.

use std::path::Path;

use dgov_sentrux::{
    CHECK_NO_RULES_EXIT, GATE_NO_BASELINE_EXIT, compare, render_check_no_rules, render_check_text,
    render_gate_no_baseline, render_gate_save_text, render_gate_text, render_offenders_text,
};
use serde_json::json;

use crate::analyzer::{Architecture, ArchitectureError, RulesMode, Scan};
use crate::baseline::{self, BASELINE_PATH, RULES_PATH};
use crate::metadata::METADATA_PATH;
use crate::policy::Policy;
use crate::refresh;
use crate::staleness;

/// Entries per category in `offenders`.
pub const OFFENDERS_LIMIT: usize = 5;

/// What a command prints and how it exits.
#[derive(Debug, Clone)]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    /// The `--json` document.
    pub json: serde_json::Value,
    pub code: u8,
}

impl CommandOutput {
    fn new(stdout: String, json: serde_json::Value, code: u8) -> CommandOutput {
        CommandOutput {
            stdout,
            stderr: String::new(),
            json,
            code,
        }
    }
}

fn skipped_note(scan: &Scan) -> String {
    if scan.skipped.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "note: {} tracked file(s) could not be parsed and were skipped:\n",
        scan.skipped.len()
    );
    for (path, why) in scan.skipped.iter().take(10) {
        s.push_str(&format!("  {path}: {why}\n"));
    }
    s
}

/// `check`: rules of `.sentrux/rules.toml`; exit 1 on any violation, or when the file is
/// missing or invalid (then the reason is on stderr).
pub async fn check(arch: &Architecture, root: &Path) -> Result<CommandOutput, ArchitectureError> {
    let no_rules = |extra: String| {
        let stderr = format!(
            "{extra}{}",
            render_check_no_rules(&root.display().to_string())
        );
        CommandOutput {
            stdout: String::new(),
            json: json!({ "error": stderr.trim_end(), "path": root }),
            stderr,
            code: CHECK_NO_RULES_EXIT,
        }
    };
    if !root.join(RULES_PATH).is_file() {
        return Ok(no_rules(String::new()));
    }
    let scan = match arch.scan_tree(root, &RulesMode::FromTree).await {
        Ok(s) => s,
        // sentrux treats an invalid rules file as missing, with a warning.
        Err(ArchitectureError::InvalidInput(m)) => return Ok(no_rules(format!("warning: {m}\n"))),
        Err(e) => return Err(e),
    };
    let code = scan.report.rules.as_ref().map_or(0, |r| r.exit_code());
    let mut out = CommandOutput::new(
        render_check_text(&scan.report),
        serde_json::to_value(&scan.report).unwrap_or_default(),
        code,
    );
    out.stderr = skipped_note(&scan);
    Ok(out)
}

/// `gate-save`: scan the working tree and write `.sentrux/baseline.json`, then record
/// `.sentrux/dgov-baseline.json` (accepted at HEAD, at `now`) when the tree is HEAD's: a
/// notice on stderr says why not otherwise. The JSON is the written baseline plus
/// `metadata` (the metadata, or null).
pub async fn gate_save(
    arch: &Architecture,
    root: &Path,
    policy: &Policy,
    now: f64,
) -> Result<CommandOutput, ArchitectureError> {
    let scan = arch.scan_tree(root, &RulesMode::None).await?;
    let written = baseline::write_at(root, &scan.report, now)?;
    let recorded = refresh::record_saved(root, policy, now, scan.report.quality)?;
    let mut stdout = render_gate_save_text(
        &baseline::baseline_path(root).display().to_string(),
        &scan.report,
    );
    let mut json = serde_json::to_value(&written).unwrap_or_default();
    let mut stderr = skipped_note(&scan);
    match &recorded {
        Ok(meta) => {
            stdout.push_str(&format!(
                "Accepted at {:.12} ({METADATA_PATH})\n",
                meta.accepted_head
            ));
            json["metadata"] = serde_json::to_value(meta).unwrap_or_default();
        }
        Err(notice) => {
            stderr.push_str(notice);
            stderr.push('\n');
            json["metadata"] = serde_json::Value::Null;
        }
    }
    let mut out = CommandOutput::new(stdout, json, 0);
    out.stderr = stderr;
    Ok(out)
}

/// `gate`: compare the tree with the baseline; exit 1 when degraded or without a usable
/// baseline.
pub async fn gate(arch: &Architecture, root: &Path) -> Result<CommandOutput, ArchitectureError> {
    let path = baseline::baseline_path(root).display().to_string();
    let base = match baseline::read(root) {
        Ok(Some(b)) => b,
        Ok(None) => {
            let stderr = render_gate_no_baseline(&path, "No such file or directory");
            return Ok(CommandOutput {
                stdout: String::new(),
                json: json!({ "error": stderr.trim_end(), "baseline": BASELINE_PATH }),
                stderr,
                code: GATE_NO_BASELINE_EXIT,
            });
        }
        Err(ArchitectureError::Baseline { message, .. }) => {
            let stderr = render_gate_no_baseline(&path, &message);
            return Ok(CommandOutput {
                stdout: String::new(),
                json: json!({ "error": stderr.trim_end(), "baseline": BASELINE_PATH }),
                stderr,
                code: GATE_NO_BASELINE_EXIT,
            });
        }
        Err(e) => return Err(e),
    };
    let scan = arch.scan_tree(root, &RulesMode::None).await?;
    let cmp = compare(&base, &scan.report, None);
    let mut out = CommandOutput::new(
        render_gate_text(&cmp),
        serde_json::to_value(&cmp).unwrap_or_default(),
        cmp.exit_code(),
    );
    out.stderr = skipped_note(&scan);
    Ok(out)
}

/// `offenders`: the top entries of each category.
pub async fn offenders(
    arch: &Architecture,
    root: &Path,
) -> Result<CommandOutput, ArchitectureError> {
    let scan = arch.scan_tree(root, &RulesMode::None).await?;
    let mut out = CommandOutput::new(
        render_offenders_text(&scan.report, OFFENDERS_LIMIT),
        serde_json::to_value(&scan.report).unwrap_or_default(),
        0,
    );
    out.stderr = skipped_note(&scan);
    Ok(out)
}

/// `status`: whether the analyzer is available, and the state of the baseline and rules.
/// Exit 1 when the analyzer cannot be loaded (the caller reports that error) or the
/// baseline is unreadable.
///
/// With a baseline, its age at `now`: `N commits behind HEAD; D days old; baseline commit
/// <sha12>` and whether that is stale under the policy's limits.
pub fn status(
    arch: Result<&Architecture, &ArchitectureError>,
    root: &Path,
    policy: &Policy,
    now: f64,
) -> CommandOutput {
    let (plugin_line, plugin_json, mut code) = match arch {
        Ok(a) => {
            let meta = a.plugin().meta();
            (
                format!(
                    "sentrux: built-in analyzer `{}` {} (sandboxed WASM, no network)",
                    meta.name, meta.version
                ),
                json!({ "available": true, "plugin": meta.name, "version": meta.version, "hash": a.plugin().hash() }),
                0,
            )
        }
        Err(e) => (
            format!("sentrux: unavailable: {e}"),
            json!({ "available": false, "error": e.to_string() }),
            1,
        ),
    };
    let (baseline_line, baseline_json) = match baseline::read(root) {
        Ok(Some(b)) => (
            format!(
                "baseline: {BASELINE_PATH} (quality {}, {} cycles, {} god files, {} complex functions)",
                dgov_sentrux::quality::display(b.quality_signal),
                b.cycle_count,
                b.god_file_count,
                b.complex_fn_count
            ),
            serde_json::to_value(&b).unwrap_or_default(),
        ),
        Ok(None) => (
            format!("baseline: none (run `dgov sentrux gate-save` to create {BASELINE_PATH})"),
            serde_json::Value::Null,
        ),
        Err(e) => {
            code = 1;
            (
                format!("baseline: unreadable: {e}"),
                json!({ "error": e.to_string() }),
            )
        }
    };
    let (age_lines, age_json) = match staleness::baseline_age(root, now, policy.stale) {
        Ok(Some(age)) => (
            format!(
                "age: {}\nstale: {} (limits: {} commits, {} days)\n",
                age.description,
                if age.stale { "yes" } else { "no" },
                policy.stale.commits,
                policy.stale.days
            ),
            serde_json::to_value(&age).unwrap_or_default(),
        ),
        Ok(None) | Err(ArchitectureError::Baseline { .. }) => {
            (String::new(), serde_json::Value::Null)
        }
        Err(e) => (
            format!("age: unknown ({e})\n"),
            json!({ "error": e.to_string() }),
        ),
    };
    let rules = root.join(RULES_PATH).is_file();
    let rules_line = if rules {
        format!("rules: {RULES_PATH}")
    } else {
        format!("rules: none ({RULES_PATH} not found)")
    };
    CommandOutput::new(
        format!("{plugin_line}\n{baseline_line}\n{age_lines}{rules_line}\n"),
        json!({ "analyzer": plugin_json, "baseline": baseline_json, "age": age_json, "rules": rules }),
        code,
    )
}
