//! Plan and project commands: `init`, `init-plan`, `compile`, `validate`, `plan status`,
//! `plan list` and `archive-plan`. Flags and rendering only; `dgov-plan` does the work.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use dgov_plan::init::{Confidence, Language};
use dgov_plan::status::ListFilter;
use dgov_plan::{CompileError, CompileOptions, Diagnostic};
use serde_json::json;

use crate::Globals;
use crate::exit::{self, with_code};

/// Language for `init --project-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProjectType {
    /// Detect from manifests and source files.
    Auto,
    /// No toolchain commands; configure them by hand.
    Unknown,
    Python,
    /// JavaScript or TypeScript.
    Javascript,
    Rust,
    Go,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite existing project.toml, governor.md and SOPs with fresh scaffolds.
    #[arg(long)]
    pub force: bool,
    /// Do not ask questions (assume yes; continue when the language is not detected).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Project language; `auto` detects it from manifests and source files.
    #[arg(long, value_enum, default_value_t = ProjectType::Auto)]
    pub project_type: ProjectType,
}

#[derive(Debug, Args)]
pub struct InitPlanArgs {
    /// Plan name (letters, digits, '_' and '-'); creates .dgov/plans/NAME/.
    pub name: String,
    /// Comma-separated section directories to create (default: tasks).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub sections: Vec<String>,
    /// Rewrite the scaffold files of an existing plan.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Plan directory (or a plan name under .dgov/plans).
    pub dir: PathBuf,
    /// Skip SOP bundling and provider/agent resolution; still writes _compiled.toml.
    #[arg(long)]
    pub dry_run: bool,
    /// Draw the task DAG (waves of tasks that may run in parallel).
    #[arg(long)]
    pub graph: bool,
    /// Accepted for compatibility with the original; SOP selection is always recomputed
    /// (it is deterministic and cheap, so there is no cache to bypass).
    #[arg(long)]
    pub recompile_sops: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A compiled plan file (_compiled.toml) or a plan directory.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub command: PlanCommand,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Deployed and pending units of a compiled plan, and whether it is stale.
    Status {
        /// Plan directory, plan name, or compiled .toml file.
        dir: PathBuf,
        /// List every unit with its deploy commit or what blocks it.
        #[arg(long, short = 'v')]
        verbose: bool,
    },
    /// Plans under .dgov/plans with their status.
    List {
        /// Include archived plans.
        #[arg(long, conflicts_with = "archived")]
        all: bool,
        /// Only archived plans.
        #[arg(long)]
        archived: bool,
    },
}

#[derive(Debug, Args)]
pub struct ArchivePlanArgs {
    /// Name of the plan directory under .dgov/plans.
    pub name: String,
}

fn diag_json(d: &Diagnostic) -> serde_json::Value {
    json!({
        "severity": d.severity,
        "file": d.file.as_ref().map(|f| f.display().to_string()),
        "line": d.line,
        "unit": d.unit,
        "message": d.message,
        "hint": d.hint,
    })
}

fn print_diags(diags: &[Diagnostic]) {
    for d in diags {
        eprintln!("{d}");
    }
}

/// A plan argument: an existing path, else a plan name under `.dgov/plans`.
fn plan_path(g: &Globals, p: &Path) -> PathBuf {
    if p.exists() {
        return p.to_path_buf();
    }
    let base = if g.repo == Path::new(".") {
        PathBuf::new()
    } else {
        g.repo.clone()
    };
    let named = base.join(dgov_plan::status::PLANS_DIR).join(p);
    if p.components().count() == 1 && named.exists() {
        named
    } else {
        p.to_path_buf()
    }
}

