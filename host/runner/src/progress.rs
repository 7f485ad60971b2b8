//! Progress notifications from a run to whoever shows them (the CLI's terminal or plain
//! renderer, `--json`'s silence). The runner only reports; it never formats.

use dgov_kernel::TaskState;

/// Progress notifications for the CLI.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressEvent {
    Task {
        task: String,
        state: TaskState,
        attempt: u32,
        detail: Option<String>,
    },
    Merged {
        task: String,
        sha: String,
    },
    Notice(String),
}

pub trait Progress: Send + Sync {
    fn event(&self, event: ProgressEvent);
}

/// Ignores progress.
pub struct Silent;

impl Progress for Silent {
    fn event(&self, _: ProgressEvent) {}
}
