//! Settlement overhead benchmark (harness = false; prints a table).
//!
//! - `settle (no command gates)`: one attempt through the whole pipeline on a small repository
//!   — git diffs, integration candidate replay + checkout, facts extraction, the scope and
//!   semantic plugin calls, event recording — with the verdict cache off. Commands gates would
//!   run are excluded by policy (none configured). Budget: < 30 ms.
//! - `semantic gate, 2,000-line pair`: host facts extraction for base/task/target/candidate of
//!   a 2,000-line file (Python, then Rust) plus the semantic plugin call. Budget: < 20 ms. Broken down
//!   into host facts (cold cache), the plugin call with those facts, and the fixed cost of a
//!   gate call (fresh sandbox, empty comparison); the size of the JSON handed over is printed.
//!
//! Run with `cargo bench -p dgov-settlement`; `DGOV_BENCH=semantic` skips the settle loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dgov_git::Repo;
use dgov_plugin_host::bindings::{Claims, GateContext, Phase, Revs};
use dgov_plugin_host::registry::PluginsConfig;
use dgov_plugin_host::{Runtime, RuntimeConfig};
use dgov_settlement::gates::GateCall;
use dgov_settlement::policy::{GateEntry, OnFail};
use dgov_settlement::{Gates, Pipeline, Request};

fn stats(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(v[v.len() / 2]), ms(v[v.len() * 9 / 10]), ms(v[0]))
}

fn big_python(n_funcs: usize, tweak: Option<(usize, &str)>) -> String {
    let mut s = String::new();
    for i in 0..n_funcs {
        let body = match tweak {
            Some((j, b)) if j == i => b.to_string(),
            _ => format!("a + {i}"),
        };
        s.push_str(&format!(
            "def f{i}(a, b):\n    x = a * 2\n    if x > b:\n        return {body}\n    return x - b\n\n\n"
        ));
    }
    s
}

/// A Rust file of `n_funcs` 7-line functions (the same shape as [`big_python`]).
fn big_rust(n_funcs: usize, tweak: Option<(usize, &str)>) -> String {
    let mut s = String::new();
    for i in 0..n_funcs {
        let body = match tweak {
            Some((j, b)) if j == i => b.to_string(),
            _ => format!("a + {i}"),
        };
        s.push_str(&format!(
            "pub fn f{i}(a: i64, b: i64) -> i64 {{\n    let x = a * 2;\n    if x > b {{\n        return {body};\n    }}\n    x - b\n}}\n"
        ));
    }
    s
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("proj");
    std::fs::create_dir(&root).unwrap();
    git2::Repository::init(&root).unwrap();
    for i in 0..20 {
        std::fs::write(root.join(format!("m{i}.py")), big_python(5, None)).unwrap();
    }
    let repo = Repo::open(&root).unwrap();
    repo.bootstrap_commit().unwrap();
    std::fs::create_dir_all(root.join(".dgov")).unwrap();
    std::fs::write(
        root.join(".dgov/project.toml"),
        "[settlement]\ncache = false\n",
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: Some(std::env::temp_dir().join("dgov-settlement-bench-cache")),
        limits: Default::default(),
    })
    .unwrap();
    let pipeline = Arc::new(Pipeline::new(Gates::new(Arc::new(runtime))));

    // `DGOV_BENCH=semantic` skips the settle loop (quicker when working on the semantic gate).
    let only_semantic = std::env::var("DGOV_BENCH").is_ok_and(|v| v == "semantic");
    let mut settle = Vec::new();
    for i in 0..if only_semantic { 0 } else { 25u32 } {
        let base = repo.head().unwrap().unwrap();
        let wt = repo.create_attempt("bench", "t", i + 1, base).unwrap();
        std::fs::write(
            wt.path.join("m3.py"),
            big_python(5, Some((2, &format!("a + {i} * 7")))),
        )
        .unwrap();
        let commit = repo.commit_attempt(&wt.path, "feat").unwrap().unwrap();
        let req = Request {
            plan: "bench".into(),
            task: "t".into(),
            attempt: i + 1,
            root: repo.root().to_path_buf(),
            worktree: wt.path.clone(),
            base,
            commit,
            claims: vec!["m3.py".into()],
            read: vec![],
            test_cmd: None,
        };
        let started = Instant::now();
        let out = rt.block_on(pipeline.settle(&req));
        let took = started.elapsed();
        assert!(out.passed, "{out:?}");
        if i > 0 {
            settle.push(took); // the first run compiles/loads the plugins
        }
        repo.remove_attempt("bench", "t", i + 1).unwrap();
    }

    let py = semantic_case(&rt, &pipeline, tmp.path(), "big.py", big_python);
    let rs = semantic_case(&rt, &pipeline, tmp.path(), "big.rs", big_rust);
    println!(
        "{:<56} {:>10} {:>10} {:>10} {:>8}",
        "case", "median ms", "p90 ms", "min ms", "budget"
    );
    let mut rows = vec![(
        "settle, small repo (no command gates)".to_string(),
        settle,
        "30",
    )];
    for (lang, t) in [("Python", &py), ("Rust", &rs)] {
        rows.extend([
            (
                format!("semantic {lang}: host facts, 4 x 2,000 lines (cold)"),
                t.facts.clone(),
                "-",
            ),
            (
                format!("semantic {lang}: plugin call, facts as config"),
                t.plugin.clone(),
                "-",
            ),
            (
                format!("semantic {lang}: plugin call, empty config"),
                t.empty.clone(),
                "-",
            ),
            (
                format!("semantic {lang}: gate total, 2,000-line pair (cold)"),
                t.cold.clone(),
                "20",
            ),
            (
                format!("semantic {lang}: gate total, facts cached (rerun)"),
                t.warm.clone(),
                "20",
            ),
        ]);
    }
    for (name, v, budget) in rows {
        if v.is_empty() {
            continue;
        }
        let (med, p90, min) = stats(v);
        println!("{name:<56} {med:>10.2} {p90:>10.2} {min:>10.2} {budget:>8}");
    }
    for (lang, t) in [("Python", &py), ("Rust", &rs)] {
        println!(
            "semantic gate config handed to the plugin ({lang}): {} bytes of JSON",
            t.config_bytes
        );
    }
}

