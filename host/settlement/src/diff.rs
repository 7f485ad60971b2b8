//! Read-only diffs in the shape gates receive: changed files with the new-side line ranges
//! each change added or modified. (Reading git is fine outside `dgov-git`; only mutations
//! live there.)

use std::collections::BTreeMap;

use dgov_git::Oid;
use dgov_plugin_host::bindings::{ChangeKind, ChangedFile, LineRange};
use git2::{Delta, DiffOptions, Repository};

/// Files changed from `from` to `to` (commits), with added line ranges.
pub fn between(repo: &Repository, from: Oid, to: Oid) -> Result<Vec<ChangedFile>, git2::Error> {
    let old = repo.find_commit(from)?.tree()?;
    let new = repo.find_commit(to)?.tree()?;
    let mut opts = DiffOptions::new();
    opts.context_lines(0);
    let diff = repo.diff_tree_to_tree(Some(&old), Some(&new), Some(&mut opts))?;
    collect(&diff)
}

/// Uncommitted changes of the working tree at `repo` against HEAD, untracked files included.
pub fn working_tree(repo: &Repository) -> Result<Vec<ChangedFile>, git2::Error> {
    let head = repo.head()?.peel_to_tree()?;
    let mut opts = DiffOptions::new();
    opts.context_lines(0)
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true);
    let diff = repo.diff_tree_to_workdir_with_index(Some(&head), Some(&mut opts))?;
    collect(&diff)
}

fn collect(diff: &git2::Diff<'_>) -> Result<Vec<ChangedFile>, git2::Error> {
    let mut files: BTreeMap<String, ChangedFile> = BTreeMap::new();
    for delta in diff.deltas() {
        let kind = match delta.status() {
            Delta::Added | Delta::Untracked => ChangeKind::Added,
            Delta::Deleted => ChangeKind::Deleted,
            Delta::Renamed => ChangeKind::Renamed,
            Delta::Copied => ChangeKind::Copied,
            _ => ChangeKind::Modified,
        };
        let file = if kind == ChangeKind::Deleted {
            delta.old_file()
        } else {
            delta.new_file()
        };
        let Some(path) = file.path().map(|p| p.to_string_lossy().into_owned()) else {
            continue;
        };
        if dgov_git::is_generated_path(&path) {
            continue;
        }
        let old_path = (kind == ChangeKind::Renamed)
            .then(|| {
                delta
                    .old_file()
                    .path()
                    .map(|p| p.to_string_lossy().into_owned())
            })
            .flatten();
        files.insert(
            path.clone(),
            ChangedFile {
                path,
                kind,
                old_path,
                added_lines: Vec::new(),
            },
        );
    }
    diff.foreach(
        &mut |_, _| true,
        None,
        None,
        Some(&mut |delta, _hunk, line| {
            if line.origin() != '+' {
                return true;
            }
            let (Some(n), Some(path)) = (line.new_lineno(), delta.new_file().path()) else {
                return true;
            };
            let path = path.to_string_lossy();
            if let Some(f) = files.get_mut(path.as_ref()) {
                match f.added_lines.last_mut() {
                    Some(r) if r.end + 1 == n => r.end = n,
                    _ => f.added_lines.push(LineRange { start: n, end: n }),
                }
            }
            true
        }),
    )?;
    Ok(files.into_values().collect())
}
