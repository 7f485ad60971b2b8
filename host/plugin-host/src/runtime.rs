//! The runtime: one wasmtime `Engine` per process, the linker, the compile cache, and the
//! per-call sandbox.
//!
//! Loading a plugin reads its metadata, compiles it (or loads it from the cache), links it
//! against the host capabilities and pre-instantiates it. Every call then gets a fresh
//! `Store` with its own limits and WASI context (or reuses a [`ToolSession`]'s store, for the
//! many tool calls of one worker attempt). A trap, a deadline or the memory cap becomes an
//! [`InvokeError`]; the runtime itself is unaffected and serves the next call.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use wasmtime::component::{HasSelf, Instance, InstancePre, Linker};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::bindings::{
    self, Analysis, AnalyzerSpec, GateContext, GateReport, GateSpec, PluginError, ToolSpec,
};
use crate::cache::{CacheStats, CompileCache, LoadSource};
use crate::exec::ExecRecord;
use crate::host_state::{GUEST_ROOT, HostState, LogLine};
use crate::jail::Jail;
use crate::limiter::Limiter;
use crate::meta::{self, MetaError, PluginKind, PluginMeta};
use crate::policy::{Capability, Grant, Limits};

/// How often the epoch ticker advances; deadlines are rounded up to this granularity.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Captured stdout and stderr per invocation (a plugin writing more than this traps).
const STDERR_CAPACITY: usize = 1024 * 1024;

/// Where a plugin came from (shown by `dgov plugin list`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", content = "path", rename_all = "kebab-case")]
pub enum PluginOrigin {
    /// Embedded in the dgov binary.
    BuiltIn,
    /// A `.wasm` file on disk (repository plugin or an explicit path).
    File(PathBuf),
}

/// Errors loading a plugin.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read plugin file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{name}: {error}")]
    Meta { name: String, error: MetaError },
    #[error("{name}: failed to compile: {message}")]
    Compile { name: String, message: String },
    #[error("{name}: failed to link against the dgov host: {message}")]
    Link { name: String, message: String },
}

/// Why an invocation produced no result. The runtime stays usable after any of these.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum InvokeError {
    /// The plugin trapped (a panic, an unreachable, a bad memory access...).
    #[error("plugin trapped: {message}")]
    Trap { message: String, stderr: String },
    /// The call ran past its wall-clock deadline and was interrupted.
    #[error("plugin exceeded its {deadline_ms} ms deadline and was stopped")]
    Deadline { deadline_ms: u64 },
    /// The plugin tried to grow its memory beyond the cap.
    #[error("plugin exceeded its memory cap of {cap_bytes} bytes and was stopped")]
    MemoryCap { cap_bytes: usize },
    /// The plugin used up its instruction budget.
    #[error("plugin ran out of fuel ({fuel} units)")]
    OutOfFuel { fuel: u64 },
    /// Setting up the sandbox failed (e.g. the granted root does not exist).
    #[error("could not prepare the plugin sandbox: {message}")]
    Setup { message: String },
    /// The plugin is of another kind than the call expects.
    #[error("plugin `{plugin}` is a {actual} plugin, not a {expected} plugin")]
    WrongKind {
        plugin: String,
        expected: PluginKind,
        actual: PluginKind,
    },
}

/// Runtime configuration.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Compile-cache directory, or `None` to compile every time.
    pub cache_dir: Option<PathBuf>,
    /// Default limits for calls that do not set their own.
    pub limits: Limits,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache_dir: CompileCache::default_dir(),
            limits: Limits::default(),
        }
    }
}

/// The process-wide engine: component model, epoch interruption driven by a ticker thread,
/// fuel metering available (calls without a fuel budget get an effectively infinite one).
pub fn shared_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.consume_fuel(true);
        let engine = Engine::new(&config).expect("the static engine configuration is valid");
        let ticker = engine.clone();
        // A plain thread, not a tokio task: a runtime whose workers are all busy running
        // WASM would never schedule the ticker, and deadlines would never fire.
        std::thread::Builder::new()
            .name("dgov-epoch-ticker".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(EPOCH_TICK);
                    ticker.increment_epoch();
                }
            })
            .expect("spawning the epoch ticker thread");
        engine
    })
}

