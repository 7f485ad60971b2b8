//! `dgov scope status`: the scope gate on the working tree's uncommitted changes, with the
//! claims a caller gives (or a compiled task's), and the paths a task's worker wrote through
//! its tools. Returns the gate's scope status record (claims, actual and transient paths,
//! how each was classified, the blocking failure) — nothing is cached or recorded.

use std::path::Path;

use dgov_git::Repo;
use dgov_plugin_host::bindings::{Claims, GateContext, Phase, Revs};
use serde::Serialize;
use serde_json::Value;

use crate::gates::{GateCall, GateRun, GateVerdict, Gates};
use crate::policy::{self, PhaseName};
use crate::{diff, worklog};

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct ScopeQuery {
    /// Writable and read-only claims; `None` = claims not enforced (only governor-owned
    /// paths and the path policy are checked).
    pub claims: Option<(Vec<String>, Vec<String>)>,
    /// Paths written through worker tools (see [`task_transient_writes`]).
    pub transient_writes: Vec<String>,
}

/// The scope gate's record (field names of the original dgov's scope status), from the
/// rules crate the gate itself is built with.
pub use dgov_scope_rules::{Blocking, ScopeRecord};

/// The result: the record plus the gate run it came from.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeStatus {
    pub passed: bool,
    pub record: ScopeRecord,
    pub gate: GateRun,
}

/// Run the project's `scope` gate (its structural-phase entry, or the default one when the
/// policy has none) on the uncommitted changes of the repository at `root`.
pub async fn scope_status(
    gates: &Gates,
    root: &Path,
    query: ScopeQuery,
) -> Result<ScopeStatus, String> {
    let (policy, cfg) = policy::load(root).map_err(|e| e.to_string())?;
    let plugins = dgov_plugin_host::registry::load_config(root).map_err(|e| e.to_string())?;
    let mut entry = policy
        .gates(PhaseName::Structural)
        .iter()
        .find(|e| e.gate == "scope")
        .cloned()
        .or_else(|| {
            policy::defaults(&cfg, &[])
                .remove(&PhaseName::Structural)?
                .into_iter()
                .find(|e| e.gate == "scope")
        })
        .ok_or("no scope gate entry could be built from .dgov/project.toml")?;
    if let Some(obj) = entry.config.as_object_mut() {
        obj.insert(
            "transient_writes".into(),
            serde_json::json!(query.transient_writes),
        );
    }
    let (head, changed) = {
        let repo = Repo::open(root).map_err(|e| e.to_string())?;
        let head = repo
            .head()
            .map_err(|e| e.to_string())?
            .ok_or("the repository has no commits yet; commit once, then check scope")?;
        let changed = diff::working_tree(repo.git2()).map_err(|e| e.to_string())?;
        (head.to_string(), changed)
    };
    let enforced = query.claims.is_some();
    let (edit, read) = query.claims.unwrap_or_default();
    let ctx = GateContext {
        task: "scope-status".into(),
        phase: Phase::Preflight,
        revs: Revs {
            base: head.clone(),
            head: head.clone(),
            target: Some(head),
        },
        changed,
        claims: Claims {
            create: vec![],
            edit,
            delete: vec![],
            touch: vec![],
            read,
            enforced,
        },
        config_json: "{}".into(),
    };
    let call = GateCall {
        root,
        repo_root: Some(root),
        tree: None,
        plugins: &plugins,
        use_cache: false,
    };
    let run = gates.run(&entry, ctx, &call).await;
    if run.verdict == GateVerdict::Error {
        return Err(format!("the scope gate errored: {}", run.summary));
    }
    let mut record: ScopeRecord = run
        .metrics
        .clone()
        .and_then(|m| serde_json::from_value(m).ok())
        .ok_or_else(|| {
            format!(
                "the scope gate returned no scope status record (plugin {}); is the embedded scope-gate current?",
                run.plugin.as_deref().unwrap_or("?")
            )
        })?;
    record.normalize();
    Ok(ScopeStatus {
        passed: record.blocking_failure.is_none(),
        record,
        gate: run,
    })
}

