//! Fixtures shared by the settlement integration tests: one pipeline per test binary (one
//! plugin runtime and component cache), real temporary git repositories, attempts prepared
//! by hand, and the event log.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use dgov_git::Repo;
use dgov_plugin_host::{Runtime, RuntimeConfig};
use dgov_settlement::{Gates, Pipeline, Request};
use dgov_store::Store;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Build a plugin crate of the workspace for wasm32-wasip2 (once per test binary).
pub fn wasm(package: &str) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    dgov_wasm_build::WasmBuild {
        manifest_path: workspace().join("Cargo.toml"),
        packages: vec![package.to_owned()],
        profile: "plugin".to_owned(),
        target_dir: None,
        jobs: None,
    }
    .run()
    .unwrap_or_else(|e| panic!("building {package}: {e}"))
    .remove(0)
}

/// The pipeline every test of a binary shares, with a component cache under the target dir.
pub fn pipeline() -> Arc<Pipeline> {
    static P: OnceLock<Arc<Pipeline>> = OnceLock::new();
    P.get_or_init(|| {
        let rt = Runtime::new(RuntimeConfig {
            cache_dir: Some(
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("settlement-component-cache"),
            ),
            limits: Default::default(),
        })
        .unwrap();
        Arc::new(Pipeline::new(Gates::new(Arc::new(rt))))
    })
    .clone()
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Write `files` under `root`, creating directories.
pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A repository `<tmp>/proj` whose first commit holds a README and `files`.
pub fn repo(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    std::fs::create_dir(&root).unwrap();
    git2::Repository::init(&root).unwrap();
    write(&root, &[("README", "hello\n")]);
    write(&root, files);
    Repo::open(&root).unwrap().bootstrap_commit().unwrap();
    (tmp, root)
}

/// Replace `.dgov/project.toml` (policy is read at every settlement: no rebuild, no restart).
pub fn write_policy(root: &Path, text: &str) {
    write(root, &[(".dgov/project.toml", text)]);
}

/// An attempt prepared by hand: a worktree from HEAD with `files` written and committed.
pub fn attempt(root: &Path, id: &str, files: &[(&str, &str)]) -> Request {
    let repo = Repo::open(root).unwrap();
    let base = repo.head().unwrap().unwrap();
    let wt = repo.create_attempt("p", id, 1, base).unwrap();
    write(&wt.path, files);
    let commit = repo.commit_attempt(&wt.path, "feat").unwrap().unwrap();
    request(&repo, id, wt.path, base, commit, files)
}

/// The request for an attempt whose worktree and commit exist.
pub fn request(
    repo: &Repo,
    id: &str,
    worktree: PathBuf,
    base: dgov_git::Oid,
    commit: dgov_git::Oid,
    files: &[(&str, &str)],
) -> Request {
    Request {
        plan: "p".into(),
        task: id.into(),
        attempt: 1,
        root: repo.root().to_path_buf(),
        worktree,
        base,
        commit,
        claims: files.iter().map(|(p, _)| p.to_string()).collect(),
        read: vec![],
        test_cmd: None,
    }
}

/// Every stored event of `kind`, oldest first.
pub fn events(root: &Path, kind: &str) -> Vec<serde_json::Value> {
    Store::open(root)
        .unwrap()
        .events_after(0, None, 100_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.data)
        .collect()
}

/// A task's state and error in the status view.
pub fn state(root: &Path, id: &str) -> (String, String) {
    let store = Store::open(root).unwrap();
    let view = store.status_view().unwrap();
    let row = view
        .tasks
        .iter()
        .find(|t| t.task == id)
        .unwrap_or_else(|| panic!("no task {id}"));
    (row.state.clone(), row.error.clone().unwrap_or_default())
}
