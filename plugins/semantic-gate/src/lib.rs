//! The semantic gate: language-agnostic checks of an integration candidate, from symbol
//! facts the host extracts with `dgov-syntax` (tree-sitter cannot run inside the sandbox).
//!
//! The host hands over, in the gate configuration, the facts of every file the task or the
//! target changed since the task's base, at four versions: base, task commit, target HEAD and
//! the candidate (see [`Input`]). The comparison logic lives here:
//!
//! 1. `syntax_conflict` — the candidate version of a task-changed file has syntax errors the
//!    target version does not have (errors the target brought in are not charged to the task);
//! 2. `duplicate_definition` — a name defined twice in one candidate file, where neither the
//!    base, the task nor the target version had that duplicate (the classic result of two
//!    branches adding the same helper);
//! 3. `same_symbol_edit` — a symbol both the task and the target changed since the base, by
//!    position-independent body hash, with different results (moving is not editing, so line
//!    shifts are not conflicts);
//! 4. `signature_drift` — the task changed a callable's signature while the target added or
//!    changed code that calls it (that new caller was written against the old signature).
//!    A task changing its own function's parameters with no concurrent caller passes, and a
//!    signature the *target* changed is never charged to the task.
//!
//! Unlike the original, every category is checked and reported, not just the first.
//!
//! The host sends the base version of each file in full and may send the other versions as
//! a delta against it ([`WireVersion::delta`]) (most symbols of a large file are the same in all four
//! versions, and parsing JSON is most of this gate's time inside the sandbox).

use std::collections::BTreeMap;

use dgov_sdk::gate::*;
use dgov_syntax::{Change, SymbolFacts, SyntaxError, symbol_changes_in};
use serde::Deserialize;

/// One version of one file: what the semantic checks need of its facts.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(default)]
pub struct Version {
    pub symbols: Vec<SymbolFacts>,
    pub syntax_errors: Vec<SyntaxError>,
}

/// One file the task or the target changed; `None` = the file does not exist there.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct FileInput {
    pub path: String,
    pub base: Option<Version>,
    pub task: Option<Version>,
    pub target: Option<Version>,
    pub candidate: Option<Version>,
    pub task_changed: bool,
    pub target_changed: bool,
}

/// The gate configuration the host builds.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Input {
    pub files: Vec<FileInput>,
    /// Checks to skip by code (policy may turn one off).
    pub disable: Vec<String>,
}

/// One version as the host sends it: in full (`symbols`), or, for a version other than the
/// base, as `delta`: pieces in order, each a run of the base version's symbols or one
/// symbol of this version.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(default)]
pub struct WireVersion {
    pub symbols: Vec<SymbolFacts>,
    pub syntax_errors: Vec<SyntaxError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<Vec<Piece>>,
}

/// One piece of a [`WireVersion::delta`].
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(default)]
pub struct Piece {
    /// `[from, to, shift]`: base symbols `from..to`, their lines moved by `shift`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<(usize, usize, i64)>,
    /// A symbol of this version, as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<SymbolFacts>,
}

/// [`FileInput`] as the host sends it.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct WireFile {
    pub path: String,
    pub base: Option<WireVersion>,
    pub task: Option<WireVersion>,
    pub target: Option<WireVersion>,
    pub candidate: Option<WireVersion>,
    pub task_changed: bool,
    pub target_changed: bool,
}

/// The gate configuration as the host sends it; [`WireInput::expand`] gives the [`Input`].
/// Plain full versions (no `delta`) are accepted too, so an [`Input`] serialised as JSON is
/// valid wire input.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct WireInput {
    pub files: Vec<WireFile>,
    pub disable: Vec<String>,
}

