//! The files the analyzer is given: git-tracked source files of a working tree, or of a
//! commit written out to a temporary directory.

use std::path::{Path, PathBuf};

use dgov_syntax::Language;

use crate::analyzer::ArchitectureError;
use crate::baseline::RULES_PATH;

fn git_err(repo: &Path, e: git2::Error) -> ArchitectureError {
    ArchitectureError::Git {
        repo: repo.to_path_buf(),
        message: e.message().to_string(),
    }
}

/// Whether the analyzer understands `path` (by extension).
pub fn is_source(path: &str) -> bool {
    Language::from_path(path).is_some()
}

/// Tracked source files of the working tree at `root` (the git index), sorted, restricted
/// to languages dgov parses and to files present on disk (a deleted-but-staged file is
/// left out rather than failing the scan).
pub fn tracked_files(root: &Path) -> Result<Vec<String>, ArchitectureError> {
    let repo = git2::Repository::open(root).map_err(|e| git_err(root, e))?;
    let index = repo.index().map_err(|e| git_err(root, e))?;
    let mut out: Vec<String> = index
        .iter()
        .filter_map(|entry| String::from_utf8(entry.path).ok())
        .filter(|p| is_source(p))
        .filter(|p| root.join(p).is_file())
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// A commit's source files (and its `.sentrux/rules.toml`) written to a temporary
/// directory. The directory is removed on drop.
pub struct Snapshot {
    dir: tempfile::TempDir,
    pub files: Vec<String>,
}

impl Snapshot {
    /// The directory holding the files.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// Write the source files of `rev` (any revision git understands) under a new temporary
/// directory. Symlinks and submodules are skipped: only blobs are written.
pub fn snapshot(repo_root: &Path, rev: &str) -> Result<Snapshot, ArchitectureError> {
    let repo = git2::Repository::open(repo_root).map_err(|e| git_err(repo_root, e))?;
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| git_err(repo_root, e))?;
    let tree = commit.tree().map_err(|e| git_err(repo_root, e))?;
    let dir = tempfile::Builder::new()
        .prefix("dgov-sentrux-")
        .tempdir()
        .map_err(|e| ArchitectureError::Io {
            path: std::env::temp_dir(),
            message: e.to_string(),
        })?;
    let mut files = Vec::new();
    let mut failure: Option<ArchitectureError> = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
        let Ok(name) = entry.name() else {
            return git2::TreeWalkResult::Ok;
        };
        let path = format!("{parent}{name}");
        // 0o100644 / 0o100755 are regular files; links (0o120000) and submodules are skipped.
        let regular = matches!(entry.filemode(), 0o100644 | 0o100755);
        if !regular || !(is_source(&path) || path == RULES_PATH) {
            return git2::TreeWalkResult::Ok;
        }
        let written = entry
            .to_object(&repo)
            .and_then(|o| o.peel_to_blob())
            .map_err(|e| git_err(repo_root, e))
            .and_then(|blob| {
                let dest: PathBuf = dir.path().join(&path);
                let io = |e: std::io::Error| ArchitectureError::Io {
                    path: dest.clone(),
                    message: e.to_string(),
                };
                if let Some(parent) = dest.parent() {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                std::fs::write(&dest, blob.content()).map_err(io)
            });
        match written {
            Ok(()) => {
                if path != RULES_PATH {
                    files.push(path);
                }
                git2::TreeWalkResult::Ok
            }
            Err(e) => {
                failure = Some(e);
                git2::TreeWalkResult::Abort
            }
        }
    })
    .map_err(|e| failure.take().unwrap_or_else(|| git_err(repo_root, e)))?;
    if let Some(e) = failure {
        return Err(e);
    }
    files.sort();
    Ok(Snapshot { dir, files })
}
