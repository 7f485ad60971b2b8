//! `dgov status [--all]` (also bare `dgov`): which plans are running and where every task is.
//! Reads the store read-only; never creates `.dgov/`.

use std::collections::BTreeMap;

use clap::Args;
use dgov_store::{RunLock, StatusView, Store};
use serde_json::json;

use crate::Globals;
use crate::cmd_run::project_root;
use crate::exit;

#[derive(Debug, Args, Default)]
pub struct StatusArgs {
    /// Show every task ever recorded, not only those of runs in progress.
    #[arg(long)]
    pub all: bool,
}

/// States that count as "settling" (between worker done and landed).
const SETTLING: &[&str] = &["reviewing", "reviewed_pass", "merging"];
const TERMINAL: &[&str] = &["merged", "failed", "skipped", "abandoned", "timed_out"];

pub fn run(args: StatusArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = project_root(&g.repo);
    let view = match Store::open_read_only(&root) {
        Ok(Some(store)) => store.status_view(),
        Ok(None) => Ok(StatusView {
            runs: vec![],
            tasks: vec![],
            total_tasks: 0,
        }),
        Err(e) => Err(e),
    };
    let view = match view {
        Ok(v) => v,
        Err(e) => {
            if g.json {
                println!("{}", json!({"status": "error", "message": e.to_string()}));
            } else {
                println!("status: error");
                println!("message: {e}");
            }
            return Ok(exit::FAILURE);
        }
    };
    let runner_alive = RunLock::is_held(&root.join(".dgov"));
    let open: Vec<&dgov_store::RunRecord> = view.runs.iter().filter(|r| r.is_open()).collect();
    let live_plans: Vec<&str> = open.iter().map(|r| r.plan.as_str()).collect();
    let live: Vec<&dgov_store::TaskRow> = view
        .tasks
        .iter()
        .filter(|t| live_plans.contains(&t.plan.as_str()))
        .collect();
    let status = if open.is_empty() {
        "idle"
    } else if runner_alive {
        "active"
    } else {
        // A run window was opened and never closed, and no runner holds the lock: it died.
        "interrupted"
    };
    let count = |pred: &dyn Fn(&str) -> bool| live.iter().filter(|t| pred(&t.state)).count();
    let active = count(&|s| s == "active");
    let settling = count(&|s| SETTLING.contains(&s));
    let pending = count(&|s| s == "pending");
    let mut state_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &live {
        *state_counts.entry(t.state.as_str()).or_default() += 1;
    }
    let visible: Vec<&dgov_store::TaskRow> = if args.all {
        view.tasks.iter().collect()
    } else {
        live.clone()
    };
    if g.json {
        let doc = json!({
            "status": status,
            "tasks": view.total_tasks,
            "active": active,
            "settling": settling,
            "pending": pending,
            "state_counts": state_counts,
            "runs": open.iter().map(|r| json!({
                "plan": r.plan, "run_id": r.id, "mode": r.mode, "pid": r.pid, "started": r.started_ts,
                "alive": runner_alive,
            })).collect::<Vec<_>>(),
            "task_list": visible.iter().map(|t| json!({
                "plan": t.plan, "slug": t.task, "state": t.state, "attempt": t.attempt,
                "updated": t.updated_ts, "error": t.error,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(exit::SUCCESS);
    }
    println!("status: {status}");
    println!("tasks: {} total", view.total_tasks);
    println!("active: {active}");
    if settling > 0 {
        println!("settling: {settling}");
    }
    if pending > 0 {
        println!("pending: {pending}");
    }
    for r in &open {
        let since = dgov_store::time::epoch_from_iso(&r.started_ts)
            .map(|t| format!(", {:.0}s ago", (dgov_store::time::now_epoch() - t).max(0.0)))
            .unwrap_or_default();
        println!(
            "run: {} (#{}, {}, pid {}{since})",
            r.plan, r.id, r.mode, r.pid
        );
    }
    if status == "interrupted" {
        println!(
            "hint: the run died without finishing; `dgov run <plan-dir>` reports what was abandoned, `--continue` finishes it"
        );
    }
    if visible.is_empty() {
        if !args.all {
            println!("(no live tasks — use --all to show history)");
        }
        return Ok(exit::SUCCESS);
    }
    println!("tasks:");
    let multi_plan = visible.iter().any(|t| t.plan != visible[0].plan);
    for t in visible {
        let label = if multi_plan {
            format!("{}:{}", t.plan, t.task)
        } else {
            t.task.clone()
        };
        let attempt = if t.attempt > 1 {
            format!("  (attempt {})", t.attempt)
        } else {
            String::new()
        };
        let err = match (
            &t.error,
            TERMINAL.contains(&t.state.as_str()) && t.state != "merged",
        ) {
            (Some(e), true) => format!("  — {}", e.lines().next().unwrap_or("")),
            _ => String::new(),
        };
        println!("  {:<14}  {label}{attempt}{err}", t.state);
    }
    Ok(exit::SUCCESS)
}
