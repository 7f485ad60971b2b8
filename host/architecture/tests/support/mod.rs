//! Fixtures shared by the architecture integration tests: one analyzer per test binary,
//! writing files, committing as a user.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::sync::OnceLock;

use dgov_architecture::Architecture;

pub fn arch() -> &'static Architecture {
    static ARCH: OnceLock<Architecture> = OnceLock::new();
    ARCH.get_or_init(|| {
        let runtime = dgov_plugin_host::Runtime::new(Default::default()).unwrap();
        Architecture::new(&runtime).unwrap()
    })
}

pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Stage everything and commit as a user; returns the commit id.
pub fn commit(root: &Path, msg: &str) -> String {
    let repo = git2::Repository::open(root).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, msg, &tree, &parents)
        .unwrap()
        .to_string()
}
