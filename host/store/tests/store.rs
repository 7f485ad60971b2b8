//! Store behaviour on real SQLite files in temp dirs.

use dgov_kernel::{Event, RunMode, TaskState, WorkerOutcome};
use dgov_store::*;
use serde_json::json;

fn started() -> Event {
    Event::RunStarted {
        mode: RunMode::Fresh,
        deployed: vec![],
    }
}

#[test]
fn opening_creates_a_wal_database_at_the_current_schema_version_and_reopens_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.path(), dir.path().join(".dgov/state.db"));
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join(".dgov/state.db")).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    drop(conn);
    Store::open(dir.path()).unwrap();
    // A `.dgov` directory given as root maps to its parent.
    assert_eq!(
        db_path(&dir.path().join(".dgov")),
        dir.path().join(".dgov/state.db")
    );
}

#[test]
fn a_database_from_a_newer_dgov_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(".dgov/state.db")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(dir.path()).err().unwrap();
    assert!(
        err.to_string().contains("schema version 99 is newer"),
        "{err}"
    );
}

#[test]
fn kernel_events_round_trip_in_order_and_update_the_task_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let run = store.begin_run("p", RunMode::Fresh, 42).unwrap();
    let events = vec![
        started(),
        Event::Dispatched {
            task: "a".into(),
            attempt: 1,
        },
        Event::WorkerFinished {
            task: "a".into(),
            attempt: 1,
            outcome: WorkerOutcome::Succeeded,
        },
    ];
    let up = |s| {
        vec![TaskUpdate {
            task: "a".into(),
            state: s,
            attempt: 1,
            error: None,
        }]
    };
    store
        .append_kernel("p", run, &events[0], &up(TaskState::Pending), true)
        .unwrap();
    store
        .append_kernel("p", run, &events[1], &up(TaskState::Active), false)
        .unwrap();
    store
        .append_note(
            "p",
            Some(run),
            Some("a"),
            "worker_log",
            &json!({"line": "hi"}),
        )
        .unwrap();
    store
        .append_kernel("p", run, &events[2], &up(TaskState::Reviewing), false)
        .unwrap();
    store
        .append_kernel("other", run, &started(), &[], true)
        .unwrap();
    assert_eq!(store.kernel_events("p").unwrap(), events);
    let view = store.status_view().unwrap();
    assert_eq!(view.total_tasks, 1);
    assert_eq!(view.tasks[0].state, "reviewing");
    let run_rec = store.latest_run("p").unwrap().unwrap();
    assert!(run_rec.is_open());
    assert_eq!(run_rec.pid, 42);
    assert!(run_rec.started_event > 0);
    store.end_run(run, "complete").unwrap();
    assert_eq!(
        store.latest_run("p").unwrap().unwrap().status.as_deref(),
        Some("complete")
    );
    let after = store.events_after(0, Some("p"), 100).unwrap();
    assert_eq!(after.len(), 4);
    assert_eq!(after[2].kind, "worker_log");
    assert!(!after[2].kernel);
    assert_eq!(store.events_after(after[1].id, None, 2).unwrap().len(), 2);
    assert_eq!(store.latest_event_id().unwrap(), 5);
}

#[test]
fn a_corrupt_kernel_event_is_an_error_not_a_silent_skip() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let run = store.begin_run("p", RunMode::Fresh, 1).unwrap();
    store
        .append_kernel("p", run, &started(), &[], true)
        .unwrap();
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute("UPDATE events SET data = '{\"kind\":\"nope\"}'", [])
        .unwrap();
    let err = store.kernel_events("p").unwrap_err();
    assert!(err.to_string().contains("corrupt kernel event"), "{err}");
}

#[test]
fn a_failed_append_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let mut ro = Store::open_read_only(dir.path()).unwrap().unwrap();
    assert!(ro.append_note("p", None, None, "x", &json!({})).is_err());
    assert!(ro.begin_run("p", RunMode::Fresh, 1).is_err());
    assert!(ro.append_kernel("p", 1, &started(), &[], true).is_err());
}

#[test]
fn readers_see_a_consistent_snapshot_while_the_writer_holds_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Store::open(dir.path()).unwrap();
    writer
        .append_note("p", None, None, "x", &json!({}))
        .unwrap();
    let reader = Store::open_read_only(dir.path()).unwrap().unwrap();
    writer
        .with_transaction(|w| {
            w.append_note("p", None, None, "y", &json!({}))?;
            // The reader is not blocked and does not see the uncommitted row.
            assert_eq!(reader.latest_event_id().unwrap(), 1);
            assert_eq!(reader.status_view().unwrap().total_tasks, 0);
            Ok(())
        })
        .unwrap();
    assert_eq!(reader.latest_event_id().unwrap(), 2);
}

#[test]
fn status_on_a_repository_without_a_store_is_none_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Store::open_read_only(dir.path()).unwrap().is_none());
    assert!(!dir.path().join(".dgov").exists());
}