/// `dgov init`
pub fn run_init(args: InitArgs, g: &Globals) -> anyhow::Result<u8> {
    let explicit = match args.project_type {
        ProjectType::Auto => None,
        ProjectType::Unknown => Some(Language::Unknown),
        ProjectType::Python => Some(Language::Python),
        ProjectType::Javascript => Some(Language::Javascript),
        ProjectType::Rust => Some(Language::Rust),
        ProjectType::Go => Some(Language::Go),
    };
    let root = &g.repo;
    if explicit.is_none() && !args.yes && !g.json && std::io::stdin().is_terminal() {
        let d = dgov_plan::init::detect(root, None);
        if d.confidence == Confidence::Low {
            eprint!(
                "No source files detected; continue with language 'unknown' (no toolchain commands)? [y/N] "
            );
            let mut answer = String::new();
            std::io::stdin()
                .read_line(&mut answer)
                .context("reading the answer")?;
            if !answer.trim().eq_ignore_ascii_case("y")
                && !answer.trim().eq_ignore_ascii_case("yes")
            {
                return Err(with_code(
                    exit::FAILURE,
                    anyhow::anyhow!("aborted; rerun with --project-type <lang> or -y"),
                ));
            }
        }
    }
    let report = dgov_plan::init::init_project(root, explicit, args.force)
        .with_context(|| format!("initializing {}", root.join(".dgov").display()))?;
    let nothing = report.created.is_empty() && report.overwritten.is_empty();
    if g.json {
        println!(
            "{}",
            json!({
                "status": if nothing { "already_initialized" } else { "initialized" },
                "created": report.created, "overwritten": report.overwritten, "kept": report.kept,
                "detection": report.detection,
            })
        );
    } else if nothing {
        eprintln!("Already initialized: {}", root.join(".dgov").display());
        eprintln!("Use --force to rewrite project.toml, governor.md and the SOPs.");
    } else {
        for c in &report.created {
            println!("Created {c}");
        }
        for c in &report.overwritten {
            println!("Overwrote {c}");
        }
        if report
            .created
            .iter()
            .chain(&report.overwritten)
            .any(|p| p.ends_with("project.toml"))
        {
            let d = &report.detection;
            println!();
            let confidence = match d.confidence {
                Confidence::Explicit => "explicit",
                Confidence::High => "high confidence",
                Confidence::Low => "low confidence",
            };
            println!(
                "  language:   {} ({confidence}: {})",
                d.language.as_str(),
                d.reason
            );
            println!("  src_dir:    {}", d.src_dir);
            println!("  test_dir:   {}", d.test_dir);
            println!(
                "  test_cmd:   {}",
                if d.test_cmd.is_empty() {
                    "(none)"
                } else {
                    &d.test_cmd
                }
            );
            println!(
                "  lint_cmd:   {}",
                if d.lint_cmd.is_empty() {
                    "(none)"
                } else {
                    &d.lint_cmd
                }
            );
            if !d.setup_cmd.is_empty() {
                println!("  setup_cmd:  {}", d.setup_cmd);
            }
            println!("  ignore:     {}", d.ignore_files.join(", "));
        }
        println!();
        println!("Next: configure a provider in .dgov/project.toml, then `dgov init-plan <name>`.");
    }
    Ok(if nothing {
        exit::FAILURE
    } else {
        exit::SUCCESS
    })
}

/// `dgov init-plan`
pub fn run_init_plan(args: InitPlanArgs, g: &Globals) -> anyhow::Result<u8> {
    let written = dgov_plan::init::init_plan(&g.repo, &args.name, &args.sections, args.force)
        .map_err(|e| {
            let code = if matches!(e, dgov_plan::init::InitPlanError::Exists(_)) {
                exit::FAILURE
            } else {
                exit::USAGE
            };
            with_code(code, e.into())
        })?;
    let dir = g.repo.join(dgov_plan::status::PLANS_DIR).join(&args.name);
    if g.json {
        let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        println!(
            "{}",
            json!({"status": "created", "plan": args.name, "path": dir.display().to_string(), "files": files})
        );
    } else {
        for p in &written {
            println!("Created {}", p.display());
        }
        println!(
            "Next: copy an _example.toml to <file>.toml, edit it, then `dgov compile {}`.",
            dir.display()
        );
    }
    Ok(exit::SUCCESS)
}

