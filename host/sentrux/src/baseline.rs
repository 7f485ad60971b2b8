//! `.sentrux/baseline.json` in sentrux's schema, and the gate comparison against it.

use serde::{Deserialize, Serialize};

use crate::scan::Report;

/// A baseline that could not be read. `sentrux gate` reports it and exits 1.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error(".sentrux/baseline.json: {0}; run `dgov sentrux gate-save` to write a fresh baseline")]
    Invalid(String),
}

/// A complex function recorded in the baseline (per-function diffing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplexFn {
    pub file: String,
    pub func: String,
    pub cc: u32,
}

/// The baseline document (field names are sentrux's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub timestamp: f64,
    pub quality_signal: f64,
    pub coupling_score: f64,
    pub cycle_count: usize,
    pub god_file_count: usize,
    pub hotspot_count: usize,
    pub complex_fn_count: usize,
    pub max_depth: usize,
    pub total_import_edges: usize,
    pub cross_module_edges: usize,
    /// Absent in legacy baselines: then per-function diffing is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complex_functions: Option<Vec<ComplexFn>>,
}

impl Baseline {
    /// Reads a baseline. Quality may also be named `quality` or `quality_score`; values
    /// above 1 are taken as the ×10000 display form. Missing counts read as 0.
    pub fn from_json(text: &str) -> Result<Baseline, BaselineError> {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| BaselineError::Invalid(format!("not JSON ({e})")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| BaselineError::Invalid("expected a JSON object".into()))?;
        let num = |k: &str| obj.get(k).and_then(serde_json::Value::as_f64);
        let count = |k: &str| obj.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0) as usize;
        let quality = ["quality_signal", "quality", "quality_score"]
            .iter()
            .find_map(|k| num(k))
            .ok_or_else(|| BaselineError::Invalid("no `quality_signal` field".into()))?;
        let complex_functions = match obj.get("complex_functions") {
            None | Some(serde_json::Value::Null) => None,
            Some(list) => Some(
                serde_json::from_value(list.clone())
                    .map_err(|e| BaselineError::Invalid(format!("`complex_functions`: {e}")))?,
            ),
        };
        Ok(Baseline {
            timestamp: num("timestamp").unwrap_or(0.0),
            quality_signal: if quality > 1.0 {
                quality / 10_000.0
            } else {
                quality
            },
            coupling_score: num("coupling_score").unwrap_or(0.0),
            cycle_count: count("cycle_count"),
            god_file_count: count("god_file_count"),
            hotspot_count: count("hotspot_count"),
            complex_fn_count: count("complex_fn_count"),
            max_depth: count("max_depth"),
            total_import_edges: count("total_import_edges"),
            cross_module_edges: count("cross_module_edges"),
            complex_functions,
        })
    }

    /// Pretty JSON with a trailing newline, as written to `.sentrux/baseline.json`.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

impl Report {
    /// The baseline for this scan. `timestamp` (Unix seconds) comes from the caller: this
    /// crate reads no clock.
    pub fn to_baseline(&self, timestamp: f64) -> Baseline {
        Baseline {
            timestamp,
            quality_signal: self.quality_signal,
            coupling_score: self.coupling_score,
            cycle_count: self.cycles.len(),
            god_file_count: self.god_files.len(),
            hotspot_count: self.hotspots.len(),
            complex_fn_count: self.complex_functions.len(),
            max_depth: self.max_depth,
            total_import_edges: self.total_import_edges,
            cross_module_edges: self.cross_module_edges,
            complex_functions: Some(
                self.complex_functions
                    .iter()
                    .map(|f| ComplexFn {
                        file: f.file.clone(),
                        func: f.func.clone(),
                        cc: f.value,
                    })
                    .collect(),
            ),
        }
    }

    /// [`Report::to_baseline`] serialised.
    pub fn to_baseline_json(&self, timestamp: f64) -> String {
        self.to_baseline(timestamp).to_json()
    }
}

/// What got worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DegradationKind {
    QualityDropped,
    CouplingDegraded,
    CyclesIncreased,
    GodFilesIncreased,
    ComplexFunctionsIncreased,
    NewComplexFunction,
}

/// One regression, with the files it involves and whether the changed files caused it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Degradation {
    pub kind: DegradationKind,
    /// Sentrux's line, e.g. `Cycles increased: 0 → 1`.
    pub message: String,
    /// Files involved (cycle members, god files, files of new complex functions). Empty for
    /// whole-tree measures (quality, coupling).
    pub files: Vec<String>,
    /// With a changed-file set: whether any involved file is among the changed files.
    /// Whole-tree measures are never attributable. `None` without a changed-file set.
    pub attributable: Option<bool>,
}

