//! The project repository: opening it, HEAD, the bootstrap commit and the dirty-tree check.

use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Repository, Signature, StatusOptions};

use crate::{Ctx, GitError, Oid};

/// The project repository (its main worktree, where merges land).
pub struct Repo {
    pub(crate) repo: Repository,
    pub(crate) root: PathBuf,
}

/// dgov's own generated files, which never make the tree dirty and are never committed by
/// dgov: the deploy log, runs log, the state database, the run lock, output and runtime
/// directories, and compiled plans.
pub fn is_generated_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix(".dgov/") else {
        return false;
    };
    rest == "plans/deployed.jsonl"
        || rest == "runs.log"
        || rest == "run.lock"
        || rest.starts_with("state.db")
        || rest.starts_with("out/")
        || rest.starts_with("runtime/")
        || rest == "out"
        || rest == "runtime"
        || rest.ends_with("/_compiled.toml")
}

/// The identity of commits dgov makes on the user's branch for its own files.
const GOVERNOR_NAME: &str = "dgov";
const GOVERNOR_EMAIL: &str = "governor@dgov.local";

fn file_mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0) {
            return 0o100755;
        }
    }
    let _ = path;
    0o100644
}

fn index_entry(rel: &str, blob: Oid, mode: u32, len: usize) -> git2::IndexEntry {
    git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: u32::try_from(len).unwrap_or(u32::MAX),
        id: blob,
        flags: 0,
        flags_extended: 0,
        path: rel.as_bytes().to_vec(),
    }
}

