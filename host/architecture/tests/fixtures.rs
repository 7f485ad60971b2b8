//! Fixture repositories (real git repos in temp dirs) scanned through the embedded
//! `sentrux-analyzer` plugin, with hand-computed answers.

mod support;

use std::path::Path;

use dgov_architecture::analyzer::{RulesSource, block_on};
use dgov_architecture::commands;
use dgov_architecture::run_hooks;
use dgov_architecture::{Mode, Policy, RulesMode, baseline};
use dgov_sentrux::DegradationKind;
use support::{arch, commit, write};

fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    write(dir.path(), files);
    commit(dir.path(), "fixture");
    dir
}

fn scan(root: &Path) -> dgov_architecture::Scan {
    block_on(arch().scan_tree(root, &RulesMode::FromTree))
        .unwrap()
        .unwrap()
}

/// Two modules importing each other, each function calling the other: one cycle, no dead
/// code. Hand-computed signal: one community, so Q = 2/2 − (2·2)/2² = 0 → modularity 1/3;
/// acyclicity 1/(1+1) = 1/2; nobody is an entry point or unimported, so depth 0 → 1;
/// equal cc (1, 1) → equality 1; redundancy 1. Signal = (1/3 · 1/2)^(1/5) = 0.69883…
#[test]
fn a_cycle_is_found_and_the_signal_is_the_hand_computed_one() {
    let dir = repo(&[
        ("a.py", "from . import b\n\ndef fa():\n    return b.fb()\n"),
        ("b.py", "from . import a\n\ndef fb():\n    return a.fa()\n"),
    ]);
    let s = scan(dir.path());
    let r = &s.report;
    assert_eq!(r.files, 2);
    assert_eq!(r.cycles, vec![vec!["a.py".to_string(), "b.py".to_string()]]);
    assert_eq!(r.total_import_edges, 2);
    assert_eq!(r.max_depth, 0);
    assert_eq!(r.dead_functions.len(), 0);
    let expected = (1.0_f64 / 3.0 * 0.5).powf(0.2);
    assert!(
        (r.quality_signal - expected).abs() < 1e-9,
        "{}",
        r.quality_signal
    );
    assert_eq!(r.quality, 6988);
    assert!(r.god_files.is_empty() && r.complex_functions.is_empty());
    assert_eq!(s.rules_source, RulesSource::None);
}

/// A file importing 16 sibling modules has fan-out 16 > 15: a god file. An entry point
/// importing the same 16 is not.
#[test]
fn a_god_file_has_fan_out_over_fifteen_and_entry_points_are_exempt() {
    let mut files: Vec<(String, String)> = (0..16)
        .map(|i| (format!("m{i}.py"), format!("X{i} = {i}\n")))
        .collect();
    let imports: String = (0..16).map(|i| format!("from . import m{i}\n")).collect();
    files.push(("hub.py".into(), imports.clone()));
    files.push(("main.py".into(), imports));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = repo(&refs);
    let r = scan(dir.path()).report;
    assert_eq!(r.god_files.len(), 1);
    assert_eq!(r.god_files[0].path, "hub.py");
    assert_eq!(r.god_files[0].value, 16);
    assert_eq!(r.total_import_edges, 32);
    assert!(r.cycles.is_empty());
}

/// Fifteen sequential `if`s: cyclomatic 1 + 15 = 16 > 15 (complex), cognitive 15 (not
/// > 15); fourteen give cc 15, which is not complex.
#[test]
fn a_complex_function_has_cyclomatic_complexity_over_fifteen() {
    let body = |n: usize| -> String {
        let mut s = String::from("(x):\n");
        for i in 0..n {
            s.push_str(&format!("    if x == {i}:\n        return {i}\n"));
        }
        s.push_str("    return -1\n");
        s
    };
    let text = format!(
        "def big{}\ndef small{}\nbig(1)\nsmall(1)\n",
        body(15),
        body(14)
    );
    let dir = repo(&[("c.py", &text)]);
    let r = scan(dir.path()).report;
    assert_eq!(r.complex_functions.len(), 1);
    let c = &r.complex_functions[0];
    assert_eq!(
        (c.file.as_str(), c.func.as_str(), c.line, c.value),
        ("c.py", "big", 1, 16)
    );
    assert!(r.cog_complex_functions.is_empty());
}

