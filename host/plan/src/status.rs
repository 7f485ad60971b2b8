//! Plan status, plan list and archive: what is deployed, what is pending, whether the
//! compiled plan is stale, and moving finished plans to `.dgov/plans/archive/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::compile::{CompileError, hash_inputs, load_compiled};
use crate::compiled::COMPILED_FILE;
use crate::deploy::read_deployed;
use crate::diag::Diagnostic;
use crate::model::CompiledPlan;
use crate::tree::{ROOT_FILE, parse_root};

/// Where plans live, relative to the repository root.
pub const PLANS_DIR: &str = ".dgov/plans";
/// Archive directory name under [`PLANS_DIR`].
pub const ARCHIVE_DIR: &str = "archive";
/// Run log with one block per run (the fallback source of a plan's last run status).
pub const RUNS_LOG: &str = ".dgov/runs.log";

/// One unit in `plan status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitStatus {
    pub unit: String,
    /// `deployed` or `pending`.
    pub status: String,
    pub sha: String,
    pub ts: String,
    /// Direct dependencies without a deploy record.
    pub blocked_by: Vec<String>,
}

/// `dgov plan status` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanStatus {
    pub plan: String,
    pub path: PathBuf,
    /// Set when the given path did not exist and the archived copy was used.
    pub resolved_from_archive: Option<PathBuf>,
    pub units: usize,
    pub deployed: usize,
    pub pending: usize,
    pub stale: bool,
    /// `complete`, `degraded` or `failed` from the latest run of this plan, if known.
    pub run_status: Option<String>,
    pub sentrux_degradation: bool,
    pub sentrux_quality: Option<String>,
    pub sentrux_offender_summary: Option<String>,
    pub branch_verification_status: Option<String>,
    pub branch_verification_error: Option<String>,
    pub remediation_needed: bool,
    pub next_action: Option<String>,
    pub unit_statuses: Vec<UnitStatus>,
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
}

/// Why status could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("plan path not found: {0}")]
    NotFound(PathBuf),
    #[error("not compiled; run 'dgov compile {}'", .0.display())]
    NotCompiled(PathBuf),
    #[error("{0} is neither a plan directory nor a .toml file")]
    NotAPlan(PathBuf),
    #[error("invalid compiled plan {}: {error}", .path.display())]
    InvalidCompiled { path: PathBuf, error: CompileError },
    #[error("cannot read {}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Resolve a missing plan path to its archived copy when one exists.
fn resolve_target(target: &Path) -> Result<(PathBuf, Option<PathBuf>), StatusError> {
    if target.exists() {
        return Ok((target.to_path_buf(), None));
    }
    let is_toml = target.extension().is_some_and(|e| e == "toml");
    let candidate = if is_toml {
        let file = target.file_name();
        let dir = target.parent();
        let plans = dir.and_then(Path::parent);
        match (file, dir.and_then(Path::file_name), plans) {
            (Some(f), Some(d), Some(p)) => Some(p.join(ARCHIVE_DIR).join(d).join(f)),
            _ => None,
        }
    } else {
        match (target.file_name(), target.parent()) {
            (Some(n), Some(p)) => Some(p.join(ARCHIVE_DIR).join(n)),
            _ => None,
        }
    };
    match candidate {
        Some(c) if c.exists() => Ok((c, Some(target.to_path_buf()))),
        _ => Err(StatusError::NotFound(target.to_path_buf())),
    }
}

