//! A real git worktree with the worker tools open on it (the real WASM plugin in the real
//! host runtime), and the assertions every tool test makes: a call succeeds, or fails with
//! the `Error: ` text the model reads.

use std::path::{Path, PathBuf};

use dgov_worker::spec::AttemptSpec;
use dgov_worker::tools::{self, ToolBox};
use serde_json::Value;

use super::git;

/// Write `files` (path, content) under `dir`, creating parent directories.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Stage everything and commit it.
pub fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
}

/// A fresh repository on `main` with `files` committed as `init`.
pub fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write_files(dir.path(), files);
    commit_all(dir.path(), "init");
    dir
}

/// The tools open on `dir` as `spec` describes; `extra` keeps whatever else the test needs
/// alive (a directory outside the worktree, say).
pub struct Fixture<X = ()> {
    pub dir: tempfile::TempDir,
    pub tools: ToolBox,
    pub extra: X,
}

impl<X> Fixture<X> {
    pub async fn open(dir: tempfile::TempDir, spec: &AttemptSpec, extra: X) -> Self {
        let rt = tools::runtime().unwrap();
        let plugin = tools::load_plugin(rt).unwrap();
        let tools = ToolBox::open(&plugin, spec).await.unwrap();
        Fixture { dir, tools, extra }
    }

    /// Call `name`; it must succeed. Returns what the model would read.
    pub async fn ok(&mut self, name: &str, args: Value) -> String {
        let r = self.tools.call(name, &args).await;
        assert!(!r.failed, "{name} {args} failed: {}", r.text);
        r.text
    }

    /// Call `name`; it must fail with an `Error: ` message. Returns the message.
    pub async fn err(&mut self, name: &str, args: Value) -> String {
        let r = self.tools.call(name, &args).await;
        assert!(r.failed, "{name} {args} should fail, got: {}", r.text);
        assert!(r.text.starts_with("Error: "), "{}", r.text);
        r.text
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn read(&self, p: &str) -> String {
        std::fs::read_to_string(self.path(p)).unwrap()
    }

    pub fn write(&self, p: &str, text: &str) {
        write_files(self.dir.path(), &[(p, text)]);
    }
}
