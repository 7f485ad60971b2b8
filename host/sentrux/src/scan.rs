//! The scan: facts of every file in, a [`Report`] with every sentrux 0.5 metric out.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use dgov_syntax::{FileFacts, ImportKind, SymbolKind};
use serde::{Deserialize, Serialize};

use crate::graph::Graph;
use crate::quality::{RootCauses, gini, modularity_q};
use crate::resolve::{Edge, dir_of, resolve_edges};
use crate::rules::{Rules, RulesOutcome};

/// Thresholds of sentrux 0.5 (per-language defaults; every language uses the same values).
pub mod thresholds {
    /// Complex function: cyclomatic complexity above this.
    pub const CC_HIGH: u32 = 15;
    /// Long function: more lines than this.
    pub const FUNC_LENGTH: u32 = 50;
    /// Cognitive hotspot: cognitive complexity above this.
    pub const COG_HIGH: u32 = 15;
    /// Too many parameters: more than this.
    pub const PARAM_HIGH: u32 = 4;
    /// God file: fan-out above this.
    pub const FAN_OUT: usize = 15;
    /// Hotspot: fan-in above this (and instability ≥ [`HOTSPOT_INSTABILITY`]).
    pub const FAN_IN: usize = 20;
    pub const HOTSPOT_INSTABILITY: f64 = 0.15;
    /// Large file: more lines than this.
    pub const LARGE_FILE_LINES: u32 = 500;
    /// Default module depth: a file's module is its directory cut to this many components.
    pub const MODULE_DEPTH: usize = 3;
}

/// A file and a count (fan-out of a god file, fan-in of a hotspot, lines of a large file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileMetric {
    pub path: String,
    pub value: usize,
}

/// A function and one of its measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuncMetric {
    pub file: String,
    /// Qualified name.
    pub func: String,
    pub line: u32,
    pub value: u32,
}

/// Everything one scan measured. Serialises as the `--json` document of `check`/`gate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub files: usize,
    pub lines: u64,
    pub functions: usize,
    /// Quality signal in [0, 1].
    pub quality_signal: f64,
    /// `round(quality_signal × 10000)`, as sentrux prints it.
    pub quality: u32,
    pub root_causes: RootCauses,
    pub coupling_score: f64,
    pub total_import_edges: usize,
    pub cross_module_edges: usize,
    pub max_depth: usize,
    pub cycles: Vec<Vec<String>>,
    pub god_files: Vec<FileMetric>,
    pub hotspots: Vec<FileMetric>,
    pub large_files: Vec<FileMetric>,
    pub complex_functions: Vec<FuncMetric>,
    pub long_functions: Vec<FuncMetric>,
    pub cog_complex_functions: Vec<FuncMetric>,
    pub high_param_functions: Vec<FuncMetric>,
    pub dead_functions: Vec<FuncMetric>,
    /// Groups of functions with identical bodies (each group ≥ 2, functions ≥ 3 lines).
    pub duplicate_groups: Vec<Vec<FuncMetric>>,
    /// Dependency edges (after excluding structural ones), sorted.
    pub edges: Vec<Edge>,
    /// Files with syntax errors and their error count.
    pub files_with_syntax_errors: Vec<FileMetric>,
    /// Rules evaluation, when rules were given.
    pub rules: Option<RulesOutcome>,
}

/// Scan options that change metric computation (from `rules.toml` `[constraints]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScanConfig {
    pub module_depth: usize,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            module_depth: thresholds::MODULE_DEPTH,
        }
    }
}

/// Package-index files re-export their package: excluded from hotspots, and their edges
/// into their own directory or a direct child are structure, not dependency.
pub fn is_package_index(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "__init__.py"
            | "mod.rs"
            | "lib.rs"
            | "index.js"
            | "index.ts"
            | "index.tsx"
            | "index.mjs"
            | "index.jsx"
    )
}

/// Entry points import many modules by design: never god files, and the depth seeds.
pub fn is_entry_point(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "main.rs"
            | "lib.rs"
            | "__main__.py"
            | "main.py"
            | "main.go"
            | "index.js"
            | "index.ts"
            | "index.tsx"
            | "main.js"
            | "main.ts"
    )
}

