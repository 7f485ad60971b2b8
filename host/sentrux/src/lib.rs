//! `dgov-sentrux`: sentrux 0.5 architecture metrics computed from `dgov-syntax` facts.
//!
//! Pure: no I/O, no clock, no tree-sitter, so it builds for `wasm32-wasip2` and runs inside
//! the analyzer plugin on facts the host hands it (or natively in-process). Input is the
//! facts of every tracked file with its repository-relative path; output is a [`Report`]
//! with the module import graph, cycles, god files, hotspots, complex/long functions, max
//! depth, coupling and the quality signal, plus baseline, rules and comparison helpers.
//!
//! ```
//! use dgov_sentrux::{Baseline, compare, render_gate_text, scan};
//! use dgov_syntax::FileFacts;
//!
//! let files: Vec<(String, FileFacts)> = Vec::new(); // parsed by the host
//! let report = scan(&files, None);
//! let baseline = Baseline::from_json(&report.to_baseline_json(1.0e9)).unwrap();
//! let cmp = compare(&baseline, &report, None);
//! assert_eq!(cmp.exit_code(), 0);
//! assert!(render_gate_text(&cmp).contains("No degradation"));
//! ```
//!
//! # Layout
//! - [`resolve`]: imports as written → edges between scanned files, per language.
//! - `graph`: Tarjan SCCs and longest import path.
//! - [`scan`](mod@scan): the metrics and [`Report`]; thresholds in [`thresholds`].
//! - [`quality`]: root causes, Gini, Newman modularity, the signal.
//! - [`rules`]: `.sentrux/rules.toml` and its evaluation.
//! - [`baseline`]: `.sentrux/baseline.json` and [`compare`] (degradation + attribution).
//! - [`render`]: the CLI's text output and exit codes.

pub mod baseline;
mod graph;
pub mod quality;
pub mod render;
pub mod resolve;
pub mod rules;
pub mod scan;

pub use baseline::{
    Baseline, BaselineError, Comparison, ComplexFn, Degradation, DegradationKind, compare,
};
pub use quality::RootCauses;
pub use render::{
    CHECK_NO_RULES_EXIT, GATE_NO_BASELINE_EXIT, render_check_no_rules, render_check_text,
    render_gate_no_baseline, render_gate_save_text, render_gate_text, render_offenders_text,
};
pub use resolve::{Edge, resolve_edges};
pub use rules::{
    Boundary, Constraints, Layer, Rules, RulesError, RulesOutcome, Severity, Violation,
};
pub use scan::{
    FileMetric, FuncMetric, Report, ScanConfig, is_entry_point, is_package_index, is_test_file,
    module_of, scan, scan_with, thresholds,
};
