//! `.sentrux/dgov-baseline.json`: which commit the baseline was accepted at, and when.
//! Written by `dgov sentrux gate-save` and by the refresh after a complete run; read for
//! the baseline's age.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analyzer::ArchitectureError;

/// The metadata file, relative to the repository root.
pub const METADATA_PATH: &str = ".sentrux/dgov-baseline.json";
/// The only schema this version writes.
pub const SCHEMA: u32 = 1;

/// The metadata document. Fields are declared in sorted order, so it serializes with
/// sorted keys as the original did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// The commit the baseline describes (full sha).
    #[serde(default)]
    pub accepted_head: String,
    /// The baseline file, relative to `.sentrux/`.
    #[serde(default = "baseline_name")]
    pub baseline: String,
    /// The printed quality (×10000) of the baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<u32>,
    /// `timestamp` as ISO-8601 UTC.
    #[serde(default)]
    pub refreshed_at: String,
    #[serde(default = "schema")]
    pub schema: u32,
    /// Seconds since the epoch.
    #[serde(default)]
    pub timestamp: f64,
}

fn baseline_name() -> String {
    "baseline.json".into()
}

fn schema() -> u32 {
    SCHEMA
}

impl Metadata {
    /// Metadata accepting the baseline at `head`, at time `now` (seconds since the epoch).
    pub fn new(head: &str, now: f64, quality: Option<u32>) -> Metadata {
        Metadata {
            accepted_head: head.to_string(),
            baseline: baseline_name(),
            quality,
            refreshed_at: iso8601_utc(now),
            schema: SCHEMA,
            timestamp: now,
        }
    }
}

/// Absolute path of the metadata of `root`.
pub fn metadata_path(root: &Path) -> PathBuf {
    root.join(METADATA_PATH)
}

/// `epoch` seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).
pub fn iso8601_utc(epoch: f64) -> String {
    let secs = if epoch.is_finite() {
        epoch.floor() as i64
    } else {
        0
    };
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The metadata of `root`: `Ok(None)` when there is none, an error when it is unreadable
/// or not a metadata document.
pub fn read(root: &Path) -> Result<Option<Metadata>, ArchitectureError> {
    let path = metadata_path(root);
    let Some(text) = crate::baseline::read_if_present(&path)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| ArchitectureError::Baseline {
            path,
            message: format!("not baseline metadata: {e}"),
        })
}

/// Write `meta` as the metadata of `root` (pretty, sorted keys, trailing newline).
pub fn write(root: &Path, meta: &Metadata) -> Result<(), ArchitectureError> {
    let path = metadata_path(root);
    let io = |e: std::io::Error| ArchitectureError::Io {
        path: path.clone(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut text = serde_json::to_string_pretty(meta).unwrap_or_default();
    text.push('\n');
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_as_iso8601_utc() {
        assert_eq!(iso8601_utc(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(951_782_400.5), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(1_795_507_147.9), "2026-11-24T07:59:07Z");
        assert_eq!(iso8601_utc(-1.0), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn metadata_is_written_pretty_with_sorted_keys_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let m = Metadata::new("abc", 86_400.0, Some(6988));
        write(dir.path(), &m).unwrap();
        let text = std::fs::read_to_string(metadata_path(dir.path())).unwrap();
        assert_eq!(
            text,
            "{\n  \"accepted_head\": \"abc\",\n  \"baseline\": \"baseline.json\",\n  \"quality\": 6988,\n  \"refreshed_at\": \"1970-01-02T00:00:00Z\",\n  \"schema\": 1,\n  \"timestamp\": 86400.0\n}\n"
        );
        assert_eq!(read(dir.path()).unwrap(), Some(m));
        std::fs::write(metadata_path(dir.path()), "[1]").unwrap();
        assert!(read(dir.path()).is_err());
    }
}
