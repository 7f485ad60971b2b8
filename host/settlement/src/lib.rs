//! dgov-settlement: nothing lands unless settlement says so.
//!
//! Between "worker done" and "merge", [`GateSettlement`] (the runner's [`dgov_runner::Settlement`])
//! runs the [`Pipeline`] on the attempt:
//!
//! 1. **structural** — the `scope` gate (size, governor-owned paths, path policy, claims);
//! 2. **prepare** — autofix: the project's `lint_fix_cmd` / `format_cmd` (when set) run on
//!    the worktree; the host keeps their edits only on the task's own lines ([`autofix`]) and
//!    commits them on the attempt branch (`dgov: autofix <task>`), which later phases judge;
//! 3. **isolated** — the configured gates (by default the project's lint / format check /
//!    type check / tests / coverage commands, each through the `command-gate` plugin with
//!    `exec` granted for exactly its program) on the task branch;
//! 4. **integration candidate** — the task's commits replayed onto the current target HEAD
//!    (`dgov-git`), checked out into a temporary directory;
//! 5. **semantic** — the `semantic-gate` plugin on symbol facts the host extracts with
//!    `dgov-syntax` for base, task, target and candidate;
//! 6. **candidate** — the configured gates again, on the integrated candidate, with
//!    `changed = diff(target, candidate)`;
//!
//! then the runner merges. Every phase is recorded as `settlement_phase_started` /
//! `settlement_phase_completed` events; each gate's verdict (`pass`, `warn`, `fail`, `skip`,
//! or `error` for a trap, deadline or plugin error) and findings are in the latter. What a
//! failure does is policy ([`policy`]), read from `.dgov/project.toml` at every settlement.
//! Verdicts are cached by (tree, plugin, configuration) ([`cache`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! let runtime = Arc::new(dgov_plugin_host::Runtime::new(Default::default())?);
//! let pipeline = Arc::new(dgov_settlement::Pipeline::new(dgov_settlement::Gates::new(runtime)));
//! let out = pipeline.preflight(std::path::Path::new(".")).await?;
//! println!("{}", out.reason);
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`policy`] — `[settlement]`: phases, gates, on_fail / on_error, defaults.
//! - [`gates`] — resolving and running one gate; grants; error verdicts.
//! - `baseline_run` — what the host adds to a gate's config: the baseline revision's findings
//!   (type check: only new diagnostics fail), the coverage baseline and report path.
//! - [`autofix`] — the prepare phase: fixers scoped to the task's lines, the follow-up commit.
//! - [`pipeline`] — the phases, events and the outcome. `candidate` — the integration
//!   candidate: replay onto the target HEAD, checkout, semantic facts, changes vs the target.
//! - `settle` — the runner hook. [`diff`] — changed files with added lines.
//! - [`facts`] — the semantic gate's input. [`cache`] — the verdict cache.
//! - [`verify`] — `[verify.<name>]` recipes. [`worklog`] — worker tool writes (transient scope).
//! - [`drift`] — policy source drift checks `dgov preflight` runs first.
//! - [`scope_status`] — `dgov scope status`: the scope gate's record for local changes.

pub mod autofix;
mod baseline_run;
pub mod cache;
mod candidate;
pub mod diff;
pub mod drift;
pub mod facts;
pub mod gates;
pub mod import_block;
pub mod pipeline;
pub mod policy;
pub mod scope_status;
mod settle;
pub mod verify;
pub mod worklog;

pub use dgov_runner::evidence_path;
pub use gates::{GateRun, GateVerdict, Gates};
pub use pipeline::{GateProgress, Outcome, Pipeline, ProgressObserver, Request};
pub use policy::{OnFail, PhaseName, Policy};
pub use settle::{FRESH_START_CODES, GateSettlement, verdict_of};
