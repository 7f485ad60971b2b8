//! The worker's system prompt and first user message (dgov's own wording): role, project,
//! task scope (claims, test targets), tool policy, repo map, the governor charter, the
//! iteration budget, and on retries the previous failure with its settlement evidence.
//! Researchers and reviewers get a read-only prompt of their own; a reviewer's user message
//! carries its dependencies' landed diffs and asks for the JSON verdict. A fork (the previous
//! attempt ran out of iterations) gets a handoff message with the unfinished work's diff.

use std::fmt::Write as _;
use std::path::Path;

use crate::spec::{AttemptSpec, Role};

pub const PROMPT_VERSION: &str = "[DGOV_WORKER_PROMPT_RS_1]";
/// Version tag of the researcher/reviewer prompt.
pub const READ_ONLY_PROMPT_VERSION: &str = "[DGOV_READ_ONLY_PROMPT_RS_1]";
/// Longest finding a read-only role is asked for, in words.
pub const FINDING_MAX_WORDS: u32 = 120;
const MAP_MAX_CHARS: usize = 12_000;
/// Longest diff a fork handoff shows; the fork reads the rest with git_diff.
const HANDOFF_DIFF_MAX_CHARS: usize = 12_000;

/// The system prompt of an attempt.
pub fn system_prompt(spec: &AttemptSpec, repo_map: &str) -> String {
    if spec.role.is_read_only() {
        return read_only_prompt(spec, repo_map);
    }
    let mut p = String::new();
    let _ = writeln!(p, "{PROMPT_VERSION}");
    let _ = writeln!(
        p,
        "You are a dgov worker: you change code in one git worktree to complete one task. \
         The governor planned the work and will merge it; an automated settlement layer reviews \
         your change before it lands. Keep the diff small and inside the task's claims. You \
         never commit: your deliverable is the worktree's uncommitted state plus the summary \
         you pass to done."
    );
    project(&mut p, spec);
    tool_policy(&mut p, spec);
    let _ = writeln!(p, "\n## Task scope ({})", spec.task);
    let w = spec.claims.writable();
    let _ = writeln!(
        p,
        "- you may write: {}",
        if w.is_empty() {
            "(none; read-only task)".to_string()
        } else {
            w.join(", ")
        }
    );
    if !spec.claims.read.is_empty() {
        let _ = writeln!(p, "- read-only context: {}", spec.claims.read.join(", "));
    }
    if !spec.test_targets.is_empty() {
        let _ = writeln!(p, "- run_tests targets: {}", spec.test_targets.join(", "));
    }
    if !spec.test_cmd.is_empty() {
        let _ = writeln!(p, "- test command: {}", spec.test_cmd);
    }
    let _ = writeln!(
        p,
        "- every other path is out of scope: changing it gets the whole change rejected.\n\
         - if a path you are asked to create already exists, edit it in place.\n\
         - before done, check with git_diff that only claimed files changed."
    );
    let _ = writeln!(p, "\n## Repository map\n{repo_map}");
    if let Some(c) = spec.charter.as_deref().filter(|c| !c.trim().is_empty()) {
        let _ = writeln!(p, "\n## Governor charter\n{}", c.trim());
    }
    let _ = writeln!(
        p,
        "\n## How to work\n\
         1. Orient: list_dir, glob, grep and read_file on what the task names.\n\
         2. Edit: edit_file for existing files (exact old_text), write_file only for new files, apply_patch for several hunks.\n\
         3. Verify: run_tests on the in-scope targets, or the narrowest run_bash check.\n\
         4. Finish: git_diff, then done(summary) saying what changed and how it was verified.\n\
         Use relative paths. Do not touch .git/, .dgov/ or config you were not asked to change. \
         Do not install packages. Never finish with an empty diff unless the task asks for no change."
    );
    let _ = writeln!(
        p,
        "\n## Budget\nYou have {} model turns; you will be warned at turn {}. After three failed fixes of the same test, call done with an INCOMPLETE summary naming the blocker.\n\nAct only through tool calls, and end by calling done.",
        spec.iteration_budget.max(1),
        spec.warn_at
    );
    p
}

