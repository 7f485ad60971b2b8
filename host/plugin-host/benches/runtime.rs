//! Plugin runtime benchmark: prints a table of cold compile, cached load, fresh
//! instantiate + call, and calls into a reused instance.
//!
//! Run with `cargo bench -p dgov-plugin-host`. Uses the `probe-tool` fixture plugin
//! (`tests/plugins/probe-tool`) and its `noop` tool.

use std::path::Path;
use std::time::{Duration, Instant};

use dgov_plugin_host::{Invocation, PluginOrigin, Runtime, RuntimeConfig, ToolSession};

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[idx]
}

fn row(name: &str, n: usize, samples: &mut [Duration]) {
    let p50 = percentile(samples, 0.50);
    let p99 = percentile(samples, 0.99);
    println!(
        "| {name:<44} | {n:>6} | {:>12.1} | {:>12.1} |",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let wasm = dgov_wasm_build::WasmBuild {
        manifest_path: root.join("Cargo.toml"),
        packages: vec!["probe-tool".into()],
        profile: "plugin".into(),
        target_dir: None,
        jobs: None,
    }
    .run()
    .expect("building probe-tool")
    .remove(0);
    let bytes = std::fs::read(&wasm).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let inv = Invocation::read_only(work.path());

    println!(
        "plugin: probe-tool ({} KiB), machine: {} cores",
        bytes.len() / 1024,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!();
    println!(
        "| {:<44} | {:>6} | {:>12} | {:>12} |",
        "operation", "n", "p50 (µs)", "p99 (µs)"
    );
    println!("|{:-<46}|{:-<8}|{:-<14}|{:-<14}|", "", "", "", "");

    // Cold compile: no cache at all.
    let mut cold = Vec::new();
    for _ in 0..5 {
        let rt = Runtime::new(RuntimeConfig {
            cache_dir: None,
            limits: Default::default(),
        })
        .unwrap();
        let t = Instant::now();
        rt.load_bytes(&bytes, "probe", PluginOrigin::BuiltIn)
            .unwrap();
        cold.push(t.elapsed());
    }
    row("cold compile + link (no cache)", 5, &mut cold);

    // Where the cold time goes: Cranelift alone, on this and on a small plugin.
    let small = dgov_wasm_build::WasmBuild {
        manifest_path: root.join("Cargo.toml"),
        packages: vec!["legacy-gate".into()],
        profile: "plugin".into(),
        target_dir: None,
        jobs: None,
    }
    .run()
    .expect("building legacy-gate")
    .remove(0);
    let small = std::fs::read(small).unwrap();
    for (label, b) in [
        ("Component::new only, probe-tool", &bytes),
        ("Component::new only, legacy-gate (small)", &small),
    ] {
        let mut t = Vec::new();
        for _ in 0..3 {
            let s = Instant::now();
            wasmtime::component::Component::new(dgov_plugin_host::shared_engine(), b).unwrap();
            t.push(s.elapsed());
        }
        row(&format!("{label} ({} KiB)", b.len() / 1024), 3, &mut t);
    }

    // Cached load: a fresh runtime (a new process) finds the artifact on disk.
    let seed = Runtime::new(RuntimeConfig {
        cache_dir: Some(cache.path().into()),
        limits: Default::default(),
    })
    .unwrap();
    seed.load_bytes(&bytes, "probe", PluginOrigin::BuiltIn)
        .unwrap();
    let mut cached = Vec::new();
    for _ in 0..200 {
        let rt = Runtime::new(RuntimeConfig {
            cache_dir: Some(cache.path().into()),
            limits: Default::default(),
        })
        .unwrap();
        let t = Instant::now();
        let p = rt
            .load_bytes(&bytes, "probe", PluginOrigin::BuiltIn)
            .unwrap();
        cached.push(t.elapsed());
        assert!(p.from_cache());
    }
    row(
        "cached load (inspect + deserialize + link)",
        200,
        &mut cached,
    );

    let plugin = seed
        .load_bytes(&bytes, "probe", PluginOrigin::BuiltIn)
        .unwrap();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    tokio.block_on(async {
        // Fresh store + instantiate + one call, per call.
        for _ in 0..100 {
            plugin.call_tool(&inv, "noop", "{}", false).await.unwrap();
        }
        let n = 2000;
        let mut fresh = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let out = plugin.call_tool(&inv, "noop", "{}", false).await.unwrap();
            fresh.push(t.elapsed());
            debug_assert!(matches!(out.value.as_deref(), Ok("ok")));
        }
        row("fresh store + instantiate + 1 tool call", n, &mut fresh);

        // Reused instance.
        let mut session = ToolSession::start(&plugin, &inv).await.unwrap();
        for _ in 0..1000 {
            session.call("noop", "{}", false).await.unwrap();
        }
        let n = 20_000;
        let mut reused = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            session.call("noop", "{}", false).await.unwrap();
            reused.push(t.elapsed());
        }
        row("tool call on a reused instance", n, &mut reused);

        // A call that reads a file through the host.
        std::fs::write(work.path().join("f.txt"), vec![b'x'; 64 * 1024]).unwrap();
        let n = 5000;
        let mut read = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            session
                .call("host_read", r#"{"path":"f.txt"}"#, false)
                .await
                .unwrap();
            read.push(t.elapsed());
        }
        row("reused instance, host read_file of 64 KiB", n, &mut read);
    });
    println!();
    println!("budgets: fresh instantiate + call p50 < 1000 µs; reused call p50 < 50 µs");
}
