//! The sandboxed plugin runtime of dgov.
//!
//! Worker tools, settlement gates and architecture analyzers are WebAssembly components
//! that implement the `dgov:plugin` WIT contract (`wit/plugin`). This crate loads them and
//! runs them sandboxed:
//!
//! - [`meta::inspect`] reads a component's kind, contract version and requested
//!   capabilities from its bytes, before compiling anything;
//! - [`Runtime`] owns the process-wide engine, the linker and the on-disk
//!   [`cache::CompileCache`];
//! - [`Plugin`] is a loaded plugin; each call runs in a fresh `Store` with only the granted
//!   root (read-only), no environment, no network, a memory cap and a deadline;
//!   [`ToolSession`] keeps one instance alive for the many tool calls of a worker attempt;
//! - [`policy`] defines capabilities and grants: granted = requested ∩ repository policy;
//! - [`registry`] discovers built-in and repository plugins and the repository's grants.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use dgov_plugin_host::{Invocation, Runtime, RuntimeConfig};
//! let runtime = Runtime::new(RuntimeConfig::default())?;
//! let plugin = runtime.load_file(std::path::Path::new(".dgov/plugins/my-gate.wasm"))?;
//! let spec = plugin.describe_gate(&Invocation::read_only(std::path::Path::new("."))).await?;
//! println!("{} — {}", spec.value.name, spec.value.description);
//! # Ok(()) }
//! ```

pub mod bindings;
pub mod cache;
mod exec;
mod host_state;
pub mod jail;
mod limiter;
pub mod meta;
pub mod policy;
pub mod registry;
mod runtime;

pub use exec::ExecRecord;
pub use host_state::{GUEST_ROOT, LogLine};
pub use meta::{PluginKind, PluginMeta};
pub use policy::{Capability, ExecPolicy, Grant, Limits};
pub use runtime::{
    Invocation, InvokeError, LoadError, Outcome, Plugin, PluginOrigin, Runtime, RuntimeConfig,
    ToolSession, shared_engine,
};
