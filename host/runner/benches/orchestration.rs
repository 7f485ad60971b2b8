//! Benchmark: a plan of 200 independent tasks, each writing one file, with a fake worker that
//! answers at once. Reports total wall time and orchestration overhead per task (everything
//! but the worker: store writes, worktree creation, commit, serial merge, cleanup). Budget:
//! under 25 ms per task. Run with `cargo bench -p dgov-runner`.

use std::sync::Arc;
use std::time::Instant;

use dgov_kernel::RunMode;
use dgov_runner::*;

fn tasks() -> usize {
    std::env::var("BENCH_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// CPU seconds (user + system) this process has used so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct we pass.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn one(cap: Option<usize>, tree_files: usize) -> (f64, f64, usize) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    std::fs::create_dir(&root).unwrap();
    git2::Repository::init(&root).unwrap();
    // The files every attempt's worktree has to check out.
    std::fs::write(root.join("README"), "bench\n").unwrap();
    for i in 0..tree_files.saturating_sub(1) {
        std::fs::create_dir_all(root.join(format!("src/m{}", i % 5))).unwrap();
        std::fs::write(
            root.join(format!("src/m{}/f{i}.rs", i % 5)),
            format!("pub fn f{i}() {{}}\n"),
        )
        .unwrap();
    }
    dgov_git::Repo::open(&root)
        .unwrap()
        .bootstrap_commit()
        .unwrap();
    let plan = RunPlan {
        name: "bench".into(),
        dir: None,
        tasks: (0..tasks())
            .map(|i| RunTask {
                id: format!("tasks/main.t{i:03}"),
                depends_on: vec![],
                prompt: String::new(),
                files: vec![format!("out/t{i:03}.txt")],
                read: Vec::new(),
                test_cmd: None,
                commit_message: format!("feat: t{i:03}"),
                timeout: None,
                retries: 0,
                forks: 1,
            })
            .collect(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    let cpu0 = cpu_seconds();
    let report = rt.block_on(async {
        let lock = dgov_store::RunLock::acquire(&root.join(".dgov")).unwrap();
        let cfg = RunConfig {
            root: root.clone(),
            mode: RunMode::Fresh,
            max_parallel: cap,
            archive: false,
        };
        let deps = RunDeps {
            worker: Arc::new(FakeWorker::default()),
            settlement: Arc::new(AcceptAll),
            progress: Arc::new(Silent),
        };
        run(plan, cfg, lock, deps, std::future::pending())
            .await
            .unwrap()
    });
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    assert_eq!(report.status, RunStatus::Complete);
    (secs, cpu, report.summary.merged.len())
}

fn main() {
    println!(
        "| repository | parallelism | tasks merged | wall time | wall per task | CPU per task | budget |"
    );
    println!("|---|---|---|---|---|---|---|");
    let configs: &[(usize, Option<usize>)] = if std::env::var_os("BENCH_QUICK").is_some() {
        &[(1, None)]
    } else {
        &[(1, None), (1, Some(8)), (50, None)]
    };
    for &(files, cap) in configs {
        let (secs, cpu, merged) = one(cap, files);
        println!(
            "| {files} tracked file(s) | {} | {merged} | {:.2} s | {:.1} ms | {:.1} ms | 25 ms |",
            cap.map_or("unbounded".to_string(), |c| format!("--max-parallel {c}")),
            secs,
            secs * 1000.0 / tasks() as f64,
            cpu * 1000.0 / tasks() as f64
        );
    }
}
