//! Shared test support: building fixture plugins once per test binary, and runtimes with
//! private caches.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use dgov_plugin_host::{Runtime, RuntimeConfig};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Build the fixture plugin crate `tests/plugins/<name>` for wasm32-wasip2 and return the
/// component's path. Builds are serialized within this process (cargo serializes across
/// processes).
pub fn fixture_plugin(name: &str) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let build = dgov_wasm_build::WasmBuild {
        manifest_path: workspace_root().join("Cargo.toml"),
        packages: vec![name.to_owned()],
        profile: "plugin".to_owned(),
        target_dir: None,
        jobs: None,
    };
    build
        .run()
        .unwrap_or_else(|e| panic!("building fixture plugin {name}: {e}"))
        .remove(0)
}

/// A runtime with its compile cache in `cache`.
pub fn runtime(cache: &Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir: Some(cache.to_path_buf()),
        limits: Default::default(),
    })
    .unwrap()
}

/// A runtime whose compile cache is shared by every test of this build (so each fixture
/// component is compiled once, not once per test).
pub fn shared_runtime() -> Runtime {
    runtime(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache"))
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
