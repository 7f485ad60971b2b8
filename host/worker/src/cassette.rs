//! Record and replay of LLM exchanges. A cassette is one JSON file per task,
//! `<dir>/<task id with / and . replaced>.json`, holding each attempt's exchanges
//! (`{"attempts": {"1": [{"request": …, "response": …}, …]}}`). Replaying serves the
//! responses of the same attempt in order (or the last recorded attempt when a replayed run
//! retries more often), so a run reproduces offline.
//!
//! A replay is only faithful while the worker asks what it asked when recording. Before each
//! response the request is compared with the recorded one by **shape** ([`shape`]): the
//! sequence of roles, the tool calls made (name and arguments) and answered (tool name), and
//! the tools offered. A different shape means the plan, the prompts, the tool set or the
//! worker loop changed since the recording, and the replay stops with an error saying where
//! (like a workflow engine's nondeterminism error) instead of feeding responses to a
//! conversation they no longer belong to. Message texts and tool results are not compared:
//! they hold paths, timings and outputs of the machine the recording was made on.
//! Hand-written cassettes without requests (`"request": null`) are served unchecked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CassetteFile {
    pub task: String,
    pub attempts: BTreeMap<String, Vec<Exchange>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exchange {
    /// The request as sent; replay compares its [`shape`] with the new request's.
    #[serde(default)]
    pub request: Value,
    pub response: Value,
}

/// The cassette path of `task` under `dir`.
pub fn cassette_path(dir: &Path, task: &str) -> PathBuf {
    let name: String = task
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{name}.json"))
}

/// The shape of a chat request, one line per element, for comparing a replayed run with
/// its recording: `tools: a,b,c`, then per message its role, with the tool calls of an
/// assistant message (`name(arguments)`) and the tool name a tool message answers.
pub fn shape(request: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let tools: Vec<&str> = request["tools"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|t| t["function"]["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    out.push(format!("tools: {}", tools.join(",")));
    for m in request["messages"].as_array().into_iter().flatten() {
        let role = m["role"].as_str().unwrap_or("?");
        let mut line = role.to_string();
        for call in m["tool_calls"].as_array().into_iter().flatten() {
            let f = &call["function"];
            line.push_str(&format!(
                " {}({})",
                f["name"].as_str().unwrap_or("?"),
                f["arguments"].as_str().unwrap_or("")
            ));
        }
        if role == "tool" {
            line.push_str(&format!(" {}", m["name"].as_str().unwrap_or("?")));
        }
        out.push(line);
    }
    out
}

/// Serves recorded responses in order.
pub struct Cassette {
    responses: Vec<Value>,
    /// The recorded request of each response (`Value::Null` when the cassette has none).
    requests: Vec<Value>,
    next: usize,
    path: PathBuf,
}

impl Cassette {
    pub fn open(dir: &Path, task: &str, attempt: u32) -> Result<Cassette, String> {
        let path = cassette_path(dir, task);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "no cassette for task '{task}' at {}: {e}; record one with `dgov run --record`",
                path.display()
            )
        })?;
        let file: CassetteFile = serde_json::from_str(&text)
            .map_err(|e| format!("cassette {} is not valid: {e}", path.display()))?;
        let ex = file
            .attempts
            .get(&attempt.to_string())
            .or_else(|| {
                file.attempts
                    .iter()
                    .filter_map(|(k, v)| k.parse::<u32>().ok().map(|n| (n, v)))
                    .max_by_key(|(n, _)| *n)
                    .map(|(_, v)| v)
            })
            .ok_or_else(|| format!("cassette {} has no attempts", path.display()))?;
        Ok(Cassette {
            responses: ex.iter().map(|e| e.response.clone()).collect(),
            requests: ex.iter().map(|e| e.request.clone()).collect(),
            next: 0,
            path,
        })
    }

    /// Whether `request` (about to be answered by the next response) has the shape of the
    /// recorded one; the error names the exchange and the first difference.
    pub fn check_request(&self, request: &Value) -> Result<(), String> {
        let Some(recorded) = self.requests.get(self.next).filter(|r| r.is_object()) else {
            return Ok(());
        };
        let (was, now) = (shape(recorded), shape(request));
        if was == now {
            return Ok(());
        }
        let at = was.iter().zip(&now).position(|(a, b)| a != b);
        let clip = |s: Option<&String>| {
            s.map_or("(nothing)".to_string(), |s| {
                s.chars().take(160).collect::<String>()
            })
        };
        let (i, recorded_line, line) = match at {
            Some(i) => (i, clip(was.get(i)), clip(now.get(i))),
            None => {
                let i = was.len().min(now.len());
                (i, clip(was.get(i)), clip(now.get(i)))
            }
        };
        let place = if i == 0 {
            "the tools offered".to_string()
        } else {
            format!("message {}", i - 1)
        };
        Err(format!(
            "the replayed run diverged from cassette {} at exchange {}: {place} was `{recorded_line}` when recorded, now `{line}`; the plan, prompts, tools or worker changed since the recording — record it again with `dgov run --record`",
            self.path.display(),
            self.next + 1,
        ))
    }

    pub fn next_response(&mut self) -> Result<Value, String> {
        let r = self.responses.get(self.next).cloned().ok_or_else(|| {
            format!(
                "cassette {} is exhausted after {} responses; the replayed run diverged from the recording",
                self.path.display(),
                self.responses.len()
            )
        })?;
        self.next += 1;
        Ok(r)
    }
}

