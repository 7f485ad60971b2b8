//! Import resolution: specifiers as written (from `dgov-syntax`) to files of the scanned
//! tree. Only imports that land on a scanned file become edges; standard-library and
//! third-party imports resolve to nothing, as in sentrux.
//!
//! Rules per language:
//! - **Python**: relative (`.`, `..pkg.mod`) from the importing file's package; absolute
//!   (`a.b.c`) from the tree root or `src/`. `a/b/c.py` or `a/b/c/__init__.py`; in
//!   `from m import x`, `x` is tried as a submodule first.
//! - **JavaScript/TypeScript**: relative specifiers only (`./x`, `../x`), trying the path
//!   as is, with `.ts .tsx .js .jsx .mjs .cjs`, and `/index.*`; a `.js` suffix also tries
//!   `.ts`/`.tsx` (TypeScript ESM style).
//! - **Rust**: `crate::`, `self::`, `super::` paths within the crate whose source root is
//!   the nearest enclosing `src/` directory (else the file's top directory); the longest
//!   prefix naming a module file (`a/b.rs` or `a/b/mod.rs`) wins. `mod foo;` resolves to
//!   `foo.rs` or `foo/mod.rs` and is kept as a structural (non-dependency) edge.
//! - **Go**: an import path resolves to the package directory whose path is the longest
//!   suffix of the import path; the edge goes to that package's first non-test `.go` file
//!   (sorted), which stands for the package.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use dgov_syntax::{FileFacts, ImportKind, Language};
use serde::{Deserialize, Serialize};

/// A resolved import between two scanned files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: ImportKind,
}

struct Index<'a> {
    paths: HashSet<&'a str>,
    /// Go package directory → representative file.
    go_packages: HashMap<&'a str, &'a str>,
}

/// Resolves every import of every file. Deduplicated per (from, to); a pair that is both a
/// `mod` declaration and a real import counts as a real import. Self-edges are dropped.
pub fn resolve_edges(files: &[(String, FileFacts)]) -> Vec<Edge> {
    let mut go_packages: BTreeMap<&str, &str> = BTreeMap::new();
    for (path, facts) in files {
        if facts.language == Some(Language::Go) && !path.ends_with("_test.go") {
            let dir = dir_of(path);
            let entry = go_packages.entry(dir).or_insert(path);
            if path.as_str() < *entry {
                *entry = path;
            }
        }
    }
    let index = Index {
        paths: files.iter().map(|(p, _)| p.as_str()).collect(),
        go_packages: go_packages.into_iter().collect(),
    };
    let mut pairs: BTreeMap<(String, String), ImportKind> = BTreeMap::new();
    for (path, facts) in files {
        let Some(language) = facts.language else {
            continue;
        };
        for import in &facts.imports {
            let mut targets = BTreeSet::new();
            match language {
                Language::Python => {
                    python(&index, path, &import.specifier, &import.names, &mut targets)
                }
                Language::Rust => rust(
                    &index,
                    path,
                    &import.specifier,
                    &import.names,
                    import.kind,
                    &mut targets,
                ),
                Language::Go => {
                    if let Some(t) = go(&index, path, &import.specifier) {
                        targets.insert(t);
                    }
                }
                _ => {
                    if let Some(t) = js(&index, path, &import.specifier) {
                        targets.insert(t);
                    }
                }
            }
            for to in targets {
                if to == *path {
                    continue;
                }
                let slot = pairs.entry((path.clone(), to)).or_insert(import.kind);
                if import.kind == ImportKind::Import {
                    *slot = ImportKind::Import;
                }
            }
        }
    }
    pairs
        .into_iter()
        .map(|((from, to), kind)| Edge { from, to, kind })
        .collect()
}

/// Directory part of a path (`""` for top-level files).
pub(crate) fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn join(dir: &str, rest: &str) -> String {
    if dir.is_empty() {
        rest.to_string()
    } else {
        format!("{dir}/{rest}")
    }
}

/// Normalises `a/./b/../c` to `a/c`; `None` if it climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn first_existing<'a>(
    index: &Index<'a>,
    candidates: impl IntoIterator<Item = String>,
) -> Option<String> {
    candidates
        .into_iter()
        .find(|c| index.paths.contains(c.as_str()))
}

fn python_module(index: &Index<'_>, base: &str, dotted: &str) -> Option<String> {
    let rel = dotted.replace('.', "/");
    let stem = if rel.is_empty() {
        base.to_string()
    } else {
        join(base, &rel)
    };
    let mut candidates = vec![format!("{stem}/__init__.py")];
    if !rel.is_empty() {
        candidates.insert(0, format!("{stem}.py"));
    }
    first_existing(index, candidates)
}

