//! The state each plugin invocation runs with, and the host side of every capability.
//!
//! A fresh [`HostState`] (inside a fresh `Store`) is built per invocation or per tool
//! session. It holds the WASI context (no environment, no network, stdin closed, the granted
//! root preopened read-only at `/repo` when file reading is granted), the memory limiter, the
//! grant, and what the plugin did (log lines, exec records) for the caller to record.

use std::path::PathBuf;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::dgov::plugin::{baseline_store, exec, fs_read, fs_write, log, syntax, types};
use crate::bindings::{
    DirEntry, EntryKind, ExecOutput, ExecRequest, HostError, HostErrorKind, LogLevel,
};
use crate::exec::ExecRecord;
use crate::jail::{Jail, JailError};
use crate::limiter::Limiter;
use crate::policy::{Capability, Grant};

/// Where the granted root is visible to WASI file-system calls inside the plugin.
pub const GUEST_ROOT: &str = "/repo";

/// Most log lines kept per invocation, and longest line kept.
const MAX_LOG_LINES: usize = 1000;
const MAX_LOG_LINE: usize = 16 * 1024;

/// One line a plugin logged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    pub level: &'static str,
    pub message: String,
}

pub(crate) struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) grant: Grant,
    pub(crate) jail: Option<Jail>,
    /// Whether the current call may write (tool calls that declare `writes`).
    pub(crate) writable: bool,
    pub(crate) baseline_dir: Option<PathBuf>,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) logs_dropped: usize,
    pub(crate) execs: Vec<ExecRecord>,
    pub(crate) stdout: MemoryOutputPipe,
    pub(crate) stderr: MemoryOutputPipe,
    /// How much of each pipe earlier calls of a session already reported.
    pub(crate) stdout_seen: usize,
    pub(crate) stderr_seen: usize,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

fn host_err(kind: HostErrorKind, message: impl Into<String>) -> HostError {
    HostError {
        kind,
        message: message.into(),
    }
}

fn denied(cap: Capability) -> HostError {
    host_err(
        HostErrorKind::Denied,
        format!("capability `{cap}` is not granted to this plugin by the repository policy"),
    )
}

fn from_jail(e: JailError) -> HostError {
    let kind = match e {
        JailError::NotFound(_) => HostErrorKind::NotFound,
        JailError::Invalid(..) => HostErrorKind::InvalidInput,
        JailError::Absolute(_) | JailError::Escapes(_) => HostErrorKind::Denied,
    };
    host_err(kind, e.to_string())
}

fn from_io(e: std::io::Error, what: &str) -> HostError {
    let kind = match e.kind() {
        std::io::ErrorKind::NotFound => HostErrorKind::NotFound,
        std::io::ErrorKind::PermissionDenied => HostErrorKind::Denied,
        _ => HostErrorKind::Io,
    };
    host_err(kind, format!("{what}: {e}"))
}

fn entry_kind(ft: std::fs::FileType) -> EntryKind {
    if ft.is_symlink() {
        EntryKind::Symlink
    } else if ft.is_dir() {
        EntryKind::Directory
    } else if ft.is_file() {
        EntryKind::File
    } else {
        EntryKind::Other
    }
}

impl HostState {
    fn readable_jail(&self) -> Result<&Jail, HostError> {
        if !self.grant.allows(Capability::FsRead) {
            return Err(denied(Capability::FsRead));
        }
        self.jail
            .as_ref()
            .ok_or_else(|| host_err(HostErrorKind::Denied, "no root was granted"))
    }

    fn writable_jail(&self) -> Result<&Jail, HostError> {
        if !self.grant.allows(Capability::FsWrite) {
            return Err(denied(Capability::FsWrite));
        }
        if !self.writable {
            return Err(host_err(
                HostErrorKind::Denied,
                "the root is granted read-only for this call",
            ));
        }
        self.jail
            .as_ref()
            .ok_or_else(|| host_err(HostErrorKind::Denied, "no root was granted"))
    }

    fn baseline_path(&self, key: &str) -> Result<PathBuf, HostError> {
        if !self.grant.allows(Capability::BaselineStore) {
            return Err(denied(Capability::BaselineStore));
        }
        let valid = !key.is_empty()
            && key.len() <= 128
            && key != "."
            && key != ".."
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(host_err(
                HostErrorKind::InvalidInput,
                format!("baseline key `{key}` must be 1-128 characters of [A-Za-z0-9._-]"),
            ));
        }
        let dir = self
            .baseline_dir
            .as_ref()
            .ok_or_else(|| host_err(HostErrorKind::Denied, "no baseline store is configured"))?;
        Ok(dir.join(key))
    }
}

