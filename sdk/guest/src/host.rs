//! Host capabilities, as plain Rust functions.
//!
//! Each function is a call into the dgov host; using one makes your plugin *request* that
//! capability (it shows in `dgov plugin check`). Paths are relative to the granted root.
//! What the repository did not grant fails with [`HostErrorKind::Denied`].

use crate::__private::contract::dgov::plugin::{
    baseline_store, exec as exec_if, fs_read, fs_write, log as log_if, syntax,
};
use crate::types::{DirEntry, ExecOutput, ExecRequest, HostError, HostErrorKind, LogLevel};

/// Log a line into dgov's event log (capability: log, always granted).
pub fn log(level: LogLevel, message: &str) {
    log_if::log(level, message);
}

/// Log at info level.
pub fn info(message: &str) {
    log(LogLevel::Info, message);
}

/// Log at warn level.
pub fn warn(message: &str) {
    log(LogLevel::Warn, message);
}

/// Read a whole file (capability: fs-read).
pub fn read_file(path: &str) -> Result<Vec<u8>, HostError> {
    fs_read::read_file(path)
}

/// Read a whole file as UTF-8 text (capability: fs-read).
pub fn read_to_string(path: &str) -> Result<String, HostError> {
    let bytes = read_file(path)?;
    String::from_utf8(bytes).map_err(|_| HostError {
        kind: HostErrorKind::InvalidInput,
        message: format!("`{path}` is not valid UTF-8"),
    })
}

/// List a directory, sorted by name (capability: fs-read).
pub fn list_dir(path: &str) -> Result<Vec<DirEntry>, HostError> {
    fs_read::list_dir(path)
}

/// Whether `path` exists inside the root (capability: fs-read).
pub fn exists(path: &str) -> bool {
    fs_read::exists(path)
}

/// Every file under `path`, recursively, sorted (capability: fs-read; contract 0.1.1).
pub fn walk(path: &str) -> Result<Vec<String>, HostError> {
    fs_read::walk(path)
}

/// Create or replace a file (capability: fs-write; tools that declare `writes` only).
pub fn write_file(path: &str, content: &[u8]) -> Result<(), HostError> {
    fs_write::write_file(path, content)
}

/// Create a directory and its parents (capability: fs-write).
pub fn create_dir(path: &str) -> Result<(), HostError> {
    fs_write::create_dir(path)
}

/// Remove a file or an empty directory (capability: fs-write).
pub fn remove(path: &str) -> Result<(), HostError> {
    fs_write::remove(path)
}

/// Run an allow-listed program on the host (capability: exec).
pub fn exec(request: &ExecRequest) -> Result<ExecOutput, HostError> {
    exec_if::run(request)
}

/// Run `program` with `args` in the root with the policy's default timeout (capability: exec).
pub fn run(program: &str, args: &[&str]) -> Result<ExecOutput, HostError> {
    exec(&ExecRequest {
        program: program.to_owned(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        cwd: None,
        env: Vec::new(),
        timeout_ms: None,
        stdin: None,
    })
}

/// The stored baseline under `key` (capability: baseline-store).
pub fn baseline_get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
    baseline_store::get(key)
}

/// Store a baseline under `key` (capability: baseline-store).
pub fn baseline_put(key: &str, value: &[u8]) -> Result<(), HostError> {
    baseline_store::put(key, value)
}

/// Remove the baseline under `key` (capability: baseline-store).
pub fn baseline_delete(key: &str) -> Result<(), HostError> {
    baseline_store::delete(key)
}

/// Source facts of a file (functions with complexity, imports, symbols, syntax errors),
/// extracted by the host with tree-sitter (capability: syntax; contract 0.1.2).
pub fn facts(path: &str) -> Result<dgov_syntax::FileFacts, HostError> {
    let json = syntax::facts(path)?;
    serde_json::from_str(&json).map_err(|e| HostError {
        kind: HostErrorKind::Io,
        message: format!("the host returned malformed facts for `{path}`: {e}"),
    })
}

/// Languages [`facts`] understands.
pub fn syntax_languages() -> Vec<String> {
    syntax::languages()
}
