//! What the host adds to a gate's configuration before it runs: the findings of the same gate
//! on the baseline revision (for entries with `"baseline": true`, by default the built-in
//! `typecheck` gate), and for coverage gates the session's coverage baseline plus the path of
//! the report the command writes (deleted again after the gate).
//!
//! The baseline revision is the one the tree under review is judged against: the task's base
//! in the isolated phase, the target HEAD in the candidate phase, HEAD in preflight. The host
//! checks it out into a temporary directory and runs the gate there with `baseline_run: true`;
//! the real run then gets that run's findings as `baseline_findings` and fails only on what is
//! new. The baseline run's report goes through the verdict cache keyed by the baseline *tree*,
//! so N tasks on the same base check it out and type-check it once.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use dgov_git::{Oid, Repo};
use dgov_plugin_host::bindings::{
    ChangeKind, Claims, Finding, GateContext, GateReport, Phase, Revs, Verdict,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cache;
use crate::gates::{GateCall, GateVerdict, Gates, builtin_plugin};
use crate::policy::GateEntry;

/// Where the session's coverage baseline lives, relative to the project root.
pub const COVERAGE_BASELINE: &str = ".coverage-baseline/coverage.json";

/// The configuration to run a gate with. Keep it until the gate ran: dropping it deletes the
/// coverage report the command wrote into the tree under review (best effort).
pub struct Prepared {
    pub config: Value,
    remove: Option<PathBuf>,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if let Some(p) = &self.remove {
            let _ = std::fs::remove_file(p);
        }
    }
}

type PrepareFuture<'a> = Pin<Box<dyn Future<Output = Prepared> + Send + 'a>>;

/// Prepare `entry`'s configuration for a run on `call`. Boxed: it runs the gate itself on
/// the baseline revision, through [`Gates::run`].
pub fn prepare<'a>(
    gates: &'a Gates,
    entry: &'a GateEntry,
    ctx: &'a GateContext,
    call: &'a GateCall<'a>,
) -> PrepareFuture<'a> {
    Box::pin(async move {
        let mut config = entry.config.clone();
        let mut remove = None;
        if !config.is_object() {
            return Prepared { config, remove };
        }
        let is_command_gate = builtin_plugin(&entry.gate) == Some("command-gate");
        if is_command_gate && config.get("kind").and_then(Value::as_str) == Some("coverage") {
            let output = coverage_output(call);
            let path = call.root.join(&output);
            let _ = std::fs::remove_file(&path);
            remove = Some(path);
            config["output"] = json!(output);
            if config.get("coverage_baseline").is_none_or(Value::is_null) {
                config["coverage_baseline"] = coverage_baseline(call.root_repo());
            }
        }
        let wants_baseline = config.get("baseline").and_then(Value::as_bool) == Some(true)
            && config.get("baseline_run").and_then(Value::as_bool) != Some(true);
        if wants_baseline {
            match baseline_findings(gates, entry, ctx, call).await {
                Ok(findings) => config["baseline_findings"] = Value::Array(findings),
                Err(e) if is_command_gate => config["baseline_error"] = json!(e),
                Err(_) => {}
            }
        }
        Prepared { config, remove }
    })
}

/// The report path `{output}` stands for: a dot file at the root of the tree under review,
/// named after that tree (stable, so verdicts stay cacheable).
fn coverage_output(call: &GateCall<'_>) -> String {
    let id = call
        .tree
        .clone()
        .unwrap_or_else(|| call.root.display().to_string());
    let hash = hex::encode(Sha256::digest(id.as_bytes()));
    format!(".dgov-coverage-{}.json", &hash[..12])
}

