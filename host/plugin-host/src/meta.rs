//! Reading a plugin's metadata from its bytes, before any of its code is compiled or run.
//!
//! Three sources, all static:
//! - the component's **exports** say its kind (`dgov:plugin/tool`, `gate` or `analyzer`) and
//!   the contract version it was built against;
//! - its **imports** are the capabilities it requests (the compiled component only imports
//!   interfaces it actually uses);
//! - an optional `dgov-plugin` **custom section**, which the SDK's export macros embed, gives
//!   the plugin's name and version. Without it the file name stands in.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use wasmparser::{Parser, Payload};

use crate::policy::Capability;

/// The contract package every plugin is built against.
pub const WIT_PACKAGE: &str = "dgov:plugin";

/// The newest contract version this host implements.
pub const WIT_VERSION: Version = Version {
    major: 0,
    minor: 1,
    patch: 2,
};

/// The oldest contract version this host still loads.
pub const OLDEST_SUPPORTED_WIT_VERSION: Version = Version {
    major: 0,
    minor: 1,
    patch: 0,
};

/// Name of the custom section carrying `{"name": ..., "version": ...}` as JSON.
pub const MANIFEST_SECTION: &str = "dgov-plugin";

/// A semantic version of the WIT contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    /// Parse `MAJOR.MINOR.PATCH` (pre-release and build suffixes are not used by dgov).
    pub fn parse(text: &str) -> Option<Version> {
        let mut it = text.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        let patch = it.next()?.parse().ok()?;
        if it.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
        })
    }

    /// Whether a plugin built against `self` can be served by this host: the same
    /// compatibility line as the host's version (same major; same minor while at 0.x) and not
    /// newer than the host, nor older than the oldest supported version.
    pub fn is_supported(self) -> bool {
        let host = WIT_VERSION;
        let same_line = if host.major == 0 {
            self.major == 0 && self.minor == host.minor
        } else {
            self.major == host.major
        };
        same_line && self <= host && self >= OLDEST_SUPPORTED_WIT_VERSION
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The kind of plugin, from the interface it exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    Tool,
    Gate,
    Analyzer,
}

impl PluginKind {
    pub fn name(self) -> &'static str {
        match self {
            PluginKind::Tool => "tool",
            PluginKind::Gate => "gate",
            PluginKind::Analyzer => "analyzer",
        }
    }

    /// The WIT world a plugin of this kind targets.
    pub fn world(self) -> &'static str {
        match self {
            PluginKind::Tool => "tool-plugin",
            PluginKind::Gate => "gate-plugin",
            PluginKind::Analyzer => "analyzer-plugin",
        }
    }

    fn from_interface(name: &str) -> Option<PluginKind> {
        match name {
            "tool" => Some(PluginKind::Tool),
            "gate" => Some(PluginKind::Gate),
            "analyzer" => Some(PluginKind::Analyzer),
            _ => None,
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything dgov knows about a plugin without running it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginMeta {
    pub name: String,
    /// The plugin's own version, from its manifest section ("unknown" without one).
    pub version: String,
    pub kind: PluginKind,
    /// The `dgov:plugin` contract version it was built against.
    pub wit_version: Version,
    /// Capabilities it requests (the interfaces it imports).
    pub capabilities: BTreeSet<Capability>,
    /// Every import name, verbatim, for diagnostics.
    pub imports: Vec<String>,
}

/// Why bytes could not be accepted as a dgov plugin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetaError {
    #[error("not a WebAssembly file (bad magic number)")]
    NotWasm,
    #[error(
        "this is a core WebAssembly module, not a component; build it for the wasm32-wasip2 target (with wit-bindgen or the dgov SDK)"
    )]
    CoreModule,
    #[error("malformed component: {0}")]
    Malformed(String),
    #[error(
        "the component exports no dgov:plugin interface (tool, gate or analyzer); exports seen: {0}"
    )]
    NoPluginExport(String),
    #[error("the component exports more than one plugin kind ({0}); a plugin has exactly one")]
    SeveralKinds(String),
    #[error(
        "plugin was built against {WIT_PACKAGE}@{found}, but this dgov supports {WIT_PACKAGE}@{OLDEST_SUPPORTED_WIT_VERSION} to @{WIT_VERSION}; rebuild it against a supported contract version"
    )]
    UnsupportedVersion { found: Version },
    #[error("the component imports `{0}`, which this dgov does not provide")]
    UnknownImport(String),
}

/// Split `dgov:plugin/gate@0.1.0` into (`gate`, version).
fn split_dgov_name(name: &str) -> Option<(&str, Option<&str>)> {
    let rest = name.strip_prefix(WIT_PACKAGE)?.strip_prefix('/')?;
    Some(match rest.split_once('@') {
        Some((iface, ver)) => (iface, Some(ver)),
        None => (rest, None),
    })
}

