//! Plan checks shared by `compile` and `validate`: cycles, unreachable tasks, file-claim
//! conflicts, department ownership, execution (provider/agent) resolution, prompt shape.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::config::ProjectConfig;
use crate::diag::Diagnostic;
use crate::graph::Dag;
use crate::model::{CompiledPlan, CompiledTask, Role};

/// Where a task is defined, for diagnostics: file and line.
pub type Locations = BTreeMap<String, (String, u32)>;

/// Provider and model a task runs with, after the fallback chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Execution {
    pub provider: String,
    /// Model name (`[agents]` aliases already applied).
    pub agent: String,
    pub base_url: String,
    pub api_key_env: String,
}

/// Resolve provider then agent for `task`: task → plan default → project (→ provider
/// default for the agent). The error is a diagnostic with the fix.
pub fn resolve_execution(
    plan: &CompiledPlan,
    task: &CompiledTask,
    cfg: &ProjectConfig,
) -> Result<Execution, Diagnostic> {
    let first = |xs: [&str; 3]| xs.into_iter().find(|s| !s.is_empty()).map(str::to_string);
    let Some(provider) = first([
        &task.provider,
        &plan.default_provider,
        &cfg.project.provider,
    ]) else {
        return Err(Diagnostic::error(format!("no provider for task '{}'", task.slug()))
            .unit(task.id.clone())
            .hint("set `provider` in the task, `default_provider` in [plan] of _root.toml, or `provider` in [project] of .dgov/project.toml"));
    };
    let Some(p) = cfg.providers.get(&provider) else {
        let known: Vec<&str> = cfg.providers.keys().map(String::as_str).collect();
        return Err(Diagnostic::error(format!(
            "unknown provider '{provider}' for task '{}'",
            task.slug()
        ))
        .unit(task.id.clone())
        .hint(format!(
            "define [providers.{provider}] (base_url, api_key_env) in .dgov/project.toml{}",
            if known.is_empty() {
                String::new()
            } else {
                format!("; defined: {}", known.join(", "))
            }
        )));
    };
    let project_agent_applies = task.provider.is_empty()
        || cfg.project.provider.is_empty()
        || task.provider == cfg.project.provider;
    let project_agent = if project_agent_applies {
        cfg.project.default_agent.as_str()
    } else {
        ""
    };
    let agent = [
        task.agent.as_str(),
        &plan.default_agent,
        &p.default_agent,
        project_agent,
    ]
    .into_iter()
    .find(|s| !s.is_empty());
    let Some(agent) = agent else {
        return Err(Diagnostic::error(format!("no agent for task '{}'", task.slug()))
            .unit(task.id.clone())
            .hint(format!("set `agent` in the task, `default_agent` in [plan], or `default_agent` in [providers.{provider}]")));
    };
    Ok(Execution {
        agent: cfg.resolve_agent_alias(agent).to_string(),
        base_url: p.base_url.clone(),
        api_key_env: p.api_key_env.clone(),
        provider,
    })
}

/// What to check beyond the structure.
pub struct CheckOptions<'c> {
    pub config: Option<&'c ProjectConfig>,
    /// Resolve provider and agent of every task (skipped by `--dry-run`).
    pub require_execution: bool,
    /// Check prompts (false when the caller already checked the source prompts).
    pub check_prompts: bool,
}

