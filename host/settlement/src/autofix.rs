//! The prepare phase's autofix: fixers (`lint-fix`, `format-fix`, any gate returning
//! `fixes`) run on the attempt's worktree, and the host keeps only what they changed on the
//! task's own lines, then commits the result on the attempt branch.
//!
//! Why scoped: a formatter rewrites whole files. A task that edits three lines of a badly
//! formatted module must not land a reformat of the module (a reviewer could no longer see
//! the task's change, and every other branch touching the module would conflict). So, after
//! each fixer, every file that differs from the commit under review is judged:
//!
//! - a file the task did not change (or deleted) goes back to its committed content; a file
//!   the fixer created is removed;
//! - a file new in the task keeps the fixed text whole;
//! - a file that existed at base keeps a fixed hunk only where it overlaps lines the task
//!   changed ([`scoped_merge`]); everything else reverts to the worker's text. A changed
//!   line inside an import block counts the whole block as changed
//!   ([`crate::import_block`]), so an import sorter's rewrite of it is kept whole;
//! - a fixer that fails or errors has all its edits reverted (policy decides whether that
//!   rejects the attempt).
//!
//! The merge is always against the worker's text at the commit and the task's changed lines
//! (new-side lines of `diff(base, commit)`), so fixers compose: a later fixer sees the kept
//! result of the earlier ones and is scoped by the same rule. Changes are read from committed
//! trees, never from the index, so what the worker `git add`-ed is as visible as the rest (the
//! original diffed the working tree against the index and skipped staged files).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use dgov_git::Oid;
use dgov_plugin_host::bindings::{ChangeKind, ChangedFile, Fix, GateContext, TextEdit};
use git2::{Repository, Status, StatusOptions};
use serde::Serialize;

use crate::gates::{GateCall, GateRun, GateVerdict, Gates};
use crate::pipeline::GateProgress;
use crate::policy::GateEntry;

/// What the prepare phase did, as the settlement outcome records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Autofix {
    /// Files whose fixed text was committed.
    pub files: Vec<String>,
    /// The follow-up commit on the attempt branch (`dgov: autofix <task>`).
    pub commit: String,
}

/// A failure of the autofix machinery itself (not of a fixer).
#[derive(Debug, thiserror::Error)]
pub enum AutofixError {
    #[error("{what}: {source}")]
    Git { what: String, source: git2::Error },
    #[error("{0}")]
    Restore(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    State(String),
}

fn git(what: impl Into<String>) -> impl FnOnce(git2::Error) -> AutofixError {
    let what = what.into();
    move |source| AutofixError::Git { what, source }
}

// ---------------------------------------------------------------------------------------
// The scoped merge (pure).

/// Split `text` into lines, each keeping its `\n` (the last may lack one), the way git
/// numbers them.
fn split_lines(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|b| *b == b'\n').collect()
}

/// One difference between two texts, as 0-based line indices: `old_len` lines of the old
/// text at `old` became `new_len` lines of the new text at `new` (a length of 0 is a pure
/// insertion before `old` / a pure deletion).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hunk {
    old: usize,
    old_len: usize,
    new: usize,
    new_len: usize,
}

/// The line differences of `old` → `new` (git's diff, no context), or `None` for binary
/// content.
fn hunks(old: &[u8], new: &[u8]) -> Option<Vec<Hunk>> {
    let mut opts = git2::DiffOptions::new();
    opts.context_lines(0).interhunk_lines(0);
    let patch = git2::Patch::from_buffers(old, None, new, None, Some(&mut opts)).ok()?;
    if patch.delta().flags().is_binary() {
        return None;
    }
    // git numbers a pure insertion by the line it follows and other hunks by their first
    // line (1-based); both map to the 0-based index where the hunk starts.
    let start = |s: u32, n: u32| {
        if n == 0 {
            s as usize
        } else {
            (s as usize).saturating_sub(1)
        }
    };
    let mut out = Vec::new();
    for i in 0..patch.num_hunks() {
        let (h, _) = patch.hunk(i).ok()?;
        out.push(Hunk {
            old: start(h.old_start(), h.old_lines()),
            old_len: h.old_lines() as usize,
            new: start(h.new_start(), h.new_lines()),
            new_len: h.new_lines() as usize,
        });
    }
    Some(out)
}