impl types::Host for HostState {}

impl log::Host for HostState {
    async fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        if self.logs.len() >= MAX_LOG_LINES {
            self.logs_dropped += 1;
            return Ok(());
        }
        let mut message = message;
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" [truncated]");
        }
        let level = match level {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        self.logs.push(LogLine { level, message });
        Ok(())
    }
}

impl fs_read::Host for HostState {
    async fn read_file(&mut self, path: String) -> wasmtime::Result<Result<Vec<u8>, HostError>> {
        Ok((|| {
            let jail = self.readable_jail()?;
            let real = jail.resolve(&path, true).map_err(from_jail)?;
            if real.is_dir() {
                return Err(host_err(
                    HostErrorKind::InvalidInput,
                    format!("`{path}` is a directory"),
                ));
            }
            std::fs::read(&real).map_err(|e| from_io(e, &path))
        })())
    }

    async fn list_dir(
        &mut self,
        path: String,
    ) -> wasmtime::Result<Result<Vec<DirEntry>, HostError>> {
        Ok((|| {
            let jail = self.readable_jail()?;
            let real = jail
                .resolve(if path.is_empty() { "." } else { &path }, true)
                .map_err(from_jail)?;
            let mut entries = Vec::new();
            for entry in std::fs::read_dir(&real).map_err(|e| from_io(e, &path))? {
                let entry = entry.map_err(|e| from_io(e, &path))?;
                let ft = entry.file_type().map_err(|e| from_io(e, &path))?;
                let size = if ft.is_file() {
                    entry.metadata().map(|m| m.len()).unwrap_or(0)
                } else {
                    0
                };
                entries.push(DirEntry {
                    name: entry.file_name().to_string_lossy().into_owned(),
                    kind: entry_kind(ft),
                    size,
                });
            }
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(entries)
        })())
    }

    async fn exists(&mut self, path: String) -> wasmtime::Result<bool> {
        Ok(self
            .readable_jail()
            .is_ok_and(|jail| jail.resolve(&path, true).is_ok()))
    }

    async fn walk(&mut self, path: String) -> wasmtime::Result<Result<Vec<String>, HostError>> {
        Ok((|| {
            let jail = self.readable_jail()?;
            let start = jail
                .resolve(if path.is_empty() { "." } else { &path }, true)
                .map_err(from_jail)?;
            let mut out = Vec::new();
            let mut stack = vec![start];
            while let Some(dir) = stack.pop() {
                let Ok(read) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in read.flatten() {
                    let Ok(ft) = entry.file_type() else { continue };
                    let p = entry.path();
                    if ft.is_dir() {
                        if entry.file_name() != ".git" {
                            stack.push(p);
                        }
                    } else if let Some(rel) = jail.relative(&p) {
                        out.push(rel);
                    }
                }
            }
            out.sort();
            Ok(out)
        })())
    }
}

impl fs_write::Host for HostState {
    async fn write_file(
        &mut self,
        path: String,
        content: Vec<u8>,
    ) -> wasmtime::Result<Result<(), HostError>> {
        Ok((|| {
            let jail = self.writable_jail()?;
            let real = jail.resolve(&path, false).map_err(from_jail)?;
            if real == jail.root() {
                return Err(host_err(
                    HostErrorKind::InvalidInput,
                    "cannot write the root itself",
                ));
            }
            if let Some(parent) = real.parent() {
                std::fs::create_dir_all(parent).map_err(|e| from_io(e, &path))?;
            }
            std::fs::write(&real, content).map_err(|e| from_io(e, &path))
        })())
    }

    async fn create_dir(&mut self, path: String) -> wasmtime::Result<Result<(), HostError>> {
        Ok((|| {
            let jail = self.writable_jail()?;
            let real = jail.resolve(&path, false).map_err(from_jail)?;
            std::fs::create_dir_all(real).map_err(|e| from_io(e, &path))
        })())
    }

    async fn remove(&mut self, path: String) -> wasmtime::Result<Result<(), HostError>> {
        Ok((|| {
            let jail = self.writable_jail()?;
            // Do not follow a symlink at the last component: remove the link itself.
            let real = jail.resolve(&path, true).map_err(from_jail)?;
            if real == jail.root() {
                return Err(host_err(HostErrorKind::Denied, "cannot remove the root"));
            }
            if real.is_dir() {
                std::fs::remove_dir(&real).map_err(|e| from_io(e, &path))
            } else {
                std::fs::remove_file(&real).map_err(|e| from_io(e, &path))
            }
        })())
    }
}

