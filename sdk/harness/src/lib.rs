//! # dgov-plugin-test: test a built plugin in an ordinary `cargo test`
//!
//! A plugin's logic can be unit-tested natively, but what dgov runs is the component. This
//! harness builds your plugin crate for `wasm32-wasip2`, loads it into the real dgov plugin
//! runtime (same sandbox, same limits) and runs it against fixture directories:
//!
//! ```no_run
//! use dgov_plugin_test::{GateCase, Harness};
//!
//! #[test]
//! fn rejects_an_added_secret() {
//!     let harness = Harness::new();
//!     let gate = harness.load_crate(env!("CARGO_MANIFEST_DIR"));
//!     let report = GateCase::from_dirs("tests/fixtures/before", "tests/fixtures/after")
//!         .config(serde_json::json!({ "patterns": ["AKIA[0-9A-Z]{16}"] }))
//!         .run(&gate);
//!     assert_eq!(report.verdict, dgov_plugin_test::Verdict::Fail);
//! }
//! ```
//!
//! The first build of a plugin takes a few seconds; later runs reuse cargo's incremental
//! build and dgov's compile cache.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use dgov_plugin_host::bindings::{
    ChangeKind, ChangedFile, Claims, Finding, GateContext, GateReport, LineRange, Phase,
    PluginError, Revs, Severity, Verdict,
};
pub use dgov_plugin_host::{
    Capability, ExecPolicy, Grant, Invocation, InvokeError, Limits, Plugin,
};
use dgov_plugin_host::{Runtime, RuntimeConfig};

/// Build the plugin crate at `manifest_dir` for wasm32-wasip2 (release profile, or the
/// `plugin` profile inside the dgov workspace) and return the component's path.
///
/// Panics with cargo's output if the build fails: this is a test helper.
pub fn build_plugin(manifest_dir: impl AsRef<Path>) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let manifest = manifest_dir.as_ref().join("Cargo.toml");
    let profile = if workspace_has_plugin_profile(manifest_dir.as_ref()) {
        "plugin"
    } else {
        "release"
    };
    let build = dgov_wasm_build::WasmBuild {
        manifest_path: manifest.clone(),
        packages: Vec::new(),
        profile: profile.to_owned(),
        target_dir: None,
        jobs: None,
    };
    match build.run() {
        Ok(mut paths) => paths.remove(0),
        Err(e) => panic!("building {} for wasm32-wasip2: {e}", manifest.display()),
    }
}

/// Whether a `[profile.plugin]` is defined in the crate's manifest or a parent workspace.
fn workspace_has_plugin_profile(dir: &Path) -> bool {
    dir.ancestors().any(|d| {
        std::fs::read_to_string(d.join("Cargo.toml")).is_ok_and(|t| t.contains("[profile.plugin]"))
    })
}

/// A plugin runtime for tests, with a compile cache in the system temp directory.
pub struct Harness {
    runtime: Runtime,
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    pub fn new() -> Harness {
        let cache = std::env::temp_dir().join("dgov-plugin-test-cache");
        let runtime = Runtime::new(RuntimeConfig {
            cache_dir: Some(cache),
            limits: Limits::default(),
        })
        .expect("creating the plugin runtime");
        Harness { runtime }
    }

    /// Load a built component.
    pub fn load(&self, wasm: impl AsRef<Path>) -> Plugin {
        let wasm = wasm.as_ref();
        self.runtime
            .load_file(wasm)
            .unwrap_or_else(|e| panic!("loading {}: {e}", wasm.display()))
    }

    /// Build the crate at `manifest_dir` and load it.
    pub fn load_crate(&self, manifest_dir: impl AsRef<Path>) -> Plugin {
        self.load(build_plugin(manifest_dir))
    }
}

/// Call tool `name` of a tool plugin with `root` as the granted root (read-write for tools
/// that declare `writes`), returning the tool's answer.
pub fn call_tool(
    plugin: &Plugin,
    root: &Path,
    name: &str,
    args: serde_json::Value,
) -> Result<String, PluginError> {
    let grant = Grant {
        capabilities: [Capability::Log, Capability::FsRead, Capability::FsWrite]
            .into_iter()
            .collect(),
        exec: ExecPolicy::default(),
    };
    let inv = Invocation {
        root: Some(root.to_path_buf()),
        grant,
        baseline_dir: None,
        limits: None,
    };
    let tools = block_on(plugin.list_tools(&inv))
        .unwrap_or_else(|e| panic!("list_tools: {e}"))
        .value;
    let writes = tools.iter().any(|t| t.name == name && t.writes);
    block_on(plugin.call_tool(&inv, name, &args.to_string(), writes))
        .unwrap_or_else(|e| panic!("calling {name}: {e}"))
        .value
}

