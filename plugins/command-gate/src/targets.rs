//! Test targeting: which tests a change needs, substituted for `{test_dir}` in the tests
//! command instead of the whole test directory (spec §1.3 step 4).
//!
//! Targets, in order and without duplicates:
//! 1. changed files (still existing) under `test_dir`;
//! 2. tests related to the other changed files, by language:
//!    - **Python**: the module name of the changed file (leading `src/`, `lib/` or `src_dir`
//!      stripped, `/` → `.`, `.py` and a trailing `.__init__` dropped); every `test_*.py` /
//!      `*_test.py` under `test_dir` that contains `from <module>` or `import <module>` (the
//!      module name must end there or continue with `.`, so `import foo` does not select a test
//!      of `foobar`), or `from <package> import … <leaf> …`;
//!    - **Rust**: every `.rs` file under `test_dir` with a `use`/`mod` line naming the changed
//!      file's module (its stem; `mod.rs` → its directory). A changed crate root (`lib.rs`,
//!      `main.rs`) selects every `.rs` file under `test_dir`;
//!    - **JavaScript/TypeScript**: every JS/TS file under `test_dir`, and every `*.test.*` /
//!      `*.spec.*` file next to the changed file, that imports or requires a path whose last
//!      segment (extension and a trailing `/index` dropped) is the changed file's stem
//!      (`index.*` → its directory);
//!    - **Go**: the package directory of the changed file when it holds `_test.go` files.
//!      Go test targets are package paths (`./pkg/x`), which is what `go test` takes;
//! 3. `<test_dir>/test_boundaries.py` when a changed file is under `src_dir` and it exists.
//!
//! No target → the tests gate is skipped. Everything here is pure over a small [`Fs`] trait
//! so it is unit-tested natively; [`HostFs`] is the plugin's fs-read capability.

use std::collections::BTreeSet;

/// The file system view targeting needs.
pub trait Fs {
    /// Every file under `dir` (root-relative paths), sorted; empty when `dir` is missing.
    fn walk(&self, dir: &str) -> Vec<String>;
    /// A file's text, when it exists and is UTF-8.
    /// The files directly in `dir` (root-relative paths), sorted; empty when missing.
    fn list(&self, dir: &str) -> Vec<String>;
    fn read(&self, path: &str) -> Option<String>;
    fn exists(&self, path: &str) -> bool;
}

/// The tree under review, through the host's `fs-read` capability.
pub struct HostFs;

impl Fs for HostFs {
    fn walk(&self, dir: &str) -> Vec<String> {
        dgov_sdk::host::walk(dir).unwrap_or_default()
    }
    fn list(&self, dir: &str) -> Vec<String> {
        let entries = dgov_sdk::host::list_dir(if dir.is_empty() { "." } else { dir });
        entries
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.kind == dgov_sdk::types::EntryKind::File)
            .map(|e| join(dir, &e.name))
            .collect()
    }
    fn read(&self, path: &str) -> Option<String> {
        dgov_sdk::host::read_to_string(path).ok()
    }
    fn exists(&self, path: &str) -> bool {
        dgov_sdk::host::exists(path)
    }
}

/// A directory setting as a path prefix: no leading `./`, no trailing `/`; `""` = the root.
pub fn norm_dir(dir: &str) -> String {
    let d = dir.trim().trim_start_matches("./").trim_end_matches('/');
    if d == "." {
        String::new()
    } else {
        d.to_owned()
    }
}

/// Whether `path` lies under the (normalized) directory `dir`.
pub fn under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// The languages targeting understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Python,
    Rust,
    Js,
    Go,
}

const JS_EXTS: &[&str] = &[".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"];

pub fn lang_of(path: &str) -> Option<Lang> {
    if path.ends_with(".py") {
        Some(Lang::Python)
    } else if path.ends_with(".rs") {
        Some(Lang::Rust)
    } else if path.ends_with(".go") {
        Some(Lang::Go)
    } else if JS_EXTS.iter().any(|e| path.ends_with(e)) {
        Some(Lang::Js)
    } else {
        None
    }
}

/// `name` without its last extension.
fn stem(name: &str) -> &str {
    name.rfind('.')
        .filter(|&i| i > 0)
        .map_or(name, |i| &name[..i])
}