/// Loads plugins and runs them sandboxed.
pub struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    cache: CompileCache,
    limits: Limits,
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> wasmtime::Result<Runtime> {
        let engine = shared_engine().clone();
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        bindings::PluginHost::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
        Ok(Runtime {
            engine,
            linker,
            cache: CompileCache::new(config.cache_dir),
            limits: config.limits,
        })
    }

    /// Compile-cache counters.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    pub fn cache(&self) -> &CompileCache {
        &self.cache
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The default limits of this runtime.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Load a plugin from a `.wasm` file.
    pub fn load_file(&self, path: &Path) -> Result<Plugin, LoadError> {
        let bytes = std::fs::read(path).map_err(|error| LoadError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("plugin");
        self.load_bytes(&bytes, stem, PluginOrigin::File(path.to_path_buf()))
    }

    /// Load a plugin from component bytes.
    pub fn load_bytes(
        &self,
        bytes: &[u8],
        fallback_name: &str,
        origin: PluginOrigin,
    ) -> Result<Plugin, LoadError> {
        let meta = meta::inspect(bytes, fallback_name).map_err(|error| LoadError::Meta {
            name: fallback_name.to_owned(),
            error,
        })?;
        let name = meta.name.clone();
        let hash = crate::cache::component_hash(bytes);
        let (component, source) =
            self.cache
                .load(&self.engine, bytes, &hash)
                .map_err(|e| LoadError::Compile {
                    name: name.clone(),
                    message: format!("{e:#}"),
                })?;
        let link_err = |e: wasmtime::Error| LoadError::Link {
            name: name.clone(),
            message: format!("{e:#}"),
        };
        let pre = self.linker.instantiate_pre(&component).map_err(link_err)?;
        let exports = match meta.kind {
            PluginKind::Tool => {
                KindExports::Tool(bindings::tool::GuestIndices::new(&pre).map_err(link_err)?)
            }
            PluginKind::Gate => {
                KindExports::Gate(bindings::gate::GuestIndices::new(&pre).map_err(link_err)?)
            }
            PluginKind::Analyzer => KindExports::Analyzer(
                bindings::analyzer::GuestIndices::new(&pre).map_err(link_err)?,
            ),
        };
        Ok(Plugin {
            inner: Arc::new(PluginInner {
                meta,
                hash,
                origin,
                load_source: source,
                pre,
                exports,
                default_limits: self.limits,
            }),
        })
    }
}

enum KindExports {
    Tool(bindings::tool::GuestIndices),
    Gate(bindings::gate::GuestIndices),
    Analyzer(bindings::analyzer::GuestIndices),
}

struct PluginInner {
    meta: PluginMeta,
    hash: String,
    origin: PluginOrigin,
    load_source: LoadSource,
    pre: InstancePre<HostState>,
    exports: KindExports,
    default_limits: Limits,
}

/// A loaded, linked plugin, ready to be invoked. Cheap to clone.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<PluginInner>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("meta", &self.inner.meta)
            .finish()
    }
}

/// What a call is granted: the root it sees, the capabilities and limits.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The granted root (worktree or tree under review); `None` grants no file access.
    pub root: Option<PathBuf>,
    /// Capabilities the repository grants this plugin (intersected with what it requests).
    pub grant: Grant,
    /// Directory backing the plugin's baseline store.
    pub baseline_dir: Option<PathBuf>,
    /// Limits for this call; `None` uses the runtime's defaults.
    pub limits: Option<Limits>,
}

impl Invocation {
    /// A read-only invocation on `root` with the default read-only grant.
    pub fn read_only(root: &Path) -> Invocation {
        Invocation {
            root: Some(root.to_path_buf()),
            grant: Grant::read_only(),
            baseline_dir: None,
            limits: None,
        }
    }
}

/// A completed call: the plugin's answer and what it did on the way.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome<T> {
    pub value: T,
    pub logs: Vec<LogLine>,
    pub execs: Vec<ExecRecord>,
    /// What the plugin printed (captured, capped at 1 MiB each).
    pub stdout: String,
    pub stderr: String,
    pub duration_us: u64,
}

impl Plugin {
    pub fn meta(&self) -> &PluginMeta {
        &self.inner.meta
    }

    /// SHA-256 of the component bytes.
    pub fn hash(&self) -> &str {
        &self.inner.hash
    }

