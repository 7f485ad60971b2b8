//! The compile pipeline: walk → parse → resolve → check → bundle SOPs → [`CompiledPlan`].
//!
//! Fails closed: any error returns every diagnostic at once and nothing is written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::compiled::{COMPILED_FILE, parse_compiled, to_toml};
use crate::config::{ConfigError, ProjectConfig, load_project_config};
use crate::diag::{self, Diagnostic, has_errors};
use crate::model::{CompiledPlan, CompiledTask, DEFAULT_MAX_RETRIES};
use crate::resolve::resolve_refs;
use crate::sop::{SopSet, bundle, load_sops};
use crate::tree::{PlanSources, parse_tree, walk_plan_dir};
use crate::validate::{CheckOptions, Locations, check_plan, check_prompt};

/// How to compile.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// Skip SOP bundling and provider/agent resolution (no project secrets or models
    /// needed); the compiled plan gets an empty `sop_set_hash`.
    pub dry_run: bool,
}

/// Compiling or loading failed.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("cannot read {}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The plan has errors; `diagnostics` holds all of them (and the warnings).
    #[error("{} error(s):\n{}", .diagnostics.iter().filter(|d| d.is_error()).count(), render(.diagnostics))]
    Invalid { diagnostics: Vec<Diagnostic> },
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Find the repository root for a path: walk up to the first directory that is named
/// `.dgov` (its parent), holds a `.dgov/` directory, or holds `.git`. Falls back to `start`.
pub fn find_project_root(start: &Path) -> PathBuf {
    let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let mut cur = Some(start.as_path());
    while let Some(c) = cur {
        if c.file_name().is_some_and(|n| n == ".dgov") {
            return c
                .parent()
                .map_or_else(|| c.to_path_buf(), Path::to_path_buf);
        }
        if c.join(".dgov").is_dir() || c.join(".git").exists() {
            return c.to_path_buf();
        }
        cur = c.parent();
    }
    start
}

/// Compile the plan in `dir` with default options (SOPs bundled, execution resolved),
/// without writing anything. Returns the plan and its warnings.
pub fn compile_plan_dir(dir: &Path) -> Result<(CompiledPlan, Vec<Diagnostic>), CompileError> {
    compile_plan_dir_with(dir, &CompileOptions::default())
}

