//! The semantic gate's input: symbol facts of every file the task or the target changed
//! since the task's base, at base, task, target and candidate, extracted natively with
//! `dgov-syntax` (tree-sitter cannot run inside the sandbox; the comparison logic stays in
//! the `semantic-gate` plugin).

use std::collections::BTreeSet;

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

fn blob(repo: &Repository, commit: Oid, path: &str) -> Option<Vec<u8>> {
    let tree = repo.find_commit(commit).ok()?.tree().ok()?;
    let entry = tree.get_path(std::path::Path::new(path)).ok()?;
    let b = entry.to_object(repo).ok()?.peel_to_blob().ok()?;
    Some(b.content().to_vec())
}

fn version(repo: &Repository, commit: Oid, path: &str) -> Value {
    let Some(bytes) = blob(repo, commit, path) else {
        return Value::Null;
    };
    match dgov_syntax::parse_file(path, &bytes) {
        Ok(f) => json!({"symbols": f.symbols, "syntax_errors": f.syntax_errors}),
        Err(_) => Value::Null,
    }
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
        let base = version(repo, v.base, path);
        let task = if t {
            version(repo, v.task, path)
        } else {
            base.clone()
        };
        let target = if g {
            version(repo, v.target, path)
        } else {
            base.clone()
        };
        let candidate = if v.candidate == v.task {
            task.clone()
        } else if !g {
            task.clone()
        } else if !t {
            target.clone()
        } else {
            version(repo, v.candidate, path)
        };
        files.push(json!({
            "path": path, "base": base, "task": task, "target": target,
            "candidate": candidate, "task_changed": t, "target_changed": g,
        }));
    }
    json!({"files": files})
}