/// Whether the file name says "test" in its language's convention.
pub fn is_test_name(path: &str) -> bool {
    let name = file_name(path);
    match lang_of(path) {
        Some(Lang::Python) => name.starts_with("test_") || name.ends_with("_test.py"),
        Some(Lang::Go) => name.ends_with("_test.go"),
        Some(Lang::Rust) => name.ends_with("_test.rs") || name == "tests.rs",
        Some(Lang::Js) => {
            let s = stem(name);
            s.ends_with(".test") || s.ends_with(".spec") || path.contains("__tests__/")
        }
        None => false,
    }
}

/// The Python module a source path defines (`src/pkg/mod.py` → `pkg.mod`).
pub fn python_module(path: &str, src_dir: &str) -> Option<String> {
    let mut p = path.strip_suffix(".py")?;
    let src = norm_dir(src_dir);
    for prefix in [src.as_str(), "src", "lib"] {
        if !prefix.is_empty()
            && let Some(rest) = p.strip_prefix(prefix).and_then(|r| r.strip_prefix('/'))
        {
            p = rest;
            break;
        }
    }
    let module = p.replace('/', ".");
    let module = module.strip_suffix(".__init__").unwrap_or(&module);
    (!module.is_empty() && module != "__init__").then(|| module.to_owned())
}

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text` contains `keyword module` with the module name ending there (or going on
/// into a submodule with `.`).
fn mentions_import(text: &str, keyword: &str, module: &str) -> bool {
    let needle = format!("{keyword} {module}");
    text.match_indices(&needle).any(|(i, _)| {
        let before_ok = text[..i].chars().next_back().is_none_or(|c| !ident_char(c));
        let after_ok = text[i + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !ident_char(c));
        before_ok && after_ok
    })
}

/// Whether a Python test file imports `module` (see the module docs).
pub fn python_imports(text: &str, module: &str) -> bool {
    if mentions_import(text, "from", module) || mentions_import(text, "import", module) {
        return true;
    }
    // `from pkg import (a, mod)` for module `pkg.mod`.
    let Some((package, leaf)) = module.rsplit_once('.') else {
        return false;
    };
    let head = format!("from {package} import");
    text.match_indices(&head).any(|(i, _)| {
        let rest = &text[i + head.len()..];
        let names = match rest.trim_start().strip_prefix('(') {
            Some(inner) => inner.split(')').next().unwrap_or(""),
            None => rest.lines().next().unwrap_or(""),
        };
        names
            .split(|c: char| c == ',' || c.is_whitespace())
            .any(|w| w == leaf)
    })
}

/// The module name a Rust source file is used by (`src/a/b.rs` → `b`, `src/a/mod.rs` → `a`);
/// `None` for a crate root (`lib.rs`, `main.rs`).
pub fn rust_module(path: &str) -> Option<&str> {
    let name = file_name(path);
    match name {
        "lib.rs" | "main.rs" => None,
        "mod.rs" => Some(file_name(parent(path))).filter(|s| !s.is_empty()),
        _ => Some(stem(name)),
    }
}

/// Whether a Rust test file names `module` on a `use` or `mod` line.
pub fn rust_uses(text: &str, module: &str) -> bool {
    text.lines().any(|line| {
        let l = line.split("//").next().unwrap_or("").trim_start();
        let l = l.strip_prefix("pub ").unwrap_or(l);
        (l.starts_with("use ") || l.starts_with("mod "))
            && l.split(|c: char| !ident_char(c)).any(|w| w == module)
    })
}

/// The name a JS/TS file is imported by: its stem, or its directory for `index.*`.
pub fn js_module(path: &str) -> Option<&str> {
    let s = stem(file_name(path));
    if s == "index" {
        Some(file_name(parent(path))).filter(|d| !d.is_empty())
    } else {
        Some(s).filter(|s| !s.is_empty())
    }
}

/// Quoted string literals on a line (single, double or backtick quotes).
fn literals(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find(['\'', '"', '`']) {
        let q = rest[i..].chars().next().unwrap_or('"');
        let after = &rest[i + 1..];
        let Some(j) = after.find(q) else { break };
        out.push(&after[..j]);
        rest = &after[j + 1..];
    }
    out
}

/// Whether a JS/TS file imports or requires a path ending in `module`.
pub fn js_imports(text: &str, module: &str) -> bool {
    text.lines()
        .filter(|l| l.contains("import") || l.contains("require") || l.contains("from"))
        .flat_map(literals)
        .any(|spec| {
            let mut s = spec;
            for e in JS_EXTS {
                if let Some(x) = s.strip_suffix(e) {
                    s = x;
                    break;
                }
            }
            let s = s.strip_suffix("/index").unwrap_or(s);
            file_name(s) == module
        })
}

