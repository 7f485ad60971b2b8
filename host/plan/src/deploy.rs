//! The deploy log `.dgov/plans/deployed.jsonl`: one JSON object per merged (or, for
//! read-only roles, finished) unit. The runner appends; plan status, list and archive read.
//! Both sides use [`DeployRecord`], so the format lives in one place.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;

/// Path of the deploy log relative to the repository root.
pub const DEPLOY_LOG: &str = ".dgov/plans/deployed.jsonl";

/// One line of the deploy log. Field order is the on-disk key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRecord {
    pub plan: String,
    pub unit: String,
    /// Commit the unit landed as (merge result, or the base commit for read-only roles).
    pub sha: String,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub ts: String,
}

impl DeployRecord {
    /// A record stamped with the current UTC time.
    pub fn now(plan: &str, unit: &str, sha: &str) -> DeployRecord {
        DeployRecord {
            plan: plan.into(),
            unit: unit.into(),
            sha: sha.into(),
            ts: utc_now(),
        }
    }
}

/// Append one record (parent directories are created). One `write` call per line so
/// concurrent appenders do not interleave within a line.
pub fn append_deployed(repo_root: &Path, record: &DeployRecord) -> std::io::Result<()> {
    let path = repo_root.join(DEPLOY_LOG);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_string(record).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    f.write_all(line.as_bytes())?;
    // The log is the authority on what landed: make the record durable before returning.
    f.sync_data()
}

/// Records of `plan`, in file order. A missing log is empty. Malformed lines (bad JSON,
/// non-objects: the original crashed on those) are skipped with a warning each; missing
/// keys read as "".
pub fn read_deployed(
    repo_root: &Path,
    plan: &str,
) -> std::io::Result<(Vec<DeployRecord>, Vec<Diagnostic>)> {
    let path = repo_root.join(DEPLOY_LOG);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(e),
    };
    Ok(parse_deployed(&text, plan, &PathBuf::from(DEPLOY_LOG)))
}

/// Parse deploy-log text, keeping records of `plan`.
pub fn parse_deployed(text: &str, plan: &str, file: &Path) -> (Vec<DeployRecord>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let lineno = u32::try_from(i + 1).ok();
        let obj = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(o)) => o,
            Ok(_) => {
                warnings.push(
                    Diagnostic::warning("deploy log line is not a JSON object; skipped")
                        .file(file)
                        .line(lineno),
                );
                continue;
            }
            Err(e) => {
                warnings.push(
                    Diagnostic::warning(format!("malformed deploy log line skipped: {e}"))
                        .file(file)
                        .line(lineno),
                );
                continue;
            }
        };
        let get = |k: &str| {
            obj.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        if get("plan") != plan {
            continue;
        }
        out.push(DeployRecord {
            plan: get("plan"),
            unit: get("unit"),
            sha: get("sha"),
            ts: get("ts"),
        });
    }
    (out, warnings)
}

/// Current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Format seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian).
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
