//! Plan source trees: walking `.dgov/plans/<name>/` and parsing `_root.toml` and the
//! `[tasks.<slug>]` tables of each declared section into [`SourceUnit`]s.
//!
//! Walking (file system) and parsing (pure) are separate so tests can feed files in any
//! order and prove the result does not depend on enumeration order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use toml::de::DeValue;

use crate::compiled::{COMPILED_FILE, read_files};
use crate::diag::Diagnostic;
use crate::model::{FileClaims, Role};
use crate::tomlx::{Doc, Reader};

/// File name of the plan metadata file.
pub const ROOT_FILE: &str = "_root.toml";

/// Keys of a source `[tasks.<slug>]` table.
pub const SOURCE_TASK_KEYS: &[&str] = &[
    "summary",
    "prompt",
    "prompt_file",
    "commit_message",
    "agent",
    "provider",
    "role",
    "depends_on",
    "files",
    "timeout_s",
    "retries",
    "iteration_budget",
    "test_cmd",
    "sop_mapping",
    "self_review",
    "max_fork_depth",
];
const ROOT_KEYS: &[&str] = &[
    "name",
    "summary",
    "sections",
    "default_agent",
    "default_provider",
    "default_max_retries",
];

/// One TOML file found in a plan tree, with its path relative to the plan directory
/// (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub rel: String,
    pub text: String,
}

/// Everything the parser needs from the file system, gathered by [`walk_plan_dir`].
#[derive(Debug, Clone, Default)]
pub struct PlanSources {
    /// `_root.toml` text, `None` when missing.
    pub root: Option<String>,
    /// Depth-1 `*.toml` files of every top-level directory (including `_`/`.` ones, which
    /// the parser skips), in any order.
    pub files: Vec<SourceFile>,
    /// Top-level directory names.
    pub dirs: BTreeSet<String>,
    /// TOML files nested deeper than one level below a top-level directory.
    pub nested: Vec<String>,
    /// Files that exist but could not be read (plan-relative path, reason), e.g. not UTF-8.
    pub unreadable: Vec<(String, String)>,
}

/// `[plan]` of `_root.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanMeta {
    pub name: String,
    pub summary: String,
    pub sections: Vec<String>,
    pub default_agent: String,
    pub default_provider: String,
    pub default_max_retries: Option<u32>,
    /// Line of the `sections` key, for diagnostics.
    pub sections_line: Option<u32>,
}

/// A task as written in a section file, before reference resolution.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceUnit {
    pub id: String,
    pub section: String,
    pub stem: String,
    pub slug: String,
    /// Plan-relative file.
    pub file: String,
    pub line: u32,
    pub summary: String,
    pub prompt: String,
    pub prompt_file: String,
    pub commit_message: String,
    pub agent: String,
    pub provider: String,
    pub role: Role,
    /// Raw refs with their lines.
    pub depends_on: Vec<(String, u32)>,
    pub files: FileClaims,
    pub timeout_s: u64,
    pub retries: Option<u32>,
    pub iteration_budget: Option<u64>,
    pub test_cmd: String,
    pub sop_mapping: Vec<String>,
    pub self_review: bool,
    pub max_fork_depth: u32,
}

/// Parsed plan tree.
#[derive(Debug, Clone, Default)]
pub struct ParsedTree {
    pub meta: PlanMeta,
    /// Sorted by id.
    pub units: Vec<SourceUnit>,
    /// Plan-relative source path → contents, for hashing (root, unit files, prompt files).
    pub inputs: BTreeMap<String, String>,
}

/// True for names the walker and parser skip (`_example.toml`, `.hidden.toml`).
fn ignored_name(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('.')
}

/// `^[A-Za-z0-9_-]+$`
pub fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Gather a plan directory's sources. Errors only on I/O failures other than "not found".
pub fn walk_plan_dir(dir: &Path) -> std::io::Result<PlanSources> {
    let mut src = PlanSources::default();
    match std::fs::read_to_string(dir.join(ROOT_FILE)) {
        Ok(t) => src.root = Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => src.unreadable.push((ROOT_FILE.to_string(), e.to_string())),
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let Some(dname) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        src.dirs.insert(dname.clone());
        for f in std::fs::read_dir(entry.path())? {
            let f = f?;
            let Some(fname) = f.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let ft = f.file_type()?;
            if ft.is_dir() {
                if has_toml_below(&f.path()) {
                    src.nested.push(format!("{dname}/{fname}"));
                }
                continue;
            }
            if !fname.ends_with(".toml") {
                continue;
            }
            let rel = format!("{dname}/{fname}");
            let text = match std::fs::read_to_string(f.path()) {
                Ok(t) => t,
                Err(e) => {
                    src.unreadable.push((rel, e.to_string()));
                    continue;
                }
            };
            src.files.push(SourceFile { rel, text });
        }
    }
    Ok(src)
}

