//! The import heuristic behind `related_files`: simple per-language patterns, resolved to
//! files of the worktree (pure; the caller supplies the file list and texts).
//!
//! - Python: `from M import a, b` and `import M[, N]`, absolute (looked up from the root and
//!   from `src/`) or relative (`from .m import x`); `M` resolves to `M.py` or
//!   `M/__init__.py`, and `from M import a` also to the submodule `M/a.py`.
//! - Rust: `mod m;` (to `m.rs` or `m/mod.rs` beside the file, or in its module directory),
//!   and paths starting `crate::`, `super::` or `self::` (in `use` or in code, including
//!   one level of `use crate::{a, b::c}` groups), to the longest module prefix that exists,
//!   or, for an item of a module (`crate::exec`), to that module's own file.
//!   The crate root is the directory up to the file's last `src/` component.
//! - JS/TS: relative specifiers (`./`, `../`) of `import … from`, `export … from`,
//!   `import(…)` and `require(…)`, trying the usual extensions and `index` files; a `.js`
//!   specifier also finds the `.ts` source.
//! - Go: imports under the module path of the root `go.mod` name a package directory;
//!   every Go file in that directory counts as imported.
//!
//! Packages outside the worktree (the standard library, dependencies) are not listed.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Python,
    Rust,
    Js,
    Go,
}

impl Lang {
    pub fn of(rel: &str) -> Option<Lang> {
        let ext = rel.rsplit_once('.')?.1;
        Some(match ext {
            "py" => Lang::Python,
            "rs" => Lang::Rust,
            "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" | "mts" | "cts" => Lang::Js,
            "go" => Lang::Go,
            _ => return None,
        })
    }
}

/// What resolution needs to know about the worktree.
#[derive(Debug, Default)]
pub struct Ctx {
    pub files: BTreeSet<String>,
    /// The `module` line of the root `go.mod`.
    pub go_module: Option<String>,
}

