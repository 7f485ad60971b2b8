//! `dgov-architecture`: dgov's sentrux integration on the host side.
//!
//! The metrics run inside the `sentrux-analyzer` WASM plugin (embedded in the binary); this
//! crate decides *what* it sees and owns everything it must not touch:
//!
//! - [`tree`]: the git-tracked files of a working tree, or a commit materialised into a
//!   temporary directory (for comparisons between two commits).
//! - [`analyzer`]: one [`Architecture`] per process loads the plugin and runs it with a
//!   read-only grant (log, fs-read, syntax) rooted at the repository, under a deadline.
//! - [`baseline`]: `.sentrux/baseline.json`, read and written by the host only.
//! - [`metadata`]: `.sentrux/dgov-baseline.json`, the commit the baseline was accepted at.
//! - [`staleness`]: how far the baseline lags behind HEAD (commits, time) and when that is
//!   stale.
//! - [`policy`]: `[sentrux]` of `.dgov/project.toml` and the uncommitted paths a refresh
//!   may leave alone.
//! - [`refresh`]: accepting the baseline at HEAD (after a complete run, and `gate-save`'s
//!   metadata), committed as `Refresh sentrux baseline`.
//! - [`commands`]: `dgov sentrux check | gate-save | gate | offenders | status` as
//!   [`commands::CommandOutput`] (stdout, stderr, JSON, exit code), so the CLI only prints.
//! - [`run_hooks`]: what `dgov run` does: bootstrap a missing baseline before dispatch,
//!   judge one task's attributable degradation, compare after the run.

pub mod analyzer;
pub mod baseline;
pub mod commands;
pub mod metadata;
pub mod policy;
pub mod refresh;
pub mod run_hooks;
pub mod staleness;
pub mod tree;

pub use analyzer::{Architecture, ArchitectureError, RulesMode, Scan};
pub use baseline::{BASELINE_PATH, RULES_PATH};
pub use metadata::METADATA_PATH;
pub use policy::{Mode, Policy, StaleLimits};
