//! Running the `sentrux-analyzer` plugin: load once, invoke per scan with a read-only grant.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dgov_plugin_host::bindings::PluginError;
use dgov_plugin_host::{
    Capability, ExecPolicy, Grant, Invocation, Limits, Plugin, PluginOrigin, Runtime,
};
use dgov_sentrux::Report;
use serde::{Deserialize, Serialize};

use crate::tree;

/// The embedded plugin's package name.
pub const PLUGIN_NAME: &str = "sentrux-analyzer";

/// Wall-clock limit of one scan: a 100k-line tree takes about a second.
pub const SCAN_DEADLINE: Duration = Duration::from_secs(120);

/// From this many files on, a scan gathers facts over several plugin instances at once.
pub const FAN_OUT_MIN_FILES: usize = 64;

/// Memory cap of one scan (facts of a large tree plus the report).
pub const SCAN_MEMORY: usize = 1024 * 1024 * 1024;

/// What can go wrong running the analysis.
#[derive(Debug, thiserror::Error)]
pub enum ArchitectureError {
    #[error("{repo}: git: {message}")]
    Git { repo: PathBuf, message: String },
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("the `{PLUGIN_NAME}` plugin is not embedded in this build of dgov")]
    NotEmbedded,
    #[error("loading the `{PLUGIN_NAME}` plugin: {0}")]
    Load(String),
    #[error("running the `{PLUGIN_NAME}` plugin: {0}")]
    Invoke(String),
    /// The rules file or configuration is wrong (the user fixes it).
    #[error("{0}")]
    InvalidInput(String),
    #[error("the `{PLUGIN_NAME}` plugin failed: {0}")]
    Plugin(String),
    #[error("{path}: {message}")]
    Baseline { path: PathBuf, message: String },
}

/// Which rules the scan evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RulesMode {
    /// `.sentrux/rules.toml` of the scanned tree, when present.
    #[default]
    FromTree,
    /// No rules (plain metrics).
    None,
    /// This rules text.
    Text(String),
}

/// Where the plugin says the evaluated rules came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RulesSource {
    None,
    Config,
    File,
}

/// The plugin's `report_json` document (mirrors `sentrux_analyzer::AnalyzerOutput`).
#[derive(Debug, Clone, Deserialize)]
struct AnalyzerOutput {
    report: Report,
    rules_source: RulesSource,
    skipped: Vec<(String, String)>,
}

/// One finished scan.
#[derive(Debug, Clone)]
pub struct Scan {
    pub report: Report,
    pub rules_source: RulesSource,
    /// Files the host could not parse, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Files given to the plugin.
    pub files: usize,
    /// Time inside the plugin call (host parsing included).
    pub duration: Duration,
}

/// The loaded analyzer. Cheap to clone; one per process is enough.
#[derive(Clone)]
pub struct Architecture {
    plugin: Plugin,
    limits: Limits,
}

/// The grant of a scan: read the tree and ask for its facts, nothing else.
pub fn scan_grant() -> Grant {
    Grant {
        capabilities: [Capability::Log, Capability::FsRead, Capability::Syntax].into(),
        exec: ExecPolicy::default(),
    }
}

impl Architecture {
    /// Load the embedded plugin into `runtime`.
    pub fn new(runtime: &Runtime) -> Result<Architecture, ArchitectureError> {
        let builtin =
            dgov_builtin_plugins::get(PLUGIN_NAME).ok_or(ArchitectureError::NotEmbedded)?;
        let plugin = runtime
            .load_bytes(builtin.bytes, PLUGIN_NAME, PluginOrigin::BuiltIn)
            .map_err(|e| ArchitectureError::Load(e.to_string()))?;
        Ok(Architecture::with_plugin(plugin))
    }

    /// Use an already loaded plugin (tests, repository overrides).
    pub fn with_plugin(plugin: Plugin) -> Architecture {
        Architecture {
            plugin,
            limits: Limits {
                memory_bytes: SCAN_MEMORY,
                deadline: SCAN_DEADLINE,
                fuel: None,
            },
        }
    }

    /// The plugin (for `status`).
    pub fn plugin(&self) -> &Plugin {
        &self.plugin
    }

    /// Override the limits of a scan.
    pub fn with_limits(mut self, limits: Limits) -> Architecture {
        self.limits = limits;
        self
    }

    fn invocation(&self, root: &Path) -> Invocation {
        Invocation {
            root: Some(root.to_path_buf()),
            grant: scan_grant(),
            baseline_dir: None,
            limits: Some(self.limits),
        }
    }