/// Prefix of a Go package edge (a directory, not a file).
const PKG: &str = "pkg:";

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("built-in pattern"))
}

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `dir` joined with a relative `spec` (`..` allowed inside the root only).
fn join(dir: &str, spec: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in spec.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

fn under(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn first_existing(ctx: &Ctx, candidates: impl IntoIterator<Item = String>) -> Option<String> {
    candidates.into_iter().find(|c| ctx.files.contains(c))
}

/// The files and packages `rel` (with content `text`) imports.
pub fn imports(lang: Lang, rel: &str, text: &str, ctx: &Ctx) -> Vec<String> {
    let mut out: Vec<String> = match lang {
        Lang::Python => python(rel, text, ctx),
        Lang::Rust => rust(rel, text, ctx),
        Lang::Js => js(rel, text, ctx),
        Lang::Go => go(text, ctx),
    };
    out.retain(|d| d != rel);
    out.sort();
    out.dedup();
    out
}

/// Whether an import edge `dep` points at the file `rel`.
pub fn points_at(dep: &str, rel: &str) -> bool {
    match dep.strip_prefix(PKG) {
        Some(dir) => parent(rel) == dir,
        None => dep == rel,
    }
}

fn py_module(ctx: &Ctx, base: &str, module: &str) -> Option<String> {
    let m = module.replace('.', "/");
    let m = under(base, &m);
    first_existing(ctx, [format!("{m}.py"), format!("{m}/__init__.py")])
}

fn python(rel: &str, text: &str, ctx: &Ctx) -> Vec<String> {
    static FROM: OnceLock<Regex> = OnceLock::new();
    static IMPORT: OnceLock<Regex> = OnceLock::new();
    let from = re(
        &FROM,
        r"(?m)^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([\w \t,]*))",
    );
    let import = re(
        &IMPORT,
        r"(?m)^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)",
    );
    let mut out = Vec::new();
    let resolve_abs = |m: &str| ["", "src"].iter().find_map(|b| py_module(ctx, b, m));
    for c in from.captures_iter(text) {
        let dots = c[1].len();
        let module = &c[2];
        let list = c.get(3).or_else(|| c.get(4)).map_or("", |m| m.as_str());
        let names: Vec<&str> = list
            .split(',')
            .filter_map(|n| n.split_whitespace().next())
            .collect();
        let base = if dots == 0 {
            None
        } else {
            let mut d = parent(rel).to_string();
            for _ in 1..dots {
                d = parent(&d).to_string();
            }
            Some(d)
        };
        let find = |m: &str| match &base {
            None => resolve_abs(m),
            Some(b) => py_module(ctx, b, m),
        };
        // `from pkg import sub` names a submodule when pkg/sub.py exists.
        for n in &names {
            let sub = if module.is_empty() {
                (*n).to_string()
            } else {
                format!("{module}.{n}")
            };
            if let Some(f) = find(&sub) {
                out.push(f);
            }
        }
        if !module.is_empty()
            && let Some(f) = find(module)
        {
            out.push(f);
        }
    }
    for c in import.captures_iter(text) {
        for m in c[1].split(',') {
            if let Some(m) = m.split_whitespace().next()
                && let Some(f) = resolve_abs(m)
            {
                out.push(f);
            }
        }
    }
    out
}

/// The directory holding the child modules of the Rust file `rel`.
fn rust_mod_dir(rel: &str) -> String {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if matches!(name, "mod.rs" | "lib.rs" | "main.rs") {
        parent(rel).to_string()
    } else {
        rel.trim_end_matches(".rs").to_string()
    }
}

fn rust_crate_root(rel: &str) -> String {
    match rel.rfind("src/") {
        Some(i) if i == 0 || rel[..i].ends_with('/') => rel[..i + 3].to_string(),
        _ => parent(rel).to_string(),
    }
}

/// The longest prefix of `segs` that is a module file under `dir`.
fn rust_module(ctx: &Ctx, dir: &str, segs: &[&str]) -> Option<String> {
    (1..=segs.len()).rev().find_map(|k| {
        let p = under(dir, &segs[..k].join("/"));
        first_existing(ctx, [format!("{p}.rs"), format!("{p}/mod.rs")])
    })
}

fn rust_path(rel: &str, path: &str, ctx: &Ctx) -> Option<String> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let (first, rest) = segs.split_first()?;
    let mut dir = match *first {
        "crate" => rust_crate_root(rel),
        "self" => rust_mod_dir(rel),
        "super" => parent(&rust_mod_dir(rel)).to_string(),
        _ => return None,
    };
    let mut rest = rest;
    while let Some(("super", r)) = rest.split_first().map(|(a, r)| (*a, r)) {
        dir = parent(&dir).to_string();
        rest = r;
    }
    // An item that is not a module (`crate::exec`, `super::helper`) lives in the module
    // file whose children sit in `dir`: `dir.rs`, `dir/mod.rs`, or the crate root file.
    let own_file = || {
        first_existing(
            ctx,
            [
                format!("{dir}.rs"),
                format!("{dir}/mod.rs"),
                format!("{dir}/lib.rs"),
                format!("{dir}/main.rs"),
            ],
        )
    };
    if rest.is_empty() {
        return own_file();
    }
    rust_module(ctx, &dir, rest).or_else(own_file)
}

fn rust(rel: &str, text: &str, ctx: &Ctx) -> Vec<String> {
    static MOD: OnceLock<Regex> = OnceLock::new();
    static PATH: OnceLock<Regex> = OnceLock::new();
    static GROUP: OnceLock<Regex> = OnceLock::new();
    let m = re(&MOD, r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;");
    let path = re(&PATH, r"\b(?:crate|super|self)(?:::\w+)+");
    let group = re(&GROUP, r"\b((?:crate|super|self)(?:::\w+)*)::\{([^{}]*)\}");
    let mut out = Vec::new();
    let dir = rust_mod_dir(rel);
    for c in m.captures_iter(text) {
        let p = under(&dir, &c[1]);
        if let Some(f) = first_existing(ctx, [format!("{p}.rs"), format!("{p}/mod.rs")]) {
            out.push(f);
        }
    }
    for p in path.find_iter(text) {
        out.extend(rust_path(rel, p.as_str(), ctx));
    }
    for c in group.captures_iter(text) {
        for item in c[2].split(',') {
            let item = item.split_whitespace().next().unwrap_or("");
            if item.is_empty() || item == "self" {
                out.extend(rust_path(rel, &c[1], ctx));
                continue;
            }
            out.extend(rust_path(rel, &format!("{}::{item}", &c[1]), ctx));
        }
    }
    out
}

const JS_EXT: [&str; 8] = [".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts"];

fn js(rel: &str, text: &str, ctx: &Ctx) -> Vec<String> {
    static SPEC: OnceLock<Regex> = OnceLock::new();
    let spec = re(
        &SPEC,
        r#"(?:\bfrom|\bimport|\brequire\s*\(|\bimport\s*\()\s*['"](\.\.?/[^'"\n]*)['"]"#,
    );
    let mut out = Vec::new();
    for c in spec.captures_iter(text) {
        let Some(base) = join(parent(rel), &c[1]) else {
            continue;
        };
        let mut cands = vec![base.clone()];
        cands.extend(JS_EXT.iter().map(|e| format!("{base}{e}")));
        cands.extend(JS_EXT.iter().map(|e| format!("{base}/index{e}")));
        for (js, ts) in [(".js", ".ts"), (".jsx", ".tsx"), (".mjs", ".mts")] {
            if let Some(stem) = base.strip_suffix(js) {
                cands.push(format!("{stem}{ts}"));
            }
        }
        out.extend(first_existing(ctx, cands));
    }
    out
}

/// The module path declared by a `go.mod` text.
pub fn go_module(gomod: &str) -> Option<String> {
    gomod.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("module")?;
        let m = rest.trim().trim_matches('"');
        (!m.is_empty() && rest.starts_with(char::is_whitespace)).then(|| m.to_string())
    })
}

