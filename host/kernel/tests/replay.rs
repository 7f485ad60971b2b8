//! Replay: a recorded event log (JSON lines, as the store keeps it) folds into the same state
//! and the same actions as the live run that produced it.

use dgov_kernel::*;

fn specs() -> Vec<TaskSpec> {
    vec![
        TaskSpec {
            id: "tasks/main.a".into(),
            depends_on: vec![],
            max_retries: 1,
            max_forks: 1,
        },
        TaskSpec {
            id: "tasks/main.b".into(),
            depends_on: vec!["tasks/main.a".into()],
            max_retries: 0,
            max_forks: 1,
        },
        TaskSpec {
            id: "tasks/main.c".into(),
            depends_on: vec![],
            max_retries: 0,
            max_forks: 1,
        },
    ]
}

const LOG: &str = r#"{"kind":"run_started","mode":"fresh","deployed":[]}
{"kind":"dispatched","task":"tasks/main.a","attempt":1}
{"kind":"dispatched","task":"tasks/main.c","attempt":1}
{"kind":"worker_finished","task":"tasks/main.a","attempt":1,"outcome":{"result":"failed","error":"exit 1","retryable":true}}
{"kind":"dispatched","task":"tasks/main.a","attempt":2}
{"kind":"worker_finished","task":"tasks/main.c","attempt":1,"outcome":{"result":"succeeded"}}
{"kind":"settled","task":"tasks/main.c","attempt":1,"verdict":{"passed":true,"reason":"accepted"}}
{"kind":"worker_finished","task":"tasks/main.a","attempt":2,"outcome":{"result":"succeeded"}}
{"kind":"settled","task":"tasks/main.a","attempt":2,"verdict":{"passed":true,"reason":"accepted"}}
{"kind":"merge_finished","task":"tasks/main.c","attempt":1,"error":null}
{"kind":"shutdown_requested"}
{"kind":"run_started","mode":"fresh","deployed":["tasks/main.c"]}
"#;

fn parse(log: &str) -> Vec<Event> {
    log.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn live_run_and_replay_of_its_log_agree_on_state_and_actions() {
    let mut live = Kernel::new(&specs(), None).unwrap();
    let mut live_actions = Vec::new();
    for e in parse(LOG) {
        live_actions.extend(live.handle(e));
    }
    let (replayed, actions) = replay(&specs(), None, parse(LOG)).unwrap();
    assert_eq!(replayed, live);
    assert_eq!(actions, live_actions);
}

#[test]
fn recorded_crash_log_replays_to_the_expected_recovery() {
    let (k, actions) = replay(&specs(), None, parse(LOG)).unwrap();
    // a's merge had started when the run stopped; the merge never reported back, so the next
    // window abandons it (never waits on it) and b is skipped behind it.
    assert_eq!(k.state("tasks/main.a"), Some(TaskState::Abandoned));
    assert_eq!(k.state("tasks/main.b"), Some(TaskState::Skipped));
    assert_eq!(k.state("tasks/main.c"), Some(TaskState::Merged));
    assert_eq!(k.status("tasks/main.a").unwrap().attempt, 2);
    let merges: Vec<_> = actions
        .iter()
        .filter(|a| matches!(a, Action::Merge { .. }))
        .collect();
    assert_eq!(
        merges,
        vec![
            &Action::Merge {
                task: "tasks/main.c".into(),
                attempt: 1
            },
            &Action::Merge {
                task: "tasks/main.a".into(),
                attempt: 2
            },
        ]
    );
    let Some(Action::Done(summary)) = actions.last() else {
        panic!("no done: {actions:?}")
    };
    assert_eq!(summary.status, DagState::Partial);
    assert_eq!(summary.abandoned, vec!["tasks/main.a".to_string()]);

    // --continue then runs a (attempt 3) again.
    let mut k = k;
    let acts = k.handle(Event::RunStarted {
        mode: RunMode::Continue,
        deployed: vec!["tasks/main.c".into()],
    });
    assert_eq!(
        acts,
        vec![Action::Dispatch {
            task: "tasks/main.a".into(),
            attempt: 3
        }]
    );
}