/// Quality drop beyond this is a degradation.
pub const QUALITY_TOLERANCE: f64 = 0.02;
/// Coupling rise beyond this is a degradation.
pub const COUPLING_TOLERANCE: f64 = 0.05;

/// Baseline versus current scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub quality_before: f64,
    pub quality_after: f64,
    pub coupling_before: f64,
    pub coupling_after: f64,
    pub cycles_before: usize,
    pub cycles_after: usize,
    pub god_files_before: usize,
    pub god_files_after: usize,
    pub complex_before: usize,
    pub complex_after: usize,
    /// The baseline had no `complex_functions` list.
    pub legacy_baseline: bool,
    pub degradations: Vec<Degradation>,
    pub degraded: bool,
}

impl Comparison {
    /// `sentrux gate`: 1 when degraded, else 0.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.degraded)
    }

    /// Degradations the changed files caused (what a settlement gate fails on).
    pub fn attributable(&self) -> Vec<&Degradation> {
        self.degradations
            .iter()
            .filter(|d| d.attributable == Some(true))
            .collect()
    }
}

/// Compares a current scan with a baseline (sentrux 0.5 rule): quality dropped by more than
/// 0.02, coupling rose by more than 0.05, more cycles, more god files, more complex
/// functions, and (with a non-legacy baseline) each complex function the baseline lacks.
/// `changed_files` (repository-relative paths) marks which degradations they caused.
pub fn compare(
    baseline: &Baseline,
    current: &Report,
    changed_files: Option<&[String]>,
) -> Comparison {
    let attribute = |files: &[String], global: bool| {
        changed_files.map(|changed| !global && files.iter().any(|f| changed.iter().any(|c| c == f)))
    };
    let mut out = Vec::new();
    let mut push = |kind, message: String, files: Vec<String>, global| {
        let attributable = attribute(&files, global);
        out.push(Degradation {
            kind,
            message,
            files,
            attributable,
        });
    };
    let (qb, qa) = (baseline.quality_signal, current.quality_signal);
    if qb - qa > QUALITY_TOLERANCE {
        push(
            DegradationKind::QualityDropped,
            format!(
                "Quality signal dropped: {qb:.4} → {qa:.4} ({:+.4})",
                qa - qb
            ),
            Vec::new(),
            true,
        );
    }
    let (cb, ca) = (baseline.coupling_score, current.coupling_score);
    if ca - cb > COUPLING_TOLERANCE {
        push(
            DegradationKind::CouplingDegraded,
            format!("Coupling degraded: {cb:.2} → {ca:.2}"),
            Vec::new(),
            true,
        );
    }
    if current.cycles.len() > baseline.cycle_count {
        let mut files: Vec<String> = current.cycles.iter().flatten().cloned().collect();
        files.sort();
        files.dedup();
        push(
            DegradationKind::CyclesIncreased,
            format!(
                "Cycles increased: {} → {}",
                baseline.cycle_count,
                current.cycles.len()
            ),
            files,
            false,
        );
    }
    if current.god_files.len() > baseline.god_file_count {
        push(
            DegradationKind::GodFilesIncreased,
            format!(
                "God files increased: {} → {}",
                baseline.god_file_count,
                current.god_files.len()
            ),
            current.god_files.iter().map(|g| g.path.clone()).collect(),
            false,
        );
    }
    let new_complex: Vec<&crate::scan::FuncMetric> = match &baseline.complex_functions {
        Some(known) => current
            .complex_functions
            .iter()
            .filter(|f| !known.iter().any(|k| k.file == f.file && k.func == f.func))
            .collect(),
        None => current.complex_functions.iter().collect(),
    };
    if current.complex_functions.len() > baseline.complex_fn_count {
        let mut files: Vec<String> = new_complex.iter().map(|f| f.file.clone()).collect();
        files.sort();
        files.dedup();
        push(
            DegradationKind::ComplexFunctionsIncreased,
            format!(
                "Complex functions increased: {} → {}",
                baseline.complex_fn_count,
                current.complex_functions.len()
            ),
            files,
            false,
        );
    }
    if baseline.complex_functions.is_some() {
        for f in &new_complex {
            push(
                DegradationKind::NewComplexFunction,
                format!(
                    "New complex function: {}::{} (cc={})",
                    f.file, f.func, f.value
                ),
                vec![f.file.clone()],
                false,
            );
        }
    }
    Comparison {
        quality_before: qb,
        quality_after: qa,
        coupling_before: cb,
        coupling_after: ca,
        cycles_before: baseline.cycle_count,
        cycles_after: current.cycles.len(),
        god_files_before: baseline.god_file_count,
        god_files_after: current.god_files.len(),
        complex_before: baseline.complex_fn_count,
        complex_after: current.complex_functions.len(),
        legacy_baseline: baseline.complex_functions.is_none(),
        degraded: !out.is_empty(),
        degradations: out,
    }
}
