//! Opening the database: WAL mode, busy timeout, and versioned migrations tracked in
//! `PRAGMA user_version`. Each migration runs in its own transaction exactly once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::StoreError;

/// Migrations in order; entry `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // v1: event log, run windows, per-task view, effect intents, ledger.
    r#"
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL,
        plan TEXT NOT NULL,
        run_id INTEGER,
        task TEXT,
        kind TEXT NOT NULL,
        kernel INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_plan_id ON events(plan, id);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        plan TEXT NOT NULL,
        mode TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_ts TEXT NOT NULL,
        started_event INTEGER NOT NULL DEFAULT 0,
        ended_ts TEXT,
        status TEXT
    );
    CREATE INDEX runs_plan_id ON runs(plan, id);
    CREATE TABLE task_view (
        plan TEXT NOT NULL,
        task TEXT NOT NULL,
        state TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        run_id INTEGER NOT NULL,
        event_id INTEGER NOT NULL,
        updated_ts TEXT NOT NULL,
        error TEXT,
        PRIMARY KEY (plan, task)
    );
    CREATE INDEX task_view_run ON task_view(run_id);
    CREATE TABLE intents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        plan TEXT NOT NULL,
        task TEXT,
        attempt INTEGER,
        effect TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{}',
        started_ts TEXT NOT NULL,
        outcome TEXT,
        outcome_data TEXT,
        finished_ts TEXT
    );
    CREATE INDEX intents_open ON intents(plan, id) WHERE outcome IS NULL;
    CREATE TABLE ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        category TEXT NOT NULL,
        content TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        created_at REAL NOT NULL,
        resolved_at REAL,
        affected_paths TEXT,
        affected_tags TEXT
    );
    CREATE INDEX ledger_status_created ON ledger(status, created_at);
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `<root>/.dgov/state.db`; a root that is itself a `.dgov` directory maps to its parent.
pub fn db_path(root: &Path) -> PathBuf {
    let root = if root.file_name().is_some_and(|n| n == ".dgov") {
        root.parent().unwrap_or(root)
    } else {
        root
    };
    root.join(".dgov").join("state.db")
}

pub(crate) fn open_rw(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    }
    let conn = Connection::open(path).map_err(|e| StoreError::sql(path, e))?;
    configure(&conn, path)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| StoreError::sql(path, e))?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| StoreError::sql(path, e))?;
    migrate(&conn, path)?;
    Ok(conn)
}

pub(crate) fn open_ro(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::sql(path, e))?;
    configure(&conn, path)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| StoreError::sql(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if version < SCHEMA_VERSION {
        // An older database: migrate it through a writable connection first.
        drop(conn);
        drop(open_rw(path)?);
        return open_ro(path);
    }
    Ok(conn)
}

fn configure(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| StoreError::sql(path, e))?;
    Ok(())
}

fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| StoreError::sql(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| StoreError::sql(path, e))?;
        // Another process may have migrated between our read and our transaction.
        let now: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| StoreError::sql(path, e))?;
        if now > i as i64 {
            continue;
        }
        tx.execute_batch(sql)
            .map_err(|e| StoreError::sql(path, e))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(|e| StoreError::sql(path, e))?;
        tx.commit().map_err(|e| StoreError::sql(path, e))?;
    }
    Ok(())
}