/// The session root's coverage baseline as JSON, or null when missing or unreadable (the
/// gate then skips and says so).
pub fn coverage_baseline(root: &Path) -> Value {
    std::fs::read_to_string(root.join(COVERAGE_BASELINE))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

/// The revision a phase is judged against.
fn baseline_rev(ctx: &GateContext) -> Option<&str> {
    match ctx.phase {
        Phase::Isolated => Some(ctx.revs.base.as_str()),
        Phase::Candidate => ctx.revs.target.as_deref(),
        Phase::Preflight => Some(ctx.revs.head.as_str()),
        _ => None,
    }
}

/// A finding as the gate's `baseline_findings` carries it.
fn finding_json(f: &Finding) -> Value {
    let loc = f.locations.first();
    json!({
        "code": f.code,
        "message": f.message,
        "path": loc.map(|l| l.path.clone()),
        "line": loc.and_then(|l| l.line),
        "evidence": f.evidence_json.as_deref().and_then(|e| serde_json::from_str::<Value>(e).ok()),
    })
}

/// Run the gate on the baseline revision (or take its cached report) and return its findings.
async fn baseline_findings(
    gates: &Gates,
    entry: &GateEntry,
    ctx: &GateContext,
    call: &GateCall<'_>,
) -> Result<Vec<Value>, String> {
    let rev = baseline_rev(ctx)
        .ok_or_else(|| format!("no baseline revision in phase {:?}", ctx.phase))?
        .to_string();
    let repo_root = call.root_repo();
    let plugin = gates.resolve(repo_root, &entry.gate)?;
    let mut bentry = entry.clone();
    bentry.config["baseline"] = json!(false);
    bentry.config["baseline_run"] = json!(true);
    let uses_files = bentry
        .config
        .get("command")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("{file"));
    // Git work in a block: the repository is not `Send` and must not live across an await.
    let (oid, tree, changed) = {
        let repo = Repo::open(repo_root).map_err(|e| e.to_string())?;
        let oid = Oid::from_str(&rev).map_err(|e| format!("baseline revision `{rev}`: {e}"))?;
        let tree = repo.tree_of(oid).map_err(|e| e.to_string())?.to_string();
        // Only a command over the changed files needs them, and only those the baseline has;
        // everything else sees none, so every task on this base shares one cached report.
        let changed: Vec<_> = if uses_files {
            ctx.changed
                .iter()
                .filter(|f| matches!(repo.file_at(oid, &f.path), Ok(Some(_))))
                .map(|f| {
                    let mut f = f.clone();
                    f.kind = ChangeKind::Modified;
                    f
                })
                .collect()
        } else {
            Vec::new()
        };
        (oid, tree, changed)
    };
    let bctx = GateContext {
        task: "baseline".into(),
        phase: ctx.phase,
        revs: Revs {
            base: rev.clone(),
            head: rev.clone(),
            target: Some(rev.clone()),
        },
        changed,
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
    let key = cache::key(
        &tree,
        plugin.hash(),
        &json!({
            "baseline_run": true,
            "gate": entry.gate,
            "config": bentry.config,
            "changed": bctx.changed,
        }),
    );
    if call.use_cache
        && let Some(report) = cache::get(repo_root, &key)
    {
        return Ok(report.findings.iter().map(finding_json).collect());
    }
    let repo = Repo::open(repo_root).map_err(|e| e.to_string())?;
    let dir = crate::candidate::scratch_checkout_dir(&repo, "dgov-baseline-")
        .map_err(|e| format!("creating a baseline checkout directory: {e}"))?;
    repo.checkout_to(oid, dir.path())
        .map_err(|e| e.to_string())?;
    link_dependency_dirs(call.root, dir.path());
    let bcall = GateCall {
        root: dir.path(),
        repo_root: Some(repo_root),
        tree: None,
        plugins: call.plugins,
        use_cache: false,
    };
    let run = gates.run(&bentry, bctx, &bcall).await;
    if run.verdict == GateVerdict::Error {
        return Err(format!(
            "the baseline run at {rev} errored: {}",
            run.summary
        ));
    }
    if call.use_cache {
        let report = GateReport {
            verdict: match run.verdict {
                GateVerdict::Pass => Verdict::Pass,
                GateVerdict::Warn => Verdict::Warn,
                GateVerdict::Skip => Verdict::Skip,
                _ => Verdict::Fail,
            },
            summary: run.summary.clone(),
            findings: run.findings.clone(),
            fixes: Vec::new(),
            metrics_json: None,
        };
        cache::put(repo_root, &key, &report);
    }
    Ok(run.findings.iter().map(finding_json).collect())
}

/// Installed-dependency directories (untracked, so absent from a checkout) that a type
/// checker needs to resolve imports.
const DEPENDENCY_DIRS: [&str; 3] = [".venv", "venv", "node_modules"];

/// Give the baseline checkout the dependencies of the tree under review: each of
/// [`DEPENDENCY_DIRS`] that `validated` has (typically installed there by `setup_cmd`) is
/// linked into `checkout`. Without them a checker that stops at the first unresolved import
/// reports nothing on the baseline, and every pre-existing diagnostic of the task's side
/// would count as new.
fn link_dependency_dirs(validated: &Path, checkout: &Path) {
    for name in DEPENDENCY_DIRS {
        let source = validated.join(name);
        let target = checkout.join(name);
        if source.is_dir() && std::fs::symlink_metadata(&target).is_err() {
            // Best effort: without the link the run is as it was before.
            let _ = std::os::unix::fs::symlink(&source, &target);
        }
    }
}
