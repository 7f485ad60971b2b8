//! Policy source drift: repository self-consistency checks `dgov preflight` runs before the
//! gates, so a project's own dgov sources cannot silently disagree with each other.
//!
//! 1. **Guidance mirrors** — when any of `AGENTS.md`, `CLAUDE.md`, `GEMINI.md` exists, all
//!    must exist and be byte-identical to `AGENTS.md` (each agent reads its own file, so a
//!    stale copy means agents work under different rules).
//! 2. **Settlement gates** — every `gate` of `[settlement.phase.*]` in `.dgov/project.toml`
//!    must resolve: a built-in name, an existing `.wasm` path, or an existing
//!    `.dgov/plugins/<name>.wasm`. (A missing plugin otherwise shows up only when its phase
//!    runs, often as an `error` verdict in the middle of a run.)
//! 3. **SOPs** — every `.dgov/sops/*.md` must parse (front matter and all), with the plan
//!    crate's own loader, so `dgov compile` will not trip over them later.
//!
//! The original's checks of its own Python packaging do not apply to other repositories.
//! An ignore entry hiding a governor-owned path needs no check here: `.dgov/project.toml`
//! fails to load with one (the settlement error says so), and the scope gate checks
//! governor-owned paths before any ignore rule.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::gates::builtin_plugin;
use crate::policy::PROJECT_FILE;

/// The guidance files that must mirror each other; the first is the reference.
pub const GUIDANCE_FILES: [&str; 3] = ["AGENTS.md", "CLAUDE.md", "GEMINI.md"];

/// Which check found the issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftCheck {
    GuidanceMirror,
    SettlementGate,
    Sop,
}

/// One inconsistency, worded for the user (what is wrong and what to do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftIssue {
    pub check: DriftCheck,
    pub message: String,
}

impl fmt::Display for DriftIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn issue(check: DriftCheck, message: String) -> DriftIssue {
    DriftIssue { check, message }
}

/// Every drift issue of the repository at `root`, in check order (empty = consistent).
pub fn check(root: &Path) -> Vec<DriftIssue> {
    let mut out = guidance_mirrors(root);
    out.extend(settlement_gates(root));
    out.extend(sops(root));
    out
}

/// Check 1: `AGENTS.md`, `CLAUDE.md` and `GEMINI.md` all present and identical, or none.
pub fn guidance_mirrors(root: &Path) -> Vec<DriftIssue> {
    let contents: Vec<(&str, Option<Vec<u8>>)> = GUIDANCE_FILES
        .iter()
        .map(|name| (*name, std::fs::read(root.join(name)).ok()))
        .collect();
    if contents.iter().all(|(_, c)| c.is_none()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let missing: Vec<&str> = contents
        .iter()
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        out.push(issue(
            DriftCheck::GuidanceMirror,
            format!(
                "Missing guidance mirror(s): {} (every agent reads its own file; keep copies of AGENTS.md)",
                missing.join(", ")
            ),
        ));
    }
    if let Some(reference) = &contents[0].1 {
        let drifted: Vec<&str> = contents[1..]
            .iter()
            .filter(|(_, c)| c.as_ref().is_some_and(|c| c != reference))
            .map(|(n, _)| *n)
            .collect();
        if !drifted.is_empty() {
            out.push(issue(
                DriftCheck::GuidanceMirror,
                format!(
                    "Guidance mirror drift: {} not identical to AGENTS.md (copy AGENTS.md over it, or edit AGENTS.md and copy it to every mirror)",
                    drifted.join(", ")
                ),
            ));
        }
    }
    out
}

/// Check 2: every configured settlement gate resolves to a plugin. Reads the TOML itself, so
/// it still reports when the rest of the configuration is invalid (that error comes from
/// loading the policy).
pub fn settlement_gates(root: &Path) -> Vec<DriftIssue> {
    let Ok(text) = std::fs::read_to_string(root.join(PROJECT_FILE)) else {
        return Vec::new();
    };
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(phases) = doc
        .get("settlement")
        .and_then(|s| s.get("phase"))
        .and_then(|p| p.as_table())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (phase, list) in phases {
        for (i, item) in list.as_array().into_iter().flatten().enumerate() {
            let Some(gate) = item.get("gate").and_then(|g| g.as_str()) else {
                continue;
            };
            if let Some(missing) = unresolved(root, gate) {
                out.push(issue(
                    DriftCheck::SettlementGate,
                    format!(
                        "{PROJECT_FILE}: settlement.phase.{phase}[{i}] gate `{gate}` does not resolve: {} does not exist (build or copy the plugin there, or fix the name; built-ins: scope, lint, format, typecheck, tests, coverage, semantic, sentrux, command)",
                        missing
                    ),
                ));
            }
        }
    }
    out
}

