//! Effect intents: the write-ahead record that makes `kill -9` at any point recoverable. Every
//! side effect records an intent before it acts and an outcome after; intents still open at
//! start-up are what a crash interrupted, and the runner reconciles each one.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::time::now_iso;
use crate::{Store, StoreError};

/// The kinds of side effect the runner performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    CreateWorktree,
    Dispatch,
    Merge,
    Cleanup,
    Archive,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::CreateWorktree => "create_worktree",
            Effect::Dispatch => "dispatch",
            Effect::Merge => "merge",
            Effect::Cleanup => "cleanup",
            Effect::Archive => "archive",
        }
    }

    fn parse(s: &str) -> Option<Effect> {
        [
            Effect::CreateWorktree,
            Effect::Dispatch,
            Effect::Merge,
            Effect::Cleanup,
            Effect::Archive,
        ]
        .into_iter()
        .find(|e| e.as_str() == s)
    }
}

/// An intent row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intent {
    pub id: i64,
    pub plan: String,
    pub task: Option<String>,
    pub attempt: Option<u32>,
    pub effect: Effect,
    pub data: serde_json::Value,
    pub started_ts: String,
    pub outcome: Option<String>,
}

impl Store {
    /// Record that `effect` is about to happen. Returns the intent id for [`Store::finish_intent`].
    pub fn begin_intent(
        &mut self,
        plan: &str,
        task: Option<&str>,
        attempt: Option<u32>,
        effect: Effect,
        data: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO intents (plan, task, attempt, effect, data, started_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| s.execute(params![plan, task, attempt, effect.as_str(), data.to_string(), now_iso()]))
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Record the outcome of an intent (`ok`, `failed`, `reconciled`, …).
    pub fn finish_intent(
        &mut self,
        id: i64,
        outcome: &str,
        data: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let n = self
            .conn
            .prepare_cached("UPDATE intents SET outcome = ?1, outcome_data = ?2, finished_ts = ?3 WHERE id = ?4")
            .and_then(|mut s| s.execute(params![outcome, data.to_string(), now_iso(), id]))
            .map_err(|e| self.err(e))?;
        if n != 1 {
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                what: "intent",
                detail: format!("intent #{id} does not exist"),
            });
        }
        Ok(())
    }

    /// Replace the data of an open intent (e.g. to add the pid of a worker once it exists).
    pub fn annotate_intent(&mut self, id: i64, data: &serde_json::Value) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE intents SET data = ?1 WHERE id = ?2")
            .and_then(|mut s| s.execute(params![data.to_string(), id]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Intents of `plan` that never recorded an outcome, oldest first.
    pub fn open_intents(&self, plan: &str) -> Result<Vec<Intent>, StoreError> {
        self.intents_where("plan = ?1 AND outcome IS NULL", plan)
    }

    /// Open intents of every plan, oldest first.
    pub fn open_intents_all_plans(&self) -> Result<Vec<Intent>, StoreError> {
        self.intents_where("outcome IS NULL AND ?1 = ?1", "")
    }

    /// Every intent of `plan`, oldest first (for tests and diagnostics).
    pub fn all_intents(&self, plan: &str) -> Result<Vec<Intent>, StoreError> {
        self.intents_where("plan = ?1", plan)
    }

    fn intents_where(&self, cond: &str, plan: &str) -> Result<Vec<Intent>, StoreError> {
        let sql = format!(
            "SELECT id, plan, task, attempt, effect, data, started_ts, outcome FROM intents WHERE {cond} ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![plan], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<u32>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, plan, task, attempt, effect, data, started_ts, outcome) =
                row.map_err(|e| self.err(e))?;
            let effect = Effect::parse(&effect).ok_or_else(|| StoreError::Corrupt {
                path: self.path.clone(),
                what: "intent",
                detail: format!("intent #{id} has unknown effect '{effect}'"),
            })?;
            let data = serde_json::from_str(&data).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                what: "intent",
                detail: format!("intent #{id}: {e}"),
            })?;
            out.push(Intent {
                id,
                plan,
                task,
                attempt,
                effect,
                data,
                started_ts,
                outcome,
            });
        }
        Ok(out)
    }
}