fn has_toml_below(dir: &Path) -> bool {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return false;
    };
    rd.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            has_toml_below(&p)
        } else {
            p.extension().is_some_and(|x| x == "toml")
        }
    })
}

/// Parse `_root.toml` text.
pub fn parse_root(text: &str, diags: &mut Vec<Diagnostic>) -> Option<PlanMeta> {
    let file = Path::new(ROOT_FILE);
    let doc = match Doc::parse(file, text) {
        Ok(d) => d,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let plan = match doc.table().get("plan") {
        Some(v) => match v.get_ref() {
            DeValue::Table(t) if !t.is_empty() => t,
            DeValue::Table(_) => {
                diags.push(
                    Diagnostic::error("[plan] is empty")
                        .file(file)
                        .line(Some(doc.line(v.span())))
                        .hint("add at least `name = \"<plan name>\"`"),
                );
                return None;
            }
            _ => {
                diags.push(
                    Diagnostic::error("`plan` must be a table")
                        .file(file)
                        .line(Some(doc.line(v.span())))
                        .hint("write a [plan] table"),
                );
                return None;
            }
        },
        None => {
            diags.push(
                Diagnostic::error("missing [plan] table")
                    .file(file)
                    .hint("add [plan] with `name` and `sections` (see `dgov init-plan`)"),
            );
            return None;
        }
    };
    let mut r = Reader {
        doc: &doc,
        table: plan,
        path: "plan".into(),
        unit: None,
        diags,
    };
    r.unknown_keys(ROOT_KEYS, false);
    let mut meta = PlanMeta {
        name: r.str("name").unwrap_or_default().trim().to_string(),
        ..PlanMeta::default()
    };
    if meta.name.is_empty()
        && !matches!(plan.get("name").map(|v| v.get_ref()), Some(v) if !matches!(v, DeValue::String(_)))
    {
        r.diags.push(
            Diagnostic::error("`plan.name` is required and must not be empty")
                .file(file)
                .line(r.line_of_key("name"))
                .hint("set `name = \"<plan name>\"` in [plan]"),
        );
    }
    meta.summary = r.str("summary").unwrap_or_default();
    meta.default_agent = r.str("default_agent").unwrap_or_default();
    meta.default_provider = r.str("default_provider").unwrap_or_default();
    meta.default_max_retries = r
        .uint("default_max_retries")
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    meta.sections_line = r.line_of_key("sections");
    for s in r.str_list("sections").unwrap_or_default() {
        if !valid_slug(&s) {
            r.error_at(
                "sections",
                format!("invalid section name '{s}'"),
                "section names may contain only letters, digits, '_' and '-' (no paths)".into(),
            );
        } else if meta.sections.contains(&s) {
            r.error_at(
                "sections",
                format!("section '{s}' is listed twice"),
                "remove the duplicate".into(),
            );
        } else {
            meta.sections.push(s);
        }
    }
    Some(meta)
}

/// Parse a whole tree. `read_extra` loads a `prompt_file` given its plan-relative path.
pub fn parse_tree(
    sources: &PlanSources,
    read_extra: &dyn Fn(&str) -> std::io::Result<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<ParsedTree> {
    let unreadable = |rel: &str, why: &str| {
        Diagnostic::error(format!("cannot read file: {why}"))
            .file(rel)
            .hint("plan files must be readable UTF-8 text; fix or remove the file")
    };
    if let Some((rel, why)) = sources.unreadable.iter().find(|(r, _)| r == ROOT_FILE) {
        diags.push(unreadable(rel, why));
        return None;
    }
    let Some(root_text) = &sources.root else {
        diags.push(
            Diagnostic::error("plan has no _root.toml")
                .file(ROOT_FILE)
                .hint("create it with `dgov init-plan <name>`, or point at the plan directory"),
        );
        return None;
    };
    let meta = parse_root(root_text, diags)?;
    let mut tree = ParsedTree {
        meta,
        ..ParsedTree::default()
    };
    tree.inputs.insert(ROOT_FILE.to_string(), root_text.clone());
    for s in &tree.meta.sections {
        if !sources.dirs.contains(s) {
            diags.push(
                Diagnostic::error(format!("section directory '{s}/' does not exist"))
                    .file(ROOT_FILE)
                    .line(tree.meta.sections_line)
                    .hint(format!("create the directory '{s}/' in the plan, or remove '{s}' from [plan].sections")),
            );
        }
    }
    let declared: BTreeSet<&str> = tree.meta.sections.iter().map(String::as_str).collect();
    let read_by_parser = |rel: &str| {
        let (dir, name) = rel.split_once('/').unwrap_or(("", rel));
        declared.contains(dir) && !ignored_name(name)
    };
    for (rel, why) in &sources.unreadable {
        if read_by_parser(rel) {
            diags.push(unreadable(rel, why));
        }
    }
    let mut files: Vec<&SourceFile> = sources
        .files
        .iter()
        .filter(|f| {
            let (dir, name) = f.rel.split_once('/').unwrap_or(("", &f.rel));
            declared.contains(dir) && !ignored_name(name) && name != COMPILED_FILE
        })
        .collect();
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    let mut seen_ids: BTreeMap<String, (String, u32)> = BTreeMap::new();
    for f in files {
        tree.inputs.insert(f.rel.clone(), f.text.clone());
        parse_section_file(f, &mut tree, &mut seen_ids, read_extra, diags);
    }
    if tree.units.is_empty() && !diags.iter().any(Diagnostic::is_error) {
        diags.push(empty_plan_diagnostic(sources, &tree.meta));
    }
    tree.units.sort_by(|a, b| a.id.cmp(&b.id));
    Some(tree)
}

fn parse_section_file(
    f: &SourceFile,
    tree: &mut ParsedTree,
    seen: &mut BTreeMap<String, (String, u32)>,
    read_extra: &dyn Fn(&str) -> std::io::Result<String>,
    diags: &mut Vec<Diagnostic>,
) {
    let file = PathBuf::from(&f.rel);
    let doc = match Doc::parse(&file, &f.text) {
        Ok(d) => d,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    let (section, fname) = f.rel.split_once('/').unwrap_or(("", &f.rel));
    let stem = fname.strip_suffix(".toml").unwrap_or(fname);
    let Some(tasks_v) = doc.table().get("tasks") else {
        return;
    };
    let DeValue::Table(tasks) = tasks_v.get_ref() else {
        diags.push(
            Diagnostic::error("`tasks` must be a table of [tasks.<slug>] tables")
                .file(&file)
                .line(Some(doc.line(tasks_v.span())))
                .hint("write each task as [tasks.<slug>]"),
        );
        return;
    };
    let dir_of_file = section.to_string();
    for (k, v) in tasks.iter() {
        let slug = k.get_ref().to_string();
        let line = doc.line(k.span());
        let id = format!("{section}/{stem}.{slug}");
        if !valid_slug(&slug) {
            diags.push(
                Diagnostic::error(format!("invalid task slug '{slug}'"))
                    .file(&file)
                    .line(Some(line))
                    .hint("slugs may contain only letters, digits, '_' and '-' (no '.', '/' or spaces)"),
            );
            continue;
        }
        let DeValue::Table(t) = v.get_ref() else {
            diags.push(
                Diagnostic::error(format!("`tasks.{slug}` must be a table"))
                    .file(&file)
                    .line(Some(line))
                    .unit(id)
                    .hint(format!("write it as [tasks.{slug}] with its fields below")),
            );
            continue;
        };
        if let Some((pf, pl)) = seen.get(&id) {
            diags.push(
                Diagnostic::error(format!(
                    "duplicate unit id '{id}' (first defined at {pf}:{pl})"
                ))
                .file(&file)
                .line(Some(line))
                .unit(id.clone())
                .hint("rename one of the tasks"),
            );
            continue;
        }
        seen.insert(id.clone(), (f.rel.clone(), line));
        let mut r = Reader {
            doc: &doc,
            table: t,
            path: format!("tasks.{slug}"),
            unit: Some(id.clone()),
            diags: &mut *diags,
        };
        r.unknown_keys(SOURCE_TASK_KEYS, false);
        let role = match r.str("role") {
            None => Role::Worker,
            Some(s) => Role::parse(&s).unwrap_or_else(|| {
                r.error_at(
                    "role",
                    format!("unknown role '{s}'"),
                    format!("use one of: {}", Role::ALL.join(", ")),
                );
                Role::Worker
            }),
        };
        let mut depends_on = Vec::new();
        if let Some(dv) = r.get("depends_on")
            && let Some(list) = r.str_list("depends_on")
        {
            let lines: Vec<u32> = match dv.get_ref() {
                DeValue::Array(a) => a.iter().map(|x| doc.line(x.span())).collect(),
                _ => Vec::new(),
            };
            for (i, d) in list.into_iter().enumerate() {
                depends_on.push((d, lines.get(i).copied().unwrap_or(line)));
            }
        }
        let timeout_s = r.uint("timeout_s").unwrap_or(0);
        let mut u = SourceUnit {
            section: section.to_string(),
            stem: stem.to_string(),
            slug: slug.clone(),
            file: f.rel.clone(),
            line,
            summary: r.str("summary").unwrap_or_default(),
            prompt: r.str("prompt").unwrap_or_default(),
            prompt_file: r.str("prompt_file").unwrap_or_default(),
            commit_message: r.str("commit_message").unwrap_or_default(),
            agent: r.str("agent").unwrap_or_default(),
            provider: r.str("provider").unwrap_or_default(),
            role,
            depends_on,
            files: read_files(&mut r, true),
            timeout_s,
            retries: r
                .uint("retries")
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            iteration_budget: r.uint("iteration_budget"),
            test_cmd: r.str("test_cmd").unwrap_or_default(),
            sop_mapping: r.str_list("sop_mapping").unwrap_or_default(),
            self_review: r.bool("self_review").unwrap_or(false),
            max_fork_depth: r
                .uint("max_fork_depth")
                .map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX)),
            id: id.clone(),
        };
        if u.prompt.trim().is_empty() && !u.prompt_file.is_empty() {
            let rel = normalize_rel(&format!("{dir_of_file}/{}", u.prompt_file));
            match rel.as_deref().map(read_extra) {
                Some(Ok(text)) => {
                    tree.inputs.insert(rel.unwrap_or_default(), text.clone());
                    u.prompt = text;
                }
                Some(Err(e)) => r.error_at(
                    "prompt_file",
                    format!("prompt_file '{}' cannot be read: {e}", u.prompt_file),
                    "the path is relative to the task's file; create the file or fix the path"
                        .into(),
                ),
                None => r.error_at(
                    "prompt_file",
                    format!(
                        "prompt_file '{}' points outside the plan directory",
                        u.prompt_file
                    ),
                    "keep prompt files inside the plan directory".into(),
                ),
            }
        }
        tree.units.push(u);
    }
}

/// Normalize a `/`-separated relative path, refusing to climb above the plan directory.
fn normalize_rel(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

/// Why a plan has no units, checked in the original's order.
fn empty_plan_diagnostic(sources: &PlanSources, meta: &PlanMeta) -> Diagnostic {
    let declared: BTreeSet<&str> = meta.sections.iter().map(String::as_str).collect();
    let undeclared: BTreeSet<&str> = sources
        .files
        .iter()
        .filter_map(|f| f.rel.split_once('/'))
        .filter(|(d, n)| {
            !declared.contains(d) && *d != "archive" && !ignored_name(d) && !ignored_name(n)
        })
        .map(|(d, _)| d)
        .collect();
    let base = Diagnostic::error("plan has no tasks").file(ROOT_FILE);
    if !undeclared.is_empty() {
        let list: Vec<_> = undeclared.into_iter().collect();
        return base.hint(format!(
            "task files are in undeclared section(s) {}; add them to [plan].sections",
            list.join(", ")
        ));
    }
    if meta.sections.is_empty() {
        return base
            .hint("[plan].sections is empty; list the section directories that hold task files");
    }
    let in_sections: Vec<&SourceFile> = sources
        .files
        .iter()
        .filter(|f| {
            f.rel
                .split_once('/')
                .is_some_and(|(d, _)| declared.contains(d))
        })
        .collect();
    let visible: Vec<&&SourceFile> = in_sections
        .iter()
        .filter(|f| f.rel.split_once('/').is_some_and(|(_, n)| !ignored_name(n)))
        .collect();
    if !visible.is_empty() {
        let names: Vec<&str> = visible.iter().map(|f| f.rel.as_str()).collect();
        let verb = if names.len() == 1 {
            "contains"
        } else {
            "contain"
        };
        return base.hint(format!(
            "{} {verb} no [tasks.<slug>] tables; add tasks",
            names.join(", ")
        ));
    }
    if !in_sections.is_empty() {
        return base.hint("only ignored files (names starting with '_' or '.') were found; copy _example.toml to a file without the leading '_'");
    }
    if sources
        .nested
        .iter()
        .any(|n| n.split_once('/').is_some_and(|(d, _)| declared.contains(d)))
    {
        return base.hint("task files are nested below a section directory; only files directly inside a section are read");
    }
    base.hint(format!(
        "add a <name>.toml file with [tasks.<slug>] tables to one of: {}",
        meta.sections.join(", ")
    ))
}