const LAYERED: &[(&str, &str)] = &[
    ("core/model.py", "import app.view\n"),
    ("app/view.py", "X = 1\n"),
    ("app/ctl.py", "import db.store\n"),
    ("db/store.py", "Y = 2\n"),
];

/// `core` (order 1) importing `app` (order 0) is a layer violation; `app/*` importing
/// `db/*` crosses a boundary. `check` lists both and exits 1.
#[test]
fn layer_and_boundary_violations_fail_check_with_exit_one() {
    let rules = r#"
[[layers]]
name = "app"
paths = ["app/*"]
order = 0

[[layers]]
name = "core"
paths = ["core/*"]
order = 1

[[boundaries]]
from = "app/*"
to = "db/*"
reason = "go through core"
"#;
    let mut files = LAYERED.to_vec();
    files.push((".sentrux/rules.toml", rules));
    let dir = repo(&files);
    let out = block_on(commands::check(arch(), dir.path()))
        .unwrap()
        .unwrap();
    assert_eq!(out.code, 1);
    let outcome = &out.json["rules"];
    assert_eq!(outcome["rules_checked"], 2);
    let v = outcome["violations"].as_array().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["rule"], "layers");
    assert_eq!(
        v[0]["files"][0],
        "core/model.py (core) -> app/view.py (app)"
    );
    assert_eq!(v[1]["rule"], "boundaries");
    assert_eq!(
        v[1]["message"],
        "app/* must not import db/*: go through core"
    );
    assert_eq!(v[1]["files"][0], "app/ctl.py -> db/store.py");
    assert!(
        out.stdout.starts_with("sentrux check — 2 rules checked\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("✗ [Error] layers: 1 import(s) from a lower layer into a higher one (allowed 0)\n    core/model.py (core) -> app/view.py (app)\n"));
    assert!(out.stdout.ends_with("✗ 2 violation(s) found\n"));

    // Tolerating the one upward import and dropping the boundary: all rules pass, exit 0.
    let relaxed = "[constraints]\nmax_upward_violations = 1\nmax_cycles = 0\n\n[[layers]]\nname = \"app\"\npaths = [\"app/*\"]\norder = 0\n\n[[layers]]\nname = \"core\"\npaths = [\"core/*\"]\norder = 1\n";
    write(dir.path(), &[(".sentrux/rules.toml", relaxed)]);
    let out = block_on(commands::check(arch(), dir.path()))
        .unwrap()
        .unwrap();
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("✓ All rules pass"));
}

#[test]
fn check_without_rules_or_with_invalid_rules_exits_one_on_stderr() {
    let dir = repo(LAYERED);
    let out = block_on(commands::check(arch(), dir.path()))
        .unwrap()
        .unwrap();
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.starts_with("No .sentrux/rules.toml found in "),
        "{}",
        out.stderr
    );

    write(dir.path(), &[(".sentrux/rules.toml", "[constraints\n")]);
    let out = block_on(commands::check(arch(), dir.path()))
        .unwrap()
        .unwrap();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.starts_with("warning: .sentrux/rules.toml:"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("No .sentrux/rules.toml found in "));
}