/// The project section (both prompts).
fn project(p: &mut String, spec: &AttemptSpec) {
    let _ = writeln!(
        p,
        "\n## Project\n- language: {}\n- source dir: {}\n- tests dir: {}\n- provider: {}",
        spec.language, spec.src_dir, spec.test_dir, spec.provider.name
    );
    if !spec.conventions.is_empty() {
        let _ = writeln!(p, "- conventions:");
        for (k, v) in &spec.conventions {
            let _ = writeln!(p, "  - {k}: {v}");
        }
    }
}

/// What `[tool_policy]` means for run_bash (workers only: read-only roles have no shell).
fn tool_policy(p: &mut String, spec: &AttemptSpec) {
    let pol = &spec.policy;
    if pol.restrict_run_bash {
        let _ = writeln!(p, "\n## Tool policy");
        if !pol.deny_shell_commands.is_empty() {
            let _ = writeln!(
                p,
                "- run_bash refuses commands starting with: {}",
                pol.deny_shell_commands.join(", ")
            );
        }
        if pol.deny_shell_file_mutations {
            let _ = writeln!(
                p,
                "- run_bash may not create, move or delete files or redirect output; use the file tools."
            );
        }
        if pol.require_wrapped_verify_tools {
            let _ = writeln!(
                p,
                "- use run_tests for tests rather than calling the test runner through run_bash."
            );
        }
        if pol.require_uv_run {
            let _ = writeln!(p, "- Python commands must run through `uv run`.");
        }
    }
}

/// The system prompt of a researcher or reviewer: read-only, evidence first, a short finding
/// (a researcher) or a JSON verdict (a reviewer) through done.
fn read_only_prompt(spec: &AttemptSpec, repo_map: &str) -> String {
    let reviewer = spec.role == Role::Reviewer;
    let mut p = String::new();
    let _ = writeln!(p, "{READ_ONLY_PROMPT_VERSION}");
    let _ = writeln!(
        p,
        "You are a dgov {}: you {} in one git worktree and report what you find. You are \
         read-only. You have no tool that changes files, and whatever your commands leave in \
         the worktree is thrown away when you finish: nothing you do lands on the branch. \
         Your deliverable is the summary you pass to done.",
        spec.role.as_str(),
        if reviewer {
            "review the changes your task's dependencies landed"
        } else {
            "investigate one question about the code"
        }
    );
    project(&mut p, spec);
    let _ = writeln!(p, "\n## Task ({})", spec.task);
    let mut paths = spec.claims.writable();
    for r in &spec.claims.read {
        if !paths.contains(r) {
            paths.push(r.clone());
        }
    }
    if !paths.is_empty() {
        let _ = writeln!(p, "- paths of interest: {}", paths.join(", "));
    }
    if !spec.test_targets.is_empty() {
        let _ = writeln!(p, "- run_tests targets: {}", spec.test_targets.join(", "));
    }
    let _ = writeln!(p, "\n## Repository map\n{repo_map}");
    if let Some(c) = spec.charter.as_deref().filter(|c| !c.trim().is_empty()) {
        let _ = writeln!(p, "\n## Governor charter\n{}", c.trim());
    }
    let _ = writeln!(
        p,
        "\n## Evidence rules\n\
         - Claim only what a file, a line, a diff or a command output shows; name it.\n\
         - Stop as soon as two or three decisive pieces of evidence settle the question. More \
         reading past that point costs turns and adds nothing.\n\
         - When the evidence points two ways, keep both explanations and say what would decide \
         between them; do not pick one by guessing.\n\
         - Test results are evidence. A failing test is something to report, not to fix."
    );
    if reviewer {
        let _ = writeln!(
            p,
            "\n## How to review\n\
             1. Read the dependency diffs in the task message.\n\
             2. Open the code around them (read_file, grep, glob) and judge semantic \
             correctness: does each change do what its task meant, are edge cases and callers \
             handled, is anything left inconsistent. Style is not your concern.\n\
             3. Run a narrow read-only check (run_tests, git_diff) only where it settles a doubt.\n\
             4. Finish: call done with a summary that is only the JSON verdict \
             {{\"approved\": true or false, \"issues\": [\"path:line: what is wrong\", ...]}} \
             (issues empty when approved), no prose around it, at most {FINDING_MAX_WORDS} words."
        );
    } else {
        let _ = writeln!(
            p,
            "\n## How to research\n\
             1. Orient: list_dir, glob and grep on what the task names.\n\
             2. Investigate: read_file the code that matters; git_diff shows the worktree state.\n\
             3. Verify with narrow read-only checks (run_tests on one target) where they decide \
             something.\n\
             4. Finish: call done with your finding: one plain-prose paragraph of at most \
             {FINDING_MAX_WORDS} words, no markdown, headings or lists, naming the evidence."
        );
    }
    let _ = writeln!(
        p,
        "\n## Budget\nYou have {} model turns; you will be warned at turn {}.\n\n\
         Act only through tool calls, and end by calling done.",
        spec.iteration_budget.max(1),
        spec.warn_at
    );
    p
}