fn python(index: &Index<'_>, path: &str, spec: &str, names: &[String], out: &mut BTreeSet<String>) {
    let dots = spec.chars().take_while(|&c| c == '.').count();
    let module = &spec[dots..];
    let bases: Vec<String> = if dots > 0 {
        let mut dir = dir_of(path).to_string();
        for _ in 1..dots {
            match dir.rsplit_once('/') {
                Some((d, _)) => dir = d.to_string(),
                None if !dir.is_empty() => dir.clear(),
                None => return,
            }
        }
        vec![dir]
    } else {
        vec![String::new(), "src".to_string()]
    };
    for base in bases {
        let mut found = false;
        for name in names {
            let sub = if module.is_empty() {
                name.clone()
            } else {
                format!("{module}.{name}")
            };
            if let Some(t) = python_module(index, &base, &sub) {
                out.insert(t);
                found = true;
            }
        }
        if !found && let Some(t) = python_module(index, &base, module) {
            out.insert(t);
            found = true;
        }
        if found {
            return;
        }
    }
}

const JS_EXTS: [&str; 6] = ["ts", "tsx", "js", "jsx", "mjs", "cjs"];

fn js(index: &Index<'_>, path: &str, spec: &str) -> Option<String> {
    if !(spec == "." || spec == ".." || spec.starts_with("./") || spec.starts_with("../")) {
        return None;
    }
    let target = normalize(&join(dir_of(path), spec))?;
    let mut candidates = vec![target.clone()];
    if let Some(stem) = target
        .strip_suffix(".js")
        .or_else(|| target.strip_suffix(".jsx"))
    {
        candidates.push(format!("{stem}.ts"));
        candidates.push(format!("{stem}.tsx"));
    }
    candidates.extend(JS_EXTS.iter().map(|e| format!("{target}.{e}")));
    candidates.extend(JS_EXTS.iter().map(|e| format!("{target}/index.{e}")));
    first_existing(index, candidates)
}

/// The directory holding a Rust file's child modules: `a/b.rs` → `a/b`, `a/mod.rs` → `a`.
fn rust_module_dir(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    if matches!(name, "mod.rs" | "lib.rs" | "main.rs") {
        dir_of(path).to_string()
    } else {
        path.trim_end_matches(".rs").to_string()
    }
}

fn rust_crate_root(path: &str) -> String {
    match path.rfind("src/") {
        Some(i) if i == 0 || path.as_bytes()[i - 1] == b'/' => path[..i + 3].to_string(),
        _ => path
            .split('/')
            .next()
            .filter(|_| path.contains('/'))
            .unwrap_or("")
            .to_string(),
    }
}

fn rust_module_file(index: &Index<'_>, dir: &str, segments: &[&str]) -> Option<String> {
    // The longest prefix of the path that names a module file wins: `a::b::Item` is
    // `a/b.rs` when it exists, else `a.rs`.
    for k in (1..=segments.len()).rev() {
        let stem = join(dir, &segments[..k].join("/"));
        if let Some(t) = first_existing(index, [format!("{stem}.rs"), format!("{stem}/mod.rs")]) {
            return Some(t);
        }
    }
    None
}

fn rust(
    index: &Index<'_>,
    path: &str,
    spec: &str,
    names: &[String],
    kind: ImportKind,
    out: &mut BTreeSet<String>,
) {
    let module_dir = rust_module_dir(path);
    if kind == ImportKind::ModDecl {
        if let Some(t) = first_existing(
            index,
            [
                join(&module_dir, &format!("{spec}.rs")),
                join(&module_dir, &format!("{spec}/mod.rs")),
            ],
        ) {
            out.insert(t);
        }
        return;
    }
    let mut segments: Vec<&str> = spec.split("::").filter(|s| !s.is_empty()).collect();
    let mut dir = match segments.first().copied() {
        Some("crate") => rust_crate_root(path),
        Some("self") => module_dir.clone(),
        Some("super") => dir_of(&module_dir).to_string(),
        _ => return,
    };
    segments.remove(0);
    while segments.first() == Some(&"super") {
        dir = dir_of(&dir).to_string();
        segments.remove(0);
    }
    let mut found = false;
    for name in names {
        let mut full = segments.clone();
        full.extend(
            name.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty() && !s.starts_with('{')),
        );
        // Only names that reach deeper than the path itself count here.
        if full.len() > segments.len()
            && let Some(t) = rust_module_file(index, &dir, &full)
        {
            out.insert(t);
            found = true;
        }
    }
    if !found && let Some(t) = rust_module_file(index, &dir, &segments) {
        out.insert(t);
    }
}

fn go(index: &Index<'_>, path: &str, spec: &str) -> Option<String> {
    let own = dir_of(path);
    let mut best: Option<(&str, &str)> = None;
    for (&dir, &file) in &index.go_packages {
        if dir.is_empty() || dir == own {
            continue;
        }
        let matches = spec == dir || spec.ends_with(&format!("/{dir}"));
        if matches && best.is_none_or(|(d, _)| dir.len() > d.len()) {
            best = Some((dir, file));
        }
    }
    best.map(|(_, f)| f.to_string())
}