    /// Scan `files` (relative to `root`) with the plugin rooted at `root`.
    ///
    /// The guest asks for facts one file at a time, and the host parses each request on the
    /// calling thread. On a large tree, sized to the machine, the files are therefore first
    /// split over several plugin instances that only gather facts (in parallel, on the tokio
    /// runtime's workers), and one more instance scans everything they gathered.
    pub async fn scan_files(
        &self,
        root: &Path,
        files: &[String],
        rules: &RulesMode,
    ) -> Result<Scan, ArchitectureError> {
        let started = Instant::now();
        let rules_part = match rules {
            RulesMode::FromTree => String::new(),
            RulesMode::None => ",\"no_rules\":true".to_string(),
            RulesMode::Text(text) => {
                format!(",\"rules_toml\":{}", serde_json::Value::from(text.as_str()))
            }
        };
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        let fan_out = workers > 1 && files.len() >= FAN_OUT_MIN_FILES;
        let (scan_files, facts_json, mut skipped) = if fan_out {
            let (facts, skipped) = self.gather_parallel(root, files, workers).await?;
            (Vec::new(), facts, skipped)
        } else {
            (files.to_vec(), "[]".to_string(), Vec::new())
        };
        let config = format!("{{\"facts\":{facts_json}{rules_part}}}");
        let analysis = self.call(root, &scan_files, &config).await?;
        let out: AnalyzerOutput = serde_json::from_str(&analysis.report_json)
            .map_err(|e| ArchitectureError::Plugin(format!("malformed report: {e}")))?;
        skipped.extend(out.skipped);
        skipped.sort();
        Ok(Scan {
            report: out.report,
            rules_source: out.rules_source,
            skipped,
            files: files.len(),
            duration: started.elapsed(),
        })
    }

    async fn call(
        &self,
        root: &Path,
        files: &[String],
        config: &str,
    ) -> Result<dgov_plugin_host::bindings::Analysis, ArchitectureError> {
        let outcome = self
            .plugin
            .analyze(&self.invocation(root), files, config)
            .await
            .map_err(|e| ArchitectureError::Invoke(e.to_string()))?;
        outcome.value.map_err(|e| match e {
            PluginError::InvalidInput(m) => ArchitectureError::InvalidInput(m),
            PluginError::Denied(m) | PluginError::Failed(m) => ArchitectureError::Plugin(m),
        })
    }

    /// Facts of `files` gathered by `parts` plugin instances at once: the JSON array of
    /// `[path, facts]` (spliced, not re-parsed) and the skipped files.
    async fn gather_parallel(
        &self,
        root: &Path,
        files: &[String],
        parts: usize,
    ) -> Result<(String, Vec<(String, String)>), ArchitectureError> {
        // Strided, not contiguous: sorted paths group languages, whose parse costs differ.
        let handles: Vec<_> = (0..parts.min(files.len()))
            .map(|k| {
                let part: Vec<String> = files.iter().skip(k).step_by(parts).cloned().collect();
                let (me, root) = (self.clone(), root.to_path_buf());
                tokio::spawn(async move { me.call(&root, &part, "{\"mode\":\"facts\"}").await })
            })
            .collect();
        let mut arrays = Vec::new();
        let mut skipped = Vec::new();
        for h in handles {
            let analysis = h
                .await
                .map_err(|e| ArchitectureError::Invoke(format!("facts worker: {e}")))??;
            for f in analysis.findings {
                if let Some(loc) = f.locations.first() {
                    skipped.push((loc.path.clone(), f.message));
                }
            }
            let body = analysis.report_json.trim();
            let inner = body
                .strip_prefix('[')
                .and_then(|b| b.strip_suffix(']'))
                .ok_or_else(|| ArchitectureError::Plugin("malformed facts: not an array".into()))?;
            if !inner.trim().is_empty() {
                arrays.push(inner.to_string());
            }
        }
        Ok((format!("[{}]", arrays.join(",")), skipped))
    }

    /// Scan the git-tracked source files of the working tree at `root`.
    pub async fn scan_tree(
        &self,
        root: &Path,
        rules: &RulesMode,
    ) -> Result<Scan, ArchitectureError> {
        let files = tree::tracked_files(root)?;
        self.scan_files(root, &files, rules).await
    }

    /// Scan the source files of commit `rev` of the repository at `repo` (its own
    /// `.sentrux/rules.toml` under [`RulesMode::FromTree`]).
    pub async fn scan_rev(
        &self,
        repo: &Path,
        rev: &str,
        rules: &RulesMode,
    ) -> Result<Scan, ArchitectureError> {
        let snap = tree::snapshot(repo, rev)?;
        self.scan_files(snap.root(), &snap.files, rules).await
    }
}

/// Run a future to completion on a small runtime of its own (for synchronous callers
/// outside any tokio runtime, such as the CLI).
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, ArchitectureError> {
    // Multi-threaded, so that a large scan's fact gathering runs on every core.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ArchitectureError::Invoke(format!("starting the async runtime: {e}")))?;
    Ok(rt.block_on(f))
}