/// Run every plan-level check and return all findings.
pub fn check_plan(
    plan: &CompiledPlan,
    locs: &Locations,
    opts: &CheckOptions<'_>,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let at = |d: Diagnostic, id: &str| -> Diagnostic {
        let d = d.unit(id.to_string());
        match locs.get(id) {
            Some((f, l)) => d.file(f.clone()).line(Some(*l)),
            None => d,
        }
    };
    let (dag, missing) = Dag::new(&plan.tasks);
    for (i, dep) in missing {
        diags.push(at(
            Diagnostic::error(format!("depends_on names unknown unit '{dep}'"))
                .hint("recompile the plan, or fix the id"),
            &plan.tasks[i].id,
        ));
    }
    let cycles = dag.cycles();
    let in_cycle: BTreeSet<usize> = cycles.iter().flatten().copied().collect();
    for comp in &cycles {
        let path: Vec<&str> = dag
            .cycle_path(comp)
            .iter()
            .map(|&i| plan.tasks[i].id.as_str())
            .collect();
        let members: Vec<&str> = comp.iter().map(|&i| plan.tasks[i].id.as_str()).collect();
        diags.push(at(
            Diagnostic::error(format!("dependency cycle: {}", path.join(" → "))).hint(format!(
                "remove one depends_on entry among {} so the tasks can be ordered",
                members.join(", ")
            )),
            path[0],
        ));
    }
    let unreachable: Vec<usize> = dag
        .unreachable()
        .into_iter()
        .filter(|i| !in_cycle.contains(i))
        .collect();
    for i in unreachable {
        diags.push(at(
            Diagnostic::error("unreachable: every chain of its dependencies runs into a cycle")
                .hint("break the cycle it depends on"),
            &plan.tasks[i].id,
        ));
    }
    if cycles.is_empty()
        && let Some(order) = dag.topo_order()
    {
        let anc = dag.ancestors(&order);
        let (pairs, overflow) = conflicts(&plan.tasks, &anc);
        if overflow {
            diags.push(
                Diagnostic::error(format!("more than {MAX_CONFLICTS} file conflicts; only the first {MAX_CONFLICTS} are listed"))
                    .hint("look for a broad directory claim shared by many independent tasks"),
            );
        }
        for (a, b, p) in pairs {
            let (ta, tb) = (&plan.tasks[a].id, &plan.tasks[b].id);
            diags.push(at(
                Diagnostic::error(format!("file conflict: '{ta}' and '{tb}' both write '{p}' but neither depends on the other"))
                    .hint(format!("add '{ta}' to depends_on of '{tb}' (or the reverse), or split the claims so they do not overlap")),
                tb,
            ));
        }
    }
    if let Some(cfg) = opts.config {
        departments(plan, cfg, &mut diags, &at);
        if opts.require_execution {
            // "No provider" usually means none is configured at all; one message then says
            // more than the same line repeated for every task.
            let mut no_provider = Vec::new();
            for t in &plan.tasks {
                match resolve_execution(plan, t, cfg) {
                    Ok(_) => {}
                    Err(d) if d.message.starts_with("no provider") => {
                        no_provider.push(at(d, &t.id))
                    }
                    Err(d) => diags.push(at(d, &t.id)),
                }
            }
            if no_provider.len() > 3 {
                let ids: Vec<&str> = no_provider
                    .iter()
                    .filter_map(|d| d.unit.as_deref())
                    .take(3)
                    .collect();
                let first = &no_provider[0];
                diags.push(
                    Diagnostic::error(format!(
                        "no provider for {} tasks ({}, …)",
                        no_provider.len(),
                        ids.join(", ")
                    ))
                    .file(first.file.clone().unwrap_or_default())
                    .line(first.line)
                    .hint(
                        "configure one: add [providers.<name>] (base_url, api_key_env, default_agent) to .dgov/project.toml, \
                         or set default_provider in [plan] of _root.toml; `dgov compile --dry-run` skips this check",
                    ),
                );
            } else {
                diags.extend(no_provider);
            }
        }
    }
    for t in &plan.tasks {
        if opts.check_prompts {
            for d in check_prompt(&t.id, t.role, &t.prompt, &t.test_cmd) {
                diags.push(at(d, &t.id));
            }
        }
        for d in claim_warnings(t) {
            diags.push(at(d, &t.id));
        }
    }
    diags
}

/// Normalize a claimed path for overlap checks: drop `./` prefixes and `.` segments,
/// collapse repeated and trailing slashes. Unlike the original (which stripped any leading
/// dots), `.env` and `env` stay distinct.
pub fn normalize_claim(p: &str) -> String {
    p.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Pairs of tasks (a < b) with overlapping write claims and no dependency path, each with
/// the first overlapping path.
/// At most this many conflicting pairs are reported; a plan with more has one structural
/// problem (usually a broad directory claim), and listing thousands of pairs would bury it.
pub const MAX_CONFLICTS: usize = 200;

fn conflicts(
    tasks: &[CompiledTask],
    anc: &crate::graph::Ancestry,
) -> (Vec<(usize, usize, String)>, bool) {
    let mut claims: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, t) in tasks.iter().enumerate() {
        for p in t.files.writes() {
            let n = normalize_claim(p);
            if n.is_empty() {
                continue;
            }
            let v = claims.entry(n).or_default();
            // Tasks are visited in index order, so a repeat can only be the last entry.
            if v.last() != Some(&i) {
                v.push(i);
            }
        }
    }
    let mut found: BTreeMap<(usize, usize), String> = BTreeMap::new();
    let mut overflow = false;
    let mut consider = |x: usize, y: usize, p: &str| {
        if x == y || anc.ordered(x, y) {
            return;
        }
        let key = (x.min(y), x.max(y));
        if found.len() >= MAX_CONFLICTS && !found.contains_key(&key) {
            overflow = true;
            return;
        }
        found.entry(key).or_insert_with(|| p.to_string());
    };
    for (p, us) in &claims {
        for (k, &x) in us.iter().enumerate() {
            for &y in &us[k + 1..] {
                consider(x, y, p);
            }
        }
        // Directory claims overlap everything below them.
        let mut prefix_end = 0;
        while let Some(off) = p[prefix_end..].find('/') {
            let dir = &p[..prefix_end + off];
            if let Some(owners) = claims.get(dir) {
                for &x in owners {
                    for &y in us {
                        consider(x, y, p);
                    }
                }
            }
            prefix_end += off + 1;
        }
    }
    (
        found.into_iter().map(|((a, b), p)| (a, b, p)).collect(),
        overflow,
    )
}