/// A baseline of commit 1, commit 2 adds a cycle: the comparison is degraded, the cycle is
/// attributable to the files commit 2 changed, and `gate` exits 1.
#[test]
fn degradation_between_two_commits_is_detected_and_attributed() {
    let dir = repo(&[
        ("a.py", "from . import b\n\ndef fa():\n    return b.fb()\n"),
        ("b.py", "def fb():\n    return 1\n"),
        ("c.py", "from . import a\nZ = a.fa()\n"),
    ]);
    let first = commit(dir.path(), "noop");
    let saved = block_on(commands::gate_save(
        arch(),
        dir.path(),
        &Policy::default(),
        baseline::now_timestamp(),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(saved.code, 0);
    assert!(saved.stdout.starts_with("Baseline saved to "));
    assert_eq!(saved.json["cycle_count"], 0);
    let clean = block_on(commands::gate(arch(), dir.path()))
        .unwrap()
        .unwrap();
    assert_eq!(clean.code, 0);
    assert!(clean.stdout.contains("✓ No degradation detected"));

    write(
        dir.path(),
        &[("b.py", "from . import a\n\ndef fb():\n    return a.fa()\n")],
    );
    let second = commit(dir.path(), "cycle");
    let changed = run_hooks::changed_files(dir.path(), &first, &second).unwrap();
    assert_eq!(changed, ["b.py"]);

    let base = baseline::read(dir.path()).unwrap().unwrap();
    let now = block_on(arch().scan_rev(dir.path(), &second, &RulesMode::None))
        .unwrap()
        .unwrap();
    let cmp = dgov_sentrux::compare(&base, &now.report, Some(&changed));
    assert!(cmp.degraded);
    let cycles: Vec<_> = cmp
        .degradations
        .iter()
        .filter(|d| d.kind == DegradationKind::CyclesIncreased)
        .collect();
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].message, "Cycles increased: 0 → 1");
    assert_eq!(cycles[0].attributable, Some(true));
    // The whole-tree quality drop is never the task's alone.
    let quality = cmp
        .degradations
        .iter()
        .find(|d| d.kind == DegradationKind::QualityDropped)
        .expect("closing the cycle lowers acyclicity from 1 to 1/2");
    assert_eq!(quality.attributable, Some(false));
    // Scanning the old commit again: no degradation.
    let old = block_on(arch().scan_rev(dir.path(), &first, &RulesMode::None))
        .unwrap()
        .unwrap();
    assert!(!dgov_sentrux::compare(&base, &old.report, None).degraded);

    let gate = block_on(commands::gate(arch(), dir.path()))
        .unwrap()
        .unwrap();
    assert_eq!(gate.code, 1);
    assert!(
        gate.stdout.contains("Cycles:       0 → 1"),
        "{}",
        gate.stdout
    );
    assert!(gate.stdout.contains("✗ DEGRADED\n"), "{}", gate.stdout);
    assert!(
        gate.stdout.contains("\n  ✗ Cycles increased: 0 → 1\n"),
        "{}",
        gate.stdout
    );
}

#[test]
fn gate_without_a_baseline_exits_one_and_says_how_to_create_it() {
    let dir = repo(LAYERED);
    let out = block_on(commands::gate(arch(), dir.path()))
        .unwrap()
        .unwrap();
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("Failed to load baseline at "));
    assert!(out.stderr.contains("dgov sentrux gate-save"));
    write(dir.path(), &[(".sentrux/baseline.json", "{not json")]);
    let out = block_on(commands::gate(arch(), dir.path()))
        .unwrap()
        .unwrap();
    assert_eq!(out.code, 1);
}

/// A task that only adds a trivial file passes even when the global signal drops; a task
/// whose changed file closes a cycle fails.
#[test]
fn the_task_gate_fails_only_on_attributable_degradation() {
    let dir = repo(&[
        ("a.py", "from . import b\n\ndef fa():\n    return b.fb()\n"),
        ("b.py", "def fb():\n    return 1\n"),
        ("c.py", "from . import a\nZ = a.fa()\n"),
    ]);
    block_on(run_hooks::ensure_baseline(arch(), dir.path()))
        .unwrap()
        .unwrap();
    let base = baseline::read(dir.path()).unwrap().unwrap();
    // Another task's cycle is already on disk, but this task changed only d.py.
    write(
        dir.path(),
        &[
            ("b.py", "from . import a\n\ndef fb():\n    return a.fa()\n"),
            ("d.py", "W = 1\n"),
        ],
    );
    commit(dir.path(), "both");
    let other = block_on(run_hooks::assess_task(
        arch(),
        Some(&base),
        dir.path(),
        &["d.py".into()],
    ))
    .unwrap()
    .unwrap();
    assert!(other.comparison.as_ref().unwrap().degraded);
    assert!(!other.fails(), "{}", other.summary());
    let own = block_on(run_hooks::assess_task(
        arch(),
        Some(&base),
        dir.path(),
        &["b.py".into()],
    ))
    .unwrap()
    .unwrap();
    assert!(own.fails());
    assert!(
        own.summary().contains("Cycles increased: 0 → 1"),
        "{}",
        own.summary()
    );
    // No baseline: the gate is disabled.
    let off = block_on(run_hooks::assess_task(
        arch(),
        None,
        dir.path(),
        &["b.py".into()],
    ))
    .unwrap()
    .unwrap();
    assert!(!off.fails() && off.comparison.is_none());
}

