//! `dgov watch [--plan NAME] [--all]`: stream the event log as it grows, one row per event.

use std::time::Duration;

use clap::Args;
use dgov_store::{Store, StoredEvent};

use crate::Globals;
use crate::cmd_run::project_root;
use crate::exit;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Stream this plan from the start of its latest run.
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,
    /// Stream every event from the beginning of the log.
    #[arg(long, conflicts_with = "plan")]
    pub all: bool,
    /// Print what is there and exit instead of following (for scripts and tests).
    #[arg(long, hide = true)]
    pub once: bool,
}

pub fn run(args: WatchArgs, g: &Globals) -> anyhow::Result<u8> {
    let root = project_root(&g.repo);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let mut store = None;
        let mut cursor: i64 = 0;
        let mut scope: Option<Option<String>> = None; // Some(None) = all plans
        if !g.json {
            println!("dgov watch (Ctrl-C to exit)");
        }
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = tokio::signal::ctrl_c() => {
                    if !g.json { println!("stopped watch"); }
                    return Ok(exit::SUCCESS);
                }
            }
            if store.is_none() {
                store = Store::open_read_only(&root)?;
            }
            let Some(s) = &store else {
                if args.once {
                    return Ok(exit::SUCCESS);
                }
                continue;
            };
            if scope.is_none() {
                let (sc, start) = infer_scope(s, &args)?;
                if !g.json {
                    match &sc {
                        Some(p) if args.plan.is_some() => println!("plan: {p}"),
                        Some(p) => println!("inferred plan: {p}"),
                        None if args.all => println!("all events"),
                        None => println!("live tail of all plans"),
                    }
                }
                scope = Some(sc);
                cursor = start;
            }
            let latest = s.latest_event_id()?;
            if latest < cursor {
                if !g.json {
                    println!("--- new store ---");
                }
                cursor = 0;
            }
            loop {
                let plan = scope.as_ref().and_then(|p| p.as_deref());
                let batch = s.events_after(cursor, plan, 500)?;
                if batch.is_empty() {
                    break;
                }
                for e in &batch {
                    render(e, g.json);
                    cursor = e.id;
                }
            }
            if args.once {
                return Ok(exit::SUCCESS);
            }
        }
    })
}

/// The plan to follow and the cursor to start from.
fn infer_scope(s: &Store, args: &WatchArgs) -> anyhow::Result<(Option<String>, i64)> {
    if let Some(p) = &args.plan {
        let start = s.latest_run(p)?.map_or(0, |r| (r.started_event - 1).max(0));
        return Ok((Some(p.clone()), start));
    }
    if args.all {
        return Ok((None, 0));
    }
    let view = s.status_view()?;
    let open: Vec<_> = view.runs.iter().filter(|r| r.is_open()).collect();
    if let [only] = open.as_slice() {
        return Ok((Some(only.plan.clone()), (only.started_event - 1).max(0)));
    }
    Ok((None, s.latest_event_id()?))
}

fn render(e: &StoredEvent, json: bool) {
    if json {
        println!("{}", serde_json::to_string(e).unwrap_or_default());
        return;
    }
    let time = e.ts.get(11..19).unwrap_or("");
    let d = &e.data;
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let n = |k: &str| d.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let (label, detail) = match e.kind.as_str() {
        "run_started" => ("▶ run", format!("{} ({})", e.plan, s("mode"))),
        "dispatched" => ("⚙ start", format!("attempt {}", n("attempt"))),
        "dispatch_failed" => ("✖ dispatch", s("error")),
        "worker_finished" => {
            let o = d.get("outcome").cloned().unwrap_or_default();
            match o.get("result").and_then(|r| r.as_str()) {
                Some("succeeded") => ("✓ worker", format!("attempt {} done", n("attempt"))),
                Some("timed_out") => (
                    "✖ TIMEOUT",
                    o.get("error").and_then(|x| x.as_str()).unwrap_or("").into(),
                ),
                _ => (
                    "✖ FAILED",
                    o.get("error").and_then(|x| x.as_str()).unwrap_or("").into(),
                ),
            }
        }
        "settled" => {
            let v = d.get("verdict").cloned().unwrap_or_default();
            let passed = v.get("passed").and_then(|p| p.as_bool()).unwrap_or(false);
            let reason = v
                .get("reason")
                .and_then(|r| r.as_str())
                .unwrap_or("")
                .to_string();
            if passed {
                ("✓ settled", reason)
            } else {
                ("✖ rejected", reason)
            }
        }
        "merge_finished" => match d.get("error").and_then(|x| x.as_str()) {
            Some(err) => ("✖ merge FAIL", err.to_string()),
            None => return, // the `merged` note carries the sha
        },
        "merged" => ("● merged", format!("{:.7}", s("sha"))),
        "retry" => (
            "⟳ retry",
            format!(
                "attempt {}{}: {}",
                n("next_attempt"),
                if d.get("fork").is_some_and(|v| v.is_u64()) {
                    format!(
                        " (fork {}/{} after iteration exhaustion)",
                        n("fork"),
                        n("max_forks")
                    )
                } else if d.get("in_place").and_then(|v| v.as_bool()) == Some(true) {
                    " (in place)".to_string()
                } else {
                    String::new()
                },
                s("reason").lines().next().unwrap_or("")
            ),
        ),
        "stale" => ("↻ stale", s("reason")),
        // One line per settlement phase, when it ends: its gates and their verdicts.
        "settlement_phase_started" => return,
        "settlement_phase_completed" => {
            let gates = d
                .get("gates")
                .and_then(|g| g.as_array())
                .map(|gs| {
                    gs.iter()
                        .map(|g| {
                            format!(
                                "{} {}{}",
                                g["gate"].as_str().unwrap_or("?"),
                                g["verdict"].as_str().unwrap_or("?"),
                                if g["cached"] == true { " (cached)" } else { "" }
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let label = match d.get("status").and_then(|v| v.as_str()) {
                Some("failed") => "✖ phase",
                Some("skipped") => "· phase",
                _ => "✓ phase",
            };
            (
                label,
                format!(
                    "{} {}{}",
                    s("phase"),
                    s("status"),
                    if gates.is_empty() {
                        String::new()
                    } else {
                        format!(": {gates}")
                    }
                ),
            )
        }
        "settlement_passed" => return, // the kernel's `settled` line says it
        "settlement_rejected" => return,
        "carry_failed" => ("⟳ fresh", s("error")),
        "reviewer_verdict" => (
            "☑ review",
            match d.get("approved").and_then(|a| a.as_bool()) {
                Some(true) => "approved".to_string(),
                Some(false) => format!("changes requested: {}", d["issues"]),
                None => s("summary"),
            },
        ),
        "skipped" => ("⤼ skipped", format!("blocked by {}", s("because"))),
        "task_abandoned" => ("✖ abandoned", s("reason")),
        "shutdown_requested" => ("■ shutdown", s("reason")),
        "anomaly" => ("? anomaly", s("detail")),
        "run_completed" => ("■ run", s("run_status")),
        other => (other, String::new()),
    };
    let task = e.task.as_deref().unwrap_or("");
    let detail = detail.lines().next().unwrap_or("").to_string();
    println!("{time}  {label:<12} {task:<28} │ {detail}");
}