impl WireVersion {
    fn expand(self, base: Option<&Version>, path: &str) -> Result<Version, String> {
        let Some(pieces) = self.delta else {
            return Ok(Version {
                symbols: self.symbols,
                syntax_errors: self.syntax_errors,
            });
        };
        let base = base.map_or(&[][..], |b| b.symbols.as_slice());
        let mut symbols = Vec::new();
        for piece in pieces {
            if let Some((from, to, shift)) = piece.run {
                let run = base.get(from..to).ok_or_else(|| {
                    format!(
                        "{path}: delta run {from}..{to} is outside the base version's {} symbols",
                        base.len()
                    )
                })?;
                let moved = |line: u32| {
                    u32::try_from(i64::from(line) + shift).map_err(|_| {
                        format!("{path}: delta run {from}..{to} moves line {line} by {shift}")
                    })
                };
                for s in run {
                    let mut s = s.clone();
                    s.start_line = moved(s.start_line)?;
                    s.end_line = moved(s.end_line)?;
                    symbols.push(s);
                }
            }
            symbols.extend(piece.symbol);
        }
        Ok(Version {
            symbols,
            syntax_errors: self.syntax_errors,
        })
    }
}

impl WireInput {
    /// Resolves every delta against its file's base version. A malformed delta (or a delta
    /// for the base itself) is an error naming the file.
    pub fn expand(self) -> Result<Input, String> {
        let mut files = Vec::with_capacity(self.files.len());
        for f in self.files {
            if f.base.as_ref().is_some_and(|b| b.delta.is_some()) {
                return Err(format!("{}: the base version must be sent in full", f.path));
            }
            let base = f.base.map(|b| b.expand(None, &f.path)).transpose()?;
            let side =
                |v: Option<WireVersion>| v.map(|v| v.expand(base.as_ref(), &f.path)).transpose();
            let (task, target, candidate) = (side(f.task)?, side(f.target)?, side(f.candidate)?);
            files.push(FileInput {
                path: f.path,
                base,
                task,
                target,
                candidate,
                task_changed: f.task_changed,
                target_changed: f.target_changed,
            });
        }
        Ok(Input {
            files,
            disable: self.disable,
        })
    }
}

/// The symbols of a version; none where the file does not exist.
fn v(o: &Option<Version>) -> &[SymbolFacts] {
    o.as_ref().map_or(&[], |x| x.symbols.as_slice())
}

fn leaf(name: &str) -> &str {
    let after_colons = name.rsplit("::").next().unwrap_or(name);
    after_colons.rsplit('.').next().unwrap_or(after_colons)
}

fn lines(r: Option<(u32, u32)>) -> String {
    match r {
        Some((a, b)) if a == b => format!("line {a}"),
        Some((a, b)) => format!("lines {a}-{b}"),
        None => "deleted".into(),
    }
}

