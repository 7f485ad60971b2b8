//! What the worker is told, by role and on retries: a researcher is read-only, stops at two
//! or three decisive pieces of evidence and finishes with a short prose finding; a reviewer is
//! shown each dependency's landed diff and asked for the JSON verdict; a retry gets the
//! rejection, every finding of the gate that blocked (from the settlement evidence file), and
//! whether its previous work is still in the worktree.

mod support;

use std::path::Path;

use dgov_runner::RetryContext;
use dgov_worker::prompt::{system_prompt, user_message};
use dgov_worker::spec::{AttemptSpec, DependencyChange, Role};
use dgov_worker::subprocess::retry_context;
use support::spec::attempt_spec;

fn spec(context: Option<String>, in_place: bool) -> AttemptSpec {
    AttemptSpec {
        attempt: 2,
        prompt: "Add the endpoint.".into(),
        exec_allow: vec![],
        retry_context: context,
        retry_in_place: in_place,
        ..attempt_spec(Path::new("."))
    }
}

fn as_role(role: Role) -> AttemptSpec {
    let mut s = spec(None, false);
    s.role = role;
    s.claims.read = vec!["src/api.rs".into()];
    s
}

#[test]
fn a_researcher_prompt_is_read_only_evidence_first_and_asks_for_a_short_finding() {
    let p = system_prompt(&as_role(Role::Researcher), "src/api.rs\n");
    assert!(p.starts_with("[DGOV_READ_ONLY_PROMPT_RS_1]"), "{p}");
    assert!(p.contains("You are a dgov researcher"), "{p}");
    assert!(p.contains("read-only") && p.contains("thrown away"), "{p}");
    assert!(
        p.contains("two or three decisive pieces of evidence"),
        "{p}"
    );
    assert!(
        p.contains("at most 120 words") && p.contains("plain-prose"),
        "{p}"
    );
    assert!(p.contains("paths of interest: src/api.rs"), "{p}");
    assert!(!p.contains("you may write"), "no write scope: {p}");
    assert!(
        !p.contains("edit_file"),
        "no writing tool is suggested: {p}"
    );
    // A worker's prompt is unchanged by the role machinery.
    let w = system_prompt(&spec(None, false), "src/api.rs\n");
    assert!(w.starts_with("[DGOV_WORKER_PROMPT_RS_1]") && w.contains("you may write"));
    // A researcher's task is its prompt.
    assert_eq!(
        user_message(&as_role(Role::Researcher)),
        "Add the endpoint."
    );
}

#[test]
fn a_reviewer_sees_every_dependency_diff_the_guidance_and_the_verdict_format() {
    let mut s = as_role(Role::Reviewer);
    s.dependency_changes = vec![
        DependencyChange {
            task: "work/tasks.api".into(),
            sha: Some("abc123".into()),
            diff: "+fn endpoint() {}".into(),
        },
        DependencyChange {
            task: "work/tasks.docs".into(),
            sha: None,
            diff: "No deploy record found.".into(),
        },
    ];
    let m = user_message(&s);
    assert!(m.starts_with("Review the changes"), "{m}");
    assert!(m.contains("semantic correctness"), "{m}");
    assert!(
        m.contains("## work/tasks.api (deployed at abc123)\n```diff\n+fn endpoint() {}\n```"),
        "{m}"
    );
    assert!(
        m.contains("## work/tasks.docs\nNo deploy record found."),
        "{m}"
    );
    assert!(
        m.contains("## Additional review guidance\nAdd the endpoint."),
        "{m}"
    );
    assert!(
        m.contains(r#"{"approved": true|false, "issues": ["..."]}"#),
        "{m}"
    );
    let p = system_prompt(&s, "");
    assert!(
        p.contains("You are a dgov reviewer") && p.contains("read-only"),
        "{p}"
    );
    assert!(p.contains("only the JSON verdict"), "{p}");
    // A retried review keeps the review request inside the retry wrapper.
    s.retry_context = Some("worker exited 1".into());
    let m = user_message(&s);
    assert!(
        m.contains("PREVIOUS ATTEMPT") && m.contains("(deployed at abc123)"),
        "{m}"
    );
}

#[test]
fn the_retry_context_lists_every_finding_of_the_blocking_gates_with_locations() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("t-a1.settlement.json");
    let findings: Vec<serde_json::Value> = (1..=45)
        .map(|i| {
            serde_json::json!({"code": "lint", "severity": "error", "message": format!("unused variable x{i}"),
                "locations": [{"path": "src/a.rs", "line": i}], "attributable": true})
        })
        .collect();
    std::fs::write(
        &evidence,
        serde_json::json!({"gates": [
            {"gate": "scope", "blocking": false, "findings": [{"code": "ok", "message": "not shown", "locations": []}]},
            {"gate": "lint", "blocking": true, "findings": findings},
        ]})
        .to_string(),
    )
    .unwrap();
    let text = retry_context(&RetryContext {
        previous_attempt: 1,
        reason: "settlement rejected: lint: 45 findings".into(),
        in_place: true,
        fork: false,
        evidence: Some(evidence),
    });
    assert!(
        text.starts_with("settlement rejected: lint: 45 findings"),
        "{text}"
    );
    assert!(
        text.contains("- [lint] lint: unused variable x1 at src/a.rs:1"),
        "{text}"
    );
    assert!(
        text.contains("unused variable x40 at src/a.rs:40"),
        "{text}"
    );
    assert!(!text.contains("x41 "), "capped at 40: {text}");
    assert!(text.contains("… and 5 more"), "{text}");
    assert!(!text.contains("not shown"), "passing gates are not listed");
    // No evidence file: the reason alone.
    let text = retry_context(&RetryContext {
        previous_attempt: 1,
        reason: "worker exited 1".into(),
        in_place: false,
        fork: false,
        evidence: Some(dir.path().join("missing.json")),
    });
    assert_eq!(text, "worker exited 1");
}