/// Compile the plan in `dir`. Project config and SOPs come from the project root above it.
pub fn compile_plan_dir_with(
    dir: &Path,
    opts: &CompileOptions,
) -> Result<(CompiledPlan, Vec<Diagnostic>), CompileError> {
    let sources = walk_plan_dir(dir).map_err(|source| CompileError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let root = find_project_root(dir);
    let mut outer = Vec::new();
    // With a broken project.toml, provider/agent findings would only be noise: report the
    // config errors and skip the checks that depend on it.
    let cfg = match load_project_config(&root) {
        Ok((cfg, warnings)) => {
            outer.extend(warnings);
            Some(cfg)
        }
        Err(ConfigError::Invalid { diagnostics }) => {
            outer.extend(diagnostics);
            None
        }
        Err(ConfigError::Io { path, source }) => return Err(CompileError::Io { path, source }),
    };
    let sops = match load_sops(&root) {
        Ok(s) => s,
        Err(d) => {
            outer.extend(d);
            SopSet::default()
        }
    };
    // Archived plans are history: warn when git would drop them (only in git repos).
    if root.join(".git").exists()
        && crate::status::git_ignores(&root, ".dgov/plans/archive/x/_root.toml")
    {
        outer.push(
            Diagnostic::warning(
                "git ignores .dgov/plans/archive/; archived plans would not be kept",
            )
            .file(".gitignore")
            .hint(
                "remove the rule that ignores plans/archive/ from .gitignore or .dgov/.gitignore",
            ),
        );
    }
    let read_extra = |rel: &str| std::fs::read_to_string(dir.join(rel));
    let res = compile_sources(&sources, dir, &read_extra, cfg.as_ref(), &sops, opts);
    let prefix = |mut ds: Vec<Diagnostic>| {
        for d in &mut ds {
            if let Some(f) = &d.file {
                d.file = Some(dir.join(f));
            }
        }
        ds
    };
    let (plan, diags) = match res {
        Ok((plan, w)) => (Some(plan), prefix(w)),
        Err(CompileError::Invalid { diagnostics }) => (None, prefix(diagnostics)),
        Err(e) => return Err(e),
    };
    outer.extend(diags);
    if let (Some(plan), Some(cfg)) = (&plan, &cfg) {
        outer.extend(crate::validate::setup_cmd_warnings(&root, cfg, plan));
    }
    diag::sort(&mut outer);
    match plan {
        Some(plan) if !has_errors(&outer) => Ok((plan, outer)),
        _ => Err(CompileError::Invalid { diagnostics: outer }),
    }
}

/// Compile already-gathered sources (pure apart from `read_extra` for prompt files).
/// Diagnostics name files relative to the plan directory.
pub fn compile_sources(
    sources: &PlanSources,
    source_dir: &Path,
    read_extra: &dyn Fn(&str) -> std::io::Result<String>,
    config: Option<&ProjectConfig>,
    sops: &SopSet,
    opts: &CompileOptions,
) -> Result<(CompiledPlan, Vec<Diagnostic>), CompileError> {
    let mut diags = Vec::new();
    let Some(tree) = parse_tree(sources, read_extra, &mut diags) else {
        diag::sort(&mut diags);
        return Err(CompileError::Invalid { diagnostics: diags });
    };
    let deps = resolve_refs(&tree.units, &mut diags);
    let locs: Locations = tree
        .units
        .iter()
        .map(|u| (u.id.clone(), (u.file.clone(), u.line)))
        .collect();
    let at = |d: Diagnostic, id: &str| -> Diagnostic {
        let (f, l) = &locs[id];
        d.unit(id.to_string()).file(f.clone()).line(Some(*l))
    };
    let bundling = !opts.dry_run && !sops.sops.is_empty();
    let mut tasks = Vec::with_capacity(tree.units.len());
    for u in &tree.units {
        // An unreadable prompt_file is already an error of its own.
        if u.prompt_file.is_empty() || !u.prompt.trim().is_empty() {
            for d in check_prompt(&u.id, u.role, &u.prompt, &u.test_cmd) {
                diags.push(at(d, &u.id));
            }
        }
        let unknown: Vec<&str> = u
            .sop_mapping
            .iter()
            .filter(|p| sops.by_name(p).is_none())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            let avail: Vec<&str> = sops.sops.iter().map(|s| s.name.as_str()).collect();
            diags.push(at(
                Diagnostic::error(format!(
                    "sop_mapping pins unknown SOP(s): {}",
                    unknown.join(", ")
                ))
                .hint(if avail.is_empty() {
                    "there are no SOPs in .dgov/sops; remove sop_mapping or add the SOP files"
                        .to_string()
                } else {
                    format!("available SOPs: {}", avail.join(", "))
                }),
                &u.id,
            ));
        }
        let selected = if bundling || !u.sop_mapping.is_empty() && !sops.sops.is_empty() {
            sops.select(&u.summary, &u.files, u.role, &u.sop_mapping)
        } else {
            Vec::new()
        };
        if bundling && selected.is_empty() && writes_code(u) {
            diags.push(at(
                Diagnostic::warning("no SOP applies to this task although it writes code")
                    .hint("add words to its summary that match a SOP's applies_to tags, or pin SOPs with sop_mapping"),
                &u.id,
            ));
        }
        tasks.push(CompiledTask {
            id: u.id.clone(),
            summary: u.summary.clone(),
            prompt: bundle(&u.prompt, &selected),
            prompt_file: u.prompt_file.clone(),
            commit_message: u.commit_message.clone(),
            agent: u.agent.clone(),
            provider: u.provider.clone(),
            role: u.role,
            depends_on: deps.get(&u.id).cloned().unwrap_or_default(),
            files: u.files.clone(),
            timeout_s: u.timeout_s,
            retries: u.retries,
            iteration_budget: u.iteration_budget,
            test_cmd: u.test_cmd.clone(),
            sop_mapping: u.sop_mapping.clone(),
            sops: selected.iter().map(|s| s.name.clone()).collect(),
            self_review: u.self_review,
            max_fork_depth: u.max_fork_depth,
        });
    }
    let plan = CompiledPlan {
        name: tree.meta.name.clone(),
        source_dir: source_dir.to_path_buf(),
        default_agent: tree.meta.default_agent.clone(),
        default_provider: tree.meta.default_provider.clone(),
        default_max_retries: tree.meta.default_max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
        sop_set_hash: if opts.dry_run {
            String::new()
        } else {
            sops.hash.clone()
        },
        source_hashes: hash_inputs(&tree.inputs),
        legacy_source_mtime_max: None,
        tasks,
    };
    // Structural checks are only meaningful once refs resolved.
    let check = CheckOptions {
        config,
        require_execution: !opts.dry_run,
        check_prompts: false,
    };
    diags.extend(check_plan(&plan, &locs, &check));
    diag::sort(&mut diags);
    if has_errors(&diags) {
        Err(CompileError::Invalid { diagnostics: diags })
    } else {
        Ok((plan, diags))
    }
}

fn writes_code(u: &crate::tree::SourceUnit) -> bool {
    const CODE: &[&str] = &[
        "py", "rs", "go", "js", "jsx", "ts", "tsx", "swift", "java", "kt", "c", "cc", "cpp", "h",
        "rb",
    ];
    u.files
        .writes()
        .any(|p| p.rsplit_once('.').is_some_and(|(_, e)| CODE.contains(&e)))
}

/// SHA-256 of every input, keyed by plan-relative path.
pub fn hash_inputs(inputs: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    inputs
        .iter()
        .map(|(k, v)| (k.clone(), hex::encode(Sha256::digest(v.as_bytes()))))
        .collect()
}

/// Write `<source_dir>/_compiled.toml` (atomically: temp file, then rename).
pub fn write_compiled(plan: &CompiledPlan) -> std::io::Result<PathBuf> {
    let path = plan.source_dir.join(COMPILED_FILE);
    let tmp = plan.source_dir.join(format!(".{COMPILED_FILE}.tmp"));
    std::fs::write(&tmp, to_toml(plan))?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Load a compiled plan from `path` (a `_compiled.toml`, or a plan directory).
pub fn load_compiled(path: &Path) -> Result<CompiledPlan, CompileError> {
    let file = if path.is_dir() {
        path.join(COMPILED_FILE)
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|source| CompileError::Io {
        path: file.clone(),
        source,
    })?;
    let dir = file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    parse_compiled(&file, &text, &dir).map_err(|diagnostics| CompileError::Invalid { diagnostics })
}

/// `dgov validate`: re-check a compiled plan against the current project config.
pub fn validate_compiled(plan: &CompiledPlan, config: &ProjectConfig) -> Vec<Diagnostic> {
    let mut d = check_plan(
        plan,
        &Locations::new(),
        &CheckOptions {
            config: Some(config),
            require_execution: true,
            check_prompts: true,
        },
    );
    let file = plan.source_dir.join(COMPILED_FILE);
    for x in &mut d {
        if x.file.is_none() {
            x.file = Some(file.clone());
        }
    }
    diag::sort(&mut d);
    d
}
