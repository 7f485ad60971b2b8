//! Compile benchmark: generated plans of 1,000 (10 sections × 100 tasks) and 10,000
//! (10 × 1,000) tasks with a random DAG and file claims, compiled from disk end to end
//! (walk, parse, resolve, cycle and conflict checks, SOP bundling, provider resolution,
//! serialize). Prints a table.
//!
//! Run with `cargo bench -p dgov-plan`.

use std::path::Path;
use std::time::Instant;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Write a plan with `sections` × `per_section` tasks (10 tasks per file). Each task depends
/// on up to 3 random earlier tasks; each edits its own file and reads two shared ones.
fn generate(dir: &Path, sections: usize, per_section: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let names: Vec<String> = (0..sections).map(|s| format!("s{s}")).collect();
    let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    std::fs::write(
        dir.join("_root.toml"),
        format!(
            "[plan]\nname = \"bench\"\nsections = [{}]\n",
            list.join(", ")
        ),
    )
    .unwrap();
    let mut ids: Vec<String> = Vec::new();
    for s in &names {
        std::fs::create_dir_all(dir.join(s)).unwrap();
        for f in 0..per_section.div_ceil(10) {
            let mut text = String::new();
            for t in 0..10.min(per_section - f * 10) {
                let slug = format!("task{t}");
                let mut deps = Vec::new();
                if !ids.is_empty() {
                    for _ in 0..(rng.next() % 4) {
                        let back = 1 + (rng.next() as usize % ids.len().min(200));
                        deps.push(format!("\"{}\"", ids[ids.len() - back]));
                    }
                    deps.sort();
                    deps.dedup();
                }
                text.push_str(&format!(
                    "[tasks.{slug}]\nsummary = \"Change module {s} {f} {t}\"\nprompt = \"\"\"\n## Orient\nRead src/{s}/m{f}_{t}.rs.\n## Edit\nChange it.\n## Verify\ncargo test\n\"\"\"\ndepends_on = [{}]\nfiles.edit = [\"src/{s}/m{f}_{t}.rs\"]\nfiles.read = [\"src/{s}/mod.rs\", \"Cargo.toml\"]\n\n",
                    deps.join(", ")
                ));
                ids.push(format!("{s}/f{f}.{slug}"));
            }
            std::fs::write(dir.join(s).join(format!("f{f}.toml")), text).unwrap();
        }
    }
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    println!(
        "{:<22} {:>8} {:>8} {:>12} {:>12} {:>12}",
        "plan", "tasks", "edges", "best ms", "median ms", "peak RSS MB"
    );
    for (sections, per) in [(10, 100), (10, 1000)] {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
        // A real project: scaffolded SOPs (bundled into every prompt) and a provider, so the
        // full non-dry-run pipeline runs.
        dgov_plan::init::init_project(tmp.path(), Some(dgov_plan::init::Language::Rust), false)
            .unwrap();
        let cfg = tmp.path().join(".dgov/project.toml");
        let text = std::fs::read_to_string(&cfg).unwrap();
        std::fs::write(
            &cfg,
            format!("{text}\n[providers.local]\nbase_url = \"http://127.0.0.1:9/v1\"\napi_key_env = \"K\"\ndefault_agent = \"m\"\n"),
        )
        .unwrap();
        let dir = tmp.path().join(".dgov/plans/bench");
        std::fs::create_dir_all(&dir).unwrap();
        generate(&dir, sections, per);
        let opts = dgov_plan::CompileOptions { dry_run: false };
        let runs = if per >= 1000 { 5 } else { 15 };
        let mut times = Vec::new();
        let mut edges = 0;
        let mut tasks = 0;
        for _ in 0..runs {
            let t0 = Instant::now();
            let (plan, _) =
                dgov_plan::compile_plan_dir_with(&dir, &opts).expect("generated plan compiles");
            let text = dgov_plan::compiled::to_toml(&plan);
            assert!(plan.tasks[0].prompt.starts_with("[SOP: "), "SOPs bundled");
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(text);
            edges = plan.edge_count();
            tasks = plan.tasks.len();
        }
        times.sort_by(f64::total_cmp);
        let rss = peak_rss_kb().map_or("?".to_string(), |kb| format!("{:.1}", kb as f64 / 1024.0));
        println!(
            "{:<22} {:>8} {:>8} {:>12.1} {:>12.1} {:>12}",
            format!("{sections} x {per}"),
            tasks,
            edges,
            times[0],
            times[times.len() / 2],
            rss
        );
    }
}