/// Test files (skipped for dead-code detection, as sentrux does).
pub fn is_test_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.split('/')
        .any(|s| matches!(s, "tests" | "test" | "__tests__" | "spec"))
        || name.starts_with("test_")
        || name.ends_with("_test.py")
        || name.ends_with("_test.go")
        || name.ends_with("_tests.rs")
        || name.contains(".test.")
        || name.contains(".spec.")
}

/// The module of a file: its directory cut to `depth` components (`.` for the root).
pub fn module_of(path: &str, depth: usize) -> String {
    let dir = dir_of(path);
    if dir.is_empty() {
        return ".".to_string();
    }
    dir.split('/')
        .take(depth.max(1))
        .collect::<Vec<_>>()
        .join("/")
}

/// Names that frameworks and runtimes call implicitly: never dead code.
const IMPLICIT_ENTRY_NAMES: &[&str] = &[
    "main",
    "new",
    "default",
    "from",
    "into",
    "try_from",
    "try_into",
    "drop",
    "fmt",
    "clone",
    "eq",
    "hash",
    "cmp",
    "partial_cmp",
    "serialize",
    "deserialize",
    "as_ref",
    "deref",
    "index",
    "init",
    "setup",
    "teardown",
    "run",
    "start",
    "stop",
    "build",
    "configure",
    "register",
    "update",
    "draw",
    "render",
    "dispose",
    "destroy",
    "close",
    "shutdown",
    "cleanup",
    "reset",
    "refresh",
    "connect",
    "disconnect",
    "up",
    "down",
    "seed",
    "cli",
    "handle",
    "__init__",
    "__str__",
    "__repr__",
    "__len__",
    "__iter__",
    "__next__",
    "__enter__",
    "__exit__",
    "__call__",
    "__getitem__",
    "__setitem__",
    "middleware",
    "handler",
    "callback",
    "init",
    "constructor",
];

fn is_structural(edge: &Edge) -> bool {
    if edge.kind == ImportKind::ModDecl {
        return true;
    }
    if !is_package_index(&edge.from) {
        return false;
    }
    let own = dir_of(&edge.from);
    let target = dir_of(&edge.to);
    target == own || dir_of(target) == own && !target.is_empty()
}

fn sort_funcs(v: &mut [FuncMetric]) {
    v.sort_by(|a, b| {
        b.value
            .cmp(&a.value)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.func.cmp(&b.func))
    });
}

fn sort_files(v: &mut [FileMetric]) {
    v.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.path.cmp(&b.path)));
}

/// Scans the facts of a tree. `files` holds repository-relative paths with `/` separators.
/// With `rules`, their `[constraints]` tune the scan (`module_depth`) and the rules are
/// evaluated into [`Report::rules`].
pub fn scan(files: &[(String, FileFacts)], rules: Option<&Rules>) -> Report {
    let config = ScanConfig {
        module_depth: rules
            .and_then(|r| r.constraints.module_depth)
            .unwrap_or(thresholds::MODULE_DEPTH),
    };
    let mut report = scan_with(files, &config);
    if let Some(rules) = rules {
        report.rules = Some(rules.evaluate(&report, files));
    }
    report
}

