//! A settlement rejection reaches the model: the real worker subprocess, the scripted
//! OpenAI-compatible server and a settlement that rejects the first attempt in place. The
//! retry's first message carries the rejection and every finding from the evidence file, and
//! says the previous work is still in the worktree — which the model then finds there.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dgov_kernel::Verdict;
use dgov_runner::{BoxFuture, SettleCtx, Settlement, evidence_path};
use serde_json::json;
use support::*;

/// Rejects the first attempt of every task (a failing test, with one finding in the evidence
/// file, as the gate pipeline writes it); accepts the rest. Remembers the worktree contents
/// each settlement saw.
#[derive(Default)]
struct RejectOnce {
    seen: Mutex<Vec<(u32, Option<String>)>>,
}

impl Settlement for RejectOnce {
    fn settle(&self, ctx: SettleCtx) -> BoxFuture<Verdict> {
        let out = std::fs::read_to_string(ctx.worktree.join("src/out.txt")).ok();
        self.seen.lock().unwrap().push((ctx.attempt, out));
        let v = if ctx.attempt == 1 {
            let path = evidence_path(&ctx.root, &ctx.plan, &ctx.task.id, ctx.attempt);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let outcome = json!({"passed": false, "gates": [{"gate": "tests", "blocking": true,
                "findings": [{"code": "tests_failed", "severity": "error",
                    "message": "expected a second line in src/out.txt",
                    "locations": [{"path": "src/out.txt", "line": 2}], "attributable": true}]}]});
            std::fs::write(path, outcome.to_string()).unwrap();
            Verdict {
                in_place: true,
                ..Verdict::reject("tests_failed: isolated gate `tests` rejected", true)
            }
        } else {
            Verdict::accept()
        };
        Box::pin(async move { v })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_place_retry_tells_the_model_why_and_it_finds_its_previous_work() {
    // The same script plays for both attempts: append a line, then finish. In place, the
    // second attempt's append lands after the first one's.
    let script = vec![
        call("run_bash", json!({"cmd": "echo line >> src/out.txt"})),
        call("done", json!({"summary": "appended a line"})),
    ];
    let server = serve(HashMap::from([("a".to_string(), script)]), Fault::None).await;
    let repo = repo(&server.url);
    std::fs::write(
        repo.path().join(".dgov/project.toml"),
        std::fs::read_to_string(repo.path().join(".dgov/project.toml")).unwrap()
            + "\n[tool_policy]\nrestrict_run_bash = false\n",
    )
    .unwrap();
    let dir = write_plan(repo.path(), "p", &[("a", &[], &["src/out.txt"], &[])]);
    let settlement = Arc::new(RejectOnce::default());
    let report = run_settled(repo.path(), &dir, settlement.clone(), |_| {}).await;
    assert_eq!(report.merged_now.len(), 1, "{report:?}");

    let seen = server.stats.lock().unwrap().seen.clone();
    let firsts: Vec<&Seen> = seen.iter().filter(|s| s.task == "a").collect();
    let retry = firsts
        .iter()
        .find(|s| s.user.contains("REJECTED BY SETTLEMENT"))
        .unwrap_or_else(|| panic!("no retry message among {firsts:#?}"));
    assert!(
        retry
            .user
            .contains("tests_failed: isolated gate `tests` rejected"),
        "{}",
        retry.user
    );
    assert!(
        retry.user.contains(
            "- [tests] tests_failed: expected a second line in src/out.txt at src/out.txt:2"
        ),
        "{}",
        retry.user
    );
    assert!(
        retry.user.contains("still in the worktree"),
        "{}",
        retry.user
    );
    // What settlement saw: one line after the first attempt, two after the in-place retry.
    let judged = settlement.seen.lock().unwrap().clone();
    assert_eq!(
        judged,
        vec![
            (1, Some("line\n".to_string())),
            (2, Some("line\nline\n".to_string()))
        ]
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("src/out.txt")).unwrap(),
        "line\nline\n"
    );
}
