//! Table tests of every kernel transition: feed events, assert the exact actions and states.

use dgov_kernel::*;

fn spec(id: &str, deps: &[&str], retries: u32) -> TaskSpec {
    TaskSpec {
        id: id.into(),
        depends_on: deps.iter().map(|d| d.to_string()).collect(),
        max_retries: retries,
        max_forks: 1,
    }
}

fn kernel(tasks: &[TaskSpec]) -> Kernel {
    Kernel::new(tasks, None).unwrap()
}

fn start(k: &mut Kernel) -> Vec<Action> {
    k.handle(Event::RunStarted {
        mode: RunMode::Fresh,
        deployed: vec![],
    })
}

fn dispatch(t: &str, n: u32) -> Action {
    Action::Dispatch {
        task: t.into(),
        attempt: n,
    }
}
fn cleanup(t: &str, n: u32) -> Action {
    Action::Cleanup {
        task: t.into(),
        attempt: n,
    }
}
fn dispatched(t: &str, n: u32) -> Event {
    Event::Dispatched {
        task: t.into(),
        attempt: n,
    }
}
fn ok(t: &str, n: u32) -> Event {
    Event::WorkerFinished {
        task: t.into(),
        attempt: n,
        outcome: WorkerOutcome::Succeeded,
    }
}
fn failed(t: &str, n: u32, retryable: bool) -> Event {
    Event::WorkerFinished {
        task: t.into(),
        attempt: n,
        outcome: WorkerOutcome::Failed {
            error: "boom".into(),
            retryable,
        },
    }
}
fn settled(t: &str, n: u32, passed: bool) -> Event {
    Event::Settled {
        task: t.into(),
        attempt: n,
        verdict: Verdict {
            passed,
            reason: if passed {
                "accepted"
            } else {
                "scope_violation"
            }
            .into(),
            retryable: false,
            in_place: false,
            target: None,
        },
    }
}
fn merged(t: &str, n: u32) -> Event {
    Event::MergeFinished {
        task: t.into(),
        attempt: n,
        error: None,
    }
}
fn is_anomaly(actions: &[Action]) -> bool {
    matches!(actions, [Action::Anomaly(_)])
}

/// Drive `t` (attempt n) from dispatch request to reviewed_pass, returning the settle actions.
fn to_reviewed(k: &mut Kernel, t: &str, n: u32) -> Vec<Action> {
    assert_eq!(k.handle(dispatched(t, n)), vec![]);
    assert_eq!(
        k.handle(ok(t, n)),
        vec![Action::Settle {
            task: t.into(),
            attempt: n
        }]
    );
    k.handle(settled(t, n, true))
}

#[test]
fn start_dispatches_exactly_the_ready_roots_in_merge_order() {
    let mut k = kernel(&[spec("c", &["a"], 0), spec("b", &[], 0), spec("a", &[], 0)]);
    assert_eq!(k.dag_state(), DagState::Idle);
    assert_eq!(start(&mut k), vec![dispatch("a", 1), dispatch("b", 1)]);
    assert_eq!(k.merge_order(), vec!["a", "b", "c"]);
    assert!(k.status("a").unwrap().requested);
    assert_eq!(k.dag_state(), DagState::Running);
}

#[test]
fn happy_path_goes_pending_active_reviewing_merging_merged_with_one_done() {
    let mut k = kernel(&[spec("a", &[], 0)]);
    start(&mut k);
    assert_eq!(k.handle(dispatched("a", 1)), vec![]);
    assert_eq!(k.state("a"), Some(TaskState::Active));
    assert_eq!(
        k.handle(ok("a", 1)),
        vec![Action::Settle {
            task: "a".into(),
            attempt: 1
        }]
    );
    assert_eq!(k.state("a"), Some(TaskState::Reviewing));
    assert_eq!(
        k.handle(settled("a", 1, true)),
        vec![Action::Merge {
            task: "a".into(),
            attempt: 1
        }]
    );
    assert_eq!(k.state("a"), Some(TaskState::Merging));
    let acts = k.handle(merged("a", 1));
    assert_eq!(acts.len(), 2);
    assert_eq!(acts[0], cleanup("a", 1));
    let Action::Done(s) = &acts[1] else {
        panic!("expected done, got {acts:?}")
    };
    assert_eq!(s.status, DagState::Completed);
    assert_eq!(s.merged, vec!["a".to_string()]);
    assert!(k.is_done());
    // Done is emitted once per window: a late event yields an anomaly and no second Done.
    let late = k.handle(merged("a", 1));
    assert!(is_anomaly(&late), "{late:?}");
}

