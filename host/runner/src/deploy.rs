//! The deploy log `.dgov/plans/deployed.jsonl`: one JSON object per landed unit,
//! `{"plan","unit","sha","ts"}`, append-only, the authority on what landed.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One landed unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRecord {
    pub plan: String,
    pub unit: String,
    pub sha: String,
    pub ts: String,
}

pub fn deploy_log_path(root: &Path) -> PathBuf {
    root.join(".dgov").join("plans").join("deployed.jsonl")
}

/// Records of `plan`, in file order. Blank, malformed and non-object lines are skipped (the
/// original crashed on a non-object line).
pub fn read_deployed(root: &Path, plan: &str) -> std::io::Result<Vec<DeployRecord>> {
    let path = deploy_log_path(root);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let o = v.as_object()?;
            let get = |k: &str| o.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            Some(DeployRecord {
                plan: get("plan"),
                unit: get("unit"),
                sha: get("sha"),
                ts: get("ts"),
            })
        })
        .filter(|r| r.plan == plan)
        .collect())
}

/// Append one record (creating directories) with a single write. No fsync: like git's own
/// objects and refs, the record survives a killed process; after a power loss the merge
/// intent in the store lets reconciliation re-append it.
pub fn append_deployed(root: &Path, record: &DeployRecord) -> std::io::Result<()> {
    let path = deploy_log_path(root);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    let line = serde_json::to_string(record).map_err(std::io::Error::other)?;
    f.write_all(format!("{line}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_skips_bad_lines_including_non_objects() {
        let dir = tempfile::tempdir().unwrap();
        let rec = |u: &str| DeployRecord {
            plan: "p".into(),
            unit: u.into(),
            sha: "abc".into(),
            ts: "t".into(),
        };
        append_deployed(dir.path(), &rec("a")).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(deploy_log_path(dir.path()))
            .unwrap();
        f.write_all(b"\nnot json\n[1,2]\n42\n{\"plan\":\"q\",\"unit\":\"z\"}\n")
            .unwrap();
        append_deployed(dir.path(), &rec("b")).unwrap();
        let got = read_deployed(dir.path(), "p").unwrap();
        assert_eq!(got, vec![rec("a"), rec("b")]);
        let line = std::fs::read_to_string(deploy_log_path(dir.path())).unwrap();
        assert!(
            line.starts_with(r#"{"plan":"p","unit":"a","sha":"abc","ts":"t"}"#),
            "{line}"
        );
        assert!(
            read_deployed(&dir.path().join("none"), "p")
                .unwrap()
                .is_empty()
        );
    }
}
