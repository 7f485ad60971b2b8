//! Fault injection for crash tests: `DGOV_FAULT=<boundary>` (or `<boundary>:<n>` for the n-th
//! time the boundary is reached) makes the process kill itself with SIGKILL at that effect
//! boundary — exactly what `kill -9` would do, with no cleanup of any kind.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

/// Every boundary the runner exposes, in the order a task meets them.
pub const BOUNDARIES: &[&str] = &[
    "after_run_started",
    "after_worktree_intent",
    "after_worktree_created",
    "after_dispatched",
    "after_worker_finished",
    "after_settled",
    "after_merge_intent",
    "merge_commit_created",
    "merge_ref_updated",
    "after_merge_git",
    "after_deploy_log",
    "after_merge_recorded",
    "after_cleanup_intent",
    "after_cleanup",
];

static SPEC: Mutex<Option<Option<(String, u32)>>> = Mutex::new(None);
static HITS: AtomicU32 = AtomicU32::new(0);

fn spec() -> Option<(String, u32)> {
    let mut guard = SPEC.lock().unwrap_or_else(|e| e.into_inner());
    guard
        .get_or_insert_with(|| {
            let raw = std::env::var("DGOV_FAULT").ok()?;
            let (name, n) = match raw.split_once(':') {
                Some((name, n)) => (name.to_string(), n.parse().unwrap_or(1)),
                None => (raw, 1),
            };
            Some((name, n.max(1)))
        })
        .clone()
}

/// Called at every effect boundary; dies here if `DGOV_FAULT` names it.
pub fn hit(boundary: &str) {
    let Some((name, nth)) = spec() else { return };
    if name != boundary {
        return;
    }
    if HITS.fetch_add(1, Ordering::SeqCst) + 1 == nth {
        eprintln!("dgov: DGOV_FAULT: killing the run at {boundary}");
        // SAFETY: sending SIGKILL to ourselves; nothing after this runs.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