fn departments(
    plan: &CompiledPlan,
    cfg: &ProjectConfig,
    diags: &mut Vec<Diagnostic>,
    at: &dyn Fn(Diagnostic, &str) -> Diagnostic,
) {
    if cfg.departments.is_empty() {
        return;
    }
    let sets: Vec<(&str, globset::GlobSet)> = cfg
        .departments
        .iter()
        .map(|(name, globs)| {
            let mut b = globset::GlobSetBuilder::new();
            for g in globs {
                if let Ok(g) = globset::Glob::new(g) {
                    b.add(g);
                }
            }
            (
                name.as_str(),
                b.build().unwrap_or_else(|_| globset::GlobSet::empty()),
            )
        })
        .collect();
    for t in &plan.tasks {
        let summary = t.summary.to_lowercase();
        let mut reported = BTreeSet::new();
        for p in t.files.writes() {
            let n = normalize_claim(p);
            let Some((dept, _)) = sets.iter().find(|(_, s)| s.is_match(&n)) else {
                continue;
            };
            if !summary.contains(&dept.to_lowercase()) && reported.insert(*dept) {
                diags.push(at(
                    Diagnostic::error(format!("task writes '{n}', owned by department '{dept}', but its summary does not opt in"))
                        .hint(format!("add '{dept}' to the task's summary, or move the change to a task of that department")),
                    &t.id,
                ));
            }
        }
    }
}

/// True when `line` is a heading consisting only of `word` (with optional `#`, `**`, `:`).
fn is_heading(line: &str, word: &str) -> bool {
    let t = line
        .trim()
        .trim_start_matches('#')
        .trim()
        .trim_matches('*')
        .trim()
        .trim_end_matches(':')
        .trim()
        .trim_matches('*')
        .trim();
    t.eq_ignore_ascii_case(word)
}

/// Prompt checks: empty prompt (error for non-reviewers), missing Orient/Edit/Verify
/// headings (warnings). Headings are looked for from the first `Orient` on, which skips
/// bundled SOP blocks.
pub fn check_prompt(id: &str, role: Role, prompt: &str, test_cmd: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let slug = id.rsplit_once('.').map_or(id, |(_, s)| s);
    if prompt.trim().is_empty() {
        if role != Role::Reviewer {
            out.push(
                Diagnostic::error(format!("task '{slug}' has an empty prompt"))
                    .hint("write a prompt (Orient / Edit / Verify steps), or set `prompt_file`"),
            );
        }
        return out;
    }
    let lines: Vec<&str> = prompt.lines().collect();
    let orient = lines.iter().position(|l| is_heading(l, "orient"));
    let rest = &lines[orient.unwrap_or(0)..];
    let mut missing = Vec::new();
    if orient.is_none() {
        missing.push("Orient");
    }
    if role == Role::Worker {
        if !rest.iter().any(|l| is_heading(l, "edit")) {
            missing.push("Edit");
        }
        if test_cmd.is_empty() && !rest.iter().any(|l| is_heading(l, "verify")) {
            missing.push("Verify");
        }
    }
    if !missing.is_empty() {
        out.push(Diagnostic::warning(format!("prompt has no {} heading", missing.join(" / "))).hint(
            "structure prompts as `## Orient` (what to read), `## Edit` (what to change) and `## Verify` (how to check)",
        ));
    }
    out
}

