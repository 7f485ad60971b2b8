//! Inspection tools of the original dgov's catalogue: head, tail, word_count, tree,
//! recent_changes, assert_file_unchanged, revert_file, find_references, search_tests_for,
//! related_files, ripgrep and jq.
//!
//! Differences from the original, on purpose: nothing shells out to `rg`, `jq`, `tree` or
//! `wc` (those binaries may be absent and their flags were injectable); `ripgrep` and `jq`
//! are native subsets that name what they support when asked for more; `related_files`
//! knows Python, Rust, JS/TS and Go, not only Python; `assert_file_unchanged` reports a file
//! that is new since HEAD as changed (the original said OK).

mod imports;
mod jq;
mod search;

use dgov_sdk::host;
use dgov_sdk::tool::ToolSpec;
use dgov_sdk::types::EntryKind;
use serde_json::{Value, json};

use crate::text::rel_path;
use crate::{exec, host_err, int, read_text, req, spec, writable};

const MAX_HITS: usize = 100;
const MAX_TREE_ENTRIES: usize = 500;
const MAX_WORD_COUNT_FILES: usize = 50;
const MAX_ASSERT_DIFF: usize = 500;
const GIT_TIMEOUT_MS: u32 = 10_000;

/// The tools of this module.
pub fn specs() -> Vec<ToolSpec> {
    let path = json!({"type": "string", "description": "Path relative to the worktree root"});
    let n = json!({"type": "integer", "default": 20});
    vec![
        spec(
            "head",
            "The first n lines of a file, each as '<line number>: <text>'.",
            json!({"path": path, "n": n}),
            &["path"],
            false,
        ),
        spec(
            "tail",
            "The last n lines of a file, each as '<line number>: <text>'.",
            json!({"path": path, "n": n}),
            &["path"],
            false,
        ),
        spec(
            "word_count",
            "Lines, words and bytes of a file; for a directory, the line count of each text file in it (largest 50) and the total.",
            json!({"path": path}),
            &["path"],
            false,
        ),
        spec(
            "tree",
            "The directory tree under path, max_depth levels deep (hidden entries, node_modules and __pycache__ left out; symbolic links end with @).",
            json!({"path": {"type": "string", "default": "."}, "max_depth": {"type": "integer", "default": 3}}),
            &[],
            false,
        ),
        spec(
            "recent_changes",
            "The last 10 commits that touched a file (git log --oneline).",
            json!({"path": path}),
            &["path"],
            false,
        ),
        spec(
            "assert_file_unchanged",
            "Check that a file (or directory) is unchanged from HEAD: 'OK: …' or 'FAIL: …' with the start of its diff. A file new since HEAD counts as changed.",
            json!({"path": path}),
            &["path"],
            false,
        ),
        spec(
            "revert_file",
            "Restore one file to its HEAD content, discarding your changes to it; a file that is new since HEAD is deleted.",
            json!({"path": path}),
            &["path"],
            true,
        ),
        spec(
            "find_references",
            "Find whole-word occurrences of a symbol in the worktree's text files (path:line: text, first 100). exclude_tests leaves out test files, recognised by convention: a tests/, test/, __tests__/ or spec/ directory, test_* names, *_test.* names, *.test.* and *.spec.* names.",
            json!({"symbol": {"type": "string"}, "exclude_tests": {"type": "boolean", "default": false}}),
            &["symbol"],
            false,
        ),
        spec(
            "search_tests_for",
            "Find whole-word occurrences of a symbol in test files only (same test-file conventions as find_references), up to 5 lines per file.",
            json!({"symbol": {"type": "string"}}),
            &["symbol"],
            false,
        ),
        spec(
            "related_files",
            "Files this file imports and files that import it, by simple import patterns for Python (from/import, relative imports), Rust (mod, use crate::/super::/self::), JS/TS (relative import/require/export from) and Go (imports of this module's packages, per go.mod). Only files inside the worktree are listed.",
            json!({"path": path}),
            &["path"],
            false,
        ),
        spec(
            "ripgrep",
            "Search files for a regular expression (path:line:text, first 100 lines). flags: any of -i (ignore case), -w (whole words), -F (literal pattern), -l (file names only), -c (match counts per file). Hidden, node_modules, __pycache__ and target directories are skipped.",
            json!({"pattern": {"type": "string"}, "path": {"type": "string", "default": "."}, "flags": {"type": "string", "default": ""}}),
            &["pattern"],
            false,
        ),
        spec(
            "jq",
            "Query a JSON file with a jq subset: '.', '.a.b', '.[\"key\"]', '.[0]', '.[]', '.a[]', 'keys', 'length', joined with '|'.",
            json!({"expr": {"type": "string"}, "path": path}),
            &["expr", "path"],
            false,
        ),
    ]
}