#[test]
fn dependent_is_dispatched_only_after_its_dependency_merged() {
    let mut k = kernel(&[spec("a", &[], 0), spec("b", &["a"], 0)]);
    assert_eq!(start(&mut k), vec![dispatch("a", 1)]);
    assert_eq!(
        to_reviewed(&mut k, "a", 1),
        vec![Action::Merge {
            task: "a".into(),
            attempt: 1
        }]
    );
    assert_eq!(
        k.handle(merged("a", 1)),
        vec![cleanup("a", 1), dispatch("b", 1)]
    );
}

#[test]
fn only_one_task_merges_at_a_time_and_the_next_follows_in_topological_order() {
    let mut k = kernel(&[spec("a", &[], 0), spec("b", &[], 0)]);
    start(&mut k);
    // b is reviewed first: it takes the free merge slot (no head-of-line blocking on a).
    assert_eq!(
        to_reviewed(&mut k, "b", 1),
        vec![Action::Merge {
            task: "b".into(),
            attempt: 1
        }]
    );
    // a is reviewed while b merges: it waits.
    assert_eq!(to_reviewed(&mut k, "a", 1), vec![]);
    assert_eq!(k.state("a"), Some(TaskState::ReviewedPass));
    assert_eq!(
        k.handle(merged("b", 1)),
        vec![
            cleanup("b", 1),
            Action::Merge {
                task: "a".into(),
                attempt: 1
            }
        ]
    );
}

#[test]
fn failed_merge_fails_the_task_skips_dependents_and_the_next_merge_proceeds() {
    let mut k = kernel(&[spec("a", &[], 0), spec("b", &[], 0), spec("c", &["a"], 0)]);
    start(&mut k);
    to_reviewed(&mut k, "a", 1);
    to_reviewed(&mut k, "b", 1);
    let acts = k.handle(Event::MergeFinished {
        task: "a".into(),
        attempt: 1,
        error: Some("conflict".into()),
    });
    assert_eq!(
        acts,
        vec![
            cleanup("a", 1),
            Action::Skip {
                task: "c".into(),
                because: "a".into()
            },
            Action::Merge {
                task: "b".into(),
                attempt: 1
            },
        ]
    );
    assert_eq!(k.state("a"), Some(TaskState::Failed));
    assert_eq!(k.state("c"), Some(TaskState::Skipped));
}

