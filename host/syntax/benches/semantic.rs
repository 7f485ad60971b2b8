//! Benchmark: the semantic gate's per-file work on a 2,000-line file pair (parse both
//! versions with `parse_pair`, the second incrementally, then diff their symbols). Run with `cargo bench -p dgov-syntax`. Issue budget for
//! the whole semantic gate on such a pair: 20 ms.

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

fn main() {
    println!(
        "{:<10} {:>7} {:>12} {:>12} {:>12}",
        "language", "lines", "parse pair ms", "diff ms", "total ms"
    );
    for (path, base, edited) in [
        ("m.py", python(200, usize::MAX), python(200, 7)),
        ("m.rs", rust(167, usize::MAX), rust(167, 7)),
    ] {
        let _ = dgov_syntax::parse_file(path, base.as_bytes()); // warm the parser cache
        let runs = 20;
        let (mut parse, mut diff) = (0.0, 0.0);
        let mut changed = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let (a, b) =
                dgov_syntax::parse_pair(path, base.as_bytes(), edited.as_bytes()).expect("parses");
            parse += t.elapsed().as_secs_f64();
            let t = Instant::now();
            changed = dgov_syntax::symbol_changes(&a, &b).len();
            diff += t.elapsed().as_secs_f64();
        }
        assert_eq!(changed, 1, "exactly the edited function differs");
        let (parse, diff) = (parse * 1000.0 / runs as f64, diff * 1000.0 / runs as f64);
        let lang = if path.ends_with(".py") {
            "python"
        } else {
            "rust"
        };
        println!(
            "{lang:<10} {:>7} {parse:>12.2} {diff:>12.3} {:>12.2}",
            base.lines().count(),
            parse + diff
        );
    }
}
