//! Record and replay of LLM exchanges. A cassette is one JSON file per task,
//! `<dir>/<task id with / and . replaced>.json`, holding each attempt's exchanges
//! (`{"attempts": {"1": [{"request": …, "response": …}, …]}}`). Replaying serves the
//! responses of the same attempt in order (or the last recorded attempt when a replayed run
//! retries more often), so a run reproduces offline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CassetteFile {
    pub task: String,
    pub attempts: BTreeMap<String, Vec<Exchange>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exchange {
    /// The request as sent (kept for reading; replay does not compare it).
    #[serde(default)]
    pub request: Value,
    pub response: Value,
}

/// The cassette path of `task` under `dir`.
pub fn cassette_path(dir: &Path, task: &str) -> PathBuf {
    let name: String = task
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{name}.json"))
}

/// Serves recorded responses in order.
pub struct Cassette {
    responses: Vec<Value>,
    next: usize,
    path: PathBuf,
}

impl Cassette {
    pub fn open(dir: &Path, task: &str, attempt: u32) -> Result<Cassette, String> {
        let path = cassette_path(dir, task);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "no cassette for task '{task}' at {}: {e}; record one with `dgov run --record`",
                path.display()
            )
        })?;
        let file: CassetteFile = serde_json::from_str(&text)
            .map_err(|e| format!("cassette {} is not valid: {e}", path.display()))?;
        let ex = file
            .attempts
            .get(&attempt.to_string())
            .or_else(|| {
                file.attempts
                    .iter()
                    .filter_map(|(k, v)| k.parse::<u32>().ok().map(|n| (n, v)))
                    .max_by_key(|(n, _)| *n)
                    .map(|(_, v)| v)
            })
            .ok_or_else(|| format!("cassette {} has no attempts", path.display()))?;
        Ok(Cassette {
            responses: ex.iter().map(|e| e.response.clone()).collect(),
            next: 0,
            path,
        })
    }

    pub fn next_response(&mut self) -> Result<Value, String> {
        let r = self.responses.get(self.next).cloned().ok_or_else(|| {
            format!(
                "cassette {} is exhausted after {} responses; the replayed run diverged from the recording",
                self.path.display(),
                self.responses.len()
            )
        })?;
        self.next += 1;
        Ok(r)
    }
}

/// Appends exchanges to a task's cassette, rewriting the file after each one so an attempt
/// cut short still leaves what it did.
pub struct Recorder {
    path: PathBuf,
    file: CassetteFile,
    attempt: String,
}

impl Recorder {
    pub fn new(dir: &Path, task: &str, attempt: u32) -> Result<Recorder, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let path = cassette_path(dir, task);
        let mut file: CassetteFile = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        file.task = task.to_string();
        file.attempts.insert(attempt.to_string(), Vec::new());
        Ok(Recorder {
            path,
            file,
            attempt: attempt.to_string(),
        })
    }

    pub fn record(&mut self, request: &Value, response: &Value) -> Result<(), String> {
        self.file
            .attempts
            .entry(self.attempt.clone())
            .or_default()
            .push(Exchange {
                request: request.clone(),
                response: response.clone(),
            });
        let text = serde_json::to_string_pretty(&self.file).map_err(|e| e.to_string())?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| format!("writing cassette {}: {e}", self.path.display()))
    }
}
