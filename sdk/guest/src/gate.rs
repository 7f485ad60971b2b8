//! Everything a settlement gate needs: `use dgov_sdk::gate::*;`.

pub use crate::__private::gate_world::exports::dgov::plugin::gate::Guest as Gate;
pub use crate::host;
pub use crate::types::{
    ChangeKind, ChangedFile, Claims, Finding, Fix, GateContext, GateReport, GateSpec, HostError,
    LineRange, Location, Phase, PluginError, Severity, TextEdit, Verdict,
};

/// One line the change under review added or modified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedLine {
    /// Path relative to the root.
    pub path: String,
    /// 1-based line number on the new side.
    pub number: u32,
    /// The line's text, without its line ending.
    pub text: String,
}

/// Every added or modified line of the change, read from the tree under review. Deleted
/// files and binary (non-UTF-8) files are skipped.
pub fn added_lines(ctx: &GateContext) -> Result<Vec<AddedLine>, PluginError> {
    let mut out = Vec::new();
    for file in &ctx.changed {
        if file.kind == ChangeKind::Deleted || file.added_lines.is_empty() {
            continue;
        }
        let Ok(text) = host::read_to_string(&file.path) else {
            continue;
        };
        for (idx, line) in text.lines().enumerate() {
            let number = idx as u32 + 1;
            if file
                .added_lines
                .iter()
                .any(|r| r.start <= number && number <= r.end)
            {
                out.push(AddedLine {
                    path: file.path.clone(),
                    number,
                    text: line.to_owned(),
                });
            }
        }
    }
    Ok(out)
}

/// This gate's configuration table, deserialized. A missing table is `{}`, so give your
/// config struct `#[serde(default)]` fields.
pub fn config<T: serde::de::DeserializeOwned>(ctx: &GateContext) -> Result<T, PluginError> {
    let raw = if ctx.config_json.trim().is_empty() {
        "{}"
    } else {
        ctx.config_json.as_str()
    };
    serde_json::from_str(raw)
        .map_err(|e| PluginError::InvalidInput(format!("gate configuration: {e}")))
}

/// Whether `path` is covered by the task's claims (exact file or directory prefix).
pub fn is_claimed(claims: &Claims, path: &str) -> bool {
    claims
        .create
        .iter()
        .chain(&claims.edit)
        .chain(&claims.delete)
        .chain(&claims.touch)
        .any(|c| dgov_scope_rules::claim_covers(c, path))
}
