//! Worker benchmarks (prints a table): start-up of the worker subprocess to its first LLM
//! request (cached plugin compile), and the per-call overhead of the WASM tools against a
//! direct native call. Run with `cargo bench -p dgov-worker`.

use std::path::Path;
use std::time::{Duration, Instant};

use dgov_worker::spec::{AttemptSpec, ProviderSpec};
use dgov_worker::tools::{self, ToolBox};
use serde_json::json;
use tokio::io::AsyncReadExt;

#[path = "../tests/support/spec.rs"]
mod spec;

fn spec(worktree: &Path, base_url: &str) -> AttemptSpec {
    AttemptSpec {
        plan: "bench".into(),
        prompt: "bench".into(),
        provider: ProviderSpec {
            name: "bench".into(),
            base_url: base_url.into(),
            api_key_env: "DGOV_BENCH_KEY".into(),
        },
        exec_allow: vec!["sh".into(), "git".into()],
        iteration_budget: 1,
        warn_at: 1,
        ..spec::attempt_spec(worktree)
    }
}

fn stats(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn row(name: &str, n: usize, (min, med, max): (Duration, Duration, Duration)) {
    println!(
        "| {name:<44} | {n:>5} | {:>10.3} | {:>10.3} | {:>10.3} |",
        min.as_secs_f64() * 1e3,
        med.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
}

async fn startup(dir: &Path, runs: usize) -> Vec<Duration> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let spec_path = dir.join("spec.json");
    spec(dir, &url).write(&spec_path).unwrap();
    let exe = env!("CARGO_BIN_EXE_dgov-worker-proc");
    let mut out = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut child = tokio::process::Command::new(exe)
            .arg("--spec")
            .arg(&spec_path)
            .env("DGOV_BENCH_KEY", "k")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 16];
        let _ = sock.read(&mut buf).await;
        out.push(started.elapsed());
        let _ = child.kill().await;
    }
    out
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("src")).unwrap();
    for i in 0..50 {
        std::fs::write(d.join(format!("src/f{i}.txt")), "hello world\n".repeat(20)).unwrap();
    }
    std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(d)
        .status()
        .unwrap();
    println!(
        "| {:<44} | {:>5} | {:>10} | {:>10} | {:>10} |",
        "benchmark", "n", "min ms", "median ms", "max ms"
    );
    println!(
        "|{:-<46}|{:-<7}|{:-<12}|{:-<12}|{:-<12}|",
        "", "", "", "", ""
    );
    // Warm the compile cache once, as after the first worker of a machine.
    let _ = rt.block_on(startup(d, 1));
    row(
        "worker start-up to first LLM request",
        10,
        stats(rt.block_on(startup(d, 10))),
    );

    let n = 1000;
    rt.block_on(async {
        let rtm = tools::runtime().unwrap();
        let plugin = tools::load_plugin(rtm).unwrap();
        let mut tb = ToolBox::open(&plugin, &spec(d, "http://127.0.0.1:9"))
            .await
            .unwrap();
        let mut wasm = Vec::new();
        for i in 0..n {
            let t = Instant::now();
            let r = tb
                .call(
                    "read_file",
                    &json!({"path": format!("src/f{}.txt", i % 50)}),
                )
                .await;
            wasm.push(t.elapsed());
            assert!(!r.failed);
        }
        let mut native = Vec::new();
        for i in 0..n {
            let t = Instant::now();
            let s = std::fs::read_to_string(d.join(format!("src/f{}.txt", i % 50))).unwrap();
            native.push(t.elapsed());
            std::hint::black_box(s);
        }
        row("read_file via WASM tool (session reused)", n, stats(wasm));
        row("read_file native std::fs", n, stats(native));
        let mut wasm = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let r = tb.call("list_dir", &json!({"path": "src"})).await;
            wasm.push(t.elapsed());
            assert!(!r.failed);
        }
        let mut native = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let v: Vec<_> = std::fs::read_dir(d.join("src"))
                .unwrap()
                .flatten()
                .map(|e| e.metadata().map(|m| m.len()))
                .collect();
            native.push(t.elapsed());
            std::hint::black_box(v);
        }
        row("list_dir via WASM tool (50 entries)", 200, stats(wasm));
        row("list_dir native read_dir + metadata", 200, stats(native));
        let mut open = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            let tb = ToolBox::open(&plugin, &spec(d, "http://127.0.0.1:9"))
                .await
                .unwrap();
            open.push(t.elapsed());
            drop(tb);
        }
        row(
            "tool session start (instantiate + list_tools)",
            20,
            stats(open),
        );
    });
}