/// Compute `plan status` for a plan directory or a compiled `.toml` file.
pub fn plan_status(repo_root: &Path, target: &Path) -> Result<PlanStatus, StatusError> {
    let (path, redirected) = resolve_target(target)?;
    let (compiled_path, dir_input) = if path.is_dir() {
        (path.join(COMPILED_FILE), true)
    } else if path.extension().is_some_and(|e| e == "toml") {
        (path.clone(), false)
    } else {
        return Err(StatusError::NotAPlan(path));
    };
    if !compiled_path.exists() {
        return Err(StatusError::NotCompiled(path));
    }
    let plan = load_compiled(&compiled_path).map_err(|error| StatusError::InvalidCompiled {
        path: compiled_path.clone(),
        error,
    })?;
    let (records, warnings) =
        read_deployed(repo_root, &plan.name).map_err(|source| StatusError::Io {
            path: repo_root.join(crate::deploy::DEPLOY_LOG),
            source,
        })?;
    let mut st = status_from(&plan, &records);
    st.path = path.clone();
    st.resolved_from_archive = redirected;
    st.warnings = warnings;
    st.stale = dir_input && is_stale(&path, &plan, &compiled_path);
    let env = last_run_envelope(repo_root, &plan.name).unwrap_or_default();
    st.run_status = env.run_status;
    st.sentrux_degradation = env.sentrux_degradation;
    st.sentrux_quality = env.sentrux_quality;
    st.sentrux_offender_summary = env.sentrux_offender_summary;
    st.branch_verification_status = env.branch_verification_status;
    st.branch_verification_error = env.branch_verification_error;
    st.remediation_needed =
        st.run_status.as_deref() == Some("degraded") && st.units > 0 && st.pending == 0;
    if st.remediation_needed {
        st.next_action = Some(format!("dgov plan remediate {}", path.display()));
    }
    Ok(st)
}

/// Deployed/pending per unit from deploy records (pure).
pub fn status_from(plan: &CompiledPlan, records: &[crate::deploy::DeployRecord]) -> PlanStatus {
    let deployed: std::collections::BTreeMap<&str, &crate::deploy::DeployRecord> =
        records.iter().map(|r| (r.unit.as_str(), r)).collect();
    let unit_statuses: Vec<UnitStatus> = plan
        .tasks
        .iter()
        .map(|t| match deployed.get(t.id.as_str()) {
            Some(r) => UnitStatus {
                unit: t.id.clone(),
                status: "deployed".into(),
                sha: r.sha.clone(),
                ts: r.ts.clone(),
                blocked_by: Vec::new(),
            },
            None => UnitStatus {
                unit: t.id.clone(),
                status: "pending".into(),
                sha: String::new(),
                ts: String::new(),
                blocked_by: t
                    .depends_on
                    .iter()
                    .filter(|d| !deployed.contains_key(d.as_str()))
                    .cloned()
                    .collect(),
            },
        })
        .collect();
    let n_dep = unit_statuses
        .iter()
        .filter(|u| u.status == "deployed")
        .count();
    PlanStatus {
        plan: plan.name.clone(),
        path: plan.source_dir.clone(),
        resolved_from_archive: None,
        units: unit_statuses.len(),
        deployed: n_dep,
        pending: unit_statuses.len() - n_dep,
        stale: false,
        run_status: None,
        sentrux_degradation: false,
        sentrux_quality: None,
        sentrux_offender_summary: None,
        branch_verification_status: None,
        branch_verification_error: None,
        remediation_needed: false,
        next_action: None,
        unit_statuses,
        warnings: Vec::new(),
    }
}

/// True when the plan sources changed since the compile. Plans compiled by this crate
/// compare content hashes (touching a file without changing it is not stale); plans
/// compiled by the original compare mtimes with the compiled file's own mtime.
pub fn is_stale(dir: &Path, plan: &CompiledPlan, compiled_path: &Path) -> bool {
    let Ok(root_text) = std::fs::read_to_string(dir.join(ROOT_FILE)) else {
        return false;
    };
    let mut sink = Vec::new();
    let sections = parse_root(&root_text, &mut sink)
        .map(|m| m.sections)
        .unwrap_or_default();
    let mut unit_files: BTreeSet<String> = BTreeSet::new();
    for s in &sections {
        let Ok(rd) = std::fs::read_dir(dir.join(s)) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".toml")
                && !name.starts_with('_')
                && !name.starts_with('.')
                && e.path().is_file()
            {
                unit_files.insert(format!("{s}/{name}"));
            }
        }
    }
    if plan.source_hashes.is_empty() {
        let Ok(compiled_mtime) = std::fs::metadata(compiled_path).and_then(|m| m.modified()) else {
            return false;
        };
        let newest = std::iter::once(ROOT_FILE.to_string())
            .chain(unit_files)
            .filter_map(|f| {
                std::fs::metadata(dir.join(f))
                    .and_then(|m| m.modified())
                    .ok()
            })
            .max();
        return newest.is_some_and(|n| n > compiled_mtime);
    }
    let mut current = std::collections::BTreeMap::new();
    current.insert(ROOT_FILE.to_string(), root_text);
    for f in unit_files
        .iter()
        .chain(plan.source_hashes.keys().filter(|k| *k != ROOT_FILE))
    {
        match std::fs::read_to_string(dir.join(f)) {
            Ok(t) => {
                current.insert(f.clone(), t);
            }
            Err(_) => return true,
        }
    }
    hash_inputs(&current) != plan.source_hashes
}

