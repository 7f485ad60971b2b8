//! What the read-only roles (researcher, reviewer) do differently from a worker: the tools
//! they may not have, discarding whatever their attempt left in the worktree, the reviewer's
//! view of its dependencies' landed changes, and reading the reviewer's verdict.

use std::path::Path;

use serde_json::{Value, json};

use crate::spec::{DependencyChange, Role};

/// Tools a read-only role never gets: every tool that writes files, by name (the plugin's own
/// `writes` flag catches any new writing tool; `run_bash` is listed because a shell can write
/// whatever its flag says). Names the plugin does not ship are harmless here.
pub const WRITING_TOOLS: [&str; 7] = [
    "write_file",
    "edit_file",
    "apply_patch",
    "run_bash",
    "revert_file",
    "lint_fix",
    "format_file",
];

/// Whether `role` may call the tool `name` (whose spec says `writes`).
pub fn tool_allowed(role: Role, name: &str, writes: bool) -> bool {
    !role.is_read_only() || !(writes || WRITING_TOOLS.contains(&name))
}

/// Largest diff of one dependency shown to a reviewer, and of all dependencies together.
const MAX_DEP_DIFF_CHARS: usize = 20_000;
const MAX_ALL_DIFF_CHARS: usize = 60_000;

/// Put a read-only attempt's worktree back to its HEAD (see [`dgov_git::discard_changes`]:
/// dgov-git is the only crate that changes git state). Returns the paths that were dirty.
pub fn discard_changes(worktree: &Path) -> Result<Vec<String>, String> {
    dgov_git::discard_changes(worktree).map_err(|e| e.to_string())
}

/// The data of a `reviewer_verdict` note: the `done` summary, and when it is the JSON verdict
/// `{"approved": bool, "issues": [...]}` (bare or in a code fence), its parsed fields;
/// otherwise `approved` is null and the text stands on its own.
pub fn verdict(summary: &str) -> Value {
    let text = summary.trim();
    let body = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .unwrap_or(text)
        .trim();
    let parsed = serde_json::from_str::<Value>(body)
        .ok()
        .filter(|v| v["approved"].is_boolean());
    match parsed {
        Some(v) => {
            let issues = match &v["issues"] {
                Value::Array(a) => Value::Array(a.clone()),
                Value::Null => json!([]),
                other => json!([other]),
            };
            json!({"summary": summary, "approved": v["approved"], "issues": issues})
        }
        None => json!({"summary": summary, "approved": null, "issues": []}),
    }
}

/// What each dependency in `deps` landed, for a reviewer: the diff between the target HEAD
/// before its merge (from the runner's merge intent) and its deploy record; `git show` of
/// the deploy record when no merge intent is known (a dependency landed by an earlier store);
/// "No deploy record found." when it never landed.
pub fn dependency_changes(root: &Path, plan: &str, deps: &[String]) -> Vec<DependencyChange> {
    let records = dgov_plan::read_deployed(root, plan)
        .map(|(r, _)| r)
        .unwrap_or_default();
    let intents = dgov_store::Store::open_read_only(root)
        .ok()
        .flatten()
        .and_then(|s| s.all_intents(plan).ok())
        .unwrap_or_default();
    let mut budget = MAX_ALL_DIFF_CHARS;
    deps.iter()
        .map(|dep| {
            let Some(sha) = records
                .iter()
                .rev()
                .find(|r| &r.unit == dep)
                .map(|r| r.sha.clone())
            else {
                return DependencyChange {
                    task: dep.clone(),
                    sha: None,
                    diff: "No deploy record found.".into(),
                };
            };
            let pre_head = intents
                .iter()
                .rev()
                .find(|i| {
                    i.task.as_deref() == Some(dep.as_str())
                        && i.effect == dgov_store::Effect::Merge
                        && i.outcome.as_deref() == Some("ok")
                })
                .and_then(|i| i.data["pre_head"].as_str().map(str::to_string));
            let diff = match pre_head {
                Some(pre) if pre == sha => "(landed without changes of its own)".to_string(),
                Some(pre) => git(root, &["diff", "--stat", "--patch", &pre, &sha]),
                None => git(root, &["show", "--stat", "--patch", "--format=%H %s", &sha]),
            };
            let cap = budget.min(MAX_DEP_DIFF_CHARS);
            let diff = if diff.chars().count() > cap {
                let kept: String = diff.chars().take(cap).collect();
                format!("{kept}\n... [diff truncated for prompt budget]")
            } else {
                diff
            };
            budget = budget.saturating_sub(diff.chars().count());
            DependencyChange {
                task: dep.clone(),
                sha: Some(sha),
                diff,
            }
        })
        .collect()
}

