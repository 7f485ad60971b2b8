//! The event log, run windows and the per-task view that `status` reads.

use dgov_kernel::{Event, RunMode, TaskState};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::time::now_iso;
use crate::{Store, StoreError};

/// One row of the event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub id: i64,
    pub ts: String,
    pub plan: String,
    pub run_id: Option<i64>,
    pub task: Option<String>,
    pub kind: String,
    /// A kernel input (replayed) rather than an informational note.
    pub kernel: bool,
    pub data: serde_json::Value,
}

/// New view state of one task, written with the event that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskUpdate {
    pub task: String,
    pub state: TaskState,
    pub attempt: u32,
    pub error: Option<String>,
}

/// One run window of one plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub plan: String,
    pub mode: String,
    pub pid: i64,
    pub started_ts: String,
    pub started_event: i64,
    pub ended_ts: Option<String>,
    pub status: Option<String>,
}

impl RunRecord {
    /// The run has not recorded its end (it is running, or it was killed).
    pub fn is_open(&self) -> bool {
        self.ended_ts.is_none()
    }
}

/// Last known state of one task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskRow {
    pub plan: String,
    pub task: String,
    pub state: String,
    pub attempt: i64,
    pub run_id: i64,
    pub updated_ts: String,
    pub error: Option<String>,
}

/// What `dgov status` needs: the latest run of every plan and every task's last state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusView {
    pub runs: Vec<RunRecord>,
    pub tasks: Vec<TaskRow>,
    pub total_tasks: usize,
}

impl Store {
    /// Open a new run window for `plan`.
    pub fn begin_run(&mut self, plan: &str, mode: RunMode, pid: u32) -> Result<i64, StoreError> {
        let mode = serde_json::to_value(mode)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.conn
            .execute(
                "INSERT INTO runs (plan, mode, pid, started_ts) VALUES (?1, ?2, ?3, ?4)",
                params![plan, mode, pid as i64, now_iso()],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Record the end of a run window with its final status.
    pub fn end_run(&mut self, run_id: i64, status: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE runs SET ended_ts = ?1, status = ?2 WHERE id = ?3",
                params![now_iso(), status, run_id],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Append a kernel event and the task-view changes it caused, atomically. With
    /// `replace_view` the plan's view is replaced by `updates` (used at the start of a window).
    pub fn append_kernel(
        &mut self,
        plan: &str,
        run_id: i64,
        event: &Event,
        updates: &[TaskUpdate],
        replace_view: bool,
    ) -> Result<i64, StoreError> {
        let data = serde_json::to_string(event).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            what: "event",
            detail: e.to_string(),
        })?;
        let path = self.path.clone();
        let err = |e| StoreError::sql(&path, e);
        let ts = now_iso();
        let tx = self.conn.savepoint().map_err(err)?;
        tx.execute(
            "INSERT INTO events (ts, plan, run_id, task, kind, kernel, data) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
            params![ts, plan, run_id, event.task(), event.kind(), data],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        if matches!(event, Event::RunStarted { .. }) {
            tx.execute(
                "UPDATE runs SET started_event = ?1 WHERE id = ?2",
                params![id, run_id],
            )
            .map_err(err)?;
        }
        if replace_view {
            tx.execute("DELETE FROM task_view WHERE plan = ?1", params![plan])
                .map_err(err)?;
        }
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO task_view (plan, task, state, attempt, run_id, event_id, updated_ts, error)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT(plan, task) DO UPDATE SET state = excluded.state, attempt = excluded.attempt,
                       run_id = excluded.run_id, event_id = excluded.event_id,
                       updated_ts = excluded.updated_ts, error = excluded.error",
                )
                .map_err(err)?;
            for u in updates {
                stmt.execute(params![
                    plan,
                    u.task,
                    u.state.as_str(),
                    u.attempt,
                    run_id,
                    id,
                    ts,
                    u.error
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Append an informational note (not replayed).
    pub fn append_note(
        &mut self,
        plan: &str,
        run_id: Option<i64>,
        task: Option<&str>,
        kind: &str,
        data: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO events (ts, plan, run_id, task, kind, kernel, data) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
            )
            .and_then(|mut s| s.execute(params![now_iso(), plan, run_id, task, kind, data.to_string()]))
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every kernel event recorded for `plan`, oldest first. A row that does not parse is an
    /// error, never skipped: replay must see the whole log.
    pub fn kernel_events(&self, plan: &str) -> Result<Vec<Event>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, data FROM events WHERE plan = ?1 AND kernel = 1 ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![plan], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, data) = row.map_err(|e| self.err(e))?;
            let event = serde_json::from_str(&data).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                what: "kernel event",
                detail: format!("event #{id}: {e}"),
            })?;
            out.push(event);
        }
        Ok(out)
    }

