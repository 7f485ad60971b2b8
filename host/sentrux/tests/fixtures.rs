//! Fixture repositories with hand-computed answers: a cycle, a god file, a complex
//! function, a layer violation, a boundary violation; import resolution per language;
//! degradation between two snapshots; rules and their exit codes.

use dgov_sentrux::{
    Baseline, DegradationKind, Rules, compare, render_check_text, render_gate_text, scan,
};
use dgov_syntax::{FileFacts, ImportKind, parse_file};

fn repo(files: &[(&str, &str)]) -> Vec<(String, FileFacts)> {
    files
        .iter()
        .map(|(p, src)| {
            (
                p.to_string(),
                parse_file(p, src.as_bytes()).expect("fixture parses"),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn a_two_file_cycle_is_one_scc_and_costs_acyclicity() {
    let files = repo(&[("a.py", "import b\n"), ("b.py", "import a\n")]);
    let r = scan(&files, None);
    assert_eq!(r.cycles, vec![vec!["a.py".to_string(), "b.py".to_string()]]);
    assert_eq!(r.total_import_edges, 2);
    assert_eq!(r.cross_module_edges, 0);
    assert_eq!(r.coupling_score, 0.0);
    // no node without importers and no entry point: depth 0
    assert_eq!(r.max_depth, 0);
    // one community holding both edges: Q = 2/2 − (2·2)/2² = 0
    close(r.root_causes.modularity_q, 0.0);
    close(r.root_causes.modularity, 1.0 / 3.0);
    close(r.root_causes.acyclicity, 0.5);
    close(r.root_causes.depth, 1.0);
    // no functions: equality over file lines (1 and 1) = 1; redundancy = 1
    close(r.root_causes.equality, 1.0);
    close(r.root_causes.redundancy, 1.0);
    close(r.quality_signal, (1.0f64 / 3.0 * 0.5).powf(0.2));
    assert_eq!(r.quality, 6988);
}

#[test]
fn a_file_importing_sixteen_modules_is_a_god_file_unless_it_is_an_entry_point() {
    let mut owned: Vec<(String, String)> = (0..16)
        .map(|i| (format!("m{i}.py"), "X = 1\n".to_string()))
        .collect();
    let hub: String = (0..16).map(|i| format!("import m{i}\n")).collect();
    owned.push(("hub.py".to_string(), hub.clone()));
    let files: Vec<(&str, &str)> = owned
        .iter()
        .map(|(p, s)| (p.as_str(), s.as_str()))
        .collect();
    let r = scan(&repo(&files), None);
    assert_eq!(r.god_files.len(), 1);
    assert_eq!(
        (r.god_files[0].path.as_str(), r.god_files[0].value),
        ("hub.py", 16)
    );
    assert_eq!(r.max_depth, 1);
    assert!(r.hotspots.is_empty());
    // Q = 16/16 − 16·16/16² = 0; depth 1/(1 + 1/8) = 8/9;
    // lines [1 ×16, 16]: Gini = 2·408/(17·32) − 18/17 = 15/34, equality 19/34
    close(r.root_causes.depth, 8.0 / 9.0);
    close(r.root_causes.equality, 19.0 / 34.0);
    close(
        r.quality_signal,
        (1.0f64 / 3.0 * 8.0 / 9.0 * 19.0 / 34.0).powf(0.2),
    );

    owned.last_mut().unwrap().0 = "main.py".to_string();
    let files: Vec<(&str, &str)> = owned
        .iter()
        .map(|(p, s)| (p.as_str(), s.as_str()))
        .collect();
    assert!(
        scan(&repo(&files), None).god_files.is_empty(),
        "entry points import many modules by design"
    );
}

fn complex_rust(name: &str, branches: usize) -> String {
    let mut s = format!("pub fn {name}(a: u32) -> u32 {{\n");
    for k in 0..branches {
        s.push_str(&format!("    if a == {k} {{ return {k}; }}\n"));
    }
    s.push_str("    a\n}\n");
    s
}

#[test]
fn sixteen_branches_make_a_complex_and_cognitively_complex_function() {
    let files = repo(&[
        ("src/lib.rs", &complex_rust("dispatch", 16)),
        ("src/ok.rs", &complex_rust("fine", 14)),
    ]);
    let r = scan(&files, None);
    let c: Vec<(&str, &str, u32, u32)> = r
        .complex_functions
        .iter()
        .map(|f| (f.file.as_str(), f.func.as_str(), f.line, f.value))
        .collect();
    // cc = 1 + 16 > 15; fine has cc 15, which is not above the threshold
    assert_eq!(c, vec![("src/lib.rs", "dispatch", 1, 17)]);
    // sixteen un-nested ifs: cognitive 16 > 15
    assert_eq!(r.cog_complex_functions.len(), 1);
    assert_eq!(r.cog_complex_functions[0].value, 16);
    assert!(r.long_functions.is_empty(), "18 lines is not long");
    // ccs [17, 15]: Gini = 2·(15 + 34)/(2·32) − 3/2 = 1/32
    close(r.root_causes.equality, 31.0 / 32.0);
}

const LAYERED_RULES: &str = r#"
[constraints]
max_cycles = 0
no_god_files = true

[[layers]]
name = "ui"
paths = ["src/ui/**"]
order = 0

[[layers]]
name = "core"
paths = ["src/core/**"]
order = 1

[[boundaries]]
from = "src/ui/**"
to = "src/db/**"
reason = "the UI reaches storage through core"
"#;

#[test]
fn layer_and_boundary_violations_are_reported_with_their_edges() {
    let files = repo(&[
        (
            "src/ui/view.py",
            "from src.core import model\nfrom src.db import conn\n",
        ),
        ("src/core/model.py", "from src.ui import view\n"),
        ("src/db/conn.py", "X = 1\n"),
    ]);
    let rules = Rules::from_toml(LAYERED_RULES).unwrap();
    let r = scan(&files, Some(&rules));
    let outcome = r.rules.clone().expect("rules evaluated");
    // max_cycles, no_god_files, layers, one boundary
    assert_eq!(outcome.rules_checked, 4);
    let got: Vec<(&str, &str, Vec<&str>)> = outcome
        .violations
        .iter()
        .map(|v| {
            (
                v.rule.as_str(),
                v.message.as_str(),
                v.files.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "max_cycles",
                "1 cycle(s) found, at most 0 allowed",
                vec!["src/core/model.py", "src/ui/view.py"]
            ),
            (
                "layers",
                "1 import(s) from a lower layer into a higher one (allowed 0)",
                vec!["src/core/model.py (core) -> src/ui/view.py (ui)"]
            ),
            (
                "boundaries",
                "src/ui/** must not import src/db/**: the UI reaches storage through core",
                vec!["src/ui/view.py -> src/db/conn.py"]
            ),
        ]
    );
    assert_eq!(outcome.exit_code(), 1);
    let text = render_check_text(&r);
    assert_eq!(
        text,
        format!(
            "sentrux check — 4 rules checked\nQuality: {}\n\
             ✗ [Error] max_cycles: 1 cycle(s) found, at most 0 allowed\n    src/core/model.py\n    src/ui/view.py\n\
             ✗ [Error] layers: 1 import(s) from a lower layer into a higher one (allowed 0)\n    src/core/model.py (core) -> src/ui/view.py (ui)\n\
             ✗ [Error] boundaries: src/ui/** must not import src/db/**: the UI reaches storage through core\n    src/ui/view.py -> src/db/conn.py\n\
             ✗ 3 violation(s) found\n",
            r.quality
        )
    );

    // the allowed direction alone passes every rule
    let clean = repo(&[
        ("src/ui/view.py", "from src.core import model\n"),
        ("src/core/model.py", "X = 1\n"),
    ]);
    let r = scan(&clean, Some(&rules));
    let outcome = r.rules.clone().unwrap();
    assert!(outcome.passed());
    assert_eq!(outcome.exit_code(), 0);
    assert!(render_check_text(&r).ends_with("✓ All rules pass\n"));
}

#[test]
fn max_upward_violations_tolerates_known_layer_breaks() {
    let files = repo(&[
        ("src/core/model.py", "from src.ui import view\n"),
        ("src/ui/view.py", "X = 1\n"),
    ]);
    let mut rules = Rules::from_toml(LAYERED_RULES).unwrap();
    rules.constraints.max_upward_violations = Some(1);
    assert!(scan(&files, Some(&rules)).rules.unwrap().passed());
}

#[test]
fn imports_resolve_to_files_in_every_language() {
    let files = repo(&[
        (
            "web/app.ts",
            "import { h } from './util/helpers';\nimport x from 'react';\nconst y = require('../lib/y.js');\n",
        ),
        ("web/util/helpers.ts", "export const h = 1;\n"),
        ("lib/y.ts", "export {}\n"),
        ("web/comp/index.tsx", "import { a } from '..';\n"),
        ("web/index.ts", "export {}\n"),
        ("pkg/__init__.py", "from . import core\n"),
        ("pkg/core.py", "from .sub.leaf import thing\nimport os\n"),
        ("pkg/sub/leaf.py", "thing = 1\n"),
        (
            "rs/src/lib.rs",
            "mod store;\npub mod net;\nuse crate::store::Event;\n",
        ),
        ("rs/src/store.rs", "use super::net::{Client, proto};\n"),
        ("rs/src/net/mod.rs", "pub mod proto;\n"),
        ("rs/src/net/proto.rs", "use crate::store;\nuse std::fmt;\n"),
        (
            "go/cmd/main.go",
            "package main\nimport (\n\t\"fmt\"\n\t\"example.com/m/go/internal/db\"\n)\n",
        ),
        ("go/internal/db/b.go", "package db\n"),
        ("go/internal/db/a.go", "package db\n"),
    ]);
    let edges = dgov_sentrux::resolve_edges(&files);
    let got: Vec<(&str, &str, ImportKind)> = edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str(), e.kind))
        .collect();
    use ImportKind::*;
    assert_eq!(
        got,
        vec![
            ("go/cmd/main.go", "go/internal/db/a.go", Import),
            ("pkg/__init__.py", "pkg/core.py", Import),
            ("pkg/core.py", "pkg/sub/leaf.py", Import),
            ("rs/src/lib.rs", "rs/src/net/mod.rs", ModDecl),
            ("rs/src/lib.rs", "rs/src/store.rs", Import),
            ("rs/src/net/mod.rs", "rs/src/net/proto.rs", ModDecl),
            ("rs/src/net/proto.rs", "rs/src/store.rs", Import),
            ("rs/src/store.rs", "rs/src/net/mod.rs", Import),
            ("rs/src/store.rs", "rs/src/net/proto.rs", Import),
            ("web/app.ts", "lib/y.ts", Import),
            ("web/app.ts", "web/util/helpers.ts", Import),
            ("web/comp/index.tsx", "web/index.ts", Import),
        ]
    );
    // structural edges (mod declarations, package index into its own package) are not
    // dependencies
    let r = scan(&files, None);
    assert!(!r.edges.iter().any(|e| e.kind == ModDecl));
    assert!(!r.edges.iter().any(|e| e.from == "pkg/__init__.py"));
    assert!(!r.edges.iter().any(|e| e.from == "rs/src/lib.rs"));
}

#[test]
fn cross_module_edges_into_unstable_modules_raise_coupling() {
    // modules (depth 3): app/x, lib/a, lib/b; app/x/main.py → lib/a/u.py, lib/b/v.py;
    // lib/a/u.py → lib/b/v.py. lib/b has Ce 0 and Ca 2 → stable; lib/a has Ca 1 → unstable.
    let files = repo(&[
        (
            "app/x/main.py",
            "from lib.a import u\nfrom lib.b import v\n",
        ),
        ("lib/a/u.py", "from lib.b import v\n"),
        ("lib/b/v.py", "X = 1\n"),
    ]);
    let r = scan(&files, None);
    assert_eq!(r.total_import_edges, 3);
    assert_eq!(r.cross_module_edges, 3);
    // x = 1 (main → lib/a), E = 3: (1 + 1)/(3 + 2)
    close(r.coupling_score, 0.4);
}

#[test]
fn degradation_between_two_snapshots_is_detected_and_attributed() {
    let before = repo(&[
        ("a.py", "import b\n"),
        ("b.py", "X = 1\n"),
        ("src/x.rs", &complex_rust("old", 16)),
    ]);
    let base_report = scan(&before, None);
    let baseline = Baseline::from_json(&base_report.to_baseline_json(1_700_000_000.0)).unwrap();
    assert_eq!(baseline.cycle_count, 0);
    assert_eq!(baseline.complex_fn_count, 1);
    assert_eq!(baseline.complex_functions.as_ref().unwrap()[0].func, "old");

    // unchanged tree: no degradation, exit 0
    let same = compare(&baseline, &scan(&before, None), Some(&[]));
    assert!(!same.degraded);
    assert_eq!(same.exit_code(), 0);
    assert!(render_gate_text(&same).ends_with("✓ No degradation detected\n"));

    // b.py now imports a.py (a cycle) and a new complex function appears in src/y.rs
    let after = repo(&[
        ("a.py", "import b\n"),
        ("b.py", "import a\nX = 1\n"),
        ("src/x.rs", &complex_rust("old", 16)),
        ("src/y.rs", &complex_rust("new_one", 17)),
    ]);
    let current = scan(&after, None);
    let changed = vec!["b.py".to_string()];
    let cmp = compare(&baseline, &current, Some(&changed));
    assert!(cmp.degraded);
    assert_eq!(cmp.exit_code(), 1);
    let kinds: Vec<(DegradationKind, Option<bool>)> = cmp
        .degradations
        .iter()
        .map(|d| (d.kind, d.attributable))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (DegradationKind::QualityDropped, Some(false)),
            (DegradationKind::CyclesIncreased, Some(true)),
            (DegradationKind::ComplexFunctionsIncreased, Some(false)),
            (DegradationKind::NewComplexFunction, Some(false)),
        ]
    );
    assert_eq!(cmp.degradations[1].message, "Cycles increased: 0 → 1");
    assert_eq!(
        cmp.degradations[2].message,
        "Complex functions increased: 1 → 2"
    );
    assert_eq!(
        cmp.degradations[3].message,
        "New complex function: src/y.rs::new_one (cc=18)"
    );
    assert_eq!(cmp.attributable().len(), 1);
    let text = render_gate_text(&cmp);
    assert!(
        text.starts_with("sentrux gate — structural regression check\nQuality:      "),
        "{text}"
    );
    assert!(text.contains("Cycles:       0 → 1\n"), "{text}");
    assert!(
        text.contains("✗ DEGRADED\n  ✗ Quality signal dropped: "),
        "{text}"
    );
}

