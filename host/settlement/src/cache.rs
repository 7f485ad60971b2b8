//! The verdict cache: a gate's report keyed by (tree hash, plugin hash, gate config hash),
//! so a retry or rerun on an unchanged tree reuses the verdict (and says so). Stored as one
//! JSON file per key under `.dgov/runtime/settlement-cache/`; errors are never cached.

use std::path::{Path, PathBuf};

use dgov_plugin_host::bindings::GateReport;
use sha2::{Digest, Sha256};

/// The cache directory of a repository.
pub fn dir(root: &Path) -> PathBuf {
    root.join(".dgov/runtime/settlement-cache")
}

/// The key: `tree` under review, the plugin's content hash, and a hash of everything else
/// the gate is told (phase, configuration, changed files, claims).
pub fn key(tree: &str, plugin_hash: &str, context: &serde_json::Value) -> String {
    let config_hash = hex::encode(Sha256::digest(context.to_string().as_bytes()));
    let mut h = Sha256::new();
    for part in [tree, plugin_hash, &config_hash] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

pub fn get(root: &Path, key: &str) -> Option<GateReport> {
    let text = std::fs::read_to_string(dir(root).join(format!("{key}.json"))).ok()?;
    serde_json::from_str(&text).ok()
}

/// Best effort: a cache that cannot be written only costs a rerun.
pub fn put(root: &Path, key: &str, report: &GateReport) {
    let d = dir(root);
    if std::fs::create_dir_all(&d).is_err() {
        return;
    }
    let Ok(text) = serde_json::to_string(report) else {
        return;
    };
    let tmp = d.join(format!("{key}.tmp{}", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, d.join(format!("{key}.json")));
    }
}