/// The latest attempt of `task` in `plan` that logged worker activity, if any.
pub fn latest_attempt(store: &dgov_store::Store, plan: &str, task: &str) -> Option<u32> {
    let mut latest = None;
    let mut after = 0;
    while let Ok(batch) = store.events_after(after, Some(plan), 5000) {
        let Some(last) = batch.last() else { break };
        after = last.id;
        for e in batch.iter().filter(|e| e.kind == "worker_log") {
            if e.task.as_deref() != Some(task) {
                continue;
            }
            let attempt = e.data.get("attempt").and_then(Value::as_u64);
            if let Some(a) = attempt.and_then(|a| u32::try_from(a).ok()) {
                latest = latest.max(Some(a));
            }
        }
    }
    latest
}

/// Paths the worker of `task`'s latest attempt wrote through its tools (older attempts are
/// retries whose changes were discarded). Empty when there is no store or no activity.
pub fn task_transient_writes(root: &Path, plan: &str, task: &str) -> Vec<String> {
    let Ok(Some(store)) = dgov_store::Store::open_read_only(root) else {
        return Vec::new();
    };
    match latest_attempt(&store, plan, task) {
        Some(attempt) => worklog::transient_writes(&store, plan, task, attempt),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transient_writes_come_from_the_latest_attempt_of_the_task_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        {
            let mut s = dgov_store::Store::open(root).unwrap();
            let log = |attempt: u32, path: &str| {
                json!({"attempt": attempt, "log_type": "result",
                       "content": {"activity": [{"kind": "write_file", "path": path}]}})
            };
            let t = Some("s/t.one");
            s.append_note("p", None, t, "worker_log", &log(1, "old.txt"))
                .unwrap();
            s.append_note("p", None, t, "worker_log", &log(2, "new.txt"))
                .unwrap();
            s.append_note("p", None, Some("s/t.other"), "worker_log", &log(3, "x"))
                .unwrap();
            s.append_note("q", None, t, "worker_log", &log(9, "y"))
                .unwrap();
        }
        let s = dgov_store::Store::open_read_only(root).unwrap().unwrap();
        assert_eq!(latest_attempt(&s, "p", "s/t.one"), Some(2));
        assert_eq!(latest_attempt(&s, "p", "s/t.none"), None);
        assert_eq!(task_transient_writes(root, "p", "s/t.one"), ["new.txt"]);
        assert!(task_transient_writes(root, "p", "s/t.none").is_empty());
        let empty = tempfile::tempdir().unwrap();
        assert!(task_transient_writes(empty.path(), "p", "s/t.one").is_empty());
    }

    #[test]
    fn the_record_survives_a_cached_verdict() {
        // The cache stores the whole report; a cached scope verdict keeps its record.
        let dir = tempfile::tempdir().unwrap();
        let metrics = json!({"actual_files": ["a.rs"], "blocking_failure": null}).to_string();
        let report = dgov_plugin_host::bindings::GateReport {
            verdict: dgov_plugin_host::bindings::Verdict::Pass,
            summary: "1 file(s) within scope".into(),
            findings: vec![],
            fixes: vec![],
            metrics_json: Some(metrics.clone()),
        };
        crate::cache::put(dir.path(), "key", &report);
        let back = crate::cache::get(dir.path(), "key").expect("cached");
        assert_eq!(back.metrics_json.as_deref(), Some(metrics.as_str()));
    }

    #[test]
    fn a_record_from_metrics_tolerates_missing_fields_and_is_normalized() {
        let mut r: ScopeRecord = serde_json::from_value(json!({
            "actual_files": ["b", "a", "a"],
            "blocking_failure": {"code": "scope_violation", "message": "m"},
            "future_field": 1
        }))
        .unwrap();
        r.normalize();
        assert_eq!(r.actual_files, ["a", "b"]);
        assert!(r.claimed_writable.is_empty());
        assert_eq!(r.blocking_failure.unwrap().code, "scope_violation");
    }
}
