//! The settlement pipeline for one attempt: structural review → prepare (autofix, committed on
//! the attempt branch; later phases judge that commit) → isolated validation →
//! integration candidate → semantic gate → candidate validation. Every phase is recorded as
//! `settlement_phase_started` / `settlement_phase_completed` events with its verdict and each
//! gate's findings; the first rejecting phase stops the pipeline. The final merge is the
//! runner's (the host's), after a passing verdict.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use dgov_git::{GitError, Oid, Repo};
use dgov_plugin_host::bindings::{ChangedFile, Claims, GateContext, Phase, Revs};
use dgov_plugin_host::registry::PluginsConfig;
use serde::Serialize;
use serde_json::json;

use crate::autofix::{self, Autofix};
use crate::candidate::{Candidate, build_candidate};
use crate::gates::{GateCall, GateRun, GateVerdict, Gates};
use crate::policy::{self, PhaseName, Policy};
use crate::{diff, worklog};

/// Structural verdicts no retry can fix: the worker went outside what it may touch.
pub const TERMINAL_CODES: [&str; 5] = [
    "reserved_path",
    "scope_violation",
    "path_policy_violation",
    "diff_too_large",
    "empty_diff",
];

/// One attempt to judge.
#[derive(Debug, Clone)]
pub struct Request {
    pub plan: String,
    pub task: String,
    pub attempt: u32,
    pub root: PathBuf,
    pub worktree: PathBuf,
    pub base: Oid,
    pub commit: Oid,
    /// Writable claims (create/edit/delete/touch).
    pub claims: Vec<String>,
    /// Read-only claims.
    pub read: Vec<String>,
    /// The task's own test command (the plan's `test_cmd`): run by a `task-tests` gate before
    /// the project's tests ([`Policy::with_task_tests`]).
    pub test_cmd: Option<String>,
}

/// The pipeline's judgement.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub passed: bool,
    /// The phase that rejected (or `None`).
    pub phase: Option<String>,
    /// Machine-readable reason code (`accepted`, `scope_violation`, `tests_failed`, …).
    pub code: String,
    /// Human reason with the rejecting gate's evidence (what a retry prompt shows).
    pub reason: String,
    pub retryable: bool,
    pub gates: Vec<GateRun>,
    /// The validated integration candidate (commit id), when one was built.
    pub candidate: Option<String>,
    pub target: Option<String>,
    /// What the prepare phase fixed and committed (`None`: nothing, or no prepare phase).
    pub autofix: Option<Autofix>,
}

impl Outcome {
    fn reject(
        phase: &str,
        code: &str,
        reason: String,
        retryable: bool,
        gates: Vec<GateRun>,
    ) -> Outcome {
        Outcome {
            passed: false,
            phase: Some(phase.into()),
            code: code.into(),
            reason,
            retryable,
            gates,
            candidate: None,
            target: None,
            autofix: None,
        }
    }
}

/// Records pipeline events in the store (best effort: a settlement is not failed because the
/// event log is unavailable, e.g. in `dgov preflight` outside a run).
struct Recorder {
    store: Option<dgov_store::Store>,
    plan: String,
    task: String,
    attempt: u32,
}

impl Recorder {
    fn note(&mut self, kind: &str, mut data: serde_json::Value) {
        data["attempt"] = json!(self.attempt);
        if let Some(s) = &mut self.store {
            let _ = s.append_note(&self.plan, None, Some(&self.task), kind, &data);
        }
    }
}

/// What a gate is doing, for a caller that shows progress (`dgov preflight` on a terminal):
/// settlement can run a test suite for minutes, and silence reads as a hang.
#[derive(Debug, Clone, Copy)]
pub enum GateProgress<'a> {
    Started { phase: &'a str, gate: &'a str },
    Finished { phase: &'a str, run: &'a GateRun },
}

