//! Benchmark: generate a 100,000-line tree in five languages in a temp dir, then read,
//! parse (dgov-syntax, native tree-sitter) and compute every metric (dgov-sentrux), and
//! print a table. Run with `cargo bench -p dgov-sentrux`. Budget: whole scan < 3 s.

use std::path::Path;
use std::time::{Duration, Instant};

use dgov_syntax::FileFacts;

#[path = "tree_gen.rs"]
mod tree_gen;
use tree_gen::generate;

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