/// [`scan`] with explicit configuration and no rules.
pub fn scan_with(files: &[(String, FileFacts)], config: &ScanConfig) -> Report {
    let depth = config.module_depth;
    let edges: Vec<Edge> = resolve_edges(files)
        .into_iter()
        .filter(|e| !is_structural(e))
        .collect();

    // Fan-in/out per file.
    let mut fan_out: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fan_in: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &edges {
        *fan_out.entry(&e.from).or_default() += 1;
        *fan_in.entry(&e.to).or_default() += 1;
    }
    let mut god_files: Vec<FileMetric> = fan_out
        .iter()
        .filter(|(p, n)| **n > thresholds::FAN_OUT && !is_entry_point(p))
        .map(|(p, n)| FileMetric {
            path: p.to_string(),
            value: *n,
        })
        .collect();
    sort_files(&mut god_files);
    let mut hotspots: Vec<FileMetric> = fan_in
        .iter()
        .filter(|(p, n)| {
            let out = fan_out.get(*p).copied().unwrap_or(0);
            **n > thresholds::FAN_IN
                && !is_package_index(p)
                && out as f64 / (**n + out) as f64 >= thresholds::HOTSPOT_INSTABILITY
        })
        .map(|(p, n)| FileMetric {
            path: p.to_string(),
            value: *n,
        })
        .collect();
    sort_files(&mut hotspots);

    let graph = Graph::new(edges.iter().map(|e| (e.from.as_str(), e.to.as_str())));
    let cycles = graph.cycles();
    let seeds: Vec<&str> = graph
        .nodes
        .iter()
        .copied()
        .filter(|p| is_entry_point(p))
        .collect();
    let max_depth = graph.max_depth(&seeds);

    let (coupling_score, cross_module_edges) = coupling(&edges, depth);

    // Functions.
    let mut complex = Vec::new();
    let mut long = Vec::new();
    let mut cog = Vec::new();
    let mut params = Vec::new();
    let mut ccs = Vec::new();
    let mut by_hash: BTreeMap<&str, Vec<FuncMetric>> = BTreeMap::new();
    let mut all_calls: HashSet<&str> = HashSet::new();
    let mut total_functions = 0;
    let mut large_files = Vec::new();
    let mut files_with_syntax_errors = Vec::new();
    let mut lines = 0u64;
    for (path, facts) in files {
        lines += u64::from(facts.lines);
        if facts.lines > thresholds::LARGE_FILE_LINES {
            large_files.push(FileMetric {
                path: path.clone(),
                value: facts.lines as usize,
            });
        }
        if !facts.syntax_errors.is_empty() {
            files_with_syntax_errors.push(FileMetric {
                path: path.clone(),
                value: facts.syntax_errors.len(),
            });
        }
        all_calls.extend(facts.calls.iter().map(String::as_str));
        for f in &facts.functions {
            total_functions += 1;
            ccs.push(f64::from(f.cyclomatic));
            let metric = |value| FuncMetric {
                file: path.clone(),
                func: f.qualified_name.clone(),
                line: f.start_line,
                value,
            };
            if f.cyclomatic > thresholds::CC_HIGH {
                complex.push(metric(f.cyclomatic));
            }
            if f.length() > thresholds::FUNC_LENGTH {
                long.push(metric(f.length()));
            }
            if f.cognitive > thresholds::COG_HIGH {
                cog.push(metric(f.cognitive));
            }
            if f.params > thresholds::PARAM_HIGH {
                params.push(metric(f.params));
            }
            if f.length() >= 3 {
                by_hash
                    .entry(&f.body_hash)
                    .or_default()
                    .push(metric(f.length()));
            }
        }
    }
    let mut dead = Vec::new();
    for (path, facts) in files {
        if is_test_file(path) {
            continue;
        }
        for f in &facts.functions {
            let excluded = f.is_member()
                || f.name.starts_with("test")
                || f.name.starts_with("bench_")
                || IMPLICIT_ENTRY_NAMES.contains(&f.name.as_str());
            if !excluded && !all_calls.contains(f.name.as_str()) {
                dead.push(FuncMetric {
                    file: path.clone(),
                    func: f.qualified_name.clone(),
                    line: f.start_line,
                    value: f.length(),
                });
            }
        }
    }
    let mut duplicate_groups: Vec<Vec<FuncMetric>> =
        by_hash.into_values().filter(|g| g.len() > 1).collect();
    duplicate_groups.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then_with(|| a[0].file.cmp(&b[0].file))
    });
    for v in [&mut complex, &mut long, &mut cog, &mut params, &mut dead] {
        sort_funcs(v);
    }
    sort_files(&mut large_files);
    sort_files(&mut files_with_syntax_errors);

    // Root causes.
    let modularity_edges = modularity_edges(files, &edges);
    let q = modularity_q(&modularity_edges, |p| module_of(p, depth));
    let equality_input: Vec<f64> = if ccs.is_empty() {
        files.iter().map(|(_, f)| f64::from(f.lines)).collect()
    } else {
        ccs
    };
    let duplicates: usize = duplicate_groups.iter().map(Vec::len).sum();
    let redundancy = if total_functions == 0 {
        1.0
    } else {
        1.0 - ((dead.len() + duplicates) as f64 / total_functions as f64).min(1.0)
    };
    let root_causes = RootCauses::new(
        q,
        cycles.len(),
        max_depth,
        1.0 - gini(&equality_input),
        redundancy,
    );
    let quality_signal = root_causes.signal();

    Report {
        files: files.len(),
        lines,
        functions: total_functions,
        quality_signal,
        quality: crate::quality::display(quality_signal),
        root_causes,
        coupling_score,
        total_import_edges: edges.len(),
        cross_module_edges,
        max_depth,
        cycles,
        god_files,
        hotspots,
        large_files,
        complex_functions: complex,
        long_functions: long,
        cog_complex_functions: cog,
        high_param_functions: params,
        dead_functions: dead,
        duplicate_groups,
        edges,
        files_with_syntax_errors,
        rules: None,
    }
}

