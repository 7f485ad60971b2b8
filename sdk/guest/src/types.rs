//! The contract's data types (`dgov:plugin/types`), with constructors for the common cases.

pub use crate::__private::contract::dgov::plugin::types::*;

impl GateSpec {
    /// A gate named `name` meant for `phases`.
    pub fn new(name: &str, description: &str, phases: &[Phase]) -> GateSpec {
        GateSpec {
            name: name.to_owned(),
            description: description.to_owned(),
            phases: phases.to_vec(),
        }
    }
}

impl ToolSpec {
    /// A tool named `name` whose arguments are described by the JSON Schema `schema`.
    /// `writes` asks the host for write access to the root during calls of this tool.
    pub fn new(name: &str, description: &str, schema: serde_json::Value, writes: bool) -> ToolSpec {
        ToolSpec {
            name: name.to_owned(),
            description: description.to_owned(),
            parameters_json_schema: schema.to_string(),
            writes,
        }
    }
}

impl AnalyzerSpec {
    /// An analyzer named `name` that understands `languages`.
    pub fn new(name: &str, description: &str, languages: &[&str]) -> AnalyzerSpec {
        AnalyzerSpec {
            name: name.to_owned(),
            description: description.to_owned(),
            languages: languages.iter().map(|l| (*l).to_owned()).collect(),
        }
    }
}

impl From<HostError> for PluginError {
    fn from(e: HostError) -> PluginError {
        match e.kind {
            HostErrorKind::Denied => PluginError::Denied(e.message),
            HostErrorKind::InvalidInput => PluginError::InvalidInput(e.message),
            _ => PluginError::Failed(e.message),
        }
    }
}
