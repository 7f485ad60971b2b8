//! The benchmark tree: about 100,000 lines of Rust, Python, JavaScript, TypeScript and Go
//! with imports between modules, written into a directory. Shared by `dgov-sentrux`'s scan
//! benchmark and `dgov-architecture`'s plugin-vs-native benchmark (included there by path),
//! so both measure the same tree.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::Path;

const TARGET_LINES: usize = 100_000;
const FUNCS_PER_FILE: usize = 20;

fn rust_file(i: usize, n: usize) -> String {
    let mut s = String::new();
    for k in 1..=3 {
        let _ = writeln!(s, "use crate::m{}::Item{};", (i + k * 7) % n, k);
    }
    for f in 0..FUNCS_PER_FILE {
        let _ = writeln!(
            s,
            "\n/// Doc for f{f}.\npub fn f{f}(a: u32, b: &[u32]) -> u32 {{\n    let mut t = 0;\n    for x in b {{\n        if *x > a && *x % 2 == 0 {{\n            t += x;\n        }} else if *x == {f} {{\n            t -= 1;\n        }}\n    }}\n    match t {{\n        0 => 1,\n        _ => t,\n    }}\n}}"
        );
    }
    s
}

fn python_file(i: usize, n: usize) -> String {
    let mut s = String::new();
    for k in 1..=3 {
        let _ = writeln!(s, "from . import m{}", (i + k * 7) % n);
    }
    let _ = writeln!(s, "import os\n");
    for f in 0..FUNCS_PER_FILE {
        let _ = writeln!(
            s,
            "\ndef f{f}(a, b, *rest):\n    total = 0\n    for x in b:\n        if x > a and x % 2 == 0:\n            total += x\n        elif x == {f}:\n            total -= 1\n    try:\n        os.stat(str(a))\n    except OSError:\n        pass\n    return total"
        );
    }
    s
}

fn js_file(i: usize, n: usize, ts: bool) -> String {
    let mut s = String::new();
    for k in 1..=3 {
        let _ = writeln!(s, "import {{ f0 as g{k} }} from './m{}';", (i + k * 7) % n);
    }
    let ty = if ts { ": number" } else { "" };
    for f in 0..FUNCS_PER_FILE {
        let _ = writeln!(
            s,
            "\nexport function f{f}(a{ty}, b{ty}) {{\n  let t = 0;\n  for (let x = 0; x < b; x++) {{\n    if (x > a && x % 2 === 0) {{\n      t += x;\n    }} else if (x === {f}) {{\n      t -= 1;\n    }}\n  }}\n  return t > 0 ? t : g1(t, 0);\n}}"
        );
    }
    s
}

fn go_file(i: usize, n: usize) -> String {
    let mut s = format!("package m{i}\n\nimport (\n\t\"fmt\"\n");
    for k in 1..=3 {
        let _ = writeln!(s, "\t\"example.com/bench/go/m{}\"", (i + k * 7) % n);
    }
    s.push_str(")\n");
    for f in 0..FUNCS_PER_FILE {
        let _ = writeln!(
            s,
            "\nfunc F{f}(a int, b []int) int {{\n\tt := 0\n\tfor _, x := range b {{\n\t\tif x > a && x%2 == 0 {{\n\t\t\tt += x\n\t\t}} else if x == {f} {{\n\t\t\tt--\n\t\t}}\n\t}}\n\tfmt.Println(t)\n\treturn t\n}}"
        );
    }
    s
}

/// Writes the tree; returns (relative path, bytes) for every file, read back from disk.
pub fn generate(root: &Path) -> Vec<(String, usize)> {
    let mut written = Vec::new();
    let mut lines = 0;
    let per_lang = 20; // files per language per round
    let mut round = 0;
    while lines < TARGET_LINES {
        for lang in ["rs", "py", "ts", "js", "go"] {
            for j in 0..per_lang {
                let i = round * per_lang + j;
                let n = (round + 1) * per_lang;
                let (rel, text) = match lang {
                    "rs" => (format!("rust/src/m{i}.rs"), rust_file(i, n)),
                    "py" => (format!("python/pkg/m{i}.py"), python_file(i, n)),
                    "ts" => (format!("web/src/m{i}.ts"), js_file(i, n, true)),
                    "js" => (format!("js/lib/m{i}.js"), js_file(i, n, false)),
                    _ => (format!("go/m{i}/m{i}.go"), go_file(i, n)),
                };
                let path = root.join(&rel);
                std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
                std::fs::write(&path, &text).expect("write");
                lines += text.lines().count();
                written.push((rel, text.len()));
            }
        }
        round += 1;
    }
    written
}