/// Run tool `name` if it is one of this module's; `None` otherwise.
pub fn call(name: &str, a: &Value) -> Option<Result<String, String>> {
    Some(match name {
        "head" => head_tail(a, "head"),
        "tail" => head_tail(a, "tail"),
        "word_count" => word_count(a),
        "tree" => tree(a),
        "recent_changes" => recent_changes(a),
        "assert_file_unchanged" => assert_file_unchanged(a),
        "revert_file" => revert_file(a),
        "find_references" => find_references(a),
        "search_tests_for" => search_tests_for(a),
        "related_files" => related_files(a),
        "ripgrep" => ripgrep(a),
        "jq" => jq(a),
        _ => return None,
    })
}

/// An integer argument with a default, refused when negative.
fn count_arg(a: &Value, tool: &str, key: &str, default: i64) -> Result<usize, String> {
    let v = match a.get(key) {
        None | Some(Value::Null) => default,
        Some(_) => int(a, key).map_err(|e| format!("{tool}: {e}"))?,
    };
    usize::try_from(v).map_err(|_| format!("{tool}: argument '{key}' must be 0 or more, got {v}."))
}

/// An optional string argument: absent or null gives `default`, any other type is an error
/// (silently searching "." when the model passed a number would mislead it).
fn opt_str(a: &Value, tool: &str, key: &str, default: &str) -> Result<String, String> {
    match a.get(key) {
        None | Some(Value::Null) => Ok(default.to_string()),
        Some(_) => req(a, tool, key),
    }
}

fn bool_arg(a: &Value, tool: &str, key: &str) -> Result<bool, String> {
    match a.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(t)) if t.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(t)) if t.eq_ignore_ascii_case("false") || t.is_empty() => Ok(false),
        Some(_) => Err(format!("{tool}: argument '{key}' must be true or false.")),
    }
}

