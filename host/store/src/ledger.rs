//! The ledger: bugs, rules, decisions and other notes about the codebase, kept in the same
//! database. Open entries whose paths overlap a task's claims are shown to its worker.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::time::now_epoch;
use crate::{Store, StoreError};

/// Ledger categories (a closed set: an unknown one is an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Bug,
    Fix,
    Rule,
    Pattern,
    Note,
    Debt,
    Capability,
    Decision,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Bug,
        Category::Fix,
        Category::Rule,
        Category::Pattern,
        Category::Note,
        Category::Debt,
        Category::Capability,
        Category::Decision,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Bug => "bug",
            Category::Fix => "fix",
            Category::Rule => "rule",
            Category::Pattern => "pattern",
            Category::Note => "note",
            Category::Debt => "debt",
            Category::Capability => "capability",
            Category::Decision => "decision",
        }
    }

    /// Parse a category name (case-insensitive).
    pub fn parse(text: &str) -> Result<Category, StoreError> {
        let lower = text.trim().to_ascii_lowercase();
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == lower)
            .ok_or_else(|| StoreError::UnknownCategory(text.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerStatus {
    Open,
    Resolved,
}

impl LedgerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerStatus::Open => "open",
            LedgerStatus::Resolved => "resolved",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub category: String,
    pub content: String,
    pub status: String,
    pub created_at: f64,
    pub resolved_at: Option<f64>,
    pub affected_paths: Vec<String>,
}

impl Store {
    pub fn ledger_add(
        &mut self,
        category: Category,
        content: &str,
        paths: &[String],
    ) -> Result<i64, StoreError> {
        let paths = if paths.is_empty() {
            None
        } else {
            serde_json::to_string(paths).ok()
        };
        self.conn
            .execute(
                "INSERT INTO ledger (category, content, status, created_at, affected_paths) VALUES (?1, ?2, 'open', ?3, ?4)",
                params![category.as_str(), content, now_epoch(), paths],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Entries newest first, filtered by category, status and a substring of the content.
    pub fn ledger_list(
        &self,
        category: Option<Category>,
        status: LedgerStatus,
        query: Option<&str>,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let like = query.map(|q| {
            format!(
                "%{}%",
                q.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, category, content, status, created_at, resolved_at, affected_paths FROM ledger
                 WHERE status = ?1 AND (?2 IS NULL OR category = ?2) AND (?3 IS NULL OR content LIKE ?3 ESCAPE '\\')
                 ORDER BY created_at DESC, id DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![status.as_str(), category.map(Category::as_str), like],
                |r| {
                    let paths: Option<String> = r.get(6)?;
                    Ok(LedgerEntry {
                        id: r.get(0)?,
                        category: r.get(1)?,
                        content: r.get(2)?,
                        status: r.get(3)?,
                        created_at: r.get(4)?,
                        resolved_at: r.get(5)?,
                        // Corrupt JSON in the paths column reads as no paths.
                        affected_paths: paths
                            .and_then(|p| serde_json::from_str(&p).ok())
                            .unwrap_or_default(),
                    })
                },
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Mark entry `id` resolved. An unknown id is an error. Returns false if it was already resolved.
    pub fn ledger_resolve(&mut self, id: i64) -> Result<bool, StoreError> {
        let status: Option<String> = self
            .conn
            .query_row(
                "SELECT status FROM ledger WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match status.as_deref() {
            None => Err(StoreError::UnknownEntry(id)),
            Some("resolved") => Ok(false),
            Some(_) => {
                self.conn
                    .execute(
                        "UPDATE ledger SET status = 'resolved', resolved_at = ?1 WHERE id = ?2",
                        params![now_epoch(), id],
                    )
                    .map_err(|e| self.err(e))?;
                Ok(true)
            }
        }
    }
}
