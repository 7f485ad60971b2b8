//! dgov-kernel: the pure state machine of a dgov run.
//!
//! A run is a DAG of tasks. The runner reports what happened as [`Event`]s; the kernel answers
//! with [`Action`]s (dispatch an attempt, settle it, merge it, clean up, …). The kernel does no
//! I/O and never fails: an event that does not fit becomes an [`Anomaly`]. Because the runner
//! stores every event before feeding it in, folding the stored log rebuilds the kernel exactly.
//!
//! # Layout
//! - `types` — states, events, actions (all serde data).
//! - `kernel` — [`Kernel`] and its transition table.
//! - `topo` — the deterministic merge order and DAG build errors.
//!
//! ```
//! use dgov_kernel::*;
//! let tasks = vec![TaskSpec { id: "a".into(), depends_on: vec![], max_retries: 0, max_forks: 1 }];
//! let mut k = Kernel::new(&tasks, None).unwrap();
//! let acts = k.handle(Event::RunStarted { mode: RunMode::Fresh, deployed: vec![] });
//! assert_eq!(acts, vec![Action::Dispatch { task: "a".into(), attempt: 1 }]);
//! ```

mod kernel;
mod topo;
mod types;

pub use kernel::{Kernel, TaskSpec, TaskStatus};
pub use topo::BuildError;
pub use types::*;

/// Fold a recorded event log into a fresh kernel, returning it and every action it emitted.
pub fn replay(
    tasks: &[TaskSpec],
    max_parallel: Option<usize>,
    events: impl IntoIterator<Item = Event>,
) -> Result<(Kernel, Vec<Action>), BuildError> {
    let mut kernel = Kernel::new(tasks, max_parallel)?;
    let mut actions = Vec::new();
    for e in events {
        actions.extend(kernel.handle(e));
    }
    Ok((kernel, actions))
}