/// The bootstrap creates a missing baseline once and leaves an existing one alone.
#[test]
fn bootstrap_creates_the_baseline_once() {
    let dir = repo(&[("a.py", "def fa():\n    return 1\n\nfa()\n")]);
    let first = block_on(run_hooks::ensure_baseline(arch(), dir.path()))
        .unwrap()
        .unwrap();
    assert!(matches!(first, run_hooks::Bootstrap::Created { .. }));
    let before = std::fs::read_to_string(baseline::baseline_path(dir.path())).unwrap();
    let second = block_on(run_hooks::ensure_baseline(arch(), dir.path()))
        .unwrap()
        .unwrap();
    assert!(matches!(second, run_hooks::Bootstrap::Existing { .. }));
    assert_eq!(
        std::fs::read_to_string(baseline::baseline_path(dir.path())).unwrap(),
        before
    );
}

/// The post-run comparison reports a degraded run with a warning instead of failing.
#[test]
fn post_run_marks_a_degraded_run_with_a_warning() {
    let dir = repo(&[
        ("a.py", "from . import b\n\ndef fa():\n    return b.fb()\n"),
        ("b.py", "def fb():\n    return 1\n"),
    ]);
    let pre = commit(dir.path(), "pre");
    block_on(run_hooks::ensure_baseline(arch(), dir.path()))
        .unwrap()
        .unwrap();
    write(
        dir.path(),
        &[("b.py", "from . import a\n\ndef fb():\n    return a.fa()\n")],
    );
    commit(dir.path(), "run");
    let changed = run_hooks::changed_files(dir.path(), &pre, "HEAD").unwrap();
    let post = block_on(run_hooks::post_run(
        arch(),
        dir.path(),
        "HEAD",
        &changed,
        Mode::Diff,
    ))
    .unwrap()
    .unwrap();
    assert!(post.degraded);
    assert!(post.warning.unwrap().contains("Cycles increased: 0 → 1"));
}

/// The plugin sees only the tree it is given: a tracked symlink to a file outside the
/// repository is refused by `host::facts` (skipped, with the host's reason), and a rules
/// file symlinked from outside is not read.
#[cfg(unix)]
#[test]
fn the_plugin_cannot_read_outside_the_tree() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.py"),
        "from . import x\ndef s():\n    return 1\n",
    )
    .unwrap();
    std::fs::write(
        outside.path().join("rules.toml"),
        "[constraints]\nmax_cycles = 0\n",
    )
    .unwrap();
    let dir = repo(&[("a.py", "X = 1\n")]);
    std::os::unix::fs::symlink(outside.path().join("secret.py"), dir.path().join("leak.py"))
        .unwrap();
    std::fs::create_dir_all(dir.path().join(".sentrux")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("rules.toml"),
        dir.path().join(".sentrux/rules.toml"),
    )
    .unwrap();
    commit(dir.path(), "links");
    let s = scan(dir.path());
    assert_eq!(s.files, 2, "both tracked sources are handed to the plugin");
    assert_eq!(s.report.files, 1, "only a.py was parsed");
    assert_eq!(s.skipped.len(), 1);
    assert_eq!(s.skipped[0].0, "leak.py");
    assert!(
        s.skipped[0].1.contains("outside")
            || s.skipped[0].1.contains("denied")
            || s.skipped[0].1.contains("leaves"),
        "{}",
        s.skipped[0].1
    );
    assert_eq!(s.rules_source, RulesSource::None);
    assert!(s.report.rules.is_none());
}