/// The worker's text with the fixer's changes kept only where they overlap `changed` (1-based
/// lines of `worker` the task added or modified):
///
/// - unchanged regions are common to both;
/// - a replaced or deleted range takes the fixed version iff any of its worker lines was
///   changed by the task;
/// - a pure insertion is kept iff the line at the insertion point or the line before it was
///   changed by the task;
/// - everything else stays the worker's, so pre-existing style elsewhere is preserved.
///
/// Binary content (or a diff that does not line up) keeps the worker's text.
pub fn scoped_merge(worker: &[u8], fixed: &[u8], changed: &BTreeSet<u32>) -> Vec<u8> {
    if worker == fixed {
        return worker.to_vec();
    }
    let Some(hunks) = hunks(worker, fixed) else {
        return worker.to_vec();
    };
    let old = split_lines(worker);
    let new = split_lines(fixed);
    let in_bounds = hunks
        .iter()
        .all(|h| h.old + h.old_len <= old.len() && h.new + h.new_len <= new.len())
        && hunks
            .windows(2)
            .all(|w| w[0].old + w[0].old_len <= w[1].old);
    if !in_bounds {
        return worker.to_vec();
    }
    let was_changed = |i: usize| u32::try_from(i).is_ok_and(|n| changed.contains(&n));
    let mut out = Vec::with_capacity(worker.len().max(fixed.len()));
    let mut at = 0;
    for h in hunks {
        old[at..h.old].iter().for_each(|l| out.extend_from_slice(l));
        let take = if h.old_len > 0 {
            (h.old..h.old + h.old_len).any(|i| was_changed(i + 1))
        } else {
            // Inserted before 0-based line `h.old`: that line is `h.old + 1`, the one before
            // it `h.old` (1-based).
            was_changed(h.old + 1) || was_changed(h.old)
        };
        let lines = if take {
            &new[h.new..h.new + h.new_len]
        } else {
            &old[h.old..h.old + h.old_len]
        };
        lines.iter().for_each(|l| out.extend_from_slice(l));
        at = h.old + h.old_len;
    }
    old[at..].iter().for_each(|l| out.extend_from_slice(l));
    out
}

/// Apply a gate's text edits to `text`. Each edit replaces lines `start..=end` (1-based);
/// `end = start - 1` inserts before `start`. A replacement without a final newline gets one
/// when lines follow it (or the replaced line had one). Overlapping or out-of-range edits are
/// refused.
pub fn apply_edits(text: &[u8], edits: &[&TextEdit]) -> Result<Vec<u8>, String> {
    let lines = split_lines(text);
    let n = lines.len();
    let mut sorted = edits.to_vec();
    sorted.sort_by_key(|e| (e.start_line, e.end_line));
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0usize;
    for e in sorted {
        let (s, end) = (e.start_line as usize, e.end_line as usize);
        if s == 0 || end + 1 < s || end > n {
            return Err(format!(
                "edit of lines {s}..={end} is outside the file's {n} lines"
            ));
        }
        if s - 1 < at {
            return Err(format!("edit of lines {s}..={end} overlaps another edit"));
        }
        lines[at..s - 1]
            .iter()
            .for_each(|l| out.extend_from_slice(l));
        if !e.replacement.is_empty() {
            if !out.is_empty() && !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            out.extend_from_slice(e.replacement.as_bytes());
            let had_newline = end >= s && lines[end - 1].ends_with(b"\n");
            if !out.ends_with(b"\n") && (end < n || had_newline) {
                out.push(b'\n');
            }
        }
        at = end;
    }
    for l in &lines[at..] {
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        out.extend_from_slice(l);
    }
    Ok(out)
}

