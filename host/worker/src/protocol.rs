//! The worker → runner wire format: one JSON object per line on stdout.
//!
//! `{"worker_event": {"type": T, "content": C}}` for `thought`, `call`, `result`, `done` and
//! `error`; `{"worker_tokens": {"prompt_tokens": P, "completion_tokens": C}}` after each LLM
//! call (the running total; the last one wins). serde_json escapes newlines inside strings,
//! so a line is always one JSON value; the reader has no line-length limit (unlike the
//! original's 64 KiB asyncio limit), so a huge `write_file` call travels intact.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One line of the protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    WorkerEvent {
        #[serde(rename = "type")]
        kind: String,
        content: Value,
    },
    WorkerTokens {
        prompt_tokens: u64,
        completion_tokens: u64,
    },
}

impl Line {
    pub fn event(kind: &str, content: Value) -> Line {
        Line::WorkerEvent {
            kind: kind.to_string(),
            content,
        }
    }

    /// The line as written (no trailing newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(r#"{{"worker_event":{{"type":"error","content":"unencodable event: {e}"}}}}"#)
        })
    }

    /// Parse one line; `None` for anything that is not a protocol line (stray output).
    pub fn parse(text: &str) -> Option<Line> {
        let line: Line = serde_json::from_str(text.trim()).ok()?;
        match &line {
            Line::WorkerEvent { kind, .. } if kind.trim().is_empty() => None,
            _ => Some(line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_stay_on_one_line() {
        let l = Line::event(
            "call",
            serde_json::json!({"args": {"content": "a\nb\n".repeat(50_000)}}),
        );
        let text = l.to_json();
        assert!(!text.contains('\n'));
        assert_eq!(Line::parse(&text), Some(l));
        let t = Line::WorkerTokens {
            prompt_tokens: 3,
            completion_tokens: 4,
        };
        assert_eq!(Line::parse(&t.to_json()), Some(t));
    }

    #[test]
    fn stray_output_is_not_a_line() {
        assert_eq!(Line::parse("warning: something"), None);
        assert_eq!(Line::parse("[1,2]"), None);
        assert_eq!(
            Line::parse(r#"{"worker_event":{"type":"","content":1}}"#),
            None
        );
    }
}
