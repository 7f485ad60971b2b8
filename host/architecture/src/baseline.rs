//! `.sentrux/baseline.json`: read and written by the host only (workers and plugins never
//! get a grant that can write it).

use std::path::{Path, PathBuf};

use dgov_sentrux::{Baseline, Report};

use crate::analyzer::ArchitectureError;

/// The baseline, relative to the repository root.
pub const BASELINE_PATH: &str = ".sentrux/baseline.json";
/// The rules, relative to the repository root.
pub const RULES_PATH: &str = ".sentrux/rules.toml";

/// Absolute path of the baseline of `root`.
pub fn baseline_path(root: &Path) -> PathBuf {
    root.join(BASELINE_PATH)
}

/// Seconds since the epoch, as sentrux stamps baselines.
pub fn now_timestamp() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The text of a governor-owned file under `.sentrux/`: `None` when it does not exist, an
/// error naming it when it cannot be read.
pub(crate) fn read_if_present(path: &Path) -> Result<Option<String>, ArchitectureError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ArchitectureError::Baseline {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

/// The baseline of `root`: `Ok(None)` when there is none, an error when it is unreadable
/// or not a baseline.
pub fn read(root: &Path) -> Result<Option<Baseline>, ArchitectureError> {
    let path = baseline_path(root);
    let Some(text) = read_if_present(&path)? else {
        return Ok(None);
    };
    Baseline::from_json(&text)
        .map(Some)
        .map_err(|e| ArchitectureError::Baseline {
            path,
            message: e.to_string(),
        })
}

/// Write `report` as the baseline of `root` (creating `.sentrux/`), stamped now; returns
/// what was written.
pub fn write(root: &Path, report: &Report) -> Result<Baseline, ArchitectureError> {
    write_at(root, report, now_timestamp())
}

/// [`write`] with the timestamp given (seconds since the epoch).
pub fn write_at(root: &Path, report: &Report, now: f64) -> Result<Baseline, ArchitectureError> {
    let path = baseline_path(root);
    let io = |e: std::io::Error| ArchitectureError::Io {
        path: path.clone(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let baseline = report.to_baseline(now);
    let mut text = baseline.to_json();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    // Write-then-rename: a crash never leaves a half-written baseline behind.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(baseline)
}
