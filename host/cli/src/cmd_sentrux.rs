//! `dgov sentrux …`: architecture checks through the built-in `sentrux-analyzer` plugin.
//! The work (scan, baseline, comparison, rendering) is in `dgov-architecture`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use dgov_architecture::analyzer::block_on;
use dgov_architecture::commands::{self, CommandOutput};
use dgov_architecture::run_hooks::Bootstrap;
use dgov_architecture::staleness::{self, BaselineAge};
use dgov_architecture::{Architecture, ArchitectureError, Policy, baseline, refresh};

use crate::Globals;
use crate::exit::{self, with_code};

#[derive(Debug, Args)]
pub struct SentruxArgs {
    #[command(subcommand)]
    command: SentruxCommand,
}

#[derive(Debug, Subcommand)]
enum SentruxCommand {
    /// Check .sentrux/rules.toml (constraints, layers, boundaries); exit 1 on any violation.
    Check(PathArg),
    /// Scan the tree and write .sentrux/baseline.json (and, when the tree is HEAD's,
    /// .sentrux/dgov-baseline.json accepting it at HEAD).
    GateSave(PathArg),
    /// Compare the tree with .sentrux/baseline.json; exit 1 when degraded.
    Gate(PathArg),
    /// The worst files and functions of each category (top 5).
    Offenders(PathArg),
    /// Whether the analyzer is available, the baseline (its age and staleness) and rules.
    Status(PathArg),
}

#[derive(Debug, Args)]
struct PathArg {
    /// Repository root to scan (defaults to --repo / the current directory).
    path: Option<PathBuf>,
}

fn load() -> Result<Architecture, ArchitectureError> {
    let runtime = dgov_plugin_host::Runtime::new(Default::default())
        .map_err(|e| ArchitectureError::Load(format!("starting the plugin runtime: {e}")))?;
    Architecture::new(&runtime)
}

fn print(out: &CommandOutput, g: &Globals) -> u8 {
    if g.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out.json).unwrap_or_default()
        );
    } else {
        print!("{}", out.stdout);
    }
    if !out.stderr.is_empty() && !g.json {
        eprint!("{}", out.stderr);
    }
    out.code
}

fn failed(e: ArchitectureError) -> anyhow::Error {
    // Bad rules or a bad baseline come from the user (exit 2); a broken scan is a failure.
    let code = match e {
        ArchitectureError::InvalidInput(_) | ArchitectureError::Baseline { .. } => exit::USAGE,
        ArchitectureError::Git { .. } => exit::USAGE,
        _ => exit::FAILURE,
    };
    with_code(code, anyhow::Error::new(e))
}

pub fn run(args: SentruxArgs, g: &Globals) -> anyhow::Result<u8> {
    let path_of = |p: &PathArg| p.path.clone().unwrap_or_else(|| g.repo.clone());
    let (cmd, root) = match &args.command {
        SentruxCommand::Check(p)
        | SentruxCommand::GateSave(p)
        | SentruxCommand::Gate(p)
        | SentruxCommand::Offenders(p)
        | SentruxCommand::Status(p) => (&args.command, path_of(p)),
    };
    let root = root
        .canonicalize()
        .with_context(|| format!("{}: no such directory", root.display()))
        .map_err(|e| with_code(exit::USAGE, e))?;
    // The CLI reads the clock; the library takes the time as an argument.
    let now = baseline::now_timestamp();
    if let SentruxCommand::Status(_) = cmd {
        // A broken project.toml should not hide the analyzer's state: default limits.
        let policy = Policy::load(&root).unwrap_or_else(|e| {
            if !g.json {
                eprintln!("warning: {e}; using the default staleness limits");
            }
            Policy::default()
        });
        let arch = load();
        return Ok(print(
            &commands::status(arch.as_ref(), &root, &policy, now),
            g,
        ));
    }
    let policy = match cmd {
        SentruxCommand::GateSave(_) => Policy::load(&root).map_err(failed)?,
        _ => Policy::default(),
    };
    let arch = load().map_err(failed)?;
    let out = block_on(async {
        match cmd {
            SentruxCommand::Check(_) => commands::check(&arch, &root).await,
            SentruxCommand::GateSave(_) => commands::gate_save(&arch, &root, &policy, now).await,
            SentruxCommand::Gate(_) => commands::gate(&arch, &root).await,
            SentruxCommand::Offenders(_) => commands::offenders(&arch, &root).await,
            SentruxCommand::Status(_) => Ok(commands::status(Ok(&arch), &root, &policy, now)),
        }
    })
    .map_err(failed)?
    .map_err(failed)?;
    Ok(print(&out, g))
}

/// Governor-owned sentrux files: never count as the user's uncommitted changes (dgov writes
/// them; workers cannot).
pub fn governor_owned(path: &str) -> bool {
    matches!(
        path,
        ".sentrux/baseline.json" | ".sentrux/dgov-baseline.json"
    )
}

/// `dirs` relative to `root` (those inside it), for [`RunEnd::exempt`].
pub fn relative_dirs<'a>(
    root: &std::path::Path,
    dirs: impl IntoIterator<Item = Option<&'a std::path::Path>>,
) -> Vec<String> {
    let root_c = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    dirs.into_iter()
        .flatten()
        .filter_map(|d| {
            let d = d.canonicalize().unwrap_or_else(|_| d.to_path_buf());
            let rel = d.strip_prefix(&root_c).ok()?.to_string_lossy().into_owned();
            (!rel.is_empty()).then_some(rel)
        })
        .collect()
}

