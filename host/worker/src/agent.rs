//! The agent loop of one attempt: ask the model, run the tool calls it makes, feed results
//! back, until it calls `done` or the iteration budget runs out (dgov-worker §1.6).
//!
//! One iteration is one chat completion. Before a request the loop may add, once each: a
//! warning at `warn_at`, a finalization notice when 8 turns remain and a hard stop when 2
//! remain (both only for budgets ≥ 10; the hard stop also forces `tool_choice` to `done`).
//! A text-only answer gets one nudge; a second one ends the attempt (not retryable).

use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionTool, ChatCompletionTools, FinishReason,
    FunctionObject,
};
use serde_json::{Value, json};

use crate::llm::Chat;
use crate::protocol::Line;
use crate::spec::AttemptSpec;
use crate::tools::ToolBox;

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done {
        summary: String,
    },
    Failed {
        error: String,
        retryable: bool,
    },
    /// The iteration budget ran out before `done`. The work so far stays in the worktree for
    /// a fork to continue (the runner decides whether one runs).
    Exhausted {
        error: String,
    },
}

/// Token usage summed over an attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

pub const STOPPED_WITHOUT_DONE: &str = "Agent stopped without calling 'done'";

/// The tool list of a request, as async-openai tool definitions.
pub fn tool_defs(tools: &ToolBox) -> Value {
    let defs: Vec<ChatCompletionTools> = tools
        .specs
        .iter()
        .map(|s| {
            ChatCompletionTools::Function(ChatCompletionTool {
                function: FunctionObject {
                    name: s.name.clone(),
                    description: Some(s.description.clone()),
                    parameters: serde_json::from_str(&s.parameters_json_schema).ok(),
                    strict: None,
                },
            })
        })
        .collect();
    serde_json::to_value(defs).unwrap_or(Value::Array(Vec::new()))
}