/// `dgov compile`
pub fn run_compile(args: CompileArgs, g: &Globals) -> anyhow::Result<u8> {
    let dir = plan_path(g, &args.dir);
    if !dir.is_dir() {
        return Err(anyhow::anyhow!(
            "plan directory not found: {}",
            dir.display()
        ));
    }
    let opts = CompileOptions {
        dry_run: args.dry_run,
    };
    match dgov_plan::compile_plan_dir_with(&dir, &opts) {
        Ok((plan, warnings)) => {
            let out = dgov_plan::write_compiled(&plan).with_context(|| {
                format!("writing {}", dir.join(dgov_plan::COMPILED_FILE).display())
            })?;
            let sops_assigned = plan.tasks.iter().filter(|t| !t.sops.is_empty()).count();
            if g.json {
                let w: Vec<_> = warnings.iter().map(diag_json).collect();
                let mut doc = json!({
                    "status": "compiled", "output": out.display().to_string(), "plan": plan.name,
                    "units": plan.tasks.len(), "edges": plan.edge_count(), "sops_assigned": sops_assigned,
                    "sop_set_hash": plan.sop_set_hash, "dry_run": args.dry_run, "warnings": w,
                });
                if args.graph {
                    doc["graph"] = json!(dgov_plan::graph::render_graph(&plan.tasks));
                }
                println!("{doc}");
            } else {
                print_diags(&warnings);
                for t in plan.tasks.iter().filter(|t| !t.sops.is_empty()) {
                    eprintln!("  SOPs: {} → {}", t.id, t.sops.join(", "));
                }
                println!(
                    "Compiled {} units, {} edges → {}",
                    plan.tasks.len(),
                    plan.edge_count(),
                    out.display()
                );
                if args.dry_run {
                    println!("(dry run: SOPs not bundled, providers not resolved)");
                } else {
                    println!("{sops_assigned} unit(s) got SOPs");
                }
                if args.graph {
                    print!("{}", dgov_plan::graph::render_graph(&plan.tasks));
                }
            }
            Ok(exit::SUCCESS)
        }
        Err(CompileError::Invalid { diagnostics }) => {
            // Fail closed: never leave a compiled plan that no longer matches its sources.
            let _ = std::fs::remove_file(dir.join(dgov_plan::COMPILED_FILE));
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            if g.json {
                let e: Vec<_> = diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(diag_json)
                    .collect();
                let w: Vec<_> = diagnostics
                    .iter()
                    .filter(|d| !d.is_error())
                    .map(diag_json)
                    .collect();
                println!(
                    "{}",
                    json!({"status": "invalid", "errors": e, "warnings": w})
                );
            } else {
                print_diags(&diagnostics);
                eprintln!("dgov: compile failed with {errors} error(s); nothing written");
            }
            Ok(exit::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// `dgov validate`
pub fn run_validate(args: ValidateArgs, g: &Globals) -> anyhow::Result<u8> {
    let path = plan_path(g, &args.file);
    let plan = match dgov_plan::load_compiled(&path) {
        Ok(p) => p,
        Err(CompileError::Invalid { diagnostics }) => {
            return report_validation(g, &path, &diagnostics);
        }
        Err(e) => {
            return Err(anyhow::Error::from(e)
                .context("loading the compiled plan (run `dgov compile <dir>` first)"));
        }
    };
    let root = dgov_plan::find_project_root(&plan.source_dir);
    let (cfg, mut diags) = match dgov_plan::load_project_config(&root) {
        Ok(x) => x,
        Err(dgov_plan::ConfigError::Invalid { diagnostics }) => {
            return report_validation(g, &path, &diagnostics);
        }
        Err(e) => return Err(e.into()),
    };
    diags.extend(dgov_plan::validate_compiled(&plan, &cfg));
    report_validation(g, &path, &diags)
}

fn report_validation(g: &Globals, path: &Path, diags: &[Diagnostic]) -> anyhow::Result<u8> {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if g.json {
        let d: Vec<_> = diags.iter().map(diag_json).collect();
        println!(
            "{}",
            json!({"status": if errors == 0 { "valid" } else { "invalid" }, "path": path.display().to_string(), "diagnostics": d})
        );
    } else {
        print_diags(diags);
        if errors == 0 {
            println!("{}: valid", path.display());
        } else {
            eprintln!("dgov: {}: {errors} error(s)", path.display());
        }
    }
    Ok(if errors == 0 {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}

/// `dgov plan …`
pub fn run_plan(args: PlanArgs, g: &Globals) -> anyhow::Result<u8> {
    match args.command {
        PlanCommand::Status { dir, verbose } => plan_status(g, &plan_path(g, &dir), verbose),
        PlanCommand::List { all, archived } => {
            let filter = if all {
                ListFilter::All
            } else if archived {
                ListFilter::Archived
            } else {
                ListFilter::Active
            };
            let rows = dgov_plan::status::list_plans(&g.repo, filter);
            if g.json {
                println!("{}", serde_json::to_string(&rows)?);
            } else if rows.is_empty() {
                println!("No plans. Create one with `dgov init-plan <name>`.");
            } else {
                let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
                println!("{:<w$}  {:<11}  {:>9}  PATH", "PLAN", "STATUS", "DEPLOYED");
                for r in &rows {
                    let name = if r.archived {
                        format!("{} (archived)", r.name)
                    } else {
                        r.name.clone()
                    };
                    let deployed = if r.compiled {
                        format!("{}/{}", r.deployed, r.total)
                    } else {
                        "-".into()
                    };
                    println!(
                        "{name:<w$}  {:<11}  {deployed:>9}  {}",
                        r.status,
                        r.path.display()
                    );
                }
            }
            Ok(exit::SUCCESS)
        }
    }
}

fn plan_status(g: &Globals, target: &Path, verbose: bool) -> anyhow::Result<u8> {
    use dgov_plan::status::StatusError;
    let st = match dgov_plan::status::plan_status(&g.repo, target) {
        Ok(st) => st,
        Err(StatusError::NotCompiled(p)) => {
            let message = format!("Not compiled; run 'dgov compile {}'", p.display());
            if g.json {
                println!("{}", json!({"status": "not_compiled", "message": message}));
            } else {
                eprintln!("{message}");
            }
            return Ok(exit::FAILURE);
        }
        Err(e @ StatusError::InvalidCompiled { .. }) => {
            if g.json {
                println!(
                    "{}",
                    json!({"status": "invalid_compiled_plan", "message": e.to_string()})
                );
            } else {
                eprintln!("Invalid compiled plan: {e}");
            }
            return Ok(exit::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(from) = &st.resolved_from_archive {
        eprintln!(
            "note: '{}' not found — resolved to archived plan at {}",
            from.display(),
            st.path.display()
        );
    }
    print_diags(&st.warnings);
    if g.json {
        println!("{}", serde_json::to_string(&st)?);
        return Ok(exit::SUCCESS);
    }
    println!(
        "Plan: {}  ({}/{} deployed, {} pending)",
        st.plan, st.deployed, st.units, st.pending
    );
    if let Some(rs) = &st.run_status {
        println!("  run status: {rs}");
    }
    if st.sentrux_degradation {
        let mut line = "  advisory: sentrux degradation detected".to_string();
        if let Some(q) = &st.sentrux_quality {
            line.push_str(&format!("; quality {q}"));
        }
        if let Some(o) = &st.sentrux_offender_summary {
            line.push_str(&format!("; {o}"));
        }
        println!("{line}");
    }
    if let Some(b) = &st.branch_verification_status {
        match &st.branch_verification_error {
            Some(e) => println!("  branch status: {b} — {e}"),
            None => println!("  branch status: {b}"),
        }
    }
    if st.remediation_needed {
        println!("  remediation needed: the last run was degraded");
        if let Some(n) = &st.next_action {
            println!("  next: {n}");
        }
    }
    if st.stale {
        println!("  stale — rerun 'dgov compile {}'", st.path.display());
    }
    if verbose {
        for u in &st.unit_statuses {
            if u.status == "deployed" {
                let sha: String = u.sha.chars().take(7).collect();
                println!("  ✓ {}  (deployed {}, sha {sha})", u.unit, u.ts);
            } else if u.blocked_by.is_empty() {
                println!("  ○ {}  (pending)", u.unit);
            } else {
                println!(
                    "  ○ {}  (pending, blocked by: {})",
                    u.unit,
                    u.blocked_by.join(", ")
                );
            }
        }
    }
    Ok(exit::SUCCESS)
}

/// `dgov archive-plan`
pub fn run_archive_plan(args: ArchivePlanArgs, g: &Globals) -> anyhow::Result<u8> {
    use dgov_plan::status::ArchiveError;
    match dgov_plan::status::archive_plan(&g.repo, &args.name) {
        Ok(dest) => {
            if g.json {
                println!(
                    "{}",
                    json!({"status": "archived", "plan": args.name, "path": dest.display().to_string()})
                );
            } else {
                println!("Archived {} → {}", args.name, dest.display());
            }
            Ok(exit::SUCCESS)
        }
        Err(e @ ArchiveError::NotFound(_)) => Err(with_code(exit::USAGE, e.into())),
        Err(e @ ArchiveError::Io(_)) => Err(e.into()),
        Err(e) => Err(with_code(exit::FAILURE, e.into())),
    }
}