#[test]
fn intents_stay_open_until_finished() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let a = store
        .begin_intent(
            "p",
            Some("a"),
            Some(1),
            Effect::CreateWorktree,
            &json!({"base": "abc"}),
        )
        .unwrap();
    let b = store
        .begin_intent("p", Some("a"), Some(1), Effect::Merge, &json!({}))
        .unwrap();
    store
        .begin_intent("q", None, None, Effect::Archive, &json!({}))
        .unwrap();
    store
        .finish_intent(a, "ok", &json!({"path": "/x"}))
        .unwrap();
    let open = store.open_intents("p").unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, b);
    assert_eq!(open[0].effect, Effect::Merge);
    assert_eq!(store.all_intents("p").unwrap()[0].data["base"], "abc");
    assert!(store.finish_intent(999, "ok", &json!({})).is_err());
}

#[test]
fn ledger_adds_lists_filters_and_resolves_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let bug = store
        .ledger_add(
            Category::parse("BUG").unwrap(),
            "parser drops 100% of tabs",
            &["src/p.rs".into()],
        )
        .unwrap();
    let rule = store
        .ledger_add(Category::Rule, "no unwrap in libs", &[])
        .unwrap();
    let open = store.ledger_list(None, LedgerStatus::Open, None).unwrap();
    assert_eq!(
        open.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![rule, bug],
        "newest first"
    );
    assert_eq!(open[1].affected_paths, vec!["src/p.rs".to_string()]);
    assert_eq!(
        store
            .ledger_list(Some(Category::Bug), LedgerStatus::Open, None)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .ledger_list(None, LedgerStatus::Open, Some("100%"))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .ledger_list(None, LedgerStatus::Open, Some("_"))
            .unwrap()
            .len(),
        0,
        "LIKE wildcards are escaped"
    );
    assert!(store.ledger_resolve(bug).unwrap());
    assert!(
        !store.ledger_resolve(bug).unwrap(),
        "second resolve reports already resolved"
    );
    assert_eq!(
        store
            .ledger_list(None, LedgerStatus::Resolved, None)
            .unwrap()[0]
            .id,
        bug
    );
    let err = store.ledger_resolve(777).unwrap_err();
    assert!(err.to_string().contains("#777 not found"), "{err}");
    let err = Category::parse("bogus").unwrap_err();
    assert!(
        err.to_string().contains("unknown ledger category 'bogus'"),
        "{err}"
    );
    assert!(err.to_string().contains("decision"), "{err}");
    // Corrupt JSON in the paths column reads as empty.
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute(
        "UPDATE ledger SET affected_paths = '{oops' WHERE id = ?1",
        [rule],
    )
    .unwrap();
    let e = store.ledger_list(None, LedgerStatus::Open, None).unwrap();
    assert!(e[0].affected_paths.is_empty());
}

#[test]
fn the_run_lock_admits_one_holder_and_is_released_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let dgov = dir.path().join(".dgov");
    assert!(!RunLock::is_held(&dgov));
    let lock = RunLock::acquire(&dgov).unwrap();
    assert!(RunLock::is_held(&dgov));
    let err = RunLock::acquire(&dgov).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("another `dgov run` is already running"),
        "{text}"
    );
    assert!(
        text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
    drop(lock);
    assert!(!RunLock::is_held(&dgov));
    RunLock::acquire(&dgov).unwrap();
}

#[test]
fn prune_removes_abandoned_rows_of_finished_runs_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let r1 = store.begin_run("done", RunMode::Fresh, 1).unwrap();
    let up = |t: &str, s| TaskUpdate {
        task: t.into(),
        state: s,
        attempt: 1,
        error: None,
    };
    store
        .append_kernel(
            "done",
            r1,
            &started(),
            &[up("a", TaskState::Abandoned), up("b", TaskState::Merged)],
            true,
        )
        .unwrap();
    store.end_run(r1, "partial").unwrap();
    let r2 = store.begin_run("live", RunMode::Fresh, 1).unwrap();
    store
        .append_kernel(
            "live",
            r2,
            &started(),
            &[up("c", TaskState::Abandoned)],
            true,
        )
        .unwrap();
    assert_eq!(store.prune_history().unwrap(), 1);
    assert_eq!(store.prune_history().unwrap(), 0);
    assert_eq!(store.status_view().unwrap().total_tasks, 2);
}

#[test]
fn task_rows_are_keyed_by_plan_and_task_so_plans_sharing_ids_do_not_collide() {
    // Quirk 14 of the original: rows keyed by slug alone overwrote each other across plans.
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let up = |s| {
        vec![TaskUpdate {
            task: "tasks/main.a".into(),
            state: s,
            attempt: 1,
            error: None,
        }]
    };
    let r1 = store.begin_run("one", RunMode::Fresh, 1).unwrap();
    store
        .append_kernel("one", r1, &started(), &up(TaskState::Merged), true)
        .unwrap();
    let r2 = store.begin_run("two", RunMode::Fresh, 1).unwrap();
    store
        .append_kernel("two", r2, &started(), &up(TaskState::Failed), true)
        .unwrap();
    let view = store.status_view().unwrap();
    let states: Vec<(&str, &str)> = view
        .tasks
        .iter()
        .map(|t| (t.plan.as_str(), t.state.as_str()))
        .collect();
    assert_eq!(states, vec![("one", "merged"), ("two", "failed")]);
}