/// Read a plugin's metadata from its component bytes. `fallback_name` is used when the
/// component carries no manifest section (typically the file stem).
pub fn inspect(bytes: &[u8], fallback_name: &str) -> Result<PluginMeta, MetaError> {
    if bytes.len() < 8 || &bytes[0..4] != b"\0asm" {
        return Err(MetaError::NotWasm);
    }
    if !wasmparser::Parser::is_component(bytes) {
        return Err(MetaError::CoreModule);
    }
    let mut depth = 0usize;
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut manifest: Option<Manifest> = None;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| MetaError::Malformed(e.to_string()))?;
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    let import = import.map_err(|e| MetaError::Malformed(e.to_string()))?;
                    imports.push(import.name.name.to_owned());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    let export = export.map_err(|e| MetaError::Malformed(e.to_string()))?;
                    exports.push(export.name.name.to_owned());
                }
            }
            Payload::CustomSection(reader) if reader.name() == MANIFEST_SECTION => {
                // Untrusted: a malformed manifest is ignored rather than fatal.
                manifest = serde_json::from_slice(reader.data()).ok();
            }
            _ => {}
        }
    }

    let mut kinds = Vec::new();
    for export in &exports {
        if let Some((iface, ver)) = split_dgov_name(export)
            && let Some(kind) = PluginKind::from_interface(iface)
        {
            kinds.push((kind, ver.and_then(Version::parse)));
        }
    }
    let (kind, version) = match kinds.as_slice() {
        [] => return Err(MetaError::NoPluginExport(exports.join(", "))),
        [one] => *one,
        many => {
            let names: Vec<&str> = many.iter().map(|(k, _)| k.name()).collect();
            return Err(MetaError::SeveralKinds(names.join(", ")));
        }
    };
    let wit_version = version.unwrap_or(Version {
        major: 0,
        minor: 0,
        patch: 0,
    });
    if !wit_version.is_supported() {
        return Err(MetaError::UnsupportedVersion { found: wit_version });
    }

    let mut capabilities = BTreeSet::from([Capability::Log]);
    for import in &imports {
        if let Some((iface, ver)) = split_dgov_name(import) {
            let cap = match iface {
                "log" | "types" => Capability::Log,
                "fs-read" => Capability::FsRead,
                "fs-write" => Capability::FsWrite,
                "exec" => Capability::Exec,
                "baseline-store" => Capability::BaselineStore,
                "syntax" => Capability::Syntax,
                _ => return Err(MetaError::UnknownImport(import.clone())),
            };
            if let Some(v) = ver.and_then(Version::parse)
                && !v.is_supported()
            {
                return Err(MetaError::UnsupportedVersion { found: v });
            }
            capabilities.insert(cap);
        } else if import.starts_with("wasi:sockets/") {
            capabilities.insert(Capability::Network);
        } else if import.starts_with("wasi:filesystem/") {
            // Plain WASI file access: which root it sees is decided by the fs grants.
            capabilities.insert(Capability::FsRead);
        }
    }

    let (name, version) = match manifest {
        Some(m) if is_plain_name(&m.name) => {
            (m.name, m.version.unwrap_or_else(|| "unknown".into()))
        }
        _ => (fallback_name.to_owned(), "unknown".to_owned()),
    };
    Ok(PluginMeta {
        name,
        version,
        kind,
        wit_version,
        capabilities,
        imports,
    })
}

/// The manifest the SDK embeds.
#[derive(Debug, Deserialize)]
struct Manifest {
    name: String,
    version: Option<String>,
}

/// Plugin names are used in config keys and file names: keep them boring.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_support_follows_the_zero_x_rule() {
        assert!(Version::parse("0.1.0").unwrap().is_supported());
        assert!(Version::parse("0.1.1").unwrap().is_supported());
        assert!(Version::parse("0.1.2").unwrap().is_supported());
        assert!(
            !Version::parse("0.1.3").unwrap().is_supported(),
            "newer than the host"
        );
        assert!(!Version::parse("0.2.0").unwrap().is_supported());
        assert!(!Version::parse("0.0.9").unwrap().is_supported());
        assert!(!Version::parse("1.1.0").unwrap().is_supported());
        assert_eq!(Version::parse("1.2"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
    }

    #[test]
    fn rejects_non_wasm_and_core_modules() {
        assert_eq!(inspect(b"hello world!", "x"), Err(MetaError::NotWasm));
        let core = [0, b'a', b's', b'm', 1, 0, 0, 0];
        assert_eq!(inspect(&core, "x"), Err(MetaError::CoreModule));
    }

    #[test]
    fn truncated_components_are_malformed_not_panics() {
        let header = [0, b'a', b's', b'm', 0x0d, 0, 1, 0, 0x07, 0xff];
        assert!(matches!(
            inspect(&header, "x"),
            Err(MetaError::Malformed(_))
        ));
    }

    #[test]
    fn unsupported_version_message_names_both_versions() {
        let msg = MetaError::UnsupportedVersion {
            found: Version::parse("0.9.0").unwrap(),
        }
        .to_string();
        assert!(msg.contains("dgov:plugin@0.9.0"), "{msg}");
        assert!(msg.contains("@0.1.2"), "{msg}");
    }
}