/// What the run reports to the sentrux hooks after the DAG.
pub struct RunEnd<'a> {
    /// The run completed: nothing failed, abandoned or timed out.
    pub complete: bool,
    /// The whole plan ran (no `--only`).
    pub full_plan: bool,
    /// Every unit of the plan is deployed (nothing skipped).
    pub all_deployed: bool,
    /// Directories the run itself changed in the session root (the plan and its archive),
    /// relative to it: they do not stop the refresh.
    pub exempt: &'a [String],
}

/// `dgov run`'s sentrux integration (spec §3.2): created before dispatch, consulted after
/// the DAG. `DGOV_SENTRUX=off` disables it (tests of the runner itself).
pub struct RunHooks {
    arch: Architecture,
    root: PathBuf,
    policy: Policy,
    pre_run_head: Option<String>,
    age: Option<BaselineAge>,
}

impl RunHooks {
    /// Before dispatch: load the analyzer and create a missing baseline (a failure stops the
    /// run with exit 1, as the original did when its bootstrap failed); warn when the
    /// existing baseline is stale.
    pub fn before_dispatch(
        root: &std::path::Path,
        g: &Globals,
    ) -> anyhow::Result<Option<RunHooks>> {
        if std::env::var("DGOV_SENTRUX").is_ok_and(|v| v == "off") {
            return Ok(None);
        }
        let policy = Policy::load(root).map_err(|e| with_code(exit::USAGE, e.into()))?;
        let fail = |e: ArchitectureError| {
            with_code(
                exit::FAILURE,
                anyhow::anyhow!("sentrux baseline bootstrap failed: {e}"),
            )
        };
        let arch = load().map_err(fail)?;
        let made = block_on(dgov_architecture::run_hooks::ensure_baseline(&arch, root))
            .map_err(fail)?
            .map_err(fail)?;
        let mut age = None;
        match made {
            Bootstrap::Created { quality } => {
                if !g.json {
                    eprintln!(
                        "sentrux: no baseline yet; created .sentrux/baseline.json (quality {quality})"
                    );
                }
            }
            Bootstrap::Existing { .. } => {
                // Staleness is advice: a baseline whose age cannot be told is no reason to
                // stop a run.
                age = staleness::baseline_age(root, baseline::now_timestamp(), policy.stale)
                    .ok()
                    .flatten();
                if let Some(a) = age.as_ref().filter(|a| a.stale)
                    && !g.json
                {
                    eprintln!(
                        "warning: the sentrux baseline is stale ({}); a complete full-plan run refreshes it, or accept the current structure with `dgov sentrux gate-save`",
                        a.description
                    );
                }
            }
        }
        let pre_run_head = git2::Repository::open(root)
            .ok()
            .and_then(|r| r.head().ok()?.target())
            .map(|o| o.to_string());
        Ok(Some(RunHooks {
            arch,
            root: root.to_path_buf(),
            policy,
            pre_run_head,
            age,
        }))
    }

    /// After the DAG: compare HEAD with the baseline (a degraded run still exits 0, with a
    /// warning) and, after a complete, full-plan run that deployed every unit and did not
    /// degrade, accept the baseline at HEAD (committed as `Refresh sentrux baseline`).
    /// Returns the `sentrux` member of the run's JSON summary.
    pub fn after_run(&self, end: RunEnd<'_>, g: &Globals) -> serde_json::Value {
        use dgov_architecture::run_hooks;
        let changed = self
            .pre_run_head
            .as_deref()
            .map(|pre| run_hooks::changed_files(&self.root, pre, "HEAD"))
            .transpose();
        let post = changed.and_then(|changed| {
            block_on(run_hooks::post_run(
                &self.arch,
                &self.root,
                "HEAD",
                changed.as_deref().unwrap_or(&[]),
                self.policy.mode,
            ))?
        });
        let post = match post {
            Ok(p) => p,
            Err(e) => {
                if !g.json {
                    eprintln!("warning: sentrux post-run comparison failed: {e}");
                }
                return serde_json::json!({ "degraded": true, "error": e.to_string() });
            }
        };
        if let Some(w) = &post.warning
            && !g.json
        {
            eprint!("{w}");
        }
        let mut refresh = serde_json::Value::Null;
        let mut refresh_error = None;
        if end.complete && end.full_plan && end.all_deployed && !post.degraded {
            let done = block_on(refresh::refresh_accepted(
                &self.arch,
                &self.root,
                &self.policy,
                end.exempt,
                baseline::now_timestamp(),
            ));
            match done {
                Ok(Ok(r)) => {
                    if !g.json {
                        eprintln!("{}", r.summary());
                    }
                    refresh = serde_json::to_value(&r).unwrap_or_default();
                }
                Ok(Err(e)) | Err(e) => {
                    if !g.json {
                        eprintln!("warning: refreshing the sentrux baseline failed: {e}");
                    }
                    refresh_error = Some(e.to_string());
                }
            }
        }
        serde_json::json!({
            "degraded": post.degraded,
            "pre_existing": post.pre_existing,
            "quality_before": post.quality_before,
            "quality_after": post.quality_after,
            "comparison": post.comparison,
            "baseline_age": self.age,
            "baseline_refresh": refresh,
            "baseline_refresh_error": refresh_error,
        })
    }
}