#[test]
fn retryable_failure_with_budget_goes_back_to_pending_and_redispatches_next_attempt() {
    let mut k = kernel(&[spec("a", &[], 1)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    let acts = k.handle(failed("a", 1, true));
    assert_eq!(
        acts,
        vec![
            cleanup("a", 1),
            Action::Retry {
                task: "a".into(),
                next_attempt: 2,
                reason: "boom".into(),
                in_place: false,
                fork: false,
            },
            dispatch("a", 2),
        ]
    );
    assert_eq!(k.state("a"), Some(TaskState::Pending));
    // Budget exhausted on the second failure.
    k.handle(dispatched("a", 2));
    let acts = k.handle(failed("a", 2, true));
    assert_eq!(acts[0], cleanup("a", 2));
    assert!(matches!(acts.last(), Some(Action::Done(s)) if s.status == DagState::Failed));
    assert_eq!(k.state("a"), Some(TaskState::Failed));
    assert_eq!(k.status("a").unwrap().last_error.as_deref(), Some("boom"));
}

#[test]
fn non_retryable_failure_fails_at_once_even_with_budget_left() {
    let mut k = kernel(&[spec("a", &[], 3)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(failed("a", 1, false));
    assert_eq!(k.state("a"), Some(TaskState::Failed));
}

#[test]
fn timeout_without_budget_ends_timed_out() {
    let mut k = kernel(&[spec("a", &[], 0)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(Event::WorkerFinished {
        task: "a".into(),
        attempt: 1,
        outcome: WorkerOutcome::TimedOut {
            error: "timed out after 1s".into(),
        },
    });
    assert_eq!(k.state("a"), Some(TaskState::TimedOut));
    assert_eq!(k.dag_state(), DagState::Failed);
}

#[test]
fn dispatch_failure_fails_only_that_task_and_its_sibling_still_merges() {
    let mut k = kernel(&[spec("a", &[], 2), spec("b", &[], 0), spec("c", &["a"], 0)]);
    start(&mut k);
    let acts = k.handle(Event::DispatchFailed {
        task: "a".into(),
        attempt: 1,
        error: "no worktree".into(),
    });
    assert_eq!(
        acts,
        vec![
            cleanup("a", 1),
            Action::Skip {
                task: "c".into(),
                because: "a".into()
            }
        ]
    );
    to_reviewed(&mut k, "b", 1);
    let acts = k.handle(merged("b", 1));
    assert!(matches!(acts.last(), Some(Action::Done(s)) if s.status == DagState::Partial));
}

#[test]
fn settlement_rejection_fails_and_cascades_unless_retryable() {
    let mut k = kernel(&[spec("a", &[], 0), spec("b", &["a"], 0)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(ok("a", 1));
    let acts = k.handle(settled("a", 1, false));
    assert_eq!(acts[0], cleanup("a", 1));
    assert_eq!(k.state("a"), Some(TaskState::Failed));
    assert_eq!(k.state("b"), Some(TaskState::Skipped));

    let mut k = kernel(&[spec("a", &[], 1)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(ok("a", 1));
    let acts = k.handle(Event::Settled {
        task: "a".into(),
        attempt: 1,
        verdict: Verdict::reject("read_scope_violation", true),
    });
    assert_eq!(acts.last(), Some(&dispatch("a", 2)));
}

#[test]
fn cascade_skips_only_not_yet_started_dependents_in_a_chain_and_a_diamond() {
    // chain a -> b -> c -> d, b fails: c and d skipped.
    let mut k = kernel(&[
        spec("a", &[], 0),
        spec("b", &["a"], 0),
        spec("c", &["b"], 0),
        spec("d", &["c"], 0),
    ]);
    start(&mut k);
    to_reviewed(&mut k, "a", 1);
    k.handle(merged("a", 1));
    k.handle(dispatched("b", 1));
    k.handle(failed("b", 1, false));
    assert_eq!(k.state("c"), Some(TaskState::Skipped));
    assert_eq!(k.state("d"), Some(TaskState::Skipped));
    assert_eq!(k.dag_state(), DagState::Partial);

    // diamond a -> {b, c} -> d, b fails while c is active: c untouched and merges, d skipped.
    let mut k = kernel(&[
        spec("a", &[], 0),
        spec("b", &["a"], 0),
        spec("c", &["a"], 0),
        spec("d", &["b", "c"], 0),
    ]);
    start(&mut k);
    to_reviewed(&mut k, "a", 1);
    k.handle(merged("a", 1));
    k.handle(dispatched("b", 1));
    k.handle(dispatched("c", 1));
    k.handle(failed("b", 1, false));
    assert_eq!(k.state("c"), Some(TaskState::Active));
    assert_eq!(k.state("d"), Some(TaskState::Skipped));
    k.handle(ok("c", 1));
    k.handle(settled("c", 1, true));
    k.handle(merged("c", 1));
    assert_eq!(k.state("c"), Some(TaskState::Merged));
    assert_eq!(k.dag_state(), DagState::Partial);
}

#[test]
fn guards_turn_wrong_state_stale_attempt_and_unknown_task_events_into_anomalies() {
    let mut k = kernel(&[spec("a", &[], 0)]);
    start(&mut k);
    assert!(
        is_anomaly(&k.handle(ok("a", 1))),
        "worker finished before dispatch"
    );
    assert!(is_anomaly(&k.handle(dispatched("a", 7))), "wrong attempt");
    k.handle(dispatched("a", 1));
    assert!(
        is_anomaly(&k.handle(dispatched("a", 1))),
        "duplicate dispatch"
    );
    assert!(
        is_anomaly(&k.handle(settled("a", 1, true))),
        "settled while active"
    );
    assert!(is_anomaly(&k.handle(merged("a", 1))), "merged while active");
    assert!(is_anomaly(&k.handle(ok("zz", 1))), "unknown task");
    assert_eq!(k.state("a"), Some(TaskState::Active));
    assert_eq!(k.anomalies().len(), 6);
    assert_eq!(k.anomalies()[5].detail, "unknown task");
}

#[test]
fn decisions_apply_to_pending_or_unsuccessful_tasks_only() {
    let mut k = kernel(&[spec("a", &[], 0), spec("b", &["a"], 0)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    // Not while active, reviewing or merged: a task cannot be un-merged or interrupted in review.
    assert!(is_anomaly(&k.handle(Event::Decided {
        task: "a".into(),
        decision: Decision::Retry
    })));
    k.handle(failed("a", 1, false));
    assert_eq!(k.state("b"), Some(TaskState::Skipped));
    // Retry a failed task: back to pending with a fresh budget, dispatched again.
    assert_eq!(
        k.handle(Event::Decided {
            task: "a".into(),
            decision: Decision::Retry
        }),
        vec![dispatch("a", 2)]
    );
    k.handle(dispatched("a", 2));
    k.handle(ok("a", 2));
    k.handle(settled("a", 2, true));
    k.handle(merged("a", 2));
    assert_eq!(k.state("a"), Some(TaskState::Merged));
    // b was skipped; retrying it now dispatches it because a merged.
    assert_eq!(
        k.handle(Event::Decided {
            task: "b".into(),
            decision: Decision::Retry
        }),
        vec![dispatch("b", 1)]
    );
    assert!(is_anomaly(&k.handle(Event::Decided {
        task: "a".into(),
        decision: Decision::Skip
    })));

    let mut k = kernel(&[spec("a", &[], 0), spec("b", &["a"], 0)]);
    let acts = k.handle(Event::Decided {
        task: "a".into(),
        decision: Decision::Skip,
    });
    assert_eq!(
        acts[0],
        Action::Skip {
            task: "b".into(),
            because: "a".into()
        }
    );
    assert!(
        matches!(acts.last(), Some(Action::Done(s)) if s.status == DagState::Completed && s.skipped.len() == 2)
    );
    let mut k = kernel(&[spec("a", &[], 0)]);
    k.handle(Event::Decided {
        task: "a".into(),
        decision: Decision::Fail,
    });
    assert_eq!(k.state("a"), Some(TaskState::Failed));
}

#[test]
fn shutdown_cancels_workers_abandons_review_lets_a_merge_finish_and_stops_dispatch() {
    let mut k = kernel(&[
        spec("a", &[], 0),
        spec("b", &[], 0),
        spec("c", &[], 0),
        spec("d", &["a"], 0),
        spec("e", &[], 0),
    ]);
    start(&mut k);
    to_reviewed(&mut k, "a", 1); // a merging
    k.handle(dispatched("b", 1)); // b active
    k.handle(dispatched("c", 1));
    k.handle(ok("c", 1)); // c reviewing
    // e requested but its worktree is still being created
    let acts = k.handle(Event::ShutdownRequested);
    assert_eq!(
        acts,
        vec![
            Action::Cancel {
                task: "b".into(),
                attempt: 1
            },
            cleanup("b", 1),
            cleanup("c", 1),
        ]
    );
    assert!(k.is_stopping());
    assert_eq!(k.state("a"), Some(TaskState::Merging));
    assert!(!k.is_quiescent());
    // The merge finishes; no new dispatch for d, no new merge.
    assert_eq!(k.handle(merged("a", 1)), vec![cleanup("a", 1)]);
    // The late dispatch of e is abandoned at once.
    assert_eq!(
        k.handle(dispatched("e", 1)),
        vec![
            Action::Cancel {
                task: "e".into(),
                attempt: 1
            },
            cleanup("e", 1)
        ]
    );
    assert!(k.is_quiescent());
    assert_eq!(k.state("d"), Some(TaskState::Pending));
    assert_eq!(k.state("e"), Some(TaskState::Abandoned));
}

#[test]
fn fresh_run_after_a_crash_abandons_every_in_flight_task_including_review_and_merge() {
    // Quirk 1 of the original: tasks left reviewing/merging were waited on forever.
    let mut k = kernel(&[
        spec("a", &[], 0),
        spec("b", &[], 0),
        spec("c", &[], 0),
        spec("d", &["c"], 0),
        spec("e", &[], 0),
    ]);
    start(&mut k);
    k.handle(dispatched("a", 1)); // active
    k.handle(dispatched("b", 1));
    k.handle(ok("b", 1)); // reviewing
    to_reviewed(&mut k, "c", 1); // merging
    let acts = k.handle(Event::RunStarted {
        mode: RunMode::Fresh,
        deployed: vec![],
    });
    assert_eq!(
        acts,
        vec![
            cleanup("a", 1),
            cleanup("b", 1),
            cleanup("c", 1),
            Action::Skip {
                task: "d".into(),
                because: "c".into()
            },
            dispatch("e", 2),
        ]
    );
    for t in ["a", "b", "c"] {
        assert_eq!(k.state(t), Some(TaskState::Abandoned), "{t}");
    }
}

#[test]
fn fresh_rerun_keeps_reporting_earlier_failures_instead_of_forgetting_them() {
    // Quirk 2 of the original: failures were forgotten after one extra plain run.
    let mut k = kernel(&[spec("a", &[], 0)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(failed("a", 1, false));
    for _ in 0..3 {
        let acts = k.handle(Event::RunStarted {
            mode: RunMode::Fresh,
            deployed: vec![],
        });
        assert!(matches!(acts.as_slice(), [Action::Done(s)] if s.failed == vec!["a".to_string()]));
    }
}

#[test]
fn continue_resets_unsuccessful_tasks_with_a_fresh_budget_and_new_attempt_numbers() {
    let mut k = kernel(&[spec("a", &[], 0), spec("b", &["a"], 0), spec("c", &[], 0)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(failed("a", 1, true)); // no budget: failed, b skipped
    to_reviewed(&mut k, "c", 1);
    k.handle(merged("c", 1));
    let acts = k.handle(Event::RunStarted {
        mode: RunMode::Continue,
        deployed: vec!["c".into()],
    });
    assert_eq!(acts, vec![dispatch("a", 2)]);
    assert_eq!(k.state("b"), Some(TaskState::Pending));
    assert_eq!(k.state("c"), Some(TaskState::Merged));
    assert_eq!(k.status("a").unwrap().budget_base, 1);
}

#[test]
fn restart_resets_everything_and_deployed_list_seeds_merged() {
    let mut k = kernel(&[spec("a", &[], 0), spec("b", &["a"], 0)]);
    start(&mut k);
    to_reviewed(&mut k, "a", 1);
    k.handle(merged("a", 1));
    let acts = k.handle(Event::RunStarted {
        mode: RunMode::Restart,
        deployed: vec![],
    });
    // b had a dispatch request outstanding (never confirmed): it is simply pending again.
    assert_eq!(acts, vec![dispatch("a", 2)]);
    assert_eq!(k.state("b"), Some(TaskState::Pending));

    let mut k = kernel(&[spec("a", &[], 0), spec("b", &["a"], 0)]);
    let acts = k.handle(Event::RunStarted {
        mode: RunMode::Fresh,
        deployed: vec!["a".into()],
    });
    assert_eq!(acts, vec![dispatch("b", 1)]);
}

#[test]
fn concurrency_cap_limits_outstanding_dispatches() {
    let tasks: Vec<TaskSpec> = (0..5).map(|i| spec(&format!("t{i}"), &[], 0)).collect();
    let mut k = Kernel::new(&tasks, Some(2)).unwrap();
    assert_eq!(start(&mut k), vec![dispatch("t0", 1), dispatch("t1", 1)]);
    k.handle(dispatched("t0", 1));
    assert_eq!(
        k.handle(ok("t0", 1)),
        vec![Action::Settle {
            task: "t0".into(),
            attempt: 1
        }]
    );
    // Settle does not free a slot by itself in this batch; the next schedule point does.
    let acts = k.handle(settled("t0", 1, true));
    assert_eq!(
        acts,
        vec![Action::Merge {
            task: "t0".into(),
            attempt: 1
        }]
    );
    assert_eq!(
        k.handle(merged("t0", 1)),
        vec![cleanup("t0", 1), dispatch("t2", 1)]
    );
}

#[test]
fn empty_dag_is_idle_and_done() {
    let mut k = kernel(&[]);
    assert!(k.is_done());
    assert_eq!(k.dag_state(), DagState::Idle);
    let acts = start(&mut k);
    assert!(matches!(acts.as_slice(), [Action::Done(s)] if s.status == DagState::Idle));
}

#[test]
fn build_errors_name_the_problem() {
    assert_eq!(
        Kernel::new(&[spec("a", &["b"], 0), spec("b", &["a"], 0)], None).unwrap_err(),
        BuildError::Cycle("a".into())
    );
    assert!(matches!(
        Kernel::new(&[spec("a", &["x"], 0)], None),
        Err(BuildError::UnknownDependency { .. })
    ));
    assert!(matches!(
        Kernel::new(&[spec("a", &[], 0), spec("a", &[], 0)], None),
        Err(BuildError::Duplicate(_))
    ));
}

#[test]
fn merge_order_is_deterministic_for_chains_and_diamonds() {
    let k = kernel(&[
        spec("d", &["b", "c"], 0),
        spec("c", &["a"], 0),
        spec("b", &["a"], 0),
        spec("a", &[], 0),
    ]);
    assert_eq!(k.merge_order(), vec!["a", "b", "c", "d"]);
    let k = kernel(&[spec("z", &[], 0), spec("y", &["z"], 0)]);
    assert_eq!(k.merge_order(), vec!["z", "y"]);
}

#[test]
fn state_strings_round_trip_and_events_serialize_with_a_kind_tag() {
    for s in ALL_STATES {
        assert_eq!(TaskState::parse(s.as_str()), Some(s));
    }
    let e = ok("a", 1);
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains("\"kind\":\"worker_finished\""), "{json}");
    assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
}

fn rejected_in_place(t: &str, n: u32) -> Event {
    Event::Settled {
        task: t.into(),
        attempt: n,
        verdict: Verdict {
            in_place: true,
            ..Verdict::reject("tests_failed: 1 failing", true)
        },
    }
}

#[test]
fn a_fixable_settlement_rejection_gets_one_in_place_retry_outside_the_budget() {
    // No retry budget at all: the in-place retry is still granted, once.
    let mut k = kernel(&[spec("a", &[], 0)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(ok("a", 1));
    let acts = k.handle(rejected_in_place("a", 1));
    assert_eq!(
        acts,
        vec![
            // The notice comes before the cleanup, so the runner still knows the commit.
            Action::Retry {
                task: "a".into(),
                next_attempt: 2,
                reason: "settlement rejected: tests_failed: 1 failing".into(),
                in_place: true,
                fork: false,
            },
            cleanup("a", 1),
            dispatch("a", 2),
        ]
    );
    assert!(k.status("a").unwrap().in_place_used);
    // The second rejection of the same kind is final: budget 0, in-place retry used.
    k.handle(dispatched("a", 2));
    k.handle(ok("a", 2));
    let acts = k.handle(rejected_in_place("a", 2));
    assert_eq!(acts[0], cleanup("a", 2));
    assert_eq!(k.state("a"), Some(TaskState::Failed));
}

#[test]
fn after_the_in_place_retry_the_normal_budget_still_applies() {
    let mut k = kernel(&[spec("a", &[], 1)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(ok("a", 1));
    k.handle(rejected_in_place("a", 1));
    k.handle(dispatched("a", 2));
    k.handle(ok("a", 2));
    // The budget of one retry is untouched by the in-place retry: a fresh attempt follows.
    let acts = k.handle(rejected_in_place("a", 2));
    assert!(
        acts.contains(&Action::Retry {
            task: "a".into(),
            next_attempt: 3,
            reason: "settlement rejected: tests_failed: 1 failing".into(),
            in_place: false,
            fork: false,
        }),
        "{acts:?}"
    );
    assert_eq!(acts.last(), Some(&dispatch("a", 3)));
    // A terminal rejection is never retried, in place or not.
    let mut k = kernel(&[spec("b", &[], 3)]);
    start(&mut k);
    k.handle(dispatched("b", 1));
    k.handle(ok("b", 1));
    let acts = k.handle(Event::Settled {
        task: "b".into(),
        attempt: 1,
        verdict: Verdict {
            in_place: true,
            ..Verdict::reject("scope_violation", false)
        },
    });
    assert_eq!(k.state("b"), Some(TaskState::Failed));
    assert!(!acts.iter().any(|a| matches!(a, Action::Retry { .. })));
}

#[test]
fn a_stale_verdict_sends_the_merging_attempt_back_to_settlement_and_frees_the_merge_slot() {
    let mut k = kernel(&[spec("a", &[], 0), spec("b", &[], 0)]);
    start(&mut k);
    assert_eq!(
        to_reviewed(&mut k, "a", 1),
        vec![Action::Merge {
            task: "a".into(),
            attempt: 1
        }]
    );
    // b passes while a is merging: it waits for the slot.
    assert_eq!(to_reviewed(&mut k, "b", 1), vec![]);
    let acts = k.handle(Event::Stale {
        task: "a".into(),
        attempt: 1,
        reason: "HEAD moved".into(),
    });
    assert_eq!(
        acts,
        vec![
            Action::Settle {
                task: "a".into(),
                attempt: 1
            },
            Action::Merge {
                task: "b".into(),
                attempt: 1
            },
        ]
    );
    assert_eq!(k.state("a"), Some(TaskState::Reviewing));
    // Stale for a task that is not merging is an anomaly, not a state change.
    assert!(is_anomaly(&k.handle(Event::Stale {
        task: "a".into(),
        attempt: 1,
        reason: "again".into(),
    })));
    k.handle(merged("b", 1));
    k.handle(settled("a", 1, true));
    k.handle(merged("a", 1));
    assert!(k.is_done());
}

fn exhausted(t: &str, n: u32) -> Event {
    Event::WorkerFinished {
        task: t.into(),
        attempt: n,
        outcome: WorkerOutcome::Exhausted {
            error: "Exceeded max iterations (5)".into(),
        },
    }
}

fn fork_notice(t: &str, next: u32) -> Action {
    Action::Retry {
        task: t.into(),
        next_attempt: next,
        reason: "Exceeded max iterations (5)".into(),
        in_place: true,
        fork: true,
    }
}

#[test]
fn an_exhausted_attempt_forks_in_place_before_its_cleanup_without_spending_the_budget() {
    // No retry budget: the fork needs none.
    let mut k = kernel(&[spec("a", &[], 0)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    let acts = k.handle(exhausted("a", 1));
    assert_eq!(
        acts,
        vec![fork_notice("a", 2), cleanup("a", 1), dispatch("a", 2)]
    );
    let s = k.status("a").unwrap();
    assert_eq!(
        (s.state, s.forks_used, s.budget_base),
        (TaskState::Pending, 1, 1)
    );
    assert!(
        !s.in_place_used,
        "a fork leaves the settlement retry available"
    );
    // The fork finishes and lands: the task merged on attempt 2 with max_retries 0.
    k.handle(dispatched("a", 2));
    k.handle(ok("a", 2));
    k.handle(settled("a", 2, true));
    k.handle(merged("a", 2));
    assert_eq!(k.state("a"), Some(TaskState::Merged));
}

#[test]
fn a_second_exhaustion_past_max_forks_is_an_ordinary_retry_that_spends_the_budget() {
    let mut k = kernel(&[spec("a", &[], 1)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(exhausted("a", 1));
    k.handle(dispatched("a", 2));
    // The one fork is used: a fresh retry from the budget of one.
    let acts = k.handle(exhausted("a", 2));
    assert_eq!(
        acts,
        vec![
            cleanup("a", 2),
            Action::Retry {
                task: "a".into(),
                next_attempt: 3,
                reason: "Exceeded max iterations (5)".into(),
                in_place: false,
                fork: false,
            },
            dispatch("a", 3),
        ]
    );
    // The budget is spent now: the next exhaustion fails the task.
    k.handle(dispatched("a", 3));
    let acts = k.handle(exhausted("a", 3));
    assert_eq!(acts[0], cleanup("a", 3));
    assert!(!acts.iter().any(|a| matches!(a, Action::Retry { .. })));
    assert_eq!(k.state("a"), Some(TaskState::Failed));
    assert_eq!(
        k.status("a").unwrap().last_error.as_deref(),
        Some("Exceeded max iterations (5)")
    );
}

#[test]
fn max_forks_zero_makes_exhaustion_an_ordinary_retryable_failure() {
    let mut k = kernel(&[TaskSpec {
        max_forks: 0,
        ..spec("a", &[], 1)
    }]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    let acts = k.handle(exhausted("a", 1));
    assert_eq!(acts[0], cleanup("a", 1));
    assert!(
        acts.iter().any(|a| matches!(
            a,
            Action::Retry {
                in_place: false,
                fork: false,
                next_attempt: 2,
                ..
            }
        )),
        "{acts:?}"
    );
    // Without budget either, the task fails at once.
    let mut k = kernel(&[TaskSpec {
        max_forks: 0,
        ..spec("b", &[], 0)
    }]);
    start(&mut k);
    k.handle(dispatched("b", 1));
    k.handle(exhausted("b", 1));
    assert_eq!(k.state("b"), Some(TaskState::Failed));
}

#[test]
fn forks_come_back_with_a_new_budget_window() {
    let mut k = kernel(&[spec("a", &[], 0)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(exhausted("a", 1));
    k.handle(dispatched("a", 2));
    k.handle(exhausted("a", 2));
    assert_eq!(k.state("a"), Some(TaskState::Failed));
    k.handle(Event::Decided {
        task: "a".into(),
        decision: Decision::Retry,
    });
    assert_eq!(k.status("a").unwrap().forks_used, 0);
    k.handle(dispatched("a", 3));
    let acts = k.handle(exhausted("a", 3));
    assert_eq!(acts[0], fork_notice("a", 4));
}

#[test]
fn an_exhausted_attempt_reported_after_shutdown_does_not_fork() {
    let mut k = kernel(&[spec("a", &[], 3)]);
    start(&mut k);
    k.handle(dispatched("a", 1));
    k.handle(Event::ShutdownRequested);
    assert_eq!(k.state("a"), Some(TaskState::Abandoned));
    // The worker's late report changes nothing: no fork, no dispatch.
    let acts = k.handle(exhausted("a", 1));
    assert!(is_anomaly(&acts), "{acts:?}");
    assert!(
        !acts
            .iter()
            .any(|a| matches!(a, Action::Retry { .. } | Action::Dispatch { .. }))
    );
    assert_eq!(k.state("a"), Some(TaskState::Abandoned));
    assert_eq!(k.status("a").unwrap().forks_used, 0);
}

#[test]
fn records_from_before_forks_existed_still_deserialize() {
    // A task spec, a task status and a retry notice as an older dgov wrote them.
    let spec: TaskSpec =
        serde_json::from_str(r#"{"id":"a","depends_on":[],"max_retries":2}"#).unwrap();
    assert_eq!(spec.max_forks, 1);
    let status: TaskStatus = serde_json::from_str(
        r#"{"state":"pending","attempt":1,"budget_base":0,"requested":false,"last_error":null}"#,
    )
    .unwrap();
    assert_eq!((status.forks_used, status.in_place_used), (0, false));
    let retry: Action = serde_json::from_str(
        r#"{"action":"retry","task":"a","next_attempt":2,"reason":"x","in_place":true}"#,
    )
    .unwrap();
    assert!(matches!(
        retry,
        Action::Retry {
            in_place: true,
            fork: false,
            ..
        }
    ));
    // An ordinary retry still serializes without the new key; a fork carries it.
    let plain = serde_json::to_string(&Action::Retry {
        task: "a".into(),
        next_attempt: 2,
        reason: "x".into(),
        in_place: false,
        fork: false,
    })
    .unwrap();
    assert!(!plain.contains("fork"), "{plain}");
    assert!(
        serde_json::to_string(&fork_notice("a", 2))
            .unwrap()
            .contains(r#""fork":true"#)
    );
    // The exhausted outcome round-trips through the event log.
    let e = exhausted("a", 1);
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains(r#""result":"exhausted""#), "{json}");
    assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
}
