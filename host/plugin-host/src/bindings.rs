//! Host-side bindings of the `dgov:plugin` contract, generated from `wit/plugin`.
//!
//! The host binds the `plugin-host` world, which includes every capability and every export
//! kind; a concrete plugin exports one kind and imports a subset of the capabilities.
//! Older compatible plugins (`@0.1.0`) link against these `@0.1.2` bindings through
//! wasmtime's semver matching of interface names.

wasmtime::component::bindgen!({
    world: "plugin-host",
    path: "../../wit/plugin",
    imports: { default: async | trappable },
    exports: { default: async },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use dgov::plugin::types::*;
pub use exports::dgov::plugin::{analyzer, gate, tool};