/// Receives [`GateProgress`]; called on the settling task, so it must be quick.
pub type ProgressObserver = Arc<dyn Fn(GateProgress<'_>) + Send + Sync>;

/// The pipeline: gates plus policy, loaded per settlement.
pub struct Pipeline {
    gates: Gates,
    observer: Option<ProgressObserver>,
}

struct PhaseResult {
    runs: Vec<GateRun>,
    blocking: Option<usize>,
}

pub(crate) fn git_err(e: GitError) -> String {
    e.to_string()
}

impl Pipeline {
    pub fn new(gates: Gates) -> Pipeline {
        Pipeline {
            gates,
            observer: None,
        }
    }

    /// Report each gate's start and end to `observer`.
    pub fn with_progress(mut self, observer: ProgressObserver) -> Pipeline {
        self.observer = Some(observer);
        self
    }

    fn observe(&self, event: GateProgress<'_>) {
        if let Some(o) = &self.observer {
            o(event);
        }
    }

    pub fn gates(&self) -> &Gates {
        &self.gates
    }

    #[allow(clippy::too_many_arguments)]
    async fn phase(
        &self,
        rec: &mut Recorder,
        policy: &Policy,
        name: PhaseName,
        base_ctx: &GateContext,
        call: &GateCall<'_>,
        extra: Option<(&str, &serde_json::Value)>,
    ) -> PhaseResult {
        let entries = policy.gates(name);
        rec.note("settlement_phase_started", json!({"phase": name.as_str()}));
        let started = Instant::now();
        let mut runs = Vec::new();
        let mut blocking = None;
        for entry in entries {
            let mut entry = entry.clone();
            if let Some((gate, x)) = extra
                && entry.gate == gate
                && let (Some(obj), Some(add)) = (entry.config.as_object_mut(), x.as_object())
            {
                for (k, v) in add {
                    obj.insert(k.clone(), v.clone());
                }
            }
            let phase = name.as_str();
            self.observe(GateProgress::Started {
                phase,
                gate: &entry.gate,
            });
            let mut run = self.gates.run(&entry, base_ctx.clone(), call).await;
            if !policy.block_preexisting {
                only_preexisting_does_not_block(&mut run);
            }
            self.observe(GateProgress::Finished { phase, run: &run });
            let stop = run.blocking;
            runs.push(run);
            if stop {
                blocking = Some(runs.len() - 1);
                break;
            }
        }
        let status = if entries.is_empty() {
            "skipped"
        } else if blocking.is_some() {
            "failed"
        } else {
            "passed"
        };
        rec.note(
            "settlement_phase_completed",
            json!({
                "phase": name.as_str(),
                "status": status,
                "duration_s": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
                "gates": runs,
            }),
        );
        PhaseResult { runs, blocking }
    }

    /// Judge one attempt.
    pub async fn settle(&self, req: &Request) -> Outcome {
        let mut rec = Recorder {
            store: dgov_store::Store::open(&req.root).ok(),
            plan: req.plan.clone(),
            task: req.task.clone(),
            attempt: req.attempt,
        };
        let mut fixed = None;
        let mut out = self.settle_inner(req, &mut rec, &mut fixed).await;
        out.autofix = fixed;
        let data = json!({
            "passed": out.passed, "phase": out.phase, "code": out.code,
            "reason": out.reason, "retryable": out.retryable,
            "candidate": out.candidate, "target": out.target, "autofix": out.autofix,
        });
        rec.note(
            if out.passed {
                "settlement_passed"
            } else {
                "settlement_rejected"
            },
            data,
        );
        out
    }

    /// The prepare phase: fixers on the worktree, scoped to the task's lines, committed on the
    /// attempt branch. `Ok(None)`: nothing to commit (or no fixer configured).
    async fn prepare(
        &self,
        rec: &mut Recorder,
        policy: &Policy,
        req: &Request,
        ctx: &GateContext,
        plugins: &PluginsConfig,
        all: &mut Vec<GateRun>,
    ) -> Result<Option<Autofix>, Outcome> {
        let entries = policy.gates(PhaseName::Prepare);
        rec.note("settlement_phase_started", json!({"phase": "prepare"}));
        if entries.is_empty() {
            rec.note(
                "settlement_phase_completed",
                json!({"phase": "prepare", "status": "skipped"}),
            );
            return Ok(None);
        }
        let started = Instant::now();
        // Fixers change the tree, so their verdicts are never cached.
        let call = GateCall {
            root: &req.worktree,
            repo_root: Some(&req.root),
            tree: None,
            plugins,
            use_cache: false,
        };
        let duration = |s: Instant| (s.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        let done = autofix::run_phase(
            &self.gates,
            entries,
            ctx,
            &call,
            req.commit,
            &req.task,
            &|e| self.observe(e),
        )
        .await;
        let p = match done {
            Ok(p) => p,
            Err(e) => {
                let reason = format!("autofix: {e}");
                rec.note(
                    "settlement_phase_completed",
                    json!({"phase": "prepare", "status": "failed", "error": reason, "duration_s": duration(started)}),
                );
                let out = Outcome::reject(
                    "prepare",
                    "autofix_error",
                    reason,
                    false,
                    std::mem::take(all),
                );
                return Err(out);
            }
        };
        let effects: serde_json::Map<String, serde_json::Value> = p
            .effects
            .iter()
            .map(|(gate, e)| (gate.clone(), json!(e)))
            .collect();
        rec.note(
            "settlement_phase_completed",
            json!({
                "phase": "prepare",
                "status": if p.blocking { "failed" } else { "passed" },
                "duration_s": duration(started),
                "gates": p.runs,
                "fixed_files": p.autofix.as_ref().map(|a| a.files.clone()).unwrap_or_default(),
                "autofix_commit": p.autofix.as_ref().map(|a| a.commit.clone()),
                "effects": effects,
            }),
        );
        all.extend(p.runs);
        if p.blocking {
            return Err(rejection(PhaseName::Prepare, std::mem::take(all)));
        }
        Ok(p.autofix)
    }

    async fn settle_inner(
        &self,
        req: &Request,
        rec: &mut Recorder,
        fixed: &mut Option<Autofix>,
    ) -> Outcome {
        let (policy, plugins) = match load_policy(&req.root) {
            Ok(p) => p,
            Err(e) => return Outcome::reject("policy", "policy_error", e, false, vec![]),
        };
        let policy = match &req.test_cmd {
            Some(cmd) => policy.with_task_tests(cmd),
            None => policy,
        };
        // Git work happens in blocks that drop the (non-`Sync`) repository before any await.
        let prep = (|| -> Result<(Oid, Vec<ChangedFile>, Option<String>), Box<Outcome>> {
            let rej = |msg: String| {
                Box::new(Outcome::reject(
                    "structural",
                    "git_error",
                    msg,
                    false,
                    vec![],
                ))
            };
            let repo = Repo::open(&req.root).map_err(|e| rej(git_err(e)))?;
            let target = match repo.head() {
                Ok(Some(h)) => h,
                Ok(None) => return Err(rej("the target has no HEAD".into())),
                Err(e) => return Err(rej(git_err(e))),
            };
            let changed =
                diff::between(repo.git2(), req.base, req.commit).map_err(|e| rej(e.to_string()))?;
            let tree = repo.tree_of(req.commit).ok().map(|t| t.to_string());
            Ok((target, changed, tree))
        })();
        let (mut target, mut task_changed, mut tree) = match prep {
            Ok(x) => x,
            Err(o) => return *o,
        };
        let claims = Claims {
            create: vec![],
            edit: req.claims.clone(),
            delete: vec![],
            touch: vec![],
            read: req.read.clone(),
            enforced: true,
        };
        let mut ctx = GateContext {
            task: req.task.clone(),
            phase: Phase::StructuralReview,
            revs: Revs {
                base: req.base.to_string(),
                head: req.commit.to_string(),
                target: Some(target.to_string()),
            },
            changed: task_changed.clone(),
            claims,
            config_json: "{}".into(),
        };
        let mut all = Vec::new();
        let call = GateCall {
            root: &req.worktree,
            repo_root: Some(&req.root),
            tree: tree.clone(),
            plugins: &plugins,
            use_cache: policy.cache,
        };
        let transient = rec
            .store
            .as_ref()
            .map(|s| worklog::transient_writes(s, &req.plan, &req.task, req.attempt))
            .unwrap_or_default();
        let scope_extra = json!({"transient_writes": transient});
        let extra = Some(("scope", &scope_extra));
        // Structural review judges the worker's own commit.
        let r = self
            .phase(rec, &policy, PhaseName::Structural, &ctx, &call, extra)
            .await;
        let blocking = r.blocking;
        all.extend(r.runs);
        if blocking.is_some() {
            return rejection(PhaseName::Structural, all);
        }

        // Prepare: the fixes are committed on the attempt branch, and everything after judges
        // (and the runner merges) that commit.
        ctx.phase = Phase::Prepare;
        let fixed_req;
        let req = match self
            .prepare(rec, &policy, req, &ctx, &plugins, &mut all)
            .await
        {
            Err(out) => return out,
            Ok(None) => req,
            Ok(Some(a)) => {
                let Ok(commit) = Oid::from_str(&a.commit) else {
                    let reason = format!("autofix: bad commit id {}", a.commit);
                    return Outcome::reject("prepare", "git_error", reason, false, all);
                };
                *fixed = Some(a);
                fixed_req = Request {
                    commit,
                    ..req.clone()
                };
                let again = Repo::open(&req.root).map_err(git_err).and_then(|repo| {
                    let changed =
                        diff::between(repo.git2(), req.base, commit).map_err(|e| e.to_string())?;
                    Ok((changed, repo.tree_of(commit).ok().map(|t| t.to_string())))
                });
                match again {
                    Ok((changed, t)) => (task_changed, tree) = (changed, t),
                    Err(e) => return Outcome::reject("prepare", "git_error", e, false, all),
                }
                ctx.revs.head = commit.to_string();
                ctx.changed = task_changed.clone();
                &fixed_req
            }
        };
        let call = GateCall {
            root: &req.worktree,
            repo_root: Some(&req.root),
            tree: tree.clone(),
            plugins: &plugins,
            use_cache: policy.cache,
        };

        ctx.phase = Phase::Isolated;
        let r = self
            .phase(rec, &policy, PhaseName::Isolated, &ctx, &call, extra)
            .await;
        let blocking = r.blocking;
        all.extend(r.runs);
        if blocking.is_some() {
            return rejection(PhaseName::Isolated, all);
        }

        let mut round = 0;
        loop {
            round += 1;
            // The integration candidate: the task replayed onto the current target HEAD.
            rec.note(
                "settlement_phase_started",
                json!({"phase": "integration_candidate"}),
            );
            let started = Instant::now();
            let built = build_candidate(
                req,
                target,
                &task_changed,
                !policy.gates(PhaseName::Semantic).is_empty(),
            );
            let Candidate {
                candidate,
                dir,
                input,
                cand_changed,
                cand_tree,
            } = match built {
                Ok(c) => c,
                Err((code, reason, data)) => {
                    rec.note("settlement_phase_completed", data);
                    let retryable = code != "git_error";
                    return Outcome::reject("integration_candidate", &code, reason, retryable, all);
                }
            };
            rec.note(
            "settlement_phase_completed",
            json!({"phase": "integration_candidate", "status": "passed", "candidate_sha": candidate.to_string(), "target_head_sha": target.to_string(),
                   "duration_s": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0}),
        );
            let ccall = GateCall {
                root: dir.path(),
                repo_root: Some(&req.root),
                tree: cand_tree,
                plugins: &plugins,
                use_cache: policy.cache,
            };
            if !policy.gates(PhaseName::Semantic).is_empty() {
                ctx.phase = Phase::Candidate;
                let r = self
                    .phase(
                        rec,
                        &policy,
                        PhaseName::Semantic,
                        &ctx,
                        &ccall,
                        Some(("semantic", &input)),
                    )
                    .await;
                let blocking = r.blocking;
                all.extend(r.runs);
                if blocking.is_some() {
                    return rejection(PhaseName::Semantic, all);
                }
            } else {
                rec.note("settlement_phase_started", json!({"phase": "semantic"}));
                rec.note(
                    "settlement_phase_completed",
                    json!({"phase": "semantic", "status": "skipped"}),
                );
            }

            // Candidate validation: the configured gates on the integrated result, with
            // `changed = diff(target, candidate)` (the original diffed the candidate with itself).
            ctx.phase = Phase::Candidate;
            ctx.changed = cand_changed;
            ctx.revs.head = candidate.to_string();
            // The sentrux gate judges against the governor's baseline (the session root's,
            // never the tree's own copy).
            let sentrux = json!({"baseline": sentrux_baseline(&req.root)});
            let r = self
                .phase(
                    rec,
                    &policy,
                    PhaseName::Candidate,
                    &ctx,
                    &ccall,
                    Some(("sentrux", &sentrux)),
                )
                .await;
            let blocking = r.blocking;
            all.extend(r.runs);
            if blocking.is_some() {
                return rejection(PhaseName::Candidate, all);
            }
            // A merge that landed meanwhile (the runner merges the previous passing task while
            // this one settles) makes this candidate stale: rebuild it on the new HEAD.
            let now = Repo::open(&req.root)
                .ok()
                .and_then(|r| r.head().ok().flatten());
            if now == Some(target) {
                return Outcome {
                    passed: true,
                    phase: None,
                    code: "accepted".into(),
                    reason: "accepted".into(),
                    retryable: false,
                    gates: all,
                    candidate: Some(candidate.to_string()),
                    target: Some(target.to_string()),
                    autofix: None,
                };
            }
            let Some(now) = now.filter(|_| round < 3) else {
                let reason =
                    "the target branch kept moving while the candidate was validated".into();
                return Outcome::reject("candidate", "target_moved", reason, true, all);
            };
            rec.note(
                "settlement_target_moved",
                json!({"from": target.to_string(), "to": now.to_string()}),
            );
            target = now;
            ctx.revs.target = Some(target.to_string());
            ctx.revs.head = req.commit.to_string();
            ctx.changed = task_changed.clone();
        }
    }

    /// `dgov preflight`: the structural and isolated gates on the uncommitted changes of the
    /// working tree at `root` (claims not enforced, nothing cached, nothing recorded).
    ///
    /// The prepare phase is left out on purpose: its fixers rewrite files, and preflight runs
    /// on the user's own uncommitted work, which settlement must never rewrite (there is no
    /// commit to scope the fixes against or to restore from).
    pub async fn preflight(&self, root: &Path) -> Result<Outcome, String> {
        self.local(root, &[PhaseName::Structural, PhaseName::Isolated])
            .await
    }

    async fn local(&self, root: &Path, phases: &[PhaseName]) -> Result<Outcome, String> {
        let (policy, plugins) = load_policy(root)?;
        let (head, changed) = {
            let repo = Repo::open(root).map_err(git_err)?;
            let head = repo
                .head()
                .map_err(git_err)?
                .ok_or("the repository has no commits")?;
            let changed = diff::working_tree(repo.git2()).map_err(|e| e.to_string())?;
            (head, changed)
        };
        let mut rec = Recorder {
            store: None,
            plan: String::new(),
            task: String::new(),
            attempt: 0,
        };
        let ctx = GateContext {
            task: "preflight".into(),
            phase: Phase::Preflight,
            revs: Revs {
                base: head.to_string(),
                head: head.to_string(),
                target: Some(head.to_string()),
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
            config_json: "{}".into(),
        };
        let call = GateCall {
            root,
            repo_root: Some(root),
            tree: None,
            plugins: &plugins,
            use_cache: false,
        };
        let mut all = Vec::new();
        for &name in phases {
            let r = self.phase(&mut rec, &policy, name, &ctx, &call, None).await;
            let blocking = r.blocking;
            all.extend(r.runs);
            if blocking.is_some() {
                return Ok(rejection(name, all));
            }
        }
        Ok(Outcome {
            passed: true,
            phase: None,
            code: "accepted".into(),
            reason: "passed".into(),
            retryable: false,
            gates: all,
            candidate: None,
            target: None,
            autofix: None,
        })
    }
}

fn load_policy(root: &Path) -> Result<(Policy, PluginsConfig), String> {
    let (policy, _) = policy::load(root).map_err(|e| e.to_string())?;
    let plugins = dgov_plugin_host::registry::load_config(root).map_err(|e| e.to_string())?;
    Ok((policy, plugins))
}

/// A gate that failed only on findings it marks pre-existing (`attributable: false`) warns
/// instead: the task did not cause them. A failure without findings stays a failure.
fn only_preexisting_does_not_block(run: &mut GateRun) {
    if run.verdict == GateVerdict::Fail
        && !run.findings.is_empty()
        && run.findings.iter().all(|f| !f.attributable)
    {
        run.verdict = GateVerdict::Warn;
        run.blocking = false;
        run.summary = format!(
            "{} (only pre-existing findings, not caused by this task: not blocking; [settlement].block_preexisting = true blocks them)",
            run.summary
        );
    }
}

/// The rejection for a phase whose last gate run blocked.
fn rejection(phase: PhaseName, runs: Vec<GateRun>) -> Outcome {
    let last = runs.last().cloned();
    let Some(run) = last else {
        return Outcome::reject(phase.as_str(), "rejected", "rejected".into(), true, runs);
    };
    let code = match run.verdict {
        GateVerdict::Error => "gate_error".to_string(),
        _ => run
            .findings
            .iter()
            .find(|f| matches!(f.severity, dgov_plugin_host::bindings::Severity::Error))
            .or(run.findings.first())
            .map_or_else(|| "gate_failed".to_string(), |f| f.code.clone()),
    };
    let retryable = !run
        .findings
        .iter()
        .any(|f| TERMINAL_CODES.contains(&f.code.as_str()));
    let verdict = match run.verdict {
        GateVerdict::Error => "errored",
        _ => "rejected",
    };
    let mut reason = format!(
        "{} gate `{}` {verdict}: {}",
        phase.as_str(),
        run.gate,
        run.summary
    );
    let evidence = run.evidence(10);
    if !evidence.is_empty() {
        reason.push('\n');
        reason.push_str(&evidence);
    }
    Outcome::reject(phase.as_str(), &code, reason, retryable, runs)
}

/// The session root's `.sentrux/baseline.json` as JSON, or null when missing or unreadable
/// (then the sentrux gate skips).
fn sentrux_baseline(root: &std::path::Path) -> serde_json::Value {
    std::fs::read_to_string(root.join(".sentrux/baseline.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}