#[test]
fn an_in_place_retry_is_told_its_work_is_still_there_and_a_fresh_one_to_redo_it() {
    let m = user_message(&spec(Some("tests_failed: boom".into()), true));
    assert!(
        m.contains("REJECTED BY SETTLEMENT") && m.contains("tests_failed: boom"),
        "{m}"
    );
    assert!(
        m.contains("still in the worktree") && m.contains("do not start over"),
        "{m}"
    );
    assert!(m.ends_with("Add the endpoint."), "{m}");
    let m = user_message(&spec(Some("worker exited 1".into()), false));
    assert!(m.contains("starts from the target branch again"), "{m}");
    assert_eq!(user_message(&spec(None, false)), "Add the endpoint.");
}

#[test]
fn a_fork_is_handed_the_unfinished_work_as_a_diff_and_the_original_task() {
    // An exhausted attempt's state, carried: one tracked file edited, one new file written.
    let dir = support::toolbox::repo_with(&[("src/api.rs", "fn old() {}\n")]);
    support::toolbox::write_files(
        dir.path(),
        &[
            ("src/api.rs", "fn old() {}\nfn endpoint() {}\n"),
            ("src/new.rs", "pub fn half_done() {\n"),
        ],
    );
    let mut s = spec(
        Some("Exceeded max iterations (5). Worktree diff summary at exhaustion:\n...".into()),
        true,
    );
    s.worktree = dir.path().to_path_buf();
    s.retry_fork = true;
    let m = user_message(&s);
    assert!(
        m.starts_with("HANDOFF: attempt 1 ran out of its iteration budget"),
        "{m}"
    );
    assert!(
        m.contains("already in this worktree, uncommitted")
            && m.contains("Do not start from scratch"),
        "{m}"
    );
    assert!(
        m.contains("git_diff") && m.contains("check_syntax") && m.contains("run_tests"),
        "{m}"
    );
    // The diff so far: the edit of the tracked file and the whole new file.
    assert!(
        m.contains("```diff\n") && m.contains("+fn endpoint() {}"),
        "{m}"
    );
    assert!(
        m.contains("+++ b/src/new.rs") && m.contains("+pub fn half_done() {"),
        "{m}"
    );
    assert!(m.ends_with("ORIGINAL TASK:\nAdd the endpoint."), "{m}");
    // Not the settlement retry's wording.
    assert!(!m.contains("REJECTED BY SETTLEMENT"), "{m}");

    // Nothing was carried (the attempt changed nothing): the fork is told it starts clean.
    s.retry_in_place = false;
    let m = user_message(&s);
    assert!(
        m.contains("ran out of its iteration budget") && m.contains("starts clean"),
        "{m}"
    );
    assert!(!m.contains("```diff"), "{m}");
    assert!(m.ends_with("ORIGINAL TASK:\nAdd the endpoint."), "{m}");
}

#[test]
fn a_long_handoff_diff_is_capped_and_points_at_git_diff() {
    let dir = support::toolbox::repo_with(&[("README", "x\n")]);
    let big = "let x = 1;\n".repeat(5_000);
    support::toolbox::write_files(dir.path(), &[("src/big.rs", big.as_str())]);
    let d = dgov_worker::prompt::worktree_diff(dir.path());
    assert!(d.chars().count() < 12_200, "{}", d.len());
    assert!(d.ends_with("see git_diff for the rest]"), "{d}");
    // A clean worktree has nothing to show.
    let clean = support::toolbox::repo_with(&[("README", "x\n")]);
    assert_eq!(
        dgov_worker::prompt::worktree_diff(clean.path()),
        "(no changes)"
    );
}