/// Every semantic finding for `input`.
pub fn analyze(input: &Input) -> Vec<Finding> {
    let on = |code: &str| !input.disable.iter().any(|d| d == code);
    let mut out = Vec::new();

    for f in input.files.iter().filter(|f| f.task_changed) {
        let Some(cand) = &f.candidate else { continue };
        let target_errors = f.target.as_ref().map_or(0, |t| t.syntax_errors.len());
        if on("syntax_conflict") && !cand.syntax_errors.is_empty() && target_errors == 0 {
            let e = &cand.syntax_errors[0];
            let msg = format!(
                "syntax conflict: {}:{}:{}: {}",
                f.path, e.line, e.column, e.message
            );
            out.push(Finding::error("syntax_conflict", &msg).at(&f.path, e.line));
        }
    }

    if on("duplicate_definition") {
        for f in input
            .files
            .iter()
            .filter(|f| f.task_changed || f.target_changed)
        {
            let Some(cand) = &f.candidate else { continue };
            let had = |ver: &Option<Version>, name: &str| {
                ver.as_ref()
                    .is_some_and(|x| x.symbols.iter().filter(|s| s.name == name).count() > 1)
            };
            for (name, ranges) in dgov_syntax::duplicate_definitions_in(&cand.symbols) {
                if had(&f.base, &name) || had(&f.task, &name) || had(&f.target, &name) {
                    continue;
                }
                let kind = cand
                    .symbols
                    .iter()
                    .find(|s| s.name == name)
                    .map_or("symbol", |s| s.kind.name());
                let places: Vec<String> = ranges
                    .iter()
                    .map(|r| format!("{}:{}", f.path, lines(Some(*r))))
                    .collect();
                let msg = format!(
                    "duplicate definition: {kind} {name} in {}",
                    places.join(", ")
                );
                out.push(Finding::error("duplicate_definition", &msg).at(&f.path, ranges[0].0));
            }
        }
    }

    // Symbol changes on each side, per file.
    let mut task_sig: Vec<(String, String, String, String)> = Vec::new(); // path, name, before, after
    let mut target_callers: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new(); // leaf -> (path, caller)
    for f in &input.files {
        let base = v(&f.base);
        let task = if f.task_changed {
            symbol_changes_in(base, v(&f.task))
        } else {
            Vec::new()
        };
        let target = if f.target_changed {
            symbol_changes_in(base, v(&f.target))
        } else {
            Vec::new()
        };
        if on("same_symbol_edit") {
            for t in &task {
                if matches!(t.change, Change::Added | Change::Removed) {
                    continue;
                }
                let Some(g) = target.iter().find(|g| g.name == t.name && g.kind == t.kind) else {
                    continue;
                };
                if matches!(g.change, Change::Added) {
                    continue;
                }
                // Both sides made the very same change: nothing conflicts.
                let th = f
                    .task
                    .as_ref()
                    .and_then(|x| x.symbols.iter().find(|s| s.name == t.name))
                    .map(|s| &s.body_hash);
                let gh = f
                    .target
                    .as_ref()
                    .and_then(|x| x.symbols.iter().find(|s| s.name == t.name))
                    .map(|s| &s.body_hash);
                if th.is_some() && th == gh {
                    continue;
                }
                let msg = format!(
                    "same-symbol edit: {} {} in {} (task {}; target {})",
                    t.kind.name(),
                    t.name,
                    f.path,
                    lines(t.after_lines),
                    lines(g.after_lines)
                );
                let line = t.after_lines.map_or(1, |r| r.0);
                out.push(Finding::error("same_symbol_edit", &msg).at(&f.path, line));
            }
        }
        for t in &task {
            if let Change::SignatureChanged { before, after } = &t.change
                && t.kind.is_callable()
            {
                task_sig.push((
                    f.path.clone(),
                    t.name.clone(),
                    before.clone(),
                    after.clone(),
                ));
            }
        }
        if let Some(tv) = &f.target {
            for g in &target {
                if matches!(g.change, Change::Removed) {
                    continue;
                }
                if let Some(s) = tv.symbols.iter().find(|s| s.name == g.name) {
                    for c in &s.calls {
                        target_callers
                            .entry(c.clone())
                            .or_default()
                            .push((f.path.clone(), s.name.clone()));
                    }
                }
            }
        }
    }
    if on("signature_drift") {
        for (path, name, before, after) in task_sig {
            let Some(callers) = target_callers.get(leaf(&name)) else {
                continue;
            };
            let callers: Vec<String> = callers
                .iter()
                .filter(|(p, c)| !(p == &path && c == &name))
                .map(|(p, c)| format!("{c} in {p}"))
                .collect();
            if callers.is_empty() {
                continue;
            }
            let msg = format!(
                "signature drift: {name} in {path} changed from {before} to {after}, but the target meanwhile added or changed callers: {}",
                callers.join(", ")
            );
            out.push(Finding::error("signature_drift", &msg).in_file(&path));
        }
    }
    out
}

/// The gate's report for `input`.
pub fn report(input: &Input) -> GateReport {
    let findings = analyze(input);
    if findings.is_empty() {
        return GateReport::pass(&format!(
            "{} file(s) compared, no semantic conflict",
            input.files.len()
        ));
    }
    let mut codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    codes.dedup();
    let mut r = GateReport::from_findings(findings.clone());
    r.summary = format!("{}: {}", codes.join(", "), r.summary);
    r
}

pub struct SemanticGate;