    pub fn origin(&self) -> &PluginOrigin {
        &self.inner.origin
    }

    /// Whether this load was served from the compile cache.
    pub fn from_cache(&self) -> bool {
        self.inner.load_source == LoadSource::Cache
    }

    fn expect_kind(&self, expected: PluginKind) -> Result<(), InvokeError> {
        let actual = self.inner.meta.kind;
        if actual == expected {
            Ok(())
        } else {
            Err(InvokeError::WrongKind {
                plugin: self.inner.meta.name.clone(),
                expected,
                actual,
            })
        }
    }

    fn new_store(&self, invocation: &Invocation) -> Result<Store<HostState>, InvokeError> {
        let limits = invocation.limits.unwrap_or(self.inner.default_limits);
        let grant = invocation.grant.intersect(&self.inner.meta.capabilities);
        let setup = |e: &dyn std::fmt::Display| InvokeError::Setup {
            message: e.to_string(),
        };
        let jail = match &invocation.root {
            Some(root) => {
                Some(Jail::new(root).map_err(|e| setup(&format!("root {}: {e}", root.display())))?)
            }
            None => None,
        };
        let stdout = MemoryOutputPipe::new(STDERR_CAPACITY);
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let mut wasi = WasiCtxBuilder::new();
        // Nothing inherited: no environment, no arguments, stdin closed (the default),
        // stdout and stderr captured, no network (the default denies sockets).
        wasi.stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false);
        if let Some(jail) = &jail
            && grant.allows(Capability::FsRead)
        {
            // Read-only even for writing tools: writes go through `fs-write`, which is
            // checked per call.
            wasi.preopened_dir(jail.root(), GUEST_ROOT, FsPerms::ReadOnly)
                .map_err(|e| setup(&e))?;
        }
        let state = HostState {
            wasi: wasi.build(),
            table: Default::default(),
            limiter: Limiter {
                memory_cap: limits.memory_bytes,
                hit: false,
            },
            grant,
            jail,
            writable: false,
            baseline_dir: invocation.baseline_dir.clone(),
            logs: Vec::new(),
            logs_dropped: 0,
            execs: Vec::new(),
            stdout,
            stderr,
            stdout_seen: 0,
            stderr_seen: 0,
        };
        let mut store = Store::new(&self.inner.pre.engine().clone(), state);
        store.limiter(|s| &mut s.limiter);
        arm(&mut store, &limits).map_err(|e| setup(&e))?;
        Ok(store)
    }

    /// List the tools a tool plugin offers.
    pub async fn list_tools(
        &self,
        invocation: &Invocation,
    ) -> Result<Outcome<Vec<ToolSpec>>, InvokeError> {
        self.expect_kind(PluginKind::Tool)?;
        let mut session = ToolSession::start(self, invocation).await?;
        session.list_tools().await
    }

    /// Call one tool in a fresh sandbox. `writes` grants the root read-write for this call
    /// (only honoured when the grant includes `fs-write`).
    pub async fn call_tool(
        &self,
        invocation: &Invocation,
        name: &str,
        args_json: &str,
        writes: bool,
    ) -> Result<Outcome<Result<String, PluginError>>, InvokeError> {
        self.expect_kind(PluginKind::Tool)?;
        let mut session = ToolSession::start(self, invocation).await?;
        session.call(name, args_json, writes).await
    }

    /// Instantiate in a fresh sandbox and run `call` on the instance; the store's limits,
    /// logs and captured output become the [`Outcome`].
    async fn fresh_call<T>(
        &self,
        invocation: &Invocation,
        call: impl AsyncFnOnce(&mut Store<HostState>, &Instance) -> wasmtime::Result<T>,
    ) -> Result<Outcome<T>, InvokeError> {
        let limits = invocation.limits.unwrap_or(self.inner.default_limits);
        let mut store = self.new_store(invocation)?;
        let started = Instant::now();
        let result = match self.inner.pre.instantiate_async(&mut store).await {
            Ok(instance) => call(&mut store, &instance).await,
            Err(e) => Err(e),
        };
        finish(store, result, &limits, started)
    }

    fn gate_indices(&self) -> Result<&bindings::gate::GuestIndices, InvokeError> {
        match &self.inner.exports {
            KindExports::Gate(indices) => Ok(indices),
            _ => Err(self.expect_kind(PluginKind::Gate).unwrap_err()),
        }
    }

    fn analyzer_indices(&self) -> Result<&bindings::analyzer::GuestIndices, InvokeError> {
        match &self.inner.exports {
            KindExports::Analyzer(indices) => Ok(indices),
            _ => Err(self.expect_kind(PluginKind::Analyzer).unwrap_err()),
        }
    }

    /// Describe a gate.
    pub async fn describe_gate(
        &self,
        invocation: &Invocation,
    ) -> Result<Outcome<GateSpec>, InvokeError> {
        let indices = self.gate_indices()?;
        self.fresh_call(invocation, async |store, instance| {
            indices
                .load(&mut *store, instance)?
                .call_describe(store)
                .await
        })
        .await
    }

    /// Run a gate's check in a fresh sandbox.
    pub async fn check_gate(
        &self,
        invocation: &Invocation,
        ctx: &GateContext,
    ) -> Result<Outcome<Result<GateReport, PluginError>>, InvokeError> {
        let indices = self.gate_indices()?;
        self.fresh_call(invocation, async |store, instance| {
            indices
                .load(&mut *store, instance)?
                .call_check(store, ctx)
                .await
        })
        .await
    }

    /// Describe an analyzer.
    pub async fn describe_analyzer(
        &self,
        invocation: &Invocation,
    ) -> Result<Outcome<AnalyzerSpec>, InvokeError> {
        let indices = self.analyzer_indices()?;
        self.fresh_call(invocation, async |store, instance| {
            indices
                .load(&mut *store, instance)?
                .call_describe(store)
                .await
        })
        .await
    }

    /// Run an analyzer over `files` in a fresh sandbox.
    pub async fn analyze(
        &self,
        invocation: &Invocation,
        files: &[String],
        config_json: &str,
    ) -> Result<Outcome<Result<Analysis, PluginError>>, InvokeError> {
        let indices = self.analyzer_indices()?;
        self.fresh_call(invocation, async |store, instance| {
            indices
                .load(&mut *store, instance)?
                .call_analyze(store, files, config_json)
                .await
        })
        .await
    }
}

