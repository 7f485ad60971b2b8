//! Paths the worker wrote through its tools during an attempt, read from the `worker_log`
//! events the worker records (`log_type = "result"`, `content.activity[]`), for the scope
//! gate's transient-scope check: a file written and reverted before the end still counts.

use serde_json::Value;

const WRITE_KINDS: [&str; 5] = [
    "write_file",
    "edit_file",
    "apply_patch",
    "revert_file",
    "run_bash",
];
const WRITE_MODES: [&str; 4] = ["create", "edit", "patch", "revert"];

/// Written paths of one activity list (read-only activity is ignored).
pub fn written_paths(activity: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for item in activity.as_array().into_iter().flatten() {
        let kind = item.get("kind").and_then(Value::as_str).unwrap_or("");
        let mode = item.get("mode").and_then(Value::as_str).unwrap_or("");
        if !(WRITE_KINDS.contains(&kind) || WRITE_MODES.contains(&mode)) {
            continue;
        }
        if let Some(p) = item.get("path").and_then(Value::as_str) {
            out.push(p.trim_start_matches("./").to_string());
        }
    }
    out
}

/// Every path written through worker tools in `attempt` of `task`.
pub fn transient_writes(
    store: &dgov_store::Store,
    plan: &str,
    task: &str,
    attempt: u32,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let Ok(batch) = store.events_after(after, Some(plan), 5000) else {
            break;
        };
        let Some(last) = batch.last() else { break };
        after = last.id;
        for e in &batch {
            if e.kind != "worker_log"
                || e.task.as_deref() != Some(task)
                || e.data.get("attempt").and_then(Value::as_u64) != Some(u64::from(attempt))
                || e.data.get("log_type").and_then(Value::as_str) != Some("result")
            {
                continue;
            }
            if let Some(a) = e.data.get("content").and_then(|c| c.get("activity")) {
                out.extend(written_paths(a));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_write_activity_with_a_path_counts() {
        let a = serde_json::json!([
            {"kind": "write_file", "path": "./a.py", "mode": "create"},
            {"kind": "read_file", "path": "b.py"},
            {"kind": "run_bash", "path": "c.txt", "mode": "shell"},
            {"kind": "other", "mode": "revert", "path": "d.py"},
            {"kind": "edit_file"}
        ]);
        assert_eq!(written_paths(&a), ["a.py", "c.txt", "d.py"]);
    }
}