/// What targeting needs to know about the project.
pub struct Layout<'a> {
    pub test_dir: &'a str,
    pub src_dir: &'a str,
}

/// The test targets for `changed` (changed files that still exist), see the module docs.
/// `removed` are paths the change deleted or renamed away: their tests are looked up too (a
/// test importing a removed module must run), but they are never targets themselves.
pub fn targets(
    changed: &[String],
    removed: &[String],
    layout: &Layout<'_>,
    fs: &dyn Fs,
) -> Vec<String> {
    let test_dir = norm_dir(layout.test_dir);
    let src_dir = norm_dir(layout.src_dir);
    let mut out: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut push = |t: String, out: &mut Vec<String>| {
        if seen.insert(t.clone()) {
            out.push(t);
        }
    };
    for f in changed {
        if under(f, &test_dir) && !test_dir.is_empty() {
            push(go_target(f), &mut out);
        }
    }
    let sources: Vec<&String> = changed
        .iter()
        .chain(removed)
        .filter(|f| {
            !(is_test_name(f)
                || (!test_dir.is_empty() && under(f, &test_dir) && lang_of(f) == Some(Lang::Rust)))
        })
        .collect();
    // The files under test_dir, walked once and only when some source needs them.
    let mut cache: Option<Vec<String>> = None;
    let mut candidates = || -> Vec<String> {
        cache
            .get_or_insert_with(|| {
                fs.walk(&test_dir)
                    .into_iter()
                    .filter(|p| !p.contains("node_modules/") && under(p, &test_dir))
                    .collect()
            })
            .clone()
    };
    for src in sources {
        for t in related(src, &src_dir, &mut candidates, fs) {
            push(t, &mut out);
        }
    }
    let boundary = if test_dir.is_empty() {
        "test_boundaries.py".to_owned()
    } else {
        format!("{test_dir}/test_boundaries.py")
    };
    if !src_dir.is_empty()
        && changed.iter().chain(removed).any(|f| under(f, &src_dir))
        && fs.exists(&boundary)
    {
        push(boundary, &mut out);
    }
    out
}

/// Go tests run per package: a `_test.go` target becomes its package path.
fn go_target(path: &str) -> String {
    if path.ends_with("_test.go") {
        go_package(parent(path))
    } else {
        path.to_owned()
    }
}

fn go_package(dir: &str) -> String {
    if dir.is_empty() {
        ".".into()
    } else {
        format!("./{dir}")
    }
}

fn related(
    src: &str,
    src_dir: &str,
    candidates: &mut dyn FnMut() -> Vec<String>,
    fs: &dyn Fs,
) -> Vec<String> {
    let read_filter = |files: Vec<String>, pred: &dyn Fn(&str) -> bool| -> Vec<String> {
        files
            .into_iter()
            .filter(|p| p != src && fs.read(p).is_some_and(|t| pred(&t)))
            .collect()
    };
    match lang_of(src) {
        Some(Lang::Python) => {
            let Some(module) = python_module(src, src_dir) else {
                return Vec::new();
            };
            let tests = candidates()
                .into_iter()
                .filter(|p| lang_of(p) == Some(Lang::Python) && is_test_name(p))
                .collect();
            read_filter(tests, &|t| python_imports(t, &module))
        }
        Some(Lang::Rust) => {
            let tests: Vec<String> = candidates()
                .into_iter()
                .filter(|p| lang_of(p) == Some(Lang::Rust))
                .collect();
            match rust_module(src) {
                None => tests,
                Some(m) => read_filter(tests, &|t| rust_uses(t, m)),
            }
        }
        Some(Lang::Js) => {
            let Some(module) = js_module(src) else {
                return Vec::new();
            };
            let dir = parent(src);
            let mut tests: Vec<String> = candidates()
                .into_iter()
                .filter(|p| lang_of(p) == Some(Lang::Js))
                .collect();
            // Tests next to the source (`button.test.tsx` beside `button.tsx`).
            let neighbours = fs
                .list(dir)
                .into_iter()
                .filter(|p| lang_of(p) == Some(Lang::Js) && is_test_name(p));
            for n in neighbours {
                if !tests.contains(&n) {
                    tests.push(n);
                }
            }
            read_filter(tests, &|t| js_imports(t, module))
        }
        Some(Lang::Go) => {
            let dir = parent(src);
            if fs.list(dir).iter().any(|p| p.ends_with("_test.go")) {
                vec![go_package(dir)]
            } else {
                Vec::new()
            }
        }
        None => Vec::new(),
    }
}

