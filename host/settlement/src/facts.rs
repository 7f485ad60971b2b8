//! The semantic gate's input: symbol facts of every file the task or the target changed
//! since the task's base, at base, task, target and candidate, extracted natively with
//! `dgov-syntax` (tree-sitter cannot run inside the sandbox; the comparison logic stays in
//! the `semantic-gate` plugin).
//!
//! Cost matters here (budget: 20 ms for a 2,000-line file at four versions), so:
//! - only symbols and syntax errors are extracted ([`dgov_syntax::SymbolsDoc`]), not the
//!   full facts other analyses need;
//! - the versions other than the base are edits of it: they are re-extracted from the base
//!   by re-parsing only the top-level items the edit touched;
//! - the base goes to the plugin in full, the other versions as a delta against it (runs of
//!   base symbols, shifted by a line count, and the symbols that differ), which keeps the
//!   JSON the sandbox must parse close to one version's size.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use dgov_git::Oid;
use dgov_syntax::{SymbolFacts, SymbolsDoc};
use git2::Repository;
use serde_json::{Value, json};

/// The four versions the semantic gate compares.
#[derive(Debug, Clone, Copy)]
pub struct Versions {
    pub base: Oid,
    pub task: Oid,
    pub target: Oid,
    pub candidate: Oid,
}

/// Documents by (blob id, path): a blob parses the same every time, so the base and target
/// versions shared by many tasks of a run, and every rerun, are parsed once per process.
/// `None` = the blob has no grammar or could not be parsed.
type Doc = Option<Arc<SymbolsDoc>>;
static FACTS: Mutex<Option<HashMap<(Oid, String), Doc>>> = Mutex::new(None);
const FACTS_CAP: usize = 4096;

/// The blob id of `path` at `commit`, read from the tree alone (the content is read only
/// when the blob is not cached).
fn blob_id(repo: &Repository, commit: Oid, path: &str) -> Option<Oid> {
    let tree = repo.find_commit(commit).ok()?.tree().ok()?;
    let entry = tree.get_path(std::path::Path::new(path)).ok()?;
    (entry.kind() == Some(git2::ObjectType::Blob)).then(|| entry.id())
}

fn content(repo: &Repository, id: Oid) -> Option<Vec<u8>> {
    Some(repo.find_blob(id).ok()?.content().to_vec())
}

fn cached(key: &(Oid, String)) -> Option<Doc> {
    let g = FACTS.lock().unwrap_or_else(|e| e.into_inner());
    g.as_ref().and_then(|m| m.get(key).cloned())
}

fn remember(key: (Oid, String), doc: &Doc) {
    let mut g = FACTS.lock().unwrap_or_else(|e| e.into_inner());
    let m = g.get_or_insert_with(HashMap::new);
    if m.len() >= FACTS_CAP {
        m.clear();
    }
    m.insert(key, doc.clone());
}

/// The document of `path` at each commit (`None` where the file does not exist or does not
/// parse). A version not seen before is re-extracted from the closest version already at
/// hand (the candidate is nearer the target, with one side's edit, than the base, with
/// both), or parsed in full when there is none.
fn versions(repo: &Repository, commits: &[Oid], path: &str) -> Vec<Doc> {
    let ids: Vec<Option<Oid>> = commits.iter().map(|c| blob_id(repo, *c, path)).collect();
    let mut docs: Vec<Option<Doc>> = ids
        .iter()
        .map(|id| match id {
            None => Some(None),
            Some(id) => cached(&(*id, path.to_string())),
        })
        .collect();
    if docs.iter().all(Option::is_some) {
        return docs.into_iter().flatten().collect();
    }
    // Something to parse: every version's text is needed, as input or as an edit's anchor.
    let texts: Vec<Option<Vec<u8>>> = ids.iter().map(|id| content(repo, (*id)?)).collect();
    let mut known: Vec<(&[u8], Arc<SymbolsDoc>)> = Vec::new();
    for i in 0..ids.len() {
        let (Some(id), Some(bytes)) = (ids[i], &texts[i]) else {
            docs[i] = Some(None);
            continue;
        };
        let doc = match docs[i].take() {
            Some(doc) => doc,
            None => {
                let closest = known.iter().min_by_key(|(old, _)| changed_span(old, bytes));
                let doc = match closest {
                    Some((old, anchor)) => anchor.edited(path, old, bytes),
                    None => SymbolsDoc::parse(path, bytes),
                }
                .ok()
                .map(Arc::new);
                remember((id, path.to_string()), &doc);
                doc
            }
        };
        if let Some(d) = &doc {
            known.push((bytes, d.clone()));
        }
        docs[i] = Some(doc);
    }
    docs.into_iter().map(Option::flatten).collect()
}

/// Bytes between the common prefix and the common suffix of `a` and `b`, on both sides.
fn changed_span(a: &[u8], b: &[u8]) -> usize {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let room = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    a.len() + b.len() - 2 * (prefix + suffix)
}

