//! The semantic gate's input: symbol facts of every file the task or the target changed
//! since the task's base, at base, task, target and candidate, extracted natively with
//! `dgov-syntax` (tree-sitter cannot run inside the sandbox; the comparison logic stays in
//! the `semantic-gate` plugin).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use dgov_git::Oid;
use git2::Repository;
use serde_json::{Value, json};

/// The four versions the semantic gate compares.
#[derive(Debug, Clone, Copy)]
pub struct Versions {
    pub base: Oid,
    pub task: Oid,
    pub target: Oid,
    pub candidate: Oid,
}

/// Facts by (blob id, path): a blob parses the same every time, so the base and target
/// versions shared by many tasks of a run, and every rerun, are parsed once per process.
static FACTS: Mutex<Option<HashMap<(Oid, String), Value>>> = Mutex::new(None);
const FACTS_CAP: usize = 4096;

fn blob(repo: &Repository, commit: Oid, path: &str) -> Option<(Oid, Vec<u8>)> {
    let tree = repo.find_commit(commit).ok()?.tree().ok()?;
    let entry = tree.get_path(std::path::Path::new(path)).ok()?;
    let b = entry.to_object(repo).ok()?.peel_to_blob().ok()?;
    Some((b.id(), b.content().to_vec()))
}

fn parse(path: &str, bytes: &[u8]) -> Value {
    match dgov_syntax::parse_file(path, bytes) {
        Ok(f) => json!({"symbols": f.symbols, "syntax_errors": f.syntax_errors}),
        Err(_) => Value::Null,
    }
}

fn cached(key: &(Oid, String)) -> Option<Value> {
    let g = FACTS.lock().unwrap_or_else(|e| e.into_inner());
    g.as_ref().and_then(|m| m.get(key).cloned())
}

fn remember(key: (Oid, String), v: &Value) {
    let mut g = FACTS.lock().unwrap_or_else(|e| e.into_inner());
    let m = g.get_or_insert_with(HashMap::new);
    if m.len() >= FACTS_CAP {
        m.clear();
    }
    m.insert(key, v.clone());
}

/// Facts of `path` at each commit (`Null` where it does not exist), parsing the blobs not
/// seen before in parallel.
fn versions(repo: &Repository, commits: &[Oid], path: &str) -> Vec<Value> {
    let blobs: Vec<Option<(Oid, Vec<u8>)>> = commits.iter().map(|c| blob(repo, *c, path)).collect();
    let mut out: Vec<Option<Value>> = blobs
        .iter()
        .map(|b| match b {
            None => Some(Value::Null),
            Some((id, _)) => cached(&(*id, path.to_string())),
        })
        .collect();
    // Distinct blobs still to parse.
    let mut todo: Vec<(Oid, &[u8])> = Vec::new();
    for (i, b) in blobs.iter().enumerate() {
        if out[i].is_none()
            && let Some((id, bytes)) = b
            && !todo.iter().any(|(t, _)| t == id)
        {
            todo.push((*id, bytes));
        }
    }
    let parsed: Vec<(Oid, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = todo
            .iter()
            .map(|(id, bytes)| s.spawn(move || (*id, parse(path, bytes))))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    for (id, v) in &parsed {
        remember((*id, path.to_string()), v);
    }
    for (i, b) in blobs.iter().enumerate() {
        if out[i].is_none()
            && let Some((id, _)) = b
        {
            out[i] = parsed.iter().find(|(p, _)| p == id).map(|(_, v)| v.clone());
        }
    }
    out.into_iter().map(|v| v.unwrap_or(Value::Null)).collect()
}

/// The gate configuration for `task_changed` and `target_changed` paths.
pub fn semantic_input(
    repo: &Repository,
    v: Versions,
    task_changed: &[String],
    target_changed: &[String],
) -> Value {
    let all: BTreeSet<&String> = task_changed.iter().chain(target_changed).collect();
    let mut files = Vec::new();
    for path in all {
        if dgov_syntax::Language::from_path(path).is_none() {
            continue;
        }
        let t = task_changed.contains(path);
        let g = target_changed.contains(path);
        // Only the versions that can differ are read: an unchanged side is the base, and
        // the candidate equals the only side that changed the file.
        let mut commits = vec![v.base];
        if t {
            commits.push(v.task);
        }
        if g {
            commits.push(v.target);
        }
        let both = t && g && v.candidate != v.task;
        if both {
            commits.push(v.candidate);
        }
        let mut got = versions(repo, &commits, path).into_iter();
        let base = got.next().unwrap_or(Value::Null);
        let task = if t {
            got.next().unwrap_or(Value::Null)
        } else {
            base.clone()
        };
        let target = if g {
            got.next().unwrap_or(Value::Null)
        } else {
            base.clone()
        };
        let candidate = if both {
            got.next().unwrap_or(Value::Null)
        } else if t {
            task.clone()
        } else {
            target.clone()
        };
        files.push(json!({
            "path": path, "base": base, "task": task, "target": target,
            "candidate": candidate, "task_changed": t, "target_changed": g,
        }));
    }
    json!({"files": files})
}

/// Forget every cached fact (benchmarks measure cold extraction with it).
pub fn clear_cache() {
    *FACTS.lock().unwrap_or_else(|e| e.into_inner()) = None;
}