/// Numbered lines `first..first+len` of `text` (1-based), joined by `\n`.
fn numbered<'a>(lines: impl Iterator<Item = (usize, &'a str)>) -> String {
    lines
        .map(|(i, l)| format!("{}: {l}", i + 1))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn head_lines(text: &str, n: usize) -> String {
    numbered(text.lines().enumerate().take(n))
}

pub fn tail_lines(text: &str, n: usize) -> String {
    let total = text.lines().count();
    numbered(text.lines().enumerate().skip(total.saturating_sub(n)))
}

fn head_tail(a: &Value, tool: &str) -> Result<String, String> {
    let path = req(a, tool, "path")?;
    let n = count_arg(a, tool, "n", 20)?;
    let rel = rel_path(&path)?;
    let t = read_text(&path, &rel)?;
    Ok(if tool == "head" {
        head_lines(&t, n)
    } else {
        tail_lines(&t, n)
    })
}

/// `(lines, words, bytes)` like `wc`.
pub fn wc(text: &str) -> (usize, usize, usize) {
    (
        text.lines().count(),
        text.split_whitespace().count(),
        text.len(),
    )
}

fn is_dir(rel: &str) -> bool {
    host::list_dir(rel).is_ok()
}

fn word_count(a: &Value) -> Result<String, String> {
    let path = req(a, "word_count", "path")?;
    let rel = rel_path(&path)?;
    if !rel.is_empty() && !is_dir(&rel) {
        let t = read_text(&path, &rel)?;
        let (l, w, b) = wc(&t);
        return Ok(format!("{l} lines, {w} words, {b} bytes: {path}"));
    }
    let mut rows = Vec::new();
    for f in host::walk(&rel).map_err(|e| host_err(&path, e))? {
        if search::skipped(below(&rel, &f)) {
            continue;
        }
        if let Ok(Ok(t)) = host::read_file(&f).map(String::from_utf8) {
            rows.push((wc(&t).0, f));
        }
    }
    Ok(count_table(rows, MAX_WORD_COUNT_FILES))
}

/// Line counts per file, largest first (ties by path), at most `max` rows, then the total.
pub fn count_table(mut rows: Vec<(usize, String)>, max: usize) -> String {
    if rows.is_empty() {
        return "No text files found.".into();
    }
    let total: usize = rows.iter().map(|r| r.0).sum();
    let files = rows.len();
    rows.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
    let mut out: Vec<String> = rows
        .iter()
        .take(max)
        .map(|(n, f)| format!("{n:>8} {f}"))
        .collect();
    if files > max {
        out.push(format!(
            "     ... ({} smaller files not shown)",
            files - max
        ));
    }
    out.push(format!("{total:>8} total ({files} files)"));
    out.join("\n")
}

fn tree(a: &Value) -> Result<String, String> {
    let path = opt_str(a, "tree", "path", ".")?;
    let depth = count_arg(a, "tree", "max_depth", 3)?;
    let rel = rel_path(&path)?;
    if !rel.is_empty() && !is_dir(&rel) {
        if host::exists(&rel) {
            return Err(format!("{path} is not a directory."));
        }
        return Err(format!("{path} does not exist."));
    }
    let mut out = vec![if rel.is_empty() {
        ".".into()
    } else {
        format!("{rel}/")
    }];
    let mut truncated = false;
    tree_walk(&rel, 1, depth, &mut out, &mut truncated)?;
    if truncated {
        out.push(format!("... (truncated at {MAX_TREE_ENTRIES} entries)"));
    }
    Ok(out.join("\n"))
}

fn tree_walk(
    rel: &str,
    level: usize,
    max: usize,
    out: &mut Vec<String>,
    truncated: &mut bool,
) -> Result<(), String> {
    if level > max || *truncated {
        return Ok(());
    }
    // A sub-directory the host will not list (e.g. refused by the jail) is shown without
    // children rather than failing the whole tree.
    let Ok(mut entries) = host::list_dir(rel) else {
        return Ok(());
    };
    entries.retain(|e| {
        !e.name.starts_with('.') && !matches!(e.name.as_str(), "__pycache__" | "node_modules")
    });
    entries.sort_by(|x, y| x.name.cmp(&y.name));
    for e in entries {
        if out.len() > MAX_TREE_ENTRIES {
            *truncated = true;
            return Ok(());
        }
        let indent = "  ".repeat(level);
        let child = if rel.is_empty() {
            e.name.clone()
        } else {
            format!("{rel}/{}", e.name)
        };
        if e.kind == EntryKind::Directory {
            out.push(format!("{indent}{}/", e.name));
            tree_walk(&child, level + 1, max, out, truncated)?;
        } else if e.kind == EntryKind::Symlink {
            out.push(format!("{indent}{}@", e.name));
        } else {
            out.push(format!("{indent}{}", e.name));
        }
    }
    Ok(())
}

/// Run git with literal pathspecs (a path like `*.rs` means that file, not a glob).
fn git(args: &[&str]) -> Result<dgov_sdk::types::ExecOutput, String> {
    let mut all = vec!["--literal-pathspecs"];
    all.extend_from_slice(args);
    exec("git", &all, Some(GIT_TIMEOUT_MS))
}

fn stdout(o: &dgov_sdk::types::ExecOutput) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn git_failed(what: &str, o: &dgov_sdk::types::ExecOutput) -> String {
    format!(
        "{what}: git failed: {}",
        String::from_utf8_lossy(&o.stderr).trim()
    )
}

fn pathspec(rel: &str) -> &str {
    if rel.is_empty() { "." } else { rel }
}

fn recent_changes(a: &Value) -> Result<String, String> {
    let path = req(a, "recent_changes", "path")?;
    let rel = rel_path(&path)?;
    let o = git(&["log", "--oneline", "-10", "--", pathspec(&rel)])?;
    if o.exit_code != Some(0) {
        // An unborn branch has no history at all: that is an answer, not a failure.
        if String::from_utf8_lossy(&o.stderr).contains("does not have any commits") {
            return Ok(format!("No git history for {path}."));
        }
        return Err(git_failed("recent_changes", &o));
    }
    let log = stdout(&o);
    if log.trim().is_empty() {
        if !rel.is_empty() && !host::exists(&rel) {
            return Err(format!("{path} does not exist."));
        }
        return Ok(format!("No git history for {path}."));
    }
    Ok(log.trim_end().to_string())
}

fn clip(t: &str, max: usize) -> &str {
    if t.len() <= max {
        return t;
    }
    let mut cut = max;
    while !t.is_char_boundary(cut) {
        cut -= 1;
    }
    &t[..cut]
}

fn assert_file_unchanged(a: &Value) -> Result<String, String> {
    let path = req(a, "assert_file_unchanged", "path")?;
    let rel = rel_path(&path)?;
    let d = git(&["diff", "HEAD", "--", pathspec(&rel)])?;
    if d.exit_code != Some(0) {
        return Err(git_failed("assert_file_unchanged", &d));
    }
    let diff = stdout(&d);
    if !diff.trim().is_empty() {
        return Ok(format!(
            "FAIL: {path} has been modified:\n{}",
            clip(&diff, MAX_ASSERT_DIFF)
        ));
    }
    let u = git(&[
        "ls-files",
        "--others",
        "--exclude-standard",
        "--",
        pathspec(&rel),
    ])?;
    let new = stdout(&u);
    if !new.trim().is_empty() {
        return Ok(format!(
            "FAIL: {path} is new since HEAD (untracked):\n{}",
            clip(new.trim_end(), MAX_ASSERT_DIFF)
        ));
    }
    if !rel.is_empty() && !host::exists(&rel) {
        return Err(format!("{path} does not exist."));
    }
    Ok(format!("OK: {path} is unchanged from HEAD."))
}

/// What HEAD holds at a path, from `git ls-tree -z HEAD -- <rel>`.
#[derive(Debug, PartialEq)]
pub enum HeadEntry {
    File,
    Symlink,
    Dir,
    Absent,
}

pub fn parse_ls_tree(out: &str, rel: &str) -> HeadEntry {
    for rec in out.split('\0') {
        let Some((meta, p)) = rec.split_once('\t') else {
            continue;
        };
        if p != rel {
            continue;
        }
        let mut f = meta.split_whitespace();
        return match (f.next(), f.next()) {
            (Some("120000"), _) => HeadEntry::Symlink,
            (_, Some("tree")) => HeadEntry::Dir,
            (_, Some("blob")) => HeadEntry::File,
            _ => HeadEntry::Absent,
        };
    }
    HeadEntry::Absent
}

fn revert_file(a: &Value) -> Result<String, String> {
    let path = req(a, "revert_file", "path")?;
    let rel = writable(&path)?;
    let fail = |why: String| format!("Failed to revert {path}: {why}");
    let ls = git(&["ls-tree", "-z", "HEAD", "--", &rel])?;
    if ls.exit_code != Some(0) {
        return Err(fail(git_failed("revert_file", &ls)));
    }
    match parse_ls_tree(&stdout(&ls), &rel) {
        HeadEntry::Dir => Err(fail(
            "it is a directory; revert_file restores one file at a time.".into(),
        )),
        HeadEntry::Symlink => Err(fail(
            "it is a symbolic link in HEAD; revert_file restores regular files only.".into(),
        )),
        HeadEntry::Absent => {
            if !host::exists(&rel) {
                return Err(format!("{path} does not exist."));
            }
            if is_dir(&rel) {
                return Err(fail(
                    "it is a directory; revert_file restores one file at a time.".into(),
                ));
            }
            host::remove(&rel).map_err(|e| fail(host_err(&path, e)))?;
            Ok(format!(
                "Successfully reverted {path} to HEAD (it was not in HEAD, so it was removed)."
            ))
        }
        HeadEntry::File => {
            let spec = format!("HEAD:{rel}");
            let o = git(&["cat-file", "blob", &spec])?;
            if o.exit_code != Some(0) {
                return Err(fail(git_failed("revert_file", &o)));
            }
            if o.truncated {
                return Err(fail(
                    "its HEAD version is larger than the host's output limit; nothing was changed."
                        .into(),
                ));
            }
            if is_dir(&rel) {
                return Err(fail(
                    "a directory now stands where HEAD has a file; remove it first.".into(),
                ));
            }
            host::write_file(&rel, &o.stdout).map_err(|e| fail(host_err(&path, e)))?;
            Ok(format!("Successfully reverted {path} to HEAD."))
        }
    }
}

/// The part of `file` below the directory `dir` (hidden and dependency directories are
/// skipped below the place asked for, so `ripgrep(path=".github")` still searches it).
fn below<'a>(dir: &str, file: &'a str) -> &'a str {
    if dir.is_empty() {
        return file;
    }
    file.strip_prefix(dir)
        .and_then(|f| f.strip_prefix('/'))
        .unwrap_or(file)
}

