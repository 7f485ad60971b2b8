//! dgov-worker: the LLM side of dgov. One attempt of one task runs as a `dgov worker`
//! subprocess that talks to an OpenAI-compatible endpoint and changes its git worktree only
//! through the `worker-tools` WASM plugin.
//!
//! # Layout
//! - [`spec`] — [`AttemptSpec`]: everything an attempt needs (task, scope, provider, policy),
//!   resolved by the governor from the compiled plan and `.dgov/project.toml`.
//! - [`subprocess`] — [`SubprocessWorker`], the runner's `Worker`: launches the subprocess
//!   in its own process group, stores every protocol line as an event.
//! - [`entry`] — the subprocess side: `dgov worker --spec FILE`.
//! - [`protocol`] — the JSON-lines wire format ([`Line`]).
//! - [`agent`] — the loop: budget, warnings, forced `done`, nudge, tool dispatch.
//! - [`llm`] — chat completions (async-openai types over reqwest) and the retry policy.
//! - [`tools`] — the tools plugin session, result clipping, activity telemetry.
//! - [`prompt`] — system prompt, repo map, retry wrapper.
//! - [`roles`] — researcher/reviewer: no writing tools, discarded changes, the reviewer's
//!   dependency diffs and verdict.
//! - [`cassette`] — record (`dgov run --record`) and replay (`replay:` providers).
//! - [`fix`] — the plan `dgov fix` writes; [`demo`] — the `dgov demo` project and cassettes.

pub mod agent;
pub mod cassette;
pub mod demo;
pub mod entry;
pub mod fix;
pub mod git_cmd;
pub mod llm;
pub mod prompt;
pub mod protocol;
pub mod roles;
pub mod spec;
pub mod subprocess;
pub mod tools;

pub use protocol::Line;
pub use spec::AttemptSpec;
pub use subprocess::SubprocessWorker;

/// Why the worker could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkerError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Tools(String),
    #[error("{0}")]
    Io(String),
}