/// The argv of a tests command with `{test_dir}` replaced by `targets` (each its own word, or
/// shell-quoted and space-joined for a shell command); `{file}`/`{files}` as usual. `None`
/// when a file placeholder has no file.
pub fn test_argv(command: &str, targets: &[String], files: &[String]) -> Option<Vec<String>> {
    let has_files = command.contains("{file}") || command.contains("{files}");
    if has_files && files.is_empty() {
        return None;
    }
    if crate::needs_shell(command) {
        let quote = |v: &[String]| {
            v.iter()
                .map(|f| crate::shell_quote(f))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let cmd = command
            .replace("{files}", &quote(files))
            .replace("{file}", &quote(files))
            .replace("{test_dir}", &quote(targets));
        return Some(vec!["sh".into(), "-c".into(), cmd]);
    }
    let mut argv = Vec::new();
    for word in crate::split_words(command) {
        match word.as_str() {
            "{file}" | "{files}" => argv.extend(files.iter().cloned()),
            "{test_dir}" => argv.extend(targets.iter().cloned()),
            // `--dir={test_dir}`: one word per target.
            w if w.contains("{test_dir}") => {
                argv.extend(targets.iter().map(|t| w.replace("{test_dir}", t)))
            }
            _ => argv.push(word),
        }
    }
    if argv.is_empty() { None } else { Some(argv) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dgov_sdk::gate::*;
    use std::collections::BTreeMap;

    struct MemFs(BTreeMap<String, String>);

    impl MemFs {
        fn new(files: &[(&str, &str)]) -> MemFs {
            MemFs(
                files
                    .iter()
                    .map(|(p, t)| (p.to_string(), t.to_string()))
                    .collect(),
            )
        }
    }

    impl Fs for MemFs {
        fn walk(&self, dir: &str) -> Vec<String> {
            self.0
                .keys()
                .filter(|p| under(p, &norm_dir(dir)))
                .cloned()
                .collect()
        }
        fn list(&self, dir: &str) -> Vec<String> {
            self.walk(dir)
                .into_iter()
                .filter(|p| parent(p) == norm_dir(dir))
                .collect()
        }
        fn read(&self, path: &str) -> Option<String> {
            self.0.get(path).cloned()
        }
        fn exists(&self, path: &str) -> bool {
            self.0.contains_key(path)
        }
    }

    const PY: Layout<'static> = Layout {
        test_dir: "tests/",
        src_dir: "src/",
    };

    fn changed(files: &[&str]) -> Vec<String> {
        files.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn python_module_names_follow_the_spec() {
        assert_eq!(
            python_module("src/dgov/settlement.py", "src/").as_deref(),
            Some("dgov.settlement")
        );
        assert_eq!(
            python_module("lib/pkg/__init__.py", "src/").as_deref(),
            Some("pkg")
        );
        assert_eq!(
            python_module("app/core/x.py", "app").as_deref(),
            Some("core.x")
        );
        assert_eq!(python_module("tools.py", "src/").as_deref(), Some("tools"));
        assert_eq!(python_module("README.md", "src/"), None);
    }

    #[test]
    fn python_related_tests_are_found_by_import_and_unrelated_ones_are_not() {
        let fs = MemFs::new(&[
            ("src/dgov/settlement.py", ""),
            (
                "tests/test_settlement.py",
                "from dgov.settlement import settle\n",
            ),
            ("tests/test_cli.py", "from dgov.cli import main\n"),
            (
                "tests/test_settlement_extra.py",
                "import dgov.settlementx\n",
            ),
            (
                "tests/sub/test_pkg.py",
                "from dgov import (\n    cli,\n    settlement,\n)\n",
            ),
            ("tests/helpers.py", "from dgov.settlement import settle\n"),
        ]);
        let t = targets(&changed(&["src/dgov/settlement.py"]), &[], &PY, &fs);
        assert_eq!(t, ["tests/sub/test_pkg.py", "tests/test_settlement.py"]);
    }

    #[test]
    fn changed_tests_come_first_and_the_boundary_test_is_added_for_src_changes() {
        let fs = MemFs::new(&[
            ("src/pkg/a.py", ""),
            ("tests/test_a.py", "import pkg.a\n"),
            ("tests/test_new.py", "def test_x(): pass\n"),
            ("tests/test_boundaries.py", ""),
        ]);
        let t = targets(
            &changed(&["tests/test_new.py", "src/pkg/a.py"]),
            &[],
            &PY,
            &fs,
        );
        assert_eq!(
            t,
            [
                "tests/test_new.py",
                "tests/test_a.py",
                "tests/test_boundaries.py"
            ]
        );
        // A change outside src_dir does not pull the boundary test in.
        let fs = MemFs::new(&[("scripts/x.py", ""), ("tests/test_boundaries.py", "")]);
        assert!(targets(&changed(&["scripts/x.py"]), &[], &PY, &fs).is_empty());
    }

    #[test]
    fn removed_and_renamed_away_modules_still_select_their_tests() {
        let fs = MemFs::new(&[
            ("src/pkg/new_name.py", ""),
            ("tests/test_old.py", "from pkg.old_name import f\n"),
            ("tests/test_gone.py", "import pkg.gone\n"),
        ]);
        let t = targets(
            &changed(&["src/pkg/new_name.py"]),
            &changed(&[
                "src/pkg/old_name.py",
                "src/pkg/gone.py",
                "tests/test_deleted.py",
            ]),
            &PY,
            &fs,
        );
        // In the order of the sources; the deleted test file is not a target.
        assert_eq!(t, ["tests/test_old.py", "tests/test_gone.py"]);
    }

    #[test]
    fn a_changed_test_helper_selects_the_tests_importing_it() {
        let fs = MemFs::new(&[
            ("tests/helpers.py", ""),
            ("tests/test_a.py", "from tests.helpers import make\n"),
            ("tests/test_b.py", "import os\n"),
        ]);
        let t = targets(&changed(&["tests/helpers.py"]), &[], &PY, &fs);
        assert_eq!(t, ["tests/helpers.py", "tests/test_a.py"]);
    }

    #[test]
    fn rust_tests_are_related_by_use_or_mod_paths_and_crate_roots_select_all() {
        let fs = MemFs::new(&[
            ("src/policy.rs", ""),
            ("src/gates/mod.rs", ""),
            ("tests/policy.rs", "use mycrate::policy::{load, Policy};\n"),
            ("tests/gates.rs", "use mycrate::{gates::Gates, x};\n"),
            (
                "tests/other.rs",
                "use mycrate::run; // policy mentioned in a comment\n",
            ),
        ]);
        let l = Layout {
            test_dir: "tests",
            src_dir: "src",
        };
        assert_eq!(
            targets(&changed(&["src/policy.rs"]), &[], &l, &fs),
            ["tests/policy.rs"]
        );
        assert_eq!(
            targets(&changed(&["src/gates/mod.rs"]), &[], &l, &fs),
            ["tests/gates.rs"]
        );
        assert_eq!(
            targets(&changed(&["src/lib.rs"]), &[], &l, &fs),
            ["tests/gates.rs", "tests/other.rs", "tests/policy.rs"]
        );
    }

    #[test]
    fn js_tests_are_related_by_import_path_including_neighbours() {
        let fs = MemFs::new(&[
            ("src/util/format.ts", ""),
            ("src/util/format.test.ts", "import { f } from './format';\n"),
            ("src/util/other.test.ts", "import { g } from './other';\n"),
            (
                "test/format.spec.js",
                "const f = require('../src/util/format.js');\n",
            ),
            ("test/index.spec.js", "import u from '../src/util';\n"),
            ("src/util/index.ts", ""),
        ]);
        let l = Layout {
            test_dir: "test",
            src_dir: "src",
        };
        assert_eq!(
            targets(&changed(&["src/util/format.ts"]), &[], &l, &fs),
            ["test/format.spec.js", "src/util/format.test.ts"]
        );
        assert_eq!(
            targets(&changed(&["src/util/index.ts"]), &[], &l, &fs),
            ["test/index.spec.js"]
        );
    }

    #[test]
    fn go_targets_are_package_directories_with_tests() {
        let fs = MemFs::new(&[
            ("pkg/x/x.go", ""),
            ("pkg/x/x_test.go", ""),
            ("pkg/y/y.go", ""),
        ]);
        let l = Layout {
            test_dir: "tests",
            src_dir: "",
        };
        assert_eq!(
            targets(&changed(&["pkg/x/x.go"]), &[], &l, &fs),
            ["./pkg/x"]
        );
        assert!(targets(&changed(&["pkg/y/y.go"]), &[], &l, &fs).is_empty());
    }

    #[test]
    fn targets_replace_the_test_dir_placeholder() {
        let t = changed(&["tests/test_a.py", "tests/it's.py"]);
        assert_eq!(
            test_argv("python -m pytest {test_dir} -q", &t, &[]).unwrap(),
            [
                "python",
                "-m",
                "pytest",
                "tests/test_a.py",
                "tests/it's.py",
                "-q"
            ]
        );
        assert_eq!(
            test_argv("pytest {test_dir} | tail -5", &t, &[]).unwrap()[2],
            r"pytest tests/test_a.py 'tests/it'\''s.py' | tail -5"
        );
        assert_eq!(
            test_argv("runner --path={test_dir}", &t[..1], &[]).unwrap(),
            ["runner", "--path=tests/test_a.py"]
        );
        assert_eq!(test_argv("lint {file} {test_dir}", &t, &[]), None);
    }

    fn ctx(changed: &[(&str, ChangeKind, Option<&str>)]) -> GateContext {
        GateContext {
            task: "t".into(),
            phase: Phase::Isolated,
            revs: dgov_sdk::types::Revs {
                base: "a".into(),
                head: "b".into(),
                target: None,
            },
            changed: changed
                .iter()
                .map(|(p, kind, old)| ChangedFile {
                    path: (*p).into(),
                    kind: *kind,
                    old_path: old.map(str::to_string),
                    added_lines: vec![],
                })
                .collect(),
            claims: Claims {
                create: vec![],
                edit: vec![],
                delete: vec![],
                touch: vec![],
                read: vec![],
                enforced: false,
            },
            config_json: "{}".into(),
        }
    }

    #[test]
    fn the_tests_gate_targets_only_with_the_placeholder_and_skips_without_targets() {
        let fs = MemFs::new(&[
            ("src/pkg/new.py", ""),
            ("tests/test_old.py", "from pkg.old import f\n"),
        ]);
        let config = |command: &str| crate::Config {
            kind: "tests".into(),
            command: command.into(),
            test_dir: "tests/".into(),
            src_dir: "src/".into(),
            ..crate::Config::default()
        };
        let renamed = ctx(&[(
            "src/pkg/new.py",
            ChangeKind::Renamed,
            Some("src/pkg/old.py"),
        )]);
        // A literal command runs as written, whatever changed.
        let argv = crate::command_argv(&config("pytest -q"), &renamed, &[], &fs).unwrap();
        assert_eq!(argv, ["pytest", "-q"]);
        // With the placeholder: the test of the renamed-away module.
        let argv = crate::command_argv(&config("pytest {test_dir}"), &renamed, &[], &fs).unwrap();
        assert_eq!(argv, ["pytest", "tests/test_old.py"]);
        // Turned off: the directory itself.
        let mut off = config("pytest {test_dir}");
        off.target_tests = Some(false);
        let argv = crate::command_argv(&off, &renamed, &[], &fs).unwrap();
        assert_eq!(argv, ["pytest", "tests/"]);
        // Nothing related: skipped, saying why.
        let docs = ctx(&[("docs/x.md", ChangeKind::Added, None)]);
        let skipped =
            crate::command_argv(&config("pytest {test_dir}"), &docs, &[], &fs).unwrap_err();
        assert_eq!(skipped.verdict, Verdict::Skip);
        assert!(
            skipped.summary.contains("no test targets"),
            "{}",
            skipped.summary
        );
    }

    #[test]
    fn import_matching_respects_name_boundaries() {
        assert!(python_imports("import foo\n", "foo"));
        assert!(python_imports("    from foo.bar import x", "foo"));
        assert!(!python_imports("import foobar\n", "foo"));
        assert!(!python_imports("import myfoo\n", "foo"));
        assert!(python_imports("from a.b import c, d\n", "a.b.d"));
        assert!(!python_imports("from a.b import cd\n", "a.b.c"));
        assert!(rust_uses("pub mod policy;\n", "policy"));
        assert!(!rust_uses("let policy = 1;\n", "policy"));
        assert!(js_imports("export * from \"../lib/format.mjs\"", "format"));
        assert!(!js_imports("import x from './formatter'", "format"));
    }
}