/// The first user message: the task prompt (for a reviewer, the review request built around
/// it), wrapped with the previous failure on retries.
pub fn user_message(spec: &AttemptSpec) -> String {
    let task = if spec.role == Role::Reviewer {
        review_request(spec)
    } else {
        spec.prompt.clone()
    };
    match spec
        .retry_context
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        _ if spec.retry_fork => fork_handoff(spec, &task),
        Some(ctx) if spec.retry_in_place => format!(
            "PREVIOUS ATTEMPT ({}) WAS REJECTED BY SETTLEMENT:\n{}\n\nYour previous changes are still in the worktree, uncommitted (see git_diff). Keep what is right and fix the cause above; do not start over.\n\nORIGINAL TASK:\n{}",
            spec.attempt.saturating_sub(1),
            ctx.trim(),
            task
        ),
        Some(ctx) => format!(
            "PREVIOUS ATTEMPT ({}) FAILED:\n{}\n\nFix the cause above. The worktree starts from the target branch again, so redo the work.\n\nORIGINAL TASK:\n{}",
            spec.attempt.saturating_sub(1),
            ctx.trim(),
            task
        ),
        None => task,
    }
}

/// A fork's first message: the previous attempt ran out of turns; its work (if any) is in
/// the worktree, shown as a diff; finish it rather than redo it.
fn fork_handoff(spec: &AttemptSpec, task: &str) -> String {
    let previous = spec.attempt.saturating_sub(1);
    if !spec.retry_in_place {
        return format!(
            "HANDOFF: attempt {previous} ran out of its iteration budget before calling done. \
             You take over the task with a clean context and a new budget. This worktree starts \
             clean: none of that attempt's work is in it. Spend few turns orienting: edit early, \
             verify with check_syntax and run_tests, then call done(summary).\n\n\
             ORIGINAL TASK:\n{task}"
        );
    }
    format!(
        "HANDOFF: attempt {previous} ran out of its iteration budget before calling done. You \
         take over its unfinished work with a clean context and a new budget.\n\n\
         Its changes are already in this worktree, uncommitted:\n```diff\n{}\n```\n\n\
         Do not start from scratch. Inspect the work with git_diff (read_file where the diff is \
         not enough), finish what is missing, verify it (check_syntax on the files you touched, \
         run_tests on the in-scope targets), then call done(summary) saying what was already \
         there, what you added and how you verified it.\n\nORIGINAL TASK:\n{task}",
        worktree_diff(&spec.worktree).trim_end()
    )
}