fn git(root: &Path, args: &[&str]) -> String {
    match crate::git_cmd::git(root, args) {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Ok(o) => format!(
            "(git {} failed: {})",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("(git unavailable: {e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_may_call_every_tool_read_only_roles_no_writing_one() {
        for name in ["write_file", "run_bash", "read_file", "some_new_tool"] {
            assert!(tool_allowed(Role::Worker, name, true));
        }
        for role in [Role::Researcher, Role::Reviewer] {
            for name in WRITING_TOOLS {
                assert!(!tool_allowed(role, name, false), "{name} refused");
            }
            assert!(
                !tool_allowed(role, "some_new_tool", true),
                "a tool whose spec says it writes is refused"
            );
            for name in [
                "read_file",
                "grep",
                "glob",
                "list_dir",
                "git_diff",
                "run_tests",
                "done",
            ] {
                assert!(tool_allowed(role, name, false), "{name} allowed");
            }
        }
    }

    #[test]
    fn a_json_verdict_is_parsed_and_prose_is_kept_as_text() {
        let v = verdict(r#"{"approved": false, "issues": ["src/a.rs:3 off by one"]}"#);
        assert_eq!(v["approved"], false);
        assert_eq!(v["issues"], json!(["src/a.rs:3 off by one"]));
        let fenced = verdict("```json\n{\"approved\": true}\n```");
        assert_eq!(fenced["approved"], true);
        assert_eq!(fenced["issues"], json!([]));
        let prose = verdict("Looks fine to me.");
        assert!(prose["approved"].is_null());
        assert_eq!(prose["summary"], "Looks fine to me.");
        let wrong = verdict(r#"{"approved": "yes"}"#);
        assert!(
            wrong["approved"].is_null(),
            "a non-boolean approval is not a verdict"
        );
    }

    fn sh(dir: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn discarding_reverts_edits_removes_new_files_and_keeps_ignored_ones() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        sh(d, &["init", "-q", "-b", "main"]);
        std::fs::write(d.join(".gitignore"), "build/\n").unwrap();
        std::fs::write(d.join("a.txt"), "a\n").unwrap();
        sh(d, &["add", "-A"]);
        sh(d, &["commit", "-q", "-m", "init"]);
        assert_eq!(discard_changes(d).unwrap(), Vec::<String>::new());
        std::fs::write(d.join("a.txt"), "changed\n").unwrap();
        std::fs::create_dir_all(d.join("new/deep")).unwrap();
        std::fs::write(d.join("new/deep/b.txt"), "b\n").unwrap();
        std::fs::create_dir_all(d.join("build")).unwrap();
        std::fs::write(d.join("build/out"), "o\n").unwrap();
        sh(d, &["add", "a.txt"]);
        let mut gone = discard_changes(d).unwrap();
        gone.sort();
        assert_eq!(gone, vec!["a.txt", "new/deep/b.txt"]);
        assert_eq!(std::fs::read_to_string(d.join("a.txt")).unwrap(), "a\n");
        assert!(
            !d.join("new").exists(),
            "new files and their directories are gone"
        );
        assert!(d.join("build/out").exists(), "ignored output is left alone");
    }

    #[test]
    fn a_reviewer_gets_each_dependency_diff_from_its_merge_intent_and_deploy_record() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        sh(d, &["init", "-q", "-b", "main"]);
        std::fs::write(d.join(".gitignore"), ".dgov/\n").unwrap();
        std::fs::write(d.join("a.txt"), "a\n").unwrap();
        sh(d, &["add", "-A"]);
        sh(d, &["commit", "-q", "-m", "init"]);
        let rev = || {
            let o = std::process::Command::new("git")
                .args(["rev-parse", "HEAD"])
                .current_dir(d)
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        };
        let c1 = rev();
        std::fs::write(d.join("a.txt"), "a\nfrom dep\n").unwrap();
        sh(d, &["commit", "-q", "-am", "dep landed"]);
        let c2 = rev();
        let mut store = dgov_store::Store::open(d).unwrap();
        for (task, pre) in [("changed", &c1), ("unchanged", &c1)] {
            let id = store
                .begin_intent(
                    "p",
                    Some(task),
                    Some(1),
                    dgov_store::Effect::Merge,
                    &json!({"pre_head": pre}),
                )
                .unwrap();
            store.finish_intent(id, "ok", &json!({})).unwrap();
        }
        for (unit, sha) in [("changed", &c2), ("unchanged", &c1), ("old", &c2)] {
            dgov_plan::append_deployed(d, &dgov_plan::DeployRecord::now("p", unit, sha)).unwrap();
        }
        let deps: Vec<String> = ["changed", "unchanged", "old", "never"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = dependency_changes(d, "p", &deps);
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].sha.as_deref(), Some(c2.as_str()));
        assert!(got[0].diff.contains("+from dep"), "{}", got[0].diff);
        assert!(
            !got[0].diff.contains("dep landed"),
            "a plain diff, not a log"
        );
        assert_eq!(got[1].diff, "(landed without changes of its own)");
        // No merge intent known: the deploy record's commit itself.
        assert!(
            got[2].diff.starts_with(&format!("{c2} dep landed")),
            "{}",
            got[2].diff
        );
        assert!(got[2].diff.contains("+from dep"));
        assert_eq!(got[3].sha, None);
        assert_eq!(got[3].diff, "No deploy record found.");
    }
}
