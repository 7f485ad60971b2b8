//! Benchmark: generate a 100,000-line tree in five languages in a temp dir, then read,
//! parse (dgov-syntax, native tree-sitter) and compute every metric (dgov-sentrux), and
//! print a table. Run with `cargo bench -p dgov-sentrux`. Budget: whole scan < 3 s.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use dgov_syntax::FileFacts;

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
fn generate(root: &Path) -> Vec<(String, usize)> {
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

fn parse_all(root: &Path, rels: &[String], threads: usize) -> Vec<(String, FileFacts)> {
    let chunk = rels.len().div_ceil(threads.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = rels
            .chunks(chunk.max(1))
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter_map(|rel| {
                            let bytes = std::fs::read(root.join(rel)).ok()?;
                            dgov_syntax::parse_file(rel, &bytes)
                                .ok()
                                .map(|f| (rel.clone(), f))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("parser thread"))
            .collect()
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let written = generate(dir.path());
    let rels: Vec<String> = written.iter().map(|(r, _)| r.clone()).collect();
    let bytes: usize = written.iter().map(|(_, b)| b).sum();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);

    // Warm-up (parsers are created lazily per thread).
    let _ = parse_all(dir.path(), &rels[..10], 1);

    let t = Instant::now();
    let single = parse_all(dir.path(), &rels, 1);
    let parse_single = t.elapsed();

    let total_start = Instant::now();
    let facts = parse_all(dir.path(), &rels, threads);
    let parse = total_start.elapsed();
    let t = Instant::now();
    let report = dgov_sentrux::scan(&facts, None);
    let metrics = t.elapsed();
    let total = total_start.elapsed();
    assert_eq!(single.len(), facts.len());

    let lines = report.lines as f64;
    let files = report.files as f64;
    println!("dgov-sentrux scan benchmark ({threads} threads)");
    println!("{:<34} {:>14}", "metric", "value");
    println!("{:<34} {:>14}", "files", report.files);
    println!("{:<34} {:>14}", "lines", report.lines);
    println!(
        "{:<34} {:>14.1}",
        "source MiB",
        bytes as f64 / (1024.0 * 1024.0)
    );
    println!("{:<34} {:>14}", "functions", report.functions);
    println!("{:<34} {:>14}", "import edges", report.total_import_edges);
    println!(
        "{:<34} {:>14.1}",
        "read+parse, 1 thread (ms)",
        ms(parse_single)
    );
    println!(
        "{:<34} {:>14.1}",
        format!("read+parse, {threads} threads (ms)"),
        ms(parse)
    );
    println!("{:<34} {:>14.1}", "metrics (ms)", ms(metrics));
    println!("{:<34} {:>14.1}", "whole scan (ms)", ms(total));
    println!(
        "{:<34} {:>14.0}",
        "files/s (whole scan)",
        files / total.as_secs_f64()
    );
    println!(
        "{:<34} {:>14.0}",
        "lines/s (whole scan)",
        lines / total.as_secs_f64()
    );
    println!("{:<34} {:>14}", "quality", report.quality);
    println!(
        "{:<34} {:>14}",
        "budget (< 3000 ms)",
        if total.as_secs_f64() < 3.0 {
            "met"
        } else {
            "MISSED"
        }
    );
}