/// Reset the per-call budget: an epoch deadline (wall clock) and fuel.
fn arm(store: &mut Store<HostState>, limits: &Limits) -> wasmtime::Result<()> {
    let ticks = limits
        .deadline
        .as_millis()
        .div_ceil(EPOCH_TICK.as_millis())
        .max(1) as u64;
    store.set_epoch_deadline(ticks);
    store.epoch_deadline_trap();
    store.set_fuel(limits.fuel.unwrap_or(u64::MAX))?;
    store.data_mut().limiter.hit = false;
    Ok(())
}

/// Classify a wasmtime error from a call.
fn classify(store: &Store<HostState>, error: wasmtime::Error, limits: &Limits) -> InvokeError {
    let stderr = String::from_utf8_lossy(&store.data().stderr.contents()).into_owned();
    if store.data().limiter.hit {
        return InvokeError::MemoryCap {
            cap_bytes: limits.memory_bytes,
        };
    }
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => InvokeError::Deadline {
            deadline_ms: limits.deadline.as_millis() as u64,
        },
        Some(wasmtime::Trap::OutOfFuel) => InvokeError::OutOfFuel {
            fuel: limits.fuel.unwrap_or(u64::MAX),
        },
        _ => InvokeError::Trap {
            message: format!("{error:#}"),
            stderr,
        },
    }
}

fn take_outcome<T>(store: &mut Store<HostState>, value: T, started: Instant) -> Outcome<T> {
    let data = store.data_mut();
    let mut logs = std::mem::take(&mut data.logs);
    if data.logs_dropped > 0 {
        logs.push(LogLine {
            level: "warn",
            message: format!("{} further log lines dropped", data.logs_dropped),
        });
        data.logs_dropped = 0;
    }
    Outcome {
        value,
        logs,
        execs: std::mem::take(&mut data.execs),
        stdout: take_new(&data.stdout, &mut data.stdout_seen),
        stderr: take_new(&data.stderr, &mut data.stderr_seen),
        duration_us: started.elapsed().as_micros() as u64,
    }
}

