//! # dgov-sdk: write dgov plugins in Rust
//!
//! A dgov plugin is a WebAssembly component that implements one of the worlds of the
//! `dgov:plugin` WIT contract: a settlement **gate**, a worker **tool** or an architecture
//! **analyzer**. This crate gives you the contract's types, thin wrappers over the host
//! capabilities, helpers for findings and diffs, and one export macro per kind.
//!
//! A complete gate:
//!
//! ```ignore
//! use dgov_sdk::gate::*;
//!
//! struct NoTodo;
//!
//! impl Gate for NoTodo {
//!     fn describe() -> GateSpec {
//!         GateSpec::new("no-todo", "rejects added lines containing TODO", &[Phase::Isolated])
//!     }
//!
//!     fn check(ctx: GateContext) -> Result<GateReport, PluginError> {
//!         let mut findings = Vec::new();
//!         for line in added_lines(&ctx)? {
//!             if line.text.contains("TODO") {
//!                 findings.push(Finding::error("todo-added", "new TODO").at(&line.path, line.number));
//!             }
//!         }
//!         Ok(GateReport::from_findings(findings))
//!     }
//! }
//!
//! dgov_sdk::export_gate!(NoTodo);
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release`; the `.wasm` in
//! `target/wasm32-wasip2/release/` is the plugin. See `sdk/README.md` for the full guide.
//!
//! Capabilities are requested by use: a plugin that never calls [`host::exec`] does not
//! import the exec interface, and `dgov plugin check` shows exactly what it asks for.
#![deny(missing_docs)]

extern crate self as dgov_sdk;

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;

    /// Copy a string into a fixed-size array at compile time (for the manifest section).
    pub const fn str_to_array<const N: usize>(s: &str) -> [u8; N] {
        let bytes = s.as_bytes();
        let mut out = [0u8; N];
        let mut i = 0;
        while i < N {
            out[i] = bytes[i];
            i += 1;
        }
        out
    }

    /// Imports and shared types of the whole contract, generated once (by the gate and
    /// tool worlds) and shared by every world module. Only the imports a plugin actually
    /// uses end up in its component.
    #[allow(missing_docs)]
    pub mod contract {
        #[allow(missing_docs)]
        pub mod dgov {
            #[allow(missing_docs)]
            pub mod plugin {
                pub use crate::__private::gate_world::dgov::plugin::{
                    baseline_store, exec, fs_read, log, syntax, types,
                };
                pub use crate::__private::tool_world::dgov::plugin::fs_write;
            }
        }
    }

    /// The gate world's export glue.
    #[allow(missing_docs, clippy::all)]
    pub mod gate_world {
        wit_bindgen::generate!({
            world: "gate-plugin",
            path: "../../wit/plugin",
            runtime_path: "::dgov_sdk::__private::wit_bindgen::rt",
            pub_export_macro: true,
            export_macro_name: "__export_gate_world",
            default_bindings_module: "::dgov_sdk::__private::gate_world",
        });
    }

    /// The tool world's export glue.
    #[allow(missing_docs, clippy::all)]
    pub mod tool_world {
        wit_bindgen::generate!({
            world: "tool-plugin",
            path: "../../wit/plugin",
            runtime_path: "::dgov_sdk::__private::wit_bindgen::rt",
            pub_export_macro: true,
            export_macro_name: "__export_tool_world",
            default_bindings_module: "::dgov_sdk::__private::tool_world",
            with: {
                "dgov:plugin/types@0.1.2": crate::__private::contract::dgov::plugin::types,
                "dgov:plugin/log@0.1.2": crate::__private::contract::dgov::plugin::log,
                "dgov:plugin/fs-read@0.1.2": crate::__private::contract::dgov::plugin::fs_read,
                "dgov:plugin/exec@0.1.2": crate::__private::contract::dgov::plugin::exec,
            },
        });
    }

    /// The analyzer world's export glue.
    #[allow(missing_docs, clippy::all)]
    pub mod analyzer_world {
        wit_bindgen::generate!({
            world: "analyzer-plugin",
            path: "../../wit/plugin",
            runtime_path: "::dgov_sdk::__private::wit_bindgen::rt",
            pub_export_macro: true,
            export_macro_name: "__export_analyzer_world",
            default_bindings_module: "::dgov_sdk::__private::analyzer_world",
            with: {
                "dgov:plugin/types@0.1.2": crate::__private::contract::dgov::plugin::types,
                "dgov:plugin/log@0.1.2": crate::__private::contract::dgov::plugin::log,
                "dgov:plugin/fs-read@0.1.2": crate::__private::contract::dgov::plugin::fs_read,
                "dgov:plugin/baseline-store@0.1.2": crate::__private::contract::dgov::plugin::baseline_store,
                "dgov:plugin/syntax@0.1.2": crate::__private::contract::dgov::plugin::syntax,
            },
        });
    }
}

pub mod findings;

/// dgov's scope rules (what a claim covers, what an ignore rule ignores, governor-owned
/// paths, the scope status record), the same ones the scope gate and the host apply.
pub use dgov_scope_rules as scope;
/// The source-facts model returned by [`host::facts`] (from `dgov-syntax`).
pub use dgov_syntax as syntax;
pub mod host;
pub mod types;

pub mod analyzer;
pub mod gate;
pub mod tool;

/// Embed the plugin's name and version (from its `Cargo.toml`) in a `dgov-plugin` custom
/// section, so `dgov plugin list` and `dgov plugin check` can show them without running it.
/// The `export_*!` macros call this for you.
#[macro_export]
#[doc(hidden)]
macro_rules! __manifest {
    () => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            const MANIFEST: &str = concat!(
                "{\"name\":\"",
                env!("CARGO_PKG_NAME"),
                "\",\"version\":\"",
                env!("CARGO_PKG_VERSION"),
                "\"}"
            );
            #[unsafe(link_section = "dgov-plugin")]
            #[used]
            static DGOV_PLUGIN_MANIFEST: [u8; MANIFEST.len()] =
                $crate::__private::str_to_array::<{ MANIFEST.len() }>(MANIFEST);
        };
    };
}

/// Export `$ty`, which implements [`gate::Gate`], as this component's settlement gate.
#[macro_export]
macro_rules! export_gate {
    ($ty:ident) => {
        $crate::__manifest!();
        #[cfg(target_arch = "wasm32")]
        $crate::__private::gate_world::__export_gate_world!($ty with_types_in $crate::__private::gate_world);
        // Natively (unit tests, `cargo check`) nothing is exported; keep the implementation
        // reachable so it is type-checked and not reported as dead code.
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            let _ = <$ty as $crate::gate::Gate>::check;
            let _ = <$ty as $crate::gate::Gate>::describe;
        };
    };
}

/// Export `$ty`, which implements [`tool::Tools`], as this component's worker tools.
#[macro_export]
macro_rules! export_tools {
    ($ty:ident) => {
        $crate::__manifest!();
        #[cfg(target_arch = "wasm32")]
        $crate::__private::tool_world::__export_tool_world!($ty with_types_in $crate::__private::tool_world);
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            let _ = <$ty as $crate::tool::Tools>::call;
            let _ = <$ty as $crate::tool::Tools>::list_tools;
        };
    };
}

/// Export `$ty`, which implements [`analyzer::Analyzer`], as this component's analyzer.
#[macro_export]
macro_rules! export_analyzer {
    ($ty:ident) => {
        $crate::__manifest!();
        #[cfg(target_arch = "wasm32")]
        $crate::__private::analyzer_world::__export_analyzer_world!($ty with_types_in $crate::__private::analyzer_world);
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            let _ = <$ty as $crate::analyzer::Analyzer>::analyze;
            let _ = <$ty as $crate::analyzer::Analyzer>::describe;
        };
    };
}