/// Workers can never write the baseline: the worker-tools plugin refuses it even with a
/// read-write grant, and the file is unchanged.
#[test]
fn worker_tools_refuse_to_write_the_baseline() {
    let dir = repo(&[("a.py", "X = 1\n")]);
    block_on(run_hooks::ensure_baseline(arch(), dir.path()))
        .unwrap()
        .unwrap();
    let before = std::fs::read_to_string(baseline::baseline_path(dir.path())).unwrap();
    let runtime = dgov_plugin_host::Runtime::new(Default::default()).unwrap();
    let tools = runtime
        .load_bytes(
            dgov_builtin_plugins::get("worker-tools").unwrap().bytes,
            "worker-tools",
            dgov_plugin_host::PluginOrigin::BuiltIn,
        )
        .unwrap();
    let mut grant = dgov_plugin_host::Grant::read_only();
    grant
        .capabilities
        .insert(dgov_plugin_host::Capability::FsWrite);
    let inv = dgov_plugin_host::Invocation {
        root: Some(dir.path().to_path_buf()),
        grant,
        baseline_dir: None,
        limits: None,
    };
    for (tool, args) in [
        (
            "write_file",
            serde_json::json!({"path": ".sentrux/baseline.json", "content": "{}"}),
        ),
        (
            "write_file",
            serde_json::json!({"path": ".sentrux/dgov-baseline.json", "content": "{}"}),
        ),
        (
            "edit_file",
            serde_json::json!({"path": ".sentrux/baseline.json", "old_text": "quality_signal", "new_text": "q"}),
        ),
    ] {
        let out = block_on(tools.call_tool(&inv, tool, &args.to_string(), true))
            .unwrap()
            .unwrap();
        let Err(dgov_plugin_host::bindings::PluginError::Failed(msg)) = &out.value else {
            panic!("{tool} was not refused: {:?}", out.value);
        };
        assert!(msg.contains("owned by the governor"), "{tool}: {msg}");
    }
    assert_eq!(
        std::fs::read_to_string(baseline::baseline_path(dir.path())).unwrap(),
        before
    );
    assert!(!dir.path().join(".sentrux/dgov-baseline.json").exists());
}

/// A tree large enough to be gathered by several plugin instances at once gives the same
/// report as the native, in-process analysis of the same files (and skips the same file).
#[cfg(unix)]
#[test]
fn a_fanned_out_scan_equals_the_native_analysis() {
    let mut files: Vec<(String, String)> = (0..80)
        .map(|i| {
            (
                format!("pkg/m{i}.py"),
                format!("from . import m{}\n\ndef f{i}(x):\n    if x and x > {i}:\n        return f{}(x - 1)\n    return x\n", (i + 1) % 80, (i + 1) % 80),
            )
        })
        .collect();
    files.push((
        "web/a.ts".into(),
        "import { b } from './b';\nexport function a(x: number) { return x > 0 ? b(x) : 0; }\n"
            .into(),
    ));
    files.push((
        "web/b.ts".into(),
        "export function b(x: number) { return x; }\n".into(),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = repo(&refs);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.py"), "X = 1\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("x.py"), dir.path().join("pkg/leak.py"))
        .unwrap();
    commit(dir.path(), "leak");
    let tracked = dgov_architecture::tree::tracked_files(dir.path()).unwrap();
    assert_eq!(tracked.len(), 83);
    let s = block_on(arch().scan_files(dir.path(), &tracked, &RulesMode::None))
        .unwrap()
        .unwrap();
    assert_eq!(s.skipped.len(), 1);
    assert_eq!(s.skipped[0].0, "pkg/leak.py");
    let native: Vec<(String, dgov_syntax::FileFacts)> = files
        .iter()
        .map(|(p, t)| (p.clone(), dgov_syntax::parse_file(p, t.as_bytes()).unwrap()))
        .collect();
    let mut native = native;
    native.sort_by(|a, b| a.0.cmp(&b.0));
    let expected = dgov_sentrux::scan(&native, None);
    assert_eq!(s.report.files, 82);
    assert_eq!(s.report.cycles, expected.cycles);
    assert_eq!(s.report.cycles.len(), 1);
    assert_eq!(s.report.cycles[0].len(), 80);
    assert_eq!(s.report.edges, expected.edges);
    assert_eq!(s.report.total_import_edges, 81);
    assert!((s.report.quality_signal - expected.quality_signal).abs() < 1e-9);
    assert_eq!(s.report.quality, expected.quality);
}
