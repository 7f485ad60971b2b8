//! Review hooks: the project's `[project].review_hooks` commands, run one after another in
//! the tree under review during structural review (spec §1.1 step 6).
//!
//! Each hook has `{file}`/`{files}` replaced by the changed files that still exist (every
//! file, whatever its extension; shell-quoted for a shell command, one word each otherwise)
//! and runs with a 30 s timeout (config `timeout_s`). The first hook that exits non-zero or
//! times out fails the gate with `hook_failed`: `Review hook failed: <hook>` and its output.
//! A hook with a file placeholder and no file to give it is skipped (it would otherwise read
//! standard input or check nothing).

use dgov_sdk::gate::*;

use crate::{Config, RunResult};

/// The per-hook timeout when the configuration sets none.
pub const HOOK_TIMEOUT_S: u32 = 30;

/// The argv of one hook for `files`, or `None` when it needs files and there are none.
pub fn hook_argv(hook: &str, files: &[String]) -> Option<Vec<String>> {
    crate::build_argv(
        &Config {
            command: hook.to_owned(),
            ..Config::default()
        },
        files,
    )
}

/// The finding for a finished hook, or `None` when it passed.
pub fn judge_hook(hook: &str, run: &RunResult, timeout_s: u32) -> Option<Finding> {
    if !run.timed_out && run.exit == Some(0) {
        return None;
    }
    let mut msg = format!("Review hook failed: {hook}\n");
    if run.timed_out {
        msg.push_str(&format!("(timed out after {timeout_s}s)\n"));
    } else if run.exit.is_none() {
        msg.push_str("(killed by a signal)\n");
    }
    msg.push_str(crate::tail(&run.output, 4000));
    Some(Finding::error("hook_failed", msg.trim_end()))
}

/// Runs one argv with a timeout in seconds (the host's `exec`, or a fake in tests).
pub type Runner<'a> = &'a dyn Fn(&[String], u32) -> Result<RunResult, PluginError>;

/// Run every hook in order; stop at the first failure.
pub fn check(
    ctx: &GateContext,
    config: &Config,
    run: Runner<'_>,
) -> Result<GateReport, PluginError> {
    let files = crate::gated_files(ctx, &[]);
    let timeout = config.timeout_s.unwrap_or(HOOK_TIMEOUT_S);
    let (mut ran, mut skipped) = (0, 0);
    for hook in config.hooks.iter().filter(|h| !h.trim().is_empty()) {
        let Some(argv) = hook_argv(hook, &files) else {
            skipped += 1;
            continue;
        };
        let result = run(&argv, timeout)?;
        ran += 1;
        if let Some(f) = judge_hook(hook, &result, timeout) {
            let mut report = GateReport::from_findings(vec![f]);
            report.summary = format!("review hook `{hook}` failed");
            return Ok(report);
        }
    }
    let mut report = GateReport::pass(&format!(
        "{ran} review hook(s) passed{}",
        if skipped > 0 {
            format!(", {skipped} skipped (no changed file for their placeholder)")
        } else {
            String::new()
        }
    ));
    if ran == 0 {
        report.verdict = Verdict::Skip;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn ctx(files: &[(&str, ChangeKind)]) -> GateContext {
        GateContext {
            task: "t".into(),
            phase: Phase::StructuralReview,
            revs: dgov_sdk::types::Revs {
                base: "a".into(),
                head: "b".into(),
                target: None,
            },
            changed: files
                .iter()
                .map(|(p, k)| ChangedFile {
                    path: (*p).into(),
                    kind: *k,
                    old_path: None,
                    added_lines: vec![],
                })
                .collect(),
            claims: Claims {
                create: vec![],
                edit: vec![],
                delete: vec![],
                touch: vec![],
                read: vec![],
                enforced: false,
            },
            config_json: "{}".into(),
        }
    }

    fn hooks(h: &[&str]) -> Config {
        Config {
            kind: "review_hooks".into(),
            hooks: h.iter().map(|s| s.to_string()).collect(),
            ..Config::default()
        }
    }

    #[test]
    fn hooks_get_the_existing_changed_files_and_the_first_failure_wins() {
        let c = ctx(&[
            ("a b.txt", ChangeKind::Added),
            ("gone.txt", ChangeKind::Deleted),
        ]);
        let seen = RefCell::new(Vec::new());
        let run = |argv: &[String], t: u32| {
            seen.borrow_mut().push((argv.to_vec(), t));
            let failing = argv.iter().any(|a| a.contains("secret"));
            Ok(RunResult {
                exit: Some(if failing { 1 } else { 0 }),
                timed_out: false,
                output: "a b.txt:1: AKIA found\n".into(),
            })
        };
        let r = check(
            &c,
            &hooks(&[
                "check-size {files}",
                "grep -l secret {file} && exit 1",
                "never-run",
            ]),
            &run,
        )
        .unwrap();
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.findings[0].code, "hook_failed");
        assert_eq!(
            r.findings[0].message,
            "Review hook failed: grep -l secret {file} && exit 1\na b.txt:1: AKIA found"
        );
        let seen = seen.into_inner();
        assert_eq!(seen.len(), 2, "the hook after the failure does not run");
        assert_eq!(
            seen[0],
            (vec!["check-size".to_string(), "a b.txt".into()], 30)
        );
        assert_eq!(seen[1].0[2], "grep -l secret 'a b.txt' && exit 1");
    }

    #[test]
    fn a_timeout_fails_and_file_hooks_without_files_are_skipped() {
        let run = |_: &[String], _: u32| {
            Ok(RunResult {
                exit: None,
                timed_out: true,
                output: String::new(),
            })
        };
        let mut cfg = hooks(&["slow-check"]);
        cfg.timeout_s = Some(2);
        let r = check(&ctx(&[]), &cfg, &run).unwrap();
        assert_eq!(r.verdict, Verdict::Fail);
        assert!(r.findings[0].message.contains("timed out after 2s"));
        let r = check(
            &ctx(&[("x", ChangeKind::Deleted)]),
            &hooks(&["lint {file}"]),
            &run,
        )
        .unwrap();
        assert_eq!(r.verdict, Verdict::Skip);
        assert!(r.summary.contains("1 skipped"), "{}", r.summary);
    }
}