impl exec::Host for HostState {
    async fn run(
        &mut self,
        request: ExecRequest,
    ) -> wasmtime::Result<Result<ExecOutput, HostError>> {
        let program = request.program.clone();
        let args = request.args.clone();
        let cwd = crate::exec::display_cwd(request.cwd.as_deref());
        let result = if !self.grant.allows(Capability::Exec) {
            Err(denied(Capability::Exec))
        } else {
            match self.jail.clone() {
                None => Err(host_err(HostErrorKind::Denied, "no root was granted")),
                Some(jail) => crate::exec::run(&self.grant.exec, &jail, request).await,
            }
        };
        let (outcome, duration_ms) = match &result {
            Ok(out) if out.timed_out => ("timed out".to_owned(), out.duration_ms),
            Ok(out) => (
                out.exit_code
                    .map_or("killed by signal".to_owned(), |c| format!("exit {c}")),
                out.duration_ms,
            ),
            Err(e) => (format!("{:?}: {}", e.kind, e.message).to_lowercase(), 0),
        };
        self.execs.push(ExecRecord {
            program,
            args,
            cwd,
            outcome,
            duration_ms,
        });
        Ok(result)
    }
}

impl baseline_store::Host for HostState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, HostError>> {
        Ok((|| {
            let path = self.baseline_path(&key)?;
            match std::fs::read(&path) {
                Ok(v) => Ok(Some(v)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(from_io(e, &key)),
            }
        })())
    }

    async fn put(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), HostError>> {
        Ok((|| {
            let path = self.baseline_path(&key)?;
            let dir = path
                .parent()
                .ok_or_else(|| host_err(HostErrorKind::Io, "bad store"))?;
            std::fs::create_dir_all(dir).map_err(|e| from_io(e, &key))?;
            // Write then rename so a crash never leaves half a baseline.
            let tmp = dir.join(format!(".{key}.tmp"));
            std::fs::write(&tmp, value).map_err(|e| from_io(e, &key))?;
            std::fs::rename(&tmp, &path).map_err(|e| from_io(e, &key))
        })())
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<(), HostError>> {
        Ok((|| {
            let path = self.baseline_path(&key)?;
            match std::fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(from_io(e, &key)),
            }
        })())
    }

    async fn keys(&mut self) -> wasmtime::Result<Result<Vec<String>, HostError>> {
        Ok((|| {
            if !self.grant.allows(Capability::BaselineStore) {
                return Err(denied(Capability::BaselineStore));
            }
            let Some(dir) = self.baseline_dir.as_ref() else {
                return Ok(Vec::new());
            };
            let mut keys: Vec<String> = match std::fs::read_dir(dir) {
                Ok(rd) => rd
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect(),
                Err(_) => Vec::new(),
            };
            keys.sort();
            Ok(keys)
        })())
    }
}

/// Largest file the `syntax` capability parses.
const MAX_SYNTAX_FILE: u64 = 8 * 1024 * 1024;

impl syntax::Host for HostState {
    async fn facts(&mut self, path: String) -> wasmtime::Result<Result<String, HostError>> {
        Ok((|| {
            if !self.grant.allows(Capability::Syntax) {
                return Err(denied(Capability::Syntax));
            }
            let jail = self
                .jail
                .as_ref()
                .ok_or_else(|| host_err(HostErrorKind::Denied, "no root was granted"))?;
            let real = jail.resolve(&path, true).map_err(from_jail)?;
            let meta = std::fs::metadata(&real).map_err(|e| from_io(e, &path))?;
            if !meta.is_file() {
                return Err(host_err(
                    HostErrorKind::InvalidInput,
                    format!("`{path}` is not a file"),
                ));
            }
            if meta.len() > MAX_SYNTAX_FILE {
                return Err(host_err(
                    HostErrorKind::InvalidInput,
                    format!(
                        "`{path}` is {} bytes; the syntax capability parses files up to {MAX_SYNTAX_FILE}",
                        meta.len()
                    ),
                ));
            }
            let bytes = std::fs::read(&real).map_err(|e| from_io(e, &path))?;
            let facts = dgov_syntax::parse_file(&path, &bytes)
                .map_err(|e| host_err(HostErrorKind::InvalidInput, e.to_string()))?;
            serde_json::to_string(&facts).map_err(|e| host_err(HostErrorKind::Io, e.to_string()))
        })())
    }

    async fn languages(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(["rust", "python", "javascript", "typescript", "go"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect())
    }
}