/// Every searchable text file under `rel` as `(path, text)`, hidden and dependency trees
/// skipped; `rel` may name a single file.
fn text_files(path: &str, rel: &str) -> Result<Vec<(String, String)>, String> {
    let files = if !rel.is_empty() && !is_dir(rel) {
        if !host::exists(rel) {
            return Err(format!("{path} does not exist."));
        }
        vec![rel.to_string()]
    } else {
        host::walk(rel)
            .map_err(|e| host_err(path, e))?
            .into_iter()
            .filter(|f| !search::skipped(below(rel, f)))
            .collect()
    };
    Ok(files
        .into_iter()
        .filter_map(|f| {
            let t = String::from_utf8(host::read_file(&f).ok()?).ok()?;
            Some((f, t))
        })
        .collect())
}

fn symbol_arg(a: &Value, tool: &str) -> Result<String, String> {
    let sym = req(a, tool, "symbol")?;
    if sym.trim().is_empty() {
        return Err(format!("{tool}: argument 'symbol' must not be empty."));
    }
    Ok(sym.trim().to_string())
}

fn capped(lines: Vec<String>) -> String {
    let mut lines = lines;
    if lines.len() > MAX_HITS {
        lines.truncate(MAX_HITS);
        lines.push(format!("... (truncated at {MAX_HITS} matches)"));
    }
    lines.join("\n")
}