/// A fix path a gate returned, if it is a plain relative path inside the tree.
fn safe_path(path: &str) -> Option<&str> {
    let p = Path::new(path);
    let plain = !path.is_empty()
        && !path.contains('\\')
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    plain.then_some(path)
}

// ---------------------------------------------------------------------------------------
// The session over a worktree.

/// One file of the task, as fixes are scoped to it.
#[derive(Debug, Clone)]
struct TaskFile {
    /// New in the task (absent at base): fixes apply to the whole file.
    added: bool,
    /// Lines (1-based, of the commit's text) the task added or changed.
    lines: BTreeSet<u32>,
}

/// What one fixer's run did to the tree.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GateEffect {
    /// Files whose content this fixer changed and the scoping kept (wholly or partly).
    pub fixed: Vec<String>,
    /// Files the fixer changed that were put back (outside the task, or a failing fixer).
    pub reverted: Vec<String>,
    /// Returned fixes that were not applied, with why.
    pub ignored: Vec<String>,
}

/// The prepare phase's state over one attempt worktree, clean at the commit under review.
pub struct Session {
    worktree: PathBuf,
    commit: Oid,
    task: BTreeMap<String, TaskFile>,
    /// The content of each file that differs from the commit and that scoping kept.
    kept: BTreeMap<String, Vec<u8>>,
}

fn open(worktree: &Path) -> Result<Repository, AutofixError> {
    Repository::open(worktree).map_err(git(format!("opening {}", worktree.display())))
}

/// Paths of the worktree that differ from HEAD (untracked included, ignored and dgov's
/// generated files excluded).
fn dirty(repo: &Repository) -> Result<BTreeSet<String>, AutofixError> {
    let mut o = StatusOptions::new();
    o.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .renames_head_to_index(false)
        .renames_index_to_workdir(false);
    let statuses = repo
        .statuses(Some(&mut o))
        .map_err(git("reading the worktree status"))?;
    Ok(statuses
        .iter()
        .filter(|e| e.status() != Status::CURRENT && !e.status().contains(Status::IGNORED))
        .map(|e| String::from_utf8_lossy(e.path_bytes()).into_owned())
        .filter(|p| !dgov_git::is_generated_path(p))
        .collect())
}

fn committed(repo: &Repository, commit: Oid, path: &str) -> Result<Option<Vec<u8>>, AutofixError> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(git(format!("reading commit {commit}")))?;
    let Ok(entry) = tree.get_path(Path::new(path)) else {
        return Ok(None);
    };
    let blob = entry
        .to_object(repo)
        .and_then(|o| o.peel_to_blob())
        .map_err(git(format!("reading {path} at {commit}")))?;
    Ok(Some(blob.content().to_vec()))
}