#[test]
fn legacy_baselines_without_complex_functions_still_compare_counts() {
    let legacy = r#"{"timestamp": 1.0, "quality": 6647, "coupling_score": 0.741, "cycle_count": 0,
        "god_file_count": 0, "hotspot_count": 0, "complex_fn_count": 0, "max_depth": 7,
        "total_import_edges": 417, "cross_module_edges": 309}"#;
    let b = Baseline::from_json(legacy).unwrap();
    close(b.quality_signal, 0.6647);
    assert!(b.complex_functions.is_none());
    let current = scan(&repo(&[("src/y.rs", &complex_rust("f", 16))]), None);
    let cmp = compare(&b, &current, None);
    assert!(cmp.legacy_baseline);
    assert!(
        cmp.degradations
            .iter()
            .all(|d| d.kind != DegradationKind::NewComplexFunction && d.attributable.is_none())
    );
    assert!(
        cmp.degradations
            .iter()
            .any(|d| d.kind == DegradationKind::ComplexFunctionsIncreased)
    );
    assert!(
        Baseline::from_json("{}")
            .unwrap_err()
            .to_string()
            .contains("gate-save")
    );
}

#[test]
fn duplicate_and_dead_functions_lower_redundancy() {
    let src = "def used(x):\n    y = x * 2\n    return y\n\n\ndef copy(x):\n    y = x * 2\n    return y\n\n\nused(1)\n";
    let r = scan(&repo(&[("m.py", src)]), None);
    // two identical 3-line bodies; `copy` is never called
    assert_eq!(r.duplicate_groups.len(), 1);
    assert_eq!(
        r.dead_functions
            .iter()
            .map(|f| f.func.as_str())
            .collect::<Vec<_>>(),
        vec!["copy"]
    );
    // (dead 1 + duplicates 2) / 2 functions ≥ 1 → floored at 0.01
    close(r.root_causes.redundancy, 0.01);
}