fn find_references(a: &Value) -> Result<String, String> {
    let sym = symbol_arg(a, "find_references")?;
    let exclude = bool_arg(a, "find_references", "exclude_tests")?;
    let re = search::word_regex(&sym)?;
    let mut out = Vec::new();
    for (f, t) in text_files(".", "")? {
        if exclude && search::is_test_path(&f) {
            continue;
        }
        for (n, l) in search::hits(&re, &t) {
            out.push(format!("{f}:{n}: {l}"));
        }
        if out.len() > MAX_HITS {
            break;
        }
    }
    if out.is_empty() {
        return Ok(format!("No matches found for '{sym}'."));
    }
    Ok(capped(out))
}

fn search_tests_for(a: &Value) -> Result<String, String> {
    let sym = symbol_arg(a, "search_tests_for")?;
    let re = search::word_regex(&sym)?;
    let mut files = Vec::new();
    for (f, t) in text_files(".", "")? {
        if !search::is_test_path(&f) {
            continue;
        }
        let hs = search::hits(&re, &t);
        if !hs.is_empty() {
            files.push((f, hs));
        }
    }
    Ok(search::tests_report(&sym, &files, 5))
}

fn ripgrep(a: &Value) -> Result<String, String> {
    let pattern = req(a, "ripgrep", "pattern")?;
    let path = opt_str(a, "ripgrep", "path", ".")?;
    let flags = search::parse_flags(&opt_str(a, "ripgrep", "flags", "")?)?;
    let re = search::build_regex(&pattern, flags)?;
    let rel = rel_path(&path)?;
    let mut out = Vec::new();
    for (f, t) in text_files(&path, &rel)? {
        let hs = search::hits(&re, &t);
        if hs.is_empty() {
            continue;
        }
        if flags.files_only {
            out.push(f);
        } else if flags.count {
            out.push(format!("{f}:{}", hs.len()));
        } else {
            out.extend(hs.into_iter().map(|(n, l)| format!("{f}:{n}:{l}")));
        }
        if out.len() > MAX_HITS {
            break;
        }
    }
    if out.is_empty() {
        return Ok("No matches found.".into());
    }
    Ok(capped(out))
}

fn jq(a: &Value) -> Result<String, String> {
    let expr = req(a, "jq", "expr")?;
    let path = req(a, "jq", "path")?;
    let rel = rel_path(&path)?;
    let t = read_text(&path, &rel)?;
    let v: Value =
        serde_json::from_str(&t).map_err(|e| format!("jq: {path} is not valid JSON: {e}"))?;
    jq::eval(&expr, v)
}

fn related_files(a: &Value) -> Result<String, String> {
    let path = req(a, "related_files", "path")?;
    let rel = rel_path(&path)?;
    let target = read_text(&path, &rel)?;
    let Some(lang) = imports::Lang::of(&rel) else {
        return Err(format!(
            "related_files: {path} is not a Python, Rust, JS/TS or Go file (by its extension)."
        ));
    };
    let all: Vec<String> = host::walk("")
        .map_err(|e| host_err(".", e))?
        .into_iter()
        .filter(|f| !search::skipped(f))
        .collect();
    let ctx = imports::Ctx {
        files: all.iter().cloned().collect(),
        go_module: read_go_module(),
    };
    let out_edges = imports::imports(lang, &rel, &target, &ctx);
    let mut in_edges = Vec::new();
    for f in &all {
        if f == &rel || imports::Lang::of(f) != Some(lang) {
            continue;
        }
        let Ok(Ok(t)) = host::read_file(f).map(String::from_utf8) else {
            continue;
        };
        if imports::imports(lang, f, &t, &ctx)
            .iter()
            .any(|d| imports::points_at(d, &rel))
        {
            in_edges.push(f.clone());
        }
    }
    Ok(imports::report(&rel, &out_edges, &in_edges))
}

