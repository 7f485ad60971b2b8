//! Benchmark: the semantic gate's per-file work on a 2,000-line file pair, step by step.
//! Run with `cargo bench -p dgov-syntax`. Issue budget for the whole semantic gate on such a
//! pair (four versions plus the plugin call): 20 ms.
//!
//! Columns (median of 20 runs, ms): `full facts` = `parse_file` of one version (everything
//! other analyses need); `symbols` = `parse_symbols` (what the semantic gate needs); `edited`
//! = `SymbolsDoc::edited`, the second version re-extracted from the first; `parse pair` =
//! `parse_pair` (tree-sitter incremental re-parse; reuses little with Python's scanner);
//! `diff` = `symbol_changes` of the two versions.

use std::fmt::Write as _;
use std::time::Instant;

fn python(functions: usize, edit: usize) -> String {
    let mut s = String::from("import os\n\n");
    for f in 0..functions {
        let k = if f == edit { 99 } else { f };
        let _ = writeln!(
            s,
            "\ndef f{f}(a, b):\n    total = 0\n    for x in b:\n        if x > a and x % 2 == 0:\n            total += x\n        elif x == {k}:\n            total -= 1\n    return total + os.getpid()\n"
        );
    }
    s
}

fn rust(functions: usize, edit: usize) -> String {
    let mut s = String::new();
    for f in 0..functions {
        let k = if f == edit { 99 } else { f };
        let _ = writeln!(
            s,
            "\npub fn f{f}(a: u32, b: &[u32]) -> u32 {{\n    let mut t = 0;\n    for x in b {{\n        if *x > a && *x % 2 == 0 {{\n            t += x;\n        }} else if *x == {k} {{\n            t -= 1;\n        }}\n    }}\n    t\n}}"
        );
    }
    s
}

/// Median milliseconds of `runs` calls of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    println!(
        "{:<8} {:>6} {:>11} {:>9} {:>8} {:>11} {:>8}",
        "language", "lines", "full facts", "symbols", "edited", "parse pair", "diff"
    );
    for (path, base, edited) in [
        ("m.py", python(200, usize::MAX), python(200, 7)),
        ("m.rs", rust(167, usize::MAX), rust(167, 7)),
    ] {
        let (b, e) = (base.as_bytes(), edited.as_bytes());
        let _ = dgov_syntax::parse_file(path, b); // warm the parser cache
        let runs = 20;
        let full = median(runs, || {
            dgov_syntax::parse_file(path, b).expect("parses");
        });
        let symbols = median(runs, || {
            dgov_syntax::parse_symbols(path, b).expect("parses");
        });
        let doc = dgov_syntax::SymbolsDoc::parse(path, b).expect("parses");
        let again = median(runs, || {
            doc.edited(path, b, e).expect("parses");
        });
        let pair = median(runs, || {
            dgov_syntax::parse_pair(path, b, e).expect("parses");
        });
        let (x, y) = dgov_syntax::parse_pair(path, b, e).expect("parses");
        let mut changed = 0;
        let diff = median(runs, || changed = dgov_syntax::symbol_changes(&x, &y).len());
        assert_eq!(changed, 1, "exactly the edited function differs");
        let after = doc.edited(path, b, e).expect("parses");
        assert_eq!(
            after.facts.symbols, y.symbols,
            "edited equals a fresh parse"
        );
        let lang = if path.ends_with(".py") {
            "python"
        } else {
            "rust"
        };
        println!(
            "{lang:<8} {:>6} {full:>11.2} {symbols:>9.2} {again:>8.2} {pair:>11.2} {diff:>8.3}",
            base.lines().count(),
        );
    }
}