/// The missing plugin file of `gate`, or `None` when it resolves. Mirrors how
/// [`crate::Gates::resolve`] finds plugins: built-in name, `.wasm`/path, repository plugin.
fn unresolved(root: &Path, gate: &str) -> Option<String> {
    if builtin_plugin(gate).is_some() {
        return None;
    }
    let path = if gate.ends_with(".wasm") || gate.contains('/') {
        let p = Path::new(gate);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        }
    } else {
        root.join(".dgov/plugins").join(format!("{gate}.wasm"))
    };
    if path.is_file() {
        return None;
    }
    Some(
        path.strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string(),
    )
}

/// Check 3: every SOP parses, with the loader `dgov compile` uses.
pub fn sops(root: &Path) -> Vec<DriftIssue> {
    match dgov_plan::load_sops(root) {
        Ok(_) => Vec::new(),
        Err(diags) => diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                let text = d.to_string();
                let text = text.strip_prefix("error: ").unwrap_or(&text);
                issue(DriftCheck::Sop, format!("SOP does not load: {text}"))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn messages(v: &[DriftIssue]) -> Vec<&str> {
        v.iter().map(|i| i.message.as_str()).collect()
    }

    const SOP: &str = "---\nname: testing\ntitle: Testing\nsummary: How to test\napplies_to: [test]\npriority: must\n---\n\n## When\n- always\n\n## Do\n- test\n\n## Do Not\n- skip\n\n## Verify\n- run it\n\n## Escalate\n- ask\n";

    #[test]
    fn a_repository_without_dgov_sources_has_no_drift() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check(dir.path()), vec![]);
    }

    #[test]
    fn identical_guidance_mirrors_are_consistent() {
        let dir = tempfile::tempdir().unwrap();
        for f in GUIDANCE_FILES {
            write(dir.path(), f, "# Rules\nBe careful.\n");
        }
        assert_eq!(guidance_mirrors(dir.path()), vec![]);
    }

    #[test]
    fn a_missing_mirror_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "AGENTS.md", "x\n");
        write(dir.path(), "CLAUDE.md", "x\n");
        let issues = guidance_mirrors(dir.path());
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(
            issues[0]
                .message
                .starts_with("Missing guidance mirror(s): GEMINI.md"),
            "{}",
            issues[0]
        );
        assert_eq!(issues[0].check, DriftCheck::GuidanceMirror);
    }

    #[test]
    fn a_mirror_differing_by_one_byte_is_drift_and_only_it_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "AGENTS.md", "rules\n");
        write(dir.path(), "CLAUDE.md", "rules\n\n");
        write(dir.path(), "GEMINI.md", "rules\n");
        let issues = guidance_mirrors(dir.path());
        assert_eq!(messages(&issues).len(), 1, "{:?}", messages(&issues));
        assert!(
            issues[0]
                .message
                .starts_with("Guidance mirror drift: CLAUDE.md")
        );
        assert!(!issues[0].message.contains("GEMINI"));
    }

    #[test]
    fn mirrors_without_agents_md_report_it_missing() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "CLAUDE.md", "a\n");
        let issues = guidance_mirrors(dir.path());
        assert_eq!(
            messages(&issues),
            [
                "Missing guidance mirror(s): AGENTS.md, GEMINI.md (every agent reads its own file; keep copies of AGENTS.md)"
            ]
        );
    }

    #[test]
    fn settlement_gates_must_resolve_to_a_plugin() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            PROJECT_FILE,
            r#"
[[settlement.phase.isolated]]
gate = "tests"

[[settlement.phase.isolated]]
gate = "no-secrets"

[[settlement.phase.candidate]]
gate = "plugins/arch.wasm"

[[settlement.phase.candidate]]
gate = "present"
"#,
        );
        write(dir.path(), ".dgov/plugins/present.wasm", "\0asm");
        let issues = settlement_gates(dir.path());
        let m = messages(&issues);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].contains("settlement.phase.candidate[0] gate `plugins/arch.wasm`"));
        assert!(m[0].contains("plugins/arch.wasm does not exist"));
        assert!(m[1].contains("settlement.phase.isolated[1] gate `no-secrets`"));
        assert!(m[1].contains(".dgov/plugins/no-secrets.wasm does not exist"));
        assert!(issues.iter().all(|i| i.check == DriftCheck::SettlementGate));
        // Once the plugin exists the issue goes away.
        write(dir.path(), "plugins/arch.wasm", "\0asm");
        assert_eq!(settlement_gates(dir.path()).len(), 1);
    }

    #[test]
    fn an_unparsable_project_file_is_left_to_the_policy_loader() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), PROJECT_FILE, "[settlement\n");
        assert_eq!(settlement_gates(dir.path()), vec![]);
    }

    #[test]
    fn a_sop_whose_front_matter_does_not_parse_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".dgov/sops/testing.md", SOP);
        assert_eq!(sops(dir.path()), vec![], "a valid SOP loads");
        write(dir.path(), ".dgov/sops/broken.md", "no front matter here\n");
        let issues = sops(dir.path());
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(
            issues[0].message.starts_with("SOP does not load: ")
                && issues[0].message.contains(".dgov/sops/broken.md"),
            "{}",
            issues[0]
        );
        assert_eq!(check(dir.path()), issues);
    }
}