/// One symbol as a JSON array of its fields in declaration order, which serde reads back
/// as the struct: half the bytes of the keyed form, and quicker to build and to parse.
fn symbol(s: &SymbolFacts) -> Value {
    json!([
        s.name,
        s.kind,
        s.start_line,
        s.end_line,
        s.signature,
        s.body_hash,
        s.public,
        s.calls
    ])
}

/// A version in full: `{symbols, syntax_errors}`.
fn full(doc: &SymbolsDoc) -> Value {
    let symbols: Vec<Value> = doc.facts.symbols.iter().map(symbol).collect();
    json!({"symbols": symbols, "syntax_errors": doc.facts.syntax_errors})
}

/// Equal but for position.
fn same_symbol(a: &SymbolFacts, b: &SymbolFacts) -> bool {
    a.name == b.name
        && a.kind == b.kind
        && a.signature == b.signature
        && a.body_hash == b.body_hash
        && a.public == b.public
        && a.calls == b.calls
}

/// `doc` as a delta against `base` (see the semantic-gate plugin's `WireVersion::delta`): a
/// run `[from, to, shift]` stands for base symbols `from..to` with their lines moved by
/// `shift`; a symbol with no position-independent equal in the base is sent as is.
fn delta(base: &SymbolsDoc, doc: &SymbolsDoc) -> Value {
    let (b, v) = (&base.facts.symbols, &doc.facts.symbols);
    // Base symbols by (name, occurrence), the identity the plugin compares by.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut index: HashMap<(&str, usize), usize> = HashMap::new();
    for (i, s) in b.iter().enumerate() {
        let n = seen.entry(&s.name).or_default();
        index.insert((&s.name, *n), i);
        *n += 1;
    }
    seen.clear();
    let mut pieces = Vec::new();
    let mut run: Option<(usize, usize, i64)> = None;
    for s in v {
        let n = seen.entry(&s.name).or_default();
        let found = index.get(&(s.name.as_str(), *n)).copied();
        *n += 1;
        let shift = found.and_then(|i| {
            let old = &b[i];
            let d = i64::from(s.start_line) - i64::from(old.start_line);
            (same_symbol(old, s) && i64::from(s.end_line) - i64::from(old.end_line) == d)
                .then_some((i, d))
        });
        match (shift, &mut run) {
            (Some((i, d)), Some((_, to, rd))) if *to == i && *rd == d => *to += 1,
            (Some((i, d)), _) => {
                if let Some(r) = run.take() {
                    pieces.push(json!({"run": [r.0, r.1, r.2]}));
                }
                run = Some((i, i + 1, d));
            }
            (None, _) => {
                if let Some(r) = run.take() {
                    pieces.push(json!({"run": [r.0, r.1, r.2]}));
                }
                pieces.push(json!({"symbol": symbol(s)}));
            }
        }
    }
    if let Some(r) = run {
        pieces.push(json!({"run": [r.0, r.1, r.2]}));
    }
    json!({"delta": pieces, "syntax_errors": doc.facts.syntax_errors})
}

/// A non-base version for the plugin: a delta when the base parsed, else in full.
fn encode(base: &Doc, doc: &Doc) -> Value {
    match (base, doc) {
        (_, None) => Value::Null,
        (Some(b), Some(d)) => delta(b, d),
        (None, Some(d)) => full(d),
    }
}

/// The gate configuration for `task_changed` and `target_changed` paths.
pub fn semantic_input(
    repo: &Repository,
    v: Versions,
    task_changed: &[String],
    target_changed: &[String],
) -> Value {
    let all: BTreeSet<&String> = task_changed.iter().chain(target_changed).collect();
    let mut files = Vec::new();
    for path in all {
        if dgov_syntax::Language::from_path(path).is_none() {
            continue;
        }
        let t = task_changed.contains(path);
        let g = target_changed.contains(path);
        // Only the versions that can differ are read: an unchanged side is the base, and
        // the candidate equals the only side that changed the file.
        let mut commits = vec![v.base];
        if t {
            commits.push(v.task);
        }
        if g {
            commits.push(v.target);
        }
        let both = t && g && v.candidate != v.task;
        if both {
            commits.push(v.candidate);
        }
        let mut got = versions(repo, &commits, path).into_iter();
        let base = got.next().flatten();
        let task = if t {
            got.next().flatten()
        } else {
            base.clone()
        };
        let target = if g {
            got.next().flatten()
        } else {
            base.clone()
        };
        let candidate = if both {
            got.next().flatten()
        } else if t {
            task.clone()
        } else {
            target.clone()
        };
        files.push(json!({
            "path": path,
            "base": base.as_deref().map_or(Value::Null, full),
            "task": encode(&base, &task),
            "target": encode(&base, &target),
            "candidate": encode(&base, &candidate),
            "task_changed": t,
            "target_changed": g,
        }));
    }
    json!({"files": files})
}