/// The latest `.dgov/runs.log` block of one plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunEnvelope {
    /// ok → `complete`, warn → `degraded`, fail → `failed`, or `interrupted`.
    pub run_status: Option<String>,
    /// `sentrux: <before> -> <after>`.
    pub sentrux_quality: Option<String>,
    /// `sentrux_status: degradation` was recorded.
    pub sentrux_degradation: bool,
    pub sentrux_offender_summary: Option<String>,
    pub branch_verification_status: Option<String>,
    pub branch_verification_error: Option<String>,
}

/// Read the latest runs.log block for `plan`. Headers look like
/// `[YYYY-MM-DD HH:MM:SSZ] <plan>[ (<plan_file>)] — <verdict> (<secs>s)` (the plan-file part
/// is optional: the Rust runner omits it); indented `key: value` lines follow until a blank
/// line.
pub fn last_run_envelope(repo_root: &Path, plan: &str) -> Option<RunEnvelope> {
    let text = std::fs::read_to_string(repo_root.join(RUNS_LOG)).ok()?;
    let mut last: Option<RunEnvelope> = None;
    let mut current: Option<RunEnvelope> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            if let Some(env) = current.take() {
                last = Some(env);
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            if let Some(env) = current.take() {
                last = Some(env);
            }
            let Some((_, rest)) = rest.split_once("] ") else {
                continue;
            };
            let Some((head, tail)) = rest.rsplit_once(" — ") else {
                continue;
            };
            let name = head.split(" (").next().unwrap_or(head).trim();
            if name != plan {
                continue;
            }
            let status = match tail.split_whitespace().next().unwrap_or("") {
                "ok" => "complete",
                "warn" => "degraded",
                "fail" => "failed",
                "interrupted" => "interrupted",
                _ => continue,
            };
            current = Some(RunEnvelope {
                run_status: Some(status.to_string()),
                ..RunEnvelope::default()
            });
            continue;
        }
        let Some(env) = current.as_mut() else {
            continue;
        };
        let Some((key, value)) = line.trim().split_once(": ") else {
            continue;
        };
        let value = value.trim().to_string();
        match key {
            "sentrux" => env.sentrux_quality = Some(value),
            "sentrux_status" => env.sentrux_degradation = value == "degradation",
            "sentrux_offenders" => env.sentrux_offender_summary = Some(value),
            "branch_verification_status" => env.branch_verification_status = Some(value),
            "branch_verification_error" => env.branch_verification_error = Some(value),
            _ => {}
        }
    }
    current.or(last)
}

/// The status of the latest runs.log block for `plan` (see [`last_run_envelope`]).
pub fn last_run_status(repo_root: &Path, plan: &str) -> Option<String> {
    last_run_envelope(repo_root, plan).and_then(|e| e.run_status)
}

/// Which plans `plan list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFilter {
    Active,
    Archived,
    All,
}

/// One row of `plan list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanListRow {
    pub name: String,
    pub path: PathBuf,
    pub archived: bool,
    pub compiled: bool,
    pub total: usize,
    pub deployed: usize,
    /// uncompiled / empty / compiled / in_progress / complete / stale / degraded
    pub status: String,
    pub stale: bool,
    pub run_status: Option<String>,
    pub remediation_needed: bool,
}