impl Gate for SemanticGate {
    fn describe() -> GateSpec {
        GateSpec::new(
            "semantic-gate",
            "syntax errors, duplicate definitions, concurrent edits of one symbol and signature drift in the integration candidate",
            &[Phase::Candidate],
        )
    }

    fn check(ctx: GateContext) -> Result<GateReport, PluginError> {
        let wire: WireInput = config(&ctx)?;
        let input = wire
            .expand()
            .map_err(|e| PluginError::InvalidInput(format!("gate configuration: {e}")))?;
        Ok(report(&input))
    }
}

dgov_sdk::export_gate!(SemanticGate);

#[cfg(test)]
mod tests {
    use super::*;
    use dgov_syntax::SymbolKind;

    fn sym(name: &str, line: u32, hash: &str) -> SymbolFacts {
        SymbolFacts {
            name: name.into(),
            kind: SymbolKind::Function,
            start_line: line,
            end_line: line + 2,
            signature: Some(format!("def {name}()")),
            body_hash: hash.into(),
            public: true,
            calls: vec![],
        }
    }

    fn wire(json: serde_json::Value) -> Result<Input, String> {
        serde_json::from_value::<WireInput>(json).unwrap().expand()
    }

    #[test]
    fn a_delta_expands_to_base_runs_with_moved_lines_and_new_symbols() {
        let base = vec![sym("a", 1, "1"), sym("b", 5, "2"), sym("c", 9, "3")];
        let input = wire(serde_json::json!({"files": [{
            "path": "m.py",
            "base": {"symbols": base},
            "task": {"delta": [
                {"run": [0, 1, 0]},
                {"symbol": sym("b", 5, "changed")},
                {"symbol": sym("new", 8, "4")},
                {"run": [2, 3, 3]},
            ]},
            "task_changed": true,
        }]}))
        .unwrap();
        let task = input.files[0].task.as_ref().unwrap();
        assert_eq!(
            task.symbols,
            vec![
                sym("a", 1, "1"),
                sym("b", 5, "changed"),
                sym("new", 8, "4"),
                sym("c", 12, "3")
            ]
        );
        assert_eq!(input.files[0].base.as_ref().unwrap().symbols, base);
        assert!(input.files[0].target.is_none());
    }

    #[test]
    fn full_versions_pass_through_unchanged() {
        let full = Input {
            files: vec![FileInput {
                path: "m.py".into(),
                base: Some(Version {
                    symbols: vec![sym("a", 1, "1")],
                    syntax_errors: vec![],
                }),
                task: Some(Version {
                    symbols: vec![sym("a", 2, "9")],
                    syntax_errors: vec![SyntaxError {
                        line: 1,
                        column: 1,
                        message: "syntax error".into(),
                    }],
                }),
                ..FileInput::default()
            }],
            disable: vec!["signature_drift".into()],
        };
        let back = wire(serde_json::to_value(&full).unwrap()).unwrap();
        assert_eq!(back.files[0].base, full.files[0].base);
        assert_eq!(back.files[0].task, full.files[0].task);
        assert_eq!(back.disable, full.disable);
    }

    #[test]
    fn malformed_deltas_are_errors_naming_the_file() {
        let base = vec![sym("a", 1, "1")];
        let out_of_range = wire(serde_json::json!({"files": [{
            "path": "m.py", "base": {"symbols": base},
            "task": {"delta": [{"run": [0, 2, 0]}]},
        }]}));
        assert!(
            out_of_range
                .unwrap_err()
                .starts_with("m.py: delta run 0..2")
        );
        let negative = wire(serde_json::json!({"files": [{
            "path": "m.py", "base": {"symbols": base},
            "task": {"delta": [{"run": [0, 1, -5]}]},
        }]}));
        assert!(negative.unwrap_err().contains("moves line 1 by -5"));
        let base_delta = wire(serde_json::json!({"files": [{
            "path": "m.py", "base": {"delta": []},
        }]}));
        assert!(
            base_delta
                .unwrap_err()
                .contains("base version must be sent in full")
        );
    }
}
