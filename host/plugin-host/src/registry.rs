//! Finding a repository's plugins and what it grants them.
//!
//! Sources, in order: the plugins embedded in the binary (built-in), every
//! `.dgov/plugins/*.wasm`, and the files listed under `[plugins] paths` in
//! `.dgov/project.toml`. Grants come from `[plugins.grants.<name>]`:
//!
//! ```toml
//! [plugins]
//! paths = ["tools/gates/no-secrets.wasm"]   # relative to the repository root
//!
//! [plugins.grants.no-secrets]
//! capabilities = ["fs-read", "exec"]          # default: log, fs-read, baseline-store
//! exec = ["git"]                             # programs the exec capability may run
//! env = ["RUST_LOG"]                         # variables the plugin may set on them
//! env_passthrough = ["CARGO_HOME"]           # host variables copied to them
//! exec_timeout_s = 120                       # default timeout of one command
//! timeout_s = 60                             # wall-clock deadline of one plugin call
//! memory_mb = 256                            # linear-memory cap
//! fuel = 1000000000                          # optional instruction budget
//! ```
//!
//! Built-in plugins are granted what they request, except exec, whose allow-list always
//! comes from the repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::meta::PluginMeta;
use crate::policy::{Capability, ExecPolicy, Grant, Limits};
use crate::runtime::PluginOrigin;

/// `[plugins]` of `.dgov/project.toml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// Extra plugin files, relative to the repository root.
    pub paths: Vec<PathBuf>,
    /// Grants per plugin name.
    pub grants: BTreeMap<String, GrantConfig>,
}

/// `[plugins.grants.<name>]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct GrantConfig {
    pub capabilities: Option<Vec<String>>,
    pub exec: Vec<String>,
    pub env: Vec<String>,
    pub env_passthrough: Vec<String>,
    pub exec_timeout_s: Option<u64>,
    pub timeout_s: Option<u64>,
    pub memory_mb: Option<usize>,
    pub fuel: Option<u64>,
}

/// A problem with the plugin configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Deserialize)]
struct ProjectFile {
    #[serde(default)]
    plugins: Option<PluginsConfig>,
}