fn claim_warnings(t: &CompiledTask) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if t.role == Role::Worker && t.test_cmd.is_empty() {
        let writes_tests = t.files.writes().any(|p| {
            let n = normalize_claim(p);
            n.starts_with("tests/")
                || n.starts_with("test/")
                || n.contains("/test_")
                || n.starts_with("test_")
        });
        if writes_tests {
            out.push(
                Diagnostic::warning("task writes test files but has no test_cmd")
                    .hint("set `test_cmd` to the narrowest command that runs those tests"),
            );
        }
    }
    if t.role.is_read_only() && t.files.writes().next().is_some() {
        out.push(
            Diagnostic::warning(format!(
                "{} tasks never write, but this one claims files to write",
                t.role.as_str()
            ))
            .hint("move the paths to files.read"),
        );
    }
    // Paths the prompt mentions (after Orient) that the task does not claim.
    let claimed: BTreeSet<String> = t
        .files
        .writes()
        .chain(&t.files.read)
        .map(|p| normalize_claim(p))
        .collect();
    let start = t.prompt.lines().position(|l| is_heading(l, "orient"));
    if let Some(start) = start {
        let mut warned = BTreeSet::new();
        for line in t.prompt.lines().skip(start) {
            for tok in line.split(|c: char| c.is_whitespace() || "`'\"(),;".contains(c)) {
                let tok = tok.trim_end_matches(['.', ':']);
                let ext = tok.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
                let interesting = tok.contains('/')
                    && !tok.contains("://")
                    && [
                        "py", "rs", "go", "js", "ts", "toml", "json", "yaml", "yml", "md", "txt",
                        "cfg", "ini", "sh",
                    ]
                    .contains(&ext);
                let n = normalize_claim(tok);
                let covered = claimed
                    .iter()
                    .any(|c| *c == n || n.starts_with(&format!("{c}/")));
                if interesting && !covered && warned.insert(n.clone()) {
                    out.push(
                        Diagnostic::warning(format!(
                            "prompt mentions '{n}' but the task does not claim it"
                        ))
                        .hint("add it to files.read (or a write claim) so the worker may open it"),
                    );
                }
            }
        }
    }
    out
}

/// Warnings for `[project].setup_cmd`: it runs in every worker worktree before dispatch, so a
/// config file it names must exist in the repository, not be created by this plan (earlier
/// worktrees would not have it), unless the command guards it with `[ -f x ]`/`test -f x`.
pub fn setup_cmd_warnings(
    repo_root: &std::path::Path,
    cfg: &ProjectConfig,
    plan: &CompiledPlan,
) -> Vec<Diagnostic> {
    let Some(cmd) = cfg.project.setup_cmd.as_deref() else {
        return Vec::new();
    };
    const EXTS: &[&str] = &[
        ".yml",
        ".yaml",
        ".json",
        ".toml",
        ".xcodeproj",
        ".xcworkspace",
    ];
    let created: BTreeSet<String> = plan
        .tasks
        .iter()
        .flat_map(|t| t.files.create.iter().map(|p| normalize_claim(p)))
        .collect();
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for tok in cmd.split(|c: char| c.is_whitespace() || ";&|()<>\"'`".contains(c)) {
        if !EXTS.iter().any(|e| tok.ends_with(e)) || !seen.insert(tok) {
            continue;
        }
        let guarded = cmd.contains(&format!("-f {tok}"));
        if guarded {
            continue;
        }
        let n = normalize_claim(tok);
        let d = if created.contains(&n) {
            Diagnostic::warning(format!(
                "setup_cmd uses '{tok}', which this plan creates; worktrees of earlier tasks will not have it"
            ))
        } else if !repo_root.join(&n).exists() {
            Diagnostic::warning(format!(
                "setup_cmd uses '{tok}', which does not exist in the repository"
            ))
        } else {
            continue;
        };
        out.push(d.file(".dgov/project.toml").hint(format!(
            "guard it (`[ -f {tok} ] && …`) or fix [project].setup_cmd"
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_normalize_dot_slash_and_slashes_but_keep_leading_dots() {
        assert_eq!(normalize_claim("./src//main.py"), "src/main.py");
        assert_eq!(normalize_claim("src/"), "src");
        assert_eq!(normalize_claim("./"), "");
        // The original stripped every leading '.', so `.env` and `env` collided; a user
        // means two different files.
        assert_eq!(normalize_claim(".env"), ".env");
        assert_ne!(normalize_claim(".env"), normalize_claim("env"));
    }

    #[test]
    fn headings_accept_markdown_bold_and_colon_forms() {
        for line in [
            "## Orient",
            "Orient:",
            "**Orient**",
            "# orient",
            "**Orient:**",
        ] {
            assert!(is_heading(line, "orient"), "{line}");
        }
        assert!(!is_heading("Orient yourself first", "orient"));
    }
}