impl Repo {
    /// Open the repository whose working tree is `root` (or contains it).
    pub fn open(root: &Path) -> Result<Repo, GitError> {
        let repo = Repository::discover(root).map_err(|_| GitError::NotARepo {
            path: root.to_path_buf(),
        })?;
        let Some(workdir) = repo.workdir() else {
            return Err(GitError::NotARepo {
                path: root.to_path_buf(),
            });
        };
        let root = workdir
            .canonicalize()
            .unwrap_or_else(|_| workdir.to_path_buf());
        Ok(Repo { repo, root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The commit HEAD points at, or `None` in a repository with no commits.
    pub fn head(&self) -> Result<Option<Oid>, GitError> {
        match self.repo.head() {
            Ok(r) => Ok(Some(r.peel_to_commit().ctx(|| "reading HEAD".into())?.id())),
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(GitError::Git {
                what: "reading HEAD".into(),
                source: e,
            }),
        }
    }

    /// Files a bootstrap commit would snapshot (everything not ignored and not generated).
    pub fn bootstrap_candidates(&self) -> Result<Vec<String>, GitError> {
        self.changed_paths(false)
    }

    /// Commit the whole working tree (minus generated files) as the first commit, with
    /// message `chore: bootstrap repo for dgov`. Returns the number of files committed.
    pub fn bootstrap_commit(&self) -> Result<usize, GitError> {
        let mut index = self.repo.index().ctx(|| "opening the index".into())?;
        let mut cb = |p: &Path, _: &[u8]| {
            if is_generated_path(&p.to_string_lossy()) {
                1
            } else {
                0
            }
        };
        index
            .add_all(["*"], IndexAddOption::DEFAULT, Some(&mut cb))
            .ctx(|| "staging files for the bootstrap commit".into())?;
        if index.is_empty() {
            return Err(GitError::NothingToBootstrap);
        }
        index.write().ctx(|| "writing the index".into())?;
        let tree_id = index
            .write_tree()
            .ctx(|| "writing the bootstrap tree".into())?;
        let tree = self
            .repo
            .find_tree(tree_id)
            .ctx(|| "reading the bootstrap tree".into())?;
        let sig =
            Signature::now("dgov-bootstrap", "bootstrap@dgov.local").ctx(|| "signature".into())?;
        self.repo
            .commit(
                Some("HEAD"),
                &sig,
                &sig,
                "chore: bootstrap repo for dgov",
                &tree,
                &[],
            )
            .ctx(|| "creating the bootstrap commit".into())?;
        Ok(index.len())
    }

    /// Uncommitted changes that block a run: modified, staged, deleted, renamed (both sides)
    /// and untracked files, excluding dgov's generated files. Sorted.
    pub fn dirty_paths(&self) -> Result<Vec<String>, GitError> {
        self.changed_paths(true)
    }

    fn changed_paths(&self, renames: bool) -> Result<Vec<String>, GitError> {
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .renames_head_to_index(renames)
            .renames_index_to_workdir(renames);
        let statuses = self
            .repo
            .statuses(Some(&mut opts))
            .ctx(|| "reading git status".into())?;
        let mut out = Vec::new();
        for entry in statuses.iter() {
            let mut push = |p: Option<&Path>| {
                if let Some(p) = p {
                    let s = p.to_string_lossy().into_owned();
                    if !is_generated_path(&s) && !out.contains(&s) {
                        out.push(s);
                    }
                }
            };
            for delta in [entry.head_to_index(), entry.index_to_workdir()]
                .into_iter()
                .flatten()
            {
                push(delta.old_file().path());
                push(delta.new_file().path());
            }
            if entry.head_to_index().is_none() && entry.index_to_workdir().is_none() {
                push(entry.path().ok().map(Path::new));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Short description of a commit for messages (`abc1234 subject`).
    pub fn describe(&self, oid: Oid) -> String {
        match self.repo.find_commit(oid) {
            Ok(c) => format!(
                "{:.7} {}",
                oid.to_string(),
                c.summary().ok().flatten().unwrap_or("")
            ),
            Err(_) => format!("{:.7}", oid.to_string()),
        }
    }

    /// Whether `ancestor` is reachable from `commit` (or equal).
    pub fn contains(&self, commit: Oid, ancestor: Oid) -> Result<bool, GitError> {
        if commit == ancestor {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(commit, ancestor)
            .ctx(|| "walking history".into())
    }

    /// Read a file of a commit's tree (for tests and checks).
    pub fn file_at(&self, commit: Oid, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let c = self
            .repo
            .find_commit(commit)
            .ctx(|| format!("reading commit {commit}"))?;
        let tree = c.tree().ctx(|| "reading tree".into())?;
        match tree.get_path(Path::new(path)) {
            Ok(e) => {
                let blob = e
                    .to_object(&self.repo)
                    .and_then(|o| o.peel_to_blob())
                    .ctx(|| format!("reading {path}"))?;
                Ok(Some(blob.content().to_vec()))
            }
            Err(_) => Ok(None),
        }
    }

    /// Commit subjects from HEAD back along first parents (newest first), at most `limit`.
    pub fn log_subjects(&self, limit: usize) -> Result<Vec<String>, GitError> {
        let mut out = Vec::new();
        let Some(mut oid) = self.head()? else {
            return Ok(out);
        };
        while out.len() < limit {
            let c = self
                .repo
                .find_commit(oid)
                .ctx(|| "walking history".into())?;
            out.push(c.summary().ok().flatten().unwrap_or("").to_string());
            match c.parent_id(0) {
                Ok(p) => oid = p,
                Err(_) => break,
            }
        }
        Ok(out)
    }

    /// Commit exactly `paths` (repository-relative files, as they are in the working tree;
    /// a missing file is a deletion) on the checked-out branch, as the dgov governor, with
    /// `message`. Nothing else that is staged or modified goes into the commit: the tree is
    /// HEAD's tree with these paths replaced. The index entries of `paths` are updated too,
    /// so they read as clean afterwards. Returns `None` when HEAD already holds them as they
    /// are (no empty commit).
    pub fn commit_paths(&self, paths: &[&str], message: &str) -> Result<Option<Oid>, GitError> {
        let what = || format!("committing {}", paths.join(", "));
        let head = self
            .repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .ctx(what)?;
        // An in-memory index seeded from HEAD: the user's staged changes stay out.
        let mut scratch = git2::Index::new().ctx(what)?;
        scratch.read_tree(&head.tree().ctx(what)?).ctx(what)?;
        let mut real = self.repo.index().ctx(what)?;
        for rel in paths {
            let abs = self.root.join(rel);
            match std::fs::read(&abs) {
                Ok(bytes) => {
                    let blob = self.repo.blob(&bytes).ctx(what)?;
                    let mode = file_mode(&abs);
                    let entry = index_entry(rel, blob, mode, bytes.len());
                    scratch.add(&entry).ctx(what)?;
                    // From the working tree, so the entry carries real stat data.
                    real.add_path(Path::new(rel)).ctx(what)?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let _ = scratch.remove_path(Path::new(rel));
                    let _ = real.remove_path(Path::new(rel));
                }
                Err(e) => return Err(e).ctx(what),
            }
        }
        let tree_id = scratch.write_tree_to(&self.repo).ctx(what)?;
        if tree_id == head.tree_id() {
            return Ok(None);
        }
        let tree = self.repo.find_tree(tree_id).ctx(what)?;
        let sig = Signature::now(GOVERNOR_NAME, GOVERNOR_EMAIL).ctx(what)?;
        let oid = self
            .repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &[&head])
            .ctx(what)?;
        real.write().ctx(what)?;
        Ok(Some(oid))
    }

    /// Tree id of a commit.
    pub fn tree_of(&self, commit: Oid) -> Result<Oid, GitError> {
        Ok(self
            .repo
            .find_commit(commit)
            .ctx(|| format!("reading commit {commit}"))?
            .tree_id())
    }
}