fn read_go_module() -> Option<String> {
    let t = host::read_to_string("go.mod").ok()?;
    imports::go_module(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_and_tail_number_lines_absolutely() {
        let t = "a\nb\nc\nd\n";
        assert_eq!(head_lines(t, 2), "1: a\n2: b");
        assert_eq!(tail_lines(t, 2), "3: c\n4: d");
        assert_eq!(head_lines(t, 0), "");
        assert_eq!(tail_lines(t, 0), "");
        assert_eq!(tail_lines(t, 99), "1: a\n2: b\n3: c\n4: d");
        assert_eq!(head_lines("", 5), "");
    }

    #[test]
    fn word_count_counts_like_wc() {
        assert_eq!(wc("one two\nthree\n"), (2, 3, 14));
        assert_eq!(wc(""), (0, 0, 0));
    }

    #[test]
    fn count_table_sorts_caps_and_totals() {
        let rows = vec![(3, "b".to_string()), (10, "a".into()), (3, "a2".into())];
        assert_eq!(
            count_table(rows.clone(), 2),
            "      10 a\n       3 a2\n     ... (1 smaller files not shown)\n      16 total (3 files)"
        );
        assert!(count_table(rows, 5).ends_with("      16 total (3 files)"));
        assert_eq!(count_table(Vec::new(), 5), "No text files found.");
    }

    #[test]
    fn every_spec_is_dispatched_and_only_revert_file_writes() {
        let wrong = json!({"path": 5, "symbol": 5, "expr": 5, "pattern": 5});
        let names: Vec<String> = specs().into_iter().map(|s| s.name).collect();
        assert_eq!(names.len(), 12);
        for s in specs() {
            // Wrongly typed arguments are refused before any host call, naming the tool.
            let r = call(&s.name, &wrong).expect("dispatched");
            assert!(
                r.unwrap_err().starts_with(&format!("{}: ", s.name)),
                "{}",
                s.name
            );
            assert_eq!(s.writes, s.name == "revert_file", "{}", s.name);
        }
        assert!(call("read_file", &json!({})).is_none());
    }

    #[test]
    fn below_strips_the_searched_directory() {
        assert_eq!(below("", ".github/x.yml"), ".github/x.yml");
        assert_eq!(below(".github", ".github/x.yml"), "x.yml");
        assert_eq!(below("src", "src/.cache/y"), ".cache/y");
    }

    #[test]
    fn ls_tree_output_is_classified() {
        let out = "100644 blob abc\tsrc/a.rs\0";
        assert_eq!(parse_ls_tree(out, "src/a.rs"), HeadEntry::File);
        assert_eq!(
            parse_ls_tree("040000 tree abc\tsrc\0", "src"),
            HeadEntry::Dir
        );
        assert_eq!(
            parse_ls_tree("120000 blob abc\tl\0", "l"),
            HeadEntry::Symlink
        );
        assert_eq!(parse_ls_tree("", "x"), HeadEntry::Absent);
        assert_eq!(parse_ls_tree(out, "src/a"), HeadEntry::Absent);
    }

    #[test]
    fn count_args_default_and_refuse_negatives() {
        let a = json!({"n": -1});
        assert!(
            count_arg(&a, "head", "n", 20)
                .unwrap_err()
                .starts_with("head: ")
        );
        assert_eq!(count_arg(&json!({}), "head", "n", 20).unwrap(), 20);
        assert_eq!(count_arg(&json!({"n": "7"}), "head", "n", 20).unwrap(), 7);
        assert!(
            count_arg(&json!({"n": "x"}), "tail", "n", 20)
                .unwrap_err()
                .contains("integer")
        );
        assert!(bool_arg(&json!({"e": 3}), "t", "e").is_err());
        assert!(bool_arg(&json!({"e": "true"}), "t", "e").unwrap());
    }
}
