//! `dgov coverage-baseline`: runs the project's `coverage_cmd` in the project root and stores
//! its report as `.coverage-baseline/coverage.json`, the baseline the settlement coverage gate
//! compares each task's changed files with.
//!
//! The command writes to a temporary file inside `.coverage-baseline/` (its `{output}`); the
//! report is validated and then renamed over `coverage.json` atomically, so a failed or
//! interrupted run never leaves a half-written baseline. An lcov tracefile is accepted too and
//! stored in the coverage.py JSON shape the gate reads.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use clap::Args;

use crate::Globals;
use crate::exit::{self, with_code};

/// The baseline file, relative to the project root.
pub const BASELINE: &str = ".coverage-baseline/coverage.json";

#[derive(Debug, Args)]
pub struct CoverageBaselineArgs {
    /// Kill the command after this many seconds (default: `[project].settlement_timeout`).
    #[arg(long)]
    timeout: Option<u64>,
}

/// What was stored.
#[derive(Debug, serde::Serialize)]
struct Stored {
    path: String,
    command: String,
    files: usize,
    /// The report's total, when it has one (`totals.percent_covered`).
    percent_covered: Option<f64>,
    duration_s: f64,
}

pub fn run(args: CoverageBaselineArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = g.repo.clone();
    let (cfg, _warnings) = dgov_plan::load_project_config(&root)
        .with_context(|| format!("loading {}", root.join(".dgov/project.toml").display()))?;
    let template = cfg
        .project
        .coverage_cmd
        .clone()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            anyhow!(
                "{}: [project].coverage_cmd is not set; set a command that writes a coverage.py JSON (or lcov) report to `{{output}}`, e.g. coverage_cmd = \"python -m pytest --cov --cov-report=json:{{output}}\"",
                root.join(".dgov/project.toml").display()
            )
        })?;
    if !template.contains("{output}") {
        return Err(anyhow!(
            "{}: [project].coverage_cmd must contain `{{output}}` (where the report is written)",
            root.join(".dgov/project.toml").display()
        ));
    }
    let dir = root.join(".coverage-baseline");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!("coverage.json.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let abs_tmp = std::path::absolute(&tmp).unwrap_or_else(|_| tmp.clone());
    let command = template
        .replace("{output}", &shell_quote(&abs_tmp.to_string_lossy()))
        .replace("{test_dir}", &shell_quote(&cfg.project.test_dir));
    let timeout = Duration::from_secs(args.timeout.unwrap_or(cfg.project.settlement_timeout));
    let started = Instant::now();
    let result = run_and_store(&root, &command, timeout, &tmp);
    let _ = std::fs::remove_file(&tmp);
    let (files, total) = result.map_err(|e| with_code(exit::FAILURE, e))?;
    let stored = Stored {
        path: BASELINE.into(),
        command: template,
        files,
        percent_covered: total,
        duration_s: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    };
    if g.json {
        println!("{}", serde_json::to_string_pretty(&stored)?);
    } else {
        let total = total.map_or_else(String::new, |t| format!(", {t:.1}% total"));
        println!(
            "Coverage baseline written to {BASELINE} ({files} file(s){total}) in {:.1}s",
            stored.duration_s
        );
    }
    Ok(exit::SUCCESS)
}

/// Run `command`, validate the report at `tmp` and rename it to the baseline.
fn run_and_store(
    root: &Path,
    command: &str,
    timeout: Duration,
    tmp: &Path,
) -> anyhow::Result<(usize, Option<f64>)> {
    let (status, output) = run_shell(root, command, timeout)?;
    match status {
        Some(0) => {}
        Some(code) => {
            return Err(anyhow!(
                "`{command}` exited with {code}; no baseline written. Output (end):\n{}",
                tail(&output, 1000)
            ));
        }
        None => {
            return Err(anyhow!(
                "`{command}` timed out after {}s or was killed; no baseline written. Output (end):\n{}",
                timeout.as_secs(),
                tail(&output, 1000)
            ));
        }
    }
    let text = std::fs::read_to_string(tmp).map_err(|e| {
        anyhow!(
            "`{command}` succeeded but wrote no readable report at {} ({e}); does coverage_cmd put the report at `{{output}}`? Output (end):\n{}",
            tmp.display(),
            tail(&output, 1000)
        )
    })?;
    let doc = to_baseline(&text).map_err(|e| {
        anyhow!(
            "the report `{command}` wrote is not usable: {e}. Report (start): {}",
            text.chars().take(300).collect::<String>()
        )
    })?;
    let files = doc["files"].as_object().map_or(0, |f| f.len());
    let total = doc
        .pointer("/totals/percent_covered")
        .and_then(|t| t.as_f64());
    let final_path = root.join(BASELINE);
    let staged = final_path.with_extension("json.new");
    std::fs::write(&staged, serde_json::to_string_pretty(&doc)?)
        .with_context(|| format!("writing {}", staged.display()))?;
    std::fs::rename(&staged, &final_path)
        .with_context(|| format!("renaming {} to {}", staged.display(), final_path.display()))?;
    Ok((files, total))
}