impl Session {
    /// Start a session on `worktree`, which must be clean at `commit`; `changed` is
    /// `diff(base, commit)`.
    pub fn begin(
        worktree: &Path,
        commit: Oid,
        changed: &[ChangedFile],
    ) -> Result<Session, AutofixError> {
        let repo = open(worktree)?;
        let head =
            repo.head().ok().and_then(|h| h.target()).ok_or_else(|| {
                AutofixError::State(format!("{} has no HEAD", worktree.display()))
            })?;
        if head != commit {
            return Err(AutofixError::State(format!(
                "the worktree {} is at {head}, not at the commit under review {commit}; the prepare phase only fixes the commit it judges",
                worktree.display()
            )));
        }
        let pending = dirty(&repo)?;
        if !pending.is_empty() {
            return Err(AutofixError::State(format!(
                "the worktree {} has uncommitted changes ({}); the prepare phase needs it clean at the commit under review",
                worktree.display(),
                pending.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        let task = changed
            .iter()
            .filter(|f| f.kind != ChangeKind::Deleted)
            .map(|f| {
                let lines = f.added_lines.iter().flat_map(|r| r.start..=r.end).collect();
                let file = TaskFile {
                    added: f.kind == ChangeKind::Added,
                    lines,
                };
                (f.path.clone(), file)
            })
            .collect();
        Ok(Session {
            worktree: worktree.to_path_buf(),
            commit,
            task,
            kept: BTreeMap::new(),
        })
    }

    /// Files the fixers changed so far (and the scoping kept).
    pub fn files(&self) -> Vec<String> {
        self.kept.keys().cloned().collect()
    }

    /// The on-disk content of `path`, `None` when missing or not a regular file.
    fn disk(&self, path: &str) -> Option<Vec<u8>> {
        let p = self.worktree.join(path);
        let meta = std::fs::symlink_metadata(&p).ok()?;
        if !meta.is_file() {
            return None;
        }
        std::fs::read(p).ok()
    }

    fn write(&self, path: &str, content: &[u8]) -> Result<(), AutofixError> {
        let p = self.worktree.join(path);
        std::fs::write(&p, content).map_err(|source| AutofixError::Io {
            path: path.into(),
            source,
        })
    }

    /// Put `paths` back to their committed content (removing files absent from the commit).
    fn restore(&self, repo: &Repository, paths: &[String]) -> Result<(), AutofixError> {
        dgov_git::restore_paths(repo, paths).map_err(|e| AutofixError::Restore(e.to_string()))
    }

    /// `fixed` scoped to the task's lines of `path` (a task file).
    fn scope(
        &self,
        repo: &Repository,
        path: &str,
        fixed: Vec<u8>,
    ) -> Result<Vec<u8>, AutofixError> {
        let file = &self.task[path];
        if file.added {
            return Ok(fixed);
        }
        let worker = committed(repo, self.commit, path)?.unwrap_or_default();
        // An import sorter rewrites the whole block: a task that changed one import owns it.
        // (Scoping a sorter's rewrite line by line can duplicate imports.)
        let lines = crate::import_block::widen(path, &worker, &file.lines);
        Ok(scoped_merge(&worker, &fixed, &lines))
    }

    /// Make `path` hold `content`, recording it as kept unless it is the committed text.
    fn settle_file(
        &mut self,
        repo: &Repository,
        path: &str,
        content: Vec<u8>,
    ) -> Result<(), AutofixError> {
        if self.disk(path).as_deref() != Some(content.as_slice()) {
            self.write(path, &content)?;
        }
        if committed(repo, self.commit, path)?.as_deref() == Some(content.as_slice()) {
            self.kept.remove(path);
        } else {
            self.kept.insert(path.to_string(), content);
        }
        Ok(())
    }

    /// Judge what the last fixer did: `accepted` = it passed (or warned or skipped); a
    /// failing or erroring fixer has all its edits reverted. `fixes` are the gate's returned
    /// fixes, applied with the same scoping.
    pub fn after_gate(
        &mut self,
        accepted: bool,
        fixes: &[Fix],
    ) -> Result<GateEffect, AutofixError> {
        let repo = open(&self.worktree)?;
        let mut touched = dirty(&repo)?;
        touched.extend(self.kept.keys().cloned());
        let mut effect = GateEffect::default();
        let mut restore = Vec::new();
        for path in touched {
            let disk = self.disk(&path);
            let before = self.kept.get(&path).cloned();
            match &before {
                Some(k) if disk.as_ref() == Some(k) => continue,
                // Same content but still dirty (e.g. a changed file mode): put it back
                // quietly, so the commit carries nothing but kept fixes.
                None if disk.is_some() && disk == committed(&repo, self.commit, &path)? => {
                    restore.push(path);
                    continue;
                }
                _ => {}
            }
            let keep = accepted && self.task.contains_key(&path);
            match (keep, disk) {
                (true, Some(fixed)) => {
                    let merged = self.scope(&repo, &path, fixed.clone())?;
                    if merged != fixed {
                        effect.reverted.push(path.clone());
                    }
                    let was = before.clone();
                    self.settle_file(&repo, &path, merged)?;
                    if self.kept.get(&path) != was.as_ref() {
                        effect.fixed.push(path);
                    }
                }
                // Outside the task, deleted by the fixer, or a failing fixer: back to what
                // the earlier fixers left.
                _ => {
                    effect.reverted.push(path.clone());
                    match before {
                        Some(k) => self.write(&path, &k)?,
                        None => restore.push(path),
                    }
                }
            }
        }
        self.restore(&repo, &restore)?;
        if accepted {
            self.apply_fixes(&repo, fixes, &mut effect)?;
        } else if !fixes.is_empty() {
            effect
                .ignored
                .push(format!("{} fix(es) of a failing gate", fixes.len()));
        }
        effect.fixed.sort();
        effect.fixed.dedup();
        Ok(effect)
    }

    fn apply_fixes(
        &mut self,
        repo: &Repository,
        fixes: &[Fix],
        effect: &mut GateEffect,
    ) -> Result<(), AutofixError> {
        // Edits are grouped per file so line numbers refer to one text.
        let mut wanted: BTreeMap<String, Result<Vec<u8>, String>> = BTreeMap::new();
        let mut edits: BTreeMap<&str, Vec<&TextEdit>> = BTreeMap::new();
        for fix in fixes {
            match fix {
                Fix::Edits(list) => {
                    for e in list {
                        edits.entry(e.path.as_str()).or_default().push(e);
                    }
                }
                Fix::ReplaceFile(f) => {
                    wanted.insert(f.path.clone(), Ok(f.content.clone()));
                }
            }
        }
        for (path, list) in edits {
            let current = match self.kept.get(path) {
                Some(k) => Some(k.clone()),
                None if safe_path(path).is_some() => committed(repo, self.commit, path)?,
                None => None,
            };
            let text = current.map_or_else(
                || Err("no such file".to_string()),
                |t| apply_edits(&t, &list),
            );
            wanted.insert(path.to_string(), text);
        }
        for (path, text) in wanted {
            let why = if safe_path(&path).is_none() {
                Some("not a relative path inside the tree".to_string())
            } else if !self.task.contains_key(&path) {
                Some("not a file this task changed".to_string())
            } else if std::fs::symlink_metadata(self.worktree.join(&path))
                .is_ok_and(|m| !m.is_file())
            {
                Some("not a regular file".to_string())
            } else {
                text.as_ref().err().cloned()
            };
            if let Some(why) = why {
                effect.ignored.push(format!("{path}: {why}"));
                continue;
            }
            let Ok(fixed) = text else { continue };
            let was = self.kept.get(&path).cloned();
            let merged = self.scope(repo, &path, fixed)?;
            self.settle_file(repo, &path, merged)?;
            if self.kept.get(&path) != was.as_ref() {
                effect.fixed.push(path);
            }
        }
        Ok(())
    }

    /// Undo every fix (the attempt is rejected: leave the worktree at the commit).
    pub fn abandon(&mut self) -> Result<(), AutofixError> {
        let repo = open(&self.worktree)?;
        let mut paths: BTreeSet<String> = dirty(&repo)?;
        paths.extend(self.kept.keys().cloned());
        self.restore(&repo, &paths.into_iter().collect::<Vec<_>>())?;
        self.kept.clear();
        Ok(())
    }

    /// Commit the kept fixes on the attempt branch as `dgov: autofix <task>`; `None` when
    /// nothing was kept.
    pub fn commit(&self, task: &str) -> Result<Option<Oid>, AutofixError> {
        if self.kept.is_empty() {
            return Ok(None);
        }
        dgov_git::commit_worktree(&self.worktree, &format!("dgov: autofix {task}"))
            .map_err(|e| AutofixError::State(e.to_string()))
    }
}

// ---------------------------------------------------------------------------------------
// The phase.

/// The prepare phase's result.
pub(crate) struct Prepared {
    pub runs: Vec<GateRun>,
    /// A run blocked (its edits, and all earlier ones, were undone).
    pub blocking: bool,
    pub effects: Vec<(String, GateEffect)>,
    pub autofix: Option<Autofix>,
}

/// Run the prepare phase's `entries` one after another on `call.root` (the attempt
/// worktree, clean at `commit`), scoping each fixer's changes, and commit what was kept.
pub(crate) async fn run_phase(
    gates: &Gates,
    entries: &[GateEntry],
    ctx: &GateContext,
    call: &GateCall<'_>,
    commit: Oid,
    task: &str,
    observe: &(dyn Fn(GateProgress<'_>) + Sync),
) -> Result<Prepared, AutofixError> {
    let mut session = Session::begin(call.root, commit, &ctx.changed)?;
    let mut out = Prepared {
        runs: Vec::new(),
        blocking: false,
        effects: Vec::new(),
        autofix: None,
    };
    let phase = crate::PhaseName::Prepare.as_str();
    for entry in entries {
        observe(GateProgress::Started {
            phase,
            gate: &entry.gate,
        });
        let mut run = gates.run(entry, ctx.clone(), call).await;
        observe(GateProgress::Finished { phase, run: &run });
        let accepted = matches!(
            run.verdict,
            GateVerdict::Pass | GateVerdict::Warn | GateVerdict::Skip
        );
        let fixes = std::mem::take(&mut run.fixes);
        let effect = session.after_gate(accepted, &fixes)?;
        out.effects.push((entry.gate.clone(), effect));
        let stop = run.blocking;
        out.runs.push(run);
        if stop {
            session.abandon()?;
            out.blocking = true;
            return Ok(out);
        }
    }
    if let Some(c) = session.commit(task)? {
        out.autofix = Some(Autofix {
            files: session.files(),
            commit: c.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(worker: &str, fixed: &str, changed: &[u32]) -> String {
        let set = changed.iter().copied().collect();
        String::from_utf8(scoped_merge(worker.as_bytes(), fixed.as_bytes(), &set)).unwrap()
    }

    #[test]
    fn equal_text_is_kept_and_fixes_on_changed_lines_are_taken() {
        let worker = "a\nB  \nc\n";
        let fixed = "a\nB\nc\n";
        assert_eq!(merge(worker, fixed, &[2]), "a\nB\nc\n");
        assert_eq!(merge(worker, worker, &[2]), worker);
    }

    #[test]
    fn pre_existing_bad_style_outside_the_tasks_lines_is_preserved() {
        // Line 1 was badly formatted before the task; the task changed line 3 only.
        let worker = "x  =  1\ny = 2\nz  =  3\n";
        let fixed = "x = 1\ny = 2\nz = 3\n";
        assert_eq!(merge(worker, fixed, &[3]), "x  =  1\ny = 2\nz = 3\n");
        // Nothing changed by the task: everything reverts.
        assert_eq!(merge(worker, fixed, &[]), worker);
    }

    #[test]
    fn a_replaced_range_is_taken_iff_any_of_its_lines_was_changed() {
        // The fixer joins lines 2-3 into one and strips line 5; the task changed line 3 only.
        let worker = "a\nf(1,\n  2)\nmid\nb  \n";
        let fixed = "a\nf(1, 2)\nmid\nb\n";
        assert_eq!(merge(worker, fixed, &[3]), "a\nf(1, 2)\nmid\nb  \n");
        assert_eq!(merge(worker, fixed, &[5]), "a\nf(1,\n  2)\nmid\nb\n");
        // Adjacent changes form one range: it is taken as a whole.
        let (worker, fixed) = ("a\nf(1,\n  2)\nb  \n", "a\nf(1, 2)\nb\n");
        assert_eq!(merge(worker, fixed, &[4]), fixed);
    }

    #[test]
    fn deletions_follow_the_changed_lines() {
        // The fixer removes a blank line it considers extra, in two places.
        let worker = "a\n\n\nb\nc\n\n\nd\n";
        let fixed = "a\n\nb\nc\n\nd\n";
        // The task added the second blank run (lines 6-7): only that deletion is kept.
        let got = merge(worker, fixed, &[6, 7]);
        assert_eq!(got, "a\n\n\nb\nc\n\nd\n");
        // Deleting a line the task did not touch reverts.
        assert_eq!(merge("a\nunused\nb\n", "a\nb\n", &[1]), "a\nunused\nb\n");
        assert_eq!(merge("a\nunused\nb\n", "a\nb\n", &[2]), "a\nb\n");
    }

    #[test]
    fn insertions_are_kept_at_or_just_after_changed_lines() {
        let worker = "a\nb\nc\nd\n";
        // The fixer inserts a blank line before `c` (between lines 2 and 3).
        let fixed = "a\nb\n\nc\nd\n";
        // The insertion point (line 3) was changed.
        assert_eq!(merge(worker, fixed, &[3]), fixed);
        // The line before it (line 2) was changed.
        assert_eq!(merge(worker, fixed, &[2]), fixed);
        // Only line 1 / line 4: not kept.
        assert_eq!(merge(worker, fixed, &[1, 4]), worker);
        // Insertions at the very start and end.
        assert_eq!(merge("a\n", "#!\na\n", &[1]), "#!\na\n");
        assert_eq!(merge("a\nb", "a\nb\n", &[2]), "a\nb\n");
        assert_eq!(merge("a\nb", "a\nb\n", &[1]), "a\nb");
        assert_eq!(merge("a\nb\n", "a\nb\nc\n", &[2]), "a\nb\nc\n");
        assert_eq!(merge("a\nb\n", "a\nb\nc\n", &[1]), "a\nb\n");
    }

    #[test]
    fn binary_content_keeps_the_workers_text() {
        let worker = b"a\0b\nc\n".to_vec();
        let fixed = b"a\0b\nC\n".to_vec();
        let all = (1..=2).collect();
        assert_eq!(scoped_merge(&worker, &fixed, &all), worker);
    }

    fn edit(start: u32, end: u32, replacement: &str) -> TextEdit {
        TextEdit {
            path: "f".into(),
            start_line: start,
            end_line: end,
            replacement: replacement.into(),
        }
    }

    #[test]
    fn text_edits_replace_insert_and_delete_lines() {
        let text = b"a\nb\nc\n";
        let apply = |edits: &[TextEdit]| {
            let refs: Vec<&TextEdit> = edits.iter().collect();
            apply_edits(text, &refs).map(|v| String::from_utf8(v).unwrap())
        };
        assert_eq!(apply(&[edit(2, 2, "B")]).unwrap(), "a\nB\nc\n");
        assert_eq!(apply(&[edit(2, 1, "x\n")]).unwrap(), "a\nx\nb\nc\n");
        assert_eq!(apply(&[edit(2, 3, "")]).unwrap(), "a\n");
        assert_eq!(apply(&[edit(4, 3, "d")]).unwrap(), "a\nb\nc\nd");
        assert_eq!(
            apply(&[edit(3, 3, "C\n"), edit(1, 1, "A\n")]).unwrap(),
            "A\nb\nC\n"
        );
        assert!(apply(&[edit(1, 2, "x"), edit(2, 2, "y")]).is_err());
        assert!(apply(&[edit(0, 0, "x")]).is_err());
        assert!(apply(&[edit(3, 5, "x")]).is_err());
    }

    #[test]
    fn fix_paths_must_stay_inside_the_tree() {
        assert_eq!(safe_path("src/a.py"), Some("src/a.py"));
        for bad in ["", "../x", "/etc/passwd", "a/../../b", "./a", "a\\b"] {
            assert_eq!(safe_path(bad), None, "{bad}");
        }
    }
}