/// Run the loop. `emit` receives every protocol line as it happens.
pub async fn run(
    spec: &AttemptSpec,
    system: String,
    chat: &mut Chat,
    tools: &mut ToolBox,
    emit: &mut dyn FnMut(Line),
) -> (Outcome, Usage) {
    let budget = spec.iteration_budget.max(1);
    let warn_at = spec.warn_at;
    let tool_defs = tool_defs(tools);
    let mut messages = vec![
        json!({"role": "system", "content": system}),
        json!({"role": "user", "content": crate::prompt::user_message(spec)}),
    ];
    let mut usage = Usage::default();
    let (mut warned, mut finalizing, mut stopping, mut nudged) = (false, false, false, false);
    let mut tests_passed = false;
    for i in 0..budget {
        let left = budget - i;
        if i >= warn_at && !warned {
            warned = true;
            messages.push(json!({"role": "system", "content": format!(
                "WARNING: you have used {i}/{budget} turns. Wrap up and call done soon.")}));
        }
        if budget >= 10 && left <= 8 && !finalizing {
            finalizing = true;
            let text = if spec.role.is_read_only() {
                format!(
                    "FINALIZE: {left} turns remain. Stop investigating and call done with your finding from the evidence you have, saying what is still uncertain."
                )
            } else {
                format!(
                    "FINALIZE: {left} turns remain. Stop exploring; run only the narrowest remaining check, make only tiny fixes, then call done. If the work is unfinished, call done with an INCOMPLETE summary naming the changed files, what was verified and the blocker."
                )
            };
            messages.push(json!({"role": "system", "content": text}));
        }
        let force_done = budget >= 10 && left <= 2;
        if force_done && !stopping {
            stopping = true;
            messages.push(json!({"role": "system", "content":
                "STOP: call done now with your summary. Do not call any other tool."}));
        }
        let tool_choice = if force_done {
            json!({"type": "function", "function": {"name": "done"}})
        } else {
            json!("auto")
        };
        let request = json!({
            "model": spec.model,
            "messages": messages,
            "tools": tool_defs,
            "tool_choice": tool_choice,
        });
        let mut retries = Vec::new();
        let resp = chat
            .complete(&request, &mut |why, wait| {
                retries.push((why.to_string(), wait))
            })
            .await;
        for (why, wait) in retries {
            emit(Line::event(
                "retry",
                json!({"reason": why, "wait_ms": wait.as_millis() as u64}),
            ));
        }
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                emit(Line::event("error", json!(e.message)));
                return (
                    Outcome::Failed {
                        error: e.message,
                        retryable: e.retryable,
                    },
                    usage,
                );
            }
        };
        if let Some(u) = &resp.usage {
            usage.prompt_tokens += u64::from(u.prompt_tokens);
            usage.completion_tokens += u64::from(u.completion_tokens);
            emit(Line::event(
                "tokens",
                json!({
                    "turn": i + 1,
                    "prompt_tokens": u.prompt_tokens,
                    "completion_tokens": u.completion_tokens,
                    "task_prompt_tokens": usage.prompt_tokens,
                    "task_completion_tokens": usage.completion_tokens,
                }),
            ));
        }
        emit(Line::WorkerTokens {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
        });
        let Some(choice) = resp.choices.into_iter().next() else {
            continue;
        };
        let msg = choice.message;
        let content = msg.content.clone().filter(|c| !c.trim().is_empty());
        if let Some(c) = &content {
            emit(Line::event("thought", json!(c)));
        }
        let calls: Vec<_> = msg.tool_calls.unwrap_or_default();
        if calls.is_empty() {
            if matches!(choice.finish_reason, None | Some(FinishReason::Stop)) {
                if nudged {
                    emit(Line::event("error", json!(STOPPED_WITHOUT_DONE)));
                    return (
                        Outcome::Failed {
                            error: STOPPED_WITHOUT_DONE.into(),
                            retryable: false,
                        },
                        usage,
                    );
                }
                nudged = true;
                messages.push(
                    json!({"role": "assistant", "content": content.clone().unwrap_or_default()}),
                );
                messages.push(json!({"role": "user", "content":
                    "You answered with text only. Work happens through tool calls: continue with the tools, and finish by calling done(summary)."}));
            }
            continue;
        }
        let wire_calls: Vec<Value> = calls
            .iter()
            .map(|c| match c {
                ChatCompletionMessageToolCalls::Function(f) => json!({
                    "id": f.id, "type": "function",
                    "function": {"name": f.function.name, "arguments": f.function.arguments}
                }),
                ChatCompletionMessageToolCalls::Custom(c) => json!({
                    "id": c.id, "type": "custom",
                    "custom": {"name": c.custom_tool.name, "input": c.custom_tool.input}
                }),
            })
            .collect();
        messages.push(json!({"role": "assistant", "content": content, "tool_calls": wire_calls}));
        for (k, call) in calls.iter().enumerate() {
            let (id, name, raw_args) = match call {
                ChatCompletionMessageToolCalls::Function(f) => (
                    f.id.clone(),
                    f.function.name.clone(),
                    f.function.arguments.clone(),
                ),
                ChatCompletionMessageToolCalls::Custom(c) => (
                    c.id.clone(),
                    c.custom_tool.name.clone(),
                    c.custom_tool.input.clone(),
                ),
            };
            let parsed: Result<Value, String> = if raw_args.trim().is_empty() {
                Ok(json!({}))
            } else {
                serde_json::from_str(&raw_args)
                    .map_err(|e| format!("Tool {name} arguments contain invalid JSON: {e}"))
            };
            let parsed = parsed.and_then(|v| {
                if v.is_object() {
                    Ok(v)
                } else {
                    Err(format!("Tool {name} arguments must be a JSON object."))
                }
            });
            let args = parsed.clone().unwrap_or_else(|_| json!({}));
            let mut keys: Vec<&String> = args
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            keys.sort();
            let base = json!({
                "tool": name, "arg_keys": keys, "call_id": id, "role": spec.role.as_str(),
                "turn_index": i + 1, "tool_index": k + 1,
            });
            let mut call_ev = base.clone();
            call_ev["args"] = args.clone();
            emit(Line::event("call", call_ev));
            let result = match &parsed {
                Err(e) => crate::tools::ToolResult {
                    text: format!("Error: {e}"),
                    failed: true,
                    raw_chars: e.len() + 7,
                    clipped: false,
                    duration_ms: 0.0,
                    activity: Vec::new(),
                },
                Ok(_) if name == "done" && spec.require_tests_before_done && !tests_passed => {
                    let msg = "Error: Settlement retry after a test failure requires a successful run_tests() call before done.";
                    crate::tools::ToolResult {
                        text: msg.to_string(),
                        failed: true,
                        raw_chars: msg.len(),
                        clipped: false,
                        duration_ms: 0.0,
                        activity: Vec::new(),
                    }
                }
                Ok(_) if name == "done" && tools.has("done") => {
                    let summary = args
                        .get("summary")
                        .and_then(|s| s.as_str())
                        .unwrap_or("")
                        .to_string();
                    let mut ev = base.clone();
                    ev["status"] = json!("success");
                    ev["activity"] = json!([]);
                    ev["duration_ms"] = json!(0.0);
                    ev["result_chars"] = json!(summary.chars().count());
                    ev["raw_result_chars"] = json!(summary.chars().count());
                    ev["result_clipped"] = json!(false);
                    emit(Line::event("result", ev));
                    emit(Line::event("done", json!(summary)));
                    return (Outcome::Done { summary }, usage);
                }
                Ok(a) => tools.call(&name, a).await,
            };
            if name == "run_tests" && !result.failed && result.text.ends_with("EXIT:0") {
                tests_passed = true;
            }
            let mut ev = base;
            ev["status"] = json!(if result.failed { "failed" } else { "success" });
            ev["activity"] = json!(result.activity);
            ev["duration_ms"] = json!((result.duration_ms * 1000.0).round() / 1000.0);
            ev["result_chars"] = json!(result.text.chars().count());
            ev["raw_result_chars"] = json!(result.raw_chars);
            ev["result_clipped"] = json!(result.clipped);
            ev["output"] = json!(result.text.chars().take(2000).collect::<String>());
            if result.failed {
                ev["error_kind"] = json!(result.error_kind());
            }
            emit(Line::event("result", ev));
            messages.push(
                json!({"role": "tool", "tool_call_id": id, "name": name, "content": result.text}),
            );
        }
    }
    let error = format!(
        "Exceeded max iterations ({budget}). Worktree diff summary at exhaustion:\n{}",
        diff_summary(&spec.worktree)
    );
    emit(Line::event("error", json!(error)));
    (Outcome::Exhausted { error }, usage)
}

/// `git diff --stat HEAD`, else `git status --short`, else "No changes.", capped.
pub fn diff_summary(worktree: &std::path::Path) -> String {
    let git = |args: &[&str]| {
        crate::git_cmd::git(worktree, args)
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let text = match git(&["diff", "--stat", "HEAD"]) {
        Ok(s) if !s.is_empty() => s,
        Ok(_) => match git(&["status", "--short"]) {
            Ok(s) if !s.is_empty() => s,
            Ok(_) => "No changes.".to_string(),
            Err(e) => format!("Unavailable: {e}"),
        },
        Err(e) => format!("Unavailable: {e}"),
    };
    if text.chars().count() > 2000 {
        let t: String = text.chars().take(2000).collect();
        format!("{t}\n... [diff summary truncated]")
    } else {
        text
    }
}
