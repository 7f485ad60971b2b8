//! Property tests: random DAGs driven by random interleavings of effect results, crashes,
//! shutdowns and junk events. Invariants are checked after every single event.

use std::collections::BTreeSet;

use dgov_kernel::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    /// Resolve the pending effect at `pick % len` with an outcome chosen by `seed`.
    Resolve {
        pick: u8,
        seed: u8,
    },
    /// An arbitrary event about an arbitrary task (late, duplicate or nonsense).
    Junk {
        task: u8,
        kind: u8,
        attempt: u8,
    },
    /// The runner died; a new run window starts.
    Crash {
        mode: u8,
    },
    Shutdown,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (any::<u8>(), any::<u8>()).prop_map(|(pick, seed)| Step::Resolve { pick, seed }),
        1 => (any::<u8>(), any::<u8>(), 0u8..4).prop_map(|(task, kind, attempt)| Step::Junk { task, kind, attempt }),
        1 => (0u8..3).prop_map(|mode| Step::Crash { mode }),
        1 => Just(Step::Shutdown),
    ]
}

fn dag() -> impl Strategy<Value = (Vec<TaskSpec>, Option<usize>)> {
    (1usize..8).prop_flat_map(|n| {
        (
            proptest::collection::vec((any::<u8>(), 0u32..3), n),
            prop_oneof![Just(None), (1usize..4).prop_map(Some)],
        )
            .prop_map(move |(rows, cap)| {
                let tasks = rows
                    .iter()
                    .enumerate()
                    .map(|(i, (mask, retries))| TaskSpec {
                        id: format!("t{i}"),
                        depends_on: (0..i)
                            .filter(|j| mask & (1 << (j % 8)) != 0)
                            .map(|j| format!("t{j}"))
                            .collect(),
                        max_retries: *retries,
                        max_forks: 1,
                    })
                    .collect();
                (tasks, cap)
            })
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Effect {
    Dispatch(String, u32),
    Work(String, u32),
    Settle(String, u32),
    Merge(String, u32),
}

struct Sim {
    k: Kernel,
    specs: Vec<TaskSpec>,
    pending: Vec<Effect>,
    log: Vec<Event>,
    actions: Vec<Action>,
    merges: Vec<String>,
}

impl Sim {
    fn feed(&mut self, e: Event) {
        let before: Vec<TaskState> = self.k.tasks().map(|(_, s)| s.state).collect();
        let window = matches!(e, Event::RunStarted { .. } | Event::Decided { .. });
        self.log.push(e.clone());
        let acts = self.k.handle(e.clone());
        let after: Vec<TaskState> = self.k.tasks().map(|(_, s)| s.state).collect();

        // Terminal states are absorbing except for a new window or an explicit decision.
        if !window {
            for (i, (b, a)) in before.iter().zip(&after).enumerate() {
                if b.is_terminal() {
                    assert_eq!(b, a, "terminal task t{i} changed on {e:?}");
                }
            }
        }
        // Never two merges at once.
        assert!(
            after.iter().filter(|s| **s == TaskState::Merging).count() <= 1,
            "two merges at once"
        );
        // done iff every task is terminal; Done only when done.
        let all_terminal = after.iter().all(|s| s.is_terminal());
        assert_eq!(self.k.is_done(), all_terminal);
        for a in &acts {
            match a {
                Action::Dispatch { task, attempt } => {
                    for d in self.k.dependencies(task) {
                        assert_eq!(
                            self.k.state(d),
                            Some(TaskState::Merged),
                            "{task} dispatched before {d} merged"
                        );
                    }
                    self.pending.push(Effect::Dispatch(task.clone(), *attempt));
                }
                Action::Merge { task, attempt } => {
                    for d in self.k.dependencies(task) {
                        assert_eq!(
                            self.k.state(d),
                            Some(TaskState::Merged),
                            "{task} merging before {d} merged"
                        );
                    }
                    self.pending.push(Effect::Merge(task.clone(), *attempt));
                }
                Action::Settle { task, attempt } => {
                    self.pending.push(Effect::Settle(task.clone(), *attempt))
                }
                Action::Cancel { task, attempt } => self
                    .pending
                    .retain(|p| *p != Effect::Work(task.clone(), *attempt)),
                Action::Done(_) => assert!(all_terminal, "Done while not all terminal"),
                _ => {}
            }
        }
        if let Event::MergeFinished {
            task, error: None, ..
        } = &e
            && self.k.state(task) == Some(TaskState::Merged)
        {
            // Serial topological merges: every dependency landed earlier.
            let landed: BTreeSet<&String> = self.merges.iter().collect();
            let spec = self.specs.iter().find(|s| &s.id == task).unwrap();
            for d in &spec.depends_on {
                assert!(
                    landed.contains(d) || self.k.state(d) == Some(TaskState::Merged),
                    "{task} merged before {d}"
                );
            }
            self.merges.push(task.clone());
        }
        self.actions.extend(acts);
    }

    fn resolve(&mut self, idx: usize, seed: u8) {
        let eff = self.pending.remove(idx);
        let fail = seed.is_multiple_of(5);
        let ev = match eff {
            Effect::Dispatch(t, n) => {
                if seed.is_multiple_of(11) {
                    Event::DispatchFailed {
                        task: t,
                        attempt: n,
                        error: "no worktree".into(),
                    }
                } else {
                    self.pending.push(Effect::Work(t.clone(), n));
                    Event::Dispatched {
                        task: t,
                        attempt: n,
                    }
                }
            }
            Effect::Work(t, n) => Event::WorkerFinished {
                task: t,
                attempt: n,
                outcome: match seed % 7 {
                    0 => WorkerOutcome::TimedOut {
                        error: "timed out".into(),
                    },
                    1 => WorkerOutcome::Failed {
                        error: "x".into(),
                        retryable: seed.is_multiple_of(2),
                    },
                    3 => WorkerOutcome::Exhausted {
                        error: "out of turns".into(),
                    },
                    _ => WorkerOutcome::Succeeded,
                },
            },
            Effect::Settle(t, n) => Event::Settled {
                task: t,
                attempt: n,
                verdict: Verdict {
                    passed: !fail,
                    reason: "r".into(),
                    retryable: seed.is_multiple_of(3),
                    in_place: seed.is_multiple_of(2),
                    target: None,
                },
            },
            // Another merge landed after the verdict: settle again.
            Effect::Merge(t, n) if seed % 13 == 1 => Event::Stale {
                task: t,
                attempt: n,
                reason: "target moved".into(),
            },
            Effect::Merge(t, n) => Event::MergeFinished {
                task: t,
                attempt: n,
                error: fail.then(|| "conflict".into()),
            },
        };
        self.feed(ev);
    }
}

fn junk(specs: &[TaskSpec], task: u8, kind: u8, attempt: u8) -> Event {
    let t = if task as usize % (specs.len() + 1) == specs.len() {
        "nope".to_string()
    } else {
        specs[task as usize % specs.len()].id.clone()
    };
    let n = attempt as u32;
    match kind % 8 {
        7 => Event::Stale {
            task: t,
            attempt: n,
            reason: "j".into(),
        },
        0 => Event::Dispatched {
            task: t,
            attempt: n,
        },
        1 => Event::WorkerFinished {
            task: t,
            attempt: n,
            outcome: WorkerOutcome::Succeeded,
        },
        2 => Event::Settled {
            task: t,
            attempt: n,
            verdict: Verdict {
                passed: true,
                reason: "j".into(),
                retryable: false,
                in_place: false,
                target: None,
            },
        },
        3 => Event::MergeFinished {
            task: t,
            attempt: n,
            error: None,
        },
        4 => Event::DispatchFailed {
            task: t,
            attempt: n,
            error: "j".into(),
        },
        5 => Event::Decided {
            task: t,
            decision: [Decision::Retry, Decision::Fail, Decision::Skip][attempt as usize % 3],
        },
        _ => Event::WorkerFinished {
            task: t,
            attempt: n,
            outcome: WorkerOutcome::Failed {
                error: "j".into(),
                retryable: true,
            },
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn invariants_hold_under_random_interleavings_and_the_run_always_finishes(
        (specs, cap) in dag(),
        steps in proptest::collection::vec(step(), 0..80),
    ) {
        let k = Kernel::new(&specs, cap).unwrap();
        let mut sim = Sim { k, specs: specs.clone(), pending: vec![], log: vec![], actions: vec![], merges: vec![] };
        sim.feed(Event::RunStarted { mode: RunMode::Fresh, deployed: vec![] });
        for s in steps {
            match s {
                Step::Resolve { pick, seed } => {
                    if !sim.pending.is_empty() {
                        let idx = pick as usize % sim.pending.len();
                        sim.resolve(idx, seed);
                    }
                }
                Step::Junk { task, kind, attempt } => {
                    let e = junk(&specs, task, kind, attempt);
                    // Junk that happens to be exactly right is a legitimate event: keep the
                    // effect list in sync by dropping effects it resolved.
                    sim.pending.clear();
                    sim.feed(e);
                    sim.feed(Event::RunStarted { mode: RunMode::Fresh, deployed: vec![] });
                }
                Step::Crash { mode } => {
                    sim.pending.clear();
                    let mode = [RunMode::Fresh, RunMode::Continue, RunMode::Restart][mode as usize];
                    sim.feed(Event::RunStarted { mode, deployed: vec![] });
                }
                Step::Shutdown => sim.feed(Event::ShutdownRequested),
            }
        }
        // Liveness: resolving everything successfully, with --continue after stops, finishes
        // with every task merged.
        let mut guard = 0;
        loop {
            guard += 1;
            prop_assert!(guard < 5_000, "run did not finish");
            if sim.pending.is_empty() {
                if sim.k.tasks().all(|(_, s)| s.state == TaskState::Merged) {
                    break;
                }
                sim.feed(Event::RunStarted { mode: RunMode::Continue, deployed: vec![] });
                continue;
            }
            sim.resolve(0, 2);
        }
        prop_assert!(sim.k.is_done());
        prop_assert_eq!(sim.k.dag_state(), DagState::Completed);

        // Replay: folding the recorded log reproduces the state and every action.
        let (replayed, actions) = replay(&specs, cap, sim.log.clone()).unwrap();
        prop_assert_eq!(&replayed, &sim.k);
        prop_assert_eq!(&actions, &sim.actions);
    }
}
