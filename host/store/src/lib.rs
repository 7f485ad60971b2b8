//! dgov-store: the event store, the authority on what happened in a run.
//!
//! One SQLite file per repository, `.dgov/state.db`, in WAL mode so `dgov status` and
//! `dgov watch` read while the runner writes. It holds:
//! - the **event log** (`events`): every kernel event (replayed to rebuild the kernel) and
//!   informational notes (worker output, retries, merge shas, run summaries);
//! - **run windows** (`runs`) and a per-task **view** (`task_view`) updated in the same
//!   transaction as the event, so status is a small indexed read however long the log is;
//! - **effect intents** (`intents`): every side effect records an intent before it acts and its
//!   outcome after; the runner reconciles intents left open by a crash;
//! - the **ledger** of bugs, rules and decisions (`ledger`).
//!
//! A failed write is always an error; nothing is dropped.
//!
//! # Layout
//! - `db` — opening, WAL, migrations. `events` — log, runs, task view. `intents` — effect
//!   intents. `ledger` — ledger entries. `lock` — the single-runner lock. `time` — timestamps.
//!
//! ```no_run
//! let store = dgov_store::Store::open(std::path::Path::new(".")).unwrap();
//! let status = store.status_view().unwrap();
//! println!("{} tasks", status.total_tasks);
//! ```

mod db;
mod events;
mod intents;
mod ledger;
mod lock;
pub mod time;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use db::{SCHEMA_VERSION, db_path};
pub use events::{RunRecord, StatusView, StoredEvent, TaskRow, TaskUpdate};
pub use intents::{Effect, Intent};
pub use ledger::{Category, LedgerEntry, LedgerStatus};
pub use lock::RunLock;

/// Errors of the store. Each names the file involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: schema version {found} is newer than this dgov understands ({known}); upgrade dgov"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("another `dgov run` is already running in this repository{} (lock {lock}); wait for it to finish or stop it first", pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Busy { lock: PathBuf, pid: Option<u32> },
    #[error("{path}: corrupt {what}: {detail}")]
    Corrupt {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    #[error("unknown ledger category '{0}'; expected one of: {cats}", cats = Category::ALL.map(|c| c.as_str()).join(", "))]
    UnknownCategory(String),
    #[error(
        "ledger entry #{0} not found; list entries with `dgov ledger list -s open` or `-s resolved`"
    )]
    UnknownEntry(i64),
}

impl StoreError {
    pub(crate) fn sql(path: &Path, source: rusqlite::Error) -> StoreError {
        StoreError::Sql {
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn io(path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A connection to a repository's store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Open (creating and migrating if needed) the store of the repository at `root`.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        let path = db_path(root);
        Ok(Store {
            conn: db::open_rw(&path)?,
            path,
        })
    }

    /// Open an existing store read-only (for `status` and `watch`). `None` if there is none yet.
    pub fn open_read_only(root: &Path) -> Result<Option<Store>, StoreError> {
        let path = db_path(root);
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(Store {
            conn: db::open_ro(&path)?,
            path,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::sql(&self.path, e)
    }
}