/// Timings of the semantic gate on one 2,000-line file pair.
struct SemanticTimes {
    facts: Vec<Duration>,
    cold: Vec<Duration>,
    warm: Vec<Duration>,
    plugin: Vec<Duration>,
    empty: Vec<Duration>,
    config_bytes: usize,
}

/// The semantic gate on a 2,000-line `file` (≈285 functions of 7 lines from `source`) edited
/// by the task in one function and by the target in another.
fn semantic_case(
    rt: &tokio::runtime::Runtime,
    pipeline: &Pipeline,
    dir: &std::path::Path,
    file: &str,
    source: fn(usize, Option<(usize, &str)>) -> String,
) -> SemanticTimes {
    let sem_root = dir.join(format!("sem-{file}"));
    std::fs::create_dir(&sem_root).unwrap();
    git2::Repository::init(&sem_root).unwrap();
    let n = 2000 / 7;
    std::fs::write(sem_root.join(file), source(n, None)).unwrap();
    let srepo = Repo::open(&sem_root).unwrap();
    srepo.bootstrap_commit().unwrap();
    let base = srepo.head().unwrap().unwrap();
    let commit_with = |text: String, parent: git2::Oid| {
        let g = srepo.git2();
        let blob = g.blob(text.as_bytes()).unwrap();
        let mut tb = g.treebuilder(None).unwrap();
        tb.insert(file, blob, 0o100644).unwrap();
        let tree = g.find_tree(tb.write().unwrap()).unwrap();
        let sig = git2::Signature::now("b", "b@b").unwrap();
        let p = g.find_commit(parent).unwrap();
        g.commit(None, &sig, &sig, "x", &tree, &[&p]).unwrap()
    };
    let task = commit_with(source(n, Some((10, "a + 1000"))), base);
    let target = commit_with(source(n, Some((200, "b + 1000"))), base);
    let candidate = srepo.replay_onto(target, base, task).unwrap();
    let versions = dgov_settlement::facts::Versions {
        base,
        task,
        target,
        candidate,
    };
    let entry = GateEntry {
        gate: "semantic".into(),
        on_fail: OnFail::Reject,
        on_error: OnFail::Reject,
        timeout_s: None,
        config: serde_json::json!({}),
        default: true,
    };
    let plugins = PluginsConfig::default();
    let mut facts_t = Vec::new();
    let mut sem_t = Vec::new();
    let mut warm_t = Vec::new();
    let mut plugin_t = Vec::new();
    let mut empty_t = Vec::new();
    let mut config_bytes = 0;
    for i in 0..30 {
        let cold = i % 2 == 0;
        if cold {
            dgov_settlement::facts::clear_cache();
        }
        let started = Instant::now();
        let input = dgov_settlement::facts::semantic_input(
            srepo.git2(),
            versions,
            &[file.into()],
            &[file.into()],
        );
        let f = started.elapsed();
        config_bytes = input.to_string().len();
        let mut e = entry.clone();
        e.config = input;
        let ctx = GateContext {
            task: "t".into(),
            phase: Phase::Candidate,
            revs: Revs {
                base: base.to_string(),
                head: candidate.to_string(),
                target: Some(target.to_string()),
            },
            changed: vec![],
            claims: Claims {
                create: vec![],
                edit: vec![],
                delete: vec![],
                touch: vec![],
                read: vec![],
                enforced: false,
            },
            config_json: String::new(),
        };
        let call = GateCall {
            root: &sem_root,
            repo_root: None,
            tree: None,
            plugins: &plugins,
            use_cache: false,
        };
        let plugin_started = Instant::now();
        let run = rt.block_on(pipeline.gates().run(&e, ctx.clone(), &call));
        let p = plugin_started.elapsed();
        assert_eq!(run.verdict, dgov_settlement::GateVerdict::Pass, "{run:?}");
        if i > 1 && cold {
            facts_t.push(f);
            sem_t.push(started.elapsed());
        } else if i > 1 {
            warm_t.push(started.elapsed());
            plugin_t.push(p);
        }
        if i > 1 {
            // The fixed cost of a gate call: a fresh sandbox and an empty comparison.
            e.config = serde_json::json!({"files": []});
            let t = Instant::now();
            let run = rt.block_on(pipeline.gates().run(&e, ctx, &call));
            assert_eq!(run.verdict, dgov_settlement::GateVerdict::Pass, "{run:?}");
            empty_t.push(t.elapsed());
        }
    }

    SemanticTimes {
        facts: facts_t,
        cold: sem_t,
        warm: warm_t,
        plugin: plugin_t,
        empty: empty_t,
        config_bytes,
    }
}