/// Validate a coverage.py JSON report, or convert an lcov tracefile to that shape.
pub fn to_baseline(text: &str) -> Result<serde_json::Value, String> {
    let t = text.trim_start();
    if t.starts_with('{') {
        let doc: serde_json::Value =
            serde_json::from_str(t).map_err(|e| format!("invalid JSON: {e}"))?;
        let files = doc
            .get("files")
            .and_then(|f| f.as_object())
            .ok_or("no `files` object (expected the coverage.py JSON schema)")?;
        for (path, data) in files {
            if data
                .pointer("/summary/percent_covered")
                .and_then(|p| p.as_f64())
                .is_none()
            {
                return Err(format!("`files.{path}.summary.percent_covered` is missing"));
            }
        }
        return Ok(doc);
    }
    if !t.lines().any(|l| l.starts_with("SF:")) {
        return Err("neither coverage.py JSON nor an lcov tracefile".into());
    }
    let mut files = serde_json::Map::new();
    let (mut file, mut hit, mut found) = (None::<String>, 0u64, 0u64);
    let (mut all_hit, mut all_found) = (0u64, 0u64);
    for line in t.lines().map(str::trim) {
        if let Some(p) = line.strip_prefix("SF:") {
            (file, hit, found) = (Some(p.to_owned()), 0, 0);
        } else if let Some(n) = line.strip_prefix("LH:") {
            hit = n.trim().parse().unwrap_or(0);
        } else if let Some(n) = line.strip_prefix("LF:") {
            found = n.trim().parse().unwrap_or(0);
        } else if line == "end_of_record"
            && let Some(f) = file.take()
        {
            all_hit += hit;
            all_found += found;
            files.insert(
                f,
                serde_json::json!({"summary": {
                    "percent_covered": percent(hit, found),
                    "covered_lines": hit, "num_statements": found,
                }}),
            );
        }
    }
    Ok(serde_json::json!({
        "meta": {"format": "lcov", "converted_by": "dgov coverage-baseline"},
        "files": files,
        "totals": {"percent_covered": percent(all_hit, all_found)},
    }))
}

fn percent(hit: u64, found: u64) -> f64 {
    if found == 0 {
        100.0
    } else {
        hit as f64 * 100.0 / found as f64
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@=".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn tail(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.trim_end().chars().collect();
    chars[chars.len().saturating_sub(max)..].iter().collect()
}

/// Run `command` with `sh -c` in `root`, capturing stdout then stderr; on timeout the whole
/// process group is killed. `None` status = timed out or killed.
fn run_shell(
    root: &Path,
    command: &str,
    timeout: Duration,
) -> anyhow::Result<(Option<i32>, String)> {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting `sh -c {command}`"))?;
    // Drain both pipes on threads so a chatty tool never blocks on a full pipe.
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s.code();
        }
        if started.elapsed() >= timeout {
            // SAFETY: signalling the process group this function created.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut text = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
    text.push_str(&String::from_utf8_lossy(&err.join().unwrap_or_default()));
    Ok((status, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline_path(root: &Path) -> std::path::PathBuf {
        root.join(BASELINE)
    }

    fn project(toml: &str) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join(".dgov")).unwrap();
        std::fs::write(tmp.path().join(".dgov/project.toml"), toml).unwrap();
        tmp
    }

    fn globals(root: &Path) -> Globals {
        Globals {
            json: true,
            repo: root.to_path_buf(),
        }
    }

    #[test]
    fn a_successful_run_stores_the_validated_report_atomically() {
        let tmp = project(
            "[project]\ncoverage_cmd = \"printf '{\\\"files\\\": {\\\"a.py\\\": {\\\"summary\\\": {\\\"percent_covered\\\": 95.0}}}}' > {output}\"\n",
        );
        let code = run(CoverageBaselineArgs { timeout: None }, &globals(tmp.path())).unwrap();
        assert_eq!(code, exit::SUCCESS);
        let stored: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(baseline_path(tmp.path())).unwrap())
                .unwrap();
        assert_eq!(stored["files"]["a.py"]["summary"]["percent_covered"], 95.0);
        // Nothing but the baseline is left in the directory.
        let names: Vec<_> = std::fs::read_dir(tmp.path().join(".coverage-baseline"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["coverage.json"]);
    }

    #[test]
    fn a_failing_command_keeps_the_old_baseline_and_shows_the_output_end() {
        let tmp = project("[project]\ncoverage_cmd = \"echo boom-{output}; exit 4\"\n");
        std::fs::create_dir_all(tmp.path().join(".coverage-baseline")).unwrap();
        std::fs::write(baseline_path(tmp.path()), "{\"files\": {}}").unwrap();
        let err = run(CoverageBaselineArgs { timeout: None }, &globals(tmp.path())).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("exited with 4") && msg.contains("boom-"),
            "{msg}"
        );
        assert_eq!(
            err.downcast_ref::<exit::Exit>().map(|e| e.code),
            Some(exit::FAILURE)
        );
        assert_eq!(
            std::fs::read_to_string(baseline_path(tmp.path())).unwrap(),
            "{\"files\": {}}"
        );
    }

    #[test]
    fn unusable_reports_and_missing_commands_are_errors() {
        let tmp = project("[project]\ncoverage_cmd = \"echo nope > {output}\"\n");
        let err = run(CoverageBaselineArgs { timeout: None }, &globals(tmp.path())).unwrap_err();
        assert!(format!("{err:#}").contains("not usable"), "{err:#}");
        assert!(!baseline_path(tmp.path()).exists());
        let tmp = project("[project]\ntest_cmd = \"true\"\n");
        let err = run(CoverageBaselineArgs { timeout: None }, &globals(tmp.path())).unwrap_err();
        assert!(
            format!("{err:#}").contains("coverage_cmd is not set"),
            "{err:#}"
        );
    }

    #[test]
    fn lcov_reports_are_stored_in_the_coverage_py_shape() {
        let doc = to_baseline("TN:\nSF:src/lib.rs\nLH:3\nLF:4\nend_of_record\n").unwrap();
        assert_eq!(
            doc["files"]["src/lib.rs"]["summary"]["percent_covered"],
            75.0
        );
        assert_eq!(doc["totals"]["percent_covered"], 75.0);
        assert!(to_baseline("{\"files\": {\"a\": {}}}").is_err());
    }
}
