//! Everything an analyzer plugin needs: `use dgov_sdk::analyzer::*;`.

pub use crate::__private::analyzer_world::exports::dgov::plugin::analyzer::Guest as Analyzer;
pub use crate::host;
pub use crate::types::{Analysis, AnalyzerSpec, Finding, HostError, PluginError};
