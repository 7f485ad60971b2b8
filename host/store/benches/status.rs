//! Benchmark: `dgov status` (open the store read-only and build the status view) on a store
//! holding 1,000,000 events. Budget: under 50 ms. Run with `cargo bench -p dgov-store`.

use std::time::Instant;

use dgov_kernel::{Event, RunMode, TaskState, WorkerOutcome};
use dgov_store::{Store, TaskUpdate};

const EVENTS: usize = 1_000_000;
const PLANS: usize = 50;
const TASKS_PER_PLAN: usize = 40;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut store = Store::open(root).unwrap();
    let t0 = Instant::now();
    let mut n = 0usize;
    store
        .with_transaction(|s| {
            let mut p = 0;
            while n < EVENTS {
                let plan = format!("plan-{}", p % PLANS);
                let run = s.begin_run(&plan, RunMode::Fresh, 1).unwrap();
                s.append_kernel(
                    &plan,
                    run,
                    &Event::RunStarted {
                        mode: RunMode::Fresh,
                        deployed: vec![],
                    },
                    &[],
                    true,
                )?;
                n += 1;
                for t in 0..TASKS_PER_PLAN {
                    let task = format!("tasks/main.t{t:03}");
                    for attempt in 1..=2u32 {
                        let ev = Event::Dispatched {
                            task: task.clone(),
                            attempt,
                        };
                        let up = TaskUpdate {
                            task: task.clone(),
                            state: TaskState::Active,
                            attempt,
                            error: None,
                        };
                        s.append_kernel(&plan, run, &ev, &[up], false)?;
                        for k in 0..8 {
                            s.append_note(
                                &plan,
                                Some(run),
                                Some(&task),
                                "worker_log",
                                &serde_json::json!({"line": k}),
                            )?;
                        }
                        let ev = Event::WorkerFinished {
                            task: task.clone(),
                            attempt,
                            outcome: WorkerOutcome::Succeeded,
                        };
                        let up = TaskUpdate {
                            task: task.clone(),
                            state: TaskState::Reviewing,
                            attempt,
                            error: None,
                        };
                        s.append_kernel(&plan, run, &ev, &[up], false)?;
                        n += 10;
                    }
                }
                if p + PLANS < EVENTS / (TASKS_PER_PLAN * 20) {
                    s.end_run(run, "complete")?;
                }
                p += 1;
            }
            Ok(())
        })
        .unwrap();
    let fill = t0.elapsed();
    drop(store);

    let mut samples = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let store = Store::open_read_only(root).unwrap().unwrap();
        let view = store.status_view().unwrap();
        assert_eq!(view.total_tasks, PLANS * TASKS_PER_PLAN);
        samples.push(t.elapsed());
    }
    samples.sort();
    let events = Store::open_read_only(root)
        .unwrap()
        .unwrap()
        .latest_event_id()
        .unwrap();
    println!("| benchmark | value |");
    println!("|---|---|");
    println!("| events in store | {events} |");
    println!("| fill time | {:.1} s |", fill.as_secs_f64());
    println!(
        "| status (open + view), min | {:.2} ms |",
        samples[0].as_secs_f64() * 1e3
    );
    println!(
        "| status (open + view), median | {:.2} ms |",
        samples[samples.len() / 2].as_secs_f64() * 1e3
    );
    println!(
        "| status (open + view), max | {:.2} ms |",
        samples[samples.len() - 1].as_secs_f64() * 1e3
    );
    println!("| budget | 50 ms |");
}