/// Appends exchanges to a task's cassette, rewriting the file after each one so an attempt
/// cut short still leaves what it did.
pub struct Recorder {
    path: PathBuf,
    file: CassetteFile,
    attempt: String,
}

impl Recorder {
    pub fn new(dir: &Path, task: &str, attempt: u32) -> Result<Recorder, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let path = cassette_path(dir, task);
        let mut file: CassetteFile = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        file.task = task.to_string();
        file.attempts.insert(attempt.to_string(), Vec::new());
        Ok(Recorder {
            path,
            file,
            attempt: attempt.to_string(),
        })
    }

    pub fn record(&mut self, request: &Value, response: &Value) -> Result<(), String> {
        self.file
            .attempts
            .entry(self.attempt.clone())
            .or_default()
            .push(Exchange {
                request: request.clone(),
                response: response.clone(),
            });
        let text = serde_json::to_string_pretty(&self.file).map_err(|e| e.to_string())?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| format!("writing cassette {}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod shape_tests {
    use super::*;
    use serde_json::json;

    fn request(tools: &[&str], extra: Option<Value>, result: &str) -> Value {
        let mut messages = vec![
            json!({"role": "system", "content": "sys at /tmp/a"}),
            json!({"role": "user", "content": "do it"}),
            json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function",
                 "function": {"name": "read_file", "arguments": "{\"path\":\"a\"}"}}]}),
            json!({"role": "tool", "tool_call_id": "c1", "name": "read_file", "content": result}),
        ];
        messages.extend(extra);
        let tools: Vec<Value> = tools
            .iter()
            .map(|t| json!({"type": "function", "function": {"name": t}}))
            .collect();
        json!({"model": "m", "messages": messages, "tools": tools})
    }

    fn cassette(recorded: Value) -> (tempfile::TempDir, Cassette) {
        let dir = tempfile::tempdir().unwrap();
        let file = CassetteFile {
            task: "t".into(),
            attempts: [(
                "1".to_string(),
                vec![Exchange {
                    request: recorded,
                    response: json!({}),
                }],
            )]
            .into(),
        };
        std::fs::write(
            cassette_path(dir.path(), "t"),
            serde_json::to_string(&file).unwrap(),
        )
        .unwrap();
        let c = Cassette::open(dir.path(), "t", 1).unwrap();
        (dir, c)
    }

    #[test]
    fn texts_and_tool_results_may_differ_but_the_conversation_shape_may_not() {
        let (_d, c) = cassette(request(&["read_file", "done"], None, "one\n"));
        // Another machine: other paths in texts, other tool output — still the same run.
        let mut same = request(&["read_file", "done"], None, "two\n");
        same["messages"][0]["content"] = json!("sys at /home/b");
        assert_eq!(c.check_request(&same), Ok(()));

        let e = c
            .check_request(&request(&["read_file"], None, "one\n"))
            .unwrap_err();
        assert!(
            e.contains("at exchange 1: the tools offered was `tools: read_file,done`"),
            "{e}"
        );
        assert!(e.contains("dgov run --record"), "{e}");

        let nudge = json!({"role": "user", "content": "3 iterations left"});
        let e = c
            .check_request(&request(&["read_file", "done"], Some(nudge), "one\n"))
            .unwrap_err();
        assert!(
            e.contains("message 4 was `(nothing)` when recorded, now `user`"),
            "{e}"
        );

        let mut other_call = request(&["read_file", "done"], None, "one\n");
        other_call["messages"][2]["tool_calls"][0]["function"]["arguments"] =
            json!("{\"path\":\"b\"}");
        let e = c.check_request(&other_call).unwrap_err();
        assert!(
            e.contains("message 2 was `assistant read_file({\"path\":\"a\"})`"),
            "{e}"
        );
    }

    #[test]
    fn a_cassette_without_recorded_requests_is_served_unchecked() {
        let (_d, c) = cassette(Value::Null);
        assert_eq!(c.check_request(&json!({"messages": []})), Ok(()));
    }
}