/// The part of a captured pipe that no earlier call of the same store reported.
fn take_new(pipe: &MemoryOutputPipe, seen: &mut usize) -> String {
    let all = pipe.contents();
    let start = (*seen).min(all.len());
    *seen = all.len();
    String::from_utf8_lossy(&all[start..]).into_owned()
}

fn finish<T>(
    mut store: Store<HostState>,
    result: wasmtime::Result<T>,
    limits: &Limits,
    started: Instant,
) -> Result<Outcome<T>, InvokeError> {
    match result {
        Ok(value) => Ok(take_outcome(&mut store, value, started)),
        Err(e) => Err(classify(&store, e, limits)),
    }
}

/// A tool plugin instantiated once and called many times (one worker attempt). After an
/// [`InvokeError`] the instance is poisoned; the session re-instantiates transparently on
/// the next call.
pub struct ToolSession {
    plugin: Plugin,
    invocation: Invocation,
    limits: Limits,
    store: Store<HostState>,
    guest: Option<bindings::tool::Guest>,
}

impl ToolSession {
    /// Instantiate `plugin` (a tool plugin) for repeated calls.
    pub async fn start(
        plugin: &Plugin,
        invocation: &Invocation,
    ) -> Result<ToolSession, InvokeError> {
        plugin.expect_kind(PluginKind::Tool)?;
        let limits = invocation.limits.unwrap_or(plugin.inner.default_limits);
        let store = plugin.new_store(invocation)?;
        let mut session = ToolSession {
            plugin: plugin.clone(),
            invocation: invocation.clone(),
            limits,
            store,
            guest: None,
        };
        session.ensure_instance().await?;
        Ok(session)
    }

    async fn ensure_instance(&mut self) -> Result<(), InvokeError> {
        if self.guest.is_some() {
            return Ok(());
        }
        let KindExports::Tool(indices) = &self.plugin.inner.exports else {
            return Err(self.plugin.expect_kind(PluginKind::Tool).unwrap_err());
        };
        arm(&mut self.store, &self.limits).map_err(|e| InvokeError::Setup {
            message: e.to_string(),
        })?;
        let result = async {
            let instance = self
                .plugin
                .inner
                .pre
                .instantiate_async(&mut self.store)
                .await?;
            indices.load(&mut self.store, &instance)
        }
        .await;
        match result {
            Ok(guest) => {
                self.guest = Some(guest);
                Ok(())
            }
            Err(e) => {
                let err = classify(&self.store, e, &self.limits);
                self.store = self.plugin.new_store(&self.invocation)?;
                Err(err)
            }
        }
    }

    /// The tools the plugin offers.
    pub async fn list_tools(&mut self) -> Result<Outcome<Vec<ToolSpec>>, InvokeError> {
        self.ensure_instance().await?;
        let started = Instant::now();
        arm(&mut self.store, &self.limits).map_err(|e| InvokeError::Setup {
            message: e.to_string(),
        })?;
        let guest = self.guest.clone().expect("instance ensured above");
        let result = guest.call_list_tools(&mut self.store).await;
        self.settle(result, started)
    }

    /// Call tool `name`. `writes` grants write access for this call only.
    pub async fn call(
        &mut self,
        name: &str,
        args_json: &str,
        writes: bool,
    ) -> Result<Outcome<Result<String, PluginError>>, InvokeError> {
        self.ensure_instance().await?;
        let started = Instant::now();
        arm(&mut self.store, &self.limits).map_err(|e| InvokeError::Setup {
            message: e.to_string(),
        })?;
        self.store.data_mut().writable = writes;
        let guest = self.guest.clone().expect("instance ensured above");
        let result = guest.call_call(&mut self.store, name, args_json).await;
        self.store.data_mut().writable = false;
        self.settle(result, started)
    }

    fn settle<T>(
        &mut self,
        result: wasmtime::Result<T>,
        started: Instant,
    ) -> Result<Outcome<T>, InvokeError> {
        match result {
            Ok(value) => Ok(take_outcome(&mut self.store, value, started)),
            Err(e) => {
                let err = classify(&self.store, e, &self.limits);
                // The instance is poisoned after a trap: drop it and start over next time.
                self.guest = None;
                self.store = self.plugin.new_store(&self.invocation)?;
                Err(err)
            }
        }
    }
}