/// Forget every cached fact (benchmarks measure cold extraction with it).
pub fn clear_cache() {
    *FACTS.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use semantic_gate::{FileInput, Version, WireInput};

    /// A commit of `files` (path, text) on top of `parent`.
    fn commit(repo: &Repository, files: &[(&str, &str)], parent: Option<Oid>) -> Oid {
        let mut tb = repo.treebuilder(None).unwrap();
        for (path, text) in files {
            let blob = repo.blob(text.as_bytes()).unwrap();
            tb.insert(*path, blob, 0o100644).unwrap();
        }
        let tree = repo.find_tree(tb.write().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@t").unwrap();
        let parents: Vec<git2::Commit<'_>> = parent
            .iter()
            .map(|p| repo.find_commit(*p).unwrap())
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repo.commit(None, &sig, &sig, "c", &tree, &parents).unwrap()
    }

    fn full_facts(path: &str, text: Option<&str>) -> Option<Version> {
        let f = dgov_syntax::parse_file(path, text?.as_bytes()).ok()?;
        Some(Version {
            symbols: f.symbols,
            syntax_errors: f.syntax_errors,
        })
    }

    fn functions(n: usize, edit: Option<(usize, &str)>) -> String {
        (0..n)
            .map(|i| match edit {
                Some((j, body)) if i == j => format!("def f{i}(a):\n    return {body}\n\n"),
                _ => format!("def f{i}(a):\n    return a + {i}\n\n"),
            })
            .collect()
    }

    #[test]
    fn the_compact_input_expands_to_the_full_facts_of_every_version() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let base_py = functions(40, None);
        let task_py = format!("import os\n\n{}", functions(40, Some((3, "a * 2"))));
        let target_py = functions(40, Some((30, "f3(a) + 1\n\ndef extra(b):\n    return b")));
        let cand_py = format!("import os\n\n{target_py}").replace("return a + 3", "return a * 2");
        let broken_rs = "fn ok() {}\nfn broken( {\n";
        let added = "def new(a):\n    return a\n";
        let base = commit(&repo, &[("m.py", &base_py), ("r.rs", "fn ok() {}\n")], None);
        let task = commit(
            &repo,
            &[("m.py", &task_py), ("r.rs", broken_rs), ("n.py", added)],
            Some(base),
        );
        let target = commit(
            &repo,
            &[
                ("m.py", &target_py),
                ("r.rs", "fn ok() {}\n"),
                ("n.py", added),
            ],
            Some(base),
        );
        let candidate = commit(
            &repo,
            &[("m.py", &cand_py), ("r.rs", broken_rs), ("n.py", added)],
            Some(target),
        );
        let v = Versions {
            base,
            task,
            target,
            candidate,
        };
        let changed: Vec<String> = ["m.py", "n.py", "r.rs"].map(String::from).to_vec();
        for _ in 0..2 {
            // The second round reads every version from the cache.
            let value = semantic_input(&repo, v, &changed, &["m.py".into(), "n.py".into()]);
            let compact = value.to_string().len();
            let input = serde_json::from_value::<WireInput>(value)
                .unwrap()
                .expand()
                .unwrap();
            let expected = [
                (
                    "m.py",
                    Some(&*base_py),
                    &*task_py,
                    &*target_py,
                    &*cand_py,
                    true,
                ),
                ("n.py", None, added, added, added, true),
                (
                    "r.rs",
                    Some("fn ok() {}\n"),
                    broken_rs,
                    "fn ok() {}\n",
                    broken_rs,
                    false,
                ),
            ];
            assert_eq!(input.files.len(), expected.len());
            for (got, (path, b, t, g, c, target_changed)) in input.files.iter().zip(expected) {
                let want = FileInput {
                    path: path.into(),
                    base: full_facts(path, b),
                    task: full_facts(path, Some(t)),
                    target: full_facts(path, Some(g)),
                    candidate: full_facts(path, Some(c)),
                    task_changed: true,
                    target_changed,
                };
                assert_eq!(got.path, want.path);
                assert_eq!(got.base, want.base, "{path} base");
                assert_eq!(got.task, want.task, "{path} task");
                assert_eq!(got.target, want.target, "{path} target");
                assert_eq!(got.candidate, want.candidate, "{path} candidate");
                assert_eq!(got.target_changed, want.target_changed);
            }
            // One full version of each file plus small deltas, not four full versions.
            let one: usize = ["m.py", "r.rs"]
                .iter()
                .zip([&*base_py, "fn ok() {}\n"])
                .map(|(p, t)| {
                    serde_json::to_string(&full_facts(p, Some(t)))
                        .unwrap()
                        .len()
                })
                .sum();
            let added = 4 * serde_json::to_string(&full_facts("n.py", Some(added)))
                .unwrap()
                .len();
            assert!(
                compact < one + added + 4000,
                "{compact} bytes vs {one} + {added} for one version each"
            );
        }
    }
}