/// List plans under `<repo_root>/.dgov/plans`, sorted (active first, then by name).
pub fn list_plans(repo_root: &Path, filter: ListFilter) -> Vec<PlanListRow> {
    let plans = repo_root.join(PLANS_DIR);
    let mut rows = Vec::new();
    let mut scan = |dir: &Path, archived: bool| {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| {
                !n.starts_with('_') && !n.starts_with('.') && (archived || n != ARCHIVE_DIR)
            })
            .collect();
        names.sort();
        for n in names {
            rows.push(list_row(repo_root, &dir.join(&n), &n, archived));
        }
    };
    if filter != ListFilter::Archived {
        scan(&plans, false);
    }
    if filter != ListFilter::Active {
        scan(&plans.join(ARCHIVE_DIR), true);
    }
    rows
}

fn list_row(repo_root: &Path, dir: &Path, dir_name: &str, archived: bool) -> PlanListRow {
    let mut row = PlanListRow {
        name: dir_name.to_string(),
        path: dir.to_path_buf(),
        archived,
        compiled: false,
        total: 0,
        deployed: 0,
        status: "uncompiled".into(),
        stale: false,
        run_status: None,
        remediation_needed: false,
    };
    let Ok(st) = plan_status(repo_root, dir) else {
        return row;
    };
    row.name = st.plan.clone();
    row.compiled = true;
    row.total = st.units;
    row.deployed = st.deployed;
    row.stale = st.stale && st.units > 0;
    row.run_status = st.run_status.clone();
    row.remediation_needed = st.remediation_needed;
    row.status = if st.units == 0 {
        "empty"
    } else if row.remediation_needed {
        "degraded"
    } else if row.stale {
        "stale"
    } else if st.deployed == st.units {
        "complete"
    } else if st.deployed == 0 {
        "compiled"
    } else {
        "in_progress"
    }
    .into();
    row
}

/// Why archiving refused.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("no plan named '{0}' under .dgov/plans")]
    NotFound(String),
    #[error("an archived plan already exists at {0}; rename or remove it first")]
    AlreadyArchived(PathBuf),
    #[error(
        "refusing to archive durable plan source into git-ignored {0}; remove the ignore rule for .dgov/plans/archive/ (archived plans are history worth keeping)"
    )]
    Ignored(PathBuf),
    #[error("cannot move plan")]
    Io(#[from] std::io::Error),
}

/// Move `.dgov/plans/<name>` to `.dgov/plans/archive/<name>`.
pub fn archive_plan(repo_root: &Path, name: &str) -> Result<PathBuf, ArchiveError> {
    if name.is_empty()
        || name.contains('/')
        || name.contains('\\')
        || name == "."
        || name == ".."
        || name == ARCHIVE_DIR
    {
        return Err(ArchiveError::NotFound(name.to_string()));
    }
    let plans = repo_root.join(PLANS_DIR);
    let src = plans.join(name);
    if !src.is_dir() {
        return Err(ArchiveError::NotFound(name.to_string()));
    }
    let dest = plans.join(ARCHIVE_DIR).join(name);
    if dest.exists() {
        return Err(ArchiveError::AlreadyArchived(dest));
    }
    let probe = format!("{PLANS_DIR}/{ARCHIVE_DIR}/{name}/{ROOT_FILE}");
    if git_ignores(repo_root, &probe) {
        return Err(ArchiveError::Ignored(plans.join(ARCHIVE_DIR)));
    }
    std::fs::create_dir_all(plans.join(ARCHIVE_DIR))?;
    std::fs::rename(&src, &dest)?;
    Ok(dest)
}

/// Whether git would ignore `rel` in the repository at `root` (false when git is absent or
/// this is not a repository).
pub(crate) fn git_ignores(root: &Path, rel: &str) -> bool {
    std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["check-ignore", "-q", "--no-index", rel])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.code() == Some(0))
}
