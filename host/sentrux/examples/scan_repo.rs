//! Scans a git repository's tracked files and prints what `dgov sentrux check`, `gate`
//! and `offenders` would print: `cargo run -p dgov-sentrux --example scan_repo -- <dir>`.
//! A development aid until the CLI is wired; it reads `.sentrux/rules.toml` and
//! `.sentrux/baseline.json` when present.

use std::path::Path;
use std::process::Command;

fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| ".".to_string());
    let root = Path::new(&root);
    let out = match Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z"])
        .output()
    {
        Ok(out) if out.status.success() => out.stdout,
        _ => {
            eprintln!(
                "{}: not a git repository (git ls-files failed)",
                root.display()
            );
            std::process::exit(2);
        }
    };
    let files: Vec<(String, dgov_syntax::FileFacts)> = out
        .split(|&b| b == 0)
        .filter_map(|p| std::str::from_utf8(p).ok())
        .filter(|p| dgov_syntax::Language::from_path(p).is_some())
        .filter_map(|p| {
            let bytes = std::fs::read(root.join(p)).ok()?;
            dgov_syntax::parse_file(p, &bytes)
                .ok()
                .map(|f| (p.to_string(), f))
        })
        .collect();
    let rules = std::fs::read_to_string(root.join(".sentrux/rules.toml"))
        .ok()
        .and_then(|t| {
            dgov_sentrux::Rules::from_toml(&t)
                .map_err(|e| eprintln!("{e}"))
                .ok()
        });
    let report = dgov_sentrux::scan(&files, rules.as_ref());
    print!("{}", dgov_sentrux::render_check_text(&report));
    if let Ok(text) = std::fs::read_to_string(root.join(".sentrux/baseline.json")) {
        match dgov_sentrux::Baseline::from_json(&text) {
            Ok(b) => print!(
                "{}",
                dgov_sentrux::render_gate_text(&dgov_sentrux::compare(&b, &report, None))
            ),
            Err(e) => eprintln!("{e}"),
        }
    }
    print!("{}", dgov_sentrux::render_offenders_text(&report, 5));
    println!(
        "files {} lines {} functions {} edges {} cross-module {} coupling {:.3} depth {} quality {}",
        report.files,
        report.lines,
        report.functions,
        report.total_import_edges,
        report.cross_module_edges,
        report.coupling_score,
        report.max_depth,
        report.quality
    );
    println!("{:?}", report.root_causes);
}
