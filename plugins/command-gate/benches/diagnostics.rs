//! Parsing and diffing type-check output: how long the command gate takes to turn a checker's
//! output into diagnostic identities and judge it against a baseline, for outputs of growing
//! size in the rustc/ty block format and the mypy one-line format. Prints a table.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Instant;

use command_gate::diagnostics::{Diagnostic, judge, parse};

fn rustc_output(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "error[E{:04}]: mismatched types in `f{i}`\n  --> src/m{}/file{}.rs:{}:5\n   |\n{} |     let x: u32 = \"a\";\n   |                  ^^^ expected `u32`\n\n",
            i % 700,
            i % 13,
            i % 97,
            i % 400 + 1,
            i % 400 + 1
        ));
    }
    s
}

fn mypy_output(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "pkg/mod{}/file{}.py:{}: error: Incompatible types in assignment (expression has type \"int\", variable has type \"str\")  [code-{}]\n",
            i % 13,
            i % 97,
            i % 400 + 1,
            i % 50
        ));
    }
    s.push_str(&format!(
        "Found {n} errors in 97 files (checked 120 source files)\n"
    ));
    s
}

fn time<T>(reps: u32, mut f: impl FnMut() -> T) -> f64 {
    let start = Instant::now();
    for _ in 0..reps {
        black_box(f());
    }
    start.elapsed().as_secs_f64() * 1000.0 / reps as f64
}

fn main() {
    let exists = |_: &str| false;
    println!(
        "{:<8} {:>12} {:>10} {:>12} {:>12} {:>14}",
        "format", "diagnostics", "output KB", "parse ms", "judge ms", "identities"
    );
    for (name, make) in [
        ("rustc", rustc_output as fn(usize) -> String),
        ("mypy", mypy_output),
    ] {
        for n in [100, 1_000, 10_000, 100_000] {
            let out = make(n);
            let reps = if n >= 100_000 { 3 } else { 20 };
            let parse_ms = time(reps, || parse(&out, &exists));
            let diags: Vec<Diagnostic> = parse(&out, &exists);
            // Half of the identities pre-exist.
            let baseline: BTreeSet<(String, String)> = diags
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 2 == 0)
                .map(|(_, d)| d.identity())
                .collect();
            let judge_ms = time(reps, || judge("tc", true, &diags, Some(&baseline), false));
            let ids: BTreeSet<_> = diags.iter().map(|d| d.identity()).collect();
            println!(
                "{:<8} {:>12} {:>10} {:>12.2} {:>12.2} {:>14}",
                name,
                diags.len(),
                out.len() / 1024,
                parse_ms,
                judge_ms,
                ids.len()
            );
            assert_eq!(diags.len(), n, "{name}: every diagnostic parsed");
        }
    }
}