/// Read `[plugins]` from `<repo>/.dgov/project.toml`; a missing file or table is the
/// default configuration. Errors name the file, the line and the key.
pub fn load_config(repo: &Path) -> Result<PluginsConfig, ConfigError> {
    let path = repo.join(".dgov").join("project.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PluginsConfig::default()),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    parse_config(&text).map_err(|message| ConfigError::Invalid { path, message })
}

/// Parse the `[plugins]` table out of a whole `project.toml` text.
pub fn parse_config(text: &str) -> Result<PluginsConfig, String> {
    // Other tables belong to other parts of dgov and are ignored here; toml's errors carry
    // the line, the column and the offending key.
    let doc: ProjectFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let Some(config) = doc.plugins else {
        return Ok(PluginsConfig::default());
    };
    for (name, grant) in &config.grants {
        for cap in grant.capabilities.iter().flatten() {
            if Capability::from_name(cap).is_none() {
                let known: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
                return Err(format!(
                    "in [plugins.grants.{name}] capabilities: unknown capability `{cap}` (known: {})",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(config)
}

/// Where a discovered plugin's bytes are.
#[derive(Debug, Clone)]
pub enum Source {
    BuiltIn {
        name: &'static str,
        bytes: &'static [u8],
    },
    File(PathBuf),
}

impl Source {
    pub fn origin(&self) -> PluginOrigin {
        match self {
            Source::BuiltIn { .. } => PluginOrigin::BuiltIn,
            Source::File(p) => PluginOrigin::File(p.clone()),
        }
    }
}

/// Every plugin source for `repo`: built-ins first, then `.dgov/plugins/*.wasm` (sorted),
/// then configured paths.
pub fn discover(
    repo: &Path,
    builtins: &[(&'static str, &'static [u8])],
    config: &PluginsConfig,
) -> Vec<Source> {
    let mut out: Vec<Source> = builtins
        .iter()
        .map(|(name, bytes)| Source::BuiltIn { name, bytes })
        .collect();
    let dir = repo.join(".dgov").join("plugins");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    out.extend(files.into_iter().map(Source::File));
    for path in &config.paths {
        let full = if path.is_absolute() {
            path.clone()
        } else {
            repo.join(path)
        };
        out.push(Source::File(full));
    }
    out
}

/// What the repository grants `meta` (before intersecting with what it requests), and the
/// call limits it sets for it.
pub fn grant_for(
    meta: &PluginMeta,
    origin: &PluginOrigin,
    config: &PluginsConfig,
    defaults: Limits,
) -> (Grant, Limits) {
    let entry = config.grants.get(&meta.name);
    let capabilities: BTreeSet<Capability> = match entry.and_then(|g| g.capabilities.as_ref()) {
        Some(list) => list
            .iter()
            .filter_map(|c| Capability::from_name(c))
            .collect(),
        None => match origin {
            PluginOrigin::BuiltIn => meta.capabilities.clone(),
            PluginOrigin::File(_) => Grant::read_only().capabilities,
        },
    };
    let mut exec = ExecPolicy::default();
    let mut limits = defaults;
    if let Some(g) = entry {
        exec.allow = g.exec.iter().cloned().collect();
        exec.env_allow = g.env.iter().cloned().collect();
        exec.env_passthrough = g.env_passthrough.iter().cloned().collect();
        if let Some(s) = g.exec_timeout_s {
            exec.default_timeout = Duration::from_secs(s);
            exec.max_timeout = exec.max_timeout.max(exec.default_timeout);
        }
        if let Some(s) = g.timeout_s {
            limits.deadline = Duration::from_secs(s);
        }
        if let Some(mb) = g.memory_mb {
            limits.memory_bytes = mb.saturating_mul(1024 * 1024);
        }
        if g.fuel.is_some() {
            limits.fuel = g.fuel;
        }
    }
    (Grant { capabilities, exec }, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plugins_and_grants() {
        let cfg = parse_config(
            r#"
[project]
language = "rust"

[plugins]
paths = ["gates/a.wasm"]

[plugins.grants.a]
capabilities = ["fs-read", "exec"]
exec = ["cargo"]
timeout_s = 5
"#,
        )
        .unwrap();
        assert_eq!(cfg.paths, vec![PathBuf::from("gates/a.wasm")]);
        let g = &cfg.grants["a"];
        assert_eq!(g.exec, vec!["cargo".to_owned()]);
        assert_eq!(g.timeout_s, Some(5));
    }

    #[test]
    fn errors_name_the_key() {
        let err = parse_config("[plugins]\npaths = 3\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("paths = 3"), "{err}");
        let err = parse_config("[plugins.grants.a]\ncapabilities = [\"root\"]\n").unwrap_err();
        assert!(err.contains("unknown capability `root`"), "{err}");
        let err = parse_config("[plugins]\npath = []\n").unwrap_err();
        assert!(err.contains("path"), "{err}");
        let err = parse_config("[plugins\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn repository_plugins_default_to_read_only_and_builtins_to_what_they_request() {
        let meta = PluginMeta {
            name: "x".into(),
            version: "1".into(),
            kind: crate::PluginKind::Gate,
            wit_version: crate::meta::WIT_VERSION,
            capabilities: [Capability::Log, Capability::Exec, Capability::FsRead].into(),
            imports: vec![],
        };
        let cfg = PluginsConfig::default();
        let (g, _) = grant_for(
            &meta,
            &PluginOrigin::File("x.wasm".into()),
            &cfg,
            Limits::default(),
        );
        assert!(!g.allows(Capability::Exec));
        let (g, _) = grant_for(&meta, &PluginOrigin::BuiltIn, &cfg, Limits::default());
        assert!(g.allows(Capability::Exec));
        assert!(
            g.exec.allow.is_empty(),
            "exec allow-list comes from the repository only"
        );
    }
}