    /// Events with id greater than `after_id` (optionally of one plan), oldest first.
    pub fn events_after(
        &self,
        after_id: i64,
        plan: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let sql = if plan.is_some() {
            "SELECT id, ts, plan, run_id, task, kind, kernel, data FROM events WHERE plan = ?2 AND id > ?1 ORDER BY id LIMIT ?3"
        } else {
            "SELECT id, ts, plan, run_id, task, kind, kernel, data FROM events WHERE id > ?1 AND ?2 IS NULL ORDER BY id LIMIT ?3"
        };
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![after_id, plan, limit as i64], |r| {
                let data: String = r.get(7)?;
                Ok(StoredEvent {
                    id: r.get(0)?,
                    ts: r.get(1)?,
                    plan: r.get(2)?,
                    run_id: r.get(3)?,
                    task: r.get(4)?,
                    kind: r.get(5)?,
                    kernel: r.get::<_, i64>(6)? != 0,
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data)),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    pub fn latest_event_id(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The most recent run window of `plan`.
    pub fn latest_run(&self, plan: &str) -> Result<Option<RunRecord>, StoreError> {
        self.conn
            .query_row(
                "SELECT id, plan, mode, pid, started_ts, started_event, ended_ts, status FROM runs
                 WHERE plan = ?1 ORDER BY id DESC LIMIT 1",
                params![plan],
                run_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The latest run of every plan, and every task's last known state.
    pub fn status_view(&self) -> Result<StatusView, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, plan, mode, pid, started_ts, started_event, ended_ts, status FROM runs
                 WHERE id IN (SELECT max(id) FROM runs GROUP BY plan) ORDER BY plan",
            )
            .map_err(|e| self.err(e))?;
        let runs = stmt
            .query_map([], run_row)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT plan, task, state, attempt, run_id, updated_ts, error FROM task_view ORDER BY plan, task",
            )
            .map_err(|e| self.err(e))?;
        let tasks = stmt
            .query_map([], |r| {
                Ok(TaskRow {
                    plan: r.get(0)?,
                    task: r.get(1)?,
                    state: r.get(2)?,
                    attempt: r.get(3)?,
                    run_id: r.get(4)?,
                    updated_ts: r.get(5)?,
                    error: r.get(6)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.err(e))?;
        let total_tasks = tasks.len();
        Ok(StatusView {
            runs,
            tasks,
            total_tasks,
        })
    }

    /// Delete view rows of abandoned tasks of plans with no open run. Returns how many.
    pub fn prune_history(&mut self) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "DELETE FROM task_view WHERE state = 'abandoned' AND plan NOT IN
                   (SELECT plan FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY plan) AND ended_ts IS NULL)",
                [],
            )
            .map_err(|e| self.err(e))
    }

    /// Run `f` inside one transaction (used to load many rows quickly, e.g. in benchmarks).
    pub fn with_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: r.get(0)?,
        plan: r.get(1)?,
        mode: r.get(2)?,
        pid: r.get(3)?,
        started_ts: r.get(4)?,
        started_event: r.get(5)?,
        ended_ts: r.get(6)?,
        status: r.get(7)?,
    })
}