/// The worktree's uncommitted changes against HEAD as one diff, new (untracked) files
/// included — `git diff HEAD` alone leaves them out, and a half-written new file is the
/// usual state of an exhausted attempt. Capped at [`HANDOFF_DIFF_MAX_CHARS`].
pub fn worktree_diff(worktree: &Path) -> String {
    let git = |args: &[&str]| crate::git_cmd::git_stdout(worktree, args);
    let Some(mut out) = git(&["diff", "HEAD", "--no-color"]) else {
        return "(no diff available; inspect with git_diff)".into();
    };
    let untracked = git(&["ls-files", "--others", "--exclude-standard", "-z"]).unwrap_or_default();
    for path in untracked.split('\0').filter(|p| !p.is_empty()) {
        if out.len() > HANDOFF_DIFF_MAX_CHARS {
            break;
        }
        let _ = writeln!(
            out,
            "diff --git a/{path} b/{path}\nnew file\n--- /dev/null\n+++ b/{path}"
        );
        match std::fs::read(worktree.join(path)) {
            Ok(bytes) if !bytes.contains(&0) => {
                for line in String::from_utf8_lossy(&bytes).lines() {
                    let _ = writeln!(out, "+{line}");
                }
            }
            Ok(_) => out.push_str("(binary file)\n"),
            Err(e) => {
                let _ = writeln!(out, "(unreadable: {e})");
            }
        }
    }
    if out.trim().is_empty() {
        return "(no changes)".into();
    }
    if out.chars().count() > HANDOFF_DIFF_MAX_CHARS {
        let mut cut: String = out.chars().take(HANDOFF_DIFF_MAX_CHARS).collect();
        cut.push_str("\n... [diff truncated; see git_diff for the rest]");
        return cut;
    }
    out
}

/// A reviewer's task: every dependency's landed diff, the plan's own guidance (the task
/// prompt, if any) and the verdict format.
fn review_request(spec: &AttemptSpec) -> String {
    let mut p = String::from(
        "Review the changes the dependencies of this task landed, for semantic correctness: \
         whether each one does what its task intended without breaking anything around it.\n",
    );
    if spec.dependency_changes.is_empty() {
        p.push_str("\nThis task has no dependencies; review the code the guidance below names.\n");
    }
    for d in &spec.dependency_changes {
        let _ = write!(p, "\n## {}", d.task);
        match &d.sha {
            Some(sha) => {
                let _ = writeln!(p, " (deployed at {sha})\n```diff\n{}\n```", d.diff);
            }
            None => {
                let _ = writeln!(p, "\n{}", d.diff);
            }
        }
    }
    if !spec.prompt.trim().is_empty() {
        let _ = writeln!(p, "\n## Additional review guidance\n{}", spec.prompt.trim());
    }
    let _ = write!(
        p,
        "\nWhen you are done, call done with the verdict as a JSON object and nothing else: \
         {{\"approved\": true|false, \"issues\": [\"...\"]}}."
    );
    p
}

/// Files of the worktree, source dir first, then tests, then the rest; hidden paths and
/// build/vendor directories skipped; capped by lines then characters.
pub fn repo_map(root: &Path, src_dir: &str, test_dir: &str, max_lines: u64) -> String {
    let mut files = Vec::new();
    walk(root, root, &mut files);
    let src = src_dir.trim_matches('/');
    let tests = test_dir.trim_matches('/');
    let group = |f: &String| {
        if !src.is_empty() && f.starts_with(&format!("{src}/")) {
            0
        } else if !tests.is_empty() && f.starts_with(&format!("{tests}/")) {
            1
        } else {
            2
        }
    };
    files.sort_by(|a, b| group(a).cmp(&group(b)).then(a.cmp(b)));
    if max_lines > 0 {
        files.truncate(max_lines as usize);
    }
    let mut out = String::new();
    for f in &files {
        if out.len() + f.len() + 1 > MAP_MAX_CHARS {
            out.push_str("... [repo map truncated for prompt budget]\n");
            break;
        }
        out.push_str(f);
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("(empty repository)\n");
    }
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.')
            || matches!(name.as_str(), "__pycache__" | "node_modules" | "target")
        {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        let path = e.path();
        if ft.is_dir() {
            walk(root, &path, out);
        } else if ft.is_file()
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().into_owned());
        }
        if out.len() > 20_000 {
            return;
        }
    }
}