fn go(text: &str, ctx: &Ctx) -> Vec<String> {
    static BLOCK: OnceLock<Regex> = OnceLock::new();
    static SINGLE: OnceLock<Regex> = OnceLock::new();
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    let Some(module) = &ctx.go_module else {
        return Vec::new();
    };
    let block = re(&BLOCK, r"(?ms)^\s*import\s*\((.*?)\)");
    let single = re(&SINGLE, r#"(?m)^\s*import\s+(?:[\w.]+\s+)?"([^"]+)""#);
    let quoted = re(&QUOTED, r#""([^"]+)""#);
    let mut specs: Vec<String> = single
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .collect();
    for b in block.captures_iter(text) {
        specs.extend(quoted.captures_iter(&b[1]).map(|c| c[1].to_string()));
    }
    let mut out = Vec::new();
    for s in specs {
        let dir = if s == *module {
            String::new()
        } else if let Some(d) = s.strip_prefix(&format!("{module}/")) {
            d.to_string()
        } else {
            continue;
        };
        let has_go = ctx
            .files
            .iter()
            .any(|f| parent(f) == dir && f.ends_with(".go"));
        if has_go {
            out.push(format!("{PKG}{dir}"));
        }
    }
    out
}

fn show(dep: &str) -> String {
    match dep.strip_prefix(PKG) {
        Some("") => "./ (package)".into(),
        Some(d) => format!("{d}/ (package)"),
        None => dep.to_string(),
    }
}

/// The `related_files` answer.
pub fn report(rel: &str, out: &[String], inc: &[String]) -> String {
    let mut r = format!("== {rel} ==");
    if out.is_empty() && inc.is_empty() {
        r.push_str("\n  (no import relationships found)");
        return r;
    }
    r.push_str(&format!("\n\nImports from ({}):", out.len()));
    for d in out {
        r.push_str(&format!("\n  {}", show(d)));
    }
    r.push_str(&format!("\n\nImported by ({}):", inc.len()));
    for d in inc {
        r.push_str(&format!("\n  {d}"));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(files: &[&str]) -> Ctx {
        Ctx {
            files: files.iter().map(|f| f.to_string()).collect(),
            go_module: None,
        }
    }

    #[test]
    fn python_absolute_relative_and_submodule_imports() {
        let c = ctx(&[
            "src/pkg/__init__.py",
            "src/pkg/util.py",
            "src/pkg/core.py",
            "app.py",
        ]);
        let t =
            "from pkg import util\nfrom .core import run\nimport app, os\nfrom os import path\n";
        assert_eq!(
            imports(Lang::Python, "src/pkg/main.py", t, &c),
            [
                "app.py",
                "src/pkg/__init__.py",
                "src/pkg/core.py",
                "src/pkg/util.py"
            ]
        );
    }

    #[test]
    fn rust_mods_and_crate_paths() {
        let c = ctx(&[
            "host/w/src/lib.rs",
            "host/w/src/text.rs",
            "host/w/src/inspect.rs",
            "host/w/src/inspect/jq.rs",
            "host/w/src/shell/mod.rs",
        ]);
        let lib = "pub mod inspect;\nmod shell;\nuse crate::text::rel_path;\n";
        assert_eq!(
            imports(Lang::Rust, "host/w/src/lib.rs", lib, &c),
            [
                "host/w/src/inspect.rs",
                "host/w/src/shell/mod.rs",
                "host/w/src/text.rs"
            ]
        );
        let insp = "mod jq;\nuse crate::{exec, text::hidden};\nfn f() { super::shell::x(); }\n";
        assert_eq!(
            imports(Lang::Rust, "host/w/src/inspect.rs", insp, &c),
            [
                "host/w/src/inspect/jq.rs",
                "host/w/src/lib.rs",
                "host/w/src/shell/mod.rs",
                "host/w/src/text.rs"
            ],
            "crate::exec is an item of the crate root, lib.rs"
        );
        assert_eq!(
            imports(
                Lang::Rust,
                "host/w/src/inspect/jq.rs",
                "use super::super::text;",
                &c
            ),
            ["host/w/src/text.rs"]
        );
    }

    #[test]
    fn js_relative_specifiers_with_extensions_and_index() {
        let c = ctx(&["web/a.ts", "web/lib/index.ts", "web/b.tsx", "web/c.js"]);
        let t = "import x from './lib';\nexport { y } from \"./b\";\nconst c = require('../web/c.js');\nimport React from 'react';\nimport('./a.js')";
        assert_eq!(
            imports(Lang::Js, "web/main.ts", t, &c),
            ["web/a.ts", "web/b.tsx", "web/c.js", "web/lib/index.ts"]
        );
        assert_eq!(
            imports(Lang::Js, "web/main.ts", "import '../../x'", &c),
            Vec::<String>::new()
        );
    }

    #[test]
    fn go_imports_of_the_module_name_package_dirs() {
        let mut c = ctx(&[
            "go.mod",
            "main.go",
            "internal/db/db.go",
            "internal/db/db_test.go",
        ]);
        c.go_module = go_module("// x\nmodule example.com/app\n\ngo 1.22\n");
        assert_eq!(c.go_module.as_deref(), Some("example.com/app"));
        let t = "package main\n\nimport (\n\t\"fmt\"\n\tdb \"example.com/app/internal/db\"\n)\nimport \"example.com/app/missing\"\n";
        let deps = imports(Lang::Go, "main.go", t, &c);
        assert_eq!(deps, ["pkg:internal/db"]);
        assert!(points_at(&deps[0], "internal/db/db.go"));
        assert!(!points_at(&deps[0], "main.go"));
    }

    #[test]
    fn report_lists_both_directions_or_says_none() {
        let r = report("a.py", &["b.py".into(), "pkg:x".into()], &["c.py".into()]);
        assert_eq!(
            r,
            "== a.py ==\n\nImports from (2):\n  b.py\n  x/ (package)\n\nImported by (1):\n  c.py"
        );
        assert_eq!(
            report("a.py", &[], &[]),
            "== a.py ==\n  (no import relationships found)"
        );
        assert_eq!(Lang::of("x/y.tsx"), Some(Lang::Js));
        assert_eq!(Lang::of("README"), None);
    }
}