/// Run an analyzer over `files` (relative to `root`) with `config`.
pub fn analyze(
    plugin: &Plugin,
    root: &Path,
    files: &[&str],
    config: serde_json::Value,
) -> Result<dgov_plugin_host::bindings::Analysis, PluginError> {
    let inv = Invocation::read_only(root);
    let files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
    block_on(plugin.analyze(&inv, &files, &config.to_string()))
        .unwrap_or_else(|e| panic!("analyze: {e}"))
        .value
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

/// One gate invocation against a fixture tree.
pub struct GateCase {
    root: tempfile::TempDir,
    ctx: GateContext,
    grant: Grant,
    limits: Option<Limits>,
}

impl GateCase {
    /// An empty tree with no changes.
    pub fn new() -> GateCase {
        GateCase {
            root: tempfile::tempdir().expect("temp dir"),
            ctx: GateContext {
                task: "fixture/test.case".to_owned(),
                phase: Phase::Isolated,
                revs: Revs {
                    base: "0".repeat(40),
                    head: "1".repeat(40),
                    target: None,
                },
                changed: Vec::new(),
                claims: Claims {
                    create: vec![],
                    edit: vec![],
                    delete: vec![],
                    touch: vec![],
                    read: vec![],
                    enforced: false,
                },
                config_json: "{}".to_owned(),
            },
            grant: Grant::read_only(),
            limits: None,
        }
    }

    /// The tree `after` under review, with the change from `before` to `after` computed as
    /// a line diff (added files, modified files with their added lines, deleted files).
    pub fn from_dirs(before: impl AsRef<Path>, after: impl AsRef<Path>) -> GateCase {
        let mut case = GateCase::new();
        let before = before.as_ref();
        let after = after.as_ref();
        copy_tree(after, case.root.path());
        let old = files_under(before);
        let new = files_under(after);
        for rel in &new {
            let new_text = std::fs::read_to_string(after.join(rel)).unwrap_or_default();
            match std::fs::read_to_string(before.join(rel)) {
                Ok(old_text) if old.contains(rel) => {
                    let ranges = added_ranges(&old_text, &new_text);
                    if !ranges.is_empty() {
                        case.ctx
                            .changed
                            .push(changed(rel, ChangeKind::Modified, ranges));
                    }
                }
                _ => {
                    let n = new_text.lines().count() as u32;
                    let ranges = if n == 0 {
                        vec![]
                    } else {
                        vec![LineRange { start: 1, end: n }]
                    };
                    case.ctx
                        .changed
                        .push(changed(rel, ChangeKind::Added, ranges));
                }
            }
        }
        for rel in old.iter().filter(|r| !new.contains(r)) {
            case.ctx
                .changed
                .push(changed(rel, ChangeKind::Deleted, vec![]));
        }
        case.ctx.changed.sort_by(|a, b| a.path.cmp(&b.path));
        case
    }

    /// Add a new file to the tree; all its lines count as added.
    pub fn added_file(mut self, path: &str, content: &str) -> GateCase {
        let full = self.root.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, content).expect("write fixture file");
        let n = content.lines().count() as u32;
        let ranges = if n == 0 {
            vec![]
        } else {
            vec![LineRange { start: 1, end: n }]
        };
        self.ctx
            .changed
            .push(changed(path, ChangeKind::Added, ranges));
        self
    }

    /// Set the gate's configuration table.
    pub fn config(mut self, config: serde_json::Value) -> GateCase {
        self.ctx.config_json = config.to_string();
        self
    }

    /// Set the task's claims (enforced).
    pub fn claims(mut self, edit: &[&str]) -> GateCase {
        self.ctx.claims.edit = edit.iter().map(|s| (*s).to_owned()).collect();
        self.ctx.claims.enforced = true;
        self
    }

    /// Set the phase.
    pub fn phase(mut self, phase: Phase) -> GateCase {
        self.ctx.phase = phase;
        self
    }

    /// Grant capabilities beyond the default read-only set.
    pub fn grant(mut self, grant: Grant) -> GateCase {
        self.grant = grant;
        self
    }

    /// Set call limits.
    pub fn limits(mut self, limits: Limits) -> GateCase {
        self.limits = Some(limits);
        self
    }

    /// The context the gate will receive.
    pub fn context(&self) -> &GateContext {
        &self.ctx
    }

    /// The fixture root (the tree under review).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Run the gate; the plugin's `Err` and sandbox errors are returned as they are.
    pub fn try_run(&self, gate: &Plugin) -> Result<Result<GateReport, PluginError>, InvokeError> {
        let inv = Invocation {
            root: Some(self.root.path().to_path_buf()),
            grant: self.grant.clone(),
            baseline_dir: Some(self.root.path().join(".dgov-test-baselines")),
            limits: self.limits,
        };
        block_on(gate.check_gate(&inv, &self.ctx)).map(|o| o.value)
    }

    /// Run the gate and return its report, panicking on a plugin error or a trap.
    pub fn run(&self, gate: &Plugin) -> GateReport {
        match self.try_run(gate) {
            Ok(Ok(report)) => report,
            Ok(Err(e)) => panic!("the gate returned an error: {e:?}"),
            Err(e) => panic!("the gate did not complete: {e}"),
        }
    }
}

impl Default for GateCase {
    fn default() -> Self {
        GateCase::new()
    }
}

fn changed(path: &str, kind: ChangeKind, added_lines: Vec<LineRange>) -> ChangedFile {
    ChangedFile {
        path: path.to_owned(),
        kind,
        old_path: None,
        added_lines,
    }
}

/// Inclusive 1-based ranges of lines in `new` that are not in `old`.
pub fn added_ranges(old: &str, new: &str) -> Vec<LineRange> {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut ranges: Vec<LineRange> = Vec::new();
    for change in diff.iter_all_changes() {
        if change.tag() == similar::ChangeTag::Insert
            && let Some(idx) = change.new_index()
        {
            let line = idx as u32 + 1;
            match ranges.last_mut() {
                Some(r) if r.end + 1 == line => r.end = line,
                _ => ranges.push(LineRange {
                    start: line,
                    end: line,
                }),
            }
        }
    }
    ranges
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for rel in files_under(from) {
        let dest = to.join(&rel);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::copy(from.join(&rel), dest).expect("copy fixture");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_ranges_merge_consecutive_lines() {
        let r = added_ranges("a\nb\nc\n", "a\nx\ny\nb\nc\nz\n");
        assert_eq!(
            r,
            vec![
                LineRange { start: 2, end: 3 },
                LineRange { start: 6, end: 6 }
            ]
        );
        assert!(added_ranges("same\n", "same\n").is_empty());
    }
}
