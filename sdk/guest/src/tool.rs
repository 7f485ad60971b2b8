//! Everything a worker-tool plugin needs: `use dgov_sdk::tool::*;`.
//!
//! One tool plugin offers any number of tools: `list_tools` describes them (name, JSON
//! Schema of the arguments, whether they write) and `call` dispatches by name.

pub use crate::__private::tool_world::exports::dgov::plugin::tool::Guest as Tools;
pub use crate::host;
pub use crate::types::{HostError, PluginError, ToolSpec};

/// Parse a tool's JSON arguments into `T`, with an error the model can act on.
pub fn args<T: serde::de::DeserializeOwned>(tool: &str, args_json: &str) -> Result<T, PluginError> {
    serde_json::from_str(args_json)
        .map_err(|e| PluginError::InvalidInput(format!("{tool}: bad arguments: {e}")))
}