/// Coupling score and cross-module edge count. Stable modules are found iteratively: a
/// module is stable when, counting only distinct dependencies on not-yet-stable modules
/// (Ce) and distinct dependents (Ca), either Ce/(Ca+Ce) ≤ 0.15 with Ca ≥ 3, or Ce = 0
/// with Ca ≥ 2. With x cross-module edges into unstable modules and E dependency edges,
/// coupling = (x+1)/(E+2), or 0 when x = 0.
pub(crate) fn coupling(edges: &[Edge], depth: usize) -> (f64, usize) {
    let mods: Vec<(String, String)> = edges
        .iter()
        .map(|e| (module_of(&e.from, depth), module_of(&e.to, depth)))
        .collect();
    let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut inn: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (a, b) in &mods {
        if a != b {
            out.entry(a).or_default().insert(b);
            inn.entry(b).or_default().insert(a);
        }
    }
    let all: BTreeSet<&str> = out.keys().chain(inn.keys()).copied().collect();
    let mut stable: HashSet<&str> = HashSet::new();
    loop {
        let batch: Vec<&str> = all
            .iter()
            .copied()
            .filter(|m| !stable.contains(m))
            .filter(|m| {
                let ce = out
                    .get(m)
                    .map_or(0, |t| t.iter().filter(|t| !stable.contains(*t)).count());
                let ca = inn.get(m).map_or(0, BTreeSet::len);
                if ca + ce == 0 {
                    false
                } else if ce == 0 {
                    ca >= 2
                } else {
                    ce as f64 / (ca + ce) as f64 <= 0.15 && ca >= 3
                }
            })
            .collect();
        if batch.is_empty() {
            break;
        }
        stable.extend(batch);
    }
    let cross = mods.iter().filter(|(a, b)| a != b).count();
    let unstable_cross = mods
        .iter()
        .filter(|(a, b)| a != b && !stable.contains(b.as_str()))
        .count();
    let score = if unstable_cross == 0 {
        0.0
    } else {
        (unstable_cross + 1) as f64 / (edges.len() + 2) as f64
    };
    (score, cross)
}

/// Import edges plus call edges (a call to a name that exactly one other file defines at
/// top level), deduplicated by file pair: the graph modularity is measured on.
fn modularity_edges(files: &[(String, FileFacts)], edges: &[Edge]) -> Vec<(String, String)> {
    let mut definers: HashMap<&str, Vec<&str>> = HashMap::new();
    for (path, facts) in files {
        for s in &facts.symbols {
            if s.kind == SymbolKind::Function {
                definers.entry(&s.name).or_default().push(path);
            }
        }
    }
    let mut pairs: BTreeSet<(String, String)> = edges
        .iter()
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    for (path, facts) in files {
        for call in &facts.calls {
            if let Some([target]) = definers.get(call.as_str()).map(Vec::as_slice)
                && *target != path
            {
                pairs.insert((path.clone(), target.to_string()));
            }
        }
    }
    pairs.into_iter().collect()
}
