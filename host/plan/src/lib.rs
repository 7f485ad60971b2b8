//! `dgov-plan`: everything dgov reads from a repository's `.dgov/` folder before a run.
//!
//! Plans are TOML trees (`.dgov/plans/<name>/_root.toml` plus one directory per section
//! holding `[tasks.<slug>]` tables). This crate parses them, resolves `depends_on`,
//! validates the DAG (cycles, unreachable tasks, file-claim conflicts between tasks that may
//! run in parallel, providers and agents, SOPs), bundles SOPs into prompts and writes a
//! deterministic `_compiled.toml`. It also loads `.dgov/project.toml`, scaffolds `dgov init`
//! and `dgov init-plan`, reads and appends the deploy log, and computes plan status.
//!
//! The library never prints: findings are [`Diagnostic`] values (file, line, unit, message,
//! hint), returned all at once; the CLI renders them.
//!
//! # Stable API (used by the runner and the CLI)
//!
//! - [`compile_plan_dir`] / [`compile_plan_dir_with`] → `(`[`CompiledPlan`]`, warnings)` or
//!   [`CompileError::Invalid`] with every diagnostic; [`write_compiled`] writes
//!   `_compiled.toml`; [`load_compiled`] reads one back (also files of the Python original).
//! - [`CompiledPlan`] (name, source dir, defaults, `tasks` sorted by id) and
//!   [`CompiledTask`] (id, summary, prompt with SOPs bundled, commit message, [`FileClaims`],
//!   `depends_on` as full ids, test_cmd, agent, provider, [`Role`], timeout_s, retries,
//!   iteration_budget, …). [`resolve_execution`] gives a task's provider and model.
//! - [`load_project_config`] → [`ProjectConfig`] (every key of the original; `[settlement]`
//!   and `[sentrux]` kept raw as `toml::Table`).
//! - [`DeployRecord`], [`append_deployed`], [`read_deployed`]: the deploy log format.
//!
//! # Example
//!
//! ```no_run
//! let (plan, warnings) = dgov_plan::compile_plan_dir(std::path::Path::new(".dgov/plans/demo"))?;
//! for w in &warnings { eprintln!("{w}"); }
//! for task in &plan.tasks {
//!     println!("{} after {:?}", task.id, task.depends_on);
//! }
//! dgov_plan::write_compiled(&plan)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! - [`tree`]: walking and parsing plan sources; [`resolve`]: `depends_on` resolution.
//! - [`graph`]: cycles, reachability, ancestry bitsets, `--graph` rendering.
//! - [`validate`]: conflicts, departments, execution resolution, prompt checks.
//! - [`sop`]: SOP parsing, hashing, selection, rendering.
//! - [`compile`]: the pipeline; [`compiled`]: `_compiled.toml` writer and reader.
//! - [`config`]: `project.toml`; [`init`]: `dgov init` / `init-plan` scaffolding.
//! - [`deploy`]: deploy log; [`status`]: plan status, list, archive.
//! - [`diag`]: diagnostics; [`tomlx`]: span-aware TOML helpers; [`model`]: public types.

pub mod compile;
pub mod compiled;
pub mod config;
pub mod deploy;
pub mod diag;
pub mod graph;
pub mod init;
pub mod model;
pub mod resolve;
pub mod sop;
pub mod status;
pub mod tomlx;
pub mod tree;
pub mod validate;

pub use compile::{
    CompileError, CompileOptions, compile_plan_dir, compile_plan_dir_with, compile_sources,
    find_project_root, load_compiled, validate_compiled, write_compiled,
};
pub use compiled::COMPILED_FILE;
pub use config::{ConfigError, ProjectConfig, load_project_config};
pub use deploy::{DEPLOY_LOG, DeployRecord, append_deployed, read_deployed};
pub use diag::{Diagnostic, Severity};
pub use model::{
    CompiledPlan, CompiledTask, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_S, FileClaims, Role,
};
pub use sop::{SopSet, load_sops};
pub use validate::{Execution, resolve_execution};
